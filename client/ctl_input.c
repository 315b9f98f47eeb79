/*
 * ctl_input.c -- checks of the user's values before they are sent.  See
 * ctl_input.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "caldate.h"
#include "money.h"

#include "ctl_input.h"

/* Whether s[0..n) is 1 or more ASCII digits. */
static bool
all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

/* "12,50" and "1,250.50" / "1,250": the amount with '.' for the decimal
 * point and no separators into out; false when text is not like that. */
static bool
comma_amount(const char *text, char *out, size_t len)
{
	const char *comma = strchr(text, ','), *dot = strchr(text, '.');
	size_t o = 0;

	if (comma == NULL || strlen(text) >= len)
		return false;
	/* One comma with 1 or 2 digits after it, no '.': a decimal comma. */
	if (dot == NULL && strchr(comma + 1, ',') == NULL &&
	    all_digits(text, (size_t)(comma - text)) &&
	    strlen(comma + 1) >= 1 && strlen(comma + 1) <= 2 &&
	    all_digits(comma + 1, strlen(comma + 1))) {
		snprintf(out, len, "%.*s.%s", (int)(comma - text), text,
		    comma + 1);
		return true;
	}
	/* Thousands separators: groups of 3 digits after each comma. */
	for (const char *p = text; *p != '\0' && p != dot; p++) {
		if (*p == ',') {
			if (p == text || !all_digits(p + 1, 3) ||
			    (p[4] != ',' && p[4] != '.' && p[4] != '\0'))
				return false;
			continue;
		}
		if (*p < '0' || *p > '9')
			return false;
		out[o++] = *p;
	}
	if (dot != NULL) {
		if (!all_digits(dot + 1, strlen(dot + 1)))
			return false;
		memcpy(out + o, dot, strlen(dot) + 1);
	} else
		out[o] = '\0';
	return true;
}

/* text without a currency sign or code at either end ("€5", "5 EUR")
 * into out; false when it has none, or is more than that. */
static bool
strip_currency(const char *text, char *out, size_t len)
{
	static const char *const signs[] = { "\xe2\x82\xac", "$", "\xc2\xa3",
	    "\xc2\xa5", "\xe2\x82\xb9" };	/* € $ £ ¥ ₹ */
	size_t n = strlen(text), start = 0, end = n;
	bool found = false;

	for (size_t i = 0; i < sizeof signs / sizeof signs[0]; i++) {
		size_t k = strlen(signs[i]);

		if (end - start > k && strncmp(text + start, signs[i], k) == 0)
			start += k, found = true;
		else if (end - start > k && strncmp(text + end - k, signs[i],
		    k) == 0)
			end -= k, found = true;
	}
	/* "EUR 5", "5EUR": three letters at either end. */
	if (!found && n > 3 && isupper((unsigned char)text[0]) &&
	    isupper((unsigned char)text[1]) && isupper((unsigned char)text[2]))
		start = 3, found = true;
	else if (!found && n > 3 && isupper((unsigned char)text[n - 1]) &&
	    isupper((unsigned char)text[n - 2]) &&
	    isupper((unsigned char)text[n - 3]))
		end = n - 3, found = true;
	while (start < end && text[start] == ' ')
		start++;
	while (end > start && text[end - 1] == ' ')
		end--;
	if (!found || end == start || end - start >= len)
		return false;
	memcpy(out, text + start, end - start);
	out[end - start] = '\0';
	for (size_t i = 0; out[i] != '\0'; i++) {
		if ((out[i] < '0' || out[i] > '9') && out[i] != '.' &&
		    out[i] != ',')
			return false;
	}
	return true;
}

