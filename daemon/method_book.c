/*
 * method_book.c -- books: book.create, book.list, book.get, book.update,
 * book.delete, book.balance, book.verify.
 *
 * Access to a book goes through book_access() (book.h), the one place
 * that decides who may do what.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "auth.h"
#include "book.h"
#include "change.h"
#include "clock.h"
#include "entry.h"
#include "jobs.h"
#include "method.h"
#include "methods.h"
#include "money.h"
#include "notify.h"
#include "rpc.h"
#include "server.h"
#include "text.h"

static int book_currency_check(struct call *call,
    const struct arg_spec *spec, struct arg_value *v);

/* Arguments: a book's name and description, and the book methods'. */
#define BOOK_ARG_NAME(fl) { .name = "name", .type = ARG_TEXT, \
    .flags = (fl), .min = 1, \
    .max = CB_BOOK_NAME_MAX }
#define BOOK_ARG_DESCRIPTION(fl) { .name = "description", \
    .type = ARG_LINES, .flags = (fl), \
    .min = 1, .max = CB_BOOK_DESCRIPTION_MAX }

enum { CREATE_NAME, CREATE_CURRENCY, CREATE_DESCRIPTION };
static const struct arg_spec create_args[] = {
	[CREATE_NAME] = BOOK_ARG_NAME(ARG_REQUIRED),
	[CREATE_CURRENCY] = { .name = "currency", .type = ARG_STR, .min = 1, .max = 16,
	    .check = book_currency_check },
	[CREATE_DESCRIPTION] = BOOK_ARG_DESCRIPTION(0),
	ARGS_END,
};

/* book.get, book.balance: the book alone. */
enum { BOOK_ID };
static const struct arg_spec book_args[] = {
	[BOOK_ID] = BOOK_ARG_ID,
	ARGS_END,
};

enum { UPDATE_BOOK_ID, UPDATE_NAME, UPDATE_DESCRIPTION };
static const struct arg_spec update_args[] = {
	[UPDATE_BOOK_ID] = BOOK_ARG_ID,
	[UPDATE_NAME] = BOOK_ARG_NAME(ARG_NIL_REFUSED),
	[UPDATE_DESCRIPTION] = BOOK_ARG_DESCRIPTION(ARG_NIL_CLEARS),
	ARGS_END,
};

enum { DELETE_BOOK_ID, DELETE_FORCE };
static const struct arg_spec delete_args[] = {
	[DELETE_BOOK_ID] = BOOK_ARG_ID,
	[DELETE_FORCE] = { .name = "force", .type = ARG_BOOL },
	ARGS_END,
};

/* currency: an ISO 4217 code. */
static int
book_currency_check(struct call *call, const struct arg_spec *spec,
    struct arg_value *v)
{
	if (!money_currency_valid(v->s, v->len))
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be an "
		    "ISO 4217 code: three capital letters, e.g. EUR",
		    spec->name);
	return 0;
}

/* ---- book.create ---- */

static const char sql_book_insert[] =
    "INSERT INTO books (owner_id, name, name_key, currency, decimals, "
    "description, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING book_id";
static const char sql_member_insert[] =
    "INSERT INTO book_members (user_id, book_id, role, permissions, "
    "added_at) VALUES (?1, ?2, 'owner', 63, ?3)";

static int
create_member(struct call *call, int64_t book_id)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_member_insert,
	    "adding the owner")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	sqlite3_bind_int64(stmt, 2, book_id);
	sqlite3_bind_int64(stmt, 3, clock_wall_s());
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "adding the owner");
	return 0;
}

