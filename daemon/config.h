/*
 * config.h -- cashbookd's settings: embedded defaults, overridden by flags.
 *
 * No config file: every setting is a flag with a default that works on a
 * fresh machine, so `cashbookd` alone starts a usable daemon.
 */
#ifndef CASHBOOK_DAEMON_CONFIG_H
#define CASHBOOK_DAEMON_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "db.h"
#include "log.h"
#include "password.h"

/* Who a request without a token acts for (--auth). */
enum auth_mode {
	AUTH_PEER,			/* the connecting OS user's account */
	AUTH_TOKEN,			/* nobody: every method needs a token */
};

struct config {
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char db_path[PATH_MAX];
	unsigned pool_size;
	int pool_timeout_ms;
	int busy_timeout_ms;
	int statement_timeout_ms;
	unsigned max_clients;
	size_t max_message_bytes;
	int read_timeout_ms;		/* a half-sent message, then silence */
	int idle_timeout_ms;		/* 0: idle connections may stay */
	int drain_timeout_ms;		/* SIGTERM: finish in-flight work */
	int leak_threshold_ms;		/* log handles held longer */
	enum db_synchronous synchronous;
	int64_t token_ttl_s;		/* session lifetime */
	struct password_params argon2;	/* password hashing cost */
	unsigned hash_workers;		/* password hashes at once */
	unsigned hash_queue;		/* hashes waiting, then rate_limited */
	char default_currency[4];	/* ISO 4217, for book.create */
	enum log_level log_level;
	enum auth_mode auth;
	/* --access group:NAME: the socket is 0660 with this group, and any
	 * uid that can open it is served as itself.  Otherwise (self) only
	 * the daemon's own uid and root may connect. */
	bool access_group;
	gid_t access_gid;
	char access_group_name[64];
	/* --backup-dir DIR --backup-every DURATION --backup-keep N
	 * (backup_schedule.h); backup_every_s 0: none. */
	char backup_dir[PATH_MAX];
	int64_t backup_every_s;
	unsigned backup_keep;
	/* --restore FILE: put FILE in place of the database and exit
	 * (restore.h); "" to run the daemon. */
	char restore_path[PATH_MAX];
	bool socket_default;		/* paths came from the defaults */
	bool db_default;
};

enum config_result {
	CONFIG_OK,			/* run the daemon */
	CONFIG_EXIT,			/* --help / --version printed */
	CONFIG_USAGE,			/* bad flags; message printed */
};

/* Fill cfg from the defaults and argv.  Prints help, version and usage
 * errors itself (stdout for help, stderr for errors). */
enum config_result config_parse(struct config *cfg, int argc, char **argv);

/* Create the socket's (unless !socket_dir: a service manager made it) and
 * the database's directories (0700) when missing, and check a directory
 * the daemon created in a shared place (/tmp) is really its own.  Returns
 * 0, or -1 with a message in err. */
int config_make_dirs(const struct config *cfg, bool socket_dir, char *err,
    size_t errlen);

#endif
