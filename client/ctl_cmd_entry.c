/*
 * ctl_cmd_entry.c -- cashbookctl's commands on single entries: add, show,
 * edit, rm, restore, history.
 *
 * add works on the chosen book (ctl_book.h); the others name an entry by
 * its ID and work on that entry's own book.  Amounts are read exactly in
 * the book's currency (ctl_input.h) and printed with money_format, never
 * through floating point.  add sends an idempotency key (--key, else a
 * random one), so that sending it again after a lost answer (waiting a
 * few seconds for cashbookd to come back, ctl_session_try_again) can
 * never add the entry twice; when even that fails it prints the command
 * that adds it at most once.  edit is never sent twice: a lost answer
 * says to look with show.  Like the other ctl_cmd_*.c
 * files, nothing here talks msgpack-RPC itself or prints an error itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cb_limits.h"
#include "methods.h"

#include "ctl.h"
#include "ctl_book.h"
#include "ctl_fields.h"
#include "ctl_input.h"
#include "ctl_output.h"
#include "ctl_session.h"
#include "ctl_table.h"

/* Largest entry ID accepted on the command line (18 digits). */
#define ENTRY_ID_MAX		INT64_C(999999999999999999)

/* Random bytes in an idempotency key made up by add (hex: twice as many
 * characters, after KEY_PREFIX). */
#define KEY_RANDOM_BYTES	16
#define KEY_PREFIX		"ctl-"
#define KEY_BUF		(sizeof KEY_PREFIX + 2 * KEY_RANDOM_BYTES)

/* The fields --clear may name, and the protocol's key for each. */
static const struct {
	const char *name, *key;
} clear_fields[] = {
	{ "time", "time" },
	{ "category", "category" },
	{ "mode", "mode" },
	{ "party", "party" },
	{ "note", "note" },
	{ "ref", "reference" },
	{ "reference", "reference" },
	{ "tags", "tags" },
};

#define CLEAR_MAX	(sizeof clear_fields / sizeof clear_fields[0])

/* The commands' own options. */
struct entry_opts {
	const char *book;
	const char *type, *amount, *date, *time;
	const char *category, *mode, *party, *note, *ref, *key;
	const char *tags[CB_ENTRY_TAGS_MAX];	/* as split (ctl_tags_split) */
	size_t ntags;
	char tagbuf[CTL_TAGS_SPLIT_BUF];
	const char *clear[CLEAR_MAX];
	size_t nclear;
};

/* The operand ID; -1 with *id, else the exit status. */
static int
parse_id(struct ctl_ctx *ctx, const struct ctl_cmd *cmd, int nargs,
    const char *text, int64_t *id)
{
	if (nargs != 1)
		return ctl_usage(ctx, cmd, "%s needs the entry's ID (see "
		    "'cashbookctl list')", cmd->name);
	return ctl_input_count(ctx, "entry ID", text, 1, ENTRY_ID_MAX, id);
}

/*
 * entry.get of id into *reply and the entry's book into *book: what every
 * command on one entry needs to print amounts.  -1, else the exit status.
 */
static int
entry_fetch(struct ctl_session *s, int64_t id, struct cb_reply **reply,
    const msgpack_object **entry, struct ctl_book *book)
{
	struct cb_params *p = ctl_session_params(s);
	int rc;

	ctl_param_int(s, p, "entry_id", id);
	rc = ctl_session_try(s, CB_METHOD_ENTRY_GET, p, reply);
	cb_params_free(p);
	if (rc != CB_OK && ctl_session_code_is(s, rc, "not_found"))
		return ctl_error(s->ctx, CTL_EXIT_FAILED, "not_found",
		    "'cashbookctl list' shows a book's entries, 'cashbookctl "
		    "list --trash' its trash", "no entry with ID %" PRId64, id);
	if (rc != CB_OK)
		return ctl_session_fail(s, rc);
	*entry = cb_map_get(cb_reply_result(*reply), "entry");
	if (*entry == NULL || (*entry)->type != MSGPACK_OBJECT_MAP)
		return ctl_session_bad_answer(s, CB_METHOD_ENTRY_GET);
	return ctl_book_find_id(s, ctl_field_int(*entry, "book_id"),
	    "the entry", book);
}

/* The value options that add and edit share (not type and amount). */
static void
entry_opts_params(struct ctl_session *s, struct cb_params *p,
    const struct entry_opts *o)
{
	ctl_param_str(s, p, "date", o->date);
	ctl_param_str(s, p, "time", o->time);
	ctl_param_str(s, p, "category", o->category);
	ctl_param_str(s, p, "mode", o->mode);
	ctl_param_str(s, p, "party", o->party);
	ctl_param_str(s, p, "note", o->note);
	ctl_param_str(s, p, "reference", o->ref);
	if (o->ntags > 0)
		ctl_param_str_array(s, p, "tags", o->tags, o->ntags);
}

