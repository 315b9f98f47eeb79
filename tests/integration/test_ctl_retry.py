#!/usr/bin/python3
"""
test_ctl_retry.py -- what cashbookctl does when the answer to a request is
lost: add waits for cashbookd to come back and sends the entry again with
the same idempotency key, so it is added exactly once; when cashbookd does
not come back it names the key and the command that adds the entry at most
once; edit is never sent twice and says to look with show.

The request is made to be in flight by holding the writer (test.sleep_write)
so the add waits for it inside cashbookd, which is then killed with
SIGKILL.  An answer lost after the entry was added is made by a proxy that
drops the connection instead of passing entry.add's answer on.

Usage: test_ctl_retry.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import json
import os
import select
import shlex
import socket
import subprocess
import sys
import threading
import time

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, wait_until  # noqa
from test_ctl_books import User  # noqa

LOST = ("cashbookctl: the connection to cashbookd was lost; trying once "
        "more")


class Background:
    """cashbookctl run by u without waiting: its stderr is read as it
    comes, so a test can wait for a line."""

    def __init__(self, u, *args):
        self.p = subprocess.Popen(
            u.argv(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=u.env(), start_new_session=True)
        self.err = b""

    def wait_stderr(self, text, timeout=15):
        deadline = time.monotonic() + timeout
        fd = self.p.stderr.fileno()
        while text.encode() not in self.err:
            left = deadline - time.monotonic()
            r, _, _ = select.select([fd], [], [], max(left, 0))
            if not r:
                raise AssertionError("no %r from cashbookctl; stderr %r"
                                     % (text, self.err))
            data = os.read(fd, 4096)
            if not data:
                raise AssertionError("cashbookctl ended before %r; stderr "
                                     "%r" % (text, self.err))
            self.err += data

    def finish(self, timeout=30):
        """(status, stdout, stderr) once it exits."""
        out, err = self.p.communicate(timeout=timeout)
        self.err += err
        return self.p.returncode, out.decode(), self.err.decode()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate()


def add_in_flight(t, d, u, c, *args):
    """Start 'cashbookctl add ARGS' while the writer is held, and wait
    until its entry.add waits for the writer inside cashbookd."""
    c.request("test.sleep_write", {"ms": 60000})
    wait_until(lambda: d.stats()["pool"]["in_use"] >= 1, 5,
               "test.sleep_write holding the writer")
    b = Background(u, *args)
    wait_until(lambda: d.stats()["pool"]["waiting"] >= 1, 10,
               "the add waiting for the writer")
    return b


def setup(t, d):
    u = User(t, d)
    u.login()
    u.ok("book", "create", "Household", "--currency", "EUR")
    return u


def test_add_daemon_restarted(t):
    """cashbookd killed (SIGKILL) while an add is in flight, then started
    again: add waits, sends the same key again, the entry is added once."""
    with t.daemon("--pool-timeout-ms", "60000").start() as d, \
            d.client(timeout=70) as c:
        u = setup(t, d)
        b = add_in_flight(t, d, u, c, "--json", "add", "out", "12.50",
                          "--category", "Food")
        try:
            d.kill()
            b.wait_stderr(LOST)
            d2 = t.daemon(dir=d.dir).start()
            try:
                code, out, err = b.finish()
                check_eq(code, 0, "add after cashbookd came back",
                         stdout=out, stderr=err)
                res = json.loads(out)
                check_eq((res["balance"], res["replayed"]), (-1250, False),
                         "added by the second try", result=res)
                check_eq(err.count("trying once more"), 1, "one retry",
                         stderr=err)
                check_eq(u.json("balance")["count"], 1, "added once")
                rows = u.json("list")["entries"]
                check_eq([(r["amount"], r["category"]) for r in rows],
                         [(1250, "Food")], "the entry")
            finally:
                d2.cleanup()
        finally:
            b.kill()


def test_add_daemon_gone(t):
    """cashbookd killed and not started again: after waiting a few seconds
    add names the key and the command that adds the entry at most once
    (exit 1); that command, run once cashbookd is back, adds it once, and
    again says it was already added."""
    with t.daemon("--pool-timeout-ms", "60000").start() as d, \
            d.client(timeout=70) as c:
        u = setup(t, d)
        b = add_in_flight(t, d, u, c, "add", "in", "5", "--note",
                          "it's\nthe gift", "--tag", "x mas")
        try:
            d.kill()
            start = time.monotonic()
            code, out, err = b.finish()
            took = time.monotonic() - start
        finally:
            b.kill()
        check_eq(code, 1, "no answer: exit 1", stdout=out, stderr=err)
        check(4.5 <= took <= 10, "waited about 5 s", took=took)
        # The dying daemon's listener may still take the first reconnect
        # (the kernel closes it a moment after SIGKILL): that try is lost
        # too and says "again:".  What follows is the same.
        lines = [ln for ln in err.splitlines()
                 if not ln.startswith("cashbookctl: again: ")]
        check_eq(lines[0], LOST + " on a new connection, waiting up to 5 s "
                 "for cashbookd (the idempotency key makes that safe)",
                 "says it waits", stderr=err)
        key = lines[1].split("idempotency key ")[1].rstrip(")")
        check(key.startswith("ctl-") and len(key) == 36, "a made-up key",
              stderr=err)
        check_eq(lines[1], "cashbookctl: cashbookd did not answer, even "
                 "after waiting 5 s for it to come back: the entry may or "
                 "may not have been added (idempotency key %s)" % key,
                 "the message", stderr=err)
        check_eq(lines[2], "hint: once cashbookd runs again, this adds it "
                 "at most once (or says it was already added):",
                 "the hint", stderr=err)
        today = time.strftime("%Y-%m-%d")
        # The note's newline stays in single quotes, as in any POSIX
        # shell.
        want = ("cashbookctl --socket %s add in 5 --note 'it'\\''s\nthe "
                "gift' --tag 'x mas' --date %s --key %s"
                % (d.socket, today, key))
        check_eq("\n".join(lines[3:]), "  " + want, "the command",
                 stderr=err)
        check(err.endswith("\n"), "a whole line", stderr=err)

        d2 = t.daemon(dir=d.dir).start()
        try:
            check_eq(u.json("balance")["count"], 0, "nothing was added")
            argv = shlex.split(want)
            check_eq(argv[7], "it's\nthe gift", "the note, quoted")
            out = u.ok(*argv[1:])
            check(out.startswith("added entry 1: in 5.00 EUR on %s" % today),
                  "added", out=out)
            out = u.ok(*argv[1:])
            check(out.startswith("entry 1 was already added with this "
                                 "idempotency key"), "replayed", out=out)
            check_eq(u.json("balance")["count"], 1, "added once")
        finally:
            d2.cleanup()


class DropAddAnswer:
    """A Unix socket proxy in front of cashbookd that passes everything
    on, except that it closes the client's connection instead of passing
    on the answer to the first entry.add: the entry is added, its answer
    lost, as when cashbookd dies just after adding it."""

    def __init__(self, target, path):
        self.target = target
        self.path = path
        self.dropped = False
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lsock.bind(path)
        self.lsock.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                cs, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(cs,),
                             daemon=True).start()

    def _relay(self, cs):
        ds = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ds.connect(self.target)
        up = msgpack.Unpacker(raw=False)
        down = msgpack.Unpacker(raw=False)
        add_ids = set()
        try:
            while True:
                r, _, _ = select.select([cs, ds], [], [])
                if cs in r:
                    data = cs.recv(65536)
                    if not data:
                        return
                    up.feed(data)
                    for m in up:
                        if m[0] == 0 and m[2] == "entry.add":
                            add_ids.add(m[1])
                    ds.sendall(data)
                if ds in r:
                    data = ds.recv(65536)
                    if not data:
                        return
                    down.feed(data)
                    for m in down:
                        if (m[0] == 1 and m[1] in add_ids and
                                not self.dropped):
                            self.dropped = True
                            return      # closes both: the answer is lost
                    cs.sendall(data)
        finally:
            cs.close()
            ds.close()

    def close(self):
        self.lsock.close()


def test_add_answer_lost(t):
    """The entry is added but its answer lost: add sends it again and the
    answer says it was already added; one entry."""
    with t.daemon().start() as d:
        u = setup(t, d)
        proxy = DropAddAnswer(d.socket, os.path.join(d.dir, "proxy.sock"))
        try:
            sock = d.socket
            d.socket = proxy.path       # u runs cashbookctl on the proxy
            code, out, err = u.run("add", "in", "7")
            d.socket = sock
            check_eq(code, 0, "add", stdout=out, stderr=err)
            check(proxy.dropped, "the answer was dropped")
            check(err.startswith(LOST), "says it retries", stderr=err)
            check(out.startswith("entry 1 was already added with this "
                                 "idempotency key; nothing new was added; "
                                 "balance 7.00 EUR"), "already added",
                  out=out)
            check_eq(u.json("balance")["count"], 1, "added once")
        finally:
            proxy.close()


def test_edit_answer_lost(t):
    """edit is not sent again: it may or may not have been changed, and
    the hint gives the show command (exit 1)."""
    with t.daemon("--pool-timeout-ms", "60000").start() as d, \
            d.client(timeout=70) as c:
        u = setup(t, d)
        u.ok("add", "in", "5")
        b = add_in_flight(t, d, u, c, "edit", "1", "--note", "x")
        try:
            d.kill()
            code, out, err = b.finish()
        finally:
            b.kill()
        check_eq(code, 1, "edit: exit 1", stdout=out, stderr=err)
        check_eq(err, "cashbookctl: the answer from cashbookd was lost: "
                 "entry 1 may or may not have been changed\nhint: check it "
                 "with: cashbookctl --socket %s show 1\n" % d.socket,
                 "edit's message")


TESTS = [
    test_add_daemon_restarted,
    test_add_daemon_gone,
    test_add_answer_lost,
    test_edit_answer_lost,
]

if __name__ == "__main__":
    main(TESTS)
