/*
 * events.c -- live events (see events.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "events.h"
#include "log.h"
#include "method.h"
#include "packbuf.h"
#include "rpc.h"
#include "server.h"

/* A book a subscription follows; floor: the seq its snapshot covered
 * (events up to it are not sent again). */
struct sub_book {
	int64_t book_id;
	int64_t floor;
};

struct sub {
	uint64_t id;
	struct conn *conn;
	int64_t user_id;
	int64_t session_id;		/* 0: a peer; never revoked */
	int64_t expires_at;		/* the session's end (wall clock, s);
					 * 0: a peer, never */
	bool all_books;
	bool notifications;
	bool pending;			/* snapshot not read yet */
	struct sub_book *books;		/* sorted by book_id */
	size_t nbooks, cap;
	/* While pending: every change, replayed through the filter once
	 * the snapshot is known. */
	struct change *held;
	size_t nheld, capheld;
	struct sub *next, *prev;	/* ev->subs */
};

/* Changes of one committed step, on their way to the loop. */
struct batch {
	struct batch *next;
	size_t n;
	struct change v[];
};

struct events {
	struct server *server;
	struct sub *subs;
	uint64_t nsubs;
	uint64_t next_id;
	uint64_t delivered, overflows;
	int64_t now_s;			/* wall clock of this fan-out */

	pthread_mutex_t lock;		/* guards head/tail (any thread) */
	struct batch *head, *tail;
	struct event *ev_drain;		/* activated by events_post */
	struct event *ev_later;		/* a coalesced drain (loop) */
	bool later_pending;
	int64_t last_drain_us;

	struct packbuf body;		/* one event's common part */
	/* What body holds: the change and kind it was encoded for (NULL:
	 * nothing reusable).  A change goes to every subscriber under one
	 * kind, almost always: encoded once, not once per subscriber.
	 * Cleared at the start of each walk over the subscribers (fan-out,
	 * replay of held changes): a freed batch's address comes back. */
	const struct change *body_change;
	const char *body_kind;
};

/* Under load, drains (and so writes to each subscriber) come at most this
 * often: a burst of commits then goes out in one write per subscriber,
 * not one per event each, for at most this much more latency.  Alone, an
 * event goes out at once. */
#define EVENTS_COALESCE_US	1000

static void events_drain_cb(evutil_socket_t fd, short what, void *arg);
static void events_later_cb(evutil_socket_t fd, short what, void *arg);

struct events *
events_new(struct server *server)
{
	struct events *ev = calloc(1, sizeof *ev);

	if (ev == NULL)
		return NULL;
	ev->server = server;
	ev->next_id = 1;
	packbuf_init(&ev->body);
	if (pthread_mutex_init(&ev->lock, NULL) != 0) {
		free(ev);
		return NULL;
	}
	ev->ev_drain = event_new(server->base, -1, 0, events_drain_cb, ev);
	ev->ev_later = evtimer_new(server->base, events_later_cb, ev);
	if (ev->ev_drain == NULL || ev->ev_later == NULL) {
		if (ev->ev_drain != NULL)
			event_free(ev->ev_drain);
		if (ev->ev_later != NULL)
			event_free(ev->ev_later);
		pthread_mutex_destroy(&ev->lock);
		free(ev);
		return NULL;
	}
	return ev;
}

static void
sub_free(struct sub *s)
{
	free(s->books);
	free(s->held);
	free(s);
}

static void
sub_unlink(struct events *ev, struct sub *s)
{
	if (s->conn != NULL)
		conn_subscribed(s->conn, -1);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		ev->subs = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	ev->nsubs--;
	sub_free(s);
}

