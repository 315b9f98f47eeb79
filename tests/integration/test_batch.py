#!/usr/bin/python3
"""
test_batch.py -- entry.add_batch (docs/protocol.md, "Books and entries"):
many entries in one write transaction, each exactly as entry.add adds it,
all or nothing.

Usage: test_batch.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main  # noqa
from books_common import (MAX_AMOUNT, clean_exits, fields_of,  # noqa
                          register_login, share)

BATCH_MAX = 1000


def random_entry(rng, i):
    e = {"type": rng.choice(["in", "out"]),
         "amount": rng.randint(1, 10 ** 7),
         "date": "2026-%02d-%02d" % (rng.randint(1, 12), rng.randint(1, 28))}
    if rng.random() < 0.5:
        e["time"] = "%02d:%02d" % (rng.randint(0, 23), rng.randint(0, 59))
    for k in ("category", "mode", "party", "reference"):
        if rng.random() < 0.6:
            e[k] = rng.choice(["Food", "Rent", "caf\u00e9", "ACME", "x"]) + \
                str(rng.randint(0, 3))
    if rng.random() < 0.3:
        e["note"] = "line %d\nsecond\tline" % i
    if rng.random() < 0.4:
        e["tags"] = sorted(rng.sample(["a", "b", "\u00fc", "zz"],
                                      rng.randint(1, 3)))
    return e


def batch(u, book_id, entries):
    res = u.ok("entry.add_batch", {"book_id": book_id, "entries": entries})
    check_eq(sorted(res), ["balance", "results"], "entry.add_batch keys",
             result=res)
    check_eq(len(res["results"]), len(entries), "one result per entry")
    for r in res["results"]:
        check_eq(sorted(r), ["entry_id", "replayed"], "result keys", item=r)
    return res


def fields_without_key(e):
    return {k: v for k, v in e.items() if k != "idempotency_key"}


def history_shape(u, entry_id):
    return [(h["action"], h["before"], h["after"], h["user_id"])
            for h in u.history(entry_id)]


def test_batch_is_adds_one_by_one(t):
    """The same 120 random entries added one by one to one book and in
    two batches to another: the same entries (fields, order, running
    balances), totals, reports, histories and change feed; results come
    in the order of the entries and each names the entry it added."""
    rng = random.Random(11)
    entries = [random_entry(rng, i) for i in range(120)]
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        one, many = u.book("One"), u.book("Many")
        ids_one = [u.add(one, **e)["entry_id"] for e in entries]
        r1 = batch(u, many, entries[:70])
        r2 = batch(u, many, entries[70:])
        ids_many = [r["entry_id"] for r in r1["results"] + r2["results"]]
        check_eq([r["replayed"] for r in r1["results"] + r2["results"]],
                 [False] * 120, "nothing replayed")
        check_eq(ids_many, sorted(ids_many), "ids in the order of entries")
        for e, eid in zip(entries, ids_many):
            got = fields_of(u.get(eid))
            want = fields_of(u.get(ids_one[ids_many.index(eid)]))
            check_eq(got, want, "entry %d holds its item's fields" % eid)
        bal_one, bal_many = u.balance(one), u.balance(many)
        check_eq(r2["balance"], bal_many["balance"], "batch balance")
        check_eq({k: bal_many[k] for k in ("cash_in", "cash_out", "count")},
                 {k: bal_one[k] for k in ("cash_in", "cash_out", "count")},
                 "book.balance")
        list_one = u.list_all(one, limit=500)
        list_many = u.list_all(many, limit=500)
        strip = ("entry_id", "book_id", "created_at", "updated_at")
        check_eq([{k: v for k, v in e.items() if k not in strip}
                  for e in list_many],
                 [{k: v for k, v in e.items() if k not in strip}
                  for e in list_one], "listings with running balances")
        for by in ("category", "month", "mode", "party"):
            check_eq(u.ok("report.summary", {"book_id": many, "by": by}),
                     u.ok("report.summary", {"book_id": one, "by": by}),
                     "report by %s" % by)
        check_eq(u.verify(many)["ok"], True, "book.verify")
        for i in (0, 69, 70, 119):
            check_eq(history_shape(u, ids_many[i]),
                     history_shape(u, ids_one[i]), "history of item %d" % i)
        feed = u.ok("book.changes", {"book_id": many, "since_seq": 1})
        added = [(ch["kind"], ch["entry_id"]) for ch in feed["changes"]
                 if ch["kind"].startswith("entry")]
        check_eq(added, [("entry_added", i) for i in ids_many],
                 "one entry_added per entry, in order")


def test_bad_item_writes_nothing(t):
    """A bad item anywhere refuses the whole batch, naming its index from
    0 and the field; nothing is written, and the same batch fixed goes
    through."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        good = [{"type": "in", "amount": 100 + i, "date": "2026-01-05"}
                for i in range(20)]
        cases = [
            (17, {"amount": 0}, "entries[17]: field 'amount' must be an "
             "integer count of minor units from 1 to %d" % MAX_AMOUNT),
            (0, {"date": "2026-02-30"}, "entries[0]: field 'date' must be "
             "a real date"),
            (19, {"type": "sideways"}, "entries[19]: field 'type' must be "
             "\"in\" or \"out\""),
            (3, {"colour": "red"}, "entries[3]: unknown field 'colour'"),
            (5, {"tags": ["a", "a"]}, "entries[5]: field 'tags' holds 'a' "
             "twice"),
            (7, {"idempotency_key": ""}, "entries[7]: field "
             "'idempotency_key' must be 1 to 128 bytes"),
        ]
        for i, patch, want in cases:
            items = [dict(e) for e in good]
            items[i].update(patch)
            e = u.err("entry.add_batch", {"book_id": b, "entries": items})
            check_eq(e[0], "bad_request", "code for %r" % patch)
            check(e[1].startswith(want), "message for %r" % patch,
                  got=e[1], want=want)
        missing = [dict(e) for e in good]
        del missing[9]["date"]
        check_eq(u.err("entry.add_batch", {"book_id": b,
                                           "entries": missing}),
                 ["bad_request", "entries[9]: missing field 'date'"],
                 "a missing field")
        check_eq(u.err("entry.add_batch", {"book_id": b,
                                           "entries": good[:2] + [7]}),
                 ["bad_request", "entries[2]: must be a map"], "not a map")
        for entries in ([], [good[0]] * (BATCH_MAX + 1), "x", None):
            e = u.err("entry.add_batch", {"book_id": b, "entries": entries})
            check_eq(e[0], "bad_request", "entries %r" % (entries if
                     not isinstance(entries, list) else len(entries)))
            check("'entries'" in e[1], "the message names entries",
                  got=e[1])
        check_eq(u.balance(b)["count"], 0, "nothing was written")
        check_eq(u.ok("book.changes", {"book_id": b, "since_seq": 1})
                 ["changes"], [], "no change recorded")
        res = batch(u, b, good)
        check_eq(res["balance"], sum(100 + i for i in range(20)),
                 "the fixed batch goes through")


