/*
 * test_oom.c -- out of memory, at every allocation of a request mix.
 *
 * A real cashbookd runs in a thread of this program (server_run) on a
 * temporary database.  Its allocations can be made to fail: SQLite's
 * through sqlite3_config(SQLITE_CONFIG_MALLOC), ours and msgpack's inline
 * buffer code through the linker's --wrap of malloc, calloc and realloc.
 * The client side (this thread) is exempt.  For each N the Nth allocation
 * after arming fails (and only that one), while a mix of requests runs:
 * book.create, entry.add, entry.update, entry.list, book.balance,
 * report.summary, entry.history, book.verify.  After each N:
 *
 *   - every request was answered (a result, or an error with a known
 *     code), or the connection was closed -- never a crash or a hang;
 *   - the daemon goes on: a fresh connection is served, nothing is held
 *     or in flight, acquired == released, and book.verify finds the
 *     book's totals equal to its entries (nothing half-applied);
 *   - at the end the daemon stops cleanly, and under ASan LeakSanitizer
 *     finds nothing left allocated (scripts/test --sanitize).
 *
 * Bounded: N runs over the allocations of one warm mix, at most
 * OOM_POINTS of them: a mix that writes the text index (FTS5) makes
 * thousands of allocations, and the book, and so each book.verify, grows
 * with every round, so every allocation of it would take the sweep past
 * any timeout; the stride spreads the points over the whole mix instead
 * (CASHBOOK_OOM_STRIDE sets it; sanitizer builds ask for a larger one).  The cold
 * paths (preparing statements) fail too, whenever a failure costs a
 * handle and it is opened again.
 */
#include <errno.h>
#include <execinfo.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <msgpack.h>
#include <sqlite3.h>

#include "clock.h"
#include "config.h"
#include "errors.h"
#include "log.h"
#include "packbuf.h"
#include "rpc.h"
#include "server.h"
#include "tap.h"

