/*
 * method_test.c -- test-only methods that misbehave on purpose: hold a
 * handle, run past the statement timeout, hit a fatal error, fail.
 *
 * Compiled only with -Dtest_methods=true (CASHBOOK_TEST_METHODS); the
 * default build has none of them.  The integration tests use them to
 * reproduce the old backend's pool exhaustion and prove it cannot happen.
 */
#ifdef CASHBOOK_TEST_METHODS

#include <errno.h>
#include <time.h>

#include "args.h"
#include "clock.h"
#include "method.h"
#include "rpc.h"

static const struct arg_spec sleep_args[] = {
	{ .name = "ms", .type = ARG_INT, .flags = ARG_REQUIRED, .min = 0,
	    .max = 60000 },
	ARGS_END,
};

/* test.echo {anything} -> the params map, as received. */
static int
test_echo_exec(struct call *call)
{
	if (call->params == NULL)
		msgpack_pack_map(call->result, 0);
	else
		msgpack_pack_object(call->result, *call->params);
	return 0;
}

const struct method method_test_echo = {
	.name = "test.echo",
	.exec = test_echo_exec,
	.flags = METHOD_ANY_PARAMS,
};

/* test.sleep {ms} -> {"slept_ms"}: hold a handle for ms milliseconds. */
static int
test_sleep_exec(struct call *call)
{
	struct timespec ts;
	int64_t ms = call->args[0].i;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "slept_ms");
	msgpack_pack_int64(call->result, ms);
	return 0;
}

const struct method method_test_sleep = {
	.name = "test.sleep",
	.exec = test_sleep_exec,
	.flags = METHOD_DB_READ,
	.args = sleep_args,
};

const struct method method_test_sleep_write = {
	.name = "test.sleep_write",
	.exec = test_sleep_exec,
	.flags = METHOD_DB_WRITE,
	.args = sleep_args,
};

/* test.spin {} -> statement_timeout: a query that never ends. */
static const char sql_spin[] =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT count(*) FROM c";

static int
test_spin_exec(struct call *call)
{
	sqlite3_stmt *stmt = call_prepare(call, sql_spin, "preparing the spin");
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	return call_fail_sqlite(call, rc == SQLITE_ROW ? SQLITE_INTERNAL : rc,
	    "spinning");
}

const struct method method_test_spin = {
	.name = "test.spin",
	.exec = test_spin_exec,
	.flags = METHOD_DB_READ,
};

/* test.fatal {} -> internal: as if the database file were corrupt, so the
 * handle must be replaced. */
static int
test_fatal_exec(struct call *call)
{
	return call_fail_sqlite(call, SQLITE_CORRUPT, "simulating corruption");
}

const struct method method_test_fatal = {
	.name = "test.fatal",
	.exec = test_fatal_exec,
	.flags = METHOD_DB_READ,
};

/* test.fail {} -> conflict: an ordinary failing request. */
static int
test_fail_exec(struct call *call)
{
	return call_fail(call, CB_CONFLICT, "test.fail always fails");
}

const struct method method_test_fail = {
	.name = "test.fail",
	.exec = test_fail_exec,
	.flags = METHOD_DB_WRITE,
};

/* test.write {} -> {"created_at"}: a real write (touches meta), so write
 * transactions are exercised end to end. */
static const char sql_touch[] =
    "UPDATE meta SET created_at = created_at WHERE id = 1 "
    "RETURNING created_at";

static int
test_write_exec(struct call *call)
{
	sqlite3_stmt *stmt = call_prepare(call, sql_touch,
	    "preparing the write");
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "writing");
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "created_at");
	msgpack_pack_int64(call->result, sqlite3_column_int64(stmt, 0));
	return 0;
}

const struct method method_test_write = {
	.name = "test.write",
	.exec = test_write_exec,
	.flags = METHOD_DB_WRITE,
};

/* test.clock {advance_s} -> {"now"}: move the daemon's wall clock (and
 * the login limiter's) forward, to test expiry without sleeping. */
static const struct arg_spec clock_args[] = {
	{ .name = "advance_s", .type = ARG_INT, .flags = ARG_REQUIRED,
	    .min = 0, .max = 1000000000 },
	ARGS_END,
};

static int
test_clock_exec(struct call *call)
{
	clock_advance(call->args[0].i);
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "now");
	msgpack_pack_int64(call->result, clock_wall_s());
	return 0;
}

const struct method method_test_clock = {
	.name = "test.clock",
	.exec = test_clock_exec,
	.args = clock_args,
};

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int method_test_unused;
#endif
