/*
 * entry_write.c -- every change of an entry, in one place (see
 * entry_write.h).
 *
 *   totals (in memory, overflow-checked) -> row -> period rows
 *     -> key totals and text index (entry_index.h) -> stored totals
 *     -> history
 */
#include <string.h>

#include "clock.h"
#include "change.h"
#include "entry_index.h"
#include "entry_write.h"
#include "notify.h"
#include "rpc.h"

static const char *const entry_action_names[] = {
	[ENTRY_CREATE] = "create",
	[ENTRY_UPDATE] = "update",
	[ENTRY_DELETE] = "delete",
	[ENTRY_RESTORE] = "restore",
};

int
entry_canonical(struct call *call, const struct entry *e, struct packbuf *pb)
{
	packbuf_clear(pb);
	entry_pack(&pb->pk, e);
	if (packbuf_failed(pb))
		return call_fail(call, CB_INTERNAL, "out of memory");
	return 0;
}

static void
bind_packbuf(sqlite3_stmt *stmt, int i, const struct packbuf *pb)
{
	if (pb == NULL)
		sqlite3_bind_null(stmt, i);
	else
		sqlite3_bind_blob(stmt, i, pb->sb.data, (int)pb->sb.size,
		    SQLITE_STATIC);
}

/* ---- the row ---- */

static const char sql_entry_insert[] =
    "INSERT INTO entries (book_id, " ENTRY_COLUMNS ", idempotency_key, "
    "request, created_at, created_by, updated_at, updated_by) VALUES (?1, "
    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?14, ?15) "
    "RETURNING entry_id";
static const char sql_entry_set_fields[] =
    "UPDATE entries SET (" ENTRY_COLUMNS ") = "
    "(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11), updated_at = ?12, "
    "updated_by = ?13 WHERE entry_id = ?1";
static const char sql_entry_set_deleted[] =
    "UPDATE entries SET deleted = ?2, updated_at = ?3, updated_by = ?4 "
    "WHERE entry_id = ?1";

static int
row_insert(struct call *call, int64_t book_id, struct entry_meta *m,
    const struct entry_change *ch)
{
	sqlite3_stmt *stmt = call_prepare(call, sql_entry_insert,
	    "adding the entry");
	int rc;

	if (stmt == NULL)
		return -1;
	memset(m, 0, sizeof *m);
	m->book_id = book_id;
	m->created_at = m->updated_at = clock_wall_s();
	m->created_by = m->updated_by = call->user_id;
	sqlite3_bind_int64(stmt, 1, book_id);
	entry_bind(stmt, 2, ch->after);
	if (ch->key != NULL)
		sqlite3_bind_text(stmt, 12, ch->key, (int)ch->keylen,
		    SQLITE_STATIC);
	bind_packbuf(stmt, 13, ch->key != NULL ? ch->request : NULL);
	sqlite3_bind_int64(stmt, 14, m->created_at);
	sqlite3_bind_int64(stmt, 15, m->created_by);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "adding the entry");
	m->entry_id = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (ch->key != NULL && ch->keylen < sizeof m->key) {
		memcpy(m->key, ch->key, ch->keylen);
		m->key[ch->keylen] = '\0';
		m->has_key = true;
	}
	return 0;
}

static int
row_update(struct call *call, struct entry_meta *m,
    const struct entry_change *ch)
{
	bool fields = ch->action == ENTRY_UPDATE;
	const char *what = fields ? "updating the entry" : "moving the entry";
	sqlite3_stmt *stmt = call_prepare(call, fields ?
	    sql_entry_set_fields : sql_entry_set_deleted, what);
	int rc, at;

	if (stmt == NULL)
		return -1;
	m->updated_at = clock_wall_s();
	m->updated_by = call->user_id;
	sqlite3_bind_int64(stmt, 1, m->entry_id);
	if (fields) {
		entry_bind(stmt, 2, ch->after);
		at = 12;
	} else {
		m->deleted = ch->action == ENTRY_DELETE;
		sqlite3_bind_int(stmt, 2, m->deleted);
		at = 3;
	}
	sqlite3_bind_int64(stmt, at, m->updated_at);
	sqlite3_bind_int64(stmt, at + 1, m->updated_by);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, what);
	return 0;
}

