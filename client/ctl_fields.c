/*
 * ctl_fields.c -- cashbookd's result fields as text.  See ctl_fields.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cashbook_msgpack.h"

#include "ctl_fields.h"

void
ctl_field_text(const msgpack_object *m, const char *key, char *buf,
    size_t len)
{
	const msgpack_object *o = cb_map_get(m, key);
	size_t n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return;
	n = o->via.str.size < len - 1 ? o->via.str.size : len - 1;
	memcpy(buf, o->via.str.ptr, n);
	buf[n] = '\0';
}

int64_t
ctl_field_int(const msgpack_object *m, const char *key)
{
	int64_t v = 0;

	(void)cb_map_get_int(m, key, &v);
	return v;
}

bool
ctl_field_nil(const msgpack_object *m, const char *key)
{
	const msgpack_object *o = cb_map_get(m, key);

	return o == NULL || o->type == MSGPACK_OBJECT_NIL;
}

bool
ctl_field_bool(const msgpack_object *m, const char *key)
{
	const msgpack_object *o = cb_map_get(m, key);

	return o != NULL && o->type == MSGPACK_OBJECT_BOOLEAN &&
	    o->via.boolean;
}

void
ctl_field_tags(const msgpack_object *m, const char *key, const char *sep,
    char *buf, size_t len)
{
	const msgpack_object *o = cb_map_get(m, key);
	size_t used = 0, seplen = strlen(sep);

	if (len == 0)
		return;
	buf[0] = '\0';
	if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY)
		return;
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		const msgpack_object *t = &o->via.array.ptr[i];
		size_t n = used > 0 ? seplen : 0;

		if (t->type != MSGPACK_OBJECT_STR)
			continue;
		/* Whole tags only: one that does not fit ends the list. */
		if (used + n + t->via.str.size >= len)
			break;
		memcpy(buf + used, sep, n);
		memcpy(buf + used + n, t->via.str.ptr, t->via.str.size);
		used += n + t->via.str.size;
		buf[used] = '\0';
	}
}

void
ctl_amount_text(int64_t minor, int decimals, char *buf, size_t len)
{
	if (money_format(minor, decimals, buf, len) < 0)
		snprintf(buf, len, "%" PRId64, minor);
}

void
ctl_field_amount(const msgpack_object *m, const char *key, int decimals,
    char *buf, size_t len)
{
	int64_t v;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (cb_map_get_int(m, key, &v) == CB_OK)
		ctl_amount_text(v, decimals, buf, len);
}

void
ctl_unix_text(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "%" PRId64, t);
}

void
ctl_entry_text(const msgpack_object *e, int decimals, const char *tag_sep,
    struct ctl_entry_text *r)
{
	snprintf(r->id, sizeof r->id, "%" PRId64, ctl_field_int(e, "entry_id"));
	ctl_field_text(e, "date", r->date, sizeof r->date);
	ctl_field_text(e, "time", r->time, sizeof r->time);
	ctl_field_text(e, "type", r->type, sizeof r->type);
	ctl_field_amount(e, "amount", decimals, r->amount, sizeof r->amount);
	snprintf(r->minor, sizeof r->minor, "%" PRId64,
	    ctl_field_int(e, "amount"));
	ctl_field_amount(e, "running_balance", decimals, r->balance,
	    sizeof r->balance);
	r->balance_minor[0] = '\0';
	if (!ctl_field_nil(e, "running_balance"))
		snprintf(r->balance_minor, sizeof r->balance_minor, "%" PRId64,
		    ctl_field_int(e, "running_balance"));
	ctl_field_text(e, "category", r->category, sizeof r->category);
	ctl_field_text(e, "mode", r->mode, sizeof r->mode);
	ctl_field_text(e, "party", r->party, sizeof r->party);
	ctl_field_text(e, "note", r->note, sizeof r->note);
	ctl_field_text(e, "reference", r->reference, sizeof r->reference);
	ctl_field_tags(e, "tags", tag_sep, r->tags, sizeof r->tags);
}
