/*
 * ctl_cmd_share.c -- cashbookctl's commands for sharing books: share (an
 * invitation), invites, invite accept|decline|revoke, members, member
 * set|rm, leave.
 *
 * People are named by username here, never by user ID: "member set" and
 * "member rm" look the username up in member.list of the book.
 * Permissions are given as --can add,edit_own,... and checked here against
 * the six cashbookd knows, before anything is sent.  cashbookd decides
 * everything else (who may share, who may change whom); its refusals are
 * shown as they come, with a hint where the next step is not obvious.
 * Like the other ctl_cmd_*.c files, nothing here talks msgpack-RPC
 * itself or prints an error itself; with --json each command prints
 * cashbookd's result as it came.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "methods.h"

#include "ctl.h"
#include "ctl_book.h"
#include "ctl_fields.h"
#include "ctl_input.h"
#include "ctl_output.h"
#include "ctl_session.h"
#include "ctl_table.h"

/* The permissions, in cashbookd's order (docs/protocol.md, "Sharing"). */
static const char *const perm_names[] = {
	"add", "edit_own", "edit_all", "delete", "reports", "manage",
};
#define PERM_COUNT	(sizeof perm_names / sizeof perm_names[0])
#define PERM_LIST	"add, edit_own, edit_all, delete, reports, manage"

/* Room for "read, " and every permission's name, joined with ", ". */
#define PERM_TEXT_BUF	80

/* Room for a listing's ID. */
#define ID_BUF		24

/* Invitations and notifications have IDs up to this (int64). */
#define SHARE_ID_MAX	INT64_MAX

/* The commands' own options. */
struct share_opts {
	const char *book;	/* NULL: the chosen one (-b/--book) */
	const char *can;
};

/* Permissions as sent: some of perm_names, each once, in their order. */
struct perms {
	const char *names[PERM_COUNT];
	size_t n;
};

/* ---- permissions ---- */

/*
 * --can TEXT: permission names separated by commas (spaces around them
 * and empty ones are ignored; "" is none: the member may only read) into
 * *perms.  -1 to go on, else the exit status (usage: an unknown name,
 * with the six listed).
 */
static int
perms_parse(struct ctl_ctx *ctx, const char *text, struct perms *perms)
{
	bool want[PERM_COUNT] = { false };
	const char *p = text;
	size_t len, i;

	while (*p != '\0') {
		p += strspn(p, " ,");
		len = strcspn(p, ",");
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == 0)
			continue;
		for (i = 0; i < PERM_COUNT; i++) {
			if (strlen(perm_names[i]) == len &&
			    strncmp(perm_names[i], p, len) == 0)
				break;
		}
		if (i == PERM_COUNT)
			return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL,
			    "--can: '%.*s' is not a permission; give some of "
			    "%s, separated by commas", (int)len, p, PERM_LIST);
		want[i] = true;
		p += len;
	}
	perms->n = 0;
	for (i = 0; i < PERM_COUNT; i++) {
		if (want[i])
			perms->names[perms->n++] = perm_names[i];
	}
	return -1;
}

/* What the permissions allow, for people: "read, add, reports". */
static void
perms_text(const struct perms *perms, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "read");

	for (size_t i = 0; i < perms->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, ", %s",
		    perms->names[i]);
}

/* The same for the "permissions" array of the object m (an invite, a
 * member, a book). */
static void
perms_field(const msgpack_object *m, char *buf, size_t len)
{
	char names[PERM_TEXT_BUF - sizeof "read, "];

	ctl_field_tags(m, "permissions", ", ", names, sizeof names);
	snprintf(buf, len, "read%s%s", names[0] != '\0' ? ", " : "", names);
}

/* ---- share ---- */

/* book.invite of username to book with perms; the invite's ID into *id.
 * -1, else the exit status. */
static int
share_invite(struct ctl_session *s, const struct ctl_book *book,
    const char *username, const struct perms *perms, struct cb_reply **reply)
{
	struct cb_params *p = ctl_session_params(s);
	int rc;

	ctl_param_int(s, p, "book_id", book->id);
	ctl_param_str(s, p, "username", username);
	ctl_param_str_array(s, p, "permissions", perms->names, perms->n);
	rc = ctl_session_try(s, CB_METHOD_BOOK_INVITE, p, reply);
	cb_params_free(p);
	if (rc == CB_OK)
		return -1;
	/* "no such user 'bob'": the name as typed. */
	if (ctl_session_code_is(s, rc, "not_found") &&
	    strncmp(cb_error_message(s->ctx->conn), "no such user", 12) == 0) {
		ctl_print_error(s->ctx->json, "not_found", NULL,
		    cb_error_message(s->ctx->conn), "ask them for the name "
		    "'cashbookctl whoami' shows them");
		return CTL_EXIT_FAILED;
	}
	return ctl_session_fail(s, rc);
}

