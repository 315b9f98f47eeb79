#!/usr/bin/python3
"""
test_entries.py -- entries (docs/protocol.md, "Books and entries") seen
from outside: every validation rule of entry.add and entry.update,
idempotent retries, patch semantics, trash and restore, history, and
hostile input.  entry.list, cursors, filters and running balances are in
test_entries_list.py; the int64 edges in test_entries_money.py.

Usage: test_entries.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, check_error_pair, main, pack  # noqa
from books_common import (MAX_AMOUNT, NO_BOOK, NO_ENTRY,  # noqa
                          Model, advance, check_listing, clean_exits,
                          fields_of, norm, raw_call, raw_str,
                          register_login)

FULL = {"type": "in", "amount": 12345, "date": "2026-03-04",
        "time": "09:30", "category": "Salary", "mode": "Bank Transfer",
        "party": "ACME GmbH", "note": "March\nsalary\tpaid",
        "reference": "INV-7", "tags": ["monthly", "work", "\u00fcn\u00efc"]}


def base(book_id, **kw):
    p = {"book_id": book_id, "type": "in", "amount": 100,
         "date": "2026-01-05"}
    p.update(kw)
    return p


def count(u, b):
    return u.balance(b)["count"]


def near(got, want, slack, what):
    check(type(got) is int and abs(got - want) <= slack,
          "%s within %d s of %d" % (what, slack, want), got=got)


# ---------------------------------------------------------------- add/get

def test_add_get(t):
    """entry.add with every field, with none, and with explicit nils;
    entry.get gives back exactly what was stored; the book's figures
    follow."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home", currency="EUR")
        now = advance(c, 0)
        full = dict(FULL, idempotency_key="k-1")
        r = u.add(b, **full)
        check_eq(r["replayed"], False, "first add is not replayed")
        check_eq(r["balance"], 12345, "balance after the first add")
        e = u.get(r["entry_id"])
        check_eq(norm(e), norm(full), "stored fields")
        check_eq(e["idempotency_key"], "k-1", "idempotency_key stored")
        check_eq(e["entry_id"], r["entry_id"], "entry_id")
        check_eq(e["book_id"], b, "book_id")
        check_eq(e["deleted"], False, "deleted")
        check_eq(e["created_by"], u.user_id, "created_by")
        check_eq(e["updated_by"], u.user_id, "updated_by")
        near(e["created_at"], now, 5, "created_at")
        check_eq(e["updated_at"], e["created_at"], "updated_at = created_at")

        r2 = u.add(b, "out", 345, "2026-03-05")
        check_eq(r2["balance"], 12000, "balance after an out")
        check(r2["entry_id"] != r["entry_id"], "a new id")
        e2 = u.get(r2["entry_id"])
        want = {"type": "out", "amount": 345, "date": "2026-03-05",
                "time": None, "category": None, "mode": None, "party": None,
                "note": None, "reference": None, "tags": []}
        check_eq(fields_of(e2), want, "minimal entry: nil and []")
        check_eq(e2["idempotency_key"], None, "no idempotency_key")

        r3 = u.add(b, "out", 1000, "2026-03-06", time=None, tags=None)
        e3 = u.get(r3["entry_id"])
        check_eq(fields_of(e3), dict(want, amount=1000, date="2026-03-06"),
                 "explicit nils mean none")
        r4 = u.add(b, "in", 7, "2026-03-06", tags=[])
        check_eq(u.get(r4["entry_id"])["tags"], [], "tags [] stored as []")
        check_eq(r4["balance"], 11007, "balance")

        bal = u.balance(b)
        check_eq(bal, {"cash_in": 12352, "cash_out": 1345, "balance": 11007,
                       "count": 4, "currency": "EUR", "decimals": 2},
                 "book.balance")
        book = u.get_book(b)
        for k in ("cash_in", "cash_out", "balance", "count"):
            check_eq(book[k], bal[k], "book.get %s" % k)

        check_eq(u.err("entry.get", {"entry_id": 10 ** 9}), NO_ENTRY,
                 "unknown entry_id")
        check_eq(u.err("entry.add", base(b + 1000)), NO_BOOK,
                 "entry.add into an unknown book")
        check_eq(count(u, b), 4, "nothing else was added")


