/*
 * book.c -- access to books and their running totals (see book.h).
 */
#include <stdio.h>
#include <string.h>

#include "book.h"
#include "clock.h"
#include "money.h"
#include "args.h"
#include "rpc.h"

static const char sql_book_access[] =
    "SELECT b.name, b.currency, b.decimals, b.cash_in, b.cash_out, "
    "b.entry_count, b.owner_id, m.role, m.permissions FROM book_members m "
    "JOIN books b ON b.book_id = m.book_id WHERE m.user_id = ?1 "
    "AND m.book_id = ?2 AND b.deleting = 0";

const char *const book_perm_names[] = {
	"add", "edit_own", "edit_all", "delete", "reports", "manage", NULL,
};

static void
book_copy_text(char *dst, size_t size, const unsigned char *src)
{
	snprintf(dst, size, "%s", src != NULL ? (const char *)src : "");
}

/* The caller's membership of book_id into *book; -1 with not_found when
 * there is none. */
static int
book_load_member(struct call *call, int64_t book_id, struct book *book,
    const char *thing)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_book_access,
	    "checking access to the book")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	sqlite3_bind_int64(stmt, 2, book_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return call_fail(call, CB_NOT_FOUND, "no such %s", thing);
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "checking access to the book");
	book->book_id = book_id;
	book_copy_text(book->name, sizeof book->name,
	    sqlite3_column_text(stmt, 0));
	book_copy_text(book->currency, sizeof book->currency,
	    sqlite3_column_text(stmt, 1));
	book->decimals = sqlite3_column_int(stmt, 2);
	book->cash_in = sqlite3_column_int64(stmt, 3);
	book->cash_out = sqlite3_column_int64(stmt, 4);
	book->count = sqlite3_column_int64(stmt, 5);
	book->owner_id = sqlite3_column_int64(stmt, 6);
	book->is_owner = book->owner_id == call->user_id;
	/* The owner has every permission, whatever the row says. */
	book->permissions = book->is_owner ? PERM_ALL :
	    (unsigned)sqlite3_column_int(stmt, 8) & PERM_ALL;
	sqlite3_reset(stmt);
	return 0;
}

static const char *
book_perm_name(unsigned perm)
{
	for (int i = 0; book_perm_names[i] != NULL; i++)
		if (perm == (1u << i))
			return book_perm_names[i];
	return "?";
}

static int
book_forbid(struct call *call, const struct book *book, unsigned perm)
{
	return call_fail(call, CB_FORBIDDEN, "you need the '%s' permission "
	    "on book '%s'", book_perm_name(perm), book->name);
}

/* An entry change by a member: edit_all (changes) or delete (trash and
 * restore) covers every entry, edit_own the caller's own. */
static int
book_check_entry(struct call *call, const struct book *book,
    enum book_action action, int64_t created_by)
{
	unsigned all = action == BOOK_EDIT ? PERM_EDIT_ALL : PERM_DELETE;

	if (book->permissions & all)
		return 0;
	if ((book->permissions & PERM_EDIT_OWN) && created_by == call->user_id)
		return 0;
	if (created_by == call->user_id)
		return call_fail(call, CB_FORBIDDEN, "you need the '%s' or "
		    "'edit_own' permission on book '%s'", book_perm_name(all),
		    book->name);
	return call_fail(call, CB_FORBIDDEN, "you need the '%s' permission on "
	    "book '%s' to %s entries others made", book_perm_name(all),
	    book->name, action == BOOK_EDIT ? "change" : "trash or restore");
}

static int
book_check(struct call *call, const struct book *book,
    enum book_action action, int64_t created_by)
{
	switch (action) {
	case BOOK_READ:
		return 0;
	case BOOK_REPORTS:
		return (book->permissions & PERM_REPORTS) ? 0 :
		    book_forbid(call, book, PERM_REPORTS);
	case BOOK_ADD:
		return (book->permissions & PERM_ADD) ? 0 :
		    book_forbid(call, book, PERM_ADD);
	case BOOK_EDIT:
	case BOOK_TRASH:
		return book_check_entry(call, book, action, created_by);
	case BOOK_MANAGE:
		return (book->permissions & PERM_MANAGE) ? 0 :
		    book_forbid(call, book, PERM_MANAGE);
	case BOOK_OWN:
		return book->is_owner ? 0 : call_fail(call, CB_FORBIDDEN,
		    "only the owner of book '%s' may rename, describe, delete "
		    "or repair it", book->name);
	}
	return call_fail(call, CB_INTERNAL, "unknown book action %d",
	    (int)action);
}

