/*
 * ctl_import.c -- mapping, amounts, dates, keys and profiles of
 * cashbookctl import.  See ctl_import.h.
 *
 * Everything here is a pure function of its arguments so that the unit
 * test (tests/test_import.c) can try every odd bank format without a
 * daemon; ctl_cmd_import.c does the reading, the talking and the printing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caldate.h"
#include "errbuf.h"
#include "money.h"

#include "ctl_import.h"

static const char *const field_names[IMP_NFIELDS] = {
	[IMP_DATE] = "date",
	[IMP_TIME] = "time",
	[IMP_TYPE] = "type",
	[IMP_AMOUNT] = "amount",
	[IMP_IN] = "in",
	[IMP_OUT] = "out",
	[IMP_CATEGORY] = "category",
	[IMP_MODE] = "mode",
	[IMP_PARTY] = "party",
	[IMP_NOTE] = "note",
	[IMP_REFERENCE] = "reference",
	[IMP_TAGS] = "tags",
};

static const char *const text_names[IMP_T_COUNT] = {
	[IMP_T_CATEGORY] = "category",
	[IMP_T_MODE] = "mode",
	[IMP_T_PARTY] = "party",
	[IMP_T_NOTE] = "note",
	[IMP_T_REFERENCE] = "reference",
};

/* The column field of each text. */
static const enum imp_field text_fields[IMP_T_COUNT] = {
	[IMP_T_CATEGORY] = IMP_CATEGORY,
	[IMP_T_MODE] = IMP_MODE,
	[IMP_T_PARTY] = IMP_PARTY,
	[IMP_T_NOTE] = IMP_NOTE,
	[IMP_T_REFERENCE] = IMP_REFERENCE,
};

#define FIELD_LIST	"date, time, type, amount, in, out, category, mode, " \
			"party, note, reference, tags"

const char *
imp_field_name(enum imp_field f)
{
	return field_names[f];
}

const char *
imp_text_name(enum imp_text t)
{
	return text_names[t];
}

/* ---- small text helpers ---- */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* s[0..*len) without the spaces around it. */
static const char *
trim(const char *s, size_t *len)
{
	while (*len > 0 && is_space(s[0]))
		s++, (*len)--;
	while (*len > 0 && is_space(s[*len - 1]))
		(*len)--;
	return s;
}

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
same_name(const char *a, size_t alen, const char *b, size_t blen, bool fold)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		if (fold ? ascii_lower(a[i]) != ascii_lower(b[i]) : a[i] != b[i])
			return false;
	}
	return true;
}

/* ---- the mapping ---- */

/* The column of m's header named name[0..len) (exactly, else ignoring
 * ASCII case), or -1. */
static int
find_column(const struct imp_map *m, const char *name, size_t len)
{
	for (int fold = 0; fold < 2; fold++) {
		for (size_t i = 0; i < m->ncols; i++) {
			size_t hl = strlen(m->header[i]);
			const char *h = trim(m->header[i], &hl);

			if (same_name(h, hl, name, len, fold != 0))
				return (int)i;
		}
	}
	return -1;
}

static int
find_field(const char *name, size_t len)
{
	for (int f = 0; f < IMP_NFIELDS; f++) {
		if (same_name(field_names[f], strlen(field_names[f]), name, len,
		    true))
			return f;
	}
	return -1;
}

