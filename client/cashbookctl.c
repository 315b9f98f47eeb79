/*
 * cashbookctl.c -- the command-line client of cashbookd: global options,
 * the command table, dispatch, and how failures become messages and exit
 * statuses.
 *
 * A thin user of libcashbook: it connects once, runs one command, and
 * exits.  Commands live in ctl_cmd_*.c (one group per file) and only fetch
 * and print; everything they have in common -- option parsing, help,
 * connecting, error reporting and exit statuses -- is here, so every
 * command behaves the same.  Never talks msgpack-RPC itself.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "cb_limits.h"
#include "version.h"

#include "ctl.h"
#include "ctl_start_hint.h"
#include "ctl_output.h"

#define CTL_MAX_TIMEOUT_MS	(24 * 3600 * 1000)	/* one day */

static int help_exec(const struct ctl_cmd *, struct ctl_ctx *, int, char **);

static const struct ctl_cmd ctl_cmd_help = {
	.name = "help",
	.args = "[COMMAND [SUBCOMMAND]]",
	.summary = "show the commands, or how to use one",
	.help = "Without COMMAND, list the commands and global options.\n",
	.flags = 0,
	.exec = help_exec,
};

/* Every command, in the order --help lists them. */
static const struct ctl_cmd *const ctl_commands[] = {
	&ctl_cmd_ping,
	&ctl_cmd_stats,
	&ctl_cmd_info,
	&ctl_cmd_backup,
	&ctl_cmd_register,
	&ctl_cmd_login,
	&ctl_cmd_logout,
	&ctl_cmd_whoami,
	&ctl_cmd_passwd,
	&ctl_cmd_book,
	&ctl_cmd_add,
	&ctl_cmd_import,
	&ctl_cmd_list,
	&ctl_cmd_export,
	&ctl_cmd_show,
	&ctl_cmd_edit,
	&ctl_cmd_rm,
	&ctl_cmd_restore,
	&ctl_cmd_history,
	&ctl_cmd_balance,
	&ctl_cmd_report,
	&ctl_cmd_verify,
	&ctl_cmd_share,
	&ctl_cmd_invites,
	&ctl_cmd_invite,
	&ctl_cmd_members,
	&ctl_cmd_member,
	&ctl_cmd_leave,
	&ctl_cmd_notifications,
	&ctl_cmd_watch,
	&ctl_cmd_help,
	NULL
};

static void
print_usage_line(FILE *f)
{
	fprintf(f, "usage: cashbookctl [--socket PATH] [--json] "
	    "[--timeout MS] [--book NAME|ID]\n"
	    "                   COMMAND [ARGS]\n");
}

