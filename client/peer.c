/*
 * peer.c -- whom libcashbook is connected to (see peer.h).
 *
 * Owns nothing; keeps no state; sends and reads nothing on the socket.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "peer.h"

bool
cb_peer_uid_ok(uid_t peer_uid, uid_t my_uid)
{
	return peer_uid == my_uid || peer_uid == 0;
}

/* Whether the directory at prefix may hold only what root or uid put
 * there. */
static bool
dir_owned_alone(const char *prefix, uid_t uid)
{
	struct stat st;

	return lstat(prefix, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_uid == 0 || st.st_uid == uid) &&
	    (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

bool
cb_peer_dir_trusted(const char *path, uid_t uid)
{
	char dir[PATH_MAX], *real, *slash;
	bool ok = true;
	size_t n;

	/* The directory part of path: "." when none, "/" for "/x". */
	slash = strrchr(path, '/');
	if (slash == NULL) {
		path = ".";
		n = 1;
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
	}
	if (n >= sizeof dir)
		return false;
	memcpy(dir, path, n);
	dir[n] = '\0';
	if ((real = realpath(dir, NULL)) == NULL)
		return false;
	/* "/", then "/run", then "/run/cashbook": cut real at each '/'. */
	ok = dir_owned_alone("/", uid);
	for (char *p = real + 1; ok && *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ok = dir_owned_alone(real, uid);
		*p = '/';
	}
	if (ok && strcmp(real, "/") != 0)
		ok = dir_owned_alone(real, uid);
	free(real);
	return ok;
}

int
cb_peer_check(int fd, const char *path, char *err, size_t errlen)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	uid_t me = geteuid();
	int saved;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    len != sizeof cred) {
		saved = len != sizeof cred ? EPROTO : errno;
		errbuf_set(err, errlen, "cannot tell who serves %s (%s); "
		    "refusing to send it anything", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (cb_peer_uid_ok(cred.uid, me) || cb_peer_dir_trusted(path, cred.uid))
		return 0;
	/* Name the uid, not a user name: getpwuid() may read files or ask
	 * the network, and the uid is what the user can check with ls -ln. */
	errbuf_set(err, errlen, "%s is served by a process of uid %u, not by "
	    "you (uid %u) or root, and users other than root and uid %u can "
	    "write where it is: another user may have created it to collect "
	    "passwords, so nothing was sent.  Set XDG_RUNTIME_DIR, or choose a "
	    "socket in a directory only you (or a system-wide cashbookd's "
	    "user) can write with CASHBOOK_SOCKET or --socket", path,
	    (unsigned)cred.uid, (unsigned)me, (unsigned)cred.uid);
	errno = EPERM;
	return -1;
}
