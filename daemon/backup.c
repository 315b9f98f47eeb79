/*
 * backup.c -- an online, consistent copy of the database (see backup.h).
 *
 *   backup_dest_check (loop, and again on the worker)
 *   worker: open "<dest>.cashbook-tmp" O_EXCL 0600
 *           source: read-only connection on the pool's file, BEGIN + one
 *           read = one snapshot held to the end
 *           sqlite3_backup_step(CB_BACKUP_STEP_PAGES) ... SQLITE_DONE
 *           integrity_check on the copy, close, fsync, rename, fsync dir
 *
 * Why one snapshot and not a fresh one per step: the backup API restarts
 * from page 1 whenever the source changed between two steps, and with
 * writers at work it always has; a read transaction held open costs the
 * writers nothing in WAL mode (it only keeps checkpoints from passing it).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backup.h"
#include "cb_limits.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "path.h"
#include "pool.h"

/* What the temporary copy is called, beside the destination. */
#define BACKUP_TMP_SUFFIX	".cashbook-tmp"
/* A step that finds the source busy (a WAL recovery by another process)
 * waits this long before trying again, at most this many times. */
#define BACKUP_BUSY_SLEEP_MS	10
#define BACKUP_BUSY_TRIES	500

static const char sql_begin[] = "BEGIN";
/* Any read starts the read transaction BEGIN only announced. */
static const char sql_snapshot[] = "SELECT count(*) FROM sqlite_schema";
static const char sql_sync_off[] = "PRAGMA synchronous=OFF";
static const char sql_integrity[] = "PRAGMA integrity_check(1)";

/* The companions of a database file that a backup must never replace. */
static const char *const backup_companions[] = {
	"", "-wal", "-shm", "-journal", ".lock", NULL,
};

int
backup_dest_check(const char *db_path, const char *dest, char *err,
    size_t errlen)
{
	char canon[PATH_MAX], live[PATH_MAX], name[PATH_MAX + 16];
	char dir[PATH_MAX];
	const char *base;
	struct stat st, dbst;

	if (dest[0] != '/') {
		snprintf(err, errlen, "give the backup file as an absolute "
		    "path: cashbookd does not run in your directory");
		return -1;
	}
	if (strlen(dest) + sizeof BACKUP_TMP_SUFFIX + 16 > PATH_MAX ||
	    path_split(dest, dir, sizeof dir, &base) != 0) {
		snprintf(err, errlen, "the backup file's path is too long");
		return -1;
	}
	if (base[0] == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0) {
		snprintf(err, errlen, "%s names a directory; name a file in "
		    "it", dest);
		return -1;
	}
	if (path_canonical(dest, canon, sizeof canon) != 0) {
		snprintf(err, errlen, "directory %s is not there (or cashbookd "
		    "cannot reach it): %s", dir, strerror(errno));
		return -1;
	}
	if (path_canonical(db_path, live, sizeof live) == 0) {
		for (int i = 0; backup_companions[i] != NULL; i++) {
			snprintf(name, sizeof name, "%s%s", live,
			    backup_companions[i]);
			if (strcmp(canon, name) == 0) {
				snprintf(err, errlen, "%s is %s of the live "
				    "database; choose another file", dest,
				    i == 0 ? "the file" : "a file beside");
				return -1;
			}
		}
	}
	if (lstat(dest, &st) != 0)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "cannot "
		    "look at %s: %s", dest, strerror(errno)), -1);
	if (S_ISLNK(st.st_mode) && stat(dest, &st) != 0)
		return 0;		/* a dangling link: renamed over */
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a regular file; "
		    "choose another name", dest);
		return -1;
	}
	if (stat(db_path, &dbst) == 0 && dbst.st_dev == st.st_dev &&
	    dbst.st_ino == st.st_ino) {
		snprintf(err, errlen, "%s is the live database (another name "
		    "for it); choose another file", dest);
		return -1;
	}
	return 0;
}

int
backup_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *base;
	int fd, rc, saved;

	if (path_split(path, dir, sizeof dir, &base) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/*
 * The source: a read-only connection of our own on the file the pool has
 * open (device and inode: never a file that replaced it), in a read
 * transaction that holds one snapshot until it is closed.
 */
static int
backup_open_source(struct pool *pool, const char *path, sqlite3 **out,
    char *err, size_t errlen)
{
	sqlite3 *conn = NULL;
	struct stat st;
	dev_t dev;
	ino_t ino;
	int moved = 0, rc;

	if (pool_file_identity(pool, &dev, &ino) != 0) {
		snprintf(err, errlen, "the database file was replaced or "
		    "removed under cashbookd; an operator must restart it");
		return -1;
	}
	rc = sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the database to copy it: %s",
		    conn != NULL ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
		goto fail;
	}
	if (sqlite3_file_control(conn, "main", SQLITE_FCNTL_HAS_MOVED,
	    &moved) != SQLITE_OK || moved || stat(path, &st) != 0 ||
	    st.st_dev != dev || st.st_ino != ino) {
		snprintf(err, errlen, "the file at %s is not the database "
		    "cashbookd has open; nothing was copied", path);
		goto fail;
	}
	if ((rc = sqlite3_busy_timeout(conn, CB_DEFAULT_BUSY_TIMEOUT_MS)) !=
	    SQLITE_OK || (rc = db_query_one(conn, sql_begin, NULL, NULL, 0)) !=
	    SQLITE_OK || (rc = db_query_one(conn, sql_snapshot, NULL, NULL, 0)) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "cannot read the database: %s",
		    sqlite3_errmsg(conn));
		goto fail;
	}
	*out = conn;
	return 0;
fail:
	sqlite3_close(conn);
	return -1;
}

