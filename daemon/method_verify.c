/*
 * method_verify.c -- book.verify: recompute a book's figures from its
 * entries and report any difference from what is stored (there must never
 * be one), optionally rewriting them.
 *
 * The figures: the book's totals, its period rows (book_periods), its
 * per-key totals (book_key_totals) and its entries' rows in the text
 * index (entries_fts), the last two as entry_index.h defines them.  The
 * text index is consistent for a book when every entry of it, live or
 * trashed, has a row there holding exactly its note, category, party and
 * reference; that its inverted index matches those rows is FTS5's own
 * invariant ('integrity-check'), global and not run here.
 *
 * Without repair it is a read.  With repair the whole check runs again
 * inside a write transaction, so what it rewrites is what it just
 * computed, with no change slipping in between.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "book.h"
#include "change.h"
#include "method.h"
#include "methods.h"
#include "rpc.h"

enum { VERIFY_BOOK_ID, VERIFY_REPAIR };
static const struct arg_spec verify_args[] = {
	[VERIFY_BOOK_ID] = BOOK_ARG_ID,
	[VERIFY_REPAIR] = { .name = "repair", .type = ARG_BOOL },
	ARGS_END,
};

#define VERIFY_MAX_PROBLEMS 6

struct verify {
	int64_t in, out, count;		/* computed from the live entries */
	int64_t periods_wrong;		/* book_periods rows that differ */
	int64_t first_wrong;		/* the first such period */
	int64_t keys_wrong;		/* book_key_totals rows that differ */
	int64_t first_key_wrong;	/* the first such period */
	int64_t text_wrong;		/* entries_fts rows missing or stale */
	int64_t first_text_wrong;	/* the first such entry */
	char problems[VERIFY_MAX_PROBLEMS][96];
	int nproblems;
};

static const char sql_verify_totals[] =
    "SELECT coalesce(sum(CASE type WHEN 'in' THEN amount END), 0), "
    "coalesce(sum(CASE type WHEN 'out' THEN amount END), 0), count(*) "
    "FROM entries WHERE book_id = ?1 AND deleted = 0";

/* The period rows the entries call for (see book.h), against the stored
 * ones; a stored row of zeros is the same as no row.  One pass over the
 * book's part of entries_by_position, which covers type and amount. */
#define VERIFY_PERIODS_CTE \
    "WITH days(period, cash_in, cash_out, n) AS MATERIALIZED (" \
    "  SELECT date, sum(CASE type WHEN 'in' THEN amount ELSE 0 END), " \
    "  sum(CASE type WHEN 'out' THEN amount ELSE 0 END), count(*) " \
    "  FROM entries WHERE book_id = ?1 AND deleted = 0 GROUP BY date), " \
    "actual(period, cash_in, cash_out, n) AS (" \
    "  SELECT period, cash_in, cash_out, n FROM days " \
    "  UNION ALL SELECT period / 100, sum(cash_in), sum(cash_out), sum(n) " \
    "  FROM days GROUP BY period / 100 " \
    "  UNION ALL SELECT period / 10000, sum(cash_in), sum(cash_out), sum(n) " \
    "  FROM days GROUP BY period / 10000) "
/* Rows in one and not the other, both ways: set operations, so no
 * nested loop over the periods (a FULL JOIN without an index was
 * quadratic in the days a book spans). */
static const char sql_verify_periods[] =
    VERIFY_PERIODS_CTE
    ", stored(period, cash_in, cash_out, n) AS ("
    "  SELECT period, cash_in, cash_out, entry_count FROM book_periods "
    "  WHERE book_id = ?1 AND (cash_in <> 0 OR cash_out <> 0 "
    "  OR entry_count <> 0)), "
    "differ(period) AS ("
    "  SELECT period FROM (SELECT * FROM actual EXCEPT SELECT * FROM stored) "
    "  UNION "
    "  SELECT period FROM (SELECT * FROM stored EXCEPT SELECT * FROM actual)) "
    "SELECT count(*), min(period) FROM differ";
static const char sql_repair_clear[] =
    "DELETE FROM book_periods WHERE book_id = ?1";
static const char sql_repair_periods[] =
    VERIFY_PERIODS_CTE
    "INSERT INTO book_periods (book_id, period, cash_in, cash_out, "
    "entry_count) SELECT ?1, period, cash_in, cash_out, n FROM actual";

/* The key totals the entries call for (entry_index.h), against the
 * stored ones; a stored row of zeros is the same as no row.  One pass
 * over the book's entries, grouped by day and the three keys. */
