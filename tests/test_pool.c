/*
 * test_pool.c -- the SQLite handle pool and its slots (daemon/pool.c,
 * daemon/db.c), driven directly, without the daemon.
 *
 * Each test opens its own pool on its own database file in a private
 * mkdtemp(3) directory, removed at the end.  Ordering is checked through
 * real signals (granted callbacks, pool_stats); the only sleeps hold a
 * handle for a while.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cb_limits.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "pool.h"
#include "schema.h"
#include "tap.h"

/* tap.h's REQUIRE evaluates its condition twice (once in CHECK, once to
 * decide whether to return); MUST evaluates it once, so it may hold a call
 * such as pool_acquire(). */
#define MUST(cond) do {							\
	if (!(cond)) {							\
		CHECK(!"MUST(" #cond ")");				\
		return;							\
	}								\
} while (0)

static char test_dir[] = "/tmp/cashbook-test-pool-XXXXXX";
static int test_db_seq;

/* Calls of pool_config.lost, by every pool the tests open. */
static atomic_int lost_calls;

static void
count_lost(void *arg)
{
	(void)arg;
	atomic_fetch_add(&lost_calls, 1);
}

/* A fresh database path in the test directory. */
static void
test_db_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/t%d.db", test_dir, ++test_db_seq);
}

static struct pool *
test_pool_open(const char *path, unsigned size, enum db_synchronous sync)
{
	struct pool_config cfg = {
		.db = {
			.path = path,
			.busy_timeout_ms = CB_DEFAULT_BUSY_TIMEOUT_MS,
			.synchronous = sync,
		},
		.size = size,
		.lost = count_lost,
	};
	char err[512] = "";
	struct pool *pool;

	pool = pool_open(&cfg, err, sizeof err);
	if (pool == NULL)
		printf("# pool_open: %s\n", err);
	return pool;
}

static void
sleep_us(int64_t us)
{
	struct timespec ts = clock_us_to_timespec(us);

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Wait (polling the pool's own figure) until `waiting` waiters are queued. */
static bool
wait_for_waiting(struct pool *pool, unsigned waiting)
{
	struct pool_stats st;
	int64_t give_up = clock_now_us() + 10 * 1000000;

	for (;;) {
		pool_stats(pool, &st);
		if (st.waiting == waiting)
			return true;
		if (clock_now_us() > give_up)
			return false;
		sched_yield();
	}
}

/* One integer from a one-row query. */
static int64_t
query_int(struct db *db, const char *sql)
{
	sqlite3_stmt *stmt = db_prepare(db, sql);
	int64_t v;

	if (stmt == NULL || sqlite3_step(stmt) != SQLITE_ROW)
		return INT64_MIN;
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return v;
}

static const char sql_journal_mode[] = "PRAGMA journal_mode";
static const char sql_foreign_keys[] = "PRAGMA foreign_keys";
static const char sql_synchronous[] = "PRAGMA synchronous";
static const char sql_query_only[] = "PRAGMA query_only";
static const char sql_user_version[] = "PRAGMA user_version";
static const char sql_create_t[] =
    "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER)";
static const char sql_create_probe[] = "CREATE TABLE probe (x INTEGER)";
static const char sql_insert_t[] = "INSERT INTO t (v) VALUES (?1)";
static const char sql_count_t[] = "SELECT count(*) FROM t";
static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_select_1[] = "SELECT 1";

/* ------------------------------------------------------------------ */

static void
check_config(struct pool *pool, int want_sync)
{
	static const struct {
		int id, value;
	} limits[] = {
		{ SQLITE_LIMIT_LENGTH, CB_SQLITE_LIMIT_LENGTH },
		{ SQLITE_LIMIT_SQL_LENGTH, CB_SQLITE_LIMIT_SQL_LENGTH },
		{ SQLITE_LIMIT_COLUMN, CB_SQLITE_LIMIT_COLUMN },
		{ SQLITE_LIMIT_EXPR_DEPTH, CB_SQLITE_LIMIT_EXPR_DEPTH },
		{ SQLITE_LIMIT_COMPOUND_SELECT,
		    CB_SQLITE_LIMIT_COMPOUND_SELECT },
		{ SQLITE_LIMIT_VDBE_OP, CB_SQLITE_LIMIT_VDBE_OP },
		{ SQLITE_LIMIT_FUNCTION_ARG, CB_SQLITE_LIMIT_FUNCTION_ARG },
		{ SQLITE_LIMIT_ATTACHED, CB_SQLITE_LIMIT_ATTACHED },
		{ SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
		    CB_SQLITE_LIMIT_LIKE_PATTERN },
		{ SQLITE_LIMIT_VARIABLE_NUMBER,
		    CB_SQLITE_LIMIT_VARIABLE_NUMBER },
		{ SQLITE_LIMIT_TRIGGER_DEPTH, CB_SQLITE_LIMIT_TRIGGER_DEPTH },
	};
	struct db *w = NULL, *r = NULL;
	sqlite3_stmt *stmt;
	sqlite3 *h;
	int on;

	MUST(pool_acquire(pool, POOL_WRITE, 0, "test", &w) == 0);
	MUST(pool_acquire(pool, POOL_READ, 0, "test", &r) == 0);
	CHECK(db_is_writer(w));
	CHECK_EQ_INT(db_slot(w), 0);
	CHECK(!db_is_writer(r));
	CHECK(db_slot(r) != 0);

	struct db *both[] = { w, r };
	for (int i = 0; i < 2; i++) {
		struct db *db = both[i];

		h = db_handle(db);
		stmt = db_prepare(db, sql_journal_mode);
		CHECK(stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW);
		if (stmt != NULL) {
			CHECK_EQ_STR((const char *)sqlite3_column_text(stmt, 0),
			    "wal");
			sqlite3_reset(stmt);
		}
		CHECK_EQ_INT(query_int(db, sql_foreign_keys), 1);
		CHECK_EQ_INT(query_int(db, sql_synchronous), want_sync);
		CHECK_EQ_INT(query_int(db, sql_query_only), db == w ? 0 : 1);
		CHECK_EQ_INT(query_int(db, sql_user_version),
		    schema_version_current());
		for (size_t j = 0; j < sizeof limits / sizeof limits[0]; j++)
			CHECK_EQ_INT(sqlite3_limit(h, limits[j].id, -1),
			    limits[j].value);
		on = -1;
		CHECK(sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, -1, &on) ==
		    SQLITE_OK && on == 1);
		on = -1;
		CHECK(sqlite3_db_config(h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, -1,
		    &on) == SQLITE_OK && on == 0);
		on = -1;
		CHECK(sqlite3_db_config(h,
		    SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, -1, &on) ==
		    SQLITE_OK && on == 0);
	}

	/* The writer writes; a reader cannot, and says so precisely. */
	CHECK_EQ_INT(db_exec_cached(w, sql_create_t), SQLITE_OK);
	CHECK_EQ_INT(db_exec_cached(r, sql_create_probe) & 0xff,
	    SQLITE_READONLY);
	stmt = db_prepare(r, sql_insert_t);
	CHECK(stmt != NULL);
	if (stmt != NULL) {
		sqlite3_bind_int(stmt, 1, 1);
		CHECK_EQ_INT(sqlite3_step(stmt) & 0xff, SQLITE_READONLY);
	}
	/* A limit at work: more columns than CB_SQLITE_LIMIT_COLUMN. */
	{
		char sql[CB_SQLITE_LIMIT_COLUMN * 4 + 32];
		size_t n = (size_t)snprintf(sql, sizeof sql, "SELECT 1");

		for (int i = 0; i < CB_SQLITE_LIMIT_COLUMN; i++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, ",1");
		CHECK(sqlite3_prepare_v2(db_handle(w), sql, -1, &stmt, NULL) ==
		    SQLITE_ERROR);
		CHECK(stmt == NULL);
	}

	pool_release(pool, r, false);
	pool_release(pool, w, false);
}

static void
test_open_config(void)
{
	char path[256];
	struct pool *pool;
	struct pool_stats st;

	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 3, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	check_config(pool, 1);
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.size, 3);
	CHECK_EQ_INT(st.acquired, 2);
	CHECK_EQ_INT(st.released, 2);
	CHECK_EQ_INT(st.in_use, 0);
	CHECK_EQ_INT(st.idle, 3);
	pool_close(pool);

	/* The same file again, FULL this time: reopening a current schema. */
	pool = test_pool_open(path, 2, DB_SYNC_FULL);
	MUST(pool != NULL);
	check_config(pool, 2);
	pool_close(pool);

	/* Size 1: slot 0 serves reads too, and may write. */
	pool = test_pool_open(path, 1, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	{
		struct db *db;

		MUST(pool_acquire(pool, POOL_READ, 0, "test", &db) == 0);
		CHECK_EQ_INT(db_slot(db), 0);
		CHECK_EQ_INT(query_int(db, sql_query_only), 0);
		pool_release(pool, db, false);
	}
	pool_close(pool);
}

static void
test_open_failures(void)
{
	char path[300], err[512];
	struct pool_config cfg = {
		.db = { .path = path, .busy_timeout_ms = 100,
		    .synchronous = DB_SYNC_FULL },
		.size = 2,
	};
	sqlite3 *h;

	snprintf(path, sizeof path, "%s/no/such/dir/x.db", test_dir);
	err[0] = '\0';
	CHECK(pool_open(&cfg, err, sizeof err) == NULL);
	CHECK(err[0] != '\0');

	test_db_path(path, sizeof path);
	cfg.size = 0;
	CHECK(pool_open(&cfg, err, sizeof err) == NULL);
	cfg.size = CB_MAX_POOL_SIZE + 1;
	CHECK(pool_open(&cfg, err, sizeof err) == NULL);

	/* A database from a newer cashbookd is refused, not touched. */
	MUST(sqlite3_open(path, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "PRAGMA user_version = 9999", NULL, NULL,
	    NULL) == SQLITE_OK);
	sqlite3_close(h);
	cfg.size = 2;
	err[0] = '\0';
	CHECK(pool_open(&cfg, err, sizeof err) == NULL);
	CHECK(strstr(err, "newer") != NULL);
	MUST(sqlite3_open(path, &h) == SQLITE_OK);
	{
		sqlite3_stmt *stmt;

		MUST(sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &stmt,
		    NULL) == SQLITE_OK);
		CHECK(sqlite3_step(stmt) == SQLITE_ROW);
		CHECK_EQ_INT(sqlite3_column_int(stmt, 0), 9999);
		sqlite3_finalize(stmt);
	}
	sqlite3_close(h);
}

