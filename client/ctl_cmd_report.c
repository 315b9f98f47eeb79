/*
 * ctl_cmd_report.c -- cashbookctl's "report": a book's money in and out
 * summed by month, category, mode or party (report.summary), as an
 * aligned table with bars, as CSV, or as JSON.
 *
 * The bars are drawn only when standard output is a terminal (a pipe
 * gets the table without them): two per row, in and out, each scaled
 * with integer arithmetic to the largest of its own side (so a salary
 * does not flatten every expense to one cell).  They are green and red
 * when colour is on (ctl_table.h), and stand apart by column otherwise;
 * a zero amount is never coloured.  --percent adds each row's share of
 * the total in and of the total out, in tenths of a percent by integer
 * arithmetic; --sort amount orders the rows by the money they moved (in
 * plus out), largest first.  Amounts are printed with money_format,
 * never through floating point.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
	{ "tag", "TAG" },
};

#define REPORT_NGROUPS	(sizeof report_groups / sizeof report_groups[0])

/* "100.0%" and a NUL, with room for what the compiler cannot rule out. */
#define REPORT_PCT_BUF		24

struct report_opts {
	const char *by, *from, *to, *sort;
	bool csv, percent, monthly;
};

enum {
	RC_KEY, RC_IN, RC_IN_MINOR, RC_IN_PCT, RC_OUT, RC_OUT_MINOR,
	RC_OUT_PCT, RC_NET, RC_NET_MINOR, RC_COUNT, RC_CURRENCY, RC_IN_BAR,
	RC_OUT_BAR, RC_NCOLS
};

/* The scales of a report: the bars' (0: none) and the totals the
 * percentages are of (0: none shown). */
struct report_scale {
	int64_t in_bar, out_bar;
	int64_t in_total, out_total;
};

