/*
 * ctl_input.h -- checking what the user typed before it goes to
 * cashbookd: amounts (exact, in a book's currency), dates, times, entry
 * types, counts; and today's date.
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

/* Today's local date (localtime_r) into buf; -1 when the clock or the
 * time zone cannot say, else 0. */
int ctl_input_today(char buf[CTL_DATE_BUF]);

#endif
