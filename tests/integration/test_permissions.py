#!/usr/bin/python3
"""
test_permissions.py -- who may do what to a shared book (docs/protocol.md,
"Sharing"): every book, entry and member method tried by the owner, by a
member holding exactly one of the six permissions (each in turn), by a
member holding none, by a stranger and by a member who was removed.  Each
call gets exactly the expected answer -- its result, forbidden naming the
missing permission and the book, or not_found -- and a refused call writes
nothing: the book, its totals, every entry and its history, the trash,
the members, the invites, the notifications and the book's change feed
are the same after it as before.

Usage: test_permissions.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main  # noqa
from books_common import (ALL_PERMISSIONS, NO_BOOK, NO_ENTRY,  # noqa
                          clean_exits, register_login, share, unread)

BOOK = "Household"
# What a case needs: a member ("read"), the owner, or any of some
# permissions.
READ, OWNER = "read", "owner"


def any_of(*perms):
    return frozenset(perms)


class Ctx:
    """The shared book and everyone around it."""

    def __init__(self, c):
        self.c = c
        self.alice = register_login(c, "alice")
        self.hal = register_login(c, "hal")     # makes "other's" entries
        self.target = register_login(c, "target")   # invited on refusals
        self.b = self.alice.book(BOOK, currency="EUR")
        share(self.alice, self.hal, self.b, ["add"])
        self.n = 0
        self.actors = []        # (name, User, perms or None, is_owner)
        self.own = {}           # name -> {"live": id, "trash": id}
        self.alice.add(self.b, "in", 100000, "2026-01-01", category="Opening")
        self.actors.append(("owner", self.alice, set(ALL_PERMISSIONS), True))
        for p in ALL_PERMISSIONS + [None]:
            name = p or "none"
            u = self.member("m_" + name, ["add"])
            self.own_entries(name, u)
            self.alice.ok("member.update", {
                "book_id": self.b, "user_id": u.user_id,
                "permissions": [p] if p else []})
            self.actors.append((name, u, {p} if p else set(), False))
        self.actors.append(("stranger", register_login(c, "stranger"), None,
                            False))
        gone = self.member("gone", ALL_PERMISSIONS[:5])
        self.own_entries("removed", gone)
        self.alice.ok("member.remove", {"book_id": self.b,
                                        "user_id": gone.user_id})
        self.actors.append(("removed", gone, None, False))
        self.own_entries("owner", self.alice)

    def fresh(self, prefix):
        self.n += 1
        return "%s%03d" % (prefix, self.n)

    def member(self, name, perms):
        u = register_login(self.c, name)
        share(self.alice, u, self.b, perms)
        return u

    def own_entries(self, name, u):
        live = u.add(self.b, "out", 1000 + len(self.own), "2026-02-01",
                     note=name)["entry_id"]
        trash = u.add(self.b, "in", 2000 + len(self.own), "2026-02-02",
                      note=name)["entry_id"]
        self.alice.ok("entry.delete", {"entry_id": trash})
        self.own[name] = {"live": live, "trash": trash}

    def others(self, trashed=False):
        """A new entry of hal's (in the trash when trashed)."""
        e = self.hal.add(self.b, "out", 300, "2026-03-01")["entry_id"]
        if trashed:
            self.alice.ok("entry.delete", {"entry_id": e})
        return e

    def victim(self):
        """A new member who may only read, for member.update/remove."""
        return self.member(self.fresh("v"), []).user_id

    def snapshot(self):
        """Everything a refused call must leave as it was (read as the
        owner, who sees it all)."""
        a, b = self.alice, self.b
        live = a.list_all(b)
        trash = a.list_all(b, {"trash": True})
        ids = sorted(e["entry_id"] for e in live + trash)
        return {
            "book": a.get_book(b),
            "balance": a.balance(b),
            "live": live,
            "trash": trash,
            "history": dict(zip(ids, a.pipe([
                ("entry.history", {"entry_id": i}) for i in ids]))),
            "members": a.ok("member.list", {"book_id": b}),
            "sent": a.ok("invite.list")["sent"],
            "target": self.target.ok("invite.list")["received"],
            "unread": [unread(u) for u in (a, self.hal, self.target)],
            "seq": a.ok("book.changes", {"book_id": b,
                                         "since_seq": 0})["seq"],
        }


# Each case: (name, what it needs, the error a non-member gets, and
# build(ctx, actor_name, user) -> (method, params), which may first make
# what the call acts on).
def c_book(method, extra=None):
    def build(ctx, name, u):
        p = {"book_id": ctx.b}
        p.update(extra or {})
        return method, p
    return build


def c_entry(method, which, extra=None):
    """which: "own" (the actor's live entry), "own_trash", "other",
    "other_trash" (a new entry of hal's)."""
    def build(ctx, name, u):
        if which.startswith("own"):
            own = ctx.own.get(name)
            e = (own["trash"] if which == "own_trash" else own["live"]) \
                if own else ctx.others(which == "own_trash")
        else:
            e = ctx.others(which == "other_trash")
        p = {"entry_id": e}
        p.update(extra or {})
        return method, p
    return build


