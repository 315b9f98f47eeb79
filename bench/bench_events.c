/*
 * bench_events.c -- the live-event figures (section 11 of the report):
 *
 *   - latency to a subscriber, with 1 and with 100 subscribers on one
 *     book while 8 connections add entries to it flat out: a probe
 *     connection adds one entry every few milliseconds and notes when it
 *     sent it and when its answer came; a receiver thread notes when each
 *     subscriber read the event of that entry.  The commit lies between
 *     the send and the answer, so "answer -> event" (may be negative: the
 *     event can overtake the answer) and "send -> event" bracket the
 *     commit-to-read latency.  With 100 subscribers the time is the last
 *     one's.
 *   - entry.add throughput of those 8 connections with 0 and with 100
 *     subscribers reading everything, in interleaved rounds;
 *   - the daemon's memory with 1,000 subscribed connections.
 *
 * The subscribers are libcashbook connections that subscribe with
 * cb_call and are then read raw (poll + read + msgpack's unpacker): the
 * bench measures the daemon, not a client library's queueing.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>

#include "cashbook_msgpack.h"

#include "bench.h"

#define EVENTS_AIM_RATIO	0.90	/* entry.add, 100 subscribers / 0 */
#define EVENTS_MANY		1000	/* subscribers for the memory figure */
#define EVENTS_FEW		100
#define EVENTS_WRITERS		8
#define EVENTS_ROUNDS		3
#define EVENTS_PROBE_GAP_MS	4	/* between probe adds */
#define EVENTS_MAX_IDS		(1 << 20)	/* entries tracked per cell */

struct sub_conn {
	struct cb_conn *conn;
	msgpack_unpacker up;
	bool up_ok;
};

/* What the receiver thread notes per entry (index: entry_id - base). */
struct arrivals {
	int64_t base;
	uint64_t *last_ns;		/* the latest subscriber's read */
	uint32_t *count;		/* subscribers that read it */
};

struct receiver {
	struct sub_conn *subs;
	int nsubs;
	bool decode;			/* note arrivals; else just drain */
	struct arrivals *arr;
	atomic_bool stop;
	pthread_t tid;
	bool started;
	uint64_t events, bytes;
	char err[256];
};

static void
subs_close(struct sub_conn *subs, int n)
{
	for (int i = 0; i < n; i++) {
		if (subs[i].up_ok)
			msgpack_unpacker_destroy(&subs[i].up);
		cb_close(subs[i].conn);
	}
	free(subs);
}

