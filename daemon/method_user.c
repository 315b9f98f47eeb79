/*
 * method_user.c -- accounts: user.register, user.profile, user.password.
 *
 * Hashing (~15 ms of CPU and 19 MiB) runs in a METHOD_HASH step on a
 * hashing worker, never while a database handle is held.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "auth.h"
#include "clock.h"
#include "method.h"
#include "methods.h"
#include "password.h"
#include "rpc.h"
#include "server.h"
#include "text.h"

enum { REGISTER_USERNAME, REGISTER_PASSWORD };
static const struct arg_spec register_args[] = {
	[REGISTER_USERNAME] = AUTH_ARG_USERNAME("username"),
	[REGISTER_PASSWORD] = AUTH_ARG_PASSWORD("password",
	    CB_PASSWORD_MIN_LEN),
	ARGS_END,
};

enum { PASSWORD_OLD, PASSWORD_NEW };
static const struct arg_spec password_args[] = {
	/* Optional: a peer account sets its first password without one. */
	[PASSWORD_OLD] = { .name = "old_password", .type = ARG_STR, .min = 1,
	    .max = CB_PASSWORD_MAX_LEN },
	[PASSWORD_NEW] = AUTH_ARG_PASSWORD("new_password",
	    CB_PASSWORD_MIN_LEN),
	ARGS_END,
};

/* ---- user.register ---- */

struct register_state {
	char hash[PASSWORD_ENCODED_MAX];
};

static const char sql_user_insert[] =
    "INSERT INTO users (username, username_key, password_hash, created_at) "
    "VALUES (?1, ?2, ?3, ?4) RETURNING user_id";

static int register_store(struct call *call);

static const struct method_step register_store_step = {
	.exec = register_store, .flags = METHOD_DB_WRITE,
};

/* Step 1, hashing worker. */
static int
register_exec(struct call *call)
{
	struct register_state *st = call_state(call, sizeof *st);
	const struct arg_value *pw = &call->args[REGISTER_PASSWORD];
	char why[128];

	if (st == NULL)
		return call_fail(call, CB_INTERNAL, "out of memory");
	if (password_hash(call->server->hasher, pw->s, pw->len, st->hash,
	    sizeof st->hash, why, sizeof why) != 0)
		return call_fail(call, CB_INTERNAL, "cannot hash the password: "
		    "%s", why);
	return call_continue(call, &register_store_step);
}

/* Step 2, writer. */
static int
register_store(struct call *call)
{
	struct register_state *st = call->state;
	char key[CB_USERNAME_MAX];
	sqlite3_stmt *stmt;
	const char *name = call->args[REGISTER_USERNAME].s;
	size_t len = call->args[REGISTER_USERNAME].len;
	int rc;

	text_fold_ascii(name, len, key);
	if ((stmt = call_prepare(call, sql_user_insert,
	    "creating the user")) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, name, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, st->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, clock_wall_s());
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return call_fail(call, CB_CONFLICT, "username '%.*s' is taken",
		    (int)len, name);
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "creating the user");
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "user_id");
	msgpack_pack_int64(call->result, sqlite3_column_int64(stmt, 0));
	return 0;
}

const struct method method_user_register = {
	.name = CB_METHOD_USER_REGISTER,
	.exec = register_exec,
	.flags = METHOD_HASH,
	.args = register_args,
};

/* ---- user.profile ---- */

static const char sql_user_profile[] =
    "SELECT username, created_at, unread, password_hash <> '' "
    "FROM users WHERE user_id = ?1";

static int
profile_exec(struct call *call)
{
	sqlite3_stmt *stmt = call_prepare(call, sql_user_profile,
	    "reading the profile");
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return rc == SQLITE_DONE ? call_fail(call, CB_NOT_FOUND,
		    "no such user") : call_fail_sqlite(call, rc,
		    "reading the profile");
	msgpack_pack_map(call->result, 6);
	rpc_pack_cstr(call->result, "user_id");
	msgpack_pack_int64(call->result, call->user_id);
	rpc_pack_cstr(call->result, "username");
	msgpack_pack_str_with_body(call->result, sqlite3_column_text(stmt, 0),
	    (size_t)sqlite3_column_bytes(stmt, 0));
	rpc_pack_cstr(call->result, "created_at");
	msgpack_pack_int64(call->result, sqlite3_column_int64(stmt, 1));
	rpc_pack_cstr(call->result, "via");
	rpc_pack_cstr(call->result, call->via_peer ? "peer" : "token");
	rpc_pack_cstr(call->result, "unread");
	msgpack_pack_int64(call->result, sqlite3_column_int64(stmt, 2));
	/* A peer account may have none yet (user.password sets the first
	 * without an old one). */
	rpc_pack_cstr(call->result, "has_password");
	rpc_pack_bool(call->result, sqlite3_column_int(stmt, 3) != 0);
	return 0;
}

