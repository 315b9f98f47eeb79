#!/usr/bin/python3
"""
test_sharing.py -- sharing a book (docs/protocol.md, "Sharing") seen from
outside: invitations sent, listed, accepted, declined and revoked, and
every refusal the section names; members listed, changed, removed and
leaving; shared books in book.list; a member's entries staying after they
go; a removed member locked out at once; the caps on pending invites and
members.

Usage: test_sharing.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, pipeline  # noqa
from books_common import (ALL_PERMISSIONS, INVITE_KEYS, MEMBER_KEYS,  # noqa
                          NO_BOOK, PW, User, check_book, clean_exits,
                          register_login, share, unread)

NO_INVITE = ["not_found", "no such invite"]


def invite(u, book_id, username, permissions=()):
    res = u.ok("book.invite", {"book_id": book_id, "username": username,
                               "permissions": list(permissions)})
    check_eq(sorted(res), ["invite_id"], "book.invite keys", result=res)
    check(type(res["invite_id"]) is int and res["invite_id"] > 0,
          "invite_id positive", result=res)
    return res["invite_id"]


def invites(u):
    res = u.ok("invite.list")
    check_eq(sorted(res), ["received", "sent"], "invite.list keys")
    for k in ("received", "sent"):
        for i in res[k]:
            check_eq(sorted(i), INVITE_KEYS, "invite keys", invite=i)
    return res


def members(u, book_id):
    res = u.ok("member.list", {"book_id": book_id})
    check_eq(sorted(res), ["members"], "member.list keys")
    for m in res["members"]:
        check_eq(sorted(m), MEMBER_KEYS, "member keys", member=m)
    return [(m["username"], m["role"], m["permissions"])
            for m in res["members"]]


def latest(u):
    """u's newest notification: (kind, book_id, invite_id, actor, text)."""
    n = u.ok("notification.list", {"limit": 1})["notifications"][0]
    return (n["kind"], n["book_id"], n["invite_id"], n["actor_username"],
            n["text"])


def share_accept(u, iid):
    book = u.ok("invite.accept", {"invite_id": iid})["book"]
    check_book(book)
    return book


def people(c, *names):
    return [register_login(c, n) for n in names]


# ---------------------------------------------------------------- invites

def test_invite_and_accept(t):
    """An invite is listed for both sides with its fields, notifies the
    invitee, and accepting makes a member with exactly its permissions:
    the book object as the member sees it, member.list, book.list; the
    inviter is told; an accepted invite cannot be answered again."""
    with t.daemon().start() as d, d.client() as c:
        alice, bob = people(c, "alice", "bob")
        b = alice.book("Household", currency="EUR")
        iid = invite(alice, b, "bob", ["reports", "add"])
        got = invites(bob)
        check_eq(got["sent"], [], "bob sent nothing")
        inv = got["received"][0]
        want = {"invite_id": iid, "book_id": b, "book_name": "Household",
                "from_user_id": alice.user_id, "from_username": "alice",
                "to_user_id": bob.user_id, "to_username": "bob",
                "permissions": ["add", "reports"], "status": "pending"}
        check_eq({k: inv[k] for k in want}, want, "the invite bob received")
        check_eq(invites(alice)["sent"], got["received"],
                 "alice's sent list holds the same invite")
        check_eq(invites(alice)["received"], [], "alice received nothing")
        check_eq(latest(bob), ("invite_received", b, iid, "alice",
                               "alice invited you to 'Household' "
                               "(add, reports)"), "bob is told")
        check_eq(unread(alice), 0, "the actor is not told")
        check_eq(bob.err("book.get", {"book_id": b}), NO_BOOK,
                 "an invite alone gives no access")
        book = bob.ok("invite.accept", {"invite_id": iid})["book"]
        check_book(book)
        want = {"book_id": b, "name": "Household", "role": "member",
                "permissions": ["add", "reports"], "owner_id":
                alice.user_id, "owner_username": "alice", "currency": "EUR"}
        check_eq({k: book[k] for k in want}, want, "the book bob joined")
        check_eq(bob.get_book(b), book, "book.get as bob")
        check_eq(members(bob, b), [
            ("alice", "owner", ALL_PERMISSIONS),
            ("bob", "member", ["add", "reports"])], "member.list")
        check_eq(latest(alice), ("invite_accepted", b, iid, "bob",
                                 "bob accepted your invite to "
                                 "'Household'"), "alice is told")
        check_eq(invites(bob)["received"][0]["status"], "accepted",
                 "the invite is accepted")
        for u, m in ((bob, "invite.accept"), (bob, "invite.decline"),
                     (alice, "invite.revoke")):
            check_eq(u.err(m, {"invite_id": iid}),
                     ["conflict", "invite %d was already accepted" % iid],
                     "%s of an accepted invite" % m)
        check_eq(members(alice, b)[1], ("bob", "member", ["add", "reports"]),
                 "nothing changed")


