#!/usr/bin/python3
"""
test_search.py -- entry.list's q through the text index and
report.summary by category, mode and party through the per-key totals
(docs/architecture.md, "Search and reports at scale"): property tests
with fixed seeds against a brute-force recomputation in Python after
random adds, edits, trashings and restores; the scan that q of 1 or 2
characters and common q take; book.verify finding and repairing a broken
key total or text index row; and a database of the previous schema
getting both built by the migration.

Usage: test_search.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import datetime
import os
import random
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, wait_until  # noqa
from books_common import (MAX_AMOUNT, PW, Model, User,  # noqa
                          check_listing, clean_exits, register_login)

# Texts where LIKE and the trigram index could disagree: ASCII and
# non-ASCII case (LIKE folds only ASCII; the index folds by Unicode),
# LIKE's own wildcards and escape, FTS5's quote, spaces, short words.
WORDS = ["Hello", "hello world", "HELLO", "\u00c9cole", "\u00e9cole",
         "\u00c9COLE", "100% sure", "100 sure", "a_b", "aXb", "back\\slash",
         'say "hi"', "stra\u00dfe", "STRASSE", "\u212aelvin", "kelvin",
         "caf\u00e9", "CAF\u00c9", "ab", "x", "rent due", "Rent", "zz top",
         "\u0130stanbul", "istanbul", "\u00fcber", "\u00dcBER"]
CATEGORIES = ["Food", "food", "FOOD", "Rent", "rent ", "\u00c9cole",
              "\u00e9cole", "100%", "_x", None, None]
MODES = ["Cash", "cash", "Card", "UPI", None]
# Tags q must find as well (no ',' or ';': tags cannot hold them).
TAGS = ["Hello", "\u00e9cole", "100%", "a_b", "trip", "Kelvin", "zz"]
PARTIES = ["ACME", "Acme", "Bob's", "Caf\u00e9", "say \"hi\"", None]
QUERIES = ["h", "e", "%", "_", "\\", '"', "ab", "É", "é", "hel", "HEL",
           "hello", "llo w", "o wo", "\u00e9co", "\u00c9CO", "\u00c9co",
           "cole", "100%", "0% s", "a_b", "_b", "k\\s", "ck\\sl",
           'y "h', '"hi"', "stra", "\u00dfe", "SSE", "\u212ael", "kel",
           "KEL", "caf\u00e9", "CAF\u00c9", "Caf\u00c9", "rent", "ENT D",
           "zz t", "\u0130st", "ist", "\u00fcber", "\u00dcber", "bob's",
           "food", "FOOD ", "acm", "none of these", "1", "10", "100"]


def rand_note(rnd):
    if rnd.random() < 0.2:
        return None
    return " ".join(rnd.choice(WORDS) for _ in range(rnd.randrange(1, 3)))


def rand_fields(rnd, start, days):
    return {"type": rnd.choice(("in", "out")),
            "amount": rnd.choice((1, 99, 1000, rnd.randrange(1, 10 ** 9),
                                  MAX_AMOUNT // 1000)),
            "date": (start + datetime.timedelta(days=rnd.randrange(days))
                     ).isoformat(),
            "time": rnd.choice((None, None, "08:00", "12:30")),
            "category": rnd.choice(CATEGORIES),
            "mode": rnd.choice(MODES),
            "party": rnd.choice(PARTIES),
            "note": rand_note(rnd),
            "reference": rnd.choice((None, None, "INV-1", "inv-10",
                                     "\u00e9co-7")),
            "tags": sorted(rnd.sample(TAGS, rnd.choice((0, 0, 1, 2))))}


def add_params(b, f):
    return dict({k: v for k, v in f.items() if v is not None}, book_id=b)


def fill(u, b, m, rnd, n, start, days):
    calls, fields = [], []
    for _ in range(n):
        f = rand_fields(rnd, start, days)
        fields.append(f)
        calls.append(("entry.add", add_params(b, f)))
    for f, (e, res) in zip(fields, u.pipe(calls)):
        check(e is None, "add", error=e)
        m.put(res["entry_id"], f)


def mutate(u, m, rnd, start, days, n):
    """n random edits, trashings and restores, applied to the model."""
    for _ in range(n):
        eid = rnd.choice(sorted(m.entries))
        e = m.entries[eid]
        op = rnd.random()
        if e["deleted"]:
            u.ok("entry.restore", {"entry_id": eid})
            e["deleted"] = False
        elif op < 0.25:
            u.ok("entry.delete", {"entry_id": eid})
            e["deleted"] = True
        else:
            new = rand_fields(rnd, start, days)
            keys = rnd.sample(sorted(new), rnd.randrange(1, 5))
            patch = {k: new[k] for k in keys}
            u.ok("entry.update", dict(patch, entry_id=eid))
            e.update(patch)


def report_ranges(rnd, start, days):
    """Whole book; edges of months and years; random spans."""
    out = [(None, None), ("2025-01-01", "2025-12-31"),
           ("2025-12-01", "2026-01-31"), ("2025-12-31", "2026-01-01"),
           ("2025-11-15", "2026-03-14"), ("2026-02-01", "2026-02-28"),
           ("2026-02-01", "2026-02-27"), ("2024-01-01", "2027-12-31"),
           ("2026-01-01", None), (None, "2025-12-31"),
           ("2026-03-01", "2026-01-01")]
    for _ in range(6):
        a = start + datetime.timedelta(days=rnd.randrange(-30, days + 30))
        b = a + datetime.timedelta(days=rnd.randrange(0, 400))
        out.append((a.isoformat(), b.isoformat()))
    return out


def check_reports(u, b, m, ranges, what):
    for by in ("category", "mode", "party", "month", "tag"):
        for frm, to in ranges:
            p = {"book_id": b, "by": by}
            if frm is not None:
                p["from"] = frm
            if to is not None:
                p["to"] = to
            got = u.ok("report.summary", p)
            want = m.report(by, frm, to)
            check_eq(got, want, "%s: report by %s from %s to %s" % (
                what, by, frm, to))


def check_queries(u, b, m, rnd, what, queries=QUERIES):
    for q in queries:
        check_listing(u, b, m, {"q": q}, what="%s q=%r" % (what, q))
    # Paging and the other filters on top of q; the trash.
    for q in rnd.sample(queries, 8):
        check_listing(u, b, m, {"q": q}, limit=rnd.choice((1, 3, 7)),
                      what="%s q=%r paged" % (what, q))
        check_listing(u, b, m, {"q": q, "trash": True}, limit=5,
                      what="%s q=%r trash" % (what, q))
        check_listing(u, b, m, {"q": q, "type": "in", "from": "2026-01-01"},
                      what="%s q=%r type from" % (what, q))


def test_property_search_and_reports(t):
    """After random adds, edits, trashings and restores (fixed seeds),
    every q listing (every page, running balances included) and every
    report by category, mode, party and month over many date ranges is
    what a brute-force scan of the model gives, and book.verify is ok;
    a second book's entries never show up."""
    with t.daemon("--synchronous", "normal").start() as d, \
            d.client(timeout=30) as c:
        u = register_login(c, "alice")
        b = u.book("Search")
        other = u.book("Other")
        start, days = datetime.date(2025, 11, 1), 150
        for seed in (1, 2):
            rnd = random.Random(seed)
            m, mo = Model(), Model()
            if seed == 2:
                b = u.book("Search 2")
                other = u.book("Other 2")
            fill(u, other, mo, rnd, 60, start, days)
            fill(u, b, m, rnd, 250, start, days)
            for rnd_round in range(3):
                mutate(u, m, rnd, start, days, 80)
                what = "seed %d round %d" % (seed, rnd_round)
                check_queries(u, b, m, rnd, what)
                check_reports(u, b, m, report_ranges(rnd, start, days), what)
                v = u.verify(b)
                check_eq((v["ok"], v["problems"]), (True, []),
                         "%s: verify" % what, result=v)
            check_queries(u, other, mo, rnd, "seed %d other" % seed,
                          QUERIES[:12])


