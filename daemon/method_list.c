/*
 * method_list.c -- reading a book: entry.list (filters, keyset paging and
 * the running balance) and report.summary.
 *
 * Paging is keyset, never OFFSET: a cursor names the position (date,
 * minute, entry_id) of the last entry returned, and the next page starts
 * strictly before it (strictly after it with order "asc", oldest first),
 * so entries added while a client pages cause no duplicates or gaps, and
 * a deep page costs what the first one does.  A cursor carries its order
 * in its tag ("v1" newest first, "a1" oldest first).
 *
 * The running balance of a row is the book's balance just after it over
 * ALL live entries, whatever the filters: for a page's first row, balance
 * - book_net_after(row) (book.h); for each next one, the previous balance
 * less the previous row's effect, and less the entries the filters skipped
 * in between (book_net_between) -- oldest first, plus the skipped ones and
 * the row's own effect -- so a page costs its own span, never one lookup
 * per row into the rest of the book.
 *
 * category, mode, party and tag each match any of 1 to
 * CB_FILTER_VALUES_MAX values (ARG_TEXTS), passed to SQL as one bound
 * string of newline-ended values: never SQL built from input.
 *
 * q (a substring of note, category, party, reference or a tag, ASCII
 * letters in any case) is LIKE '%q%' on those five (tags joined by
 * newlines, which q never holds, so no match spans two tags).  A q of 3 characters or more
 * is first looked up in the trigram index entries_fts (entry_index.h),
 * which finds a superset (it folds case by Unicode rules), and the page
 * is made of those hits that pass the same LIKE test: fast when q is
 * rare, however large the book.  When the index holds
 * CB_SEARCH_INDEX_HITS_MAX hits or more, q is common and the scan in
 * the book's order finds a page sooner, so that is used instead; it is
 * also the only way for a q of 1 or 2 characters, which trigrams cannot
 * find.  Both give exactly the same rows.
 *
 * report.summary by month reads the day rows of book_periods; by
 * category, mode or party the year, month and day rows of
 * book_key_totals that tile the date range; by tag scans the live
 * entries in the date range (no totals are kept per tag).
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "book.h"
#include "caldate.h"
#include "cursor.h"
#include "entry.h"
#include "method.h"
#include "methods.h"
#include "money.h"
#include "packbuf.h"
#include "rpc.h"

#define DATE_MIN 19000101
#define DATE_MAX 99991231

static int cursor_check_arg(struct call *call, const struct arg_spec *spec,
    struct arg_value *v);

#define LIST_ARG_TEXT(key, maxlen) { .name = (key), .type = ARG_TEXT, \
    .min = 1, \
    .max = (maxlen) }
/* A filter of one value or several, any of which matches. */
#define LIST_ARG_TEXTS(key, maxlen) { .name = (key), .type = ARG_TEXTS, \
    .min = 1, .max = (maxlen) }
#define LIST_ARG_AMOUNT(key) { .name = (key), .type = ARG_INT, .min = 1, \
    .max = CB_MONEY_MAX_AMOUNT }

/* The text filters are consecutive, in list_query.text order. */
enum { LIST_BOOK_ID, LIST_FROM, LIST_TO, LIST_TYPE, LIST_CATEGORY,
    LIST_MODE, LIST_PARTY, LIST_TAG, LIST_Q, LIST_AMOUNT_MIN,
    LIST_AMOUNT_MAX, LIST_TRASH, LIST_ORDER, LIST_LIMIT, LIST_CURSOR };