def test_explicit_nils(t):
    """nil for any optional field of entry.add means none, like leaving the
    key out ("send nil, or leave the key out, for 'none'")."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        failed = []
        for k in ("time", "category", "mode", "party", "note", "reference",
                  "tags", "idempotency_key"):
            e, res = u.call("entry.add", base(b, **{k: None}))
            if e is not None:
                failed.append((k, e))
                continue
            got = u.get(res["entry_id"])
            check_eq(got[k], [] if k == "tags" else None, "%s nil" % k)
        check(not failed, "nil accepted for every optional field",
              refused=failed)
        nils = {k: None for k in ("time", "category", "mode", "party",
                                  "note", "reference", "tags",
                                  "idempotency_key")}
        r = u.add(b, "out", 1000, "2026-03-06", **nils)
        check_eq(u.get(r["entry_id"])["idempotency_key"], None, "all nil")


# ---------------------------------------------------------------- validation

def test_amount_rules(t):
    """amount is a msgpack integer 1..10^15 in any integer encoding;
    anything else is bad_request naming 'amount' and adds nothing."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        bad = [1.0, 100.0, 0.5, "100", "1e3", 0, -1, -(10 ** 15),
               MAX_AMOUNT + 1, 2 ** 63 - 1, 2 ** 64 - 1, -(2 ** 63), True,
               False, None, [100], {"v": 100}, b"\x64", float("nan"),
               float("inf")]
        for v in bad:
            u.bad("entry.add", base(b, amount=v), "amount",
                  "amount %r" % (v,))
        p = base(b)
        del p["amount"]
        u.bad("entry.add", p, "amount", "missing amount")
        # A float32 and raw encodings of negative values.
        for what, raw in (("float32 5.0", b"\xca\x40\xa0\x00\x00"),
                          ("float64 5.0", b"\xcb" + bytes.fromhex(
                              "4014000000000000")),
                          ("negative fixint -1", b"\xff"),
                          ("int8 -5", b"\xd0\xfb"),
                          ("int64 0", b"\xd3" + bytes(8))):
            e, res = raw_call(u, "entry.add", [
                ("book_id", pack(b)), ("type", pack("in")),
                ("date", pack("2026-01-05")), ("amount", raw)])
            check_error_pair(e, res, "entry.add")
            check_eq(e[0], "bad_request", "amount %s: code" % what,
                     message=e[1])
            check("'amount'" in e[1], "amount %s: names the field" % what,
                  message=e[1])
        check_eq(count(u, b), 0, "nothing was added")

        for v in (1, 2, MAX_AMOUNT):
            r = u.add(b, "in", v, "2026-01-05")
            check_eq(u.get(r["entry_id"])["amount"], v, "amount %d" % v)
        # Any integer encoding of 5 is the integer 5.
        encodings = [b"\x05", b"\xcc\x05", b"\xcd\x00\x05",
                     b"\xce\x00\x00\x00\x05", b"\xcf" + bytes(7) + b"\x05",
                     b"\xd0\x05", b"\xd1\x00\x05", b"\xd2\x00\x00\x00\x05",
                     b"\xd3" + bytes(7) + b"\x05"]
        for raw in encodings:
            e, res = raw_call(u, "entry.add", [
                ("book_id", pack(b)), ("type", pack("out")),
                ("date", pack("2026-01-05")), ("amount", raw)])
            check(e is None, "amount 5 encoded as %s is accepted" % raw.hex(),
                  error=e)
            check_eq(u.get(res["entry_id"])["amount"], 5,
                     "amount encoded as %s" % raw.hex())
        bal = u.balance(b)
        check_eq(bal["count"], 3 + len(encodings), "count")
        check_eq(bal["cash_in"], 3 + MAX_AMOUNT, "cash_in")
        check_eq(bal["cash_out"], 5 * len(encodings), "cash_out")


