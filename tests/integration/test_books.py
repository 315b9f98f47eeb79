#!/usr/bin/python3
"""
test_books.py -- books (docs/protocol.md, "Books and entries") seen from
outside: book.create/list/get/update/delete/balance/verify (with a stored
total corrupted on purpose in the database file, then repaired), currency
and decimals, report.summary against a Python recomputation, isolation
between two users for every method of the section, missing and bad
tokens, and hostile input.

Usage: test_books.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import datetime
import os
import random
import re
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, check_eq, check_error_pair, main,  # noqa
                     wait_until)
from books_common import (MAX_AMOUNT, METHODS, MISSING_TOKEN,  # noqa
                          NO_BOOK, NO_ENTRY, Model, advance, check_book,
                          check_listing, clean_exits, raw_call, raw_str,
                          register_login)

MONTH_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


def near(got, want, slack, what):
    check(type(got) is int and abs(got - want) <= slack,
          "%s within %d s of %d" % (what, slack, want), got=got)


def dup_conflict(u, params, names, what):
    e = u.err("book.create", params)
    check_eq(e[0], "conflict", "%s: code" % what, message=e[1])
    check(e[1] in ["you already have a book named '%s'" % n for n in names],
          "%s: message" % what, message=e[1], names=names)


# ---------------------------------------------------------------- create/get

def test_create_get(t):
    """book.create answers the book_id and the whole book; book.get gives
    the same; defaults: currency XXX (2 decimals), description nil."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        now = advance(c, 0)
        res = u.ok("book.create", {"name": "Home", "currency": "EUR",
                                   "description": "house\nhold\tmoney"})
        check_eq(sorted(res), ["book", "book_id"], "book.create keys")
        bk = res["book"]
        check_book(bk)
        check(res["book_id"] > 0, "book_id positive")
        want = {"book_id": res["book_id"], "name": "Home", "currency": "EUR",
                "decimals": 2, "description": "house\nhold\tmoney",
                "cash_in": 0, "cash_out": 0, "balance": 0, "count": 0,
                "role": "owner", "owner_username": "alice"}
        check_eq({k: bk[k] for k in want}, want, "the new book")
        near(bk["created_at"], now, 5, "created_at")
        check_eq(bk["updated_at"], bk["created_at"], "updated_at")
        check_eq(u.get_book(res["book_id"]), bk, "book.get")
        b2 = u.ok("book.create", {"name": "Plain"})["book"]
        check_eq((b2["currency"], b2["decimals"], b2["description"]),
                 ("XXX", 2, None), "defaults")
        check(b2["book_id"] != bk["book_id"], "another id")
        b3 = u.ok("book.create", {"name": "Nil", "description": None,
                                  "currency": "JPY"})["book"]
        check_eq((b3["currency"], b3["decimals"], b3["description"]),
                 ("JPY", 0, None), "description nil")
        check_eq(u.err("book.get", {"book_id": 10 ** 9}), NO_BOOK,
                 "unknown book")
        u.bad("book.create", {}, "name", "missing name")
        for k in ("foo", "book_id", "cash_in", "decimals", "role", "force",
                  "Name"):
            u.bad("book.create", {"name": "X " + k, k: 1}, k,
                  "unknown field %s" % k)
        u.bad("book.get", {}, "book_id", "book.get without book_id")
        u.bad("book.get", {"book_id": bk["book_id"], "name": "x"}, "name",
              "book.get takes no name")
        check_eq(len(u.ok("book.list")["books"]), 3, "three books")


def test_name_rules(t):
    """name: 1-100 bytes of UTF-8 without control characters; description
    at most 4096 bytes (\\n and \\t allowed); names are unique per owner,
    ASCII case-insensitively; another user may use the same name."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        good = ["x", "y" * 100, "\u00e9" * 50, "\U0001F600" * 25,
                "My Book 2026", " spaced ", "a/b:c'd\"e"]
        for n in good:
            b = u.ok("book.create", {"name": n})["book"]
            check_eq(b["name"], n, "name %r stored" % n[:20])
        bad = ["", "z" * 101, "\u00e9" * 50 + "z", "a\nb", "a\tb", "a\rb",
               "\x7f", "\x00", "a\x1fb", "z" * 100000]
        for n in bad + [5, None, ["x"], True, 1.5, {"n": 1}]:
            u.bad("book.create", {"name": n}, "name",
                  "name %r" % (n if not isinstance(n, str) else n[:20],))
        for what, raw in (("ff", b"\xff"), ("truncated", b"ab\xc3"),
                          ("surrogate", b"\xed\xa0\x80"),
                          ("overlong", b"\xc0\xaf")):
            e, res = raw_call(u, "book.create", [("name", raw_str(raw))])
            check_error_pair(e, res, "book.create")
            check_eq(e[0], "bad_request", "name %s" % what, message=e[1])
            check("'name'" in e[1], "name %s names the field" % what,
                  message=e[1])
        for dsc in ("x" * 4096, "a\nb\tc", "\u00e9" * 2048):
            b = u.ok("book.create", {"name": "D%d" % len(dsc),
                                     "description": dsc})["book"]
            check_eq(b["description"], dsc, "description stored")
        for dsc in ("", "x" * 4097, "\u00e9" * 2048 + "x", "a\rb", "\x00",
                    "\x7f", 5, ["d"]):
            u.bad("book.create", {"name": "Dbad", "description": dsc},
                  "description", "description %r" % (
                      dsc if not isinstance(dsc, str) else dsc[:20],))
        count = len(good) + 3
        check_eq(len(u.ok("book.list")["books"]), count,
                 "only the good ones were created")

        u.ok("book.create", {"name": "Home"})
        for n in ("Home", "home", "HOME", "hOmE"):
            dup_conflict(u, {"name": n}, [n, "Home"], "duplicate %r" % n)
        # ASCII folding only: E-acute and e-acute are two names.
        u.ok("book.create", {"name": "\u00c9mile"})
        u.ok("book.create", {"name": "\u00e9mile"})
        dup_conflict(u, {"name": "\u00c9mile"}, ["\u00c9mile"],
                     "exact non-ASCII duplicate")
        u.ok("book.create", {"name": "Home2"})
        u.ok("book.create", {"name": "Home "})
        check_eq(len(u.ok("book.list")["books"]), count + 5, "count")
        # Twenty concurrent creates of one name (in case variants) on two
        # connections: exactly one wins.
        with d.client() as c2:
            reqs = [{"token": u.token, "name": n}
                    for n in ("Race", "race", "RACE", "rAce", "Race") * 2]
            for p in reqs:
                c2.request("book.create", p)
            answers = u.pipe([("book.create", {"name": p["name"]})
                              for p in reqs])
            for _ in reqs:
                msg = c2.read_response()
                answers.append((msg[2], msg[3]))
        won = [res for e, res in answers if e is None]
        check_eq(len(won), 1, "one concurrent create wins",
                 errors=sorted({e[0] for e, _ in answers if e}))
        check_eq(sorted({e[0] for e, _ in answers if e}), ["conflict"],
                 "the others are conflict")
        check_eq(len(u.ok("book.list")["books"]), count + 6, "count")
        bob = register_login(c, "bob")
        bob.ok("book.create", {"name": "Home"})
        check_eq([b["name"] for b in bob.ok("book.list")["books"]], ["Home"],
                 "bob has his own Home")


def test_currency_decimals(t):
    """currency is three ASCII capitals; decimals come from it: JPY 0,
    EUR 2, BHD 3, CLF 4, an unknown code (ZZZ) and XXX 2."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        want = {"EUR": 2, "JPY": 0, "BHD": 3, "CLF": 4, "XXX": 2, "ZZZ": 2,
                "USD": 2, "QQQ": 2}
        for cur, dec in want.items():
            res = u.ok("book.create", {"name": "B " + cur, "currency": cur})
            b = res["book"]
            check_eq((b["currency"], b["decimals"]), (cur, dec),
                     "book.create %s" % cur)
            bal = u.balance(res["book_id"])
            check_eq((bal["currency"], bal["decimals"]), (cur, dec),
                     "book.balance %s" % cur)
            check_eq(u.get_book(res["book_id"])["decimals"], dec,
                     "book.get %s" % cur)
        for cur in ("eur", "Eur", "EURO", "E1R", "EU", "", "E R", "EUR ",
                    " EUR", "\u00c9UR", "E\x00R", "123", 978, ["EUR"],
                    True, {"c": "EUR"}):
            u.bad("book.create", {"name": "Bad", "currency": cur},
                  "currency", "currency %r" % (cur,))
        check_eq(len(u.ok("book.list")["books"]), len(want), "count")
        # Amounts are in minor units whatever the decimals.
        jpy = [b for b in u.ok("book.list")["books"]
               if b["currency"] == "JPY"][0]["book_id"]
        check_eq(u.add(jpy, "in", 1500, "2026-01-01")["balance"], 1500,
                 "1500 yen")


