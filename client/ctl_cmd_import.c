/*
 * ctl_cmd_import.c -- cashbookctl import: a bank's CSV export into a book.
 *
 * The life of an import:
 *   options (a saved profile under them) -> open the file -> find the book
 *   -> read and map EVERY row (ctl_csv.h, ctl_import.h) -> keys
 *   -> --dry-run: print the first rows and the counts, write nothing
 *   -> else entry.add_batch in batches, a progress bar on a terminal
 *   -> "imported N entries (M already there) into 'Book'; balance X"
 * A bad row stops the import before anything is sent.  Each entry carries
 * an idempotency key made from the book, its fields and its occurrence
 * among identical rows, so importing a file again (after Ctrl-C, a lost
 * connection, a restarted daemon, or by mistake) adds only what is not
 * there yet.
 *
 * Profiles ("--save-profile NAME", "--profile NAME") are small key=value
 * files in the configuration directory's import-profiles/ (ctl_file.h:
 * 0600, written atomically).  Like the other ctl_cmd_*.c files, nothing
 * here talks msgpack-RPC itself or prints an error itself.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cb_limits.h"
#include "methods.h"
#include "money.h"

#include "ctl.h"
#include "ctl_book.h"
#include "ctl_csv.h"
#include "ctl_fields.h"
#include "ctl_file.h"
#include "ctl_import.h"
#include "ctl_input.h"
#include "ctl_output.h"
#include "ctl_session.h"
#include "ctl_table.h"

/* Rows a dry run shows. */
#define PREVIEW_ROWS		10
/* Rows of a bank's preamble --skip-rows may skip. */
#define SKIP_ROWS_MAX		1000
/* The directory of profiles, in the configuration directory. */
#define PROFILE_DIR		"import-profiles"
/* The largest profile file read. */
#define PROFILE_BUF		8192
/* Width of the progress bar, in characters. */
#define PROGRESS_WIDTH		30

struct import_opts {
	const char *book, *format, *map, *date_format, *type_from;
	const char *skip_rows, *delimiter, *profile, *save_profile;
	bool decimal_comma, dry_run, list_profiles;
};

/* The options' values, checked. */
struct import_how {
	enum imp_type_from type_from;
	char delim;		/* 0: detect */
	int64_t skip;		/* rows before the header */
};

/* A record as read, kept until the date format is known. */
struct raw_row {
	size_t line, n;
	char *block;		/* the fields, each NUL-terminated */
};

/* Everything read from the file. */
struct import_file {
	char *header_block;
	const char *header[CB_CSV_FIELDS_MAX];
	size_t ncols;
	struct raw_row *rows;
	size_t nrows, cap;
	struct imp_entry *entries;	/* nrows, once mapped */
	size_t nmapped;
};

static void
import_file_free(struct import_file *f)
{
	for (size_t i = 0; i < f->nrows; i++)
		free(f->rows[i].block);
	for (size_t i = 0; i < f->nmapped; i++)
		imp_entry_free(&f->entries[i]);
	free(f->rows);
	free(f->entries);
	free(f->header_block);
}

/* The fields of row as one block; NULL when out of memory. */
static char *
block_new(const struct ctl_csv_row *row)
{
	size_t len = 0, off = 0;
	char *b;

	for (size_t i = 0; i < row->n; i++)
		len += strlen(row->fields[i]) + 1;
	if ((b = malloc(len > 0 ? len : 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < row->n; i++) {
		size_t l = strlen(row->fields[i]) + 1;

		memcpy(b + off, row->fields[i], l);
		off += l;
	}
	return b;
}

/* Point fields[0..n) at block's fields. */
static void
block_fields(char *block, size_t n, const char **fields)
{
	for (size_t i = 0; i < n; i++) {
		fields[i] = block;
		block += strlen(block) + 1;
	}
}

/* ---- options and profiles ---- */

/* A profile's path into buf; -1 with why in err. */
static int
profile_path(const char *name, char *buf, size_t len, char *err,
    size_t errlen)
{
	char rel[sizeof PROFILE_DIR + IMP_PROFILE_NAME_MAX + 1];

	snprintf(rel, sizeof rel, PROFILE_DIR "/%s", name);
	return ctl_file_path(rel, "import profile", buf, len, err, errlen);
}

/* Fill the options not given from profile name.  -1, else the exit
 * status. */
static int
profile_load(struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    struct import_opts *o, struct imp_profile *p)
{
	char path[4096], err[512], *text = malloc(PROFILE_BUF);
	int rc;

	if (!imp_profile_name_valid(o->profile)) {
		free(text);
		return ctl_usage(ctx, cmd, "%s: --profile '%s': a name is 1 to "
		    "%d letters, digits, '.', '_' or '-'", cmd->name,
		    o->profile, IMP_PROFILE_NAME_MAX);
	}
	if (text == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	if (profile_path(o->profile, path, sizeof path, err, sizeof err) != 0)
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "profile", NULL, "%s", err);
	else if ((rc = ctl_file_read(path, text, PROFILE_BUF,
	    "import profile", err, sizeof err)) == CTL_FILE_NONE)
		rc = ctl_error(ctx, CTL_EXIT_USAGE, "usage", "'cashbookctl "
		    "import --list-profiles' shows the saved ones; save one "
		    "with --save-profile NAME", "no import profile '%s'",
		    o->profile);
	else if (rc == CTL_FILE_ERROR)
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "profile", NULL, "%s", err);
	else if (imp_profile_parse(text, p, err, sizeof err) != 0)
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "profile", "save it again "
		    "with --save-profile, or fix the file", "import profile "
		    "'%s' (%s): %s", o->profile, path, err);
	else
		rc = -1;
	free(text);
	if (rc >= 0)
		return rc;
	/* What the command line gives wins over the profile. */
	if (o->map == NULL)
		o->map = p->map;
	if (o->date_format == NULL)
		o->date_format = p->date_format;
	if (o->delimiter == NULL)
		o->delimiter = p->delimiter;
	if (o->type_from == NULL)
		o->type_from = p->type_from;
	if (o->skip_rows == NULL)
		o->skip_rows = p->skip_rows;
	if (o->book == NULL && ctx->book == NULL)
		o->book = p->book;
	o->decimal_comma |= p->decimal_comma;
	return -1;
}

