/*
 * test_ctl_token.c -- cashbookctl's token file module (client/ctl_token.c):
 * where the file is, how it is written (modes, directories, atomic
 * replace), how strictly it is read, and the CASHBOOK_TOKEN override.
 *
 * Every test works in its own temporary directory and sets HOME,
 * XDG_CONFIG_HOME and CASHBOOK_TOKEN itself.  Nothing here needs
 * cashbookd.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "ctl_token.h"
#include "tap.h"

#define TOKEN_A	"cb1_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define TOKEN_B	"cb1_22_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

static char tmpdir[64];

/* A fresh temporary directory, and a clean environment. */
static bool
scratch_new(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/cbtok.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return false;
	unsetenv("XDG_CONFIG_HOME");
	unsetenv(CTL_TOKEN_ENV);
	return setenv("HOME", tmpdir, 1) == 0;
}

static void
scratch_free(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	CHECK(system(cmd) == 0);
}

/* Write data to path with mode (replacing it), for setting up cases. */
static bool
put_file(const char *path, const char *data, mode_t mode)
{
	size_t len = strlen(data);
	int fd;
	bool ok;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	ok = write(fd, data, len) == (ssize_t)len && fchmod(fd, mode) == 0;
	return close(fd) == 0 && ok;
}

/* The contents of path into buf; -1 when unreadable. */
static ssize_t
get_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	(void)close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Entries in dir, "." and ".." not counted. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

/* Set up a token file under tmpdir with data and mode; its path in path. */
static bool
token_file_with(char *path, size_t len, const char *data, mode_t mode)
{
	char err[256];

	if (ctl_token_path(path, len, err, sizeof err) != 0)
		return false;
	/* Let ctl_token_write make the directories, then overwrite. */
	if (ctl_token_write(path, TOKEN_A, err, sizeof err) != 0)
		return false;
	return put_file(path, data, mode);
}

/* ---- path ---- */

static void
test_path_selection(void)
{
	char path[PATH_MAX], want[PATH_MAX], err[256], tiny[8];

	REQUIRE(scratch_new());
	/* HOME alone. */
	CHECK_EQ_INT(ctl_token_path(path, sizeof path, err, sizeof err), 0);
	snprintf(want, sizeof want, "%s/.config/cashbook/token", tmpdir);
	CHECK_EQ_STR(path, want);
	/* XDG_CONFIG_HOME wins when absolute. */
	setenv("XDG_CONFIG_HOME", "/somewhere/cfg", 1);
	CHECK_EQ_INT(ctl_token_path(path, sizeof path, err, sizeof err), 0);
	CHECK_EQ_STR(path, "/somewhere/cfg/cashbook/token");
	/* A relative or empty one is ignored (the XDG spec). */
	setenv("XDG_CONFIG_HOME", "relative/cfg", 1);
	CHECK_EQ_INT(ctl_token_path(path, sizeof path, err, sizeof err), 0);
	CHECK_EQ_STR(path, want);
	setenv("XDG_CONFIG_HOME", "", 1);
	CHECK_EQ_INT(ctl_token_path(path, sizeof path, err, sizeof err), 0);
	CHECK_EQ_STR(path, want);
	/* Neither usable: an error that says what to set. */
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	err[0] = '\0';
	CHECK_EQ_INT(ctl_token_path(path, sizeof path, err, sizeof err), -1);
	CHECK(strstr(err, "set HOME") != NULL);
	setenv("HOME", "not/absolute", 1);
	CHECK_EQ_INT(ctl_token_path(path, sizeof path, err, sizeof err), -1);
	/* XDG alone is enough. */
	setenv("XDG_CONFIG_HOME", "/x", 1);
	CHECK_EQ_INT(ctl_token_path(path, sizeof path, err, sizeof err), 0);
	CHECK_EQ_STR(path, "/x/cashbook/token");
	/* Too small a buffer is an error, not a cut path. */
	CHECK_EQ_INT(ctl_token_path(tiny, sizeof tiny, err, sizeof err), -1);
	scratch_free();
}

/* ---- write ---- */