def test_type_rules(t):
    """type is exactly "in" or "out"."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        for v in ("IN", "In", "OUT", "Out", "income", "expense", "", " in",
                  "in ", "i", "inn", "in\x00", None, 1, 0, True, ["in"],
                  {"in": 1}, 1.0):
            u.bad("entry.add", base(b, type=v), "type", "type %r" % (v,))
        p = base(b)
        del p["type"]
        u.bad("entry.add", p, "type", "missing type")
        check_eq(count(u, b), 0, "nothing was added")
        check_eq(u.add(b, "in", 5, "2026-01-01")["balance"], 5, "in adds")
        check_eq(u.add(b, "out", 7, "2026-01-01")["balance"], -2,
                 "out subtracts (and the balance may go negative)")


def test_date_rules(t):
    """date: "YYYY-MM-DD", a real calendar date 1900-01-01..9999-12-31."""
    bad = ["2026-02-30", "2023-02-29", "1900-02-29", "2100-02-29",
           "2026-1-5", "2026-01-5", "2026-1-05", "2026-01-05 ",
           " 2026-01-05", "1899-12-31", "0000-01-01", "2026-13-01",
           "2026-00-10", "2026-01-00", "2026-01-32", "2026-04-31",
           "2026-06-31", "2026-09-31", "2026-11-31", "10000-01-01",
           "2026/01/05", "20260105", "2026-01-05T00:00", "26-01-05",
           "026-01-05", "+026-01-05", "-2026-01-05", "2026-0a-05",
           "\uff12\uff10\uff12\uff16-01-05", "2026-01-05\x00", "",
           "2026-01", "today", "2026--1-05", "2026-01-+5"]
    good = ["2024-02-29", "2000-02-29", "1900-01-01", "9999-12-31",
            "2026-12-31", "2026-01-31", "2026-04-30", "2026-02-28"]
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        for v in bad + [20260105, 2026.0, None, True, ["2026-01-05"],
                        {"y": 2026}]:
            u.bad("entry.add", base(b, date=v), "date", "date %r" % (v,))
        p = base(b)
        del p["date"]
        u.bad("entry.add", p, "date", "missing date")
        check_eq(count(u, b), 0, "nothing was added")
        for v in good:
            r = u.add(b, "in", 1, v)
            check_eq(u.get(r["entry_id"])["date"], v, "date %s stored" % v)
        check_eq(count(u, b), len(good), "every good date added")


def test_time_rules(t):
    """time: "HH:MM" 00:00..23:59, or nil/absent."""
    bad = ["24:00", "7:05", "07:60", "07:5", "0705", "07:05:00", " 07:05",
           "07:05 ", "-1:00", "25:00", "99:99", "", "07-05", "07:05Z",
           "7:5", "\uff10\uff17:05", "07:0a", "0a:05", "07.05", ":05",
           "07:", "07:05\x00", "24:01", "23:60"]
    good = ["00:00", "23:59", "12:00", "09:05", "19:59", "20:00"]
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        for v in bad + [705, 7.5, True, ["07:05"], {"h": 7}]:
            u.bad("entry.add", base(b, time=v), "time", "time %r" % (v,))
        check_eq(count(u, b), 0, "nothing was added")
        for v in good + [None]:
            r = u.add(b, "in", 1, "2026-01-05", time=v)
            check_eq(u.get(r["entry_id"])["time"], v, "time %r stored" % v)
        r = u.add(b, "in", 1, "2026-01-05")
        check_eq(u.get(r["entry_id"])["time"], None, "absent time is nil")


def test_text_field_rules(t):
    """category, mode, party, reference: 1-100 bytes of UTF-8 without
    control characters; note 1-4096 bytes where \\n and \\t are allowed.
    Every bad value is bad_request naming the field; good ones are stored
    byte for byte."""
    ctl_bad = ["a\nb", "a\tb", "a\rb", "a\x7fb", "\x00", "x\x01",
               "\x1b[31m", "a\x1fb"]
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        n = 0
        for f in ("category", "mode", "party", "reference"):
            good = ["x", "x" * 100, "\u00e9" * 50, "\U0001F600" * 25,
                    "a b", " padded ", "Bank Transfer", "\u00dcnic\u00f6de",
                    "a\u200bb", "\ufeffx", "\uffff"]
            bad = ["", "x" * 101, "\u00e9" * 50 + "x", "\U0001F600" * 25 +
                   "x", "x" * 5000] + ctl_bad
            for v in bad + [5, 1.5, True, ["x"], {"x": "y"}]:
                u.bad("entry.add", base(b, **{f: v}), f,
                      "%s %r" % (f, v if not isinstance(v, str)
                                 else v[:20]))
            for v in good:
                r = u.add(b, "in", 1, "2026-01-05", **{f: v})
                n += 1
                check_eq(u.get(r["entry_id"])[f], v, "%s %r stored" %
                         (f, v[:20]))
        # note: up to 4096 bytes, newlines and tabs allowed.
        good = ["x", "x" * 4096, "\u00e9" * 2048, "line 1\nline 2\tcol",
                "\n", "\t"]
        bad = ["", "x" * 4097, "\u00e9" * 2048 + "x", "a\rb", "\x00",
               "a\x7f", "a\x1fb", "\x0b", "\x0c"]
        for v in bad + [5, True, ["x"], {"a": 1}]:
            u.bad("entry.add", base(b, note=v), "note",
                  "note %r" % (v if not isinstance(v, str) else v[:20]))
        for v in good:
            r = u.add(b, "in", 1, "2026-01-05", note=v)
            n += 1
            check_eq(u.get(r["entry_id"])["note"], v, "note stored")
        # Invalid UTF-8 in a str, hand-encoded, for every text field.
        for f in ("category", "mode", "party", "reference", "note"):
            for what, raw in (("ff fe", b"\xff\xfe"),
                              ("truncated", b"ab\xc3"),
                              ("lone continuation", b"a\x80b"),
                              ("overlong '/'", b"\xc0\xaf"),
                              ("surrogate", b"\xed\xa0\x80"),
                              ("beyond U+10FFFF", b"\xf4\x90\x80\x80")):
                e, res = raw_call(u, "entry.add", [
                    ("book_id", pack(b)), ("type", pack("in")),
                    ("amount", pack(1)), ("date", pack("2026-01-05")),
                    (f, raw_str(raw))])
                check_error_pair(e, res, "entry.add")
                check_eq(e[0], "bad_request", "%s %s: code" % (f, what),
                         message=e[1])
                check("'%s'" % f in e[1], "%s %s: names the field" %
                      (f, what), message=e[1])
        check_eq(count(u, b), n, "only the good values were added")


def test_text_c1_controls(t):
    """Control characters are C0 (bytes < 0x20), DEL (0x7f) and the C1
    controls U+0080..U+009F (0xc2 0x80..0x9f): all refused in every text
    field, since any of them can drive a terminal that shows the text."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        accepted = []
        for f in ("category", "mode", "party", "reference", "note"):
            for v in ("a\u0085b", "\u0080", "x\u009f"):
                e, res = u.call("entry.add", base(b, **{f: v}))
                if e is None:
                    accepted.append((f, v))
                    continue
                check_eq(e[0], "bad_request", "%s %r: code" % (f, v))
                check("'%s'" % f in e[1], "%s %r: names the field" % (f, v),
                      message=e[1])
        e, res = u.call("book.create", {"name": "C1 \u0085"})
        if e is None:
            accepted.append(("book name", "C1 \u0085"))
        check(not accepted, "C1 controls are refused", accepted=accepted[:4])
        check_eq(count(u, b), 0, "nothing was added")


