/*
 * test_args.c -- the declared-argument parser (daemon/args.c) and the
 * method table it reads:
 *
 *   - each argument type, its bounds and its nil rule, on a table made
 *     for the test, with the message a client would see;
 *   - the daemon's own table passes method_table_check;
 *   - every method's params, as its table declares them, are what
 *     docs/protocol.md says (argv[1] is that file), so the reference
 *     cannot drift from the code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "method.h"
#include "packbuf.h"
#include "rpc.h"
#include "tap.h"

static const char *docs_path;

/* ---- a table that uses every type ---- */

static const char *const colours[] = { "red", "green", "blue", NULL };

static int
even_check(struct call *call, const struct arg_spec *spec,
    struct arg_value *v)
{
	if (v->i % 2 != 0)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be "
		    "even", spec->name);
	v->decoded[0] = v->i / 2;
	return 0;
}

enum { T_N, T_FLAG, T_RAW, T_NAME, T_NOTE, T_DAY, T_AT, T_COLOUR, T_TAGS,
    T_HALF, T_CLEAR, T_KEEP, T_IDS };
static const struct arg_spec test_args[] = {
	[T_N] = { .name = "n", .type = ARG_INT, .flags = ARG_REQUIRED,
	    .min = -5, .max = 5 },
	[T_FLAG] = { .name = "flag", .type = ARG_BOOL },
	[T_RAW] = { .name = "raw", .type = ARG_STR, .min = 2, .max = 4 },
	[T_NAME] = { .name = "name", .type = ARG_TEXT, .min = 1, .max = 8 },
	[T_NOTE] = { .name = "note", .type = ARG_LINES, .min = 1, .max = 8 },
	[T_DAY] = { .name = "day", .type = ARG_DATE },
	[T_AT] = { .name = "at", .type = ARG_TIME },
	[T_COLOUR] = { .name = "colour", .type = ARG_ENUM,
	    .choices = colours },
	[T_TAGS] = { .name = "tags", .type = ARG_TAGS, .max = 3 },
	[T_HALF] = { .name = "half", .type = ARG_INT, .min = 0, .max = 100,
	    .check = even_check },
	[T_CLEAR] = { .name = "clear", .type = ARG_TEXT,
	    .flags = ARG_NIL_CLEARS, .min = 1, .max = 8 },
	[T_KEEP] = { .name = "keep", .type = ARG_DATE,
	    .flags = ARG_NIL_REFUSED },
	[T_IDS] = { .name = "ids", .type = ARG_IDS, .min = 1, .max = 3 },
	ARGS_END,
};

static int
test_exec(struct call *call)
{
	(void)call;
	return 0;
}

/* An array of maps, each with its own little table. */
enum { R_N, R_NAME };
static const struct arg_spec row_args[] = {
	[R_N] = { .name = "n", .type = ARG_INT, .flags = ARG_REQUIRED,
	    .min = 0, .max = 9 },
	[R_NAME] = { .name = "name", .type = ARG_TEXT, .min = 1, .max = 4 },
	ARGS_END,
};
static const struct arg_spec maps_args[] = {
	{ .name = "rows", .type = ARG_MAPS, .flags = ARG_REQUIRED, .min = 1,
	    .max = 3, .fields = row_args },
	ARGS_END,
};
static const struct method test_maps = {
	.name = "t.maps", .exec = test_exec, .args = maps_args,
};

static const struct method test_method = {
	.name = "t.all", .exec = test_exec, .args = test_args,
};
static const struct method test_patch = {
	.name = "t.patch", .exec = test_exec, .args = test_args,
	.flags = METHOD_PATCH,
};
static const struct method test_auth = {
	.name = "t.auth", .exec = test_exec, .args = test_args,
	.flags = METHOD_AUTH,
};

/*
 * Build a params map from (key, kind, value) triples ended by NULL, parse
 * it for m into *call, and return args_parse's result.  Kinds: 'i' int64,
 * 'b' bool, 's' string, 'n' nil, 'a' array of strings (NULL-ended
 * const char **), 'x' a string of raw bytes of length given next
 * (size_t), 'r' an encoded msgpack object, likewise.
 */
