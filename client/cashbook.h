/*
 * cashbook.h -- libcashbook, the C client library of cashbookd.
 *
 * A struct cb_conn is one connection to cashbookd over its Unix socket.  On
 * it you either call methods one at a time (cb_call, blocking, honouring the
 * connection's timeout) or pipeline them (cb_send many, then cb_recv the
 * responses as they come, in any order).  Both may be mixed on one
 * connection: a response that cb_call reads for another request still in
 * flight is queued and handed out later by cb_recv.
 *
 * Results are msgpack objects (msgpack-c, <msgpack.h>) owned by a struct
 * cb_reply; cb_map_get* read named fields out of them.
 *
 * Errors: every function returning int returns CB_OK (0) or a negative
 * CB_E* code.  CB_ESERVER means cashbookd answered with an error; its
 * stable code ("pool_timeout", "not_found", ...) and message are then in
 * cb_error_code() / cb_error_message().  After CB_EIO or CB_EPROTO the
 * connection is dead: every later call fails the same way; cb_close it.
 *
 * Threads: a cb_conn must be used by one thread at a time (no locking
 * inside); distinct connections are fully independent.  The library keeps
 * no global mutable state, and never raises SIGPIPE (sends use
 * MSG_NOSIGNAL).  File descriptors are opened close-on-exec.
 *
 * Never includes the daemon's or the protocol's private headers: this file
 * is installed, and needs only <msgpack.h> (pkg-config: cashbook, which
 * Requires msgpack).
 */
#ifndef CASHBOOK_H
#define CASHBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; these are its exports. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define CB_API __attribute__((visibility("default")))
#else
#define CB_API
#endif

/* Result codes. */
#define CB_OK		0
#define CB_ESERVER	(-1)	/* cashbookd answered an error: cb_error_code() */
#define CB_ECONNECT	(-2)	/* cannot connect (no daemon, no permission) */
#define CB_EIO		(-3)	/* connection lost (closed, reset) */
#define CB_ETIMEOUT	(-4)	/* no answer within the connection's timeout */
#define CB_EPROTO	(-5)	/* cashbookd sent something invalid, or closed
				   the connection with a protocol_error */
#define CB_ENOMEM	(-6)	/* out of memory */
#define CB_EINVAL	(-7)	/* bad argument (or a value does not fit) */

/* A short description of a result code ("connection lost", ...). */
CB_API const char *cb_strerror(int rc);

/* Timeout a CLI should use when the user gives none.  Longer than the
 * daemon's default pool and statement timeouts, so a busy daemon's own
 * "pool_timeout" answer reaches the caller before the client gives up. */
#define CB_DEFAULT_TIMEOUT_MS	10000

/* ---- connections ---- */

struct cb_conn;

/*
 * The socket cashbookd listens on by default, the same rule as the daemon:
 * $CASHBOOK_SOCKET if set and not empty, else
 * $XDG_RUNTIME_DIR/cashbook/cashbookd.sock if XDG_RUNTIME_DIR is an absolute
 * path, else /tmp/cashbook-$UID/cashbookd.sock.  Writes it into buf and
 * returns buf, or NULL (errno ENAMETOOLONG) when it does not fit.
 */
CB_API const char *cb_default_socket_path(char *buf, size_t len);

/*
 * Connect to the cashbookd socket at socket_path (NULL: the default above).
 * timeout_ms bounds the connect and then every later call on the connection
 * (each cb_call, cb_send, cb_recv as a whole); <= 0 means wait forever.
 * On success stores the new connection in *out and returns CB_OK.  On
 * failure returns CB_ECONNECT, CB_ETIMEOUT, CB_EINVAL (path too long) or
 * CB_ENOMEM, and writes why into err (may be NULL) without the path, e.g.
 * "No such file or directory"; errno is then set too where it applies.
 *
 * Before anything is sent, the process listening on the socket must run
 * as the caller's effective uid or as root (SO_PEERCRED): anyone can
 * create /tmp/cashbook-$UID first and collect what is sent there.
 * Otherwise the result is CB_ECONNECT with errno EPERM, and err, this time
 * naming the path, says which uid serves it and what to do (set
 * XDG_RUNTIME_DIR, or choose another socket).  Give err room for about
 * 300 bytes plus the path.
 */
