/*
 * notify.c -- stored notifications (see notify.h).
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "change.h"
#include "clock.h"
#include "money.h"
#include "notify.h"

static const char sql_notice_insert[] =
    "INSERT INTO notifications (user_id, kind, book_id, entry_id, "
    "invite_id, actor_user_id, text, created_at) VALUES (?1, ?2, "
    "nullif(?3, 0), nullif(?4, 0), nullif(?5, 0), ?6, ?7, ?8) "
    "RETURNING notification_id, user_id";
/* Every member but the actor, in one statement. */
static const char sql_notice_insert_members[] =
    "INSERT INTO notifications (user_id, kind, book_id, entry_id, "
    "invite_id, actor_user_id, text, created_at) SELECT user_id, ?2, ?3, "
    "nullif(?4, 0), nullif(?5, 0), ?6, ?7, ?8 FROM book_members "
    "WHERE book_id = ?3 AND user_id <> ?6 "
    "RETURNING notification_id, user_id";
static const char sql_count_user[] =
    "UPDATE users SET unread = unread + 1, "
    "notification_count = notification_count + 1 WHERE user_id = ?1 "
    "RETURNING user_id, notification_count";
static const char sql_count_members[] =
    "UPDATE users SET unread = unread + 1, "
    "notification_count = notification_count + 1 WHERE user_id IN "
    "(SELECT user_id FROM book_members WHERE book_id = ?1 AND user_id <> ?2) "
    "RETURNING user_id, notification_count";
static const char sql_other_member[] =
    "SELECT 1 FROM book_members WHERE book_id = ?1 AND user_id <> ?2 LIMIT 1";
/* The oldest read ones past the cap; unread ones are never pruned. */
static const char sql_prune[] =
    "DELETE FROM notifications WHERE notification_id IN (SELECT "
    "notification_id FROM notifications WHERE user_id = ?1 AND read = 1 "
    "ORDER BY notification_id LIMIT ?2)";
static const char sql_prune_count[] =
    "UPDATE users SET notification_count = notification_count - ?2 "
    "WHERE user_id = ?1";
static const char sql_actor_name[] =
    "SELECT username FROM users WHERE user_id = ?1";

static void
notice_bind(sqlite3_stmt *stmt, struct call *call, const struct notice *n)
{
	sqlite3_bind_text(stmt, 2, n->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, n->book_id);
	sqlite3_bind_int64(stmt, 4, n->entry_id);
	sqlite3_bind_int64(stmt, 5, n->invite_id);
	sqlite3_bind_int64(stmt, 6, call->user_id);
	sqlite3_bind_text(stmt, 7, n->text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 8, clock_wall_s());
}

static int
notify_exec(struct call *call, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);	/* it may point at a caller's text */
	if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, what);
	return 0;
}

/* Step an insert ... RETURNING notification_id, user_id to its end,
 * noting each new notification for its user's subscribers (change.h). */
static int
notify_insert(struct call *call, sqlite3_stmt *stmt, const struct notice *n)
{
	struct change c = {
		.kind = CHANGE_NOTIFICATION, .book_id = n->book_id,
		.entry_id = n->entry_id, .actor_user_id = call->user_id,
		.at = clock_wall_s(),
	};
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		c.notification_id = sqlite3_column_int64(stmt, 0);
		c.user_id = sqlite3_column_int64(stmt, 1);
		if (change_note(call, &c) != 0) {
			sqlite3_reset(stmt);
			return -1;
		}
	}
	sqlite3_reset(stmt);	/* it may point at a caller's text */
	if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "storing a notification");
	return 0;
}

