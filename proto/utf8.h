/*
 * utf8.h -- what is and is not UTF-8, for text that crosses the wire.
 *
 * Both sides include this: the daemon to make sure every str it sends is
 * valid UTF-8 even when it quotes bytes a client sent (error messages),
 * the client to print whatever the server sent as valid JSON and aligned
 * tables.  One definition of "valid", RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF.
 *
 * Owns nothing; never allocates; keeps no state.
 */
#ifndef CASHBOOK_PROTO_UTF8_H
#define CASHBOOK_PROTO_UTF8_H

#include <stddef.h>

/* What stands for a byte that is not UTF-8: U+FFFD REPLACEMENT CHARACTER. */
#define UTF8_REPLACEMENT	"\xef\xbf\xbd"
#define UTF8_REPLACEMENT_LEN	3

/*
 * Length of the valid UTF-8 sequence at s (n >= 1 bytes available), or 0
 * when it is not one.  A sequence cut short by n is not one.
 */
size_t utf8_char_len(const unsigned char *s, size_t n);

/*
 * Copy the NUL-terminated text src into out (room for outcap bytes, no NUL
 * written) as valid UTF-8: each byte that does not begin a valid sequence
 * becomes U+FFFD, one replacement per byte (as cashbookctl's JSON does).
 * Stops before the first character (or replacement) that would not fit
 * whole, so a sequence is never cut in half.  Returns the bytes written.
 */
size_t utf8_sanitize(const char *src, char *out, size_t outcap);

#endif
