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
 *
 * Connections take turns.  The pool's queue is first come, first served,
 * so one connection pipelining 256 slow reports would put every other
 * client behind all of them.  Instead each connection has at most a
 * pool's worth of requests with the pool at once (queued or holding a
 * handle: enough to use every handle by itself when alone); its others
 * wait in its own queue (conn->turn_head) and go to the pool one by one as
 * its earlier ones finish.  A quick request from another client so waits
 * behind at most a pool's worth of anyone's work, and a greedy client
 * slows only itself.  Nor does a connection get a turn while the replies
 * it has not read fill its byte budget (conn_output_full): what one client
 * can make the daemon hold is the budget plus a pool's worth of replies.  The pool deadline of a request counts from when it
 * joins the pool's queue.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "args.h"
#include "auth.h"
#include "authcache.h"
#include "events.h"
#include "identity.h"
#include "clock.h"
#include "config.h"
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
	struct request *turn_next;	/* conn's turn queue (loop) */
	bool submitted;			/* with the pool or hashers (loop) */
	/* A daemon-owned job (gateway_submit_job): no conn, no deadline. */
	gateway_job_done_fn job_done;
	void *job_arg;
	struct request *job_next, *job_prev;	/* server->job_requests (loop) */

	const struct method *method;
	uint32_t msgid;
	msgpack_unpacked msg;		/* owns params */

	/* The handler's view, kept across steps (worker while running). */
	struct call call;
	struct method_step first;	/* the method's own exec and flags */
	const struct method_step *step;	/* the step to run next */
	struct auth_claim claim;	/* METHOD_AUTH: token to verify */
	bool needs_auth;		/* claim not yet verified (cache miss) */
	bool needs_peer;		/* via_peer, uid not yet resolved */

	struct pool_waiter waiter;
	struct workq_item work;
	struct db *db;			/* while granted (worker) */

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

/* A request for the parsed call `parsed`, taking msg (whose zone its
 * arguments point into). */
static struct request *
request_new(struct server *server, struct conn *conn,
    const struct call *parsed, uint32_t msgid, msgpack_unpacked *msg)
{
	const struct method *method = parsed->method;
	struct request *req = calloc(1, sizeof *req);

	if (req == NULL)
		return NULL;
	req->server = server;
	req->conn = conn;
	req->method = method;
	req->msgid = msgid;
	req->msg = *msg;		/* take the zone */
	msgpack_unpacked_init(msg);
	req->call.method = method;
	req->call.params = parsed->params;
	memcpy(req->call.args, parsed->args, sizeof req->call.args);
	req->call.server = server;
	req->first.exec = method->exec;
	req->first.flags = method->flags;
	req->step = &req->first;
	packbuf_init(&req->reply);
	req->received_us = clock_now_us();
	return req;
}

static void
request_free(struct request *req)
{
	/* Passwords and tokens go with the request, not later. */
	if (req->call.state != NULL)
		explicit_bzero(req->call.state, req->call.state_size);
	free(req->call.state);
	change_list_free(&req->call.changes);
	explicit_bzero(&req->claim, sizeof req->claim);
	if (req->msg.zone != NULL)
		rpc_wipe_object(&req->msg.data);
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
 * Run one step of the handler and encode the response into reply.  Shared
 * by inline methods (loop thread) and worker steps.  The handler packs its
 * result straight after the response head; on failure the reply is
 * rewritten as an error response; on METHOD_CONTINUE it is left empty for
 * a later step.  Returns 0, METHOD_CONTINUE or -1.
 */
static int
gateway_execute(struct call *call, method_exec_fn exec, uint32_t msgid,
    struct packbuf *reply)
{
	size_t head;
	int rc;

	packbuf_clear(reply);
	rpc_pack_response_head(&reply->pk, msgid);
	head = reply->sb.size;
	call->result = &reply->pk;
	call->next = NULL;
	rc = exec(call);
	call->result = NULL;
	if (rc == METHOD_CONTINUE && call->next == NULL)
		rc = call_fail(call, CB_INTERNAL, "%s continued to nowhere",
		    call->method->name);
	if (rc == METHOD_CONTINUE) {
		packbuf_clear(reply);
		return rc;
	}
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
		return -1;
	}
	return 0;
}

