/*
 * rpc.c -- msgpack-RPC messages: decode, classify, pack (see rpc.h).
 *
 * rpc_decode() is the only call into msgpack-c's unpacker in the project's
 * protocol path, and it re-runs the scanner over the exact bytes first, so
 * whatever the caller did, msgpack-c only ever sees one well-formed message
 * whose declared sizes are backed by bytes present and whose nesting is
 * within CB_MAX_NESTING.
 *
 * rpc_parse() checks shapes only (what the protocol says a message looks
 * like); what a method's params must contain is the method's business.  It
 * never allocates and never fails silently: every -1 comes with a message
 * a person can act on.
 *
 * Owns nothing.  Allocates only what it hands to the caller: the decoded
 * message's zone (with its private copy of the bytes) and, through the
 * packer, the caller's output buffer.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_limits.h"
#include "methods.h"
#include "rpc.h"
#include "scan.h"
#include "utf8.h"

/* Room in a decoded message's first zone chunk beyond its own bytes: the
 * objects of a small request (a dozen msgpack_objects).  Bigger messages
 * grow the zone. */
#define RPC_ZONE_SLACK 512

int
rpc_decode(const char *buf, size_t len, msgpack_unpacked *out)
{
	struct scanner sc;
	size_t msg_len = 0, off = 0;
	msgpack_unpack_return ret;
	msgpack_zone *zone;
	msgpack_object obj;
	char *copy = NULL;

	/* Whatever out held before goes, as with msgpack_unpack_next(). */
	msgpack_unpacked_destroy(out);
	if (buf == NULL || len == 0)
		return -1;

	/* Cheap (linear, no allocation) and makes this function safe on any
	 * input: with max_bytes = len, every declared size must be backed by
	 * bytes actually present, which is what bounds msgpack-c's
	 * allocations. */
	scan_reset(&sc);
	if (scan_feed(&sc, (const uint8_t *)buf, len, len, CB_MAX_NESTING,
	    &msg_len) != SCAN_COMPLETE || msg_len != len)
		return -1;

	/* msgpack-c does not copy str/bin/ext payloads: the objects would
	 * point into buf, which callers reuse (compact, realloc, overwrite
	 * with the next read) while the message is still in use.  Decode a
	 * private copy kept in the zone itself, so out owns every byte it
	 * points at -- and one small allocation holds the copy and the
	 * objects of a typical request (msgpack-c's default first chunk is
	 * 8 KiB, a page-faulting cost per request). */
	zone = msgpack_zone_new(len + RPC_ZONE_SLACK);
	if (zone == NULL)
		return -1;
	copy = msgpack_zone_malloc_no_align(zone, len);
	if (copy == NULL)
		goto fail;
	memcpy(copy, buf, len);
	ret = msgpack_unpack(copy, len, &off, zone, &obj);
	if (ret != MSGPACK_UNPACK_SUCCESS || off != len)
		goto fail;
	out->zone = zone;
	out->data = obj;
	return 0;
fail:
	if (copy != NULL)
		explicit_bzero(copy, len);
	msgpack_zone_free(zone);
	return -1;
}

/* printf into err, always NUL-terminated, truncated when errlen is short. */
static int rpc_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
rpc_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		if (vsnprintf(err, errlen, fmt, ap) < 0)
			err[0] = '\0';
		va_end(ap);
	}
	return -1;
}

static bool
rpc_obj_is_text(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN;
}

/* The bytes of a str or bin object (msgpack-c keeps both as ptr/size). */
static void
rpc_obj_text(const msgpack_object *o, const char **ptr, size_t *len)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		*ptr = o->via.str.ptr;
		*len = o->via.str.size;
	} else {
		*ptr = o->via.bin.ptr;
		*len = o->via.bin.size;
	}
}

/* A msgid: a non-negative integer that fits in 32 bits.  msgpack-c turns
 * every non-negative integer, however it was encoded, into
 * POSITIVE_INTEGER, so int8..int64 encodings of small values pass too. */
