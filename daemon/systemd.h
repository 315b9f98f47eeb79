/*
 * systemd.h -- what cashbookd says to and takes from a service manager:
 * the listening socket it passes (socket activation, sd_listen_fds(3)) and
 * the state changes it wants to hear (sd_notify(3): READY=1, STOPPING=1,
 * STATUS=...).
 *
 * Both are the documented environment-and-datagram protocols, spoken
 * directly (no libsystemd): LISTEN_PID/LISTEN_FDS with descriptors from 3,
 * and datagrams to $NOTIFY_SOCKET (a path, or an abstract name after '@').
 * Without a service manager both are no-ops, so a plain `cashbookd` in a
 * terminal behaves as before.
 *
 * Never: trusts a passed descriptor it has not checked, or lets a failed
 * notification stop the daemon (systemd's timeout is the judge of that).
 */
#ifndef CASHBOOK_DAEMON_SYSTEMD_H
#define CASHBOOK_DAEMON_SYSTEMD_H

#include <stddef.h>

/* The first descriptor a service manager passes (SD_LISTEN_FDS_START). */
#define SYSTEMD_LISTEN_FDS_START	3

/*
 * The listening socket passed to this process, if any.  Returns 1 with
 * *fd (close-on-exec and non-blocking) and its path in path, 0 when none
 * was passed (no LISTEN_PID/LISTEN_FDS, or they are another process's),
 * -1 with a message in err when one was passed that cashbookd cannot use:
 * not exactly one, not a listening AF_UNIX SOCK_STREAM socket, or one
 * without a path (abstract or unnamed).  Unsets LISTEN_PID, LISTEN_FDS
 * and LISTEN_FDNAMES either way: they are for this process only.
 */
int systemd_listen_fd(int *fd, char *path, size_t pathlen, char *err,
    size_t errlen);

/*
 * Send state (e.g. "READY=1\nSTATUS=listening on ...") to $NOTIFY_SOCKET.
 * Returns 0 when sent or when there is no one to tell, -1 with errno when
 * sending failed (the caller logs it; it is never fatal).
 */
int systemd_notify(const char *state);

/* systemd_notify with a printf format. */
int systemd_notifyf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
