/*
 * authcache.c -- see authcache.h.
 *
 * Owns: the entries (session id, user id, expiry, the token's secret) and
 * the revocation epoch, under one mutex.
 *
 * Must never: vouch for a token longer than CB_AUTHCACHE_TTL_S, or after a
 * revocation or a clear that happened while it was being verified; keep a
 * secret in memory once its entry is gone (entries are wiped, not just
 * marked empty).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "authcache.h"

struct authcache_entry {
	int64_t session_id;		/* 0: empty */
	int64_t user_id;
	int64_t expires_at;		/* the session's own expiry */
	int64_t cached_until;		/* now + CB_AUTHCACHE_TTL_S */
	uint8_t secret[TOKEN_SECRET_BYTES];
};

struct authcache {
	pthread_mutex_t lock;
	uint64_t epoch;
	struct authcache_entry slots[CB_AUTHCACHE_SLOTS];
};

struct authcache *
authcache_new(void)
{
	struct authcache *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

void
authcache_free(struct authcache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	explicit_bzero(c->slots, sizeof c->slots);
	free(c);
}

static struct authcache_entry *
authcache_slot(struct authcache *c, int64_t session_id)
{
	return &c->slots[(uint64_t)session_id % CB_AUTHCACHE_SLOTS];
}

/* Constant-time: the secret is compared like a password. */
static bool
authcache_same_secret(const uint8_t *a, const uint8_t *b)
{
	volatile uint8_t diff = 0;

	for (size_t i = 0; i < TOKEN_SECRET_BYTES; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

bool
authcache_lookup(struct authcache *c, const struct auth_claim *claim,
    int64_t now_s, int64_t *user_id, int64_t *session_id,
    int64_t *expires_at)
{
	struct authcache_entry *e;
	bool hit = false;

	pthread_mutex_lock(&c->lock);
	e = authcache_slot(c, claim->session_id);
	if (e->session_id == claim->session_id && e->session_id != 0 &&
	    now_s < e->cached_until && now_s < e->expires_at &&
	    authcache_same_secret(e->secret, claim->secret)) {
		*user_id = e->user_id;
		*session_id = e->session_id;
		*expires_at = e->expires_at;
		hit = true;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

uint64_t
authcache_epoch(struct authcache *c)
{
	uint64_t epoch;

	pthread_mutex_lock(&c->lock);
	epoch = c->epoch;
	pthread_mutex_unlock(&c->lock);
	return epoch;
}

void
authcache_store(struct authcache *c, const struct auth_claim *claim,
    int64_t user_id, int64_t expires_at, int64_t now_s, uint64_t epoch)
{
	struct authcache_entry *e;

	pthread_mutex_lock(&c->lock);
	if (epoch == c->epoch) {
		e = authcache_slot(c, claim->session_id);
		e->session_id = claim->session_id;
		e->user_id = user_id;
		e->expires_at = expires_at;
		e->cached_until = now_s + CB_AUTHCACHE_TTL_S;
		memcpy(e->secret, claim->secret, sizeof e->secret);
	}
	pthread_mutex_unlock(&c->lock);
}

void
authcache_forget(struct authcache *c, int64_t session_id, int64_t user_id)
{
	pthread_mutex_lock(&c->lock);
	c->epoch++;
	for (size_t i = 0; i < CB_AUTHCACHE_SLOTS; i++) {
		struct authcache_entry *e = &c->slots[i];

		if (e->session_id != 0 && ((session_id != 0 &&
		    e->session_id == session_id) || (user_id != 0 &&
		    e->user_id == user_id)))
			explicit_bzero(e, sizeof *e);
	}
	pthread_mutex_unlock(&c->lock);
}

void
authcache_clear(struct authcache *c)
{
	pthread_mutex_lock(&c->lock);
	c->epoch++;
	explicit_bzero(c->slots, sizeof c->slots);
	pthread_mutex_unlock(&c->lock);
}
