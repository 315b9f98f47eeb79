/*
 * cashbook.h -- libcashbook, the C client library of cashbookd.
 *
 * A struct cb_conn is one connection to cashbookd over its Unix socket.  On
 * it you either call methods one at a time (cb_call, blocking, honouring the
 * connection's timeout) or pipeline them (cb_send many, then cb_recv the
 * responses as they come, in any order).  Both may be mixed on one
 * connection: a response that cb_call reads for another request still in
 * flight is queued and handed out later by cb_recv.
 *
 * The common methods have typed calls (books, entries, balances, the entry
 * list with its paging, reports): plain C structs in, plain C structs out,
 * amounts as int64_t minor units.  Any other method goes through cb_call;
 * its result is a tree of struct cb_value owned by the struct cb_reply,
 * read with the cb_value_* accessors.
 *
 * Errors: every function returning int returns CB_OK (0) or a negative
 * CB_E* code.  CB_ESERVER means cashbookd answered with an error; its
 * stable code ("pool_timeout", "not_found", ...) and message are then in
 * cb_error_code() / cb_error_message().  After CB_EIO or CB_EPROTO the
 * connection is dead: every later call fails the same way; cb_close it.
 *
 * Threads: a cb_conn must be used by one thread at a time (no locking
 * inside); distinct connections are fully independent.  The library keeps
 * no global mutable state, and never raises SIGPIPE (sends use
 * MSG_NOSIGNAL).  File descriptors are opened close-on-exec.
 *
 * Never includes the daemon's or the protocol's private headers, nor
 * msgpack-c's: this file is installed, needs only the C library's headers,
 * and compiles as C11 (and C++) on its own, so the library's ABI does not
 * depend on msgpack-c's.
 */
#ifndef CASHBOOK_H
#define CASHBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; these are its exports. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define CB_API __attribute__((visibility("default")))
#else
#define CB_API
#endif

/* Result codes. */
#define CB_OK		0
#define CB_ESERVER	(-1)	/* cashbookd answered an error: cb_error_code() */
#define CB_ECONNECT	(-2)	/* cannot connect (no daemon, no permission) */
#define CB_EIO		(-3)	/* connection lost (closed, reset) */
#define CB_ETIMEOUT	(-4)	/* no answer within the connection's timeout */
#define CB_EPROTO	(-5)	/* cashbookd sent something invalid, or closed
				   the connection with a protocol_error */
#define CB_ENOMEM	(-6)	/* out of memory */
#define CB_EINVAL	(-7)	/* bad argument (or a value does not fit) */

/* A short description of a result code ("connection lost", ...). */
CB_API const char *cb_strerror(int rc);

/* Timeout a CLI should use when the user gives none.  Longer than the
 * daemon's default pool and statement timeouts, so a busy daemon's own
 * "pool_timeout" answer reaches the caller before the client gives up. */
#define CB_DEFAULT_TIMEOUT_MS	10000

/* ---- connections ---- */

struct cb_conn;

/*
 * The socket cashbookd listens on by default, the same rule as the daemon:
 * $CASHBOOK_SOCKET if set and not empty, else
 * $XDG_RUNTIME_DIR/cashbook/cashbookd.sock if XDG_RUNTIME_DIR is an absolute
 * path, else /tmp/cashbook-$UID/cashbookd.sock.  Writes it into buf and
 * returns buf, or NULL (errno ENAMETOOLONG) when it does not fit.
 */
CB_API const char *cb_default_socket_path(char *buf, size_t len);

/*
 * Connect to the cashbookd socket at socket_path (NULL: the default above).
 * timeout_ms bounds the connect and then every later call on the connection
 * (each cb_call, cb_send, cb_recv as a whole); <= 0 means wait forever.
 * On success stores the new connection in *out and returns CB_OK.  On
 * failure returns CB_ECONNECT, CB_ETIMEOUT, CB_EINVAL (path too long) or
 * CB_ENOMEM, and writes why into err (may be NULL) without the path, e.g.
 * "No such file or directory"; errno is then set too where it applies.
 *
 * Before anything is sent, the process listening on the socket must run
 * as the caller's effective uid or as root (SO_PEERCRED): anyone can
 * create /tmp/cashbook-$UID first and collect what is sent there.
 * Otherwise the result is CB_ECONNECT with errno EPERM, and err, this time
 * naming the path, says which uid serves it and what to do (set
 * XDG_RUNTIME_DIR, or choose another socket).  Give err room for about
 * 300 bytes plus the path.
 */