bool
ctl_amount_hint(const char *text, char *why, size_t len)
{
	char plain[64], fixed[64];

	if (strip_currency(text, plain, sizeof plain)) {
		if (!comma_amount(plain, fixed, sizeof fixed))
			snprintf(fixed, sizeof fixed, "%s", plain);
		snprintf(why, len, "leave out the currency sign: write %s (the "
		    "amount is in the book's currency)", fixed);
		return true;
	}
	if (comma_amount(text, fixed, sizeof fixed)) {
		const char *comma = strchr(text, ',');

		/* "1,250": a thousand, or one and a quarter? */
		if (strchr(text, '.') == NULL && strchr(comma + 1, ',') ==
		    NULL && strlen(comma + 1) == 3) {
			snprintf(why, len, "write %s, or %.*s.%s if the ',' is "
			    "a decimal point ('.' is the decimal point here; "
			    "no thousands separators)", fixed,
			    (int)(comma - text), text, comma + 1);
			return true;
		}
		snprintf(why, len, "write %s (a '.' for the decimal point; no "
		    "decimal commas or thousands separators)", fixed);
		return true;
	}
	return false;
}

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
		(void)ctl_amount_hint(text, why, sizeof why);
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
			    "%s '%s': %s amounts have no decimals (book "
			    "'%s')", what, text, book->currency, book->name);
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "%s '%s': "
		    "%s amounts have at most %d decimal%s (book '%s')", what,
		    text, book->currency, book->decimals, book->decimals == 1 ?
		    "" : "s", book->name);
	case MONEY_PARSE_EMPTY:
	case MONEY_PARSE_SYNTAX:
		(void)ctl_amount_hint(text, why, sizeof why);
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "%s '%s': "
		    "%s", what, text, why);
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

/* ---- dates as people write them ---- */

/* The date of day number z (days from 1970-01-01): caldate_days' inverse
 * (H. Hinnant's civil_from_days). */
static void
day_of_days(int32_t z, struct ctl_day *out)
{
	int32_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	out->d = (int)(doy - (153 * mp + 2) / 5 + 1);
	out->m = (int)(mp < 10 ? mp + 3 : mp - 9);
	out->y = (int)(yoe + era * 400 + (out->m <= 2));
}

static bool
day_in_range(const struct ctl_day *d)
{
	return d->y >= CB_CALDATE_MIN_YEAR && d->y <= CB_CALDATE_MAX_YEAR;
}

static void
day_format(const struct ctl_day *d, char out[CTL_DATE_BUF])
{
	snprintf(out, CTL_DATE_BUF, "%04d-%02d-%02d", d->y, d->m, d->d);
}

/* d moved by n months (the day kept, or the month's last). */
static void
day_add_months(struct ctl_day *d, int64_t n)
{
	int64_t m = (int64_t)d->y * 12 + (d->m - 1) + n;
	int last;

	if (m < (int64_t)CB_CALDATE_MIN_YEAR * 12 ||
	    m > (int64_t)CB_CALDATE_MAX_YEAR * 12 + 11) {
		d->y = 0;	/* out of range: day_in_range says no */
		return;
	}
	d->y = (int)(m / 12);
	d->m = (int)(m % 12) + 1;
	last = caldate_month_days(d->y, d->m);
	if (d->d > last)
		d->d = last;
}

/* "YYYY" (4 digits) or "YYYY-MM" into *y (and *m); false otherwise. */
static bool
parse_year_month(const char *s, bool with_month, int *y, int *m)
{
	size_t want = with_month ? 7 : 4;
	int64_t v;
	char ys[5];

	if (strlen(s) != want)
		return false;
	memcpy(ys, s, 4);
	ys[4] = '\0';
	if (!ctl_input_digits(ys, &v) || v < CB_CALDATE_MIN_YEAR ||
	    v > CB_CALDATE_MAX_YEAR)
		return false;
	*y = (int)v;
	if (!with_month)
		return true;
	if (s[4] != '-' || s[5] < '0' || s[5] > '1' || s[6] < '0' ||
	    s[6] > '9')
		return false;
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	return *m >= 1 && *m <= 12;
}

/* "-Nd", "+3w", ...: *sign_n and the unit; false when not one. */
static bool
parse_offset(const char *s, int64_t *n, char *unit)
{
	size_t len = strlen(s);
	char digits[CTL_DATE_OFFSET_DIGITS + 1];

	if (len < 3 || len > CTL_DATE_OFFSET_DIGITS + 2 ||
	    (s[0] != '-' && s[0] != '+') ||
	    strchr("dwmy", s[len - 1]) == NULL)
		return false;
	memcpy(digits, s + 1, len - 2);
	digits[len - 2] = '\0';
	if (!ctl_input_digits(digits, n))
		return false;
	if (s[0] == '-')
		*n = -*n;
	*unit = s[len - 1];
	return true;
}

