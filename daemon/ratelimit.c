/*
 * ratelimit.c -- the failed-login limiter (see ratelimit.h).
 *
 * One array of entries allocated at start, used three ways at once:
 * chained hash buckets (bucket_next), a doubly linked list in order of last
 * failure (lru_prev/lru_next; the tail is evicted first), and a free list
 * (through bucket_next) of entries holding no key.  Links are indices,
 * NIL for none.  The bucket index hashes the case-folded key with FNV-1a
 * seeded from getrandom(2) at start; that is not cryptography, only a way
 * to keep a hostile client from choosing keys that share a bucket, and
 * even if it did, a chain is never longer than the table.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "random.h"
#include "ratelimit.h"

#define NIL UINT32_MAX

struct rl_entry {
	uint32_t hash;
	uint32_t bucket_next;
	uint32_t lru_prev, lru_next;
	uint32_t failures;
	uint32_t keylen;
	int64_t last_fail_us;
	int64_t blocked_until_us;
	char key[CB_RATELIMIT_KEY_MAX];
};

struct ratelimit {
	pthread_mutex_t lock;
	struct ratelimit_config cfg;
	uint32_t seed;
	uint32_t nbuckets;		/* power of two >= cfg.slots */
	uint32_t *buckets;
	struct rl_entry *entries;
	uint32_t free_head;
	uint32_t lru_head, lru_tail;	/* most / least recently failed */
	int64_t now_high;		/* latest now_us seen */

	/* global GCRA: theoretical arrival time of the next failure and the
	 * spacing failures may sustain */
	int64_t global_tat_us;
	int64_t global_interval_us;

	unsigned entries_used;
	uint64_t evictions;
	uint64_t limited;
};

/* A mutex that fails is a bug (EINVAL, EDEADLK): stop rather than run the
 * limiter unlocked.  Same policy as pool.c. */
static void
rl_lock(struct ratelimit *rl)
{
	int rc = pthread_mutex_lock(&rl->lock);

	if (rc != 0) {
		log_error("ratelimit: mutex lock: %s", strerror(rc));
		abort();
	}
}

static void
rl_unlock(struct ratelimit *rl)
{
	int rc = pthread_mutex_unlock(&rl->lock);

	if (rc != 0) {
		log_error("ratelimit: mutex unlock: %s", strerror(rc));
		abort();
	}
}

void
ratelimit_config_default(struct ratelimit_config *cfg)
{
	cfg->slots = CB_RATELIMIT_SLOTS;
	cfg->key_free_failures = CB_RATELIMIT_KEY_FREE_FAILURES;
	cfg->key_base_delay_us = (int64_t)CB_RATELIMIT_KEY_BASE_DELAY_MS * 1000;
	cfg->key_max_delay_us = (int64_t)CB_RATELIMIT_KEY_MAX_DELAY_MS * 1000;
	cfg->key_forget_us = (int64_t)CB_RATELIMIT_KEY_FORGET_MS * 1000;
	cfg->global_burst = CB_RATELIMIT_GLOBAL_BURST;
	cfg->global_per_sec = CB_RATELIMIT_GLOBAL_PER_SEC;
}

static int
config_check(const struct ratelimit_config *cfg, char *err, size_t errlen)
{
	const char *why = NULL;

	if (cfg->slots < 1 || cfg->slots > CB_RATELIMIT_MAX_SLOTS)
		why = "slots out of range";
	else if (cfg->key_base_delay_us <= 0 ||
	    cfg->key_max_delay_us < cfg->key_base_delay_us)
		why = "key delays must satisfy 0 < base <= max";
	else if (cfg->key_forget_us < cfg->key_max_delay_us)
		/* otherwise a blocked key could be forgotten while blocked */
		why = "key forget time must be >= the longest delay";
	else if (cfg->global_burst < 1 || cfg->global_per_sec < 1 ||
	    cfg->global_per_sec > 1000000)
		why = "global burst and rate out of range";
	if (why != NULL) {
		snprintf(err, errlen, "ratelimit: %s", why);
		return -1;
	}
	return 0;
}

