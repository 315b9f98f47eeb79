/*
 * params.c -- struct cb_params: a method's named arguments, packed into a
 * msgpack map body as they are added.
 *
 * Owns the packed body and a copy of every key (to refuse a key set twice:
 * a map with duplicate keys means different things to different readers).
 * Never touches a socket; never keeps a partial entry: a failed setter
 * rolls the body back to where it was, so the object stays usable.
 */
#include <stdlib.h>
#include <string.h>

#include "cb_limits.h"
#include "errors.h"
#include "packbuf.h"

#include "cashbook.h"
#include "params.h"

/* No request may exceed the largest message any daemon accepts. */
#define PARAMS_MAX_BYTES CB_MAX_MAX_MESSAGE_BYTES

struct cb_params {
	struct packbuf body;	/* key, value, key, value, ... (no header) */
	uint32_t count;		/* entries in body */
	char **keys;		/* count copies, to catch duplicates */
	size_t keys_cap;
};

static void params_pack_map(const struct cb_params *p, msgpack_packer *pk);

void
cb_params_pack(const struct cb_params *p, msgpack_packer *pk)
{
	/* Return values are not needed here: pk writes into a packbuf, which
	 * the caller checks after the whole message. */
	if (p == NULL || p->count == 0) {
		(void)msgpack_pack_array(pk, 0);
		return;
	}
	(void)msgpack_pack_array(pk, 1);
	params_pack_map(p, pk);
}

struct cb_params *
cb_params_new(void)
{
	struct cb_params *p;

	p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	packbuf_init(&p->body);
	return p;
}

void
cb_params_free(struct cb_params *p)
{
	if (p == NULL)
		return;
	for (uint32_t i = 0; i < p->count; i++)
		free(p->keys[i]);
	free(p->keys);
	packbuf_destroy(&p->body);
	free(p);
}

/*
 * Start an entry of value_len payload bytes: check the key is new and the
 * entry can fit, make room to remember the key, pack it.  On success *mark
 * is where the entry starts, for rolling back.
 */
static int
params_begin(struct cb_params *p, const char *key, size_t value_len,
    size_t *mark)
{
	size_t len;

	if (p == NULL || key == NULL)
		return CB_EINVAL;
	for (uint32_t i = 0; i < p->count; i++) {
		if (strcmp(p->keys[i], key) == 0)
			return CB_EINVAL;
	}
	len = strlen(key);
	if (p->count == UINT32_MAX || len > PARAMS_MAX_BYTES ||
	    value_len > PARAMS_MAX_BYTES - len)
		return CB_EINVAL;
	if (p->count == p->keys_cap) {
		size_t cap = p->keys_cap == 0 ? 8 : p->keys_cap * 2;
		char **keys = realloc(p->keys, cap * sizeof *keys);

		if (keys == NULL)
			return CB_ENOMEM;
		p->keys = keys;
		p->keys_cap = cap;
	}
	*mark = p->body.sb.size;
	(void)msgpack_pack_str(&p->body.pk, len);
	(void)msgpack_pack_str_body(&p->body.pk, key, len);
	return CB_OK;
}

/* Finish an entry: keep it if it was packed whole and the body still fits
 * in a message, else roll back. */
static int
params_end(struct cb_params *p, const char *key, size_t mark)
{
	int rc = CB_OK;
	char *copy = NULL;

	if (packbuf_failed(&p->body))
		rc = CB_ENOMEM;
	else if (p->body.sb.size > PARAMS_MAX_BYTES)
		rc = CB_EINVAL;
	else if ((copy = strdup(key)) == NULL)
		rc = CB_ENOMEM;
	if (rc != CB_OK) {
		/* Dropping the tail leaves the body exactly as before. */
		p->body.sb.size = mark;
		p->body.oom = false;
		return rc;
	}
	p->keys[p->count++] = copy;
	return CB_OK;
}

