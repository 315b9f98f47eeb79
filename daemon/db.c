/*
 * db.c -- one pooled SQLite handle (see db.h).
 *
 * Owns: the slot's sqlite3 connection, its prepared-statement cache, its
 * statement deadline, the identity (st_dev/st_ino) of the file the slot
 * opened at start, and whether a full disk was logged.
 *
 * Must never: lock (a slot has one user at a time, handed over by the pool,
 * whose mutex orders the accesses), build SQL from input (every statement
 * here is a constant), outlive a broken connection (db_reopen replaces it
 * in place so the struct, and the pool's slot, stay), or open any file but
 * the one it opened at start: a reopen neither creates a missing database
 * nor opens one that replaced it (SQLite would recover the old file's -wal
 * into it).  The one exception is db_adopt, called by pool_swap for a
 * restore with every slot closed: it opens the new file and records it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "clock.h"
#include "db.h"
#include "cb_limits.h"
#include "log.h"
#include "schema.h"

/* One statement cache entry; sql is the key (its address, not its text). */
struct db_stmt {
	const char *sql;
	sqlite3_stmt *stmt;
	uint64_t last_used;		/* db->use_clock when last handed out */
};

struct db {
	char *path;			/* our copy: the config may not outlive us */
	int busy_timeout_ms;
	enum db_synchronous synchronous;
	bool writer;
	unsigned slot;

	sqlite3 *conn;			/* NULL when not ready */
	dev_t dev;			/* the file opened at start (db_open); */
	ino_t ino;			/* a reopen must find the same one */

	int64_t deadline_us;		/* 0: no statement deadline */
	bool timed_out;			/* the deadline fired (progress or busy
					   handler) */
	int64_t busy_since_us;		/* the current lock wait began */
	int64_t file_checked_us;	/* last db_file_check_every() stat */
	bool disk_full_logged;		/* since the last commit (db_note_rc) */

	struct db_stmt cache[CB_STMT_CACHE_SIZE];
	unsigned ncached;
	uint64_t use_clock;		/* ticks once per db_prepare, for LRU */
};

/* Our WAL hook (db_wal_committed) replaces SQLite's, which did nothing but
 * checkpoint once the WAL held this many frames (its default,
 * SQLITE_DEFAULT_WAL_AUTOCHECKPOINT). */
#define DB_WAL_AUTOCHECKPOINT_FRAMES	1000

/* SQLite's answer is checked for the journal mode: WAL can be refused
 * (e.g. a file system without shared memory) and we will not silently run in
 * rollback mode, where readers block the writer. */
static const char sql_journal_wal[] = "PRAGMA journal_mode=WAL";
static const char sql_sync_full[] = "PRAGMA synchronous=FULL";
static const char sql_sync_normal[] = "PRAGMA synchronous=NORMAL";
static const char sql_foreign_keys[] = "PRAGMA foreign_keys=ON";
static const char sql_query_only[] = "PRAGMA query_only=1";
/* Setting these answers nothing, and a build without foreign keys ignores
 * the pragma: read them back. */
static const char sql_foreign_keys_get[] = "PRAGMA foreign_keys";
static const char sql_query_only_get[] = "PRAGMA query_only";
static const char sql_rollback[] = "ROLLBACK";

