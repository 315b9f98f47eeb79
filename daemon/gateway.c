/*
 * gateway.c -- requests to database work and back (see gateway.h).
 *
 * The life of a database request:
 *
 *   loop:    gateway_message -> request_new -> pool_submit ------------.
 *   any:     pool grants a handle -> gateway_granted -> workq_push      |
 *   worker:  gateway_work: transaction + handler + pool_release,        |
 *            encode the response, gateway_post_done                    |
 *   loop:    gateway_done_cb: conn_send (if the client is still there)  |
 *   loop:    ...or the deadline passes first: gateway_expire_cb <------'
 *
 * The handle is acquired by the pool and released by gateway_work and by
 * nothing else: a handler cannot skip the release because it never sees
 * the pool.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "args.h"
#include "clock.h"
#include "conn.h"
#include "gateway.h"
#include "log.h"
#include "method.h"
#include "packbuf.h"
#include "pool.h"
#include "rpc.h"
#include "server.h"
#include "workq.h"

/* How often a read re-checks that the database file is still the one its
 * handle opened (writes check every time). */
#define GATEWAY_READ_FILE_CHECK_US (100 * 1000)

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct request {
	struct server *server;
	struct conn *conn;		/* NULL once the client left (loop) */
	struct request *conn_next, *conn_prev;	/* conn's list (loop) */
	struct request *done_next;	/* server's done list (done_lock) */

	const struct method *method;
	uint32_t msgid;
	msgpack_unpacked msg;		/* owns params */
	const msgpack_object *params;

	struct pool_waiter waiter;
	struct workq_item work;
	struct db *db;			/* while granted (worker) */
	bool queued;			/* submitted, not yet granted */

	struct packbuf reply;		/* the encoded response (worker) */
	bool failed;
	int64_t received_us;
};

/* A connection's in-flight requests, for cancellation when it leaves and
 * for back-pressure (conn_inflight_changed). */
static void
request_track(struct conn *conn, struct request *req)
{
	req->conn_prev = NULL;
	req->conn_next = conn->inflight;
	if (conn->inflight != NULL)
		conn->inflight->conn_prev = req;
	conn->inflight = req;
	conn->ninflight++;
	conn_inflight_changed(conn);
}

static void
request_untrack(struct conn *conn, struct request *req)
{
	if (req->conn_prev != NULL)
		req->conn_prev->conn_next = req->conn_next;
	else
		conn->inflight = req->conn_next;
	if (req->conn_next != NULL)
		req->conn_next->conn_prev = req->conn_prev;
	req->conn_next = req->conn_prev = NULL;
	conn->ninflight--;
	conn_inflight_changed(conn);
}

static struct request *
request_new(struct server *server, struct conn *conn,
    const struct method *method, uint32_t msgid, msgpack_unpacked *msg,
    const msgpack_object *params)
{
	struct request *req = calloc(1, sizeof *req);

	if (req == NULL)
		return NULL;
	req->server = server;
	req->conn = conn;
	req->method = method;
	req->msgid = msgid;
	req->msg = *msg;		/* take the zone */
	msgpack_unpacked_init(msg);
	req->params = params;
	packbuf_init(&req->reply);
	req->received_us = clock_now_us();
	return req;
}

static void
request_free(struct request *req)
{
	msgpack_unpacked_destroy(&req->msg);
	packbuf_destroy(&req->reply);
	free(req);
}

/* Send a reply built on the loop thread and count it. */
static void
gateway_send(struct server *server, struct conn *conn,
    const struct packbuf *reply, bool failed)
{
	server->requests_total++;
	if (failed)
		server->requests_errors++;
	if (conn != NULL)
		conn_send(conn, reply->sb.data, reply->sb.size);
}

/* Answer msgid with an error at once (loop thread). */
static void
gateway_reply_error(struct server *server, struct conn *conn, uint32_t msgid,
    enum cb_code code, const char *message)
{
	struct packbuf pb;

	packbuf_init(&pb);
	rpc_pack_response_error(&pb.pk, msgid, code, message);
	if (packbuf_failed(&pb))
		log_error("out of memory answering request %u", msgid);
	else
		gateway_send(server, conn, &pb, true);
	packbuf_destroy(&pb);
}

/*
 * Run the handler and encode the response into reply.  Shared by inline
 * methods (loop thread) and database methods (worker, handle held).  The
 * handler packs its result straight after the response head; on failure
 * the reply is rewritten as an error response.
 */