/* ---- history ---- */

static const char sql_history_insert[] =
    "INSERT INTO entry_history (entry_id, at, user_id, action, before, "
    "after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/* Append one history record; before/after NULL for none. */
static int
history_add(struct call *call, int64_t entry_id, enum entry_action action,
    const struct entry *before, const struct entry *after)
{
	struct packbuf b, a;
	sqlite3_stmt *stmt;
	int rc = -1, src;

	packbuf_init(&b);
	packbuf_init(&a);
	if ((before != NULL && entry_canonical(call, before, &b) != 0) ||
	    (after != NULL && entry_canonical(call, after, &a) != 0) ||
	    (stmt = call_prepare(call, sql_history_insert,
	    "recording the history")) == NULL)
		goto out;
	sqlite3_bind_int64(stmt, 1, entry_id);
	sqlite3_bind_int64(stmt, 2, clock_wall_s());
	sqlite3_bind_int64(stmt, 3, call->user_id);
	sqlite3_bind_text(stmt, 4, entry_action_names[action], -1,
	    SQLITE_STATIC);
	bind_packbuf(stmt, 5, before != NULL ? &b : NULL);
	bind_packbuf(stmt, 6, after != NULL ? &a : NULL);
	if ((src = sqlite3_step(stmt)) != SQLITE_DONE)
		call_fail_sqlite(call, src, "recording the history");
	else
		rc = 0;
	sqlite3_reset(stmt);	/* it points into a and b */
out:
	packbuf_destroy(&b);
	packbuf_destroy(&a);
	return rc;
}

/* ---- the change ---- */

static const enum change_kind entry_change_kinds[] = {
	[ENTRY_CREATE] = CHANGE_ENTRY_ADDED,
	[ENTRY_UPDATE] = CHANGE_ENTRY_UPDATED,
	[ENTRY_DELETE] = CHANGE_ENTRY_DELETED,
	[ENTRY_RESTORE] = CHANGE_ENTRY_RESTORED,
};

int
entry_write(struct call *call, struct book *book, struct entry_meta *m,
    const struct entry_change *ch)
{
	/* What leaves the book's live figures, and what enters them.  A
	 * trashed entry counts nowhere; its fields stay as they were. */
	const struct entry *out = (ch->action == ENTRY_UPDATE ||
	    ch->action == ENTRY_DELETE) ? ch->before : NULL;
	const struct entry *in = ch->action == ENTRY_RESTORE ? ch->before :
	    ch->action == ENTRY_DELETE ? NULL : ch->after;
	/* History: a move to or from the trash keeps the fields. */
	const struct entry *then = ch->action == ENTRY_CREATE ? NULL :
	    ch->before;
	const struct entry *now = ch->after != NULL ? ch->after : ch->before;
	struct book next = *book;

	/* Every total first, in memory: an overflow refuses the change
	 * before anything is written. */
	if ((out != NULL && book_totals_apply(call, &next, out, -1) != 0) ||
	    (in != NULL && book_totals_apply(call, &next, in, +1) != 0))
		return -1;
	if ((ch->action == ENTRY_CREATE ? row_insert(call, book->book_id, m,
	    ch) : row_update(call, m, ch)) != 0 ||
	    (out != NULL && book_periods_add(call, book->book_id, out,
	    -1) != 0) ||
	    (in != NULL && book_periods_add(call, book->book_id, in,
	    +1) != 0) ||
	    (out != NULL && entry_index_keys(call, book->book_id, out,
	    -1) != 0) ||
	    (in != NULL && entry_index_keys(call, book->book_id, in,
	    +1) != 0) ||
	    (ch->after != NULL && entry_index_text(call, m->entry_id,
	    ch->before, ch->after) != 0) ||
	    book_totals_store(call, &next) != 0 ||
	    history_add(call, m->entry_id, ch->action, then, now) != 0 ||
	    change_record(call, book->book_id, entry_change_kinds[ch->action],
	    m->entry_id, 0, true, book_balance(&next)) != 0 ||
	    notify_entry_change(call, &next, m, ch) != 0)
		return -1;
	*book = next;
	return 0;
}
