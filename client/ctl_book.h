/*
 * ctl_book.h -- which book a bookkeeping command works on: choosing it
 * (a command's --book, the global --book, CASHBOOK_BOOK, or the default
 * book remembered by "cashbookctl book use"), finding it in cashbookd,
 * and the file that remembers the default.
 *
 * A book is named by the user as NAME, OWNER/NAME or ID: text of ASCII
 * digits only is an ID; anything else is matched against every page of
 * book.list, as a book's name or as its owner's username, '/' and its name
 * ("alice/Household"), exactly first, then ASCII case-insensitively.
 * cashbookd keeps one owner's names unique that way, but books shared
 * with you by others may share a name with each other or with yours: a
 * name that matches more than one book is refused, listing them as
 * OWNER/NAME.
 * The default book file is "book" next to the token file (ctl_file.h) and
 * holds the book's ID and a newline: an ID, not a name, so renaming the
 * book keeps it the default.
 *
 * Errors are reported (ctl_output.h) with what to do next; functions
 * return -1 to go on, else the exit status.  Keeps no state.
 */
#ifndef CASHBOOK_CLIENT_CTL_BOOK_H
#define CASHBOOK_CLIENT_CTL_BOOK_H

#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>

#include "cb_limits.h"

#include "ctl.h"
#include "ctl_session.h"

/* The environment variable that chooses the book. */
#define CTL_BOOK_ENV		"CASHBOOK_BOOK"

/* Room for a book name and its NUL; longer names from a newer daemon
 * are cut (they are only shown). */
#define CTL_BOOK_NAME_BUF	(CB_BOOK_NAME_MAX + 1)

/* Room for a username and its NUL; longer ones are cut (only shown). */
#define CTL_USERNAME_BUF	256

/* A book as the commands need it. */
struct ctl_book {
	int64_t id;
	char name[CTL_BOOK_NAME_BUF];
	char currency[4];
	int decimals;		/* of the currency: 0 .. 4 */
	char owner[CTL_USERNAME_BUF];	/* the owner's username ("" from an
					   older cashbookd) */
	bool member;		/* shared with you by its owner */
};

/* How the user named a book, and where that came from (for messages). */
struct ctl_book_ref {
	const char *text;	/* NAME|ID; NULL when id is from the file */
	int64_t id;		/* the default book's, when text is NULL */
	const char *source;	/* "--book", "CASHBOOK_BOOK", ... */
};

/*
 * Which book to use: opt (a command's --book; NULL if not given), else
 * ctx->book, else CASHBOOK_BOOK, else the default book file.  Needs no
 * daemon.  -1 with *ref set, else the exit status: CTL_EXIT_USAGE when
 * none is chosen (the message says to run "cashbookctl book use NAME" or
 * pass --book) or one is empty.
 */
int ctl_book_pick(struct ctl_ctx *ctx, const char *opt,
    struct ctl_book_ref *ref);

/* The operand that names a book (NAME, OWNER/NAME or ID), from the
 * command line. */
void ctl_book_ref_arg(struct ctl_book_ref *ref, const char *text);

/*
 * Find the book ref names in cashbookd (book.get for an ID, book.list for
 * a name) into *book.  -1, else the exit status (no such book, or a name
 * of several: exit 1, saying how to see the books or name one).
 */
int ctl_book_find(struct ctl_session *s, const struct ctl_book_ref *ref,
    struct ctl_book *book);

/*
 * book.get of book id into *book, reporting nothing: CB_OK, the
 * libcashbook code of the failed call (for ctl_session_fail), or
 * CTL_BOOK_BAD_ANSWER when the book object lacks a field.
 */
#define CTL_BOOK_BAD_ANSWER	1
int ctl_book_get(struct ctl_session *s, int64_t id, struct ctl_book *book);

/* The book with ID id (of an entry, say), as ctl_book_find finds it;
 * source names where the ID came from in messages. */
int ctl_book_find_id(struct ctl_session *s, int64_t id, const char *source,
    struct ctl_book *book);

/*
 * What every command on a book does first: ctl_book_pick (so a missing
 * choice is reported without a daemon), ctl_session_begin, ctl_book_find.
 * -1 to go on, else the exit status.  ctl_session_end(s) must follow
 * either way.
 */
int ctl_book_open(struct ctl_session *s, struct ctl_ctx *ctx,
    const char *opt, struct ctl_book *book);

/* Fill *book from a book object of cashbookd's.  0, or -1 when a field
 * is missing. */
int ctl_book_from_object(const msgpack_object *o, struct ctl_book *book);

/* The book as people type it: its NAME when it is yours, OWNER/NAME when
 * it is shared with you ("alice/Household"); sanitized, into buf (room
 * for CTL_BOOK_LABEL_BUF). */
#define CTL_BOOK_LABEL_BUF	(CTL_USERNAME_BUF + CTL_BOOK_NAME_BUF)
void ctl_book_label(const struct ctl_book *book, char *buf, size_t len);

/* After leaving or deleting book: if it was the default book, forget it
 * and (without --json) say so; a failure to is reported, not returned. */
void ctl_book_forget_default(struct ctl_ctx *ctx,
    const struct ctl_book *book);

/*
 * The default book file.  get: CTL_FILE_OK with *id, CTL_FILE_NONE, or
 * CTL_FILE_ERROR with why in err.  set/clear: 0, or -1 with why in err;
 * clear tells in *removed whether there was one.
 */
int ctl_book_default_get(int64_t *id, char *err, size_t errlen);
int ctl_book_default_set(int64_t id, char *err, size_t errlen);
int ctl_book_default_clear(bool *removed, char *err, size_t errlen);

#endif
