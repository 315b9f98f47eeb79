/*
 * method_share.c -- sharing a book: book.invite, invite.list,
 * invite.accept, invite.decline, invite.revoke, member.list,
 * member.update, member.remove, book.leave.
 *
 * A book is shared by invitation: someone with 'manage' invites a user by
 * name with a set of permissions; the invitee accepts (and becomes a
 * member with those permissions) or declines; the inviter, or anyone with
 * 'manage', may revoke it while it is pending.  Who may do what to the
 * book is still decided by book_access() alone (book.h); this file adds
 * only the rules about members themselves:
 *
 *   - only the owner grants or takes 'manage', and only the owner removes
 *     a member who has it (a manager cannot lock the others out);
 *   - the owner's row is never changed or removed, and the owner cannot
 *     leave (only delete the book);
 *   - a pending invite speaks for the one who sent it, so when they stop
 *     managing the book (their 'manage' taken, removed, left) the invites
 *     they sent are revoked in the same transaction.
 *
 * Every change writes its notification (notify.h) and, for a member
 * joining or leaving, the book's change feed (change.h), in the same
 * transaction.  Entries a member made stay in the book when they go.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "auth.h"
#include "book.h"
#include "change.h"
#include "clock.h"
#include "method.h"
#include "methods.h"
#include "notify.h"
#include "packbuf.h"
#include "rpc.h"
#include "text.h"

/* The declared ids of a user and of an invite: positive integers. */
#define SHARE_ARG_ID(key) { .name = (key), .type = ARG_INT, \
    .flags = ARG_REQUIRED, .min = 1, .max = INT64_MAX }

/* A member of a book, as member.list shows it. */
struct member {
	int64_t user_id;
	char username[CB_USERNAME_MAX + 1];
	bool owner;
	unsigned permissions;		/* PERM_ALL for the owner */
	int64_t joined_at;
};

/* An invite, with the name of its book (not being deleted). */
struct invite {
	int64_t invite_id;
	int64_t book_id;
	int64_t from_user_id;
	int64_t to_user_id;
	unsigned permissions;
	char status[16];
	char book_name[CB_BOOK_NAME_MAX + 1];
};

/* ---- what the methods share ---- */

/* "add, reports", or "read only" for none: permissions in people's
 * words, for notification texts. */
static void
share_perms_text(unsigned perms, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; book_perm_names[i] != NULL && n < size; i++) {
		if (perms & (1u << i)) {
			int w = snprintf(buf + n, size - n, "%s%s",
			    n == 0 ? "" : ", ", book_perm_names[i]);

			n += w > 0 ? (size_t)w : 0;
		}
	}
	if (n == 0)
		snprintf(buf, size, "read only");
}

/* A text column as a C string, "" for NULL (SQLite out of memory). */
static const char *
share_column_text(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	return s != NULL ? (const char *)s : "";
}

/* Run sql, whose ?1 and ?2 are a and b, to its end. */
static int
share_exec(struct call *call, const char *sql, int64_t a, int64_t b,
    const char *what)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql, what)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, a);
	sqlite3_bind_int64(stmt, 2, b);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, what);
	return 0;
}

/* Finish a listing whose rows were packed into rows (rc the last step's
 * result): pack key: [the n rows] into the result, or fail. */
static int
share_pack_rows(struct call *call, const char *key, struct packbuf *rows,
    uint32_t n, int rc, const char *what)
{
	int ret = 0;

	if (rc != SQLITE_DONE)
		ret = call_fail_sqlite(call, rc, what);
	else if (packbuf_failed(rows))
		ret = call_fail(call, CB_INTERNAL, "out of memory");
	else {
		rpc_pack_cstr(call->result, key);
		msgpack_pack_array(call->result, n);
		rpc_pack_raw(call->result, rows->sb.data, rows->sb.size);
	}
	packbuf_destroy(rows);
	return ret;
}

#define MEMBER_COLUMNS "m.user_id, u.username, m.role, m.permissions, " \
    "m.added_at"
