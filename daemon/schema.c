/*
 * schema.c -- versioned migrations (see schema.h).
 *
 * migrations[i] takes the database from user_version i to i+1.  Append new
 * migrations at the end; never edit one that has shipped.  All missing
 * migrations run in one BEGIN IMMEDIATE transaction together with the
 * user_version bump, so a database is always at exactly one version.
 */
#include <stdio.h>
#include <string.h>

#include "schema.h"
#include "version.h"

static const char *const migrations[] = {
	/* 1: the database's own identity, read by server.info. */
	"CREATE TABLE meta ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  created_at INTEGER NOT NULL,"
	"  app_version TEXT NOT NULL"
	") STRICT;"
	"INSERT INTO meta (id, created_at, app_version)"
	"  VALUES (1, CAST(strftime('%s','now') AS INTEGER), '" CASHBOOK_VERSION "');",

	/* 2: accounts and sessions.  username_key is the ASCII-folded name,
	 * unique, so names differ in more than case.  A session stores only
	 * a salted argon2id hash of its token's secret. */
	"CREATE TABLE users ("
	"  user_id INTEGER PRIMARY KEY,"
	"  username TEXT NOT NULL,"
	"  username_key TEXT NOT NULL UNIQUE,"
	"  password_hash TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE sessions ("
	"  session_id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,"
	"  salt BLOB NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  revoked INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE INDEX sessions_by_user ON sessions(user_id);"
	"CREATE INDEX sessions_by_expiry ON sessions(expires_at);",

	/* 3: books and entries.
	 *
	 * Access goes through book_members (one row per user and book) so
	 * books can be shared later without a new model; today every book
	 * has exactly its owner as a member.
	 *
	 * Money is INTEGER minor units.  books holds each book's totals over
	 * its live (not trashed) entries, kept in the same transaction as
	 * every change.  book_periods holds the same totals of the live
	 * entries per year (period YYYY), month (YYYYMM) and day (YYYYMMDD):
	 * three non-overlapping key ranges in one table.  The balance just
	 * after an entry is the book's balance minus the net of everything
	 * after it, which those rows give in a bounded number of steps
	 * (later years, later months of its year, later days of its month,
	 * later entries of its day) however many entries the book has; and
	 * reports by month read day rows, not entries.
	 *
	 * entries_by_position carries type and amount so that sums over a
	 * range of positions never visit the table.  A book being deleted in
	 * batches (deleting = 1) is invisible and frees its name at once.
	 *
	 * An entry's position is (date, minute, entry_id): date is the
	 * integer YYYYMMDD (ordered like the dates, and its periods are
	 * date / 10000 and date / 100); minute is the time of day, -1 when
	 * none was given, so untimed entries sort first in their day.  tags holds the entry's
	 * tags joined by '\n' (tags never contain control characters).
	 * request is the msgpack of the fields entry.add was called with,
	 * kept when an idempotency_key was given so a retry can be compared. */
	"CREATE TABLE books ("
	"  book_id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  owner_id INTEGER NOT NULL REFERENCES users(user_id),"
	"  name TEXT NOT NULL,"
	"  name_key TEXT NOT NULL,"
	"  currency TEXT NOT NULL,"
	"  decimals INTEGER NOT NULL CHECK (decimals BETWEEN 0 AND 4),"
	"  description TEXT,"
	"  cash_in INTEGER NOT NULL DEFAULT 0 CHECK (cash_in >= 0),"
	"  cash_out INTEGER NOT NULL DEFAULT 0 CHECK (cash_out >= 0),"
	"  entry_count INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  deleting INTEGER NOT NULL DEFAULT 0 CHECK (deleting IN (0, 1))"
	") STRICT;"
	"CREATE UNIQUE INDEX books_by_name ON books(owner_id, name_key)"
	"  WHERE deleting = 0;"
	"CREATE TABLE book_members ("
	"  user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,"
	"  book_id INTEGER NOT NULL REFERENCES books(book_id) ON DELETE CASCADE,"
	"  role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),"
	"  added_at INTEGER NOT NULL,"
	"  PRIMARY KEY (user_id, book_id)"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX book_members_by_book ON book_members(book_id);"
	"CREATE TABLE entries ("
	"  entry_id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  book_id INTEGER NOT NULL REFERENCES books(book_id) ON DELETE CASCADE,"
	"  type TEXT NOT NULL CHECK (type IN ('in', 'out')),"
	"  amount INTEGER NOT NULL CHECK (amount BETWEEN 1 AND 1000000000000000),"
	"  date INTEGER NOT NULL CHECK (date BETWEEN 19000101 AND 99991231),"
	"  minute INTEGER NOT NULL CHECK (minute BETWEEN -1 AND 1439),"
	"  category TEXT,"
	"  mode TEXT,"
	"  party TEXT,"
	"  note TEXT,"
	"  reference TEXT,"
	"  tags TEXT,"
	"  idempotency_key TEXT,"
	"  request BLOB,"
	"  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),"
	"  created_at INTEGER NOT NULL,"
	"  created_by INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  updated_by INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX entries_by_position"
	"  ON entries(book_id, deleted, date, minute, entry_id, type, amount);"
	"CREATE UNIQUE INDEX entries_by_key ON entries(book_id, idempotency_key)"
	"  WHERE idempotency_key IS NOT NULL;"
	"CREATE TABLE book_periods ("
	"  book_id INTEGER NOT NULL REFERENCES books(book_id) ON DELETE CASCADE,"
	"  period INTEGER NOT NULL,"
	"  cash_in INTEGER NOT NULL,"
	"  cash_out INTEGER NOT NULL,"
	"  entry_count INTEGER NOT NULL,"
	"  PRIMARY KEY (book_id, period)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE entry_history ("
	"  history_id INTEGER PRIMARY KEY,"
	"  entry_id INTEGER NOT NULL REFERENCES entries(entry_id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  user_id INTEGER NOT NULL,"
	"  action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'restore')),"
	"  before BLOB,"
	"  after BLOB"
	") STRICT;"
	"CREATE INDEX entry_history_by_entry ON entry_history(entry_id, history_id);",

	/* 4: who is who, and books shared between people.
	 *
	 * A peer account (--auth peer) is bound to the OS user that connects
	 * by its uid (peer_uid), never by name; it has no password until one
	 * is set (password_hash ''), and no login matches an empty hash.
	 * unread and notification_count are kept with every notification
	 * written, read or pruned, so the unread count is one row read.
	 *
	 * book_members gains the six permissions of a member as a bit set
	 * (book.h: add 1, edit_own 2, edit_all 4, delete 8, reports 16,
	 * manage 32); the owner's row has all of them and role 'owner',
	 * everyone else's role is 'member'.  SQLite cannot change a CHECK in
	 * place, so the table is rebuilt.
	 *
	 * An invitation is pending, then accepted, declined or revoked; at
	 * most one pending per book and invitee.  A notification is written
	 * in the same transaction as its cause; its text is composed then,
	 * in the words people used (names as they were at the time). */
	"ALTER TABLE users ADD COLUMN peer_uid INTEGER;"
	"ALTER TABLE users ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN notification_count INTEGER NOT NULL DEFAULT 0;"
	"CREATE UNIQUE INDEX users_by_peer_uid ON users(peer_uid)"
	"  WHERE peer_uid IS NOT NULL;"
	"CREATE TABLE book_members_v4 ("
	"  user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,"
	"  book_id INTEGER NOT NULL REFERENCES books(book_id) ON DELETE CASCADE,"
	"  role TEXT NOT NULL CHECK (role IN ('owner', 'member')),"
	"  permissions INTEGER NOT NULL CHECK (permissions BETWEEN 0 AND 63),"
	"  added_at INTEGER NOT NULL,"
	"  PRIMARY KEY (user_id, book_id)"
	") STRICT, WITHOUT ROWID;"
	"INSERT INTO book_members_v4 (user_id, book_id, role, permissions, added_at)"
	"  SELECT user_id, book_id, 'owner', 63, added_at FROM book_members"
	"  WHERE role = 'owner';"
	"DROP TABLE book_members;"
	"ALTER TABLE book_members_v4 RENAME TO book_members;"
	"CREATE INDEX book_members_by_book ON book_members(book_id);"
	"CREATE TABLE invites ("
	"  invite_id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  book_id INTEGER NOT NULL REFERENCES books(book_id) ON DELETE CASCADE,"
	"  from_user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,"
	"  to_user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,"
	"  permissions INTEGER NOT NULL CHECK (permissions BETWEEN 0 AND 63),"
	"  status TEXT NOT NULL CHECK (status IN"
	"    ('pending', 'accepted', 'declined', 'revoked')),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE UNIQUE INDEX invites_pending ON invites(book_id, to_user_id)"
	"  WHERE status = 'pending';"
	"CREATE INDEX invites_by_to ON invites(to_user_id, invite_id);"
	"CREATE INDEX invites_by_from ON invites(from_user_id, invite_id);"
	"CREATE INDEX invites_by_book ON invites(book_id, status);"
	"CREATE TABLE notifications ("
	"  notification_id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"
	"  book_id INTEGER,"
	"  entry_id INTEGER,"
	"  invite_id INTEGER,"
	"  actor_user_id INTEGER,"
	"  text TEXT NOT NULL,"
	"  read INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1)),"
	"  created_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX notifications_by_user"
	"  ON notifications(user_id, notification_id);"
	"CREATE INDEX notifications_by_read"
	"  ON notifications(user_id, read, notification_id);",

	/* 5: the change feed.  Every committed change to a book takes the
	 * book's next seq (books.seq, in the same transaction: one more per
	 * change, never reused) and leaves a row in book_changes, from which
	 * a client that was away resyncs (book.changes) and which the live
	 * events (events.c) mirror.  The newest CHANGE_KEEP rows of a book
	 * are kept (change.h).  user_id is whom a membership change is about. */
	"ALTER TABLE books ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE book_changes ("
	"  book_id INTEGER NOT NULL REFERENCES books(book_id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  entry_id INTEGER,"
	"  user_id INTEGER,"
	"  actor_user_id INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (book_id, seq)"
	") STRICT, WITHOUT ROWID;",

	/* 6: reading a large book fast: the text index and per-key totals.
	 *
	 * entries_fts indexes the four texts entry.list's q searches (note,
	 * category, party, reference) of every entry, live or trashed, by
	 * entry_id, with the trigram tokenizer: a substring of 3 or more
	 * characters is a phrase of trigrams.  It folds case by Unicode rules
	 * where q's LIKE folds only ASCII, so it finds a superset, and the
	 * LIKE test is applied to what it finds (method_list.c).  It keeps its
	 * own copy of the texts, so a row can be removed by rowid alone (the
	 * reaper removes a batch's rows before the entries: a virtual table
	 * cannot be written by a trigger under trusted_schema off).
	 *
	 * book_key_totals holds, like book_periods, the totals of the live
	 * entries per year (period YYYY), month (YYYYMM) and day (YYYYMMDD),
	 * split by the value (key) of category, mode or party (field); '' is
	 * "none" (an entry's texts are never empty).  report.summary by those
	 * fields reads these rows, never the entries.  A row of zeros is the
	 * same as no row.  Both are built here for the entries that exist. */
	"CREATE VIRTUAL TABLE entries_fts USING fts5(note, category, party,"
	"  reference, tokenize = 'trigram', columnsize = 0);"
	"INSERT INTO entries_fts (rowid, note, category, party, reference)"
	"  SELECT entry_id, note, category, party, reference FROM entries;"
	"CREATE TABLE book_key_totals ("
	"  book_id INTEGER NOT NULL REFERENCES books(book_id) ON DELETE CASCADE,"
	"  field TEXT NOT NULL CHECK (field IN ('category', 'mode', 'party')),"
	"  period INTEGER NOT NULL,"
	"  key TEXT NOT NULL,"
	"  cash_in INTEGER NOT NULL,"
	"  cash_out INTEGER NOT NULL,"
	"  entry_count INTEGER NOT NULL,"
	"  PRIMARY KEY (book_id, field, period, key)"
	") STRICT, WITHOUT ROWID;"
	"WITH days(book_id, date, category, mode, party, cash_in, cash_out, n) AS"
	"  MATERIALIZED (SELECT book_id, date, category, mode, party,"
	"  sum(CASE type WHEN 'in' THEN amount ELSE 0 END),"
	"  sum(CASE type WHEN 'out' THEN amount ELSE 0 END), count(*)"
	"  FROM entries WHERE deleted = 0"
	"  GROUP BY book_id, date, category, mode, party),"
	"keyed(book_id, field, key, date, cash_in, cash_out, n) AS ("
	"  SELECT book_id, 'category', coalesce(category, ''), date, cash_in,"
	"  cash_out, n FROM days"
	"  UNION ALL SELECT book_id, 'mode', coalesce(mode, ''), date, cash_in,"
	"  cash_out, n FROM days"
	"  UNION ALL SELECT book_id, 'party', coalesce(party, ''), date, cash_in,"
	"  cash_out, n FROM days),"
	"periods(book_id, field, key, period, cash_in, cash_out, n) AS ("
	"  SELECT book_id, field, key, date, cash_in, cash_out, n FROM keyed"
	"  UNION ALL SELECT book_id, field, key, date / 100, cash_in, cash_out,"
	"  n FROM keyed"
	"  UNION ALL SELECT book_id, field, key, date / 10000, cash_in, cash_out,"
	"  n FROM keyed)"
	"INSERT INTO book_key_totals (book_id, field, period, key, cash_in,"
	"  cash_out, entry_count)"
	"  SELECT book_id, field, period, key, sum(cash_in), sum(cash_out),"
	"  sum(n) FROM periods GROUP BY book_id, field, period, key;",

	/* 7: entry.list's q looks at tags too: entries_fts gains a fifth
	 * column, tags (joined by newlines, as in entries), and is rebuilt
	 * from the entries, live or trashed. */
	"DROP TABLE entries_fts;"
	"CREATE VIRTUAL TABLE entries_fts USING fts5(note, category, party,"
	"  reference, tags, tokenize = 'trigram', columnsize = 0);"
	"INSERT INTO entries_fts (rowid, note, category, party, reference, tags)"
	"  SELECT entry_id, note, category, party, reference, tags FROM entries;",
};