static bool
gateway_execute(struct call *call, uint32_t msgid, struct packbuf *reply)
{
	size_t head;
	int rc;

	packbuf_clear(reply);
	rpc_pack_response_head(&reply->pk, msgid);
	head = reply->sb.size;
	call->result = &reply->pk;
	rc = call->method->exec(call);
	call->result = NULL;
	if (rc == 0 && packbuf_failed(reply))
		rc = call_fail(call, CB_INTERNAL, "out of memory");
	else if (rc == 0 && reply->sb.size == head)
		rc = call_fail(call, CB_INTERNAL, "%s packed no result",
		    call->method->name);
	else if (rc == 0 && reply->sb.size - head > CB_MAX_MAX_MESSAGE_BYTES)
		rc = call_fail(call, CB_TOO_LARGE, "result is larger than %u "
		    "bytes", CB_MAX_MAX_MESSAGE_BYTES);
	if (rc != 0) {
		if (call->code == CB_CODE_NONE)
			call_fail(call, CB_INTERNAL, "%s failed without saying "
			    "why", call->method->name);
		packbuf_clear(reply);
		rpc_pack_response_error(&reply->pk, msgid, call->code,
		    call->message);
	}
	return rc == 0;
}

/* The transaction a method's flags ask for. */
static const char sql_begin_read[] = "BEGIN";
static const char sql_begin_write[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

/*
 * A handler may stop stepping a statement after the row it wanted (or a
 * RETURNING row); an active statement would make COMMIT fail with
 * SQLITE_BUSY, so every statement is reset before the transaction ends.
 */
static void
gateway_settle_statements(struct db *db)
{
	sqlite3_stmt *stmt = NULL;

	while ((stmt = sqlite3_next_stmt(db_handle(db), stmt)) != NULL) {
		if (sqlite3_stmt_busy(stmt))
			sqlite3_reset(stmt);
	}
}

/* Run call inside its transaction on call->db.  Returns true on success. */
static bool
gateway_run_in_transaction(struct call *call, uint32_t msgid,
    struct packbuf *reply)
{
	bool write = (call->method->flags & METHOD_DB_WRITE) != 0;
	int rc;

	if (!write && (call->method->flags & METHOD_ONE_STATEMENT)) {
		/* One statement is its own snapshot: BEGIN and COMMIT would
		 * only double the work. */
		bool ok = gateway_execute(call, msgid, reply);
		gateway_settle_statements(call->db);
		return ok;
	}
	rc = db_exec_cached(call->db, write ? sql_begin_write : sql_begin_read);
	if (rc != SQLITE_OK) {
		call_fail_sqlite(call, rc, "starting a transaction");
		packbuf_clear(reply);
		rpc_pack_response_error(&reply->pk, msgid, call->code,
		    call->message);
		return false;
	}
	if (!gateway_execute(call, msgid, reply)) {
		gateway_settle_statements(call->db);
		db_exec_cached(call->db, sql_rollback);
		return false;
	}
	gateway_settle_statements(call->db);
	rc = db_exec_cached(call->db, sql_commit);
	if (rc == SQLITE_OK)
		return true;
	/* The handler's result is void: the commit failed. */
	call_fail_sqlite(call, rc, "committing");
	db_exec_cached(call->db, sql_rollback);
	packbuf_clear(reply);
	rpc_pack_response_error(&reply->pk, msgid, call->code, call->message);
	return false;
}

static void
gateway_post_done(struct request *req)
{
	struct server *server = req->server;

	pthread_mutex_lock(&server->done_lock);
	req->done_next = NULL;
	if (server->done_tail != NULL)
		server->done_tail->done_next = req;
	else
		server->done_head = req;
	server->done_tail = req;
	pthread_mutex_unlock(&server->done_lock);
	event_active(server->ev_done, EV_READ, 0);
}

/* Worker thread: the handle is held from here to pool_release below. */
static void
gateway_work(struct workq_item *item)
{
	struct request *req = container_of(item, struct request, work);
	const struct config *cfg = req->server->cfg;
	struct pool *pool = req->server->pool;
	struct call call = {
		.method = req->method,
		.db = req->db,
		.params = req->params,
	};
	char why[256];

	if (!db_ready(call.db) || db_file_changed_every(call.db,
	    clock_now_us(), (req->method->flags & METHOD_DB_WRITE) ? 0 :
	    GATEWAY_READ_FILE_CHECK_US)) {
		/* The "datasource invalidated" case: reopen before use. */
		if (pool_reopen(pool, call.db, why, sizeof why) != 0) {
			log_error("cannot reopen database handle %u: %s",
			    db_slot(call.db), why);
			call_fail(&call, CB_UNAVAILABLE, "the database cannot "
			    "be opened: %s", why);
			rpc_pack_response_error(&req->reply.pk, req->msgid,
			    call.code, call.message);
			req->failed = true;
			goto release;
		}
	}
	db_set_deadline(call.db, clock_now_us() +
	    (int64_t)cfg->statement_timeout_ms * 1000);
	req->failed = !gateway_run_in_transaction(&call, req->msgid,
	    &req->reply);
	if (call.db_broken)
		log_warn("%s hit a fatal database error on handle %u: %s",
		    req->method->name, db_slot(call.db), call.message);
release:
	pool_release(pool, call.db, call.db_broken);
	req->db = NULL;
	gateway_post_done(req);
}

/* Any thread: the pool granted req a handle; hand it to a worker. */
static void
gateway_granted(struct pool_waiter *w, struct db *db)
{
	struct request *req = w->arg;

	req->db = db;
	workq_push(req->server->workq, &req->work);
}

/* A request leaves the gateway (loop thread). */
static void
gateway_finish(struct server *server, struct request *req)
{
	if (req->conn != NULL)
		request_untrack(req->conn, req);
	server->inflight--;
	request_free(req);
	if (server->draining)
		server_check_drained(server);
}

static void
gateway_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *server = arg;
	struct request *list, *req;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&server->done_lock);
	list = server->done_head;
	server->done_head = server->done_tail = NULL;
	pthread_mutex_unlock(&server->done_lock);

	while ((req = list) != NULL) {
		list = req->done_next;
		if (packbuf_failed(&req->reply)) {
			log_error("out of memory encoding the reply to %s",
			    req->method->name);
			server->requests_total++;
			server->requests_errors++;
		} else
			gateway_send(server, req->conn, &req->reply,
			    req->failed);
		gateway_finish(server, req);
	}
}

