/*
 * pool.h -- the bounded pool of SQLite handles: the heart of cashbookd.
 *
 * The pool owns `size` slots (struct db): slot 0 is the writer, which takes
 * every write transaction, so writers are queued first-come-first-served by
 * the pool itself and busy_timeout is only a backstop; slots 1..size-1 are
 * query_only readers.  With size 1 the single slot serves both.  The writer
 * slot also serves reads when no write is waiting; readers never serve
 * writes.  (Group commit later batches the writer slot's requests into one
 * transaction without any change to handlers.)
 *
 * Getting a handle never blocks the event loop: pool_submit() either grants
 * a slot at once or queues the waiter in FIFO order (one queue per access
 * kind); a later pool_release() hands the slot straight to the first
 * eligible waiter.  The waiter's `granted` callback runs on whichever thread
 * caused the grant (the submitter's or the releaser's), outside the pool
 * lock; it must only hand the work on (e.g. queue it for a worker thread).
 * Waiters past their deadline are removed by pool_expire(), which the event
 * loop calls from a timer; pool_cancel() removes one whose client has gone.
 *
 * pool_acquire() is the blocking form for threads (tests, tools); it joins
 * the same FIFO.
 *
 * Every grant is matched by exactly one pool_release(): `acquired` and
 * `released` in the stats count them, and at rest they are equal.
 *
 * The pool fails closed.  A holder calls pool_check() before using its
 * slot; once the database file at the path is found replaced or removed,
 * the pool is "lost" for good: every check refuses, nothing is reopened
 * (SQLite would replay the old file's -wal into a new one, or create an
 * empty ledger), and the old file's -wal is emptied into it through the
 * open connections, so no later opener can replay it either.  Only a new
 * process, i.e. an operator's restart, opens the path again.
 *
 * A restore swaps the file through the pool (pool_swap), never under it:
 * the pool stops granting, waits for every holder to release, closes
 * every slot (folding the WAL into the old file), lets the caller put the
 * new file in place, opens every slot on it and records its identity, and
 * grants again.  Waiters queue meanwhile; those whose deadline passes are
 * told so (pool_waiter_expired_in_swap).  The pool is not lost: the file
 * at the path is the one it opened, again.
 *
 * Thread-safe: every function may be called from any thread.
 */
#ifndef CASHBOOK_DAEMON_POOL_H
#define CASHBOOK_DAEMON_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "db.h"

enum pool_access { POOL_READ, POOL_WRITE };

struct pool_config {
	struct db_config db;
	unsigned size;			/* 1 .. CB_MAX_POOL_SIZE */
	/* Called once, on the thread that noticed, when the pool is lost
	 * (pool_check): e.g. to drop caches of what the old file said.  May
	 * be NULL. */
	void (*lost)(void *arg);
	void *lost_arg;
};

struct pool_waiter;
typedef void (*pool_granted_fn)(struct pool_waiter *w, struct db *db);

/* Filled by the caller before pool_submit(); the pool owns the private
 * fields while the waiter is queued.  The caller owns the memory and must
 * keep it alive until `granted` ran, or pool_cancel()/pool_expire() returned
 * it. */
struct pool_waiter {
	enum pool_access access;
	int64_t deadline_us;		/* monotonic (clock.h); 0: no deadline */
	const char *holder;		/* method name, for leak reports; must
					 * outlive the holding (a static
					 * string) */
	pool_granted_fn granted;
	void *arg;			/* the caller's */

	/* private to the pool */
	struct pool_waiter *next, *prev;	/* its access kind's FIFO */
	struct pool_waiter *dnext, *dprev;	/* the deadline order */
	int64_t enqueued_us;
	int state;
};

struct pool_stats {
	unsigned size;
	unsigned in_use;
	unsigned idle;
	unsigned waiting;
	uint64_t acquired;
	uint64_t released;
	uint64_t wait_timeouts;
	uint64_t replaced;
	int64_t max_wait_us;
};

struct pool;

/* Open every slot.  Returns NULL with a message in err if any slot fails to
 * open (then nothing is left open). */
struct pool *pool_open(const struct pool_config *cfg, char *err,
    size_t errlen);

/* Close every slot.  Every handle must have been released and no waiter
 * may be queued. */
