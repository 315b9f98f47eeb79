/*
 * test_ctl_input.c -- cashbookctl's reading of dates as people write them
 * (client/ctl_input.c): ctl_date_resolve and ctl_period_resolve, against
 * a fixed "today", so every expected value is exact.  Nothing here needs
 * cashbookd or the clock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl_input.h"
#include "tap.h"

/* ctl_input.c reports through ctl_error (cashbookctl.c); the pure
 * functions tested here never call it. */
int
ctl_error(struct ctl_ctx *ctx, int status, const char *code,
    const char *hint, const char *fmt, ...)
{
	(void)ctx;
	(void)code;
	(void)hint;
	(void)fmt;
	return status;
}

static const struct ctl_day today = { 2026, 3, 31 };

/* text read in role gives want (NULL: refused). */
static void
check_date(const char *text, enum ctl_date_role role, const char *want)
{
	char out[CTL_DATE_BUF] = "", why[256] = "";
	int rc = ctl_date_resolve(text, role, &today, out, why, sizeof why);

	if (want == NULL) {
		CHECK_EQ_INT(rc, -1);
		CHECK(why[0] != '\0');
		if (rc != -1)
			printf("# '%s' was read as %s\n", text, out);
	} else {
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_STR(out, want);
		if (rc != 0)
			printf("# '%s' refused: %s\n", text, why);
	}
}

static void
check_period(const char *text, const char *from, const char *to)
{
	char f[CTL_DATE_BUF] = "", t[CTL_DATE_BUF] = "", why[256] = "";
	int rc = ctl_period_resolve(text, &today, f, t, why, sizeof why);

	if (from == NULL) {
		CHECK_EQ_INT(rc, -1);
		CHECK(why[0] != '\0');
	} else {
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_STR(f, from);
		CHECK_EQ_STR(t, to);
	}
}

/* Days, and the words for today and its neighbours. */
static void
test_days(void)
{
	check_date("2026-01-15", CTL_DATE_DAY, "2026-01-15");
	check_date("today", CTL_DATE_DAY, "2026-03-31");
	check_date("yesterday", CTL_DATE_DAY, "2026-03-30");
	check_date("tomorrow", CTL_DATE_DAY, "2026-04-01");
	check_date("2026-01-15", CTL_DATE_TO, "2026-01-15");
}

/* Offsets in days and weeks cross months and years. */
static void
test_offsets(void)
{
	check_date("-3d", CTL_DATE_DAY, "2026-03-28");
	check_date("+1d", CTL_DATE_DAY, "2026-04-01");
	check_date("-31d", CTL_DATE_DAY, "2026-02-28");
	check_date("-365d", CTL_DATE_DAY, "2025-03-31");
	check_date("-0d", CTL_DATE_DAY, "2026-03-31");
	check_date("-2w", CTL_DATE_DAY, "2026-03-17");
}

/* Offsets in months and years keep the day, or take the month's last. */
static void
test_month_offsets(void)
{
	check_date("-1m", CTL_DATE_DAY, "2026-02-28");
	check_date("-13m", CTL_DATE_DAY, "2025-02-28");
	check_date("-25m", CTL_DATE_DAY, "2024-02-29");
	check_date("-3m", CTL_DATE_DAY, "2025-12-31");
	check_date("+1m", CTL_DATE_DAY, "2026-04-30");
	check_date("-1y", CTL_DATE_DAY, "2025-03-31");
}

/* YYYY-MM is a whole month where a range is meant, never a day. */
static void
test_whole_months(void)
{
	check_date("2026-02", CTL_DATE_FROM, "2026-02-01");
	check_date("2026-02", CTL_DATE_TO, "2026-02-28");
	check_date("2024-02", CTL_DATE_TO, "2024-02-29");
	check_date("2026-12", CTL_DATE_TO, "2026-12-31");
	check_date("2026-02", CTL_DATE_DAY, NULL);
	check_date("2026-13", CTL_DATE_FROM, NULL);
	check_date("2026-00", CTL_DATE_TO, NULL);
}

