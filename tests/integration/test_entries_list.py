#!/usr/bin/python3
"""
test_entries_list.py -- entry.list (docs/protocol.md, "Books and
entries"): order, running balances (a randomised property test with a
fixed seed against a brute-force recomputation), keyset paging while
another connection inserts, malformed cursors, limits, and every filter.

Usage: test_entries_list.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import datetime
import os
import random
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, TestFailure  # noqa
from books_common import (MAX_AMOUNT, Model, check_listing,  # noqa
                          clean_exits, chrono_key, fields_of, register_login)

CATEGORIES = ["Food", "food", "Rent", "Salary", "Travel", "\u00c9cole",
              "\u00e9cole", None]
MODES = ["Cash", "Online", "Card", "UPI", "Bank Transfer", "Other", None]
PARTIES = ["ACME", "acme", "Bob's Shop", "Caf\u00e9 100%", None]
TAGS = ["work", "Home", "trip_2026", "tripX2026", "50%", "x"]


EXTREME_DATES = ["1900-01-01", "9999-12-31", "2000-02-29", "2024-12-31",
                 "2025-01-01", "2025-12-31", "2026-01-01"]


def rand_date(rnd, start=datetime.date(2025, 11, 1), days=120):
    """Mostly within four months across a year's end, sometimes at the
    edges of the calendar."""
    if rnd.random() < 0.04:
        return rnd.choice(EXTREME_DATES)
    return (start + datetime.timedelta(days=rnd.randrange(days))).isoformat()


def rand_time(rnd):
    if rnd.random() < 0.35:
        return None
    return "%02d:%02d" % (rnd.randrange(24), rnd.choice((0, 0, 15, 30, 59)))


def rand_fields(rnd):
    f = {"type": rnd.choice(("in", "out")),
         "amount": rnd.choice((1, 5, 100, 999, 12345, 10 ** 6,
                               rnd.randrange(1, 10 ** 9), MAX_AMOUNT)),
         "date": rand_date(rnd), "time": rand_time(rnd),
         "category": rnd.choice(CATEGORIES), "mode": rnd.choice(MODES),
         "party": rnd.choice(PARTIES)}
    if rnd.random() < 0.3:
        f["note"] = rnd.choice(["lunch", "Monthly RENT paid", "50% off",
                                "a_b", "ref acme", "line\nbreak"])
    if rnd.random() < 0.2:
        f["reference"] = "R-%d" % rnd.randrange(100)
    if rnd.random() < 0.4:
        f["tags"] = sorted(rnd.sample(TAGS, rnd.randrange(1, 3)))
    return f


def wire(f):
    """The params of an entry.add for fields f (nils left out)."""
    return {k: v for k, v in f.items() if v is not None}


# ---------------------------------------------------------------- property

def test_running_balance_property(t):
    """Random adds (back-dated, with and without times), updates of
    amount/type/date/time, deletes and restores on one book (seed 1234);
    after every few operations every running_balance of every page, with
    and without filters, equals a brute-force recomputation; book.balance
    agrees and book.verify is ok.  Finally each entry's history has one
    item per change."""
    rnd = random.Random(1234)
    with t.daemon("--synchronous", "normal").start() as d, \
            d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Random")
        m = Model()
        actions = {}
        nops = 480
        checks = 0
        for op in range(nops):
            live = [e for e in m.entries.values() if not e["deleted"]]
            dead = [e for e in m.entries.values() if e["deleted"]]
            x = rnd.random()
            if x < 0.45 or len(live) < 5:
                f = rand_fields(rnd)
                r = u.ok("entry.add", dict(wire(f), book_id=b))
                m.put(r["entry_id"], f)
                actions[r["entry_id"]] = ["create"]
                got = r["balance"]
            elif x < 0.75:
                e = rnd.choice(live)
                patch = {}
                for k in rnd.sample(["amount", "type", "date", "time"],
                                    rnd.randrange(1, 4)):
                    if k == "amount":
                        patch[k] = rnd.choice((1, 7, 250, 10 ** 6,
                                               MAX_AMOUNT))
                    elif k == "type":
                        patch[k] = "in" if e["type"] == "out" else "out"
                    elif k == "date":
                        patch[k] = rand_date(rnd)
                    else:
                        patch[k] = rand_time(rnd)
                r = u.ok("entry.update", dict(patch, entry_id=e["entry_id"]))
                if any(e[k] != v for k, v in patch.items()):
                    actions[e["entry_id"]].append("update")
                e.update(patch)
                got = r["balance"]
            elif x < 0.9 or not dead:
                e = rnd.choice(live)
                got = u.ok("entry.delete",
                           {"entry_id": e["entry_id"]})["balance"]
                e["deleted"] = True
                actions[e["entry_id"]].append("delete")
            else:
                e = rnd.choice(dead)
                got = u.ok("entry.restore",
                           {"entry_id": e["entry_id"]})["balance"]
                e["deleted"] = False
                actions[e["entry_id"]].append("restore")
            check_eq(got, m.totals()["balance"], "op %d: answered balance"
                     % op)
            if op % 12 == 11 or op == nops - 1:
                checks += 1
                what = "after op %d" % op
                limit = rnd.choice((None, 1, 7, 50, 500))
                check_listing(u, b, m, limit=limit, what=what)
                check_listing(u, b, m, {"type": rnd.choice(("in", "out"))},
                              limit=rnd.choice((None, 5)), what=what)
                check_listing(u, b, m, {"category": rnd.choice(
                    ["food", "RENT", "\u00e9cole"])}, limit=3, what=what)
                check_listing(u, b, m, {"category": rnd.sample(
                    ["food", "RENT", "\u00e9cole", "Salary"], 2)},
                    limit=3, what=what)
                lo = rand_date(rnd)
                check_listing(u, b, m, {"from": lo, "to": rand_date(
                    rnd, datetime.date.fromisoformat(lo), 40)}, limit=4,
                    what=what)
                check_listing(u, b, m, {"trash": True}, what=what)
                tot = m.totals()
                bal = u.balance(b)
                check_eq({k: bal[k] for k in tot}, tot, "%s: book.balance"
                         % what)
                v = u.verify(b)
                check_eq(v["ok"], True, "%s: book.verify" % what, result=v)
                check_eq(v["problems"], [], "%s: no problems" % what)
        t.diag("%d operations, %d entries (%d live), %d full checks" % (
            nops, len(m.entries), len(m.live()), checks))
        # Every change is in the history, in order.
        ids = sorted(m.entries)
        answers = u.pipe([("entry.history", {"entry_id": i}) for i in ids])
        for i, (e, res) in zip(ids, answers):
            check(e is None, "entry.history", error=e)
            check_eq([h["action"] for h in res["history"]], actions[i],
                     "history actions of entry %d" % i)
            last = res["history"][-1]["after"]
            want = fields_of(m.entries[i])
            check_eq({k: last[k] for k in ("type", "amount", "date",
                                           "time")},
                     {k: want[k] for k in ("type", "amount", "date",
                                           "time")},
                     "the last history fields of entry %d" % i)


def random_ops(u, b, rnd, model, actions, nops, who):
    """nops random adds, updates, trashes and restores by u on book b, on
    the entries u made (recorded in model and actions: entry_id -> [(action,
    username)])."""
    mine = []
    for _ in range(nops):
        live = [i for i in mine if not model.entries[i]["deleted"]]
        dead = [i for i in mine if model.entries[i]["deleted"]]
        x = rnd.random()
        if x < 0.5 or len(live) < 3:
            f = rand_fields(rnd)
            r = u.ok("entry.add", dict(wire(f), book_id=b))
            model.put(r["entry_id"], f)
            mine.append(r["entry_id"])
            actions[r["entry_id"]] = [("create", who)]
        elif x < 0.75:
            i = rnd.choice(live)
            e = model.entries[i]
            patch = {"amount": rnd.choice((1, 7, 250, 10 ** 6)),
                     "type": "in" if e["type"] == "out" else "out",
                     "date": rand_date(rnd)}
            u.ok("entry.update", dict(patch, entry_id=i))
            e.update(patch)
            actions[i].append(("update", who))
        elif x < 0.9 or not dead:
            i = rnd.choice(live)
            u.ok("entry.delete", {"entry_id": i})
            model.entries[i]["deleted"] = True
            actions[i].append(("delete", who))
        else:
            i = rnd.choice(dead)
            u.ok("entry.restore", {"entry_id": i})
            model.entries[i]["deleted"] = False
            actions[i].append(("restore", who))


def test_two_actors_property(t):
    """Two people write one shared book at once: alice (the owner) and bob
    (a member who may add, edit_all and delete), each on their own
    connection and thread, random adds, updates, trashes and restores of
    their own entries (seeds 7 and 8); then each edits, trashes and
    restores some of the other's.  Afterwards every running_balance
    (with and without filters) equals a brute-force recomputation over
    both people's entries, book.balance agrees, book.verify is ok, and
    each entry's history has one item per change, each naming who made
    it."""
    with t.daemon("--synchronous", "normal").start() as d, \
            d.client() as ca, d.client() as cb:
        alice = register_login(ca, "alice")
        bob = register_login(cb, "bob")
        b = alice.book("Shared")
        iid = alice.ok("book.invite", {"book_id": b, "username": "bob",
                                       "permissions": ["add", "edit_all",
                                                       "delete"]})
        bob.ok("invite.accept", {"invite_id": iid["invite_id"]})
        models = {"alice": Model(), "bob": Model()}
        actions = {}
        failures = []

        def run(u, seed):
            try:
                random_ops(u, b, random.Random(seed), models[u.username],
                           actions, 240, u.username)
            except BaseException as e:     # reported by the main thread
                failures.append((u.username, e))

        ths = [threading.Thread(target=run, args=(alice, 7)),
               threading.Thread(target=run, args=(bob, 8))]
        for th in ths:
            th.start()
        for th in ths:
            th.join(300)
        if failures:
            raise failures[0][1]
        m = Model()
        for who in ("alice", "bob"):
            m.entries.update(models[who].entries)
        # Now across: each edits, trashes and restores the other's.
        rnd = random.Random(9)
        for u, other in ((bob, "alice"), (alice, "bob")):
            theirs = [i for i in models[other].entries
                      if not m.entries[i]["deleted"]]
            for i in rnd.sample(theirs, 5):
                u.ok("entry.update", {"entry_id": i, "amount": 333})
                m.entries[i]["amount"] = 333
                u.ok("entry.delete", {"entry_id": i})
                u.ok("entry.restore", {"entry_id": i})
                actions[i] += [("update", u.username),
                               ("delete", u.username),
                               ("restore", u.username)]
        check_listing(alice, b, m, what="alice's view")
        check_listing(bob, b, m, limit=7, what="bob's view, pages of 7")
        check_listing(alice, b, m, {"type": "out"}, limit=5,
                      what="outs only")
        check_listing(bob, b, m, {"trash": True}, what="the trash")
        tot = m.totals()
        bal = alice.balance(b)
        check_eq({k: bal[k] for k in tot}, tot, "book.balance")
        v = alice.verify(b)
        check_eq((v["ok"], v["problems"]), (True, []), "book.verify",
                 result=v)
        ids = sorted(m.entries)
        answers = alice.pipe([("entry.history", {"entry_id": i})
                              for i in ids])
        for i, (e, res) in zip(ids, answers):
            check(e is None, "entry.history", error=e)
            check_eq([(h["action"], h["username"]) for h in res["history"]],
                     actions[i], "history of entry %d" % i)
        t.diag("%d entries (%d live) by two people at once" % (
            len(m.entries), len(m.live())))


def test_same_day_order(t):
    """Within a day: untimed entries first (chronologically), then by time,
    then by entry_id; the list is the reverse."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Day")
        m = Model()
        plan = [("10:00", 1), (None, 2), ("09:59", 4), ("23:59", 8),
                (None, 16), ("00:00", 32), ("10:00", 64), (None, 128)]
        for tm, amt in plan:
            r = u.add(b, "in", amt, "2026-05-05", time=tm)
            m.put(r["entry_id"], {"type": "in", "amount": amt,
                                  "date": "2026-05-05", "time": tm})
        r = u.add(b, "out", 1000, "2026-05-04", time="23:59")
        m.put(r["entry_id"], {"type": "out", "amount": 1000,
                              "date": "2026-05-04", "time": "23:59"})
        r = u.add(b, "in", 3000, "2026-05-06")
        m.put(r["entry_id"], {"type": "in", "amount": 3000,
                              "date": "2026-05-06"})
        rows = check_listing(u, b, m, what="one day")
        amounts = [x["amount"] for x in rows]
        check_eq(amounts, [3000, 8, 64, 1, 4, 32, 128, 16, 2, 1000],
                 "newest first: timed entries after the untimed ones of "
                 "their day, ties by entry_id")
        check_eq([x["running_balance"] for x in rows],
                 [2255, -745, -753, -817, -818, -822, -854, -982, -998,
                  -1000], "running balances")
        for limit in (1, 2, 3):
            check_listing(u, b, m, limit=limit, what="limit %d" % limit)


