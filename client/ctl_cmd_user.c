/*
 * ctl_cmd_user.c -- cashbookctl's account commands: register, login,
 * logout, whoami, passwd.
 *
 * login keeps the session token in the token file (ctl_token.h); the
 * commands that need a session take it from CASHBOOK_TOKEN or that file.
 * Passwords come from the terminal without echo (ctl_prompt.h) or, for
 * scripts, from standard input (--password-stdin); never from argv.
 *
 * Everything secret a command holds (passwords, the token) lives in one
 * struct user_secrets on its stack and is wiped on every way out.  Error
 * messages never contain a secret.  (The copies inside libcashbook -- the
 * packed params, the send buffer, the reply -- are its to wipe; login
 * wipes the token in its reply itself.)  Like the other ctl_cmd_*.c files,
 * nothing here talks msgpack-RPC itself, and errors are printed through
 * ctl_output.h; what is special is turning the server's "unauthorized" and
 * "rate_limited" into what to do next.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "methods.h"

#include "ctl.h"
#include "ctl_output.h"
#include "ctl_prompt.h"
#include "ctl_session.h"
#include "ctl_token.h"


/* Everything secret one command holds; wiped on every way out. */
struct user_secrets {
	char password[CTL_PROMPT_BUF];
	char repeat[CTL_PROMPT_BUF];
	char new_password[CTL_PROMPT_BUF];
	char token[CTL_TOKEN_BUF];
};

/* The commands' own options. */
struct user_opts {
	const char *username;
	bool password_stdin;
	bool all;
};

/* Report a failure found here (not a server error code as such) and
 * return CTL_EXIT_FAILED.  code is what --json shows. */
static int
user_error(struct ctl_ctx *ctx, const char *code, const char *msg)
{
	ctl_print_error(ctx->json, NULL, code, msg, NULL);
	return CTL_EXIT_FAILED;
}

/* The same for a problem with how cashbookctl was called: exit 2, without
 * the usage line (the command line itself was fine). */
static int
user_usage_error(struct ctl_ctx *ctx, const char *msg)
{
	ctl_print_error(ctx->json, NULL, "usage", msg, NULL);
	return CTL_EXIT_USAGE;
}

/* Unix seconds as local time in fmt (strftime), or the number. */
static void
format_time(int64_t t, const char *fmt, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || strftime(buf, len, fmt, &tm) == 0)
		snprintf(buf, len, "%" PRId64, t);
}

/*
 * Check --password-stdin makes sense before anything is read: it needs
 * --username (stdin holds only passwords), and a terminal on stdin would
 * echo the password.  -1 to go on, else the exit status.
 */
static int
check_password_stdin(struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    const struct user_opts *o, bool needs_username)
{
	if (!o->password_stdin)
		return -1;
	if (needs_username && o->username == NULL)
		return ctl_usage(ctx, cmd, "%s: --password-stdin needs "
		    "--username NAME", cmd->name);
	if (isatty(STDIN_FILENO))
		return ctl_usage(ctx, cmd, "%s: --password-stdin reads a "
		    "pipe or file, but standard input is a terminal (it would "
		    "echo the password); leave the option out to be asked",
		    cmd->name);
	return -1;
}

/*
 * The username: --username, else asked at the terminal into buf.
 * -1 to go on (*name set), else the exit status.
 */
static int
get_username(struct ctl_ctx *ctx, const struct user_opts *o,
    const char **name, char *buf, size_t len)
{
	char err[256], msg[512];
	int rc;

	*name = o->username;
	if (*name == NULL) {
		rc = ctl_prompt_read("Username: ", true, buf, len, err,
		    sizeof err);
		if (rc == CTL_PROMPT_NO_TTY) {
			snprintf(msg, sizeof msg, "cannot ask for a username: "
			    "%s; give --username NAME", err);
			return user_usage_error(ctx, msg);
		}
		if (rc != CTL_PROMPT_OK) {
			snprintf(msg, sizeof msg, "reading the username: %s",
			    err);
			return user_error(ctx, "cancelled", msg);
		}
		*name = buf;
	}
	if ((*name)[0] == '\0')
		return user_usage_error(ctx, "the username is empty; give one");
	return -1;
}

