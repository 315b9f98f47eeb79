/*
 * bench.h -- what the pieces of cashbook-bench share: the clock, latency
 * samples and their summary, and one entry point per measurement.
 *
 * cashbook-bench measures a running cashbookd; it is not a test.  It
 * prints figures and compares them with the project's aims, and fails only
 * when it cannot measure (no daemon, a broken connection), never because
 * something is slow.  Every measurement lives in its own file:
 *
 *   bench_load.c     requests/s and latency over the socket (ping and
 *                    server.info, N connections, with and without
 *                    pipelining)
 *   bench_sqlite.c   the same one-row read in-process, straight on SQLite:
 *                    the physical limit the socket figures are held to
 *   bench_books.c    the book figures: entry.add over the socket and
 *                    in-process, book.balance and entry.list on books of
 *                    growing size, deep and filtered pages
 *   bench_fixture.c  users, books and made-up entries, over the socket
 *   bench_inproc.c   the daemon's own handlers run in-process on its
 *                    database: the same transaction without the socket
 *   bench_ctl.c      wall time of a whole `cashbookctl ping` (fork, exec,
 *                    connect, ping, exit)
 *   bench_proc.c     what /proc says about the daemon: CPU time, and
 *                    resident memory idle and with many connections open
 *   bench_time.c     the clock, latency samples and percentiles
 *   bench.c          options, the order of the runs, the report
 */
#ifndef CASHBOOK_BENCH_H
#define CASHBOOK_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- clock (bench_time.c) ---- */

/* CLOCK_MONOTONIC in nanoseconds.  Aborts if the clock fails: every figure
 * would be wrong, and Linux never fails it with a valid pointer. */
uint64_t bench_now_ns(void);

#define BENCH_NS_PER_S	1000000000ull

/* ---- latency samples (bench_time.c) ---- */

/* A growing array of latencies in nanoseconds.  Zero-initialise, then
 * samples_add; samples_free releases it. */
struct samples {
	uint64_t *ns;
	size_t n, cap;
};

/* Append one latency.  0, or -1 when out of memory (nothing changed). */
int samples_add(struct samples *s, uint64_t ns);
/* Move every sample of src to the end of dst; src is emptied (and freed)
 * on success.  0, or -1 when out of memory (both unchanged). */
int samples_take(struct samples *dst, struct samples *src);
void samples_free(struct samples *s);

struct latency {
	size_t n;		/* samples summarised; 0: the rest is 0 */
	double mean_us, p50_us, p99_us, max_us;
};

/* Sort s and summarise it. */
void samples_summarise(struct samples *s, struct latency *out);

/* ---- load over the socket (bench_load.c) ---- */

struct load_cell {
	const char *socket_path;
	const char *method;	/* "ping", "server.info", ... */
	const struct cb_params *params;	/* NULL: none */
	/* Not NULL: [conns] params, one per connection (each its own user
	 * and book, say); params is then not used. */
	const struct cb_params *const *conn_params;
	int conns;		/* connections, each its own cb_conn */
	int depth;		/* requests in flight per connection */
	int threads;		/* client threads sharing the connections */
	double warmup_s, seconds;
	pid_t daemon_pid;	/* 0: no CPU figures for the daemon */
	struct samples *keep;	/* not NULL: the latencies are added here */
};

struct load_result {
	double rps;		/* responses received per second */
	uint64_t responses;	/* in the measured window */
	uint64_t errors;	/* error responses (pool_timeout, ...) */
	uint64_t stalls;	/* poll timeouts with answers overdue */
	struct latency lat;	/* send to receive, per request */
	/* CPU used in the measured window, in % of one core (200: two cores
	 * flat out); daemon_cpu_pct < 0 when not known. */
	double daemon_cpu_pct, client_cpu_pct;
	double daemon_cpu_us_per_req;
};

/* Run one cell.  0, or -1 with why in err (cannot connect, connection
 * lost, out of memory). */
int load_run(const struct load_cell *cell, struct load_result *out,
    char *err, size_t errlen);

/* ---- in-process SQLite (bench_sqlite.c) ---- */

/* The SQL the daemon's server.info runs, and the baseline repeats. */
#define BENCH_READ_SQL	"SELECT created_at FROM meta WHERE id = 1"

