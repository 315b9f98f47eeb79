#!/usr/bin/python3
"""
test_notifications.py -- stored notifications (docs/protocol.md,
"Notifications") and two people writing one book at once:

  - notifications go to the people concerned and never to the actor;
    unread_count always agrees with notification.list;
  - notification.read / read_all mark only the caller's unread ones and
    count them; paging is keyset, newest first, by cursor;
  - past 10,000 only the oldest READ ones are pruned (the cap is reached
    for real: 10,000 entry.add pipelined into a shared book);
  - two members add, change, trash and restore entries in one book
    concurrently on two connections (fixed seed): totals, running
    balances, the trash, every entry's history and the notifications each
    was sent agree with a model.

Usage: test_notifications.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main  # noqa
from books_common import (FIELD_KEYS, Model, check_listing,  # noqa
                          clean_exits, norm, notifications, register_login,
                          share, unread)

NOTIFY_KEEP = 10000


def agree(u, what):
    """unread_count, the unread listing and the read flags of the full
    listing all say the same; returns the full listing."""
    rows = notifications(u)
    n = unread(u)
    check_eq(n, sum(1 for r in rows if not r["read"]),
             "%s: unread_count = unread rows of the listing" % what)
    check_eq([r["notification_id"] for r in notifications(u, True)],
             [r["notification_id"] for r in rows if not r["read"]],
             "%s: unread_only lists exactly the unread ones" % what)
    check_eq(u.ok("user.profile")["unread"], n,
             "%s: user.profile says the same" % what)
    return rows


def kinds(rows):
    return [r["kind"] for r in rows]


def test_who_is_told(t):
    """Each change tells every other member of the book and nobody else:
    not the actor, not a stranger; a book nobody shares tells nobody."""
    with t.daemon().start() as d, d.client() as c:
        alice, bob, carol, dave = [register_login(c, n) for n in
                                   ("alice", "bob", "carol", "dave")]
        b = alice.book("Household", currency="EUR")
        mine = alice.book("Mine")
        share(alice, bob, b, ["add", "edit_own"])
        share(alice, carol, b, ["reports"])
        alice.ok("notification.read_all")
        bob.ok("notification.read_all")
        carol.ok("notification.read_all")
        alice.add(mine, "in", 5, "2026-01-01")
        check_eq([unread(u) for u in (alice, bob, carol, dave)], [0] * 4,
                 "an unshared book tells nobody")
        e = bob.add(b, "out", 1250, "2026-01-02")["entry_id"]
        check_eq([unread(u) for u in (alice, bob, carol, dave)],
                 [1, 0, 1, 0], "bob's add: alice and carol")
        n = alice.ok("notification.list", {"limit": 1})["notifications"][0]
        want = {"kind": "entry_added", "book_id": b, "entry_id": e,
                "invite_id": None, "actor_user_id": bob.user_id,
                "actor_username": "bob", "read": False,
                "text": "bob added 12.50 out to 'Household' (entry %d)" % e}
        check_eq({k: n[k] for k in want}, want, "alice's notification")
        check(type(n["created_at"]) is int, "created_at")
        alice.ok("entry.update", {"entry_id": e, "amount": 1300})
        bob.ok("entry.delete", {"entry_id": e})
        bob.ok("entry.restore", {"entry_id": e})
        for u, want in ((alice, ["entry_restored", "entry_deleted",
                                 "entry_added"]),
                        (bob, ["entry_updated"]),
                        (carol, ["entry_restored", "entry_deleted",
                                 "entry_updated", "entry_added"])):
            got = [r for r in agree(u, u.username) if not r["read"]]
            check_eq(kinds(got), want, "%s is told" % u.username)
            check(all(r["actor_user_id"] != u.user_id for r in got),
                  "never of their own change", rows=got)
            check(all(r["entry_id"] == e and r["book_id"] == b
                      for r in got), "ids", rows=got)
        check_eq(notifications(dave), [], "a stranger is told nothing")
        check_eq(bob.ok("notification.list", {"limit": 1})[
            "notifications"][0]["text"], "alice changed entry %d in "
            "'Household' (now 13.00 out)" % e, "the text of a change")
        # Membership: whom each change tells.
        iid = alice.ok("book.invite", {"book_id": b, "username": "dave",
                                       "permissions": []})["invite_id"]
        r = notifications(dave)[0]
        check_eq((r["kind"], r["book_id"], r["invite_id"], r["entry_id"],
                  r["actor_username"]),
                 ("invite_received", b, iid, None, "alice"),
                 "dave is told of the invite")
        dave.ok("invite.accept", {"invite_id": iid})
        check_eq(kinds(notifications(alice, True))[0], "invite_accepted",
                 "alice is told")
        check_eq([unread(u) for u in (bob, carol)], [1, 4],
                 "an accept tells only the inviter")
        # The owner deletes the book: every other member is told.
        for u in (alice, bob, carol, dave):
            u.ok("notification.read_all")
        alice.ok("book.delete", {"book_id": b, "force": True})
        check_eq([unread(u) for u in (alice, bob, carol, dave)],
                 [0, 1, 1, 1], "a delete tells every other member")
        r = notifications(bob)[0]
        check_eq((r["kind"], r["book_id"], r["actor_username"], r["text"]),
                 ("book_deleted", b, "alice",
                  "alice deleted the book 'Household'"),
                 "bob is told who deleted which book")
        alice.ok("book.delete", {"book_id": mine, "force": True})
        check_eq([unread(u) for u in (alice, bob, carol, dave)],
                 [0, 1, 1, 1], "an unshared book's delete tells nobody")


def test_read(t):
    """notification.read marks the caller's unread ones among the ids
    and counts only those; read_all marks the rest; unread_count follows
    exactly; bad ids arrays are refused."""
    with t.daemon().start() as d, d.client() as c:
        alice, bob = [register_login(c, n) for n in ("alice", "bob")]
        b = alice.book("Household")
        share(alice, bob, b, ["add"])
        for i in range(6):
            alice.add(b, "in", 100 + i, "2026-01-%02d" % (i + 1))
            bob.add(b, "out", 10 + i, "2026-02-%02d" % (i + 1))
        mine = [r["notification_id"] for r in agree(bob, "bob")]
        theirs = [r["notification_id"] for r in agree(alice, "alice")]
        check_eq((len(mine), len(theirs)), (7, 7), "7 each")
        check_eq(unread(bob), 7, "bob: all unread")
        res = bob.ok("notification.read", {"ids": mine[:2] + theirs[:3] +
                                           [10 ** 12]})
        check_eq(res, {"marked": 2}, "only bob's own count")
        check_eq(unread(bob), 5, "bob: 5 unread")
        check_eq(unread(alice), 7, "alice's are untouched")
        check_eq(bob.ok("notification.read", {"ids": mine[:3]}),
                 {"marked": 1}, "ones already read are not counted")
        rows = agree(bob, "bob")
        check_eq([r["read"] for r in rows], [True] * 3 + [False] * 4,
                 "read flags")
        for bad in ([], list(range(1, 502)), [1, 1], [0], [-1], ["1"],
                    [1.0], 1, None):
            bob.bad("notification.read", {"ids": bad}, "ids",
                    "ids %r" % (bad if not isinstance(bad, list) or
                                len(bad) < 5 else "[%d ids]" % len(bad)))
        bob.bad("notification.read", {}, "ids")
        check_eq(bob.ok("notification.read", {"ids": list(range(1, 501))}),
                 {"marked": 4}, "500 ids at once")
        check_eq(unread(bob), 0, "none left")
        check_eq(alice.ok("notification.read_all"), {"marked": 7},
                 "read_all")
        check_eq(alice.ok("notification.read_all"), {"marked": 0},
                 "read_all again")
        agree(alice, "alice")
        bob.add(b, "in", 1, "2026-03-01")
        check_eq(unread(alice), 1, "a new one after read_all")


def test_paging(t):
    """Newest first, limit 1..500 (default 50), keyset cursor: pages
    join into the whole listing, notifications added while paging do not
    shift it, unread_only pages the same way; foreign and mangled
    cursors are refused."""
    with t.daemon("--synchronous", "normal").start() as d, d.client() as c:
        alice, bob = [register_login(c, n) for n in ("alice", "bob")]
        b = alice.book("Household")
        share(alice, bob, b, ["add"])
        res = alice.pipe([("entry.add", {"book_id": b, "type": "in",
                                         "amount": i + 1,
                                         "date": "2026-01-01"})
                          for i in range(120)])
        check(all(e is None for e, _ in res), "120 adds")
        full = notifications(bob)
        ids = [r["notification_id"] for r in full]
        check_eq(len(ids), 121, "121 notifications")
        check_eq(ids, sorted(ids, reverse=True), "newest first")
        check_eq(len(bob.ok("notification.list")["notifications"]), 50,
                 "default limit 50")
        got, cursor, pages = [], None, 0
        while True:
            p = {"limit": 7}
            if cursor:
                p["cursor"] = cursor
            res = bob.ok("notification.list", p)
            got += [r["notification_id"] for r in res["notifications"]]
            pages += 1
            if pages == 3:
                alice.add(b, "out", 5, "2026-01-02")    # while paging
            cursor = res["next_cursor"]
            if cursor is None:
                break
            check(len(res["notifications"]) == 7, "a full page")
        check_eq(got, ids, "the pages join into the listing, unshifted")
        check_eq(pages, 18, "121 rows in pages of 7")
        bob.ok("notification.read", {"ids": ids[::2]})
        unread_ids = [r["notification_id"] for r in notifications(bob, True,
                                                                  limit=9)]
        check_eq(unread_ids, [ids[0] + 1] + ids[1::2],
                 "unread_only pages: the new one and every other one")
        res = bob.ok("notification.list", {"limit": 3})
        bob.bad("notification.list", {"unread_only": True,
                                      "cursor": res["next_cursor"]},
                "cursor", "an all-listing cursor for unread_only")
        for bad in ("n1.5.00000000", "x", res["next_cursor"] + "0",
                    "v1.1.1.1.1"):
            bob.bad("notification.list", {"cursor": bad}, "cursor",
                    "cursor %r" % bad)
        for lim in (0, 501, "5"):
            bob.bad("notification.list", {"limit": lim}, "limit")
        check_eq(len(bob.ok("notification.list", {"limit": 500})[
            "notifications"]), 122, "limit 500")
        check_eq(notifications(alice)[0]["kind"], "invite_accepted",
                 "alice was told only of the accept")


def test_cap_prunes_only_read(t):
    """Past 10,000 notifications the oldest read ones are pruned, one out
    for each one in; unread ones never are, however many."""
    with t.daemon("--synchronous", "normal").start() as d, d.client() as c:
        alice, bob = [register_login(c, n) for n in ("alice", "bob")]
        b = alice.book("Busy")
        share(alice, bob, b, [])        # bob: 1 (invite_received)

        def adds(n):
            res = alice.pipe([("entry.add", {"book_id": b, "type": "in",
                                             "amount": 1,
                                             "date": "2026-05-01"})
                              for _ in range(n)])
            check(all(e is None for e, _ in res), "%d adds" % n,
                  errors=[e for e, _ in res if e is not None][:3])

        def listing():
            return [r["notification_id"] for r in notifications(bob)]

        adds(NOTIFY_KEEP - 1 + 5)
        ids = listing()
        check_eq(len(ids), NOTIFY_KEEP + 5, "all unread: none pruned")
        check_eq(unread(bob), NOTIFY_KEEP + 5, "unread")
        newest = ids[:3]
        check_eq(bob.ok("notification.read", {"ids": newest}),
                 {"marked": 3}, "the 3 newest read")
        adds(1)
        got = listing()
        check_eq(len(got), NOTIFY_KEEP + 3,
                 "only the 3 read ones could go (6 over the cap)")
        check(not set(newest) & set(got), "the read ones went, newest as "
              "they were", gone=newest)
        check_eq(got[1:], [i for i in ids if i not in newest],
                 "every unread one stays")
        check_eq(unread(bob), NOTIFY_KEEP + 3, "all unread")
        check_eq(bob.ok("notification.read_all")["marked"], NOTIFY_KEEP + 3,
                 "read_all")
        adds(1)
        after = listing()
        check_eq(len(after), NOTIFY_KEEP, "pruned back to the cap")
        check_eq(after[1:], got[:NOTIFY_KEEP - 1],
                 "the oldest read ones went")
        adds(2)
        last = listing()
        check_eq(len(last), NOTIFY_KEEP, "one out for each one in")
        check_eq(last[2:], after[:NOTIFY_KEEP - 2], "oldest first")
        check_eq(unread(bob), 3, "the 3 new ones are unread")
        agree(bob, "bob")
        check_eq(unread(alice), 1, "alice: the accept only")


# ---------------------------------------------------------------- two actors

CATEGORIES = ["Food", "Rent", "Salary", None]


def random_fields(rnd):
    f = {"type": rnd.choice(["in", "out"]),
         "amount": rnd.randint(1, 10 ** 6),
         "date": "2026-%02d-%02d" % (rnd.randint(1, 3), rnd.randint(1, 28))}
    if rnd.random() < 0.5:
        f["time"] = "%02d:%02d" % (rnd.randint(0, 23), rnd.randint(0, 59))
    cat = rnd.choice(CATEGORIES)
    if cat:
        f["category"] = cat
    return f


def fields(e):
    return {k: e[k] for k in FIELD_KEYS}


class Writer:
    """One member's connection and what it may touch."""

    def __init__(self, u, edits_all):
        self.u = u
        self.edits_all = edits_all
        self.done = 0           # changes made: the other is told of each