static void
test_refused(void)
{
	check_date("-3", CTL_DATE_DAY, NULL);
	check_date("3d", CTL_DATE_DAY, NULL);
	check_date("-3x", CTL_DATE_DAY, NULL);
	check_date("-99999d", CTL_DATE_DAY, NULL);
	check_date("-9999y", CTL_DATE_DAY, NULL);
	check_date("2026-02-30", CTL_DATE_DAY, NULL);
	check_date("Today", CTL_DATE_DAY, NULL);
	check_date("", CTL_DATE_DAY, NULL);
	check_date("26-03-01", CTL_DATE_FROM, NULL);
}

static void
test_periods(void)
{
	check_period("this month", "2026-03-01", "2026-03-31");
	check_period("last month", "2026-02-01", "2026-02-28");
	check_period("last-month", "2026-02-01", "2026-02-28");
	check_period("this year", "2026-01-01", "2026-12-31");
	check_period("last year", "2025-01-01", "2025-12-31");
	check_period("2026-11", "2026-11-01", "2026-11-30");
	check_period("2025", "2025-01-01", "2025-12-31");
	check_period("next month", NULL, NULL);
	check_period("lastmonth", NULL, NULL);
	check_period("1899", NULL, NULL);
}

/* "last month" in January is December of the year before. */
static void
test_period_january(void)
{
	static const struct ctl_day jan = { 2027, 1, 15 };
	char f[CTL_DATE_BUF], t[CTL_DATE_BUF], why[256];

	CHECK_EQ_INT(ctl_period_resolve("last month", &jan, f, t, why,
	    sizeof why), 0);
	CHECK_EQ_STR(f, "2026-12-01");
	CHECK_EQ_STR(t, "2026-12-31");
}

/* "--tag family,xmas --tag a" is three tags, spaces cut off. */
static void
test_tags_split(void)
{
	const char *in[] = { "family, xmas", " a ", "b,c,d" };
	const char *out[CB_ENTRY_TAGS_MAX];
	char buf[CTL_TAGS_SPLIT_BUF], why[256];

	CHECK_EQ_INT(ctl_tags_split(in, 3, out, buf, why, sizeof why), 6);
	CHECK_EQ_STR(out[0], "family");
	CHECK_EQ_STR(out[1], "xmas");
	CHECK_EQ_STR(out[2], "a");
	CHECK_EQ_STR(out[3], "b");
	CHECK_EQ_STR(out[4], "c");
	CHECK_EQ_STR(out[5], "d");
}

static void
test_tags_refused(void)
{
	const char *semi[] = { "a;b" }, *empty[] = { "a,,b" },
	    *trail[] = { "a," }, *blank[] = { " " };
	const char *many[] = { "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,"
	    "19,20,21" };
	const char *out[CB_ENTRY_TAGS_MAX];
	char buf[CTL_TAGS_SPLIT_BUF], why[256], longtag[CB_ENTRY_TAG_MAX + 2];
	const char *lng[] = { longtag };

	CHECK_EQ_INT(ctl_tags_split(semi, 1, out, buf, why, sizeof why), -1);
	CHECK(strstr(why, "cannot hold ';'") != NULL);
	CHECK_EQ_INT(ctl_tags_split(empty, 1, out, buf, why, sizeof why), -1);
	CHECK(strstr(why, "cannot be empty") != NULL);
	CHECK_EQ_INT(ctl_tags_split(trail, 1, out, buf, why, sizeof why), -1);
	CHECK_EQ_INT(ctl_tags_split(blank, 1, out, buf, why, sizeof why), -1);
	CHECK_EQ_INT(ctl_tags_split(many, 1, out, buf, why, sizeof why), -1);
	CHECK(strstr(why, "at most 20 tags") != NULL);
	memset(longtag, 'x', sizeof longtag - 1);
	longtag[sizeof longtag - 1] = '\0';
	CHECK_EQ_INT(ctl_tags_split(lng, 1, out, buf, why, sizeof why), -1);
	CHECK(strstr(why, "is 65)") != NULL);
	longtag[CB_ENTRY_TAG_MAX] = '\0';
	CHECK_EQ_INT(ctl_tags_split(lng, 1, out, buf, why, sizeof why), 1);
}

