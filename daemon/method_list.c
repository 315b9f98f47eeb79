/*
 * method_list.c -- reading a book: entry.list (filters, keyset paging and
 * the running balance) and report.summary.
 *
 * Paging is keyset, never OFFSET: a cursor names the position (date,
 * minute, entry_id) of the last entry returned, and the next page starts
 * strictly before it, so entries added while a client pages cause no
 * duplicates or gaps, and a deep page costs what the first one does.
 *
 * The running balance of a row is the book's balance just after it over
 * ALL live entries, whatever the filters: for a page's first row, balance
 * - book_net_after(row) (book.h); for each next one, the previous balance
 * less the previous row's effect, and less the entries the filters skipped
 * in between (book_net_between) -- so a page costs its own span, never
 * one lookup per row into the rest of the book.
 *
 * report.summary by month reads the day rows of book_periods; by
 * category, mode or party it reads the live entries in range.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "book.h"
#include "entry.h"
#include "method.h"
#include "methods.h"
#include "money.h"
#include "packbuf.h"
#include "rpc.h"

static const char *const list_fields[] = { "token", "book_id", "from", "to",
    "type", "category", "mode", "party", "tag", "q", "amount_min",
    "amount_max", "trash", "limit", "cursor", NULL };
static const char *const report_fields[] = { "token", "book_id", "by",
    "from", "to", NULL };

#define DATE_MIN 19000101
#define DATE_MAX 99991231


struct list_query {
	int64_t book_id;
	int32_t from;
	struct book_position before;		/* rows strictly before this */
	const char *type;		/* "in", "out" or NULL */
	const char *text[4];		/* category, mode, party, tag; or NULL */
	size_t textlen[4];
	char like[2 * CB_SEARCH_MAX + 3]; /* q as a LIKE pattern, or "" */
	int64_t amount_min, amount_max;
	bool trash;
	int64_t limit;
	bool row_filters;		/* rows are not neighbours */
};

static const char *const list_text_keys[4] = { "category", "mode", "party",
    "tag" };

/* ---- cursors ---- */

/* A check over the cursor's fields and the book it belongs to, so a
 * mistyped or truncated cursor, or one from another book or listing, is
 * refused instead of silently paging from somewhere else.  Not a secret:
 * a cursor only ever positions within a book the caller may read. */
static uint32_t
cursor_check(int64_t book_id, bool trash, const struct book_position *p)
{
	char buf[96];
	uint32_t h = 2166136261u;	/* FNV-1a */
	int n = snprintf(buf, sizeof buf, "%lld|%d|%d|%d|%lld",
	    (long long)book_id, trash, (int)p->date, p->minute,
	    (long long)p->entry_id);

	for (int i = 0; i < n; i++)
		h = (h ^ (unsigned char)buf[i]) * 16777619u;
	return h;
}

static void
cursor_format(char *buf, size_t len, int64_t book_id, bool trash,
    const struct book_position *p)
{
	snprintf(buf, len, "v1.%d.%d.%lld.%08x", (int)p->date, p->minute,
	    (long long)p->entry_id, cursor_check(book_id, trash, p));
}