static enum ctl_retval
share_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct share_opts o = { .can = ctl_arg(args, "can") };
	char **argv = args->argv;
	struct ctl_session s;
	struct ctl_book_ref ref;
	struct ctl_book book;
	struct perms perms = { .n = 0 };
	struct cb_reply *reply = NULL;
	char label[CTL_BOOK_LABEL_BUF], who[CTL_USERNAME_BUF];
	char can[PERM_TEXT_BUF];
	int64_t invite_id;
	int rc;

	(void)self;
	memset(&s, 0, sizeof s);
	if (o.can != NULL && (rc = perms_parse(ctx, o.can, &perms)) >= 0)
		return rc;
	ctl_book_ref_arg(&ref, argv[1]);
	if ((rc = ctl_session_begin(&s, ctx)) >= 0 ||
	    (rc = ctl_book_find(&s, &ref, &book)) >= 0 ||
	    (rc = share_invite(&s, &book, argv[2], &perms, &reply)) >= 0)
		goto out;
	if (ctx->json) {
		rc = ctl_print_reply_json(reply);
		goto out;
	}
	if (cb_map_get_int(cb_reply_result(reply), "invite_id", &invite_id) !=
	    CB_OK) {
		rc = ctl_session_bad_answer(&s, CB_METHOD_BOOK_INVITE);
		goto out;
	}
	ctl_book_label(&book, label, sizeof label);
	ctl_sanitize(argv[2], who, sizeof who);
	perms_text(&perms, can, sizeof can);
	printf("invited %s to '%s' (invitation %" PRId64 "); they may: "
	    "%s\n", who, label, invite_id, can);
	printf("%s accepts with: cashbookctl invite accept %" PRId64 "\n",
	    who, invite_id);
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(reply);
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_optdef share_opts_def[] = {
	{ "can", 0, "PERMISSIONS", CTL_T_TEXT, NULL, "some of those, "
	    "separated by commas (add,reports); without it, they may only "
	    "read", 0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

static const struct ctl_operand share_operands[] = {
	{ "BOOK", CTL_T_BOOK, NULL, 0 },
	{ "USERNAME", CTL_T_USER, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

const struct ctl_cmd ctl_cmd_share = {
	.name = "share",
	.opts = share_opts_def,
	.operands = share_operands,
	.needs = "the book and the USERNAME of whom to share it with",
	.method = CB_METHOD_BOOK_INVITE,
	.summary = "invite someone to a book",
	.help =
	    "Invites USERNAME to BOOK (NAME, OWNER/NAME or ID, see "
	    "'cashbookctl help\nbook'), e.g.\n"
	    "  invited bob to 'Household' (invitation 4); they may: read, "
	    "add, reports\n"
	    "  bob accepts with: cashbookctl invite accept 4\n"
	    "Once bob accepts, the book is in their 'book list' too; "
	    "'invites'\nshows how it stands.  Every member may read the book; "
	    "--can adds:\n"
	    "  add        add entries\n"
	    "  edit_own   change, trash and restore the entries they made\n"
	    "  edit_all   change any entry\n"
	    "  delete     trash and restore any entry\n"
	    "  reports    see reports, and verify the book\n"
	    "  manage     share the book, change and remove members (only "
	    "the owner\n             may give it)\n"
	    "You need the 'manage' permission on a book shared with you.\n"
	    "With --json: {\"invite_id\":N}.\n",
	.flags = 0,
	.exec = share_exec,
};

/* ---- invites ---- */

enum {
	IC_ID, IC_BOOK, IC_WHO, IC_PERMISSIONS, IC_STATUS, IC_WHEN, IC_NCOLS
};

/* IC_WHO's header is FROM or TO. */
static const struct ctl_col invite_cols[IC_NCOLS] = {
	[IC_ID] = { "ID", NULL, CTL_COL_RIGHT, 0, CTL_COLOR_NONE },
	[IC_BOOK] = { "BOOK", NULL, 0, 40, CTL_COLOR_NONE },
	[IC_WHO] = { NULL, NULL, 0, 20, CTL_COLOR_NONE },
	[IC_PERMISSIONS] = { "PERMISSIONS", NULL, 0, 0, CTL_COLOR_NONE },
	[IC_STATUS] = { "STATUS", NULL, 0, 0, CTL_COLOR_NONE },
	[IC_WHEN] = { "WHEN", NULL, 0, 0, CTL_COLOR_NONE },
};

/* One row for the invite object v; who is "from_username" or
 * "to_username".  0, or -1 when out of memory. */
static int
invite_row(struct ctl_table *t, const msgpack_object *v, const char *who)
{
	char id[ID_BUF], book[CTL_BOOK_NAME_BUF], name[CTL_USERNAME_BUF];
	char can[PERM_TEXT_BUF], status[16], when[64];
	const char *cells[IC_NCOLS];

	snprintf(id, sizeof id, "%" PRId64, ctl_field_int(v, "invite_id"));
	ctl_field_text(v, "book_name", book, sizeof book);
	ctl_field_text(v, who, name, sizeof name);
	perms_field(v, can, sizeof can);
	ctl_field_text(v, "status", status, sizeof status);
	ctl_unix_text(ctl_field_int(v, "created_at"), when, sizeof when);
	cells[IC_ID] = id;
	cells[IC_BOOK] = book;
	cells[IC_WHO] = name;
	cells[IC_PERMISSIONS] = can;
	cells[IC_STATUS] = status;
	cells[IC_WHEN] = when;
	return ctl_table_add(t, cells);
}

/*
 * Print the invites (an array) under title as a table whose IC_WHO column
 * is header, showing the field who; *pending counts the pending ones.
 * -1, else the exit status.
 */
static int
invites_print(struct ctl_ctx *ctx, const char *title,
    const msgpack_object *invites, const char *header, const char *who,
    size_t *pending)
{
	struct ctl_col cols[IC_NCOLS];
	struct ctl_table *t;
	char status[16];
	int rc = -1;

	memcpy(cols, invite_cols, sizeof cols);
	cols[IC_WHO].header = header;
	if ((t = ctl_table_new(cols, IC_NCOLS)) == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	*pending = 0;
	for (uint32_t i = 0; i < invites->via.array.size; i++) {
		const msgpack_object *v = &invites->via.array.ptr[i];

		ctl_field_text(v, "status", status, sizeof status);
		if (strcmp(status, "pending") == 0)
			(*pending)++;
		if (invite_row(t, v, who) != 0) {
			rc = ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory",
			    NULL, "out of memory");
			goto out;
		}
	}
	printf("%s:%s\n", title, ctl_table_rows(t) == 0 ? " none" : "");
	if (ctl_table_rows(t) > 0)
		ctl_table_print(t, stdout);
out:
	ctl_table_free(t);
	return rc;
}

/* invite.list into *reply.  -1, else the exit status. */
static int
invites_get(struct ctl_session *s, struct cb_reply **reply)
{
	struct cb_params *p = ctl_session_params(s);
	int rc;

	rc = ctl_session_call(s, CB_METHOD_INVITE_LIST, p, reply);
	cb_params_free(p);
	return rc;
}

/* The array under key of invite.list's result, or NULL. */
static const msgpack_object *
invites_of(const struct cb_reply *reply, const char *key)
{
	const msgpack_object *a = cb_map_get(cb_reply_result(reply), key);

	return a != NULL && a->type == MSGPACK_OBJECT_ARRAY ? a : NULL;
}

static enum ctl_retval
invites_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct ctl_session *s = ctx->session;
	struct cb_reply *reply = NULL;
	const msgpack_object *received, *sent;
	size_t pending_in, pending_out;
	int rc;

	(void)self;
	(void)args;
	if ((rc = invites_get(s, &reply)) >= 0)
		goto out;
	if (ctx->json) {
		rc = ctl_print_reply_json(reply);
		goto out;
	}
	received = invites_of(reply, "received");
	sent = invites_of(reply, "sent");
	if (received == NULL || sent == NULL) {
		rc = ctl_session_bad_answer(s, CB_METHOD_INVITE_LIST);
		goto out;
	}
	if ((rc = invites_print(ctx, "Invitations to you", received, "FROM",
	    "from_username", &pending_in)) >= 0)
		goto out;
	printf("\n");
	if ((rc = invites_print(ctx, "Invitations you sent", sent, "TO",
	    "to_username", &pending_out)) >= 0)
		goto out;
	if (pending_in > 0)
		printf("\naccept one with: cashbookctl invite accept ID (or "
		    "decline it)\n");
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(reply);
	return rc;
}

const struct ctl_cmd ctl_cmd_invites = {
	.name = "invites",
	.method = CB_METHOD_INVITE_LIST,
	.flags = CTL_CMD_SESSION,
	.summary = "list the invitations to you and the ones you sent",
	.help =
	    "Two tables, pending invitations first, then the newest: the "
	    "ones to you\n(ID, BOOK, FROM, PERMISSIONS, STATUS, WHEN) and the "
	    "ones you sent\n(with TO).  STATUS is pending, accepted, declined "
	    "or revoked.  'invite\naccept ID' and 'invite decline ID' answer "
	    "one to you, 'invite revoke ID'\ntakes back one you sent.\n"
	    "With --json: {\"received\":[...],\"sent\":[...]}.\n",
	.exec = invites_exec,
};

/* ---- invite accept, decline, revoke ---- */

/* The invite with ID id in invite.list's list key, into buf as "alice's
 * invitation to 'Household'" (who: "from_username", "to_username"); ""
 * when it is not there (a manager revoking another's invite, or gone).
 * Never fails: the name only makes the message nicer. */
static void
invite_label(struct ctl_session *s, int64_t id, const char *key,
    const char *who, char *buf, size_t len)
{
	struct cb_reply *reply = NULL;
	const msgpack_object *list;
	char name[CTL_USERNAME_BUF], book[CTL_BOOK_NAME_BUF];
	char safe_name[CTL_USERNAME_BUF], safe_book[CTL_BOOK_NAME_BUF];
	struct cb_params *p = ctl_session_params(s);

	buf[0] = '\0';
	if (ctl_session_try(s, CB_METHOD_INVITE_LIST, p, &reply) == CB_OK &&
	    (list = invites_of(reply, key)) != NULL) {
		for (uint32_t i = 0; i < list->via.array.size; i++) {
			const msgpack_object *v = &list->via.array.ptr[i];

			if (ctl_field_int(v, "invite_id") != id)
				continue;
			ctl_field_text(v, who, name, sizeof name);
			ctl_field_text(v, "book_name", book, sizeof book);
			ctl_sanitize(name, safe_name, sizeof safe_name);
			ctl_sanitize(book, safe_book, sizeof safe_book);
			if (strcmp(key, "received") == 0)
				snprintf(buf, len, "%s's invitation to '%s'",
				    safe_name, safe_book);
			else
				snprintf(buf, len, "the invitation of %s to "
				    "'%s'", safe_name, safe_book);
			break;
		}
	}
	cb_reply_free(reply);
	cb_params_free(p);
}

/* How one of the three answers an invitation. */
struct invite_act {
	const char *method;
	const char *list;	/* where invite.list has it: "received" */
	const char *who;	/* whom it names: "from_username" */
	const char *done;	/* "declined" */
	const char *whose;	/* for not_found: "to you", "you sent" */
};

static const struct invite_act act_accept = {
	CB_METHOD_INVITE_ACCEPT, "received", "from_username", "accepted",
	"to you",
};
static const struct invite_act act_decline = {
	CB_METHOD_INVITE_DECLINE, "received", "from_username", "declined",
	"to you",
};
static const struct invite_act act_revoke = {
	CB_METHOD_INVITE_REVOKE, "sent", "to_username", "revoked",
	"you may revoke",
};

/* After accepting: the book joined, as the answer has it. */
static int
accept_print(struct ctl_session *s, struct cb_reply *reply)
{
	const msgpack_object *b = cb_map_get(cb_reply_result(reply), "book");
	struct ctl_book book;
	char label[CTL_BOOK_LABEL_BUF], can[PERM_TEXT_BUF];

	if (ctl_book_from_object(b, &book) != 0)
		return ctl_session_bad_answer(s, CB_METHOD_INVITE_ACCEPT);
	ctl_book_label(&book, label, sizeof label);
	perms_field(b, can, sizeof can);
	printf("joined '%s' (ID %" PRId64 ", %s); you may: %s\n", label,
	    book.id, book.currency, can);
	printf("work in it with: cashbookctl book use '%s' (or --book)\n",
	    label);
	return CTL_EXIT_OK;
}

/* invite accept|decline|revoke ID. */
static enum ctl_retval
invite_act_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args, const struct invite_act *act)
{
	char **argv = args->argv;
	struct ctl_session s;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	char label[CTL_USERNAME_BUF + CTL_BOOK_NAME_BUF + 64];
	int64_t id;
	int rc;

	(void)self;
	memset(&s, 0, sizeof s);
	if ((rc = ctl_input_count(ctx, "invitation ID", argv[1], 1,
	    SHARE_ID_MAX, &id)) >= 0 ||
	    (rc = ctl_session_begin(&s, ctx)) >= 0)
		goto out;
	invite_label(&s, id, act->list, act->who, label, sizeof label);
	p = ctl_session_params(&s);
	ctl_param_int(&s, p, "invite_id", id);
	if ((rc = ctl_session_try(&s, act->method, p, &reply)) != CB_OK) {
		if (ctl_session_code_is(&s, rc, "not_found"))
			rc = ctl_error(ctx, CTL_EXIT_FAILED, "not_found",
			    "'cashbookctl invites' lists them", "no invitation "
			    "%" PRId64 " %s", id, act->whose);
		else
			rc = ctl_session_fail(&s, rc);
		goto out;
	}
	if (ctx->json)
		rc = ctl_print_reply_json(reply);
	else if (act == &act_accept)
		rc = accept_print(&s, reply);
	else {
		if (label[0] != '\0')
			printf("%s %s (%" PRId64 ")\n", act->done, label, id);
		else
			printf("%s invitation %" PRId64 "\n", act->done, id);
		rc = CTL_EXIT_OK;
	}
out:
	cb_reply_free(reply);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

static enum ctl_retval
invite_accept_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	return invite_act_exec(self, ctx, args, &act_accept);
}

static enum ctl_retval
invite_decline_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	return invite_act_exec(self, ctx, args, &act_decline);
}

static enum ctl_retval
invite_revoke_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	return invite_act_exec(self, ctx, args, &act_revoke);
}

