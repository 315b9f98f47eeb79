/*
 * ctl_cmd_list.c -- cashbookctl's "list": a book's entries, newest first,
 * with filters, as an aligned table with the running balance, as CSV, or
 * as JSON.
 *
 * entry.list answers one page at a time; --all follows next_cursor to the
 * end (with the same filters, as the protocol asks; ctl_session_pages).
 * The table is built whole before it is printed, because its column
 * widths depend on every row; --json streams the pages instead.  Amounts
 * are printed with money_format in the book's currency, never through
 * floating point.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_limits.h"
#include "methods.h"

#include "ctl.h"
#include "ctl_book.h"
#include "ctl_fields.h"
#include "ctl_input.h"
#include "ctl_output.h"
#include "ctl_session.h"
#include "ctl_table.h"

/* Rows per page for --all when --limit is not given: the most a page may
 * have, for the fewest round trips. */
#define LIST_ALL_PAGE		CB_LIST_MAX_LIMIT

struct list_opts {
	const char *from, *to, *type, *category, *mode, *party, *tag;
	const char *search, *min, *max, *limit;
	bool trash, all, csv;
};

/* The filters as they are sent, and where the rows go. */
struct list_query {
	const struct list_opts *o;
	int64_t book_id;
	int64_t min, max;	/* 0: not given */
	int64_t limit;		/* 0: the daemon's default */
	const struct ctl_book *book;
	struct ctl_table *t;
};

enum {
	LC_ID, LC_DATE, LC_TIME, LC_TYPE, LC_IN, LC_OUT, LC_AMOUNT,
	LC_AMOUNT_MINOR, LC_BALANCE, LC_BALANCE_MINOR, LC_CURRENCY,
	LC_CATEGORY, LC_MODE, LC_PARTY, LC_NOTE, LC_REFERENCE, LC_TAGS,
	LC_NCOLS
};

/* Columns: people see IN and OUT apart; CSV has the type and the amount
 * (decimal and in minor units) and every text whole. */
static const struct ctl_col list_cols[LC_NCOLS] = {
	[LC_ID] = { "ID", "entry_id", CTL_COL_RIGHT, 0, CTL_COLOR_NONE },
	[LC_DATE] = { "DATE", "date", 0, 0, CTL_COLOR_NONE },
	[LC_TIME] = { "TIME", "time", CTL_COL_HIDE_EMPTY, 0, CTL_COLOR_NONE },
	[LC_TYPE] = { NULL, "type", 0, 0, CTL_COLOR_NONE },
	[LC_IN] = { "IN", NULL, CTL_COL_RIGHT, 0, CTL_COLOR_GREEN },
	[LC_OUT] = { "OUT", NULL, CTL_COL_RIGHT, 0, CTL_COLOR_RED },
	[LC_AMOUNT] = { NULL, "amount", 0, 0, CTL_COLOR_NONE },
	[LC_AMOUNT_MINOR] = { NULL, "amount_minor", 0, 0, CTL_COLOR_NONE },
	[LC_BALANCE] = { "BALANCE", "running_balance",
	    CTL_COL_RIGHT | CTL_COL_HIDE_EMPTY, 0, CTL_COLOR_NONE },
	[LC_BALANCE_MINOR] = { NULL, "running_balance_minor", 0, 0,
	    CTL_COLOR_NONE },
	[LC_CURRENCY] = { NULL, "currency", 0, 0, CTL_COLOR_NONE },
	[LC_CATEGORY] = { "CATEGORY", "category", CTL_COL_HIDE_EMPTY, 20,
	    CTL_COLOR_NONE },
	[LC_MODE] = { "MODE", "mode", CTL_COL_HIDE_EMPTY, 14, CTL_COLOR_NONE },
	[LC_PARTY] = { "PARTY", "party", CTL_COL_HIDE_EMPTY, 20,
	    CTL_COLOR_NONE },
	[LC_NOTE] = { "NOTE", "note", CTL_COL_HIDE_EMPTY, 40, CTL_COLOR_NONE },
	[LC_REFERENCE] = { NULL, "reference", 0, 0, CTL_COLOR_NONE },
	[LC_TAGS] = { "TAGS", "tags", CTL_COL_HIDE_EMPTY, 24, CTL_COLOR_NONE },
};

static void
list_opts_read(struct list_opts *o, const struct ctl_args *args)
{
	o->from = ctl_arg(args, "from");
	o->to = ctl_arg(args, "to");
	o->type = ctl_arg(args, "type");
	o->category = ctl_arg(args, "category");
	o->mode = ctl_arg(args, "mode");
	o->party = ctl_arg(args, "party");
	o->tag = ctl_arg(args, "tag");
	o->search = ctl_arg(args, "search");
	o->min = ctl_arg(args, "min");
	o->max = ctl_arg(args, "max");
	o->limit = ctl_arg(args, "limit");
	o->trash = ctl_arg_flag(args, "trash");
	o->all = ctl_arg_flag(args, "all");
	o->csv = ctl_arg_flag(args, "csv");
}

