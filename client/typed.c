/*
 * typed.c -- libcashbook's typed calls: the common methods (books,
 * entries, balances, the entry list with its paging, reports) with plain C
 * structs in and out (cashbook.h, "typed calls").
 *
 * Each call builds its params from the caller's struct (struct args),
 * runs cb_call, and decodes the answer through tables of fields (struct
 * field, struct list_shape) into one allocation (struct result_mem) that
 * starts with the result struct, so the caller's cb_*_free is one free().
 * The allocation is sized before decoding from the reply itself: it can
 * hold every string the reply has and every array the reply can make us
 * point into, so decoding never reallocates and no pointer handed out ever
 * moves.
 *
 * Never trusts the reply's shape: a missing field, or one of another type,
 * is CB_EPROTO with a message naming it ("entries[3].amount is not an
 * integer"), never a crash and never a half-filled result.  Keeps no
 * state; reaches the socket only through cb_call.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods.h"
#include "rpc.h"

#include "cashbook.h"
#include "cashbook_msgpack.h"
#include "conn.h"

/* Decimals a currency may have (ISO 4217 has 0 to 4; an int64 holds 18). */
#define DECIMALS_MAX	18

/* ---- the result's memory ---- */

/* One calloc'd block: the result struct at base, then what it points to. */
struct result_mem {
	char *base;
	size_t used, cap;
};

static bool
size_add(size_t *total, size_t n)
{
	if (*total > SIZE_MAX - n)
		return false;
	*total += n;
	return true;
}

/*
 * Add to *total the most that copying o's strings (each NUL-terminated)
 * and pointing at its arrays of strings can take.  Overcounts (map keys,
 * arrays of maps); false when the sum overflows.  The scanner bounded the
 * nesting (CB_MAX_NESTING), so the recursion is shallow.
 */
static bool
reply_bound(const msgpack_object *o, size_t *total)
{
	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		return size_add(total, (size_t)o->via.str.size + 1);
	case MSGPACK_OBJECT_ARRAY:
		/* size is a uint32_t: the product fits a 64-bit size_t,
		 * and size_add catches a 32-bit one. */
		if (!size_add(total, alignof(char *)) ||
		    !size_add(total, (size_t)((uint64_t)o->via.array.size *
		    sizeof(char *) > SIZE_MAX ? SIZE_MAX :
		    (uint64_t)o->via.array.size * sizeof(char *))))
			return false;
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (!reply_bound(&o->via.array.ptr[i], total))
				return false;
		}
		return true;
	case MSGPACK_OBJECT_MAP:
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			if (!reply_bound(&o->via.map.ptr[i].key, total) ||
			    !reply_bound(&o->via.map.ptr[i].val, total))
				return false;
		}
		return true;
	default:
		return true;
	}
}

/*
 * Allocate the block for a result of head bytes holding nitems items of
 * item_size (aligned like max_align_t) and whatever it copies out of
 * reply.  CB_OK or CB_ENOMEM.
 */
static int
mem_open(struct result_mem *m, size_t head, size_t nitems, size_t item_size,
    const msgpack_object *reply)
{
	size_t cap = head;

	memset(m, 0, sizeof *m);
	if (item_size != 0 && nitems > SIZE_MAX / item_size)
		return CB_ENOMEM;
	if (!size_add(&cap, alignof(max_align_t)) ||
	    !size_add(&cap, nitems * item_size) ||
	    !reply_bound(reply, &cap))
		return CB_ENOMEM;
	m->base = calloc(1, cap);
	if (m->base == NULL)
		return CB_ENOMEM;
	m->cap = cap;
	m->used = head;
	return CB_OK;
}

/* n bytes aligned to align from the block (zeroed), or NULL when the
 * bound was wrong: a bug, reported as a protocol error, never an
 * overrun. */
static void *
mem_take(struct result_mem *m, size_t n, size_t align)
{
	size_t at = (m->used + align - 1) / align * align;

	if (at < m->used || at > m->cap || n > m->cap - at)
		return NULL;
	m->used = at + n;
	return m->base + at;
}

/* ---- decoding ---- */

struct decode {
	struct cb_conn *conn;
	const char *method;
	struct result_mem mem;
	char where[48];		/* the map being read: "", "entries[3]." */
};

static int
decode_fail(struct decode *d, const char *key, const char *problem)
{
	return cb_conn_fail(d->conn, CB_EPROTO, "cashbookd's answer to %s: "
	    "%s%s %s", d->method, d->where, key, problem);
}

enum field_kind {
	FIELD_INT,		/* int64_t */
	FIELD_INT_OR_NIL,	/* int64_t; the bool at aux: false for nil or
				   missing */
	FIELD_DECIMALS,		/* int, 0 .. DECIMALS_MAX */
	FIELD_BOOL,		/* bool */
	FIELD_STR,		/* const char * */
	FIELD_STR_OR_NIL,	/* const char *, NULL for nil or missing */
	FIELD_STR_ARRAY,	/* const char **; the size_t at aux: count */
	FIELD_ENTRY_TYPE	/* enum cb_entry_type, from "in" or "out" */
};

