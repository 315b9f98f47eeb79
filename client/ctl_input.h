/*
 * ctl_input.h -- checking what the user typed before it goes to
 * cashbookd: amounts (exact, in a book's currency), dates, times, entry
 * types, counts; and today's date.  Dates as people write them
 * ("yesterday", "-3d", "2026-11" for a whole month, "last month") are
 * turned into the strict "YYYY-MM-DD" the wire takes here, once for every
 * date option of the command table (ctl_input_dates).
 *
 * Each check reports a refused value (ctl_output.h) with why, and
 * returns -1 to go on or CTL_EXIT_USAGE.  Dates are "YYYY-MM-DD" and
 * times "HH:MM" (proto/caldate.h); amounts are read by money_parse
 * (proto/money.h): digits with at most one '.', never through floating
 * point.  Keeps no state.
 */
#ifndef CASHBOOK_CLIENT_CTL_INPUT_H
#define CASHBOOK_CLIENT_CTL_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "cb_limits.h"

#include "ctl.h"
#include "ctl_book.h"

/* "YYYY-MM-DD" and its NUL. */
#define CTL_DATE_BUF	11

/*
 * An amount's syntax, whatever the currency (any decimals up to the most
 * a currency has): for refusing "12,50" before connecting.  what names it
 * in the message ("amount", "--min").
 */
int ctl_input_amount_syntax(struct ctl_ctx *ctx, const char *what,
    const char *text);

/*
 * A better word for an amount money_parse refused, when text looks like
 * one written another way: "12,50" (write 12.50), "1,250.50" (write
 * 1250.50), "€5", "5€", "$5", "EUR 5" (leave out the currency).  true
 * with the sentence in why[len]; false when there is nothing better to
 * say.  Pure.
 */
bool ctl_amount_hint(const char *text, char *why, size_t len);

/* An amount in book's currency into *out (minor units, >= 1), e.g.
 * "12.505: EUR amounts have at most 2 decimals". */
int ctl_input_amount(struct ctl_ctx *ctx, const char *what,
    const char *text, const struct ctl_book *book, int64_t *out);

/* A date "YYYY-MM-DD", a real one from 1900 to 9999 (NULL passes). */
int ctl_input_date(struct ctl_ctx *ctx, const char *what, const char *text);

/* A time of day "HH:MM", 24 h (NULL passes). */
int ctl_input_time(struct ctl_ctx *ctx, const char *what, const char *text);

/* An entry type: "in" or "out" (NULL passes). */
int ctl_input_type(struct ctl_ctx *ctx, const char *what, const char *text);

/* Most digits ctl_input_digits takes: any such number fits an int64_t. */
#define CTL_INPUT_MAX_DIGITS	18

/* Whether text is 1 .. CTL_INPUT_MAX_DIGITS ASCII digits (no sign, no
 * spaces), and their value.  Reports nothing. */
bool ctl_input_digits(const char *text, int64_t *out);

/* A whole number from min to max into *out (text NULL: *out unchanged). */
int ctl_input_count(struct ctl_ctx *ctx, const char *what, const char *text,
    int64_t min, int64_t max, int64_t *out);

/* A day of the calendar, as numbers. */
struct ctl_day {
	int y, m, d;
};

/* How a date option reads "YYYY-MM", a whole month: --from takes its
 * first day, --to its last; a single day (--date) refuses it. */
enum ctl_date_role {
	CTL_DATE_DAY,
	CTL_DATE_FROM,
	CTL_DATE_TO,
};

/* Most digits of N in an offset "-Nd": up to 9999 days, weeks, months or
 * years (the result must still be a date from 1900 to 9999). */
#define CTL_DATE_OFFSET_DIGITS	4

/*
 * A date as a person gives it, relative to today, into out as
 * "YYYY-MM-DD": "YYYY-MM-DD"; "today", "yesterday", "tomorrow"; an offset
 * "-Nd", "+Nd" (days), "-Nw" (weeks), "-Nm" (months: the same day of the
 * month, or the month's last day when it has fewer, so 03-31 -1m is
 * 02-28), "-Ny" (years, the same way); and for CTL_DATE_FROM / CTL_DATE_TO
 * "YYYY-MM" (the month's first / last day).  0, or -1 with why (a
 * sentence without the value) in why[len].  Pure: no clock, no I/O.
 */
int ctl_date_resolve(const char *text, enum ctl_date_role role,
    const struct ctl_day *today, char out[CTL_DATE_BUF], char *why,
    size_t len);