int
cb_params_str(struct cb_params *p, const char *key, const char *value)
{
	size_t mark, len;
	int rc;

	if (value == NULL)
		return CB_EINVAL;
	len = strlen(value);
	if ((rc = params_begin(p, key, len, &mark)) != CB_OK)
		return rc;
	(void)msgpack_pack_str(&p->body.pk, len);
	(void)msgpack_pack_str_body(&p->body.pk, value, len);
	return params_end(p, key, mark);
}

int
cb_params_int(struct cb_params *p, const char *key, int64_t value)
{
	size_t mark;
	int rc;

	if ((rc = params_begin(p, key, 0, &mark)) != CB_OK)
		return rc;
	(void)msgpack_pack_int64(&p->body.pk, value);
	return params_end(p, key, mark);
}

int
cb_params_bool(struct cb_params *p, const char *key, bool value)
{
	size_t mark;
	int rc;

	if ((rc = params_begin(p, key, 0, &mark)) != CB_OK)
		return rc;
	if (value)
		(void)msgpack_pack_true(&p->body.pk);
	else
		(void)msgpack_pack_false(&p->body.pk);
	return params_end(p, key, mark);
}

int
cb_params_nil(struct cb_params *p, const char *key)
{
	size_t mark;
	int rc;

	if ((rc = params_begin(p, key, 0, &mark)) != CB_OK)
		return rc;
	(void)msgpack_pack_nil(&p->body.pk);
	return params_end(p, key, mark);
}

int
cb_params_str_array(struct cb_params *p, const char *key,
    const char *const *values, size_t n)
{
	size_t mark, total = 0;
	int rc;

	if (n > UINT32_MAX || (n > 0 && values == NULL))
		return CB_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (values[i] == NULL)
			return CB_EINVAL;
		total += strlen(values[i]);
		if (total > PARAMS_MAX_BYTES)
			return CB_EINVAL;
	}
	if ((rc = params_begin(p, key, total, &mark)) != CB_OK)
		return rc;
	(void)msgpack_pack_array(&p->body.pk, n);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(values[i]);

		(void)msgpack_pack_str(&p->body.pk, len);
		(void)msgpack_pack_str_body(&p->body.pk, values[i], len);
	}
	return params_end(p, key, mark);
}

int
cb_params_int_array(struct cb_params *p, const char *key,
    const int64_t *values, size_t n)
{
	size_t mark;
	int rc;

	/* Each packs to at most 9 bytes. */
	if (n > PARAMS_MAX_BYTES / 9 || (n > 0 && values == NULL))
		return CB_EINVAL;
	if ((rc = params_begin(p, key, n * 9, &mark)) != CB_OK)
		return rc;
	(void)msgpack_pack_array(&p->body.pk, n);
	for (size_t i = 0; i < n; i++)
		(void)msgpack_pack_int64(&p->body.pk, values[i]);
	return params_end(p, key, mark);
}

/* A map header and body: what cb_params_pack writes inside the array. */
static void
params_pack_map(const struct cb_params *p, msgpack_packer *pk)
{
	(void)msgpack_pack_map(pk, p->count);
	(void)pk->callback(pk->data, p->body.sb.data, p->body.sb.size);
}

int
cb_params_map_array(struct cb_params *p, const char *key,
    const struct cb_params *const *items, size_t n)
{
	size_t mark, total = 0;
	int rc;

	if (n > UINT32_MAX || (n > 0 && items == NULL))
		return CB_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (items[i] == NULL || items[i] == p)
			return CB_EINVAL;
		total += cb_params_bytes(items[i]);
		if (total > PARAMS_MAX_BYTES)
			return CB_EINVAL;
	}
	if ((rc = params_begin(p, key, total, &mark)) != CB_OK)
		return rc;
	(void)msgpack_pack_array(&p->body.pk, n);
	for (size_t i = 0; i < n; i++)
		params_pack_map(items[i], &p->body.pk);
	return params_end(p, key, mark);
}

size_t
cb_params_bytes(const struct cb_params *p)
{
	/* The body, and a map header of at most 5 bytes. */
	return p == NULL ? 1 : p->body.sb.size + 5;
}