static const struct {
	int id;
	int value;
	const char *name;
} db_limits[] = {
	{ SQLITE_LIMIT_LENGTH, CB_SQLITE_LIMIT_LENGTH, "length" },
	{ SQLITE_LIMIT_SQL_LENGTH, CB_SQLITE_LIMIT_SQL_LENGTH, "sql_length" },
	{ SQLITE_LIMIT_COLUMN, CB_SQLITE_LIMIT_COLUMN, "column" },
	{ SQLITE_LIMIT_EXPR_DEPTH, CB_SQLITE_LIMIT_EXPR_DEPTH, "expr_depth" },
	{ SQLITE_LIMIT_COMPOUND_SELECT, CB_SQLITE_LIMIT_COMPOUND_SELECT,
	    "compound_select" },
	{ SQLITE_LIMIT_VDBE_OP, CB_SQLITE_LIMIT_VDBE_OP, "vdbe_op" },
	{ SQLITE_LIMIT_FUNCTION_ARG, CB_SQLITE_LIMIT_FUNCTION_ARG,
	    "function_arg" },
	{ SQLITE_LIMIT_ATTACHED, CB_SQLITE_LIMIT_ATTACHED, "attached" },
	{ SQLITE_LIMIT_LIKE_PATTERN_LENGTH, CB_SQLITE_LIMIT_LIKE_PATTERN,
	    "like_pattern_length" },
	{ SQLITE_LIMIT_VARIABLE_NUMBER, CB_SQLITE_LIMIT_VARIABLE_NUMBER,
	    "variable_number" },
	{ SQLITE_LIMIT_TRIGGER_DEPTH, CB_SQLITE_LIMIT_TRIGGER_DEPTH,
	    "trigger_depth" },
};

static const struct {
	int op;
	int value;
	const char *name;
} db_dbconfigs[] = {
	/* No writable_schema, no shadow-table writes, no journal_mode=OFF:
	 * SQL cannot corrupt the file on purpose. */
	{ SQLITE_DBCONFIG_DEFENSIVE, 1, "defensive" },
	/* Functions in the schema (views, triggers) must be innocuous, so a
	 * tampered database file cannot make us run arbitrary functions. */
	{ SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, "trusted_schema" },
	{ SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, "load_extension" },
};

/*
 * The statement-timeout check.  SQLite calls it every
 * CB_PROGRESS_INTERVAL_OPS virtual machine instructions; a nonzero answer
 * interrupts the running statement with SQLITE_INTERRUPT.  Recording that
 * the deadline fired lets the caller tell a timeout from any other
 * interruption.
 */
static int
db_progress(void *arg)
{
	struct db *db = arg;

	if (db->deadline_us != 0 && clock_now_us() >= db->deadline_us) {
		db->timed_out = true;
		return 1;
	}
	return 0;
}

/*
 * Waiting for a lock held by another process (our own writers are queued
 * by the pool and never wait here).  Like sqlite3_busy_timeout(): sleep in
 * growing steps and give up after busy_timeout_ms -- but also give up at
 * the statement deadline, so the statement timeout bounds lock waits too.
 * Giving up returns SQLITE_BUSY; timed_out tells the caller it was the
 * deadline.
 */
static int
db_busy(void *arg, int count)
{
	static const int steps_ms[] = { 1, 2, 5, 10, 15, 20, 25, 25, 25, 50,
	    50, 100 };
	struct db *db = arg;
	int64_t now = clock_now_us(), left;
	int step = steps_ms[count < (int)(sizeof steps_ms / sizeof steps_ms[0])
	    ? count : (int)(sizeof steps_ms / sizeof steps_ms[0]) - 1];
	struct timespec ts;

	if (count == 0)
		db->busy_since_us = now;
	left = db->busy_since_us + (int64_t)db->busy_timeout_ms * 1000 - now;
	if (db->deadline_us != 0 && db->deadline_us - now < left) {
		left = db->deadline_us - now;
		if (left <= 0)
			db->timed_out = true;
	}
	if (left <= 0)
		return 0;
	if ((int64_t)step * 1000 > left)
		step = (int)((left + 999) / 1000);
	ts.tv_sec = step / 1000;
	ts.tv_nsec = (long)(step % 1000) * 1000000;
	nanosleep(&ts, NULL);
	return 1;
}

/* The directory holding path, in dir (".": none named). */
static void
db_dir_of(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, dirlen, ".");
	else if (slash == path)
		snprintf(dir, dirlen, "/");
	else
		snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
}

/*
 * rc is what a statement on this slot answered.  A full disk is answered
 * to the client as it was (unavailable: disk full while ...); the operator
 * learns it here: once, at error level, with the free space, and not
 * again until a write commits (db_wal_committed), so a full disk under
 * load is one line, not one per refused write.  Only the writer slot
 * writes, so its flag is the daemon's.
 */
