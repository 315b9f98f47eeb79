/*
 * restore.h -- putting a backup in the place of the live database.
 *
 *   restore_stage:  copy FILE to "<db>.restore-tmp" beside the database
 *                   (same file system, so the swap is one rename), then on
 *                   that copy: integrity_check, "is it a cashbook database"
 *                   (its meta table, a schema version from 1), not newer
 *                   than this build, migrated if older, its WAL folded in.
 *                   The user's FILE is only ever read.
 *   restore_swap_files (with no connection open on the database: online,
 *                   pool_swap's barrier; offline, the daemon lock):
 *                   the old file is kept as "<db>.before-restore-DATE"
 *                   (a hard link, so a file is at the path at every
 *                   moment), the staged copy is renamed over the path, the
 *                   old -wal and -shm are removed, the directory synced.
 *   restore_undo_files: the old file back, if the new one would not open.
 *
 * Online, server.restore (method_backup.c) runs these on the maintenance
 * worker and the swap through the pool (pool_swap).  Offline,
 * `cashbookd --restore FILE` runs restore_offline while holding the
 * database's lock, so no daemon has it open.
 *
 * Owns: the staged copy (removed on every failure) and the plan.
 * Never: writes to the FILE given; swaps a file that failed a check;
 * removes the previous database (it is kept, dated); leaves a WAL of the
 * old file where the new one would replay it.
 */
#ifndef CASHBOOK_DAEMON_RESTORE_H
#define CASHBOOK_DAEMON_RESTORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct restore_plan {
	char db_path[PATH_MAX];
	char staged[PATH_MAX + 32];	/* "<db>.restore-tmp" */
	char kept[PATH_MAX + 64];	/* "<db>.before-restore-DATE", or "" */
	int from_version;		/* FILE's schema version */
};

enum restore_result {
	RESTORE_OK = 0,
	RESTORE_BAD_FILE = -1,		/* FILE is unfit: say so to the user */
	RESTORE_FAILED = -2,		/* our side failed (disk, memory) */
};

/* Stage src for db_path into plan (see above).  On failure nothing is
 * left staged and err says why. */
enum restore_result restore_stage(const char *src, const char *db_path,
    struct restore_plan *plan, char *err, size_t errlen);

/* pool_swap_ops.swap and .undo, with a struct restore_plan as arg. */
int restore_swap_files(void *plan, char *err, size_t errlen);
void restore_undo_files(void *plan);

/* Remove what restore_stage left (after a swap that did not happen). */
void restore_discard(struct restore_plan *plan);

/* cashbookd --restore FILE: the caller holds the database lock.  Folds
 * the WAL of the database there into it, stages src, swaps.  0, or -1 with
 * err. */
int restore_offline(const char *src, const char *db_path,
    struct restore_plan *plan, char *err, size_t errlen);

#endif
