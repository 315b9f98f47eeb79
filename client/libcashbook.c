/*
 * libcashbook.c -- a client connection to cashbookd: connect, send
 * requests, frame and decode responses, match them to requests.
 *
 * Owns, per struct cb_conn: the socket, an input buffer, the list of
 * requests in flight, and the responses read ahead for requests other than
 * the one cb_call waits for.  Everything a hostile or broken server can
 * make us hold is bounded: the input buffer by the scanner's message limit
 * (plus one read), decoded messages by the scanner's checks before
 * msgpack-c sees them, and queued responses by the requests we sent (a
 * response whose msgid we did not send is a protocol error, not a queue
 * entry).
 *
 * Never sends a byte to a socket served by another user than the caller's
 * own or root (peer.h); never blocks past the connection's deadline; never
 * raises SIGPIPE; never keeps global state (everything lives in the
 * cb_conn); never reads or parses a message another way than scan_feed() +
 * rpc_decode() + rpc_parse(), the shared framing the daemon uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The protocol's headers first: errors.h defines CB_OK, which cashbook.h
 * then leaves alone (see there). */
#include "cb_limits.h"
#include "errbuf.h"
#include "errors.h"
#include "methods.h"
#include "packbuf.h"
#include "rpc.h"
#include "scan.h"

#include "cashbook.h"
#include "cashbook_msgpack.h"
#include "conn.h"
#include "params.h"
#include "peer.h"

/*
 * Client-side bounds.  A response may be as large as any daemon is allowed
 * to make one (its --max-message-bytes is at most CB_MAX_MAX_MESSAGE_BYTES),
 * so the client accepts that much and no more.
 */
#define CONN_MAX_MESSAGE	CB_MAX_MAX_MESSAGE_BYTES
#define CONN_READ_CHUNK		(64u * 1024u)	/* one read() at most */
#define CONN_MIN_BUFFER		4096u
/* While the daemon is still at its listen backlog, retry connect() this
 * often. */
#define CONN_BACKLOG_RETRY_MS	10
/* Notifications the server pushed (events) that the caller has not taken
 * yet: at most this many, and this many bytes as sent.  Beyond that they
 * are dropped and counted (cb_notifications_dropped): a program that
 * subscribes and never reads must not grow without bound.  The daemon's
 * own bound per subscription is larger (10,000 events), so a reader that
 * falls this far behind resyncs from book.changes either way. */
#define CONN_NOTIFY_MAX		4096u
#define CONN_NOTIFY_MAX_BYTES	(1024u * 1024u)

/* A deadline in CLOCK_MONOTONIC milliseconds; DEADLINE_NEVER waits
 * forever, DEADLINE_PAST only takes what is already there. */
#define DEADLINE_NEVER		INT64_MAX
#define DEADLINE_PAST		INT64_MIN

struct cb_reply {
	struct cb_reply *next;		/* in one of the conn's queues */
	msgpack_unpacked msg;		/* owns everything below */
	uint32_t msgid;
	const msgpack_object *result;	/* a notification's params map */
	size_t wire_bytes;		/* its size as sent */
	bool is_error;
	bool is_notification;
	char method[CB_MAX_METHOD_LEN + 1];	/* a notification's */
	char error_code[64];
	char error_message[CB_MAX_ERROR_MESSAGE + 1];
};

/* Replies in arrival order. */
struct reply_queue {
	struct cb_reply *head, *tail;
	size_t n;
	size_t bytes;			/* sum of wire_bytes */
};

/* A request sent and not yet answered.  An abandoned one (its cb_call timed
 * out) has nobody waiting: its late answer is read and dropped. */
struct pending {
	uint32_t msgid;
	bool abandoned;
};

struct cb_conn {
	int fd;
	int timeout_ms;			/* <= 0: no timeout */
	uint32_t next_msgid;
	bool msgid_wrapped;		/* msgids may now collide: check */

	/* Input: bytes [in_start, in_end) of in are unconsumed; the scanner
	 * walks the message starting at in_start. */
	char *in;
	size_t in_start, in_end, in_cap;
	struct scanner scan;

	struct pending *pending;
	size_t npending, pending_cap, nabandoned;

	struct reply_queue ahead;	/* responses read for cb_recv */
	struct reply_queue notes;	/* notifications not yet taken */
	uint64_t notes_dropped;		/* ... and those that did not fit */

	struct packbuf out;		/* the request being sent */

	char *token;			/* cb_set_token's, or NULL */

	/* 0, or CB_EIO / CB_EPROTO once the stream is unusable; then every
	 * call fails with it and the message below says why. */
	int dead;
	bool has_error_code;
	char error_code[64];
	char error_message[256];
};

/* ---- small helpers ---- */

static void
reply_queue_push(struct reply_queue *q, struct cb_reply *r)
{
	r->next = NULL;
	if (q->tail != NULL)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	q->n++;
	q->bytes += r->wire_bytes;
}

