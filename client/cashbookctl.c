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
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "cb_limits.h"
#include "version.h"

#include "ctl.h"
#include "ctl_args.h"
#include "ctl_book.h"
#include "ctl_input.h"
#include "ctl_start_hint.h"
#include "ctl_output.h"
#include "ctl_session.h"

/* The edit distance up to which an unknown word gets "did you mean". */
#define CTL_SUGGEST_MAX		2

static enum ctl_retval help_exec(const struct ctl_cmd *, struct ctl_ctx *,
    struct ctl_args *);

static const struct ctl_operand help_operands[] = {
	{ "COMMAND", CTL_T_COMMAND, NULL, CTL_ARG_OPTIONAL },
	{ "SUBCOMMAND", CTL_T_COMMAND, NULL, CTL_ARG_OPTIONAL },
	{ NULL, 0, NULL, 0 },
};

static const struct ctl_cmd ctl_cmd_help = {
	.name = "help",
	.summary = "show the commands, or how to use one",
	.help = "Without COMMAND, list the commands and global options.\n",
	.operands = help_operands,
	.exec = help_exec,
};

/*
 * The options every command takes, before its word or after it (there
 * by long name, and -s, -j, -b, -h; -t after a command is its own, e.g.
 * --tag).  main parses them before the command word, ctl_args.c after.
 */
