/*
 * cashbook_msgpack.h -- libcashbook's msgpack-level reading of replies, for
 * the programs built in this tree (cashbookctl, cashbook-bench, the tests).
 *
 * Not installed, and not exported by libcashbook.so (hidden visibility):
 * these functions tie a caller to msgpack-c's msgpack_object, which the
 * installed cashbook.h keeps out of the library's ABI.  They link from the
 * static library only.  A struct cb_value is a msgpack_object under
 * another name (value.c), so both views read the same reply.
 */
#ifndef CASHBOOK_CLIENT_MSGPACK_H
#define CASHBOOK_CLIENT_MSGPACK_H

#include <msgpack.h>

#include "cashbook.h"

/* The result (a nil object when the response is an error); for a
 * notification, its params map (the event).  Valid until cb_reply_free. */
const msgpack_object *cb_reply_result(const struct cb_reply *reply);

/* The value under key in map, or NULL (also when map is NULL or no map). */
const msgpack_object *cb_map_get(const msgpack_object *map, const char *key);
/* The integer under key.  CB_OK, or CB_EPROTO when it is missing or not an
 * integer that fits int64_t (*out is then unchanged). */
int cb_map_get_int(const msgpack_object *map, const char *key, int64_t *out);
/* The string under key, copied NUL-terminated into buf.  CB_OK, CB_EPROTO
 * when missing or not a string, CB_EINVAL when it did not fit (buf then
 * holds as much as fits). */
int cb_map_get_str(const msgpack_object *map, const char *key, char *buf,
    size_t len);

/* The two views of one value. */
const msgpack_object *cb_value_object(const struct cb_value *v);
const struct cb_value *cb_value_of(const msgpack_object *o);

#endif
