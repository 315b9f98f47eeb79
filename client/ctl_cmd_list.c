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
/* The furthest --page N: each page before it is one request. */
#define LIST_PAGE_MAX		10000

/* The filters that may be repeated, any value matching (entry.list takes
 * a list), in the order of list_filter_names. */
enum { LF_CATEGORY, LF_MODE, LF_PARTY, LF_TAG, LF_COUNT };
static const char *const list_filter_names[LF_COUNT] = { "category", "mode",
    "party", "tag" };

struct list_opts {
	const char *from, *to, *type;
	const char *filter[LF_COUNT][CB_FILTER_VALUES_MAX];
	size_t nfilter[LF_COUNT];
	const char *search, *min, *max, *limit, *cursor, *page;
	bool trash, all, csv;
};

/* The filters as they are sent, and where the rows go. */
struct list_query {
	const struct list_opts *o;
	bool skip;		/* a page before --page N: rows not kept */
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
	for (int i = 0; i < LF_COUNT; i++)
		o->nfilter[i] = ctl_arg_list(args, list_filter_names[i],
		    o->filter[i], CB_FILTER_VALUES_MAX);
	o->cursor = ctl_arg(args, "cursor");
	o->page = ctl_arg(args, "page");
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
    const struct list_opts *o, int64_t *limit, int64_t *page)
{
	int rc;

	if (o->csv && ctx->json)
		return ctl_usage(ctx, cmd, "%s: --csv and --json at once; "
		    "choose one", cmd->name);
	if (o->all && (o->page != NULL || o->cursor != NULL))
		return ctl_usage(ctx, cmd, "%s: --all lists every page; leave "
		    "out --%s", cmd->name, o->page != NULL ? "page" : "cursor");
	if (o->page != NULL && o->cursor != NULL)
		return ctl_usage(ctx, cmd, "%s: --page and --cursor at once; "
		    "--page N counts from the first page, --cursor goes on "
		    "from where a page ended: choose one", cmd->name);
	if (o->cursor != NULL && (o->cursor[0] == '\0' ||
	    strlen(o->cursor) > CB_CURSOR_MAX))
		return ctl_usage(ctx, cmd, "%s: --cursor takes the cursor a "
		    "page ended with (as printed after it, or next_cursor in "
		    "--json)", cmd->name);
	if ((rc = ctl_input_count(ctx, "--page", o->page, 1,
	    LIST_PAGE_MAX, page)) >= 0)
		return rc;
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
	for (int i = 0; i < LF_COUNT; i++) {
		if (o->nfilter[i] == 1)
			ctl_param_str(s, p, list_filter_names[i],
			    o->filter[i][0]);
		else if (o->nfilter[i] > 1)
			ctl_param_str_array(s, p, list_filter_names[i],
			    o->filter[i], o->nfilter[i]);
	}
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

	if (q->skip)
		return -1;
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

/* One word of a command line as a POSIX shell reads it back. */
static void
list_shell_word(FILE *f, const char *w)
{
	if (w[0] != '\0' && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_./:@%+=,-") == strlen(w)) {
		fputs(w, f);
		return;
	}
	fputc('\'', f);
	for (; *w != '\0'; w++) {
		if (*w == '\'')
			fputs("'\\''", f);
		else
			fputc(*w, f);
	}
	fputc('\'', f);
}

/* The command that lists the next page: this one's book and options
 * (in the order given, --page and --cursor left out) and --cursor. */
static void
list_print_next(const struct ctl_ctx *ctx, const struct ctl_args *args,
    const char *next)
{
	const struct ctl_optdef *d;

	fputs("cashbookctl: more entries follow; the next page: cashbookctl",
	    stderr);
	if (ctx->book != NULL) {
		fputs(" -b ", stderr);
		list_shell_word(stderr, ctx->book);
	}
	fputs(" list", stderr);
	for (int k = 0; k < args->ngiven; k++) {
		d = &args->opts[args->given_opt[k]];
		if (strcmp(d->name, "page") == 0 ||
		    strcmp(d->name, "cursor") == 0)
			continue;
		fprintf(stderr, " --%s", d->name);
		if (d->arg != NULL) {
			fputc(' ', stderr);
			list_shell_word(stderr, args->given[k]);
		}
	}
	fputs(" --cursor ", stderr);
	list_shell_word(stderr, next);
	fputs("\n(or --all for every entry)\n", stderr);
}

static void
list_print(const struct list_opts *o, struct ctl_table *t,
    const struct ctl_book *book)
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
	int64_t page = 1;
	int rc;

	memset(&s, 0, sizeof s);
	list_opts_read(&o, args);
	if ((rc = list_check(ctx, self, &o, &q.limit, &page)) >= 0)
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
	pg.start = o.cursor;
	if (!ctx->json && (q.t = ctl_table_new(list_cols, LC_NCOLS)) == NULL) {
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
		goto out;
	}
	/* --page N: the N - 1 pages before it are walked, not kept. */
	for (int64_t i = 1; i < page; i++) {
		q.skip = true;
		if ((rc = ctl_session_pages(&s, &pg)) >= 0)
			goto out;
		if (!pg.more) {
			rc = ctl_error(ctx, CTL_EXIT_FAILED, "not_found",
			    "a smaller --page, or a larger --limit", "page %"
			    PRId64 " is past the end: the listing has %" PRId64
			    " page%s of this size", page, i, i == 1 ? "" :
			    "s");
			goto out;
		}
		pg.start = pg.next;
	}
	q.skip = false;
	pg.json = ctx->json;
	if ((rc = ctl_session_pages(&s, &pg)) >= 0)
		goto out;
	if (q.t != NULL) {
		list_print(&o, q.t, &book);
		if (pg.more && !o.csv)	/* CSV stays whole on its own */
			list_print_next(ctx, args, pg.next);
	}
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
	    "(ignoring ASCII case; repeat for any of several)", CTL_OPT_MULTI,
	    CB_FILTER_VALUES_MAX, NULL },
	{ "mode", 'm', "M", CTL_T_WORDS, "Cash Online Card UPI Bank Other",
	    "that mode (repeat for any of several)", CTL_OPT_MULTI,
	    CB_FILTER_VALUES_MAX, NULL },
	{ "party", 'p', "P", CTL_T_TEXT, NULL, "that party (repeat for any "
	    "of several)", CTL_OPT_MULTI, CB_FILTER_VALUES_MAX, NULL },
	{ "tag", 't', "T", CTL_T_TEXT, NULL, "that tag (repeat for any of "
	    "several)", CTL_OPT_MULTI, CB_FILTER_VALUES_MAX, NULL },
	{ "search", 0, "TEXT", CTL_T_TEXT, NULL, "TEXT in the note, "
	    "category, party, reference or a tag", 0, 0, NULL },
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
	{ "page", 0, "N", CTL_T_NUMBER, NULL, "the Nth page of --limit "
	    "entries (1 is the first)", 0, 0, NULL },
	{ "cursor", 0, "C", CTL_T_TEXT, NULL, "go on from where a page ended "
	    "(with the same filters)", 0, 0, NULL },
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
	    "(ignoring\nASCII case); given more than once, any of the values "
	    "(--category Food\n--category Groceries), and every other filter "
	    "too.  --csv writes CSV (RFC 4180, CR LF line "
	    "ends) with a header\nline: entry_id, date, time, type, amount, "
	    "amount_minor, running_balance,\nrunning_balance_minor, currency, "
	    "category, mode, party, note, reference,\ntags (';' between "
	    "tags); amounts as decimals in the book's currency, and\nin minor "
	    "units (cents).\n"
	    "The table leaves out columns no entry has, and cuts long notes "
	    "with\n'…'.  Money in is green and money out red when standard "
	    "output is a\nterminal (never with NO_COLOR set).  When more "
	    "entries follow, standard\nerror says so and gives the command "
	    "for the next page (the same one\nwith --cursor C); --page N "
	    "lists the Nth page of --limit entries.\n"
	    "With --json: {\"entries\":[...],\"next_cursor\":CURSOR|null}, "
	    "amounts in\nminor units (with --all, every page's entries in "
	    "one array).\n",
	.exec = list_exec,
};