/*
 * One password into buf (CTL_PROMPT_BUF bytes): the next line of stdin
 * with --password-stdin, else asked at the terminal without echo.
 * -1 to go on, else the exit status.
 */
static int
get_password(struct ctl_ctx *ctx, const struct user_opts *o,
    const char *prompt, char *buf)
{
	char err[256], msg[512];
	int rc;

	if (o->password_stdin) {
		rc = ctl_prompt_read_fd(STDIN_FILENO, buf, CTL_PROMPT_BUF, err,
		    sizeof err);
		if (rc == CTL_PROMPT_OK)
			return -1;
		snprintf(msg, sizeof msg, "--password-stdin: %s (one password "
		    "per line)", err);
		return user_usage_error(ctx, msg);
	}
	rc = ctl_prompt_read(prompt, false, buf, CTL_PROMPT_BUF, err,
	    sizeof err);
	if (rc == CTL_PROMPT_OK)
		return -1;
	if (rc == CTL_PROMPT_NO_TTY) {
		snprintf(msg, sizeof msg, "cannot ask for the password: %s; "
		    "pipe it in with --password-stdin", err);
		return user_usage_error(ctx, msg);
	}
	snprintf(msg, sizeof msg, "reading the password: %s", err);
	return user_error(ctx, "cancelled", msg);
}

/*
 * A new password of a length cashbookd takes: checked after the first
 * entry, so a short one is not typed twice for nothing.  -1 to go on,
 * else the exit status (2: the user's mistake).
 */
static int
check_new_password(struct ctl_ctx *ctx, const char *pw, const char *nothing)
{
	char msg[256];
	size_t n = strlen(pw);

	if (n >= CB_PASSWORD_MIN_LEN && n <= CB_PASSWORD_MAX_LEN)
		return -1;
	snprintf(msg, sizeof msg, "the password is too %s: it must be %d to "
	    "%d bytes long; %s, try again", n < CB_PASSWORD_MIN_LEN ?
	    "short" : "long", CB_PASSWORD_MIN_LEN, CB_PASSWORD_MAX_LEN,
	    nothing);
	return user_usage_error(ctx, msg);
}

/*
 * Wipe the string value under key in reply's result.  The reply owns that
 * memory (it was decoded from our own read buffer), so writing to it is
 * fine; libcashbook does not wipe replies it frees.
 */
static void
wipe_reply_str(struct cb_reply *reply, const char *key)
{
	const msgpack_object *o = cb_map_get(cb_reply_result(reply), key);

	if (o != NULL && o->type == MSGPACK_OBJECT_STR && o->via.str.size > 0)
		explicit_bzero((void *)(uintptr_t)o->via.str.ptr,
		    o->via.str.size);
}

/* ---- register ---- */

