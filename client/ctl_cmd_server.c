/*
 * ctl_cmd_server.c -- cashbookctl's commands about the daemon itself:
 * ping, stats, info, backup, restore.
 *
 * Each fetches through libcashbook and prints through ctl_output.h; none
 * prints an error itself (ctl_fail does).  Never holds state between
 * commands.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cb_limits.h"
#include "methods.h"

#include "ctl.h"
#include "path.h"
#include "ctl_output.h"

static int64_t
now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --json: the method's raw result on one line. */
static int
print_raw(struct ctl_ctx *ctx, const char *method)
{
	struct cb_reply *reply;
	int rc;

	if ((rc = cb_call(ctx->conn, method, NULL, &reply)) != CB_OK)
		return ctl_fail(ctx, rc);
	ctl_print_json_line(cb_reply_result(reply));
	cb_reply_free(reply);
	return CTL_EXIT_OK;
}

/* ---- ping ---- */

static enum ctl_retval
ping_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	(void)self;
	(void)args;
	struct cb_ping_info info;
	char version[sizeof info.version], took[32];
	int64_t start;
	int rc;

	if (ctx->json)
		return print_raw(ctx, CB_METHOD_PING);
	start = now_us();
	if ((rc = cb_ping(ctx->conn, &info)) != CB_OK)
		return ctl_fail(ctx, rc);
	ctl_format_us_as_ms(now_us() - start, took, sizeof took);
	ctl_sanitize(info.version, version, sizeof version);
	printf("pong from cashbookd %s (protocol %" PRId64 ") in %s\n",
	    version, info.protocol, took);
	if (info.protocol != CB_PROTOCOL_VERSION)
		fprintf(stderr, "cashbookctl: warning: cashbookd speaks "
		    "protocol %" PRId64 ", this cashbookctl %d\n",
		    info.protocol, CB_PROTOCOL_VERSION);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_ping = {
	.name = "ping",
	.summary = "check that cashbookd answers, and how fast",
	.help =
	    "Sends one ping and prints cashbookd's version, its protocol and\n"
	    "the round trip time, e.g.\n"
	    "  pong from cashbookd 0.1.0 (protocol 1) in 0.21 ms\n"
	    "Useful in scripts: the exit status is 0 only when cashbookd "
	    "answered.\n",
	.method = CB_METHOD_PING,
	.flags = CTL_CMD_CONNECT,
	.exec = ping_exec,
};

/* ---- stats ---- */

static enum ctl_retval
stats_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	(void)self;
	(void)args;
	struct cb_stats st;
	char buf[64];
	int rc;

	if (ctx->json)
		return print_raw(ctx, CB_METHOD_SERVER_STATS);
	if ((rc = cb_stats(ctx->conn, &st)) != CB_OK)
		return ctl_fail(ctx, rc);

	ctl_print_section("pool");
	ctl_print_row("in use / size", "%" PRId64 " / %" PRId64,
	    st.pool.in_use, st.pool.size);
	ctl_print_row("idle", "%" PRId64, st.pool.idle);
	ctl_print_row("waiting", "%" PRId64, st.pool.waiting);
	ctl_print_row("acquired", "%" PRId64, st.pool.acquired);
	ctl_print_row("released", "%" PRId64, st.pool.released);
	ctl_print_row("wait timeouts", "%" PRId64, st.pool.wait_timeouts);
	ctl_print_row("replaced", "%" PRId64, st.pool.replaced);
	ctl_format_us_as_ms(st.pool.max_wait_us, buf, sizeof buf);
	ctl_print_row("max wait", "%s", buf);
	ctl_print_section("connections");
	ctl_print_row("open / max", "%" PRId64 " / %" PRId64,
	    st.connections.open, st.connections.max);
	ctl_print_section("requests");
	ctl_print_row("total / errors", "%" PRId64 " / %" PRId64,
	    st.requests.total, st.requests.errors);
	ctl_format_duration(st.uptime_s, buf, sizeof buf);
	ctl_print_item("uptime", "%s", buf);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_stats = {
	.name = "stats",
	.summary = "show live figures: handle pool, connections, requests",
	.help =
	    "pool: database handles in use out of the pool's size, idle ones,\n"
	    "  requests waiting for one, handles acquired and released since\n"
	    "  start, waits that timed out (pool_timeout), handles replaced\n"
	    "  after an error, and the longest wait for a handle.\n"
	    "connections: clients connected now, and the most allowed.\n"
	    "requests: answered since start, and how many were errors.\n"
	    "uptime: since cashbookd started.\n"
	    "With --json, prints server.stats' result as is (max_wait_us in\n"
	    "microseconds, uptime_s in seconds).\n",
	.method = CB_METHOD_SERVER_STATS,
	.flags = CTL_CMD_CONNECT,
	.exec = stats_exec,
};

/* ---- info ---- */

