/*
 * ctl_cmd_export.c -- cashbookctl's "export": every live entry of a book,
 * oldest first, as CSV (what "cashbookctl import" reads back), as JSON
 * Lines, or as a plain-text journal that hledger and ledger-cli read.
 *
 * Streamed: entry.list pages (order "asc", the most a page may hold) are
 * written out as they come and freed (ctl_session_pages), so memory stays
 * flat whatever the book's size.  -o FILE goes through a temporary file
 * renamed into place at the end (ctl_file.h): a failed export never
 * leaves a half file under that name.  Amounts are written with
 * money_format in the book's currency, never through floating point.
 *
 * Owns the output while it runs; never prints anything but the data, the
 * closing line (with -o) and errors.
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
#include "ctl_file.h"
#include "ctl_input.h"
#include "ctl_output.h"
#include "ctl_session.h"
#include "ctl_table.h"

/* Rows per entry.list request: the most a page may have. */
#define EXPORT_PAGE		CB_LIST_MAX_LIMIT

/* A ledger account: "expenses:" and a category, or "assets:" and a book
 * name, with its NUL. */
#define EXPORT_ACCOUNT_BUF	(16 + CTL_BOOK_NAME_BUF)

/* The account of entries without a category (or with one that is only
 * spaces). */
#define EXPORT_NO_CATEGORY	"Uncategorized"

struct export;

/* One output format: what comes before the entries, and each entry. */
struct export_format {
	const char *name;
	void (*begin)(struct export *x);
	void (*entry)(struct export *x, const msgpack_object *e);
};

struct export {
	const struct export_format *fmt;
	const struct ctl_book *book;
	const char *from, *to;
	FILE *f;
	struct ctl_entry_text *r;	/* the current entry as text */
	char assets[EXPORT_ACCOUNT_BUF];	/* ledger: the book's account */
	int64_t count;
};

/* ---- CSV: the columns "cashbookctl import" maps by name ---- */

enum {
	XC_DATE, XC_TIME, XC_TYPE, XC_AMOUNT, XC_CATEGORY, XC_MODE, XC_PARTY,
	XC_NOTE, XC_REFERENCE, XC_TAGS, XC_NCOLS
};

/* The wire field names, amount as a decimal in the book's currency, tags
 * joined with ','. */
static const struct ctl_col export_csv_cols[XC_NCOLS] = {
	[XC_DATE] = { NULL, "date", 0, 0, CTL_COLOR_NONE },
	[XC_TIME] = { NULL, "time", 0, 0, CTL_COLOR_NONE },
	[XC_TYPE] = { NULL, "type", 0, 0, CTL_COLOR_NONE },
	[XC_AMOUNT] = { NULL, "amount", 0, 0, CTL_COLOR_NONE },
	[XC_CATEGORY] = { NULL, "category", 0, 0, CTL_COLOR_NONE },
	[XC_MODE] = { NULL, "mode", 0, 0, CTL_COLOR_NONE },
	[XC_PARTY] = { NULL, "party", 0, 0, CTL_COLOR_NONE },
	[XC_NOTE] = { NULL, "note", 0, 0, CTL_COLOR_NONE },
	[XC_REFERENCE] = { NULL, "reference", 0, 0, CTL_COLOR_NONE },
	[XC_TAGS] = { NULL, "tags", 0, 0, CTL_COLOR_NONE },
};

static void
csv_begin(struct export *x)
{
	ctl_csv_line(x->f, export_csv_cols, XC_NCOLS, NULL);
}

static void
csv_entry(struct export *x, const msgpack_object *e)
{
	struct ctl_entry_text *r = x->r;
	const char *cells[XC_NCOLS];

	ctl_entry_text(e, x->book->decimals, ",", r);
	cells[XC_DATE] = r->date;
	cells[XC_TIME] = r->time;
	cells[XC_TYPE] = r->type;
	cells[XC_AMOUNT] = r->amount;
	cells[XC_CATEGORY] = r->category;
	cells[XC_MODE] = r->mode;
	cells[XC_PARTY] = r->party;
	cells[XC_NOTE] = r->note;
	cells[XC_REFERENCE] = r->reference;
	cells[XC_TAGS] = r->tags;
	ctl_csv_line(x->f, export_csv_cols, XC_NCOLS, cells);
}

