/*
 * change.h -- what changed, for those who follow a book: the change feed
 * (book.changes) and the live events pushed to subscribers (events.h).
 *
 * Every committed change to a book takes the book's next seq (books.seq,
 * one more per change, written in the change's own transaction) and
 * leaves a row in book_changes; the newest CHANGE_KEEP rows of each book
 * are kept.  The same change is also noted in the call (call->changes)
 * and, once its transaction has committed, handed to the event loop in
 * commit order (the gateway does it while the writer is still held), where
 * events.c fans it out.  A rolled-back step's changes are dropped with it,
 * so a refused or failed write produces no event.
 *
 * Notifications (notify.h) and revoked sessions travel the same way, so a
 * subscriber hears of them in the order they committed.
 */
#ifndef CASHBOOK_DAEMON_CHANGE_H
#define CASHBOOK_DAEMON_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct call;
struct book;

/* Rows of book_changes kept per book (book.changes answers conflict for
 * an older since_seq). */
#define CHANGE_KEEP 10000

enum change_kind {
	CHANGE_ENTRY_ADDED,
	CHANGE_ENTRY_UPDATED,
	CHANGE_ENTRY_DELETED,
	CHANGE_ENTRY_RESTORED,
	CHANGE_BOOK_CREATED,
	CHANGE_BOOK_UPDATED,
	CHANGE_BOOK_DELETED,
	CHANGE_MEMBER_ADDED,		/* user_id joined */
	CHANGE_MEMBER_REMOVED,		/* user_id left or was removed */
	/* Not changes of a book (no seq, no book_changes row): */
	CHANGE_NOTIFICATION,		/* user_id was notified */
	CHANGE_REVOKED,			/* session_id, or every session of
					 * user_id, ended: never delivered */
	CHANGE_KIND_COUNT
};

/* The kind's name on the wire ("entry_added", ...). */
const char *change_kind_name(enum change_kind kind);

struct change {
	enum change_kind kind;
	int64_t book_id;		/* 0: none */
	int64_t seq;			/* the book's, 0 when not a book change */
	int64_t entry_id;		/* 0: none */
	int64_t user_id;		/* MEMBER_*, NOTIFICATION: whom */
	int64_t actor_user_id;
	int64_t at;			/* unix seconds */
	bool has_balance;
	int64_t balance;		/* the book's, after the change */
	int64_t notification_id;	/* NOTIFICATION */
	int64_t session_id;		/* REVOKED */
};

/* The changes a call made, in order; owned by the call. */
struct change_list {
	struct change *v;
	size_t n, cap;
};

/* Append c to call->changes.  0, or -1 with the call failed (out of
 * memory: the write then rolls back, so no change goes unannounced). */
int change_note(struct call *call, const struct change *c);

/* Record a change of book (read by book_access in this transaction) by
 * the caller: the next seq (book->seq is not kept: the row is), the feed's
 * row, and the note for the events.  entry_id and user_id 0 when they do
 * not apply; balance is the book's after the change.  0, or -1 with the
 * call failed. */
int change_record(struct call *call, int64_t book_id, enum change_kind kind,
    int64_t entry_id, int64_t user_id, bool has_balance, int64_t balance);

void change_list_clear(struct change_list *l);
void change_list_free(struct change_list *l);

#endif
