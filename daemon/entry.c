/*
 * entry.c -- an entry's fields: request, row, canonical msgpack (see
 * entry.h).
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "caldate.h"
#include "entry.h"
#include "money.h"
#include "rpc.h"
#include "text.h"

const char *const entry_text_names[ENTRY_TEXT_COUNT] = {
	[ENTRY_CATEGORY] = "category",
	[ENTRY_MODE] = "mode",
	[ENTRY_PARTY] = "party",
	[ENTRY_NOTE] = "note",
	[ENTRY_REFERENCE] = "reference",
};

static size_t
entry_text_max(enum entry_text t)
{
	return t == ENTRY_NOTE ? CB_ENTRY_NOTE_MAX : CB_ENTRY_TEXT_MAX;
}

/* Copy s[0..len) into e's store, NUL-terminated; NULL when it is full
 * (cannot happen within the limits: ENTRY_STORE_MAX covers a whole entry
 * twice, the row's values plus a patch's). */
static const char *
entry_keep(struct entry *e, const char *s, size_t len)
{
	char *p;

	if (len + 1 > sizeof e->store - e->used)
		return NULL;
	p = e->store + e->used;
	memcpy(p, s, len);
	p[len] = '\0';
	e->used += len + 1;
	return p;
}

void
entry_format_date(int32_t date, char buf[11])
{
	unsigned d = (unsigned)date;

	snprintf(buf, 11, "%04u-%02u-%02u", d / 10000 % 10000, d / 100 % 100,
	    d % 100);
}

int
entry_date_arg(struct call *call, const char *key, bool required,
    int32_t *date, bool *present)
{
	const char *s;
	size_t len;
	int y, m, d;
	bool given;

	if (args_str(call, key, required, 10, &s, &len, &given) != 0)
		return -1;
	if (present != NULL)
		*present = given;
	if (!given)
		return 0;
	if (!caldate_parse(s, len, &y, &m, &d))
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be a "
		    "real date written YYYY-MM-DD, from %d-01-01 to "
		    "%d-12-31", key, CB_CALDATE_MIN_YEAR, CB_CALDATE_MAX_YEAR);
	*date = (int32_t)(y * 10000 + m * 100 + d);
	return 0;
}

int
entry_text_arg(struct call *call, const char *key, size_t max, bool lines,
    bool nil_ok, const char **s, size_t *len, bool *present)
{
	const msgpack_object *v = rpc_map_get(call->params, key);

	*present = v != NULL;
	if (v == NULL)
		return 0;
	if (v->type == MSGPACK_OBJECT_NIL && nil_ok) {
		*s = NULL;
		*len = 0;
		return 0;
	}
	if (v->type != MSGPACK_OBJECT_STR)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be a "
		    "string%s", key, nil_ok ? " or nil" : "");
	if (v->via.str.size == 0 || v->via.str.size > max)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be "
		    "1 to %zu bytes%s", key, max, nil_ok ? " (nil for none)" :
		    "");
	if (!(lines ? text_is_clean_lines : text_is_clean)(v->via.str.ptr,
	    v->via.str.size))
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be "
		    "valid UTF-8 without control characters", key);
	*s = v->via.str.ptr;
	*len = v->via.str.size;
	return 0;
}

static int
entry_type_arg(struct call *call, bool patch, struct entry *e, int *changed)
{
	const msgpack_object *v = rpc_map_get(call->params, "type");

	if (v == NULL)
		return patch ? 0 : call_fail(call, CB_BAD_REQUEST,
		    "missing field 'type'");
	if (rpc_obj_streq(v, "in") && v->type == MSGPACK_OBJECT_STR)
		e->is_in = true;
	else if (rpc_obj_streq(v, "out") && v->type == MSGPACK_OBJECT_STR)
		e->is_in = false;
	else
		return call_fail(call, CB_BAD_REQUEST, "field 'type' must be "
		    "\"in\" or \"out\"");
	(*changed)++;
	return 0;
}

