/*
 * test_proto.c -- unit tests for the shared protocol codec: the scanner
 * (scan.c), the message codec (rpc.c), the error code names (errors.c) and
 * the UTF-8 rule (utf8.c).
 *
 * Messages are built either with msgpack-c's packer or as literal bytes
 * when the exact encoding matters (headers that declare more than is sent,
 * the invalid byte 0xc1, ...).  Every check compares exact values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "cb_limits.h"
#include "errors.h"
#include "methods.h"
#include "rpc.h"
#include "scan.h"
#include "utf8.h"

#include "tap.h"

#define MIB (1024u * 1024u)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---------------------------------------------------------- */

/* A packer writing into its own growing buffer. */
struct pkbuf {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

static void
pkbuf_init(struct pkbuf *b)
{
	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

static void
pkbuf_destroy(struct pkbuf *b)
{
	msgpack_sbuffer_destroy(&b->sb);
}

/* Scan buf[0..len) one-shot from a fresh scanner. */
static enum scan_status
scan_once(const void *buf, size_t len, size_t max_bytes, unsigned max_depth,
    size_t *msg_len)
{
	struct scanner s;

	scan_reset(&s);
	*msg_len = 0;
	return scan_feed(&s, buf, len, max_bytes, max_depth, msg_len);
}

/* Scan buf[0..len) fed one more byte at a time, as a socket might; stops
 * at the first result other than NEED_MORE.  *calls counts the feeds. */
static enum scan_status
scan_bytewise(const void *buf, size_t len, size_t max_bytes,
    unsigned max_depth, size_t *msg_len, size_t *calls)
{
	struct scanner s;
	enum scan_status st = SCAN_NEED_MORE;

	scan_reset(&s);
	*msg_len = 0;
	*calls = 0;
	for (size_t n = 1; n <= len; n++) {
		(*calls)++;
		st = scan_feed(&s, buf, n, max_bytes, max_depth, msg_len);
		if (st != SCAN_NEED_MORE)
			break;
	}
	return st;
}

/* Decode + parse packed bytes; returns rpc_parse's result.  *u must be
 * destroyed by the caller (also after a failure). */
static int
decode_parse(const void *buf, size_t len, msgpack_unpacked *u,
    struct rpc_message *m, uint32_t *msgid, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (rpc_decode(buf, len, u) != 0) {
		snprintf(err, errlen, "(rpc_decode failed)");
		return -2;
	}
	return rpc_parse(&u->data, m, msgid, err, errlen);
}

/* True when the len bytes at p (not NUL-ended, may be NULL) are s. */
static int
mem_is(const char *p, size_t len, const char *s)
{
	return p != NULL && len == strlen(s) && memcmp(p, s, len) == 0;
}

/* ---- error codes ------------------------------------------------------ */

static void
test_code_names_round_trip(void)
{
	for (int c = 0; c < CB_CODE_COUNT; c++) {
		const char *name = cb_code_name((enum cb_code)c);

		REQUIRE(name != NULL);
		CHECK(strlen(name) > 0);
		CHECK_EQ_INT(cb_code_from_name(name, strlen(name)), c);
		/* Names are unique. */
		for (int d = 0; d < c; d++)
			CHECK(strcmp(name, cb_code_name((enum cb_code)d)) != 0);
	}
	CHECK_EQ_STR(cb_code_name(CB_CODE_NONE), "ok");
	CHECK_EQ_STR(cb_code_name(CB_BAD_REQUEST), "bad_request");
	CHECK_EQ_STR(cb_code_name(CB_NOT_FOUND), "not_found");
	CHECK_EQ_STR(cb_code_name(CB_PROTOCOL_ERROR), "protocol_error");
	CHECK_EQ_STR(cb_code_name(CB_CODE_COUNT), "internal");
	CHECK_EQ_STR(cb_code_name((enum cb_code)-1), "internal");
	CHECK_EQ_INT(cb_code_from_name("no_such_code", 12), CB_INTERNAL);
	CHECK_EQ_INT(cb_code_from_name("not_foun", 8), CB_INTERNAL);
	CHECK_EQ_INT(cb_code_from_name("not_found_", 10), CB_INTERNAL);
	/* Not NUL-terminated on the wire: only len bytes count. */
	CHECK_EQ_INT(cb_code_from_name("conflictXYZ", 8), CB_CONFLICT);
	CHECK_EQ_INT(cb_code_from_name("", 0), CB_INTERNAL);
}

/* ---- scanner: formats ------------------------------------------------- */

struct scan_case {
	const char *what;
	const uint8_t *bytes;
	size_t len;
};

#define SC(what, ...) { what, (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ }) }

/* One complete message per msgpack format. */
static const struct scan_case format_cases[] = {
	SC("nil", 0xc0),
	SC("false", 0xc2),
	SC("true", 0xc3),
	SC("positive fixint 0", 0x00),
	SC("positive fixint 127", 0x7f),
	SC("negative fixint -32", 0xe0),
	SC("negative fixint -1", 0xff),
	SC("uint8", 0xcc, 0xff),
	SC("uint16", 0xcd, 0xff, 0xff),
	SC("uint32", 0xce, 0xff, 0xff, 0xff, 0xff),
	SC("uint64", 0xcf, 1, 2, 3, 4, 5, 6, 7, 8),
	SC("int8", 0xd0, 0x80),
	SC("int16", 0xd1, 0x80, 0x00),
	SC("int32", 0xd2, 0x80, 0, 0, 0),
	SC("int64", 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0),
	SC("float32", 0xca, 0x3f, 0x80, 0, 0),
	SC("float64", 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0),
	SC("fixstr empty", 0xa0),
	SC("fixstr abc", 0xa3, 'a', 'b', 'c'),
	SC("fixstr 31", 0xbf, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31),
	SC("str8", 0xd9, 2, 'h', 'i'),
	SC("str8 empty", 0xd9, 0),
	SC("str16", 0xda, 0, 3, 'a', 'b', 'c'),
	SC("str32", 0xdb, 0, 0, 0, 1, 'z'),
	SC("bin8", 0xc4, 2, 0, 1),
	SC("bin16", 0xc5, 0, 1, 0xc1),
	SC("bin32", 0xc6, 0, 0, 0, 2, 0xc1, 0xc1),
	SC("ext8", 0xc7, 2, 5, 0xaa, 0xbb),
	SC("ext8 empty", 0xc7, 0, 5),
	SC("ext16", 0xc8, 0, 1, 5, 0xaa),
	SC("ext32", 0xc9, 0, 0, 0, 3, 0xff, 1, 2, 3),
	SC("fixext1", 0xd4, 1, 0xaa),
	SC("fixext2", 0xd5, 1, 0xaa, 0xbb),
	SC("fixext4", 0xd6, 0xff, 0, 0, 0, 1),
	SC("fixext8", 0xd7, 0xff, 1, 2, 3, 4, 5, 6, 7, 8),
	SC("fixext16", 0xd8, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	    15, 16),
	SC("fixarray empty", 0x90),
	SC("fixarray 2", 0x92, 0x01, 0xc0),
	SC("fixarray 15", 0x9f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	    15),
	SC("array16 empty", 0xdc, 0, 0),
	SC("array16", 0xdc, 0, 2, 0xc2, 0xc3),
	SC("array32 empty", 0xdd, 0, 0, 0, 0),
	SC("array32", 0xdd, 0, 0, 0, 1, 0xa1, 'x'),
	SC("fixmap empty", 0x80),
	SC("fixmap", 0x81, 0xa1, 'k', 0x01),
	SC("map16 empty", 0xde, 0, 0),
	SC("map16", 0xde, 0, 1, 0x01, 0x02),
	SC("map32 empty", 0xdf, 0, 0, 0, 0),
	SC("map32", 0xdf, 0, 0, 0, 2, 1, 2, 3, 0xc0),
	SC("nested empties", 0x92, 0x90, 0x91, 0x80),
	SC("map of arrays", 0x82, 0x90, 0x91, 0x90, 0x81, 0xc0, 0x90, 0x01),
};

static void
test_scan_every_format(void)
{
	for (size_t i = 0; i < ARRAY_LEN(format_cases); i++) {
		const struct scan_case *c = &format_cases[i];
		uint8_t buf[64];
		size_t n = 0;
		enum scan_status st;

		REQUIRE(c->len + 3 <= sizeof(buf));
		st = scan_once(c->bytes, c->len, MIB, CB_MAX_NESTING, &n);
		if (st != SCAN_COMPLETE || n != c->len)
			printf("# format case: %s\n", c->what);
		CHECK_EQ_INT(st, SCAN_COMPLETE);
		CHECK_EQ_INT(n, c->len);

		/* Followed by more bytes (even invalid ones): the scanner
		 * stops at the end of the first message. */
		memcpy(buf, c->bytes, c->len);
		buf[c->len] = 0xc1;
		buf[c->len + 1] = 0xdd;
		buf[c->len + 2] = 0xff;
		st = scan_once(buf, c->len + 3, MIB, CB_MAX_NESTING, &n);
		CHECK_EQ_INT(st, SCAN_COMPLETE);
		CHECK_EQ_INT(n, c->len);

		/* Every strict prefix is incomplete. */
		for (size_t k = 0; k < c->len; k++) {
			st = scan_once(c->bytes, k, MIB, CB_MAX_NESTING, &n);
			if (st != SCAN_NEED_MORE)
				printf("# format case: %s prefix %zu\n",
				    c->what, k);
			CHECK_EQ_INT(st, SCAN_NEED_MORE);
		}
	}
}

static void
test_scan_invalid_byte(void)
{
	const struct scan_case bad[] = {
		SC("c1", 0xc1),
		SC("c1 in array", 0x92, 0x01, 0xc1),
		SC("c1 as map key", 0x81, 0xc1, 0x01),
		SC("c1 as map value", 0x81, 0x01, 0xc1),
		SC("c1 deep", 0x91, 0x91, 0x91, 0xc1, 0x00),
	};
	size_t n = 99;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_EQ_INT(scan_once(bad[i].bytes, bad[i].len, MIB,
		    CB_MAX_NESTING, &n), SCAN_INVALID);
	}
	/* Inside a str payload 0xc1 is just a byte. */
	{
		static const uint8_t ok[] = { 0xa2, 0xc1, 0xc1 };

		CHECK_EQ_INT(scan_once(ok, sizeof(ok), MIB, CB_MAX_NESTING,
		    &n), SCAN_COMPLETE);
		CHECK_EQ_INT(n, 3);
	}
	/* The status is final: feeding more returns it again. */
	{
		static const uint8_t b[] = { 0x92, 0xc1, 0x01, 0x02 };
		struct scanner s;

		scan_reset(&s);
		CHECK_EQ_INT(scan_feed(&s, b, 2, MIB, CB_MAX_NESTING, &n),
		    SCAN_INVALID);
		CHECK_EQ_INT(scan_feed(&s, b, 4, MIB, CB_MAX_NESTING, &n),
		    SCAN_INVALID);
	}
}

/* ---- scanner: truncation and resumption ------------------------------- */

/* A request with a bit of everything in its params. */
static void
pack_rich_request(struct pkbuf *b, uint32_t msgid)
{
	msgpack_packer *pk = &b->pk;

	CHECK_EQ_INT(rpc_pack_request_head(pk, msgid, "entry.add"), 0);
	CHECK_EQ_INT(msgpack_pack_array(pk, 1), 0);
	CHECK_EQ_INT(msgpack_pack_map(pk, 6), 0);
	CHECK_EQ_INT(rpc_pack_cstr(pk, "account"), 0);
	CHECK_EQ_INT(rpc_pack_cstr(pk, "cash"), 0);
	CHECK_EQ_INT(rpc_pack_cstr(pk, "amount"), 0);
	CHECK_EQ_INT(msgpack_pack_int64(pk, -1234567890123LL), 0);
	CHECK_EQ_INT(rpc_pack_cstr(pk, "rate"), 0);
	CHECK_EQ_INT(msgpack_pack_double(pk, 0.25), 0);
	CHECK_EQ_INT(rpc_pack_cstr(pk, "tags"), 0);
	CHECK_EQ_INT(msgpack_pack_array(pk, 3), 0);
	CHECK_EQ_INT(rpc_pack_cstr(pk, "food"), 0);
	CHECK_EQ_INT(msgpack_pack_nil(pk), 0);
	CHECK_EQ_INT(msgpack_pack_map(pk, 0), 0);
	CHECK_EQ_INT(rpc_pack_cstr(pk, "raw"), 0);
	CHECK_EQ_INT(msgpack_pack_bin(pk, 3), 0);
	CHECK_EQ_INT(msgpack_pack_bin_body(pk, "\x00\xc1\xff", 3), 0);
	CHECK_EQ_INT(rpc_pack_cstr(pk, "memo"), 0);
	/* 40 bytes: a str8, not a fixstr */
	CHECK_EQ_INT(rpc_pack_cstr(pk,
	    "a memo that is longer than 31 bytes ...."), 0);
}

static void
test_scan_truncated_every_offset(void)
{
	struct pkbuf b;
	size_t n = 0;

	pkbuf_init(&b);
	pack_rich_request(&b, 77);
	REQUIRE(b.sb.size > 40);
	for (size_t k = 0; k < b.sb.size; k++) {
		enum scan_status st = scan_once(b.sb.data, k, MIB,
		    CB_MAX_NESTING, &n);

		if (st != SCAN_NEED_MORE)
			printf("# prefix %zu of %zu\n", k, b.sb.size);
		CHECK_EQ_INT(st, SCAN_NEED_MORE);
	}
	CHECK_EQ_INT(scan_once(b.sb.data, b.sb.size, MIB, CB_MAX_NESTING, &n),
	    SCAN_COMPLETE);
	CHECK_EQ_INT(n, b.sb.size);
	pkbuf_destroy(&b);
}

static void
test_scan_bytewise_equals_one_shot(void)
{
	struct pkbuf b;
	size_t n1 = 0, n2 = 0, calls = 0;
	enum scan_status st;

	pkbuf_init(&b);
	pack_rich_request(&b, 5);
	st = scan_bytewise(b.sb.data, b.sb.size, MIB, CB_MAX_NESTING, &n2,
	    &calls);
	CHECK_EQ_INT(st, SCAN_COMPLETE);
	CHECK_EQ_INT(n2, b.sb.size);
	CHECK_EQ_INT(calls, b.sb.size);	/* complete exactly at the last byte */
	CHECK_EQ_INT(scan_once(b.sb.data, b.sb.size, MIB, CB_MAX_NESTING,
	    &n1), SCAN_COMPLETE);
	CHECK_EQ_INT(n1, n2);

	/* Irregular chunks (1, 2, 3, 1, 2, 3, ...) give the same answer. */
	{
		struct scanner s;
		size_t fed = 0, step = 0, n3 = 0;

		scan_reset(&s);
		st = SCAN_NEED_MORE;
		while (st == SCAN_NEED_MORE && fed < b.sb.size) {
			fed += 1 + (step++ % 3);
			if (fed > b.sb.size)
				fed = b.sb.size;
			st = scan_feed(&s, (const uint8_t *)b.sb.data, fed,
			    MIB, CB_MAX_NESTING, &n3);
		}
		CHECK_EQ_INT(st, SCAN_COMPLETE);
		CHECK_EQ_INT(n3, b.sb.size);
	}
	pkbuf_destroy(&b);

	/* Failures come at the same place byte by byte as one-shot. */
	{
		static const uint8_t bad[] = { 0x93, 0x01, 0xa2, 'h', 'i',
		    0xdd, 0x00, 0x10, 0x00, 0x00, 0x00 };

		CHECK_EQ_INT(scan_once(bad, sizeof(bad), MIB, CB_MAX_NESTING,
		    &n1), SCAN_TOO_LARGE);
		CHECK_EQ_INT(scan_bytewise(bad, sizeof(bad), MIB,
		    CB_MAX_NESTING, &n2, &calls), SCAN_TOO_LARGE);
		/* The array32 header is complete at byte 10. */
		CHECK_EQ_INT(calls, 10);
	}
}

static void
test_scan_back_to_back(void)
{
	struct pkbuf b;
	size_t first, second, n = 0;
	struct scanner s;

	pkbuf_init(&b);
	CHECK_EQ_INT(rpc_pack_request_head(&b.pk, 1, CB_METHOD_PING), 0);
	CHECK_EQ_INT(msgpack_pack_array(&b.pk, 0), 0);
	first = b.sb.size;
	pack_rich_request(&b, 2);
	second = b.sb.size - first;
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, 3), 0);	/* a bare scalar */

	scan_reset(&s);
	CHECK_EQ_INT(scan_feed(&s, (const uint8_t *)b.sb.data, b.sb.size, MIB,
	    CB_MAX_NESTING, &n), SCAN_COMPLETE);
	CHECK_EQ_INT(n, first);
	CHECK_EQ_INT(first, 9);	/* 94 00 01 a4 p i n g 90 */

	scan_reset(&s);
	CHECK_EQ_INT(scan_feed(&s, (const uint8_t *)b.sb.data + first,
	    b.sb.size - first, MIB, CB_MAX_NESTING, &n), SCAN_COMPLETE);
	CHECK_EQ_INT(n, second);

	scan_reset(&s);
	CHECK_EQ_INT(scan_feed(&s, (const uint8_t *)b.sb.data + first + second,
	    b.sb.size - first - second, MIB, CB_MAX_NESTING, &n),
	    SCAN_COMPLETE);
	CHECK_EQ_INT(n, 1);
	pkbuf_destroy(&b);
}

