#!/usr/bin/python3
"""
test_ctl_accounts.py -- cashbookctl's account commands (register, login,
logout, whoami, passwd) against a real cashbookd: output, --json, exit
statuses, the token file (place, modes, atomic replace, refusal),
CASHBOOK_TOKEN, expired and revoked sessions, the login rate limit, and
the password prompt at a real (pseudo) terminal.

Every cashbookctl runs with HOME and XDG_CONFIG_HOME in a temporary
directory of the test, and in a new session without a controlling
terminal (so /dev/tty cannot be opened), except in the pty tests.

Usage: test_ctl_accounts.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import json
import os
import pty
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main  # noqa

TTL = 2592000                       # cashbookd's default --token-ttl-s
PW = "correct horse 1"
PW2 = "battery staple 2"
TOKEN_RE = re.compile(r"^cb1_[1-9][0-9]*_[A-Za-z0-9_-]{43}$")
NOT_LOGGED_IN = "cashbookctl: not logged in: run cashbookctl login\n"
SESSION_ENDED = ("cashbookctl: your session has expired or was revoked: "
                 "run cashbookctl login\n")
WRONG_LOGIN = "cashbookctl: wrong username or password\n"
TOKEN_MODE_HINT = ("hint: this cashbookd serves only users who log in (it "
                   "runs with --auth token)\n")


class Home:
    """A temporary HOME (and, optionally, XDG_CONFIG_HOME) for cashbookctl.
    The token file is then HOME/.config/cashbook/token, or
    XDG_CONFIG_HOME/cashbook/token."""

    def __init__(self, xdg=False):
        self.dir = tempfile.mkdtemp(prefix="cbit-home-")
        self.home = os.path.join(self.dir, "home")
        os.mkdir(self.home, 0o755)
        self.xdg = os.path.join(self.dir, "xdg") if xdg else None

    @property
    def token_file(self):
        if self.xdg is not None:
            return os.path.join(self.xdg, "cashbook", "token")
        return os.path.join(self.home, ".config", "cashbook", "token")

    def env(self):
        e = {"HOME": self.home}
        if self.xdg is not None:
            e["XDG_CONFIG_HOME"] = self.xdg
        return e

    def token(self):
        with open(self.token_file) as f:
            return f.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def ctl(t, d, home, *args, stdin=None, env=None, timeout=30):
    """Run cashbookctl against d (None: a socket where nothing listens)
    with home's environment; stdin is text or None (/dev/null).  Returns
    (status, stdout, stderr)."""
    e = {k: v for k, v in os.environ.items()
         if k not in ("CASHBOOK_SOCKET", "CASHBOOK_TOKEN", "HOME",
                      "XDG_CONFIG_HOME")}
    e.update(home.env())
    if env:
        e.update(env)
    sock = d.socket if d is not None else os.path.join(home.dir, "no.sock")
    p = subprocess.run(
        [t.cashbookctl, "--socket", sock] + list(args),
        input=stdin.encode() if stdin is not None else None,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True, timeout=timeout, env=e,
        start_new_session=True)     # no controlling terminal
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def ctl_ok(t, d, home, *args, **kw):
    code, out, err = ctl(t, d, home, *args, **kw)
    check_eq(code, 0, "cashbookctl %s exit status" % " ".join(args),
             stdout=out, stderr=err)
    return out, err


def register(t, d, home, name, password=PW):
    return ctl_ok(t, d, home, "register", "--username", name,
                  "--password-stdin", stdin=password + "\n")


def login(t, d, home, name, password=PW):
    return ctl_ok(t, d, home, "login", "--username", name,
                  "--password-stdin", stdin=password + "\n")


def verify_err(d, token):
    """auth.verify over a raw connection: the error pair, or None."""
    err, res = d.call("auth.verify", {"token": token})
    return err


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


# ---------------------------------------------------------------- tests

def test_register(t):
    with t.daemon().start() as d, Home() as h:
        out, err = register(t, d, h, "alice")
        check(re.fullmatch(r"registered alice \(user [0-9]+\); log in "
                           r"with: cashbookctl login\n", out),
              "register output", out=out)
        check_eq(err, "", "nothing on stderr")
        out, _ = ctl_ok(t, d, h, "--json", "register", "--username", "bob",
                        "--password-stdin", stdin=PW + "\n")
        got = json.loads(out)
        check_eq(sorted(got), ["user_id"], "--json register", out=out)
        # The same name, in another case: conflict, exit 1.
        code, out, err = ctl(t, d, h, "register", "--username", "ALICE",
                             "--password-stdin", stdin=PW + "\n")
        check_eq(code, 1, "duplicate register exit status", stderr=err)
        check("is taken" in err and "choose another username" in err,
              "duplicate register says so", stderr=err)
        code, out, err = ctl(t, d, h, "--json", "register", "--username",
                             "alice", "--password-stdin", stdin=PW + "\n")
        check_eq(code, 1, "duplicate register --json exit status")
        check_eq(json.loads(out)["error"]["code"], "conflict", "--json code")
        # A password of a length cashbookd refuses: said by cashbookctl
        # in a person's words, a usage-level mistake (exit 2).
        code, out, err = ctl(t, d, h, "register", "--username", "carol",
                             "--password-stdin", stdin="short\n")
        check_eq(code, 2, "short password exit status", stderr=err)
        check_eq(err, "cashbookctl: the password is too short: it must be "
                 "8 to 1024 bytes long; nothing was registered, try "
                 "again\n", "short password message")
        # Nothing was written anywhere.
        check(not os.path.exists(h.token_file), "register saves no token")


def test_usage(t):
    """Usage errors are exit 2 and need no daemon; a password never comes
    from argv, and never appears in a message."""
    with Home() as h:
        for args, stdin, what in (
                (["register", "--password-stdin"], PW + "\n",
                 "--password-stdin needs --username"),
                (["login", "--password-stdin"], PW + "\n",
                 "--password-stdin needs --username"),
                (["login", "--password=hunter22"], None, "unknown option"),
                (["login", "--password", "hunter22"], None, "unknown option"),
                (["login", "alice"], None, "takes no arguments"),
                (["logout", "--all=1"], None, "takes no value"),
                (["login", "--username"], None, "needs a value"),
                (["whoami", "--username", "x"], None, "unknown option")):
            code, out, err = ctl(t, None, h, *args, stdin=stdin)
            check_eq(code, 2, "exit status for %s" % args, stderr=err)
            check(what in err, "message for %s" % args, stderr=err)
            check("hunter22" not in err + out, "no password in the message",
                  stderr=err)
        for name in ("register", "login", "logout", "whoami", "passwd"):
            out, _ = ctl_ok(t, None, h, name, "--help")
            check(out.startswith("usage: cashbookctl [OPTIONS] %s" % name),
                  "%s --help" % name, out=out)
        out, _ = ctl_ok(t, None, h, "--help")
        for name in ("register", "login", "logout", "whoami", "passwd"):
            check(re.search(r"\n  %s +\S" % name, out),
                  "--help lists %s" % name, out=out)


def test_no_terminal(t):
    """Without a terminal and without --password-stdin, cashbookctl says to
    use --password-stdin (exit 2); an empty stdin is exit 2 too."""
    with t.daemon().start() as d, Home() as h:
        code, out, err = ctl(t, d, h, "login", "--username", "alice")
        check_eq(code, 2, "exit status", stderr=err)
        check("--password-stdin" in err, "says what to do", stderr=err)
        code, out, err = ctl(t, d, h, "register")
        check_eq(code, 2, "exit status without --username", stderr=err)
        check("--username" in err, "says what to do", stderr=err)
        code, out, err = ctl(t, d, h, "login", "--username", "alice",
                             "--password-stdin", stdin="")
        check_eq(code, 2, "exit status for an empty stdin", stderr=err)


def test_login_saves_token(t):
    with t.daemon().start() as d, Home() as h:
        register(t, d, h, "alice")
        out, err = login(t, d, h, "alice")
        m = re.fullmatch(r"logged in as alice; session expires "
                         r"(\d{4}-\d\d-\d\d)\n", out)
        check(m, "login output", out=out)
        cfg = os.path.join(h.home, ".config")
        check_eq(mode(h.token_file), 0o600, "token file mode")
        check_eq(mode(os.path.dirname(h.token_file)), 0o700,
                 "cashbook directory mode")
        check_eq(mode(cfg), 0o700, "created ~/.config mode")
        tok = h.token()
        check(tok.endswith("\n") and TOKEN_RE.match(tok[:-1]),
              "the file holds the token and a newline", token=tok)
        check_eq(verify_err(d, tok[:-1]), None, "the saved token works")
        check_eq(os.listdir(os.path.dirname(h.token_file)), ["token"],
                 "no temporary file left")

        # A second login replaces the file (a new inode: renamed in).
        ino = os.stat(h.token_file).st_ino
        out, _ = ctl_ok(t, d, h, "--json", "login", "--username", "alice",
                        "--password-stdin", stdin=PW + "\n")
        got = json.loads(out)
        check_eq(sorted(got), ["expires_at", "token_file", "user_id"],
                 "--json login keys", out=out)
        check_eq(got["token_file"], h.token_file, "token_file")
        tok2 = h.token()
        check(tok2 != tok, "a new token")
        check(tok2[:-1] not in out, "--json does not print the token")
        check(os.stat(h.token_file).st_ino != ino, "replaced by rename")
        check_eq(mode(h.token_file), 0o600, "mode after the replace")
        check_eq(os.listdir(os.path.dirname(h.token_file)), ["token"],
                 "still no temporary file")
        # Both sessions live: the first was not ended by the second.
        check_eq(verify_err(d, tok[:-1]), None, "the first session lives")

    # XDG_CONFIG_HOME wins over HOME; it is created as needed.
    with t.daemon().start() as d, Home(xdg=True) as h:
        register(t, d, h, "alice")
        login(t, d, h, "alice")
        check(h.token_file.startswith(h.xdg), "under XDG_CONFIG_HOME",
              path=h.token_file)
        check_eq(mode(h.token_file), 0o600, "token file mode")
        check(not os.path.exists(os.path.join(h.home, ".config")),
              "nothing under HOME")
        ctl_ok(t, d, h, "whoami")


def test_login_failures(t):
    """A wrong password is exit 1 with the fixed message; after 5 in a row
    the daemon's rate limit message is passed on, saying when to retry."""
    with t.daemon().start() as d, Home() as h:
        register(t, d, h, "alice")
        for i in range(5):
            code, out, err = ctl(t, d, h, "login", "--username", "alice",
                                 "--password-stdin", stdin="wrong pass\n")
            check_eq(code, 1, "wrong password exit status", stderr=err)
            check_eq(err, WRONG_LOGIN, "wrong password message")
        code, out, err = ctl(t, d, h, "login", "--username", "nobody",
                             "--password-stdin", stdin=PW + "\n")
        check_eq(err, WRONG_LOGIN, "an unknown user reads the same")
        code, out, err = ctl(t, d, h, "--json", "login", "--username",
                             "alice", "--password-stdin", stdin=PW + "\n")
        check_eq(code, 1, "rate limited exit status", stderr=err)
        check(re.fullmatch(r"cashbookctl: too many failed logins for this "
                           r"user; retry in [0-9]+ s\n", err),
              "rate limit message", stderr=err)
        check_eq(json.loads(out)["error"]["code"], "rate_limited",
                 "--json code")
        check(not os.path.exists(h.token_file), "no token file")