/* The header's names as "A, B, C" into buf (cut when long). */
static void
header_list(const struct imp_map *m, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < m->ncols && used + 1 < len; i++) {
		int n = snprintf(buf + used, len - used, "%s'%s'", i > 0 ?
		    ", " : "", m->header[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Apply one "COL=FIELD" of --map, tok[0..len). */
static int
map_one(struct imp_map *m, const char *tok, size_t len, char *err,
    size_t errlen)
{
	const char *eq = NULL, *col, *fld;
	size_t clen, flen;
	char cols[512];
	int c, f;

	for (size_t i = 0; i < len; i++)
		if (tok[i] == '=')
			eq = tok + i;
	if (eq == NULL) {
		errbuf_set(err, errlen, "--map: '%.*s' is not COLUMN=FIELD",
		    (int)len, tok);
		return -1;
	}
	clen = (size_t)(eq - tok);
	col = trim(tok, &clen);
	flen = (size_t)(tok + len - (eq + 1));
	fld = trim(eq + 1, &flen);
	if ((f = find_field(fld, flen)) < 0) {
		errbuf_set(err, errlen, "--map: '%.*s' is not a field; give one "
		    "of " FIELD_LIST, (int)flen, fld);
		return -1;
	}
	if (m->col[f] >= 0) {
		errbuf_set(err, errlen, "--map: field '%s' is given twice",
		    field_names[f]);
		return -1;
	}
	if ((c = find_column(m, col, clen)) < 0) {
		header_list(m, cols, sizeof cols);
		errbuf_set(err, errlen, "--map: no column '%.*s' in the header "
		    "(its columns: %s)", (int)clen, col, cols);
		return -1;
	}
	m->col[f] = c;
	return 0;
}

/* The checks once every column is placed. */
static int
map_check(struct imp_map *m, bool given, enum imp_type_from type_from,
    char *err, size_t errlen)
{
	bool inout = m->col[IMP_IN] >= 0 || m->col[IMP_OUT] >= 0;
	char cols[512];

	header_list(m, cols, sizeof cols);
	if (m->col[IMP_DATE] < 0) {
		if (given)
			errbuf_set(err, errlen, "--map maps no column to date; "
			    "add e.g. Date=date");
		else
			errbuf_set(err, errlen, "the header has no column "
			    "'date' (its columns: %s); name yours with --map, "
			    "e.g. --map Date=date,Amount=amount", cols);
		return -1;
	}
	if (m->col[IMP_AMOUNT] >= 0 && inout) {
		errbuf_set(err, errlen, "both an amount column and in/out "
		    "columns are mapped; map a signed amount (Amount=amount) "
		    "or debit and credit columns (Debit=out,Credit=in)");
		return -1;
	}
	if (m->col[IMP_AMOUNT] < 0 && !inout) {
		errbuf_set(err, errlen, "no amount column (the header's columns: "
		    "%s); map a signed one (--map Amount=amount) or debit and "
		    "credit columns (--map Debit=out,Credit=in)", cols);
		return -1;
	}
	if (type_from == IMP_TYPE_AUTO)
		type_from = m->col[IMP_TYPE] >= 0 ? IMP_TYPE_COLUMN :
		    m->col[IMP_AMOUNT] >= 0 ? IMP_TYPE_SIGN : IMP_TYPE_AUTO;
	else if (inout) {
		errbuf_set(err, errlen, "--type-from does not apply to debit "
		    "and credit columns: their column is the type");
		return -1;
	} else if (type_from == IMP_TYPE_COLUMN && m->col[IMP_TYPE] < 0) {
		errbuf_set(err, errlen, "--type-from column needs a type column "
		    "(map one with --map COLUMN=type)");
		return -1;
	} else if (type_from == IMP_TYPE_SIGN && m->col[IMP_TYPE] >= 0) {
		errbuf_set(err, errlen, "--type-from sign, but a type column is "
		    "mapped too; give one of them");
		return -1;
	}
	m->type_from = type_from;
	return 0;
}

int
imp_map_build(struct imp_map *m, const char *const *header, size_t n,
    const char *spec, enum imp_type_from type_from, char *err,
    size_t errlen)
{
	for (int f = 0; f < IMP_NFIELDS; f++)
		m->col[f] = -1;
	m->header = header;
	m->ncols = n;
	if (spec == NULL) {
		for (int f = 0; f < IMP_NFIELDS; f++)
			m->col[f] = find_column(m, field_names[f],
			    strlen(field_names[f]));
		return map_check(m, false, type_from, err, errlen);
	}
	for (const char *p = spec;;) {
		size_t len = strcspn(p, ",");

		if (len > 0 && map_one(m, p, len, err, errlen) != 0)
			return -1;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	return map_check(m, true, type_from, err, errlen);
}

/* ---- amounts ---- */

/* Whether s ends with sep and one or two digits: "12,50" looks like a
 * decimal comma, "12.50" like a decimal point. */
static bool
looks_decimal(const char *s, size_t len, char sep)
{
	size_t d = 0;

	while (d < len && d < 3 && s[len - 1 - d] >= '0' &&
	    s[len - 1 - d] <= '9')
		d++;
	return (d == 1 || d == 2) && len > d && s[len - 1 - d] == sep;
}

/* The group separator at s (1 .. 3 bytes), or 0: with a decimal point
 * ',' ' ' '\''; with a decimal comma '.' ' ' '\'' NBSP and narrow NBSP. */
static size_t
group_sep(const char *s, size_t left, bool decimal_comma)
{
	if (*s == ' ' || *s == '\'' || *s == (decimal_comma ? '.' : ','))
		return 1;
	if (left >= 2 && memcmp(s, "\xc2\xa0", 2) == 0)
		return 2;
	if (left >= 3 && memcmp(s, "\xe2\x80\xaf", 3) == 0)
		return 3;
	return 0;
}

/*
 * The digits of s[0..len) with thousands separators removed and the
 * decimal separator made '.', into buf; false when it is not a number
 * grouped by three.
 */
static bool
amount_canonical(const char *s, size_t len, bool decimal_comma, char *buf,
    size_t buflen)
{
	char dec = decimal_comma ? ',' : '.';
	size_t o = 0, cur = 0, g;
	bool grouped = false, frac = false;

	for (size_t i = 0; i < len; i++) {
		if (o + 2 >= buflen)
			return false;
		if (s[i] >= '0' && s[i] <= '9') {
			buf[o++] = s[i];
			cur += !frac;
		} else if (s[i] == dec && !frac) {
			if (grouped && cur != 3)
				return false;
			buf[o++] = '.';
			frac = true;
		} else if (!frac && (g = group_sep(s + i, len - i,
		    decimal_comma)) > 0) {
			if (cur == 0 || (grouped && cur != 3) || cur > 3)
				return false;
			grouped = true;
			cur = 0;
			i += g - 1;
		} else
			return false;
	}
	if (!frac && grouped && cur != 3)
		return false;
	buf[o] = '\0';
	return o > 0;
}

int
imp_amount_parse(const char *text, bool decimal_comma, int decimals,
    int64_t *minor, bool *negative, char *err, size_t errlen)
{
	size_t len = strlen(text);
	const char *s = trim(text, &len);
	bool paren = false, sign = false, neg = false;
	char buf[64];
	int64_t v;

	if (len >= 2 && s[0] == '(' && s[len - 1] == ')') {
		paren = neg = true;
		s++;
		len -= 2;
	}
	if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		sign = true;
		neg = s[0] == '-';
		s++, len--;
	} else if (len >= 3 && memcmp(s, "\xe2\x88\x92", 3) == 0) {
		sign = neg = true;	/* U+2212 MINUS SIGN */
		s += 3, len -= 3;
	} else if (len > 0 && s[len - 1] == '-') {
		sign = neg = true;
		len--;
	}
	s = trim(s, &len);
	if ((paren && sign) || !amount_canonical(s, len, decimal_comma, buf,
	    sizeof buf)) {
		len = strlen(text);
		s = trim(text, &len);
		errbuf_set(err, errlen, "'%s' is not an amount%s", text,
		    !decimal_comma && looks_decimal(s, len, ',') ?
		    " (if ',' is the decimal point, give --decimal-comma)" :
		    decimal_comma && looks_decimal(s, len, '.') ?
		    " (if '.' is the decimal point, leave out --decimal-comma)" :
		    "");
		return -1;
	}
	switch (money_parse(buf, strlen(buf), decimals, &v, NULL, 0)) {
	case MONEY_PARSE_OK:
		*minor = v;
		*negative = neg && v > 0;
		return 0;
	case MONEY_PARSE_DECIMALS:
		errbuf_set(err, errlen, "'%s' has more decimals than the book's "
		    "currency has (%d)", text, decimals);
		return -1;
	case MONEY_PARSE_RANGE:
		errbuf_set(err, errlen, "'%s' is more than one entry may hold",
		    text);
		return -1;
	default:
		errbuf_set(err, errlen, "'%s' is not an amount", text);
		return -1;
	}
}

/* ---- dates ---- */

static const char *const months[12] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
	"nov", "dec",
};

/* Read min..max digits at *p into *v. */
static bool
take_digits(const char **p, int min, int max, int *v)
{
	int n = 0;

	*v = 0;
	while (n < max && (*p)[0] >= '0' && (*p)[0] <= '9') {
		*v = *v * 10 + ((*p)[0] - '0');
		(*p)++;
		n++;
	}
	return n >= min;
}

static bool
take_month_name(const char **p, int *m)
{
	for (int i = 0; i < 12; i++) {
		if (same_name(*p, strnlen(*p, 3), months[i], 3, true)) {
			*p += 3;
			*m = i + 1;
			return true;
		}
	}
	return false;
}

int
imp_date_parse(const char *text, const char *fmt, char out[IMP_DATE_BUF])
{
	size_t len = strlen(text);
	const char *p = trim(text, &len), *end = p + len;
	char buf[40];
	int y = -1, m = -1, d = -1, v;

	for (const char *f = fmt; *f != '\0'; f++) {
		if (p > end)
			return -1;
		if (*f != '%' || f[1] == '%') {
			f += *f == '%';
			if (p == end || *p != *f)
				return -1;
			p++;
			continue;
		}
		switch (*++f) {
		case 'Y':
			if (!take_digits(&p, 4, 4, &y))
				return -1;
			break;
		case 'y':
			if (!take_digits(&p, 2, 2, &v))
				return -1;
			y = 2000 + v;
			break;
		case 'm':
			if (!take_digits(&p, 1, 2, &m))
				return -1;
			break;
		case 'd':
			if (!take_digits(&p, 1, 2, &d))
				return -1;
			break;
		case 'b':
			if (!take_month_name(&p, &m))
				return -1;
			break;
		default:
			return -1;
		}
	}
	if (p != end || y < 0 || m < 0 || d < 0)
		return -1;
	snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
	if (!caldate_parse(buf, strlen(buf), &y, &m, &d))
		return -1;
	memcpy(out, buf, IMP_DATE_BUF);
	return 0;
}

bool
imp_date_format_valid(const char *fmt)
{
	bool y = false, m = false, d = false;

	for (const char *f = fmt; *f != '\0'; f++) {
		if (*f != '%')
			continue;
		switch (*++f) {
		case 'Y': case 'y': y = true; break;
		case 'm': case 'b': m = true; break;
		case 'd': d = true; break;
		case '%': break;
		default: return false;
		}
	}
	return y && m && d;
}

/* The formats detection tries, most common first. */
static const char *const date_formats[] = {
	"%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y",
	"%m-%d-%Y", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%y", "%d/%m/%y",
	"%m/%d/%y", "%d %b %Y", "%d-%b-%Y", "%d %b %y", "%d-%b-%y",
	"%b %d %Y", "%Y%m%d",
};

#define NFORMATS	(sizeof date_formats / sizeof date_formats[0])

const char *
imp_date_detect(const char *const *dates, size_t n, size_t *bad, char *err,
    size_t errlen)
{
	size_t fits[NFORMATS], nfit = 0, best = 0, best_ok = 0;
	char a[IMP_DATE_BUF], b[IMP_DATE_BUF];

	for (size_t k = 0; k < NFORMATS; k++) {
		size_t ok = 0;

		while (ok < n && imp_date_parse(dates[ok], date_formats[k],
		    a) == 0)
			ok++;
		if (ok == n)
			fits[nfit++] = k;
		if (ok > best_ok || k == 0)
			best = k, best_ok = ok;
	}
	if (nfit == 0) {
		*bad = best_ok;
		errbuf_set(err, errlen, "'%s' is not a date in a format I know; "
		    "give its format with --date-format (e.g. '%%d.%%m.%%Y' for "
		    "31.01.2026)", dates[best_ok]);
		return NULL;
	}
	/* Several fit: ambiguous only where they read a date differently. */
	for (size_t i = 0; i < n; i++) {
		(void)imp_date_parse(dates[i], date_formats[fits[0]], a);
		for (size_t k = 1; k < nfit; k++) {
			(void)imp_date_parse(dates[i], date_formats[fits[k]], b);
			if (strcmp(a, b) == 0)
				continue;
			*bad = i;
			errbuf_set(err, errlen, "'%s' may be %s (%s) or %s (%s); "
			    "give the format with --date-format '%s' or "
			    "--date-format '%s'", dates[i], a,
			    date_formats[fits[0]], b, date_formats[fits[k]],
			    date_formats[fits[0]], date_formats[fits[k]]);
			return NULL;
		}
	}
	(void)best;
	return date_formats[fits[0]];
}

/* ---- rows ---- */

/* Whether s[0..len) has a control character (C0, DEL, C1) other than
 * newline and tab when lines. */
static bool
has_control(const char *s, size_t len, bool lines)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (lines && (c == '\n' || c == '\t'))
			continue;
		if (c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < len &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f))
			return true;
	}
	return false;
}