CB_API int cb_connect(const char *socket_path, int timeout_ms,
    struct cb_conn **out, char *err, size_t errlen);

/* Close the connection and free everything it holds, including replies
 * still queued.  Replies already handed out stay valid.  NULL is a no-op. */
CB_API void cb_close(struct cb_conn *conn);

/* Change the timeout for later calls (<= 0: wait forever). */
CB_API void cb_set_timeout(struct cb_conn *conn, int timeout_ms);

/*
 * The descriptor, for poll()-ing for readability in an event loop.  Do not
 * read, write or close it yourself.  The library may already hold response
 * bytes that the socket will not signal again (cb_call keeps answers meant
 * for cb_recv; cb_send reads ahead while the socket is full): when
 * cb_buffered() is true, call cb_recv before polling.
 */
CB_API int cb_fd(const struct cb_conn *conn);
CB_API bool cb_buffered(const struct cb_conn *conn);

/*
 * What the last failed call on conn was about.  cb_error_code() is the
 * error code cashbookd sent (after CB_ESERVER, or after CB_EPROTO caused by
 * its protocol_error notice), or NULL when the failure was local (timeout,
 * connection lost, ...).  cb_error_message() always returns a string: the
 * server's message, or a description of the local failure ("" if none).
 * Both stay valid until the next call on conn.
 */
CB_API const char *cb_error_code(const struct cb_conn *conn);
CB_API const char *cb_error_message(const struct cb_conn *conn);

/* ---- named parameters ---- */

/*
 * A method's named arguments, packed as a msgpack map as they are added.
 * Setters return CB_OK, CB_ENOMEM, or CB_EINVAL (NULL argument, key already
 * set, or a value too large for a message).  After a failure the params
 * object is still valid and holds what was added before.
 */
struct cb_params;

CB_API struct cb_params *cb_params_new(void);
CB_API void cb_params_free(struct cb_params *p);
CB_API int cb_params_str(struct cb_params *p, const char *key,
    const char *value);
CB_API int cb_params_int(struct cb_params *p, const char *key, int64_t value);
CB_API int cb_params_bool(struct cb_params *p, const char *key, bool value);
CB_API int cb_params_nil(struct cb_params *p, const char *key);
/* An array of n strings (n may be 0: an empty array). */
CB_API int cb_params_str_array(struct cb_params *p, const char *key,
    const char *const *values, size_t n);
/* An array of n integers (n may be 0: an empty array). */
CB_API int cb_params_int_array(struct cb_params *p, const char *key,
    const int64_t *values, size_t n);
/* An array of n maps, each the arguments held by items[i] (copied: the
 * items stay the caller's), e.g. entry.add_batch's entries. */
CB_API int cb_params_map_array(struct cb_params *p, const char *key,
    const struct cb_params *const *items, size_t n);
/* The bytes p's arguments take in a request, to split work that must fit
 * the daemon's message limit (server.info's max_message_bytes). */
CB_API size_t cb_params_bytes(const struct cb_params *p);

/* ---- calls ---- */

/* One response.  Owns its decoded data (every struct cb_value in it). */
struct cb_reply;

/*
 * Call method with params (NULL: no arguments) and wait for its response.
 * On CB_OK, *reply holds the result (free it with cb_reply_free).  On any
 * failure *reply is NULL: CB_ESERVER (see cb_error_code), CB_ETIMEOUT (the
 * request is abandoned: its late response is dropped when it comes; the
 * connection stays usable), CB_EIO, CB_EPROTO, CB_ENOMEM, CB_EINVAL.
 */
CB_API int cb_call(struct cb_conn *conn, const char *method,
    const struct cb_params *params, struct cb_reply **reply);

/*
 * Pipelining.  cb_send writes one request without waiting for its answer
 * and stores its msgid in *msgid (may be NULL).  cb_recv waits for the next
 * response to any request in flight (queued ones first) and returns CB_OK
 * with it in *reply -- also when the response is an error: check
 * cb_reply_error_code().  With nothing in flight cb_recv returns CB_EINVAL.
 * Receive as you go: cashbookd stops reading a connection whose answers are
 * not being read.
 */
CB_API int cb_send(struct cb_conn *conn, const char *method,
    const struct cb_params *params, uint32_t *msgid);
CB_API int cb_recv(struct cb_conn *conn, struct cb_reply **reply);