def plan(rnd, w, model, book_id, busy):
    """A batch of up to 5 calls for w, each on an entry no other call of
    this round touches (so the order they commit in does not matter)."""
    calls = []
    for _ in range(5):
        mine = [e for e in model.entries.values()
                if e["entry_id"] not in busy and
                (w.edits_all or e["created_by"] == w.u.user_id)]
        theirs = [e for e in model.entries.values()
                  if e["entry_id"] not in busy and
                  e["created_by"] != w.u.user_id]
        r = rnd.random()
        if r < 0.4 or not mine:
            f = random_fields(rnd)
            calls.append(("add", None, f, dict(f, book_id=book_id)))
            continue
        if r < 0.5 and theirs and not w.edits_all:
            e = rnd.choice(theirs)      # refused: not bob's own
            busy.add(e["entry_id"])
            calls.append(("refused", e, None, {"entry_id": e["entry_id"],
                                               "amount": 1}))
            continue
        e = rnd.choice(mine)
        busy.add(e["entry_id"])
        if e["deleted"]:
            calls.append(("restore", e, None, {"entry_id": e["entry_id"]}))
        elif r < 0.8:
            patch = {k: v for k, v in random_fields(rnd).items()
                     if rnd.random() < 0.6} or {"amount": 7}
            calls.append(("update", e, patch, dict(patch,
                                                   entry_id=e["entry_id"])))
        else:
            calls.append(("delete", e, None, {"entry_id": e["entry_id"]}))
    return calls


