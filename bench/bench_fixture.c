/*
 * bench_fixture.c -- what the book figures need to exist first, made over
 * the socket like any client would: users (registered and logged in),
 * their books, the params the cells send, and a reproducible stream of
 * made-up entries to fill books with.
 *
 * Every user is "bench-PID-TIME-TAG", so runs against the same daemon
 * never collide.  Entries come from a fixed-seed generator: the same seed
 * gives the same entries on every machine, so two runs fill their books
 * alike and their figures can be compared.  Their dates are spread
 * uniformly over FIXTURE_DAYS days (about three years), in random order,
 * each with a random time of day (a tenth have none), which is the shape
 * a book's position index and running-balance rows have after years of
 * use with back-dated entries.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "caldate.h"
#include "cashbook_msgpack.h"
#include "token.h"

#include "bench.h"

/* Entries live in [2023-01-01, 2025-12-31]. */
#define FIXTURE_FIRST_Y		2023
#define FIXTURE_FIRST_M		1
#define FIXTURE_FIRST_D		1
#define FIXTURE_DAYS		1096

/* Requests in flight while seeding over the socket: the daemon stops
 * reading a connection past CB_CONN_MAX_INFLIGHT (256). */
#define FIXTURE_SEED_WINDOW	256

static const char *const fixture_categories[] = { "Food", "Rent",
    "Salary", "Travel", "Fuel", "Utilities", "Groceries", "Medical",
    "Office", "Repairs", "Fees", "Gifts" };
static const char *const fixture_modes[] = { "Cash", "Online", "Card",
    "UPI", "Bank Transfer" };
static const char *const fixture_parties[] = { "ACME Ltd", "Corner shop",
    "Landlord", "City Power", "Dr. Rao", "Jane" };
#define NELEM(a)	(sizeof (a) / sizeof (a)[0])

int
fixture_fail(char *err, size_t errlen, const char *what, struct cb_conn *c)
{
	snprintf(err, errlen, "%s: %s%s%s", what, cb_error_code(c) != NULL ?
	    cb_error_code(c) : "", cb_error_code(c) != NULL ? ": " : "",
	    cb_error_message(c));
	return -1;
}