/* Where a row's error is: "line N, column 'NAME': ". */
struct where {
	size_t line;
	const char *col;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3)))
row_fail(const struct where *w, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (w->col != NULL)
		errbuf_set(w->err, w->errlen, "line %zu, column '%s': %s",
		    w->line, w->col, msg);
	else
		errbuf_set(w->err, w->errlen, "line %zu: %s", w->line, msg);
	return -1;
}

/* The cell of field f (NULL when not mapped), its column named in w. */
static const char *
cell(const struct imp_map *m, const char *const *fields, enum imp_field f,
    struct where *w)
{
	if (m->col[f] < 0)
		return NULL;
	w->col = m->header[m->col[f]];
	return fields[m->col[f]];
}

/* Copy s[0..len) into e's store at *used; the copy. */
static const char *
store_add(struct imp_entry *e, size_t *used, const char *s, size_t len)
{
	char *p = e->store + *used;

	memcpy(p, s, len);
	p[len] = '\0';
	*used += len + 1;
	return p;
}

static int
row_amount(const struct imp_map *m, const struct imp_read *r,
    const char *const *fields, struct imp_entry *e, struct where *w)
{
	const char *in, *out, *a;
	int64_t vin = 0, vout = 0;
	bool neg;
	char why[256];

	if (m->col[IMP_AMOUNT] >= 0) {
		a = cell(m, fields, IMP_AMOUNT, w);
		if (imp_amount_parse(a, r->decimal_comma, r->decimals,
		    &e->amount, &neg, why, sizeof why) != 0)
			return row_fail(w, "%s", why);
		if (e->amount == 0)
			return row_fail(w, "the amount is zero; an entry needs "
			    "more than 0");
		if (m->type_from == IMP_TYPE_SIGN) {
			e->out = neg;
			return 0;
		}
		if (neg)
			return row_fail(w, "'%s' is negative, but the type comes "
			    "from column '%s' (give --type-from sign if the "
			    "sign is the type)", a,
			    m->header[m->col[IMP_TYPE]]);
		return 0;
	}
	/* Debit and credit columns: exactly one has an amount. */
	if ((in = cell(m, fields, IMP_IN, w)) != NULL && in[strspn(in, " \t")]
	    != '\0' && imp_amount_parse(in, r->decimal_comma, r->decimals,
	    &vin, &neg, why, sizeof why) != 0)
		return row_fail(w, "%s", why);
	if ((out = cell(m, fields, IMP_OUT, w)) != NULL &&
	    out[strspn(out, " \t")] != '\0' && imp_amount_parse(out,
	    r->decimal_comma, r->decimals, &vout, &neg, why, sizeof why) != 0)
		return row_fail(w, "%s", why);
	w->col = NULL;
	if (vin > 0 && vout > 0)
		return row_fail(w, "both '%s' and '%s' have an amount; one row "
		    "is one entry", m->header[m->col[IMP_IN]],
		    m->header[m->col[IMP_OUT]]);
	if (vin == 0 && vout == 0)
		return row_fail(w, "no amount in %s%s%s%s%s", in != NULL ? "'" :
		    "", in != NULL ? m->header[m->col[IMP_IN]] : "",
		    in != NULL && out != NULL ? "' nor '" : in != NULL ? "'" :
		    "'", out != NULL ? m->header[m->col[IMP_OUT]] : "",
		    out != NULL ? "'" : "");
	e->out = vout > 0;
	e->amount = vout > 0 ? vout : vin;
	return 0;
}

