/*
 * notify.h -- stored notifications: what a user is told of what others
 * did, written in the same transaction as the change that caused it.
 *
 * Owns: the notifications table and the two counters kept beside it on
 * the user's row (unread, notification_count), so the unread count is one
 * row read however many notifications there are; and the cap: past
 * NOTIFY_KEEP notifications a user's oldest READ ones are pruned (unread
 * ones are never dropped).
 * Never: tells the actor of their own change (callers pass the actor as
 * call->user_id, and it is skipped).
 */
#ifndef CASHBOOK_DAEMON_NOTIFY_H
#define CASHBOOK_DAEMON_NOTIFY_H

#include <stdint.h>

#include "book.h"
#include "entry_write.h"
#include "method.h"

/* Notifications a user keeps before the oldest read ones are pruned. */
#define NOTIFY_KEEP 10000

/* The longest notification text, bytes (names are at most 100, usernames
 * 64, amounts 22). */
#define NOTIFY_TEXT_MAX 512

/* What a notification tells of: ids are 0 when they do not apply. */
struct notice {
	const char *kind;		/* "invite_received", "entry_added", ... */
	int64_t book_id;
	int64_t entry_id;
	int64_t invite_id;
	char text[NOTIFY_TEXT_MAX];	/* for people, in their words */
};

/* Tell user_id (unless it is the caller, who acted).  0, or -1 with the
 * call failed. */
int notify_user(struct call *call, int64_t user_id, const struct notice *n);

/* Tell every member of book but the caller.  0, or -1 with the call
 * failed.  Costs one index probe on a book nobody else is a member of. */
int notify_members(struct call *call, const struct book *book,
    const struct notice *n);

/* The caller's username into buf (for texts).  0, or -1 with the call
 * failed. */
int notify_actor_name(struct call *call, char *buf, size_t size);

/* Tell the other members of a shared book of an entry change
 * (entry_write's last step). */
int notify_entry_change(struct call *call, const struct book *book,
    const struct entry_meta *m, const struct entry_change *ch);

#endif
