#!/usr/bin/python3
"""
test_backup.py -- online backup and restore (daemon/backup.h,
daemon/restore.h, pool_swap in daemon/pool.h; docs/protocol.md
"server.backup", "server.restore"): a backup taken while 8 writers run is
sound and holds every entry acknowledged before it began; a restore under
load fails nothing but `unavailable`, and the data afterwards is exactly
the backup's; unfit files are refused and change nothing; the scheduled
backups rotate; `cashbookd --restore` offline; who may do it.

Usage: test_backup.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, pipeline, wait_until  # noqa
from books_common import clean_exits  # noqa

WRITERS = 8


def fill(c, book_id, n, amount=1):
    calls = [("entry.add", {"book_id": book_id, "type": "in",
                            "amount": amount,
                            "date": "2026-%02d-%02d" % (1 + i % 12,
                                                        1 + i % 28),
                            "note": "filler entry %d" % i})
             for i in range(n)]
    ids = []
    for e, r in pipeline(c, calls):
        check(e is None, "setup add", error=e)
        ids.append(r["entry_id"])
    return ids


def book(c, name):
    return c.call_ok("book.create", {"name": name})["book_id"]


def db_rows(path, sql, args=()):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def integrity(path):
    return db_rows(path, "PRAGMA integrity_check")[0][0]


def entries_of(path, book_id):
    return db_rows(path, "SELECT entry_id, type, amount, date, note, "
                   "deleted FROM entries WHERE book_id = ? ORDER BY "
                   "entry_id", (book_id,))


class Writers:
    """n threads, each on its own connection, adding entries to book_id
    until stopped.  Each answer is recorded with whether the `mark` event
    was set when it arrived; every error is kept."""

    def __init__(self, d, book_id, n=WRITERS):
        self.d = d
        self.book_id = book_id
        self.stop = threading.Event()
        self.mark = threading.Event()
        self.lock = threading.Lock()
        self.acked = []            # (entry_id, mark was set)
        self.errors = []
        self.threads = [threading.Thread(target=self.run, args=(i,),
                                         daemon=True) for i in range(n)]

    def run(self, i):
        with self.d.client(timeout=30) as c:
            k = 0
            while not self.stop.is_set():
                k += 1
                e, r = c.call("entry.add", {
                    "book_id": self.book_id, "type": "out", "amount": 7,
                    "date": "2026-06-15", "note": "w%d-%d" % (i, k)})
                after = self.mark.is_set()
                with self.lock:
                    if e is None:
                        self.acked.append((r["entry_id"], after))
                    else:
                        self.errors.append(e)

    def __enter__(self):
        for th in self.threads:
            th.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for th in self.threads:
            th.join(30)


def test_backup_while_writers_run(t):
    """8 writers add entries while server.backup copies a 30,000-entry
    database in steps: the backup answers path/bytes/pages/duration_ms,
    is mode 0600, passes integrity_check, and holds every entry that was
    acknowledged before the backup was asked for; no writer failed, and
    nothing but the backup is left beside it."""
    with t.daemon("--synchronous", "normal").start() as d, \
            d.client(timeout=60) as c:
        b = book(c, "Ledger")
        fill(c, b, 30000)
        dest = os.path.join(d.dir, "out", "b.db")
        os.mkdir(os.path.dirname(dest))
        with Writers(d, b) as w:
            wait_until(lambda: len(w.acked) >= 200, 30, "writers going")
            w.mark.set()
            res = c.call_ok("server.backup", {"path": dest})
            n_during = len(w.acked)
            time.sleep(0.2)
        check_eq(sorted(res), ["bytes", "duration_ms", "pages", "path"],
                 "the result's keys", result=res)
        check_eq(res["path"], dest, "path")
        check_eq(res["bytes"], os.stat(dest).st_size, "bytes")
        check(res["pages"] > 1024, "more pages than one step copies",
              result=res)
        check_eq(res["bytes"], res["pages"] * 4096, "bytes = pages x 4096")
        check_eq(os.stat(dest).st_mode & 0o777, 0o600, "mode 0600")
        check_eq(os.listdir(os.path.dirname(dest)), ["b.db"],
                 "no temporary file, WAL or journal left")
        check_eq(w.errors, [], "no writer failed")
        check(n_during > 200, "writers ran during the backup",
              acked=n_during)
        check_eq(integrity(dest), "ok", "the backup's integrity_check")
        have = set(r[0] for r in db_rows(
            dest, "SELECT entry_id FROM entries WHERE book_id = ?", (b,)))
        before = [i for i, after in w.acked if not after]
        missing = [i for i in before if i not in have]
        check_eq(missing, [], "every entry acknowledged before the backup "
                 "is in it", acknowledged_before=len(before))
        check(len(have) >= 30000 + len(before), "and the 30,000 filler",
              have=len(have))
        totals = db_rows(dest, "SELECT cash_in, cash_out, entry_count FROM "
                         "books WHERE book_id = ?", (b,))[0]
        sums = db_rows(dest, "SELECT coalesce(sum(CASE type WHEN 'in' THEN "
                       "amount END), 0), coalesce(sum(CASE type WHEN 'out' "
                       "THEN amount END), 0), count(*) FROM entries WHERE "
                       "book_id = ? AND deleted = 0", (b,))[0]
        check_eq(totals, sums, "the backup is one snapshot: the book's "
                 "totals match its entries")
        st = d.stats()
        check_eq(st["backup"], {"running": False, "pages_done": res["pages"],
                                "pages_total": res["pages"]},
                 "server.stats backup")
        check_eq(st["pool"]["in_use"], 0, "no handle held")
        check(len(d.log_lines("info  backup: %s written" % dest)) == 1,
              "logged at info")


def test_backup_refuses(t):
    """Relative paths, the live database and its companions, a directory
    that is not there, a directory: bad_request, nothing written."""
    with t.daemon().start() as d, d.client() as c:
        book(c, "x")
        for path, want in [
                ("b.db", "give the backup file as an absolute path: "
                 "cashbookd does not run in your directory"),
                (d.db, "%s is the file of the live database; choose "
                 "another file" % d.db),
                (d.db + "-wal", "%s-wal is a file beside of the live "
                 "database; choose another file" % d.db),
                (os.path.join(d.dir, ".", "c.db"), None),
                (os.path.join(d.dir, "nope", "b.db"), None),
                (d.dir + "/", None)]:
            e = c.call("server.backup", {"path": path})[0]
            check_eq(e[0], "bad_request", "refused: " + path, error=e)
            if want:
                check_eq(e[1], want, "message for " + path)
        os.link(d.db, os.path.join(d.dir, "alias.db"))
        e = c.call("server.backup",
                   {"path": os.path.join(d.dir, "alias.db")})[0]
        check_eq(e, ["bad_request", "%s/alias.db is the live database "
                     "(another name for it); choose another file" % d.dir],
                 "a hard link to the live database")
        e = c.call("server.backup", {})[0]
        check_eq(e[0], "bad_request", "path is required")


def snapshot(d, c, books):
    """The rows of books as the daemon answers them."""
    out = {}
    for b in books:
        e, r = c.call("entry.list", {"book_id": b, "limit": 500})
        out[b] = (e, r and [(x["entry_id"], x["amount"]) for x in
                            r["entries"]])
    return out


def test_restore_under_load(t):
    """A backup of books A (500 entries) and L; then 300 more entries in A
    and a new book C.  While 8 writers add to L and 2 readers read A,
    and a test.sleep holds a handle so the barrier waits, server.restore
    puts the backup back: no request fails with anything but unavailable,
    and afterwards A's rows are exactly the backup's, C is gone, the old
    database is kept beside it, no old WAL is replayed and the pool is
    not lost."""
    with t.daemon().start() as d, d.client(timeout=60) as c:
        a = book(c, "A")
        lb = book(c, "L")
        fill(c, a, 500)
        dest = os.path.join(d.dir, "b.db")
        c.call_ok("server.backup", {"path": dest})
        later = fill(c, a, 300, amount=5)
        cb = book(c, "C")
        backup_a = entries_of(dest, a)
        check_eq(len(backup_a), 500, "the backup has A's 500 entries")
        read_errors = []
        stop = threading.Event()

        def reader():
            with d.client(timeout=30) as r:
                while not stop.is_set():
                    e, _ = r.call("book.balance", {"book_id": a})
                    if e is not None:
                        read_errors.append(e)

        readers = [threading.Thread(target=reader, daemon=True)
                   for _ in range(2)]
        with Writers(d, lb) as w:
            for th in readers:
                th.start()
            wait_until(lambda: len(w.acked) >= 100, 30, "writers going")
            with d.client() as h:
                h.request("test.sleep", {"ms": 300})
                mark = d.log_mark()
                res = c.call_ok("server.restore", {"path": dest})
                check_eq(h.read_response()[2], None, "the sleeper finished "
                         "(the barrier waited for it)")
            n_at_restore = len(w.acked)
            wait_until(lambda: len(w.acked) >= n_at_restore + 100, 30,
                       "writers go on after the restore")
            stop.set()
            for th in readers:
                th.join(30)
        check_eq(sorted(res), ["duration_ms", "path", "previous",
                               "schema_version"], "the result's keys")
        check_eq(res["path"], dest, "path")
        check(res["previous"].startswith(d.db + ".before-restore-"),
              "the old database is kept, dated", result=res)
        bad = [e for e in w.errors + read_errors if e[0] != "unavailable"]
        check_eq(bad, [], "no request failed but with unavailable",
                 errors=(w.errors + read_errors)[:5])
        check_eq(entries_of(d.db, a), backup_a,
                 "A's rows are exactly the backup's")
        got = c.call_ok("book.balance", {"book_id": a})
        check_eq((got["cash_in"], got["count"]), (500, 500),
                 "A's balance is the backup's")
        check_eq(c.call_err("book.get", {"book_id": cb}), "not_found",
                 "C, made after the backup, is gone")
        check_eq([r for r in entries_of(d.db, a) if r[2] == 5], [],
                 "none of the %d entries added after the backup is left"
                 % len(later))
        kept = entries_of(res["previous"], a)
        check_eq(len(kept), 800, "the kept copy has all 800 of A's entries")
        check_eq(integrity(res["previous"]), "ok", "the kept copy is sound")
        st = d.stats()
        check_eq(st["pool"]["replaced"], 0, "no handle replaced")
        check_eq(st["pool"]["in_use"], 0, "no handle held")
        check(d.wait_log("info  restore: %s is the database now" % d.db,
                         start=mark), "logged at info")
        check_eq(d.log_lines("was replaced by another file"), [],
                 "the pool was not lost")
        check(not os.path.exists(d.db + ".restore-tmp"), "nothing staged")
        # The writers' acknowledged entries after the restore are there.
        have = set(r[0] for r in db_rows(
            d.db, "SELECT entry_id FROM entries WHERE book_id = ?", (lb,)))
        # A restart reads the same: no old WAL replayed into the new file.
        before_restart = entries_of(d.db, a)
        d.stop()
        check_eq(entries_of(d.db, a), backup_a,
                 "after a stop, A is still the backup's")
        check_eq(before_restart, backup_a, "stable")
        check(len(have) > 0, "L has the writers' entries")


def test_waiting_past_deadline_gets_unavailable(t):
    """--pool-timeout-ms 300: a handle held for 1.5 s keeps the restore at
    its barrier; a request queued meanwhile passes its deadline and is
    answered unavailable, saying why; after the restore the daemon
    serves again."""
    with t.daemon("--pool-timeout-ms", "300").start() as d, \
            d.client() as c, d.client() as h, d.client() as q:
        book(c, "x")
        dest = os.path.join(d.dir, "b.db")
        c.call_ok("server.backup", {"path": dest})
        h.request("test.sleep", {"ms": 1500})
        wait_until(lambda: d.stats()["pool"]["in_use"] == 1, 10, "held")
        msgid = c.request("server.restore", {"path": dest})
        d.wait_log("pool: swap: waiting for 1 handle")
        e = q.call("server.info")[0]
        check_eq(e, ["unavailable", "the database is being restored from a "
                     "backup; retry in a moment"], "past its deadline")
        msg = c.read_response(timeout=20)
        check_eq((msg[1], msg[2]), (msgid, None), "the restore succeeded")
        check_eq(h.read_response()[2], None, "the holder finished")
        q.call_ok("server.info")


def test_restore_refuses_unfit_files(t):
    """A file that is not SQLite, an SQLite file that is not cashbook's, a
    corrupt backup, a newer schema, the live database itself, a missing
    file: bad_request saying which, and the database is untouched."""
    with t.daemon().start() as d, d.client() as c:
        b = book(c, "x")
        fill(c, b, 2000)
        good = os.path.join(d.dir, "good.db")
        c.call_ok("server.backup", {"path": good})
        fill(c, b, 10)
        junk = os.path.join(d.dir, "junk")
        with open(junk, "wb") as f:
            f.write(b"not a database at all\n" * 400)
        other = os.path.join(d.dir, "other.db")
        con = sqlite3.connect(other)
        con.execute("CREATE TABLE t (a)")
        con.commit()
        con.close()
        newer = os.path.join(d.dir, "newer.db")
        shutil.copy(good, newer)
        con = sqlite3.connect(newer)
        con.execute("PRAGMA user_version = 99")
        con.commit()
        con.close()
        corrupt = os.path.join(d.dir, "corrupt.db")
        shutil.copy(good, corrupt)
        size = os.path.getsize(corrupt)
        with open(corrupt, "r+b") as f:
            for off in range(8192, size - 4096, 4096 * 3):
                f.seek(off + 100)
                f.write(b"\xff" * 600)
        cases = [
            (junk, "%s is not a sound SQLite database: file is not a "
             "database" % junk),
            (other, "%s is not a cashbook database (it has no cashbook "
             "schema)" % other),
            (newer, "%s has schema version 99, newer than this cashbookd "
             "understands (5): upgrade cashbookd first" % newer),
            (corrupt, None),
            (d.db, "%s is the live database itself; name a backup of it"
             % d.db),
            (os.path.join(d.dir, "missing.db"), "cannot read %s: No such "
             "file or directory" % os.path.join(d.dir, "missing.db")),
            ("rel.db", "give the file to restore as an absolute path: "
             "cashbookd does not run in your directory"),
        ]
        for path, want in cases:
            e = c.call("server.restore", {"path": path})[0]
            check_eq(e[0], "bad_request", "refused: " + path, error=e)
            if want is not None:
                check_eq(e[1], want, "why, for " + path)
            else:
                check(e[1].startswith("%s is not a sound SQLite database"
                                      % path), "corrupt", error=e)
        check_eq(c.call_ok("book.balance", {"book_id": b})["count"], 2010,
                 "the database is untouched")
        check_eq([f for f in os.listdir(d.dir) if "restore" in f], [],
                 "nothing staged or kept")


def test_restore_migrates_an_older_schema(t):
    """A backup as a build with four migrations made it (no change feed:
    book_changes and books.seq dropped, user_version 4) is migrated on the
    way in: server.info says 5 and its data is there."""
    with t.daemon().start() as d, d.client() as c:
        b = book(c, "old")
        fill(c, b, 20)
        old = os.path.join(d.dir, "old.db")
        c.call_ok("server.backup", {"path": old})
        con = sqlite3.connect(old)
        con.executescript("DROP TABLE book_changes; ALTER TABLE books DROP "
                          "COLUMN seq; PRAGMA user_version = 4;")
        con.close()
        fill(c, b, 3)
        res = c.call_ok("server.restore", {"path": old})
        check_eq(res["schema_version"], 4, "the file's own version")
        check_eq(c.call_ok("server.info")["schema_version"], 5, "migrated")
        check_eq(c.call_ok("book.balance", {"book_id": b})["count"], 20,
                 "its data")
        fill(c, b, 2)
        check_eq(c.call_ok("book.balance", {"book_id": b})["count"], 22,
                 "and it takes writes")


def test_scheduled_backups_rotate(t):
    """--backup-every 1s --backup-keep 2: backups are written into the
    directory on their own, and once a fourth is written only the newest
    two are left, each a sound database; a file of another name there is
    left alone."""
    bdir = None
    with t.daemon("--backup-every", "1s", "--backup-keep", "2",
                  "--backup-dir", "PLACEHOLDER") as d:
        bdir = os.path.join(d.dir, "backups")
        d.args[d.args.index("PLACEHOLDER")] = bdir
        d.start()
        with d.client() as c:
            book(c, "x")
        os.makedirs(bdir, exist_ok=True)
        open(os.path.join(bdir, "keep-me.db"), "w").close()
        wait_until(lambda: len(d.log_lines("scheduled backup ")) >= 4, 30,
                   "four scheduled backups")
        wait_until(lambda: len(d.log_lines("backup rotation: removed")) >= 2,
                   10, "two removed")
        names = sorted(os.listdir(bdir))
        ours = [n for n in names if n.startswith("cashbook-")]
        check_eq(len(ours), 2, "the newest two are kept", names=names)
        check("keep-me.db" in names, "another file is left alone")
        for n in ours:
            check_eq(integrity(os.path.join(bdir, n)), "ok", n)
            check_eq(os.stat(os.path.join(bdir, n)).st_mode & 0o777, 0o600,
                     n + " is 0600")
        written = [l.split("scheduled backup ")[1].split(" ")[0]
                   for l in d.log_lines("scheduled backup ")
                   if " written " in l]
        check_eq(sorted(os.path.join(bdir, n) for n in ours),
                 sorted(written)[-2:], "the newest two by name")


def test_schedule_flags(t):
    """--backup-every without --backup-dir, and a malformed duration, are
    usage errors (exit 2) that say what to do."""
    d = t.daemon("--backup-every", "1h")
    out = subprocess.run(d.argv(), capture_output=True, timeout=10)
    check_eq(out.returncode, 2, "exit 2")
    check_eq(out.stderr.decode(), "cashbookd: --backup-dir and "
             "--backup-every go together: give both (e.g. --backup-dir "
             "~/backups --backup-every 1d)\n", "message")
    d = t.daemon("--backup-dir", "/tmp", "--backup-every", "5x")
    out = subprocess.run(d.argv(), capture_output=True, timeout=10)
    check_eq(out.returncode, 2, "exit 2")
    check_eq(out.stderr.decode(), "cashbookd: --backup-every wants a "
             "duration from 1s to 366d, such as 90s, 15m, 6h or 1d, not "
             "'5x'\n", "message")


def test_offline_restore(t):
    """cashbookd --restore FILE is refused while a daemon has the
    database; with none, it swaps the backup in (the old file kept) and
    a daemon started then serves the backup's data."""
    d = t.daemon().start()
    with d.client() as c:
        b = book(c, "x")
        fill(c, b, 30)
        dest = os.path.join(d.dir, "b.db")
        c.call_ok("server.backup", {"path": dest})
        fill(c, b, 5)
    argv = [t.cashbookd, "--db", d.db, "--socket",
            os.path.join(d.dir, "o.sock"), "--restore", dest]
    out = subprocess.run(argv, capture_output=True, timeout=30)
    check_eq(out.returncode, 1, "refused while the daemon runs",
             stderr=out.stderr)
    check("is in use by another cashbookd" in out.stderr.decode(),
          "says why", stderr=out.stderr)
    d.stop()
    out = subprocess.run(argv, capture_output=True, timeout=30)
    check_eq(out.returncode, 0, "restored", stderr=out.stderr)
    check("restore: %s is the database now, from %s" % (d.db, dest) in
          out.stderr.decode(), "says so", stderr=out.stderr)
    kept = [f for f in os.listdir(d.dir) if ".before-restore-" in f]
    check_eq(len(kept), 1, "the old one kept", files=os.listdir(d.dir))
    check_eq(len(entries_of(os.path.join(d.dir, kept[0]), b)), 35,
             "with its 35 entries")
    d2 = t.daemon(dir=d.dir).start()
    with d2.client() as c:
        check_eq(c.call_ok("book.balance", {"book_id": b})["count"], 30,
                 "the backup's 30 entries")
    d2.stop()