static int
entry_amount_arg(struct call *call, bool patch, struct entry *e,
    int *changed)
{
	const msgpack_object *v = rpc_map_get(call->params, "amount");

	if (v == NULL)
		return patch ? 0 : call_fail(call, CB_BAD_REQUEST,
		    "missing field 'amount'");
	/* Only a positive msgpack integer: never a float or a string, so a
	 * client cannot send 12.5 and have it mean anything. */
	if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 < 1 ||
	    v->via.u64 > (uint64_t)CB_MONEY_MAX_AMOUNT)
		return call_fail(call, CB_BAD_REQUEST, "field 'amount' must be "
		    "an integer count of minor units from 1 to %lld",
		    (long long)CB_MONEY_MAX_AMOUNT);
	e->amount = (int64_t)v->via.u64;
	(*changed)++;
	return 0;
}

static int
entry_time_arg(struct call *call, struct entry *e, int *changed)
{
	const msgpack_object *v = rpc_map_get(call->params, "time");
	int h, min;

	if (v == NULL)
		return 0;
	(*changed)++;
	if (v->type == MSGPACK_OBJECT_NIL) {
		e->minute = -1;
		return 0;
	}
	if (v->type != MSGPACK_OBJECT_STR ||
	    !caldate_parse_time(v->via.str.ptr, v->via.str.size, &h, &min))
		return call_fail(call, CB_BAD_REQUEST, "field 'time' must be "
		    "HH:MM from 00:00 to 23:59, or nil");
	e->minute = h * 60 + min;
	return 0;
}

static int
entry_texts_arg(struct call *call, struct entry *e, int *changed)
{
	for (int t = 0; t < ENTRY_TEXT_COUNT; t++) {
		const char *s;
		size_t len;
		bool present;

		if (entry_text_arg(call, entry_text_names[t],
		    entry_text_max(t), t == ENTRY_NOTE, true, &s, &len,
		    &present) != 0)
			return -1;
		if (!present)
			continue;
		(*changed)++;
		if (s == NULL)
			e->text[t] = NULL;
		else if ((e->text[t] = entry_keep(e, s, len)) == NULL)
			return call_fail(call, CB_INTERNAL, "entry too large");
	}
	return 0;
}

/* One tag: 1..CB_ENTRY_TAG_MAX bytes of clean text, not seen before. */
static int
entry_tag_check(struct call *call, const msgpack_object *tags, uint32_t i)
{
	const msgpack_object *t = &tags->via.array.ptr[i];

	if (t->type != MSGPACK_OBJECT_STR || t->via.str.size == 0 ||
	    t->via.str.size > CB_ENTRY_TAG_MAX ||
	    !text_is_clean(t->via.str.ptr, t->via.str.size))
		return call_fail(call, CB_BAD_REQUEST, "field 'tags' must hold "
		    "strings of 1 to %d bytes of UTF-8 without control "
		    "characters (tag %u is not)", CB_ENTRY_TAG_MAX, i + 1);
	for (uint32_t j = 0; j < i; j++) {
		const msgpack_object *u = &tags->via.array.ptr[j];

		if (u->via.str.size == t->via.str.size && memcmp(u->via.str.ptr,
		    t->via.str.ptr, t->via.str.size) == 0)
			return call_fail(call, CB_BAD_REQUEST, "field 'tags' "
			    "holds '%.*s' twice", (int)t->via.str.size,
			    t->via.str.ptr);
	}
	return 0;
}

static int
entry_tags_arg(struct call *call, struct entry *e, int *changed)
{
	const msgpack_object *v = rpc_map_get(call->params, "tags");
	char joined[CB_ENTRY_TAGS_MAX * (CB_ENTRY_TAG_MAX + 1)];
	size_t len = 0;

	if (v == NULL)
		return 0;
	(*changed)++;
	if (v->type == MSGPACK_OBJECT_NIL) {
		e->tags = NULL;
		return 0;
	}
	if (v->type != MSGPACK_OBJECT_ARRAY ||
	    v->via.array.size > CB_ENTRY_TAGS_MAX)
		return call_fail(call, CB_BAD_REQUEST, "field 'tags' must be an "
		    "array of at most %d strings, or nil", CB_ENTRY_TAGS_MAX);
	for (uint32_t i = 0; i < v->via.array.size; i++) {
		const msgpack_object *t = &v->via.array.ptr[i];

		if (entry_tag_check(call, v, i) != 0)
			return -1;
		if (i > 0)
			joined[len++] = '\n';
		memcpy(joined + len, t->via.str.ptr, t->via.str.size);
		len += t->via.str.size;
	}
	if (len == 0)
		e->tags = NULL;
	else if ((e->tags = entry_keep(e, joined, len)) == NULL)
		return call_fail(call, CB_INTERNAL, "entry too large");
	return 0;
}