#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

int
schema_version_current(void)
{
	return MIGRATION_COUNT;
}

static int
schema_read_version(sqlite3 *conn, int *version, char *err, size_t errlen)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(conn, "PRAGMA user_version", -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot read schema version: %s",
		    sqlite3_errmsg(conn));
		return -1;
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "cannot read schema version: %s",
		    sqlite3_errmsg(conn));
		sqlite3_finalize(stmt);
		return -1;
	}
	*version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return 0;
}

static int
schema_exec(sqlite3 *conn, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg != NULL ? msg :
		    sqlite3_errmsg(conn));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
schema_migrate(sqlite3 *conn, char *err, size_t errlen)
{
	char sql[64], why[256];
	int version;

	/* The common case (every connection but the first ever): one pragma. */
	if (schema_read_version(conn, &version, err, errlen) != 0)
		return -1;
	if (version == MIGRATION_COUNT)
		return 0;
	if (version > MIGRATION_COUNT)
		goto newer;

	if (schema_exec(conn, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	/* Another connection may have migrated while we waited for the lock. */
	if (schema_read_version(conn, &version, err, errlen) != 0)
		goto rollback;
	if (version > MIGRATION_COUNT) {
		schema_exec(conn, "ROLLBACK", why, sizeof why);
		goto newer;
	}
	for (int i = version; i < MIGRATION_COUNT; i++) {
		if (schema_exec(conn, migrations[i], why, sizeof why) != 0) {
			snprintf(err, errlen, "schema migration %d failed: %s",
			    i + 1, why);
			goto rollback;
		}
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", MIGRATION_COUNT);
	if (schema_exec(conn, sql, err, errlen) != 0)
		goto rollback;
	if (schema_exec(conn, "COMMIT", err, errlen) != 0)
		goto rollback;
	return 0;

rollback:
	schema_exec(conn, "ROLLBACK", why, sizeof why);
	return -1;
newer:
	snprintf(err, errlen, "the database has schema version %d, newer than "
	    "this cashbookd understands (%d): upgrade cashbookd, or point --db "
	    "at another database", version, MIGRATION_COUNT);
	return -1;
}