static enum ctl_retval
register_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct user_opts o = {
		.username = ctl_arg(args, "username"),
		.password_stdin = ctl_arg_flag(args, "password-stdin"),
	};
	struct user_secrets s;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	char namebuf[CTL_PROMPT_BUF], safe[CTL_PROMPT_BUF];
	const char *name;
	int64_t user_id;
	int rc, prc;

	if ((rc = check_password_stdin(ctx, self, &o, true)) >= 0)
		return rc;
	/* Before asking anything: a missing daemon is found out now. */
	if ((rc = ctl_connect(ctx)) != CTL_EXIT_OK)
		return rc;
	memset(&s, 0, sizeof s);
	if ((rc = get_username(ctx, &o, &name, namebuf, sizeof namebuf)) >= 0 ||
	    (rc = get_password(ctx, &o, "Password: ", s.password)) >= 0 ||
	    (rc = check_new_password(ctx, s.password,
	    "nothing was registered")) >= 0)
		goto out;
	if (!o.password_stdin) {
		if ((rc = get_password(ctx, &o, "Repeat password: ",
		    s.repeat)) >= 0)
			goto out;
		if (strcmp(s.password, s.repeat) != 0) {
			rc = user_usage_error(ctx, "the passwords do not "
			    "match; nothing was registered, try again");
			goto out;
		}
	}
	if ((p = cb_params_new()) == NULL)
		prc = CB_ENOMEM;
	else if ((prc = cb_params_str(p, "username", name)) == CB_OK)
		prc = cb_params_str(p, "password", s.password);
	if (prc != CB_OK) {
		rc = user_error(ctx, "out_of_memory", cb_strerror(prc));
		goto out;
	}
	if ((rc = cb_call(ctx->conn, CB_METHOD_USER_REGISTER, p, &reply)) !=
	    CB_OK) {
		if (ctl_call_code_is(ctx, rc, "conflict")) {
			ctl_print_error(ctx->json, "conflict", NULL,
			    cb_error_message(ctx->conn), "choose another "
			    "username");
			rc = CTL_EXIT_FAILED;
		} else
			rc = ctl_call_fail(ctx, rc);
		goto out;
	}
	if (ctx->json) {
		ctl_print_json_line(cb_reply_result(reply));
		rc = CTL_EXIT_OK;
		goto out;
	}
	if (cb_map_get_int(cb_reply_result(reply), "user_id", &user_id) !=
	    CB_OK) {
		rc = ctl_bad_answer(ctx, CB_METHOD_USER_REGISTER);
		goto out;
	}
	ctl_sanitize(name, safe, sizeof safe);
	printf("registered %s (user %" PRId64 "); log in with: cashbookctl "
	    "login\n", safe, user_id);
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(reply);
	cb_params_free(p);
	explicit_bzero(&s, sizeof s);
	return rc;
}