def test_book_list_shows_shared_books(t):
    """book.list lists one's own books and the ones shared with one, by
    name, each with the caller's role and permissions and its owner."""
    with t.daemon().start() as d, d.client() as c:
        alice, bob = people(c, "alice", "bob")
        a1 = alice.book("Household")
        alice.book("Private")
        b1 = bob.book("Allotment")
        share(alice, bob, a1, ["edit_own"])
        books = bob.ok("book.list")["books"]
        for bk in books:
            check_book(bk)
        check_eq([(x["book_id"], x["name"], x["role"], x["permissions"],
                   x["owner_username"], x["owner_id"]) for x in books],
                 [(b1, "Allotment", "owner", ALL_PERMISSIONS, "bob",
                   bob.user_id),
                  (a1, "Household", "member", ["edit_own"], "alice",
                   alice.user_id)], "bob's books")
        check_eq([x["name"] for x in alice.ok("book.list")["books"]],
                 ["Household", "Private"], "alice's books are hers")


def test_invite_refusals(t):
    """Every refusal of book.invite, each writing nothing: no such book,
    no manage, manage granted by a manager, unknown user (the same message
    whatever the name), yourself, a member already, a pending invite
    already, a permission that does not exist."""
    with t.daemon().start() as d, d.client() as c:
        alice, bob, carol, dave = people(c, "alice", "bob", "carol", "dave")
        b = alice.book("Household")
        share(alice, bob, b, ["add", "edit_all", "delete", "reports"])
        share(alice, carol, b, ["manage"])
        p = {"book_id": b, "username": "dave", "permissions": ["add"]}
        check_eq(dave.err("book.invite", dict(p, username="alice")),
                 NO_BOOK, "a non-member")
        check_eq(alice.err("book.invite", dict(p, book_id=10 ** 9)),
                 NO_BOOK, "no such book")
        check_eq(bob.err("book.invite", p),
                 ["forbidden", "you need the 'manage' permission on book "
                  "'Household'"], "a member without manage")
        check_eq(carol.err("book.invite", dict(p, permissions=["manage"])),
                 ["forbidden", "only the owner of book 'Household' may "
                  "grant the 'manage' permission"],
                 "a manager granting manage")
        for name in ("Nobody", "nobody", "zed", "d"):
            check_eq(alice.err("book.invite", dict(p, username=name)),
                     ["not_found", "no such user '%s'" % name],
                     "unknown user %r" % name)
        check_eq(alice.err("book.invite", dict(p, username="alice")),
                 ["bad_request", "you cannot invite yourself"], "yourself")
        check_eq(carol.err("book.invite", dict(p, username="Alice")),
                 ["conflict", "'Alice' is already a member of book "
                  "'Household'"], "the owner")
        check_eq(alice.err("book.invite", dict(p, username="bob")),
                 ["conflict", "'bob' is already a member of book "
                  "'Household'"], "a member")
        for bad in (["add", "admin"], ["Add"], [""], ["add", "add"], "add",
                    [1], None):
            alice.bad("book.invite", dict(p, permissions=bad),
                      "permissions", "permissions %r" % (bad,))
        e = alice.bad("book.invite", dict(p, permissions=["admin"]),
                      "permissions")
        check("'admin'" in e[1], "the message names the permission",
              message=e[1])
        alice.bad("book.invite", {"book_id": b, "username": "dave"},
                  "permissions", "permissions missing")
        alice.bad("book.invite", dict(p, username=""), "username")
        check_eq([i["status"] for i in invites(alice)["sent"]],
                 ["accepted", "accepted"], "nothing was stored")
        check_eq(unread(dave), 0, "dave was told nothing")
        iid = invite(carol, b, "DAVE", ["add"])
        check_eq(invites(dave)["received"][0]["to_username"], "dave",
                 "usernames match case-insensitively")
        check_eq(alice.err("book.invite", dict(p, permissions=[])),
                 ["conflict", "'dave' already has a pending invite to book "
                  "'Household'"], "a pending invite")
        check_eq([(i["invite_id"], i["status"]) for i in
                  invites(dave)["received"]], [(iid, "pending")],
                 "one invite")