/* The transaction a method's flags ask for. */
static const char sql_begin_read[] = "BEGIN";
static const char sql_begin_write[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

/* Pack an error response for call's recorded error. */
static void
gateway_pack_error(struct call *call, uint32_t msgid, struct packbuf *reply)
{
	packbuf_clear(reply);
	rpc_pack_response_error(&reply->pk, msgid, call->code, call->message);
}

/*
 * The dispatcher's authentication, inside the step's transaction: a token
 * not found in the cache is verified in full; a write step of an
 * authenticated method re-checks that its session is still live (it may
 * have been revoked since the cache vouched for it, or between steps).
 */
static int
gateway_authenticate(struct request *req)
{
	if (!(req->method->flags & METHOD_AUTH))
		return 0;
	if (req->call.via_peer) {
		/* Bound to a uid, not a session: nothing can revoke it. */
		if (req->needs_peer) {
			if (identity_resolve(&req->call) != 0)
				return -1;
			req->needs_peer = false;
		}
		return 0;
	}
	if (req->needs_auth) {
		if (auth_verify_claim(&req->call, &req->claim,
		    req->server->authcache) != 0)
			return -1;
		req->needs_auth = false;
		return 0;
	}
	if (req->step->flags & METHOD_DB_WRITE)
		return auth_recheck_session(&req->call);
	return 0;
}

/*
 * Committed: hand the step's changes, and the sessions it revoked, to the
 * subscribers (events.h).  Called with the handle still held: for a write
 * that is the writer, so changes reach the loop in commit order.
 */
static void
gateway_post_changes(struct request *req)
{
	struct call *call = &req->call;
	struct change c = { .kind = CHANGE_REVOKED };

	if (call->forget_session_id != 0 || call->forget_user_id != 0) {
		c.session_id = call->forget_session_id;
		c.user_id = call->forget_user_id;
		/* Out of memory: the subscriptions of a revoked session go on
		 * until they end otherwise (logged). */
		if (change_note(call, &c) != 0)
			log_error("out of memory: subscriptions of a revoked "
			    "session were not ended");
	}
	events_post(req->server->events, &call->changes);
}

/*
 * Run one database step on call->db inside the transaction its flags ask
 * for; METHOD_AUTH requests not found in the token cache are verified
 * first, in the same transaction.  Returns 0, METHOD_CONTINUE or -1.
 */
static int
gateway_run_in_transaction(struct request *req)
{
	struct call *call = &req->call;
	const struct method_step *step = req->step;
	bool write = (step->flags & METHOD_DB_WRITE) != 0;
	int rc;

	if (!write && !req->needs_auth && !req->needs_peer &&
	    (step->flags & METHOD_ONE_STATEMENT)) {
		/* One statement is its own snapshot: BEGIN and COMMIT would
		 * only double the work. */
		rc = gateway_execute(call, step->exec, req->msgid, &req->reply);
		db_reset_statements(call->db);
		return rc;
	}
	rc = db_exec_cached(call->db, write ? sql_begin_write : sql_begin_read);
	if (rc != SQLITE_OK) {
		call_fail_sqlite(call, rc, "starting a transaction");
		call->after_commit = NULL;
		gateway_pack_error(call, req->msgid, &req->reply);
		return -1;
	}
	if (gateway_authenticate(req) != 0)
		rc = -1;
	else
		rc = gateway_execute(call, step->exec, req->msgid, &req->reply);
	db_reset_statements(call->db);
	if (rc < 0) {
		db_exec_cached(call->db, sql_rollback);
		call->after_commit = NULL;
		change_list_clear(&call->changes);
		gateway_pack_error(call, req->msgid, &req->reply);
		return -1;
	}
	if ((rc = db_exec_cached(call->db, sql_commit)) != SQLITE_OK) {
		/* The handler's result is void: the commit failed. */
		call_fail_sqlite(call, rc, "committing");
		db_exec_cached(call->db, sql_rollback);
		call->after_commit = NULL;
		change_list_clear(&call->changes);
		gateway_pack_error(call, req->msgid, &req->reply);
		return -1;
	}
	gateway_post_changes(req);
	/* Committed: sessions the handler revoked leave the token cache now,
	 * not before (a reader could re-cache them from the old snapshot). */
	if (call->forget_session_id != 0 || call->forget_user_id != 0) {
		authcache_forget(req->server->authcache,
		    call->forget_session_id, call->forget_user_id);
		call->forget_session_id = call->forget_user_id = 0;
	}
	if (call->after_commit != NULL) {
		call->after_commit(call);
		call->after_commit = NULL;
	}
	return call->next != NULL ? METHOD_CONTINUE : 0;
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

static void gateway_next_step(struct request *req);
static void gateway_schedule_expire(struct server *server);

/* Worker thread: the handle is held from here to pool_release below. */
static void
gateway_work(struct workq_item *item)
{
	struct request *req = container_of(item, struct request, work);
	const struct config *cfg = req->server->cfg;
	struct pool *pool = req->server->pool;
	struct call *call = &req->call;
	char why[256];
	int rc;

	call->db = req->db;
	/* Is the file still the one opened at start?  If it was replaced or
	 * removed, the pool refuses for good (the "datasource invalidated"
	 * case fails closed: pool.h). */
	if (pool_check(pool, call->db, clock_now_us(),
	    (req->step->flags & METHOD_DB_WRITE) ? 0 :
	    GATEWAY_READ_FILE_CHECK_US, why, sizeof why) != 0) {
		call_fail(call, CB_UNAVAILABLE, "%s", why);
		gateway_pack_error(call, req->msgid, &req->reply);
		rc = -1;
		goto release;
	}
	db_set_deadline(call->db, clock_now_us() +
	    (int64_t)cfg->statement_timeout_ms * 1000);
	rc = gateway_run_in_transaction(req);
	if (call->db_broken)
		log_warn("%s hit a fatal database error on handle %u: %s",
		    req->method->name, db_slot(call->db), call->message);
release:
	pool_release(pool, call->db, call->db_broken);
	call->db_broken = false;
	call->db = NULL;
	req->db = NULL;
	if (rc == METHOD_CONTINUE) {
		gateway_next_step(req);
		return;
	}
	req->failed = rc != 0;
	gateway_post_done(req);
}

/* Hashing or maintenance worker: a METHOD_HASH or METHOD_MAINT step, no
 * handle held. */
static void
gateway_hash_work(struct workq_item *item)
{
	struct request *req = container_of(item, struct request, work);
	struct server *server = req->server;
	bool hash = (req->step->flags & METHOD_HASH) != 0;
	int rc;

	rc = gateway_execute(&req->call, req->step->exec, req->msgid,
	    &req->reply);
	if (hash)
		atomic_fetch_sub(&server->hash_pending, 1);
	if (rc == METHOD_CONTINUE) {
		gateway_next_step(req);
		return;
	}
	req->failed = rc != 0;
	gateway_post_done(req);
}

/* Shutting down: the request ends here, answered unavailable (its reply
 * most likely goes nowhere). */
static void
gateway_refuse_stopping(struct request *req)
{
	call_fail(&req->call, CB_UNAVAILABLE, "cashbookd is shutting down");
	gateway_pack_error(&req->call, req->msgid, &req->reply);
	req->failed = true;
	gateway_post_done(req);
}

/* Any thread: the pool granted req a handle; hand it to a worker. */
static void
gateway_granted(struct pool_waiter *w, struct db *db)
{
	struct request *req = w->arg;

	req->db = db;
	req->work.fn = gateway_work;
	if (!workq_push(req->server->workq, &req->work)) {
		/* Shutting down: give the handle straight back. */
		pool_release(req->server->pool, db, false);
		req->db = NULL;
		gateway_refuse_stopping(req);
	}
}

/*
 * Queue req's first or next step: on the hashing workers, or in the pool.
 * Called on the loop thread (first step) or a worker (later steps).  Once
 * the request is queued in the pool the loop may cancel and free it at any
 * moment (its client left), so nothing here touches req after that.
 */
static void
gateway_queue_step(struct request *req, bool on_loop)
{
	struct server *server = req->server;
	const struct method_step *step = req->step;

	if (atomic_load(&server->stopping)) {
		gateway_refuse_stopping(req);
		return;
	}
	if (step->flags & METHOD_HASH) {
		if (req->needs_auth) {
			/* Never hash for a caller not yet known: the token
			 * is verified in a database step, which must come
			 * first (method_table_check refuses it up front). */
			call_fail(&req->call, CB_INTERNAL, "%s hashes before "
			    "its token is verified", req->method->name);
			gateway_pack_error(&req->call, req->msgid,
			    &req->reply);
			req->failed = true;
			gateway_post_done(req);
			return;
		}
		/* hash_pending counts the running hashes too: up to
		 * hash_workers of them run, hash_queue more may wait. */
		if (atomic_fetch_add(&server->hash_pending, 1) >=
		    server->cfg->hash_queue + server->cfg->hash_workers) {
			atomic_fetch_sub(&server->hash_pending, 1);
			call_fail(&req->call, CB_RATE_LIMITED, "too many "
			    "password checks in progress; retry in a few "
			    "seconds");
			gateway_pack_error(&req->call, req->msgid,
			    &req->reply);
			req->failed = true;
			gateway_post_done(req);
			return;
		}
		req->work.fn = gateway_hash_work;
		if (!workq_push(server->hashq, &req->work)) {
			atomic_fetch_sub(&server->hash_pending, 1);
			gateway_refuse_stopping(req);
		}
		return;
	}
	if (step->flags & METHOD_MAINT) {
		/* Like a hash, but on the one maintenance worker: queued
		 * behind the backup or restore it runs, never refused. */
		req->work.fn = gateway_hash_work;
		if (!workq_push(server->maintq, &req->work))
			gateway_refuse_stopping(req);
		return;
	}
	req->waiter.access = (step->flags & METHOD_DB_WRITE) ?
	    POOL_WRITE : POOL_READ;
	req->waiter.deadline_us = req->job_done != NULL ? 0 : clock_now_us() +
	    (int64_t)server->cfg->pool_timeout_ms * 1000;
	req->waiter.holder = req->method->name;
	req->waiter.granted = gateway_granted;
	req->waiter.arg = req;
	if (!pool_submit(server->pool, &req->waiter))
		return;			/* granted at once */
	/* Queued: make sure the loop's expiry timer covers it. */
	if (on_loop) {
		if (!event_pending(server->ev_pool_expire, EV_TIMEOUT, NULL))
			gateway_schedule_expire(server);
	} else
		event_active(server->ev_pool_expire, EV_TIMEOUT, 0);
}

/* Worker: the step ended with call_continue(). */
static void
gateway_next_step(struct request *req)
{
	req->step = req->call.next;
	req->call.next = NULL;
	gateway_queue_step(req, false);
}

/* Hand req its turn: to the pool (or the hashers) now. */
static void
gateway_submit_turn(struct conn *conn, struct request *req)
{
	req->submitted = true;
	conn->nsubmitted++;
	gateway_queue_step(req, true);
}

/* A connection's fair share of the pool: see the top of this file. */
static unsigned
gateway_conn_share(const struct server *server)
{
	return server->cfg->pool_size;
}

/* req arrived: its turn now, or after its connection's earlier ones. */
static void
gateway_take_turn(struct server *server, struct conn *conn,
    struct request *req)
{
	if (conn->turn_head == NULL && !conn_output_full(conn) &&
	    conn->nsubmitted < gateway_conn_share(server)) {
		gateway_submit_turn(conn, req);
		return;
	}
	req->turn_next = NULL;
	if (conn->turn_tail != NULL)
		conn->turn_tail->turn_next = req;
	else
		conn->turn_head = req;
	conn->turn_tail = req;
	server->turn_waiting++;
}

/* Take conn's turn queue off whole (it is gone, or the daemon stops). */
static struct request *
gateway_take_turn_queue(struct server *server, struct conn *conn)
{
	struct request *list = conn->turn_head, *req;

	for (req = list; req != NULL; req = req->turn_next)
		server->turn_waiting--;
	conn->turn_head = conn->turn_tail = NULL;
	return list;
}

/* One of conn's submitted requests finished: the next ones' turn. */
static void
gateway_next_turns(struct server *server, struct conn *conn)
{
	struct request *req;

	while ((req = conn->turn_head) != NULL && !conn_output_full(conn) &&
	    conn->nsubmitted < gateway_conn_share(server)) {
		conn->turn_head = req->turn_next;
		if (conn->turn_head == NULL)
			conn->turn_tail = NULL;
		req->turn_next = NULL;
		server->turn_waiting--;
		gateway_submit_turn(conn, req);
	}
}

/* A job leaves the gateway (loop thread). */
static void
gateway_finish_job(struct server *server, struct request *req)
{
	gateway_job_done_fn done = req->job_done;
	void *arg = req->job_arg;
	bool failed = req->failed;

	if (req->job_prev != NULL)
		req->job_prev->job_next = req->job_next;
	else
		server->job_requests = req->job_next;
	if (req->job_next != NULL)
		req->job_next->job_prev = req->job_prev;
	if (failed && !atomic_load(&server->stopping))
		log_error("job %s failed: %s", req->method->name,
		    req->call.message);
	request_free(req);
	done(server, failed, arg);
}

void
gateway_conn_resumed(struct server *server, struct conn *conn)
{
	gateway_next_turns(server, conn);
}

/* A request leaves the gateway (loop thread). */
static void
gateway_finish(struct server *server, struct request *req)
{
	struct conn *conn = req->conn;

	if (req->job_done != NULL) {
		gateway_finish_job(server, req);
		return;
	}

	if (conn != NULL) {
		request_untrack(conn, req);
		if (req->submitted)
			conn->nsubmitted--;
	}
	if (req->method->loop_end != NULL)
		req->method->loop_end(server, conn, &req->call, req->failed);
	/* Resolved and committed: later requests of this uid need no
	 * lookup. */
	if (req->call.via_peer && !req->needs_peer && !req->failed &&
	    req->call.user_id != 0)
		identity_map_store(server->peers, req->call.peer_uid,
		    req->call.user_id);
	server->inflight--;
	request_free(req);
	if (conn != NULL)
		gateway_next_turns(server, conn);
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
		if (req->job_done != NULL)
			;			/* no client, not a request */
		else if (packbuf_failed(&req->reply)) {
			log_error("out of memory encoding the reply to %s",
			    req->method->name);
			server->requests_total++;
			server->requests_errors++;
		} else if (req->conn != NULL && !req->failed &&
		    (req->method->flags & METHOD_SECRET_REPLY)) {
			server->requests_total++;
			conn_send_secret(req->conn, req->reply.sb.data,
			    req->reply.sb.size);
		} else
			gateway_send(server, req->conn, &req->reply,
			    req->failed);
		gateway_finish(server, req);
	}
}

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
		if (pool_waiter_expired_in_swap(w))
			gateway_reply_error(server, req->conn, req->msgid,
			    CB_UNAVAILABLE, "the database is being restored "
			    "from a backup; retry in a moment");
		else
			gateway_reply_error(server, req->conn, req->msgid,
			    CB_POOL_TIMEOUT, msg);
		req->failed = true;
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
	/* Only out of memory fails here (the timer heap grows); the waiters
	 * then expire when the next request reschedules the timer. */
	if (event_add(server->ev_pool_expire, &tv) != 0)
		log_error("cannot schedule the pool's wait deadline (out of "
		    "memory?): queued requests may time out late");
}

