/*
 * ctl_cmd_book.c -- cashbookctl's commands about whole books: the "book"
 * group (create, list, use, show, rename, describe, delete) and
 * balance, verify.
 *
 * A book is named NAME or ID and chosen as ctl_book.h says; "book use"
 * remembers the default.  Like the other ctl_cmd_*.c files, nothing here
 * talks msgpack-RPC itself or prints an error itself: calls go through
 * ctl_session.h, errors through ctl_error/ctl_session_fail.  With --json
 * each command prints cashbookd's result as it came.
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods.h"
#include "money.h"

#include "ctl.h"
#include "ctl_book.h"
#include "ctl_fields.h"
#include "ctl_file.h"
#include "ctl_output.h"
#include "ctl_session.h"
#include "ctl_table.h"

/* The commands' own options. */
struct book_opts {
	const char *currency;
	const char *description;
	bool force;
};

/* The default book's ID, or 0 when there is none (or it cannot be read:
 * then nothing is marked, and the commands that need it say why). */
static int64_t
default_book_id(void)
{
	char err[PATH_MAX + 256];
	int64_t id;

	return ctl_book_default_get(&id, err, sizeof err) == CTL_FILE_OK ? id :
	    0;
}

/* Remember book as the default; -1, or the exit status when that
 * failed (reported). */
static int
remember(struct ctl_ctx *ctx, const struct ctl_book *book)
{
	char err[PATH_MAX + 256];

	if (ctl_book_default_set(book->id, err, sizeof err) != 0)
		return ctl_error(ctx, CTL_EXIT_FAILED, "book_file", NULL, "%s",
		    err);
	return -1;
}

/* A note when CASHBOOK_BOOK overrides the default just set. */
static void
note_env_override(void)
{
	const char *env = getenv(CTL_BOOK_ENV);

	if (env != NULL && env[0] != '\0')
		fprintf(stderr, "cashbookctl: note: %s is set, and commands "
		    "use it rather than the default book; unset it to use "
		    "this one\n", CTL_BOOK_ENV);
}

/* ---- book create ---- */

/* The currency as given, upper-cased ("eur" is EUR) into buf (4
 * bytes); -1 to go on, else the exit status. */
static int
check_currency(struct ctl_ctx *ctx, const char *text, char buf[4])
{
	size_t n = strlen(text);

	for (size_t i = 0; i < n && i < 3; i++)
		buf[i] = (char)toupper((unsigned char)text[i]);
	buf[n < 3 ? n : 3] = '\0';
	if (n != 3 || !money_currency_valid(buf, 3))
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL,
		    "--currency '%s': give an ISO 4217 code of three letters, "
		    "e.g. EUR, USD, JPY", text);
	return -1;
}