int
book_access(struct call *call, int64_t book_id, enum book_action action,
    struct book *book, const char *thing)
{
	if (action == BOOK_EDIT || action == BOOK_TRASH)
		return call_fail(call, CB_INTERNAL, "an entry change needs "
		    "book_access_entry");
	if (book_load_member(call, book_id, book, thing) != 0)
		return -1;
	return book_check(call, book, action, 0);
}

int
book_access_entry(struct call *call, int64_t book_id,
    enum book_action action, int64_t created_by, struct book *book)
{
	if (book_load_member(call, book_id, book, "entry") != 0)
		return -1;
	return book_check(call, book, action, created_by);
}

int
book_access_arg(struct call *call, int arg, enum book_action action,
    struct book *book)
{
	return book_access(call, call->args[arg].i, action, book, "book");
}

void
book_perms_pack(msgpack_packer *pk, unsigned perms)
{
	uint32_t n = 0;

	for (int i = 0; book_perm_names[i] != NULL; i++)
		n += (perms >> i) & 1u;
	msgpack_pack_array(pk, n);
	for (int i = 0; book_perm_names[i] != NULL; i++)
		if (perms & (1u << i))
			rpc_pack_cstr(pk, book_perm_names[i]);
}

int
book_perms_check(struct call *call, const struct arg_spec *spec,
    struct arg_value *v)
{
	unsigned perms = 0;
	const char *s;
	size_t len;
	int i;

	for (uint32_t k = 0; k < v->len; k++) {
		len = args_tag(v, k, &s);
		for (i = 0; book_perm_names[i] != NULL; i++)
			if (strlen(book_perm_names[i]) == len &&
			    memcmp(book_perm_names[i], s, len) == 0)
				break;
		if (book_perm_names[i] == NULL)
			return call_fail(call, CB_BAD_REQUEST, "field '%s': "
			    "there is no permission '%.*s' (there are add, "
			    "edit_own, edit_all, delete, reports and manage)",
			    spec->name, (int)len, s);
		perms |= 1u << i;
	}
	v->decoded[0] = perms;
	return 0;
}

void
book_pack_row(msgpack_packer *pk, sqlite3_stmt *stmt, int first)
{
	bool owner = strcmp((const char *)sqlite3_column_text(stmt,
	    first + 10), "owner") == 0;

	msgpack_pack_map(pk, 15);
	rpc_pack_cstr(pk, "book_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, first));
	rpc_pack_cstr(pk, "name");
	entry_pack_column_text(pk, stmt, first + 1);
	rpc_pack_cstr(pk, "currency");
	entry_pack_column_text(pk, stmt, first + 2);
	rpc_pack_cstr(pk, "decimals");
	msgpack_pack_int(pk, sqlite3_column_int(stmt, first + 3));
	rpc_pack_cstr(pk, "description");
	entry_pack_column_text(pk, stmt, first + 4);
	book_pack_totals(pk, sqlite3_column_int64(stmt, first + 5),
	    sqlite3_column_int64(stmt, first + 6),
	    sqlite3_column_int64(stmt, first + 7));
	rpc_pack_cstr(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, first + 8));
	rpc_pack_cstr(pk, "updated_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, first + 9));
	rpc_pack_cstr(pk, "role");
	rpc_pack_cstr(pk, owner ? "owner" : "member");
	rpc_pack_cstr(pk, "permissions");
	book_perms_pack(pk, owner ? PERM_ALL :
	    (unsigned)sqlite3_column_int(stmt, first + 11) & PERM_ALL);
	rpc_pack_cstr(pk, "owner_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, first + 12));
	rpc_pack_cstr(pk, "owner_username");
	entry_pack_column_text(pk, stmt, first + 13);
}

static const char sql_book_object[] =
    "SELECT " BOOK_OBJECT_COLUMNS " FROM books b "
    "JOIN users o ON o.user_id = b.owner_id "
    "JOIN book_members m ON m.book_id = b.book_id AND m.user_id = ?2 "
    "WHERE b.book_id = ?1";

int
book_pack(struct call *call, const struct book *book)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_book_object, "reading the book")) ==
	    NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book->book_id);
	sqlite3_bind_int64(stmt, 2, call->user_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return call_fail_sqlite(call, rc == SQLITE_DONE ? SQLITE_ERROR :
		    rc, "reading the book");
	book_pack_row(call->result, stmt, 0);
	sqlite3_reset(stmt);
	return 0;
}

