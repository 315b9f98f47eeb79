/*
 * methods.c -- the method table, and how handlers report errors.
 *
 * Each method group's file exports its `const struct method` entries; this
 * file lists them.  Lookup is a linear scan: the table is small, and the
 * scan compares lengths first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "method.h"
#include "packbuf.h"
#include "rpc.h"

extern const struct method method_ping;
extern const struct method method_server_stats;
extern const struct method method_server_info;
extern const struct method method_server_backup;
extern const struct method method_server_restore;
extern const struct method method_user_register;
extern const struct method method_user_profile;
extern const struct method method_user_password;
extern const struct method method_auth_login;
extern const struct method method_auth_refresh;
extern const struct method method_auth_verify;
extern const struct method method_auth_logout;
extern const struct method method_auth_logout_all;
extern const struct method method_book_create;
extern const struct method method_book_list;
extern const struct method method_book_get;
extern const struct method method_book_update;
extern const struct method method_book_delete;
extern const struct method method_book_balance;
extern const struct method method_book_verify;
extern const struct method method_entry_add;
extern const struct method method_entry_add_batch;
extern const struct method method_entry_get;
extern const struct method method_entry_update;
extern const struct method method_entry_delete;
extern const struct method method_entry_restore;
extern const struct method method_entry_history;
extern const struct method method_entry_list;
extern const struct method method_report_summary;
extern const struct method method_book_invite;
extern const struct method method_invite_list;
extern const struct method method_invite_accept;
extern const struct method method_invite_decline;
extern const struct method method_invite_revoke;
extern const struct method method_member_list;
extern const struct method method_member_update;
extern const struct method method_member_remove;
extern const struct method method_book_leave;
extern const struct method method_notification_list;
extern const struct method method_notification_read;
extern const struct method method_notification_read_all;
extern const struct method method_notification_unread_count;
extern const struct method method_events_subscribe;
extern const struct method method_events_unsubscribe;
extern const struct method method_book_changes;
#ifdef CASHBOOK_TEST_METHODS
extern const struct method method_test_echo;
extern const struct method method_test_sleep;
extern const struct method method_test_sleep_write;
extern const struct method method_test_spin;
extern const struct method method_test_fatal;
extern const struct method method_test_fail;
extern const struct method method_test_write;
extern const struct method method_test_clock;
#endif

static const struct method *const method_table[] = {
	&method_ping,
	&method_server_stats,
	&method_server_info,
	&method_server_backup,
	&method_server_restore,
	&method_user_register,
	&method_user_profile,
	&method_user_password,
	&method_auth_login,
	&method_auth_refresh,
	&method_auth_verify,
	&method_auth_logout,
	&method_auth_logout_all,
	&method_book_create,
	&method_book_list,
	&method_book_get,
	&method_book_update,
	&method_book_delete,
	&method_book_balance,
	&method_book_verify,
	&method_entry_add,
	&method_entry_add_batch,
	&method_entry_get,
	&method_entry_update,
	&method_entry_delete,
	&method_entry_restore,
	&method_entry_history,
	&method_entry_list,
	&method_report_summary,
	&method_book_invite,
	&method_invite_list,
	&method_invite_accept,
	&method_invite_decline,
	&method_invite_revoke,
	&method_member_list,
	&method_member_update,
	&method_member_remove,
	&method_book_leave,
	&method_notification_list,
	&method_notification_read,
	&method_notification_read_all,
	&method_notification_unread_count,
	&method_events_subscribe,
	&method_events_unsubscribe,
	&method_book_changes,
#ifdef CASHBOOK_TEST_METHODS
	&method_test_echo,
	&method_test_sleep,
	&method_test_sleep_write,
	&method_test_spin,
	&method_test_fatal,
	&method_test_fail,
	&method_test_write,
	&method_test_clock,
#endif
};

const struct method *
method_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof method_table / sizeof method_table[0];
	    i++) {
		const struct method *m = method_table[i];
		if (strlen(m->name) == len && memcmp(m->name, name, len) == 0)
			return m;
	}
	return NULL;
}

void
method_each(void (*fn)(const struct method *m, void *arg), void *arg)
{
	for (size_t i = 0; i < sizeof method_table / sizeof method_table[0];
	    i++)
		fn(method_table[i], arg);
}

int
method_table_check(char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof method_table / sizeof method_table[0];
	    i++) {
		const struct method *m = method_table[i];

		if (args_spec_check(m, err, errlen) != 0)
			return -1;
		/* Tokens are verified inside a database step; a hashing
		 * step first would run for nobody (user_id 0). */
		if ((m->flags & METHOD_AUTH) && (m->flags & METHOD_HASH)) {
			snprintf(err, errlen, "%s hashes before its token is "
			    "verified", m->name);
			return -1;
		}
		if ((m->flags & METHOD_PATCH) && m->args == NULL) {
			snprintf(err, errlen, "%s is a patch of nothing",
			    m->name);
			return -1;
		}
	}
	return 0;
}

int
call_continue(struct call *call, const struct method_step *next)
{
	call->next = next;
	return METHOD_CONTINUE;
}

