/*
 * db.h -- one pooled SQLite handle (a pool slot).
 *
 * A struct db lives as long as the pool: when its SQLite connection breaks
 * it is closed and reopened in place (db_reopen), so the pool never shrinks.
 * Only db_open, at start, may create the database file; a reopen opens the
 * file opened then (same device and inode) or nothing.
 * Each connection is opened with WAL, busy_timeout, foreign_keys=ON,
 * SQLITE_DBCONFIG_DEFENSIVE, tightened sqlite3_limit()s (proto/cb_limits.h), the
 * configured synchronous level, and the schema migrated (schema.h).  Reader
 * slots are query_only.
 *
 * A statement timeout is a deadline set per request: a progress handler
 * interrupts work past it, and db_timed_out() tells the caller that the
 * SQLITE_INTERRUPT it got was the deadline.
 *
 * Prepared statements are cached per handle, keyed by the SQL string's
 * address: SQL lives in `static const char` strings next to its code, so the
 * pointer identifies the statement.
 *
 * A struct db is used by one thread at a time (the one holding it from the
 * pool); nothing here locks.
 */
#ifndef CASHBOOK_DAEMON_DB_H
#define CASHBOOK_DAEMON_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sqlite3.h>

enum db_synchronous { DB_SYNC_FULL, DB_SYNC_NORMAL };

struct db_config {
	const char *path;		/* database file */
	int busy_timeout_ms;
	enum db_synchronous synchronous;
};

struct db;

/* Open slot number `slot`, creating the file if there is none, and record
 * the file's identity.  writer: the slot that takes write transactions
 * (reader slots are query_only).  Returns NULL with a message in err when the
 * connection cannot be opened or the schema cannot be migrated (e.g. a
 * database from a newer cashbookd).  Used at start: it fails whole. */
struct db *db_open(const struct db_config *cfg, bool writer, unsigned slot,
    char *err, size_t errlen);
void db_close(struct db *db);

/* Close the connection and open a fresh one in the same slot, on the file
 * db_open opened and on no other: never created, never one that replaced
 * it.  Returns 0, or -1 with the slot left not ready (db_ready() false) and a
 * message in err; db_file_check() then tells whether the file is to blame. */
int db_reopen(struct db *db, char *err, size_t errlen);

/*
 * For a restore (pool_swap), with the slot idle: db_shut closes the
 * connection, SQLite's checkpoint on close included, leaving the slot not
 * ready; db_adopt then opens the file now at the path -- never creating
 * one -- and records it as the slot's file, as db_open did at start.
 * 0, or -1 with the slot not ready and a message in err.
 */
void db_shut(struct db *db);
int db_adopt(struct db *db, char *err, size_t errlen);

/* True when the slot holds an open connection. */
bool db_ready(const struct db *db);

/* The database file's path, as configured. */
const char *db_path(const struct db *db);

/* Where the file at the path stands against the one db_open opened. */
enum db_file {
	DB_FILE_SAME,
	DB_FILE_REPLACED,	/* another file (device or inode) is there */
	DB_FILE_REMOVED,	/* no file is there */
};

/* The device and inode of the file the slot opened (db_open, db_adopt):
 * a private connection (a backup's) compares its own with them. */
void db_file_identity(const struct db *db, dev_t *dev, ino_t *ino);

/* One stat(2) of the path.  A failure other than ENOENT/ENOTDIR (EACCES,
 * EIO) answers DB_FILE_SAME: it says nothing about the file. */
enum db_file db_file_check(const struct db *db);

/* db_file_check(), but at most once per interval_us (0: every time; in
 * between it answers DB_FILE_SAME).  One stat(2) per request was a tenth of
 * a one-row read's cost; reads may be served from the old file for up to
 * the interval after it was replaced, writes (interval 0) never write into
 * a file that is gone. */
enum db_file db_file_check_every(struct db *db, int64_t now_us,
    int64_t interval_us);

/* Fold the WAL into the file this connection opened and truncate it,
 * through open descriptors only (no file opened or removed by name), so
 * nothing left at "<path>-wal" can be replayed into a file that replaced
 * ours.  wait: wait for other connections' transactions (busy_timeout);
 * otherwise give up at once if there are any.  Returns 0, or -1 with a
 * message. */
int db_empty_wal(struct db *db, bool wait, char *err, size_t errlen);

/* True for result codes after which the connection cannot be trusted and
 * the slot must be reopened: SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_IOERR*
 * and SQLITE_CANTOPEN (primary or extended codes). */
bool db_rc_is_fatal(int rc);

sqlite3 *db_handle(struct db *db);
bool db_is_writer(const struct db *db);
unsigned db_slot(const struct db *db);

/* A cached prepared statement for sql (a static string; its address is the
 * key).  Returns NULL on error (message: sqlite3_errmsg(db_handle(db))). */
sqlite3_stmt *db_prepare(struct db *db, const char *sql);

/* Statement timeout: work past deadline_us (monotonic, clock.h) is
 * interrupted.  0 clears it. */
void db_set_deadline(struct db *db, int64_t deadline_us);

/* True when the last interruption was the deadline firing. */
bool db_timed_out(const struct db *db);

/* Reset every statement still stepping.  A handler may stop after the row
 * it wanted (or a RETURNING row), and an active statement makes COMMIT
 * fail with SQLITE_BUSY and pins a WAL snapshot.  Called right after a
 * handler, it also notes a full disk its last statement met (below). */
void db_reset_statements(struct db *db);

/*
 * Bring the handle back to its resting state before it returns to the pool:
 * every statement reset and its bindings cleared, deadline cleared, and if a
 * transaction is still open it is rolled back.  Returns 1 when it had to
 * roll back (the caller logs that as a bug), 0 otherwise, -1 when the
 * rollback itself failed (the caller should reopen the slot).
 */
int db_rest(struct db *db);

/* Run SQL without results (BEGIN IMMEDIATE, COMMIT, ...) through the cache.
 * Returns the SQLite result code.
 *
 * A full disk (SQLITE_FULL, here or in db_reset_statements) is logged at
 * error level with the free space of the database's directory, once: not
 * again until a write commits, which is logged too. */
int db_exec_cached(struct db *db, const char *sql);

/*
 * On a connection of one's own (a backup's, a file being restored): run
 * sql, which answers at most one row, and give its first column as an int
 * (num) and as text (text, textlen), each when not NULL.  An SQLite result
 * code (SQLITE_OK when it ran, with or without a row).
 */
int db_query_one(sqlite3 *conn, const char *sql, int *num, char *text,
    size_t textlen);

#endif
