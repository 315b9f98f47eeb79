/*
 * pool.c -- the bounded pool of SQLite handles (see pool.h).
 *
 * Owns: the slots (struct db, opened at start and never freed before
 * pool_close), the two FIFO wait queues, the deadline order of their
 * waiters, and the figures in struct pool_stats.  One mutex guards all of
 * it.
 *
 * Deadlines: every queued waiter with a deadline is also on one list kept
 * in deadline order, so the earliest is its head and expiry pops from the
 * head: O(expired) under the mutex, never a walk of the queues.  Waiters
 * arrive with deadlines that mostly only grow (now + the same timeout), so
 * an insertion looks back from the tail and almost always stops at once.
 *
 * Must never: call a waiter's `granted` callback, open, close or rest a
 * connection while holding the mutex (those can take milliseconds, and a
 * callback may call back into the pool); grow or shrink (a broken slot is
 * reopened in place, so the number of connections is `size`, always); hand
 * one slot to two holders; or, once the database file was found replaced
 * or removed, let anyone use a slot again (`lost`, below).
 *
 * The one invariant everything rests on: no waiter is queued while a slot
 * that could serve it is idle.  pool_submit() queues only when no eligible
 * slot is idle, and pool_release() gives a slot to the first eligible waiter
 * before it lets it go idle.
 *
 * Which waiter a released slot goes to:
 *   - the writer slot (slot 0): the first WRITE waiter; if none, the first
 *     READ waiter.  A write is preferred over an earlier read because the
 *     writer slot is the only slot that can serve it, while the read can
 *     also be served by any reader slot.
 *   - a reader slot: the first READ waiter.
 * Within one access kind the order is strictly first come, first served.
 * With size 1 the writer slot is the only slot; a steady stream of writes
 * then delays reads, which is the price of having one connection.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cb_limits.h"
#include "log.h"
#include "pool.h"

/* pool_waiter.state */
enum {
	WAITER_NEW = 0,		/* not yet submitted */
	WAITER_QUEUED,
	WAITER_GRANTED,
	WAITER_EXPIRED,
	WAITER_EXPIRED_IN_SWAP,	/* expired while pool_swap held the slots */
	WAITER_CANCELLED,
};

struct pool_slot {
	struct db *db;
	bool in_use;
	const char *holder;	/* the grantee's holder string */
	int64_t acquired_at;	/* monotonic us */
	unsigned leak_reports;	/* reports made for this holding */
};

struct pool_queue {
	struct pool_waiter *head, *tail;
	unsigned len;
};

struct pool {
	pthread_mutex_t mutex;
	unsigned size;
	struct pool_slot *slots;
	struct pool_queue readq, writeq;
	struct pool_waiter *dhead, *dtail;	/* by deadline, earliest first */

	unsigned in_use;
	uint64_t acquired, released, wait_timeouts, replaced;
	int64_t max_wait_us;

	/*
	 * The database file at the path is no longer the one opened at start
	 * (enum db_file; DB_FILE_SAME while all is well).  Set once, by
	 * pool_lose, and never cleared: the pool refuses every holder until
	 * the process ends.  Read without the mutex on every check.
	 */
	atomic_int lost;
	bool wal_emptied;		/* the old -wal was emptied (mutex) */
	uint64_t refused;		/* holders refused since (mutex) */
	int64_t lost_logged_us;		/* last time it was logged (mutex) */
	void (*on_lost)(void *arg);	/* pool_config.lost */
	void *on_lost_arg;

	/* pool_swap: no slot is granted while set (mutex); the swapper
	 * waits on `idle` for the last release. */
	bool swapping;
	pthread_cond_t idle;
};

/*
 * Locking a valid default mutex fails only with EINVAL, EDEADLK or EPERM,
 * i.e. memory corruption or a recursive call: nothing here could continue
 * safely, so such a failure stops the daemon with a message.
 */
