/*
 * db.h -- one pooled SQLite handle (a pool slot).
 *
 * A struct db lives as long as the pool: when its SQLite connection breaks
 * it is closed and reopened in place (db_reopen), so the pool never shrinks.
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

#include <sqlite3.h>

enum db_synchronous { DB_SYNC_FULL, DB_SYNC_NORMAL };

struct db_config {
	const char *path;		/* database file */
	int busy_timeout_ms;
	enum db_synchronous synchronous;
};

struct db;

/* Open slot number `slot`.  writer: the slot that takes write transactions
 * (reader slots are query_only).  Returns NULL with a message in err when the
 * connection cannot be opened or the schema cannot be migrated (e.g. a
 * database from a newer cashbookd).  Used at start: it fails whole. */
struct db *db_open(const struct db_config *cfg, bool writer, unsigned slot,
    char *err, size_t errlen);
void db_close(struct db *db);

/* Close the connection and open a fresh one in the same slot.  Returns 0, or
 * -1 with the slot left not ready (db_ready() false) and a message in err. */
int db_reopen(struct db *db, char *err, size_t errlen);

/* True when the slot holds an open connection. */
bool db_ready(const struct db *db);

/* True when the database file was removed or replaced (different inode)
 * since this connection opened it: the "datasource invalidated" case.  One
 * stat(2). */
bool db_file_changed(const struct db *db);

/* db_file_changed(), but at most once per interval_us (0: every time).
 * One stat(2) per request was a tenth of a one-row read's cost; reads may
 * see the old file for up to the interval after a replacement, writes
 * (interval 0) never write into a file that is gone. */
bool db_file_changed_every(struct db *db, int64_t now_us,
    int64_t interval_us);

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
 * fail with SQLITE_BUSY and pins a WAL snapshot. */
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
 * Returns the SQLite result code. */
int db_exec_cached(struct db *db, const char *sql);

#endif