static int
row_type(const struct imp_map *m, const char *const *fields,
    struct imp_entry *e, struct where *w)
{
	const char *t = cell(m, fields, IMP_TYPE, w);
	size_t len;

	if (m->type_from != IMP_TYPE_COLUMN)
		return 0;
	len = strlen(t);
	t = trim(t, &len);
	if (same_name(t, len, "in", 2, true))
		e->out = false;
	else if (same_name(t, len, "out", 3, true))
		e->out = true;
	else
		return row_fail(w, "'%.*s' is not a type (in or out)", (int)len,
		    t);
	return 0;
}

static int
row_date_time(const struct imp_map *m, const struct imp_read *r,
    const char *const *fields, struct imp_entry *e, struct where *w)
{
	const char *d = cell(m, fields, IMP_DATE, w), *t;
	size_t len;
	int h, min;
	char buf[8];

	if (imp_date_parse(d, r->date_format, e->date) != 0)
		return row_fail(w, "'%s' is not a date in the format '%s'", d,
		    r->date_format);
	if ((t = cell(m, fields, IMP_TIME, w)) == NULL)
		return 0;
	len = strlen(t);
	t = trim(t, &len);
	if (len == 0)
		return 0;
	/* H:MM and HH:MM:SS too; the seconds go (the wire has minutes). */
	if (len >= 4 && t[1] == ':')
		snprintf(buf, sizeof buf, "0%.4s", t);
	else
		snprintf(buf, sizeof buf, "%.5s", t);
	if (!caldate_parse_time(buf, 5, &h, &min) || (len != 4 && len != 5 &&
	    !(len == 8 && t[5] == ':' && t[6] >= '0' && t[6] <= '5' &&
	    t[7] >= '0' && t[7] <= '9')))
		return row_fail(w, "'%.*s' is not a time (HH:MM)", (int)len, t);
	if (len == 4 && t[1] != ':')
		return row_fail(w, "'%.*s' is not a time (HH:MM)", (int)len, t);
	memcpy(e->time, buf, 6);
	return 0;
}

