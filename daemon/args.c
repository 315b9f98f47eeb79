/*
 * args.c -- parsing a params map against a method's declared arguments
 * (see args.h).
 *
 * Every message here names the field as the client sent it and says what
 * a right value looks like.  Work is bounded by the table, not by the
 * request: a params map is refused at its first undeclared key, so a map
 * of a million keys costs at most ARGS_MAX + 2 key comparisons each.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "caldate.h"
#include "cb_limits.h"
#include "method.h"
#include "rpc.h"
#include "text.h"

/* Keys and values echoed in messages are cut to this many bytes. */
#define ARGS_ECHO_MAX 64

static const struct arg_spec *
args_find(const struct arg_spec *table, const msgpack_object *key,
    int *index)
{
	for (int i = 0; table != NULL && table[i].name != NULL; i++) {
		if (rpc_obj_streq(key, table[i].name)) {
			*index = i;
			return &table[i];
		}
	}
	return NULL;
}

static int
args_echo_len(size_t len)
{
	return (int)(len > ARGS_ECHO_MAX ? ARGS_ECHO_MAX : len);
}

/*
 * Keys of params: strings, each once, each declared in table (or "token",
 * when token is true).  any: undeclared keys are let through
 * (METHOD_ANY_PARAMS).  owner names what the map is for in the message
 * ("for entry.add"), or is NULL for an item of an array (whose index the
 * caller adds to the message).
 */
static int
args_check_keys(struct call *call, const struct arg_spec *table,
    const msgpack_object *params, bool token, bool any, const char *owner)
{
	const msgpack_object_map *map;
	const msgpack_object *key;
	int index;

	if (params == NULL)
		return 0;
	map = &params->via.map;
	for (uint32_t i = 0; i < map->size; i++) {
		key = &map->ptr[i].key;
		if (key->type != MSGPACK_OBJECT_STR)
			return call_fail(call, CB_BAD_REQUEST, "%s keys must "
			    "be strings", owner != NULL ? "params" : "map");
		if (!any && !(token && rpc_obj_streq(key, "token")) &&
		    args_find(table, key, &index) == NULL)
			return call_fail(call, CB_BAD_REQUEST, "unknown field "
			    "'%.*s'%s%s", args_echo_len(key->via.str.size),
			    key->via.str.ptr, owner != NULL ? " for " : "",
			    owner != NULL ? owner : "");
		for (uint32_t j = 0; j < i; j++) {
			const msgpack_object *prev = &map->ptr[j].key;

			if (prev->via.str.size == key->via.str.size &&
			    memcmp(prev->via.str.ptr, key->via.str.ptr,
			    key->via.str.size) == 0)
				return call_fail(call, CB_BAD_REQUEST,
				    "field '%.*s' given twice",
				    args_echo_len(key->via.str.size),
				    key->via.str.ptr);
		}
	}
	return 0;
}

/* ", or nil" for arguments that may be left out. */
static const char *
args_or_nil(const struct arg_spec *spec)
{
	return (spec->flags & (ARG_REQUIRED | ARG_NIL_REFUSED)) ? "" :
	    " or nil";
}

static int
args_parse_int(struct call *call, const struct arg_spec *spec,
    const msgpack_object *o, struct arg_value *v)
{
	int64_t n;

	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 <= (uint64_t)INT64_MAX)
		n = (int64_t)o->via.u64;
	else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		n = o->via.i64;
	else if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		goto type;
	else
		goto range;
	if (n < spec->min || n > spec->max)
		goto range;
	v->i = n;
	return 0;
type:
	if (spec->what == NULL)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be an "
		    "integer", spec->name);
range:
	if (spec->what != NULL)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be %s "
		    "from %lld to %lld", spec->name, spec->what,
		    (long long)spec->min, (long long)spec->max);
	return call_fail(call, CB_BAD_REQUEST, "field '%s' must be from %lld "
	    "to %lld", spec->name, (long long)spec->min, (long long)spec->max);
}