static int
date_why(char *why, size_t len, const char *msg)
{
	snprintf(why, len, "%s", msg);
	return -1;
}

int
ctl_date_resolve(const char *text, enum ctl_date_role role,
    const struct ctl_day *today, char out[CTL_DATE_BUF], char *why,
    size_t len)
{
	struct ctl_day d = *today;
	int64_t n;
	char unit;

	if (caldate_parse(text, strlen(text), &d.y, &d.m, &d.d)) {
		day_format(&d, out);
		return 0;
	}
	if (parse_year_month(text, true, &d.y, &d.m)) {
		if (role == CTL_DATE_DAY)
			return date_why(why, len, "a month is not a day; "
			    "write YYYY-MM-DD");
		d.d = role == CTL_DATE_FROM ? 1 : caldate_month_days(d.y,
		    d.m);
		day_format(&d, out);
		return 0;
	}
	if (strcmp(text, "today") == 0)
		n = 0, unit = 'd';
	else if (strcmp(text, "yesterday") == 0)
		n = -1, unit = 'd';
	else if (strcmp(text, "tomorrow") == 0)
		n = 1, unit = 'd';
	else if (!parse_offset(text, &n, &unit))
		return date_why(why, len, "not a date; write YYYY-MM-DD, "
		    "today, yesterday, an offset like -3d, -2w, -1m or -1y, "
		    "or YYYY-MM for a whole month in --from/--to");
	if (unit == 'd' || unit == 'w')
		day_of_days(caldate_days(d.y, d.m, d.d) + (int32_t)(unit ==
		    'w' ? n * 7 : n), &d);
	else
		day_add_months(&d, unit == 'm' ? n : n * 12);
	if (!day_in_range(&d))
		return date_why(why, len, "that is before 1900 or after 9999");
	day_format(&d, out);
	return 0;
}

/* text is word1, then a space or a '-', then word2. */
static bool
two_words(const char *text, const char *word1, const char *word2)
{
	size_t n = strlen(word1);

	return strncmp(text, word1, n) == 0 && (text[n] == ' ' ||
	    text[n] == '-') && strcmp(text + n + 1, word2) == 0;
}

int
ctl_period_resolve(const char *text, const struct ctl_day *today,
    char from[CTL_DATE_BUF], char to[CTL_DATE_BUF], char *why, size_t len)
{
	struct ctl_day a = *today, b;
	bool month;

	if (two_words(text, "this", "month") ||
	    two_words(text, "last", "month")) {
		a.d = 1;
		if (text[0] == 'l')
			day_add_months(&a, -1);
		month = true;
	} else if (two_words(text, "this", "year") ||
	    two_words(text, "last", "year")) {
		a.y -= text[0] == 'l';
		month = false;
	} else if (parse_year_month(text, true, &a.y, &a.m))
		month = true;
	else if (parse_year_month(text, false, &a.y, &a.m))
		month = false;
	else
		return date_why(why, len, "not a period; write 'this month', "
		    "'last month', 'this year', 'last year', YYYY-MM or "
		    "YYYY");
	if (!day_in_range(&a))
		return date_why(why, len, "that is before 1900 or after 9999");
	if (!month)
		a.m = 1;
	a.d = 1;
	b = a;
	b.m = month ? a.m : 12;
	b.d = caldate_month_days(b.y, b.m);
	day_format(&a, from);
	day_format(&b, to);
	return 0;
}

int
ctl_input_today_day(struct ctl_day *out)
{
	char buf[CTL_DATE_BUF];

	if (ctl_input_today(buf) != 0 || !caldate_parse(buf, strlen(buf),
	    &out->y, &out->m, &out->d))
		return -1;
	return 0;
}