static void
print_help(FILE *f)
{
	char def[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *path = cb_default_socket_path(def, sizeof def);

	print_usage_line(f);
	fprintf(f, "\nTalk to cashbookd, the local bookkeeping daemon.\n"
	    "\nCommands:\n");
	for (size_t i = 0; ctl_commands[i] != NULL; i++)
		fprintf(f, "  %-13s %s\n", ctl_commands[i]->name,
		    ctl_commands[i]->summary);
	fprintf(f,
	    "\nOptions:\n"
	    "  -s, --socket PATH   cashbookd's socket (default: "
	    "$CASHBOOK_SOCKET, else\n"
	    "                      $XDG_RUNTIME_DIR/cashbook/cashbookd.sock, "
	    "else\n"
	    "                      /tmp/cashbook-$UID/cashbookd.sock; here: "
	    "%s)\n"
	    "  -j, --json          print results, and errors, as JSON on one "
	    "line\n"
	    "  -t, --timeout MS    give up on cashbookd after MS milliseconds "
	    "(default %d;\n"
	    "                      0 waits forever)\n"
	    "  -b, --book NAME|ID  the book the bookkeeping commands work on: "
	    "its NAME,\n"
	    "                      OWNER/NAME (one shared with you: "
	    "alice/Household), or\n"
	    "                      ID (default: $CASHBOOK_BOOK, else the one "
	    "chosen with\n"
	    "                      'book use')\n"
	    "  -h, --help          show this help\n"
	    "  -V, --version       show the version\n"
	    "\nExit status:\n"
	    "  0  success\n"
	    "  1  the request failed: cashbookd answered an error, or timed "
	    "out, or the\n"
	    "     connection was lost\n"
	    "  2  usage error: unknown command or option, bad argument\n"
	    "  3  cannot connect to cashbookd\n"
	    "  4  import: the file was refused (nothing was written)\n"
	    "\nRun 'cashbookctl help COMMAND' for more about a command.\n",
	    path != NULL ? path : "(too long)", CB_DEFAULT_TIMEOUT_MS);
}

/* A subcommand's own word: "create" of "book create". */
static const char *
cmd_word(const struct ctl_cmd *cmd)
{
	const char *sp = strrchr(cmd->name, ' ');

	return sp != NULL ? sp + 1 : cmd->name;
}

static void
print_cmd_help(FILE *f, const struct ctl_cmd *cmd)
{
	fprintf(f, "usage: cashbookctl [OPTIONS] %s%s%s\n\n%c%s.\n\n%s",
	    cmd->name, cmd->args[0] != '\0' ? " " : "", cmd->args,
	    toupper((unsigned char)cmd->summary[0]), cmd->summary + 1,
	    cmd->help);
	if (cmd->subcmds != NULL) {
		fprintf(f, "\nSubcommands:\n");
		for (size_t i = 0; cmd->subcmds[i] != NULL; i++)
			fprintf(f, "  %-8s %s\n", cmd_word(cmd->subcmds[i]),
			    cmd->subcmds[i]->summary);
		fprintf(f, "\nRun 'cashbookctl help %s SUBCOMMAND' for more "
		    "about one.\n", cmd->name);
		if (cmd->exec == NULL)
			return;
	}
	fprintf(f, "\nOptions: -j/--json prints the result as JSON; see "
	    "'cashbookctl --help'\nfor the global options and exit "
	    "statuses.\n");
}

/*
 * The command of list (ctl_commands, or a group's subcommands) called
 * name: an exact match, else the only command name starts with (as tmux
 * allows).  NULL, with *ambiguous set when more than one matched.
 */
static const struct ctl_cmd *
cmd_find_in(const struct ctl_cmd *const *list, const char *name,
    bool *ambiguous)
{
	const struct ctl_cmd *found = NULL;
	size_t len = strlen(name);

	*ambiguous = false;
	for (size_t i = 0; list[i] != NULL; i++) {
		if (strcmp(cmd_word(list[i]), name) == 0)
			return list[i];
	}
	if (len == 0)
		return NULL;
	for (size_t i = 0; list[i] != NULL; i++) {
		if (strncmp(cmd_word(list[i]), name, len) != 0)
			continue;
		if (found != NULL) {
			*ambiguous = true;
			return NULL;
		}
		found = list[i];
	}
	return found;
}

static const struct ctl_cmd *
cmd_find(const char *name, bool *ambiguous)
{
	return cmd_find_in(ctl_commands, name, ambiguous);
}

/*
 * The subcommand of group named by word, or a usage error: *status is
 * then the exit status (help printed for "GROUP --help").
 */
static const struct ctl_cmd *
subcmd_find(struct ctl_ctx *ctx, const struct ctl_cmd *group,
    const char *word, int *status)
{
	const struct ctl_cmd *sub;
	bool ambiguous;

	if (word == NULL) {
		*status = ctl_usage(ctx, group, "%s needs a subcommand",
		    group->name);
		return NULL;
	}
	if (strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0) {
		print_cmd_help(stdout, group);
		*status = CTL_EXIT_OK;
		return NULL;
	}
	sub = cmd_find_in(group->subcmds, word, &ambiguous);
	if (sub == NULL)
		*status = ctl_usage(ctx, group, "%s subcommand '%s' of %s",
		    ambiguous ? "ambiguous" : "unknown", word, group->name);
	return sub;
}

/* Run cmd with argv[0] its name; a group runs its subcommand, which sees
 * argv[0] = the subcommand's word (or itself, when it is a command too and
 * no subcommand is named). */
static int
cmd_run(const struct ctl_cmd *cmd, struct ctl_ctx *ctx, int argc,
    char **argv)
{
	const struct ctl_cmd *sub;
	int status;

	if (cmd->subcmds == NULL || (cmd->exec != NULL && (argc < 2 ||
	    argv[1][0] == '-')))
		return cmd->exec(cmd, ctx, argc, argv);
	sub = subcmd_find(ctx, cmd, argc > 1 ? argv[1] : NULL, &status);
	if (sub == NULL)
		return status;
	return sub->exec(sub, ctx, argc - 1, argv + 1);
}

int
ctl_usage(struct ctl_ctx *ctx, const struct ctl_cmd *cmd, const char *fmt,
    ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	ctl_print_error(ctx->json, NULL, "usage", msg, NULL);
	if (cmd != NULL)
		fprintf(stderr, "usage: cashbookctl [OPTIONS] %s%s%s\n"
		    "Try 'cashbookctl help %s' for more.\n", cmd->name,
		    cmd->args[0] != '\0' ? " " : "", cmd->args, cmd->name);
	else
		fprintf(stderr, "Try 'cashbookctl --help' for more.\n");
	return CTL_EXIT_USAGE;
}

/*
 * The option of opts that a (an argument starting with "-") names, with
 * *inline_value pointing past the '=' of "--name=VALUE" (else NULL).
 */
static const struct ctl_opt *
opt_find(const struct ctl_opt *opts, const char *a, const char **inline_value)
{
	const char *eq = strchr(a, '=');
	size_t len = eq != NULL ? (size_t)(eq - a) : strlen(a);

	*inline_value = eq != NULL ? eq + 1 : NULL;
	for (size_t i = 0; opts != NULL && opts[i].name != NULL; i++) {
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, a, len) == 0)
			return &opts[i];
	}
	return NULL;
}