static void
pool_must(int rc, const char *what)
{
	if (rc != 0) {
		log_error("pool: %s: %s", what, strerror(rc));
		abort();
	}
}

static void
pool_lock(struct pool *pool)
{
	pool_must(pthread_mutex_lock(&pool->mutex), "mutex lock");
}

static void
pool_unlock(struct pool *pool)
{
	pool_must(pthread_mutex_unlock(&pool->mutex), "mutex unlock");
}

/* Into the deadline order: from the tail back, past later deadlines. */
static void
pool_deadline_insert(struct pool *pool, struct pool_waiter *w)
{
	struct pool_waiter *after = pool->dtail;

	w->dnext = w->dprev = NULL;
	if (w->deadline_us == 0)
		return;
	while (after != NULL && after->deadline_us > w->deadline_us)
		after = after->dprev;
	w->dprev = after;
	w->dnext = after != NULL ? after->dnext : pool->dhead;
	if (w->dnext != NULL)
		w->dnext->dprev = w;
	else
		pool->dtail = w;
	if (after != NULL)
		after->dnext = w;
	else
		pool->dhead = w;
}

static void
pool_deadline_remove(struct pool *pool, struct pool_waiter *w)
{
	if (w->deadline_us == 0)
		return;
	if (w->dprev != NULL)
		w->dprev->dnext = w->dnext;
	else
		pool->dhead = w->dnext;
	if (w->dnext != NULL)
		w->dnext->dprev = w->dprev;
	else
		pool->dtail = w->dprev;
	w->dnext = w->dprev = NULL;
}

static void
pool_queue_append(struct pool_queue *q, struct pool_waiter *w)
{
	w->next = NULL;
	w->prev = q->tail;
	if (q->tail != NULL)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
	q->len++;
}

static void
pool_queue_remove(struct pool_queue *q, struct pool_waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		q->head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		q->tail = w->prev;
	w->next = w->prev = NULL;
	q->len--;
}

static struct pool_queue *
pool_queue_of(struct pool *pool, const struct pool_waiter *w)
{
	return w->access == POOL_WRITE ? &pool->writeq : &pool->readq;
}

/* A waiter joins, or leaves, its queue and the deadline order together. */
static void
pool_enqueue_locked(struct pool *pool, struct pool_waiter *w)
{
	pool_queue_append(pool_queue_of(pool, w), w);
	pool_deadline_insert(pool, w);
}

static void
pool_dequeue_locked(struct pool *pool, struct pool_waiter *w)
{
	pool_queue_remove(pool_queue_of(pool, w), w);
	pool_deadline_remove(pool, w);
}

/* Hand slot s to w.  Called with the mutex held; the caller runs
 * w->granted after unlocking. */
static void
pool_grant_locked(struct pool *pool, struct pool_slot *s,
    struct pool_waiter *w, int64_t now_us, int64_t waited_us)
{
	s->in_use = true;
	s->holder = w->holder != NULL ? w->holder : "(unknown)";
	s->acquired_at = now_us;
	s->leak_reports = 0;
	pool->in_use++;
	pool->acquired++;
	if (waited_us > pool->max_wait_us)
		pool->max_wait_us = waited_us;
	w->state = WAITER_GRANTED;
}

/* An idle slot that can serve access, or NULL.  Reads take a reader slot
 * when one is idle, so the writer slot stays free for writes. */
static struct pool_slot *
pool_idle_slot_locked(struct pool *pool, enum pool_access access)
{
	if (access == POOL_READ) {
		for (unsigned i = 1; i < pool->size; i++)
			if (!pool->slots[i].in_use)
				return &pool->slots[i];
	}
	if (!pool->slots[0].in_use)
		return &pool->slots[0];
	return NULL;
}

static const char *
pool_lost_message(enum db_file f)
{
	if (f == DB_FILE_REMOVED)
		return "the database file was removed while cashbookd was "
		    "running; an operator must restore it and restart "
		    "cashbookd";
	return "the database file was replaced while cashbookd was running; "
	    "an operator must restart cashbookd";
}

