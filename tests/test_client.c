/*
 * test_client.c -- libcashbook against a fake cashbookd, and cashbookctl's
 * JSON output.
 *
 * Each test starts a fake server: a thread that listens on a temporary
 * Unix socket, accepts one connection and runs a script -- read requests,
 * answer canned (or broken, or no) responses.  The scripts check what the
 * client sent; the test body checks what the library made of the answers.
 * Nothing here needs cashbookd.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The protocol's headers before cashbook.h (CB_OK, see there). */
#include "cb_limits.h"
#include "errors.h"
#include "packbuf.h"
#include "rpc.h"
#include "scan.h"

#include "cashbook_msgpack.h"
#include "ctl_output.h"
#include "peer.h"
#include "tap.h"

#define TEST_TIMEOUT_MS 2000

/* ---- the fake server ---- */

struct srv {
	int fd;
	char buf[4 * 1024 * 1024];
	size_t len;
	struct scanner sc;
};

struct fake {
	char dir[64];
	char path[108];
	int lfd;
	pthread_t thread;
	void (*script)(struct srv *s);
};

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	struct srv *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->fd = accept(f->lfd, NULL, NULL);
	CHECK(s->fd >= 0);
	if (s->fd >= 0) {
		scan_reset(&s->sc);
		f->script(s);
		close(s->fd);
	}
	free(s);
	return NULL;
}

static int
fake_start(struct fake *f, void (*script)(struct srv *))
{
	struct sockaddr_un sa;

	memset(f, 0, sizeof *f);
	f->script = script;
	snprintf(f->dir, sizeof f->dir, "/tmp/cbtest.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/s.sock", f->dir);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
	if (bind(f->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(f->lfd, 4) != 0)
		return -1;
	if (pthread_create(&f->thread, NULL, fake_main, f) != 0)
		return -1;
	return 0;
}

static void
fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

/* Start a fake server and connect to it; NULL on failure. */
static struct cb_conn *
fake_connect(struct fake *f, void (*script)(struct srv *), int timeout_ms)
{
	struct cb_conn *conn = NULL;
	char err[128];

	if (fake_start(f, script) != 0)
		return NULL;
	if (cb_connect(f->path, timeout_ms, &conn, err, sizeof err) != CB_OK) {
		printf("# connect: %s\n", err);
		return NULL;
	}
	return conn;
}

/* Read the next request.  0 with *up (free it) and *m filled, -1 on EOF. */
static int
srv_next(struct srv *s, msgpack_unpacked *up, struct rpc_message *m)
{
	size_t len;
	uint32_t id;
	char err[128];
	ssize_t n;

	for (;;) {
		if (s->len > 0) {
			enum scan_status st = scan_feed(&s->sc,
			    (const uint8_t *)s->buf, s->len, sizeof s->buf,
			    CB_MAX_NESTING, &len);

			if (st == SCAN_COMPLETE) {
				scan_reset(&s->sc);
				msgpack_unpacked_init(up);
				if (rpc_decode(s->buf, len, up) != 0)
					return -1;
				memmove(s->buf, s->buf + len, s->len - len);
				s->len -= len;
				if (rpc_parse(&up->data, m, &id, err,
				    sizeof err) != 0) {
					printf("# fake: %s\n", err);
					msgpack_unpacked_destroy(up);
					return -1;
				}
				return 0;
			}
			if (st != SCAN_NEED_MORE)
				return -1;
		}
		n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
		if (n <= 0)
			return -1;
		s->len += (size_t)n;
	}
}

/* Read a request and return its msgid (the rest is dropped). */
static uint32_t
srv_next_id(struct srv *s)
{
	msgpack_unpacked up;
	struct rpc_message m;
	uint32_t id;

	if (srv_next(s, &up, &m) != 0) {
		CHECK(!"fake server: no request");
		return 0;
	}
	id = m.msgid;
	msgpack_unpacked_destroy(&up);
	return id;
}

/* Wait until the client hangs up, ignoring what it sends. */
static void
srv_wait_close(struct srv *s)
{
	char buf[512];

	while (read(s->fd, buf, sizeof buf) > 0)
		continue;
}

static void
srv_write(struct srv *s, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void
srv_send_pb(struct srv *s, struct packbuf *pb)
{
	CHECK(!packbuf_failed(pb));
	srv_write(s, pb->sb.data, pb->sb.size);
	packbuf_destroy(pb);
}

/* Answer msgid with {"n": n}. */
static void
srv_reply_n(struct srv *s, uint32_t msgid, int64_t n)
{
	struct packbuf pb;

	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, msgid);
	msgpack_pack_map(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "n");
	msgpack_pack_int64(&pb.pk, n);
	srv_send_pb(s, &pb);
}

static void
srv_reply_ping(struct srv *s, uint32_t msgid)
{
	struct packbuf pb;

	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, msgid);
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "version");
	rpc_pack_cstr(&pb.pk, "0.1.0");
	rpc_pack_cstr(&pb.pk, "protocol");
	msgpack_pack_int(&pb.pk, 1);
	srv_send_pb(s, &pb);
}

static void
srv_reply_error(struct srv *s, uint32_t msgid, enum cb_code code,
    const char *msg)
{
	struct packbuf pb;

	packbuf_init(&pb);
	rpc_pack_response_error(&pb.pk, msgid, code, msg);
	srv_send_pb(s, &pb);
}

static void
srv_notify_error(struct srv *s, const char *msg)
{
	struct packbuf pb;

	packbuf_init(&pb);
	rpc_pack_notification_error(&pb.pk, CB_PROTOCOL_ERROR, msg);
	srv_send_pb(s, &pb);
}

/* Push [2, "event", [{"kind": "entry_added", "seq": seq}]]. */
static void
srv_event(struct srv *s, int64_t seq)
{
	struct packbuf pb;

	packbuf_init(&pb);
	msgpack_pack_array(&pb.pk, 3);
	msgpack_pack_uint8(&pb.pk, RPC_NOTIFICATION);
	rpc_pack_cstr(&pb.pk, "event");
	msgpack_pack_array(&pb.pk, 1);
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "kind");
	rpc_pack_cstr(&pb.pk, "entry_added");
	rpc_pack_cstr(&pb.pk, "seq");
	msgpack_pack_int64(&pb.pk, seq);
	srv_send_pb(s, &pb);
}

/* ---- calls ---- */

static void
script_ping(struct srv *s)
{
	msgpack_unpacked up;
	struct rpc_message m;

	int got = srv_next(s, &up, &m);

	REQUIRE(got == 0);
	CHECK(m.type == RPC_REQUEST);
	CHECK(m.method_len == 4 && memcmp(m.method, "ping", 4) == 0);
	CHECK(m.params == NULL);	/* no params: [] */
	srv_reply_ping(s, m.msgid);
	msgpack_unpacked_destroy(&up);
}

static void
test_call_ok(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_ping, TEST_TIMEOUT_MS);
	struct cb_ping_info info;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_ping(conn, &info), CB_OK);
	CHECK_EQ_STR(info.version, "0.1.0");
	CHECK_EQ_INT(info.protocol, 1);
	CHECK(cb_error_code(conn) == NULL);
	CHECK_EQ_INT(cb_pending(conn), 0);
	cb_close(conn);
	fake_stop(&f);
}

static void
script_stats(struct srv *s)
{
	static const char *const pool[] = { "size", "in_use", "idle",
	    "waiting", "acquired", "released", "wait_timeouts", "replaced",
	    "max_wait_us" };
	struct packbuf pb;
	uint32_t id = srv_next_id(s);

	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, id);
	msgpack_pack_map(&pb.pk, 4);
	rpc_pack_cstr(&pb.pk, "pool");
	msgpack_pack_map(&pb.pk, 9);
	for (int i = 0; i < 9; i++) {
		rpc_pack_cstr(&pb.pk, pool[i]);
		msgpack_pack_int(&pb.pk, 10 + i);
	}
	rpc_pack_cstr(&pb.pk, "connections");
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "open");
	msgpack_pack_int(&pb.pk, 3);
	rpc_pack_cstr(&pb.pk, "max");
	msgpack_pack_int(&pb.pk, 1024);
	rpc_pack_cstr(&pb.pk, "requests");
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "total");
	msgpack_pack_uint64(&pb.pk, 5000000000ull);
	rpc_pack_cstr(&pb.pk, "errors");
	msgpack_pack_int(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "uptime_s");
	msgpack_pack_int(&pb.pk, 7380);
	srv_send_pb(s, &pb);

	/* Second call: a figure is missing. */
	id = srv_next_id(s);
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, id);
	msgpack_pack_map(&pb.pk, 0);
	srv_send_pb(s, &pb);

	/* The connection survives an incomplete answer. */
	srv_reply_ping(s, srv_next_id(s));
}

static void
test_stats(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_stats, TEST_TIMEOUT_MS);
	struct cb_ping_info info;
	struct cb_stats st;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_stats(conn, &st), CB_OK);
	CHECK_EQ_INT(st.pool.size, 10);
	CHECK_EQ_INT(st.pool.in_use, 11);
	CHECK_EQ_INT(st.pool.max_wait_us, 18);
	CHECK_EQ_INT(st.connections.open, 3);
	CHECK_EQ_INT(st.connections.max, 1024);
	CHECK_EQ_INT(st.requests.total, 5000000000ll);
	CHECK_EQ_INT(st.requests.errors, 2);
	CHECK_EQ_INT(st.uptime_s, 7380);
	CHECK_EQ_INT(cb_stats(conn, &st), CB_EPROTO);
	CHECK(strstr(cb_error_message(conn), "pool.size") != NULL);
	CHECK_EQ_INT(cb_ping(conn, &info), CB_OK);
	cb_close(conn);
	fake_stop(&f);
}

static void
script_server_error(struct srv *s)
{
	srv_reply_error(s, srv_next_id(s), CB_POOL_TIMEOUT,
	    "no database handle free within 5000 ms");
	srv_reply_ping(s, srv_next_id(s));
}

static void
test_call_server_error(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_server_error,
	    TEST_TIMEOUT_MS);
	struct cb_reply *reply = (struct cb_reply *)&f;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &reply), CB_ESERVER);
	CHECK(reply == NULL);
	CHECK_EQ_STR(cb_error_code(conn), "pool_timeout");
	CHECK_EQ_STR(cb_error_message(conn),
	    "no database handle free within 5000 ms");
	/* A server error leaves the connection usable. */
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &reply), CB_OK);
	CHECK(cb_error_code(conn) == NULL);
	CHECK_EQ_STR(cb_error_message(conn), "");
	cb_reply_free(reply);
	cb_close(conn);
	fake_stop(&f);
}

/* ---- pipelining ---- */

static void
script_pipeline(struct srv *s)
{
	uint32_t ids[3], a, b;

	/* Three requests, answered last first; the middle one fails. */
	for (int i = 0; i < 3; i++)
		ids[i] = srv_next_id(s);
	srv_reply_n(s, ids[2], 2);
	srv_reply_error(s, ids[1], CB_NOT_FOUND, "no such book");
	srv_reply_n(s, ids[0], 0);

	/* cb_send A, then cb_call B: answer A first, B must still win. */
	a = srv_next_id(s);
	b = srv_next_id(s);
	srv_reply_n(s, a, 100);
	srv_reply_n(s, b, 200);
}

static void
test_pipeline_out_of_order(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_pipeline,
	    TEST_TIMEOUT_MS);
	struct cb_reply *r;
	uint32_t ids[3], a;
	int64_t n;

	REQUIRE(conn != NULL);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(cb_send(conn, "ping", NULL, &ids[i]), CB_OK);
	CHECK(ids[0] != ids[1] && ids[1] != ids[2]);
	CHECK_EQ_INT(cb_pending(conn), 3);

	CHECK_EQ_INT(cb_recv(conn, &r), CB_OK);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(cb_reply_msgid(r), ids[2]);
	CHECK_EQ_INT(cb_map_get_int(cb_reply_result(r), "n", &n), CB_OK);
	CHECK_EQ_INT(n, 2);
	CHECK(cb_reply_error_code(r) == NULL);
	cb_reply_free(r);

	CHECK_EQ_INT(cb_recv(conn, &r), CB_OK);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(cb_reply_msgid(r), ids[1]);
	CHECK_EQ_STR(cb_reply_error_code(r), "not_found");
	CHECK_EQ_STR(cb_reply_error_message(r), "no such book");
	CHECK(cb_reply_result(r)->type == MSGPACK_OBJECT_NIL);
	cb_reply_free(r);

	CHECK_EQ_INT(cb_recv(conn, &r), CB_OK);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(cb_reply_msgid(r), ids[0]);
	cb_reply_free(r);
	CHECK_EQ_INT(cb_pending(conn), 0);
	CHECK_EQ_INT(cb_recv(conn, &r), CB_EINVAL);	/* nothing in flight */

	/* Mixed: the answer to A arrives while cb_call waits for B. */
	CHECK_EQ_INT(cb_send(conn, "ping", NULL, &a), CB_OK);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_OK);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(cb_map_get_int(cb_reply_result(r), "n", &n), CB_OK);
	CHECK_EQ_INT(n, 200);
	cb_reply_free(r);
	CHECK_EQ_INT(cb_pending(conn), 1);
	CHECK(cb_buffered(conn));
	CHECK_EQ_INT(cb_recv(conn, &r), CB_OK);
	REQUIRE(r != NULL);
	CHECK(!cb_buffered(conn));
	CHECK_EQ_INT(cb_reply_msgid(r), a);
	CHECK_EQ_INT(cb_map_get_int(cb_reply_result(r), "n", &n), CB_OK);
	CHECK_EQ_INT(n, 100);
	cb_reply_free(r);
	CHECK_EQ_INT(cb_pending(conn), 0);
	cb_close(conn);
	fake_stop(&f);
}

