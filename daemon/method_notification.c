/*
 * method_notification.c -- the caller's stored notifications:
 * notification.list, notification.read, notification.read_all,
 * notification.unread_count.
 *
 * Notifications are written by notify.c, in the transaction of what
 * caused them.  Here they are only listed and marked read.  users.unread
 * is kept exact by every mark (decreased by what the UPDATE changed), so
 * the unread count is one primary-key read however many there are.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "entry.h"
#include "method.h"
#include "methods.h"
#include "rpc.h"

/* ---- notification.list ---- */

/*
 * Newest first, a page at a time: the cursor (cursor.h) names the last
 * notification returned, "n1.NOTIFICATION_ID.CHECK" for this listing
 * (all, or unread only), and the next page starts below it.  Each page is
 * one range of notifications_by_user or, unread only,
 * notifications_by_read.
 */
static int list_cursor_check(struct call *call, const struct arg_spec *spec,
    struct arg_value *v);

enum { LIST_UNREAD_ONLY, LIST_LIMIT, LIST_CURSOR };
static const struct arg_spec list_args[] = {
	/* Before cursor: a cursor's check covers it. */
	[LIST_UNREAD_ONLY] = { .name = "unread_only", .type = ARG_BOOL },
	[LIST_LIMIT] = PAGE_ARG_LIMIT,
	[LIST_CURSOR] = PAGE_ARG_CURSOR(list_cursor_check),
	ARGS_END,
};

static int
list_cursor_check(struct call *call, const struct arg_spec *spec,
    struct arg_value *v)
{
	const int64_t ctx[1] = { call->args[LIST_UNREAD_ONLY].i != 0 };

	return call_cursor_id(call, spec, v, "n1", ctx, 1, "listing");
}

#define NOTIFY_LIST_SQL(filter) \
    "SELECT n.notification_id, n.kind, n.book_id, n.entry_id, n.invite_id, " \
    "n.actor_user_id, a.username, n.text, n.read, n.created_at " \
    "FROM notifications n LEFT JOIN users a ON a.user_id = n.actor_user_id " \
    "WHERE n.user_id = ?1 " filter "AND n.notification_id < ?2 " \
    "ORDER BY n.notification_id DESC LIMIT ?3"
static const char sql_list_all[] = NOTIFY_LIST_SQL("");
static const char sql_list_unread[] = NOTIFY_LIST_SQL("AND n.read = 0 ");

/* An id column: nil when it does not apply. */
static void
list_pack_id(msgpack_packer *pk, sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		msgpack_pack_nil(pk);
	else
		msgpack_pack_int64(pk, sqlite3_column_int64(stmt, col));
}

static int
list_pack_row(struct call *call, msgpack_packer *pk, sqlite3_stmt *stmt)
{
	static const char *const ids[] = { "book_id", "entry_id", "invite_id",
	    "actor_user_id" };

	msgpack_pack_map(pk, 10);
	rpc_pack_cstr(pk, "notification_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 0));
	rpc_pack_cstr(pk, "kind");
	entry_pack_column_text(pk, stmt, 1);
	for (int i = 0; i < 4; i++) {
		rpc_pack_cstr(pk, ids[i]);
		list_pack_id(pk, stmt, 2 + i);
	}
	rpc_pack_cstr(pk, "actor_username");
	entry_pack_column_text(pk, stmt, 6);
	rpc_pack_cstr(pk, "text");
	entry_pack_column_text(pk, stmt, 7);
	rpc_pack_cstr(pk, "read");
	rpc_pack_bool(pk, sqlite3_column_int(stmt, 8) != 0);
	rpc_pack_cstr(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 9));
	(void)call;
	return 0;
}