static void
db_note_rc(struct db *db, int rc)
{
	char dir[PATH_MAX];
	struct statvfs sv;

	if ((rc & 0xff) != SQLITE_FULL || db->disk_full_logged)
		return;
	db->disk_full_logged = true;
	db_dir_of(db->path, dir, sizeof dir);
	if (statvfs(dir, &sv) != 0) {
		log_error("database %s: disk full (free space in %s unknown: "
		    "%s); writes answer unavailable, reads go on, until space "
		    "is freed", db->path, dir, strerror(errno));
		return;
	}
	log_error("database %s: disk full: %llu bytes free in %s (%llu "
	    "available to non-root users); writes answer unavailable, reads "
	    "go on, until space is freed", db->path,
	    (unsigned long long)sv.f_bfree * sv.f_frsize, dir,
	    (unsigned long long)sv.f_bavail * sv.f_frsize);
}

/*
 * SQLite calls this after every commit that wrote to the WAL: a write
 * succeeded, so a full disk logged before is over (and is logged again
 * when it comes back).  Then what SQLite's own hook did: a passive
 * checkpoint once the WAL is long, whose failure (busy, or the disk full
 * again) costs nothing but a longer WAL; the commit stands either way.
 */
static int
db_wal_committed(void *arg, sqlite3 *conn, const char *name, int frames)
{
	struct db *db = arg;
	int rc;

	if (db->disk_full_logged) {
		db->disk_full_logged = false;
		log_info("database %s: writes succeed again", db->path);
	}
	if (frames < DB_WAL_AUTOCHECKPOINT_FRAMES)
		return SQLITE_OK;
	rc = sqlite3_wal_checkpoint_v2(conn, name, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_debug("db: slot %u: checkpoint of %d frames: %s", db->slot,
		    frames, sqlite3_errstr(rc));
	return SQLITE_OK;
}

/* Run one pragma and, if want is not NULL, check its one-row answer. */
static int
db_pragma(sqlite3 *conn, const char *sql, const char *want, char *err,
    size_t errlen)
{
	sqlite3_stmt *stmt;
	const unsigned char *got;
	int rc;

	rc = sqlite3_prepare_v2(conn, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", sql, sqlite3_errmsg(conn));
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (want == NULL)
			continue;
		got = sqlite3_column_text(stmt, 0);
		if (got == NULL || strcmp((const char *)got, want) != 0) {
			snprintf(err, errlen, "%s: answered \"%s\", not \"%s\"",
			    sql, got != NULL ? (const char *)got : "(null)",
			    want);
			sqlite3_finalize(stmt);
			return -1;
		}
		want = NULL;		/* checked */
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", sql, sqlite3_errmsg(conn));
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	if (want != NULL) {
		snprintf(err, errlen, "%s: no answer", sql);
		return -1;
	}
	return 0;
}

/*
 * Close the connection.  Every statement on it is finalized first (cached or
 * not: nobody may use a statement across a close), so sqlite3_close cannot
 * answer SQLITE_BUSY.
 *
 * checkpoint false skips SQLite's checkpoint-on-last-close.  That matters
 * when the file was replaced: the -wal and -shm files are found by name, so
 * they may already belong to the new database, and a checkpoint would copy
 * the new database's WAL frames into the old (unlinked) file and then delete
 * the new database's -wal and -shm.  A suspect connection (reopen after a
 * fatal error) skips it too: whoever opens next recovers the WAL anyway.
 */
static void
db_disconnect(struct db *db, bool checkpoint)
{
	int rc;

	if (db->conn == NULL)
		return;
	/* Only our own statements: a virtual table (entries_fts) prepares
	 * its own on this connection and finalizes them when sqlite3_close
	 * disconnects it; finalizing every statement here freed them twice. */
	for (unsigned i = 0; i < db->ncached; i++) {
		sqlite3_finalize(db->cache[i].stmt);
		db->cache[i] = (struct db_stmt){ 0 };
	}
	db->ncached = 0;
	if (!checkpoint && sqlite3_db_config(db->conn,
	    SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL) != SQLITE_OK)
		log_warn("db: slot %u: cannot skip the checkpoint on close",
		    db->slot);
	rc = sqlite3_close(db->conn);
	if (rc != SQLITE_OK)
		log_error("db: slot %u: close: %s", db->slot,
		    sqlite3_errstr(rc));
	db->conn = NULL;
	db->deadline_us = 0;
	db->timed_out = false;
}

static const char *
db_file_what(enum db_file f)
{
	switch (f) {
	case DB_FILE_REPLACED:
		return "the file was replaced by another one";
	case DB_FILE_REMOVED:
		return "the file was removed";
	case DB_FILE_SAME:
		break;
	}
	return "the file is the same";
}

/*
 * Which file did sqlite3_open_v2 open?  SQLite does not hand out its
 * descriptor, but SQLITE_FCNTL_HAS_MOVED compares it (fstat at open) with
 * what the path names now; if it has not moved, a stat(2) of the path is a
 * stat of the file SQLite holds.  Only the main database file has been
 * opened at this point: nothing was read, and no -wal was looked at.
 *
 * At start (first) the identity is recorded; on a reopen it must be the
 * one recorded, or nothing is done with the connection.
 */
static int
db_connect_identify(struct db *db, sqlite3 *conn, bool first, char *why,
    size_t whylen)
{
	struct stat st;
	int moved = 0, rc;

	rc = sqlite3_file_control(conn, "main", SQLITE_FCNTL_HAS_MOVED, &moved);
	if (rc != SQLITE_OK && rc != SQLITE_NOTFOUND) {
		snprintf(why, whylen, "cannot tell which file was opened: %s",
		    sqlite3_errstr(rc));
		return -1;
	}
	if (moved) {
		snprintf(why, whylen, "the file moved while it was opened");
		return -1;
	}
	if (stat(db->path, &st) != 0) {
		snprintf(why, whylen, "stat: %s", strerror(errno));
		return -1;
	}
	if (first) {
		db->dev = st.st_dev;
		db->ino = st.st_ino;
	} else if (st.st_dev != db->dev || st.st_ino != db->ino) {
		snprintf(why, whylen, "not reopened: %s",
		    db_file_what(DB_FILE_REPLACED));
		return -1;
	}
	return 0;
}

/*
 * Open and configure a connection for this slot.  first: at start, when
 * the file may be created, or after a restore (create false), when the
 * new file must be there; either way its identity is recorded.  Otherwise
 * (a reopen) only the file recorded then is opened.  On failure nothing
 * is left open and err says why.
 */
static int
db_connect(struct db *db, bool first, bool create, char *err, size_t errlen)
{
	char why[512];
	sqlite3 *conn = NULL;
	enum db_file f;
	int flags, rc, on;

	/* Not even opened if it is already known to be another file: the
	 * open itself reads nothing, but nothing is all we want done to it. */
	if (!first && (f = db_file_check(db)) != DB_FILE_SAME) {
		snprintf(why, sizeof why, "not reopened: %s", db_file_what(f));
		goto fail;
	}
	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
#ifdef SQLITE_OPEN_EXRESCODE
	flags |= SQLITE_OPEN_EXRESCODE;
#endif
	rc = sqlite3_open_v2(db->path, &conn, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, sizeof why, "cannot open: %s", conn != NULL ?
		    sqlite3_errmsg(conn) : sqlite3_errstr(rc));
		goto fail;
	}
	/* Before any SQL: the first statement reads the file and recovers
	 * whatever -wal lies beside it. */
	if (db_connect_identify(db, conn, first, why, sizeof why) != 0)
		goto fail;
	rc = sqlite3_extended_result_codes(conn, 1);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_handler(conn, db_busy, db);
	if (rc != SQLITE_OK) {
		snprintf(why, sizeof why, "cannot configure: %s",
		    sqlite3_errstr(rc));
		goto fail;
	}
	for (size_t i = 0; i < sizeof db_dbconfigs / sizeof db_dbconfigs[0];
	    i++) {
		on = -1;
		rc = sqlite3_db_config(conn, db_dbconfigs[i].op,
		    db_dbconfigs[i].value, &on);
		if (rc != SQLITE_OK || on != db_dbconfigs[i].value) {
			snprintf(why, sizeof why, "cannot set dbconfig %s: %s",
			    db_dbconfigs[i].name, sqlite3_errstr(rc));
			goto fail;
		}
	}
	/* Limits before any SQL runs, the schema migration included.
	 * sqlite3_limit() reports nothing, so read each one back: a build whose
	 * hard maximum is below ours would silently clamp it. */
	for (size_t i = 0; i < sizeof db_limits / sizeof db_limits[0]; i++) {
		sqlite3_limit(conn, db_limits[i].id, db_limits[i].value);
		if (sqlite3_limit(conn, db_limits[i].id, -1) !=
		    db_limits[i].value) {
			snprintf(why, sizeof why, "cannot set limit %s to %d",
			    db_limits[i].name, db_limits[i].value);
			goto fail;
		}
	}
	if (db_pragma(conn, sql_journal_wal, "wal", why, sizeof why) != 0 ||
	    db_pragma(conn, db->synchronous == DB_SYNC_FULL ? sql_sync_full :
	    sql_sync_normal, NULL, why, sizeof why) != 0 ||
	    db_pragma(conn, sql_foreign_keys, NULL, why, sizeof why) != 0 ||
	    db_pragma(conn, sql_foreign_keys_get, "1", why, sizeof why) != 0)
		goto fail;
	if (schema_migrate(conn, why, sizeof why) != 0)
		goto fail;
	/* After the migration: a reader slot may be the first to open a new
	 * database and must be able to create the schema. */
	if (!db->writer &&
	    (db_pragma(conn, sql_query_only, NULL, why, sizeof why) != 0 ||
	    db_pragma(conn, sql_query_only_get, "1", why, sizeof why) != 0))
		goto fail;
	sqlite3_progress_handler(conn, CB_PROGRESS_INTERVAL_OPS, db_progress,
	    db);
	/* Returns the previous hook's argument, not a result. */
	(void)sqlite3_wal_hook(conn, db_wal_committed, db);
	db->conn = conn;
	db->deadline_us = 0;
	db->timed_out = false;
	return 0;

fail:
	snprintf(err, errlen, "%s: slot %u: %s", db->path, db->slot, why);
	if (conn != NULL) {
		/* Nothing of ours is prepared yet; a failed migration finalizes
		 * its own statements. */
		db->conn = conn;
		db_disconnect(db, false);
	}
	return -1;
}

struct db *
db_open(const struct db_config *cfg, bool writer, unsigned slot, char *err,
    size_t errlen)
{
	struct db *db;

	db = calloc(1, sizeof *db);
	if (db == NULL) {
		snprintf(err, errlen, "slot %u: out of memory", slot);
		return NULL;
	}
	db->path = strdup(cfg->path);
	if (db->path == NULL) {
		snprintf(err, errlen, "slot %u: out of memory", slot);
		free(db);
		return NULL;
	}
	db->busy_timeout_ms = cfg->busy_timeout_ms;
	db->synchronous = cfg->synchronous;
	db->writer = writer;
	db->slot = slot;
	if (db_connect(db, true, true, err, errlen) != 0) {
		free(db->path);
		free(db);
		return NULL;
	}
	return db;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	/* The last close folds the WAL into the database, unless the file we
	 * opened is no longer the one at the path (see db_disconnect). */
	db_disconnect(db, db_file_check(db) == DB_FILE_SAME);
	free(db->path);
	free(db);
}

int
db_reopen(struct db *db, char *err, size_t errlen)
{
	db_disconnect(db, false);
	return db_connect(db, false, false, err, errlen);
}

void
db_shut(struct db *db)
{
	db_disconnect(db, true);
}

int
db_adopt(struct db *db, char *err, size_t errlen)
{
	db_disconnect(db, false);
	db->file_checked_us = 0;
	db->disk_full_logged = false;
	return db_connect(db, true, false, err, errlen);
}

void
db_file_identity(const struct db *db, dev_t *dev, ino_t *ino)
{
	*dev = db->dev;
	*ino = db->ino;
}

bool
db_ready(const struct db *db)
{
	return db->conn != NULL;
}

const char *
db_path(const struct db *db)
{
	return db->path;
}

enum db_file
db_file_check(const struct db *db)
{
	struct stat st;

	if (stat(db->path, &st) != 0)
		/* Any failure but "not there" (EACCES, EIO) says nothing
		 * about the file: keep serving from the open descriptors
		 * rather than refuse everything. */
		return errno == ENOENT || errno == ENOTDIR ? DB_FILE_REMOVED :
		    DB_FILE_SAME;
	return st.st_dev != db->dev || st.st_ino != db->ino ?
	    DB_FILE_REPLACED : DB_FILE_SAME;
}

enum db_file
db_file_check_every(struct db *db, int64_t now_us, int64_t interval_us)
{
	if (interval_us > 0 && now_us - db->file_checked_us < interval_us)
		return DB_FILE_SAME;
	db->file_checked_us = now_us;
	return db_file_check(db);
}

/*
 * Through the connection's open descriptors only: the WAL's frames are
 * copied into the file this connection opened (wherever it is now) and the
 * WAL is truncated to nothing.  No file is opened or removed by name, so a
 * file that replaced ours is not touched, and what is left at "<path>-wal"
 * (if it is ours) is empty: nobody who opens the path later can replay
 * our frames into another database.
 */
int
db_empty_wal(struct db *db, bool wait, char *err, size_t errlen)
{
	int rc;

	if (db->conn == NULL) {
		snprintf(err, errlen, "slot %u is not open", db->slot);
		return -1;
	}
	/* A deadline of now makes the busy handler give up at once. */
	db->deadline_us = wait ? 0 : clock_now_us();
	rc = sqlite3_wal_checkpoint_v2(db->conn, "main",
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	db->deadline_us = 0;
	db->timed_out = false;
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", rc == SQLITE_BUSY ? "in use" :
		    sqlite3_errmsg(db->conn));
		return -1;
	}
	return 0;
}

