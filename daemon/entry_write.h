/*
 * entry_write.h -- the one path every change of an entry goes through.
 *
 * A book's figures are kept in step with its entries by writes that must
 * all happen, in one transaction, for every change: the book's totals
 * (checked for overflow in memory first, so a refused change writes
 * nothing), the entry's row, its year/month/day period rows (the
 * running-balance index), its key totals and text index rows
 * (entry_index.h: reports and search), the stored totals, the entry's history, the
 * book's change feed (change.h) and the other members' notifications
 * (notify.h).  entry_write() does them all, from a description of the change; the
 * methods (entry.add/update/delete/restore, and later import or batch
 * add) only say what changes.  A new write path cannot forget a step
 * because it has no way to take one alone.
 *
 * Owns: the totals invariant and the history record.
 * Never: decides access (book_access, before) or packs a reply (after).
 */
#ifndef CASHBOOK_DAEMON_ENTRY_WRITE_H
#define CASHBOOK_DAEMON_ENTRY_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "book.h"
#include "entry.h"
#include "method.h"
#include "packbuf.h"

enum entry_action {
	ENTRY_CREATE,			/* a new live entry: after */
	ENTRY_UPDATE,			/* a live entry's fields: before, after */
	ENTRY_DELETE,			/* a live entry into the trash: before */
	ENTRY_RESTORE,			/* a trashed entry back: before */
};

struct entry_change {
	enum entry_action action;
	/* The fields before the change (NULL for CREATE) and after it (NULL
	 * for DELETE and RESTORE, whose fields do not change). */
	const struct entry *before, *after;
	/* CREATE: the idempotency key (NULL: none) and the canonical request
	 * it answers for, stored with the row. */
	const char *key;
	size_t keylen;
	const struct packbuf *request;
};

/*
 * Apply change to the entry m (for CREATE, m is filled in: entry_id,
 * created and updated fields) of book, whose totals book_access read in
 * this transaction and which are updated on success.  0, or -1 with the
 * call failed: conflict when a total would overflow (then nothing was
 * written and *book is untouched), or the database's error (the gateway
 * rolls the transaction back).
 */
int entry_write(struct call *call, struct book *book, struct entry_meta *m,
    const struct entry_change *change);

/* e's canonical msgpack into pb.  0, or -1 with the call failed. */
int entry_canonical(struct call *call, const struct entry *e,
    struct packbuf *pb);

#endif
