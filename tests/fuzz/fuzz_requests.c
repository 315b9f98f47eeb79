/*
 * fuzz_requests.c -- libFuzzer target for whole requests: a real cashbookd
 * (server_run, in a thread of this process, so it carries the fuzzer's
 * coverage and sanitizers) on a real temporary database, fed sequences of
 * requests over its Unix socket.  Every layer a request crosses runs:
 * framing, the gateway, argument parsing, the pool, the handlers and their
 * SQL, replies.
 *
 * The input is a sequence of chunks:
 *
 *   [method: 1 byte][flags: 1 byte][len: 2 bytes, big-endian][len bytes]
 *
 * method picks one of the daemon's methods (method_each, in table order),
 * except those that would end the fuzzing session's token or stall the
 * run for seconds (fuzz_skipped: logout, refresh, password change, the
 * test methods that sleep, spin or move the clock), which become ping;
 * the len bytes
 * are decoded as one msgpack object and sent as the params map (anything
 * else is sent as []).  flags bit 0: add the session token of a user
 * registered at start-up (so the authenticated handlers run, not only the
 * token check); bit 1: send the chunk's bytes raw instead, unframed (the
 * daemon then answers protocol_error and closes: the input ends there).
 * Small integers reach real rows: at start-up the user owns books 1 and 2
 * (entries come from the fuzzed entry.add calls themselves).
 *
 * Checks, abort()ing on any violation:
 *   - every framed request is answered exactly once, with its msgid, as a
 *     result or an error [code, message] whose code is a known one;
 *   - the daemon never closes a connection that sent well-framed
 *     requests;
 *   - after each input, with every answer read: server.stats shows no
 *     handle in use, nothing in flight, and acquired == released.
 *
 * Build: see meson.build here (-Dfuzz=true, CC=clang).  Run:
 *   build-fuzz/tests/fuzz/fuzz_requests -max_len=4096 -timeout=20 \
 *       tests/fuzz/corpus_requests
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <msgpack.h>

#include "clock.h"
#include "config.h"
#include "errors.h"
#include "log.h"
#include "method.h"
#include "packbuf.h"
#include "rpc.h"
#include "server.h"

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_requests: violated: %s (%s:%d)\n",	\
		    #cond, __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

#define FUZZ_MAX_REQUESTS 64
#define FUZZ_READ_TIMEOUT_MS 60000

static char fuzz_socket[256];
static char fuzz_token[128];
static const struct method *fuzz_methods[64];
static size_t fuzz_method_count;
static struct config fuzz_cfg;

static const char *const fuzz_skipped[] = {
	"auth.logout", "auth.logout_all", "auth.refresh", "user.password",
	"test.sleep", "test.sleep_write", "test.spin", "test.clock", NULL,
};

static void
fuzz_method_add(const struct method *m, void *arg)
{
	(void)arg;
	for (int i = 0; fuzz_skipped[i] != NULL; i++) {
		if (strcmp(m->name, fuzz_skipped[i]) == 0)
			m = method_find("ping", 4);
	}
	if (fuzz_method_count < sizeof fuzz_methods / sizeof fuzz_methods[0])
		fuzz_methods[fuzz_method_count++] = m;
}

static void *
fuzz_server_thread(void *arg)
{
	(void)arg;
	server_run(&fuzz_cfg);
	return NULL;
}

static int
fuzz_connect(void)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", fuzz_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FUZZ_CHECK(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
fuzz_send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;		/* closed: the reads below see it */
		p += w;
		n -= (size_t)w;
	}
}

static void fuzz_dump_stats(void);

/* poll for FUZZ_READ_TIMEOUT_MS in all: libFuzzer's timer (-timeout)
 * interrupts it every second. */
static int
fuzz_poll(struct pollfd *pfd)
{
	int64_t deadline = clock_now_us() + FUZZ_READ_TIMEOUT_MS * 1000LL;
	int rc;

	do {
		int64_t left = (deadline - clock_now_us()) / 1000;

		rc = poll(pfd, 1, left > 0 ? (int)left : 0);
	} while (rc < 0 && errno == EINTR);
	return rc;
}