def test_decline(t):
    """The invitee declines: the inviter is told; the invite is declined
    for good; nobody else may answer it; a new invite may follow."""
    with t.daemon().start() as d, d.client() as c:
        alice, bob, carol = people(c, "alice", "bob", "carol")
        b = alice.book("Household")
        share(alice, carol, b, ["manage"])
        iid = invite(alice, b, "bob", ["add"])
        for u in (alice, carol):
            check_eq(u.err("invite.decline", {"invite_id": iid}), NO_INVITE,
                     "%s cannot decline bob's invite" % u.username)
            check_eq(u.err("invite.accept", {"invite_id": iid}), NO_INVITE,
                     "%s cannot accept bob's invite" % u.username)
        check_eq(bob.ok("invite.decline", {"invite_id": iid}), {},
                 "invite.decline")
        check_eq(latest(alice), ("invite_declined", b, iid, "bob",
                                 "bob declined your invite to "
                                 "'Household'"), "alice is told")
        check_eq(invites(bob)["received"][0]["status"], "declined",
                 "declined")
        for m in ("invite.decline", "invite.accept"):
            check_eq(bob.err(m, {"invite_id": iid}),
                     ["conflict", "invite %d was already declined" % iid],
                     "%s after declining" % m)
        check_eq(bob.err("book.get", {"book_id": b}), NO_BOOK,
                 "no access after declining")
        check_eq(bob.err("invite.accept", {"invite_id": 10 ** 9}),
                 NO_INVITE, "no such invite")
        again = invite(alice, b, "bob", [])
        check(again != iid, "a new invite after a decline")
        check_eq([i["status"] for i in invites(bob)["received"]],
                 ["pending", "declined"], "pending first")
        check_eq(share_accept(bob, again)["permissions"], [],
                 "a member who may only read")