int
ctl_parse_args(const struct ctl_cmd *cmd, struct ctl_ctx *ctx, int argc,
    char **argv, int max_args, int *nargs)
{
	return ctl_parse_args_opts(cmd, ctx, argc, argv, NULL, max_args,
	    nargs);
}

int
ctl_parse_args_opts(const struct ctl_cmd *cmd, struct ctl_ctx *ctx,
    int argc, char **argv, const struct ctl_opt *opts, int max_args,
    int *nargs)
{
	return ctl_parse_args_multi(cmd, ctx, argc, argv, opts, NULL,
	    max_args, nargs);
}

/* The repeatable option of multi that a names ("--tag" or "--tag=..."),
 * with *inline_value as opt_find sets it. */
static const struct ctl_opt_multi *
opt_multi_find(const struct ctl_opt_multi *multi, const char *a,
    const char **inline_value)
{
	const char *eq = strchr(a, '=');
	size_t len = eq != NULL ? (size_t)(eq - a) : strlen(a);

	*inline_value = eq != NULL ? eq + 1 : NULL;
	for (size_t i = 0; multi != NULL && multi[i].name != NULL; i++) {
		if (strlen(multi[i].name) == len &&
		    strncmp(multi[i].name, a, len) == 0)
			return &multi[i];
	}
	return NULL;
}

/*
 * Take the repeatable option at argv[*i] when it is one of multi: 1 when
 * taken (*i moved past its value), 0 when it is not one, or the exit
 * status + 2 of a usage error (>= 2).
 */
static int
opt_multi_take(const struct ctl_cmd *cmd, struct ctl_ctx *ctx, int argc,
    char **argv, const struct ctl_opt_multi *multi, int *i)
{
	const struct ctl_opt_multi *m;
	const char *value;

	m = opt_multi_find(multi, argv[*i], &value);
	if (m == NULL)
		return 0;
	if (value == NULL) {
		if (*i + 1 == argc)
			return 2 + ctl_usage(ctx, cmd, "%s: %s needs a value",
			    cmd->name, m->name);
		value = argv[++*i];
	}
	if (*m->n == m->max)
		return 2 + ctl_usage(ctx, cmd, "%s: %s may be given at most "
		    "%zu times", cmd->name, m->name, m->max);
	m->values[(*m->n)++] = value;
	return 1;
}

int
ctl_parse_args_multi(const struct ctl_cmd *cmd, struct ctl_ctx *ctx,
    int argc, char **argv, const struct ctl_opt *opts,
    const struct ctl_opt_multi *multi, int max_args, int *nargs)
{
	const struct ctl_opt *opt;
	const char *value;
	int taken;
	bool options = true;
	int n = 0;

	/* --help anywhere wins over everything else on the line. */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			print_cmd_help(stdout, cmd);
			return CTL_EXIT_OK;
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (options && strcmp(a, "--") == 0) {
			options = false;
			continue;
		}
		/* "-3" and "-.5" are operands (a negative amount, which
		 * the command then refuses with a reason), not options. */
		if (options && a[0] == '-' && a[1] != '\0' && a[1] != '.' &&
		    !isdigit((unsigned char)a[1])) {
			if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
				ctx->json = true;
				continue;
			}
			if (a[1] == '-' && (taken = opt_multi_take(cmd, ctx,
			    argc, argv, multi, &i)) != 0) {
				if (taken >= 2)
					return taken - 2;
				continue;
			}
			opt = opt_find(opts, a, &value);
			/* Not the "=VALUE": it may be a secret
			 * (--password=...). */
			if (opt == NULL)
				return ctl_usage(ctx, cmd, "%s: unknown option "
				    "'%.*s'", cmd->name, (int)strcspn(a, "="),
				    a);
			if (opt->value == NULL && value != NULL)
				return ctl_usage(ctx, cmd, "%s: %s takes no "
				    "value", cmd->name, opt->name);
			if (opt->value != NULL && value == NULL) {
				if (i + 1 == argc)
					return ctl_usage(ctx, cmd, "%s: %s needs "
					    "a value", cmd->name, opt->name);
				value = argv[++i];
			}
			if (opt->value != NULL)
				*opt->value = value;
			if (opt->set != NULL)
				*opt->set = true;
			continue;
		}
		if (n == max_args) {
			if (max_args == 0)
				return ctl_usage(ctx, cmd, "%s takes no "
				    "arguments (got '%s')", cmd->name, a);
			return ctl_usage(ctx, cmd, "%s: too many arguments",
			    cmd->name);
		}
		argv[++n] = argv[i];
	}
	*nargs = n;
	/* Connect only now, so that a usage error is reported as one even
	 * when cashbookd is not running. */
	if ((cmd->flags & CTL_CMD_CONNECT) != 0 && ctx->conn == NULL) {
		int rc = ctl_connect(ctx);

		if (rc != CTL_EXIT_OK)
			return rc;
	}
	return -1;
}