#define VERIFY_KEYS_CTE \
    "WITH days(date, category, mode, party, cash_in, cash_out, n) AS " \
    "  MATERIALIZED (SELECT date, category, mode, party, " \
    "  sum(CASE type WHEN 'in' THEN amount ELSE 0 END), " \
    "  sum(CASE type WHEN 'out' THEN amount ELSE 0 END), count(*) " \
    "  FROM entries WHERE book_id = ?1 AND deleted = 0 " \
    "  GROUP BY date, category, mode, party), " \
    "keyed(field, key, date, cash_in, cash_out, n) AS MATERIALIZED (" \
    "  SELECT 'category', coalesce(category, ''), date, cash_in, cash_out, " \
    "  n FROM days " \
    "  UNION ALL SELECT 'mode', coalesce(mode, ''), date, cash_in, " \
    "  cash_out, n FROM days " \
    "  UNION ALL SELECT 'party', coalesce(party, ''), date, cash_in, " \
    "  cash_out, n FROM days), " \
    "actual(field, period, key, cash_in, cash_out, n) AS (" \
    "  SELECT field, date, key, sum(cash_in), sum(cash_out), sum(n) " \
    "  FROM keyed GROUP BY field, date, key " \
    "  UNION ALL SELECT field, date / 100, key, sum(cash_in), " \
    "  sum(cash_out), sum(n) FROM keyed GROUP BY field, date / 100, key " \
    "  UNION ALL SELECT field, date / 10000, key, sum(cash_in), " \
    "  sum(cash_out), sum(n) FROM keyed GROUP BY field, date / 10000, key) "
static const char sql_verify_keys[] =
    VERIFY_KEYS_CTE
    ", stored(field, period, key, cash_in, cash_out, n) AS ("
    "  SELECT field, period, key, cash_in, cash_out, entry_count "
    "  FROM book_key_totals WHERE book_id = ?1 AND (cash_in <> 0 "
    "  OR cash_out <> 0 OR entry_count <> 0)), "
    "differ(field, period, key) AS ("
    "  SELECT field, period, key FROM "
    "  (SELECT * FROM actual EXCEPT SELECT * FROM stored) "
    "  UNION "
    "  SELECT field, period, key FROM "
    "  (SELECT * FROM stored EXCEPT SELECT * FROM actual)) "
    "SELECT count(*), min(period) FROM differ";
static const char sql_repair_keys_clear[] =
    "DELETE FROM book_key_totals WHERE book_id = ?1";
static const char sql_repair_keys[] =
    VERIFY_KEYS_CTE
    "INSERT INTO book_key_totals (book_id, field, period, key, cash_in, "
    "cash_out, entry_count) SELECT ?1, field, period, key, cash_in, "
    "cash_out, n FROM actual";

/* The book's entries whose text index row is missing or differs. */
static const char sql_verify_text[] =
    "SELECT count(*), min(e.entry_id) FROM entries e "
    "LEFT JOIN entries_fts f ON f.rowid = e.entry_id WHERE e.book_id = ?1 "
    "AND (f.rowid IS NULL OR f.note IS NOT e.note "
    "OR f.category IS NOT e.category OR f.party IS NOT e.party "
    "OR f.reference IS NOT e.reference OR f.tags IS NOT e.tags)";
/* An FTS5 row is removed by rowid alone (it keeps the texts it indexed). */
static const char sql_repair_text_clear[] =
    "DELETE FROM entries_fts WHERE rowid IN "
    "(SELECT entry_id FROM entries WHERE book_id = ?1)";
static const char sql_repair_text[] =
    "INSERT INTO entries_fts (rowid, note, category, party, reference, "
    "tags) SELECT entry_id, note, category, party, reference, tags "
    "FROM entries WHERE book_id = ?1";

static void
verify_problem(struct verify *v, const char *fmt, long long a, long long b)
{
	if (v->nproblems < VERIFY_MAX_PROBLEMS)
		snprintf(v->problems[v->nproblems++], sizeof v->problems[0],
		    fmt, a, b);
}