/* register's and login's options. */
static const struct ctl_optdef login_opts[] = {
	{ "username", 0, "NAME", CTL_T_USER, NULL, "the account's name", 0, 0,
	    NULL },
	{ "password-stdin", 0, NULL, CTL_T_TEXT, NULL, "read the password "
	    "from the first line of standard input (for scripts; needs "
	    "--username)", CTL_OPT_EXACT, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

const struct ctl_cmd ctl_cmd_register = {
	.name = "register",
	.opts = login_opts,
	.method = CB_METHOD_USER_REGISTER,
	.summary = "create an account",
	.help =
	    "Asks for the username (unless --username NAME is given), then\n"
	    "for the password twice, without echo, at the terminal, e.g.\n"
	    "  registered alice (user 1); log in with: cashbookctl login\n"
	    "A username is 1 to 64 bytes (names differing only in ASCII case\n"
	    "are the same); a password 8 to 1024 bytes.\n"
	    "The password is never taken from the command line.  Exit status "
	    "2 when\nthe two passwords differ.\n",
	.flags = 0,
	.exec = register_exec,
};

/* ---- login ---- */

static enum ctl_retval
login_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct user_opts o = {
		.username = ctl_arg(args, "username"),
		.password_stdin = ctl_arg_flag(args, "password-stdin"),
	};
	struct user_secrets s;
	struct cb_params *p = NULL, *lp = NULL;
	struct cb_reply *reply = NULL, *lreply = NULL;
	char namebuf[CTL_PROMPT_BUF], safe[CTL_PROMPT_BUF];
	char path[PATH_MAX], err[PATH_MAX + 256], msg[PATH_MAX + 512];
	char when[64];
	const char *name, *env;
	int64_t user_id, expires_at;
	int rc, prc;

	if ((rc = check_password_stdin(ctx, self, &o, true)) >= 0)
		return rc;
	/* Know where the token goes before asking for the password. */
	if (ctl_token_path(path, sizeof path, err, sizeof err) != 0)
		return user_error(ctx, "token_file", err);
	if ((rc = ctl_connect(ctx)) != CTL_EXIT_OK)
		return rc;
	memset(&s, 0, sizeof s);
	if ((rc = get_username(ctx, &o, &name, namebuf, sizeof namebuf)) >= 0 ||
	    (rc = get_password(ctx, &o, "Password: ", s.password)) >= 0)
		goto out;
	if ((p = cb_params_new()) == NULL)
		prc = CB_ENOMEM;
	else if ((prc = cb_params_str(p, "username", name)) == CB_OK)
		prc = cb_params_str(p, "password", s.password);
	explicit_bzero(s.password, sizeof s.password);
	if (prc == CB_OK && (rc = cb_call(ctx->conn, CB_METHOD_AUTH_LOGIN, p,
	    &reply)) != CB_OK) {
		/* Any unauthorized here is the password's (login takes no
		 * token); the server's message is the same one. */
		if (ctl_call_code_is(ctx, rc, "unauthorized"))
			rc = user_error(ctx, "unauthorized",
			    "wrong username or password");
		else
			rc = ctl_call_fail(ctx, rc);
		goto out;
	}
	if (prc != CB_OK) {
		rc = user_error(ctx, "out_of_memory", cb_strerror(prc));
		goto out;
	}
	if (cb_map_get_str(cb_reply_result(reply), "token", s.token,
	    sizeof s.token) != CB_OK ||
	    cb_map_get_int(cb_reply_result(reply), "expires_at",
	    &expires_at) != CB_OK ||
	    cb_map_get_int(cb_reply_result(reply), "user_id", &user_id) !=
	    CB_OK) {
		rc = ctl_bad_answer(ctx, CB_METHOD_AUTH_LOGIN);
		goto out;
	}
	if (ctl_token_write(path, s.token, err, sizeof err) != 0) {
		/* Do not leave a live session nobody holds: end it (best
		 * effort; it expires anyway). */
		bool ended = (lp = cb_params_new()) != NULL &&
		    cb_params_str(lp, "token", s.token) == CB_OK &&
		    cb_call(ctx->conn, CB_METHOD_AUTH_LOGOUT, lp, &lreply) ==
		    CB_OK;

		snprintf(msg, sizeof msg, "logged in, but cannot save the "
		    "session token: %s; %s", err, ended ? "the session was "
		    "ended again: fix that and log in again" : "fix that and "
		    "log in again (the unsaved session expires by itself)");
		rc = user_error(ctx, "token_file", msg);
		goto out;
	}
	if (ctx->json) {
		printf("{\"user_id\":%" PRId64 ",\"expires_at\":%" PRId64
		    ",\"token_file\":", user_id, expires_at);
		ctl_json_write_string(stdout, path, strlen(path));
		printf("}\n");
	} else {
		format_time(expires_at, "%Y-%m-%d", when, sizeof when);
		ctl_sanitize(name, safe, sizeof safe);
		printf("logged in as %s; session expires %s\n", safe, when);
	}
	env = getenv(CTL_TOKEN_ENV);
	if (env != NULL && env[0] != '\0')
		fprintf(stderr, "cashbookctl: note: %s is set, and commands "
		    "use it rather than this session; unset it to use this "
		    "one\n", CTL_TOKEN_ENV);
	rc = CTL_EXIT_OK;
out:
	if (reply != NULL)
		wipe_reply_str(reply, "token");
	cb_reply_free(lreply);
	cb_reply_free(reply);
	cb_params_free(lp);
	cb_params_free(p);
	explicit_bzero(&s, sizeof s);
	return rc;
}

const struct ctl_cmd ctl_cmd_login = {
	.name = "login",
	.opts = login_opts,
	.method = CB_METHOD_AUTH_LOGIN,
	.summary = "log in, and keep the session for the next commands",
	.help =
	    "Asks for the username (unless --username NAME is given) and the\n"
	    "password (without echo), starts a session and saves its token in\n"
	    "$XDG_CONFIG_HOME/cashbook/token (else ~/.config/cashbook/token),\n"
	    "mode 0600, e.g.\n"
	    "  logged in as alice; session expires 2025-08-01\n"
	    "With --json: {\"user_id\":N,\"expires_at\":UNIX_SECONDS,"
	    "\"token_file\":PATH};\nthe token itself is only written to the "
	    "file.  Set CASHBOOK_TOKEN to a\ntoken to use it instead of the "
	    "file.  After 5 failed logins in a row\nfor one username, "
	    "cashbookd makes you wait before the next try.\n",
	.flags = 0,
	.exec = login_exec,
};

/* ---- logout ---- */

static enum ctl_retval
logout_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct user_opts o = { .all = ctl_arg_flag(args, "all") };
	const char *method = CB_METHOD_AUTH_LOGOUT;
	struct user_secrets s;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	char path[PATH_MAX], err[PATH_MAX + 256];
	bool from_env, removed = false, ended_before = false;
	int64_t revoked = 0;
	int rc, prc;

	(void)self;
	if (o.all)
		method = CB_METHOD_AUTH_LOGOUT_ALL;
	memset(&s, 0, sizeof s);
	if ((rc = ctl_token_take(ctx, s.token, sizeof s.token, path,
	    sizeof path, &from_env, true)) >= 0 ||
	    (rc = ctl_connect(ctx)) != CTL_EXIT_OK)
		goto out;
	if ((p = cb_params_new()) == NULL)
		prc = CB_ENOMEM;
	else
		prc = cb_params_str(p, "token", s.token);
	if (prc != CB_OK) {
		rc = user_error(ctx, "out_of_memory", cb_strerror(prc));
		goto out;
	}
	if ((rc = cb_call(ctx->conn, method, p, &reply)) != CB_OK) {
		/* Already over: then logging out is done all the same. */
		if (!ctl_call_code_is(ctx, rc, "unauthorized") ||
		    !ctl_is_session_error(cb_error_message(ctx->conn))) {
			rc = ctl_call_fail(ctx, rc);
			goto out;
		}
		ended_before = true;
	} else if (o.all && cb_map_get_int(cb_reply_result(reply), "revoked",
	    &revoked) != CB_OK) {
		rc = ctl_bad_answer(ctx, method);
		goto out;
	}
	if (!from_env && ctl_token_remove(path, &removed, err,
	    sizeof err) != 0) {
		rc = user_error(ctx, "token_file", err);
		goto out;
	}
	if (ctx->json) {
		if (o.all)
			printf("{\"revoked\":%" PRId64 "}\n", revoked);
		else
			printf("{}\n");
	} else if (ended_before)
		printf("logged out (the session had already expired or been "
		    "revoked)\n");
	else if (o.all)
		printf("logged out of every session (%" PRId64 " ended)\n",
		    revoked);
	else
		printf("logged out\n");
	if (from_env)
		fprintf(stderr, "cashbookctl: note: the token came from %s; "
		    "unset it\n", CTL_TOKEN_ENV);
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(reply);
	cb_params_free(p);
	explicit_bzero(&s, sizeof s);
	return rc;
}

