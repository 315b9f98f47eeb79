/*
 * fuzz_args.c -- libFuzzer target for what the daemon does with a
 * request's params before any handle is taken: args_parse() against each
 * method's declared arguments (args.h: entry fields, cursors, filters,
 * dates, money) and the method's check hook, for every method in the
 * table, on a params map built from the input.
 *
 * Checks, abort()ing on any violation:
 *
 *   - a refusal always carries an error code and a NUL-terminated message;
 *   - every argument a parse accepts has a state, and a required one is
 *     given;
 *   - entry.add params that pass are read by entry_from_args() into an
 *     entry whose canonical msgpack (entry_pack) decodes, is parsed again
 *     as entry.add params, and packs to the same bytes: "the same fields"
 *     (idempotent retries, no-op edits) is well defined.
 *
 * The first input byte picks the method; the rest is one msgpack object
 * used as the params map (inputs that are not a map are fed as [] too).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "args.h"
#include "config.h"
#include "entry.h"
#include "method.h"
#include "methods.h"
#include "packbuf.h"
#include "rpc.h"
#include "server.h"

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_args: violated: %s (%s:%d)\n",	\
		    #cond, __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

/* Every method of the table (method_each). */
static const struct method *fuzz_methods[64];
static size_t fuzz_method_count;

static void
fuzz_method_add(const struct method *m, void *arg)
{
	(void)arg;
	if (fuzz_method_count < sizeof fuzz_methods / sizeof fuzz_methods[0])
		fuzz_methods[fuzz_method_count++] = m;
}

static struct config fuzz_cfg;
static struct server fuzz_server;

static void
fuzz_call_init(struct call *call, const struct method *m,
    const msgpack_object *params)
{
	memset(call, 0, sizeof *call);
	call->method = m;
	call->params = params;
	call->server = &fuzz_server;
}

/* entry.add's arguments begin with book_id; the fields follow. */
#define FUZZ_ADD_FIELDS 1

/* The canonical form of e, parsed again as entry.add params, packs the
 * same. */
static void
fuzz_round_trip(const struct entry *e)
{
	struct packbuf first, again;
	msgpack_unpacked u;
	struct call call;
	struct entry back;
	size_t head;

	packbuf_init(&first);
	packbuf_init(&again);
	msgpack_pack_map(&first.pk, 1 + 5 + ENTRY_TEXT_COUNT);
	rpc_pack_cstr(&first.pk, "book_id");
	msgpack_pack_int64(&first.pk, 1);
	head = first.sb.size;
	entry_pack_fields(&first.pk, e);
	FUZZ_CHECK(!packbuf_failed(&first));
	msgpack_unpacked_init(&u);
	FUZZ_CHECK(rpc_decode(first.sb.data, first.sb.size, &u) == 0);
	FUZZ_CHECK(u.data.type == MSGPACK_OBJECT_MAP);
	fuzz_call_init(&call, method_find(CB_METHOD_ENTRY_ADD,
	    strlen(CB_METHOD_ENTRY_ADD)), &u.data);
	FUZZ_CHECK(args_parse(&call) == 0);
	entry_init(&back);
	FUZZ_CHECK(entry_from_args(&call, FUZZ_ADD_FIELDS, &back) == 0);
	entry_pack_fields(&again.pk, &back);
	FUZZ_CHECK(!packbuf_failed(&again));
	FUZZ_CHECK(again.sb.size == first.sb.size - head &&
	    memcmp(again.sb.data, first.sb.data + head, again.sb.size) == 0);
	msgpack_unpacked_destroy(&u);
	packbuf_destroy(&first);
	packbuf_destroy(&again);
}

static void
fuzz_one(const struct method *m, const msgpack_object *params)
{
	struct call call;
	struct entry e;
	int rc;

	fuzz_call_init(&call, m, params);
	rc = args_parse(&call);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc != 0) {
		FUZZ_CHECK(call.code != CB_CODE_NONE);
		FUZZ_CHECK(memchr(call.message, '\0', sizeof call.message) !=
		    NULL);
		FUZZ_CHECK(call.message[0] != '\0');
		return;
	}
	for (int i = 0; m->args != NULL && m->args[i].name != NULL; i++) {
		FUZZ_CHECK(call.args[i].state <= ARG_GIVEN);
		FUZZ_CHECK(!(m->args[i].flags & ARG_REQUIRED) ||
		    call.args[i].state == ARG_GIVEN);
		/* What the loop checked, the handler parses again and
		 * counts on: an item never fails the second time. */
		for (uint32_t j = 0; m->args[i].type == ARG_MAPS &&
		    call.args[i].state == ARG_GIVEN && j < call.args[i].len;
		    j++) {
			struct arg_value item[ARGS_MAX];

			FUZZ_CHECK(args_parse_item(&call, &m->args[i],
			    &call.args[i], j, item) == 0);
		}
	}
	if (strcmp(m->name, CB_METHOD_ENTRY_ADD) == 0) {
		entry_init(&e);
		FUZZ_CHECK(entry_from_args(&call, FUZZ_ADD_FIELDS, &e) == 0);
		fuzz_round_trip(&e);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct method *m;
	msgpack_unpacked u;

	if (size < 1)
		return 0;
	if (fuzz_server.cfg == NULL) {
		memcpy(fuzz_cfg.default_currency, "XXX", 4);
		fuzz_server.cfg = &fuzz_cfg;
		method_each(fuzz_method_add, NULL);
		FUZZ_CHECK(fuzz_method_count > 0);
	}
	m = fuzz_methods[data[0] % fuzz_method_count];
	msgpack_unpacked_init(&u);
	if (rpc_decode((const char *)data + 1, size - 1, &u) == 0 &&
	    u.data.type == MSGPACK_OBJECT_MAP)
		fuzz_one(m, &u.data);
	else
		fuzz_one(m, NULL);
	msgpack_unpacked_destroy(&u);
	return 0;
}