static void gateway_schedule_expire(struct server *server);

static void
gateway_expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *server = arg;
	struct pool_waiter *w, *next;
	struct pool_stats st;
	char msg[CB_MAX_ERROR_MESSAGE + 1];

	(void)fd;
	(void)what;
	w = pool_expire(server->pool, clock_now_us());
	if (w != NULL) {
		pool_stats(server->pool, &st);
		snprintf(msg, sizeof msg, "no database handle became free "
		    "within %d ms (pool size %u, %u still waiting); retry "
		    "later", server->cfg->pool_timeout_ms, st.size,
		    st.waiting);
	}
	for (; w != NULL; w = next) {
		struct request *req = w->arg;

		next = w->next;
		req->queued = false;
		gateway_reply_error(server, req->conn, req->msgid,
		    CB_POOL_TIMEOUT, msg);
		gateway_finish(server, req);
	}
	gateway_schedule_expire(server);
}

static void
gateway_schedule_expire(struct server *server)
{
	int64_t deadline = pool_next_deadline(server->pool), delay;
	struct timeval tv;

	if (deadline == 0) {
		event_del(server->ev_pool_expire);
		return;
	}
	delay = deadline - clock_now_us();
	if (delay < 0)
		delay = 0;
	tv.tv_sec = (time_t)(delay / 1000000);
	tv.tv_usec = (suseconds_t)(delay % 1000000) + 1;
	event_add(server->ev_pool_expire, &tv);
}

/* Hand a database method to the pool. */
static void
gateway_submit(struct server *server, struct conn *conn,
    const struct method *method, uint32_t msgid, msgpack_unpacked *msg,
    const msgpack_object *params)
{
	struct request *req;

	req = request_new(server, conn, method, msgid, msg, params);
	if (req == NULL) {
		gateway_reply_error(server, conn, msgid, CB_INTERNAL,
		    "out of memory");
		return;
	}
	req->work.fn = gateway_work;
	req->waiter.access = (method->flags & METHOD_DB_WRITE) ?
	    POOL_WRITE : POOL_READ;
	req->waiter.deadline_us = req->received_us +
	    (int64_t)server->cfg->pool_timeout_ms * 1000;
	req->waiter.holder = method->name;
	req->waiter.granted = gateway_granted;
	req->waiter.arg = req;
	request_track(conn, req);
	server->inflight++;
	req->queued = true;
	if (pool_submit(server->pool, &req->waiter)) {
		if (!event_pending(server->ev_pool_expire, EV_TIMEOUT, NULL))
			gateway_schedule_expire(server);
	} else
		req->queued = false;
}

/*
 * Requests from clients.  Validation first, so a handler only ever sees a
 * known method with a well-formed params map.
 */