def test_ctl_backup_and_restore(t):
    """cashbookctl backup FILE (a relative name is the caller's) and
    cashbookctl restore FILE; --json prints the result."""
    with t.daemon().start() as d, d.client() as c:
        b = book(c, "x")
        fill(c, b, 12)
        env = dict(os.environ, CASHBOOK_SOCKET=d.socket)
        out = subprocess.run([t.cashbookctl, "backup", "b.db"], cwd=d.dir,
                             env=env, capture_output=True, timeout=30)
        check_eq(out.returncode, 0, "backup", stderr=out.stderr)
        text = out.stdout.decode()
        check(text.startswith("backed up to %s/b.db (" % d.dir),
              "says where", out=text)
        fill(c, b, 3)
        out = subprocess.run([t.cashbookctl, "--json", "restore",
                              os.path.join(d.dir, "b.db")], env=env,
                             capture_output=True, timeout=30)
        check_eq(out.returncode, 0, "restore", stderr=out.stderr)
        check('"path":"%s/b.db"' % d.dir in out.stdout.decode(),
              "json result", out=out.stdout)
        check_eq(c.call_ok("book.balance", {"book_id": b})["count"], 12,
                 "restored")
        out = subprocess.run([t.cashbookctl, "restore", "nope.db"],
                             cwd=d.dir, env=env, capture_output=True,
                             timeout=30)
        check_eq(out.returncode, 1, "a missing file", stdout=out.stdout)
        check_eq(out.stderr.decode(), "cashbookctl: cannot read "
                 "%s/nope.db: No such file or directory\nhint: name a "
                 "backup file, e.g. one 'cashbookctl backup FILE' wrote\n"
                 % d.dir, "says so")


