/*
 * entry_index.c -- the text index and the per-key totals of the entries
 * (see entry_index.h).
 */
#include <string.h>

#include "entry_index.h"

/* The indexed texts, in entries_fts's column order. */
static const enum entry_text index_texts[] = { ENTRY_NOTE, ENTRY_CATEGORY,
    ENTRY_PARTY, ENTRY_REFERENCE };
#define INDEX_TEXTS ((int)(sizeof index_texts / sizeof index_texts[0]))

static bool
text_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The indexed texts and then the tags (joined by newlines). */
static bool
index_texts_same(const struct entry *a, const struct entry *b)
{
	for (int i = 0; i < INDEX_TEXTS; i++)
		if (!text_same(a->text[index_texts[i]], b->text[index_texts[i]]))
			return false;
	return text_same(a->tags, b->tags);
}

/* An FTS5 table's UPDATE is its delete and insert: the row's old texts
 * are read from its own copy. */
static const char sql_text_insert[] =
    "INSERT INTO entries_fts (rowid, note, category, party, reference, "
    "tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_text_update[] =
    "UPDATE entries_fts SET (note, category, party, reference, tags) = "
    "(?2, ?3, ?4, ?5, ?6) WHERE rowid = ?1";

int
entry_index_text(struct call *call, int64_t entry_id,
    const struct entry *before, const struct entry *after)
{
	const char *what = "updating the search index";
	sqlite3_stmt *stmt;
	int rc;

	if (before != NULL && index_texts_same(before, after))
		return 0;
	if ((stmt = call_prepare(call, before == NULL ? sql_text_insert :
	    sql_text_update, what)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, entry_id);
	for (int i = 0; i < INDEX_TEXTS; i++) {
		const char *t = after->text[index_texts[i]];

		if (t == NULL)
			sqlite3_bind_null(stmt, 2 + i);
		else
			sqlite3_bind_text(stmt, 2 + i, t, -1, SQLITE_STATIC);
	}
	if (after->tags == NULL)
		sqlite3_bind_null(stmt, 2 + INDEX_TEXTS);
	else
		sqlite3_bind_text(stmt, 2 + INDEX_TEXTS, after->tags, -1,
		    SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_clear_bindings(stmt);	/* they point into after */
	if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, what);
	return 0;
}

/* Nine rows: category (?3), mode (?4) and party (?5), each in its year,
 * month and day (?2 is the date, so ?2 / 10000, ?2 / 100 and ?2). */
#define KEY_ROWS(field, key) \
    "(?1, '" field "', ?2 / 10000, " key ", ?6, ?7, ?8), " \
    "(?1, '" field "', ?2 / 100, " key ", ?6, ?7, ?8), " \
    "(?1, '" field "', ?2, " key ", ?6, ?7, ?8)"
static const char sql_keys_add[] =
    "INSERT INTO book_key_totals (book_id, field, period, key, cash_in, "
    "cash_out, entry_count) VALUES "
    KEY_ROWS("category", "?3") ", " KEY_ROWS("mode", "?4") ", "
    KEY_ROWS("party", "?5") " "
    "ON CONFLICT (book_id, field, period, key) DO UPDATE SET "
    "cash_in = cash_in + excluded.cash_in, "
    "cash_out = cash_out + excluded.cash_out, "
    "entry_count = entry_count + excluded.entry_count";

int
entry_index_keys(struct call *call, int64_t book_id, const struct entry *e,
    int sign)
{
	static const enum entry_text keys[] = { ENTRY_CATEGORY, ENTRY_MODE,
	    ENTRY_PARTY };
	const char *what = "updating the report totals";
	int64_t delta = sign * e->amount;	/* |amount| <= 10^15 */
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_keys_add, what)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book_id);
	sqlite3_bind_int64(stmt, 2, e->date);
	for (int i = 0; i < 3; i++) {
		const char *k = e->text[keys[i]];

		/* '' is "none": a text is never empty. */
		sqlite3_bind_text(stmt, 3 + i, k != NULL ? k : "", -1,
		    SQLITE_STATIC);
	}
	sqlite3_bind_int64(stmt, 6, e->is_in ? delta : 0);
	sqlite3_bind_int64(stmt, 7, e->is_in ? 0 : delta);
	sqlite3_bind_int(stmt, 8, sign);
	rc = sqlite3_step(stmt);
	sqlite3_clear_bindings(stmt);	/* they point into e */
	if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, what);
	return 0;
}