/*
 * A period into its first and last day: "this month", "last month",
 * "this year", "last year" (also with '-' for the space: "last-month"),
 * "YYYY-MM" (a month) or "YYYY" (a year).  0, or -1 with why.  Pure.
 */
int ctl_period_resolve(const char *text, const struct ctl_day *today,
    char from[CTL_DATE_BUF], char to[CTL_DATE_BUF], char *why, size_t len);

/*
 * The command table's hook: every CTL_T_DATE option of args, read by
 * ctl_date_resolve (--from as CTL_DATE_FROM, --to as CTL_DATE_TO, others
 * as a day) and replaced by its "YYYY-MM-DD"; --month YYYY-MM and
 * --period P (when the command has them) become --from and --to (given
 * with either, a usage error).  The new values are kept in args (freed by
 * ctl_args_free).  CTL_EXIT_OK, or the exit status of the error reported.
 */
enum ctl_retval ctl_input_dates(struct ctl_ctx *ctx, struct ctl_args *args);

/* --month and --period, for the table of a command with --from/--to. */
#define CTL_INPUT_PERIOD_OPTS \
	{ "month", 0, "YYYY-MM", CTL_T_TEXT, NULL, "that whole month (the " \
	    "same as --from YYYY-MM --to YYYY-MM)", 0, 0, NULL },	\
	{ "period", 0, "P", CTL_T_WORDS, "this-month last-month "	\
	    "this-year last-year", "'this month', 'last month', 'this "	\
	    "year', 'last year', YYYY-MM or YYYY", 0, 0, NULL }

/* Room for every tag of an entry, each with its NUL. */
#define CTL_TAGS_SPLIT_BUF	(CB_ENTRY_TAGS_MAX * (CB_ENTRY_TAG_MAX + 1))

/*
 * The tags of --tag values in[0..nin), each split on ',' ("family,xmas"
 * is two tags), with spaces around each cut off, copied into buf and
 * pointed to from out (room for CB_ENTRY_TAGS_MAX).  The number of tags,
 * or -1 with why[len] in a person's words: a ';' (it separates tags in
 * tables and CSV), an empty tag, a tag longer than CB_ENTRY_TAG_MAX bytes,
 * or more than CB_ENTRY_TAGS_MAX tags.  Pure.
 */
int ctl_tags_split(const char *const *in, size_t nin, const char **out,
    char buf[CTL_TAGS_SPLIT_BUF], char *why, size_t len);

/*
 * A text field of an entry (what: "category", "party", ...) checked
 * against its size in bytes: -1 to go on (NULL passes), or a usage error
 * "a category is 1 to 100 bytes (this one is 130)".
 */
int ctl_input_text(struct ctl_ctx *ctx, const char *what, const char *text,
    size_t max);

/*
 * add and edit ask before writing what is likely a typing mistake (they
 * never refuse it): an amount above CTL_WARN_AMOUNT_UNITS whole units of
 * the book's currency (1,000,000.00 EUR, 1,000,000 JPY), or a date more
 * than CTL_WARN_MONTHS_AHEAD months after today.
 */
#define CTL_WARN_AMOUNT_UNITS	1000000
#define CTL_WARN_MONTHS_AHEAD	12

/*
 * What is unusual about an entry about to be written, into why[len]
 * ("2028-03-01 is more than a year from today"): amount in minor units
 * (0: not given) with the currency's decimals and code, date (NULL: not
 * given).  false when nothing is.  Pure.
 */
bool ctl_input_unusual(int64_t amount, int decimals, const char *currency,
    const char *date, const struct ctl_day *today, char *why, size_t len);

/*
 * Ask whether to go on with what ctl_input_unusual found (what: "add
 * it"): with yes (--yes), go on; when standard input and standard error
 * are a terminal, ask "... add it anyway? [y/N]" and go on only on y or
 * yes; otherwise (a script) go on with a warning on standard error.  -1
 * to go on, else the exit status (CTL_EXIT_FAILED: declined, nothing
 * sent).
 */
int ctl_input_confirm(struct ctl_ctx *ctx, bool yes, const char *why,
    const char *what);

/* Today's local date as numbers; -1 when the clock cannot say. */
int ctl_input_today_day(struct ctl_day *out);

/* Today's local date (localtime_r) into buf; -1 when the clock or the
 * time zone cannot say, else 0. */
int ctl_input_today(char buf[CTL_DATE_BUF]);

#endif