def c_invite(ctx, name, u):
    """A new user each time (the snapshot watches their invites)."""
    ctx.target = register_login(ctx.c, ctx.fresh("t"))
    return "book.invite", {"book_id": ctx.b, "username":
                           ctx.target.username, "permissions": ["add"]}


def c_member(method, extra=None):
    def build(ctx, name, u):
        p = {"book_id": ctx.b, "user_id": ctx.victim()}
        p.update(extra or {})
        return method, p
    return build


ADD = {"book_id": None, "type": "in", "amount": 500, "date": "2026-04-01"}

CASES = [
    ("book.get", READ, NO_BOOK, c_book("book.get")),
    ("book.balance", READ, NO_BOOK, c_book("book.balance")),
    ("member.list", READ, NO_BOOK, c_book("member.list")),
    ("entry.list", READ, NO_BOOK, c_book("entry.list")),
    ("entry.list trash", READ, NO_BOOK, c_book("entry.list",
                                               {"trash": True})),
    ("entry.get", READ, NO_ENTRY, c_entry("entry.get", "other")),
    ("entry.history", READ, NO_ENTRY, c_entry("entry.history", "other")),
    ("report.summary", any_of("reports"), NO_BOOK,
     c_book("report.summary", {"by": "category"})),
    ("book.verify", any_of("reports"), NO_BOOK, c_book("book.verify")),
    ("book.verify repair", OWNER, NO_BOOK,
     c_book("book.verify", {"repair": True})),
    ("book.update", OWNER, NO_BOOK,
     c_book("book.update", {"description": "ours"})),
    ("book.delete", OWNER, NO_BOOK, c_book("book.delete")),
    ("entry.add", any_of("add"), NO_BOOK,
     lambda ctx, n, u: ("entry.add", dict(ADD, book_id=ctx.b))),
    ("entry.update own", any_of("edit_all", "edit_own"), NO_ENTRY,
     c_entry("entry.update", "own", {"amount": 4242})),
    ("entry.update other's", any_of("edit_all"), NO_ENTRY,
     c_entry("entry.update", "other", {"amount": 4343})),
    ("entry.delete own", any_of("delete", "edit_own"), NO_ENTRY,
     c_entry("entry.delete", "own")),
    ("entry.delete other's", any_of("delete"), NO_ENTRY,
     c_entry("entry.delete", "other")),
    ("entry.restore own", any_of("delete", "edit_own"), NO_ENTRY,
     c_entry("entry.restore", "own_trash")),
    ("entry.restore other's", any_of("delete"), NO_ENTRY,
     c_entry("entry.restore", "other_trash")),
    ("book.invite", any_of("manage"), NO_BOOK, c_invite),
    ("member.update", any_of("manage"), NO_BOOK,
     c_member("member.update", {"permissions": ["reports"]})),
    ("member.remove", any_of("manage"), NO_BOOK, c_member("member.remove")),
]

# What the owner gets where their permission is not the question.
OWNER_ANSWERS = {
    "book.delete": ["conflict", None],      # the book has entries
}


def expect(perms, is_owner, needs, stranger_error):
    """("ok", None), ("forbidden", [names the message must hold]) or
    ("error", pair)."""
    if perms is None:
        return "error", stranger_error
    if is_owner or needs == READ or (needs != OWNER and perms & needs):
        return "ok", None
    if needs == OWNER:
        return "forbidden", ["only the owner of book '%s'" % BOOK]
    return "forbidden", ["'%s'" % p for p in sorted(needs)]


def run_case(ctx, case, actor):
    name, needs, stranger_error, build = case
    aname, u, perms, is_owner = actor
    method, params = build(ctx, aname, u)
    what = "%s as %s" % (name, aname)
    before = ctx.snapshot()
    err, res = u.call(method, params)
    kind, want = expect(perms, is_owner, needs, stranger_error)
    if is_owner and method in OWNER_ANSWERS:
        kind, want = "error", OWNER_ANSWERS[method]
    if kind == "ok":
        check(err is None, "%s: allowed" % what, error=err, params=params)
        check(isinstance(res, dict), "%s: a result" % what, result=res)
        return "ok"
    check(err is not None, "%s: refused" % what, result=res, params=params)
    if kind == "forbidden":
        check_eq(err[0], "forbidden", "%s: code" % what, message=err[1])
        for s in want + ["'%s'" % BOOK]:
            check(s in err[1], "%s: the message names %s" % (what, s),
                  message=err[1])
    elif want[1] is None:
        check_eq(err[0], want[0], "%s: code" % what, message=err[1])
    else:
        check_eq(err, want, "%s: the error" % what)
    check_eq(ctx.snapshot(), before, "%s: nothing was written" % what)
    return err[0]