def test_currency_decimals_iso(t):
    """More ISO 4217 minor units (the spec: decimals come from the ISO
    4217 currency): KRW/ISK/VND 0, KWD/OMR/JOD/TND 3, UYW 4, GBP/CHF 2."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        want = {"KRW": 0, "ISK": 0, "VND": 0, "CLP": 0, "KWD": 3, "OMR": 3,
                "JOD": 3, "TND": 3, "IQD": 3, "LYD": 3, "UYW": 4, "GBP": 2,
                "CHF": 2, "INR": 2}
        got = {}
        for cur in want:
            got[cur] = u.ok("book.create", {"name": cur, "currency": cur}
                            )["book"]["decimals"]
        check_eq(got, want, "decimals by ISO 4217")


def test_default_currency_flag(t):
    """--default-currency JPY: a book created without a currency is JPY
    with 0 decimals; a malformed value is refused at start (exit 2)."""
    with t.daemon("--default-currency", "JPY").start() as d, \
            d.client() as c:
        u = register_login(c, "alice")
        b = u.ok("book.create", {"name": "Default"})["book"]
        check_eq((b["currency"], b["decimals"]), ("JPY", 0),
                 "default currency from the flag")
        b = u.ok("book.create", {"name": "Given", "currency": "EUR"})["book"]
        check_eq((b["currency"], b["decimals"]), ("EUR", 2),
                 "a given currency wins")
    for bad in ("eur", "EURO", "E1R"):
        d = t.daemon("--default-currency", bad).spawn()
        d.expect_exit = 2
        code = d.wait_exit(10)
        check_eq(code, 2, "--default-currency %s: exit status" % bad,
                 log=d.log_text())
        d.cleanup()


def test_list_order(t):
    """book.list: the caller's books ordered by name ASCII
    case-insensitively (then book_id), with their current figures."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        bob = register_login(c, "bob")
        bob.book("Bob's")
        names = ["Zeta", "_under", "alpha", "Beta", "beta2", "\u00c9mile",
                 "\u00e9mile", "a", "B", "[x]", "Alpha2", "10", "9", "ZZ"]
        ids = {}
        for n in names:
            ids[n] = u.book(n)
        u.add(ids["Beta"], "in", 500, "2026-01-01")
        u.add(ids["Beta"], "out", 200, "2026-01-02")
        books = u.ok("book.list")["books"]
        check_eq(sorted(u.ok("book.list")), ["books", "next_cursor"],
                 "book.list keys")
        for b in books:
            check_book(b)
        want = sorted(names, key=lambda n: (n.encode().lower(), ids[n]))
        check_eq([b["name"] for b in books], want, "order")
        beta = [b for b in books if b["name"] == "Beta"][0]
        check_eq((beta["cash_in"], beta["cash_out"], beta["balance"],
                  beta["count"]), (500, 200, 300, 2), "figures in the list")
        check_eq(beta, u.get_book(ids["Beta"]), "list item = book.get")
        check_eq([b["name"] for b in bob.ok("book.list")["books"]],
                 ["Bob's"], "bob sees only his book")
        fresh = register_login(c, "carol")
        check_eq(fresh.ok("book.list"), {"books": [], "next_cursor": None}, "no books")


# ---------------------------------------------------------------- update

