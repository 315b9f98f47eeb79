/*
 * password.h -- password hashing with argon2id (libargon2), for
 * user.register, auth.login and user.password.
 *
 * A password is stored as argon2's own encoded string,
 *
 *     $argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<hash, base64>
 *
 * carrying its own 16-byte random salt (getrandom(2)) and the parameters it
 * was made with, so the parameters can be raised later without touching old
 * rows: password_verify() says when a stored hash was made with other
 * parameters than the current ones, and the caller rehashes the password it
 * has just verified.
 *
 * A struct password_hasher holds the current parameters and a dummy hash
 * made with them at start.  For an unknown user the caller runs
 * password_verify_dummy(), which does the same work as a real verify, so a
 * wrong user and a wrong password take the same time (no user enumeration).
 *
 * What this module owns: the hasher (parameters + dummy hash), nothing else.
 * What it must never do: keep mutable state after password_hasher_new()
 * (hashing runs on worker threads: every function here is reentrant and the
 * hasher is read-only once made), log or keep a password, or run argon2 with
 * parameters from a stored string beyond the CB_PASSWORD_MAX_* bounds (a
 * corrupt row must not make the daemon allocate gigabytes).  It does not
 * bound how many hashes run at once: the gateway's hashing workers do
 * (--hash-workers), and each hash takes m_cost_kib KiB for its duration.
 *
 * Password length: the caller enforces CB_PASSWORD_MIN_LEN..
 * CB_PASSWORD_MAX_LEN for new passwords; this module refuses (returns an
 * error, never crashes) anything longer than CB_PASSWORD_MAX_LEN and
 * accepts any shorter length, including 0.
 */
#ifndef CASHBOOK_DAEMON_PASSWORD_H
#define CASHBOOK_DAEMON_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cb_limits.h"	/* CB_PASSWORD_MIN_LEN, CB_PASSWORD_MAX_LEN */

/* Defaults: OWASP's floor for argon2id (19 MiB, 2 passes, 1 lane).  The
 * daemon's flags may raise them, never lower them below these. */
#define CB_PASSWORD_DEFAULT_T_COST	2
#define CB_PASSWORD_DEFAULT_M_COST_KIB	19456
#define CB_PASSWORD_DEFAULT_PARALLELISM	1
#define CB_PASSWORD_MIN_T_COST		CB_PASSWORD_DEFAULT_T_COST
#define CB_PASSWORD_MIN_M_COST_KIB	CB_PASSWORD_DEFAULT_M_COST_KIB
#define CB_PASSWORD_MIN_PARALLELISM	CB_PASSWORD_DEFAULT_PARALLELISM

/* Upper bounds, for flags and for parameters read back from stored hashes:
 * 256 MiB, 16 passes, 8 lanes. */
#define CB_PASSWORD_MAX_T_COST		16
#define CB_PASSWORD_MAX_M_COST_KIB	(256u * 1024u)
#define CB_PASSWORD_MAX_PARALLELISM	8

/* Salt and raw hash sizes of the hashes we make. */
#define PASSWORD_SALT_BYTES		16
#define PASSWORD_HASH_BYTES		32

/* Buffer for an encoded hash, NUL included.  The longest string
 * password_verify() accepts (CB_PASSWORD_MAX_* parameters, 64-byte salt,
 * 64-byte hash) is 206 bytes; stored strings that do not fit are rejected.
 * A database column for it needs no more than this. */
#define PASSWORD_ENCODED_MAX		256

struct password_params {
	uint32_t t_cost;		/* passes */
	uint32_t m_cost_kib;		/* memory, KiB */
	uint32_t parallelism;		/* lanes (and threads per hash) */
};

enum password_verdict {
	PASSWORD_MATCH,
	PASSWORD_MISMATCH,
	PASSWORD_ERROR,		/* malformed or out-of-bounds stored string,
				 * password too long, out of memory */
};

struct password_hasher;

/* The defaults above. */
void password_params_default(struct password_params *p);

/* 0 if p is within CB_PASSWORD_MIN_*..CB_PASSWORD_MAX_*, else -1 with a
 * reason in err (for the daemon's flag parser). */
int password_params_check(const struct password_params *p, char *err,
    size_t errlen);

/* Check p, copy it and compute the dummy hash (one full hash: call once at
 * start, not on the event loop).  NULL with a reason in err on failure. */
struct password_hasher *password_hasher_new(const struct password_params *p,
    char *err, size_t errlen);
void password_hasher_free(struct password_hasher *h);

const struct password_params *password_hasher_params(
    const struct password_hasher *h);

/* Hash pwd with a fresh random salt and the current parameters into
 * out[outlen] (outlen >= PASSWORD_ENCODED_MAX) as a NUL-terminated encoded
 * string.  0, or -1 with a reason in err (password too long, getrandom or
 * argon2 failure, out of memory). */
int password_hash(const struct password_hasher *h, const void *pwd,
    size_t pwdlen, char *out, size_t outlen, char *err, size_t errlen);

/* Verify pwd against the stored encoded string (NUL-terminated).  On
 * PASSWORD_MATCH, *needs_rehash says whether the stored string was made
 * with parameters, salt or hash sizes other than the current ones; it is
 * false on every other verdict.  needs_rehash may be NULL. */
enum password_verdict password_verify(const struct password_hasher *h,
    const char *encoded, const void *pwd, size_t pwdlen, bool *needs_rehash);

/* The same work as password_verify() against a hash made with the current
 * parameters, for a user that does not exist.  Always PASSWORD_MISMATCH
 * (or PASSWORD_ERROR if argon2 itself failed, e.g. out of memory). */
enum password_verdict password_verify_dummy(const struct password_hasher *h,
    const void *pwd, size_t pwdlen);

#endif
