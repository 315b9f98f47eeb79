/*
 * restore.c -- checking a backup and swapping it in (see restore.h).
 *
 * The file a client names is untrusted: it is copied first and only the
 * copy is opened, with SQLite's defensive settings (no writable schema,
 * no functions from the schema), and checked before anything is decided
 * on its content.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backup.h"
#include "db.h"
#include "log.h"
#include "restore.h"
#include "schema.h"

#define RESTORE_STAGED_SUFFIX	".restore-tmp"
#define RESTORE_COPY_CHUNK	(64 * 1024)
/* Kept copies made in the same second get "-2" .. this. */
#define RESTORE_KEPT_TRIES	99

static const char sql_integrity[] = "PRAGMA integrity_check(1)";
static const char sql_version[] = "PRAGMA user_version";
static const char sql_has_meta[] =
    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
    "name = 'meta'";
static const char sql_wal[] = "PRAGMA journal_mode=WAL";
static const char sql_checkpoint[] = "PRAGMA wal_checkpoint(TRUNCATE)";

/* Beside a database file, what SQLite may have made. */
static const char *const restore_companions[] = {
	"-wal", "-shm", "-journal", NULL,
};

static void
restore_unlink_with_companions(const char *path)
{
	char name[PATH_MAX + 64];

	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("restore: cannot remove %s: %s", path,
		    strerror(errno));
	for (int i = 0; restore_companions[i] != NULL; i++) {
		snprintf(name, sizeof name, "%s%s", path,
		    restore_companions[i]);
		if (unlink(name) != 0 && errno != ENOENT)
			log_warn("restore: cannot remove %s: %s", name,
			    strerror(errno));
	}
}

/* Copy src to dst (created 0600, never over a file) and fsync it. */
static enum restore_result
restore_copy(const char *src, const char *dst, char *err, size_t errlen)
{
	char buf[RESTORE_COPY_CHUNK];
	struct stat st;
	ssize_t n, w;
	int in, out;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		snprintf(err, errlen, "cannot read %s: %s", src,
		    strerror(errno));
		return RESTORE_BAD_FILE;
	}
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", src);
		close(in);
		return RESTORE_BAD_FILE;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (out < 0) {
		snprintf(err, errlen, "cannot create %s: %s", dst,
		    strerror(errno));
		close(in);
		return RESTORE_FAILED;
	}
	while ((n = read(in, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				goto io;
		}
	}
	if (n < 0 && errno != EINTR)
		goto io;
	if (fsync(out) != 0)
		goto io;
	close(in);
	if (close(out) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", dst,
		    strerror(errno));
		return RESTORE_FAILED;
	}
	return RESTORE_OK;
io:
	snprintf(err, errlen, "cannot copy %s to %s: %s", src, dst,
	    strerror(errno));
	close(in);
	close(out);
	return RESTORE_FAILED;
}

/* Open the staged copy as an untrusted file. */
static int
restore_open(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *conn = NULL;
	int rc, on;

	rc = sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(conn, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(conn, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
		    &on);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path, conn != NULL ?
		    sqlite3_errmsg(conn) : sqlite3_errstr(rc));
		sqlite3_close(conn);
		return -1;
	}
	*out = conn;
	return 0;
}

/*
 * The checks, on the staged copy: sound, a cashbook database, not newer
 * than this build; then migrated and left in WAL mode with its WAL folded
 * in (closed, so nothing is left beside it).
 */
