/*
 * cursor.h -- the cursors of keyset paging: "TAG.N1.N2...NK.CHECK".
 *
 * A cursor names the position of the last row a page returned (a few
 * integers: a date and an id, say); the next page starts strictly after
 * it, so rows added meanwhile cause no duplicates or gaps and a deep page
 * costs what the first does.  CHECK is a hash over the position and the
 * listing's context (the book, the trash flag...), so a mistyped,
 * truncated or foreign cursor is refused instead of silently paging from
 * somewhere else.  Not a secret: a cursor only positions within a listing
 * the caller may read anyway.
 *
 * Owns: the format and its strict parsing (no sscanf: its %d on digits out
 * of range is undefined behaviour).  Never: knows what the numbers mean.
 */
#ifndef CASHBOOK_DAEMON_CURSOR_H
#define CASHBOOK_DAEMON_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CURSOR_MAX_INTS 4

/* Write the cursor for position vals[0..n) of the listing ctx[0..nctx). */
void cursor_format(char *buf, size_t len, const char *tag,
    const int64_t *ctx, int nctx, const int64_t *vals, int n);

/* True when s[0..len) is exactly what cursor_format writes for tag and
 * ctx, with vals[0..n) read from it. */
bool cursor_parse(const char *s, size_t len, const char *tag,
    const int64_t *ctx, int nctx, int64_t *vals, int n);

#endif
