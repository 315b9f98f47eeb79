/*
 * method_events.c -- live events and the change feed: events.subscribe,
 * events.unsubscribe, book.changes.
 *
 * The subscriptions themselves live on the event loop (events.h): these
 * handlers only read what the database says -- the books a subscription
 * starts with and their seqs, whether a subscription is the caller's, a
 * book's feed -- and the method hooks (loop_begin, loop_end) tie them to
 * the connection.  A handler never sees one.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "book.h"
#include "change.h"
#include "events.h"
#include "method.h"
#include "methods.h"
#include "packbuf.h"
#include "rpc.h"

/* ---- events.subscribe ---- */

enum { SUB_BOOK_IDS, SUB_NOTIFICATIONS };
static const struct arg_spec subscribe_args[] = {
	[SUB_BOOK_IDS] = { .name = "book_ids", .type = ARG_IDS, .min = 1,
	    .max = EVENTS_MAX_BOOK_IDS },
	[SUB_NOTIFICATIONS] = { .name = "notifications", .type = ARG_BOOL },
	ARGS_END,
};

static const char sql_book_seq[] =
    "SELECT seq FROM books WHERE book_id = ?1";
static const char sql_my_books_count[] =
    "SELECT count(*) FROM book_members m JOIN books b "
    "ON b.book_id = m.book_id WHERE m.user_id = ?1 AND b.deleting = 0";
static const char sql_my_books[] =
    "SELECT b.book_id, b.seq FROM book_members m JOIN books b "
    "ON b.book_id = m.book_id WHERE m.user_id = ?1 AND b.deleting = 0 "
    "ORDER BY b.book_id";

/* The named books, each one the caller may read. */
static struct events_snapshot *
subscribe_named(struct call *call)
{
	const struct arg_value *ids = &call->args[SUB_BOOK_IDS];
	struct events_snapshot *snap;
	struct book book;
	sqlite3_stmt *stmt;
	int rc;

	snap = call_state(call, sizeof *snap + ids->len * sizeof snap->books[0]);
	if (snap == NULL) {
		call_fail(call, CB_INTERNAL, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < ids->len; i++) {
		if (book_access(call, args_id(ids, i), BOOK_READ, &book,
		    "book") != 0)
			return NULL;
		if ((stmt = call_prepare(call, sql_book_seq,
		    "reading the book's seq")) == NULL)
			return NULL;
		sqlite3_bind_int64(stmt, 1, book.book_id);
		if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
			call_fail_sqlite(call, rc == SQLITE_DONE ? SQLITE_ERROR :
			    rc, "reading the book's seq");
			return NULL;
		}
		snap->books[snap->nbooks].book_id = book.book_id;
		snap->books[snap->nbooks].seq = sqlite3_column_int64(stmt, 0);
		snap->nbooks++;
		sqlite3_reset(stmt);
	}
	return snap;
}

/* Every book the caller can see, in this snapshot. */
static struct events_snapshot *
subscribe_all(struct call *call)
{
	struct events_snapshot *snap;
	sqlite3_stmt *stmt;
	int64_t n;
	int rc;

	if ((stmt = call_prepare(call, sql_my_books_count,
	    "listing your books")) == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		call_fail_sqlite(call, rc, "listing your books");
		return NULL;
	}
	n = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	snap = call_state(call, sizeof *snap + (size_t)n *
	    sizeof snap->books[0]);
	if (snap == NULL) {
		call_fail(call, CB_INTERNAL, "out of memory");
		return NULL;
	}
	snap->all_books = true;
	if ((stmt = call_prepare(call, sql_my_books,
	    "listing your books")) == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	/* The same snapshot: the count cannot have changed. */
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && snap->nbooks < n) {
		snap->books[snap->nbooks].book_id =
		    sqlite3_column_int64(stmt, 0);
		snap->books[snap->nbooks].seq = sqlite3_column_int64(stmt, 1);
		snap->nbooks++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		call_fail_sqlite(call, rc, "listing your books");
		return NULL;
	}
	sqlite3_reset(stmt);
	return snap;
}

static int
subscribe_exec(struct call *call)
{
	struct events_snapshot *snap = call_has(call, SUB_BOOK_IDS) ?
	    subscribe_named(call) : subscribe_all(call);
	char key[24];

	if (snap == NULL)
		return -1;
	snap->notifications = call->args[SUB_NOTIFICATIONS].i != 0;
	msgpack_pack_map(call->result, 2);
	rpc_pack_cstr(call->result, "subscription_id");
	msgpack_pack_uint64(call->result, call->subscription_id);
	/* Keys are the book ids as strings: many msgpack decoders refuse
	 * integer map keys by default (Python's strict_map_key). */
	rpc_pack_cstr(call->result, "seq");
	msgpack_pack_map(call->result, snap->nbooks);
	for (uint32_t i = 0; i < snap->nbooks; i++) {
		snprintf(key, sizeof key, "%lld",
		    (long long)snap->books[i].book_id);
		rpc_pack_cstr(call->result, key);
		msgpack_pack_int64(call->result, snap->books[i].seq);
	}
	return 0;
}

const struct method method_events_subscribe = {
	.name = CB_METHOD_EVENTS_SUBSCRIBE,
	.exec = subscribe_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.args = subscribe_args,
	.loop_begin = events_subscribe_begin,
	.loop_end = events_subscribe_end,
};

/* ---- events.unsubscribe ---- */