static void
test_rc_is_fatal(void)
{
	CHECK(db_rc_is_fatal(SQLITE_CORRUPT));
	CHECK(db_rc_is_fatal(SQLITE_NOTADB));
	CHECK(db_rc_is_fatal(SQLITE_IOERR));
	CHECK(db_rc_is_fatal(SQLITE_IOERR_SHORT_READ));
	CHECK(db_rc_is_fatal(SQLITE_IOERR_FSYNC));
	CHECK(db_rc_is_fatal(SQLITE_CANTOPEN));
	CHECK(db_rc_is_fatal(SQLITE_CORRUPT_INDEX));
	CHECK(!db_rc_is_fatal(SQLITE_OK));
	CHECK(!db_rc_is_fatal(SQLITE_BUSY));
	CHECK(!db_rc_is_fatal(SQLITE_BUSY_SNAPSHOT));
	CHECK(!db_rc_is_fatal(SQLITE_CONSTRAINT_UNIQUE));
	CHECK(!db_rc_is_fatal(SQLITE_INTERRUPT));
	CHECK(!db_rc_is_fatal(SQLITE_READONLY));
}

/* ------------------------------------------------------------------ */

#define HAMMER_THREADS 16
#define HAMMER_ITERS   2000
#define HAMMER_SIZE    4	/* the largest pool hammered */

struct hammer {
	struct pool *pool;
	int size;
	bool sql;			/* do real work while holding */
	atomic_int in_use;
	atomic_int max_in_use;
	atomic_int writers;
	atomic_int owner[HAMMER_SIZE];	/* 0, or the holding thread + 1 */
	atomic_long writes;
	atomic_long ops;
};

struct hammer_thread {
	struct hammer *h;
	int id;
	pthread_t thread;
};

static void *
hammer_run(void *arg)
{
	struct hammer_thread *t = arg;
	struct hammer *h = t->h;
	unsigned seed = (unsigned)t->id * 2654435761u + 1;
	struct db *db;
	int n, expect;
	unsigned slot;
	bool write;

	for (int i = 0; i < HAMMER_ITERS; i++) {
		write = rand_r(&seed) % 4 == 0;
		if (pool_acquire(h->pool, write ? POOL_WRITE : POOL_READ, 0,
		    "hammer", &db) != 0) {
			CHECK(!"pool_acquire without deadline failed");
			return NULL;
		}
		n = atomic_fetch_add(&h->in_use, 1) + 1;
		CHECK(n <= h->size);
		for (int m = atomic_load(&h->max_in_use); n > m &&
		    !atomic_compare_exchange_weak(&h->max_in_use, &m, n);)
			;
		slot = db_slot(db);
		CHECK(slot < (unsigned)h->size);
		if (slot >= (unsigned)h->size)
			return NULL;
		expect = 0;
		CHECK(atomic_compare_exchange_strong(&h->owner[slot], &expect,
		    t->id + 1));
		if (write) {
			CHECK(db_is_writer(db));
			CHECK_EQ_INT(atomic_fetch_add(&h->writers, 1), 0);
		}
		if (h->sql && write) {
			sqlite3_stmt *stmt;

			CHECK_EQ_INT(db_exec_cached(db, sql_begin), SQLITE_OK);
			stmt = db_prepare(db, sql_insert_t);
			CHECK(stmt != NULL);
			if (stmt != NULL) {
				sqlite3_bind_int(stmt, 1, t->id);
				CHECK_EQ_INT(sqlite3_step(stmt), SQLITE_DONE);
			}
			CHECK_EQ_INT(db_exec_cached(db, sql_commit), SQLITE_OK);
			atomic_fetch_add(&h->writes, 1);
		} else if (h->sql)
			CHECK(query_int(db, sql_count_t) >= 0);
		if (!h->sql && i % 64 == 0)
			sched_yield();	/* let holdings overlap */
		if (write)
			atomic_fetch_sub(&h->writers, 1);
		expect = t->id + 1;
		CHECK(atomic_compare_exchange_strong(&h->owner[slot], &expect,
		    0));
		atomic_fetch_sub(&h->in_use, 1);
		pool_release(h->pool, db, false);
		atomic_fetch_add(&h->ops, 1);
	}
	return NULL;
}

static void
hammer_once(const char *path, unsigned size, bool sql)
{
	static struct hammer h;		/* big atomics: keep off the stack */
	struct hammer_thread t[HAMMER_THREADS];
	struct pool_stats st;
	struct db *db;
	int64_t t0, t1;
	int started = 0;

	memset(&h, 0, sizeof h);
	h.sql = sql;
	h.size = (int)size;
	h.pool = test_pool_open(path, size, DB_SYNC_NORMAL);
	MUST(h.pool != NULL);
	MUST(pool_acquire(h.pool, POOL_WRITE, 0, "setup", &db) == 0);
	CHECK_EQ_INT(db_exec_cached(db, sql_create_t), SQLITE_OK);
	pool_release(h.pool, db, false);

	t0 = clock_now_us();
	for (int i = 0; i < HAMMER_THREADS; i++) {
		t[i].h = &h;
		t[i].id = i;
		if (pthread_create(&t[i].thread, NULL, hammer_run, &t[i]) != 0)
			break;
		started++;
	}
	CHECK_EQ_INT(started, HAMMER_THREADS);
	for (int i = 0; i < started; i++)
		CHECK_EQ_INT(pthread_join(t[i].thread, NULL), 0);
	t1 = clock_now_us();

	CHECK_EQ_INT(atomic_load(&h.ops), (long)started * HAMMER_ITERS);
	pool_stats(h.pool, &st);
	CHECK_EQ_INT(st.acquired, st.released);
	CHECK_EQ_INT(st.acquired, (uint64_t)started * HAMMER_ITERS + 1);
	CHECK_EQ_INT(st.in_use, 0);
	CHECK_EQ_INT(st.idle, size);
	CHECK_EQ_INT(st.waiting, 0);
	CHECK_EQ_INT(st.wait_timeouts, 0);
	CHECK_EQ_INT(st.replaced, 0);
	CHECK(atomic_load(&h.max_in_use) <= h.size);
	printf("# hammer (%s): %d threads x %d, pool %u: %.0f acquire/release "
	    "pairs/s, peak in use %d, max wait %.1f ms\n",
	    sql ? "with SQL" : "no SQL", started, HAMMER_ITERS, size,
	    (double)started * HAMMER_ITERS * 1e6 / (double)(t1 - t0 + 1),
	    atomic_load(&h.max_in_use), (double)st.max_wait_us / 1000.0);

	if (sql) {
		MUST(pool_acquire(h.pool, POOL_READ, 0, "check", &db) == 0);
		CHECK_EQ_INT(query_int(db, sql_count_t),
		    atomic_load(&h.writes));
		CHECK(atomic_load(&h.writes) > 0);
		pool_release(h.pool, db, false);
	}
	pool_close(h.pool);
}

