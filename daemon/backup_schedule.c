/*
 * backup_schedule.c -- the daemon's own backups (see backup_schedule.h).
 *
 *   loop:   sched_tick (every DURATION) -> gateway_submit_job(backup)
 *   maint:  sched_step: backup_write to DIR/cashbook-DATE.db
 *   loop:   sched_done: rotate (keep the newest N), arm the timer again
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "backup.h"
#include "backup_schedule.h"
#include "cb_limits.h"
#include "config.h"
#include "gateway.h"
#include "log.h"
#include "method.h"
#include "server.h"

/* DIR/cashbook-YYYYMMDD-HHMMSS.db: the prefix and suffix, and the length
 * of the whole name. */
#define SCHED_PREFIX		"cashbook-"
#define SCHED_SUFFIX		".db"
#define SCHED_NAME_LEN		(sizeof SCHED_PREFIX - 1 + 15 + \
				    sizeof SCHED_SUFFIX - 1)

struct backup_schedule {
	struct server *server;
	struct event *ev_tick;
	bool running, stopped;		/* loop */
	/* Written by the loop before the job is queued, read by its step. */
	char dir[PATH_MAX];
	char dest[PATH_MAX + 64];
	/* Written by the step, read by sched_done once the job ended. */
	struct backup_result last;
};

int
backup_parse_every(const char *s, int64_t *seconds)
{
	char *end;
	long long v, unit = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 1)
		return -1;
	if (*end != '\0') {
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 24 * 3600; break;
		default: return -1;
		}
		if (end[1] != '\0')
			return -1;
	}
	if (v > CB_BACKUP_EVERY_MAX_S / unit || v * unit <
	    CB_BACKUP_EVERY_MIN_S)
		return -1;
	*seconds = v * unit;
	return 0;
}

/* ---- the job's one step (maintenance worker) ---- */

static int
sched_step(struct call *call)
{
	struct server *server = call->server;
	struct backup_schedule *s = server->backups;
	char err[CB_MAX_ERROR_MESSAGE + 1];

	if (backup_write(server->pool, server->cfg->db_path, s->dest,
	    server->backup_progress, &s->last, err, sizeof err) != 0)
		return call_fail(call, CB_UNAVAILABLE, "%s", err);
	msgpack_pack_nil(call->result);
	return 0;
}

static const struct method method_backup_job = {
	.name = "job.backup",
	.exec = sched_step,
	.flags = METHOD_MAINT,
};

/* ---- rotation and the timer (loop) ---- */

static bool
sched_is_ours(const char *name)
{
	size_t plen = sizeof SCHED_PREFIX - 1;

	if (strlen(name) != SCHED_NAME_LEN ||
	    strncmp(name, SCHED_PREFIX, plen) != 0 ||
	    strcmp(name + SCHED_NAME_LEN - (sizeof SCHED_SUFFIX - 1),
	    SCHED_SUFFIX) != 0)
		return false;
	for (size_t i = 0; i < 15; i++) {
		char c = name[plen + i];

		if (i == 8 ? c != '-' : (c < '0' || c > '9'))
			return false;
	}
	return true;
}

static int
sched_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keep the newest --backup-keep of our backups in DIR (their names sort
 * by date); remove the others, oldest first. */
static void
sched_rotate(struct backup_schedule *s)
{
	unsigned keep = s->server->cfg->backup_keep;
	char **names = NULL, **grown, path[PATH_MAX + 64];
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(s->dir)) == NULL) {
		log_warn("backup rotation: cannot read %s: %s", s->dir,
		    strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!sched_is_ours(de->d_name))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((grown = realloc(names, cap * sizeof *names)) ==
			    NULL)
				goto oom;
			names = grown;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto oom;
		n++;
	}
	closedir(d);
	d = NULL;
	qsort(names, n, sizeof *names, sched_cmp);
	for (size_t i = 0; i + keep < n; i++) {
		snprintf(path, sizeof path, "%s/%s", s->dir, names[i]);
		if (unlink(path) != 0)
			log_warn("backup rotation: cannot remove %s: %s", path,
			    strerror(errno));
		else
			log_info("backup rotation: removed %s (keeping the "
			    "newest %u)", path, keep);
	}
	goto out;
