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
	int conns;		/* connections, each its own cb_conn */
	int depth;		/* requests in flight per connection */
	int threads;		/* client threads sharing the connections */
	double warmup_s, seconds;
	pid_t daemon_pid;	/* 0: no CPU figures for the daemon */
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

/* Open n connections, ping on each, read the daemon's RSS, close them.
 * Raises RLIMIT_NOFILE to what is needed if the hard limit allows.  0, or
 * -1 with err. */
int proc_many_conns(const char *socket_path, pid_t pid, int n,
    struct many_result *out, char *err, size_t errlen);

#endif
