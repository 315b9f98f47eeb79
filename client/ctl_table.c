/*
 * ctl_table.c -- tables for people (aligned, coloured) and for programs
 * (CSV), colour, and bars.  See ctl_table.h.
 *
 * Every row is one allocation: its cell pointers followed by the cells'
 * text.  Widths are computed when printing, so rows can be added in any
 * number first.  Owns the rows; ctl_table_free releases them.
 *
 * Widths are display columns, as a terminal shows them: each character's
 * wcwidth(3) under a UTF-8 LC_CTYPE ("一蘭" and "🍜" take two columns each,
 * a combining accent none).  Cashbook's text is UTF-8 whatever the
 * user's locale, so the first measure sets LC_CTYPE to C.UTF-8 (never
 * LC_ALL: numbers and messages are untouched); where that locale is
 * missing, every character counts one column.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "ctl_output.h"
#include "ctl_table.h"
#include "utf8.h"

#define CTL_TABLE_GAP		2	/* spaces between columns */
#define CTL_ELLIPSIS		"\xe2\x80\xa6"	/* U+2026 */

struct ctl_table {
	const struct ctl_col *cols;
	size_t ncols;
	char ***rows;		/* nrows rows of ncols cells */
	size_t nrows, cap;
};

struct ctl_table *
ctl_table_new(const struct ctl_col *cols, size_t ncols)
{
	struct ctl_table *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->cols = cols;
	t->ncols = ncols;
	return t;
}

void
ctl_table_free(struct ctl_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows; i++)
		free(t->rows[i]);
	free(t->rows);
	free(t);
}

int
ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	size_t bytes = t->ncols * sizeof(char *), off;
	char **row;

	for (size_t c = 0; c < t->ncols; c++)
		bytes += (cells[c] != NULL ? strlen(cells[c]) : 0) + 1;
	if (t->nrows == t->cap) {
		size_t cap = t->cap == 0 ? 64 : t->cap * 2;
		char ***rows = reallocarray(t->rows, cap, sizeof *rows);

		if (rows == NULL)
			return -1;
		t->rows = rows;
		t->cap = cap;
	}
	if ((row = malloc(bytes)) == NULL)
		return -1;
	off = t->ncols * sizeof(char *);
	for (size_t c = 0; c < t->ncols; c++) {
		const char *s = cells[c] != NULL ? cells[c] : "";
		size_t n = strlen(s) + 1;

		row[c] = (char *)row + off;
		memcpy(row[c], s, n);
		off += n;
	}
	t->rows[t->nrows++] = row;
	return 0;
}

size_t
ctl_table_rows(const struct ctl_table *t)
{
	return t->nrows;
}

/* ---- colour ---- */

bool
ctl_color(void)
{
	static int decided = -1;

	if (decided < 0) {
		const char *no = getenv("NO_COLOR");
		const char *term = getenv("TERM");

		decided = isatty(STDOUT_FILENO) &&
		    (no == NULL || no[0] == '\0') &&
		    (term == NULL || strcmp(term, "dumb") != 0);
	}
	return decided == 1;
}

static const char *
color_code(enum ctl_color c)
{
	switch (c) {
	case CTL_COLOR_GREEN:	return "\033[32m";
	case CTL_COLOR_RED:	return "\033[31m";
	default:		return NULL;
	}
}

static void
color_start(FILE *f, enum ctl_color c)
{
	const char *code = ctl_color() ? color_code(c) : NULL;

	if (code != NULL)
		fputs(code, f);
}

static void
color_end(FILE *f, enum ctl_color c)
{
	if (ctl_color() && color_code(c) != NULL)
		fputs("\033[0m", f);
}

/* ---- text as shown ---- */

/*
 * How the character at p (n >= 1 bytes left) is shown: its length goes
 * into *len; the result is the byte shown instead (' ' for tab and
 * newline, '?' for other control characters and bytes that are not
 * UTF-8), or 0 when it is shown as it is.
 */
static char
char_shown(const unsigned char *p, size_t n, size_t *len)
{
	*len = utf8_char_len(p, n);
	if (*len == 0 || p[0] == 0x7f || p[0] < 0x20) {
		*len = 1;
		return p[0] == '\t' || p[0] == '\n' ? ' ' : '?';
	}
	return 0;
}

/* Whether wcwidth can measure UTF-8 text (LC_CTYPE set once). */
static bool
width_locale(void)
{
	static int ready = -1;

	if (ready < 0)
		ready = MB_CUR_MAX > 1 || setlocale(LC_CTYPE, "C.UTF-8") !=
		    NULL;
	return ready == 1;
}

/* Display columns of the character at p (len bytes, shown as it is):
 * wcwidth's, 1 when it cannot tell. */
static size_t
char_columns(const unsigned char *p, size_t len)
{
	mbstate_t st;
	wchar_t wc;
	int w;

	if (len == 1 || !width_locale())
		return 1;
	memset(&st, 0, sizeof st);
	if (mbrtowc(&wc, (const char *)p, len, &st) != len)
		return 1;
	w = wcwidth(wc);
	return w < 0 ? 1 : (size_t)w;
}

/*
 * Walk s as shown, at most max columns (0: all); when it is wider, as
 * much as fits in max - 1 columns and an ellipsis.  Writes it to f
 * (unless f is NULL); the columns it takes.
 */
