/*
 * bench.c -- cashbook-bench: options, the order of the measurements, and
 * the report (a table for people, or one JSON line with --json).
 *
 * Order matters: the idle RSS is read before any load, then the RSS with
 * 1,000 connections open; the socket cells come next; the in-process
 * SQLite baseline and the cashbookctl runs after; then the book figures
 * (bench_books.c), which fill books of up to --entries-max entries; the
 * idle RSS after all that last.  A measurement that
 * cannot be taken (no --db, no --ctl, no --pid, or an error) is reported
 * as missing; the exit status is then 1.  Slowness never fails the run:
 * figures that miss an aim are marked, that is all.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cashbook.h"

#include "bench.h"

/* The project's aims, which the report holds the figures to. */
#define AIM_READ_RATIO		0.33	/* socket reads at 8 conns / in-process */
#define AIM_CTL_MS		5.0	/* cashbookctl ping wall time */
#define AIM_RSS_IDLE_MIB	16.0
#define AIM_RSS_MANY_MIB	64.0

#define RATIO_CONNS		8	/* the cell the ratio is taken at */
#define QUIET_TIMEOUT_MS	10000
#define BUSY_SAMPLE_MS		500	/* how long to watch the machine idle */
#define BUSY_WARN_CPUS		0.2	/* more than this: say the figures suffer */

/* user.profile is the authenticated one-row read (token checked by the
 * dispatcher, then cached); auth.login hashes a password each time, so it
 * runs at depth 1 only. */
static const char *const methods[] = { "ping", "server.info",
    "user.profile", "auth.login" };
static const int conn_counts[] = { 1, 8, 64 };
#define NMETHODS	(sizeof methods / sizeof methods[0])
#define NCONNS		(sizeof conn_counts / sizeof conn_counts[0])
#define NDEPTHS		2	/* 1, and opts.depth */

struct opts {
	const char *socket_path, *db_path, *ctl_path;
	pid_t pid;		/* 0: no memory figures */
	double seconds, warmup_s;
	int threads, depth, ctl_runs, many, deep_pages;
	int64_t entries_max;
	bool sync_full, seed_socket;
	const char *only;	/* --only events|batch: that section alone */
	bool json;
};

struct cell {
	const char *method;
	int conns, depth;
	bool ok;
	struct load_result r;
};

struct report {
	char version[64];
	long ncpu;
	double busy_before, busy_after;	/* CPUs busy while we slept; < 0: ? */
	int64_t protocol;
	struct cell cells[NMETHODS * NCONNS * NDEPTHS];
	size_t ncells;

	bool sqlite_ok[2];
	double sqlite_rps[2];	/* 1 and 2 threads */

	bool ratio_ok;
	double ratio, ratio_num;
	int ratio_depth;

	bool ctl_ok;
	struct ctl_result ctl;

	bool rss_idle_ok, rss_after_ok, many_ok;
	long rss_idle_kib, rss_after_kib, hwm_after_kib;
	struct many_result many;

	struct books_report books;	/* sections 6 to 10 */
	struct events_report events;	/* section 11 */
	struct batch_report batch;	/* section 12 */

