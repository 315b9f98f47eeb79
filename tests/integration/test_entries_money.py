#!/usr/bin/python3
"""
test_entries_money.py -- money is exact at the int64 edges
(docs/protocol.md, "Books and entries", "Money is exact"): 9223 entries of
10^15 fit in a book's cash_in (or cash_out), the 9224th is conflict and
changes nothing; update and restore that would overflow are refused too;
cash_in may reach exactly 2^63-1; negative balances are exact.

The bulk inserts are pipelined (up to 200 requests in flight).

Usage: test_entries_money.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main  # noqa
from books_common import (INT64_MAX, MAX_AMOUNT, Model,  # noqa
                          check_listing, clean_exits, register_login)

FIT = INT64_MAX // MAX_AMOUNT          # 9223 entries of 10^15 fit
REST = INT64_MAX - FIT * MAX_AMOUNT    # 372036854775807: fills to 2^63-1
OVERFLOW = "would overflow"
SPEC_OVERFLOW = "would overflow the book's totals"
DAY0 = datetime.date(2020, 1, 1)


def date_of(i):
    return (DAY0 + datetime.timedelta(days=i % 2000)).isoformat()


def fill(u, b, typ):
    """FIT pipelined adds of 10^15; the first carries idempotency_key
    'first'.  Checks every answer; returns the entry ids."""
    calls = []
    for i in range(FIT):
        p = {"book_id": b, "type": typ, "amount": MAX_AMOUNT,
             "date": date_of(i)}
        if i == 0:
            p["idempotency_key"] = "first"
        if i % 3 == 0:
            p["time"] = "%02d:%02d" % (i % 24, i % 60)
        calls.append(("entry.add", p))
    answers = u.pipe(calls)
    sign = 1 if typ == "in" else -1
    ids, balances = [], set()
    for i, (e, res) in enumerate(answers):
        check(e is None, "bulk add %d accepted" % i, error=e)
        check_eq(res["replayed"], False, "bulk add %d not replayed" % i)
        ids.append(res["entry_id"])
        balances.add(res["balance"])
    check_eq(len(set(ids)), FIT, "distinct entry ids")
    # Writes are serialized: each answer saw one more entry.
    check_eq(balances, {sign * k * MAX_AMOUNT for k in range(1, FIT + 1)},
             "the answered balances are k * 10^15 for k = 1..9223")
    return ids


def expect_overflow(u, method, params, what):
    e = u.err(method, params)
    check_eq(e[0], "conflict", "%s: code" % what, message=e[1])
    check(OVERFLOW in e[1], "%s: message says it would overflow" % what,
          message=e[1])


def check_totals(u, b, cin, cout, count, what):
    bal = u.balance(b)
    check_eq((bal["cash_in"], bal["cash_out"], bal["balance"],
              bal["count"]), (cin, cout, cin - cout, count), what)


def test_cash_in_edge(t):
    """9223 x 10^15 in is accepted; the 9224th is conflict and changes
    nothing; cash_in reaches exactly 2^63-1 and then nothing more fits, but
    out entries still do, and a replay still answers."""
    with t.daemon("--synchronous", "normal").start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Big")
        ids = fill(u, b, "in")
        total = FIT * MAX_AMOUNT
        check_totals(u, b, total, 0, FIT, "after 9223 adds")
        expect_overflow(u, "entry.add", {"book_id": b, "type": "in",
                                         "amount": MAX_AMOUNT,
                                         "date": "2026-01-01"}, "9224th")
        check_totals(u, b, total, 0, FIT, "unchanged after the 9224th")
        expect_overflow(u, "entry.add", {"book_id": b, "type": "in",
                                         "amount": REST + 1,
                                         "date": "2026-01-01"},
                        "2^63-1 plus one")
        r = u.add(b, "in", REST, "2026-01-01")
        check_eq(r["balance"], INT64_MAX, "cash_in is exactly 2^63-1")
        rest_id = r["entry_id"]
        check_totals(u, b, INT64_MAX, 0, FIT + 1, "at 2^63-1")
        expect_overflow(u, "entry.add", {"book_id": b, "type": "in",
                                         "amount": 1,
                                         "date": "2026-01-01"}, "one more")
        # A replay adds nothing: it is answered, not refused.
        r = u.ok("entry.add", {"book_id": b, "type": "in",
                               "amount": MAX_AMOUNT, "date": date_of(0),
                               "time": "00:00", "idempotency_key": "first"})
        check_eq(r, {"entry_id": ids[0], "balance": INT64_MAX,
                     "replayed": True}, "replay at the edge")
        out = u.add(b, "out", MAX_AMOUNT, "2026-01-02")
        check_eq(out["balance"], INT64_MAX - MAX_AMOUNT, "an out still fits")
        out_id = out["entry_id"]
        check_totals(u, b, INT64_MAX, MAX_AMOUNT, FIT + 2, "with the out")
        # update and restore that would overflow are refused.
        expect_overflow(u, "entry.update", {"entry_id": out_id,
                                            "type": "in"}, "out -> in")
        expect_overflow(u, "entry.update", {"entry_id": rest_id,
                                            "amount": REST + 1},
                        "amount + 1")
        check_eq(u.get(out_id)["type"], "out", "the out is still out")
        check_eq(u.get(rest_id)["amount"], REST, "the amount is unchanged")
        check_totals(u, b, INT64_MAX, MAX_AMOUNT, FIT + 2,
                     "unchanged after the refused updates")
        u.ok("entry.delete", {"entry_id": ids[5]})
        u.add(b, "in", MAX_AMOUNT, "2026-01-03")
        check_totals(u, b, INT64_MAX, MAX_AMOUNT, FIT + 2, "delete + add")
        expect_overflow(u, "entry.restore", {"entry_id": ids[5]},
                        "restore")
        check_eq(u.get(ids[5])["deleted"], True, "still in the trash")
        check_totals(u, b, INT64_MAX, MAX_AMOUNT, FIT + 2,
                     "unchanged after the refused restore")
        # Changes that do not grow cash_in still work.
        u.ok("entry.update", {"entry_id": rest_id, "amount": REST - 1,
                              "date": "1900-01-01"})
        u.ok("entry.update", {"entry_id": rest_id, "amount": REST})
        check_totals(u, b, INT64_MAX, MAX_AMOUNT, FIT + 2, "at the edge")
        top = u.list_page(b, limit=3)["entries"]
        check_eq(top[0]["running_balance"], INT64_MAX - MAX_AMOUNT,
                 "the newest running_balance is the balance")
        oldest = u.list_page(b, {"to": "1900-01-01"})["entries"]
        check_eq([(x["entry_id"], x["running_balance"]) for x in oldest],
                 [(rest_id, REST)], "the oldest running_balance")
        v = u.verify(b)
        check_eq(v["ok"], True, "verify ok at the edge", result=v)
        rep = u.ok("report.summary", {"book_id": b, "by": "category"})
        check_eq(rep["total"], {"cash_in": INT64_MAX,
                                "cash_out": MAX_AMOUNT,
                                "net": INT64_MAX - MAX_AMOUNT,
                                "count": FIT + 2}, "report total")
        check_eq(len(rep["rows"]), 1, "one row (no category)")
        check_eq(rep["rows"][0]["key"], None, "the nil key")
        # Deleting the whole book: every entry, the trashed one included.
        check_eq(u.ok("book.delete", {"book_id": b, "force": True}),
                 {"deleted_entries": FIT + 3}, "book.delete force")
        check_eq(u.err("entry.get", {"entry_id": ids[0]})[0], "not_found",
                 "the entries went with the book")


def test_cash_out_edge(t):
    """The same for out: cash_out reaches 9223 x 10^15 and 2^63-1, the
    balance -(2^63-1); more is conflict and changes nothing."""
    with t.daemon("--synchronous", "normal").start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Debts")
        ids = fill(u, b, "out")
        total = FIT * MAX_AMOUNT
        check_totals(u, b, 0, total, FIT, "after 9223 outs")
        expect_overflow(u, "entry.add", {"book_id": b, "type": "out",
                                         "amount": MAX_AMOUNT,
                                         "date": "2026-01-01"}, "9224th")
        check_totals(u, b, 0, total, FIT, "unchanged after the 9224th")
        r = u.add(b, "out", REST, "2026-01-01")
        check_eq(r["balance"], -INT64_MAX, "balance is -(2^63-1)")
        expect_overflow(u, "entry.add", {"book_id": b, "type": "out",
                                         "amount": 1,
                                         "date": "2026-01-01"}, "one more")
        inn = u.add(b, "in", 7, "2026-01-05")["entry_id"]
        check_totals(u, b, 7, INT64_MAX, FIT + 2, "with an in")
        expect_overflow(u, "entry.update", {"entry_id": inn,
                                            "type": "out"}, "in -> out")
        u.ok("entry.delete", {"entry_id": ids[0]})
        u.add(b, "out", MAX_AMOUNT, "2026-01-03")
        expect_overflow(u, "entry.restore", {"entry_id": ids[0]},
                        "restore")
        check_totals(u, b, 7, INT64_MAX, FIT + 2, "unchanged")
        top = u.list_page(b, limit=1)["entries"]
        check_eq(top[0]["running_balance"], 7 - INT64_MAX,
                 "the newest running_balance")
        check_eq(u.verify(b)["ok"], True, "verify ok")


def test_overflow_message(t):
    """The overflow conflict says what the spec says: '... would overflow
    the book's totals'."""
    with t.daemon("--synchronous", "normal").start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Edge")
        calls = [("entry.add", {"book_id": b, "type": typ,
                                "amount": MAX_AMOUNT, "date": "2026-01-01"})
                 for typ in ("in", "out") for _ in range(FIT)]
        for e, _ in u.pipe(calls):
            check(e is None, "setup add", error=e)
        for typ in ("in", "out"):
            e = u.err("entry.add", {"book_id": b, "type": typ,
                                    "amount": MAX_AMOUNT,
                                    "date": "2026-01-01"})
            check_eq(e[0], "conflict", "%s: code" % typ)
            check(SPEC_OVERFLOW in e[1],
                  "%s: message says %r" % (typ, SPEC_OVERFLOW),
                  message=e[1])
            check(("cash_%s" % typ) in e[1],
                  "%s: message names the total" % typ, message=e[1])


def test_overflow_race(t):
    """At 9222 x 10^15, twelve adds of 10^15 sent at once on four
    connections: exactly one fits, the others are conflict."""
    with t.daemon("--synchronous", "normal").start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Race")
        calls = [("entry.add", {"book_id": b, "type": "in",
                                "amount": MAX_AMOUNT, "date": "2026-01-01"})
                 ] * (FIT - 1)
        for e, _ in u.pipe(calls):
            check(e is None, "setup add", error=e)
        conns = [d.client() for _ in range(4)]
        p = u.params({"book_id": b, "type": "in", "amount": MAX_AMOUNT,
                      "date": "2026-01-02"})
        for cc in conns:
            for _ in range(3):
                cc.request("entry.add", p)
        answers = []
        for cc in conns:
            for _ in range(3):
                answers.append(cc.read_response()[2:])
            cc.close()
        ok = [r for e, r in answers if e is None]
        check_eq(len(ok), 1, "exactly one add fits",
                 errors=[e for e, _ in answers])
        check_eq(ok[0]["balance"], FIT * MAX_AMOUNT, "its balance")
        for e, _ in answers:
            check(e is None or e[0] == "conflict", "the others: conflict",
                  error=e)
        check_totals(u, b, FIT * MAX_AMOUNT, 0, FIT, "totals")
        check_eq(u.verify(b)["ok"], True, "verify ok")


def test_negative_balance(t):
    """out > in: the balance and the running balances go negative,
    exactly."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Red")
        m = Model()
        steps = [("in", 5, "2026-01-01"), ("out", 12, "2026-01-02"),
                 ("out", MAX_AMOUNT, "2026-01-03"), ("in", 1, "2026-01-04"),
                 ("in", MAX_AMOUNT, "2026-01-05")]
        want = [5, -7, -7 - MAX_AMOUNT, -6 - MAX_AMOUNT, -6]
        for (typ, amt, date), bal in zip(steps, want):
            r = u.add(b, typ, amt, date)
            check_eq(r["balance"], bal, "balance after %s %d" % (typ, amt))
            m.put(r["entry_id"], {"type": typ, "amount": amt, "date": date})
            check_listing(u, b, m, what="after %s %d" % (typ, amt))
        bal = u.balance(b)
        check_eq((bal["cash_in"], bal["cash_out"], bal["balance"]),
                 (MAX_AMOUNT + 6, MAX_AMOUNT + 12, -6), "totals")


TESTS = [
    test_cash_in_edge,
    test_cash_out_edge,
    test_overflow_race,
    test_negative_balance,
    test_overflow_message,
]

if __name__ == "__main__":
    main([clean_exits(f) for f in TESTS],
         {"test_cash_in_edge": 120, "test_cash_out_edge": 120,
          "test_overflow_message": 120})