static int
rpc_read_msgid(const msgpack_object *o, uint32_t *msgid)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    o->via.u64 > UINT32_MAX)
		return -1;
	*msgid = (uint32_t)o->via.u64;
	return 0;
}

/* params: [] or [map].  Sets *params to the map or NULL. */
static int
rpc_read_params(const msgpack_object *o, const msgpack_object **params,
    char *err, size_t errlen)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return rpc_fail(err, errlen, "params must be an array");
	if (o->via.array.size == 0) {
		*params = NULL;
		return 0;
	}
	if (o->via.array.size != 1 ||
	    o->via.array.ptr[0].type != MSGPACK_OBJECT_MAP)
		return rpc_fail(err, errlen, "params must be [] or [map]");
	*params = &o->via.array.ptr[0];
	return 0;
}

/* An error pair [code:str|bin, message:str|bin] into out's error fields. */
static int
rpc_read_error_pair(const msgpack_object *o, struct rpc_message *out,
    const char *what, char *err, size_t errlen)
{
	const msgpack_object *e;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2)
		return rpc_fail(err, errlen,
		    "%s must be [code, message]", what);
	e = o->via.array.ptr;
	if (!rpc_obj_is_text(&e[0]))
		return rpc_fail(err, errlen, "%s code must be a string", what);
	if (!rpc_obj_is_text(&e[1]))
		return rpc_fail(err, errlen,
		    "%s message must be a string", what);
	rpc_obj_text(&e[0], &out->error_name, &out->error_name_len);
	rpc_obj_text(&e[1], &out->error_message, &out->error_message_len);
	out->error_code = cb_code_from_name(out->error_name,
	    out->error_name_len);
	/* An unknown name maps to CB_INTERNAL, but "ok" must not make an
	 * error look like success. */
	if (out->error_code == CB_CODE_NONE)
		out->error_code = CB_INTERNAL;
	return 0;
}

static int
rpc_parse_request(const msgpack_object *el, uint32_t n,
    struct rpc_message *out, uint32_t *msgid, char *err, size_t errlen)
{
	/* Read the msgid before checking the count, so that a request with
	 * the wrong number of elements can still be answered bad_request. */
	if (n >= 2 && rpc_read_msgid(&el[1], &out->msgid) == 0)
		*msgid = out->msgid;
	if (n != 4)
		return rpc_fail(err, errlen,
		    "request must have 4 elements, not %" PRIu32, n);
	if (rpc_read_msgid(&el[1], &out->msgid) != 0)
		return rpc_fail(err, errlen,
		    "msgid must be an unsigned 32-bit integer");
	if (!rpc_obj_is_text(&el[2]))
		return rpc_fail(err, errlen, "method must be a string");
	rpc_obj_text(&el[2], &out->method, &out->method_len);
	return rpc_read_params(&el[3], &out->params, err, errlen);
}

static int
rpc_parse_response(const msgpack_object *el, uint32_t n,
    struct rpc_message *out, uint32_t *msgid, char *err, size_t errlen)
{
	if (n >= 2 && rpc_read_msgid(&el[1], &out->msgid) == 0)
		*msgid = out->msgid;
	if (n != 4)
		return rpc_fail(err, errlen,
		    "response must have 4 elements, not %" PRIu32, n);
	if (rpc_read_msgid(&el[1], &out->msgid) != 0)
		return rpc_fail(err, errlen,
		    "msgid must be an unsigned 32-bit integer");
	if (el[2].type != MSGPACK_OBJECT_NIL) {
		if (rpc_read_error_pair(&el[2], out, "response error",
		    err, errlen) != 0)
			return -1;
		if (el[3].type != MSGPACK_OBJECT_NIL)
			return rpc_fail(err, errlen,
			    "response with an error must have a nil result");
	}
	out->result = &el[3];
	return 0;
}