/* Hints for the server's error codes; NULL where the message says all. */
static const char *
hint_for_code(const char *code)
{
	static const struct {
		const char *code, *hint;
	} hints[] = {
		{ "bad_request", "cashbookctl and cashbookd may disagree on "
		    "this command; compare 'cashbookctl --version' with "
		    "'cashbookctl ping'" },
		{ "unauthorized", "this command needs you to be logged in" },
		{ "rate_limited", "too many attempts; wait a little and try "
		    "again" },
		{ "pool_timeout", "cashbookd is busy (every database handle "
		    "is in use); try again, and see 'cashbookctl stats'" },
		{ "statement_timeout", "the query ran past cashbookd's "
		    "statement timeout" },
		{ "too_large", "the request is larger than cashbookd's "
		    "--max-message-bytes" },
		{ "unknown_method", "cashbookd may be older than cashbookctl; "
		    "compare 'cashbookctl --version' with 'cashbookctl ping'" },
		{ "unavailable", "cashbookd is shutting down or cannot use its "
		    "database; see its log" },
		{ "internal", "see cashbookd's log for details" },
		{ "not_found", "'cashbookctl book list' shows your books, "
		    "'cashbookctl list' a book's entries" },
		{ "protocol_error", "cashbookd closed the connection" },
	};

	for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
		if (strcmp(hints[i].code, code) == 0)
			return hints[i].hint;
	}
	return NULL;
}

int
ctl_error(struct ctl_ctx *ctx, int status, const char *code,
    const char *hint, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	ctl_print_error(ctx->json, NULL, code, msg, hint);
	return status;
}

int
ctl_fail(struct ctl_ctx *ctx, int rc)
{
	const char *code = cb_error_code(ctx->conn);
	const char *msg = cb_error_message(ctx->conn);
	const char *local, *hint;

	if (msg[0] == '\0')
		msg = cb_strerror(rc);
	if (code != NULL) {
		/* The server said it: CB_ESERVER, or CB_EPROTO from its
		 * protocol_error notice ("too many clients", ...). */
		ctl_print_error(ctx->json, code, NULL, msg, hint_for_code(code));
		return CTL_EXIT_FAILED;
	}
	switch (rc) {
	case CB_ETIMEOUT:
		local = "timeout";
		hint = "cashbookd may be overloaded or stuck; see "
		    "'cashbookctl stats', or give a longer --timeout";
		break;
	case CB_EIO:
		local = "connection_lost";
		hint = "cashbookd may have stopped or restarted";
		break;
	case CB_EPROTO:
		local = "protocol_error";
		hint = "is this socket really cashbookd's, and of a matching "
		    "version?";
		break;
	case CB_ENOMEM:
		local = "out_of_memory";
		hint = NULL;
		break;
	default:
		local = "failed";
		hint = NULL;
		break;
	}
	ctl_print_error(ctx->json, NULL, local, msg, hint);
	return CTL_EXIT_FAILED;
}

