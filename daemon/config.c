/*
 * config.c -- defaults and command-line flags (see config.h).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup_schedule.h"
#include "cb_limits.h"
#include "config.h"
#include "money.h"
#include "version.h"

static void
config_usage(FILE *out)
{
	fprintf(out,
"usage: cashbookd [options]\n"
"\n"
"The cashbook daemon: serves msgpack-RPC on a Unix socket against a bounded\n"
"pool of SQLite handles.  Runs in the foreground; logs to stderr.\n"
"\n"
"  --socket PATH             Unix socket to listen on (default $CASHBOOK_SOCKET,\n"
"                            else $XDG_RUNTIME_DIR/cashbook/cashbookd.sock,\n"
"                            else /tmp/cashbook-$UID/cashbookd.sock)\n"
"  --db PATH                 SQLite database file (default\n"
"                            $XDG_DATA_HOME/cashbook/cashbook.db, else\n"
"                            ~/.local/share/cashbook/cashbook.db)\n"
"  --pool-size N             SQLite handles: 1 writer + N-1 readers (default %d, max %d)\n"
"  --pool-timeout-ms N       longest wait for a free handle (default %d)\n"
"  --busy-timeout-ms N       SQLite busy_timeout, a backstop (default %d)\n"
"  --statement-timeout-ms N  interrupt database work past this (default %d)\n"
"  --synchronous full|normal durability: full survives power loss (default full)\n"
"  --max-clients N           open connections allowed (default %d)\n"
"  --max-message-bytes N     largest request accepted (default %u)\n"
"  --read-timeout-ms N       drop a client that stalls mid-message (default %d)\n"
"  --idle-timeout-ms N       drop idle clients; 0 keeps them (default %d)\n"
"  --drain-timeout-ms N      on SIGTERM, wait this long for work in flight (default %d)\n"
"  --leak-threshold-ms N     log a handle held longer than this (default %d)\n"
"  --token-ttl-s N           session (token) lifetime (default %d = 30 days)\n"
"  --argon2-m-kib N          password hash memory in KiB (default %u, at least that)\n"
"  --argon2-t N              password hash passes (default %u, at least that)\n"
"  --argon2-p N              password hash lanes (default %u)\n"
"                            the default costs ~15-22 ms and 19 MiB per hash\n"
"  --hash-workers N          password hashes run at once (default %d)\n"
"  --hash-queue N            hashes waiting before logins get rate_limited\n"
"                            (default %d)\n"
"  --default-currency CODE   ISO 4217 currency of new books that name none\n"
"                            (default XXX, \"no currency\", 2 decimals)\n"
"  --auth peer|token         who a request without a token acts for: peer\n"
"                            (default) serves each connecting OS user as their\n"
"                            own account, made on first use; token requires a\n"
"                            login (user.register, auth.login) for everything\n"
"  --access self|group:NAME  who may connect: self (default) is this uid (and\n"
"                            root); group:NAME makes the socket 0660 for group\n"
"                            NAME, and every member connects as themselves\n"
"  --backup-dir DIR          with --backup-every: write a backup into DIR\n"
"                            (made 0700 if missing) as cashbook-DATE.db\n"
"  --backup-every DURATION   how often: 90s, 15m, 6h, 1d (at least 1s)\n"
"  --backup-keep N           keep the newest N of those backups (default %d)\n"
"  --restore FILE            do not serve: check FILE (a backup), put it in\n"
"                            place of --db (the old one is kept beside it as\n"
"                            DB.before-restore-DATE) and exit; refused while a\n"
"                            cashbookd has the database open\n"
"  --log-level LEVEL         debug, info, warn or error (default info)\n"
"  --help                    show this help\n"
"  --version                 show the version\n"
"\n"
"Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 1 when it cannot\n"
"start (the message says why), 2 for bad options.\n",
	    CB_DEFAULT_POOL_SIZE, CB_MAX_POOL_SIZE, CB_DEFAULT_POOL_TIMEOUT_MS,
	    CB_DEFAULT_BUSY_TIMEOUT_MS, CB_DEFAULT_STATEMENT_TIMEOUT_MS,
	    CB_DEFAULT_MAX_CLIENTS, CB_DEFAULT_MAX_MESSAGE_BYTES,
	    CB_DEFAULT_READ_TIMEOUT_MS, CB_DEFAULT_IDLE_TIMEOUT_MS,
	    CB_DEFAULT_DRAIN_TIMEOUT_MS, CB_DEFAULT_LEAK_THRESHOLD_MS,
	    CB_DEFAULT_TOKEN_TTL_S, CB_PASSWORD_DEFAULT_M_COST_KIB,
	    CB_PASSWORD_DEFAULT_T_COST, CB_PASSWORD_DEFAULT_PARALLELISM,
	    CB_DEFAULT_HASH_WORKERS, CB_DEFAULT_HASH_QUEUE,
	    CB_DEFAULT_BACKUP_KEEP);
}

/* Copy src into dst, refusing what does not fit. */
static int
config_set_path(char *dst, size_t len, const char *src, const char *what)
{
	if (src[0] == '\0' || strlen(src) >= len) {
		fprintf(stderr, "cashbookd: %s path %s (at most %zu bytes)\n",
		    what, src[0] == '\0' ? "is empty" : "is too long",
		    len - 1);
		return -1;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static const char *
config_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && home[0] == '/')
		return home;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_dir : NULL;
}

