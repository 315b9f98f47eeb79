#!/usr/bin/python3
"""
test_ctl_watch.py -- cashbookctl watch against a real cashbookd: the lines
people read, the JSON Lines scripts read, catching up from the change feed
after cashbookd restarts, and how a watch ends (access lost, session
ended).  alice and bob are token accounts, each in their own HOME.

The watch runs as a child whose stdout and stderr are read line by line
by threads; every wait is for a line (with a deadline), never a sleep.

Usage: test_ctl_watch.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, wait_until  # noqa
from test_ctl_books import User  # noqa
from test_ctl_sharing import pair, share  # noqa
from test_docs import SRC, extract  # noqa

WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d"
LINE_TIMEOUT = 20


def readme_block(lang, containing):
    """The README's fenced block of lang that contains the text (read the
    way it-docs reads every block)."""
    for b in extract("README.md"):
        text = "\n".join(b.lines) + "\n"
        if b.lang == lang and containing in text:
            return text
    raise AssertionError("README has no %s block with %r" % (lang,
                                                             containing))


class Watch:
    """cashbookctl ARGS watch, running; its output lines as they come.
    With argv= and env=, any program instead (killed with its process
    group)."""

    def __init__(self, user, *args, argv=None, env=None):
        self.proc = subprocess.Popen(
            argv or user.argv(list(args)), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env or user.env(), start_new_session=True)
        self.out = queue.Queue()
        self.err = queue.Queue()
        self.readers = [
            threading.Thread(target=self._read, args=(f, q), daemon=True)
            for f, q in ((self.proc.stdout, self.out),
                         (self.proc.stderr, self.err))]
        for r in self.readers:
            r.start()

    @staticmethod
    def _read(f, q):
        for raw in iter(f.readline, b""):
            q.put(raw.decode("utf-8", "replace").rstrip("\n"))
        q.put(None)

    def line(self, what, q=None):
        try:
            got = (q or self.out).get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            got = None
        check(got is not None, "a line: " + what, exit=self.proc.poll())
        return got

    def json(self, what):
        return json.loads(self.line(what))

    def err_line(self, what):
        return self.line(what, self.err)

    def rest(self):
        """Everything left on stdout after the watch ended."""
        lines = []
        while True:
            got = self.out.get(timeout=LINE_TIMEOUT)
            if got is None:
                return lines
            lines.append(got)

    def ended(self):
        """The exit status of a watch that ends by itself."""
        try:
            return self.proc.wait(LINE_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        for r in self.readers:
            r.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


# ---------------------------------------------------------------- tests

def test_lines(t):
    """One line per change, in people's words: who, what (type, amount in
    the book's currency, date), the balance after; a refused write shows
    nothing; a rename shows both names."""
    with t.daemon().start() as d:
        a, b = pair(t, d)
        with a, b:
            share(a, b, can="add")
            with Watch(a, "watch", "--book", "Household") as w:
                check_eq(w.line("the start"),
                         "watching 'Household': balance 0.00 EUR", "start")
                b.ok("--book", "alice/Household", "add", "out", "4.20",
                     "--date", "2026-11-28")
                got = w.line("add")
                check(re.fullmatch(
                    WHEN + r" Household: bob added entry 1: out 4\.20 EUR "
                    r"on 2026-11-28; balance -4\.20 EUR", got),
                    "bob's add", got=got)
                b.fails(1, "--book", "alice/Household", "rm", "1")
                a.ok("edit", "1", "--amount", "5")
                got = w.line("edit")
                check(re.fullmatch(
                    WHEN + r" Household: alice changed entry 1: out 5\.00 "
                    r"EUR on 2026-11-28; balance -5\.00 EUR", got),
                    "the refused rm showed nothing; alice's edit", got=got)
                a.ok("rm", "1")
                got = w.line("rm")
                check(got.endswith(" Household: alice moved entry 1 to the "
                                   "trash: out 5.00 EUR on 2026-11-28; "
                                   "balance 0.00 EUR"), "trash", got=got)
                a.ok("restore", "1")
                got = w.line("restore")
                check(got.endswith("alice restored entry 1: out 5.00 EUR on "
                                   "2026-11-28; balance -5.00 EUR"),
                      "restore", got=got)
                a.ok("book", "rename", "Household", "Home")
                got = w.line("rename")
                check(got.endswith(" Home: alice renamed 'Household' to "
                                   "'Home'; balance -5.00 EUR"),
                      "rename", got=got)
            # bob sees the book as alice/Home.
            with Watch(b, "watch", "--book", "alice/Home") as w:
                check_eq(w.line("bob's start"),
                         "watching 'alice/Home': balance -5.00 EUR",
                         "bob's name for the book")


def test_json_lines(t):
    """--json: one object per line, each event as sent plus book,
    currency, who, balance_text; seq consecutive; a book made later joins
    a watch of every book."""
    with t.daemon().start() as d, User(t, d) as a:
        a.login("alice")
        a.ok("book", "create", "Household", "--currency", "EUR")
        a.ok("add", "in", "10", "--date", "2026-12-01")
        with Watch(a, "--json", "watch") as w:
            first = w.json("start")
            check_eq({k: first[k] for k in ("kind", "book", "balance",
                                            "balance_text", "currency")},
                     {"kind": "watching", "book": "Household",
                      "balance": 1000, "balance_text": "10.00",
                      "currency": "EUR"}, "the start")
            seq = first["seq"]
            for amount in ("1.50", "2", "0.05"):
                a.ok("add", "out", amount, "--date", "2026-12-02")
            bal = 1000
            for amount, minor in (("1.50", 150), ("2", 200), ("0.05", 5)):
                ev = w.json("add " + amount)
                bal -= minor
                seq += 1
                check_eq({k: ev[k] for k in ("kind", "seq", "balance",
                                             "balance_text", "who",
                                             "book")},
                         {"kind": "entry_added", "seq": seq, "balance": bal,
                          "balance_text": "%d.%02d" % (bal // 100,
                                                        bal % 100),
                          "who": "alice", "book": "Household"},
                         "event for " + amount)
            a.ok("book", "create", "Travel", "--currency", "JPY")
            a.ok("--book", "Travel", "add", "out", "500")
            ev = w.json("book created")
            check_eq((ev["kind"], ev["book"], ev["seq"], ev["currency"]),
                     ("book_created", "Travel", 1, "JPY"), "book_created")
            ev = w.json("add in the new book")
            check_eq((ev["kind"], ev["book"], ev["seq"], ev["balance_text"]),
                     ("entry_added", "Travel", 2, "-500"), "joined")


def test_restart_catches_up(t):
    """cashbookd stops; changes are made while the watch is away (through
    another cashbookd on the same database); cashbookd comes back: the
    watch reconnects and shows exactly the missed changes, once each, in
    order, then goes on live."""
    d0 = d = t.daemon().start()
    try:
        with User(t, d) as a:
            a.login("alice")
            a.ok("book", "create", "Household", "--currency", "EUR")
            with Watch(a, "--json", "watch", "--book", "Household") as w:
                seq = w.json("start")["seq"]
                a.ok("add", "in", "1")
                check_eq(w.json("live add")["seq"], seq + 1, "live")
                d.stop()
                check("lost cashbookd" in w.err_line("lost"),
                      "says it lost cashbookd")
                other = os.path.join(d.dir, "other.sock")
                with t.daemon(dir=d.dir, socket_path=other).start():
                    for amount in ("2", "3"):
                        a.ok("--socket", other, "add", "in", amount)
                d = t.daemon(dir=d.dir).start()
                check_eq(w.err_line("reconnected"),
                         "cashbookctl: reconnected; catching up",
                         "says it reconnected")
                got = [w.json("replayed"), w.json("replayed")]
                check_eq([(e["seq"], e["kind"], e.get("replayed"))
                          for e in got],
                         [(seq + 2, "entry_added", True),
                          (seq + 3, "entry_added", True)],
                         "the missed changes, once each")
                now = w.json("caught up")
                check_eq((now["kind"], now["seq"], now["balance_text"]),
                         ("watching", seq + 3, "6.00"), "then the balance")
                a.ok("add", "in", "4")
                ev = w.json("live again")
                check_eq((ev["seq"], ev["balance_text"]), (seq + 4, "10.00"),
                         "live again")
    finally:
        d.cleanup()
        d0.cleanup()


def test_access_lost_ends(t):
    """A member removed from the only book watched: the watch says so and
    ends with status 1."""
    with t.daemon().start() as d:
        a, b = pair(t, d)
        with a, b:
            share(a, b)
            with Watch(b, "watch", "--book", "alice/Household") as w:
                w.line("start")
                a.ok("member", "rm", "bob")
                check_eq(w.ended(), 1, "exit status")
                err = w.err_line("why")
                check("you can no longer see 'alice/Household'" in err,
                      "says why", err=err)


def test_every_book_goes_on(t):
    """Watching every book: losing one is a line (JSON: its access_lost
    event), and the watch goes on with the others."""
    with t.daemon().start() as d:
        a, b = pair(t, d)
        with a, b:
            bid = share(a, b)
            with Watch(b, "--json", "watch") as w:
                check_eq(w.json("start")["book"], "alice/Household",
                         "bob watches alice's book")
                a.ok("member", "rm", "bob")
                ev = w.json("removed")
                check_eq((ev["kind"], ev["book_id"], ev["book"]),
                         ("access_lost", bid, "alice/Household"),
                         "access_lost, named")
                b.ok("book", "create", "Mine", "--currency", "EUR")
                ev = w.json("his own book")
                check_eq((ev["kind"], ev["book"]), ("book_created", "Mine"),
                         "the watch goes on")


def test_logout_ends(t):
    """Logging the session out ends the watch: status 1, log in again."""
    with t.daemon().start() as d, User(t, d) as a:
        a.login("alice")
        a.ok("book", "create", "Household", "--currency", "EUR")
        with Watch(a, "watch") as w:
            w.line("start")
            a.ok("logout")
            check_eq(w.ended(), 1, "exit status")
            err = w.err_line("why")
            check("session has expired or was revoked" in err and
                  "cashbookctl login" in err, "says to log in", err=err)


def test_usage(t):
    """watch takes no operands; an unknown book is exit 1 before
    watching."""
    with t.daemon().start() as d, User(t, d) as a:
        a.login("alice")
        err = a.fails(2, "watch", "extra")
        check("watch" in err, "usage", err=err)
        err = a.fails(1, "watch", "--book", "Nope")
        check("Nope" in err, "names the book", err=err)
        out = a.ok("help", "watch")
        check("--json" in out and "reconnects" in out, "help", out=out)


def test_readme_i3blocks(t):
    """The README's i3blocks command, verbatim, through sh and jq: the
    balance at once, then again the moment someone adds an entry."""
    command = [ln for ln in readme_block("ini", "watch").split("\n")
               if ln.startswith("command=")][0][len("command="):]
    with t.daemon().start() as d, User(t, d) as a:
        a.login("alice")
        a.ok("book", "create", "Household", "--currency", "EUR")
        a.ok("add", "in", "2422.10")
        bindir = os.path.join(a.dir, "bin")
        os.mkdir(bindir)
        os.symlink(os.path.abspath(t.cashbookctl),
                   os.path.join(bindir, "cashbookctl"))
        env = a.env({"CASHBOOK_SOCKET": d.socket,
                     "PATH": bindir + ":" + os.environ.get("PATH", "")})
        with Watch(a, argv=["sh", "-c", command], env=env) as w:
            check_eq(w.line("the balance"), "Household 2422.10 EUR",
                     "at once")
            a.ok("add", "out", "4.20")
            check_eq(w.line("after an add"), "Household 2417.90 EUR",
                     "after an add")


def test_readme_c_program(t):
    """The README's libcashbook program, verbatim: compiled against the
    built library, it prints each change as it commits."""
    prog = readme_block("c", "cb_next_notification")
    client = os.path.dirname(os.path.abspath(t.cashbookctl))
    tmp = tempfile.mkdtemp(prefix="cbit-prog-")
    try:
        src = os.path.join(tmp, "watch.c")
        exe = os.path.join(tmp, "watch")
        with open(src, "w") as f:
            f.write(prog)
        cflags = ["-std=c11", "-Wall", "-Wextra", "-Werror"]
        if os.environ.get("CASHBOOK_SANITIZED") == "1":
            cflags += ["-fsanitize=address,undefined"]
        cc = subprocess.run(
            ["cc"] + cflags + ["-I", os.path.join(SRC, "client"), src,
                               "-o", exe, "-L", client, "-lcashbook",
                               "-lmsgpackc", "-Wl,-rpath," + client],
            capture_output=True, text=True, timeout=120)
        check_eq(cc.returncode, 0, "it compiles", stderr=cc.stderr)
        with t.daemon().start() as d, User(t, d) as a:
            a.ok("book", "create", "Household", "--currency", "EUR")
            env = a.env({"CASHBOOK_SOCKET": d.socket})
            with Watch(a, argv=[exe], env=env) as w:
                # Subscribed once cashbookd counts the subscription.
                wait_until(lambda: d.stats()["events"]["subscriptions"]
                           == 1, 20, "the program subscribed")
                a.ok("add", "out", "4.20")
                a.ok("rm", "1")
                check_eq([w.line("add"), w.line("rm")],
                         ["entry_added in book 1 (change 2)",
                          "entry_deleted in book 1 (change 3)"],
                         "its lines")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main([test_lines, test_json_lines, test_restart_catches_up,
          test_access_lost_ends, test_every_book_goes_on, test_logout_ends,
          test_usage,
          test_readme_i3blocks, test_readme_c_program])
