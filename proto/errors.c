/*
 * errors.c -- names of the stable error codes (see errors.h).
 */
#include <string.h>

#include "errors.h"

static const char *const code_names[CB_CODE_COUNT] = {
	[CB_CODE_NONE] = "ok",
	[CB_BAD_REQUEST] = "bad_request",
	[CB_UNAUTHORIZED] = "unauthorized",
	[CB_NOT_FOUND] = "not_found",
	[CB_CONFLICT] = "conflict",
	[CB_RATE_LIMITED] = "rate_limited",
	[CB_POOL_TIMEOUT] = "pool_timeout",
	[CB_STATEMENT_TIMEOUT] = "statement_timeout",
	[CB_TOO_LARGE] = "too_large",
	[CB_UNKNOWN_METHOD] = "unknown_method",
	[CB_UNAVAILABLE] = "unavailable",
	[CB_INTERNAL] = "internal",
	[CB_PROTOCOL_ERROR] = "protocol_error",
	[CB_FORBIDDEN] = "forbidden",
};

const char *
cb_code_name(enum cb_code code)
{
	if ((unsigned)code >= CB_CODE_COUNT)
		return "internal";
	return code_names[code];
}

enum cb_code
cb_code_from_name(const char *name, size_t len)
{
	for (unsigned i = 0; i < CB_CODE_COUNT; i++) {
		if (strlen(code_names[i]) == len &&
		    memcmp(code_names[i], name, len) == 0)
			return (enum cb_code)i;
	}
	return CB_INTERNAL;
}
