/*
 * args.c -- typed access to a call's named arguments (see args.h).
 */
#include <string.h>

#include "args.h"
#include "rpc.h"

static const msgpack_object *
args_lookup(struct call *call, const char *key, bool required, bool *present,
    int *rc)
{
	const msgpack_object *v = rpc_map_get(call->params, key);

	/* nil for an optional argument is the same as leaving it out. */
	if (v != NULL && v->type == MSGPACK_OBJECT_NIL && !required)
		v = NULL;
	if (present != NULL)
		*present = v != NULL;
	*rc = 0;
	if (v == NULL && required)
		*rc = call_fail(call, CB_BAD_REQUEST, "missing field '%s'",
		    key);
	return v;
}

int
args_str(struct call *call, const char *key, bool required, size_t max_len,
    const char **s, size_t *len, bool *present)
{
	const msgpack_object *v;
	int rc;

	if ((v = args_lookup(call, key, required, present, &rc)) == NULL)
		return rc;
	if (v->type != MSGPACK_OBJECT_STR)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be a "
		    "string", key);
	if (v->via.str.size > max_len)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' is longer "
		    "than %zu bytes", key, max_len);
	*s = v->via.str.ptr;
	*len = v->via.str.size;
	return 0;
}

int
args_int(struct call *call, const char *key, bool required, int64_t min,
    int64_t max, int64_t *out, bool *present)
{
	const msgpack_object *v;
	int64_t n;
	int rc;

	if ((v = args_lookup(call, key, required, present, &rc)) == NULL)
		return rc;
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (v->via.u64 > (uint64_t)INT64_MAX)
			goto range;
		n = (int64_t)v->via.u64;
	} else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		n = v->via.i64;
	else
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be an "
		    "integer", key);
	if (n < min || n > max)
		goto range;
	*out = n;
	return 0;
range:
	return call_fail(call, CB_BAD_REQUEST, "field '%s' must be from %lld "
	    "to %lld", key, (long long)min, (long long)max);
}

int
args_bool(struct call *call, const char *key, bool required, bool *out,
    bool *present)
{
	const msgpack_object *v;
	int rc;

	if ((v = args_lookup(call, key, required, present, &rc)) == NULL)
		return rc;
	if (v->type != MSGPACK_OBJECT_BOOLEAN)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be true "
		    "or false", key);
	*out = v->via.boolean;
	return 0;
}

static bool
args_listed(const msgpack_object *key, const char *const *fields)
{
	for (; *fields != NULL; fields++) {
		if (rpc_obj_streq(key, *fields))
			return true;
	}
	return false;
}

int
args_check_fields(struct call *call, const char *const *fields)
{
	const msgpack_object_map *map;
	const msgpack_object *key;

	if (call->params == NULL)
		return 0;
	map = &call->params->via.map;
	for (uint32_t i = 0; i < map->size; i++) {
		key = &map->ptr[i].key;
		if (key->type != MSGPACK_OBJECT_STR)
			return call_fail(call, CB_BAD_REQUEST, "params keys "
			    "must be strings");
		for (uint32_t j = 0; j < i; j++) {
			const msgpack_object *prev = &map->ptr[j].key;
			if (prev->via.str.size == key->via.str.size &&
			    memcmp(prev->via.str.ptr, key->via.str.ptr,
			    key->via.str.size) == 0)
				return call_fail(call, CB_BAD_REQUEST,
				    "field '%.*s' given twice",
				    (int)(key->via.str.size > 64 ? 64 :
				    key->via.str.size), key->via.str.ptr);
		}
		if (fields != NULL && !args_listed(key, fields))
			return call_fail(call, CB_BAD_REQUEST, "unknown field "
			    "'%.*s' for %s", (int)(key->via.str.size > 64 ?
			    64 : key->via.str.size), key->via.str.ptr,
			    call->method->name);
	}
	return 0;
}
