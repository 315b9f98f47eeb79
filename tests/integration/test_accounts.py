#!/usr/bin/python3
"""
test_accounts.py -- accounts and sessions (docs/protocol.md, "Accounts and
sessions") seen from outside: registration rules, login, the failed-login
limiter, token verification and isolation between users, logout, refresh,
password change, expiry, malformed tokens, what the database keeps at rest,
and that password hashing never starves the handle pool.

Time is moved with the test-only test.clock instead of sleeping, except in
test_rate_limit_real_time, which checks that a 1 s block also ends by
itself.

Usage: test_accounts.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import base64
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, check_eq, check_error_pair, main,  # noqa
                     pack, request_bytes, TestFailure)

TTL = 2592000                        # --token-ttl-s default: 30 days
TOKEN_RE = re.compile(r"^cb1_[1-9][0-9]{0,18}_[A-Za-z0-9_-]{43}$")
LIMITED_RE = re.compile(
    r"^too many failed logins for this user; retry in ([0-9]+) s$")
WRONG_LOGIN = ["unauthorized", "wrong username or password"]
MISSING_TOKEN = ["unauthorized", "missing token; log in first"]
EXPIRED = ["unauthorized", "session expired; log in again"]
PW = "correct horse 1"               # a valid password (15 bytes)
PW2 = "battery staple 2"
ARGON2_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"
TOKEN_METHODS = ("auth.verify", "auth.refresh", "auth.logout",
                 "auth.logout_all", "user.profile", "user.password")


# ---------------------------------------------------------------- helpers

def register(c, username, password=PW):
    res = c.call_ok("user.register", {"username": username,
                                      "password": password})
    check_eq(sorted(res), ["user_id"], "user.register result keys",
             result=res)
    uid = res["user_id"]
    check(type(uid) is int and uid > 0, "user_id is a positive integer",
          user_id=uid)
    return uid


def login(c, username, password=PW):
    """auth.login that must succeed; checks the result's shape."""
    res = c.call_ok("auth.login", {"username": username,
                                   "password": password})
    check_eq(sorted(res), ["expires_at", "token", "user_id"],
             "auth.login result keys", result=res)
    check_token(res["token"])
    check(type(res["expires_at"]) is int, "expires_at is an integer",
          expires_at=res["expires_at"])
    check(type(res["user_id"]) is int and res["user_id"] > 0,
          "user_id is a positive integer", user_id=res["user_id"])
    return res


def check_token(tok):
    check(isinstance(tok, str), "token is a str", token=tok)
    check(tok.startswith("cb1_"), "token starts with cb1_", token=tok)
    check(len(tok.encode()) <= 67, "token is at most 67 bytes", token=tok,
          length=len(tok.encode()))
    check(TOKEN_RE.match(tok), "token is cb1_<id>_<43 base64url chars>",
          token=tok)


def err(c, method, params=None):
    """A call that must fail; returns the error pair."""
    e, res = c.call(method, params)
    check_error_pair(e, res, method)
    return e


def check_refused(c, token, what, method="auth.verify"):
    """token is refused as revoked/unknown: unauthorized '...; log in
    again'."""
    e, res = c.call(method, {"token": token})
    check(e is not None, "%s: %s refused" % (what, method), result=res)
    check_error_pair(e, res, method)
    check_eq(e[0], "unauthorized", "%s: code" % what, message=e[1])
    check(e[1].endswith("; log in again"),
          "%s: message ends '; log in again'" % what, message=e[1])
    return e


def verify(c, token):
    res = c.call_ok("auth.verify", {"token": token})
    check_eq(sorted(res), ["expires_at", "user_id", "username"],
             "auth.verify result keys", result=res)
    return res


def advance(c, seconds):
    """test.clock: move the daemon's wall clock; returns its now."""
    res = c.call_ok("test.clock", {"advance_s": seconds})
    check_eq(sorted(res), ["now"], "test.clock result keys", result=res)
    check(type(res["now"]) is int, "now is an integer", now=res["now"])
    return res["now"]


def limited_seconds(e, what):
    """The N of a rate_limited error; fails on anything else."""
    check_eq(e[0], "rate_limited", "%s: code" % what, message=e[1])
    m = LIMITED_RE.match(e[1])
    check(m, "%s: rate_limited message" % what, message=e[1])
    return int(m.group(1))


def read_answers(conn, msgids):
    """Read the responses to msgids (unique) on conn, in whatever order
    they come; returns {(conn, msgid): response}."""
    want = set(msgids)
    check_eq(len(want), len(msgids), "unique msgids")
    got = {}
    while want:
        msg = conn.read_response()
        check(msg[1] in want, "an answer to one of our requests, once",
              msgid=msg[1])
        want.discard(msg[1])
        got[(conn, msg[1])] = msg
    return got


def raw_call(c, method, fields):
    """A request whose params map is hand-encoded: fields is a list of
    (key, raw msgpack bytes of the value), so values a packer refuses to
    make (a str holding invalid UTF-8) can be sent.  Returns (error,
    result)."""
    check(len(fields) < 16, "fixmap only")
    msgid = c.next_msgid
    c.next_msgid += 1
    body = bytes([0x80 | len(fields)]) + b"".join(
        pack(k) + v for k, v in fields)
    c.send(b"\x94" + pack(0) + pack(msgid) + pack(method) + b"\x91" + body)
    msg = c.read_response()
    check_eq(msg[1], msgid, "response msgid")
    return msg[2], msg[3]


def raw_str(b):
    """msgpack str header + raw bytes (no UTF-8 check)."""
    if len(b) < 32:
        return bytes([0xa0 | len(b)]) + b
    check(len(b) < 256, "str8 only")
    return b"\xd9" + bytes([len(b)]) + b


def near(got, want, slack, what):
    check(type(got) is int and abs(got - want) <= slack,
          "%s within %d s of %d" % (what, slack, want), got=got,
          off_by=(got - want) if type(got) is int else None)


# ---------------------------------------------------------------- register

