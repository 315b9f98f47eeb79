/*
 * workq.h -- a fixed set of worker threads running queued jobs in FIFO order.
 *
 * The gateway pushes a job once the pool has granted it a handle; since
 * there are as many workers as handles, a granted job never waits for a
 * thread.  Jobs must not block on the event loop.  Thread-safe.
 */
#ifndef CASHBOOK_DAEMON_WORKQ_H
#define CASHBOOK_DAEMON_WORKQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Intrusive: embed in the job, fill fn, push. */
struct workq_item {
	void (*fn)(struct workq_item *item);
	struct workq_item *next;
};

struct workq;

/* Start nthreads workers.  Returns NULL with a message in err. */
struct workq *workq_new(unsigned nthreads, char *err, size_t errlen);

/* Queue item; a worker calls item->fn(item).  Never blocks (beyond a
 * short mutex).  Returns false, queueing nothing, once workq_stop() ran. */
bool workq_push(struct workq *wq, struct workq_item *item);

/* Refuse new items from now on; queued ones still run.  Stop every queue
 * that can feed another before freeing any of them, so no worker pushes
 * into a freed queue. */
void workq_stop(struct workq *wq);

/* Run every queued job, then stop and join the workers, then free. */
void workq_free(struct workq *wq);

/*
 * workq_free(), but wait for the workers only until deadline_us
 * (monotonic).  Returns true when everything was joined and freed; false
 * when a job was still running at the deadline: then nothing is freed (the
 * running job still uses it) and the caller should exit the process.
 */
bool workq_free_until(struct workq *wq, int64_t deadline_us);

#endif