/* One key of a result map and where its value goes in a struct. */
struct field {
	const char *key;
	enum field_kind kind;
	size_t offset;
	size_t aux;
};

#define FIELD(type, key, kind, member) \
	{ key, kind, offsetof(type, member), 0 }
#define FIELD2(type, key, kind, member, aux) \
	{ key, kind, offsetof(type, member), offsetof(type, aux) }
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* A copy of the string o, NUL-terminated, into the result; NULL (with the
 * error recorded) when it is no string or holds a NUL byte. */
static const char *
decode_str(struct decode *d, const msgpack_object *o, const char *key,
    int *rc)
{
	char *s;

	if (o == NULL || o->type != MSGPACK_OBJECT_STR) {
		*rc = decode_fail(d, key, o == NULL ? "is missing" :
		    "is not a string");
		return NULL;
	}
	if (memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL) {
		*rc = decode_fail(d, key, "holds a NUL byte");
		return NULL;
	}
	if ((s = mem_take(&d->mem, (size_t)o->via.str.size + 1, 1)) == NULL) {
		*rc = decode_fail(d, key, "does not fit its bound");
		return NULL;
	}
	if (o->via.str.size > 0)
		memcpy(s, o->via.str.ptr, o->via.str.size);
	s[o->via.str.size] = '\0';
	return s;
}

static int
decode_str_array(struct decode *d, const msgpack_object *o, const char *key,
    const char ***out, size_t *n)
{
	const char **v;
	char name[64];
	int rc = CB_OK;

	if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY)
		return decode_fail(d, key, o == NULL ? "is missing" :
		    "is not an array");
	*n = o->via.array.size;
	if (*n == 0)
		return CB_OK;
	v = mem_take(&d->mem, *n * sizeof *v, alignof(const char *));
	if (v == NULL)
		return decode_fail(d, key, "does not fit its bound");
	for (size_t i = 0; i < *n && rc == CB_OK; i++) {
		snprintf(name, sizeof name, "%s[%zu]", key, i);
		v[i] = decode_str(d, &o->via.array.ptr[i], name, &rc);
	}
	*out = v;
	return rc;
}

/* One field of map into dst. */
static int
decode_field(struct decode *d, const msgpack_object *map,
    const struct field *f, char *dst)
{
	const msgpack_object *o = cb_map_get(map, f->key);
	const struct cb_value *v = cb_value_of(o);
	bool is_nil = o == NULL || o->type == MSGPACK_OBJECT_NIL;
	int64_t i64;
	int rc = CB_OK;

	switch (f->kind) {
	case FIELD_INT:
		if (cb_value_int(v, &i64) != CB_OK)
			return decode_fail(d, f->key, o == NULL ? "is missing" :
			    "is not an integer");
		memcpy(dst + f->offset, &i64, sizeof i64);
		return CB_OK;
	case FIELD_INT_OR_NIL:
		if (is_nil)
			return CB_OK;		/* the bool stays false */
		if (cb_value_int(v, &i64) != CB_OK)
			return decode_fail(d, f->key, "is not an integer");
		memcpy(dst + f->offset, &i64, sizeof i64);
		*(bool *)(dst + f->aux) = true;
		return CB_OK;
	case FIELD_DECIMALS:
		if (cb_value_int(v, &i64) != CB_OK || i64 < 0 ||
		    i64 > DECIMALS_MAX)
			return decode_fail(d, f->key, "is not an integer from "
			    "0 to 18");
		*(int *)(dst + f->offset) = (int)i64;
		return CB_OK;
	case FIELD_BOOL:
		if (cb_value_bool(v, (bool *)(dst + f->offset)) != CB_OK)
			return decode_fail(d, f->key, o == NULL ? "is missing" :
			    "is not a boolean");
		return CB_OK;
	case FIELD_STR_OR_NIL:
		if (is_nil)
			return CB_OK;		/* stays NULL */
		/* FALLTHROUGH */
	case FIELD_STR:
		*(const char **)(dst + f->offset) = decode_str(d, o, f->key,
		    &rc);
		return rc;
	case FIELD_STR_ARRAY:
		return decode_str_array(d, o, f->key,
		    (const char ***)(dst + f->offset),
		    (size_t *)(dst + f->aux));
	case FIELD_ENTRY_TYPE:
		if (rpc_obj_streq(o, "in"))
			*(enum cb_entry_type *)(dst + f->offset) = CB_ENTRY_IN;
		else if (rpc_obj_streq(o, "out"))
			*(enum cb_entry_type *)(dst + f->offset) =
			    CB_ENTRY_OUT;
		else
			return decode_fail(d, f->key, o == NULL ? "is missing" :
			    "is neither \"in\" nor \"out\"");
		return CB_OK;
	}
	return decode_fail(d, f->key, "has no decoder");
}

