/*
 * ctl_cmd_report.c -- cashbookctl's "report": a book's money in and out
 * summed by month, category, mode or party (report.summary), as an
 * aligned table with bars, as CSV, or as JSON.
 *
 * The bars are drawn only when standard output is a terminal (a pipe
 * gets the table without them): two per row, in and out, each scaled
 * with integer arithmetic to the largest in or out of the report.  They
 * are green and red when colour is on (ctl_table.h), and stand apart by
 * column otherwise.  Amounts are printed with money_format, never through
 * floating point.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "methods.h"

#include "ctl.h"
#include "ctl_book.h"
#include "ctl_fields.h"
#include "ctl_input.h"
#include "ctl_output.h"
#include "ctl_session.h"
#include "ctl_table.h"

/* Cells of the longest bar. */
#define REPORT_BAR_WIDTH	20

/* Bytes of the longest bar ("█" is 3 bytes) and its NUL. */
#define REPORT_BAR_BUF		(3 * REPORT_BAR_WIDTH + 1)

/* What report.summary groups by, and the key column's header. */
static const struct {
	const char *by, *header;
} report_groups[] = {
	{ "month", "MONTH" },
	{ "category", "CATEGORY" },
	{ "mode", "MODE" },
	{ "party", "PARTY" },
};

#define REPORT_NGROUPS	(sizeof report_groups / sizeof report_groups[0])

struct report_opts {
	const char *by, *from, *to;
	bool csv;
};

enum {
	RC_KEY, RC_IN, RC_IN_MINOR, RC_OUT, RC_OUT_MINOR, RC_NET,
	RC_NET_MINOR, RC_COUNT, RC_CURRENCY, RC_IN_BAR, RC_OUT_BAR, RC_NCOLS
};

/* The columns; the key's header is set per report. */
static const struct ctl_col report_cols[RC_NCOLS] = {
	[RC_KEY] = { NULL, "key", 0, 30, CTL_COLOR_NONE },
	[RC_IN] = { "IN", "cash_in", CTL_COL_RIGHT, 0, CTL_COLOR_GREEN },
	[RC_IN_MINOR] = { NULL, "cash_in_minor", 0, 0, CTL_COLOR_NONE },
	[RC_OUT] = { "OUT", "cash_out", CTL_COL_RIGHT, 0, CTL_COLOR_RED },
	[RC_OUT_MINOR] = { NULL, "cash_out_minor", 0, 0, CTL_COLOR_NONE },
	[RC_NET] = { "NET", "net", CTL_COL_RIGHT, 0, CTL_COLOR_NONE },
	[RC_NET_MINOR] = { NULL, "net_minor", 0, 0, CTL_COLOR_NONE },
	[RC_COUNT] = { "ENTRIES", "count", CTL_COL_RIGHT, 0, CTL_COLOR_NONE },
	[RC_CURRENCY] = { NULL, "currency", 0, 0, CTL_COLOR_NONE },
	[RC_IN_BAR] = { "in", NULL, CTL_COL_HIDE_EMPTY, 0, CTL_COLOR_GREEN },
	[RC_OUT_BAR] = { "out", NULL, CTL_COL_HIDE_EMPTY, 0, CTL_COLOR_RED },
};

/* A bar of value on the scale max, as text into buf ("" when bars are
 * off: max 0). */
static void
bar_text(int64_t value, int64_t max, char buf[REPORT_BAR_BUF])
{
	int len = ctl_bar_len(value, max, REPORT_BAR_WIDTH);

	buf[0] = '\0';
	for (int i = 0; i < len; i++)
		memcpy(buf + 3 * i, "\xe2\x96\x88", 4);
}

