/*
 * money.c -- see money.h.  The decimals table follows ISO 4217 list one
 * (the SIX maintenance agency's current currency list); every code not in
 * it has two decimals.
 */
#include <string.h>

#include "errbuf.h"
#include "money.h"

/* Sorted codes per decimal count; the lists are short enough that a
 * linear scan is as fast as anything cleverer. */
static const char money_zero_decimals[][4] = {
	"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
	"RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
};
static const char money_three_decimals[][4] = {
	"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
};
static const char money_four_decimals[][4] = {
	"CLF", "UYW",
};

#define MONEY_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool
money_in_list(const char *code, const char (*list)[4], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(code, list[i], 3) == 0)
			return true;
	return false;
}

bool
money_currency_valid(const char *code, size_t len)
{
	if (len != 3)
		return false;
	for (size_t i = 0; i < 3; i++)
		if (code[i] < 'A' || code[i] > 'Z')
			return false;
	return true;
}

int
money_currency_decimals(const char *code, size_t len)
{
	/* Malformed codes are unknown codes: 2, like any other. */
	if (!money_currency_valid(code, len))
		return 2;
	if (money_in_list(code, money_zero_decimals,
	    MONEY_COUNT(money_zero_decimals)))
		return 0;
	if (money_in_list(code, money_three_decimals,
	    MONEY_COUNT(money_three_decimals)))
		return 3;
	if (money_in_list(code, money_four_decimals,
	    MONEY_COUNT(money_four_decimals)))
		return 4;
	return 2;
}

bool
money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return false;
	*out = r;
	return true;
}

bool
money_sub(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return false;
	*out = r;
	return true;
}

int
money_format(int64_t minor, int decimals, char *buf, size_t len)
{
	char tmp[CB_MONEY_FORMAT_MAX];
	size_t n = 0, out = 0;
	uint64_t mag;

	if (decimals < 0 || decimals > CB_MONEY_MAX_DECIMALS)
		return -1;
	/* The magnitude in unsigned arithmetic: -INT64_MIN does not fit an
	 * int64_t, but 0 - (uint64_t)INT64_MIN is exactly 2^63. */
	mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;

	/* Digits least significant first, with at least decimals + 1 of
	 * them so that 5 cents reads "0.05", not ".05". */
	do {
		tmp[n++] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag != 0 || n < (size_t)decimals + 1);

	if ((minor < 0 ? 1 : 0) + n + (decimals > 0 ? 1 : 0) + 1 > len)
		return -1;
	if (minor < 0)
		buf[out++] = '-';
	while (n > 0) {
		if (n == (size_t)decimals)
			buf[out++] = '.';
		buf[out++] = tmp[--n];
	}
	buf[out] = '\0';
	return (int)out;
}

/*
 * Why the byte c at position i of s cannot be part of an amount; NULL when
 * it can (a digit, or the first '.').  *points counts the points seen.
 */
static const char *
money_syntax_error(const char *s, size_t i, int *points)
{
	char c = s[i];

	if (c >= '0' && c <= '9')
		return NULL;
	if (c == '.')
		return ++*points > 1 ? "more than one decimal point" : NULL;
	if (c == '-' || c == '+')
		return "no sign allowed: amounts are never negative (an "
		    "entry's type says whether money goes in or out)";
	if (c == ',' || c == '_' || c == '\'')
		return "no thousands separators or decimal commas: write the "
		    "digits together with '.' for the decimal point, e.g. "
		    "1250.50";
	if (c == ' ' || c == '\t')
		return "no spaces allowed";
	if ((c == 'e' || c == 'E') && i > 0 && s[i - 1] >= '0' &&
	    s[i - 1] <= '9')
		return "no exponents allowed: write the digits out";
	return "only digits and one '.' are allowed";
}

enum money_parse_result
money_parse(const char *s, size_t len, int decimals, int64_t *out,
    char *why, size_t whylen)
{
	char max[CB_MONEY_FORMAT_MAX];
	const char *err;
	size_t i, fraction = 0;
	int64_t v = 0;
	bool point = false, digits = false, over = false;
	int points = 0;

	if (decimals < 0 || decimals > CB_MONEY_MAX_DECIMALS) {
		errbuf_set(why, whylen, "decimals must be 0 to %d",
		    CB_MONEY_MAX_DECIMALS);
		return MONEY_PARSE_SYNTAX;
	}
	if (len == 0) {
		errbuf_set(why, whylen, "no amount given");
		return MONEY_PARSE_EMPTY;
	}
	for (i = 0; i < len; i++) {
		if ((err = money_syntax_error(s, i, &points)) != NULL) {
			errbuf_set(why, whylen, "%s", err);
			return MONEY_PARSE_SYNTAX;
		}
		digits |= s[i] != '.';
	}
	if (!digits) {
		errbuf_set(why, whylen, "no digits");
		return MONEY_PARSE_SYNTAX;
	}
	/* Minor units, digit by digit.  v never exceeds 10 * 10^15 + 9
	 * (it is multiplied only while <= 10^15), far from INT64_MAX; past
	 * the maximum only the syntax and the decimals are still read. */
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			point = true;
			continue;
		}
		if (point && ++fraction > (size_t)decimals) {
			if (decimals == 0)
				errbuf_set(why, whylen, "no decimals are "
				    "allowed");
			else
				errbuf_set(why, whylen, "at most %d decimal%s "
				    "allowed", decimals, decimals == 1 ?
				    " is" : "s are");
			return MONEY_PARSE_DECIMALS;
		}
		if (v > CB_MONEY_MAX_AMOUNT)
			over = true;
		else
			v = v * 10 + (s[i] - '0');
	}
	/* The places not written: "12.5" is 12.50. */
	for (; fraction < (size_t)decimals; fraction++) {
		if (v > CB_MONEY_MAX_AMOUNT)
			over = true;
		else
			v *= 10;
	}
	if (over || v > CB_MONEY_MAX_AMOUNT) {
		(void)money_format(CB_MONEY_MAX_AMOUNT, decimals, max,
		    sizeof max);
		errbuf_set(why, whylen, "too large: the most an entry may "
		    "hold is %s", max);
		return MONEY_PARSE_RANGE;
	}
	*out = v;
	return MONEY_PARSE_OK;
}
