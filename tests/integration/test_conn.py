#!/usr/bin/python3
"""
test_conn.py -- one connection's buffers and what it logs: a big message
is received with a logarithmic number of buffer growths; a client that
pipelines big answers and does not read is held to a byte budget while
others are served; connecting and disconnecting is not logged line by line
at the default level.

Usage: test_conn.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, request_bytes  # noqa

MiB = 1024 * 1024
READ_CHUNK = 64 * 1024          # CONN_READ_CHUNK in daemon/conn.c
PING = {"version": "0.1.0", "protocol": 1}

GROWTH = re.compile(r"client (\d+): input buffer (\d+) -> (\d+) bytes")


def buffer_changes(d, client_id):
    """[(old, new), ...] of the input buffer of client client_id, from the
    daemon's debug log."""
    out = []
    for ln in d.log_lines(": input buffer "):
        m = GROWTH.search(ln)
        if m and int(m.group(1)) == client_id:
            out.append((int(m.group(2)), int(m.group(3))))
    return out


def test_big_message_log_growths(t):
    """--max-message-bytes 64 MiB: a 32 MiB test.echo arrives intact, and
    the input buffer grows at most log2(32 MiB / 64 KiB) + 2 = 11 times
    (it doubled; growing by one 64 KiB read at a time took 512 growths,
    each copying and wiping the whole buffer).  Once the message is
    parsed, the buffer is given back."""
    size = 32 * MiB
    with t.daemon("--max-message-bytes", str(64 * MiB),
                  "--log-level", "debug").start() as d:
        with d.client(timeout=120) as c:
            payload = bytes(range(256)) * (size // 256)
            c.send(request_bytes(1, "test.echo", {"p": payload}))
            msg = c.read_response(timeout=120)
            check_eq(msg[1], 1, "msgid")
            check(msg[2] is None, "no error", error=msg[2])
            check(msg[3] == {"p": payload}, "payload intact")
            check_eq(c.call_ok("ping"), PING, "ping after it")
        d.wait_log("client 1 disconnected")
        changes = buffer_changes(d, 1)
        # The growths for the big message: those before its buffer is
        # given back (the ping after it starts a small one afresh).
        grows = []
        for a, b in changes:
            if b < a:
                break
            grows.append((a, b))
        limit = math.ceil(math.log2(size / READ_CHUNK)) + 2
        t.diag("%d growths: %s" % (len(grows), grows))
        check(grows, "the daemon logs its buffer growths at debug level",
              log=d.log_text()[-2000:])
        check(len(grows) <= limit, "O(log n) growths for a 32 MiB message",
              growths=len(grows), limit=limit)
        for a, b in grows[1:]:
            check(b >= 2 * a or b == 64 * MiB + READ_CHUNK,
                  "each growth at least doubles (or reaches the limit)",
                  old=a, new=b)
        big = max(b for _, b in grows)
        check(big >= size, "the buffer held the message", biggest=big)
        check(any(a == big and b < a for a, b in changes),
              "the big buffer is given back once the message is parsed",
              changes=changes)


TESTS = [
    test_big_message_log_growths,
]

if __name__ == "__main__":
    main(TESTS, {"test_big_message_log_growths": 180})