static struct packbuf test_pb;
static msgpack_unpacked test_msg;

static int
parse(struct call *call, const struct method *m, ...)
{
	va_list ap;
	const char *key;
	uint32_t n = 0;

	va_start(ap, m);
	while ((key = va_arg(ap, const char *)) != NULL) {
		int kind = va_arg(ap, int);

		n++;
		switch (kind) {
		case 'i': (void)va_arg(ap, long long); break;
		case 'b': (void)va_arg(ap, int); break;
		case 's': (void)va_arg(ap, const char *); break;
		case 'a': (void)va_arg(ap, const char **); break;
		case 'x':
		case 'r': (void)va_arg(ap, const char *);
			(void)va_arg(ap, size_t); break;
		}
	}
	va_end(ap);
	packbuf_clear(&test_pb);
	msgpack_pack_map(&test_pb.pk, n);
	va_start(ap, m);
	while ((key = va_arg(ap, const char *)) != NULL) {
		int kind = va_arg(ap, int);
		const char **arr, *s;
		uint32_t count = 0;

		rpc_pack_cstr(&test_pb.pk, key);
		switch (kind) {
		case 'i':
			msgpack_pack_int64(&test_pb.pk, va_arg(ap, long long));
			break;
		case 'b':
			rpc_pack_bool(&test_pb.pk, va_arg(ap, int));
			break;
		case 's':
			rpc_pack_cstr(&test_pb.pk, va_arg(ap, const char *));
			break;
		case 'n':
			msgpack_pack_nil(&test_pb.pk);
			break;
		case 'a':
			arr = va_arg(ap, const char **);
			while (arr[count] != NULL)
				count++;
			msgpack_pack_array(&test_pb.pk, count);
			for (uint32_t i = 0; i < count; i++)
				rpc_pack_cstr(&test_pb.pk, arr[i]);
			break;
		case 'x':
			s = va_arg(ap, const char *);
			msgpack_pack_str_with_body(&test_pb.pk, s,
			    va_arg(ap, size_t));
			break;
		case 'r':
			s = va_arg(ap, const char *);
			msgpack_sbuffer_write(&test_pb.sb, s,
			    va_arg(ap, size_t));
			break;
		}
	}
	va_end(ap);
	msgpack_unpacked_destroy(&test_msg);
	msgpack_unpacked_init(&test_msg);
	if (packbuf_failed(&test_pb) || rpc_decode(test_pb.sb.data,
	    test_pb.sb.size, &test_msg) != 0)
		abort();
	memset(call, 0, sizeof *call);
	call->method = m;
	call->params = &test_msg.data;
	return args_parse(call);
}

/* The parse fails bad_request with exactly msg. */
#define REFUSED(msg, ...) do {						\
	struct call c_;							\
	CHECK_EQ_INT(parse(&c_, __VA_ARGS__, NULL), -1);		\
	CHECK_EQ_INT(c_.code, CB_BAD_REQUEST);				\
	CHECK_EQ_STR(c_.message, msg);					\
} while (0)