bool
db_rc_is_fatal(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		return true;
	default:
		return false;
	}
}

sqlite3 *
db_handle(struct db *db)
{
	return db->conn;
}

bool
db_is_writer(const struct db *db)
{
	return db->writer;
}

unsigned
db_slot(const struct db *db)
{
	return db->slot;
}

/* True when the rest of a prepared string is only white space: our SQL is
 * one statement per string, and a second one would silently never run. */
static bool
db_tail_is_empty(const char *tail)
{
	if (tail == NULL)
		return true;
	while (*tail == ' ' || *tail == '\t' || *tail == '\n' ||
	    *tail == '\r' || *tail == ';')
		tail++;
	return *tail == '\0';
}

/*
 * The cache is small (CB_STMT_CACHE_SIZE) so a linear search over pointers
 * costs less than hashing.  When it is full the least recently used entry
 * that no one is stepping is finalized; a statement pointer therefore stays
 * valid until the handle is released or CB_STMT_CACHE_SIZE other statements
 * were prepared on it.
 */
sqlite3_stmt *
db_prepare(struct db *db, const char *sql)
{
	struct db_stmt *e, *victim = NULL;
	sqlite3_stmt *stmt;
	const char *tail = NULL;
	int rc;

	if (db->conn == NULL)
		return NULL;
	db->use_clock++;
	for (unsigned i = 0; i < db->ncached; i++) {
		e = &db->cache[i];
		if (e->sql == sql) {
			/* The previous user may have left it mid-way. */
			sqlite3_reset(e->stmt);
			sqlite3_clear_bindings(e->stmt);
			e->last_used = db->use_clock;
			return e->stmt;
		}
	}

	rc = sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &stmt, &tail);
	if (rc != SQLITE_OK)
		return NULL;
	if (stmt == NULL)
		return NULL;		/* only white space or comments */
	if (!db_tail_is_empty(tail)) {
		log_error("db: more than one statement in one string: %.60s",
		    sql);
		sqlite3_finalize(stmt);
		return NULL;
	}

	if (db->ncached < CB_STMT_CACHE_SIZE)
		victim = &db->cache[db->ncached++];
	else {
		for (unsigned i = 0; i < db->ncached; i++) {
			e = &db->cache[i];
			if (sqlite3_stmt_busy(e->stmt))
				continue;
			if (victim == NULL || e->last_used < victim->last_used)
				victim = e;
		}
		if (victim == NULL) {
			log_error("db: slot %u: %d statements stepping at once",
			    db->slot, CB_STMT_CACHE_SIZE);
			sqlite3_finalize(stmt);
			return NULL;
		}
		sqlite3_finalize(victim->stmt);
	}
	victim->sql = sql;
	victim->stmt = stmt;
	victim->last_used = db->use_clock;
	return stmt;
}

