/*
 * method_auth.c -- sessions: auth.login, auth.refresh, auth.verify,
 * auth.logout, auth.logout_all.
 *
 * auth.login runs in three steps so that the ~15 ms password hash never
 * holds a database handle: read the stored hash (reader), release, verify
 * on a hashing worker, then create the session (writer).  Unknown users
 * are verified against a dummy hash, so both failures take as long and
 * read the same.  Failures feed the login rate limiter (ratelimit.h).
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "auth.h"
#include "authcache.h"
#include "clock.h"
#include "method.h"
#include "methods.h"
#include "password.h"
#include "ratelimit.h"
#include "rpc.h"
#include "server.h"
#include "text.h"
#include "token.h"

enum { LOGIN_USERNAME, LOGIN_PASSWORD };
static const struct arg_spec login_args[] = {
	[LOGIN_USERNAME] = AUTH_ARG_USERNAME("username"),
	[LOGIN_PASSWORD] = AUTH_ARG_PASSWORD("password", 1),
	ARGS_END,
};

/* ---- sessions ---- */

static const char sql_session_insert[] =
    "INSERT INTO sessions (user_id, salt, hash, created_at, expires_at) "
    "VALUES (?1, zeroblob(16), zeroblob(32), ?2, ?3) RETURNING session_id";
static const char sql_session_seal[] =
    "UPDATE sessions SET salt = ?2, hash = ?3 WHERE session_id = ?1";
static const char sql_session_revoke[] =
    "UPDATE sessions SET revoked = 1 WHERE session_id = ?1";

/*
 * Create a session for user_id and pack {"token", "expires_at"[,
 * "user_id"]} as the result.  The token is made for the new row's id; only
 * its salted hash is stored.
 */
static int
session_create(struct call *call, int64_t user_id, bool with_user)
{
	const struct config *cfg = call->server->cfg;
	struct token_record rec;
	char token[TOKEN_BUF_SIZE];
	sqlite3_stmt *stmt;
	int64_t now = clock_wall_s(), expires_at, session_id;
	int rc;

	expires_at = now + cfg->token_ttl_s;
	if ((stmt = call_prepare(call, sql_session_insert,
	    "creating the session")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_int64(stmt, 3, expires_at);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "creating the session");
	session_id = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (token_new(session_id, token, sizeof token, &rec) != 0)
		return call_fail(call, CB_INTERNAL, "cannot make a token");
	if ((stmt = call_prepare(call, sql_session_seal,
	    "creating the session")) == NULL) {
		explicit_bzero(token, sizeof token);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, session_id);
	sqlite3_bind_blob(stmt, 2, rec.salt, sizeof rec.salt, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 3, rec.hash, sizeof rec.hash, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
		explicit_bzero(token, sizeof token);
		return call_fail_sqlite(call, rc, "creating the session");
	}
	msgpack_pack_map(call->result, with_user ? 3 : 2);
	rpc_pack_cstr(call->result, "token");
	rpc_pack_cstr(call->result, token);
	rpc_pack_cstr(call->result, "expires_at");
	msgpack_pack_int64(call->result, expires_at);
	if (with_user) {
		rpc_pack_cstr(call->result, "user_id");
		msgpack_pack_int64(call->result, user_id);
	}
	explicit_bzero(token, sizeof token);
	return 0;
}

static int
session_revoke(struct call *call, int64_t session_id)
{
	sqlite3_stmt *stmt = call_prepare(call, sql_session_revoke,
	    "ending the session");
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, session_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "ending the session");
	call->forget_session_id = session_id;
	return 0;
}

/* ---- auth.login ---- */

struct login_state {
	int64_t user_id;			/* 0: no such user */
	char key[CB_USERNAME_MAX];		/* folded username */
	size_t keylen;
	char stored[PASSWORD_ENCODED_MAX];
	char rehashed[PASSWORD_ENCODED_MAX];	/* "" unless a rehash is due */
	bool checked_again;		/* the hash changed under us once */
};

static const char sql_user_by_key[] =
    "SELECT user_id, password_hash FROM users WHERE username_key = ?1";