oom:
	log_error("backup rotation: out of memory; old backups stay in %s",
	    s->dir);
out:
	if (d != NULL)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void
sched_arm(struct backup_schedule *s)
{
	struct timeval tv = { (time_t)s->server->cfg->backup_every_s, 0 };

	if (s->stopped)
		return;
	if (event_add(s->ev_tick, &tv) != 0)
		log_error("cannot schedule the next backup: no more scheduled "
		    "backups until cashbookd restarts");
}

static void
sched_done(struct server *server, bool failed, void *arg)
{
	struct backup_schedule *s = arg;

	s->running = false;
	server->maint_busy = false;
	if (!failed) {
		log_info("scheduled backup %s written (%" PRIu64 " bytes) in %"
		    PRId64 " ms", s->dest, s->last.bytes,
		    s->last.duration_ms);
		sched_rotate(s);
	}
	sched_arm(s);
}

static void
sched_tick(evutil_socket_t fd, short what, void *arg)
{
	struct backup_schedule *s = arg;
	struct server *server = s->server;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	(void)fd;
	(void)what;
	if (s->stopped || server->draining)
		return;
	if (server->maint_busy) {
		log_info("scheduled backup skipped: a backup or restore is "
		    "running");
		sched_arm(s);
		return;
	}
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm) == 0) {
		log_error("scheduled backup skipped: cannot read the clock");
		sched_arm(s);
		return;
	}
	snprintf(s->dest, sizeof s->dest, "%s/" SCHED_PREFIX "%s"
	    SCHED_SUFFIX, s->dir, stamp);
	if (gateway_submit_job(server, &method_backup_job, sched_done,
	    s) != 0) {
		log_error("scheduled backup skipped: out of memory");
		sched_arm(s);
		return;
	}
	s->running = true;
	server->maint_busy = true;
}

/* DIR made (0700) when missing, and named absolutely: backup_write wants
 * an absolute path. */
static int
sched_dir(struct backup_schedule *s, const char *dir, char *err,
    size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "--backup-dir: cannot create %s: %s",
		    dir, strerror(errno));
		return -1;
	}
	if (realpath(dir, s->dir) == NULL || stat(s->dir, &st) != 0 ||
	    !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--backup-dir: %s is not a directory "
		    "cashbookd can use", dir);
		return -1;
	}
	return 0;
}

struct backup_schedule *
backup_schedule_new(struct server *server, char *err, size_t errlen)
{
	const struct config *cfg = server->cfg;
	struct backup_schedule *s;

	err[0] = '\0';
	if (cfg->backup_every_s == 0)
		return NULL;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		snprintf(err, errlen, "backups: out of memory");
		return NULL;
	}
	s->server = server;
	if (sched_dir(s, cfg->backup_dir, err, errlen) != 0) {
		free(s);
		return NULL;
	}
	if ((s->ev_tick = evtimer_new(server->base, sched_tick, s)) == NULL) {
		snprintf(err, errlen, "backups: cannot create the timer");
		free(s);
		return NULL;
	}
	sched_arm(s);
	log_info("backups: every %" PRId64 " s into %s, keeping the newest %u",
	    cfg->backup_every_s, s->dir, cfg->backup_keep);
	return s;
}

void
backup_schedule_stop(struct backup_schedule *s)
{
	if (s == NULL)
		return;
	s->stopped = true;
	event_del(s->ev_tick);
}

void
backup_schedule_free(struct backup_schedule *s)
{
	if (s == NULL)
		return;
	event_free(s->ev_tick);
	free(s);
}
