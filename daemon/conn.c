/*
 * conn.c -- a client connection (see conn.h).
 *
 * Reading: bytes go into conn->in; the scanner walks them incrementally, so
 * a 1 MiB message arriving in small pieces is scanned once, not once per
 * piece.  Each complete message is decoded (msgpack-c allocates only for
 * bytes that are actually there, see scan.h) and given to the gateway.
 *
 * Taking requests stops (parsing and reading both) while the client has
 * too many requests in flight or is over its byte budget (conn.h), so a
 * client that never reads cannot make the daemon buffer without bound.
 * The one predicate is conn_may_take; conn_update_reading applies it
 * after anything that changes its inputs, and restarts held-back parsing.
 *
 * Owns each connection's socket, buffers and events, and the counts behind
 * the connect/disconnect summary (conn_log).  Never blocks the loop; never
 * frees or leaves behind input bytes (passwords) without wiping them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "cb_limits.h"
#include "clock.h"
#include "conn.h"
#include "events.h"
#include "gateway.h"
#include "log.h"
#include "packbuf.h"
#include "rpc.h"
#include "server.h"

#define CONN_READ_CHUNK (64 * 1024)

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static void conn_write_cb(evutil_socket_t fd, short what, void *arg);
static void conn_timer_cb(evutil_socket_t fd, short what, void *arg);
static void conn_update_reading(struct conn *conn);
static void conn_queue_flush(struct conn *conn);
static int conn_parse(struct conn *conn);

/*
 * Connects and disconnects are logged one by one at debug level only: at
 * info they were nearly every line of a day's log (cashbookctl connects
 * once per command).  Info gets a summary instead, at most one line per
 * CONN_LOG_SUMMARY_US: the first connect or disconnect at least that long
 * after a window opened logs what the window saw, and the next one opens
 * a new window.  No timer: a quiet daemon logs nothing, and the last
 * events of a window are told with the next one, or when a draining
 * daemon's last client goes.  The clock is clock_limiter_us (monotonic;
 * test.clock moves it).
 *
 * Loop thread only.  File-static: there is one server per process, and
 * struct server is not this file's to grow.
 */
#define CONN_LOG_SUMMARY_US (60 * INT64_C(1000000))

static struct {
	bool open;			/* a window is counting */
	int64_t since_us;		/* when it opened */
	unsigned connected, disconnected;
} conn_log;

static void
conn_log_summary(const struct server *server, int64_t now)
{
	log_info("%u client%s connected, %u disconnected in the last "
	    "%lld s (%u open)", conn_log.connected,
	    conn_log.connected == 1 ? "" : "s", conn_log.disconnected,
	    (long long)((now - conn_log.since_us + 500000) / 1000000),
	    server->nconns);
	conn_log.open = false;
	conn_log.connected = conn_log.disconnected = 0;
}

/* Count a connect or disconnect of conn (already linked or unlinked). */
static void
conn_log_event(const struct conn *conn, bool connected)
{
	const struct server *server = conn->server;
	int64_t now = clock_limiter_us();

	if (connected) {
		log_debug("client %llu connected (uid %u, pid %d)",
		    (unsigned long long)conn->id, (unsigned)conn->uid,
		    (int)conn->pid);
		conn_log.connected++;
	} else {
		log_debug("client %llu disconnected",
		    (unsigned long long)conn->id);
		conn_log.disconnected++;
	}
	if (!conn_log.open) {
		conn_log.open = true;
		conn_log.since_us = now;
	}
	if (now - conn_log.since_us >= CONN_LOG_SUMMARY_US ||
	    (!connected && server->draining && server->nconns == 0))
		conn_log_summary(server, now);
}

struct conn *
conn_new(struct server *server, int fd, uid_t uid, pid_t pid)
{
	struct conn *conn = calloc(1, sizeof *conn);

	if (conn == NULL) {
		close(fd);
		return NULL;
	}
	conn->server = server;
	conn->id = ++server->next_conn_id;
	conn->fd = fd;
	conn->uid = uid;
	conn->pid = pid;
	conn->reply_estimate = CB_CONN_REPLY_RESERVE;
	scan_reset(&conn->scan);
	conn->out = evbuffer_new();
	conn->ev_read = event_new(server->base, fd, EV_READ | EV_PERSIST,
	    conn_read_cb, conn);
	conn->ev_write = event_new(server->base, fd, EV_WRITE | EV_PERSIST,
	    conn_write_cb, conn);
	conn->ev_timer = evtimer_new(server->base, conn_timer_cb, conn);
	if (conn->out == NULL || conn->ev_read == NULL ||
	    conn->ev_write == NULL || conn->ev_timer == NULL) {
		log_error("out of memory for a new connection");
		conn_free(conn);
		return NULL;
	}
	conn->next = server->conns;
	if (server->conns != NULL)
		server->conns->prev = conn;
	server->conns = conn;
	server->nconns++;
	conn_update_reading(conn);
	conn_log_event(conn, true);
	return conn;
}