def test_failure_after_writes_rolls_back(t):
    """An item that fails only when it is written (its idempotency key was
    used for other fields) after earlier items were written: the error
    names it and every earlier item is rolled back."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        first = u.add(b, "in", 500, "2026-01-01", idempotency_key="k5")
        items = [{"type": "out", "amount": 10 + i, "date": "2026-01-02",
                  "idempotency_key": "k%d" % i} for i in range(8)]
        e = u.err("entry.add_batch", {"book_id": b, "entries": items})
        check_eq(e, ["conflict", "entries[5]: idempotency_key 'k5' was "
                     "already used for entry %d with different fields" %
                     first["entry_id"]], "the conflict names the item")
        bal = u.balance(b)
        check_eq((bal["count"], bal["balance"]), (1, 500),
                 "items 0-4 were rolled back")
        check_eq(u.verify(b)["ok"], True, "book.verify after the rollback")
        check_eq([ch["entry_id"] for ch in u.ok(
            "book.changes", {"book_id": b, "since_seq": 1})["changes"]
            if ch["kind"] == "entry_added"], [first["entry_id"]],
            "the feed holds only the first add")


def test_overflow_rolls_back(t):
    """Totals are checked for every item: a batch that would overflow the
    book's cash_in is conflict naming the item, and nothing is written."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Big")
        n = (2 ** 63 - 1) // MAX_AMOUNT          # 9223 maximal entries fit
        big = {"type": "in", "amount": MAX_AMOUNT, "date": "2026-01-01"}
        left = n
        while left > 0:
            k = min(left, BATCH_MAX)
            batch(u, b, [big] * k)
            left -= k
        before = u.balance(b)
        check_eq(before["count"], n, "%d maximal entries" % n)
        items = [{"type": "out", "amount": 1, "date": "2026-01-02"},
                 {"type": "in", "amount": 1, "date": "2026-01-02"}, big]
        e = u.err("entry.add_batch", {"book_id": b, "entries": items})
        check_eq(e[0], "conflict", "overflow is conflict", message=e[1])
        check_eq(e[1], "entries[2]: this would overflow the book's totals: "
                 "cash_in would pass 9223372036854775807 minor units",
                 "names item 2 and the total")
        check_eq(u.balance(b), before, "nothing was written")