def test_tags_rules(t):
    """tags: an array of at most 20 distinct strings of 1-64 bytes (no
    control characters, no ',' or ';': one tag each); nil and [] mean
    none."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        twenty = ["t%02d" % i for i in range(20)]
        good = [["a"], ["x" * 64], ["\u00e9" * 32], twenty,
                ["with space", "\u00fcml\u00e4ut"], ["\U0001F600" * 16]]
        bad = [twenty + ["t20"], [""], ["x" * 65], ["\u00e9" * 32 + "x"],
               ["a", "a"], ["a", "b", "a"], ["a\n"], ["\x7f"], ["a\tb"],
               [1], ["a", 2], [None], [["a"]], [{"a": "b"}], [True],
               {"a": 1}, "a", 5, True, 1.5,
               ["t%d" % i for i in range(1000)]]
        for v in bad:
            u.bad("entry.add", base(b, tags=v), "tags",
                  "tags %r" % (v if len(repr(v)) < 80 else repr(v)[:80]))
        for v in (["family,xmas"], ["a;b"], ["ok", "x,"], [";"]):
            e = u.bad("entry.add", base(b, tags=v), "tags")
            check("cannot contain ',' or ';'" in e[1],
                  "tags %r: the message says why" % v, message=e[1])
        check_eq(count(u, b), 0, "nothing was added")
        for v in good + [[], None]:
            r = u.add(b, "in", 1, "2026-01-05", tags=v)
            got = u.get(r["entry_id"])["tags"]
            check_eq(sorted(got), sorted(v or []), "tags %r stored" % (v,))
        # Invalid UTF-8 in a tag.
        e, res = raw_call(u, "entry.add", [
            ("book_id", pack(b)), ("type", pack("in")), ("amount", pack(1)),
            ("date", pack("2026-01-05")),
            ("tags", b"\x92" + pack("ok") + raw_str(b"\xff"))])
        check_error_pair(e, res, "entry.add")
        check_eq(e[0], "bad_request", "invalid UTF-8 tag", message=e[1])
        check_eq(count(u, b), len(good) + 2, "count")


def test_key_and_unknown_fields(t):
    """idempotency_key is 1-128 bytes of text; book_id must be given;
    a key entry.add does not accept is bad_request naming it."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        for v in ("", "x" * 129, "\u00e9" * 64 + "x", "a\nb", "\x00",
                  5, True, ["k"], {"k": 1}, 1.5):
            u.bad("entry.add", base(b, idempotency_key=v),
                  "idempotency_key", "idempotency_key %r" % (
                      v if not isinstance(v, str) else v[:20],))
        for k in ("foo", "entry_id", "deleted", "running_balance",
                  "created_at", "created_by", "updated_at", "balance",
                  "Type", "AMOUNT", "book", "trash", "replayed"):
            p = base(b)
            p[k] = 1
            u.bad("entry.add", p, k, "unknown field %s" % k)
        p = base(b)
        del p["book_id"]
        u.bad("entry.add", p, "book_id", "missing book_id")
        check_eq(count(u, b), 0, "nothing was added")
        for v in ("k", "x" * 128, "\u00e9" * 64, "with space/and:colons"):
            r = u.add(b, "in", 1, "2026-01-05", idempotency_key=v)
            check_eq(u.get(r["entry_id"])["idempotency_key"], v,
                     "key %r stored" % v[:20])
        check_eq(count(u, b), 4, "count")


# ---------------------------------------------------------------- idempotency

def test_idempotent_retry(t):
    """The same key with the same fields answers the original entry_id,
    the book's current balance and replayed true, and adds nothing; with
    other fields it is conflict; keys are per book."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b1 = u.book("One")
        b2 = u.book("Two")
        req = dict(FULL, idempotency_key="pay-1")
        r1 = u.add(b1, **req)
        check_eq(r1["replayed"], False, "first: not replayed")
        r2 = u.add(b1, **req)
        check_eq(r2, {"entry_id": r1["entry_id"], "balance": 12345,
                      "replayed": True}, "retry")
        check_eq(count(u, b1), 1, "the retry added nothing")
        # The balance answered is the book's current one.
        u.add(b1, "out", 45, "2026-03-05")
        r3 = u.add(b1, **req)
        check_eq(r3, {"entry_id": r1["entry_id"], "balance": 12300,
                      "replayed": True}, "retry after another entry")
        check_eq(u.balance(b1)["count"], 2, "count")
        check_eq(u.balance(b1)["balance"], 12300, "balance unchanged")
        check_eq(len(u.history(r1["entry_id"])), 1,
                 "a replay writes no history")

        msg = ("idempotency_key 'pay-1' was already used for entry %d with "
               "different fields" % r1["entry_id"])
        variants = [("amount", dict(req, amount=12346)),
                    ("type", dict(req, type="out")),
                    ("date", dict(req, date="2026-03-05")),
                    ("time", dict(req, time="09:31")),
                    ("time dropped", {k: v for k, v in req.items()
                                      if k != "time"}),
                    ("category", dict(req, category="salary")),
                    ("mode", dict(req, mode="Cash")),
                    ("party", dict(req, party="ACME")),
                    ("note", dict(req, note="other")),
                    ("reference", dict(req, reference="INV-8")),
                    ("tags", dict(req, tags=["monthly"])),
                    ("tags added", dict(req, tags=req["tags"] + ["x"]))]
        for what, p in variants:
            e = u.err("entry.add", dict(p, book_id=b1))
            check_eq(e, ["conflict", msg], "same key, other %s" % what)
        check_eq(count(u, b1), 2, "conflicts added nothing")

        # The same key in another book is another entry.
        r4 = u.add(b2, **req)
        check_eq(r4["replayed"], False, "key in another book: a new entry")
        check(r4["entry_id"] != r1["entry_id"], "another id")
        check_eq(r4["balance"], 12345, "book two's balance")
        check_eq(u.add(b2, **req)["entry_id"], r4["entry_id"],
                 "retry in book two")
        e = u.err("entry.add", dict(req, book_id=b2, amount=1))
        check_eq(e[0], "conflict", "other fields in book two")
        check_eq(count(u, b2), 1, "book two count")
        check_eq(count(u, b1), 2, "book one count")


def test_idempotent_retry_same_fields(t):
    """"The same fields" means the same values: a retry is a replay when
    its params come in another key order, with another (fresh) token,
    with nil where the first left a key out (or the reverse), with the
    amount in a wider integer encoding, or with a 128-byte key."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        req = {"book_id": b, "type": "out", "amount": 250,
               "date": "2026-02-03", "category": "Food", "note": "n",
               "idempotency_key": "k-order"}
        eid = u.ok("entry.add", req)["entry_id"]
        # Another key order (the token last instead of first).
        p = dict(reversed(list(req.items())))
        p["token"] = u.token
        e, res = c.call("entry.add", p)
        check(e is None, "reordered params: answered", error=e)
        check_eq((res["entry_id"], res["replayed"]), (eid, True),
                 "reordered params: a replay")
        # A fresh session's token.
        tok = c.call_ok("auth.login", {"username": "alice",
                                       "password": "correct horse 1"}
                        )["token"]
        e, res = c.call("entry.add", dict(req, token=tok))
        check(e is None, "another token: answered", error=e)
        check_eq((res["entry_id"], res["replayed"]), (eid, True),
                 "another token: a replay")
        # nil for the optional fields left out.
        e, res = u.call("entry.add", dict(req, time=None, mode=None,
                                          party=None, reference=None,
                                          tags=None))
        check(e is None, "explicit nils: answered", error=e)
        check_eq((res["entry_id"], res["replayed"]), (eid, True),
                 "explicit nils: a replay")
        # The reverse: given as nil first, left out in the retry.
        req2 = dict(req, idempotency_key="k-nil", time=None, tags=[])
        eid2 = u.ok("entry.add", req2)["entry_id"]
        e, res = u.call("entry.add", dict(req, idempotency_key="k-nil"))
        check(e is None, "keys left out: answered", error=e)
        check_eq((res["entry_id"], res["replayed"]), (eid2, True),
                 "keys left out: a replay")
        # The amount in a uint64 encoding.
        e, res = raw_call(u, "entry.add", [
            (k, b"\xcf" + (250).to_bytes(8, "big") if k == "amount"
             else pack(v)) for k, v in req.items()])
        check(e is None, "uint64 amount: answered", error=e)
        check_eq((res["entry_id"], res["replayed"]), (eid, True),
                 "uint64 amount: a replay")
        check_eq(u.balance(b)["count"], 2, "two entries in all")
        # A 128-byte key in the conflict message, whole.
        key = "K" * 128
        first = u.ok("entry.add", dict(req, idempotency_key=key))
        e = u.err("entry.add", dict(req, idempotency_key=key, amount=1))
        check_eq(e, ["conflict", "idempotency_key '%s' was already used for "
                     "entry %d with different fields" % (
                         key, first["entry_id"])],
                 "conflict with a 128-byte key")