static void
test_write_modes_and_dirs(void)
{
	char path[PATH_MAX], dir[PATH_MAX], buf[512], err[256];
	mode_t old_umask;

	REQUIRE(scratch_new());
	REQUIRE(ctl_token_path(path, sizeof path, err, sizeof err) == 0);
	/* Even with a permissive umask: 0700 directories, a 0600 file. */
	old_umask = umask(0);
	CHECK_EQ_INT(ctl_token_write(path, TOKEN_A, err, sizeof err), 0);
	umask(old_umask);
	snprintf(dir, sizeof dir, "%s/.config", tmpdir);
	CHECK_EQ_INT(mode_of(dir), 0700);
	snprintf(dir, sizeof dir, "%s/.config/cashbook", tmpdir);
	CHECK_EQ_INT(mode_of(dir), 0700);
	CHECK_EQ_INT(mode_of(path), 0600);
	CHECK(get_file(path, buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, TOKEN_A "\n");
	CHECK_EQ_INT(count_entries(dir), 1);	/* no temporary file left */

	/* An existing directory keeps its mode. */
	REQUIRE(chmod(dir, 0750) == 0);
	CHECK_EQ_INT(ctl_token_write(path, TOKEN_B, err, sizeof err), 0);
	CHECK_EQ_INT(mode_of(dir), 0750);
	scratch_free();
}

static void
test_write_atomic_replace(void)
{
	char path[PATH_MAX], dir[PATH_MAX], old_link[PATH_MAX], buf[512];
	char err[256];
	struct stat before, after;

	REQUIRE(scratch_new());
	REQUIRE(ctl_token_path(path, sizeof path, err, sizeof err) == 0);
	REQUIRE(ctl_token_write(path, TOKEN_A, err, sizeof err) == 0);
	/* A second name for the old file: a replace by rename leaves it
	 * whole, a rewrite in place would change it. */
	snprintf(old_link, sizeof old_link, "%s/old", tmpdir);
	REQUIRE(link(path, old_link) == 0);
	REQUIRE(stat(path, &before) == 0);
	CHECK_EQ_INT(ctl_token_write(path, TOKEN_B, err, sizeof err), 0);
	REQUIRE(stat(path, &after) == 0);
	CHECK(before.st_ino != after.st_ino);
	CHECK(get_file(path, buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, TOKEN_B "\n");
	CHECK(get_file(old_link, buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, TOKEN_A "\n");
	snprintf(dir, sizeof dir, "%s/.config/cashbook", tmpdir);
	CHECK_EQ_INT(count_entries(dir), 1);

	/* A refused token leaves the old file as it was. */
	CHECK_EQ_INT(ctl_token_write(path, "has space", err, sizeof err), -1);
	CHECK_EQ_INT(ctl_token_write(path, "", err, sizeof err), -1);
	CHECK(get_file(path, buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, TOKEN_B "\n");
	CHECK_EQ_INT(count_entries(dir), 1);
	scratch_free();
}

static void
test_write_failures(void)
{
	char path[PATH_MAX], blocker[PATH_MAX], err[256];

	REQUIRE(scratch_new());
	/* ~/.config is a file: no directory can be made under it. */
	snprintf(blocker, sizeof blocker, "%s/.config", tmpdir);
	REQUIRE(put_file(blocker, "x", 0600));
	REQUIRE(ctl_token_path(path, sizeof path, err, sizeof err) == 0);
	err[0] = '\0';
	CHECK_EQ_INT(ctl_token_write(path, TOKEN_A, err, sizeof err), -1);
	CHECK(strstr(err, "cannot create the directory") != NULL);
	/* The token itself never appears in a message. */
	CHECK(strstr(err, TOKEN_A) == NULL);
	CHECK_EQ_INT(count_entries(tmpdir), 1);
	scratch_free();
}

/* ---- read ---- */

static void
test_read_formats(void)
{
	char path[PATH_MAX], tok[CTL_TOKEN_BUF], err[256];

	REQUIRE(scratch_new());
	REQUIRE(token_file_with(path, sizeof path, TOKEN_A "\n", 0600));
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_OK);
	CHECK_EQ_STR(tok, TOKEN_A);
	/* Without a newline, with CR LF. */
	REQUIRE(put_file(path, TOKEN_B, 0600));
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_OK);
	CHECK_EQ_STR(tok, TOKEN_B);
	REQUIRE(put_file(path, TOKEN_A "\r\n", 0600));
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_OK);
	CHECK_EQ_STR(tok, TOKEN_A);
	/* Also mode 0400 is fine. */
	REQUIRE(put_file(path, TOKEN_A "\n", 0400));
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_OK);
	/* Empty, or just a newline: no token. */
	REQUIRE(put_file(path, "", 0600));
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_NONE);
	REQUIRE(put_file(path, "\n", 0600));
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_NONE);
	/* Missing. */
	REQUIRE(unlink(path) == 0);
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_NONE);
	scratch_free();
}