/* LIST_ORDER's choices: desc (the default) is index 0. */
static const char *const list_orders[] = { "desc", "asc", NULL };
static const struct arg_spec list_args[] = {
	[LIST_BOOK_ID] = BOOK_ARG_ID,
	[LIST_FROM] = { .name = "from", .type = ARG_DATE },
	[LIST_TO] = { .name = "to", .type = ARG_DATE },
	[LIST_TYPE] = { .name = "type", .type = ARG_ENUM, .choices = entry_types },
	[LIST_CATEGORY] = LIST_ARG_TEXTS("category", CB_ENTRY_TEXT_MAX),
	[LIST_MODE] = LIST_ARG_TEXTS("mode", CB_ENTRY_TEXT_MAX),
	[LIST_PARTY] = LIST_ARG_TEXTS("party", CB_ENTRY_TEXT_MAX),
	[LIST_TAG] = LIST_ARG_TEXTS("tag", CB_ENTRY_TAG_MAX),
	[LIST_Q] = LIST_ARG_TEXT("q", CB_SEARCH_MAX),
	[LIST_AMOUNT_MIN] = LIST_ARG_AMOUNT("amount_min"),
	[LIST_AMOUNT_MAX] = LIST_ARG_AMOUNT("amount_max"),
	/* Before cursor: a cursor's check covers the book, trash and
	 * order. */
	[LIST_TRASH] = { .name = "trash", .type = ARG_BOOL },
	[LIST_ORDER] = { .name = "order", .type = ARG_ENUM,
	    .choices = list_orders },
	[LIST_LIMIT] = PAGE_ARG_LIMIT,
	[LIST_CURSOR] = PAGE_ARG_CURSOR(cursor_check_arg),
	ARGS_END,
};


struct list_query {
	int64_t book_id;
	bool asc;			/* oldest first */
	struct book_position after;		/* rows strictly after this */
	struct book_position before;		/* and strictly before this */
	const char *type;		/* "in", "out" or NULL */
	/* category, mode, party, tag: the values asked for, each followed
	 * by a newline (which text never holds), or "" for any. */
	char text[4][CB_FILTER_VALUES_MAX * (CB_ENTRY_TEXT_MAX + 1) + 1];
	char like[2 * CB_SEARCH_MAX + 3]; /* q as a LIKE pattern, or "" */
	char match[2 * CB_SEARCH_MAX + 3]; /* q as an FTS5 phrase, or "" */
	int64_t amount_min, amount_max;
	bool trash;
	int64_t limit;
	bool row_filters;		/* rows are not neighbours */
};


/* ---- cursors (cursor.h): "v1.DATE.MINUTE.ENTRY_ID.CHECK" ---- */

/* The cursor tag of each order, at its list_orders index: newest first
 * keeps the tag cursors had before there was a choice. */
static const char *const list_cursor_tags[] = { "v1", "a1" };

static void
list_cursor_format(char *buf, size_t len, int64_t book_id, bool trash,
    bool asc, const struct book_position *p)
{
	const int64_t ctx[2] = { book_id, trash };
	const int64_t pos[3] = { p->date, p->minute, p->entry_id };

	cursor_format(buf, len, list_cursor_tags[asc], ctx, 2, pos, 3);
}

/* A cursor of this book, listing and order, into v->decoded (date,
 * minute, entry_id). */
static int
cursor_check_arg(struct call *call, const struct arg_spec *spec,
    struct arg_value *v)
{
	const int64_t ctx[2] = { call->args[LIST_BOOK_ID].i,
	    call->args[LIST_TRASH].i != 0 };
	bool asc = call->args[LIST_ORDER].i == 1;	/* absent: 0, desc */
	int64_t *pos = v->decoded;

	if (cursor_parse(v->s, v->len, list_cursor_tags[!asc], ctx, 2, pos,
	    3))
		return call_fail(call, CB_BAD_REQUEST, "field '%s' is a cursor "
		    "of the listing in the other order (%s); pass the order it "
		    "came with, or start again without it", spec->name,
		    asc ? "desc" : "asc");
	if (!cursor_parse(v->s, v->len, list_cursor_tags[asc], ctx, 2, pos,
	    3) ||
	    pos[0] < DATE_MIN || pos[0] > DATE_MAX || pos[1] < -1 ||
	    pos[1] > 1439 || pos[2] < 1)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' is not a "
		    "cursor this listing returned; start again without it",
		    spec->name);
	return 0;
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

/* Characters in valid UTF-8 text: the bytes that do not continue one. */
static size_t
list_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* q as an FTS5 phrase query for entries_fts, into out: "q" with '"'
 * doubled; or "" when q is shorter than a trigram (3 characters), which
 * the index cannot find. */
static void
list_match(char *out, const char *q, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	if (list_chars(q, len) < 3)
		return;
	out[n++] = '"';
	for (size_t i = 0; i < len; i++) {
		if (q[i] == '"')
			out[n++] = '"';
		out[n++] = q[i];
	}
	out[n++] = '"';
	out[n] = '\0';
}

