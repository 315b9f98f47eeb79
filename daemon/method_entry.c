/*
 * method_entry.c -- entries: entry.add, entry.add_batch, entry.get, entry.update,
 * entry.delete, entry.restore, entry.history.
 *
 * Every change goes through entry_write() (entry_write.h), which updates
 * the book's totals and running-balance index and appends the entry's
 * history in the same transaction, so the three can never disagree.
 * These handlers only load, decide what changes, and answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "book.h"
#include "entry.h"
#include "entry_write.h"
#include "method.h"
#include "methods.h"
#include "packbuf.h"
#include "rpc.h"

/* The entry an entry method is about: argument 0 of each. */
#define ENTRY_ARG_ID { .name = "entry_id", .type = ARG_INT, \
    .flags = ARG_REQUIRED, .min = 1, \
    .max = INT64_MAX }
enum { ENTRY_ID, ENTRY_FIELDS };

enum { ADD_BOOK_ID, ADD_FIELDS,
    ADD_IDEMPOTENCY_KEY = ADD_FIELDS + ENTRY_ARG_COUNT };
static const struct arg_spec add_args[] = {
	[ADD_BOOK_ID] = BOOK_ARG_ID,
	ENTRY_ARG_SPECS(ARG_REQUIRED, 0),
	[ADD_IDEMPOTENCY_KEY] = { .name = "idempotency_key",
	    .type = ARG_TEXT, .min = 1,
	    .max = CB_IDEMPOTENCY_KEY_MAX },
	ARGS_END,
};

static const struct arg_spec update_args[] = {
	[ENTRY_ID] = ENTRY_ARG_ID,
	ENTRY_ARG_SPECS(ARG_NIL_REFUSED, ARG_NIL_CLEARS),
	ARGS_END,
};

static const struct arg_spec id_args[] = {
	[ENTRY_ID] = ENTRY_ARG_ID,
	ARGS_END,
};

/* ---- what every entry method shares ---- */

static const char sql_entry_load[] =
    "SELECT " ENTRY_META_COLUMNS ", " ENTRY_COLUMNS
    " FROM entries WHERE entry_id = ?1";

/*
 * Read the entry named by argument ENTRY_ID into *e (and a second copy
 * into *copy when not NULL: the "before" of a change) and *m, and check
 * the caller may do action on its book, read into *book.  An entry of a book the caller
 * cannot see is not_found, like one that does not exist.
 */
static int
entry_load(struct call *call, enum book_action action, struct book *book,
    struct entry *e, struct entry *copy, struct entry_meta *m)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_entry_load,
	    "reading the entry")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->args[ENTRY_ID].i);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return call_fail(call, CB_NOT_FOUND, "no such entry");
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "reading the entry");
	entry_meta_from_row(stmt, 0, m);
	if (entry_from_row(call, stmt, ENTRY_META_COUNT, e) != 0 ||
	    (copy != NULL && entry_from_row(call, stmt, ENTRY_META_COUNT,
	    copy) != 0))
		return -1;
	sqlite3_reset(stmt);
	return book_access_entry(call, m->book_id, action, m->created_by,
	    book);
}

/* Pack {"entry", "balance"}. */
static void
pack_entry_balance(struct call *call, const struct entry *e,
    const struct entry_meta *m, const struct book *book)
{
	msgpack_pack_map(call->result, 2);
	rpc_pack_cstr(call->result, "entry");
	entry_pack_object(call->result, e, m, false, NULL);
	rpc_pack_cstr(call->result, "balance");
	msgpack_pack_int64(call->result, book_balance(book));
}

/* ---- entry.add, entry.add_batch ---- */

/* What one add did: the entry written, or the one a retry answers for. */
struct add_result {
	int64_t entry_id;
	bool replayed;
};

static void
add_pack(struct call *call, const struct add_result *r,
    const struct book *book)
{
	msgpack_pack_map(call->result, 3);
	rpc_pack_cstr(call->result, "entry_id");
	msgpack_pack_int64(call->result, r->entry_id);
	rpc_pack_cstr(call->result, "balance");
	msgpack_pack_int64(call->result, book_balance(book));
	rpc_pack_cstr(call->result, "replayed");
	rpc_pack_bool(call->result, r->replayed);
}

static const char sql_entry_by_key[] =
    "SELECT entry_id, request FROM entries "
    "WHERE book_id = ?1 AND idempotency_key = ?2";

/*
 * A retry: the key was used before in this book.  The same fields answer
 * the original entry (1, r filled in); different ones are a conflict
 * (-1); an unused key is 0.
 */