/* Both sides send more than a socket buffer holds without reading: the
 * client must read the daemon's answer while it sends, or both block. */
#define BIG_ANSWER (1024 * 1024)
#define BIG_REQUEST (2 * 1024 * 1024)

static void
script_big_both_ways(struct srv *s)
{
	struct packbuf pb;
	char *blob = malloc(BIG_ANSWER);
	uint32_t id;

	REQUIRE(blob != NULL);
	memset(blob, 'a', BIG_ANSWER);
	id = srv_next_id(s);
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, id);
	msgpack_pack_map(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "blob");
	msgpack_pack_str(&pb.pk, BIG_ANSWER);
	msgpack_pack_str_body(&pb.pk, blob, BIG_ANSWER);
	srv_send_pb(s, &pb);		/* blocks until the client reads */
	free(blob);
	srv_reply_n(s, srv_next_id(s), 2);
}

static void
test_pipeline_no_deadlock(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_big_both_ways, 5000);
	struct cb_params *p = cb_params_new();
	char *blob = malloc(BIG_REQUEST + 1);
	struct cb_reply *r;
	uint32_t a = 0, b = 0;
	int64_t n;

	REQUIRE(conn != NULL && p != NULL && blob != NULL);
	memset(blob, 'b', BIG_REQUEST);
	blob[BIG_REQUEST] = '\0';
	CHECK_EQ_INT(cb_params_str(p, "blob", blob), CB_OK);
	CHECK_EQ_INT(cb_send(conn, "ping", NULL, &a), CB_OK);
	CHECK_EQ_INT(cb_send(conn, "big", p, &b), CB_OK);
	CHECK_EQ_INT(cb_recv(conn, &r), CB_OK);
	CHECK_EQ_INT(cb_reply_msgid(r), a);
	CHECK(cb_map_get(cb_reply_result(r), "blob") != NULL &&
	    cb_map_get(cb_reply_result(r), "blob")->via.str.size ==
	    BIG_ANSWER);
	cb_reply_free(r);
	CHECK_EQ_INT(cb_recv(conn, &r), CB_OK);
	CHECK_EQ_INT(cb_reply_msgid(r), b);
	CHECK_EQ_INT(cb_map_get_int(cb_reply_result(r), "n", &n), CB_OK);
	CHECK_EQ_INT(n, 2);
	cb_reply_free(r);
	free(blob);
	cb_params_free(p);
	cb_close(conn);
	fake_stop(&f);
}

/* A queued reply still owned by the conn is freed by cb_close (ASan). */
static void
script_two_answers(struct srv *s)
{
	uint32_t a = srv_next_id(s), b = srv_next_id(s);

	srv_reply_n(s, a, 1);
	srv_reply_n(s, b, 2);
}

static void
test_close_with_queued_reply(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_two_answers,
	    TEST_TIMEOUT_MS);
	struct cb_reply *r;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_send(conn, "ping", NULL, NULL), CB_OK);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_OK);
	cb_reply_free(r);
	CHECK_EQ_INT(cb_pending(conn), 1);
	cb_close(conn);
	fake_stop(&f);
}

/* ---- the server going wrong ---- */

static void
script_protocol_error(struct srv *s)
{
	(void)srv_next_id(s);
	srv_notify_error(s, "message larger than 1048576 bytes");
}

static void
test_protocol_error_notification(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_protocol_error,
	    TEST_TIMEOUT_MS);
	struct cb_reply *r;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_EPROTO);
	CHECK_EQ_STR(cb_error_code(conn), "protocol_error");
	CHECK_EQ_STR(cb_error_message(conn),
	    "message larger than 1048576 bytes");
	/* The connection is dead for good, and says why. */
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_EPROTO);
	CHECK_EQ_STR(cb_error_message(conn),
	    "message larger than 1048576 bytes");
	CHECK_EQ_INT(cb_send(conn, "ping", NULL, NULL), CB_EPROTO);
	cb_close(conn);
	fake_stop(&f);
}

/* "too many clients": the notice comes and the server hangs up before the
 * client has sent anything; the send then fails with EPIPE, and the
 * notice must still be what the caller sees (and no SIGPIPE). */
static void
script_refuse(struct srv *s)
{
	srv_notify_error(s, "too many clients");
}

static void
test_refused_before_request(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_refuse,
	    TEST_TIMEOUT_MS);
	struct cb_reply *r;

	REQUIRE(conn != NULL);
	pthread_join(f.thread, NULL);	/* server is gone */
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_EPROTO);
	CHECK_EQ_STR(cb_error_code(conn), "protocol_error");
	CHECK_EQ_STR(cb_error_message(conn), "too many clients");
	cb_close(conn);
	close(f.lfd);
	unlink(f.path);
	rmdir(f.dir);
}

static void
script_hang_up(struct srv *s)
{
	(void)s;
}

static void
test_server_gone(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_hang_up,
	    TEST_TIMEOUT_MS);
	struct cb_reply *r;
	int rc;

	REQUIRE(conn != NULL);
	pthread_join(f.thread, NULL);
	rc = cb_call(conn, "ping", NULL, &r);
	CHECK_EQ_INT(rc, CB_EIO);
	CHECK(cb_error_code(conn) == NULL);
	CHECK(strstr(cb_error_message(conn), "closed") != NULL);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_EIO);
	cb_close(conn);
	close(f.lfd);
	unlink(f.path);
	rmdir(f.dir);
}

static void
script_half_answer(struct srv *s)
{
	static const unsigned char half[] = { 0x94, 0x01, 0x01 };

	(void)srv_next_id(s);
	srv_write(s, half, sizeof half);
}

static void
test_closed_mid_response(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_half_answer,
	    TEST_TIMEOUT_MS);
	struct cb_reply *r;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_EIO);
	CHECK(strstr(cb_error_message(conn), "middle") != NULL);
	cb_close(conn);
	fake_stop(&f);
}

/* The server sits on the first request until the second arrives, then
 * answers both: the first answer comes too late and must be dropped. */
static void
script_slow(struct srv *s)
{
	uint32_t first = srv_next_id(s), second = srv_next_id(s);

	srv_reply_n(s, first, 1);
	srv_reply_n(s, second, 2);
}

static void
test_timeout(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_slow, 100);
	struct cb_reply *r;
	struct timespec t0, t1;
	int64_t n, ms;

	REQUIRE(conn != NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_ETIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 90 && ms < 1500);
	CHECK(strstr(cb_error_message(conn), "100 ms") != NULL);
	CHECK_EQ_INT(cb_pending(conn), 0);	/* abandoned, not pending */

	/* Still usable; the late answer is skipped. */
	cb_set_timeout(conn, TEST_TIMEOUT_MS);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_OK);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(cb_map_get_int(cb_reply_result(r), "n", &n), CB_OK);
	CHECK_EQ_INT(n, 2);
	cb_reply_free(r);
	cb_close(conn);
	fake_stop(&f);
}

/* Notifications nobody asked for, without end. */
static void
script_chatter(struct srv *s)
{
	static const unsigned char tick[] = { 0x93, 0x02, 0xa4, 't', 'i',
	    'c', 'k', 0x90 };
	unsigned char burst[sizeof tick * 64];

	for (size_t i = 0; i < 64; i++)
		memcpy(burst + i * sizeof tick, tick, sizeof tick);
	(void)srv_next_id(s);
	while (send(s->fd, burst, sizeof burst, MSG_NOSIGNAL) > 0)
		continue;
}

static void
test_timeout_despite_chatter(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_chatter, 100);
	struct cb_reply *r;
	struct timespec t0, t1;
	int64_t ms;

	REQUIRE(conn != NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_ETIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 90 && ms < 1500);
	cb_close(conn);
	fake_stop(&f);
}

/* ---- notifications ---- */

/* Events before and after the answer to a call; then events while a
 * pipelined request is in flight; then hang up after two more. */
static void
script_events(struct srv *s)
{
	uint32_t id = srv_next_id(s);

	srv_event(s, 1);
	srv_reply_n(s, id, 7);
	srv_event(s, 2);
	srv_event(s, 3);
	id = srv_next_id(s);		/* the pipelined one */
	srv_reply_n(s, id, 8);
	srv_event(s, 4);
	(void)srv_next_id(s);		/* "go on" */
	srv_event(s, 5);
	srv_event(s, 6);
}

/* The next notification's seq, or -1 when there is none (rc says why). */
static int64_t
next_seq(struct cb_conn *conn, int timeout_ms, int *rc)
{
	struct cb_reply *ev;
	int64_t seq = -1;

	*rc = cb_next_notification(conn, timeout_ms, &ev);
	if (*rc != CB_OK)
		return -1;
	CHECK_EQ_STR(cb_reply_method(ev), "event");
	CHECK_EQ_INT(cb_map_get_int(cb_reply_result(ev), "seq", &seq), CB_OK);
	cb_reply_free(ev);
	return seq;
}

static void
test_notifications(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_events,
	    TEST_TIMEOUT_MS);
	struct cb_reply *r;
	uint32_t id;
	int64_t n;
	int rc;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_OK);
	REQUIRE(r != NULL);
	CHECK(cb_reply_method(r) == NULL);	/* a response */
	CHECK_EQ_INT(cb_map_get_int(cb_reply_result(r), "n", &n), CB_OK);
	CHECK_EQ_INT(n, 7);
	cb_reply_free(r);
	/* The event that came before the answer waits, in order. */
	CHECK(cb_buffered(conn));
	CHECK_EQ_INT(next_seq(conn, 1000, &rc), 1);
	CHECK_EQ_INT(next_seq(conn, 1000, &rc), 2);
	CHECK_EQ_INT(next_seq(conn, 1000, &rc), 3);
	CHECK_EQ_INT(next_seq(conn, 0, &rc), -1);
	CHECK_EQ_INT(rc, CB_ETIMEOUT);
	CHECK_EQ_INT(cb_pending(conn), 0);

	/* An answer that arrives while waiting for an event is kept. */
	CHECK_EQ_INT(cb_send(conn, "ping", NULL, &id), CB_OK);
	CHECK_EQ_INT(next_seq(conn, -1, &rc), 4);
	CHECK_EQ_INT(cb_pending(conn), 1);
	CHECK_EQ_INT(cb_recv(conn, &r), CB_OK);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(cb_reply_msgid(r), id);
	CHECK_EQ_INT(cb_map_get_int(cb_reply_result(r), "n", &n), CB_OK);
	CHECK_EQ_INT(n, 8);
	cb_reply_free(r);

	/* Events received before the server hung up still come out, then
	 * the loss. */
	CHECK_EQ_INT(cb_send(conn, "go_on", NULL, &id), CB_OK);
	CHECK_EQ_INT(next_seq(conn, -1, &rc), 5);
	CHECK_EQ_INT(next_seq(conn, -1, &rc), 6);
	CHECK_EQ_INT(next_seq(conn, -1, &rc), -1);
	CHECK_EQ_INT(rc, CB_EIO);
	CHECK_EQ_INT(cb_notifications_dropped(conn), 0);
	cb_close(conn);
	fake_stop(&f);
}

#define FLOOD_EVENTS 5000

/* More events than the client keeps, then the answer to its call. */
static void
script_flood(struct srv *s)
{
	uint32_t id = srv_next_id(s);

	for (int64_t i = 1; i <= FLOOD_EVENTS; i++)
		srv_event(s, i);
	srv_reply_n(s, id, 1);
	srv_wait_close(s);
}

