/*
 * ctl_cmd_watch.c -- cashbookctl's "watch": a live tail of what happens in
 * one book or in every book you can see, one line per change, until
 * Ctrl-C; with --json, JSON Lines for scripts and status bars.
 *
 * It subscribes (events.subscribe) and prints the events cashbookd pushes
 * (libcashbook's cb_next_notification).  It remembers, per book, the seq
 * of the last change it showed, so nothing is shown twice or skipped:
 *  - when cashbookd goes away (restart, upgrade) it reconnects, backing
 *    off up to WATCH_RETRY_MAX_MS, subscribes again and replays from the
 *    change feed (book.changes) what happened in between;
 *  - an "overflow" (it fell behind) or a gap in seq is caught up the same
 *    way on the same connection.
 * Replayed changes carry no balance (the feed keeps none); after them
 * comes one "watching" line with the book's balance now.
 *
 * Names for people: each book as the user types it (NAME, or OWNER/NAME
 * for a book shared with them), each actor by username (member.list,
 * asked again when someone new appears), each entry by what entry.get says
 * (type, amount in the book's currency, date).  Like the other ctl_cmd_*.c
 * files, nothing here prints an error itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_limits.h"
#include "methods.h"

#include "ctl.h"
#include "ctl_book.h"
#include "ctl_fields.h"
#include "ctl_output.h"
#include "ctl_session.h"

/* Reconnecting: first retry after MIN, doubling up to MAX. */
#define WATCH_RETRY_MIN_MS	100
#define WATCH_RETRY_MAX_MS	2000

/* book.changes pages while catching up: the largest, fewest round trips. */
#define WATCH_CHANGES_PAGE	CB_LIST_MAX_LIMIT

/* What a step asks of the main loop besides "go on" (-1) or an exit
 * status (>= 0). */
#define WATCH_RESUBSCRIBE	(-2)	/* overflow: subscribe again */
#define WATCH_RECONNECT		(-3)	/* the connection was lost */

struct watch_book {
	struct ctl_book b;
	char label[CTL_BOOK_LABEL_BUF];
	char was[CTL_BOOK_LABEL_BUF];	/* its label before the last fetch */
	int64_t seq;		/* the last change shown */
	bool gone;		/* deleted, or access lost */
	bool seen;		/* in the latest subscription */
};

struct watch_user {
	int64_t id;
	char name[CTL_USERNAME_BUF];
};

struct watch {
	struct ctl_session s;
	struct ctl_ctx *ctx;
	int64_t only;		/* --book: its ID; 0: every book */
	struct watch_book *books;
	size_t nbooks, books_cap;
	struct watch_user *users;
	size_t nusers, users_cap;
};

/* ---- books and people ---- */

static struct watch_book *
watch_book(struct watch *w, int64_t id)
{
	for (size_t i = 0; i < w->nbooks; i++)
		if (w->books[i].b.id == id)
			return &w->books[i];
	return NULL;
}

static int
watch_oom(struct watch *w)
{
	return ctl_error(w->ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
	    "out of memory");
}

/* The remembered user id; with add, a new slot for it when there is none
 * (its name empty).  NULL when not found, or out of memory. */
static struct watch_user *
watch_user(struct watch *w, int64_t id, bool add)
{
	struct watch_user *v;
	size_t cap;

	for (size_t i = 0; i < w->nusers; i++)
		if (w->users[i].id == id)
			return &w->users[i];
	if (!add)
		return NULL;
	if (w->nusers == w->users_cap) {
		cap = w->users_cap ? w->users_cap * 2 : 8;
		if ((v = realloc(w->users, cap * sizeof *v)) == NULL)
			return NULL;
		w->users = v;
		w->users_cap = cap;
	}
	v = &w->users[w->nusers++];
	v->id = id;
	v->name[0] = '\0';
	return v;
}

/* Remember the usernames of book's members (member.list).  Failures are
 * not reported: a name not found shows as "user N". */