	int missing;		/* measurements that could not be taken */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: cashbook-bench --socket PATH [--db PATH] [--ctl PATH] [--pid PID]\n"
"                      [--seconds S] [--warmup S] [--threads N] [--depth N]\n"
"                      [--ctl-runs N] [--conns N] [--entries-max N]\n"
"                      [--deep-pages N] [--synchronous normal|full]\n"
"                      [--seed-over-socket] [--only events|batch]\n"
"                      [--json]\n"
"\n"
"Measure a running cashbookd.  Prints figures and how they compare with\n"
"the project's aims; never fails because something is slow.\n"
"\n"
"  --socket PATH   the daemon's socket (required)\n"
"  --db PATH       its database file, for the in-process figures (the\n"
"                  SQLite baseline, the daemon's handlers) and for filling\n"
"                  books fast while the daemon is idle\n"
"  --ctl PATH      cashbookctl, for the `cashbookctl ping` wall time\n"
"  --pid PID       the daemon's pid, for its CPU time and memory (VmRSS)\n"
"  --seconds S     measured time per cell (default 3)\n"
"  --warmup S      unmeasured time before each cell (default 0.5)\n"
"  --threads N     client threads driving the connections (default 2)\n"
"  --depth N       requests in flight per connection when pipelined\n"
"                  (default 32)\n"
"  --ctl-runs N    cashbookctl runs (default 50)\n"
"  --conns N       connections held open for the memory figure\n"
"                  (default 1000)\n"
"  --entries-max N entries in the largest book read (default 1000000);\n"
"                  books of 1000 and N/10 entries are read too\n"
"  --deep-pages N  entry.list pages to follow before the deep page\n"
"                  (default 200)\n"
"  --synchronous normal|full\n"
"                  the daemon's --synchronous, for the in-process\n"
"                  handlers (default normal, as scripts/bench runs it)\n"
"  --seed-over-socket  fill the books with entry.add requests even when\n"
"                  --db is given (slower)\n"
"  --only events   measure section 11 (live events) alone, for quick\n"
"                  comparisons while working on the fan-out\n"
"  --only batch    measure section 12 (entry.add_batch) alone\n"
"  --json          print one JSON line instead of the table\n"
"\n"
"Exit status: 0 when every figure was measured, 1 when some could not\n"
"be (the table says which), 2 for bad options.\n");
}

