/*
 * fuzz_args.c -- libFuzzer target for what the daemon does with a
 * request's params before any handle is taken: args_check_fields() and
 * the method's check hook (entry fields, cursors, filters, dates, money),
 * for every method in the table, on a params map built from the input.
 *
 * Checks, abort()ing on any violation:
 *
 *   - a refusal always carries an error code and a NUL-terminated message;
 *   - entry.add params that pass are read by entry_from_params() into an
 *     entry whose canonical msgpack (entry_pack) decodes, is read back as
 *     params by entry_from_params(), and packs to the same bytes: "the
 *     same fields" (idempotent retries, no-op edits) is well defined.
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

static const char *const fuzz_methods[] = {
	CB_METHOD_BOOK_CREATE, CB_METHOD_BOOK_LIST, CB_METHOD_BOOK_GET,
	CB_METHOD_BOOK_UPDATE, CB_METHOD_BOOK_DELETE, CB_METHOD_BOOK_BALANCE,
	CB_METHOD_BOOK_VERIFY, CB_METHOD_ENTRY_ADD, CB_METHOD_ENTRY_GET,
	CB_METHOD_ENTRY_UPDATE, CB_METHOD_ENTRY_DELETE,
	CB_METHOD_ENTRY_RESTORE, CB_METHOD_ENTRY_HISTORY,
	CB_METHOD_ENTRY_LIST, CB_METHOD_REPORT_SUMMARY,
	CB_METHOD_USER_REGISTER, CB_METHOD_USER_PASSWORD, CB_METHOD_PING,
};
#define FUZZ_METHOD_COUNT (sizeof fuzz_methods / sizeof fuzz_methods[0])

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

/* The canonical form of e, read back as params, packs the same. */
static void
fuzz_round_trip(const struct entry *e)
{
	struct packbuf first, again;
	msgpack_unpacked u;
	struct call call;
	struct entry back;

	packbuf_init(&first);
	packbuf_init(&again);
	entry_pack(&first.pk, e);
	FUZZ_CHECK(!packbuf_failed(&first));
	msgpack_unpacked_init(&u);
	FUZZ_CHECK(rpc_decode(first.sb.data, first.sb.size, &u) == 0);
	FUZZ_CHECK(u.data.type == MSGPACK_OBJECT_MAP);
	fuzz_call_init(&call, method_find(CB_METHOD_ENTRY_ADD,
	    strlen(CB_METHOD_ENTRY_ADD)), &u.data);
	FUZZ_CHECK(entry_from_params(&call, false, &back, NULL) == 0);
	entry_pack(&again.pk, &back);
	FUZZ_CHECK(!packbuf_failed(&again));
	FUZZ_CHECK(again.sb.size == first.sb.size &&
	    memcmp(again.sb.data, first.sb.data, first.sb.size) == 0);
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
	rc = args_check_fields(&call, m->fields);
	if (rc == 0 && m->check != NULL)
		rc = m->check(&call);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc != 0) {
		FUZZ_CHECK(call.code != CB_CODE_NONE);
		FUZZ_CHECK(memchr(call.message, '\0', sizeof call.message) !=
		    NULL);
		FUZZ_CHECK(call.message[0] != '\0');
		return;
	}
	if (strcmp(m->name, CB_METHOD_ENTRY_ADD) == 0) {
		FUZZ_CHECK(entry_from_params(&call, false, &e, NULL) == 0);
		fuzz_round_trip(&e);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct method *m;
	msgpack_unpacked u;
	const char *name;

	if (size < 1)
		return 0;
	if (fuzz_server.cfg == NULL) {
		memcpy(fuzz_cfg.default_currency, "XXX", 4);
		fuzz_server.cfg = &fuzz_cfg;
	}
	name = fuzz_methods[data[0] % FUZZ_METHOD_COUNT];
	m = method_find(name, strlen(name));
	FUZZ_CHECK(m != NULL);
	msgpack_unpacked_init(&u);
	if (rpc_decode((const char *)data + 1, size - 1, &u) == 0 &&
	    u.data.type == MSGPACK_OBJECT_MAP)
		fuzz_one(m, &u.data);
	else
		fuzz_one(m, NULL);
	msgpack_unpacked_destroy(&u);
	return 0;
}