def test_permission_matrix(t):
    """Every method x {owner, one permission (each), none, stranger,
    removed}: the expected answer, and a refusal writes nothing."""
    with t.daemon("--synchronous", "normal").start() as d, d.client() as c:
        ctx = Ctx(c)
        tally = {}
        for actor in ctx.actors:
            for case in CASES:
                got = run_case(ctx, case, actor)
                tally[(actor[0], case[0])] = got
        # The shape of the matrix, as a cross-check of expect() itself.
        allowed = {a: sorted(k for (x, k), v in tally.items()
                             if x == a and v == "ok")
                   for a in ("none", "add", "manage", "stranger")}
        reads = sorted(["book.get", "book.balance", "member.list",
                        "entry.list", "entry.list trash", "entry.get",
                        "entry.history"])
        check_eq(allowed["none"], reads, "a member with no permission reads")
        check_eq(allowed["add"], sorted(reads + ["entry.add"]),
                 "add adds")
        check_eq(allowed["manage"], sorted(reads + [
            "book.invite", "member.update", "member.remove"]),
            "manage manages")
        check_eq(allowed["stranger"], [], "a stranger does nothing")
        # The owner: all 22 but book.delete (conflict: it has entries);
        # the 7 members: the 7 reads each; then add 1, edit_own 3,
        # edit_all 2, delete 4, reports 2, manage 3.
        check_eq(sum(1 for v in tally.values() if v == "ok"),
                 21 + 7 * 7 + 1 + 3 + 2 + 4 + 2 + 3, "allowed calls in all",
                 tally=tally)


def test_forbidden_message(t):
    """forbidden says which permission is missing and on which book."""
    with t.daemon().start() as d, d.client() as c:
        alice = register_login(c, "alice")
        bob = register_login(c, "bob")
        b = alice.book("Shop till")
        share(alice, bob, b, [])
        e = alice.add(b, "in", 5, "2026-01-01")["entry_id"]
        cases = [
            ("entry.add", {"book_id": b, "type": "in", "amount": 1,
                           "date": "2026-01-02"},
             "you need the 'add' permission on book 'Shop till'"),
            ("report.summary", {"book_id": b, "by": "month"},
             "you need the 'reports' permission on book 'Shop till'"),
            ("entry.update", {"entry_id": e, "amount": 2},
             "you need the 'edit_all' permission on book 'Shop till' to "
             "change entries others made"),
            ("entry.delete", {"entry_id": e},
             "you need the 'delete' permission on book 'Shop till' to "
             "trash or restore entries others made"),
            ("book.invite", {"book_id": b, "username": "alice",
                             "permissions": []},
             "you need the 'manage' permission on book 'Shop till'"),
            ("book.update", {"book_id": b, "name": "Mine"},
             "only the owner of book 'Shop till' may rename, describe, "
             "delete or repair it"),
            ("book.delete", {"book_id": b, "force": True},
             "only the owner of book 'Shop till' may rename, describe, "
             "delete or repair it"),
        ]
        for m, p, msg in cases:
            check_eq(bob.err(m, p), ["forbidden", msg], m)
        alice.ok("member.update", {"book_id": b, "user_id": bob.user_id,
                                   "permissions": ["add"]})
        own = bob.add(b, "out", 3, "2026-01-03")["entry_id"]
        check_eq(bob.err("entry.update", {"entry_id": own, "amount": 4}),
                 ["forbidden", "you need the 'edit_all' or 'edit_own' "
                  "permission on book 'Shop till'"], "one's own entry")
        check_eq(bob.err("entry.delete", {"entry_id": own}),
                 ["forbidden", "you need the 'delete' or 'edit_own' "
                  "permission on book 'Shop till'"], "trashing one's own")


def test_permission_taken_applies_at_once(t):
    """A permission taken (or the member removed) between two calls on
    open connections: the very next call is refused, nothing written."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        alice = register_login(c, "alice")
        bob = register_login(c2, "bob")
        b = alice.book("Household")
        share(alice, bob, b, ["add"])
        bob.add(b, "in", 10, "2026-01-01")
        alice.ok("member.update", {"book_id": b, "user_id": bob.user_id,
                                   "permissions": []})
        p = {"book_id": b, "type": "in", "amount": 11, "date": "2026-01-02"}
        check_eq(bob.err("entry.add", p)[0], "forbidden", "add taken")
        check_eq(alice.balance(b)["count"], 1, "nothing added")
        alice.ok("member.remove", {"book_id": b, "user_id": bob.user_id})
        check_eq(bob.err("book.balance", {"book_id": b}), NO_BOOK,
                 "removed: cannot read")


TESTS = [
    test_permission_matrix,
    test_forbidden_message,
    test_permission_taken_applies_at_once,
]

if __name__ == "__main__":
    main([clean_exits(f) for f in TESTS],
         timeouts={"test_permission_matrix": 240})