const struct ctl_optdef ctl_global_opts[] = {
	{ "socket", 's', "PATH", CTL_T_FILE, NULL, "cashbookd's socket", 0, 0,
	    NULL },
	{ "json", 'j', NULL, CTL_T_TEXT, NULL, "print results, and errors, "
	    "as JSON on one line", 0, 0, NULL },
	{ "timeout", 't', "MS", CTL_T_NUMBER, NULL, "give up on cashbookd "
	    "after MS milliseconds", 0, 0, NULL },
	{ "book", 'b', "NAME|ID", CTL_T_BOOK, NULL, "the book to work on",
	    0, 0, NULL },
	{ "help", 'h', NULL, CTL_T_TEXT, NULL, "show the help", 0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

extern const struct ctl_cmd ctl_cmd_complete;
extern const struct ctl_cmd ctl_cmd_generate;

/* Every command, in the order --help lists them. */
const struct ctl_cmd *const ctl_commands[] = {
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
	&ctl_cmd_complete,
	&ctl_cmd_generate,
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
	for (size_t i = 0; ctl_commands[i] != NULL; i++) {
		if ((ctl_commands[i]->flags & CTL_CMD_HIDDEN) == 0)
			fprintf(f, "  %-13s %s\n", ctl_commands[i]->name,
			    ctl_commands[i]->summary);
	}
	fprintf(f,
	    "\nOptions (before or after the command):\n"
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
	    "                      0 waits forever; after the command: "
	    "--timeout only)\n"
	    "  -b, --book NAME|ID  the book the bookkeeping commands work on: "
	    "its NAME,\n"
	    "                      OWNER/NAME (one shared with you: "
	    "alice/Household), or\n"
	    "                      ID (default: $CASHBOOK_BOOK, else the one "
	    "chosen with\n"
	    "                      'book use')\n"
	    "  -h, --help          show this help\n"
	    "  -V, --version       show the version\n"
	    "\nCommands' own short options mean the same everywhere: -c "
	    "--category,\n-m --mode, -p --party, -n --note, -t --tag, -d "
	    "--date, -r --reference,\n-a --all, -l --limit, -o --output.\n"
	    "\nA command may be shortened to a prefix that names only it "
	    "('li' for\nlist), except those that delete or cannot be undone "
	    "(rm, book delete,\nmember rm, invite revoke, leave): type them "
	    "whole.\n"
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

/* Whether cmd is called word, by its name or an alias. */
static bool
cmd_is(const struct ctl_cmd *cmd, const char *word)
{
	if (strcmp(cmd_word(cmd), word) == 0)
		return true;
	for (size_t i = 0; cmd->aliases != NULL && cmd->aliases[i] != NULL;
	    i++) {
		if (strcmp(cmd->aliases[i], word) == 0)
			return true;
	}
	return false;
}

/* Whether word is a prefix of cmd's name or of an alias. */
static bool
cmd_starts(const struct ctl_cmd *cmd, const char *word)
{
	size_t len = strlen(word);

	if (strncmp(cmd_word(cmd), word, len) == 0)
		return true;
	for (size_t i = 0; cmd->aliases != NULL && cmd->aliases[i] != NULL;
	    i++) {
		if (strncmp(cmd->aliases[i], word, len) == 0)
			return true;
	}
	return false;
}

/* The edit distance of a and b (optimal string alignment: an insertion,
 * a deletion, a change or two neighbours swapped each count one), at
 * most CTL_SUGGEST_MAX + 1 for words longer than a name may be. */
static size_t
edit_distance(const char *a, const char *b)
{
	enum { W = 32 };
	size_t d[W + 1][W + 1], n = strlen(a), m = strlen(b);

	if (n > W || m > W)
		return CTL_SUGGEST_MAX + 1;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][m];
}

/* The command of list nearest to word, when near enough to suggest. */
static const struct ctl_cmd *
cmd_nearest(const struct ctl_cmd *const *list, const char *word)
{
	const struct ctl_cmd *best = NULL;
	size_t best_d = CTL_SUGGEST_MAX + 1, d;

	for (size_t i = 0; list[i] != NULL; i++) {
		if ((list[i]->flags & CTL_CMD_HIDDEN) != 0)
			continue;
		d = edit_distance(word, cmd_word(list[i]));
		if (d < best_d && d < strlen(word)) {
			best_d = d;
			best = list[i];
		}
	}
	return best;
}

/*
 * The command of list (ctl_commands, or a group's subcommands) called
 * word: by its name or an alias, else by a prefix that names only it
 * (as tmux allows), unless it is CTL_CMD_WHOLE.  NULL when none: the
 * usage error (naming the candidates of an ambiguous prefix, or the
 * nearest command to a typo) is reported and its status in *status.
 * what is "command" or "subcommand"; group names the group, or NULL.
 */
static const struct ctl_cmd *
cmd_find_in(struct ctl_ctx *ctx, const struct ctl_cmd *const *list,
    const char *word, const struct ctl_cmd *group, enum ctl_retval *status)
{
	const struct ctl_cmd *found = NULL, *near;
	const char *what = group != NULL ? "subcommand" : "command";
	char names[512], of[128];
	size_t n = 0;

	for (size_t i = 0; list[i] != NULL; i++) {
		if (cmd_is(list[i], word))
			return list[i];
	}
	names[0] = '\0';
	for (size_t i = 0; word[0] != '\0' && list[i] != NULL; i++) {
		size_t used = strlen(names);

		if ((list[i]->flags & CTL_CMD_HIDDEN) != 0 ||
		    !cmd_starts(list[i], word))
			continue;
		snprintf(names + used, sizeof names - used, "%s%s",
		    n > 0 ? ", " : "", cmd_word(list[i]));
		found = list[i];
		n++;
	}
	snprintf(of, sizeof of, "%s%s", group != NULL ? " of " : "",
	    group != NULL ? group->name : "");
	if (n == 1 && (found->flags & CTL_CMD_WHOLE) == 0)
		return found;
	if (n == 1)
		*status = ctl_usage(ctx, group, "'%s' is short for '%s', which "
		    "must be typed in full: it deletes or cannot be undone",
		    word, found->name);
	else if (n > 1)
		*status = ctl_usage(ctx, group, "ambiguous %s '%s'%s: could "
		    "be %s", what, word, of, names);
	else if ((near = cmd_nearest(list, word)) != NULL)
		*status = ctl_usage(ctx, group, "unknown %s '%s'%s; did you "
		    "mean '%s'?", what, word, of, cmd_word(near));
	else
		*status = ctl_usage(ctx, group, "unknown %s '%s'%s", what,
		    word, of);
	return NULL;
}

/*
 * The subcommand of group named by word, or a usage error: *status is
 * then the exit status (help printed for "GROUP --help").
 */
static const struct ctl_cmd *
subcmd_find(struct ctl_ctx *ctx, const struct ctl_cmd *group,
    const char *word, enum ctl_retval *status)
{
	if (word == NULL) {
		*status = ctl_usage(ctx, group, "%s needs a subcommand",
		    group->name);
		return NULL;
	}
	if (strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0) {
		ctl_help_print(stdout, group);
		*status = CTL_EXIT_OK;
		return NULL;
	}
	return cmd_find_in(ctx, group->subcmds, word, group, status);
}

/* Connect, begin the session and find the book, as cmd's flags ask. */
static enum ctl_retval
cmd_prepare(const struct ctl_cmd *cmd, struct ctl_ctx *ctx,
    struct ctl_session *s, struct ctl_book *book, bool *begun)
{
	struct ctl_book_ref ref;
	int rc;

	/* The book is chosen first: a missing choice is reported even
	 * when cashbookd is not running. */
	if ((cmd->flags & CTL_CMD_BOOK) != 0 &&
	    (rc = ctl_book_pick(ctx, NULL, &ref)) >= 0)
		return (enum ctl_retval)rc;
	if ((cmd->flags & (CTL_CMD_SESSION | CTL_CMD_BOOK)) != 0) {
		*begun = true;
		if ((rc = ctl_session_begin(s, ctx)) >= 0)
			return (enum ctl_retval)rc;
		ctx->session = s;
	} else if ((cmd->flags & CTL_CMD_CONNECT) != 0)
		return ctl_connect(ctx);
	if ((cmd->flags & CTL_CMD_BOOK) != 0) {
		if ((rc = ctl_book_find(s, &ref, book)) >= 0)
			return (enum ctl_retval)rc;
		ctx->book_found = book;
	}
	return CTL_EXIT_OK;
}

/*
 * Run one command from its table entry: parse its arguments, check them
 * (before any connection, so a usage error is one even without cashbookd),
 * connect, begin the session, find the book, exec, and clean up.
 */
static enum ctl_retval
cmd_exec(const struct ctl_cmd *cmd, struct ctl_ctx *ctx, int argc,
    char **argv)
{
	struct ctl_args args;
	struct ctl_session s;
	struct ctl_book book;
	enum ctl_retval rc;
	bool helped, begun = false;

	memset(&s, 0, sizeof s);
	rc = ctl_args_parse(cmd, ctx, argc, argv, &args, &helped);
	if (rc == CTL_EXIT_OK && !helped)
		rc = ctl_input_dates(ctx, &args);
	if (rc == CTL_EXIT_OK && !helped && cmd->check != NULL)
		rc = cmd->check(cmd, ctx, &args);
	if (rc == CTL_EXIT_OK && !helped)
		rc = cmd_prepare(cmd, ctx, &s, &book, &begun);
	if (rc == CTL_EXIT_OK && !helped)
		rc = cmd->exec(cmd, ctx, &args);
	if (begun)
		ctl_session_end(&s);
	ctx->session = NULL;
	ctx->book_found = NULL;
	ctl_args_free(&args);
	return rc;
}

/* Run cmd with argv[0] its name; a group runs its subcommand, which sees
 * argv[0] = the subcommand's word (or itself, when it is a command too and
 * no subcommand is named). */
static enum ctl_retval
cmd_run(const struct ctl_cmd *cmd, struct ctl_ctx *ctx, int argc,
    char **argv)
{
	const struct ctl_cmd *sub;
	enum ctl_retval status;
	bool self = cmd->exec != NULL;

	if (cmd->subcmds == NULL || (self && (argc < 2 ||
	    argv[1][0] == '-')))
		return cmd_exec(cmd, ctx, argc, argv);
	sub = subcmd_find(ctx, cmd, argc > 1 ? argv[1] : NULL, &status);
	if (sub == NULL)
		return status;
	return cmd_exec(sub, ctx, argc - 1, argv + 1);
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
	if (cmd != NULL) {
		ctl_usage_line(stderr, cmd);
		fprintf(stderr, "Try 'cashbookctl help %s' for more.\n",
		    cmd->name);
	} else
		fprintf(stderr, "Try 'cashbookctl --help' for more.\n");
	return CTL_EXIT_USAGE;
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
		char words[256];

		ctl_print_error(ctx->json, code, NULL, msg,
		    ctl_field_words(msg, words, sizeof words) ? NULL :
		    hint_for_code(code));
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

static enum ctl_retval
help_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	const struct ctl_cmd *cmd;
	enum ctl_retval rc;

	(void)self;
	if (args->nargs == 0) {
		print_help(stdout);
		return CTL_EXIT_OK;
	}
	if ((cmd = cmd_find_in(ctx, ctl_commands, args->argv[1], NULL,
	    &rc)) == NULL)
		return rc;
	if (args->nargs == 2 && cmd->subcmds == NULL)
		return ctl_usage(ctx, self, "%s has no subcommands",
		    cmd->name);
	if (args->nargs == 2 && (cmd = subcmd_find(ctx, cmd, args->argv[2],
	    &rc)) == NULL)
		return rc;
	ctl_help_print(stdout, cmd);
	return CTL_EXIT_OK;
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
	enum ctl_retval rc;
	int opt;

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
			if (ctl_parse_timeout(optarg, &ctx.timeout_ms) != 0)
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

	if ((cmd = cmd_find_in(&ctx, ctl_commands, argv[optind], NULL,
	    &rc)) == NULL)
		return rc;

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
