/*
 * test_auth_units.c -- the building blocks of accounts, driven directly:
 * password hashing (daemon/password.c), session tokens (daemon/token.c),
 * and the failed-login limiter (daemon/ratelimit.c).
 *
 * Password tests use the real default parameters (19 MiB, t=2), so the
 * file takes a few seconds.  The limiter gets its time as an argument, so
 * its tests never sleep.  The last test prints the figures quoted in
 * reviews (hash time, token verify time) as TAP diagnostics.
 */
#include <argon2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "password.h"
#include "ratelimit.h"
#include "tap.h"
#include "token.h"

/* REQUIRE evaluates its condition twice; MUST once, so it may hold a call
 * with side effects (as in test_pool.c). */
#define MUST(cond) do {							\
	if (!(cond)) {							\
		CHECK(!"MUST(" #cond ")");				\
		return;							\
	}								\
} while (0)

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One hasher with the defaults, made once: making it costs a hash. */
static struct password_hasher *default_hasher;

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t
median_i64(int64_t *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_i64);
	return v[n / 2];
}

/* A small deterministic generator for test keys (not for secrets). */
static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- password ---------------------------------------------------------- */

static void
test_password_round_trip(void)
{
	char enc[PASSWORD_ENCODED_MAX], err[128];
	const char *pw = "correct horse battery staple";
	bool rehash = true;

	MUST(password_hash(default_hasher, pw, strlen(pw), enc, sizeof enc,
	    err, sizeof err) == 0);
	CHECK_EQ_INT(password_verify(default_hasher, enc, pw, strlen(pw),
	    &rehash), PASSWORD_MATCH);
	CHECK(!rehash);

	rehash = true;
	CHECK_EQ_INT(password_verify(default_hasher, enc, "correct horse "
	    "battery stapler", strlen(pw) + 1, &rehash), PASSWORD_MISMATCH);
	CHECK(!rehash);
	CHECK_EQ_INT(password_verify(default_hasher, enc, "Correct horse "
	    "battery staple", strlen(pw), NULL), PASSWORD_MISMATCH);
	/* A prefix of the password is a different password. */
	CHECK_EQ_INT(password_verify(default_hasher, enc, pw, strlen(pw) - 1,
	    NULL), PASSWORD_MISMATCH);
}

