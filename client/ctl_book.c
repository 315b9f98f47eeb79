/*
 * ctl_book.c -- choosing the book a command works on, finding it in
 * cashbookd (by ID, NAME or OWNER/NAME), and the default book file.  See
 * ctl_book.h.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_limits.h"
#include "errbuf.h"
#include "methods.h"
#include "money.h"

#include "ctl_book.h"
#include "ctl_fields.h"
#include "ctl_file.h"
#include "ctl_input.h"
#include "ctl_output.h"

#define CTL_BOOK_FILE_NAME	"book"
#define CTL_BOOK_WHAT		"default book file"

#define HINT_BOOK_LIST		"'cashbookctl book list' shows your books"

/* ---- the default book file ---- */

static int
default_path(char *buf, size_t len, char *err, size_t errlen)
{
	return ctl_file_path(CTL_BOOK_FILE_NAME, CTL_BOOK_WHAT, buf, len, err,
	    errlen);
}

int
ctl_book_default_get(int64_t *id, char *err, size_t errlen)
{
	char path[PATH_MAX], data[32];
	int rc;

	if (default_path(path, sizeof path, err, errlen) != 0)
		return CTL_FILE_ERROR;
	rc = ctl_file_read(path, data, sizeof data, CTL_BOOK_WHAT, err,
	    errlen);
	if (rc != CTL_FILE_OK)
		return rc;
	if (!ctl_input_digits(data, id)) {
		errbuf_set(err, errlen, "the %s %s does not hold a book ID; "
		    "choose the book again with 'cashbookctl book use NAME'",
		    CTL_BOOK_WHAT, path);
		return CTL_FILE_ERROR;
	}
	return CTL_FILE_OK;
}

int
ctl_book_default_set(int64_t id, char *err, size_t errlen)
{
	char path[PATH_MAX], data[32];
	int n;

	if (default_path(path, sizeof path, err, errlen) != 0)
		return -1;
	n = snprintf(data, sizeof data, "%" PRId64 "\n", id);
	return ctl_file_write(path, data, (size_t)n, CTL_BOOK_WHAT, err,
	    errlen);
}

int
ctl_book_default_clear(bool *removed, char *err, size_t errlen)
{
	char path[PATH_MAX];

	*removed = false;
	if (default_path(path, sizeof path, err, errlen) != 0)
		return -1;
	return ctl_file_remove(path, removed, CTL_BOOK_WHAT, err, errlen);
}

void
ctl_book_forget_default(struct ctl_ctx *ctx, const struct ctl_book *book)
{
	char err[PATH_MAX + 256];
	bool removed;
	int64_t id;

	if (ctl_book_default_get(&id, err, sizeof err) != CTL_FILE_OK ||
	    id != book->id)
		return;
	if (ctl_book_default_clear(&removed, err, sizeof err) != 0) {
		(void)ctl_error(ctx, CTL_EXIT_FAILED, "book_file", NULL, "%s",
		    err);
		return;
	}
	if (!ctx->json)
		printf("it was your default book; choose another with "
		    "'cashbookctl book use NAME'\n");
}

/* ---- choosing ---- */

int
ctl_book_pick(struct ctl_ctx *ctx, const char *opt, struct ctl_book_ref *ref)
{
	const char *env = getenv(CTL_BOOK_ENV);
	char err[PATH_MAX + 256];

	memset(ref, 0, sizeof *ref);
	if (opt != NULL || ctx->book != NULL) {
		ref->text = opt != NULL ? opt : ctx->book;
		ref->source = "--book";
	} else if (env != NULL && env[0] != '\0') {
		ref->text = env;
		ref->source = CTL_BOOK_ENV;
	} else {
		switch (ctl_book_default_get(&ref->id, err, sizeof err)) {
		case CTL_FILE_OK:
			ref->source = "the default book";
			return -1;
		case CTL_FILE_NONE:
			return ctl_error(ctx, CTL_EXIT_USAGE, "no_book", NULL,
			    "no book chosen; run 'cashbookctl book use NAME' "
			    "or pass --book");
		default:
			return ctl_error(ctx, CTL_EXIT_FAILED, "book_file",
			    NULL, "%s", err);
		}
	}
	if (ref->text[0] == '\0')
		return ctl_error(ctx, CTL_EXIT_USAGE, "usage", NULL, "%s is "
		    "empty; give a book's name or ID", ref->source);
	return -1;
}

void
ctl_book_ref_arg(struct ctl_book_ref *ref, const char *text)
{
	memset(ref, 0, sizeof *ref);
	ref->text = text;
	ref->source = "the command line";
}

