/*
 * method_backup.c -- server.backup and server.restore: the database copied
 * out while the daemon serves, and a backup put back in its place.
 *
 *   loop:   maint_begin: who may (the daemon's own uid or root, by
 *           SO_PEERCRED), one at a time, the path looked at
 *   maint:  backup_exec  -> backup_write (backup.h)
 *           restore_exec -> restore_stage, pool_swap(restore_swap_files),
 *                           the token cache cleared (restore.h, pool.h)
 *   loop:   maint_end: the next one may start; after a restore, the peer
 *           map (uid -> account) is forgotten: it spoke of the old file
 *
 * Both run on the maintenance worker (METHOD_MAINT) and hold no handle
 * themselves: the backup reads through a connection of its own, and the
 * restore waits for every handle at pool_swap's barrier.  Neither needs an
 * app login: the caller must be the OS user the daemon runs as, or root,
 * whatever --access and --auth say, because the path is written or read
 * with the daemon's rights and a restore replaces everyone's data.
 *
 * Owns: nothing beyond the call.  Never: touches the pool's slots but
 * through pool_swap.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "authcache.h"
#include "backup.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "identity.h"
#include "jobs.h"
#include "log.h"
#include "method.h"
#include "methods.h"
#include "pool.h"
#include "restore.h"
#include "rpc.h"
#include "schema.h"
#include "server.h"

static const struct arg_spec path_args[] = {
	{ .name = "path", .type = ARG_TEXT, .flags = ARG_REQUIRED, .min = 1,
	    .max = CB_BACKUP_PATH_MAX },
	ARGS_END,
};

/* The path argument, NUL-ended. */
static void
maint_path(const struct call *call, char *out, size_t outlen)
{
	size_t n = call->args[0].len < outlen - 1 ? call->args[0].len :
	    outlen - 1;

	memcpy(out, call->args[0].s, n);
	out[n] = '\0';
}

/* Loop: may this caller do it now? */
static int
maint_begin(struct server *server, struct conn *conn, struct call *call,
    const char *what)
{
	uid_t me = geteuid();

	if (conn->uid != me && conn->uid != 0)
		return call_fail(call, CB_FORBIDDEN, "only the OS user "
		    "cashbookd runs as (uid %u) or root may %s",
		    (unsigned)me, what);
	if (server->maint_busy)
		return call_fail(call, CB_UNAVAILABLE, "a backup or restore "
		    "is already running; retry when it has finished");
	return 0;
}

static int
backup_begin(struct server *server, struct conn *conn, struct call *call)
{
	char path[CB_BACKUP_PATH_MAX + 1], err[CB_MAX_ERROR_MESSAGE + 1];

	if (maint_begin(server, conn, call, "back up the database") != 0)
		return -1;
	maint_path(call, path, sizeof path);
	if (backup_dest_check(server->cfg->db_path, path, err,
	    sizeof err) != 0)
		return call_fail(call, CB_BAD_REQUEST, "%s", err);
	server->maint_busy = true;
	return 0;
}

static void
maint_end(struct server *server, struct conn *conn, struct call *call,
    bool failed)
{
	(void)conn;
	(void)call;
	(void)failed;
	server->maint_busy = false;
}

static int
backup_exec(struct call *call)
{
	struct server *server = call->server;
	char path[CB_BACKUP_PATH_MAX + 1], err[CB_MAX_ERROR_MESSAGE + 1];
	struct backup_result res;
	msgpack_packer *pk = call->result;

	maint_path(call, path, sizeof path);
	if (backup_write(server->pool, server->cfg->db_path, path,
	    server->backup_progress, &res, err, sizeof err) != 0) {
		log_error("backup to %s failed: %s", path, err);
		return call_fail(call, CB_UNAVAILABLE, "%s", err);
	}
	log_info("backup: %s written (%" PRIu64 " bytes, %" PRIu64 " pages) "
	    "in %" PRId64 " ms", path, res.bytes, res.pages, res.duration_ms);
	msgpack_pack_map(pk, 4);
	rpc_pack_cstr(pk, "path");
	rpc_pack_cstr(pk, path);
	rpc_pack_cstr(pk, "bytes");
	msgpack_pack_uint64(pk, res.bytes);
	rpc_pack_cstr(pk, "pages");
	msgpack_pack_uint64(pk, res.pages);
	rpc_pack_cstr(pk, "duration_ms");
	msgpack_pack_int64(pk, res.duration_ms);
	return 0;
}