def test_revoke(t):
    """The inviter, or another member with manage, revokes a pending
    invite and the invitee is told; the invitee, a member without manage
    and a stranger get not_found; a revoked invite cannot be accepted."""
    with t.daemon().start() as d, d.client() as c:
        alice, bob, carol, dave, erin = people(c, "alice", "bob", "carol",
                                               "dave", "erin")
        b = alice.book("Household")
        share(alice, carol, b, ["manage"])
        share(alice, dave, b, ["add", "edit_all", "delete", "reports"])
        iid = invite(alice, b, "bob", ["add"])
        for u in (bob, dave, erin):
            check_eq(u.err("invite.revoke", {"invite_id": iid}), NO_INVITE,
                     "%s may not revoke" % u.username)
        check_eq(alice.ok("invite.revoke", {"invite_id": iid}), {},
                 "the inviter revokes")
        check_eq(latest(bob), ("invite_revoked", b, iid, "alice",
                               "alice withdrew the invite to "
                               "'Household'"), "bob is told")
        check_eq(bob.err("invite.accept", {"invite_id": iid}),
                 ["conflict", "invite %d was already revoked" % iid],
                 "accepting a revoked invite")
        iid2 = invite(alice, b, "bob", ["add"])
        check_eq(carol.ok("invite.revoke", {"invite_id": iid2}), {},
                 "a manager revokes another's invite")
        check_eq(latest(bob)[:4], ("invite_revoked", b, iid2, "carol"),
                 "bob is told who")
        check_eq([(i["invite_id"], i["status"]) for i in
                  invites(alice)["sent"] if i["to_username"] == "bob"],
                 [(iid2, "revoked"), (iid, "revoked")], "both revoked")
        check_eq(bob.err("book.get", {"book_id": b}), NO_BOOK, "no access")


def test_invite_to_deleted_book(t):
    """An invite to a book that was deleted is not_found for every answer
    and leaves invite.list."""
    with t.daemon().start() as d, d.client() as c:
        alice, bob = people(c, "alice", "bob")
        b = alice.book("Household")
        keep = alice.book("Kept")
        iid = invite(alice, b, "bob", ["add"])
        other = invite(alice, keep, "bob", [])
        alice.ok("book.delete", {"book_id": b})
        for u, m in ((bob, "invite.accept"), (bob, "invite.decline"),
                     (alice, "invite.revoke")):
            check_eq(u.err(m, {"invite_id": iid}), NO_INVITE,
                     "%s of an invite to a deleted book" % m)
        check_eq([i["invite_id"] for i in invites(bob)["received"]],
                 [other], "only the live book's invite is listed")
        check_eq([i["invite_id"] for i in invites(alice)["sent"]],
                 [other], "the sender's list too")


# ---------------------------------------------------------------- members