/* The map o (called name in messages, "" for the result itself) into dst
 * by fields. */
static int
decode_map(struct decode *d, const msgpack_object *o, const char *name,
    const struct field *fields, size_t n, void *dst)
{
	int rc;

	d->where[0] = '\0';
	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return decode_fail(d, name[0] != '\0' ? name : "the result",
		    o == NULL ? "is missing" : "is not a map");
	if (name[0] != '\0')
		snprintf(d->where, sizeof d->where, "%s.", name);
	for (size_t i = 0; i < n; i++) {
		if ((rc = decode_field(d, o, &fields[i], dst)) != CB_OK)
			return rc;
	}
	d->where[0] = '\0';
	return CB_OK;
}

/*
 * A result that is a page of items (book.list's books, entry.list's
 * entries, report.summary's rows): where the array is in the reply and
 * where it goes in the result struct.
 */
struct list_shape {
	const char *key;		/* the array in the result */
	const struct field *fields;	/* of each item */
	size_t nfields;
	size_t item_size, item_align;
	size_t head_size;		/* the result struct */
	size_t items_off, n_off;	/* its array pointer and count */
	const struct field *head_fields;  /* the result's other fields */
	size_t nhead_fields;
	const char *sub_key;		/* a map beside the array, or NULL, */
	const struct field *sub_fields;	/* its fields */
	size_t nsub_fields;
	size_t sub_off;			/* and where it goes */
};

/* Decode the result res of a list shape into *out (free() it). */
static int
decode_list(struct cb_conn *conn, const char *method,
    const msgpack_object *res, const struct list_shape *shape, void **out)
{
	const msgpack_object *arr = cb_map_get(res, shape->key);
	struct decode d = { .conn = conn, .method = method };
	char name[48];
	size_t n;
	char *items;
	int rc;

	*out = NULL;
	if (arr == NULL || arr->type != MSGPACK_OBJECT_ARRAY)
		return decode_fail(&d, shape->key, arr == NULL ?
		    "is missing" : "is not an array");
	n = arr->via.array.size;
	rc = mem_open(&d.mem, shape->head_size, n, shape->item_size, res);
	if (rc != CB_OK)
		return cb_conn_fail(conn, rc, "out of memory reading the "
		    "answer to %s", method);
	items = mem_take(&d.mem, n * shape->item_size, shape->item_align);
	if (items == NULL)
		rc = decode_fail(&d, shape->key, "does not fit its bound");
	for (size_t i = 0; i < n && rc == CB_OK; i++) {
		snprintf(name, sizeof name, "%s[%zu]", shape->key, i);
		rc = decode_map(&d, &arr->via.array.ptr[i], name,
		    shape->fields, shape->nfields,
		    items + i * shape->item_size);
	}
	if (rc == CB_OK)
		rc = decode_map(&d, res, "", shape->head_fields,
		    shape->nhead_fields, d.mem.base);
	if (rc == CB_OK && shape->sub_key != NULL)
		rc = decode_map(&d, cb_map_get(res, shape->sub_key),
		    shape->sub_key, shape->sub_fields, shape->nsub_fields,
		    d.mem.base + shape->sub_off);
	if (rc != CB_OK) {
		free(d.mem.base);
		return rc;
	}
	memcpy(d.mem.base + shape->items_off, &items, sizeof items);
	memcpy(d.mem.base + shape->n_off, &n, sizeof n);
	*out = d.mem.base;
	return CB_OK;
}

/* Decode the map o (called name) of res into a new result of size bytes
 * (free() it). */
static int
decode_one(struct cb_conn *conn, const char *method,
    const msgpack_object *o, const char *name, const struct field *fields,
    size_t nfields, size_t size, void **out)
{
	struct decode d = { .conn = conn, .method = method };
	int rc;

	*out = NULL;
	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return decode_map(&d, o, name, fields, nfields, NULL);
	if ((rc = mem_open(&d.mem, size, 0, 0, o)) != CB_OK)
		return cb_conn_fail(conn, rc, "out of memory reading the "
		    "answer to %s", method);
	rc = decode_map(&d, o, name, fields, nfields, d.mem.base);
	if (rc != CB_OK) {
		free(d.mem.base);
		return rc;
	}
	*out = d.mem.base;
	return CB_OK;
}

/* Decode fields of the map o into the caller's struct dst, which holds
 * no pointers (nothing is allocated). */
static int
decode_plain(struct cb_conn *conn, const char *method,
    const msgpack_object *o, const struct field *fields, size_t nfields,
    void *dst)
{
	struct decode d = { .conn = conn, .method = method };

	return decode_map(&d, o, "", fields, nfields, dst);
}

