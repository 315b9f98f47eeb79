#!/usr/bin/python3
"""
test_identity.py -- who is who (docs/protocol.md, "Who is who"): peer
accounts from SO_PEERCRED, --auth peer|token and --access self|group:NAME,
seen from real OS users.

The test makes its own OS users and group (useradd/groupadd: it must run
as root, as CI does) and runs each client as one of them: a small Python
client started with subprocess's user=/group=/extra_groups=, which prints
the answers as JSON.  The users are removed again at the end.
"""
import json
import os
import pwd
import grp
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

from harness import (Tap, check, check_eq, ReadTimeout, os_group,  # noqa
                     os_user)

GROUP = "cbtest-share"
USERS = ("cbtest-alice", "cbtest-bob", "cbtest-carol")
PW = "correct horse 1"

# The client each OS user runs: calls from argv[2] (JSON), answers as
# JSON lines [error, result], or ["connect", "why"] when it cannot connect,
# or ["refused", message] for the protocol_error notification.
CLIENT = r'''
import json, socket, sys, msgpack
calls = json.loads(sys.argv[2])
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(json.dumps(["connect", e.strerror])); sys.exit(0)
u = msgpack.Unpacker(raw=False)
for i, (method, params) in enumerate(calls):
    try:
        s.sendall(msgpack.packb([0, i + 1, method,
                                 [params] if params is not None else []]))
    except OSError as e:
        # Refused and closed before the request went out: what the
        # daemon said is still in our receive queue.
        sent = e.strerror
    msg = None
    while msg is None:
        for o in u:
            msg = o
            break
        if msg is None:
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                print(json.dumps(["closed", None])); sys.exit(0)
            u.feed(data)
    if msg[0] == 2:
        print(json.dumps(["refused", msg[2][1]])); sys.exit(0)
    print(json.dumps([msg[2], msg[3]]))
'''


def ensure_accounts():
    """The test's group and users (left over ones are reused)."""
    os_group(GROUP)
    # carol is not in the group: she must not get in.
    for name in USERS:
        os_user(name, groups=(GROUP,) if name != USERS[2] else ())