def test_whoami(t):
    with t.daemon().start() as d, Home() as h:
        register(t, d, h, "alice")
        login(t, d, h, "alice")
        out, _ = ctl_ok(t, d, h, "whoami")
        check(re.fullmatch(r"alice \(user [0-9]+\), session expires "
                           r"\d{4}-\d\d-\d\d \d\d:\d\d\n"
                           r"no unread notifications\n", out),
              "whoami output", out=out)
        out, _ = ctl_ok(t, d, h, "--json", "whoami")
        err, res = d.call("auth.verify", {"token": h.token()[:-1]})
        check_eq(json.loads(out), dict(res, via="token", unread=0),
                 "--json whoami: auth.verify, how, and what is unread")


def test_whoami_peer(t):
    """Without a token a peer-mode cashbookd (its default) answers as the
    account of the OS user; the CLI asks it rather than refusing."""
    with t.daemon().start() as d, Home() as h:
        code, out, err = ctl(t, d, h, "--json", "whoami")
        check_eq(code, 0, "whoami without a token", stderr=err)
        res = json.loads(out)
        err2, prof = d.call("user.profile", {})
        check_eq(res, {"user_id": prof["user_id"],
                       "username": prof["username"], "via": "peer",
                       "unread": 0}, "--json whoami as the peer")
        out, _ = ctl_ok(t, d, h, "whoami")
        check_eq(out, "%s (user %d), as your user on this machine (no "
                 "login needed)\nno unread notifications\n" %
                 (prof["username"], prof["user_id"]), "whoami as the peer")
        # A session wins over the peer.
        register(t, d, h, "alice")
        login(t, d, h, "alice")
        check_eq(json.loads(ctl_ok(t, d, h, "--json", "whoami")[0])["via"],
                 "token", "with a session")