/* Up to max decimal digits (at least one) from *s, advancing it. */
static bool
cursor_digits(const char **s, const char *end, int max, int64_t *out)
{
	int64_t v = 0;
	int n = 0;

	while (*s < end && **s >= '0' && **s <= '9' && n < max) {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	*out = v;
	return n > 0;
}

/* Read "FIELD." where FIELD is digits (minus allowed: "-1"). */
static bool
cursor_field(const char **s, const char *end, int max, bool minus,
    int64_t *out)
{
	bool neg = minus && *s < end && **s == '-';

	if (neg)
		(*s)++;
	if (!cursor_digits(s, end, max, out) || *s >= end || **s != '.')
		return false;
	(*s)++;
	if (neg)
		*out = -*out;
	return true;
}

/* Parse a cursor: it must be exactly what cursor_format writes.  No
 * sscanf: its %d on out-of-range digits is undefined behaviour. */
static int
cursor_arg(struct call *call, const struct list_query *q,
    struct book_position *p, bool *present)
{
	char again[CB_CURSOR_MAX + 1];
	const char *s, *cur, *end;
	size_t len;
	int64_t date, minute, id;

	if (args_str(call, "cursor", false, CB_CURSOR_MAX, &s, &len,
	    present) != 0 || !*present)
		return *present ? -1 : 0;
	cur = s;
	end = s + len;
	if (len < 3 || memcmp(s, "v1.", 3) != 0)
		goto bad;
	cur += 3;
	if (!cursor_field(&cur, end, 8, false, &date) ||
	    !cursor_field(&cur, end, 4, true, &minute) ||
	    !cursor_field(&cur, end, 18, false, &id) ||
	    date < DATE_MIN || date > DATE_MAX || minute < -1 ||
	    minute > 1439 || id < 1)
		goto bad;
	*p = (struct book_position){ (int32_t)date, (int)minute, id };
	/* The check value, and canonical digits, by writing it again. */
	cursor_format(again, sizeof again, q->book_id, q->trash, p);
	if (strlen(again) != len || memcmp(again, s, len) != 0)
		goto bad;
	return 0;
bad:
	return call_fail(call, CB_BAD_REQUEST, "field 'cursor' is not a "
	    "cursor this listing returned; start again without it");
}

/* ---- entry.list ---- */

static bool
position_less(const struct book_position *a, const struct book_position *b)
{
	if (a->date != b->date)
		return a->date < b->date;
	if (a->minute != b->minute)
		return a->minute < b->minute;
	return a->entry_id < b->entry_id;
}

/* q as a LIKE pattern: %q% with LIKE's own wildcards escaped by '\'. */
static void
list_like(char *out, const char *q, size_t len)
{
	size_t n = 0;

	out[n++] = '%';
	for (size_t i = 0; i < len; i++) {
		if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
			out[n++] = '\\';
		out[n++] = q[i];
	}
	out[n++] = '%';
	out[n] = '\0';
}

static int
list_type_arg(struct call *call, struct list_query *q)
{
	const char *s;
	size_t len;
	bool present;

	if (args_str(call, "type", false, 3, &s, &len, &present) != 0)
		return -1;
	if (!present)
		return 0;
	if (len == 2 && memcmp(s, "in", 2) == 0)
		q->type = "in";
	else if (len == 3 && memcmp(s, "out", 3) == 0)
		q->type = "out";
	else
		return call_fail(call, CB_BAD_REQUEST, "field 'type' must be "
		    "\"in\" or \"out\"");
	q->row_filters = true;
	return 0;
}

static int
list_text_args(struct call *call, struct list_query *q)
{
	const char *s;
	size_t len;
	bool present;

	for (int i = 0; i < 4; i++) {
		q->text[i] = NULL;
		if (entry_text_arg(call, list_text_keys[i], i == 3 ?
		    CB_ENTRY_TAG_MAX : CB_ENTRY_TEXT_MAX, false, true,
		    &q->text[i], &q->textlen[i], &present) != 0)
			return -1;
		q->row_filters |= q->text[i] != NULL;
	}
	s = NULL;
	if (entry_text_arg(call, "q", CB_SEARCH_MAX, false, true, &s, &len,
	    &present) != 0)
		return -1;
	q->like[0] = '\0';
	if (s != NULL) {
		list_like(q->like, s, len);
		q->row_filters = true;
	}
	return 0;
}

static int
list_range_args(struct call *call, struct list_query *q)
{
	struct book_position cursor;
	int32_t to;
	bool present, min, max;

	q->from = DATE_MIN;
	q->before = (struct book_position){ DATE_MAX, 1440, 0 };
	if (entry_date_arg(call, "from", false, &q->from, &present) != 0 ||
	    entry_date_arg(call, "to", false, &to, &present) != 0)
		return -1;
	/* Everything on `to` is before (to, 1440, 0). */
	if (present)
		q->before = (struct book_position){ to, 1440, 0 };
	if (cursor_arg(call, q, &cursor, &present) != 0)
		return -1;
	if (present && position_less(&cursor, &q->before))
		q->before = cursor;
	q->amount_min = 1;
	q->amount_max = CB_MONEY_MAX_AMOUNT;
	if (args_int(call, "amount_min", false, 1, CB_MONEY_MAX_AMOUNT,
	    &q->amount_min, &min) != 0 ||
	    args_int(call, "amount_max", false, 1, CB_MONEY_MAX_AMOUNT,
	    &q->amount_max, &max) != 0)
		return -1;
	q->row_filters |= min || max;
	return 0;
}

static int
list_args(struct call *call, struct list_query *q)
{
	memset(q, 0, sizeof *q);
	q->limit = CB_LIST_DEFAULT_LIMIT;
	if (book_id_arg(call, "book_id", &q->book_id) != 0 ||
	    args_bool(call, "trash", false, &q->trash, NULL) != 0 ||
	    args_int(call, "limit", false, 1, CB_LIST_MAX_LIMIT, &q->limit,
	    NULL) != 0 || list_type_arg(call, q) != 0 ||
	    list_text_args(call, q) != 0 || list_range_args(call, q) != 0)
		return -1;
	return 0;
}

static int
list_check(struct call *call)
{
	struct list_query q;

	return list_args(call, &q);
}

/* Newest first.  Filters that are NULL match everything; the position
 * range is one range of the entries_by_position index. */
static const char sql_entry_list[] =
    "SELECT " ENTRY_META_COLUMNS ", " ENTRY_COLUMNS " FROM entries "
    "WHERE book_id = ?1 AND deleted = ?2 AND date >= ?3 "
    "AND (date, minute, entry_id) < (?4, ?5, ?6) "
    "AND (?7 IS NULL OR type = ?7) "
    "AND (?8 IS NULL OR category = ?8 COLLATE NOCASE) "
    "AND (?9 IS NULL OR mode = ?9 COLLATE NOCASE) "
    "AND (?10 IS NULL OR party = ?10 COLLATE NOCASE) "
    "AND (?11 IS NULL OR instr(char(10) || lower(tags) || char(10), "
    "  char(10) || lower(?11) || char(10)) > 0) "
    "AND (?12 IS NULL OR note LIKE ?12 ESCAPE '\\' "
    "  OR category LIKE ?12 ESCAPE '\\' OR party LIKE ?12 ESCAPE '\\' "
    "  OR reference LIKE ?12 ESCAPE '\\') "
    "AND amount BETWEEN ?13 AND ?14 "
    "ORDER BY date DESC, minute DESC, entry_id DESC LIMIT ?15";

static sqlite3_stmt *
list_prepare(struct call *call, const struct list_query *q)
{
	sqlite3_stmt *stmt = call_prepare(call, sql_entry_list,
	    "listing entries");

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, q->book_id);
	sqlite3_bind_int(stmt, 2, q->trash);
	sqlite3_bind_int(stmt, 3, q->from);
	sqlite3_bind_int(stmt, 4, q->before.date);
	sqlite3_bind_int(stmt, 5, q->before.minute);
	sqlite3_bind_int64(stmt, 6, q->before.entry_id);
	if (q->type != NULL)
		sqlite3_bind_text(stmt, 7, q->type, -1, SQLITE_STATIC);
	for (int i = 0; i < 4; i++) {
		if (q->text[i] != NULL)
			sqlite3_bind_text(stmt, 8 + i, q->text[i],
			    (int)q->textlen[i], SQLITE_STATIC);
	}
	if (q->like[0] != '\0')
		sqlite3_bind_text(stmt, 12, q->like, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 13, q->amount_min);
	sqlite3_bind_int64(stmt, 14, q->amount_max);
	sqlite3_bind_int64(stmt, 15, q->limit + 1);	/* one more: a next page? */
	return stmt;
}

