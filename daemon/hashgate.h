/*
 * hashgate.h -- bounds how many password hashes run at once.
 *
 * An argon2id password hash holds m_cost KiB (19 MiB by default) and a CPU
 * for tens of milliseconds.  Without a bound, a flood of auth.login
 * requests would run one per worker thread and, worse, pile up memory; with
 * the gate, at most `slots` hashes run at once, so hashing never takes more
 * than slots x m_cost of memory, and the CPUs left over keep serving
 * everything else.
 *
 * A counting semaphore with a bounded queue:
 *
 *   hashgate_enter(g, deadline_us)   a slot is free: take it, return 0.
 *                                    Otherwise wait for one until
 *                                    deadline_us (monotonic, clock.h) --
 *                                    unless max_waiting threads are already
 *                                    waiting, or deadline_us is 0 or past,
 *                                    in which case return -1 at once.
 *   hashgate_leave(g)                give the slot back (exactly once per
 *                                    successful enter).
 *
 * On -1 the caller answers `unavailable` (or `rate_limited` with a short
 * retry-after) without hashing.  Failing fast when the queue is full is the
 * point: waiting happens on worker threads, and max_waiting bounds how many
 * of them a login flood can park here.  Keep max_waiting + slots below the
 * number of workers so that some worker always serves the database.
 * Waiters are woken in no particular order (a condition variable, not a
 * FIFO); a login is a retryable request, so fairness is not worth a queue.
 *
 * What this module owns: its counters, behind one mutex; thread-safe.
 * What it must never do: be called on the event loop thread (enter may
 * block until the deadline), or hand out more than `slots` at once.
 */
#ifndef CASHBOOK_DAEMON_HASHGATE_H
#define CASHBOOK_DAEMON_HASHGATE_H

#include <stddef.h>
#include <stdint.h>

/* Defaults and bounds for the daemon's flags. */
#define CB_DEFAULT_HASH_SLOTS		2
#define CB_MAX_HASH_SLOTS		64
#define CB_DEFAULT_HASH_MAX_WAITING	8
#define CB_MAX_HASH_MAX_WAITING		1024
#define CB_DEFAULT_HASH_WAIT_MS		1000

struct hashgate_stats {
	unsigned slots;
	unsigned inside;		/* hashes running now */
	unsigned waiting;		/* threads waiting now */
	unsigned max_inside;		/* high-water mark of `inside` */
	uint64_t entered;
	uint64_t busy;			/* enters answered -1 */
};

struct hashgate;

/* slots 1..CB_MAX_HASH_SLOTS, max_waiting 0..CB_MAX_HASH_MAX_WAITING (0:
 * never wait).  NULL with a reason in err. */
struct hashgate *hashgate_new(unsigned slots, unsigned max_waiting,
    char *err, size_t errlen);

/* Must not be called while a thread is inside or waiting. */
void hashgate_free(struct hashgate *g);

int hashgate_enter(struct hashgate *g, int64_t deadline_us);
void hashgate_leave(struct hashgate *g);

void hashgate_stats(struct hashgate *g, struct hashgate_stats *st);

#endif