static const char sql_member_one[] =
    "SELECT " MEMBER_COLUMNS " FROM book_members m "
    "JOIN users u ON u.user_id = m.user_id "
    "WHERE m.book_id = ?1 AND m.user_id = ?2";
/* The owner first, then by name (ASCII case-insensitively), then id. */
static const char sql_member_list[] =
    "SELECT " MEMBER_COLUMNS " FROM book_members m "
    "JOIN users u ON u.user_id = m.user_id WHERE m.book_id = ?1 "
    "ORDER BY m.role = 'owner' DESC, u.username_key, m.user_id";

static void
member_from_row(sqlite3_stmt *stmt, struct member *m)
{
	m->user_id = sqlite3_column_int64(stmt, 0);
	snprintf(m->username, sizeof m->username, "%s",
	    share_column_text(stmt, 1));
	m->owner = strcmp(share_column_text(stmt, 2), "owner") == 0;
	m->permissions = m->owner ? PERM_ALL :
	    (unsigned)sqlite3_column_int(stmt, 3) & PERM_ALL;
	m->joined_at = sqlite3_column_int64(stmt, 4);
}

static void
member_pack(msgpack_packer *pk, const struct member *m)
{
	msgpack_pack_map(pk, 5);
	rpc_pack_cstr(pk, "user_id");
	msgpack_pack_int64(pk, m->user_id);
	rpc_pack_cstr(pk, "username");
	rpc_pack_cstr(pk, m->username);
	rpc_pack_cstr(pk, "role");
	rpc_pack_cstr(pk, m->owner ? "owner" : "member");
	rpc_pack_cstr(pk, "permissions");
	book_perms_pack(pk, m->permissions);
	rpc_pack_cstr(pk, "joined_at");
	msgpack_pack_int64(pk, m->joined_at);
}

/* user_id's membership of book into *m; not_found when there is none. */
static int
member_load(struct call *call, const struct book *book, int64_t user_id,
    struct member *m)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_member_one,
	    "reading the member")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book->book_id);
	sqlite3_bind_int64(stmt, 2, user_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return call_fail(call, CB_NOT_FOUND, "user %lld is not a member "
		    "of book '%s'", (long long)user_id, book->name);
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "reading the member");
	member_from_row(stmt, m);
	sqlite3_reset(stmt);
	return 0;
}

/* Tell user_id (not the caller) of kind, with text made from fmt. */
static int
share_notify(struct call *call, int64_t user_id, const char *kind,
    int64_t book_id, int64_t invite_id, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int
share_notify(struct call *call, int64_t user_id, const char *kind,
    int64_t book_id, int64_t invite_id, const char *fmt, ...)
{
	struct notice n = {
		.kind = kind, .book_id = book_id, .invite_id = invite_id,
	};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n.text, sizeof n.text, fmt, ap);
	va_end(ap);
	return notify_user(call, user_id, &n);
}

/*
 * who stops managing book (their 'manage' taken, removed, left): the
 * invites they sent and that are still pending are revoked, and each
 * invitee told.  At most CB_BOOK_INVITES_PENDING_MAX per book, all read
 * before any notification is written (a statement must finish first).
 */
static const char sql_invites_revoke_from[] =
    "UPDATE invites SET status = 'revoked', updated_at = ?3 "
    "WHERE book_id = ?1 AND from_user_id = ?2 AND status = 'pending' "
    "RETURNING invite_id, to_user_id";

static int
share_revoke_sent(struct call *call, const struct book *book,
    const struct member *who)
{
	int64_t revoked[CB_BOOK_INVITES_PENDING_MAX][2];
	sqlite3_stmt *stmt;
	int n = 0, rc;

	if ((stmt = call_prepare(call, sql_invites_revoke_from,
	    "revoking the invites they sent")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book->book_id);
	sqlite3_bind_int64(stmt, 2, who->user_id);
	sqlite3_bind_int64(stmt, 3, clock_wall_s());
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n < CB_BOOK_INVITES_PENDING_MAX) {
			revoked[n][0] = sqlite3_column_int64(stmt, 0);
			revoked[n][1] = sqlite3_column_int64(stmt, 1);
			n++;
		}
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc,
		    "revoking the invites they sent");
	for (int i = 0; i < n; i++)
		if (share_notify(call, revoked[i][1], "invite_revoked",
		    book->book_id, revoked[i][0], "the invite to '%s' from %s "
		    "was withdrawn: %s no longer manages its members",
		    book->name, who->username, who->username) != 0)
			return -1;
	return 0;
}