/* Hand a database or hashing method to the workers. */
static void
gateway_submit(struct server *server, struct conn *conn,
    const struct call *checked, uint32_t msgid, msgpack_unpacked *msg,
    const struct auth_claim *claim, bool needs_auth, bool needs_peer)
{
	struct request *req;

	req = request_new(server, conn, checked, msgid, msg);
	if (req == NULL) {
		gateway_reply_error(server, conn, msgid, CB_INTERNAL,
		    "out of memory");
		if (checked->method->loop_end != NULL)
			checked->method->loop_end(server, conn,
			    (struct call *)checked, true);
		return;
	}
	req->call.subscription_id = checked->subscription_id;
	req->call.subscription_user_id = checked->subscription_user_id;
	req->call.user_id = checked->user_id;
	req->call.session_id = checked->session_id;
	req->call.session_expires_at = checked->session_expires_at;
	req->call.via_peer = checked->via_peer;
	req->call.peer_uid = checked->peer_uid;
	/* A uid seen for the first time may need its account made: the
	 * first step takes the writer (once per uid, while the daemon
	 * runs; identity.h). */
	req->needs_peer = needs_peer;
	if (needs_peer)
		req->first.flags = (req->first.flags & ~(unsigned)(
		    METHOD_DB_READ | METHOD_ONE_STATEMENT)) | METHOD_DB_WRITE;
	/* Kept for later steps too: writes re-verify it. */
	if (req->method->flags & METHOD_AUTH)
		req->claim = *claim;
	req->needs_auth = needs_auth;
	request_track(conn, req);
	server->inflight++;
	gateway_take_turn(server, conn, req);
}