static int
rpc_parse_notification(const msgpack_object *el, uint32_t n,
    struct rpc_message *out, char *err, size_t errlen)
{
	if (n != 3)
		return rpc_fail(err, errlen,
		    "notification must have 3 elements, not %" PRIu32, n);
	if (!rpc_obj_is_text(&el[1]))
		return rpc_fail(err, errlen, "method must be a string");
	rpc_obj_text(&el[1], &out->method, &out->method_len);
	if (rpc_obj_streq(&el[1], CB_NOTIFY_ERROR)) {
		if (el[2].type != MSGPACK_OBJECT_ARRAY)
			return rpc_fail(err, errlen,
			    "params must be an array");
		return rpc_read_error_pair(&el[2], out,
		    "error notification params", err, errlen);
	}
	return rpc_read_params(&el[2], &out->params, err, errlen);
}

int
rpc_parse(const msgpack_object *obj, struct rpc_message *out,
    uint32_t *msgid, char *err, size_t errlen)
{
	const msgpack_object *el;
	uint32_t n;

	memset(out, 0, sizeof(*out));
	out->error_code = CB_CODE_NONE;
	*msgid = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';

	if (obj == NULL || obj->type != MSGPACK_OBJECT_ARRAY)
		return rpc_fail(err, errlen, "message is not an array");
	n = obj->via.array.size;
	el = obj->via.array.ptr;
	if (n == 0)
		return rpc_fail(err, errlen, "message is an empty array");

	switch (el[0].type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return rpc_fail(err, errlen, "unknown message type %" PRId64,
		    el[0].via.i64);
	default:
		return rpc_fail(err, errlen,
		    "message type must be an integer");
	}

	switch (el[0].via.u64) {
	case RPC_REQUEST:
		out->type = RPC_REQUEST;
		return rpc_parse_request(el, n, out, msgid, err, errlen);
	case RPC_RESPONSE:
		out->type = RPC_RESPONSE;
		return rpc_parse_response(el, n, out, msgid, err, errlen);
	case RPC_NOTIFICATION:
		out->type = RPC_NOTIFICATION;
		return rpc_parse_notification(el, n, out, err, errlen);
	default:
		return rpc_fail(err, errlen, "unknown message type %" PRIu64,
		    el[0].via.u64);
	}
}

/* Pack len bytes of s as a msgpack str. */
static int
rpc_pack_str(msgpack_packer *pk, const char *s, size_t len)
{
	if (msgpack_pack_str(pk, len) != 0)
		return -1;
	if (len > 0 && msgpack_pack_str_body(pk, s, len) != 0)
		return -1;
	return 0;
}

int
rpc_pack_cstr(msgpack_packer *pk, const char *s)
{
	if (s == NULL)
		s = "";
	return rpc_pack_str(pk, s, strlen(s));
}

int
rpc_pack_bool(msgpack_packer *pk, bool b)
{
	return b ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
}

int
rpc_pack_raw(msgpack_packer *pk, const void *bytes, size_t len)
{
	if (len == 0)
		return 0;
	return pk->callback(pk->data, (const char *)bytes, len) == 0 ? 0 :
	    -1;
}

/*
 * [code name, message].  The one place every error message is packed, so
 * the one place that makes it valid UTF-8: messages quote what clients
 * sent (a method name, a params key), and a str that is not UTF-8 makes
 * strict decoders (Python's msgpack with raw=False) reject the whole
 * answer.  Each byte that is not UTF-8 becomes U+FFFD, and the message is
 * cut to CB_MAX_ERROR_MESSAGE bytes without splitting a character
 * (utf8_sanitize).
 */