static void
test_read_refuses_garbage(void)
{
	char path[PATH_MAX], tok[CTL_TOKEN_BUF], err[512], big[400];

	REQUIRE(scratch_new());
	REQUIRE(token_file_with(path, sizeof path, "two words\n", 0600));
	err[0] = '\0';
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_ERROR);
	CHECK(strstr(err, "does not hold a token") != NULL);
	CHECK(strstr(err, "two words") == NULL);
	REQUIRE(put_file(path, TOKEN_A "\n\n", 0600));	/* two newlines */
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_ERROR);
	REQUIRE(put_file(path, "tok\x01" "en\n", 0600));
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_ERROR);
	/* Longer than CTL_TOKEN_MAX. */
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	REQUIRE(put_file(path, big, 0600));
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_ERROR);
	/* Exactly CTL_TOKEN_MAX is fine. */
	big[CTL_TOKEN_MAX] = '\0';
	REQUIRE(put_file(path, big, 0600));
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_OK);
	CHECK_EQ_INT(strlen(tok), CTL_TOKEN_MAX);
	/* ... but not into a buffer too small for it. */
	CHECK_EQ_INT(ctl_token_read(path, tok, 16, err, sizeof err),
	    CTL_TOKEN_ERROR);
	scratch_free();
}

static void
test_read_refuses_open_modes(void)
{
	static const mode_t bad[] = { 0640, 0604, 0660, 0644, 0610, 0601 };
	char path[PATH_MAX], tok[CTL_TOKEN_BUF], err[512];

	REQUIRE(scratch_new());
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		REQUIRE(token_file_with(path, sizeof path, TOKEN_A "\n",
		    bad[i]));
		err[0] = '\0';
		tok[0] = '\0';
		CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err,
		    sizeof err), CTL_TOKEN_ERROR);
		CHECK(strstr(err, "refusing") != NULL);
		CHECK(strstr(err, "chmod 600") != NULL);
		CHECK(strstr(err, TOKEN_A) == NULL);
		CHECK_EQ_STR(tok, "");
	}
	scratch_free();
}

static void
test_read_refuses_links_and_specials(void)
{
	char path[PATH_MAX], real[PATH_MAX], tok[CTL_TOKEN_BUF], err[512];

	REQUIRE(scratch_new());
	REQUIRE(token_file_with(path, sizeof path, TOKEN_A "\n", 0600));
	/* A symbolic link, even to a good token file, is refused. */
	snprintf(real, sizeof real, "%s/real", tmpdir);
	REQUIRE(rename(path, real) == 0);
	REQUIRE(symlink(real, path) == 0);
	err[0] = '\0';
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_ERROR);
	CHECK(strstr(err, "symbolic link") != NULL);
	/* A dangling one too (not "no token"). */
	REQUIRE(unlink(real) == 0);
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_ERROR);
	/* A directory, a FIFO (which must not hang the read). */
	REQUIRE(unlink(path) == 0);
	REQUIRE(mkdir(path, 0700) == 0);
	err[0] = '\0';
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_ERROR);
	CHECK(strstr(err, "not a regular file") != NULL);
	REQUIRE(rmdir(path) == 0);
	REQUIRE(mkfifo(path, 0600) == 0);
	CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err, sizeof err),
	    CTL_TOKEN_ERROR);
	scratch_free();
}