void *
call_state(struct call *call, size_t size)
{
	if (call->state == NULL && (call->state = calloc(1, size)) != NULL)
		call->state_size = size;	/* wiped with the request */
	return call->state;
}

int
call_fail(struct call *call, enum cb_code code, const char *fmt, ...)
{
	va_list ap;

	call->code = code;
	va_start(ap, fmt);
	vsnprintf(call->message, sizeof call->message, fmt, ap);
	va_end(ap);
	return -1;
}

int
call_fail_prefix(struct call *call, const char *fmt, ...)
{
	char inner[sizeof call->message];
	va_list ap;
	int n;

	memcpy(inner, call->message, sizeof inner);
	va_start(ap, fmt);
	n = vsnprintf(call->message, sizeof call->message, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof call->message)
		snprintf(call->message + n, sizeof call->message - (size_t)n,
		    ": %s", inner);
	return -1;
}

void
call_pack_page(struct call *call, const char *key, const struct packbuf *rows,
    uint32_t n, const char *next_cursor)
{
	msgpack_pack_map(call->result, 2);
	rpc_pack_cstr(call->result, key);
	msgpack_pack_array(call->result, n);
	rpc_pack_raw(call->result, rows->sb.data, rows->sb.size);
	rpc_pack_cstr(call->result, "next_cursor");
	if (next_cursor != NULL)
		rpc_pack_cstr(call->result, next_cursor);
	else
		msgpack_pack_nil(call->result);
}

int
call_page_by_id(struct call *call, sqlite3_stmt *stmt, int64_t limit,
    const struct call_page *page)
{
	char cursor[CB_CURSOR_MAX + 1];
	struct packbuf rows;
	int64_t last = 0;
	uint32_t n = 0;
	int rc, ret = -1;

	packbuf_init(&rows);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && n < limit) {
		last = sqlite3_column_int64(stmt, 0);
		if (page->pack(call, &rows.pk, stmt) != 0)
			goto out;
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		call_fail_sqlite(call, rc, page->what);
		goto out;
	}
	if (packbuf_failed(&rows)) {
		call_fail(call, CB_INTERNAL, "out of memory");
		goto out;
	}
	if (rc == SQLITE_ROW)
		cursor_format(cursor, sizeof cursor, page->tag, page->ctx,
		    page->nctx, &last, 1);
	call_pack_page(call, page->key, &rows, n, rc == SQLITE_ROW ? cursor :
	    NULL);
	ret = 0;
out:
	sqlite3_reset(stmt);
	packbuf_destroy(&rows);
	return ret;
}

int
call_cursor_id(struct call *call, const struct arg_spec *spec,
    struct arg_value *v, const char *tag, const int64_t *ctx, int nctx,
    const char *listing)
{
	if (!cursor_parse(v->s, v->len, tag, ctx, nctx, v->decoded, 1) ||
	    v->decoded[0] < 1)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' is not a "
		    "cursor this %s returned; start again without it",
		    spec->name, listing);
	return 0;
}

sqlite3_stmt *
call_prepare(struct call *call, const char *sql, const char *what)
{
	sqlite3_stmt *stmt = db_prepare(call->db, sql);

	if (stmt == NULL) {
		int rc = db_ready(call->db) ? sqlite3_extended_errcode(
		    db_handle(call->db)) : SQLITE_CANTOPEN;

		call_fail_sqlite(call, rc != SQLITE_OK ? rc : SQLITE_ERROR,
		    what);
	}
	return stmt;
}

int
call_fail_sqlite(struct call *call, int rc, const char *what)
{
	/* The handle's message, when it is about this error. */
	const char *detail = call->db != NULL && db_ready(call->db) &&
	    sqlite3_extended_errcode(db_handle(call->db)) == rc ?
	    sqlite3_errmsg(db_handle(call->db)) : sqlite3_errstr(rc);

	/* The deadline ends a running statement (SQLITE_INTERRUPT) or a lock
	 * wait (SQLITE_BUSY from the busy handler). */
	if (((rc & 0xff) == SQLITE_INTERRUPT || (rc & 0xff) == SQLITE_BUSY) &&
	    call->db != NULL && db_timed_out(call->db))
		return call_fail(call, CB_STATEMENT_TIMEOUT, "%s took longer "
		    "than the statement timeout", what);
	switch (rc & 0xff) {
	case SQLITE_INTERRUPT:
		return call_fail(call, CB_UNAVAILABLE, "%s was interrupted",
		    what);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return call_fail(call, CB_UNAVAILABLE, "database is busy "
		    "(%s); retry", what);
	case SQLITE_FULL:
		return call_fail(call, CB_UNAVAILABLE, "disk full while %s",
		    what);
	case SQLITE_CONSTRAINT:
		return call_fail(call, CB_CONFLICT, "%s: %s", what, detail);
	}
	if (db_rc_is_fatal(rc))
		call->db_broken = true;
	return call_fail(call, CB_INTERNAL, "database error while %s: %s",
	    what, detail);
}