/* Save the options as profile o->save_profile.  -1, else the status. */
static int
profile_save(struct ctl_ctx *ctx, const struct import_opts *o)
{
	struct imp_profile p = {
		.map = (char *)o->map,
		.date_format = (char *)o->date_format,
		.delimiter = (char *)o->delimiter,
		.type_from = (char *)o->type_from,
		.skip_rows = (char *)o->skip_rows,
		.book = (char *)(o->book != NULL ? o->book : ctx->book),
		.decimal_comma = o->decimal_comma,
	};
	char path[4096], err[512], *text;
	int rc = -1;

	if (profile_path(o->save_profile, path, sizeof path, err,
	    sizeof err) != 0)
		return ctl_error(ctx, CTL_EXIT_FAILED, "profile", NULL, "%s",
		    err);
	if ((text = imp_profile_format(&p)) == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	if (ctl_file_write(path, text, strlen(text), "import profile", err,
	    sizeof err) != 0)
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "profile", NULL, "%s", err);
	else if (!ctx->json)
		fprintf(stderr, "saved import profile '%s'; next time: "
		    "cashbookctl import --profile %s FILE\n", o->save_profile,
		    o->save_profile);
	free(text);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* --list-profiles: the saved profiles' names, one a line (JSON: an
 * array). */
static int
profile_list(struct ctl_ctx *ctx)
{
	char dir[4096], err[512];
	char *names[256];
	size_t n = 0;
	struct dirent *d;
	DIR *dp;

	if (ctl_file_path(PROFILE_DIR, "import profiles", dir, sizeof dir,
	    err, sizeof err) != 0)
		return ctl_error(ctx, CTL_EXIT_FAILED, "profile", NULL, "%s",
		    err);
	if ((dp = opendir(dir)) == NULL && errno != ENOENT)
		return ctl_error(ctx, CTL_EXIT_FAILED, "profile", NULL,
		    "cannot read %s: %s", dir, strerror(errno));
	while (dp != NULL && n < sizeof names / sizeof names[0] &&
	    (d = readdir(dp)) != NULL) {
		if (!imp_profile_name_valid(d->d_name))
			continue;	/* ".", "..", temporary files */
		if ((names[n] = strdup(d->d_name)) != NULL)
			n++;
	}
	if (dp != NULL)
		closedir(dp);
	qsort(names, n, sizeof names[0], name_cmp);
	if (ctx->json)
		printf("{\"profiles\":[");
	for (size_t i = 0; i < n; i++) {
		if (ctx->json) {
			printf("%s", i > 0 ? "," : "");
			ctl_json_write_string(stdout, names[i],
			    strlen(names[i]));
		} else
			printf("%s\n", names[i]);
		free(names[i]);
	}
	if (ctx->json)
		printf("]}\n");
	else if (n == 0)
		fprintf(stderr, "no saved import profiles; save one with "
		    "'cashbookctl import --save-profile NAME ...'\n");
	return CTL_EXIT_OK;
}

