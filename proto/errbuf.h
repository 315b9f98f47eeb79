/*
 * errbuf.h -- write a message into a caller's (err, errlen) buffer.
 *
 * The convention across the project's functions that can fail: the caller
 * passes a buffer, which may be NULL or empty; the message is always
 * NUL-terminated and cut to fit.
 */
#ifndef CASHBOOK_PROTO_ERRBUF_H
#define CASHBOOK_PROTO_ERRBUF_H

#include <stddef.h>

void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