static int
add_replay(struct call *call, const struct book *book, const char *key,
    size_t keylen, const struct packbuf *request, struct add_result *r)
{
	sqlite3_stmt *stmt = call_prepare(call, sql_entry_by_key,
	    "looking up the idempotency key");
	const void *stored;
	int64_t id;
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book->book_id);
	sqlite3_bind_text(stmt, 2, key, (int)keylen, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc,
		    "looking up the idempotency key");
	id = sqlite3_column_int64(stmt, 0);
	stored = sqlite3_column_blob(stmt, 1);
	if (stored == NULL || (size_t)sqlite3_column_bytes(stmt, 1) !=
	    request->sb.size || memcmp(stored, request->sb.data,
	    request->sb.size) != 0)
		return call_fail(call, CB_CONFLICT, "idempotency_key '%.*s' "
		    "was already used for entry %lld with different fields",
		    (int)keylen, key, (long long)id);
	r->entry_id = id;
	r->replayed = true;
	return 1;
}

/*
 * Add e to book, or answer for the entry an earlier request with the same
 * idempotency key (the value k; absent for none) added: entry.add and
 * each item of entry.add_batch alike.  request is scratch space for e's
 * canonical form.  0 with *r filled in, or -1 with the call failed.
 */
static int
add_one(struct call *call, struct book *book, const struct entry *e,
    const struct arg_value *k, struct packbuf *request,
    struct add_result *r)
{
	struct entry_change ch = {
		.action = ENTRY_CREATE, .after = e, .request = request,
		.key = k->state == ARG_GIVEN ? k->s : NULL,
		.keylen = k->len,
	};
	struct entry_meta m;
	int replay;

	if (entry_canonical(call, e, request) != 0)
		return -1;
	if (ch.key != NULL && (replay = add_replay(call, book, ch.key,
	    ch.keylen, request, r)) != 0)
		return replay > 0 ? 0 : -1;
	if (entry_write(call, book, &m, &ch) != 0)
		return -1;
	r->entry_id = m.entry_id;
	r->replayed = false;
	return 0;
}

static int
add_exec(struct call *call)
{
	struct add_result r;
	struct entry e;
	struct packbuf request;
	struct book book;
	int rc;

	entry_init(&e);
	if (entry_from_args(call, ADD_FIELDS, &e) != 0 ||
	    book_access_arg(call, ADD_BOOK_ID, BOOK_ADD, &book) != 0)
		return -1;
	packbuf_init(&request);
	rc = add_one(call, &book, &e, &call->args[ADD_IDEMPOTENCY_KEY],
	    &request, &r);
	packbuf_destroy(&request);
	if (rc == 0)
		add_pack(call, &r, &book);
	return rc;
}

const struct method method_entry_add = {
	.name = CB_METHOD_ENTRY_ADD,
	.exec = add_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = add_args,
};

/*
 * entry.add_batch: up to CB_BATCH_MAX entries in the request's one write
 * transaction, each exactly as entry.add would add it (the same write
 * path, history, key rules), so a failure anywhere rolls them all back.
 * The items were checked on the loop thread; each is parsed again here,
 * one at a time, into values on the stack.
 */
enum { BATCH_ITEM_FIELDS, BATCH_ITEM_KEY = ENTRY_ARG_COUNT };
static const struct arg_spec batch_item_args[] = {
	ENTRY_ARG_SPECS(ARG_REQUIRED, 0),
	[BATCH_ITEM_KEY] = { .name = "idempotency_key",
	    .type = ARG_TEXT, .min = 1,
	    .max = CB_IDEMPOTENCY_KEY_MAX },
	ARGS_END,
};

enum { BATCH_BOOK_ID, BATCH_ENTRIES };
static const struct arg_spec batch_args[] = {
	[BATCH_BOOK_ID] = BOOK_ARG_ID,
	[BATCH_ENTRIES] = { .name = "entries", .type = ARG_MAPS,
	    .flags = ARG_REQUIRED, .min = 1, .max = CB_BATCH_MAX,
	    .fields = batch_item_args },
	ARGS_END,
};

static void
batch_pack(struct call *call, const struct add_result *r, uint32_t n,
    const struct book *book)
{
	msgpack_pack_map(call->result, 2);
	rpc_pack_cstr(call->result, "results");
	msgpack_pack_array(call->result, n);
	for (uint32_t i = 0; i < n; i++) {
		msgpack_pack_map(call->result, 2);
		rpc_pack_cstr(call->result, "entry_id");
		msgpack_pack_int64(call->result, r[i].entry_id);
		rpc_pack_cstr(call->result, "replayed");
		rpc_pack_bool(call->result, r[i].replayed);
	}
	rpc_pack_cstr(call->result, "balance");
	msgpack_pack_int64(call->result, book_balance(book));
}

