/*
 * ctl_session.h -- what the bookkeeping commands share to talk to
 * cashbookd as the logged-in user: the session token, params that carry
 * it, calls, and how a failed call becomes a message that says what to do.
 *
 * A command begins a session (the token from CASHBOOK_TOKEN or the token
 * file, then a connection), builds params with the ctl_param_* setters,
 * calls, and always ends the session, which wipes the token.  Without a
 * token the requests go without one and cashbookd decides who that is:
 * in --auth peer mode (its default) the account of the OS user running
 * cashbookctl; in --auth token mode nobody ("not logged in").  The setters
 * are sticky: after one fails the others do nothing, and the call reports
 * that failure instead of sending, so a command checks once.
 *
 * Never prints anything but errors (through ctl_output.h) and, on
 * stderr, that a call is sent again (ctl_session_try_again); never keeps
 * state between commands.
 */
#ifndef CASHBOOK_CLIENT_CTL_SESSION_H
#define CASHBOOK_CLIENT_CTL_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>

#include "cashbook_msgpack.h"
#include "cb_limits.h"
#include "ctl.h"
#include "ctl_token.h"

#define MSG_NOT_LOGGED_IN	"not logged in: run cashbookctl login"
#define HINT_TOKEN_MODE		"this cashbookd serves only users who log in " \
				"(it runs with --auth token)"
#define MSG_SESSION_ENDED	"your session has expired or was revoked: " \
				"run cashbookctl login"

struct ctl_session {
	struct ctl_ctx *ctx;
	char token[CTL_TOKEN_BUF];	/* "": none, cashbookd's peer */
	int prc;		/* first failed ctl_param_* (CB_OK: none) */
	bool local;		/* the last failure was prc's, not a call's */
};

/*
 * The session token, into token[len]: CASHBOOK_TOKEN, else the token
 * file, whose path goes into path ("" when the token came from the
 * environment, *from_env then true).  No token is "" in token unless
 * required (a command on the session itself: logout, passwd), then "not
 * logged in".  -1 to go on, else the exit status (not logged in, a
 * refused token file), already reported.
 */
int ctl_token_take(struct ctl_ctx *ctx, char *token, size_t len, char *path,
    size_t pathlen, bool *from_env, bool required);

/*
 * Take the token, if there is one, and connect ctx->conn.  -1 to go on,
 * else the exit status (a refused token file, cannot connect), already
 * reported.  ctl_session_end must follow either way.
 */
int ctl_session_begin(struct ctl_session *s, struct ctl_ctx *ctx);

/* Wipe the token.  The connection stays ctx's (main closes it). */
void ctl_session_end(struct ctl_session *s);

/* New params holding the token, if any (NULL when out of memory: the
 * call then reports it).  Free with cb_params_free. */
struct cb_params *ctl_session_params(struct ctl_session *s);

/* Setters; a NULL value (str) leaves the key out. */
void ctl_param_str(struct ctl_session *s, struct cb_params *p,
    const char *key, const char *value);
void ctl_param_int(struct ctl_session *s, struct cb_params *p,
    const char *key, int64_t value);
void ctl_param_bool(struct ctl_session *s, struct cb_params *p,
    const char *key, bool value);
void ctl_param_nil(struct ctl_session *s, struct cb_params *p,
    const char *key);
void ctl_param_str_array(struct ctl_session *s, struct cb_params *p,
    const char *key, const char *const *values, size_t n);
void ctl_param_int_array(struct ctl_session *s, struct cb_params *p,
    const char *key, const int64_t *values, size_t n);

/*
 * Call method with p, for a caller that handles some failures itself:
 * CB_OK with *reply set, else a libcashbook code (the setters' failure
 * included) to pass to ctl_session_fail, *reply NULL.
 */
int ctl_session_try(struct ctl_session *s, const char *method,
    const struct cb_params *p, struct cb_reply **reply);

/*
 * Call method with p, which must be safe to send twice (it carries an
 * idempotency key): when cashbookd is too busy, or the answer is lost
 * (the connection lost, or no answer within the timeout), say so on
 * stderr and send it again; after a lost answer on a new connection,
 * waiting up to CB_CTL_RECONNECT_MS in all for cashbookd to come back
 * (connection attempts with pauses doubling from CB_CTL_RECONNECT_FIRST_MS
 * to CB_CTL_RECONNECT_PAUSE_MAX_MS), and again as long as that time lasts.
 * As ctl_session_try; on failure ctl_session_answer_lost tells whether
 * method may or may not have been done.
 */