/* The running balance from row to row of a page (newest first). */
struct running {
	bool valid;
	struct book_position at;		/* the previous row */
	int64_t balance;		/* just after it */
	int64_t net;			/* its own effect */
};

/*
 * The balance just after the row at p (effect net).  The first row of a
 * page: the book's balance less everything after it.  Then each row is
 * the one before less that one's effect, and, when filters skipped
 * entries in between, less theirs too.
 */
static int
list_running(struct call *call, const struct list_query *q,
    const struct book *book, const struct book_position *p, int64_t net,
    struct running *r, int64_t *out)
{
	int64_t skipped = 0;

	if (!r->valid) {
		if (book_net_after(call, q->book_id, p, &skipped) != 0)
			return -1;
		*out = book_balance(book) - skipped;
	} else {
		if (q->row_filters && book_net_between(call, q->book_id, p,
		    &r->at, &skipped) != 0)
			return -1;
		*out = r->balance - r->net - skipped;
	}
	*r = (struct running){ true, *p, *out, net };
	return 0;
}

/* Pack the page's rows into rows; *n rows, *last the last one's place. */
static int
list_rows(struct call *call, const struct list_query *q,
    const struct book *book, struct packbuf *rows, uint32_t *n,
    bool *more, struct book_position *last)
{
	sqlite3_stmt *stmt = list_prepare(call, q);
	struct running running = { 0 };
	struct entry e;
	struct entry_meta m;
	int64_t balance;
	int rc;

	if (stmt == NULL)
		return -1;
	*n = 0;
	*more = false;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*n == q->limit) {
			*more = true;
			break;
		}
		entry_meta_from_row(stmt, 0, &m);
		if (entry_from_row(call, stmt, ENTRY_META_COUNT, &e) != 0)
			return -1;
		*last = (struct book_position){ e.date, e.minute, m.entry_id };
		if (!q->trash && list_running(call, q, book, last,
		    entry_net(&e), &running, &balance) != 0)
			return -1;
		entry_pack_object(&rows->pk, &e, &m, true, q->trash ? NULL :
		    &balance);
		(*n)++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "listing entries");
	sqlite3_reset(stmt);
	if (packbuf_failed(rows))
		return call_fail(call, CB_INTERNAL, "out of memory");
	return 0;
}