/* Read one message into u; 0, or -1 on EOF. */
static int
fuzz_read(int fd, msgpack_unpacker *up, msgpack_unpacked *u)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (msgpack_unpacker_next(up, u) == MSGPACK_UNPACK_SUCCESS)
			return 0;
		if (fuzz_poll(&pfd) != 1)
			fuzz_dump_stats();
		FUZZ_CHECK(pfd.revents != 0);
		FUZZ_CHECK(msgpack_unpacker_reserve_buffer(up, 65536));
		r = recv(fd, msgpack_unpacker_buffer(up), 65536, 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return -1;
		FUZZ_CHECK(r > 0);
		msgpack_unpacker_buffer_consumed(up, (size_t)r);
	}
}

/* One call on a fresh connection; the result object stays in u. */
static void
fuzz_call(const char *method, const char *k1, const char *v1, const char *k2,
    const char *v2, msgpack_unpacked *u)
{
	struct packbuf pb;
	msgpack_unpacker up;
	int fd = fuzz_connect();
	int n = (k1 != NULL) + (k2 != NULL);

	FUZZ_CHECK(fd >= 0);
	packbuf_init(&pb);
	msgpack_pack_array(&pb.pk, 4);
	msgpack_pack_int(&pb.pk, 0);
	msgpack_pack_uint32(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, method);
	msgpack_pack_array(&pb.pk, 1);
	msgpack_pack_map(&pb.pk, (size_t)n);
	if (k1 != NULL) {
		rpc_pack_cstr(&pb.pk, k1);
		rpc_pack_cstr(&pb.pk, v1);
	}
	if (k2 != NULL) {
		rpc_pack_cstr(&pb.pk, k2);
		rpc_pack_cstr(&pb.pk, v2);
	}
	FUZZ_CHECK(!packbuf_failed(&pb));
	fuzz_send_all(fd, pb.sb.data, pb.sb.size);
	FUZZ_CHECK(msgpack_unpacker_init(&up, 65536));
	FUZZ_CHECK(fuzz_read(fd, &up, u) == 0);
	msgpack_unpacker_destroy(&up);
	packbuf_destroy(&pb);
	close(fd);
}

/* A read timed out: say what the daemon is doing, then fail. */
static void
fuzz_dump_stats(void)
{
	static bool dumping;
	msgpack_unpacked u;

	if (dumping)
		return;
	dumping = true;
	msgpack_unpacked_init(&u);
	fprintf(stderr, "fuzz_requests: no answer; server.stats:\n");
	fuzz_call("server.stats", NULL, NULL, NULL, NULL, &u);
	msgpack_object_print(stderr, u.data);
	fprintf(stderr, "\n");
	msgpack_unpacked_destroy(&u);
	if (getenv("FUZZ_GDB") != NULL) {
		char cmd[512];

		snprintf(cmd, sizeof cmd, "gdb -p %d -batch -x %s >&2",
		    (int)getpid(), getenv("FUZZ_GDB"));
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz_requests: gdb failed\n");
	}
	abort();
}

static const msgpack_object *
fuzz_result(const msgpack_unpacked *u)
{
	const msgpack_object *a = u->data.via.array.ptr;

	FUZZ_CHECK(u->data.type == MSGPACK_OBJECT_ARRAY &&
	    u->data.via.array.size == 4);
	FUZZ_CHECK(a[2].type == MSGPACK_OBJECT_NIL);
	return &a[3];
}

/* A user with two books and a few entries, for the fuzzed requests to
 * find. */