/* The index of option name in args->opts, or -1. */
static int
args_opt(const struct ctl_args *args, const char *name)
{
	for (int i = 0; args->opts != NULL && args->opts[i].name != NULL;
	    i++) {
		if (strcmp(args->opts[i].name, name) == 0)
			return i;
	}
	return -1;
}

/* --month or --period (option p) into --from and --to, in slots. */
static enum ctl_retval
period_take(struct ctl_ctx *ctx, struct ctl_args *args, int p,
    const struct ctl_day *today, char *slots)
{
	int f = args_opt(args, "from"), t = args_opt(args, "to");
	const char *name = args->opts[p].name, *text = args->value[p];
	char why[256];
	int y, m;

	if (f < 0 || t < 0)
		return CTL_EXIT_OK;
	if (args->count[f] > 0 || args->count[t] > 0)
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "--%s "
		    "and --from/--to say the same thing; give one of them",
		    name);
	if (strcmp(name, "month") == 0 && !parse_year_month(text, true, &y,
	    &m))
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "--month "
		    "'%s': write YYYY-MM, e.g. 2026-11 (or --period 'last "
		    "month')", text);
	if (ctl_period_resolve(text, today, slots, slots + CTL_DATE_BUF, why,
	    sizeof why) != 0)
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "--%s "
		    "'%s': %s", name, text, why);
	args->value[f] = slots;
	args->value[t] = slots + CTL_DATE_BUF;
	args->count[f] = args->count[t] = 1;
	return CTL_EXIT_OK;
}

enum ctl_retval
ctl_input_dates(struct ctl_ctx *ctx, struct ctl_args *args)
{
	struct ctl_day today;
	enum ctl_date_role role;
	const struct ctl_optdef *o;
	enum ctl_retval rc;
	char why[256], *slot;
	int month = args_opt(args, "month"), period = args_opt(args,
	    "period");

	if (args->ngiven == 0)
		return CTL_EXIT_OK;
	if (ctl_input_today_day(&today) != 0)
		return ctl_error(ctx, CTL_EXIT_FAILED, "clock", NULL, "cannot "
		    "tell today's date; give dates as YYYY-MM-DD");
	/* One slot per value given, and two for --month/--period. */
	args->dates = calloc((size_t)args->ngiven + 2, CTL_DATE_BUF);
	if (args->dates == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	for (int k = 0; k < args->ngiven; k++) {
		o = &args->opts[args->given_opt[k]];
		if (o->type != CTL_T_DATE)
			continue;
		role = strcmp(o->name, "from") == 0 ? CTL_DATE_FROM :
		    strcmp(o->name, "to") == 0 ? CTL_DATE_TO : CTL_DATE_DAY;
		slot = args->dates + (size_t)k * CTL_DATE_BUF;
		if (ctl_date_resolve(args->given[k], role, &today, slot, why,
		    sizeof why) != 0)
			return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL,
			    "--%s '%s': %s", o->name, args->given[k], why);
		if (args->value[args->given_opt[k]] == args->given[k])
			args->value[args->given_opt[k]] = slot;
		args->given[k] = slot;
	}
	if (month >= 0 && period >= 0 && args->count[month] > 0 &&
	    args->count[period] > 0)
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "give "
		    "--month or --period, not both");
	slot = args->dates + (size_t)args->ngiven * CTL_DATE_BUF;
	if (month >= 0 && args->count[month] > 0 &&
	    (rc = period_take(ctx, args, month, &today, slot)) != CTL_EXIT_OK)
		return rc;
	if (period >= 0 && args->count[period] > 0 &&
	    (rc = period_take(ctx, args, period, &today, slot)) != CTL_EXIT_OK)
		return rc;
	return CTL_EXIT_OK;
}

/* ---- tags and text fields ---- */