/* ---- scanner: bounds -------------------------------------------------- */

static void
test_scan_oversize_headers(void)
{
	const struct scan_case big[] = {
		SC("array32 max", 0xdd, 0xff, 0xff, 0xff, 0xff),
		SC("map32 max", 0xdf, 0xff, 0xff, 0xff, 0xff),
		SC("str32 max", 0xdb, 0xff, 0xff, 0xff, 0xff),
		SC("bin32 max", 0xc6, 0xff, 0xff, 0xff, 0xff),
		SC("ext32 max", 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01),
		/* 1 MiB of elements plus the 5-byte header */
		SC("array32 1MiB", 0xdd, 0x00, 0x10, 0x00, 0x00),
		/* 512 Ki pairs = 1 MiB elements */
		SC("map32 512Ki", 0xdf, 0x00, 0x08, 0x00, 0x00),
		SC("str32 1MiB", 0xdb, 0x00, 0x10, 0x00, 0x00),
		SC("bin32 1MiB", 0xc6, 0x00, 0x10, 0x00, 0x00),
		SC("ext32 1MiB", 0xc9, 0x00, 0x10, 0x00, 0x00, 0x01),
		/* nested: the inner declaration plus the outer's debt */
		SC("inner str", 0x92, 0xdb, 0x00, 0x0f, 0xff, 0xfc),
		SC("inner array", 0x91, 0x91, 0xdd, 0x00, 0x0f, 0xff, 0xfc),
	};
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_LEN(big); i++) {
		enum scan_status st = scan_once(big[i].bytes, big[i].len, MIB,
		    CB_MAX_NESTING, &n);

		if (st != SCAN_TOO_LARGE)
			printf("# oversize case: %s\n", big[i].what);
		CHECK_EQ_INT(st, SCAN_TOO_LARGE);
	}

	/* One less and they fit: valid so far, need more. */
	{
		static const uint8_t arr[] = { 0xdd, 0x00, 0x0f, 0xff, 0xfb };
		static const uint8_t str[] = { 0xdb, 0x00, 0x0f, 0xff, 0xfb };
		static const uint8_t map[] = { 0xdf, 0x00, 0x07, 0xff, 0xfd };
		static const uint8_t inner[] = { 0x92, 0xdb, 0x00, 0x0f,
		    0xff, 0xf9 };

		CHECK_EQ_INT(scan_once(arr, sizeof(arr), MIB, CB_MAX_NESTING,
		    &n), SCAN_NEED_MORE);
		CHECK_EQ_INT(scan_once(str, sizeof(str), MIB, CB_MAX_NESTING,
		    &n), SCAN_NEED_MORE);
		CHECK_EQ_INT(scan_once(map, sizeof(map), MIB, CB_MAX_NESTING,
		    &n), SCAN_NEED_MORE);
		/* 1 + 5 + (1 MiB - 7) + 1 owed = 1 MiB */
		CHECK_EQ_INT(scan_once(inner, sizeof(inner), MIB,
		    CB_MAX_NESTING, &n), SCAN_NEED_MORE);
	}

	/* A small limit: str8 of 96 in an array of 2 under 100 bytes. */
	{
		static const uint8_t fits[] = { 0x92, 0xd9, 96 };
		static const uint8_t over[] = { 0x92, 0xd9, 97 };

		CHECK_EQ_INT(scan_once(fits, 3, 100, CB_MAX_NESTING, &n),
		    SCAN_NEED_MORE);
		CHECK_EQ_INT(scan_once(over, 3, 100, CB_MAX_NESTING, &n),
		    SCAN_TOO_LARGE);
	}

	/* An incomplete header already too big for what is left. */
	{
		static const uint8_t u64[] = { 0xcf, 0x00 };
		static const uint8_t arr[] = { 0x92, 0x01 };

		CHECK_EQ_INT(scan_once(u64, 2, 8, CB_MAX_NESTING, &n),
		    SCAN_TOO_LARGE);
		CHECK_EQ_INT(scan_once(u64, 2, 9, CB_MAX_NESTING, &n),
		    SCAN_NEED_MORE);
		/* array of 2 needs 3 bytes at least */
		CHECK_EQ_INT(scan_once(arr, 1, 2, CB_MAX_NESTING, &n),
		    SCAN_TOO_LARGE);
		CHECK_EQ_INT(scan_once(arr, 2, 3, CB_MAX_NESTING, &n),
		    SCAN_NEED_MORE);
	}

	/* A header cut short that could not fit even when it is complete:
	 * too large now, so the caller never buffers past the limit. */
	{
		static const uint8_t arr[] = { 0xdd, 0x00 };
		static const uint8_t ext[] = { 0xc9, 0x00, 0x00 };
		static const uint8_t inner[] = { 0x92, 0xdc, 0x00 };

		CHECK_EQ_INT(scan_once(arr, 2, 4, CB_MAX_NESTING, &n),
		    SCAN_TOO_LARGE);
		CHECK_EQ_INT(scan_once(arr, 2, 5, CB_MAX_NESTING, &n),
		    SCAN_NEED_MORE);
		CHECK_EQ_INT(scan_once(ext, 3, 5, CB_MAX_NESTING, &n),
		    SCAN_TOO_LARGE);
		CHECK_EQ_INT(scan_once(ext, 3, 6, CB_MAX_NESTING, &n),
		    SCAN_NEED_MORE);
		/* 1 + 3 + 1 owed sibling = 5 */
		CHECK_EQ_INT(scan_once(inner, 3, 4, CB_MAX_NESTING, &n),
		    SCAN_TOO_LARGE);
		CHECK_EQ_INT(scan_once(inner, 3, 5, CB_MAX_NESTING, &n),
		    SCAN_NEED_MORE);
	}

	/* A limit near SIZE_MAX must not overflow anything. */
	{
		static const uint8_t arr[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
		static const uint8_t map[] = { 0xdf, 0xff, 0xff, 0xff, 0xff };
		static const uint8_t str[] = { 0x91, 0xdb, 0xff, 0xff, 0xff,
		    0xff };

		CHECK_EQ_INT(scan_once(arr, 5, SIZE_MAX, CB_MAX_NESTING, &n),
		    SCAN_NEED_MORE);
		/* 2^33 - 2 elements do not fit the per-container counter */
		CHECK_EQ_INT(scan_once(map, 5, SIZE_MAX, CB_MAX_NESTING, &n),
		    SCAN_TOO_LARGE);
		CHECK_EQ_INT(scan_once(str, 6, SIZE_MAX, CB_MAX_NESTING, &n),
		    SCAN_NEED_MORE);
	}

	/* A limit lowered in the middle of a message is enforced from the
	 * next element on (no wrap-around in the remaining room). */
	{
		static const uint8_t arr[] = { 0x93, 0x01, 0x01, 0x01 };
		struct scanner s;

		scan_reset(&s);
		CHECK_EQ_INT(scan_feed(&s, arr, 2, 100, CB_MAX_NESTING, &n),
		    SCAN_NEED_MORE);
		CHECK_EQ_INT(scan_feed(&s, arr, 4, 2, CB_MAX_NESTING, &n),
		    SCAN_TOO_LARGE);
	}

	/* A zero limit fits nothing. */
	{
		static const uint8_t nil[] = { 0xc0 };

		CHECK_EQ_INT(scan_once(nil, 1, 0, CB_MAX_NESTING, &n),
		    SCAN_TOO_LARGE);
		CHECK_EQ_INT(scan_once(nil, 1, 1, CB_MAX_NESTING, &n),
		    SCAN_COMPLETE);
	}
}