static int
config_defaults(struct config *cfg)
{
	const char *base;
	int n;

	memset(cfg, 0, sizeof *cfg);
	cfg->pool_size = CB_DEFAULT_POOL_SIZE;
	cfg->pool_timeout_ms = CB_DEFAULT_POOL_TIMEOUT_MS;
	cfg->busy_timeout_ms = CB_DEFAULT_BUSY_TIMEOUT_MS;
	cfg->statement_timeout_ms = CB_DEFAULT_STATEMENT_TIMEOUT_MS;
	cfg->max_clients = CB_DEFAULT_MAX_CLIENTS;
	cfg->max_message_bytes = CB_DEFAULT_MAX_MESSAGE_BYTES;
	cfg->read_timeout_ms = CB_DEFAULT_READ_TIMEOUT_MS;
	cfg->idle_timeout_ms = CB_DEFAULT_IDLE_TIMEOUT_MS;
	cfg->drain_timeout_ms = CB_DEFAULT_DRAIN_TIMEOUT_MS;
	cfg->leak_threshold_ms = CB_DEFAULT_LEAK_THRESHOLD_MS;
	cfg->synchronous = DB_SYNC_FULL;
	cfg->token_ttl_s = CB_DEFAULT_TOKEN_TTL_S;
	password_params_default(&cfg->argon2);
	cfg->hash_workers = CB_DEFAULT_HASH_WORKERS;
	cfg->hash_queue = CB_DEFAULT_HASH_QUEUE;
	memcpy(cfg->default_currency, "XXX", 4);
	cfg->log_level = LOG_INFO;
	cfg->backup_keep = CB_DEFAULT_BACKUP_KEEP;
	cfg->socket_default = cfg->db_default = true;

	/* The same rule as libcashbook's cb_default_socket_path(), so a
	 * plain `cashbookd` listens where a plain `cashbookctl` looks. */
	base = getenv("CASHBOOK_SOCKET");
	if (base != NULL && base[0] != '\0') {
		cfg->socket_default = false;	/* the user's choice */
		n = snprintf(cfg->socket_path, sizeof cfg->socket_path, "%s",
		    base);
	} else if ((base = getenv("XDG_RUNTIME_DIR")) != NULL &&
	    base[0] == '/')
		n = snprintf(cfg->socket_path, sizeof cfg->socket_path,
		    "%s/cashbook/cashbookd.sock", base);
	else
		n = snprintf(cfg->socket_path, sizeof cfg->socket_path,
		    "/tmp/cashbook-%u/cashbookd.sock", (unsigned)getuid());
	if (n < 0 || (size_t)n >= sizeof cfg->socket_path) {
		fprintf(stderr, "cashbookd: default socket path is too long; "
		    "use --socket PATH\n");
		cfg->socket_path[0] = '\0';
	}

	base = getenv("XDG_DATA_HOME");
	if (base != NULL && base[0] == '/')
		n = snprintf(cfg->db_path, sizeof cfg->db_path,
		    "%s/cashbook/cashbook.db", base);
	else if ((base = config_home()) != NULL)
		n = snprintf(cfg->db_path, sizeof cfg->db_path,
		    "%s/.local/share/cashbook/cashbook.db", base);
	else
		n = -1;
	if (n < 0 || (size_t)n >= sizeof cfg->db_path)
		cfg->db_path[0] = '\0';
	return 0;
}

