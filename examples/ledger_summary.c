/*
 * ledger_summary.c -- a complete libcashbook program: connect to cashbookd,
 * pick a book, page through its entries oldest first, and print a report
 * by category and the balance.
 *
 *	ledger_summary [-n PAGE_SIZE] [BOOK]
 *
 * BOOK is a book's name (default: your first book by name).  The socket is
 * cashbookd's default ($CASHBOOK_SOCKET, ...); $CASHBOOK_TOKEN, when set,
 * is the session to act as (otherwise cashbookd's --auth peer mode acts as
 * your own account).  Exit status: 0, 1 when cashbookd refuses or fails,
 * 2 for bad usage, 3 when it cannot connect.
 *
 * Uses only the installed header: no msgpack, no walking of reply values.
 * Amounts are int64_t minor units, printed with the book's decimals by
 * integer arithmetic (never through a double).  Columns are padded by
 * bytes, as printf does (a program for people measures display width,
 * as cashbookctl does with wcwidth).  Build it outside this
 * tree with:
 *
 *	cc -std=c11 ledger_summary.c $(pkg-config --cflags --libs cashbook)
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cashbook.h>

#define PROG "ledger_summary"

/* What we keep of the chosen book. */
struct book {
	int64_t id;
	char name[128];
	char currency[8];
	int decimals;
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-n PAGE_SIZE] [BOOK]\n", PROG);
	exit(2);
}

/* Say what failed, in cashbookd's words when it answered, and exit. */
static void
fail(struct cb_conn *conn, const char *what, int rc)
{
	fprintf(stderr, "%s: %s: %s\n", PROG, what,
	    rc == CB_ESERVER || cb_error_message(conn)[0] != '\0' ?
	    cb_error_message(conn) : cb_strerror(rc));
	cb_close(conn);
	exit(1);
}

/* amount (minor units) with decimals digits after the point, into buf. */
static const char *
format_amount(int64_t amount, int decimals, char *buf, size_t len)
{
	uint64_t mag = amount < 0 ? -(uint64_t)amount : (uint64_t)amount;
	uint64_t unit = 1;

	for (int i = 0; i < decimals; i++)
		unit *= 10;
	if (decimals == 0)
		snprintf(buf, len, "%s%" PRIu64, amount < 0 ? "-" : "", mag);
	else
		snprintf(buf, len, "%s%" PRIu64 ".%0*" PRIu64,
		    amount < 0 ? "-" : "", mag / unit, decimals, mag % unit);
	return buf;
}

static void
book_keep(struct book *b, const struct cb_book *from)
{
	b->id = from->book_id;
	snprintf(b->name, sizeof b->name, "%s", from->name);
	snprintf(b->currency, sizeof b->currency, "%s", from->currency);
	b->decimals = from->decimals;
}

/* The book called name (NULL: the first by name), going through the
 * pages of book.list.  Returns 0, or -1 when there is no such book. */
static int
book_pick(struct cb_conn *conn, const char *name, struct book *out)
{
	struct cb_book_page *page;
	char *cursor = NULL;
	int rc, found = -1;

	do {
		rc = cb_book_list(conn, 0, cursor, &page);
		free(cursor);
		cursor = NULL;
		if (rc != CB_OK)
			fail(conn, "cannot list your books", rc);
		for (size_t i = 0; i < page->n && found != 0; i++) {
			if (name == NULL ||
			    strcmp(page->books[i].name, name) == 0) {
				book_keep(out, &page->books[i]);
				found = 0;
			}
		}
		if (found != 0 && page->next_cursor != NULL &&
		    (cursor = strdup(page->next_cursor)) == NULL)
			fail(conn, "cannot list your books", CB_ENOMEM);
		cb_book_page_free(page);
	} while (cursor != NULL);
	return found;
}

/* Every entry of b, oldest first, page_size a page.  Returns the running
 * balance after the last one (0 for none). */