static void
test_scan_exact_limit(void)
{
	const size_t limit = CB_MIN_MAX_MESSAGE_BYTES;	/* 1024 */
	uint8_t *buf = malloc(limit + 16);
	size_t n = 0;

	REQUIRE(buf != NULL);

	/* [str16 of 1020 bytes]: 1 + 3 + 1020 = 1024 */
	memset(buf, 'x', limit + 16);
	buf[0] = 0x91;
	buf[1] = 0xda;
	buf[2] = (uint8_t)(1020 >> 8);
	buf[3] = (uint8_t)(1020 & 0xff);
	CHECK_EQ_INT(scan_once(buf, limit, limit, CB_MAX_NESTING, &n),
	    SCAN_COMPLETE);
	CHECK_EQ_INT(n, limit);
	CHECK_EQ_INT(scan_once(buf, limit, limit - 1, CB_MAX_NESTING, &n),
	    SCAN_TOO_LARGE);
	/* 1021 bytes of str: 1025 in all */
	buf[3] = (uint8_t)(1021 & 0xff);
	CHECK_EQ_INT(scan_once(buf, limit + 1, limit, CB_MAX_NESTING, &n),
	    SCAN_TOO_LARGE);
	/* ... and the header alone says so */
	CHECK_EQ_INT(scan_once(buf, 4, limit, CB_MAX_NESTING, &n),
	    SCAN_TOO_LARGE);

	/* array16 of 1021 nils: 3 + 1021 = 1024 */
	memset(buf, 0xc0, limit + 16);
	buf[0] = 0xdc;
	buf[1] = (uint8_t)(1021 >> 8);
	buf[2] = (uint8_t)(1021 & 0xff);
	CHECK_EQ_INT(scan_once(buf, limit, limit, CB_MAX_NESTING, &n),
	    SCAN_COMPLETE);
	CHECK_EQ_INT(n, limit);
	/* 1022 nils: too large from the 3-byte header */
	buf[2] = (uint8_t)(1022 & 0xff);
	CHECK_EQ_INT(scan_once(buf, 3, limit, CB_MAX_NESTING, &n),
	    SCAN_TOO_LARGE);

	/* Elements that are bigger than one byte each: an array16 of 300
	 * uint32 (5 bytes each) declares only 303 bytes, so the header is
	 * fine, and the limit is hit by the element that crosses it. */
	buf[0] = 0xdc;
	buf[1] = (uint8_t)(300 >> 8);
	buf[2] = (uint8_t)(300 & 0xff);
	for (size_t i = 0; i < 300; i++) {
		uint8_t *e = buf + 3 + 5 * i;

		if (3 + 5 * i + 5 > limit + 16)
			break;
		e[0] = 0xce;
		e[1] = e[2] = e[3] = e[4] = 0x01;
	}
	CHECK_EQ_INT(scan_once(buf, limit + 16, limit, CB_MAX_NESTING, &n),
	    SCAN_TOO_LARGE);
	{
		/* The 1st..k-th uint32 fit while 3 + 5k + (300 - k) <= 1024,
		 * i.e. k <= 180; the 181st does not. */
		size_t calls = 0;

		CHECK_EQ_INT(scan_bytewise(buf, limit + 16, limit,
		    CB_MAX_NESTING, &n, &calls), SCAN_TOO_LARGE);
		CHECK_EQ_INT(calls, 3 + 5 * 180 + 1);
	}
	free(buf);
}

/* n nested arrays around a 1: [[...[1]...]] */
static size_t
nested_arrays(uint8_t *buf, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		buf[i] = 0x91;
	buf[n] = 0x01;
	return n + 1;
}

static void
test_scan_depth(void)
{
	uint8_t buf[64];
	size_t len, n = 0;

	len = nested_arrays(buf, CB_MAX_NESTING);
	CHECK_EQ_INT(scan_once(buf, len, MIB, CB_MAX_NESTING, &n),
	    SCAN_COMPLETE);
	CHECK_EQ_INT(n, CB_MAX_NESTING + 1);

	len = nested_arrays(buf, CB_MAX_NESTING + 1);
	CHECK_EQ_INT(scan_once(buf, len, MIB, CB_MAX_NESTING, &n),
	    SCAN_TOO_DEEP);
	/* Known at the 17th header, before anything after it arrives. */
	CHECK_EQ_INT(scan_once(buf, CB_MAX_NESTING + 1, MIB, CB_MAX_NESTING,
	    &n), SCAN_TOO_DEEP);
	CHECK_EQ_INT(scan_once(buf, CB_MAX_NESTING, MIB, CB_MAX_NESTING,
	    &n), SCAN_NEED_MORE);

	/* [[1]] is depth 2 */
	len = nested_arrays(buf, 2);
	CHECK_EQ_INT(scan_once(buf, len, MIB, 2, &n), SCAN_COMPLETE);
	CHECK_EQ_INT(scan_once(buf, len, MIB, 1, &n), SCAN_TOO_DEEP);
	/* a scalar is depth 0; an empty array is depth 1 */
	CHECK_EQ_INT(scan_once("\x01", 1, MIB, 0, &n), SCAN_COMPLETE);
	CHECK_EQ_INT(scan_once("\x90", 1, MIB, 0, &n), SCAN_TOO_DEEP);
	CHECK_EQ_INT(scan_once("\x90", 1, MIB, 1, &n), SCAN_COMPLETE);

	/* Maps nest too: 16 levels of {1: ...} */
	for (unsigned i = 0; i < CB_MAX_NESTING; i++) {
		buf[2 * i] = 0x81;
		buf[2 * i + 1] = 0x01;
	}
	buf[2 * CB_MAX_NESTING] = 0xc0;
	CHECK_EQ_INT(scan_once(buf, 2 * CB_MAX_NESTING + 1, MIB,
	    CB_MAX_NESTING, &n), SCAN_COMPLETE);
	CHECK_EQ_INT(n, 2 * CB_MAX_NESTING + 1);
	buf[2 * CB_MAX_NESTING] = 0x80;		/* 17th level, empty */
	CHECK_EQ_INT(scan_once(buf, 2 * CB_MAX_NESTING + 1, MIB,
	    CB_MAX_NESTING, &n), SCAN_TOO_DEEP);

	/* Depth goes back down: sibling containers at depth 16 are fine,
	 * each closing before the next opens ... */
	len = 0;
	for (unsigned i = 0; i < CB_MAX_NESTING - 2; i++)
		buf[len++] = 0x91;
	buf[len++] = 0x93;		/* depth 15 */
	buf[len++] = 0x90;		/* depth 16, empty */
	buf[len++] = 0x91;		/* depth 16 */
	buf[len++] = 0x01;
	buf[len++] = 0x90;		/* depth 16, empty */
	CHECK_EQ_INT(scan_once(buf, len, MIB, CB_MAX_NESTING, &n),
	    SCAN_COMPLETE);
	CHECK_EQ_INT(n, len);
	/* ... but an empty container is still a level: [] at depth 17 */
	buf[len - 1] = 0x91;
	buf[len++] = 0x90;
	CHECK_EQ_INT(scan_once(buf, len, MIB, CB_MAX_NESTING, &n),
	    SCAN_TOO_DEEP);

	/* A max_depth above CB_MAX_NESTING is clamped, never overruns. */
	len = nested_arrays(buf, CB_MAX_NESTING + 1);
	CHECK_EQ_INT(scan_once(buf, len, MIB, 1000, &n), SCAN_TOO_DEEP);
}

