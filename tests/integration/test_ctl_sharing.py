#!/usr/bin/python3
"""
test_ctl_sharing.py -- cashbookctl's sharing commands (share, invites,
invite accept|decline|revoke, members, member set|rm, leave,
notifications [read]) and how shared books are named (NAME, OWNER/NAME,
ID; an ambiguous name refused) against a real cashbookd: alice and bob,
each logged in with their own token in their own HOME, on one daemon.
Output text and --json values are checked, not only exit statuses.

Usage: test_ctl_sharing.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main  # noqa
from test_ctl_books import User  # noqa

WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d"


def pair(t, d):
    """alice and bob, logged in; alice owns Household (EUR)."""
    a = User(t, d).login("alice")
    b = User(t, d).login("bob")
    a.ok("book", "create", "Household", "--currency", "EUR")
    return a, b


def share(a, b, book="Household", can=None):
    """alice shares book with bob, who accepts; the book's ID."""
    args = ["share", book, "bob"] + (["--can", can] if can else [])
    iid = a.json(*args)["invite_id"]
    return b.json("invite", "accept", str(iid))["book"]["book_id"]


def lines(out):
    return out.rstrip("\n").split("\n")


# ---------------------------------------------------------------- tests

def test_usage(t):
    """Usage errors are exit 2, need no daemon, and say what to give."""
    with User(t, None) as u:
        for args, what in (
                (["share", "Household"], "needs the book and the USERNAME"),
                (["share", "Household", "bob", "--can", "add,fly"],
                 "--can: 'fly' is not a permission; give some of add, "
                 "edit_own, edit_all, delete, reports, manage, separated "
                 "by commas"),
                (["member", "set", "bob"], "needs --can PERMISSIONS"),
                (["member", "set", "bob", "--can", "owner"],
                 "'owner' is not a permission"),
                (["member", "rm"], "needs the member's USERNAME"),
                (["invite", "accept"], "needs the invitation's ID"),
                (["invite", "accept", "x"], "invitation ID"),
                (["invite", "frob", "1"], "unknown subcommand"),
                (["leave"], "needs the book"),
                (["notifications", "read"], "IDs, or --all"),
                (["notifications", "read", "1", "--all"], "not both"),
                (["notifications", "read", "0"], "notification ID"),
                (["notifications", "frob"], "unknown subcommand"),
                (["notifications", "--nope"], "unknown option")):
            code, out, err = u.run(*args)
            check_eq(code, 2, "exit status for %s" % args, stderr=err)
            check(what in err, "message for %s" % args, stderr=err,
                  want=what)
        out = u.ok("--help")
        for name in ("share", "invites", "invite", "members", "member",
                     "leave", "notifications"):
            check(re.search(r"\n  %s +\S" % name, out),
                  "--help lists %s" % name, out=out)
        check("OWNER/NAME" in out, "--help says how to name a shared book",
              out=out)
        out = u.ok("help", "book")
        check("OWNER/NAME" in out and "refused, listing them" in out,
              "help book: OWNER/NAME and ambiguous names", out=out)
        out = u.ok("help", "share")
        for perm in ("add", "edit_own", "edit_all", "delete", "reports",
                     "manage"):
            check(re.search(r"\n  %s +\S" % perm, out),
                  "help share explains %s" % perm, out=out)
        out = u.ok("notifications", "--help")
        check(out.startswith("usage: cashbookctl [OPTIONS] notifications") and
              "\n  read " in out, "notifications --help lists read",
              out=out)