static int
opt_double(const char *name, const char *arg, double min, double max,
    double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(v >= min) ||
	    v > max) {
		fprintf(stderr, "cashbook-bench: --%s wants a number from %g "
		    "to %g\n", name, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
opt_int(const char *name, const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "cashbook-bench: --%s wants an integer from "
		    "%ld to %ld\n", name, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* 0, 1 after --help, -1 on a bad option. */
static int
opts_parse(int argc, char **argv, struct opts *o)
{
	enum { O_SOCKET = 256, O_DB, O_CTL, O_PID, O_SECONDS, O_WARMUP,
	    O_THREADS, O_DEPTH, O_CTL_RUNS, O_CONNS, O_ENTRIES_MAX,
	    O_DEEP_PAGES, O_SYNCHRONOUS, O_SEED_SOCKET, O_ONLY, O_JSON,
	    O_HELP };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "db", required_argument, NULL, O_DB },
		{ "ctl", required_argument, NULL, O_CTL },
		{ "pid", required_argument, NULL, O_PID },
		{ "seconds", required_argument, NULL, O_SECONDS },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "depth", required_argument, NULL, O_DEPTH },
		{ "ctl-runs", required_argument, NULL, O_CTL_RUNS },
		{ "conns", required_argument, NULL, O_CONNS },
		{ "entries-max", required_argument, NULL, O_ENTRIES_MAX },
		{ "deep-pages", required_argument, NULL, O_DEEP_PAGES },
		{ "synchronous", required_argument, NULL, O_SYNCHRONOUS },
		{ "seed-over-socket", no_argument, NULL, O_SEED_SOCKET },
		{ "only", required_argument, NULL, O_ONLY },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	long v;
	int c, rc = 0;

	memset(o, 0, sizeof *o);
	o->seconds = 3;
	o->warmup_s = 0.5;
	o->threads = 2;
	o->depth = 32;
	o->ctl_runs = 50;
	o->many = 1000;
	o->entries_max = 1000000;
	o->deep_pages = 200;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_SOCKET: o->socket_path = optarg; break;
		case O_DB: o->db_path = optarg; break;
		case O_CTL: o->ctl_path = optarg; break;
		case O_PID:
			if ((rc = opt_int("pid", optarg, 1, INT_MAX, &v)) == 0)
				o->pid = (pid_t)v;
			break;
		case O_SECONDS:
			rc = opt_double("seconds", optarg, 0.1, 3600,
			    &o->seconds);
			break;
		case O_WARMUP:
			rc = opt_double("warmup", optarg, 0, 3600,
			    &o->warmup_s);
			break;
		case O_THREADS:
			if ((rc = opt_int("threads", optarg, 1, 64, &v)) == 0)
				o->threads = (int)v;
			break;
		case O_DEPTH:
			/* The daemon stops reading a connection past 256. */
			if ((rc = opt_int("depth", optarg, 2, 256, &v)) == 0)
				o->depth = (int)v;
			break;
		case O_CTL_RUNS:
			if ((rc = opt_int("ctl-runs", optarg, 1, 100000,
			    &v)) == 0)
				o->ctl_runs = (int)v;
			break;
		case O_CONNS:
			if ((rc = opt_int("conns", optarg, 1, 1000000,
			    &v)) == 0)
				o->many = (int)v;
			break;
		case O_ENTRIES_MAX:
			if ((rc = opt_int("entries-max", optarg, 1000,
			    100000000, &v)) == 0)
				o->entries_max = v;
			break;
		case O_DEEP_PAGES:
			if ((rc = opt_int("deep-pages", optarg, 1, 100000,
			    &v)) == 0)
				o->deep_pages = (int)v;
			break;
		case O_SYNCHRONOUS:
			if (strcmp(optarg, "full") == 0)
				o->sync_full = true;
			else if (strcmp(optarg, "normal") == 0)
				o->sync_full = false;
			else {
				fprintf(stderr, "cashbook-bench: --synchronous "
				    "wants normal or full\n");
				rc = -1;
			}
			break;
		case O_SEED_SOCKET: o->seed_socket = true; break;
		case O_ONLY:
			if (strcmp(optarg, "events") != 0 &&
			    strcmp(optarg, "batch") != 0) {
				fprintf(stderr, "cashbook-bench: --only takes "
				    "events or batch\n");
				rc = -1;
			}
			o->only = optarg;
			break;
		case O_JSON: o->json = true; break;
		case O_HELP: usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
		if (rc != 0)
			return -1;
	}
	if (optind != argc || o->socket_path == NULL) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* ---- measuring ---- */

/* Progress goes to stderr, so stdout holds only the report. */
void
bench_progress(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("cashbook-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int
check_daemon(const struct opts *o, struct report *rep)
{
	struct cb_conn *c;
	struct cb_ping_info info;
	char why[256];

	if (cb_connect(o->socket_path, CB_DEFAULT_TIMEOUT_MS, &c, why,
	    sizeof why) != CB_OK) {
		fprintf(stderr, "cashbook-bench: cannot connect to %s: %s\n",
		    o->socket_path, why);
		return -1;
	}
	if (cb_ping(c, &info) != CB_OK) {
		fprintf(stderr, "cashbook-bench: ping: %s\n",
		    cb_error_message(c));
		cb_close(c);
		return -1;
	}
	snprintf(rep->version, sizeof rep->version, "%s", info.version);
	rep->protocol = info.protocol;
	cb_close(c);
	return 0;
}

/* Other processes' CPU use while we sleep: they steal from the figures. */
static void
measure_busy(double *busy)
{
	char err[256];

	if (proc_machine_busy(BUSY_SAMPLE_MS, busy, err, sizeof err) != 0) {
		bench_progress("%s", err);
		*busy = -1;
	}
}

/*
 * A user of our own for the authenticated cells: register (a name unique
 * to this run), log in, and build the params each cell sends (built once,
 * reused by every request).
 */
static int
auth_setup(const struct opts *o, struct cb_params **token,
    struct cb_params **login)
{
	struct fixture_user u;
	struct cb_conn *c;
	char why[256];
	int rc = -1;

	*token = *login = NULL;
	if (cb_connect(o->socket_path, CB_DEFAULT_TIMEOUT_MS, &c, why,
	    sizeof why) != CB_OK) {
		bench_progress("auth cells: cannot connect: %s", why);
		return -1;
	}
	if (fixture_user_new(c, "auth", &u, why, sizeof why) != 0)
		bench_progress("auth cells: %s", why);
	else if ((*token = fixture_params_token(&u)) == NULL ||
	    (*login = fixture_params_login(&u)) == NULL)
		bench_progress("auth cells: out of memory");
	else
		rc = 0;
	if (rc != 0) {
		cb_params_free(*token);
		cb_params_free(*login);
		*token = *login = NULL;
	}
	explicit_bzero(&u, sizeof u);
	cb_close(c);
	return rc;
}

static void
measure_load(const struct opts *o, struct report *rep)
{
	struct load_cell lc = {
		.socket_path = o->socket_path,
		.threads = o->threads,
		.warmup_s = o->warmup_s,
		.seconds = o->seconds,
		.daemon_pid = o->pid,
	};
	const int depths[NDEPTHS] = { 1, o->depth };
	struct cb_params *token = NULL, *login = NULL;
	char err[512];

	if (auth_setup(o, &token, &login) != 0)
		rep->missing++;
	for (size_t m = 0; m < NMETHODS; m++) {
		bool is_login = strcmp(methods[m], "auth.login") == 0;

		lc.params = NULL;
		if (strcmp(methods[m], "user.profile") == 0)
			lc.params = token;
		else if (is_login)
			lc.params = login;
		if ((strncmp(methods[m], "user.", 5) == 0 || is_login) &&
		    lc.params == NULL)
			continue;
		for (size_t k = 0; k < NCONNS; k++) {
			for (size_t d = 0; d < NDEPTHS; d++) {
				struct cell *c;

				/* Logins are CPU-bound hashing: one depth
				 * and few connections say it all. */
				if (is_login && (d > 0 || conn_counts[k] > 8))
					continue;
				c = &rep->cells[rep->ncells++];
				c->method = lc.method = methods[m];
				c->conns = lc.conns = conn_counts[k];
				c->depth = lc.depth = depths[d];
				if (load_run(&lc, &c->r, err, sizeof err)) {
					bench_progress("%s, %d conns, %d in "
					    "flight: %s", c->method, c->conns,
					    c->depth, err);
					rep->missing++;
					continue;
				}
				c->ok = true;
				bench_progress("%-11s %2d conns, %2d in flight "
				    "each: %.0f requests/s", c->method,
				    c->conns, c->depth, c->r.rps);
			}
		}
	}
	cb_params_free(token);
	cb_params_free(login);
}

static void
measure_sqlite(const struct opts *o, struct report *rep)
{
	char err[512];

	if (o->db_path == NULL) {
		rep->missing++;
		return;
	}
	for (int t = 1; t <= 2; t++) {
		if (sqlite_run(o->db_path, t, o->warmup_s, o->seconds,
		    &rep->sqlite_rps[t - 1], err, sizeof err) != 0) {
			bench_progress("in-process SQLite, %d threads: %s", t,
			    err);
			rep->missing++;
			continue;
		}
		rep->sqlite_ok[t - 1] = true;
		bench_progress("in-process SQLite, %d thread%s: %.0f reads/s", t,
		    t == 1 ? "" : "s", rep->sqlite_rps[t - 1]);
	}
}

/* server.info at RATIO_CONNS connections, the better of its two cells,
 * over the in-process single-thread rate. */
static void
compute_ratio(struct report *rep)
{
	rep->ratio_num = 0;
	for (size_t i = 0; i < rep->ncells; i++) {
		const struct cell *c = &rep->cells[i];

		if (c->ok && strcmp(c->method, "server.info") == 0 &&
		    c->conns == RATIO_CONNS && c->r.rps > rep->ratio_num) {
			rep->ratio_num = c->r.rps;
			rep->ratio_depth = c->depth;
		}
	}
	if (rep->ratio_num > 0 && rep->sqlite_ok[0] && rep->sqlite_rps[0] > 0) {
		rep->ratio = rep->ratio_num / rep->sqlite_rps[0];
		rep->ratio_ok = true;
	}
}

static void
measure_ctl(const struct opts *o, struct report *rep)
{
	char err[512];

	if (o->ctl_path == NULL) {
		rep->missing++;
		return;
	}
	if (ctl_run(o->ctl_path, o->socket_path, o->ctl_runs, &rep->ctl, err,
	    sizeof err) != 0) {
		bench_progress("cashbookctl ping: %s", err);
		rep->missing++;
		return;
	}
	rep->ctl_ok = true;
	bench_progress("cashbookctl ping: p50 %.2f ms", rep->ctl.p50_ms);
}

/* The options the book figures take from ours. */
static struct books_opts
books_opts_from(const struct opts *o)
{
	return (struct books_opts){
		.socket_path = o->socket_path,
		.db_path = o->db_path,
		.pid = o->pid,
		.seconds = o->seconds,
		.warmup_s = o->warmup_s,
		.threads = o->threads,
		.depth = o->depth,
		.entries_max = o->entries_max,
		.deep_pages = o->deep_pages,
		.sync_full = o->sync_full,
		.seed_socket = o->seed_socket,
	};
}

static void
measure_books(const struct opts *o, struct report *rep)
{
	struct books_opts bo = books_opts_from(o);

	books_measure(&bo, &rep->books);
	rep->missing += rep->books.missing;
}

static void
measure_events(const struct opts *o, struct report *rep)
{
	struct events_opts eo = {
		.socket_path = o->socket_path,
		.pid = o->pid,
		.seconds = o->seconds,
		.warmup_s = o->warmup_s,
		.threads = o->threads,
	};

	events_measure(&eo, &rep->events);
	rep->missing += rep->events.missing;
}

static void
measure_batch(const struct opts *o, struct report *rep)
{
	struct batch_opts bo = {
		.socket_path = o->socket_path,
		.db_path = o->db_path,
		.sync_full = o->sync_full,
		.seconds = o->seconds,
	};

	batch_measure(&bo, &rep->batch);
	rep->missing += rep->batch.missing;
}

static bool
only(const struct opts *o, const char *section)
{
	return o->only != NULL && strcmp(o->only, section) == 0;
}

static void
measure_rss_idle(const struct opts *o, struct report *rep)
{
	char err[512];
	long hwm;

	if (o->pid == 0) {
		rep->missing++;
		return;
	}
	if (proc_rss_read(o->pid, &rep->rss_idle_kib, &hwm, err, sizeof err)) {
		bench_progress("idle RSS: %s", err);
		rep->missing++;
		return;
	}
	rep->rss_idle_ok = true;
}

static void
measure_rss_after(const struct opts *o, struct report *rep)
{
	char err[512];

	if (o->pid == 0) {
		rep->missing++;
		return;
	}
	/* The load's connections may still be closing in the daemon. */
	if (proc_wait_quiet(o->socket_path, 0, QUIET_TIMEOUT_MS, err,
	    sizeof err) != 0) {
		bench_progress("waiting for the daemon to go idle: %s", err);
		rep->missing++;
		return;
	}
	if (proc_rss_read(o->pid, &rep->rss_after_kib, &rep->hwm_after_kib, err,
	    sizeof err) != 0) {
		bench_progress("RSS after load: %s", err);
		rep->missing++;
	} else
		rep->rss_after_ok = true;
}

/*
 * RSS with many connections open, measured before the load: afterwards
 * the daemon's malloc holds memory the load used (the password hashes'
 * 19 MiB each among it), which says nothing about connections.
 */
static void
measure_rss_many(const struct opts *o, struct report *rep)
{
	char err[512];

	if (o->pid == 0) {
		rep->missing++;
		return;
	}
	if (proc_many_conns(o->socket_path, o->pid, o->many, &rep->many, err,
	    sizeof err) != 0) {
		bench_progress("RSS with %d connections: %s", o->many, err);
		rep->missing++;
		return;
	}
	rep->many_ok = true;
}

/* ---- the report ---- */

const char *
bench_fmt_count(char *buf, size_t len, double v)
{
	char digits[32], *p = buf;
	int n, lead;

	n = snprintf(digits, sizeof digits, "%.0f", v < 0 ? 0 : v);
	if (n < 0 || (size_t)n >= sizeof digits || (size_t)n + (size_t)n / 3
	    >= len) {
		snprintf(buf, len, "%.0f", v);
		return buf;
	}
	lead = n % 3 == 0 ? 3 : n % 3;
	for (int i = 0; i < n; i++) {
		if (i > 0 && (i - lead) % 3 == 0)
			*p++ = ',';
		*p++ = digits[i];
	}
	*p = '\0';
	return buf;
}

static double
mib(long kib)
{
	return (double)kib / 1024.0;
}

static const char *
verdict(bool met)
{
	return met ? "met" : "MISSED";
}

static void
print_table(const struct opts *o, const struct report *rep)
{
	struct books_opts books_opts = books_opts_from(o);
	char a[32], b[32];

	printf("cashbook-bench: cashbookd %s (protocol %lld) on %s\n",
	    rep->version, (long long)rep->protocol, o->socket_path);
	printf("%.1f s measured per cell after %.1f s warm-up; %d client "
	    "thread%s; pipelined = %d requests in flight per connection\n",
	    o->seconds, o->warmup_s, o->threads, o->threads == 1 ? "" : "s",
	    o->depth);
	printf("machine: %ld CPUs; busy with other work while we were idle: "
	    "%.2f CPUs before, %.2f CPUs after\n", rep->ncpu,
	    rep->busy_before, rep->busy_after);
	if (rep->busy_before > BUSY_WARN_CPUS ||
	    rep->busy_after > BUSY_WARN_CPUS)
		printf("WARNING: other processes were using the CPUs; every "
		    "figure below is lower than the daemon can do\n");
	printf("\n");

	printf("1. RPC over the socket (latency per request, send to "
	    "receive)\n");
	printf("   %-11s  %5s  %9s  %11s  %8s  %8s  %8s  %6s  %8s  %10s"
	    "  %8s\n", "", "", "in flight", "", "", "", "", "", "daemon",
	    "daemon", "client");
	/* "µ" is two bytes of UTF-8 but one column: widths + 1. */
	printf("   %-11s  %5s  %9s  %11s  %9s  %9s  %9s  %6s  %8s  %11s"
	    "  %8s\n", "method", "conns", "per conn", "requests/s",
	    "p50 µs", "p99 µs", "max µs", "errors", "CPU %", "CPU µs/req",
	    "CPU %");
	for (size_t i = 0; i < rep->ncells; i++) {
		const struct cell *c = &rep->cells[i];

		if (!c->ok) {
			printf("   %-11s  %5d  %9d  (not measured: see "
			    "stderr)\n", c->method, c->conns, c->depth);
			continue;
		}
		printf("   %-11s  %5d  %9d  %11s  %8.1f  %8.1f  %8.1f  %6llu",
		    c->method, c->conns, c->depth,
		    bench_fmt_count(a, sizeof a, c->r.rps), c->r.lat.p50_us,
		    c->r.lat.p99_us, c->r.lat.max_us,
		    (unsigned long long)c->r.errors);
		if (c->r.daemon_cpu_pct >= 0)
			printf("  %8.0f  %10.2f", c->r.daemon_cpu_pct,
			    c->r.daemon_cpu_us_per_req);
		else
			printf("  %8s  %10s", "-", "-");
		printf("  %8.0f%s\n", c->r.client_cpu_pct, c->r.stalls > 0 ?
		    "  (poll stalls!)" : "");
	}

	printf("\n2. The same one-row read in-process, straight on SQLite "
	    "(the physical limit)\n");
	printf("   %s\n", BENCH_READ_SQL);
	printf("   threads      reads/s\n");
	for (int t = 0; t < 2; t++) {
		if (rep->sqlite_ok[t])
			printf("   %7d  %11s\n", t + 1, bench_fmt_count(a, sizeof a,
			    rep->sqlite_rps[t]));
		else
			printf("   %7d  (not measured%s)\n", t + 1,
			    o->db_path == NULL ? ": no --db" : "");
	}

	printf("\n3. Socket read rate / in-process read rate\n");
	if (rep->ratio_ok)
		printf("   server.info at %d connections, best (%s: %s "
		    "requests/s)\n   / in-process, 1 thread (%s reads/s)\n"
		    "   = %.3f   aim >= %.2f   %s", RATIO_CONNS,
		    rep->ratio_depth == 1 ? "not pipelined" : "pipelined",
		    bench_fmt_count(a, sizeof a, rep->ratio_num),
		    bench_fmt_count(b, sizeof b, rep->sqlite_rps[0]), rep->ratio,
		    AIM_READ_RATIO, verdict(rep->ratio >= AIM_READ_RATIO));
	else
		printf("   (not measured)");
	if (rep->ratio_ok && rep->ratio < AIM_READ_RATIO)
		printf(" (%.1fx short: needs %s requests/s)",
		    AIM_READ_RATIO / rep->ratio, bench_fmt_count(a, sizeof a,
		    AIM_READ_RATIO * rep->sqlite_rps[0]));
	printf("\n");

	printf("\n4. cashbookctl --socket PATH ping, wall time (spawn to "
	    "exit)\n");
	if (rep->ctl_ok)
		printf("   %d runs: mean %.2f ms   p50 %.2f ms   p99 %.2f ms   "
		    "max %.2f ms\n   aim < %.0f ms: mean %s, p99 %s\n",
		    rep->ctl.runs, rep->ctl.mean_ms, rep->ctl.p50_ms,
		    rep->ctl.p99_ms, rep->ctl.max_ms, AIM_CTL_MS,
		    verdict(rep->ctl.mean_ms < AIM_CTL_MS),
		    verdict(rep->ctl.p99_ms < AIM_CTL_MS));
	else
		printf("   (not measured%s)\n", o->ctl_path == NULL ?
		    ": no --ctl" : "");

	printf("\n5. cashbookd memory (VmRSS");
	if (o->pid != 0)
		printf(" of pid %ld", (long)o->pid);
	printf(")\n");
	if (rep->rss_idle_ok)
		printf("   idle, before any load         %7.1f MiB   aim < "
		    "%.0f MiB   %s\n", mib(rep->rss_idle_kib),
		    AIM_RSS_IDLE_MIB,
		    verdict(mib(rep->rss_idle_kib) < AIM_RSS_IDLE_MIB));
	else
		printf("   idle, before any load         (not measured)\n");
	if (rep->many_ok)
		printf("   %5d connections open        %7.1f MiB   aim < "
		    "%.0f MiB   %s\n   (server.stats counted %lld open; "
		    "connecting and pinging them took %.0f ms)\n",
		    rep->many.conns, mib(rep->many.rss_kib), AIM_RSS_MANY_MIB,
		    verdict(mib(rep->many.rss_kib) < AIM_RSS_MANY_MIB),
		    (long long)rep->many.daemon_open, rep->many.open_ms);
	else
		printf("   %5d connections open        (not measured)\n",
		    o->many);
	if (rep->rss_after_ok)
		printf("   idle, after the load          %7.1f MiB   (peak "
		    "VmHWM so far %.1f MiB)\n", mib(rep->rss_after_kib),
		    mib(rep->hwm_after_kib));
	books_print_table(&books_opts, &rep->books);
	events_print_table(&rep->events);
	batch_print_table(&rep->batch);
	if (rep->missing > 0)
		printf("\n%d figure%s could not be measured.\n", rep->missing,
		    rep->missing == 1 ? "" : "s");
}

/* JSON has no NaN and our strings are paths and versions: escape the
 * few characters that need it. */
static void
json_str(const char *s)
{
	putchar('"');
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
print_json(const struct opts *o, const struct report *rep)
{
	struct books_opts books_opts = books_opts_from(o);

	printf("{\"version\":");
	json_str(rep->version);
	printf(",\"socket\":");
	json_str(o->socket_path);
	printf(",\"seconds\":%g,\"warmup_s\":%g,\"client_threads\":%d,"
	    "\"cpus\":%ld,\"other_busy_cpus_before\":%.2f,"
	    "\"other_busy_cpus_after\":%.2f,\"rpc\":[", o->seconds,
	    o->warmup_s, o->threads, rep->ncpu, rep->busy_before,
	    rep->busy_after);
	for (size_t i = 0; i < rep->ncells; i++) {
		const struct cell *c = &rep->cells[i];

		printf("%s{\"method\":\"%s\",\"conns\":%d,\"in_flight_per_conn"
		    "\":%d", i > 0 ? "," : "", c->method, c->conns, c->depth);
		if (c->ok)
			printf(",\"requests_per_s\":%.0f,\"p50_us\":%.1f,"
			    "\"p99_us\":%.1f,\"max_us\":%.1f,\"errors\":%llu,"
			    "\"stalls\":%llu,\"client_cpu_pct\":%.1f", c->r.rps,
			    c->r.lat.p50_us, c->r.lat.p99_us, c->r.lat.max_us,
			    (unsigned long long)c->r.errors,
			    (unsigned long long)c->r.stalls,
			    c->r.client_cpu_pct);
		if (c->ok && c->r.daemon_cpu_pct >= 0)
			printf(",\"daemon_cpu_pct\":%.1f,\"daemon_cpu_us_per_req"
			    "\":%.3f}", c->r.daemon_cpu_pct,
			    c->r.daemon_cpu_us_per_req);
		else if (c->ok)
			printf("}");
		else
			printf(",\"requests_per_s\":null}");
	}
	printf("],\"sqlite_reads_per_s\":{");
	for (int t = 0; t < 2; t++) {
		printf("%s\"threads_%d\":", t > 0 ? "," : "", t + 1);
		if (rep->sqlite_ok[t])
			printf("%.0f", rep->sqlite_rps[t]);
		else
			printf("null");
	}
	printf("},\"read_ratio\":");
	if (rep->ratio_ok)
		printf("{\"value\":%.4f,\"aim_min\":%.2f,\"met\":%s}",
		    rep->ratio, AIM_READ_RATIO,
		    rep->ratio >= AIM_READ_RATIO ? "true" : "false");
	else
		printf("null");
	printf(",\"ctl_ping_ms\":");
	if (rep->ctl_ok)
		printf("{\"runs\":%d,\"mean\":%.3f,\"p50\":%.3f,\"p99\":%.3f,"
		    "\"max\":%.3f,\"aim_max\":%.0f,\"mean_met\":%s,\"p99_met\":%s}",
		    rep->ctl.runs, rep->ctl.mean_ms, rep->ctl.p50_ms,
		    rep->ctl.p99_ms, rep->ctl.max_ms, AIM_CTL_MS,
		    rep->ctl.mean_ms < AIM_CTL_MS ? "true" : "false",
		    rep->ctl.p99_ms < AIM_CTL_MS ? "true" : "false");
	else
		printf("null");
	printf(",\"rss_kib\":{\"idle\":");
	if (rep->rss_idle_ok)
		printf("%ld", rep->rss_idle_kib);
	else
		printf("null");
	printf(",\"with_conns\":");
	if (rep->many_ok)
		printf("%ld,\"conns\":%d", rep->many.rss_kib, rep->many.conns);
	else
		printf("null");
	printf(",\"after_load\":");
	if (rep->rss_after_ok)
		printf("%ld,\"peak\":%ld", rep->rss_after_kib,
		    rep->hwm_after_kib);
	else
		printf("null");
	printf(",\"aim_idle_max_kib\":%.0f,\"aim_with_conns_max_kib\":%.0f}",
	    AIM_RSS_IDLE_MIB * 1024, AIM_RSS_MANY_MIB * 1024);
	books_print_json(&books_opts, &rep->books);
	events_print_json(&rep->events);
	batch_print_json(&rep->batch);
	printf(",\"missing\":%d}\n", rep->missing);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct report *rep;
	int rc;

	if ((rc = opts_parse(argc, argv, &o)) != 0)
		return rc > 0 ? 0 : 2;
	if ((rep = calloc(1, sizeof *rep)) == NULL) {
		fprintf(stderr, "cashbook-bench: out of memory\n");
		return 1;
	}
	if (check_daemon(&o, rep) != 0) {
		free(rep);
		return 1;
	}
	rep->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (only(&o, "events")) {
		measure_events(&o, rep);
	} else if (only(&o, "batch")) {
		measure_batch(&o, rep);
	} else {
		measure_busy(&rep->busy_before);
		measure_rss_idle(&o, rep);
		measure_rss_many(&o, rep);
		measure_load(&o, rep);
		measure_sqlite(&o, rep);
		compute_ratio(rep);
		measure_ctl(&o, rep);
		measure_books(&o, rep);
		measure_events(&o, rep);
		measure_batch(&o, rep);
		measure_rss_after(&o, rep);
		measure_busy(&rep->busy_after);
	}

	if (o.only != NULL && o.json) {
		/* The sections' print_json write keys, each after a comma. */
		printf("{\"only\":\"%s\"", o.only);
		if (only(&o, "events"))
			events_print_json(&rep->events);
		else
			batch_print_json(&rep->batch);
		printf("}\n");
	} else if (only(&o, "events")) {
		events_print_table(&rep->events);
	} else if (only(&o, "batch")) {
		batch_print_table(&rep->batch);
	} else if (o.json) {
		print_json(&o, rep);
	} else {
		print_table(&o, rep);
	}
	rc = rep->missing > 0 ? 1 : 0;
	free(rep);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "cashbook-bench: writing the report: %s\n",
		    strerror(errno));
		return 1;
	}
	return rc;
}
