/*
 * test_money.c -- the pure helpers that books and entries build on:
 * currency decimals, checked int64 arithmetic, formatting and parsing
 * (proto/money.c), calendar dates and times of day (proto/caldate.c).
 * Expected day numbers were computed independently with Python's
 * datetime: (date(y, m, d) - date(1970, 1, 1)).days.
 */
#include <stdint.h>
#include <string.h>

#include "caldate.h"
#include "money.h"
#include "tap.h"

static bool
currency_valid(const char *s)
{
	return money_currency_valid(s, strlen(s));
}

static int
decimals(const char *s)
{
	return money_currency_decimals(s, strlen(s));
}

static void
test_currency_valid(void)
{
	CHECK(currency_valid("EUR"));
	CHECK(currency_valid("XXX"));
	CHECK(currency_valid("QQQ"));		/* unassigned, still a shape */
	CHECK(!currency_valid(""));
	CHECK(!currency_valid("EU"));
	CHECK(!currency_valid("EURO"));
	CHECK(!currency_valid("eur"));
	CHECK(!currency_valid("Eur"));
	CHECK(!currency_valid("E1R"));
	CHECK(!currency_valid("EU "));
	CHECK(!currency_valid(" EU"));
	CHECK(!currency_valid("EU@"));		/* '@' is 'A' - 1 */
	CHECK(!currency_valid("EU["));		/* '[' is 'Z' + 1 */
	CHECK(!currency_valid("\xc3\x89UR"));	/* "ÉUR" */
	CHECK(!money_currency_valid("EU\0", 3));
	/* The length given is what counts. */
	CHECK(money_currency_valid("EURO", 3));
	CHECK(!money_currency_valid("EUR", 2));
}

static void
test_currency_decimals(void)
{
	static const char *zero[] = {
		"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
		"RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
	};
	static const char *three[] = {
		"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
	};
	static const char *four[] = { "CLF", "UYW" };
	static const char *two[] = {
		"EUR", "USD", "GBP", "CHF", "CNY", "INR", "HUF", "MGA", "MRU",
		"BRL", "CLA", "JPZ", "AAA", "ZZZ",
	};

	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		CHECK_EQ_INT(decimals(zero[i]), 0);
	for (size_t i = 0; i < sizeof(three) / sizeof(three[0]); i++)
		CHECK_EQ_INT(decimals(three[i]), 3);
	for (size_t i = 0; i < sizeof(four) / sizeof(four[0]); i++)
		CHECK_EQ_INT(decimals(four[i]), 4);
	for (size_t i = 0; i < sizeof(two) / sizeof(two[0]); i++)
		CHECK_EQ_INT(decimals(two[i]), 2);
	/* Unknown and no-minor-unit codes: 2. */
	CHECK_EQ_INT(decimals("XXX"), 2);
	CHECK_EQ_INT(decimals("XAU"), 2);
	CHECK_EQ_INT(decimals("QQQ"), 2);
	/* Malformed codes are unknown codes, not a prefix match. */
	CHECK_EQ_INT(decimals("jpy"), 2);
	CHECK_EQ_INT(decimals("JPYX"), 2);
	CHECK_EQ_INT(decimals("KWDX"), 2);
	CHECK_EQ_INT(money_currency_decimals("JPY", 2), 2);
	CHECK_EQ_INT(money_currency_decimals("JPYX", 3), 0);
	CHECK_EQ_INT(decimals(""), 2);
}

static void
test_max_amount(void)
{
	int64_t p = 1;

	for (int i = 0; i < 15; i++)
		p *= 10;
	CHECK_EQ_INT(CB_MONEY_MAX_AMOUNT, p);
	/* Thousands of maximal entries still sum exactly. */
	CHECK(CB_MONEY_MAX_AMOUNT <= INT64_MAX / 9000);
}