int
fixture_user_new(struct cb_conn *c, const char *tag, struct fixture_user *u,
    char *err, size_t errlen)
{
	struct cb_params *login = NULL;
	struct cb_reply *reply = NULL;
	uint8_t secret[TOKEN_SECRET_BYTES];
	int rc = -1;

	memset(u, 0, sizeof *u);
	snprintf(u->name, sizeof u->name, "bench-%ld-%ld-%s", (long)getpid(),
	    (long)time(NULL), tag);
	if ((login = fixture_params_login(u)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (cb_call(c, "user.register", login, &reply) != CB_OK) {
		fixture_fail(err, errlen, "user.register", c);
		goto out;
	}
	if (cb_map_get_int(cb_reply_result(reply), "user_id",
	    &u->user_id) != CB_OK) {
		snprintf(err, errlen, "user.register: no user_id in the answer");
		goto out;
	}
	cb_reply_free(reply);
	reply = NULL;
	if (cb_call(c, "auth.login", login, &reply) != CB_OK) {
		fixture_fail(err, errlen, "auth.login", c);
		goto out;
	}
	/* The session id is in the token; the daemon's own parser reads it
	 * (the in-process figures act as this session). */
	if (cb_map_get_str(cb_reply_result(reply), "token", u->token,
	    sizeof u->token) != CB_OK || token_parse(u->token,
	    strlen(u->token), &u->session_id, secret) != 0) {
		snprintf(err, errlen, "auth.login: no valid token in the "
		    "answer");
		goto out;
	}
	explicit_bzero(secret, sizeof secret);
	rc = 0;
out:
	cb_reply_free(reply);
	cb_params_free(login);
	return rc;
}

struct cb_params *
fixture_params_login(const struct fixture_user *u)
{
	struct cb_params *p = cb_params_new();

	if (p == NULL || cb_params_str(p, "username", u->name) != CB_OK ||
	    cb_params_str(p, "password", FIXTURE_PASSWORD) != CB_OK) {
		cb_params_free(p);
		return NULL;
	}
	return p;
}

struct cb_params *
fixture_params_token(const struct fixture_user *u)
{
	struct cb_params *p = cb_params_new();

	if (p == NULL || cb_params_str(p, "token", u->token) != CB_OK) {
		cb_params_free(p);
		return NULL;
	}
	return p;
}

struct cb_params *
fixture_params_book(const struct fixture_user *u, int64_t book_id)
{
	struct cb_params *p = fixture_params_token(u);

	if (p != NULL && cb_params_int(p, "book_id", book_id) != CB_OK) {
		cb_params_free(p);
		return NULL;
	}
	return p;
}

int
fixture_book_new(struct cb_conn *c, const struct fixture_user *u,
    const char *name, int64_t *book_id, char *err, size_t errlen)
{
	struct cb_params *p = fixture_params_token(u);
	struct cb_reply *reply = NULL;
	int rc = -1;

	if (p == NULL || cb_params_str(p, "name", name) != CB_OK ||
	    cb_params_str(p, "currency", "EUR") != CB_OK) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (cb_call(c, "book.create", p, &reply) != CB_OK) {
		fixture_fail(err, errlen, "book.create", c);
		goto out;
	}
	if (cb_map_get_int(cb_reply_result(reply), "book_id", book_id) !=
	    CB_OK) {
		snprintf(err, errlen, "book.create: no book_id in the answer");
		goto out;
	}
	rc = 0;
out:
	cb_reply_free(reply);
	cb_params_free(p);
	return rc;
}

static int
fixture_opt_str(struct cb_params *p, const char *key, const char *value)
{
	return value == NULL ? CB_OK : cb_params_str(p, key, value);
}

int
fixture_entry_fields(struct cb_params *p, const struct fixture_entry *e)
{
	/* The keys in the protocol's order, as a client would send them. */
	if (cb_params_str(p, "type", e->is_in ? "in" : "out") != CB_OK ||
	    cb_params_int(p, "amount", e->amount) != CB_OK ||
	    cb_params_str(p, "date", e->date) != CB_OK ||
	    fixture_opt_str(p, "time", e->time[0] != '\0' ? e->time :
	    NULL) != CB_OK ||
	    fixture_opt_str(p, "category", e->category) != CB_OK ||
	    fixture_opt_str(p, "mode", e->mode) != CB_OK ||
	    fixture_opt_str(p, "party", e->party) != CB_OK ||
	    fixture_opt_str(p, "note", e->note) != CB_OK)
		return -1;
	return 0;
}

struct cb_params *
fixture_params_entry(const struct fixture_user *u, int64_t book_id,
    const struct fixture_entry *e)
{
	struct cb_params *p = fixture_params_book(u, book_id);

	if (p == NULL || fixture_entry_fields(p, e) != 0) {
		cb_params_free(p);
		return NULL;
	}
	return p;
}

/* ---- made-up entries ---- */

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t
fixture_rand(struct fixture_gen *g)
{
	uint64_t z = (g->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A number in [0, n). The bias of the modulo is below 2^-40 here. */
static uint64_t
fixture_below(struct fixture_gen *g, uint64_t n)
{
	return fixture_rand(g) % n;
}

void
fixture_gen_init(struct fixture_gen *g, uint64_t seed)
{
	g->state = seed;
	g->n = 0;
}

/* Days since 1970-01-01 to the civil date (the inverse of caldate_days,
 * H. Hinnant's algorithm). */
static void
fixture_civil(int32_t z, int *y, int *m, int *d)
{
	int32_t era, yy;
	uint32_t doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (uint32_t)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int32_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)yy + (*m <= 2);
}

void
fixture_date(int day, char buf[11])
{
	int y, m, d;

	fixture_civil(caldate_days(FIXTURE_FIRST_Y, FIXTURE_FIRST_M,
	    FIXTURE_FIRST_D) + day, &y, &m, &d);
	/* The span is within 1900..9999: four, two and two digits. */
	snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)y % 10000u,
	    (unsigned)m % 100u, (unsigned)d % 100u);
}

int
fixture_days(void)
{
	return FIXTURE_DAYS;
}

void
fixture_gen_next(struct fixture_gen *g, struct fixture_entry *e)
{
	uint64_t r;

	memset(e, 0, sizeof *e);
	g->n++;
	/* A third comes in (larger sums), two thirds go out. */
	e->is_in = fixture_below(g, 3) == 0;
	e->amount = e->is_in ? 1000 + (int64_t)fixture_below(g, 500000) :
	    100 + (int64_t)fixture_below(g, 50000);
	fixture_date((int)fixture_below(g, FIXTURE_DAYS), e->date);
	r = fixture_below(g, 10 * 1440);
	if (r >= 1440)		/* 9 in 10 have a time */
		snprintf(e->time, sizeof e->time, "%02u:%02u",
		    (unsigned)(r % 1440 / 60) % 24u, (unsigned)(r % 60));
	e->category = fixture_categories[fixture_below(g,
	    NELEM(fixture_categories))];
	e->mode = fixture_modes[fixture_below(g, NELEM(fixture_modes))];
	if (fixture_below(g, 4) == 0)
		e->party = fixture_parties[fixture_below(g,
		    NELEM(fixture_parties))];
	if (fixture_below(g, 5) == 0) {
		snprintf(e->note_buf, sizeof e->note_buf, "bench entry %llu",
		    (unsigned long long)g->n);
		e->note = e->note_buf;
	}
}

/* Receive one answer; an error answer fails the seeding. */
static int
fixture_seed_recv(struct cb_conn *c, char *err, size_t errlen)
{
	struct cb_reply *r;

	if (cb_recv(c, &r) != CB_OK)
		return fixture_fail(err, errlen, "entry.add", c);
	if (cb_reply_error_code(r) != NULL) {
		snprintf(err, errlen, "entry.add: %s: %s",
		    cb_reply_error_code(r), cb_reply_error_message(r));
		cb_reply_free(r);
		return -1;
	}
	cb_reply_free(r);
	return 0;
}

int
fixture_seed_socket(const char *socket_path, const struct fixture_user *u,
    int64_t book_id, int64_t n, struct fixture_gen *g, char *err,
    size_t errlen)
{
	struct fixture_entry e;
	struct cb_params *p;
	struct cb_conn *c;
	char why[256];
	int64_t sent = 0;
	int rc = -1;

	if (cb_connect(socket_path, CB_DEFAULT_TIMEOUT_MS, &c, why,
	    sizeof why) != CB_OK) {
		snprintf(err, errlen, "cannot connect: %s", why);
		return -1;
	}
	while (sent < n || cb_pending(c) > 0) {
		if (sent < n && cb_pending(c) < FIXTURE_SEED_WINDOW) {
			fixture_gen_next(g, &e);
			if ((p = fixture_params_entry(u, book_id, &e)) ==
			    NULL) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			if (cb_send(c, "entry.add", p, NULL) != CB_OK) {
				cb_params_free(p);
				fixture_fail(err, errlen, "entry.add", c);
				goto out;
			}
			cb_params_free(p);
			sent++;
			/* Keep sending while the window has room and no
			 * answer is already waiting in the library. */
			if (!cb_buffered(c) && cb_pending(c) <
			    FIXTURE_SEED_WINDOW && sent < n)
				continue;
		}
		if (fixture_seed_recv(c, err, errlen) != 0)
			goto out;
	}
	rc = 0;
out:
	cb_close(c);
	return rc;
}
