/*
 * clock.c -- wall time with a test offset (see clock.h).
 */
#include <stdatomic.h>

#include "clock.h"

/* Seconds added by test.clock; 0 in every real deployment. */
static _Atomic int64_t clock_offset_s;

int64_t
clock_wall_s(void)
{
	return (int64_t)time(NULL) + atomic_load(&clock_offset_s);
}

int64_t
clock_limiter_us(void)
{
	return clock_now_us() + atomic_load(&clock_offset_s) * 1000000;
}

void
clock_advance(int64_t seconds)
{
	atomic_fetch_add(&clock_offset_s, seconds);
}