static void
test_notifications_bounded(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_flood,
	    TEST_TIMEOUT_MS);
	struct cb_reply *r;
	int64_t seq, expect = 1;
	int rc;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_OK);
	cb_reply_free(r);
	/* The oldest 4096 are kept, in order; the rest were dropped and
	 * counted. */
	while ((seq = next_seq(conn, 0, &rc)) > 0) {
		if (seq != expect)
			break;
		expect++;
	}
	CHECK_EQ_INT(rc, CB_ETIMEOUT);
	CHECK_EQ_INT(expect - 1, 4096);
	CHECK_EQ_INT(cb_notifications_dropped(conn), FLOOD_EVENTS - 4096);
	CHECK(!cb_buffered(conn));
	cb_close(conn);
	fake_stop(&f);
}

static void
script_huge(struct srv *s)
{
	/* [1, msgid, nil, <str of 4 GB>]: declares far past any limit. */
	unsigned char msg[] = { 0x94, 0x01, 0x00, 0xc0,
	    0xdb, 0xff, 0xff, 0xff, 0xf0, 'x' };

	msg[2] = (unsigned char)srv_next_id(s);
	srv_write(s, msg, sizeof msg);
	/* Keep the connection open: the client must not wait for more. */
	srv_wait_close(s);
}

static void
test_oversized_response(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_huge, TEST_TIMEOUT_MS);
	struct cb_reply *r;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_EPROTO);
	CHECK(cb_error_code(conn) == NULL);
	CHECK(strstr(cb_error_message(conn), "invalid response") != NULL);
	cb_close(conn);		/* the script's read ends with EOF */
	fake_stop(&f);
}

static void
script_garbage(struct srv *s)
{
	static const unsigned char bad[] = { 0xc1, 0x00, 0x00 };

	(void)srv_next_id(s);
	srv_write(s, bad, sizeof bad);
	srv_wait_close(s);
}

static void
script_stranger(struct srv *s)
{
	uint32_t id = srv_next_id(s);

	srv_reply_n(s, id + 1000, 0);	/* never asked */
	srv_wait_close(s);
}

static void
script_deep(struct srv *s)
{
	unsigned char msg[64];
	size_t n = 0;

	msg[n++] = 0x94;
	msg[n++] = 0x01;
	msg[n++] = (unsigned char)srv_next_id(s);
	msg[n++] = 0xc0;
	for (int i = 0; i < CB_MAX_NESTING + 4; i++)
		msg[n++] = 0x91;	/* [[[[... */
	msg[n++] = 0xc0;
	srv_write(s, msg, n);
	srv_wait_close(s);
}

static void
script_not_rpc(struct srv *s)
{
	static const unsigned char msg[] = { 0x93, 0x05, 0x01, 0x02 };

	(void)srv_next_id(s);
	srv_write(s, msg, sizeof msg);
	srv_wait_close(s);
}

static void
test_invalid_responses(void)
{
	void (*scripts[])(struct srv *) = { script_garbage, script_stranger,
	    script_deep, script_not_rpc };

	for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
		struct fake f;
		struct cb_conn *conn = fake_connect(&f, scripts[i],
		    TEST_TIMEOUT_MS);
		struct cb_reply *r;

		REQUIRE(conn != NULL);
		CHECK_EQ_INT(cb_call(conn, "ping", NULL, &r), CB_EPROTO);
		printf("# %zu: %s\n", i, cb_error_message(conn));
		CHECK(cb_error_message(conn)[0] != '\0');
		cb_close(conn);
		fake_stop(&f);
	}
}

/* ---- params ---- */

#define NAME "Zo\xc3\xab \"q\"\n\\x"

static void
script_params(struct srv *s)
{
	msgpack_unpacked up;
	struct rpc_message m;
	const msgpack_object *v;
	int got = srv_next(s, &up, &m);

	REQUIRE(got == 0);
	CHECK(m.method_len == 9 && memcmp(m.method, "book.list", 9) == 0);
	REQUIRE(m.params != NULL);
	CHECK_EQ_INT(m.params->via.map.size, 13);
	v = rpc_map_get(m.params, "name");
	REQUIRE(v != NULL && v->type == MSGPACK_OBJECT_STR);
	CHECK(v->via.str.size == sizeof(NAME) - 1 &&
	    memcmp(v->via.str.ptr, NAME, sizeof(NAME) - 1) == 0);
	v = rpc_map_get(m.params, "neg");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
	    v->via.i64 == -5);
	v = rpc_map_get(m.params, "max");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    v->via.u64 == INT64_MAX);
	v = rpc_map_get(m.params, "min");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
	    v->via.i64 == INT64_MIN);
	v = rpc_map_get(m.params, "yes");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN &&
	    v->via.boolean);
	v = rpc_map_get(m.params, "no");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN &&
	    !v->via.boolean);
	v = rpc_map_get(m.params, "none");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_NIL);
	v = rpc_map_get(m.params, "tags");
	REQUIRE(v != NULL && v->type == MSGPACK_OBJECT_ARRAY);
	CHECK_EQ_INT(v->via.array.size, 2);
	CHECK(v->via.array.ptr[0].type == MSGPACK_OBJECT_STR &&
	    v->via.array.ptr[0].via.str.size == 4 &&
	    memcmp(v->via.array.ptr[0].via.str.ptr, "food", 4) == 0);
	CHECK(v->via.array.ptr[1].type == MSGPACK_OBJECT_STR &&
	    v->via.array.ptr[1].via.str.size == 0);
	v = rpc_map_get(m.params, "no_tags");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_ARRAY &&
	    v->via.array.size == 0);
	v = rpc_map_get(m.params, "ids");
	REQUIRE(v != NULL && v->type == MSGPACK_OBJECT_ARRAY);
	CHECK_EQ_INT(v->via.array.size, 3);
	CHECK(v->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    v->via.array.ptr[0].via.u64 == 7);
	CHECK(v->via.array.ptr[1].type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
	    v->via.array.ptr[1].via.i64 == -1);
	CHECK(v->via.array.ptr[2].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    v->via.array.ptr[2].via.u64 == INT64_MAX);
	v = rpc_map_get(m.params, "no_ids");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_ARRAY &&
	    v->via.array.size == 0);
	/* [{"n": 1, "tags": ["food", ""]}, {}] */
	v = rpc_map_get(m.params, "rows");
	REQUIRE(v != NULL && v->type == MSGPACK_OBJECT_ARRAY &&
	    v->via.array.size == 2);
	REQUIRE(v->via.array.ptr[0].type == MSGPACK_OBJECT_MAP &&
	    v->via.array.ptr[0].via.map.size == 2);
	CHECK(rpc_map_get(&v->via.array.ptr[0], "n") != NULL &&
	    rpc_map_get(&v->via.array.ptr[0], "n")->via.u64 == 1);
	CHECK(rpc_map_get(&v->via.array.ptr[0], "tags") != NULL &&
	    rpc_map_get(&v->via.array.ptr[0], "tags")->via.array.size == 2);
	CHECK(v->via.array.ptr[1].type == MSGPACK_OBJECT_MAP &&
	    v->via.array.ptr[1].via.map.size == 0);
	v = rpc_map_get(m.params, "no_rows");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_ARRAY &&
	    v->via.array.size == 0);
	srv_reply_n(s, m.msgid, 0);
	msgpack_unpacked_destroy(&up);

	/* An empty params object is sent as []. */
	got = srv_next(s, &up, &m);
	REQUIRE(got == 0);
	CHECK(m.params == NULL);
	srv_reply_n(s, m.msgid, 0);
	msgpack_unpacked_destroy(&up);
}

static void
test_params(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_params,
	    TEST_TIMEOUT_MS);
	struct cb_params *p = cb_params_new(), *empty = cb_params_new();
	struct cb_params *row = cb_params_new();
	const struct cb_params *rows[2] = { row, empty };
	const struct cb_params *bad_rows[2] = { row, NULL };
	const char *const tags[] = { "food", "" };
	const char *const bad_tags[] = { "food", NULL };
	const int64_t ids[] = { 7, -1, INT64_MAX };
	struct cb_reply *r;

	REQUIRE(conn != NULL && p != NULL && empty != NULL && row != NULL);
	CHECK_EQ_INT(cb_params_str(p, "name", NAME), CB_OK);
	CHECK_EQ_INT(cb_params_int(p, "neg", -5), CB_OK);
	CHECK_EQ_INT(cb_params_int(p, "max", INT64_MAX), CB_OK);
	CHECK_EQ_INT(cb_params_int(p, "min", INT64_MIN), CB_OK);
	CHECK_EQ_INT(cb_params_bool(p, "yes", true), CB_OK);
	CHECK_EQ_INT(cb_params_bool(p, "no", false), CB_OK);
	CHECK_EQ_INT(cb_params_nil(p, "none"), CB_OK);
	CHECK_EQ_INT(cb_params_str_array(p, "tags", tags, 2), CB_OK);
	CHECK_EQ_INT(cb_params_str_array(p, "no_tags", NULL, 0), CB_OK);
	CHECK_EQ_INT(cb_params_int_array(p, "ids", ids, 3), CB_OK);
	CHECK_EQ_INT(cb_params_int_array(p, "no_ids", NULL, 0), CB_OK);
	CHECK_EQ_INT(cb_params_int_array(p, "bad", NULL, 1), CB_EINVAL);
	CHECK_EQ_INT(cb_params_int_array(p, "ids", ids, 1), CB_EINVAL);
	CHECK_EQ_INT(cb_params_int(row, "n", 1), CB_OK);
	CHECK_EQ_INT(cb_params_str_array(row, "tags", tags, 2), CB_OK);
	CHECK(cb_params_bytes(empty) < cb_params_bytes(row));
	CHECK_EQ_INT(cb_params_map_array(p, "rows", rows, 2), CB_OK);
	CHECK_EQ_INT(cb_params_map_array(p, "no_rows", NULL, 0), CB_OK);
	CHECK_EQ_INT(cb_params_map_array(p, "bad", bad_rows, 2), CB_EINVAL);
	CHECK_EQ_INT(cb_params_map_array(p, "bad", NULL, 1), CB_EINVAL);
	CHECK_EQ_INT(cb_params_map_array(row, "self", rows, 1), CB_EINVAL);
	/* Refused, and the object stays as it was. */
	CHECK_EQ_INT(cb_params_str_array(p, "bad", bad_tags, 2), CB_EINVAL);
	CHECK_EQ_INT(cb_params_str_array(p, "bad", NULL, 1), CB_EINVAL);
	CHECK_EQ_INT(cb_params_int(p, "neg", 1), CB_EINVAL);
	CHECK_EQ_INT(cb_params_str(p, "x", NULL), CB_EINVAL);
	CHECK_EQ_INT(cb_params_str(p, NULL, "x"), CB_EINVAL);
	CHECK_EQ_INT(cb_params_nil(NULL, "x"), CB_EINVAL);

	CHECK_EQ_INT(cb_call(conn, "book.list", p, &r), CB_OK);
	cb_reply_free(r);
	CHECK_EQ_INT(cb_call(conn, "ping", empty, &r), CB_OK);
	cb_reply_free(r);
	/* Bad method names never reach the wire. */
	CHECK_EQ_INT(cb_call(conn, "", NULL, &r), CB_EINVAL);
	CHECK_EQ_INT(cb_call(conn, NULL, NULL, &r), CB_EINVAL);
	cb_params_free(p);
	cb_params_free(empty);
	cb_params_free(row);
	cb_params_free(NULL);
	cb_close(conn);
	fake_stop(&f);
}

/* ---- connecting ---- */

static void
test_connect_failures(void)
{
	struct cb_conn *conn = (struct cb_conn *)&conn;
	char err[128], longpath[300];
	char dir[] = "/tmp/cbtest.XXXXXX", file[64];
	FILE *fp;

	CHECK_EQ_INT(cb_connect("/nonexistent/cashbookd.sock", 1000, &conn,
	    err, sizeof err), CB_ECONNECT);
	CHECK(conn == NULL);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK(strstr(err, "No such file") != NULL);

	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	CHECK_EQ_INT(cb_connect(longpath, 1000, &conn, err, sizeof err),
	    CB_EINVAL);
	CHECK(strstr(err, "too long") != NULL);
	CHECK_EQ_INT(cb_connect("", 1000, &conn, err, sizeof err), CB_EINVAL);

	/* Something that is not a socket. */
	REQUIRE(mkdtemp(dir) != NULL);
	snprintf(file, sizeof file, "%s/f", dir);
	fp = fopen(file, "w");
	REQUIRE(fp != NULL);
	fclose(fp);
	CHECK_EQ_INT(cb_connect(file, 1000, &conn, NULL, 0), CB_ECONNECT);
	unlink(file);
	rmdir(dir);

	/* NULL everything is not a crash. */
	cb_close(NULL);
	CHECK(cb_error_code(NULL) == NULL);
	CHECK_EQ_STR(cb_error_message(NULL), "");
	CHECK_EQ_INT(cb_call(NULL, "ping", NULL, NULL), CB_EINVAL);
	CHECK_EQ_STR(cb_strerror(CB_ETIMEOUT), "timed out waiting for cashbookd");
	CHECK_EQ_STR(cb_strerror(12345), "unknown error");
}