/* ---- book.invite ---- */

enum { INVITE_BOOK_ID, INVITE_USERNAME, INVITE_PERMISSIONS };
static const struct arg_spec invite_args[] = {
	[INVITE_BOOK_ID] = BOOK_ARG_ID,
	[INVITE_USERNAME] = AUTH_ARG_USERNAME("username"),
	[INVITE_PERMISSIONS] = BOOK_ARG_PERMISSIONS(ARG_REQUIRED),
	ARGS_END,
};

static const char sql_user_by_name[] =
    "SELECT user_id FROM users WHERE username_key = ?1";
static const char sql_is_member[] =
    "SELECT 1 FROM book_members WHERE book_id = ?1 AND user_id = ?2";
static const char sql_invites_pending[] =
    "SELECT count(*) FROM invites WHERE book_id = ?1 AND status = 'pending'";
static const char sql_invite_insert[] =
    "INSERT INTO invites (book_id, from_user_id, to_user_id, permissions, "
    "status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'pending', "
    "?5, ?5) RETURNING invite_id";

/* The user named by the username argument, as typed; not_found "no such
 * user 'NAME'" like any missing user. */
static int
invite_find_user(struct call *call, int64_t *user_id)
{
	const struct arg_value *name = &call->args[INVITE_USERNAME];
	char key[CB_USERNAME_MAX];
	sqlite3_stmt *stmt;
	int rc;

	text_fold_ascii(name->s, name->len, key);
	if ((stmt = call_prepare(call, sql_user_by_name,
	    "looking up the user")) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, (int)name->len, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*user_id = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		return call_fail(call, CB_NOT_FOUND, "no such user '%.*s'",
		    (int)name->len, name->s);
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "looking up the user");
	return 0;
}

/* Whether to_user_id may be invited to book: not the caller, not a
 * member already, and the book below its pending invites' cap. */
static int
invite_check(struct call *call, const struct book *book, int64_t to_user_id)
{
	const struct arg_value *name = &call->args[INVITE_USERNAME];
	sqlite3_stmt *stmt;
	int64_t pending;
	int rc;

	if (to_user_id == call->user_id)
		return call_fail(call, CB_BAD_REQUEST, "you cannot invite "
		    "yourself");
	if ((stmt = call_prepare(call, sql_is_member,
	    "reading the book's members")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book->book_id);
	sqlite3_bind_int64(stmt, 2, to_user_id);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_ROW)
		return call_fail(call, CB_CONFLICT, "'%.*s' is already a member "
		    "of book '%s'", (int)name->len, name->s, book->name);
	if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "reading the book's members");
	if (book_query_ints(call, sql_invites_pending, book->book_id, &pending,
	    1, "counting pending invites") != 0)
		return -1;
	if (pending >= CB_BOOK_INVITES_PENDING_MAX)
		return call_fail(call, CB_CONFLICT, "book '%s' already has %d "
		    "pending invites; revoke some first", book->name,
		    CB_BOOK_INVITES_PENDING_MAX);
	return 0;
}

static int
invite_insert(struct call *call, const struct book *book, int64_t to_user_id,
    unsigned perms, int64_t *invite_id)
{
	const struct arg_value *name = &call->args[INVITE_USERNAME];
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_invite_insert,
	    "storing the invite")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book->book_id);
	sqlite3_bind_int64(stmt, 2, call->user_id);
	sqlite3_bind_int64(stmt, 3, to_user_id);
	sqlite3_bind_int(stmt, 4, (int)perms);
	sqlite3_bind_int64(stmt, 5, clock_wall_s());
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*invite_id = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	/* The partial unique index: one pending invite per book and user. */
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return call_fail(call, CB_CONFLICT, "'%.*s' already has a "
		    "pending invite to book '%s'", (int)name->len, name->s,
		    book->name);
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "storing the invite");
	return 0;
}