def test_share_accept(t):
    """share, invites, invite accept; the shared book in bob's book list
    with its owner; bob adds an entry and alice is told."""
    with t.daemon().start() as d:
        a, b = pair(t, d)
        with a, b:
            out = a.ok("share", "Household", "bob", "--can",
                       "reports, add,add")
            m = re.fullmatch(
                r"invited bob to 'Household' \(invitation ([0-9]+)\); they "
                r"may: read, add, reports\n"
                r"bob accepts with: cashbookctl invite accept \1\n", out)
            check(m, "share output", out=out)
            iid = int(m.group(1))

            inv = b.json("invites")
            check_eq(inv["sent"], [], "bob sent none")
            got = inv["received"][0]
            check_eq((got["invite_id"], got["book_name"], got["from_username"],
                      got["to_username"], got["permissions"], got["status"]),
                     (iid, "Household", "alice", "bob", ["add", "reports"],
                      "pending"), "--json invites (the daemon's order)")
            out = b.ok("invites")
            ls = lines(out)
            check_eq(ls[0], "Invitations to you:", "received title", out=out)
            check(re.fullmatch(r"ID +BOOK +FROM +PERMISSIONS +STATUS +WHEN",
                               ls[1]), "received header", out=out)
            check(re.fullmatch(r" *%d +Household +alice +read, add, reports "
                               r"+pending +%s" % (iid, WHEN), ls[2]),
                  "received row", out=out)
            check_eq(ls[3:], ["", "Invitations you sent: none", "",
                              "accept one with: cashbookctl invite accept "
                              "ID (or decline it)"], "the rest", out=out)
            out = a.ok("invites")
            check(out.startswith("Invitations to you: none\n\n"
                                 "Invitations you sent:\n"),
                  "alice's invites", out=out)
            check(re.search(r"\n *%d +Household +bob +read, add, reports "
                            r"+pending +%s\n" % (iid, WHEN), out),
                  "alice's sent row names bob", out=out)

            out = b.ok("invite", "accept", str(iid))
            m = re.fullmatch(
                r"joined 'alice/Household' \(ID ([0-9]+), EUR\); you may: "
                r"read, add, reports\n"
                r"work in it with: cashbookctl book use 'alice/Household' "
                r"\(or --book\)\n", out)
            check(m, "accept output", out=out)
            hid = int(m.group(1))
            check_eq(b.json("invites")["received"][0]["status"], "accepted",
                     "accepted")
            err = b.fails(1, "invite", "accept", str(iid))
            check("invite %d was already accepted" % iid in err,
                  "accepting twice", stderr=err)

            out = b.ok("book", "list")
            ls = lines(out)
            check(re.fullmatch(r" *ID +NAME +ROLE +OWNER +CURRENCY +ENTRIES "
                               r"+IN +OUT +BALANCE", ls[0]),
                  "bob's book list header has ROLE and OWNER", out=out)
            check(re.fullmatch(r" *%d +Household +member +alice +EUR +0 "
                               r"+0\.00 +0\.00 +0\.00" % hid, ls[1]),
                  "the shared book's row", out=out)
            check("ROLE" not in a.ok("book", "list"),
                  "alice has no book shared with her: no ROLE column")
            books = b.json("book", "list")["books"]
            check_eq([(x["book_id"], x["role"], x["owner_username"],
                       x["permissions"]) for x in books],
                     [(hid, "member", "alice", ["add", "reports"])],
                     "--json book list")
            out = b.ok("book", "show", "alice/Household")
            check(re.search(r"^owner +alice \(shared with you\)$", out, re.M)
                  and re.search(r"^you may +read, add, reports$", out, re.M),
                  "book show of a shared book", out=out)
            check(re.search(r"^owner +you$", a.ok("book", "show"), re.M),
                  "book show of one's own book")

            out = b.ok("--book", "alice/Household", "add", "out", "12.5",
                       "--date", "2026-03-01")
            m = re.match(r"added entry ([0-9]+): out 12\.50 EUR", out)
            check(m, "bob adds to alice's book", out=out)
            eid = int(m.group(1))

            out = a.ok("notifications")
            ls = lines(out)
            check(re.fullmatch(r" +ID +WHEN +WHAT", ls[0]),
                  "notifications header", out=out)
            check(re.fullmatch(r"\* +[0-9]+ +%s +bob added 12\.50 out to "
                               r"'Household' \(entry %d\)" % (WHEN, eid),
                               ls[1]), "the newest: bob's entry", out=out)
            check(re.fullmatch(r"\* +[0-9]+ +%s +bob accepted your invite "
                               r"to 'Household'" % WHEN, ls[2]),
                  "then the accepted invite", out=out)
            check_eq(ls[3], "2 unread (marked '*'); mark them read with: "
                     "cashbookctl notifications read --all", "footer",
                     out=out)
            out = a.ok("whoami")
            check(out.endswith("\n2 unread notifications: cashbookctl "
                               "notifications\n"), "whoami: 2 unread",
                  out=out)
            check_eq(a.json("whoami")["unread"], 2, "--json whoami unread")
            res = a.json("notifications")
            check_eq(res["next_cursor"], None, "one page")
            ns = res["notifications"]
            check_eq([(n["kind"], n["book_id"], n["entry_id"],
                       n["actor_username"], n["read"]) for n in ns],
                     [("entry_added", hid, eid, "bob", False),
                      ("invite_accepted", hid, None, "bob", False)],
                     "--json notifications")

            # read one by ID (given twice: once), then the rest.
            nid = ns[0]["notification_id"]
            out = a.ok("notifications", "read", str(nid), str(nid))
            check_eq(out, "marked 1 notification read\n", "read by ID")
            check_eq([n["notification_id"] for n in
                      a.json("notifications", "--unread")["notifications"]],
                     [ns[1]["notification_id"]], "--unread")
            check_eq(a.json("notifications", "read", "--all"),
                     {"marked": 1}, "--json read --all")
            check_eq(a.ok("notifications", "--unread"),
                     "no unread notifications\n", "nothing unread")
            check(a.ok("whoami").endswith("\nno unread notifications\n"),
                  "whoami: none unread")
            # bob was told of the invitation.
            out = b.ok("notifications")
            check(re.search(r"alice invited you to 'Household' \(add, "
                            r"reports\)", out), "bob's notification",
                  out=out)


