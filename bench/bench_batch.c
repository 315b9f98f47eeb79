/*
 * bench_batch.c -- batch writes (section 12 of the report): entries per
 * second added with entry.add_batch of BATCH_SIZE entries over the
 * socket, one batch in flight, against the same inserts made in-process
 * through the entry.add handler, BATCH_SIZE per write transaction, on a
 * writer handle of our own (inproc_add_batches).  Both add the same
 * made-up entries (the same seed) to two fresh books of one user.
 *
 * The in-process figure is what the same work costs without the daemon:
 * the same handler and transaction size, each entry's params packed and
 * parsed as a request's are, but no socket, no loop thread, no hand-over
 * to a worker.  The aim (issue 11) is half of it.  The two run in
 * BATCH_ROUNDS interleaved rounds and the medians are compared, so a
 * burst of other work on the machine does not land on one side only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cashbook.h"

#include "bench.h"

#define BATCH_SIZE	1000
#define BATCH_AIM	0.50	/* socket / in-process */
#define BATCH_SEED	42
#define BATCH_ROUNDS	3	/* interleaved; the medians are reported */

/* The entry.add_batch params for the next BATCH_SIZE entries of g. */
static struct cb_params *
batch_params(const struct fixture_user *u, int64_t book_id,
    struct fixture_gen *g)
{
	struct cb_params *items[BATCH_SIZE] = { NULL };
	struct cb_params *p = fixture_params_book(u, book_id);
	struct fixture_entry e;
	int i;

	for (i = 0; p != NULL && i < BATCH_SIZE; i++) {
		fixture_gen_next(g, &e);
		if ((items[i] = cb_params_new()) == NULL ||
		    fixture_entry_fields(items[i], &e) != 0)
			break;
	}
	if (p != NULL && (i < BATCH_SIZE || cb_params_map_array(p, "entries",
	    (const struct cb_params *const *)items, BATCH_SIZE) != CB_OK)) {
		cb_params_free(p);
		p = NULL;
	}
	for (i = 0; i < BATCH_SIZE; i++)
		cb_params_free(items[i]);
	return p;
}

/* Batches over c for o->seconds.  0, or -1 with err. */
static int
batch_socket(const struct batch_opts *o, struct cb_conn *c,
    const struct fixture_user *u, int64_t book_id, struct fixture_gen *g,
    struct samples *lat, double *eps, char *err, size_t errlen)
{
	struct cb_params *p;
	struct cb_reply *reply;
	uint64_t t0, t1, t_end, sum = 0, n = 0;

	t_end = bench_now_ns() + (uint64_t)(o->seconds * BENCH_NS_PER_S);
	do {
		/* Packing the request is the client's work: not timed. */
		if ((p = batch_params(u, book_id, g)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		t0 = bench_now_ns();
		if (cb_call(c, "entry.add_batch", p, &reply) != CB_OK) {
			cb_params_free(p);
			return fixture_fail(err, errlen, "entry.add_batch", c);
		}
		t1 = bench_now_ns();
		cb_reply_free(reply);
		cb_params_free(p);
		sum += t1 - t0;
		n++;
		if (samples_add(lat, t1 - t0) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	} while (t1 < t_end);
	*eps = (double)(n * BATCH_SIZE) * BENCH_NS_PER_S / (double)sum;
	return 0;
}

/* The same number of entries in-process.  0, or -1 with err. */
static int
batch_inproc(const struct batch_opts *o, const struct fixture_user *u,
    int64_t book_id, int64_t n, struct fixture_gen *g, double *eps,
    char *err, size_t errlen)
{
	struct inproc *ip;
	uint64_t t0, t1;
	int rc;

	if (inproc_open(o->db_path, true, o->sync_full, 0, &ip, err,
	    errlen) != 0)
		return -1;
	t0 = bench_now_ns();
	rc = inproc_add_batches(ip, u, book_id, n, BATCH_SIZE, g, err,
	    errlen);
	t1 = bench_now_ns();
	inproc_close(ip);
	if (rc != 0)
		return -1;
	*eps = (double)n * BENCH_NS_PER_S / (double)(t1 - t0);
	return 0;
}

static int
batch_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
batch_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, batch_cmp);
	return v[n / 2];
}

/* The rounds, socket then in-process each time, the in-process side
 * adding as many entries as the socket side just did. */
static void
batch_rounds(const struct batch_opts *o, struct cb_conn *c,
    const struct fixture_user *u, const int64_t books[2],
    struct batch_report *rep)
{
	double sock[BATCH_ROUNDS], inproc[BATCH_ROUNDS];
	struct samples lat = { 0 };
	struct fixture_gen g[2];
	char err[512];
	int i;

