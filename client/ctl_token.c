/*
 * ctl_token.c -- the token file: where it is, reading it strictly, and
 * replacing it atomically.  See ctl_token.h for the rules.
 *
 * Why so strict on reading: the token is as good as the password for 30
 * days.  A token file that others can read may already have leaked, and a
 * symbolic link may point somewhere another user controls; in both cases
 * it is safer to stop and say so than to use it.
 *
 * Owns nothing between calls; every descriptor and temporary file it makes
 * is closed or removed before it returns, on every path.
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
#include "ctl_token.h"

#define TOKEN_DIR_MODE		0700
#define TOKEN_FILE_MODE		0600
#define TOKEN_TMP_NAME		".token.XXXXXX"

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
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	/* The XDG base directory spec: a relative XDG_CONFIG_HOME is
	 * invalid and must be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/cashbook/token", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(buf, len, "%s/.config/cashbook/token", home);
	else {
		errbuf_set(err, errlen, "cannot tell where to keep the session "
		    "token: set HOME (or XDG_CONFIG_HOME) to an absolute path");
		return -1;
	}
	if (n < 0 || (size_t)n >= len) {
		errbuf_set(err, errlen, "the token file's path is too long: set "
		    "XDG_CONFIG_HOME to a shorter directory");
		return -1;
	}
	return 0;
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

/*
 * Create the directories leading to path's last component (mkdir -p of its
 * directory) with mode 0700.  Existing ones are left as they are.
 */
static int
make_parent_dirs(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);
	char *slash;

	if (len >= sizeof dir) {
		errbuf_set(err, errlen, "the token file's path is too long");
		return -1;
	}
	memcpy(dir, path, len + 1);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	/* Each prefix in turn; "/" itself always exists. */
	for (char *p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(dir, TOKEN_DIR_MODE) != 0 && errno != EEXIST) {
			errbuf_set(err, errlen, "cannot create the directory %s "
			    "for the token file: %s", dir, strerror(errno));
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	return 0;
}

/* Write all of buf to fd. */
static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* fsync the directory that holds path, so the rename is durable.  Some
 * file systems cannot sync a directory (EINVAL); that is not an error. */
static int
sync_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);
	char *slash;
	int fd, rc = 0, saved;

	if (len >= sizeof dir)
		return -1;
	memcpy(dir, path, len + 1);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return 0;
	slash[slash == dir ? 1 : 0] = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = -1;
	saved = errno;
	(void)close(fd);
	errno = saved;
	return rc;
}

int
ctl_token_write(const char *path, const char *token, char *err,
    size_t errlen)
{
	char tmp[PATH_MAX], line[CTL_TOKEN_BUF + 1];
	size_t len = strlen(token);
	const char *slash = strrchr(path, '/');
	size_t dirlen;
	int fd, rc = -1;

	if (!token_valid(token, len)) {
		errbuf_set(err, errlen, "cashbookd sent something that is not a "
		    "token");
		return -1;
	}
	if (slash == NULL) {
		errbuf_set(err, errlen, "the token file's path %s is not "
		    "absolute", path);
		return -1;
	}
	dirlen = (size_t)(slash - path) + 1;
	if (dirlen + sizeof TOKEN_TMP_NAME > sizeof tmp) {
		errbuf_set(err, errlen, "the token file's path is too long");
		return -1;
	}
	if (make_parent_dirs(path, err, errlen) != 0)
		return -1;
	memcpy(tmp, path, dirlen);
	memcpy(tmp + dirlen, TOKEN_TMP_NAME, sizeof TOKEN_TMP_NAME);
	/* mkostemp creates the file with O_EXCL and mode 0600. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		errbuf_set(err, errlen, "cannot create a file next to %s: %s",
		    path, strerror(errno));
		return -1;
	}
	memcpy(line, token, len);
	line[len] = '\n';
	if (fchmod(fd, TOKEN_FILE_MODE) != 0 ||
	    write_all(fd, line, len + 1) != 0 || fsync(fd) != 0) {
		errbuf_set(err, errlen, "cannot write %s: %s", tmp,
		    strerror(errno));
		(void)close(fd);
		goto fail;
	}
	if (close(fd) != 0) {
		errbuf_set(err, errlen, "cannot write %s: %s", tmp,
		    strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		errbuf_set(err, errlen, "cannot replace %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	/* The new file is in place and synced; a failed sync of the
	 * directory only means the rename might not survive a crash of the
	 * machine.  Reporting failure now would be worse: the caller would
	 * think the old file was still there. */
	(void)sync_parent_dir(path);
	rc = 0;
	goto out;
fail:
	/* Nothing else may be done with the temporary file; if even the
	 * unlink fails, the message above already says what went wrong. */
	(void)unlink(tmp);
out:
	explicit_bzero(line, sizeof line);
	return rc;
}

int
ctl_token_remove(const char *path, bool *removed, char *err, size_t errlen)
{
	*removed = false;
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			return 0;
		errbuf_set(err, errlen, "cannot remove the token file %s: %s",
		    path, strerror(errno));
		return -1;
	}
	*removed = true;
	return 0;
}