const struct method method_server_backup = {
	.name = CB_METHOD_SERVER_BACKUP,
	.exec = backup_exec,
	.flags = METHOD_MAINT,
	.args = path_args,
	.loop_begin = backup_begin,
	.loop_end = maint_end,
};

/* ---- restore ---- */

static int
restore_begin(struct server *server, struct conn *conn, struct call *call)
{
	if (maint_begin(server, conn, call, "restore the database") != 0)
		return -1;
	server->maint_busy = true;
	return 0;
}

static void
restore_end(struct server *server, struct conn *conn, struct call *call,
    bool failed)
{
	/* Uids resolved against the old file: look them up again. */
	if (!failed)
		identity_map_clear(server->peers);
	maint_end(server, conn, call, failed);
}

static int
restore_exec(struct call *call)
{
	struct server *server = call->server;
	char path[CB_BACKUP_PATH_MAX + 1], err[CB_MAX_ERROR_MESSAGE + 1];
	struct pool_swap_ops ops = {
		.swap = restore_swap_files,
		.undo = restore_undo_files,
	};
	struct restore_plan *plan;
	msgpack_packer *pk = call->result;
	int64_t started = clock_now_us(), took;
	enum restore_result rc;
	bool undone;

	if ((plan = call_state(call, sizeof *plan)) == NULL)
		return call_fail(call, CB_INTERNAL, "out of memory");
	maint_path(call, path, sizeof path);
	rc = restore_stage(path, server->cfg->db_path, plan, err, sizeof err);
	if (rc != RESTORE_OK) {
		log_info("restore from %s refused: %s", path, err);
		return call_fail(call, rc == RESTORE_BAD_FILE ? CB_BAD_REQUEST :
		    CB_UNAVAILABLE, "%s", err);
	}
	log_info("restore: %s passed its checks (schema version %d%s); "
	    "waiting for the requests in flight, then swapping it in", path,
	    plan->from_version, plan->from_version < schema_version_current() ?
	    ", migrated" : "");
	ops.arg = plan;
	if (pool_swap(server->pool, &ops, &undone, err, sizeof err) != 0) {
		restore_discard(plan);
		log_error("restore from %s failed: %s", path, err);
		return call_fail(call, CB_UNAVAILABLE, "the database was not "
		    "restored: %s", err);
	}
	/* Tokens verified against the old file vouch for nothing now. */
	authcache_clear(server->authcache);
	jobs_kick(server->reaper);	/* books it had left half deleted */
	took = (clock_now_us() - started) / 1000;
	log_info("restore: %s is the database now, from %s, in %" PRId64
	    " ms; the previous one is kept as %s", server->cfg->db_path, path,
	    took, plan->kept[0] != '\0' ? plan->kept : "(there was none)");
	msgpack_pack_map(pk, 4);
	rpc_pack_cstr(pk, "path");
	rpc_pack_cstr(pk, path);
	rpc_pack_cstr(pk, "previous");
	if (plan->kept[0] != '\0')
		rpc_pack_cstr(pk, plan->kept);
	else
		msgpack_pack_nil(pk);
	rpc_pack_cstr(pk, "schema_version");
	msgpack_pack_int64(pk, plan->from_version);
	rpc_pack_cstr(pk, "duration_ms");
	msgpack_pack_int64(pk, took);
	return 0;
}

const struct method method_server_restore = {
	.name = CB_METHOD_SERVER_RESTORE,
	.exec = restore_exec,
	.flags = METHOD_MAINT,
	.args = path_args,
	.loop_begin = restore_begin,
	.loop_end = restore_end,
};
