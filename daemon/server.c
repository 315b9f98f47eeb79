/*
 * server.c -- cashbookd's life: start, accept, shut down (see server.h).
 *
 * Start-up order matters: take the locks (one daemon per socket, one per
 * database), clear a stale socket, open and migrate the database, start
 * the workers, and only then listen, so no client ever reaches a
 * half-ready daemon.  Then, under a service manager, READY=1.
 *
 * Socket activation (systemd.c): a socket passed by the service manager is
 * used as it is.  Its path names the lock beside it and the log line; it is
 * never bound, chmod'ed, cleared as stale or removed here -- the .socket
 * unit owns it, and clients that connect while we are down wait in its
 * backlog for the next start.
 *
 * Shutdown (SIGTERM/SIGINT): STOPPING=1, stop accepting and remove the
 * socket (unless it was passed to us), answer
 * new requests `unavailable`, let requests in flight finish for up to
 * --drain-timeout-ms, flush what is queued to clients, join the workers,
 * close every handle, exit 0.  A second signal skips the wait.
 */
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "authcache.h"
#include "backup.h"
#include "backup_schedule.h"
#include "clock.h"
#include "conn.h"
#include "events.h"
#include "gateway.h"
#include "identity.h"
#include "jobs.h"
#include "log.h"
#include "packbuf.h"
#include "password.h"
#include "pool.h"
#include "ratelimit.h"
#include "restore.h"
#include "rpc.h"
#include "schema.h"
#include "server.h"
#include "systemd.h"
#include "version.h"
#include "workq.h"

#define ACCEPT_BATCH		64
/* The lock files are the socket path and the database path plus ".lock". */
#define LOCK_PATH_MAX	(sizeof(((struct sockaddr_un *)0)->sun_path) + 8)
#define DB_LOCK_PATH_MAX	(PATH_MAX + 8)
/* What a database lock file holds: "<pid> <socket path>\n". */
#define DB_LOCK_HOLDER_MAX	(LOCK_PATH_MAX + 32)
#define ACCEPT_BACKOFF_MS	100
/* After a drain timeout or a second signal, how long running requests
 * still get before the process exits under them. */
#define SERVER_FORCED_GRACE_US	(500 * 1000)
#define ACCEPT_WARN_INTERVAL_US	(10 * 1000000)
/* While the database file is lost (pool.h), how often the log says so
 * again: loud enough to be found, not a flood. */
#define DB_LOST_REMIND_US	(60 * 1000000)

static void server_finish(struct server *server);

/* The lock file beside the socket: held (flock) for the daemon's life. */
static int
server_lock(struct server *server, char *err, size_t errlen)
{
	char path[LOCK_PATH_MAX];

	snprintf(path, sizeof path, "%s.lock", server->socket_path);
	server->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (server->lock_fd < 0) {
		snprintf(err, errlen, "cannot open lock file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (flock(server->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int saved = errno;

		/* Not ours: server_stop must not remove it. */
		close(server->lock_fd);
		server->lock_fd = -1;
		errno = saved;
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen, "another cashbookd is already "
			    "running on %s; stop it first (or use --socket "
			    "for a second one)", server->socket_path);
		else
			snprintf(err, errlen, "cannot lock %s: %s", path,
			    strerror(errno));
		return -1;
	}
	return 0;
}

/* Who holds the database lock, as its holder wrote it into the file:
 * "pid N, socket PATH", or "" when the file says nothing readable. */
static void
server_db_lock_holder(int fd, char *out, size_t outlen)
{
	char buf[DB_LOCK_HOLDER_MAX], *end, *nl;
	ssize_t n;
	long pid;

	out[0] = '\0';
	n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || pid <= 0 || *end != ' ' ||
	    (nl = strchr(end + 1, '\n')) == NULL)
		return;
	*nl = '\0';
	snprintf(out, outlen, " (pid %ld, socket %s)", pid, end + 1);
}

/*
 * The lock file beside the database: one daemon per database, whatever
 * socket each listens on (two daemons on one file would each believe their
 * writer slot is the only writer).  Held (flock) for the daemon's life.
 * Never removed: a daemon that opened the file just before its removal
 * would lock the removed file while a third locks a new one, and both
 * would run.  It says who holds it, for the message of the one refused.
 */
