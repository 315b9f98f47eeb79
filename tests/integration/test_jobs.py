#!/usr/bin/python3
"""
test_jobs.py -- the daemon's own background work (daemon/jobs.h): a
deleted book's rows are removed by the reaper, in batches, after
book.delete has answered; the reaper yields the writer to clients between
batches, goes on when the client leaves, and after a kill -9 goes on at
the next start.  server.stats "jobs" shows it.

Usage: test_jobs.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, wait_until  # noqa
from books_common import register_login  # noqa

BATCH = 2000


def fill(u, book_id, n):
    calls = [("entry.add", {"book_id": book_id, "type": "in", "amount": 1,
                            "date": "2026-%02d-%02d" % (1 + i % 12,
                                                        1 + i % 28)})
             for i in range(n)]
    for e, _ in u.pipe(calls):
        check(e is None, "setup add", error=e)


def rows_of(db, book_id):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return (con.execute("SELECT count(*) FROM entries WHERE book_id = ?",
                            (book_id,)).fetchone()[0],
                con.execute("SELECT count(*) FROM books WHERE book_id = ?",
                            (book_id,)).fetchone()[0])
    finally:
        con.close()


def reaped(d, n_books):
    return wait_until(lambda: (lambda s: s if s["jobs"]["books_deleted"] ==
                               n_books and not s["jobs"]["running"] else
                               None)(d.stats()), 60, "the reaper done")


def test_delete_answers_before_the_rows_go(t):
    """book.delete answers once the book is hidden; its 5000 entries are
    still in the file while a write queued before the reaper holds the
    writer, and jobs shows the reaper running; then they go, in three
    batches, and the book row with them."""
    with t.daemon().start() as d, d.client() as c, d.client() as h:
        u = register_login(c, "alice")
        b = u.book("Big")
        fill(u, b, 5000)
        msgid = c.request("book.delete", u.params({"book_id": b,
                                                   "force": True}))
        h.request("test.sleep_write", {"ms": 1000})
        msg = c.read_response()
        check_eq(msg[1], msgid, "the delete's answer")
        check_eq(msg[2:], [None, {"deleted_entries": 5000}], "answered")
        check_eq(u.err("book.get", {"book_id": b})[0], "not_found",
                 "the book is gone for its owner at once")
        st = d.stats()
        check(st["jobs"]["running"], "the reaper is at work", stats=st)
        check_eq(rows_of(d.db, b), (5000, 1), "the rows are still there")
        check_eq(h.read_response()[2], None, "the sleeping write")
        st = reaped(d, 1)
        check_eq(st["jobs"]["batches"], 3, "5000 entries: three batches")
        check_eq(rows_of(d.db, b), (0, 0), "then the rows are gone")
        check_eq(st["pool"]["in_use"], 0, "no handle held")


def test_reaper_yields_to_clients(t):
    """While 19,500 entries are reaped (ten batches), an add to another
    book waits for at most the batch running when it arrives: when it is
    answered, most batches are still to come."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "bob")
        b = u.book("Big")
        keep = u.book("Keep")
        fill(u, b, 19500)
        u.ok("book.delete", {"book_id": b, "force": True})
        wait_until(lambda: d.stats()["jobs"]["batches"] >= 1, 30,
                   "the first batch")
        u.ok("entry.add", {"book_id": keep, "type": "in", "amount": 5,
                           "date": "2026-01-01"})
        done = d.stats()["jobs"]["batches"]
        check(done < 10, "the add did not wait for the whole book",
              batches_done=done)
        st = reaped(d, 1)
        check_eq(st["jobs"]["batches"], 10, "ten batches in all")
        check_eq(u.balance(keep)["balance"], 5, "the other book")


def test_reaper_outlives_the_client(t):
    """The client that deleted the book leaves at once: the rows still
    go (a job of the daemon, not of the connection)."""
    with t.daemon().start() as d:
        with d.client() as c:
            u = register_login(c, "carol")
            b = u.book("Big")
            fill(u, b, 4100)
            c.request("book.delete", u.params({"book_id": b,
                                                "force": True}))
            check_eq(c.read_response()[2], None, "deleted")
        reaped(d, 1)
        check_eq(rows_of(d.db, b), (0, 0), "the rows are gone")


def test_reaper_goes_on_after_kill(t):
    """cashbookd killed with SIGKILL while the reaper works: at the next
    start the reaper goes on by itself and finishes, and the other book
    is untouched."""
    with t.daemon().start() as d:
        with d.client() as c:
            u = register_login(c, "dave")
            b = u.book("Big")
            keep = u.book("Keep")
            fill(u, b, 30000)
            fill(u, keep, 3)
            u.ok("book.delete", {"book_id": b, "force": True})
            # A step is counted before it commits: the second one
            # starts only once the first has committed.
            wait_until(lambda: d.stats()["jobs"]["batches"] >= 2, 30,
                       "a batch committed")
        d.kill()
        left, book_row = rows_of(d.db, b)
        check(0 < left < 30000 and book_row == 1, "killed half way",
              left=left)
        with t.daemon(dir=d.dir).start() as d2, d2.client() as c2:
            st = reaped(d2, 1)
            check(st["jobs"]["batches"] >= 1, "the reaper ran again")
            check_eq(rows_of(d2.db, b), (0, 0), "then the rows are gone")
            u.c = c2
            check_eq(u.balance(keep)["count"], 3, "the other book")


if __name__ == "__main__":
    main([test_delete_answers_before_the_rows_go,
          test_reaper_yields_to_clients, test_reaper_outlives_the_client,
          test_reaper_goes_on_after_kill],
         {"test_reaper_goes_on_after_kill": 240,
          "test_reaper_yields_to_clients": 120})