static int
invite_exec(struct call *call)
{
	unsigned perms = (unsigned)call->args[INVITE_PERMISSIONS].decoded[0];
	char who[CB_USERNAME_MAX + 1], what[64];
	int64_t to_user_id = 0, invite_id = 0;
	struct book book;

	if (book_access_arg(call, INVITE_BOOK_ID, BOOK_MANAGE, &book) != 0)
		return -1;
	if ((perms & PERM_MANAGE) && !book.is_owner)
		return call_fail(call, CB_FORBIDDEN, "only the owner of book "
		    "'%s' may grant the 'manage' permission", book.name);
	if (invite_find_user(call, &to_user_id) != 0 ||
	    invite_check(call, &book, to_user_id) != 0 ||
	    invite_insert(call, &book, to_user_id, perms, &invite_id) != 0 ||
	    notify_actor_name(call, who, sizeof who) != 0)
		return -1;
	share_perms_text(perms, what, sizeof what);
	if (share_notify(call, to_user_id, "invite_received", book.book_id,
	    invite_id, "%s invited you to '%s' (%s)", who, book.name,
	    what) != 0)
		return -1;
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "invite_id");
	msgpack_pack_int64(call->result, invite_id);
	return 0;
}

const struct method method_book_invite = {
	.name = CB_METHOD_BOOK_INVITE,
	.exec = invite_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = invite_args,
};

/* ---- invite.list ---- */

/*
 * The caller's invites each way, pending first, then newest first, at
 * most CB_INVITE_LIST_MAX of each: an old pending invite is never hidden
 * behind answered ones.  Invites to a book being deleted are not listed.
 */
#define INVITE_LIST_SQL(who) \
    "SELECT i.invite_id, i.book_id, b.name, i.from_user_id, f.username, " \
    "i.to_user_id, t.username, i.permissions, i.status, i.created_at " \
    "FROM invites i JOIN books b ON b.book_id = i.book_id " \
    "AND b.deleting = 0 JOIN users f ON f.user_id = i.from_user_id " \
    "JOIN users t ON t.user_id = i.to_user_id WHERE " who " = ?1 " \
    "ORDER BY i.status = 'pending' DESC, i.invite_id DESC LIMIT ?2"
static const char sql_invites_received[] = INVITE_LIST_SQL("i.to_user_id");
static const char sql_invites_sent[] = INVITE_LIST_SQL("i.from_user_id");