static int
server_lock_db(struct server *server, char *err, size_t errlen)
{
	const char *db = server->cfg->db_path;
	char path[DB_LOCK_PATH_MAX], holder[DB_LOCK_HOLDER_MAX];
	int n, fd;

	n = snprintf(path, sizeof path, "%s.lock", db);
	if (n < 0 || (size_t)n >= sizeof path) {
		snprintf(err, errlen, "database path too long: %s", db);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open lock file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			server_db_lock_holder(fd, holder, sizeof holder);
			snprintf(err, errlen, "the database %s is in use by "
			    "another cashbookd%s; stop it first, or give this "
			    "one another --db", db, holder);
		} else
			snprintf(err, errlen, "cannot lock %s: %s", path,
			    strerror(errno));
		close(fd);
		return -1;
	}
	/* Ours now.  What it says is only for others' messages: failing to
	 * write it costs a vaguer message, not the lock. */
	n = snprintf(holder, sizeof holder, "%ld %s\n", (long)getpid(),
	    server->socket_path);
	if (ftruncate(fd, 0) != 0 || n < 0 || (size_t)n >= sizeof holder ||
	    pwrite(fd, holder, (size_t)n, 0) != n)
		log_warn("cannot record this daemon in %s: %s", path,
		    n < 0 || (size_t)n >= sizeof holder ? "socket path too long" :
		    strerror(errno));
	server->db_lock_fd = fd;
	return 0;
}

static int
server_fill_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		return -1;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* Refuse to start beside a live daemon; remove a dead one's socket. */
static int
server_clear_stale(struct server *server, char *err, size_t errlen)
{
	const char *path = server->socket_path;
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot stat %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; remove "
		    "it or choose another --socket", path);
		return -1;
	}
	if (server_fill_addr(path, &sa) != 0 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "cannot probe %s: %s", path,
		    strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "another cashbookd is already answering "
		    "on %s; stop it first", path);
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove stale socket %s: %s",
		    path, strerror(errno));
		return -1;
	}
	log_info("removed stale socket %s left by a dead cashbookd", path);
	return 0;
}

/* With --access group:NAME, a socket directory the group cannot search
 * keeps every member out: say so at once rather than leave them guessing. */
static void
server_warn_unreachable(const struct server *server)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (!server->cfg->access_group)
		return;
	snprintf(dir, sizeof dir, "%s", server->socket_path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return;
	*slash = '\0';
	if (dir[0] == '\0' || stat(dir, &st) != 0)
		return;
	if ((st.st_mode & S_IXOTH) || ((st.st_mode & S_IXGRP) &&
	    st.st_gid == server->cfg->access_gid))
		return;
	log_warn("members of group %s cannot reach %s: its directory %s is "
	    "mode %03o, group %u; chgrp %s %s && chmod g+x %s (or choose "
	    "--socket in a directory they can search)",
	    server->cfg->access_group_name, server->socket_path, dir,
	    (unsigned)(st.st_mode & 0777), (unsigned)st.st_gid,
	    server->cfg->access_group_name, dir, dir);
}

/*
 * A passed socket's mode and group are the .socket unit's (SocketMode=,
 * SocketGroup=), not ours.  With --access group:NAME they are the only
 * gate (every uid that connects is served as itself): refuse a socket any
 * user could connect to, and say so when the group cannot.
 */
static int
server_check_inherited(struct server *server, char *err, size_t errlen)
{
	const struct config *cfg = server->cfg;
	const char *path = server->socket_path;
	struct stat st;

	if (!cfg->access_group)
		return 0;	/* self: other uids are refused at accept */
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "cannot stat the socket systemd passed, "
		    "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen, "the socket systemd passed, %s, is mode "
		    "%03o: with --access group:%s any user could connect; set "
		    "SocketMode=0660 and SocketGroup=%s in its .socket unit",
		    path, (unsigned)(st.st_mode & 0777),
		    cfg->access_group_name, cfg->access_group_name);
		return -1;
	}
	if (st.st_gid != cfg->access_gid || !(st.st_mode & S_IWGRP))
		log_warn("members of group %s cannot connect to %s (mode %03o, "
		    "group %u): set SocketMode=0660 and SocketGroup=%s in its "
		    ".socket unit", cfg->access_group_name, path,
		    (unsigned)(st.st_mode & 0777), (unsigned)st.st_gid,
		    cfg->access_group_name);
	return 0;
}

