/*
 * entry.c -- an entry's fields: request, row, canonical msgpack (see
 * entry.h).
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "entry.h"
#include "rpc.h"

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

const char *const entry_types[] = { "in", "out", NULL };

void
entry_init(struct entry *e)
{
	memset(e, 0, offsetof(struct entry, store));
	e->used = 0;
	e->minute = -1;
}

/* Tags, checked when parsed (distinct clean strings), joined by '\n'. */
static int
entry_tags_from_arg(struct call *call, const struct arg_value *v,
    struct entry *e)
{
	char joined[CB_ENTRY_TAGS_MAX * (CB_ENTRY_TAG_MAX + 1)];
	size_t len = 0, n;
	const char *tag;

	e->tags = NULL;
	if (v->state != ARG_GIVEN || v->len == 0)
		return 0;
	for (uint32_t i = 0; i < v->len && i < CB_ENTRY_TAGS_MAX; i++) {
		n = args_tag(v, i, &tag);
		if (n > CB_ENTRY_TAG_MAX)
			return call_fail(call, CB_INTERNAL, "tag too long");
		if (i > 0)
			joined[len++] = '\n';
		memcpy(joined + len, tag, n);
		len += n;
	}
	if ((e->tags = entry_keep(e, joined, len)) == NULL)
		return call_fail(call, CB_INTERNAL, "entry too large");
	return 0;
}

int
entry_from_args(struct call *call, int first, struct entry *e)
{
	return entry_from_values(call, &call->args[first], e);
}

int
entry_from_values(struct call *call, const struct arg_value *a,
    struct entry *e)
{
	if (a[ENTRY_ARG_TYPE].state == ARG_GIVEN)
		e->is_in = a[ENTRY_ARG_TYPE].i == 0;	/* entry_types[0] */
	if (a[ENTRY_ARG_AMOUNT].state == ARG_GIVEN)
		e->amount = a[ENTRY_ARG_AMOUNT].i;
	if (a[ENTRY_ARG_DATE].state == ARG_GIVEN)
		e->date = (int32_t)a[ENTRY_ARG_DATE].i;
	if (a[ENTRY_ARG_TIME].state != ARG_ABSENT)
		e->minute = a[ENTRY_ARG_TIME].state == ARG_GIVEN ?
		    (int)a[ENTRY_ARG_TIME].i : -1;
	for (int t = 0; t < ENTRY_TEXT_COUNT; t++) {
		const struct arg_value *v = &a[ENTRY_ARG_TEXT + t];

		if (v->state == ARG_NIL)
			e->text[t] = NULL;
		else if (v->state == ARG_GIVEN && (e->text[t] = entry_keep(e,
		    v->s, v->len)) == NULL)
			return call_fail(call, CB_INTERNAL, "entry too large");
	}
	if (a[ENTRY_ARG_TAGS].state != ARG_ABSENT)
		return entry_tags_from_arg(call, &a[ENTRY_ARG_TAGS], e);
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