static void
fuzz_seed_data(void)
{
	msgpack_unpacked u;
	const msgpack_object *tok;

	msgpack_unpacked_init(&u);
	fuzz_call("user.register", "username", "fuzz", "password",
	    "fuzz password", &u);
	(void)fuzz_result(&u);
	fuzz_call("auth.login", "username", "fuzz", "password",
	    "fuzz password", &u);
	tok = rpc_map_get(fuzz_result(&u), "token");
	FUZZ_CHECK(tok != NULL && tok->type == MSGPACK_OBJECT_STR &&
	    tok->via.str.size < sizeof fuzz_token);
	memcpy(fuzz_token, tok->via.str.ptr, tok->via.str.size);
	fuzz_token[tok->via.str.size] = '\0';
	fuzz_call("book.create", "token", fuzz_token, "name", "Cash", &u);
	(void)fuzz_result(&u);
	fuzz_call("book.create", "token", fuzz_token, "name", "Bank", &u);
	(void)fuzz_result(&u);
	msgpack_unpacked_destroy(&u);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/cashbook-fuzz-XXXXXX";
	char db[256], *args[16];
	int n = 0;
	pthread_t th;
	int64_t deadline;

	(void)argc;
	(void)argv;
	FUZZ_CHECK(mkdtemp(dir) != NULL);
	snprintf(fuzz_socket, sizeof fuzz_socket, "%s/s.sock", dir);
	snprintf(db, sizeof db, "%s/c.db", dir);
	args[n++] = "cashbookd";
	args[n++] = "--socket";
	args[n++] = fuzz_socket;
	args[n++] = "--db";
	args[n++] = db;
	args[n++] = "--pool-size";
	args[n++] = "3";
	args[n++] = "--log-level";
	args[n++] = getenv("FUZZ_LOG_LEVEL") != NULL ? getenv("FUZZ_LOG_LEVEL") :
	    "error";
	args[n++] = "--statement-timeout-ms";
	args[n++] = "5000";
	args[n] = NULL;
	FUZZ_CHECK(config_parse(&fuzz_cfg, n, args) == CONFIG_OK);
	log_set_level(fuzz_cfg.log_level);
	method_each(fuzz_method_add, NULL);
	FUZZ_CHECK(pthread_create(&th, NULL, fuzz_server_thread, NULL) == 0);
	FUZZ_CHECK(pthread_detach(th) == 0);
	/* Ready when it accepts. */
	deadline = clock_now_us() + 10 * 1000000;
	for (;;) {
		int fd = fuzz_connect();

		if (fd >= 0) {
			close(fd);
			break;
		}
		FUZZ_CHECK(clock_now_us() < deadline);
		usleep(10000);
	}
	fuzz_seed_data();
	return 0;
}

/* Pack chunk i as a request with msgid into pb. */
static void
fuzz_pack_request(struct packbuf *pb, uint32_t msgid, const struct method *m,
    bool token, const uint8_t *p, size_t len)
{
	msgpack_unpacked u;
	const msgpack_object *o = NULL;

	msgpack_unpacked_init(&u);
	if (rpc_decode((const char *)p, len, &u) == 0)
		o = &u.data;
	msgpack_pack_array(&pb->pk, 4);
	msgpack_pack_int(&pb->pk, 0);
	msgpack_pack_uint32(&pb->pk, msgid);
	rpc_pack_cstr(&pb->pk, m->name);
	if (o != NULL && o->type == MSGPACK_OBJECT_MAP) {
		uint32_t extra = token && rpc_map_get(o, "token") == NULL;

		msgpack_pack_array(&pb->pk, 1);
		msgpack_pack_map(&pb->pk, o->via.map.size + extra);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			msgpack_pack_object(&pb->pk, o->via.map.ptr[i].key);
			msgpack_pack_object(&pb->pk, o->via.map.ptr[i].val);
		}
		if (extra) {
			rpc_pack_cstr(&pb->pk, "token");
			rpc_pack_cstr(&pb->pk, fuzz_token);
		}
	} else if (token) {
		msgpack_pack_array(&pb->pk, 1);
		msgpack_pack_map(&pb->pk, 1);
		rpc_pack_cstr(&pb->pk, "token");
		rpc_pack_cstr(&pb->pk, fuzz_token);
	} else
		msgpack_pack_array(&pb->pk, 0);
	msgpack_unpacked_destroy(&u);
}

static bool
fuzz_known_code(const msgpack_object *o)
{
	for (int c = CB_CODE_NONE + 1; c < CB_CODE_COUNT; c++) {
		if (rpc_obj_streq(o, cb_code_name((enum cb_code)c)))
			return true;
	}
	return false;
}