METHODS = {"add": "entry.add", "update": "entry.update",
           "delete": "entry.delete", "restore": "entry.restore",
           "refused": "entry.update"}


def send_all(batches):
    """Send every batch on its own connection at once, then read every
    answer: the two members' writes interleave in the daemon."""
    ids = []
    for w, calls in batches:
        ids.append([w.u.c.request(METHODS[k], w.u.params(p))
                    for k, _, _, p in calls])
    out = []
    for (w, calls), msgids in zip(batches, ids):
        got = {}
        while len(got) < len(msgids):
            msg = w.u.c.read_response()
            got[msg[1]] = (msg[2], msg[3])
        out.append([got[i] for i in msgids])
    return out


def apply(w, calls, answers, model, history):
    for (kind, e, patch, params), (err, res) in zip(calls, answers):
        what = "%s %s by %s" % (kind, params, w.u.username)
        if kind == "refused":
            check_eq(err[0] if err else None, "forbidden", what,
                     result=res)
            continue
        check(err is None, what, error=err)
        if kind == "add":
            e = model.put(res["entry_id"], patch)
            e["created_by"] = w.u.user_id
            history[e["entry_id"]] = [("create", w.u.user_id, fields(e))]
        elif kind == "update":
            before = fields(e)
            e.update(patch)
            if fields(e) == before:
                continue        # a patch that changes nothing: no trace
            history[e["entry_id"]].append(("update", w.u.user_id,
                                           fields(e)))
        else:
            e["deleted"] = kind == "delete"
            history[e["entry_id"]].append((kind, w.u.user_id, fields(e)))
        w.done += 1


