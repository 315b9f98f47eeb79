/*
 * token.h -- session tokens: made, parsed and checked here, stored by the
 * caller.
 *
 * The client holds
 *
 *     cb1_<session_id>_<secret>
 *
 * where session_id is the session row's id (a positive int64 in decimal,
 * no sign, no leading zero) and secret is 32 bytes from getrandom(2) in
 * base64url without padding (exactly 43 characters).  The database keeps
 * only a struct token_record for the session: a 16-byte random salt and
 * argon2id(t=1, m=8 KiB, p=1) of the secret under that salt.  The secret
 * has 256 bits of entropy, so a minimal-cost hash is enough: it only has to
 * make a stolen database useless for logging in, not slow down guessing.
 *
 * token_parse() is strict: the exact prefix, decimal digits within int64,
 * one separator, exactly TOKEN_SECRET_CHARS base64url characters whose
 * spare bits are zero (so one secret has exactly one spelling), nothing
 * after, and no more than TOKEN_MAX_LEN bytes in all.  Anything else is
 * rejected before any database work.
 *
 * What this module owns: nothing (no state at all; every function is
 * reentrant).  What it must never do: keep, log or store a secret or a
 * whole token; it wipes the secrets it held on the stack before returning.
 */
#ifndef CASHBOOK_DAEMON_TOKEN_H
#define CASHBOOK_DAEMON_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_PREFIX		"cb1_"
#define TOKEN_PREFIX_LEN	4
#define TOKEN_ID_MAX_DIGITS	19	/* INT64_MAX = 9223372036854775807 */
#define TOKEN_SECRET_BYTES	32
#define TOKEN_SECRET_CHARS	43	/* ceil(32 * 8 / 6), no padding */
#define TOKEN_SALT_BYTES	16
#define TOKEN_HASH_BYTES	32

/* Longest valid token, and a buffer that holds any valid token and its
 * NUL. */
#define TOKEN_MAX_LEN \
	(TOKEN_PREFIX_LEN + TOKEN_ID_MAX_DIGITS + 1 + TOKEN_SECRET_CHARS)
#define TOKEN_BUF_SIZE		(TOKEN_MAX_LEN + 1)

/* argon2id cost for the token hash: the minimum argon2 allows. */
#define TOKEN_ARGON2_T_COST	1
#define TOKEN_ARGON2_M_COST_KIB	8
#define TOKEN_ARGON2_PARALLELISM 1

/* What the session row stores (two blobs). */
struct token_record {
	uint8_t salt[TOKEN_SALT_BYTES];
	uint8_t hash[TOKEN_HASH_BYTES];
};

enum token_verdict {
	TOKEN_MATCH,
	TOKEN_MISMATCH,
	TOKEN_ERROR,		/* argon2 failed (out of memory) */
};

/* Make a token for session_id (> 0): the string for the client in
 * out[outlen] (outlen >= TOKEN_BUF_SIZE, NUL-terminated) and the record to
 * store in *rec.  0, or -1 (bad arguments, getrandom or argon2 failure). */
int token_new(int64_t session_id, char *out, size_t outlen,
    struct token_record *rec);

/* Parse the len bytes at s (need not be NUL-terminated).  0 with
 * *session_id and secret filled, or -1 for anything not a well-formed
 * token; on -1 the outputs are zeroed. */
int token_parse(const char *s, size_t len, int64_t *session_id,
    uint8_t secret[TOKEN_SECRET_BYTES]);

/* Hash secret under rec->salt and compare with rec->hash in constant time. */
enum token_verdict token_verify(const uint8_t secret[TOKEN_SECRET_BYTES],
    const struct token_record *rec);

#endif