static int
args_parse_str(struct call *call, const struct arg_spec *spec,
    const msgpack_object *o, struct arg_value *v)
{
	size_t len;

	if (o->type != MSGPACK_OBJECT_STR)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be a "
		    "string", spec->name);
	len = o->via.str.size;
	if (len > (uint64_t)spec->max)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' is longer "
		    "than %lld bytes", spec->name, (long long)spec->max);
	if (len < (uint64_t)spec->min)
		return spec->min == 1 ? call_fail(call, CB_BAD_REQUEST,
		    "field '%s' is empty", spec->name) : call_fail(call,
		    CB_BAD_REQUEST, "field '%s' must be at least %lld bytes",
		    spec->name, (long long)spec->min);
	v->s = o->via.str.ptr;
	v->len = len;
	return 0;
}

/* Text people typed: min..max bytes of clean UTF-8. */
static int
args_parse_text(struct call *call, const struct arg_spec *spec,
    const msgpack_object *o, struct arg_value *v)
{
	bool lines = spec->type == ARG_LINES;
	size_t len;

	if (o->type != MSGPACK_OBJECT_STR)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be a "
		    "string%s", spec->name, args_or_nil(spec));
	len = o->via.str.size;
	if (len < (uint64_t)spec->min || len > (uint64_t)spec->max)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be "
		    "%lld to %lld bytes%s", spec->name, (long long)spec->min,
		    (long long)spec->max, *args_or_nil(spec) != '\0' ?
		    " (nil for none)" : "");
	if (!(lines ? text_is_clean_lines : text_is_clean)(o->via.str.ptr,
	    len))
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be "
		    "valid UTF-8 without control characters", spec->name);
	v->s = o->via.str.ptr;
	v->len = len;
	return 0;
}

static int
args_parse_date(struct call *call, const struct arg_spec *spec,
    const msgpack_object *o, struct arg_value *v)
{
	int y, m, d;

	if (o->type != MSGPACK_OBJECT_STR ||
	    !caldate_parse(o->via.str.ptr, o->via.str.size, &y, &m, &d))
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be a "
		    "real date written YYYY-MM-DD, from %d-01-01 to "
		    "%d-12-31", spec->name, CB_CALDATE_MIN_YEAR,
		    CB_CALDATE_MAX_YEAR);
	v->i = y * 10000 + m * 100 + d;
	return 0;
}

static int
args_parse_time(struct call *call, const struct arg_spec *spec,
    const msgpack_object *o, struct arg_value *v)
{
	int h, min;

	if (o->type != MSGPACK_OBJECT_STR ||
	    !caldate_parse_time(o->via.str.ptr, o->via.str.size, &h, &min))
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be "
		    "HH:MM from 00:00 to 23:59%s", spec->name,
		    *args_or_nil(spec) != '\0' ? ", or nil" : "");
	v->i = h * 60 + min;
	return 0;
}

