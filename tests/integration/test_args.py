#!/usr/bin/python3
"""
test_args.py -- declared arguments (daemon/args.h) seen from outside: every
method's arguments are checked on the event loop before the request waits
for a database handle, so a malformed request is answered at once, takes
no handle, and cannot queue behind (or in front of) other clients' work.

Usage: test_args.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, pipeline, wait_until  # noqa
from books_common import register_login  # noqa

# The methods that had no check of their own before the declared
# arguments: an id of any type and size waited for a handle.
ID_METHODS = [
    ("book.get", "book_id"), ("book.delete", "book_id"),
    ("book.balance", "book_id"), ("book.verify", "book_id"),
    ("entry.get", "entry_id"), ("entry.delete", "entry_id"),
    ("entry.restore", "entry_id"), ("entry.history", "entry_id"),
]

# Values no id can be: each must be refused naming the field.
BAD_IDS = ["x" * (1024 * 1024), list(range(100000)), 0, -1, 1.5, True,
           {"a": 1}, 2 ** 64 - 1]


def hold_every_handle(d, ms):
    """Hold the pool's reader and writer (pool size 2) for ms; returns
    the connections, whose answers come once the sleeps end."""
    r, w = d.client(), d.client()
    r.request("test.sleep", {"ms": ms}, msgid=1)
    w.request("test.sleep_write", {"ms": ms}, msgid=2)
    wait_until(lambda: d.stats()["pool"]["in_use"] == 2, 10,
               "both handles held")
    return r, w


def test_refused_before_a_handle(t):
    """With every handle held, malformed ids for the eight id methods are
    answered bad_request at once: the pool's figures show no handle was
    acquired and none waited for, while the sleeps still hold theirs."""
    with t.daemon("--pool-size", "2", "--max-message-bytes",
                  str(4 << 20)).start() as d, d.client() as c:
        u = register_login(c, "alice")
        before = d.stats()["pool"]
        r, w = hold_every_handle(d, 4000)
        try:
            calls = [(m, u.params({field: bad})) for m, field in ID_METHODS
                     for bad in BAD_IDS]
            answers = pipeline(c, calls)
            for (m, p), (err, res) in zip(calls, answers):
                field = [f for f in p if f != "token"][0]
                check(err is not None and err[0] == "bad_request" and
                      ("'%s'" % field) in err[1],
                      "%s with a bad %s: bad_request naming it" % (m, field),
                      error=err, value=repr(p[field])[:40])
            now = d.stats()["pool"]
            # The sleeps still hold both handles, and only they took one.
            check_eq(now["in_use"], 2, "the sleeps still hold the pool")
            check_eq(now["acquired"] - before["acquired"], 2,
                     "no bad request acquired a handle")
            check_eq(now["waiting"], 0, "no bad request waits for one")
        finally:
            for conn in (r, w):
                err, res = conn.read_response(timeout=20)[2:]
                check(err is None, "the sleep ends well", error=err)
                conn.close()


def test_every_method_refuses_undeclared_and_mistyped(t):
    """Each method refuses a key it does not declare, naming the method,
    and a mistyped declared argument, naming the field, before touching
    the database."""
    # The first declared argument of each, mistyped.
    mistyped = {
        "book.create": ("name", 5), "book.update": ("book_id", "1"),
        "book.list": None, "entry.add": ("book_id", 1.0),
        "entry.update": ("entry_id", None), "entry.list": ("book_id", []),
        "report.summary": ("book_id", -3), "user.register":
        ("username", 7), "auth.login": ("username", None),
        "user.password": ("old_password", 1), "book.get": ("book_id", "1"),
    }
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "bob")
        before = d.stats()["pool"]["acquired"]
        for m, bad in sorted(mistyped.items()):
            anon = m in ("user.register", "auth.login")

            def params(p):
                return p if anon else u.params(p)
            err, res = c.call(m, params({"colour": "red"}))
            check_eq(err, ["bad_request", "unknown field 'colour' for %s" % m],
                     "%s: undeclared key" % m)
            if bad is None:
                continue
            field, value = bad
            err, res = c.call(m, params({field: value}))
            check(err is not None and err[0] == "bad_request" and
                  "'%s'" % field in err[1],
                  "%s: mistyped %s is bad_request naming it" % (m, field),
                  error=err)
        check_eq(d.stats()["pool"]["acquired"], before,
                 "no refused request took a handle")


def test_patch_nothing_and_nil(t):
    """Update methods: nothing to change lists what could change; nil
    clears what may be cleared and is refused for what may not."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "carol")
        b = u.ok("book.create", {"name": "Cash", "description": "x"})
        bid = b["book_id"]
        err, _ = u.call("book.update", {"book_id": bid})
        check_eq(err, ["bad_request", "nothing to change: give at least one "
                       "of name, description"], "book.update with nothing")
        err, _ = u.call("book.update", {"book_id": bid, "name": None})
        check_eq(err, ["bad_request", "field 'name' cannot be cleared"],
                 "book.update name nil")
        res = u.ok("book.update", {"book_id": bid, "description": None})
        check_eq(res["book"]["description"], None, "description cleared")
        eid = u.ok("entry.add", {"book_id": bid, "type": "in",
                                 "amount": 100, "date": "2026-01-02",
                                 "note": "n"})["entry_id"]
        for field in ("type", "amount", "date"):
            err, _ = u.call("entry.update", {"entry_id": eid, field: None})
            check_eq(err, ["bad_request",
                           "field '%s' cannot be cleared" % field],
                     "entry.update %s nil" % field)
        res = u.ok("entry.update", {"entry_id": eid, "note": None,
                                    "tags": ["a", "b"]})
        check_eq(res["entry"]["note"], None, "note cleared")
        check_eq(res["entry"]["tags"], ["a", "b"], "tags set")