static void
test_read_refuses_other_owner(void)
{
	char path[PATH_MAX], tok[CTL_TOKEN_BUF], err[512];

	REQUIRE(scratch_new());
	REQUIRE(token_file_with(path, sizeof path, TOKEN_A "\n", 0600));
	/* Only root can give a file away; elsewhere this case is moot. */
	if (geteuid() == 0) {
		REQUIRE(chown(path, 12345, (gid_t)-1) == 0);
		err[0] = '\0';
		CHECK_EQ_INT(ctl_token_read(path, tok, sizeof tok, err,
		    sizeof err), CTL_TOKEN_ERROR);
		CHECK(strstr(err, "another user") != NULL);
	} else
		printf("# not root: chown to another user skipped\n");
	scratch_free();
}

/* ---- CASHBOOK_TOKEN ---- */

static void
test_env_override(void)
{
	char path[PATH_MAX], tok[CTL_TOKEN_BUF], err[512];
	bool from_env;

	REQUIRE(scratch_new());
	REQUIRE(token_file_with(path, sizeof path, TOKEN_A "\n", 0600));
	CHECK_EQ_INT(ctl_token_get(path, tok, sizeof tok, &from_env, err,
	    sizeof err), CTL_TOKEN_OK);
	CHECK_EQ_STR(tok, TOKEN_A);
	CHECK(!from_env);
	/* Set: used as is, and the file is not even looked at (a refused
	 * mode does not matter). */
	REQUIRE(chmod(path, 0644) == 0);
	setenv(CTL_TOKEN_ENV, TOKEN_B, 1);
	CHECK_EQ_INT(ctl_token_get(path, tok, sizeof tok, &from_env, err,
	    sizeof err), CTL_TOKEN_OK);
	CHECK_EQ_STR(tok, TOKEN_B);
	CHECK(from_env);
	/* Also with no file at all. */
	REQUIRE(unlink(path) == 0);
	CHECK_EQ_INT(ctl_token_get(path, tok, sizeof tok, &from_env, err,
	    sizeof err), CTL_TOKEN_OK);
	/* Empty: ignored. */
	setenv(CTL_TOKEN_ENV, "", 1);
	CHECK_EQ_INT(ctl_token_get(path, tok, sizeof tok, &from_env, err,
	    sizeof err), CTL_TOKEN_NONE);
	CHECK(!from_env);
	/* Not a token: an error naming the variable, not its value. */
	setenv(CTL_TOKEN_ENV, "two words", 1);
	err[0] = '\0';
	CHECK_EQ_INT(ctl_token_get(path, tok, sizeof tok, &from_env, err,
	    sizeof err), CTL_TOKEN_ERROR);
	CHECK(strstr(err, CTL_TOKEN_ENV) != NULL);
	CHECK(strstr(err, "two words") == NULL);
	unsetenv(CTL_TOKEN_ENV);
	scratch_free();
}

/* ---- remove ---- */

static void
test_remove(void)
{
	char path[PATH_MAX], err[256];
	bool removed = false;

	REQUIRE(scratch_new());
	REQUIRE(token_file_with(path, sizeof path, TOKEN_A "\n", 0600));
	CHECK_EQ_INT(ctl_token_remove(path, &removed, err, sizeof err), 0);
	CHECK(removed);
	CHECK(access(path, F_OK) != 0 && errno == ENOENT);
	CHECK_EQ_INT(ctl_token_remove(path, &removed, err, sizeof err), 0);
	CHECK(!removed);
	scratch_free();
}

int
main(void)
{
	tap_run("path from XDG_CONFIG_HOME, else HOME",
	    test_path_selection);
	tap_run("write: 0600 file, 0700 directories, no temporary left",
	    test_write_modes_and_dirs);
	tap_run("write: atomic replace by rename",
	    test_write_atomic_replace);
	tap_run("write: failures leave nothing behind",
	    test_write_failures);
	tap_run("read: newline, CR LF, empty, missing", test_read_formats);
	tap_run("read: refuses garbage and oversize",
	    test_read_refuses_garbage);
	tap_run("read: refuses group/world access",
	    test_read_refuses_open_modes);
	tap_run("read: refuses symlinks, directories, FIFOs",
	    test_read_refuses_links_and_specials);
	tap_run("read: refuses another user's file",
	    test_read_refuses_other_owner);
	tap_run("CASHBOOK_TOKEN overrides the file", test_env_override);
	tap_run("remove", test_remove);
	return tap_done();
}