/* Requests sent whose responses have not yet been handed out. */
CB_API size_t cb_pending(const struct cb_conn *conn);

CB_API void cb_reply_free(struct cb_reply *reply);
CB_API uint32_t cb_reply_msgid(const struct cb_reply *reply);
/* The result (a nil value when the response is an error); for a
 * notification, its params map (the event).  Never NULL; valid until
 * cb_reply_free.  Read it with the cb_value_* accessors below. */
CB_API const struct cb_value *cb_reply_value(const struct cb_reply *reply);
/* The error code and message of an error response, or NULL. */
CB_API const char *cb_reply_error_code(const struct cb_reply *reply);
CB_API const char *cb_reply_error_message(const struct cb_reply *reply);

/* ---- notifications: live events ---- */

/*
 * After events.subscribe on a connection, cashbookd pushes msgpack-RPC
 * notifications on it, [2, "event", [event]], as changes commit (see
 * docs/protocol.md, "Live events").  The library keeps every notification
 * it reads, whichever call reads it (cb_call, cb_recv, this one), in a
 * queue in arrival order, and cb_next_notification hands them out.
 *
 * cb_next_notification returns the oldest one: CB_OK with *out set, to be
 * freed with cb_reply_free; cb_reply_method() is then its method ("event")
 * and cb_reply_value() its params map, the event ("kind", "book_id",
 * "seq", ...; read with cb_value_map_get*).  When none is queued it waits up to
 * timeout_ms (< 0: forever, 0: only what has already arrived) and returns
 * CB_ETIMEOUT if none came, or CB_EIO / CB_EPROTO when the connection is
 * lost (notifications received before that are still handed out first).
 * Responses to requests sent with cb_send that arrive meanwhile are kept
 * for cb_recv.  For a poll()-based loop: cb_fd, and cb_buffered is true
 * while notifications are queued.
 *
 * Bounded: at most 4096 notifications (and 1 MiB as sent) wait in the
 * queue; more are dropped and counted by cb_notifications_dropped().  A
 * program that sees that count grow (or an "overflow" event) has missed
 * events and resyncs from book.changes.
 *
 * README.md ("libcashbook") has a complete program that prints every
 * change to your books.
 */
CB_API int cb_next_notification(struct cb_conn *conn, int timeout_ms,
    struct cb_reply **out);
/* A notification's method name, or NULL for a response. */
CB_API const char *cb_reply_method(const struct cb_reply *reply);
/* Notifications dropped because the queue was full, since cb_connect. */
CB_API uint64_t cb_notifications_dropped(const struct cb_conn *conn);

/* ---- reading results: values ---- */

/*
 * A struct cb_value is one value inside a reply: nil, a boolean, an
 * integer, a string, an array or a map (cashbookd sends nothing else;
 * anything else reads as CB_VALUE_OTHER).  It is opaque and owned by its
 * struct cb_reply: every pointer below stays valid until cb_reply_free,
 * and none is to be freed on its own.
 *
 * Every accessor takes NULL (a key that is not there) and a value of the
 * wrong type without harm: cb_value_type(NULL) is CB_VALUE_NIL -- absent
 * and nil mean the same throughout the protocol -- lookups in it find
 * nothing, and the readers return CB_EPROTO ("cashbookd sent something
 * else") leaving *out unchanged.  So a reply of an unexpected shape is an
 * error code, never a crash.
 */
struct cb_value;

enum cb_value_type {
	CB_VALUE_NIL = 0,	/* also a missing value (NULL) */
	CB_VALUE_BOOL,
	CB_VALUE_INT,		/* may still not fit int64_t: cb_value_int */
	CB_VALUE_STR,
	CB_VALUE_ARRAY,
	CB_VALUE_MAP,
	CB_VALUE_OTHER		/* float, binary, extension: never sent */
};

CB_API enum cb_value_type cb_value_type(const struct cb_value *v);

/* The integer: CB_OK, or CB_EPROTO when v is no integer or does not fit
 * int64_t (amounts and sums always fit). */
CB_API int cb_value_int(const struct cb_value *v, int64_t *out);
CB_API int cb_value_bool(const struct cb_value *v, bool *out);
/* The string's bytes in place: *ptr is NOT NUL-terminated (it points into
 * the reply), *len its length.  CB_OK or CB_EPROTO. */
CB_API int cb_value_str(const struct cb_value *v, const char **ptr,
    size_t *len);