/* step/reset the one-row read on nthreads threads, each with its own
 * read-only connection to db_path, for seconds after warmup_s.  Stores the
 * reads per second of all threads together.  0, or -1 with err. */
int sqlite_run(const char *db_path, int nthreads, double warmup_s,
    double seconds, double *reads_per_s, char *err, size_t errlen);

/* ---- users, books and entries, over the socket (bench_fixture.c) ---- */

struct cb_conn;
struct cb_params;

#define FIXTURE_PASSWORD	"bench-password"

/* A registered, logged-in user. */
struct fixture_user {
	char name[64];		/* "bench-PID-TIME-TAG" */
	char token[128];
	int64_t user_id, session_id;
};

/* err = "WHAT: CODE: MESSAGE" from c's last error; returns -1. */
int fixture_fail(char *err, size_t errlen, const char *what,
    struct cb_conn *c);

/* Register a user tagged tag on c and log it in.  0, or -1 with err. */
int fixture_user_new(struct cb_conn *c, const char *tag,
    struct fixture_user *u, char *err, size_t errlen);

/* Params for u, or NULL when out of memory: {username, password};
 * {token}; {token, book_id}.  The caller adds keys and frees them. */
struct cb_params *fixture_params_login(const struct fixture_user *u);
struct cb_params *fixture_params_token(const struct fixture_user *u);
struct cb_params *fixture_params_book(const struct fixture_user *u,
    int64_t book_id);

/* book.create name (EUR) as u.  0 with *book_id, or -1 with err. */
int fixture_book_new(struct cb_conn *c, const struct fixture_user *u,
    const char *name, int64_t *book_id, char *err, size_t errlen);

/* One made-up entry: what entry.add gets. */
struct fixture_entry {
	bool is_in;
	int64_t amount;		/* minor units */
	char date[11];		/* YYYY-MM-DD */
	char time[6];		/* HH:MM, or "" for none */
	const char *category, *mode, *party, *note;	/* NULL: none */
	char note_buf[40];
};

/* e's fields added to p (an entry.add_batch item).  0, or -1 when out of
 * memory. */
int fixture_entry_fields(struct cb_params *p, const struct fixture_entry *e);

/* entry.add params for e in book_id as u, or NULL when out of memory. */
struct cb_params *fixture_params_entry(const struct fixture_user *u,
    int64_t book_id, const struct fixture_entry *e);

/* A reproducible stream of entries dated over fixture_days() days. */
struct fixture_gen {
	uint64_t state;
	uint64_t n;		/* entries made so far */
};

void fixture_gen_init(struct fixture_gen *g, uint64_t seed);
void fixture_gen_next(struct fixture_gen *g, struct fixture_entry *e);
/* The span the entries' dates cover, and its day-th date (0: the first)
 * as "YYYY-MM-DD". */
int fixture_days(void);
void fixture_date(int day, char buf[11]);

/* Add n entries from g to book_id as u with entry.add over a connection
 * of its own, FIXTURE_SEED_WINDOW requests in flight.  0, or -1 with err
 * (an error answer included). */
int fixture_seed_socket(const char *socket_path, const struct fixture_user *u,
    int64_t book_id, int64_t n, struct fixture_gen *g, char *err,
    size_t errlen);

/* ---- the daemon's handlers in-process (bench_inproc.c) ---- */

struct inproc;

/* A pool slot of our own on the daemon's database: writer or reader,
 * synchronous FULL or NORMAL like the daemon's --synchronous, and a page
 * cache of cache_mib MiB (0: SQLite's default, as the daemon's).  0, or
 * -1 with err (a database of another schema version among the reasons). */
int inproc_open(const char *db_path, bool writer, bool sync_full,
    int cache_mib, struct inproc **out, char *err, size_t errlen);
void inproc_close(struct inproc *ip);

struct inproc_result {
	double per_s;		/* calls per second, back to back */
	uint64_t n;		/* calls in the measured window */
	struct latency lat;	/* per call */
};

/* Call method (a one-step database method) with params as u in a loop on
 * this thread, each call one transaction as the gateway's worker runs it,
 * for seconds after warmup_s.  keep (may be NULL) gets the latencies
 * added.  0, or -1 with err (an error answer included). */
