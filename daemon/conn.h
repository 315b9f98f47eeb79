/*
 * conn.h -- one client connection: reading and framing its messages,
 * writing its responses, its timeouts and its back-pressure.
 *
 * Lives on the event-loop thread only.  Input accumulates in a linear
 * buffer that the scanner (scan.h) walks incrementally; a complete message
 * is decoded and handed to the gateway.  Output is an evbuffer written when
 * the socket is writable.
 *
 * Back-pressure, one rule: the daemon takes no further request from a
 * connection (stops parsing its input and stops reading its socket) while
 * it is closing, or has CB_CONN_MAX_INFLIGHT requests in flight, or is
 * over its byte budget: replies queued plus replies owed to its requests
 * in flight reached CB_CONN_BYTE_BUDGET, and have not yet fallen below
 * CB_CONN_BYTE_RESUME (cb_limits.h).  Nothing is dropped; a client that
 * does not read just stops being read.
 *
 * A protocol violation sends [2, "error", ["protocol_error", why]], stops
 * reading, flushes what is queued, and closes that connection only.
 */
#ifndef CASHBOOK_DAEMON_CONN_H
#define CASHBOOK_DAEMON_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scan.h"

struct server;
struct request;
struct event;
struct evbuffer;

struct conn {
	struct server *server;
	uint64_t id;
	int fd;
	uid_t uid;
	pid_t pid;

	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_timer;		/* read timeout / idle timeout */

	char *in;			/* unparsed input; starts at a message */
	size_t in_len, in_cap;
	struct scanner scan;

	struct evbuffer *out;

	struct request *inflight;	/* doubly linked via conn_next/prev */
	unsigned ninflight;
	/* Taking turns for the pool (gateway.c): at most a pool's worth of
	 * this connection's requests are with the pool at once; the rest
	 * wait here, in arrival order, linked via turn_next. */
	struct request *turn_head, *turn_tail;
	unsigned nsubmitted;

	size_t reply_estimate;		/* what a request in flight is taken
					   to owe: recent replies' size */
	size_t pushed_unsent;		/* events queued since the output
					   was last empty (events.h) */
	unsigned subscriptions;		/* live ones (events.h): a
					   subscriber waiting for events is
					   not idle */

	bool reading;			/* ev_read is added */
	bool over_budget;		/* reached CB_CONN_BYTE_BUDGET, not yet
					   below CB_CONN_BYTE_RESUME */
	bool parse_held;		/* input waits: no request could be
					   taken (conn_may_take) */
	bool parse_pending;		/* ... and may be now: parse it from
					   conn_flush */
	int timer;			/* enum conn_timer (conn.c) */
	bool closing;			/* flush output, then free */
	bool flush_queued;		/* on server->flush_list */
	struct conn *next, *prev;	/* server->conns */
	struct conn *flush_next, *flush_prev;

};

/* Take ownership of an accepted socket.  Returns NULL (and closes fd) on
 * failure. */
struct conn *conn_new(struct server *server, int fd, uid_t uid, pid_t pid);

/* Queue a message the daemon pushes unasked (an event), written as a
 * then b; it counts towards conn_push_backlog, not towards what replies
 * are taken to cost. */
void conn_push(struct conn *conn, const void *a, size_t alen, const void *b,
    size_t blen);

/* Pushed messages queued since the output was last empty, and the bytes
 * queued in all (replies too): a subscriber's backlog. */
size_t conn_push_backlog(const struct conn *conn);

/* A subscription on conn began (+1) or ended (-1): while it has one, the
 * idle timeout does not apply (from the connection's next answer or
 * write on). */
void conn_subscribed(struct conn *conn, int delta);
size_t conn_push_bytes(const struct conn *conn);

/* The connection's number, for logs. */
uint64_t conn_id(const struct conn *conn);

/* Close the socket and free; in-flight requests are cancelled or
 * abandoned (gateway_conn_gone). */
void conn_free(struct conn *conn);

/* Queue bytes for the client (copied).  They are written when the loop
 * has run every callback that is ready now (conn_flush_all), so replies to
 * a batch of pipelined requests leave in one write. */
void conn_send(struct conn *conn, const void *data, size_t len);

/* conn_send() for a reply carrying a secret (a new session token): the
 * queued copy is wiped when it has been written or dropped. */
void conn_send_secret(struct conn *conn, const void *data, size_t len);

/* Write the queued output of every connection that has some: the
 * server's ev_flush callback.  What the socket does not take waits for
 * writability. */
void conn_flush_all(struct server *server);

/* Send the protocol_error notification, then close once it is flushed. */
void conn_fail(struct conn *conn, const char *why);

/* Close once everything queued is written (shutdown). */
void conn_close_when_flushed(struct conn *conn);

/* The gateway added or finished one of conn's requests: pause or resume
 * reading for back-pressure. */
void conn_inflight_changed(struct conn *conn);

/* Replies queued for conn and not yet read fill its byte budget: the
 * gateway gives none of its waiting requests a turn (gateway.c) until the
 * client reads. */
bool conn_output_full(const struct conn *conn);

/* Bytes of replies queued for every connection, not yet taken by their
 * clients (server.stats connections.queued_bytes). */
uint64_t conn_queued_bytes(const struct server *server);

#endif
