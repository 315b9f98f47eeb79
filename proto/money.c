/*
 * money.c -- see money.h.  The decimals table follows ISO 4217 list one
 * (the SIX maintenance agency's current currency list); every code not in
 * it has two decimals.
 */
#include <string.h>

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