static void
test_values(void)
{
	struct call c;
	const char *tags[] = { "a", "b c", NULL };
	const char *s;

	CHECK_EQ_INT(parse(&c, &test_method, "n", 'i', -5LL, "flag", 'b', 1,
	    "raw", 's', "ab\x01", "name", 's', "Zoë", "note", 's', "a\nb",
	    "day", 's', "2024-02-29", "at", 's', "23:59", "colour", 's',
	    "blue", "tags", 'a', tags, "half", 'i', 42LL, "ids", 'r',
	    "\x92\x05\xcf\x7f\xff\xff\xff\xff\xff\xff\xff", (size_t)11,
	    NULL), 0);
	CHECK_EQ_INT(c.args[T_N].state, ARG_GIVEN);
	CHECK_EQ_INT(c.args[T_N].i, -5);
	CHECK_EQ_INT(c.args[T_FLAG].i, 1);
	CHECK_EQ_INT(c.args[T_RAW].len, 3);
	CHECK(memcmp(c.args[T_RAW].s, "ab\x01", 3) == 0);
	CHECK_EQ_INT(c.args[T_NAME].len, 4);
	CHECK_EQ_INT(c.args[T_DAY].i, 20240229);
	CHECK_EQ_INT(c.args[T_AT].i, 23 * 60 + 59);
	CHECK_EQ_INT(c.args[T_COLOUR].i, 2);
	CHECK_EQ_STR(c.args[T_COLOUR].s, "blue");
	CHECK_EQ_INT(c.args[T_TAGS].len, 2);
	CHECK_EQ_INT(args_tag(&c.args[T_TAGS], 1, &s), 3);
	CHECK(memcmp(s, "b c", 3) == 0);
	CHECK_EQ_INT(c.args[T_HALF].decoded[0], 21);	/* the check ran */
	CHECK_EQ_INT(c.args[T_IDS].len, 2);
	CHECK_EQ_INT(args_id(&c.args[T_IDS], 0), 5);
	CHECK(args_id(&c.args[T_IDS], 1) == INT64_MAX);
	CHECK_EQ_INT(c.args[T_CLEAR].state, ARG_ABSENT);
	CHECK(call_has(&c, T_N) && !call_has(&c, T_CLEAR));
}

static void
test_nil_rules(void)
{
	struct call c;

	/* Optional: nil is absent.  NIL_CLEARS: a state of its own. */
	CHECK_EQ_INT(parse(&c, &test_method, "n", 'i', 0LL, "name", 'n',
	    "clear", 'n', NULL), 0);
	CHECK_EQ_INT(c.args[T_NAME].state, ARG_ABSENT);
	CHECK_EQ_INT(c.args[T_CLEAR].state, ARG_NIL);
	REFUSED("field 'keep' cannot be cleared", &test_method, "n", 'i',
	    0LL, "keep", 'n');
	/* Required: nil is the wrong type, and absent is missing. */
	REFUSED("field 'n' must be an integer", &test_method, "n", 'n');
	REFUSED("missing field 'n'", &test_method, "flag", 'b', 0);
}

