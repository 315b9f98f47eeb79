/*
 * server.h -- the daemon as a whole: the event loop, the listening socket,
 * the connections, the pool and its worker threads, signals and shutdown.
 *
 * Everything in struct server is owned and touched by the event-loop thread
 * only, except where a field says otherwise.  Worker threads reach the loop
 * only through the gateway's done list (gateway_post_done, gateway.c) and
 * the events they may activate (ev_done, ev_pool_expire, the reaper's
 * kick): event_active is thread-safe with libevent_pthreads.
 */
#ifndef CASHBOOK_DAEMON_SERVER_H
#define CASHBOOK_DAEMON_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>
#include <time.h>

#include "config.h"
#include "packbuf.h"

struct conn;
struct request;
struct pool;
struct workq;
struct password_hasher;
struct ratelimit;
struct authcache;
struct jobs;
struct backup_progress;
struct backup_schedule;
struct event;
struct event_base;

struct server {
	const struct config *cfg;
	struct event_base *base;

	int listen_fd;
	/* Where it listens: cfg->socket_path, or the path of the socket a
	 * service manager passed (socket activation), which is then not ours
	 * to create, chmod or remove. */
	const char *socket_path;
	bool socket_inherited;
	char inherited_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lock_fd;			/* flock'd: one daemon per socket */
	int db_lock_fd;			/* flock'd: one daemon per database */
	struct event *ev_accept;
	struct event *ev_accept_retry;	/* backoff after EMFILE/ENFILE */
	int64_t accept_warned_us;	/* last "pausing" warning */
	struct event *ev_sigterm, *ev_sigint;
	struct event *ev_tick;		/* once a second: leak report */
	struct event *ev_drain;		/* drain deadline */

	struct pool *pool;
	struct workq *workq;		/* one worker per handle */

	/* Accounts: thread-safe, used by worker steps too. */
	struct password_hasher *hasher;
	struct ratelimit *ratelimit;	/* failed logins */
	struct authcache *authcache;	/* tokens verified a moment ago */
	/* Peer accounts already resolved, by uid (loop thread).  Not
	 * cleared when the database is lost: the pool then refuses every
	 * request, so no uid is resolved against another file. */
	struct identity_map *peers;
	struct events *events;		/* subscriptions (loop thread) */
	struct workq *hashq;		/* METHOD_HASH steps */
	struct workq *maintq;		/* METHOD_MAINT steps: one worker */
	/* A backup or restore is running (loop): one at a time, and the
	 * figures of the backup in progress (written by the maintenance
	 * worker, read by server.stats). */
	bool maint_busy;
	struct backup_progress *backup_progress;
	struct backup_schedule *backups;	/* --backup-every (loop) */
	atomic_uint hash_pending;	/* queued or running on hashq */
	atomic_bool stopping;		/* workers: start no further step */

	/* Connections. */
	struct conn *conns;		/* doubly linked through conn->next */
	struct conn *flush_list;	/* with output to write (conn_send) */
	struct event *ev_flush;		/* activated by conn_send */
	unsigned nconns;
	uint64_t next_conn_id;

	/* Requests: counted when answered. */
	uint64_t requests_total;
	uint64_t tick_requests;		/* requests_total at the last tick */
	uint64_t trimmed_requests;	/* ... when memory was last trimmed */
	uint64_t requests_errors;

	/* Gateway state (gateway.c). */
	struct event *ev_pool_expire;	/* next queued waiter's deadline */
	struct event *ev_done;		/* activated by workers */
	pthread_mutex_t done_lock;	/* guards the done list (any thread) */
	struct request *done_head, *done_tail;
	unsigned inflight;		/* requests handed to the pool */
	unsigned turn_waiting;		/* of those, waiting for their
					 * connection's turn (gateway.c) */
	struct packbuf inline_reply;	/* reused for loop-thread replies */
	struct request *job_requests;	/* daemon-owned jobs (gateway.c) */
	struct jobs *reaper;		/* removes deleted books (jobs.c) */

	int64_t started_us;		/* monotonic */
	bool draining;			/* SIGTERM seen: answer unavailable */
	bool forced;			/* second signal or drain timeout */
	int exit_code;
};

/* cashbookd --restore FILE: swap FILE in for the database, with the
 * database lock held (refused while a daemon runs on it); the exit
 * code. */
int server_restore_offline(const struct config *cfg);

/* Run the daemon until SIGTERM/SIGINT; returns the process exit code. */
int server_run(const struct config *cfg);

/* Called when the last in-flight request completes while draining. */
void server_check_drained(struct server *server);

#endif