def test_idempotent_retry_racing(t):
    """Twenty identical requests with one key, pipelined on one connection
    and sent on two: one entry is added, every answer names it, exactly
    one answer is not a replay."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        u = register_login(c, "alice")
        b = u.book("Home")
        req = base(b, idempotency_key="race", note="once")
        p = u.params(req)
        for i in range(10):
            c2.request("entry.add", p)
        answers = u.pipe([("entry.add", req)] * 10)
        for _ in range(10):
            msg = c2.read_response()
            answers.append((msg[2], msg[3]))
        for e, res in answers:
            check(e is None, "every retry succeeds", error=e)
        ids = {res["entry_id"] for _, res in answers}
        check_eq(len(ids), 1, "one entry_id for all", ids=sorted(ids))
        check_eq(sum(1 for _, res in answers if not res["replayed"]), 1,
                 "exactly one answer is not a replay")
        check_eq(u.balance(b)["count"], 1, "one entry")
        check_eq(u.balance(b)["balance"], 100, "balance")


def test_idempotent_retry_after_edit_and_trash(t):
    """A retry is compared with the ORIGINAL request: after the entry was
    edited or trashed it still answers the original id (and changes
    nothing); the edited fields under that key are conflict."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        req = base(b, amount=100, category="Food", idempotency_key="k1")
        r = u.add(b, **{k: v for k, v in req.items() if k != "book_id"})
        eid = r["entry_id"]
        u.ok("entry.update", {"entry_id": eid, "amount": 150,
                              "category": "Groceries"})
        r2 = u.ok("entry.add", req)
        check_eq(r2, {"entry_id": eid, "balance": 150, "replayed": True},
                 "retry after an edit")
        e = u.get(eid)
        check_eq((e["amount"], e["category"]), (150, "Groceries"),
                 "the retry did not undo the edit")
        e = u.err("entry.add", dict(req, amount=150, category="Groceries"))
        check_eq(e[0], "conflict", "the edited fields under the key",
                 message=e[1])
        u.ok("entry.delete", {"entry_id": eid})
        r3 = u.ok("entry.add", req)
        check_eq(r3, {"entry_id": eid, "balance": 0, "replayed": True},
                 "retry after a trash")
        check_eq(u.get(eid)["deleted"], True, "still in the trash")
        check_eq(u.balance(b)["count"], 0, "nothing added")
        u.ok("entry.restore", {"entry_id": eid})
        r4 = u.ok("entry.add", req)
        check_eq(r4, {"entry_id": eid, "balance": 150, "replayed": True},
                 "retry after a restore")
        actions = [h["action"] for h in u.history(eid)]
        check_eq(actions, ["create", "update", "delete", "restore"],
                 "retries wrote no history")


# ---------------------------------------------------------------- update