static int
row_texts(const struct imp_map *m, const char *const *fields,
    struct imp_entry *e, size_t *used, struct where *w)
{
	for (int t = 0; t < IMP_T_COUNT; t++) {
		const char *s = cell(m, fields, text_fields[t], w);
		bool note = t == IMP_T_NOTE;
		size_t len, max = note ? CB_ENTRY_NOTE_MAX : CB_ENTRY_TEXT_MAX;

		if (s == NULL)
			continue;
		len = strlen(s);
		if (!note)	/* a note keeps its spaces, as typed */
			s = trim(s, &len);
		if (len == 0)
			continue;
		if (len > max)
			return row_fail(w, "%zu bytes; a %s holds at most %zu",
			    len, text_names[t], max);
		if (has_control(s, len, note))
			return row_fail(w, "a %s; only a note may have "
			    "several lines", !note && strchr(s, '\n') != NULL ?
			    "line break" : "control character");
		e->text[t] = store_add(e, used, s, len);
	}
	return 0;
}

static int
row_tags(const struct imp_map *m, const char *const *fields,
    struct imp_entry *e, size_t *used, struct where *w)
{
	const char *s = cell(m, fields, IMP_TAGS, w);

	for (const char *p = s; p != NULL;) {
		size_t len = strcspn(p, ","), tl = len;
		const char *t = trim(p, &tl);
		bool dup = false;

		for (size_t i = 0; i < e->ntags; i++)
			dup |= same_name(e->tags[i], strlen(e->tags[i]), t, tl,
			    false);
		if (tl > CB_ENTRY_TAG_MAX)
			return row_fail(w, "the tag '%.*s' is longer than %d "
			    "bytes", (int)tl, t, CB_ENTRY_TAG_MAX);
		if (has_control(t, tl, false))
			return row_fail(w, "a control character in a tag");
		if (tl > 0 && !dup) {
			if (e->ntags == CB_ENTRY_TAGS_MAX)
				return row_fail(w, "more than %d tags",
				    CB_ENTRY_TAGS_MAX);
			e->tags[e->ntags++] = store_add(e, used, t, tl);
		}
		p = p[len] == ',' ? p + len + 1 : NULL;
	}
	return 0;
}

