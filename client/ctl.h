/*
 * ctl.h -- what cashbookctl's commands share: the command table entry, the
 * invocation context, the exit codes and the helpers every command uses.
 *
 * Like tmux's cmd_entry: each command is a const struct ctl_cmd in a
 * ctl_cmd_*.c file (one file per group), listed once in cashbookctl.c's
 * table, declaring its options and operands as data.  The driver in
 * cashbookctl.c parses them (getopt_long), prints help, connects, begins
 * the session and finds the book; a command's exec only reads its
 * ctl_args, makes its calls through libcashbook and prints through
 * ctl_output.h; it never prints errors itself but returns ctl_fail(ctx,
 * rc) or ctl_usage(...).
 */
#ifndef CASHBOOK_CLIENT_CTL_H
#define CASHBOOK_CLIENT_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cashbook_msgpack.h"

/*
 * What a command returns, and cashbookctl's exit status (documented in
 * --help): like tmux's enum cmd_retval, a command says how it ended, never
 * "go on".
 */
enum ctl_retval {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,	/* server error, timeout, connection lost */
	CTL_EXIT_USAGE = 2,	/* unknown command or option, bad argument */
	CTL_EXIT_CONNECT = 3,	/* cannot connect to cashbookd */
	CTL_EXIT_DATA = 4,	/* import: the file was refused, nothing
				   written */
};

struct ctl_session;
struct ctl_book;

struct ctl_ctx {
	const char *socket_path;	/* resolved: --socket or the default */
	bool socket_given;		/* --socket or CASHBOOK_SOCKET chose it */
	int timeout_ms;
	bool json;
	const char *book;		/* -b/--book NAME|ID, before or after
					   the command, or NULL (ctl_book.h) */
	struct cb_conn *conn;		/* open for CTL_CMD_CONNECT,
					   CTL_CMD_SESSION, CTL_CMD_BOOK */
	struct ctl_session *session;	/* begun for CTL_CMD_SESSION and
					   CTL_CMD_BOOK; ended by the driver */
	struct ctl_book *book_found;	/* found for CTL_CMD_BOOK */
};

/*
 * What an option's or operand's value is: it tells the completion scripts
 * what to offer and the help what to show.
 */
enum ctl_type {
	CTL_T_TEXT,		/* free text: nothing to complete */
	CTL_T_WORDS,		/* one of .words ("in out") */
	CTL_T_BOOK,		/* a book: NAME, OWNER/NAME or ID (asks
				   cashbookd) */
	CTL_T_CATEGORY,		/* a category of the book (asks cashbookd) */
	CTL_T_DATE,		/* YYYY-MM-DD, or as people write it
				   (today, -3d, YYYY-MM): ctl_input_dates
				   turns it into YYYY-MM-DD */
	CTL_T_AMOUNT,		/* 12.50 */
	CTL_T_NUMBER,		/* a count or an ID */
	CTL_T_FILE,		/* a file name */
	CTL_T_USER,		/* a username */
	CTL_T_COMMAND,		/* a command of cashbookctl (help) */
};

#define CTL_OPT_MULTI		0x1	/* may be repeated: every value kept */
#define CTL_OPT_HIDDEN		0x2	/* an old spelling: accepted, never
					   shown nor completed */
#define CTL_OPT_EXACT		0x4	/* never taken from an abbreviation
					   ("--password" is not
					   "--password-stdin") */

/*
 * One option of a command: "--name VALUE", "--name=VALUE", "-x VALUE"
 * when it takes a value (.arg set), else "--name" / "-x" alone.  The long
 * name is the protocol field's ("reference"); a short letter only for the
 * common ones, the same letter everywhere (see cashbookctl --help).
 */
struct ctl_optdef {
	const char *name;	/* long name, without "--" */
	int letter;		/* short letter, or 0 */
	const char *arg;	/* its value as help shows it ("YYYY-MM-DD");
				   NULL for a flag */
	enum ctl_type type;
	const char *words;	/* CTL_T_WORDS: the choices, space apart */
	const char *help;	/* one line for the options list */
	int flags;		/* CTL_OPT_* */
	int max;		/* CTL_OPT_MULTI: given at most max times */
	const char *alias_of;	/* CTL_OPT_HIDDEN: the option it spells
				   ("reference" for "ref"), or NULL */
};

#define CTL_ARG_OPTIONAL	0x1	/* may be left out (then all after) */
#define CTL_ARG_REPEAT		0x2	/* the last one: any number more */

/* One operand of a command, in order. */
struct ctl_operand {
	const char *name;	/* as usage shows it: "AMOUNT", "in|out" */
	enum ctl_type type;
	const char *words;	/* CTL_T_WORDS: the choices */
	int flags;		/* CTL_ARG_* */
};