/* Prune user_id's oldest read notifications down to NOTIFY_KEEP. */
static int
notify_prune(struct call *call, int64_t user_id, int64_t count)
{
	sqlite3_stmt *stmt;
	int removed;

	if ((stmt = call_prepare(call, sql_prune,
	    "pruning old notifications")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_int64(stmt, 2, count - NOTIFY_KEEP);
	if (notify_exec(call, stmt, "pruning old notifications") != 0)
		return -1;
	if ((removed = sqlite3_changes(db_handle(call->db))) == 0)
		return 0;
	if ((stmt = call_prepare(call, sql_prune_count,
	    "pruning old notifications")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_int64(stmt, 2, removed);
	return notify_exec(call, stmt, "pruning old notifications");
}

/*
 * Step a counting UPDATE ... RETURNING user_id, notification_count to its
 * end, then prune whoever went past the cap.  The RETURNING rows are all
 * read before any prune runs (a statement must finish first).
 */
static int
notify_count(struct call *call, sqlite3_stmt *stmt)
{
	int64_t over[16][2];
	int nover = 0, rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sqlite3_column_int64(stmt, 1) <= NOTIFY_KEEP)
			continue;
		/* Past 16 at once, the rest are pruned on their next
		 * notification: the cap is approximate by that much. */
		if (nover < 16) {
			over[nover][0] = sqlite3_column_int64(stmt, 0);
			over[nover][1] = sqlite3_column_int64(stmt, 1);
			nover++;
		}
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "counting notifications");
	for (int i = 0; i < nover; i++)
		if (notify_prune(call, over[i][0], over[i][1]) != 0)
			return -1;
	return 0;
}

int
notify_user(struct call *call, int64_t user_id, const struct notice *n)
{
	sqlite3_stmt *stmt;

	if (user_id == call->user_id)
		return 0;
	if ((stmt = call_prepare(call, sql_notice_insert,
	    "storing a notification")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	notice_bind(stmt, call, n);
	if (notify_insert(call, stmt, n) != 0)
		return -1;
	if ((stmt = call_prepare(call, sql_count_user,
	    "counting notifications")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	return notify_count(call, stmt);
}

/* Whether book has a member besides the caller. */
static int
notify_shared(struct call *call, int64_t book_id, bool *shared)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_other_member,
	    "reading the book's members")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book_id);
	sqlite3_bind_int64(stmt, 2, call->user_id);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "reading the book's members");
	*shared = rc == SQLITE_ROW;
	return 0;
}

int
notify_members(struct call *call, const struct book *book,
    const struct notice *n)
{
	sqlite3_stmt *stmt;

	if ((stmt = call_prepare(call, sql_notice_insert_members,
	    "storing notifications")) == NULL)
		return -1;
	notice_bind(stmt, call, n);
	sqlite3_bind_int64(stmt, 3, book->book_id);
	if (notify_insert(call, stmt, n) != 0)
		return -1;
	if ((stmt = call_prepare(call, sql_count_members,
	    "counting notifications")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book->book_id);
	sqlite3_bind_int64(stmt, 2, call->user_id);
	return notify_count(call, stmt);
}

int
notify_actor_name(struct call *call, char *buf, size_t size)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_actor_name,
	    "reading your name")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return call_fail_sqlite(call, rc == SQLITE_DONE ? SQLITE_ERROR :
		    rc, "reading your name");
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_reset(stmt);
	return 0;
}

static const char *const entry_kinds[] = {
	[ENTRY_CREATE] = "entry_added",
	[ENTRY_UPDATE] = "entry_updated",
	[ENTRY_DELETE] = "entry_deleted",
	[ENTRY_RESTORE] = "entry_restored",
};

int
notify_entry_change(struct call *call, const struct book *book,
    const struct entry_meta *m, const struct entry_change *ch)
{
	const struct entry *e = ch->after != NULL ? ch->after : ch->before;
	struct notice n = {
		.kind = entry_kinds[ch->action], .book_id = book->book_id,
		.entry_id = m->entry_id,
	};
	char who[CB_USERNAME_MAX + 1], amount[CB_MONEY_FORMAT_MAX];
	const char *type = e->is_in ? "in" : "out";
	bool shared = false;

	if (notify_shared(call, book->book_id, &shared) != 0)
		return -1;
	if (!shared)
		return 0;
	if (notify_actor_name(call, who, sizeof who) != 0)
		return -1;
	if (money_format(e->amount, book->decimals, amount,
	    sizeof amount) < 0)
		snprintf(amount, sizeof amount, "%lld", (long long)e->amount);
	switch (ch->action) {
	case ENTRY_CREATE:
		snprintf(n.text, sizeof n.text, "%s added %s %s to '%s' "
		    "(entry %lld)", who, amount, type, book->name,
		    (long long)m->entry_id);
		break;
	case ENTRY_UPDATE:
		snprintf(n.text, sizeof n.text, "%s changed entry %lld in '%s' "
		    "(now %s %s)", who, (long long)m->entry_id, book->name,
		    amount, type);
		break;
	case ENTRY_DELETE:
		snprintf(n.text, sizeof n.text, "%s moved entry %lld (%s %s) "
		    "in '%s' to the trash", who, (long long)m->entry_id,
		    amount, type, book->name);
		break;
	case ENTRY_RESTORE:
		snprintf(n.text, sizeof n.text, "%s restored entry %lld (%s %s) "
		    "in '%s'", who, (long long)m->entry_id, amount, type,
		    book->name);
		break;
	}
	return notify_members(call, book, &n);
}
