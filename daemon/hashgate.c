/*
 * hashgate.c -- a counting semaphore with a bounded wait (see hashgate.h).
 * One mutex, one condition variable on CLOCK_MONOTONIC (so a wall clock
 * step neither fires nor stalls a deadline), and counters.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hashgate.h"
#include "log.h"

struct hashgate {
	pthread_mutex_t lock;
	pthread_cond_t freed;		/* signalled when a slot comes back */
	unsigned slots, max_waiting;
	unsigned inside, waiting, max_inside;
	uint64_t entered, busy;
};

/* A mutex or condition variable call that fails is a bug: stop rather
 * than let more than `slots` in.  Same policy as pool.c. */
static void
gate_must(int rc, const char *what)
{
	if (rc != 0) {
		log_error("hashgate: %s: %s", what, strerror(rc));
		abort();
	}
}

struct hashgate *
hashgate_new(unsigned slots, unsigned max_waiting, char *err, size_t errlen)
{
	struct hashgate *g;
	pthread_condattr_t attr;
	int rc;

	if (slots < 1 || slots > CB_MAX_HASH_SLOTS ||
	    max_waiting > CB_MAX_HASH_MAX_WAITING) {
		snprintf(err, errlen, "hashgate: slots must be 1..%d and "
		    "max_waiting 0..%d", CB_MAX_HASH_SLOTS,
		    CB_MAX_HASH_MAX_WAITING);
		return NULL;
	}
	g = calloc(1, sizeof *g);
	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->slots = slots;
	g->max_waiting = max_waiting;

	rc = pthread_mutex_init(&g->lock, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "pthread_mutex_init: %s", strerror(rc));
		free(g);
		return NULL;
	}
	rc = pthread_condattr_init(&attr);
	if (rc == 0) {
		rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		if (rc == 0)
			rc = pthread_cond_init(&g->freed, &attr);
		pthread_condattr_destroy(&attr);
	}
	if (rc != 0) {
		snprintf(err, errlen, "pthread_cond_init: %s", strerror(rc));
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

void
hashgate_free(struct hashgate *g)
{
	if (g == NULL)
		return;
	pthread_cond_destroy(&g->freed);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

int
hashgate_enter(struct hashgate *g, int64_t deadline_us)
{
	struct timespec ts;
	int rc, result = -1;

	gate_must(pthread_mutex_lock(&g->lock), "lock");
	if (g->inside < g->slots)
		goto take;
	if (deadline_us <= 0 || deadline_us <= clock_now_us() ||
	    g->waiting >= g->max_waiting)
		goto out;

	ts = clock_us_to_timespec(deadline_us);
	g->waiting++;
	while (g->inside >= g->slots) {
		rc = pthread_cond_timedwait(&g->freed, &g->lock, &ts);
		if (rc == ETIMEDOUT)
			break;
		gate_must(rc, "wait");
	}
	g->waiting--;
	/* A slot freed just as the wait timed out is still ours to take. */
	if (g->inside >= g->slots)
		goto out;
take:
	g->inside++;
	g->entered++;
	if (g->inside > g->max_inside)
		g->max_inside = g->inside;
	result = 0;
out:
	if (result != 0)
		g->busy++;
	gate_must(pthread_mutex_unlock(&g->lock), "unlock");
	return result;
}

void
hashgate_leave(struct hashgate *g)
{
	gate_must(pthread_mutex_lock(&g->lock), "lock");
	if (g->inside == 0) {
		/* More leaves than enters: a caller bug that would let one
		 * hash too many in later.  Say so, and do not go negative. */
		log_error("hashgate: leave without enter");
		gate_must(pthread_mutex_unlock(&g->lock), "unlock");
		return;
	}
	g->inside--;
	if (g->waiting > 0)
		gate_must(pthread_cond_signal(&g->freed), "signal");
	gate_must(pthread_mutex_unlock(&g->lock), "unlock");
}

void
hashgate_stats(struct hashgate *g, struct hashgate_stats *st)
{
	gate_must(pthread_mutex_lock(&g->lock), "lock");
	st->slots = g->slots;
	st->inside = g->inside;
	st->waiting = g->waiting;
	st->max_inside = g->max_inside;
	st->entered = g->entered;
	st->busy = g->busy;
	gate_must(pthread_mutex_unlock(&g->lock), "unlock");
}