/* One tag piece s[0..n) trimmed, checked and copied to buf at *used. */
static int
tag_take(const char *s, size_t n, const char **out, size_t *nout,
    char *buf, size_t *used, char *why, size_t len)
{
	while (n > 0 && (s[0] == ' ' || s[0] == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0) {
		snprintf(why, len, "a tag cannot be empty (write --tag "
		    "family,xmas, without a ',' at either end or two together)");
		return -1;
	}
	if (n > CB_ENTRY_TAG_MAX) {
		snprintf(why, len, "a tag is 1 to %d bytes (this one, '%.20s...', "
		    "is %zu)", CB_ENTRY_TAG_MAX, s, n);
		return -1;
	}
	if (*nout == CB_ENTRY_TAGS_MAX) {
		snprintf(why, len, "an entry has at most %d tags",
		    CB_ENTRY_TAGS_MAX);
		return -1;
	}
	memcpy(buf + *used, s, n);
	buf[*used + n] = '\0';
	out[(*nout)++] = buf + *used;
	*used += n + 1;
	return 0;
}

int
ctl_tags_split(const char *const *in, size_t nin, const char **out,
    char buf[CTL_TAGS_SPLIT_BUF], char *why, size_t len)
{
	size_t nout = 0, used = 0;

	for (size_t i = 0; i < nin; i++) {
		const char *s = in[i], *comma;

		if (strchr(s, ';') != NULL) {
			snprintf(why, len, "tag '%s': a tag cannot hold ';' "
			    "(it separates tags in tables and CSV); give "
			    "several tags as --tag a,b", s);
			return -1;
		}
		for (;;) {
			comma = strchr(s, ',');
			if (tag_take(s, comma != NULL ? (size_t)(comma - s) :
			    strlen(s), out, &nout, buf, &used, why, len) != 0)
				return -1;
			if (comma == NULL)
				break;
			s = comma + 1;
		}
	}
	return (int)nout;
}

int
ctl_input_text(struct ctl_ctx *ctx, const char *what, const char *text,
    size_t max)
{
	size_t n;

	if (text == NULL || ((n = strlen(text)) >= 1 && n <= max))
		return -1;
	if (n == 0)
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "a%s %s "
		    "is 1 to %zu bytes (this one is empty): leave it out, or "
		    "remove it with 'edit ID --clear %s'", strchr("aeiou",
		    what[0]) != NULL ? "n" : "", what, max, what);
	return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "a%s %s is 1 to "
	    "%zu bytes (this one is %zu)", strchr("aeiou", what[0]) != NULL ?
	    "n" : "", what, max, n);
}

/* ---- likely mistakes: asked about, never refused ---- */

bool
ctl_input_unusual(int64_t amount, int decimals, const char *currency,
    const char *date, const struct ctl_day *today, char *why, size_t len)
{
	int64_t limit = CTL_WARN_AMOUNT_UNITS;
	struct ctl_day d, ahead = *today;
	char a[64], l[64];

	for (int i = 0; i < decimals; i++)
		limit *= 10;
	if (amount > limit && money_format(amount, decimals, a, sizeof a) >=
	    0 && money_format(limit, decimals, l, sizeof l) >= 0) {
		snprintf(why, len, "%s %s is more than %s %s", a, currency, l,
		    currency);
		return true;
	}
	day_add_months(&ahead, CTL_WARN_MONTHS_AHEAD);
	if (date != NULL && caldate_parse(date, strlen(date), &d.y, &d.m,
	    &d.d) && day_in_range(&ahead) && caldate_days(d.y, d.m, d.d) >
	    caldate_days(ahead.y, ahead.m, ahead.d)) {
		snprintf(why, len, "the date %s is more than a year from today",
		    date);
		return true;
	}
	return false;
}

int
ctl_input_confirm(struct ctl_ctx *ctx, bool yes, const char *why,
    const char *what)
{
	char line[16] = "";

	if (yes)
		return -1;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		fprintf(stderr, "cashbookctl: warning: %s (give --yes if that "
		    "is meant)\n", why);
		return -1;
	}
	fprintf(stderr, "cashbookctl: %s; %s anyway? [y/N] ", why, what);
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) != NULL &&
	    (strcmp(line, "y\n") == 0 || strcmp(line, "yes\n") == 0 ||
	    strcmp(line, "Y\n") == 0))
		return -1;
	if (strchr(line, '\n') == NULL)
		fputc('\n', stderr);
	return ctl_error(ctx, CTL_EXIT_FAILED, "declined", NULL, "nothing "
	    "was sent; check the value, or give --yes");
}