def test_only_the_daemons_user(t):
    """With --access group:NAME another OS user reaches the socket, but
    server.backup and server.restore answer forbidden to them."""
    import test_identity as ti
    ti.ensure_accounts()
    with ti.GroupDaemon(t) as g:
        got = ti.as_user("cbtest-alice", g.sock, [
            ["server.backup", {"path": os.path.join(g.dir, "b.db")}],
            ["server.restore", {"path": os.path.join(g.dir, "c.db")}]])
        for e in got:
            check_eq(e[0], ["forbidden", "only the OS user cashbookd runs "
                            "as (uid %d) or root may %s" % (
                                os.geteuid(), "back up the database"
                                if e is got[0] else
                                "restore the database")], "forbidden")
        check(not os.path.exists(os.path.join(g.dir, "b.db")),
              "nothing written")


TESTS = [test_backup_while_writers_run, test_backup_refuses,
         test_restore_under_load, test_waiting_past_deadline_gets_unavailable,
         test_restore_refuses_unfit_files,
         test_restore_migrates_an_older_schema, test_scheduled_backups_rotate,
         test_schedule_flags, test_offline_restore,
         test_ctl_backup_and_restore, test_only_the_daemons_user]

if __name__ == "__main__":
    # Every daemon a test started must exit 0 with no sanitizer report.
    main([clean_exits(fn) for fn in TESTS],
         timeouts={"test_backup_while_writers_run": 180,
                   "test_restore_under_load": 180})