def test_register(t):
    """user.register: positive user_id; ASCII case-insensitive conflict
    (and only ASCII); exact byte bounds on both fields."""
    with t.daemon().start() as d, d.client() as c:
        alice = register(c, "Alice")
        for name in ("alice", "ALICE", "Alice", "aLiCe"):
            e = err(c, "user.register", {"username": name, "password": PW})
            check_eq(e[0], "conflict", "%r after 'Alice': code" % name,
                     message=e[1])
            check(e[1] in ("username '%s' is taken" % name,
                           "username 'Alice' is taken"),
                  "%r: conflict message" % name, message=e[1])
        bob = register(c, "bob")
        check(bob != alice, "a second user gets another id", alice=alice,
              bob=bob)
        # ASCII case folding only: E-acute and e-acute are two names.
        e1 = register(c, "\u00c9mile")
        e2 = register(c, "\u00e9mile")
        check(len({alice, bob, e1, e2}) == 4, "four distinct ids",
              ids=[alice, bob, e1, e2])

        # Byte bounds, at the edges: 64 bytes in, in ASCII and in 2- and
        # 4-byte characters; passwords of 8 and 1024 bytes.
        u64 = "u" * 64
        register(c, u64)
        register(c, "\u00e9" * 32)                 # 64 bytes, 32 chars
        register(c, "\U0001F600" * 16)             # 64 bytes, 16 chars
        register(c, "pw8", "p" * 8)
        register(c, "pw1024", "q" * 1024)
        register(c, "pwutf8", "\u00e9" * 4)         # 8 bytes, 4 chars
        # They were stored as given: each logs in, and only with its
        # exact password.
        check_eq(login(c, u64)["user_id"] > 0, True, "64-byte name logs in")
        login(c, "pw8", "p" * 8)
        login(c, "pw1024", "q" * 1024)
        login(c, "pwutf8", "\u00e9" * 4)
        check_eq(err(c, "auth.login", {"username": "pw1024",
                                       "password": "q" * 1023}),
                 WRONG_LOGIN, "1023 of the 1024 bytes is wrong")


def test_register_bad_username(t):
    """Every bad username is bad_request naming the field, and creates
    nothing."""
    with t.daemon().start() as d, d.client() as c:
        bad = [
            ("empty", ""),
            ("65 bytes", "u" * 65),
            ("33 two-byte chars (66 bytes)", "\u00e9" * 33),
            ("newline", "a\nb"),
            ("DEL", "a\x7fb"),
            ("NUL", "a\x00b"),
            ("tab", "\tab"),
            ("0x1f", "ab\x1f"),
        ]
        for what, name in bad:
            e = err(c, "user.register", {"username": name, "password": PW})
            check_eq(e[0], "bad_request", "username %s: code" % what,
                     message=e[1])
            check("'username'" in e[1], "username %s: message names the "
                  "field" % what, message=e[1])
        for what, value in (("int", 5), ("nil", None), ("array", ["a"]),
                            ("map", {"a": 1}), ("bool", True)):
            e = err(c, "user.register", {"username": value, "password": PW})
            check_eq(e[0], "bad_request", "username %s: code" % what,
                     message=e[1])
            check("'username'" in e[1], "username %s: names the field"
                  % what, message=e[1])
        e = err(c, "user.register", {"password": PW})
        check_eq(e, ["bad_request", "missing field 'username'"],
                 "missing username")
        # Invalid UTF-8 in a msgpack str, hand-encoded.
        for what, raw in (("ff fe", b"\xff\xfe"),
                          ("truncated sequence", b"ab\xc3"),
                          ("lone continuation", b"a\x80b"),
                          ("overlong '/'", b"\xc0\xaf"),
                          ("UTF-16 surrogate", b"\xed\xa0\x80"),
                          ("beyond U+10FFFF", b"\xf4\x90\x80\x80")):
            e, res = raw_call(c, "user.register", [
                ("username", raw_str(raw)), ("password", pack(PW))])
            check_error_pair(e, res, "user.register")
            check_eq(e[0], "bad_request", "username %s: code" % what,
                     message=e[1])
            check("'username'" in e[1], "username %s: names the field"
                  % what, message=e[1])
        # Nothing was created: the edge names are still free, and the
        # connection still works.
        register(c, "u" * 64)
        register(c, "ab")


def test_register_bad_password(t):
    """Every bad password is bad_request naming the field; an unknown
    field is bad_request."""
    with t.daemon().start() as d, d.client() as c:
        for what, pw in (("7 bytes", "p" * 7), ("1025 bytes", "p" * 1025),
                         ("empty", ""),
                         ("7 bytes in 2-byte chars", "\u00e9\u00e9\u00e9a"),
                         ("int", 12345678), ("nil", None)):
            e = err(c, "user.register", {"username": "alice",
                                         "password": pw})
            check_eq(e[0], "bad_request", "password %s: code" % what,
                     message=e[1])
            check("'password'" in e[1], "password %s: names the field"
                  % what, message=e[1])
        e = err(c, "user.register", {"username": "alice"})
        check_eq(e, ["bad_request", "missing field 'password'"],
                 "missing password")
        e = err(c, "user.register", {"username": "alice", "password": PW,
                                     "email": "a@example.org"})
        check_eq(e, ["bad_request", "unknown field 'email' for user.register"],
                 "unknown field")
        e = err(c, "user.register")
        check_eq(e[0], "bad_request", "no params at all", message=e[1])
        # None of the above registered alice.
        check_eq(err(c, "auth.login", {"username": "alice",
                                       "password": PW}),
                 WRONG_LOGIN, "alice does not exist")
        register(c, "alice")


# ---------------------------------------------------------------- login

def test_login(t):
    """auth.login: token, expires_at = now + 30 days, user_id; a wrong
    password and an unknown user get the identical error."""
    with t.daemon().start() as d, d.client() as c:
        alice = register(c, "alice")
        bob = register(c, "bob", PW2)
        now = int(time.time())
        a = login(c, "alice")
        check_eq(a["user_id"], alice, "alice's user_id")
        near(a["expires_at"], now + TTL, 60, "expires_at")
        b = login(c, "bob", PW2)
        check_eq(b["user_id"], bob, "bob's user_id")
        a2 = login(c, "alice")
        check(len({a["token"], a2["token"], b["token"]}) == 3,
              "every login makes a new token", tokens=[a, a2, b])
        check(a["token"].split("_")[1] != a2["token"].split("_")[1],
              "two logins are two sessions", a=a["token"], a2=a2["token"])
        check_eq(err(c, "auth.login", {"username": "alice",
                                       "password": PW2}),
                 WRONG_LOGIN, "wrong password")
        check_eq(err(c, "auth.login", {"username": "carol",
                                       "password": PW}),
                 WRONG_LOGIN, "unknown user")
        check_eq(err(c, "auth.login", {"username": "alice",
                                       "password": PW + "x"}),
                 WRONG_LOGIN, "password with a byte more")
        check_eq(err(c, "auth.login", {"username": "alice",
                                       "password": PW[:-1]}),
                 WRONG_LOGIN, "password with a byte less")
        # The tokens work after the failures.
        check_eq(verify(c, a["token"])["user_id"], alice, "alice's token")
        check_eq(verify(c, b["token"])["user_id"], bob, "bob's token")