def test_member_update(t):
    """member.update sets a member's permissions exactly and tells them;
    only the owner grants or takes manage; the owner's row cannot change;
    a user who is not a member is not_found; taking manage revokes the
    invites that member sent."""
    with t.daemon().start() as d, d.client() as c:
        alice, bob, carol, dave, erin = people(c, "alice", "bob", "carol",
                                               "dave", "erin")
        b = alice.book("Household")
        share(alice, bob, b, ["add"])
        share(alice, carol, b, ["manage"])
        p = {"book_id": b, "user_id": bob.user_id}
        res = carol.ok("member.update", dict(p, permissions=["edit_own",
                                                             "add"]))
        check_eq(sorted(res), ["member"], "member.update keys")
        m = res["member"]
        check_eq(sorted(m), MEMBER_KEYS, "member keys")
        check_eq((m["user_id"], m["username"], m["role"], m["permissions"]),
                 (bob.user_id, "bob", "member", ["add", "edit_own"]),
                 "the member")
        check_eq(latest(bob)[:2], ("permissions_changed", b), "bob is told")
        check_eq(latest(bob)[4], "carol changed your permissions on "
                 "'Household' to add, edit_own", "in people's words")
        check_eq(bob.get_book(b)["permissions"], ["add", "edit_own"],
                 "book.get shows them")
        n = unread(bob)
        carol.ok("member.update", dict(p, permissions=["add", "edit_own"]))
        check_eq(unread(bob), n, "the same set tells nobody")
        check_eq(carol.err("member.update", dict(p, permissions=["manage"])),
                 ["forbidden", "only the owner of book 'Household' may grant "
                  "or take the 'manage' permission"], "a manager grants manage")
        check_eq(carol.err("member.update", dict(
            p, user_id=carol.user_id, permissions=["add"]))[0], "forbidden",
            "a manager drops their own manage")
        check_eq(bob.err("member.update", dict(p, permissions=[])),
                 ["forbidden", "you need the 'manage' permission on book "
                  "'Household'"], "without manage")
        check_eq(dave.err("member.update", dict(p, permissions=[])),
                 NO_BOOK, "a stranger")
        for u in (alice, carol):
            check_eq(u.err("member.update", dict(p, user_id=alice.user_id,
                                                 permissions=[])),
                     ["bad_request", "alice owns book 'Household': the "
                      "owner's membership cannot be changed"],
                     "%s changes the owner" % u.username)
        for uid in (dave.user_id, 10 ** 9):
            check_eq(alice.err("member.update", dict(p, user_id=uid,
                                                     permissions=[])),
                     ["not_found", "user %d is not a member of book "
                      "'Household'" % uid], "not a member")
        alice.bad("member.update", p, "permissions")
        alice.bad("member.update", dict(p, permissions=["own"]),
                  "permissions")
        alice.bad("member.update", dict(p, user_id=0, permissions=[]),
                  "user_id")
        check_eq(members(alice, b), [
            ("alice", "owner", ALL_PERMISSIONS),
            ("bob", "member", ["add", "edit_own"]),
            ("carol", "member", ["manage"])], "nothing else changed")
        # A manager's pending invites go with their manage.
        iid = invite(carol, b, "erin", ["reports"])
        kept = invite(alice, b, "dave", [])
        m = alice.ok("member.update", {"book_id": b, "user_id": carol.user_id,
                                       "permissions": ["reports"]})["member"]
        check_eq(m["permissions"], ["reports"], "carol's manage taken")
        check_eq(latest(erin), ("invite_revoked", b, iid, "alice",
                                "the invite to 'Household' from carol was "
                                "withdrawn: carol no longer manages its "
                                "members"), "erin is told")
        check_eq(erin.err("invite.accept", {"invite_id": iid}),
                 ["conflict", "invite %d was already revoked" % iid],
                 "carol's invite is revoked")
        check_eq(invites(dave)["received"][0]["status"], "pending",
                 "alice's invite stays")
        share_accept(dave, kept)
        check_eq(alice.ok("member.update", {
            "book_id": b, "user_id": carol.user_id,
            "permissions": ["manage"]})["member"]["permissions"],
            ["manage"], "the owner grants manage")


def test_member_remove(t):
    """member.remove: the member is told and locked out at once (reads
    and writes not_found, the book gone from their list), their entries
    stay; only the owner removes a manager; the owner cannot be removed;
    a user who is not a member is not_found."""
    with t.daemon().start() as d, d.client() as c:
        alice, bob, carol, dave, erin = people(c, "alice", "bob", "carol",
                                               "dave", "erin")
        b = alice.book("Household")
        share(alice, bob, b, ["add", "edit_own"])
        share(alice, carol, b, ["manage"])
        share(alice, dave, b, ["manage", "add"])
        e1 = bob.add(b, "in", 700, "2026-03-01")["entry_id"]
        e2 = bob.add(b, "out", 200, "2026-03-02")["entry_id"]
        alice.add(b, "in", 50, "2026-03-03")
        before = alice.balance(b)
        p = {"book_id": b, "user_id": bob.user_id}
        check_eq(bob.err("member.remove", dict(p, user_id=dave.user_id)),
                 ["forbidden", "you need the 'manage' permission on book "
                  "'Household'"], "without manage")
        check_eq(carol.err("member.remove", dict(p, user_id=dave.user_id)),
                 ["forbidden", "only the owner of book 'Household' may "
                  "remove a member who has the 'manage' permission"],
                 "a manager removes a manager")
        check_eq(carol.err("member.remove", dict(p, user_id=alice.user_id)),
                 ["bad_request", "alice owns book 'Household': the owner's "
                  "membership cannot be removed"], "the owner")
        check_eq(carol.err("member.remove", dict(p, user_id=erin.user_id)),
                 ["not_found", "user %d is not a member of book 'Household'"
                  % erin.user_id], "not a member")
        check_eq(erin.err("member.remove", p), NO_BOOK, "a stranger")
        check_eq(carol.ok("member.remove", p), {}, "member.remove")
        check_eq(latest(bob), ("member_removed", b, None, "carol",
                               "carol removed you from 'Household'"),
                 "bob is told")
        for m, q in (("book.get", {"book_id": b}),
                     ("book.balance", {"book_id": b}),
                     ("entry.list", {"book_id": b}),
                     ("member.list", {"book_id": b}),
                     ("entry.add", {"book_id": b, "type": "in",
                                    "amount": 1, "date": "2026-03-04"}),
                     ("book.leave", {"book_id": b})):
            check_eq(bob.err(m, q), NO_BOOK, "%s after removal" % m)
        for m, q in (("entry.get", {"entry_id": e1}),
                     ("entry.history", {"entry_id": e1}),
                     ("entry.update", {"entry_id": e1, "amount": 1}),
                     ("entry.delete", {"entry_id": e2})):
            check_eq(bob.err(m, q), ["not_found", "no such entry"],
                     "%s after removal" % m)
        check_eq([x["book_id"] for x in bob.ok("book.list")["books"]], [],
                 "gone from bob's list")
        check_eq(alice.balance(b), before, "bob's entries stay")
        check_eq(alice.get(e1)["created_by"], bob.user_id, "as bob made it")
        check_eq([m[0] for m in members(alice, b)],
                 ["alice", "carol", "dave"], "member.list")
        check_eq(alice.ok("member.remove", dict(p, user_id=dave.user_id)),
                 {}, "the owner removes a manager")
        check_eq(carol.err("member.remove", p)[0], "not_found",
                 "removing twice")
        share(alice, bob, b, ["add"])
        check_eq(bob.balance(b), before, "back after a new invite")