/* The options add and edit share, from args. */
static void
entry_opts_read(struct entry_opts *o, const struct ctl_args *args)
{
	o->date = ctl_arg(args, "date");
	o->time = ctl_arg(args, "time");
	o->category = ctl_arg(args, "category");
	o->mode = ctl_arg(args, "mode");
	o->party = ctl_arg(args, "party");
	o->note = ctl_arg(args, "note");
	o->ref = ctl_arg(args, "reference");
	o->key = ctl_arg(args, "key");
	o->ntags = ctl_arg_list(args, "tag", o->tags, CB_ENTRY_TAGS_MAX);
}

/* Check the values given, before anything is sent, and split the tags
 * ("--tag family,xmas" is two).  -1 to go on. */
static int
entry_opts_check(struct ctl_ctx *ctx, struct entry_opts *o)
{
	const char *given[CB_ENTRY_TAGS_MAX];
	char why[256];
	int rc, n;

	if ((rc = ctl_input_type(ctx, "--type", o->type)) >= 0 ||
	    (rc = ctl_input_date(ctx, "--date", o->date)) >= 0 ||
	    (rc = ctl_input_time(ctx, "--time", o->time)) >= 0 ||
	    (rc = ctl_input_text(ctx, "category", o->category,
	    CB_ENTRY_TEXT_MAX)) >= 0 ||
	    (rc = ctl_input_text(ctx, "mode", o->mode,
	    CB_ENTRY_TEXT_MAX)) >= 0 ||
	    (rc = ctl_input_text(ctx, "party", o->party,
	    CB_ENTRY_TEXT_MAX)) >= 0 ||
	    (rc = ctl_input_text(ctx, "reference", o->ref,
	    CB_ENTRY_TEXT_MAX)) >= 0 ||
	    (rc = ctl_input_text(ctx, "note", o->note,
	    CB_ENTRY_NOTE_MAX)) >= 0)
		return rc;
	if (o->ntags > 0) {
		memcpy(given, o->tags, o->ntags * sizeof given[0]);
		if ((n = ctl_tags_split(given, o->ntags, o->tags, o->tagbuf,
		    why, sizeof why)) < 0)
			return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL,
			    "%s", why);
		o->ntags = (size_t)n;
	}
	if (o->amount != NULL &&
	    (rc = ctl_input_amount_syntax(ctx, "--amount", o->amount)) >= 0)
		return rc;
	return -1;
}

/* Ask about a likely typing mistake (ctl_input_unusual) unless --yes.
 * -1 to go on. */
static int
entry_confirm(struct ctl_ctx *ctx, const struct ctl_args *args,
    const struct ctl_book *book, int64_t amount, const char *date,
    const char *what)
{
	struct ctl_day today;
	char why[256];

	if (ctl_input_today_day(&today) != 0 || !ctl_input_unusual(amount,
	    book->decimals, book->currency, date, &today, why, sizeof why))
		return -1;
	return ctl_input_confirm(ctx, ctl_arg_flag(args, "yes"), why, what);
}

/* ---- add ---- */

/* A random idempotency key into buf; false when the system has no
 * randomness to give (add then sends none). */
static bool
make_key(char buf[KEY_BUF])
{
	unsigned char raw[KEY_RANDOM_BYTES];
	ssize_t n;
	size_t off = sizeof KEY_PREFIX - 1;

	do
		n = getrandom(raw, sizeof raw, 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof raw)
		return false;
	memcpy(buf, KEY_PREFIX, off);
	for (size_t i = 0; i < sizeof raw; i++) {
		static const char hex[] = "0123456789abcdef";

		buf[off++] = hex[raw[i] >> 4];
		buf[off++] = hex[raw[i] & 15];
	}
	buf[off] = '\0';
	return true;
}

/*
 * Report an add whose answer never came, even after trying again: it may
 * or may not have been added, and the same command with the same key adds
 * it at most once.  date: the day add chose (NULL: given); key: the key
 * add made up (NULL: given).  The exit status.
 */
static int
add_lost(struct ctl_session *s, const struct ctl_args *args, const char *date,
    const char *key, const char *used)
{
	const char *extra[4];
	char cmd[2048], msg[256], hint[sizeof cmd + 128];
	size_t n = 0;

	if (date != NULL) {
		extra[n++] = "--date";
		extra[n++] = date;
	}
	if (key != NULL) {
		extra[n++] = "--key";
		extra[n++] = key;
	}
	ctl_session_command(s->ctx, "add", args, extra, n, cmd, sizeof cmd);
	snprintf(msg, sizeof msg, "cashbookd did not answer, even after "
	    "waiting %d s for it to come back: the entry may or may not have "
	    "been added (idempotency key %s)", CB_CTL_RECONNECT_MS / 1000, used);
	snprintf(hint, sizeof hint, "once cashbookd runs again, this adds it "
	    "at most once (or says it was already added):\n  %s", cmd);
	ctl_print_error(s->ctx->json, NULL, "answer_lost", msg, hint);
	return CTL_EXIT_FAILED;
}

