/*
 * authcache.h -- tokens verified a moment ago, so an authenticated request
 * costs no database round trip and no hash more than once per token every
 * few seconds.
 *
 * An entry remembers a session's secret, user and expiry for
 * CB_AUTHCACHE_TTL_S.  Revocation wins: every revocation (logout, refresh,
 * password change) calls authcache_forget() after its transaction commits,
 * and an entry is only stored if no revocation happened since the verifier
 * began (an epoch check), so a verifier that read the session just before
 * the revoking commit cannot put it back.
 *
 * Fixed size (CB_AUTHCACHE_SLOTS, direct-mapped by session id); one mutex;
 * any thread.  Never allocates after creation.
 */
#ifndef CASHBOOK_DAEMON_AUTHCACHE_H
#define CASHBOOK_DAEMON_AUTHCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "token.h"

#define CB_AUTHCACHE_SLOTS	1024
#define CB_AUTHCACHE_TTL_S	5

/* A token as presented: what the dispatcher parsed from params.token. */
struct auth_claim {
	int64_t session_id;
	uint8_t secret[TOKEN_SECRET_BYTES];
};

struct authcache;

struct authcache *authcache_new(void);
void authcache_free(struct authcache *c);

/* True (and the caller's user and session, and when the session
 * expires) when claim was verified less than CB_AUTHCACHE_TTL_S ago and
 * has not expired at now_s (wall clock). */
bool authcache_lookup(struct authcache *c, const struct auth_claim *claim,
    int64_t now_s, int64_t *user_id, int64_t *session_id,
    int64_t *expires_at);

/* The revocation epoch, read before verifying against the database. */
uint64_t authcache_epoch(struct authcache *c);

/* Remember a claim verified against the database (since epoch). */
void authcache_store(struct authcache *c, const struct auth_claim *claim,
    int64_t user_id, int64_t expires_at, int64_t now_s, uint64_t epoch);

/* Forget a session (session_id != 0) and/or every session of a user
 * (user_id != 0). */
void authcache_forget(struct authcache *c, int64_t session_id,
    int64_t user_id);

/* Forget every entry: the database they were verified against is gone
 * (its user and session ids may name someone else in another file).
 * Verifiers already running cannot store theirs afterwards (the epoch). */
void authcache_clear(struct authcache *c);

#endif