/* Argument 0, as events_unsubscribe_begin reads it. */
enum { UNSUB_ID };
static const struct arg_spec unsubscribe_args[] = {
	[UNSUB_ID] = { .name = "subscription_id", .type = ARG_INT,
	    .flags = ARG_REQUIRED, .min = 1, .max = INT64_MAX },
	ARGS_END,
};

static int
unsubscribe_exec(struct call *call)
{
	/* Another account's subscription on the same connection is not
	 * the caller's to end. */
	if (call->subscription_user_id != call->user_id)
		return call_fail(call, CB_NOT_FOUND, "no such subscription "
		    "on this connection");
	msgpack_pack_map(call->result, 0);
	return 0;
}

const struct method method_events_unsubscribe = {
	.name = CB_METHOD_EVENTS_UNSUBSCRIBE,
	.exec = unsubscribe_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH | METHOD_ONE_STATEMENT,
	.args = unsubscribe_args,
	.loop_begin = events_unsubscribe_begin,
	.loop_end = events_unsubscribe_end,
};

/* ---- book.changes ---- */

enum { CHANGES_BOOK_ID, CHANGES_SINCE, CHANGES_LIMIT };
static const struct arg_spec changes_args[] = {
	[CHANGES_BOOK_ID] = BOOK_ARG_ID,
	[CHANGES_SINCE] = { .name = "since_seq", .type = ARG_INT,
	    .flags = ARG_REQUIRED, .min = 0, .max = INT64_MAX },
	[CHANGES_LIMIT] = { .name = "limit", .type = ARG_INT, .min = 1,
	    .max = CB_LIST_MAX_LIMIT },
	ARGS_END,
};

static const char sql_changes_bounds[] =
    "SELECT b.seq, (SELECT min(seq) FROM book_changes c "
    "WHERE c.book_id = b.book_id) FROM books b WHERE b.book_id = ?1";
static const char sql_changes[] =
    "SELECT seq, kind, entry_id, user_id, actor_user_id, at "
    "FROM book_changes WHERE book_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";

static void
changes_pack_row(msgpack_packer *pk, sqlite3_stmt *stmt)
{
	msgpack_pack_map(pk, 6);
	rpc_pack_cstr(pk, "seq");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 0));
	rpc_pack_cstr(pk, "kind");
	msgpack_pack_str_with_body(pk, sqlite3_column_text(stmt, 1),
	    (size_t)sqlite3_column_bytes(stmt, 1));
	for (int col = 2; col <= 3; col++) {
		rpc_pack_cstr(pk, col == 2 ? "entry_id" : "user_id");
		if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
			msgpack_pack_nil(pk);
		else
			msgpack_pack_int64(pk, sqlite3_column_int64(stmt, col));
	}
	rpc_pack_cstr(pk, "actor_user_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 4));
	rpc_pack_cstr(pk, "at");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 5));
}

static int
changes_exec(struct call *call)
{
	int64_t since = call->args[CHANGES_SINCE].i, limit =
	    call_has(call, CHANGES_LIMIT) ? call->args[CHANGES_LIMIT].i :
	    CB_LIST_MAX_LIMIT, seq, oldest;
	struct packbuf rows;
	struct book book;
	sqlite3_stmt *stmt;
	uint32_t n = 0;
	int rc;

	if (book_access_arg(call, CHANGES_BOOK_ID, BOOK_READ, &book) != 0)
		return -1;
	if ((stmt = call_prepare(call, sql_changes_bounds,
	    "reading the change feed")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book.book_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return call_fail_sqlite(call, rc == SQLITE_DONE ? SQLITE_ERROR :
		    rc, "reading the change feed");
	seq = sqlite3_column_int64(stmt, 0);
	oldest = sqlite3_column_type(stmt, 1) == SQLITE_NULL ? seq + 1 :
	    sqlite3_column_int64(stmt, 1);
	sqlite3_reset(stmt);
	if (since > seq)
		return call_fail(call, CB_BAD_REQUEST, "since_seq %lld is "
		    "ahead of book '%s' (its seq is %lld)", (long long)since,
		    book.name, (long long)seq);
	/* Changes since_seq + 1 .. seq must all still be kept. */
	if (since < seq && since + 1 < oldest)
		return call_fail(call, CB_CONFLICT, "the changes of book '%s' "
		    "after seq %lld are no longer kept (the feed keeps the "
		    "last %d); resync from entry.list", book.name,
		    (long long)since, CHANGE_KEEP);
	if ((stmt = call_prepare(call, sql_changes,
	    "reading the change feed")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book.book_id);
	sqlite3_bind_int64(stmt, 2, since);
	sqlite3_bind_int64(stmt, 3, limit);
	packbuf_init(&rows);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		changes_pack_row(&rows.pk, stmt);
		n++;
	}
	if (rc != SQLITE_DONE) {
		packbuf_destroy(&rows);
		return call_fail_sqlite(call, rc, "reading the change feed");
	}
	if (packbuf_failed(&rows)) {
		packbuf_destroy(&rows);
		return call_fail(call, CB_INTERNAL, "out of memory");
	}
	msgpack_pack_map(call->result, 2);
	rpc_pack_cstr(call->result, "changes");
	msgpack_pack_array(call->result, n);
	rpc_pack_raw(call->result, rows.sb.data, rows.sb.size);
	rpc_pack_cstr(call->result, "seq");
	msgpack_pack_int64(call->result, seq);
	packbuf_destroy(&rows);
	return 0;
}

const struct method method_book_changes = {
	.name = CB_METHOD_BOOK_CHANGES,
	.exec = changes_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.args = changes_args,
};
