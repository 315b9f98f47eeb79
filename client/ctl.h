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
};

struct ctl_ctx {
	const char *socket_path;	/* resolved: --socket or the default */
	bool socket_given;		/* --socket or CASHBOOK_SOCKET chose it */
	int timeout_ms;
	bool json;
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
};

/* The commands, one group per ctl_cmd_*.c file. */
extern const struct ctl_cmd ctl_cmd_ping;
extern const struct ctl_cmd ctl_cmd_stats;
extern const struct ctl_cmd ctl_cmd_info;

/*
 * Parse a command's options that every command takes (-h/--help, -j/--json)
 * and refuse anything else past the first max_args operands; then, for a
 * CTL_CMD_CONNECT command, connect ctx->conn.  Returns -1 when the command
 * should go on (*nargs operands are then at argv[1..]), otherwise the exit
 * status to return (help printed, usage error, cannot connect).
 */
int ctl_parse_args(const struct ctl_cmd *cmd, struct ctl_ctx *ctx, int argc,
    char **argv, int max_args, int *nargs);

/* Report a usage error about cmd (NULL: the global command line) and
 * return CTL_EXIT_USAGE. */
int ctl_usage(struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Report why a libcashbook call on ctx->conn failed (the server's code and
 * message, or the local reason) with a hint, and return the exit status. */
int ctl_fail(struct ctl_ctx *ctx, int rc);

#endif