static enum ctl_retval
info_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	(void)self;
	(void)args;
	char version[64], database[4096], safe[4096], when[64];
	const msgpack_object *res;
	struct cb_reply *reply;
	int64_t schema, created;
	struct tm tm;
	time_t t;
	int rc;

	if (ctx->json)
		return print_raw(ctx, CB_METHOD_SERVER_INFO);
	if ((rc = cb_call(ctx->conn, CB_METHOD_SERVER_INFO, NULL, &reply)) !=
	    CB_OK)
		return ctl_fail(ctx, rc);
	res = cb_reply_result(reply);
	if (cb_map_get_str(res, "version", version, sizeof version) !=
	    CB_OK ||
	    cb_map_get_str(res, "database", database, sizeof database) !=
	    CB_OK ||
	    cb_map_get_int(res, "schema_version", &schema) != CB_OK ||
	    cb_map_get_int(res, "created_at", &created) != CB_OK) {
		cb_reply_free(reply);
		ctl_print_error(ctx->json, NULL, "protocol_error", "cashbookd's "
		    "server.info answer lacks a field", "cashbookctl and "
		    "cashbookd may be of different versions");
		return CTL_EXIT_FAILED;
	}
	cb_reply_free(reply);

	t = (time_t)created;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		snprintf(when, sizeof when, "%" PRId64, created);
	ctl_sanitize(version, safe, sizeof safe);
	ctl_print_item("version", "%s", safe);
	ctl_print_item("schema version", "%" PRId64, schema);
	ctl_sanitize(database, safe, sizeof safe);
	ctl_print_item("database", "%s", safe);
	ctl_print_item("created", "%s", when);
	ctl_print_item("socket", "%s", ctx->socket_path);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_info = {
	.name = "info",
	.summary = "show cashbookd's version, database and schema",
	.help =
	    "Prints the daemon's version, the schema version of its database,\n"
	    "the database file and when it was created, and the socket used.\n",
	.method = CB_METHOD_SERVER_INFO,
	.flags = CTL_CMD_CONNECT,
	.exec = info_exec,
};

/* ---- backup, restore ---- */

/* How often a terminal sees the backup's progress. */
#define CTL_BACKUP_POLL_MS 250

/* Print the backup's progress from a server.stats result, on one line
 * of the terminal. */
static void
ctl_backup_progress(const msgpack_object *stats)
{
	const msgpack_object *backup = cb_map_get(stats, "backup");
	int64_t done, total;

	if (backup != NULL && cb_map_get_int(backup, "pages_done", &done) ==
	    CB_OK && cb_map_get_int(backup, "pages_total", &total) == CB_OK &&
	    total > 0)
		fprintf(stderr, "\rbacking up: %3d%% (%" PRId64 " of %" PRId64
		    " pages)", (int)(done * 100 / total), done, total);
}

/* Send method {path} and wait for its answer, asking server.stats for the
 * progress every CTL_BACKUP_POLL_MS meanwhile (on the same connection:
 * answers come in any order).  CB_OK with *out (maybe an error reply). */