static int64_t
print_entries(struct cb_conn *conn, const struct book *b, int page_size)
{
	struct cb_entry_filter filter = { .oldest_first = true,
	    .limit = page_size };
	struct cb_entry_page *page;
	char *cursor = NULL, amount[32], running[32];
	int64_t last = 0, count = 0, pages = 0;
	int rc;

	printf("Entries, oldest first:\n");
	do {
		rc = cb_entry_list(conn, b->id, &filter, cursor, &page);
		free(cursor);
		cursor = NULL;
		if (rc != CB_OK)
			fail(conn, "cannot list the entries", rc);
		pages++;
		for (size_t i = 0; i < page->n; i++) {
			const struct cb_entry *e = &page->entries[i];

			printf("%s  %-3s %12s  %-16s %12s\n", e->date,
			    e->type == CB_ENTRY_IN ? "in" : "out",
			    format_amount(e->amount, b->decimals, amount,
			    sizeof amount),
			    e->category != NULL ? e->category : "-",
			    format_amount(e->running_balance, b->decimals,
			    running, sizeof running));
			last = e->running_balance;
			count++;
		}
		if (page->next_cursor != NULL &&
		    (cursor = strdup(page->next_cursor)) == NULL)
			fail(conn, "cannot list the entries", CB_ENOMEM);
		cb_entry_page_free(page);
	} while (cursor != NULL);
	printf("%" PRId64 " %s in %" PRId64 " %s of at most %d\n", count,
	    count == 1 ? "entry" : "entries", pages,
	    pages == 1 ? "page" : "pages", page_size);
	return last;
}

static void
print_row(const char *key, const struct cb_report_row *row, int decimals)
{
	char in[32], out[32], net[32];

	printf("%-16s %12s %12s %12s\n", key,
	    format_amount(row->cash_in, decimals, in, sizeof in),
	    format_amount(row->cash_out, decimals, out, sizeof out),
	    format_amount(row->net, decimals, net, sizeof net));
}

/* The report by category; returns its total net. */
static int64_t
print_report(struct cb_conn *conn, const struct book *b)
{
	struct cb_report *report;
	int64_t net;
	int rc;

	rc = cb_report_summary(conn, b->id, CB_REPORT_BY_CATEGORY, NULL, NULL,
	    &report);
	if (rc != CB_OK)
		fail(conn, "cannot make the report", rc);
	printf("\nBy category:\n%-16s %12s %12s %12s\n", "", "in", "out",
	    "net");
	for (size_t i = 0; i < report->n; i++)
		print_row(report->rows[i].key != NULL ? report->rows[i].key :
		    "(none)", &report->rows[i], b->decimals);
	print_row("Total", &report->total, b->decimals);
	net = report->total.net;
	cb_report_free(report);
	return net;
}

int
main(int argc, char **argv)
{
	struct cb_conn *conn;
	struct cb_balance bal;
	struct book book;
	const char *token;
	char err[512], buf[32], *end;
	int64_t last, net;
	long page_size = 50;
	int c, rc;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n')
			usage();
		page_size = strtol(optarg, &end, 10);
		if (*end != '\0' || page_size < 1 || page_size > 500) {
			fprintf(stderr, "%s: -n takes a page size from 1 to "
			    "500\n", PROG);
			return 2;
		}
	}
	if (argc - optind > 1)
		usage();

	rc = cb_connect(NULL, CB_DEFAULT_TIMEOUT_MS, &conn, err, sizeof err);
	if (rc != CB_OK) {
		fprintf(stderr, "%s: cannot connect to cashbookd: %s\n", PROG,
		    err);
		return 3;
	}
	token = getenv("CASHBOOK_TOKEN");
	if (token != NULL && (rc = cb_set_token(conn, token)) != CB_OK)
		fail(conn, "CASHBOOK_TOKEN", rc);

	if (book_pick(conn, optind < argc ? argv[optind] : NULL, &book) != 0) {
		if (optind < argc)
			fprintf(stderr, "%s: you have no book named '%s'\n",
			    PROG, argv[optind]);
		else
			fprintf(stderr, "%s: you have no books yet: create "
			    "one with: cashbookctl book create NAME\n", PROG);
		cb_close(conn);
		return 1;
	}
	printf("Book: %s (%s)\n\n", book.name, book.currency);
	last = print_entries(conn, &book, (int)page_size);
	net = print_report(conn, &book);

	if ((rc = cb_book_balance(conn, book.id, &bal)) != CB_OK)
		fail(conn, "cannot read the balance", rc);
	printf("\nBalance: %s %s\n", format_amount(bal.balance, bal.decimals,
	    buf, sizeof buf), bal.currency);
	cb_close(conn);
	/* Three ways to the same figure: they must agree. */
	if (bal.balance != net || (bal.count > 0 && bal.balance != last)) {
		fprintf(stderr, "%s: the figures disagree: balance %" PRId64
		    ", report %" PRId64 ", last running balance %" PRId64 "\n",
		    PROG, bal.balance, net, last);
		return 1;
	}
	return 0;
}