	fixture_gen_init(&g[0], BATCH_SEED);
	fixture_gen_init(&g[1], BATCH_SEED);
	for (i = 0; i < BATCH_ROUNDS; i++) {
		int64_t before = (int64_t)g[0].n;

		if (batch_socket(o, c, u, books[0], &g[0], &lat, &sock[i], err,
		    sizeof err) != 0) {
			bench_progress("entry.add_batch: %s", err);
			break;
		}
		if (o->db_path != NULL && batch_inproc(o, u, books[1],
		    (int64_t)g[0].n - before, &g[1], &inproc[i], err,
		    sizeof err) != 0) {
			bench_progress("batch writes in-process: %s", err);
			break;
		}
	}
	if (i == BATCH_ROUNDS) {
		rep->socket_ok = true;
		rep->socket_eps = batch_median(sock, BATCH_ROUNDS);
		samples_summarise(&lat, &rep->socket_lat);
		if (o->db_path != NULL) {
			rep->inproc_ok = true;
			rep->inproc_eps = batch_median(inproc, BATCH_ROUNDS);
			rep->ratio = rep->socket_eps / rep->inproc_eps;
		}
	}
	rep->missing += !rep->socket_ok + !rep->inproc_ok;
	samples_free(&lat);
}

void
batch_measure(const struct batch_opts *o, struct batch_report *rep)
{
	struct fixture_user u;
	struct cb_conn *c = NULL;
	int64_t books[2];	/* over the socket, in-process */
	char err[512];

	memset(rep, 0, sizeof *rep);
	rep->batch = BATCH_SIZE;
	bench_progress("batch writes: entry.add_batch of %d, %d rounds",
	    BATCH_SIZE, BATCH_ROUNDS);
	if (cb_connect(o->socket_path, CB_DEFAULT_TIMEOUT_MS, &c, err,
	    sizeof err) != CB_OK ||
	    fixture_user_new(c, "batch", &u, err, sizeof err) != 0 ||
	    fixture_book_new(c, &u, "batch-socket", &books[0], err,
	    sizeof err) != 0 ||
	    fixture_book_new(c, &u, "batch-inproc", &books[1], err,
	    sizeof err) != 0) {
		bench_progress("batch writes: %s", err);
		rep->missing += 2;
	} else
		batch_rounds(o, c, &u, books, rep);
	cb_close(c);
}

void
batch_print_table(const struct batch_report *rep)
{
	char a[32], b[32];

	printf("\n12. Batch writes (entry.add_batch of %d entries, one batch "
	    "in flight; medians of %d rounds)\n", rep->batch, BATCH_ROUNDS);
	if (rep->socket_ok)
		printf("   over the socket: %s entries/s; per batch p50 %.1f ms, "
		    "p99 %.1f ms\n", bench_fmt_count(a, sizeof a,
		    rep->socket_eps), rep->socket_lat.p50_us / 1000,
		    rep->socket_lat.p99_us / 1000);
	else
		printf("   over the socket: (not measured)\n");
	if (rep->inproc_ok)
		printf("   in-process, entry.add's handler, %d per transaction: "
		    "%s entries/s\n", rep->batch, bench_fmt_count(b, sizeof b,
		    rep->inproc_eps));
	else
		printf("   in-process: (not measured: needs --db)\n");
	if (rep->socket_ok && rep->inproc_ok)
		printf("   socket / in-process = %.2f   aim >= %.2f   %s\n",
		    rep->ratio, BATCH_AIM, rep->ratio >= BATCH_AIM ? "met" :
		    "MISSED");
}

void
batch_print_json(const struct batch_report *rep)
{
	printf(",\"batch_size\":%d", rep->batch);
	if (rep->socket_ok)
		printf(",\"batch_socket_entries_per_s\":%.0f,"
		    "\"batch_p50_us\":%.0f,\"batch_p99_us\":%.0f",
		    rep->socket_eps, rep->socket_lat.p50_us,
		    rep->socket_lat.p99_us);
	if (rep->inproc_ok)
		printf(",\"batch_inproc_entries_per_s\":%.0f",
		    rep->inproc_eps);
	if (rep->socket_ok && rep->inproc_ok)
		printf(",\"batch_ratio\":%.3f", rep->ratio);
}