/* The string copied NUL-terminated into buf.  CB_OK, CB_EPROTO when v is
 * no string, CB_EINVAL when it did not fit (buf then holds as much as
 * fits, cut at a byte). */
CB_API int cb_value_str_copy(const struct cb_value *v, char *buf,
    size_t len);

/* Arrays: the length (0 for anything else) and element i (NULL past the
 * end or for anything else). */
CB_API size_t cb_value_array_len(const struct cb_value *v);
CB_API const struct cb_value *cb_value_array_at(const struct cb_value *v,
    size_t i);

/* Maps: the value under the string key, or NULL. */
CB_API const struct cb_value *cb_value_map_get(const struct cb_value *map,
    const char *key);
/* Maps in order: the number of pairs (0 for anything else), and pair i's
 * key and value (NULL past the end), e.g. events.subscribe's "seq" map,
 * whose keys are book ids as strings. */
CB_API size_t cb_value_map_len(const struct cb_value *map);
CB_API const struct cb_value *cb_value_map_key_at(const struct cb_value *map,
    size_t i);
CB_API const struct cb_value *cb_value_map_value_at(
    const struct cb_value *map, size_t i);
/* Shorthands: cb_value_int / cb_value_str_copy of cb_value_map_get(map,
 * key), with their results (CB_EPROTO also when the key is missing). */
CB_API int cb_value_map_get_int(const struct cb_value *map, const char *key,
    int64_t *out);
CB_API int cb_value_map_get_str(const struct cb_value *map, const char *key,
    char *buf, size_t len);

/* ---- typed helpers for the server methods ---- */

struct cb_ping_info {
	char version[64];	/* cashbookd's version, e.g. "0.1.0" */
	int64_t protocol;	/* wire protocol version */
};

/* ping: check the daemon answers.  CB_EPROTO if the answer lacks a field. */
CB_API int cb_ping(struct cb_conn *conn, struct cb_ping_info *out);

struct cb_stats {
	struct {
		int64_t size, in_use, idle, waiting;
		int64_t acquired, released, wait_timeouts, replaced;
		int64_t max_wait_us;
	} pool;
	struct {
		int64_t open, max;
	} connections;
	struct {
		int64_t total, errors;
	} requests;
	int64_t uptime_s;
};

/* server.stats: the daemon's live figures.  CB_EPROTO if one is missing. */
CB_API int cb_stats(struct cb_conn *conn, struct cb_stats *out);

/* ---- typed calls: books, entries, balances, lists, reports ---- */

/*
 * One function per common method, with plain C structs for arguments and
 * results, so a program never reads a reply value by value.  Every one
 * returns CB_OK or a CB_E* code like cb_call (CB_ESERVER: cb_error_code()
 * and cb_error_message() say what cashbookd refused and why), plus
 * CB_EPROTO when cashbookd's answer lacks a field or has one of another
 * type (cb_error_message() names it, e.g. "cashbookd's answer to
 * entry.list: entries[3].amount is not an integer"; the connection stays
 * usable), and CB_EINVAL for an argument that cannot be sent (a NULL
 * required string, an unknown enum value).
 *
 * Money: every amount and sum is an int64_t in the book's minor units
 * (cents for EUR, yen for JPY: see the book's decimals), never a float.
 * Dates are "YYYY-MM-DD", times "HH:MM".
 *
 * Ownership: a result returned through a pointer to pointer (struct
 * cb_book **, struct cb_entry_page **, ...) is one allocation that holds
 * the struct, its arrays and every string it points to.  It belongs to
 * the caller, who frees it with the matching cb_*_free (NULL is a no-op);
 * nothing in it outlives that.  A string that may be absent is NULL when
 * absent.  On failure *out is NULL.  Results returned in a caller's
 * struct (struct cb_balance, struct cb_entry_added) hold no pointers.
 * Arguments are only read during the call.
 *
 * Sessions: in cashbookd's default --auth peer mode the calls act as the
 * caller's own account and need no token.  Otherwise log in (auth.login
 * through cb_call) and give the token to cb_set_token.
 */

/* The session token the typed calls send from now on (copied, at most
 * 255 bytes, wiped from memory on cb_close); NULL or "" forgets it.
 * CB_OK, CB_EINVAL (too long), CB_ENOMEM. */
CB_API int cb_set_token(struct cb_conn *conn, const char *token);

