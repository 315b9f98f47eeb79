/*
 * cb_limits.h -- every bound the protocol and the daemon enforce, in one place.
 *
 * Both sides include this.  A number that limits client input lives here
 * and nowhere else, so a reader can audit what a hostile client can make
 * the daemon do by reading one file.
 */
#ifndef CASHBOOK_PROTO_LIMITS_H
#define CASHBOOK_PROTO_LIMITS_H

/* Version of the wire protocol, answered by "ping". */
#define CB_PROTOCOL_VERSION 1

/* Largest single msgpack message (request or response), default and range
 * accepted by --max-message-bytes. */
#define CB_DEFAULT_MAX_MESSAGE_BYTES (1024u * 1024u)
#define CB_MIN_MAX_MESSAGE_BYTES     1024u
#define CB_MAX_MAX_MESSAGE_BYTES     (64u * 1024u * 1024u)

/* Deepest container nesting accepted in one message.  msgpack-c's own
 * unpacker stack is 32 deep (MSGPACK_EMBED_STACK_SIZE), so this must stay
 * well below it: the scanner rejects deeper input before msgpack-c sees it. */
#define CB_MAX_NESTING 16

/* Longest method name; longer ones are answered unknown_method. */
#define CB_MAX_METHOD_LEN 64

/* Longest error message carried in an error pair (bytes, without NUL). */
#define CB_MAX_ERROR_MESSAGE 255

/* Connections. */
#define CB_DEFAULT_MAX_CLIENTS        1024
#define CB_DEFAULT_READ_TIMEOUT_MS    10000   /* half a message, then silence */
#define CB_DEFAULT_IDLE_TIMEOUT_MS    0       /* 0: idle connections may stay */

/* Requests one connection may have in flight (queued or running) before
 * the daemon stops reading more from it. */
#define CB_CONN_MAX_INFLIGHT          256

/*
 * The byte budget of one connection: replies queued for it (made, not yet
 * read by the client) plus replies owed to its requests in flight.  At
 * CB_CONN_BYTE_BUDGET the daemon takes no more requests from it and stops
 * reading it, until that falls below CB_CONN_BYTE_RESUME (back-pressure,
 * not a hard limit: a reply is queued whole, and requests already in
 * flight are answered).  A reply is not known before it is made, so each
 * request in flight is counted as owing the largest reply the connection
 * was sent lately (decaying by an eighth per reply), never less than
 * CB_CONN_REPLY_RESERVE: small enough that CB_CONN_MAX_INFLIGHT small
 * requests use half the budget.
 */
#define CB_CONN_BYTE_BUDGET           (4u * 1024u * 1024u)
#define CB_CONN_BYTE_RESUME           (1u * 1024u * 1024u)
#define CB_CONN_REPLY_RESERVE         \
	(CB_CONN_BYTE_BUDGET / CB_CONN_MAX_INFLIGHT / 2)

/* Handle pool. */
#define CB_DEFAULT_POOL_SIZE          4
#define CB_MAX_POOL_SIZE              64
#define CB_DEFAULT_POOL_TIMEOUT_MS    5000
#define CB_DEFAULT_BUSY_TIMEOUT_MS    5000
#define CB_DEFAULT_STATEMENT_TIMEOUT_MS 2000
#define CB_DEFAULT_LEAK_THRESHOLD_MS  10000
#define CB_DEFAULT_DRAIN_TIMEOUT_MS   10000

/* Accounts. */
#define CB_DEFAULT_TOKEN_TTL_S        (30 * 24 * 3600)
#define CB_DEFAULT_HASH_WORKERS       2
#define CB_DEFAULT_HASH_QUEUE         64
/* Failed logins in a row for one username before the next attempt is
 * refused rate_limited (then 1 s, 2 s, 4 s ... up to 15 min). */
#define CB_LOGIN_FAILURES_BEFORE_DELAY 5

/* cashbookctl, after losing the answer to a request it may safely send
 * again (add, with its idempotency key): how long it waits in all for
 * cashbookd to come back, and its pauses between connection attempts
 * (the first, doubled each time up to the longest). */
#define CB_CTL_RECONNECT_MS           5000
#define CB_CTL_RECONNECT_FIRST_MS     50
#define CB_CTL_RECONNECT_PAUSE_MAX_MS 1000

/* A new password's length in bytes: cashbookd refuses others, cashbookctl
 * says so after the first entry, before asking for it again. */
#define CB_PASSWORD_MIN_LEN           8
#define CB_PASSWORD_MAX_LEN           1024