static int
create_exec(struct call *call)
{
	const char *name = call->args[CREATE_NAME].s;
	size_t len = call->args[CREATE_NAME].len;
	const struct arg_value *desc = &call->args[CREATE_DESCRIPTION];
	const char *currency = call_has(call, CREATE_CURRENCY) ?
	    call->args[CREATE_CURRENCY].s :
	    call->server->cfg->default_currency;
	char key[CB_BOOK_NAME_MAX];
	struct book book = { .is_owner = true };
	sqlite3_stmt *stmt;
	int rc;

	text_fold_ascii(name, len, key);
	if ((stmt = call_prepare(call, sql_book_insert,
	    "creating the book")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	sqlite3_bind_text(stmt, 2, name, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, key, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, currency, 3, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, money_currency_decimals(currency, 3));
	if (call_has(call, CREATE_DESCRIPTION))
		sqlite3_bind_text(stmt, 6, desc->s, (int)desc->len,
		    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, clock_wall_s());
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return call_fail(call, CB_CONFLICT, "you already have a book "
		    "named '%.*s'", (int)len, name);
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "creating the book");
	book.book_id = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (create_member(call, book.book_id) != 0 ||
	    change_record(call, book.book_id, CHANGE_BOOK_CREATED, 0, 0, true,
	    0) != 0)
		return -1;
	msgpack_pack_map(call->result, 2);
	rpc_pack_cstr(call->result, "book_id");
	msgpack_pack_int64(call->result, book.book_id);
	rpc_pack_cstr(call->result, "book");
	return book_pack(call, &book);
}

const struct method method_book_create = {
	.name = CB_METHOD_BOOK_CREATE,
	.exec = create_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = create_args,
};

/* ---- book.list ---- */

/*
 * The caller's books, by name (ASCII case-insensitively) then id, a page
 * at a time: the cursor (cursor.h) names the last book returned,
 * "l1.BOOK_ID.CHECK", and the next page starts after that book's place.
 * Membership is the access rule for a listing.
 */
static int list_cursor_check(struct call *call, const struct arg_spec *spec,
    struct arg_value *v);

enum { LIST_LIMIT, LIST_CURSOR };
static const struct arg_spec list_args[] = {
	[LIST_LIMIT] = PAGE_ARG_LIMIT,
	[LIST_CURSOR] = PAGE_ARG_CURSOR(list_cursor_check),
	ARGS_END,
};

static int
list_cursor_check(struct call *call, const struct arg_spec *spec,
    struct arg_value *v)
{
	return call_cursor_id(call, spec, v, "l1", NULL, 0, "listing");
}

/* After the cursor's book: its (name_key, book_id), read now, and only
 * from the caller's own books (another's gives an empty page).  A book
 * renamed between two pages is listed where its new name puts it. */
static const char sql_book_list[] =
    "SELECT " BOOK_OBJECT_COLUMNS " FROM book_members m "
    "JOIN books b ON b.book_id = m.book_id "
    "JOIN users o ON o.user_id = b.owner_id "
    "WHERE m.user_id = ?1 AND b.deleting = 0 AND (?2 IS NULL OR "
    "(b.name_key, b.book_id) > (SELECT c.name_key, c.book_id FROM books c "
    "JOIN book_members cm ON cm.book_id = c.book_id AND cm.user_id = ?1 "
    "WHERE c.book_id = ?2)) ORDER BY b.name_key, b.book_id LIMIT ?3";

static int
list_pack_row(struct call *call, msgpack_packer *pk, sqlite3_stmt *stmt)
{
	(void)call;
	book_pack_row(pk, stmt, 0);
	return 0;
}

static const struct call_page list_page = {
	.key = "books", .tag = "l1", .pack = list_pack_row,
	.what = "listing books",
};

static int
list_exec(struct call *call)
{
	const struct arg_value *a = call->args;
	int64_t limit = call_has(call, LIST_LIMIT) ? a[LIST_LIMIT].i :
	    CB_LIST_MAX_LIMIT;
	sqlite3_stmt *stmt;

	if ((stmt = call_prepare(call, sql_book_list, "listing books")) ==
	    NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	if (call_has(call, LIST_CURSOR))
		sqlite3_bind_int64(stmt, 2, a[LIST_CURSOR].decoded[0]);
	sqlite3_bind_int64(stmt, 3, limit + 1);	/* one more: a next page? */
	return call_page_by_id(call, stmt, limit, &list_page);
}

const struct method method_book_list = {
	.name = CB_METHOD_BOOK_LIST,
	.exec = list_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.args = list_args,
};

/* ---- book.get ---- */

static int
get_exec(struct call *call)
{
	struct book book;

	if (book_access_arg(call, BOOK_ID, BOOK_READ, &book) != 0)
		return -1;
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "book");
	return book_pack(call, &book);
}

const struct method method_book_get = {
	.name = CB_METHOD_BOOK_GET,
	.exec = get_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.args = book_args,
};

/* ---- book.update ---- */

static const char sql_book_rename[] =
    "UPDATE books SET name = ?2, name_key = ?3, updated_at = ?4 "
    "WHERE book_id = ?1";
static const char sql_book_describe[] =
    "UPDATE books SET description = ?2, updated_at = ?3 WHERE book_id = ?1";

static int
update_rename(struct call *call, const struct book *book)
{
	const char *name = call->args[UPDATE_NAME].s;
	size_t len = call->args[UPDATE_NAME].len;
	char key[CB_BOOK_NAME_MAX];
	sqlite3_stmt *stmt;
	int rc;

	if (!call_has(call, UPDATE_NAME))
		return 0;
	text_fold_ascii(name, len, key);
	if ((stmt = call_prepare(call, sql_book_rename,
	    "renaming the book")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book->book_id);
	sqlite3_bind_text(stmt, 2, name, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, key, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, clock_wall_s());
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return call_fail(call, CB_CONFLICT, "you already have a book "
		    "named '%.*s'", (int)len, name);
	if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "renaming the book");
	return 0;
}

static int
update_describe(struct call *call, const struct book *book)
{
	const struct arg_value *desc = &call->args[UPDATE_DESCRIPTION];
	sqlite3_stmt *stmt;
	int rc;

	if (desc->state == ARG_ABSENT)
		return 0;
	if ((stmt = call_prepare(call, sql_book_describe,
	    "describing the book")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book->book_id);
	if (desc->state == ARG_GIVEN)	/* nil: NULL, cleared */
		sqlite3_bind_text(stmt, 2, desc->s, (int)desc->len,
		    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, clock_wall_s());
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "describing the book");
	return 0;
}

static int
update_exec(struct call *call)
{
	struct book book;

	if (book_access_arg(call, UPDATE_BOOK_ID, BOOK_OWN, &book) != 0 ||
	    update_rename(call, &book) != 0 ||
	    update_describe(call, &book) != 0 ||
	    change_record(call, book.book_id, CHANGE_BOOK_UPDATED, 0, 0, true,
	    book_balance(&book)) != 0)
		return -1;
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "book");
	return book_pack(call, &book);
}

