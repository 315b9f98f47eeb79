#!/usr/bin/python3
"""
test_storage.py -- storage that fails closed: the database files are
private, a database file replaced or removed under a running daemon is
never touched (requests answer `unavailable` until an operator restarts
cashbookd), one daemon per database, a full disk, and what a kill -9
keeps in either --synchronous mode.

Usage: test_storage.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)

The disk-full test mounts a 2 MiB tmpfs; where it cannot (not root, no
CAP_SYS_ADMIN) it is reported as a TAP skip with the reason.
"""
import errno
import hashlib
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_eq, pipeline  # noqa: E402
from books_common import PW, register_login  # noqa: E402

REPLACED_MSG = ("the database file was replaced while cashbookd was "
                "running; an operator must restart cashbookd")
REMOVED_MSG = ("the database file was removed while cashbookd was "
               "running; an operator must restore it and restart cashbookd")


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def error_lines(d, substring, start=0):
    """Log lines at error level (from index start on) containing
    substring, once every line the daemon wrote before the call has been
    read (the log is read by another thread): a new connection is logged
    after them (at debug level, which these daemons run at), so its line
    is waited for first."""
    mark = d.log_mark()
    with d.client():
        d.wait_log("connected", 5, start=mark)
    with d.log_cond:
        return [ln for ln in d.log[start:]
                if " error " in ln[:32] and substring in ln]