def test_passwd_peer(t):
    """Without a session, passwd sets the first password of the peer
    account without asking for a current one; then login works by name,
    and the next passwd needs the current password."""
    with t.daemon().start() as d, Home() as h:
        err, prof = d.call("user.profile", {})
        check_eq(prof["has_password"], False, "no password yet")
        out, _ = ctl_ok(t, d, h, "passwd", "--password-stdin",
                        stdin=PW + "\n")
        check_eq(out, "password set; a program running as another user can "
                 "now log in with:\n  cashbookctl login --username %s\n"
                 % prof["username"], "passwd output")
        err, res = d.call("auth.login", {"username": prof["username"],
                                         "password": PW})
        check(err is None and res["user_id"] == prof["user_id"],
              "the peer account logs in by name", error=err)
        code, out, err = ctl(t, d, h, "passwd", "--password-stdin",
                             stdin="wrong password\n" + PW2 + "\n")
        check_eq((code, err.startswith("cashbookctl: wrong current "
                                       "password")), (1, True),
                 "now the current one is needed", stderr=err)
        out, _ = ctl_ok(t, d, h, "passwd", "--password-stdin",
                        stdin=PW + "\n" + PW2 + "\n")
        check_eq(out, "password changed; your other sessions were logged "
                 "out\n", "the second change")