/* A filter's values (ARG_TEXTS, checked: no newlines, each at most
 * CB_ENTRY_TEXT_MAX bytes) into out, each followed by a newline, so
 * the SQL can find a whole value among them with instr(). */
static void
list_values(char *out, const struct arg_value *v)
{
	const char *s;
	size_t n = 0, len;

	for (uint32_t i = 0; i < v->len; i++) {
		len = args_text(v, i, &s);
		memcpy(out + n, s, len);
		n += len;
		out[n++] = '\n';
	}
	out[n] = '\0';
}

/* The query the call's arguments ask for (checked when parsed). */
static void
list_query_from_args(const struct call *call, struct list_query *q)
{
	const struct arg_value *a = call->args;

	memset(q, 0, sizeof *q);
	q->book_id = a[LIST_BOOK_ID].i;
	q->trash = a[LIST_TRASH].i != 0;
	q->limit = call_has(call, LIST_LIMIT) ? a[LIST_LIMIT].i :
	    CB_LIST_DEFAULT_LIMIT;
	if (call_has(call, LIST_TYPE)) {
		q->type = a[LIST_TYPE].s;	/* entry_types: NUL-ended */
		q->row_filters = true;
	}
	for (int i = 0; i < 4; i++) {
		if (call_has(call, LIST_CATEGORY + i)) {
			list_values(q->text[i], &a[LIST_CATEGORY + i]);
			q->row_filters = true;
		}
	}
	if (call_has(call, LIST_Q)) {
		list_like(q->like, a[LIST_Q].s, a[LIST_Q].len);
		list_match(q->match, a[LIST_Q].s, a[LIST_Q].len);
		q->row_filters = true;
	}
	q->asc = call_has(call, LIST_ORDER) && a[LIST_ORDER].i == 1;
	/* Everything on `from` is after (from, -2, 0); everything on `to`
	 * is before (to, 1440, 0). */
	q->after = (struct book_position){ call_has(call, LIST_FROM) ?
	    (int32_t)a[LIST_FROM].i : DATE_MIN, -2, 0 };
	q->before = (struct book_position){ call_has(call, LIST_TO) ?
	    (int32_t)a[LIST_TO].i : DATE_MAX, 1440, 0 };
	if (call_has(call, LIST_CURSOR)) {
		struct book_position cursor = {
			(int32_t)a[LIST_CURSOR].decoded[0],
			(int)a[LIST_CURSOR].decoded[1],
			a[LIST_CURSOR].decoded[2],
		};

		if (q->asc && position_less(&q->after, &cursor))
			q->after = cursor;
		else if (!q->asc && position_less(&cursor, &q->before))
			q->before = cursor;
	}
	q->amount_min = call_has(call, LIST_AMOUNT_MIN) ?
	    a[LIST_AMOUNT_MIN].i : 1;
	q->amount_max = call_has(call, LIST_AMOUNT_MAX) ?
	    a[LIST_AMOUNT_MAX].i : CB_MONEY_MAX_AMOUNT;
	q->row_filters |= call_has(call, LIST_AMOUNT_MIN) ||
	    call_has(call, LIST_AMOUNT_MAX);
}

/* Whether column's value is one of the newline-ended values in param
 * (list_values), ignoring ASCII case as COLLATE NOCASE does; NULL never
 * is. */
#define LIST_ONE_OF(param, column) \
    "instr(char(10) || lower(" param "), " \
    "char(10) || lower(" column ") || char(10)) > 0"
/* The newline-ended values in param as the rows v of a table want: one
 * step per value, so at most CB_FILTER_VALUES_MAX. */
#define LIST_SPLIT(param) \
    "WITH RECURSIVE want(v, rest) AS (SELECT NULL, " param " UNION ALL " \
    "SELECT substr(rest, 1, instr(rest, char(10)) - 1), " \
    "substr(rest, instr(rest, char(10)) + 1) FROM want WHERE rest <> '') "

/* In the order asked for (ASC or DESC).  Filters that are NULL match
 * everything; the position range is one range of the
 * entries_by_position index. */
