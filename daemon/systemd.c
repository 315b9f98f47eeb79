/*
 * systemd.c -- socket activation and readiness, by the documented
 * protocols (see systemd.h).
 *
 * Socket activation: a service manager that started us with sockets sets
 * LISTEN_PID to our pid and LISTEN_FDS to how many it passed, as
 * descriptors 3, 4, ...  cashbookd serves one Unix socket, so it takes
 * exactly one, and checks it is what the unit promised: AF_UNIX,
 * SOCK_STREAM, listening (a unit with Accept=yes would pass a connection),
 * with a path (the lock beside the socket is named after it).
 *
 * Readiness: $NOTIFY_SOCKET names an AF_UNIX datagram socket (a path, or
 * an abstract name written with a leading '@'); each notification is one
 * datagram of newline-separated KEY=VALUE lines.
 *
 * Owns nothing past a call: the notify socket is opened and closed per
 * message (a handful in the daemon's life).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cb_limits.h"
#include "systemd.h"

/* LISTEN_PID and LISTEN_FDS as numbers; -1 when absent or not a number. */
static long
systemd_env_long(const char *name)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : v;
}

static void
systemd_unset_listen_env(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

/* What the passed socket must be, as getsockopt reports it. */
static int
systemd_check_socket(int fd, char *err, size_t errlen)
{
	int domain, type, listening;
	socklen_t len = sizeof domain;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
		snprintf(err, errlen, "the descriptor systemd passed (fd %d) "
		    "is %s", fd, errno == ENOTSOCK ? "not a socket" :
		    errno == EBADF ? "not open" : strerror(errno));
		return -1;
	}
	len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		type = -1;
	len = sizeof listening;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0)
		listening = 0;
	if (domain != AF_UNIX || type != SOCK_STREAM) {
		snprintf(err, errlen, "the socket systemd passed (fd %d) is "
		    "not a Unix stream socket (family %d, type %d): cashbookd "
		    "listens on a path; use ListenStream=/path/to/socket in "
		    "its .socket unit", fd, domain, type);
		return -1;
	}
	if (!listening) {
		snprintf(err, errlen, "the socket systemd passed (fd %d) is "
		    "not listening (a connection?): cashbookd accepts its own "
		    "clients; remove Accept=yes from its .socket unit", fd);
		return -1;
	}
	return 0;
}

/* The passed socket's path: the lock beside it and the log name it. */
static int
systemd_socket_path(int fd, char *path, size_t pathlen, char *err,
    size_t errlen)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof sa;
	size_t n;

	memset(&sa, 0, sizeof sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		snprintf(err, errlen, "cannot read the address of the socket "
		    "systemd passed: %s", strerror(errno));
		return -1;
	}
	if (len <= offsetof(struct sockaddr_un, sun_path) ||
	    sa.sun_path[0] == '\0') {
		snprintf(err, errlen, "the socket systemd passed (fd %d) has "
		    "no path (abstract or unnamed): cashbookd needs a socket "
		    "file; use ListenStream=/path/to/socket", fd);
		return -1;
	}
	n = strnlen(sa.sun_path, len - offsetof(struct sockaddr_un, sun_path));
	if (n >= pathlen) {
		snprintf(err, errlen, "the path of the socket systemd passed "
		    "is too long");
		return -1;
	}
	memcpy(path, sa.sun_path, n);
	path[n] = '\0';
	return 0;
}

int
systemd_listen_fd(int *fd, char *path, size_t pathlen, char *err,
    size_t errlen)
{
	long pid = systemd_env_long("LISTEN_PID");
	long nfds = systemd_env_long("LISTEN_FDS");
	int flags, sfd = SYSTEMD_LISTEN_FDS_START;

	systemd_unset_listen_env();
	if (pid != (long)getpid() || nfds <= 0)
		return 0;		/* none, or not for us */
	if (nfds != 1) {
		snprintf(err, errlen, "systemd passed %ld sockets; cashbookd "
		    "listens on one: give its .socket unit a single "
		    "ListenStream=", nfds);
		return -1;
	}
	if (systemd_check_socket(sfd, err, errlen) != 0 ||
	    systemd_socket_path(sfd, path, pathlen, err, errlen) != 0)
		return -1;
	if (fcntl(sfd, F_SETFD, FD_CLOEXEC) != 0 ||
	    (flags = fcntl(sfd, F_GETFL)) < 0 ||
	    fcntl(sfd, F_SETFL, flags | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "cannot set up the socket systemd "
		    "passed: %s", strerror(errno));
		return -1;
	}
	*fd = sfd;
	return 1;
}

/* $NOTIFY_SOCKET as an address; -1 (errno) when it is not one we speak. */
static int
systemd_notify_addr(const char *name, struct sockaddr_un *sa,
    socklen_t *salen)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if ((name[0] != '/' && name[0] != '@') || n < 2 ||
	    n > sizeof sa->sun_path) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@')
		sa->sun_path[0] = '\0';		/* abstract: no NUL after */
	else if (n == sizeof sa->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (name[0] == '/'));
	return 0;
}

int
systemd_notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t salen;
	ssize_t sent;
	int fd, saved;

	if (name == NULL || name[0] == '\0')
		return 0;
	if (systemd_notify_addr(name, &sa, &salen) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, salen);
	saved = errno;
	close(fd);
	errno = saved;
	return sent == (ssize_t)strlen(state) ? 0 : -1;
}

int
systemd_notifyf(const char *fmt, ...)
{
	char state[CB_SYSTEMD_NOTIFY_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(state, sizeof state, fmt, ap);
	va_end(ap);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	/* Cut short (n >= sizeof state), only the last line suffers: callers
	 * put READY=1 and STOPPING=1 before STATUS=. */
	return systemd_notify(state);
}