int
book_totals_apply(struct call *call, struct book *book, const struct entry *e,
    int sign)
{
	int64_t *total = e->is_in ? &book->cash_in : &book->cash_out;
	int64_t next;
	bool ok = sign > 0 ? money_add(*total, e->amount, &next) :
	    money_sub(*total, e->amount, &next);

	if (!ok)
		return call_fail(call, CB_CONFLICT, "this would overflow the "
		    "book's totals: %s would pass %lld minor units",
		    e->is_in ? "cash_in" : "cash_out", (long long)INT64_MAX);
	*total = next;
	book->count += sign;
	return 0;
}

static const char sql_book_totals_store[] =
    "UPDATE books SET cash_in = ?2, cash_out = ?3, entry_count = ?4, "
    "updated_at = ?5 WHERE book_id = ?1";

int
book_totals_store(struct call *call, const struct book *book)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_book_totals_store,
	    "updating the book's totals")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book->book_id);
	sqlite3_bind_int64(stmt, 2, book->cash_in);
	sqlite3_bind_int64(stmt, 3, book->cash_out);
	sqlite3_bind_int64(stmt, 4, book->count);
	sqlite3_bind_int64(stmt, 5, clock_wall_s());
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "updating the book's totals");
	return 0;
}

/* Year, month and day of a YYYYMMDD date are date / 10000, date / 100 and
 * date: 4-, 6- and 8-digit keys that never collide. */
static const char sql_book_periods_add[] =
    "INSERT INTO book_periods (book_id, period, cash_in, cash_out, "
    "entry_count) VALUES (?1, ?2 / 10000, ?3, ?4, ?5), "
    "(?1, ?2 / 100, ?3, ?4, ?5), (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (book_id, period) DO UPDATE SET "
    "cash_in = cash_in + excluded.cash_in, "
    "cash_out = cash_out + excluded.cash_out, "
    "entry_count = entry_count + excluded.entry_count";

int
book_periods_add(struct call *call, int64_t book_id, const struct entry *e,
    int sign)
{
	sqlite3_stmt *stmt;
	int64_t delta = sign * e->amount;	/* |amount| <= 10^15 */
	int rc;

	if ((stmt = call_prepare(call, sql_book_periods_add,
	    "updating the running-balance index")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book_id);
	sqlite3_bind_int64(stmt, 2, e->date);
	sqlite3_bind_int64(stmt, 3, e->is_in ? delta : 0);
	sqlite3_bind_int64(stmt, 4, e->is_in ? 0 : delta);
	sqlite3_bind_int(stmt, 5, sign);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc,
		    "updating the running-balance index");
	return 0;
}

/* Later years; later months of the year; later days of the month; later
 * entries of the day: in a later minute, or in the same minute with a
 * higher id.  Each is one index range (a row-value comparison would only
 * bound the minute, and a day's untimed entries all share minute -1). */
#define NET_SUM "coalesce(sum(CASE type WHEN 'in' THEN amount " \
    "ELSE -amount END), 0)"
static const char sql_book_net_after[] =
    "SELECT "
    "(SELECT coalesce(sum(cash_in - cash_out), 0) FROM book_periods "
    "  WHERE book_id = ?1 AND period BETWEEN ?2 / 10000 + 1 AND 9999) + "
    "(SELECT coalesce(sum(cash_in - cash_out), 0) FROM book_periods "
    "  WHERE book_id = ?1 AND period BETWEEN ?2 / 100 + 1 "
    "  AND ?2 / 10000 * 100 + 12) + "
    "(SELECT coalesce(sum(cash_in - cash_out), 0) FROM book_periods "
    "  WHERE book_id = ?1 AND period BETWEEN ?2 + 1 AND ?2 / 100 * 100 + 31) + "
    "(SELECT " NET_SUM " FROM entries WHERE book_id = ?1 AND deleted = 0 "
    "  AND date = ?2 AND minute = ?3 AND entry_id > ?4) + "
    "(SELECT " NET_SUM " FROM entries WHERE book_id = ?1 AND deleted = 0 "
    "  AND date = ?2 AND minute > ?3)";

