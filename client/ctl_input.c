/*
 * ctl_input.c -- checks of the user's values before they are sent.  See
 * ctl_input.h.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "caldate.h"
#include "money.h"

#include "ctl_input.h"

int
ctl_input_amount_syntax(struct ctl_ctx *ctx, const char *what,
    const char *text)
{
	char why[256];
	int64_t v;

	switch (money_parse(text, strlen(text), CB_MONEY_MAX_DECIMALS, &v, why,
	    sizeof why)) {
	case MONEY_PARSE_EMPTY:
	case MONEY_PARSE_SYNTAX:
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "%s '%s': "
		    "%s", what, text, why);
	default:
		/* Decimals and range depend on the book's currency. */
		return -1;
	}
}

int
ctl_input_amount(struct ctl_ctx *ctx, const char *what, const char *text,
    const struct ctl_book *book, int64_t *out)
{
	char why[256];

	switch (money_parse(text, strlen(text), book->decimals, out, why,
	    sizeof why)) {
	case MONEY_PARSE_OK:
		if (*out > 0)
			return -1;
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "%s '%s': "
		    "an amount must be more than 0", what, text);
	case MONEY_PARSE_DECIMALS:
		if (book->decimals == 0)
			return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL,
			    "%s '%s': %s amounts have no decimals", what,
			    text, book->currency);
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "%s '%s': "
		    "%s amounts have at most %d decimal%s", what, text,
		    book->currency, book->decimals, book->decimals == 1 ? "" :
		    "s");
	default:
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "%s '%s': "
		    "%s", what, text, why);
	}
}

int
ctl_input_date(struct ctl_ctx *ctx, const char *what, const char *text)
{
	int y, m, d;

	if (text == NULL || caldate_parse(text, strlen(text), &y, &m, &d))
		return -1;
	return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "%s '%s': not a "
	    "date; write YYYY-MM-DD, a real date from %d to %d (e.g. "
	    "2026-01-31)", what, text, CB_CALDATE_MIN_YEAR,
	    CB_CALDATE_MAX_YEAR);
}

int
ctl_input_time(struct ctl_ctx *ctx, const char *what, const char *text)
{
	int h, m;

	if (text == NULL || caldate_parse_time(text, strlen(text), &h, &m))
		return -1;
	return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "%s '%s': not a "
	    "time; write HH:MM, 00:00 to 23:59", what, text);
}

int
ctl_input_type(struct ctl_ctx *ctx, const char *what, const char *text)
{
	if (text == NULL || strcmp(text, "in") == 0 || strcmp(text, "out") == 0)
		return -1;
	return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "%s '%s': write "
	    "'in' (money received) or 'out' (money paid)", what, text);
}

bool
ctl_input_digits(const char *text, int64_t *out)
{
	size_t n = strlen(text);
	int64_t v = 0;

	if (n == 0 || n > CTL_INPUT_MAX_DIGITS)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		v = v * 10 + (text[i] - '0');
	}
	*out = v;
	return true;
}

int
ctl_input_count(struct ctl_ctx *ctx, const char *what, const char *text,
    int64_t min, int64_t max, int64_t *out)
{
	int64_t v;

	if (text == NULL)
		return -1;
	if (ctl_input_digits(text, &v) && v >= min && v <= max) {
		*out = v;
		return -1;
	}
	return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "%s '%s': give a "
	    "whole number from %" PRId64 " to %" PRId64, what, text, min, max);
}

int
ctl_input_today(char buf[CTL_DATE_BUF])
{
	time_t now = time(NULL);
	struct tm tm;

	if (now == (time_t)-1 || localtime_r(&now, &tm) == NULL ||
	    strftime(buf, CTL_DATE_BUF, "%Y-%m-%d", &tm) != CTL_DATE_BUF - 1)
		return -1;
	return 0;
}