def test_update(t):
    """book.update: name and description; nil clears the description;
    nothing given is bad_request; a duplicate name is conflict but a case
    change of the book's own name is not; the currency never changes."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home", currency="EUR", description="d1")
        other = u.book("Work")
        b0 = u.get_book(b)
        now = advance(c, 100)
        res = u.ok("book.update", {"book_id": b, "name": "House"})
        check_eq(sorted(res), ["book"], "book.update keys")
        b1 = res["book"]
        check_eq((b1["name"], b1["description"], b1["currency"]),
                 ("House", "d1", "EUR"), "renamed")
        check_eq(b1["created_at"], b0["created_at"], "created_at kept")
        near(b1["updated_at"], now, 5, "updated_at moved")
        check_eq(u.get_book(b), b1, "book.get after update")
        b2 = u.ok("book.update", {"book_id": b, "description": "d2\nx"}
                  )["book"]
        check_eq((b2["name"], b2["description"]), ("House", "d2\nx"),
                 "description")
        b3 = u.ok("book.update", {"book_id": b, "description": None}
                  )["book"]
        check_eq(b3["description"], None, "description nil clears it")
        b4 = u.ok("book.update", {"book_id": b, "name": "HOUSE",
                                  "description": "both"})["book"]
        check_eq((b4["name"], b4["description"]), ("HOUSE", "both"),
                 "a case change of its own name")
        u.ok("book.update", {"book_id": b, "name": "HOUSE"})
        for n in ("Work", "work", "WORK"):
            e = u.err("book.update", {"book_id": b, "name": n})
            check_eq(e[0], "conflict", "rename to %r: code" % n)
            check(e[1] in ("you already have a book named '%s'" % n,
                           "you already have a book named 'Work'"),
                  "rename conflict message", message=e[1])
        e = u.err("book.update", {"book_id": b})
        check_eq(e[0], "bad_request", "nothing to change: code")
        check("nothing to change" in e[1], "nothing to change: message",
              message=e[1])
        u.bad("book.update", {"book_id": b, "currency": "USD"}, "currency",
              "currency cannot change")
        for k, v in (("name", ""), ("name", "x" * 101), ("name", None),
                     ("name", "a\nb"), ("name", 5), ("description", ""),
                     ("description", "x" * 4097), ("description", 7),
                     ("description", "\x00"), ("foo", 1), ("force", True),
                     ("cash_in", 5)):
            u.bad("book.update", {"book_id": b, k: v}, k,
                  "book.update %s=%r" % (k, v if len(repr(v)) < 30 else
                                         "..."))
        check_eq(u.get_book(b), u.get_book(b), "stable")
        b5 = u.get_book(b)
        check_eq((b5["name"], b5["description"], b5["currency"],
                  b5["decimals"]), ("HOUSE", "both", "EUR", 2),
                 "unchanged by the refused updates")
        check_eq(u.get_book(other)["name"], "Work", "the other book")
        check_eq(u.err("book.update", {"book_id": 10 ** 9, "name": "Q"}),
                 NO_BOOK, "unknown book")
        names = [x["name"] for x in u.ok("book.list")["books"]]
        check_eq(names, ["HOUSE", "Work"], "list after the renames")


# ---------------------------------------------------------------- delete

def test_delete(t):
    """book.delete: an empty book goes at once; with entries (trashed ones
    included) it is conflict unless force is true, which deletes the
    entries, the trash and the history with it."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        empty = u.book("Empty")
        check_eq(u.ok("book.delete", {"book_id": empty}),
                 {"deleted_entries": 0}, "empty book")
        check_eq(u.err("book.get", {"book_id": empty}), NO_BOOK, "gone")
        check_eq(u.err("book.delete", {"book_id": empty}), NO_BOOK,
                 "deleted twice")

        b = u.book("Full")
        keep = u.book("Keep")
        kept = u.add(keep, "in", 9, "2026-01-01", idempotency_key="k")
        ids = [u.add(b, "in", 10 * (i + 1), "2026-01-0%d" % (i + 1),
                     idempotency_key="k%d" % i)["entry_id"]
               for i in range(4)]
        u.ok("entry.update", {"entry_id": ids[0], "amount": 11})
        u.ok("entry.delete", {"entry_id": ids[1]})
        for p in ({}, {"force": False}):
            e = u.err("book.delete", dict(p, book_id=b))
            check_eq(e[0], "conflict", "%r: code" % p, message=e[1])
            check("'Full' has 4 entries" in e[1] and
                  "pass force: true" in e[1], "%r: message" % p,
                  message=e[1])
        for v in ("yes", 1, "true", [True]):
            u.bad("book.delete", {"book_id": b, "force": v}, "force",
                  "force %r" % (v,))
        check_eq(u.balance(b)["count"], 3, "nothing was deleted")
        # Only trashed entries left still count.
        b_trash = u.book("OnlyTrash")
        t1 = u.add(b_trash, "out", 1, "2026-01-01")["entry_id"]
        u.ok("entry.delete", {"entry_id": t1})
        e = u.err("book.delete", {"book_id": b_trash})
        check_eq(e[0], "conflict", "a trashed entry counts", message=e[1])
        check("'OnlyTrash' has 1 entry (trash included)" in e[1] and
              "delete it too" in e[1], "the trashed entry is "
              "counted", message=e[1])

        check_eq(u.ok("book.delete", {"book_id": b, "force": True}),
                 {"deleted_entries": 4}, "force")
        check_eq(u.err("book.get", {"book_id": b}), NO_BOOK, "book gone")
        for eid in ids:
            check_eq(u.err("entry.get", {"entry_id": eid}), NO_ENTRY,
                     "entry %d gone" % eid)
            check_eq(u.err("entry.history", {"entry_id": eid}), NO_ENTRY,
                     "history %d gone" % eid)
        check_eq(u.err("entry.restore", {"entry_id": ids[1]}), NO_ENTRY,
                 "the trash went too")
        check_eq(u.err("entry.update", {"entry_id": ids[0], "amount": 1}),
                 NO_ENTRY, "update of a deleted book's entry")
        check_eq(u.err("entry.delete", {"entry_id": ids[2]}), NO_ENTRY,
                 "delete of a deleted book's entry")
        for m, p in (("book.balance", {}), ("book.verify", {}),
                     ("entry.list", {}), ("report.summary", {"by": "month"}),
                     ("book.update", {"name": "X"}),
                     ("entry.add", {"type": "in", "amount": 1,
                                    "date": "2026-01-01"})):
            check_eq(u.err(m, dict(p, book_id=b)), NO_BOOK,
                     "%s of a deleted book" % m)
        check_eq([x["name"] for x in u.ok("book.list")["books"]],
                 ["Keep", "OnlyTrash"], "book.list")
        # The name is free again; the new book is empty and its keys too.
        nb = u.book("Full")
        check(nb != b, "a new book_id")
        check_eq(u.balance(nb)["count"], 0, "the new book is empty")
        r = u.add(nb, "in", 10, "2026-01-01", idempotency_key="k0")
        check_eq(r["replayed"], False, "the old keys went with the book")
        # The other book is untouched.
        check_eq(u.get(kept["entry_id"])["amount"], 9, "other book entry")
        check_eq(u.balance(keep)["balance"], 9, "other book balance")
        check_eq(u.ok("book.delete", {"book_id": b_trash, "force": True}),
                 {"deleted_entries": 1}, "force on a trash-only book")


