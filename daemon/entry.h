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
#include "money.h"
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
 * The entry fields as declared arguments (args.h), in this order, for
 * entry.add (must = ARG_REQUIRED, may = 0: nil means absent) and
 * entry.update (must = ARG_NIL_REFUSED, may = ARG_NIL_CLEARS: a patch).
 */
enum entry_arg {
	ENTRY_ARG_TYPE,
	ENTRY_ARG_AMOUNT,
	ENTRY_ARG_DATE,
	ENTRY_ARG_TIME,
	ENTRY_ARG_TEXT,			/* + enum entry_text */
	ENTRY_ARG_TAGS = ENTRY_ARG_TEXT + ENTRY_TEXT_COUNT,
	ENTRY_ARG_COUNT
};
extern const char *const entry_types[];	/* "in", "out": ENUM choices */
#define ENTRY_ARG_TEXT_SPEC(key, kind, fl, maxlen) \
    { .name = (key), .type = (kind), .flags = (fl), .min = 1, \
      .max = (maxlen) }
#define ENTRY_ARG_SPECS(must, may) \
    { .name = "type", .type = ARG_ENUM, .flags = (must), \
      .choices = entry_types }, \
    { .name = "amount", .type = ARG_INT, .flags = (must), .min = 1, \
      .max = CB_MONEY_MAX_AMOUNT, \
      .what = "an integer count of minor units" }, \
    { .name = "date", .type = ARG_DATE, .flags = (must) }, \
    { .name = "time", .type = ARG_TIME, .flags = (may) }, \
    ENTRY_ARG_TEXT_SPEC("category", ARG_TEXT, may, CB_ENTRY_TEXT_MAX), \
    ENTRY_ARG_TEXT_SPEC("mode", ARG_TEXT, may, CB_ENTRY_TEXT_MAX), \
    ENTRY_ARG_TEXT_SPEC("party", ARG_TEXT, may, CB_ENTRY_TEXT_MAX), \
    ENTRY_ARG_TEXT_SPEC("note", ARG_LINES, may, CB_ENTRY_NOTE_MAX), \
    ENTRY_ARG_TEXT_SPEC("reference", ARG_TEXT, may, CB_ENTRY_TEXT_MAX), \
    { .name = "tags", .type = ARG_TAGS, .flags = (may), \
      .max = CB_ENTRY_TAGS_MAX }

/* An entry with no fields set (no time): what entry.add starts from. */
void entry_init(struct entry *e);

/*
 * Set e's fields from the call's parsed arguments declared with
 * ENTRY_ARG_SPECS starting at index first: given ones set, nil ones
 * cleared, absent ones kept.  The arguments were checked when parsed, so
 * this cannot fail on them; 0, or -1 (internal) if e's store overflows.
 */
int entry_from_args(struct call *call, int first, struct entry *e);

/* The same from values a, parsed against ENTRY_ARG_SPECS (an item of
 * entry.add_batch). */
int entry_from_values(struct call *call, const struct arg_value *a,
    struct entry *e);

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

#endif