#define LIST_SQL(from, book, order) \
    "SELECT " ENTRY_META_COLUMNS ", " ENTRY_COLUMNS " FROM " from " " \
    "WHERE " book " = ?1 AND deleted = ?2 " \
    "AND (date, minute, entry_id) > (?3, ?16, ?17) " \
    "AND (date, minute, entry_id) < (?4, ?5, ?6) " \
    "AND (?7 IS NULL OR type = ?7) " \
    "AND (?8 IS NULL OR " LIST_ONE_OF("?8", "category") ") " \
    "AND (?9 IS NULL OR " LIST_ONE_OF("?9", "mode") ") " \
    "AND (?10 IS NULL OR " LIST_ONE_OF("?10", "party") ") " \
    "AND (?11 IS NULL OR EXISTS (" LIST_SPLIT("?11") "SELECT 1 FROM want " \
    "  WHERE instr(char(10) || lower(tags) || char(10), " \
    "  char(10) || lower(v) || char(10)) > 0)) " \
    "AND (?12 IS NULL OR note LIKE ?12 ESCAPE '\\' " \
    "  OR category LIKE ?12 ESCAPE '\\' OR party LIKE ?12 ESCAPE '\\' " \
    "  OR reference LIKE ?12 ESCAPE '\\' OR tags LIKE ?12 ESCAPE '\\') " \
    "AND amount BETWEEN ?13 AND ?14 " \
    "ORDER BY date " order ", minute " order ", entry_id " order " " \
    "LIMIT ?15"
/* In the book's order, through entries_by_position. */
static const char sql_entry_list[] = LIST_SQL("entries", "book_id", "DESC");
static const char sql_entry_list_asc[] = LIST_SQL("entries", "book_id",
    "ASC");
/* From the index's hits for q (?18), each then one rowid lookup: the
 * CROSS JOIN keeps that order, and the unary + keeps the planner from
 * walking the book's position index instead; the hits (fewer than
 * CB_SEARCH_INDEX_HITS_MAX) are then sorted. */
#define LIST_SQL_INDEXED(order) LIST_SQL( \
    "(SELECT rowid AS hit FROM entries_fts WHERE entries_fts MATCH ?18) " \
    "CROSS JOIN entries ON entry_id = hit", "+book_id", order)
static const char sql_entry_list_indexed[] = LIST_SQL_INDEXED("DESC");
static const char sql_entry_list_indexed_asc[] = LIST_SQL_INDEXED("ASC");

/* How many rows the index has for q, up to ?2. */
static const char sql_index_hits[] =
    "SELECT count(*) FROM (SELECT 1 FROM entries_fts "
    "WHERE entries_fts MATCH ?1 LIMIT ?2)";

/* Whether to page through q's hits in the index rather than scan the
 * book in order: when q is long enough to be in the index and has fewer
 * than CB_SEARCH_INDEX_HITS_MAX hits there (in any book: the count is
 * one index range, bounded). */
static int
list_use_index(struct call *call, const struct list_query *q, bool *use)
{
	sqlite3_stmt *stmt;
	int rc;

	*use = false;
	if (q->match[0] == '\0')
		return 0;
	if ((stmt = call_prepare(call, sql_index_hits, "searching")) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, q->match, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, CB_SEARCH_INDEX_HITS_MAX);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "searching");
	*use = sqlite3_column_int64(stmt, 0) < CB_SEARCH_INDEX_HITS_MAX;
	sqlite3_reset(stmt);
	return 0;
}