static void
watch_learn_members(struct watch *w, int64_t book_id)
{
	struct cb_params *p = ctl_session_params(&w->s);
	struct cb_reply *reply = NULL;
	const msgpack_object *ms;
	struct watch_user *u;

	ctl_param_int(&w->s, p, "book_id", book_id);
	if (ctl_session_try(&w->s, CB_METHOD_MEMBER_LIST, p, &reply) != CB_OK)
		goto out;
	ms = cb_map_get(cb_reply_result(reply), "members");
	if (ms == NULL || ms->type != MSGPACK_OBJECT_ARRAY)
		goto out;
	for (uint32_t i = 0; i < ms->via.array.size; i++) {
		const msgpack_object *m = &ms->via.array.ptr[i];

		if ((u = watch_user(w, ctl_field_int(m, "user_id"),
		    true)) == NULL)
			break;
		ctl_field_text(m, "username", u->name, sizeof u->name);
	}
out:
	cb_reply_free(reply);
	cb_params_free(p);
}

/* The username of user id, as people know them, into buf; the members of
 * book_id are asked once when id is not known yet. */
static void
watch_username(struct watch *w, int64_t book_id, int64_t id, char *buf,
    size_t len)
{
	struct watch_user *u = watch_user(w, id, false);

	if (u == NULL && id > 0) {
		watch_learn_members(w, book_id);
		u = watch_user(w, id, false);
	}
	if (u != NULL)
		ctl_sanitize(u->name, buf, len);
	else
		snprintf(buf, len, "user %" PRId64, id);
}

/* Fill b from book.get (or refresh it after a rename); a book that cannot
 * be read keeps the label it had. */
static void
watch_fetch_book(struct watch *w, struct watch_book *b)
{
	memcpy(b->was, b->label, sizeof b->was);
	if (ctl_book_get(&w->s, b->b.id, &b->b) == CB_OK)
		ctl_book_label(&b->b, b->label, sizeof b->label);
}

/* Add book id, last shown at seq; NULL when out of memory.  Its name is
 * fetched; a book that cannot be read is still watched as "book N". */
static struct watch_book *
watch_add_book(struct watch *w, int64_t id, int64_t seq)
{
	struct watch_book *b;

	if (w->nbooks == w->books_cap) {
		size_t cap = w->books_cap ? w->books_cap * 2 : 8;
		struct watch_book *v = realloc(w->books, cap * sizeof *v);

		if (v == NULL)
			return NULL;
		w->books = v;
		w->books_cap = cap;
	}
	b = &w->books[w->nbooks++];
	memset(b, 0, sizeof *b);
	b->b.id = id;
	b->seq = seq;
	snprintf(b->label, sizeof b->label, "book %" PRId64, id);
	watch_fetch_book(w, b);
	return b;
}

/* ---- printing ---- */

/* "2026-12-05 17:40 Household: " before every human line. */
static void
print_head(const struct watch_book *b, int64_t at)
{
	char when[64];

	ctl_unix_text(at, when, sizeof when);
	printf("%s %s: ", when, b->label);
}

/* "out 4.20 EUR on 2026-11-28" of entry id, or "" when it cannot be read
 * (no longer visible). */
static void
entry_text(struct watch *w, const struct watch_book *b, int64_t id,
    char *buf, size_t len)
{
	struct cb_params *p = ctl_session_params(&w->s);
	struct cb_reply *reply = NULL;
	const msgpack_object *e;
	char type[8], amount[CTL_AMOUNT_BUF], date[16];

	buf[0] = '\0';
	ctl_param_int(&w->s, p, "entry_id", id);
	if (ctl_session_try(&w->s, CB_METHOD_ENTRY_GET, p, &reply) == CB_OK) {
		e = cb_map_get(cb_reply_result(reply), "entry");
		ctl_field_text(e, "type", type, sizeof type);
		ctl_field_amount(e, "amount", b->b.decimals, amount,
		    sizeof amount);
		ctl_field_text(e, "date", date, sizeof date);
		if (type[0] != '\0' && amount[0] != '\0')
			snprintf(buf, len, ": %s %s %s on %s", type, amount,
			    b->b.currency, date);
	}
	cb_reply_free(reply);
	cb_params_free(p);
}