struct ratelimit *
ratelimit_new(const struct ratelimit_config *cfg, char *err, size_t errlen)
{
	struct ratelimit *rl;
	int rc;

	if (config_check(cfg, err, errlen) != 0)
		return NULL;
	rl = calloc(1, sizeof *rl);
	if (rl == NULL)
		goto oom;
	rl->cfg = *cfg;
	rl->nbuckets = 1;
	while (rl->nbuckets < cfg->slots)
		rl->nbuckets <<= 1;
	rl->buckets = malloc(rl->nbuckets * sizeof *rl->buckets);
	rl->entries = calloc(cfg->slots, sizeof *rl->entries);
	if (rl->buckets == NULL || rl->entries == NULL)
		goto oom;
	for (uint32_t i = 0; i < rl->nbuckets; i++)
		rl->buckets[i] = NIL;
	for (uint32_t i = 0; i < cfg->slots; i++)
		rl->entries[i].bucket_next = i + 1 < cfg->slots ? i + 1 : NIL;
	rl->free_head = 0;
	rl->lru_head = rl->lru_tail = NIL;
	rl->global_interval_us = 1000000 / (int64_t)cfg->global_per_sec;

	if (random_fill(&rl->seed, sizeof rl->seed) != 0) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		goto fail;
	}
	rc = pthread_mutex_init(&rl->lock, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "pthread_mutex_init: %s", strerror(rc));
		goto fail;
	}
	return rl;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	if (rl != NULL) {
		free(rl->buckets);
		free(rl->entries);
		free(rl);
	}
	return NULL;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->buckets);
	free(rl->entries);
	free(rl);
}

static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static uint32_t
key_hash(const struct ratelimit *rl, const char *key, size_t keylen)
{
	uint32_t h = 2166136261u ^ rl->seed;

	for (size_t i = 0; i < keylen; i++) {
		h ^= fold((unsigned char)key[i]);
		h *= 16777619u;
	}
	return h;
}

static bool
key_equal(const struct rl_entry *e, const char *key, size_t keylen)
{
	if (e->keylen != keylen)
		return false;
	for (size_t i = 0; i < keylen; i++)
		if (fold((unsigned char)e->key[i]) !=
		    fold((unsigned char)key[i]))
			return false;
	return true;
}

/* The entry for key, or NIL.  *prevp gets the bucket predecessor (NIL if
 * first in its bucket) for unlinking. */
static uint32_t
entry_find(struct ratelimit *rl, uint32_t hash, const char *key,
    size_t keylen, uint32_t *prevp)
{
	uint32_t i, prev = NIL;

	for (i = rl->buckets[hash & (rl->nbuckets - 1)]; i != NIL;
	    prev = i, i = rl->entries[i].bucket_next)
		if (rl->entries[i].hash == hash &&
		    key_equal(&rl->entries[i], key, keylen))
			break;
	if (prevp != NULL)
		*prevp = prev;
	return i;
}

static void
lru_unlink(struct ratelimit *rl, uint32_t i)
{
	struct rl_entry *e = &rl->entries[i];

	if (e->lru_prev != NIL)
		rl->entries[e->lru_prev].lru_next = e->lru_next;
	else
		rl->lru_head = e->lru_next;
	if (e->lru_next != NIL)
		rl->entries[e->lru_next].lru_prev = e->lru_prev;
	else
		rl->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NIL;
}

static void
lru_push_head(struct ratelimit *rl, uint32_t i)
{
	struct rl_entry *e = &rl->entries[i];

	e->lru_prev = NIL;
	e->lru_next = rl->lru_head;
	if (rl->lru_head != NIL)
		rl->entries[rl->lru_head].lru_prev = i;
	rl->lru_head = i;
	if (rl->lru_tail == NIL)
		rl->lru_tail = i;
}

/* Take entry i out of its bucket and the LRU list and put it on the free
 * list. */
static void
entry_remove(struct ratelimit *rl, uint32_t i, uint32_t bucket_prev)
{
	struct rl_entry *e = &rl->entries[i];

	if (bucket_prev != NIL)
		rl->entries[bucket_prev].bucket_next = e->bucket_next;
	else
		rl->buckets[e->hash & (rl->nbuckets - 1)] = e->bucket_next;
	lru_unlink(rl, i);
	memset(e, 0, sizeof *e);
	e->bucket_next = rl->free_head;
	rl->free_head = i;
	rl->entries_used--;
}

/* Remove the least recently failed entry to make room. */
static void
entry_evict(struct ratelimit *rl)
{
	uint32_t victim = rl->lru_tail, prev = NIL, j;

	for (j = rl->buckets[rl->entries[victim].hash & (rl->nbuckets - 1)];
	    j != victim; prev = j, j = rl->entries[j].bucket_next)
		;
	entry_remove(rl, victim, prev);
	rl->evictions++;
}

/* A new, zeroed entry for key, evicting the oldest if the table is full. */
static uint32_t
entry_insert(struct ratelimit *rl, uint32_t hash, const char *key,
    size_t keylen)
{
	struct rl_entry *e;
	uint32_t i, b;

	if (rl->free_head == NIL)
		entry_evict(rl);
	i = rl->free_head;
	e = &rl->entries[i];
	rl->free_head = e->bucket_next;

	memset(e, 0, sizeof *e);
	e->hash = hash;
	e->keylen = (uint32_t)keylen;
	memcpy(e->key, key, keylen);
	b = hash & (rl->nbuckets - 1);
	e->bucket_next = rl->buckets[b];
	rl->buckets[b] = i;
	e->lru_prev = e->lru_next = NIL;
	lru_push_head(rl, i);
	rl->entries_used++;
	return i;
}

