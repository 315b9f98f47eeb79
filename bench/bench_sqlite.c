/*
 * bench_sqlite.c -- the physical limit: the one-row read server.info does,
 * done in-process straight on SQLite, with no socket, no msgpack and no
 * handle pool in between.
 *
 * Each thread opens the database file read-only with its own connection
 * (SQLITE_OPEN_NOMUTEX: nothing is shared, so no locks are needed),
 * prepares BENCH_READ_SQL once, and then steps, reads the column and
 * resets in a loop.  The clock is read only every LOOP_CHECK iterations,
 * so it costs the loop next to nothing.  The daemon may be running on the
 * same file; WAL lets us read beside it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bench.h"

#define LOOP_CHECK	256

struct sqlite_thread {
	const char *db_path;
	uint64_t t_measure, t_end;
	double rate;		/* reads per second in the measured window */
	int64_t sink;		/* keeps the column read from being elided */
	pthread_t tid;
	int failed;
	char err[256];
};

static void *
sqlite_thread_main(void *arg)
{
	struct sqlite_thread *t = arg;
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	uint64_t now, counted_from = 0;
	uint64_t n = 0, n_at_measure = 0;
	bool measuring = false;
	int rc;

	rc = sqlite3_open_v2(t->db_path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(t->err, sizeof t->err, "open %s: %s", t->db_path,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto fail;
	}
	rc = sqlite3_prepare_v2(db, BENCH_READ_SQL, -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		snprintf(t->err, sizeof t->err, "prepare: %s",
		    sqlite3_errmsg(db));
		goto fail;
	}
	for (;;) {
		rc = sqlite3_step(stmt);
		if (rc != SQLITE_ROW) {
			snprintf(t->err, sizeof t->err, "step: %s",
			    rc == SQLITE_DONE ? "no row in meta with id 1" :
			    sqlite3_errmsg(db));
			goto fail;
		}
		t->sink += sqlite3_column_int64(stmt, 0);
		/* reset returns the step's error again; step checked it. */
		(void)sqlite3_reset(stmt);
		if (++n % LOOP_CHECK != 0)
			continue;
		now = bench_now_ns();
		if (!measuring && now >= t->t_measure) {
			measuring = true;
			n_at_measure = n;
			counted_from = now;
		}
		if (now >= t->t_end)
			break;
	}
	/* The window runs from the first check past t_measure to the first
	 * past t_end: use its real length, not the nominal one. */
	if (measuring && now > counted_from)
		t->rate = (double)(n - n_at_measure) * (double)BENCH_NS_PER_S /
		    (double)(now - counted_from);
	sqlite3_finalize(stmt);
	if (sqlite3_close(db) != SQLITE_OK)
		fprintf(stderr, "cashbook-bench: sqlite3_close failed\n");
	return NULL;
fail:
	t->failed = 1;
	sqlite3_finalize(stmt);
	sqlite3_close(db);	/* NULL is a no-op */
	return NULL;
}

int
sqlite_run(const char *db_path, int nthreads, double warmup_s,
    double seconds, double *reads_per_s, char *err, size_t errlen)
{
	struct sqlite_thread *th;
	uint64_t t0;
	double rate = 0;
	int started = 0, rc, result = 0;

	*reads_per_s = 0;
	if (nthreads < 1) {
		snprintf(err, errlen, "threads must be >= 1");
		return -1;
	}
	if ((th = calloc((size_t)nthreads, sizeof *th)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t0 = bench_now_ns();
	for (int i = 0; i < nthreads; i++) {
		th[i].db_path = db_path;
		th[i].t_measure = t0 + (uint64_t)(warmup_s *
		    (double)BENCH_NS_PER_S);
		th[i].t_end = th[i].t_measure + (uint64_t)(seconds *
		    (double)BENCH_NS_PER_S);
		rc = pthread_create(&th[i].tid, NULL, sqlite_thread_main,
		    &th[i]);
		if (rc != 0) {
			snprintf(err, errlen, "pthread_create: %s",
			    strerror(rc));
			result = -1;
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++) {
		rc = pthread_join(th[i].tid, NULL);
		if (rc != 0) {
			fprintf(stderr, "cashbook-bench: pthread_join: %s\n",
			    strerror(rc));
			abort();
		}
		if (th[i].failed && result == 0) {
			snprintf(err, errlen, "%s", th[i].err);
			result = -1;
		}
		rate += th[i].rate;
	}
	free(th);
	if (result == 0)
		*reads_per_s = rate;
	return result;
}
