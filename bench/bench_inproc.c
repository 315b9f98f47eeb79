/*
 * bench_inproc.c -- the daemon's own method handlers run in this process,
 * on one thread, with no socket, msgpack framing, pool, work queue or
 * event loop in between: what a request costs SQLite and the handler
 * alone, the limit the socket figures are held to.
 *
 * This is the daemon's code, linked from its core library, not a copy of
 * its SQL: a handle opened with db_open() exactly as a pool slot is (WAL,
 * the same synchronous level, limits, the statement cache), a struct call
 * filled the way gateway.c fills it, and the step run the way
 * gateway_work() and gateway_run_in_transaction() run it:
 *
 *   write step:  stat the file (db_file_check, every write), set the
 *                statement deadline, BEGIN IMMEDIATE, auth_recheck_session
 *                (the daemon re-checks the session of every authenticated
 *                write), method->exec, reset the statements, COMMIT
 *   read step:   the deadline, BEGIN (none for METHOD_ONE_STATEMENT),
 *                method->exec, reset, COMMIT
 *
 * The result is packed after a response head into a reused buffer, as the
 * worker does.  What is left out is what happens off the handle: parsing
 * and checking the request on the loop thread, the token cache, queueing
 * for a handle and a worker, and sending the answer.  Reads skip the
 * file check, which the daemon does at most every 100 ms for them.
 *
 * The handle is opened on the daemon's database file while the daemon
 * is idle (the benchmark is its only client, and sends nothing while this
 * runs): WAL lets the two processes share the file, and acting as a real
 * user's session on real books makes the transaction the same one, not a
 * look-alike on a fresh file of a different size.  The bench must come
 * from the same build as the daemon: db_open() would migrate an older
 * database, and handlers of another build may not fit its tables.  So
 * before anything is opened for writing, the file's schema (every CREATE
 * statement in sqlite_master, and the user_version) must be exactly what
 * this build's migrations create in an empty database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "auth.h"
#include "cashbook_msgpack.h"
#include "clock.h"
#include "db.h"
#include "method.h"
#include "packbuf.h"
#include "params.h"
#include "rpc.h"
#include "schema.h"

#include "bench.h"

/* The msgid the response head carries: any will do. */
#define INPROC_MSGID		1