/* What happened, after "WHO ", in a person's words. */
static void
change_text(struct watch *w, const struct watch_book *b, const char *kind,
    const msgpack_object *c, char *buf, size_t len)
{
	int64_t entry = ctl_field_int(c, "entry_id");
	int64_t actor = ctl_field_int(c, "actor_user_id");
	int64_t user = ctl_field_int(c, "user_id");
	char what[256], who[CTL_USERNAME_BUF];

	if (strncmp(kind, "entry_", 6) == 0)
		entry_text(w, b, entry, what, sizeof what);
	if (strcmp(kind, "entry_added") == 0)
		snprintf(buf, len, "added entry %" PRId64 "%s", entry, what);
	else if (strcmp(kind, "entry_updated") == 0)
		snprintf(buf, len, "changed entry %" PRId64 "%s", entry, what);
	else if (strcmp(kind, "entry_deleted") == 0)
		snprintf(buf, len, "moved entry %" PRId64 " to the trash%s",
		    entry, what);
	else if (strcmp(kind, "entry_restored") == 0)
		snprintf(buf, len, "restored entry %" PRId64 "%s", entry,
		    what);
	else if (strcmp(kind, "book_created") == 0)
		snprintf(buf, len, "created the book (%s)", b->b.currency);
	else if (strcmp(kind, "book_updated") == 0 &&
	    strcmp(b->was, b->label) != 0)
		snprintf(buf, len, "renamed '%s' to '%s'", b->was, b->label);
	else if (strcmp(kind, "book_updated") == 0)
		snprintf(buf, len, "updated the book");
	else if (strcmp(kind, "book_deleted") == 0)
		snprintf(buf, len, "deleted the book");
	else if ((strcmp(kind, "member_added") == 0 ||
	    strcmp(kind, "member_removed") == 0) && user == actor)
		snprintf(buf, len, "%s", kind[7] == 'a' ? "joined" : "left");
	else if (strcmp(kind, "member_added") == 0 ||
	    strcmp(kind, "member_removed") == 0) {
		watch_username(w, b->b.id, user, who, sizeof who);
		snprintf(buf, len, "%s %s", kind[7] == 'a' ? "added" :
		    "removed", who);
	} else {
		ctl_sanitize(kind, what, sizeof what);
		snprintf(buf, len, "%s", what);
	}
}

/* JSON: "KEY":"TEXT" after a comma. */
static void
json_str_field(const char *key, const char *text)
{
	printf(",");
	ctl_json_write_string(stdout, key, strlen(key));
	printf(":");
	ctl_json_write_string(stdout, text, strlen(text));
}

/* JSON: the book's name and currency, and balance_text for the integer
 * balance under key "balance" of o, if any. */
static void
json_book_fields(const struct watch_book *b, const msgpack_object *o)
{
	char bal[CTL_AMOUNT_BUF];

	json_str_field("book", b->label);
	json_str_field("currency", b->b.currency);
	ctl_field_amount(o, "balance", b->b.decimals, bal, sizeof bal);
	if (bal[0] != '\0')
		json_str_field("balance_text", bal);
}

/* The map m as JSON without its closing brace, for fields to follow. */
static void
json_open_map(const msgpack_object *m)
{
	printf("{");
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		if (i > 0)
			printf(",");
		(void)ctl_json_write(stdout, &m->via.map.ptr[i].key);
		printf(":");
		(void)ctl_json_write(stdout, &m->via.map.ptr[i].val);
	}
}

/*
 * One change, pushed (an event, with its balance) or replayed (from the
 * feed, without): a line for people, or the object as cashbookd sent it
 * plus book, currency, who, balance_text (and replayed, book_id) for
 * --json.
 */