static int
server_listen(struct server *server, char *err, size_t errlen)
{
	const char *path = server->socket_path;
	struct sockaddr_un sa;
	mode_t old;
	int fd, rc;

	if (server->socket_inherited) {	/* listening since before exec */
		if (server_check_inherited(server, err, errlen) != 0)
			return -1;
		server_warn_unreachable(server);
		return 0;
	}
	if (server_fill_addr(path, &sa) != 0) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);		/* the socket is born 0600 */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	/* The socket's mode is the gate: 0600 for us alone, 0660 with the
	 * group of --access group:NAME (the kernel checks it on connect). */
	if (rc == 0 && server->cfg->access_group)
		rc = chown(path, (uid_t)-1, server->cfg->access_gid);
	if (rc != 0 || chmod(path, server->cfg->access_group ? 0660 : 0600) !=
	    0 || listen(fd, SOMAXCONN) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	server_warn_unreachable(server);
	server->listen_fd = fd;
	return 0;
}

/* Tell a refused client why, best effort, and close it. */
static void
server_refuse(int fd, const char *why)
{
	struct packbuf pb;

	packbuf_init(&pb);
	rpc_pack_notification_error(&pb.pk, CB_PROTOCOL_ERROR, why);
	if (!packbuf_failed(&pb) && send(fd, pb.sb.data, pb.sb.size,
	    MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("could not tell a refused client why: %s",
		    strerror(errno));
	packbuf_destroy(&pb);
	close(fd);
}

static void
server_accept_one(struct server *server, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	char why[128];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		log_warn("cannot read peer credentials: %s", strerror(errno));
		close(fd);
		return;
	}
	/* With a group the socket's mode already let only its members in;
	 * each is served as their own uid. */
	if (!server->cfg->access_group && cred.uid != geteuid() &&
	    cred.uid != 0) {
		log_warn("refused a client of uid %u (pid %d): this cashbookd "
		    "serves uid %u only", (unsigned)cred.uid, (int)cred.pid,
		    (unsigned)geteuid());
		snprintf(why, sizeof why, "permission denied: this cashbookd "
		    "serves uid %u only", (unsigned)geteuid());
		server_refuse(fd, why);
		return;
	}
	if (server->nconns >= server->cfg->max_clients) {
		log_warn("refused a client (uid %u, pid %d): too many clients "
		    "(%u)", (unsigned)cred.uid, (int)cred.pid,
		    server->cfg->max_clients);
		server_refuse(fd, "too many clients");
		return;
	}
	conn_new(server, fd, cred.uid, cred.pid);
}

static void
server_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct server *server = arg;
	struct timeval backoff = { 0, ACCEPT_BACKOFF_MS * 1000 };
	bool say;
	int fd;

	(void)what;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			server_accept_one(server, fd);
			continue;
		}
		switch (errno) {
		case EAGAIN:
			return;
		case EINTR:
		case ECONNABORTED:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			/* The pending client stays in the backlog; retrying
			 * now would spin at 100% CPU.  Say so once in a while,
			 * not ten times a second. */
			say = clock_now_us() - server->accept_warned_us >
			    ACCEPT_WARN_INTERVAL_US;
			if (say) {
				server->accept_warned_us = clock_now_us();
				log_warn("accept: %s; pausing new connections "
				    "(%u open)", strerror(errno),
				    server->nconns);
			}
			/* Pause only if the timer that ends the pause is
			 * armed: a listener paused for good is a daemon
			 * that looks alive and answers no one.  Unpaused,
			 * we spin until a descriptor frees up. */
			if (evtimer_add(server->ev_accept_retry, &backoff) == 0)
				event_del(server->ev_accept);
			else if (say)
				log_error("cannot arm the accept backoff timer; "
				    "not pausing");
			return;
		default:
			log_error("accept: %s", strerror(errno));
			return;
		}
	}
}