def test_login_timing(t):
    """An unknown user costs a login about as much as a wrong password
    (both hash): medians of 5 within a factor of 3."""
    with t.daemon().start() as d, d.client() as c:
        register(c, "alice")
        wrong, unknown = [], []
        for i in range(5):
            for kind, params in (
                    (wrong, {"username": "alice", "password": "nope%04d" % i}),
                    (unknown, {"username": "ghost%d" % i, "password": PW})):
                started = time.monotonic()
                e = err(c, "auth.login", params)
                kind.append(time.monotonic() - started)
                check_eq(e, WRONG_LOGIN, "failed login", params=params)
        mw, mu = statistics.median(wrong), statistics.median(unknown)
        t.diag("median wrong password %.1f ms, unknown user %.1f ms"
               % (mw * 1000, mu * 1000))
        check(max(mw, mu) <= 3 * min(mw, mu),
              "medians within a factor of 3", wrong_ms=mw * 1000,
              unknown_ms=mu * 1000)


# ---------------------------------------------------------------- limiter

def fail_logins(c, username, n):
    for i in range(n):
        check_eq(err(c, "auth.login", {"username": username,
                                       "password": "wrong-%d-pw" % i}),
                 WRONG_LOGIN, "failure %d of %s" % (i + 1, username))


def test_rate_limit(t):
    """5 failures in a row block the username (even the right password):
    1 s, then 2 s, 4 s; other usernames are not affected; test.clock moves
    the limiter's time; a success resets the count."""
    with t.daemon().start() as d, d.client() as c:
        register(c, "alice")
        register(c, "bob")
        fail_logins(c, "alice", 5)
        e = err(c, "auth.login", {"username": "alice", "password": PW})
        check_eq(limited_seconds(e, "6th attempt"), 1, "first delay")
        e = err(c, "auth.login", {"username": "alice", "password": "wrong"})
        check_eq(limited_seconds(e, "wrong password while blocked"), 1,
                 "still the first delay")
        # The same key in another case: no bypass by capitals.
        e = err(c, "auth.login", {"username": "ALICE", "password": PW})
        check_eq(e[0], "rate_limited", "ALICE shares alice's key",
                 message=e[1])
        login(c, "bob")                      # others are not affected

        # Growing delays, moved past with test.clock.
        advance(c, 2)
        check_eq(err(c, "auth.login", {"username": "alice",
                                       "password": "wrong"}),
                 WRONG_LOGIN, "a wrong password after the first delay")
        e = err(c, "auth.login", {"username": "alice", "password": PW})
        check_eq(limited_seconds(e, "after the 6th failure"), 2,
                 "second delay")
        advance(c, 3)
        check_eq(err(c, "auth.login", {"username": "alice",
                                       "password": "wrong"}),
                 WRONG_LOGIN, "a wrong password after the second delay")
        e = err(c, "auth.login", {"username": "alice", "password": PW})
        check_eq(limited_seconds(e, "after the 7th failure"), 4,
                 "third delay")
        advance(c, 5)
        a = login(c, "alice")                # the right password works
        check_eq(verify(c, a["token"])["username"], "alice", "verify")

        # The success reset the count: 5 free failures again, then 1 s.
        fail_logins(c, "alice", 5)
        e = err(c, "auth.login", {"username": "alice", "password": PW})
        check_eq(limited_seconds(e, "after the reset"), 1,
                 "back to the first delay")


def test_rate_limit_unknown_user(t):
    """An unknown username is limited exactly like a known one (no user
    enumeration through the limiter)."""
    with t.daemon().start() as d, d.client() as c:
        fail_logins(c, "ghost", 5)
        e = err(c, "auth.login", {"username": "ghost", "password": PW})
        check_eq(limited_seconds(e, "unknown user, 6th attempt"), 1,
                 "first delay")
        # Registering the name meanwhile does not lift the block.
        register(c, "ghost")
        e = err(c, "auth.login", {"username": "ghost", "password": PW})
        check_eq(e[0], "rate_limited", "still blocked", message=e[1])
        advance(c, 2)
        login(c, "ghost")


def test_rate_limit_real_time(t):
    """Without test.clock, the 1 s block ends by itself after about a
    second, and attempts while blocked do not prolong it."""
    with t.daemon().start() as d, d.client() as c:
        register(c, "alice")
        fail_logins(c, "alice", 5)
        blocked_at = time.monotonic()
        e = err(c, "auth.login", {"username": "alice", "password": PW})
        check_eq(limited_seconds(e, "6th attempt"), 1, "first delay")
        # Poll with the right password (every 100 ms, for at most 3 s):
        # a refused attempt must not count as a failure.
        deadline = blocked_at + 3.0
        tries = 0
        while True:
            tries += 1
            e, res = c.call("auth.login", {"username": "alice",
                                           "password": PW})
            if e is None:
                break
            limited_seconds(e, "while blocked")
            check(time.monotonic() < deadline, "the block ends within 3 s",
                  tries=tries)
            time.sleep(0.1)
        took = time.monotonic() - blocked_at
        check(0.8 <= took < 2.5, "blocked for about 1 s", took=took)
        check_token(res["token"])


def send_on_many(d, n, method, params):
    """Send one request on each of n fresh connections, back to back, and
    return [(error, result)] in connection order."""
    conns = [d.client() for _ in range(n)]
    try:
        ids = [c.request(method, params) for c in conns]
        out = []
        for c, msgid in zip(conns, ids):
            msg = c.read_response(timeout=30)
            check_eq(msg[1], msgid, "msgid")
            out.append((msg[2], msg[3]))
        return out
    finally:
        for c in conns:
            c.close()