def sqlite_rows(path, sql):
    """Rows of sql on a database file no daemon has open, read-only."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def entry_calls(book_id, n, first=0):
    return [("entry.add", {"book_id": book_id, "type": "in",
                           "amount": 100 + i, "date": "2026-01-15",
                           "note": "n%d" % i})
            for i in range(first, first + n)]


def list_entry_ids(u, book_id):
    """Every live entry id of book_id, through entry.list pages."""
    ids, cursor = [], None
    while True:
        p = {"book_id": book_id, "limit": 500}
        if cursor is not None:
            p["cursor"] = cursor
        res = u.ok("entry.list", p)
        ids += [e["entry_id"] for e in res["entries"]]
        cursor = res["next_cursor"]
        if cursor is None:
            return sorted(ids)


# ---------------------------------------------------------------- modes

def test_database_files_private(t):
    """Started with a umask of 022 (as from a login shell), the database,
    its -wal and -shm and the database lock file are created 0600."""
    old = os.umask(0o022)
    try:
        d = t.daemon().start()
    finally:
        os.umask(old)
    with d, d.client() as c:
        register_login(c, "modes")      # a write: the WAL has frames
        for suffix in ("", "-wal", "-shm", ".lock"):
            path = d.db + suffix
            check(os.path.exists(path), "%s exists" % path)
            check_eq(stat.S_IMODE(os.stat(path).st_mode), 0o600,
                     "mode of %s" % os.path.basename(path))


# ---------------------------------------------------------------- swaps

def two_databases(t, pool_size="3"):
    """Daemon a (running, alice: user 1, book 1, 20 entries; its WAL holds
    frames) and, beside its database, other.db: a cleanly stopped
    database whose user 1 is bob with his own book 1.  Returns (a, alice,
    path of other.db, digest of other.db)."""
    a = t.daemon("--pool-size", pool_size, "--log-level", "debug").start()
    alice = register_login(a.client(), "alice")
    book = alice.book("alice's book")
    for err, _ in pipeline(alice.c, [(m, alice.params(p)) for m, p in
                                     entry_calls(book, 20)]):
        check(err is None, "alice's entry", error=err)
    other_dir = os.path.join(a.dir, "b")
    os.mkdir(other_dir, 0o700)
    with t.daemon(dir=other_dir).start() as b:
        bob = register_login(b.client(), "bob")
        check_eq(bob.user_id, alice.user_id, "both are user 1")
        check_eq(bob.book("bob's book"), book, "both books are book 1")
        bob.add(book, "out", 7, "2026-02-02")
        bob.c.close()
        check_eq(b.stop(), 0, "the other daemon's exit status")
    check(not os.path.exists(b.db + "-wal"), "the other database is "
          "checkpointed")
    other = os.path.join(a.dir, "other.db")
    shutil.copyfile(b.db, other)
    check(os.path.getsize(a.db + "-wal") > 0, "alice's WAL holds frames")
    return a, alice, other, digest(other)


def test_swap_fails_closed(t):
    """mv other.db c.db under a running daemon: every request (writes,
    reads with a cached token, new accounts, logins) answers unavailable
    saying the file was replaced and cashbookd must be restarted; the
    token cache is dropped; one error is logged; the swapped-in file is
    byte-for-byte untouched, also after the daemon stops; a restarted
    daemon serves the new file's content, intact."""
    a, alice, other, before = two_databases(t)
    with a:
        mark = a.log_mark()
        os.rename(other, a.db)
        # A write checks the file every time.
        err = alice.err("entry.add", {"book_id": 1, "type": "in",
                                      "amount": 5, "date": "2026-03-03"})
        check_eq(err, ["unavailable", REPLACED_MSG], "a write after the "
                 "swap")
        line = a.wait_log("was replaced", 5, start=mark)
        check(error_lines(a, "was replaced", mark), "logged at error "
              "level", line=line)
        check(a.db in line and "restart" in line, "the log line names "
              "the file and the remedy", line=line)
        a.wait_log("dropped the token cache", 5, start=mark)
        # Reads with alice's token (cached a moment ago), new accounts,
        # logins, on this and on new connections.
        calls = [("book.list", alice.params({})),
                 ("book.get", alice.params({"book_id": 1})),
                 ("entry.list", alice.params({"book_id": 1})),
                 ("server.info", None),
                 ("test.write", None),
                 ("auth.login", {"username": "bob", "password": PW}),
                 ("user.register", {"username": "eve", "password": PW})]
        for method, params in calls * 3:
            for c in (alice.c, a.client()):
                e, res = c.call(method, params)
                check_eq(e, ["unavailable", REPLACED_MSG],
                         "%s after the swap" % method, result=res)
        check_eq(len(error_lines(a, "was replaced", mark)), 1,
                 "logged once, not per request", log=a.log_text())
        check(not a.log_lines("recovered"), "no WAL was replayed",
              log=a.log_text())
        st = a.stats()
        check_eq(st["pool"]["in_use"], 0, "handles released")
        check_eq(st["pool"]["acquired"], st["pool"]["released"],
                 "acquired == released")
        check_eq(digest(a.db), before, "the swapped-in file is untouched "
                 "while the daemon runs")
        alice.c.close()
        check_eq(a.stop(), 0, "exit status")
        check_eq(digest(a.db), before, "and after it stopped")
        # Nothing beside it would replay the old database's frames onto
        # it at the next start.
        wal = a.db + "-wal"
        check(not os.path.exists(wal) or os.path.getsize(wal) == 0,
              "no frames of the old database are left in its -wal",
              size=os.path.exists(wal) and os.path.getsize(wal))

        # The operator restarts cashbookd: it serves the new file.
        with t.daemon(dir=a.dir).start() as r, r.client() as c:
            bob = None
            e, res = c.call("auth.login", {"username": "bob",
                                           "password": PW})
            check(e is None, "bob logs in on the restarted daemon", error=e)
            bob = res
            e, _ = c.call("auth.login", {"username": "alice",
                                         "password": PW})
            check_eq(e[0] if e else None, "unauthorized", "alice is not "
                     "in the new file")
            books = c.call_ok("book.list", {"token": bob["token"]})["books"]
            check_eq([(b["name"], b["count"]) for b in books],
                     [("bob's book", 1)], "bob's book as it was")
            check_eq(c.call_ok("server.info")["database"], a.db, "path")
        check_eq(sqlite_rows(a.db, "PRAGMA integrity_check"), [("ok",)],
                 "integrity_check")