/* ---- the results' tables ---- */

static const struct field book_fields[] = {
	FIELD(struct cb_book, "book_id", FIELD_INT, book_id),
	FIELD(struct cb_book, "name", FIELD_STR, name),
	FIELD(struct cb_book, "currency", FIELD_STR, currency),
	FIELD(struct cb_book, "decimals", FIELD_DECIMALS, decimals),
	FIELD(struct cb_book, "description", FIELD_STR_OR_NIL, description),
	FIELD(struct cb_book, "cash_in", FIELD_INT, cash_in),
	FIELD(struct cb_book, "cash_out", FIELD_INT, cash_out),
	FIELD(struct cb_book, "balance", FIELD_INT, balance),
	FIELD(struct cb_book, "count", FIELD_INT, count),
	FIELD(struct cb_book, "created_at", FIELD_INT, created_at),
	FIELD(struct cb_book, "updated_at", FIELD_INT, updated_at),
	FIELD(struct cb_book, "role", FIELD_STR, role),
	FIELD2(struct cb_book, "permissions", FIELD_STR_ARRAY, permissions,
	    npermissions),
	FIELD(struct cb_book, "owner_id", FIELD_INT, owner_id),
	FIELD(struct cb_book, "owner_username", FIELD_STR, owner_username),
};

static const struct field entry_fields[] = {
	FIELD(struct cb_entry, "entry_id", FIELD_INT, entry_id),
	FIELD(struct cb_entry, "book_id", FIELD_INT, book_id),
	FIELD(struct cb_entry, "type", FIELD_ENTRY_TYPE, type),
	FIELD(struct cb_entry, "amount", FIELD_INT, amount),
	FIELD(struct cb_entry, "date", FIELD_STR, date),
	FIELD(struct cb_entry, "time", FIELD_STR_OR_NIL, time),
	FIELD(struct cb_entry, "category", FIELD_STR_OR_NIL, category),
	FIELD(struct cb_entry, "mode", FIELD_STR_OR_NIL, mode),
	FIELD(struct cb_entry, "party", FIELD_STR_OR_NIL, party),
	FIELD(struct cb_entry, "note", FIELD_STR_OR_NIL, note),
	FIELD(struct cb_entry, "reference", FIELD_STR_OR_NIL, reference),
	FIELD2(struct cb_entry, "tags", FIELD_STR_ARRAY, tags, ntags),
	FIELD(struct cb_entry, "idempotency_key", FIELD_STR_OR_NIL,
	    idempotency_key),
	FIELD(struct cb_entry, "deleted", FIELD_BOOL, deleted),
	FIELD(struct cb_entry, "created_at", FIELD_INT, created_at),
	FIELD(struct cb_entry, "created_by", FIELD_INT, created_by),
	FIELD(struct cb_entry, "updated_at", FIELD_INT, updated_at),
	FIELD(struct cb_entry, "updated_by", FIELD_INT, updated_by),
	FIELD2(struct cb_entry, "running_balance", FIELD_INT_OR_NIL,
	    running_balance, has_running_balance),
};

static const struct field balance_fields[] = {
	FIELD(struct cb_balance, "cash_in", FIELD_INT, cash_in),
	FIELD(struct cb_balance, "cash_out", FIELD_INT, cash_out),
	FIELD(struct cb_balance, "balance", FIELD_INT, balance),
	FIELD(struct cb_balance, "count", FIELD_INT, count),
	FIELD(struct cb_balance, "decimals", FIELD_DECIMALS, decimals),
};

static const struct field added_fields[] = {
	FIELD(struct cb_entry_added, "entry_id", FIELD_INT, entry_id),
	FIELD(struct cb_entry_added, "balance", FIELD_INT, balance),
	FIELD(struct cb_entry_added, "replayed", FIELD_BOOL, replayed),
};

static const struct field report_row_fields[] = {
	FIELD(struct cb_report_row, "key", FIELD_STR_OR_NIL, key),
	FIELD(struct cb_report_row, "cash_in", FIELD_INT, cash_in),
	FIELD(struct cb_report_row, "cash_out", FIELD_INT, cash_out),
	FIELD(struct cb_report_row, "net", FIELD_INT, net),
	FIELD(struct cb_report_row, "count", FIELD_INT, count),
};

static const struct field book_page_fields[] = {
	FIELD(struct cb_book_page, "next_cursor", FIELD_STR_OR_NIL,
	    next_cursor),
};

static const struct field entry_page_fields[] = {
	FIELD(struct cb_entry_page, "next_cursor", FIELD_STR_OR_NIL,
	    next_cursor),
};