/* Parse a decimal integer in [min, max]; prints the error itself. */
static int
config_int(const char *flag, const char *s, long long min, long long max,
    long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "cashbookd: --%s wants a whole number from "
		    "%lld to %lld, not '%s'\n", flag, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

enum {
	OPT_SOCKET = 256, OPT_DB, OPT_POOL_SIZE, OPT_POOL_TIMEOUT,
	OPT_BUSY_TIMEOUT, OPT_STATEMENT_TIMEOUT, OPT_MAX_CLIENTS,
	OPT_MAX_MESSAGE, OPT_READ_TIMEOUT, OPT_IDLE_TIMEOUT, OPT_DRAIN_TIMEOUT,
	OPT_LEAK_THRESHOLD, OPT_SYNCHRONOUS, OPT_LOG_LEVEL, OPT_HELP,
	OPT_VERSION, OPT_TOKEN_TTL, OPT_ARGON2_M, OPT_ARGON2_T, OPT_ARGON2_P,
	OPT_HASH_WORKERS, OPT_HASH_QUEUE, OPT_DEFAULT_CURRENCY, OPT_AUTH,
	OPT_ACCESS, OPT_BACKUP_DIR, OPT_BACKUP_EVERY, OPT_BACKUP_KEEP,
	OPT_RESTORE,
};

static const struct option config_options[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "db", required_argument, NULL, OPT_DB },
	{ "pool-size", required_argument, NULL, OPT_POOL_SIZE },
	{ "pool-timeout-ms", required_argument, NULL, OPT_POOL_TIMEOUT },
	{ "busy-timeout-ms", required_argument, NULL, OPT_BUSY_TIMEOUT },
	{ "statement-timeout-ms", required_argument, NULL,
	    OPT_STATEMENT_TIMEOUT },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "max-message-bytes", required_argument, NULL, OPT_MAX_MESSAGE },
	{ "read-timeout-ms", required_argument, NULL, OPT_READ_TIMEOUT },
	{ "idle-timeout-ms", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "drain-timeout-ms", required_argument, NULL, OPT_DRAIN_TIMEOUT },
	{ "leak-threshold-ms", required_argument, NULL, OPT_LEAK_THRESHOLD },
	{ "synchronous", required_argument, NULL, OPT_SYNCHRONOUS },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "token-ttl-s", required_argument, NULL, OPT_TOKEN_TTL },
	{ "argon2-m-kib", required_argument, NULL, OPT_ARGON2_M },
	{ "argon2-t", required_argument, NULL, OPT_ARGON2_T },
	{ "argon2-p", required_argument, NULL, OPT_ARGON2_P },
	{ "hash-workers", required_argument, NULL, OPT_HASH_WORKERS },
	{ "hash-queue", required_argument, NULL, OPT_HASH_QUEUE },
	{ "default-currency", required_argument, NULL, OPT_DEFAULT_CURRENCY },
	{ "auth", required_argument, NULL, OPT_AUTH },
	{ "access", required_argument, NULL, OPT_ACCESS },
	{ "backup-dir", required_argument, NULL, OPT_BACKUP_DIR },
	{ "backup-every", required_argument, NULL, OPT_BACKUP_EVERY },
	{ "backup-keep", required_argument, NULL, OPT_BACKUP_KEEP },
	{ "restore", required_argument, NULL, OPT_RESTORE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* --access self | group:NAME: the group is looked up now, so a typo stops
 * the daemon before it listens. */
static int
config_access(struct config *cfg, const char *arg)
{
	struct group gr, *found = NULL;
	char buf[4096];
	const char *name;
	int rc;

	if (strcmp(arg, "self") == 0) {
		cfg->access_group = false;
		return 0;
	}
	if (strncmp(arg, "group:", 6) != 0 || arg[6] == '\0') {
		fprintf(stderr, "cashbookd: --access wants self or group:NAME, "
		    "not '%s'\n", arg);
		return -1;
	}
	name = arg + 6;
	if (strlen(name) >= sizeof cfg->access_group_name) {
		fprintf(stderr, "cashbookd: --access: group name '%s' is too "
		    "long\n", name);
		return -1;
	}
	rc = getgrnam_r(name, &gr, buf, sizeof buf, &found);
	if (rc != 0 || found == NULL) {
		fprintf(stderr, "cashbookd: --access: %s '%s'%s%s; create it "
		    "(groupadd %s) or name another\n", rc != 0 ?
		    "cannot look up group" : "there is no group", name,
		    rc != 0 ? ": " : "", rc != 0 ? strerror(rc) : "", name);
		return -1;
	}
	cfg->access_group = true;
	cfg->access_gid = gr.gr_gid;
	snprintf(cfg->access_group_name, sizeof cfg->access_group_name, "%s",
	    name);
	return 0;
}

#define MS_MAX (24LL * 3600 * 1000)	/* a day: longer is surely a typo */

static int
config_apply(struct config *cfg, int opt, const char *arg)
{
	long long v;
	int rc = 0;

	switch (opt) {
	case OPT_SOCKET:
		cfg->socket_default = false;
		return config_set_path(cfg->socket_path,
		    sizeof cfg->socket_path, arg, "socket");
	case OPT_DB:
		cfg->db_default = false;
		return config_set_path(cfg->db_path, sizeof cfg->db_path, arg,
		    "database");
	case OPT_POOL_SIZE:
		if ((rc = config_int("pool-size", arg, 1, CB_MAX_POOL_SIZE,
		    &v)) == 0)
			cfg->pool_size = (unsigned)v;
		return rc;
	case OPT_POOL_TIMEOUT:
		if ((rc = config_int("pool-timeout-ms", arg, 1, MS_MAX,
		    &v)) == 0)
			cfg->pool_timeout_ms = (int)v;
		return rc;
	case OPT_BUSY_TIMEOUT:
		if ((rc = config_int("busy-timeout-ms", arg, 0, MS_MAX,
		    &v)) == 0)
			cfg->busy_timeout_ms = (int)v;
		return rc;
	case OPT_STATEMENT_TIMEOUT:
		if ((rc = config_int("statement-timeout-ms", arg, 1, MS_MAX,
		    &v)) == 0)
			cfg->statement_timeout_ms = (int)v;
		return rc;
	case OPT_MAX_CLIENTS:
		if ((rc = config_int("max-clients", arg, 1, 1000000, &v)) == 0)
			cfg->max_clients = (unsigned)v;
		return rc;
	case OPT_MAX_MESSAGE:
		if ((rc = config_int("max-message-bytes", arg,
		    CB_MIN_MAX_MESSAGE_BYTES, CB_MAX_MAX_MESSAGE_BYTES,
		    &v)) == 0)
			cfg->max_message_bytes = (size_t)v;
		return rc;
	case OPT_READ_TIMEOUT:
		if ((rc = config_int("read-timeout-ms", arg, 1, MS_MAX,
		    &v)) == 0)
			cfg->read_timeout_ms = (int)v;
		return rc;
	case OPT_IDLE_TIMEOUT:
		if ((rc = config_int("idle-timeout-ms", arg, 0, MS_MAX,
		    &v)) == 0)
			cfg->idle_timeout_ms = (int)v;
		return rc;
	case OPT_DRAIN_TIMEOUT:
		if ((rc = config_int("drain-timeout-ms", arg, 0, MS_MAX,
		    &v)) == 0)
			cfg->drain_timeout_ms = (int)v;
		return rc;
	case OPT_LEAK_THRESHOLD:
		if ((rc = config_int("leak-threshold-ms", arg, 1, MS_MAX,
		    &v)) == 0)
			cfg->leak_threshold_ms = (int)v;
		return rc;
	case OPT_TOKEN_TTL:
		if ((rc = config_int("token-ttl-s", arg, 60,
		    10LL * 366 * 24 * 3600, &v)) == 0)
			cfg->token_ttl_s = v;
		return rc;
	case OPT_ARGON2_M:
		if ((rc = config_int("argon2-m-kib", arg,
		    CB_PASSWORD_MIN_M_COST_KIB, CB_PASSWORD_MAX_M_COST_KIB,
		    &v)) == 0)
			cfg->argon2.m_cost_kib = (uint32_t)v;
		return rc;
	case OPT_ARGON2_T:
		if ((rc = config_int("argon2-t", arg, CB_PASSWORD_MIN_T_COST,
		    CB_PASSWORD_MAX_T_COST, &v)) == 0)
			cfg->argon2.t_cost = (uint32_t)v;
		return rc;
	case OPT_ARGON2_P:
		if ((rc = config_int("argon2-p", arg,
		    CB_PASSWORD_MIN_PARALLELISM, CB_PASSWORD_MAX_PARALLELISM,
		    &v)) == 0)
			cfg->argon2.parallelism = (uint32_t)v;
		return rc;
	case OPT_DEFAULT_CURRENCY:
		if (!money_currency_valid(arg, strlen(arg))) {
			fprintf(stderr, "cashbookd: --default-currency '%s' is "
			    "not an ISO 4217 code (three capital letters, e.g. "
			    "EUR)\n", arg);
			return -1;
		}
		memcpy(cfg->default_currency, arg, 4);
		return 0;
	case OPT_HASH_WORKERS:
		if ((rc = config_int("hash-workers", arg, 1, 16, &v)) == 0)
			cfg->hash_workers = (unsigned)v;
		return rc;
	case OPT_HASH_QUEUE:
		if ((rc = config_int("hash-queue", arg, 1, 100000, &v)) == 0)
			cfg->hash_queue = (unsigned)v;
		return rc;
	case OPT_SYNCHRONOUS:
		if (strcmp(arg, "full") == 0)
			cfg->synchronous = DB_SYNC_FULL;
		else if (strcmp(arg, "normal") == 0)
			cfg->synchronous = DB_SYNC_NORMAL;
		else {
			fprintf(stderr, "cashbookd: --synchronous wants full "
			    "or normal, not '%s'\n", arg);
			return -1;
		}
		return 0;
	case OPT_AUTH:
		if (strcmp(arg, "peer") == 0)
			cfg->auth = AUTH_PEER;
		else if (strcmp(arg, "token") == 0)
			cfg->auth = AUTH_TOKEN;
		else {
			fprintf(stderr, "cashbookd: --auth wants peer or token, "
			    "not '%s'\n", arg);
			return -1;
		}
		return 0;
	case OPT_ACCESS:
		return config_access(cfg, arg);
	case OPT_BACKUP_DIR:
		return config_set_path(cfg->backup_dir, sizeof cfg->backup_dir,
		    arg, "backup directory");
	case OPT_BACKUP_EVERY:
		if (backup_parse_every(arg, &cfg->backup_every_s) != 0) {
			fprintf(stderr, "cashbookd: --backup-every wants a "
			    "duration from 1s to 366d, such as 90s, 15m, 6h or "
			    "1d, not '%s'\n", arg);
			return -1;
		}
		return 0;
	case OPT_BACKUP_KEEP:
		if ((rc = config_int("backup-keep", arg, 1, CB_BACKUP_KEEP_MAX,
		    &v)) == 0)
			cfg->backup_keep = (unsigned)v;
		return rc;
	case OPT_RESTORE:
		return config_set_path(cfg->restore_path,
		    sizeof cfg->restore_path, arg, "restore");
	case OPT_LOG_LEVEL:
		if (log_level_parse(arg, &cfg->log_level) != 0) {
			fprintf(stderr, "cashbookd: --log-level wants debug, "
			    "info, warn or error, not '%s'\n", arg);
			return -1;
		}
		return 0;
	}
	return -1;
}

enum config_result
config_parse(struct config *cfg, int argc, char **argv)
{
	int opt;

	config_defaults(cfg);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", config_options,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			config_usage(stdout);
			return CONFIG_EXIT;
		case OPT_VERSION:
			printf("cashbookd %s (protocol %d, SQLite %s)\n",
			    CASHBOOK_VERSION, CB_PROTOCOL_VERSION,
			    sqlite3_libversion());
			return CONFIG_EXIT;
		case ':':
			fprintf(stderr, "cashbookd: %s needs a value; see "
			    "cashbookd --help\n", argv[optind - 1]);
			return CONFIG_USAGE;
		case '?':
			fprintf(stderr, "cashbookd: unknown option '%s'; see "
			    "cashbookd --help\n", argv[optind - 1]);
			return CONFIG_USAGE;
		default:
			if (config_apply(cfg, opt, optarg) != 0)
				return CONFIG_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cashbookd: unexpected argument '%s'; see "
		    "cashbookd --help\n", argv[optind]);
		return CONFIG_USAGE;
	}
	if ((cfg->backup_dir[0] != '\0') != (cfg->backup_every_s != 0)) {
		fprintf(stderr, "cashbookd: --backup-dir and --backup-every go "
		    "together: give both (e.g. --backup-dir ~/backups "
		    "--backup-every 1d)\n");
		return CONFIG_USAGE;
	}
	if (cfg->socket_path[0] == '\0' || cfg->db_path[0] == '\0') {
		fprintf(stderr, "cashbookd: cannot work out a default %s path; "
		    "give it with %s\n", cfg->socket_path[0] == '\0' ?
		    "socket" : "database", cfg->socket_path[0] == '\0' ?
		    "--socket PATH" : "--db PATH");
		return CONFIG_USAGE;
	}
	return CONFIG_OK;
}