static int
ctl_wait_with_progress(struct ctl_ctx *ctx, const char *method,
    const struct cb_params *p, struct cb_reply **out)
{
	struct timespec poll = { 0, CTL_BACKUP_POLL_MS * 1000000L };
	struct cb_reply *reply;
	uint32_t id, sid;
	int rc;

	*out = NULL;
	if ((rc = cb_send(ctx->conn, method, p, &id)) != CB_OK)
		return rc;
	while (*out == NULL) {
		nanosleep(&poll, NULL);
		if ((rc = cb_send(ctx->conn, CB_METHOD_SERVER_STATS, NULL,
		    &sid)) != CB_OK)
			break;
		while ((rc = cb_recv(ctx->conn, &reply)) == CB_OK) {
			if (cb_reply_msgid(reply) == id) {
				*out = reply;
				continue;	/* the stats answer is owed */
			}
			if (*out == NULL && cb_reply_error_code(reply) == NULL)
				ctl_backup_progress(cb_reply_result(reply));
			cb_reply_free(reply);
			break;
		}
		if (rc != CB_OK)
			break;
	}
	fprintf(stderr, "\r\033[K");
	if (rc != CB_OK) {
		cb_reply_free(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * Call method {path}.  A backup on a terminal shows its progress.
 * CTL_EXIT_OK with *out, or the exit status with the failure printed.
 */
static int
ctl_call_path(struct ctl_ctx *ctx, const char *method, const char *path,
    bool progress, struct cb_reply **out)
{
	struct cb_params *p;
	int rc;

	*out = NULL;
	if ((p = cb_params_new()) == NULL ||
	    cb_params_str(p, "path", path) != CB_OK) {
		cb_params_free(p);
		return ctl_fail(ctx, CB_ENOMEM);
	}
	/* A backup of a big database takes as long as it takes; the daemon
	 * always answers. */
	cb_set_timeout(ctx->conn, 0);
	if (!progress || ctx->json || !isatty(STDERR_FILENO)) {
		rc = cb_call(ctx->conn, method, p, out);
		cb_params_free(p);
		return rc == CB_OK ? CTL_EXIT_OK : ctl_fail(ctx, rc);
	}
	rc = ctl_wait_with_progress(ctx, method, p, out);
	cb_params_free(p);
	if (rc != CB_OK)
		return ctl_fail(ctx, rc);
	if (cb_reply_error_code(*out) != NULL) {
		ctl_print_error(ctx->json, cb_reply_error_code(*out), NULL,
		    cb_reply_error_message(*out), NULL);
		cb_reply_free(*out);
		*out = NULL;
		return CTL_EXIT_FAILED;
	}
	return CTL_EXIT_OK;
}

/* FILE, absolute, into path.  CTL_EXIT_OK, or the exit status. */
static int
ctl_file_path(struct ctl_ctx *ctx, const char *file, char *path,
    size_t pathlen)
{
	/* Absolute: cashbookd does not run in the caller's directory.  The
	 * directory must exist; the file need not (a backup's). */
	if (path_canonical(file, path, pathlen) != 0) {
		ctl_print_error(ctx->json, NULL, "bad_path", strerror(errno),
		    "name a file in a directory that exists");
		return CTL_EXIT_FAILED;
	}
	return CTL_EXIT_OK;
}

static enum ctl_retval
backup_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	char path[PATH_MAX], safe[PATH_MAX], took[32];
	struct cb_reply *reply;
	const msgpack_object *res;
	int64_t bytes = 0, pages = 0, ms = 0;
	int rc;

	(void)self;
	if ((rc = ctl_file_path(ctx, args->argv[1], path, sizeof path)) !=
	    CTL_EXIT_OK)
		return rc;
	if ((rc = ctl_call_path(ctx, CB_METHOD_SERVER_BACKUP, path, true,
	    &reply)) != CTL_EXIT_OK)
		return rc;
	res = cb_reply_result(reply);
	if (ctx->json)
		ctl_print_json_line(res);
	else {
		(void)cb_map_get_int(res, "bytes", &bytes);
		(void)cb_map_get_int(res, "pages", &pages);
		(void)cb_map_get_int(res, "duration_ms", &ms);
		ctl_format_us_as_ms(ms * 1000, took, sizeof took);
		ctl_sanitize(path, safe, sizeof safe);
		printf("backed up to %s (%" PRId64 " bytes, %" PRId64
		    " pages) in %s\n", safe, bytes, pages, took);
	}
	cb_reply_free(reply);
	return CTL_EXIT_OK;
}

static const struct ctl_operand file_operand[] = {
	{ "FILE", CTL_T_FILE, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

const struct ctl_cmd ctl_cmd_backup = {
	.name = "backup",
	.operands = file_operand,
	.needs = "the FILE to write the backup to",
	.method = CB_METHOD_SERVER_BACKUP,
	.summary = "copy the database into FILE while cashbookd serves",
	.help =
	    "Writes a consistent copy of the whole database to FILE (mode 0600)\n"
	    "while cashbookd goes on serving, writes included: the copy is of\n"
	    "one moment, checked (integrity_check) before it takes FILE's name,\n"
	    "so FILE is either as it was or a whole backup.  An existing FILE is\n"
	    "replaced; the live database is refused.  On a terminal it shows\n"
	    "its progress.  Only the OS user cashbookd runs as, or root, may.\n"
	    "  backed up to /home/me/cb.db (1228800 bytes, 300 pages) in 41 ms\n",
	.flags = CTL_CMD_CONNECT,
	.exec = backup_exec,
};

/* cashbookctl restore FILE (the command is shared with restoring an
 * entry, ctl_cmd_entry.c, which hands a FILE over). */
int
ctl_restore_database(struct ctl_ctx *ctx, const char *file)
{
	char path[PATH_MAX], safe[PATH_MAX], prev[PATH_MAX], took[32];
	char msg[PATH_MAX + 128];
	struct cb_reply *reply;
	const msgpack_object *res;
	int64_t ms = 0;
	int rc;

	if ((rc = ctl_file_path(ctx, file, path, sizeof path)) !=
	    CTL_EXIT_OK)
		return rc;
	if (access(path, R_OK) != 0) {
		snprintf(msg, sizeof msg, "cannot read %s: %s", path,
		    strerror(errno));
		ctl_print_error(ctx->json, NULL, "bad_path", msg, "name a "
		    "backup file, e.g. one 'cashbookctl backup FILE' wrote");
		return CTL_EXIT_FAILED;
	}
	if (ctx->conn == NULL && (rc = ctl_connect(ctx)) != CTL_EXIT_OK)
		return rc;
	if ((rc = ctl_call_path(ctx, CB_METHOD_SERVER_RESTORE, path, false,
	    &reply)) != CTL_EXIT_OK)
		return rc;
	res = cb_reply_result(reply);
	if (ctx->json)
		ctl_print_json_line(res);
	else {
		(void)cb_map_get_int(res, "duration_ms", &ms);
		ctl_format_us_as_ms(ms * 1000, took, sizeof took);
		ctl_sanitize(path, safe, sizeof safe);
		printf("restored from %s in %s\n", safe, took);
		if (cb_map_get_str(res, "previous", prev, sizeof prev) ==
		    CB_OK) {
			ctl_sanitize(prev, safe, sizeof safe);
			printf("the previous database is kept as %s\n", safe);
		}
	}
	cb_reply_free(reply);
	return CTL_EXIT_OK;
}