/* ---- JSON Lines: the entry object, with the book's currency ---- */

static void
json_begin(struct export *x)
{
	(void)x;
}

/* {"currency":..., "decimals":..., then the entry object's own keys}. */
static void
json_entry(struct export *x, const msgpack_object *e)
{
	fputs("{\"currency\":", x->f);
	ctl_json_write_string(x->f, x->book->currency,
	    strlen(x->book->currency));
	fprintf(x->f, ",\"decimals\":%d", x->book->decimals);
	for (uint32_t i = 0; e->type == MSGPACK_OBJECT_MAP &&
	    i < e->via.map.size; i++) {
		fputc(',', x->f);
		(void)ctl_json_write(x->f, &e->via.map.ptr[i].key);
		fputc(':', x->f);
		(void)ctl_json_write(x->f, &e->via.map.ptr[i].val);
	}
	fputs("}\n", x->f);
}

/* ---- ledger: a journal for hledger and ledger-cli ---- */

/*
 * s[0..slen) as one line of a journal into buf: runs of spaces and tabs
 * (and newlines) become one space, so no "  " or tab ends an account
 * name or starts a comment early, and the ends are trimmed; ';' becomes
 * '_' (it starts a comment).  In names (accounts, tags) ':' becomes '_'
 * too (it would split an account in two); a tag name has no spaces or
 * ',' either ('_' for both).
 */
enum ledger_text { LEDGER_PAYEE, LEDGER_ACCOUNT, LEDGER_TAG };

static void
ledger_clean(const char *s, size_t slen, enum ledger_text kind, char *buf,
    size_t len)
{
	static const char *const special[] = {
		[LEDGER_PAYEE] = ";", [LEDGER_ACCOUNT] = ":;",
		[LEDGER_TAG] = ":;,",
	};
	size_t n = 0;
	bool space = false;

	for (size_t i = 0; i < slen; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = n > 0;
			continue;
		}
		if (n + 1 + space >= len)
			break;
		if (space)
			buf[n++] = kind == LEDGER_TAG ? '_' : ' ';
		space = false;
		buf[n++] = strchr(special[kind], c) != NULL ? '_' : c;
	}
	buf[n] = '\0';
}

/* prefix:NAME, NAME cleaned; EXPORT_NO_CATEGORY when it is empty. */
static void
ledger_account(const char *prefix, const char *name, char *buf, size_t len)
{
	char clean[CTL_BOOK_NAME_BUF];

	ledger_clean(name, strlen(name), LEDGER_ACCOUNT, clean, sizeof clean);
	snprintf(buf, len, "%s:%s", prefix, clean[0] != '\0' ? clean :
	    EXPORT_NO_CATEGORY);
}

static void
ledger_begin(struct export *x)
{
	char name[CTL_BOOK_NAME_BUF];

	ledger_account("assets", x->book->name, x->assets, sizeof x->assets);
	ctl_text_clean(x->book->name, name, sizeof name);
	fprintf(x->f, "; cashbook book '%s', amounts in %s (%d decimals), "
	    "oldest first\n", name, x->book->currency, x->book->decimals);
	if (x->from != NULL || x->to != NULL)
		fprintf(x->f, "; entries from %s to %s\n",
		    x->from != NULL ? x->from : "the first",
		    x->to != NULL ? x->to : "the last");
}

/* The note, one comment line for each of its lines. */
static void
ledger_note(FILE *f, const char *note)
{
	while (*note != '\0') {
		size_t n = strcspn(note, "\n");

		fprintf(f, "    ; %.*s\n", (int)n, note);
		note += n + (note[n] == '\n');
	}
}

