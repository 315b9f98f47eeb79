/*
 * ctl_session.c -- the session token, params and calls of the
 * bookkeeping commands.  See ctl_session.h.
 *
 * The token is read the way the account commands read it (ctl_token.h),
 * with the same messages, so "not logged in" reads alike everywhere.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cb_limits.h"

#include "ctl_fields.h"
#include "ctl_output.h"
#include "ctl_session.h"

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
ctl_token_take(struct ctl_ctx *ctx, char *token, size_t len, char *path,
    size_t pathlen, bool *from_env, bool required)
{
	const char *env = getenv(CTL_TOKEN_ENV);
	char err[PATH_MAX + 256];

	path[0] = '\0';
	if ((env == NULL || env[0] == '\0') &&
	    ctl_token_path(path, pathlen, err, sizeof err) != 0)
		return ctl_error(ctx, CTL_EXIT_FAILED, "token_file", NULL, "%s",
		    err);
	switch (ctl_token_get(path, token, len, from_env, err, sizeof err)) {
	case CTL_TOKEN_OK:
		if (*from_env)
			path[0] = '\0';
		return -1;
	case CTL_TOKEN_NONE:
		token[0] = '\0';
		*from_env = false;
		if (!required)
			return -1;
		return ctl_error(ctx, CTL_EXIT_FAILED, "not_logged_in", NULL,
		    MSG_NOT_LOGGED_IN);
	default:
		return ctl_error(ctx, CTL_EXIT_FAILED, "token_file", NULL, "%s",
		    err);
	}
}

int
ctl_session_begin(struct ctl_session *s, struct ctl_ctx *ctx)
{
	char path[PATH_MAX];
	bool from_env;
	int rc;

	memset(s, 0, sizeof *s);
	s->ctx = ctx;
	s->prc = CB_OK;
	if ((rc = ctl_token_take(ctx, s->token, sizeof s->token, path,
	    sizeof path, &from_env, false)) >= 0)
		return rc;
	if (ctx->conn == NULL && (rc = ctl_connect(ctx)) != CTL_EXIT_OK)
		return rc;
	return -1;
}

void
ctl_session_end(struct ctl_session *s)
{
	explicit_bzero(s->token, sizeof s->token);
}

struct cb_params *
ctl_session_params(struct ctl_session *s)
{
	struct cb_params *p = cb_params_new();

	if (p == NULL) {
		s->prc = CB_ENOMEM;
		return NULL;
	}
	if (s->token[0] != '\0')
		ctl_param_str(s, p, "token", s->token);
	return p;
}

void
ctl_param_str(struct ctl_session *s, struct cb_params *p, const char *key,
    const char *value)
{
	if (s->prc == CB_OK && p != NULL && value != NULL)
		s->prc = cb_params_str(p, key, value);
}

void
ctl_param_int(struct ctl_session *s, struct cb_params *p, const char *key,
    int64_t value)
{
	if (s->prc == CB_OK && p != NULL)
		s->prc = cb_params_int(p, key, value);
}

void
ctl_param_bool(struct ctl_session *s, struct cb_params *p, const char *key,
    bool value)
{
	if (s->prc == CB_OK && p != NULL)
		s->prc = cb_params_bool(p, key, value);
}

void
ctl_param_nil(struct ctl_session *s, struct cb_params *p, const char *key)
{
	if (s->prc == CB_OK && p != NULL)
		s->prc = cb_params_nil(p, key);
}

void
ctl_param_str_array(struct ctl_session *s, struct cb_params *p,
    const char *key, const char *const *values, size_t n)
{
	if (s->prc == CB_OK && p != NULL)
		s->prc = cb_params_str_array(p, key, values, n);
}

void
ctl_param_int_array(struct ctl_session *s, struct cb_params *p,
    const char *key, const int64_t *values, size_t n)
{
	if (s->prc == CB_OK && p != NULL)
		s->prc = cb_params_int_array(p, key, values, n);
}

int
ctl_session_try(struct ctl_session *s, const char *method,
    const struct cb_params *p, struct cb_reply **reply)
{
	*reply = NULL;
	s->local = false;
	if (s->prc != CB_OK || p == NULL) {
		s->local = true;
		return s->prc != CB_OK ? s->prc : CB_ENOMEM;
	}
	return cb_call(s->ctx->conn, method, p, reply);
}

int
ctl_session_call(struct ctl_session *s, const char *method,
    const struct cb_params *p, struct cb_reply **reply)
{
	int rc = ctl_session_try(s, method, p, reply);

	return rc == CB_OK ? -1 : ctl_session_fail(s, rc);
}

/* Milliseconds on the monotonic clock. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pause_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
	    .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * A new ctx->conn in place of the lost one, trying until deadline (on
 * now_ms) with doubling pauses.  0, or -1 when cashbookd did not come
 * back in time (ctx->conn is then NULL).
 */