int inproc_rate(struct inproc *ip, const char *method,
    const struct cb_params *params, const struct fixture_user *u,
    double warmup_s, double seconds, struct inproc_result *out,
    struct samples *keep, char *err, size_t errlen);

/* Add n entries from g to book_id as u through the entry.add handler,
 * batch entries per write transaction.  0, or -1 with err. */
int inproc_add_batches(struct inproc *ip, const struct fixture_user *u,
    int64_t book_id, int64_t n, int batch, struct fixture_gen *g, char *err,
    size_t errlen);

/* The same, then checkpoint the WAL.  0, or -1
 * with err. */
int inproc_seed(struct inproc *ip, const struct fixture_user *u,
    int64_t book_id, int64_t n, int batch, struct fixture_gen *g, char *err,
    size_t errlen);

/* ---- the book figures (bench_books.c) ---- */

struct books_opts {
	const char *socket_path;
	const char *db_path;	/* NULL: no in-process figures; seed over
				   the socket */
	pid_t pid;		/* 0: no daemon CPU figures */
	double seconds, warmup_s;
	int threads, depth;
	int64_t entries_max;	/* the largest book */
	int deep_pages;		/* how far to page for the deep page */
	bool sync_full;		/* the daemon's --synchronous */
	bool seed_socket;	/* seed over the socket even with a db */
};

/* One socket cell, and the same request in-process. */
struct books_cell {
	const char *what;
	int conns, depth;
	bool ok;
	struct load_result r;
	bool inproc_ok;
	struct inproc_result inproc;
};

/* A larger book's time per request over the smallest's. */
struct books_ratio {
	bool ok;
	double mean, p50;	/* over the socket */
	bool inproc_ok;
	double inproc;		/* in-process, mean */
};

#define BOOKS_ADD_CELLS		4	/* 1 and 8 conns, 1 and depth */
#define BOOKS_MAX_SIZES		3

/* 8b: entry.list q and report.summary by key, per book size. */
enum books_search_cell {
	SEARCH_Q_RARE,		/* q in the text index, few hits */
	SEARCH_Q_COMMON,	/* q with more hits than the index is used for */
	SEARCH_Q_SHORT,		/* a 2-character q: the scan */
	SEARCH_REPORT_CATEGORY,
	SEARCH_REPORT_MODE,
	SEARCH_REPORT_PARTY,
	SEARCH_CELLS
};
/* Cold: one request right after the page cache was dropped. */
enum books_cold_cell { COLD_Q_RARE, COLD_REPORT_CATEGORY, COLD_CELLS };

struct books_size {
	int64_t entries;
	bool seeded;
	double seed_s;
	struct books_cell balance, list;
	struct books_cell search[SEARCH_CELLS];
	double cold_ms[COLD_CELLS];	/* < 0: not measured */
};

struct books_report {
	/* 6, 7: entry.add */
	struct books_cell add[BOOKS_ADD_CELLS];
	struct books_cell add_inproc;	/* its in-process figures only */
	bool add_ratio_ok;
	double add_ratio;
	int add_ratio_cell;		/* the socket cell it is taken at */

	/* 8: reads by book size */
	bool seed_over_socket;
	int nsizes;
	struct books_size sizes[BOOKS_MAX_SIZES];
	struct books_ratio balance_ratio, list_ratio;

	/* 9: further pages of the largest book */
	int deep_pages;			/* pages walked to the deep cursors */
	double deep_walk_ms, filtered_walk_ms;	/* walking them, in all */
	char middle_date[11];
	struct books_cell deep, middle, filtered, filtered_deep;

	/* 10: a shared book against one's own, and the unread count */
	int64_t share_entries;		/* in each of the two books */
	double share_seed_s;
	struct books_cell share_add_own, share_add_shared, share_add_member;
	struct books_cell share_list_own, share_list_shared, share_list_member;
	int64_t unread_of;		/* the member's notifications */
	struct books_cell unread, profile;

	int missing;			/* figures that could not be taken */
};

void books_measure(const struct books_opts *o, struct books_report *rep);
void books_print_table(const struct books_opts *o,
    const struct books_report *rep);
/* The report's keys, each preceded by a comma, for bench.c's JSON line. */
void books_print_json(const struct books_opts *o,
    const struct books_report *rep);

/* ---- live events (bench_events.c) ---- */

struct events_opts {
	const char *socket_path;
	pid_t pid;		/* 0: no memory figure */
	double seconds, warmup_s;
	int threads;
};