/* Item i: parsed, then added.  A failure names the item ("entries[17]:
 * ..."), whatever step it came from. */
static int
batch_add_item(struct call *call, struct book *book, uint32_t i,
    struct packbuf *request, struct add_result *r)
{
	const struct arg_spec *spec = &batch_args[BATCH_ENTRIES];
	struct arg_value values[ARGS_MAX];
	struct entry e;

	if (args_parse_item(call, spec, &call->args[BATCH_ENTRIES], i,
	    values) != 0)
		return -1;
	entry_init(&e);
	packbuf_clear(request);
	if (entry_from_values(call, &values[BATCH_ITEM_FIELDS], &e) != 0 ||
	    add_one(call, book, &e, &values[BATCH_ITEM_KEY], request, r) != 0)
		return call_fail_prefix(call, "%s[%u]", spec->name, i);
	return 0;
}

static int
batch_exec(struct call *call)
{
	uint32_t n = (uint32_t)call->args[BATCH_ENTRIES].len;
	struct add_result *results;
	struct packbuf request;
	struct book book;
	int rc = 0;

	if (book_access_arg(call, BATCH_BOOK_ID, BOOK_ADD, &book) != 0)
		return -1;
	if ((results = calloc(n, sizeof *results)) == NULL)
		return call_fail(call, CB_INTERNAL, "out of memory");
	packbuf_init(&request);
	for (uint32_t i = 0; i < n && rc == 0; i++)
		rc = batch_add_item(call, &book, i, &request, &results[i]);
	packbuf_destroy(&request);
	if (rc == 0)
		batch_pack(call, results, n, &book);
	free(results);
	return rc;
}

const struct method method_entry_add_batch = {
	.name = CB_METHOD_ENTRY_ADD_BATCH,
	.exec = batch_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = batch_args,
};

/* ---- entry.get ---- */

static int
get_exec(struct call *call)
{
	struct entry e;
	struct entry_meta m;
	struct book book;

	if (entry_load(call, BOOK_READ, &book, &e, NULL, &m) != 0)
		return -1;
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "entry");
	entry_pack_object(call->result, &e, &m, false, NULL);
	return 0;
}

const struct method method_entry_get = {
	.name = CB_METHOD_ENTRY_GET,
	.exec = get_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.args = id_args,
};

/* ---- entry.update ---- */

static int
update_exec(struct call *call)
{
	struct entry before, after;
	struct entry_change ch = {
		.action = ENTRY_UPDATE, .before = &before, .after = &after,
	};
	struct packbuf b, a;
	struct entry_meta m;
	struct book book;
	int rc = -1;

	if (entry_load(call, BOOK_EDIT, &book, &before, &after, &m) != 0 ||
	    entry_from_args(call, ENTRY_FIELDS, &after) != 0)
		return -1;
	if (m.deleted)
		return call_fail(call, CB_CONFLICT, "entry %lld is in the trash; "
		    "restore it first", (long long)m.entry_id);
	packbuf_init(&b);
	packbuf_init(&a);
	if (entry_canonical(call, &before, &b) != 0 ||
	    entry_canonical(call, &after, &a) != 0)
		goto out;
	/* A patch that changes nothing writes nothing. */
	if ((b.sb.size != a.sb.size || memcmp(b.sb.data, a.sb.data,
	    a.sb.size) != 0) && entry_write(call, &book, &m, &ch) != 0)
		goto out;
	pack_entry_balance(call, &after, &m, &book);
	rc = 0;
out:
	packbuf_destroy(&b);
	packbuf_destroy(&a);
	return rc;
}

const struct method method_entry_update = {
	.name = CB_METHOD_ENTRY_UPDATE,
	.exec = update_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH | METHOD_PATCH,
	.args = update_args,
};

/* ---- entry.delete and entry.restore ---- */

/* Move the entry into (deleted) or out of the trash. */
static int
trash_move(struct call *call, bool deleted)
{
	struct entry e;
	struct entry_change ch = {
		.action = deleted ? ENTRY_DELETE : ENTRY_RESTORE, .before = &e,
	};
	struct entry_meta m;
	struct book book;

	if (entry_load(call, BOOK_TRASH, &book, &e, NULL, &m) != 0)
		return -1;
	if (m.deleted == deleted)
		return call_fail(call, CB_CONFLICT, deleted ? "entry %lld is "
		    "already in the trash" : "entry %lld is not in the trash",
		    (long long)m.entry_id);
	if (entry_write(call, &book, &m, &ch) != 0)
		return -1;
	if (deleted) {
		msgpack_pack_map(call->result, 1);
		rpc_pack_cstr(call->result, "balance");
		msgpack_pack_int64(call->result, book_balance(&book));
	} else
		pack_entry_balance(call, &e, &m, &book);
	return 0;
}