int
entry_from_params(struct call *call, bool patch, struct entry *e,
    int *changed)
{
	int count = 0;
	bool present;

	if (!patch) {
		memset(e, 0, offsetof(struct entry, store));
		e->used = 0;
		e->minute = -1;
	}
	if (entry_type_arg(call, patch, e, &count) != 0 ||
	    entry_amount_arg(call, patch, e, &count) != 0)
		return -1;
	if (patch && rpc_map_get(call->params, "date") != NULL &&
	    rpc_map_get(call->params, "date")->type == MSGPACK_OBJECT_NIL)
		return call_fail(call, CB_BAD_REQUEST, "field 'date' cannot be "
		    "cleared");
	if (entry_date_arg(call, "date", !patch, &e->date, &present) != 0)
		return -1;
	count += present;
	if (entry_time_arg(call, e, &count) != 0 ||
	    entry_texts_arg(call, e, &count) != 0 ||
	    entry_tags_arg(call, e, &count) != 0)
		return -1;
	if (changed != NULL)
		*changed = count;
	return 0;
}

/* A text column: NULL stays NULL; otherwise it must fit max bytes. */
static int
entry_column_text(struct call *call, sqlite3_stmt *stmt, int col, size_t max,
    struct entry *e, const char **out)
{
	const unsigned char *s;
	size_t len;

	if (sqlite3_column_type(stmt, col) == SQLITE_NULL) {
		*out = NULL;
		return 0;
	}
	s = sqlite3_column_text(stmt, col);
	len = (size_t)sqlite3_column_bytes(stmt, col);
	if (s == NULL)
		return call_fail(call, CB_INTERNAL, "out of memory");
	if (len > max || (*out = entry_keep(e, (const char *)s, len)) == NULL)
		return call_fail(call, CB_INTERNAL, "entry row breaks the "
		    "schema's rules (%s too long)", sqlite3_column_name(stmt,
		    col));
	return 0;
}

int
entry_from_row(struct call *call, sqlite3_stmt *stmt, int first,
    struct entry *e)
{
	const unsigned char *type = sqlite3_column_text(stmt, first);

	memset(e, 0, offsetof(struct entry, store));
	e->used = 0;
	if (type == NULL)
		return call_fail(call, CB_INTERNAL, "entry row without a type");
	e->is_in = strcmp((const char *)type, "in") == 0;
	e->amount = sqlite3_column_int64(stmt, first + 1);
	e->date = (int32_t)sqlite3_column_int64(stmt, first + 2);
	e->minute = sqlite3_column_int(stmt, first + 3);
	for (int t = 0; t < ENTRY_TEXT_COUNT; t++) {
		if (entry_column_text(call, stmt, first + 4 + t,
		    entry_text_max(t), e, &e->text[t]) != 0)
			return -1;
	}
	return entry_column_text(call, stmt, first + 4 + ENTRY_TEXT_COUNT,
	    CB_ENTRY_TAGS_MAX * (CB_ENTRY_TAG_MAX + 1), e, &e->tags);
}

static void
entry_bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(stmt, i);
	else
		sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
}

void
entry_bind(sqlite3_stmt *stmt, int first, const struct entry *e)
{
	sqlite3_bind_text(stmt, first, e->is_in ? "in" : "out", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, first + 1, e->amount);
	sqlite3_bind_int64(stmt, first + 2, e->date);
	sqlite3_bind_int(stmt, first + 3, e->minute);
	for (int t = 0; t < ENTRY_TEXT_COUNT; t++)
		entry_bind_text(stmt, first + 4 + t, e->text[t]);
	entry_bind_text(stmt, first + 4 + ENTRY_TEXT_COUNT, e->tags);
}

static void
entry_pack_opt(msgpack_packer *pk, const char *s)
{
	if (s == NULL)
		msgpack_pack_nil(pk);
	else
		rpc_pack_cstr(pk, s);
}

