/*
 * ctl_csv.c -- the CSV reader.  See ctl_csv.h.
 *
 * A record is read in two steps.  First its raw bytes, up to the line
 * break that is outside quotes (the quote state does not depend on the
 * delimiter, so the header can be read before the delimiter is known);
 * then those bytes are split into fields with the delimiter, quotes
 * removed, "" made ", and CR LF inside a quoted field made LF.  Both
 * buffers are CB_CSV_RECORD_MAX bytes, allocated once.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "utf8.h"

#include "ctl_csv.h"

struct ctl_csv {
	FILE *f;
	char delim;		/* 0 until detected */
	bool started;		/* the BOM check is done */
	size_t line;		/* physical lines consumed so far */
	char *raw;		/* the record as in the file, no line end */
	size_t rawlen;
	char *out;		/* its fields, each NUL-terminated */
};

struct ctl_csv *
ctl_csv_new(FILE *f, char delim)
{
	struct ctl_csv *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->f = f;
	c->delim = delim;
	c->raw = malloc(CB_CSV_RECORD_MAX);
	c->out = malloc(CB_CSV_RECORD_MAX + 1);
	if (c->raw == NULL || c->out == NULL) {
		ctl_csv_free(c);
		return NULL;
	}
	return c;
}

void
ctl_csv_free(struct ctl_csv *c)
{
	if (c == NULL)
		return;
	free(c->raw);
	free(c->out);
	free(c);
}

char
ctl_csv_delimiter(const struct ctl_csv *c)
{
	return c->delim;
}

/* Drop a UTF-8 byte order mark at the start of the file. */
static void
skip_bom(struct ctl_csv *c)
{
	static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };
	int ch, i;

	c->started = true;
	for (i = 0; i < 3; i++) {
		ch = getc(c->f);
		if (ch == EOF)
			break;
		if (ch != bom[i]) {
			(void)ungetc(ch, c->f);
			break;
		}
	}
	/* Only the first byte can be pushed back; a file starting with
	 * EF BB but not BF is not UTF-8 text anyway. */
	if (i > 0 && i < 3) {
		memcpy(c->raw, bom, (size_t)i);
		c->rawlen = (size_t)i;
	}
}

/* Whether a quote at raw[len] would open a quoted field: at the record's
 * start or right after a delimiter (any of ',', ';' and tab while the
 * delimiter is not known yet). */
static bool
field_start(const struct ctl_csv *c)
{
	char prev;

	if (c->rawlen == 0)
		return true;
	prev = c->raw[c->rawlen - 1];
	if (c->delim != 0)
		return prev == c->delim;
	return prev == ',' || prev == ';' || prev == '\t';
}

/*
 * Read the next record's raw bytes into c->raw (the bytes of a partial
 * BOM may already be there).  Blank lines are skipped; *start is the
 * record's first line.  Only a quote that starts a field opens one (a
 * stray quote elsewhere is left for split to refuse, with its line).
 */
static int
read_raw(struct ctl_csv *c, size_t *start, char *err, size_t errlen)
{
	enum { PLAIN, QUOTED, CLOSED } q = PLAIN;
	int ch;

	if (!c->started)
		skip_bom(c);
	else
		c->rawlen = 0;
	*start = c->line + 1;
	for (;;) {
		ch = getc(c->f);
		if (ch == EOF) {
			if (ferror(c->f)) {
				errbuf_set(err, errlen, "line %zu: cannot read "
				    "the file", c->line + 1);
				return CTL_CSV_ERROR;
			}
			if (q == QUOTED) {
				errbuf_set(err, errlen, "line %zu: a quoted "
				    "field is not closed before the end of the "
				    "file", *start);
				return CTL_CSV_ERROR;
			}
			if (c->rawlen == 0)
				return CTL_CSV_END;
			c->line++;
			return CTL_CSV_ROW;
		}
		if (ch == '\n') {
			c->line++;
			if (q != QUOTED) {
				if (c->rawlen > 0 && c->raw[c->rawlen - 1] ==
				    '\r')
					c->rawlen--;
				if (c->rawlen > 0)
					return CTL_CSV_ROW;
				*start = c->line + 1;	/* a blank line */
				continue;
			}
		} else if (ch == '"') {
			if (q == QUOTED)
				q = CLOSED;
			else if (q == CLOSED)
				q = QUOTED;	/* "" inside quotes */
			else if (field_start(c))
				q = QUOTED;
		} else if (ch == '\0') {
			errbuf_set(err, errlen, "line %zu: a NUL byte: this is "
			    "not a text file", c->line + 1);
			return CTL_CSV_ERROR;
		} else if (q == CLOSED)
			q = PLAIN;
		if (c->rawlen == CB_CSV_RECORD_MAX) {
			errbuf_set(err, errlen, "line %zu: a record longer than "
			    "%d bytes (is a quote left open?)", *start,
			    CB_CSV_RECORD_MAX);
			return CTL_CSV_ERROR;
		}
		c->raw[c->rawlen++] = (char)ch;
	}
}

