/*
 * change.c -- the change feed (see change.h).
 */
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "clock.h"
#include "method.h"

static const char *const change_kind_names[CHANGE_KIND_COUNT] = {
	[CHANGE_ENTRY_ADDED] = "entry_added",
	[CHANGE_ENTRY_UPDATED] = "entry_updated",
	[CHANGE_ENTRY_DELETED] = "entry_deleted",
	[CHANGE_ENTRY_RESTORED] = "entry_restored",
	[CHANGE_BOOK_CREATED] = "book_created",
	[CHANGE_BOOK_UPDATED] = "book_updated",
	[CHANGE_BOOK_DELETED] = "book_deleted",
	[CHANGE_MEMBER_ADDED] = "member_added",
	[CHANGE_MEMBER_REMOVED] = "member_removed",
	[CHANGE_NOTIFICATION] = "notification",
	[CHANGE_REVOKED] = "revoked",
};

const char *
change_kind_name(enum change_kind kind)
{
	if ((unsigned)kind >= CHANGE_KIND_COUNT)
		return "unknown";
	return change_kind_names[kind];
}

int
change_note(struct call *call, const struct change *c)
{
	struct change_list *l = &call->changes;
	struct change *v;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap == 0 ? 4 : l->cap * 2;
		if ((v = realloc(l->v, cap * sizeof *v)) == NULL)
			return call_fail(call, CB_INTERNAL, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *c;
	return 0;
}

void
change_list_clear(struct change_list *l)
{
	l->n = 0;
}

void
change_list_free(struct change_list *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

static const char sql_seq_next[] =
    "UPDATE books SET seq = seq + 1 WHERE book_id = ?1 RETURNING seq";
static const char sql_change_insert[] =
    "INSERT INTO book_changes (book_id, seq, kind, entry_id, user_id, "
    "actor_user_id, at) VALUES (?1, ?2, ?3, nullif(?4, 0), nullif(?5, 0), "
    "?6, ?7)";
/* One row in, one row out: the book keeps exactly CHANGE_KEEP. */
static const char sql_change_prune[] =
    "DELETE FROM book_changes WHERE book_id = ?1 AND seq = ?2";

static int
change_step(struct call *call, sqlite3_stmt *stmt, int want, const char *what)
{
	int rc = sqlite3_step(stmt);

	if (rc != want)
		return call_fail_sqlite(call, rc == SQLITE_DONE ? SQLITE_ERROR :
		    rc, what);
	return 0;
}

int
change_record(struct call *call, int64_t book_id, enum change_kind kind,
    int64_t entry_id, int64_t user_id, bool has_balance, int64_t balance)
{
	struct change c = {
		.kind = kind, .book_id = book_id, .entry_id = entry_id,
		.user_id = user_id, .actor_user_id = call->user_id,
		.at = clock_wall_s(), .has_balance = has_balance,
		.balance = balance,
	};
	sqlite3_stmt *stmt;

	if ((stmt = call_prepare(call, sql_seq_next,
	    "numbering the change")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book_id);
	if (change_step(call, stmt, SQLITE_ROW, "numbering the change") != 0)
		return -1;
	c.seq = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if ((stmt = call_prepare(call, sql_change_insert,
	    "recording the change")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book_id);
	sqlite3_bind_int64(stmt, 2, c.seq);
	sqlite3_bind_text(stmt, 3, change_kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, entry_id);
	sqlite3_bind_int64(stmt, 5, user_id);
	sqlite3_bind_int64(stmt, 6, call->user_id);
	sqlite3_bind_int64(stmt, 7, c.at);
	if (change_step(call, stmt, SQLITE_DONE, "recording the change") != 0)
		return -1;
	if (c.seq > CHANGE_KEEP) {
		if ((stmt = call_prepare(call, sql_change_prune,
		    "pruning the change feed")) == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, book_id);
		sqlite3_bind_int64(stmt, 2, c.seq - CHANGE_KEEP);
		if (change_step(call, stmt, SQLITE_DONE,
		    "pruning the change feed") != 0)
			return -1;
	}
	return change_note(call, &c);
}