static void
print_change(struct watch *w, const struct watch_book *b,
    const msgpack_object *c, bool replayed)
{
	char kind[32], who[CTL_USERNAME_BUF], bal[CTL_AMOUNT_BUF];
	char what[2 * CTL_BOOK_LABEL_BUF + 512];
	int64_t actor = ctl_field_int(c, "actor_user_id");

	ctl_field_text(c, "kind", kind, sizeof kind);
	if (ctl_field_nil(c, "actor_user_id"))
		snprintf(who, sizeof who, "someone");
	else
		watch_username(w, b->b.id, actor, who, sizeof who);
	if (w->ctx->json) {
		json_open_map(c);
		if (replayed) {
			printf(",\"book_id\":%" PRId64 ",\"replayed\":true",
			    b->b.id);
		}
		json_book_fields(b, c);
		json_str_field("who", who);
		printf("}\n");
		return;
	}
	change_text(w, b, kind, c, what, sizeof what);
	print_head(b, ctl_field_int(c, "at"));
	printf("%s %s", who, what);
	ctl_field_amount(c, "balance", b->b.decimals, bal, sizeof bal);
	if (bal[0] != '\0')
		printf("; balance %s %s", bal, b->b.currency);
	printf("\n");
}

/* The book's state now: "watching 'Household' (seq 12), balance ...". */
static void
print_watching(struct watch *w, const struct watch_book *b)
{
	struct cb_params *p = ctl_session_params(&w->s);
	struct cb_reply *reply = NULL;
	const msgpack_object *res = NULL;
	char bal[CTL_AMOUNT_BUF] = "";

	ctl_param_int(&w->s, p, "book_id", b->b.id);
	if (ctl_session_try(&w->s, CB_METHOD_BOOK_BALANCE, p, &reply) ==
	    CB_OK) {
		res = cb_reply_result(reply);
		ctl_field_amount(res, "balance", b->b.decimals, bal,
		    sizeof bal);
	}
	if (w->ctx->json) {
		printf("{\"kind\":\"watching\",\"book_id\":%" PRId64
		    ",\"seq\":%" PRId64, b->b.id, b->seq);
		if (bal[0] != '\0')
			printf(",\"balance\":%" PRId64,
			    ctl_field_int(res, "balance"));
		json_book_fields(b, res);
		printf("}\n");
	} else if (bal[0] != '\0') {
		printf("watching '%s': balance %s %s\n", b->label, bal,
		    b->b.currency);
	} else {
		printf("watching '%s'\n", b->label);
	}
	cb_reply_free(reply);
	cb_params_free(p);
}

/* ---- catching up from the change feed ---- */

/*
 * Show b's changes after b->seq up to upto from book.changes.  -1 to go
 * on (also when the feed no longer reaches back that far: that is said,
 * and the watch goes on from upto), else an exit status or
 * WATCH_RECONNECT.
 */
static int
watch_replay(struct watch *w, struct watch_book *b, int64_t upto)
{
	const msgpack_object *cs, *c;
	struct cb_params *p;
	struct cb_reply *reply;
	int64_t seq;
	bool any = false;
	int rc;

	while (b->seq < upto) {
		p = ctl_session_params(&w->s);
		ctl_param_int(&w->s, p, "book_id", b->b.id);
		ctl_param_int(&w->s, p, "since_seq", b->seq);
		ctl_param_int(&w->s, p, "limit", WATCH_CHANGES_PAGE);
		rc = ctl_session_try(&w->s, CB_METHOD_BOOK_CHANGES, p, &reply);
		cb_params_free(p);
		if (rc == CB_EIO || rc == CB_EPROTO)
			return WATCH_RECONNECT;
		if (ctl_session_code_is(&w->s, rc, "conflict")) {
			fprintf(stderr, "cashbookctl: changes to '%s' were "
			    "missed: cashbookd no longer keeps them; see the "
			    "book as it is with: cashbookctl list --book "
			    "%" PRId64 "\n", b->label, b->b.id);
			b->seq = upto;
			break;
		}
		if (rc != CB_OK)
			return ctl_session_fail(&w->s, rc);
		cs = cb_map_get(cb_reply_result(reply), "changes");
		if (cs == NULL || cs->type != MSGPACK_OBJECT_ARRAY ||
		    cs->via.array.size == 0) {
			cb_reply_free(reply);
			break;		/* nothing more: the feed is done */
		}
		for (uint32_t i = 0; i < cs->via.array.size; i++) {
			c = &cs->via.array.ptr[i];
			seq = ctl_field_int(c, "seq");
			if (seq <= b->seq || seq > upto)
				continue;
			print_change(w, b, c, true);
			b->seq = seq;
			any = true;
		}
		cb_reply_free(reply);
	}
	if (any)
		print_watching(w, b);
	return -1;
}