CB_API int cb_connect(const char *socket_path, int timeout_ms,
    struct cb_conn **out, char *err, size_t errlen);

/* Close the connection and free everything it holds, including replies
 * still queued.  Replies already handed out stay valid.  NULL is a no-op. */
CB_API void cb_close(struct cb_conn *conn);

/* Change the timeout for later calls (<= 0: wait forever). */
CB_API void cb_set_timeout(struct cb_conn *conn, int timeout_ms);

/*
 * The descriptor, for poll()-ing for readability in an event loop.  Do not
 * read, write or close it yourself.  The library may already hold response
 * bytes that the socket will not signal again (cb_call keeps answers meant
 * for cb_recv; cb_send reads ahead while the socket is full): when
 * cb_buffered() is true, call cb_recv before polling.
 */
CB_API int cb_fd(const struct cb_conn *conn);
CB_API bool cb_buffered(const struct cb_conn *conn);

/*
 * What the last failed call on conn was about.  cb_error_code() is the
 * error code cashbookd sent (after CB_ESERVER, or after CB_EPROTO caused by
 * its protocol_error notice), or NULL when the failure was local (timeout,
 * connection lost, ...).  cb_error_message() always returns a string: the
 * server's message, or a description of the local failure ("" if none).
 * Both stay valid until the next call on conn.
 */
CB_API const char *cb_error_code(const struct cb_conn *conn);
CB_API const char *cb_error_message(const struct cb_conn *conn);

/* ---- named parameters ---- */

/*
 * A method's named arguments, packed as a msgpack map as they are added.
 * Setters return CB_OK, CB_ENOMEM, or CB_EINVAL (NULL argument, key already
 * set, or a value too large for a message).  After a failure the params
 * object is still valid and holds what was added before.
 */
struct cb_params;

CB_API struct cb_params *cb_params_new(void);
CB_API void cb_params_free(struct cb_params *p);
CB_API int cb_params_str(struct cb_params *p, const char *key,
    const char *value);
CB_API int cb_params_int(struct cb_params *p, const char *key, int64_t value);
CB_API int cb_params_bool(struct cb_params *p, const char *key, bool value);
CB_API int cb_params_nil(struct cb_params *p, const char *key);
/* An array of n strings (n may be 0: an empty array). */
CB_API int cb_params_str_array(struct cb_params *p, const char *key,
    const char *const *values, size_t n);
/* An array of n integers (n may be 0: an empty array). */
CB_API int cb_params_int_array(struct cb_params *p, const char *key,
    const int64_t *values, size_t n);
/* An array of n maps, each the arguments held by items[i] (copied: the
 * items stay the caller's), e.g. entry.add_batch's entries. */
CB_API int cb_params_map_array(struct cb_params *p, const char *key,
    const struct cb_params *const *items, size_t n);
/* The bytes p's arguments take in a request, to split work that must fit
 * the daemon's message limit (server.info's max_message_bytes). */
CB_API size_t cb_params_bytes(const struct cb_params *p);

/* ---- calls ---- */

/* One response.  Owns its decoded msgpack data. */
struct cb_reply;

/*
 * Call method with params (NULL: no arguments) and wait for its response.
 * On CB_OK, *reply holds the result (free it with cb_reply_free).  On any
 * failure *reply is NULL: CB_ESERVER (see cb_error_code), CB_ETIMEOUT (the
 * request is abandoned: its late response is dropped when it comes; the
 * connection stays usable), CB_EIO, CB_EPROTO, CB_ENOMEM, CB_EINVAL.
 */
CB_API int cb_call(struct cb_conn *conn, const char *method,
    const struct cb_params *params, struct cb_reply **reply);

/*
 * Pipelining.  cb_send writes one request without waiting for its answer
 * and stores its msgid in *msgid (may be NULL).  cb_recv waits for the next
 * response to any request in flight (queued ones first) and returns CB_OK
 * with it in *reply -- also when the response is an error: check
 * cb_reply_error_code().  With nothing in flight cb_recv returns CB_EINVAL.
 * Receive as you go: cashbookd stops reading a connection whose answers are
 * not being read.
 */
CB_API int cb_send(struct cb_conn *conn, const char *method,
    const struct cb_params *params, uint32_t *msgid);