def test_not_logged_in(t):
    """No token: logout says so before connecting (so also without a
    daemon); whoami and passwd ask cashbookd (a peer account may set a
    password), and one that wants a login (--auth token) gets the same
    message and why."""
    with t.daemon("--auth", "token").start() as d, Home() as h:
        code, out, err = ctl(t, d, h, "passwd", "--password-stdin",
                             stdin=PW + "\n" + PW2 + "\n")
        check_eq((code, err), (1, NOT_LOGGED_IN + TOKEN_MODE_HINT),
                 "passwd without a token, --auth token")
        for daemon in (d, None):
            for args in (["logout"], ["logout", "--all"]):
                code, out, err = ctl(t, daemon, h, *args,
                                     stdin=PW + "\n" + PW2 + "\n")
                check_eq(code, 1, "exit status for %s" % args, stderr=err)
                check_eq(err, NOT_LOGGED_IN, "message for %s" % args)
        code, out, err = ctl(t, d, h, "whoami")
        check_eq((code, err), (1, NOT_LOGGED_IN + TOKEN_MODE_HINT),
                 "whoami without a token, --auth token")
        code, out, err = ctl(t, d, h, "--json", "whoami")
        check_eq(json.loads(out), {"error": {
            "code": "not_logged_in",
            "message": "not logged in: run cashbookctl login"}}, "--json")
        # An empty token file is no token.
        os.makedirs(os.path.dirname(h.token_file), 0o700)
        with open(h.token_file, "w") as f:
            os.fchmod(f.fileno(), 0o600)
        code, out, err = ctl(t, d, h, "whoami")
        check_eq((code, err), (1, NOT_LOGGED_IN + TOKEN_MODE_HINT),
                 "empty token file")


