/*
 * auth.c -- see auth.h.
 */
#include <string.h>

#include "args.h"
#include "auth.h"
#include "clock.h"
#include "rpc.h"
#include "password.h"
#include "ratelimit.h"
#include "server.h"
#include "text.h"
#include "token.h"

/* Every failure says what to do next: clients show it to people. */
#define AUTH_AGAIN "; log in again"

bool
auth_claim_given(const struct call *call)
{
	const msgpack_object *v = call->params != NULL ?
	    rpc_map_get(call->params, "token") : NULL;

	return v != NULL && v->type != MSGPACK_OBJECT_NIL;
}

int
auth_claim_parse(struct call *call, struct auth_claim *claim)
{
	/* Keys are known unique strings here: args_parse ran. */
	const msgpack_object *v = rpc_map_get(call->params, "token");

	memset(claim, 0, sizeof *claim);
	if (v == NULL)
		return call_fail(call, CB_UNAUTHORIZED, "missing token; log "
		    "in first");
	if (v->type != MSGPACK_OBJECT_STR || token_parse(v->via.str.ptr,
	    v->via.str.size, &claim->session_id, claim->secret) != 0)
		return call_fail(call, CB_UNAUTHORIZED, "invalid token"
		    AUTH_AGAIN);
	return 0;
}

static const char sql_session[] =
    "SELECT user_id, salt, hash, expires_at, revoked FROM sessions "
    "WHERE session_id = ?1";

static const char sql_session_live[] =
    "SELECT expires_at, revoked FROM sessions "
    "WHERE session_id = ?1 AND user_id = ?2";

int
auth_recheck_session(struct call *call)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_session_live,
	    "reading the session")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->session_id);
	sqlite3_bind_int64(stmt, 2, call->user_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return call_fail(call, CB_UNAUTHORIZED, "invalid token"
		    AUTH_AGAIN);
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "reading the session");
	if (sqlite3_column_int(stmt, 1) != 0)
		return call_fail(call, CB_UNAUTHORIZED, "session revoked"
		    AUTH_AGAIN);
	if (clock_wall_s() >= sqlite3_column_int64(stmt, 0))
		return call_fail(call, CB_UNAUTHORIZED, "session expired"
		    AUTH_AGAIN);
	return 0;
}

int
auth_verify_claim(struct call *call, const struct auth_claim *claim,
    struct authcache *cache)
{
	struct token_record rec;
	sqlite3_stmt *stmt;
	uint64_t epoch = authcache_epoch(cache);
	int64_t user_id = 0, expires_at = 0, now = clock_wall_s();
	enum token_verdict verdict;
	bool found, revoked = false;
	int rc;

	if ((stmt = call_prepare(call, sql_session,
	    "reading the session")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, claim->session_id);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "reading the session");
	/*
	 * The secret is checked first, and hashed even when there is no such
	 * session (against an all-zero record that nothing matches), so a
	 * guessed session id learns nothing -- not whether it exists, nor
	 * whether it was revoked or has expired -- from the answer or its
	 * timing.
	 */
	memset(&rec, 0, sizeof rec);
	found = rc == SQLITE_ROW &&
	    sqlite3_column_bytes(stmt, 1) == TOKEN_SALT_BYTES &&
	    sqlite3_column_bytes(stmt, 2) == TOKEN_HASH_BYTES;
	if (found) {
		user_id = sqlite3_column_int64(stmt, 0);
		memcpy(rec.salt, sqlite3_column_blob(stmt, 1),
		    TOKEN_SALT_BYTES);
		memcpy(rec.hash, sqlite3_column_blob(stmt, 2),
		    TOKEN_HASH_BYTES);
		expires_at = sqlite3_column_int64(stmt, 3);
		revoked = sqlite3_column_int(stmt, 4) != 0;
	}
	verdict = token_verify(claim->secret, &rec);
	if (verdict == TOKEN_ERROR)
		return call_fail(call, CB_INTERNAL, "cannot check the token");
	if (!found || verdict != TOKEN_MATCH)
		return call_fail(call, CB_UNAUTHORIZED, "invalid token"
		    AUTH_AGAIN);
	if (revoked)
		return call_fail(call, CB_UNAUTHORIZED, "session revoked"
		    AUTH_AGAIN);
	if (now >= expires_at)
		return call_fail(call, CB_UNAUTHORIZED, "session expired"
		    AUTH_AGAIN);
	call->user_id = user_id;
	call->session_id = claim->session_id;
	call->session_expires_at = expires_at;
	authcache_store(cache, claim, user_id, expires_at, now, epoch);
	return 0;
}

_Static_assert(CB_USERNAME_MAX <= CB_RATELIMIT_KEY_MAX,
    "the login limiter must see whole usernames");

int
auth_username_check(struct call *call, const struct arg_spec *spec,
    struct arg_value *v)
{
	if (!text_is_clean(v->s, v->len))
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be "
		    "UTF-8 text without control characters", spec->name);
	return 0;
}

int
auth_limit_check(struct call *call, const char *key, size_t keylen,
    const char *what)
{
	int64_t wait = ratelimit_check(call->server->ratelimit, key, keylen,
	    clock_limiter_us());

	if (wait <= 0)
		return 0;
	return call_fail(call, CB_RATE_LIMITED, "too many %s for this user; "
	    "retry in %lld s", what, (long long)((wait + 999999) / 1000000));
}

int
auth_check_password(struct call *call, const char *key, size_t keylen,
    const char *what, const char *stored, const char *pw, size_t len,
    bool *needs_rehash, const char *wrong_msg)
{
	const struct password_hasher *h = call->server->hasher;
	enum password_verdict v;

	if (auth_limit_check(call, key, keylen, what) != 0)
		return -1;
	v = stored != NULL ? password_verify(h, stored, pw, len,
	    needs_rehash) : password_verify_dummy(h, pw, len);
	if (v == PASSWORD_ERROR)
		return call_fail(call, CB_INTERNAL, "cannot check the "
		    "password");
	if (v != PASSWORD_MATCH) {
		/* The next attempt is told to wait; this one just failed. */
		(void)ratelimit_fail(call->server->ratelimit, key, keylen,
		    clock_limiter_us());
		return call_fail(call, CB_UNAUTHORIZED, "%s", wrong_msg);
	}
	return 0;
}