/* The caller's now, never earlier than one already seen. */
static int64_t
effective_now(struct ratelimit *rl, int64_t now_us)
{
	if (now_us > rl->now_high)
		rl->now_high = now_us;
	return rl->now_high;
}

/* The global GCRA wait: the bucket tolerates global_burst - 1 intervals
 * of debt before the next login has to wait. */
static int64_t
global_wait(const struct ratelimit *rl, int64_t now)
{
	int64_t tolerance = (int64_t)(rl->cfg.global_burst - 1) *
	    rl->global_interval_us;
	int64_t w = rl->global_tat_us - now - tolerance;

	return w > 0 ? w : 0;
}

static int64_t
key_wait(const struct ratelimit *rl, uint32_t i, int64_t now)
{
	const struct rl_entry *e;

	if (i == NIL)
		return 0;
	e = &rl->entries[i];
	if (now - e->last_fail_us >= rl->cfg.key_forget_us ||
	    e->blocked_until_us <= now)
		return 0;
	return e->blocked_until_us - now;
}

static size_t
key_clamp(size_t keylen)
{
	return keylen > CB_RATELIMIT_KEY_MAX ? CB_RATELIMIT_KEY_MAX : keylen;
}

int64_t
ratelimit_check(struct ratelimit *rl, const char *key, size_t keylen,
    int64_t now_us)
{
	int64_t now, kw, gw;
	uint32_t hash;

	keylen = key_clamp(keylen);
	hash = key_hash(rl, key, keylen);
	rl_lock(rl);
	now = effective_now(rl, now_us);
	kw = key_wait(rl, entry_find(rl, hash, key, keylen, NULL), now);
	gw = global_wait(rl, now);
	if (kw > 0 || gw > 0)
		rl->limited++;
	rl_unlock(rl);
	return kw > gw ? kw : gw;
}

int64_t
ratelimit_fail(struct ratelimit *rl, const char *key, size_t keylen,
    int64_t now_us)
{
	struct rl_entry *e;
	int64_t now, delay, kw, gw;
	uint32_t hash, i, over;

	keylen = key_clamp(keylen);
	hash = key_hash(rl, key, keylen);
	rl_lock(rl);
	now = effective_now(rl, now_us);

	i = entry_find(rl, hash, key, keylen, NULL);
	if (i == NIL)
		i = entry_insert(rl, hash, key, keylen);
	else {
		lru_unlink(rl, i);
		lru_push_head(rl, i);
	}
	e = &rl->entries[i];
	if (e->failures > 0 && now - e->last_fail_us >= rl->cfg.key_forget_us)
		e->failures = 0;
	if (e->failures < UINT32_MAX)
		e->failures++;
	e->last_fail_us = now;
	if (e->failures > rl->cfg.key_free_failures) {
		/* base, 2 base, 4 base ... capped at max; doubling stops at
		 * the cap, so it never overflows */
		over = e->failures - rl->cfg.key_free_failures - 1;
		delay = rl->cfg.key_base_delay_us;
		for (uint32_t k = 0; k < over &&
		    delay < rl->cfg.key_max_delay_us; k++)
			delay = delay > rl->cfg.key_max_delay_us / 2 ?
			    rl->cfg.key_max_delay_us : delay * 2;
		e->blocked_until_us = now + delay;
	}

	if (rl->global_tat_us < now)
		rl->global_tat_us = now;
	rl->global_tat_us += rl->global_interval_us;

	kw = key_wait(rl, i, now);
	gw = global_wait(rl, now);
	rl_unlock(rl);
	return kw > gw ? kw : gw;
}

void
ratelimit_success(struct ratelimit *rl, const char *key, size_t keylen)
{
	uint32_t hash, i, prev;

	keylen = key_clamp(keylen);
	hash = key_hash(rl, key, keylen);
	rl_lock(rl);
	i = entry_find(rl, hash, key, keylen, &prev);
	if (i != NIL)
		entry_remove(rl, i, prev);
	rl_unlock(rl);
}

void
ratelimit_stats(struct ratelimit *rl, struct ratelimit_stats *st)
{
	rl_lock(rl);
	st->slots = rl->cfg.slots;
	st->entries = rl->entries_used;
	st->evictions = rl->evictions;
	st->limited = rl->limited;
	rl_unlock(rl);
}
