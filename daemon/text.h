/*
 * text.h -- checks on text that people type: names, categories, notes.
 */
#ifndef CASHBOOK_DAEMON_TEXT_H
#define CASHBOOK_DAEMON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is valid UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF) without control characters (C0, DEL, C1). */
bool text_is_clean(const char *s, size_t len);

/* The same, but newlines and tabs are allowed: notes and descriptions. */
bool text_is_clean_lines(const char *s, size_t len);

/* ASCII case folding into out (which holds len bytes): the key under which
 * names are unique, so "Alice" and "alice" are one name.  Other letters
 * are kept as they are (no Unicode case tables here). */
void text_fold_ascii(const char *s, size_t len, char *out);

#endif
