/*
 * bench_load.c -- requests/s and latency of one method over cashbookd's
 * socket, from N connections, with and without pipelining.
 *
 * A few client threads (two by default: the machine this was written for
 * has two cores, and 64 client threads would mostly measure the
 * scheduler) each drive a share of the connections with poll() on cb_fd().
 * Every connection runs closed-loop batches of `depth` requests: send the
 * batch with cb_send, and once the socket is readable cb_recv all of it
 * (in whatever order the answers come), then send the next.  depth 1 is
 * "no pipelining": one request in flight per connection.  depth > 1 is
 * redis-benchmark's -P: the batch is on the wire before the first answer
 * is read.
 *
 * Why whole batches rather than a sliding window: libcashbook reads ahead
 * into its own buffer, so after one cb_recv further answers may already sit
 * in the library where poll() cannot see them.  Receiving every answer a
 * connection owes before polling it again means nothing is ever left
 * buffered behind poll's back.  (Should an answer still be missed, a poll
 * timeout wakes every connection; such wakes are counted as "stalls" and
 * reported, they should stay 0.)
 *
 * Latency is per request, from just before its cb_send to just after
 * cb_recv returned it, on CLOCK_MONOTONIC; it includes the time a
 * request's answer waited for the client thread, which is what a user of
 * the library would see too.  Only requests sent after the warm-up and
 * answered before the end count; the requests still in flight at the end
 * are received and dropped before the connections are closed.
 *
 * While the client threads run, the main thread sleeps to the edges of the
 * measured window and reads the CPU time used there: ours (getrusage) and,
 * given its pid, the daemon's.  The daemon's CPU per request is the figure
 * to optimise, and it does not depend on how well the client scales; the
 * client's share says how much of the two cores the load generator took
 * from the daemon.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cashbook.h"

#include "bench.h"

/* Longer than any answer should take: a slower one means the daemon is
 * stuck, and the cell fails instead of hanging. */
#define LOAD_TIMEOUT_MS		CB_DEFAULT_TIMEOUT_MS
/* poll() wait after which every connection is looked at anyway. */
#define LOAD_POLL_MS		200

struct load_conn {
	struct cb_conn *conn;
	const struct cb_params *params;	/* what this connection sends */
	int inflight;		/* answers still owed for this batch */
	uint32_t *msgid;	/* [depth] of this batch */
	uint64_t *sent_ns;	/* [depth]; 0 once answered */
	bool done;		/* past the end and drained */
};

struct load_thread {
	const struct load_cell *cell;
	struct load_conn *conns;	/* this thread's share */
	int nconns;
	uint64_t t_measure, t_end;

	struct samples lat;
	uint64_t responses, errors, stalls;
	char first_error[128];		/* the first error answer, for the report */

	pthread_t tid;
	int failed;
	char err[256];
};

static int
load_fail(struct load_thread *t, const char *fmt, const char *what,
    const char *why)
{
	t->failed = 1;
	snprintf(t->err, sizeof t->err, fmt, what, why);
	return -1;
}

static int
load_send_batch(struct load_thread *t, struct load_conn *c)
{
	const struct load_cell *cell = t->cell;
	int rc;

	for (int i = 0; i < cell->depth; i++) {
		c->sent_ns[i] = bench_now_ns();
		rc = cb_send(c->conn, cell->method, c->params, &c->msgid[i]);
		if (rc != CB_OK)
			return load_fail(t, "cb_send %s: %s", cell->method,
			    cb_error_message(c->conn));
		c->inflight++;
	}
	return 0;
}

/* Receive every answer the batch still owes, counting the ones that fall
 * in the measured window. */
static int
load_recv_batch(struct load_thread *t, struct load_conn *c)
{
	const struct load_cell *cell = t->cell;
	struct cb_reply *r;
	uint64_t now, sent;
	uint32_t id;
	const char *code;
	int i, rc;

	while (c->inflight > 0) {
		rc = cb_recv(c->conn, &r);
		now = bench_now_ns();
		if (rc != CB_OK)
			return load_fail(t, "cb_recv %s: %s", cell->method,
			    cb_error_message(c->conn));
		id = cb_reply_msgid(r);
		for (i = 0; i < cell->depth; i++) {
			if (c->sent_ns[i] != 0 && c->msgid[i] == id)
				break;
		}
		code = cb_reply_error_code(r);
		if (code != NULL && t->first_error[0] == '\0')
			snprintf(t->first_error, sizeof t->first_error,
			    "%s: %s", code, cb_reply_error_message(r));
		cb_reply_free(r);
		if (i == cell->depth)
			return load_fail(t, "%s: %s", cell->method,
			    "answer to a request never sent");
		sent = c->sent_ns[i];
		c->sent_ns[i] = 0;
		c->inflight--;

		if (now < t->t_measure || now > t->t_end)
			continue;
		t->responses++;
		if (code != NULL)
			t->errors++;
		if (sent >= t->t_measure && samples_add(&t->lat, now - sent))
			return load_fail(t, "%s: %s", "latency samples",
			    "out of memory");
	}
	return 0;
}