def test_delete_conflict_message(t):
    """The conflict of book.delete says exactly what the spec says: book
    'NAME' has N entries (trash included); pass force: true to delete
    them too."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Full")
        u.add(b, "in", 1, "2026-01-01")
        eid = u.add(b, "in", 1, "2026-01-01")["entry_id"]
        u.ok("entry.delete", {"entry_id": eid})
        check_eq(u.err("book.delete", {"book_id": b}),
                 ["conflict", "book 'Full' has 2 entries (trash included); pass force: true "
                  "to delete them too"], "the conflict")


def test_balance(t):
    """book.balance: the live totals, count, currency and decimals, the
    same as book.get, after adds, updates, deletes and restores."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Bal", currency="BHD")
        check_eq(u.balance(b), {"cash_in": 0, "cash_out": 0, "balance": 0,
                                "count": 0, "currency": "BHD",
                                "decimals": 3}, "empty")
        m = Model()
        rnd = random.Random(5)
        for i in range(40):
            typ = rnd.choice(("in", "out"))
            amt = rnd.randrange(1, 10 ** 7)
            eid = u.add(b, typ, amt, "2026-02-%02d" % (i % 28 + 1)
                        )["entry_id"]
            m.put(eid, {"type": typ, "amount": amt})
        for eid in sorted(m.entries)[::5]:
            u.ok("entry.delete", {"entry_id": eid})
            m.entries[eid]["deleted"] = True
        for eid in sorted(m.entries)[1::7]:
            if not m.entries[eid]["deleted"]:
                u.ok("entry.update", {"entry_id": eid, "amount": 3,
                                      "type": "in"})
                m.entries[eid].update(amount=3, type="in")
        u.ok("entry.restore", {"entry_id": sorted(m.entries)[0]})
        m.entries[sorted(m.entries)[0]]["deleted"] = False
        want = m.totals()
        bal = u.balance(b)
        check_eq({k: bal[k] for k in want}, want, "book.balance")
        bk = u.get_book(b)
        check_eq({k: bk[k] for k in want}, want, "book.get")
        u.bad("book.balance", {}, "book_id", "missing book_id")
        u.bad("book.balance", {"book_id": b, "from": "2026-01-01"}, "from",
              "book.balance takes no from")


# ---------------------------------------------------------------- verify

def corrupt(d, sql, args):
    con = sqlite3.connect(d.db, timeout=10)
    try:
        cur = con.execute(sql, args)
        check_eq(cur.rowcount, 1, "one row corrupted: %s" % sql)
        con.commit()
    finally:
        con.close()


def test_verify_and_repair(t):
    """book.verify is ok on a healthy book; after a stored total is
    corrupted in the database file it reports ok false with a problem
    naming the figure, and repair: true rewrites the stored figures."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Audit")
        other = u.book("Other")
        u.add(other, "in", 5, "2026-01-01")
        m = Model()
        for i, (typ, amt) in enumerate((("in", 1000), ("out", 250),
                                        ("in", 75), ("out", 5))):
            eid = u.add(b, typ, amt, "2026-01-%02d" % (i + 1))["entry_id"]
            m.put(eid, {"type": typ, "amount": amt})
        u.ok("entry.delete", {"entry_id": eid})
        m.entries[eid]["deleted"] = True
        real = m.totals()
        v = u.verify(b)
        check_eq(v["ok"], True, "healthy", result=v)
        check_eq(v["problems"], [], "no problems")
        check_eq(v["repaired"], False, "nothing repaired")
        check_eq(v["stored"], real, "stored")
        check_eq(v["computed"], real, "computed")

        for column, field, delta in (("cash_in", "cash_in", 1),
                                     ("cash_out", "cash_out", 7),
                                     ("entry_count", "count", 2)):
            corrupt(d, "UPDATE books SET %s = %s + ? WHERE book_id = ?"
                    % (column, column), (delta, b))
            bal = u.balance(b)
            check_eq(bal[field], real[field] + delta,
                     "%s: book.balance reads the stored figure" % column)
            v = u.verify(b)
            check_eq(v["ok"], False, "%s corrupted: ok false" % column,
                     result=v)
            check(any(field in p for p in v["problems"]),
                  "%s corrupted: a problem names %s" % (column, field),
                  problems=v["problems"])
            check_eq(v["stored"][field], real[field] + delta,
                     "%s: stored" % column)
            check_eq(v["computed"], real, "%s: computed" % column)
            check_eq(v["repaired"], False, "not repaired without repair")
            check_eq(u.verify(b)["ok"], False, "verify alone fixes nothing")
            v = u.verify(b, repair=True)
            check_eq(v["repaired"], True, "%s: repaired" % column, result=v)
            check_eq(v["computed"], real, "%s: computed" % column)
            v = u.verify(b)
            check_eq(v["ok"], True, "%s: ok after repair" % column,
                     result=v)
            check_eq(v["stored"], real, "%s: stored after repair" % column)
            check_eq(v["problems"], [], "no problems after repair")
            bal = u.balance(b)
            check_eq({k: bal[k] for k in real}, real,
                     "%s: book.balance after repair" % column)
        # Two figures at once: both named.
        corrupt(d, "UPDATE books SET cash_in = cash_in - 3, "
                "cash_out = cash_out + 3 WHERE book_id = ?", (b,))
        v = u.verify(b)
        check_eq(v["ok"], False, "two corrupted: ok false")
        for f in ("cash_in", "cash_out"):
            check(any(f in p for p in v["problems"]), "names %s" % f,
                  problems=v["problems"])
        u.verify(b, repair=True)
        check_eq(u.verify(b)["ok"], True, "ok after the second repair")
        # The entries still work on top of the repaired totals.
        u.add(b, "in", 1, "2026-01-09")
        check_eq(u.balance(b)["balance"], real["balance"] + 1, "balance")
        check_eq(u.verify(b)["ok"], True, "ok after another add")
        check_eq(u.verify(other)["ok"], True, "the other book was fine")
        v = u.verify(b, repair=False)
        check_eq((v["ok"], v["repaired"]), (True, False), "repair false")
        for v in ("yes", 1, [True]):
            u.bad("book.verify", {"book_id": b, "repair": v}, "repair",
                  "repair %r" % (v,))


def test_verify_running_index(t):
    """book.verify also checks the running-balance index (table
    book_periods: the net of the live entries per year, month and day);
    a corrupted, missing or stray row is a problem, and repair: true
    rebuilds it so that the running balances are right again."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Index")
        m = Model()
        rows = [("in", 1000, "2025-12-31", None), ("out", 250, "2026-01-01",
                                                   "10:00"),
                ("in", 75, "2026-01-02", None), ("out", 5, "2026-01-02",
                                                 "08:00"),
                ("in", 3, "2026-02-10", None), ("out", 2, "2027-03-01",
                                                None)]
        for typ, amt, date, tm in rows:
            eid = u.add(b, typ, amt, date, time=tm)["entry_id"]
            m.put(eid, {"type": typ, "amount": amt, "date": date,
                        "time": tm})
        check_listing(u, b, m, what="healthy")
        check_eq(u.verify(b)["ok"], True, "healthy")
        damage = [
            ("a day row off by 5", "UPDATE book_periods SET cash_in = "
             "cash_in + 5 WHERE book_id = ? AND period = 20260102"),
            ("a month row off by -1", "UPDATE book_periods SET cash_out = "
             "cash_out + 1 WHERE book_id = ? AND period = 202601"),
            ("a year row off by 9", "UPDATE book_periods SET cash_in = "
             "cash_in + 9 WHERE book_id = ? AND period = 2026"),
            ("a day row's count off", "UPDATE book_periods SET entry_count "
             "= entry_count + 1 WHERE book_id = ? AND period = 20260210"),
            ("a year row missing", "DELETE FROM book_periods WHERE "
             "book_id = ? AND period = 2025"),
            ("a day row missing", "DELETE FROM book_periods WHERE "
             "book_id = ? AND period = 20270301"),
            ("a stray row", "INSERT INTO book_periods (book_id, period, "
             "cash_in, cash_out, entry_count) VALUES (?, 20300101, 7, 0, 1)"),
        ]
        for what, sql in damage:
            corrupt(d, sql, (b,))
            v = u.verify(b)
            check_eq(v["ok"], False, "%s: ok false" % what, result=v)
            check(v["problems"], "%s: a problem is named" % what, result=v)
            t.diag("%s: %s" % (what, v["problems"]))
            check_eq(v["computed"], v["stored"],
                     "%s: the totals themselves are fine" % what)
            v = u.verify(b, repair=True)
            check_eq(v["repaired"], True, "%s: repaired" % what, result=v)
            v = u.verify(b)
            check_eq((v["ok"], v["problems"]), (True, []),
                     "%s: ok after repair" % what, result=v)
            check_listing(u, b, m, what="after repairing %s" % what)
            check_listing(u, b, m, limit=2, what="after repairing %s" %
                          what)