def page_all(u, method, params, key, limit):
    out, cursor, pages = [], None, 0
    while True:
        p = dict(params, limit=limit)
        if cursor is not None:
            p["cursor"] = cursor
        res = u.ok(method, p)
        check(len(res[key]) <= limit, "a page holds at most limit")
        out += res[key]
        pages += 1
        cursor = res["next_cursor"]
        if cursor is None:
            return out, pages
        check(pages < 1000, "paging ends")


def test_history_and_book_list_pages(t):
    """entry.history and book.list page by cursor: every item once, in
    order, whatever the page size; a cursor from another entry or a
    mangled one is refused; another user's book cursor gives nothing."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        u = register_login(c, "erin")
        v = register_login(c2, "frank")
        names = ["b%02d" % i for i in range(23)]
        for n in reversed(names):
            u.ok("book.create", {"name": n.upper() if int(n[1:]) % 2 else n})
        b = u.ok("book.list")["books"][0]["book_id"]
        eid = u.ok("entry.add", {"book_id": b, "type": "in", "amount": 1,
                                 "date": "2026-01-01"})["entry_id"]
        other = u.ok("entry.add", {"book_id": b, "type": "in", "amount": 1,
                                   "date": "2026-01-01"})["entry_id"]
        for i in range(2, 38):
            u.ok("entry.update", {"entry_id": eid, "amount": i})
        whole = u.ok("entry.history", {"entry_id": eid})
        check_eq(len(whole["history"]), 37, "37 records")
        check_eq(whole["next_cursor"], None, "one page by default")
        for limit in (1, 5, 36, 37, 500):
            got, pages = page_all(u, "entry.history", {"entry_id": eid},
                                  "history", limit)
            check_eq(got, whole["history"], "history in pages of %d" % limit)
            check_eq(pages, -(-37 // limit), "pages of %d" % limit)
        all_books = u.ok("book.list")["books"]
        check_eq([x["name"].lower() for x in all_books], names, "by name")
        for limit in (1, 4, 23):
            got, _ = page_all(u, "book.list", {}, "books", limit)
            check_eq(got, all_books, "books in pages of %d" % limit)
        cur = u.ok("entry.history", {"entry_id": eid, "limit": 2})[
            "next_cursor"]
        err, _ = u.call("entry.history", {"entry_id": other, "cursor": cur})
        check_eq(err[0], "bad_request", "another entry's cursor")
        err, _ = u.call("entry.history", {"entry_id": eid,
                                          "cursor": cur[:-1] + "0"})
        check_eq(err[0], "bad_request", "a mangled cursor")
        bcur = u.ok("book.list", {"limit": 3})["next_cursor"]
        res = v.ok("book.list", {"cursor": bcur})
        check_eq(res["books"], [], "another user's book as cursor: nothing")


if __name__ == "__main__":
    main([test_refused_before_a_handle,
          test_every_method_refuses_undeclared_and_mistyped,
          test_patch_nothing_and_nil, test_history_and_book_list_pages])
