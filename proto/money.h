/*
 * money.h -- exact amounts of money: ISO 4217 minor units, checked int64
 * arithmetic and formatting for people.
 *
 * Owns: the table of currency decimals and the rules for amounts.
 * Never: uses floating point, allocates, does I/O or keeps state, so every
 * function here is safe to call from any thread.
 *
 * An amount is an int64_t count of minor units (cents for EUR, yen for
 * JPY, fils for KWD); how many decimals a currency has comes from
 * money_currency_decimals().
 */
#ifndef CASHBOOK_PROTO_MONEY_H
#define CASHBOOK_PROTO_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest single entry amount, in minor units (10^15).  Far below
 * INT64_MAX (~9.2 * 10^18) so that sums of many entries stay exact. */
#define CB_MONEY_MAX_AMOUNT 1000000000000000LL

/* Most minor-unit decimals any currency has (CLF, UYW). */
#define CB_MONEY_MAX_DECIMALS 4

/* Bytes money_format() may need, NUL included: sign, 19 digits of
 * INT64_MIN, the decimal point and the NUL ("-922337203685477.5808"). */
#define CB_MONEY_FORMAT_MAX 22

/* True when code[0..len) is exactly three ASCII uppercase letters, the
 * shape of an ISO 4217 alphabetic code.  Whether the code is assigned is
 * not checked: a book may use a currency newer than this table. */
bool money_currency_valid(const char *code, size_t len);

/* Minor-unit decimals of an ISO 4217 code per the standard's current
 * list: 0 (JPY), 2 (EUR), 3 (KWD) or 4 (CLF).  Unknown codes 2, as are
 * the codes without a minor unit in the list (XXX, XAU, XDR...): two
 * decimals is what most currencies use and never loses a cent. */
int money_currency_decimals(const char *code, size_t len);

/* *out = a + b (a - b).  False, and *out left untouched, when the result
 * would not fit an int64_t. */
bool money_add(int64_t a, int64_t b, int64_t *out);
bool money_sub(int64_t a, int64_t b, int64_t *out);

/* Write minor as a decimal number with decimals (0..4) places into
 * buf[0..len), NUL-terminated: "-1234.56", "0.05", "42".  No thousands
 * separators, '-' only for negatives.  Returns the length without the
 * NUL, or -1 (buf untouched) when decimals is out of range or buf is too
 * small; CB_MONEY_FORMAT_MAX bytes are always enough. */
int money_format(int64_t minor, int decimals, char *buf, size_t len);

/* What money_parse() found wrong with a text; MONEY_PARSE_OK (0) when
 * nothing. */
enum money_parse_result {
	MONEY_PARSE_OK = 0,
	MONEY_PARSE_EMPTY,	/* "" */
	MONEY_PARSE_SYNTAX,	/* not digits with at most one point: a sign,
				   a thousands separator, an exponent, a
				   space, a letter, two points, "." alone */
	MONEY_PARSE_DECIMALS,	/* more fractional digits than decimals */
	MONEY_PARSE_RANGE,	/* over CB_MONEY_MAX_AMOUNT minor units */
};

/*
 * Parse s[0..len), an amount as a person types it, into minor units of a
 * currency with decimals (0..4) places: "12" -> 1200, "12.5" -> 1250,
 * "12.50" -> 1250, "0.05" -> 5 for decimals 2.  The text is ASCII digits
 * with at most one '.'; ".5" (0.5) and "12." (12) are accepted, "." is
 * not.  Refused, each with its own reason: signs (amounts are never
 * negative), thousands separators ("1,250"), spaces, exponents ("1e3"),
 * more fractional digits than decimals, even zeros ("12.500" for 2:
 * the text says more than the currency can hold), and more than
 * CB_MONEY_MAX_AMOUNT minor units.  0 is accepted (callers that need a
 * positive amount check it).  Integer arithmetic only; never overflows
 * however long the text.
 *
 * On MONEY_PARSE_OK *out is set; otherwise *out is untouched and why
 * (may be NULL) says what is wrong, without repeating the text, e.g.
 * "at most 2 decimals are allowed".  Syntax is checked over the whole
 * text before decimals, and decimals before the range.  decimals outside
 * 0..4 is MONEY_PARSE_SYNTAX (a caller's bug).
 */
enum money_parse_result money_parse(const char *s, size_t len, int decimals,
    int64_t *out, char *why, size_t whylen);

#endif