struct events_lat {
	int subscribers;
	bool ok, load_ok;
	double load_rps;		/* the writers meanwhile */
	size_t probes, missed;		/* probe entries; not seen by all */
	uint64_t events;		/* events read in all */
	struct latency send_to_reply, send_to_event, reply_to_event;
};

struct events_report {
	struct events_lat lat[2];	/* 1 and 100 subscribers */
	bool add_ok;
	double add_rps[2];		/* 0 and 100 subscribers */
	double add_ratio;
	double add_cpu_us[2];		/* daemon CPU per add; < 0: unknown */
	bool rss_ok;
	int many;
	long rss_before_kib, rss_many_kib;
	int missing;
};

void events_measure(const struct events_opts *o, struct events_report *rep);
void events_print_table(const struct events_report *rep);
/* The report's keys, each preceded by a comma. */
void events_print_json(const struct events_report *rep);

/* ---- batch writes (bench_batch.c) ---- */

struct batch_opts {
	const char *socket_path;
	const char *db_path;	/* NULL: no in-process figure */
	bool sync_full;
	double seconds;
};

struct batch_report {
	bool socket_ok, inproc_ok;
	int batch;			/* entries per batch */
	double socket_eps, inproc_eps;	/* entries per second */
	struct latency socket_lat;	/* per batch */
	double ratio;			/* socket / in-process */
	int missing;
};

void batch_measure(const struct batch_opts *o, struct batch_report *rep);
void batch_print_table(const struct batch_report *rep);
/* The report's keys, each preceded by a comma. */
void batch_print_json(const struct batch_report *rep);

/* ---- the report (bench.c) ---- */

/* v rounded, with thousands separators, in buf. */
const char *bench_fmt_count(char *buf, size_t len, double v);
/* Progress on stderr: stdout holds only the report. */
void bench_progress(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* ---- cashbookctl wall time (bench_ctl.c) ---- */

struct ctl_result {
	int runs;
	double mean_ms, p50_ms, p99_ms, max_ms;
};

/* Run `ctl_path --socket socket_path ping` runs times (after a few
 * unmeasured runs to warm the page cache), each waited for.  0, or -1 with
 * err (cannot spawn, or cashbookctl failed). */
int ctl_run(const char *ctl_path, const char *socket_path, int runs,
    struct ctl_result *out, char *err, size_t errlen);

/* ---- the daemon's process (bench_proc.c) ---- */

/* CPU time (user + system, all threads) pid has used, in nanoseconds, at
 * the kernel's clock-tick resolution (10 ms at 100 Hz).  0, or -1 with
 * err. */
int proc_cpu_ns(pid_t pid, uint64_t *ns, char *err, size_t errlen);

/* How many CPUs' worth of work the whole machine did over the next ms
 * milliseconds (from /proc/stat), while we only sleep: other processes
 * competing with the figures.  0, or -1 with err. */
int proc_machine_busy(int ms, double *busy_cpus, char *err, size_t errlen);

/* VmRSS and VmHWM (peak) of pid in KiB.  0, or -1 with err. */
int proc_rss_read(pid_t pid, long *rss_kib, long *hwm_kib, char *err,
    size_t errlen);

/* Wait (up to timeout_ms) until the daemon counts at most max_open
 * connections besides the one asking.  0, or -1 with err. */
int proc_wait_quiet(const char *socket_path, int64_t max_open, int timeout_ms,
    char *err, size_t errlen);

struct many_result {
	int conns;		/* connections opened and pinged */
	long rss_kib;		/* daemon VmRSS with them all open */
	int64_t daemon_open;	/* connections.open as server.stats saw it */
	double open_ms;		/* wall time to connect and ping them all */
};

/* Make room for n more descriptors: raise the soft RLIMIT_NOFILE (up to
 * the hard one) when it is short.  0, or -1 with err. */
int proc_nofile_reserve(int n, char *err, size_t errlen);

/* Open n connections, ping on each, read the daemon's RSS, close them.
 * Raises RLIMIT_NOFILE to what is needed if the hard limit allows.  0, or
 * -1 with err. */
int proc_many_conns(const char *socket_path, pid_t pid, int n,
    struct many_result *out, char *err, size_t errlen);

#endif