static void
test_scan_status_text(void)
{
	const char *t[] = {
		scan_status_text(SCAN_COMPLETE),
		scan_status_text(SCAN_NEED_MORE),
		scan_status_text(SCAN_TOO_LARGE),
		scan_status_text(SCAN_TOO_DEEP),
		scan_status_text(SCAN_INVALID),
	};

	CHECK_EQ_STR(t[2], "message larger than the limit");
	CHECK_EQ_STR(t[3], "message nested too deeply");
	CHECK_EQ_STR(t[4], "message is not valid msgpack");
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		REQUIRE(t[i] != NULL);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(t[i], t[j]) != 0);
	}
}

/* ---- decode ----------------------------------------------------------- */

static void
test_decode(void)
{
	struct pkbuf b;
	msgpack_unpacked u;
	uint8_t deep[64];
	size_t len;

	msgpack_unpacked_init(&u);
	pkbuf_init(&b);
	pack_rich_request(&b, 1);
	CHECK_EQ_INT(rpc_decode(b.sb.data, b.sb.size, &u), 0);
	CHECK_EQ_INT(u.data.type, MSGPACK_OBJECT_ARRAY);
	CHECK_EQ_INT(u.data.via.array.size, 4);
	msgpack_unpacked_destroy(&u);

	/* Not exactly one object: short, long, nothing. */
	CHECK_EQ_INT(rpc_decode(b.sb.data, b.sb.size - 1, &u), -1);
	msgpack_unpacked_destroy(&u);	/* harmless after a failure */
	CHECK_EQ_INT(rpc_decode(b.sb.data, 0, &u), -1);
	pkbuf_destroy(&b);

	pkbuf_init(&b);
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, 1), 0);
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, 2), 0);
	CHECK_EQ_INT(rpc_decode(b.sb.data, 2, &u), -1);
	CHECK_EQ_INT(rpc_decode(b.sb.data, 1, &u), 0);
	CHECK_EQ_INT(u.data.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	CHECK_EQ_INT(u.data.via.u64, 1);
	msgpack_unpacked_destroy(&u);
	pkbuf_destroy(&b);

	CHECK_EQ_INT(rpc_decode("\xc1", 1, &u), -1);
	/* A declared size with no bytes behind it never reaches msgpack-c. */
	CHECK_EQ_INT(rpc_decode("\xdd\xff\xff\xff\xff", 5, &u), -1);
	len = nested_arrays(deep, CB_MAX_NESTING + 1);
	CHECK_EQ_INT(rpc_decode((const char *)deep, len, &u), -1);
	len = nested_arrays(deep, CB_MAX_NESTING);
	CHECK_EQ_INT(rpc_decode((const char *)deep, len, &u), 0);
	msgpack_unpacked_destroy(&u);

	/* The decoded message owns its bytes: the input buffer may be
	 * overwritten (as a connection's read buffer is) while it is used. */
	{
		char in[] = "\x92\xa5hello\xc4\x03\x01\x02\x03";
		const msgpack_object *e;

		CHECK_EQ_INT(rpc_decode(in, sizeof(in) - 1, &u), 0);
		memset(in, 'Z', sizeof(in));
		REQUIRE(u.data.type == MSGPACK_OBJECT_ARRAY);
		e = u.data.via.array.ptr;
		CHECK(rpc_obj_streq(&e[0], "hello"));
		CHECK_EQ_INT(e[1].type, MSGPACK_OBJECT_BIN);
		CHECK_EQ_INT(e[1].via.bin.size, 3);
		CHECK(e[1].type == MSGPACK_OBJECT_BIN &&
		    mem_is(e[1].via.bin.ptr, e[1].via.bin.size,
		    "\x01\x02\x03"));
		/* Decoding again into the same out frees the first message
		 * (valgrind and LeakSanitizer check that). */
		CHECK_EQ_INT(rpc_decode("\xa1x", 2, &u), 0);
		CHECK(rpc_obj_streq(&u.data, "x"));
		CHECK_EQ_INT(rpc_decode("\xc1", 1, &u), -1);
		CHECK(u.zone == NULL);
		msgpack_unpacked_destroy(&u);
	}
}

/* ---- round trips ------------------------------------------------------ */

static void
test_round_trip_request(void)
{
	static const uint32_t ids[] = { 0, 1, 127, 128, 65535, 65536,
	    UINT32_MAX };

	for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
		struct pkbuf b;
		msgpack_unpacked u;
		struct rpc_message m;
		uint32_t msgid = 12345;
		char err[128];
		size_t n = 0;
		const msgpack_object *v;

		msgpack_unpacked_init(&u);
		pkbuf_init(&b);
		pack_rich_request(&b, ids[i]);
		CHECK_EQ_INT(scan_once(b.sb.data, b.sb.size, MIB,
		    CB_MAX_NESTING, &n), SCAN_COMPLETE);
		CHECK_EQ_INT(n, b.sb.size);
		CHECK_EQ_INT(decode_parse(b.sb.data, n, &u, &m, &msgid, err,
		    sizeof(err)), 0);
		CHECK_EQ_STR(err, "");
		CHECK_EQ_INT(m.type, RPC_REQUEST);
		CHECK_EQ_INT(m.msgid, ids[i]);
		CHECK_EQ_INT(msgid, ids[i]);
		CHECK_EQ_INT(m.method_len, 9);
		CHECK(mem_is(m.method, m.method_len, "entry.add"));
		REQUIRE(m.params != NULL);
		CHECK_EQ_INT(m.params->type, MSGPACK_OBJECT_MAP);
		CHECK_EQ_INT(m.params->via.map.size, 6);
		v = rpc_map_get(m.params, "account");
		CHECK(rpc_obj_streq(v, "cash"));
		v = rpc_map_get(m.params, "amount");
		REQUIRE(v != NULL);
		CHECK_EQ_INT(v->type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
		CHECK(v->via.i64 == -1234567890123LL);
		v = rpc_map_get(m.params, "rate");
		REQUIRE(v != NULL);
		CHECK_EQ_INT(v->type, MSGPACK_OBJECT_FLOAT64);
		CHECK(v->via.f64 == 0.25);
		v = rpc_map_get(m.params, "tags");
		REQUIRE(v != NULL);
		CHECK_EQ_INT(v->type, MSGPACK_OBJECT_ARRAY);
		CHECK_EQ_INT(v->via.array.size, 3);
		v = rpc_map_get(m.params, "raw");
		REQUIRE(v != NULL);
		CHECK_EQ_INT(v->type, MSGPACK_OBJECT_BIN);
		CHECK_EQ_INT(v->via.bin.size, 3);
		CHECK(v->type == MSGPACK_OBJECT_BIN && v->via.bin.size == 3 &&
		    memcmp(v->via.bin.ptr, "\x00\xc1\xff", 3) == 0);
		CHECK(rpc_obj_streq(rpc_map_get(m.params, "memo"),
		    "a memo that is longer than 31 bytes ...."));
		CHECK(m.result == NULL);
		CHECK(m.error_message == NULL);
		CHECK_EQ_INT(m.error_code, CB_CODE_NONE);
		msgpack_unpacked_destroy(&u);
		pkbuf_destroy(&b);
	}
}

static void
test_round_trip_request_no_params(void)
{
	struct pkbuf b;
	msgpack_unpacked u;
	struct rpc_message m;
	uint32_t msgid = 0;
	char err[128];
	static const uint8_t want[] = { 0x94, 0x00, 0x01, 0xa4, 'p', 'i', 'n',
	    'g', 0x90 };

	msgpack_unpacked_init(&u);
	pkbuf_init(&b);
	CHECK_EQ_INT(rpc_pack_request_head(&b.pk, 1, CB_METHOD_PING), 0);
	CHECK_EQ_INT(msgpack_pack_array(&b.pk, 0), 0);
	/* The exact bytes: msgid as the smallest uint encoding. */
	CHECK_EQ_INT(b.sb.size, sizeof(want));
	CHECK(b.sb.size == sizeof(want) &&
	    memcmp(b.sb.data, want, sizeof(want)) == 0);
	CHECK_EQ_INT(decode_parse(b.sb.data, b.sb.size, &u, &m, &msgid, err,
	    sizeof(err)), 0);
	CHECK_EQ_INT(m.type, RPC_REQUEST);
	CHECK_EQ_INT(msgid, 1);
	CHECK_EQ_INT(m.method_len, 4);
	CHECK(mem_is(m.method, m.method_len, "ping"));
	CHECK(m.params == NULL);
	msgpack_unpacked_destroy(&u);
	pkbuf_destroy(&b);

	/* [map] with an empty map is a map, not "no params". */
	pkbuf_init(&b);
	CHECK_EQ_INT(rpc_pack_request_head(&b.pk, 2, CB_METHOD_SERVER_STATS),
	    0);
	CHECK_EQ_INT(msgpack_pack_array(&b.pk, 1), 0);
	CHECK_EQ_INT(msgpack_pack_map(&b.pk, 0), 0);
	CHECK_EQ_INT(decode_parse(b.sb.data, b.sb.size, &u, &m, &msgid, err,
	    sizeof(err)), 0);
	REQUIRE(m.params != NULL);
	CHECK_EQ_INT(m.params->type, MSGPACK_OBJECT_MAP);
	CHECK_EQ_INT(m.params->via.map.size, 0);
	CHECK_EQ_INT(m.method_len, strlen(CB_METHOD_SERVER_STATS));
	msgpack_unpacked_destroy(&u);
	pkbuf_destroy(&b);
}