void
db_set_deadline(struct db *db, int64_t deadline_us)
{
	/* A new deadline belongs to a new request: forget the old firing. */
	db->deadline_us = deadline_us;
	db->timed_out = false;
}

bool
db_timed_out(const struct db *db)
{
	return db->timed_out;
}

void
db_reset_statements(struct db *db)
{
	sqlite3_stmt *stmt = NULL;

	if (db->conn == NULL)
		return;
	/* Called right after a handler: its last statement's error is still
	 * the connection's (a transaction too big for the page cache writes
	 * to the WAL before its COMMIT, and may find the disk full there). */
	db_note_rc(db, sqlite3_extended_errcode(db->conn));
	while ((stmt = sqlite3_next_stmt(db->conn, stmt)) != NULL) {
		if (sqlite3_stmt_busy(stmt))
			sqlite3_reset(stmt);
	}
}

int
db_rest(struct db *db)
{
	int rc;

	if (db->conn == NULL)
		return -1;
	/* Reset before the rollback: a statement still stepping holds a read
	 * transaction open, which would keep the WAL from being checkpointed
	 * and the next holder in a stale snapshot. */
	db_reset_statements(db);
	/* Bindings may hold the last request's data (copies of strings and
	 * blobs); they must not survive into the next holder's request. */
	for (unsigned i = 0; i < db->ncached; i++)
		sqlite3_clear_bindings(db->cache[i].stmt);
	db->deadline_us = 0;
	db->timed_out = false;
	if (sqlite3_get_autocommit(db->conn))
		return 0;
	rc = sqlite3_exec(db->conn, sql_rollback, NULL, NULL, NULL);
	if (rc != SQLITE_OK || !sqlite3_get_autocommit(db->conn))
		return -1;
	return 1;
}

int
db_exec_cached(struct db *db, const char *sql)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = db_prepare(db, sql);
	if (stmt == NULL) {
		if (db->conn == NULL)
			return SQLITE_MISUSE;
		rc = sqlite3_extended_errcode(db->conn);
		return rc != SQLITE_OK ? rc : SQLITE_ERROR;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	sqlite3_reset(stmt);
	db_note_rc(db, rc);		/* a COMMIT is where a disk fills up */
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
db_query_one(sqlite3 *conn, const char *sql, int *num, char *text,
    size_t textlen)
{
	sqlite3_stmt *stmt;
	const unsigned char *t;
	int rc;

	rc = sqlite3_prepare_v2(conn, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		if (num != NULL)
			*num = sqlite3_column_int(stmt, 0);
		if (text != NULL) {
			t = sqlite3_column_text(stmt, 0);
			snprintf(text, textlen, "%s", t != NULL ?
			    (const char *)t : "");
		}
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(stmt);
	return rc;
}