def test_idempotent_batches(t):
    """Each item's key follows entry.add's rule: the same batch again
    answers the same ids, replayed; a batch mixing old and new keys adds
    only the new; a key twice in one batch with the same fields answers
    the first item's entry, with other fields it is conflict; a key used
    by entry.add is replayed by a batch and the other way round."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home")
        items = [{"type": "in", "amount": 100 * (i + 1), "date":
                  "2026-03-01", "idempotency_key": "row-%d" % i}
                 for i in range(5)]
        r1 = batch(u, b, items)
        ids = [r["entry_id"] for r in r1["results"]]
        r2 = batch(u, b, items)
        check_eq(r2["results"], [{"entry_id": i, "replayed": True}
                                 for i in ids], "the same batch replayed")
        check_eq(r2["balance"], r1["balance"], "balance unchanged")
        more = items[3:] + [dict(items[0], idempotency_key="row-new",
                                 amount=7)]
        r3 = batch(u, b, more)
        check_eq([r["replayed"] for r in r3["results"]],
                 [True, True, False], "old keys replayed, the new added")
        check_eq(u.balance(b)["count"], 6, "six entries")
        twice = [dict(items[0], idempotency_key="dup"),
                 dict(items[0], idempotency_key="dup")]
        r4 = batch(u, b, twice)
        check_eq([r["replayed"] for r in r4["results"]], [False, True],
                 "the second item answers the first's entry")
        check_eq(r4["results"][0]["entry_id"], r4["results"][1]["entry_id"],
                 "the same entry_id")
        clash = [dict(items[0], idempotency_key="dup2"),
                 dict(items[1], idempotency_key="dup2")]
        e = u.err("entry.add_batch", {"book_id": b, "entries": clash})
        check_eq(e[0], "conflict", "a key twice with other fields")
        check(e[1].startswith("entries[1]: idempotency_key 'dup2'"),
              "names item 1", got=e[1])
        single = u.add(b, "out", 5, "2026-03-02", idempotency_key="solo")
        r5 = batch(u, b, [{"type": "out", "amount": 5, "date": "2026-03-02",
                           "idempotency_key": "solo"}])
        check_eq(r5["results"], [{"entry_id": single["entry_id"],
                                  "replayed": True}],
                 "entry.add's key replayed by a batch")
        back = u.add(b, **items[2])
        check_eq((back["entry_id"], back["replayed"]), (ids[2], True),
                 "a batch's key replayed by entry.add")
        check_eq(u.balance(b)["count"], 8, "eight entries in all")


def test_permissions(t):
    """A batch needs the add permission, like entry.add: a member without
    it gets forbidden, a stranger not_found, and neither writes."""
    with t.daemon().start() as d, d.client() as ca, d.client() as cb, \
            d.client() as cc:
        alice = register_login(ca, "alice")
        bob = register_login(cb, "bob")
        carol = register_login(cc, "carol")
        b = alice.book("Shared")
        share(alice, bob, b, ["reports"])
        item = [{"type": "in", "amount": 1, "date": "2026-01-01"}]
        e = bob.err("entry.add_batch", {"book_id": b, "entries": item})
        check_eq(e[0], "forbidden", "a member without add", message=e[1])
        check("'add'" in e[1] or "add" in e[1], "names add", got=e[1])
        e = carol.err("entry.add_batch", {"book_id": b, "entries": item})
        check_eq(e[0], "not_found", "a stranger", message=e[1])
        check_eq(alice.balance(b)["count"], 0, "nothing written")
        share(alice, carol, b, ["add"])
        res = batch(carol, b, item * 3)
        check_eq(res["balance"], 3, "a member with add")
        for r in res["results"]:
            check_eq(carol.get(r["entry_id"])["created_by"], carol.user_id,
                     "created_by is the member")


def test_full_batch(t):
    """1,000 entries with every field fit in one request under the default
    message limit and are all added; the book verifies."""
    rng = random.Random(5)
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Import")
        items = [random_entry(rng, i) for i in range(BATCH_MAX)]
        for i, e in enumerate(items):
            e["idempotency_key"] = "imp-%04d" % i
        res = batch(u, b, items)
        want = sum(e["amount"] if e["type"] == "in" else -e["amount"]
                   for e in items)
        check_eq(res["balance"], want, "balance of 1,000 entries")
        check_eq(u.balance(b)["count"], BATCH_MAX, "count")
        check_eq(u.verify(b)["ok"], True, "book.verify")
        last = u.get(res["results"][-1]["entry_id"])
        check_eq(last["idempotency_key"], "imp-0999", "the last item's key")


TESTS = [
    test_batch_is_adds_one_by_one,
    test_bad_item_writes_nothing,
    test_failure_after_writes_rolls_back,
    test_overflow_rolls_back,
    test_idempotent_batches,
    test_permissions,
    test_full_batch,
]

if __name__ == "__main__":
    main([clean_exits(f) for f in TESTS])
