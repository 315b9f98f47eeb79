/*
 * ctl_table.h -- tables of rows for cashbookctl's listings: built once,
 * printed either aligned for people or as CSV for programs; and the
 * colours and bars that go with them.
 *
 * A table has fixed columns; each row is a copy of its cells' text.  The
 * aligned form measures text in display columns (UTF-8, wcwidth: "café"
 * is 4 wide, "一蘭" 4, "ramen 🍜" 8, a combining mark 0), shows control characters as '?' (tab and newline
 * as a space) and invalid UTF-8 bytes as '?', cuts cells longer than
 * their column's limit with an ellipsis ("…"), and leaves out the
 * columns marked CTL_COL_HIDE_EMPTY when no row has text in them.  The
 * CSV form (RFC 4180: a header line, fields quoted when they hold a
 * comma, a quote, CR or LF, quotes doubled, lines ended with CR LF) has
 * every cell whole, as it came.
 *
 * Colour (ANSI) is decided once, by ctl_color(): only when standard
 * output is a terminal, NO_COLOR is unset or empty, and TERM is not
 * "dumb".  Bars are rows of "█" (U+2588), as long as ctl_bar_len says.
 *
 * Owns its rows.  Never talks to cashbookd.  Never uses floating point.
 */
#ifndef CASHBOOK_CLIENT_CTL_TABLE_H
#define CASHBOOK_CLIENT_CTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Column flags. */
#define CTL_COL_RIGHT		0x1	/* right-aligned (numbers) */
#define CTL_COL_HIDE_EMPTY	0x2	/* left out when no cell has text */
#define CTL_COL_PLAIN_ZERO	0x4	/* a zero ("0", "0.00") is not coloured */

/* Colours. */
enum ctl_color {
	CTL_COLOR_NONE = 0,
	CTL_COLOR_GREEN,	/* money in */
	CTL_COLOR_RED,		/* money out */
};

struct ctl_col {
	const char *header;	/* in the aligned form; NULL: CSV only */
	const char *csv_header;	/* in the CSV form; NULL: aligned only */
	int flags;		/* CTL_COL_* */
	size_t max_width;	/* columns shown at most; 0: no limit */
	enum ctl_color color;	/* of the cells (not the header) */
};

struct ctl_table;

/* A table with ncols columns (cols must outlive it).  NULL when out of
 * memory. */
struct ctl_table *ctl_table_new(const struct ctl_col *cols, size_t ncols);
void ctl_table_free(struct ctl_table *t);

/* Append a row of ncols cells (copied; NULL is ""); -1 when out of
 * memory (the table is then as before). */
int ctl_table_add(struct ctl_table *t, const char *const *cells);

size_t ctl_table_rows(const struct ctl_table *t);

/* The aligned form, header first, with colour when ctl_color(). */
void ctl_table_print(const struct ctl_table *t, FILE *f);

/* The CSV form, header first. */
void ctl_table_print_csv(const struct ctl_table *t, FILE *f);

/* One line of the CSV form without a table, for output streamed a row at
 * a time: cells (the csv_headers when cells is NULL) of the columns cols
 * that have a csv_header. */
void ctl_csv_line(FILE *f, const struct ctl_col *cols, size_t ncols,
    const char *const *cells);

/* Whether to colour standard output (decided at the first call). */
bool ctl_color(void);

/* s as the aligned form shows it (tab and newline as a space, other
 * control characters and invalid UTF-8 bytes as '?') into buf, cut at a
 * character boundary to fit. */
void ctl_text_clean(const char *s, char *buf, size_t len);

/* Cells of a bar for value on a scale where max fills width cells:
 * value * width / max rounded down, but at least 1 for any value > 0.
 * Integer arithmetic; 0 when value or max <= 0. */
int ctl_bar_len(int64_t value, int64_t max, int width);

#endif
