/*
 * bench_proc.c -- what /proc tells about the daemon: its CPU time (to
 * say what one request costs it, whatever the client costs), and its
 * resident memory (VmRSS in /proc/PID/status), idle and with many
 * connections open.
 *
 * "With N connections" means: N connections opened and each used once
 * (one ping, so the daemon has really set it up, buffers and all), all
 * still open when the figure is read.  server.stats on one of them
 * confirms the daemon counts them all.  Needs N file descriptors here, so
 * RLIMIT_NOFILE's soft limit is raised towards the hard one when short.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cashbook.h"

#include "bench.h"

/* Descriptors we may hold besides the N connections (stdio, sqlite, ...). */
#define PROC_SPARE_FDS		64
#define PROC_TIMEOUT_MS		CB_DEFAULT_TIMEOUT_MS
#define PROC_QUIET_POLL_MS	50

int
proc_cpu_ns(pid_t pid, uint64_t *ns, char *err, size_t errlen)
{
	char path[64], buf[1024], *p;
	unsigned long long utime, stime;
	long hz;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof buf - 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		return -1;
	}
	fclose(f);	/* read-only: nothing to lose on close */
	buf[n] = '\0';
	/* The command name (field 2) is in parentheses and may hold spaces
	 * and parentheses itself: fields 3 on start after the last ')'.
	 * utime and stime are fields 14 and 15. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*c %*d %*d "
	    "%*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) {
		snprintf(err, errlen, "%s: cannot parse", path);
		return -1;
	}
	if ((hz = sysconf(_SC_CLK_TCK)) <= 0) {
		snprintf(err, errlen, "sysconf(_SC_CLK_TCK) failed");
		return -1;
	}
	*ns = (utime + stime) * (BENCH_NS_PER_S / (uint64_t)hz);
	return 0;
}

/* The aggregate "cpu" line of /proc/stat: busy and total jiffies. */
static int
proc_stat_jiffies(unsigned long long *busy, unsigned long long *total,
    char *err, size_t errlen)
{
	unsigned long long v[8] = { 0 };
	FILE *f;
	int n;

	if ((f = fopen("/proc/stat", "r")) == NULL) {
		snprintf(err, errlen, "/proc/stat: %s", strerror(errno));
		return -1;
	}
	/* user nice system idle iowait irq softirq steal */
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);	/* read-only: nothing to lose on close */
	if (n < 4) {
		snprintf(err, errlen, "/proc/stat: cannot parse");
		return -1;
	}
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4];
	return 0;
}

int
proc_machine_busy(int ms, double *busy_cpus, char *err, size_t errlen)
{
	unsigned long long b0, t0, b1, t1;
	long ncpu;

	if ((ncpu = sysconf(_SC_NPROCESSORS_ONLN)) < 1) {
		snprintf(err, errlen, "sysconf(_SC_NPROCESSORS_ONLN) failed");
		return -1;
	}
	if (proc_stat_jiffies(&b0, &t0, err, errlen) != 0)
		return -1;
	(void)poll(NULL, 0, ms);	/* a sleep */
	if (proc_stat_jiffies(&b1, &t1, err, errlen) != 0)
		return -1;
	*busy_cpus = t1 > t0 ? (double)ncpu * (double)(b1 - b0) /
	    (double)(t1 - t0) : 0;
	return 0;
}

/* Read "Key:   1234 kB" from a /proc status file. */
static int
proc_status_field(const char *line, const char *key, long *out)
{
	size_t klen = strlen(key);
	char *end;
	long v;

	if (strncmp(line, key, klen) != 0 || line[klen] != ':')
		return 0;
	errno = 0;
	v = strtol(line + klen + 1, &end, 10);
	if (errno != 0 || end == line + klen + 1)
		return -1;
	*out = v;
	return 1;
}

