/*
 * caldate.h -- calendar dates and times of day as people type them:
 * "2026-01-31" and "07:05".
 *
 * Owns: the accepted text forms and the proleptic Gregorian calendar
 * rules (month lengths, leap years) for years CB_CALDATE_MIN_YEAR to
 * CB_CALDATE_MAX_YEAR.
 * Never: looks at the clock or time zones, allocates, does I/O or keeps
 * state, so every function here is safe to call from any thread.
 */
#ifndef CASHBOOK_PROTO_CALDATE_H
#define CASHBOOK_PROTO_CALDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The years a book entry may carry: four digits, and nothing before the
 * twentieth century (no one keeps books from then in this). */
#define CB_CALDATE_MIN_YEAR 1900
#define CB_CALDATE_MAX_YEAR 9999

/* True when s[0..len) is exactly "YYYY-MM-DD" (10 bytes, ASCII digits)
 * naming a real date between CB_CALDATE_MIN_YEAR and CB_CALDATE_MAX_YEAR:
 * 2024-02-29 yes, 2023-02-29, 1900-02-29 and 2026-02-30 no.  No spaces,
 * signs, short fields or trailing bytes.  *y, *m, *d are written only on
 * success. */
bool caldate_parse(const char *s, size_t len, int *y, int *m, int *d);

/* True when s[0..len) is exactly "HH:MM" (5 bytes) from 00:00 to 23:59.
 * *h and *min are written only on success. */
bool caldate_parse_time(const char *s, size_t len, int *h, int *min);

/* The days in month m (1..12) of year y: 28 to 31. */
int caldate_month_days(int y, int m);

/* Days from 1970-01-01 to y-m-d (negative before it), for ordering and
 * date ranges.  The date must be valid, as caldate_parse() returns it. */
int32_t caldate_days(int y, int m, int d);

#endif