static int
list_exec(struct call *call)
{
	struct list_query q;
	struct book book;
	struct packbuf rows;
	struct book_position last;
	char cursor[CB_CURSOR_MAX + 1];
	uint32_t n;
	bool more;
	int rc = -1;

	if (list_args(call, &q) != 0 ||
	    book_access(call, q.book_id, BOOK_READ, &book, "book") != 0)
		return -1;
	packbuf_init(&rows);
	if (list_rows(call, &q, &book, &rows, &n, &more, &last) != 0)
		goto out;
	msgpack_pack_map(call->result, 2);
	rpc_pack_cstr(call->result, "entries");
	msgpack_pack_array(call->result, n);
	rpc_pack_raw(call->result, rows.sb.data, rows.sb.size);
	rpc_pack_cstr(call->result, "next_cursor");
	if (more) {
		cursor_format(cursor, sizeof cursor, q.book_id, q.trash, &last);
		rpc_pack_cstr(call->result, cursor);
	} else
		msgpack_pack_nil(call->result);
	rc = 0;
out:
	packbuf_destroy(&rows);
	return rc;
}

const struct method method_entry_list = {
	.name = CB_METHOD_ENTRY_LIST,
	.exec = list_exec,
	.check = list_check,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.fields = list_fields,
};

/* ---- report.summary ---- */

#define REPORT_SQL(key) \
    "SELECT " key " AS k, " \
    "coalesce(sum(CASE type WHEN 'in' THEN amount END), 0), " \
    "coalesce(sum(CASE type WHEN 'out' THEN amount END), 0), count(*) " \
    "FROM entries WHERE book_id = ?1 AND deleted = 0 " \
    "AND date BETWEEN ?2 AND ?3 " \
    "GROUP BY k ORDER BY k IS NULL, k COLLATE NOCASE, k"

/* By month from the day rows of book_periods (book.h): one row per day
 * with entries, not per entry.  Day keys are the 8-digit ones, so the
 * date range itself leaves out the year and month rows. */
#define REPORT_MONTH_SQL \
    "SELECT period / 100 AS k, sum(cash_in), sum(cash_out), " \
    "sum(entry_count) FROM book_periods WHERE book_id = ?1 " \
    "AND period BETWEEN ?2 AND ?3 GROUP BY k HAVING sum(entry_count) > 0 " \
    "ORDER BY k"

static const struct report_by {
	const char *name;
	const char *sql;
	bool month;			/* k is YYYYMM, shown "YYYY-MM" */
} report_bys[] = {
	{ "category", REPORT_SQL("category"), false },
	{ "month", REPORT_MONTH_SQL, true },
	{ "mode", REPORT_SQL("mode"), false },
	{ "party", REPORT_SQL("party"), false },
};

static int
report_by_arg(struct call *call, const struct report_by **by)
{
	const char *s;
	size_t len;

	if (args_str(call, "by", true, 16, &s, &len, NULL) != 0)
		return -1;
	for (size_t i = 0; i < sizeof report_bys / sizeof report_bys[0]; i++) {
		if (strlen(report_bys[i].name) == len &&
		    memcmp(report_bys[i].name, s, len) == 0) {
			*by = &report_bys[i];
			return 0;
		}
	}
	return call_fail(call, CB_BAD_REQUEST, "field 'by' must be category, "
	    "month, mode or party");
}