/*
 * The file at the path is not the one the pool opened: close the pool to
 * every holder for good.  Reopening would be worse than refusing: on a
 * replacement SQLite recovers the old file's -wal (found by name) into the
 * new file, and on a removal it creates an empty ledger.  Only the first
 * caller logs and tells the owner (on_lost: e.g. drop caches of what the
 * old file said).
 */
static void
pool_lose(struct pool *pool, enum db_file f)
{
	int expected = DB_FILE_SAME;
	const char *path = db_path(pool->slots[0].db);

	if (!atomic_compare_exchange_strong(&pool->lost, &expected, (int)f))
		return;
	pool_lock(pool);
	pool->lost_logged_us = clock_now_us();
	pool_unlock(pool);
	if (f == DB_FILE_REMOVED)
		log_error("database %s was removed while cashbookd was running: "
		    "every request is refused (unavailable), and it is not "
		    "recreated empty, until an operator restores it and "
		    "restarts cashbookd", path);
	else
		log_error("database %s was replaced by another file while "
		    "cashbookd was running: every request is refused "
		    "(unavailable) and the new file is left untouched until "
		    "an operator restarts cashbookd", path);
	if (pool->on_lost != NULL)
		pool->on_lost(pool->on_lost_arg);
}

/*
 * Once lost, the old file's -wal is still at "<path>-wal" (unless it was
 * moved too), and whoever opens the path next -- the restarted daemon, an
 * operator's sqlite3 -- would replay its frames into whatever file is there
 * now.  So it is folded into the old file and truncated, through a slot's
 * open descriptors (db_empty_wal).  That needs every other slot out of its
 * transaction: each release tries on its own slot without waiting (db),
 * and pool_close, with every slot idle, on the first open one (db NULL).
 */
static void
pool_empty_old_wal(struct pool *pool, struct db *db)
{
	char err[256] = "no slot is open";
	const char *path = db_path(pool->slots[0].db);
	bool done;
	int rc = -1;

	if (atomic_load(&pool->lost) == DB_FILE_SAME)
		return;
	pool_lock(pool);
	done = pool->wal_emptied;
	pool_unlock(pool);
	if (done)
		return;
	if (db != NULL) {
		if (db_ready(db) && db_empty_wal(db, false, err,
		    sizeof err) == 0)
			rc = 0;
		else {
			log_debug("pool: slot %u: the old database's WAL is not "
			    "emptied yet: %s", db_slot(db), err);
			return;		/* a later release tries again */
		}
	}
	for (unsigned i = 0; i < pool->size && rc != 0; i++)
		if (db_ready(pool->slots[i].db))
			rc = db_empty_wal(pool->slots[i].db, true, err,
			    sizeof err);
	pool_lock(pool);
	pool->wal_emptied = rc == 0;
	pool_unlock(pool);
	if (rc == 0)
		log_info("pool: the old database's WAL is folded into it and "
		    "%s-wal is empty: nothing of it can reach the file now at "
		    "%s", path, path);
	else
		log_error("pool: cannot empty the old database's WAL (%s): "
		    "remove %s-wal and %s-shm before cashbookd starts on %s "
		    "again, or they are replayed into it", err, path, path,
		    path);
}