static int
rpc_pack_error_pair(msgpack_packer *pk, enum cb_code code,
    const char *message)
{
	char text[CB_MAX_ERROR_MESSAGE];
	size_t len;

	len = utf8_sanitize(message != NULL ? message : "", text, sizeof text);
	if (msgpack_pack_array(pk, 2) != 0 ||
	    rpc_pack_cstr(pk, cb_code_name(code)) != 0 ||
	    rpc_pack_str(pk, text, len) != 0)
		return -1;
	return 0;
}

int
rpc_pack_request_head(msgpack_packer *pk, uint32_t msgid, const char *method)
{
	if (msgpack_pack_array(pk, 4) != 0 ||
	    msgpack_pack_uint8(pk, RPC_REQUEST) != 0 ||
	    msgpack_pack_uint32(pk, msgid) != 0 ||
	    rpc_pack_cstr(pk, method) != 0)
		return -1;
	return 0;
}

int
rpc_pack_response_head(msgpack_packer *pk, uint32_t msgid)
{
	if (msgpack_pack_array(pk, 4) != 0 ||
	    msgpack_pack_uint8(pk, RPC_RESPONSE) != 0 ||
	    msgpack_pack_uint32(pk, msgid) != 0 ||
	    msgpack_pack_nil(pk) != 0)
		return -1;
	return 0;
}

int
rpc_pack_response_error(msgpack_packer *pk, uint32_t msgid,
    enum cb_code code, const char *message)
{
	if (msgpack_pack_array(pk, 4) != 0 ||
	    msgpack_pack_uint8(pk, RPC_RESPONSE) != 0 ||
	    msgpack_pack_uint32(pk, msgid) != 0 ||
	    rpc_pack_error_pair(pk, code, message) != 0 ||
	    msgpack_pack_nil(pk) != 0)
		return -1;
	return 0;
}

int
rpc_pack_notification_error(msgpack_packer *pk, enum cb_code code,
    const char *message)
{
	if (msgpack_pack_array(pk, 3) != 0 ||
	    msgpack_pack_uint8(pk, RPC_NOTIFICATION) != 0 ||
	    rpc_pack_cstr(pk, CB_NOTIFY_ERROR) != 0 ||
	    rpc_pack_error_pair(pk, code, message) != 0)
		return -1;
	return 0;
}

const msgpack_object *
rpc_map_get(const msgpack_object *map, const char *key)
{
	if (map == NULL || key == NULL || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object_kv *kv = &map->via.map.ptr[i];

		if (rpc_obj_streq(&kv->key, key))
			return &kv->val;
	}
	return NULL;
}

bool
rpc_obj_streq(const msgpack_object *o, const char *s)
{
	const char *ptr;
	size_t len;

	if (o == NULL || s == NULL || !rpc_obj_is_text(o))
		return false;
	rpc_obj_text(o, &ptr, &len);
	return len == strlen(s) && (len == 0 || memcmp(ptr, s, len) == 0);
}

void
rpc_wipe_object(const msgpack_object *obj)
{
	/* Nesting is bounded by the scanner (CB_MAX_NESTING), so recursion
	 * is too. */
	switch (obj->type) {
	case MSGPACK_OBJECT_STR:
		if (obj->via.str.size > 0)
			explicit_bzero((char *)obj->via.str.ptr,
			    obj->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		if (obj->via.bin.size > 0)
			explicit_bzero((char *)obj->via.bin.ptr,
			    obj->via.bin.size);
		break;
	case MSGPACK_OBJECT_EXT:
		if (obj->via.ext.size > 0)
			explicit_bzero((char *)obj->via.ext.ptr,
			    obj->via.ext.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		for (uint32_t i = 0; i < obj->via.array.size; i++)
			rpc_wipe_object(&obj->via.array.ptr[i]);
		break;
	case MSGPACK_OBJECT_MAP:
		for (uint32_t i = 0; i < obj->via.map.size; i++) {
			rpc_wipe_object(&obj->via.map.ptr[i].key);
			rpc_wipe_object(&obj->via.map.ptr[i].val);
		}
		break;
	default:
		break;
	}
}