/* Copy every page of src into dst, one snapshot, in steps. */
static int
backup_copy(sqlite3 *src, sqlite3 *dst, struct backup_progress *progress,
    uint64_t *pages, char *err, size_t errlen)
{
	sqlite3_backup *b;
	int rc, busy = 0, total;

	b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL) {
		snprintf(err, errlen, "cannot start the copy: %s",
		    sqlite3_errmsg(dst));
		return -1;
	}
	for (;;) {
		rc = sqlite3_backup_step(b, CB_BACKUP_STEP_PAGES);
		total = sqlite3_backup_pagecount(b);
		if (progress != NULL) {
			atomic_store(&progress->pages_total, (uint64_t)total);
			atomic_store(&progress->pages_done, (uint64_t)(total -
			    sqlite3_backup_remaining(b)));
		}
		if (rc == SQLITE_OK)
			continue;
		if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) &&
		    busy++ < BACKUP_BUSY_TRIES) {
			sqlite3_sleep(BACKUP_BUSY_SLEEP_MS);
			continue;
		}
		break;
	}
	*pages = (uint64_t)sqlite3_backup_pagecount(b);
	if (sqlite3_backup_finish(b) != SQLITE_OK && rc == SQLITE_DONE)
		rc = sqlite3_errcode(dst);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "copying the database failed: %s",
		    sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* The copy must pass integrity_check before it may take dest's name. */
static int
backup_check_copy(sqlite3 *dst, char *err, size_t errlen)
{
	char answer[256] = "";
	int rc;

	rc = db_query_one(dst, sql_integrity, NULL, answer, sizeof answer);
	if (rc != SQLITE_OK || strcmp(answer, "ok") != 0) {
		snprintf(err, errlen, "the copy failed its integrity check: %s",
		    rc != SQLITE_OK ? sqlite3_errmsg(dst) : answer);
		return -1;
	}
	return 0;
}

/* Remove the temporary copy and whatever SQLite left beside it. */
static void
backup_remove_tmp(const char *tmp)
{
	char name[PATH_MAX + 16];

	for (int i = 0; backup_companions[i] != NULL; i++) {
		if (strcmp(backup_companions[i], ".lock") == 0)
			continue;
		snprintf(name, sizeof name, "%s%s", tmp, backup_companions[i]);
		if (unlink(name) != 0 && errno != ENOENT)
			log_warn("backup: cannot remove %s: %s", name,
			    strerror(errno));
	}
}

/* fsync the finished copy and give its size. */
static int
backup_sync_file(const char *tmp, uint64_t *bytes, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	fd = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "cannot reopen the copy %s: %s", tmp,
		    strerror(errno));
		return -1;
	}
	rc = fsync(fd);
	if (rc == 0)
		rc = fstat(fd, &st);
	if (rc != 0)
		snprintf(err, errlen, "cannot sync the copy %s: %s", tmp,
		    strerror(errno));
	else
		*bytes = (uint64_t)st.st_size;
	close(fd);
	return rc;
}

int
backup_write(struct pool *pool, const char *db_path, const char *dest,
    struct backup_progress *progress, struct backup_result *out, char *err,
    size_t errlen)
{
	char tmp[PATH_MAX + sizeof BACKUP_TMP_SUFFIX], wal[PATH_MAX + 32];
	sqlite3 *src = NULL, *dst = NULL;
	int64_t started = clock_now_us();
	struct stat st;
	int fd, rc;

	memset(out, 0, sizeof *out);
	/* Again, here: the loop's look may be seconds old. */
	if (backup_dest_check(db_path, dest, err, errlen) != 0)
		return -1;
	snprintf(tmp, sizeof tmp, "%s" BACKUP_TMP_SUFFIX, dest);
	backup_remove_tmp(tmp);		/* left by a crash */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		return -1;
	}
	close(fd);
	if (progress != NULL) {
		atomic_store(&progress->pages_done, 0);
		atomic_store(&progress->pages_total, 0);
		atomic_store(&progress->running, true);
	}
	if (backup_open_source(pool, db_path, &src, err, errlen) != 0)
		goto fail;
	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK || db_query_one(dst, sql_sync_off, NULL, NULL, 0) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "cannot open the copy %s: %s", tmp,
		    dst != NULL ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		goto fail;
	}
	if (backup_copy(src, dst, progress, &out->pages, err, errlen) != 0)
		goto fail;
	sqlite3_close(src);		/* ends the snapshot */
	src = NULL;
	if (backup_check_copy(dst, err, errlen) != 0)
		goto fail;
	rc = sqlite3_close(dst);
	dst = NULL;
	snprintf(wal, sizeof wal, "%s-wal", tmp);
	if (rc != SQLITE_OK || lstat(wal, &st) == 0) {
		snprintf(err, errlen, "the copy %s was not closed cleanly: %s",
		    tmp, rc != SQLITE_OK ? sqlite3_errstr(rc) :
		    "its WAL is still there");
		goto fail;
	}
	if (backup_sync_file(tmp, &out->bytes, err, errlen) != 0)
		goto fail;
	if (rename(tmp, dest) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, dest,
		    strerror(errno));
		goto fail;
	}
	if (backup_sync_dir(dest) != 0)
		log_warn("backup: cannot sync the directory of %s: %s; the "
		    "backup may not survive a power loss", dest,
		    strerror(errno));
	out->duration_ms = (clock_now_us() - started) / 1000;
	if (progress != NULL)
		atomic_store(&progress->running, false);
	return 0;

fail:
	sqlite3_close(src);
	sqlite3_close(dst);
	backup_remove_tmp(tmp);
	if (progress != NULL)
		atomic_store(&progress->running, false);
	return -1;
}