static void
conn_flush_unlink(struct conn *conn)
{
	struct server *server = conn->server;

	if (!conn->flush_queued)
		return;
	if (conn->flush_prev != NULL)
		conn->flush_prev->flush_next = conn->flush_next;
	else
		server->flush_list = conn->flush_next;
	if (conn->flush_next != NULL)
		conn->flush_next->flush_prev = conn->flush_prev;
	conn->flush_next = conn->flush_prev = NULL;
	conn->flush_queued = false;
}

void
conn_free(struct conn *conn)
{
	struct server *server = conn->server;
	bool linked = conn->prev != NULL || server->conns == conn;

	conn_flush_unlink(conn);
	events_conn_gone(server, conn);
	gateway_conn_gone(server, conn);
	if (linked) {
		if (conn->prev != NULL)
			conn->prev->next = conn->next;
		else
			server->conns = conn->next;
		if (conn->next != NULL)
			conn->next->prev = conn->prev;
		server->nconns--;
		conn_log_event(conn, false);
	}
	if (conn->ev_read != NULL)
		event_free(conn->ev_read);
	if (conn->ev_write != NULL)
		event_free(conn->ev_write);
	if (conn->ev_timer != NULL)
		event_free(conn->ev_timer);
	if (conn->out != NULL)
		evbuffer_free(conn->out);
	if (conn->in != NULL)
		explicit_bzero(conn->in, conn->in_cap);
	free(conn->in);
	if (conn->fd >= 0)
		close(conn->fd);
	free(conn);
}

/* What ev_timer is armed for. */
enum conn_timer {
	CONN_TIMER_NONE,
	CONN_TIMER_READ,	/* a message has begun: finish it in time */
	CONN_TIMER_IDLE,	/* nothing in flight (--idle-timeout-ms) */
	CONN_TIMER_CLOSE,	/* closing: take the last bytes in time */
};

static void
conn_arm_timer(struct conn *conn, enum conn_timer kind, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	if (kind == CONN_TIMER_NONE || timeout_ms <= 0) {
		if (conn->timer != CONN_TIMER_NONE)
			event_del(conn->ev_timer);
		conn->timer = CONN_TIMER_NONE;
		return;
	}
	/* A read deadline runs from the message's first byte: more bytes
	 * do not extend it, or a client could trickle one byte at a time
	 * and hold a buffer for ever.  Idle time restarts with activity. */
	if ((int)kind == conn->timer && kind != CONN_TIMER_IDLE)
		return;
	if (event_add(conn->ev_timer, &tv) != 0)
		log_error("client %llu: cannot arm its timer",
		    (unsigned long long)conn->id);
	conn->timer = (int)kind;
}

/* What the daemon holds for conn: replies queued, plus replies owed to its
 * requests in flight at the connection's reply estimate. */
static size_t
conn_held_bytes(const struct conn *conn)
{
	return evbuffer_get_length(conn->out) +
	    (size_t)conn->ninflight * conn->reply_estimate;
}

bool
conn_output_full(const struct conn *conn)
{
	return evbuffer_get_length(conn->out) >= CB_CONN_BYTE_BUDGET;
}

/* Whether the daemon takes another request from conn now. */
static bool
conn_may_take(const struct conn *conn)
{
	return !conn->closing && !conn->over_budget &&
	    conn->ninflight < CB_CONN_MAX_INFLIGHT;
}

/*
 * Apply back-pressure after anything that changes what conn holds or has
 * in flight: the budget's high and low marks, reading on or off, and input
 * that was held back parsed again (from the flush callback, never from
 * here: this runs deep inside the gateway and conn_queue).  The timer
 * follows.
 */