static void
test_hammer(void)
{
	char path[256];

	test_db_path(path, sizeof path);
	hammer_once(path, HAMMER_SIZE, false);
	hammer_once(path, HAMMER_SIZE, true);
	/* One slot serving both kinds. */
	test_db_path(path, sizeof path);
	hammer_once(path, 1, true);
}

/* ------------------------------------------------------------------ */

/* Waiters that record the order they were granted in. */
#define ORDER_MAX 64

struct order {
	struct pool *pool;	/* set: callbacks look at the pool */
	atomic_int n;
	int ids[ORDER_MAX];
	struct db *dbs[ORDER_MAX];
};

struct order_waiter {
	struct pool_waiter w;
	struct order *order;
	int id;
	struct db *db;
	bool granted;
};

static void
order_granted(struct pool_waiter *w, struct db *db)
{
	struct order_waiter *ow = w->arg;
	int i = atomic_fetch_add(&ow->order->n, 1);

	/* The callback runs outside the pool lock (pool_stats would deadlock
	 * otherwise) and after the slot is marked in use. */
	if (ow->order->pool != NULL) {
		struct pool_stats st;

		pool_stats(ow->order->pool, &st);
		CHECK(st.in_use >= 1);
	}
	ow->db = db;
	ow->granted = true;
	if (i < ORDER_MAX) {
		ow->order->ids[i] = ow->id;
		ow->order->dbs[i] = db;
	}
}

static void
order_waiter_init(struct order_waiter *ow, struct order *order, int id,
    enum pool_access access, int64_t deadline_us)
{
	memset(ow, 0, sizeof *ow);
	ow->w.access = access;
	ow->w.deadline_us = deadline_us;
	ow->w.holder = "order";
	ow->w.granted = order_granted;
	ow->w.arg = ow;
	ow->order = order;
	ow->id = id;
}

static void
test_fifo_submit(void)
{
	enum { N = 20 };
	static struct order order;
	struct order_waiter ws[N + 1];
	struct pool_stats st;
	struct pool *pool;
	struct db *held, *next;
	char path[256];

	memset(&order, 0, sizeof order);
	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 1, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	order.pool = pool;
	MUST(pool_acquire(pool, POOL_READ, 0, "holder", &held) == 0);

	/* Same access kind: the order must be exactly the submit order. */
	for (int i = 1; i <= N; i++) {
		order_waiter_init(&ws[i], &order, i, POOL_READ, 0);
		CHECK(pool_submit(pool, &ws[i].w));
	}
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.waiting, N);
	CHECK_EQ_INT(st.in_use, 1);
	CHECK_EQ_INT(atomic_load(&order.n), 0);

	/* Each release hands the slot to the next waiter, on this thread. */
	for (int i = 1; i <= N; i++) {
		pool_release(pool, held, false);
		CHECK_EQ_INT(atomic_load(&order.n), i);
		MUST(ws[i].granted);
		next = ws[i].db;
		CHECK(next == held);	/* size 1: the same slot throughout */
		pool_stats(pool, &st);
		CHECK_EQ_INT(st.in_use, 1);
		CHECK_EQ_INT(st.waiting, N - i);
		held = next;
	}
	for (int i = 0; i < N; i++)
		CHECK_EQ_INT(order.ids[i], i + 1);
	pool_release(pool, held, false);
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.acquired, N + 1);
	CHECK_EQ_INT(st.released, N + 1);
	CHECK_EQ_INT(st.in_use, 0);
	CHECK(st.max_wait_us > 0);
	pool_close(pool);
}

struct fifo_thread {
	struct pool *pool;
	struct order *order;
	int id;
	pthread_t thread;
};

static void *
fifo_acquire_run(void *arg)
{
	struct fifo_thread *t = arg;
	struct db *db;
	int i;

	if (pool_acquire(t->pool, POOL_WRITE, 0, "fifo", &db) != 0) {
		CHECK(!"pool_acquire failed");
		return NULL;
	}
	i = atomic_fetch_add(&t->order->n, 1);
	if (i < ORDER_MAX)
		t->order->ids[i] = t->id;
	pool_release(t->pool, db, false);
	return NULL;
}

static void
test_fifo_acquire(void)
{
	enum { N = 12 };
	static struct order order;
	struct fifo_thread t[N];
	struct pool *pool;
	struct db *held;
	char path[256];
	int started = 0;

	memset(&order, 0, sizeof order);
	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 2, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "holder", &held) == 0);

	for (int i = 0; i < N; i++) {
		t[i].pool = pool;
		t[i].order = &order;
		t[i].id = i + 1;
		if (pthread_create(&t[i].thread, NULL, fifo_acquire_run,
		    &t[i]) != 0)
			break;
		started++;
		/* The next one starts only once this one is visibly queued. */
		if (!wait_for_waiting(pool, (unsigned)started)) {
			CHECK(!"waiter never queued");
			break;
		}
	}
	CHECK_EQ_INT(started, N);
	pool_release(pool, held, false);
	for (int i = 0; i < started; i++)
		CHECK_EQ_INT(pthread_join(t[i].thread, NULL), 0);
	CHECK_EQ_INT(atomic_load(&order.n), started);
	for (int i = 0; i < started; i++)
		CHECK_EQ_INT(order.ids[i], i + 1);
	pool_close(pool);
}

/*
 * The rule: a released writer slot goes to the first WRITE waiter even if a
 * READ waiter queued earlier; reader slots go to the first READ waiter; and
 * nothing waits while a slot that can serve it is idle.
 */
static void
test_writer_preference(void)
{
	static struct order order;
	struct order_waiter r1, w1, r2, now;
	struct pool_stats st;
	struct pool *pool;
	struct db *reader, *writer;
	char path[256];

	memset(&order, 0, sizeof order);
	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 2, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	order.pool = pool;

	/* A read takes the reader slot when it is idle, not the writer. */
	MUST(pool_acquire(pool, POOL_READ, 0, "r", &reader) == 0);
	CHECK_EQ_INT(db_slot(reader), 1);
	/* With the reader slot busy, a read takes the idle writer slot at
	 * once rather than wait. */
	order_waiter_init(&now, &order, 100, POOL_READ, 0);
	CHECK(!pool_submit(pool, &now.w));
	MUST(now.granted && now.db != NULL);
	CHECK_EQ_INT(db_slot(now.db), 0);
	pool_release(pool, now.db, false);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "w", &writer) == 0);
	CHECK_EQ_INT(db_slot(writer), 0);
	atomic_store(&order.n, 0);

	order_waiter_init(&r1, &order, 1, POOL_READ, 0);
	order_waiter_init(&w1, &order, 2, POOL_WRITE, 0);
	order_waiter_init(&r2, &order, 3, POOL_READ, 0);
	CHECK(pool_submit(pool, &r1.w));
	CHECK(pool_submit(pool, &w1.w));
	CHECK(pool_submit(pool, &r2.w));
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.waiting, 3);

	/* The writer slot: to w1, although r1 came first. */
	pool_release(pool, writer, false);
	MUST(w1.granted);
	CHECK(!r1.granted && !r2.granted);
	CHECK(w1.db == writer);
	/* The reader slot: to r1. */
	pool_release(pool, reader, false);
	MUST(r1.granted);
	CHECK(!r2.granted);
	CHECK(r1.db == reader);
	/* The writer slot again, no write waiting: to r2. */
	pool_release(pool, w1.db, false);
	MUST(r2.granted);
	CHECK(r2.db == writer);
	CHECK_EQ_INT(atomic_load(&order.n), 3);
	CHECK_EQ_INT(order.ids[0], 2);
	CHECK_EQ_INT(order.ids[1], 1);
	CHECK_EQ_INT(order.ids[2], 3);

	/* A reader slot is never given to a write. */
	{
		struct order_waiter w2;

		order_waiter_init(&w2, &order, 4, POOL_WRITE, 0);
		CHECK(pool_submit(pool, &w2.w));	/* writer slot busy */
		pool_release(pool, r1.db, false);	/* reader slot free */
		CHECK(!w2.granted);
		pool_stats(pool, &st);
		CHECK_EQ_INT(st.waiting, 1);
		CHECK_EQ_INT(st.in_use, 1);
		pool_release(pool, r2.db, false);	/* writer slot free */
		MUST(w2.granted);
		CHECK(w2.db == writer);
		pool_release(pool, w2.db, false);
	}
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.in_use, 0);
	CHECK_EQ_INT(st.waiting, 0);
	CHECK_EQ_INT(st.acquired, st.released);
	pool_close(pool);
}