struct pool *
pool_open(const struct pool_config *cfg, char *err, size_t errlen)
{
	struct pool *pool;
	int rc;

	if (cfg->size < 1 || cfg->size > CB_MAX_POOL_SIZE) {
		snprintf(err, errlen, "pool size %u is not within 1..%d",
		    cfg->size, CB_MAX_POOL_SIZE);
		return NULL;
	}
	pool = calloc(1, sizeof *pool);
	if (pool == NULL) {
		snprintf(err, errlen, "pool: out of memory");
		return NULL;
	}
	pool->slots = calloc(cfg->size, sizeof *pool->slots);
	if (pool->slots == NULL) {
		snprintf(err, errlen, "pool: out of memory");
		free(pool);
		return NULL;
	}
	rc = pthread_mutex_init(&pool->mutex, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "pool: mutex: %s", strerror(rc));
		free(pool->slots);
		free(pool);
		return NULL;
	}
	rc = pthread_cond_init(&pool->idle, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "pool: condition: %s", strerror(rc));
		pthread_mutex_destroy(&pool->mutex);
		free(pool->slots);
		free(pool);
		return NULL;
	}
	pool->size = cfg->size;
	atomic_init(&pool->lost, DB_FILE_SAME);
	pool->on_lost = cfg->lost;
	pool->on_lost_arg = cfg->lost_arg;
	/* Slot 0 first: as the writer it creates or migrates the schema
	 * before the readers look at it. */
	for (unsigned i = 0; i < pool->size; i++) {
		pool->slots[i].db = db_open(&cfg->db, i == 0, i, err, errlen);
		if (pool->slots[i].db == NULL) {
			while (i-- > 0)
				db_close(pool->slots[i].db);
			pthread_cond_destroy(&pool->idle);
			pthread_mutex_destroy(&pool->mutex);
			free(pool->slots);
			free(pool);
			return NULL;
		}
	}
	return pool;
}

void
pool_close(struct pool *pool)
{
	int rc;

	if (pool == NULL)
		return;
	pool_lock(pool);
	if (pool->in_use != 0 || pool->readq.len != 0 ||
	    pool->writeq.len != 0)
		log_error("pool: closed with %u handles in use and %u waiters "
		    "queued (a bug: every grant needs a release)", pool->in_use,
		    pool->readq.len + pool->writeq.len);
	pool_unlock(pool);
	pool_empty_old_wal(pool, NULL);
	for (unsigned i = 0; i < pool->size; i++)
		db_close(pool->slots[i].db);
	rc = pthread_cond_destroy(&pool->idle);
	if (rc != 0)
		log_error("pool: condition destroy: %s", strerror(rc));
	rc = pthread_mutex_destroy(&pool->mutex);
	if (rc != 0)
		log_error("pool: mutex destroy: %s", strerror(rc));
	free(pool->slots);
	free(pool);
}

bool
pool_submit(struct pool *pool, struct pool_waiter *w)
{
	struct pool_slot *s;
	int64_t now = clock_now_us();

	w->next = w->prev = NULL;
	pool_lock(pool);
	s = pool->swapping ? NULL : pool_idle_slot_locked(pool, w->access);
	if (s == NULL) {
		w->enqueued_us = now;
		w->state = WAITER_QUEUED;
		pool_enqueue_locked(pool, w);
		pool_unlock(pool);
		return true;
	}
	pool_grant_locked(pool, s, w, now, 0);
	pool_unlock(pool);
	w->granted(w, s->db);
	return false;
}

/* Remove w if it is queued; count it as a wait timeout when asked. */
static bool
pool_remove(struct pool *pool, struct pool_waiter *w, bool timeout)
{
	bool removed = false;

	pool_lock(pool);
	if (w->state == WAITER_QUEUED) {
		pool_dequeue_locked(pool, w);
		w->state = timeout ? WAITER_EXPIRED : WAITER_CANCELLED;
		if (timeout)
			pool->wait_timeouts++;
		removed = true;
	}
	pool_unlock(pool);
	return removed;
}

bool
pool_cancel(struct pool *pool, struct pool_waiter *w)
{
	return pool_remove(pool, w, false);
}

struct pool_waiter *
pool_expire(struct pool *pool, int64_t now_us)
{
	struct pool_waiter *list = NULL, **tail = &list, *w;

	pool_lock(pool);
	while ((w = pool->dhead) != NULL && w->deadline_us <= now_us) {
		pool_dequeue_locked(pool, w);
		w->state = pool->swapping ? WAITER_EXPIRED_IN_SWAP :
		    WAITER_EXPIRED;
		pool->wait_timeouts++;
		*tail = w;
		tail = &w->next;
	}
	pool_unlock(pool);
	*tail = NULL;
	return list;
}