def test_swap_seen_by_reads(t):
    """After the swap, reads alone (alice's cached token, on the writer and
    the reader handles) are served from the old file for at most the
    100 ms file-check interval and then answer unavailable; never once is
    bob's book shown to alice."""
    a, alice, other, before = two_databases(t)
    with a:
        alice_book = alice.ok("book.get", {"book_id": 1})["book"]
        check_eq(alice_book["name"], "alice's book", "before the swap")
        os.rename(other, a.db)
        started = time.monotonic()
        served = 0
        while True:
            e, res = alice.call("book.get", {"book_id": 1})
            took = time.monotonic() - started
            if e is not None:
                check_eq(e, ["unavailable", REPLACED_MSG], "a read once "
                         "the swap is seen")
                break
            check_eq(res["book"], alice_book, "a read before the swap is "
                     "seen serves the old file")
            served += 1
            check(took < 2.0, "reads notice the swap", took=took,
                  served=served)
        t.diag("reads served from the old file before the swap was "
               "seen: %d in %.0f ms" % (served, took * 1000))
        for _ in range(10):
            check_eq(alice.call("book.get", {"book_id": 1})[0],
                     ["unavailable", REPLACED_MSG], "every later read")
        check_eq(digest(a.db), before, "the swapped-in file is untouched")
        alice.c.close()


# ---------------------------------------------------------------- removal

def test_removed_database_not_recreated(t):
    """rm c.db c.db-wal c.db-shm under a running daemon: user.register
    (and every other database request) answers unavailable, no new file
    appears, now or after the daemon stops, and the error is logged once
    however many requests are refused."""
    with t.daemon("--pool-size", "2", "--log-level", "debug").start() as d, \
            d.client() as c:
        u = register_login(c, "carol")
        u.book("carol's book")
        mark = d.log_mark()
        for suffix in ("", "-wal", "-shm"):
            os.unlink(d.db + suffix)
        e, res = c.call("user.register", {"username": "dave",
                                          "password": PW})
        check_eq(e, ["unavailable", REMOVED_MSG], "user.register after "
                 "the removal", result=res)
        line = d.wait_log("was removed", 5, start=mark)
        check(error_lines(d, "was removed", mark), "logged at error level",
              line=line)
        check(d.db in line, "the log line names the file", line=line)
        check(not os.path.exists(d.db), "no new database file")
        calls = [("user.register", {"username": "dave%d" % i,
                                    "password": PW}) for i in range(10)]
        calls += [("book.list", u.params({})), ("server.info", None),
                  ("test.write", None)] * 20
        for err, _ in pipeline(c, calls):
            check_eq(err, ["unavailable", REMOVED_MSG], "every request")
        check_eq(len(error_lines(d, "was removed", mark)), 1,
                 "logged once for %d refused requests" % (len(calls) + 1),
                 log=d.log_text())
        check(c.call_ok("server.stats")["pool"]["in_use"] == 0,
              "handles released")
        for suffix in ("", "-wal", "-shm"):
            check(not os.path.exists(d.db + suffix),
                  "no %s recreated" % (d.db + suffix))
        check_eq(d.stop(), 0, "exit status")
        for suffix in ("", "-wal", "-shm"):
            check(not os.path.exists(d.db + suffix),
                  "no %s after the daemon stopped" % (d.db + suffix))


# ---------------------------------------------------------------- one daemon