static int
report_args(struct call *call, int64_t *book_id,
    const struct report_by **by, int32_t *from, int32_t *to)
{
	*from = DATE_MIN;
	*to = DATE_MAX;
	if (book_id_arg(call, "book_id", book_id) != 0 ||
	    report_by_arg(call, by) != 0 ||
	    entry_date_arg(call, "from", false, from, NULL) != 0 ||
	    entry_date_arg(call, "to", false, to, NULL) != 0)
		return -1;
	return 0;
}

static int
report_check(struct call *call)
{
	const struct report_by *by;
	int64_t id;
	int32_t from, to;

	return report_args(call, &id, &by, &from, &to);
}

struct report_total {
	int64_t in, out, count;
};

static void
report_pack_sums(msgpack_packer *pk, int64_t in, int64_t out, int64_t count)
{
	rpc_pack_cstr(pk, "cash_in");
	msgpack_pack_int64(pk, in);
	rpc_pack_cstr(pk, "cash_out");
	msgpack_pack_int64(pk, out);
	rpc_pack_cstr(pk, "net");
	msgpack_pack_int64(pk, in - out);	/* both within 0..INT64_MAX */
	rpc_pack_cstr(pk, "count");
	msgpack_pack_int64(pk, count);
}

static void
report_pack_key(msgpack_packer *pk, sqlite3_stmt *stmt, bool month)
{
	char key[32];
	int64_t k;

	if (!month || sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
		entry_pack_column_text(pk, stmt, 0);
		return;
	}
	k = sqlite3_column_int64(stmt, 0);
	snprintf(key, sizeof key, "%04lld-%02lld", (long long)(k / 100),
	    (long long)(k % 100));
	rpc_pack_cstr(pk, key);
}

static int
report_rows(struct call *call, const struct report_by *by, int64_t book_id,
    int32_t from, int32_t to, struct packbuf *rows, uint32_t *n,
    struct report_total *t)
{
	sqlite3_stmt *stmt = call_prepare(call, by->sql, "summing entries");
	int64_t in, out, count;
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book_id);
	sqlite3_bind_int(stmt, 2, from);
	sqlite3_bind_int(stmt, 3, to);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		in = sqlite3_column_int64(stmt, 1);
		out = sqlite3_column_int64(stmt, 2);
		count = sqlite3_column_int64(stmt, 3);
		/* Parts of the book's totals, which fit; checked anyway. */
		if (!money_add(t->in, in, &t->in) ||
		    !money_add(t->out, out, &t->out))
			return call_fail(call, CB_INTERNAL, "report totals "
			    "overflow: run book.verify");
		t->count += count;
		msgpack_pack_map(&rows->pk, 5);
		rpc_pack_cstr(&rows->pk, "key");
		report_pack_key(&rows->pk, stmt, by->month);
		report_pack_sums(&rows->pk, in, out, count);
		(*n)++;
	}
	if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "summing entries");
	if (packbuf_failed(rows))
		return call_fail(call, CB_INTERNAL, "out of memory");
	return 0;
}

static int
report_exec(struct call *call)
{
	const struct report_by *by;
	struct report_total t = { 0 };
	struct packbuf rows;
	struct book book;
	int64_t book_id;
	int32_t from, to;
	uint32_t n = 0;
	int rc = -1;

	if (report_args(call, &book_id, &by, &from, &to) != 0 ||
	    book_access(call, book_id, BOOK_READ, &book, "book") != 0)
		return -1;
	packbuf_init(&rows);
	if (report_rows(call, by, book_id, from, to, &rows, &n, &t) != 0)
		goto out;
	msgpack_pack_map(call->result, 2);
	rpc_pack_cstr(call->result, "rows");
	msgpack_pack_array(call->result, n);
	rpc_pack_raw(call->result, rows.sb.data, rows.sb.size);
	rpc_pack_cstr(call->result, "total");
	msgpack_pack_map(call->result, 4);
	report_pack_sums(call->result, t.in, t.out, t.count);
	rc = 0;
out:
	packbuf_destroy(&rows);
	return rc;
}

const struct method method_report_summary = {
	.name = CB_METHOD_REPORT_SUMMARY,
	.exec = report_exec,
	.check = report_check,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.fields = report_fields,
};
