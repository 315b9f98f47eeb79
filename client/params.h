/*
 * params.h -- libcashbook's private side of struct cb_params: how the
 * connection code appends a params object to a request.
 *
 * Not installed.
 */
#ifndef CASHBOOK_CLIENT_PARAMS_H
#define CASHBOOK_CLIENT_PARAMS_H

#include <msgpack.h>

struct cb_params;

/* Append the params array of a request to pk: [] when p is NULL or empty,
 * else [map].  Errors are left to pk's buffer (a struct packbuf), which the
 * caller checks once the whole message is packed. */
void cb_params_pack(const struct cb_params *p, msgpack_packer *pk);

#endif