/* The oldest reply, or NULL. */
static struct cb_reply *
reply_queue_pop(struct reply_queue *q)
{
	struct cb_reply *r = q->head;

	if (r == NULL)
		return NULL;
	q->head = r->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	q->bytes -= r->wire_bytes;
	r->next = NULL;
	return r;
}

static void
reply_queue_free(struct reply_queue *q)
{
	struct cb_reply *r;

	while ((r = reply_queue_pop(q)) != NULL)
		cb_reply_free(r);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
deadline_after(int timeout_ms)
{
	if (timeout_ms <= 0)
		return DEADLINE_NEVER;
	return now_ms() + timeout_ms;
}

/* The poll() timeout left until deadline: -1 forever, 0 when past. */
static int
deadline_poll_ms(int64_t deadline)
{
	int64_t left;

	if (deadline == DEADLINE_NEVER)
		return -1;
	if (deadline == DEADLINE_PAST)
		return 0;
	left = deadline - now_ms();
	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Copy len bytes of src into dst (size dstlen), NUL-terminated, cut. */
static void
copy_text(char *dst, size_t dstlen, const char *src, size_t len)
{
	if (dstlen == 0)
		return;
	if (len >= dstlen)
		len = dstlen - 1;
	if (len > 0)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

static void
conn_clear_error(struct cb_conn *conn)
{
	conn->has_error_code = false;
	conn->error_code[0] = '\0';
	conn->error_message[0] = '\0';
}

static void conn_vset_error(struct cb_conn *conn, const char *fmt,
    va_list ap) __attribute__((format(printf, 2, 0)));

static void
conn_vset_error(struct cb_conn *conn, const char *fmt, va_list ap)
{
	conn->has_error_code = false;
	conn->error_code[0] = '\0';
	if (vsnprintf(conn->error_message, sizeof conn->error_message,
	    fmt, ap) < 0)
		conn->error_message[0] = '\0';
}

static int conn_fail(struct cb_conn *conn, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int conn_break(struct cb_conn *conn, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a local failure that leaves the connection usable; return rc. */
static int
conn_fail(struct cb_conn *conn, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conn_vset_error(conn, fmt, ap);
	va_end(ap);
	return rc;
}

/* Record a failure after which the stream cannot be trusted to be in step
 * (CB_EIO, CB_EPROTO): every later call fails with rc. */
static int
conn_break(struct cb_conn *conn, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conn_vset_error(conn, fmt, ap);
	va_end(ap);
	conn->dead = rc;
	return rc;
}

/* Record an error the server sent (code and message as on the wire). */
static void
conn_set_server_error(struct cb_conn *conn, const char *code, size_t code_len,
    const char *msg, size_t msg_len)
{
	conn->has_error_code = true;
	copy_text(conn->error_code, sizeof conn->error_code, code, code_len);
	copy_text(conn->error_message, sizeof conn->error_message, msg,
	    msg_len);
}

/* ---- public: errors ---- */

const char *
cb_strerror(int rc)
{
	switch (rc) {
	case CB_OK:		return "success";
	case CB_ESERVER:	return "cashbookd returned an error";
	case CB_ECONNECT:	return "cannot connect to cashbookd";
	case CB_EIO:		return "connection to cashbookd lost";
	case CB_ETIMEOUT:	return "timed out waiting for cashbookd";
	case CB_EPROTO:		return "protocol error";
	case CB_ENOMEM:		return "out of memory";
	case CB_EINVAL:		return "invalid argument";
	default:		return "unknown error";
	}
}

const char *
cb_error_code(const struct cb_conn *conn)
{
	if (conn == NULL || !conn->has_error_code)
		return NULL;
	return conn->error_code;
}

const char *
cb_error_message(const struct cb_conn *conn)
{
	if (conn == NULL)
		return "";
	return conn->error_message;
}

/* ---- public: connecting ---- */

const char *
cb_default_socket_path(char *buf, size_t len)
{
	const char *env;
	int n;

	/* secure_getenv: a set-id program linking us must not be pointed at
	 * another socket by its caller's environment. */
	env = secure_getenv("CASHBOOK_SOCKET");
	if (env != NULL && env[0] != '\0')
		n = snprintf(buf, len, "%s", env);
	else if ((env = secure_getenv("XDG_RUNTIME_DIR")) != NULL &&
	    env[0] == '/')
		n = snprintf(buf, len, "%s/cashbook/cashbookd.sock", env);
	else
		n = snprintf(buf, len, "/tmp/cashbook-%u/cashbookd.sock",
		    (unsigned)getuid());
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return buf;
}

/*
 * connect() without blocking past deadline.  A Unix socket connects at once
 * or fails, except when the daemon's listen backlog is full: then a
 * non-blocking connect says EAGAIN and we retry until the deadline.
 * Returns CB_OK, CB_ECONNECT or CB_ETIMEOUT, with errno set on failure.
 */
static int
connect_with_deadline(int fd, const struct sockaddr_un *sa, int64_t deadline)
{
	int soerr, ms;
	socklen_t slen;
	struct pollfd pfd;

	for (;;) {
		if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0)
			return CB_OK;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			ms = deadline_poll_ms(deadline);
			if (ms == 0) {
				errno = ETIMEDOUT;
				return CB_ETIMEOUT;
			}
			if (ms < 0 || ms > CONN_BACKLOG_RETRY_MS)
				ms = CONN_BACKLOG_RETRY_MS;
			(void)poll(NULL, 0, ms);
			continue;
		}
		if (errno != EINPROGRESS)
			return CB_ECONNECT;
		break;
	}

	/* In progress (not seen with AF_UNIX on Linux, but allowed). */
	pfd.fd = fd;
	pfd.events = POLLOUT;
	for (;;) {
		pfd.revents = 0;
		int n = poll(&pfd, 1, deadline_poll_ms(deadline));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return CB_ECONNECT;
		if (n == 0) {
			errno = ETIMEDOUT;
			return CB_ETIMEOUT;
		}
		break;
	}
	soerr = 0;
	slen = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0)
		return CB_ECONNECT;
	if (soerr != 0) {
		errno = soerr;
		return CB_ECONNECT;
	}
	return CB_OK;
}

int
cb_connect(const char *socket_path, int timeout_ms, struct cb_conn **out,
    char *err, size_t errlen)
{
	char defpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un sa;
	struct cb_conn *conn;
	int rc, saved;

	if (out == NULL) {
		errbuf_set(err, errlen, "no place for the connection");
		return CB_EINVAL;
	}
	*out = NULL;
	if (socket_path == NULL) {
		socket_path = cb_default_socket_path(defpath, sizeof defpath);
		if (socket_path == NULL) {
			errbuf_set(err, errlen, "default socket path too long");
			return CB_EINVAL;
		}
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (socket_path[0] == '\0' ||
	    strlen(socket_path) >= sizeof sa.sun_path) {
		errbuf_set(err, errlen, "socket path %s (at most %zu bytes)",
		    socket_path[0] == '\0' ? "is empty" : "too long",
		    sizeof sa.sun_path - 1);
		errno = ENAMETOOLONG;
		return CB_EINVAL;
	}
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);

	conn = calloc(1, sizeof *conn);
	if (conn == NULL) {
		errbuf_set(err, errlen, "%s", strerror(ENOMEM));
		return CB_ENOMEM;
	}
	conn->timeout_ms = timeout_ms;
	conn->next_msgid = 1;
	scan_reset(&conn->scan);
	packbuf_init(&conn->out);

	/* Non-blocking for good: every wait goes through poll() with the
	 * connection's deadline. */
	conn->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (conn->fd < 0) {
		saved = errno;
		errbuf_set(err, errlen, "%s", strerror(saved));
		conn->fd = -1;
		cb_close(conn);
		errno = saved;
		return CB_ECONNECT;
	}
	rc = connect_with_deadline(conn->fd, &sa, deadline_after(timeout_ms));
	if (rc != CB_OK) {
		saved = errno;
		if (rc == CB_ETIMEOUT)
			errbuf_set(err, errlen, "timed out after %d ms",
			    timeout_ms);
		else
			errbuf_set(err, errlen, "%s", strerror(saved));
		cb_close(conn);
		errno = saved;
		return rc;
	}
	/* Before the first byte: is this our own user's daemon (or root's),
	 * or someone who got to the path first? */
	if (cb_peer_check(conn->fd, socket_path, err, errlen) != 0) {
		saved = errno;
		cb_close(conn);
		errno = saved;
		return CB_ECONNECT;
	}
	*out = conn;
	return CB_OK;
}

/* Wipe and free the session token. */
static void
conn_forget_token(struct cb_conn *conn)
{
	if (conn->token == NULL)
		return;
	explicit_bzero(conn->token, strlen(conn->token));
	free(conn->token);
	conn->token = NULL;
}

int
cb_set_token(struct cb_conn *conn, const char *token)
{
	char *copy = NULL;

	if (conn == NULL)
		return CB_EINVAL;
	if (token != NULL && token[0] != '\0') {
		if (strlen(token) > CB_TOKEN_MAX)
			return conn_fail(conn, CB_EINVAL, "a token is at most "
			    "%d bytes", CB_TOKEN_MAX);
		if ((copy = strdup(token)) == NULL)
			return conn_fail(conn, CB_ENOMEM, "out of memory");
	}
	conn_forget_token(conn);
	conn->token = copy;
	return CB_OK;
}

const char *
cb_conn_token(const struct cb_conn *conn)
{
	return conn == NULL ? NULL : conn->token;
}

int
cb_conn_fail(struct cb_conn *conn, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conn_vset_error(conn, fmt, ap);
	va_end(ap);
	return rc;
}

void
cb_close(struct cb_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->fd >= 0)
		(void)close(conn->fd);
	reply_queue_free(&conn->ahead);
	reply_queue_free(&conn->notes);
	if (conn->in != NULL)
		explicit_bzero(conn->in, conn->in_cap);
	free(conn->in);
	free(conn->pending);
	packbuf_destroy(&conn->out);
	conn_forget_token(conn);
	free(conn);
}

void
cb_set_timeout(struct cb_conn *conn, int timeout_ms)
{
	if (conn != NULL)
		conn->timeout_ms = timeout_ms;
}

int
cb_fd(const struct cb_conn *conn)
{
	return conn == NULL ? -1 : conn->fd;
}

bool
cb_buffered(const struct cb_conn *conn)
{
	return conn != NULL && (conn->ahead.n > 0 || conn->notes.n > 0 ||
	    conn->in_end > conn->in_start);
}

size_t
cb_pending(const struct cb_conn *conn)
{
	if (conn == NULL)
		return 0;
	return conn->npending - conn->nabandoned + conn->ahead.n;
}

/* ---- requests in flight ---- */

static struct pending *
pending_find(struct cb_conn *conn, uint32_t msgid)
{
	for (size_t i = 0; i < conn->npending; i++) {
		if (conn->pending[i].msgid == msgid)
			return &conn->pending[i];
	}
	return NULL;
}

/* Order does not matter: move the last entry into the hole. */
static void
pending_remove(struct cb_conn *conn, struct pending *p)
{
	if (p->abandoned)
		conn->nabandoned--;
	*p = conn->pending[--conn->npending];
}

static int
pending_reserve(struct cb_conn *conn)
{
	struct pending *np;
	size_t cap;

	if (conn->npending < conn->pending_cap)
		return CB_OK;
	cap = conn->pending_cap == 0 ? 16 : conn->pending_cap * 2;
	np = realloc(conn->pending, cap * sizeof *np);
	if (np == NULL)
		return CB_ENOMEM;
	conn->pending = np;
	conn->pending_cap = cap;
	return CB_OK;
}

/* The next msgid not in flight.  Only after 2^32 requests on one
 * connection can a msgid come round while still in flight. */
static uint32_t
msgid_next(struct cb_conn *conn)
{
	uint32_t id;

	do {
		id = conn->next_msgid++;
		if (conn->next_msgid == 0)
			conn->msgid_wrapped = true;
	} while (conn->msgid_wrapped && pending_find(conn, id) != NULL);
	return id;
}

/* ---- reading ---- */

/*
 * Read once from the socket into the input buffer, waiting until deadline
 * for something to arrive.  Returns CB_OK when bytes came, CB_ETIMEOUT,
 * or CB_EIO (connection closed or broken).
 */
static int
conn_read_some(struct cb_conn *conn, int64_t deadline)
{
	struct pollfd pfd;
	size_t room;
	ssize_t n;
	int pn;

	/* Make room: first slide the unconsumed bytes to the front, then grow,
	 * but never past one whole message plus one read. */
	if (conn->in_start > 0 && conn->in_end == conn->in_cap) {
		memmove(conn->in, conn->in + conn->in_start,
		    conn->in_end - conn->in_start);
		explicit_bzero(conn->in + conn->in_end - conn->in_start,
		    conn->in_start);
		conn->in_end -= conn->in_start;
		conn->in_start = 0;
	}
	if (conn->in_end == conn->in_cap) {
		size_t max = CONN_MAX_MESSAGE + CONN_READ_CHUNK;
		size_t cap = conn->in_cap == 0 ? CONN_MIN_BUFFER :
		    conn->in_cap * 2;
		char *nin;

		if (cap > max)
			cap = max;
		if (cap <= conn->in_cap)	/* the scanner stops us first */
			return conn_break(conn, CB_EPROTO,
			    "response larger than %u bytes", CONN_MAX_MESSAGE);
		/* Not realloc: the old block is wiped, not left behind. */
		nin = malloc(cap);
		if (nin == NULL)
			return conn_fail(conn, CB_ENOMEM,
			    "out of memory reading a response");
		if (conn->in != NULL) {
			memcpy(nin, conn->in, conn->in_end);
			explicit_bzero(conn->in, conn->in_cap);
			free(conn->in);
		}
		conn->in = nin;
		conn->in_cap = cap;
	}
	room = conn->in_cap - conn->in_end;
	if (room > CONN_READ_CHUNK)
		room = CONN_READ_CHUNK;

	for (;;) {
		n = read(conn->fd, conn->in + conn->in_end, room);
		if (n > 0) {
			conn->in_end += (size_t)n;
			return CB_OK;
		}
		if (n == 0) {
			if (conn->in_end > conn->in_start)
				return conn_break(conn, CB_EIO, "connection "
				    "closed by cashbookd in the middle of a "
				    "response");
			return conn_break(conn, CB_EIO,
			    "connection closed by cashbookd");
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return conn_break(conn, CB_EIO, "read: %s",
			    strerror(errno));
		pfd.fd = conn->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		pn = poll(&pfd, 1, deadline_poll_ms(deadline));
		if (pn < 0 && errno != EINTR)
			return conn_break(conn, CB_EIO, "poll: %s",
			    strerror(errno));
		if (pn == 0)
			return CB_ETIMEOUT;
	}
}

static struct cb_reply *
reply_new(void)
{
	struct cb_reply *r = calloc(1, sizeof *r);

	if (r != NULL)
		msgpack_unpacked_init(&r->msg);
	return r;
}

/*
 * Keep a notification the server pushed for cb_next_notification, or drop
 * and count it when the queue is at its bound.  Takes r either way.
 */
static void
conn_keep_notification(struct cb_conn *conn, struct cb_reply *r,
    const struct rpc_message *m)
{
	if (conn->notes.n >= CONN_NOTIFY_MAX ||
	    conn->notes.bytes + r->wire_bytes > CONN_NOTIFY_MAX_BYTES ||
	    m->method_len > CB_MAX_METHOD_LEN) {
		conn->notes_dropped++;
		cb_reply_free(r);
		return;
	}
	r->is_notification = true;
	copy_text(r->method, sizeof r->method, m->method, m->method_len);
	r->result = m->params;
	reply_queue_push(&conn->notes, r);
}

/*
 * Turn the complete message of len bytes at the front of the input into a
 * reply.  Returns CB_OK with *out set to a response, CB_OK with *out NULL
 * for a message that is not a response to hand out (a notification, now
 * queued; the late answer to an abandoned request), or a failure.
 */
static int
conn_take_message(struct cb_conn *conn, size_t len, struct cb_reply **out)
{
	struct rpc_message m;
	struct pending *p;
	struct cb_reply *r;
	uint32_t msgid;
	char why[128];
	int rc;

	*out = NULL;
	r = reply_new();
	if (r == NULL) {
		/* The message stays buffered; rescan it on the next call. */
		scan_reset(&conn->scan);
		return conn_fail(conn, CB_ENOMEM,
		    "out of memory reading a response");
	}
	r->wire_bytes = len;
	rc = rpc_decode(conn->in + conn->in_start, len, &r->msg);
	/* The bytes are consumed whatever they held; the reply has its own
	 * copy, and tokens must not linger in the read buffer. */
	explicit_bzero(conn->in + conn->in_start, len);
	conn->in_start += len;
	if (conn->in_start == conn->in_end)
		conn->in_start = conn->in_end = 0;
	scan_reset(&conn->scan);
	if (rc != 0) {
		cb_reply_free(r);
		return conn_break(conn, CB_EPROTO,
		    "cashbookd sent a message that cannot be decoded");
	}
	if (rpc_parse(&r->msg.data, &m, &msgid, why, sizeof why) != 0) {
		cb_reply_free(r);
		return conn_break(conn, CB_EPROTO,
		    "cashbookd sent an invalid message: %s", why);
	}

	switch (m.type) {
	case RPC_NOTIFICATION:
		if (m.method_len == strlen(CB_NOTIFY_ERROR) &&
		    memcmp(m.method, CB_NOTIFY_ERROR, m.method_len) == 0) {
			/* The server's last word before it hangs up. */
			conn_set_server_error(conn, m.error_name,
			    m.error_name_len, m.error_message,
			    m.error_message_len);
			conn->dead = CB_EPROTO;
			cb_reply_free(r);
			return CB_EPROTO;
		}
		conn_keep_notification(conn, r, &m);
		return CB_OK;
	case RPC_REQUEST:
		cb_reply_free(r);
		return conn_break(conn, CB_EPROTO,
		    "cashbookd sent a request; clients take none");
	case RPC_RESPONSE:
		break;
	}

	p = pending_find(conn, m.msgid);
	if (p == NULL) {
		cb_reply_free(r);
		return conn_break(conn, CB_EPROTO, "cashbookd answered "
		    "msgid %" PRIu32 ", which was never asked", m.msgid);
	}
	if (p->abandoned) {
		pending_remove(conn, p);
		cb_reply_free(r);
		return CB_OK;
	}
	pending_remove(conn, p);
	r->msgid = m.msgid;
	r->result = m.result;
	if (m.error_message != NULL) {
		r->is_error = true;
		copy_text(r->error_code, sizeof r->error_code, m.error_name,
		    m.error_name_len);
		copy_text(r->error_message, sizeof r->error_message,
		    m.error_message, m.error_message_len);
	}
	*out = r;
	return CB_OK;
}

/*
 * The next response to hand to a caller, read from the socket until
 * deadline.  Returns CB_OK with *out set, or a failure (CB_ETIMEOUT leaves
 * the connection usable; a partial message stays buffered).  With
 * until_notification, also returns CB_OK with *out NULL as soon as a
 * notification is waiting in conn->notes.
 */
static int
conn_read_reply(struct cb_conn *conn, int64_t deadline, bool until_notification,
    struct cb_reply **out)
{
	enum scan_status st;
	bool did_read = false;
	size_t len;
	int rc;

	*out = NULL;
	for (;;) {
		if (conn->in_end > conn->in_start) {
			st = scan_feed(&conn->scan,
			    (const uint8_t *)conn->in + conn->in_start,
			    conn->in_end - conn->in_start, CONN_MAX_MESSAGE,
			    CB_MAX_NESTING, &len);
			if (st == SCAN_COMPLETE) {
				rc = conn_take_message(conn, len, out);
				if (rc != CB_OK || *out != NULL)
					return rc;
				if (until_notification && conn->notes.n > 0)
					return CB_OK;
				continue;
			}
			if (st != SCAN_NEED_MORE)
				return conn_break(conn, CB_EPROTO,
				    "cashbookd sent an invalid response: %s",
				    scan_status_text(st));
		}
		/* A server that keeps sending what nobody waits for (other
		 * notifications, late answers) must not hold us past the
		 * deadline: poll() alone would never time out. */
		if (did_read && deadline_poll_ms(deadline) == 0)
			return CB_ETIMEOUT;
		did_read = true;
		rc = conn_read_some(conn, deadline);
		if (rc != CB_OK)
			return rc;
	}
}

/*
 * The send failed because cashbookd hung up.  It may have said why first
 * ("too many clients", a protocol_error): read what is already there, so
 * the caller gets that reason instead of a bare "connection lost".
 */
static int
conn_salvage(struct cb_conn *conn, int err)
{
	struct cb_reply *r;
	int rc;

	do {
		rc = conn_read_reply(conn, DEADLINE_PAST, false, &r);
		cb_reply_free(r);
	} while (rc == CB_OK);
	if (conn->dead == CB_EPROTO)
		return CB_EPROTO;
	return conn_break(conn, CB_EIO, "connection closed by cashbookd (%s)",
	    strerror(err));
}

/* ---- writing ---- */

/*
 * Write the whole request in conn->out, waiting until deadline.  While the
 * socket is full, keep reading responses into the input buffer (bounded
 * like any read): a daemon whose output we do not drain stops reading our
 * input, and we would both wait.
 */
static int
conn_write_out(struct cb_conn *conn, int64_t deadline)
{
	const char *p = conn->out.sb.data;
	size_t left = conn->out.sb.size;
	struct pollfd pfd;
	ssize_t n;
	int pn, rc;

	while (left > 0) {
		n = send(conn->fd, p, left, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			left -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			if (errno == EPIPE || errno == ECONNRESET)
				return conn_salvage(conn, errno);
			return conn_break(conn, CB_EIO, "send: %s",
			    strerror(errno));
		}
		pfd.fd = conn->fd;
		pfd.events = POLLOUT;
		if (conn->in_end - conn->in_start < CONN_MAX_MESSAGE)
			pfd.events |= POLLIN;
		pfd.revents = 0;
		pn = poll(&pfd, 1, deadline_poll_ms(deadline));
		if (pn < 0 && errno != EINTR)
			return conn_break(conn, CB_EIO, "poll: %s",
			    strerror(errno));
		if (pn == 0) {
			if (left == conn->out.sb.size)
				return conn_fail(conn, CB_ETIMEOUT, "timed "
				    "out sending a request to cashbookd");
			/* Half a request is on the wire: the stream cannot
			 * be resynchronised. */
			(void)conn_break(conn, CB_EIO, "connection unusable: "
			    "a request was only partly sent before the "
			    "timeout");
			return CB_ETIMEOUT;
		}
		if (pn > 0 && (pfd.revents & POLLIN) != 0) {
			rc = conn_read_some(conn, DEADLINE_PAST);
			if (rc == CB_EIO && conn->in_end > conn->in_start)
				return conn_salvage(conn, EPIPE);
			if (rc == CB_ENOMEM && left < conn->out.sb.size)
				(void)conn_break(conn, CB_EIO, "connection "
				    "unusable: out of memory while a request "
				    "was partly sent");
			if (rc != CB_OK && rc != CB_ETIMEOUT)
				return rc;
		}
	}
	return CB_OK;
}

/* Pack and send one request; on success it is in flight under *msgid. */
static int
conn_send(struct cb_conn *conn, const char *method,
    const struct cb_params *params, int64_t deadline, uint32_t *msgid)
{
	uint32_t id;
	int rc;

	if (method == NULL || method[0] == '\0' ||
	    strlen(method) > CB_MAX_METHOD_LEN)
		return conn_fail(conn, CB_EINVAL, "invalid method name");
	if (pending_reserve(conn) != CB_OK)
		return conn_fail(conn, CB_ENOMEM, "out of memory");
	id = msgid_next(conn);
	packbuf_clear(&conn->out);
	(void)rpc_pack_request_head(&conn->out.pk, id, method);
	cb_params_pack(params, &conn->out.pk);
	if (packbuf_failed(&conn->out))
		return conn_fail(conn, CB_ENOMEM,
		    "out of memory packing a request");
	if (conn->out.sb.size > CONN_MAX_MESSAGE)
		return conn_fail(conn, CB_EINVAL,
		    "request larger than %u bytes", CONN_MAX_MESSAGE);
	rc = conn_write_out(conn, deadline);
	if (rc != CB_OK)
		return rc;
	conn->pending[conn->npending].msgid = id;
	conn->pending[conn->npending].abandoned = false;
	conn->npending++;
	*msgid = id;
	return CB_OK;
}

/* Start of every call: a dead connection fails at once, keeping its
 * reason; otherwise forget the previous call's error. */
static int
conn_begin(struct cb_conn *conn)
{
	if (conn->dead != 0)
		return conn->dead;
	conn_clear_error(conn);
	return CB_OK;
}

/* ---- public: calls ---- */

int
cb_call(struct cb_conn *conn, const char *method,
    const struct cb_params *params, struct cb_reply **reply)
{
	struct cb_reply *r;
	struct pending *p;
	int64_t deadline;
	uint32_t id;
	int rc;

	if (reply != NULL)
		*reply = NULL;
	if (conn == NULL || reply == NULL)
		return CB_EINVAL;
	if ((rc = conn_begin(conn)) != CB_OK)
		return rc;
	deadline = deadline_after(conn->timeout_ms);
	if ((rc = conn_send(conn, method, params, deadline, &id)) != CB_OK)
		return rc;

	for (;;) {
		rc = conn_read_reply(conn, deadline, false, &r);
		if (rc == CB_ETIMEOUT) {
			p = pending_find(conn, id);
			if (p != NULL && !p->abandoned) {
				p->abandoned = true;
				conn->nabandoned++;
			}
			return conn_fail(conn, CB_ETIMEOUT, "no answer from "
			    "cashbookd to %s within %d ms", method,
			    conn->timeout_ms);
		}
		if (rc != CB_OK)
			return rc;
		if (r->msgid == id)
			break;
		/* Someone's pipelined answer: keep it for cb_recv. */
		reply_queue_push(&conn->ahead, r);
	}
	if (r->is_error) {
		conn_set_server_error(conn, r->error_code,
		    strlen(r->error_code), r->error_message,
		    strlen(r->error_message));
		cb_reply_free(r);
		return CB_ESERVER;
	}
	*reply = r;
	return CB_OK;
}

int
cb_send(struct cb_conn *conn, const char *method,
    const struct cb_params *params, uint32_t *msgid)
{
	uint32_t id;
	int rc;

	if (conn == NULL)
		return CB_EINVAL;
	if ((rc = conn_begin(conn)) != CB_OK)
		return rc;
	rc = conn_send(conn, method, params,
	    deadline_after(conn->timeout_ms), &id);
	if (rc == CB_OK && msgid != NULL)
		*msgid = id;
	return rc;
}

int
cb_recv(struct cb_conn *conn, struct cb_reply **reply)
{
	struct cb_reply *r;
	int rc;

	if (reply != NULL)
		*reply = NULL;
	if (conn == NULL || reply == NULL)
		return CB_EINVAL;
	if ((rc = conn_begin(conn)) != CB_OK)
		return rc;
	if ((r = reply_queue_pop(&conn->ahead)) != NULL) {
		*reply = r;
		return CB_OK;
	}
	if (conn->npending == conn->nabandoned)
		return conn_fail(conn, CB_EINVAL, "no request in flight");
	rc = conn_read_reply(conn, deadline_after(conn->timeout_ms), false,
	    &r);
	if (rc == CB_ETIMEOUT)
		return conn_fail(conn, CB_ETIMEOUT, "no answer from cashbookd "
		    "within %d ms", conn->timeout_ms);
	if (rc == CB_OK)
		*reply = r;
	return rc;
}

/* ---- public: notifications ---- */

int
cb_next_notification(struct cb_conn *conn, int timeout_ms,
    struct cb_reply **out)
{
	struct cb_reply *r;
	int64_t deadline;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (conn == NULL || out == NULL)
		return CB_EINVAL;
	/* Queued ones are handed out even from a connection that has since
	 * died: they were received whole. */
	if ((r = reply_queue_pop(&conn->notes)) != NULL) {
		*out = r;
		return CB_OK;
	}
	if ((rc = conn_begin(conn)) != CB_OK)
		return rc;
	deadline = timeout_ms < 0 ? DEADLINE_NEVER :
	    timeout_ms == 0 ? DEADLINE_PAST : now_ms() + timeout_ms;
	for (;;) {
		rc = conn_read_reply(conn, deadline, true, &r);
		if (rc == CB_ETIMEOUT)
			return conn_fail(conn, CB_ETIMEOUT,
			    "no notification within %d ms", timeout_ms);
		if (rc != CB_OK)
			return rc;
		if (r == NULL)
			break;
		/* An answer to a request sent with cb_send: keep it for
		 * cb_recv, as cb_call does. */
		reply_queue_push(&conn->ahead, r);
	}
	*out = reply_queue_pop(&conn->notes);
	return CB_OK;
}

uint64_t
cb_notifications_dropped(const struct cb_conn *conn)
{
	return conn == NULL ? 0 : conn->notes_dropped;
}

/* ---- public: replies ---- */

void
cb_reply_free(struct cb_reply *reply)
{
	if (reply == NULL)
		return;
	if (reply->msg.zone != NULL)
		rpc_wipe_object(&reply->msg.data);	/* a login's token */
	msgpack_unpacked_destroy(&reply->msg);
	free(reply);
}

uint32_t
cb_reply_msgid(const struct cb_reply *reply)
{
	return reply == NULL ? 0 : reply->msgid;
}

const msgpack_object *
cb_reply_result(const struct cb_reply *reply)
{
	static const msgpack_object nil = { .type = MSGPACK_OBJECT_NIL };

	if (reply == NULL || reply->result == NULL)
		return &nil;
	return reply->result;
}

const struct cb_value *
cb_reply_value(const struct cb_reply *reply)
{
	return cb_value_of(cb_reply_result(reply));
}

const char *
cb_reply_method(const struct cb_reply *reply)
{
	return reply != NULL && reply->is_notification ? reply->method : NULL;
}

const char *
cb_reply_error_code(const struct cb_reply *reply)
{
	return reply != NULL && reply->is_error ? reply->error_code : NULL;
}

const char *
cb_reply_error_message(const struct cb_reply *reply)
{
	return reply != NULL && reply->is_error ? reply->error_message : NULL;
}

/* ---- public: typed helpers ---- */

int
cb_ping(struct cb_conn *conn, struct cb_ping_info *out)
{
	struct cb_reply *r;
	const msgpack_object *res;
	int rc;

	if (out == NULL)
		return CB_EINVAL;
	memset(out, 0, sizeof *out);
	if ((rc = cb_call(conn, CB_METHOD_PING, NULL, &r)) != CB_OK)
		return rc;
	res = cb_reply_result(r);
	if (cb_map_get_str(res, "version", out->version,
	    sizeof out->version) != CB_OK ||
	    cb_map_get_int(res, "protocol", &out->protocol) != CB_OK)
		rc = conn_fail(conn, CB_EPROTO,
		    "cashbookd's ping answer lacks version or protocol");
	cb_reply_free(r);
	return rc;
}

/* Where each figure of server.stats lands in struct cb_stats. */
static const struct {
	const char *section;		/* NULL: top level */
	const char *key;
	size_t offset;
} stats_fields[] = {
#define F(sec, key, member) { sec, key, offsetof(struct cb_stats, member) }
	F("pool", "size", pool.size),
	F("pool", "in_use", pool.in_use),
	F("pool", "idle", pool.idle),
	F("pool", "waiting", pool.waiting),
	F("pool", "acquired", pool.acquired),
	F("pool", "released", pool.released),
	F("pool", "wait_timeouts", pool.wait_timeouts),
	F("pool", "replaced", pool.replaced),
	F("pool", "max_wait_us", pool.max_wait_us),
	F("connections", "open", connections.open),
	F("connections", "max", connections.max),
	F("requests", "total", requests.total),
	F("requests", "errors", requests.errors),
	F(NULL, "uptime_s", uptime_s),
#undef F
};

int
cb_stats(struct cb_conn *conn, struct cb_stats *out)
{
	const msgpack_object *res, *map;
	struct cb_reply *r;
	int64_t v;
	int rc;

	if (out == NULL)
		return CB_EINVAL;
	memset(out, 0, sizeof *out);
	if ((rc = cb_call(conn, CB_METHOD_SERVER_STATS, NULL, &r)) != CB_OK)
		return rc;
	res = cb_reply_result(r);
	for (size_t i = 0; i < sizeof stats_fields / sizeof stats_fields[0];
	    i++) {
		map = stats_fields[i].section == NULL ? res :
		    cb_map_get(res, stats_fields[i].section);
		if (cb_map_get_int(map, stats_fields[i].key, &v) != CB_OK) {
			rc = conn_fail(conn, CB_EPROTO, "cashbookd's "
			    "server.stats answer lacks %s%s%s",
			    stats_fields[i].section != NULL ?
			    stats_fields[i].section : "",
			    stats_fields[i].section != NULL ? "." : "",
			    stats_fields[i].key);
			break;
		}
		memcpy((char *)out + stats_fields[i].offset, &v, sizeof v);
	}
	cb_reply_free(r);
	return rc;
}