# ---------------------------------------------------------------- report

def report_book(u, b, rnd):
    m = Model()
    cats = ["Food", "food", "FOOD", "Rent", "rent ", "\u00c9cole",
            "\u00e9cole", "Zeta", "_x", "alpha", None, None]
    modes = ["Cash", "cash", "Card", "UPI", None]
    parties = ["ACME", "Acme", "Bob", None]
    tags = ["Trip", "trip", "TRIP", "work", "_x", "\u00e9t\u00e9"]
    calls, fields = [], []
    start = datetime.date(2025, 10, 15)
    for i in range(140):
        f = {"type": rnd.choice(("in", "out")),
             "amount": rnd.choice((1, 99, 1000, rnd.randrange(1, 10 ** 9),
                                   MAX_AMOUNT)),
             "date": (start + datetime.timedelta(days=rnd.randrange(170))
                      ).isoformat(),
             "category": rnd.choice(cats), "mode": rnd.choice(modes),
             "party": rnd.choice(parties),
             "tags": sorted(rnd.sample(tags, rnd.choice((0, 0, 1, 2))))}
        fields.append(f)
        calls.append(("entry.add", dict({k: v for k, v in f.items()
                                         if v is not None}, book_id=b)))
    for f, (e, res) in zip(fields, u.pipe(calls)):
        check(e is None, "setup add", error=e)
        m.put(res["entry_id"], f)
    for eid in sorted(m.entries)[3::8]:
        u.ok("entry.delete", {"entry_id": eid})
        m.entries[eid]["deleted"] = True
    return m


def test_report_summary(t):
    """report.summary by category, month, mode, party and tag, with and
    without from/to, against a recomputation: live entries only, month keys
    'YYYY-MM' ascending, text keys by ASCII case-insensitive then bytewise
    order with the nil key last, and the total."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Report")
        m = report_book(u, b, random.Random(99))
        ranges = [(None, None), ("2025-11-01", None), (None, "2026-01-31"),
                  ("2025-12-10", "2026-02-10"), ("2026-01-15", "2026-01-15"),
                  ("2030-01-01", None)]
        for by in ("category", "month", "mode", "party", "tag"):
            for frm, to in ranges:
                p = {"book_id": b, "by": by}
                if frm:
                    p["from"] = frm
                if to:
                    p["to"] = to
                res = u.ok("report.summary", p)
                check_eq(sorted(res), ["rows", "total"], "report keys")
                for row in res["rows"]:
                    check_eq(sorted(row), ["cash_in", "cash_out", "count",
                                           "key", "net"], "row keys",
                             row=row)
                check_eq(res, m.report(by, frm, to),
                         "report by %s from %s to %s" % (by, frm, to))
                keys = [r["key"] for r in res["rows"]]
                if by == "month":
                    check(all(k is not None and MONTH_RE.match(k)
                              for k in keys), "month keys", keys=keys)
                    check_eq(keys, sorted(keys), "months ascending")
                elif None in keys:
                    check_eq(keys.index(None), len(keys) - 1,
                             "the nil key is last")
        res = u.ok("report.summary", {"book_id": b, "by": "category"})
        keys = [r["key"] for r in res["rows"]]
        check(keys.index("FOOD") < keys.index("Food") < keys.index("food"),
              "case variants are separate rows, bytewise among equals",
              keys=keys)
        check(keys.index("_x") < keys.index("alpha") < keys.index("Zeta"),
              "ASCII case-insensitive order", keys=keys)
        tot = m.totals()
        check_eq(res["total"], {"cash_in": tot["cash_in"],
                                "cash_out": tot["cash_out"],
                                "net": tot["balance"],
                                "count": tot["count"]},
                 "total = the book's live totals")
        empty = u.book("Empty")
        for by in ("category", "month", "mode", "party", "tag"):
            check_eq(u.ok("report.summary", {"book_id": empty, "by": by}),
                     {"rows": [], "total": {"cash_in": 0, "cash_out": 0,
                                            "net": 0, "count": 0}},
                     "an empty book by %s" % by)


def test_report_validation(t):
    """report.summary: by must be one of the four groupings; from/to real
    dates; unknown keys refused."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("R")
        for v in ("year", "Category", "MONTH", "", "tags", "type", None, 1,
                  ["month"]):
            u.bad("report.summary", {"book_id": b, "by": v}, "by",
                  "by %r" % (v,))
        u.bad("report.summary", {"book_id": b}, "by", "missing by")
        for k, v in (("from", "2026-02-30"), ("to", "2026-1-1"),
                     ("from", ""), ("to", 20260101), ("foo", 1),
                     ("type", "in"), ("limit", 5)):
            u.bad("report.summary", {"book_id": b, "by": "month", k: v}, k,
                  "report %s=%r" % (k, v))
        u.bad("report.summary", {"by": "month"}, "book_id", "no book_id")