/* ---- whom the library talks to ---- */

/* Another user's uid for the impostor (nobody on Debian). */
#define OTHER_UID 65534

static void
test_peer_uid_rule(void)
{
	CHECK(cb_peer_uid_ok(1000, 1000));		/* one's own daemon */
	CHECK(cb_peer_uid_ok(0, 1000));			/* root's */
	CHECK(!cb_peer_uid_ok(1001, 1000));		/* someone else's */
	CHECK(!cb_peer_uid_ok(OTHER_UID, 1000));
	CHECK(cb_peer_uid_ok(0, 0));
	CHECK(!cb_peer_uid_ok(1000, 0));	/* root sends its secrets to
						   no user's daemon either */
}

/*
 * The impostor, in a child that has become OTHER_UID: listen on path, tell
 * the parent (ready), accept one connection, count every byte it sends
 * until it hangs up, and report the count on result.  Only
 * async-signal-safe calls after fork.  Exits 0, or 1 when a step failed
 * (the parent then sees no report).
 */
static void
impostor_run(const struct sockaddr_un *sa, int ready, int result)
{
	char buf[4096];
	uint64_t total = 0;
	struct pollfd pfd;
	int lfd, fd;
	ssize_t n;

	if (setgid(OTHER_UID) != 0 || setuid(OTHER_UID) != 0 ||
	    getuid() != OTHER_UID)
		_exit(1);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (const struct sockaddr *)sa, sizeof *sa) != 0 ||
	    listen(lfd, 4) != 0)
		_exit(1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	/* Bounded: a parent that never connects does not hang the suite. */
	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || (fd = accept(lfd, NULL, NULL)) < 0)
		_exit(1);
	pfd.fd = fd;
	for (;;) {
		if (poll(&pfd, 1, 10000) != 1)
			_exit(1);
		n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		total += (uint64_t)n;
	}
	if (write(result, &total, sizeof total) != (ssize_t)sizeof total)
		_exit(1);
	_exit(0);
}

/* An impostor started by impostor_start: where it listens, its pid, and
 * the pipe on which it reports the bytes it received. */
struct impostor {
	char dir[64];
	struct sockaddr_un sa;
	pid_t pid;
	int result;
};

/* Make a directory from tmpl (mkdtemp) owned by OTHER_UID with mode, and
 * start an impostor listening at DIR/cashbookd.sock.  0 once it listens,
 * -1 when a step failed. */
static int
impostor_start(struct impostor *im, const char *tmpl, mode_t mode)
{
	int ready[2], result[2];
	char c;
	ssize_t n;

	memset(im, 0, sizeof *im);
	im->result = -1;
	snprintf(im->dir, sizeof im->dir, "%s", tmpl);
	if (mkdtemp(im->dir) == NULL ||
	    chown(im->dir, OTHER_UID, OTHER_UID) != 0 ||
	    chmod(im->dir, mode) != 0)
		return -1;
	memset(&im->sa, 0, sizeof im->sa);
	im->sa.sun_family = AF_UNIX;
	snprintf(im->sa.sun_path, sizeof im->sa.sun_path,
	    "%s/cashbookd.sock", im->dir);
	if (pipe(ready) != 0)
		return -1;
	if (pipe(result) != 0) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	if ((im->pid = fork()) < 0)
		return -1;
	if (im->pid == 0) {
		close(ready[0]);
		close(result[0]);
		impostor_run(&im->sa, ready[1], result[1]);
	}
	close(ready[1]);
	close(result[1]);
	im->result = result[0];
	n = read(ready[0], &c, 1);
	close(ready[0]);
	return n == 1 ? 0 : -1;
}

/* Wait for the impostor to report (once the client hung up) and exit;
 * remove its socket and directory.  The bytes it received, or UINT64_MAX
 * when it reported none. */