/* The columns; the key's header is set per report. */
static const struct ctl_col report_cols[RC_NCOLS] = {
	[RC_KEY] = { NULL, "key", 0, 30, CTL_COLOR_NONE },
	[RC_IN] = { "IN", "cash_in", CTL_COL_RIGHT | CTL_COL_PLAIN_ZERO, 0,
	    CTL_COLOR_GREEN },
	[RC_IN_MINOR] = { NULL, "cash_in_minor", 0, 0, CTL_COLOR_NONE },
	[RC_IN_PCT] = { "IN%", NULL, CTL_COL_RIGHT | CTL_COL_HIDE_EMPTY, 0,
	    CTL_COLOR_NONE },
	[RC_OUT] = { "OUT", "cash_out", CTL_COL_RIGHT | CTL_COL_PLAIN_ZERO, 0,
	    CTL_COLOR_RED },
	[RC_OUT_MINOR] = { NULL, "cash_out_minor", 0, 0, CTL_COLOR_NONE },
	[RC_OUT_PCT] = { "OUT%", NULL, CTL_COL_RIGHT | CTL_COL_HIDE_EMPTY, 0,
	    CTL_COLOR_NONE },
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

/* value's share of total as "12.3%" (tenths of a percent, rounded half
 * up, integer arithmetic) into buf; "" when total is 0 (not shown). */
static void
pct_text(int64_t value, int64_t total, char buf[REPORT_PCT_BUF])
{
	int64_t tenths;

	buf[0] = '\0';
	if (total <= 0 || value < 0)
		return;
	if (value > total)
		value = total;
	/* Scale both down until value * 1000 cannot overflow. */
	while (total > INT64_MAX / 1000) {
		total >>= 1;
		value >>= 1;
	}
	tenths = (value * 1000 + total / 2) / total;
	snprintf(buf, REPORT_PCT_BUF, "%" PRId64 ".%" PRId64 "%%",
	    tenths / 10, tenths % 10);
}

/* One row of figures (a group, or the total) into t. */
static int
report_row(struct ctl_table *t, const char *key, const msgpack_object *r,
    const struct ctl_book *book, const struct report_scale *sc)
{
	char in[CTL_AMOUNT_BUF], out[CTL_AMOUNT_BUF], net[CTL_AMOUNT_BUF];
	char in_minor[24], out_minor[24], net_minor[24], count[24];
	char in_bar[REPORT_BAR_BUF], out_bar[REPORT_BAR_BUF];
	char in_pct[REPORT_PCT_BUF], out_pct[REPORT_PCT_BUF];
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
	bar_text(ctl_field_int(r, "cash_in"), sc->in_bar, in_bar);
	bar_text(ctl_field_int(r, "cash_out"), sc->out_bar, out_bar);
	pct_text(ctl_field_int(r, "cash_in"), sc->in_total, in_pct);
	pct_text(ctl_field_int(r, "cash_out"), sc->out_total, out_pct);
	cells[RC_KEY] = key;
	cells[RC_IN] = in;
	cells[RC_IN_MINOR] = in_minor;
	cells[RC_IN_PCT] = in_pct;
	cells[RC_OUT] = out;
	cells[RC_OUT_MINOR] = out_minor;
	cells[RC_OUT_PCT] = out_pct;
	cells[RC_NET] = net;
	cells[RC_NET_MINOR] = net_minor;
	cells[RC_COUNT] = count;
	cells[RC_CURRENCY] = book->currency;
	cells[RC_IN_BAR] = in_bar;
	cells[RC_OUT_BAR] = out_bar;
	return ctl_table_add(t, cells);
}

/* The largest field ("cash_in" or "cash_out") of rows: the full scale
 * of that side's bars. */
static int64_t
bar_scale(const msgpack_object *rows, const char *field)
{
	int64_t max = 0;

	for (uint32_t i = 0; i < rows->via.array.size; i++) {
		const msgpack_object *r = &rows->via.array.ptr[i];

		if (ctl_field_int(r, field) > max)
			max = ctl_field_int(r, field);
	}
	return max;
}

/* The money a row moved, in plus out (each within 0..INT64_MAX, so the
 * sum fits unsigned). */
static uint64_t
row_moved(const msgpack_object *r)
{
	int64_t in = ctl_field_int(r, "cash_in");
	int64_t out = ctl_field_int(r, "cash_out");

	return (uint64_t)(in > 0 ? in : 0) + (uint64_t)(out > 0 ? out : 0);
}

/* --sort amount: the most money moved first; equal ones in the
 * daemon's order (their addresses, which follow it). */
static int
row_cmp_amount(const void *a, const void *b)
{
	const msgpack_object *ra = *(const msgpack_object *const *)a;
	const msgpack_object *rb = *(const msgpack_object *const *)b;
	uint64_t ma = row_moved(ra), mb = row_moved(rb);

	if (ma != mb)
		return ma > mb ? -1 : 1;
	return ra < rb ? -1 : ra > rb;
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
	const msgpack_object **order;
	struct ctl_table *t;
	struct report_scale sc = { 0 };
	int rc = 0;

	if (rows == NULL || rows->type != MSGPACK_OBJECT_ARRAY ||
	    total == NULL || total->type != MSGPACK_OBJECT_MAP)
		return -2;
	/* Bars only for a terminal; a scale of 0 draws none. */
	if (!o->csv && isatty(STDOUT_FILENO)) {
		sc.in_bar = bar_scale(rows, "cash_in");
		sc.out_bar = bar_scale(rows, "cash_out");
	}
	if (o->percent && !o->csv) {
		sc.in_total = ctl_field_int(total, "cash_in");
		sc.out_total = ctl_field_int(total, "cash_out");
	}
	if ((order = calloc(rows->via.array.size + 1, sizeof *order)) == NULL)
		return -1;
	for (uint32_t i = 0; i < rows->via.array.size; i++)
		order[i] = &rows->via.array.ptr[i];
	if (strcmp(o->sort, "amount") == 0)
		qsort(order, rows->via.array.size, sizeof *order,
		    row_cmp_amount);
	if ((t = ctl_table_new(cols, RC_NCOLS)) == NULL) {
		free(order);
		return -1;
	}
	for (uint32_t i = 0; rc == 0 && i < rows->via.array.size; i++) {
		const msgpack_object *r = order[i];

		ctl_field_text(r, "key", key, sizeof key);
		if (!o->csv && ctl_field_nil(r, "key"))
			snprintf(key, sizeof key, "(none)");
		rc = report_row(t, key, r, book, &sc);
	}
	free(order);
	sc.in_bar = sc.out_bar = 0;		/* no bar for the total */
	if (rc == 0 && !o->csv)
		rc = report_row(t, "(total)", total, book, &sc);
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

/* ---- --monthly: a GROUP x month table of nets, like hledger's
 * "balance -M".  report.summary by month gives the months that have
 * entries (within --from/--to); then one report.summary by GROUP per
 * month, over that month's days within --from/--to.  Each cell is the
 * group's net (in - out) that month, blank when it had no entries. */

/* The most months side by side: one request each. */
#define REPORT_MONTHS_MAX	24

struct report_month {
	char key[8];			/* "YYYY-MM" */
	struct cb_reply *reply;		/* report.summary by GROUP */
	const msgpack_object *rows;
	int64_t net;			/* the month's total net */
};

struct report_monthly {
	struct report_month m[REPORT_MONTHS_MAX];
	size_t nmonths;
	char **keys;			/* the groups' keys, NULL for none */
	size_t nkeys;
};

static int
month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Keys in report.summary's order: none last, then ASCII case-
 * insensitively, then bytewise. */
static int
key_cmp(const void *a, const void *b)
{
	const char *ka = *(char *const *)a, *kb = *(char *const *)b;
	int c;

	if (ka == NULL || kb == NULL)
		return (ka == NULL) - (kb == NULL);
	if ((c = strcasecmp(ka, kb)) != 0)
		return c;
	return strcmp(ka, kb);
}

static bool
key_same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* The row of rows whose key is key, or NULL. */
static const msgpack_object *
month_row(const msgpack_object *rows, const char *key)
{
	char k[CTL_TEXT_BUF];

	for (uint32_t i = 0; i < rows->via.array.size; i++) {
		const msgpack_object *r = &rows->via.array.ptr[i];

		if (ctl_field_nil(r, "key")) {
			if (key == NULL)
				return r;
			continue;
		}
		ctl_field_text(r, "key", k, sizeof k);
		if (key != NULL && strcmp(k, key) == 0)
			return r;
	}
	return NULL;
}

static void
monthly_free(struct report_monthly *rm)
{
	for (size_t i = 0; i < rm->nmonths; i++)
		cb_reply_free(rm->m[i].reply);
	for (size_t i = 0; i < rm->nkeys; i++)
		free(rm->keys[i]);
	free(rm->keys);
}

/* report.summary of the book by by, from..to (NULL: open); rows into
 * *rows.  -1, or the exit status (reported). */
static int
monthly_call(struct ctl_session *s, const struct ctl_book *book,
    const char *by, const char *from, const char *to,
    struct cb_reply **reply, const msgpack_object **rows)
{
	struct cb_params *p = ctl_session_params(s);
	int rc;

	ctl_param_int(s, p, "book_id", book->id);
	ctl_param_str(s, p, "by", by);
	ctl_param_str(s, p, "from", from);
	ctl_param_str(s, p, "to", to);
	rc = ctl_session_call(s, CB_METHOD_REPORT_SUMMARY, p, reply);
	cb_params_free(p);
	if (rc >= 0)
		return rc;
	*rows = cb_map_get(cb_reply_result(*reply), "rows");
	if (*rows == NULL || (*rows)->type != MSGPACK_OBJECT_ARRAY)
		return ctl_session_bad_answer(s, CB_METHOD_REPORT_SUMMARY);
	return -1;
}

/* One month's report by the group: its days within --from/--to. */
static int
monthly_month(struct ctl_session *s, const struct report_opts *o,
    const struct ctl_book *book, struct report_month *m)
{
	char from[16], to[16];
	int y = atoi(m->key), mo = atoi(m->key + 5);

	snprintf(from, sizeof from, "%.7s-01", m->key);
	snprintf(to, sizeof to, "%.7s-%02d", m->key, month_days(y, mo));
	if (o->from != NULL && strcmp(o->from, from) > 0)
		snprintf(from, sizeof from, "%s", o->from);
	if (o->to != NULL && strcmp(o->to, to) < 0)
		snprintf(to, sizeof to, "%s", o->to);
	return monthly_call(s, book, o->by, from, to, &m->reply, &m->rows);
}

/* The distinct keys of every month, sorted.  -1, or 0 out of memory. */
static int
monthly_keys(struct report_monthly *rm)
{
	size_t max = 0;
	char k[CTL_TEXT_BUF];

	for (size_t i = 0; i < rm->nmonths; i++)
		max += rm->m[i].rows->via.array.size;
	if ((rm->keys = calloc(max + 1, sizeof *rm->keys)) == NULL)
		return 0;
	for (size_t i = 0; i < rm->nmonths; i++) {
		const msgpack_object *rows = rm->m[i].rows;

		for (uint32_t j = 0; j < rows->via.array.size; j++) {
			const msgpack_object *r = &rows->via.array.ptr[j];
			char *key = NULL;
			size_t n;

			if (!ctl_field_nil(r, "key")) {
				ctl_field_text(r, "key", k, sizeof k);
				if ((key = strdup(k)) == NULL)
					return 0;
			}
			for (n = 0; n < rm->nkeys; n++)
				if (key_same(rm->keys[n], key))
					break;
			if (n < rm->nkeys)
				free(key);
			else
				rm->keys[rm->nkeys++] = key;
		}
	}
	qsort(rm->keys, rm->nkeys, sizeof *rm->keys, key_cmp);
	return -1;
}

/* The table: a key column, one per month, the total; 0, or -1 out of
 * memory. */
static int
monthly_print(const struct report_opts *o, const char *header,
    struct report_monthly *rm, const struct ctl_book *book)
{
	size_t ncols = rm->nmonths + 2;
	struct ctl_col *cols = calloc(ncols, sizeof *cols);
	const char **cells = calloc(ncols, sizeof *cells);
	char (*buf)[CTL_AMOUNT_BUF] = calloc(ncols, sizeof *buf);
	char name[CTL_BOOK_NAME_BUF];
	struct ctl_table *t = NULL;
	int64_t sum, all = 0;
	int rc = -1;

	if (cols == NULL || cells == NULL || buf == NULL)
		goto out;
	cols[0] = (struct ctl_col){ header, "key", 0, 30, CTL_COLOR_NONE };
	for (size_t i = 0; i < rm->nmonths; i++)
		cols[i + 1] = (struct ctl_col){ rm->m[i].key, rm->m[i].key,
		    CTL_COL_RIGHT, 0, CTL_COLOR_NONE };
	cols[ncols - 1] = (struct ctl_col){ "TOTAL", "total", CTL_COL_RIGHT,
	    0, CTL_COLOR_NONE };
	if ((t = ctl_table_new(cols, ncols)) == NULL)
		goto out;
	for (size_t k = 0; k < rm->nkeys; k++) {
		sum = 0;
		cells[0] = rm->keys[k] != NULL ? rm->keys[k] : o->csv ? "" :
		    "(none)";
		for (size_t i = 0; i < rm->nmonths; i++) {
			const msgpack_object *r = month_row(rm->m[i].rows,
			    rm->keys[k]);

			buf[i + 1][0] = '\0';
			if (r != NULL) {
				ctl_amount_text(ctl_field_int(r, "net"),
				    book->decimals, buf[i + 1], sizeof buf[0]);
				sum += ctl_field_int(r, "net");
			}
			cells[i + 1] = buf[i + 1];
		}
		ctl_amount_text(sum, book->decimals, buf[ncols - 1],
		    sizeof buf[0]);
		cells[ncols - 1] = buf[ncols - 1];
		if (ctl_table_add(t, cells) != 0)
			goto out;
	}
	if (!o->csv) {
		cells[0] = "(total)";
		for (size_t i = 0; i < rm->nmonths; i++) {
			ctl_amount_text(rm->m[i].net, book->decimals,
			    buf[i + 1], sizeof buf[0]);
			cells[i + 1] = buf[i + 1];
			all += rm->m[i].net;
		}
		ctl_amount_text(all, book->decimals, buf[ncols - 1],
		    sizeof buf[0]);
		cells[ncols - 1] = buf[ncols - 1];
		if (ctl_table_add(t, cells) != 0)
			goto out;
	}
	if (o->csv)
		ctl_table_print_csv(t, stdout);
	else {
		ctl_table_print(t, stdout);
		ctl_text_clean(book->name, name, sizeof name);
		printf("book '%s', net (in - out) per month, amounts in %s\n",
		    name, book->currency);
	}
	rc = 0;
out:
	ctl_table_free(t);
	free(buf);
	free(cells);
	free(cols);
	return rc;
}

static int
report_monthly(struct ctl_session *s, struct ctl_ctx *ctx,
    const struct report_opts *o, const char *header,
    const struct ctl_book *book)
{
	struct report_monthly rm = { .nmonths = 0 };
	struct cb_reply *months = NULL;
	const msgpack_object *rows;
	int rc;

	if ((rc = monthly_call(s, book, "month", o->from, o->to, &months,
	    &rows)) >= 0)
		goto out;
	if (rows->via.array.size > REPORT_MONTHS_MAX) {
		rc = ctl_error(ctx, CTL_EXIT_USAGE, "too_many_months",
		    "narrow the range with --from and --to", "%u months have "
		    "entries; --monthly shows at most %d side by side",
		    rows->via.array.size, REPORT_MONTHS_MAX);
		goto out;
	}
	for (uint32_t i = 0; i < rows->via.array.size; i++) {
		struct report_month *m = &rm.m[rm.nmonths];

		ctl_field_text(&rows->via.array.ptr[i], "key", m->key,
		    sizeof m->key);
		m->net = ctl_field_int(&rows->via.array.ptr[i], "net");
		if ((rc = monthly_month(s, o, book, m)) >= 0)
			goto out;
		rm.nmonths++;
	}
	if (monthly_keys(&rm) == 0 ||
	    monthly_print(o, header, &rm, book) != 0) {
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
		goto out;
	}
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(months);
	monthly_free(&rm);
	return rc;
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
		    "category, mode, party or tag", cmd->name, o->by);
	if (o->monthly && (ctx->json || strcmp(o->by, "month") == 0 ||
	    strcmp(o->sort, "key") != 0 || o->percent))
		return ctl_usage(ctx, cmd, "%s: --monthly is a table of "
		    "--by category, mode, party or tag per month, in the "
		    "groups' order; leave out %s", cmd->name, ctx->json ?
		    "--json (call report --json per month with --from and "
		    "--to)" : strcmp(o->by, "month") == 0 ? "--by month" :
		    o->percent ? "--percent" : "--sort");
	if (strcmp(o->sort, "key") != 0 && strcmp(o->sort, "amount") != 0)
		return ctl_usage(ctx, cmd, "%s: --sort '%s': give key (the "
		    "group's order, the default) or amount (largest first)",
		    cmd->name, o->sort);
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
		.sort = ctl_arg(args, "sort") != NULL ? ctl_arg(args, "sort") :
		    "key",
		.csv = ctl_arg_flag(args, "csv"),
		.percent = ctl_arg_flag(args, "percent"),
		.monthly = ctl_arg_flag(args, "monthly"),
	};
	struct ctl_col cols[RC_NCOLS];
	struct ctl_session s;
	struct ctl_book book;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	size_t group = 0;
	int rc;

	memset(&s, 0, sizeof s);
	if ((rc = report_check(ctx, self, &o, &group)) >= 0)
		return rc;
	if ((rc = ctl_book_open(&s, ctx, NULL, &book)) >= 0)
		goto out;
	if (o.monthly) {
		rc = report_monthly(&s, ctx, &o, report_groups[group].header,
		    &book);
		goto out;
	}
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
	{ "by", 0, "GROUP", CTL_T_WORDS, "month category mode party tag",
	    "month (default), category, mode, party or tag", 0, 0, NULL },
	{ "from", 0, "YYYY-MM-DD", CTL_T_DATE, NULL, "only entries dated from "
	    "that day on", 0, 0, NULL },
	{ "to", 0, "YYYY-MM-DD", CTL_T_DATE, NULL, "only entries dated up to "
	    "that day", 0, 0, NULL },
	CTL_INPUT_PERIOD_OPTS,
	{ "sort", 0, "key|amount", CTL_T_WORDS, "key amount", "the groups' "
	    "order (default) or the most money moved first", 0, 0, NULL },
	{ "percent", 0, NULL, CTL_T_TEXT, NULL, "each group's share of the "
	    "total in and of the total out", 0, 0, NULL },
	{ "monthly", 'M', NULL, CTL_T_TEXT, NULL, "one column per month: "
	    "each group's net that month (at most 24 months)", 0, 0, NULL },
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
	    "bars, in and\nout, each scaled to the largest figure of its own "
	    "side (green and\nred unless NO_COLOR is set; a zero is not "
	    "coloured); a pipe gets the\ntable without them.  --sort amount "
	    "puts the groups that moved the most\nmoney (in plus out) first; "
	    "--percent adds IN% and OUT%, each group's\nshare of the total "
	    "in and the total out (not in CSV or JSON).\n"
	    "--monthly (-M) makes a table of the groups by month, like "
	    "hledger's\nbalance -M: each cell the group's net (in - out) "
	    "that month, blank\nwithout entries, then the TOTAL column and "
	    "row (not with --json).\n"
	    "With --json: report.summary's result {\"rows\":[{\"key\",\n"
	    "\"cash_in\",\"cash_out\",\"net\",\"count\"}, ...],\"total\":"
	    "{...}}, in minor units.\n",
	.exec = report_exec,
};