static size_t
text_walk(FILE *f, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, w = 0, len, cw;
	bool cut = max != 0 && text_walk(NULL, s, 0) > max;
	char c;

	for (; i < n; i += len, w += cw) {
		c = char_shown(p + i, n - i, &len);
		cw = c != 0 ? 1 : char_columns(p + i, len);
		if (cut && w + cw > max - 1) {
			if (f != NULL)
				fputs(CTL_ELLIPSIS, f);
			return w + 1;
		}
		if (f == NULL)
			continue;
		if (c != 0)
			fputc(c, f);
		else
			fwrite(p + i, 1, len, f);
	}
	return w;
}

/* Display columns s shows as in the aligned form. */
static size_t
text_width(const char *s)
{
	return text_walk(NULL, s, 0);
}

static void
text_put(FILE *f, const char *s, size_t max)
{
	(void)text_walk(f, s, max);
}

void
ctl_text_clean(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, out = 0, clen;
	char c;

	if (len == 0)
		return;
	for (; i < n; i += clen) {
		c = char_shown(p + i, n - i, &clen);
		if (out + clen >= len)
			break;
		if (c != 0)
			buf[out] = c;
		else
			memcpy(buf + out, p + i, clen);
		out += clen;
	}
	buf[out] = '\0';
}

/* ---- the aligned form ---- */

/* Width of cell text s in column col, as shown (cut to its limit: a
 * wide character that does not fit before the ellipsis leaves the cut
 * cell a column narrower). */
static size_t
cell_width(const struct ctl_col *col, const char *s)
{
	return text_walk(NULL, s, col->max_width);
}

/* The width of each column shown (0: left out) into widths. */
static void
table_widths(const struct ctl_table *t, size_t *widths)
{
	for (size_t c = 0; c < t->ncols; c++) {
		const struct ctl_col *col = &t->cols[c];
		size_t w = 0;
		bool empty = true;

		for (size_t r = 0; r < t->nrows; r++) {
			size_t cw = cell_width(col, t->rows[r][c]);

			if (cw > w)
				w = cw;
			empty &= t->rows[r][c][0] == '\0';
		}
		if (col->header == NULL ||
		    ((col->flags & CTL_COL_HIDE_EMPTY) != 0 && empty)) {
			widths[c] = 0;
			continue;
		}
		widths[c] = w > text_width(col->header) ? w :
		    text_width(col->header);
	}
}

static void
pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

/*
 * One line: cells (the header when cells is NULL) in widths.  Spaces are
 * held back until text follows them, so no line ends in spaces (an empty
 * last cell, or a left-aligned one, would leave them).
 */
static void
table_line(const struct ctl_table *t, FILE *f, const size_t *widths,
    const char *const *cells)
{
	size_t spaces = 0, w;
	bool first = true;

	for (size_t c = 0; c < t->ncols; c++) {
		const struct ctl_col *col = &t->cols[c];
		const char *s = cells == NULL ? col->header : cells[c];
		enum ctl_color color = cells == NULL ? CTL_COLOR_NONE :
		    col->color;

		if (widths[c] == 0)
			continue;
		if ((col->flags & CTL_COL_PLAIN_ZERO) != 0 &&
		    strspn(s, "0.") == strlen(s))
			color = CTL_COLOR_NONE;
		w = widths[c] - cell_width(col, s);
		if (!first)
			spaces += CTL_TABLE_GAP;
		first = false;
		if ((col->flags & CTL_COL_RIGHT) != 0)
			spaces += w;
		if (s[0] != '\0') {
			pad(f, spaces);
			spaces = 0;
			color_start(f, color);
			text_put(f, s, col->max_width);
			color_end(f, color);
		}
		if ((col->flags & CTL_COL_RIGHT) == 0)
			spaces += w;
	}
	fputc('\n', f);
}

void
ctl_table_print(const struct ctl_table *t, FILE *f)
{
	size_t *widths = calloc(t->ncols, sizeof *widths);

	if (widths == NULL) {
		/* Still every value, just not aligned. */
		ctl_table_print_csv(t, f);
		return;
	}
	table_widths(t, widths);
	table_line(t, f, widths, NULL);
	for (size_t r = 0; r < t->nrows; r++)
		table_line(t, f, widths, (const char *const *)t->rows[r]);
	free(widths);
}

/* ---- CSV ---- */

static void
csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void
ctl_csv_line(FILE *f, const struct ctl_col *cols, size_t ncols,
    const char *const *cells)
{
	bool first = true;

	for (size_t c = 0; c < ncols; c++) {
		if (cols[c].csv_header == NULL)
			continue;
		if (!first)
			fputc(',', f);
		first = false;
		csv_field(f, cells != NULL ? cells[c] : cols[c].csv_header);
	}
	fputs("\r\n", f);
}

void
ctl_table_print_csv(const struct ctl_table *t, FILE *f)
{
	ctl_csv_line(f, t->cols, t->ncols, NULL);
	for (size_t r = 0; r < t->nrows; r++)
		ctl_csv_line(f, t->cols, t->ncols,
		    (const char *const *)t->rows[r]);
}

/* ---- bars ---- */

int
ctl_bar_len(int64_t value, int64_t max, int width)
{
	int64_t len;

	if (value <= 0 || max <= 0 || width <= 0)
		return 0;
	if (value > max)
		value = max;
	/* Scale both down until value * width cannot overflow; the bar
	 * loses nothing it could show in whole cells. */
	while (max > INT64_MAX / width) {
		max >>= 1;
		value >>= 1;
	}
	len = value * width / max;
	return len == 0 ? 1 : (int)len;
}
