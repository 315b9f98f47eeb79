/*
 * args.h -- a method's arguments, declared as data and parsed once.
 *
 * Every method lists its params as a table of `struct arg_spec` (name,
 * type, bounds, required / nil rule), in the spirit of tmux's args
 * templates and redis's command arity.  The gateway parses the params map
 * against that table on the loop thread, before the request waits for a
 * handle, into call->args: one typed `struct arg_value` per spec entry, at
 * the same index.  A malformed request is answered bad_request at once and
 * never takes a handle from others; a handler reads only call->args,
 * never the msgpack object, and never fails on an argument's shape.
 *
 * The same table gives the method's signature in docs/protocol.md
 * (args_signature, checked by tests/test_args.c) and drives the fuzz
 * target (tests/fuzz/fuzz_args.c).
 *
 * Owns: the rules every argument type follows and their error messages.
 * Never: touches the database (it runs on the loop thread).
 */
#ifndef CASHBOOK_DAEMON_ARGS_H
#define CASHBOOK_DAEMON_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

struct call;
struct method;
struct arg_spec;
struct arg_value;

enum arg_type {
	ARG_INT,	/* an integer in min..max: .i */
	ARG_BOOL,	/* true or false: .i is 0 or 1 */
	ARG_STR,	/* a string of min..max bytes, any bytes: .s, .len */
	ARG_TEXT,	/* min..max bytes of UTF-8 without control characters */
	ARG_LINES,	/* the same, newlines and tabs allowed (notes) */
	ARG_DATE,	/* "YYYY-MM-DD", a real date: .i is YYYYMMDD */
	ARG_TIME,	/* "HH:MM": .i is minutes after midnight */
	ARG_ENUM,	/* one of .choices: .i is its index, .s/.len its name */
	ARG_TAGS,	/* an array of at most max distinct tags (ARG_TEXT of
			 * 1..CB_ENTRY_TAG_MAX bytes): read with args_tag() */
	ARG_TEXTS,	/* one ARG_TEXT of min..max bytes, or an array of 1
			 * to CB_FILTER_VALUES_MAX distinct ones (a filter
			 * matching any): read with args_text() */
	ARG_IDS,	/* an array of min..max distinct positive integers
			 * (ids): read with args_id() */
	ARG_MAPS,	/* an array of min..max maps, each checked against
			 * the table .fields (entry.add_batch's entries):
			 * read each with args_parse_item() */
};

/* Absent is an error. */
#define ARG_REQUIRED	(1u << 0)
/* nil is a value of its own, "clear this field" (update methods): the
 * value's state is ARG_NIL.  Without this flag nil for an optional
 * argument means the same as leaving it out. */
#define ARG_NIL_CLEARS	(1u << 1)
/* nil is refused: "field 'date' cannot be cleared" (update methods). */
#define ARG_NIL_REFUSED	(1u << 2)

/* A rule beyond the type (a currency code, a cursor): may refine *v and
 * may read the arguments declared before spec (they are parsed in order).
 * 0, or -1 with the call failed bad_request. */
typedef int (*arg_check_fn)(struct call *call, const struct arg_spec *spec,
    struct arg_value *v);

struct arg_spec {
	const char *name;		/* NULL ends a table */
	enum arg_type type;
	unsigned flags;			/* ARG_REQUIRED, ARG_NIL_* */
	int64_t min, max;		/* INT: the range; STR, TEXT, LINES:
					 * bytes; TAGS: max items; IDS:
					 * items */
	const char *const *choices;	/* ENUM: NULL-terminated */
	arg_check_fn check;		/* optional */
	const char *what;		/* optional, INT: what the number is,
					 * for the message ("an integer count
					 * of minor units") */
	const struct arg_spec *fields;	/* MAPS: each item's arguments */
};

enum arg_state {
	ARG_ABSENT = 0,			/* not given (or nil, when that means
					 * absent) */
	ARG_NIL,			/* nil, with ARG_NIL_CLEARS */
	ARG_GIVEN,
};

struct arg_value {
	enum arg_state state;
	int64_t i;			/* INT, BOOL, DATE, TIME, ENUM */
	const char *s;			/* STR, TEXT, LINES, ENUM: into the
					 * request message, not NUL-ended */
	size_t len;			/* string bytes; TAGS, TEXTS, IDS,
					 * MAPS: the count */
	const msgpack_object *items;	/* TAGS, TEXTS, IDS, MAPS */
	int64_t decoded[3];		/* a check function's own decoding */
};

/* Ends a method's table of arguments. */
#define ARGS_END { .name = NULL }

/* The most arguments one method declares (the token not counted). */
#define ARGS_MAX 16

/*
 * Parse call->params against call->method's table into call->args: keys
 * must be strings, unique and declared ("token" too, for METHOD_AUTH: the
 * gateway reads it); each argument is checked in table order, then the
 * method's whole-call rules (METHOD_PATCH, method->check).  0, or -1 with
 * the call failed bad_request naming the field.
 */
int args_parse(struct call *call);

/*
 * Item i (i < v->len) of the MAPS value v, declared by spec, parsed
 * against spec->fields into values (ARGS_MAX of them).  args_parse checked
 * every item already, so this fails only if the request changed under it;
 * 0, or -1 with the call failed bad_request ("entries[i]: ...").
 */
int args_parse_item(struct call *call, const struct arg_spec *spec,
    const struct arg_value *v, uint32_t i, struct arg_value *values);

/* Id i of an IDS value (i < v->len). */
int64_t args_id(const struct arg_value *v, uint32_t i);

/* Tag i of a TAGS value (i < v->len): its bytes and length. */
size_t args_tag(const struct arg_value *v, uint32_t i, const char **s);

/* String i of a TEXTS value (i < v->len): its bytes and length. */
size_t args_text(const struct arg_value *v, uint32_t i, const char **s);

/* The method's params as docs/protocol.md writes them: "{token, book_id,
 * name?, description?}", "none", or "any map".  Cut to len. */
void args_signature(const struct method *m, char *buf, size_t len);

/* Check a method's table when the daemon starts: names unique and not
 * "token", at most ARGS_MAX, types with what they need.  0, or -1 with
 * err saying what is wrong. */
int args_spec_check(const struct method *m, char *err, size_t errlen);

#endif