def test_members(t):
    """members, member set, member rm, forbidden and its hint, unknown
    usernames, --json shapes."""
    with t.daemon().start() as d:
        a, b = pair(t, d)
        with a, b:
            share(a, b, can="add")
            out = a.ok("members")
            ls = lines(out)
            check(re.fullmatch(r"USERNAME +ROLE +PERMISSIONS +JOINED", ls[0]),
                  "members header", out=out)
            check(re.fullmatch(r"alice +owner +all +%s" % WHEN, ls[1]),
                  "the owner first", out=out)
            check(re.fullmatch(r"bob +member +read, add +%s" % WHEN, ls[2]),
                  "then bob", out=out)
            check_eq(ls[3], "2 members of 'Household'", "members footer",
                     out=out)
            check(lines(b.ok("members", "--book", "alice/Household"))[-1] ==
                  "2 members of 'alice/Household'", "bob sees OWNER/NAME")
            ms = a.json("members")["members"]
            check_eq([(m["username"], m["role"], m["permissions"])
                      for m in ms],
                     [("alice", "owner", ["add", "edit_own", "edit_all",
                                          "delete", "reports", "manage"]),
                      ("bob", "member", ["add"])], "--json members")

            # bob may add, not trash: forbidden, and whom to ask.
            eid = b.json("--book", "alice/Household", "add", "in",
                         "5")["entry_id"]
            aid = a.json("add", "in", "7")["entry_id"]
            code, out, err = b.run("--book", "alice/Household", "rm",
                                   str(aid))
            check_eq((code, err),
                     (1, "cashbookctl: forbidden: you need the 'delete' "
                      "permission on book 'Household' to trash or restore "
                      "entries others made\n"
                      "hint: ask the book's owner for the 'delete' "
                      "permission ('cashbookctl members' shows who that "
                      "is)\n"), "forbidden, with the hint")
            code, out, err = b.run("--json", "--book", "alice/Household",
                                   "report")
            check_eq(code, 1, "report without 'reports'", stderr=err)
            check_eq(json.loads(out)["error"]["code"], "forbidden",
                     "--json forbidden code")
            check("ask the book's owner for the 'reports' permission" in err,
                  "the hint names the permission", stderr=err)
            err = b.fails(1, "book", "rename", "alice/Household", "Mine")
            check("only the owner of book 'Household' may rename" in err and
                  "hint: only the book's owner may do that" in err,
                  "an owner-only change", stderr=err)

            out = a.ok("member", "set", "BOB", "--can", "add,edit_own")
            check_eq(out, "bob may now, in 'Household': read, add, "
                     "edit_own\n", "member set output (username's case "
                     "ignored)")
            out = b.ok("--book", "alice/Household", "rm", str(eid))
            check(out.startswith("moved entry %d to the trash" % eid),
                  "edit_own: bob trashes his own entry", out=out)
            res = a.json("member", "set", "bob", "--can", "")
            check_eq((res["member"]["username"], res["member"]["permissions"]),
                     ("bob", []), "--json member set to read only")
            err = b.fails(1, "--book", "alice/Household", "add", "in", "1")
            check("you need the 'add' permission on book 'Household'" in err,
                  "read only now", stderr=err)
            err = b.fails(1, "member", "set", "bob", "--can", "add",
                          "--book", "alice/Household")
            check("you need the 'manage' permission" in err,
                  "bob cannot change himself", stderr=err)

            err = a.fails(1, "member", "set", "carol", "--can", "add")
            check_eq(err, "cashbookctl: carol is not a member of "
                     "'Household'\nhint: 'cashbookctl members' lists them; "
                     "'cashbookctl share' invites someone\n",
                     "an unknown member, naming the book")
            err = a.fails(1, "member", "set", "alice", "--can", "add")
            check("alice owns 'Household'" in err, "the owner's membership",
                  stderr=err)
            code, out, err = a.run("share", "Household", "carol")
            check_eq((code, err),
                     (1, "cashbookctl: not_found: no such user 'carol'\n"
                      "hint: ask them for the name 'cashbookctl whoami' "
                      "shows them\n"), "sharing with nobody")
            err = a.fails(1, "share", "Household", "bob")
            check("'bob' is already a member of book 'Household'" in err,
                  "sharing twice", stderr=err)

            out = a.ok("member", "rm", "bob")
            check_eq(out, "removed bob from 'Household'; the entries they "
                     "made stay\n", "member rm output")
            check_eq(b.json("book", "list")["books"], [],
                     "bob no longer sees it")
            err = b.fails(1, "--book", "alice/Household", "list")
            check("no book named 'alice/Household'" in err,
                  "the book is gone for bob", stderr=err)
            check_eq(a.json("members")["members"][1:], [], "alice alone")
            check(re.search(r"alice removed you from 'Household'",
                            b.ok("notifications")), "bob is told")


