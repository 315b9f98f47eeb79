/*
 * ctl_cmd_notify.c -- cashbookctl's "notifications": what others did in
 * the books you share (and to your invitations), newest first, and
 * "notifications read" to mark them read.
 *
 * cashbookd writes each notification's text when it happens, in people's
 * words; this only lists them (one page of NOTIFY_PAGE, or with --all
 * every page, through ctl_session_pages) and marks them read.  Listing
 * never marks anything read.  Like the other ctl_cmd_*.c files, nothing
 * here talks msgpack-RPC itself or prints an error itself.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_limits.h"
#include "methods.h"

#include "ctl.h"
#include "ctl_fields.h"
#include "ctl_input.h"
#include "ctl_output.h"
#include "ctl_session.h"
#include "ctl_table.h"

/* Notifications shown without --all: cashbookd's default page. */
#define NOTIFY_PAGE		CB_LIST_DEFAULT_LIMIT

/* Per request with --all: the largest page, for the fewest round trips. */
#define NOTIFY_ALL_PAGE		CB_LIST_MAX_LIMIT

struct notify_opts {
	bool unread;
	bool all;
};

/* What a listing needs while it walks the pages. */
struct notify_list {
	const struct notify_opts *o;
	struct ctl_table *t;
	size_t unread;		/* rows shown that are unread */
};

enum { NC_MARK, NC_ID, NC_WHEN, NC_TEXT, NC_NCOLS };

static const struct ctl_col notify_cols[NC_NCOLS] = {
	[NC_MARK] = { "", NULL, 0, 0, CTL_COLOR_NONE },
	[NC_ID] = { "ID", NULL, CTL_COL_RIGHT, 0, CTL_COLOR_NONE },
	[NC_WHEN] = { "WHEN", NULL, 0, 0, CTL_COLOR_NONE },
	[NC_TEXT] = { "WHAT", NULL, 0, 0, CTL_COLOR_NONE },
};

/* notification.list's params for one page (cursor NULL: the first). */
static struct cb_params *
notify_params(struct ctl_session *s, const char *cursor, void *arg)
{
	const struct notify_list *l = arg;
	struct cb_params *p = ctl_session_params(s);

	if (l->o->unread)
		ctl_param_bool(s, p, "unread_only", true);
	ctl_param_int(s, p, "limit", l->o->all ? NOTIFY_ALL_PAGE : NOTIFY_PAGE);
	ctl_param_str(s, p, "cursor", cursor);
	return p;
}

static int
notify_row(struct notify_list *l, const msgpack_object *n)
{
	char id[24], when[64], text[CTL_TEXT_BUF];
	const char *cells[NC_NCOLS];
	bool unread = !ctl_field_bool(n, "read");

	snprintf(id, sizeof id, "%" PRId64, ctl_field_int(n,
	    "notification_id"));
	ctl_unix_text(ctl_field_int(n, "created_at"), when, sizeof when);
	ctl_field_text(n, "text", text, sizeof text);
	cells[NC_MARK] = unread ? "*" : "";
	cells[NC_ID] = id;
	cells[NC_WHEN] = when;
	cells[NC_TEXT] = text;
	l->unread += unread;
	return ctl_table_add(l->t, cells);
}

static int
notify_page(struct ctl_session *s, const msgpack_object *rows, void *arg)
{
	struct notify_list *l = arg;

	for (uint32_t i = 0; i < rows->via.array.size; i++) {
		if (notify_row(l, &rows->via.array.ptr[i]) != 0)
			return ctl_error(s->ctx, CTL_EXIT_FAILED,
			    "out_of_memory", NULL, "out of memory");
	}
	return -1;
}

static void
notify_print(const struct notify_list *l, bool more)
{
	if (ctl_table_rows(l->t) == 0) {
		printf("no %snotifications\n", l->o->unread ? "unread " : "");
		return;
	}
	ctl_table_print(l->t, stdout);
	if (l->unread > 0)
		printf("%zu unread (marked '*'); mark them read with: "
		    "cashbookctl notifications read --all\n", l->unread);
	if (more)
		fprintf(stderr, "cashbookctl: older notifications follow; pass "
		    "--all for every one\n");
}

static enum ctl_retval
notifications_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct notify_opts o = {
		.unread = ctl_arg_flag(args, "unread"),
		.all = ctl_arg_flag(args, "all"),
	};
	struct notify_list l = { .o = &o };
	struct ctl_pages pg = {
		.method = CB_METHOD_NOTIFICATION_LIST, .key = "notifications",
		.params = notify_params, .page = notify_page, .arg = &l,
	};
	int rc;

	(void)self;
	pg.all = o.all;
	pg.json = ctx->json;
	if (!ctx->json &&
	    (l.t = ctl_table_new(notify_cols, NC_NCOLS)) == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	if ((rc = ctl_session_pages(ctx->session, &pg)) >= 0)
		goto out;
	if (l.t != NULL)
		notify_print(&l, pg.more);
	rc = CTL_EXIT_OK;
out:
	ctl_table_free(l.t);
	return rc;
}

/* ---- notifications read ---- */

/* The IDs given, each once, into ids (room for CB_NOTIFY_READ_MAX); -1
 * to go on, else the exit status (usage). */