int
imp_row_map(const struct imp_map *m, const struct imp_read *r,
    const char *const *fields, size_t n, size_t line, struct imp_entry *e,
    char *err, size_t errlen)
{
	struct where w = { line, NULL, err, errlen };
	size_t total = 0, used = 0;

	memset(e, 0, sizeof *e);
	e->line = line;
	if (n != m->ncols)
		return row_fail(&w, "%zu fields where the header has %zu (a "
		    "summary line? leave it out of the file)", n, m->ncols);
	for (size_t i = 0; i < n; i++)
		total += strlen(fields[i]) + 1;
	if ((e->store = malloc(total + 1)) == NULL) {
		errbuf_set(err, errlen, "out of memory");
		return -1;
	}
	if (row_date_time(m, r, fields, e, &w) != 0 ||
	    row_type(m, fields, e, &w) != 0 ||
	    row_amount(m, r, fields, e, &w) != 0 ||
	    row_texts(m, fields, e, &used, &w) != 0 ||
	    row_tags(m, fields, e, &used, &w) != 0)
		return -1;
	return 0;
}

void
imp_entry_free(struct imp_entry *e)
{
	free(e->store);
	e->store = NULL;
}

/* ---- keys ---- */

/*
 * FNV-1a, 128 bits.  Not a cryptographic hash, and it need not be: a key
 * is no secret and guards nothing.  Two different rows with one key (a
 * collision, about 2^-64 likely for a billion rows) cannot merge: the
 * daemon compares the stored fields and answers conflict, so the import
 * stops and says so; nothing is lost or booked twice.  Our dependencies
 * hold no SHA-256 on the client side (libargon2 keeps its BLAKE2b
 * private), and hand-rolling one is what we must not do.
 */