static int
reconnect(struct ctl_ctx *ctx, int64_t deadline)
{
	int64_t wait = CB_CTL_RECONNECT_FIRST_MS, left;

	cb_close(ctx->conn);
	ctx->conn = NULL;
	for (;;) {
		if (cb_connect(ctx->socket_path, ctx->timeout_ms, &ctx->conn,
		    NULL, 0) == CB_OK)
			return 0;
		ctx->conn = NULL;
		if ((left = deadline - now_ms()) <= 0)
			return -1;
		pause_ms(wait < left ? wait : left);
		wait = wait * 2 < CB_CTL_RECONNECT_PAUSE_MAX_MS ? wait * 2 :
		    CB_CTL_RECONNECT_PAUSE_MAX_MS;
	}
}

bool
ctl_session_answer_lost(struct ctl_session *s, int rc)
{
	return !s->local && (rc == CB_EIO || rc == CB_ETIMEOUT);
}

int
ctl_session_try_again(struct ctl_session *s, const char *method,
    const struct cb_params *p, struct cb_reply **reply)
{
	struct ctl_ctx *ctx = s->ctx;
	int64_t deadline = 0;
	int rc = ctl_session_try(s, method, p, reply);

	if (ctl_session_code_is(s, rc, "pool_timeout")) {
		fprintf(stderr, "cashbookctl: cashbookd is busy; trying once "
		    "more (the idempotency key makes that safe)\n");
		return ctl_session_try(s, method, p, reply);
	}
	while (ctl_session_answer_lost(s, rc)) {
		bool first = deadline == 0;

		if (first)
			deadline = now_ms() + CB_CTL_RECONNECT_MS;
		else if (now_ms() >= deadline)
			return rc;
		fprintf(stderr, "cashbookctl: %s%s; trying once more on a new "
		    "connection, waiting up to %d s for cashbookd (the "
		    "idempotency key makes that safe)\n", first ? "" : "again: ",
		    rc == CB_EIO ? "the connection to cashbookd was lost" :
		    "no answer from cashbookd in time",
		    CB_CTL_RECONNECT_MS / 1000);
		if (reconnect(ctx, deadline) != 0)
			return rc;
		rc = ctl_session_try(s, method, p, reply);
	}
	return rc;
}

/* Whether c needs no quoting in a POSIX shell word. */
static bool
shell_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("_-./:=@%+,", c) != NULL;
}

/* Append str at buf[*off], as much as fits; *off stays at the end. */
static void
buf_put(char *buf, size_t len, size_t *off, const char *str)
{
	int k = snprintf(buf + *off, len - *off, "%s", str);

	*off = k < 0 || (size_t)k >= len - *off ? len - 1 : *off + (size_t)k;
}

/* A control character that must not reach the terminal as it is (a
 * newline or a tab may, inside quotes). */
static bool
shell_ctrl(unsigned char c)
{
	return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
}

/* Append one shell word for w at buf[*off] (with a space before it
 * unless first): bare when plain, else in single quotes (POSIX: a note's
 * newline stays in them as it is), or as bash's $'...' when it holds
 * other control characters. */
static void
shell_word(char *buf, size_t len, size_t *off, const char *w)
{
	bool plain = w[0] != '\0', ctrl = false;
	char tmp[8];

	for (const unsigned char *c = (const unsigned char *)w; *c; c++) {
		plain &= shell_plain(*c);
		ctrl |= shell_ctrl(*c);
	}
	if (*off > 0)
		buf_put(buf, len, off, " ");
	if (plain) {
		buf_put(buf, len, off, w);
		return;
	}
	buf_put(buf, len, off, ctrl ? "$'" : "'");
	for (const unsigned char *c = (const unsigned char *)w; *c; c++) {
		if (ctrl && (*c < 0x20 || *c == 0x7f || *c == '\\' ||
		    *c == '\''))
			snprintf(tmp, sizeof tmp, "\\x%02x", *c);
		else if (!ctrl && *c == '\'')
			snprintf(tmp, sizeof tmp, "'\\''");
		else
			snprintf(tmp, sizeof tmp, "%c", *c);
		buf_put(buf, len, off, tmp);
	}
	buf_put(buf, len, off, "'");
}