/* ------------------------------------------------------------------ */

static void
test_acquire_timeout(void)
{
	struct pool_stats st;
	struct pool *pool;
	struct db *held, *db = NULL;
	char path[256];
	int64_t t0, deadline, took;

	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 1, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "holder", &held) == 0);

	t0 = clock_now_us();
	deadline = t0 + 50000;
	CHECK_EQ_INT(pool_acquire(pool, POOL_READ, deadline, "late", &db), -1);
	took = clock_now_us() - t0;
	CHECK(clock_now_us() >= deadline);
	CHECK(took < 50000 + 2000000);	/* generous: sanitizer builds */
	CHECK(db == NULL);
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.wait_timeouts, 1);
	CHECK_EQ_INT(st.waiting, 0);
	CHECK_EQ_INT(st.in_use, 1);

	/* A deadline already past, slot busy: times out at once. */
	CHECK_EQ_INT(pool_acquire(pool, POOL_READ, clock_now_us() - 1,
	    "late", &db), -1);
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.wait_timeouts, 2);

	pool_release(pool, held, false);
	/* Nothing leaked: the slot is there for the next one at once. */
	CHECK_EQ_INT(pool_acquire(pool, POOL_READ, clock_now_us() + 1000,
	    "next", &db), 0);
	CHECK(db == held);
	pool_release(pool, db, false);
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.in_use, 0);
	CHECK_EQ_INT(st.acquired, st.released);
	pool_close(pool);
}

/*
 * The race in pool_acquire: the slot is released right around the waiter's
 * deadline.  Whichever way each round goes, the slot must come back: every
 * grant is released, and a timed-out waiter holds nothing.
 */
struct race {
	struct pool *pool;
	struct db *held;
	int64_t release_at;
};

static void *
race_release_run(void *arg)
{
	struct race *r = arg;
	int64_t now = clock_now_us();

	if (r->release_at > now)
		sleep_us(r->release_at - now);	/* hold the handle until then */
	pool_release(r->pool, r->held, false);
	return NULL;
}

static void
test_acquire_timeout_race(void)
{
	enum { ROUNDS = 200 };
	struct pool_stats st;
	struct race r;
	pthread_t thread;
	struct db *db;
	char path[256];
	int got = 0, lost = 0;

	test_db_path(path, sizeof path);
	r.pool = test_pool_open(path, 1, DB_SYNC_NORMAL);
	MUST(r.pool != NULL);
	for (int i = 0; i < ROUNDS; i++) {
		int64_t deadline;

		MUST(pool_acquire(r.pool, POOL_WRITE, 0, "race", &r.held) ==
		    0);
		deadline = clock_now_us() + 1000;
		/* Spread the release over both sides of the deadline. */
		r.release_at = deadline - 200 + (i % 5) * 100;
		MUST(pthread_create(&thread, NULL, race_release_run, &r) ==
		    0);
		db = NULL;
		if (pool_acquire(r.pool, POOL_WRITE, deadline, "race", &db) ==
		    0) {
			CHECK(db == r.held);
			got++;
			CHECK_EQ_INT(pthread_join(thread, NULL), 0);
			pool_release(r.pool, db, false);
		} else {
			CHECK(db == NULL);
			lost++;
			CHECK_EQ_INT(pthread_join(thread, NULL), 0);
		}
		pool_stats(r.pool, &st);
		CHECK_EQ_INT(st.in_use, 0);
		CHECK_EQ_INT(st.waiting, 0);
	}
	pool_stats(r.pool, &st);
	CHECK_EQ_INT(st.acquired, st.released);
	CHECK_EQ_INT(st.wait_timeouts, (uint64_t)lost);
	CHECK_EQ_INT(got + lost, ROUNDS);
	printf("# timeout race: %d granted, %d timed out\n", got, lost);
	pool_close(r.pool);
}

/*
 * The same race made certain.  The test is linked with
 * -Wl,--wrap=pthread_cond_timedwait, so pool_acquire's timed wait comes
 * through __wrap_pthread_cond_timedwait below; when it times out, the hook
 * runs on the waiting thread before pool_acquire sees the timeout, asks
 * another thread to release the slot, and returns only once the pool has
 * granted it to the waiter.  pool_acquire must then take the grant.
 * Without the wrap (a build that did not add the flag) the test says so
 * and checks only the plain timeout.
 */
extern int __real_pthread_cond_timedwait(pthread_cond_t *,
    pthread_mutex_t *, const struct timespec *) __attribute__((weak));
int __wrap_pthread_cond_timedwait(pthread_cond_t *, pthread_mutex_t *,
    const struct timespec *);

static atomic_int wrap_active;
static void (*timeout_hook)(void);

int
__wrap_pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
    const struct timespec *ts)
{
	void (*hook)(void) = timeout_hook;
	int rc;

	rc = __real_pthread_cond_timedwait(cond, mutex, ts);
	atomic_store(&wrap_active, 1);
	if (rc == ETIMEDOUT && hook != NULL) {
		timeout_hook = NULL;
		hook();
	}
	return rc;
}

static struct {
	struct pool *pool;
	struct db *held;
	sem_t go;
	uint64_t acquired_before;
} late;

static void *
late_release_run(void *arg)
{
	(void)arg;
	while (sem_wait(&late.go) != 0)
		CHECK(errno == EINTR);
	if (late.held != NULL)
		pool_release(late.pool, late.held, false);
	return NULL;
}

/* On the timed-out waiter's thread: have the slot released to it now. */
static void
late_grant_hook(void)
{
	struct pool_stats st;
	int64_t give_up = clock_now_us() + 10 * 1000000;

	CHECK_EQ_INT(sem_post(&late.go), 0);
	do {
		pool_stats(late.pool, &st);
		if (clock_now_us() > give_up) {
			CHECK(!"the release never granted");
			return;
		}
		sched_yield();
	} while (st.acquired == late.acquired_before);
	/* Granted to us; its callback now waits for our mutex. */
	CHECK_EQ_INT(st.waiting, 0);
	CHECK_EQ_INT(st.in_use, 1);
}

