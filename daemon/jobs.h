/*
 * jobs.h -- long work the daemon owns, not a client: removing the books
 * that book.delete hid.
 *
 * book.delete answers as soon as the book is hidden (books.deleting = 1:
 * no access, no listing, its name free).  Removing its entries, history
 * and period rows is then the reaper's job: a gateway job
 * (gateway_submit_job) whose every step takes the writer for one batch of
 * JOBS_DELETE_BATCH entries and gives it back, queued behind the client
 * writes already waiting, so a book of a million entries never holds the
 * writer for long and no client waits behind all of it.  The work to do is
 * in the database (the hidden books), so a reaper cut off by a stop or a
 * crash goes on when the daemon next starts; a client leaving changes
 * nothing.
 *
 * Owns: the reaper's state and figures (loop thread).
 * Never: runs SQL itself outside its job steps, or blocks the loop.
 */
#ifndef CASHBOOK_DAEMON_JOBS_H
#define CASHBOOK_DAEMON_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;

/* Entries removed per step: a step is one short write transaction. */
#define JOBS_DELETE_BATCH 2000

struct jobs_stats {
	bool running;			/* a reaper is queued or running */
	uint64_t books_waiting;		/* hidden books, as last seen */
	uint64_t books_deleted;		/* since start */
	uint64_t batches;		/* steps run since start */
	uint64_t failures;		/* steps that failed (retried) */
};

struct jobs;

/* Create the reaper and look for work left from before (loop thread, the
 * pool open).  NULL with err on failure. */
struct jobs *jobs_new(struct server *server, char *err, size_t errlen);
void jobs_free(struct jobs *jobs);

/* There may be work (a book was hidden).  Any thread. */
void jobs_kick(struct jobs *jobs);

/* Start no further job (shutdown).  Loop thread. */
void jobs_stop(struct jobs *jobs);

void jobs_stats(const struct jobs *jobs, struct jobs_stats *out);

#endif