def test_logout(t):
    with t.daemon().start() as d, Home() as h:
        register(t, d, h, "alice")
        login(t, d, h, "alice")
        tok = h.token()[:-1]
        out, _ = ctl_ok(t, d, h, "logout")
        check_eq(out, "logged out\n", "logout output")
        check(not os.path.exists(h.token_file), "the token file is gone")
        e = verify_err(d, tok)
        check(e is not None and e[0] == "unauthorized",
              "the old token is refused", error=e)
        out, _ = ctl_ok(t, d, h, "--json", "whoami")
        check_eq(json.loads(out)["via"], "peer",
                 "whoami after logout: the peer, not alice")
        # The old token, given back: the daemon refuses it.
        code, out, err = ctl(t, d, h, "whoami", env={"CASHBOOK_TOKEN": tok})
        check_eq((code, err), (1, SESSION_ENDED), "the old token refused")

        # Logging out of a session that already ended still removes the
        # file, exit 0.
        login(t, d, h, "alice")
        tok = h.token()[:-1]
        d.call("auth.logout", {"token": tok})
        out, _ = ctl_ok(t, d, h, "logout")
        check("already" in out, "says the session had already ended",
              out=out)
        check(not os.path.exists(h.token_file), "removed all the same")

        # --all ends every session of the user.
        login(t, d, h, "alice")
        other = h.token()[:-1]
        login(t, d, h, "alice")
        out, _ = ctl_ok(t, d, h, "--json", "logout", "--all")
        check_eq(json.loads(out), {"revoked": 2}, "--json logout --all")
        check(verify_err(d, other) is not None, "the other session ended")
        check(not os.path.exists(h.token_file), "the file is gone")


def test_passwd(t):
    with t.daemon().start() as d, Home() as h, Home() as other:
        register(t, d, h, "alice")
        login(t, d, h, "alice")
        login(t, d, other, "alice")
        code, out, err = ctl(t, d, h, "passwd", "--password-stdin",
                             stdin="not it at all\n" + PW2 + "\n")
        check_eq(code, 1, "wrong current password exit", stderr=err)
        check("wrong current password" in err, "says so", stderr=err)
        code, out, err = ctl(t, d, h, "passwd", "--password-stdin",
                             stdin=PW + "\n")
        check_eq(code, 2, "one line only: exit 2", stderr=err)
        out, _ = ctl_ok(t, d, h, "passwd", "--password-stdin",
                        stdin=PW + "\n" + PW2 + "\n")
        check("password changed" in out, "passwd output", out=out)
        # This session goes on; the other one was ended.
        ctl_ok(t, d, h, "whoami")
        code, out, err = ctl(t, d, other, "whoami")
        check_eq((code, err), (1, SESSION_ENDED),
                 "the other session was revoked")
        code, out, err = ctl(t, d, h, "login", "--username", "alice",
                             "--password-stdin", stdin=PW + "\n")
        check_eq((code, err), (1, WRONG_LOGIN), "the old password")
        login(t, d, h, "alice", PW2)