static void *
load_thread_main(void *arg)
{
	struct load_thread *t = arg;
	struct pollfd *pfd;
	int *which, k, n, left = t->nconns;

	pfd = calloc((size_t)t->nconns, sizeof *pfd);
	which = calloc((size_t)t->nconns, sizeof *which);
	if (pfd == NULL || which == NULL) {
		load_fail(t, "%s: %s", "poll set", "out of memory");
		goto out;
	}
	for (int i = 0; i < t->nconns; i++) {
		if (load_send_batch(t, &t->conns[i]) != 0)
			goto out;
	}
	while (left > 0) {
		k = 0;
		for (int i = 0; i < t->nconns; i++) {
			if (t->conns[i].done)
				continue;
			pfd[k].fd = cb_fd(t->conns[i].conn);
			pfd[k].events = POLLIN;
			pfd[k].revents = 0;
			which[k++] = i;
		}
		n = poll(pfd, (nfds_t)k, LOAD_POLL_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			load_fail(t, "%s: %s", "poll", strerror(errno));
			goto out;
		}
		if (n == 0)
			t->stalls++;
		for (int j = 0; j < k; j++) {
			struct load_conn *c = &t->conns[which[j]];

			if (n > 0 && pfd[j].revents == 0)
				continue;
			if (load_recv_batch(t, c) != 0)
				goto out;
			if (bench_now_ns() < t->t_end) {
				if (load_send_batch(t, c) != 0)
					goto out;
			} else {
				c->done = true;
				left--;
			}
		}
	}
out:
	free(pfd);
	free(which);
	return NULL;
}

/* Sleep until the CLOCK_MONOTONIC instant ns. */
static void
load_sleep_until(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / BENCH_NS_PER_S),
		.tv_nsec = (long)(ns % BENCH_NS_PER_S),
	};
	int rc;

	/* Only EINTR can interrupt a valid absolute sleep: sleep on. */
	do
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	while (rc == EINTR);
}

/* CPU time used so far by the daemon (when pid is not 0) and by us. */
struct load_cpu {
	bool daemon_ok;
	uint64_t daemon_ns, self_ns;
};

static void
load_cpu_read(pid_t pid, struct load_cpu *out)
{
	struct rusage ru;
	char err[256];

	out->daemon_ok = false;
	if (pid != 0) {
		if (proc_cpu_ns(pid, &out->daemon_ns, err, sizeof err) == 0)
			out->daemon_ok = true;
		else
			fprintf(stderr, "cashbook-bench: %s\n", err);
	}
	out->self_ns = 0;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		fprintf(stderr, "cashbook-bench: getrusage: %s\n",
		    strerror(errno));
	else
		out->self_ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)
		    ru.ru_stime.tv_sec) * BENCH_NS_PER_S + ((uint64_t)
		    ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000;
}

static void
load_conns_free(struct load_conn *conns, int n)
{
	if (conns == NULL)
		return;
	for (int i = 0; i < n; i++) {
		cb_close(conns[i].conn);
		free(conns[i].msgid);
		free(conns[i].sent_ns);
	}
	free(conns);
}

/* Connect every connection, and check once on each that the method
 * answers its params without an error, so a misconfigured run fails
 * loudly rather than measuring error answers. */
