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
 * Everything here runs on the loop thread, except gateway_work and
 * gateway_hash_work (a database or hashing worker, which also queue a
 * request's next step) and gateway_granted (whichever thread released the
 * handle it grants).  Connections take turns for the pool (at most a
 * pool's worth of one connection's requests with it at once), and
 * daemon-owned jobs (gateway_submit_job) go through the same path with no
 * client and no deadline.
 */
#ifndef CASHBOOK_DAEMON_GATEWAY_H
#define CASHBOOK_DAEMON_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>

struct server;
struct conn;
struct method;

int gateway_init(struct server *server, char *err, size_t errlen);
void gateway_shutdown(struct server *server);

/* A complete decoded message from conn.  Takes ownership of *msg (leaves it
 * empty). */
void gateway_message(struct server *server, struct conn *conn,
    msgpack_unpacked *msg);

/* conn's client read its replies down below the byte budget: its requests
 * waiting for their turn may go on. */
void gateway_conn_resumed(struct server *server, struct conn *conn);

/* conn is going away: cancel its queued requests, abandon running ones. */
void gateway_conn_gone(struct server *server, struct conn *conn);

/* Drain deadline passed: answer every still-queued request unavailable. */
void gateway_cancel_queued(struct server *server);

/*
 * Run method, a daemon-owned job (no client, no params, no session), like
 * a request: each step waits for its handle in the pool's FIFO, behind the
 * client work already queued, but with no deadline (a busy writer delays a
 * job, never kills it half way).  done(server, failed, arg) runs on the
 * loop when the job ends.  Jobs are not requests in flight: a drain does
 * not wait for them, and shutdown cancels one waiting for a handle (the
 * job must leave the database consistent after every step; it is started
 * again next time).  0, or -1 when out of memory.
 */
typedef void (*gateway_job_done_fn)(struct server *server, bool failed,
    void *arg);
int gateway_submit_job(struct server *server, const struct method *method,
    gateway_job_done_fn done, void *arg);

#endif