static uint64_t
impostor_finish(struct impostor *im)
{
	uint64_t got = UINT64_MAX;
	int status;

	if (read(im->result, &got, sizeof got) != (ssize_t)sizeof got)
		got = UINT64_MAX;
	close(im->result);
	CHECK_EQ_INT(waitpid(im->pid, &status, 0), im->pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(im->sa.sun_path);
	rmdir(im->dir);
	return got;
}

/*
 * Another user listens where we look for cashbookd (the /tmp/cashbook-$UID
 * squatting attack): cb_connect refuses, names the path and the uid, and
 * the impostor receives not one byte.  Needs root, to be the other user.
 */
static void
test_peer_other_uid_refused(void)
{
	struct impostor im;
	struct cb_conn *conn = NULL;
	char err[512] = "";
	int rc, saved;

	REQUIRE(impostor_start(&im, "/tmp/cbtest.XXXXXX", 0700) == 0);
	rc = cb_connect(im.sa.sun_path, 2000, &conn, err, sizeof err);
	saved = errno;
	CHECK_EQ_INT(rc, CB_ECONNECT);
	CHECK_EQ_INT(saved, EPERM);
	CHECK(conn == NULL);
	printf("# refused: %s\n", err);
	CHECK(strstr(err, im.sa.sun_path) != NULL);
	CHECK(strstr(err, "uid 65534") != NULL);
	CHECK(strstr(err, "XDG_RUNTIME_DIR") != NULL);
	CHECK(strstr(err, "--socket") != NULL);
	if (rc == CB_OK) {
		struct cb_ping_info info;

		/* Without the check: a request goes out (and is counted). */
		cb_set_timeout(conn, 200);
		CHECK_EQ_INT(cb_ping(conn, &info), CB_ETIMEOUT);
		cb_close(conn);
	}
	CHECK_EQ_INT(impostor_finish(&im), 0);	/* not one byte reached it */
}

/*
 * A system-wide cashbookd runs as its own user in a directory only that
 * user (and root) can write, under directories only root can write: the
 * socket can only be theirs, so cb_connect accepts it.  The same daemon
 * in a directory others may write, or under /tmp, is refused.
 */
static void
test_peer_system_daemon(void)
{
	struct impostor im;
	struct cb_conn *conn = NULL;
	char err[512] = "";

	REQUIRE(cb_peer_dir_trusted("/run/x.sock", OTHER_UID));
	REQUIRE(impostor_start(&im, "/run/cbtest.XXXXXX", 0750) == 0);
	CHECK_EQ_INT(cb_connect(im.sa.sun_path, 2000, &conn, err, sizeof err),
	    CB_OK);
	cb_close(conn);

	CHECK(cb_peer_dir_trusted(im.sa.sun_path, OTHER_UID));
	CHECK(!cb_peer_dir_trusted(im.sa.sun_path, 1234));	/* not its dir */
	REQUIRE(chmod(im.dir, 0770) == 0);		/* its group too */
	CHECK(!cb_peer_dir_trusted(im.sa.sun_path, OTHER_UID));
	REQUIRE(chmod(im.dir, 0750) == 0);
	CHECK(!cb_peer_dir_trusted("/tmp/cashbook-1000/cashbookd.sock",
	    OTHER_UID));				/* anyone writes /tmp */
	CHECK(!cb_peer_dir_trusted("/no/such/dir/x.sock", OTHER_UID));
	CHECK_EQ_INT(impostor_finish(&im), 0);
}

static void
test_skipped(void)
{
}

static void
test_default_socket_path(void)
{
	char buf[256], want[64], tiny[8];

	setenv("CASHBOOK_SOCKET", "/srv/cb.sock", 1);
	CHECK_EQ_STR(cb_default_socket_path(buf, sizeof buf), "/srv/cb.sock");
	setenv("CASHBOOK_SOCKET", "", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	CHECK_EQ_STR(cb_default_socket_path(buf, sizeof buf),
	    "/run/user/1000/cashbook/cashbookd.sock");
	/* Like the daemon: a relative XDG_RUNTIME_DIR is ignored. */
	setenv("XDG_RUNTIME_DIR", "relative", 1);
	snprintf(want, sizeof want, "/tmp/cashbook-%u/cashbookd.sock",
	    (unsigned)getuid());
	CHECK_EQ_STR(cb_default_socket_path(buf, sizeof buf), want);
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("CASHBOOK_SOCKET");
	CHECK_EQ_STR(cb_default_socket_path(buf, sizeof buf), want);
	CHECK(cb_default_socket_path(tiny, sizeof tiny) == NULL);
}

/* ---- reading results ---- */

static void
test_map_get(void)
{
	struct packbuf pb;
	msgpack_unpacked up;
	const msgpack_object *o;
	char buf[8];
	int64_t v = 42;

	packbuf_init(&pb);
	msgpack_pack_map(&pb.pk, 4);
	rpc_pack_cstr(&pb.pk, "i");
	msgpack_pack_int(&pb.pk, -7);
	rpc_pack_cstr(&pb.pk, "s");
	rpc_pack_cstr(&pb.pk, "hello");
	rpc_pack_cstr(&pb.pk, "long");
	rpc_pack_cstr(&pb.pk, "much too long");
	rpc_pack_cstr(&pb.pk, "u");
	msgpack_pack_uint64(&pb.pk, UINT64_MAX);
	REQUIRE(!packbuf_failed(&pb));
	msgpack_unpacked_init(&up);
	REQUIRE(rpc_decode(pb.sb.data, pb.sb.size, &up) == 0);
	o = &up.data;

	CHECK(cb_map_get(o, "s") != NULL);
	CHECK(cb_map_get(o, "nope") == NULL);
	CHECK(cb_map_get(NULL, "s") == NULL);
	CHECK_EQ_INT(cb_map_get_int(o, "i", &v), CB_OK);
	CHECK_EQ_INT(v, -7);
	CHECK_EQ_INT(cb_map_get_int(o, "u", &v), CB_EPROTO);	/* > INT64 */
	CHECK_EQ_INT(cb_map_get_int(o, "s", &v), CB_EPROTO);
	CHECK_EQ_INT(cb_map_get_int(o, "nope", &v), CB_EPROTO);
	CHECK_EQ_INT(v, -7);
	CHECK_EQ_INT(cb_map_get_str(o, "s", buf, sizeof buf), CB_OK);
	CHECK_EQ_STR(buf, "hello");
	CHECK_EQ_INT(cb_map_get_str(o, "long", buf, sizeof buf), CB_EINVAL);
	CHECK_EQ_STR(buf, "much to");
	CHECK_EQ_INT(cb_map_get_str(o, "i", buf, sizeof buf), CB_EPROTO);
	msgpack_unpacked_destroy(&up);
	packbuf_destroy(&pb);
}

/* ---- values: the public accessors ---- */

static void
test_values(void)
{
	struct packbuf pb;
	msgpack_unpacked up;
	const struct cb_value *v, *arr, *m;
	const char *ptr;
	char buf[8];
	size_t len;
	int64_t i = 42;
	bool b = false;

	packbuf_init(&pb);
	msgpack_pack_map(&pb.pk, 8);
	rpc_pack_cstr(&pb.pk, "i");
	msgpack_pack_int(&pb.pk, -7);
	rpc_pack_cstr(&pb.pk, "s");
	rpc_pack_cstr(&pb.pk, "hello");
	rpc_pack_cstr(&pb.pk, "long");
	rpc_pack_cstr(&pb.pk, "much too long");
	rpc_pack_cstr(&pb.pk, "u");
	msgpack_pack_uint64(&pb.pk, UINT64_MAX);
	rpc_pack_cstr(&pb.pk, "t");
	msgpack_pack_true(&pb.pk);
	rpc_pack_cstr(&pb.pk, "n");
	msgpack_pack_nil(&pb.pk);
	rpc_pack_cstr(&pb.pk, "f");
	msgpack_pack_double(&pb.pk, 0.5);
	rpc_pack_cstr(&pb.pk, "a");
	msgpack_pack_array(&pb.pk, 2);
	msgpack_pack_int(&pb.pk, 1);
	msgpack_pack_map(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "7");
	rpc_pack_cstr(&pb.pk, "seven");
	REQUIRE(!packbuf_failed(&pb));
	msgpack_unpacked_init(&up);
	REQUIRE(rpc_decode(pb.sb.data, pb.sb.size, &up) == 0);
	v = cb_value_of(&up.data);

	CHECK_EQ_INT(cb_value_type(v), CB_VALUE_MAP);
	CHECK_EQ_INT(cb_value_map_len(v), 8);
	CHECK_EQ_INT(cb_value_type(cb_value_map_get(v, "i")), CB_VALUE_INT);
	CHECK_EQ_INT(cb_value_type(cb_value_map_get(v, "u")), CB_VALUE_INT);
	CHECK_EQ_INT(cb_value_type(cb_value_map_get(v, "s")), CB_VALUE_STR);
	CHECK_EQ_INT(cb_value_type(cb_value_map_get(v, "t")), CB_VALUE_BOOL);
	CHECK_EQ_INT(cb_value_type(cb_value_map_get(v, "n")), CB_VALUE_NIL);
	CHECK_EQ_INT(cb_value_type(cb_value_map_get(v, "f")), CB_VALUE_OTHER);
	CHECK_EQ_INT(cb_value_type(cb_value_map_get(v, "a")), CB_VALUE_ARRAY);
	/* Missing is NULL, which reads as nil. */
	CHECK(cb_value_map_get(v, "nope") == NULL);
	CHECK_EQ_INT(cb_value_type(NULL), CB_VALUE_NIL);

	CHECK_EQ_INT(cb_value_map_get_int(v, "i", &i), CB_OK);
	CHECK_EQ_INT(i, -7);
	CHECK_EQ_INT(cb_value_map_get_int(v, "u", &i), CB_EPROTO);
	CHECK_EQ_INT(cb_value_map_get_int(v, "s", &i), CB_EPROTO);
	CHECK_EQ_INT(cb_value_map_get_int(v, "nope", &i), CB_EPROTO);
	CHECK_EQ_INT(cb_value_int(cb_value_map_get(v, "f"), &i), CB_EPROTO);
	CHECK_EQ_INT(i, -7);				/* unchanged */
	CHECK_EQ_INT(cb_value_int(v, NULL), CB_EINVAL);

	CHECK_EQ_INT(cb_value_bool(cb_value_map_get(v, "t"), &b), CB_OK);
	CHECK(b);
	CHECK_EQ_INT(cb_value_bool(cb_value_map_get(v, "i"), &b), CB_EPROTO);
	CHECK_EQ_INT(cb_value_bool(NULL, &b), CB_EPROTO);

	CHECK_EQ_INT(cb_value_str(cb_value_map_get(v, "s"), &ptr, &len),
	    CB_OK);
	CHECK_EQ_INT(len, 5);
	CHECK(memcmp(ptr, "hello", 5) == 0);
	CHECK_EQ_INT(cb_value_str(cb_value_map_get(v, "i"), &ptr, &len),
	    CB_EPROTO);
	CHECK_EQ_INT(cb_value_map_get_str(v, "s", buf, sizeof buf), CB_OK);
	CHECK_EQ_STR(buf, "hello");
	CHECK_EQ_INT(cb_value_map_get_str(v, "long", buf, sizeof buf),
	    CB_EINVAL);
	CHECK_EQ_STR(buf, "much to");
	CHECK_EQ_INT(cb_value_map_get_str(v, "n", buf, sizeof buf), CB_EPROTO);
	CHECK_EQ_STR(buf, "");
	CHECK_EQ_INT(cb_value_str_copy(NULL, buf, 0), CB_EINVAL);

	arr = cb_value_map_get(v, "a");
	CHECK_EQ_INT(cb_value_array_len(arr), 2);
	CHECK_EQ_INT(cb_value_int(cb_value_array_at(arr, 0), &i), CB_OK);
	CHECK_EQ_INT(i, 1);
	m = cb_value_array_at(arr, 1);
	CHECK(cb_value_array_at(arr, 2) == NULL);
	CHECK_EQ_INT(cb_value_map_len(m), 1);
	CHECK_EQ_INT(cb_value_str_copy(cb_value_map_key_at(m, 0), buf,
	    sizeof buf), CB_OK);
	CHECK_EQ_STR(buf, "7");
	CHECK_EQ_INT(cb_value_str_copy(cb_value_map_value_at(m, 0), buf,
	    sizeof buf), CB_OK);
	CHECK_EQ_STR(buf, "seven");
	CHECK(cb_value_map_key_at(m, 1) == NULL);
	CHECK(cb_value_map_value_at(m, 1) == NULL);

	/* The wrong type asks nothing of the value. */
	CHECK_EQ_INT(cb_value_array_len(v), 0);
	CHECK(cb_value_array_at(v, 0) == NULL);
	CHECK_EQ_INT(cb_value_map_len(arr), 0);
	CHECK(cb_value_map_get(arr, "a") == NULL);
	CHECK(cb_value_map_key_at(NULL, 0) == NULL);
	CHECK(cb_value_map_get(NULL, "a") == NULL);
	CHECK_EQ_INT(cb_value_array_len(NULL), 0);

	msgpack_unpacked_destroy(&up);
	packbuf_destroy(&pb);
}

/* ---- typed calls ---- */

/* The value of key in a request's params map: its checks. */
static const msgpack_object *
param(const struct rpc_message *m, const char *key)
{
	return rpc_map_get(m->params, key);
}

static bool
param_str_is(const struct rpc_message *m, const char *key, const char *want)
{
	return rpc_obj_streq(param(m, key), want);
}

static bool
param_int_is(const struct rpc_message *m, const char *key, int64_t want)
{
	int64_t v;

	return cb_map_get_int(m->params, key, &v) == CB_OK && v == want;
}

static bool
param_is_nil(const struct rpc_message *m, const char *key)
{
	const msgpack_object *o = param(m, key);

	return o != NULL && o->type == MSGPACK_OBJECT_NIL;
}

static size_t
param_count(const struct rpc_message *m)
{
	return m->params == NULL ? 0 : m->params->via.map.size;
}

static bool
method_is(const struct rpc_message *m, const char *name)
{
	return m->method_len == strlen(name) &&
	    memcmp(m->method, name, m->method_len) == 0;
}

/* A value that replaces a field to make an answer wrong. */
typedef void (*pack_fn)(msgpack_packer *pk);

/* key: value, unless key is bad_key: then bad packs the value (and when
 * bad is NULL the key is left out: the map's size is then one less). */
#define PUT(pk, key, packing) do {					\
	if (bad_key != NULL && strcmp(bad_key, key) == 0) {		\
		if (bad != NULL) {					\
			rpc_pack_cstr(pk, key);				\
			bad(pk);					\
		}							\
	} else {							\
		rpc_pack_cstr(pk, key);					\
		packing;						\
	}								\
} while (0)

static uint32_t
fields_left(uint32_t n, const char *bad_key, pack_fn bad)
{
	return bad_key != NULL && bad == NULL ? n - 1 : n;
}

static void
pack_book(msgpack_packer *pk, int64_t id, const char *name,
    const char *description, const char *bad_key, pack_fn bad)
{
	msgpack_pack_map(pk, fields_left(15, bad_key, bad));
	PUT(pk, "book_id", msgpack_pack_int64(pk, id));
	PUT(pk, "name", rpc_pack_cstr(pk, name));
	PUT(pk, "currency", rpc_pack_cstr(pk, "JPY"));
	PUT(pk, "decimals", msgpack_pack_int(pk, 0));
	PUT(pk, "description", description != NULL ?
	    rpc_pack_cstr(pk, description) : msgpack_pack_nil(pk));
	PUT(pk, "cash_in", msgpack_pack_int64(pk, 9000000000000000000ll));
	PUT(pk, "cash_out", msgpack_pack_int64(pk, 1500));
	PUT(pk, "balance", msgpack_pack_int64(pk,
	    9000000000000000000ll - 1500));
	PUT(pk, "count", msgpack_pack_int64(pk, 3));
	PUT(pk, "created_at", msgpack_pack_int64(pk, 1767225600));
	PUT(pk, "updated_at", msgpack_pack_int64(pk, 1767225601));
	PUT(pk, "role", rpc_pack_cstr(pk, "member"));
	PUT(pk, "permissions", (msgpack_pack_array(pk, 2),
	    rpc_pack_cstr(pk, "entry.add"), rpc_pack_cstr(pk, "report")));
	PUT(pk, "owner_id", msgpack_pack_int64(pk, 7));
	PUT(pk, "owner_username", rpc_pack_cstr(pk, "碧"));
}

/* An entry: "out" with category, tags and a running balance when
 * running is true; "in" with nils and no tags otherwise. */
static void
pack_entry(msgpack_packer *pk, int64_t id, bool running, bool in_list,
    const char *bad_key, pack_fn bad)
{
	msgpack_pack_map(pk, fields_left(in_list ? 19 : 18, bad_key, bad));
	PUT(pk, "entry_id", msgpack_pack_int64(pk, id));
	PUT(pk, "book_id", msgpack_pack_int64(pk, 5));
	PUT(pk, "type", rpc_pack_cstr(pk, running ? "out" : "in"));
	PUT(pk, "amount", msgpack_pack_int64(pk, 1000000000000000ll));
	PUT(pk, "date", rpc_pack_cstr(pk, "2026-03-01"));
	PUT(pk, "time", running ? rpc_pack_cstr(pk, "08:15") :
	    msgpack_pack_nil(pk));
	PUT(pk, "category", running ? rpc_pack_cstr(pk, "Food") :
	    msgpack_pack_nil(pk));
	PUT(pk, "mode", msgpack_pack_nil(pk));
	PUT(pk, "party", msgpack_pack_nil(pk));
	PUT(pk, "note", running ? rpc_pack_cstr(pk, "ramen 🍜\nand tea") :
	    msgpack_pack_nil(pk));
	PUT(pk, "reference", msgpack_pack_nil(pk));
	PUT(pk, "tags", running ? (msgpack_pack_array(pk, 2),
	    rpc_pack_cstr(pk, "family"), rpc_pack_cstr(pk, "xmas")) :
	    msgpack_pack_array(pk, 0));
	PUT(pk, "idempotency_key", running ? rpc_pack_cstr(pk, "k-1") :
	    msgpack_pack_nil(pk));
	PUT(pk, "deleted", msgpack_pack_false(pk));
	PUT(pk, "created_at", msgpack_pack_int64(pk, 100));
	PUT(pk, "created_by", msgpack_pack_int64(pk, 1));
	PUT(pk, "updated_at", msgpack_pack_int64(pk, 200));
	PUT(pk, "updated_by", msgpack_pack_int64(pk, 2));
	if (in_list)
		PUT(pk, "running_balance", running ?
		    msgpack_pack_int64(pk, -42) : msgpack_pack_nil(pk));
}

/* Read the next request; its method must be name.  0 or -1. */
static int
srv_expect(struct srv *s, msgpack_unpacked *up, struct rpc_message *m,
    const char *name)
{
	if (srv_next(s, up, m) != 0) {
		CHECK(!"fake server: no request");
		return -1;
	}
	if (!method_is(m, name)) {
		printf("# fake: expected %s, got %.*s\n", name,
		    (int)m->method_len, m->method);
		CHECK(!"the method expected");
	}
	return 0;
}

static void
script_books(struct srv *s)
{
	msgpack_unpacked up;
	struct rpc_message m;
	struct packbuf pb;

	/* book.list with a token, a limit and a cursor. */
	if (srv_expect(s, &up, &m, "book.list") != 0)
		return;
	CHECK(param_str_is(&m, "token", "cb1_tok"));
	CHECK(param_int_is(&m, "limit", 2));
	CHECK(param_str_is(&m, "cursor", "c1"));
	CHECK_EQ_INT(param_count(&m), 3);
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "books");
	msgpack_pack_array(&pb.pk, 2);
	pack_book(&pb.pk, 5, "Travel", "Japan, 2026", NULL, NULL);
	pack_book(&pb.pk, 6, "家計簿", NULL, NULL, NULL);
	rpc_pack_cstr(&pb.pk, "next_cursor");
	rpc_pack_cstr(&pb.pk, "c2");
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);

	/* The last page: no token any more, no limit. */
	if (srv_expect(s, &up, &m, "book.list") != 0)
		return;
	CHECK_EQ_INT(param_count(&m), 0);
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "books");
	msgpack_pack_array(&pb.pk, 0);
	rpc_pack_cstr(&pb.pk, "next_cursor");
	msgpack_pack_nil(&pb.pk);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);

	if (srv_expect(s, &up, &m, "book.create") != 0)
		return;
	CHECK(param_str_is(&m, "name", "Travel"));
	CHECK(param_str_is(&m, "currency", "JPY"));
	CHECK(param(&m, "description") == NULL);
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "book_id");
	msgpack_pack_int(&pb.pk, 5);
	rpc_pack_cstr(&pb.pk, "book");
	pack_book(&pb.pk, 5, "Travel", NULL, NULL, NULL);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);

	if (srv_expect(s, &up, &m, "book.get") != 0)
		return;
	CHECK(param_int_is(&m, "book_id", 5));
	srv_reply_error(s, m.msgid, CB_NOT_FOUND, "no such book");
	msgpack_unpacked_destroy(&up);

	if (srv_expect(s, &up, &m, "book.balance") != 0)
		return;
	CHECK(param_int_is(&m, "book_id", 5));
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 6);
	rpc_pack_cstr(&pb.pk, "cash_in");
	msgpack_pack_int64(&pb.pk, 250000);
	rpc_pack_cstr(&pb.pk, "cash_out");
	msgpack_pack_int64(&pb.pk, 4550);
	rpc_pack_cstr(&pb.pk, "balance");
	msgpack_pack_int64(&pb.pk, 245450);
	rpc_pack_cstr(&pb.pk, "count");
	msgpack_pack_int64(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "currency");
	rpc_pack_cstr(&pb.pk, "KWD");
	rpc_pack_cstr(&pb.pk, "decimals");
	msgpack_pack_int(&pb.pk, 3);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);
}