int
book_net_after(struct call *call, int64_t book_id,
    const struct book_position *p, int64_t *net)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_book_net_after,
	    "computing a running balance")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book_id);
	sqlite3_bind_int64(stmt, 2, p->date);
	sqlite3_bind_int(stmt, 3, p->minute);
	sqlite3_bind_int64(stmt, 4, p->entry_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "computing a running balance");
	*net = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return 0;
}

/* Strictly between older (?2 date, ?3 minute, ?4 id) and newer (?5, ?6,
 * ?7), each part one index range: the older one's minute after it (up to
 * the newer one when both share the minute: ?8); later minutes of its day
 * (up to the newer one's minute when both share the day: ?9); the newer
 * one's minute before it, unless that was the first part (?10); earlier
 * minutes of the newer one's day, when the days differ; and whole days
 * between, from their period rows (the bounds are 8-digit dates, so only
 * day rows fall between them). */
static const char sql_book_net_between[] =
    "SELECT "
    "(SELECT " NET_SUM " FROM entries WHERE book_id = ?1 AND deleted = 0 "
    "  AND date = ?2 AND minute = ?3 AND entry_id > ?4 AND entry_id < ?8) + "
    "(SELECT " NET_SUM " FROM entries WHERE book_id = ?1 AND deleted = 0 "
    "  AND date = ?2 AND minute > ?3 AND minute < ?9) + "
    "(SELECT " NET_SUM " FROM entries WHERE book_id = ?1 AND deleted = 0 "
    "  AND ?10 AND date = ?5 AND minute = ?6 AND entry_id < ?7) + "
    "(SELECT " NET_SUM " FROM entries WHERE book_id = ?1 AND deleted = 0 "
    "  AND ?5 > ?2 AND date = ?5 AND minute < ?6) + "
    "(SELECT coalesce(sum(cash_in - cash_out), 0) FROM book_periods "
    "  WHERE book_id = ?1 AND period > ?2 AND period < ?5)";

int
book_net_between(struct call *call, int64_t book_id,
    const struct book_position *older, const struct book_position *newer,
    int64_t *net)
{
	bool same_day = older->date == newer->date;
	bool same_minute = same_day && older->minute == newer->minute;
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_book_net_between,
	    "computing a running balance")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book_id);
	sqlite3_bind_int64(stmt, 2, older->date);
	sqlite3_bind_int(stmt, 3, older->minute);
	sqlite3_bind_int64(stmt, 4, older->entry_id);
	sqlite3_bind_int64(stmt, 5, newer->date);
	sqlite3_bind_int(stmt, 6, newer->minute);
	sqlite3_bind_int64(stmt, 7, newer->entry_id);
	sqlite3_bind_int64(stmt, 8, same_minute ? newer->entry_id : INT64_MAX);
	sqlite3_bind_int(stmt, 9, same_day ? newer->minute : 1440);
	sqlite3_bind_int(stmt, 10, !same_minute);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "computing a running balance");
	*net = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return 0;
}

void
book_pack_totals(msgpack_packer *pk, int64_t cash_in, int64_t cash_out,
    int64_t count)
{
	rpc_pack_cstr(pk, "cash_in");
	msgpack_pack_int64(pk, cash_in);
	rpc_pack_cstr(pk, "cash_out");
	msgpack_pack_int64(pk, cash_out);
	rpc_pack_cstr(pk, "balance");
	msgpack_pack_int64(pk, cash_in - cash_out);
	rpc_pack_cstr(pk, "count");
	msgpack_pack_int64(pk, count);
}

int
book_exec(struct call *call, const char *sql, int64_t book_id,
    const char *what)
{
	sqlite3_stmt *stmt = call_prepare(call, sql, what);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, what);
	return 0;
}

int
book_query_ints(struct call *call, const char *sql, int64_t book_id,
    int64_t *out, int n, const char *what)
{
	sqlite3_stmt *stmt = call_prepare(call, sql, what);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return call_fail_sqlite(call, rc == SQLITE_DONE ? SQLITE_ERROR :
		    rc, what);
	for (int i = 0; i < n; i++)
		out[i] = sqlite3_column_int64(stmt, i);
	sqlite3_reset(stmt);
	return 0;
}