/* The tags, "; NAME:" one to a line: the form both tools read. */
static void
ledger_tags(FILE *f, const msgpack_object *e)
{
	const msgpack_object *tags = cb_map_get(e, "tags");
	char raw[CB_ENTRY_TAG_MAX + 1], name[CB_ENTRY_TAG_MAX + 1];

	for (uint32_t i = 0; tags != NULL && tags->type ==
	    MSGPACK_OBJECT_ARRAY && i < tags->via.array.size; i++) {
		const msgpack_object *t = &tags->via.array.ptr[i];
		size_t n;

		if (t->type != MSGPACK_OBJECT_STR)
			continue;
		n = t->via.str.size < sizeof raw - 1 ? t->via.str.size :
		    sizeof raw - 1;
		memcpy(raw, t->via.str.ptr, n);
		raw[n] = '\0';
		ledger_clean(raw, strlen(raw), LEDGER_TAG, name, sizeof name);
		if (name[0] != '\0')
			fprintf(f, "    ; %s:\n", name);
	}
}

/*
 * DATE * (ENTRY_ID) PAYEE, then the note, time, mode, reference and tags
 * as comments, then two postings: money in moves from income:CATEGORY to
 * the book's asset account, money out from it to expenses:CATEGORY.  The
 * entry id as the code also keeps a payee that starts with '(' or '*'
 * from being read as one.
 */
static void
ledger_entry(struct export *x, const msgpack_object *e)
{
	struct ctl_entry_text *r = x->r;
	char payee[CTL_TEXT_BUF], account[EXPORT_ACCOUNT_BUF];
	char neg[CTL_AMOUNT_BUF];
	bool in;

	ctl_entry_text(e, x->book->decimals, ",", r);
	in = strcmp(r->type, "in") == 0;
	if (r->party[0] != '\0')
		ledger_clean(r->party, strlen(r->party), LEDGER_PAYEE, payee,
		    sizeof payee);
	else
		ledger_clean(r->note, strcspn(r->note, "\n"), LEDGER_PAYEE,
		    payee, sizeof payee);
	ledger_account(in ? "income" : "expenses", r->category, account,
	    sizeof account);
	ctl_amount_text(-ctl_field_int(e, "amount"), x->book->decimals, neg,
	    sizeof neg);
	fprintf(x->f, "\n%s * (%s)%s%s\n", r->date, r->id,
	    payee[0] != '\0' ? " " : "", payee);
	ledger_note(x->f, r->note);
	if (r->time[0] != '\0')
		fprintf(x->f, "    ; time: %s\n", r->time);
	if (r->mode[0] != '\0')
		fprintf(x->f, "    ; mode: %s\n", r->mode);
	if (r->reference[0] != '\0')
		fprintf(x->f, "    ; reference: %s\n", r->reference);
	ledger_tags(x->f, e);
	fprintf(x->f, "    %s  %s %s\n", in ? x->assets : account, r->amount,
	    x->book->currency);
	fprintf(x->f, "    %s  %s %s\n", in ? account : x->assets, neg,
	    x->book->currency);
}

static const struct export_format export_formats[] = {
	{ "csv", csv_begin, csv_entry },
	{ "json", json_begin, json_entry },
	{ "ledger", ledger_begin, ledger_entry },
};

#define EXPORT_NFORMATS	(sizeof export_formats / sizeof export_formats[0])

/* ---- the command ---- */

struct export_opts {
	const char *book, *format, *from, *to, *output;
};

/* The format called name, or NULL. */
static const struct export_format *
export_format_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < EXPORT_NFORMATS; i++) {
		if (strcmp(export_formats[i].name, name) == 0)
			return &export_formats[i];
	}
	return NULL;
}

/* Check the options before anything is sent.  -1 to go on. */
static int
export_check(struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    const struct export_opts *o, const struct export_format **fmt)
{
	int rc;

	if (o->format == NULL)
		return ctl_usage(ctx, cmd, "%s: --format is missing: csv, json "
		    "or ledger", cmd->name);
	if ((*fmt = export_format_find(o->format)) == NULL)
		return ctl_usage(ctx, cmd, "%s: unknown format '%s': csv, json "
		    "or ledger", cmd->name, o->format);
	if (o->output != NULL && o->output[0] == '\0')
		return ctl_usage(ctx, cmd, "%s: -o needs a file name (or '-' "
		    "for standard output)", cmd->name);
	if ((rc = ctl_input_date(ctx, "--from", o->from)) >= 0 ||
	    (rc = ctl_input_date(ctx, "--to", o->to)) >= 0)
		return rc;
	return -1;
}