static void
test_typed_books(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_books,
	    TEST_TIMEOUT_MS);
	struct cb_book_page *page = NULL;
	struct cb_book *book = (struct cb_book *)&f;	/* must be NULLed */
	struct cb_balance bal;
	const struct cb_book *b;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_set_token(conn, "cb1_tok"), CB_OK);
	CHECK_EQ_INT(cb_book_list(conn, 2, "c1", &page), CB_OK);
	REQUIRE(page != NULL);
	CHECK_EQ_INT(page->n, 2);
	CHECK_EQ_STR(page->next_cursor, "c2");
	b = &page->books[0];
	CHECK_EQ_INT(b->book_id, 5);
	CHECK_EQ_STR(b->name, "Travel");
	CHECK_EQ_STR(b->currency, "JPY");
	CHECK_EQ_INT(b->decimals, 0);
	CHECK_EQ_STR(b->description, "Japan, 2026");
	CHECK_EQ_INT(b->cash_in, 9000000000000000000ll);
	CHECK_EQ_INT(b->cash_out, 1500);
	CHECK_EQ_INT(b->balance, 9000000000000000000ll - 1500);
	CHECK_EQ_INT(b->count, 3);
	CHECK_EQ_INT(b->created_at, 1767225600);
	CHECK_EQ_INT(b->updated_at, 1767225601);
	CHECK_EQ_STR(b->role, "member");
	REQUIRE(b->npermissions == 2);
	CHECK_EQ_STR(b->permissions[0], "entry.add");
	CHECK_EQ_STR(b->permissions[1], "report");
	CHECK_EQ_INT(b->owner_id, 7);
	CHECK_EQ_STR(b->owner_username, "碧");
	CHECK_EQ_STR(page->books[1].name, "家計簿");
	CHECK(page->books[1].description == NULL);
	cb_book_page_free(page);

	CHECK_EQ_INT(cb_set_token(conn, NULL), CB_OK);
	CHECK_EQ_INT(cb_book_list(conn, 0, NULL, &page), CB_OK);
	REQUIRE(page != NULL);
	CHECK_EQ_INT(page->n, 0);
	CHECK(page->next_cursor == NULL);
	cb_book_page_free(page);

	CHECK_EQ_INT(cb_book_create(conn, "Travel", "JPY", NULL, &book),
	    CB_OK);
	REQUIRE(book != NULL);
	CHECK_EQ_INT(book->book_id, 5);
	CHECK(book->description == NULL);
	cb_book_free(book);

	CHECK_EQ_INT(cb_book_get(conn, 5, &book), CB_ESERVER);
	CHECK(book == NULL);
	CHECK_EQ_STR(cb_error_code(conn), "not_found");
	CHECK_EQ_STR(cb_error_message(conn), "no such book");

	CHECK_EQ_INT(cb_book_balance(conn, 5, &bal), CB_OK);
	CHECK_EQ_INT(bal.cash_in, 250000);
	CHECK_EQ_INT(bal.cash_out, 4550);
	CHECK_EQ_INT(bal.balance, 245450);
	CHECK_EQ_INT(bal.count, 2);
	CHECK_EQ_STR(bal.currency, "KWD");
	CHECK_EQ_INT(bal.decimals, 3);

	cb_book_free(NULL);
	cb_book_page_free(NULL);
	cb_close(conn);
	fake_stop(&f);
}

static void
script_entries(struct srv *s)
{
	msgpack_unpacked up;
	struct rpc_message m;
	struct packbuf pb;
	const msgpack_object *tags;

	if (srv_expect(s, &up, &m, "entry.add") != 0)
		return;
	CHECK(param_int_is(&m, "book_id", 5));
	CHECK(param_str_is(&m, "type", "out"));
	CHECK(param_int_is(&m, "amount", 1250));
	CHECK(param_str_is(&m, "date", "2026-03-01"));
	CHECK(param_str_is(&m, "category", "Food"));
	CHECK(param_str_is(&m, "idempotency_key", "k-1"));
	tags = param(&m, "tags");
	CHECK(tags != NULL && tags->type == MSGPACK_OBJECT_ARRAY &&
	    tags->via.array.size == 2 &&
	    rpc_obj_streq(&tags->via.array.ptr[1], "xmas"));
	/* NULL fields are left out, not sent as nil. */
	CHECK(param(&m, "time") == NULL);
	CHECK(param(&m, "note") == NULL);
	CHECK_EQ_INT(param_count(&m), 7);
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 3);
	rpc_pack_cstr(&pb.pk, "entry_id");
	msgpack_pack_int(&pb.pk, 11);
	rpc_pack_cstr(&pb.pk, "balance");
	msgpack_pack_int(&pb.pk, -1250);
	rpc_pack_cstr(&pb.pk, "replayed");
	msgpack_pack_true(&pb.pk);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);

	if (srv_expect(s, &up, &m, "entry.get") != 0)
		return;
	CHECK(param_int_is(&m, "entry_id", 11));
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "entry");
	pack_entry(&pb.pk, 11, true, false, NULL, NULL);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);

	/* A patch: amount set, category cleared (nil), tags cleared ([]),
	 * nothing else sent. */
	if (srv_expect(s, &up, &m, "entry.update") != 0)
		return;
	CHECK(param_int_is(&m, "entry_id", 11));
	CHECK(param_int_is(&m, "amount", 990));
	CHECK(param_is_nil(&m, "category"));
	tags = param(&m, "tags");
	CHECK(tags != NULL && tags->type == MSGPACK_OBJECT_ARRAY &&
	    tags->via.array.size == 0);
	CHECK_EQ_INT(param_count(&m), 4);
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "entry");
	pack_entry(&pb.pk, 11, false, false, NULL, NULL);
	rpc_pack_cstr(&pb.pk, "balance");
	msgpack_pack_int(&pb.pk, -990);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);

	if (srv_expect(s, &up, &m, "entry.delete") != 0)
		return;
	CHECK(param_int_is(&m, "entry_id", 11));
	srv_reply_n(s, m.msgid, 0);	/* no balance: a protocol error */
	msgpack_unpacked_destroy(&up);

	if (srv_expect(s, &up, &m, "entry.delete") != 0)
		return;
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "balance");
	msgpack_pack_int(&pb.pk, 0);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);

	/* entry.list with every filter. */
	if (srv_expect(s, &up, &m, "entry.list") != 0)
		return;
	CHECK(param_int_is(&m, "book_id", 5));
	CHECK(param_str_is(&m, "from", "2026-01-01"));
	CHECK(param_str_is(&m, "to", "2026-12-31"));
	CHECK(param_str_is(&m, "type", "out"));
	CHECK(param_str_is(&m, "category", "Food"));
	CHECK(param_str_is(&m, "mode", "Cash"));
	CHECK(param_str_is(&m, "party", "Ichiran"));
	CHECK(param_str_is(&m, "tag", "family"));
	CHECK(param_str_is(&m, "q", "ramen"));
	CHECK(param_int_is(&m, "amount_min", 1));
	CHECK(param_int_is(&m, "amount_max", 100000));
	CHECK(param_str_is(&m, "order", "asc"));
	CHECK(param_int_is(&m, "limit", 2));
	CHECK(param_str_is(&m, "cursor", "p2"));
	CHECK(param(&m, "trash") != NULL);
	CHECK_EQ_INT(param_count(&m), 15);
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "entries");
	msgpack_pack_array(&pb.pk, 2);
	pack_entry(&pb.pk, 11, true, true, NULL, NULL);
	pack_entry(&pb.pk, 12, false, true, NULL, NULL);
	rpc_pack_cstr(&pb.pk, "next_cursor");
	rpc_pack_cstr(&pb.pk, "p3");
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);

	/* No filter: only the book. */
	if (srv_expect(s, &up, &m, "entry.list") != 0)
		return;
	CHECK_EQ_INT(param_count(&m), 1);
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "entries");
	msgpack_pack_array(&pb.pk, 0);
	rpc_pack_cstr(&pb.pk, "next_cursor");
	msgpack_pack_nil(&pb.pk);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);
}

static void
test_typed_entries(void)
{
	static const char *const tags[] = { "family", "xmas" };
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_entries,
	    TEST_TIMEOUT_MS);
	struct cb_entry_fields fields = { .type = CB_ENTRY_OUT,
	    .amount = 1250, .date = "2026-03-01", .category = "Food",
	    .tags = tags, .ntags = 2 };
	struct cb_entry_patch patch = { .change = CB_FIELD_AMOUNT |
	    CB_FIELD_CATEGORY | CB_FIELD_TAGS, .to = { .amount = 990 } };
	struct cb_entry_filter filter = { .from = "2026-01-01",
	    .to = "2026-12-31", .type = CB_ENTRY_OUT, .category = "Food",
	    .mode = "Cash", .party = "Ichiran", .tag = "family",
	    .q = "ramen", .amount_min = 1, .amount_max = 100000,
	    .trash = true, .oldest_first = true, .limit = 2 };
	struct cb_entry_added added;
	struct cb_entry *e = NULL;
	struct cb_entry_page *page = NULL;
	int64_t balance = 7;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_entry_add(conn, 5, &fields, "k-1", &added), CB_OK);
	CHECK_EQ_INT(added.entry_id, 11);
	CHECK_EQ_INT(added.balance, -1250);
	CHECK(added.replayed);

	CHECK_EQ_INT(cb_entry_get(conn, 11, &e), CB_OK);
	REQUIRE(e != NULL);
	CHECK_EQ_INT(e->entry_id, 11);
	CHECK_EQ_INT(e->book_id, 5);
	CHECK_EQ_INT(e->type, CB_ENTRY_OUT);
	CHECK_EQ_INT(e->amount, 1000000000000000ll);
	CHECK_EQ_STR(e->date, "2026-03-01");
	CHECK_EQ_STR(e->time, "08:15");
	CHECK_EQ_STR(e->category, "Food");
	CHECK(e->mode == NULL && e->party == NULL && e->reference == NULL);
	CHECK_EQ_STR(e->note, "ramen 🍜\nand tea");
	REQUIRE(e->ntags == 2);
	CHECK_EQ_STR(e->tags[0], "family");
	CHECK_EQ_STR(e->tags[1], "xmas");
	CHECK_EQ_STR(e->idempotency_key, "k-1");
	CHECK(!e->deleted);
	CHECK_EQ_INT(e->created_at, 100);
	CHECK_EQ_INT(e->created_by, 1);
	CHECK_EQ_INT(e->updated_at, 200);
	CHECK_EQ_INT(e->updated_by, 2);
	CHECK(!e->has_running_balance);
	cb_entry_free(e);

	CHECK_EQ_INT(cb_entry_update(conn, 11, &patch, &e, &balance), CB_OK);
	REQUIRE(e != NULL);
	CHECK_EQ_INT(balance, -990);
	CHECK_EQ_INT(e->type, CB_ENTRY_IN);
	CHECK(e->category == NULL && e->time == NULL && e->note == NULL &&
	    e->idempotency_key == NULL);
	CHECK_EQ_INT(e->ntags, 0);
	cb_entry_free(e);

	balance = 7;
	CHECK_EQ_INT(cb_entry_delete(conn, 11, &balance), CB_EPROTO);
	CHECK_EQ_STR(cb_error_message(conn), "cashbookd's answer to "
	    "entry.delete: balance is missing or not an integer");
	CHECK_EQ_INT(balance, 7);
	CHECK_EQ_INT(cb_entry_delete(conn, 11, &balance), CB_OK);
	CHECK_EQ_INT(balance, 0);

	CHECK_EQ_INT(cb_entry_list(conn, 5, &filter, "p2", &page), CB_OK);
	REQUIRE(page != NULL);
	REQUIRE(page->n == 2);
	CHECK_EQ_STR(page->next_cursor, "p3");
	CHECK(page->entries[0].has_running_balance);
	CHECK_EQ_INT(page->entries[0].running_balance, -42);
	CHECK_EQ_STR(page->entries[0].tags[1], "xmas");
	CHECK_EQ_INT(page->entries[1].entry_id, 12);
	CHECK(!page->entries[1].has_running_balance);
	cb_entry_page_free(page);

	CHECK_EQ_INT(cb_entry_list(conn, 5, NULL, NULL, &page), CB_OK);
	REQUIRE(page != NULL);
	CHECK_EQ_INT(page->n, 0);
	CHECK(page->next_cursor == NULL);
	cb_entry_page_free(page);

	cb_entry_free(NULL);
	cb_entry_page_free(NULL);
	cb_close(conn);
	fake_stop(&f);
}