static struct load_conn *
load_conns_new(const struct load_cell *cell, char *err, size_t errlen)
{
	struct load_conn *conns;
	struct cb_reply *r;
	char why[256];
	int rc;

	if ((conns = calloc((size_t)cell->conns, sizeof *conns)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < cell->conns; i++) {
		struct load_conn *c = &conns[i];

		c->msgid = calloc((size_t)cell->depth, sizeof *c->msgid);
		c->sent_ns = calloc((size_t)cell->depth, sizeof *c->sent_ns);
		if (c->msgid == NULL || c->sent_ns == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		rc = cb_connect(cell->socket_path, LOAD_TIMEOUT_MS, &c->conn,
		    why, sizeof why);
		if (rc != CB_OK) {
			snprintf(err, errlen, "connection %d of %d to %s: %s",
			    i + 1, cell->conns, cell->socket_path, why);
			goto fail;
		}
		c->params = cell->conn_params != NULL ? cell->conn_params[i] :
		    cell->params;
		rc = cb_call(c->conn, cell->method, c->params, &r);
		if (rc != CB_OK) {
			snprintf(err, errlen, "%s: %s%s%s", cell->method,
			    cb_error_code(c->conn) != NULL ?
			    cb_error_code(c->conn) : "",
			    cb_error_code(c->conn) != NULL ? ": " : "",
			    cb_error_message(c->conn));
			goto fail;
		}
		cb_reply_free(r);
	}
	return conns;
fail:
	load_conns_free(conns, cell->conns);
	return NULL;
}

int
load_run(const struct load_cell *cell, struct load_result *out, char *err,
    size_t errlen)
{
	struct load_conn *conns;
	struct load_thread *th;
	struct samples all = { 0 };
	struct load_cpu cpu0 = { 0 }, cpu1 = { 0 };
	uint64_t t0, t_measure, t_end;
	int nthreads, started = 0, rc, result = -1;

	memset(out, 0, sizeof *out);
	if (cell->conns < 1 || cell->depth < 1 || cell->threads < 1) {
		snprintf(err, errlen, "conns, depth and threads must be >= 1");
		return -1;
	}
	nthreads = cell->threads < cell->conns ? cell->threads : cell->conns;
	if ((conns = load_conns_new(cell, err, errlen)) == NULL)
		return -1;
	if ((th = calloc((size_t)nthreads, sizeof *th)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}

	t0 = bench_now_ns();
	t_measure = t0 + (uint64_t)(cell->warmup_s * (double)BENCH_NS_PER_S);
	t_end = t_measure + (uint64_t)(cell->seconds * (double)BENCH_NS_PER_S);
	for (int i = 0; i < nthreads; i++) {
		int first = i * cell->conns / nthreads;
		int last = (i + 1) * cell->conns / nthreads;

		th[i].cell = cell;
		th[i].conns = conns + first;
		th[i].nconns = last - first;
		th[i].t_measure = t_measure;
		th[i].t_end = t_end;
		rc = pthread_create(&th[i].tid, NULL, load_thread_main, &th[i]);
		if (rc != 0) {
			snprintf(err, errlen, "pthread_create: %s",
			    strerror(rc));
			break;
		}
		started++;
	}
	if (started == nthreads) {
		load_sleep_until(t_measure);
		load_cpu_read(cell->daemon_pid, &cpu0);
		load_sleep_until(t_end);
		load_cpu_read(cell->daemon_pid, &cpu1);
	}
	/* Threads already started run to their end; wait for them all. */
	for (int i = 0; i < started; i++) {
		rc = pthread_join(th[i].tid, NULL);
		if (rc != 0) {
			/* Cannot happen for a joinable thread of ours; the
			 * thread may still use conns, so do not free them. */
			fprintf(stderr, "cashbook-bench: pthread_join: %s\n",
			    strerror(rc));
			abort();
		}
	}
	if (started < nthreads)
		goto out;

	result = 0;
	for (int i = 0; i < nthreads; i++) {
		if (th[i].failed && result == 0) {
			snprintf(err, errlen, "%s", th[i].err);
			result = -1;
		}
		out->responses += th[i].responses;
		out->errors += th[i].errors;
		out->stalls += th[i].stalls;
		if (th[i].first_error[0] != '\0')
			fprintf(stderr, "cashbook-bench: %s answered an "
			    "error: %s\n", cell->method, th[i].first_error);
		if (result == 0 && samples_take(&all, &th[i].lat) != 0) {
			snprintf(err, errlen, "out of memory");
			result = -1;
		}
	}
	if (result == 0) {
		out->rps = (double)out->responses / cell->seconds;
		out->client_cpu_pct = 100.0 * (double)(cpu1.self_ns -
		    cpu0.self_ns) / (cell->seconds * (double)BENCH_NS_PER_S);
		out->daemon_cpu_pct = -1;
		if (cpu0.daemon_ok && cpu1.daemon_ok) {
			double ns = (double)(cpu1.daemon_ns - cpu0.daemon_ns);

			out->daemon_cpu_pct = 100.0 * ns / (cell->seconds *
			    (double)BENCH_NS_PER_S);
			if (out->responses > 0)
				out->daemon_cpu_us_per_req = ns / 1000.0 /
				    (double)out->responses;
		}
		samples_summarise(&all, &out->lat);
		if (cell->keep != NULL && samples_take(cell->keep, &all) != 0) {
			snprintf(err, errlen, "out of memory");
			result = -1;
		}
	}
out:
	if (th != NULL) {
		for (int i = 0; i < nthreads; i++)
			samples_free(&th[i].lat);
	}
	free(th);
	samples_free(&all);
	load_conns_free(conns, cell->conns);
	return result;
}
