/*
 * peer.h -- libcashbook's check of who is at the other end of its socket.
 *
 * A socket path is only a name: when XDG_RUNTIME_DIR is unset the default
 * is /tmp/cashbook-$UID/cashbookd.sock, and another local user can create
 * that directory first and listen there, collecting the passwords and
 * tokens sent to it.  So after connect() and before the first byte is
 * sent, the library asks the kernel (SO_PEERCRED) which uid the listening
 * process runs as, and talks only to its own user's daemon or root's --
 * or to a daemon of another user U whose socket only U or root could have
 * put where it is: its directory, and every one above it, belongs to root
 * or U and only its owner may write it.  That is a system-wide cashbookd
 * running as its own user in /run/cashbook (docs/protocol.md, "Who is
 * who"), never a squatter in /tmp, which anyone can write.
 *
 * Not installed.
 */
#ifndef CASHBOOK_CLIENT_PEER_H
#define CASHBOOK_CLIENT_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* True when a daemon running as peer_uid may be sent the secrets of a
 * caller running as my_uid: it is the caller's own user, or root (who can
 * read them anyway). */
bool cb_peer_uid_ok(uid_t peer_uid, uid_t my_uid);

/* True when every directory from / down to the one holding path (symbolic
 * links resolved) belongs to root or uid and only its owner may write it. */
bool cb_peer_dir_trusted(const char *path, uid_t uid);

/*
 * Check the peer of fd, connected to path, against the caller's effective
 * uid and the rules above.  Returns 0 when it may be trusted.  Otherwise returns -1 with errno
 * set (EPERM: another user serves the socket; else why SO_PEERCRED failed)
 * and writes into err a message that names path, the peer's uid, and what
 * to do.  Reads and writes nothing on fd.
 */
int cb_peer_check(int fd, const char *path, char *err, size_t errlen);

#endif