static int
list_exec(struct call *call)
{
	const struct arg_value *a = call->args;
	const int64_t ctx[1] = { a[LIST_UNREAD_ONLY].i != 0 };
	int64_t limit = call_has(call, LIST_LIMIT) ? a[LIST_LIMIT].i :
	    CB_LIST_DEFAULT_LIMIT;
	const struct call_page page = {
		.key = "notifications", .tag = "n1", .ctx = ctx, .nctx = 1,
		.pack = list_pack_row, .what = "listing notifications",
	};
	sqlite3_stmt *stmt;

	if ((stmt = call_prepare(call, ctx[0] ? sql_list_unread :
	    sql_list_all, "listing notifications")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	sqlite3_bind_int64(stmt, 2, call_has(call, LIST_CURSOR) ?
	    a[LIST_CURSOR].decoded[0] : INT64_MAX);
	sqlite3_bind_int64(stmt, 3, limit + 1);	/* one more: a next page? */
	return call_page_by_id(call, stmt, limit, &page);
}

const struct method method_notification_list = {
	.name = CB_METHOD_NOTIFICATION_LIST,
	.exec = list_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.args = list_args,
};

/* ---- notification.read and notification.read_all ---- */

enum { READ_IDS };
static const struct arg_spec read_args[] = {
	[READ_IDS] = { .name = "ids", .type = ARG_IDS, .flags = ARG_REQUIRED,
	    .min = 1, .max = CB_NOTIFY_READ_MAX },
	ARGS_END,
};

/* Only the caller's, only unread ones: others' ids and ids already read
 * change nothing and are not counted. */
static const char sql_read_one[] =
    "UPDATE notifications SET read = 1 "
    "WHERE notification_id = ?1 AND user_id = ?2 AND read = 0";
static const char sql_read_all[] =
    "UPDATE notifications SET read = 1 WHERE user_id = ?2 AND read = 0";
static const char sql_unread_less[] =
    "UPDATE users SET unread = unread - ?2 WHERE user_id = ?1";

/* Run a marking statement (?1 the id, which sql_read_all does not use;
 * ?2 the caller) and add the rows it marked to *marked. */
static int
read_mark(struct call *call, const char *sql, int64_t id, int64_t *marked)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql, "marking notifications read")) ==
	    NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, call->user_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "marking notifications read");
	*marked += sqlite3_changes(db_handle(call->db));
	return 0;
}

/* Take what was marked off the caller's unread count, and answer it. */
static int
read_done(struct call *call, int64_t marked)
{
	sqlite3_stmt *stmt;
	int rc;

	if (marked > 0) {
		if ((stmt = call_prepare(call, sql_unread_less,
		    "counting unread notifications")) == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, call->user_id);
		sqlite3_bind_int64(stmt, 2, marked);
		if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
			return call_fail_sqlite(call, rc,
			    "counting unread notifications");
	}
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "marked");
	msgpack_pack_int64(call->result, marked);
	return 0;
}

static int
read_exec(struct call *call)
{
	const struct arg_value *ids = &call->args[READ_IDS];
	int64_t marked = 0;

	for (uint32_t i = 0; i < ids->len; i++)
		if (read_mark(call, sql_read_one, args_id(ids, i),
		    &marked) != 0)
			return -1;
	return read_done(call, marked);
}

static int
read_all_exec(struct call *call)
{
	int64_t marked = 0;

	if (read_mark(call, sql_read_all, 0, &marked) != 0)
		return -1;
	return read_done(call, marked);
}

const struct method method_notification_read = {
	.name = CB_METHOD_NOTIFICATION_READ,
	.exec = read_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = read_args,
};

const struct method method_notification_read_all = {
	.name = CB_METHOD_NOTIFICATION_READ_ALL,
	.exec = read_all_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
};

/* ---- notification.unread_count ---- */

static const char sql_unread[] = "SELECT unread FROM users WHERE user_id = ?1";

static int
unread_exec(struct call *call)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_unread,
	    "counting unread notifications")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return call_fail_sqlite(call, rc == SQLITE_DONE ? SQLITE_ERROR :
		    rc, "counting unread notifications");
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "unread");
	msgpack_pack_int64(call->result, sqlite3_column_int64(stmt, 0));
	sqlite3_reset(stmt);
	return 0;
}

/* users.unread, kept with every notification written, read or pruned. */
const struct method method_notification_unread_count = {
	.name = CB_METHOD_NOTIFICATION_UNREAD_COUNT,
	.exec = unread_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH | METHOD_ONE_STATEMENT,
};