# ---------------------------------------------------------------- isolation

def snapshot(u, b, eids):
    return {
        "book": u.get_book(b),
        "list": u.list_all(b),
        "trash": u.list_all(b, {"trash": True}),
        "entries": [u.get(e) for e in eids],
        "history": [u.history(e) for e in eids],
        "report": u.ok("report.summary", {"book_id": b, "by": "category"}),
        "books": u.ok("book.list"),
        "verify": u.verify(b),
    }


def test_isolation(t):
    """User B gets not_found -- the same answer as for ids that do not
    exist -- for A's book_id and entry_ids on every method, and A's data is
    unchanged by B's attempts."""
    with t.daemon().start() as d, d.client() as c:
        a = register_login(c, "alice")
        bu = register_login(c, "bob")
        ab = a.book("Secret", currency="EUR", description="a's")
        live = a.add(ab, "in", 500, "2026-01-01", category="X",
                     idempotency_key="k")["entry_id"]
        trashed = a.add(ab, "out", 20, "2026-01-02")["entry_id"]
        a.ok("entry.delete", {"entry_id": trashed})
        bb = bu.book("Mine")
        before = snapshot(a, ab, [live, trashed])
        missing_book = 10 ** 9
        missing_entry = 10 ** 9
        book_calls = [
            ("book.get", {}), ("book.update", {"name": "Pwned"}),
            ("book.update", {"description": None}),
            ("book.delete", {}), ("book.delete", {"force": True}),
            ("book.balance", {}), ("book.verify", {}),
            ("book.verify", {"repair": True}),
            ("entry.add", {"type": "in", "amount": 1, "date": "2026-01-01"}),
            ("entry.add", {"type": "in", "amount": 500,
                           "date": "2026-01-01", "category": "X",
                           "idempotency_key": "k"}),
            ("entry.list", {}), ("entry.list", {"trash": True}),
            ("report.summary", {"by": "month"}),
        ]
        entry_calls = [
            ("entry.get", {}), ("entry.update", {"amount": 1}),
            ("entry.update", {"note": None}), ("entry.delete", {}),
            ("entry.restore", {}), ("entry.history", {}),
        ]
        n = 0
        for method, p in book_calls:
            for bid in (ab, missing_book):
                check_eq(bu.err(method, dict(p, book_id=bid)), NO_BOOK,
                         "bob %s on book %d" % (method, bid))
                n += 1
        for method, p in entry_calls:
            for eid in (live, trashed, missing_entry):
                check_eq(bu.err(method, dict(p, entry_id=eid)), NO_ENTRY,
                         "bob %s on entry %d" % (method, eid))
                n += 1
        t.diag("%d of bob's calls refused" % n)
        check_eq(bu.ok("book.list")["books"][0]["book_id"], bb,
                 "bob lists only his book")
        check_eq(len(bu.ok("book.list")["books"]), 1, "one book")
        check_eq(snapshot(a, ab, [live, trashed]), before,
                 "alice's data is unchanged")
        # Bob's own book works, with alice's key and book name.
        r = bu.add(bb, "in", 500, "2026-01-01", category="X",
                   idempotency_key="k")
        check_eq(r["replayed"], False, "keys are per book")
        bu.ok("book.update", {"book_id": bb, "name": "Secret"})
        check_eq(bu.err("entry.get", {"entry_id": live}), NO_ENTRY,
                 "still not found")
        check_eq(a.err("entry.get", {"entry_id": r["entry_id"]}), NO_ENTRY,
                 "and the other way round")
        check_eq(a.err("book.get", {"book_id": bb}), NO_BOOK,
                 "alice cannot see bob's book")
        check_eq(snapshot(a, ab, [live, trashed]), before,
                 "alice's data is still unchanged")


def valid_params(b, eid, trashed):
    """A well-formed call of every method on book b and entry eid (trashed:
    the entry entry.restore names)."""
    return {
        "book.create": {"name": "New"}, "book.list": {},
        "book.get": {"book_id": b},
        "book.update": {"book_id": b, "name": "Renamed"},
        "book.delete": {"book_id": b, "force": True},
        "book.balance": {"book_id": b},
        "book.verify": {"book_id": b, "repair": True},
        "entry.add": {"book_id": b, "type": "in", "amount": 1,
                      "date": "2026-01-01"},
        "entry.get": {"entry_id": eid},
        "entry.update": {"entry_id": eid, "amount": 2},
        "entry.delete": {"entry_id": eid},
        "entry.restore": {"entry_id": trashed},
        "entry.history": {"entry_id": eid},
        "entry.list": {"book_id": b},
        "report.summary": {"book_id": b, "by": "month"},
    }