/* n connections, each subscribed to book_id as u. */
static struct sub_conn *
subs_open(const char *socket_path, const struct fixture_user *u,
    int64_t book_id, int n, char *err, size_t errlen)
{
	struct sub_conn *subs = calloc((size_t)n, sizeof *subs);
	struct cb_params *p;
	struct cb_reply *reply;
	char why[256];
	int i, rc;

	/* u has this one book: a subscription to all of u's books is a
	 * subscription to it. */
	(void)book_id;
	if (subs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (cb_connect(socket_path, CB_DEFAULT_TIMEOUT_MS,
		    &subs[i].conn, why, sizeof why) != CB_OK) {
			snprintf(err, errlen, "subscriber %d: %s", i + 1, why);
			goto fail;
		}
		if ((p = fixture_params_token(u)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		rc = cb_call(subs[i].conn, "events.subscribe", p, &reply);
		cb_params_free(p);
		if (rc != CB_OK) {
			snprintf(err, errlen, "subscriber %d: events.subscribe: "
			    "%s", i + 1, cb_error_message(subs[i].conn));
			goto fail;
		}
		cb_reply_free(reply);
		if (!msgpack_unpacker_init(&subs[i].up, 1 << 16)) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		subs[i].up_ok = true;
	}
	return subs;
fail:
	subs_close(subs, i + 1);
	return NULL;
}

/* An event's entry_id, when msg is [2, "event", [{..., "entry_id": N}]]. */
static int64_t
event_entry_id(const msgpack_object *msg)
{
	const msgpack_object *ev;
	int64_t id = 0;

	if (msg->type != MSGPACK_OBJECT_ARRAY || msg->via.array.size != 3 ||
	    msg->via.array.ptr[2].type != MSGPACK_OBJECT_ARRAY ||
	    msg->via.array.ptr[2].via.array.size != 1)
		return 0;
	ev = &msg->via.array.ptr[2].via.array.ptr[0];
	return cb_map_get_int(ev, "entry_id", &id) == CB_OK ? id : 0;
}

static void
receiver_note(struct receiver *r, struct sub_conn *s, uint64_t now)
{
	msgpack_unpacked msg;
	int64_t id, i;

	msgpack_unpacked_init(&msg);
	while (msgpack_unpacker_next(&s->up, &msg) == MSGPACK_UNPACK_SUCCESS) {
		r->events++;
		if (r->arr == NULL || (id = event_entry_id(&msg.data)) == 0)
			continue;
		i = id - r->arr->base;
		if (i < 0 || i >= EVENTS_MAX_IDS)
			continue;
		r->arr->last_ns[i] = now;
		r->arr->count[i]++;
	}
	msgpack_unpacked_destroy(&msg);
}

static void *
receiver_main(void *arg)
{
	struct receiver *r = arg;
	struct pollfd *pfd = calloc((size_t)r->nsubs, sizeof *pfd);
	char drain[1 << 16];
	ssize_t n;

	if (pfd == NULL) {
		snprintf(r->err, sizeof r->err, "out of memory");
		return NULL;
	}
	for (int i = 0; i < r->nsubs; i++) {
		pfd[i].fd = cb_fd(r->subs[i].conn);
		pfd[i].events = POLLIN;
	}
	while (!atomic_load(&r->stop)) {
		if (poll(pfd, (nfds_t)r->nsubs, 50) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < r->nsubs; i++) {
			struct sub_conn *s = &r->subs[i];

			if (!(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (!r->decode) {
				if ((n = read(pfd[i].fd, drain,
				    sizeof drain)) > 0)
					r->bytes += (uint64_t)n;
				continue;
			}
			if (!msgpack_unpacker_reserve_buffer(&s->up, 1 << 16))
				continue;
			n = read(pfd[i].fd, msgpack_unpacker_buffer(&s->up),
			    msgpack_unpacker_buffer_capacity(&s->up));
			if (n <= 0)
				continue;
			r->bytes += (uint64_t)n;
			msgpack_unpacker_buffer_consumed(&s->up, (size_t)n);
			receiver_note(r, s, bench_now_ns());
		}
	}
	free(pfd);
	return NULL;
}

static int
receiver_start(struct receiver *r, struct sub_conn *subs, int n, bool decode,
    struct arrivals *arr)
{
	memset(r, 0, sizeof *r);
	r->subs = subs;
	r->nsubs = n;
	r->decode = decode;
	r->arr = arr;
	atomic_init(&r->stop, false);
	if (pthread_create(&r->tid, NULL, receiver_main, r) != 0)
		return -1;
	r->started = true;
	return 0;
}

static void
receiver_stop(struct receiver *r)
{
	if (!r->started)
		return;
	atomic_store(&r->stop, true);
	pthread_join(r->tid, NULL);
	r->started = false;
}

/* ---- the probe ---- */

struct probe {
	const char *socket_path;
	const struct cb_params *params;	/* entry.add */
	uint64_t t_end;
	size_t n, cap;
	int64_t *entry_id;
	uint64_t *sent_ns, *reply_ns;
	pthread_t tid;
	char err[512];
};

static void *
probe_main(void *arg)
{
	struct probe *p = arg;
	struct cb_conn *c;
	struct cb_reply *reply;
	uint64_t t0, t1;
	int64_t id;
	char why[256];

	if (cb_connect(p->socket_path, CB_DEFAULT_TIMEOUT_MS, &c, why,
	    sizeof why) != CB_OK) {
		snprintf(p->err, sizeof p->err, "probe: %s", why);
		return NULL;
	}
	while (bench_now_ns() < p->t_end && p->n < p->cap) {
		t0 = bench_now_ns();
		if (cb_call(c, "entry.add", p->params, &reply) != CB_OK) {
			snprintf(p->err, sizeof p->err, "probe: entry.add: %s",
			    cb_error_message(c));
			break;
		}
		t1 = bench_now_ns();
		if (cb_map_get_int(cb_reply_result(reply), "entry_id", &id) ==
		    CB_OK) {
			p->entry_id[p->n] = id;
			p->sent_ns[p->n] = t0;
			p->reply_ns[p->n] = t1;
			p->n++;
		}
		cb_reply_free(reply);
		(void)poll(NULL, 0, EVENTS_PROBE_GAP_MS);
	}
	cb_close(c);
	return NULL;
}

/* ---- the cells ---- */

struct events_run {
	const struct events_opts *o;
	struct events_report *rep;
	struct cb_conn *ctl;
	struct fixture_user u;
	int64_t book_id;
	struct cb_params *add;			/* entry.add into the book */
	const struct cb_params *conn_params[EVENTS_WRITERS];
};

/* The writers' load for seconds; 0, or -1 (why on stderr). */
static int
events_load(struct events_run *er, double warmup_s, double seconds,
    struct load_result *r)
{
	const struct events_opts *o = er->o;
	struct load_cell lc = {
		.socket_path = o->socket_path, .method = "entry.add",
		.conn_params = er->conn_params, .conns = EVENTS_WRITERS,
		.depth = 1, .threads = o->threads, .warmup_s = warmup_s,
		.seconds = seconds, .daemon_pid = o->pid,
	};
	char err[512];

	if (load_run(&lc, r, err, sizeof err) != 0) {
		bench_progress("events: entry.add load: %s", err);
		return -1;
	}
	return 0;
}

/* One latency cell: nsubs subscribers, the writers and the probe. */
static void
events_latency(struct events_run *er, int nsubs, struct events_lat *out)
{
	const struct events_opts *o = er->o;
	struct arrivals arr = { 0 };
	struct probe pr = { 0 };
	struct receiver rcv;
	struct sub_conn *subs;
	struct load_result lr;
	struct samples to_event = { 0 }, to_reply = { 0 }, after = { 0 };
	char err[512];
	int64_t base;

	memset(out, 0, sizeof *out);
	out->subscribers = nsubs;
	if ((subs = subs_open(o->socket_path, &er->u, er->book_id, nsubs, err,
	    sizeof err)) == NULL) {
		bench_progress("events: %s", err);
		er->rep->missing++;
		return;
	}
	/* The next entry ids: everything added from now on is tracked. */
	{
		struct cb_reply *reply;

		if (cb_call(er->ctl, "entry.add", er->add, &reply) != CB_OK) {
			bench_progress("events: entry.add: %s",
			    cb_error_message(er->ctl));
			subs_close(subs, nsubs);
			er->rep->missing++;
			return;
		}
		(void)cb_map_get_int(cb_reply_result(reply), "entry_id",
		    &base);
		cb_reply_free(reply);
	}
	arr.base = base + 1;
	arr.last_ns = calloc(EVENTS_MAX_IDS, sizeof *arr.last_ns);
	arr.count = calloc(EVENTS_MAX_IDS, sizeof *arr.count);
	pr.cap = (size_t)((o->seconds + o->warmup_s) * 1000 /
	    EVENTS_PROBE_GAP_MS) + 16;
	pr.entry_id = calloc(pr.cap, sizeof *pr.entry_id);
	pr.sent_ns = calloc(pr.cap, sizeof *pr.sent_ns);
	pr.reply_ns = calloc(pr.cap, sizeof *pr.reply_ns);
	if (arr.last_ns == NULL || arr.count == NULL || pr.entry_id == NULL ||
	    pr.sent_ns == NULL || pr.reply_ns == NULL ||
	    receiver_start(&rcv, subs, nsubs, true, &arr) != 0) {
		bench_progress("events: out of memory");
		er->rep->missing++;
		goto out;
	}
	pr.socket_path = o->socket_path;
	pr.params = er->add;
	pr.t_end = bench_now_ns() + (uint64_t)((o->seconds + o->warmup_s) *
	    (double)BENCH_NS_PER_S);
	if (pthread_create(&pr.tid, NULL, probe_main, &pr) != 0) {
		receiver_stop(&rcv);
		er->rep->missing++;
		goto out;
	}
	out->load_ok = events_load(er, o->warmup_s, o->seconds, &lr) == 0;
	if (out->load_ok)
		out->load_rps = lr.rps;
	pthread_join(pr.tid, NULL);
	/* The last events are on their way: give them a moment. */
	(void)poll(NULL, 0, 200);
	receiver_stop(&rcv);
	if (pr.err[0] != '\0')
		bench_progress("events: %s", pr.err);
	for (size_t i = 0; i < pr.n; i++) {
		int64_t k = pr.entry_id[i] - arr.base;

		if (k < 0 || k >= EVENTS_MAX_IDS)
			continue;
		if (arr.count[k] != (uint32_t)nsubs) {
			out->missed++;
			continue;
		}
		samples_add(&to_event, arr.last_ns[k] - pr.sent_ns[i]);
		samples_add(&to_reply, pr.reply_ns[i] - pr.sent_ns[i]);
		/* answer -> event, clamped at 0 (the event may come first) */
		samples_add(&after, arr.last_ns[k] > pr.reply_ns[i] ?
		    arr.last_ns[k] - pr.reply_ns[i] : 0);
	}
	out->probes = pr.n;
	out->events = rcv.events;
	if (to_event.n > 0) {
		samples_summarise(&to_event, &out->send_to_event);
		samples_summarise(&to_reply, &out->send_to_reply);
		samples_summarise(&after, &out->reply_to_event);
		out->ok = true;
		bench_progress("events: %d subscriber%s: send->event p50 %.0f "
		    "µs p99 %.0f µs (send->answer p50 %.0f µs), %zu probes",
		    nsubs, nsubs == 1 ? "" : "s", out->send_to_event.p50_us,
		    out->send_to_event.p99_us, out->send_to_reply.p50_us,
		    pr.n);
	} else
		er->rep->missing++;
out:
	samples_free(&to_event);
	samples_free(&to_reply);
	samples_free(&after);
	free(arr.last_ns);
	free(arr.count);
	free(pr.entry_id);
	free(pr.sent_ns);
	free(pr.reply_ns);
	subs_close(subs, nsubs);
}

/* entry.add with 0 and EVENTS_FEW subscribers reading everything, in
 * interleaved rounds (the subscribers connect for their cell only). */
static void
events_throughput(struct events_run *er)
{
	const struct events_opts *o = er->o;
	struct events_report *rep = er->rep;
	struct sub_conn *subs;
	struct receiver rcv;
	struct load_result r;
	double secs = o->seconds / EVENTS_ROUNDS;
	double warm = o->warmup_s / EVENTS_ROUNDS;
	uint64_t n[2] = { 0, 0 };
	int rounds[2] = { 0, 0 }, cpu_rounds[2] = { 0, 0 };
	double cpu[2] = { 0, 0 };
	char err[512];

	for (int round = 0; round < EVENTS_ROUNDS; round++) {
		if (events_load(er, warm, secs, &r) == 0) {
			n[0] += r.responses;
			rounds[0]++;
			if (r.daemon_cpu_us_per_req >= 0) {
				cpu[0] += r.daemon_cpu_us_per_req;
				cpu_rounds[0]++;
			}
		}
		if ((subs = subs_open(o->socket_path, &er->u, er->book_id,
		    EVENTS_FEW, err, sizeof err)) == NULL) {
			bench_progress("events: %s", err);
			continue;
		}
		if (receiver_start(&rcv, subs, EVENTS_FEW, false, NULL) == 0) {
			if (events_load(er, warm, secs, &r) == 0) {
				n[1] += r.responses;
				rounds[1]++;
				if (r.daemon_cpu_us_per_req >= 0) {
					cpu[1] += r.daemon_cpu_us_per_req;
					cpu_rounds[1]++;
				}
			}
			receiver_stop(&rcv);
		}
		subs_close(subs, EVENTS_FEW);
	}
	for (int i = 0; i < 2; i++) {
		rep->add_cpu_us[i] = cpu_rounds[i] > 0 ? cpu[i] / cpu_rounds[i] :
		    -1;
		if (rounds[i] == 0) {
			rep->missing++;
			continue;
		}
		rep->add_rps[i] = (double)n[i] / (secs * rounds[i]);
	}
	if (rounds[0] > 0 && rounds[1] > 0 && rep->add_rps[0] > 0) {
		rep->add_ok = true;
		rep->add_ratio = rep->add_rps[1] / rep->add_rps[0];
		bench_progress("events: entry.add %.0f/s with 0 subscribers, "
		    "%.0f/s with %d: %.2f", rep->add_rps[0], rep->add_rps[1],
		    EVENTS_FEW, rep->add_ratio);
	}
}

/* The daemon's RSS with EVENTS_MANY subscribed connections (and a few
 * events sent to each). */
static void
events_many(struct events_run *er)
{
	const struct events_opts *o = er->o;
	struct events_report *rep = er->rep;
	struct sub_conn *subs;
	struct cb_reply *reply;
	char err[512];
	long hwm;

	if (o->pid == 0) {
		rep->missing++;
		return;
	}
	if (proc_rss_read(o->pid, &rep->rss_before_kib, &hwm, err,
	    sizeof err) != 0 || proc_nofile_reserve(EVENTS_MANY, err,
	    sizeof err) != 0) {
		bench_progress("events: %s", err);
		rep->missing++;
		return;
	}
	if ((subs = subs_open(o->socket_path, &er->u, er->book_id,
	    EVENTS_MANY, err, sizeof err)) == NULL) {
		bench_progress("events: %s", err);
		rep->missing++;
		return;
	}
	for (int i = 0; i < 10; i++) {
		if (cb_call(er->ctl, "entry.add", er->add, &reply) == CB_OK)
			cb_reply_free(reply);
	}
	/* Ours and the control connection stay open. */
	if (proc_wait_quiet(o->socket_path, EVENTS_MANY + 1, 5000, err,
	    sizeof err) == 0 && proc_rss_read(o->pid, &rep->rss_many_kib,
	    &hwm, err, sizeof err) == 0) {
		rep->rss_ok = true;
		rep->many = EVENTS_MANY;
	} else {
		bench_progress("events: %s", err);
		rep->missing++;
	}
	subs_close(subs, EVENTS_MANY);
}

static int
events_setup(struct events_run *er)
{
	const struct events_opts *o = er->o;
	struct fixture_entry e;
	char why[512];

	if (cb_connect(o->socket_path, CB_DEFAULT_TIMEOUT_MS, &er->ctl, why,
	    sizeof why) != CB_OK ||
	    fixture_user_new(er->ctl, "events", &er->u, why,
	    sizeof why) != 0 ||
	    fixture_book_new(er->ctl, &er->u, "events", &er->book_id, why,
	    sizeof why) != 0) {
		bench_progress("events: %s", why);
		return -1;
	}
	memset(&e, 0, sizeof e);
	e.amount = 100;
	fixture_date(fixture_days() - 1, e.date);
	if ((er->add = fixture_params_entry(&er->u, er->book_id, &e)) ==
	    NULL) {
		bench_progress("events: out of memory");
		return -1;
	}
	for (int i = 0; i < EVENTS_WRITERS; i++)
		er->conn_params[i] = er->add;
	return 0;
}

void
events_measure(const struct events_opts *o, struct events_report *rep)
{
	struct events_run er = { .o = o, .rep = rep };

	memset(rep, 0, sizeof *rep);
	if (events_setup(&er) != 0) {
		rep->missing += 2 + 2 + 1;
		goto out;
	}
	events_latency(&er, 1, &rep->lat[0]);
	events_latency(&er, EVENTS_FEW, &rep->lat[1]);
	events_throughput(&er);
	events_many(&er);
out:
	cb_params_free(er.add);
	cb_close(er.ctl);
}

/* ---- the report ---- */

static void
events_print_lat(const struct events_lat *l)
{
	if (!l->ok) {
		printf("   %5d   (not measured: see stderr)\n", l->subscribers);
		return;
	}
	printf("   %5d   %8.0f %8.0f   %8.0f %8.0f   %8.0f %8.0f   %6zu   "
	    "%6zu\n", l->subscribers, l->send_to_reply.p50_us,
	    l->send_to_reply.p99_us, l->send_to_event.p50_us,
	    l->send_to_event.p99_us, l->reply_to_event.p50_us,
	    l->reply_to_event.p99_us, l->probes, l->missed);
}

void
events_print_table(const struct events_report *rep)
{
	char a[32], b[32];

	printf("\n11. Live events (one book; %d connections adding to it flat "
	    "out, 1 in flight each)\n", EVENTS_WRITERS);
	printf("   a probe adds an entry every %d ms and times it; µs:\n",
	    EVENTS_PROBE_GAP_MS);
	printf("   %5s   %17s   %17s   %17s   %6s   %6s\n", "subs",
	    "send -> answer", "send -> event", "answer -> event", "probes",
	    "missed");
	printf("   %5s   %8s %8s   %8s %8s   %8s %8s\n", "", "p50", "p99",
	    "p50", "p99", "p50", "p99");
	events_print_lat(&rep->lat[0]);
	events_print_lat(&rep->lat[1]);
	printf("   (the commit lies between send and answer; with %d "
	    "subscribers, the last one's read;\n   answer -> event is 0 when "
	    "the event came first)\n", EVENTS_FEW);
	if (rep->add_ok)
		printf("   entry.add, %d connections: %s/s with no subscriber, "
		    "%s/s with %d reading\n   = %.2f   aim >= %.2f   %s\n",
		    EVENTS_WRITERS, bench_fmt_count(a, sizeof a,
		    rep->add_rps[0]), bench_fmt_count(b, sizeof b,
		    rep->add_rps[1]), EVENTS_FEW, rep->add_ratio,
		    EVENTS_AIM_RATIO, rep->add_ratio >= EVENTS_AIM_RATIO ?
		    "met" : "MISSED");
	if (rep->add_ok && rep->add_cpu_us[0] >= 0 && rep->add_cpu_us[1] >= 0)
		printf("   daemon CPU per entry.add: %.1f µs with no subscriber, "
		    "%.1f µs with %d (%.1f µs per event delivered)\n",
		    rep->add_cpu_us[0], rep->add_cpu_us[1], EVENTS_FEW,
		    (rep->add_cpu_us[1] - rep->add_cpu_us[0]) / EVENTS_FEW);
	else if (!rep->add_ok)
		printf("   entry.add with and without subscribers: (not "
		    "measured)\n");
	if (rep->rss_ok)
		printf("   cashbookd VmRSS with %d subscribed connections: "
		    "%.1f MiB (%.1f MiB before)\n", rep->many,
		    (double)rep->rss_many_kib / 1024,
		    (double)rep->rss_before_kib / 1024);
	else
		printf("   memory with %d subscribers: (not measured)\n",
		    EVENTS_MANY);
}

static void
events_json_lat(const struct events_lat *l)
{
	printf("{\"subscribers\":%d", l->subscribers);
	if (l->ok)
		printf(",\"probes\":%zu,\"missed\":%zu,\"send_to_answer\":"
		    "{\"p50_us\":%.1f,\"p99_us\":%.1f},\"send_to_event\":"
		    "{\"p50_us\":%.1f,\"p99_us\":%.1f},\"answer_to_event\":"
		    "{\"p50_us\":%.1f,\"p99_us\":%.1f}", l->probes, l->missed,
		    l->send_to_reply.p50_us, l->send_to_reply.p99_us,
		    l->send_to_event.p50_us, l->send_to_event.p99_us,
		    l->reply_to_event.p50_us, l->reply_to_event.p99_us);
	printf("}");
}

void
events_print_json(const struct events_report *rep)
{
	printf(",\"events\":{\"latency\":[");
	events_json_lat(&rep->lat[0]);
	printf(",");
	events_json_lat(&rep->lat[1]);
	printf("],\"entry_add\":");
	if (rep->add_ok)
		printf("{\"no_subscribers_per_s\":%.0f,\"subscribers\":%d,"
		    "\"with_subscribers_per_s\":%.0f,\"ratio\":%.4f,"
		    "\"aim_min\":%.2f,\"daemon_cpu_us\":[%.1f,%.1f]}",
		    rep->add_rps[0], EVENTS_FEW, rep->add_rps[1],
		    rep->add_ratio, EVENTS_AIM_RATIO, rep->add_cpu_us[0],
		    rep->add_cpu_us[1]);
	else
		printf("null");
	printf(",\"rss\":");
	if (rep->rss_ok)
		printf("{\"subscribers\":%d,\"kib\":%ld,\"before_kib\":%ld}",
		    rep->many, rep->rss_many_kib, rep->rss_before_kib);
	else
		printf("null");
	printf("}");
}