static sqlite3_stmt *
list_prepare(struct call *call, const struct list_query *q)
{
	const char *sql[2][2] = {
		{ sql_entry_list, sql_entry_list_asc },
		{ sql_entry_list_indexed, sql_entry_list_indexed_asc },
	};
	sqlite3_stmt *stmt;
	bool indexed;

	if (list_use_index(call, q, &indexed) != 0 ||
	    (stmt = call_prepare(call, sql[indexed][q->asc],
	    "listing entries")) == NULL)
		return NULL;
	if (indexed)
		sqlite3_bind_text(stmt, 18, q->match, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 1, q->book_id);
	sqlite3_bind_int(stmt, 2, q->trash);
	sqlite3_bind_int(stmt, 3, q->after.date);
	sqlite3_bind_int(stmt, 4, q->before.date);
	sqlite3_bind_int(stmt, 5, q->before.minute);
	sqlite3_bind_int64(stmt, 6, q->before.entry_id);
	if (q->type != NULL)
		sqlite3_bind_text(stmt, 7, q->type, -1, SQLITE_STATIC);
	for (int i = 0; i < 4; i++) {
		if (q->text[i][0] != '\0')
			sqlite3_bind_text(stmt, 8 + i, q->text[i], -1,
			    SQLITE_STATIC);
	}
	if (q->like[0] != '\0')
		sqlite3_bind_text(stmt, 12, q->like, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 13, q->amount_min);
	sqlite3_bind_int64(stmt, 14, q->amount_max);
	sqlite3_bind_int64(stmt, 15, q->limit + 1);	/* one more: a next page? */
	sqlite3_bind_int(stmt, 16, q->after.minute);
	sqlite3_bind_int64(stmt, 17, q->after.entry_id);
	return stmt;
}

/* The running balance from row to row of a page. */
struct running {
	bool valid;
	struct book_position at;		/* the previous row */
	int64_t balance;		/* just after it */
	int64_t net;			/* its own effect */
};

/*
 * The balance just after the row at p (effect net).  The first row of a
 * page: the book's balance less everything after it.  Then, newest
 * first, each row is the one before less that one's effect, and, when
 * filters skipped entries in between, less theirs too; oldest first, the
 * one before plus the skipped entries' effect and its own.
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
	} else if (q->asc) {
		if (q->row_filters && book_net_between(call, q->book_id,
		    &r->at, p, &skipped) != 0)
			return -1;
		*out = r->balance + skipped + net;
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

	list_query_from_args(call, &q);
	if (book_access(call, q.book_id, BOOK_READ, &book, "book") != 0)
		return -1;
	packbuf_init(&rows);
	if (list_rows(call, &q, &book, &rows, &n, &more, &last) != 0)
		goto out;
	if (more)
		list_cursor_format(cursor, sizeof cursor, q.book_id, q.trash,
		    q.asc, &last);
	call_pack_page(call, "entries", &rows, n, more ? cursor : NULL);
	rc = 0;
out:
	packbuf_destroy(&rows);
	return rc;
}

const struct method method_entry_list = {
	.name = CB_METHOD_ENTRY_LIST,
	.exec = list_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.args = list_args,
};

/* ---- report.summary ---- */

/*
 * By category, mode or party from book_key_totals (entry_index.h): the
 * rows of the field's keys in the year, month and day periods that tile
 * the date range (report_spans: at most five ranges of one key length
 * each, ?4..?13), never the entries.  A key is grouped as it is written
 * (binary), '' is none (nil), and the order is the one of the text:
 * none last, then ASCII-case-insensitive, then binary.
 */
#define REPORT_KEY_SPAN(lo, hi) \
    "SELECT key, cash_in, cash_out, entry_count FROM book_key_totals " \
    "WHERE book_id = ?1 AND field = ?2 AND period BETWEEN " lo " AND " hi
#define REPORT_KEY_SQL \
    "SELECT nullif(key, '') AS k, sum(cash_in), sum(cash_out), " \
    "sum(entry_count) FROM (" \
    REPORT_KEY_SPAN("?4", "?5") " UNION ALL " \
    REPORT_KEY_SPAN("?6", "?7") " UNION ALL " \
    REPORT_KEY_SPAN("?8", "?9") " UNION ALL " \
    REPORT_KEY_SPAN("?10", "?11") " UNION ALL " \
    REPORT_KEY_SPAN("?12", "?13") ") " \
    "GROUP BY key HAVING sum(entry_count) > 0 " \
    "ORDER BY k IS NULL, k COLLATE NOCASE, k"

/* By month from the day rows of book_periods (book.h): one row per day
 * with entries, not per entry.  Day keys are the 8-digit ones, so the
 * date range itself leaves out the year and month rows. */
#define REPORT_MONTH_SQL \
    "SELECT period / 100 AS k, sum(cash_in), sum(cash_out), " \
    "sum(entry_count) FROM book_periods WHERE book_id = ?1 " \
    "AND period BETWEEN ?2 AND ?3 GROUP BY k HAVING sum(entry_count) > 0 " \
    "ORDER BY k"