void pool_close(struct pool *pool);

/* Grant a slot now (w->granted runs before this returns; returns false) or
 * queue w in FIFO order (returns true). */
bool pool_submit(struct pool *pool, struct pool_waiter *w);

/* Remove a queued waiter.  True when removed (granted will never run for
 * it); false when it was not queued (already granted or expired). */
bool pool_cancel(struct pool *pool, struct pool_waiter *w);

/* Remove every queued waiter whose deadline is <= now_us and return them as
 * a list linked through ->next (NULL if none); each counts as a wait
 * timeout.  granted never runs for them.  Costs the number expired, not
 * the number queued. */
struct pool_waiter *pool_expire(struct pool *pool, int64_t now_us);

/* The earliest deadline among queued waiters, or 0 when none has one.
 * O(1). */
int64_t pool_next_deadline(struct pool *pool);

/* Blocking acquire: waits in the same FIFO until deadline_us (0: forever).
 * Returns 0 and the slot in *out, or -1 on timeout (counted). */
int pool_acquire(struct pool *pool, enum pool_access access,
    int64_t deadline_us, const char *holder, struct db **out);

/* Give a slot back.  broken: the connection hit a fatal error and must be
 * reopened before anyone uses it again; the reopen happens here, on the
 * caller's thread, on the same file only (db_reopen), and counts as
 * `replaced`.  The slot is brought to rest (db_rest) first; a transaction
 * found open is rolled back and logged as a bug. */
void pool_release(struct pool *pool, struct db *db, bool broken);

/*
 * Before a holder uses its slot db: is the database file at the path still
 * the one the pool opened at start?  Checked with a stat(2) at most once
 * per interval_us for this slot (0: now; see db_file_check_every).  A slot
 * left not ready by a failed reopen is reopened first.  Returns 0, or -1
 * with a message for the client in why (to be answered `unavailable`):
 * the file was replaced or removed, now or before (the pool is lost: logged
 * once at error level, pool_config.lost called once, and every later check
 * refuses), or the slot cannot be reopened (not lost: retry later).
 */
int pool_check(struct pool *pool, struct db *db, int64_t now_us,
    int64_t interval_us, char *why, size_t whylen);

/* While the pool is lost, log (error) that it still refuses everything,
 * with the number refused, at most once per interval_us. */
void pool_report_lost(struct pool *pool, int64_t now_us,
    int64_t interval_us);

/*
 * Swap the database file: stop granting slots, wait until no slot is held,
 * fold the WAL into the old file and close every slot (no handle of the
 * old file stays open), call ops->swap to put the new file at the path,
 * open every slot on it (recording its identity), and grant the slots to
 * the waiters queued meanwhile.  If the new file cannot be opened, ops->undo
 * puts the old one back and the slots open that.  Must be called by a
 * thread holding no slot (it waits for every holder), one swap at a time.
 * 0, or -1 with err: nothing was swapped (the pool was lost, or the WAL
 * could not be folded, or ops->swap failed), or the new file failed and
 * the old one is back (then undone is set).  If even the old file cannot
 * be opened again the pool is lost.
 */
struct pool_swap_ops {
	int (*swap)(void *arg, char *err, size_t errlen);
	void (*undo)(void *arg);
	void *arg;
};
int pool_swap(struct pool *pool, const struct pool_swap_ops *ops,
    bool *undone, char *err, size_t errlen);

/* True when w (returned by pool_expire) expired while a swap held the
 * slots back: its client is told the database is being restored. */
bool pool_waiter_expired_in_swap(const struct pool_waiter *w);

/* The device and inode of the database file the pool has open.  -1 when
 * the pool is lost (the file at the path is another one). */
int pool_file_identity(struct pool *pool, dev_t *dev, ino_t *ino);

/* Live figures. */
void pool_stats(struct pool *pool, struct pool_stats *out);

/* Log (warn) every slot held longer than threshold_us, with its holder.
 * One holding is reported when it crosses threshold_us and again at each
 * further multiple of it, not on every call.  Returns the number of handles
 * reported by this call. */
unsigned pool_report_leaks(struct pool *pool, int64_t now_us,
    int64_t threshold_us);

#endif