int
ctl_book_from_object(const msgpack_object *o, struct ctl_book *book)
{
	char role[16];
	int64_t decimals;
	int rc;

	if (cb_map_get_int(o, "book_id", &book->id) != CB_OK ||
	    cb_map_get_str(o, "currency", book->currency,
	    sizeof book->currency) != CB_OK ||
	    cb_map_get_int(o, "decimals", &decimals) != CB_OK ||
	    decimals < 0 || decimals > CB_MONEY_MAX_DECIMALS)
		return -1;
	/* A name longer than the buffer is cut: it is only shown. */
	rc = cb_map_get_str(o, "name", book->name, sizeof book->name);
	if (rc != CB_OK && rc != CB_EINVAL)
		return -1;
	book->decimals = (int)decimals;
	/* Both missing from a cashbookd before sharing: then it is yours. */
	ctl_field_text(o, "owner_username", book->owner, sizeof book->owner);
	ctl_field_text(o, "role", role, sizeof role);
	book->member = strcmp(role, "member") == 0;
	return 0;
}

int
ctl_book_get(struct ctl_session *s, int64_t id, struct ctl_book *book)
{
	struct cb_params *p = ctl_session_params(s);
	struct cb_reply *reply = NULL;
	int rc;

	ctl_param_int(s, p, "book_id", id);
	rc = ctl_session_try(s, CB_METHOD_BOOK_GET, p, &reply);
	cb_params_free(p);
	if (rc != CB_OK)
		return rc;
	if (ctl_book_from_object(cb_map_get(cb_reply_result(reply), "book"),
	    book) != 0)
		rc = CTL_BOOK_BAD_ANSWER;
	cb_reply_free(reply);
	return rc;
}

/* The book with ID id, by book.get. */
static int
find_by_id(struct ctl_session *s, const struct ctl_book_ref *ref, int64_t id,
    struct ctl_book *book)
{
	int rc = ctl_book_get(s, id, book);

	if (rc == CTL_BOOK_BAD_ANSWER)
		return ctl_session_bad_answer(s, CB_METHOD_BOOK_GET);
	if (rc != CB_OK && ctl_session_code_is(s, rc, "not_found")) {
		if (ref->text == NULL)
			return ctl_error(s->ctx, CTL_EXIT_FAILED, "not_found",
			    HINT_BOOK_LIST, "your default book (ID %" PRId64
			    ") no longer exists; choose another with "
			    "'cashbookctl book use NAME'", id);
		return ctl_error(s->ctx, CTL_EXIT_FAILED, "not_found",
		    HINT_BOOK_LIST, "no book with ID %" PRId64 " (from %s)",
		    id, ref->source);
	}
	if (rc != CB_OK)
		return ctl_session_fail(s, rc);
	return -1;
}

/* Books listed at most when a name is ambiguous. */
#define BOOK_CANDIDATES_SHOWN	8

/* The books a name matched in book.list: exactly, else ignoring case. */
struct book_match {
	const char *text;
	struct ctl_book exact[BOOK_CANDIDATES_SHOWN];
	struct ctl_book fold[BOOK_CANDIDATES_SHOWN];
	size_t n_exact, n_fold;	/* how many matched (more than shown) */
	bool bad;		/* a book object lacked a field */
};

/* Whether len bytes at s are text's tlen, exactly or ASCII
 * case-insensitively. */
static bool
text_eq(const char *s, size_t len, const char *text, size_t tlen, bool fold)
{
	if (len != tlen)
		return false;
	return fold ? strncasecmp(s, text, len) == 0 :
	    memcmp(s, text, len) == 0;
}

/* Whether the book object b is called text: NAME, or OWNER/NAME. */
static bool
book_named(const msgpack_object *b, const char *text, bool fold)
{
	const msgpack_object *name = cb_map_get(b, "name");
	const msgpack_object *owner = cb_map_get(b, "owner_username");
	size_t tlen = strlen(text), olen;

	if (name == NULL || name->type != MSGPACK_OBJECT_STR)
		return false;
	if (text_eq(name->via.str.ptr, name->via.str.size, text, tlen, fold))
		return true;
	if (owner == NULL || owner->type != MSGPACK_OBJECT_STR)
		return false;
	olen = owner->via.str.size;
	return tlen > olen && text[olen] == '/' &&
	    text_eq(owner->via.str.ptr, olen, text, olen, fold) &&
	    text_eq(name->via.str.ptr, name->via.str.size, text + olen + 1,
	    tlen - olen - 1, fold);
}

/* Count b in as one of books (n so far), keeping the first few. */
static void
match_add(struct book_match *m, struct ctl_book *books, size_t *n,
    const msgpack_object *b)
{
	if (*n < BOOK_CANDIDATES_SHOWN &&
	    ctl_book_from_object(b, &books[*n]) != 0)
		m->bad = true;
	(*n)++;
}

/* book.list's params: the largest pages, for the fewest round trips. */
static struct cb_params *
match_params(struct ctl_session *s, const char *cursor, void *arg)
{
	struct cb_params *p = ctl_session_params(s);

	(void)arg;
	ctl_param_int(s, p, "limit", CB_LIST_MAX_LIMIT);
	ctl_param_str(s, p, "cursor", cursor);
	return p;
}