static void
test_password_encoded_format(void)
{
	struct password_params p = { .t_cost = 3, .m_cost_kib = 20480,
	    .parallelism = 2 };
	struct password_hasher *h;
	char enc[PASSWORD_ENCODED_MAX], err[128];
	const char *salt, *hash;

	MUST(password_hash(default_hasher, "password1", 9, enc, sizeof enc,
	    err, sizeof err) == 0);
	CHECK(strncmp(enc, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	CHECK(strstr(enc, "$argon2id$") == enc);

	/* 16-byte salt: 22 base64 characters; 32-byte hash: 43. */
	salt = enc + 31;
	hash = strchr(salt, '$');
	MUST(hash != NULL);
	CHECK_EQ_INT(hash - salt, 22);
	CHECK_EQ_INT(strlen(hash + 1), 43);

	h = password_hasher_new(&p, err, sizeof err);
	MUST(h != NULL);
	CHECK_EQ_INT(password_hasher_params(h)->m_cost_kib, 20480);
	if (password_hash(h, "password1", 9, enc, sizeof enc, err,
	    sizeof err) == 0) {
		CHECK(strncmp(enc, "$argon2id$v=19$m=20480,t=3,p=2$", 31)
		    == 0);
		CHECK_EQ_INT(password_verify(h, enc, "password1", 9, NULL),
		    PASSWORD_MATCH);
	} else
		CHECK(!"hash with t=3 m=20480 p=2");
	/* Too small a buffer is an error, not an overflow. */
	CHECK_EQ_INT(password_hash(h, "password1", 9, enc, 64, err,
	    sizeof err), -1);
	password_hasher_free(h);
}

static void
test_password_salted(void)
{
	char a[PASSWORD_ENCODED_MAX], b[PASSWORD_ENCODED_MAX], err[128];

	MUST(password_hash(default_hasher, "same password", 13, a, sizeof a,
	    err, sizeof err) == 0);
	MUST(password_hash(default_hasher, "same password", 13, b, sizeof b,
	    err, sizeof err) == 0);
	CHECK(strcmp(a, b) != 0);
	/* The salts themselves differ, not just the hashes. */
	CHECK(strncmp(a, b, 31 + 22) != 0);
	CHECK_EQ_INT(password_verify(default_hasher, a, "same password", 13,
	    NULL), PASSWORD_MATCH);
	CHECK_EQ_INT(password_verify(default_hasher, b, "same password", 13,
	    NULL), PASSWORD_MATCH);
}

/* Make a stored string with arbitrary parameters and salt length, as an
 * older daemon (or another tool) would have. */
static int
legacy_hash(uint32_t t, uint32_t m, uint32_t p, size_t saltlen,
    const char *pw, char *out, size_t outlen)
{
	unsigned char salt[64];

	memset(salt, 0x5a, sizeof salt);
	return argon2id_hash_encoded(t, m, p, pw, strlen(pw), salt, saltlen,
	    32, out, outlen) == ARGON2_OK ? 0 : -1;
}

static void
test_password_needs_rehash(void)
{
	struct password_params stronger = { .t_cost = 3,
	    .m_cost_kib = CB_PASSWORD_DEFAULT_M_COST_KIB, .parallelism = 1 };
	struct password_hasher *h;
	char enc[PASSWORD_ENCODED_MAX], err[128];
	bool rehash;

	/* Weaker memory and passes than today's floor. */
	MUST(legacy_hash(1, 4096, 1, 16, "hunter22", enc, sizeof enc) == 0);
	rehash = false;
	CHECK_EQ_INT(password_verify(default_hasher, enc, "hunter22", 8,
	    &rehash), PASSWORD_MATCH);
	CHECK(rehash);
	/* A mismatch never asks for a rehash. */
	rehash = true;
	CHECK_EQ_INT(password_verify(default_hasher, enc, "hunter23", 8,
	    &rehash), PASSWORD_MISMATCH);
	CHECK(!rehash);

	/* Same m and p, fewer passes. */
	MUST(legacy_hash(1, CB_PASSWORD_DEFAULT_M_COST_KIB, 1, 16, "hunter22",
	    enc, sizeof enc) == 0);
	CHECK_EQ_INT(password_verify(default_hasher, enc, "hunter22", 8,
	    &rehash), PASSWORD_MATCH);
	CHECK(rehash);

	/* Current parameters but an 8-byte salt. */
	MUST(legacy_hash(2, CB_PASSWORD_DEFAULT_M_COST_KIB, 1, 8, "hunter22",
	    enc, sizeof enc) == 0);
	CHECK_EQ_INT(password_verify(default_hasher, enc, "hunter22", 8,
	    &rehash), PASSWORD_MATCH);
	CHECK(rehash);

	/* Exactly current: no rehash. */
	MUST(password_hash(default_hasher, "hunter22", 8, enc, sizeof enc,
	    err, sizeof err) == 0);
	rehash = true;
	CHECK_EQ_INT(password_verify(default_hasher, enc, "hunter22", 8,
	    &rehash), PASSWORD_MATCH);
	CHECK(!rehash);

	/* The same string under raised parameters: rehash. */
	h = password_hasher_new(&stronger, err, sizeof err);
	MUST(h != NULL);
	CHECK_EQ_INT(password_verify(h, enc, "hunter22", 8, &rehash),
	    PASSWORD_MATCH);
	CHECK(rehash);
	password_hasher_free(h);
}

static void
test_password_malformed(void)
{
	char good[PASSWORD_ENCODED_MAX], err[128], buf[1024];
	char *tail;
	size_t i;
	bool rehash;
	static const char *const bad[] = {
		"",
		"$",
		"argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2d$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=0,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=019456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=-19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=+19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		/* beyond uint32, and beyond our memory ceiling */
		"$argon2id$v=19$m=99999999999,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=262145,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456,t=17,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456,t=2,p=0$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456,t=2,p=9$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$t=2,m=19456,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456,t=2$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456 ,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		/* no salt, no hash, salt too short, hash too short */
		"$argon2id$v=19$m=19456,t=2,p=1$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA",
		/* characters outside base64, a length no encoding has,
		 * padding, base64url's alphabet */
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRz!Wx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2Fsd$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA==$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhh-2hoYXNoaGFzaGhhc2g",
		/* trailing garbage, an extra field */
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g$",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g\n",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g$eA",
		"$argon2id$v=19$m=19456,t=2,p=1,k=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
	};

	for (i = 0; i < NELEM(bad); i++) {
		rehash = true;
		if (password_verify(default_hasher, bad[i], "password", 8,
		    &rehash) != PASSWORD_ERROR || rehash) {
			printf("# accepted malformed #%zu: %s\n", i, bad[i]);
			CHECK(!"malformed stored hash rejected");
		}
	}
	CHECK_EQ_INT(password_verify(default_hasher, NULL, "password", 8,
	    NULL), PASSWORD_ERROR);
	/* The strings above differ from this one by one defect each, and
	 * this one is merely the wrong hash. */
	CHECK_EQ_INT(password_verify(default_hasher,
	    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
	    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", "password", 8,
	    NULL), PASSWORD_MISMATCH);

	/* Far too long, and with no NUL within PASSWORD_ENCODED_MAX. */
	memset(buf, 'A', sizeof buf - 1);
	buf[sizeof buf - 1] = '\0';
	memcpy(buf, "$argon2id$v=19$m=19456,t=2,p=1$", 31);
	CHECK_EQ_INT(password_verify(default_hasher, buf, "password", 8,
	    NULL), PASSWORD_ERROR);

	/* A well-formed string whose last hash character has spare bits set
	 * (non-canonical base64): argon2's decoder refuses it. */
	MUST(password_hash(default_hasher, "password", 8, good, sizeof good,
	    err, sizeof err) == 0);
	tail = good + strlen(good) - 1;
	/* 43 characters carry 258 bits for 256: the last one's low two bits
	 * must be zero.  Set one. */
	*tail = *tail == 'A' ? 'B' : (char)(*tail == 'z' ? 'x' : *tail + 1);
	CHECK(password_verify(default_hasher, good, "password", 8, NULL) !=
	    PASSWORD_MATCH);

	/* A different but well-formed hash is a mismatch, not an error. */
	MUST(password_hash(default_hasher, "password", 8, good, sizeof good,
	    err, sizeof err) == 0);
	tail = good + strlen(good) - 10;
	*tail = *tail == 'Q' ? 'R' : 'Q';
	CHECK_EQ_INT(password_verify(default_hasher, good, "password", 8,
	    NULL), PASSWORD_MISMATCH);
}

static void
test_password_lengths(void)
{
	char enc[PASSWORD_ENCODED_MAX], err[128];
	char *big;
	const char nul_pw[] = { 'a', '\0', 'b', 'c', 'd', 'e', 'f', 'g' };

	big = malloc(CB_PASSWORD_MAX_LEN + 2);
	MUST(big != NULL);
	memset(big, 'x', CB_PASSWORD_MAX_LEN + 1);

	/* The longest password hashes and verifies; one byte more is
	 * refused by both. */
	if (password_hash(default_hasher, big, CB_PASSWORD_MAX_LEN, enc,
	    sizeof enc, err, sizeof err) == 0) {
		CHECK_EQ_INT(password_verify(default_hasher, enc, big,
		    CB_PASSWORD_MAX_LEN, NULL), PASSWORD_MATCH);
		CHECK_EQ_INT(password_verify(default_hasher, enc, big,
		    CB_PASSWORD_MAX_LEN + 1, NULL), PASSWORD_ERROR);
	} else
		CHECK(!"hash of a CB_PASSWORD_MAX_LEN password");
	CHECK_EQ_INT(password_hash(default_hasher, big,
	    CB_PASSWORD_MAX_LEN + 1, enc, sizeof enc, err, sizeof err), -1);
	CHECK(strstr(err, "longer") != NULL);
	CHECK_EQ_INT(password_verify_dummy(default_hasher, big, SIZE_MAX),
	    PASSWORD_ERROR);
	free(big);

	/* Empty password: allowed here (the caller enforces the minimum). */
	MUST(password_hash(default_hasher, "", 0, enc, sizeof enc, err,
	    sizeof err) == 0);
	CHECK_EQ_INT(password_verify(default_hasher, enc, "", 0, NULL),
	    PASSWORD_MATCH);
	CHECK_EQ_INT(password_verify(default_hasher, enc, NULL, 0, NULL),
	    PASSWORD_MATCH);
	CHECK_EQ_INT(password_verify(default_hasher, enc, "x", 1, NULL),
	    PASSWORD_MISMATCH);
	CHECK_EQ_INT(password_verify(default_hasher, enc, NULL, 5, NULL),
	    PASSWORD_ERROR);

	/* Bytes after a NUL count: the length is the length, not strlen. */
	MUST(password_hash(default_hasher, nul_pw, sizeof nul_pw, enc,
	    sizeof enc, err, sizeof err) == 0);
	CHECK_EQ_INT(password_verify(default_hasher, enc, nul_pw,
	    sizeof nul_pw, NULL), PASSWORD_MATCH);
	CHECK_EQ_INT(password_verify(default_hasher, enc, "a", 1, NULL),
	    PASSWORD_MISMATCH);
}

static void
test_password_params_check(void)
{
	struct password_params p;
	char err[128];

	password_params_default(&p);
	CHECK_EQ_INT(p.t_cost, 2);
	CHECK_EQ_INT(p.m_cost_kib, 19456);
	CHECK_EQ_INT(p.parallelism, 1);
	CHECK_EQ_INT(password_params_check(&p, err, sizeof err), 0);

	p.m_cost_kib = 19455;
	CHECK_EQ_INT(password_params_check(&p, err, sizeof err), -1);
	CHECK(strstr(err, "m_cost") != NULL);
	CHECK(password_hasher_new(&p, err, sizeof err) == NULL);
	p.m_cost_kib = CB_PASSWORD_MAX_M_COST_KIB + 1;
	CHECK_EQ_INT(password_params_check(&p, err, sizeof err), -1);

	password_params_default(&p);
	p.t_cost = 1;
	CHECK_EQ_INT(password_params_check(&p, err, sizeof err), -1);
	CHECK(strstr(err, "t_cost") != NULL);
	p.t_cost = CB_PASSWORD_MAX_T_COST + 1;
	CHECK_EQ_INT(password_params_check(&p, err, sizeof err), -1);

	password_params_default(&p);
	p.parallelism = 0;
	CHECK_EQ_INT(password_params_check(&p, err, sizeof err), -1);
	CHECK(strstr(err, "parallelism") != NULL);
	p.parallelism = CB_PASSWORD_MAX_PARALLELISM + 1;
	CHECK_EQ_INT(password_params_check(&p, err, sizeof err), -1);
}

/* Wrong user and wrong password must cost about the same.  Coarse on
 * purpose (a factor of 3, medians of 5) so a busy machine does not make it
 * flaky; it catches a dummy that skips the work or does it twice. */
static void
test_password_dummy_timing(void)
{
	char enc[PASSWORD_ENCODED_MAX], err[128];
	int64_t real[5], dummy[5], t0, mr, md;

	MUST(password_hash(default_hasher, "the real one", 12, enc, sizeof enc,
	    err, sizeof err) == 0);
	for (int i = 0; i < 5; i++) {
		t0 = clock_now_us();
		CHECK_EQ_INT(password_verify(default_hasher, enc, "a wrong one",
		    11, NULL), PASSWORD_MISMATCH);
		real[i] = clock_now_us() - t0;
		t0 = clock_now_us();
		CHECK_EQ_INT(password_verify_dummy(default_hasher,
		    "a wrong one", 11), PASSWORD_MISMATCH);
		dummy[i] = clock_now_us() - t0;
	}
	mr = median_i64(real, 5);
	md = median_i64(dummy, 5);
	printf("# verify median %lld us, dummy verify median %lld us\n",
	    (long long)mr, (long long)md);
	CHECK(md * 3 >= mr);
	CHECK(mr * 3 >= md);
	/* And the dummy is real work: at least a millisecond for 19 MiB. */
	CHECK(md >= 1000);
}

struct pw_thread {
	pthread_t tid;
	char pw[32];
	char enc[PASSWORD_ENCODED_MAX];
	int hash_rc;
	enum password_verdict own, other;
	const char *other_enc;
};

static void *
pw_thread_main(void *arg)
{
	struct pw_thread *t = arg;
	char err[128];

	t->hash_rc = password_hash(default_hasher, t->pw, strlen(t->pw),
	    t->enc, sizeof t->enc, err, sizeof err);
	if (t->hash_rc == 0)
		t->own = password_verify(default_hasher, t->enc, t->pw,
		    strlen(t->pw), NULL);
	return NULL;
}

/* Hashing from several threads at once (it runs on workers). */
static void
test_password_threads(void)
{
	struct pw_thread t[4];
	size_t i, n = 0;

	memset(t, 0, sizeof t);
	for (i = 0; i < NELEM(t); i++) {
		snprintf(t[i].pw, sizeof t[i].pw, "password-%zu", i);
		if (pthread_create(&t[i].tid, NULL, pw_thread_main, &t[i]) != 0)
			break;
		n++;
	}
	CHECK_EQ_INT(n, NELEM(t));
	for (i = 0; i < n; i++)
		pthread_join(t[i].tid, NULL);
	for (i = 0; i < n; i++) {
		CHECK_EQ_INT(t[i].hash_rc, 0);
		CHECK_EQ_INT(t[i].own, PASSWORD_MATCH);
	}
	if (n >= 2) {
		CHECK_EQ_INT(password_verify(default_hasher, t[0].enc, t[1].pw,
		    strlen(t[1].pw), NULL), PASSWORD_MISMATCH);
	}
}

/* ---- token ------------------------------------------------------------- */

static void
test_token_round_trip(void)
{
	char tok[TOKEN_BUF_SIZE], tok2[TOKEN_BUF_SIZE];
	struct token_record rec, rec2;
	uint8_t secret[TOKEN_SECRET_BYTES];
	int64_t id;

	MUST(token_new(42, tok, sizeof tok, &rec) == 0);
	CHECK(strncmp(tok, "cb1_42_", 7) == 0);
	CHECK_EQ_INT(strlen(tok), 7 + TOKEN_SECRET_CHARS);
	MUST(token_parse(tok, strlen(tok), &id, secret) == 0);
	CHECK_EQ_INT(id, 42);
	CHECK_EQ_INT(token_verify(secret, &rec), TOKEN_MATCH);

	/* A second token differs in secret and salt. */
	MUST(token_new(42, tok2, sizeof tok2, &rec2) == 0);
	CHECK(strcmp(tok, tok2) != 0);
	CHECK(memcmp(rec.salt, rec2.salt, sizeof rec.salt) != 0);
	CHECK_EQ_INT(token_verify(secret, &rec2), TOKEN_MISMATCH);

	/* The largest id fills the buffer exactly. */
	MUST(token_new(INT64_MAX, tok, sizeof tok, &rec) == 0);
	CHECK_EQ_INT(strlen(tok), TOKEN_MAX_LEN);
	MUST(token_parse(tok, strlen(tok), &id, secret) == 0);
	CHECK_EQ_INT(id, INT64_MAX);
	CHECK_EQ_INT(token_verify(secret, &rec), TOKEN_MATCH);

	/* Not NUL-terminated: the length decides. */
	MUST(token_new(7, tok, sizeof tok, &rec) == 0);
	tok[strlen(tok)] = 'Z';		/* clobber the NUL */
	MUST(token_parse(tok, 6 + TOKEN_SECRET_CHARS, &id, secret) == 0);
	CHECK_EQ_INT(id, 7);
	CHECK_EQ_INT(token_verify(secret, &rec), TOKEN_MATCH);

	CHECK_EQ_INT(token_new(0, tok, sizeof tok, &rec), -1);
	CHECK_EQ_INT(token_new(-5, tok, sizeof tok, &rec), -1);
	CHECK_EQ_INT(token_new(1, tok, TOKEN_BUF_SIZE - 1, &rec), -1);
}

/* Known encodings: all-zero and all-one secrets. */
static void
test_token_known_secrets(void)
{
	char s[TOKEN_BUF_SIZE];
	uint8_t secret[TOKEN_SECRET_BYTES], want[TOKEN_SECRET_BYTES];
	int64_t id;

	snprintf(s, sizeof s, "cb1_1_%.*s", TOKEN_SECRET_CHARS,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	MUST(token_parse(s, strlen(s), &id, secret) == 0);
	memset(want, 0, sizeof want);
	CHECK(memcmp(secret, want, sizeof want) == 0);

	/* 42 x 63 then '8' (60 = 0b111100: the four real bits set). */
	snprintf(s, sizeof s, "cb1_1_%.*s8", TOKEN_SECRET_CHARS - 1,
	    "__________________________________________________");
	MUST(token_parse(s, strlen(s), &id, secret) == 0);
	memset(want, 0xff, sizeof want);
	CHECK(memcmp(secret, want, sizeof want) == 0);

	/* '9' (61) sets a spare bit: a second spelling, refused. */
	s[strlen(s) - 1] = '9';
	CHECK_EQ_INT(token_parse(s, strlen(s), &id, secret), -1);
}

static void
test_token_parse_rejects(void)
{
	char good[TOKEN_BUF_SIZE], buf[256], *big;
	const char *sec;
	struct token_record rec;
	uint8_t secret[TOKEN_SECRET_BYTES], zero[TOKEN_SECRET_BYTES];
	int64_t id;
	size_t i;
	struct { const char *fmt; int use_secret; } bad[] = {
		{ "cb2_42_%s", 1 }, { "CB1_42_%s", 1 }, { "cb1-42_%s", 1 },
		{ " cb1_42_%s", 1 }, { "cb1_42%s", 1 }, { "cb1__%s", 1 },
		{ "cb1_42_", 0 }, { "cb1_42", 0 }, { "cb1_", 0 }, { "cb1", 0 },
		{ "", 0 }, { "cb1_%s", 1 }, { "cb1_4a_%s", 1 },
		{ "cb1_-42_%s", 1 }, { "cb1_+42_%s", 1 }, { "cb1_ 42_%s", 1 },
		{ "cb1_0_%s", 1 }, { "cb1_042_%s", 1 }, { "cb1_00_%s", 1 },
		{ "cb1_9223372036854775808_%s", 1 },
		{ "cb1_18446744073709551616_%s", 1 },
		{ "cb1_99999999999999999999_%s", 1 },
		{ "cb1_42__%s", 1 }, { "cb1_42_%s\n", 1 }, { "cb1_42_%sA", 1 },
		{ "cb1_42_%s_", 1 }, { "cb1_42_%s ", 1 }, { "cb1_42_x%s", 1 },
	};

	memset(zero, 0, sizeof zero);
	MUST(token_new(42, good, sizeof good, &rec) == 0);
	sec = good + 7;

	for (i = 0; i < NELEM(bad); i++) {
		if (bad[i].use_secret)
			snprintf(buf, sizeof buf, bad[i].fmt, sec);
		else
			snprintf(buf, sizeof buf, "%s", bad[i].fmt);
		id = 99;
		memset(secret, 0xaa, sizeof secret);
		if (token_parse(buf, strlen(buf), &id, secret) != -1 ||
		    id != 0 || memcmp(secret, zero, sizeof zero) != 0) {
			printf("# accepted bad token #%zu: %s\n", i, buf);
			CHECK(!"bad token rejected, outputs zeroed");
		}
	}

	/* Secret one character short, one long. */
	snprintf(buf, sizeof buf, "cb1_42_%.*s", TOKEN_SECRET_CHARS - 1, sec);
	CHECK_EQ_INT(token_parse(buf, strlen(buf), &id, secret), -1);
	snprintf(buf, sizeof buf, "cb1_42_%sA", sec);
	CHECK_EQ_INT(token_parse(buf, strlen(buf), &id, secret), -1);

	/* Characters outside base64url, at the start, middle and end. */
	static const char badch[] = "=+/. \t\"\\$~\x80\xff";
	for (i = 0; i < sizeof badch - 1; i++) {
		for (size_t pos = 0; pos < TOKEN_SECRET_CHARS;
		    pos += TOKEN_SECRET_CHARS / 2) {
			snprintf(buf, sizeof buf, "%s", good);
			buf[7 + pos] = badch[i];
			if (token_parse(buf, strlen(buf), &id, secret) != -1) {
				printf("# accepted char 0x%02x at %zu\n",
				    (unsigned char)badch[i], pos);
				CHECK(!"bad base64url character rejected");
			}
		}
	}
	/* The last character, too. */
	snprintf(buf, sizeof buf, "%s", good);
	buf[strlen(buf) - 1] = '=';
	CHECK_EQ_INT(token_parse(buf, strlen(buf), &id, secret), -1);

	/* An embedded NUL counted in the length. */
	snprintf(buf, sizeof buf, "%s", good);
	buf[10] = '\0';
	CHECK_EQ_INT(token_parse(buf, strlen(good), &id, secret), -1);
	/* The good token with its NUL counted: trailing garbage. */
	CHECK_EQ_INT(token_parse(good, strlen(good) + 1, &id, secret), -1);
	/* A prefix of a good token. */
	CHECK_EQ_INT(token_parse(good, strlen(good) - 1, &id, secret), -1);
	CHECK_EQ_INT(token_parse(good, 0, &id, secret), -1);
	CHECK_EQ_INT(token_parse(NULL, 10, &id, secret), -1);

	/* Very long input: a good token followed by 1 MiB. */
	big = malloc(1 << 20);
	MUST(big != NULL);
	memset(big, 'A', 1 << 20);
	memcpy(big, good, strlen(good));
	CHECK_EQ_INT(token_parse(big, 1 << 20, &id, secret), -1);
	CHECK_EQ_INT(token_parse(big, SIZE_MAX, &id, secret), -1);
	free(big);

	/* And the good one still parses (the list above is not vacuous). */
	CHECK_EQ_INT(token_parse(good, strlen(good), &id, secret), 0);
	CHECK_EQ_INT(id, 42);
}

static void
test_token_verify_bits(void)
{
	char tok[TOKEN_BUF_SIZE];
	struct token_record rec, mod;
	uint8_t secret[TOKEN_SECRET_BYTES];
	int64_t id;
	int wrong = 0;

	MUST(token_new(1000, tok, sizeof tok, &rec) == 0);
	MUST(token_parse(tok, strlen(tok), &id, secret) == 0);
	CHECK_EQ_INT(token_verify(secret, &rec), TOKEN_MATCH);

	/* Every single-bit change of the secret fails. */
	for (int bit = 0; bit < TOKEN_SECRET_BYTES * 8; bit++) {
		secret[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (token_verify(secret, &rec) != TOKEN_MISMATCH)
			wrong++;
		secret[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(token_verify(secret, &rec), TOKEN_MATCH);

	/* So does a changed salt or stored hash (first and last byte). */
	mod = rec;
	mod.salt[0] ^= 1;
	CHECK_EQ_INT(token_verify(secret, &mod), TOKEN_MISMATCH);
	mod = rec;
	mod.hash[TOKEN_HASH_BYTES - 1] ^= 0x80;
	CHECK_EQ_INT(token_verify(secret, &mod), TOKEN_MISMATCH);
	mod = rec;
	mod.hash[0] ^= 1;
	CHECK_EQ_INT(token_verify(secret, &mod), TOKEN_MISMATCH);

	/* The record does not contain the secret. */
	CHECK(memmem(&rec, sizeof rec, secret, 8) == NULL);
}

/* ---- ratelimit --------------------------------------------------------- */

/* Small numbers so the arithmetic is visible: 3 free failures, then
 * 1 ms, 2, 4, 8 (cap); forget after 1 s; global effectively off. */
static void
rl_test_config(struct ratelimit_config *c)
{
	ratelimit_config_default(c);
	c->slots = 64;
	c->key_free_failures = 3;
	c->key_base_delay_us = 1000;
	c->key_max_delay_us = 8000;
	c->key_forget_us = 1000000;
	c->global_burst = 1000000;
	c->global_per_sec = 1000000;
}

#define K(s) (s), strlen(s)

static void
test_ratelimit_growth(void)
{
	struct ratelimit_config c;
	struct ratelimit *rl;
	char err[128];
	int64_t now = 5000000;
	static const int64_t want[] = { 0, 0, 0, 1000, 2000, 4000, 8000,
	    8000, 8000 };

	rl_test_config(&c);
	rl = ratelimit_new(&c, err, sizeof err);
	MUST(rl != NULL);
	for (size_t i = 0; i < NELEM(want); i++) {
		CHECK_EQ_INT(ratelimit_check(rl, K("alice"), now), 0);
		CHECK_EQ_INT(ratelimit_fail(rl, K("alice"), now), want[i]);
		CHECK_EQ_INT(ratelimit_check(rl, K("alice"), now), want[i]);
		if (want[i] > 0) {
			/* part way: the rest; at the end: free */
			CHECK_EQ_INT(ratelimit_check(rl, K("alice"),
			    now + want[i] / 2), want[i] - want[i] / 2);
			now += want[i];
		}
		now += 10;
	}
	/* Other users were never touched. */
	CHECK_EQ_INT(ratelimit_check(rl, K("bob"), now - 10), 0);
	ratelimit_free(rl);
}

static void
test_ratelimit_success_resets(void)
{
	struct ratelimit_config c;
	struct ratelimit *rl;
	struct ratelimit_stats st;
	char err[128];
	int64_t now = 1;

	rl_test_config(&c);
	rl = ratelimit_new(&c, err, sizeof err);
	MUST(rl != NULL);
	for (int i = 0; i < 5; i++)
		ratelimit_fail(rl, K("alice"), now);
	ratelimit_fail(rl, K("carol"), now);
	CHECK_EQ_INT(ratelimit_check(rl, K("alice"), now), 2000);
	ratelimit_stats(rl, &st);
	CHECK_EQ_INT(st.entries, 2);
	CHECK_EQ_INT(st.limited, 1);

	ratelimit_success(rl, K("alice"));
	CHECK_EQ_INT(ratelimit_check(rl, K("alice"), now), 0);
	ratelimit_stats(rl, &st);
	CHECK_EQ_INT(st.entries, 1);
	/* Back to the free failures. */
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(ratelimit_fail(rl, K("alice"), now), 0);
	CHECK_EQ_INT(ratelimit_fail(rl, K("alice"), now), 1000);
	/* Success for an unknown key is harmless. */
	ratelimit_success(rl, K("nobody"));
	ratelimit_free(rl);
}

static void
test_ratelimit_case_and_keys(void)
{
	struct ratelimit_config c;
	struct ratelimit *rl;
	char err[128], a[200], b[200];
	int64_t now = 1;

	rl_test_config(&c);
	rl = ratelimit_new(&c, err, sizeof err);
	MUST(rl != NULL);
	ratelimit_fail(rl, K("Alice"), now);
	ratelimit_fail(rl, K("ALICE"), now);
	ratelimit_fail(rl, K("alice"), now);
	CHECK_EQ_INT(ratelimit_fail(rl, K("aLiCe"), now), 1000);
	CHECK_EQ_INT(ratelimit_check(rl, K("alice"), now), 1000);
	/* Similar but different keys are unaffected. */
	CHECK_EQ_INT(ratelimit_check(rl, K("alice2"), now), 0);
	CHECK_EQ_INT(ratelimit_check(rl, K("alic"), now), 0);
	CHECK_EQ_INT(ratelimit_check(rl, K("bob"), now), 0);
	CHECK_EQ_INT(ratelimit_check(rl, "alice", 5, now), 1000);
	/* Non-ASCII bytes are compared as they are. */
	CHECK_EQ_INT(ratelimit_check(rl, K("\xc3\x81lice"), now), 0);
	/* Embedded NUL: the length counts. */
	CHECK_EQ_INT(ratelimit_check(rl, "alice\0x", 7, now), 0);
	/* The empty key is a key. */
	for (int i = 0; i < 4; i++)
		ratelimit_fail(rl, "", 0, now);
	CHECK_EQ_INT(ratelimit_check(rl, "", 0, now), 1000);

	/* Keys past CB_RATELIMIT_KEY_MAX are compared on their prefix. */
	memset(a, 'k', sizeof a);
	memcpy(b, a, sizeof b);
	b[sizeof b - 1] = 'z';
	for (int i = 0; i < 4; i++)
		ratelimit_fail(rl, a, sizeof a, now);
	CHECK_EQ_INT(ratelimit_check(rl, b, sizeof b, now), 1000);
	CHECK_EQ_INT(ratelimit_check(rl, a, CB_RATELIMIT_KEY_MAX, now), 1000);
	CHECK_EQ_INT(ratelimit_check(rl, a, CB_RATELIMIT_KEY_MAX - 1, now), 0);
	ratelimit_free(rl);
}

static void
test_ratelimit_global(void)
{
	struct ratelimit_config c;
	struct ratelimit *rl;
	char err[128], key[32];
	int64_t now = 1000000, T = 100000;	/* 10 per second */

	rl_test_config(&c);
	c.global_burst = 10;
	c.global_per_sec = 10;
	rl = ratelimit_new(&c, err, sizeof err);
	MUST(rl != NULL);

	/* Nine failures on nine users: nobody else waits. */
	for (int i = 0; i < 9; i++) {
		snprintf(key, sizeof key, "user%d", i);
		CHECK_EQ_INT(ratelimit_fail(rl, K(key), now), 0);
	}
	CHECK_EQ_INT(ratelimit_check(rl, K("fresh"), now), 0);
	/* The tenth reaches the burst: everyone waits one interval... */
	CHECK_EQ_INT(ratelimit_fail(rl, K("user9"), now), T);
	CHECK_EQ_INT(ratelimit_check(rl, K("fresh"), now), T);
	CHECK_EQ_INT(ratelimit_check(rl, K("user0"), now), T);
	/* ...growing with each further failure (say, requests in flight). */
	CHECK_EQ_INT(ratelimit_fail(rl, K("user10"), now), 2 * T);
	CHECK_EQ_INT(ratelimit_fail(rl, K("user11"), now), 3 * T);
	CHECK_EQ_INT(ratelimit_check(rl, K("fresh"), now + T), 2 * T);
	/* ...and draining at the sustained rate. */
	CHECK_EQ_INT(ratelimit_check(rl, K("fresh"), now + 3 * T), 0);
	now += 3 * T;
	CHECK_EQ_INT(ratelimit_fail(rl, K("user12"), now), T);
	/* A success does not refill the global bucket. */
	ratelimit_success(rl, K("user12"));
	CHECK_EQ_INT(ratelimit_check(rl, K("fresh"), now), T);
	/* Long quiet: a full burst again. */
	now += 100 * T;
	CHECK_EQ_INT(ratelimit_check(rl, K("fresh"), now), 0);
	for (int i = 0; i < 9; i++)
		CHECK_EQ_INT(ratelimit_fail(rl, K("again"), now),
		    i < 3 ? 0 : 1000 << (i - 3 > 3 ? 3 : i - 3));
	ratelimit_free(rl);
}

static void
test_ratelimit_time(void)
{
	struct ratelimit_config c;
	struct ratelimit *rl;
	char err[128];
	int64_t now = 2000000;

	rl_test_config(&c);
	rl = ratelimit_new(&c, err, sizeof err);
	MUST(rl != NULL);
	for (int i = 0; i < 4; i++)
		ratelimit_fail(rl, K("dave"), now);
	CHECK_EQ_INT(ratelimit_check(rl, K("dave"), now), 1000);
	/* Time going backwards counts as not moving. */
	CHECK_EQ_INT(ratelimit_check(rl, K("dave"), 0), 1000);
	CHECK_EQ_INT(ratelimit_check(rl, K("dave"), now - 500000), 1000);
	/* Forgotten after key_forget_us without a failure. */
	now += c.key_forget_us;
	CHECK_EQ_INT(ratelimit_check(rl, K("dave"), now), 0);
	CHECK_EQ_INT(ratelimit_fail(rl, K("dave"), now), 0);
	CHECK_EQ_INT(ratelimit_fail(rl, K("dave"), now), 0);
	CHECK_EQ_INT(ratelimit_fail(rl, K("dave"), now), 0);
	CHECK_EQ_INT(ratelimit_fail(rl, K("dave"), now), 1000);
	/* Just short of forgetting: still counted. */
	now += c.key_forget_us - 1;
	CHECK_EQ_INT(ratelimit_fail(rl, K("dave"), now), 2000);
	ratelimit_free(rl);
}

static void
test_ratelimit_config(void)
{
	struct ratelimit_config c;
	char err[128];

	ratelimit_config_default(&c);
	CHECK_EQ_INT(c.slots, CB_RATELIMIT_SLOTS);
	rl_test_config(&c);
	c.slots = 0;
	CHECK(ratelimit_new(&c, err, sizeof err) == NULL);
	rl_test_config(&c);
	c.key_max_delay_us = c.key_base_delay_us - 1;
	CHECK(ratelimit_new(&c, err, sizeof err) == NULL);
	rl_test_config(&c);
	c.key_forget_us = c.key_max_delay_us - 1;
	CHECK(ratelimit_new(&c, err, sizeof err) == NULL);
	CHECK(strstr(err, "forget") != NULL);
	rl_test_config(&c);
	c.global_per_sec = 0;
	CHECK(ratelimit_new(&c, err, sizeof err) == NULL);
}

/* A flood of random usernames recycles entries: the table never holds
 * more than `slots`, the newest keys are still limited, the oldest were
 * evicted. */
static void
test_ratelimit_bounded(void)
{
	struct ratelimit_config c;
	struct ratelimit *rl;
	struct ratelimit_stats st;
	char err[128], key[40];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int64_t now = 1;
	const unsigned nkeys = 100000;

	rl_test_config(&c);
	c.slots = 1024;
	c.key_free_failures = 0;	/* every failure blocks */
	rl = ratelimit_new(&c, err, sizeof err);
	MUST(rl != NULL);

	ratelimit_fail(rl, K("victim"), now);
	for (unsigned i = 0; i < nkeys; i++) {
		snprintf(key, sizeof key, "rnd-%016llx",
		    (unsigned long long)xorshift(&seed));
		ratelimit_fail(rl, K(key), now);
		if (i % 10000 == 0) {
			ratelimit_stats(rl, &st);
			CHECK(st.entries <= c.slots);
		}
	}
	ratelimit_stats(rl, &st);
	CHECK_EQ_INT(st.slots, 1024);
	CHECK_EQ_INT(st.entries, 1024);
	CHECK_EQ_INT(st.evictions, nkeys + 1 - 1024);
	/* The last key is still there, the first one was evicted. */
	CHECK_EQ_INT(ratelimit_check(rl, K(key), now), 1000);
	CHECK_EQ_INT(ratelimit_check(rl, K("victim"), now), 0);
	/* Every remaining entry can still be found and removed. */
	ratelimit_success(rl, K(key));
	ratelimit_stats(rl, &st);
	CHECK_EQ_INT(st.entries, 1023);
	ratelimit_free(rl);
}

/* Eviction takes the least recently failed key, not the least recently
 * inserted one: a key that keeps failing stays on record. */
static void
test_ratelimit_eviction_order(void)
{
	struct ratelimit_config c;
	struct ratelimit *rl;
	struct ratelimit_stats st;
	char err[128];
	int64_t now = 1;

	rl_test_config(&c);
	c.slots = 4;
	c.key_free_failures = 0;
	rl = ratelimit_new(&c, err, sizeof err);
	MUST(rl != NULL);
	ratelimit_fail(rl, K("a"), now);
	ratelimit_fail(rl, K("b"), now);
	ratelimit_fail(rl, K("c"), now);
	ratelimit_fail(rl, K("d"), now);
	CHECK_EQ_INT(ratelimit_fail(rl, K("a"), now), 2000);	/* touched */
	ratelimit_fail(rl, K("e"), now);			/* evicts b */
	CHECK_EQ_INT(ratelimit_check(rl, K("a"), now), 2000);
	CHECK_EQ_INT(ratelimit_check(rl, K("b"), now), 0);
	CHECK_EQ_INT(ratelimit_check(rl, K("c"), now), 1000);
	ratelimit_fail(rl, K("f"), now);			/* evicts c */
	CHECK_EQ_INT(ratelimit_check(rl, K("c"), now), 0);
	CHECK_EQ_INT(ratelimit_check(rl, K("d"), now), 1000);
	/* A removed entry's slot is reused before anything is evicted. */
	ratelimit_success(rl, K("d"));
	ratelimit_fail(rl, K("g"), now);
	CHECK_EQ_INT(ratelimit_check(rl, K("a"), now), 2000);
	CHECK_EQ_INT(ratelimit_check(rl, K("e"), now), 1000);
	ratelimit_stats(rl, &st);
	CHECK_EQ_INT(st.entries, 4);
	CHECK_EQ_INT(st.evictions, 2);
	ratelimit_free(rl);
}

struct rl_thread {
	pthread_t tid;
	struct ratelimit *rl;
	uint64_t seed;
};

static void *
rl_thread_main(void *arg)
{
	struct rl_thread *t = arg;
	char key[32];

	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "u%u",
		    (unsigned)(xorshift(&t->seed) % 300));
		switch (i % 3) {
		case 0:
			ratelimit_fail(t->rl, K(key), clock_now_us());
			break;
		case 1:
			ratelimit_check(t->rl, K(key), clock_now_us());
			break;
		default:
			ratelimit_success(t->rl, K(key));
		}
	}
	return NULL;
}

static void
test_ratelimit_threads(void)
{
	struct ratelimit_config c;
	struct ratelimit *rl;
	struct ratelimit_stats st;
	struct rl_thread t[6];
	char err[128];
	size_t n = 0;

	rl_test_config(&c);
	c.slots = 128;
	rl = ratelimit_new(&c, err, sizeof err);
	MUST(rl != NULL);
	for (size_t i = 0; i < NELEM(t); i++) {
		t[i].rl = rl;
		t[i].seed = 0x1234567ull * (i + 1);
		if (pthread_create(&t[i].tid, NULL, rl_thread_main, &t[i]) != 0)
			break;
		n++;
	}
	CHECK_EQ_INT(n, NELEM(t));
	for (size_t i = 0; i < n; i++)
		pthread_join(t[i].tid, NULL);
	ratelimit_stats(rl, &st);
	CHECK(st.entries <= 128);
	CHECK(st.evictions > 0);
	ratelimit_free(rl);
}

/* ---- figures ----------------------------------------------------------- */

/* Hash and token-verify times, printed for the record; asserted only for
 * sanity. */
static void
test_figures(void)
{
	char enc[PASSWORD_ENCODED_MAX], err[128], tok[TOKEN_BUF_SIZE];
	struct token_record rec;
	uint8_t secret[TOKEN_SECRET_BYTES];
	int64_t h[10], tv[201], t0, med;
	int64_t id;
	int errors = 0;

	for (int i = 0; i < 10; i++) {
		t0 = clock_now_us();
		MUST(password_hash(default_hasher, "a password", 10, enc,
		    sizeof enc, err, sizeof err) == 0);
		h[i] = clock_now_us() - t0;
	}
	med = median_i64(h, 10);	/* sorts h */
	printf("# password_hash m=%u KiB t=%u p=%u: median %lld us "
	    "(min %lld, max %lld over 10)\n",
	    CB_PASSWORD_DEFAULT_M_COST_KIB, CB_PASSWORD_DEFAULT_T_COST,
	    CB_PASSWORD_DEFAULT_PARALLELISM, (long long)med,
	    (long long)h[0], (long long)h[9]);
	CHECK(med > 0);

	MUST(token_new(12345, tok, sizeof tok, &rec) == 0);
	for (size_t i = 0; i < NELEM(tv); i++) {
		t0 = clock_now_us();
		if (token_parse(tok, strlen(tok), &id, secret) != 0 ||
		    token_verify(secret, &rec) != TOKEN_MATCH)
			errors++;
		tv[i] = clock_now_us() - t0;
	}
	CHECK_EQ_INT(errors, 0);
	printf("# token parse+verify: median %lld us over %zu\n",
	    (long long)median_i64(tv, NELEM(tv)), NELEM(tv));
}

int
main(void)
{
	struct password_params p;
	char err[128];

	password_params_default(&p);
	default_hasher = password_hasher_new(&p, err, sizeof err);
	if (default_hasher == NULL) {
		printf("Bail out! password_hasher_new: %s\n", err);
		return 1;
	}

	tap_run("password round trip and wrong password",
	    test_password_round_trip);
	tap_run("password encoded string format and parameters",
	    test_password_encoded_format);
	tap_run("password hashes are salted", test_password_salted);
	tap_run("password needs_rehash", test_password_needs_rehash);
	tap_run("password malformed stored strings", test_password_malformed);
	tap_run("password lengths", test_password_lengths);
	tap_run("password parameter bounds", test_password_params_check);
	tap_run("password dummy verify timing", test_password_dummy_timing);
	tap_run("password hashing from threads", test_password_threads);
	tap_run("token round trip", test_token_round_trip);
	tap_run("token known secrets", test_token_known_secrets);
	tap_run("token parse rejects", test_token_parse_rejects);
	tap_run("token verify bit flips", test_token_verify_bits);
	tap_run("ratelimit growing delays", test_ratelimit_growth);
	tap_run("ratelimit success resets", test_ratelimit_success_resets);
	tap_run("ratelimit case and keys", test_ratelimit_case_and_keys);
	tap_run("ratelimit global", test_ratelimit_global);
	tap_run("ratelimit time", test_ratelimit_time);
	tap_run("ratelimit config", test_ratelimit_config);
	tap_run("ratelimit bounded table", test_ratelimit_bounded);
	tap_run("ratelimit eviction order", test_ratelimit_eviction_order);
	tap_run("ratelimit threads", test_ratelimit_threads);
	tap_run("figures", test_figures);

	password_hasher_free(default_hasher);
	return tap_done();
}