static const char sql_begin_read[] = "BEGIN";
static const char sql_begin_write[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

struct inproc {
	struct db *db;
	struct packbuf reply;		/* response head + result, reused */
};

static const char sql_schema_version[] = "PRAGMA user_version";
static const char sql_schema_list[] =
    "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY name";

/* The schema of conn as text: its version, then every object's type, name
 * and SQL.  0, or -1 with err. */
static int
inproc_schema_text(sqlite3 *conn, struct packbuf *out, char *err,
    size_t errlen)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	packbuf_clear(out);
	rc = sqlite3_prepare_v2(conn, sql_schema_version, -1, &stmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		msgpack_pack_int(&out->pk, sqlite3_column_int(stmt, 0));
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(conn, sql_schema_list, -1, &stmt, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (int i = 0; i < 3; i++)
			msgpack_pack_str_with_body(&out->pk,
			    sqlite3_column_text(stmt, i),
			    (size_t)sqlite3_column_bytes(stmt, i));
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_OK) {
		snprintf(err, errlen, "reading the schema: %s",
		    sqlite3_errmsg(conn));
		return -1;
	}
	if (packbuf_failed(out)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* The database at path must have exactly the schema this build creates
 * (see above). */
static int
inproc_check_schema(const char *path, char *err, size_t errlen)
{
	sqlite3 *file = NULL, *fresh = NULL;
	struct packbuf a, b;
	char why[256];
	int rc = -1;

	packbuf_init(&a);
	packbuf_init(&b);
	if (sqlite3_open_v2(path, &file, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, file != NULL ?
		    sqlite3_errmsg(file) : "cannot open");
		goto out;
	}
	if (sqlite3_open_v2(":memory:", &fresh, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK || schema_migrate(fresh, why, sizeof why) != 0) {
		snprintf(err, errlen, "this build's schema: %s", fresh == NULL ?
		    "out of memory" : why);
		goto out;
	}
	if (inproc_schema_text(file, &a, err, errlen) != 0 ||
	    inproc_schema_text(fresh, &b, err, errlen) != 0)
		goto out;
	if (a.sb.size != b.sb.size || memcmp(a.sb.data, b.sb.data,
	    a.sb.size) != 0) {
		snprintf(err, errlen, "%s does not have the schema this "
		    "cashbook-bench was built for: use the bench from the "
		    "daemon's own build", path);
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(file);	/* NULL is a no-op */
	sqlite3_close(fresh);
	packbuf_destroy(&a);
	packbuf_destroy(&b);
	return rc;
}

int
inproc_open(const char *db_path, bool writer, bool sync_full, int cache_mib,
    struct inproc **out, char *err, size_t errlen)
{
	struct db_config cfg = {
		.path = db_path,
		.busy_timeout_ms = CB_DEFAULT_BUSY_TIMEOUT_MS,
		.synchronous = sync_full ? DB_SYNC_FULL : DB_SYNC_NORMAL,
	};
	struct inproc *ip;
	char sql[64], *msg = NULL;

	*out = NULL;
	if (inproc_check_schema(db_path, err, errlen) != 0)
		return -1;
	if ((ip = calloc(1, sizeof *ip)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	packbuf_init(&ip->reply);
	if ((ip->db = db_open(&cfg, writer, 0, err, errlen)) == NULL) {
		inproc_close(ip);
		return -1;
	}
	/* Only for seeding: a bigger page cache than the daemon's. */
	if (cache_mib > 0) {
		snprintf(sql, sizeof sql, "PRAGMA cache_size = %d",
		    -cache_mib * 1024);
		if (sqlite3_exec(db_handle(ip->db), sql, NULL, NULL, &msg) !=
		    SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", sql, msg != NULL ? msg :
			    "failed");
			sqlite3_free(msg);
			inproc_close(ip);
			return -1;
		}
	}
	*out = ip;
	return 0;
}

void
inproc_close(struct inproc *ip)
{
	if (ip == NULL)
		return;
	db_close(ip->db);	/* NULL is a no-op */
	packbuf_destroy(&ip->reply);
	free(ip);
}

/* params packed by the client library, decoded by the daemon's decoder:
 * the very map the daemon would get, parsed against the method's
 * arguments as the gateway parses them (call->args point into msg). */
static int
inproc_params(const struct cb_params *params, msgpack_unpacked *msg,
    struct call *call, char *err, size_t errlen)
{
	struct packbuf pb;
	const msgpack_object *o;
	int rc = -1;

	packbuf_init(&pb);
	cb_params_pack(params, &pb.pk);
	if (packbuf_failed(&pb))
		snprintf(err, errlen, "out of memory");
	else if (rpc_decode(pb.sb.data, pb.sb.size, msg) != 0)
		snprintf(err, errlen, "cannot decode the params");
	else {
		o = &msg->data;
		if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 1 ||
		    o->via.array.ptr[0].type != MSGPACK_OBJECT_MAP)
			snprintf(err, errlen, "params are not [map]");
		else {
			call->params = &o->via.array.ptr[0];
			if (args_parse(call) != 0)
				snprintf(err, errlen, "%s: %s: %s",
				    call->method->name, cb_code_name(call->code),
				    call->message);
			else
				rc = 0;
		}
	}
	packbuf_destroy(&pb);
	return rc;
}

/* A call as the gateway fills it for an authenticated request whose token
 * the cache vouched for. */
static int
inproc_call_init(struct inproc *ip, const char *method,
    const struct fixture_user *u, struct call *call, char *err,
    size_t errlen)
{
	memset(call, 0, sizeof *call);
	call->method = method_find(method, strlen(method));
	if (call->method == NULL) {
		snprintf(err, errlen, "this build has no method %s", method);
		return -1;
	}
	if (!(call->method->flags & (METHOD_DB_READ | METHOD_DB_WRITE)) ||
	    call->method->exec == NULL) {
		snprintf(err, errlen, "%s is not a one-step database method",
		    method);
		return -1;
	}
	if ((call->method->flags & METHOD_DB_WRITE) && !db_is_writer(ip->db)) {
		snprintf(err, errlen, "%s needs the writer handle", method);
		return -1;
	}
	call->db = ip->db;
	call->user_id = u->user_id;
	call->session_id = u->session_id;
	return 0;
}

static int
inproc_call_fail(const struct call *call, const char *what, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "%s %s: %s: %s", call->method->name, what,
	    cb_code_name(call->code), call->message[0] != '\0' ?
	    call->message : "failed without saying why");
	return -1;
}

/* method->exec once, its result after a response head in ip->reply, as
 * gateway_execute() does it.  0, or -1 with the call failed. */
static int
inproc_exec(struct inproc *ip, struct call *call)
{
	size_t head;
	int rc;

	call->code = CB_CODE_NONE;
	call->message[0] = '\0';
	call->next = NULL;
	packbuf_clear(&ip->reply);
	rpc_pack_response_head(&ip->reply.pk, INPROC_MSGID);
	head = ip->reply.sb.size;
	call->result = &ip->reply.pk;
	rc = call->method->exec(call);
	call->result = NULL;
	if (rc == 0 && (packbuf_failed(&ip->reply) ||
	    ip->reply.sb.size == head))
		rc = call_fail(call, CB_INTERNAL, "no result packed");
	if (rc != 0 && call->code == CB_CODE_NONE)
		call_fail(call, CB_INTERNAL, "answered %d", rc);
	return rc == 0 ? 0 : -1;
}

/* db_exec_cached, failing the call the way the gateway does. */
static int
inproc_sql(struct call *call, const char *sql, const char *what)
{
	int rc = db_exec_cached(call->db, sql);

	if (rc != SQLITE_OK)
		return call_fail_sqlite(call, rc, what);
	return 0;
}

/* One step of a request, the way the gateway's worker runs it (see the
 * file's comment).  0, or -1 with the call failed. */
static int
inproc_step(struct inproc *ip, struct call *call)
{
	unsigned flags = call->method->flags;
	bool write = (flags & METHOD_DB_WRITE) != 0;
	int rc;

	if (write && db_file_check(ip->db) != DB_FILE_SAME)
		return call_fail(call, CB_UNAVAILABLE, "the database file was "
		    "replaced");
	db_set_deadline(ip->db, clock_now_us() +
	    (int64_t)CB_DEFAULT_STATEMENT_TIMEOUT_MS * 1000);
	if (!write && (flags & METHOD_ONE_STATEMENT)) {
		rc = inproc_exec(ip, call);
		db_reset_statements(ip->db);
		return rc;
	}
	if (inproc_sql(call, write ? sql_begin_write : sql_begin_read,
	    "starting a transaction") != 0)
		return -1;
	if (write && auth_recheck_session(call) != 0)
		rc = -1;
	else
		rc = inproc_exec(ip, call);
	db_reset_statements(ip->db);
	if (rc != 0) {
		db_exec_cached(ip->db, sql_rollback);
		return -1;
	}
	if (inproc_sql(call, sql_commit, "committing") != 0) {
		db_exec_cached(ip->db, sql_rollback);
		return -1;
	}
	return 0;
}

int
inproc_rate(struct inproc *ip, const char *method,
    const struct cb_params *params, const struct fixture_user *u,
    double warmup_s, double seconds, struct inproc_result *out,
    struct samples *keep, char *err, size_t errlen)
{
	msgpack_unpacked msg;
	struct samples lat = { 0 };
	struct call call;
	uint64_t t0, t_measure, t_end, t1, t2, n = 0;
	int rc = -1;

	memset(out, 0, sizeof *out);
	msgpack_unpacked_init(&msg);
	if (inproc_call_init(ip, method, u, &call, err, errlen) != 0 ||
	    inproc_params(params, &msg, &call, err, errlen) != 0)
		goto out;
	t0 = bench_now_ns();
	t_measure = t0 + (uint64_t)(warmup_s * (double)BENCH_NS_PER_S);
	t_end = t_measure + (uint64_t)(seconds * (double)BENCH_NS_PER_S);
	for (t1 = t0; t1 < t_end; t1 = t2) {
		if (inproc_step(ip, &call) != 0) {
			inproc_call_fail(&call, "in-process", err, errlen);
			goto out;
		}
		t2 = bench_now_ns();
		if (t1 < t_measure)
			continue;
		n++;
		if (samples_add(&lat, t2 - t1) != 0) {
			snprintf(err, errlen, "latency samples: out of memory");
			goto out;
		}
	}
	out->n = n;
	/* The window ran from the first call started past t_measure to the
	 * end of the last one: its real length, not the nominal one. */
	if (n > 0) {
		uint64_t sum = 0;

		for (size_t i = 0; i < lat.n; i++)
			sum += lat.ns[i];
		out->per_s = (double)n * (double)BENCH_NS_PER_S / (double)sum;
	}
	samples_summarise(&lat, &out->lat);
	if (keep != NULL && samples_take(keep, &lat) != 0) {
		snprintf(err, errlen, "latency samples: out of memory");
		goto out;
	}
	rc = 0;
out:
	samples_free(&lat);
	msgpack_unpacked_destroy(&msg);
	return rc;
}

int
inproc_add_batches(struct inproc *ip, const struct fixture_user *u, int64_t book_id,
    int64_t n, int batch, struct fixture_gen *g, char *err, size_t errlen)
{
	struct fixture_entry e;
	struct cb_params *p;
	msgpack_unpacked msg;
	struct call call;
	int64_t done = 0;
	int rc = -1, k;

	msgpack_unpacked_init(&msg);
	if (inproc_call_init(ip, "entry.add", u, &call, err, errlen) != 0)
		goto out;
	db_set_deadline(ip->db, 0);	/* a batch takes longer than a call */
	while (done < n) {
		if (inproc_sql(&call, sql_begin_write, "starting a "
		    "transaction") != 0 || auth_recheck_session(&call) != 0) {
			inproc_call_fail(&call, "seeding", err, errlen);
			db_exec_cached(ip->db, sql_rollback);
			goto out;
		}
		for (k = 0; k < batch && done < n; k++, done++) {
			fixture_gen_next(g, &e);
			if ((p = fixture_params_entry(u, book_id, &e)) == NULL) {
				snprintf(err, errlen, "out of memory");
				break;
			}
			rc = inproc_params(p, &msg, &call, err, errlen);
			cb_params_free(p);
			if (rc != 0)
				break;
			rc = inproc_exec(ip, &call);
			db_reset_statements(ip->db);
			if (rc != 0) {
				inproc_call_fail(&call, "seeding", err, errlen);
				break;
			}
		}
		rc = k == batch || done == n ? 0 : -1;
		if (rc == 0 && inproc_sql(&call, sql_commit, "committing") !=
		    0) {
			inproc_call_fail(&call, "seeding", err, errlen);
			rc = -1;
		}
		if (rc != 0) {
			db_exec_cached(ip->db, sql_rollback);
			goto out;
		}
	}
	rc = 0;
out:
	msgpack_unpacked_destroy(&msg);
	return rc;
}

int
inproc_seed(struct inproc *ip, const struct fixture_user *u, int64_t book_id,
    int64_t n, int batch, struct fixture_gen *g, char *err, size_t errlen)
{
	int rc;

	if (inproc_add_batches(ip, u, book_id, n, batch, g, err, errlen) != 0)
		return -1;
	/* Fold the WAL into the database file, so the daemon reads the new
	 * entries from where they would be after any quiet moment. */
	if ((rc = sqlite3_wal_checkpoint_v2(db_handle(ip->db), NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL)) != SQLITE_OK) {
		snprintf(err, errlen, "checkpoint: %s",
		    sqlite3_errmsg(db_handle(ip->db)));
		return -1;
	}
	return 0;
}