static int
delete_exec(struct call *call)
{
	return trash_move(call, true);
}

static int
restore_exec(struct call *call)
{
	return trash_move(call, false);
}

const struct method method_entry_delete = {
	.name = CB_METHOD_ENTRY_DELETE,
	.exec = delete_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = id_args,
};

const struct method method_entry_restore = {
	.name = CB_METHOD_ENTRY_RESTORE,
	.exec = restore_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = id_args,
};

/* ---- entry.history ---- */

/*
 * Oldest first, a page at a time: the cursor (cursor.h) names the last
 * record returned, "h1.HISTORY_ID.CHECK" for this entry.
 */
static int history_cursor_check(struct call *call,
    const struct arg_spec *spec, struct arg_value *v);

enum { HISTORY_ENTRY_ID, HISTORY_LIMIT, HISTORY_CURSOR };
static const struct arg_spec history_args[] = {
	[HISTORY_ENTRY_ID] = ENTRY_ARG_ID,
	[HISTORY_LIMIT] = PAGE_ARG_LIMIT,
	[HISTORY_CURSOR] = PAGE_ARG_CURSOR(history_cursor_check),
	ARGS_END,
};

static int
history_cursor_check(struct call *call, const struct arg_spec *spec,
    struct arg_value *v)
{
	const int64_t ctx[1] = { call->args[HISTORY_ENTRY_ID].i };

	return call_cursor_id(call, spec, v, "h1", ctx, 1, "history");
}

static const char sql_history_page[] =
    "SELECT h.history_id, h.at, h.user_id, u.username, h.action, h.before, "
    "h.after FROM entry_history h LEFT JOIN users u ON u.user_id = h.user_id "
    "WHERE h.entry_id = ?1 AND h.history_id > ?2 ORDER BY h.history_id "
    "LIMIT ?3";

/* A stored fields map, decoded (which checks it) and packed again. */
static int
history_pack_fields(struct call *call, msgpack_packer *pk, sqlite3_stmt *stmt,
    int col)
{
	const void *blob = sqlite3_column_blob(stmt, col);
	msgpack_unpacked u;

	if (blob == NULL) {
		msgpack_pack_nil(pk);
		return 0;
	}
	msgpack_unpacked_init(&u);
	if (rpc_decode(blob, (size_t)sqlite3_column_bytes(stmt, col),
	    &u) != 0) {
		msgpack_unpacked_destroy(&u);
		return call_fail(call, CB_INTERNAL, "a history record is "
		    "damaged");
	}
	msgpack_pack_object(pk, u.data);
	msgpack_unpacked_destroy(&u);
	return 0;
}

static int
history_pack_row(struct call *call, msgpack_packer *pk, sqlite3_stmt *stmt)
{
	msgpack_pack_map(pk, 6);
	rpc_pack_cstr(pk, "at");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 1));
	rpc_pack_cstr(pk, "user_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 2));
	rpc_pack_cstr(pk, "username");
	entry_pack_column_text(pk, stmt, 3);
	rpc_pack_cstr(pk, "action");
	entry_pack_column_text(pk, stmt, 4);
	rpc_pack_cstr(pk, "before");
	if (history_pack_fields(call, pk, stmt, 5) != 0)
		return -1;
	rpc_pack_cstr(pk, "after");
	return history_pack_fields(call, pk, stmt, 6);
}

static int
history_exec(struct call *call)
{
	const struct arg_value *a = call->args;
	int64_t limit = call_has(call, HISTORY_LIMIT) ? a[HISTORY_LIMIT].i :
	    CB_LIST_MAX_LIMIT;
	const int64_t ctx[1] = { a[HISTORY_ENTRY_ID].i };
	const struct call_page page = {
		.key = "history", .tag = "h1", .ctx = ctx, .nctx = 1,
		.pack = history_pack_row, .what = "reading the history",
	};
	struct entry e;
	struct entry_meta m;
	struct book book;
	sqlite3_stmt *stmt;

	if (entry_load(call, BOOK_READ, &book, &e, NULL, &m) != 0 ||
	    (stmt = call_prepare(call, sql_history_page,
	    "reading the history")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, m.entry_id);
	sqlite3_bind_int64(stmt, 2, call_has(call, HISTORY_CURSOR) ?
	    a[HISTORY_CURSOR].decoded[0] : 0);
	sqlite3_bind_int64(stmt, 3, limit + 1);	/* one more: a next page? */
	return call_page_by_id(call, stmt, limit, &page);
}

const struct method method_entry_history = {
	.name = CB_METHOD_ENTRY_HISTORY,
	.exec = history_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.args = history_args,
};