def test_leave(t):
    """book.leave: a member goes, their entries stay, the owner is told;
    the owner cannot leave; the invites a leaving manager sent are
    revoked."""
    with t.daemon().start() as d, d.client() as c:
        alice, bob, carol, dave = people(c, "alice", "bob", "carol", "dave")
        b = alice.book("Household")
        share(alice, bob, b, ["add"])
        share(alice, carol, b, ["manage"])
        e = bob.add(b, "out", 1234, "2026-04-01")["entry_id"]
        iid = invite(carol, b, "dave", ["add"])
        check_eq(alice.err("book.leave", {"book_id": b}),
                 ["bad_request", "you own 'Household': delete it or keep "
                  "it; an owner cannot leave their book"], "the owner")
        check_eq(dave.err("book.leave", {"book_id": b}), NO_BOOK,
                 "a stranger")
        check_eq(bob.ok("book.leave", {"book_id": b}), {}, "book.leave")
        check_eq(latest(alice), ("member_left", b, None, "bob",
                                 "bob left 'Household'"), "alice is told")
        check_eq(bob.err("book.get", {"book_id": b}), NO_BOOK, "bob is out")
        check_eq(alice.get(e)["amount"], 1234, "bob's entry stays")
        check_eq(alice.balance(b)["balance"], -1234, "and counts")
        check_eq(carol.ok("book.leave", {"book_id": b}), {}, "carol leaves")
        check_eq(dave.err("invite.accept", {"invite_id": iid}),
                 ["conflict", "invite %d was already revoked" % iid],
                 "carol's invite went with her")
        check_eq(latest(dave)[:3], ("invite_revoked", b, iid),
                 "dave is told")
        check_eq(members(alice, b), [("alice", "owner", ALL_PERMISSIONS)],
                 "alice alone")