void
events_free(struct events *ev)
{
	struct batch *b, *next;

	if (ev == NULL)
		return;
	while (ev->subs != NULL)
		sub_unlink(ev, ev->subs);
	for (b = ev->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	event_free(ev->ev_drain);
	event_free(ev->ev_later);
	pthread_mutex_destroy(&ev->lock);
	packbuf_destroy(&ev->body);
	free(ev);
}

void
events_post(struct events *ev, struct change_list *l)
{
	struct batch *b;

	if (l->n == 0)
		return;
	b = malloc(sizeof *b + l->n * sizeof l->v[0]);
	if (b == NULL) {
		log_error("out of memory: %zu committed change%s not sent to "
		    "subscribers", l->n, l->n == 1 ? "" : "s");
		change_list_clear(l);
		return;
	}
	b->next = NULL;
	b->n = l->n;
	memcpy(b->v, l->v, l->n * sizeof l->v[0]);
	change_list_clear(l);
	pthread_mutex_lock(&ev->lock);
	if (ev->tail != NULL)
		ev->tail->next = b;
	else
		ev->head = b;
	ev->tail = b;
	pthread_mutex_unlock(&ev->lock);
	event_active(ev->ev_drain, EV_READ, 0);
}

/* ---- a subscription's books ---- */

static size_t
sub_find(const struct sub *s, int64_t book_id)
{
	size_t lo = 0, hi = s->nbooks, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->books[mid].book_id < book_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct sub_book *
sub_book(struct sub *s, int64_t book_id)
{
	size_t i = sub_find(s, book_id);

	return i < s->nbooks && s->books[i].book_id == book_id ?
	    &s->books[i] : NULL;
}

/* 0, or -1 out of memory. */
static int
sub_add_book(struct sub *s, int64_t book_id, int64_t floor)
{
	size_t i = sub_find(s, book_id), cap;
	struct sub_book *v;

	if (i < s->nbooks && s->books[i].book_id == book_id) {
		s->books[i].floor = floor;
		return 0;
	}
	if (s->nbooks == s->cap) {
		cap = s->cap == 0 ? 8 : s->cap * 2;
		if ((v = realloc(s->books, cap * sizeof *v)) == NULL)
			return -1;
		s->books = v;
		s->cap = cap;
	}
	memmove(&s->books[i + 1], &s->books[i],
	    (s->nbooks - i) * sizeof *s->books);
	s->books[i].book_id = book_id;
	s->books[i].floor = floor;
	s->nbooks++;
	return 0;
}

static void
sub_drop_book(struct sub *s, int64_t book_id)
{
	size_t i = sub_find(s, book_id);

	if (i < s->nbooks && s->books[i].book_id == book_id) {
		memmove(&s->books[i], &s->books[i + 1],
		    (s->nbooks - i - 1) * sizeof *s->books);
		s->nbooks--;
	}
}

/* ---- encoding ---- */

static void
pack_opt_int(msgpack_packer *pk, int64_t v, bool present)
{
	if (present)
		msgpack_pack_int64(pk, v);
	else
		msgpack_pack_nil(pk);
}

/* subscription_id and the nine of events_encode */
#define EVENT_KEYS 10

/* The event's keys but subscription_id, into ev->body; kind overrides the
 * change's name (access_lost, overflow).  0, or -1 out of memory. */
static int
events_encode(struct events *ev, const struct change *c, const char *kind)
{
	msgpack_packer *pk = &ev->body.pk;
	bool book = c->book_id != 0;

	if (ev->body_change == c && ev->body_kind == kind)
		return 0;
	ev->body_change = NULL;
	packbuf_clear(&ev->body);
	rpc_pack_cstr(pk, "kind");
	rpc_pack_cstr(pk, kind);
	rpc_pack_cstr(pk, "book_id");
	pack_opt_int(pk, c->book_id, book);
	rpc_pack_cstr(pk, "seq");
	pack_opt_int(pk, c->seq, c->seq != 0);
	rpc_pack_cstr(pk, "entry_id");
	pack_opt_int(pk, c->entry_id, c->entry_id != 0);
	rpc_pack_cstr(pk, "balance");
	pack_opt_int(pk, c->balance, c->has_balance);
	rpc_pack_cstr(pk, "actor_user_id");
	pack_opt_int(pk, c->actor_user_id, c->actor_user_id != 0);
	rpc_pack_cstr(pk, "at");
	pack_opt_int(pk, c->at, c->at != 0);
	rpc_pack_cstr(pk, "user_id");
	pack_opt_int(pk, c->user_id, c->user_id != 0 &&
	    (c->kind == CHANGE_MEMBER_ADDED || c->kind == CHANGE_MEMBER_REMOVED));
	rpc_pack_cstr(pk, "notification_id");
	pack_opt_int(pk, c->notification_id, c->notification_id != 0);
	if (packbuf_failed(&ev->body))
		return -1;
	ev->body_change = c;
	ev->body_kind = kind;
	return 0;
}

/* [2, "event", [{"subscription_id": id, <body>}]] to s's connection,
 * unless s is over its bounds: then one overflow event, and s ends.
 * Returns false when s ended. */
static bool events_end(struct events *ev, struct sub *s, const char *kind,
    int64_t book_id);

/* The head of an event: at most 35 bytes, on the stack. */
struct event_head {
	char b[48];
	size_t n;
};

static int
event_head_write(void *data, const char *buf, size_t len)
{
	struct event_head *h = data;

	if (len > sizeof h->b - h->n)
		return -1;
	memcpy(h->b + h->n, buf, len);
	h->n += len;
	return 0;
}

static void
events_write(struct events *ev, struct sub *s)
{
	struct event_head head = { .n = 0 };
	msgpack_packer pk;

	msgpack_packer_init(&pk, &head, event_head_write);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, 2);
	rpc_pack_cstr(&pk, "event");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, EVENT_KEYS);
	rpc_pack_cstr(&pk, "subscription_id");
	msgpack_pack_uint64(&pk, s->id);
	conn_push(s->conn, head.b, head.n, ev->body.sb.data, ev->body.sb.size);
	ev->delivered++;
}