static int
verify_compute(struct call *call, const struct book *book, struct verify *v)
{
	int64_t row[3];

	memset(v, 0, sizeof *v);
	if (book_query_ints(call, sql_verify_totals, book->book_id, row, 3,
	    "verifying the book") != 0)
		return -1;
	v->in = row[0];
	v->out = row[1];
	v->count = row[2];
	if (book_query_ints(call, sql_verify_periods, book->book_id, row, 2,
	    "verifying the book") != 0)
		return -1;
	v->periods_wrong = row[0];
	v->first_wrong = row[1];
	if (book_query_ints(call, sql_verify_keys, book->book_id, row, 2,
	    "verifying the book") != 0)
		return -1;
	v->keys_wrong = row[0];
	v->first_key_wrong = row[1];
	if (book_query_ints(call, sql_verify_text, book->book_id, row, 2,
	    "verifying the book") != 0)
		return -1;
	v->text_wrong = row[0];
	v->first_text_wrong = row[1];
	if (v->in != book->cash_in)
		verify_problem(v, "cash_in: stored %lld, entries add up to %lld",
		    (long long)book->cash_in, (long long)v->in);
	if (v->out != book->cash_out)
		verify_problem(v, "cash_out: stored %lld, entries add up to "
		    "%lld", (long long)book->cash_out, (long long)v->out);
	if (v->count != book->count)
		verify_problem(v, "count: stored %lld, there are %lld live "
		    "entries", (long long)book->count, (long long)v->count);
	if (v->periods_wrong > 0)
		verify_problem(v, "running-balance index: %lld period totals "
		    "differ (the first: period %lld)",
		    (long long)v->periods_wrong, (long long)v->first_wrong);
	if (v->keys_wrong > 0)
		verify_problem(v, "report totals: %lld category, mode or party "
		    "totals differ (the first: period %lld)",
		    (long long)v->keys_wrong, (long long)v->first_key_wrong);
	if (v->text_wrong > 0)
		verify_problem(v, "search index: %lld entries missing or out of "
		    "date (the first: entry %lld)", (long long)v->text_wrong,
		    (long long)v->first_text_wrong);
	return 0;
}

static int
verify_repair(struct call *call, struct book *book, const struct verify *v)
{
	book->cash_in = v->in;
	book->cash_out = v->out;
	book->count = v->count;
	if (book_totals_store(call, book) != 0 ||
	    book_exec(call, sql_repair_clear, book->book_id,
	    "repairing the book") != 0 ||
	    book_exec(call, sql_repair_periods, book->book_id,
	    "repairing the book") != 0 ||
	    book_exec(call, sql_repair_keys_clear, book->book_id,
	    "repairing the book") != 0 ||
	    book_exec(call, sql_repair_keys, book->book_id,
	    "repairing the book") != 0)
		return -1;
	/* The text index only when it is wrong: rewriting it costs a
	 * tokenization of every entry. */
	if (v->text_wrong > 0 && (book_exec(call, sql_repair_text_clear,
	    book->book_id, "repairing the search index") != 0 ||
	    book_exec(call, sql_repair_text, book->book_id,
	    "repairing the search index") != 0))
		return -1;
	return 0;
}

static void
verify_pack(msgpack_packer *pk, const struct book *stored,
    const struct verify *v, bool repaired)
{
	msgpack_pack_map(pk, 5);
	rpc_pack_cstr(pk, "ok");
	rpc_pack_bool(pk, v->nproblems == 0);
	rpc_pack_cstr(pk, "stored");
	msgpack_pack_map(pk, 4);
	book_pack_totals(pk, stored->cash_in, stored->cash_out, stored->count);
	rpc_pack_cstr(pk, "computed");
	msgpack_pack_map(pk, 4);
	book_pack_totals(pk, v->in, v->out, v->count);
	rpc_pack_cstr(pk, "problems");
	msgpack_pack_array(pk, (uint32_t)v->nproblems);
	for (int i = 0; i < v->nproblems; i++)
		rpc_pack_cstr(pk, v->problems[i]);
	rpc_pack_cstr(pk, "repaired");
	rpc_pack_bool(pk, repaired);
}

/* Both steps: check, and repair when asked (only the writer step is). */
static int
verify_run(struct call *call, bool repair)
{
	struct book book, stored;
	struct verify v;

	if (book_access_arg(call, VERIFY_BOOK_ID, repair ? BOOK_OWN :
	    BOOK_REPORTS, &book) != 0 || verify_compute(call, &book, &v) != 0)
		return -1;
	stored = book;
	repair = repair && v.nproblems > 0;
	if (repair && (verify_repair(call, &book, &v) != 0 ||
	    change_record(call, book.book_id, CHANGE_BOOK_UPDATED, 0, 0, true,
	    book_balance(&book)) != 0))
		return -1;
	verify_pack(call->result, &stored, &v, repair);
	return 0;
}

static int
verify_write(struct call *call)
{
	return verify_run(call, true);
}

static const struct method_step verify_write_step = {
	.exec = verify_write, .flags = METHOD_DB_WRITE,
};

static int
verify_exec(struct call *call)
{
	if (call->args[VERIFY_REPAIR].i)
		return call_continue(call, &verify_write_step);
	return verify_run(call, false);
}

const struct method method_book_verify = {
	.name = CB_METHOD_BOOK_VERIFY,
	.exec = verify_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.args = verify_args,
};
