/*
 * value.c -- struct cb_value, libcashbook's own view of a value inside a
 * reply, and the msgpack-level lookups the tree's own programs use
 * (cashbook_msgpack.h).
 *
 * A struct cb_value is a msgpack_object under another name: a pointer to
 * one is a pointer to the msgpack_object in the reply's zone, converted
 * (C11 6.7.2.1: a struct and its first member share an address).  Nothing
 * is copied or allocated, and every value is read only through
 * msgpack_object.  Owns nothing; never trusts a value's type: every
 * accessor checks it and answers NULL, 0 or CB_EPROTO for the wrong one.
 */
#include <string.h>

#include "rpc.h"

#include "cashbook.h"
#include "cashbook_msgpack.h"

struct cb_value {
	msgpack_object o;
};

const msgpack_object *
cb_value_object(const struct cb_value *v)
{
	return v == NULL ? NULL : &v->o;
}

const struct cb_value *
cb_value_of(const msgpack_object *o)
{
	return (const struct cb_value *)o;
}

/* ---- public: values ---- */

enum cb_value_type
cb_value_type(const struct cb_value *v)
{
	const msgpack_object *o = cb_value_object(v);

	if (o == NULL)
		return CB_VALUE_NIL;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:		return CB_VALUE_NIL;
	case MSGPACK_OBJECT_BOOLEAN:		return CB_VALUE_BOOL;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:	return CB_VALUE_INT;
	case MSGPACK_OBJECT_STR:		return CB_VALUE_STR;
	case MSGPACK_OBJECT_ARRAY:		return CB_VALUE_ARRAY;
	case MSGPACK_OBJECT_MAP:		return CB_VALUE_MAP;
	default:				return CB_VALUE_OTHER;
	}
}

int
cb_value_int(const struct cb_value *v, int64_t *out)
{
	const msgpack_object *o = cb_value_object(v);

	if (out == NULL)
		return CB_EINVAL;
	if (o == NULL)
		return CB_EPROTO;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > INT64_MAX)
			return CB_EPROTO;
		*out = (int64_t)o->via.u64;
		return CB_OK;
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*out = o->via.i64;
		return CB_OK;
	}
	return CB_EPROTO;
}

int
cb_value_bool(const struct cb_value *v, bool *out)
{
	const msgpack_object *o = cb_value_object(v);

	if (out == NULL)
		return CB_EINVAL;
	if (o == NULL || o->type != MSGPACK_OBJECT_BOOLEAN)
		return CB_EPROTO;
	*out = o->via.boolean;
	return CB_OK;
}

int
cb_value_str(const struct cb_value *v, const char **ptr, size_t *len)
{
	const msgpack_object *o = cb_value_object(v);

	if (ptr == NULL || len == NULL)
		return CB_EINVAL;
	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return CB_EPROTO;
	*ptr = o->via.str.ptr;
	*len = o->via.str.size;
	return CB_OK;
}

int
cb_value_str_copy(const struct cb_value *v, char *buf, size_t len)
{
	const char *ptr;
	size_t n;

	if (buf == NULL || len == 0)
		return CB_EINVAL;
	buf[0] = '\0';
	if (cb_value_str(v, &ptr, &n) != CB_OK)
		return CB_EPROTO;
	if (n >= len) {
		memcpy(buf, ptr, len - 1);
		buf[len - 1] = '\0';
		return CB_EINVAL;
	}
	if (n > 0)
		memcpy(buf, ptr, n);
	buf[n] = '\0';
	return CB_OK;
}

size_t
cb_value_array_len(const struct cb_value *v)
{
	const msgpack_object *o = cb_value_object(v);

	if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	return o->via.array.size;
}

const struct cb_value *
cb_value_array_at(const struct cb_value *v, size_t i)
{
	if (i >= cb_value_array_len(v))
		return NULL;
	return cb_value_of(&cb_value_object(v)->via.array.ptr[i]);
}

const struct cb_value *
cb_value_map_get(const struct cb_value *map, const char *key)
{
	return cb_value_of(rpc_map_get(cb_value_object(map), key));
}

size_t
cb_value_map_len(const struct cb_value *map)
{
	const msgpack_object *o = cb_value_object(map);

	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return 0;
	return o->via.map.size;
}

const struct cb_value *
cb_value_map_key_at(const struct cb_value *map, size_t i)
{
	if (i >= cb_value_map_len(map))
		return NULL;
	return cb_value_of(&cb_value_object(map)->via.map.ptr[i].key);
}

const struct cb_value *
cb_value_map_value_at(const struct cb_value *map, size_t i)
{
	if (i >= cb_value_map_len(map))
		return NULL;
	return cb_value_of(&cb_value_object(map)->via.map.ptr[i].val);
}

int
cb_value_map_get_int(const struct cb_value *map, const char *key,
    int64_t *out)
{
	return cb_value_int(cb_value_map_get(map, key), out);
}

int
cb_value_map_get_str(const struct cb_value *map, const char *key, char *buf,
    size_t len)
{
	return cb_value_str_copy(cb_value_map_get(map, key), buf, len);
}

/* ---- the tree's own: msgpack objects ---- */

const msgpack_object *
cb_map_get(const msgpack_object *map, const char *key)
{
	return rpc_map_get(map, key);
}

int
cb_map_get_int(const msgpack_object *map, const char *key, int64_t *out)
{
	return cb_value_map_get_int(cb_value_of(map), key, out);
}

int
cb_map_get_str(const msgpack_object *map, const char *key, char *buf,
    size_t len)
{
	return cb_value_map_get_str(cb_value_of(map), key, buf, len);
}