int
gateway_submit_job(struct server *server, const struct method *method,
    gateway_job_done_fn done, void *arg)
{
	struct call parsed;
	msgpack_unpacked none;
	struct request *req;

	memset(&parsed, 0, sizeof parsed);
	parsed.method = method;
	msgpack_unpacked_init(&none);
	if ((req = request_new(server, NULL, &parsed, 0, &none)) == NULL)
		return -1;
	req->job_done = done;
	req->job_arg = arg;
	req->job_next = server->job_requests;
	if (server->job_requests != NULL)
		server->job_requests->job_prev = req;
	server->job_requests = req;
	req->submitted = true;
	gateway_queue_step(req, true);
	return 0;
}

/* Shutting down, workers joined: jobs still waiting for a handle end. */
static void
gateway_cancel_jobs(struct server *server)
{
	struct request *req, *next;

	for (req = server->job_requests; req != NULL; req = next) {
		next = req->job_next;
		if (pool_cancel(server->pool, &req->waiter)) {
			req->failed = true;
			call_fail(&req->call, CB_UNAVAILABLE, "cashbookd is "
			    "shutting down");
			gateway_finish_job(server, req);
		}
	}
}

/*
 * Who an authenticated method's call acts for: the token's session (its
 * claim parsed here, verified later), or without a token in --auth peer
 * mode the account of the connecting uid.  A token that is given is
 * always the one judged: a bad one is unauthorized, never the peer.
 * 0, or -1 with the call failed unauthorized.
 */