def test_second_daemon_same_database(t):
    """A second cashbookd on the same --db through another socket exits 1
    naming the database and the daemon that holds it; the first keeps
    serving; once the first stops, the second may start."""
    with t.daemon().start() as a:
        c = a.client()
        c.call_ok("test.write")
        b = t.daemon(dir=a.dir, socket_path=os.path.join(a.dir, "b.sock"))
        b.spawn()
        check_eq(b.wait_exit(10), 1, "second daemon's exit status",
                 log=b.log_text())
        log = b.log_text()
        check(a.db in log, "the message names the database", log=log)
        check("pid %d" % a.pid in log, "and the daemon holding it",
              log=log)
        check(a.socket in log, "and its socket", log=log)
        check(not os.path.exists(b.socket), "the second never listened")
        check_eq(stat.S_IMODE(os.stat(a.db + ".lock").st_mode), 0o600,
                 "lock file mode")
        check(c.call_ok("test.write")["created_at"] > 0, "the first "
              "still serves")
        c.close()
        check_eq(a.stop(), 0, "the first's exit status")
        b2 = t.daemon(dir=a.dir, socket_path=b.socket).start()
        check(b2.call("test.write")[0] is None, "served once the first "
              "is gone")


# ---------------------------------------------------------------- disk full

def mount_skip_reason():
    """Why a small tmpfs cannot be mounted here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root to mount a small tmpfs"
    probe = tempfile.mkdtemp(prefix="cbit-probe-")
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k",
                            "tmpfs", probe], capture_output=True, timeout=10)
        if r.returncode != 0:
            return "cannot mount a tmpfs: %s" % (
                r.stderr.decode(errors="replace").strip() or
                "mount exited %d" % r.returncode)
        subprocess.run(["umount", probe], capture_output=True, timeout=30)
        return None
    except OSError as e:
        return "cannot run mount: %s" % e
    finally:
        os.rmdir(probe)


def fill(path):
    """Write path until the file system is full (ENOSPC)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (1 << 16, 1 << 12, 1 << 9):
            block = b"\0" * size
            while True:
                try:
                    os.write(fd, block)
                except OSError as e:
                    check_eq(e.errno, errno.ENOSPC, "filled up")
                    break
    finally:
        os.close(fd)


def writes_until_full(u, book, acked, limit=400):
    """entry.add until one is refused; acked collects the ids of the ones
    acknowledged.  Returns the refusal."""
    for i in range(limit):
        e, res = u.call("entry.add", {"book_id": book, "type": "in",
                                      "amount": 1000 + i,
                                      "date": "2026-04-04",
                                      "note": "x" * 200})
        if e is not None:
            return e
        acked.append(res["entry_id"])
    raise harness.TestFailure("%d writes on a full file system all "
                              "succeeded" % limit)