int
proc_rss_read(pid_t pid, long *rss_kib, long *hwm_kib, char *err, size_t errlen)
{
	char path[64], line[256];
	FILE *f;
	long rss = -1, hwm = -1;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (proc_status_field(line, "VmRSS", &rss) < 0 ||
		    proc_status_field(line, "VmHWM", &hwm) < 0) {
			snprintf(err, errlen, "%s: cannot parse \"%.40s\"",
			    path, line);
			fclose(f);
			return -1;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		return -1;
	}
	fclose(f);	/* read-only: nothing to lose on close */
	if (rss < 0 || hwm < 0) {
		snprintf(err, errlen, "%s: no VmRSS/VmHWM (a kernel thread, "
		    "or a zombie?)", path);
		return -1;
	}
	*rss_kib = rss;
	*hwm_kib = hwm;
	return 0;
}

int
proc_wait_quiet(const char *socket_path, int64_t max_open, int timeout_ms,
    char *err, size_t errlen)
{
	struct cb_conn *c;
	struct cb_stats st;
	char why[256];
	uint64_t deadline = bench_now_ns() +
	    (uint64_t)timeout_ms * 1000000ull;
	int rc;

	rc = cb_connect(socket_path, PROC_TIMEOUT_MS, &c, why, sizeof why);
	if (rc != CB_OK) {
		snprintf(err, errlen, "connect %s: %s", socket_path, why);
		return -1;
	}
	for (;;) {
		if ((rc = cb_stats(c, &st)) != CB_OK) {
			snprintf(err, errlen, "server.stats: %s",
			    cb_error_message(c));
			break;
		}
		/* The daemon counts the connection asking too. */
		if (st.connections.open - 1 <= max_open)
			break;
		if (bench_now_ns() >= deadline) {
			snprintf(err, errlen, "the daemon still counts %lld "
			    "other connections after %d ms",
			    (long long)(st.connections.open - 1), timeout_ms);
			rc = -1;
			break;
		}
		(void)poll(NULL, 0, PROC_QUIET_POLL_MS);	/* a sleep */
	}
	cb_close(c);
	return rc == CB_OK ? 0 : -1;
}

int
proc_nofile_reserve(int n, char *err, size_t errlen)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)n + PROC_SPARE_FDS;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(err, errlen, "getrlimit: %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
			snprintf(err, errlen, "RLIMIT_NOFILE hard limit %llu "
			    "is below the %llu descriptors needed",
			    (unsigned long long)rl.rlim_max,
			    (unsigned long long)need);
			return -1;
		}
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			snprintf(err, errlen, "setrlimit: %s",
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
proc_many_conns(const char *socket_path, pid_t pid, int n,
    struct many_result *out, char *err, size_t errlen)
{
	struct cb_conn **conns;
	struct cb_ping_info info;
	struct cb_stats st;
	char why[256];
	long hwm;
	uint64_t t0;
	int opened = 0, rc, result = -1;

	memset(out, 0, sizeof *out);
	if (n < 1) {
		snprintf(err, errlen, "connections must be >= 1");
		return -1;
	}
	if (proc_nofile_reserve(n, err, errlen) != 0)
		return -1;
	if ((conns = calloc((size_t)n, sizeof *conns)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t0 = bench_now_ns();
	for (; opened < n; opened++) {
		rc = cb_connect(socket_path, PROC_TIMEOUT_MS, &conns[opened],
		    why, sizeof why);
		if (rc != CB_OK) {
			snprintf(err, errlen, "connection %d of %d: %s",
			    opened + 1, n, why);
			goto out;
		}
		if (cb_ping(conns[opened], &info) != CB_OK) {
			/* "too many clients" lands here, after connect. */
			snprintf(err, errlen, "ping on connection %d of %d: "
			    "%s", opened + 1, n,
			    cb_error_message(conns[opened]));
			opened++;	/* close it too */
			goto out;
		}
	}
	out->open_ms = (double)(bench_now_ns() - t0) / 1e6;
	if (cb_stats(conns[0], &st) != CB_OK) {
		snprintf(err, errlen, "server.stats: %s",
		    cb_error_message(conns[0]));
		goto out;
	}
	if (proc_rss_read(pid, &out->rss_kib, &hwm, err, errlen) != 0)
		goto out;
	out->conns = n;
	out->daemon_open = st.connections.open;
	result = 0;
out:
	for (int i = 0; i < opened; i++)
		cb_close(conns[i]);
	free(conns);
	return result;
}