static enum restore_result
restore_check(const char *src, struct restore_plan *plan, char *err,
    size_t errlen)
{
	char answer[256] = "", why[512];
	sqlite3 *conn;
	int has_meta = 0, rc;

	if (restore_open(plan->staged, &conn, err, errlen) != 0)
		return RESTORE_FAILED;
	rc = db_query_one(conn, sql_integrity, NULL, answer, sizeof answer);
	if (rc != SQLITE_OK || strcmp(answer, "ok") != 0) {
		snprintf(err, errlen, "%s is not a sound SQLite database: %s",
		    src, rc != SQLITE_OK ? sqlite3_errmsg(conn) : answer);
		goto bad;
	}
	if (db_query_one(conn, sql_version, &plan->from_version, NULL, 0) !=
	    SQLITE_OK || db_query_one(conn, sql_has_meta, &has_meta, NULL,
	    0) != SQLITE_OK || has_meta != 1 || plan->from_version < 1) {
		snprintf(err, errlen, "%s is not a cashbook database (it has no "
		    "cashbook schema)", src);
		goto bad;
	}
	if (plan->from_version > schema_version_current()) {
		snprintf(err, errlen, "%s has schema version %d, newer than "
		    "this cashbookd understands (%d): upgrade cashbookd first",
		    src, plan->from_version, schema_version_current());
		goto bad;
	}
	if (schema_migrate(conn, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s cannot be brought to schema version "
		    "%d: %s", src, schema_version_current(), why);
		goto bad;
	}
	if (db_query_one(conn, sql_wal, NULL, answer, sizeof answer) !=
	    SQLITE_OK || strcmp(answer, "wal") != 0 ||
	    db_query_one(conn, sql_checkpoint, NULL, NULL, 0) != SQLITE_OK) {
		snprintf(err, errlen, "cannot prepare %s: %s", plan->staged,
		    sqlite3_errmsg(conn));
		sqlite3_close(conn);
		return RESTORE_FAILED;
	}
	if ((rc = sqlite3_close(conn)) != SQLITE_OK) {
		snprintf(err, errlen, "cannot close %s: %s", plan->staged,
		    sqlite3_errstr(rc));
		return RESTORE_FAILED;
	}
	return RESTORE_OK;
bad:
	sqlite3_close(conn);
	return RESTORE_BAD_FILE;
}

enum restore_result
restore_stage(const char *src, const char *db_path, struct restore_plan *plan,
    char *err, size_t errlen)
{
	struct stat st, live;
	enum restore_result rc;
	int n;

	memset(plan, 0, sizeof *plan);
	n = snprintf(plan->db_path, sizeof plan->db_path, "%s", db_path);
	if (n < 0 || (size_t)n >= sizeof plan->db_path) {
		snprintf(err, errlen, "the database path is too long");
		return RESTORE_FAILED;
	}
	snprintf(plan->staged, sizeof plan->staged, "%s" RESTORE_STAGED_SUFFIX,
	    db_path);
	if (src[0] != '/') {
		snprintf(err, errlen, "give the file to restore as an absolute "
		    "path: cashbookd does not run in your directory");
		return RESTORE_BAD_FILE;
	}
	if (stat(src, &st) != 0) {
		snprintf(err, errlen, "cannot read %s: %s", src,
		    strerror(errno));
		return RESTORE_BAD_FILE;
	}
	if (stat(db_path, &live) == 0 && live.st_dev == st.st_dev &&
	    live.st_ino == st.st_ino) {
		snprintf(err, errlen, "%s is the live database itself; name a "
		    "backup of it", src);
		return RESTORE_BAD_FILE;
	}
	restore_unlink_with_companions(plan->staged);	/* left by a crash */
	rc = restore_copy(src, plan->staged, err, errlen);
	if (rc == RESTORE_OK)
		rc = restore_check(src, plan, err, errlen);
	if (rc != RESTORE_OK)
		restore_unlink_with_companions(plan->staged);
	return rc;
}

/* Keep the old database as "<db>.before-restore-YYYYMMDD-HHMMSS" (UTC),
 * a second name for the same file. */