CB_API int cb_recv(struct cb_conn *conn, struct cb_reply **reply);

/* Requests sent whose responses have not yet been handed out. */
CB_API size_t cb_pending(const struct cb_conn *conn);

CB_API void cb_reply_free(struct cb_reply *reply);
CB_API uint32_t cb_reply_msgid(const struct cb_reply *reply);
/* The result (a nil object when the response is an error); for a
 * notification, its params map (the event).  Valid until cb_reply_free. */
CB_API const msgpack_object *cb_reply_result(const struct cb_reply *reply);
/* The error code and message of an error response, or NULL. */
CB_API const char *cb_reply_error_code(const struct cb_reply *reply);
CB_API const char *cb_reply_error_message(const struct cb_reply *reply);

/* ---- notifications: live events ---- */

/*
 * After events.subscribe on a connection, cashbookd pushes msgpack-RPC
 * notifications on it, [2, "event", [event]], as changes commit (see
 * docs/protocol.md, "Live events").  The library keeps every notification
 * it reads, whichever call reads it (cb_call, cb_recv, this one), in a
 * queue in arrival order, and cb_next_notification hands them out.
 *
 * cb_next_notification returns the oldest one: CB_OK with *out set, to be
 * freed with cb_reply_free; cb_reply_method() is then its method ("event")
 * and cb_reply_result() its params map, the event ("kind", "book_id",
 * "seq", ...; read with cb_map_get*).  When none is queued it waits up to
 * timeout_ms (< 0: forever, 0: only what has already arrived) and returns
 * CB_ETIMEOUT if none came, or CB_EIO / CB_EPROTO when the connection is
 * lost (notifications received before that are still handed out first).
 * Responses to requests sent with cb_send that arrive meanwhile are kept
 * for cb_recv.  For a poll()-based loop: cb_fd, and cb_buffered is true
 * while notifications are queued.
 *
 * Bounded: at most 4096 notifications (and 1 MiB as sent) wait in the
 * queue; more are dropped and counted by cb_notifications_dropped().  A
 * program that sees that count grow (or an "overflow" event) has missed
 * events and resyncs from book.changes.
 *
 * README.md ("libcashbook") has a complete program that prints every
 * change to your books.
 */
CB_API int cb_next_notification(struct cb_conn *conn, int timeout_ms,
    struct cb_reply **out);
/* A notification's method name, or NULL for a response. */
CB_API const char *cb_reply_method(const struct cb_reply *reply);
/* Notifications dropped because the queue was full, since cb_connect. */
CB_API uint64_t cb_notifications_dropped(const struct cb_conn *conn);

/* ---- reading results ---- */

/* The value under key in map, or NULL (also when map is NULL or no map). */
CB_API const msgpack_object *cb_map_get(const msgpack_object *map,
    const char *key);
/* The integer under key.  CB_OK, or CB_EPROTO when it is missing or not an
 * integer that fits int64_t (*out is then unchanged). */
CB_API int cb_map_get_int(const msgpack_object *map, const char *key,
    int64_t *out);
/* The string under key, copied NUL-terminated into buf.  CB_OK, CB_EPROTO
 * when missing or not a string, CB_EINVAL when it did not fit (buf then
 * holds as much as fits). */
CB_API int cb_map_get_str(const msgpack_object *map, const char *key,
    char *buf, size_t len);

/* ---- typed helpers for the server methods ---- */

struct cb_ping_info {
	char version[64];	/* cashbookd's version, e.g. "0.1.0" */
	int64_t protocol;	/* wire protocol version */
};

/* ping: check the daemon answers.  CB_EPROTO if the answer lacks a field. */
CB_API int cb_ping(struct cb_conn *conn, struct cb_ping_info *out);

struct cb_stats {
	struct {
		int64_t size, in_use, idle, waiting;
		int64_t acquired, released, wait_timeouts, replaced;
		int64_t max_wait_us;
	} pool;
	struct {
		int64_t open, max;
	} connections;
	struct {
		int64_t total, errors;
	} requests;
	int64_t uptime_s;
};

/* server.stats: the daemon's live figures.  CB_EPROTO if one is missing. */
CB_API int cb_stats(struct cb_conn *conn, struct cb_stats *out);

#ifdef __cplusplus
}
#endif

#endif