static void
test_acquire_granted_at_timeout(void)
{
	struct pool_stats st;
	pthread_t thread;
	struct db *db = NULL;
	char path[256];
	int rc;

	test_db_path(path, sizeof path);
	late.pool = test_pool_open(path, 1, DB_SYNC_NORMAL);
	MUST(late.pool != NULL);
	MUST(sem_init(&late.go, 0, 0) == 0);
	MUST(pool_acquire(late.pool, POOL_WRITE, 0, "late", &late.held) == 0);
	MUST(pthread_create(&thread, NULL, late_release_run, NULL) == 0);
	pool_stats(late.pool, &st);
	late.acquired_before = st.acquired;

	timeout_hook = late_grant_hook;
	rc = pool_acquire(late.pool, POOL_WRITE, clock_now_us() + 20000,
	    "late", &db);
	if (!atomic_load(&wrap_active)) {
		printf("# built without -Wl,--wrap=pthread_cond_timedwait: "
		    "only the plain timeout is checked\n");
		timeout_hook = NULL;
		CHECK_EQ_INT(rc, -1);
		CHECK_EQ_INT(sem_post(&late.go), 0);
		CHECK_EQ_INT(pthread_join(thread, NULL), 0);
	} else {
		struct timespec limit = { .tv_sec = time(NULL) + 10 };

		CHECK(timeout_hook == NULL);	/* the hook ran */
		CHECK_EQ_INT(rc, 0);
		CHECK(db == late.held);
		/* A pool_acquire that gave up on its grant left the releaser
		 * blocked on a dead waiter: fail rather than hang. */
		if (pthread_timedjoin_np(thread, NULL, &limit) != 0) {
			CHECK(!"the releasing thread is stuck in the callback");
			printf("Bail out! pool_acquire abandoned a grant\n");
			exit(1);
		}
		pool_stats(late.pool, &st);
		CHECK_EQ_INT(st.wait_timeouts, 0);	/* it was served */
		CHECK_EQ_INT(st.in_use, 1);
		if (rc == 0)
			pool_release(late.pool, db, false);
	}
	pool_stats(late.pool, &st);
	CHECK_EQ_INT(st.in_use, 0);
	CHECK_EQ_INT(st.waiting, 0);
	CHECK_EQ_INT(st.acquired, st.released);
	CHECK_EQ_INT(sem_destroy(&late.go), 0);
	pool_close(late.pool);
}

static void
test_expire_cancel(void)
{
	static struct order order;
	struct order_waiter w1, w2, w3, w4, w5;
	struct pool_waiter *list, *p;
	struct pool_stats st;
	struct pool *pool;
	struct db *held;
	char path[256];
	int64_t t;
	int n;

	memset(&order, 0, sizeof order);
	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 1, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "holder", &held) == 0);

	CHECK_EQ_INT(pool_next_deadline(pool), 0);
	CHECK(pool_expire(pool, clock_now_us()) == NULL);

	t = clock_now_us() + 1000000;
	order_waiter_init(&w1, &order, 1, POOL_READ, t + 100);
	order_waiter_init(&w2, &order, 2, POOL_READ, 0);
	order_waiter_init(&w3, &order, 3, POOL_WRITE, t + 50);
	order_waiter_init(&w4, &order, 4, POOL_READ, t + 10000);
	order_waiter_init(&w5, &order, 5, POOL_WRITE, t + 101);
	CHECK(pool_submit(pool, &w1.w));
	CHECK(pool_submit(pool, &w2.w));
	CHECK(pool_submit(pool, &w3.w));
	CHECK(pool_submit(pool, &w4.w));
	CHECK(pool_submit(pool, &w5.w));
	CHECK_EQ_INT(pool_next_deadline(pool), t + 50);

	/* Nothing is due before the earliest deadline. */
	CHECK(pool_expire(pool, t + 49) == NULL);
	/* Deadlines <= now expire: w1 (t+100) and w3 (t+50), not w5 (t+101). */
	list = pool_expire(pool, t + 100);
	n = 0;
	for (p = list; p != NULL; p = p->next) {
		CHECK(p == &w1.w || p == &w3.w);
		n++;
	}
	CHECK_EQ_INT(n, 2);
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.waiting, 3);
	CHECK_EQ_INT(st.wait_timeouts, 2);
	CHECK_EQ_INT(pool_next_deadline(pool), t + 101);
	/* Expired waiters are no longer queued. */
	CHECK(!pool_cancel(pool, &w1.w));
	CHECK(!pool_cancel(pool, &w3.w));

	/* Cancel removes a queued waiter once. */
	CHECK(pool_cancel(pool, &w5.w));
	CHECK(!pool_cancel(pool, &w5.w));
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.waiting, 2);
	CHECK_EQ_INT(st.wait_timeouts, 2);	/* a cancel is not a timeout */
	CHECK_EQ_INT(pool_next_deadline(pool), t + 10000);

	/* The survivors, in order: w2 then w4.  A granted one cannot be
	 * cancelled. */
	pool_release(pool, held, false);
	MUST(w2.granted);
	CHECK(!w4.granted);
	CHECK(!pool_cancel(pool, &w2.w));
	pool_release(pool, w2.db, false);
	MUST(w4.granted);
	CHECK(!pool_cancel(pool, &w4.w));
	CHECK_EQ_INT(pool_next_deadline(pool), 0);
	pool_release(pool, w4.db, false);
	CHECK(!w1.granted && !w3.granted && !w5.granted);
	CHECK_EQ_INT(atomic_load(&order.n), 2);

	pool_stats(pool, &st);
	CHECK_EQ_INT(st.waiting, 0);
	CHECK_EQ_INT(st.in_use, 0);
	CHECK_EQ_INT(st.acquired, 3);
	CHECK_EQ_INT(st.released, 3);
	pool_close(pool);
}

/*
 * 2,000 queued waiters with deadlines in random order (some none): each
 * pool_expire returns exactly the ones due, earliest first, and
 * pool_next_deadline is always the earliest left -- checked against a
 * brute-force scan after every step.
 */
static void
test_expire_order(void)
{
	enum { N = 2000, STEPS = 40 };
	static struct order order;
	static struct order_waiter ws[N];
	static bool gone[N];
	struct pool_waiter *list, *p;
	struct pool *pool;
	struct db *held;
	char path[256];
	int64_t t, now, prev, want_next;
	unsigned seed = 12345;
	int expired = 0;

	memset(&order, 0, sizeof order);
	memset(gone, 0, sizeof gone);
	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 1, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "holder", &held) == 0);
	t = clock_now_us() + 1000000000;
	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		order_waiter_init(&ws[i], &order, i, (seed >> 16) & 1 ?
		    POOL_READ : POOL_WRITE, (seed >> 8) % 10 == 0 ? 0 :
		    t + (int64_t)((seed >> 4) % 100000));
		MUST(pool_submit(pool, &ws[i].w));
	}
	for (int step = 1; step <= STEPS; step++) {
		now = t + (int64_t)step * 100000 / STEPS;
		list = pool_expire(pool, now);
		prev = 0;
		for (p = list; p != NULL; p = p->next) {
			struct order_waiter *ow = p->arg;

			CHECK(p->deadline_us != 0 && p->deadline_us <= now);
			CHECK(p->deadline_us >= prev);	/* earliest first */
			CHECK(!gone[ow->id]);
			gone[ow->id] = true;
			prev = p->deadline_us;
			expired++;
		}
		want_next = 0;
		for (int i = 0; i < N; i++) {
			int64_t d = ws[i].w.deadline_us;

			/* Nothing due is left behind. */
			if (!gone[i] && d != 0)
				CHECK(d > now);
			if (!gone[i] && d != 0 && (want_next == 0 ||
			    d < want_next))
				want_next = d;
		}
		CHECK_EQ_INT(pool_next_deadline(pool), want_next);
	}
	/* Those without a deadline are still queued; cancel them all. */
	for (int i = 0; i < N; i++) {
		if (!gone[i]) {
			CHECK_EQ_INT(ws[i].w.deadline_us, 0);
			CHECK(pool_cancel(pool, &ws[i].w));
		}
	}
	CHECK(expired > N / 2);
	CHECK_EQ_INT(pool_next_deadline(pool), 0);
	pool_release(pool, held, false);
	pool_close(pool);
}

/* ------------------------------------------------------------------ */

static const char sql_endless[] =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) "
    "SELECT count(*) FROM c";
static const char sql_bounded[] =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
    "WHERE x < 100000) SELECT count(*) FROM c";

static const char sql_interrupted[] =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
    "WHERE x < 100000) SELECT count(test_interrupt(x)) FROM c";

/* test_interrupt(x): interrupts its own connection when x reaches 10. */
static void
interrupt_at_10(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_int(argv[0]) == 10)
		sqlite3_interrupt(sqlite3_context_db_handle(ctx));
	sqlite3_result_int(ctx, 1);
}