/* Connect ctx->conn, or explain why not (and how to start cashbookd). */
int
ctl_connect(struct ctl_ctx *ctx)
{
	char why[512], msg[768];
	int rc, err;

	rc = cb_connect(ctx->socket_path, ctx->timeout_ms, &ctx->conn,
	    why, sizeof why);
	if (rc == CB_OK)
		return CTL_EXIT_OK;
	err = errno;
	if (rc == CB_ECONNECT && err == EPERM)	/* why names the path */
		snprintf(msg, sizeof msg, "cannot connect to cashbookd: %s",
		    why);
	else
		snprintf(msg, sizeof msg, "cannot connect to cashbookd at "
		    "%s: %s", ctx->socket_path, why);
	ctl_print_error(ctx->json, NULL, "cannot_connect", msg, NULL);
	if (rc == CB_ECONNECT && (err == ENOENT || err == ECONNREFUSED)) {
		ctl_start_hint(msg, sizeof msg, ctx->socket_path,
		    ctx->socket_given);
		fprintf(stderr, "start it with: %s\n", msg);
		fprintf(stderr, "(--socket PATH or CASHBOOK_SOCKET choose "
		    "another socket)\n");
	} else if (rc == CB_ECONNECT && err == EACCES)
		fprintf(stderr, "check the permissions of %s and its "
		    "directory: is it another user's cashbookd?\n",
		    ctx->socket_path);
	return rc == CB_EINVAL ? CTL_EXIT_USAGE : CTL_EXIT_CONNECT;
}

static int
help_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx, int argc,
    char **argv)
{
	const struct ctl_cmd *cmd;
	bool ambiguous;
	int nargs = 0, rc;

	if ((rc = ctl_parse_args(self, ctx, argc, argv, 2, &nargs)) >= 0)
		return rc;
	if (nargs == 0) {
		print_help(stdout);
		return CTL_EXIT_OK;
	}
	cmd = cmd_find(argv[1], &ambiguous);
	if (cmd == NULL)
		return ctl_usage(ctx, NULL, "%s command '%s'", ambiguous ?
		    "ambiguous" : "unknown", argv[1]);
	if (nargs == 2 && cmd->subcmds == NULL)
		return ctl_usage(ctx, self, "%s has no subcommands",
		    cmd->name);
	if (nargs == 2 && (cmd = subcmd_find(ctx, cmd, argv[2], &rc)) ==
	    NULL)
		return rc;
	print_cmd_help(stdout, cmd);
	return CTL_EXIT_OK;
}

/* A timeout in milliseconds: digits only, 0 .. CTL_MAX_TIMEOUT_MS. */
static int
parse_timeout(const char *s, int *out)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > CTL_MAX_TIMEOUT_MS)
		return -1;
	*out = (int)v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket",  required_argument, NULL, 's' },
		{ "json",    no_argument,       NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "book",    required_argument, NULL, 'b' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char defpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_ctx ctx = { .timeout_ms = CB_DEFAULT_TIMEOUT_MS };
	const struct ctl_cmd *cmd;
	const char *env;
	bool ambiguous;
	int opt, rc;

	/* '+': stop at the command name, its options are its own;
	 * ':': report a missing argument apart from an unknown option. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:s:jt:b:hV", longopts,
	    NULL)) != -1) {
		switch (opt) {
		case 's':
			ctx.socket_path = optarg;
			ctx.socket_given = true;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 't':
			if (parse_timeout(optarg, &ctx.timeout_ms) != 0)
				return ctl_usage(&ctx, NULL, "--timeout wants "
				    "milliseconds from 0 to %d, not '%s'",
				    CTL_MAX_TIMEOUT_MS, optarg);
			break;
		case 'b':
			ctx.book = optarg;
			break;
		case 'h':
			print_help(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("cashbookctl %s (protocol %d)\n",
			    CASHBOOK_VERSION, CB_PROTOCOL_VERSION);
			return CTL_EXIT_OK;
		case ':':
			return ctl_usage(&ctx, NULL, "option '%s' needs an "
			    "argument", argv[optind - 1]);
		default:
			if (optopt != 0)
				return ctl_usage(&ctx, NULL,
				    "unknown option '-%c'", optopt);
			return ctl_usage(&ctx, NULL, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return ctl_usage(&ctx, NULL, "no command given");

	if (ctx.socket_path == NULL) {
		env = getenv("CASHBOOK_SOCKET");
		ctx.socket_given = env != NULL && env[0] != '\0';
		ctx.socket_path = cb_default_socket_path(defpath,
		    sizeof defpath);
		if (ctx.socket_path == NULL)
			return ctl_usage(&ctx, NULL, "the default socket path "
			    "is too long; give one with --socket PATH");
	}

	cmd = cmd_find(argv[optind], &ambiguous);
	if (cmd == NULL)
		return ctl_usage(&ctx, NULL, "%s command '%s'", ambiguous ?
		    "ambiguous" : "unknown", argv[optind]);

	rc = cmd_run(cmd, &ctx, argc - optind, argv + optind);
	cb_close(ctx.conn);

	/* A full disk or a closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "cashbookctl: writing output: %s\n",
		    strerror(errno));
		if (rc == CTL_EXIT_OK)
			rc = CTL_EXIT_FAILED;
	}
	return rc;
}