/* One row of figures (a group, or the total) into t. */
static int
report_row(struct ctl_table *t, const char *key, const msgpack_object *r,
    const struct ctl_book *book, int64_t bar_max)
{
	char in[CTL_AMOUNT_BUF], out[CTL_AMOUNT_BUF], net[CTL_AMOUNT_BUF];
	char in_minor[24], out_minor[24], net_minor[24], count[24];
	char in_bar[REPORT_BAR_BUF], out_bar[REPORT_BAR_BUF];
	const char *cells[RC_NCOLS];

	ctl_field_amount(r, "cash_in", book->decimals, in, sizeof in);
	ctl_field_amount(r, "cash_out", book->decimals, out, sizeof out);
	ctl_field_amount(r, "net", book->decimals, net, sizeof net);
	snprintf(in_minor, sizeof in_minor, "%" PRId64,
	    ctl_field_int(r, "cash_in"));
	snprintf(out_minor, sizeof out_minor, "%" PRId64,
	    ctl_field_int(r, "cash_out"));
	snprintf(net_minor, sizeof net_minor, "%" PRId64,
	    ctl_field_int(r, "net"));
	snprintf(count, sizeof count, "%" PRId64, ctl_field_int(r, "count"));
	bar_text(ctl_field_int(r, "cash_in"), bar_max, in_bar);
	bar_text(ctl_field_int(r, "cash_out"), bar_max, out_bar);
	cells[RC_KEY] = key;
	cells[RC_IN] = in;
	cells[RC_IN_MINOR] = in_minor;
	cells[RC_OUT] = out;
	cells[RC_OUT_MINOR] = out_minor;
	cells[RC_NET] = net;
	cells[RC_NET_MINOR] = net_minor;
	cells[RC_COUNT] = count;
	cells[RC_CURRENCY] = book->currency;
	cells[RC_IN_BAR] = in_bar;
	cells[RC_OUT_BAR] = out_bar;
	return ctl_table_add(t, cells);
}

/* The largest cash_in or cash_out of rows: the bars' full scale. */
static int64_t
bar_scale(const msgpack_object *rows)
{
	int64_t max = 0;

	for (uint32_t i = 0; i < rows->via.array.size; i++) {
		const msgpack_object *r = &rows->via.array.ptr[i];

		if (ctl_field_int(r, "cash_in") > max)
			max = ctl_field_int(r, "cash_in");
		if (ctl_field_int(r, "cash_out") > max)
			max = ctl_field_int(r, "cash_out");
	}
	return max;
}

/* The table of rows (and, for people, the total), then printed.  0, -1
 * when out of memory, -2 when the result lacks rows or total. */
static int
report_print(const struct report_opts *o,
    struct ctl_col *cols, const msgpack_object *res,
    const struct ctl_book *book)
{
	const msgpack_object *rows = cb_map_get(res, "rows");
	const msgpack_object *total = cb_map_get(res, "total");
	char key[CTL_TEXT_BUF], name[CTL_BOOK_NAME_BUF];
	struct ctl_table *t;
	int64_t max;
	int rc = 0;

	if (rows == NULL || rows->type != MSGPACK_OBJECT_ARRAY ||
	    total == NULL || total->type != MSGPACK_OBJECT_MAP)
		return -2;
	/* Bars only for a terminal; max 0 draws none. */
	max = !o->csv && isatty(STDOUT_FILENO) ? bar_scale(rows) : 0;
	if ((t = ctl_table_new(cols, RC_NCOLS)) == NULL)
		return -1;
	for (uint32_t i = 0; rc == 0 && i < rows->via.array.size; i++) {
		const msgpack_object *r = &rows->via.array.ptr[i];

		ctl_field_text(r, "key", key, sizeof key);
		if (!o->csv && ctl_field_nil(r, "key"))
			snprintf(key, sizeof key, "(none)");
		rc = report_row(t, key, r, book, max);
	}
	if (rc == 0 && !o->csv)
		rc = report_row(t, "(total)", total, book, 0);
	if (rc != 0) {
		ctl_table_free(t);
		return -1;
	}
	if (o->csv)
		ctl_table_print_csv(t, stdout);
	else {
		ctl_table_print(t, stdout);
		ctl_text_clean(book->name, name, sizeof name);
		printf("book '%s', amounts in %s\n", name, book->currency);
	}
	ctl_table_free(t);
	return 0;
}

/* The index of --by's value in report_groups; -1 to go on, else the exit
 * status. */
