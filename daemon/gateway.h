/*
 * gateway.h -- the one place where requests become database work.
 *
 * For each request the gateway finds the method, checks its params, and
 * then either runs it at once on the loop thread (methods without database
 * work: ping, server.stats) or asks the pool for a handle.  When granted,
 * a worker thread runs the handler inside the transaction its flags ask for
 * and releases the handle -- in exactly one place, whatever the handler did
 * -- then posts the encoded response back to the loop, which writes it if
 * the client is still there.  Requests still waiting when their deadline
 * passes are answered pool_timeout; requests of a client that left are
 * cancelled if still queued, or run and dropped.
 *
 * Everything here runs on the loop thread except gateway_work (workers).
 */
#ifndef CASHBOOK_DAEMON_GATEWAY_H
#define CASHBOOK_DAEMON_GATEWAY_H

#include <stdint.h>

#include <msgpack.h>

struct server;
struct conn;

int gateway_init(struct server *server, char *err, size_t errlen);
void gateway_shutdown(struct server *server);

/* A complete decoded message from conn.  Takes ownership of *msg (leaves it
 * empty). */
void gateway_message(struct server *server, struct conn *conn,
    msgpack_unpacked *msg);

/* conn is going away: cancel its queued requests, abandon running ones. */
void gateway_conn_gone(struct server *server, struct conn *conn);

/* Drain deadline passed: answer every still-queued request unavailable. */
void gateway_cancel_queued(struct server *server);

#endif