static void
test_round_trip_bin_method(void)
{
	struct pkbuf b;
	msgpack_unpacked u;
	struct rpc_message m;
	uint32_t msgid = 0;
	char err[128];

	msgpack_unpacked_init(&u);
	/* [0, 70000, bin "server.info", [{bin "k": 1}]] */
	pkbuf_init(&b);
	CHECK_EQ_INT(msgpack_pack_array(&b.pk, 4), 0);
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, 0), 0);
	CHECK_EQ_INT(msgpack_pack_uint32(&b.pk, 70000), 0);
	CHECK_EQ_INT(msgpack_pack_bin(&b.pk, 11), 0);
	CHECK_EQ_INT(msgpack_pack_bin_body(&b.pk, "server.info", 11), 0);
	CHECK_EQ_INT(msgpack_pack_array(&b.pk, 1), 0);
	CHECK_EQ_INT(msgpack_pack_map(&b.pk, 1), 0);
	CHECK_EQ_INT(msgpack_pack_bin(&b.pk, 1), 0);
	CHECK_EQ_INT(msgpack_pack_bin_body(&b.pk, "k", 1), 0);
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, 1), 0);
	CHECK_EQ_INT(decode_parse(b.sb.data, b.sb.size, &u, &m, &msgid, err,
	    sizeof(err)), 0);
	CHECK_EQ_INT(m.type, RPC_REQUEST);
	CHECK_EQ_INT(msgid, 70000);
	CHECK_EQ_INT(m.method_len, 11);
	CHECK(mem_is(m.method, m.method_len, CB_METHOD_SERVER_INFO));
	REQUIRE(m.params != NULL);
	{
		const msgpack_object *v = rpc_map_get(m.params, "k");

		REQUIRE(v != NULL);
		CHECK_EQ_INT(v->via.u64, 1);
	}
	msgpack_unpacked_destroy(&u);
	pkbuf_destroy(&b);
}

static void
test_round_trip_response(void)
{
	struct pkbuf b;
	msgpack_unpacked u;
	struct rpc_message m;
	uint32_t msgid = 0;
	char err[128];

	msgpack_unpacked_init(&u);
	/* success: [1, 42, nil, {"version": 1}] */
	pkbuf_init(&b);
	CHECK_EQ_INT(rpc_pack_response_head(&b.pk, 42), 0);
	CHECK_EQ_INT(msgpack_pack_map(&b.pk, 1), 0);
	CHECK_EQ_INT(rpc_pack_cstr(&b.pk, "version"), 0);
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, CB_PROTOCOL_VERSION), 0);
	CHECK_EQ_INT(decode_parse(b.sb.data, b.sb.size, &u, &m, &msgid, err,
	    sizeof(err)), 0);
	CHECK_EQ_INT(m.type, RPC_RESPONSE);
	CHECK_EQ_INT(m.msgid, 42);
	CHECK_EQ_INT(msgid, 42);
	CHECK_EQ_INT(m.error_code, CB_CODE_NONE);
	CHECK(m.error_message == NULL);
	CHECK(m.error_name == NULL);
	CHECK(m.method == NULL);
	REQUIRE(m.result != NULL);
	CHECK_EQ_INT(m.result->type, MSGPACK_OBJECT_MAP);
	{
		const msgpack_object *v = rpc_map_get(m.result, "version");

		REQUIRE(v != NULL);
		CHECK_EQ_INT(v->via.u64, CB_PROTOCOL_VERSION);
	}
	msgpack_unpacked_destroy(&u);
	pkbuf_destroy(&b);

	/* error: every code comes back as itself (except "ok", below) */
	for (int c = 1; c < CB_CODE_COUNT; c++) {
		pkbuf_init(&b);
		CHECK_EQ_INT(rpc_pack_response_error(&b.pk, UINT32_MAX,
		    (enum cb_code)c, "no such account"), 0);
		CHECK_EQ_INT(decode_parse(b.sb.data, b.sb.size, &u, &m,
		    &msgid, err, sizeof(err)), 0);
		CHECK_EQ_INT(m.type, RPC_RESPONSE);
		CHECK_EQ_INT(m.msgid, UINT32_MAX);
		CHECK_EQ_INT(m.error_code, c);
		CHECK_EQ_INT(m.error_name_len, strlen(cb_code_name(c)));
		CHECK(mem_is(m.error_name, m.error_name_len,
		    cb_code_name(c)));
		CHECK_EQ_INT(m.error_message_len, 15);
		CHECK(mem_is(m.error_message, m.error_message_len,
		    "no such account"));
		REQUIRE(m.result != NULL);
		CHECK_EQ_INT(m.result->type, MSGPACK_OBJECT_NIL);
		msgpack_unpacked_destroy(&u);
		pkbuf_destroy(&b);
	}

	/* An unknown code name (a newer server) reads as internal, and so
	 * does "ok" in an error pair: an error must never look like success.
	 * The name as sent is kept. */
	{
		static const uint8_t unk[] = { 0x94, 0x01, 0x05, 0x92, 0xa5,
		    'n', 'e', 'w', 'e', 'r', 0xa1, 'm', 0xc0 };
		static const uint8_t ok[] = { 0x94, 0x01, 0x05, 0x92, 0xa2,
		    'o', 'k', 0xa0, 0xc0 };

		CHECK_EQ_INT(decode_parse(unk, sizeof(unk), &u, &m, &msgid,
		    err, sizeof(err)), 0);
		CHECK_EQ_INT(m.error_code, CB_INTERNAL);
		CHECK_EQ_INT(m.error_name_len, 5);
		CHECK(mem_is(m.error_name, m.error_name_len, "newer"));
		CHECK_EQ_INT(m.error_message_len, 1);
		msgpack_unpacked_destroy(&u);
		CHECK_EQ_INT(decode_parse(ok, sizeof(ok), &u, &m, &msgid,
		    err, sizeof(err)), 0);
		CHECK_EQ_INT(m.error_code, CB_INTERNAL);
		CHECK(m.error_message != NULL);
		CHECK_EQ_INT(m.error_message_len, 0);
		msgpack_unpacked_destroy(&u);
	}
}

static void
test_round_trip_notification(void)
{
	struct pkbuf b;
	msgpack_unpacked u;
	struct rpc_message m;
	uint32_t msgid = 99;
	char err[128];
	static const char want[] = "\x93\x02\xa5" "error" "\x92\xae"
	    "protocol_error" "\xa9" "bad bytes";

	msgpack_unpacked_init(&u);
	pkbuf_init(&b);
	CHECK_EQ_INT(rpc_pack_notification_error(&b.pk, CB_PROTOCOL_ERROR,
	    "bad bytes"), 0);
	CHECK_EQ_INT(b.sb.size, sizeof(want) - 1);
	CHECK(b.sb.size == sizeof(want) - 1 &&
	    memcmp(b.sb.data, want, sizeof(want) - 1) == 0);
	CHECK_EQ_INT(decode_parse(b.sb.data, b.sb.size, &u, &m, &msgid, err,
	    sizeof(err)), 0);
	CHECK_EQ_INT(m.type, RPC_NOTIFICATION);
	CHECK_EQ_INT(msgid, 0);
	CHECK_EQ_INT(m.method_len, 5);
	CHECK(mem_is(m.method, m.method_len, CB_NOTIFY_ERROR));
	CHECK(m.params == NULL);
	CHECK_EQ_INT(m.error_code, CB_PROTOCOL_ERROR);
	CHECK_EQ_INT(m.error_name_len, 14);
	CHECK_EQ_INT(m.error_message_len, 9);
	CHECK(mem_is(m.error_message, m.error_message_len, "bad bytes"));
	msgpack_unpacked_destroy(&u);
	pkbuf_destroy(&b);

	/* Any other notification: params [] or [map]. */
	{
		static const uint8_t ev[] = { 0x93, 0x02, 0xa2, 'e', 'v', 0x91,
		    0x81, 0xa1, 'n', 0x07 };
		static const uint8_t ev0[] = { 0x93, 0x02, 0xc4, 0x02, 'e',
		    'v', 0x90 };

		CHECK_EQ_INT(decode_parse(ev, sizeof(ev), &u, &m, &msgid, err,
		    sizeof(err)), 0);
		CHECK_EQ_INT(m.type, RPC_NOTIFICATION);
		CHECK_EQ_INT(m.method_len, 2);
		CHECK(m.error_message == NULL);
		REQUIRE(m.params != NULL);
		REQUIRE(rpc_map_get(m.params, "n") != NULL);
		CHECK_EQ_INT(rpc_map_get(m.params, "n")->via.u64, 7);
		msgpack_unpacked_destroy(&u);
		CHECK_EQ_INT(decode_parse(ev0, sizeof(ev0), &u, &m, &msgid,
		    err, sizeof(err)), 0);
		CHECK_EQ_INT(m.method_len, 2);
		CHECK(mem_is(m.method, m.method_len, "ev"));
		CHECK(m.params == NULL);
		msgpack_unpacked_destroy(&u);
	}
}

/* ---- malformed messages ----------------------------------------------- */

struct parse_case {
	const char *what;
	const uint8_t *bytes;
	size_t len;
	const char *err;	/* exact message expected */
	uint32_t msgid;		/* expected *msgid */
};

#define PC(what, err, msgid, ...) { what, (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ }), err, msgid }

#define PING 0xa4, 'p', 'i', 'n', 'g'

