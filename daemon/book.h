/*
 * book.h -- a book as the entry and book methods see it: the one access
 * check, and the totals kept alongside every change.
 *
 * Owns: who may do what to a book (book_access is the only place that
 * decides it), and the rules that keep books.cash_in/cash_out/entry_count
 * and book_periods equal to what the live entries add up to.  Every
 * change to an entry goes through book_totals_apply (checked, in memory,
 * before anything is written), then book_totals_store and
 * book_periods_add in the same transaction.
 */
#ifndef CASHBOOK_DAEMON_BOOK_H
#define CASHBOOK_DAEMON_BOOK_H

#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>

#include "cb_limits.h"
#include "entry.h"
#include "method.h"

/*
 * A member's permissions on a shared book, as a bit set: the six flags of
 * the system cashbook replaces (can_add_entry ... can_manage_members).
 * The owner has all of them, always.  Every member may read the book.
 */
enum book_perm {
	PERM_ADD = 1 << 0,		/* "add": add entries */
	PERM_EDIT_OWN = 1 << 1,		/* "edit_own": change, trash and
					 * restore the entries one made */
	PERM_EDIT_ALL = 1 << 2,		/* "edit_all": change any entry */
	PERM_DELETE = 1 << 3,		/* "delete": trash and restore any */
	PERM_REPORTS = 1 << 4,		/* "reports": report.summary, verify */
	PERM_MANAGE = 1 << 5,		/* "manage": invite and manage members */
	PERM_ALL = (1 << 6) - 1,
};

/* What a caller wants to do with a book: book_access decides. */
enum book_action {
	BOOK_READ,		/* see the book, its entries and history */
	BOOK_REPORTS,		/* report.summary, book.verify */
	BOOK_ADD,		/* add entries */
	BOOK_EDIT,		/* change an entry (the entry's creator
				 * decides: book_access_entry) */
	BOOK_TRASH,		/* trash or restore an entry (likewise) */
	BOOK_MANAGE,		/* invite, change and remove members */
	BOOK_OWN,		/* rename, describe, delete or repair */
};

struct book {
	int64_t book_id;
	char name[CB_BOOK_NAME_MAX + 1];
	char currency[4];
	int decimals;
	int64_t cash_in;		/* live in entries, minor units */
	int64_t cash_out;		/* live out entries */
	int64_t count;			/* live entries */
	int64_t owner_id;
	bool is_owner;			/* the caller owns it */
	unsigned permissions;		/* the caller's: enum book_perm */
};

/*
 * The access check, read from the database in the call's transaction
 * (never from a cache: a removed member's write must fail): may
 * call->user_id do action on book_id?  On yes, 0 with *book read.
 * Otherwise -1 with the call failed: not_found "no such <thing>" when the
 * caller is not a member (a book one cannot see does not exist for
 * them), forbidden naming the permission a member lacks, or a database
 * error.  BOOK_EDIT and BOOK_TRASH go through book_access_entry.
 */
int book_access(struct call *call, int64_t book_id, enum book_action action,
    struct book *book, const char *thing);

/* book_access() for a change to an entry created by created_by (BOOK_READ,
 * BOOK_EDIT or BOOK_TRASH): edit_own covers one's own entries. */
int book_access_entry(struct call *call, int64_t book_id,
    enum book_action action, int64_t created_by, struct book *book);

/* The permission names, in bit order, NULL-terminated. */
extern const char *const book_perm_names[];

/* Pack a permission set as an array of names, in bit order. */
void book_perms_pack(msgpack_packer *pk, unsigned perms);

/* A declared permissions argument: an array of permission names (ARG_TAGS
 * with book_perms_check); its bit set is in decoded[0]. */
int book_perms_check(struct call *call, const struct arg_spec *spec,
    struct arg_value *v);
#define BOOK_ARG_PERMISSIONS(fl) { .name = "permissions", .type = ARG_TAGS, \
    .flags = (fl), .max = 6, .check = book_perms_check }

/* Pack the book object of a book the caller may read (book_access filled
 * *book): its row, and the caller's role and permissions.  0, or -1 with
 * the call failed. */
int book_pack(struct call *call, const struct book *book);

/* The book object from a row of BOOK_OBJECT_COLUMNS starting at column
 * first (a SELECT over books b JOIN users o ON o.user_id = b.owner_id JOIN
 * book_members m on the caller's membership). */
#define BOOK_OBJECT_COLUMNS "b.book_id, b.name, b.currency, b.decimals, " \
    "b.description, b.cash_in, b.cash_out, b.entry_count, b.created_at, " \
    "b.updated_at, m.role, m.permissions, b.owner_id, o.username"
void book_pack_row(msgpack_packer *pk, sqlite3_stmt *stmt, int first);

/* The declared book_id argument (args.h): a positive integer. */
#define BOOK_ARG_ID { .name = "book_id", .type = ARG_INT, \
    .flags = ARG_REQUIRED, .min = 1, \
    .max = INT64_MAX }

/* book_access() for the book named by the call's argument arg (declared
 * BOOK_ARG_ID). */
int book_access_arg(struct call *call, int arg, enum book_action action,
    struct book *book);

/* Change book's totals in memory by e's amount: sign +1 counts e in, -1
 * takes it out.  -1 with the call failed conflict, and *book untouched,
 * when a total would overflow int64. */
int book_totals_apply(struct call *call, struct book *book,
    const struct entry *e, int sign);

/* Write book's totals (and updated_at) to its row. */
int book_totals_store(struct call *call, const struct book *book);

/* Count e in (sign +1) or out (-1) of the year, month and day rows of its
 * date in book_periods. */
int book_periods_add(struct call *call, int64_t book_id, const struct entry *e,
    int sign);

/* An entry's place in its book's order. */
struct book_position {
	int32_t date;			/* YYYYMMDD */
	int minute;			/* -1: no time, first in its day */
	int64_t entry_id;
};

/* The net (in - out) of the book's live entries positioned after p: a
 * handful of index ranges over the period rows plus the rest of p's day,
 * whatever the book's size.  The balance just after p is the book's
 * balance minus this. */
int book_net_after(struct call *call, int64_t book_id,
    const struct book_position *p, int64_t *net);

/* The net of the live entries strictly between older and newer (older
 * first in the book's order): what the running balance changes by from
 * one listed entry to the next when filters skip the ones between.  Costs
 * the entries of the two end days that lie between, plus one period row
 * per whole day between. */
int book_net_between(struct call *call, int64_t book_id,
    const struct book_position *older, const struct book_position *newer,
    int64_t *net);

/* The book's balance, cash_in - cash_out (never overflows: both are
 * non-negative int64). */
static inline int64_t
book_balance(const struct book *book)
{
	return book->cash_in - book->cash_out;
}

/* Pack {"cash_in", "cash_out", "balance", "count"} as 4 map entries (no
 * header). */
void book_pack_totals(msgpack_packer *pk, int64_t cash_in, int64_t cash_out,
    int64_t count);

/* Run sql, whose ?1 is book_id, to its end (a statement without rows).
 * 0, or -1 with the call failed as SQLite's error while doing `what`. */
int book_exec(struct call *call, const char *sql, int64_t book_id,
    const char *what);

/* Run sql, whose ?1 is book_id, and read its one row of n integers into
 * out.  0, or -1 with the call failed as above. */
int book_query_ints(struct call *call, const char *sql, int64_t book_id,
    int64_t *out, int n, const char *what);

#endif