typedef unsigned __int128 imp_u128;

#define FNV128_OFFSET	(((imp_u128)0x6c62272e07bb0142u << 64) | \
			 0x62b821756295c58du)
#define FNV128_PRIME	(((imp_u128)0x0000000001000000u << 64) | 0x13bu)

static void
fnv(imp_u128 *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= FNV128_PRIME;
	}
}

/* A number as 8 bytes, little-endian, so that keys do not depend on the
 * machine. */
static void
fnv_u64(imp_u128 *h, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	fnv(h, b, sizeof b);
}

/* A string with its length first (absent: UINT64_MAX), so that field
 * boundaries cannot shift. */
static void
fnv_str(imp_u128 *h, const char *s)
{
	if (s == NULL) {
		fnv_u64(h, UINT64_MAX);
		return;
	}
	fnv_u64(h, strlen(s));
	fnv(h, s, strlen(s));
}

static imp_u128
entry_hash(const struct imp_entry *e, int64_t book_id)
{
	imp_u128 h = FNV128_OFFSET;

	fnv(&h, "cashbook-import-1", 17);
	fnv_u64(&h, (uint64_t)book_id);
	fnv_str(&h, e->out ? "out" : "in");
	fnv_u64(&h, (uint64_t)e->amount);
	fnv_str(&h, e->date);
	fnv_str(&h, e->time[0] != '\0' ? e->time : NULL);
	for (int t = 0; t < IMP_T_COUNT; t++)
		fnv_str(&h, e->text[t]);
	fnv_u64(&h, e->ntags);
	for (size_t i = 0; i < e->ntags; i++)
		fnv_str(&h, e->tags[i]);
	return h;
}

struct keyed {
	imp_u128 h;
	size_t i;
};

static int
keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int
imp_keys(struct imp_entry *e, size_t n, int64_t book_id)
{
	static const char hex[] = "0123456789abcdef";
	struct keyed *k = calloc(n > 0 ? n : 1, sizeof *k);
	uint64_t occurrence = 0;

	if (k == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		k[i].h = entry_hash(&e[i], book_id);
		k[i].i = i;
	}
	/* Identical rows sort together, in file order. */
	qsort(k, n, sizeof *k, keyed_cmp);
	for (size_t j = 0; j < n; j++) {
		imp_u128 h = k[j].h;
		char *key = e[k[j].i].key;

		occurrence = j > 0 && k[j - 1].h == h ? occurrence + 1 : 0;
		fnv_u64(&h, occurrence);
		memcpy(key, "imp1:", 5);
		for (int b = 0; b < 32; b++)
			key[5 + b] = hex[(unsigned)(h >> (124 - 4 * b)) & 15];
		key[37] = '\0';
	}
	free(k);
	return 0;
}