/* Check the options before anything is sent.  -1 to go on. */
static int
list_check(struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    const struct list_opts *o, int64_t *limit)
{
	int rc;

	if (o->csv && ctx->json)
		return ctl_usage(ctx, cmd, "%s: --csv and --json at once; "
		    "choose one", cmd->name);
	if ((rc = ctl_input_date(ctx, "--from", o->from)) >= 0 ||
	    (rc = ctl_input_date(ctx, "--to", o->to)) >= 0 ||
	    (rc = ctl_input_type(ctx, "--type", o->type)) >= 0 ||
	    (rc = ctl_input_count(ctx, "--limit", o->limit, 1,
	    CB_LIST_MAX_LIMIT, limit)) >= 0)
		return rc;
	if (o->min != NULL &&
	    (rc = ctl_input_amount_syntax(ctx, "--min", o->min)) >= 0)
		return rc;
	if (o->max != NULL &&
	    (rc = ctl_input_amount_syntax(ctx, "--max", o->max)) >= 0)
		return rc;
	return -1;
}

/* entry.list's params for one page (cursor NULL: the first). */
static struct cb_params *
list_params(struct ctl_session *s, const char *cursor, void *arg)
{
	const struct list_query *q = arg;
	const struct list_opts *o = q->o;
	struct cb_params *p = ctl_session_params(s);

	ctl_param_int(s, p, "book_id", q->book_id);
	ctl_param_str(s, p, "from", o->from);
	ctl_param_str(s, p, "to", o->to);
	ctl_param_str(s, p, "type", o->type);
	ctl_param_str(s, p, "category", o->category);
	ctl_param_str(s, p, "mode", o->mode);
	ctl_param_str(s, p, "party", o->party);
	ctl_param_str(s, p, "tag", o->tag);
	ctl_param_str(s, p, "q", o->search);
	if (q->min > 0)
		ctl_param_int(s, p, "amount_min", q->min);
	if (q->max > 0)
		ctl_param_int(s, p, "amount_max", q->max);
	if (o->trash)
		ctl_param_bool(s, p, "trash", true);
	if (q->limit > 0)
		ctl_param_int(s, p, "limit", q->limit);
	ctl_param_str(s, p, "cursor", cursor);
	return p;
}

static int
list_add_row(struct ctl_table *t, const msgpack_object *e,
    const struct ctl_book *book, struct ctl_entry_text *r)
{
	const char *cells[LC_NCOLS];
	bool out;

	ctl_entry_text(e, book->decimals, ";", r);
	out = strcmp(r->type, "out") == 0;
	cells[LC_ID] = r->id;
	cells[LC_DATE] = r->date;
	cells[LC_TIME] = r->time;
	cells[LC_TYPE] = r->type;
	cells[LC_IN] = out ? "" : r->amount;
	cells[LC_OUT] = out ? r->amount : "";
	cells[LC_AMOUNT] = r->amount;
	cells[LC_AMOUNT_MINOR] = r->minor;
	cells[LC_BALANCE] = r->balance;
	cells[LC_BALANCE_MINOR] = r->balance_minor;
	cells[LC_CURRENCY] = book->currency;
	cells[LC_CATEGORY] = r->category;
	cells[LC_MODE] = r->mode;
	cells[LC_PARTY] = r->party;
	cells[LC_NOTE] = r->note;
	cells[LC_REFERENCE] = r->reference;
	cells[LC_TAGS] = r->tags;
	return ctl_table_add(t, cells);
}

