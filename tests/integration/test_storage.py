#!/usr/bin/python3
"""
test_storage.py -- storage that fails closed: the database files are
private, and one daemon per database.

Usage: test_storage.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main  # noqa: E402
from books_common import register_login  # noqa: E402


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


TESTS = [
    test_database_files_private,
    test_second_daemon_same_database,
]

if __name__ == "__main__":
    main(TESTS)