def test_update_patch(t):
    """entry.update changes only the keys given; nil clears the optional
    fields; the result is the entry and the balance."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        r = u.add(b, idempotency_key="k", **FULL)
        eid = r["entry_id"]
        cur = fields_of(u.get(eid))
        steps = [{"category": "Rent"}, {"mode": "Cash"},
                 {"party": "Landlord"}, {"note": "n2\nx"},
                 {"reference": "R-2"}, {"tags": ["b", "a"]},
                 {"time": "23:59"}, {"date": "2024-02-29"},
                 {"type": "out"}, {"amount": MAX_AMOUNT},
                 {"amount": 5, "type": "in", "category": "Food"},
                 {"time": None}, {"category": None}, {"mode": None},
                 {"party": None}, {"note": None}, {"reference": None},
                 {"tags": None}, {"tags": ["x"]}, {"tags": []},
                 {"time": "00:00"}]
        for patch in steps:
            res = u.ok("entry.update", dict(patch, entry_id=eid))
            check_eq(sorted(res), ["balance", "entry"], "entry.update keys")
            for k, v in patch.items():
                cur[k] = [] if k == "tags" and v is None else v
            check_eq(norm(res["entry"]), norm(cur),
                     "after %r: the answered entry" % patch)
            check_eq(norm(u.get(eid)), norm(cur),
                     "after %r: entry.get" % patch)
            want = cur["amount"] if cur["type"] == "in" else -cur["amount"]
            check_eq(res["balance"], want, "after %r: balance" % patch)
            check_eq(u.balance(b)["balance"], want, "book.balance")
        e = u.get(eid)
        check_eq(e["idempotency_key"], "k", "the key is kept")
        check_eq(e["book_id"], b, "book_id kept")
        check_eq(e["created_by"], u.user_id, "created_by")
        check_eq(e["updated_by"], u.user_id, "updated_by")
        check_eq(len(u.history(eid)), 1 + len(steps),
                 "one history item per change")


def test_update_validation(t):
    """nil for type, amount or date, an empty patch, a key update does not
    take and every bad value are bad_request; the entry is unchanged."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        eid = u.add(b, **FULL)["entry_id"]
        before = u.get(eid)
        for f in ("type", "amount", "date"):
            u.bad("entry.update", {"entry_id": eid, f: None}, f,
                  "%s nil" % f)
        e = u.err("entry.update", {"entry_id": eid})
        check_eq(e[0], "bad_request", "empty patch: code")
        check("nothing to change" in e[1], "empty patch: message",
              message=e[1])
        for k in ("book_id", "idempotency_key", "deleted", "entry",
                  "created_at", "updated_by", "foo", "running_balance"):
            u.bad("entry.update", {"entry_id": eid, k: 1}, k,
                  "update with %s" % k)
        bad = [("amount", 0), ("amount", -1), ("amount", MAX_AMOUNT + 1),
               ("amount", 1.0), ("amount", "5"), ("type", "IN"),
               ("type", ""), ("date", "2026-02-30"), ("date", "2026-1-5"),
               ("date", "1899-12-31"), ("time", "24:00"), ("time", "7:05"),
               ("time", ""), ("category", ""), ("category", "x" * 101),
               ("mode", "a\nb"), ("party", "\x7f"), ("reference", ""),
               ("note", ""), ("note", "x" * 4097), ("note", "a\rb"),
               ("tags", [""]), ("tags", ["a", "a"]), ("tags", "a"),
               ("tags", ["t%d" % i for i in range(21)]), ("tags", [1])]
        for f, v in bad:
            u.bad("entry.update", {"entry_id": eid, f: v}, f,
                  "update %s %r" % (f, v if len(repr(v)) < 40 else "..."))
        # A bad field next to a good one changes nothing either.
        u.bad("entry.update", {"entry_id": eid, "amount": 1,
                               "date": "2026-02-30"}, "date", "mixed")
        u.bad("entry.update", {"amount": 1}, "entry_id", "no entry_id")
        check_eq(u.get(eid), before, "the entry is unchanged")
        check_eq(len(u.history(eid)), 1, "no history written")
        check_eq(u.err("entry.update", {"entry_id": 10 ** 9, "amount": 1}),
                 NO_ENTRY, "unknown entry")


def test_update_noop(t):
    """A patch that changes nothing writes no history and keeps
    updated_at; a real change moves updated_at to now."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        eid = u.add(b, "in", 100, "2026-01-05", tags=["a", "b"],
                    category="Food")["entry_id"]
        e0 = u.get(eid)
        advance(c, 1000)
        noops = [{"amount": 100}, {"type": "in"}, {"date": "2026-01-05"},
                 {"time": None}, {"category": "Food"}, {"mode": None},
                 {"note": None}, {"party": None}, {"reference": None},
                 {"tags": ["a", "b"]},
                 {"type": "in", "amount": 100, "date": "2026-01-05",
                  "time": None, "category": "Food", "mode": None,
                  "party": None, "note": None, "reference": None,
                  "tags": ["a", "b"]}]
        for patch in noops:
            res = u.ok("entry.update", dict(patch, entry_id=eid))
            check_eq(res["entry"], e0, "no-op %r: the entry" % patch)
            check_eq(res["balance"], 100, "no-op balance")
        check_eq(u.get(eid)["updated_at"], e0["updated_at"],
                 "updated_at kept")
        check_eq(len(u.history(eid)), 1, "no history for no-op patches")
        eid2 = u.add(b, "out", 1, "2026-01-05")["entry_id"]
        u.ok("entry.update", {"entry_id": eid2, "tags": []})
        u.ok("entry.update", {"entry_id": eid2, "tags": None})
        check_eq(len(u.history(eid2)), 1, "tags []/nil on no tags: no-op")
        now = advance(c, 50)
        res = u.ok("entry.update", {"entry_id": eid, "amount": 101})
        near(res["entry"]["updated_at"], now, 5, "updated_at after a change")
        check_eq(res["entry"]["created_at"], e0["created_at"],
                 "created_at kept")
        check_eq(len(u.history(eid)), 2, "a real change writes history")


def test_update_moves_balances(t):
    """Changing amount, type, date or time moves the balance and every
    running balance; book.verify stays ok."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        m = Model()
        for typ, amt, date, tm in (("in", 100, "2026-01-10", None),
                                   ("out", 30, "2026-01-15", "10:00"),
                                   ("in", 50, "2026-01-20", None),
                                   ("out", 5, "2026-01-15", None),
                                   ("in", 7, "2026-01-15", "09:00")):
            r = u.add(b, typ, amt, date, time=tm)
            m.put(r["entry_id"], {"type": typ, "amount": amt, "date": date,
                                  "time": tm})
        ids = sorted(m.entries)
        check_listing(u, b, m, what="start")
        patches = [(ids[1], {"amount": 70}), (ids[0], {"type": "out"}),
                   (ids[2], {"date": "2026-01-01"}),
                   (ids[4], {"time": "23:00"}), (ids[3], {"time": "08:00"}),
                   (ids[1], {"date": "2026-02-01", "type": "in",
                             "amount": 1}),
                   (ids[4], {"time": None}), (ids[0], {"amount": 1000})]
        for eid, patch in patches:
            res = u.ok("entry.update", dict(patch, entry_id=eid))
            m.entries[eid].update(patch)
            tot = m.totals()
            check_eq(res["balance"], tot["balance"], "balance after %r" %
                     patch)
            bal = u.balance(b)
            check_eq({k: bal[k] for k in tot}, tot, "book.balance")
            check_listing(u, b, m, what="after %r" % patch)
            check_listing(u, b, m, limit=2, what="limit 2 after %r" % patch)
            check_eq(u.verify(b)["ok"], True, "verify after %r" % patch)