static void
test_statement_timeout(void)
{
	struct pool *pool;
	sqlite3_stmt *stmt;
	struct db *db;
	char path[256];
	int64_t t0, took;

	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 2, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	MUST(pool_acquire(pool, POOL_READ, 0, "timeout", &db) == 0);

	CHECK(!db_timed_out(db));
	t0 = clock_now_us();
	db_set_deadline(db, t0 + 100000);
	stmt = db_prepare(db, sql_endless);
	MUST(stmt != NULL);
	CHECK_EQ_INT(sqlite3_step(stmt), SQLITE_INTERRUPT);
	took = clock_now_us() - t0;
	CHECK(took >= 100000);
	CHECK(took < 100000 + 2000000);
	CHECK(db_timed_out(db));
	printf("# statement timeout fired after %.1f ms (deadline 100 ms)\n",
	    (double)took / 1000.0);

	/* At rest again: flag and deadline cleared, the handle works. */
	CHECK_EQ_INT(db_rest(db), 0);
	CHECK(!db_timed_out(db));
	CHECK_EQ_INT(query_int(db, sql_bounded), 100000);
	CHECK_EQ_INT(query_int(db, sql_select_1), 1);

	/* Setting and clearing a deadline clears a fired flag. */
	db_set_deadline(db, clock_now_us() - 1);
	CHECK_EQ_INT(db_exec_cached(db, sql_bounded), SQLITE_INTERRUPT);
	CHECK(db_timed_out(db));
	db_set_deadline(db, 0);
	CHECK(!db_timed_out(db));
	CHECK_EQ_INT(db_exec_cached(db, sql_bounded), SQLITE_OK);

	/* An interruption that is not the deadline is not a timeout. */
	db_set_deadline(db, clock_now_us() + 60 * 1000000);
	CHECK_EQ_INT(sqlite3_create_function(db_handle(db), "test_interrupt",
	    1, SQLITE_UTF8, NULL, interrupt_at_10, NULL, NULL), SQLITE_OK);
	CHECK_EQ_INT(db_exec_cached(db, sql_interrupted), SQLITE_INTERRUPT);
	CHECK(!db_timed_out(db));

	pool_release(pool, db, false);
	pool_close(pool);
}

static const char sql_create_r[] = "CREATE TABLE r (x INTEGER)";
static const char sql_fill_r[] = "INSERT INTO r VALUES (1), (2), (3)";
static const char sql_select_r[] = "SELECT x FROM r ORDER BY x";
static const char sql_insert_99[] = "INSERT INTO r VALUES (99)";
static const char sql_count_99[] = "SELECT count(*) FROM r WHERE x = 99";
static const char sql_select_param[] = "SELECT ?1";

static void
test_rest(void)
{
	struct pool_stats st;
	struct pool *pool;
	sqlite3_stmt *stmt, *p, *param;
	struct db *db;
	char path[256];

	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 2, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "rest", &db) == 0);
	CHECK_EQ_INT(db_exec_cached(db, sql_create_r), SQLITE_OK);
	CHECK_EQ_INT(db_exec_cached(db, sql_fill_r), SQLITE_OK);

	/* Nothing to do: 0. */
	CHECK_EQ_INT(db_rest(db), 0);

	/* A statement stepped but not finished, an open transaction, a
	 * binding. */
	stmt = db_prepare(db, sql_select_r);
	MUST(stmt != NULL);
	CHECK_EQ_INT(sqlite3_step(stmt), SQLITE_ROW);
	CHECK(sqlite3_stmt_busy(stmt));
	param = db_prepare(db, sql_select_param);
	MUST(param != NULL);
	CHECK_EQ_INT(sqlite3_bind_int(param, 1, 42), SQLITE_OK);
	CHECK_EQ_INT(db_exec_cached(db, sql_begin), SQLITE_OK);
	CHECK_EQ_INT(db_exec_cached(db, sql_insert_99), SQLITE_OK);
	CHECK(!sqlite3_get_autocommit(db_handle(db)));

	CHECK_EQ_INT(db_rest(db), 1);
	CHECK(!sqlite3_stmt_busy(stmt));
	for (p = sqlite3_next_stmt(db_handle(db), NULL); p != NULL;
	    p = sqlite3_next_stmt(db_handle(db), p))
		CHECK(!sqlite3_stmt_busy(p));
	CHECK(sqlite3_get_autocommit(db_handle(db)));
	CHECK_EQ_INT(query_int(db, sql_count_99), 0);
	/* The binding is gone. */
	CHECK_EQ_INT(sqlite3_step(param), SQLITE_ROW);
	CHECK_EQ_INT(sqlite3_column_type(param, 0), SQLITE_NULL);
	sqlite3_reset(param);
	/* And the statement that was mid-way starts from the top. */
	stmt = db_prepare(db, sql_select_r);
	MUST(stmt != NULL);
	CHECK_EQ_INT(sqlite3_step(stmt), SQLITE_ROW);
	CHECK_EQ_INT(sqlite3_column_int(stmt, 0), 1);

	/* Through the pool: a transaction left open is rolled back at
	 * release (and logged as a bug), and the slot is not replaced. */
	CHECK_EQ_INT(db_exec_cached(db, sql_begin), SQLITE_OK);
	CHECK_EQ_INT(db_exec_cached(db, sql_insert_99), SQLITE_OK);
	pool_release(pool, db, false);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "rest", &db) == 0);
	CHECK(sqlite3_get_autocommit(db_handle(db)));
	CHECK_EQ_INT(query_int(db, sql_count_99), 0);
	pool_release(pool, db, false);
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.replaced, 0);
	pool_close(pool);
}

/* ------------------------------------------------------------------ */

static const char sql_count_meta[] = "SELECT count(*) FROM meta";
static const char sql_checkpoint[] = "PRAGMA wal_checkpoint(TRUNCATE)";

static void
test_replace_broken(void)
{
	struct pool_stats st;
	struct pool *pool;
	struct db *db, *again;
	char path[256];

	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 2, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "broken", &db) == 0);
	CHECK(db_prepare(db, sql_count_meta) != NULL);
	pool_release(pool, db, true);
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.replaced, 1);
	CHECK_EQ_INT(st.size, 2);
	CHECK_EQ_INT(st.in_use, 0);
	CHECK_EQ_INT(st.acquired, st.released);

	MUST(pool_acquire(pool, POOL_WRITE, 0, "after", &again) == 0);
	CHECK(again == db);		/* same slot, fresh connection */
	CHECK(db_ready(again));
	CHECK_EQ_INT(db_file_check(again), DB_FILE_SAME);
	CHECK_EQ_INT(query_int(again, sql_count_meta), 1);
	CHECK_EQ_INT(db_exec_cached(again, sql_create_t), SQLITE_OK);
	pool_release(pool, again, false);
	pool_close(pool);
}

/* A database made behind the pool's back, as a restore from backup would. */
static bool
make_other_database(const char *path)
{
	sqlite3 *h;
	int rc;

	if (sqlite3_open(path, &h) != SQLITE_OK) {
		sqlite3_close(h);
		return false;
	}
	rc = sqlite3_exec(h, "CREATE TABLE marker (x TEXT);"
	    "INSERT INTO marker VALUES ('new');", NULL, NULL, NULL);
	sqlite3_close(h);
	return rc == SQLITE_OK;
}

static void
checkpoint(struct pool *pool)
{
	struct db *db;
	sqlite3_stmt *stmt;

	MUST(pool_acquire(pool, POOL_WRITE, 0, "checkpoint", &db) == 0);
	stmt = db_prepare(db, sql_checkpoint);
	CHECK(stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW);
	if (stmt != NULL)
		CHECK_EQ_INT(sqlite3_column_int(stmt, 0), 0);	/* not busy */
	pool_release(pool, db, false);
}

/* A whole file, malloc'd (*len its size), or NULL. */
static unsigned char *
file_bytes(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	struct stat st;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) == 0 && (buf = malloc((size_t)st.st_size +
	    1)) != NULL && fread(buf, 1, (size_t)st.st_size, f) !=
	    (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = buf != NULL ? (size_t)st.st_size : 0;
	return buf;
}

/* True when path holds exactly want (len bytes). */
static bool
file_is(const char *path, const unsigned char *want, size_t len)
{
	size_t n;
	unsigned char *got = file_bytes(path, &n);
	bool same = got != NULL && n == len && memcmp(got, want, len) == 0;

	free(got);
	return same;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static bool
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 || errno != ENOENT;
}