/*
 * By tag: no totals are kept per tag, so this scans the book's live
 * entries in the date range (the entries_by_position index), splitting
 * each one's tags (joined by newlines) into one row per tag; entries
 * without tags are the nil key.  Bounded by the statement timeout like
 * every read.  An entry with several tags counts under each, so the
 * rows may add up to more than the total, which is summed apart
 * (REPORT_TOTAL_SQL) and counts each entry once.
 */
#define REPORT_TAG_SQL \
    "WITH RECURSIVE split(cin, cout, tag, rest) AS (" \
    "SELECT CASE type WHEN 'in' THEN amount ELSE 0 END, " \
    "CASE type WHEN 'out' THEN amount ELSE 0 END, NULL, " \
    "tags || char(10) FROM entries WHERE book_id = ?1 AND deleted = 0 " \
    "AND date BETWEEN ?2 AND ?3 " \
    "UNION ALL SELECT cin, cout, substr(rest, 1, instr(rest, char(10)) - 1), " \
    "substr(rest, instr(rest, char(10)) + 1) FROM split WHERE rest <> '') " \
    "SELECT tag AS k, sum(cin), sum(cout), count(*) FROM split " \
    "WHERE tag IS NOT NULL OR rest IS NULL GROUP BY tag " \
    "ORDER BY k IS NULL, k COLLATE NOCASE, k"
/* The total of a grouping whose rows overlap (by tag). */
static const char sql_report_total[] =
    "SELECT coalesce(sum(CASE type WHEN 'in' THEN amount END), 0), "
    "coalesce(sum(CASE type WHEN 'out' THEN amount END), 0), count(*) "
    "FROM entries WHERE book_id = ?1 AND deleted = 0 "
    "AND date BETWEEN ?2 AND ?3";

static const struct report_by {
	const char *name;
	const char *sql;
	bool month;			/* k is YYYYMM, shown "YYYY-MM" */
	bool dates;			/* binds from, to as ?2, ?3 */
	bool overlap;			/* rows overlap: total summed apart */
} report_bys[] = {
	{ "category", REPORT_KEY_SQL, false, false, false },
	{ "month", REPORT_MONTH_SQL, true, true, false },
	{ "mode", REPORT_KEY_SQL, false, false, false },
	{ "party", REPORT_KEY_SQL, false, false, false },
	{ "tag", REPORT_TAG_SQL, false, true, true },
};

static const char *const report_by_names[] = { "category", "month", "mode",
    "party", "tag", NULL };
_Static_assert(sizeof report_bys / sizeof report_bys[0] ==
    sizeof report_by_names / sizeof report_by_names[0] - 1,
    "one name per report_bys row, in order");

enum { REPORT_BOOK_ID, REPORT_BY, REPORT_FROM, REPORT_TO };
static const struct arg_spec report_args[] = {
	[REPORT_BOOK_ID] = BOOK_ARG_ID,
	[REPORT_BY] = { .name = "by", .type = ARG_ENUM, .flags = ARG_REQUIRED,
	    .choices = report_by_names },
	[REPORT_FROM] = { .name = "from", .type = ARG_DATE },
	[REPORT_TO] = { .name = "to", .type = ARG_DATE },
	ARGS_END,
};

struct report_total {
	int64_t in, out, count;
};

/* Ranges of book_key_totals periods, each of one key length. */
#define REPORT_SPANS 5
struct report_span {
	int64_t lo, hi;			/* lo > hi: none */
};

static int
report_month_days(int64_t month)	/* YYYYMM */
{
	return caldate_month_days((int)(month / 100), (int)(month % 100));
}

/*
 * The periods that tile the days from..to (YYYYMMDD, from <= to): the
 * days before the first whole month, the months before the first whole
 * year, the whole years, the months after the last whole year, the days
 * after the last whole month.  Each is a range of 8-, 6- or 4-digit keys,
 * so no range holds a row of another length; at most 2 * 30 day rows and
 * 2 * 11 month rows per key, however long the range.
 */