static int
restore_keep_old(struct restore_plan *plan, char *err, size_t errlen)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm) == 0)
		snprintf(stamp, sizeof stamp, "%lld", (long long)now);
	for (int i = 1; i <= RESTORE_KEPT_TRIES; i++) {
		if (i == 1)
			snprintf(plan->kept, sizeof plan->kept,
			    "%s.before-restore-%s", plan->db_path, stamp);
		else
			snprintf(plan->kept, sizeof plan->kept,
			    "%s.before-restore-%s-%d", plan->db_path, stamp,
			    i);
		if (link(plan->db_path, plan->kept) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	snprintf(err, errlen, "cannot keep the old database as %s: %s",
	    plan->kept, strerror(errno));
	plan->kept[0] = '\0';
	return -1;
}

int
restore_swap_files(void *arg, char *err, size_t errlen)
{
	struct restore_plan *plan = arg;
	char name[PATH_MAX + 64];
	struct stat st;

	plan->kept[0] = '\0';
	if (stat(plan->db_path, &st) == 0 &&
	    restore_keep_old(plan, err, errlen) != 0)
		return -1;
	if (rename(plan->staged, plan->db_path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s",
		    plan->staged, plan->db_path, strerror(errno));
		if (plan->kept[0] != '\0' && unlink(plan->kept) != 0)
			log_warn("restore: cannot remove %s: %s", plan->kept,
			    strerror(errno));
		plan->kept[0] = '\0';
		return -1;
	}
	/* The old file's WAL was folded into it and is empty, and no
	 * connection is open: whatever is left there belongs to nobody. */
	for (int i = 0; restore_companions[i] != NULL; i++) {
		snprintf(name, sizeof name, "%s%s", plan->db_path,
		    restore_companions[i]);
		if (unlink(name) != 0 && errno != ENOENT)
			log_warn("restore: cannot remove %s: %s", name,
			    strerror(errno));
	}
	if (backup_sync_dir(plan->db_path) != 0)
		log_warn("restore: cannot sync the directory of %s: %s",
		    plan->db_path, strerror(errno));
	return 0;
}

void
restore_undo_files(void *arg)
{
	struct restore_plan *plan = arg;

	if (plan->kept[0] == '\0') {
		log_error("restore: the restored file at %s cannot be opened "
		    "and there was no database before it", plan->db_path);
		return;
	}
	if (rename(plan->kept, plan->db_path) != 0)
		log_error("restore: cannot put the old database back (%s to "
		    "%s): %s", plan->kept, plan->db_path, strerror(errno));
	else
		log_warn("restore: the restored file would not open; the old "
		    "database is back at %s", plan->db_path);
	plan->kept[0] = '\0';
}

void
restore_discard(struct restore_plan *plan)
{
	restore_unlink_with_companions(plan->staged);
}

/* Offline, the database may have a WAL left by a daemon that crashed:
 * fold it in first, so the copy kept of it is whole. */
static int
restore_fold_wal(const char *db_path, char *err, size_t errlen)
{
	char answer[64] = "";
	sqlite3 *conn = NULL;
	struct stat st;
	int busy = 1, rc;

	if (stat(db_path, &st) != 0)
		return 0;		/* nothing there: nothing to keep */
	rc = sqlite3_open_v2(db_path, &conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = db_query_one(conn, sql_checkpoint, &busy, answer,
		    sizeof answer);
	if (rc != SQLITE_OK || busy != 0) {
		snprintf(err, errlen, "cannot fold the WAL into %s: %s",
		    db_path, rc != SQLITE_OK ? sqlite3_errmsg(conn) :
		    "another process is using it");
		sqlite3_close(conn);
		return -1;
	}
	if ((rc = sqlite3_close(conn)) != SQLITE_OK) {
		snprintf(err, errlen, "cannot close %s: %s", db_path,
		    sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

int
restore_offline(const char *src, const char *db_path,
    struct restore_plan *plan, char *err, size_t errlen)
{
	if (restore_fold_wal(db_path, err, errlen) != 0)
		return -1;
	if (restore_stage(src, db_path, plan, err, errlen) != RESTORE_OK)
		return -1;
	if (restore_swap_files(plan, err, errlen) != 0) {
		restore_discard(plan);
		return -1;
	}
	return 0;
}