static void
test_add(void)
{
	int64_t r;

	CHECK(money_add(150, -275, &r));
	CHECK_EQ_INT(r, -125);
	CHECK(money_add(INT64_MAX, 0, &r));
	CHECK_EQ_INT(r, INT64_MAX);
	CHECK(money_add(INT64_MAX - 1, 1, &r));
	CHECK_EQ_INT(r, INT64_MAX);
	CHECK(money_add(INT64_MIN, 0, &r));
	CHECK_EQ_INT(r, INT64_MIN);
	CHECK(money_add(INT64_MIN + 1, -1, &r));
	CHECK_EQ_INT(r, INT64_MIN);
	CHECK(money_add(INT64_MIN, INT64_MAX, &r));
	CHECK_EQ_INT(r, -1);
	CHECK(money_add(CB_MONEY_MAX_AMOUNT, CB_MONEY_MAX_AMOUNT, &r));
	CHECK_EQ_INT(r, 2 * CB_MONEY_MAX_AMOUNT);

	/* Overflow fails and leaves *out as it was. */
	r = 42;
	CHECK(!money_add(INT64_MAX, 1, &r));
	CHECK_EQ_INT(r, 42);
	CHECK(!money_add(1, INT64_MAX, &r));
	CHECK(!money_add(INT64_MAX, INT64_MAX, &r));
	CHECK(!money_add(INT64_MIN, -1, &r));
	CHECK(!money_add(-1, INT64_MIN, &r));
	CHECK(!money_add(INT64_MIN, INT64_MIN, &r));
	CHECK_EQ_INT(r, 42);
}

static void
test_sub(void)
{
	int64_t r;

	CHECK(money_sub(150, 275, &r));
	CHECK_EQ_INT(r, -125);
	CHECK(money_sub(INT64_MAX, 0, &r));
	CHECK_EQ_INT(r, INT64_MAX);
	CHECK(money_sub(INT64_MIN, 0, &r));
	CHECK_EQ_INT(r, INT64_MIN);
	CHECK(money_sub(INT64_MIN + 1, 1, &r));
	CHECK_EQ_INT(r, INT64_MIN);
	CHECK(money_sub(-1, INT64_MIN, &r));
	CHECK_EQ_INT(r, INT64_MAX);
	CHECK(money_sub(INT64_MAX - 1, -1, &r));
	CHECK_EQ_INT(r, INT64_MAX);
	CHECK(money_sub(INT64_MIN, INT64_MIN, &r));
	CHECK_EQ_INT(r, 0);
	CHECK(money_sub(0, INT64_MAX, &r));
	CHECK_EQ_INT(r, INT64_MIN + 1);

	r = 42;
	CHECK(!money_sub(INT64_MIN, 1, &r));
	CHECK_EQ_INT(r, 42);
	CHECK(!money_sub(0, INT64_MIN, &r));	/* -INT64_MIN */
	CHECK(!money_sub(INT64_MAX, -1, &r));
	CHECK(!money_sub(INT64_MAX, INT64_MIN, &r));
	CHECK(!money_sub(INT64_MIN, INT64_MAX, &r));
	CHECK_EQ_INT(r, 42);
}

/* money_format into a buffer of the maximal size; "(-1)" on failure. */
static const char *
fmt(int64_t minor, int dec)
{
	static char buf[CB_MONEY_FORMAT_MAX];
	int n = money_format(minor, dec, buf, sizeof(buf));

	if (n < 0)
		return "(-1)";
	if ((size_t)n != strlen(buf))
		return "(bad length)";
	return buf;
}

static void
test_format(void)
{
	CHECK_EQ_STR(fmt(0, 2), "0.00");
	CHECK_EQ_STR(fmt(0, 0), "0");
	CHECK_EQ_STR(fmt(0, 3), "0.000");
	CHECK_EQ_STR(fmt(-5, 2), "-0.05");
	CHECK_EQ_STR(fmt(5, 2), "0.05");
	CHECK_EQ_STR(fmt(-50, 2), "-0.50");
	CHECK_EQ_STR(fmt(100, 2), "1.00");
	CHECK_EQ_STR(fmt(123456, 2), "1234.56");
	CHECK_EQ_STR(fmt(-123456, 2), "-1234.56");
	CHECK_EQ_STR(fmt(1234567, 2), "12345.67");	/* no separators */
	CHECK_EQ_STR(fmt(1234, 0), "1234");
	CHECK_EQ_STR(fmt(-7, 0), "-7");
	CHECK_EQ_STR(fmt(1234567, 3), "1234.567");
	CHECK_EQ_STR(fmt(5, 3), "0.005");
	CHECK_EQ_STR(fmt(-1000, 3), "-1.000");
	CHECK_EQ_STR(fmt(15, 1), "1.5");
	CHECK_EQ_STR(fmt(1, 4), "0.0001");
	CHECK_EQ_STR(fmt(-12345, 4), "-1.2345");
	CHECK_EQ_STR(fmt(CB_MONEY_MAX_AMOUNT, 2), "10000000000000.00");
	CHECK_EQ_STR(fmt(-CB_MONEY_MAX_AMOUNT, 0), "-1000000000000000");
	CHECK_EQ_STR(fmt(INT64_MAX, 0), "9223372036854775807");
	CHECK_EQ_STR(fmt(INT64_MAX, 2), "92233720368547758.07");
	CHECK_EQ_STR(fmt(INT64_MIN, 0), "-9223372036854775808");
	CHECK_EQ_STR(fmt(INT64_MIN, 2), "-92233720368547758.08");
	CHECK_EQ_STR(fmt(INT64_MIN, 3), "-9223372036854775.808");
	CHECK_EQ_STR(fmt(INT64_MIN, 4), "-922337203685477.5808");
	CHECK_EQ_STR(fmt(INT64_MIN + 1, 2), "-92233720368547758.07");
	/* Decimals outside 0..4. */
	CHECK_EQ_STR(fmt(100, -1), "(-1)");
	CHECK_EQ_STR(fmt(100, 5), "(-1)");
}