static void
add_print(const struct ctl_book *book, const char *type, int64_t amount,
    const char *date, const msgpack_object *res)
{
	char a[CTL_AMOUNT_BUF], bal[CTL_AMOUNT_BUF];
	int64_t id = ctl_field_int(res, "entry_id");

	ctl_amount_text(amount, book->decimals, a, sizeof a);
	ctl_field_amount(res, "balance", book->decimals, bal, sizeof bal);
	if (ctl_field_bool(res, "replayed"))
		printf("entry %" PRId64 " was already added with this "
		    "idempotency key; nothing new was added; balance %s %s\n",
		    id, bal, book->currency);
	else
		printf("added entry %" PRId64 ": %s %s %s on %s; balance %s "
		    "%s\n", id, type, a, book->currency, date, bal,
		    book->currency);
}

static enum ctl_retval
add_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	char **argv = args->argv;
	int nargs = args->nargs;
	struct entry_opts o = { 0 };
	struct ctl_session s;
	struct ctl_book book;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	char today[CTL_DATE_BUF], key[KEY_BUF];
	int64_t amount;
	int rc;

	memset(&s, 0, sizeof s);
	(void)self;
	(void)nargs;
	entry_opts_read(&o, args);
	o.type = argv[1];
	o.amount = argv[2];
	if ((rc = ctl_input_type(ctx, "type", o.type)) >= 0 ||
	    (rc = ctl_input_amount_syntax(ctx, "amount", o.amount)) >= 0 ||
	    (rc = entry_opts_check(ctx, &o)) >= 0)
		return rc;
	if (o.date == NULL) {
		if (ctl_input_today(today) != 0)
			return ctl_error(ctx, CTL_EXIT_FAILED, "clock", NULL,
			    "cannot tell today's date; give --date "
			    "YYYY-MM-DD");
		o.date = today;
	}
	if (o.key == NULL && make_key(key))
		o.key = key;
	if ((rc = ctl_book_open(&s, ctx, NULL, &book)) >= 0 ||
	    (rc = ctl_input_amount(ctx, "amount", o.amount, &book,
	    &amount)) >= 0 ||
	    (rc = entry_confirm(ctx, args, &book, amount, o.date, "add "
	    "it")) >= 0)
		goto out;
	p = ctl_session_params(&s);
	ctl_param_int(&s, p, "book_id", book.id);
	ctl_param_str(&s, p, "type", o.type);
	ctl_param_int(&s, p, "amount", amount);
	entry_opts_params(&s, p, &o);
	ctl_param_str(&s, p, "idempotency_key", o.key);
	rc = o.key != NULL ? ctl_session_try_again(&s, CB_METHOD_ENTRY_ADD, p,
	    &reply) : ctl_session_try(&s, CB_METHOD_ENTRY_ADD, p, &reply);
	if (rc != CB_OK) {
		rc = o.key != NULL && ctl_session_answer_lost(&s, rc) ?
		    add_lost(&s, args, o.date == today ? today : NULL,
		    o.key == key ? key : NULL, o.key) : ctl_session_fail(&s, rc);
		goto out;
	}
	if (ctx->json)
		rc = ctl_print_reply_json(reply);
	else {
		add_print(&book, o.type, amount, o.date,
		    cb_reply_result(reply));
		rc = CTL_EXIT_OK;
	}
out:
	cb_reply_free(reply);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

/* The fields of an entry, as add and edit take them. */
#define ENTRY_FIELD_OPTS \
	{ "date", 'd', "YYYY-MM-DD", CTL_T_DATE, NULL, "the day (add: "	\
	    "default today, local time)", 0, 0, NULL },			\
	{ "time", 0, "HH:MM", CTL_T_TEXT, NULL, "the time of day, 24 h", \
	    0, 0, NULL },						\
	{ "category", 'c', "C", CTL_T_CATEGORY, NULL, "e.g. Food, Rent, " \
	    "Salary", 0, 0, NULL },					\
	{ "mode", 'm', "M", CTL_T_WORDS, "Cash Online Card UPI Bank "	\
	    "Other", "how it was paid: Cash, Online, Card, UPI, Bank "	\
	    "Transfer, Other (free text)", 0, 0, NULL },		\
	{ "party", 'p', "P", CTL_T_TEXT, NULL, "who paid or was paid", 0, \
	    0, NULL },							\
	{ "note", 'n', "N", CTL_T_TEXT, NULL, "anything else (may have " \
	    "several lines)", 0, 0, NULL },				\
	{ "reference", 'r', "R", CTL_T_TEXT, NULL, "a reference: receipt " \
	    "or invoice number", 0, 0, NULL },				\
	{ "ref", 0, "R", CTL_T_TEXT, NULL, NULL, CTL_OPT_HIDDEN, 0,	\
	    "reference" },						\
	{ "tag", 't', "T[,T...]", CTL_T_TEXT, NULL, "tags, ',' between " \
	    "them (family,xmas); or give it again (at most 20 tags)",	\
	    CTL_OPT_MULTI, CB_ENTRY_TAGS_MAX, NULL },			\
	{ "yes", 'y', NULL, CTL_T_TEXT, NULL, "do not ask about an amount " \
	    "over 1,000,000 or a date over a year ahead", 0, 0, NULL }