def test_disk_full(t):
    """The database on a full 2 MiB tmpfs: writes answer unavailable
    `disk full while ...`, logged once at error level with the free space
    (not again until a write succeeds); reads go on and show every
    acknowledged write; writes resume once space is freed; after a kill -9
    every acknowledged write is still there."""
    base = tempfile.mkdtemp(prefix="cbit-full-")
    mnt = os.path.join(base, "fs")
    os.mkdir(mnt, 0o700)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700",
                        "tmpfs", mnt], capture_output=True, timeout=10)
    check_eq(r.returncode, 0, "mount the tmpfs", stderr=r.stderr)
    try:
        db = os.path.join(mnt, "c.db")
        with t.daemon("--log-level", "debug", db=db).start() as d:
            u = register_login(d.client(), "frank")
            book = u.book("full")
            acked = []
            for err, res in pipeline(u.c, [(m, u.params(p)) for m, p in
                                           entry_calls(book, 30)]):
                check(err is None, "a write before the disk is full",
                      error=err)
                acked.append(res["entry_id"])
            filler = os.path.join(mnt, "filler")
            fill(filler)
            mark = d.log_mark()
            e = writes_until_full(u, book, acked)
            check_eq(e[0], "unavailable", "code when the disk is full",
                     message=e[1])
            check(e[1].startswith("disk full while"), "says the disk is "
                  "full", message=e[1])
            for _ in range(10):
                check_eq(writes_until_full(u, book, acked, 1), e,
                         "every further write")
            lines = error_lines(d, "disk full", mark)
            check_eq(len(lines), 1, "logged once at error level",
                     log=d.log_text())
            check("bytes free" in lines[0] and mnt in lines[0],
                  "with the free space of the database's directory",
                  line=lines[0])
            # Reads go on, and see every acknowledged write.
            bal = u.balance(book)
            check_eq(bal["count"], len(acked), "count of entries")
            check_eq(list_entry_ids(u, book), sorted(acked), "entry ids")
            # Space returns: writes resume, and the next full disk is
            # logged again.
            os.unlink(filler)
            acked.append(u.add(book, "out", 1, "2026-04-05")["entry_id"])
            d.wait_log("writes succeed again", 5, start=mark)
            fill(filler)
            e2 = writes_until_full(u, book, acked)
            check_eq(e2[0], "unavailable", "full again")
            check_eq(len(error_lines(d, "disk full", mark)), 2,
                     "logged again after writes had succeeded",
                     log=d.log_text())
            check_eq(list_entry_ids(u, book), sorted(acked), "entry ids")
            os.unlink(filler)
            u.c.close()
            d.kill()
            check_eq(d.proc.returncode, -signal.SIGKILL, "killed")
            with t.daemon(db=db, dir=d.dir).start() as d2, \
                    d2.client() as c:
                res = c.call_ok("auth.login", {"username": "frank",
                                               "password": PW})
                u.c, u.token = c, res["token"]
                check_eq(list_entry_ids(u, book), sorted(acked),
                         "every acknowledged write after a kill -9 and a "
                         "restart")
                t.diag("%d acknowledged writes kept" % len(acked))
            check_eq(sqlite_rows(db, "PRAGMA integrity_check"), [("ok",)],
                     "integrity_check")
    finally:
        harness.cleanup_all_daemons()
        subprocess.run(["umount", mnt], capture_output=True, timeout=30)
        shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------- kill -9

def test_kill9_keeps_acknowledged_writes(t):
    """docs/architecture.md, durability: a kill -9 keeps every
    acknowledged write with --synchronous full and with normal."""
    for mode in ("full", "normal"):
        with t.daemon("--synchronous", mode).start() as d:
            u = register_login(d.client(), "gina")
            book = u.book("kept")
            ids = []
            for err, res in pipeline(u.c, [(m, u.params(p)) for m, p in
                                           entry_calls(book, 300)]):
                check(err is None, "write", error=err)
                ids.append(res["entry_id"])
            u.c.close()
            d.kill()
            check_eq(d.proc.returncode, -signal.SIGKILL, "killed")
            with t.daemon(dir=d.dir).start() as d2, d2.client() as c:
                res = c.call_ok("auth.login", {"username": "gina",
                                               "password": PW})
                u.c, u.token = c, res["token"]
                check_eq(list_entry_ids(u, book), sorted(ids),
                         "--synchronous %s: every acknowledged write" % mode)
                check_eq(u.balance(book)["count"], 300, "count")


TESTS = [
    test_database_files_private,
    test_swap_fails_closed,
    test_swap_seen_by_reads,
    test_removed_database_not_recreated,
    test_second_daemon_same_database,
    test_disk_full,
    test_kill9_keeps_acknowledged_writes,
]

# Tests that need what this machine may not give: why not, or None.
SKIP_IF = {"test_disk_full": mount_skip_reason}
TIMEOUTS = {"test_swap_fails_closed": 120, "test_disk_full": 120}


def main():
    """harness.main, plus TAP skips ("ok N - name # SKIP reason")."""
    tap = harness.Tap(sys.argv)
    try:
        for fn in TESTS:
            name = fn.__name__
            if tap.only and name not in tap.only:
                continue
            reason = SKIP_IF[name]() if name in SKIP_IF else None
            if reason is not None:
                tap.n += 1
                print("ok %d - %s # SKIP %s" % (tap.n, name, reason))
                sys.stdout.flush()
                continue
            tap.run(fn, TIMEOUTS.get(name, 60))
    finally:
        harness.cleanup_all_daemons()
    tap.done()


if __name__ == "__main__":
    main()
