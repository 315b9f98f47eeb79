/*
 * text.c -- see text.h.  A strict UTF-8 decoder per RFC 3629, table 3-7 of
 * the Unicode standard: each lead byte allows only the continuation ranges
 * that make a shortest-form, non-surrogate scalar value.
 */
#include <stdint.h>

#include "text.h"

static bool
text_check(const char *s, size_t len, bool lines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t n;
		unsigned char lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			if ((c < 0x20 && !(lines && (c == '\n' ||
			    c == '\t'))) || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
			if (c == 0xe0)
				lo = 0xa0;	/* no overlong */
			else if (c == 0xed)
				hi = 0x9f;	/* no surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
			if (c == 0xf0)
				lo = 0x90;	/* no overlong */
			else if (c == 0xf4)
				hi = 0x8f;	/* <= U+10FFFF */
		} else
			return false;
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			unsigned char cc = p[i + k];

			if (k == 1 ? (cc < lo || cc > hi) : (cc < 0x80 ||
			    cc > 0xbf))
				return false;
			cp = (cp << 6) | (cc & 0x3f);
		}
		if (cp >= 0x80 && cp <= 0x9f)
			return false;		/* C1 controls */
		i += n + 1;
	}
	return true;
}

bool
text_is_clean(const char *s, size_t len)
{
	return text_check(s, len, false);
}

bool
text_is_clean_lines(const char *s, size_t len)
{
	return text_check(s, len, true);
}

void
text_fold_ascii(const char *s, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
}