static int
match_page(struct ctl_session *s, const msgpack_object *books, void *arg)
{
	struct book_match *m = arg;

	(void)s;
	for (uint32_t i = 0; i < books->via.array.size; i++) {
		const msgpack_object *b = &books->via.array.ptr[i];

		if (book_named(b, m->text, false))
			match_add(m, m->exact, &m->n_exact, b);
		else if (book_named(b, m->text, true))
			match_add(m, m->fold, &m->n_fold, b);
	}
	return -1;
}

/* OWNER/NAME of book, whoever owns it, sanitized. */
static void
book_qualified(const struct ctl_book *book, char *buf, size_t len)
{
	char full[CTL_BOOK_LABEL_BUF];

	snprintf(full, sizeof full, "%s%s%s", book->owner,
	    book->owner[0] != '\0' ? "/" : "", book->name);
	ctl_sanitize(full, buf, len);
}

void
ctl_book_label(const struct ctl_book *book, char *buf, size_t len)
{
	if (book->member)
		book_qualified(book, buf, len);
	else
		ctl_sanitize(book->name, buf, len);
}

/* Report that ref names n books (the first of them in books). */
static int
ambiguous(struct ctl_session *s, const struct ctl_book_ref *ref,
    const struct ctl_book *books, size_t n)
{
	char list[BOOK_CANDIDATES_SHOWN * (CTL_BOOK_LABEL_BUF + 32)];
	char one[CTL_BOOK_LABEL_BUF], text[CTL_BOOK_LABEL_BUF];
	char hint[CTL_BOOK_LABEL_BUF + 128];
	size_t used = 0;

	/* list has room for every entry shown: used never passes it. */
	list[0] = '\0';
	for (size_t i = 0; i < n && i < BOOK_CANDIDATES_SHOWN; i++) {
		book_qualified(&books[i], one, sizeof one);
		used += (size_t)snprintf(list + used, sizeof list - used,
		    "%s%s (ID %" PRId64 ")", i > 0 ? ", " : "", one,
		    books[i].id);
	}
	if (n > BOOK_CANDIDATES_SHOWN)
		snprintf(list + used, sizeof list - used, ", and %zu more",
		    n - BOOK_CANDIDATES_SHOWN);
	book_qualified(&books[0], one, sizeof one);
	snprintf(hint, sizeof hint, "name one as OWNER/NAME, e.g. '%s', or by "
	    "its ID", one);
	ctl_sanitize(ref->text, text, sizeof text);
	return ctl_error(s->ctx, CTL_EXIT_FAILED, "ambiguous", hint, "'%s' "
	    "(from %s) could be any of %zu books: %s", text, ref->source, n,
	    list);
}

/* The book named text (NAME or OWNER/NAME), by book.list. */
static int
find_by_name(struct ctl_session *s, const struct ctl_book_ref *ref,
    struct ctl_book *book)
{
	struct book_match *m = calloc(1, sizeof *m);
	struct ctl_pages pg = {
		.method = CB_METHOD_BOOK_LIST, .key = "books", .all = true,
		.params = match_params, .page = match_page, .arg = m,
	};
	const struct ctl_book *books;
	char text[CTL_BOOK_LABEL_BUF];
	size_t n;
	int rc;

	if (m == NULL)
		return ctl_error(s->ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
	m->text = ref->text;
	if ((rc = ctl_session_pages(s, &pg)) >= 0)
		goto out;
	books = m->n_exact > 0 ? m->exact : m->fold;
	n = m->n_exact > 0 ? m->n_exact : m->n_fold;
	ctl_sanitize(ref->text, text, sizeof text);
	if (m->bad)
		rc = ctl_session_bad_answer(s, CB_METHOD_BOOK_LIST);
	else if (n == 0)
		rc = ctl_error(s->ctx, CTL_EXIT_FAILED, "not_found",
		    "'cashbookctl book list' shows your books, 'cashbookctl "
		    "book create NAME' makes one", "no book named '%s' (from "
		    "%s)", text, ref->source);
	else if (n > 1)
		rc = ambiguous(s, ref, books, n);
	else
		*book = books[0];
out:
	free(m);
	return rc;
}

int
ctl_book_find(struct ctl_session *s, const struct ctl_book_ref *ref,
    struct ctl_book *book)
{
	int64_t id;

	if (ref->text == NULL)
		return find_by_id(s, ref, ref->id, book);
	if (ctl_input_digits(ref->text, &id))
		return find_by_id(s, ref, id, book);
	return find_by_name(s, ref, book);
}

int
ctl_book_find_id(struct ctl_session *s, int64_t id, const char *source,
    struct ctl_book *book)
{
	struct ctl_book_ref ref = { .text = "", .id = id, .source = source };

	return find_by_id(s, &ref, id, book);
}

int
ctl_book_open(struct ctl_session *s, struct ctl_ctx *ctx, const char *opt,
    struct ctl_book *book)
{
	struct ctl_book_ref ref;
	int rc;

	memset(s, 0, sizeof *s);
	if ((rc = ctl_book_pick(ctx, opt, &ref)) >= 0 ||
	    (rc = ctl_session_begin(s, ctx)) >= 0)
		return rc;
	return ctl_book_find(s, &ref, book);
}