/* "\"in\" or \"out\"": the choices as a person reads them. */
static void
args_choices(const struct arg_spec *spec, char *buf, size_t len)
{
	size_t n = 0;
	int count = 0;

	while (spec->choices[count] != NULL)
		count++;
	buf[0] = '\0';
	for (int i = 0; i < count && n < len; i++) {
		int w = snprintf(buf + n, len - n, "%s\"%s\"", i == 0 ? "" :
		    i == count - 1 ? " or " : ", ", spec->choices[i]);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static int
args_parse_enum(struct call *call, const struct arg_spec *spec,
    const msgpack_object *o, struct arg_value *v)
{
	char choices[160];

	for (int i = 0; o->type == MSGPACK_OBJECT_STR &&
	    spec->choices[i] != NULL; i++) {
		if (rpc_obj_streq(o, spec->choices[i])) {
			v->i = i;
			v->s = spec->choices[i];
			v->len = strlen(spec->choices[i]);
			return 0;
		}
	}
	args_choices(spec, choices, sizeof choices);
	return call_fail(call, CB_BAD_REQUEST, "field '%s' must be %s",
	    spec->name, choices);
}

/* Item i of the string array items repeats none before it: else fail
 * "field 'NAME' holds 'X' twice".  The arrays are short (at most a few
 * dozen items), so pairwise is cheapest. */
static int
args_check_distinct(struct call *call, const struct arg_spec *spec,
    const msgpack_object *items, uint32_t i)
{
	const msgpack_object *t = &items[i], *u;

	for (uint32_t j = 0; j < i; j++) {
		u = &items[j];
		if (u->via.str.size == t->via.str.size &&
		    memcmp(u->via.str.ptr, t->via.str.ptr,
		    t->via.str.size) == 0)
			return call_fail(call, CB_BAD_REQUEST, "field '%s' holds "
			    "'%.*s' twice", spec->name,
			    args_echo_len(t->via.str.size), t->via.str.ptr);
	}
	return 0;
}

/* Tags: distinct, each clean text without the separators people and
 * tables use (, and ;); checked here so the handler can join
 * them without a second look. */
static int
args_parse_tags(struct call *call, const struct arg_spec *spec,
    const msgpack_object *o, struct arg_value *v)
{
	const msgpack_object *t;

	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size > (uint64_t)spec->max)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be an "
		    "array of at most %lld strings%s", spec->name,
		    (long long)spec->max, *args_or_nil(spec) != '\0' ?
		    ", or nil" : "");
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		t = &o->via.array.ptr[i];
		if (t->type != MSGPACK_OBJECT_STR || t->via.str.size == 0 ||
		    t->via.str.size > CB_ENTRY_TAG_MAX ||
		    !text_is_clean(t->via.str.ptr, t->via.str.size))
			return call_fail(call, CB_BAD_REQUEST, "field '%s' must "
			    "hold strings of 1 to %d bytes of UTF-8 without "
			    "control characters (tag %u is not)", spec->name,
			    CB_ENTRY_TAG_MAX, i + 1);
		if (memchr(t->via.str.ptr, ',', t->via.str.size) != NULL ||
		    memchr(t->via.str.ptr, ';', t->via.str.size) != NULL)
			return call_fail(call, CB_BAD_REQUEST, "field '%s' holds "
			    "'%.*s': a tag cannot contain ',' or ';' (send "
			    "separate tags as separate strings)", spec->name,
			    args_echo_len(t->via.str.size), t->via.str.ptr);
		if (args_check_distinct(call, spec, o->via.array.ptr, i) != 0)
			return -1;
	}
	v->items = o->via.array.ptr;
	v->len = o->via.array.size;
	return 0;
}

/* A filter's values: one string, or an array of 1 to
 * CB_FILTER_VALUES_MAX distinct ones, each checked as ARG_TEXT.  A lone
 * string is the array of itself: items points at it, len is 1. */
static int
args_parse_texts(struct call *call, const struct arg_spec *spec,
    const msgpack_object *o, struct arg_value *v)
{
	const msgpack_object *t;
	struct arg_value one;

	if (o->type == MSGPACK_OBJECT_STR) {
		if (args_parse_text(call, spec, o, &one) != 0)
			return -1;
		v->items = o;
		v->len = 1;
		return 0;
	}
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 1 ||
	    o->via.array.size > CB_FILTER_VALUES_MAX)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be a "
		    "string or an array of 1 to %d strings", spec->name,
		    CB_FILTER_VALUES_MAX);
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		t = &o->via.array.ptr[i];
		if (t->type != MSGPACK_OBJECT_STR ||
		    t->via.str.size < (uint64_t)spec->min ||
		    t->via.str.size > (uint64_t)spec->max ||
		    !text_is_clean(t->via.str.ptr, t->via.str.size))
			return call_fail(call, CB_BAD_REQUEST, "field '%s' must "
			    "hold strings of %lld to %lld bytes of UTF-8 "
			    "without control characters (item %u is not)",
			    spec->name, (long long)spec->min,
			    (long long)spec->max, i + 1);
		if (args_check_distinct(call, spec, o->via.array.ptr, i) != 0)
			return -1;
	}
	v->items = o->via.array.ptr;
	v->len = o->via.array.size;
	return 0;
}

