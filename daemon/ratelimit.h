/*
 * ratelimit.h -- the failed-login limiter: per username and global.
 *
 * auth.login asks ratelimit_check() before it verifies a password; a
 * non-zero answer is the number of microseconds the client must wait, and
 * the caller answers rate_limited with that retry-after without hashing
 * anything.  After verifying, the caller reports the outcome:
 * ratelimit_fail() for a wrong user or password, ratelimit_success() for a
 * good one (which forgets that username's failures).
 *
 * Per key (the normalised username; compared with ASCII case folded, so
 * "Alice" and "alice" are one key even if the caller forgot to fold): the
 * first key_free_failures failures cost nothing; each one after that blocks
 * the key for key_base_delay_us, doubling per failure up to
 * key_max_delay_us.  A key with no failure for key_forget_us starts again
 * from zero.
 *
 * Global (every key together): a GCRA token bucket on failures, allowing
 * bursts of global_burst failures and global_per_sec failures per second
 * sustained.  While it is over, every login waits, known user or not; the
 * wait grows with the excess.  This is what stops spraying one password
 * over many usernames, and what makes flushing a victim's entry out of the
 * table (below) slow.
 *
 * Memory is fixed at ratelimit_new(): `slots` entries in a hash table with
 * least-recently-failed eviction, so a flood of random usernames recycles
 * entries instead of growing anything.  Keys longer than
 * CB_RATELIMIT_KEY_MAX bytes are compared on their first
 * CB_RATELIMIT_KEY_MAX bytes only; usernames must be shorter.
 *
 * Time is always the caller's now_us (monotonic microseconds, clock.h's
 * clock_now_us()), so tests drive time without sleeping.  Time that goes
 * backwards is treated as not having moved.
 *
 * What this module owns: its table, behind one mutex; every function is
 * thread-safe.  What it must never do: allocate after ratelimit_new(),
 * block (it holds its mutex for a table lookup only), or keep a password.
 */
#ifndef CASHBOOK_DAEMON_RATELIMIT_H
#define CASHBOOK_DAEMON_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

/* Defaults (and the key length bound). */
#define CB_RATELIMIT_SLOTS		4096
#define CB_RATELIMIT_MAX_SLOTS		(1u << 20)
#define CB_RATELIMIT_KEY_MAX		128
#define CB_RATELIMIT_KEY_FREE_FAILURES	5
#define CB_RATELIMIT_KEY_BASE_DELAY_MS	1000		/* 1 s, then 2, 4 .. */
#define CB_RATELIMIT_KEY_MAX_DELAY_MS	(15 * 60 * 1000)	/* 15 min */
#define CB_RATELIMIT_KEY_FORGET_MS	(60 * 60 * 1000)	/* 1 h */
#define CB_RATELIMIT_GLOBAL_BURST	100
#define CB_RATELIMIT_GLOBAL_PER_SEC	10

struct ratelimit_config {
	unsigned slots;			/* 1..CB_RATELIMIT_MAX_SLOTS */
	unsigned key_free_failures;
	int64_t key_base_delay_us;	/* > 0 */
	int64_t key_max_delay_us;	/* >= key_base_delay_us */
	int64_t key_forget_us;		/* > 0 */
	unsigned global_burst;		/* >= 1 */
	unsigned global_per_sec;	/* 1..1000000 */
};

struct ratelimit_stats {
	unsigned slots;
	unsigned entries;		/* keys with failures on record */
	uint64_t evictions;		/* entries recycled for another key */
	uint64_t limited;		/* checks answered with a wait */
};

struct ratelimit;

void ratelimit_config_default(struct ratelimit_config *cfg);

/* NULL with a reason in err on a bad config or out of memory. */
struct ratelimit *ratelimit_new(const struct ratelimit_config *cfg,
    char *err, size_t errlen);
void ratelimit_free(struct ratelimit *rl);

/* 0 if a login for key may go ahead now, else the microseconds to wait
 * (the larger of the key's and the global wait).  Does not record
 * anything except the `limited` count. */
int64_t ratelimit_check(struct ratelimit *rl, const char *key, size_t keylen,
    int64_t now_us);

/* Record a failed login for key (an unknown username counts too).  Returns
 * what ratelimit_check() would now answer. */
int64_t ratelimit_fail(struct ratelimit *rl, const char *key, size_t keylen,
    int64_t now_us);

/* A successful login: forget key's failures.  The global bucket is left
 * alone (one success must not buy an attacker more global failures). */
void ratelimit_success(struct ratelimit *rl, const char *key, size_t keylen);

void ratelimit_stats(struct ratelimit *rl, struct ratelimit_stats *st);

#endif