def test_common_query_scans(t):
    """A q with more hits in the index than CB_SEARCH_INDEX_HITS_MAX
    (10,000) is served by the scan in the book's order: the same rows,
    across every page, as a rare q served from the index."""
    with t.daemon("--synchronous", "normal").start() as d, \
            d.client(timeout=60) as c:
        u = register_login(c, "alice")
        b = u.book("Big")
        m = Model()
        rnd = random.Random(7)
        calls, fields = [], []
        start = datetime.date(2025, 1, 1)
        for i in range(10100):
            f = {"type": rnd.choice(("in", "out")),
                 "amount": rnd.randrange(1, 10 ** 6),
                 "date": (start + datetime.timedelta(
                     days=rnd.randrange(365))).isoformat(),
                 "note": "common entry %d%s" % (
                     i, " Rare" if i % 997 == 0 else "")}
            fields.append(f)
            calls.append(("entry.add", add_params(b, f)))
        for f, (e, res) in zip(fields, u.pipe(calls)):
            check(e is None, "add", error=e)
            m.put(res["entry_id"], f)
        for eid in sorted(m.entries)[::50]:
            u.ok("entry.delete", {"entry_id": eid})
            m.entries[eid]["deleted"] = True
        # First pages of the common q, deep pages, the trash.
        got = u.list_page(b, {"q": "COMMON"}, limit=100)
        want = m.listing({"q": "COMMON"})
        check_eq([r["entry_id"] for r in got["entries"]], want[:100],
                 "common q: the first page")
        check_listing(u, b, m, {"q": "common entry 1"}, limit=500,
                      what="common q (1,000+ hits), every page")
        check_listing(u, b, m, {"q": "rare"}, what="rare q")
        check_listing(u, b, m, {"q": "ntry 99"}, limit=7, what="ntry 99")
        check_listing(u, b, m, {"q": "common", "trash": True}, limit=50,
                      what="common q in the trash")
        check_listing(u, b, m, {"q": "co"}, limit=500, what="2 characters")


