/*
 * args.h -- reading a handler's named arguments from the params map.
 *
 * Each getter looks up key, checks its type and bounds, and on a problem
 * fails the call with bad_request and a message naming the field, so
 * handlers read as a list of their arguments:
 *
 *	if (args_int(call, "ms", true, 0, 60000, &ms, NULL) != 0)
 *		return -1;
 *
 * Strings point into the request message (valid for the whole call) and are
 * not NUL-terminated.  required=false and the key absent (or nil, which
 * means the same): returns 0 with *present false (when present is given)
 * and the output untouched.
 */
#ifndef CASHBOOK_DAEMON_ARGS_H
#define CASHBOOK_DAEMON_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "method.h"

int args_str(struct call *call, const char *key, bool required,
    size_t max_len, const char **s, size_t *len, bool *present);

int args_int(struct call *call, const char *key, bool required, int64_t min,
    int64_t max, int64_t *out, bool *present);

int args_bool(struct call *call, const char *key, bool required, bool *out,
    bool *present);

/*
 * Check the params map as a whole, before any handler runs: keys must be
 * strings, unique, and listed in fields (when fields is not NULL).
 * Returns 0, or -1 with the call failed (bad_request).
 */
int args_check_fields(struct call *call, const char *const *fields);

#endif