static void
invite_pack_row(msgpack_packer *pk, sqlite3_stmt *stmt)
{
	msgpack_pack_map(pk, 10);
	rpc_pack_cstr(pk, "invite_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 0));
	rpc_pack_cstr(pk, "book_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 1));
	rpc_pack_cstr(pk, "book_name");
	entry_pack_column_text(pk, stmt, 2);
	rpc_pack_cstr(pk, "from_user_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 3));
	rpc_pack_cstr(pk, "from_username");
	entry_pack_column_text(pk, stmt, 4);
	rpc_pack_cstr(pk, "to_user_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 5));
	rpc_pack_cstr(pk, "to_username");
	entry_pack_column_text(pk, stmt, 6);
	rpc_pack_cstr(pk, "permissions");
	book_perms_pack(pk, (unsigned)sqlite3_column_int(stmt, 7) & PERM_ALL);
	rpc_pack_cstr(pk, "status");
	entry_pack_column_text(pk, stmt, 8);
	rpc_pack_cstr(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(stmt, 9));
}

/* Pack key: [the caller's invites that sql selects]. */
static int
invite_list_pack(struct call *call, const char *key, const char *sql)
{
	struct packbuf rows;
	sqlite3_stmt *stmt;
	uint32_t n = 0;
	int rc;

	if ((stmt = call_prepare(call, sql, "listing invites")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	sqlite3_bind_int(stmt, 2, CB_INVITE_LIST_MAX);
	packbuf_init(&rows);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		invite_pack_row(&rows.pk, stmt);
		n++;
	}
	sqlite3_reset(stmt);
	return share_pack_rows(call, key, &rows, n, rc, "listing invites");
}

static int
invite_list_exec(struct call *call)
{
	msgpack_pack_map(call->result, 2);
	if (invite_list_pack(call, "received", sql_invites_received) != 0 ||
	    invite_list_pack(call, "sent", sql_invites_sent) != 0)
		return -1;
	return 0;
}

const struct method method_invite_list = {
	.name = CB_METHOD_INVITE_LIST,
	.exec = invite_list_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH,
};

/* ---- invite.accept, invite.decline, invite.revoke ---- */

enum { ANSWER_INVITE_ID };
static const struct arg_spec answer_args[] = {
	[ANSWER_INVITE_ID] = SHARE_ARG_ID("invite_id"),
	ARGS_END,
};

static const char sql_invite_load[] =
    "SELECT i.book_id, i.from_user_id, i.to_user_id, i.permissions, "
    "i.status, b.name FROM invites i JOIN books b ON b.book_id = i.book_id "
    "AND b.deleting = 0 WHERE i.invite_id = ?1";
static const char sql_invite_answer[] =
    "UPDATE invites SET status = ?2, updated_at = ?3 WHERE invite_id = ?1";
static const char sql_member_count[] =
    "SELECT count(*) FROM book_members WHERE book_id = ?1";
static const char sql_member_insert[] =
    "INSERT INTO book_members (user_id, book_id, role, permissions, "
    "added_at) VALUES (?1, ?2, 'member', ?3, ?4)";

/*
 * The pending invite named by the call's invite_id, into *inv.  One to a
 * book being deleted, or that is not the caller's to answer (to: the
 * invitee only), is not_found; one already answered is conflict.
 */
static int
invite_load(struct call *call, struct invite *inv, bool to_caller)
{
	sqlite3_stmt *stmt;
	int rc;

	inv->invite_id = call->args[ANSWER_INVITE_ID].i;
	if ((stmt = call_prepare(call, sql_invite_load,
	    "reading the invite")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, inv->invite_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return call_fail(call, CB_NOT_FOUND, "no such invite");
	if (rc != SQLITE_ROW)
		return call_fail_sqlite(call, rc, "reading the invite");
	inv->book_id = sqlite3_column_int64(stmt, 0);
	inv->from_user_id = sqlite3_column_int64(stmt, 1);
	inv->to_user_id = sqlite3_column_int64(stmt, 2);
	inv->permissions = (unsigned)sqlite3_column_int(stmt, 3) & PERM_ALL;
	snprintf(inv->status, sizeof inv->status, "%s",
	    share_column_text(stmt, 4));
	snprintf(inv->book_name, sizeof inv->book_name, "%s",
	    share_column_text(stmt, 5));
	sqlite3_reset(stmt);
	if (to_caller && inv->to_user_id != call->user_id)
		return call_fail(call, CB_NOT_FOUND, "no such invite");
	return 0;
}

/* Mark a pending invite answered (status), conflict when it was already. */
static int
invite_answer(struct call *call, const struct invite *inv,
    const char *status)
{
	sqlite3_stmt *stmt;
	int rc;

	if (strcmp(inv->status, "pending") != 0)
		return call_fail(call, CB_CONFLICT, "invite %lld was already %s",
		    (long long)inv->invite_id, inv->status);
	if ((stmt = call_prepare(call, sql_invite_answer,
	    "answering the invite")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, inv->invite_id);
	sqlite3_bind_text(stmt, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, clock_wall_s());
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "answering the invite");
	return 0;
}

/* The caller joins inv's book, below the book's cap on members. */
static int
accept_join(struct call *call, const struct invite *inv)
{
	sqlite3_stmt *stmt;
	int64_t members;
	int rc;

	if (book_query_ints(call, sql_member_count, inv->book_id, &members, 1,
	    "counting the book's members") != 0)
		return -1;
	if (members >= CB_BOOK_MEMBERS_MAX)
		return call_fail(call, CB_CONFLICT, "book '%s' already has %d "
		    "members", inv->book_name, CB_BOOK_MEMBERS_MAX);
	if ((stmt = call_prepare(call, sql_member_insert,
	    "adding you to the book")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, call->user_id);
	sqlite3_bind_int64(stmt, 2, inv->book_id);
	sqlite3_bind_int(stmt, 3, (int)inv->permissions);
	sqlite3_bind_int64(stmt, 4, clock_wall_s());
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return call_fail(call, CB_CONFLICT, "you are already a member of "
		    "book '%s'", inv->book_name);
	if (rc != SQLITE_DONE)
		return call_fail_sqlite(call, rc, "adding you to the book");
	return 0;
}

static int
accept_exec(struct call *call)
{
	char who[CB_USERNAME_MAX + 1];
	struct invite inv;
	struct book book;

	if (invite_load(call, &inv, true) != 0 ||
	    invite_answer(call, &inv, "accepted") != 0 ||
	    accept_join(call, &inv) != 0 ||
	    book_access(call, inv.book_id, BOOK_READ, &book, "invite") != 0 ||
	    change_record(call, book.book_id, CHANGE_MEMBER_ADDED, 0,
	    call->user_id, true, book_balance(&book)) != 0 ||
	    notify_actor_name(call, who, sizeof who) != 0 ||
	    share_notify(call, inv.from_user_id, "invite_accepted",
	    book.book_id, inv.invite_id, "%s accepted your invite to '%s'",
	    who, book.name) != 0)
		return -1;
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "book");
	return book_pack(call, &book);
}

const struct method method_invite_accept = {
	.name = CB_METHOD_INVITE_ACCEPT,
	.exec = accept_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = answer_args,
};

static int
decline_exec(struct call *call)
{
	char who[CB_USERNAME_MAX + 1];
	struct invite inv;

	if (invite_load(call, &inv, true) != 0 ||
	    invite_answer(call, &inv, "declined") != 0 ||
	    notify_actor_name(call, who, sizeof who) != 0 ||
	    share_notify(call, inv.from_user_id, "invite_declined",
	    inv.book_id, inv.invite_id, "%s declined your invite to '%s'",
	    who, inv.book_name) != 0)
		return -1;
	msgpack_pack_map(call->result, 0);
	return 0;
}

const struct method method_invite_decline = {
	.name = CB_METHOD_INVITE_DECLINE,
	.exec = decline_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = answer_args,
};

/*
 * The inviter may revoke their invite; so may anyone with 'manage' on the
 * book, as book_access decides.  To anyone else the invite does not
 * exist: their refusal (not a member, no 'manage') becomes not_found.
 */
static int
revoke_check(struct call *call, const struct invite *inv)
{
	struct book book;

	if (inv->from_user_id == call->user_id)
		return 0;
	if (book_access(call, inv->book_id, BOOK_MANAGE, &book,
	    "invite") == 0)
		return 0;
	if (call->code == CB_FORBIDDEN)
		return call_fail(call, CB_NOT_FOUND, "no such invite");
	return -1;
}

static int
revoke_exec(struct call *call)
{
	char who[CB_USERNAME_MAX + 1];
	struct invite inv;

	if (invite_load(call, &inv, false) != 0 ||
	    revoke_check(call, &inv) != 0 ||
	    invite_answer(call, &inv, "revoked") != 0 ||
	    notify_actor_name(call, who, sizeof who) != 0 ||
	    share_notify(call, inv.to_user_id, "invite_revoked", inv.book_id,
	    inv.invite_id, "%s withdrew the invite to '%s'", who,
	    inv.book_name) != 0)
		return -1;
	msgpack_pack_map(call->result, 0);
	return 0;
}

const struct method method_invite_revoke = {
	.name = CB_METHOD_INVITE_REVOKE,
	.exec = revoke_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = answer_args,
};

/* ---- member.list ---- */

enum { MEMBERS_BOOK_ID };
static const struct arg_spec members_args[] = {
	[MEMBERS_BOOK_ID] = BOOK_ARG_ID,
	ARGS_END,
};

static int
member_list_exec(struct call *call)
{
	struct packbuf rows;
	struct member m;
	struct book book;
	sqlite3_stmt *stmt;
	uint32_t n = 0;
	int rc;

	if (book_access_arg(call, MEMBERS_BOOK_ID, BOOK_READ, &book) != 0 ||
	    (stmt = call_prepare(call, sql_member_list,
	    "listing the members")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book.book_id);
	packbuf_init(&rows);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		member_from_row(stmt, &m);
		member_pack(&rows.pk, &m);
		n++;
	}
	sqlite3_reset(stmt);
	msgpack_pack_map(call->result, 1);
	return share_pack_rows(call, "members", &rows, n, rc,
	    "listing the members");
}

const struct method method_member_list = {
	.name = CB_METHOD_MEMBER_LIST,
	.exec = member_list_exec,
	.flags = METHOD_DB_READ | METHOD_AUTH,
	.args = members_args,
};

/* ---- member.update ---- */

enum { MUPDATE_BOOK_ID, MUPDATE_USER_ID, MUPDATE_PERMISSIONS };
static const struct arg_spec mupdate_args[] = {
	[MUPDATE_BOOK_ID] = BOOK_ARG_ID,
	[MUPDATE_USER_ID] = SHARE_ARG_ID("user_id"),
	[MUPDATE_PERMISSIONS] = BOOK_ARG_PERMISSIONS(ARG_REQUIRED),
	ARGS_END,
};

static const char sql_member_set_perms[] =
    "UPDATE book_members SET permissions = ?3 "
    "WHERE book_id = ?1 AND user_id = ?2";

/* The member user_id of book, whom the caller (who manages it) acts on:
 * never the owner, whose membership is the book's. */
static int
member_target(struct call *call, const struct book *book, int64_t user_id,
    struct member *m, const char *doing)
{
	if (member_load(call, book, user_id, m) != 0)
		return -1;
	if (m->owner)
		return call_fail(call, CB_BAD_REQUEST, "%s owns book '%s': the "
		    "owner's membership cannot be %s", m->username, book->name,
		    doing);
	return 0;
}

/* 'manage' is the owner's to hand out: a manager who is not the owner
 * may not grant it, take it or remove one who has it (what). */
static int
member_manage_check(struct call *call, const struct book *book,
    bool at_stake, const char *what)
{
	if (at_stake && !book->is_owner)
		return call_fail(call, CB_FORBIDDEN, "only the owner of book "
		    "'%s' may %s", book->name, what);
	return 0;
}

/* Write the member's new permissions, and tell them. */
static int
member_set_perms(struct call *call, const struct book *book,
    struct member *m, unsigned perms)
{
	char who[CB_USERNAME_MAX + 1], what[64];
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = call_prepare(call, sql_member_set_perms,
	    "changing the member's permissions")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, book->book_id);
	sqlite3_bind_int64(stmt, 2, m->user_id);
	sqlite3_bind_int(stmt, 3, (int)perms);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		return call_fail_sqlite(call, rc,
		    "changing the member's permissions");
	if ((m->permissions & PERM_MANAGE) && !(perms & PERM_MANAGE) &&
	    share_revoke_sent(call, book, m) != 0)
		return -1;
	m->permissions = perms;
	if (notify_actor_name(call, who, sizeof who) != 0)
		return -1;
	share_perms_text(perms, what, sizeof what);
	return share_notify(call, m->user_id, "permissions_changed",
	    book->book_id, 0, "%s changed your permissions on '%s' to %s",
	    who, book->name, what);
}

static int
member_update_exec(struct call *call)
{
	unsigned perms = (unsigned)call->args[MUPDATE_PERMISSIONS].decoded[0];
	struct member m;
	struct book book;

	if (book_access_arg(call, MUPDATE_BOOK_ID, BOOK_MANAGE, &book) != 0 ||
	    member_target(call, &book, call->args[MUPDATE_USER_ID].i, &m,
	    "changed") != 0 ||
	    member_manage_check(call, &book, ((perms ^ m.permissions) &
	    PERM_MANAGE) != 0, "grant or take the 'manage' permission") != 0)
		return -1;
	/* The same set again changes nothing and tells nobody. */
	if (perms != m.permissions && member_set_perms(call, &book, &m,
	    perms) != 0)
		return -1;
	msgpack_pack_map(call->result, 1);
	rpc_pack_cstr(call->result, "member");
	member_pack(call->result, &m);
	return 0;
}

const struct method method_member_update = {
	.name = CB_METHOD_MEMBER_UPDATE,
	.exec = member_update_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = mupdate_args,
};

/* ---- member.remove and book.leave ---- */

enum { MREMOVE_BOOK_ID, MREMOVE_USER_ID };
static const struct arg_spec mremove_args[] = {
	[MREMOVE_BOOK_ID] = BOOK_ARG_ID,
	[MREMOVE_USER_ID] = SHARE_ARG_ID("user_id"),
	ARGS_END,
};

static const char sql_member_delete[] =
    "DELETE FROM book_members WHERE book_id = ?1 AND user_id = ?2";

/* m leaves book: the row goes (their entries stay), the invites they
 * sent are revoked, and the book's followers see them go. */
static int
member_drop(struct call *call, const struct book *book,
    const struct member *m)
{
	if (share_exec(call, sql_member_delete, book->book_id, m->user_id,
	    "removing the member") != 0 ||
	    share_revoke_sent(call, book, m) != 0 ||
	    change_record(call, book->book_id, CHANGE_MEMBER_REMOVED, 0,
	    m->user_id, true, book_balance(book)) != 0)
		return -1;
	return 0;
}

static int
member_remove_exec(struct call *call)
{
	char who[CB_USERNAME_MAX + 1];
	struct member m;
	struct book book;

	if (book_access_arg(call, MREMOVE_BOOK_ID, BOOK_MANAGE, &book) != 0 ||
	    member_target(call, &book, call->args[MREMOVE_USER_ID].i, &m,
	    "removed") != 0 ||
	    member_manage_check(call, &book, (m.permissions & PERM_MANAGE) !=
	    0, "remove a member who has the 'manage' permission") != 0 ||
	    member_drop(call, &book, &m) != 0 ||
	    notify_actor_name(call, who, sizeof who) != 0 ||
	    share_notify(call, m.user_id, "member_removed", book.book_id, 0,
	    "%s removed you from '%s'", who, book.name) != 0)
		return -1;
	msgpack_pack_map(call->result, 0);
	return 0;
}

const struct method method_member_remove = {
	.name = CB_METHOD_MEMBER_REMOVE,
	.exec = member_remove_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = mremove_args,
};

static int
leave_exec(struct call *call)
{
	struct member m;
	struct book book;

	if (book_access_arg(call, MEMBERS_BOOK_ID, BOOK_READ, &book) != 0)
		return -1;
	if (book.is_owner)
		return call_fail(call, CB_BAD_REQUEST, "you own '%s': delete it "
		    "or keep it; an owner cannot leave their book", book.name);
	if (member_load(call, &book, call->user_id, &m) != 0 ||
	    member_drop(call, &book, &m) != 0 ||
	    share_notify(call, book.owner_id, "member_left", book.book_id, 0,
	    "%s left '%s'", m.username, book.name) != 0)
		return -1;
	msgpack_pack_map(call->result, 0);
	return 0;
}

const struct method method_book_leave = {
	.name = CB_METHOD_BOOK_LEAVE,
	.exec = leave_exec,
	.flags = METHOD_DB_WRITE | METHOD_AUTH,
	.args = members_args,
};