static const struct parse_case parse_cases[] = {
	PC("int", "message is not an array", 0, 0x01),
	PC("map", "message is not an array", 0, 0x80),
	PC("str", "message is not an array", 0, 0xa1, 'x'),
	PC("empty", "message is an empty array", 0, 0x90),
	PC("type str", "message type must be an integer", 0, 0x91, 0xa1, '0'),
	PC("type nil", "message type must be an integer", 0, 0x91, 0xc0),
	PC("type float", "message type must be an integer", 0,
	    0x94, 0xca, 0, 0, 0, 0, 0x01, PING, 0x90),
	PC("type 7", "unknown message type 7", 0, 0x94, 0x07, 0x01, PING, 0x90),
	PC("type 3", "unknown message type 3", 0, 0x93, 0x03, PING, 0x90),
	PC("type -1", "unknown message type -1", 0, 0x94, 0xff, 0x01, PING,
	    0x90),
	PC("type 2^32", "unknown message type 4294967296", 0,
	    0x91, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0),

	/* requests */
	PC("request 3", "request must have 4 elements, not 3", 9,
	    0x93, 0x00, 0x09, PING),
	PC("request 5", "request must have 4 elements, not 5", 9,
	    0x95, 0x00, 0x09, PING, 0x90, 0xc0),
	PC("request 1", "request must have 4 elements, not 1", 0, 0x91, 0x00),
	PC("request 2 bad id", "request must have 4 elements, not 2", 0,
	    0x92, 0x00, 0xff),
	PC("msgid -1", "msgid must be an unsigned 32-bit integer", 0,
	    0x94, 0x00, 0xff, PING, 0x90),
	PC("msgid -2^31", "msgid must be an unsigned 32-bit integer", 0,
	    0x94, 0x00, 0xd2, 0x80, 0, 0, 0, PING, 0x90),
	PC("msgid 2^32", "msgid must be an unsigned 32-bit integer", 0,
	    0x94, 0x00, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, PING, 0x90),
	PC("msgid u64 max", "msgid must be an unsigned 32-bit integer", 0,
	    0x94, 0x00, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    PING, 0x90),
	PC("msgid float", "msgid must be an unsigned 32-bit integer", 0,
	    0x94, 0x00, 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, PING, 0x90),
	PC("msgid str", "msgid must be an unsigned 32-bit integer", 0,
	    0x94, 0x00, 0xa1, '1', PING, 0x90),
	PC("msgid nil", "msgid must be an unsigned 32-bit integer", 0,
	    0x94, 0x00, 0xc0, PING, 0x90),
	PC("msgid true", "msgid must be an unsigned 32-bit integer", 0,
	    0x94, 0x00, 0xc3, PING, 0x90),
	PC("method int", "method must be a string", 9,
	    0x94, 0x00, 0x09, 0x05, 0x90),
	PC("method nil", "method must be a string", 9,
	    0x94, 0x00, 0x09, 0xc0, 0x90),
	PC("method array", "method must be a string", 9,
	    0x94, 0x00, 0x09, 0x91, 0xa1, 'x', 0x90),
	PC("method ext", "method must be a string", 9,
	    0x94, 0x00, 0x09, 0xd4, 0x01, 'x', 0x90),
	PC("params map", "params must be an array", 9,
	    0x94, 0x00, 0x09, PING, 0x80),
	PC("params nil", "params must be an array", 9,
	    0x94, 0x00, 0x09, PING, 0xc0),
	PC("params str", "params must be an array", 9,
	    0x94, 0x00, 0x09, PING, 0xa0),
	PC("params [1]", "params must be [] or [map]", 9,
	    0x94, 0x00, 0x09, PING, 0x91, 0x01),
	PC("params [[]]", "params must be [] or [map]", 9,
	    0x94, 0x00, 0x09, PING, 0x91, 0x90),
	PC("params [map, map]", "params must be [] or [map]", 9,
	    0x94, 0x00, 0x09, PING, 0x92, 0x80, 0x80),
	PC("params [nil]", "params must be [] or [map]", 4000000000u,
	    0x94, 0x00, 0xce, 0xee, 0x6b, 0x28, 0x00, PING, 0x91, 0xc0),

	/* responses */
	PC("response 3", "response must have 4 elements, not 3", 3,
	    0x93, 0x01, 0x03, 0xc0),
	PC("response msgid", "msgid must be an unsigned 32-bit integer", 0,
	    0x94, 0x01, 0xe0, 0xc0, 0xc0),
	PC("response error str", "response error must be [code, message]", 3,
	    0x94, 0x01, 0x03, 0xa1, 'x', 0xc0),
	PC("response error [x]", "response error must be [code, message]", 3,
	    0x94, 0x01, 0x03, 0x91, 0xa1, 'x', 0xc0),
	PC("response error 3", "response error must be [code, message]", 3,
	    0x94, 0x01, 0x03, 0x93, 0xa1, 'x', 0xa1, 'y', 0xa1, 'z', 0xc0),
	PC("response error map", "response error must be [code, message]", 3,
	    0x94, 0x01, 0x03, 0x81, 0xa1, 'x', 0xa1, 'y', 0xc0),
	PC("response error code int", "response error code must be a string",
	    3, 0x94, 0x01, 0x03, 0x92, 0x01, 0xa1, 'm', 0xc0),
	PC("response error message int",
	    "response error message must be a string", 3,
	    0x94, 0x01, 0x03, 0x92, 0xa1, 'c', 0x02, 0xc0),
	PC("response error with result",
	    "response with an error must have a nil result", 3,
	    0x94, 0x01, 0x03, 0x92, 0xa1, 'c', 0xa1, 'm', 0x01),

	/* notifications */
	PC("notification 2", "notification must have 3 elements, not 2", 0,
	    0x92, 0x02, PING),
	PC("notification 4", "notification must have 3 elements, not 4", 0,
	    0x94, 0x02, 0x01, PING, 0x90),
	PC("notification method", "method must be a string", 0,
	    0x93, 0x02, 0x05, 0x90),
	PC("notification params", "params must be an array", 0,
	    0x93, 0x02, PING, 0x80),
	PC("notification params [1]", "params must be [] or [map]", 0,
	    0x93, 0x02, PING, 0x91, 0x01),
	PC("error notification []",
	    "error notification params must be [code, message]", 0,
	    0x93, 0x02, 0xa5, 'e', 'r', 'r', 'o', 'r', 0x90),
	PC("error notification [map]",
	    "error notification params must be [code, message]", 0,
	    0x93, 0x02, 0xa5, 'e', 'r', 'r', 'o', 'r', 0x91, 0x80),
	PC("error notification str", "params must be an array", 0,
	    0x93, 0x02, 0xa5, 'e', 'r', 'r', 'o', 'r', 0xa1, 'x'),
	PC("error notification code",
	    "error notification params code must be a string", 0,
	    0x93, 0x02, 0xa5, 'e', 'r', 'r', 'o', 'r', 0x92, 0x01, 0xa0),
};

