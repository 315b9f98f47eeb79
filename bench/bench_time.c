/*
 * bench_time.c -- the clock every figure is taken with, and latency
 * samples with their percentiles.
 *
 * Latencies are kept whole (one uint64_t per request) and sorted at the
 * end rather than binned: a cell of a few seconds holds at most a few
 * million samples, a few tens of MiB, and exact percentiles need no
 * argument about bucket widths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define SAMPLES_MIN_CAP	4096

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("cashbook-bench: clock_gettime");
		abort();
	}
	return (uint64_t)ts.tv_sec * BENCH_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static int
samples_reserve(struct samples *s, size_t more)
{
	size_t cap = s->cap;
	uint64_t *ns;

	if (s->n + more <= s->cap)
		return 0;
	if (cap < SAMPLES_MIN_CAP)
		cap = SAMPLES_MIN_CAP;
	while (cap < s->n + more) {
		if (cap > SIZE_MAX / 2 / sizeof *ns)
			return -1;
		cap *= 2;
	}
	if ((ns = realloc(s->ns, cap * sizeof *ns)) == NULL)
		return -1;
	s->ns = ns;
	s->cap = cap;
	return 0;
}

int
samples_add(struct samples *s, uint64_t ns)
{
	if (samples_reserve(s, 1) != 0)
		return -1;
	s->ns[s->n++] = ns;
	return 0;
}

int
samples_take(struct samples *dst, struct samples *src)
{
	if (src->n == 0) {
		samples_free(src);
		return 0;
	}
	if (samples_reserve(dst, src->n) != 0)
		return -1;
	memcpy(dst->ns + dst->n, src->ns, src->n * sizeof *src->ns);
	dst->n += src->n;
	samples_free(src);
	return 0;
}

void
samples_free(struct samples *s)
{
	free(s->ns);
	memset(s, 0, sizeof *s);
}

static int
samples_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of the sorted samples: the smallest value
 * with at least p% of the samples at or below it. */
static double
samples_pct_us(const struct samples *s, double p)
{
	size_t rank = (size_t)((p / 100.0) * (double)s->n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return (double)s->ns[rank - 1] / 1000.0;
}

void
samples_summarise(struct samples *s, struct latency *out)
{
	long double sum = 0;

	memset(out, 0, sizeof *out);
	if (s->n == 0)
		return;
	qsort(s->ns, s->n, sizeof *s->ns, samples_cmp);
	for (size_t i = 0; i < s->n; i++)
		sum += s->ns[i];
	out->n = s->n;
	out->mean_us = (double)(sum / s->n) / 1000.0;
	out->p50_us = samples_pct_us(s, 50);
	out->p99_us = samples_pct_us(s, 99);
	out->max_us = (double)s->ns[s->n - 1] / 1000.0;
}
