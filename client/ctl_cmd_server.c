/*
 * ctl_cmd_server.c -- cashbookctl's commands about the daemon itself:
 * ping, stats, info.
 *
 * Each fetches through libcashbook and prints through ctl_output.h; none
 * prints an error itself (ctl_fail does).  Never holds state between
 * commands.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cb_limits.h"
#include "methods.h"

#include "ctl.h"
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