def test_rate_limit_concurrent(t):
    """30 wrong passwords for one user sent at once: the limiter bounds
    how many are checked.  5 free failures, plus at most the 2 hashes that
    run at once and cannot see each other's outcome; the rest are
    rate_limited without hashing."""
    with t.daemon().start() as d, d.client() as c:
        register(c, "alice")
        outs = send_on_many(d, 30, "auth.login",
                            {"username": "alice", "password": "guess-1234"})
        codes = {}
        for e, res in outs:
            check_error_pair(e, res, "auth.login")
            codes[e[0]] = codes.get(e[0], 0) + 1
        t.diag("30 concurrent wrong logins: %s" % codes)
        check(set(codes) <= {"unauthorized", "rate_limited"},
              "only unauthorized or rate_limited", codes=codes)
        check(codes.get("unauthorized", 0) <= 5 + 2,
              "at most 7 guesses were checked", codes=codes)


# ---------------------------------------------------------------- tokens

def test_verify_profile_isolation(t):
    """verify and profile answer the token's own user, exactly; a token
    spliced from two users' tokens is refused; interleaved requests with
    two users' tokens never mix."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        before = int(time.time())
        alice = register(c, "Alice")
        bob = register(c, "bob", PW2)
        after = int(time.time())
        a = login(c, "Alice")
        b = login(c, "bob", PW2)
        check_eq(verify(c, a["token"]),
                 {"user_id": alice, "username": "Alice",
                  "expires_at": a["expires_at"]}, "verify alice")
        check_eq(verify(c, b["token"]),
                 {"user_id": bob, "username": "bob",
                  "expires_at": b["expires_at"]}, "verify bob")
        pa = c.call_ok("user.profile", {"token": a["token"]})
        pb = c.call_ok("user.profile", {"token": b["token"]})
        check_eq(sorted(pa), ["created_at", "has_password", "unread",
                              "user_id", "username", "via"], "profile keys",
                 profile=pa)
        check_eq(pa["has_password"], True, "a registered account has one")
        check_eq((pa["user_id"], pa["username"]), (alice, "Alice"),
                 "alice's profile")
        check_eq((pa["via"], pa["unread"], pb["via"]), ("token", 0, "token"),
                 "identified by their tokens, nothing unread")
        check_eq((pb["user_id"], pb["username"]), (bob, "bob"),
                 "bob's profile")
        for p in (pa, pb):
            check(type(p["created_at"]) is int and
                  before - 1 <= p["created_at"] <= after + 1,
                  "created_at is the registration time", profile=p,
                  before=before, after=after)

        # Pipelined, interleaved, on two connections: each answer is its
        # own token's user.
        want = {a["token"]: (alice, "Alice"), b["token"]: (bob, "bob")}
        sent = []
        for i in range(40):
            tok = (a, b)[i % 2]["token"]
            conn = (c, c2)[(i // 2) % 2]
            method = ("auth.verify", "user.profile")[(i // 4) % 2]
            sent.append((conn, conn.request(method, {"token": tok}), tok))
        answers = {}
        for conn in (c, c2):
            answers.update(read_answers(
                conn, [m for cc, m, _ in sent if cc is conn]))
        for conn, msgid, tok in sent:
            msg = answers[(conn, msgid)]
            check_eq(msg[2], None, "no error")
            check_eq((msg[3]["user_id"], msg[3]["username"]), want[tok],
                     "answer is the token's own user")

        # Spliced tokens: alice's session id with bob's secret and back.
        ida, seca = a["token"][4:].split("_", 1)
        idb, secb = b["token"][4:].split("_", 1)
        for what, tok in (("alice's id, bob's secret",
                           "cb1_%s_%s" % (ida, secb)),
                          ("bob's id, alice's secret",
                           "cb1_%s_%s" % (idb, seca))):
            for conn in (c, c2):
                check_refused(conn, tok, what)
                check_refused(conn, tok, what, "user.profile")
        # One character of the secret changed.
        flip = "B" if seca[0] != "B" else "C"
        check_refused(c, "cb1_%s_%s%s" % (ida, flip, seca[1:]),
                      "secret with one character changed")
        # The real tokens still work.
        check_eq(verify(c2, a["token"])["user_id"], alice, "alice still")
        check_eq(verify(c2, b["token"])["user_id"], bob, "bob still")


def test_logout(t):
    """auth.logout: the token is refused at once, on this connection, on
    one that verified it a moment ago, and on a new one; the user's other
    session lives."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        register(c, "alice")
        s1 = login(c, "alice")["token"]
        s2 = login(c, "alice")["token"]
        for _ in range(3):                   # warm any cache, both sides
            verify(c, s1)
            verify(c2, s1)
        check_eq(c.call_ok("auth.logout", {"token": s1}), {}, "logout")
        check_refused(c, s1, "same connection, at once")
        check_refused(c2, s1, "other connection, at once")
        check_refused(c2, s1, "profile", "user.profile")
        with d.client() as c3:
            check_refused(c3, s1, "new connection")
        check_refused(c, s1, "logout twice", "auth.logout")
        check_refused(c, s1, "refresh a logged-out token", "auth.refresh")
        check_eq(verify(c2, s2)["username"], "alice", "the other session")