static void
server_accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *server = arg;
	struct timeval backoff = { 0, ACCEPT_BACKOFF_MS * 1000 };

	(void)fd;
	(void)what;
	if (server->draining || server->listen_fd < 0 ||
	    event_add(server->ev_accept, NULL) == 0)
		return;
	/* Try again after another backoff rather than stop accepting. */
	if (evtimer_add(server->ev_accept_retry, &backoff) != 0)
		log_error("cannot watch the listening socket again; no new "
		    "connections are accepted (restart cashbookd)");
}

/*
 * After a burst, malloc keeps the memory its arenas grew to (a pipelined
 * load leaves tens of MiB per worker arena).  Once a whole tick has passed
 * with no new request and none in flight, give it back; once per burst,
 * so an idle daemon does nothing.
 */
static void
server_trim_when_idle(struct server *server)
{
	bool quiet = server->inflight == 0 &&
	    server->requests_total == server->tick_requests;

	if (quiet && server->requests_total != server->trimmed_requests) {
		malloc_trim(0);
		server->trimmed_requests = server->requests_total;
	}
	server->tick_requests = server->requests_total;
}

static void
server_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *server = arg;

	(void)fd;
	(void)what;
	pool_report_leaks(server->pool, clock_now_us(),
	    (int64_t)server->cfg->leak_threshold_ms * 1000);
	pool_report_lost(server->pool, clock_now_us(), DB_LOST_REMIND_US);
	server_trim_when_idle(server);
}

static void
server_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_flush_all(arg);
}

static void
server_stop_listening(struct server *server)
{
	if (server->listen_fd < 0)
		return;
	/* A passed socket is ours before its events exist. */
	if (server->ev_accept != NULL)
		event_del(server->ev_accept);
	if (server->ev_accept_retry != NULL)
		event_del(server->ev_accept_retry);
	close(server->listen_fd);
	server->listen_fd = -1;
	if (server->socket_inherited)	/* the .socket unit's, not ours */
		return;
	if (unlink(server->socket_path) != 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", server->socket_path,
		    strerror(errno));
}

static void
server_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *server = arg;

	(void)fd;
	(void)what;
	log_warn("drain timeout: %u requests still in flight; answering the "
	    "queued ones unavailable", server->inflight);
	server->forced = true;
	gateway_cancel_queued(server);
	server_finish(server);
}

static void
server_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *server = arg;
	struct timeval tv = { server->cfg->drain_timeout_ms / 1000,
	    (server->cfg->drain_timeout_ms % 1000) * 1000 };

	(void)what;
	if (server->draining) {
		log_warn("%s again: exiting without waiting",
		    strsignal((int)sig));
		server->forced = true;
		gateway_cancel_queued(server);
		server_finish(server);
		return;
	}
	log_info("%s: shutting down (%u requests in flight)",
	    strsignal((int)sig), server->inflight);
	if (systemd_notifyf("STOPPING=1\nSTATUS=shutting down (%u requests "
	    "in flight)", server->inflight) != 0)
		log_warn("cannot tell systemd we are stopping: %s",
		    strerror(errno));
	server->draining = true;
	server_stop_listening(server);
	if (server->inflight == 0) {
		server_finish(server);
		return;
	}
	/* Without its timer the drain has no deadline; the requests in
	 * flight still end within their statement timeout, and a second
	 * signal still exits at once. */
	if (evtimer_add(server->ev_drain, &tv) != 0)
		log_error("cannot arm the drain timeout; waiting for the %u "
		    "requests in flight without it", server->inflight);
}

void
server_check_drained(struct server *server)
{
	if (server->draining && server->inflight == 0)
		server_finish(server);
}

static void
server_finish(struct server *server)
{
	event_base_loopexit(server->base, NULL);
}

/* After the loop: give each client its last bytes (best effort, no
 * waiting), then close it. */
static void
server_close_conns(struct server *server)
{
	while (server->conns != NULL) {
		struct conn *conn = server->conns;

		if (evbuffer_get_length(conn->out) > 0 &&
		    evbuffer_write(conn->out, conn->fd) < 0)
			log_debug("client %llu: last write failed: %s",
			    (unsigned long long)conn->id, strerror(errno));
		conn_free(conn);
	}
}