static void
test_refusals(void)
{
	static const char *dup[] = { "x", "x", NULL };
	static const char *comma[] = { "a,b", NULL };
	static const char *semicolon[] = { "ok", ";", NULL };
	static const char *many[] = { "a", "b", "c", "d", NULL };

	REFUSED("field 'n' must be from -5 to 5", &test_method, "n", 'i', 6LL);
	REFUSED("field 'n' must be an integer", &test_method, "n", 's', "1");
	REFUSED("field 'flag' must be true or false", &test_method, "n", 'i',
	    0LL, "flag", 'i', 1LL);
	REFUSED("field 'raw' is longer than 4 bytes", &test_method, "n", 'i',
	    0LL, "raw", 's', "abcde");
	REFUSED("field 'raw' must be at least 2 bytes", &test_method, "n",
	    'i', 0LL, "raw", 's', "a");
	REFUSED("field 'name' must be 1 to 8 bytes (nil for none)",
	    &test_method, "n", 'i', 0LL, "name", 's', "");
	REFUSED("field 'name' must be valid UTF-8 without control characters",
	    &test_method, "n", 'i', 0LL, "name", 's', "a\nb");
	REFUSED("field 'name' must be valid UTF-8 without control characters",
	    &test_method, "n", 'i', 0LL, "name", 'x', "a\xff", (size_t)2);
	REFUSED("field 'day' must be a real date written YYYY-MM-DD, from "
	    "1900-01-01 to 9999-12-31", &test_method, "n", 'i', 0LL, "day",
	    's', "2023-02-29");
	REFUSED("field 'at' must be HH:MM from 00:00 to 23:59, or nil",
	    &test_method, "n", 'i', 0LL, "at", 's', "24:00");
	REFUSED("field 'colour' must be \"red\", \"green\" or \"blue\"",
	    &test_method, "n", 'i', 0LL, "colour", 's', "Red");
	REFUSED("field 'tags' holds 'x' twice", &test_method, "n", 'i', 0LL,
	    "tags", 'a', dup);
	REFUSED("field 'tags' holds 'a,b': a tag cannot contain ',' or ';' "
	    "(send separate tags as separate strings)", &test_method, "n",
	    'i', 0LL, "tags", 'a', comma);
	REFUSED("field 'tags' holds ';': a tag cannot contain ',' or ';' "
	    "(send separate tags as separate strings)", &test_method, "n",
	    'i', 0LL, "tags", 'a', semicolon);
	REFUSED("field 'tags' must be an array of at most 3 strings, or nil",
	    &test_method, "n", 'i', 0LL, "tags", 'a', many);
	REFUSED("field 'half' must be even", &test_method, "n", 'i', 0LL,
	    "half", 'i', 3LL);
	REFUSED("field 'ids' must be an array of 1 to 3 ids", &test_method,
	    "n", 'i', 0LL, "ids", 'r', "\x90", (size_t)1);
	REFUSED("field 'ids' must be an array of 1 to 3 ids", &test_method,
	    "n", 'i', 0LL, "ids", 'r', "\x94\x01\x02\x03\x04", (size_t)5);
	REFUSED("field 'ids' holds 5 twice", &test_method, "n", 'i', 0LL,
	    "ids", 'r', "\x92\x05\x05", (size_t)3);
	REFUSED("field 'ids' must hold positive integer ids (item 2 is not)",
	    &test_method, "n", 'i', 0LL, "ids", 'r', "\x92\x05\x00",
	    (size_t)3);
	REFUSED("field 'ids' must hold positive integer ids (item 1 is not)",
	    &test_method, "n", 'i', 0LL, "ids", 'r', "\x91\xff", (size_t)2);
	REFUSED("field 'ids' must hold positive integer ids (item 1 is not)",
	    &test_method, "n", 'i', 0LL, "ids", 'r', "\x91\xa1\x31",
	    (size_t)3);
	REFUSED("unknown field 'nn' for t.all", &test_method, "n", 'i', 0LL,
	    "nn", 'i', 1LL);
	REFUSED("field 'n' given twice", &test_method, "n", 'i', 0LL, "n",
	    'i', 0LL);
	/* token is for METHOD_AUTH methods only (the gateway reads it). */
	REFUSED("unknown field 'token' for t.all", &test_method, "n", 'i',
	    0LL, "token", 's', "x");
}

static void
test_patch_and_token(void)
{
	struct call c;

	REFUSED("nothing to change: give at least one of flag, raw, name, "
	    "note, day, at, colour, tags, half, clear, keep, ids", &test_patch,
	    "n", 'i', 1LL);
	/* A nil that clears is a change. */
	CHECK_EQ_INT(parse(&c, &test_patch, "n", 'i', 1LL, "clear", 'n',
	    NULL), 0);
	CHECK_EQ_INT(parse(&c, &test_auth, "n", 'i', 1LL, "token", 's', "t",
	    NULL), 0);
}

/* Arrays of maps: each item checked when parsed, with its index in the
 * message; read item by item afterwards. */
