/*
 * ctl_csv.h -- a streaming reader of CSV files as banks export them
 * (RFC 4180): records of fields split by ',' or ';' (or a tab), fields in
 * double quotes that may hold the delimiter, line breaks and doubled
 * quotes, CRLF or LF line ends, UTF-8 with or without a byte order mark.
 *
 * Owns its buffers (one record at a time, at most CB_CSV_RECORD_MAX bytes
 * and CB_CSV_FIELDS_MAX fields); never owns, opens or closes the FILE.
 * Never prints: what is wrong is written into the caller's err buffer,
 * naming the physical line where the record starts.  Blank lines are
 * skipped.  Text that is not UTF-8 and a NUL byte are refused, as is a
 * quote inside a field that does not start with one (RFC 4180 wants such
 * a field quoted): a stray quote would otherwise swallow the lines after
 * it without a word.
 */
#ifndef CASHBOOK_CLIENT_CTL_CSV_H
#define CASHBOOK_CLIENT_CTL_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "cb_limits.h"

/* Results of ctl_csv_next and ctl_csv_skip. */
enum {
	CTL_CSV_ERROR = -1,	/* see err */
	CTL_CSV_ROW = 0,
	CTL_CSV_END = 1,	/* no more records */
};

/* One record: fields[0..n) are NUL-terminated, valid until the next
 * call on the reader. */
struct ctl_csv_row {
	size_t line;		/* physical line (1-based) it starts on */
	size_t n;
	const char *fields[CB_CSV_FIELDS_MAX];
};

struct ctl_csv;

/* A reader of f with delimiter delim (',', ';' or '\t'), or 0 to tell it
 * from the first record ctl_csv_next reads (the header): the one of ',',
 * ';' and tab found most often outside quotes.  NULL when out of memory. */
struct ctl_csv *ctl_csv_new(FILE *f, char delim);
void ctl_csv_free(struct ctl_csv *c);

/* The next record into *row.  CTL_CSV_ROW, CTL_CSV_END, or CTL_CSV_ERROR
 * with why in err (a read error, a quote left open, a record too long or
 * with too many fields, a NUL, bytes that are not UTF-8, an ambiguous
 * delimiter). */
int ctl_csv_next(struct ctl_csv *c, struct ctl_csv_row *row, char *err,
    size_t errlen);

/* Skip the next record (a bank's preamble before the header) without
 * splitting it.  The same results; *line is where it started. */
int ctl_csv_skip(struct ctl_csv *c, size_t *line, char *err, size_t errlen);

/* The delimiter in use: 0 until the first ctl_csv_next detected it. */
char ctl_csv_delimiter(const struct ctl_csv *c);

#endif