static const struct ctl_operand invite_operands[] = {
	{ "ID", CTL_T_NUMBER, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

#define INVITE_NEEDS	"the invitation's ID (see 'cashbookctl invites')"

static const struct ctl_cmd ctl_cmd_invite_accept = {
	.name = "invite accept",
	.operands = invite_operands,
	.needs = INVITE_NEEDS,
	.method = CB_METHOD_INVITE_ACCEPT,
	.summary = "join the book an invitation to you is for",
	.help =
	    "You become a member of the book, with the permissions the "
	    "invitation\ngives, e.g.\n"
	    "  joined 'alice/Household' (ID 3, EUR); you may: read, add\n"
	    "  work in it with: cashbookctl book use 'alice/Household' (or "
	    "--book)\n"
	    "With --json: {\"book\":{...}}.\n",
	.flags = 0,
	.exec = invite_accept_exec,
};

static const struct ctl_cmd ctl_cmd_invite_decline = {
	.name = "invite decline",
	.operands = invite_operands,
	.needs = INVITE_NEEDS,
	.method = CB_METHOD_INVITE_DECLINE,
	.summary = "say no to an invitation to you",
	.help =
	    "The one who invited you is told.  With --json: {}.\n",
	.flags = 0,
	.exec = invite_decline_exec,
};

static const struct ctl_cmd ctl_cmd_invite_revoke = {
	.name = "invite revoke",
	.operands = invite_operands,
	.needs = INVITE_NEEDS,
	.method = CB_METHOD_INVITE_REVOKE,
	.summary = "take back an invitation not yet answered",
	.help =
	    "Yours, or, with the 'manage' permission on the book, anyone's.  "
	    "The one\ninvited is told.  With --json: {}.\n",
	.flags = CTL_CMD_WHOLE,
	.exec = invite_revoke_exec,
};

static const struct ctl_cmd *const invite_subcmds[] = {
	&ctl_cmd_invite_accept,
	&ctl_cmd_invite_decline,
	&ctl_cmd_invite_revoke,
	NULL
};

const struct ctl_cmd ctl_cmd_invite = {
	.name = "invite",
	.summary = "answer an invitation: accept, decline, revoke",
	.help =
	    "ID is the invitation's, as 'cashbookctl invites' lists it.  "
	    "'share'\ninvites someone.\n",
	.flags = 0,
	.exec = NULL,
	.subcmds = invite_subcmds,
};

/* ---- members ---- */

/* member.list of book into *reply, its array into *members.  -1, else
 * the exit status. */
static int
members_get(struct ctl_session *s, const struct ctl_book *book,
    struct cb_reply **reply, const msgpack_object **members)
{
	struct cb_params *p = ctl_session_params(s);
	int rc;

	ctl_param_int(s, p, "book_id", book->id);
	rc = ctl_session_call(s, CB_METHOD_MEMBER_LIST, p, reply);
	cb_params_free(p);
	if (rc >= 0)
		return rc;
	*members = cb_map_get(cb_reply_result(*reply), "members");
	if (*members == NULL || (*members)->type != MSGPACK_OBJECT_ARRAY)
		return ctl_session_bad_answer(s, CB_METHOD_MEMBER_LIST);
	return -1;
}

enum { MC_USERNAME, MC_ROLE, MC_PERMISSIONS, MC_JOINED, MC_NCOLS };

static const struct ctl_col member_cols[MC_NCOLS] = {
	[MC_USERNAME] = { "USERNAME", NULL, 0, 0, CTL_COLOR_NONE },
	[MC_ROLE] = { "ROLE", NULL, 0, 0, CTL_COLOR_NONE },
	[MC_PERMISSIONS] = { "PERMISSIONS", NULL, 0, 0, CTL_COLOR_NONE },
	[MC_JOINED] = { "JOINED", NULL, 0, 0, CTL_COLOR_NONE },
};

static int
member_row(struct ctl_table *t, const msgpack_object *m)
{
	char name[CTL_USERNAME_BUF], role[16], can[PERM_TEXT_BUF], when[64];
	const char *cells[MC_NCOLS];

	ctl_field_text(m, "username", name, sizeof name);
	ctl_field_text(m, "role", role, sizeof role);
	if (strcmp(role, "owner") == 0)
		snprintf(can, sizeof can, "all");
	else
		perms_field(m, can, sizeof can);
	ctl_unix_text(ctl_field_int(m, "joined_at"), when, sizeof when);
	cells[MC_USERNAME] = name;
	cells[MC_ROLE] = role;
	cells[MC_PERMISSIONS] = can;
	cells[MC_JOINED] = when;
	return ctl_table_add(t, cells);
}

static int
members_print(struct ctl_ctx *ctx, const struct ctl_book *book,
    const msgpack_object *members)
{
	struct ctl_table *t = ctl_table_new(member_cols, MC_NCOLS);
	char label[CTL_BOOK_LABEL_BUF];
	uint32_t n = members->via.array.size;

	if (t == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		if (member_row(t, &members->via.array.ptr[i]) != 0) {
			ctl_table_free(t);
			return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory",
			    NULL, "out of memory");
		}
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	ctl_book_label(book, label, sizeof label);
	printf("%" PRIu32 " member%s of '%s'%s\n", n, n == 1 ? "" : "s",
	    label, n == 1 ? "; share it with: cashbookctl share BOOK USERNAME" :
	    "");
	return CTL_EXIT_OK;
}

static enum ctl_retval
members_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	const struct ctl_book *book = ctx->book_found;
	struct cb_reply *reply = NULL;
	const msgpack_object *members;
	int rc;

	(void)self;
	(void)args;
	if ((rc = members_get(ctx->session, book, &reply, &members)) >= 0)
		goto out;
	rc = ctx->json ? ctl_print_reply_json(reply) :
	    members_print(ctx, book, members);
out:
	cb_reply_free(reply);
	return rc;
}

const struct ctl_cmd ctl_cmd_members = {
	.name = "members",
	.method = CB_METHOD_MEMBER_LIST,
	.flags = CTL_CMD_BOOK,
	.summary = "list who is in a book, and what they may do",
	.help =
	    "The owner first, then the members by username: USERNAME, ROLE "
	    "(owner or\nmember), PERMISSIONS (every member may read; the "
	    "owner may do\neverything) and when they JOINED.  BOOK is the "
	    "chosen book (--book,\nCASHBOOK_BOOK or the default), named as "
	    "'cashbookctl help book' says.\n"
	    "With --json: {\"members\":[{\"user_id\":N,\"username\":NAME,"
	    "\"role\":ROLE,\n\"permissions\":[...],\"joined_at\":"
	    "UNIX_SECONDS}, ...]}.\n",
	.exec = members_exec,
};

/* ---- member set, member rm ---- */

/* The member of book called username (ASCII case-insensitively, as
 * cashbookd matches usernames): their user ID into *user_id and name into
 * name[CTL_USERNAME_BUF].  -1, else the exit status: not a member, or the
 * owner (whose membership cannot change). */
static int
member_find(struct ctl_session *s, const struct ctl_book *book,
    const char *username, int64_t *user_id, char *name)
{
	struct cb_reply *reply = NULL;
	const msgpack_object *members, *m = NULL;
	char label[CTL_BOOK_LABEL_BUF], role[16], safe[CTL_USERNAME_BUF];
	int rc;

	if ((rc = members_get(s, book, &reply, &members)) >= 0)
		goto out;
	for (uint32_t i = 0; i < members->via.array.size && m == NULL; i++) {
		ctl_field_text(&members->via.array.ptr[i], "username", name,
		    CTL_USERNAME_BUF);
		if (strcasecmp(name, username) == 0)
			m = &members->via.array.ptr[i];
	}
	ctl_book_label(book, label, sizeof label);
	if (m == NULL) {
		ctl_sanitize(username, safe, sizeof safe);
		rc = ctl_error(s->ctx, CTL_EXIT_FAILED, "not_found",
		    "'cashbookctl members' lists them; 'cashbookctl share' "
		    "invites someone", "%s is not a member of '%s'", safe,
		    label);
		goto out;
	}
	ctl_field_text(m, "role", role, sizeof role);
	ctl_sanitize(name, safe, sizeof safe);
	if (strcmp(role, "owner") == 0) {
		rc = ctl_error(s->ctx, CTL_EXIT_FAILED, "owner", NULL,
		    "%s owns '%s': the owner may always do everything, and "
		    "stays", safe, label);
		goto out;
	}
	*user_id = ctl_field_int(m, "user_id");
	rc = -1;
out:
	cb_reply_free(reply);
	return rc;
}

/* Open the chosen book (opt: --book) and find its member username.  -1
 * to go on, else the exit status; ctl_session_end(s) must follow. */
static int
member_open(struct ctl_session *s, struct ctl_ctx *ctx, const char *opt,
    const char *username, struct ctl_book *book, int64_t *user_id,
    char *name)
{
	int rc;

	if ((rc = ctl_book_open(s, ctx, opt, book)) >= 0)
		return rc;
	return member_find(s, book, username, user_id, name);
}

/* After member set (perms) or member rm (perms NULL). */
static void
member_print(const struct ctl_book *book, const char *name,
    const struct perms *perms)
{
	char safe[CTL_USERNAME_BUF], label[CTL_BOOK_LABEL_BUF];
	char can[PERM_TEXT_BUF];

	ctl_sanitize(name, safe, sizeof safe);
	ctl_book_label(book, label, sizeof label);
	if (perms == NULL) {
		printf("removed %s from '%s'; the entries they made stay\n",
		    safe, label);
		return;
	}
	perms_text(perms, can, sizeof can);
	printf("%s may now, in '%s': %s\n", safe, label, can);
}

/* member set USERNAME --can ... (set), or member rm USERNAME. */
static enum ctl_retval
member_change(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args, bool set)
{
	struct share_opts o = { .can = ctl_arg(args, "can") };
	char **argv = args->argv;
	const char *method = set ? CB_METHOD_MEMBER_UPDATE :
	    CB_METHOD_MEMBER_REMOVE;
	struct ctl_session s;
	struct ctl_book book;
	struct perms perms = { .n = 0 };
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	char name[CTL_USERNAME_BUF];
	int64_t user_id = 0;
	int rc;

	memset(&s, 0, sizeof s);
	if (set && o.can == NULL)
		return ctl_usage(ctx, self, "%s needs --can PERMISSIONS (\"\" "
		    "for none: the member may only read)", self->name);
	if ((set && (rc = perms_parse(ctx, o.can, &perms)) >= 0) ||
	    (rc = member_open(&s, ctx, o.book, argv[1], &book, &user_id,
	    name)) >= 0)
		goto out;
	p = ctl_session_params(&s);
	ctl_param_int(&s, p, "book_id", book.id);
	ctl_param_int(&s, p, "user_id", user_id);
	if (set)
		ctl_param_str_array(&s, p, "permissions", perms.names, perms.n);
	if ((rc = ctl_session_call(&s, method, p, &reply)) >= 0)
		goto out;
	if (ctx->json)
		rc = ctl_print_reply_json(reply);
	else {
		member_print(&book, name, set ? &perms : NULL);
		rc = CTL_EXIT_OK;
	}
out:
	cb_reply_free(reply);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

static enum ctl_retval
member_set_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	return member_change(self, ctx, args, true);
}

static enum ctl_retval
member_rm_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	return member_change(self, ctx, args, false);
}