/* Ids: distinct positive integers.  Distinct is checked pairwise: the
 * arrays are short (a few hundred at most). */
static int
args_parse_ids(struct call *call, const struct arg_spec *spec,
    const msgpack_object *o, struct arg_value *v)
{
	const msgpack_object *t;

	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size < (uint64_t)spec->min ||
	    o->via.array.size > (uint64_t)spec->max)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be an "
		    "array of %lld to %lld ids", spec->name,
		    (long long)spec->min, (long long)spec->max);
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		t = &o->via.array.ptr[i];
		if (t->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    t->via.u64 == 0 || t->via.u64 > INT64_MAX)
			return call_fail(call, CB_BAD_REQUEST, "field '%s' must "
			    "hold positive integer ids (item %u is not)",
			    spec->name, i + 1);
		for (uint32_t j = 0; j < i; j++)
			if (o->via.array.ptr[j].via.u64 == t->via.u64)
				return call_fail(call, CB_BAD_REQUEST, "field "
				    "'%s' holds %llu twice", spec->name,
				    (unsigned long long)t->via.u64);
	}
	v->items = o->via.array.ptr;
	v->len = o->via.array.size;
	return 0;
}

static int args_parse_table(struct call *call, const struct arg_spec *table,
    const msgpack_object *params, struct arg_value *values);

/* "entries[17]: " before the message an item's parse left. */
static int
args_fail_item(struct call *call, const struct arg_spec *spec, uint32_t i)
{
	return call_fail_prefix(call, "%s[%u]", spec->name, i);
}

/* Maps, each a little params map of its own: checked here, on the loop
 * thread, so a bad item is refused before the request waits for a handle;
 * the handler parses each again into its own values (args_parse_item),
 * which costs less than keeping up to max * ARGS_MAX values per call. */
static int
args_parse_maps(struct call *call, const struct arg_spec *spec,
    const msgpack_object *o, struct arg_value *v)
{
	struct arg_value values[ARGS_MAX];

	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size < (uint64_t)spec->min ||
	    o->via.array.size > (uint64_t)spec->max)
		return call_fail(call, CB_BAD_REQUEST, "field '%s' must be an "
		    "array of %lld to %lld maps", spec->name,
		    (long long)spec->min, (long long)spec->max);
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		if (o->via.array.ptr[i].type != MSGPACK_OBJECT_MAP) {
			call_fail(call, CB_BAD_REQUEST, "must be a map");
			return args_fail_item(call, spec, i);
		}
		if (args_parse_table(call, spec->fields, &o->via.array.ptr[i],
		    values) != 0)
			return args_fail_item(call, spec, i);
	}
	v->items = o->via.array.ptr;
	v->len = o->via.array.size;
	return 0;
}

static int
args_parse_value(struct call *call, const struct arg_spec *spec,
    const msgpack_object *o, struct arg_value *v)
{
	switch (spec->type) {
	case ARG_INT:
		return args_parse_int(call, spec, o, v);
	case ARG_BOOL:
		if (o->type != MSGPACK_OBJECT_BOOLEAN)
			return call_fail(call, CB_BAD_REQUEST, "field '%s' must "
			    "be true or false", spec->name);
		v->i = o->via.boolean;
		return 0;
	case ARG_STR:
		return args_parse_str(call, spec, o, v);
	case ARG_TEXT:
	case ARG_LINES:
		return args_parse_text(call, spec, o, v);
	case ARG_DATE:
		return args_parse_date(call, spec, o, v);
	case ARG_TIME:
		return args_parse_time(call, spec, o, v);
	case ARG_ENUM:
		return args_parse_enum(call, spec, o, v);
	case ARG_TAGS:
		return args_parse_tags(call, spec, o, v);
	case ARG_TEXTS:
		return args_parse_texts(call, spec, o, v);
	case ARG_IDS:
		return args_parse_ids(call, spec, o, v);
	case ARG_MAPS:
		return args_parse_maps(call, spec, o, v);
	}
	return call_fail(call, CB_INTERNAL, "field '%s' has no type",
	    spec->name);
}