/* Send the change as kind to s; false when s ended (overflow). */
static bool
events_send(struct events *ev, struct sub *s, const struct change *c,
    const char *kind)
{
	if (conn_push_backlog(s->conn) >= EVENTS_MAX_QUEUED ||
	    conn_push_bytes(s->conn) >= EVENTS_MAX_QUEUED_BYTES) {
		ev->overflows++;
		log_info("client %llu: subscription %llu overflowed (%zu "
		    "events, %zu bytes unsent); ended",
		    (unsigned long long)conn_id(s->conn),
		    (unsigned long long)s->id,
		    conn_push_backlog(s->conn), conn_push_bytes(s->conn));
		events_end(ev, s, "overflow", 0);
		return false;
	}
	if (events_encode(ev, c, kind) != 0) {
		log_error("out of memory encoding an event; subscription %llu "
		    "ends", (unsigned long long)s->id);
		events_end(ev, s, "overflow", 0);
		return false;
	}
	events_write(ev, s);
	return true;
}

/* A last event (overflow, access_lost for everything), then s ends. */
static bool
events_end(struct events *ev, struct sub *s, const char *kind,
    int64_t book_id)
{
	struct change c = { .book_id = book_id };

	if (events_encode(ev, &c, kind) == 0)
		events_write(ev, s);
	ev->body_change = NULL;		/* c goes out of scope */
	sub_unlink(ev, s);
	return false;
}

/* ---- fan-out ---- */

/* Whether s is the subscription of a session c revokes. */
static bool
events_revokes(const struct sub *s, const struct change *c)
{
	if (s->session_id == 0)
		return false;		/* a peer: bound to its uid */
	return (c->session_id != 0 && c->session_id == s->session_id) ||
	    (c->user_id != 0 && c->user_id == s->user_id);
}