/* Check the options' values.  -1, else the exit status. */
static int
opts_check(struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    const struct import_opts *o, struct import_how *how)
{
	enum imp_type_from *type_from = &how->type_from;
	char *delim = &how->delim;
	int64_t *skip = &how->skip;

	if (o->format != NULL && strcmp(o->format, "csv") != 0)
		return ctl_usage(ctx, cmd, "%s: --format '%s': only csv is "
		    "known", cmd->name, o->format);
	*type_from = IMP_TYPE_AUTO;
	if (o->type_from != NULL && strcmp(o->type_from, "sign") == 0)
		*type_from = IMP_TYPE_SIGN;
	else if (o->type_from != NULL && strcmp(o->type_from, "column") == 0)
		*type_from = IMP_TYPE_COLUMN;
	else if (o->type_from != NULL)
		return ctl_usage(ctx, cmd, "%s: --type-from '%s': give sign "
		    "(a negative amount is money out) or column (a type "
		    "column says in or out)", cmd->name, o->type_from);
	*delim = 0;
	if (o->delimiter != NULL) {
		if (strcmp(o->delimiter, "tab") == 0 ||
		    strcmp(o->delimiter, "\t") == 0)
			*delim = '\t';
		else if (strcmp(o->delimiter, ",") == 0 ||
		    strcmp(o->delimiter, ";") == 0)
			*delim = o->delimiter[0];
		else
			return ctl_usage(ctx, cmd, "%s: --delimiter '%s': give "
			    "',', ';' or tab", cmd->name, o->delimiter);
	}
	if (o->date_format != NULL && !imp_date_format_valid(o->date_format))
		return ctl_usage(ctx, cmd, "%s: --date-format '%s': give a "
		    "format with a year (%%Y or %%y), a month (%%m or %%b) and "
		    "a day (%%d), e.g. '%%d.%%m.%%Y'", cmd->name,
		    o->date_format);
	if (o->save_profile != NULL && !imp_profile_name_valid(o->save_profile))
		return ctl_usage(ctx, cmd, "%s: --save-profile '%s': a name is "
		    "1 to %d letters, digits, '.', '_' or '-'", cmd->name,
		    o->save_profile, IMP_PROFILE_NAME_MAX);
	if (o->save_profile != NULL && o->map != NULL &&
	    strchr(o->map, '\n') != NULL)
		return ctl_usage(ctx, cmd, "%s: --map has a line break; a "
		    "profile cannot keep it", cmd->name);
	*skip = 0;
	return ctl_input_count(ctx, "--skip-rows", o->skip_rows, 0,
	    SKIP_ROWS_MAX, skip);
}

/* ---- reading the file ---- */

/* Report a refused file (nothing was written); CTL_EXIT_DATA. */
static int __attribute__((format(printf, 4, 5)))
data_fail(struct ctl_ctx *ctx, const char *path, const char *hint,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	return ctl_error(ctx, CTL_EXIT_DATA, "bad_file", hint != NULL ? hint :
	    "fix the file (or the options) and run the import again; nothing "
	    "was imported", "%s: %s", path, msg);
}

/* The header: skipped preamble, then one record.  -1, else the status. */
static int
read_header(struct ctl_ctx *ctx, const char *path, struct ctl_csv *c,
    int64_t skip, struct import_file *f)
{
	struct ctl_csv_row row;
	char err[512];
	size_t line;
	int rc;

	for (int64_t i = 0; i < skip; i++) {
		if ((rc = ctl_csv_skip(c, &line, err, sizeof err)) ==
		    CTL_CSV_ERROR)
			return data_fail(ctx, path, NULL, "%s", err);
		if (rc == CTL_CSV_END)
			return data_fail(ctx, path, NULL, "the file ends within "
			    "the %" PRId64 " rows --skip-rows skips", skip);
	}
	if ((rc = ctl_csv_next(c, &row, err, sizeof err)) == CTL_CSV_ERROR)
		return data_fail(ctx, path, NULL, "%s", err);
	if (rc == CTL_CSV_END)
		return data_fail(ctx, path, "export the bank statement again; "
		    "it should start with a header row", "the file is empty");
	if ((f->header_block = block_new(&row)) == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	f->ncols = row.n;
	block_fields(f->header_block, row.n, f->header);
	if (row.n == 1 && strpbrk(f->header[0], ",;\t") != NULL)
		return data_fail(ctx, path, "give the file's delimiter with "
		    "--delimiter", "line %zu: the header is one column, '%s': "
		    "is the delimiter another one?", row.line, f->header[0]);
	return -1;
}

/* Every record after the header into f->rows.  -1, else the status. */
static int
read_rows(struct ctl_ctx *ctx, const char *path, struct ctl_csv *c,
    struct import_file *f)
{
	struct ctl_csv_row row;
	char err[512];
	int rc;

	while ((rc = ctl_csv_next(c, &row, err, sizeof err)) == CTL_CSV_ROW) {
		if (f->nrows == CB_IMPORT_ROWS_MAX)
			return data_fail(ctx, path, "split the file and import "
			    "each part", "more than %d rows", CB_IMPORT_ROWS_MAX);
		if (f->nrows == f->cap) {
			size_t cap = f->cap == 0 ? 256 : f->cap * 2;
			struct raw_row *r = realloc(f->rows, cap * sizeof *r);

			if (r == NULL)
				return ctl_error(ctx, CTL_EXIT_FAILED,
				    "out_of_memory", NULL, "out of memory");
			f->rows = r;
			f->cap = cap;
		}
		f->rows[f->nrows].line = row.line;
		f->rows[f->nrows].n = row.n;
		if ((f->rows[f->nrows].block = block_new(&row)) == NULL)
			return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory",
			    NULL, "out of memory");
		f->nrows++;
	}
	if (rc == CTL_CSV_ERROR)
		return data_fail(ctx, path, NULL, "%s", err);
	if (f->nrows == 0)
		return data_fail(ctx, path, NULL, "only a header, no rows; "
		    "nothing to import");
	return -1;
}