static void
conn_update_reading(struct conn *conn)
{
	const struct config *cfg = conn->server->cfg;
	size_t queued = evbuffer_get_length(conn->out);
	size_t held = conn_held_bytes(conn);
	bool want;

	if (held >= CB_CONN_BYTE_BUDGET)
		conn->over_budget = true;
	else if (held < CB_CONN_BYTE_RESUME)
		conn->over_budget = false;
	want = conn_may_take(conn);
	if (want && conn->parse_held && !conn->parse_pending) {
		conn->parse_held = false;
		conn->parse_pending = true;
		conn_queue_flush(conn);
	}
	if (want && !conn->reading) {
		if (event_add(conn->ev_read, NULL) == 0)
			conn->reading = true;
		else
			log_error("client %llu: cannot watch for input",
			    (unsigned long long)conn->id);
	} else if (!want && conn->reading) {
		event_del(conn->ev_read);
		conn->reading = false;
	}

	/* Requests waiting for their turn go on once replies are read. */
	if (conn->turn_head != NULL && !conn_output_full(conn))
		gateway_conn_resumed(conn->server, conn);

	if (conn->closing)
		conn_arm_timer(conn, CONN_TIMER_CLOSE, cfg->read_timeout_ms);
	else if (conn->reading && conn->in_len > 0)
		conn_arm_timer(conn, CONN_TIMER_READ, cfg->read_timeout_ms);
	else if (conn->reading && conn->ninflight == 0 && queued == 0 &&
	    conn->subscriptions == 0)
		conn_arm_timer(conn, CONN_TIMER_IDLE, cfg->idle_timeout_ms);
	else
		conn_arm_timer(conn, CONN_TIMER_NONE, 0);
}

void
conn_inflight_changed(struct conn *conn)
{
	conn_update_reading(conn);
}

uint64_t
conn_queued_bytes(const struct server *server)
{
	const struct conn *conn;
	uint64_t total = 0;

	for (conn = server->conns; conn != NULL; conn = conn->next)
		total += evbuffer_get_length(conn->out);
	return total;
}

static void
conn_queue_flush(struct conn *conn)
{
	struct server *server = conn->server;

	if (conn->flush_queued)
		return;
	conn->flush_queued = true;
	conn->flush_prev = NULL;
	conn->flush_next = server->flush_list;
	if (server->flush_list != NULL)
		server->flush_list->flush_prev = conn;
	server->flush_list = conn;
	/* Runs after the callbacks already due in this loop iteration. */
	event_active(server->ev_flush, EV_TIMEOUT, 0);
}

static void
conn_wipe_chunk(const void *data, size_t len, void *arg)
{
	(void)arg;
	explicit_bzero((void *)data, len);
	free((void *)data);
}

/* Append to the output (a secret as its own chunk, wiped when written or
 * dropped), then have it flushed at the end of this loop turn. */
static void
conn_queue(struct conn *conn, const void *data, size_t len, bool secret)
{
	void *copy = NULL;
	int rc;

	if (conn->fd < 0)
		return;
	if (!secret)
		rc = evbuffer_add(conn->out, data, len);
	else if ((copy = malloc(len)) == NULL)
		rc = -1;
	else {
		memcpy(copy, data, len);
		if ((rc = evbuffer_add_reference(conn->out, copy, len,
		    conn_wipe_chunk, NULL)) != 0)
			conn_wipe_chunk(copy, len, NULL);
	}
	if (rc != 0) {
		log_error("client %llu: out of memory queueing %zu bytes; "
		    "closing", (unsigned long long)conn->id, len);
		conn->closing = true;
	}
	/* Requests in flight are taken to owe what replies cost lately: a
	 * big one counts at once, and small ones wear it down by an eighth
	 * each (so one big reply does not throttle the connection for
	 * good). */
	conn->reply_estimate -= conn->reply_estimate / 8;
	if (conn->reply_estimate < len)
		conn->reply_estimate = len;
	if (conn->reply_estimate < CB_CONN_REPLY_RESERVE)
		conn->reply_estimate = CB_CONN_REPLY_RESERVE;
	conn_queue_flush(conn);
	conn_update_reading(conn);
}

void
conn_push(struct conn *conn, const void *a, size_t alen, const void *b,
    size_t blen)
{
	if (conn->fd < 0)
		return;
	if (evbuffer_add(conn->out, a, alen) != 0 ||
	    evbuffer_add(conn->out, b, blen) != 0) {
		log_error("client %llu: out of memory queueing an event; "
		    "closing", (unsigned long long)conn->id);
		conn->closing = true;
	}
	conn->pushed_unsent++;
	conn_queue_flush(conn);
	conn_update_reading(conn);
}