/* Add the page's entries to the table. */
static int
list_page(struct ctl_session *s, const msgpack_object *entries, void *arg)
{
	struct list_query *q = arg;
	struct ctl_entry_text *r;

	if ((r = malloc(sizeof *r)) == NULL)
		return ctl_error(s->ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	for (uint32_t i = 0; i < entries->via.array.size; i++) {
		if (list_add_row(q->t, &entries->via.array.ptr[i], q->book,
		    r) != 0) {
			free(r);
			return ctl_error(s->ctx, CTL_EXIT_FAILED,
			    "out_of_memory", NULL, "out of memory");
		}
	}
	free(r);
	return -1;
}

static void
list_print(const struct list_opts *o, struct ctl_table *t,
    const struct ctl_book *book, bool more)
{
	char name[CTL_BOOK_NAME_BUF];
	size_t n = ctl_table_rows(t);

	if (o->csv) {
		ctl_table_print_csv(t, stdout);
		return;
	}
	ctl_text_clean(book->name, name, sizeof name);
	if (n == 0)
		printf("no entries%s in '%s'\n", o->trash ? " in the trash" :
		    "", name);
	else {
		ctl_table_print(t, stdout);
		printf("%zu entr%s%s in '%s', amounts in %s\n", n,
		    n == 1 ? "y" : "ies", o->trash ? " in the trash" : "", name,
		    book->currency);
	}
	if (more)
		fprintf(stderr, "cashbookctl: more entries follow; pass --all "
		    "for every one, or --limit N\n");
}

static enum ctl_retval
list_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct list_opts o;
	struct list_query q = { .o = &o };
	struct ctl_pages pg = {
		.method = CB_METHOD_ENTRY_LIST, .key = "entries",
		.params = list_params, .page = list_page, .arg = &q,
	};
	struct ctl_session s;
	struct ctl_book book;
	int rc;

	memset(&s, 0, sizeof s);
	list_opts_read(&o, args);
	if ((rc = list_check(ctx, self, &o, &q.limit)) >= 0)
		return rc;
	if (o.all && q.limit == 0)
		q.limit = LIST_ALL_PAGE;
	if ((rc = ctl_book_open(&s, ctx, NULL, &book)) >= 0 ||
	    (o.min != NULL && (rc = ctl_input_amount(ctx, "--min", o.min,
	    &book, &q.min)) >= 0) ||
	    (o.max != NULL && (rc = ctl_input_amount(ctx, "--max", o.max,
	    &book, &q.max)) >= 0))
		goto out;
	q.book_id = book.id;
	q.book = &book;
	pg.all = o.all;
	pg.json = ctx->json;
	if (!ctx->json && (q.t = ctl_table_new(list_cols, LC_NCOLS)) == NULL) {
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
		goto out;
	}
	if ((rc = ctl_session_pages(&s, &pg)) >= 0)
		goto out;
	if (q.t != NULL)
		list_print(&o, q.t, &book, pg.more);
	rc = CTL_EXIT_OK;
out:
	ctl_table_free(q.t);
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_optdef list_opts[] = {
	{ "from", 0, "YYYY-MM-DD", CTL_T_DATE, NULL, "from that day on "
	    "(included)", 0, 0, NULL },
	{ "to", 0, "YYYY-MM-DD", CTL_T_DATE, NULL, "up to that day "
	    "(included)", 0, 0, NULL },
	CTL_INPUT_PERIOD_OPTS,
	{ "type", 0, "in|out", CTL_T_WORDS, "in out", "money in or out only",
	    0, 0, NULL },
	{ "category", 'c', "C", CTL_T_CATEGORY, NULL, "that category "
	    "(ignoring ASCII case)", 0, 0, NULL },
	{ "mode", 'm', "M", CTL_T_WORDS, "Cash Online Card UPI Bank Other",
	    "that mode", 0, 0, NULL },
	{ "party", 'p', "P", CTL_T_TEXT, NULL, "that party", 0, 0, NULL },
	{ "tag", 't', "T", CTL_T_TEXT, NULL, "that tag", 0, 0, NULL },
	{ "search", 0, "TEXT", CTL_T_TEXT, NULL, "TEXT in the note, "
	    "category, party or reference", 0, 0, NULL },
	{ "min", 0, "A", CTL_T_AMOUNT, NULL, "amounts from A (included)", 0,
	    0, NULL },
	{ "max", 0, "A", CTL_T_AMOUNT, NULL, "amounts up to A (included)", 0,
	    0, NULL },
	{ "trash", 0, NULL, CTL_T_TEXT, NULL, "the trash instead (no running "
	    "balance)", 0, 0, NULL },
	{ "limit", 'l', "N", CTL_T_NUMBER, NULL, "at most N entries (1 to "
	    "500; default 50), or with --all, N per request", 0, 0, NULL },
	{ "all", 'a', NULL, CTL_T_TEXT, NULL, "every entry, however many", 0,
	    0, NULL },
	{ "csv", 0, NULL, CTL_T_TEXT, NULL, "CSV with a header line (see "
	    "above)", 0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

const struct ctl_cmd ctl_cmd_list = {
	.name = "list",
	.opts = list_opts,
	.method = CB_METHOD_ENTRY_LIST,
	.summary = "list a book's entries, newest first",
	.help =
	    "Newest first (by date, then time; an entry without a time "
	    "before the\ntimed ones of its day), with the running balance: "
	    "the book's balance\njust after that entry, counting every live "
	    "entry whatever the filters.\n"
	    "--category, --mode, --party and --tag match that exact value "
	    "(ignoring\nASCII case).  --csv writes CSV (RFC 4180, CR LF line "
	    "ends) with a header\nline: entry_id, date, time, type, amount, "
	    "amount_minor, running_balance,\nrunning_balance_minor, currency, "
	    "category, mode, party, note, reference,\ntags (';' between "
	    "tags); amounts as decimals in the book's currency, and\nin minor "
	    "units (cents).\n"
	    "The table leaves out columns no entry has, and cuts long notes "
	    "with\n'…'.  Money in is green and money out red when standard "
	    "output is a\nterminal (never with NO_COLOR set).  When more "
	    "entries follow, a note on\nstandard error says so.\n"
	    "With --json: {\"entries\":[...],\"next_cursor\":CURSOR|null}, "
	    "amounts in\nminor units (with --all, every page's entries in "
	    "one array).\n",
	.exec = list_exec,
};