/*
 * mkdir -p the directory holding path, new directories 0700.  When
 * must_own, the innermost directory must be a real directory owned by us
 * with no access for others: in /tmp anyone could have made it first.
 * With a group (gid != -1, --access group:NAME) the innermost directory,
 * when we make it, is 0750 and that group's, so its members can reach the
 * socket; must_own then allows that group's read and search bits.
 */
static int
config_make_parent(const char *path, bool must_own, gid_t gid, char *err,
    size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;
	bool made = false;
	mode_t others;

	if (strlen(path) >= sizeof dir) {
		snprintf(err, errlen, "path too long: %s", path);
		return -1;
	}
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;		/* current directory or / */
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		made = mkdir(dir, 0700) == 0;
		if (!made && errno != EEXIST) {
			snprintf(err, errlen, "cannot create directory %s: %s",
			    dir, strerror(errno));
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	if (made && gid != (gid_t)-1 && (chown(dir, (uid_t)-1, gid) != 0 ||
	    chmod(dir, 0750) != 0)) {
		snprintf(err, errlen, "cannot give directory %s to group %u: %s",
		    dir, (unsigned)gid, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) != 0) {
		snprintf(err, errlen, "cannot stat %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", dir);
		return -1;
	}
	others = gid != (gid_t)-1 && st.st_gid == gid ? 027 : 077;
	if (must_own && (st.st_uid != geteuid() || (st.st_mode & others) != 0)) {
		snprintf(err, errlen, "%s is not private to this user (owner "
		    "uid %u, mode %03o): remove it or choose another path",
		    dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

int
config_make_dirs(const struct config *cfg, bool socket_dir, char *err,
    size_t errlen)
{
	gid_t gid = cfg->access_group ? cfg->access_gid : (gid_t)-1;

	if (socket_dir && config_make_parent(cfg->socket_path,
	    cfg->socket_default, gid, err, errlen) != 0)
		return -1;
	return config_make_parent(cfg->db_path, cfg->db_default, (gid_t)-1,
	    err, errlen);
}