def test_missing_and_bad_token(t):
    """Every method of the section without a token is unauthorized
    'missing token; log in first'; with a malformed, unknown or logged-out
    token unauthorized '...; log in again'; nothing is done.  (--auth
    token: in peer mode no token means the peer, see test_identity.py.)"""
    with t.daemon("--auth", "token").start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Mine")
        eid = u.add(b, "in", 5, "2026-01-01")["entry_id"]
        old = c.call_ok("auth.login", {"username": "alice",
                                       "password": "correct horse 1"})
        c.call_ok("auth.logout", {"token": old["token"]})
        params = valid_params(b, eid, eid)
        check_eq(sorted(params), sorted(METHODS), "every method")
        before = snapshot(u, b, [eid])
        bogus = ["", "x", "cb1_1_" + "A" * 43, "cb1_999_" + "B" * 43,
                 old["token"]]
        for method in METHODS:
            e, res = c.call(method, params[method])
            check_error_pair(e, res, method)
            check_eq(e, MISSING_TOKEN, "%s without a token" % method)
            e, res = c.call(method, dict(params[method], token=None))
            check_error_pair(e, res, method)
            check_eq(e[0], "unauthorized", "%s with token nil" % method,
                     message=e[1])
            for tok in bogus:
                e, res = c.call(method, dict(params[method], token=tok))
                check_error_pair(e, res, method)
                check_eq(e[0], "unauthorized", "%s with token %r: code" % (
                    method, tok[:12]), message=e[1])
                check(e[1].endswith("; log in again") or
                      e[1] == MISSING_TOKEN[1],
                      "%s with token %r: message" % (method, tok[:12]),
                      message=e[1])
        check_eq(snapshot(u, b, [eid]), before, "nothing changed")
        # An expired session, for every method.
        short = c.call_ok("auth.login", {"username": "alice",
                                         "password": "correct horse 1"})
        advance(c, 2592000 + 10)
        for method in METHODS:
            e, res = c.call(method, dict(params[method],
                                         token=short["token"]))
            check_error_pair(e, res, method)
            check_eq(e, ["unauthorized", "session expired; log in again"],
                     "%s with an expired token" % method)


def test_delete_racing_adds(t):
    """book.delete force while another connection keeps adding to the
    book: every add either succeeded before the delete (and is counted in
    deleted_entries, and gone after) or is not_found; nothing is left
    behind."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        u = register_login(c, "alice")
        b = u.book("Doomed")
        keep = u.book("Keep")
        for i in range(5):
            u.add(b, "in", 1, "2026-01-01")
        p = {"token": u.token, "book_id": b, "type": "in", "amount": 2,
             "date": "2026-01-02"}
        n = 200
        for i in range(n // 2):
            c2.request("entry.add", dict(p, note="n%d" % i))
        msgid = c.request("book.delete", u.params({"book_id": b,
                                                   "force": True}))
        for i in range(n // 2, n):
            c2.request("entry.add", dict(p, note="n%d" % i))
        msg = c.read_response()
        check_eq(msg[1], msgid, "the delete's answer")
        check(msg[2] is None, "book.delete force", error=msg[2])
        res = msg[3]
        added, gone = [], 0
        for _ in range(n):
            msg = c2.read_response()
            if msg[2] is None:
                added.append(msg[3]["entry_id"])
            else:
                check_eq(msg[2], NO_BOOK, "an add after the delete")
                gone += 1
        t.diag("%d adds before the delete, %d after" % (len(added), gone))
        check_eq(res["deleted_entries"], 5 + len(added),
                 "deleted_entries counts every add that succeeded")
        for eid in added:
            check_eq(u.err("entry.get", {"entry_id": eid}), NO_ENTRY,
                     "entry %d went with the book" % eid)
        check_eq([x["book_id"] for x in u.ok("book.list")["books"]],
                 [keep], "only the other book is left")
        check_eq(u.verify(keep)["ok"], True, "the other book is fine")


# A book's rows in each table that holds some.
BOOK_ROWS = ("SELECT count(*) FROM entries WHERE book_id = ?",
             "SELECT count(*) FROM book_periods WHERE book_id = ?",
             "SELECT count(*) FROM books WHERE book_id = ?",
             "SELECT count(*) FROM book_members WHERE book_id = ?")


def db_counts(path, book_id, queries):
    """The first column of each query's row, with ? = book_id, read from
    the database file directly."""
    con = sqlite3.connect(path, timeout=10)
    try:
        return [con.execute(q, (book_id,)).fetchone()[0] for q in queries]
    finally:
        con.close()


def test_delete_in_batches(t):
    """A book of 4500 entries (three delete batches of 2000) goes whole:
    the answer counts them all, its name is free again, its entries,
    history and period rows are gone from the file, and writes to another
    book made while it was being deleted all succeed."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        u = register_login(c, "alice")
        b = u.book("Big")
        keep = u.book("Keep")
        calls = [("entry.add", {"book_id": b, "type": "in" if i % 3 else
                  "out", "amount": 100 + i, "date": "2026-%02d-%02d" %
                  (1 + i % 12, 1 + i % 28), "note": "n%d" % i})
                 for i in range(4500)]
        for e, _ in u.pipe(calls):
            check(e is None, "setup add", error=e)
        u.ok("entry.delete", {"entry_id": 1})      # the trash goes too
        msgid = c.request("book.delete", u.params({"book_id": b,
                                                   "force": True}))
        p = {"token": u.token, "book_id": keep, "type": "in", "amount": 7,
             "date": "2026-02-02"}
        for i in range(50):
            c2.request("entry.add", p)
        msg = c.read_response()
        check_eq(msg[1], msgid, "the delete's answer")
        check(msg[2] is None, "book.delete force", error=msg[2])
        check_eq(msg[3], {"deleted_entries": 4500}, "deleted_entries")
        for _ in range(50):
            msg = c2.read_response()
            check(msg[2] is None, "an add to the other book", error=msg[2])
        check_eq(u.balance(keep)["balance"], 350, "the other book")
        check_eq([x["name"] for x in u.ok("book.list")["books"]], ["Keep"],
                 "only the other book is listed")
        check_eq(u.err("book.get", {"book_id": b})[0], "not_found",
                 "the book is gone")
        u.book("Big")                              # the name is free
        # The rows go in the background, by the daemon's reaper.
        st = wait_until(lambda: (lambda s: s if s["jobs"]["books_deleted"]
                                 == 1 and not s["jobs"]["running"] else
                                 None)(d.stats()), 30, "the book reaped")
        check_eq(st["jobs"]["batches"], 3, "three batches of 2000")
        check_eq(st["jobs"]["books_waiting"], 0, "no book left hidden")
        left = db_counts(d.db, b, BOOK_ROWS + (
            "SELECT count(*) FROM entry_history WHERE entry_id NOT IN "
            "(SELECT entry_id FROM entries) OR ? IS NULL",))
        check_eq(left, [0, 0, 0, 0, 0], "no rows of the book are left")