static void
test_maps_items(void)
{
	struct arg_value v[ARGS_MAX];
	struct call c;

	CHECK_EQ_INT(parse(&c, &test_maps, "rows", 'r', "\x92\x82\xa1n\x01"
	    "\xa4name\xa1" "a\x81\xa1n\x09", (size_t)16, NULL), 0);
	CHECK_EQ_INT(c.args[0].len, 2);
	CHECK_EQ_INT(args_parse_item(&c, &maps_args[0], &c.args[0], 0, v), 0);
	CHECK_EQ_INT(v[R_N].i, 1);
	CHECK_EQ_INT(v[R_NAME].len, 1);
	CHECK(memcmp(v[R_NAME].s, "a", 1) == 0);
	CHECK_EQ_INT(args_parse_item(&c, &maps_args[0], &c.args[0], 1, v), 0);
	CHECK_EQ_INT(v[R_N].i, 9);
	CHECK_EQ_INT(v[R_NAME].state, ARG_ABSENT);
	REFUSED("rows[1]: field 'n' must be from 0 to 9", &test_maps, "rows",
	    'r', "\x92\x81\xa1n\x01\x81\xa1n\x0a", (size_t)9);
	REFUSED("rows[0]: missing field 'n'", &test_maps, "rows", 'r',
	    "\x91\x80", (size_t)2);
	REFUSED("rows[0]: unknown field 'x'", &test_maps, "rows", 'r',
	    "\x91\x82\xa1n\x01\xa1x\x01", (size_t)8);
	REFUSED("rows[0]: field 'n' given twice", &test_maps, "rows", 'r',
	    "\x91\x82\xa1n\x01\xa1n\x01", (size_t)8);
	REFUSED("rows[2]: must be a map", &test_maps, "rows", 'r',
	    "\x93\x81\xa1n\x01\x81\xa1n\x01\x01", (size_t)10);
	REFUSED("field 'rows' must be an array of 1 to 3 maps", &test_maps,
	    "rows", 'r', "\x90", (size_t)1);
	REFUSED("field 'rows' must be an array of 1 to 3 maps", &test_maps,
	    "rows", 'r', "\x94\x80\x80\x80\x80", (size_t)5);
	REFUSED("field 'rows' must be an array of 1 to 3 maps", &test_maps,
	    "rows", 'r', "\x81\xa1n\x01", (size_t)4);
}

/* A map of 100,000 keys is refused at its first undeclared key. */
static void
test_big_map_is_cheap(void)
{
	struct call c;

	packbuf_clear(&test_pb);
	msgpack_pack_map(&test_pb.pk, 100000);
	for (int i = 0; i < 100000; i++) {
		char key[16];

		snprintf(key, sizeof key, "k%d", i);
		rpc_pack_cstr(&test_pb.pk, key);
		msgpack_pack_nil(&test_pb.pk);
	}
	msgpack_unpacked_destroy(&test_msg);
	msgpack_unpacked_init(&test_msg);
	REQUIRE(!packbuf_failed(&test_pb) && rpc_decode(test_pb.sb.data,
	    test_pb.sb.size, &test_msg) == 0);
	memset(&c, 0, sizeof c);
	c.method = &test_method;
	c.params = &test_msg.data;
	CHECK_EQ_INT(args_parse(&c), -1);
	CHECK_EQ_STR(c.message, "unknown field 'k0' for t.all");
}

static void
test_signatures(void)
{
	char sig[256];

	args_signature(&test_auth, sig, sizeof sig);
	CHECK_EQ_STR(sig, "{token, n, flag?, raw?, name?, note?, day?, at?, "
	    "colour?, tags?, half?, clear?, keep?, ids?}");
	args_signature(method_find("ping", 4), sig, sizeof sig);
	CHECK_EQ_STR(sig, "none");
	args_signature(method_find("book.get", 8), sig, sizeof sig);
	CHECK_EQ_STR(sig, "{token, book_id}");
}

