/*
 * password.c -- argon2id password hashes (see password.h).
 *
 * libargon2 does the hashing, the encoding and the constant-time compare
 * (argon2id_hash_encoded, argon2id_verify).  What we add is a strict parse
 * of the stored string before argon2 sees it: its decoder is not public in
 * every build, and we must read the parameters anyway, both to bound them
 * (argon2_verify would happily allocate whatever m= a corrupt row names) and
 * to tell the caller when the hash should be redone with today's ones.
 */
#include <argon2.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"
#include "random.h"

/* Sizes accepted in a stored string: argon2's minimum salt, a hash long
 * enough not to collide, and no more than 64 bytes of either. */
#define STORED_SALT_MIN	8
#define STORED_SALT_MAX	64
#define STORED_HASH_MIN	16
#define STORED_HASH_MAX	64

struct password_hasher {
	struct password_params params;
	char dummy[PASSWORD_ENCODED_MAX];
};

/* What the strict parser reads out of a stored string. */
struct stored_hash {
	struct password_params params;
	size_t saltlen, hashlen;
};

void
password_params_default(struct password_params *p)
{
	p->t_cost = CB_PASSWORD_DEFAULT_T_COST;
	p->m_cost_kib = CB_PASSWORD_DEFAULT_M_COST_KIB;
	p->parallelism = CB_PASSWORD_DEFAULT_PARALLELISM;
}

int
password_params_check(const struct password_params *p, char *err,
    size_t errlen)
{
	if (p->t_cost < CB_PASSWORD_MIN_T_COST ||
	    p->t_cost > CB_PASSWORD_MAX_T_COST) {
		snprintf(err, errlen, "argon2 t_cost must be %d..%d",
		    CB_PASSWORD_MIN_T_COST, CB_PASSWORD_MAX_T_COST);
		return -1;
	}
	if (p->m_cost_kib < CB_PASSWORD_MIN_M_COST_KIB ||
	    p->m_cost_kib > CB_PASSWORD_MAX_M_COST_KIB) {
		snprintf(err, errlen, "argon2 m_cost must be %u..%u KiB",
		    (unsigned)CB_PASSWORD_MIN_M_COST_KIB,
		    (unsigned)CB_PASSWORD_MAX_M_COST_KIB);
		return -1;
	}
	if (p->parallelism < CB_PASSWORD_MIN_PARALLELISM ||
	    p->parallelism > CB_PASSWORD_MAX_PARALLELISM) {
		snprintf(err, errlen, "argon2 parallelism must be %d..%d",
		    CB_PASSWORD_MIN_PARALLELISM, CB_PASSWORD_MAX_PARALLELISM);
		return -1;
	}
	return 0;
}

/* Read a decimal uint32 at *sp: 1..10 digits, no sign, no leading zero,
 * value <= UINT32_MAX.  Advances *sp past the digits. */
static int
parse_u32(const char **sp, uint32_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (n == 10)
			return -1;
		v = v * 10 + (uint64_t)(s[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && s[0] == '0') || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	*sp = s + n;
	return 0;
}

/* Match the literal lit at *sp and advance past it. */
static int
parse_lit(const char **sp, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*sp, lit, n) != 0)
		return -1;
	*sp += n;
	return 0;
}

/* Count the unpadded standard base64 characters at *sp (argon2's alphabet)
 * and return the number of bytes they decode to, or -1 for a length no
 * encoding produces.  Whether the last character's spare bits are zero is
 * left to argon2's own decoder, which rejects them. */
static long
parse_b64(const char **sp)
{
	const char *s = *sp;
	size_t n = 0;

	while ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
	    (s[n] >= '0' && s[n] <= '9') || s[n] == '+' || s[n] == '/')
		n++;
	if (n == 0 || n % 4 == 1)
		return -1;
	*sp = s + n;
	return (long)(n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1));
}

/* Parse "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH" exactly, with every value
 * within what we are willing to compute.  0 or -1. */
static int
stored_parse(const char *enc, struct stored_hash *out)
{
	const char *s = enc;
	long saltlen, hashlen;

	if (strnlen(enc, PASSWORD_ENCODED_MAX) >= PASSWORD_ENCODED_MAX)
		return -1;
	if (parse_lit(&s, "$argon2id$v=19$m=") != 0 ||
	    parse_u32(&s, &out->params.m_cost_kib) != 0 ||
	    parse_lit(&s, ",t=") != 0 ||
	    parse_u32(&s, &out->params.t_cost) != 0 ||
	    parse_lit(&s, ",p=") != 0 ||
	    parse_u32(&s, &out->params.parallelism) != 0 ||
	    parse_lit(&s, "$") != 0 ||
	    (saltlen = parse_b64(&s)) < 0 ||
	    parse_lit(&s, "$") != 0 ||
	    (hashlen = parse_b64(&s)) < 0 ||
	    *s != '\0')
		return -1;

	/* Old hashes may be weaker than today's floor (they verify, then get
	 * rehashed), but never more expensive than our ceiling, and never
	 * below what argon2 itself accepts: 8 KiB per lane, one pass. */
	if (out->params.t_cost < 1 ||
	    out->params.t_cost > CB_PASSWORD_MAX_T_COST ||
	    out->params.parallelism < 1 ||
	    out->params.parallelism > CB_PASSWORD_MAX_PARALLELISM ||
	    out->params.m_cost_kib < 8 * out->params.parallelism ||
	    out->params.m_cost_kib > CB_PASSWORD_MAX_M_COST_KIB ||
	    saltlen < STORED_SALT_MIN || saltlen > STORED_SALT_MAX ||
	    hashlen < STORED_HASH_MIN || hashlen > STORED_HASH_MAX)
		return -1;
	out->saltlen = (size_t)saltlen;
	out->hashlen = (size_t)hashlen;
	return 0;
}