static void
test_parse_malformed(void)
{
	for (size_t i = 0; i < ARRAY_LEN(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		msgpack_unpacked u;
		struct rpc_message m;
		uint32_t msgid = 12345;
		char err[128];
		size_t n = 0;
		int rc;

		msgpack_unpacked_init(&u);
		/* Well-formed msgpack, so only rpc_parse can object. */
		CHECK_EQ_INT(scan_once(c->bytes, c->len, MIB, CB_MAX_NESTING,
		    &n), SCAN_COMPLETE);
		CHECK_EQ_INT(n, c->len);
		memset(err, 'x', sizeof(err));
		rc = decode_parse(c->bytes, c->len, &u, &m, &msgid, err,
		    sizeof(err));
		if (rc != -1 || strcmp(err, c->err) != 0 || msgid != c->msgid)
			printf("# parse case: %s\n", c->what);
		CHECK_EQ_INT(rc, -1);
		CHECK_EQ_STR(err, c->err);
		CHECK_EQ_INT(msgid, c->msgid);
		msgpack_unpacked_destroy(&u);
	}
}

static void
test_parse_garbage(void)
{
	const struct scan_case junk[] = {
		SC("c1", 0xc1),
		SC("c1 after array", 0x94, 0x00, 0x01, 0xc1),
		SC("text", 'G', 'E', 'T', ' ', '/'),	/* all fixints */
		SC("json", '{', '"', 'a', '"', ':', '1', '}'),
	};
	msgpack_unpacked u;
	size_t n = 0;

	msgpack_unpacked_init(&u);
	/* 0xc1 never reaches the decoder; "GET /" is five fixints, so the
	 * scanner says the first byte is a message and rpc_parse rejects it
	 * for not being an array. */
	CHECK_EQ_INT(scan_once(junk[0].bytes, junk[0].len, MIB,
	    CB_MAX_NESTING, &n), SCAN_INVALID);
	CHECK_EQ_INT(scan_once(junk[1].bytes, junk[1].len, MIB,
	    CB_MAX_NESTING, &n), SCAN_INVALID);
	CHECK_EQ_INT(scan_once(junk[2].bytes, junk[2].len, MIB,
	    CB_MAX_NESTING, &n), SCAN_COMPLETE);
	CHECK_EQ_INT(n, 1);
	/* '{' is 0x7b, a fixint too */
	CHECK_EQ_INT(scan_once(junk[3].bytes, junk[3].len, MIB,
	    CB_MAX_NESTING, &n), SCAN_COMPLETE);
	CHECK_EQ_INT(n, 1);
	for (size_t i = 0; i < ARRAY_LEN(junk); i++)
		CHECK_EQ_INT(rpc_decode((const char *)junk[i].bytes,
		    junk[i].len, &u), -1);

	{
		struct rpc_message m;
		uint32_t msgid = 1;
		char err[64];

		CHECK_EQ_INT(rpc_decode("G", 1, &u), 0);
		CHECK_EQ_INT(rpc_parse(&u.data, &m, &msgid, err, sizeof(err)),
		    -1);
		CHECK_EQ_STR(err, "message is not an array");
		CHECK_EQ_INT(msgid, 0);
		msgpack_unpacked_destroy(&u);
	}
}

static void
test_parse_error_buffer_truncation(void)
{
	static const uint8_t bad[] = { 0x01 };
	msgpack_unpacked u;
	struct rpc_message m;
	uint32_t msgid = 0;
	char err[5];

	msgpack_unpacked_init(&u);
	REQUIRE(rpc_decode((const char *)bad, 1, &u) == 0);
	memset(err, 'x', sizeof(err));
	CHECK_EQ_INT(rpc_parse(&u.data, &m, &msgid, err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "mess");
	memset(err, 'x', sizeof(err));
	CHECK_EQ_INT(rpc_parse(&u.data, &m, &msgid, err, 1), -1);
	CHECK_EQ_INT(err[0], '\0');
	CHECK_EQ_INT(err[1], 'x');	/* nothing past errlen is touched */
	CHECK_EQ_INT(rpc_parse(&u.data, &m, &msgid, NULL, 0), -1);
	msgpack_unpacked_destroy(&u);

	/* Long enough for the message: exact */
	{
		char big[24];	/* strlen("message is not an array") + 1 */

		CHECK_EQ_INT(rpc_parse(&u.data, &m, &msgid, big, 0), -1);
		REQUIRE(rpc_decode((const char *)bad, 1, &u) == 0);
		CHECK_EQ_INT(rpc_parse(&u.data, &m, &msgid, big, sizeof(big)),
		    -1);
		CHECK_EQ_STR(big, "message is not an array");
		msgpack_unpacked_destroy(&u);
	}
}

/* ---- error message truncation in the packers -------------------------- */

/* Pack a response error with message, parse it back, return the message
 * length carried (or -1) and copy it into out. */
static long
error_message_carried(const char *message, char *out, size_t outlen)
{
	struct pkbuf b;
	msgpack_unpacked u;
	struct rpc_message m;
	uint32_t msgid = 0;
	char err[128];
	long len = -1;

	msgpack_unpacked_init(&u);
	pkbuf_init(&b);
	if (rpc_pack_response_error(&b.pk, 1, CB_BAD_REQUEST, message) == 0 &&
	    decode_parse(b.sb.data, b.sb.size, &u, &m, &msgid, err,
	    sizeof(err)) == 0 && m.error_message_len < outlen) {
		memcpy(out, m.error_message, m.error_message_len);
		out[m.error_message_len] = '\0';
		len = (long)m.error_message_len;
	}
	msgpack_unpacked_destroy(&u);
	pkbuf_destroy(&b);
	return len;
}

static void
test_error_message_truncation(void)
{
	char msg[400], got[400];

	/* exactly the limit: whole */
	memset(msg, 'a', CB_MAX_ERROR_MESSAGE);
	msg[CB_MAX_ERROR_MESSAGE] = '\0';
	CHECK_EQ_INT(error_message_carried(msg, got, sizeof(got)),
	    CB_MAX_ERROR_MESSAGE);
	CHECK_EQ_STR(got, msg);

	/* ASCII over the limit: cut at the limit */
	memset(msg, 'b', 300);
	msg[300] = '\0';
	CHECK_EQ_INT(error_message_carried(msg, got, sizeof(got)),
	    CB_MAX_ERROR_MESSAGE);
	CHECK(strncmp(got, msg, CB_MAX_ERROR_MESSAGE) == 0);

	/* a 2-byte character straddling the limit is dropped whole */
	memset(msg, 'c', CB_MAX_ERROR_MESSAGE - 1);
	strcpy(msg + CB_MAX_ERROR_MESSAGE - 1, "\xc3\xa9zz");	/* é */
	CHECK_EQ_INT(error_message_carried(msg, got, sizeof(got)),
	    CB_MAX_ERROR_MESSAGE - 1);
	CHECK_EQ_INT(got[CB_MAX_ERROR_MESSAGE - 2], 'c');

	/* ... but kept when it ends exactly at the limit */
	memset(msg, 'c', CB_MAX_ERROR_MESSAGE - 2);
	strcpy(msg + CB_MAX_ERROR_MESSAGE - 2, "\xc3\xa9zz");
	CHECK_EQ_INT(error_message_carried(msg, got, sizeof(got)),
	    CB_MAX_ERROR_MESSAGE);
	CHECK(memcmp(got + CB_MAX_ERROR_MESSAGE - 2, "\xc3\xa9", 2) == 0);

	/* 3-byte character (€), 1 or 2 bytes of it inside the limit */
	memset(msg, 'd', CB_MAX_ERROR_MESSAGE - 1);
	strcpy(msg + CB_MAX_ERROR_MESSAGE - 1, "\xe2\x82\xac!");
	CHECK_EQ_INT(error_message_carried(msg, got, sizeof(got)),
	    CB_MAX_ERROR_MESSAGE - 1);
	memset(msg, 'd', CB_MAX_ERROR_MESSAGE - 2);
	strcpy(msg + CB_MAX_ERROR_MESSAGE - 2, "\xe2\x82\xac!");
	CHECK_EQ_INT(error_message_carried(msg, got, sizeof(got)),
	    CB_MAX_ERROR_MESSAGE - 2);

	/* 4-byte character, 3 bytes of it inside the limit */
	memset(msg, 'e', CB_MAX_ERROR_MESSAGE - 3);
	strcpy(msg + CB_MAX_ERROR_MESSAGE - 3, "\xf0\x9f\x98\x80");
	CHECK_EQ_INT(error_message_carried(msg, got, sizeof(got)),
	    CB_MAX_ERROR_MESSAGE - 3);
	CHECK_EQ_INT(got[CB_MAX_ERROR_MESSAGE - 4], 'e');

	/* Not UTF-8 (continuation bytes all the way): one U+FFFD per byte,
	 * as many whole ones as fit (255 bytes are 85 of them). */
	memset(msg, 0x80, 300);
	msg[300] = '\0';
	CHECK_EQ_INT(error_message_carried(msg, got, sizeof(got)),
	    CB_MAX_ERROR_MESSAGE / 3 * 3);
	for (int i = 0; i < CB_MAX_ERROR_MESSAGE / 3; i++)
		CHECK(memcmp(got + 3 * i, "\xef\xbf\xbd", 3) == 0);

	/* NULL and empty messages */
	CHECK_EQ_INT(error_message_carried(NULL, got, sizeof(got)), 0);
	CHECK_EQ_INT(error_message_carried("", got, sizeof(got)), 0);

	/* The notification packer truncates the same way. */
	{
		struct pkbuf b;
		msgpack_unpacked u;
		struct rpc_message m;
		uint32_t msgid = 0;
		char err[64];

		msgpack_unpacked_init(&u);
		memset(msg, 'f', CB_MAX_ERROR_MESSAGE - 1);
		strcpy(msg + CB_MAX_ERROR_MESSAGE - 1, "\xc3\xa9");
		pkbuf_init(&b);
		CHECK_EQ_INT(rpc_pack_notification_error(&b.pk,
		    CB_PROTOCOL_ERROR, msg), 0);
		CHECK_EQ_INT(decode_parse(b.sb.data, b.sb.size, &u, &m, &msgid,
		    err, sizeof(err)), 0);
		CHECK_EQ_INT(m.error_message_len, CB_MAX_ERROR_MESSAGE - 1);
		msgpack_unpacked_destroy(&u);
		pkbuf_destroy(&b);
	}
}

/* ---- error messages are always UTF-8 ----------------------------------- */

/* True when s[0..len) is valid UTF-8 by the strict rule (RFC 3629). */
static int
valid_utf8(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		n = utf8_char_len((const unsigned char *)s + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

static void
test_error_message_utf8(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		/* what a client's method name ends up in */
		{ "no method named 'ping\xff'",
		  "no method named 'ping\xef\xbf\xbd'" },
		/* a lone byte, an overlong '/', a surrogate, a sequence cut
		 * short: one U+FFFD per byte, the ASCII between kept */
		{ "\xff" "a" "\xc0\xaf" "\xed\xa0\x80" "\xe2\x82",
		  "\xef\xbf\xbd" "a" "\xef\xbf\xbd\xef\xbf\xbd"
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		  "\xef\xbf\xbd\xef\xbf\xbd" },
		/* past U+10FFFF */
		{ "\xf4\x90\x80\x80",
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		/* valid text passes as it is: é € 😀 U+10FFFF */
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
		  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf" },
	};
	char msg[400], got[400];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		CHECK_EQ_INT(error_message_carried(cases[i].in, got,
		    sizeof(got)), strlen(cases[i].want));
		CHECK_EQ_STR(got, cases[i].want);
	}

	/* A replacement that would cross the limit is left out whole ... */
	memset(msg, 'a', CB_MAX_ERROR_MESSAGE - 1);
	strcpy(msg + CB_MAX_ERROR_MESSAGE - 1, "\xff" "zz");
	CHECK_EQ_INT(error_message_carried(msg, got, sizeof(got)),
	    CB_MAX_ERROR_MESSAGE - 1);
	CHECK(valid_utf8(got, strlen(got)));
	memset(msg, 'a', CB_MAX_ERROR_MESSAGE - 2);
	strcpy(msg + CB_MAX_ERROR_MESSAGE - 2, "\xff" "zz");
	CHECK_EQ_INT(error_message_carried(msg, got, sizeof(got)),
	    CB_MAX_ERROR_MESSAGE - 2);
	/* ... and kept when it ends exactly at the limit. */
	memset(msg, 'a', CB_MAX_ERROR_MESSAGE - 3);
	strcpy(msg + CB_MAX_ERROR_MESSAGE - 3, "\xff" "zz");
	CHECK_EQ_INT(error_message_carried(msg, got, sizeof(got)),
	    CB_MAX_ERROR_MESSAGE);
	CHECK(memcmp(got + CB_MAX_ERROR_MESSAGE - 3, "\xef\xbf\xbd", 3) == 0);

	/* Every byte value after a prefix, at every offset near the limit:
	 * what is carried is valid UTF-8 and within the limit. */
	for (unsigned b = 0x80; b <= 0xff; b++) {
		for (size_t off = CB_MAX_ERROR_MESSAGE - 4;
		    off <= CB_MAX_ERROR_MESSAGE; off++) {
			long len;

			memset(msg, 'x', off);
			msg[off] = (char)b;
			msg[off + 1] = (char)0x80;
			msg[off + 2] = '\0';
			len = error_message_carried(msg, got, sizeof(got));
			CHECK(len >= 0 && len <= CB_MAX_ERROR_MESSAGE);
			CHECK(len >= 0 && valid_utf8(got, (size_t)len));
		}
	}

	/* The protocol_error notification goes through the same packer. */
	{
		struct pkbuf b;
		msgpack_unpacked u;
		struct rpc_message m;
		uint32_t msgid = 0;
		char err[64];

		msgpack_unpacked_init(&u);
		pkbuf_init(&b);
		CHECK_EQ_INT(rpc_pack_notification_error(&b.pk,
		    CB_PROTOCOL_ERROR, "bad \xc1 byte"), 0);
		CHECK_EQ_INT(decode_parse(b.sb.data, b.sb.size, &u, &m, &msgid,
		    err, sizeof(err)), 0);
		CHECK_EQ_INT(m.error_message_len, 12);
		CHECK(m.error_message != NULL &&
		    memcmp(m.error_message, "bad \xef\xbf\xbd byte", 12) == 0);
		msgpack_unpacked_destroy(&u);
		pkbuf_destroy(&b);
	}
}

static void
test_utf8_sanitize(void)
{
	char out[16];

	CHECK_EQ_INT(utf8_char_len((const unsigned char *)"a", 1), 1);
	CHECK_EQ_INT(utf8_char_len((const unsigned char *)"\xc3\xa9", 2), 2);
	CHECK_EQ_INT(utf8_char_len((const unsigned char *)"\xc3\xa9", 1), 0);
	CHECK_EQ_INT(utf8_char_len((const unsigned char *)"\xe0\x80\x80", 3),
	    0);				/* overlong */
	CHECK_EQ_INT(utf8_char_len((const unsigned char *)"\xed\xbf\xbf", 3),
	    0);				/* surrogate */
	CHECK_EQ_INT(utf8_char_len((const unsigned char *)"\xf0\x9f\x98\x80",
	    4), 4);
	CHECK_EQ_INT(utf8_sanitize("", out, sizeof out), 0);
	CHECK_EQ_INT(utf8_sanitize("abc", out, 0), 0);
	CHECK_EQ_INT(utf8_sanitize("ab\xff", out, 4), 2);	/* no room */
	CHECK_EQ_INT(utf8_sanitize("ab\xff", out, 5), 5);
	CHECK(memcmp(out, "ab\xef\xbf\xbd", 5) == 0);
	CHECK_EQ_INT(utf8_sanitize("\xe2\x82\xac", out, 2), 0); /* whole */
}

/* ---- helpers ---------------------------------------------------------- */

static void
test_map_get_and_streq(void)
{
	struct pkbuf b;
	msgpack_unpacked u;
	const msgpack_object *v;

	msgpack_unpacked_init(&u);
	/* {"a": 1, bin "b": 2, 3: 4, "ab": 5, "": 6} */
	pkbuf_init(&b);
	CHECK_EQ_INT(msgpack_pack_map(&b.pk, 5), 0);
	CHECK_EQ_INT(rpc_pack_cstr(&b.pk, "a"), 0);
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, 1), 0);
	CHECK_EQ_INT(msgpack_pack_bin(&b.pk, 1), 0);
	CHECK_EQ_INT(msgpack_pack_bin_body(&b.pk, "b", 1), 0);
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, 2), 0);
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, 3), 0);
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, 4), 0);
	CHECK_EQ_INT(rpc_pack_cstr(&b.pk, "ab"), 0);
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, 5), 0);
	CHECK_EQ_INT(rpc_pack_cstr(&b.pk, ""), 0);
	CHECK_EQ_INT(msgpack_pack_int(&b.pk, 6), 0);
	REQUIRE(rpc_decode(b.sb.data, b.sb.size, &u) == 0);

	v = rpc_map_get(&u.data, "a");
	REQUIRE(v != NULL);
	CHECK_EQ_INT(v->via.u64, 1);
	v = rpc_map_get(&u.data, "b");
	REQUIRE(v != NULL);
	CHECK_EQ_INT(v->via.u64, 2);
	v = rpc_map_get(&u.data, "ab");
	REQUIRE(v != NULL);
	CHECK_EQ_INT(v->via.u64, 5);
	v = rpc_map_get(&u.data, "");
	REQUIRE(v != NULL);
	CHECK_EQ_INT(v->via.u64, 6);
	CHECK(rpc_map_get(&u.data, "c") == NULL);
	CHECK(rpc_map_get(&u.data, "3") == NULL);	/* int key */
	CHECK(rpc_map_get(&u.data, "abc") == NULL);
	CHECK(rpc_map_get(&u.data, NULL) == NULL);
	CHECK(rpc_map_get(NULL, "a") == NULL);
	/* a non-map */
	CHECK(rpc_map_get(&u.data.via.map.ptr[0].val, "a") == NULL);

	CHECK(rpc_obj_streq(&u.data.via.map.ptr[0].key, "a"));	/* str */
	CHECK(rpc_obj_streq(&u.data.via.map.ptr[1].key, "b"));	/* bin */
	CHECK(!rpc_obj_streq(&u.data.via.map.ptr[0].key, "b"));
	CHECK(!rpc_obj_streq(&u.data.via.map.ptr[0].key, "ab"));
	CHECK(!rpc_obj_streq(&u.data.via.map.ptr[0].key, ""));
	CHECK(!rpc_obj_streq(&u.data.via.map.ptr[2].key, "3"));	/* int */
	CHECK(rpc_obj_streq(&u.data.via.map.ptr[4].key, ""));
	CHECK(!rpc_obj_streq(NULL, "a"));
	CHECK(!rpc_obj_streq(&u.data.via.map.ptr[0].key, NULL));
	msgpack_unpacked_destroy(&u);
	pkbuf_destroy(&b);
}