/*
 * The database renamed over by another one while the pool runs (a restore
 * from backup), its -wal still holding frames: the first write's check
 * refuses and loses the pool (once: one lost call), no slot is reopened
 * onto the new file, later checks refuse whatever their interval, the old
 * -wal is emptied into the old file at release, and the new file is the
 * same, byte for byte, before and after pool_close -- and is still the new
 * database when opened afterwards.
 */
static void
test_file_replaced(void)
{
	static const int64_t long_us = (int64_t)3600 * 1000000;
	struct pool_stats st;
	struct pool *pool;
	struct db *w, *r;
	char path[256], other[300], wal[300], why[256];
	unsigned char *before;
	size_t len;
	sqlite3 *h;
	sqlite3_stmt *stmt;

	test_db_path(path, sizeof path);
	snprintf(other, sizeof other, "%s.restore", path);
	snprintf(wal, sizeof wal, "%s-wal", path);
	atomic_store(&lost_calls, 0);
	pool = test_pool_open(path, 2, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "setup", &w) == 0);
	CHECK_EQ_INT(pool_check(pool, w, clock_now_us(), 0, why, sizeof why),
	    0);
	CHECK_EQ_INT(db_exec_cached(w, sql_create_t), SQLITE_OK);
	pool_release(pool, w, false);
	/* A reader checked a moment ago... */
	MUST(pool_acquire(pool, POOL_READ, 0, "setup", &r) == 0);
	CHECK_EQ_INT(pool_check(pool, r, clock_now_us(), long_us, why,
	    sizeof why), 0);
	pool_release(pool, r, false);
	MUST(file_size(wal) > 0);
	MUST(make_other_database(other));
	before = file_bytes(other, &len);
	MUST(before != NULL);
	MUST(rename(other, path) == 0);

	/* ...is served from the old file within its interval. */
	MUST(pool_acquire(pool, POOL_READ, 0, "x", &r) == 0);
	CHECK_EQ_INT(pool_check(pool, r, clock_now_us(), long_us, why,
	    sizeof why), 0);
	CHECK_EQ_INT(query_int(r, sql_count_t), 0);	/* the old file's t */
	pool_release(pool, r, false);

	/* A write checks at once. */
	MUST(pool_acquire(pool, POOL_WRITE, 0, "x", &w) == 0);
	why[0] = '\0';
	CHECK_EQ_INT(pool_check(pool, w, clock_now_us(), 0, why, sizeof why),
	    -1);
	CHECK_EQ_STR(why, "the database file was replaced while cashbookd was "
	    "running; an operator must restart cashbookd");
	CHECK_EQ_INT(atomic_load(&lost_calls), 1);
	CHECK(db_ready(w));			/* not reopened */
	pool_release(pool, w, false);		/* empties the old -wal */
	CHECK_EQ_INT(file_size(wal), 0);

	/* Lost for good: no stat needed, and a broken slot is not reopened
	 * onto the new file. */
	MUST(pool_acquire(pool, POOL_READ, 0, "x", &r) == 0);
	CHECK_EQ_INT(pool_check(pool, r, clock_now_us(), long_us, why,
	    sizeof why), -1);
	pool_release(pool, r, true);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "x", &w) == 0);
	CHECK_EQ_INT(pool_check(pool, w, clock_now_us(), 0, why, sizeof why),
	    -1);
	pool_release(pool, w, true);
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.replaced, 0);
	CHECK_EQ_INT(st.in_use, 0);
	CHECK_EQ_INT(st.acquired, st.released);
	CHECK_EQ_INT(atomic_load(&lost_calls), 1);
	CHECK(file_is(path, before, len));
	pool_close(pool);
	CHECK(file_is(path, before, len));

	/* Opened now, it is the new database, intact. */
	MUST(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK);
	CHECK(sqlite3_prepare_v2(h, "SELECT x FROM marker", -1, &stmt,
	    NULL) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(stmt, 0), "new") == 0);
	sqlite3_finalize(stmt);
	CHECK(sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 't'", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_int(stmt, 0) == 0);
	sqlite3_finalize(stmt);
	sqlite3_close(h);
	free(before);
}

/*
 * The database and its -wal and -shm unlinked under the pool: refused and
 * lost, and nothing is created at the path -- not by the check, not by a
 * broken slot's release, not by pool_close.
 */
static void
test_file_removed(void)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	struct pool_stats st;
	struct pool *pool;
	struct db *w, *r;
	char path[256], side[300], why[256];

	test_db_path(path, sizeof path);
	atomic_store(&lost_calls, 0);
	pool = test_pool_open(path, 2, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "setup", &w) == 0);
	CHECK_EQ_INT(db_exec_cached(w, sql_create_t), SQLITE_OK);
	pool_release(pool, w, false);
	for (size_t i = 0; i < 3; i++) {
		snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
		MUST(unlink(side) == 0);
	}

	MUST(pool_acquire(pool, POOL_WRITE, 0, "x", &w) == 0);
	CHECK_EQ_INT(pool_check(pool, w, clock_now_us(), 0, why, sizeof why),
	    -1);
	CHECK_EQ_STR(why, "the database file was removed while cashbookd was "
	    "running; an operator must restore it and restart cashbookd");
	pool_release(pool, w, true);
	MUST(pool_acquire(pool, POOL_READ, 0, "x", &r) == 0);
	CHECK_EQ_INT(pool_check(pool, r, clock_now_us(), 0, why, sizeof why),
	    -1);
	pool_release(pool, r, false);
	CHECK_EQ_INT(atomic_load(&lost_calls), 1);
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.replaced, 0);
	for (size_t i = 0; i < 3; i++) {
		snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
		CHECK(!file_exists(side));
	}
	pool_close(pool);
	for (size_t i = 0; i < 3; i++) {
		snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
		CHECK(!file_exists(side));
	}
}

/*
 * A reopen that fails on the same file (here: its header overwritten, so
 * SQLite says "not a database") leaves the slot in the pool, not ready,
 * and the pool not lost; the next holder's pool_check tries again, and
 * succeeds once the file is readable again.
 */
static void
test_reopen_failure(void)
{
	static const char garbage[16] = "not a database!";
	struct pool_stats st;
	struct pool *pool;
	struct db *db;
	char path[256], why[256], header[16];
	int fd;

	test_db_path(path, sizeof path);
	atomic_store(&lost_calls, 0);
	pool = test_pool_open(path, 1, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	checkpoint(pool);
	MUST((fd = open(path, O_RDWR)) >= 0);
	MUST(pread(fd, header, sizeof header, 0) == (ssize_t)sizeof header);
	MUST(pwrite(fd, garbage, sizeof garbage, 0) ==
	    (ssize_t)sizeof garbage);

	MUST(pool_acquire(pool, POOL_WRITE, 0, "doomed", &db) == 0);
	pool_release(pool, db, true);		/* the reopen fails */
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.replaced, 0);
	CHECK_EQ_INT(st.size, 1);
	CHECK_EQ_INT(st.in_use, 0);
	CHECK_EQ_INT(st.acquired, st.released);

	MUST(pool_acquire(pool, POOL_WRITE, 0, "next", &db) == 0);
	CHECK(!db_ready(db));
	CHECK(db_handle(db) == NULL);
	CHECK(db_prepare(db, sql_select_1) == NULL);
	CHECK_EQ_INT(db_rest(db), -1);
	why[0] = '\0';
	CHECK_EQ_INT(pool_check(pool, db, clock_now_us(), 0, why, sizeof why),
	    -1);
	CHECK_EQ_STR(why, "the database cannot be opened; retry later");
	CHECK(!db_ready(db));
	pool_release(pool, db, false);		/* tries again, fails again */
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.replaced, 0);
	CHECK_EQ_INT(atomic_load(&lost_calls), 0);

	MUST(pwrite(fd, header, sizeof header, 0) == (ssize_t)sizeof header);
	close(fd);
	MUST(pool_acquire(pool, POOL_WRITE, 0, "next", &db) == 0);
	CHECK_EQ_INT(pool_check(pool, db, clock_now_us(), 0, why, sizeof why),
	    0);
	CHECK(db_ready(db));
	CHECK_EQ_INT(query_int(db, sql_count_meta), 1);
	pool_release(pool, db, false);
	pool_stats(pool, &st);
	CHECK_EQ_INT(st.replaced, 1);
	CHECK_EQ_INT(st.in_use, 0);
	CHECK_EQ_INT(atomic_load(&lost_calls), 0);
	pool_close(pool);
}

