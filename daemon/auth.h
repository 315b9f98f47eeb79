/*
 * auth.h -- the dispatcher's one authentication step for METHOD_AUTH
 * methods: read params.token, and verify it against its session row.
 *
 * Handlers never authenticate: by the time one runs, call->user_id and
 * call->session_id name a live session, checked here or found in the
 * token cache (authcache.h).
 */
#ifndef CASHBOOK_DAEMON_AUTH_H
#define CASHBOOK_DAEMON_AUTH_H

#include "authcache.h"
#include "method.h"

/* Whether params.token was given (and is not nil). */
bool auth_claim_given(const struct call *call);

/* Read and parse params.token (loop thread, no database).  0, or -1 with
 * the call failed unauthorized. */
int auth_claim_parse(struct call *call, struct auth_claim *claim);

/* Verify claim against its session row on call->db (inside the request's
 * transaction): it must exist, match the stored hash, not be revoked and
 * not be expired.  Sets call->user_id and call->session_id and caches the
 * result.  0, or -1 with the call failed (unauthorized, or a database
 * error). */
int auth_verify_claim(struct call *call, const struct auth_claim *claim,
    struct authcache *cache);

/* For a write whose claim the token cache already vouched for (the secret
 * is right): check only that the session still exists, is not revoked and
 * has not expired -- one primary-key read in the write transaction, no
 * hash.  0, or -1 with the call failed. */
int auth_recheck_session(struct call *call);

/* Usernames: 1..CB_USERNAME_MAX bytes of clean UTF-8 (text.h). */
#define CB_USERNAME_MAX 64

/* The declared arguments (args.h) for a username, and for a password of
 * at least min bytes. */
#define AUTH_ARG_USERNAME(key) { .name = (key), .type = ARG_STR, \
    .flags = ARG_REQUIRED, .min = 1, \
    .max = CB_USERNAME_MAX, .check = auth_username_check }
#define AUTH_ARG_PASSWORD(key, minlen) { .name = (key), .type = ARG_STR, \
    .flags = ARG_REQUIRED, \
    .min = (minlen), .max = CB_PASSWORD_MAX_LEN }

/* A username is clean text (an arg_check_fn). */
int auth_username_check(struct call *call, const struct arg_spec *spec,
    struct arg_value *v);

/* The login limiter for the user whose folded name is key: 0, or -1
 * with the call failed rate_limited "too many <what> for this user; retry
 * in N s" while the key must wait. */
int auth_limit_check(struct call *call, const char *key, size_t keylen,
    const char *what);

/*
 * Check a password on a hashing worker, under the login limiter (checked
 * again here: attempts queued alongside this one may have failed since).
 * stored is the user's encoded hash, or NULL for no such user (a dummy
 * hash then takes the same time).  A mismatch counts as a failed login
 * and fails the call unauthorized with wrong_msg.  0 on a match, with
 * *needs_rehash (may be NULL) set when the stored parameters are old.
 */
int auth_check_password(struct call *call, const char *key, size_t keylen,
    const char *what, const char *stored, const char *pw, size_t len,
    bool *needs_rehash, const char *wrong_msg);

#endif