/* Deliver c to s as its filter says.  False when s ended. */
static bool
events_offer(struct events *ev, struct sub *s, const struct change *c)
{
	struct sub_book *b;

	/* A session that has expired since it subscribed hears nothing more:
	 * the first change offered after its end ends the subscription. */
	if (s->expires_at != 0 && ev->now_s >= s->expires_at)
		return events_end(ev, s, "access_lost", 0);
	switch (c->kind) {
	case CHANGE_REVOKED:
		return events_revokes(s, c) ? events_end(ev, s, "access_lost",
		    0) : true;
	case CHANGE_NOTIFICATION:
		if (s->notifications && c->user_id == s->user_id)
			return events_send(ev, s, c, "notification");
		return true;
	default:
		break;
	}
	b = sub_book(s, c->book_id);
	/* Every book one can see, now and later: a book one makes or joins
	 * joins the subscription. */
	if (b == NULL && s->all_books &&
	    ((c->kind == CHANGE_BOOK_CREATED && c->actor_user_id ==
	    s->user_id) || (c->kind == CHANGE_MEMBER_ADDED && c->user_id ==
	    s->user_id))) {
		if (sub_add_book(s, c->book_id, 0) != 0)
			return events_end(ev, s, "overflow", 0);
		b = sub_book(s, c->book_id);
	}
	if (b == NULL || c->seq <= b->floor)
		return true;
	if (c->kind == CHANGE_MEMBER_REMOVED && c->user_id == s->user_id) {
		sub_drop_book(s, c->book_id);
		return events_send(ev, s, c, "access_lost");
	}
	if (!events_send(ev, s, c, change_kind_name(c->kind)))
		return false;
	if (c->kind == CHANGE_BOOK_DELETED)
		sub_drop_book(s, c->book_id);
	return true;
}

/* Hold c for a pending s; false when s ended (too many held). */
static bool
events_hold(struct events *ev, struct sub *s, const struct change *c)
{
	struct change *v;
	size_t cap;

	if (s->nheld == s->capheld) {
		cap = s->capheld == 0 ? 16 : s->capheld * 2;
		if (cap > EVENTS_MAX_QUEUED ||
		    (v = realloc(s->held, cap * sizeof *v)) == NULL)
			return events_end(ev, s, "overflow", 0);
		s->held = v;
		s->capheld = cap;
	}
	s->held[s->nheld++] = *c;
	return true;
}

static void
events_fan_out(struct events *ev, const struct change *c)
{
	struct sub *s, *next;

	ev->body_change = NULL;
	for (s = ev->subs; s != NULL; s = next) {
		next = s->next;
		if (s->conn == NULL)
			continue;
		if (s->pending)
			(void)events_hold(ev, s, c);
		else
			(void)events_offer(ev, s, c);
	}
}

static void
events_drain(struct events *ev)
{
	struct batch *b, *next;

	ev->last_drain_us = clock_now_us();
	ev->now_s = clock_wall_s();
	pthread_mutex_lock(&ev->lock);
	b = ev->head;
	ev->head = ev->tail = NULL;
	pthread_mutex_unlock(&ev->lock);
	for (; b != NULL; b = next) {
		next = b->next;
		for (size_t i = 0; i < b->n; i++)
			events_fan_out(ev, &b->v[i]);
		free(b);
	}
}

static void
events_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events *ev = arg;
	int64_t since = clock_now_us() - ev->last_drain_us;
	struct timeval tv = { 0, 0 };

	(void)fd;
	(void)what;
	if (ev->later_pending)
		return;			/* the timer will */
	if (since >= EVENTS_COALESCE_US || ev->subs == NULL) {
		events_drain(ev);
		return;
	}
	tv.tv_usec = (suseconds_t)(EVENTS_COALESCE_US - since);
	if (evtimer_add(ev->ev_later, &tv) != 0) {
		events_drain(ev);	/* out of memory: no coalescing */
		return;
	}
	ev->later_pending = true;
}

static void
events_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events *ev = arg;

	(void)fd;
	(void)what;
	ev->later_pending = false;
	events_drain(ev);
}

/* ---- subscribing ---- */

static struct sub *
events_find(struct events *ev, const struct conn *conn, uint64_t id)
{
	for (struct sub *s = ev->subs; s != NULL; s = s->next)
		if (s->id == id && s->conn == conn)
			return s;
	return NULL;
}

