/*
 * token.c -- session tokens (see token.h).  base64url here is an encoding,
 * not cryptography: the randomness is getrandom(2)'s and the hash is
 * libargon2's.
 */
#include <argon2.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "random.h"
#include "token.h"

_Static_assert(TOKEN_SECRET_CHARS == (TOKEN_SECRET_BYTES * 8 + 5) / 6,
    "TOKEN_SECRET_CHARS must encode TOKEN_SECRET_BYTES without padding");
_Static_assert(sizeof(TOKEN_PREFIX) - 1 == TOKEN_PREFIX_LEN,
    "TOKEN_PREFIX_LEN must match TOKEN_PREFIX");

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of a base64url character, or -1. */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Encode TOKEN_SECRET_BYTES into TOKEN_SECRET_CHARS characters at out (no
 * NUL). */
static void
secret_encode(const uint8_t in[TOKEN_SECRET_BYTES], char *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < TOKEN_SECRET_BYTES; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[n++] = b64url[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[n++] = b64url[(acc << (6 - bits)) & 63];
}

/* Decode exactly TOKEN_SECRET_CHARS characters; -1 on a character outside
 * the alphabet or non-zero spare bits in the last one. */
static int
secret_decode(const char *in, uint8_t out[TOKEN_SECRET_BYTES])
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;
	int v;

	for (size_t i = 0; i < TOKEN_SECRET_CHARS; i++) {
		v = b64url_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return 0;
}

static int
secret_hash(const uint8_t secret[TOKEN_SECRET_BYTES],
    const uint8_t salt[TOKEN_SALT_BYTES], uint8_t hash[TOKEN_HASH_BYTES])
{
	return argon2id_hash_raw(TOKEN_ARGON2_T_COST, TOKEN_ARGON2_M_COST_KIB,
	    TOKEN_ARGON2_PARALLELISM, secret, TOKEN_SECRET_BYTES,
	    salt, TOKEN_SALT_BYTES, hash, TOKEN_HASH_BYTES) == ARGON2_OK ?
	    0 : -1;
}

int
token_new(int64_t session_id, char *out, size_t outlen,
    struct token_record *rec)
{
	uint8_t secret[TOKEN_SECRET_BYTES];
	int n;

	if (session_id <= 0 || outlen < TOKEN_BUF_SIZE)
		return -1;
	if (random_fill(secret, sizeof secret) != 0 ||
	    random_fill(rec->salt, sizeof rec->salt) != 0)
		goto fail;
	if (secret_hash(secret, rec->salt, rec->hash) != 0)
		goto fail;
	n = snprintf(out, outlen, TOKEN_PREFIX "%lld_", (long long)session_id);
	if (n < 0 || (size_t)n + TOKEN_SECRET_CHARS + 1 > outlen)
		goto fail;
	secret_encode(secret, out + n);
	out[n + TOKEN_SECRET_CHARS] = '\0';
	explicit_bzero(secret, sizeof secret);
	return 0;
fail:
	explicit_bzero(secret, sizeof secret);
	explicit_bzero(rec, sizeof *rec);
	if (outlen > 0)
		out[0] = '\0';
	return -1;
}

int
token_parse(const char *s, size_t len, int64_t *session_id,
    uint8_t secret[TOKEN_SECRET_BYTES])
{
	uint64_t id = 0;
	size_t i, digits;

	*session_id = 0;
	memset(secret, 0, TOKEN_SECRET_BYTES);

	if (s == NULL || len > TOKEN_MAX_LEN ||
	    len < TOKEN_PREFIX_LEN + 1 + 1 + TOKEN_SECRET_CHARS ||
	    memcmp(s, TOKEN_PREFIX, TOKEN_PREFIX_LEN) != 0)
		return -1;

	/* The id: 1..19 digits, no leading zero, 1..INT64_MAX.  Nineteen
	 * digits fit in a uint64_t, so the sum cannot wrap before the check. */
	i = TOKEN_PREFIX_LEN;
	for (digits = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (digits == TOKEN_ID_MAX_DIGITS)
			return -1;
		id = id * 10 + (uint64_t)(s[i] - '0');
	}
	if (digits == 0 || s[TOKEN_PREFIX_LEN] == '0' ||
	    id > (uint64_t)INT64_MAX)
		return -1;

	/* One separator, then the secret running exactly to the end. */
	if (i >= len || s[i] != '_' || len - i - 1 != TOKEN_SECRET_CHARS)
		return -1;
	if (secret_decode(s + i + 1, secret) != 0) {
		explicit_bzero(secret, TOKEN_SECRET_BYTES);
		return -1;
	}
	*session_id = (int64_t)id;
	return 0;
}

enum token_verdict
token_verify(const uint8_t secret[TOKEN_SECRET_BYTES],
    const struct token_record *rec)
{
	uint8_t hash[TOKEN_HASH_BYTES];
	volatile uint8_t diff = 0;

	if (secret_hash(secret, rec->salt, hash) != 0)
		return TOKEN_ERROR;

	/* Constant time: every byte is compared whatever the first
	 * difference, and the volatile accumulator keeps the compiler from
	 * turning the loop into an early-exit memcmp. */
	for (size_t i = 0; i < TOKEN_HASH_BYTES; i++)
		diff |= hash[i] ^ rec->hash[i];
	explicit_bzero(hash, sizeof hash);
	return diff == 0 ? TOKEN_MATCH : TOKEN_MISMATCH;
}