def test_token_env_override(t):
    """CASHBOOK_TOKEN wins over the file, which it leaves alone."""
    with t.daemon().start() as d, Home() as h, Home() as h2:
        register(t, d, h, "alice")
        register(t, d, h, "bob")
        login(t, d, h, "alice")
        login(t, d, h2, "bob")
        bob = h2.token()[:-1]
        out, _ = ctl_ok(t, d, h, "whoami", env={"CASHBOOK_TOKEN": bob})
        check(out.startswith("bob "), "CASHBOOK_TOKEN's user", out=out)
        out, _ = ctl_ok(t, d, h, "whoami", env={"CASHBOOK_TOKEN": ""})
        check(out.startswith("alice "), "an empty one is ignored", out=out)
        # Without a token file, or with one refused, CASHBOOK_TOKEN works.
        os.chmod(h.token_file, 0o644)
        out, _ = ctl_ok(t, d, h, "whoami", env={"CASHBOOK_TOKEN": bob})
        check(out.startswith("bob "), "the file is not even read", out=out)
        os.chmod(h.token_file, 0o600)
        # A login with CASHBOOK_TOKEN set notes that it still wins.
        _, err = ctl_ok(t, d, h, "login", "--username", "alice",
                        "--password-stdin", stdin=PW + "\n",
                        env={"CASHBOOK_TOKEN": bob})
        check("CASHBOOK_TOKEN" in err, "login notes the override",
              stderr=err)
        # logout with it: that session ends, the file stays.
        alice_file = h.token()
        ctl_ok(t, d, h, "logout", env={"CASHBOOK_TOKEN": bob})
        check_eq(h.token(), alice_file, "the file is untouched")
        check(verify_err(d, bob) is not None, "bob's session ended")
        ctl_ok(t, d, h, "whoami")
        code, out, err = ctl(t, d, h, "whoami",
                             env={"CASHBOOK_TOKEN": "not a token"})
        check_eq(code, 1, "a malformed CASHBOOK_TOKEN", stderr=err)
        check("CASHBOOK_TOKEN" in err, "names it", stderr=err)


def test_expired_session(t):
    """Past the token's lifetime (test.clock), commands say to log in
    again; a new login works."""
    with t.daemon().start() as d, Home() as h:
        register(t, d, h, "alice")
        login(t, d, h, "alice")
        ctl_ok(t, d, h, "whoami")
        err, res = d.call("test.clock", {"advance_s": TTL + 60})
        check(err is None, "test.clock", error=err)
        for args in (["whoami"], ["passwd", "--password-stdin"]):
            code, out, err = ctl(t, d, h, *args,
                                 stdin=PW + "\n" + PW2 + "\n")
            check_eq((code, err), (1, SESSION_ENDED), "after expiry: %s"
                     % args)
        code, out, err = ctl(t, d, h, "--json", "whoami")
        check_eq(json.loads(out)["error"]["code"], "unauthorized",
                 "--json code")
        check(os.path.exists(h.token_file), "whoami keeps the file")
        login(t, d, h, "alice")
        ctl_ok(t, d, h, "whoami")


def test_token_file_refused(t):
    """A token file others may read, a symbolic link, or garbage is
    refused with what to do; nothing is sent."""
    with t.daemon().start() as d, Home() as h:
        register(t, d, h, "alice")
        login(t, d, h, "alice")
        tok = h.token()
        os.chmod(h.token_file, 0o640)
        code, out, err = ctl(t, d, h, "whoami")
        check_eq(code, 1, "group-readable: exit status", stderr=err)
        check("refusing" in err and "chmod 600" in err and
              tok[:-1] not in err, "group-readable: message", stderr=err)
        os.chmod(h.token_file, 0o600)
        real = h.token_file + ".real"
        os.rename(h.token_file, real)
        os.symlink(real, h.token_file)
        code, out, err = ctl(t, d, h, "whoami")
        check_eq(code, 1, "symlink: exit status", stderr=err)
        check("symbolic link" in err, "symlink: message", stderr=err)
        os.unlink(h.token_file)
        with open(h.token_file, "w") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write("has a space\n")
        code, out, err = ctl(t, d, h, "whoami")
        check_eq(code, 1, "garbage: exit status", stderr=err)
        check("does not hold a token" in err, "garbage: message",
              stderr=err)
        # A token file without its newline is fine.
        with open(h.token_file, "w") as f:
            f.write(tok[:-1])
        ctl_ok(t, d, h, "whoami")


