/*
 * backup.h -- an online, consistent copy of the database into a file.
 *
 * backup_write copies the database with SQLite's backup API, in steps of
 * CB_BACKUP_STEP_PAGES pages, from a connection of its own opened read-only
 * on the file the pool has open (checked by device and inode), inside one
 * read transaction: one snapshot, so writers go on (WAL) and the copy is
 * never restarted by their commits.  The copy goes to a temporary name
 * beside the destination (created 0600, never over an existing file), is
 * integrity-checked, fsync'd, and only then renamed over the destination,
 * whose directory is fsync'd too: the destination is either the old file
 * or a whole, checked backup, never half of one.
 *
 * Runs on the maintenance worker (METHOD_MAINT): it holds no pool handle,
 * so neither the statement timeout nor the leak threshold concerns it, and
 * clients lose no handle to it.  backup_dest_check is cheap and runs on the
 * loop before anything is queued.
 *
 * Owns: its own two connections and the temporary file, for the call.
 * Never: writes to the live database or any file beside it; overwrites
 * the live database, its -wal, -shm or lock; leaves a temporary file
 * behind on failure.
 */
#ifndef CASHBOOK_DAEMON_BACKUP_H
#define CASHBOOK_DAEMON_BACKUP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;

/* The figures of the backup running now (server.stats "backup"):
 * written by the maintenance worker, read by the loop. */
struct backup_progress {
	atomic_bool running;
	atomic_uint_fast64_t pages_done;
	atomic_uint_fast64_t pages_total;
};

struct backup_result {
	uint64_t bytes;
	uint64_t pages;
	int64_t duration_ms;
};

/* Whether dest may be written by a backup of the database at db_path: an
 * absolute path in a directory that exists, not the live database or a
 * file beside it that belongs to it, and not something other than a
 * regular file.  0, or -1 with a message for the client. */
int backup_dest_check(const char *db_path, const char *dest, char *err,
    size_t errlen);

/* Write a backup of the pool's database (at db_path) to dest; progress
 * may be NULL.  0 with *out filled, or -1 with a message (dest then is as
 * it was). */
int backup_write(struct pool *pool, const char *db_path, const char *dest,
    struct backup_progress *progress, struct backup_result *out, char *err,
    size_t errlen);

/* fsync the directory holding path (after a rename into it).  0 or -1
 * with errno set. */
int backup_sync_dir(const char *path);

#endif
