/*
 * ctl_book.c -- choosing the book a command works on, finding it in
 * cashbookd, and the default book file.  See ctl_book.h.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "methods.h"
#include "money.h"

#include "ctl_book.h"
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

int
ctl_book_from_object(const msgpack_object *o, struct ctl_book *book)
{
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
	return 0;
}

/* The book with ID id, by book.get. */
static int
find_by_id(struct ctl_session *s, const struct ctl_book_ref *ref, int64_t id,
    struct ctl_book *book)
{
	struct cb_params *p = ctl_session_params(s);
	struct cb_reply *reply = NULL;
	int rc;

	ctl_param_int(s, p, "book_id", id);
	rc = ctl_session_try(s, CB_METHOD_BOOK_GET, p, &reply);
	cb_params_free(p);
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
	rc = ctl_book_from_object(cb_map_get(cb_reply_result(reply), "book"),
	    book);
	cb_reply_free(reply);
	return rc == 0 ? -1 : ctl_session_bad_answer(s, CB_METHOD_BOOK_GET);
}

/* Whether the msgpack str o is text, exactly or ASCII case-insensitively. */
static bool
name_matches(const msgpack_object *o, const char *text, bool fold)
{
	size_t n = strlen(text);

	if (o == NULL || o->type != MSGPACK_OBJECT_STR || o->via.str.size != n)
		return false;
	return fold ? strncasecmp(o->via.str.ptr, text, n) == 0 :
	    memcmp(o->via.str.ptr, text, n) == 0;
}

/* The book of books (book.list's array) named text, or NULL. */
static const msgpack_object *
match_name(const msgpack_object *books, const char *text)
{
	for (int fold = 0; fold <= 1; fold++) {
		for (uint32_t i = 0; i < books->via.array.size; i++) {
			const msgpack_object *b = &books->via.array.ptr[i];

			if (name_matches(cb_map_get(b, "name"), text, fold))
				return b;
		}
	}
	return NULL;
}

/* The book named text, by book.list. */
static int
find_by_name(struct ctl_session *s, const struct ctl_book_ref *ref,
    struct ctl_book *book)
{
	struct cb_params *p = ctl_session_params(s);
	struct cb_reply *reply = NULL;
	const msgpack_object *books, *b;
	int rc;

	rc = ctl_session_call(s, CB_METHOD_BOOK_LIST, p, &reply);
	cb_params_free(p);
	if (rc >= 0)
		return rc;
	books = cb_map_get(cb_reply_result(reply), "books");
	if (books == NULL || books->type != MSGPACK_OBJECT_ARRAY) {
		cb_reply_free(reply);
		return ctl_session_bad_answer(s, CB_METHOD_BOOK_LIST);
	}
	b = match_name(books, ref->text);
	if (b == NULL) {
		cb_reply_free(reply);
		return ctl_error(s->ctx, CTL_EXIT_FAILED, "not_found",
		    "'cashbookctl book list' shows your books, 'cashbookctl "
		    "book create NAME' makes one", "no book named '%s' (from "
		    "%s)", ref->text, ref->source);
	}
	rc = ctl_book_from_object(b, book);
	cb_reply_free(reply);
	return rc == 0 ? -1 : ctl_session_bad_answer(s, CB_METHOD_BOOK_LIST);
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