static const struct list_shape book_page_shape = {
	.key = "books",
	.fields = book_fields, .nfields = NFIELDS(book_fields),
	.item_size = sizeof(struct cb_book),
	.item_align = alignof(struct cb_book),
	.head_size = sizeof(struct cb_book_page),
	.items_off = offsetof(struct cb_book_page, books),
	.n_off = offsetof(struct cb_book_page, n),
	.head_fields = book_page_fields,
	.nhead_fields = NFIELDS(book_page_fields),
};

static const struct list_shape entry_page_shape = {
	.key = "entries",
	.fields = entry_fields, .nfields = NFIELDS(entry_fields),
	.item_size = sizeof(struct cb_entry),
	.item_align = alignof(struct cb_entry),
	.head_size = sizeof(struct cb_entry_page),
	.items_off = offsetof(struct cb_entry_page, entries),
	.n_off = offsetof(struct cb_entry_page, n),
	.head_fields = entry_page_fields,
	.nhead_fields = NFIELDS(entry_page_fields),
};

static const struct list_shape report_shape = {
	.key = "rows",
	.fields = report_row_fields, .nfields = NFIELDS(report_row_fields),
	.item_size = sizeof(struct cb_report_row),
	.item_align = alignof(struct cb_report_row),
	.head_size = sizeof(struct cb_report),
	.items_off = offsetof(struct cb_report, rows),
	.n_off = offsetof(struct cb_report, n),
	.head_fields = NULL,
	.nhead_fields = 0,
	/* The total is a row whose key is missing (NULL). */
	.sub_key = "total",
	.sub_fields = report_row_fields,
	.nsub_fields = NFIELDS(report_row_fields),
	.sub_off = offsetof(struct cb_report, total),
};

/* ---- params ---- */

/* A typed call's params: the first failure sticks, so a call adds every
 * argument and checks once. */
struct args {
	struct cb_params *p;
	int rc;
};

static void
args_open(struct args *a, const struct cb_conn *conn)
{
	const char *token = cb_conn_token(conn);

	a->p = cb_params_new();
	a->rc = a->p == NULL ? CB_ENOMEM : CB_OK;
	if (a->rc == CB_OK && token != NULL)
		a->rc = cb_params_str(a->p, "token", token);
}

/* A string argument; NULL leaves the key out. */
static void
args_str(struct args *a, const char *key, const char *value)
{
	if (a->rc == CB_OK && value != NULL)
		a->rc = cb_params_str(a->p, key, value);
}

/* A string argument of a patch; NULL sends nil (clears the field). */
static void
args_str_or_nil(struct args *a, const char *key, const char *value)
{
	if (a->rc != CB_OK)
		return;
	a->rc = value != NULL ? cb_params_str(a->p, key, value) :
	    cb_params_nil(a->p, key);
}

static void
args_int(struct args *a, const char *key, int64_t value)
{
	if (a->rc == CB_OK)
		a->rc = cb_params_int(a->p, key, value);
}

static void
args_bool(struct args *a, const char *key, bool value)
{
	if (a->rc == CB_OK)
		a->rc = cb_params_bool(a->p, key, value);
}

static void
args_str_array(struct args *a, const char *key, const char *const *values,
    size_t n)
{
	if (a->rc == CB_OK)
		a->rc = cb_params_str_array(a->p, key, values, n);
}

/* Call method with a's params and free them.  A failure to build them
 * is reported here, with the method's name. */
static int
args_call(struct cb_conn *conn, const char *method, struct args *a,
    struct cb_reply **r)
{
	int rc = a->rc;

	*r = NULL;
	if (rc == CB_OK)
		rc = cb_call(conn, method, a->p, r);
	else
		rc = cb_conn_fail(conn, rc, "cannot send %s: %s", method,
		    rc == CB_ENOMEM ? "out of memory" :
		    "an argument is too large for a message");
	cb_params_free(a->p);
	a->p = NULL;
	return rc;
}

/* A bad argument from the caller: CB_EINVAL, said in cb_error_message. */
static int
arg_fail(struct cb_conn *conn, const char *fn, const char *problem)
{
	return cb_conn_fail(conn, CB_EINVAL, "%s: %s", fn, problem);
}

static const char *
entry_type_name(enum cb_entry_type type)
{
	switch (type) {
	case CB_ENTRY_IN:	return "in";
	case CB_ENTRY_OUT:	return "out";
	default:		return NULL;
	}
}

/* The text fields of struct cb_entry_fields, with their patch flags. */
static const struct {
	const char *key;
	unsigned int flag;
	size_t offset;
} entry_text[] = {
#define T(key, flag, member) \
	{ key, flag, offsetof(struct cb_entry_fields, member) }
	T("date", CB_FIELD_DATE, date),
	T("time", CB_FIELD_TIME, time),
	T("category", CB_FIELD_CATEGORY, category),
	T("mode", CB_FIELD_MODE, mode),
	T("party", CB_FIELD_PARTY, party),
	T("note", CB_FIELD_NOTE, note),
	T("reference", CB_FIELD_REFERENCE, reference),
#undef T
};