def test_two_writers_agree_with_model(t):
    """Two members (the owner, and one who may add and edit their own)
    write one book at once for 40 rounds; refused calls change nothing;
    at the end balance, listing, trash, histories and each one's
    notifications agree with the model."""
    rnd = random.Random(20261205)
    with t.daemon("--synchronous", "normal").start() as d, \
            d.client() as c1, d.client() as c2:
        alice = register_login(c1, "alice")
        bob = register_login(c2, "bob")
        b = alice.book("Shared", currency="EUR")
        share(alice, bob, b, ["add", "edit_own"])
        alice.ok("notification.read_all")
        bob.ok("notification.read_all")
        writers = [Writer(alice, True), Writer(bob, False)]
        model, history = Model(), {}
        for _ in range(40):
            busy = set()
            batches = [(w, plan(rnd, w, model, b, busy)) for w in writers]
            for (w, calls), answers in zip(batches, send_all(batches)):
                apply(w, calls, answers, model, history)
        want = model.totals()
        got = alice.balance(b)
        check_eq({k: got[k] for k in want}, want, "book.balance")
        check_eq(bob.balance(b), got, "the same for bob")
        for u in (alice, bob):
            check_listing(u, b, model, what=u.username)
            check_listing(u, b, model, {"trash": True}, limit=13,
                          what=u.username + " trash")
        check_listing(bob, b, model, {"category": "Food"}, limit=7,
                      what="filtered")
        for eid, want in sorted(history.items()):
            h = bob.history(eid)
            check_eq([(x["action"], x["user_id"], norm(x["after"]))
                      for x in h],
                     [(a, u, norm(f)) for a, u, f in want],
                     "history of entry %d" % eid)
            check_eq(alice.get(eid)["created_by"], want[0][1], "created_by")
        check(alice.verify(b)["ok"], "book.verify finds nothing wrong")
        check(writers[0].done > 50 and writers[1].done > 50,
              "both wrote", done=[w.done for w in writers])
        check_eq(unread(alice), writers[1].done, "alice: one per bob change")
        check_eq(unread(bob), writers[0].done, "bob: one per alice change")
        for u in (alice, bob):
            rows = agree(u, u.username)
            check(all(r["actor_user_id"] != u.user_id for r in rows),
                  "nobody is told of their own changes")


TESTS = [
    test_who_is_told,
    test_read,
    test_paging,
    test_cap_prunes_only_read,
    test_two_writers_agree_with_model,
]

if __name__ == "__main__":
    main([clean_exits(f) for f in TESTS],
         timeouts={"test_cap_prunes_only_read": 240,
                   "test_two_writers_agree_with_model": 120})