static enum ctl_retval
book_create_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	char **argv = args->argv;
	int nargs = args->nargs;
	struct book_opts o = {
		.currency = ctl_arg(args, "currency"),
		.description = ctl_arg(args, "description"),
	};
	struct ctl_session s;
	struct ctl_book book;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	char currency[4], name[CTL_BOOK_NAME_BUF], err[PATH_MAX + 256];
	int64_t old_default;
	bool make_default;
	int rc;

	(void)self;
	(void)nargs;
	if (o.currency != NULL && (rc = check_currency(ctx, o.currency,
	    currency)) >= 0)
		return rc;
	/* The first book becomes the default. */
	make_default = ctl_book_default_get(&old_default, err, sizeof err) ==
	    CTL_FILE_NONE;
	if ((rc = ctl_session_begin(&s, ctx)) >= 0)
		goto out;
	p = ctl_session_params(&s);
	ctl_param_str(&s, p, "name", argv[1]);
	ctl_param_str(&s, p, "currency", o.currency != NULL ? currency : NULL);
	ctl_param_str(&s, p, "description", o.description);
	if ((rc = ctl_session_try(&s, CB_METHOD_BOOK_CREATE, p, &reply)) !=
	    CB_OK) {
		if (ctl_session_code_is(&s, rc, "conflict")) {
			ctl_print_error(ctx->json, "conflict", NULL,
			    cb_error_message(ctx->conn), "choose another name, "
			    "or see 'cashbookctl book list'");
			rc = CTL_EXIT_FAILED;
		} else
			rc = ctl_session_fail(&s, rc);
		goto out;
	}
	if (ctl_book_from_object(cb_map_get(cb_reply_result(reply), "book"),
	    &book) != 0) {
		rc = ctl_session_bad_answer(&s, CB_METHOD_BOOK_CREATE);
		goto out;
	}
	/* The book exists whether or not it can be remembered: a note,
	 * not a failure. */
	if (make_default && ctl_book_default_set(book.id, err,
	    sizeof err) != 0) {
		fprintf(stderr, "cashbookctl: note: the book is not your "
		    "default book: %s\n", err);
		make_default = false;
	}
	if (ctx->json) {
		rc = ctl_print_reply_json(reply);
		goto out;
	}
	ctl_sanitize(book.name, name, sizeof name);
	printf("created book '%s' (ID %" PRId64 ", %s)\n", name, book.id,
	    book.currency);
	if (make_default)
		printf("it is your default book now (see 'cashbookctl book "
		    "use')\n");
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(reply);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_optdef book_create_opts[] = {
	{ "currency", 0, "CODE", CTL_T_TEXT, NULL, "its ISO 4217 currency "
	    "(default: cashbookd's --default-currency)", 0, 0, NULL },
	{ "description", 0, "TEXT", CTL_T_TEXT, NULL, "what the book is for",
	    0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

static const struct ctl_operand book_create_operands[] = {
	{ "NAME", CTL_T_TEXT, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

static const struct ctl_cmd ctl_cmd_book_create = {
	.name = "book create",
	.opts = book_create_opts,
	.operands = book_create_operands,
	.needs = "the book's NAME",
	.method = CB_METHOD_BOOK_CREATE,
	.summary = "create a book",
	.help =
	    "Creates a book called NAME (1 to 100 bytes; your books' names "
	    "differ\nin more than ASCII case), e.g.\n"
	    "  created book 'Household' (ID 1, EUR)\n"
	    "--currency CODE is the book's ISO 4217 currency; it never "
	    "changes, and\nsays how many decimals amounts have (EUR 2, JPY 0, "
	    "BHD 3).\n"
	    "Your first book becomes your default book.\n"
	    "With --json: {\"book_id\":N,\"book\":{...}}.\n",
	.flags = 0,
	.exec = book_create_exec,
};

/* ---- book list ---- */

enum {
	BL_MARK, BL_ID, BL_NAME, BL_ROLE, BL_OWNER, BL_CURRENCY, BL_COUNT,
	BL_IN, BL_OUT, BL_BALANCE, BL_DESCRIPTION, BL_NCOLS
};

/* ROLE and OWNER only once a book is shared with you. */
static const struct ctl_col book_list_cols[BL_NCOLS] = {
	[BL_MARK] = { "", NULL, 0, 0, CTL_COLOR_NONE },
	[BL_ID] = { "ID", NULL, CTL_COL_RIGHT, 0, CTL_COLOR_NONE },
	[BL_NAME] = { "NAME", NULL, 0, 40, CTL_COLOR_NONE },
	[BL_ROLE] = { "ROLE", NULL, CTL_COL_HIDE_EMPTY, 0, CTL_COLOR_NONE },
	[BL_OWNER] = { "OWNER", NULL, CTL_COL_HIDE_EMPTY, 20, CTL_COLOR_NONE },
	[BL_CURRENCY] = { "CURRENCY", NULL, 0, 0, CTL_COLOR_NONE },
	[BL_COUNT] = { "ENTRIES", NULL, CTL_COL_RIGHT, 0, CTL_COLOR_NONE },
	[BL_IN] = { "IN", NULL, CTL_COL_RIGHT, 0, CTL_COLOR_GREEN },
	[BL_OUT] = { "OUT", NULL, CTL_COL_RIGHT, 0, CTL_COLOR_RED },
	[BL_BALANCE] = { "BALANCE", NULL, CTL_COL_RIGHT, 0, CTL_COLOR_NONE },
	[BL_DESCRIPTION] = { "DESCRIPTION", NULL, CTL_COL_HIDE_EMPTY, 40,
	    CTL_COLOR_NONE },
};

/* Whether the book object b is shared with you by its owner. */
static bool
is_member(const msgpack_object *b)
{
	char role[16];

	ctl_field_text(b, "role", role, sizeof role);
	return strcmp(role, "member") == 0;
}

/* One row of book list for the book object b; with shared, its role and
 * the owner of a book shared with you. */
static int
book_list_row(struct ctl_table *t, const msgpack_object *b, int64_t def,
    bool shared)
{
	char id[24], count[24], in[CTL_AMOUNT_BUF], out[CTL_AMOUNT_BUF];
	char bal[CTL_AMOUNT_BUF], name[CTL_BOOK_NAME_BUF], cur[8];
	char owner[CTL_USERNAME_BUF];
	bool member = is_member(b);
	char *desc = malloc(CTL_TEXT_BUF);
	const char *cells[BL_NCOLS];
	int dec = (int)ctl_field_int(b, "decimals");
	int rc;

	if (desc == NULL)
		return -1;
	snprintf(id, sizeof id, "%" PRId64, ctl_field_int(b, "book_id"));
	snprintf(count, sizeof count, "%" PRId64, ctl_field_int(b, "count"));
	ctl_field_amount(b, "cash_in", dec, in, sizeof in);
	ctl_field_amount(b, "cash_out", dec, out, sizeof out);
	ctl_field_amount(b, "balance", dec, bal, sizeof bal);
	ctl_field_text(b, "name", name, sizeof name);
	ctl_field_text(b, "currency", cur, sizeof cur);
	ctl_field_text(b, "description", desc, CTL_TEXT_BUF);
	cells[BL_MARK] = ctl_field_int(b, "book_id") == def ? "*" : "";
	cells[BL_ID] = id;
	cells[BL_NAME] = name;
	ctl_field_text(b, "owner_username", owner, sizeof owner);
	cells[BL_ROLE] = shared ? (member ? "member" : "owner") : "";
	cells[BL_OWNER] = member ? owner : "";
	cells[BL_CURRENCY] = cur;
	cells[BL_COUNT] = count;
	cells[BL_IN] = in;
	cells[BL_OUT] = out;
	cells[BL_BALANCE] = bal;
	cells[BL_DESCRIPTION] = desc;
	rc = ctl_table_add(t, cells);
	free(desc);
	return rc;
}

static int
book_list_print(struct ctl_ctx *ctx, const msgpack_object *books)
{
	struct ctl_table *t = ctl_table_new(book_list_cols, BL_NCOLS);
	int64_t def = default_book_id();
	bool shared = false;

	if (t == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	for (uint32_t i = 0; i < books->via.array.size; i++)
		shared = shared || is_member(&books->via.array.ptr[i]);
	for (uint32_t i = 0; i < books->via.array.size; i++) {
		if (book_list_row(t, &books->via.array.ptr[i], def,
		    shared) != 0) {
			ctl_table_free(t);
			return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory",
			    NULL, "out of memory");
		}
	}
	if (ctl_table_rows(t) == 0)
		printf("no books yet; create one with 'cashbookctl book create "
		    "NAME --currency CODE'\n");
	else
		ctl_table_print(t, stdout);
	ctl_table_free(t);
	return CTL_EXIT_OK;
}

static enum ctl_retval
book_list_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	char **argv = args->argv;
	int nargs = args->nargs;
	struct ctl_session s;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	const msgpack_object *books;
	int rc;

	memset(&s, 0, sizeof s);
	(void)self;
	(void)argv;
	(void)nargs;
	if ((rc = ctl_session_begin(&s, ctx)) >= 0)
		goto out;
	p = ctl_session_params(&s);
	if ((rc = ctl_session_call(&s, CB_METHOD_BOOK_LIST, p, &reply)) >= 0)
		goto out;
	if (ctx->json) {
		rc = ctl_print_reply_json(reply);
		goto out;
	}
	books = cb_map_get(cb_reply_result(reply), "books");
	if (books == NULL || books->type != MSGPACK_OBJECT_ARRAY)
		rc = ctl_session_bad_answer(&s, CB_METHOD_BOOK_LIST);
	else
		rc = book_list_print(ctx, books);
out:
	cb_reply_free(reply);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_cmd ctl_cmd_book_list = {
	.name = "book list",
	.method = CB_METHOD_BOOK_LIST,
	.summary = "list your books, with their totals",
	.help =
	    "One line per book, ordered by name: its ID, name, currency, "
	    "number of\nentries, money in and out and the balance (in the "
	    "book's currency).\nThe default book is marked '*'.  Once a book "
	    "is shared with you, ROLE\nsays whether you own each book or are "
	    "a member, and OWNER who owns\nthe ones shared with you; name "
	    "those as OWNER/NAME when a name is not\nenough.\n"
	    "With --json: {\"books\":[{...}, ...]}.\n",
	.flags = 0,
	.exec = book_list_exec,
};

/* ---- book use ---- */

static enum ctl_retval
book_use_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	char **argv = args->argv;
	int nargs = args->nargs;
	struct ctl_session s;
	struct ctl_book_ref ref;
	struct ctl_book book;
	char label[CTL_BOOK_LABEL_BUF];
	int rc;

	memset(&s, 0, sizeof s);
	(void)nargs;
	ctl_book_ref_arg(&ref, argv[1]);
	if (argv[1][0] == '\0')
		return ctl_usage(ctx, self, "%s: the book's NAME is empty",
		    self->name);
	if ((rc = ctl_session_begin(&s, ctx)) >= 0 ||
	    (rc = ctl_book_find(&s, &ref, &book)) >= 0 ||
	    (rc = remember(ctx, &book)) >= 0)
		goto out;
	if (ctx->json) {
		printf("{\"book_id\":%" PRId64 ",\"name\":", book.id);
		ctl_json_write_string(stdout, book.name, strlen(book.name));
		printf(",\"currency\":");
		ctl_json_write_string(stdout, book.currency,
		    strlen(book.currency));
		printf("}\n");
	} else {
		ctl_book_label(&book, label, sizeof label);
		printf("using book '%s' (ID %" PRId64 ", %s) from now on\n",
		    label, book.id, book.currency);
	}
	note_env_override();
	rc = CTL_EXIT_OK;
out:
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_operand book_operand[] = {
	{ "NAME|ID", CTL_T_BOOK, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

static const struct ctl_operand book_operand_opt[] = {
	{ "NAME|ID", CTL_T_BOOK, NULL, CTL_ARG_OPTIONAL },
	{ NULL, 0, NULL, 0 },
};

static const struct ctl_operand book_rename_operands[] = {
	{ "NAME|ID", CTL_T_BOOK, NULL, 0 },
	{ "NEWNAME", CTL_T_TEXT, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

static const struct ctl_operand book_describe_operands[] = {
	{ "NAME|ID", CTL_T_BOOK, NULL, 0 },
	{ "TEXT", CTL_T_TEXT, NULL, CTL_ARG_OPTIONAL },
	{ NULL, 0, NULL, 0 },
};

static const struct ctl_optdef book_delete_opts[] = {
	{ "force", 0, NULL, CTL_T_TEXT, NULL, "delete the book even though it "
	    "has entries", 0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

static const struct ctl_cmd ctl_cmd_book_use = {
	.name = "book use",
	.operands = book_operand,
	.needs = "the book's NAME or ID",
	.summary = "choose the book the other commands work on",
	.help =
	    "Remembers the book as your default: the bookkeeping commands "
	    "(add,\nlist, balance, report, ...) work on it unless --book "
	    "NAME|ID or\nCASHBOOK_BOOK says otherwise.  It is kept, as its "
	    "ID, in\n$XDG_CONFIG_HOME/cashbook/book (else "
	    "~/.config/cashbook/book), next to\nthe session token.  A NAME "
	    "matches exactly, else ignoring ASCII case;\nOWNER/NAME names a "
	    "book shared with you (alice/Household); digits\nonly are an "
	    "ID.\n"
	    "With --json: {\"book_id\":N,\"name\":NAME,\"currency\":CODE}.\n",
	.flags = 0,
	.exec = book_use_exec,
};

/* ---- book show ---- */

/* Who owns the book object b, and what you may do in it. */
static void
book_show_access(const msgpack_object *b)
{
	char text[CTL_TEXT_BUF], safe[CTL_TEXT_BUF];

	if (!is_member(b)) {
		ctl_print_item("owner", "you");
		return;
	}
	ctl_field_text(b, "owner_username", text, sizeof text);
	ctl_sanitize(text, safe, sizeof safe);
	ctl_print_item("owner", "%s (shared with you)", safe);
	ctl_field_tags(b, "permissions", ", ", text, sizeof text);
	ctl_print_item("you may", "read%s%s", text[0] != '\0' ? ", " : "",
	    text);
}

static void
book_show_print(const msgpack_object *b, int64_t def)
{
	char text[CTL_TEXT_BUF], safe[CTL_TEXT_BUF], cur[8];
	char amount[CTL_AMOUNT_BUF], when[64];
	int dec = (int)ctl_field_int(b, "decimals");

	ctl_field_text(b, "name", text, sizeof text);
	ctl_sanitize(text, safe, sizeof safe);
	ctl_print_item("book", "%s", safe);
	ctl_print_item("id", "%" PRId64 "%s", ctl_field_int(b, "book_id"),
	    ctl_field_int(b, "book_id") == def ? " (your default book)" : "");
	book_show_access(b);
	ctl_field_text(b, "currency", cur, sizeof cur);
	ctl_print_item("currency", "%s (%d decimal%s)", cur, dec,
	    dec == 1 ? "" : "s");
	ctl_field_text(b, "description", text, sizeof text);
	ctl_sanitize(text, safe, sizeof safe);
	if (safe[0] != '\0')
		ctl_print_item("description", "%s", safe);
	ctl_print_item("entries", "%" PRId64, ctl_field_int(b, "count"));
	ctl_field_amount(b, "cash_in", dec, amount, sizeof amount);
	ctl_print_item("cash in", "%s %s", amount, cur);
	ctl_field_amount(b, "cash_out", dec, amount, sizeof amount);
	ctl_print_item("cash out", "%s %s", amount, cur);
	ctl_field_amount(b, "balance", dec, amount, sizeof amount);
	ctl_print_item("balance", "%s %s", amount, cur);
	ctl_unix_text(ctl_field_int(b, "created_at"), when, sizeof when);
	ctl_print_item("created", "%s", when);
	ctl_unix_text(ctl_field_int(b, "updated_at"), when, sizeof when);
	ctl_print_item("updated", "%s", when);
}

/* book.get of book into *reply; -1, else the exit status. */
static int
book_get(struct ctl_session *s, int64_t id, struct cb_reply **reply)
{
	struct cb_params *p = ctl_session_params(s);
	int rc;

	ctl_param_int(s, p, "book_id", id);
	rc = ctl_session_call(s, CB_METHOD_BOOK_GET, p, reply);
	cb_params_free(p);
	return rc;
}

static enum ctl_retval
book_show_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	char **argv = args->argv;
	int nargs = args->nargs;
	struct ctl_session s;
	struct ctl_book_ref ref;
	struct ctl_book book;
	struct cb_reply *reply = NULL;
	const msgpack_object *b;
	int rc;

	memset(&s, 0, sizeof s);
	(void)self;
	if (nargs == 1)
		ctl_book_ref_arg(&ref, argv[1]);
	if ((nargs == 0 && (rc = ctl_book_pick(ctx, NULL, &ref)) >= 0) ||
	    (rc = ctl_session_begin(&s, ctx)) >= 0 ||
	    (rc = ctl_book_find(&s, &ref, &book)) >= 0 ||
	    (rc = book_get(&s, book.id, &reply)) >= 0)
		goto out;
	if (ctx->json) {
		rc = ctl_print_reply_json(reply);
		goto out;
	}
	b = cb_map_get(cb_reply_result(reply), "book");
	if (b == NULL || b->type != MSGPACK_OBJECT_MAP) {
		rc = ctl_session_bad_answer(&s, CB_METHOD_BOOK_GET);
		goto out;
	}
	book_show_print(b, default_book_id());
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(reply);
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_cmd ctl_cmd_book_show = {
	.name = "book show",
	.operands = book_operand_opt,
	.method = CB_METHOD_BOOK_GET,
	.summary = "show a book: currency, description, totals",
	.help =
	    "Without NAME|ID, shows the chosen book (--book, CASHBOOK_BOOK or "
	    "the\ndefault).  With --json: {\"book\":{...}}.\n",
	.flags = 0,
	.exec = book_show_exec,
};

/* ---- book rename, book describe ---- */

/*
 * book.update of one field of the book named by the first operand, to
 * the second, or to nil when there is none.
 * -1 when the field changed and the caller says so (*book: the book as it
 * was, *value: argv[2] or NULL), else the exit status: --json printed,
 * or the failure reported.
 */
static int
book_update_field(struct ctl_ctx *ctx, struct ctl_args *args,
    const char *field, struct ctl_book *book, const char **value)
{
	struct ctl_session s;
	struct ctl_book_ref ref;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	int rc;

	memset(&s, 0, sizeof s);
	*value = args->nargs == 2 ? args->argv[2] : NULL;
	ctl_book_ref_arg(&ref, args->argv[1]);
	if ((rc = ctl_session_begin(&s, ctx)) >= 0 ||
	    (rc = ctl_book_find(&s, &ref, book)) >= 0)
		goto out;
	p = ctl_session_params(&s);
	ctl_param_int(&s, p, "book_id", book->id);
	if (*value != NULL)
		ctl_param_str(&s, p, field, *value);
	else
		ctl_param_nil(&s, p, field);
	if ((rc = ctl_session_try(&s, CB_METHOD_BOOK_UPDATE, p, &reply)) !=
	    CB_OK) {
		/* Only a name can be taken. */
		if (ctl_session_code_is(&s, rc, "conflict")) {
			ctl_print_error(ctx->json, "conflict", NULL,
			    cb_error_message(ctx->conn), "choose another "
			    "name");
			rc = CTL_EXIT_FAILED;
		} else
			rc = ctl_session_fail(&s, rc);
		goto out;
	}
	rc = ctx->json ? ctl_print_reply_json(reply) : -1;
out:
	cb_reply_free(reply);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

static enum ctl_retval
book_rename_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct ctl_book book;
	const char *name = NULL;
	char old[CTL_BOOK_NAME_BUF], new[CTL_BOOK_NAME_BUF];
	int rc;

	(void)self;
	if ((rc = book_update_field(ctx, args, "name", &book, &name)) >= 0)
		return rc;
	ctl_sanitize(book.name, old, sizeof old);
	ctl_sanitize(name, new, sizeof new);
	printf("renamed book %" PRId64 " from '%s' to '%s'\n", book.id, old,
	    new);
	return CTL_EXIT_OK;
}

static enum ctl_retval
book_describe_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct ctl_book book;
	const char *text = NULL;
	char name[CTL_BOOK_NAME_BUF];
	int rc;

	(void)self;
	if ((rc = book_update_field(ctx, args, "description", &book,
	    &text)) >= 0)
		return rc;
	ctl_sanitize(book.name, name, sizeof name);
	printf("%s the description of book '%s' (ID %" PRId64 ")\n",
	    text != NULL ? "set" : "removed", name, book.id);
	return CTL_EXIT_OK;
}

static const struct ctl_cmd ctl_cmd_book_rename = {
	.name = "book rename",
	.operands = book_rename_operands,
	.needs = "the book (NAME or ID) and its new name",
	.method = CB_METHOD_BOOK_UPDATE,
	.summary = "give a book another name",
	.help =
	    "The book keeps its ID, entries and currency; if it is your "
	    "default\nbook, it stays so.  With --json: {\"book\":{...}}.\n",
	.flags = 0,
	.exec = book_rename_exec,
};

static const struct ctl_cmd ctl_cmd_book_describe = {
	.name = "book describe",
	.operands = book_describe_operands,
	.needs = "the book (NAME or ID) and its description (none: remove "
	    "it)",
	.method = CB_METHOD_BOOK_UPDATE,
	.summary = "set a book's description, or remove it",
	.help =
	    "TEXT may hold several lines (up to 4096 bytes); without TEXT the "
	    "book\nhas no description.  'book show' prints it.  With --json: "
	    "{\"book\":{...}}.\n",
	.flags = 0,
	.exec = book_describe_exec,
};

/* ---- book delete ---- */

static enum ctl_retval
book_delete_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	char **argv = args->argv;
	int nargs = args->nargs;
	struct book_opts o = { .force = ctl_arg_flag(args, "force") };
	struct ctl_session s;
	struct ctl_book_ref ref;
	struct ctl_book book;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	char name[CTL_BOOK_NAME_BUF], hint[512];
	int rc;

	memset(&s, 0, sizeof s);
	(void)self;
	(void)nargs;
	ctl_book_ref_arg(&ref, argv[1]);
	if ((rc = ctl_session_begin(&s, ctx)) >= 0 ||
	    (rc = ctl_book_find(&s, &ref, &book)) >= 0)
		goto out;
	p = ctl_session_params(&s);
	ctl_param_int(&s, p, "book_id", book.id);
	if (o.force)
		ctl_param_bool(&s, p, "force", true);
	if ((rc = ctl_session_try(&s, CB_METHOD_BOOK_DELETE, p, &reply)) !=
	    CB_OK) {
		if (ctl_session_code_is(&s, rc, "conflict") && !o.force) {
			snprintf(hint, sizeof hint, "to delete it with all "
			    "its entries, run: cashbookctl book delete %"
			    PRId64 " --force", book.id);
			ctl_print_error(ctx->json, "conflict", NULL,
			    cb_error_message(ctx->conn), hint);
			rc = CTL_EXIT_FAILED;
		} else
			rc = ctl_session_fail(&s, rc);
		goto out;
	}
	if (ctx->json)
		(void)ctl_print_reply_json(reply);
	else {
		int64_t n = ctl_field_int(cb_reply_result(reply),
		    "deleted_entries");

		ctl_sanitize(book.name, name, sizeof name);
		printf("deleted book '%s' (ID %" PRId64 ") and its %" PRId64
		    " entr%s\n", name, book.id, n, n == 1 ? "y" : "ies");
	}
	ctl_book_forget_default(ctx, &book);
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(reply);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_cmd ctl_cmd_book_delete = {
	.name = "book delete",
	.opts = book_delete_opts,
	.operands = book_operand,
	.needs = "the book's NAME or ID",
	.method = CB_METHOD_BOOK_DELETE,
	.summary = "delete a book",
	.help =
	    "Deletes the book, for good.  A book that has entries (trashed "
	    "ones too)\nis refused unless --force is given; then its entries, "
	    "trash and history\ngo with it.\n"
	    "If it was your default book, no book is the default "
	    "afterwards.\n"
	    "With --json: {\"deleted_entries\":N}.\n",
	.flags = CTL_CMD_WHOLE,
	.exec = book_delete_exec,
};

/* ---- the book group ---- */

static const struct ctl_cmd *const book_subcmds[] = {
	&ctl_cmd_book_create,
	&ctl_cmd_book_list,
	&ctl_cmd_book_use,
	&ctl_cmd_book_show,
	&ctl_cmd_book_rename,
	&ctl_cmd_book_describe,
	&ctl_cmd_book_delete,
	NULL
};

const struct ctl_cmd ctl_cmd_book = {
	.name = "book",
	.summary = "manage your books: create, list, use, show, rename, "
	    "describe, delete",
	.help =
	    "A book is a cash book in one currency; its entries are money in "
	    "and\nout.  The other commands work on the book chosen with "
	    "'book use'\n(or --book NAME|ID, or CASHBOOK_BOOK).  A book is "
	    "named by its NAME\n(exactly, else ignoring ASCII case), by "
	    "OWNER/NAME (alice/Household, for\na book alice shares with you, "
	    "or yours as YOURNAME/NAME), or by its ID\n(digits only).  A name "
	    "that fits several books (yours and one shared\nwith you, say) is "
	    "refused, listing them as OWNER/NAME.  'share' shares\na book, "
	    "'members' shows who is in one, 'leave' leaves one shared with "
	    "you.\n",
	.flags = 0,
	.exec = NULL,
	.subcmds = book_subcmds,
};

/* ---- balance ---- */

static enum ctl_retval
balance_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct ctl_session *s = ctx->session;
	const struct ctl_book *book = ctx->book_found;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	const msgpack_object *res;
	char name[CTL_BOOK_NAME_BUF], amount[CTL_AMOUNT_BUF];
	int rc;

	(void)self;
	(void)args;
	p = ctl_session_params(s);
	ctl_param_int(s, p, "book_id", book->id);
	if ((rc = ctl_session_call(s, CB_METHOD_BOOK_BALANCE, p, &reply)) >= 0)
		goto out;
	res = cb_reply_result(reply);
	if (ctx->json) {
		rc = ctl_print_reply_json(reply);
		goto out;
	}
	ctl_sanitize(book->name, name, sizeof name);
	ctl_print_item("book", "%s (ID %" PRId64 ")", name, book->id);
	ctl_field_amount(res, "cash_in", book->decimals, amount,
	    sizeof amount);
	ctl_print_item("cash in", "%s %s", amount, book->currency);
	ctl_field_amount(res, "cash_out", book->decimals, amount,
	    sizeof amount);
	ctl_print_item("cash out", "%s %s", amount, book->currency);
	ctl_field_amount(res, "balance", book->decimals, amount,
	    sizeof amount);
	ctl_print_item("balance", "%s %s", amount, book->currency);
	ctl_print_item("entries", "%" PRId64, ctl_field_int(res, "count"));
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(reply);
	cb_params_free(p);
	return (enum ctl_retval)rc;
}

const struct ctl_cmd ctl_cmd_balance = {
	.name = "balance",
	.method = CB_METHOD_BOOK_BALANCE,
	.summary = "show a book's money in, money out and balance",
	.help =
	    "The totals of the book's live entries (not the trash), exact, "
	    "in the\nbook's currency, e.g.\n"
	    "  book                  Household (ID 1)\n"
	    "  cash in               1250.00 EUR\n"
	    "  cash out              300.50 EUR\n"
	    "  balance               949.50 EUR\n"
	    "  entries               3\n"
	    "With --json: {\"cash_in\":MINOR,\"cash_out\":MINOR,\"balance\":"
	    "MINOR,\n\"count\":N,\"currency\":CODE,\"decimals\":N}, amounts in "
	    "minor units\n(cents).\n",
	.flags = CTL_CMD_BOOK,
	.exec = balance_exec,
};

/* ---- verify ---- */

/* Print what book.verify found; the exit status. */
static int
verify_print(struct ctl_ctx *ctx, const struct ctl_book *book,
    const msgpack_object *res, bool repair)
{
	const msgpack_object *problems = cb_map_get(res, "problems");
	char name[CTL_BOOK_NAME_BUF], safe[1024];
	bool ok = ctl_field_bool(res, "ok");
	bool repaired = ctl_field_bool(res, "repaired");

	ctl_sanitize(book->name, name, sizeof name);
	if (ok) {
		printf("book '%s' is consistent: its stored totals match its "
		    "entries\n", name);
		return CTL_EXIT_OK;
	}
	printf("book '%s' has problems:\n", name);
	for (uint32_t i = 0; problems != NULL &&
	    problems->type == MSGPACK_OBJECT_ARRAY &&
	    i < problems->via.array.size; i++) {
		const msgpack_object *o = &problems->via.array.ptr[i];
		size_t n;

		if (o->type != MSGPACK_OBJECT_STR)
			continue;
		n = o->via.str.size < sizeof safe - 1 ? o->via.str.size :
		    sizeof safe - 1;
		memcpy(safe, o->via.str.ptr, n);
		safe[n] = '\0';
		ctl_sanitize(safe, safe, sizeof safe);
		printf("  - %s\n", safe);
	}
	if (repaired) {
		printf("repaired: the stored figures were rewritten from the "
		    "entries\n");
		return CTL_EXIT_OK;
	}
	return ctl_error(ctx, CTL_EXIT_FAILED, "inconsistent", repair ? NULL :
	    "run 'cashbookctl verify --repair' to rewrite the stored figures "
	    "from the entries", "book '%s' is not consistent", name);
}

static enum ctl_retval
verify_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct ctl_session *s = ctx->session;
	const struct ctl_book *book = ctx->book_found;
	bool repair = ctl_arg_flag(args, "repair");
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	const msgpack_object *res;
	int rc;

	(void)self;
	p = ctl_session_params(s);
	ctl_param_int(s, p, "book_id", book->id);
	if (repair)
		ctl_param_bool(s, p, "repair", true);
	if ((rc = ctl_session_call(s, CB_METHOD_BOOK_VERIFY, p, &reply)) >= 0)
		goto out;
	res = cb_reply_result(reply);
	if (ctx->json) {
		(void)ctl_print_reply_json(reply);
		rc = ctl_field_bool(res, "ok") || ctl_field_bool(res,
		    "repaired") ? CTL_EXIT_OK : CTL_EXIT_FAILED;
		goto out;
	}
	rc = verify_print(ctx, book, res, repair);
out:
	cb_reply_free(reply);
	cb_params_free(p);
	return (enum ctl_retval)rc;
}

static const struct ctl_optdef verify_opts[] = {
	{ "repair", 0, NULL, CTL_T_TEXT, NULL, "rewrite the stored figures "
	    "from the entries (exit status 0 once repaired)", 0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

const struct ctl_cmd ctl_cmd_verify = {
	.name = "verify",
	.opts = verify_opts,
	.method = CB_METHOD_BOOK_VERIFY,
	.summary = "check a book's stored totals against its entries",
	.help =
	    "cashbookd keeps each book's totals and running balances next to "
	    "its\nentries; verify recomputes them from the live entries and "
	    "names every\ndifference.  Exit status 0 when they match, 1 when "
	    "they do not.\n"
	    "With --json: book.verify's result {\"ok\":BOOL,\"stored\":{...},\n"
	    "\"computed\":{...},\"problems\":[...],\"repaired\":BOOL}, with "
	    "the same\nexit status.\n",
	.flags = CTL_CMD_BOOK,
	.exec = verify_exec,
};