int64_t
pool_next_deadline(struct pool *pool)
{
	int64_t next;

	pool_lock(pool);
	next = pool->dhead != NULL ? pool->dhead->deadline_us : 0;
	pool_unlock(pool);
	return next;
}

/*
 * The blocking acquire: an ordinary waiter on this thread's stack whose
 * callback wakes the thread.  The wait has its own mutex and condition
 * variable, so a release wakes only the thread it granted to.
 */
struct pool_sync_wait {
	struct pool_waiter w;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	struct db *db;
	bool done;
};

static void
pool_sync_granted(struct pool_waiter *w, struct db *db)
{
	struct pool_sync_wait *sw = w->arg;

	/* Signal with the mutex held: the waiter destroys the condvar as soon
	 * as it sees done, which it can only do after we unlock. */
	pool_must(pthread_mutex_lock(&sw->mutex), "acquire lock");
	sw->db = db;
	sw->done = true;
	pool_must(pthread_cond_signal(&sw->cond), "acquire signal");
	pool_must(pthread_mutex_unlock(&sw->mutex), "acquire unlock");
}

static int
pool_sync_init(struct pool_sync_wait *sw)
{
	pthread_condattr_t attr;
	int rc;

	rc = pthread_condattr_init(&attr);
	if (rc != 0)
		return rc;
	/* Deadlines are monotonic (clock.h): a wall clock step must neither
	 * fire nor stall the wait. */
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(&sw->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (rc != 0)
		return rc;
	rc = pthread_mutex_init(&sw->mutex, NULL);
	if (rc != 0)
		pthread_cond_destroy(&sw->cond);
	return rc;
}

static void
pool_sync_destroy(struct pool_sync_wait *sw)
{
	pool_must(pthread_cond_destroy(&sw->cond), "acquire cond destroy");
	pool_must(pthread_mutex_destroy(&sw->mutex), "acquire mutex destroy");
}

int
pool_acquire(struct pool *pool, enum pool_access access, int64_t deadline_us,
    const char *holder, struct db **out)
{
	struct pool_sync_wait sw;
	struct timespec ts;
	bool timed_out = false;
	int rc;

	memset(&sw, 0, sizeof sw);
	rc = pool_sync_init(&sw);
	if (rc != 0) {
		log_error("pool: acquire: %s", strerror(rc));
		return -1;
	}
	sw.w.access = access;
	sw.w.deadline_us = deadline_us;
	sw.w.holder = holder;
	sw.w.granted = pool_sync_granted;
	sw.w.arg = &sw;

	pool_submit(pool, &sw.w);

	ts = clock_us_to_timespec(deadline_us);
	pool_must(pthread_mutex_lock(&sw.mutex), "acquire lock");
	while (!sw.done && !timed_out) {
		if (deadline_us == 0)
			rc = pthread_cond_wait(&sw.cond, &sw.mutex);
		else
			rc = pthread_cond_timedwait(&sw.cond, &sw.mutex, &ts);
		if (rc == ETIMEDOUT)
			timed_out = true;
		else
			pool_must(rc, "acquire wait");
	}
	if (!sw.done) {
		/*
		 * Timed out.  Leave the queue -- unless a release granted us the
		 * slot just now, between the timeout and this point: then the
		 * slot is ours and the callback is on its way; taking it (and
		 * the caller releasing it) is the only way not to leak it.
		 */
		pool_must(pthread_mutex_unlock(&sw.mutex), "acquire unlock");
		if (pool_remove(pool, &sw.w, true)) {
			pool_sync_destroy(&sw);
			return -1;
		}
		pool_must(pthread_mutex_lock(&sw.mutex), "acquire lock");
		while (!sw.done)
			pool_must(pthread_cond_wait(&sw.cond, &sw.mutex),
			    "acquire wait");
	}
	pool_must(pthread_mutex_unlock(&sw.mutex), "acquire unlock");
	pool_sync_destroy(&sw);
	*out = sw.db;
	return 0;
}

/*
 * Reopen a slot its caller holds, on the file opened at start only (db.h);
 * counts as `replaced`.  A reopen refused because the file at the path is
 * no longer that one loses the pool.  why and holder are for the log.
 */
static int
pool_reopen(struct pool *pool, struct db *db, const char *why,
    const char *holder)
{
	char err[512];
	enum db_file f;

	if (db_reopen(db, err, sizeof err) == 0) {
		pool_lock(pool);
		pool->replaced++;
		pool_unlock(pool);
		log_warn("pool: slot %u replaced after %s in %s", db_slot(db),
		    why, holder);
		return 0;
	}
	if ((f = db_file_check(db)) != DB_FILE_SAME)
		pool_lose(pool, f);
	else
		log_error("pool: slot %u cannot be reopened (%s); its next "
		    "holder will try again", db_slot(db), err);
	return -1;
}

void
pool_release(struct pool *pool, struct db *db, bool broken)
{
	struct pool_slot *s;
	struct pool_queue *q;
	struct pool_waiter *w = NULL;
	const char *why = NULL;
	int64_t now;
	unsigned slot;
	int rest;

	if (db == NULL) {
		log_error("pool: release of no handle (a bug)");
		return;
	}
	slot = db_slot(db);
	if (slot >= pool->size || pool->slots[slot].db != db) {
		log_error("pool: release of a handle that is not ours");
		return;
	}
	s = &pool->slots[slot];
	pool_lock(pool);
	if (!s->in_use) {
		pool_unlock(pool);
		log_error("pool: slot %u released twice (a bug)", slot);
		return;
	}
	pool_unlock(pool);

	/*
	 * Outside the lock: the slot is still marked in use, so no one else
	 * can touch it, and resting or reopening may take milliseconds.  The
	 * holder string is only written at grant time, so reading it here,
	 * as the holder, is safe.
	 */
	if (broken)
		why = "a fatal error";
	else if (!db_ready(db))
		why = "an earlier failed reopen";
	else {
		rest = db_rest(db);
		if (rest == 1)
			log_error("pool: slot %u: a transaction was left open "
			    "by %s and rolled back (a bug)", slot, s->holder);
		else if (rest == -1)
			why = "a failed rollback";
	}
	if (why != NULL)
		pool_reopen(pool, db, why, s->holder);
	pool_empty_old_wal(pool, db);

	now = clock_now_us();
	pool_lock(pool);
	pool->released++;
	s->in_use = false;
	s->holder = NULL;
	pool->in_use--;
	q = &pool->readq;
	if (slot == 0 && pool->writeq.head != NULL)
		q = &pool->writeq;
	w = pool->swapping ? NULL : q->head;
	if (pool->swapping && pool->in_use == 0)
		pool_must(pthread_cond_signal(&pool->idle), "idle signal");
	if (w != NULL) {
		pool_dequeue_locked(pool, w);
		pool_grant_locked(pool, s, w, now, now - w->enqueued_us);
	}
	pool_unlock(pool);
	if (w != NULL)
		w->granted(w, db);
}

int
pool_check(struct pool *pool, struct db *db, int64_t now_us,
    int64_t interval_us, char *why, size_t whylen)
{
	struct pool_slot *s = &pool->slots[db_slot(db)];
	enum db_file f = (enum db_file)atomic_load(&pool->lost);

	if (f == DB_FILE_SAME && !db_ready(db)) {
		/* Reopened after a fatal error, and that failed: again. */
		if (pool_reopen(pool, db, "an earlier failed reopen",
		    s->holder) != 0 &&
		    (f = (enum db_file)atomic_load(&pool->lost)) ==
		    DB_FILE_SAME) {
			snprintf(why, whylen, "the database cannot be opened; "
			    "retry later");
			return -1;
		}
		interval_us = 0;
	}
	if (f == DB_FILE_SAME) {
		f = db_file_check_every(db, now_us, interval_us);
		if (f != DB_FILE_SAME)
			pool_lose(pool, f);
		/* Another holder may have lost it first, the other way. */
		f = (enum db_file)atomic_load(&pool->lost);
	}
	if (f == DB_FILE_SAME)
		return 0;
	pool_lock(pool);
	pool->refused++;
	pool_unlock(pool);
	snprintf(why, whylen, "%s", pool_lost_message(f));
	return -1;
}

void
pool_report_lost(struct pool *pool, int64_t now_us, int64_t interval_us)
{
	enum db_file f = (enum db_file)atomic_load(&pool->lost);
	uint64_t refused;

	if (f == DB_FILE_SAME)
		return;
	pool_lock(pool);
	if (now_us - pool->lost_logged_us < interval_us) {
		pool_unlock(pool);
		return;
	}
	pool->lost_logged_us = now_us;
	refused = pool->refused;
	pool_unlock(pool);
	log_error("database %s: still refusing every request (%llu so far): "
	    "%s; %s", db_path(pool->slots[0].db), (unsigned long long)refused,
	    f == DB_FILE_REMOVED ? "the file is gone" : "the file at the path "
	    "is not the one opened at start", f == DB_FILE_REMOVED ?
	    "restore it and restart cashbookd" : "restart cashbookd");
}

/* ---- swapping the file (a restore) ---- */

/* Open every slot on the file now at the path, the writer first (it
 * migrates).  On failure the slots opened are shut again. */
static int
pool_adopt_all(struct pool *pool, char *err, size_t errlen)
{
	for (unsigned i = 0; i < pool->size; i++) {
		if (db_adopt(pool->slots[i].db, err, errlen) == 0)
			continue;
		while (i-- > 0)
			db_shut(pool->slots[i].db);
		return -1;
	}
	return 0;
}

/* The swap is over: hand every idle slot to its first eligible waiter
 * (the writer to a write first), as pool_release would have. */
static void
pool_resume(struct pool *pool)
{
	struct pool_waiter *grants[CB_MAX_POOL_SIZE];
	struct db *dbs[CB_MAX_POOL_SIZE];
	unsigned n = 0;
	int64_t now = clock_now_us();

	pool_lock(pool);
	pool->swapping = false;
	for (unsigned i = 0; i < pool->size; i++) {
		struct pool_slot *s = &pool->slots[i];
		struct pool_waiter *w;

		if (s->in_use)
			continue;
		w = i == 0 && pool->writeq.head != NULL ? pool->writeq.head :
		    pool->readq.head;
		if (w == NULL)
			continue;
		pool_dequeue_locked(pool, w);
		pool_grant_locked(pool, s, w, now, now - w->enqueued_us);
		grants[n] = w;
		dbs[n++] = s->db;
	}
	pool_unlock(pool);
	for (unsigned i = 0; i < n; i++)
		grants[i]->granted(grants[i], dbs[i]);
}

int
pool_swap(struct pool *pool, const struct pool_swap_ops *ops, bool *undone,
    char *err, size_t errlen)
{
	struct db *writer = pool->slots[0].db;
	char why[512];
	int rc = -1;

	*undone = false;
	pool_lock(pool);
	if (atomic_load(&pool->lost) != DB_FILE_SAME || pool->swapping) {
		pool_unlock(pool);
		snprintf(err, errlen, "the database file was replaced or "
		    "removed under cashbookd; restart it first");
		return -1;
	}
	pool->swapping = true;
	if (pool->in_use > 0)
		log_info("pool: swap: waiting for %u handle%s in use to be "
		    "released; requests queue meanwhile", pool->in_use,
		    pool->in_use == 1 ? "" : "s");
	while (pool->in_use > 0)
		pool_must(pthread_cond_wait(&pool->idle, &pool->mutex),
		    "idle wait");
	pool_unlock(pool);

	/* Every slot idle and none granted: the barrier.  The old file gets
	 * its WAL first, so the copy kept of it is whole and no WAL is left
	 * to be replayed into the new one. */
	if (!db_ready(writer) || db_empty_wal(writer, true, why,
	    sizeof why) != 0) {
		snprintf(err, errlen, "cannot fold the WAL into the database "
		    "before the swap: %s", db_ready(writer) ? why :
		    "the writer is not open");
		pool_resume(pool);
		return -1;
	}
	for (unsigned i = 0; i < pool->size; i++)
		db_shut(pool->slots[i].db);
	if (ops->swap(ops->arg, err, errlen) != 0) {
		/* Nothing moved: the old file opens again. */
		if (pool_adopt_all(pool, why, sizeof why) != 0)
			goto lost;
		pool_resume(pool);
		return -1;
	}
	if (pool_adopt_all(pool, err, errlen) == 0)
		rc = 0;
	else {
		ops->undo(ops->arg);
		*undone = true;
		if (pool_adopt_all(pool, why, sizeof why) != 0)
			goto lost;
	}
	pool_resume(pool);
	return rc;

lost:
	log_error("pool: the database cannot be opened after a failed "
	    "restore: %s", why);
	pool_lose(pool, DB_FILE_REPLACED);
	pool_resume(pool);
	return -1;
}

bool
pool_waiter_expired_in_swap(const struct pool_waiter *w)
{
	return w->state == WAITER_EXPIRED_IN_SWAP;
}

int
pool_file_identity(struct pool *pool, dev_t *dev, ino_t *ino)
{
	if (atomic_load(&pool->lost) != DB_FILE_SAME)
		return -1;
	db_file_identity(pool->slots[0].db, dev, ino);
	return 0;
}

void
pool_stats(struct pool *pool, struct pool_stats *out)
{
	pool_lock(pool);
	out->size = pool->size;
	out->in_use = pool->in_use;
	out->idle = pool->size - pool->in_use;
	out->waiting = pool->readq.len + pool->writeq.len;
	out->acquired = pool->acquired;
	out->released = pool->released;
	out->wait_timeouts = pool->wait_timeouts;
	out->replaced = pool->replaced;
	out->max_wait_us = pool->max_wait_us;
	pool_unlock(pool);
}

/*
 * A holding is reported when it crosses threshold, and again each time it
 * crosses another multiple of it (2x, 3x, ...): a stuck handle keeps
 * showing up in the log, but not once per timer tick.
 */
unsigned
pool_report_leaks(struct pool *pool, int64_t now_us, int64_t threshold_us)
{
	struct {
		unsigned slot;
		const char *holder;
		int64_t held_us;
	} found[CB_MAX_POOL_SIZE];
	unsigned n = 0;
	int64_t held;

	if (threshold_us <= 0)
		return 0;
	pool_lock(pool);
	for (unsigned i = 0; i < pool->size; i++) {
		struct pool_slot *s = &pool->slots[i];

		if (!s->in_use)
			continue;
		held = now_us - s->acquired_at;
		if (held < threshold_us ||
		    held / threshold_us <= (int64_t)s->leak_reports)
			continue;
		s->leak_reports = (unsigned)(held / threshold_us);
		found[n].slot = i;
		found[n].holder = s->holder;
		found[n].held_us = held;
		n++;
	}
	pool_unlock(pool);
	for (unsigned i = 0; i < n; i++)
		log_warn("pool: handle %u held for %lld ms by %s", found[i].slot,
		    (long long)(found[i].held_us / 1000), found[i].holder);
	return n;
}