/*
 * The fields of f named in change, as entry.add (patch false: NULL strings
 * and no tags are left out) or entry.update (patch true: NULL strings are
 * nil, which clears them; no tags is [], which clears them) take them.
 */
static void
args_entry_fields(struct args *a, const struct cb_entry_fields *f,
    unsigned int change, bool patch)
{
	if (change & CB_FIELD_TYPE)
		args_str(a, "type", entry_type_name(f->type));
	if (change & CB_FIELD_AMOUNT)
		args_int(a, "amount", f->amount);
	for (size_t i = 0; i < NFIELDS(entry_text); i++) {
		const char *v;

		if (!(change & entry_text[i].flag))
			continue;
		memcpy(&v, (const char *)f + entry_text[i].offset, sizeof v);
		if (patch)
			args_str_or_nil(a, entry_text[i].key, v);
		else
			args_str(a, entry_text[i].key, v);
	}
	if ((change & CB_FIELD_TAGS) && (patch || f->ntags > 0))
		args_str_array(a, "tags", f->tags, f->ntags);
}

/* ---- books ---- */

int
cb_book_list(struct cb_conn *conn, int limit, const char *cursor,
    struct cb_book_page **out)
{
	struct cb_reply *r;
	struct args a;
	void *page;
	int rc;

	if (out == NULL || conn == NULL)
		return CB_EINVAL;
	*out = NULL;
	if (limit < 0)
		return arg_fail(conn, "cb_book_list", "limit is negative");
	args_open(&a, conn);
	if (limit > 0)
		args_int(&a, "limit", limit);
	args_str(&a, "cursor", cursor);
	if ((rc = args_call(conn, CB_METHOD_BOOK_LIST, &a, &r)) != CB_OK)
		return rc;
	rc = decode_list(conn, CB_METHOD_BOOK_LIST, cb_reply_result(r),
	    &book_page_shape, &page);
	cb_reply_free(r);
	*out = page;
	return rc;
}

void
cb_book_page_free(struct cb_book_page *page)
{
	free(page);
}

/* The "book" of r's result into *out. */
static int
book_result(struct cb_conn *conn, const char *method, struct cb_reply *r,
    struct cb_book **out)
{
	void *book;
	int rc;

	rc = decode_one(conn, method, cb_map_get(cb_reply_result(r), "book"),
	    "book", book_fields, NFIELDS(book_fields), sizeof(struct cb_book),
	    &book);
	cb_reply_free(r);
	*out = book;
	return rc;
}

int
cb_book_create(struct cb_conn *conn, const char *name, const char *currency,
    const char *description, struct cb_book **out)
{
	struct cb_reply *r;
	struct args a;
	int rc;

	if (out == NULL || conn == NULL)
		return CB_EINVAL;
	*out = NULL;
	if (name == NULL)
		return arg_fail(conn, "cb_book_create", "the name is NULL");
	args_open(&a, conn);
	args_str(&a, "name", name);
	args_str(&a, "currency", currency);
	args_str(&a, "description", description);
	if ((rc = args_call(conn, CB_METHOD_BOOK_CREATE, &a, &r)) != CB_OK)
		return rc;
	return book_result(conn, CB_METHOD_BOOK_CREATE, r, out);
}

int
cb_book_get(struct cb_conn *conn, int64_t book_id, struct cb_book **out)
{
	struct cb_reply *r;
	struct args a;
	int rc;

	if (out == NULL || conn == NULL)
		return CB_EINVAL;
	*out = NULL;
	args_open(&a, conn);
	args_int(&a, "book_id", book_id);
	if ((rc = args_call(conn, CB_METHOD_BOOK_GET, &a, &r)) != CB_OK)
		return rc;
	return book_result(conn, CB_METHOD_BOOK_GET, r, out);
}

void
cb_book_free(struct cb_book *book)
{
	free(book);
}

int
cb_book_balance(struct cb_conn *conn, int64_t book_id,
    struct cb_balance *out)
{
	struct cb_balance b = { 0 };
	const msgpack_object *res;
	struct cb_reply *r;
	struct args a;
	int rc;

	if (out == NULL || conn == NULL)
		return CB_EINVAL;
	memset(out, 0, sizeof *out);
	args_open(&a, conn);
	args_int(&a, "book_id", book_id);
	if ((rc = args_call(conn, CB_METHOD_BOOK_BALANCE, &a, &r)) != CB_OK)
		return rc;
	res = cb_reply_result(r);
	rc = decode_plain(conn, CB_METHOD_BOOK_BALANCE, res, balance_fields,
	    NFIELDS(balance_fields), &b);
	/* Three capitals: the daemon refuses any other currency. */
	if (rc == CB_OK && (cb_map_get_str(res, "currency", b.currency,
	    sizeof b.currency) != CB_OK || strlen(b.currency) != 3))
		rc = cb_conn_fail(conn, CB_EPROTO, "cashbookd's answer to %s: "
		    "currency is not a three-letter code",
		    CB_METHOD_BOOK_BALANCE);
	cb_reply_free(r);
	if (rc == CB_OK)
		*out = b;
	return rc;
}