int ctl_session_try_again(struct ctl_session *s, const char *method,
    const struct cb_params *p, struct cb_reply **reply);

/* Whether rc, a failure of ctl_session_try or ctl_session_try_again,
 * leaves it unknown whether cashbookd did the call: the request may have
 * gone out and its answer never came. */
bool ctl_session_answer_lost(struct ctl_session *s, int rc);

/*
 * The command line that chooses the same cashbookd and book as this one
 * (cashbookctl, then --socket PATH and --book BOOK when they were given),
 * then word (a command, NULL for none), then, with a, that command's
 * operands and options as given, then extra[n]: shell-quoted, into buf.
 * Cut short with "..." when buf is too small.
 */
void ctl_session_command(const struct ctl_ctx *ctx, const char *word,
    const struct ctl_args *a, const char *const *extra, size_t n,
    char *buf, size_t len);

/*
 * Call method with p.  -1 with *reply set on success; else *reply is NULL
 * and the failure (a failed setter, or the call's, see ctl_session_fail)
 * is reported and its exit status returned.
 */
int ctl_session_call(struct ctl_session *s, const char *method,
    const struct cb_params *p, struct cb_reply **reply);

/*
 * Report a failed call (rc from ctl_session_try) with what to do next and
 * return the exit status: params that could not be built say so; an
 * ended session says to log in again, no session to log in at all; a
 * member lacking a permission is told whom to ask; the daemon refusing a
 * value the user gave ("field '...'", "nothing to change") is shown as
 * it is; anything else as ctl_fail does.
 */
int ctl_session_fail(struct ctl_session *s, int rc);

/* Whether the last failure on ctx->conn was the server's code. */
bool ctl_session_code_is(struct ctl_session *s, int rc, const char *code);

/* Room for a paging cursor (opaque, at most CB_CURSOR_MAX bytes) and its
 * NUL. */
#define CTL_CURSOR_BUF		(CB_CURSOR_MAX + 1)

/*
 * A walk through a paged listing (entry.list, book.list,
 * notification.list): each answer holds an array of rows under key and
 * "next_cursor", nil on the last page.  params builds each request
 * (cursor NULL for the first page; NULL returned: out of memory, the call
 * reports it); page takes each page's rows, -1 to go on, else the exit
 * status.  With json the rows are not given to page but printed, as
 * {"KEY":[...],"next_cursor":CURSOR|null} on one line, every page's rows
 * in one array.
 */
struct ctl_pages {
	const char *method;
	const char *key;	/* "entries" */
	bool all;		/* every page; else the first only */
	bool json;
	struct cb_params *(*params)(struct ctl_session *s, const char *cursor,
	    void *arg);
	int (*page)(struct ctl_session *s, const msgpack_object *rows,
	    void *arg);
	void *arg;
	bool more;		/* out: pages are left (without all) */
	const char *start;	/* the first page's cursor, or NULL */
	char next[CTL_CURSOR_BUF];	/* out: with more, the next page's */
};

/* Walk pg's pages.  -1 when done, else the exit status (reported). */
int ctl_session_pages(struct ctl_session *s, struct ctl_pages *pg);

/* Print the reply's result as one line of JSON (--json); CTL_EXIT_OK. */
int ctl_print_reply_json(struct cb_reply *reply);

/* Report a result without a field the protocol promises; exit status. */
int ctl_session_bad_answer(struct ctl_session *s, const char *method);

/*
 * The same for any command's call on ctx->conn (login, register and the
 * other account commands, which hold their token themselves):
 * ctl_call_fail reports a failed call as ctl_session_fail does for a
 * server's answer; ctl_call_code_is tells whether it was the server's
 * code; ctl_is_session_error whether an unauthorized message is about the
 * session (it ends "log in again" or "log in first") rather than a
 * password; ctl_bad_answer reports a result lacking a promised field.
 */
int ctl_call_fail(struct ctl_ctx *ctx, int rc);
bool ctl_call_code_is(struct ctl_ctx *ctx, int rc, const char *code);
bool ctl_is_session_error(const char *msg);
int ctl_bad_answer(struct ctl_ctx *ctx, const char *method);

#endif