enum cb_entry_type {
	CB_ENTRY_ANY = 0,	/* only in a filter: both */
	CB_ENTRY_IN = 1,	/* money in: "in" on the wire */
	CB_ENTRY_OUT = 2	/* money out: "out" */
};

/* A book as cashbookd describes it (docs/protocol.md, "Book object"). */
struct cb_book {
	int64_t book_id;
	const char *name;
	const char *currency;		/* ISO 4217 code, "EUR" */
	int decimals;			/* minor units: 2 for EUR, 0 for JPY */
	const char *description;	/* NULL: none */
	int64_t cash_in, cash_out;	/* sums of the live entries */
	int64_t balance;		/* cash_in - cash_out */
	int64_t count;			/* live entries */
	int64_t created_at, updated_at;	/* unix seconds */
	const char *role;		/* "owner" or "member" */
	const char **permissions;	/* the caller's, e.g. "entry.add" */
	size_t npermissions;
	int64_t owner_id;
	const char *owner_username;
};

/* One page of book.list, ordered by name. */
struct cb_book_page {
	struct cb_book *books;
	size_t n;
	const char *next_cursor;	/* NULL on the last page */
};

/* book.list: limit 0 means the daemon's default (500), at most 500;
 * cursor NULL for the first page, then the previous page's next_cursor. */
CB_API int cb_book_list(struct cb_conn *conn, int limit, const char *cursor,
    struct cb_book_page **out);
CB_API void cb_book_page_free(struct cb_book_page *page);

/* book.create: currency NULL for the daemon's default, description NULL
 * for none.  *out is the new book. */
CB_API int cb_book_create(struct cb_conn *conn, const char *name,
    const char *currency, const char *description, struct cb_book **out);
/* book.get. */
CB_API int cb_book_get(struct cb_conn *conn, int64_t book_id,
    struct cb_book **out);
CB_API void cb_book_free(struct cb_book *book);

/* book.balance: the book's totals (kept as entries change: O(1)). */
struct cb_balance {
	int64_t cash_in, cash_out, balance, count;
	char currency[4];		/* "EUR" */
	int decimals;
};

CB_API int cb_book_balance(struct cb_conn *conn, int64_t book_id,
    struct cb_balance *out);

/* An entry's fields as written: for entry.add, and as the new values of
 * an entry.update.  Optional strings are NULL for none. */
struct cb_entry_fields {
	enum cb_entry_type type;	/* CB_ENTRY_IN or CB_ENTRY_OUT */
	int64_t amount;			/* minor units, 1 .. 10^15 */
	const char *date;		/* "YYYY-MM-DD" (required) */
	const char *time;		/* "HH:MM" */
	const char *category, *mode, *party, *note, *reference;
	const char *const *tags;	/* ntags strings, kept in order */
	size_t ntags;
};

/* What entry.add answers. */
struct cb_entry_added {
	int64_t entry_id;
	int64_t balance;		/* the book's, after the entry */
	bool replayed;			/* an idempotent retry: nothing added */
};

/*
 * entry.add.  idempotency_key (NULL: none) makes a retry safe: the same
 * key with the same fields answers the first entry_id with replayed true
 * and adds nothing.  A program that lost the answer (CB_EIO, CB_ETIMEOUT)
 * sends the same call again with the same key.
 */
CB_API int cb_entry_add(struct cb_conn *conn, int64_t book_id,
    const struct cb_entry_fields *fields, const char *idempotency_key,
    struct cb_entry_added *out);

/* An entry as cashbookd describes it (docs/protocol.md, "Entry object"). */
struct cb_entry {
	int64_t entry_id, book_id;
	enum cb_entry_type type;	/* CB_ENTRY_IN or CB_ENTRY_OUT */
	int64_t amount;			/* minor units */
	const char *date;		/* "YYYY-MM-DD" */
	const char *time;		/* "HH:MM", NULL: none */
	const char *category, *mode, *party, *note, *reference; /* or NULL */
	const char **tags;
	size_t ntags;
	const char *idempotency_key;	/* NULL: none */
	bool deleted;			/* in the trash */
	int64_t created_at, updated_at;	/* unix seconds */
	int64_t created_by, updated_by;	/* user ids */
	/* From cb_entry_list only: the book's balance just after this entry,
	 * over all live entries whatever the filter (none in the trash). */
	bool has_running_balance;
	int64_t running_balance;
};