def test_leave(t):
    with t.daemon().start() as d:
        a, b = pair(t, d)
        with a, b:
            hid = share(a, b)
            out = b.ok("book", "use", "alice/household")
            check_eq(out, "using book 'alice/Household' (ID %d, EUR) from "
                     "now on\n" % hid, "book use OWNER/NAME, any case")
            err = b.fails(1, "add", "in", "1")
            check("you need the 'add' permission" in err,
                  "a read-only member", stderr=err)
            out = b.ok("leave", "alice/Household")
            check_eq(out, "left 'alice/Household'; alice is told\n"
                     "it was your default book; choose another with "
                     "'cashbookctl book use NAME'\n", "leave output")
            check(not os.path.exists(b.book_file), "the default forgotten")
            check_eq(b.json("book", "list")["books"], [], "bob left")
            check(re.search(r"bob left 'Household'", a.ok("notifications")),
                  "alice is told")
            err = a.fails(1, "leave", "Household")
            check_eq(err, "cashbookctl: you own 'Household': an owner "
                     "cannot leave their book\nhint: keep it, or delete it "
                     "with: cashbookctl book delete %d\n" % hid,
                     "the owner cannot leave")
            # --json leave.
            share(a, b)
            check_eq(b.json("leave", str(hid)), {}, "--json leave by ID")


def test_decline_revoke(t):
    with t.daemon().start() as d:
        a, b = pair(t, d)
        with a, b:
            i1 = a.json("share", "Household", "bob")["invite_id"]
            out = b.ok("invite", "decline", str(i1))
            check_eq(out, "declined alice's invitation to 'Household' "
                     "(%d)\n" % i1, "decline output")
            check_eq(a.json("invites")["sent"][0]["status"], "declined",
                     "declined")
            i2 = a.json("share", "Household", "bob", "--can",
                        "add")["invite_id"]
            err = a.fails(1, "invite", "accept", str(i2))
            check_eq(err, "cashbookctl: no invitation %d to you\nhint: "
                     "'cashbookctl invites' lists them\n" % i2,
                     "alice cannot accept her own invitation")
            check_eq(a.ok("invite", "revoke", str(i2)),
                     "revoked the invitation of bob to 'Household' (%d)\n"
                     % i2, "revoke output")
            err = b.fails(1, "invite", "accept", str(i2))
            check("was already revoked" in err, "a revoked invitation",
                  stderr=err)
            check(re.search(r"alice (revoked|withdrew).*'Household'",
                            b.ok("notifications")), "bob is told")
            err = b.fails(1, "invite", "revoke", "999")
            check_eq(err, "cashbookctl: no invitation 999 you may revoke\n"
                     "hint: 'cashbookctl invites' lists them\n",
                     "an unknown invitation")
            check_eq(b.json("invite", "decline", str(a.json(
                "share", "Household", "bob")["invite_id"])), {},
                "--json decline")