# ---------------------------------------------------------------- trash

def test_trash_restore(t):
    """entry.delete moves an entry to the trash (out of the balance, the
    list and the reports, into list {trash: true}); twice is conflict;
    entry.restore brings it back."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        m = Model()
        for typ, amt, date in (("in", 100, "2026-01-10"),
                               ("out", 30, "2026-01-15"),
                               ("in", 50, "2026-02-20")):
            r = u.add(b, typ, amt, date, category="C")
            m.put(r["entry_id"], {"type": typ, "amount": amt, "date": date,
                                  "category": "C"})
        a, o, l = sorted(m.entries)
        res = u.ok("entry.delete", {"entry_id": o})
        check_eq(res, {"balance": 150}, "entry.delete result")
        m.entries[o]["deleted"] = True
        e = u.get(o)
        check_eq(e["deleted"], True, "entry.get shows a trashed entry")
        check_eq(u.balance(b)["count"], 2, "count")
        check_eq(u.balance(b)["cash_out"], 0, "cash_out")
        check_listing(u, b, m, what="after delete")
        check_listing(u, b, m, {"trash": True}, what="trash")
        rep = u.ok("report.summary", {"book_id": b, "by": "category"})
        check_eq(rep["total"], {"cash_in": 150, "cash_out": 0, "net": 150,
                                "count": 2}, "report excludes the trash")
        check_eq(u.err("entry.delete", {"entry_id": o}),
                 ["conflict", "entry %d is already in the trash" % o],
                 "double delete")
        check_eq(u.err("entry.update", {"entry_id": o, "amount": 5}),
                 ["conflict", "entry %d is in the trash; restore it first"
                  % o], "update in the trash")
        check_eq(u.err("entry.restore", {"entry_id": a}),
                 ["conflict", "entry %d is not in the trash" % a],
                 "restore of a live entry")
        check_eq(u.get(o), e, "the failed calls changed nothing")
        res = u.ok("entry.restore", {"entry_id": o})
        check_eq(sorted(res), ["balance", "entry"], "restore keys")
        check_eq(res["balance"], 120, "restore balance")
        check_eq(res["entry"]["deleted"], False, "restored entry")
        m.entries[o]["deleted"] = False
        check_eq(u.err("entry.restore", {"entry_id": o}),
                 ["conflict", "entry %d is not in the trash" % o],
                 "double restore")
        check_listing(u, b, m, what="after restore")
        check_listing(u, b, m, {"trash": True}, what="empty trash")
        # Trash everything: balance 0, list empty, the trash has all.
        for eid in (a, o, l):
            u.ok("entry.delete", {"entry_id": eid})
            m.entries[eid]["deleted"] = True
        check_eq(u.balance(b)["balance"], 0, "all trashed: balance 0")
        check_eq(u.balance(b)["count"], 0, "all trashed: count 0")
        check_listing(u, b, m, what="all trashed")
        check_listing(u, b, m, {"trash": True}, limit=2, what="full trash")
        check_eq(u.verify(b)["ok"], True, "verify ok")


def test_history(t):
    """entry.history: create, update, delete, restore, oldest first, with
    before/after field maps, the acting user and the time."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        t0 = advance(c, 0)
        r = u.add(b, "in", 100, "2026-01-05", category="Food",
                  tags=["x"])
        eid = r["entry_id"]
        f0 = fields_of(u.get(eid))
        t1 = advance(c, 100)
        u.ok("entry.update", {"entry_id": eid, "amount": 250,
                              "note": "more"})
        f1 = fields_of(u.get(eid))
        t2 = advance(c, 100)
        u.ok("entry.delete", {"entry_id": eid})
        t3 = advance(c, 100)
        u.ok("entry.restore", {"entry_id": eid})
        t4 = advance(c, 100)
        u.ok("entry.update", {"entry_id": eid, "category": None,
                              "time": "10:00", "tags": None})
        f2 = fields_of(u.get(eid))
        h = u.history(eid)
        check_eq([x["action"] for x in h],
                 ["create", "update", "delete", "restore", "update"],
                 "actions, oldest first")
        want = [(None, f0), (f0, f1), (f1, f1), (f1, f1), (f1, f2)]
        for i, (x, (before, after)) in enumerate(zip(h, want)):
            check_eq(x["user_id"], u.user_id, "history %d user_id" % i)
            check_eq(x["username"], "alice", "history %d username" % i)
            check_eq(None if x["before"] is None else norm(x["before"]),
                     None if before is None else norm(before),
                     "history %d before" % i)
            check_eq(norm(x["after"]), norm(after), "history %d after" % i)
        for i, when in enumerate((t0, t1, t2, t3, t4)):
            near(h[i]["at"], when, 5, "history %d at" % i)
        check_eq(f2["tags"], [], "tags cleared")
        check_eq(u.err("entry.history", {"entry_id": 10 ** 9}), NO_ENTRY,
                 "history of an unknown entry")
        # Every change of a second entry is in its history too.
        e2 = u.add(b, "out", 1, "2026-01-06")["entry_id"]
        for i in range(20):
            u.ok("entry.update", {"entry_id": e2, "amount": i + 2})
        h2 = u.history(e2)
        check_eq(len(h2), 21, "create + 20 updates")
        check_eq([x["after"]["amount"] for x in h2], list(range(1, 22)),
                 "amounts in order")
        check_eq([x["before"]["amount"] for x in h2[1:]],
                 list(range(1, 21)), "before amounts")