static struct event *
server_event(struct server *server, evutil_socket_t fd, short what,
    event_callback_fn cb)
{
	return event_new(server->base, fd, what, cb, server);
}

/*
 * --max-clients connections need as many descriptors, plus the database
 * handles (each with its -wal and -shm), the listener and a few spare.  The
 * usual soft limit is 1024: raise it towards the hard limit, as redis does,
 * and say so when even that is not enough.
 */
#define SERVER_SPARE_FDS 32

static void
server_raise_fd_limit(const struct config *cfg)
{
	rlim_t want = (rlim_t)cfg->max_clients + 3 * cfg->pool_size +
	    SERVER_SPARE_FDS;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warn("open file limit is %llu, below the %llu that "
		    "--max-clients %u needs: connections past it wait in the "
		    "backlog (raise it with ulimit -n)",
		    (unsigned long long)rl.rlim_cur, (unsigned long long)want,
		    cfg->max_clients);
}

/* What accounts need: the password hasher (one dummy hash now, so unknown
 * users cost as much as known ones), the login limiter, the token cache
 * and the hashing workers. */
static int
server_start_accounts(struct server *server, char *err, size_t errlen)
{
	const struct config *cfg = server->cfg;
	struct ratelimit_config rc;

	if ((server->hasher = password_hasher_new(&cfg->argon2, err,
	    errlen)) == NULL)
		return -1;
	ratelimit_config_default(&rc);
	/* The limiter lets key_free_failures go unpunished; the protocol
	 * promises that the attempt after 5 failures in a row is refused. */
	rc.key_free_failures = CB_LOGIN_FAILURES_BEFORE_DELAY - 1;
	if ((server->ratelimit = ratelimit_new(&rc, err, errlen)) == NULL)
		return -1;
	if ((server->authcache = authcache_new()) == NULL ||
	    (server->peers = identity_map_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	server->hashq = workq_new(cfg->hash_workers, err, errlen);
	if (server->hashq == NULL)
		return -1;
	server->maintq = workq_new(1, err, errlen);
	return server->maintq == NULL ? -1 : 0;
}

/*
 * The pool found the database file replaced or removed (any thread) and
 * refuses every request from now on.  What was cached from the old file
 * goes too: a token cached for its session 1 must not vouch for user 1 of
 * any other file.
 */
static void
server_db_lost(void *arg)
{
	struct server *server = arg;

	if (server->authcache == NULL)
		return;
	authcache_clear(server->authcache);
	log_warn("dropped the token cache: its sessions belong to the lost "
	    "database");
}

/*
 * The socket a service manager passed, if any (systemd.c): from now on its
 * path is where we listen.  A --socket (or $CASHBOOK_SOCKET) naming
 * another path loses, with a warning: the unit decides where clients are.
 */
static int
server_take_inherited(struct server *server, char *err, size_t errlen)
{
	const struct config *cfg = server->cfg;
	int fd, rc;

	rc = systemd_listen_fd(&fd, server->inherited_path,
	    sizeof server->inherited_path, err, errlen);
	if (rc <= 0)
		return rc;
	server->listen_fd = fd;
	server->socket_inherited = true;
	server->socket_path = server->inherited_path;
	if (!cfg->socket_default && strcmp(cfg->socket_path,
	    server->socket_path) != 0)
		log_warn("listening on %s, the socket systemd passed, not on "
		    "%s (--socket or CASHBOOK_SOCKET)", server->socket_path,
		    cfg->socket_path);
	return 0;
}

static int
server_start(struct server *server, char *err, size_t errlen)
{
	const struct config *cfg = server->cfg;
	struct pool_config pc = {
		.db = {
			.path = cfg->db_path,
			.busy_timeout_ms = cfg->busy_timeout_ms,
			.synchronous = cfg->synchronous,
		},
		.size = cfg->pool_size,
		.lost = server_db_lost,
		.lost_arg = server,
	};
	struct timeval second = { 1, 0 };

	server_raise_fd_limit(cfg);
	if (server_take_inherited(server, err, errlen) != 0 ||
	    config_make_dirs(cfg, !server->socket_inherited, err, errlen) != 0 ||
	    server_lock(server, err, errlen) != 0 ||
	    server_lock_db(server, err, errlen) != 0 ||
	    (!server->socket_inherited &&
	    server_clear_stale(server, err, errlen) != 0))
		return -1;
	if ((server->pool = pool_open(&pc, err, errlen)) == NULL)
		return -1;
	if ((server->workq = workq_new(cfg->pool_size, err, errlen)) == NULL)
		return -1;
	if (server_start_accounts(server, err, errlen) != 0)
		return -1;
	if ((server->events = events_new(server)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (gateway_init(server, err, errlen) != 0)
		return -1;
	if ((server->reaper = jobs_new(server, err, errlen)) == NULL)
		return -1;
	if ((server->backup_progress = calloc(1,
	    sizeof *server->backup_progress)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	server->backups = backup_schedule_new(server, err, errlen);
	if (server->backups == NULL && err[0] != '\0')
		return -1;
	server->ev_accept_retry = evtimer_new(server->base,
	    server_accept_retry_cb, server);
	server->ev_sigterm = evsignal_new(server->base, SIGTERM,
	    server_signal_cb, server);
	server->ev_sigint = evsignal_new(server->base, SIGINT,
	    server_signal_cb, server);
	server->ev_tick = server_event(server, -1, EV_PERSIST, server_tick_cb);
	server->ev_drain = evtimer_new(server->base, server_drain_cb, server);
	server->ev_flush = server_event(server, -1, 0, server_flush_cb);
	if (server->ev_flush == NULL || server->ev_accept_retry == NULL || server->ev_sigterm == NULL ||
	    server->ev_sigint == NULL || server->ev_tick == NULL ||
	    server->ev_drain == NULL || event_add(server->ev_sigterm,
	    NULL) != 0 || event_add(server->ev_sigint, NULL) != 0 ||
	    event_add(server->ev_tick, &second) != 0) {
		snprintf(err, errlen, "cannot set up the event loop");
		return -1;
	}
	if (server_listen(server, err, errlen) != 0)
		return -1;
	server->ev_accept = server_event(server, server->listen_fd,
	    EV_READ | EV_PERSIST, server_accept_cb);
	if (server->ev_accept == NULL ||
	    event_add(server->ev_accept, NULL) != 0) {
		snprintf(err, errlen, "cannot watch the listening socket");
		return -1;
	}
	return 0;
}

static void
server_free_event(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

static void
server_stop(struct server *server)
{
	char path[LOCK_PATH_MAX];

	server_stop_listening(server);
	server_close_conns(server);
	jobs_stop(server->reaper);
	backup_schedule_stop(server->backups);
	/* Workers finish what they run; their replies go nowhere, and no
	 * request moves on to another step (so neither queue feeds the other
	 * while they stop).  Forced (drain timeout, second signal): wait a
	 * moment, no longer. */
	atomic_store(&server->stopping, true);
	workq_stop(server->maintq);
	workq_stop(server->hashq);
	workq_stop(server->workq);
	if (!server->forced) {
		workq_free(server->maintq);
		workq_free(server->hashq);
		workq_free(server->workq);
	} else if (!workq_free_until(server->maintq, clock_now_us() +
	    SERVER_FORCED_GRACE_US) || !workq_free_until(server->hashq,
	    clock_now_us() + SERVER_FORCED_GRACE_US) ||
	    !workq_free_until(server->workq, clock_now_us() +
	    SERVER_FORCED_GRACE_US)) {
		/* A handler still runs and holds its handle: closing the
		 * pool under it is not safe, and waiting is what the user
		 * asked us not to do.  SQLite's journal keeps the database
		 * consistent, as after a crash. */
		log_warn("exiting with requests still running; the database "
		    "stays consistent and is recovered at next start");
		_exit(server->exit_code);
	}
	server->workq = server->hashq = server->maintq = NULL;
	if (server->ev_done != NULL)
		gateway_shutdown(server);
	jobs_free(server->reaper);		/* after its job ended */
	server->reaper = NULL;
	backup_schedule_free(server->backups);	/* after its job ended */
	server->backups = NULL;
	free(server->backup_progress);
	server->backup_progress = NULL;
	if (server->pool != NULL)
		pool_close(server->pool);
	password_hasher_free(server->hasher);
	ratelimit_free(server->ratelimit);
	authcache_free(server->authcache);
	identity_map_free(server->peers);
	events_free(server->events);	/* the connections went first */
	server_free_event(&server->ev_accept);
	server_free_event(&server->ev_accept_retry);
	server_free_event(&server->ev_sigterm);
	server_free_event(&server->ev_sigint);
	server_free_event(&server->ev_tick);
	server_free_event(&server->ev_drain);
	server_free_event(&server->ev_flush);
	if (server->lock_fd >= 0) {		/* held: ours to remove */
		snprintf(path, sizeof path, "%s.lock",
		    server->socket_path);
		/* Unlink while still holding the lock, so a daemon starting
		 * now either waits for our lock or makes a fresh file. */
		unlink(path);
		close(server->lock_fd);
	}
	if (server->db_lock_fd >= 0)		/* kept: see server_lock_db */
		close(server->db_lock_fd);
	event_base_free(server->base);
}

/*
 * cashbookd --restore FILE: no daemon may have the database open (its
 * lock, held for a daemon's life, is taken here and held throughout), so
 * the file is swapped with no connection open on it.
 */
int
server_restore_offline(const struct config *cfg)
{
	struct server server;
	struct restore_plan plan;
	char err[2 * PATH_MAX];

	memset(&server, 0, sizeof server);
	server.cfg = cfg;
	server.lock_fd = server.db_lock_fd = -1;
	if (config_make_dirs(cfg, true, err, sizeof err) != 0 ||
	    server_lock_db(&server, err, sizeof err) != 0) {
		log_error("restore refused: %s", err);
		return 1;
	}
	if (restore_offline(cfg->restore_path, cfg->db_path, &plan, err,
	    sizeof err) != 0) {
		log_error("restore from %s failed: %s; %s is unchanged",
		    cfg->restore_path, err, cfg->db_path);
		close(server.db_lock_fd);
		return 1;
	}
	close(server.db_lock_fd);
	log_info("restore: %s is the database now, from %s (schema version "
	    "%d%s); the previous one is kept as %s", cfg->db_path,
	    cfg->restore_path, plan.from_version, plan.from_version <
	    schema_version_current() ? ", migrated" : "",
	    plan.kept[0] != '\0' ? plan.kept : "(there was none)");
	return 0;
}

int
server_run(const struct config *cfg)
{
	struct server server;
	char err[2 * PATH_MAX];		/* messages may name two paths */

	memset(&server, 0, sizeof server);
	server.cfg = cfg;
	server.listen_fd = server.lock_fd = server.db_lock_fd = -1;
	server.socket_path = cfg->socket_path;
	server.started_us = clock_now_us();

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    evthread_use_pthreads() != 0 ||
	    (server.base = event_base_new()) == NULL) {
		log_error("cannot initialise the event loop");
		return 1;
	}
	if (server_start(&server, err, sizeof err) != 0) {
		log_error("%s", err);
		/* systemctl status shows it beside the failure. */
		if (systemd_notifyf("STATUS=cannot start: %s", err) != 0)
			log_debug("cannot tell systemd why: %s",
			    strerror(errno));
		server_stop(&server);
		return 1;
	}
	log_info("cashbookd %s listening on %s%s (database %s, pool %u, "
	    "synchronous %s, auth %s, access %s%s)", CASHBOOK_VERSION,
	    server.socket_path, server.socket_inherited ?
	    " (passed by systemd)" : "", cfg->db_path, cfg->pool_size,
	    cfg->synchronous == DB_SYNC_FULL ? "full" : "normal",
	    cfg->auth == AUTH_PEER ? "peer" : "token",
	    cfg->access_group ? "group:" : "self",
	    cfg->access_group ? cfg->access_group_name : "");
	if (systemd_notifyf("READY=1\nSTATUS=listening on %s",
	    server.socket_path) != 0)
		log_warn("cannot tell systemd we are ready: %s (NOTIFY_SOCKET "
		    "is %s)", strerror(errno), getenv("NOTIFY_SOCKET"));
	if (event_base_dispatch(server.base) < 0) {
		log_error("event loop failed");
		server.exit_code = 1;
	}
	server_stop(&server);
	log_info("cashbookd stopped");
	return server.exit_code;
}