static void
script_report(struct srv *s)
{
	msgpack_unpacked up;
	struct rpc_message m;
	struct packbuf pb;
	static const char *const keys[] = { "2026-01", "2026-02", NULL };

	if (srv_expect(s, &up, &m, "report.summary") != 0)
		return;
	CHECK(param_int_is(&m, "book_id", 5));
	CHECK(param_str_is(&m, "by", "month"));
	CHECK(param_str_is(&m, "from", "2026-01-01"));
	CHECK(param(&m, "to") == NULL);
	packbuf_init(&pb);
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "rows");
	msgpack_pack_array(&pb.pk, 3);
	for (int i = 0; i < 3; i++) {
		msgpack_pack_map(&pb.pk, 5);
		rpc_pack_cstr(&pb.pk, "key");
		if (keys[i] != NULL)
			rpc_pack_cstr(&pb.pk, keys[i]);
		else
			msgpack_pack_nil(&pb.pk);
		rpc_pack_cstr(&pb.pk, "cash_in");
		msgpack_pack_int(&pb.pk, 100 * i);
		rpc_pack_cstr(&pb.pk, "cash_out");
		msgpack_pack_int(&pb.pk, 10);
		rpc_pack_cstr(&pb.pk, "net");
		msgpack_pack_int(&pb.pk, 100 * i - 10);
		rpc_pack_cstr(&pb.pk, "count");
		msgpack_pack_int(&pb.pk, i + 1);
	}
	rpc_pack_cstr(&pb.pk, "total");
	msgpack_pack_map(&pb.pk, 4);
	rpc_pack_cstr(&pb.pk, "cash_in");
	msgpack_pack_int(&pb.pk, 300);
	rpc_pack_cstr(&pb.pk, "cash_out");
	msgpack_pack_int(&pb.pk, 30);
	rpc_pack_cstr(&pb.pk, "net");
	msgpack_pack_int(&pb.pk, 270);
	rpc_pack_cstr(&pb.pk, "count");
	msgpack_pack_int(&pb.pk, 6);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);
}

static void
test_typed_report(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_report,
	    TEST_TIMEOUT_MS);
	struct cb_report *rep = NULL;

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_report_summary(conn, 5, CB_REPORT_BY_MONTH,
	    "2026-01-01", NULL, &rep), CB_OK);
	REQUIRE(rep != NULL);
	REQUIRE(rep->n == 3);
	CHECK_EQ_STR(rep->rows[0].key, "2026-01");
	CHECK_EQ_STR(rep->rows[1].key, "2026-02");
	CHECK(rep->rows[2].key == NULL);
	CHECK_EQ_INT(rep->rows[2].cash_in, 200);
	CHECK_EQ_INT(rep->rows[2].net, 190);
	CHECK_EQ_INT(rep->rows[2].count, 3);
	CHECK(rep->total.key == NULL);
	CHECK_EQ_INT(rep->total.cash_in, 300);
	CHECK_EQ_INT(rep->total.cash_out, 30);
	CHECK_EQ_INT(rep->total.net, 270);
	CHECK_EQ_INT(rep->total.count, 6);
	cb_report_free(rep);
	cb_report_free(NULL);
	cb_close(conn);
	fake_stop(&f);
}

/* ---- typed calls: wrong answers are errors, never crashes ---- */

static void bad_str(msgpack_packer *pk) { rpc_pack_cstr(pk, "12"); }
static void bad_int(msgpack_packer *pk) { msgpack_pack_int(pk, 12); }
static void bad_nil(msgpack_packer *pk) { msgpack_pack_nil(pk); }
static void bad_huge(msgpack_packer *pk) { msgpack_pack_uint64(pk, UINT64_MAX); }
static void bad_float(msgpack_packer *pk) { msgpack_pack_double(pk, 12.5); }
static void bad_side(msgpack_packer *pk) { rpc_pack_cstr(pk, "sideways"); }
static void bad_decimals(msgpack_packer *pk) { msgpack_pack_int(pk, 99); }
static void bad_nul(msgpack_packer *pk)
{
	msgpack_pack_str(pk, 3);
	msgpack_pack_str_body(pk, "a\0b", 3);
}
static void bad_tags(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 2);
	rpc_pack_cstr(pk, "ok");
	msgpack_pack_int(pk, 3);
}
static void bad_map(msgpack_packer *pk) { msgpack_pack_map(pk, 0); }

/* One wrong answer to entry.get (or book.get when book is true) and the
 * message it must give. */
static const struct bad_case {
	bool book;
	const char *key;
	pack_fn bad;			/* NULL: the key is missing */
	const char *message;
} bad_cases[] = {
	{ false, "amount", bad_str, "entry.amount is not an integer" },
	{ false, "amount", bad_float, "entry.amount is not an integer" },
	{ false, "amount", bad_huge, "entry.amount is not an integer" },
	{ false, "amount", NULL, "entry.amount is missing" },
	{ false, "type", bad_side, "entry.type is neither \"in\" nor \"out\"" },
	{ false, "type", NULL, "entry.type is missing" },
	{ false, "date", bad_int, "entry.date is not a string" },
	{ false, "date", bad_nil, "entry.date is not a string" },
	{ false, "category", bad_int, "entry.category is not a string" },
	{ false, "note", bad_nul, "entry.note holds a NUL byte" },
	{ false, "tags", bad_tags, "entry.tags[1] is not a string" },
	{ false, "tags", bad_map, "entry.tags is not an array" },
	{ false, "deleted", bad_int, "entry.deleted is not a boolean" },
	{ false, "running_balance", bad_str,
	    "entry.running_balance is not an integer" },
	{ true, "decimals", bad_decimals,
	    "book.decimals is not an integer from 0 to 18" },
	{ true, "permissions", bad_nil, "book.permissions is not an array" },
	{ true, "owner_username", NULL, "book.owner_username is missing" },
};

#define NBAD (sizeof bad_cases / sizeof bad_cases[0])

static void
script_bad(struct srv *s)
{
	msgpack_unpacked up;
	struct rpc_message m;
	struct packbuf pb;

	for (size_t i = 0; i < NBAD; i++) {
		const struct bad_case *c = &bad_cases[i];

		if (srv_expect(s, &up, &m, c->book ? "book.get" :
		    "entry.get") != 0)
			return;
		packbuf_init(&pb);
		rpc_pack_response_head(&pb.pk, m.msgid);
		msgpack_pack_map(&pb.pk, 1);
		rpc_pack_cstr(&pb.pk, c->book ? "book" : "entry");
		if (c->book)
			pack_book(&pb.pk, 1, "B", NULL, c->key, c->bad);
		else
			pack_entry(&pb.pk, 1, true, true, c->key, c->bad);
		srv_send_pb(s, &pb);
		msgpack_unpacked_destroy(&up);
	}
	/* Answers of the wrong shape altogether. */
	if (srv_expect(s, &up, &m, "entry.get") != 0)
		return;
	srv_reply_n(s, m.msgid, 1);			/* no "entry" */
	msgpack_unpacked_destroy(&up);
	if (srv_expect(s, &up, &m, "entry.list") != 0)
		return;
	srv_reply_n(s, m.msgid, 1);			/* no "entries" */
	msgpack_unpacked_destroy(&up);
	if (srv_expect(s, &up, &m, "entry.list") != 0)
		return;
	packbuf_init(&pb);				/* a row not a map */
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "entries");
	msgpack_pack_array(&pb.pk, 2);
	pack_entry(&pb.pk, 1, true, true, NULL, NULL);
	msgpack_pack_int(&pb.pk, 5);
	rpc_pack_cstr(&pb.pk, "next_cursor");
	msgpack_pack_nil(&pb.pk);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);
	if (srv_expect(s, &up, &m, "entry.list") != 0)
		return;
	packbuf_init(&pb);				/* a bad cursor */
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "entries");
	msgpack_pack_array(&pb.pk, 0);
	rpc_pack_cstr(&pb.pk, "next_cursor");
	msgpack_pack_int(&pb.pk, 5);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);
	if (srv_expect(s, &up, &m, "report.summary") != 0)
		return;
	packbuf_init(&pb);				/* no total */
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "rows");
	msgpack_pack_array(&pb.pk, 0);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);
	if (srv_expect(s, &up, &m, "book.balance") != 0)
		return;
	packbuf_init(&pb);				/* "EURO" */
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 6);
	rpc_pack_cstr(&pb.pk, "cash_in");
	msgpack_pack_int(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "cash_out");
	msgpack_pack_int(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "balance");
	msgpack_pack_int(&pb.pk, 0);
	rpc_pack_cstr(&pb.pk, "count");
	msgpack_pack_int(&pb.pk, 2);
	rpc_pack_cstr(&pb.pk, "currency");
	rpc_pack_cstr(&pb.pk, "EURO");
	rpc_pack_cstr(&pb.pk, "decimals");
	msgpack_pack_int(&pb.pk, 2);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);
	if (srv_expect(s, &up, &m, "entry.add") != 0)
		return;
	packbuf_init(&pb);				/* replayed: 1 */
	rpc_pack_response_head(&pb.pk, m.msgid);
	msgpack_pack_map(&pb.pk, 3);
	rpc_pack_cstr(&pb.pk, "entry_id");
	msgpack_pack_int(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "balance");
	msgpack_pack_int(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "replayed");
	msgpack_pack_int(&pb.pk, 1);
	srv_send_pb(s, &pb);
	msgpack_unpacked_destroy(&up);
	/* Still in step after all that. */
	srv_reply_ping(s, srv_next_id(s));
}

static void
test_typed_bad_answers(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_bad, TEST_TIMEOUT_MS);
	struct cb_entry_fields fields = { .type = CB_ENTRY_IN, .amount = 1,
	    .date = "2026-01-01" };
	struct cb_entry *e;
	struct cb_book *b;
	struct cb_entry_page *page;
	struct cb_report *rep;
	struct cb_balance bal;
	struct cb_entry_added added;
	struct cb_ping_info info;
	char want[200];
	void *out;

	REQUIRE(conn != NULL);
	for (size_t i = 0; i < NBAD; i++) {
		const struct bad_case *c = &bad_cases[i];
		int rc;

		if (c->book) {
			b = (struct cb_book *)&f;
			rc = cb_book_get(conn, 1, &b);
			out = b;
		} else {
			e = (struct cb_entry *)&f;
			rc = cb_entry_get(conn, 1, &e);
			out = e;
		}
		printf("# case %zu: %s\n", i, c->message);
		CHECK_EQ_INT(rc, CB_EPROTO);
		CHECK(out == NULL);
		CHECK(cb_error_code(conn) == NULL);
		snprintf(want, sizeof want, "cashbookd's answer to %s: %s",
		    c->book ? "book.get" : "entry.get", c->message);
		CHECK_EQ_STR(cb_error_message(conn), want);
	}
	e = (struct cb_entry *)&f;
	CHECK_EQ_INT(cb_entry_get(conn, 1, &e), CB_EPROTO);
	CHECK(e == NULL);
	CHECK_EQ_STR(cb_error_message(conn), "cashbookd's answer to "
	    "entry.get: entry is missing");
	page = (struct cb_entry_page *)&f;
	CHECK_EQ_INT(cb_entry_list(conn, 1, NULL, NULL, &page), CB_EPROTO);
	CHECK(page == NULL);
	CHECK_EQ_STR(cb_error_message(conn), "cashbookd's answer to "
	    "entry.list: entries is missing");
	CHECK_EQ_INT(cb_entry_list(conn, 1, NULL, NULL, &page), CB_EPROTO);
	CHECK(page == NULL);
	CHECK_EQ_STR(cb_error_message(conn), "cashbookd's answer to "
	    "entry.list: entries[1] is not a map");
	CHECK_EQ_INT(cb_entry_list(conn, 1, NULL, NULL, &page), CB_EPROTO);
	CHECK(page == NULL);
	CHECK_EQ_STR(cb_error_message(conn), "cashbookd's answer to "
	    "entry.list: next_cursor is not a string");
	rep = (struct cb_report *)&f;
	CHECK_EQ_INT(cb_report_summary(conn, 1, CB_REPORT_BY_PARTY, NULL,
	    NULL, &rep), CB_EPROTO);
	CHECK(rep == NULL);
	CHECK_EQ_STR(cb_error_message(conn), "cashbookd's answer to "
	    "report.summary: total is missing");
	CHECK_EQ_INT(cb_book_balance(conn, 1, &bal), CB_EPROTO);
	CHECK_EQ_STR(cb_error_message(conn), "cashbookd's answer to "
	    "book.balance: currency is not a three-letter code");
	CHECK_EQ_INT(bal.balance, 0);
	CHECK_EQ_INT(cb_entry_add(conn, 1, &fields, NULL, &added), CB_EPROTO);
	CHECK_EQ_STR(cb_error_message(conn), "cashbookd's answer to "
	    "entry.add: replayed is not a boolean");
	CHECK_EQ_INT(added.entry_id, 0);
	CHECK_EQ_INT(cb_ping(conn, &info), CB_OK);
	cb_close(conn);
	fake_stop(&f);
}