static const struct ctl_optdef member_set_opts[] = {
	{ "can", 0, "PERMISSIONS", CTL_T_TEXT, NULL, "the member's "
	    "permissions, separated by commas (\"\" for none: only reading)",
	    0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

static const struct ctl_operand member_operands[] = {
	{ "USERNAME", CTL_T_USER, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

#define MEMBER_NEEDS	"the member's USERNAME (see 'cashbookctl members')"

static const struct ctl_cmd ctl_cmd_member_set = {
	.name = "member set",
	.opts = member_set_opts,
	.operands = member_operands,
	.needs = MEMBER_NEEDS,
	.method = CB_METHOD_MEMBER_UPDATE,
	.summary = "change what a member may do",
	.help =
	    "Sets the member's permissions to exactly PERMISSIONS: some of "
	    PERM_LIST ",\nseparated by commas ('cashbookctl help share' says "
	    "what each allows);\n\"\" leaves them only reading.  e.g.\n"
	    "  bob may now, in 'Household': read, add, edit_own\n"
	    "You need the 'manage' permission; only the owner gives or takes "
	    "'manage'.\nWith --json: {\"member\":{...}}.\n",
	.flags = 0,
	.exec = member_set_exec,
};

static const struct ctl_cmd ctl_cmd_member_rm = {
	.name = "member rm",
	.operands = member_operands,
	.needs = MEMBER_NEEDS,
	.method = CB_METHOD_MEMBER_REMOVE,
	.summary = "remove a member from a book",
	.help =
	    "The member can no longer see the book; the entries they made "
	    "stay in it.\nYou need the 'manage' permission (the owner's, to "
	    "remove a member who\nhas it).  With --json: {}.\n",
	.flags = CTL_CMD_WHOLE,
	.exec = member_rm_exec,
};

static const struct ctl_cmd *const member_subcmds[] = {
	&ctl_cmd_member_set,
	&ctl_cmd_member_rm,
	NULL
};

const struct ctl_cmd ctl_cmd_member = {
	.name = "member",
	.summary = "change or remove a member of a book: set, rm",
	.help =
	    "Works on the chosen book (--book BOOK, CASHBOOK_BOOK or the "
	    "default);\nUSERNAME is a member's, as 'cashbookctl members' lists "
	    "them.\n",
	.flags = 0,
	.exec = NULL,
	.subcmds = member_subcmds,
};

/* ---- leave ---- */

static enum ctl_retval
leave_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	char **argv = args->argv;
	struct ctl_session *s = ctx->session;
	struct ctl_book_ref ref;
	struct ctl_book book;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	char label[CTL_BOOK_LABEL_BUF], owner[CTL_USERNAME_BUF], hint[128];
	int rc;

	(void)self;
	ctl_book_ref_arg(&ref, argv[1]);
	if ((rc = ctl_book_find(s, &ref, &book)) >= 0)
		goto out;
	ctl_book_label(&book, label, sizeof label);
	if (!book.member) {
		snprintf(hint, sizeof hint, "keep it, or delete it with: "
		    "cashbookctl book delete %" PRId64, book.id);
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "owner", hint, "you own "
		    "'%s': an owner cannot leave their book", label);
		goto out;
	}
	p = ctl_session_params(s);
	ctl_param_int(s, p, "book_id", book.id);
	if ((rc = ctl_session_call(s, CB_METHOD_BOOK_LEAVE, p, &reply)) >= 0)
		goto out;
	if (ctx->json)
		(void)ctl_print_reply_json(reply);
	else {
		ctl_sanitize(book.owner, owner, sizeof owner);
		printf("left '%s'; %s is told\n", label, owner);
	}
	ctl_book_forget_default(ctx, &book);
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(reply);
	cb_params_free(p);
	return rc;
}

static const struct ctl_operand leave_operands[] = {
	{ "BOOK", CTL_T_BOOK, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

const struct ctl_cmd ctl_cmd_leave = {
	.name = "leave",
	.operands = leave_operands,
	.needs = "the book (NAME, OWNER/NAME or ID)",
	.method = CB_METHOD_BOOK_LEAVE,
	.flags = CTL_CMD_WHOLE | CTL_CMD_SESSION,
	.summary = "leave a book shared with you",
	.help =
	    "You are no longer a member of BOOK (OWNER/NAME, NAME or ID); the "
	    "entries\nyou made stay in it, and its owner is told.  To come "
	    "back you need a new\ninvitation.  If it was your default book, "
	    "no book is the default\nafterwards.  The owner cannot leave a "
	    "book, only delete it.\nWith --json: {}.\n",
	.exec = leave_exec,
};