def test_interrupted_delete_finished_at_start(t):
    """A book left hidden by a book.delete whose rows were not all removed
    (the daemon stopped or crashed) is removed whole by the reaper soon
    after cashbookd next starts, and the other books stay."""
    base = tempfile.mkdtemp(prefix="cbit-")
    try:
        interrupted_delete(t, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def interrupted_delete(t, base):
    first = t.daemon(dir=base)
    with first.start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Half")
        keep = u.book("Keep")
        calls = [("entry.add", {"book_id": x, "type": "in", "amount": 3,
                                "date": "2026-03-03"})
                 for x in [b] * 300 + [keep] * 2]
        for e, _ in u.pipe(calls):
            check(e is None, "setup add", error=e)
    # What an interrupted delete leaves: the book hidden, rows still there.
    con = sqlite3.connect(first.db, timeout=10)
    try:
        con.execute("UPDATE books SET deleting = 1 WHERE book_id = ?", (b,))
        con.commit()
    finally:
        con.close()
    with t.daemon(dir=base).start() as d, d.client() as c:
        # The reaper (jobs.h) goes on with it by itself.
        wait_until(lambda: d.stats()["jobs"]["books_deleted"] == 1 and
                   not d.stats()["jobs"]["running"], 30, "the book reaped")
        left = db_counts(d.db, b, BOOK_ROWS)
        kept = db_counts(d.db, keep, ("SELECT entry_count FROM books WHERE "
                                      "book_id = ?",))
        check_eq(left, [0, 0, 0, 0], "nothing of the hidden book is left")
        check_eq(kept, [2], "the other book is untouched")


def test_unknown_fields(t):
    """Every method of the section refuses a key it does not list, naming
    it, and does nothing."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Mine")
        eid = u.add(b, "in", 5, "2026-01-01")["entry_id"]
        trashed = u.add(b, "in", 6, "2026-01-01")["entry_id"]
        u.ok("entry.delete", {"entry_id": trashed})
        params = valid_params(b, eid, trashed)
        check_eq(sorted(params), sorted(METHODS), "every method")
        before = snapshot(u, b, [eid, trashed])
        extra = {"book.list": "book_id", "book.get": "entry_id",
                 "book.balance": "force", "entry.get": "book_id",
                 "entry.history": "amount", "entry.delete": "force",
                 "entry.restore": "amount", "report.summary": "type",
                 "book.verify": "force", "book.delete": "repair",
                 "entry.list": "sort", "entry.update": "book_id",
                 "entry.add": "entry_id", "book.update": "currency",
                 "book.create": "book_id"}
        for method in METHODS:
            for k in ("zzz", extra[method], "Token"):
                p = dict(params[method])
                p[k] = 1
                u.bad(method, p, k, "%s with %s" % (method, k))
        check_eq(snapshot(u, b, [eid, trashed]), before, "nothing changed")


# ---------------------------------------------------------------- hostile

def test_hostile_input(t):
    """Wrong types for every field of the book methods and report.summary,
    huge strings and nested junk: bad_request naming the field, never a
    crash; the daemon still answers and the data is unchanged."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home", currency="EUR")
        eid = u.add(b, "in", 5, "2026-01-01")["entry_id"]
        before = snapshot(u, b, [eid])
        INT = [1.0, "1", True, [1], {"a": 1}, b"\x01", None]
        STR = [1, 1.5, True, ["x"], {"x": 1}]
        BOOL = [1, 0, "true", [True], {"a": True}, 1.0]
        deep = "x"
        for _ in range(12):
            deep = [deep]
        junk = [deep, {"a": {"b": {"c": {"d": [1, {"e": [2]}]}}}}]
        shapes = {
            "book.create": ({"name": "N"}, {
                "name": STR + [None] + junk, "currency": STR + junk,
                "description": STR + junk}),
            "book.get": ({"book_id": b}, {"book_id": INT + junk}),
            "book.update": ({"book_id": b, "description": "z"}, {
                "book_id": INT, "name": STR + junk,
                "description": STR + junk}),
            "book.delete": ({"book_id": b}, {"book_id": INT + junk,
                                             "force": BOOL + junk}),
            "book.balance": ({"book_id": b}, {"book_id": INT}),
            "book.verify": ({"book_id": b}, {"book_id": INT,
                                             "repair": BOOL + junk}),
            "report.summary": ({"book_id": b, "by": "month"}, {
                "book_id": INT, "by": STR + junk, "from": STR + junk,
                "to": STR + junk}),
        }
        n = 0
        for method, (good, fields) in shapes.items():
            for f, values in fields.items():
                for v in values:
                    p = dict(good)
                    p[f] = v
                    u.bad(method, p, f, "%s %s=%r" % (
                        method, f, v if len(repr(v)) < 60 else "..."))
                    n += 1
        t.diag("%d wrong-typed fields refused" % n)
        for v in (-1, 0, -(2 ** 63), 2 ** 63, 2 ** 64 - 1):
            for method in ("book.get", "book.balance", "book.verify",
                           "book.delete"):
                e = u.err(method, {"book_id": v})
                check(e[0] in ("bad_request", "not_found"),
                      "%s book_id=%d: bad_request or not_found" % (method,
                                                                   v),
                      error=e)
        huge = "x" * 1000000
        for f in ("name", "currency", "description"):
            u.bad("book.create", {"name": "H", f: huge}, f, "huge %s" % f)
        u.bad("report.summary", {"book_id": b, "by": huge}, "by",
              "huge by")
        p = {"name": "Junk"}
        for i in range(3000):
            p["k%d" % i] = {"x": [i, "y"]}
        check_eq(u.err("book.create", p)[0], "bad_request",
                 "3000 unknown keys")
        check(c.call_ok("ping")["protocol"] == 1, "still answers ping")
        check_eq(snapshot(u, b, [eid]), before, "the data is unchanged")
        check_eq(d.proc.poll(), None, "the daemon is running")


TESTS = [
    test_create_get,
    test_name_rules,
    test_currency_decimals,
    test_currency_decimals_iso,
    test_default_currency_flag,
    test_list_order,
    test_update,
    test_delete,
    test_delete_conflict_message,
    test_delete_racing_adds,
    test_delete_in_batches,
    test_interrupted_delete_finished_at_start,
    test_balance,
    test_verify_and_repair,
    test_verify_running_index,
    test_report_summary,
    test_report_validation,
    test_isolation,
    test_missing_and_bad_token,
    test_unknown_fields,
    test_hostile_input,
]

if __name__ == "__main__":
    main([clean_exits(f) for f in TESTS])