/* entry.list's params for one page (cursor NULL: the first). */
static struct cb_params *
export_params(struct ctl_session *s, const char *cursor, void *arg)
{
	const struct export *x = arg;
	struct cb_params *p = ctl_session_params(s);

	ctl_param_int(s, p, "book_id", x->book->id);
	ctl_param_str(s, p, "from", x->from);
	ctl_param_str(s, p, "to", x->to);
	ctl_param_str(s, p, "order", "asc");
	ctl_param_int(s, p, "limit", EXPORT_PAGE);
	ctl_param_str(s, p, "cursor", cursor);
	return p;
}

/* Write the page's entries. */
static int
export_page(struct ctl_session *s, const msgpack_object *entries, void *arg)
{
	struct export *x = arg;

	for (uint32_t i = 0; i < entries->via.array.size; i++) {
		x->fmt->entry(x, &entries->via.array.ptr[i]);
		x->count++;
	}
	if (ferror(x->f))
		return ctl_error(s->ctx, CTL_EXIT_FAILED, "write_failed",
		    "check the free space where the export goes",
		    "cannot write the export: the write failed");
	return -1;
}

/* Write every page to x->f.  -1 when done, else the exit status. */
static int
export_stream(struct ctl_session *s, struct export *x)
{
	struct ctl_pages pg = {
		.method = CB_METHOD_ENTRY_LIST, .key = "entries", .all = true,
		.params = export_params, .page = export_page, .arg = x,
	};

	x->fmt->begin(x);
	return ctl_session_pages(s, &pg);
}

/* With -o FILE: what was written where. */
static void
export_done(struct ctl_ctx *ctx, const struct export *x, const char *path)
{
	char label[CTL_BOOK_LABEL_BUF], file[CTL_TEXT_BUF];

	if (ctx->json) {
		printf("{\"exported\":%" PRId64 ",\"format\":\"%s\",\"file\":",
		    x->count, x->fmt->name);
		ctl_json_write_string(stdout, path, strlen(path));
		printf("}\n");
		return;
	}
	ctl_book_label(x->book, label, sizeof label);
	ctl_text_clean(path, file, sizeof file);
	printf("exported %" PRId64 " entr%s of '%s' to %s (%s)\n", x->count,
	    x->count == 1 ? "y" : "ies", label, file, x->fmt->name);
}

/* The export into a file: a temporary one, renamed at the end. */
static int
export_to_file(struct ctl_session *s, struct export *x, const char *path)
{
	struct ctl_file_out out;
	char err[PATH_MAX + 256];
	int rc;

	if (ctl_file_out_open(&out, path, "export", err, sizeof err) != 0)
		return ctl_error(s->ctx, CTL_EXIT_FAILED, "write_failed",
		    "check that the directory exists and that you may write "
		    "in it", "%s", err);
	x->f = out.f;
	if ((rc = export_stream(s, x)) >= 0) {
		ctl_file_out_abort(&out);
		return rc;
	}
	if (ctl_file_out_commit(&out, "export", err, sizeof err) != 0)
		return ctl_error(s->ctx, CTL_EXIT_FAILED, "write_failed",
		    "nothing was written under that name; check the free "
		    "space there", "%s", err);
	export_done(s->ctx, x, path);
	return CTL_EXIT_OK;
}

/* The export on standard output. */
static int
export_to_stdout(struct ctl_session *s, struct export *x)
{
	int rc;

	x->f = stdout;
	if ((rc = export_stream(s, x)) >= 0)
		return rc;
	if (fflush(stdout) != 0 || ferror(stdout))
		return ctl_error(s->ctx, CTL_EXIT_FAILED, "write_failed", NULL,
		    "cannot write the export to standard output");
	return CTL_EXIT_OK;
}