/* Hash with explicit parameters and a fresh salt; the shared body of
 * password_hash() and the dummy made by password_hasher_new(). */
static int
hash_with(const struct password_params *p, const void *pwd, size_t pwdlen,
    char *out, size_t outlen, char *err, size_t errlen)
{
	unsigned char salt[PASSWORD_SALT_BYTES];
	int rc;

	if (pwdlen > CB_PASSWORD_MAX_LEN) {
		snprintf(err, errlen, "password longer than %d bytes",
		    CB_PASSWORD_MAX_LEN);
		return -1;
	}
	if (outlen < PASSWORD_ENCODED_MAX) {
		snprintf(err, errlen, "hash buffer too small");
		return -1;
	}
	if (random_fill(salt, sizeof salt) != 0) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		return -1;
	}
	rc = argon2id_hash_encoded(p->t_cost, p->m_cost_kib, p->parallelism,
	    pwdlen == 0 ? NULL : pwd, pwdlen, salt, sizeof salt,
	    PASSWORD_HASH_BYTES, out, outlen);
	if (rc != ARGON2_OK) {
		snprintf(err, errlen, "argon2: %s", argon2_error_message(rc));
		return -1;
	}
	return 0;
}

struct password_hasher *
password_hasher_new(const struct password_params *p, char *err,
    size_t errlen)
{
	struct password_hasher *h;
	unsigned char pwd[32];

	if (password_params_check(p, err, errlen) != 0)
		return NULL;
	h = calloc(1, sizeof *h);
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->params = *p;

	/* The dummy's password is random and forgotten at once, so no input
	 * can ever match it. */
	if (random_fill(pwd, sizeof pwd) != 0) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		free(h);
		return NULL;
	}
	if (hash_with(p, pwd, sizeof pwd, h->dummy, sizeof h->dummy, err,
	    errlen) != 0) {
		explicit_bzero(pwd, sizeof pwd);
		free(h);
		return NULL;
	}
	explicit_bzero(pwd, sizeof pwd);
	return h;
}

void
password_hasher_free(struct password_hasher *h)
{
	free(h);
}

const struct password_params *
password_hasher_params(const struct password_hasher *h)
{
	return &h->params;
}

int
password_hash(const struct password_hasher *h, const void *pwd,
    size_t pwdlen, char *out, size_t outlen, char *err, size_t errlen)
{
	return hash_with(&h->params, pwd, pwdlen, out, outlen, err, errlen);
}

/* Run argon2's verify (decode, hash, constant-time compare). */
static enum password_verdict
verify_encoded(const char *encoded, const void *pwd, size_t pwdlen)
{
	int rc;

	rc = argon2id_verify(encoded, pwdlen == 0 ? NULL : pwd, pwdlen);
	if (rc == ARGON2_OK)
		return PASSWORD_MATCH;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return PASSWORD_MISMATCH;
	return PASSWORD_ERROR;
}

enum password_verdict
password_verify(const struct password_hasher *h, const char *encoded,
    const void *pwd, size_t pwdlen, bool *needs_rehash)
{
	struct stored_hash st;
	enum password_verdict v;

	if (needs_rehash != NULL)
		*needs_rehash = false;
	if (encoded == NULL || pwdlen > CB_PASSWORD_MAX_LEN ||
	    (pwd == NULL && pwdlen != 0) || stored_parse(encoded, &st) != 0)
		return PASSWORD_ERROR;
	v = verify_encoded(encoded, pwd, pwdlen);

	/* Any difference from today's parameters means rehash, weaker or
	 * not: lowering the cost is as deliberate a choice as raising it
	 * (libsodium's crypto_pwhash_str_needs_rehash does the same). */
	if (v == PASSWORD_MATCH && needs_rehash != NULL)
		*needs_rehash =
		    st.params.t_cost != h->params.t_cost ||
		    st.params.m_cost_kib != h->params.m_cost_kib ||
		    st.params.parallelism != h->params.parallelism ||
		    st.saltlen != PASSWORD_SALT_BYTES ||
		    st.hashlen != PASSWORD_HASH_BYTES;
	return v;
}

enum password_verdict
password_verify_dummy(const struct password_hasher *h, const void *pwd,
    size_t pwdlen)
{
	/* Same checks and the same argon2 call as password_verify(), so the
	 * two cannot be told apart by their timing; only the answer is
	 * fixed. */
	if (pwdlen > CB_PASSWORD_MAX_LEN || (pwd == NULL && pwdlen != 0))
		return PASSWORD_ERROR;
	if (verify_encoded(h->dummy, pwd, pwdlen) == PASSWORD_ERROR)
		return PASSWORD_ERROR;
	return PASSWORD_MISMATCH;
}
