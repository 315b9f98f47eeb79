/*
 * conn.h -- what libcashbook's typed calls (typed.c) need from a
 * connection (libcashbook.c): its session token, and recording why a call
 * failed.
 *
 * Not installed.
 */
#ifndef CASHBOOK_CLIENT_CONN_H
#define CASHBOOK_CLIENT_CONN_H

struct cb_conn;

/* The token set with cb_set_token, or NULL. */
const char *cb_conn_token(const struct cb_conn *conn);

/* Record a local failure that leaves the connection usable (what
 * cb_error_message() then says); returns rc. */
int cb_conn_fail(struct cb_conn *conn, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
