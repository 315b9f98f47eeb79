/*
 * ctl_import.h -- what cashbookctl import makes of a bank's CSV rows:
 * which column is which entry field (the mapping), amounts as banks write
 * them, dates in a given or detected format, the entry each row books,
 * its idempotency key, and saved import profiles.
 *
 * Pure functions: no I/O, no daemon, no printing; each failure is written
 * into the caller's err buffer in the words the user reads, e.g.
 * "line 213, column 'Amount': '12,5O' is not an amount".  Amounts are
 * read exactly (money_parse), never through floating point.  Entries own
 * their text (imp_entry_free).
 */
#ifndef CASHBOOK_CLIENT_CTL_IMPORT_H
#define CASHBOOK_CLIENT_CTL_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cb_limits.h"

/* The fields a column can be mapped to: the wire names, and "in" and
 * "out" for a bank's credit and debit columns. */
enum imp_field {
	IMP_DATE,
	IMP_TIME,
	IMP_TYPE,
	IMP_AMOUNT,
	IMP_IN,
	IMP_OUT,
	IMP_CATEGORY,
	IMP_MODE,
	IMP_PARTY,
	IMP_NOTE,
	IMP_REFERENCE,
	IMP_TAGS,
	IMP_NFIELDS,
};

/* The wire name of field f ("reference"). */
const char *imp_field_name(enum imp_field f);

/* How a row's type (in or out) is decided. */
enum imp_type_from {
	IMP_TYPE_AUTO,		/* the type column if mapped, else the
				   amount's sign, else in/out columns */
	IMP_TYPE_SIGN,		/* a signed amount: negative is out */
	IMP_TYPE_COLUMN,	/* the type column: in or out */
};

/* Which column (index into the header; -1: none) holds each field. */
struct imp_map {
	int col[IMP_NFIELDS];
	enum imp_type_from type_from;	/* never AUTO once built */
	const char *const *header;	/* the header's names, for messages */
	size_t ncols;
};

/*
 * Build the mapping for the header names header[0..n) (kept by pointer:
 * they must outlive the map).  spec is "COL=FIELD,..." (--map; NULL: each
 * column named like a field, ASCII case-insensitively, is that field);
 * columns are matched exactly, then ASCII case-insensitively, with spaces
 * around a header name ignored.  0, or -1 with why in err: an unknown
 * field, a column the header lacks (the message lists the header), a field
 * mapped twice, no date, no amount (nor in/out), amount and in/out both,
 * a type_from that does not fit.
 */
int imp_map_build(struct imp_map *m, const char *const *header, size_t n,
    const char *spec, enum imp_type_from type_from, char *err,
    size_t errlen);

/*
 * Read an amount as banks write it, into minor units of a currency with
 * decimals places (*minor >= 0) and its sign (*negative): "1,234.56",
 * "-12.50", "12.50-", "+3", "(12.50)"; with decimal_comma "1.234,56" and
 * "1 234,56".  Spaces around it are ignored; thousands separators must
 * group by three.  0, or -1 with why in err ("'12,5O' is not an amount",
 * "'12.505' has more decimals than the currency (2)"), with a hint about
 * --decimal-comma when the text looks written the other way.
 */
int imp_amount_parse(const char *text, bool decimal_comma, int decimals,
    int64_t *minor, bool *negative, char *err, size_t errlen);

/* "YYYY-MM-DD" and its NUL. */
#define IMP_DATE_BUF	11

/*
 * Read a date in fmt into out as "YYYY-MM-DD": fmt is strftime-like, %Y
 * (4 digits), %y (2 digits, 20YY), %m and %d (1 or 2 digits), %b (Jan ..
 * Dec, English, any case), %% and other characters as they are.  0, or
 * -1 when text does not fit fmt or is no real date.
 */
int imp_date_parse(const char *text, const char *fmt, char out[IMP_DATE_BUF]);

/* Whether fmt is a format imp_date_parse understands. */
bool imp_date_format_valid(const char *fmt);

/*
 * The one common format (ISO, European, US, ...) that reads every one of
 * dates[0..n): returned, or NULL with why in err -- none fits date i
 * (*bad = i), or several fit (ambiguous: "03/04/2026" may be 3 April or
 * March 4; the message names the formats to choose from with
 * --date-format; *bad = the first date that is ambiguous).
 */
const char *imp_date_detect(const char *const *dates, size_t n, size_t *bad,
    char *err, size_t errlen);

/* What a row books, as entry.add takes it. */
enum imp_text {
	IMP_T_CATEGORY,
	IMP_T_MODE,
	IMP_T_PARTY,
	IMP_T_NOTE,
	IMP_T_REFERENCE,
	IMP_T_COUNT,
};

/* "imp1:" and 32 hex digits, and the NUL. */
#define IMP_KEY_BUF	38

struct imp_entry {
	size_t line;		/* where its record starts */
	bool out;
	int64_t amount;		/* minor units, >= 1 */
	char date[IMP_DATE_BUF];
	char time[6];		/* "HH:MM", or "" */
	const char *text[IMP_T_COUNT];	/* NULL: none; into store */
	const char *tags[CB_ENTRY_TAGS_MAX];	/* into store */
	size_t ntags;
	char key[IMP_KEY_BUF];	/* imp_keys */
	char *store;		/* owned */
};

/* The wire name of text t ("party"). */
const char *imp_text_name(enum imp_text t);

/* How rows are read besides the mapping. */
struct imp_read {
	const char *date_format;	/* as given or detected */
	bool decimal_comma;
	int decimals;			/* of the book's currency */
};

/*
 * Map one record fields[0..n) (it starts on line) into *e.  0, or -1 with
 * why in err naming the line and the column.  *e owns its text either way:
 * imp_entry_free it.
 */
int imp_row_map(const struct imp_map *m, const struct imp_read *r,
    const char *const *fields, size_t n, size_t line, struct imp_entry *e,
    char *err, size_t errlen);

void imp_entry_free(struct imp_entry *e);

/*
 * The idempotency key of each of e[0..n): a hash over book_id, the entry's
 * fields as sent, and its occurrence among the identical rows before it
 * (the second of two identical coffees is a second entry).  The same file
 * imported into the same book gives the same keys.  0, or -1 when out of
 * memory.
 */
int imp_keys(struct imp_entry *e, size_t n, int64_t book_id);

/* ---- profiles ---- */

/* A profile's name: 1 .. IMP_PROFILE_NAME_MAX of [A-Za-z0-9._-], not
 * starting with '.'. */
#define IMP_PROFILE_NAME_MAX	64
bool imp_profile_name_valid(const char *name);

/* What a profile remembers (NULL or false: not set). */
struct imp_profile {
	char *map, *date_format, *delimiter, *type_from, *skip_rows, *book;
	bool decimal_comma;
};

/* The profile's text ("key=value" lines) into a new string (free()), or
 * NULL when out of memory. */
char *imp_profile_format(const struct imp_profile *p);

/* Parse text into *p (strings newly allocated; imp_profile_clear frees
 * them).  0, or -1 with why in err ("line 3: unknown setting 'foo'"). */
int imp_profile_parse(const char *text, struct imp_profile *p, char *err,
    size_t errlen);

void imp_profile_clear(struct imp_profile *p);

#endif
