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
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, check_eq, check_rss, main, pack,  # noqa
                     request_bytes, wait_until)
from books_common import register_login  # noqa

MiB = 1024 * 1024
READ_CHUNK = 64 * 1024          # CONN_READ_CHUNK in daemon/conn.c
PING = {"version": "0.1.0", "protocol": 1}
MAX_INFLIGHT = 256              # CB_CONN_MAX_INFLIGHT (proto/cb_limits.h)
BYTE_BUDGET = 4 * MiB           # CB_CONN_BYTE_BUDGET
POOL = 4                # cashbookd's default --pool-size

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


def settled_stats(d, what, timeout=30):
    """server.stats once the daemon has nothing left to do: no handle in
    use or waited for, and the figures unchanged since the previous look
    (a request finishing moves requests.total; a parse it lets through
    moves the pool).  The stats calls themselves add one each."""
    prev = [None]

    def settled():
        st = d.stats()
        p = st["pool"]
        key = (st["requests"]["total"], st["connections"]["queued_bytes"],
               p["acquired"])
        idle = p["in_use"] == 0 and p["waiting"] == 0
        last, prev[0] = prev[0], key
        if idle and last is not None and last[1:] == key[1:] and \
                last[0] + 1 == key[0]:
            return st
        return None
    return wait_until(settled, timeout, what, interval=0.05)


def test_budget_for_big_replies(t):
    """A client pipelines 1000 entry.list requests with ~85 KB answers
    and reads nothing.  Its requests in flight are answered, and then the
    daemon takes no more from it: at most 256 taken, and of those only as
    many answered as fill the 4 MiB budget plus a pool's worth (the
    requests waiting for their turn get none while the client does not
    read): connections.queued_bytes within the budget plus four answers.
    Before, the input already read kept being parsed as places in flight
    freed, whatever the output held (about 400 answered here, and with
    2 MB answers 1.2 GB of RSS).  Meanwhile another client is served.
    Then the client reads: every request is answered, none lost."""
    n = 1000
    with t.daemon().start() as d, d.client(timeout=30) as c:
        u = register_login(c, "alice")
        book = u.book("big")
        u.pipe([("entry.add", {"book_id": book, "type": "in", "amount": 1,
                               "date": "2024-01-01", "note": "n" * 4000})
                for _ in range(20)])
        listing = u.ok("entry.list", {"book_id": book, "limit": 20})
        reply = len(pack([1, 1, None, listing]))
        check(reply > 80000, "answers of about 85 KB", reply=reply)

        base = settled_stats(d, "a quiet daemon")
        base_rss = d.rss_kb()
        slow = d.client(timeout=60)
        blob = b"".join(request_bytes(i, "entry.list", u.params(
            {"book_id": book, "limit": 20})) for i in range(1, n + 1))
        slow.send(blob)         # ~95 KB: the socket takes it all
        st = settled_stats(d, "the daemon to stop taking requests")
        # Each entry.list takes one handle; server.stats takes none.
        answered = st["pool"]["acquired"] - base["pool"]["acquired"]
        queued = st["connections"]["queued_bytes"]
        rss = d.rss_kb()
        t.diag("%d answered and not read; %.1f MiB queued; RSS %d KiB "
               "(base %d)" % (answered, queued / MiB, rss, base_rss))
        check(answered <= MAX_INFLIGHT, "no request taken past the budget "
              "once answers were queued", answered=answered)
        check(answered >= 1, "requests in flight are answered",
              answered=answered)
        check(queued <= BYTE_BUDGET + POOL * reply,
              "queued output within the budget and a pool's worth",
              queued=queued)
        check(queued >= answered * reply - MiB,
              "what was answered is queued (the figure is real)",
              queued=queued, answered=answered)
        check_rss(rss - base_rss, (POOL * reply + BYTE_BUDGET)
                  // 1024 + 32 * 1024, "RSS bounded", base=base_rss)

        # Others are served meanwhile.
        with d.client() as other:
            check_eq(other.call_ok("ping"), PING, "another client served")

        # Read everything: all n answered, in full.
        seen = set()
        deadline = time.monotonic() + 120
        while len(seen) < n:
            check(time.monotonic() < deadline, "answers within 120 s",
                  got=len(seen))
            msg = slow.read_response(timeout=30)
            check(msg[2] is None, "no error", error=msg[2])
            check_eq(len(msg[3]["entries"]), 20, "a full page")
            seen.add(msg[1])
        check_eq(seen, set(range(1, n + 1)), "every request answered")
        st = settled_stats(d, "the daemon to drain")
        check_eq(st["connections"]["queued_bytes"], 0, "nothing queued")
        slow.close()


PER_CLIENT = re.compile(r"client \d+ (connected|disconnected)")
SUMMARY = re.compile(r" info  (\d+) clients? connected, (\d+) disconnected "
                     r"in the last (\d+) s \((\d+) open\)")


def summaries(d):
    return [m.groups() for m in map(SUMMARY.search, d.log_lines(" info "))
            if m]


def test_connection_log_summary(t):
    """50 connections, one after another, at the default log level: not
    one line per connection (they were 550 of 553 lines of a day's log),
    and no summary within the minute.  A minute later (test.clock) the
    next connection logs one info line for the window: 52 connected, 50
    disconnected.  At debug level each connection is still logged."""
    with t.daemon().start() as d, d.client() as c:
        for _ in range(50):
            with d.client() as k:
                check_eq(k.call_ok("ping"), PING, "ping")
        wait_until(lambda: c.call_ok("server.stats")["connections"]["open"]
                   == 1, 5, "the 50 to be gone")
        lines = [ln for ln in d.log if PER_CLIENT.search(ln)]
        check_eq(lines, [], "no per-connection lines at the default level")
        check_eq(summaries(d), [], "no summary within the minute")

        c.call_ok("test.clock", {"advance_s": 61})
        with d.client() as k:
            check_eq(k.call_ok("ping"), PING, "ping")
            line = d.wait_log(" clients connected, ", 5)
        got = summaries(d)
        check_eq(len(got), 1, "one summary", log=line)
        conn, disc, secs, open_ = (int(x) for x in got[0])
        check_eq((conn, disc, open_), (52, 50, 2),
                 "counts: c, the 50 and this one; 50 gone; 2 open",
                 line=line)
        check(61 <= secs <= 120, "the window's length", secs=secs)
        wait_until(lambda: c.call_ok("server.stats")["connections"]["open"]
                   == 1, 5, "the last one to be gone")
        check_eq(len(summaries(d)), 1, "the next event opens a new window")
        lines = [ln for ln in d.log if PER_CLIENT.search(ln)]
        check_eq(lines, [], "still no per-connection lines")

    with t.daemon("--log-level", "debug").start() as d:
        for _ in range(3):
            with d.client() as k:
                check_eq(k.call_ok("ping"), PING, "ping")
        d.wait_log("client 3 disconnected")
        lines = [ln for ln in d.log if PER_CLIENT.search(ln)]
        check_eq(len(lines), 6, "at debug level: each connect and "
                 "disconnect", lines=lines)
        check(all(" debug " in ln for ln in lines), "at debug level",
              lines=lines)


TESTS = [
    test_big_message_log_growths,
    test_budget_for_big_replies,
    test_connection_log_summary,
]

if __name__ == "__main__":
    main(TESTS, {"test_big_message_log_growths": 180,
                 "test_budget_for_big_replies": 240})