/* ---- entries ---- */

int
cb_entry_add(struct cb_conn *conn, int64_t book_id,
    const struct cb_entry_fields *fields, const char *idempotency_key,
    struct cb_entry_added *out)
{
	struct cb_entry_added added = { 0 };
	struct cb_reply *r;
	struct args a;
	int rc;

	if (out == NULL || conn == NULL)
		return CB_EINVAL;
	memset(out, 0, sizeof *out);
	if (fields == NULL)
		return arg_fail(conn, "cb_entry_add", "the fields are NULL");
	if (entry_type_name(fields->type) == NULL)
		return arg_fail(conn, "cb_entry_add", "the type is neither "
		    "CB_ENTRY_IN nor CB_ENTRY_OUT");
	if (fields->date == NULL)
		return arg_fail(conn, "cb_entry_add", "the date is NULL");
	if (fields->ntags > 0 && fields->tags == NULL)
		return arg_fail(conn, "cb_entry_add", "ntags is not 0 but "
		    "tags is NULL");
	args_open(&a, conn);
	args_int(&a, "book_id", book_id);
	args_entry_fields(&a, fields, ~0u, false);
	args_str(&a, "idempotency_key", idempotency_key);
	if ((rc = args_call(conn, CB_METHOD_ENTRY_ADD, &a, &r)) != CB_OK)
		return rc;
	rc = decode_plain(conn, CB_METHOD_ENTRY_ADD, cb_reply_result(r),
	    added_fields, NFIELDS(added_fields), &added);
	cb_reply_free(r);
	if (rc == CB_OK)
		*out = added;
	return rc;
}

/* The "entry" of r's result into *out (when out is not NULL). */
static int
entry_result(struct cb_conn *conn, const char *method,
    const msgpack_object *res, struct cb_entry **out)
{
	void *entry;
	int rc;

	if (out == NULL)
		return CB_OK;
	rc = decode_one(conn, method, cb_map_get(res, "entry"), "entry",
	    entry_fields, NFIELDS(entry_fields), sizeof(struct cb_entry),
	    &entry);
	*out = entry;
	return rc;
}

/* The "balance" of res into *balance (when balance is not NULL). */
static int
balance_result(struct cb_conn *conn, const char *method,
    const msgpack_object *res, int64_t *balance)
{
	int64_t v;

	if (balance == NULL)
		return CB_OK;
	if (cb_map_get_int(res, "balance", &v) != CB_OK)
		return cb_conn_fail(conn, CB_EPROTO, "cashbookd's answer to "
		    "%s: balance is missing or not an integer", method);
	*balance = v;
	return CB_OK;
}

int
cb_entry_get(struct cb_conn *conn, int64_t entry_id, struct cb_entry **out)
{
	struct cb_reply *r;
	struct args a;
	int rc;

	if (out == NULL || conn == NULL)
		return CB_EINVAL;
	*out = NULL;
	args_open(&a, conn);
	args_int(&a, "entry_id", entry_id);
	if ((rc = args_call(conn, CB_METHOD_ENTRY_GET, &a, &r)) != CB_OK)
		return rc;
	rc = entry_result(conn, CB_METHOD_ENTRY_GET, cb_reply_result(r), out);
	cb_reply_free(r);
	return rc;
}

void
cb_entry_free(struct cb_entry *entry)
{
	free(entry);
}

int
cb_entry_update(struct cb_conn *conn, int64_t entry_id,
    const struct cb_entry_patch *patch, struct cb_entry **entry,
    int64_t *balance)
{
	const msgpack_object *res;
	struct cb_reply *r;
	struct args a;
	int rc;

	if (entry != NULL)
		*entry = NULL;
	if (conn == NULL)
		return CB_EINVAL;
	if (patch == NULL)
		return arg_fail(conn, "cb_entry_update", "the patch is NULL");
	if ((patch->change & CB_FIELD_TYPE) &&
	    entry_type_name(patch->to.type) == NULL)
		return arg_fail(conn, "cb_entry_update", "the type is neither "
		    "CB_ENTRY_IN nor CB_ENTRY_OUT");
	if ((patch->change & CB_FIELD_TAGS) && patch->to.ntags > 0 &&
	    patch->to.tags == NULL)
		return arg_fail(conn, "cb_entry_update", "ntags is not 0 but "
		    "tags is NULL");
	args_open(&a, conn);
	args_int(&a, "entry_id", entry_id);
	args_entry_fields(&a, &patch->to, patch->change, true);
	if ((rc = args_call(conn, CB_METHOD_ENTRY_UPDATE, &a, &r)) != CB_OK)
		return rc;
	res = cb_reply_result(r);
	rc = balance_result(conn, CB_METHOD_ENTRY_UPDATE, res, balance);
	if (rc == CB_OK)
		rc = entry_result(conn, CB_METHOD_ENTRY_UPDATE, res, entry);
	cb_reply_free(r);
	return rc;
}