static void
entry_pack_tags(msgpack_packer *pk, const char *tags)
{
	uint32_t n = 0;
	const char *p, *nl;

	if (tags != NULL) {
		n = 1;
		for (p = tags; *p != '\0'; p++)
			n += *p == '\n';
	}
	msgpack_pack_array(pk, n);
	for (p = tags; n > 0; n--, p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		msgpack_pack_str_with_body(pk, p, (size_t)(nl - p));
	}
}

int
entry_pack_fields(msgpack_packer *pk, const struct entry *e)
{
	char date[11], time[6];

	rpc_pack_cstr(pk, "type");
	rpc_pack_cstr(pk, e->is_in ? "in" : "out");
	rpc_pack_cstr(pk, "amount");
	msgpack_pack_int64(pk, e->amount);
	rpc_pack_cstr(pk, "date");
	entry_format_date(e->date, date);
	rpc_pack_cstr(pk, date);
	rpc_pack_cstr(pk, "time");
	if (e->minute < 0)
		msgpack_pack_nil(pk);
	else {
		snprintf(time, sizeof time, "%02d:%02d", e->minute / 60 % 24,
		    e->minute % 60);
		rpc_pack_cstr(pk, time);
	}
	for (int t = 0; t < ENTRY_TEXT_COUNT; t++) {
		rpc_pack_cstr(pk, entry_text_names[t]);
		entry_pack_opt(pk, e->text[t]);
	}
	rpc_pack_cstr(pk, "tags");
	entry_pack_tags(pk, e->tags);
	return 5 + ENTRY_TEXT_COUNT;
}

void
entry_pack(msgpack_packer *pk, const struct entry *e)
{
	msgpack_pack_map(pk, 5 + ENTRY_TEXT_COUNT);
	entry_pack_fields(pk, e);
}

void
entry_meta_from_row(sqlite3_stmt *stmt, int first, struct entry_meta *m)
{
	const unsigned char *key;

	m->entry_id = sqlite3_column_int64(stmt, first);
	m->book_id = sqlite3_column_int64(stmt, first + 1);
	m->deleted = sqlite3_column_int(stmt, first + 2) != 0;
	m->created_at = sqlite3_column_int64(stmt, first + 3);
	m->created_by = sqlite3_column_int64(stmt, first + 4);
	m->updated_at = sqlite3_column_int64(stmt, first + 5);
	m->updated_by = sqlite3_column_int64(stmt, first + 6);
	key = sqlite3_column_text(stmt, first + 7);
	m->has_key = key != NULL;
	snprintf(m->key, sizeof m->key, "%s", key != NULL ?
	    (const char *)key : "");
}

void
entry_pack_object(msgpack_packer *pk, const struct entry *e,
    const struct entry_meta *m, bool with_running, const int64_t *running)
{
	msgpack_pack_map(pk, (uint32_t)(5 + ENTRY_TEXT_COUNT + 8 +
	    with_running));
	rpc_pack_cstr(pk, "entry_id");
	msgpack_pack_int64(pk, m->entry_id);
	rpc_pack_cstr(pk, "book_id");
	msgpack_pack_int64(pk, m->book_id);
	entry_pack_fields(pk, e);
	rpc_pack_cstr(pk, "idempotency_key");
	entry_pack_opt(pk, m->has_key ? m->key : NULL);
	rpc_pack_cstr(pk, "deleted");
	rpc_pack_bool(pk, m->deleted);
	rpc_pack_cstr(pk, "created_at");
	msgpack_pack_int64(pk, m->created_at);
	rpc_pack_cstr(pk, "created_by");
	msgpack_pack_int64(pk, m->created_by);
	rpc_pack_cstr(pk, "updated_at");
	msgpack_pack_int64(pk, m->updated_at);
	rpc_pack_cstr(pk, "updated_by");
	msgpack_pack_int64(pk, m->updated_by);
	if (with_running) {
		rpc_pack_cstr(pk, "running_balance");
		if (running == NULL)
			msgpack_pack_nil(pk);
		else
			msgpack_pack_int64(pk, *running);
	}
}

void
entry_pack_column_text(msgpack_packer *pk, sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	if (s == NULL)
		msgpack_pack_nil(pk);
	else
		msgpack_pack_str_with_body(pk, s,
		    (size_t)sqlite3_column_bytes(stmt, col));
}
