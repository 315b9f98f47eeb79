/*
 * identity.c -- peer accounts (see identity.h).
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "identity.h"
#include "text.h"

struct identity_pair {
	uid_t uid;
	int64_t user_id;
};

/* Few OS users connect to one daemon: a sorted array, binary search. */
struct identity_map {
	struct identity_pair *pairs;
	size_t n, cap;
};

struct identity_map *
identity_map_new(void)
{
	return calloc(1, sizeof(struct identity_map));
}

void
identity_map_free(struct identity_map *map)
{
	if (map == NULL)
		return;
	free(map->pairs);
	free(map);
}

/* Index of uid, or where it would go. */
static size_t
identity_map_find(const struct identity_map *map, uid_t uid)
{
	size_t lo = 0, hi = map->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (map->pairs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool
identity_map_lookup(const struct identity_map *map, uid_t uid,
    int64_t *user_id)
{
	size_t i = identity_map_find(map, uid);

	if (i == map->n || map->pairs[i].uid != uid)
		return false;
	*user_id = map->pairs[i].user_id;
	return true;
}

void
identity_map_store(struct identity_map *map, uid_t uid, int64_t user_id)
{
	size_t i = identity_map_find(map, uid), cap;
	struct identity_pair *p;

	if (i < map->n && map->pairs[i].uid == uid) {
		map->pairs[i].user_id = user_id;
		return;
	}
	if (map->n == IDENTITY_MAP_MAX)
		return;			/* resolved per request from now on */
	if (map->n == map->cap) {
		cap = map->cap == 0 ? 16 : map->cap * 2;
		if ((p = realloc(map->pairs, cap * sizeof *p)) == NULL)
			return;		/* the same: only slower */
		map->pairs = p;
		map->cap = cap;
	}
	memmove(&map->pairs[i + 1], &map->pairs[i],
	    (map->n - i) * sizeof *map->pairs);
	map->pairs[i].uid = uid;
	map->pairs[i].user_id = user_id;
	map->n++;
}

void
identity_map_clear(struct identity_map *map)
{
	map->n = 0;
}

static const char sql_peer_lookup[] =
    "SELECT user_id FROM users WHERE peer_uid = ?1";
static const char sql_peer_insert[] =
    "INSERT INTO users (username, username_key, password_hash, created_at, "
    "peer_uid) VALUES (?1, ?2, '', ?3, ?4) RETURNING user_id";

/* The login name of uid into buf: getpwuid_r's, when it is a name the
 * daemon accepts and fits, else the uid number. */
static void
identity_login_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *found = NULL;
	char pwbuf[4096];
	size_t len;

	if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &found) == 0 &&
	    found != NULL && (len = strlen(pw.pw_name)) > 0 && len < size &&
	    text_is_clean(pw.pw_name, len)) {
		snprintf(buf, size, "%s", pw.pw_name);
		return;
	}
	snprintf(buf, size, "%u", (unsigned)uid);
}

/* Insert the peer account named name; 1 when the name is taken. */
static int
identity_insert(struct call *call, const char *name)
{
	char key[CB_USERNAME_MAX];
	size_t len = strlen(name);
	sqlite3_stmt *stmt;
	int rc;

	text_fold_ascii(name, len, key);
	if ((stmt = call_prepare(call, sql_peer_insert,
	    "creating your account")) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, name, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, clock_wall_s());
	sqlite3_bind_int64(stmt, 4, (int64_t)call->peer_uid);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		sqlite3_reset(stmt);
		return 1;
	}
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "creating your account");
	call->user_id = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return 0;
}

int
identity_resolve(struct call *call)
{
	/* Room for "-<uid>-<n>" after the login name, within the limit. */
	char login[CB_USERNAME_MAX - 13], name[CB_USERNAME_MAX + 1];
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_peer_lookup,
	    "looking up your account")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, (int64_t)call->peer_uid);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		call->user_id = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
		return 0;
	}
	if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "looking up your account");
	sqlite3_reset(stmt);

	/* First use: the login name, or, when another account has it, the
	 * name with the uid (and then a counter: names are never joined). */
	identity_login_name(call->peer_uid, login, sizeof login);
	for (int i = 0; i < 10; i++) {
		if (i == 0)
			snprintf(name, sizeof name, "%s", login);
		else if (i == 1)
			snprintf(name, sizeof name, "%s-%u", login,
			    (unsigned)call->peer_uid);
		else
			snprintf(name, sizeof name, "%s-%u-%d", login,
			    (unsigned)call->peer_uid, i);
		if ((rc = identity_insert(call, name)) <= 0)
			return rc;
	}
	return call_fail(call, CB_CONFLICT, "cannot name an account for uid "
	    "%u: '%s' and its variants are all taken", (unsigned)call->peer_uid,
	    login);
}
