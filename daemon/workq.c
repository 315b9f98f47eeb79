/*
 * workq.c -- worker threads (see workq.h).  One mutex, one condition
 * variable, one singly linked FIFO.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workq.h"

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct workq_item *head, *tail;
	unsigned idle;			/* workers waiting on `wake` */
	bool stopping;
	unsigned nthreads;
	pthread_t *threads;
};

static void *
workq_main(void *arg)
{
	struct workq *wq = arg;
	struct workq_item *item;

	pthread_mutex_lock(&wq->lock);
	for (;;) {
		while (wq->head == NULL && !wq->stopping) {
			wq->idle++;
			pthread_cond_wait(&wq->wake, &wq->lock);
			wq->idle--;
		}
		if (wq->head == NULL)
			break;		/* stopping and drained */
		item = wq->head;
		wq->head = item->next;
		if (wq->head == NULL)
			wq->tail = NULL;
		pthread_mutex_unlock(&wq->lock);
		item->next = NULL;
		item->fn(item);
		pthread_mutex_lock(&wq->lock);
	}
	pthread_mutex_unlock(&wq->lock);
	return NULL;
}

struct workq *
workq_new(unsigned nthreads, char *err, size_t errlen)
{
	struct workq *wq;
	pthread_attr_t attr;
	int rc;

	wq = calloc(1, sizeof *wq);
	if (wq == NULL || (wq->threads = calloc(nthreads,
	    sizeof *wq->threads)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(wq);
		return NULL;
	}
	if (pthread_mutex_init(&wq->lock, NULL) != 0 ||
	    pthread_cond_init(&wq->wake, NULL) != 0 ||
	    pthread_attr_init(&attr) != 0) {
		snprintf(err, errlen, "cannot initialise worker threads");
		free(wq->threads);
		free(wq);
		return NULL;
	}
	/* Handlers are shallow; SQLite needs well under this. */
	pthread_attr_setstacksize(&attr, 512 * 1024);
	for (unsigned i = 0; i < nthreads; i++) {
		rc = pthread_create(&wq->threads[i], &attr, workq_main, wq);
		if (rc != 0) {
			snprintf(err, errlen, "cannot start worker thread: %s",
			    strerror(rc));
			pthread_attr_destroy(&attr);
			workq_free(wq);
			return NULL;
		}
		wq->nthreads++;
	}
	pthread_attr_destroy(&attr);
	return wq;
}

/*
 * Wake a worker only when one is idle (a busy one takes the item when it
 * finishes its current job), and after unlocking, so the woken worker does
 * not block at once on the mutex we still hold.  Waking one per item is
 * enough: a worker that takes an item and finds more keeps looping.
 */
bool
workq_push(struct workq *wq, struct workq_item *item)
{
	bool wake;

	item->next = NULL;
	pthread_mutex_lock(&wq->lock);
	if (wq->stopping) {
		pthread_mutex_unlock(&wq->lock);
		return false;
	}
	if (wq->tail != NULL)
		wq->tail->next = item;
	else
		wq->head = item;
	wq->tail = item;
	wake = wq->idle > 0;
	pthread_mutex_unlock(&wq->lock);
	if (wake)
		pthread_cond_signal(&wq->wake);
	return true;
}

void
workq_stop(struct workq *wq)
{
	if (wq == NULL)
		return;
	pthread_mutex_lock(&wq->lock);
	wq->stopping = true;
	pthread_cond_broadcast(&wq->wake);
	pthread_mutex_unlock(&wq->lock);
}

static void
workq_destroy(struct workq *wq)
{
	pthread_cond_destroy(&wq->wake);
	pthread_mutex_destroy(&wq->lock);
	free(wq->threads);
	free(wq);
}

void
workq_free(struct workq *wq)
{
	if (wq == NULL)
		return;
	workq_stop(wq);
	for (unsigned i = 0; i < wq->nthreads; i++)
		pthread_join(wq->threads[i], NULL);
	workq_destroy(wq);
}

bool
workq_free_until(struct workq *wq, int64_t deadline_us)
{
	struct timespec now_mono, abs;
	int64_t left_us;

	if (wq == NULL)
		return true;
	workq_stop(wq);
	/* pthread_timedjoin_np takes a CLOCK_REALTIME instant. */
	clock_gettime(CLOCK_MONOTONIC, &now_mono);
	left_us = deadline_us - ((int64_t)now_mono.tv_sec * 1000000 +
	    now_mono.tv_nsec / 1000);
	if (left_us < 0)
		left_us = 0;
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_sec += (time_t)(left_us / 1000000);
	abs.tv_nsec += (long)(left_us % 1000000) * 1000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	while (wq->nthreads > 0) {
		if (pthread_timedjoin_np(wq->threads[wq->nthreads - 1], NULL,
		    &abs) != 0)
			return false;	/* still running: leave it all be */
		wq->nthreads--;
	}
	workq_destroy(wq);
	return true;
}