/* ---- packers under write failure -------------------------------------- */

/* A write callback that accepts `budget` bytes, then fails. */
struct failing_sink {
	size_t budget;
	size_t written;
};

static int
failing_write(void *data, const char *buf, size_t len)
{
	struct failing_sink *f = data;

	(void)buf;
	if (f->written + len > f->budget)
		return -1;
	f->written += len;
	return 0;
}

static void
test_pack_write_failure(void)
{
	/* Each packer with every budget below its full size fails with -1;
	 * with the full size it succeeds. */
	for (int which = 0; which < 5; which++) {
		size_t full = 0;

		for (size_t budget = 0; budget < 64; budget++) {
			struct failing_sink f = { budget, 0 };
			msgpack_packer pk;
			int rc = -2;

			msgpack_packer_init(&pk, &f, failing_write);
			switch (which) {
			case 0:
				rc = rpc_pack_request_head(&pk, 300, "ping");
				break;
			case 1:
				rc = rpc_pack_response_head(&pk, 300);
				break;
			case 2:
				rc = rpc_pack_response_error(&pk, 300,
				    CB_NOT_FOUND, "gone");
				break;
			case 3:
				rc = rpc_pack_notification_error(&pk,
				    CB_PROTOCOL_ERROR, "bye");
				break;
			case 4:
				rc = rpc_pack_cstr(&pk, "hello");
				break;
			}
			if (rc == 0) {
				full = budget;
				break;
			}
			CHECK_EQ_INT(rc, -1);
		}
		/* sizes of the whole messages */
		switch (which) {
		case 0: CHECK_EQ_INT(full, 1 + 1 + 3 + 5); break;
		case 1: CHECK_EQ_INT(full, 1 + 1 + 3 + 1); break;
		case 2: CHECK_EQ_INT(full, 1 + 1 + 3 + 1 + 10 + 5 + 1); break;
		case 3: CHECK_EQ_INT(full, 1 + 1 + 6 + 1 + 15 + 4); break;
		case 4: CHECK_EQ_INT(full, 6); break;
		}
	}
}

/* Secrets inside a decoded message are zeroed in place, at any depth. */
static void
test_wipe_object(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked msg;
	const msgpack_object *params, *pw, *inner;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str_with_body(&pk, "password", 8);
	msgpack_pack_str_with_body(&pk, "hunter22", 8);
	msgpack_pack_str_with_body(&pk, "list", 4);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_bin_with_body(&pk, "tok", 3);
	msgpack_unpacked_init(&msg);
	REQUIRE(rpc_decode(sb.data, sb.size, &msg) == 0);
	params = &msg.data;
	rpc_wipe_object(params);
	/* Keys are wiped too: the map is now all zero bytes. */
	pw = &params->via.map.ptr[0].val;
	CHECK_EQ_INT(pw->via.str.size, 8);
	CHECK(memcmp(pw->via.str.ptr, "\0\0\0\0\0\0\0\0", 8) == 0);
	inner = &params->via.map.ptr[1].val.via.array.ptr[0];
	CHECK_EQ_INT(inner->via.bin.size, 3);
	CHECK(memcmp(inner->via.bin.ptr, "\0\0\0", 3) == 0);
	msgpack_unpacked_destroy(&msg);
	msgpack_sbuffer_destroy(&sb);
}

int
main(void)
{
	tap_run("error code names round trip", test_code_names_round_trip);
	tap_run("scan: every msgpack format", test_scan_every_format);
	tap_run("scan: 0xc1 is invalid", test_scan_invalid_byte);
	tap_run("scan: truncated at every offset",
	    test_scan_truncated_every_offset);
	tap_run("scan: byte by byte equals one shot",
	    test_scan_bytewise_equals_one_shot);
	tap_run("scan: back-to-back messages", test_scan_back_to_back);
	tap_run("scan: oversize declarations", test_scan_oversize_headers);
	tap_run("scan: exactly the limit", test_scan_exact_limit);
	tap_run("scan: nesting depth", test_scan_depth);
	tap_run("scan: status text", test_scan_status_text);
	tap_run("rpc_decode", test_decode);
	tap_run("round trip: request", test_round_trip_request);
	tap_run("round trip: request params [] and [{}]",
	    test_round_trip_request_no_params);
	tap_run("round trip: bin method and keys", test_round_trip_bin_method);
	tap_run("round trip: response", test_round_trip_response);
	tap_run("round trip: notification", test_round_trip_notification);
	tap_run("parse: malformed messages", test_parse_malformed);
	tap_run("parse: garbage bytes", test_parse_garbage);
	tap_run("parse: error buffer truncation",
	    test_parse_error_buffer_truncation);
	tap_run("pack: error message truncation",
	    test_error_message_truncation);
	tap_run("pack: error messages are valid UTF-8",
	    test_error_message_utf8);
	tap_run("utf8_char_len and utf8_sanitize", test_utf8_sanitize);
	tap_run("rpc_map_get and rpc_obj_streq", test_map_get_and_streq);
	tap_run("pack: write failures", test_pack_write_failure);
	tap_run("rpc_wipe_object zeroes every payload", test_wipe_object);
	return tap_done();
}