# ---------------------------------------------------------------- paging

def test_cursor_paging_concurrent_inserts(t):
    """Paging with limit 7 while another connection inserts entries (newer
    than everything, and back-dated into the part not paged yet): every
    entry that existed is seen exactly once, the order is strictly newest
    first, and back-dated entries committed below the cursor show up."""
    rnd = random.Random(77)
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        u = register_login(c, "alice")
        b = u.book("Paging")
        start = datetime.date(2026, 1, 1)
        calls = []
        for i in range(150):
            calls.append(("entry.add", {
                "book_id": b, "type": rnd.choice(("in", "out")),
                "amount": rnd.randrange(1, 1000),
                "date": (start + datetime.timedelta(days=i // 3)).isoformat(),
                **({"time": "%02d:00" % rnd.randrange(24)}
                   if rnd.random() < 0.5 else {})}))
        existing = set()
        for e, res in u.pipe(calls):
            check(e is None, "setup add", error=e)
            existing.add(res["entry_id"])
        p2 = {"token": u.token, "book_id": b, "type": "in", "amount": 1}
        seen, rows, cursor, pages = [], [], None, 0
        inserted_below = []      # ids committed below the cursor
        while True:
            # Another connection inserts while this page is read: one
            # newer than everything, two back-dated into the region not
            # paged yet (when there is one).
            sent = []
            c2.request("entry.add", dict(p2, date="2027-01-01"))
            sent.append("2027-01-01")
            if rows:
                last = rows[-1]["date"]
                lo = datetime.date.fromisoformat(last) - \
                    datetime.timedelta(days=rnd.randrange(1, 5))
                for _ in range(2):
                    c2.request("entry.add", dict(p2, date=lo.isoformat()))
                    sent.append(lo.isoformat())
            res = u.list_page(b, limit=7, cursor=cursor)
            pages += 1
            for _ in sent:
                msg = c2.read_response()
                check(msg[2] is None, "concurrent insert", error=msg[2])
            page = res["entries"]
            check(len(page) <= 7, "at most 7 rows", rows=len(page))
            rows += page
            seen += [x["entry_id"] for x in page]
            cursor = res["next_cursor"]
            if cursor is None:
                break
            check_eq(len(page), 7, "a page before the last one is full")
            # A back-dated entry committed now, below the last row, must
            # come in a later page (keyset paging).
            below = (datetime.date.fromisoformat(page[-1]["date"]) -
                     datetime.timedelta(days=1)).isoformat()
            r = u.add(b, "out", 2, below)
            inserted_below.append(r["entry_id"])
            check(pages < 200, "paging ends")
        check_eq(len(seen), len(set(seen)), "no entry seen twice",
                 dups=sorted(x for x in set(seen) if seen.count(x) > 1))
        missing = existing - set(seen)
        check(not missing, "no entry that existed is missing",
              missing=sorted(missing))
        for a, z in zip(rows, rows[1:]):
            check(chrono_key(a) > chrono_key(z),
                  "strictly newest first", a=chrono_key(a), b=chrono_key(z))
        check(set(inserted_below) <= set(seen),
              "back-dated entries committed below the cursor are listed",
              missing=sorted(set(inserted_below) - set(seen)))
        t.diag("%d pages, %d rows, %d existed" % (pages, len(seen),
                                                  len(existing)))


def test_cursor_malformed(t):
    """Malformed cursors are bad_request naming 'cursor': empty, garbage,
    truncated, extended, too long, and a real cursor with one byte
    changed."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Cursors")
        calls = [("entry.add", {"book_id": b, "type": "in", "amount": i + 1,
                                "date": "2026-02-%02d" % (i % 28 + 1)})
                 for i in range(20)]
        for e, _ in u.pipe(calls):
            check(e is None, "setup add", error=e)
        res = u.list_page(b, limit=5)
        cur = res["next_cursor"]
        check(isinstance(cur, str) and cur, "a next_cursor", cursor=cur)
        t.diag("a cursor: %r" % cur)
        second = u.list_page(b, limit=5, cursor=cur)["entries"]
        bad = ["", "garbage", "x" * 65, "\u00e9" * 40, cur[:-1], cur + "A",
               cur[1:], cur + cur, " " + cur, cur + "\n", "null", "0",
               "-1"]
        for v in bad:
            u.bad("entry.list", {"book_id": b, "limit": 5, "cursor": v},
                  "cursor", "cursor %r" % v)
        # One byte changed, at every position, to another character of
        # the same kind (a digit for a digit, a letter for a letter...).
        refused = accepted = 0
        for i, ch in enumerate(cur):
            if ch.isdigit():
                alt = "7" if ch != "7" else "3"
            elif ch.isalpha():
                alt = "Q" if ch != "Q" else "R"
            else:
                alt = "A"
            v = cur[:i] + alt + cur[i + 1:]
            e, r = u.call("entry.list", {"book_id": b, "limit": 5,
                                         "cursor": v})
            if e is not None and e[0] == "bad_request":
                refused += 1
                continue
            accepted += 1
            raise TestFailure("cursor with byte %d changed (%r -> %r) was "
                              "not refused: %r" % (i, cur, v, e or r))
        t.diag("%d one-byte changes refused" % refused)
        # The real cursor still works, and gives the same page.
        check_eq(u.list_page(b, limit=5, cursor=cur)["entries"], second,
                 "the real cursor")
        e = u.err("entry.list", {"book_id": b + 1000, "cursor": cur})
        check(e[0] in ("not_found", "bad_request"),
              "a cursor with an unknown book: not_found or bad_request",
              error=e)
        b2 = u.book("Other")
        u.add(b2, "in", 1, "2026-02-01")
        e = u.err("entry.list", {"book_id": b2, "cursor": cur})
        check_eq(e[0], "bad_request", "a cursor of another book",
                 message=e[1])


def test_cursor_errors_leave_others_alone(t):
    """Cursors with out-of-range or missing numbers are refused, and
    neither they nor anything else one client sends disturbs another
    client's requests (a parser's leftover errno once made the daemon
    drop the next connection it flushed)."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        u = register_login(c, "alice")
        v = register_login(c2, "bob")
        b = u.book("Mine")
        vb = v.book("Theirs")
        u.add(b, "in", 5, "2026-01-01")
        v.add(vb, "in", 7, "2026-01-01")
        bad = ["v1.20250101.-1.1.", "v1.20250101.-1.99999999999999999999.0",
               "v1." + "9" * 30 + ".1.1.00000000", "v1.20250101.--1.1.0",
               "v1.20250101.-1.1.0000000g", "v1.20250101.-1", "v1."]
        for cur in bad:
            u.bad("entry.list", {"book_id": b, "cursor": cur}, "cursor",
                  "cursor %r" % cur)
            check_eq(v.balance(vb)["balance"], 7,
                     "the other client after cursor %r" % cur)
            check_eq(u.balance(b)["balance"], 5,
                     "the same client after cursor %r" % cur)


def test_order_asc(t):
    """order "asc" lists oldest first, the exact reverse of the default,
    with the same running balances: with and without filters, one page or
    pages of 1, 4 and 500, the trash too; ties within a minute by
    entry_id; from/to bound the range in both orders."""
    rnd = random.Random(2468)
    with t.daemon("--synchronous", "normal").start() as d, \
            d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Oldest first")
        m = filter_book(u, b, rnd, n=120)
        # Ties: three entries in the same minute, three without a time.
        for tm in ("12:00", "12:00", "12:00", None, None, None):
            f = {"type": "in", "amount": 7, "date": "2026-01-15", "time": tm}
            m.put(u.add(b, "in", 7, "2026-01-15", time=tm)["entry_id"], f)
        some_date = sorted(e["date"] for e in m.live())[30]
        cases = [{}, {"type": "out"}, {"category": "food"}, {"q": "acme"},
                 {"from": some_date}, {"to": some_date},
                 {"from": "2026-01-15", "to": "2026-01-15"},
                 {"tag": "work", "amount_min": 100}, {"trash": True}]
        for f in cases:
            for limit in (None, 1, 4, 500):
                asc = check_listing(u, b, m, dict(f, order="asc"),
                                    limit=limit, what="asc %r" % f)
                desc = check_listing(u, b, m, dict(f, order="desc"),
                                     limit=limit, what="desc %r" % f)
                check_eq([x["entry_id"] for x in asc],
                         [x["entry_id"] for x in reversed(desc)],
                         "asc is the reverse of desc, %r limit %r" % (
                             f, limit))
        check_eq(u.list_page(b, {"order": "desc"}, limit=9)["entries"],
                 u.list_page(b, limit=9)["entries"],
                 "desc is the default")
        empty = u.book("Empty")
        check_eq(u.list_page(empty, {"order": "asc"}),
                 {"entries": [], "next_cursor": None}, "an empty book")


def test_order_cursors(t):
    """A cursor carries its order: one used with the other order (or with
    the default, for an asc cursor) is bad_request naming 'cursor' and
    saying so; bad order values are bad_request naming 'order'."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Cursors")
        calls = [("entry.add", {"book_id": b, "type": "in", "amount": i + 1,
                                "date": "2026-02-%02d" % (i % 28 + 1)})
                 for i in range(12)]
        for e, _ in u.pipe(calls):
            check(e is None, "setup add", error=e)
        up = u.list_page(b, {"order": "asc"}, limit=5)
        down = u.list_page(b, limit=5)
        check_eq([x["amount"] for x in up["entries"]], [1, 2, 3, 4, 5],
                 "the oldest five")
        check(up["next_cursor"] != down["next_cursor"],
              "the two orders' cursors differ", up=up["next_cursor"],
              down=down["next_cursor"])
        check_eq([x["amount"] for x in u.list_page(
            b, {"order": "asc"}, limit=5,
            cursor=up["next_cursor"])["entries"]], [6, 7, 8, 9, 10],
            "the next five, oldest first")
        for params in ({"order": "desc", "cursor": up["next_cursor"]},
                       {"cursor": up["next_cursor"]},
                       {"order": "asc", "cursor": down["next_cursor"]}):
            e = u.bad("entry.list", dict(params, book_id=b), "cursor",
                      "a cursor used with the other order %r" % params)
            check("other order" in e[1], "the message says why",
                  message=e[1])
        for v in ("ASC", "up", "", "ascending", 1, True):
            u.bad("entry.list", {"book_id": b, "order": v}, "order",
                  "order %r" % v)


def test_limits(t):
    """limit 1-500, default 50; 0 and 501 refused."""
    with t.daemon("--synchronous", "normal").start() as d, \
            d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Many")
        calls = [("entry.add", {"book_id": b, "type": "in", "amount": 1,
                                "date": "2026-03-%02d" % (i % 31 + 1)})
                 for i in range(520)]
        for e, _ in u.pipe(calls):
            check(e is None, "setup add", error=e)
        for v in (0, -1, 501, 10 ** 6, 2 ** 64 - 1):
            u.bad("entry.list", {"book_id": b, "limit": v}, "limit",
                  "limit %d" % v)
        res = u.list_page(b)
        check_eq(len(res["entries"]), 50, "default limit 50")
        check(res["next_cursor"] is not None, "more pages")
        res = u.list_page(b, limit=500)
        check_eq(len(res["entries"]), 500, "limit 500")
        res2 = u.list_page(b, limit=500, cursor=res["next_cursor"])
        check_eq(len(res2["entries"]), 20, "the last 20")
        check_eq(res2["next_cursor"], None, "last page")
        res = u.list_page(b, limit=1)
        check_eq(len(res["entries"]), 1, "limit 1")
        check_eq(res["entries"][0]["running_balance"], 520,
                 "newest running_balance = balance")
        # A book of exactly two pages: the second is the last one.
        b2 = u.book("Fourteen")
        for e, _ in u.pipe([("entry.add", {"book_id": b2, "type": "out",
                                           "amount": 2,
                                           "date": "2026-01-01"})] * 14):
            check(e is None, "setup add", error=e)
        p1 = u.list_page(b2, limit=7)
        check(p1["next_cursor"] is not None, "page 1 of 2 has a cursor")
        p2 = u.list_page(b2, limit=7, cursor=p1["next_cursor"])
        check_eq(len(p2["entries"]), 7, "page 2 of 2 is full")
        check_eq(p2["next_cursor"], None,
                 "next_cursor is nil on the last page, even a full one")
        empty = u.book("Empty")
        check_eq(u.list_page(empty), {"entries": [], "next_cursor": None},
                 "an empty book")


# ---------------------------------------------------------------- filters

def filter_book(u, b, rnd, n=160):
    m = Model()
    calls = []
    fields = []
    notes = ["Lunch with ACME", "100% refund", "under_score", "plain",
             "UPPER NOTE", "caf\u00e9 au lait", "multi\nline", None, None]
    for i in range(n):
        f = rand_fields(rnd)
        f["note"] = rnd.choice(notes)
        f["reference"] = rnd.choice([None, None, "INV-%03d" % i, "acme-ref"])
        f["amount"] = rnd.choice((1, 50, 100, 101, 999, 1000, 12345,
                                  MAX_AMOUNT))
        fields.append(f)
        calls.append(("entry.add", dict(wire(f), book_id=b)))
    for f, (e, res) in zip(fields, u.pipe(calls)):
        check(e is None, "setup add", error=e)
        m.put(res["entry_id"], f)
    # Some in the trash: filters never show them.
    for eid in sorted(m.entries)[::9]:
        u.ok("entry.delete", {"entry_id": eid})
        m.entries[eid]["deleted"] = True
    return m


def test_filters(t):
    """Every filter and combinations against the model: from/to
    inclusive, type, category/mode/party exact ASCII-case-insensitively,
    tag, q a case-insensitive substring of note/category/party/reference,
    amount_min/max inclusive; running balances stay those of the whole
    book."""
    rnd = random.Random(4321)
    with t.daemon("--synchronous", "normal").start() as d, \
            d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Filters")
        m = filter_book(u, b, rnd)
        some_date = sorted(e["date"] for e in m.live())[40]
        cases = [
            {"from": some_date}, {"to": some_date},
            {"from": some_date, "to": some_date},
            {"from": "2026-02-01", "to": "2026-02-28"},
            {"type": "in"}, {"type": "out"},
            {"category": "food"}, {"category": "FOOD"}, {"category": "Foo"},
            {"category": "\u00e9cole"}, {"category": "\u00c9COLE"},
            {"category": "Food "},
            {"mode": "cash"}, {"mode": "bank transfer"}, {"mode": "UPI"},
            {"party": "acme"}, {"party": "BOB'S SHOP"},
            {"party": "caf\u00e9 100%"}, {"party": "CAF\u00e9 100%"},
            {"tag": "work"}, {"tag": "HOME"}, {"tag": "trip_2026"},
            {"tag": "trip"}, {"tag": "x"}, {"tag": "trip%"}, {"tag": "%"},
            {"tag": "50%"}, {"tag": "TRIPX2026"}, {"tag": "_"},
            {"category": "F_od"}, {"category": "%"}, {"category": "f%"},
            {"party": "Caf_ 100%"}, {"party": "%"}, {"mode": "C%"},
            {"mode": "Car_"},
            {"q": "acme"}, {"q": "ACME"}, {"q": "%"}, {"q": "_"},
            {"q": "100%"}, {"q": "caf\u00e9"}, {"q": "CAF\u00e9"},
            {"q": "CAF\u00c9"}, {"q": "inv-0"},
            {"q": "card"}, {"q": "work"}, {"q": "e"}, {"q": "R"},
            {"amount_min": 100}, {"amount_max": 100},
            {"amount_min": 100, "amount_max": 101},
            {"amount_min": MAX_AMOUNT}, {"amount_max": 1},
            {"amount_min": 1, "amount_max": MAX_AMOUNT},
            {"type": "out", "category": "rent", "from": "2026-02-01"},
            {"type": "in", "amount_min": 1000, "q": "a"},
            {"tag": "work", "mode": "card", "to": "2026-03-15"},
            {"party": "ACME", "q": "lunch", "amount_max": 999},
            {"category": "salary", "type": "out", "tag": "home"},
        ]
        empty = 0
        for f in cases:
            rows = check_listing(u, b, m, f, what="filter %r" % f)
            if not rows:
                empty += 1
            check_listing(u, b, m, f, limit=4, what="filter %r" % f)
        t.diag("%d filter cases (%d empty), %d live entries" % (
            len(cases), empty, len(m.live())))
        # A few targeted facts, besides the model.
        mode_only = u.add(b, "in", 3, "2026-01-01", mode="ZzUniqueMode")
        check_eq(u.list_page(b, {"q": "zzunique"})["entries"], [],
                 "q does not search mode")
        tag_only = u.add(b, "in", 3, "2026-01-01", tags=["ZzUniqueTag"])
        check_eq([x["entry_id"] for x in u.list_page(
            b, {"q": "zzunique"})["entries"]], [tag_only["entry_id"]],
            "q searches tags (not mode)")
        check_eq([x["entry_id"] for x in u.list_page(
            b, {"q": "ueTAG"})["entries"]], [tag_only["entry_id"]],
            "q searches tags through the index too")
        check_eq([x["entry_id"] for x in u.list_page(
            b, {"tag": "zzuniquetag"})["entries"]], [tag_only["entry_id"]],
            "tag matches case-insensitively")
        check_eq([x["entry_id"] for x in u.list_page(
            b, {"mode": "ZZUNIQUEMODE"})["entries"]],
            [mode_only["entry_id"]], "mode matches case-insensitively")


def test_filter_validation(t):
    """Bad filter values are bad_request naming the filter."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("F")
        bad = [("from", "2026-02-30"), ("from", "2026-1-5"), ("from", ""),
               ("to", "1899-12-31"), ("to", "x"), ("type", "IN"),
               ("type", "both"), ("type", ""), ("category", ""),
               ("category", "x" * 101), ("mode", ""), ("party", "a\nb"),
               ("tag", ""), ("tag", "x" * 65), ("q", ""), ("q", "x" * 101),
               ("q", "a\x00b"), ("amount_min", 0), ("amount_min", -1),
               ("amount_min", MAX_AMOUNT + 1), ("amount_max", 0),
               ("amount_max", MAX_AMOUNT + 1), ("amount_min", 1.5),
               ("trash", "yes"), ("limit", 0), ("cursor", ""),
               ("foo", 1), ("token2", "x"), ("entry_id", 1),
               ("sort", "asc"), ("offset", 10)]
        for f, v in bad:
            u.bad("entry.list", {"book_id": b, f: v}, f,
                  "entry.list %s=%r" % (f, v))
        for f, v in (("q", "x" * 100), ("amount_min", MAX_AMOUNT),
                     ("amount_max", 1), ("from", "1900-01-01"),
                     ("to", "9999-12-31"), ("trash", False), ("limit", 500),
                     ("category", "x" * 100), ("tag", "x" * 64)):
            res = u.list_page(b, {f: v})
            check_eq(res, {"entries": [], "next_cursor": None},
                     "entry.list %s=%r on an empty book" % (f, v))
        u.bad("entry.list", {}, "book_id", "missing book_id")


def test_filter_lists(t):
    """category, mode, party and tag take a list of 1 to 20 strings as
    well as one string: any of them matches (OR within a field, AND
    between fields), against the model, with paging and the running
    balances of the whole book; a list of one is the string itself."""
    rnd = random.Random(777)
    with t.daemon("--synchronous", "normal").start() as d, \
            d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Lists")
        m = filter_book(u, b, rnd)
        cases = [
            {"category": ["food"]}, {"category": ["Food", "Rent"]},
            {"category": ["rent", "SALARY", "\u00e9cole", "nothing"]},
            {"category": ["F%", "_ood"]},
            {"mode": ["cash", "card"]}, {"mode": ["UPI", "Bank Transfer"]},
            {"party": ["acme", "Bob's Shop"]}, {"party": ["caf\u00e9 100%"]},
            {"tag": ["work", "home"]}, {"tag": ["trip_2026", "x", "50%"]},
            {"tag": ["trip", "%"]}, {"tag": ["TRIPX2026", "WORK"]},
            {"category": ["food", "rent"], "mode": ["cash", "card"]},
            {"category": ["food", "rent"], "tag": ["work", "home"],
             "type": "out"},
            {"party": ["acme", "Bob's Shop"], "q": "lunch"},
            {"category": ["food", "salary"], "order": "asc"},
            {"category": ["c%d" % i for i in range(19)] + ["food"]},
        ]
        for f in cases:
            rows = check_listing(u, b, m, f, what="filter %r" % f)
            check_listing(u, b, m, f, limit=3, what="filter %r" % f)
            t.diag("%r: %d rows" % (f, len(rows)))
        one = u.list_page(b, {"category": "food"})
        check_eq(u.list_page(b, {"category": ["food"]}), one,
                 "a list of one is the string")
        both = [x["entry_id"] for x in u.list_page(
            b, {"category": ["food", "rent"], "limit": 500})["entries"]]
        check(len(both) > len(one["entries"]) > 0,
              "food or rent finds more than food alone")


def test_filter_list_validation(t):
    """A list filter is 1 to 20 distinct strings, each as the string
    filter's rules; anything else is bad_request naming the field."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("F")
        for f, v in (("category", []), ("category", ["x"] * 2),
                     ("category", ["c%d" % i for i in range(21)]),
                     ("mode", ["Cash", 1]), ("party", ["a", ""]),
                     ("party", ["a", "b\nc"]), ("tag", ["x" * 65]),
                     ("tag", [None]), ("category", [["a"]]),
                     ("mode", {"a": 1})):
            u.bad("entry.list", {"book_id": b, f: v}, f,
                  "entry.list %s=%r" % (f, v))
        res = u.list_page(b, {"category": ["c%d" % i for i in range(20)],
                              "tag": ["x" * 64, "y"]})
        check_eq(res, {"entries": [], "next_cursor": None},
                 "20 values, and the longest tag, on an empty book")


TESTS = [
    test_running_balance_property,
    test_two_actors_property,
    test_same_day_order,
    test_cursor_paging_concurrent_inserts,
    test_cursor_malformed,
    test_cursor_errors_leave_others_alone,
    test_limits,
    test_order_asc,
    test_order_cursors,
    test_filters,
    test_filter_validation,
    test_filter_lists,
    test_filter_list_validation,
]

if __name__ == "__main__":
    main([clean_exits(f) for f in TESTS],
         {"test_running_balance_property": 120,
          "test_two_actors_property": 180})