const struct method method_user_profile = {
	.name = CB_METHOD_USER_PROFILE,
	.exec = profile_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH | METHOD_ONE_STATEMENT,
};

/* ---- user.password ---- */

struct password_state {
	char stored[PASSWORD_ENCODED_MAX];
	char fresh[PASSWORD_ENCODED_MAX];
	char key[CB_USERNAME_MAX];		/* for the login limiter */
	size_t keylen;
};

static const char sql_user_hash[] =
    "SELECT password_hash, username FROM users WHERE user_id = ?1";
/* Only over the hash the old password was checked against: of two
 * overlapping changes, the second finds it gone and fails. */
static const char sql_user_set_hash[] =
    "UPDATE users SET password_hash = ?2 "
    "WHERE user_id = ?1 AND password_hash = ?3";
static const char sql_sessions_revoke_others[] =
    "UPDATE sessions SET revoked = 1 "
    "WHERE user_id = ?1 AND session_id <> ?2 AND revoked = 0";

static int password_rehash(struct call *call);
static int password_store(struct call *call);

static const struct method_step password_rehash_step = {
	.exec = password_rehash, .flags = METHOD_HASH,
};
static const struct method_step password_store_step = {
	.exec = password_store, .flags = METHOD_DB_WRITE,
};

/* Step 1, reader: the stored hash. */
static int
password_exec(struct call *call)
{
	struct password_state *st = call_state(call, sizeof *st);
	sqlite3_stmt *stmt;
	int rc;

	if (st == NULL)
		return call_fail(call, CB_INTERNAL, "out of memory");
	if ((stmt = call_prepare(call, sql_user_hash,
	    "reading the password")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return rc == SQLITE_DONE ? call_fail(call, CB_NOT_FOUND,
		    "no such user") : call_fail_sqlite(call, rc,
		    "reading the password");
	snprintf(st->stored, sizeof st->stored, "%s",
	    (const char *)sqlite3_column_text(stmt, 0));
	/* A peer account's first password needs no old one; any other
	 * change does, or a borrowed terminal could take the account. */
	if (st->stored[0] == '\0' && call_has(call, PASSWORD_OLD))
		return call_fail(call, CB_BAD_REQUEST, "this account has no "
		    "password yet: leave out old_password to set one");
	if (st->stored[0] != '\0' && !call_has(call, PASSWORD_OLD))
		return call_fail(call, CB_BAD_REQUEST, "field 'old_password' is "
		    "required: give the current password to change it");
	st->keylen = (size_t)sqlite3_column_bytes(stmt, 1);
	if (st->keylen > sizeof st->key)
		st->keylen = sizeof st->key;
	text_fold_ascii((const char *)sqlite3_column_text(stmt, 1),
	    st->keylen, st->key);
	return call_continue(call, &password_rehash_step);
}

/* Step 2, hashing worker: check the old password, hash the new one. */
static int
password_rehash(struct call *call)
{
	struct password_state *st = call->state;
	const struct password_hasher *h = call->server->hasher;
	const struct arg_value *old = &call->args[PASSWORD_OLD];
	const struct arg_value *new = &call->args[PASSWORD_NEW];
	char why[128];

	/* Guesses of the old password count as failed logins: a stolen
	 * token must not be a way to test passwords at full speed. */
	if (st->stored[0] != '\0' && auth_check_password(call, st->key,
	    st->keylen, "wrong passwords", st->stored, old->s, old->len, NULL,
	    "wrong password") != 0)
		return -1;
	if (password_hash(h, new->s, new->len, st->fresh, sizeof st->fresh, why,
	    sizeof why) != 0)
		return call_fail(call, CB_INTERNAL, "cannot hash the password: "
		    "%s", why);
	return call_continue(call, &password_store_step);
}

/* Step 3, writer: store it; every other session of the user ends. */
static int
password_store(struct call *call)
{
	struct password_state *st = call->state;
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_user_set_hash,
	    "storing the password")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	sqlite3_bind_text(stmt, 2, st->fresh, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, st->stored, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "storing the password");
	if (sqlite3_changes(db_handle(call->db)) != 1)
		return call_fail(call, CB_CONFLICT, "the password was changed "
		    "meanwhile; try again with the current one");
	if ((stmt = call_prepare(call, sql_sessions_revoke_others,
	    "ending other sessions")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	sqlite3_bind_int64(stmt, 2, call->session_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "ending other sessions");
	call->forget_user_id = call->user_id;
	msgpack_pack_map(call->result, 0);
	return 0;
}

const struct method method_user_password = {
	.name = CB_METHOD_USER_PASSWORD,
	.exec = password_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH | METHOD_ONE_STATEMENT,
	.args = password_args,
};