int
cb_entry_delete(struct cb_conn *conn, int64_t entry_id, int64_t *balance)
{
	struct cb_reply *r;
	struct args a;
	int rc;

	if (conn == NULL)
		return CB_EINVAL;
	args_open(&a, conn);
	args_int(&a, "entry_id", entry_id);
	if ((rc = args_call(conn, CB_METHOD_ENTRY_DELETE, &a, &r)) != CB_OK)
		return rc;
	rc = balance_result(conn, CB_METHOD_ENTRY_DELETE, cb_reply_result(r),
	    balance);
	cb_reply_free(r);
	return rc;
}

/* The filter's arguments of entry.list (all zero: none). */
static int
args_entry_filter(struct cb_conn *conn, struct args *a,
    const struct cb_entry_filter *f)
{
	if (f->type != CB_ENTRY_ANY && entry_type_name(f->type) == NULL)
		return arg_fail(conn, "cb_entry_list", "the type is neither "
		    "CB_ENTRY_ANY, CB_ENTRY_IN nor CB_ENTRY_OUT");
	if (f->limit < 0)
		return arg_fail(conn, "cb_entry_list", "limit is negative");
	args_str(a, "from", f->from);
	args_str(a, "to", f->to);
	args_str(a, "type", entry_type_name(f->type));
	args_str(a, "category", f->category);
	args_str(a, "mode", f->mode);
	args_str(a, "party", f->party);
	args_str(a, "tag", f->tag);
	args_str(a, "q", f->q);
	if (f->amount_min != 0)
		args_int(a, "amount_min", f->amount_min);
	if (f->amount_max != 0)
		args_int(a, "amount_max", f->amount_max);
	if (f->trash)
		args_bool(a, "trash", true);
	if (f->oldest_first)
		args_str(a, "order", "asc");
	if (f->limit > 0)
		args_int(a, "limit", f->limit);
	return CB_OK;
}

int
cb_entry_list(struct cb_conn *conn, int64_t book_id,
    const struct cb_entry_filter *filter, const char *cursor,
    struct cb_entry_page **out)
{
	static const struct cb_entry_filter none;
	struct cb_reply *r;
	struct args a;
	void *page;
	int rc;

	if (out == NULL || conn == NULL)
		return CB_EINVAL;
	*out = NULL;
	args_open(&a, conn);
	args_int(&a, "book_id", book_id);
	rc = args_entry_filter(conn, &a, filter != NULL ? filter : &none);
	if (rc != CB_OK) {
		cb_params_free(a.p);
		return rc;
	}
	args_str(&a, "cursor", cursor);
	if ((rc = args_call(conn, CB_METHOD_ENTRY_LIST, &a, &r)) != CB_OK)
		return rc;
	rc = decode_list(conn, CB_METHOD_ENTRY_LIST, cb_reply_result(r),
	    &entry_page_shape, &page);
	cb_reply_free(r);
	*out = page;
	return rc;
}

void
cb_entry_page_free(struct cb_entry_page *page)
{
	free(page);
}

/* ---- reports ---- */

static const char *
report_by_name(enum cb_report_by by)
{
	switch (by) {
	case CB_REPORT_BY_CATEGORY:	return "category";
	case CB_REPORT_BY_MONTH:	return "month";
	case CB_REPORT_BY_MODE:		return "mode";
	case CB_REPORT_BY_PARTY:	return "party";
	default:			return NULL;
	}
}

int
cb_report_summary(struct cb_conn *conn, int64_t book_id,
    enum cb_report_by by, const char *from, const char *to,
    struct cb_report **out)
{
	struct cb_reply *r;
	struct args a;
	void *report;
	int rc;

	if (out == NULL || conn == NULL)
		return CB_EINVAL;
	*out = NULL;
	if (report_by_name(by) == NULL)
		return arg_fail(conn, "cb_report_summary", "by is not one of "
		    "the CB_REPORT_BY_* values");
	args_open(&a, conn);
	args_int(&a, "book_id", book_id);
	args_str(&a, "by", report_by_name(by));
	args_str(&a, "from", from);
	args_str(&a, "to", to);
	if ((rc = args_call(conn, CB_METHOD_REPORT_SUMMARY, &a, &r)) != CB_OK)
		return rc;
	rc = decode_list(conn, CB_METHOD_REPORT_SUMMARY, cb_reply_result(r),
	    &report_shape, &report);
	cb_reply_free(r);
	*out = report;
	return rc;
}

void
cb_report_free(struct cb_report *report)
{
	free(report);
}
