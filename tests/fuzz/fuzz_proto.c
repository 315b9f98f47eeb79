/*
 * fuzz_proto.c -- libFuzzer target for the protocol path the daemon runs on
 * every byte a client sends: scan_feed() -> rpc_decode() -> rpc_parse().
 *
 * The input is a stream of back-to-back messages.  For each message it
 * checks, and abort()s on any violation:
 *
 *   - one-shot scanning and scanning in chunks (sizes drawn from a PRNG
 *     seeded by the input) agree on the status and the message length;
 *   - a complete message is never longer than the limit, and any strict
 *     prefix of it is NEED_MORE;
 *   - whatever the scanner calls complete, msgpack-c decodes to exactly
 *     that many bytes (rpc_decode() succeeds);
 *   - rpc_parse() writes a NUL-terminated message, and the same one
 *     (truncated) into a tiny buffer;
 *   - a parsed request, response or error notification, packed again with
 *     rpc_pack_*(), scans, decodes and parses back to the same values.
 *
 * Owns nothing across calls; every call frees what it took.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "cb_limits.h"
#include "rpc.h"
#include "scan.h"

/* Limits the target runs under: small enough that the fuzzer reaches them
 * with -max_len=4096, varied per input so both sides of the bound are hit. */
#define FUZZ_MIN_MAX_BYTES 16
#define FUZZ_MAX_BYTES_SPAN 4096

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_proto: violated: %s (%s:%d)\n",	\
		    #cond, __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