/*
 * A command's arguments as the driver parsed them: the operands, and
 * every option given (ctl_arg, ctl_arg_flag, ctl_arg_list read them).
 */
struct ctl_args {
	int nargs;		/* operands at argv[1..nargs] */
	char **argv;		/* argv[0] is the command's word */
	const struct ctl_optdef *opts;
	const char **value;	/* per option of opts: its last value */
	int *count;		/* per option of opts: times given */
	const char **given;	/* every value in order ... */
	int *given_opt;		/* ... and whose it is (index in opts) */
	int ngiven;
	char *dates;		/* owned: the dates as read by
				   ctl_input_dates, that value points into */
};

/* The value of option name (its last one), NULL when not given. */
const char *ctl_arg(const struct ctl_args *a, const char *name);

/* Whether option name was given. */
bool ctl_arg_flag(const struct ctl_args *a, const char *name);

/* The values of a CTL_OPT_MULTI option, in order, into out (room for
 * max; the driver has refused more than the option's max): how many. */
size_t ctl_arg_list(const struct ctl_args *a, const char *name,
    const char **out, size_t max);

#define CTL_CMD_CONNECT	0x1	/* the driver connects ctx->conn */
#define CTL_CMD_SESSION	0x2	/* ... and begins ctx->session (the token) */
#define CTL_CMD_BOOK	0x4	/* ... and finds the chosen book into
				   ctx->book_found */
#define CTL_CMD_WHOLE	0x8	/* destructive: never run by a prefix */
#define CTL_CMD_HIDDEN	0x10	/* not listed, not completed */

/*
 * A command, like tmux's cmd_entry: what it is called, its options and
 * operands, the method it calls and what it needs; the driver
 * (cashbookctl.c) parses its arguments, prints its help, connects, begins
 * the session, finds the book, runs exec and cleans up.  The same table
 * makes --help, the completion scripts and the man page's command list
 * (ctl_gen.c), so they can never disagree.
 */
struct ctl_cmd {
	const char *name;	/* "book create" for a subcommand */
	const char *const *aliases;	/* other names, NULL-terminated, or
					   NULL */
	const char *summary;	/* one line, for the command list */
	const char *help;	/* the prose of "cashbookctl help NAME" */
	const struct ctl_optdef *opts;	/* ended by a NULL name; or NULL */
	const struct ctl_operand *operands;	/* ended by a NULL name; or
						   NULL */
	const char *needs;	/* too few operands: "NAME needs NEEDS" */
	const char *method;	/* the method it calls (for the man page),
				   or NULL */
	int flags;		/* CTL_CMD_* */
	/* Checks what can be checked without cashbookd (dates, amounts'
	 * syntax), before connecting; NULL when nothing. */
	enum ctl_retval (*check)(const struct ctl_cmd *self,
	    struct ctl_ctx *ctx, struct ctl_args *args);
	enum ctl_retval (*exec)(const struct ctl_cmd *self,
	    struct ctl_ctx *ctx, struct ctl_args *args);
	/* A group of commands ("book"): its subcommands, NULL-terminated,
	 * each named "GROUP SUB" ("book create").  The driver runs "GROUP
	 * SUB ARGS" as the subcommand.  exec is NULL, or the group is a
	 * command too ("notifications"), run when no subcommand's word
	 * follows (nothing, or an option). */
	const struct ctl_cmd *const *subcmds;
};

/* Every command, in the order --help lists them, NULL-terminated. */
extern const struct ctl_cmd *const ctl_commands[];

/* The commands, one group per ctl_cmd_*.c file. */
extern const struct ctl_cmd ctl_cmd_ping;
extern const struct ctl_cmd ctl_cmd_stats;
extern const struct ctl_cmd ctl_cmd_info;
extern const struct ctl_cmd ctl_cmd_backup;
/* restore FILE: put a backup in place of the database (server.restore);
 * run by the restore command when its argument is not an entry id. */
int ctl_restore_database(struct ctl_ctx *ctx, const char *file);
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

/* Print "usage: cashbookctl [OPTIONS] CMD ..." for cmd to f. */
void ctl_usage_line(FILE *f, const struct ctl_cmd *cmd);

/* Print the help of cmd (generated from its table entry) to f. */
void ctl_help_print(FILE *f, const struct ctl_cmd *cmd);

/* The options every command takes, before or after its word. */
extern const struct ctl_optdef ctl_global_opts[];

/*
 * Write what the table generates: "bash", "zsh", "fish" (completion
 * scripts) or "man" (the COMMANDS section, scdoc) to f.  0, or -1 for an
 * unknown what.
 */
int ctl_generate(FILE *f, const char *what);

/* Check the table: the same short letter means the same option in every
 * command, and none clashes with a global one.  Reports each problem on
 * stderr; the number found. */
int ctl_table_check(void);

#endif
