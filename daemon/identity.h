/*
 * identity.h -- who a request acts for when it carries no token: in
 * `--auth peer` mode, the account bound to the connecting OS user.
 *
 * The kernel tells the daemon who connected (SO_PEERCRED), the way
 * PostgreSQL's peer authentication and D-Bus do: a request without a
 * token acts as the peer account of that uid, created on first use with
 * the login name getpwuid_r gives (the uid number when there is none) and
 * no password.  The binding is the uid, never the name: a login name
 * already taken (by a token account, or by the account of an older uid of
 * that name) gets "<name>-<uid>" instead, so two people are never joined;
 * and a renamed login keeps its account and its first name.
 *
 * Owns: the peer accounts (users.peer_uid) and the loop thread's map of
 * uids already resolved.  A request whose uid is not in the map takes
 * the writer for its first step and resolves (or creates) the account in
 * that step's transaction (identity_resolve); once it succeeded, the map
 * holds the answer and later requests need no lookup at all.
 */
#ifndef CASHBOOK_DAEMON_IDENTITY_H
#define CASHBOOK_DAEMON_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "method.h"

/* uids remembered at most; past that a uid is resolved per request (a
 * primary-key read: slower, still correct). */
#define IDENTITY_MAP_MAX 4096

struct identity_map;

struct identity_map *identity_map_new(void);
void identity_map_free(struct identity_map *map);

/* The user of uid when resolved before (loop thread). */
bool identity_map_lookup(const struct identity_map *map, uid_t uid,
    int64_t *user_id);

/* Remember uid's user (loop thread). */
void identity_map_store(struct identity_map *map, uid_t uid, int64_t user_id);

/* Forget every uid: the database they were resolved in is gone. */
void identity_map_clear(struct identity_map *map);

/* In the call's write transaction: set call->user_id to the peer account
 * of call->peer_uid, creating it if there is none.  0, or -1 with the
 * call failed. */
int identity_resolve(struct call *call);

#endif