static int
args_parse_one(struct call *call, const struct arg_spec *spec,
    const msgpack_object *params, struct arg_value *v)
{
	const msgpack_object *o = rpc_map_get(params, spec->name);

	memset(v, 0, sizeof *v);
	if (o != NULL && o->type == MSGPACK_OBJECT_NIL) {
		if (spec->flags & ARG_NIL_REFUSED)
			return call_fail(call, CB_BAD_REQUEST, "field '%s' "
			    "cannot be cleared", spec->name);
		if (spec->flags & ARG_NIL_CLEARS) {
			v->state = ARG_NIL;
			return 0;
		}
		/* Required: nil is the wrong type, said below.  Optional: it
		 * means the same as leaving the argument out. */
		if (!(spec->flags & ARG_REQUIRED))
			o = NULL;
	}
	if (o == NULL)
		return (spec->flags & ARG_REQUIRED) ? call_fail(call,
		    CB_BAD_REQUEST, "missing field '%s'", spec->name) : 0;
	if (args_parse_value(call, spec, o, v) != 0)
		return -1;
	v->state = ARG_GIVEN;
	return spec->check != NULL ? spec->check(call, spec, v) : 0;
}

/* METHOD_PATCH: something besides the required arguments must be given. */
static int
args_check_patch(struct call *call)
{
	const struct arg_spec *spec = call->method->args;
	char names[256];
	size_t n = 0;

	names[0] = '\0';
	for (int i = 0; spec != NULL && spec[i].name != NULL; i++) {
		if (spec[i].flags & ARG_REQUIRED)
			continue;
		if (call->args[i].state != ARG_ABSENT)
			return 0;
		if (n < sizeof names) {
			int w = snprintf(names + n, sizeof names - n, "%s%s",
			    n == 0 ? "" : ", ", spec[i].name);
			n += w > 0 ? (size_t)w : 0;
		}
	}
	return call_fail(call, CB_BAD_REQUEST, "nothing to change: give at "
	    "least one of %s", names);
}

/* Each argument of table, in order, from params into values. */
static int
args_parse_table(struct call *call, const struct arg_spec *table,
    const msgpack_object *params, struct arg_value *values)
{
	memset(values, 0, ARGS_MAX * sizeof *values);
	if (args_check_keys(call, table, params, false, false, NULL) != 0)
		return -1;
	for (int i = 0; table != NULL && table[i].name != NULL; i++) {
		if (args_parse_one(call, &table[i], params, &values[i]) != 0)
			return -1;
	}
	return 0;
}

int
args_parse(struct call *call)
{
	const struct method *m = call->method;

	memset(call->args, 0, sizeof call->args);
	if (args_check_keys(call, m->args, call->params,
	    (m->flags & METHOD_AUTH) != 0, (m->flags & METHOD_ANY_PARAMS) != 0,
	    m->name) != 0)
		return -1;
	for (int i = 0; m->args != NULL && m->args[i].name != NULL; i++) {
		if (args_parse_one(call, &m->args[i], call->params,
		    &call->args[i]) != 0)
			return -1;
	}
	if ((m->flags & METHOD_PATCH) && args_check_patch(call) != 0)
		return -1;
	return m->check != NULL ? m->check(call) : 0;
}

int
args_parse_item(struct call *call, const struct arg_spec *spec,
    const struct arg_value *v, uint32_t i, struct arg_value *values)
{
	if (args_parse_table(call, spec->fields, &v->items[i], values) != 0)
		return args_fail_item(call, spec, i);
	return 0;
}