def test_logout_race(t):
    """Revocation wins over the verified-token cache even under load:
    while c2 pipelines verifies of a token, c logs it out; every verify
    sent after the logout's answer was read is refused."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        register(c, "alice")
        tok = login(c, "alice")["token"]
        for _ in range(5):
            early = [c2.request("auth.verify", {"token": tok})
                     for _ in range(20)]
            c.request("auth.logout", {"token": tok})
            msg = c.read_response()
            check_eq(msg[2:], [None, {}], "logout answered")
            late = [c2.request("auth.verify", {"token": tok})
                    for _ in range(20)]
            answers = read_answers(c2, early + late)
            for msgid in late:
                msg = answers[(c2, msgid)]
                check_error_pair(msg[2], msg[3], "verify after logout")
                check_eq(msg[2][0], "unauthorized", "late verify refused",
                         message=msg[2][1])
            tok = login(c, "alice")["token"]


def test_logout_all(t):
    """auth.logout_all revokes every session of that user (count
    included), at once, and no other user's."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        register(c, "alice")
        register(c, "bob")
        a1 = login(c, "alice")["token"]
        a2 = login(c, "alice")["token"]
        b1 = login(c, "bob")["token"]
        for tok in (a1, a2, b1):
            verify(c, tok)
            verify(c2, tok)
        check_eq(c.call_ok("auth.logout_all", {"token": a1}),
                 {"revoked": 2}, "alice's two sessions revoked")
        for conn in (c, c2):
            check_refused(conn, a1, "the calling session")
            check_refused(conn, a2, "alice's other session")
        check_eq(verify(c2, b1)["username"], "bob", "bob's session lives")
        check_refused(c, a2, "logout_all with a revoked token",
                      "auth.logout_all")
        a3 = login(c, "alice")["token"]
        check_eq(verify(c2, a3)["username"], "alice", "alice logs in again")
        check_eq(c.call_ok("auth.logout_all", {"token": b1}),
                 {"revoked": 1}, "bob's one session")
        check_refused(c2, b1, "bob's session")
        check_eq(verify(c2, a3)["username"], "alice", "alice's new session")


def test_refresh(t):
    """auth.refresh: a new token with a new expiry; the old one is
    refused at once, everywhere."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        uid = register(c, "alice")
        old = login(c, "alice")
        verify(c, old["token"])
        verify(c2, old["token"])
        now = advance(c, 1000)
        res = c.call_ok("auth.refresh", {"token": old["token"]})
        check_eq(sorted(res), ["expires_at", "token"], "refresh keys",
                 result=res)
        check_token(res["token"])
        check(res["token"] != old["token"], "a new token")
        near(res["expires_at"], now + TTL, 5,
             "expires_at from the daemon's (advanced) now")
        check_refused(c, old["token"], "old token, same connection")
        check_refused(c2, old["token"], "old token, other connection")
        check_refused(c, old["token"], "refresh the old token again",
                      "auth.refresh")
        check_eq(verify(c2, res["token"]),
                 {"user_id": uid, "username": "alice",
                  "expires_at": res["expires_at"]}, "the new token")


def test_refresh_once(t):
    """One token refreshes once: 10 refreshes of the same (recently
    verified) token sent at once give exactly one new token; the others
    are unauthorized, and only that one new token works."""
    with t.daemon().start() as d, d.client() as c:
        register(c, "alice")
        old = login(c, "alice")["token"]
        verify(c, old)
        outs = send_on_many(d, 10, "auth.refresh", {"token": old})
        new = [res["token"] for e, res in outs if e is None]
        refused = [e for e, res in outs if e is not None]
        t.diag("10 concurrent refreshes of one token: %d new tokens"
               % len(new))
        for e in refused:
            check_eq(e[0], "unauthorized", "a refused refresh", message=e[1])
        live = [tok for tok in new
                if c.call("auth.verify", {"token": tok})[0] is None]
        check_eq(len(new), 1, "exactly one refresh succeeded",
                 new_tokens=len(new), live=len(live))
        check_refused(c, old, "the old token")


def wait_pool(c, key, n, timeout=5):
    """Poll server.stats (answered by the loop) until pool[key] == n."""
    deadline = time.monotonic() + timeout
    while True:
        st = c.call_ok("server.stats")
        if st["pool"][key] == n:
            return st
        check(time.monotonic() < deadline, "pool %s == %d within %ds"
              % (key, n, timeout), pool=st["pool"])
        time.sleep(0.005)


def test_refresh_queued_behind_logout_all(t):
    """A refresh queued behind a logout_all of the same user (the only
    handle held, so the order is known) must not leave a live session:
    whichever runs first, every session of the user is dead after both.
    The refresh's token was verified a moment before, so it is in the
    daemon's token cache when the refresh arrives."""
    with t.daemon("--pool-size", "1", "--pool-timeout-ms", "10000") \
            .start() as d, d.client() as c:
        register(c, "alice")
        tok = login(c, "alice")["token"]
        verify(c, tok)
        with d.client() as holder, d.client() as la, d.client() as rf:
            holder.request("test.sleep_write", {"ms": 500})
            wait_pool(c, "in_use", 1)
            la.request("auth.logout_all", {"token": tok})
            wait_pool(c, "waiting", 1)
            rf.request("auth.refresh", {"token": tok})
            wait_pool(c, "waiting", 2)
            check_eq(holder.read_response()[2], None, "holder")
            msg = la.read_response()
            check_eq(msg[2:], [None, {"revoked": 1}], "logout_all")
            msg = rf.read_response()
        if msg[2] is None:
            new = msg[3]["token"]
            check_refused(c, new, "the token made by a refresh that ran "
                          "after logout_all")
        else:
            check_eq(msg[2][0], "unauthorized", "refresh after logout_all",
                     message=msg[2][1])
        check_refused(c, tok, "the old token")


def test_login_racing_password_change(t):
    """A login with the old password that started before a password change
    commits must not end with a session (nor bring the old password back):
    the change is queued first on the writer, the login's write step after
    it, so the order is known."""
    with t.daemon("--pool-size", "2", "--pool-timeout-ms", "10000") \
            .start() as d, d.client() as c:
        register(c, "alice")
        tok = login(c, "alice")["token"]
        with d.client() as holder, d.client() as pw, d.client() as li:
            holder.request("test.sleep_write", {"ms": 800})
            wait_pool(c, "in_use", 1)
            pw.request("user.password", {"token": tok, "old_password": PW,
                                         "new_password": "brand new pass"})
            wait_pool(c, "waiting", 1)
            li.request("auth.login", {"username": "alice", "password": PW})
            wait_pool(c, "waiting", 2)
            check_eq(holder.read_response()[2], None, "holder")
            check_eq(pw.read_response()[2:], [None, {}], "password change")
            msg = li.read_response()
        check_eq(msg[2], ["unauthorized", "wrong username or password"],
                 "login with the password that was just replaced")
        e = err(c, "auth.login", {"username": "alice", "password": PW})
        check_eq(e[0], "unauthorized", "old password after the change")
        check(login(c, "alice", "brand new pass")["token"], "new password")