/* The options as given (the book is the chosen one: -b/--book). */
static void
export_opts_get(const struct ctl_args *args, struct export_opts *o)
{
	o->book = NULL;
	o->format = ctl_arg(args, "format");
	o->from = ctl_arg(args, "from");
	o->to = ctl_arg(args, "to");
	o->output = ctl_arg(args, "output");
}

/* Refuse bad options before connecting: a usage error is one even
 * without cashbookd. */
static enum ctl_retval
export_check_args(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	const struct export_format *fmt;
	struct export_opts o;
	int rc;

	export_opts_get(args, &o);
	rc = export_check(ctx, self, &o, &fmt);
	return rc >= 0 ? rc : CTL_EXIT_OK;
}

static enum ctl_retval
export_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct export_opts o;
	struct export x = { 0 };
	int rc;

	(void)self;
	export_opts_get(args, &o);
	/* Checked already (export_check_args). */
	x.fmt = export_format_find(o.format);
	if ((x.r = malloc(sizeof *x.r)) == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	x.book = ctx->book_found;
	x.from = o.from;
	x.to = o.to;
	if (o.output == NULL || strcmp(o.output, "-") == 0)
		rc = export_to_stdout(ctx->session, &x);
	else
		rc = export_to_file(ctx->session, &x, o.output);
	free(x.r);
	return rc;
}

static const struct ctl_optdef export_opts_def[] = {
	{ "format", 0, "csv|json|ledger", CTL_T_WORDS, "csv json ledger",
	    "what to write (needed): see above", 0, 0, NULL },
	{ "from", 0, "YYYY-MM-DD", CTL_T_DATE, NULL, "only the entries of "
	    "this date or later", 0, 0, NULL },
	{ "to", 0, "YYYY-MM-DD", CTL_T_DATE, NULL, "only the entries of this "
	    "date or earlier", 0, 0, NULL },
	{ "output", 'o', "FILE", CTL_T_FILE, NULL, "write FILE (mode 0600) "
	    "instead of standard output ('-': standard output)", 0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

const struct ctl_cmd ctl_cmd_export = {
	.name = "export",
	.opts = export_opts_def,
	.method = CB_METHOD_ENTRY_LIST,
	.flags = CTL_CMD_BOOK,
	.check = export_check_args,
	.summary = "write every entry of a book, oldest first, for other "
	    "programs",
	.help =
	    "Every live entry (not the trash), oldest first (by date, then "
	    "time; an\nentry without a time first in its day), fetched and "
	    "written a page at a\ntime, so a book of any size takes little "
	    "memory.\n"
	    "  --format csv       CSV (RFC 4180, CR LF line ends) with the "
	    "header\n"
	    "                     date,time,type,amount,category,mode,party,"
	    "note,\n"
	    "                     reference,tags: amount as a decimal in the "
	    "book's\n"
	    "                     currency, type in or out, tags joined with "
	    "','; what\n"
	    "                     'cashbookctl import' reads back as it is\n"
	    "  --format json      JSON Lines: one entry object a line "
	    "(amounts in minor\n"
	    "                     units), with the book's \"currency\" and "
	    "\"decimals\"\n"
	    "  --format ledger    a journal for hledger and ledger-cli: one "
	    "transaction\n"
	    "                     per entry, code the entry's ID, payee the "
	    "party (else\n"
	    "                     the note's first line); money in moves "
	    "from\n"
	    "                     income:CATEGORY to assets:BOOK, money out "
	    "from\n"
	    "                     assets:BOOK to expenses:CATEGORY (\""
	    EXPORT_NO_CATEGORY "\"\n"
	    "                     without one); the note, time, mode and "
	    "reference as\n"
	    "                     comments, each tag as '; TAG:'.  ';' in "
	    "the payee, and\n"
	    "                     ':' and ';' in account and tag names, "
	    "become '_'\n"
	    "With -o FILE the export goes to a temporary file beside FILE, "
	    "renamed to\nFILE only once complete, so a failed export leaves "
	    "FILE as it was.\n"
	    "With -o, a last line says how many entries went where (with "
	    "--json:\n"
	    "{\"exported\":N,\"format\":F,\"file\":PATH}).\n",
	.exec = export_exec,
};