static void
test_format_buffer(void)
{
	char buf[CB_MONEY_FORMAT_MAX + 2];

	/* "-0.05" is 5 bytes plus the NUL. */
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ_INT(money_format(-5, 2, buf, 5), -1);
	CHECK(buf[0] == 'x' && buf[4] == 'x' && buf[5] == 'x');
	CHECK_EQ_INT(money_format(-5, 2, buf, 6), 5);
	CHECK_EQ_STR(buf, "-0.05");
	CHECK(buf[6] == 'x');				/* nothing past len */

	memset(buf, 'x', sizeof(buf));
	CHECK_EQ_INT(money_format(0, 0, buf, 0), -1);
	CHECK(buf[0] == 'x');
	CHECK_EQ_INT(money_format(0, 0, buf, 1), -1);
	CHECK(buf[0] == 'x');
	CHECK_EQ_INT(money_format(0, 0, buf, 2), 1);
	CHECK_EQ_STR(buf, "0");
	CHECK_EQ_INT(money_format(1234, 0, buf, 4), -1);
	CHECK_EQ_INT(money_format(1234, 0, buf, 5), 4);
	CHECK_EQ_STR(buf, "1234");

	/* The longest output fits CB_MONEY_FORMAT_MAX exactly. */
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ_INT(money_format(INT64_MIN, 4, buf, CB_MONEY_FORMAT_MAX - 1),
	    -1);
	CHECK(buf[0] == 'x');
	CHECK_EQ_INT(money_format(INT64_MIN, 4, buf, CB_MONEY_FORMAT_MAX),
	    CB_MONEY_FORMAT_MAX - 1);
	CHECK_EQ_STR(buf, "-922337203685477.5808");
	CHECK(buf[CB_MONEY_FORMAT_MAX] == 'x');
}

/* Compare money_format against text built another way: snprintf of the
 * magnitude, with the point put in afterwards. */