def remove_accounts():
    for name in USERS:
        subprocess.run(["userdel", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    subprocess.run(["groupdel", GROUP], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def uid(name):
    return pwd.getpwnam(name).pw_uid


def as_user(name, sock, calls):
    """Run calls [(method, params)] on one connection as OS user name;
    the list of answers."""
    pw = pwd.getpwnam(name)
    groups = [g.gr_gid for g in grp.getgrall() if name in g.gr_mem]
    out = subprocess.run(
        ["/usr/bin/python3", "-c", CLIENT, sock, json.dumps(calls)],
        user=pw.pw_uid, group=pw.pw_gid, extra_groups=groups,
        env={"PATH": "/usr/bin:/bin", "HOME": "/"}, cwd="/",
        capture_output=True, timeout=30)
    if out.returncode != 0:
        raise AssertionError("client as %s failed: %s" % (
            name, out.stderr.decode()))
    return [json.loads(line) for line in out.stdout.decode().splitlines()]


def ok(answer, what):
    check(answer[0] is None, what, answer=answer)
    return answer[1]


def shared_dir():
    """A directory others may search (the socket's own one is made by
    cashbookd), removed by the caller."""
    d = tempfile.mkdtemp(prefix="cbid-")
    os.chmod(d, 0o711)
    return d


class GroupDaemon:
    """cashbookd --access group:GROUP with its socket in DIR/run/."""

    def __init__(self, t, *args):
        self.dir = shared_dir()
        self.sock = os.path.join(self.dir, "run", "s.sock")
        self.d = t.daemon("--access", "group:" + GROUP, *args,
                          socket_path=self.sock,
                          db=os.path.join(self.dir, "c.db"))

    def __enter__(self):
        self.d.start()
        return self

    def __exit__(self, *exc):
        self.d.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_group_members_get_their_own_accounts(t):
    """Two OS users on a group daemon: separate peer accounts named after
    their logins, no login needed, and each sees only their own books."""
    with GroupDaemon(t) as g:
        st = os.stat(g.sock)
        check_eq((oct(st.st_mode & 0o777), st.st_gid),
                 (oct(0o660), grp.getgrnam(GROUP).gr_gid),
                 "socket 0660 with the group")
        run_st = os.stat(os.path.dirname(g.sock))
        check_eq((oct(run_st.st_mode & 0o777), run_st.st_gid),
                 (oct(0o750), grp.getgrnam(GROUP).gr_gid),
                 "its directory 0750 with the group")
        a = as_user("cbtest-alice", g.sock, [
            ["user.profile", None],
            ["book.create", {"name": "Groceries"}],
            ["entry.add", {"book_id": 1, "type": "out", "amount": 250,
                           "date": "2026-12-01"}],
            ["book.list", None]])
        pa = ok(a[0], "alice's profile")
        check_eq((pa["username"], pa["via"]), ("cbtest-alice", "peer"),
                 "alice is her login name, by peer")
        book = ok(a[1], "alice creates a book")["book"]
        check_eq((book["owner_username"], book["role"]),
                 ("cbtest-alice", "owner"), "alice owns it")
        check_eq(ok(a[2], "alice adds")["balance"], -250, "balance")
        check_eq([b["name"] for b in ok(a[3], "alice lists")["books"]],
                 ["Groceries"], "alice's books")
        b = as_user("cbtest-bob", g.sock, [
            ["user.profile", None],
            ["book.list", None],
            ["book.get", {"book_id": book["book_id"]}],
            ["entry.list", {"book_id": book["book_id"]}]])
        pb = ok(b[0], "bob's profile")
        check_eq((pb["username"], pb["via"]), ("cbtest-bob", "peer"),
                 "bob is his login name")
        check(pb["user_id"] != pa["user_id"], "two accounts",
              alice=pa, bob=pb)
        check_eq(ok(b[1], "bob lists")["books"], [], "bob sees no books")
        check_eq(b[2][0], ["not_found", "no such book"],
                 "alice's book does not exist for bob")
        check_eq(b[3][0], ["not_found", "no such book"],
                 "nor its entries")
        # The same uid again, on a new connection: the same account.
        again = as_user("cbtest-alice", g.sock, [["user.profile", None]])
        check_eq(ok(again[0], "alice again")["user_id"], pa["user_id"],
                 "bound to the uid")
        # Root is uid 0's own account, never anyone else's.
        with g.d.client() as c:
            pr = c.call_ok("user.profile")
            check_eq((pr["username"], pr["via"]), ("root", "peer"),
                     "root is root")
            check_eq(c.call_ok("book.list")["books"], [],
                     "root sees none of theirs")


def test_outsider_cannot_connect(t):
    """carol is not in the group: the kernel keeps her out of a group
    daemon's socket."""
    with GroupDaemon(t) as g:
        c = as_user("cbtest-carol", g.sock, [["user.profile", None]])
        check_eq(c, [["connect", "Permission denied"]],
                 "carol cannot connect")


def test_access_self_refuses_others(t):
    """--access self: the socket is 0600, and even when an admin opens it
    up, the daemon refuses another uid itself with a reason."""
    d = shared_dir()
    try:
        sock = os.path.join(d, "run", "s.sock")
        os.makedirs(os.path.dirname(sock), mode=0o711)
        os.chmod(os.path.dirname(sock), 0o711)
        daemon = t.daemon(socket_path=sock, db=os.path.join(d, "c.db"))
        daemon.start()
        check_eq(oct(os.stat(sock).st_mode & 0o777), oct(0o600),
                 "socket 0600")
        check_eq(as_user("cbtest-alice", sock, [["ping", None]]),
                 [["connect", "Permission denied"]], "the kernel says no")
        os.chmod(sock, 0o666)
        got = as_user("cbtest-alice", sock, [["user.profile", None]])
        check_eq(got, [["refused", "permission denied: this cashbookd "
                        "serves uid %d only" % os.geteuid()]],
                 "the daemon says no, and why")
        daemon.wait_log("refused a client of uid %d" % uid("cbtest-alice"))
        with daemon.client() as c:
            check_eq(c.call_ok("server.stats")["connections"]["open"], 1,
                     "only root's connection is open")
        daemon.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_bad_token_never_falls_back(t):
    """A token that is given is judged alone: malformed, unknown, revoked
    or expired is unauthorized, never the peer account."""
    with GroupDaemon(t) as g:
        with g.d.client() as c:
            c.call_ok("user.register", {"username": "tok", "password": PW})
            tok = c.call_ok("auth.login", {"username": "tok",
                                           "password": PW})["token"]
            c.call_ok("auth.logout", {"token": tok})
        a = as_user("cbtest-alice", g.sock, [
            ["book.create", {"name": "Mine"}],
            ["book.list", {"token": "cb1_1_" + "A" * 43}],
            ["book.list", {"token": "nonsense"}],
            ["book.list", {"token": tok}],
            ["entry.add", {"token": tok, "book_id": 1, "type": "in",
                           "amount": 1, "date": "2026-01-01"}],
            ["user.profile", {"token": None}],
            ["auth.verify", None],
            ["book.list", None]])
        ok(a[0], "alice's own book")
        for i, why in ((1, "unknown"), (2, "malformed"), (3, "revoked")):
            check_eq(a[i][0][0], "unauthorized", "%s token" % why,
                     answer=a[i])
        check_eq(a[4][0][0], "unauthorized", "a revoked token cannot write")
        check_eq(ok(a[5], "nil token is no token")["via"], "peer",
                 "nil token means the peer")
        check_eq(a[6][0], ["unauthorized", "missing token; log in first"],
                 "auth.verify needs a token even in peer mode")
        check_eq([(b["name"], b["count"]) for b in
                  ok(a[7], "alice lists")["books"]], [("Mine", 0)],
                 "nothing written through the bad tokens")


def test_auth_token_requires_tokens(t):
    """--auth token: no token is unauthorized, for the daemon's own uid
    and for group members alike."""
    with GroupDaemon(t, "--auth", "token") as g:
        a = as_user("cbtest-alice", g.sock, [["book.list", None],
                                             ["user.profile", None]])
        for ans in a:
            check_eq(ans[0], ["unauthorized", "missing token; log in first"],
                     "no token in token mode", answer=ans)
        with g.d.client() as c:
            err, _ = c.call("book.create", {"name": "X"})
            check_eq(err, ["unauthorized", "missing token; log in first"],
                     "root too")
            c.call_ok("user.register", {"username": "tok", "password": PW})
            tok = c.call_ok("auth.login", {"username": "tok",
                                           "password": PW})["token"]
            check_eq(c.call_ok("user.profile", {"token": tok})["via"],
                     "token", "a token works")


def test_name_taken_is_never_joined(t):
    """A token account registered under alice's login name first: her peer
    account gets NAME-UID, and the two stay apart."""
    with GroupDaemon(t) as g:
        with g.d.client() as c:
            tok_id = c.call_ok("user.register", {
                "username": "cbtest-alice", "password": PW})["user_id"]
            tok = c.call_ok("auth.login", {"username": "cbtest-alice",
                                           "password": PW})["token"]
            c.call_ok("book.create", {"token": tok, "name": "Squatter"})
        a = as_user("cbtest-alice", g.sock, [["user.profile", None],
                                             ["book.list", None]])
        pa = ok(a[0], "alice's profile")
        check_eq(pa["username"], "cbtest-alice-%d" % uid("cbtest-alice"),
                 "the taken name gets the uid")
        check(pa["user_id"] != tok_id, "not the token account",
              profile=pa, token_user=tok_id)
        check_eq(ok(a[1], "alice lists")["books"], [],
                 "the squatter's book is not hers")


def test_peer_password_then_login(t):
    """A peer account sets its first password without an old one, and
    can then log in by name from anywhere; without one nobody can."""
    with GroupDaemon(t) as g:
        with g.d.client() as c:
            # bob's account exists but has no password yet.
            as_user("cbtest-bob", g.sock, [["user.profile", None]])
            err, _ = c.call("auth.login", {"username": "cbtest-bob",
                                           "password": PW})
            check_eq(err, ["unauthorized", "wrong username or password"],
                     "no password: no login")
        a = as_user("cbtest-alice", g.sock, [
            ["user.profile", None],
            ["user.password", {"old_password": PW, "new_password": PW}],
            ["user.password", {"new_password": PW}],
            ["user.password", {"new_password": PW + "2"}],
            ["book.create", {"name": "Hers"}],
            ["user.profile", None]])
        pa = ok(a[0], "profile")
        check_eq((pa["has_password"], ok(a[5], "profile")["has_password"]),
                 (False, True), "has_password before and after")
        check_eq(a[1][0][0], "bad_request", "no old password yet")
        check("leave out old_password" in a[1][0][1], "says so",
              answer=a[1])
        ok(a[2], "first password")
        check_eq(a[3][0], ["bad_request", "field 'old_password' is "
                           "required: give the current password to "
                           "change it"], "the second change needs it")
        with g.d.client() as c:
            res = c.call_ok("auth.login", {"username": "cbtest-alice",
                                           "password": PW})
            check_eq(res["user_id"], pa["user_id"], "the same account")
            prof = c.call_ok("user.profile", {"token": res["token"]})
            check_eq((prof["user_id"], prof["via"]),
                     (pa["user_id"], "token"), "by token now")
            check_eq([b["name"] for b in c.call_ok(
                "book.list", {"token": res["token"]})["books"]], ["Hers"],
                "her books through the token")


def test_first_requests_race(t):
    """Eight connections of a uid never seen, all asking at once: one
    account, the same for all."""
    with GroupDaemon(t) as g:
        results = [None] * 8

        def one(i):
            results[i] = as_user("cbtest-bob", g.sock, [
                ["user.profile", None], ["book.list", None]])

        threads = [threading.Thread(target=one, args=(i,))
                   for i in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        ids = set()
        for r in results:
            check(r is not None and len(r) == 2, "an answer", got=r)
            ids.add(ok(r[0], "profile")["user_id"])
        check_eq(len(ids), 1, "one account", ids=sorted(ids))
        import sqlite3
        db = sqlite3.connect(g.d.db)
        try:
            n = db.execute("SELECT count(*) FROM users WHERE peer_uid = ?",
                           (uid("cbtest-bob"),)).fetchone()[0]
        finally:
            db.close()
        check_eq(n, 1, "one row for the uid")


TESTS = [
    test_group_members_get_their_own_accounts,
    test_outsider_cannot_connect,
    test_access_self_refuses_others,
    test_bad_token_never_falls_back,
    test_auth_token_requires_tokens,
    test_name_taken_is_never_joined,
    test_peer_password_then_login,
    test_first_requests_race,
]


def main():
    t = Tap(sys.argv)
    if os.geteuid() != 0:
        # Making OS users needs root; CI runs as root.
        for fn in TESTS:
            t.n += 1
            print("ok %d - %s # SKIP needs root to make OS users" %
                  (t.n, fn.__name__))
        print("1..%d" % t.n)
        return
    ensure_accounts()
    try:
        for fn in TESTS:
            t.run(fn, timeout=90)
    finally:
        remove_accounts()
    t.done()


if __name__ == "__main__":
    main()