static uint64_t
fuzz_rand(uint64_t *state)
{
	/* xorshift64*: the sequence only has to be a function of the input. */
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t
fuzz_hash(const uint8_t *data, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (size_t i = 0; i < size; i++) {
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	return h | 1;	/* xorshift must not start at 0 */
}

/* Same value, compared structurally; floats bit for bit (NaN == NaN). */
static bool
fuzz_obj_same(const msgpack_object *a, const msgpack_object *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case MSGPACK_OBJECT_NIL:
		return true;
	case MSGPACK_OBJECT_BOOLEAN:
		return a->via.boolean == b->via.boolean;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return a->via.u64 == b->via.u64;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return a->via.i64 == b->via.i64;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return memcmp(&a->via.f64, &b->via.f64, sizeof(double)) == 0;
	case MSGPACK_OBJECT_STR:
		return a->via.str.size == b->via.str.size &&
		    (a->via.str.size == 0 || memcmp(a->via.str.ptr,
		    b->via.str.ptr, a->via.str.size) == 0);
	case MSGPACK_OBJECT_BIN:
		return a->via.bin.size == b->via.bin.size &&
		    (a->via.bin.size == 0 || memcmp(a->via.bin.ptr,
		    b->via.bin.ptr, a->via.bin.size) == 0);
	case MSGPACK_OBJECT_EXT:
		return a->via.ext.type == b->via.ext.type &&
		    a->via.ext.size == b->via.ext.size &&
		    (a->via.ext.size == 0 || memcmp(a->via.ext.ptr,
		    b->via.ext.ptr, a->via.ext.size) == 0);
	case MSGPACK_OBJECT_ARRAY:
		if (a->via.array.size != b->via.array.size)
			return false;
		for (uint32_t i = 0; i < a->via.array.size; i++)
			if (!fuzz_obj_same(&a->via.array.ptr[i],
			    &b->via.array.ptr[i]))
				return false;
		return true;
	case MSGPACK_OBJECT_MAP:
		if (a->via.map.size != b->via.map.size)
			return false;
		for (uint32_t i = 0; i < a->via.map.size; i++)
			if (!fuzz_obj_same(&a->via.map.ptr[i].key,
			    &b->via.map.ptr[i].key) ||
			    !fuzz_obj_same(&a->via.map.ptr[i].val,
			    &b->via.map.ptr[i].val))
				return false;
		return true;
	}
	return false;
}

static bool
fuzz_bytes_same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* A NUL-terminated copy of len bytes, or NULL when they hold a NUL (such a
 * name cannot go through the cstr packers) or on OOM. */
static char *
fuzz_cstr(const char *p, size_t len)
{
	char *s;

	if (len > 0 && memchr(p, '\0', len) != NULL)
		return NULL;
	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/*
 * Pack m again and check it comes back the same.  Skips (returns) what the
 * packers cannot represent: names with NUL bytes, error messages that
 * would be truncated, unknown error codes.
 */
static void
fuzz_repack(const struct rpc_message *m)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	struct rpc_message m2;
	struct scanner sc;
	uint32_t msgid2;
	size_t len2 = 0;
	char err[256];
	char *name = NULL;
	int rc = -1;

	msgpack_unpacked_init(&u);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

	switch (m->type) {
	case RPC_REQUEST:
		name = fuzz_cstr(m->method, m->method_len);
		if (name == NULL)
			goto out;
		rc = rpc_pack_request_head(&pk, m->msgid, name);
		if (rc == 0)
			rc = msgpack_pack_array(&pk, m->params ? 1 : 0);
		if (rc == 0 && m->params)
			rc = msgpack_pack_object(&pk, *m->params);
		break;
	case RPC_RESPONSE:
		if (m->error_message == NULL) {
			rc = rpc_pack_response_head(&pk, m->msgid);
			if (rc == 0)
				rc = msgpack_pack_object(&pk, *m->result);
			break;
		}
		/* fall through: an error pair, like the notification's */
	case RPC_NOTIFICATION:
		if (m->type == RPC_NOTIFICATION && m->error_message == NULL)
			goto out;	/* only "error" has a packer */
		if (m->error_message_len > CB_MAX_ERROR_MESSAGE ||
		    !fuzz_bytes_same(m->error_name, m->error_name_len,
		    cb_code_name(m->error_code),
		    strlen(cb_code_name(m->error_code))))
			goto out;
		name = fuzz_cstr(m->error_message, m->error_message_len);
		if (name == NULL)
			goto out;
		if (m->type == RPC_RESPONSE)
			rc = rpc_pack_response_error(&pk, m->msgid,
			    m->error_code, name);
		else
			rc = rpc_pack_notification_error(&pk, m->error_code,
			    name);
		break;
	}
	if (rc != 0)
		goto out;	/* out of memory: nothing to check */

	/* The limit is generous: this checks the codec, not the bound. */
	scan_reset(&sc);
	FUZZ_CHECK(scan_feed(&sc, (const uint8_t *)sb.data, sb.size,
	    CB_MAX_MAX_MESSAGE_BYTES, CB_MAX_NESTING, &len2) == SCAN_COMPLETE);
	FUZZ_CHECK(len2 == sb.size);
	FUZZ_CHECK(rpc_decode(sb.data, sb.size, &u) == 0);
	FUZZ_CHECK(rpc_parse(&u.data, &m2, &msgid2, err, sizeof(err)) == 0);

	FUZZ_CHECK(m2.type == m->type);
	FUZZ_CHECK(m2.msgid == m->msgid);
	FUZZ_CHECK(fuzz_bytes_same(m2.method, m2.method_len,
	    m->method, m->method_len));
	FUZZ_CHECK((m2.params == NULL) == (m->params == NULL));
	if (m->params)
		FUZZ_CHECK(fuzz_obj_same(m2.params, m->params));
	FUZZ_CHECK(m2.error_code == m->error_code);
	FUZZ_CHECK((m2.error_message == NULL) == (m->error_message == NULL));
	if (m->error_message) {
		FUZZ_CHECK(fuzz_bytes_same(m2.error_message,
		    m2.error_message_len, m->error_message,
		    m->error_message_len));
		FUZZ_CHECK(fuzz_bytes_same(m2.error_name, m2.error_name_len,
		    m->error_name, m->error_name_len));
	}
	FUZZ_CHECK((m2.result == NULL) == (m->result == NULL));
	if (m->result)
		FUZZ_CHECK(fuzz_obj_same(m2.result, m->result));
out:
	msgpack_unpacked_destroy(&u);
	free(name);
	msgpack_sbuffer_destroy(&sb);
}

/* Decode and parse one complete message of len bytes. */
static void
fuzz_message(const uint8_t *msg, size_t len)
{
	msgpack_unpacked u;
	struct rpc_message m, m_small;
	uint32_t msgid = 7, msgid_small = 7;
	char err[512], small[8];
	int rc, rc_small;

	/* The scanner said complete within CB_MAX_NESTING: msgpack-c must
	 * agree, to the byte. */
	msgpack_unpacked_init(&u);
	FUZZ_CHECK(rpc_decode((const char *)msg, len, &u) == 0);

	memset(err, 'x', sizeof(err));
	rc = rpc_parse(&u.data, &m, &msgid, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == 0)
		FUZZ_CHECK(err[0] == '\0');
	else
		FUZZ_CHECK(err[0] != '\0');
	if (rc == 0 && m.type != RPC_NOTIFICATION)
		FUZZ_CHECK(msgid == m.msgid);

	/* A short buffer: same verdict, same msgid, a truncated message. */
	memset(small, 'x', sizeof(small));
	rc_small = rpc_parse(&u.data, &m_small, &msgid_small, small,
	    sizeof(small));
	FUZZ_CHECK(rc_small == rc);
	FUZZ_CHECK(msgid_small == msgid);
	FUZZ_CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	FUZZ_CHECK(strncmp(small, err, strlen(small)) == 0);

	if (rc == 0) {
		FUZZ_CHECK(m.type == RPC_REQUEST || m.type == RPC_RESPONSE ||
		    m.type == RPC_NOTIFICATION);
		FUZZ_CHECK(m.params == NULL ||
		    m.params->type == MSGPACK_OBJECT_MAP);
		FUZZ_CHECK((m.error_message == NULL) ==
		    (m.error_code == CB_CODE_NONE));
		fuzz_repack(&m);
	}
	msgpack_unpacked_destroy(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t rng = fuzz_hash(data, size);
	size_t max_bytes = FUZZ_MIN_MAX_BYTES +
	    (size_t)(fuzz_rand(&rng) % FUZZ_MAX_BYTES_SPAN);
	/* Mostly the real depth limit, sometimes a smaller one. */
	unsigned max_depth = (fuzz_rand(&rng) % 4 != 0) ? CB_MAX_NESTING :
	    (unsigned)(fuzz_rand(&rng) % (CB_MAX_NESTING + 1));
	size_t pos = 0;

	while (pos < size) {
		const uint8_t *buf = data + pos;
		size_t rem = size - pos, len1 = 0, len2 = 0, fed = 0;
		struct scanner s1, s2;
		enum scan_status st1, st2;

		scan_reset(&s1);
		st1 = scan_feed(&s1, buf, rem, max_bytes, max_depth, &len1);

		/* The same bytes in growing chunks of 1..64 bytes. */
		scan_reset(&s2);
		do {
			fed += 1 + (size_t)(fuzz_rand(&rng) % 64);
			if (fed > rem)
				fed = rem;
			st2 = scan_feed(&s2, buf, fed, max_bytes, max_depth,
			    &len2);
		} while (st2 == SCAN_NEED_MORE && fed < rem);

		FUZZ_CHECK(st1 == st2);
		FUZZ_CHECK(scan_status_text(st1) != NULL);
		if (st1 == SCAN_NEED_MORE) {
			/* Never asks to buffer past the limit. */
			FUZZ_CHECK(s1.off <= max_bytes);
			FUZZ_CHECK(s1.off < rem || rem == 0 || s1.depth > 0);
			break;
		}
		if (st1 != SCAN_COMPLETE)
			break;
		FUZZ_CHECK(len1 == len2);
		FUZZ_CHECK(len1 >= 1 && len1 <= rem && len1 <= max_bytes);

		/* Any strict prefix is incomplete, never complete. */
		{
			struct scanner s3;
			size_t cut = (size_t)(fuzz_rand(&rng) % len1), l3 = 0;

			scan_reset(&s3);
			FUZZ_CHECK(scan_feed(&s3, buf, cut, max_bytes,
			    max_depth, &l3) == SCAN_NEED_MORE);
		}

		fuzz_message(buf, len1);
		pos += len1;
	}
	return 0;
}
