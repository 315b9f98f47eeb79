/*
 * ctl_start_hint.c -- how to start cashbookd, in the words of this install
 * (see ctl_start_hint.h).  "start it with: cashbookd" is no help when
 * cashbookd is not on PATH, or when systemd starts it from a socket.
 *
 * Looks only at files (the executable's directory, unit files, PATH); never
 * runs anything, never talks to systemd.  Paths built in at compile time
 * are install paths only, so the binary stays the same whatever directory
 * it was built in.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_start_hint.h"

#ifndef CASHBOOKD_PATH
#define CASHBOOKD_PATH "/usr/local/bin/cashbookd"
#endif
#ifndef CASHBOOK_USER_UNIT_DIR
#define CASHBOOK_USER_UNIT_DIR ""
#endif
#ifndef CASHBOOK_SYSTEM_UNIT_DIR
#define CASHBOOK_SYSTEM_UNIT_DIR ""
#endif
/* Where the system-wide cashbookd.socket listens (systemd/system/). */
#define SYSTEM_SOCKET "/run/cashbook/cashbookd.sock"

/* "DIR/NAME" exists (as a file or directory we may look at). */
static bool
hint_exists(const char *dir, const char *name, int mode)
{
	char path[PATH_MAX];
	int n;

	if (dir == NULL || dir[0] == '\0')
		return false;
	n = snprintf(path, sizeof path, "%s/%s", dir, name);
	return n > 0 && (size_t)n < sizeof path && access(path, mode) == 0;
}

/*
 * The meson build directory cashbookctl runs from (it is BUILD/client/
 * cashbookctl, with BUILD/build.ninja), into build; false when installed.
 */
static bool
hint_build_dir(char *build, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	for (int up = 0; up < 2; up++) {	/* drop /cashbookctl, /client */
		if ((slash = strrchr(exe, '/')) == NULL || slash == exe)
			return false;
		*slash = '\0';
	}
	if (!hint_exists(exe, "build.ninja", R_OK) ||
	    !hint_exists(exe, "daemon/cashbookd", X_OK) ||
	    strlen(exe) >= len)
		return false;
	memcpy(build, exe, strlen(exe) + 1);
	return true;
}

/* In a checkout: its scripts/run (relative when we stand in the
 * checkout), else this build's cashbookd. */
static void
hint_checkout(char *buf, size_t len, const char *build,
    const char *socket_path, bool socket_given)
{
	char src[PATH_MAX], cwd[PATH_MAX], up[PATH_MAX];
	int n;

	n = snprintf(up, sizeof up, "%s/..", build);
	if (!socket_given && n > 0 && (size_t)n < sizeof up &&
	    realpath(up, src) != NULL && hint_exists(src, "scripts/run",
	    X_OK)) {
		if (getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, src) == 0)
			snprintf(buf, len, "scripts/run");
		else
			snprintf(buf, len, "%s/scripts/run", src);
		return;
	}
	if (socket_given)
		snprintf(buf, len, "%s/daemon/cashbookd --socket %s", build,
		    socket_path);
	else
		snprintf(buf, len, "%s/daemon/cashbookd", build);
}

/* A cashbookd.socket user unit where `systemctl --user` finds one. */
static bool
hint_user_unit(void)
{
	const char *config = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char dir[PATH_MAX];
	int n;

	if (config != NULL && config[0] == '/')
		n = snprintf(dir, sizeof dir, "%s/systemd/user", config);
	else if (home != NULL && home[0] == '/')
		n = snprintf(dir, sizeof dir, "%s/.config/systemd/user", home);
	else
		n = -1;
	if (n > 0 && (size_t)n < sizeof dir &&
	    hint_exists(dir, "cashbookd.socket", R_OK))
		return true;
	return hint_exists(CASHBOOK_USER_UNIT_DIR, "cashbookd.socket", R_OK);
}

/* The installed cashbookd: by name when PATH finds that very file. */
static const char *
hint_daemon(void)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX], found[PATH_MAX], installed[PATH_MAX];
	const char *p, *colon;
	size_t n;

	if (realpath(CASHBOOKD_PATH, installed) == NULL)
		return "cashbookd";	/* not there: the name is all we know */
	for (p = path; p != NULL && *p != '\0'; p = colon ? colon + 1 : NULL) {
		colon = strchr(p, ':');
		n = colon ? (size_t)(colon - p) : strlen(p);
		if (n == 0 || n >= sizeof dir)
			continue;
		memcpy(dir, p, n);
		dir[n] = '\0';
		if (hint_exists(dir, "cashbookd", X_OK) &&
		    strlen(dir) + sizeof "/cashbookd" <= sizeof dir) {
			strcat(dir, "/cashbookd");
			/* The first one on PATH is the one a shell runs. */
			return realpath(dir, found) != NULL &&
			    strcmp(found, installed) == 0 ? "cashbookd" :
			    CASHBOOKD_PATH;
		}
	}
	return CASHBOOKD_PATH;
}

void
ctl_start_hint(char *buf, size_t len, const char *socket_path,
    bool socket_given)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	char build[PATH_MAX];

	if (hint_build_dir(build, sizeof build)) {
		hint_checkout(buf, len, build, socket_path, socket_given);
		return;
	}
	/* Without XDG_RUNTIME_DIR the default socket is in /tmp, not the
	 * unit's %t/cashbook/cashbookd.sock. */
	if (!socket_given && runtime != NULL && runtime[0] == '/' &&
	    hint_user_unit()) {
		snprintf(buf, len, "systemctl --user start cashbookd.socket");
		return;
	}
	if (socket_given && strcmp(socket_path, SYSTEM_SOCKET) == 0 &&
	    hint_exists(CASHBOOK_SYSTEM_UNIT_DIR, "cashbookd.socket", R_OK)) {
		snprintf(buf, len, "systemctl start cashbookd.socket (as "
		    "root)");
		return;
	}
	if (socket_given)
		snprintf(buf, len, "%s --socket %s", hint_daemon(),
		    socket_path);
	else
		snprintf(buf, len, "%s", hint_daemon());
}
