/*
 * events.h -- live events: committed changes pushed to the connections
 * that subscribed to them.
 *
 * A connection subscribes (events.subscribe) to some books, or to every
 * book its user can see now and later, and optionally to its user's
 * notifications.  The daemon then sends it msgpack-RPC notifications
 * [2, "event", [event]] for every change committed after the
 * subscription's snapshot, in commit order, each book's seq one more than
 * the last.
 *
 * Flow: a write step's changes (change.h) are posted here by the worker
 * right after its COMMIT, while it still holds the writer, so the queue
 * is in commit order (events_post: any thread).  The loop drains the queue
 * and fans each change out to the matching subscriptions: no handler ever
 * touches another connection.  Each event is encoded once; a subscriber
 * costs a short head and a copy.
 *
 * A subscription is registered before its snapshot is read (pending, its
 * events buffered), and made live with the snapshot's seqs when the
 * subscribe request ends: events the snapshot already covers are dropped,
 * none committed after it can be missed.
 *
 * Bounded: a subscriber with EVENTS_MAX_QUEUED events or
 * EVENTS_MAX_QUEUED_BYTES bytes unsent gets one `overflow` event and its
 * subscription ends; it never slows anyone else, and the daemon's memory
 * for it stays bounded.  Access ends delivery: a logged-out token's
 * subscriptions end with `access_lost` (book nil), a book one leaves or is
 * removed from is dropped from theirs with `access_lost` for that book.
 *
 * Loop thread only, except events_post.
 */
#ifndef CASHBOOK_DAEMON_EVENTS_H
#define CASHBOOK_DAEMON_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "change.h"

/* A subscriber's unsent events, at most (then overflow). */
#define EVENTS_MAX_QUEUED	10000
#define EVENTS_MAX_QUEUED_BYTES	(4u << 20)
/* Subscriptions one connection may hold. */
#define EVENTS_MAX_PER_CONN	64
/* Books one subscription names, at most. */
#define EVENTS_MAX_BOOK_IDS	1000

struct server;
struct conn;
struct call;
struct events;

struct events *events_new(struct server *server);
void events_free(struct events *ev);

/* Any thread: hand the changes of a step that just committed to the loop
 * (moved out of l, which is left empty).  Call while still holding the
 * writer, so the queue keeps commit order.  Out of memory loses them
 * (logged): the database is already right, only the live view is not. */
void events_post(struct events *ev, struct change_list *l);

/* A book and its seq, as a subscribe snapshot saw them. */
struct events_book {
	int64_t book_id;
	int64_t seq;
};

/* The method hooks of events.subscribe and events.unsubscribe (loop
 * thread, see struct method's loop_begin and loop_end). */
int events_subscribe_begin(struct server *server, struct conn *conn,
    struct call *call);
void events_subscribe_end(struct server *server, struct conn *conn,
    struct call *call, bool failed);
int events_unsubscribe_begin(struct server *server, struct conn *conn,
    struct call *call);
void events_unsubscribe_end(struct server *server, struct conn *conn,
    struct call *call, bool failed);

/* The snapshot a subscribe handler read, for events_subscribe_end: kept
 * in the call's state (call_state) as this header and its books. */
struct events_snapshot {
	bool all_books;
	bool notifications;
	uint32_t nbooks;
	struct events_book books[];
};

/* The connection is going: its subscriptions end. */
void events_conn_gone(struct server *server, struct conn *conn);

/* Figures for server.stats. */
struct events_stats {
	uint64_t subscriptions;		/* live and pending now */
	uint64_t delivered;		/* events written, since start */
	uint64_t overflows;		/* subscriptions ended by overflow */
};
void events_stats(const struct events *ev, struct events_stats *out);

#endif
