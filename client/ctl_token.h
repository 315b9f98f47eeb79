/*
 * ctl_token.h -- where cashbookctl keeps the session token between runs:
 * the token file, and the CASHBOOK_TOKEN override.
 *
 * The file is $XDG_CONFIG_HOME/cashbook/token when XDG_CONFIG_HOME is an
 * absolute path, else $HOME/.config/cashbook/token (HOME must then be an
 * absolute path).  It holds the token and a newline.  It is written
 * atomically (a temporary file in the same directory, fsync, rename, fsync
 * of the directory) with mode 0600; missing directories are created with
 * mode 0700.
 *
 * Reading is strict, as ssh is with its keys: the token file must be a
 * regular file (a symbolic link is refused, never followed), owned by this
 * user, and neither group nor others may have any access to it; anything
 * else is refused with a message that says what to do.  One trailing
 * newline (or CR LF) is ignored; an empty file counts as no token.  A
 * token must be 1 .. CTL_TOKEN_MAX printable ASCII characters without
 * spaces; it is opaque otherwise.
 *
 * CASHBOOK_TOKEN, when set and not empty, is used instead of the file
 * (ctl_token_get); the file is then neither read nor checked.
 *
 * Owns nothing; keeps no state.  Never prints: failures are described in
 * the caller's err buffer, and never contain the token.  Every buffer that
 * held a token on the way is wiped (explicit_bzero) before returning.
 */
#ifndef CASHBOOK_CLIENT_CTL_TOKEN_H
#define CASHBOOK_CLIENT_CTL_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

/* The environment variable that overrides the token file. */
#define CTL_TOKEN_ENV		"CASHBOOK_TOKEN"

/* Longest token accepted (today's tokens are at most 67 bytes; the rest is
 * room for a future format), and a buffer that holds one and its NUL. */
#define CTL_TOKEN_MAX		255
#define CTL_TOKEN_BUF		(CTL_TOKEN_MAX + 1)

/* Results of ctl_token_read and ctl_token_get. */
enum {
	CTL_TOKEN_ERROR = -1,	/* refused or unreadable: see err */
	CTL_TOKEN_OK = 0,
	CTL_TOKEN_NONE = 1,	/* no token: the file is missing or empty */
};

/*
 * Write the token file's path into buf.  0, or -1 with why in err (buf too
 * small, or neither XDG_CONFIG_HOME nor HOME is an absolute path).
 */
int ctl_token_path(char *buf, size_t len, char *err, size_t errlen);

/*
 * Read the token in the file at path into buf (len >= CTL_TOKEN_BUF).
 * CTL_TOKEN_OK, CTL_TOKEN_NONE, or CTL_TOKEN_ERROR with why in err.
 */
int ctl_token_read(const char *path, char *buf, size_t len, char *err,
    size_t errlen);

/*
 * The token to use: CASHBOOK_TOKEN when set and not empty (*from_env is
 * then true), else the file at path (ctl_token_read).  The same results.
 */
int ctl_token_get(const char *path, char *buf, size_t len, bool *from_env,
    char *err, size_t errlen);

/*
 * Replace the token file at path with token, atomically, creating missing
 * directories.  0, or -1 with why in err; the old file (if any) is then
 * unchanged and no temporary file is left behind.
 */
int ctl_token_write(const char *path, const char *token, char *err,
    size_t errlen);

/*
 * Remove the token file at path.  0 (*removed tells whether there was
 * one), or -1 with why in err.
 */
int ctl_token_remove(const char *path, bool *removed, char *err,
    size_t errlen);

#endif