void
ctl_session_command(const struct ctl_ctx *ctx, const char *word,
    const struct ctl_args *a, const char *const *extra, size_t n,
    char *buf, size_t len)
{
	size_t off = 0;
	char opt[128];

	buf[0] = '\0';
	shell_word(buf, len, &off, "cashbookctl");
	if (ctx->socket_given) {
		shell_word(buf, len, &off, "--socket");
		shell_word(buf, len, &off, ctx->socket_path);
	}
	if (ctx->book != NULL) {
		shell_word(buf, len, &off, "--book");
		shell_word(buf, len, &off, ctx->book);
	}
	if (word != NULL)
		shell_word(buf, len, &off, word);
	for (int i = 1; a != NULL && i <= a->nargs; i++)
		shell_word(buf, len, &off, a->argv[i]);
	for (int k = 0; a != NULL && k < a->ngiven; k++) {
		const struct ctl_optdef *o = &a->opts[a->given_opt[k]];

		snprintf(opt, sizeof opt, "--%s", o->name);
		shell_word(buf, len, &off, opt);
		if (o->arg != NULL)
			shell_word(buf, len, &off, a->given[k]);
	}
	for (size_t i = 0; i < n; i++)
		shell_word(buf, len, &off, extra[i]);
	if (off >= len - 1 && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

bool
ctl_call_code_is(struct ctl_ctx *ctx, int rc, const char *code)
{
	const char *c = rc == CB_ESERVER ? cb_error_code(ctx->conn) : NULL;

	return c != NULL && strcmp(c, code) == 0;
}

bool
ctl_session_code_is(struct ctl_session *s, int rc, const char *code)
{
	return !s->local && ctl_call_code_is(s->ctx, rc, code);
}

bool
ctl_is_session_error(const char *msg)
{
	return ends_with(msg, "log in again") || ends_with(msg, "log in first");
}

/*
 * A member lacking a permission: cashbookd's message names it ("you need
 * the 'delete' permission on book 'Household'", "you need the 'edit_all'
 * or 'edit_own' permission ..."), and the hint says whom to ask for it.
 */
static int
forbidden_fail(struct ctl_ctx *ctx, const char *msg)
{
	static const char need[] = "you need ";
	bool needs = strncmp(msg, need, sizeof need - 1) == 0;
	const char *what = needs ? msg + sizeof need - 1 : msg;
	const char *end = strstr(what, " permission");
	char hint[CB_MAX_ERROR_MESSAGE + 128];

	/* "the 'delete'" of "you need the 'delete' permission ..." */
	if (needs && end != NULL)
		snprintf(hint, sizeof hint, "ask the book's owner for %.*s "
		    "permission ('cashbookctl members' shows who that is)",
		    (int)(end - what), what);
	else
		snprintf(hint, sizeof hint, "only the book's owner may do that "
		    "('cashbookctl members' shows who that is)");
	ctl_print_error(ctx->json, "forbidden", NULL, msg, hint);
	return CTL_EXIT_FAILED;
}

int
ctl_call_fail(struct ctl_ctx *ctx, int rc)
{
	const char *msg = cb_error_message(ctx->conn);

	/* The protocol promises these messages: "missing token; log in
	 * first" when none was sent to a cashbookd that wants one, and
	 * "...; log in again" for a dead session. */
	if (ctl_call_code_is(ctx, rc, "unauthorized") &&
	    ends_with(msg, "log in first"))
		return ctl_error(ctx, CTL_EXIT_FAILED, "not_logged_in",
		    HINT_TOKEN_MODE, MSG_NOT_LOGGED_IN);
	if (ctl_call_code_is(ctx, rc, "unauthorized") &&
	    ctl_is_session_error(msg))
		return ctl_error(ctx, CTL_EXIT_FAILED, "unauthorized", NULL,
		    MSG_SESSION_ENDED);
	if (ctl_call_code_is(ctx, rc, "forbidden"))
		return forbidden_fail(ctx, msg);
	/* A value the user gave, refused: the message says which; it is not
	 * a version mismatch. */
	if (ctl_call_code_is(ctx, rc, "bad_request") &&
	    (strncmp(msg, "field '", 7) == 0 ||
	    strncmp(msg, "nothing to change", 17) == 0)) {
		ctl_print_error(ctx->json, "bad_request", NULL, msg, NULL);
		return CTL_EXIT_FAILED;
	}
	if (ctl_call_code_is(ctx, rc, "rate_limited"))
		return ctl_error(ctx, CTL_EXIT_FAILED, "rate_limited", NULL,
		    "%s", msg);
	return ctl_fail(ctx, rc);
}

int
ctl_bad_answer(struct ctl_ctx *ctx, const char *method)
{
	return ctl_error(ctx, CTL_EXIT_FAILED, "protocol_error",
	    "cashbookctl and cashbookd may be of different versions",
	    "cashbookd's %s answer lacks a field", method);
}

int
ctl_session_fail(struct ctl_session *s, int rc)
{
	if (s->local) {
		s->local = false;
		s->prc = CB_OK;
		return ctl_error(s->ctx, CTL_EXIT_FAILED, rc == CB_ENOMEM ?
		    "out_of_memory" : "too_large", NULL, "cannot send the "
		    "request: %s", rc == CB_ENOMEM ? "out of memory" :
		    "an argument is too large");
	}
	return ctl_call_fail(s->ctx, rc);
}

int
ctl_session_bad_answer(struct ctl_session *s, const char *method)
{
	return ctl_bad_answer(s->ctx, method);
}

/* Print the page's rows as JSON, after a comma unless *first. */
static void
pages_json_rows(const msgpack_object *rows, bool *first)
{
	for (uint32_t i = 0; i < rows->via.array.size; i++) {
		if (!*first)
			fputc(',', stdout);
		*first = false;
		(void)ctl_json_write(stdout, &rows->via.array.ptr[i]);
	}
}

static void
pages_json_end(const char *cursor)
{
	fputs("],\"next_cursor\":", stdout);
	if (cursor != NULL)
		ctl_json_write_string(stdout, cursor, strlen(cursor));
	else
		fputs("null", stdout);
	fputs("}\n", stdout);
}

int
ctl_session_pages(struct ctl_session *s, struct ctl_pages *pg)
{
	char cursor[CTL_CURSOR_BUF];
	struct cb_params *p;
	struct cb_reply *reply;
	const msgpack_object *res, *rows;
	bool first = true, opened = false, have_cursor = pg->start != NULL;
	int rc;

	if (have_cursor)
		snprintf(cursor, sizeof cursor, "%s", pg->start);

	do {
		p = pg->params(s, have_cursor ? cursor : NULL, pg->arg);
		rc = ctl_session_call(s, pg->method, p, &reply);
		cb_params_free(p);
		if (rc >= 0)
			return rc;
		res = cb_reply_result(reply);
		rows = cb_map_get(res, pg->key);
		if (rows == NULL || rows->type != MSGPACK_OBJECT_ARRAY) {
			cb_reply_free(reply);
			return ctl_session_bad_answer(s, pg->method);
		}
		/* Opened only once an answer came: an error is then all
		 * there is. */
		if (pg->json && !opened) {
			printf("{\"%s\":[", pg->key);
			opened = true;
		}
		if (pg->json) {
			pages_json_rows(rows, &first);
			rc = -1;
		} else
			rc = pg->page(s, rows, pg->arg);
		have_cursor = !ctl_field_nil(res, "next_cursor") &&
		    cb_map_get_str(res, "next_cursor", cursor,
		    sizeof cursor) == CB_OK;
		cb_reply_free(reply);
		if (rc >= 0)
			return rc;
	} while (pg->all && have_cursor);
	pg->more = have_cursor;
	if (have_cursor)
		memcpy(pg->next, cursor, sizeof pg->next);
	if (pg->json)
		pages_json_end(have_cursor ? cursor : NULL);
	return -1;
}

int
ctl_print_reply_json(struct cb_reply *reply)
{
	ctl_print_json_line(cb_reply_result(reply));
	return CTL_EXIT_OK;
}