/* Whether raw[0..len) is all UTF-8. */
static bool
raw_is_utf8(const char *raw, size_t len)
{
	const unsigned char *p = (const unsigned char *)raw;
	size_t n;

	while (len > 0) {
		if ((n = utf8_char_len(p, len)) == 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* The delimiter of the header raw[0..len): the most frequent of ',',
 * ';' and tab outside quotes; ',' when there is none (one column). */
static int
detect_delim(const char *raw, size_t len, char *delim, size_t line,
    char *err, size_t errlen)
{
	size_t comma = 0, semi = 0, tab = 0;
	bool quoted = false;

	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '"')
			quoted = !quoted;
		else if (!quoted)
			comma += raw[i] == ',', semi += raw[i] == ';',
			    tab += raw[i] == '\t';
	}
	if ((comma > 0 && comma == semi) || (tab > 0 && (tab == comma ||
	    tab == semi))) {
		errbuf_set(err, errlen, "line %zu: cannot tell the delimiter "
		    "(the header has %zu ',', %zu ';' and %zu tabs); give it "
		    "with --delimiter", line, comma, semi, tab);
		return CTL_CSV_ERROR;
	}
	*delim = tab > comma && tab > semi ? '\t' : semi > comma ? ';' : ',';
	return CTL_CSV_ROW;
}

/* Split c->raw into row's fields in c->out. */
static int
split(struct ctl_csv *c, struct ctl_csv_row *row, char *err, size_t errlen)
{
	const char *p = c->raw, *end = c->raw + c->rawlen;
	char *o = c->out;

	row->n = 0;
	for (;;) {
		if (row->n == CB_CSV_FIELDS_MAX) {
			errbuf_set(err, errlen, "line %zu: more than %d fields",
			    row->line, CB_CSV_FIELDS_MAX);
			return CTL_CSV_ERROR;
		}
		row->fields[row->n++] = o;
		if (p < end && *p == '"') {
			for (p++;; p++) {
				if (p == end) {	/* read_raw prevents it */
					errbuf_set(err, errlen, "line %zu, "
					    "field %zu: a quote left open",
					    row->line, row->n);
					return CTL_CSV_ERROR;
				}
				if (*p == '"' && p + 1 < end && p[1] == '"')
					*o++ = *p++;
				else if (*p == '"')
					break;
				else if (*p == '\r' && p + 1 < end &&
				    p[1] == '\n')
					continue;
				else
					*o++ = *p;
			}
			p++;
			if (p < end && *p != c->delim) {
				errbuf_set(err, errlen, "line %zu, field %zu: "
				    "text after the closing quote", row->line,
				    row->n);
				return CTL_CSV_ERROR;
			}
		} else {
			for (; p < end && *p != c->delim; p++) {
				if (*p == '"') {
					errbuf_set(err, errlen, "line %zu, "
					    "field %zu: a quote inside a field "
					    "that does not start with one (such "
					    "a field must be quoted, its quotes "
					    "doubled)", row->line, row->n);
					return CTL_CSV_ERROR;
				}
				*o++ = *p;
			}
		}
		*o++ = '\0';
		if (p == end)
			return CTL_CSV_ROW;
		p++;	/* the delimiter */
	}
}

int
ctl_csv_next(struct ctl_csv *c, struct ctl_csv_row *row, char *err,
    size_t errlen)
{
	int rc;

	if ((rc = read_raw(c, &row->line, err, errlen)) != CTL_CSV_ROW)
		return rc;
	if (!raw_is_utf8(c->raw, c->rawlen)) {
		errbuf_set(err, errlen, "line %zu: bytes that are not UTF-8; "
		    "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
		    row->line);
		return CTL_CSV_ERROR;
	}
	if (c->delim == 0 && detect_delim(c->raw, c->rawlen, &c->delim,
	    row->line, err, errlen) != CTL_CSV_ROW)
		return CTL_CSV_ERROR;
	return split(c, row, err, errlen);
}

int
ctl_csv_skip(struct ctl_csv *c, size_t *line, char *err, size_t errlen)
{
	return read_raw(c, line, err, errlen);
}
