/*
 * ctl_output.c -- cashbookctl's printing: a JSON emitter for msgpack
 * objects, label/value tables, human units, error reports.
 *
 * The JSON emitter must produce valid JSON from anything the server sends
 * (any msgpack value, including invalid UTF-8, binary, NaN, non-string map
 * keys), because scripts pipe --json into jq.  Recursion depth is bounded
 * by the scanner's nesting limit on every message the library accepts.
 *
 * Owns nothing; keeps no state.  Never talks to cashbookd.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_output.h"
#include "utf8.h"

/* Width of the label column in tables (longest label + a gap). */
#define CTL_LABEL_WIDTH 20

void
ctl_json_write_string(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	fputc('"', f);
	while (i < len) {
		unsigned char c = p[i];

		switch (c) {
		case '"':  fputs("\\\"", f); i++; continue;
		case '\\': fputs("\\\\", f); i++; continue;
		case '\b': fputs("\\b", f); i++; continue;
		case '\f': fputs("\\f", f); i++; continue;
		case '\n': fputs("\\n", f); i++; continue;
		case '\r': fputs("\\r", f); i++; continue;
		case '\t': fputs("\\t", f); i++; continue;
		default:   break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		n = utf8_char_len(p + i, len - i);
		if (n == 0) {
			/* Not UTF-8: JSON text must be, so say so visibly. */
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		fwrite(p + i, 1, n, f);
		i += n;
	}
	fputc('"', f);
}

static void
json_write_base64(FILE *f, const char *data, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)data;
	size_t i;

	fputc('"', f);
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		    p[i + 2];

		fputc(tab[v >> 18], f);
		fputc(tab[(v >> 12) & 63], f);
		fputc(tab[(v >> 6) & 63], f);
		fputc(tab[v & 63], f);
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		fputc(tab[v >> 18], f);
		fputc(tab[(v >> 12) & 63], f);
		fputs("==", f);
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		fputc(tab[v >> 18], f);
		fputc(tab[(v >> 12) & 63], f);
		fputc(tab[(v >> 6) & 63], f);
		fputc('=', f);
	}
	fputc('"', f);
}

/* The shortest %g form of d that reads back as d (floats carry 9 digits,
 * doubles 17); JSON has no NaN or infinity. */
static void
json_write_double(FILE *f, double d, bool single)
{
	char buf[40];
	int max = single ? 9 : 17;

	if (!isfinite(d)) {
		fputs("null", f);
		return;
	}
	for (int prec = 1; prec <= max; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (single ? (float)strtod(buf, NULL) == (float)d :
		    strtod(buf, NULL) == d)
			break;
	}
	/* %g never writes a bare "." or a leading "+", both JSON-invalid;
	 * "1e+20" and "-0" are valid JSON numbers. */
	fputs(buf, f);
}

/* A map key as a JSON string: strings as they are, anything else as the
 * text of its JSON. */
static void
json_write_key(FILE *f, const msgpack_object *k)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (k->type == MSGPACK_OBJECT_STR) {
		ctl_json_write_string(f, k->via.str.ptr, k->via.str.size);
		return;
	}
	mem = open_memstream(&text, &len);
	if (mem == NULL) {
		/* Still valid JSON; the key's text is lost, not the output. */
		fputs("\"?\"", f);
		return;
	}
	(void)ctl_json_write(mem, k);
	if (fclose(mem) != 0 || text == NULL)
		fputs("\"?\"", f);
	else
		ctl_json_write_string(f, text, len);
	free(text);
}

static void
json_write_value(FILE *f, const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		fputs("null", f);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "true" : "false", f);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(f, "%" PRIu64, o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(f, "%" PRId64, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
		json_write_double(f, o->via.f64, true);
		break;
	case MSGPACK_OBJECT_FLOAT64:
		json_write_double(f, o->via.f64, false);
		break;
	case MSGPACK_OBJECT_STR:
		ctl_json_write_string(f, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		json_write_base64(f, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_EXT:
		fprintf(f, "{\"ext\":%d,\"base64\":", (int)o->via.ext.type);
		json_write_base64(f, o->via.ext.ptr, o->via.ext.size);
		fputc('}', f);
		break;
	case MSGPACK_OBJECT_ARRAY:
		fputc('[', f);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i > 0)
				fputc(',', f);
			json_write_value(f, &o->via.array.ptr[i]);
		}
		fputc(']', f);
		break;
	case MSGPACK_OBJECT_MAP:
		fputc('{', f);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			if (i > 0)
				fputc(',', f);
			json_write_key(f, &o->via.map.ptr[i].key);
			fputc(':', f);
			json_write_value(f, &o->via.map.ptr[i].val);
		}
		fputc('}', f);
		break;
	default:
		fputs("null", f);
		break;
	}
}

int
ctl_json_write(FILE *f, const msgpack_object *o)
{
	json_write_value(f, o);
	return ferror(f) ? -1 : 0;
}

void
ctl_print_json_line(const msgpack_object *o)
{
	(void)ctl_json_write(stdout, o);
	fputc('\n', stdout);
	/* Write errors surface once, when main() flushes stdout. */
}