/* The date format: given, or detected over every row's date.  -1, else
 * the status. */
static int
date_format(struct ctl_ctx *ctx, const char *path, const struct imp_map *m,
    struct import_file *f, const char **fmt)
{
	const char **dates, *fields[CB_CSV_FIELDS_MAX];
	char err[768];
	size_t bad;
	int col = m->col[IMP_DATE];

	if (*fmt != NULL)
		return -1;
	if ((dates = calloc(f->nrows, sizeof *dates)) == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	for (size_t i = 0; i < f->nrows; i++) {
		if (f->rows[i].n != f->ncols) {	/* reported by the mapping */
			free(dates);
			return -1;
		}
		block_fields(f->rows[i].block, f->rows[i].n, fields);
		dates[i] = fields[col];
	}
	*fmt = imp_date_detect(dates, f->nrows, &bad, err, sizeof err);
	free(dates);
	if (*fmt == NULL)
		return data_fail(ctx, path, "give the dates' format with "
		    "--date-format", "line %zu, column '%s': %s",
		    f->rows[bad].line, f->header[col], err);
	return -1;
}

/* Map every row into f->entries.  -1, else the status. */
static int
map_rows(struct ctl_ctx *ctx, const char *path, const struct imp_map *m,
    const struct imp_read *r, struct import_file *f)
{
	const char *fields[CB_CSV_FIELDS_MAX];
	char err[1024];

	if ((f->entries = calloc(f->nrows, sizeof *f->entries)) == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	for (size_t i = 0; i < f->nrows; i++) {
		int rc;

		block_fields(f->rows[i].block, f->rows[i].n, fields);
		rc = imp_row_map(m, r, fields, f->rows[i].n, f->rows[i].line,
		    &f->entries[i], err, sizeof err);
		f->nmapped++;
		if (rc != 0)
			return data_fail(ctx, path, NULL, "%s", err);
	}
	return -1;
}

/* ---- dry run ---- */

static const struct ctl_col preview_cols[] = {
	{ "LINE", NULL, CTL_COL_RIGHT, 0, CTL_COLOR_NONE },
	{ "DATE", NULL, 0, 0, CTL_COLOR_NONE },
	{ "TIME", NULL, CTL_COL_HIDE_EMPTY, 0, CTL_COLOR_NONE },
	{ "TYPE", NULL, 0, 0, CTL_COLOR_NONE },
	{ "AMOUNT", NULL, CTL_COL_RIGHT, 0, CTL_COLOR_NONE },
	{ "CATEGORY", NULL, CTL_COL_HIDE_EMPTY, 20, CTL_COLOR_NONE },
	{ "PARTY", NULL, CTL_COL_HIDE_EMPTY, 24, CTL_COLOR_NONE },
	{ "NOTE", NULL, CTL_COL_HIDE_EMPTY, 30, CTL_COLOR_NONE },
};

#define PREVIEW_NCOLS	(sizeof preview_cols / sizeof preview_cols[0])

/* The sums of money in and out of entries e[0..n). */
static void
sums(const struct imp_entry *e, size_t n, int64_t *in, int64_t *out)
{
	*in = *out = 0;
	for (size_t i = 0; i < n; i++) {
		if (e[i].out)
			(void)money_add(*out, e[i].amount, out);
		else
			(void)money_add(*in, e[i].amount, in);
	}
}

static int
dry_run_print(struct ctl_ctx *ctx, const struct ctl_book *book,
    const struct import_file *f)
{
	char line[32], amt[CTL_AMOUNT_BUF], in_t[CTL_AMOUNT_BUF],
	    out_t[CTL_AMOUNT_BUF], label[CTL_BOOK_LABEL_BUF];
	const char *cells[PREVIEW_NCOLS];
	struct ctl_table *t;
	int64_t in, out;

	sums(f->entries, f->nrows, &in, &out);
	if (ctx->json) {
		printf("{\"dry_run\":true,\"rows\":%zu,\"book_id\":%" PRId64
		    ",\"cash_in\":%" PRId64 ",\"cash_out\":%" PRId64 "}\n",
		    f->nrows, book->id, in, out);
		return CTL_EXIT_OK;
	}
	if ((t = ctl_table_new(preview_cols, PREVIEW_NCOLS)) == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	for (size_t i = 0; i < f->nrows && i < PREVIEW_ROWS; i++) {
		const struct imp_entry *e = &f->entries[i];

		snprintf(line, sizeof line, "%zu", e->line);
		ctl_amount_text(e->amount, book->decimals, amt, sizeof amt);
		cells[0] = line;
		cells[1] = e->date;
		cells[2] = e->time;
		cells[3] = e->out ? "out" : "in";
		cells[4] = amt;
		cells[5] = e->text[IMP_T_CATEGORY] ? e->text[IMP_T_CATEGORY] :
		    "";
		cells[6] = e->text[IMP_T_PARTY] ? e->text[IMP_T_PARTY] : "";
		cells[7] = e->text[IMP_T_NOTE] ? e->text[IMP_T_NOTE] : "";
		if (ctl_table_add(t, cells) != 0) {
			ctl_table_free(t);
			return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory",
			    NULL, "out of memory");
		}
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	if (f->nrows > PREVIEW_ROWS)
		printf("... and %zu more\n", f->nrows - PREVIEW_ROWS);
	ctl_amount_text(in, book->decimals, in_t, sizeof in_t);
	ctl_amount_text(out, book->decimals, out_t, sizeof out_t);
	ctl_book_label(book, label, sizeof label);
	printf("dry run: %zu rows would be imported into '%s' (in %s %s, out "
	    "%s %s); nothing was written; rows already there are skipped "
	    "when importing\n", f->nrows, label, in_t, book->currency, out_t,
	    book->currency);
	return CTL_EXIT_OK;
}

/* ---- sending ---- */

/* Progress on stderr while it is a terminal. */
struct progress {
	bool on;
	size_t total, done;
	struct timespec start;
};

static void
progress_show(struct progress *pg)
{
	struct timespec now;
	double secs;
	int fill = pg->total > 0 ? (int)(pg->done * PROGRESS_WIDTH /
	    pg->total) : PROGRESS_WIDTH;
	char bar[PROGRESS_WIDTH + 1];
	uint64_t rate = 0;

	if (!pg->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* A rate for people, not money: floating point is fine here. */
	secs = (double)(now.tv_sec - pg->start.tv_sec) +
	    (double)(now.tv_nsec - pg->start.tv_nsec) / 1e9;
	if (secs > 0)
		rate = (uint64_t)((double)pg->done / secs);
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(PROGRESS_WIDTH - fill));
	bar[PROGRESS_WIDTH] = '\0';
	fprintf(stderr, "\rimporting [%s] %zu/%zu entries, %" PRIu64
	    " entries/s ", bar, pg->done, pg->total, rate);
	if (pg->done == pg->total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* One entry's arguments; NULL when out of memory (or too large). */
static struct cb_params *
entry_params(const struct imp_entry *e)
{
	struct cb_params *p = cb_params_new();
	int rc;

	if (p == NULL)
		return NULL;
	rc = cb_params_str(p, "type", e->out ? "out" : "in");
	if (rc == CB_OK)
		rc = cb_params_int(p, "amount", e->amount);
	if (rc == CB_OK)
		rc = cb_params_str(p, "date", e->date);
	if (rc == CB_OK && e->time[0] != '\0')
		rc = cb_params_str(p, "time", e->time);
	for (int t = 0; rc == CB_OK && t < IMP_T_COUNT; t++) {
		if (e->text[t] != NULL)
			rc = cb_params_str(p, imp_text_name(t), e->text[t]);
	}
	if (rc == CB_OK && e->ntags > 0)
		rc = cb_params_str_array(p, "tags", e->tags, e->ntags);
	if (rc == CB_OK)
		rc = cb_params_str(p, "idempotency_key", e->key);
	if (rc != CB_OK) {
		cb_params_free(p);
		return NULL;
	}
	return p;
}

/* What the batches added. */
struct import_result {
	size_t added, replayed;
	int64_t balance;
};

/*
 * entry.add_batch with p; when the answer is lost (connection lost,
 * timeout) or the daemon was too busy, once more: safe because every
 * entry carries its idempotency key.
 */
static int
batch_call(struct ctl_session *s, const struct cb_params *p,
    struct cb_reply **reply)
{
	struct ctl_ctx *ctx = s->ctx;
	int rc = ctl_session_try(s, CB_METHOD_ENTRY_ADD_BATCH, p, reply);
	bool busy = ctl_session_code_is(s, rc, "pool_timeout");

	if (rc != CB_EIO && rc != CB_ETIMEOUT && !busy)
		return rc;
	if (!busy) {
		cb_close(ctx->conn);
		ctx->conn = NULL;
		if (cb_connect(ctx->socket_path, ctx->timeout_ms, &ctx->conn,
		    NULL, 0) != CB_OK)
			return rc;	/* reported as the first failure */
	}
	return ctl_session_try(s, CB_METHOD_ENTRY_ADD_BATCH, p, reply);
}

/* The line of the entry a refusal names ("entries[17]: ..."), in the
 * batch starting at first; 0 when it names none. */
static size_t
refused_line(const char *msg, const struct imp_entry *first, size_t n,
    const char **rest)
{
	char *end;
	unsigned long i;

	if (strncmp(msg, "entries[", 8) != 0)
		return 0;
	i = strtoul(msg + 8, &end, 10);
	if (end[0] != ']' || i >= n)
		return 0;
	*rest = end[1] == ':' && end[2] == ' ' ? end + 3 : end + 1;
	return first[i].line;
}

/* Report a batch the daemon refused (or that got no answer); done rows
 * of total were imported before it. */
static int
batch_fail(struct ctl_session *s, int rc, const char *path,
    const struct imp_entry *first, size_t n, size_t done, size_t total)
{
	const char *msg = cb_error_message(s->ctx->conn), *rest = NULL;
	size_t line;

	if (done > 0)
		fprintf(stderr, "cashbookctl: %zu of %zu rows were imported "
		    "before this; run the same import again (once the cause "
		    "is fixed) to add the rest: the rows already there are "
		    "recognised, not added twice\n", done, total);
	if (ctl_session_code_is(s, rc, "bad_request") &&
	    (line = refused_line(msg, first, n, &rest)) > 0)
		return ctl_error(s->ctx, CTL_EXIT_DATA, "bad_request",
		    "fix the row and run the import again", "%s: line %zu: "
		    "cashbookd refused it: %s", path, line, rest);
	if (ctl_session_code_is(s, rc, "conflict"))
		return ctl_error(s->ctx, CTL_EXIT_FAILED, "conflict", "an "
		    "entry imported before was changed since; this import "
		    "cannot tell it from a new row", "%s: %s", path, msg);
	return ctl_session_fail(s, rc);
}

/*
 * Send f's entries in batches of at most CB_BATCH_MAX entries and about
 * CB_IMPORT_BATCH_BYTES.  A batch that runs past cashbookd's statement
 * timeout (a slow disk, a big book) wrote nothing: it is sent again
 * halved, and later batches keep the smaller size.  -1, else the status.
 */
static int
send_all(struct ctl_session *s, const char *path, const struct ctl_book *book,
    const struct import_file *f, struct import_result *r)
{
	struct cb_params **items = calloc(CB_BATCH_MAX, sizeof *items);
	struct progress pg = { .on = isatty(STDERR_FILENO) == 1,
	    .total = f->nrows };
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	size_t next = 0, cap = CB_BATCH_MAX;
	int rc = -1;

	if (items == NULL)
		return ctl_error(s->ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &pg.start);
	progress_show(&pg);
	while (rc < 0 && next < f->nrows) {
		size_t n = 0, bytes = 0, first = next;
		const msgpack_object *res, *results;
		int crc = CB_OK;

		while (next < f->nrows && n < cap &&
		    bytes < CB_IMPORT_BATCH_BYTES) {
			if ((items[n] = entry_params(&f->entries[next])) ==
			    NULL) {
				rc = ctl_error(s->ctx, CTL_EXIT_FAILED,
				    "out_of_memory", NULL, "out of memory");
				break;
			}
			bytes += cb_params_bytes(items[n++]);
			next++;
		}
		if (rc < 0 && ((p = ctl_session_params(s)) == NULL ||
		    cb_params_int(p, "book_id", book->id) != CB_OK ||
		    cb_params_map_array(p, "entries",
		    (const struct cb_params *const *)items, n) != CB_OK))
			rc = ctl_error(s->ctx, CTL_EXIT_FAILED, "out_of_memory",
			    NULL, "out of memory");
		if (rc < 0)
			crc = batch_call(s, p, &reply);
		if (rc < 0 && crc != CB_OK && n > 1 &&
		    ctl_session_code_is(s, crc, "statement_timeout")) {
			cap = n / 2;
			next = first;
		} else if (rc < 0 && crc != CB_OK)
			rc = batch_fail(s, crc, path, &f->entries[first], n,
			    r->added + r->replayed, f->nrows);
		else if (rc < 0) {
			res = cb_reply_result(reply);
			results = cb_map_get(res, "results");
			if (results == NULL || results->type !=
			    MSGPACK_OBJECT_ARRAY || results->via.array.size !=
			    n || cb_map_get_int(res, "balance", &r->balance) !=
			    CB_OK)
				rc = ctl_session_bad_answer(s,
				    CB_METHOD_ENTRY_ADD_BATCH);
			for (size_t i = 0; rc < 0 && i < n; i++) {
				if (ctl_field_bool(&results->via.array.ptr[i],
				    "replayed"))
					r->replayed++;
				else
					r->added++;
			}
			pg.done = next;
			progress_show(&pg);
		}
		for (size_t i = 0; i < n; i++)
			cb_params_free(items[i]);
		cb_params_free(p);
		p = NULL;
		cb_reply_free(reply);
		reply = NULL;
	}
	if (rc >= 0 && pg.on && pg.done < pg.total)
		fputc('\n', stderr);	/* end the bar's line */
	free(items);
	return rc;
}

static int
import_print(struct ctl_ctx *ctx, const struct ctl_book *book,
    const struct import_result *r)
{
	char bal[CTL_AMOUNT_BUF], label[CTL_BOOK_LABEL_BUF];

	if (ctx->json) {
		printf("{\"imported\":%zu,\"already\":%zu,\"book_id\":%" PRId64
		    ",\"balance\":%" PRId64 "}\n", r->added, r->replayed,
		    book->id, r->balance);
		return CTL_EXIT_OK;
	}
	ctl_amount_text(r->balance, book->decimals, bal, sizeof bal);
	ctl_book_label(book, label, sizeof label);
	printf("imported %zu entr%s (%zu already there) into '%s'; balance "
	    "%s %s\n", r->added, r->added == 1 ? "y" : "ies", r->replayed,
	    label, bal, book->currency);
	return CTL_EXIT_OK;
}

/* ---- the command ---- */

/* Read, map and key the whole file at path for book.  -1, else the
 * status. */
static int
import_read(struct ctl_ctx *ctx, FILE *in, const char *path,
    const struct import_opts *o, const struct import_how *how,
    const struct ctl_book *book, struct import_file *f)
{
	struct imp_read rd = { o->date_format, o->decimal_comma,
	    book->decimals };
	struct imp_map m;
	struct ctl_csv *c;
	char err[1024];
	int rc;

	if ((c = ctl_csv_new(in, how->delim)) == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	if ((rc = read_header(ctx, path, c, how->skip, f)) < 0 &&
	    imp_map_build(&m, f->header, f->ncols, o->map, how->type_from, err,
	    sizeof err) != 0)
		rc = data_fail(ctx, path, NULL, "%s", err);
	if (rc < 0)
		rc = read_rows(ctx, path, c, f);
	ctl_csv_free(c);
	if (rc < 0)
		rc = date_format(ctx, path, &m, f, &rd.date_format);
	if (rc < 0)
		rc = map_rows(ctx, path, &m, &rd, f);
	if (rc < 0 && imp_keys(f->entries, f->nrows, book->id) != 0)
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	return rc;
}

static enum ctl_retval
import_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct import_opts o = {
		.book = NULL,		/* -b/--book: ctx->book */
		.format = ctl_arg(args, "format"),
		.map = ctl_arg(args, "map"),
		.date_format = ctl_arg(args, "date-format"),
		.decimal_comma = ctl_arg_flag(args, "decimal-comma"),
		.type_from = ctl_arg(args, "type-from"),
		.skip_rows = ctl_arg(args, "skip-rows"),
		.delimiter = ctl_arg(args, "delimiter"),
		.dry_run = ctl_arg_flag(args, "dry-run"),
		.profile = ctl_arg(args, "profile"),
		.save_profile = ctl_arg(args, "save-profile"),
		.list_profiles = ctl_arg_flag(args, "list-profiles"),
	};
	char **argv = args->argv;
	int nargs = args->nargs;
	struct imp_profile prof = { 0 };
	struct import_file f = { 0 };
	struct import_result r = { 0 };
	struct ctl_session s;
	struct ctl_book book;
	struct import_how how;
	const char *path;
	FILE *in = NULL;
	int rc;

	memset(&s, 0, sizeof s);
	if (o.list_profiles)
		return nargs == 0 ? profile_list(ctx) : ctl_usage(ctx, self,
		    "%s: --list-profiles takes no FILE", self->name);
	if (nargs != 1)
		return ctl_usage(ctx, self, "%s needs the FILE to import ('-' "
		    "for standard input)", self->name);
	path = argv[1];
	if (o.profile != NULL && (rc = profile_load(ctx, self, &o,
	    &prof)) >= 0)
		goto out;
	/* Refuse bad options before the file or the daemon. */
	if ((rc = opts_check(ctx, self, &o, &how)) >= 0)
		goto out;
	in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (in == NULL) {
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "cannot_open", NULL,
		    "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if ((rc = ctl_book_open(&s, ctx, o.book, &book)) >= 0 ||
	    (rc = import_read(ctx, in, path, &o, &how, &book, &f)) >= 0)
		goto out;
	if (o.save_profile != NULL && (rc = profile_save(ctx, &o)) >= 0)
		goto out;
	if (o.dry_run) {
		rc = dry_run_print(ctx, &book, &f);
		goto out;
	}
	if ((rc = send_all(&s, path, &book, &f, &r)) >= 0)
		goto out;
	rc = import_print(ctx, &book, &r);
out:
	if (in != NULL && in != stdin)
		fclose(in);
	import_file_free(&f);
	imp_profile_clear(&prof);
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_optdef import_opts_def[] = {
	{ "map", 0, "COL=FIELD,...", CTL_T_TEXT, NULL, "which column is which "
	    "field: date, time, type, amount (signed: negative is out), in and "
	    "out (credit and debit columns), category, mode, party, note, "
	    "reference, tags.  Default: columns named like the fields (what "
	    "'cashbookctl export' writes)", 0, 0, NULL },
	{ "date-format", 0, "FMT", CTL_T_TEXT, NULL, "%Y %y %m %d %b, e.g. "
	    "'%d.%m.%Y' (default: detected; 03/04/2026 is ambiguous and needs "
	    "it)", 0, 0, NULL },
	{ "decimal-comma", 0, NULL, CTL_T_TEXT, NULL, "amounts are written "
	    "1.234,56", 0, 0, NULL },
	{ "type-from", 0, "sign|column", CTL_T_WORDS, "sign column", "a signed "
	    "amount, or a type column (in/out)", 0, 0, NULL },
	{ "skip-rows", 0, "N", CTL_T_NUMBER, NULL, "skip N rows before the "
	    "header (a bank's preamble)", 0, 0, NULL },
	{ "delimiter", 0, "D", CTL_T_TEXT, NULL, "',', ';' or tab (default: "
	    "detected from the header)", 0, 0, NULL },
	{ "format", 0, "csv", CTL_T_WORDS, "csv", "the file's format (only "
	    "csv)", 0, 0, NULL },
	{ "dry-run", 0, NULL, CTL_T_TEXT, NULL, "show the first rows as they "
	    "would be booked, and the counts; write nothing", 0, 0, NULL },
	{ "profile", 0, "NAME", CTL_T_TEXT, NULL, "use the options saved as "
	    "NAME (options given override the profile's)", 0, 0, NULL },
	{ "save-profile", 0, "NAME", CTL_T_TEXT, NULL, "remember these options "
	    "as NAME", 0, 0, NULL },
	{ "list-profiles", 0, NULL, CTL_T_TEXT, NULL, "the saved profiles (no "
	    "FILE then)", 0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

static const struct ctl_operand import_operands[] = {
	{ "FILE", CTL_T_FILE, NULL, CTL_ARG_OPTIONAL },
	{ NULL, 0, NULL, 0 },
};

const struct ctl_cmd ctl_cmd_import = {
	.name = "import",
	.opts = import_opts_def,
	.operands = import_operands,
	.method = CB_METHOD_ENTRY_ADD_BATCH,
	.summary = "import a bank's CSV export into a book",
	.help =
	    "Reads FILE ('-': standard input), a CSV export with a header "
	    "row, checks\nevery row, then adds one entry per row, e.g.\n"
	    "  cashbookctl import giro.csv --map Date=date,Payee=party,"
	    "Amount=amount\n"
	    "  imported 212 entries (0 already there) into 'Household'; "
	    "balance 1234.56 EUR\n"
	    "Rows carry idempotency keys made from the book and the row: "
	    "importing the\nsame file again adds only what is not there yet, "
	    "so an import that stopped\n(Ctrl-C, a restarted cashbookd) is "
	    "simply run again.\n"
	    "A bad row stops the import before anything is written, naming "
	    "its line and\ncolumn.  A progress bar shows on a terminal.\n"
	    "Exit status: 0 imported (or dry run), 1 cashbookd failed or "
	    "refused, 2 usage,\n3 cannot connect, 4 the file was refused "
	    "(nothing written).\n"
	    "With --json: {\"imported\":N,\"already\":M,\"book_id\":ID,"
	    "\"balance\":MINOR}.\n",
	.flags = 0,
	.exec = import_exec,
};
