/*
 * entry_index.h -- the two indexes kept beside the entries so that a
 * large book is read fast: the text index (entries_fts, which entry.list
 * searches for q) and the per-key totals (book_key_totals, which
 * report.summary by category, mode and party reads).  Schema: migrations
 * 6 and 7 (tags in the text index) in schema.c.
 *
 * Owns: the rules that keep both equal to the entries -- every entry,
 * live or trashed, has one entries_fts row holding its note, category,
 * party, reference and tags (joined by newlines); book_key_totals holds what the book's live
 * entries add up to per field, key and year/month/day.  entry_write()
 * calls these in the same transaction as every change; book.verify
 * checks and rebuilds both.
 * Never: decides access, or answers a request.
 */
#ifndef CASHBOOK_DAEMON_ENTRY_INDEX_H
#define CASHBOOK_DAEMON_ENTRY_INDEX_H

#include <stdint.h>

#include "entry.h"
#include "method.h"

/* Index the texts of entry_id: before is what the index holds (NULL for a
 * new entry), after what it must hold.  Nothing is written when the four
 * indexed texts and the tags did not change.  0, or -1 with the call failed. */
int entry_index_text(struct call *call, int64_t entry_id,
    const struct entry *before, const struct entry *after);

/* Count e in (sign +1) or out (-1) of the year, month and day rows of its
 * category, mode and party in book_key_totals.  0, or -1 with the call
 * failed. */
int entry_index_keys(struct call *call, int64_t book_id,
    const struct entry *e, int sign);

#endif