/* text's hint is want (NULL: none). */
static void
check_hint(const char *text, const char *want)
{
	char why[256] = "";
	bool got = ctl_amount_hint(text, why, sizeof why);

	if (want == NULL) {
		CHECK(!got);
		return;
	}
	CHECK(got);
	CHECK_EQ_STR(why, want);
}

static void
test_amount_hints(void)
{
	check_hint("12,50", "write 12.50 (a '.' for the decimal point; no "
	    "decimal commas or thousands separators)");
	check_hint("12,5", "write 12.5 (a '.' for the decimal point; no "
	    "decimal commas or thousands separators)");
	check_hint("1,250.50", "write 1250.50 (a '.' for the decimal point; "
	    "no decimal commas or thousands separators)");
	check_hint("1,234,567", "write 1234567 (a '.' for the decimal point; "
	    "no decimal commas or thousands separators)");
	check_hint("1,250", "write 1250, or 1.250 if the ',' is a decimal "
	    "point ('.' is the decimal point here; no thousands separators)");
	check_hint("\xe2\x82\xac" "5", "leave out the currency sign: write 5 "
	    "(the amount is in the book's currency)");
	check_hint("5\xe2\x82\xac", "leave out the currency sign: write 5 "
	    "(the amount is in the book's currency)");
	check_hint("$12.50", "leave out the currency sign: write 12.50 (the "
	    "amount is in the book's currency)");
	check_hint("EUR 5", "leave out the currency sign: write 5 (the amount "
	    "is in the book's currency)");
	check_hint("\xc2\xa3" "1,250.5", "leave out the currency sign: write "
	    "1250.5 (the amount is in the book's currency)");
	check_hint("12,505", "write 12505, or 12.505 if the ',' is a decimal "
	    "point ('.' is the decimal point here; no thousands separators)");
	check_hint("1,25,0", NULL);
	check_hint("-5", NULL);
	check_hint("1e3", NULL);
	check_hint("$", NULL);
	check_hint("EUR", NULL);
	check_hint("$x", NULL);
}

/* The thresholds: 1,000,000 whole units of the currency, a year ahead
 * (today is 2026-03-31, so up to 2027-03-31 is quiet). */
static void
test_unusual(void)
{
	char why[256];

	CHECK(!ctl_input_unusual(100000000, 2, "EUR", "2027-03-31", &today,
	    why, sizeof why));
	CHECK(ctl_input_unusual(100000001, 2, "EUR", NULL, &today, why,
	    sizeof why));
	CHECK_EQ_STR(why, "1000000.01 EUR is more than 1000000.00 EUR");
	CHECK(!ctl_input_unusual(1000000, 0, "JPY", NULL, &today, why,
	    sizeof why));
	CHECK(ctl_input_unusual(1000001, 0, "JPY", NULL, &today, why,
	    sizeof why));
	CHECK_EQ_STR(why, "1000001 JPY is more than 1000000 JPY");
	CHECK(ctl_input_unusual(0, 2, "EUR", "2027-04-01", &today, why,
	    sizeof why));
	CHECK_EQ_STR(why, "the date 2027-04-01 is more than a year from today");
	CHECK(!ctl_input_unusual(0, 2, "EUR", "1990-01-01", &today, why,
	    sizeof why));
}

int
main(void)
{
	tap_run("days", test_days);
	tap_run("offsets", test_offsets);
	tap_run("month_offsets", test_month_offsets);
	tap_run("whole_months", test_whole_months);
	tap_run("refused", test_refused);
	tap_run("periods", test_periods);
	tap_run("period_january", test_period_january);
	tap_run("tags_split", test_tags_split);
	tap_run("tags_refused", test_tags_refused);
	tap_run("amount_hints", test_amount_hints);
	tap_run("unusual", test_unusual);
	return tap_done();
}