/* A precondition of the harness itself: stop the program. */
#define MUST(cond) do {							\
	if (!(cond)) {							\
		fprintf(stderr, "test_oom: %s failed (%s:%d)\n", #cond,	\
		    __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

/* ---- failing allocations ---- */

static atomic_long oom_countdown = -1;	/* -1: off; 0: fail the next one */
static atomic_long oom_failed;		/* failures injected */
static _Thread_local bool oom_exempt;
static long oom_internal;		/* answers "internal" (client thread) */
static atomic_bool oom_trace;		/* print where (CASHBOOK_OOM_TRACE) */

/* Where the failing allocation was made (CASHBOOK_OOM_TRACE=N: for
 * allocation N of the sweep), to find the path behind a failure. */
static void
oom_print_trace(void)
{
	void *frames[24];
	int n;

	oom_exempt = true;
	n = backtrace(frames, 24);
	fprintf(stderr, "test_oom: failing this allocation:\n");
	backtrace_symbols_fd(frames, n, 2);
	oom_exempt = false;
}

/* True when this allocation must fail. */
static bool
oom_now(void)
{
	long left;

	if (oom_exempt)
		return false;
	left = atomic_load(&oom_countdown);
	while (left >= 0) {
		if (atomic_compare_exchange_weak(&oom_countdown, &left,
		    left - 1)) {
			if (left == 0) {
				atomic_fetch_add(&oom_failed, 1);
				if (atomic_load(&oom_trace))
					oom_print_trace();
				return true;
			}
			return false;
		}
	}
	return false;
}

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

void *
__wrap_malloc(size_t size)
{
	return oom_now() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return oom_now() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
	return oom_now() ? NULL : __real_realloc(p, size);
}

/* SQLite's allocator: the default one, failing on cue. */
static sqlite3_mem_methods oom_default;

static void *
oom_sqlite_malloc(int n)
{
	return oom_now() ? NULL : oom_default.xMalloc(n);
}

static void *
oom_sqlite_realloc(void *p, int n)
{
	return oom_now() ? NULL : oom_default.xRealloc(p, n);
}

static void
oom_install_sqlite(void)
{
	sqlite3_mem_methods m;

	MUST(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &oom_default) ==
	    SQLITE_OK);
	m = oom_default;
	m.xMalloc = oom_sqlite_malloc;
	m.xRealloc = oom_sqlite_realloc;
	MUST(sqlite3_config(SQLITE_CONFIG_MALLOC, &m) == SQLITE_OK);
}

/* ---- the daemon, and talking to it ---- */

static char oom_dir[] = "/tmp/cashbook-oom-XXXXXX";
static char oom_socket[100], oom_db[256];
static struct config oom_cfg;
static char oom_token[128];
static int64_t oom_book;
static pthread_t oom_thread;

static void *
oom_server(void *arg)
{
	(void)arg;
	server_run(&oom_cfg);
	return NULL;
}

static int
oom_connect(void)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", oom_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	MUST(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send every request in pb, then read until n answers or EOF; each
 * answer is checked.  With keep, the last answer is left there.  Returns
 * the number of answers read. */
static int
oom_exchange(int fd, const struct packbuf *pb, int n, msgpack_unpacked *keep)
{
	msgpack_unpacker up;
	msgpack_unpacked u;
	size_t off = 0;
	int got = 0;

	MUST(msgpack_unpacker_init(&up, 65536));
	msgpack_unpacked_init(&u);
	while (off < pb->sb.size) {
		ssize_t w = send(fd, pb->sb.data + off, pb->sb.size - off,
		    MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		const msgpack_object *a;
		ssize_t r;

		if (msgpack_unpacker_next(&up, &u) == MSGPACK_UNPACK_SUCCESS) {
			a = u.data.via.array.ptr;
			CHECK(u.data.type == MSGPACK_OBJECT_ARRAY);
			if (u.data.type != MSGPACK_OBJECT_ARRAY ||
			    u.data.via.array.size == 3)
				continue;	/* protocol_error: closing */
			CHECK_EQ_INT(u.data.via.array.size, 4);
			if (u.data.via.array.size == 4 &&
			    a[2].type != MSGPACK_OBJECT_NIL) {
				CHECK(a[2].type == MSGPACK_OBJECT_ARRAY &&
				    a[2].via.array.size == 2 &&
				    a[2].via.array.ptr[0].type ==
				    MSGPACK_OBJECT_STR);
				oom_internal += rpc_obj_streq(
				    &a[2].via.array.ptr[0], "internal");
			}
			if (++got == n && keep != NULL) {
				msgpack_unpacked_destroy(keep);
				*keep = u;	/* takes the zone */
				msgpack_unpacked_init(&u);
			}
			continue;
		}
		/* 30 s: a hang is a failure, a slow sanitizer is not. */
		if (poll(&pfd, 1, 30000) != 1) {
			CHECK(!"an answer within 30 s");
			break;
		}
		MUST(msgpack_unpacker_reserve_buffer(&up, 65536));
		r = recv(fd, msgpack_unpacker_buffer(&up), 65536, 0);
		if (r <= 0)
			break;			/* closed: allowed under OOM */
		msgpack_unpacker_buffer_consumed(&up, (size_t)r);
	}
	msgpack_unpacked_destroy(&u);
	msgpack_unpacker_destroy(&up);
	return got;
}

/* Start a request: [0, msgid, method, [{ nparams pairs follow }]]. */
static void
oom_request(struct packbuf *pb, uint32_t msgid, const char *method,
    uint32_t nparams)
{
	msgpack_pack_array(&pb->pk, 4);
	msgpack_pack_int(&pb->pk, 0);
	msgpack_pack_uint32(&pb->pk, msgid);
	rpc_pack_cstr(&pb->pk, method);
	msgpack_pack_array(&pb->pk, 1);
	msgpack_pack_map(&pb->pk, nparams);
}

static void
oom_str(struct packbuf *pb, const char *k, const char *v)
{
	rpc_pack_cstr(&pb->pk, k);
	rpc_pack_cstr(&pb->pk, v);
}

static void
oom_int(struct packbuf *pb, const char *k, int64_t v)
{
	rpc_pack_cstr(&pb->pk, k);
	msgpack_pack_int64(&pb->pk, v);
}

/* One request on a fresh connection; its result map, or NULL. */
static const msgpack_object *
oom_call(const struct packbuf *pb, msgpack_unpacked *u)
{
	int fd = oom_connect();
	const msgpack_object *a;

	MUST(fd >= 0);
	MUST(oom_exchange(fd, pb, 1, u) == 1);
	close(fd);
	a = u->data.via.array.ptr;
	return a[2].type == MSGPACK_OBJECT_NIL ? &a[3] : NULL;
}

static int64_t
oom_get_int(const msgpack_object *map, const char *k1, const char *k2)
{
	const msgpack_object *v = rpc_map_get(map, k1);

	if (v != NULL && k2 != NULL)
		v = rpc_map_get(v, k2);
	MUST(v != NULL);
	return v->type == MSGPACK_OBJECT_BOOLEAN ? v->via.boolean :
	    (int64_t)v->via.i64;
}

/* The mix, on one connection, pipelined; its number of requests. */
static int
oom_mix(struct packbuf *pb, int round)
{
	char name[32];

	snprintf(name, sizeof name, "B%d", round);
	oom_request(pb, 1, "book.create", 3);
	oom_str(pb, "token", oom_token);
	oom_str(pb, "name", name);
	oom_str(pb, "currency", "EUR");
	oom_request(pb, 2, "entry.add", 6);
	oom_str(pb, "token", oom_token);
	oom_int(pb, "book_id", oom_book);
	oom_str(pb, "type", round % 2 ? "in" : "out");
	oom_int(pb, "amount", 100 + round);
	oom_str(pb, "date", "2026-04-05");
	oom_str(pb, "note", "lunch\nwith Bob");
	oom_request(pb, 3, "entry.update", 3);
	oom_str(pb, "token", oom_token);
	oom_int(pb, "entry_id", 1);
	oom_int(pb, "amount", 500 + round);
	oom_request(pb, 4, "entry.list", 3);
	oom_str(pb, "token", oom_token);
	oom_int(pb, "book_id", oom_book);
	oom_int(pb, "limit", 5);
	oom_request(pb, 5, "book.balance", 2);
	oom_str(pb, "token", oom_token);
	oom_int(pb, "book_id", oom_book);
	oom_request(pb, 6, "report.summary", 3);
	oom_str(pb, "token", oom_token);
	oom_int(pb, "book_id", oom_book);
	oom_str(pb, "by", "month");
	oom_request(pb, 7, "entry.history", 2);
	oom_str(pb, "token", oom_token);
	oom_int(pb, "entry_id", 1);
	oom_request(pb, 8, "book.verify", 2);
	oom_str(pb, "token", oom_token);
	oom_int(pb, "book_id", oom_book);
	MUST(!packbuf_failed(pb));
	return 8;
}

static void
oom_start(void)
{
	struct packbuf pb;
	msgpack_unpacked u;
	const msgpack_object *r, *tok;
	char *args[16];
	int n = 0, fd;
	int64_t deadline;

	oom_exempt = true;
	MUST(mkdtemp(oom_dir) != NULL);
	snprintf(oom_socket, sizeof oom_socket, "%s/s.sock", oom_dir);
	snprintf(oom_db, sizeof oom_db, "%s/c.db", oom_dir);
	args[n++] = "cashbookd";
	args[n++] = "--socket";
	args[n++] = oom_socket;
	args[n++] = "--db";
	args[n++] = oom_db;
	args[n++] = "--pool-size";
	args[n++] = "2";
	args[n++] = "--log-level";
	args[n++] = "error";
	args[n] = NULL;
	MUST(config_parse(&oom_cfg, n, args) == CONFIG_OK);
	log_set_level(oom_cfg.log_level);
	oom_install_sqlite();
	MUST(pthread_create(&oom_thread, NULL, oom_server, NULL) == 0);
	deadline = clock_now_us() + 10 * 1000000;
	while ((fd = oom_connect()) < 0) {
		MUST(clock_now_us() < deadline);
		usleep(10000);
	}
	close(fd);

	packbuf_init(&pb);
	msgpack_unpacked_init(&u);
	oom_request(&pb, 1, "user.register", 2);
	oom_str(&pb, "username", "oom");
	oom_str(&pb, "password", "oom password");
	MUST(oom_call(&pb, &u) != NULL);
	packbuf_clear(&pb);
	oom_request(&pb, 1, "auth.login", 2);
	oom_str(&pb, "username", "oom");
	oom_str(&pb, "password", "oom password");
	MUST((r = oom_call(&pb, &u)) != NULL);
	tok = rpc_map_get(r, "token");
	MUST(tok != NULL && tok->via.str.size < sizeof oom_token);
	memcpy(oom_token, tok->via.str.ptr, tok->via.str.size);
	packbuf_clear(&pb);
	oom_request(&pb, 1, "book.create", 2);
	oom_str(&pb, "token", oom_token);
	oom_str(&pb, "name", "Cash");
	MUST((r = oom_call(&pb, &u)) != NULL);
	oom_book = oom_get_int(r, "book_id", NULL);
	packbuf_clear(&pb);
	oom_request(&pb, 1, "entry.add", 5);
	oom_str(&pb, "token", oom_token);
	oom_int(&pb, "book_id", oom_book);
	oom_str(&pb, "type", "in");
	oom_int(&pb, "amount", 1000);
	oom_str(&pb, "date", "2026-01-01");
	MUST(oom_call(&pb, &u) != NULL);
	msgpack_unpacked_destroy(&u);
	packbuf_destroy(&pb);
}

/* The daemon at rest and its book consistent. */
static void
oom_check_rest(long n)
{
	struct packbuf pb;
	msgpack_unpacked u;
	const msgpack_object *r;
	int64_t deadline = clock_now_us() + 30 * 1000000;

	packbuf_init(&pb);
	msgpack_unpacked_init(&u);
	for (;;) {
		packbuf_clear(&pb);
		oom_request(&pb, 1, "server.stats", 0);
		r = oom_call(&pb, &u);
		MUST(r != NULL);
		if (oom_get_int(r, "pool", "in_use") == 0 &&
		    oom_get_int(r, "requests", "in_flight") == 0)
			break;
		if (clock_now_us() > deadline) {
			printf("# after failing allocation %ld: work still "
			    "held\n", n);
			CHECK(!"at rest");
			break;
		}
		usleep(1000);
	}
	CHECK_EQ_INT(oom_get_int(r, "pool", "acquired"),
	    oom_get_int(r, "pool", "released"));
	packbuf_clear(&pb);
	oom_request(&pb, 1, "book.verify", 2);
	oom_str(&pb, "token", oom_token);
	oom_int(&pb, "book_id", oom_book);
	r = oom_call(&pb, &u);
	CHECK(r != NULL && oom_get_int(r, "ok", NULL) == 1);
	if (r == NULL || oom_get_int(r, "ok", NULL) != 1) {
		const msgpack_object *a = u.data.via.array.ptr;

		printf("# after failing allocation %ld: book.verify not ok: ",
		    n);
		msgpack_object_print(stdout, r != NULL ? *rpc_map_get(r,
		    "problems") : a[2]);
		printf("\n");
		fflush(stdout);
	}
	msgpack_unpacked_destroy(&u);
	packbuf_destroy(&pb);
}

/* The most allocation points one sweep fails (see the file's comment). */
#define OOM_POINTS 200

/* CASHBOOK_OOM_FROM=N: start the sweep at allocation N (to look again
 * at one failure). */
static long
oom_from(void)
{
	const char *s = getenv("CASHBOOK_OOM_FROM");

	return s != NULL && atol(s) > 0 ? atol(s) : 0;
}

/* The stride: CASHBOOK_OOM_STRIDE, else enough to fail at most
 * OOM_POINTS allocations of a mix that makes allocs of them. */
static long
oom_stride(long allocs)
{
	const char *s = getenv("CASHBOOK_OOM_STRIDE");

	if (s != NULL && atol(s) > 0)
		return atol(s);
	return allocs / OOM_POINTS + 1;
}

/* How many allocations the daemon makes for one mix (nothing fails). */
static long
oom_count_mix(struct packbuf *pb, int round)
{
	long start = LONG_MAX / 2, left;
	int fd, requests;

	packbuf_clear(pb);
	requests = oom_mix(pb, round);
	MUST((fd = oom_connect()) >= 0);
	atomic_store(&oom_countdown, start);
	CHECK_EQ_INT(oom_exchange(fd, pb, requests, NULL), requests);
	left = atomic_exchange(&oom_countdown, -1);
	close(fd);
	return start - left;
}

static void
test_oom_sweep(void)
{
	struct packbuf pb;
	long stride, allocs, n, missed = 0, trace;
	int fd, requests, round = 0;

	packbuf_init(&pb);
	/* One mix first: it prepares the statements each handle caches, so
	 * the sweep below runs the mix as a warm daemon does. */
	requests = oom_mix(&pb, round++);
	REQUIRE((fd = oom_connect()) >= 0);
	CHECK_EQ_INT(oom_exchange(fd, &pb, requests, NULL), requests);
	close(fd);
	oom_check_rest(0);
	allocs = oom_count_mix(&pb, round++);
	stride = oom_stride(allocs);
	printf("# a warm mix makes %ld allocations: failing every %ld%s\n",
	    allocs, stride, stride == 1 ? "" : "th");
	/* Fail allocation n of each mix, for n = 0, 1, ... until a mix
	 * needs fewer than n (twice in a row: allocation counts vary a
	 * little from mix to mix). */
	trace = getenv("CASHBOOK_OOM_TRACE") != NULL ?
	    atol(getenv("CASHBOOK_OOM_TRACE")) : -1;
	for (n = oom_from(); missed < 2; n += stride) {
		atomic_store(&oom_trace, n == trace);
		packbuf_clear(&pb);
		requests = oom_mix(&pb, round++);
		REQUIRE((fd = oom_connect()) >= 0);
		atomic_store(&oom_countdown, n);
		(void)oom_exchange(fd, &pb, requests, NULL);
		missed = atomic_exchange(&oom_countdown, -1) >= 0 ?
		    missed + 1 : 0;
		close(fd);
		oom_check_rest(n);
	}
	printf("# a mix of %d requests: allocations 0..%ld failed one at a "
	    "time%s (%ld failures, %ld answers 'internal'); the daemon went "
	    "on\n", requests, n - stride, stride == 1 ? "" : " with a stride",
	    atomic_load(&oom_failed), oom_internal);
	CHECK(n > 100);
	CHECK(oom_internal > 0);
	packbuf_destroy(&pb);
}

/* Stop it the way an operator does; it must exit cleanly. */
static void
test_oom_stop(void)
{
	MUST(kill(getpid(), SIGTERM) == 0);
	CHECK_EQ_INT(pthread_join(oom_thread, NULL), 0);
}

int
main(void)
{
	oom_start();
	tap_run("a failed allocation at every point of a request mix",
	    test_oom_sweep);
	tap_run("then a clean stop", test_oom_stop);
	return tap_done();
}