/* Only counted: the idle timer is armed or not at the next
 * conn_update_reading, which follows every answer (subscribe and
 * unsubscribe are requests) and every write of pushed events.  Calling it
 * from here could re-enter the parser that is dispatching the subscribe. */
void
conn_subscribed(struct conn *conn, int delta)
{
	conn->subscriptions = (unsigned)((int)conn->subscriptions + delta);
}

size_t
conn_push_backlog(const struct conn *conn)
{
	return conn->pushed_unsent;
}

size_t
conn_push_bytes(const struct conn *conn)
{
	return evbuffer_get_length(conn->out);
}

uint64_t
conn_id(const struct conn *conn)
{
	return conn->id;
}

void
conn_send(struct conn *conn, const void *data, size_t len)
{
	conn_queue(conn, data, len, false);
}

void
conn_send_secret(struct conn *conn, const void *data, size_t len)
{
	conn_queue(conn, data, len, true);
}

/* Parse held-back input, then write what the socket takes now.  May free
 * conn. */
static void
conn_flush(struct conn *conn)
{
	int n;

	if (conn->parse_pending) {
		conn->parse_pending = false;
		if (conn_parse(conn) != 0)
			return;		/* failed: conn_fail took over */
	}

	/* evbuffer_write() of an empty buffer returns -1 without setting
	 * errno: whatever errno the loop thread last left (ERANGE from a
	 * parser, ECONNRESET from another client) would then drop this
	 * connection.  Write only when there is something to write. */
	if (evbuffer_get_length(conn->out) > 0) {
		errno = 0;
		n = evbuffer_write(conn->out, conn->fd);
		if (n < 0 && errno != 0 && errno != EAGAIN && errno != EINTR) {
			conn_free(conn);	/* gone: replies are dropped */
			return;
		}
	}
	if (evbuffer_get_length(conn->out) == 0) {
		conn->pushed_unsent = 0;
		event_del(conn->ev_write);
		if (conn->closing) {
			conn_free(conn);
			return;
		}
	} else if (event_add(conn->ev_write, NULL) != 0)
		log_error("client %llu: cannot watch for writability",
		    (unsigned long long)conn->id);
	conn_update_reading(conn);
}

void
conn_flush_all(struct server *server)
{
	struct conn *conn;

	while ((conn = server->flush_list) != NULL) {
		conn_flush_unlink(conn);
		conn_flush(conn);
	}
}

void
conn_close_when_flushed(struct conn *conn)
{
	conn->closing = true;
	conn_update_reading(conn);
	if (evbuffer_get_length(conn->out) == 0)
		conn_free(conn);
	else
		conn_queue_flush(conn);
}

void
conn_fail(struct conn *conn, const char *why)
{
	struct packbuf pb;

	log_info("client %llu: protocol error: %s",
	    (unsigned long long)conn->id, why);
	packbuf_init(&pb);
	rpc_pack_notification_error(&pb.pk, CB_PROTOCOL_ERROR, why);
	if (!packbuf_failed(&pb))
		conn_send(conn, pb.sb.data, pb.sb.size);
	packbuf_destroy(&pb);
	conn_close_when_flushed(conn);
}

/* Hand every complete message in conn->in to the gateway.  Returns -1 when
 * the connection was failed. */
static int
conn_parse(struct conn *conn)
{
	const struct config *cfg = conn->server->cfg;
	msgpack_unpacked msg;
	enum scan_status st;
	size_t used = 0, len;

	while (used < conn->in_len) {
		/* Checked before each message: the last one may have put
		 * the connection over its budget or its in-flight limit.
		 * The rest waits in conn->in, and conn_update_reading has it
		 * parsed once a request can be taken again. */
		if (!conn_may_take(conn)) {
			conn->parse_held = !conn->closing;
			break;
		}
		st = scan_feed(&conn->scan, (const uint8_t *)conn->in + used,
		    conn->in_len - used, cfg->max_message_bytes,
		    CB_MAX_NESTING, &len);
		if (st == SCAN_NEED_MORE)
			break;
		if (st != SCAN_COMPLETE) {
			conn_fail(conn, scan_status_text(st));
			return -1;
		}
		scan_reset(&conn->scan);
		if (conn->timer == CONN_TIMER_READ)
			conn_arm_timer(conn, CONN_TIMER_NONE, 0); /* next message:
								   * its own time */
		msgpack_unpacked_init(&msg);
		if (rpc_decode(conn->in + used, len, &msg) != 0) {
			msgpack_unpacked_destroy(&msg);
			conn_fail(conn, "message is not valid msgpack");
			return -1;
		}
		used += len;
		gateway_message(conn->server, conn, &msg);
		/* Not taken by the gateway (answered at once, or refused):
		 * it may still hold a password. */
		if (msg.zone != NULL)
			rpc_wipe_object(&msg.data);
		msgpack_unpacked_destroy(&msg);
	}
	if (used > 0) {
		memmove(conn->in, conn->in + used, conn->in_len - used);
		/* Requests carry passwords: no stale copy stays behind. */
		explicit_bzero(conn->in + conn->in_len - used, used);
		conn->in_len -= used;
	}
	return 0;
}

