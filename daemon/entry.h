/*
 * entry.h -- one cashbook entry's fields: reading them from a request,
 * from a row, and packing them for replies and history.
 *
 * Owns: the validation rules of every entry field (docs/protocol.md,
 * "Books and entries") and the one canonical msgpack form of the fields,
 * used for history records, idempotent-retry comparison and no-op
 * detection -- so "the same fields" means the same bytes.
 * Never: runs SQL (the methods do) or decides access (book.h).
 *
 * A struct entry owns its text: values are copied into its store, so an
 * entry read from a row outlives the statement and one built from a patch
 * outlives nothing it points into.
 */
#ifndef CASHBOOK_DAEMON_ENTRY_H
#define CASHBOOK_DAEMON_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>
#include <sqlite3.h>

#include "cb_limits.h"
#include "method.h"

/* The optional text fields, in wire order. */
enum entry_text {
	ENTRY_CATEGORY,
	ENTRY_MODE,
	ENTRY_PARTY,
	ENTRY_NOTE,
	ENTRY_REFERENCE,
	ENTRY_TEXT_COUNT
};

/* Every text an entry can hold, tags joined by '\n', each with a NUL;
 * twice, because a patch appends its values after the row's. */
#define ENTRY_TEXTS_MAX (4 * (CB_ENTRY_TEXT_MAX + 1) + CB_ENTRY_NOTE_MAX + 1 + \
    CB_ENTRY_TAGS_MAX * (CB_ENTRY_TAG_MAX + 1) + 1)
#define ENTRY_STORE_MAX (2 * ENTRY_TEXTS_MAX)

struct entry {
	bool is_in;
	int64_t amount;			/* minor units, 1..CB_MONEY_MAX_AMOUNT */
	int32_t date;			/* YYYYMMDD */
	int minute;			/* minutes after midnight, -1: no time */
	/* NULL: none.  Otherwise NUL-terminated, in store. */
	const char *text[ENTRY_TEXT_COUNT];
	const char *tags;		/* joined by '\n'; NULL: no tags */

	char store[ENTRY_STORE_MAX];
	size_t used;
};

/* The wire names of the text fields ("category", ...). */
extern const char *const entry_text_names[ENTRY_TEXT_COUNT];

/* The signed effect on a balance: +amount for in, -amount for out. */
static inline int64_t
entry_net(const struct entry *e)
{
	return e->is_in ? e->amount : -e->amount;
}

/*
 * Read the fields of entry.add (patch false: type, amount and date
 * required) or entry.update (patch true: only the keys present change
 * *e, nil clears an optional field) from the call's params.  *changed
 * (may be NULL) counts the keys present.  0, or -1 with the call failed
 * bad_request naming the field.  e may be a scratch entry when only
 * checking.
 */
int entry_from_params(struct call *call, bool patch, struct entry *e,
    int *changed);

/* Columns, starting at column first of stmt: type, amount, date, minute,
 * category, mode, party, note, reference, tags (ENTRY_COLUMNS).  0, or -1
 * with the call failed internal when the row breaks the schema's rules. */
#define ENTRY_COLUMNS "type, amount, date, minute, category, mode, party, " \
    "note, reference, tags"
#define ENTRY_COLUMN_COUNT 10
int entry_from_row(struct call *call, sqlite3_stmt *stmt, int first,
    struct entry *e);

/* Bind e's fields to parameters first .. first+ENTRY_COLUMN_COUNT-1 in
 * ENTRY_COLUMNS order.  The bindings point into e. */
void entry_bind(sqlite3_stmt *stmt, int first, const struct entry *e);

/* Pack the 10 fields as map entries (no map header) and return how many
 * were packed: for callers that add more keys to the same map. */
int entry_pack_fields(msgpack_packer *pk, const struct entry *e);

/* Pack the fields as one map: the canonical form (history, retries). */
void entry_pack(msgpack_packer *pk, const struct entry *e);

/* What an entry row holds besides its fields. */
struct entry_meta {
	int64_t entry_id;
	int64_t book_id;
	bool deleted;			/* in the trash */
	int64_t created_at, created_by;
	int64_t updated_at, updated_by;
	bool has_key;
	char key[CB_IDEMPOTENCY_KEY_MAX + 1];
};

/* Columns read by entry_meta_from_row, in order (ENTRY_META_COUNT). */
#define ENTRY_META_COLUMNS "entry_id, book_id, deleted, created_at, " \
    "created_by, updated_at, updated_by, idempotency_key"
#define ENTRY_META_COUNT 8
void entry_meta_from_row(sqlite3_stmt *stmt, int first,
    struct entry_meta *m);

/* Pack the entry object: the fields and the meta (docs/protocol.md);
 * with_running adds "running_balance": *running, or nil when NULL. */
void entry_pack_object(msgpack_packer *pk, const struct entry *e,
    const struct entry_meta *m, bool with_running, const int64_t *running);

/* Pack column col of stmt: its text as a msgpack str, or nil when NULL
 * (and, defensively, when SQLite could not produce the text). */
void entry_pack_column_text(msgpack_packer *pk, sqlite3_stmt *stmt, int col);

/* Write a YYYYMMDD date as "YYYY-MM-DD" into buf (11 bytes). */
void entry_format_date(int32_t date, char buf[11]);

/* Read params[key] as a date "YYYY-MM-DD" into YYYYMMDD.  required false
 * and absent: 0 with *present false.  0, or -1 with the call failed. */
int entry_date_arg(struct call *call, const char *key, bool required,
    int32_t *date, bool *present);

/* Read params[key] as clean text of 1..max bytes (lines: newlines and
 * tabs allowed).  Absent: 0 with *present false; nil: 0 with *present
 * true and *s NULL when nil_ok, else bad_request. */
int entry_text_arg(struct call *call, const char *key, size_t max,
    bool lines, bool nil_ok, const char **s, size_t *len, bool *present);

#endif
