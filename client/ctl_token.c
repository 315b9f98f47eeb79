/*
 * ctl_token.c -- the token file: where it is, reading it strictly, and
 * replacing it atomically (through ctl_file.h, which it shares with the
 * other files cashbookctl keeps).  See ctl_token.h for the rules.
 *
 * Why so strict on reading: the token is as good as the password for 30
 * days.  A token file that others can read may already have leaked, and a
 * symbolic link may point somewhere another user controls; in both cases
 * it is safer to stop and say so than to use it.
 *
 * Owns nothing between calls; every descriptor it opens is closed before
 * it returns, on every path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "ctl_file.h"
#include "ctl_token.h"

#define CTL_TOKEN_FILE_NAME	"token"
#define CTL_TOKEN_WHAT		"token file"

/* Printable ASCII without spaces, 1 .. CTL_TOKEN_MAX bytes. */
static bool
token_valid(const char *s, size_t len)
{
	if (len == 0 || len > CTL_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	}
	return true;
}

int
ctl_token_path(char *buf, size_t len, char *err, size_t errlen)
{
	return ctl_file_path(CTL_TOKEN_FILE_NAME, CTL_TOKEN_WHAT, buf, len, err,
	    errlen);
}

int
ctl_token_read(const char *path, char *buf, size_t len, char *err,
    size_t errlen)
{
	/* Room for the longest token, CR LF, and one byte to see that the
	 * file is longer than that. */
	char data[CTL_TOKEN_MAX + 3];
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd, rc = CTL_TOKEN_ERROR;

	/* O_NONBLOCK: a FIFO put in its place must not hang us; it is
	 * refused below as not a regular file. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return CTL_TOKEN_NONE;
		if (errno == ELOOP)
			errbuf_set(err, errlen, "refusing the token file %s: it "
			    "is a symbolic link; remove it and run "
			    "cashbookctl login", path);
		else
			errbuf_set(err, errlen, "cannot read the token file %s: "
			    "%s", path, strerror(errno));
		return CTL_TOKEN_ERROR;
	}
	if (fstat(fd, &st) != 0) {
		errbuf_set(err, errlen, "cannot read the token file %s: %s",
		    path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errbuf_set(err, errlen, "refusing the token file %s: it is not "
		    "a regular file; remove it and run cashbookctl login",
		    path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		errbuf_set(err, errlen, "refusing the token file %s: it belongs "
		    "to another user (uid %ld); remove it and run cashbookctl "
		    "login", path, (long)st.st_uid);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		errbuf_set(err, errlen, "refusing the token file %s: group or "
		    "others may access it (mode %04o), so the token may have "
		    "leaked; run chmod 600 %s, then cashbookctl logout --all "
		    "to end every session, and log in again", path,
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while (n < sizeof data) {
		r = read(fd, data + n, sizeof data - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			errbuf_set(err, errlen, "cannot read the token file %s: "
			    "%s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > 0 && data[n - 1] == '\n')
		n--;
	if (n > 0 && data[n - 1] == '\r')
		n--;
	if (n == 0) {
		rc = CTL_TOKEN_NONE;
		goto out;
	}
	if (!token_valid(data, n) || len <= n) {
		errbuf_set(err, errlen, "the token file %s does not hold a "
		    "token; remove it and run cashbookctl login", path);
		goto out;
	}
	memcpy(buf, data, n);
	buf[n] = '\0';
	rc = CTL_TOKEN_OK;
out:
	explicit_bzero(data, sizeof data);
	/* Read-only: close cannot lose data; its failure changes nothing. */
	(void)close(fd);
	return rc;
}

int
ctl_token_get(const char *path, char *buf, size_t len, bool *from_env,
    char *err, size_t errlen)
{
	const char *env = getenv(CTL_TOKEN_ENV);
	size_t n;

	*from_env = false;
	if (env == NULL || env[0] == '\0')
		return ctl_token_read(path, buf, len, err, errlen);
	*from_env = true;
	n = strlen(env);
	if (!token_valid(env, n) || len <= n) {
		errbuf_set(err, errlen, "%s does not hold a token: unset it, or "
		    "set it to what cashbookctl login saved", CTL_TOKEN_ENV);
		return CTL_TOKEN_ERROR;
	}
	memcpy(buf, env, n + 1);
	return CTL_TOKEN_OK;
}

int
ctl_token_write(const char *path, const char *token, char *err,
    size_t errlen)
{
	char line[CTL_TOKEN_BUF + 1];
	size_t len = strlen(token);
	int rc;

	if (!token_valid(token, len)) {
		errbuf_set(err, errlen, "cashbookd sent something that is not a "
		    "token");
		return -1;
	}
	memcpy(line, token, len);
	line[len] = '\n';
	rc = ctl_file_write(path, line, len + 1, CTL_TOKEN_WHAT, err, errlen);
	explicit_bzero(line, sizeof line);
	return rc;
}

int
ctl_token_remove(const char *path, bool *removed, char *err, size_t errlen)
{
	return ctl_file_remove(path, removed, CTL_TOKEN_WHAT, err, errlen);
}