static void
test_format_agrees_with_printf(void)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	int bad = 0;

	for (int i = 0; i < 20000; i++) {
		int64_t v;
		uint64_t mag;
		char digits[32], want[40], got[CB_MONEY_FORMAT_MAX];

		x ^= x << 13;			/* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		/* Mix full-range values with small ones near zero. */
		v = (int64_t)(i % 2 ? x : x % 200001) - (i % 2 ? 0 : 100000);
		if (i < 3)
			v = i == 0 ? INT64_MIN : i == 1 ? INT64_MAX : 0;
		mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		for (int dec = 0; dec <= CB_MONEY_MAX_DECIMALS; dec++) {
			int n = snprintf(digits, sizeof(digits), "%0*" PRIu64,
			    dec + 1, mag);
			int w = snprintf(want, sizeof(want), "%s%.*s%s%s",
			    v < 0 ? "-" : "", n - dec, digits,
			    dec > 0 ? "." : "", digits + n - dec);

			if (money_format(v, dec, got, sizeof(got)) != w ||
			    strcmp(got, want) != 0) {
				if (bad++ < 5)
					printf("# %s != %s\n", got, want);
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
}

/* money_parse of a NUL-terminated text; the result code, *out = -1 when
 * it failed (and must then be untouched), why in a static buffer. */
static char parse_why[256];

static enum money_parse_result
parse(const char *s, int dec, int64_t *out)
{
	parse_why[0] = '\0';
	*out = -1;
	return money_parse(s, strlen(s), dec, out, parse_why,
	    sizeof(parse_why));
}

/* The amount s parses to with dec decimals, or -1 when refused. */
static int64_t
parsed(const char *s, int dec)
{
	int64_t v;

	return parse(s, dec, &v) == MONEY_PARSE_OK ? v : -1;
}

static void
test_parse_values(void)
{
	CHECK_EQ_INT(parsed("12", 2), 1200);
	CHECK_EQ_INT(parsed("12.5", 2), 1250);
	CHECK_EQ_INT(parsed("12.50", 2), 1250);
	CHECK_EQ_INT(parsed("12.05", 2), 1205);
	CHECK_EQ_INT(parsed("0.01", 2), 1);
	CHECK_EQ_INT(parsed("0.05", 2), 5);
	CHECK_EQ_INT(parsed("0", 2), 0);
	CHECK_EQ_INT(parsed("0.00", 2), 0);
	CHECK_EQ_INT(parsed("007.50", 2), 750);
	CHECK_EQ_INT(parsed("1234567.89", 2), 123456789);
	/* A point without digits on one side. */
	CHECK_EQ_INT(parsed(".5", 2), 50);
	CHECK_EQ_INT(parsed(".05", 2), 5);
	CHECK_EQ_INT(parsed("12.", 2), 1200);
	CHECK_EQ_INT(parsed("12.", 0), 12);
	/* JPY: no decimals. */
	CHECK_EQ_INT(parsed("1250", 0), 1250);
	CHECK_EQ_INT(parsed("0", 0), 0);
	/* BHD: three. */
	CHECK_EQ_INT(parsed("1.234", 3), 1234);
	CHECK_EQ_INT(parsed("1.5", 3), 1500);
	CHECK_EQ_INT(parsed("0.001", 3), 1);
	CHECK_EQ_INT(parsed("7", 3), 7000);
	/* CLF: four; one decimal. */
	CHECK_EQ_INT(parsed("1.2345", 4), 12345);
	CHECK_EQ_INT(parsed("3", 4), 30000);
	CHECK_EQ_INT(parsed("1.5", 1), 15);
}

static void
test_parse_limits(void)
{
	int64_t v;

	/* 10^15 minor units exactly, in each number of decimals. */
	CHECK_EQ_INT(parsed("1000000000000000", 0), CB_MONEY_MAX_AMOUNT);
	CHECK_EQ_INT(parsed("10000000000000", 2), CB_MONEY_MAX_AMOUNT);
	CHECK_EQ_INT(parsed("10000000000000.00", 2), CB_MONEY_MAX_AMOUNT);
	CHECK_EQ_INT(parsed("10000000000000.", 2), CB_MONEY_MAX_AMOUNT);
	CHECK_EQ_INT(parsed("1000000000000.000", 3), CB_MONEY_MAX_AMOUNT);
	CHECK_EQ_INT(parsed("100000000000.0000", 4), CB_MONEY_MAX_AMOUNT);
	CHECK_EQ_INT(parsed("9999999999999.99", 2), CB_MONEY_MAX_AMOUNT - 1);
	CHECK_EQ_INT(parsed("0000000000000000000000000001", 2), 100);
	/* One minor unit more. */
	CHECK_EQ_INT(parse("1000000000000001", 0, &v), MONEY_PARSE_RANGE);
	CHECK_EQ_INT(v, -1);
	CHECK(strstr(parse_why, "10000000000000.00") == NULL);
	CHECK(strstr(parse_why, "1000000000000000") != NULL);
	CHECK_EQ_INT(parse("10000000000000.01", 2, &v), MONEY_PARSE_RANGE);
	CHECK(strstr(parse_why, "too large") != NULL);
	CHECK(strstr(parse_why, "10000000000000.00") != NULL);
	CHECK_EQ_INT(parse("10000000000001", 2, &v), MONEY_PARSE_RANGE);
	CHECK_EQ_INT(parse("1000000000000.001", 3, &v), MONEY_PARSE_RANGE);
	/* Only the scaling pushes it over. */
	CHECK_EQ_INT(parse("100000000000001", 1, &v), MONEY_PARSE_RANGE);
	CHECK_EQ_INT(parse("100000000000000", 2, &v), MONEY_PARSE_RANGE);
	/* Past int64, and far past: never wraps into a small number. */
	CHECK_EQ_INT(parse("9223372036854775807", 0, &v), MONEY_PARSE_RANGE);
	CHECK_EQ_INT(parse("9223372036854775808", 0, &v), MONEY_PARSE_RANGE);
	CHECK_EQ_INT(parse("18446744073709551616", 0, &v), MONEY_PARSE_RANGE);
	CHECK_EQ_INT(parse("92233720368547758.08", 2, &v), MONEY_PARSE_RANGE);
	CHECK_EQ_INT(parse("1000000000000000000000000000000000000000.00", 2,
	    &v), MONEY_PARSE_RANGE);
	CHECK_EQ_INT(v, -1);
}

static void
test_parse_decimals(void)
{
	int64_t v;

	CHECK_EQ_INT(parse("12.505", 2, &v), MONEY_PARSE_DECIMALS);
	CHECK_EQ_INT(v, -1);
	CHECK_EQ_STR(parse_why, "at most 2 decimals are allowed");
	/* Trailing zeros count: the text says more than EUR can hold. */
	CHECK_EQ_INT(parse("12.500", 2, &v), MONEY_PARSE_DECIMALS);
	CHECK_EQ_INT(parse("0.001", 2, &v), MONEY_PARSE_DECIMALS);
	/* JPY with a decimal point and digits after it. */
	CHECK_EQ_INT(parse("12.5", 0, &v), MONEY_PARSE_DECIMALS);
	CHECK_EQ_STR(parse_why, "no decimals are allowed");
	CHECK_EQ_INT(parse("12.0", 0, &v), MONEY_PARSE_DECIMALS);
	CHECK_EQ_INT(parse(".5", 0, &v), MONEY_PARSE_DECIMALS);
	/* BHD: three, not four. */
	CHECK_EQ_INT(parsed("1.234", 3), 1234);
	CHECK_EQ_INT(parse("1.2345", 3, &v), MONEY_PARSE_DECIMALS);
	CHECK_EQ_STR(parse_why, "at most 3 decimals are allowed");
	CHECK_EQ_INT(parse("1.25", 1, &v), MONEY_PARSE_DECIMALS);
	CHECK_EQ_STR(parse_why, "at most 1 decimal is allowed");
	CHECK_EQ_INT(parse("1.23456", 4, &v), MONEY_PARSE_DECIMALS);
	/* Decimals are judged before the range. */
	CHECK_EQ_INT(parse("99999999999999999999.999", 2, &v),
	    MONEY_PARSE_DECIMALS);
	CHECK_EQ_INT(v, -1);
}

static void
test_parse_syntax(void)
{
	static const struct {
		const char *s, *why;
	} bad[] = {
		{ "-3.25", "no sign" },
		{ "+3.25", "no sign" },
		{ "3-", "no sign" },
		{ "1,250.00", "thousands separators" },
		{ "12,50", "decimal commas" },
		{ "1_000", "thousands separators" },
		{ "1'000", "thousands separators" },
		{ "1 000", "no spaces" },
		{ " 12", "no spaces" },
		{ "12 ", "no spaces" },
		{ "12\t", "no spaces" },
		{ "1e3", "no exponents" },
		{ "1E3", "no exponents" },
		{ "1.5e2", "no exponents" },
		{ "e3", "only digits" },
		{ "abc", "only digits" },
		{ "12abc", "only digits" },
		{ "0x10", "only digits" },
		{ "1.2.3", "more than one decimal point" },
		{ "1..2", "more than one decimal point" },
		{ ".", "no digits" },
		{ "..", "more than one decimal point" },
		{ "inf", "only digits" },
		{ "NaN", "only digits" },
		{ "\xef\xbc\x91", "only digits" },	/* fullwidth 1 */
		{ "12\n", "only digits" },
	};
	int64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum money_parse_result r = parse(bad[i].s, 2, &v);

		if (r != MONEY_PARSE_SYNTAX ||
		    strstr(parse_why, bad[i].why) == NULL)
			printf("# '%s': %d, %s\n", bad[i].s, (int)r,
			    parse_why);
		CHECK_EQ_INT(r, MONEY_PARSE_SYNTAX);
		CHECK(strstr(parse_why, bad[i].why) != NULL);
		CHECK_EQ_INT(v, -1);
	}
	CHECK_EQ_INT(parse("", 2, &v), MONEY_PARSE_EMPTY);
	CHECK_EQ_STR(parse_why, "no amount given");
	CHECK_EQ_INT(v, -1);
	/* Syntax is judged over the whole text before decimals. */
	CHECK_EQ_INT(parse("1.234,5", 2, &v), MONEY_PARSE_SYNTAX);
	/* The length given is what counts: a NUL inside is a bad byte. */
	CHECK_EQ_INT(money_parse("12.5", 2, 2, &v, NULL, 0), MONEY_PARSE_OK);
	CHECK_EQ_INT(v, 1200);
	CHECK_EQ_INT(money_parse("1\0002", 3, 2, &v, NULL, 0),
	    MONEY_PARSE_SYNTAX);
	/* Decimals outside 0..4: a caller's bug, refused. */
	CHECK_EQ_INT(parse("1", 5, &v), MONEY_PARSE_SYNTAX);
	CHECK_EQ_INT(parse("1", -1, &v), MONEY_PARSE_SYNTAX);
	CHECK_EQ_INT(v, -1);
	/* A tiny why buffer is cut, never overrun. */
	parse_why[4] = 'x';
	CHECK_EQ_INT(money_parse("-1", 2, 2, &v, parse_why, 4),
	    MONEY_PARSE_SYNTAX);
	CHECK_EQ_INT(strlen(parse_why), 3);
	CHECK(parse_why[4] == 'x');
}

/* Every amount money_format writes, money_parse reads back exactly. */
static void
test_parse_round_trip(void)
{
	uint64_t x = 0x2545f4914f6cdd1du;
	int bad = 0;

	for (int i = 0; i < 20000; i++) {
		char buf[CB_MONEY_FORMAT_MAX];
		int64_t v, got;

		x ^= x << 13;			/* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		v = (int64_t)(x % (uint64_t)(CB_MONEY_MAX_AMOUNT + 1));
		if (i % 3 == 0)
			v %= 100000;
		if (i < 2)
			v = i == 0 ? 0 : CB_MONEY_MAX_AMOUNT;
		for (int dec = 0; dec <= CB_MONEY_MAX_DECIMALS; dec++) {
			int n = money_format(v, dec, buf, sizeof(buf));

			if (n < 0 || money_parse(buf, (size_t)n, dec, &got,
			    NULL, 0) != MONEY_PARSE_OK || got != v) {
				if (bad++ < 5)
					printf("# %s (%d) did not read back as "
					    "%" PRId64 "\n", buf, dec, v);
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
}

static bool
date(const char *s)
{
	int y, m, d;

	return caldate_parse(s, strlen(s), &y, &m, &d);
}

static void
test_date_parse(void)
{
	int y = -1, m = -1, d = -1;

	CHECK(caldate_parse("2026-01-31", 10, &y, &m, &d));
	CHECK_EQ_INT(y, 2026);
	CHECK_EQ_INT(m, 1);
	CHECK_EQ_INT(d, 31);
	CHECK(caldate_parse("1900-01-01", 10, &y, &m, &d));
	CHECK_EQ_INT(y, 1900);
	CHECK_EQ_INT(m, 1);
	CHECK_EQ_INT(d, 1);
	CHECK(caldate_parse("9999-12-31", 10, &y, &m, &d));
	CHECK_EQ_INT(y, 9999);
	CHECK_EQ_INT(m, 12);
	CHECK_EQ_INT(d, 31);
	CHECK(caldate_parse("2007-08-09", 10, &y, &m, &d));
	CHECK_EQ_INT(y, 2007);
	CHECK_EQ_INT(m, 8);
	CHECK_EQ_INT(d, 9);

	/* Failure leaves the outputs alone. */
	y = m = d = -1;
	CHECK(!caldate_parse("2026-02-30", 10, &y, &m, &d));
	CHECK(!caldate_parse("2026-13-01", 10, &y, &m, &d));
	CHECK(!caldate_parse("20260101xx", 10, &y, &m, &d));
	CHECK_EQ_INT(y, -1);
	CHECK_EQ_INT(m, -1);
	CHECK_EQ_INT(d, -1);

	/* The length given is what counts. */
	CHECK(caldate_parse("2026-01-01x", 10, &y, &m, &d));
	CHECK(!caldate_parse("2026-01-01", 9, &y, &m, &d));
	CHECK(!caldate_parse("2026-01-01\0", 11, &y, &m, &d));
}

static void
test_date_leap(void)
{
	CHECK(date("2024-02-29"));
	CHECK(!date("2023-02-29"));
	CHECK(date("2000-02-29"));		/* divisible by 400 */
	CHECK(!date("1900-02-29"));		/* century */
	CHECK(!date("2100-02-29"));
	CHECK(date("2400-02-29"));
	CHECK(date("1904-02-29"));
	CHECK(date("9996-02-29"));
	CHECK(!date("9999-02-29"));
	CHECK(!date("2024-02-30"));
	CHECK(!date("2026-02-30"));
	CHECK(date("2023-02-28"));
}

static void
test_date_month_lengths(void)
{
	static const int len[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	char s[48];		/* any int fits: -Wformat-truncation */

	for (int m = 1; m <= 12; m++) {
		for (int leap = 0; leap <= 1; leap++) {
			int y = leap ? 2024 : 2023;
			int last = len[m - 1] + (leap && m == 2);

			snprintf(s, sizeof(s), "%04d-%02d-01", y, m);
			CHECK(date(s));
			snprintf(s, sizeof(s), "%04d-%02d-%02d", y, m, last);
			if (!date(s))
				printf("# refused %s\n", s);
			CHECK(date(s));
			snprintf(s, sizeof(s), "%04d-%02d-%02d", y, m,
			    last + 1);
			if (date(s))
				printf("# accepted %s\n", s);
			CHECK(!date(s));
			snprintf(s, sizeof(s), "%04d-%02d-00", y, m);
			CHECK(!date(s));
		}
	}
	CHECK(!date("2026-00-10"));
	CHECK(!date("2026-13-10"));
	CHECK(!date("2026-99-10"));
	CHECK(!date("2026-01-32"));
	CHECK(!date("2026-01-99"));
}

static void
test_date_malformed(void)
{
	CHECK(!date(""));
	CHECK(!date("2026-01-0"));		/* short */
	CHECK(!date("2026-01-011"));		/* long */
	CHECK(!date("2026-01-01 "));
	CHECK(!date("2026-01-01T00:00"));
	CHECK(!date("2026-1-01"));
	CHECK(!date("2026-01-1"));
	CHECK(!date("2026-01-1 "));		/* 10 bytes, space */
	CHECK(!date("2026-1-01 "));
	CHECK(!date(" 2026-1-01"));
	CHECK(!date("2026-01- 1"));
	CHECK(!date("2026- 1-01"));
	CHECK(!date("+2026-01-01"));
	CHECK(!date("-2026-01-01"));
	CHECK(!date("+026-01-01"));
	CHECK(!date("-026-01-01"));
	CHECK(!date("2026-+1-01"));
	CHECK(!date("2026-01-+1"));
	CHECK(!date("2026-01--1"));
	CHECK(!date("2026/01/01"));
	CHECK(!date("2026.01.01"));
	CHECK(!date("20260101"));
	CHECK(!date("2026-0a-01"));
	CHECK(!date("abcd-01-01"));
	CHECK(!date("2O26-01-01"));		/* letter O */
	CHECK(!date("2026-01-0:"));		/* ':' is '9' + 1 */
	CHECK(!date("2026-01-0/"));		/* '/' is '0' - 1 */
	CHECK(!date("26-01-01"));
	CHECK(!date("01-01-2026"));
	CHECK(!date("\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96-01-01"));
	/* Years outside 1900..9999. */
	CHECK(!date("1899-12-31"));
	CHECK(!date("0000-01-01"));
	CHECK(!date("0001-01-01"));
	CHECK(!date("10000-01-01"));
}

static bool
hm(const char *s)
{
	int h, m;

	return caldate_parse_time(s, strlen(s), &h, &m);
}

static void
test_time(void)
{
	int h = -1, m = -1;

	CHECK(caldate_parse_time("00:00", 5, &h, &m));
	CHECK_EQ_INT(h, 0);
	CHECK_EQ_INT(m, 0);
	CHECK(caldate_parse_time("23:59", 5, &h, &m));
	CHECK_EQ_INT(h, 23);
	CHECK_EQ_INT(m, 59);
	CHECK(caldate_parse_time("07:05", 5, &h, &m));
	CHECK_EQ_INT(h, 7);
	CHECK_EQ_INT(m, 5);
	CHECK(caldate_parse_time("12:30", 5, &h, &m));
	CHECK_EQ_INT(h, 12);
	CHECK_EQ_INT(m, 30);

	h = m = -1;
	CHECK(!caldate_parse_time("24:00", 5, &h, &m));
	CHECK(!caldate_parse_time("23:60", 5, &h, &m));
	CHECK_EQ_INT(h, -1);
	CHECK_EQ_INT(m, -1);
	CHECK(!hm("7:05"));
	CHECK(!hm("07:5"));
	CHECK(!hm("99:99"));
	CHECK(!hm(""));
	CHECK(!hm("0705"));
	CHECK(!hm("07-05"));
	CHECK(!hm("07.05"));
	CHECK(!hm("07:05 "));
	CHECK(!hm(" 7:05"));
	CHECK(!hm("7:05 "));
	CHECK(!hm("+7:05"));
	CHECK(!hm("07:+5"));
	CHECK(!hm("-1:00"));
	CHECK(!hm("0a:00"));
	CHECK(!hm("00:0a"));
	CHECK(!hm("07:05:00"));
	CHECK(!caldate_parse_time("07:05", 4, &h, &m));
	CHECK(caldate_parse_time("07:05x", 5, &h, &m));
}

static void
test_days_known(void)
{
	/* From Python's datetime, see the header. */
	CHECK_EQ_INT(caldate_days(1970, 1, 1), 0);
	CHECK_EQ_INT(caldate_days(1970, 1, 2), 1);
	CHECK_EQ_INT(caldate_days(1969, 12, 31), -1);
	CHECK_EQ_INT(caldate_days(2000, 3, 1), 11017);
	CHECK_EQ_INT(caldate_days(2000, 2, 29), 11016);
	CHECK_EQ_INT(caldate_days(1900, 1, 1), -25567);
	CHECK_EQ_INT(caldate_days(1900, 3, 1), -25508);
	CHECK_EQ_INT(caldate_days(2024, 2, 29), 19782);
	CHECK_EQ_INT(caldate_days(2026, 1, 1), 20454);
	CHECK_EQ_INT(caldate_days(2100, 3, 1), 47541);
	CHECK_EQ_INT(caldate_days(9999, 12, 31), 2932896);
}

/* Walk every candidate "YYYY-MM-DD" from 1900 to 9999: the dates
 * caldate_parse accepts must be exactly one day apart each, with 365 or
 * 366 per year, and end on the known last day number. */
static void
test_days_walk(void)
{
	int32_t prev = caldate_days(1900, 1, 1) - 1;
	int bad = 0;
	char s[48];		/* any int fits: -Wformat-truncation */

	for (int y = CB_CALDATE_MIN_YEAR; y <= CB_CALDATE_MAX_YEAR; y++) {
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		int count = 0;

		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= 31; d++) {
				int py, pm, pd;

				snprintf(s, sizeof(s), "%04d-%02d-%02d", y, m,
				    d);
				if (!caldate_parse(s, 10, &py, &pm, &pd))
					continue;
				count++;
				if (caldate_days(py, pm, pd) != prev + 1 &&
				    bad++ < 5)
					printf("# gap at %s\n", s);
				prev = caldate_days(py, pm, pd);
			}
		}
		if (count != 365 + leap && bad++ < 5)
			printf("# %d has %d days\n", y, count);
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(prev, 2932896);
}

int
main(void)
{
	tap_run("currency code shape", test_currency_valid);
	tap_run("currency decimals per ISO 4217", test_currency_decimals);
	tap_run("largest entry amount is 10^15", test_max_amount);
	tap_run("add detects int64 overflow", test_add);
	tap_run("sub detects int64 overflow", test_sub);
	tap_run("formats amounts", test_format);
	tap_run("format respects the buffer", test_format_buffer);
	tap_run("format agrees with printf", test_format_agrees_with_printf);
	tap_run("parses amounts into minor units", test_parse_values);
	tap_run("parse limit is 10^15 minor units", test_parse_limits);
	tap_run("parse refuses extra decimals", test_parse_decimals);
	tap_run("parse refuses bad syntax, saying why", test_parse_syntax);
	tap_run("parse reads back what format writes", test_parse_round_trip);
	tap_run("parses YYYY-MM-DD", test_date_parse);
	tap_run("Gregorian leap years", test_date_leap);
	tap_run("month lengths", test_date_month_lengths);
	tap_run("refuses malformed dates", test_date_malformed);
	tap_run("parses HH:MM", test_time);
	tap_run("day numbers of known dates", test_days_known);
	tap_run("day numbers of every date are consecutive", test_days_walk);
	return tap_done();
}