/* Arguments that cannot be sent fail before anything is sent: the
 * server sees only the ping at the end. */
static void
test_typed_bad_arguments(void)
{
	struct fake f;
	struct cb_conn *conn = fake_connect(&f, script_ping, TEST_TIMEOUT_MS);
	struct cb_entry_fields fields = { .type = CB_ENTRY_ANY, .amount = 1,
	    .date = "2026-01-01" };
	struct cb_entry_patch patch = { .change = CB_FIELD_TYPE };
	struct cb_entry_filter filter = { .type = (enum cb_entry_type)9 };
	struct cb_entry_added added;
	struct cb_book *b;
	struct cb_entry_page *page;
	struct cb_report *rep;
	struct cb_ping_info info;
	char token[300];

	REQUIRE(conn != NULL);
	CHECK_EQ_INT(cb_entry_add(conn, 1, &fields, NULL, &added), CB_EINVAL);
	CHECK_EQ_STR(cb_error_message(conn), "cb_entry_add: the type is "
	    "neither CB_ENTRY_IN nor CB_ENTRY_OUT");
	fields.type = CB_ENTRY_IN;
	fields.date = NULL;
	CHECK_EQ_INT(cb_entry_add(conn, 1, &fields, NULL, &added), CB_EINVAL);
	CHECK_EQ_STR(cb_error_message(conn), "cb_entry_add: the date is NULL");
	fields.date = "2026-01-01";
	fields.ntags = 1;
	CHECK_EQ_INT(cb_entry_add(conn, 1, &fields, NULL, &added), CB_EINVAL);
	CHECK_EQ_INT(cb_entry_add(conn, 1, NULL, NULL, &added), CB_EINVAL);
	CHECK_EQ_INT(cb_entry_update(conn, 1, &patch, NULL, NULL), CB_EINVAL);
	CHECK_EQ_INT(cb_entry_update(conn, 1, NULL, NULL, NULL), CB_EINVAL);
	CHECK_EQ_INT(cb_entry_list(conn, 1, &filter, NULL, &page), CB_EINVAL);
	CHECK(page == NULL);
	filter.type = CB_ENTRY_ANY;
	filter.limit = -1;
	CHECK_EQ_INT(cb_entry_list(conn, 1, &filter, NULL, &page), CB_EINVAL);
	CHECK_EQ_INT(cb_book_create(conn, NULL, NULL, NULL, &b), CB_EINVAL);
	CHECK(b == NULL);
	CHECK_EQ_INT(cb_book_list(conn, -1, NULL, NULL), CB_EINVAL);
	CHECK_EQ_INT(cb_report_summary(conn, 1, (enum cb_report_by)0, NULL,
	    NULL, &rep), CB_EINVAL);
	CHECK(rep == NULL);
	CHECK_EQ_INT(cb_book_get(NULL, 1, &b), CB_EINVAL);
	memset(token, 'x', sizeof token - 1);
	token[sizeof token - 1] = '\0';
	CHECK_EQ_INT(cb_set_token(conn, token), CB_EINVAL);
	CHECK_EQ_INT(cb_set_token(NULL, "t"), CB_EINVAL);
	CHECK_EQ_INT(cb_set_token(conn, ""), CB_OK);	/* forgets: none */
	CHECK_EQ_INT(cb_ping(conn, &info), CB_OK);
	cb_close(conn);
	fake_stop(&f);
}

/* ---- cashbookctl's JSON ---- */

/* JSON of the message packed in pb. */
static char *
json_of(struct packbuf *pb)
{
	msgpack_unpacked up;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	msgpack_unpacked_init(&up);
	if (packbuf_failed(pb) ||
	    rpc_decode(pb->sb.data, pb->sb.size, &up) != 0)
		return NULL;
	f = open_memstream(&text, &len);
	if (f != NULL) {
		CHECK_EQ_INT(ctl_json_write(f, &up.data), 0);
		fclose(f);
	}
	msgpack_unpacked_destroy(&up);
	packbuf_clear(pb);
	return text;
}

static void
check_json(struct packbuf *pb, const char *want)
{
	char *got = json_of(pb);

	CHECK_EQ_STR(got, want);
	free(got);
}

#define PACK_LIT(pb, lit) pack_raw_str(pb, lit, sizeof(lit) - 1)

static void
pack_raw_str(struct packbuf *pb, const char *s, size_t len)
{
	msgpack_pack_str(&pb->pk, len);
	msgpack_pack_str_body(&pb->pk, s, len);
}

static void
test_json(void)
{
	struct packbuf pb;

	packbuf_init(&pb);

	PACK_LIT(&pb, "a\"b\\c/\n\r\t\b\f\x01\x1f\x7f");
	check_json(&pb, "\"a\\\"b\\\\c/\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"");

	/* Valid UTF-8 passes; invalid bytes become U+FFFD, one per byte. */
	PACK_LIT(&pb, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	check_json(&pb, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	PACK_LIT(&pb, "\xff" "a" "\xc0\xaf" "\xed\xa0\x80" "\xe2\x82");
	check_json(&pb, "\"\\ufffda\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
	    "\\ufffd\\ufffd\"");
	PACK_LIT(&pb, "\xf4\x90\x80\x80");	/* past U+10FFFF */
	check_json(&pb, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	PACK_LIT(&pb, "a\0b");
	check_json(&pb, "\"a\\u0000b\"");

	msgpack_pack_bin(&pb.pk, 3);
	msgpack_pack_bin_body(&pb.pk, "\x00\xff\x10", 3);
	check_json(&pb, "\"AP8Q\"");
	msgpack_pack_bin(&pb.pk, 4);
	msgpack_pack_bin_body(&pb.pk, "abcd", 4);
	check_json(&pb, "\"YWJjZA==\"");
	msgpack_pack_bin(&pb.pk, 0);
	check_json(&pb, "\"\"");
	msgpack_pack_ext(&pb.pk, 2, 5);
	msgpack_pack_ext_body(&pb.pk, "ab", 2);
	check_json(&pb, "{\"ext\":5,\"base64\":\"YWI=\"}");

	msgpack_pack_array(&pb.pk, 7);
	msgpack_pack_nil(&pb.pk);
	msgpack_pack_true(&pb.pk);
	msgpack_pack_false(&pb.pk);
	msgpack_pack_int64(&pb.pk, INT64_MIN);
	msgpack_pack_uint64(&pb.pk, UINT64_MAX);
	msgpack_pack_array(&pb.pk, 0);
	msgpack_pack_map(&pb.pk, 0);
	check_json(&pb, "[null,true,false,-9223372036854775808,"
	    "18446744073709551615,[],{}]");

	msgpack_pack_array(&pb.pk, 6);
	msgpack_pack_double(&pb.pk, 0.1);
	msgpack_pack_double(&pb.pk, 1e300);
	msgpack_pack_double(&pb.pk, NAN);
	msgpack_pack_double(&pb.pk, -INFINITY);
	msgpack_pack_float(&pb.pk, 0.1f);
	msgpack_pack_double(&pb.pk, -2.5);
	check_json(&pb, "[0.1,1e+300,null,null,0.1,-2.5]");

	/* Keys that are not strings become strings of their JSON. */
	msgpack_pack_map(&pb.pk, 3);
	msgpack_pack_int(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "one");
	msgpack_pack_nil(&pb.pk);
	msgpack_pack_int(&pb.pk, 0);
	rpc_pack_cstr(&pb.pk, "k\"");
	msgpack_pack_map(&pb.pk, 1);
	rpc_pack_cstr(&pb.pk, "x");
	msgpack_pack_array(&pb.pk, 1);
	msgpack_pack_int(&pb.pk, -1);
	check_json(&pb, "{\"1\":\"one\",\"null\":0,\"k\\\"\":{\"x\":[-1]}}");

	packbuf_destroy(&pb);
}

static void
test_human_units(void)
{
	char buf[32];

	ctl_format_duration(42, buf, sizeof buf);
	CHECK_EQ_STR(buf, "42s");
	ctl_format_duration(307, buf, sizeof buf);
	CHECK_EQ_STR(buf, "5m 07s");
	ctl_format_duration(2 * 3600 + 3 * 60 + 59, buf, sizeof buf);
	CHECK_EQ_STR(buf, "2h 03m");
	ctl_format_duration(3 * 86400 + 4 * 3600, buf, sizeof buf);
	CHECK_EQ_STR(buf, "3d 04h");
	ctl_format_us_as_ms(210, buf, sizeof buf);
	CHECK_EQ_STR(buf, "0.21 ms");
	ctl_format_us_as_ms(1234567, buf, sizeof buf);
	CHECK_EQ_STR(buf, "1234.57 ms");
	ctl_format_us_as_ms(INT64_MAX, buf, sizeof buf);
	CHECK(strstr(buf, " ms") != NULL);
	ctl_sanitize("a\x1b[2Jb\n", buf, sizeof buf);
	CHECK_EQ_STR(buf, "a?[2Jb?");
}

int
main(void)
{
	tap_run("call ok (ping)", test_call_ok);
	tap_run("stats, and a stats answer missing a figure", test_stats);
	tap_run("call answered with a server error", test_call_server_error);
	tap_run("pipelined responses out of order, mixed with cb_call",
	    test_pipeline_out_of_order);
	tap_run("close with a queued reply", test_close_with_queued_reply);
	tap_run("large requests and answers both ways, no deadlock",
	    test_pipeline_no_deadlock);
	tap_run("protocol_error notification", test_protocol_error_notification);
	tap_run("refused before the first request (EPIPE, no SIGPIPE)",
	    test_refused_before_request);
	tap_run("server gone", test_server_gone);
	tap_run("connection closed mid-response", test_closed_mid_response);
	tap_run("timeout, then the late answer is dropped", test_timeout);
	tap_run("timeout while the server chatters",
	    test_timeout_despite_chatter);
	tap_run("oversized response refused without allocating",
	    test_oversized_response);
	tap_run("invalid responses", test_invalid_responses);
	tap_run("notifications: queued in order, apart from responses",
	    test_notifications);
	tap_run("notifications: a flood is bounded and counted",
	    test_notifications_bounded);
	tap_run("params encoding", test_params);
	tap_run("connect failures", test_connect_failures);
	tap_run("the peer uid rule: one's own user or root",
	    test_peer_uid_rule);
	if (geteuid() == 0)
		tap_run("another user's socket: refused, nothing sent",
		    test_peer_other_uid_refused);
	else
		tap_run("another user's socket: refused, nothing sent "
		    "# SKIP needs root to act as another user", test_skipped);
	if (geteuid() == 0)
		tap_run("a system-wide daemon's socket: accepted where only "
		    "it can write", test_peer_system_daemon);
	else
		tap_run("a system-wide daemon's socket: accepted where only "
		    "it can write # SKIP needs root to act as another user",
		    test_skipped);
	tap_run("default socket path", test_default_socket_path);
	tap_run("map lookups", test_map_get);
	tap_run("values: the public accessors, any type asked of any value",
	    test_values);
	tap_run("typed calls: books, book pages, balance, a server error",
	    test_typed_books);
	tap_run("typed calls: entry add, get, update (a patch), delete, list",
	    test_typed_entries);
	tap_run("typed calls: report", test_typed_report);
	tap_run("typed calls: wrong answers are errors naming the field",
	    test_typed_bad_answers);
	tap_run("typed calls: arguments that cannot be sent",
	    test_typed_bad_arguments);
	tap_run("JSON output", test_json);
	tap_run("human units", test_human_units);
	return tap_done();
}