/* ---- profiles ---- */

bool
imp_profile_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > IMP_PROFILE_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return false;
	}
	return true;
}

/* The settings a profile holds, and where each lives in the struct. */
static char **
profile_slot(struct imp_profile *p, const char *key, size_t len)
{
	static const struct {
		const char *key;
		size_t off;
	} slots[] = {
		{ "map", offsetof(struct imp_profile, map) },
		{ "date-format", offsetof(struct imp_profile, date_format) },
		{ "delimiter", offsetof(struct imp_profile, delimiter) },
		{ "type-from", offsetof(struct imp_profile, type_from) },
		{ "skip-rows", offsetof(struct imp_profile, skip_rows) },
		{ "book", offsetof(struct imp_profile, book) },
	};

	for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
		if (strlen(slots[i].key) == len &&
		    memcmp(slots[i].key, key, len) == 0)
			return (char **)(void *)((char *)p + slots[i].off);
	}
	return NULL;
}

char *
imp_profile_format(const struct imp_profile *p)
{
	const struct {
		const char *key, *value;
	} kv[] = {
		{ "map", p->map },
		{ "date-format", p->date_format },
		{ "delimiter", p->delimiter },
		{ "type-from", p->type_from },
		{ "skip-rows", p->skip_rows },
		{ "book", p->book },
		{ "decimal-comma", p->decimal_comma ? "yes" : NULL },
	};
	size_t len = 64;
	char *buf;

	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
		len += kv[i].value != NULL ? strlen(kv[i].key) +
		    strlen(kv[i].value) + 2 : 0;
	if ((buf = malloc(len)) == NULL)
		return NULL;
	strcpy(buf, "# cashbookctl import profile\n");
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
		if (kv[i].value == NULL)
			continue;
		strcat(buf, kv[i].key);
		strcat(buf, "=");
		strcat(buf, kv[i].value);
		strcat(buf, "\n");
	}
	return buf;
}

int
imp_profile_parse(const char *text, struct imp_profile *p, char *err,
    size_t errlen)
{
	size_t lineno = 0;

	memset(p, 0, sizeof *p);
	for (const char *s = text; *s != '\0';) {
		size_t len = strcspn(s, "\n"), klen;
		const char *eq = memchr(s, '=', len), *v;
		char **slot;

		lineno++;
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (len == 0 || s[0] == '#')
			goto next;
		if (eq == NULL) {
			errbuf_set(err, errlen, "line %zu: not key=value",
			    lineno);
			goto fail;
		}
		klen = (size_t)(eq - s);
		v = eq + 1;
		if (same_name(s, klen, "decimal-comma", 13, false)) {
			size_t vlen = len - klen - 1;

			if (!same_name(v, vlen, "yes", 3, false) &&
			    !same_name(v, vlen, "no", 2, false)) {
				errbuf_set(err, errlen, "line %zu: "
				    "decimal-comma is yes or no", lineno);
				goto fail;
			}
			p->decimal_comma = vlen == 3;
			goto next;
		}
		if ((slot = profile_slot(p, s, klen)) == NULL) {
			errbuf_set(err, errlen, "line %zu: unknown setting "
			    "'%.*s'", lineno, (int)klen, s);
			goto fail;
		}
		free(*slot);
		if ((*slot = strndup(v, len - klen - 1)) == NULL) {
			errbuf_set(err, errlen, "out of memory");
			goto fail;
		}
next:
		s += strcspn(s, "\n");
		s += *s == '\n';
	}
	return 0;
fail:
	imp_profile_clear(p);
	return -1;
}

void
imp_profile_clear(struct imp_profile *p)
{
	free(p->map);
	free(p->date_format);
	free(p->delimiter);
	free(p->type_from);
	free(p->skip_rows);
	free(p->book);
	memset(p, 0, sizeof *p);
}