# ---------------------------------------------------------------- hostile

def test_hostile_input(t):
    """Wrong types for every field of every entry method, huge strings
    and nested junk: bad_request naming the field, never a crash; the
    daemon still answers and the data is unchanged."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        eid = u.add(b, **FULL)["entry_id"]
        snapshot = (u.get(eid), u.get_book(b), u.history(eid))

        INT = [1.0, "1", True, [1], {"a": 1}, b"\x01", None]
        STR = [1, 1.5, True, ["x"], {"x": 1}]
        FILTER = [1, 1.5, True, [1], ["x", "x"], [], {"x": 1}]
        OPTSTR = STR
        deep = ["x"]
        for _ in range(11):
            deep = [deep]
        nested = {"a": {"b": {"c": {"d": ["x", {"e": 1}]}}}}
        ARR = ["x", 1, {"a": 1}, [1], [["x"]], [{"a": "b"}], True, deep,
               nested]
        BOOL = [1, 0, "true", [True], {"a": True}, 1.0]
        shapes = {
            "entry.add": (base(b), {
                "book_id": INT, "type": STR + [None], "amount": INT,
                "date": STR + [None], "time": OPTSTR, "category": OPTSTR,
                "mode": OPTSTR, "party": OPTSTR, "note": OPTSTR,
                "reference": OPTSTR, "tags": ARR,
                "idempotency_key": OPTSTR}),
            "entry.get": ({"entry_id": eid}, {"entry_id": INT}),
            "entry.delete": ({"entry_id": eid}, {"entry_id": INT}),
            "entry.restore": ({"entry_id": eid}, {"entry_id": INT}),
            "entry.history": ({"entry_id": eid}, {"entry_id": INT}),
            "entry.update": ({"entry_id": eid, "note": "z"}, {
                "entry_id": INT, "type": STR, "amount": INT[:-1],
                "date": STR, "time": OPTSTR, "category": OPTSTR,
                "mode": OPTSTR, "party": OPTSTR, "note": OPTSTR,
                "reference": OPTSTR, "tags": ARR}),
            "entry.list": ({"book_id": b}, {
                "book_id": INT, "from": STR, "to": STR, "type": STR,
                # A list of strings is a filter of its own (any of them).
                "category": FILTER, "mode": FILTER, "party": FILTER,
                "tag": FILTER,
                "q": STR, "amount_min": INT[:-1], "amount_max": INT[:-1],
                "trash": BOOL, "limit": INT[:-1], "cursor": STR}),
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
        # Negative and huge ids: refused or not found, never found.
        for v in (-1, 0, -(2 ** 63), 2 ** 63, 2 ** 64 - 1):
            for method, key in (("entry.get", "entry_id"),
                                ("entry.delete", "entry_id"),
                                ("entry.history", "entry_id"),
                                ("entry.list", "book_id"),
                                ("entry.add", "book_id")):
                p = base(b) if method == "entry.add" else {}
                p[key] = v
                e = u.err(method, p)
                check(e[0] in ("bad_request", "not_found"),
                      "%s %s=%d: bad_request or not_found" % (method, key,
                                                               v), error=e)
        # Huge strings, still under the 1 MiB message limit.
        huge = "x" * 1000000
        for f in ("note", "category", "mode", "party", "reference",
                  "idempotency_key", "date", "time", "type"):
            u.bad("entry.add", base(b, **{f: huge}), f, "huge %s" % f)
        u.bad("entry.add", base(b, tags=["x" * 1000] * 900), "tags",
              "huge tags")
        u.bad("entry.add", base(b, tags=[str(i) for i in range(60000)]),
              "tags", "60000 tags")
        u.bad("entry.list", {"book_id": b, "q": huge}, "q", "huge q")
        u.bad("entry.list", {"book_id": b, "cursor": huge}, "cursor",
              "huge cursor")
        # Thousands of unknown keys.
        p = base(b)
        for i in range(5000):
            p["junk%d" % i] = [i, {"x": i}]
        e = u.err("entry.add", p)
        check_eq(e[0], "bad_request", "5000 unknown keys")
        check(c.call_ok("ping")["protocol"] == 1, "still answers ping")
        check_eq((u.get(eid), u.get_book(b), u.history(eid)), snapshot,
                 "the data is unchanged")
        check_eq(d.proc.poll(), None, "the daemon is running")


TESTS = [
    test_add_get,
    test_explicit_nils,
    test_amount_rules,
    test_type_rules,
    test_date_rules,
    test_time_rules,
    test_text_field_rules,
    test_text_c1_controls,
    test_tags_rules,
    test_key_and_unknown_fields,
    test_idempotent_retry,
    test_idempotent_retry_same_fields,
    test_idempotent_retry_racing,
    test_idempotent_retry_after_edit_and_trash,
    test_update_patch,
    test_update_validation,
    test_update_noop,
    test_update_moves_balances,
    test_trash_restore,
    test_history,
    test_hostile_input,
]

if __name__ == "__main__":
    main([clean_exits(f) for f in TESTS])