def test_caps(t):
    """At most 100 pending invites per book (the 101st is conflict until
    one is answered) and 100 members, the owner included."""
    with t.daemon().start() as d, d.client() as c:
        alice = register_login(c, "alice")
        b = alice.book("Big")
        names = ["u%03d" % i for i in range(102)]
        regs = pipeline(c, [("user.register", {"username": n,
                                               "password": PW})
                            for n in names], window=32)
        check(all(e is None for e, _ in regs), "registered", errors=[
            e for e, _ in regs if e is not None][:3])
        logins = pipeline(c, [("auth.login", {"username": n, "password": PW})
                              for n in names], window=32)
        users = [User(c, n, r["token"], r["user_id"])
                 for n, (_, r) in zip(names, logins)]
        res = alice.pipe([("book.invite", {"book_id": b, "username": n,
                                           "permissions": []})
                          for n in names[:100]])
        check(all(e is None for e, _ in res), "100 invites", errors=[
            e for e, _ in res if e is not None][:3])
        iids = [r["invite_id"] for _, r in res]
        check_eq(alice.err("book.invite", {"book_id": b, "username":
                                           names[100], "permissions": []}),
                 ["conflict", "book 'Big' already has 100 pending invites; "
                  "revoke some first"], "the 101st pending invite")
        for u, iid in zip(users[:99], iids[:99]):
            u.ok("invite.accept", {"invite_id": iid})
        check_eq(len(members(alice, b)), 100, "100 members")
        check_eq(users[99].err("invite.accept", {"invite_id": iids[99]}),
                 ["conflict", "book 'Big' already has 100 members"],
                 "the 101st member")
        invite(alice, b, names[100])
        alice.ok("member.remove", {"book_id": b, "user_id": users[0].user_id})
        share_accept(users[99], iids[99])
        check_eq(len(members(alice, b)), 100, "room again after a removal")


def test_membership_in_the_feed(t):
    """Joining and leaving are changes of the book: member_added and
    member_removed in book.changes (whom, and who did it), and live to a
    subscriber: bob's subscription to all his books gains the book he
    joins, hears its entries, and loses it with access_lost when he is
    removed."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2, \
            d.client() as c3:
        alice = register_login(c, "alice")
        bob = register_login(c3, "bob")
        b = alice.book("Household")
        listen = User(c2, "bob", bob.token, bob.user_id)
        listen.ok("events.subscribe")
        iid = invite(alice, b, "bob", ["add"])
        bob.ok("invite.accept", {"invite_id": iid})
        e = alice.add(b, "in", 300, "2026-01-01")["entry_id"]
        alice.ok("member.remove", {"book_id": b, "user_id": bob.user_id})
        alice.add(b, "in", 5, "2026-01-02")     # bob hears no more
        feed = alice.ok("book.changes", {"book_id": b, "since_seq": 0})
        check_eq([(x["kind"], x["user_id"], x["actor_user_id"], x["entry_id"])
                  for x in feed["changes"]],
                 [("book_created", None, alice.user_id, None),
                  ("member_added", bob.user_id, bob.user_id, None),
                  ("entry_added", None, alice.user_id, e),
                  ("member_removed", bob.user_id, alice.user_id, None),
                  ("entry_added", None, alice.user_id, e + 1)],
                 "the book's feed")
        got = []
        while len(got) < 3:
            msg = c2.read()
            check_eq((msg[0], msg[1]), (2, "event"), "an event", msg=msg)
            ev = msg[2][0]
            got.append((ev["kind"], ev["book_id"], ev["seq"], ev["user_id"]))
        check_eq(got, [("member_added", b, 2, bob.user_id),
                       ("entry_added", b, 3, None),
                       ("access_lost", b, 4, bob.user_id)],
                 "bob's subscription")
        # The ping's answer comes before any further event would.
        check_eq(c2.call("ping")[0], None, "and nothing after it")


TESTS = [
    test_invite_and_accept,
    test_book_list_shows_shared_books,
    test_invite_refusals,
    test_decline,
    test_revoke,
    test_invite_to_deleted_book,
    test_member_update,
    test_member_remove,
    test_leave,
    test_caps,
    test_membership_in_the_feed,
]

if __name__ == "__main__":
    main([clean_exits(f) for f in TESTS], timeouts={"test_caps": 120})