# ---------------------------------------------------------------- terminal

class Pty:
    """cashbookctl on a new pseudo terminal that is its controlling
    terminal (so it prompts on /dev/tty)."""

    def __init__(self, t, d, home, *args):
        env = {k: v for k, v in os.environ.items()
               if k not in ("CASHBOOK_TOKEN", "XDG_CONFIG_HOME")}
        env.update(home.env())
        argv = [t.cashbookctl, "--socket", d.socket] + list(args)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.out = b""
        self.status = None

    def expect(self, text, timeout=10):
        want = text.encode()
        deadline = time.monotonic() + timeout
        while want not in self.out:
            left = deadline - time.monotonic()
            r, _, _ = select.select([self.fd], [], [], max(left, 0))
            if not r:
                raise AssertionError("no %r from cashbookctl; got %r"
                                     % (text, self.out))
            try:
                data = os.read(self.fd, 4096)
            except OSError:         # EIO: the child closed the terminal
                data = b""
            if not data:
                raise AssertionError("cashbookctl ended before %r; got %r"
                                     % (text, self.out))
            self.out += data

    def echo(self):
        """Whether the terminal echoes now (the master shares the
        slave's settings)."""
        return bool(termios.tcgetattr(self.fd)[3] & termios.ECHO)

    def send(self, text):
        os.write(self.fd, text.encode())

    def wait(self, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid != 0:
                self.status = st
                self._drain(deadline)
                return st
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                raise AssertionError("cashbookctl did not exit; got %r"
                                     % self.out)
            try:                    # keep the terminal drained
                r, _, _ = select.select([self.fd], [], [], 0.05)
                if r:
                    self.out += os.read(self.fd, 4096)
            except OSError:
                time.sleep(0.05)

    def _drain(self, deadline):
        """Read what the child wrote before it exited: its exit can be
        seen before its last output is read.  With every slave end
        closed, the master reads the rest and then EIO."""
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.fd], [], [],
                                    max(deadline - time.monotonic(), 0))
            if not r:
                return
            try:
                data = os.read(self.fd, 4096)
            except OSError:         # EIO: all read
                return
            if not data:
                return
            self.out += data

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        os.close(self.fd)


def test_prompt(t):
    """At a terminal: Username echoed, passwords not; mismatch exit 2;
    then a full interactive register and login."""
    with t.daemon().start() as d, Home() as h:
        p = Pty(t, d, h, "register")
        try:
            p.expect("Username: ")
            check(p.echo(), "the username is echoed")
            p.send("alice\n")
            p.expect("Password: ")
            check(not p.echo(), "the password is not echoed")
            p.send(PW + "\n")
            p.expect("Repeat password: ")
            p.send(PW + "x\n")
            st = p.wait()
            check_eq(os.WEXITSTATUS(st), 2, "mismatch: exit 2",
                     out=p.out)
            check(b"do not match" in p.out, "says so", out=p.out)
            check(PW.encode() not in p.out, "no password on screen",
                  out=p.out)
        finally:
            p.close()

        p = Pty(t, d, h, "register", "--username", "alice")
        try:
            p.expect("Password: ")
            p.send(PW + "\n")
            p.expect("Repeat password: ")
            p.send(PW + "\n")
            st = p.wait()
            check_eq(os.WEXITSTATUS(st), 0, "register", out=p.out)
            check(b"registered alice" in p.out, "registered", out=p.out)
        finally:
            p.close()

        p = Pty(t, d, h, "login")
        try:
            p.expect("Username: ")
            p.send("alice\n")
            p.expect("Password: ")
            p.send(PW + "\n")
            st = p.wait()
            check_eq(os.WEXITSTATUS(st), 0, "login", out=p.out)
            check(b"logged in as alice" in p.out, "logged in", out=p.out)
            check(PW.encode() not in p.out, "no password on screen",
                  out=p.out)
        finally:
            p.close()
        ctl_ok(t, d, h, "whoami")