static const char sql_user_hash_now[] =
    "SELECT password_hash FROM users WHERE user_id = ?1";
static const char sql_user_set_hash[] =
    "UPDATE users SET password_hash = ?2 WHERE user_id = ?1";
/* Expired sessions of anyone (indexed), and this user's revoked ones. */
static const char sql_sessions_purge[] =
    "DELETE FROM sessions WHERE expires_at <= ?2 OR "
    "(user_id = ?1 AND revoked = 1)";


/* How the limiter's refusals name what failed. */
#define LOGIN_FAILURES "failed logins"

static int login_verify(struct call *call);
static int login_finish(struct call *call);

static const struct method_step login_verify_step = {
	.exec = login_verify, .flags = METHOD_HASH,
};
static const struct method_step login_finish_step = {
	.exec = login_finish, .flags = METHOD_DB_WRITE,
};

/* Step 1, reader: the stored hash, if the user exists. */
static int
login_exec(struct call *call)
{
	struct login_state *st = call_state(call, sizeof *st);
	sqlite3_stmt *stmt;
	const struct arg_value *name = &call->args[LOGIN_USERNAME];
	int rc;

	if (st == NULL)
		return call_fail(call, CB_INTERNAL, "out of memory");
	text_fold_ascii(name->s, name->len, st->key);
	st->keylen = name->len;
	if (auth_limit_check(call, st->key, st->keylen, LOGIN_FAILURES) != 0)
		return -1;
	if ((stmt = call_prepare(call, sql_user_by_key,
	    "looking up the user")) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, st->key, (int)st->keylen, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(stmt, 1);

		st->user_id = sqlite3_column_int64(stmt, 0);
		snprintf(st->stored, sizeof st->stored, "%s",
		    h != NULL ? (const char *)h : "");
	} else if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "looking up the user");
	return call_continue(call, &login_verify_step);
}

/* The hash to check against: none (a dummy of the same cost) for an
 * unknown user and for a peer account that has no password. */
static const char *
login_hash_of(const struct login_state *st)
{
	return st->user_id != 0 && st->stored[0] != '\0' ? st->stored : NULL;
}

/* Step 2, hashing worker, no handle: the password. */
static int
login_verify(struct call *call)
{
	struct login_state *st = call->state;
	const struct password_hasher *h = call->server->hasher;
	bool rehash = false;
	const char *pw = call->args[LOGIN_PASSWORD].s;
	size_t len = call->args[LOGIN_PASSWORD].len;
	char why[128];

	if (auth_check_password(call, st->key, st->keylen, LOGIN_FAILURES,
	    login_hash_of(st), pw, len, &rehash,
	    "wrong username or password") != 0)
		return -1;
	/* Stored with older parameters: upgrade while we have the password. */
	if (rehash && password_hash(h, pw, len, st->rehashed,
	    sizeof st->rehashed, why, sizeof why) != 0)
		st->rehashed[0] = '\0';		/* keep the old hash */
	return call_continue(call, &login_finish_step);
}

static void
login_committed(struct call *call)
{
	struct login_state *st = call->state;

	ratelimit_success(call->server->ratelimit, st->key, st->keylen);
}