static void
test_table_checks(void)
{
	static const struct arg_spec twice[] = {
		{ .name = "a", .type = ARG_BOOL },
		{ .name = "a", .type = ARG_BOOL },
		ARGS_END,
	};
	static const struct arg_spec token[] = {
		{ .name = "token", .type = ARG_STR, .max = 10 },
		ARGS_END,
	};
	static const struct arg_spec no_max[] = {
		{ .name = "s", .type = ARG_TEXT },
		ARGS_END,
	};
	static const struct arg_spec checked_item[] = {
		{ .name = "h", .type = ARG_INT, .max = 4,
		    .check = even_check },
		ARGS_END,
	};
	static const struct arg_spec item_checks[] = {
		{ .name = "rows", .type = ARG_MAPS, .max = 3,
		    .fields = checked_item },
		ARGS_END,
	};
	static const struct arg_spec nested[] = {
		{ .name = "rows", .type = ARG_MAPS, .max = 3,
		    .fields = maps_args },
		ARGS_END,
	};
	static const struct arg_spec no_fields[] = {
		{ .name = "rows", .type = ARG_MAPS, .max = 3 },
		ARGS_END,
	};
	struct method m = { .name = "t.bad", .exec = test_exec };
	char err[256];

	CHECK_EQ_INT(method_table_check(err, sizeof err), 0);
	CHECK_EQ_INT(args_spec_check(&test_method, err, sizeof err), 0);
	m.args = twice;
	CHECK_EQ_INT(args_spec_check(&m, err, sizeof err), -1);
	CHECK_EQ_STR(err, "t.bad declares 'a' twice");
	m.args = token;
	CHECK_EQ_INT(args_spec_check(&m, err, sizeof err), -1);
	m.args = no_max;
	CHECK_EQ_INT(args_spec_check(&m, err, sizeof err), -1);
	CHECK_EQ_INT(args_spec_check(&test_maps, err, sizeof err), 0);
	/* An item's check function would read call->args, not the item's;
	 * items of items would multiply the loop's work. */
	m.args = item_checks;
	CHECK_EQ_INT(args_spec_check(&m, err, sizeof err), -1);
	CHECK_EQ_STR(err, "rows: argument 'h' is declared inconsistently");
	m.args = nested;
	CHECK_EQ_INT(args_spec_check(&m, err, sizeof err), -1);
	m.args = no_fields;
	CHECK_EQ_INT(args_spec_check(&m, err, sizeof err), -1);
}

/* ---- docs/protocol.md says what the tables say ---- */

static char *docs;

static void
docs_method(const struct method *m, void *arg)
{
	char sig[512], row[640], section[640];
	int *missing = arg;

	args_signature(m, sig, sizeof sig);
	if (strcmp(sig, "none") == 0 || strcmp(sig, "any map") == 0)
		snprintf(row, sizeof row, "| `%s` | %s |", m->name, sig);
	else
		snprintf(row, sizeof row, "| `%s` | `%s` |", m->name, sig);
	snprintf(section, sizeof section, "### `%s`\n\nParams: %s.",
	    m->name, sig);
	if (strstr(docs, row) == NULL && strstr(docs, section) == NULL) {
		printf("# docs/protocol.md has no row %s (nor a section "
		    "\"### `%s`\" saying \"Params: %s.\")\n", row, m->name,
		    sig);
		(*missing)++;
	}
}

static void
test_docs_match_tables(void)
{
	FILE *f = fopen(docs_path, "r");
	long size;
	int missing = 0;

	REQUIRE(f != NULL);
	REQUIRE(fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0);
	rewind(f);
	REQUIRE((docs = malloc((size_t)size + 1)) != NULL);
	REQUIRE(fread(docs, 1, (size_t)size, f) == (size_t)size);
	docs[size] = '\0';
	fclose(f);
	method_each(docs_method, &missing);
	CHECK_EQ_INT(missing, 0);
	free(docs);
	docs = NULL;
}

int
main(int argc, char **argv)
{
	docs_path = argc > 1 ? argv[1] : "docs/protocol.md";
	packbuf_init(&test_pb);
	msgpack_unpacked_init(&test_msg);
	tap_run("each type's values", test_values);
	tap_run("nil: absent, clears, refused, wrong type", test_nil_rules);
	tap_run("each type's refusals, with their messages", test_refusals);
	tap_run("patch needs a change; token for auth methods",
	    test_patch_and_token);
	tap_run("arrays of maps: items checked, named and read",
	    test_maps_items);
	tap_run("a huge params map is refused at its first unknown key",
	    test_big_map_is_cheap);
	tap_run("signatures as the docs write them", test_signatures);
	tap_run("the method table and bad tables", test_table_checks);
	tap_run("docs/protocol.md gives every method's declared params",
	    test_docs_match_tables);
	msgpack_unpacked_destroy(&test_msg);
	packbuf_destroy(&test_pb);
	return tap_done();
}