void
ctl_sanitize(const char *s, char *buf, size_t len)
{
	size_t i;

	if (len == 0)
		return;
	for (i = 0; s[i] != '\0' && i + 1 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[i] = '\0';
}

/* The protocol's field names as a person says them; others are named
 * with '_' as a space. */
static const struct {
	const char *field, *noun;
} field_nouns[] = {
	{ "name", "a book name" },
	{ "tags", "a tag" },
	{ "q", "a search text" },
	{ "username", "a username" },
	{ "currency", "a currency code" },
	{ "new_name", "a book name" },
	{ "new_password", "a password" },
	{ "old_password", "a password" },
};

/* "a category", "an idempotency key" for field[0..n). */
static void
field_noun(const char *field, size_t n, char *out, size_t len)
{
	size_t o;

	for (size_t i = 0; i < sizeof field_nouns / sizeof field_nouns[0];
	    i++) {
		if (strlen(field_nouns[i].field) == n &&
		    strncmp(field_nouns[i].field, field, n) == 0) {
			snprintf(out, len, "%s", field_nouns[i].noun);
			return;
		}
	}
	o = (size_t)snprintf(out, len, "%s ", strchr("aeiou", field[0]) !=
	    NULL ? "an" : "a");
	for (size_t i = 0; i < n && o + 1 < len; i++)
		out[o++] = field[i] == '_' ? ' ' : field[i];
	out[o < len ? o : len - 1] = '\0';
}

bool
ctl_field_words(const char *message, char *out, size_t len)
{
	const char *name = message + 7, *end, *rest;
	char noun[64];
	long long a, b;
	int used = 0;

	if (strncmp(message, "field '", 7) != 0 ||
	    (end = strchr(name, '\'')) == NULL || end == name)
		return false;
	field_noun(name, (size_t)(end - name), noun, sizeof noun);
	rest = end + 1;
	if (sscanf(rest, " must be %lld to %lld bytes%n", &a, &b, &used) == 2
	    && (rest[used] == '\0' || strcmp(rest + used, " (nil for none)")
	    == 0))
		snprintf(out, len, "%s is %lld to %lld bytes", noun, a, b);
	else if (sscanf(rest, " is longer than %lld bytes%n", &a, &used) ==
	    1 && rest[used] == '\0')
		snprintf(out, len, "%s is at most %lld bytes", noun, a);
	else if (sscanf(rest, " must be at least %lld bytes%n", &a, &used) ==
	    1 && rest[used] == '\0')
		snprintf(out, len, "%s is at least %lld bytes", noun, a);
	else if (strcmp(rest, " is empty") == 0)
		snprintf(out, len, "%s cannot be empty", noun);
	else if (strcmp(rest, " must be valid UTF-8 without control "
	    "characters") == 0)
		snprintf(out, len, "%s cannot hold control characters (tabs, "
		    "escapes) or bytes that are not UTF-8", noun);
	else
		return false;
	return true;
}

void
ctl_print_error(bool json, const char *server_code, const char *local_code,
    const char *message, const char *hint)
{
	char safe_code[64], safe_msg[512], words[256];
	const char *code = server_code != NULL ? server_code : local_code;

	if (message == NULL)
		message = "";
	/* A field the user gave, refused: said in their words, without
	 * the code (still in --json). */
	if (server_code != NULL && strcmp(server_code, "bad_request") == 0 &&
	    ctl_field_words(message, words, sizeof words)) {
		message = words;
		local_code = server_code;
		server_code = NULL;
	}
	ctl_sanitize(message, safe_msg, sizeof safe_msg);
	if (server_code != NULL) {
		ctl_sanitize(server_code, safe_code, sizeof safe_code);
		fprintf(stderr, "cashbookctl: %s: %s\n", safe_code, safe_msg);
	} else
		fprintf(stderr, "cashbookctl: %s\n", safe_msg);
	if (hint != NULL)
		fprintf(stderr, "hint: %s\n", hint);
	if (json) {
		fputs("{\"error\":{\"code\":", stdout);
		if (code != NULL)
			ctl_json_write_string(stdout, code, strlen(code));
		else
			fputs("null", stdout);
		fputs(",\"message\":", stdout);
		ctl_json_write_string(stdout, message, strlen(message));
		fputs("}}\n", stdout);
	}
}

void
ctl_print_section(const char *title)
{
	printf("%s\n", title);
}

void
ctl_print_row(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("  %-*s", CTL_LABEL_WIDTH, label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void
ctl_print_item(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%-*s", CTL_LABEL_WIDTH + 2, label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void
ctl_format_duration(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m %02" PRId64 "s", s / 60,
		    s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRId64 "h %02" PRId64 "m", s / 3600,
		    s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRId64 "d %02" PRId64 "h", s / 86400,
		    s % 86400 / 3600);
}

void
ctl_format_us_as_ms(int64_t us, char *buf, size_t len)
{
	if (us < 0)
		us = 0;
	/* Round to hundredths of a millisecond. */
	us = us / 10 + (us % 10 >= 5);
	snprintf(buf, len, "%" PRId64 ".%02" PRId64 " ms", us / 100,
	    us % 100);
}