def corrupt(d, sql, args):
    con = sqlite3.connect(d.db, timeout=10)
    try:
        cur = con.execute(sql, args)
        check_eq(cur.rowcount, 1, "one row corrupted: %s" % sql)
        con.commit()
    finally:
        con.close()


def test_verify_repairs_keys_and_index(t):
    """book.verify names a broken per-key total (changed, missing, stray)
    or text index row (changed, missing) as a problem, and repair: true
    rebuilds them so that reports and q are right again."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Audit")
        m = Model()
        rnd = random.Random(3)
        start, days = datetime.date(2025, 12, 1), 60
        fill(u, b, m, rnd, 40, start, days)
        e1 = sorted(m.entries)[0]
        u.ok("entry.update", {"entry_id": e1, "note": "findme",
                              "category": "Food", "date": "2026-01-10"})
        m.entries[e1].update(note="findme", category="Food",
                             date="2026-01-10")
        e2 = sorted(m.entries)[1]
        u.ok("entry.delete", {"entry_id": e2})
        m.entries[e2]["deleted"] = True
        ranges = [(None, None), ("2026-01-10", "2026-01-10"),
                  ("2026-01-01", "2026-01-31")]
        check_eq(u.verify(b)["ok"], True, "healthy")
        damage = [
            ("a day total off", "report totals",
             "UPDATE book_key_totals SET cash_in = cash_in + 5 WHERE "
             "book_id = ? AND field = 'category' AND period = 20260110 "
             "AND key = 'Food'"),
            ("a year count off", "report totals",
             "UPDATE book_key_totals SET entry_count = entry_count + 1 "
             "WHERE book_id = ? AND field = 'category' AND period = 2026 "
             "AND key = 'Food'"),
            ("a month total missing", "report totals",
             "DELETE FROM book_key_totals WHERE book_id = ? AND "
             "field = 'category' AND period = 202601 AND key = 'Food'"),
            ("a stray total", "report totals",
             "INSERT INTO book_key_totals (book_id, field, period, key, "
             "cash_in, cash_out, entry_count) VALUES (?, 'party', "
             "20260111, 'Ghost', 7, 0, 1)"),
            ("an index row out of date", "search index",
             "UPDATE entries_fts SET note = 'other' WHERE rowid = "
             "(SELECT min(entry_id) FROM entries WHERE book_id = ?)"),
            ("an index row missing", "search index",
             "DELETE FROM entries_fts WHERE rowid = "
             "(SELECT max(entry_id) FROM entries WHERE book_id = ?)"),
            ("an index row's tags out of date", "search index",
             "UPDATE entries_fts SET tags = 'other' WHERE rowid = "
             "(SELECT min(entry_id) FROM entries WHERE book_id = ?)"),
            ("a trashed entry's index row missing", "search index",
             "DELETE FROM entries_fts WHERE rowid = %d AND ? > 0" % e2),
        ]
        for what, name, sql in damage:
            corrupt(d, sql, (b,))
            v = u.verify(b)
            check_eq(v["ok"], False, "%s: ok false" % what, result=v)
            check(any(p.startswith(name + ":") for p in v["problems"]),
                  "%s: a problem names the %s" % (what, name),
                  problems=v["problems"])
            t.diag("%s: %s" % (what, v["problems"]))
            check_eq(v["computed"], v["stored"],
                     "%s: the totals themselves are fine" % what)
            v = u.verify(b, repair=True)
            check_eq(v["repaired"], True, "%s: repaired" % what, result=v)
            v = u.verify(b)
            check_eq((v["ok"], v["problems"]), (True, []),
                     "%s: ok after repair" % what, result=v)
            check_reports(u, b, m, ranges, "after repairing %s" % what)
            check_listing(u, b, m, {"q": "findme"},
                          what="after repairing %s" % what)
            check_listing(u, b, m, {"q": "Food"},
                          what="after repairing %s" % what)
            check_listing(u, b, m, {"q": m.entries[e2]["note"] or "zzz",
                                    "trash": True},
                          what="trash after repairing %s" % what)


def test_migration_builds_index(t):
    """A database of schema 5 (no text index, no key totals) gets both
    built from its entries when cashbookd 6 opens it: q, reports and
    book.verify are right at once, and later writes keep them so."""
    top = tempfile.mkdtemp(prefix="cbit-search-")
    try:
        migrate_from_5(t, top)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def migrate_from_5(t, top):
    d = t.daemon("--synchronous", "normal", dir=top)
    with d.start(), d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Old")
        m = Model()
        rnd = random.Random(5)
        start, days = datetime.date(2025, 11, 1), 120
        fill(u, b, m, rnd, 150, start, days)
        mutate(u, m, rnd, start, days, 40)
    con = sqlite3.connect(d.db)
    try:
        con.executescript("DROP TABLE entries_fts; DROP TABLE "
                          "book_key_totals; PRAGMA user_version = 5;")
    finally:
        con.close()
    d2 = t.daemon("--synchronous", "normal", dir=top)
    with d2.start(), d2.client() as c:
        res = c.call_ok("auth.login", {"username": "alice",
                                       "password": PW})
        u = User(c, "alice", res["token"], res["user_id"])
        check_eq(u.verify(b)["ok"], True, "verify after the migration")
        rnd = random.Random(6)
        check_queries(u, b, m, rnd, "migrated", QUERIES[:20])
        check_reports(u, b, m, report_ranges(rnd, start, days), "migrated")
        mutate(u, m, rnd, start, days, 30)
        check_queries(u, b, m, rnd, "migrated then changed", QUERIES[:20])
        check_reports(u, b, m, [(None, None)], "migrated then changed")
        check_eq(u.verify(b)["ok"], True, "verify after more changes")


def test_migration_indexes_tags(t):
    """A database of schema 6 (a text index without tags) gets its index
    rebuilt with the tags when cashbookd 7 opens it: q finds tags through
    the index at once, exactly as the model says, and book.verify is
    ok."""
    top = tempfile.mkdtemp(prefix="cbit-search-")
    try:
        d = t.daemon("--synchronous", "normal", dir=top)
        with d.start(), d.client() as c:
            u = register_login(c, "alice")
            b = u.book("Six")
            m = Model()
            rnd = random.Random(7)
            start, days = datetime.date(2025, 11, 1), 120
            fill(u, b, m, rnd, 120, start, days)
        con = sqlite3.connect(d.db)
        try:
            con.executescript(
                "DROP TABLE entries_fts; CREATE VIRTUAL TABLE entries_fts "
                "USING fts5(note, category, party, reference, "
                "tokenize = 'trigram', columnsize = 0); INSERT INTO "
                "entries_fts (rowid, note, category, party, reference) "
                "SELECT entry_id, note, category, party, reference FROM "
                "entries; PRAGMA user_version = 6;")
        finally:
            con.close()
        d2 = t.daemon("--synchronous", "normal", dir=top)
        with d2.start(), d2.client() as c:
            res = c.call_ok("auth.login", {"username": "alice",
                                           "password": PW})
            u = User(c, "alice", res["token"], res["user_id"])
            check_eq(u.verify(b)["ok"], True, "verify after migration 7")
            for q in ("trip", "TRIP", "kelvin", "\u00e9cole", "a_b",
                      "100%", "zz"):
                rows = check_listing(u, b, m, {"q": q}, what="q %r" % q)
                t.diag("q %r: %d rows" % (q, len(rows)))
            check(check_listing(u, b, m, {"q": "trip"}, what="trip") != [],
                  "q finds tags")
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_deleted_book_leaves_no_index(t):
    """Deleting a book removes its text index rows and key totals with
    its entries (the reaper): nothing of it is left in either table."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Gone")
        keep = u.book("Kept")
        m, mk = Model(), Model()
        rnd = random.Random(9)
        start, days = datetime.date(2026, 1, 1), 30
        fill(u, b, m, rnd, 30, start, days)
        fill(u, keep, mk, rnd, 10, start, days)
        ids = sorted(m.entries)
        u.ok("book.delete", {"book_id": b, "force": True})

        def gone():
            con = sqlite3.connect(d.db, timeout=10)
            try:
                n = con.execute(
                    "SELECT (SELECT count(*) FROM entries WHERE book_id = ?)"
                    " + (SELECT count(*) FROM book_key_totals WHERE "
                    "book_id = ?) + (SELECT count(*) FROM entries_fts "
                    "WHERE rowid BETWEEN ? AND ?)",
                    (b, b, ids[0], ids[-1])).fetchone()[0]
            finally:
                con.close()
            return n == 0
        wait_until(gone, 20, "the book's rows and index rows removed")
        check_listing(u, keep, mk, {"q": "e"}, what="the kept book")
        check_eq(u.verify(keep)["ok"], True, "the kept book verifies")


TESTS = [
    test_property_search_and_reports,
    test_common_query_scans,
    test_verify_repairs_keys_and_index,
    test_migration_builds_index,
    test_migration_indexes_tags,
    test_deleted_book_leaves_no_index,
]

if __name__ == "__main__":
    main([clean_exits(f) for f in TESTS],
         timeouts={"test_property_search_and_reports": 280,
                   "test_common_query_scans": 240,
                   "test_migration_builds_index": 120})