int64_t
args_id(const struct arg_value *v, uint32_t i)
{
	return (int64_t)v->items[i].via.u64;
}

size_t
args_tag(const struct arg_value *v, uint32_t i, const char **s)
{
	*s = v->items[i].via.str.ptr;
	return v->items[i].via.str.size;
}

size_t
args_text(const struct arg_value *v, uint32_t i, const char **s)
{
	*s = v->items[i].via.str.ptr;
	return v->items[i].via.str.size;
}

void
args_signature(const struct method *m, char *buf, size_t len)
{
	size_t n = 0;
	int w;

	if (m->flags & METHOD_ANY_PARAMS) {
		snprintf(buf, len, "any map");
		return;
	}
	if (!(m->flags & METHOD_AUTH) && (m->args == NULL ||
	    m->args[0].name == NULL)) {
		snprintf(buf, len, "none");
		return;
	}
	w = snprintf(buf, len, "{%s", (m->flags & METHOD_AUTH) ? "token" :
	    "");
	n = w > 0 ? (size_t)w : 0;
	for (int i = 0; m->args != NULL && m->args[i].name != NULL &&
	    n < len; i++) {
		w = snprintf(buf + n, len - n, "%s%s%s", n > 1 ? ", " : "",
		    m->args[i].name, (m->args[i].flags & ARG_REQUIRED) ? "" :
		    "?");
		n += w > 0 ? (size_t)w : 0;
	}
	if (n < len)
		snprintf(buf + n, len - n, "}");
}

/* Is spec declared with what its type needs? */
static bool
args_spec_consistent(const struct arg_spec *spec)
{
	bool sized = spec->type == ARG_STR || spec->type == ARG_TEXT ||
	    spec->type == ARG_LINES || spec->type == ARG_TAGS ||
	    spec->type == ARG_TEXTS ||
	    spec->type == ARG_IDS || spec->type == ARG_MAPS;

	return (spec->type == ARG_ENUM) == (spec->choices != NULL) &&
	    (spec->type == ARG_MAPS) == (spec->fields != NULL) &&
	    spec->min <= spec->max && (!sized || spec->max > 0) &&
	    !((spec->flags & ARG_REQUIRED) &&
	    (spec->flags & (ARG_NIL_CLEARS | ARG_NIL_REFUSED)));
}

/*
 * One table of owner's (a method, or an item of a MAPS argument: item).
 * An item's arguments have no check functions, which read call->args,
 * and no MAPS of their own, so the loop's work on one request stays
 * bounded by max items times ARGS_MAX.
 */
static int
args_table_check(const char *owner, const struct arg_spec *a, bool item,
    char *err, size_t errlen)
{
	for (int i = 0; a != NULL && a[i].name != NULL; i++) {
		if (i >= ARGS_MAX) {
			snprintf(err, errlen, "%s declares more than %d "
			    "arguments", owner, ARGS_MAX);
			return -1;
		}
		if (strcmp(a[i].name, "token") == 0) {
			snprintf(err, errlen, "%s declares 'token' (METHOD_AUTH "
			    "adds it)", owner);
			return -1;
		}
		for (int j = 0; j < i; j++) {
			if (strcmp(a[i].name, a[j].name) == 0) {
				snprintf(err, errlen, "%s declares '%s' twice",
				    owner, a[i].name);
				return -1;
			}
		}
		if (!args_spec_consistent(&a[i]) || (item &&
		    (a[i].check != NULL || a[i].type == ARG_MAPS))) {
			snprintf(err, errlen, "%s: argument '%s' is declared "
			    "inconsistently", owner, a[i].name);
			return -1;
		}
		if (a[i].type == ARG_MAPS && args_table_check(a[i].name,
		    a[i].fields, true, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
args_spec_check(const struct method *m, char *err, size_t errlen)
{
	return args_table_check(m->name, m->args, false, err, errlen);
}
