/*
 * cursor.c -- keyset paging cursors (see cursor.h).
 */
#include <stdio.h>
#include <string.h>

#include "cb_limits.h"
#include "cursor.h"

/* FNV-1a over the context and the position, written out in decimal. */
static uint32_t
cursor_check(const int64_t *ctx, int nctx, const int64_t *vals, int n)
{
	uint32_t h = 2166136261u;
	char buf[24];

	for (int i = 0; i < nctx + n; i++) {
		int w = snprintf(buf, sizeof buf, "%s%lld", i == 0 ? "" : "|",
		    (long long)(i < nctx ? ctx[i] : vals[i - nctx]));

		for (int j = 0; j < w; j++)
			h = (h ^ (unsigned char)buf[j]) * 16777619u;
	}
	return h;
}

void
cursor_format(char *buf, size_t len, const char *tag, const int64_t *ctx,
    int nctx, const int64_t *vals, int n)
{
	size_t off = 0;
	int w = snprintf(buf, len, "%s", tag);

	for (int i = 0; w >= 0 && (off += (size_t)w) < len && i < n; i++)
		w = snprintf(buf + off, len - off, ".%lld",
		    (long long)vals[i]);
	if (w >= 0 && off < len)
		snprintf(buf + off, len - off, ".%08x", cursor_check(ctx, nctx,
		    vals, n));
}

/* An optional minus and 1..19 digits, then '.'; advances *s. */
static bool
cursor_int(const char **s, const char *end, int64_t *out)
{
	bool neg = *s < end && **s == '-';
	uint64_t v = 0;
	int digits = 0;

	if (neg)
		(*s)++;
	while (*s < end && **s >= '0' && **s <= '9' && digits < 19) {
		v = v * 10 + (uint64_t)(**s - '0');
		(*s)++;
		digits++;
	}
	if (digits == 0 || *s >= end || **s != '.')
		return false;
	(*s)++;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

bool
cursor_parse(const char *s, size_t len, const char *tag, const int64_t *ctx,
    int nctx, int64_t *vals, int n)
{
	char again[CB_CURSOR_MAX + 1];
	const char *cur = s, *end = s + len;
	size_t taglen = strlen(tag);

	if (n > CURSOR_MAX_INTS || len > CB_CURSOR_MAX || len <= taglen ||
	    memcmp(s, tag, taglen) != 0 || s[taglen] != '.')
		return false;
	cur += taglen + 1;
	for (int i = 0; i < n; i++) {
		if (!cursor_int(&cur, end, &vals[i]))
			return false;
	}
	/* The check, and canonical digits, by writing it again. */
	cursor_format(again, sizeof again, tag, ctx, nctx, vals, n);
	return strlen(again) == len && memcmp(again, s, len) == 0;
}