static const struct ctl_optdef add_opts[] = {
	ENTRY_FIELD_OPTS,
	{ "key", 'k', "KEY", CTL_T_TEXT, NULL, "an idempotency key: adding "
	    "again with the same key and fields adds nothing (default: a "
	    "random one)", 0, 0, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

static const struct ctl_operand add_operands[] = {
	{ "in|out", CTL_T_WORDS, "in out", 0 },
	{ "AMOUNT", CTL_T_AMOUNT, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

const struct ctl_cmd ctl_cmd_add = {
	.name = "add",
	.opts = add_opts,
	.operands = add_operands,
	.needs = "'in' or 'out' and an AMOUNT",
	.method = CB_METHOD_ENTRY_ADD,
	.summary = "add an entry: money in or out",
	.help =
	    "Adds money received (in) or paid (out) to the chosen book, e.g.\n"
	    "  cashbookctl add out 12.50 --category Food --mode Cash\n"
	    "  added entry 7: out 12.50 EUR on 2026-01-05; balance 237.50 EUR\n"
	    "AMOUNT is exact, in the book's currency: digits and at most one "
	    "'.',\nwith no more decimals than the currency has (12, 12.5, "
	    "12.50 for EUR;\n1250 for JPY); no sign, no thousands separators, "
	    "more than 0.\n"
	    "The book is the one -b/--book NAME|ID names, else the one 'book "
	    "use' chose.\n"
	    "--date takes YYYY-MM-DD, today, yesterday, or an offset: -3d, "
	    "-2w, -1m, -1y\n(a month back keeps the day, or takes the "
	    "month's last).\n"
	    "--tag family,xmas gives two tags; a tag cannot hold ';'.\n"
	    "An amount over 1,000,000 in the book's currency or a date over "
	    "a year\nahead is asked about at a terminal, warned about "
	    "otherwise; -y/--yes\nskips that.\n"
	    "When the answer is lost (connection lost, timeout), add waits up "
	    "to 5 s\nfor cashbookd to come back and sends it again (cashbookd "
	    "busy: once\nmore); the key makes sure the entry is added once, "
	    "and the answer says\nif it was already.  Without an answer even "
	    "then, add prints the key and\nthe command that adds the entry at "
	    "most once (exit status 1).\n"
	    "Exit status 2 when a value is refused before sending (e.g. "
	    "12.505 for\nEUR).  With --json: {\"entry_id\":N,\"balance\":"
	    "MINOR,\"replayed\":BOOL}.\n",
	.exec = add_exec,
};

/* ---- show ---- */

/* An item whose value is text from the server, cleaned for the
 * terminal; left out when empty. */
static void
item_text(const char *label, const msgpack_object *m, const char *key)
{
	char text[CTL_TEXT_BUF], clean[CTL_TEXT_BUF];

	ctl_field_text(m, key, text, sizeof text);
	ctl_text_clean(text, clean, sizeof clean);
	if (clean[0] != '\0')
		ctl_print_item(label, "%s", clean);
}

static void
show_print(const msgpack_object *e, const struct ctl_book *book)
{
	char buf[CTL_TEXT_BUF], clean[CTL_TEXT_BUF], when[64];
	bool trashed = ctl_field_bool(e, "deleted");

	ctl_print_item("entry", "%" PRId64 "%s", ctl_field_int(e, "entry_id"),
	    trashed ? " (in the trash)" : "");
	ctl_text_clean(book->name, clean, sizeof clean);
	ctl_print_item("book", "%s (ID %" PRId64 ")", clean, book->id);
	item_text("type", e, "type");
	ctl_field_amount(e, "amount", book->decimals, buf, sizeof buf);
	ctl_print_item("amount", "%s %s", buf, book->currency);
	item_text("date", e, "date");
	item_text("time", e, "time");
	item_text("category", e, "category");
	item_text("mode", e, "mode");
	item_text("party", e, "party");
	item_text("note", e, "note");
	item_text("reference", e, "reference");
	ctl_field_tags(e, "tags", ", ", buf, sizeof buf);
	ctl_text_clean(buf, clean, sizeof clean);
	if (clean[0] != '\0')
		ctl_print_item("tags", "%s", clean);
	item_text("key", e, "idempotency_key");
	ctl_unix_text(ctl_field_int(e, "created_at"), when, sizeof when);
	ctl_print_item("created", "%s by user %" PRId64, when,
	    ctl_field_int(e, "created_by"));
	ctl_unix_text(ctl_field_int(e, "updated_at"), when, sizeof when);
	ctl_print_item("updated", "%s by user %" PRId64, when,
	    ctl_field_int(e, "updated_by"));
}

static enum ctl_retval
show_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	char **argv = args->argv;
	int nargs = args->nargs;
	struct ctl_session s;
	struct ctl_book book;
	struct cb_reply *reply = NULL;
	const msgpack_object *entry;
	int64_t id;
	int rc;

	memset(&s, 0, sizeof s);
	if ((rc = parse_id(ctx, self, nargs, argv[1], &id)) >= 0)
		return rc;
	if ((rc = ctl_session_begin(&s, ctx)) >= 0 ||
	    (rc = entry_fetch(&s, id, &reply, &entry, &book)) >= 0)
		goto out;
	if (ctx->json)
		rc = ctl_print_reply_json(reply);
	else {
		show_print(entry, &book);
		rc = CTL_EXIT_OK;
	}
out:
	cb_reply_free(reply);
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_operand id_operand[] = {
	{ "ID", CTL_T_NUMBER, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

/* restore: an entry's ID, or a backup file (anything not a number). */
static const struct ctl_operand restore_operand[] = {
	{ "ID|FILE", CTL_T_FILE, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

const struct ctl_cmd ctl_cmd_show = {
	.name = "show",
	.operands = id_operand,
	.needs = "the entry's ID (see 'cashbookctl list')",
	.method = CB_METHOD_ENTRY_GET,
	.summary = "show one entry in full",
	.help =
	    "Every field of the entry, trashed or not: type, amount (in its "
	    "book's\ncurrency), date, time, category, mode, party, note, "
	    "reference, tags,\nidempotency key, and who created and last "
	    "changed it when.\n"
	    "With --json: {\"entry\":{...}}, the amount in minor units.\n",
	.exec = show_exec,
};

/* ---- edit ---- */

/* The protocol key of a --clear FIELD, or NULL. */
static const char *
clear_key(const char *name)
{
	for (size_t i = 0; i < CLEAR_MAX; i++) {
		if (strcmp(clear_fields[i].name, name) == 0)
			return clear_fields[i].key;
	}
	return NULL;
}

/* Whether a value for the protocol key was given as well. */
static bool
edit_sets(const struct entry_opts *o, const char *key)
{
	return (strcmp(key, "time") == 0 && o->time != NULL) ||
	    (strcmp(key, "category") == 0 && o->category != NULL) ||
	    (strcmp(key, "mode") == 0 && o->mode != NULL) ||
	    (strcmp(key, "party") == 0 && o->party != NULL) ||
	    (strcmp(key, "note") == 0 && o->note != NULL) ||
	    (strcmp(key, "reference") == 0 && o->ref != NULL) ||
	    (strcmp(key, "tags") == 0 && o->ntags > 0);
}

/* Check edit's options: something to change, --clear FIELDs known and
 * not also given a value.  -1 to go on. */
static int
edit_check(struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    struct entry_opts *o)
{
	const char *key;

	for (size_t i = 0; i < o->nclear; i++) {
		if ((key = clear_key(o->clear[i])) == NULL)
			return ctl_usage(ctx, cmd, "%s: --clear '%s': give one "
			    "of time, category, mode, party, note, ref, tags",
			    cmd->name, o->clear[i]);
		if (edit_sets(o, key))
			return ctl_usage(ctx, cmd, "%s: --clear %s and a new "
			    "%s at once; give one of them", cmd->name,
			    o->clear[i], o->clear[i]);
	}
	if (o->nclear == 0 && o->ntags == 0 && o->type == NULL &&
	    o->amount == NULL && o->date == NULL && o->time == NULL &&
	    o->category == NULL && o->mode == NULL && o->party == NULL &&
	    o->note == NULL && o->ref == NULL)
		return ctl_usage(ctx, cmd, "%s: nothing to change; give a "
		    "field to set (e.g. --amount 12.50) or --clear FIELD",
		    cmd->name);
	return entry_opts_check(ctx, o);
}

/* "VERB entry ID[ WHERE]; balance B CUR" for a result with a balance. */
static void
print_done(const char *verb, int64_t id, const char *where,
    const struct ctl_book *book, const msgpack_object *res)
{
	char bal[CTL_AMOUNT_BUF];

	ctl_field_amount(res, "balance", book->decimals, bal, sizeof bal);
	printf("%s entry %" PRId64 "%s; balance %s %s\n", verb, id, where, bal,
	    book->currency);
}

/*
 * Report an edit whose answer never came.  It is not sent again: an edit
 * has no idempotency key, and sending it twice could undo a change someone
 * made in between; the user looks and decides.  The exit status.
 */
static int
edit_lost(struct ctl_ctx *ctx, int64_t id)
{
	char cmd[1024], hint[sizeof cmd + 64], num[24], msg[128];
	const char *show[] = { num };

	snprintf(num, sizeof num, "%" PRId64, id);
	ctl_session_command(ctx, "show", NULL, show, 1, cmd, sizeof cmd);
	snprintf(msg, sizeof msg, "the answer from cashbookd was lost: entry "
	    "%" PRId64 " may or may not have been changed", id);
	snprintf(hint, sizeof hint, "check it with: %s", cmd);
	ctl_print_error(ctx->json, NULL, "answer_lost", msg, hint);
	return CTL_EXIT_FAILED;
}

static enum ctl_retval
edit_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	char **argv = args->argv;
	int nargs = args->nargs;
	struct entry_opts o = { 0 };
	struct ctl_session s;
	struct ctl_book book;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL, *got = NULL;
	const msgpack_object *entry;
	int64_t id, amount = 0;
	int rc;

	memset(&s, 0, sizeof s);
	entry_opts_read(&o, args);
	o.type = ctl_arg(args, "type");
	o.amount = ctl_arg(args, "amount");
	o.nclear = ctl_arg_list(args, "clear", o.clear, CLEAR_MAX);
	if ((rc = parse_id(ctx, self, nargs, argv[1], &id)) >= 0 ||
	    (rc = edit_check(ctx, self, &o)) >= 0)
		return rc;
	if ((rc = ctl_session_begin(&s, ctx)) >= 0 ||
	    (rc = entry_fetch(&s, id, &got, &entry, &book)) >= 0 ||
	    (o.amount != NULL && (rc = ctl_input_amount(ctx, "--amount",
	    o.amount, &book, &amount)) >= 0) ||
	    (rc = entry_confirm(ctx, args, &book, amount, o.date, "change "
	    "it")) >= 0)
		goto out;
	p = ctl_session_params(&s);
	ctl_param_int(&s, p, "entry_id", id);
	ctl_param_str(&s, p, "type", o.type);
	if (o.amount != NULL)
		ctl_param_int(&s, p, "amount", amount);
	entry_opts_params(&s, p, &o);
	for (size_t i = 0; i < o.nclear; i++) {
		const char *key = clear_key(o.clear[i]);
		bool twice = false;

		/* "--clear ref --clear reference" is one key. */
		for (size_t j = 0; j < i; j++)
			twice |= strcmp(clear_key(o.clear[j]), key) == 0;
		if (!twice)
			ctl_param_nil(&s, p, key);
	}
	if ((rc = ctl_session_try(&s, CB_METHOD_ENTRY_UPDATE, p, &reply)) !=
	    CB_OK) {
		rc = ctl_session_answer_lost(&s, rc) ? edit_lost(ctx, id) :
		    ctl_session_fail(&s, rc);
		goto out;
	}
	if (ctx->json)
		rc = ctl_print_reply_json(reply);
	else {
		print_done("updated", id, "", &book, cb_reply_result(reply));
		rc = CTL_EXIT_OK;
	}
out:
	cb_reply_free(reply);
	cb_reply_free(got);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

static const struct ctl_optdef edit_opts[] = {
	{ "type", 0, "in|out", CTL_T_WORDS, "in out", "money in or out", 0, 0,
	    NULL },
	{ "amount", 0, "A", CTL_T_AMOUNT, NULL, "the amount, as for add", 0, 0,
	    NULL },
	ENTRY_FIELD_OPTS,
	{ "clear", 0, "FIELD", CTL_T_WORDS, "time category mode party note "
	    "reference tags", "remove a field's value: time, category, mode, "
	    "party, note, reference (or ref), or tags; again for more",
	    CTL_OPT_MULTI, CLEAR_MAX, NULL },
	{ NULL, 0, NULL, 0, NULL, NULL, 0, 0, NULL },
};

const struct ctl_cmd ctl_cmd_edit = {
	.name = "edit",
	.opts = edit_opts,
	.operands = id_operand,
	.needs = "the entry's ID (see 'cashbookctl list')",
	.method = CB_METHOD_ENTRY_UPDATE,
	.summary = "change fields of an entry",
	.help =
	    "Changes only the fields given; the others stay.  The values are "
	    "as for\n'add' (see 'cashbookctl help add').  --tag replaces all "
	    "the tags with\nthe ones given.\n"
	    "Every change is kept in the entry's history ('cashbookctl "
	    "history ID').\nAn entry in the trash must be restored first.\n"
	    "When the answer is lost, edit is not sent again (it has no key, "
	    "and\ncould undo a change made meanwhile): it may or may not have "
	    "been made;\ncheck with 'cashbookctl show ID' (exit status 1).\n"
	    "With --json: {\"entry\":{...},\"balance\":MINOR}.\n",
	.exec = edit_exec,
};

/* ---- rm, restore ---- */

/* rm and restore: method on the entry ID in argv[1]. */
static enum ctl_retval
trash_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx, int nargs,
    char **argv, const char *method, bool to_trash)
{
	struct ctl_session s;
	struct ctl_book book;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL, *got = NULL;
	const msgpack_object *entry;
	int64_t id;
	int rc;

	memset(&s, 0, sizeof s);
	if ((rc = parse_id(ctx, self, nargs, argv[1], &id)) >= 0)
		return rc;
	if ((rc = ctl_session_begin(&s, ctx)) >= 0 ||
	    (rc = entry_fetch(&s, id, &got, &entry, &book)) >= 0)
		goto out;
	p = ctl_session_params(&s);
	ctl_param_int(&s, p, "entry_id", id);
	if ((rc = ctl_session_call(&s, method, p, &reply)) >= 0)
		goto out;
	if (ctx->json) {
		rc = ctl_print_reply_json(reply);
		goto out;
	}
	print_done(to_trash ? "moved" : "restored", id, to_trash ?
	    " to the trash" : " from the trash", &book, cb_reply_result(reply));
	if (to_trash)
		printf("undo with: cashbookctl restore %" PRId64 "\n", id);
	rc = CTL_EXIT_OK;
out:
	cb_reply_free(reply);
	cb_reply_free(got);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

static enum ctl_retval
rm_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	return trash_exec(self, ctx, args->nargs, args->argv,
	    CB_METHOD_ENTRY_DELETE, true);
}

const struct ctl_cmd ctl_cmd_rm = {
	.name = "rm",
	.operands = id_operand,
	.needs = "the entry's ID (see 'cashbookctl list')",
	.method = CB_METHOD_ENTRY_DELETE,
	.summary = "move an entry to the trash",
	.help =
	    "The entry leaves the balance, the lists and the reports, but "
	    "is kept:\n'cashbookctl list --trash' shows the trash, "
	    "'cashbookctl restore ID'\nbrings it back.\n"
	    "With --json: {\"balance\":MINOR}.\n",
	.flags = CTL_CMD_WHOLE,
	.exec = rm_exec,
};

static enum ctl_retval
restore_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	const char *arg = args->nargs > 0 ? args->argv[1] : "";

	/* restore ID brings an entry back; restore FILE, a database. */
	if (arg[0] != '\0' && arg[strspn(arg, "0123456789")] != '\0')
		return ctl_restore_database(ctx, arg);
	return trash_exec(self, ctx, args->nargs, args->argv,
	    CB_METHOD_ENTRY_RESTORE, false);
}

const struct ctl_cmd ctl_cmd_restore = {
	.name = "restore",
	.operands = restore_operand,
	.needs = "the entry's ID (see 'cashbookctl list'), or a backup FILE",
	.method = CB_METHOD_ENTRY_RESTORE,
	.summary = "bring an entry back from the trash, or a database from a "
	    "backup",
	.help =
	    "restore ID: the entry counts again in the balance, the lists and "
	    "the\nreports.  With --json: {\"entry\":{...},\"balance\":MINOR}.\n"
	    "restore FILE (any argument that is not a number; a file named by\n"
	    "digits alone is ./NAME): checks FILE (a sound SQLite file, a\n"
	    "cashbook database, a schema no newer than cashbookd's; an older one\n"
	    "is migrated), lets the requests in flight finish, swaps FILE in for\n"
	    "the database and goes on serving; requests that arrive meanwhile\n"
	    "wait, or get 'unavailable' past their deadline.  The database it\n"
	    "replaces is kept beside it as DB.before-restore-DATE.  Only the OS\n"
	    "user cashbookd runs as, or root, may.  With cashbookd stopped:\n"
	    "cashbookd --restore FILE.  With --json: server.restore's result.\n",
	.exec = restore_exec,
};

/* ---- history ---- */

/* An entry's fields, in the order history shows their changes. */
static const char *const history_fields[] = {
	"type", "amount", "date", "time", "category", "mode", "party", "note",
	"reference", "tags",
};

#define HISTORY_NFIELDS	\
	(sizeof history_fields / sizeof history_fields[0])

/* Text appended to a fixed buffer, cut when full. */
struct text_buf {
	char *buf;
	size_t len, used;
};

static void
text_add(struct text_buf *t, const char *s)
{
	size_t n = strlen(s);

	if (t->used + 1 >= t->len)
		return;
	if (n > t->len - t->used - 1)
		n = t->len - t->used - 1;
	memcpy(t->buf + t->used, s, n);
	t->used += n;
	t->buf[t->used] = '\0';
}

/* The value of fields' key as text: "(none)" for nil or no tags. */
static void
field_value(const msgpack_object *fields, const char *key,
    const struct ctl_book *book, char *buf, size_t len)
{
	if (strcmp(key, "amount") == 0)
		ctl_field_amount(fields, key, book->decimals, buf, len);
	else if (strcmp(key, "tags") == 0)
		ctl_field_tags(fields, key, ", ", buf, len);
	else
		ctl_field_text(fields, key, buf, len);
	if (buf[0] == '\0')
		snprintf(buf, len, "(none)");
}

/* Whether key has the same value in a and b (a missing key is nil). */
static bool
field_same(const msgpack_object *a, const msgpack_object *b,
    const char *key)
{
	static const msgpack_object nil = { .type = MSGPACK_OBJECT_NIL };
	const msgpack_object *x = cb_map_get(a, key), *y = cb_map_get(b, key);

	return msgpack_object_equal(x != NULL ? *x : nil, y != NULL ? *y : nil);
}

/* What an event changed, into t: every field of a create, each changed
 * field of an update ("amount 12.50 -> 15.00"). */
static void
history_changes(struct text_buf *t, const char *action,
    const msgpack_object *before, const msgpack_object *after,
    const struct ctl_book *book)
{
	char *from = malloc(CTL_TEXT_BUF), *to = malloc(CTL_TEXT_BUF);
	bool create = strcmp(action, "create") == 0;
	bool first = true;

	if (from == NULL || to == NULL) {
		text_add(t, "?");
		goto out;
	}
	if (strcmp(action, "delete") == 0)
		text_add(t, "moved to the trash");
	else if (strcmp(action, "restore") == 0)
		text_add(t, "restored from the trash");
	for (size_t i = 0; i < HISTORY_NFIELDS && (create ||
	    strcmp(action, "update") == 0); i++) {
		const char *key = history_fields[i];

		field_value(after, key, book, to, CTL_TEXT_BUF);
		if (create ? strcmp(to, "(none)") == 0 :
		    field_same(before, after, key))
			continue;
		text_add(t, first ? "" : create ? ", " : "; ");
		first = false;
		text_add(t, key);
		text_add(t, " ");
		if (!create) {
			field_value(before, key, book, from, CTL_TEXT_BUF);
			text_add(t, from);
			text_add(t, " -> ");
		}
		text_add(t, to);
	}
out:
	free(from);
	free(to);
}

static const struct ctl_col history_cols[] = {
	{ "WHEN", NULL, 0, 0, CTL_COLOR_NONE },
	{ "WHO", NULL, 0, 20, CTL_COLOR_NONE },
	{ "ACTION", NULL, 0, 0, CTL_COLOR_NONE },
	{ "CHANGES", NULL, 0, 0, CTL_COLOR_NONE },
};

#define HISTORY_NCOLS	(sizeof history_cols / sizeof history_cols[0])

/* One table row for the history event ev. */
static int
history_row(struct ctl_table *t, const msgpack_object *ev,
    const struct ctl_book *book)
{
	char when[64], who[128], action[16];
	char *changes = malloc(4 * CTL_TEXT_BUF);
	struct text_buf tb = { changes, 4 * CTL_TEXT_BUF, 0 };
	const char *cells[HISTORY_NCOLS];
	int rc;

	if (changes == NULL)
		return -1;
	changes[0] = '\0';
	ctl_unix_text(ctl_field_int(ev, "at"), when, sizeof when);
	ctl_field_text(ev, "username", who, sizeof who);
	if (who[0] == '\0')
		snprintf(who, sizeof who, "user %" PRId64,
		    ctl_field_int(ev, "user_id"));
	ctl_field_text(ev, "action", action, sizeof action);
	history_changes(&tb, action, cb_map_get(ev, "before"),
	    cb_map_get(ev, "after"), book);
	cells[0] = when;
	cells[1] = who;
	cells[2] = action;
	cells[3] = changes;
	rc = ctl_table_add(t, cells);
	free(changes);
	return rc;
}

static int
history_print(struct ctl_ctx *ctx, const msgpack_object *events,
    const struct ctl_book *book)
{
	struct ctl_table *t = ctl_table_new(history_cols, HISTORY_NCOLS);

	for (uint32_t i = 0; t != NULL && i < events->via.array.size; i++) {
		if (history_row(t, &events->via.array.ptr[i], book) != 0) {
			ctl_table_free(t);
			t = NULL;
		}
	}
	if (t == NULL)
		return ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	return CTL_EXIT_OK;
}

static enum ctl_retval
history_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	char **argv = args->argv;
	int nargs = args->nargs;
	struct ctl_session s;
	struct ctl_book book;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL, *got = NULL;
	const msgpack_object *entry, *events;
	int64_t id;
	int rc;

	memset(&s, 0, sizeof s);
	if ((rc = parse_id(ctx, self, nargs, argv[1], &id)) >= 0)
		return rc;
	if ((rc = ctl_session_begin(&s, ctx)) >= 0 ||
	    (rc = entry_fetch(&s, id, &got, &entry, &book)) >= 0)
		goto out;
	p = ctl_session_params(&s);
	ctl_param_int(&s, p, "entry_id", id);
	if ((rc = ctl_session_call(&s, CB_METHOD_ENTRY_HISTORY, p,
	    &reply)) >= 0)
		goto out;
	if (ctx->json) {
		rc = ctl_print_reply_json(reply);
		goto out;
	}
	events = cb_map_get(cb_reply_result(reply), "history");
	if (events == NULL || events->type != MSGPACK_OBJECT_ARRAY)
		rc = ctl_session_bad_answer(&s, CB_METHOD_ENTRY_HISTORY);
	else
		rc = history_print(ctx, events, &book);
out:
	cb_reply_free(reply);
	cb_reply_free(got);
	cb_params_free(p);
	ctl_session_end(&s);
	return rc;
}

const struct ctl_cmd ctl_cmd_history = {
	.name = "history",
	.operands = id_operand,
	.needs = "the entry's ID (see 'cashbookctl list')",
	.method = CB_METHOD_ENTRY_HISTORY,
	.summary = "show every change made to an entry",
	.help =
	    "Oldest first: when, who, what (create, update, delete, restore) "
	    "and\nwhich fields changed from what to what, e.g.\n"
	    "  WHEN              WHO    ACTION  CHANGES\n"
	    "  2026-01-05 10:31  alice  create  type out, amount 12.50, date "
	    "2026-01-05\n"
	    "  2026-01-06 09:12  alice  update  amount 12.50 -> 15.00\n"
	    "With --json: {\"history\":[{\"at\",\"user_id\",\"username\","
	    "\"action\",\n\"before\",\"after\"}, ...]}.\n",
	.exec = history_exec,
};