static int
read_ids(struct ctl_ctx *ctx, const struct ctl_cmd *self, int nargs,
    char **argv, int64_t *ids, size_t *n)
{
	int64_t id;
	size_t j;
	int rc;

	*n = 0;
	for (int i = 1; i <= nargs; i++) {
		if ((rc = ctl_input_count(ctx, "notification ID", argv[i], 1,
		    INT64_MAX, &id)) >= 0)
			return rc;
		for (j = 0; j < *n && ids[j] != id; j++)
			;
		if (j < *n)
			continue;
		if (*n == CB_NOTIFY_READ_MAX)
			return ctl_usage(ctx, self, "%s: at most %d IDs at "
			    "once (or --all)", self->name, CB_NOTIFY_READ_MAX);
		ids[(*n)++] = id;
	}
	return -1;
}

static enum ctl_retval
notifications_read_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct notify_opts o = { .all = ctl_arg_flag(args, "all") };
	char **argv = args->argv;
	int nargs = args->nargs;
	struct ctl_session s;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	int64_t *ids = NULL, marked = 0;
	const char *method;
	size_t n = 0;
	int rc;

	memset(&s, 0, sizeof s);
	if ((nargs == 0) == !o.all)
		return ctl_usage(ctx, self, "%s needs the notifications' IDs, "
		    "or --all (not both)", self->name);
	if ((ids = calloc(CB_NOTIFY_READ_MAX, sizeof *ids)) == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	if ((rc = read_ids(ctx, self, nargs, argv, ids, &n)) >= 0 ||
	    (rc = ctl_session_begin(&s, ctx)) >= 0)
		goto out;
	method = o.all ? CB_METHOD_NOTIFICATION_READ_ALL :
	    CB_METHOD_NOTIFICATION_READ;
	p = ctl_session_params(&s);
	if (!o.all)
		ctl_param_int_array(&s, p, "ids", ids, n);
	if ((rc = ctl_session_call(&s, method, p, &reply)) >= 0)
		goto out;
	if (ctx->json) {
		rc = ctl_print_reply_json(reply);
		goto out;
	}
	if (cb_map_get_int(cb_reply_result(reply), "marked", &marked) !=
	    CB_OK) {
		rc = ctl_session_bad_answer(&s, method);
		goto out;
	}
	printf("marked %" PRId64 " notification%s read\n", marked,
	    marked == 1 ? "" : "s");
	rc = CTL_EXIT_OK;
out:
	free(ids);
	cb_reply_free(reply);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_optdef notifications_read_opts[] = {
	{ "all", 'a', NULL, CTL_T_TEXT, NULL, "every unread one", 0, 0,
	    NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

static const struct ctl_operand notifications_read_operands[] = {
	{ "ID", CTL_T_NUMBER, NULL, CTL_ARG_OPTIONAL | CTL_ARG_REPEAT },
	{ NULL, 0, NULL, 0 },
};

static const struct ctl_cmd ctl_cmd_notifications_read = {
	.name = "notifications read",
	.opts = notifications_read_opts,
	.operands = notifications_read_operands,
	.method = CB_METHOD_NOTIFICATION_READ,
	.summary = "mark notifications read",
	.help =
	    "Marks the notifications with these IDs read (at most 500 at "
	    "once), or\nwith --all every unread one, e.g.\n"
	    "  marked 2 notifications read\n"
	    "IDs that are not yours or already read are passed over, and "
	    "not counted.\nWith --json: {\"marked\":N}.\n",
	.flags = 0,
	.exec = notifications_read_exec,
};

static const struct ctl_cmd *const notifications_subcmds[] = {
	&ctl_cmd_notifications_read,
	NULL
};

static const struct ctl_optdef notifications_opts[] = {
	{ "unread", 0, NULL, CTL_T_TEXT, NULL, "only the unread ones", 0, 0,
	    NULL },
	{ "all", 'a', NULL, CTL_T_TEXT, NULL, "every one, however many (else "
	    "a note on standard error says when older ones follow)", 0, 0,
	    NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

const struct ctl_cmd ctl_cmd_notifications = {
	.name = "notifications",
	.opts = notifications_opts,
	.method = CB_METHOD_NOTIFICATION_LIST,
	.flags = CTL_CMD_SESSION,
	.summary = "what others did in your shared books and invitations",
	.help =
	    "Newest first, the latest 50: an ID, when, and what happened, "
	    "in the words\nof the time, e.g.\n"
	    "     ID  WHEN              WHAT\n"
	    "  *  12  2026-11-27 08:08  bob added 12.50 out to 'Household' "
	    "(entry 42)\n"
	    "Unread ones are marked '*'; listing them marks nothing read.\n"
	    "'notifications read ID...' or 'notifications read --all' marks "
	    "them read;\n'whoami' shows how many are unread.\n"
	    "With --json: {\"notifications\":[{\"notification_id\":N,"
	    "\"kind\":KIND,\n\"text\":TEXT,\"read\":BOOL,...}, ...],"
	    "\"next_cursor\":CURSOR|null} (with --all,\nevery page's in one "
	    "array).\n",
	.exec = notifications_exec,
	.subcmds = notifications_subcmds,
};