const struct method method_book_update = {
	.name = CB_METHOD_BOOK_UPDATE,
	.exec = update_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH | METHOD_PATCH,
	.args = update_args,
};

/* ---- book.delete ---- */

/*
 * The book disappears at once: hidden (deleting = 1: no access, no
 * listing, its name free again) in this one short write.  Its entries,
 * history and period rows are then removed in batches by the daemon's
 * reaper (jobs.h), kicked once this commits; a client leaving changes
 * nothing, and a stop or crash only delays it to the next start.
 */
static const char sql_book_entries[] =
    "SELECT count(*) FROM entries WHERE book_id = ?1";
static const char sql_book_hide[] =
    "UPDATE books SET deleting = 1 WHERE book_id = ?1";

/* The other members lose the book: they are told who deleted it. */
static int
delete_notify(struct call *call, const struct book *book)
{
	struct notice n = { .kind = "book_deleted", .book_id = book->book_id };
	char who[CB_USERNAME_MAX + 1];

	if (notify_actor_name(call, who, sizeof who) != 0)
		return -1;
	snprintf(n.text, sizeof n.text, "%s deleted the book '%s'", who,
	    book->name);
	return notify_members(call, book, &n);
}

static void
delete_committed(struct call *call)
{
	jobs_kick(call->server->reaper);
}

static int
delete_exec(struct call *call)
{
	bool force = call->args[DELETE_FORCE].i != 0;
	struct book book;
	int64_t entries;

	if (book_access_arg(call, DELETE_BOOK_ID, BOOK_OWN, &book) != 0 ||
	    book_query_ints(call, sql_book_entries, book.book_id, &entries, 1,
	    "counting the book's entries") != 0)
		return -1;
	if (entries > 0 && !force)
		return call_fail(call, CB_CONFLICT, "book '%s' has %lld "
		    "entr%s (trash included); pass force: true to delete %s "
		    "too", book.name, (long long)entries,
		    entries == 1 ? "y" : "ies", entries == 1 ? "it" : "them");
	if (change_record(call, book.book_id, CHANGE_BOOK_DELETED, 0, 0,
	    false, 0) != 0 || delete_notify(call, &book) != 0 ||
	    book_exec(call, sql_book_hide, book.book_id,
	    "deleting the book") != 0)
		return -1;
	call->after_commit = delete_committed;
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "deleted_entries");
	msgpack_pack_int64(call->result, entries);
	return 0;
}

const struct method method_book_delete = {
	.name = CB_METHOD_BOOK_DELETE,
	.exec = delete_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = delete_args,
};

/* ---- book.balance ---- */

static int
balance_exec(struct call *call)
{
	struct book book;

	if (book_access_arg(call, BOOK_ID, BOOK_READ, &book) != 0)
		return -1;
	msgpack_pack_map(call->result, 6);
	book_pack_totals(call->result, book.cash_in, book.cash_out,
	    book.count);
	rpc_pack_cstr(call->result, "currency");
	rpc_pack_cstr(call->result, book.currency);
	rpc_pack_cstr(call->result, "decimals");
	msgpack_pack_int(call->result, book.decimals);
	return 0;
}

/* The totals are one row, read by the access check itself. */
const struct method method_book_balance = {
	.name = CB_METHOD_BOOK_BALANCE,
	.exec = balance_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH | METHOD_ONE_STATEMENT,
	.args = book_args,
};
