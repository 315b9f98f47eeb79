/*
 * method.h -- the RPC method table and the view a handler gets of its call.
 *
 * Adding a method is one `const struct method` entry (in the method_*.c file
 * of its group) plus one line in methods.c.  The dispatcher (gateway.c), not
 * the handler, does everything around it: it parses the params map against
 * the method's declared `args` (args.h), authenticates (METHOD_AUTH),
 * acquires and releases the pool handle, opens and ends the transaction,
 * sets the statement deadline and maps errors to codes.  A handler reads
 * its typed arguments from call->args, does its SQL on call->db, and packs
 * exactly one result object into call->result -- or returns
 * call_fail(...).  It never touches sockets, the pool, message buffers or
 * the request's msgpack objects.
 */
#ifndef CASHBOOK_DAEMON_METHOD_H
#define CASHBOOK_DAEMON_METHOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <msgpack.h>

#include "args.h"
#include "cb_limits.h"
#include "change.h"
#include "db.h"
#include "errors.h"

struct server;
struct conn;
struct call;
typedef int (*method_exec_fn)(struct call *call);

enum method_flags {
	/* Runs on a worker thread with a pool handle, inside a read
	 * transaction (one consistent snapshot). */
	METHOD_DB_READ = 1u << 0,
	/* Runs on a worker with the writer handle, inside BEGIN IMMEDIATE;
	 * committed when the handler succeeds, rolled back otherwise. */
	METHOD_DB_WRITE = 1u << 1,
	/* Needs a valid session token in params.token (accounts issue). */
	METHOD_AUTH = 1u << 2,
	/* With METHOD_DB_READ: the handler runs a single statement, which is
	 * its own snapshot, so the gateway opens no explicit transaction. */
	METHOD_ONE_STATEMENT = 1u << 3,
	/* A step that runs on a hashing worker with no handle: CPU- and
	 * memory-heavy work (argon2) that must never hold a database handle
	 * while it runs.  At most --hash-workers run at once. */
	METHOD_HASH = 1u << 4,
	/* The result carries a secret (a new session token): its queued
	 * copy is wiped once written. */
	METHOD_SECRET_REPLY = 1u << 5,
	/* An update: at least one argument besides the required ones must be
	 * given, else bad_request "nothing to change". */
	METHOD_PATCH = 1u << 6,
	/* Accepts any params map, undeclared (test.echo only). */
	METHOD_ANY_PARAMS = 1u << 7,
	/* With METHOD_AUTH: acts on the caller's session itself (refresh,
	 * verify, logout), so a token is required even in --auth peer
	 * mode. */
	METHOD_TOKEN_ONLY = 1u << 8,
	/* A step that runs on the daemon's one maintenance worker with no
	 * handle: file work that takes seconds (a backup's copy, a restore's
	 * checks and swap), which must neither hold a pool handle -- nor the
	 * statement timeout and leak threshold would fit it -- nor take a
	 * hashing worker from logins.  One runs at a time. */
	METHOD_MAINT = 1u << 9,
};

/*
 * A request may run in several steps, each with its own access: e.g.
 * auth.login reads the stored hash (DB_READ), releases the handle, hashes
 * (HASH), then takes the writer to create the session (DB_WRITE).  A step
 * ends with `return call_continue(call, &next_step)`; its transaction is
 * committed and its handle released before the next step is queued.
 * State that crosses steps lives in call_state().
 */
struct method_step {
	method_exec_fn exec;
	unsigned flags;			/* METHOD_DB_READ/WRITE, METHOD_HASH or
					 * METHOD_MAINT */
};

/* What a handler sees.  Filled by the gateway. */
struct call {
	const struct method *method;
	struct db *db;			/* NULL unless METHOD_DB_* */
	const msgpack_object *params;	/* the params map; NULL for []: for
					 * the gateway and METHOD_ANY_PARAMS */
	/* The method's arguments, parsed (args.h): args[i] is the value of
	 * the method's args[i], pointing into the request message. */
	struct arg_value args[ARGS_MAX];
	msgpack_packer *result;		/* pack exactly one object on success */
	/* The daemon.  Inline methods (loop thread) may read anything;
	 * worker steps only its thread-safe services: cfg, hasher,
	 * ratelimit, authcache. */
	struct server *server;
	int64_t user_id;		/* METHOD_AUTH: the caller */
	int64_t session_id;		/* METHOD_AUTH: the caller's session;
					 * 0 when via_peer */
	int64_t session_expires_at;	/* ... and when it expires (wall
					 * clock, s); 0 when via_peer */
	/* METHOD_AUTH without a token, in --auth peer mode: the caller is
	 * the account bound to the connecting OS user peer_uid
	 * (identity.h). */
	bool via_peer;
	uid_t peer_uid;

	/* Multi-step requests (private to gateway.c and call_*). */
	const struct method_step *next;
	void *state;
	size_t state_size;

	/* events.subscribe/unsubscribe (events.h): the subscription, and
	 * (unsubscribe) the user it belongs to. */
	uint64_t subscription_id;
	int64_t subscription_user_id;

	/* The changes this step made (change.h), for the subscribers once
	 * it has committed; the gateway hands them on or drops them. */
	struct change_list changes;

	/* Set by a handler that revoked sessions: the gateway forgets them
	 * from the token cache once the transaction has committed. */
	int64_t forget_session_id;
	int64_t forget_user_id;
	/* Set by a handler: run on the worker once the step's transaction
	 * has committed (never after a rollback), for effects outside the
	 * database that must not happen unless the change is durable. */
	void (*after_commit)(struct call *call);

