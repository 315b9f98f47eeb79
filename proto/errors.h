/*
 * errors.h -- the stable error codes of the wire protocol.
 *
 * An error travels as the pair [code, message]: code is one of the names
 * below (never renumbered, never renamed: clients match on them), message
 * is for people.  The enum is only this process's handle on the names; its
 * numeric values never go on the wire.
 */
#ifndef CASHBOOK_PROTO_ERRORS_H
#define CASHBOOK_PROTO_ERRORS_H

#include <stddef.h>

enum cb_code {
	CB_CODE_NONE = 0,
	CB_BAD_REQUEST,
	CB_UNAUTHORIZED,
	CB_NOT_FOUND,
	CB_CONFLICT,
	CB_RATE_LIMITED,
	CB_POOL_TIMEOUT,
	CB_STATEMENT_TIMEOUT,
	CB_TOO_LARGE,
	CB_UNKNOWN_METHOD,
	CB_UNAVAILABLE,
	CB_INTERNAL,
	CB_PROTOCOL_ERROR,	/* only in the "error" notification before a close */
	CB_FORBIDDEN,		/* a member lacking a permission on a book */
	CB_CODE_COUNT
};

/* "bad_request", ... ; "internal" for an out-of-range value. */
const char *cb_code_name(enum cb_code code);

/* The code for a name on the wire (str, not NUL-terminated); CB_INTERNAL
 * when the name is unknown (a newer server may add codes). */
enum cb_code cb_code_from_name(const char *name, size_t len);

#endif