/* ------------------------------------------------------------------ */

static void
test_stmt_cache(void)
{
	enum { N = CB_STMT_CACHE_SIZE + 20 };
	static char sqls[N][32];
	char copy[sizeof sql_select_1];
	sqlite3_stmt *a, *b, *c, *busy, *p;
	struct pool *pool;
	struct db *db;
	char path[256];
	int count;

	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 1, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	MUST(pool_acquire(pool, POOL_READ, 0, "cache", &db) == 0);

	/* Keyed by address: the same pointer gives the same statement, the
	 * same text elsewhere gives another. */
	a = db_prepare(db, sql_select_1);
	b = db_prepare(db, sql_select_1);
	MUST(a != NULL);
	CHECK(a == b);
	memcpy(copy, sql_select_1, sizeof copy);
	c = db_prepare(db, copy);
	CHECK(c != NULL && c != a);

	/* A statement handed out again is reset. */
	CHECK_EQ_INT(sqlite3_step(a), SQLITE_ROW);
	CHECK(sqlite3_stmt_busy(a));
	b = db_prepare(db, sql_select_1);
	CHECK(b == a);
	CHECK(!sqlite3_stmt_busy(a));

	/* One string, one statement. */
	CHECK(db_prepare(db, "SELECT 1; SELECT 2") == NULL);
	CHECK(db_prepare(db, "SELECT nonsense FROM nowhere") == NULL);

	/* A statement being stepped is not evicted under it. */
	busy = db_prepare(db, sql_bounded);
	MUST(busy != NULL);
	CHECK_EQ_INT(sqlite3_step(busy), SQLITE_ROW);

	/* More distinct statements than the cache holds. */
	for (int i = 0; i < N; i++) {
		snprintf(sqls[i], sizeof sqls[i], "SELECT %d", i);
		p = db_prepare(db, sqls[i]);
		CHECK(p != NULL);
		if (p == NULL)
			continue;
		CHECK_EQ_INT(sqlite3_step(p), SQLITE_ROW);
		CHECK_EQ_INT(sqlite3_column_int(p, 0), i);
		sqlite3_reset(p);
	}
	/* Ours only: the text index (FTS5) keeps statements of its own on
	 * the connection that built it in the migration: on its shadow
	 * tables, and its check whether another connection wrote. */
	count = 0;
	for (p = sqlite3_next_stmt(db_handle(db), NULL); p != NULL;
	    p = sqlite3_next_stmt(db_handle(db), p))
		if (strstr(sqlite3_sql(p), "entries_fts") == NULL &&
		    strcmp(sqlite3_sql(p), "PRAGMA 'main'.data_version") != 0)
			count++;
	CHECK_EQ_INT(count, CB_STMT_CACHE_SIZE);
	CHECK(sqlite3_stmt_busy(busy));
	CHECK_EQ_INT(sqlite3_column_int(busy, 0), 100000);
	/* Evicted ones come back. */
	p = db_prepare(db, sqls[0]);
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_EQ_INT(sqlite3_step(p), SQLITE_ROW);
		CHECK_EQ_INT(sqlite3_column_int(p, 0), 0);
	}
	pool_release(pool, db, false);

	/* A reopen finalizes the cache (ASan would see a leak otherwise). */
	MUST(pool_acquire(pool, POOL_READ, 0, "cache", &db) == 0);
	pool_release(pool, db, true);
	MUST(pool_acquire(pool, POOL_READ, 0, "cache", &db) == 0);
	CHECK(sqlite3_next_stmt(db_handle(db), NULL) == NULL);
	pool_release(pool, db, false);
	pool_close(pool);
}

static void
test_leak_report(void)
{
	struct pool *pool;
	struct db *db, *db2;
	char path[256];
	int64_t t0;
	const int64_t s = 1000000;

	test_db_path(path, sizeof path);
	pool = test_pool_open(path, 2, DB_SYNC_NORMAL);
	MUST(pool != NULL);
	CHECK_EQ_INT(pool_report_leaks(pool, clock_now_us() + 100 * s, s), 0);

	MUST(pool_acquire(pool, POOL_WRITE, 0, "test.leaky", &db) == 0);
	t0 = clock_now_us();
	CHECK_EQ_INT(pool_report_leaks(pool, t0 + s / 2, s), 0);
	CHECK_EQ_INT(pool_report_leaks(pool, t0 + s + s / 4, s), 1);
	/* Reported once per crossing, not on every call. */
	CHECK_EQ_INT(pool_report_leaks(pool, t0 + s + s / 2, s), 0);
	CHECK_EQ_INT(pool_report_leaks(pool, t0 + s + 3 * s / 4, s), 0);
	/* The next multiple of the threshold reports it again. */
	CHECK_EQ_INT(pool_report_leaks(pool, t0 + 2 * s + s / 2, s), 1);
	CHECK_EQ_INT(pool_report_leaks(pool, t0 + 2 * s + 3 * s / 4, s), 0);

	/* Two holders past the threshold: two reports. */
	MUST(pool_acquire(pool, POOL_READ, 0, "test.other", &db2) == 0);
	CHECK_EQ_INT(pool_report_leaks(pool, t0 + 10 * s, s), 2);
	pool_release(pool, db2, false);
	pool_release(pool, db, false);
	CHECK_EQ_INT(pool_report_leaks(pool, t0 + 100 * s, s), 0);

	/* A new holding of the same slot starts from zero. */
	MUST(pool_acquire(pool, POOL_WRITE, 0, "test.again", &db) == 0);
	t0 = clock_now_us();
	CHECK_EQ_INT(pool_report_leaks(pool, t0 + s / 2, s), 0);
	CHECK_EQ_INT(pool_report_leaks(pool, t0 + s + s / 4, s), 1);
	pool_release(pool, db, false);
	pool_close(pool);
}

/* ------------------------------------------------------------------ */

static void
remove_test_dir(void)
{
	char path[512];
	struct dirent *de;
	DIR *dir;

	dir = opendir(test_dir);
	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", test_dir, de->d_name);
		if (unlink(path) != 0)
			printf("# cannot remove %s: %s\n", path,
			    strerror(errno));
	}
	closedir(dir);
	if (rmdir(test_dir) != 0)
		printf("# cannot remove %s: %s\n", test_dir, strerror(errno));
}

int
main(void)
{
	if (mkdtemp(test_dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	/* The bugs these tests provoke on purpose are logged as errors. */
	log_set_level(LOG_WARN);

	tap_run("open: WAL, foreign keys, limits, readers query_only",
	    test_open_config);
	tap_run("open: failures leave nothing open", test_open_failures);
	tap_run("fatal result codes", test_rc_is_fatal);
	tap_run("hammer: bounded, exclusive, balanced", test_hammer);
	tap_run("FIFO: pool_submit", test_fifo_submit);
	tap_run("FIFO: blocking pool_acquire", test_fifo_acquire);
	tap_run("writer slot prefers writes", test_writer_preference);
	tap_run("acquire deadline", test_acquire_timeout);
	tap_run("acquire deadline racing a release", test_acquire_timeout_race);
	tap_run("acquire granted just as it times out",
	    test_acquire_granted_at_timeout);
	tap_run("expire and cancel", test_expire_cancel);
	tap_run("expiry in deadline order, whatever the submit order",
	    test_expire_order);
	tap_run("statement timeout", test_statement_timeout);
	tap_run("db_rest", test_rest);
	tap_run("broken slot replaced", test_replace_broken);
	tap_run("database file replaced: lost, new file untouched",
	    test_file_replaced);
	tap_run("database file removed: lost, nothing recreated",
	    test_file_removed);
	tap_run("a failed reopen keeps the slot", test_reopen_failure);
	tap_run("statement cache", test_stmt_cache);
	tap_run("leak report", test_leak_report);

	remove_test_dir();
	return tap_done();
}
