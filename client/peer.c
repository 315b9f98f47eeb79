/*
 * peer.c -- whom libcashbook is connected to (see peer.h).
 *
 * Owns nothing; keeps no state; sends and reads nothing on the socket.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errbuf.h"
#include "peer.h"

bool
cb_peer_uid_ok(uid_t peer_uid, uid_t my_uid)
{
	return peer_uid == my_uid || peer_uid == 0;
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
	if (cb_peer_uid_ok(cred.uid, me))
		return 0;
	/* Name the uid, not a user name: getpwuid() may read files or ask
	 * the network, and the uid is what the user can check with ls -ln. */
	errbuf_set(err, errlen, "%s is served by a process of uid %u, not by "
	    "you (uid %u) or root: another user may have created it to "
	    "collect passwords, so nothing was sent.  Set XDG_RUNTIME_DIR, or "
	    "choose a socket in a directory only you can write with "
	    "CASHBOOK_SOCKET or --socket", path, (unsigned)cred.uid,
	    (unsigned)me);
	errno = EPERM;
	return -1;
}
