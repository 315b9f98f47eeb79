#!/usr/bin/python3
"""
test_fairness.py -- connections take turns for the pool (daemon/gateway.c):
a client pipelining many slow requests slows only itself.

The bound is structural, not a time: while 20 other clients each do one
quick read, the greedy client's requests answered in the meantime (counted
by server.stats requests.total) are by design about one pool's worth (the
ones running when the quick reads arrive).  The test asserts at most
GREEDY_BETWEEN_MAX, eight pools' worth, so that the test process being
descheduled for a while cannot fail it; with a single first-come-first-served
queue the figure is ~250 (all those queued ahead).  The wall-clock waits are
printed as figures.

Usage: test_fairness.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, request_bytes, wait_until  # noqa

POOL = 4
GREEDY = 256            # requests the greedy client pipelines
SLOW_MS = 50            # each holds a read handle this long
OTHERS = 20
GREEDY_BETWEEN_MAX = 8 * POOL


def total(d):
    return d.stats()["requests"]["total"]


def test_greedy_client_takes_turns(t):
    """One connection pipelines 256 reads of 50 ms each (3.2 s of work on
    four handles); then 20 other clients each send one quick read at
    once.  Each quick read waits behind at most a pool's worth of the
    greedy client's requests, so all 20 are answered while only a few of
    the greedy client's are; the greedy client still gets all 256."""
    with t.daemon("--pool-size", str(POOL), "--pool-timeout-ms",
                  "30000").start() as d:
        greedy = d.client(timeout=60)
        greedy.send(b"".join(request_bytes(i, "test.sleep", {"ms": SLOW_MS})
                             for i in range(1, GREEDY + 1)))
        st = wait_until(lambda: (lambda s: s if s["requests"]["in_flight"]
                                 == GREEDY else None)(d.stats()), 10,
                        "all greedy requests in flight")
        check(st["pool"]["waiting"] <= POOL, "at most a pool's worth of "
              "one connection with the pool", stats=st)
        check_eq(st["requests"]["waiting_turn"] + st["pool"]["waiting"] +
                 st["pool"]["in_use"], GREEDY, "the rest wait their turn",
                 stats=st)
        others = [d.client(timeout=30) for _ in range(OTHERS)]
        before = total(d)
        sent = time.monotonic()
        for i, c in enumerate(others):
            c.request("server.info", msgid=1000 + i)
        waits = []
        pending = {c.fileno(): c for c in others}
        while pending:
            r, _, _ = select.select(list(pending), [], [], 30)
            check(r, "the quick reads answered within 30 s")
            for fd in r:
                msg = pending.pop(fd).read_response(timeout=5)
                check_eq(msg[2], None, "quick read ok", msg=msg)
                waits.append(time.monotonic() - sent)
        # One server.stats (this one) and the 20 quick reads; the rest
        # answered in between are the greedy client's.
        greedy_between = total(d) - before - 1 - OTHERS
        waits.sort()
        t.diag("quick reads: p50 %.1f ms, max %.1f ms; greedy answers "
               "meanwhile: %d" % (1000 * waits[len(waits) // 2],
                                  1000 * waits[-1], greedy_between))
        check(0 <= greedy_between <= GREEDY_BETWEEN_MAX, "the quick reads "
              "did not wait behind the greedy client's queue",
              greedy_between=greedy_between)
        seen = set()
        while len(seen) < GREEDY:
            msg = greedy.read_response(timeout=60)
            check_eq(msg[2], None, "greedy request %d ok" % msg[1])
            seen.add(msg[1])
        check_eq(seen, set(range(1, GREEDY + 1)), "every greedy request "
                 "answered once")
        for c in others:
            c.close()
        greedy.close()
        st = d.stats()
        check_eq((st["pool"]["in_use"], st["requests"]["in_flight"],
                  st["requests"]["waiting_turn"]), (0, 0, 0), "at rest")
        check_eq(st["pool"]["acquired"], st["pool"]["released"],
                 "every handle returned")


def test_leaving_mid_queue(t):
    """A client that pipelines 200 slow requests and disconnects: those
    waiting for their turn are dropped, never run; the pool comes to
    rest with every handle returned, and another client is served."""
    with t.daemon("--pool-size", "2").start() as d:
        c = d.client()
        c.send(b"".join(request_bytes(i, "test.sleep", {"ms": 30})
                        for i in range(1, 201)))
        wait_until(lambda: d.stats()["requests"]["in_flight"] == 200, 10,
                   "all in flight")
        c.close()
        st = wait_until(lambda: (lambda s: s if s["requests"]["in_flight"]
                                 == 0 else None)(d.stats()), 10,
                        "the abandoned requests gone")
        check(st["pool"]["acquired"] <= 4, "at most the two running and "
              "two queued took a handle", acquired=st["pool"]["acquired"])
        check_eq(st["requests"]["waiting_turn"], 0, "no turn left")
        check_eq(st["pool"]["acquired"], st["pool"]["released"],
                 "every handle returned")
        err, res = d.call("server.info")
        check_eq(err, None, "another client is served")


if __name__ == "__main__":
    main([test_greedy_client_takes_turns, test_leaving_mid_queue],
         {"test_greedy_client_takes_turns": 120})