/* ---- subscribing ---- */

/* The book ID of a key of the subscription's seq map ("12", or 12). */
static int64_t
seq_key_id(const msgpack_object *k)
{
	char buf[24];
	int64_t id = 0;

	if (k->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return k->via.u64 <= INT64_MAX ? (int64_t)k->via.u64 : 0;
	if (k->type != MSGPACK_OBJECT_STR || k->via.str.size == 0 ||
	    k->via.str.size >= sizeof buf)
		return 0;
	memcpy(buf, k->via.str.ptr, k->via.str.size);
	buf[k->via.str.size] = '\0';
	for (const char *q = buf; *q != '\0'; q++) {
		if (*q < '0' || *q > '9' || id > (INT64_MAX - 9) / 10)
			return 0;
		id = id * 10 + (*q - '0');
	}
	return id;
}

/* A book the watch showed is no longer in the subscription; told: its
 * event was printed already (JSON). */
static int
watch_lost(struct watch *w, struct watch_book *b, bool told)
{
	b->gone = true;
	if (w->only != 0)
		return ctl_error(w->ctx, CTL_EXIT_FAILED, "not_found",
		    "see your books with: cashbookctl book list",
		    "you can no longer see '%s': it was deleted, or you left "
		    "it or were removed", b->label);
	if (!w->ctx->json)
		printf("no longer watching '%s': it was deleted, or you left "
		    "it or were removed\n", b->label);
	else if (!told) {
		printf("{\"kind\":\"access_lost\",\"book_id\":%" PRId64,
		    b->b.id);
		json_str_field("book", b->label);
		printf("}\n");
	}
	return -1;
}

/*
 * Subscribe on ctx->conn: print the state of each book new to the watch
 * (every book, the first time); catch each book already shown up to its
 * seq at the new subscription (after a reconnect or an overflow).  -1 to go on, else an exit status or
 * WATCH_RECONNECT.
 */
static int
watch_subscribe(struct watch *w)
{
	struct cb_params *p = ctl_session_params(&w->s);
	struct cb_reply *reply = NULL;
	const msgpack_object *seqs;
	struct watch_book *b;
	int64_t id, seq;
	int rc;

	if (w->only != 0)
		ctl_param_int_array(&w->s, p, "book_ids", &w->only, 1);
	rc = ctl_session_try(&w->s, CB_METHOD_EVENTS_SUBSCRIBE, p, &reply);
	cb_params_free(p);
	if (rc == CB_EIO || rc == CB_EPROTO ||
	    ctl_session_code_is(&w->s, rc, "unavailable"))
		return WATCH_RECONNECT;
	if (rc == CB_ESERVER && w->nbooks > 0 && w->only != 0 &&
	    ctl_session_code_is(&w->s, rc, "not_found"))
		return watch_lost(w, &w->books[0], false);
	if (rc != CB_OK)
		return ctl_session_fail(&w->s, rc);
	seqs = cb_map_get(cb_reply_result(reply), "seq");
	if (seqs == NULL || seqs->type != MSGPACK_OBJECT_MAP) {
		cb_reply_free(reply);
		return ctl_session_bad_answer(&w->s,
		    CB_METHOD_EVENTS_SUBSCRIBE);
	}
	for (size_t i = 0; i < w->nbooks; i++)
		w->books[i].seen = false;
	rc = -1;
	for (uint32_t i = 0; i < seqs->via.map.size && rc == -1; i++) {
		const msgpack_object *v = &seqs->via.map.ptr[i].val;

		id = seq_key_id(&seqs->via.map.ptr[i].key);
		if (id <= 0 || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    v->via.u64 > INT64_MAX)
			continue;
		seq = (int64_t)v->via.u64;
		if ((b = watch_book(w, id)) == NULL) {
			/* New to this watch: shown from now on. */
			if ((b = watch_add_book(w, id, seq)) == NULL) {
				rc = watch_oom(w);
				break;
			}
			b->seen = true;
			print_watching(w, b);
			continue;
		}
		b->seen = true;
		b->gone = false;
		rc = watch_replay(w, b, seq);
	}
	/* Gone while we were away. */
	for (size_t i = 0; i < w->nbooks && rc == -1; i++)
		if (!w->books[i].seen && !w->books[i].gone)
			rc = watch_lost(w, &w->books[i], false);
	cb_reply_free(reply);
	return rc;
}

/* ---- events ---- */

/*
 * Show one event.  -1 to go on, else an exit status, WATCH_RESUBSCRIBE or
 * WATCH_RECONNECT.
 */
static int
watch_event(struct watch *w, const msgpack_object *ev)
{
	char kind[32];
	struct watch_book *b;
	int64_t id = ctl_field_int(ev, "book_id");
	int64_t seq = ctl_field_int(ev, "seq");
	int rc;

	ctl_field_text(ev, "kind", kind, sizeof kind);
	if (strcmp(kind, "overflow") == 0) {
		fprintf(stderr, "cashbookctl: fell behind cashbookd's events; "
		    "catching up from the change feed\n");
		return WATCH_RESUBSCRIBE;
	}
	if (strcmp(kind, "access_lost") == 0 && ctl_field_nil(ev, "book_id"))
		return ctl_error(w->ctx, CTL_EXIT_FAILED, "unauthorized",
		    "run cashbookctl login, then watch again",
		    "%s", MSG_SESSION_ENDED);
	if ((b = watch_book(w, id)) == NULL) {
		/* A book made or joined since (watching every book). */
		if ((b = watch_add_book(w, id, seq - 1)) == NULL)
			return watch_oom(w);
	}
	if (strcmp(kind, "access_lost") == 0) {
		if (w->ctx->json)
			print_change(w, b, ev, false);
		return watch_lost(w, b, true);
	}
	if (seq <= b->seq)
		return -1;		/* shown already, from the feed */
	if (seq > b->seq + 1 && (rc = watch_replay(w, b, seq - 1)) != -1)
		return rc;
	if (strcmp(kind, "book_updated") == 0)
		watch_fetch_book(w, b);		/* perhaps renamed */
	print_change(w, b, ev, false);
	b->seq = seq;
	if (strcmp(kind, "book_deleted") == 0)
		return watch_lost(w, b, true);
	return -1;
}

/* ---- the connection ---- */

/* Wait ms milliseconds (interrupted: sooner, harmless). */
static void
watch_pause(int ms)
{
	(void)poll(NULL, 0, ms);
}

/*
 * cashbookd went away: connect again, backing off, until it answers or
 * something other than its absence stops us (another user's socket).
 * -1 when connected, else the exit status.
 */
static int
watch_reconnect(struct watch *w)
{
	struct ctl_ctx *ctx = w->ctx;
	char err[512];
	int ms = WATCH_RETRY_MIN_MS, rc;

	fprintf(stderr, "cashbookctl: lost cashbookd (%s); reconnecting "
	    "(Ctrl-C to stop)\n", ctx->conn != NULL ?
	    cb_error_message(ctx->conn) : "not connected");
	fflush(stdout);
	cb_close(ctx->conn);
	ctx->conn = NULL;
	for (;;) {
		rc = cb_connect(ctx->socket_path, ctx->timeout_ms, &ctx->conn,
		    err, sizeof err);
		if (rc == CB_OK)
			break;
		if (rc == CB_ECONNECT && errno == EPERM)
			return ctl_error(ctx, CTL_EXIT_CONNECT, "connect",
			    NULL, "%s", err);
		if (rc == CB_ENOMEM)
			return watch_oom(w);
		watch_pause(ms);
		ms = ms * 2 > WATCH_RETRY_MAX_MS ? WATCH_RETRY_MAX_MS : ms * 2;
	}
	fprintf(stderr, "cashbookctl: reconnected; catching up\n");
	return -1;
}

static int
watch_loop(struct watch *w)
{
	struct cb_reply *ev;
	int rc = watch_subscribe(w);

	for (;;) {
		if (rc == WATCH_RECONNECT) {
			if ((rc = watch_reconnect(w)) != -1)
				return rc;
			rc = watch_subscribe(w);
			continue;
		}
		if (rc == WATCH_RESUBSCRIBE) {
			rc = watch_subscribe(w);
			continue;
		}
		if (rc != -1)
			return rc;
		rc = cb_next_notification(w->ctx->conn, -1, &ev);
		if (rc == CB_EIO || rc == CB_EPROTO) {
			rc = WATCH_RECONNECT;
			continue;
		}
		if (rc != CB_OK)
			return ctl_fail(w->ctx, rc);
		rc = -1;
		if (strcmp(cb_reply_method(ev), CB_NOTIFY_EVENT) == 0)
			rc = watch_event(w, cb_reply_result(ev));
		cb_reply_free(ev);
		if (fflush(stdout) != 0)
			return CTL_EXIT_FAILED;	/* the reader is gone */
	}
}

static enum ctl_retval
watch_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct watch w;
	struct ctl_book found;
	int rc;

	(void)self;
	(void)args;
	memset(&w, 0, sizeof w);
	w.ctx = ctx;
	/* Line by line, also into a pipe: a status bar reads each as it
	 * comes. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (ctx->book != NULL) {	/* -b/--book: that one only */
		if ((rc = ctl_book_open(&w.s, ctx, NULL, &found)) >= 0)
			goto out;
		w.only = found.id;
	} else if ((rc = ctl_session_begin(&w.s, ctx)) >= 0) {
		goto out;
	}
	rc = watch_loop(&w);
