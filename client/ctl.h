/*
 * ctl.h -- what cashbookctl's commands share: the command table entry, the
 * invocation context, the exit codes and the helpers every command uses.
 *
 * Like tmux's cmd_entry: each command is a const struct ctl_cmd in a
 * ctl_cmd_*.c file (one file per group), listed once in cashbookctl.c's
 * table.  A command parses its own arguments, makes its calls through
 * libcashbook and prints through ctl_output.h; it never prints errors
 * itself but returns ctl_fail(ctx, rc) or ctl_usage(...).
 */
#ifndef CASHBOOK_CLIENT_CTL_H
#define CASHBOOK_CLIENT_CTL_H

#include <stdbool.h>

#include "cashbook.h"

/* Exit statuses (documented in --help). */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,	/* server error, timeout, connection lost */
	CTL_EXIT_USAGE = 2,	/* unknown command or option, bad argument */
	CTL_EXIT_CONNECT = 3,	/* cannot connect to cashbookd */
	CTL_EXIT_DATA = 4,	/* import: the file was refused, nothing
				   written */
};

struct ctl_ctx {
	const char *socket_path;	/* resolved: --socket or the default */
	bool socket_given;		/* --socket or CASHBOOK_SOCKET chose it */
	int timeout_ms;
	bool json;
	const char *book;		/* --book NAME|ID before the command, or
					   NULL (see ctl_book.h) */
	struct cb_conn *conn;		/* open for CTL_CMD_CONNECT commands */
};

#define CTL_CMD_CONNECT	0x1	/* ctl_parse_args connects ctx->conn */

struct ctl_cmd {
	const char *name;
	const char *args;	/* usage after the name, "" when none */
	const char *summary;	/* one line, for the command list */
	const char *help;	/* the rest of "cashbookctl help NAME" */
	int flags;
	/* argv[0] is the command name; returns an exit status. */
	int (*exec)(const struct ctl_cmd *self, struct ctl_ctx *ctx,
	    int argc, char **argv);
	/* A group of commands ("book"): its subcommands, NULL-terminated,
	 * each named "GROUP SUB" ("book create").  cashbookctl.c dispatches
	 * "GROUP SUB ARGS" to the subcommand with argv[0] = SUB.  exec is
	 * NULL, or the group is a command too ("notifications"), run when
	 * no subcommand's word follows (nothing, or an option). */
	const struct ctl_cmd *const *subcmds;
};

/* The commands, one group per ctl_cmd_*.c file. */
extern const struct ctl_cmd ctl_cmd_ping;
extern const struct ctl_cmd ctl_cmd_stats;
extern const struct ctl_cmd ctl_cmd_info;
extern const struct ctl_cmd ctl_cmd_backup;
/* restore FILE: put a backup in place of the database (server.restore);
 * run by the restore command when its argument is not an entry id. */
int ctl_restore_database(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    int argc, char **argv);
extern const struct ctl_cmd ctl_cmd_register;
extern const struct ctl_cmd ctl_cmd_login;
extern const struct ctl_cmd ctl_cmd_logout;
extern const struct ctl_cmd ctl_cmd_whoami;
extern const struct ctl_cmd ctl_cmd_passwd;
extern const struct ctl_cmd ctl_cmd_book;
extern const struct ctl_cmd ctl_cmd_balance;
extern const struct ctl_cmd ctl_cmd_verify;
extern const struct ctl_cmd ctl_cmd_add;
extern const struct ctl_cmd ctl_cmd_list;
extern const struct ctl_cmd ctl_cmd_export;
extern const struct ctl_cmd ctl_cmd_show;
extern const struct ctl_cmd ctl_cmd_edit;
extern const struct ctl_cmd ctl_cmd_rm;
extern const struct ctl_cmd ctl_cmd_restore;
extern const struct ctl_cmd ctl_cmd_history;
extern const struct ctl_cmd ctl_cmd_report;
extern const struct ctl_cmd ctl_cmd_share;
extern const struct ctl_cmd ctl_cmd_invites;
extern const struct ctl_cmd ctl_cmd_invite;
extern const struct ctl_cmd ctl_cmd_members;
extern const struct ctl_cmd ctl_cmd_member;
extern const struct ctl_cmd ctl_cmd_leave;
extern const struct ctl_cmd ctl_cmd_notifications;
extern const struct ctl_cmd ctl_cmd_watch;
extern const struct ctl_cmd ctl_cmd_import;

/*
 * One of a command's own options, for ctl_parse_args_opts.  Given as
 * "--name VALUE" or "--name=VALUE" when value is set (the last one given
 * wins), as "--name" alone when it is a flag (set becomes true).
 */
struct ctl_opt {
	const char *name;	/* "--username" */
	const char **value;	/* takes a value: stored here; or NULL */
	bool *set;		/* a flag: set true when given; or NULL */
};

/*
 * A repeatable option of a command ("--tag A --tag B"), for
 * ctl_parse_args_multi: each value given is appended to values, which has
 * room for max; one more is a usage error.
 */
struct ctl_opt_multi {
	const char *name;	/* "--tag" */
	const char **values;	/* max slots */
	size_t max;
	size_t *n;		/* how many were given */
};

/*
 * Parse a command's options that every command takes (-h/--help, -j/--json)
 * and refuse anything else past the first max_args operands (an argument
 * that looks like a negative number, "-3" or "-.5", is an operand, so
 * the command can say why it refuses it); then, for a
 * CTL_CMD_CONNECT command, connect ctx->conn.  Returns -1 when the command
 * should go on (*nargs operands are then at argv[1..]), otherwise the exit
 * status to return (help printed, usage error, cannot connect).
 */
int ctl_parse_args(const struct ctl_cmd *cmd, struct ctl_ctx *ctx, int argc,
    char **argv, int max_args, int *nargs);

/* The same, also taking the command's own options opts (an array ended by
 * an entry whose name is NULL; NULL for none). */
int ctl_parse_args_opts(const struct ctl_cmd *cmd, struct ctl_ctx *ctx,
    int argc, char **argv, const struct ctl_opt *opts, int max_args,
    int *nargs);

/* The same, also taking repeatable options multi (an array ended by an
 * entry whose name is NULL; NULL for none). */
int ctl_parse_args_multi(const struct ctl_cmd *cmd, struct ctl_ctx *ctx,
    int argc, char **argv, const struct ctl_opt *opts,
    const struct ctl_opt_multi *multi, int max_args, int *nargs);

/* Connect ctx->conn, or report why not and return the exit status (for a
 * command without CTL_CMD_CONNECT that connects later, once it has done
 * its local work).  CTL_EXIT_OK on success. */
int ctl_connect(struct ctl_ctx *ctx);

/* Report a usage error about cmd (NULL: the global command line) and
 * return CTL_EXIT_USAGE. */
int ctl_usage(struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Report a failure found by cashbookctl itself (not a server answer):
 * the message, then "hint: HINT" unless hint is NULL; code is what --json
 * shows.  Returns status. */
int ctl_error(struct ctl_ctx *ctx, int status, const char *code,
    const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Report why a libcashbook call on ctx->conn failed (the server's code and
 * message, or the local reason) with a hint, and return the exit status. */
int ctl_fail(struct ctl_ctx *ctx, int rc);

#endif