/* Books and entries: text sizes in bytes of UTF-8. */
#define CB_BOOK_NAME_MAX              100
#define CB_BOOK_DESCRIPTION_MAX       4096
#define CB_ENTRY_TEXT_MAX             100	/* category, mode, party, reference */
#define CB_ENTRY_NOTE_MAX             4096
#define CB_ENTRY_TAGS_MAX             20
#define CB_ENTRY_TAG_MAX              64
#define CB_IDEMPOTENCY_KEY_MAX        128
#define CB_BATCH_MAX                  1000	/* entry.add_batch entries */
#define CB_SEARCH_MAX                 100	/* entry.list q */
/* entry.list's category, mode, party and tag: one string, or an array of
 * 1 to this many (any of them matches). */
#define CB_FILTER_VALUES_MAX          20
/* entry.list q: at this many hits in the text index (any book), q is
 * common enough that scanning the book in order fills a page sooner than
 * looking each hit up (method_list.c). */
#define CB_SEARCH_INDEX_HITS_MAX      10000
#define CB_LIST_DEFAULT_LIMIT         50
#define CB_LIST_MAX_LIMIT             500
#define CB_CURSOR_MAX                 64
/* The longest session token a client keeps (cashbookd's are at most 67
 * bytes; cashbookctl's token file and libcashbook's cb_set_token take up to
 * this). */
#define CB_TOKEN_MAX                  255

/* cashbookctl import (client side only): one CSV record's bytes (quotes
 * and embedded newlines included), its fields, the rows of one file (all
 * are read and checked before anything is sent), and how it cuts them into
 * entry.add_batch requests: at most CB_BATCH_MAX entries and about
 * CB_IMPORT_BATCH_BYTES packed (or half the daemon's message limit when
 * server.info tells a smaller one), so that a batch of long notes fits. */
#define CB_CSV_RECORD_MAX             (64 * 1024)
#define CB_CSV_FIELDS_MAX             64
#define CB_IMPORT_ROWS_MAX            200000
#define CB_IMPORT_BATCH_BYTES         (256 * 1024)

/* Sharing: pending invites per book (more is conflict until some are
 * answered or revoked); members per book, the owner included (each entry
 * change in a shared book writes a notification per other member); the
 * invites invite.list answers each way; the ids one notification.read
 * takes. */
#define CB_BOOK_INVITES_PENDING_MAX   100
#define CB_BOOK_MEMBERS_MAX           100
#define CB_INVITE_LIST_MAX            500
#define CB_NOTIFY_READ_MAX            500

/* Allocations at least this big are mmap'd and returned to the system
 * when freed (password hashes use 19 MiB each). */
#define CB_MMAP_THRESHOLD_BYTES       (256 * 1024)
/* Free memory at the top of a malloc arena is given back to the system
 * only past this much (and by malloc_trim once the daemon is idle). */
#define CB_TRIM_THRESHOLD_BYTES       (4 * 1024 * 1024)

/* Prepared statements cached per SQLite handle. */
#define CB_STMT_CACHE_SIZE            128

/* sqlite3_limit() values applied to every handle (tightened defaults). */
#define CB_SQLITE_LIMIT_LENGTH        (2 * 1024 * 1024)
#define CB_SQLITE_LIMIT_SQL_LENGTH    (64 * 1024)
#define CB_SQLITE_LIMIT_COLUMN        100
#define CB_SQLITE_LIMIT_EXPR_DEPTH    100
#define CB_SQLITE_LIMIT_COMPOUND_SELECT 10
#define CB_SQLITE_LIMIT_VDBE_OP       25000
#define CB_SQLITE_LIMIT_FUNCTION_ARG  8
#define CB_SQLITE_LIMIT_ATTACHED      0
#define CB_SQLITE_LIMIT_LIKE_PATTERN  256
#define CB_SQLITE_LIMIT_VARIABLE_NUMBER 100
#define CB_SQLITE_LIMIT_TRIGGER_DEPTH 10

/* Backups (daemon/backup.h): pages copied per sqlite3_backup_step (4 MiB
 * of 4 KiB pages), and the scheduled ones (--backup-every, --backup-keep). */
#define CB_BACKUP_STEP_PAGES          1024
#define CB_BACKUP_EVERY_MIN_S         1
#define CB_BACKUP_EVERY_MAX_S         (366LL * 24 * 3600)
#define CB_DEFAULT_BACKUP_KEEP        7
#define CB_BACKUP_KEEP_MAX            10000
/* The longest path server.backup and server.restore take. */
#define CB_BACKUP_PATH_MAX            4000

/* Instructions between two statement-timeout checks (progress handler). */
#define CB_PROGRESS_INTERVAL_OPS      1000

/* One notification to the service manager (READY=1, STATUS=...): a socket
 * path and a short sentence fit; a longer STATUS= line is cut short. */
#define CB_SYSTEMD_NOTIFY_MAX         512

#endif