def test_password_change(t):
    """user.password: wrong old password, bad new one, then success: old
    password refused, new one accepted, other sessions revoked, the
    calling session kept."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        register(c, "alice")
        register(c, "bob")
        s1 = login(c, "alice")["token"]
        s2 = login(c, "alice")["token"]
        b1 = login(c, "bob")["token"]
        for tok in (s1, s2, b1):
            verify(c2, tok)
        e = err(c, "user.password", {"token": s1, "old_password": PW2,
                                     "new_password": "new password 1"})
        check_eq(e, ["unauthorized", "wrong password"], "wrong old password")
        verify(c, s1)
        verify(c2, s2)
        for what, new in (("7 bytes", "n" * 7), ("1025 bytes", "n" * 1025)):
            e = err(c, "user.password", {"token": s1, "old_password": PW,
                                         "new_password": new})
            check_eq(e[0], "bad_request", "new password %s" % what,
                     message=e[1])
            check("'new_password'" in e[1], "names the field",
                  message=e[1])
        e = err(c, "user.password", {"token": s1, "new_password": PW2})
        check_eq(e, ["bad_request", "field 'old_password' is required: "
                     "give the current password to change it"],
                 "missing old_password")
        # Nothing changed so far.
        login(c, "alice")
        verify(c2, s2)

        check_eq(c.call_ok("user.password", {
            "token": s1, "old_password": PW, "new_password": PW2}), {},
            "password changed")
        check_refused(c2, s2, "other session, other connection, at once")
        check_refused(c, s2, "other session, same connection")
        check_eq(verify(c2, s1)["username"], "alice",
                 "the calling session works")
        check_eq(verify(c, b1)["username"], "bob", "bob is untouched")
        check_eq(err(c, "auth.login", {"username": "alice",
                                       "password": PW}),
                 WRONG_LOGIN, "the old password is refused")
        check_eq(login(c, "alice", PW2)["user_id"],
                 verify(c, s1)["user_id"], "the new password works")
        check_eq(verify(c, s1)["username"], "alice", "calling session still")


def test_expiry(t):
    """A token is refused once its 30 days have passed on the daemon's
    clock, with 'session expired; log in again'; a new login works."""
    with t.daemon().start() as d, d.client() as c, d.client() as c2:
        uid = register(c, "alice")
        a = login(c, "alice")
        verify(c, a["token"])
        verify(c2, a["token"])
        now0 = int(time.time())
        now = advance(c, TTL - 60)
        near(now, now0 + TTL - 60, 5, "test.clock's now")
        check_eq(verify(c2, a["token"])["user_id"], uid,
                 "a minute before expiry")
        now = advance(c, 61)
        check(now > a["expires_at"], "the clock is past expires_at",
              now=now, expires_at=a["expires_at"])
        for conn in (c, c2):
            check_eq(err(conn, "auth.verify", {"token": a["token"]}),
                     EXPIRED, "expired token")
        for method in ("user.profile", "auth.refresh", "auth.logout"):
            check_eq(err(c, method, {"token": a["token"]}), EXPIRED,
                     "%s with an expired token" % method)
        b = login(c, "alice")
        near(b["expires_at"], now + TTL, 5, "new expiry from the new now")
        check_eq(verify(c2, b["token"])["user_id"], uid, "the new token")
        # test.clock's bounds and cumulative moves.
        check_eq(advance(c, 0) >= now, True, "advance 0")
        for bad in (-1, 10 ** 9 + 1, "5"):
            e = err(c, "test.clock", {"advance_s": bad})
            check_eq(e[0], "bad_request", "advance_s %r" % (bad,),
                     message=e[1])


def test_token_ttl_flag(t):
    """--token-ttl-s 60: expires_at is now + 60; 61 s later it is
    refused."""
    with t.daemon("--token-ttl-s", "60").start() as d, d.client() as c:
        register(c, "alice")
        now0 = int(time.time())
        a = login(c, "alice")
        near(a["expires_at"], now0 + 60, 2, "expires_at")
        verify(c, a["token"])
        advance(c, 59 - (int(time.time()) - now0))
        verify(c, a["token"])
        advance(c, 3)
        check_eq(err(c, "auth.verify", {"token": a["token"]}), EXPIRED,
                 "expired after 60 s")


def test_malformed_tokens(t):
    """Missing, malformed and unknown tokens are unauthorized with the
    documented messages, for every method taking a token; nothing
    crashes and the connection stays usable.  (--auth token: in peer mode
    no token means the peer; test_identity.py covers that.)"""
    with t.daemon("--auth", "token").start() as d, d.client() as c:
        register(c, "alice")
        good = login(c, "alice")["token"]
        sid, secret = good[4:].split("_", 1)
        for method in TOKEN_METHODS:
            params = ({"old_password": PW, "new_password": PW2}
                      if method == "user.password" else None)
            check_eq(err(c, method, params), MISSING_TOKEN,
                     "%s without a token" % method)
        check_eq(err(c, "auth.verify", {}), MISSING_TOKEN, "empty map")
        a43 = "A" * 43
        bad = [
            ("empty", ""),
            ("prefix only", "cb1_"),
            ("short", "cb1_1_short"),
            ("10 KiB", "cb1_" + "x" * 10240),
            ("10 KiB, valid-looking head", good + "A" * 10240),
            ("other format", "eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_"),
            ("other version", "cb2_%s_%s" % (sid, secret)),
            ("capital prefix", "CB1_%s_%s" % (sid, secret)),
            ("unknown session", "cb1_999999_" + a43),
            ("session id 0", "cb1_0_" + a43),
            ("leading zero", "cb1_0%s_%s" % (sid, secret)),
            ("negative id", "cb1_-%s_%s" % (sid, secret)),
            ("id beyond int64", "cb1_99999999999999999999_" + a43),
            ("42 chars", "cb1_%s_%s" % (sid, secret[:42])),
            ("44 chars", "cb1_%s_%sA" % (sid, secret)),
            ("trailing newline", good + "\n"),
            ("leading space", " " + good),
            ("padding", good + "="),
            ("standard base64", "cb1_%s_%s" % (sid, "+" + secret[1:])),
            ("NUL inside", good[:20] + "\x00" + good[21:]),
            ("NUL after", good + "\x00"),
        ]
        for what, tok in bad:
            for method in ("auth.verify", "user.profile"):
                check_refused(c, tok, "%s token" % what, method)
        for what, value in (("int", 12345), ("array", [good]),
                            ("bin", good.encode()), ("bool", True)):
            e = err(c, "auth.verify", {"token": value})
            check_eq(e[0], "unauthorized", "%s token: code" % what,
                     message=e[1])
        # Invalid UTF-8 as a token.
        e, res = raw_call(c, "auth.verify", [("token", raw_str(b"\xff\xfe"))])
        check_error_pair(e, res, "auth.verify")
        check_eq(e[0], "unauthorized", "invalid UTF-8 token", message=e[1])
        # The connection and the real token still work.
        check_eq(c.call_ok("ping"), {"version": "0.1.0", "protocol": 1},
                 "ping on the same connection")
        check_eq(verify(c, good)["username"], "alice", "the real token")
        check_eq(d.proc.poll(), None, "cashbookd still running")


# ---------------------------------------------------------------- storage

def file_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def check_no_secrets(blobs, secrets, where):
    for name, data in blobs.items():
        for what, s in secrets.items():
            check(s not in data, "%s %s holds no %s" % (where, name, what))


def test_secrets_at_rest(t):
    """Neither passwords nor tokens (nor their secrets, in text or raw)
    are in the database files or the log; passwords are stored as argon2id
    strings with the default parameters, each with its own salt."""
    with t.daemon().start() as d, d.client() as c:
        pw_old = "Tr0ub4dor&3-old-pw"
        pw_new = "correct-horse-battery-staple-new"
        register(c, "alice", pw_old)
        register(c, "bob", pw_old)            # same password, other salt
        a = login(c, "alice", pw_old)["token"]
        keep = login(c, "alice", pw_old)["token"]
        c.call_ok("user.password", {"token": keep, "old_password": pw_old,
                                    "new_password": pw_new})
        b = c.call_ok("auth.refresh",
                      {"token": login(c, "bob", pw_old)["token"]})["token"]
        tokens = [keep, b]
        check_refused(c, a, "revoked by the password change")
        secrets = {"old password": pw_old.encode(),
                   "new password": pw_new.encode()}
        for i, tok in enumerate([a] + tokens):
            sec = tok.split("_", 2)[2]
            secrets["token %d" % i] = tok.encode()
            secrets["token %d secret" % i] = sec.encode()
            secrets["token %d raw secret" % i] = b64url_decode(sec)
            check_eq(len(b64url_decode(sec)), 32, "32 random bytes")

        def files():
            return {s or "db": file_bytes(d.db + s)
                    for s in ("", "-wal", "-shm")}
        check_no_secrets(files(), secrets, "running:")
        check_eq(d.stop(), 0, "exit status")
        blobs = files()
        check_no_secrets(blobs, secrets, "stopped:")
        check_no_secrets({"log": d.log_text().encode()}, secrets, "")

        tmp = tempfile.mkdtemp(prefix="cbit-copy-")
        try:
            copy = os.path.join(tmp, "copy.db")
            shutil.copyfile(d.db, copy)
            for s in ("-wal",):
                if os.path.exists(d.db + s):
                    shutil.copyfile(d.db + s, copy + s)
            con = sqlite3.connect("file:%s?mode=ro" % copy, uri=True)
            try:
                tables = [r[0] for r in con.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'")]
                check("users" in tables, "a users table", tables=tables)
                rows = con.execute("SELECT * FROM users").fetchall()
            finally:
                con.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        check_eq(len(rows), 2, "two users", rows=rows)
        hashes = []
        for row in rows:
            found = [v for v in row if isinstance(v, str) and
                     v.startswith("$argon2id$")]
            check_eq(len(found), 1, "one argon2id string per user", row=row)
            h = found[0]
            check(h.startswith(ARGON2_PREFIX), "default parameters", hash=h)
            parts = h[len(ARGON2_PREFIX):].split("$")
            check(len(parts) == 2 and
                  re.match(r"^[A-Za-z0-9+/]{22}$", parts[0]) and
                  re.match(r"^[A-Za-z0-9+/]{43}$", parts[1]),
                  "salt$hash in unpadded base64 (16 and 32 bytes)", hash=h)
            hashes.append(h)
        check(hashes[0] != hashes[1], "same password, different salts",
              hashes=hashes)


def test_argon2_flags_and_restart(t):
    """--argon2-t 3 is written into the stored string; after a restart
    with the defaults, the user logs in (parameters read back from the
    row), sessions survive, and revoked ones stay revoked."""
    with t.daemon("--argon2-t", "3").start() as d, d.client() as c:
        uid = register(c, "alice")
        live = login(c, "alice")["token"]
        dead = login(c, "alice")["token"]
        c.call_ok("auth.logout", {"token": dead})
        c.close()
        check_eq(d.stop(), 0, "exit status")
        con = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True)
        try:
            rows = con.execute("SELECT * FROM users").fetchall()
        finally:
            con.close()
        check(any(isinstance(v, str) and
                  v.startswith("$argon2id$v=19$m=19456,t=3,p=1$")
                  for v in rows[0]), "t=3 stored", rows=rows)
        with t.daemon(dir=d.dir).start() as d2, d2.client() as c2:
            check_eq(verify(c2, live)["user_id"], uid,
                     "a session survives the restart")
            check_refused(c2, dead, "a revoked session stays revoked")
            check_eq(login(c2, "alice")["user_id"], uid,
                     "login with the t=3 hash")
            e = err(c2, "user.register", {"username": "ALICE",
                                          "password": PW})
            check_eq(e[0], "conflict", "the user survives the restart",
                     message=e[1])


# ---------------------------------------------------------------- pool

def test_pool_isolation_during_hashing(t):
    """--pool-size 2: while 50 logins hash, 20 server.info calls from
    other connections each answer within 100 ms (hashing holds no
    handle); all 50 logins succeed, retrying when told to."""
    with t.daemon("--pool-size", "2").start() as d:
        nusers, nlogins = 10, 50
        with d.client() as c:
            uids = [register(c, "user%02d" % i) for i in range(nusers)]
        first_codes = {}
        outcomes = []
        errors = []
        lock = threading.Lock()
        sent = threading.Barrier(nlogins + 1, timeout=20)
        done = [0]

        def login_thread(i):
            name = "user%02d" % (i % nusers)
            try:
                with d.client(timeout=30) as lc:
                    msgid = lc.request("auth.login", {"username": name,
                                                      "password": PW})
                    sent.wait()
                    msg = lc.read_response()
                    check_eq(msg[1], msgid, "msgid")
                    e, res = msg[2], msg[3]
                    with lock:
                        code = None if e is None else e[0]
                        first_codes[code] = first_codes.get(code, 0) + 1
                    deadline = time.monotonic() + 30
                    while e is not None:
                        check(e[0] in ("unavailable", "rate_limited"),
                              "login refused only as busy", error=e)
                        check(time.monotonic() < deadline,
                              "login succeeds within 30 s", error=e)
                        time.sleep(0.02)     # a client's retry back-off
                        e, res = lc.call("auth.login", {"username": name,
                                                        "password": PW})
                    with lock:
                        outcomes.append((name, res))
                        done[0] += 1
            except Exception as ex:
                with lock:
                    errors.append("login %d: %r" % (i, ex))

        infos = [d.client() for _ in range(20)]
        want_info = infos[0].call_ok("server.info")
        threads = [threading.Thread(target=login_thread, args=(i,),
                                    daemon=True) for i in range(nlogins)]
        for th in threads:
            th.start()
        sent.wait()
        with lock:
            done_before = done[0]
        took = []
        for ic in infos:
            started = time.monotonic()
            res = ic.call_ok("server.info")
            took.append(time.monotonic() - started)
            check_eq(res, want_info, "server.info")
        with lock:
            done_after = done[0]
        for ic in infos:
            ic.close()
        for th in threads:
            th.join(60)
        check(not any(th.is_alive() for th in threads), "logins finished")
        t.diag("server.info latencies (ms): max %.1f, median %.1f; logins "
               "done before/after the infos: %d/%d; first answers: %s"
               % (max(took) * 1000, statistics.median(took) * 1000,
                  done_before, done_after, first_codes))
        check(not errors, "login threads failed", first=errors[:5])
        check(done_after < nlogins,
              "the infos ran while logins were still hashing",
              done_after=done_after)
        check(max(took) < 0.1, "every server.info within 100 ms",
              took_ms=[round(x * 1000, 1) for x in took])
        check_eq(len(outcomes), nlogins, "all logins succeeded")
        for name, res in outcomes:
            check_eq(res["user_id"], uids[int(name[4:])], "user_id",
                     name=name)
        check_eq(len({res["token"] for _, res in outcomes}), nlogins,
                 "50 distinct tokens")
        with d.client() as c:
            st = c.call_ok("server.stats")
        check_eq(st["pool"]["wait_timeouts"], 0, "no pool timeouts")
        check_eq(st["pool"]["size"], 2, "pool size")


def test_concurrent_upgrading_logins(t):
    """Two logins with the right password at once, both finding a hash
    stored with old parameters (--argon2-t 3, then the defaults): each
    upgrades it, and the second to write finds the first's upgrade.  Both
    must succeed: the second checks the password again against what is
    stored now, since only a hash can tell an upgrade from a change."""
    with t.daemon("--argon2-t", "3").start() as d, d.client() as c:
        register(c, "alice")
        c.close()
        check_eq(d.stop(), 0, "exit status")
        upgrading_logins(t, d.dir)


def upgrading_logins(t, directory):
    with t.daemon("--pool-size", "2", "--pool-timeout-ms", "10000",
                  dir=directory).start() as d2, d2.client() as c2:
        with d2.client() as holder, d2.client() as a, d2.client() as b:
            # Both logins read the old hash and hash (no writer needed),
            # then wait for the writer, which the holder keeps.
            holder.request("test.sleep_write", {"ms": 1500})
            wait_pool(c2, "in_use", 1)
            a.request("auth.login", {"username": "alice", "password": PW})
            b.request("auth.login", {"username": "alice", "password": PW})
            wait_pool(c2, "waiting", 2, timeout=10)
            check_eq(holder.read_response()[2], None, "holder")
            for who, conn in (("first", a), ("second", b)):
                msg = conn.read_response()
                check_eq(msg[2], None, "%s login succeeds" % who)
            # The retry did its second check with no writer held.
            check_eq(c2.call_ok("server.stats")["pool"]["in_use"], 0,
                     "at rest")
        con = sqlite3.connect("file:%s?mode=ro" % d2.db, uri=True)
        try:
            stored = con.execute("SELECT password_hash FROM users").fetchone()
        finally:
            con.close()
        check(stored[0].startswith("$argon2id$v=19$m=19456,t=2,p=1$"),
              "upgraded to the defaults", stored=stored[0])
        check(login(c2, "alice")["token"], "and it still logs in")


def test_hash_queue_counts_waiting(t):
    """--hash-workers 1 --hash-queue 1: one hash runs and one more may
    wait, so of three registrations sent at once two are served and the
    third is rate_limited (the running one is not counted as waiting)."""
    with t.daemon("--hash-workers", "1", "--hash-queue", "1").start() as d, \
            d.client() as c:
        c.send(b"".join(request_bytes(i, "user.register",
                                      {"username": "u%d" % i,
                                       "password": PW})
                        for i in (1, 2, 3)))
        got = {}
        for _ in range(3):
            msg = c.read_response()
            got[msg[1]] = msg[2]
        check_eq(sorted(k for k, e in got.items() if e is None), [1, 2],
                 "the running one and the waiting one are served",
                 answers=got)
        check_eq(got[3], ["rate_limited", "too many password checks in "
                          "progress; retry in a few seconds"], "the third")


TESTS = [
    test_register,
    test_register_bad_username,
    test_register_bad_password,
    test_login,
    test_login_timing,
    test_rate_limit,
    test_rate_limit_unknown_user,
    test_rate_limit_real_time,
    test_rate_limit_concurrent,
    test_verify_profile_isolation,
    test_logout,
    test_logout_race,
    test_logout_all,
    test_refresh,
    test_refresh_once,
    test_refresh_queued_behind_logout_all,
    test_login_racing_password_change,
    test_password_change,
    test_expiry,
    test_token_ttl_flag,
    test_malformed_tokens,
    test_secrets_at_rest,
    test_argon2_flags_and_restart,
    test_pool_isolation_during_hashing,
    test_concurrent_upgrading_logins,
    test_hash_queue_counts_waiting,
]

if __name__ == "__main__":
    main(TESTS, {"test_pool_isolation_during_hashing": 120})
