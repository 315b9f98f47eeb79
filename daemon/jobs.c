/*
 * jobs.c -- the reaper of hidden books (see jobs.h).
 *
 *   book.delete hides a book, commits, jobs_kick()
 *   loop:   jobs_kick_cb -> gateway_submit_job(reaper)
 *   worker: reaper_step: one batch of one hidden book -> next step (queued
 *           behind waiting client writes) ... until no book is hidden
 *   loop:   jobs_done: again if kicked meanwhile; after a failure, retry
 *           in JOBS_RETRY_MS
 *
 * At most one reaper runs: batches of one writer cannot go faster side by
 * side, and one at a time keeps the writer free for clients in between.
 */
#include <event2/event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "book.h"
#include "config.h"
#include "gateway.h"
#include "jobs.h"
#include "log.h"
#include "method.h"
#include "rpc.h"
#include "server.h"

/* After a failed step (disk full, a database that is gone), the next try:
 * a second, doubling to a minute while it keeps failing. */
#define JOBS_RETRY_MS 1000
#define JOBS_RETRY_MAX_MS 60000
#define JOBS_STR_(x) #x
#define JOBS_STR(x) JOBS_STR_(x)

struct jobs {
	struct server *server;
	struct event *ev_kick;		/* activated by jobs_kick (any thread) */
	struct event *ev_retry;
	bool running, again, stopped;	/* loop */
	/* Written by the reaper's steps (a worker), read by the loop. */
	atomic_uint_fast64_t books_waiting, books_deleted, batches;
	uint64_t failures;		/* loop */
	int retry_ms;			/* loop: the next retry's delay */
};

/* ---- the reaper's step (a worker, holding the writer) ---- */

static const char sql_hidden_book[] =
    "SELECT book_id, (SELECT count(*) FROM books WHERE deleting = 1) "
    "FROM books WHERE deleting = 1 LIMIT 1";
/* A batch: the first entries of the book in entries_by_position's order,
 * so that both statements name the same ones.  Their text index rows go
 * first (entry_index.h); the entries go with their history (ON DELETE
 * CASCADE). */
#define JOBS_BATCH "SELECT entry_id FROM entries WHERE book_id = ?1 " \
    "ORDER BY deleted, date, minute, entry_id " \
    "LIMIT " JOBS_STR(JOBS_DELETE_BATCH)
static const char sql_entries_batch_index[] =
    "DELETE FROM entries_fts WHERE rowid IN (" JOBS_BATCH ")";
static const char sql_entries_batch[] =
    "DELETE FROM entries WHERE entry_id IN (" JOBS_BATCH ")";
/* The book row last: its members and period rows go by cascade. */
static const char sql_book_remove[] = "DELETE FROM books WHERE book_id = ?1";

static int reaper_step(struct call *call);

static const struct method_step reaper_next = {
	.exec = reaper_step, .flags = METHOD_DB_WRITE,
};

static int
reaper_step(struct call *call)
{
	struct jobs *jobs = call->server->reaper;
	sqlite3_stmt *stmt;
	int64_t book_id;
	int rc;

	if ((stmt = call_prepare(call, sql_hidden_book,
	    "looking for deleted books")) == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		atomic_store(&jobs->books_waiting, 0);
		msgpack_pack_nil(call->result);
		return 0;			/* nothing left */
	}
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "looking for deleted books");
	book_id = sqlite3_column_int64(stmt, 0);
	atomic_store(&jobs->books_waiting,
	    (uint64_t)sqlite3_column_int64(stmt, 1));
	sqlite3_reset(stmt);
	if (book_exec(call, sql_entries_batch_index, book_id,
	    "deleting a book's entries") != 0 ||
	    book_exec(call, sql_entries_batch, book_id,
	    "deleting a book's entries") != 0)
		return -1;
	if (sqlite3_changes(db_handle(call->db)) < JOBS_DELETE_BATCH) {
		if (book_exec(call, sql_book_remove, book_id,
		    "deleting a book") != 0)
			return -1;
		atomic_fetch_add(&jobs->books_deleted, 1);
	}
	atomic_fetch_add(&jobs->batches, 1);
	return call_continue(call, &reaper_next);
}

static const struct method method_reaper = {
	.name = "job.delete_books",
	.exec = reaper_step,
	.flags = METHOD_DB_WRITE,
};