/* Read the answers to msgids 1..n (any order), each once. */
static void
fuzz_read_answers(int fd, uint32_t n, bool raw_sent)
{
	static bool seen[FUZZ_MAX_REQUESTS + 1];
	msgpack_unpacker up;
	msgpack_unpacked u;
	uint32_t got = 0;

	memset(seen, 0, sizeof seen);
	FUZZ_CHECK(msgpack_unpacker_init(&up, 65536));
	msgpack_unpacked_init(&u);
	while (got < n || raw_sent) {
		const msgpack_object *a;

		if (fuzz_read(fd, &up, &u) != 0) {
			/* Only bytes sent unframed may end the connection. */
			FUZZ_CHECK(raw_sent);
			break;
		}
		FUZZ_CHECK(u.data.type == MSGPACK_OBJECT_ARRAY);
		a = u.data.via.array.ptr;
		if (u.data.via.array.size == 3)	/* protocol_error */
			continue;
		FUZZ_CHECK(u.data.via.array.size == 4);
		FUZZ_CHECK(a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER);
		if (a[1].via.u64 == 0 && raw_sent)
			continue;		/* a raw request's own answer */
		if (raw_sent && (a[1].via.u64 > n || seen[a[1].via.u64]))
			continue;
		FUZZ_CHECK(a[1].via.u64 >= 1 && a[1].via.u64 <= n);
		FUZZ_CHECK(!seen[a[1].via.u64]);
		seen[a[1].via.u64] = true;
		got++;
		if (a[2].type != MSGPACK_OBJECT_NIL) {
			FUZZ_CHECK(a[2].type == MSGPACK_OBJECT_ARRAY &&
			    a[2].via.array.size == 2);
			FUZZ_CHECK(fuzz_known_code(&a[2].via.array.ptr[0]));
			FUZZ_CHECK(a[2].via.array.ptr[1].type ==
			    MSGPACK_OBJECT_STR);
		}
		if (got == n && !raw_sent)
			break;
	}
	msgpack_unpacked_destroy(&u);
	msgpack_unpacker_destroy(&up);
}

/* With every answer read, nothing is held or in flight. */
static void
fuzz_check_rest(void)
{
	msgpack_unpacked u;
	const msgpack_object *st, *pool, *req, *v;
	int64_t deadline = clock_now_us() + 5 * 1000000;

	msgpack_unpacked_init(&u);
	for (;;) {
		fuzz_call("server.stats", NULL, NULL, NULL, NULL, &u);
		st = fuzz_result(&u);
		pool = rpc_map_get(st, "pool");
		req = rpc_map_get(st, "requests");
		FUZZ_CHECK(pool != NULL && req != NULL);
		/* A request of a connection that left may still be finishing
		 * its step; it ends within the statement timeout. */
		v = rpc_map_get(req, "in_flight");
		if (v->via.u64 == 0 &&
		    rpc_map_get(pool, "in_use")->via.u64 == 0)
			break;
		FUZZ_CHECK(clock_now_us() < deadline);
		usleep(1000);
	}
	FUZZ_CHECK(rpc_map_get(pool, "acquired")->via.u64 ==
	    rpc_map_get(pool, "released")->via.u64);
	msgpack_unpacked_destroy(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct packbuf pb;
	uint32_t n = 0;
	bool raw = false;
	int fd;

	packbuf_init(&pb);
	while (size >= 4 && n < FUZZ_MAX_REQUESTS) {
		const struct method *m = fuzz_methods[data[0] %
		    fuzz_method_count];
		uint8_t flags = data[1];
		size_t len = (size_t)data[2] << 8 | data[3];

		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		if (flags & 2) {
			if (len > 0)
				msgpack_sbuffer_write(&pb.sb,
				    (const char *)data, len);
			raw = len > 0;
			break;
		}
		fuzz_pack_request(&pb, ++n, m, flags & 1, data, len);
		data += len;
		size -= len;
	}
	FUZZ_CHECK(!packbuf_failed(&pb));
	if (pb.sb.size > 0 && (fd = fuzz_connect()) >= 0) {
		fuzz_send_all(fd, pb.sb.data, pb.sb.size);
		if (raw)
			shutdown(fd, SHUT_WR);
		fuzz_read_answers(fd, n, raw);
		close(fd);
		fuzz_check_rest();
	}
	packbuf_destroy(&pb);
	return 0;
}