static int
gateway_identify(struct server *server, const struct conn *conn,
    struct call *call, struct auth_claim *claim)
{
	unsigned flags = call->method->flags;

	if (!(flags & METHOD_AUTH))
		return 0;
	if (auth_claim_given(call) || server->cfg->auth != AUTH_PEER ||
	    (flags & METHOD_TOKEN_ONLY))
		return auth_claim_parse(call, claim);
	call->via_peer = true;
	call->peer_uid = conn->uid;
	return 0;
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
	struct auth_claim claim;
	const struct method *method;
	bool needs_auth, needs_peer;
	int rc;
	uint32_t msgid;
	char err[CB_MAX_ERROR_MESSAGE + 1];

	rc = rpc_parse(&msg->data, &m, &msgid, err, sizeof err);
	/* A notification is never answered, whatever it holds: any answer
	 * would carry a msgid the client did not send (0), which it would
	 * take for the answer to its own request 0.  None are known yet. */
	if (m.type == RPC_NOTIFICATION) {
		log_debug("client %llu: notification ignored%s%s",
		    (unsigned long long)conn->id, rc != 0 ? ": " : "",
		    rc != 0 ? err : "");
		return;
	}
	if (rc != 0) {
		gateway_reply_error(server, conn, msgid, CB_BAD_REQUEST, err);
		return;
	}
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
	memset(&claim, 0, sizeof claim);
	if (args_parse(&call) != 0 || gateway_identify(server, conn, &call,
	    &claim) != 0) {
		gateway_reply_error(server, conn, m.msgid, call.code,
		    call.message);
		explicit_bzero(&claim, sizeof claim);
		return;
	}
	/* A token verified a moment ago needs no database round trip for a
	 * read.  A write re-checks its session inside its own write
	 * transaction (cheaply when cached: no hash), so it can never act for
	 * a session revoked in the meantime.  A peer resolved before needs
	 * nothing at all. */
	needs_auth = (method->flags & METHOD_AUTH) && !call.via_peer &&
	    !authcache_lookup(server->authcache, &claim, clock_wall_s(),
	    &call.user_id, &call.session_id, &call.session_expires_at);
	needs_peer = call.via_peer && !identity_map_lookup(server->peers,
	    call.peer_uid, &call.user_id);
	if (method->loop_begin != NULL && method->loop_begin(server, conn,
	    &call) != 0) {
		gateway_reply_error(server, conn, m.msgid, call.code,
		    call.message);
		explicit_bzero(&claim, sizeof claim);
		return;
	}
	if (method->flags & (METHOD_DB_READ | METHOD_DB_WRITE | METHOD_HASH |
	    METHOD_MAINT)) {
		gateway_submit(server, conn, &call, m.msgid, msg, &claim,
		    needs_auth, needs_peer);
		explicit_bzero(&claim, sizeof claim);
		return;
	}
	/* Inline: the loop thread's one reply buffer, reused. */
	rc = gateway_execute(&call, method->exec, m.msgid,
	    &server->inline_reply);
	if (packbuf_failed(&server->inline_reply))
		gateway_reply_error(server, conn, m.msgid, CB_INTERNAL,
		    "out of memory");
	else
		gateway_send(server, conn, &server->inline_reply, rc != 0);
}