/* Replace conn->in with a block of cap bytes holding the same input.  Not
 * realloc: the old block held request bytes (passwords), so it is wiped
 * before it is freed. */
static int
conn_in_resize(struct conn *conn, size_t cap)
{
	char *p;

	if ((p = malloc(cap)) == NULL)
		return -1;
	if (conn->in != NULL) {
		memcpy(p, conn->in, conn->in_len);
		explicit_bzero(conn->in, conn->in_cap);
		free(conn->in);
	}
	log_debug("client %llu: input buffer %zu -> %zu bytes",
	    (unsigned long long)conn->id, conn->in_cap, cap);
	conn->in = p;
	conn->in_cap = cap;
	return 0;
}

/*
 * Make room for one more read.  The buffer doubles, so receiving a message
 * of n bytes costs about log2(n / CONN_READ_CHUNK) growths and O(n) bytes
 * copied and wiped in all; growing by one read at a time copied and wiped
 * the whole buffer every 64 KiB, O(n^2) (a 60 MiB message took 90 s).  It
 * stops at one message plus one read, all the scanner ever lets it need.
 */
static int
conn_reserve(struct conn *conn)
{
	size_t need = conn->in_len + CONN_READ_CHUNK, cap, limit;

	if (need <= conn->in_cap)
		return 0;
	limit = conn->server->cfg->max_message_bytes + CONN_READ_CHUNK;
	cap = conn->in_cap > 0 ? conn->in_cap : CONN_READ_CHUNK;
	while (cap < need)
		cap *= 2;
	if (cap > limit)
		cap = limit > need ? limit : need;
	return conn_in_resize(conn, cap);
}

/*
 * Give back what a big message grew, once the input left is small: all of
 * it when there is none, else down to a quarter (the input then fills at
 * most half of it, so growing and shrinking cannot take turns on every
 * read).  Returns -1 only when a smaller block cannot be had.
 */
static int
conn_shrink(struct conn *conn)
{
	size_t cap = conn->in_cap;

	if (cap <= 4 * CONN_READ_CHUNK)
		return 0;
	if (conn->in_len == 0) {
		log_debug("client %llu: input buffer %zu -> 0 bytes",
		    (unsigned long long)conn->id, conn->in_cap);
		explicit_bzero(conn->in, conn->in_cap);
		free(conn->in);
		conn->in = NULL;
		conn->in_cap = 0;
		return 0;
	}
	if (conn->in_len + CONN_READ_CHUNK > cap / 8)
		return 0;
	return conn_in_resize(conn, cap / 4);
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;
	ssize_t n;

	(void)what;
	if (conn_reserve(conn) != 0) {
		conn_fail(conn, "out of memory");
		return;
	}
	/* One chunk at a time, however much room there is: one client's
	 * pipelined requests do not hold the loop longer than that. */
	n = read(fd, conn->in + conn->in_len, CONN_READ_CHUNK);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* Gone, or reset: whatever is in flight is dropped. */
		conn_free(conn);
		return;
	}
	if (n < 0)
		return;
	conn->in_len += (size_t)n;
	if (conn_parse(conn) != 0)
		return;
	/* A smaller block is only an economy: keep the big one if none. */
	(void)conn_shrink(conn);
	conn_update_reading(conn);
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;

	(void)fd;
	(void)what;
	conn_flush_unlink(conn);
	conn_flush(conn);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;

	(void)fd;
	(void)what;
	if (conn->closing)
		conn_free(conn);	/* it would not take its last bytes */
	else if (conn->in_len > 0)
		conn_fail(conn, "read timeout: the message was not completed "
		    "in time");
	else {
		log_info("client %llu: idle timeout",
		    (unsigned long long)conn->id);
		conn_free(conn);
	}
}