def test_prompt_typed_ahead(t):
    """Both passwords typed (or pasted) at once, before the second prompt:
    the second line is kept for it, not thrown away (which left
    cashbookctl waiting at 'Repeat password: ')."""
    with t.daemon().start() as d, Home() as h:
        p = Pty(t, d, h, "register", "--username", "alice")
        try:
            p.expect("Password: ")
            p.send(PW + "\n" + PW + "\n")
            st = p.wait()
            check_eq(os.WEXITSTATUS(st), 0, "register", out=p.out)
            check(b"registered alice" in p.out, "registered", out=p.out)
            check(PW.encode() not in p.out, "no password on screen",
                  out=p.out)
        finally:
            p.close()


def test_prompt_short_password(t):
    """A password too short is refused after the first entry: it is not
    asked again, and nothing is registered or changed."""
    with t.daemon().start() as d, Home() as h:
        p = Pty(t, d, h, "register", "--username", "alice")
        try:
            p.expect("Password: ")
            p.send("short\n")
            st = p.wait()
            check_eq(os.WEXITSTATUS(st), 2, "short: exit 2", out=p.out)
            check(b"too short: it must be 8 to 1024 bytes" in p.out,
                  "says so", out=p.out)
            check(b"Repeat" not in p.out, "not asked twice", out=p.out)
        finally:
            p.close()
        code, out, err = ctl(t, d, h, "login", "--username", "alice",
                             "--password-stdin", stdin=PW + "\n")
        check_eq(code, 1, "nothing registered", stderr=err)
        # passwd: the peer account's first password, refused alike.
        p = Pty(t, d, h, "passwd")
        try:
            p.expect("New password: ")
            p.send("1234567\n")
            st = p.wait()
            check_eq(os.WEXITSTATUS(st), 2, "passwd short: exit 2",
                     out=p.out)
            check(b"too short" in p.out and b"nothing was changed" in
                  p.out, "passwd says so", out=p.out)
            check(b"Repeat" not in p.out, "passwd not asked twice",
                  out=p.out)
        finally:
            p.close()


def test_prompt_interrupted(t):
    """A signal while the password is asked ends cashbookctl as usual, and
    echo is back on."""
    with t.daemon().start() as d, Home() as h:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            # No session: the peer account's first password.
            p = Pty(t, d, h, "passwd")
            try:
                p.expect("New password: ")
                check(not p.echo(), "echo off while asking")
                os.kill(p.pid, sig)
                st = p.wait()
                check(os.WIFSIGNALED(st) and os.WTERMSIG(st) == sig,
                      "passwd killed by %s" % signal.Signals(sig).name,
                      status=st)
                check(p.echo(), "echo restored")
            finally:
                p.close()
            p = Pty(t, d, h, "login", "--username", "alice")
            try:
                p.expect("Password: ")
                check(not p.echo(), "echo off while asking")
                p.send("half a pass")
                time.sleep(0.1)
                os.kill(p.pid, sig)
                st = p.wait()
                check(os.WIFSIGNALED(st) and os.WTERMSIG(st) == sig,
                      "killed by %s" % signal.Signals(sig).name, status=st)
                check(p.echo(), "echo restored after %s"
                      % signal.Signals(sig).name)
            finally:
                p.close()


TESTS = [
    test_register,
    test_usage,
    test_no_terminal,
    test_login_saves_token,
    test_login_failures,
    test_whoami,
    test_whoami_peer,
    test_passwd_peer,
    test_not_logged_in,
    test_logout,
    test_passwd,
    test_token_env_override,
    test_expired_session,
    test_token_file_refused,
    test_prompt,
    test_prompt_typed_ahead,
    test_prompt_short_password,
    test_prompt_interrupted,
]

if __name__ == "__main__":
    main(TESTS)