/* ---- driving it (loop) ---- */

static void jobs_start(struct jobs *jobs);

static void
jobs_done(struct server *server, bool failed, void *arg)
{
	struct jobs *jobs = arg;
	struct timeval tv;

	(void)server;
	jobs->running = false;
	if (jobs->stopped)
		return;
	if (failed) {
		jobs->failures++;
		tv.tv_sec = jobs->retry_ms / 1000;
		tv.tv_usec = (jobs->retry_ms % 1000) * 1000;
		if (jobs->retry_ms < JOBS_RETRY_MAX_MS)
			jobs->retry_ms *= 2;
		if (event_add(jobs->ev_retry, &tv) != 0)
			log_error("cannot schedule the book reaper's retry; "
			    "deleted books are removed at the next start");
		return;
	}
	jobs->retry_ms = JOBS_RETRY_MS;
	if (jobs->again)
		jobs_start(jobs);
}

static void
jobs_start(struct jobs *jobs)
{
	jobs->again = false;
	if (jobs->stopped || jobs->server->draining)
		return;
	if (jobs->running) {
		jobs->again = true;	/* look once more when this one ends */
		return;
	}
	if (gateway_submit_job(jobs->server, &method_reaper, jobs_done,
	    jobs) != 0) {
		log_error("out of memory starting the book reaper");
		return;
	}
	jobs->running = true;
}

static void
jobs_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	jobs_start(arg);
}

/*
 * Whether a book is hidden, left by a stop or crash in the middle of its
 * removal.  Asked once at start, before clients come, through a read-only
 * connection of its own that is closed at once: a look at a small table,
 * which would otherwise cost a pool handle at every start (and show in
 * the pool's figures as work nobody asked for).  When it cannot tell, the
 * reaper runs and finds out.
 */
static bool
jobs_left_from_before(struct server *server)
{
	static const char sql[] =
	    "SELECT EXISTS (SELECT 1 FROM books WHERE deleting = 1)";
	sqlite3 *conn = NULL;
	sqlite3_stmt *stmt = NULL;
	bool left = true;

	if (sqlite3_open_v2(server->cfg->db_path, &conn,
	    SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(conn, sql, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		left = sqlite3_column_int(stmt, 0) != 0;
	else
		log_warn("cannot look for books left half deleted (%s); the "
		    "reaper will", conn != NULL ? sqlite3_errmsg(conn) :
		    "out of memory");
	sqlite3_finalize(stmt);
	sqlite3_close(conn);
	return left;
}

struct jobs *
jobs_new(struct server *server, char *err, size_t errlen)
{
	struct jobs *jobs = calloc(1, sizeof *jobs);

	if (jobs == NULL) {
		snprintf(err, errlen, "jobs: out of memory");
		return NULL;
	}
	jobs->server = server;
	jobs->retry_ms = JOBS_RETRY_MS;
	jobs->ev_kick = event_new(server->base, -1, 0, jobs_kick_cb, jobs);
	jobs->ev_retry = evtimer_new(server->base, jobs_kick_cb, jobs);
	if (jobs->ev_kick == NULL || jobs->ev_retry == NULL) {
		snprintf(err, errlen, "jobs: cannot create events");
		jobs_free(jobs);
		return NULL;
	}
	/* Books hidden before a stop or a crash: go on with them. */
	if (jobs_left_from_before(server))
		event_active(jobs->ev_kick, EV_READ, 0);
	return jobs;
}

void
jobs_free(struct jobs *jobs)
{
	if (jobs == NULL)
		return;
	if (jobs->ev_kick != NULL)
		event_free(jobs->ev_kick);
	if (jobs->ev_retry != NULL)
		event_free(jobs->ev_retry);
	free(jobs);
}

void
jobs_kick(struct jobs *jobs)
{
	event_active(jobs->ev_kick, EV_READ, 0);
}

void
jobs_stop(struct jobs *jobs)
{
	if (jobs == NULL)
		return;
	jobs->stopped = true;
	event_del(jobs->ev_retry);
}

void
jobs_stats(const struct jobs *jobs, struct jobs_stats *out)
{
	out->running = jobs->running;
	out->books_waiting = atomic_load(&jobs->books_waiting);
	out->books_deleted = atomic_load(&jobs->books_deleted);
	out->batches = atomic_load(&jobs->batches);
	out->failures = jobs->failures;
}