	/* Set by call_fail*(). */
	enum cb_code code;
	bool db_broken;			/* fatal SQLite error: reopen the handle */
	char message[CB_MAX_ERROR_MESSAGE + 1];
};

struct method {
	const char *name;
	method_exec_fn exec;
	unsigned flags;			/* enum method_flags */
	/* The params the method accepts, ended by an entry with a NULL
	 * name; NULL for none.  Any other key is bad_request, so a typo is
	 * never silently ignored.  METHOD_AUTH adds "token". */
	const struct arg_spec *args;
	/* Optional: a rule across arguments, after each one parsed (loop
	 * thread, call->args filled, call->db NULL). */
	method_exec_fn check;
	/* Optional, loop thread: for methods whose effect lives on the event
	 * loop (subscriptions, events.h).  loop_begin runs when the request
	 * is accepted, before it waits (0, or -1 with the call failed: the
	 * request is answered at once); loop_end when it has ended and its
	 * reply is queued (conn NULL when the client left). */
	int (*loop_begin)(struct server *server, struct conn *conn,
	    struct call *call);
	void (*loop_end)(struct server *server, struct conn *conn,
	    struct call *call, bool failed);
};

/* Whether the method's argument i was given (not absent, not nil). */
static inline bool
call_has(const struct call *call, int i)
{
	return call->args[i].state == ARG_GIVEN;
}

/* The method called name (str, not NUL-terminated), or NULL. */
const struct method *method_find(const char *name, size_t len);

/* Call fn for every method in the table, in order. */
void method_each(void (*fn)(const struct method *m, void *arg), void *arg);

/* Check the method table when the daemon starts (args_spec_check for each
 * method; no hashing first step on a method that needs authentication,
 * which would run before the token is verified).  0, or -1 with err. */
int method_table_check(char *err, size_t errlen);

/* A handler's return value: go on with call->next (see call_continue). */
#define METHOD_CONTINUE 1

/* End this step successfully and continue the request with next. */
int call_continue(struct call *call, const struct method_step *next);

/* size zeroed bytes that live as long as the request, the same block on
 * every call (size must not change between steps); NULL when out of
 * memory (the handler then fails the call). */
void *call_state(struct call *call, size_t size);

/* Record an error for the reply; returns -1 so handlers can
 * `return call_fail(...)`. */
int call_fail(struct call *call, enum cb_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Put "PREFIX: " before the message of a failed call (which item of a
 * batch failed), keeping its code; returns -1 like call_fail. */
int call_fail_prefix(struct call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Pack one page of a keyset-paged listing as the result: {key: [the n
 * objects packed in rows], "next_cursor": next_cursor, or nil when NULL
 * (the last page)}. */
struct packbuf;
void call_pack_page(struct call *call, const char *key,
    const struct packbuf *rows, uint32_t n, const char *next_cursor);

/*
 * A keyset page of rows keyed by an id in column 0, newest or oldest
 * first as the statement orders them (book.list, entry.history,
 * notification.list): the statement is bound, its LIMIT limit + 1 (one
 * more says there is a next page).  Its first limit rows are packed by
 * pack into {key: [...], "next_cursor"}, the cursor "TAG.ID.CHECK" of the
 * last one over ctx (cursor.h), nil on the last page.  The statement is
 * reset.  0, or -1 with the call failed.
 */
struct call_page {
	const char *key;		/* "books" */
	const char *tag;		/* the cursor's, "l1" */
	const int64_t *ctx;		/* what the cursor's check covers */
	int nctx;
	int (*pack)(struct call *call, msgpack_packer *pk,
	    sqlite3_stmt *stmt);	/* one row: 0, or -1 with the call
					 * failed */
	const char *what;		/* "listing books", for errors */
};
int call_page_by_id(struct call *call, sqlite3_stmt *stmt, int64_t limit,
    const struct call_page *page);

/* The declared limit (1..CB_LIST_MAX_LIMIT) and cursor (checked by
 * check) of a paged listing. */
#define PAGE_ARG_LIMIT { .name = "limit", .type = ARG_INT, .min = 1, \
    .max = CB_LIST_MAX_LIMIT }
#define PAGE_ARG_CURSOR(fn) { .name = "cursor", .type = ARG_STR, .min = 1, \
    .max = CB_CURSOR_MAX, .check = (fn) }

/* The check (an arg_check_fn's body) of such a page's cursor argument:
 * "TAG.ID.CHECK" over ctx with ID >= 1, read into v->decoded[0];
 * otherwise bad_request "field 'cursor' is not a cursor this <listing>
 * returned; start again without it". */
int call_cursor_id(struct call *call, const struct arg_spec *spec,
    struct arg_value *v, const char *tag, const int64_t *ctx, int nctx,
    const char *listing);

/* A cached prepared statement for sql (db_prepare), or NULL with the call
 * failed as SQLite's error while doing `what`. */
sqlite3_stmt *call_prepare(struct call *call, const char *sql,
    const char *what);

/* Record an error from SQLite result code rc while doing `what`: the
 * statement deadline becomes statement_timeout, a busy database
 * unavailable, a constraint conflict, a fatal code internal (and the handle
 * is marked for reopening).  Returns -1. */
int call_fail_sqlite(struct call *call, int rc, const char *what);

#endif