void
gateway_message(struct server *server, struct conn *conn,
    msgpack_unpacked *msg)
{
	struct rpc_message m;
	struct call call;
	const struct method *method;
	bool ok;
	uint32_t msgid;
	char err[CB_MAX_ERROR_MESSAGE + 1];

	if (rpc_parse(&msg->data, &m, &msgid, err, sizeof err) != 0) {
		gateway_reply_error(server, conn, msgid, CB_BAD_REQUEST, err);
		return;
	}
	if (m.type == RPC_NOTIFICATION)
		return;			/* none are known yet: ignored */
	if (m.type != RPC_REQUEST) {
		gateway_reply_error(server, conn, m.msgid, CB_BAD_REQUEST,
		    "clients send requests (type 0), not responses");
		return;
	}
	method = m.method_len <= CB_MAX_METHOD_LEN ?
	    method_find(m.method, m.method_len) : NULL;
	if (method == NULL) {
		snprintf(err, sizeof err, "no method named '%.*s'",
		    (int)(m.method_len > CB_MAX_METHOD_LEN ? CB_MAX_METHOD_LEN :
		    m.method_len), m.method);
		gateway_reply_error(server, conn, m.msgid, CB_UNKNOWN_METHOD,
		    err);
		return;
	}
	if (server->draining) {
		gateway_reply_error(server, conn, m.msgid, CB_UNAVAILABLE,
		    "cashbookd is shutting down; retry when it is back");
		return;
	}

	memset(&call, 0, sizeof call);
	call.method = method;
	call.params = m.params;
	call.server = server;
	if (args_check_fields(&call, method->fields) != 0 ||
	    (method->check != NULL && method->check(&call) != 0)) {
		gateway_reply_error(server, conn, m.msgid, call.code,
		    call.message);
		return;
	}
	if (method->flags & (METHOD_DB_READ | METHOD_DB_WRITE)) {
		gateway_submit(server, conn, method, m.msgid, msg, m.params);
		return;
	}
	/* Inline: the loop thread's one reply buffer, reused. */
	ok = gateway_execute(&call, m.msgid, &server->inline_reply);
	if (packbuf_failed(&server->inline_reply))
		gateway_reply_error(server, conn, m.msgid, CB_INTERNAL,
		    "out of memory");
	else
		gateway_send(server, conn, &server->inline_reply, !ok);
}

void
gateway_conn_gone(struct server *server, struct conn *conn)
{
	struct request *req, *next;

	for (req = conn->inflight; req != NULL; req = next) {
		next = req->conn_next;
		req->conn = NULL;
		req->conn_next = req->conn_prev = NULL;
		if (req->queued && pool_cancel(server->pool, &req->waiter)) {
			/* Never granted: nothing ran, nothing to release. */
			server->inflight--;
			request_free(req);
		}
		/* Otherwise it runs (or is running); its reply is dropped. */
	}
	conn->inflight = NULL;
	conn->ninflight = 0;
	if (server->draining)
		server_check_drained(server);
}

void
gateway_cancel_queued(struct server *server)
{
	struct conn *conn;
	struct request *req, *next;

	for (conn = server->conns; conn != NULL; conn = conn->next) {
		for (req = conn->inflight; req != NULL; req = next) {
			next = req->conn_next;
			if (req->queued && pool_cancel(server->pool,
			    &req->waiter)) {
				req->queued = false;
				gateway_reply_error(server, conn, req->msgid,
				    CB_UNAVAILABLE, "cashbookd is shutting "
				    "down; retry when it is back");
				gateway_finish(server, req);
			}
		}
	}
}

int
gateway_init(struct server *server, char *err, size_t errlen)
{
	int rc;

	if ((rc = pthread_mutex_init(&server->done_lock, NULL)) != 0) {
		snprintf(err, errlen, "mutex: %s", strerror(rc));
		return -1;
	}
	packbuf_init(&server->inline_reply);
	server->ev_done = event_new(server->base, -1, 0, gateway_done_cb,
	    server);
	server->ev_pool_expire = evtimer_new(server->base, gateway_expire_cb,
	    server);
	if (server->ev_done == NULL || server->ev_pool_expire == NULL) {
		snprintf(err, errlen, "cannot create gateway events");
		gateway_shutdown(server);
		return -1;
	}
	return 0;
}

/* After the workers are joined: deliver nothing, free what is left. */
void
gateway_shutdown(struct server *server)
{
	struct request *req, *next;

	for (req = server->done_head; req != NULL; req = next) {
		next = req->done_next;
		if (req->conn != NULL)
			request_untrack(req->conn, req);
		request_free(req);
	}
	server->done_head = server->done_tail = NULL;
	if (server->ev_done != NULL)
		event_free(server->ev_done);
	if (server->ev_pool_expire != NULL)
		event_free(server->ev_pool_expire);
	server->ev_done = server->ev_pool_expire = NULL;
	packbuf_destroy(&server->inline_reply);
	pthread_mutex_destroy(&server->done_lock);
}
