/*
 * method_server.c -- methods about the daemon itself: ping, server.stats,
 * server.info.
 *
 * ping and server.stats do no database work and run on the loop thread, so
 * they answer even when every handle is busy: "is the pool exhausted?" must
 * never wait for the pool.
 */
#include <string.h>

#include "backup.h"
#include "clock.h"
#include "conn.h"
#include "events.h"
#include "jobs.h"
#include "method.h"
#include "cb_limits.h"
#include "methods.h"
#include "pool.h"
#include "rpc.h"
#include "schema.h"
#include "server.h"
#include "version.h"


static void
pack_kv_uint(msgpack_packer *pk, const char *key, uint64_t v)
{
	rpc_pack_cstr(pk, key);
	msgpack_pack_uint64(pk, v);
}

static int
ping_exec(struct call *call)
{
	msgpack_packer *pk = call->result;

	msgpack_pack_map(pk, 2);
	rpc_pack_cstr(pk, "version");
	rpc_pack_cstr(pk, CASHBOOK_VERSION);
	pack_kv_uint(pk, "protocol", CB_PROTOCOL_VERSION);
	return 0;
}

const struct method method_ping = {
	.name = CB_METHOD_PING,
	.exec = ping_exec,
};

static int
server_stats_exec(struct call *call)
{
	struct server *server = call->server;
	msgpack_packer *pk = call->result;
	struct pool_stats ps;
	struct jobs_stats js;
	struct events_stats es;

	pool_stats(server->pool, &ps);
	jobs_stats(server->reaper, &js);
	events_stats(server->events, &es);
	msgpack_pack_map(pk, 7);

	rpc_pack_cstr(pk, "pool");
	msgpack_pack_map(pk, 9);
	pack_kv_uint(pk, "size", ps.size);
	pack_kv_uint(pk, "in_use", ps.in_use);
	pack_kv_uint(pk, "idle", ps.idle);
	pack_kv_uint(pk, "waiting", ps.waiting);
	pack_kv_uint(pk, "acquired", ps.acquired);
	pack_kv_uint(pk, "released", ps.released);
	pack_kv_uint(pk, "wait_timeouts", ps.wait_timeouts);
	pack_kv_uint(pk, "replaced", ps.replaced);
	pack_kv_uint(pk, "max_wait_us", (uint64_t)ps.max_wait_us);

	rpc_pack_cstr(pk, "connections");
	msgpack_pack_map(pk, 3);
	pack_kv_uint(pk, "open", server->nconns);
	pack_kv_uint(pk, "max", server->cfg->max_clients);
	pack_kv_uint(pk, "queued_bytes", conn_queued_bytes(server));

	rpc_pack_cstr(pk, "requests");
	msgpack_pack_map(pk, 4);
	/* This request is answered after it is packed: count it. */
	pack_kv_uint(pk, "total", server->requests_total + 1);
	pack_kv_uint(pk, "errors", server->requests_errors);
	pack_kv_uint(pk, "in_flight", server->inflight);
	pack_kv_uint(pk, "waiting_turn", server->turn_waiting);

	rpc_pack_cstr(pk, "jobs");
	msgpack_pack_map(pk, 5);
	rpc_pack_cstr(pk, "running");
	rpc_pack_bool(pk, js.running);
	pack_kv_uint(pk, "books_waiting", js.books_waiting);
	pack_kv_uint(pk, "books_deleted", js.books_deleted);
	pack_kv_uint(pk, "batches", js.batches);
	pack_kv_uint(pk, "failures", js.failures);

	rpc_pack_cstr(pk, "events");
	msgpack_pack_map(pk, 3);
	pack_kv_uint(pk, "subscriptions", es.subscriptions);
	pack_kv_uint(pk, "delivered", es.delivered);
	pack_kv_uint(pk, "overflows", es.overflows);

	rpc_pack_cstr(pk, "backup");
	msgpack_pack_map(pk, 3);
	rpc_pack_cstr(pk, "running");
	rpc_pack_bool(pk, atomic_load(&server->backup_progress->running));
	pack_kv_uint(pk, "pages_done",
	    atomic_load(&server->backup_progress->pages_done));
	pack_kv_uint(pk, "pages_total",
	    atomic_load(&server->backup_progress->pages_total));

	pack_kv_uint(pk, "uptime_s",
	    (uint64_t)((clock_now_us() - server->started_us) / 1000000));
	return 0;
}

const struct method method_server_stats = {
	.name = CB_METHOD_SERVER_STATS,
	.exec = server_stats_exec,
};

static const char sql_meta[] =
    "SELECT created_at FROM meta WHERE id = 1";

/* A one-row read: also what the benchmark measures as "a database read". */
static int
server_info_exec(struct call *call)
{
	msgpack_packer *pk = call->result;
	sqlite3_stmt *stmt;
	const char *path;
	int64_t created_at;
	int rc;

	if ((stmt = call_prepare(call, sql_meta,
	    "reading the database's identity")) == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc == SQLITE_DONE ? SQLITE_CORRUPT
		    : rc, "reading the database's identity");
	created_at = sqlite3_column_int64(stmt, 0);
	path = sqlite3_db_filename(db_handle(call->db), "main");

	msgpack_pack_map(pk, 4);
	rpc_pack_cstr(pk, "version");
	rpc_pack_cstr(pk, CASHBOOK_VERSION);
	pack_kv_uint(pk, "schema_version", (uint64_t)schema_version_current());
	rpc_pack_cstr(pk, "created_at");
	msgpack_pack_int64(pk, created_at);
	rpc_pack_cstr(pk, "database");
	rpc_pack_cstr(pk, path != NULL ? path : "");
	return 0;
}

const struct method method_server_info = {
	.name = CB_METHOD_SERVER_INFO,
	.exec = server_info_exec,
	.flags = METHOD_DB_READ | METHOD_ONE_STATEMENT,
};