void
gateway_conn_gone(struct server *server, struct conn *conn)
{
	struct request *req, *next;

	(void)gateway_take_turn_queue(server, conn);
	for (req = conn->inflight; req != NULL; req = next) {
		next = req->conn_next;
		req->conn = NULL;
		req->conn_next = req->conn_prev = NULL;
		if (!req->submitted || pool_cancel(server->pool,
		    &req->waiter)) {
			/* Never granted: nothing ran, nothing to release. */
			server->inflight--;
			if (req->method->loop_end != NULL)
				req->method->loop_end(server, NULL,
				    &req->call, true);
			request_free(req);
		}
		/* Otherwise it runs (or is running); its reply is dropped. */
	}
	conn->inflight = NULL;
	conn->ninflight = 0;
	conn->nsubmitted = 0;
	if (server->draining)
		server_check_drained(server);
}

/* Answer unavailable a request that never got a handle, and let it go. */
static void
gateway_refuse_waiting(struct server *server, struct conn *conn,
    struct request *req)
{
	gateway_reply_error(server, conn, req->msgid, CB_UNAVAILABLE,
	    "cashbookd is shutting down; retry when it is back");
	req->failed = true;
	gateway_finish(server, req);
}

void
gateway_cancel_queued(struct server *server)
{
	struct conn *conn;
	struct request *req, *next;

	/* Those still waiting for their turn first, taken off their queue
	 * whole, so that what is cancelled gives no one a turn. */
	for (conn = server->conns; conn != NULL; conn = conn->next) {
		req = gateway_take_turn_queue(server, conn);
		for (; req != NULL; req = next) {
			next = req->turn_next;
			gateway_refuse_waiting(server, conn, req);
		}
	}
	for (conn = server->conns; conn != NULL; conn = conn->next) {
		for (req = conn->inflight; req != NULL; req = next) {
			next = req->conn_next;
			if (pool_cancel(server->pool, &req->waiter))
				gateway_refuse_waiting(server, conn, req);
		}
	}
}

int
gateway_init(struct server *server, char *err, size_t errlen)
{
	int rc;

	if (method_table_check(err, errlen) != 0)
		return -1;
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
		if (req->job_done != NULL) {
			gateway_finish_job(server, req);
			continue;
		}
		if (req->conn != NULL)
			request_untrack(req->conn, req);
		request_free(req);
	}
	gateway_cancel_jobs(server);
	server->done_head = server->done_tail = NULL;
	if (server->ev_done != NULL)
		event_free(server->ev_done);
	if (server->ev_pool_expire != NULL)
		event_free(server->ev_pool_expire);
	server->ev_done = server->ev_pool_expire = NULL;
	packbuf_destroy(&server->inline_reply);
	pthread_mutex_destroy(&server->done_lock);
}