static unsigned
events_count_conn(const struct events *ev, const struct conn *conn)
{
	unsigned n = 0;

	for (const struct sub *s = ev->subs; s != NULL; s = s->next)
		n += s->conn == conn;
	return n;
}

int
events_subscribe_begin(struct server *server, struct conn *conn,
    struct call *call)
{
	struct events *ev = server->events;
	struct sub *s;

	if (events_count_conn(ev, conn) >= EVENTS_MAX_PER_CONN)
		return call_fail(call, CB_CONFLICT, "this connection already "
		    "has %d subscriptions; end one first (events.unsubscribe)",
		    EVENTS_MAX_PER_CONN);
	if ((s = calloc(1, sizeof *s)) == NULL)
		return call_fail(call, CB_INTERNAL, "out of memory");
	s->id = ev->next_id++;
	s->conn = conn;
	conn_subscribed(conn, +1);
	s->pending = true;
	s->next = ev->subs;
	if (ev->subs != NULL)
		ev->subs->prev = s;
	ev->subs = s;
	ev->nsubs++;
	call->subscription_id = s->id;
	return 0;
}

void
events_subscribe_end(struct server *server, struct conn *conn,
    struct call *call, bool failed)
{
	struct events *ev = server->events;
	const struct events_snapshot *snap = call->state;
	struct sub *s = events_find(ev, conn, call->subscription_id);
	struct change *held;
	size_t nheld;

	if (s == NULL)
		return;			/* ended meanwhile (overflow) */
	if (failed || conn == NULL || snap == NULL) {
		sub_unlink(ev, s);
		return;
	}
	s->user_id = call->user_id;
	s->session_id = call->via_peer ? 0 : call->session_id;
	s->expires_at = call->via_peer ? 0 : call->session_expires_at;
	s->all_books = snap->all_books;
	s->notifications = snap->notifications;
	for (uint32_t i = 0; i < snap->nbooks; i++) {
		if (sub_add_book(s, snap->books[i].book_id,
		    snap->books[i].seq) != 0) {
			events_end(ev, s, "overflow", 0);
			return;
		}
	}
	/* What committed while the snapshot was read, through the filter:
	 * the floors drop what it already covers. */
	held = s->held;
	nheld = s->nheld;
	s->held = NULL;
	s->nheld = s->capheld = 0;
	s->pending = false;
	ev->body_change = NULL;
	ev->now_s = clock_wall_s();
	for (size_t i = 0; i < nheld; i++)
		if (!events_offer(ev, s, &held[i]))
			break;
	free(held);
}

int
events_unsubscribe_begin(struct server *server, struct conn *conn,
    struct call *call)
{
	const struct arg_value *id = &call->args[0];
	struct sub *s = events_find(server->events, conn, (uint64_t)id->i);

	if (s == NULL || s->pending)
		return call_fail(call, CB_NOT_FOUND, "no such subscription "
		    "on this connection");
	call->subscription_id = s->id;
	/* The handler checks it is the caller's, once the caller is known. */
	call->subscription_user_id = s->user_id;
	return 0;
}

void
events_unsubscribe_end(struct server *server, struct conn *conn,
    struct call *call, bool failed)
{
	struct sub *s;

	if (failed || conn == NULL)
		return;
	s = events_find(server->events, conn, call->subscription_id);
	if (s != NULL)
		sub_unlink(server->events, s);
}

void
events_conn_gone(struct server *server, struct conn *conn)
{
	struct sub *s, *next;

	for (s = server->events->subs; s != NULL; s = next) {
		next = s->next;
		if (s->conn == conn) {
			s->conn = NULL;		/* conn is going: leave it */
			sub_unlink(server->events, s);
		}
	}
}

void
events_stats(const struct events *ev, struct events_stats *out)
{
	out->subscriptions = ev->nsubs;
	out->delivered = ev->delivered;
	out->overflows = ev->overflows;
}
