/*
 * clock.h -- time as the daemon measures it.
 *
 * Deadlines and waits use the monotonic clock in microseconds, so a wall
 * clock step never fires or stalls a timeout.  Wall time (unix seconds) is
 * for what users see.  Tests may replace the wall clock (clock_set_wall_fn)
 * to test expiry without sleeping.
 */
#ifndef CASHBOOK_DAEMON_CLOCK_H
#define CASHBOOK_DAEMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
clock_now_us(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid clock id. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Convert a monotonic microsecond instant to a struct timespec for
 * pthread_cond_timedwait on a CLOCK_MONOTONIC condition variable. */
static inline struct timespec
clock_us_to_timespec(int64_t us)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(us / 1000000);
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	return ts;
}

/*
 * Wall time in unix seconds, as users see it (created_at, expires_at), and
 * the clock the login rate limiter runs on.  Both include a test offset
 * that only the test-only method test.clock moves, so expiry and delays
 * are tested without sleeping.
 */
int64_t clock_wall_s(void);
int64_t clock_limiter_us(void);
void clock_advance(int64_t seconds);

#endif