static void
report_spans(int32_t from, int32_t to, struct report_span s[REPORT_SPANS])
{
	int64_t m_lo = from / 100 + (from % 100 != 1);
	int64_t m_hi = to / 100 - (to % 100 != report_month_days(to / 100));
	int64_t y_lo, y_hi;

	for (int i = 0; i < REPORT_SPANS; i++)
		s[i] = (struct report_span){ 1, 0 };
	if (from > to)
		return;
	/* Month numbers step from 12 to 101 at a year's end. */
	if (m_lo % 100 == 13)
		m_lo += 100 - 12;
	if (m_hi % 100 == 0)
		m_hi -= 100 - 12;
	if (m_lo > m_hi) {			/* no whole month */
		s[0] = (struct report_span){ from, to };
		return;
	}
	if (from % 100 != 1)
		s[0] = (struct report_span){ from, from / 100 * 100 + 31 };
	if (to % 100 != report_month_days(to / 100))
		s[4] = (struct report_span){ to / 100 * 100 + 1, to };
	y_lo = m_lo / 100 + (m_lo % 100 != 1);
	y_hi = m_hi / 100 - (m_hi % 100 != 12);
	if (y_lo > y_hi) {			/* no whole year */
		s[1] = (struct report_span){ m_lo, m_hi };
		return;
	}
	if (m_lo % 100 != 1)
		s[1] = (struct report_span){ m_lo, m_lo / 100 * 100 + 12 };
	s[2] = (struct report_span){ y_lo, y_hi };
	if (m_hi % 100 != 12)
		s[3] = (struct report_span){ m_hi / 100 * 100 + 1, m_hi };
}

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
	if (by->dates) {
		sqlite3_bind_int(stmt, 2, from);
		sqlite3_bind_int(stmt, 3, to);
	} else {
		struct report_span s[REPORT_SPANS];

		report_spans(from, to, s);
		sqlite3_bind_text(stmt, 2, by->name, -1, SQLITE_STATIC);
		for (int i = 0; i < REPORT_SPANS; i++) {
			sqlite3_bind_int64(stmt, 4 + 2 * i, s[i].lo);
			sqlite3_bind_int64(stmt, 5 + 2 * i, s[i].hi);
		}
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		in = sqlite3_column_int64(stmt, 1);
		out = sqlite3_column_int64(stmt, 2);
		count = sqlite3_column_int64(stmt, 3);
		/* Parts of the book's totals, which fit; checked anyway. */
		if (!by->overlap && (!money_add(t->in, in, &t->in) ||
		    !money_add(t->out, out, &t->out)))
			return call_fail(call, CB_INTERNAL, "report totals "
			    "overflow: run book.verify");
		if (!by->overlap)
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

/* The total of the live entries dated from..to, each once. */
static int
report_total(struct call *call, int64_t book_id, int32_t from, int32_t to,
    struct report_total *t)
{
	sqlite3_stmt *stmt = call_prepare(call, sql_report_total,
	    "summing entries");
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book_id);
	sqlite3_bind_int(stmt, 2, from);
	sqlite3_bind_int(stmt, 3, to);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "summing entries");
	t->in = sqlite3_column_int64(stmt, 0);
	t->out = sqlite3_column_int64(stmt, 1);
	t->count = sqlite3_column_int64(stmt, 2);
	sqlite3_reset(stmt);
	return 0;
}

static int
report_exec(struct call *call)
{
	const struct report_by *by = &report_bys[call->args[REPORT_BY].i];
	int64_t book_id = call->args[REPORT_BOOK_ID].i;
	int32_t from = call_has(call, REPORT_FROM) ?
	    (int32_t)call->args[REPORT_FROM].i : DATE_MIN;
	int32_t to = call_has(call, REPORT_TO) ?
	    (int32_t)call->args[REPORT_TO].i : DATE_MAX;
	struct report_total t = { 0 };
	struct packbuf rows;
	struct book book;
	uint32_t n = 0;
	int rc = -1;

	if (book_access(call, book_id, BOOK_REPORTS, &book, "book") != 0)
		return -1;
	packbuf_init(&rows);
	if (report_rows(call, by, book_id, from, to, &rows, &n, &t) != 0 ||
	    (by->overlap && report_total(call, book_id, from, to, &t) != 0))
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
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.args = report_args,
};