/* Step 3, writer: the session. */
static int
login_finish(struct call *call)
{
	struct login_state *st = call->state;
	sqlite3_stmt *stmt;
	const char *now;
	int rc;

	/* The password checked in step 2 must still be the user's: a
	 * password change may have committed in between, and must win. */
	if ((stmt = call_prepare(call, sql_user_hash_now,
	    "looking up the user")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, st->user_id);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "looking up the user");
	now = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(stmt, 0) :
	    NULL;
	if (rc == SQLITE_ROW && now == NULL)	/* out of memory */
		return call_fail_sqlite(call, SQLITE_NOMEM,
		    "looking up the user");
	if (now != NULL && strcmp(now, st->stored) != 0 &&
	    !st->checked_again) {
		/* Changed since step 1: a password change (the password we
		 * checked is no longer the user's), or another login's
		 * upgrade of the same password to new parameters.  Only a
		 * hash can tell: check again against what is stored now. */
		snprintf(st->stored, sizeof st->stored, "%s", now);
		st->rehashed[0] = '\0';
		st->checked_again = true;
		sqlite3_reset(stmt);
		return call_continue(call, &login_verify_step);
	}
	if (now == NULL || strcmp(now, st->stored) != 0)
		return call_fail(call, CB_UNAUTHORIZED, "wrong username or "
		    "password");
	sqlite3_reset(stmt);
	/* The failure count resets only if the session really exists. */
	call->after_commit = login_committed;
	if (st->rehashed[0] != '\0') {
		if ((stmt = call_prepare(call, sql_user_set_hash,
		    "upgrading the hash")) == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, st->user_id);
		sqlite3_bind_text(stmt, 2, st->rehashed, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
			return call_fail_sqlite(call, rc, "upgrading the hash");
	}
	/* Expired sessions go now, whoever's they are. */
	if ((stmt = call_prepare(call, sql_sessions_purge,
	    "purging old sessions")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, st->user_id);
	sqlite3_bind_int64(stmt, 2, clock_wall_s());
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "purging old sessions");
	return session_create(call, st->user_id, true);
}

const struct method method_auth_login = {
	.name = CB_METHOD_AUTH_LOGIN,
	.exec = login_exec,
	.flags = METHOD_DB_READ | METHOD_ONE_STATEMENT |
	    METHOD_SECRET_REPLY,
	.args = login_args,
};

/* ---- token methods ---- */

static const char sql_session_view[] =
    "SELECT u.username, s.expires_at FROM sessions s "
    "JOIN users u ON u.user_id = s.user_id WHERE s.session_id = ?1";

static int
verify_exec(struct call *call)
{
	sqlite3_stmt *stmt = call_prepare(call, sql_session_view,
	    "reading the session");
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->session_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return rc == SQLITE_DONE ? call_fail(call, CB_UNAUTHORIZED,
		    "invalid token; log in again") : call_fail_sqlite(call,
		    rc, "reading the session");
	msgpack_pack_map(call->result, 3);
	rpc_pack_cstr(call->result, "user_id");
	msgpack_pack_int64(call->result, call->user_id);
	rpc_pack_cstr(call->result, "username");
	msgpack_pack_str_with_body(call->result, sqlite3_column_text(stmt, 0),
	    (size_t)sqlite3_column_bytes(stmt, 0));
	rpc_pack_cstr(call->result, "expires_at");
	msgpack_pack_int64(call->result, sqlite3_column_int64(stmt, 1));
	return 0;
}

const struct method method_auth_verify = {
	.name = CB_METHOD_AUTH_VERIFY,
	.exec = verify_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH | METHOD_TOKEN_ONLY |
	    METHOD_ONE_STATEMENT,
};

static int
logout_exec(struct call *call)
{
	if (session_revoke(call, call->session_id) != 0)
		return -1;
	msgpack_pack_map(call->result, 0);
	return 0;
}

const struct method method_auth_logout = {
	.name = CB_METHOD_AUTH_LOGOUT,
	.exec = logout_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH | METHOD_TOKEN_ONLY,
};

static const char sql_sessions_revoke_user[] =
    "UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND revoked = 0";

static int
logout_all_exec(struct call *call)
{
	sqlite3_stmt *stmt = call_prepare(call, sql_sessions_revoke_user,
	    "ending the sessions");
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "ending the sessions");
	call->forget_user_id = call->user_id;
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "revoked");
	msgpack_pack_int64(call->result,
	    sqlite3_changes64(db_handle(call->db)));
	return 0;
}

const struct method method_auth_logout_all = {
	.name = CB_METHOD_AUTH_LOGOUT_ALL,
	.exec = logout_all_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
};

/* A new token for the same user; the old one stops working at once. */
static int
refresh_exec(struct call *call)
{
	if (session_revoke(call, call->session_id) != 0)
		return -1;
	return session_create(call, call->user_id, false);
}

const struct method method_auth_refresh = {
	.name = CB_METHOD_AUTH_REFRESH,
	.exec = refresh_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH | METHOD_TOKEN_ONLY |
	    METHOD_SECRET_REPLY,
};
