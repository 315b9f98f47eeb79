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
 * reopened in place, so the number of connections is `size`, always); or
 * hand one slot to two holders.
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
	pool->size = cfg->size;
	/* Slot 0 first: as the writer it creates or migrates the schema
	 * before the readers look at it. */
	for (unsigned i = 0; i < pool->size; i++) {
		pool->slots[i].db = db_open(&cfg->db, i == 0, i, err, errlen);
		if (pool->slots[i].db == NULL) {
			while (i-- > 0)
				db_close(pool->slots[i].db);
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
	for (unsigned i = 0; i < pool->size; i++)
		db_close(pool->slots[i].db);
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
	s = pool_idle_slot_locked(pool, w->access);
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
		w->state = WAITER_EXPIRED;
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

void
pool_release(struct pool *pool, struct db *db, bool broken)
{
	char err[512];
	struct pool_slot *s;
	struct pool_queue *q;
	struct pool_waiter *w = NULL;
	const char *why = NULL;
	int64_t now;
	unsigned slot;
	bool replaced = false;
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
	if (why != NULL) {
		if (db_reopen(db, err, sizeof err) == 0) {
			log_warn("pool: slot %u replaced after %s in %s", slot,
			    why, s->holder);
			replaced = true;
		} else
			log_error("pool: slot %u cannot be reopened (%s); its "
			    "next holder must reopen it", slot, err);
	}

	now = clock_now_us();
	pool_lock(pool);
	pool->released++;
	if (replaced)
		pool->replaced++;
	s->in_use = false;
	s->holder = NULL;
	pool->in_use--;
	q = &pool->readq;
	if (slot == 0 && pool->writeq.head != NULL)
		q = &pool->writeq;
	w = q->head;
	if (w != NULL) {
		pool_dequeue_locked(pool, w);
		pool_grant_locked(pool, s, w, now, now - w->enqueued_us);
	}
	pool_unlock(pool);
	if (w != NULL)
		w->granted(w, db);
}

/*
 * When the file was replaced under us, each slot is reopened by its next
 * holder, one at a time, so for a while new connections (on the new file)
 * and old ones (on the unlinked file) live side by side.  The old ones are
 * closed without their checkpoint-on-close (db.c), which would otherwise
 * write the new file's WAL frames into the old file and delete the new
 * file's -wal and -shm.  What remains is SQLite's own warning ("How To
 * Corrupt", unlinking or renaming a database in use): the -wal and -shm
 * files are found by name, so an old connection still *running* a query
 * shares them with the new ones until it is released.  Replacing the file
 * under a running daemon is a recovery path, not an operation to offer.
 */
int
pool_reopen(struct pool *pool, struct db *db, char *err, size_t errlen)
{
	unsigned slot = db_slot(db);
	bool held;

	pool_lock(pool);
	held = slot < pool->size && pool->slots[slot].db == db &&
	    pool->slots[slot].in_use;
	pool_unlock(pool);
	if (!held) {
		snprintf(err, errlen, "slot %u is not held (a bug)", slot);
		log_error("pool: reopen of a slot not held: %u", slot);
		return -1;
	}
	if (db_reopen(db, err, errlen) != 0)
		return -1;
	pool_lock(pool);
	pool->replaced++;
	pool_unlock(pool);
	log_warn("pool: slot %u reopened", db_slot(db));
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