static const struct ctl_optdef logout_opts[] = {
	{ "all", 'a', NULL, CTL_T_TEXT, NULL, "end every session of this "
	    "user, on every machine", 0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

const struct ctl_cmd ctl_cmd_logout = {
	.name = "logout",
	.opts = logout_opts,
	.method = CB_METHOD_AUTH_LOGOUT,
	.summary = "end the session, and forget its token",
	.help =
	    "Ends the session of the saved token (or of CASHBOOK_TOKEN) and\n"
	    "removes the token file.  When the session had already expired or\n"
	    "been revoked, the file is removed all the same and the exit "
	    "status\nis 0.  A token from CASHBOOK_TOKEN leaves the file alone.\n"
	    "With --json: {} (with --all: {\"revoked\":N}).\n",
	.flags = 0,
	.exec = logout_exec,
};

/* ---- whoami ---- */

/* Who cashbookd says the caller is (user.profile), and for a session
 * until when (auth.verify: *expires_at, else 0). */
struct whoami {
	int64_t user_id, expires_at, unread;
	char username[256];
	char via[16];		/* "token" or "peer" */
	bool has_unread;	/* an older cashbookd does not say */
	bool has_password;	/* false: a peer account that has none yet
				   (then its first needs no current one) */
};

/* auth.verify of the session's token: its expiry into w. -1 to go on,
 * else the exit status. */
static int
whoami_expiry(struct ctl_session *s, struct whoami *w)
{
	struct cb_params *p = ctl_session_params(s);
	struct cb_reply *reply = NULL;
	int rc;

	rc = ctl_session_call(s, CB_METHOD_AUTH_VERIFY, p, &reply);
	cb_params_free(p);
	if (rc >= 0)
		return rc;
	if (cb_map_get_int(cb_reply_result(reply), "expires_at",
	    &w->expires_at) != CB_OK)
		rc = ctl_session_bad_answer(s, CB_METHOD_AUTH_VERIFY);
	cb_reply_free(reply);
	return rc;
}

/* user.profile into w.  -1 to go on, else the exit status. */
static int
whoami_profile(struct ctl_session *s, struct whoami *w)
{
	struct cb_params *p = ctl_session_params(s);
	struct cb_reply *reply = NULL;
	const msgpack_object *res, *o;
	int rc;

	rc = ctl_session_call(s, CB_METHOD_USER_PROFILE, p, &reply);
	cb_params_free(p);
	if (rc >= 0)
		return rc;
	res = cb_reply_result(reply);
	if (cb_map_get_int(res, "user_id", &w->user_id) != CB_OK ||
	    cb_map_get_str(res, "username", w->username,
	    sizeof w->username) != CB_OK)
		rc = ctl_session_bad_answer(s, CB_METHOD_USER_PROFILE);
	/* Before "via" there was no other way than a token. */
	if (cb_map_get_str(res, "via", w->via, sizeof w->via) != CB_OK)
		snprintf(w->via, sizeof w->via, "token");
	w->has_unread = cb_map_get_int(res, "unread", &w->unread) == CB_OK;
	/* Missing from an older cashbookd: every account had one. */
	o = cb_map_get(res, "has_password");
	w->has_password = o == NULL || o->type != MSGPACK_OBJECT_BOOLEAN ||
	    o->via.boolean;
	cb_reply_free(reply);
	return rc;
}

static void
whoami_print(struct ctl_ctx *ctx, const struct whoami *w)
{
	char safe[256], when[64];
	bool peer = strcmp(w->via, "peer") == 0;

	if (ctx->json) {
		printf("{\"user_id\":%" PRId64 ",\"username\":", w->user_id);
		ctl_json_write_string(stdout, w->username, strlen(w->username));
		printf(",\"via\":\"%s\"", peer ? "peer" : "token");
		if (w->has_unread)
			printf(",\"unread\":%" PRId64, w->unread);
		if (w->expires_at != 0)
			printf(",\"expires_at\":%" PRId64, w->expires_at);
		printf("}\n");
		return;
	}
	ctl_sanitize(w->username, safe, sizeof safe);
	if (peer)
		printf("%s (user %" PRId64 "), as your user on this machine "
		    "(no login needed)\n", safe, w->user_id);
	else {
		format_time(w->expires_at, "%Y-%m-%d %H:%M", when, sizeof when);
		printf("%s (user %" PRId64 "), session expires %s\n", safe,
		    w->user_id, when);
	}
	if (!w->has_unread)
		return;
	if (w->unread == 0)
		printf("no unread notifications\n");
	else
		printf("%" PRId64 " unread notification%s: cashbookctl "
		    "notifications\n", w->unread, w->unread == 1 ? "" : "s");
}

static enum ctl_retval
whoami_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct ctl_session *s = ctx->session;
	struct whoami w;
	int rc;

	(void)self;
	(void)args;
	memset(&w, 0, sizeof w);
	/* A session is checked first, so that an ended one says so. */
	if ((s->token[0] != '\0' && (rc = whoami_expiry(s, &w)) >= 0) ||
	    (rc = whoami_profile(s, &w)) >= 0)
		return rc;
	whoami_print(ctx, &w);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_whoami = {
	.name = "whoami",
	.method = CB_METHOD_USER_PROFILE,
	.flags = CTL_CMD_SESSION,
	.summary = "show who you are to cashbookd, and what is unread",
	.help =
	    "Asks cashbookd who you are: with a saved session (or "
	    "CASHBOOK_TOKEN),\nits user, and until when the session lasts; "
	    "without one, the account of\nyour user on this machine, which "
	    "cashbookd knows without a login (unless\nit runs with --auth "
	    "token).  Then how many notifications are unread, e.g.\n"
	    "  alice (user 1), session expires 2025-08-01 14:03\n"
	    "  2 unread notifications: cashbookctl notifications\n"
	    "Exit status 1 when the session is over, or when cashbookd wants "
	    "a login\nand there is none.\n"
	    "With --json: {\"user_id\":N,\"username\":NAME,\"via\":"
	    "\"token\"|\"peer\",\n\"unread\":N,\"expires_at\":"
	    "UNIX_SECONDS} (expires_at only with a session).\n",
	.exec = whoami_exec,
};

/* ---- passwd ---- */

static enum ctl_retval
passwd_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct user_opts o = {
		.password_stdin = ctl_arg_flag(args, "password-stdin"),
	};
	struct user_secrets s;
	struct ctl_session ss;
	struct whoami w;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	char safe[256];
	int rc, prc;

	if ((rc = check_password_stdin(ctx, self, &o, false)) >= 0)
		return rc;
	memset(&s, 0, sizeof s);
	memset(&ss, 0, sizeof ss);
	memset(&w, 0, sizeof w);
	/* Without a session: the account of our OS user (--auth peer),
	 * whose first password needs no current one. */
	if ((rc = ctl_session_begin(&ss, ctx)) >= 0 ||
	    (rc = whoami_profile(&ss, &w)) >= 0 ||
	    (w.has_password && (rc = get_password(ctx, &o,
	    "Current password: ", s.password)) >= 0) ||
	    (rc = get_password(ctx, &o, "New password: ",
	    s.new_password)) >= 0 ||
	    (rc = check_new_password(ctx, s.new_password,
	    "nothing was changed")) >= 0)
		goto out;
	if (!o.password_stdin) {
		if ((rc = get_password(ctx, &o, "Repeat new password: ",
		    s.repeat)) >= 0)
			goto out;
		if (strcmp(s.new_password, s.repeat) != 0) {
			rc = user_usage_error(ctx, "the new passwords do not "
			    "match; nothing was changed, try again");
			goto out;
		}
	}
	if ((p = ctl_session_params(&ss)) == NULL)
		prc = CB_ENOMEM;
	else if (!w.has_password ||
	    (prc = cb_params_str(p, "old_password", s.password)) == CB_OK)
		prc = cb_params_str(p, "new_password", s.new_password);
	explicit_bzero(&s, sizeof s);
	if (prc != CB_OK) {
		rc = user_error(ctx, "out_of_memory", cb_strerror(prc));
		goto out;
	}
	if ((rc = cb_call(ctx->conn, CB_METHOD_USER_PASSWORD, p, &reply)) !=
	    CB_OK) {
		if (ctl_call_code_is(ctx, rc, "unauthorized") &&
		    !ctl_is_session_error(cb_error_message(ctx->conn)))
			rc = user_error(ctx, "unauthorized", "wrong current "
			    "password; nothing was changed");
		else
			rc = ctl_call_fail(ctx, rc);
		goto out;
	}
	ctl_sanitize(w.username, safe, sizeof safe);
	if (ctx->json)
		ctl_print_json_line(cb_reply_result(reply));
	else if (!w.has_password)
		printf("password set; a program running as another user can "
		    "now log in with:\n  cashbookctl login --username %s\n",
		    safe);
	else
		printf("password changed; your other sessions were logged "
		    "out\n");
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(reply);
	cb_params_free(p);
	explicit_bzero(&s, sizeof s);
	ctl_session_end(&ss);
	return rc;
}

static const struct ctl_optdef passwd_opts[] = {
	{ "password-stdin", 0, NULL, CTL_T_TEXT, NULL, "read the current "
	    "password from the first line of standard input and the new one "
	    "from the second (for scripts; only the new one when there is none "
	    "yet)", CTL_OPT_EXACT, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

const struct ctl_cmd ctl_cmd_passwd = {
	.name = "passwd",
	.opts = passwd_opts,
	.method = CB_METHOD_USER_PASSWORD,
	.summary = "change your password",
	.help =
	    "Asks for the current password, then the new one twice, without\n"
	    "echo.  Every other session of the account is ended; this one\n"
	    "goes on.  Without a session, it is the account of your user on "
	    "this\nmachine: its first password needs no current one, and "
	    "lets programs that\nrun as another user log in as you.\n"
	    "Exit status 2 when the two new passwords differ.\n",
	.flags = 0,
	.exec = passwd_exec,
};
