/*
 * utf8.c -- see utf8.h.
 */
#include <string.h>

#include "utf8.h"

size_t
utf8_char_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return len;
}

size_t
utf8_sanitize(const char *src, char *out, size_t outcap)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t left = strlen(src), used = 0, n;

	while (left > 0) {
		n = utf8_char_len(p, left);
		if (n == 0) {
			if (outcap - used < UTF8_REPLACEMENT_LEN)
				break;
			memcpy(out + used, UTF8_REPLACEMENT,
			    UTF8_REPLACEMENT_LEN);
			used += UTF8_REPLACEMENT_LEN;
			n = 1;
		} else {
			if (outcap - used < n)
				break;
			memcpy(out + used, p, n);
			used += n;
		}
		p += n;
		left -= n;
	}
	return used;
}