static int
report_check(struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    const struct report_opts *o, size_t *group)
{
	int rc;

	if (o->csv && ctx->json)
		return ctl_usage(ctx, cmd, "%s: --csv and --json at once; "
		    "choose one", cmd->name);
	for (*group = 0; *group < REPORT_NGROUPS; (*group)++) {
		if (strcmp(report_groups[*group].by, o->by) == 0)
			break;
	}
	if (*group == REPORT_NGROUPS)
		return ctl_usage(ctx, cmd, "%s: --by '%s': give month, "
		    "category, mode or party", cmd->name, o->by);
	if ((rc = ctl_input_date(ctx, "--from", o->from)) >= 0 ||
	    (rc = ctl_input_date(ctx, "--to", o->to)) >= 0)
		return rc;
	return -1;
}

static enum ctl_retval
report_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct report_opts o = {
		.by = ctl_arg(args, "by") != NULL ? ctl_arg(args, "by") :
		    "month",
		.from = ctl_arg(args, "from"),
		.to = ctl_arg(args, "to"),
		.csv = ctl_arg_flag(args, "csv"),
	};
	struct ctl_col cols[RC_NCOLS];
	struct ctl_session s;
	struct ctl_book book;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	size_t group;
	int rc;

	memset(&s, 0, sizeof s);
	if ((rc = report_check(ctx, self, &o, &group)) >= 0)
		return rc;
	if ((rc = ctl_book_open(&s, ctx, NULL, &book)) >= 0)
		goto out;
	p = ctl_session_params(&s);
	ctl_param_int(&s, p, "book_id", book.id);
	ctl_param_str(&s, p, "by", o.by);
	ctl_param_str(&s, p, "from", o.from);
	ctl_param_str(&s, p, "to", o.to);
	if ((rc = ctl_session_call(&s, CB_METHOD_REPORT_SUMMARY, p,
	    &reply)) >= 0)
		goto out;
	if (ctx->json) {
		ctl_print_json_line(cb_reply_result(reply));
		rc = CTL_EXIT_OK;
		goto out;
	}
	memcpy(cols, report_cols, sizeof cols);
	cols[RC_KEY].header = report_groups[group].header;
	switch (report_print(&o, cols, cb_reply_result(reply), &book)) {
	case 0:
		rc = CTL_EXIT_OK;
		break;
	case -2:
		rc = ctl_session_bad_answer(&s, CB_METHOD_REPORT_SUMMARY);
		break;
	default:
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
		break;
	}
out:
	cb_reply_free(reply);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_optdef report_opts[] = {
	{ "by", 0, "GROUP", CTL_T_WORDS, "month category mode party",
	    "month (default), category, mode or party", 0, 0, NULL },
	{ "from", 0, "YYYY-MM-DD", CTL_T_DATE, NULL, "only entries dated from "
	    "that day on", 0, 0, NULL },
	{ "to", 0, "YYYY-MM-DD", CTL_T_DATE, NULL, "only entries dated up to "
	    "that day", 0, 0, NULL },
	CTL_INPUT_PERIOD_OPTS,
	{ "csv", 0, NULL, CTL_T_TEXT, NULL, "CSV (RFC 4180, CR LF line ends): "
	    "key, cash_in, cash_in_minor, cash_out, cash_out_minor, net, "
	    "net_minor, count, currency; one line per group, no total line; "
	    "an empty key is '(none)'", 0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

const struct ctl_cmd ctl_cmd_report = {
	.name = "report",
	.opts = report_opts,
	.method = CB_METHOD_REPORT_SUMMARY,
	.summary = "sum a book's money in and out by month, category, ...",
	.help =
	    "One line per month (oldest first), category, mode or party (in "
	    "ASCII\norder, entries without one last as '(none)'), with money "
	    "in, money out,\nthe net and the number of entries, then the "
	    "total.  Live entries only.\n"
	    "When standard output is a terminal, each line also gets two "
	    "bars, in and\nout, scaled to the largest figure (green and red "
	    "unless NO_COLOR is set);\na pipe gets the table without them.\n"
	    "With --json: report.summary's result {\"rows\":[{\"key\",\n"
	    "\"cash_in\",\"cash_out\",\"net\",\"count\"}, ...],\"total\":"
	    "{...}}, in minor units.\n",
	.exec = report_exec,
};