/* entry.get (trashed entries too: deleted is then true). */
CB_API int cb_entry_get(struct cb_conn *conn, int64_t entry_id,
    struct cb_entry **out);
CB_API void cb_entry_free(struct cb_entry *entry);

/* The fields an entry.update changes: an OR of these. */
#define CB_FIELD_TYPE		(1u << 0)
#define CB_FIELD_AMOUNT		(1u << 1)
#define CB_FIELD_DATE		(1u << 2)
#define CB_FIELD_TIME		(1u << 3)
#define CB_FIELD_CATEGORY	(1u << 4)
#define CB_FIELD_MODE		(1u << 5)
#define CB_FIELD_PARTY		(1u << 6)
#define CB_FIELD_NOTE		(1u << 7)
#define CB_FIELD_REFERENCE	(1u << 8)
#define CB_FIELD_TAGS		(1u << 9)

/* A patch: the fields named in change take their value from to; a NULL
 * string there clears that field (time, category, mode, party, note,
 * reference; tags with ntags 0).  Fields not named keep their value. */
struct cb_entry_patch {
	unsigned int change;
	struct cb_entry_fields to;
};

/* entry.update.  entry (may be NULL) receives the entry as it is now,
 * balance (may be NULL) the book's balance after the change. */
CB_API int cb_entry_update(struct cb_conn *conn, int64_t entry_id,
    const struct cb_entry_patch *patch, struct cb_entry **entry,
    int64_t *balance);
/* entry.delete: moves the entry to the trash; balance (may be NULL) is
 * the book's after it. */
CB_API int cb_entry_delete(struct cb_conn *conn, int64_t entry_id,
    int64_t *balance);

/* Which entries cb_entry_list lists.  All zero (or a NULL filter): every
 * live entry, newest first, 50 a page. */
struct cb_entry_filter {
	const char *from, *to;		/* inclusive dates, NULL: open */
	enum cb_entry_type type;	/* CB_ENTRY_ANY: both */
	const char *category, *mode, *party, *tag;  /* exact, ASCII case-
					   insensitively; NULL: any */
	const char *q;			/* a substring of note, category,
					   party or reference; NULL: any */
	int64_t amount_min, amount_max;	/* inclusive, 0: no bound */
	bool trash;			/* list the trash instead */
	bool oldest_first;		/* order by date ascending */
	int limit;			/* per page, 1 .. 500; 0: 50 */
};

/* One page of entry.list. */
struct cb_entry_page {
	struct cb_entry *entries;
	size_t n;
	const char *next_cursor;	/* NULL on the last page */
};

/*
 * entry.list: one page of book_id's entries.  cursor is NULL for the
 * first page, then the previous page's next_cursor, with the same filter:
 *
 *	char *cursor = NULL;
 *	do {
 *		if (cb_entry_list(conn, book, &f, cursor, &page) != CB_OK)
 *			...;
 *		... page->entries[0 .. page->n - 1] ...
 *		free(cursor);
 *		cursor = page->next_cursor ? strdup(page->next_cursor) : NULL;
 *		cb_entry_page_free(page);
 *	} while (cursor != NULL);
 *
 * (or keep the previous page until the next one has come).  Paging is
 * keyset: entries added meanwhile never cause duplicates or gaps.
 */
CB_API int cb_entry_list(struct cb_conn *conn, int64_t book_id,
    const struct cb_entry_filter *filter, const char *cursor,
    struct cb_entry_page **out);
CB_API void cb_entry_page_free(struct cb_entry_page *page);

/* What report.summary groups by. */
enum cb_report_by {
	CB_REPORT_BY_CATEGORY = 1,
	CB_REPORT_BY_MONTH,		/* keys "YYYY-MM", ascending */
	CB_REPORT_BY_MODE,
	CB_REPORT_BY_PARTY
};

struct cb_report_row {
	const char *key;		/* NULL: none (and in the total) */
	int64_t cash_in, cash_out, net, count;
};

struct cb_report {
	struct cb_report_row *rows;	/* one per key, the NULL key last */
	size_t n;
	struct cb_report_row total;
};

/* report.summary over the live entries from .. to (inclusive dates; NULL:
 * open). */
CB_API int cb_report_summary(struct cb_conn *conn, int64_t book_id,
    enum cb_report_by by, const char *from, const char *to,
    struct cb_report **out);
CB_API void cb_report_free(struct cb_report *report);

#ifdef __cplusplus
}
#endif

#endif
