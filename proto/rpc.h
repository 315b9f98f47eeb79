/*
 * rpc.h -- msgpack-RPC messages: classify a decoded message, and pack the
 * three message shapes.  Shared by the daemon and the client library.
 *
 *   request       [0, msgid:uint32, method:str|bin, params:array]
 *   response      [1, msgid:uint32, error:nil|[code:str, message:str], result]
 *   notification  [2, method:str|bin, params:array]
 *
 * params is [] or [map]: one map of named arguments.
 *
 * Decoding goes through rpc_decode(), which runs the scanner's bounds first
 * (see scan.h) and only then msgpack-c.  rpc_parse() never allocates: the
 * struct rpc_message points into the msgpack_object it was given, which
 * must outlive it.
 */
#ifndef CASHBOOK_PROTO_RPC_H
#define CASHBOOK_PROTO_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "errors.h"

enum rpc_type {
	RPC_REQUEST = 0,
	RPC_RESPONSE = 1,
	RPC_NOTIFICATION = 2,
};

struct rpc_message {
	enum rpc_type type;
	uint32_t msgid;			/* request, response */
	const char *method;		/* request, notification (not NUL-ended) */
	size_t method_len;
	const msgpack_object *params;	/* the map, or NULL when params is [] */
	/* response only */
	enum cb_code error_code;	/* CB_CODE_NONE when error is nil */
	const char *error_message;	/* not NUL-ended; NULL when no error */
	size_t error_message_len;
	const char *error_name;		/* the code as sent (may be unknown) */
	size_t error_name_len;
	const msgpack_object *result;	/* nil when error is set */
};

/*
 * Decode exactly len bytes (one complete message, as found by scan_feed())
 * into out, whose zone the caller must free with msgpack_unpacked_destroy().
 * Returns 0, or -1 when the bytes are not exactly one msgpack object (or
 * are nested deeper than CB_MAX_NESTING, or msgpack-c ran out of memory).
 *
 * out must have been set up with msgpack_unpacked_init(); any zone it
 * already holds is freed first (as msgpack_unpack_next() does), and on -1
 * it is left empty, so destroying it is always harmless.  The decoded
 * object points into a private copy of the bytes owned by out's zone, never
 * into buf: buf may be reused as soon as this returns.
 */
int rpc_decode(const char *buf, size_t len, msgpack_unpacked *out);

/*
 * Classify a decoded object.  Returns 0 on success.  On failure returns -1,
 * writes a human message naming what is wrong into err (always
 * NUL-terminated), and sets *msgid to the request's msgid when it could be
 * read (0 otherwise) so the caller can answer bad_request to it.
 * A method name over CB_MAX_METHOD_LEN is accepted here; the dispatcher
 * answers it unknown_method.
 *
 * The one notification with other params, [2, "error", [code, message]]
 * (CB_NOTIFY_ERROR), is parsed like a response's error pair: error_code,
 * error_name and error_message are filled and params is NULL.  A response
 * whose error is set must carry a nil result.  An error code name this
 * build does not know (a newer server) reads as CB_INTERNAL, and so does
 * "ok", so that an error pair can never look like success; error_name
 * keeps the name as sent.
 */
int rpc_parse(const msgpack_object *obj, struct rpc_message *out,
    uint32_t *msgid, char *err, size_t errlen);

/* Packing.  Each writes one whole message, except the _head variants which
 * write the array header and every element but the last: the caller packs
 * the params array (request) or the result (response) right after.
 * Each returns 0, or -1 when the packer's write callback failed (out of
 * memory): the buffer then holds a partial message and must be discarded.
 * Error messages are sent as valid UTF-8 whatever they hold: each byte
 * that is not UTF-8 becomes U+FFFD, then the text is cut to at most
 * CB_MAX_ERROR_MESSAGE bytes at a character boundary; a NULL message packs
 * as "". */
int rpc_pack_request_head(msgpack_packer *pk, uint32_t msgid,
    const char *method);
int rpc_pack_response_head(msgpack_packer *pk, uint32_t msgid);
int rpc_pack_response_error(msgpack_packer *pk, uint32_t msgid,
    enum cb_code code, const char *message);
int rpc_pack_notification_error(msgpack_packer *pk, enum cb_code code,
    const char *message);

/* Helpers for reading maps of named arguments and results. */

/* The value stored under key (str or bin key) in map, or NULL.  map may be
 * NULL or a non-map (then NULL). */
const msgpack_object *rpc_map_get(const msgpack_object *map, const char *key);

/* True when o is a str or bin equal to s. */
bool rpc_obj_streq(const msgpack_object *o, const char *s);

/* Pack a NUL-terminated string as msgpack str.  Returns 0 or -1 as above. */
int rpc_pack_cstr(msgpack_packer *pk, const char *s);

/* Pack true or false. */
int rpc_pack_bool(msgpack_packer *pk, bool b);

/* Append len bytes that already are whole msgpack objects (packed by
 * this process, e.g. rows packed into a scratch buffer before their count
 * was known).  Returns 0 or -1 as above. */
int rpc_pack_raw(msgpack_packer *pk, const void *bytes, size_t len);

/* Overwrite with zeros every str, bin and ext payload inside obj (which
 * must point into memory the caller owns, e.g. a decoded message's zone):
 * passwords and tokens must not outlive the message that carried them. */
void rpc_wipe_object(const msgpack_object *obj);

#endif
