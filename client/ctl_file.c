/*
 * ctl_file.c -- cashbookctl's configuration directory and its small
 * files: where they are, replacing one atomically, reading one back.  See
 * ctl_file.h.
 *
 * Owns nothing between calls; every descriptor and temporary file it makes
 * is closed or removed before it returns, on every path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "ctl_file.h"

#define CTL_FILE_DIR_MODE	0700
#define CTL_FILE_MODE		0600
#define CTL_FILE_TMP_SUFFIX	".XXXXXX"

int
ctl_file_path(const char *name, const char *what, char *buf, size_t len,
    char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	/* The XDG base directory spec: a relative XDG_CONFIG_HOME is
	 * invalid and must be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/cashbook/%s", xdg, name);
	else if (home != NULL && home[0] == '/')
		n = snprintf(buf, len, "%s/.config/cashbook/%s", home, name);
	else {
		errbuf_set(err, errlen, "cannot tell where to keep the %s: set "
		    "HOME (or XDG_CONFIG_HOME) to an absolute path", what);
		return -1;
	}
	if (n < 0 || (size_t)n >= len) {
		errbuf_set(err, errlen, "the %s's path is too long: set "
		    "XDG_CONFIG_HOME to a shorter directory", what);
		return -1;
	}
	return 0;
}

/*
 * Create the directories leading to path's last component (mkdir -p of its
 * directory) with mode 0700.  Existing ones are left as they are.
 */
static int
make_parent_dirs(const char *path, const char *what, char *err,
    size_t errlen)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);
	char *slash;

	if (len >= sizeof dir) {
		errbuf_set(err, errlen, "the %s's path is too long", what);
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
		if (mkdir(dir, CTL_FILE_DIR_MODE) != 0 && errno != EEXIST) {
			errbuf_set(err, errlen, "cannot create the directory %s "
			    "for the %s: %s", dir, what, strerror(errno));
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

/* The temporary file's name for path: ".NAME.XXXXXX" next to it (in the
 * working directory for a path without a '/'). */
static int
tmp_path(const char *path, const char *what, char *tmp, size_t len,
    char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash == NULL ? 0 : (int)(slash - path + 1);
	int n;

	if (path[dirlen] == '\0') {
		errbuf_set(err, errlen, "the %s's path %s names a directory, "
		    "not a file", what, path);
		return -1;
	}
	n = snprintf(tmp, len, "%.*s.%s" CTL_FILE_TMP_SUFFIX, dirlen, path,
	    path + dirlen);
	if (n < 0 || (size_t)n >= len) {
		errbuf_set(err, errlen, "the %s's path is too long", what);
		return -1;
	}
	return 0;
}

int
ctl_file_write(const char *path, const char *data, size_t len,
    const char *what, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd;

	if (tmp_path(path, what, tmp, sizeof tmp, err, errlen) != 0 ||
	    make_parent_dirs(path, what, err, errlen) != 0)
		return -1;
	/* mkostemp creates the file with O_EXCL and mode 0600. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		errbuf_set(err, errlen, "cannot create a file next to %s: %s",
		    path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, CTL_FILE_MODE) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
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
	return 0;
fail:
	/* Nothing else may be done with the temporary file; if even the
	 * unlink fails, the message above already says what went wrong. */
	(void)unlink(tmp);
	return -1;
}

int
ctl_file_out_open(struct ctl_file_out *out, const char *path,
    const char *what, char *err, size_t errlen)
{
	size_t len = strlen(path);
	int fd;

	out->f = NULL;
	if (len >= sizeof out->path) {
		errbuf_set(err, errlen, "the %s's path is too long", what);
		return -1;
	}
	memcpy(out->path, path, len + 1);
	if (tmp_path(path, what, out->tmp, sizeof out->tmp, err, errlen) != 0)
		return -1;
	if ((fd = mkostemp(out->tmp, O_CLOEXEC)) < 0) {
		errbuf_set(err, errlen, "cannot create a file next to %s: %s",
		    path, strerror(errno));
		return -1;
	}
	if ((out->f = fdopen(fd, "w")) == NULL) {
		errbuf_set(err, errlen, "cannot write %s: %s", out->tmp,
		    strerror(errno));
		(void)close(fd);
		(void)unlink(out->tmp);
		return -1;
	}
	return 0;
}

int
ctl_file_out_commit(struct ctl_file_out *out, const char *what,
    char *err, size_t errlen)
{
	FILE *f = out->f;
	int failed;

	out->f = NULL;
	errno = 0;
	/* ferror: an earlier write failed, even if this flush succeeds. */
	failed = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
	if (fclose(f) != 0 || failed) {
		errbuf_set(err, errlen, "cannot write the %s %s: %s", what,
		    out->tmp, errno != 0 ? strerror(errno) : "write error");
		(void)unlink(out->tmp);
		return -1;
	}
	if (rename(out->tmp, out->path) != 0) {
		errbuf_set(err, errlen, "cannot put the %s in place as %s: %s",
		    what, out->path, strerror(errno));
		(void)unlink(out->tmp);
		return -1;
	}
	/* As in ctl_file_write: the file is complete and in place. */
	(void)sync_parent_dir(out->path);
	return 0;
}

void
ctl_file_out_abort(struct ctl_file_out *out)
{
	if (out->f == NULL)
		return;
	/* Being thrown away: how the close went changes nothing. */
	(void)fclose(out->f);
	out->f = NULL;
	(void)unlink(out->tmp);
}

/* Read all of fd into buf[0..len); the byte count, or -1. */
static ssize_t
read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n < len) {
		r = read(fd, buf + n, len - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

int
ctl_file_read(const char *path, char *buf, size_t len, const char *what,
    char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, rc = CTL_FILE_ERROR;

	/* O_NONBLOCK: a FIFO put in its place must not hang us; it is
	 * refused below as not a regular file. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return CTL_FILE_NONE;
		if (errno == ELOOP)
			errbuf_set(err, errlen, "refusing the %s %s: it is a "
			    "symbolic link; remove it", what, path);
		else
			errbuf_set(err, errlen, "cannot read the %s %s: %s",
			    what, path, strerror(errno));
		return CTL_FILE_ERROR;
	}
	if (fstat(fd, &st) != 0) {
		errbuf_set(err, errlen, "cannot read the %s %s: %s", what, path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		errbuf_set(err, errlen, "refusing the %s %s: it is %s; remove "
		    "it", what, path, S_ISREG(st.st_mode) ? "another user's" :
		    "not a regular file");
		goto out;
	}
	if (len == 0 || (n = read_all(fd, buf, len)) < 0) {
		errbuf_set(err, errlen, "cannot read the %s %s: %s", what, path,
		    len == 0 ? "no room" : strerror(errno));
		goto out;
	}
	if ((size_t)n == len || memchr(buf, '\0', (size_t)n) != NULL) {
		errbuf_set(err, errlen, "the %s %s holds something else than "
		    "expected; remove it", what, path);
		goto out;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	rc = CTL_FILE_OK;
out:
	/* Read-only: close cannot lose data; its failure changes nothing. */
	(void)close(fd);
	return rc;
}

int
ctl_file_remove(const char *path, bool *removed, const char *what,
    char *err, size_t errlen)
{
	*removed = false;
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			return 0;
		errbuf_set(err, errlen, "cannot remove the %s %s: %s", what,
		    path, strerror(errno));
		return -1;
	}
	*removed = true;
	return 0;
}