def test_ambiguous(t):
    """Two books bob can see with one name: the name alone is refused,
    listing both as OWNER/NAME; OWNER/NAME or the ID picks one; a name
    that fits one book exactly wins over one fitting only by case."""
    with t.daemon().start() as d:
        a, b = pair(t, d)
        carol = User(t, d).login("carol")
        with a, b, carol:
            hid = share(a, b, can="add")
            carol.ok("book", "create", "Household", "--currency", "JPY")
            cid = share(carol, b)
            err = b.fails(1, "--book", "Household", "balance")
            check_eq(err, "cashbookctl: 'Household' (from --book) could be "
                     "any of 2 books: alice/Household (ID %d), "
                     "carol/Household (ID %d)\nhint: name one as OWNER/NAME, "
                     "e.g. 'alice/Household', or by its ID\n" % (hid, cid),
                     "ambiguous --book")
            code, out, err = b.run("--json", "book", "use", "household")
            check_eq(code, 1, "ambiguous book use", stderr=err)
            check_eq(json.loads(out)["error"]["code"], "ambiguous",
                     "--json code")
            check("(from the command line)" in err, "says where", stderr=err)
            check_eq(b.json("--book", "carol/Household", "balance")
                     ["currency"], "JPY", "OWNER/NAME")
            check_eq(b.json("--book", "CAROL/household", "balance")
                     ["currency"], "JPY", "OWNER/NAME ignoring case")
            check_eq(b.json("--book", str(hid), "balance")["currency"], "EUR",
                     "the ID")
            b.ok("--book", "alice/Household", "add", "in", "2")
            err = b.fails(1, "share", "Household", "carol")
            check("could be any of 2 books" in err,
                  "share with an ambiguous book", stderr=err)

            # bob's own book: exact "Household" now fits three; his own is
            # bob/Household.
            mine = b.json("book", "create", "HOUSEHOLD", "--currency",
                          "USD")["book_id"]
            check_eq(b.json("--book", "HOUSEHOLD", "balance")["currency"],
                     "USD", "the only exact match wins")
            err = b.fails(1, "--book", "household", "balance")
            check("could be any of 3 books: alice/Household (ID %d), "
                  "carol/Household (ID %d), bob/HOUSEHOLD (ID %d)" %
                  (hid, cid, mine) in err, "three, in book list's order",
                  stderr=err)
            check_eq(b.json("--book", "bob/household", "balance")
                     ["currency"], "USD", "one's own as OWNER/NAME")
            out = b.ok("book", "list")
            check(re.search(r"^\* +%d +HOUSEHOLD +owner +USD" % mine, out,
                            re.M), "own book (the default): role owner",
                  out=out)


def test_notifications_pages(t):
    """Past one page (50): the latest 50 and a note; --all every one;
    --json --all in one array."""
    with t.daemon().start() as d:
        a, b = pair(t, d)
        with a, b:
            hid = share(a, b, can="add")
            token = open(os.path.join(b.config, "token")).read().strip()
            with d.client() as c:
                for i in range(60):
                    c.call_ok("entry.add", {
                        "token": token, "book_id": hid, "type": "in",
                        "amount": i + 1, "date": "2026-01-01"})
            code, out, err = a.run("notifications")
            check_eq(code, 0, "notifications", stderr=err)
            rows = [ln for ln in lines(out) if re.match(r"^\* +[0-9]+ ", ln)]
            check_eq(len(rows), 50, "one page of 50", out=out)
            check("bob added 0.60 in to 'Household'" in rows[0],
                  "newest first", row=rows[0])
            check_eq(err, "cashbookctl: older notifications follow; pass "
                     "--all for every one\n", "the note")
            code, out, err = a.run("notifications", "--all")
            check_eq((code, err), (0, ""), "--all: no note")
            check(re.search(r"\n61 unread \(marked '\*'\)", out),
                  "every one: 60 entries and the accepted invite", out=out)
            res = a.json("notifications", "--all")
            ids = [n["notification_id"] for n in res["notifications"]]
            check_eq((len(ids), res["next_cursor"], ids, len(set(ids))),
                     (61, None, sorted(ids, reverse=True), 61),
                     "--json --all: one array, newest first, no repeats")
            res = a.json("notifications")
            check_eq(len(res["notifications"]), 50, "--json: one page")
            check(isinstance(res["next_cursor"], str), "and its cursor")
            check_eq(a.json("notifications", "read", "--all"),
                     {"marked": 61}, "read --all")


TESTS = [
    test_usage,
    test_share_accept,
    test_members,
    test_leave,
    test_decline_revoke,
    test_ambiguous,
    test_notifications_pages,
]

if __name__ == "__main__":
    main(TESTS)
