#!/usr/bin/python3
"""
test_storage.py -- storage that fails closed: the database files are
private.

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
    """Started with a umask of 022 (as from a login shell), the database
    and its -wal and -shm are created 0600."""
    old = os.umask(0o022)
    try:
        d = t.daemon().start()
    finally:
        os.umask(old)
    with d, d.client() as c:
        register_login(c, "modes")      # a write: the WAL has frames
        for suffix in ("", "-wal", "-shm"):
            path = d.db + suffix
            check(os.path.exists(path), "%s exists" % path)
            check_eq(stat.S_IMODE(os.stat(path).st_mode), 0o600,
                     "mode of %s" % os.path.basename(path))


TESTS = [
    test_database_files_private,
]

if __name__ == "__main__":
    main(TESTS)