out:
	free(w.books);
	free(w.users);
	ctl_session_end(&w.s);
	return rc;
}

const struct ctl_cmd ctl_cmd_watch = {
	.name = "watch",
	.method = CB_METHOD_EVENTS_SUBSCRIBE,
	.summary = "show changes as they happen, until Ctrl-C",
	.help =
	    "Every book you can see (those you make or join later too), or "
	    "with --book\none, first as it is, then one line per change as "
	    "it happens, e.g.\n"
	    "  watching 'Household': balance 2422.10 EUR\n"
	    "  2026-12-05 17:40 Household: bob added entry 5: out 4.20 EUR "
	    "on 2026-12-05;\n    balance 2417.90 EUR\n"
	    "until Ctrl-C.  When cashbookd restarts, watch reconnects and "
	    "shows what\nhappened meanwhile (from the book's change feed, "
	    "without balances; then a\n'watching' line with the balance "
	    "now); progress notes go to standard error.\n"
	    "It ends (exit 1) when the one book watched is deleted or you "
	    "lose access to\nit, or your session ends.\n"
	    "With --json: JSON Lines, one object per line, flushed as it "
	    "comes: each event\nas cashbookd sends it (kind, book_id, seq, "
	    "entry_id, balance in minor units,\nactor_user_id, at, ...) "
	    "plus \"book\", \"currency\", \"who\" and \"balance_text\" "
	    "(the\nbalance as a decimal); changes replayed after a "
	    "reconnect have\n\"replayed\":true and no balance; "
	    "{\"kind\":\"watching\",...} gives a book's\nbalance at the "
	    "start and after catching up.\n",
	.flags = 0,
	.exec = watch_exec,
};
