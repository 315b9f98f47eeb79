#!/usr/bin/python3
"""
test_pool.py -- the bounded handle pool seen from outside: timeouts, FIFO
order, the writer slot, statement timeouts, replaced handles, clients that
leave mid-request, and the old Django backend's pool exhaustion reproduced
and survived.  (A database deleted or swapped underneath: test_storage.py.)

Usage: test_pool.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import random
import select
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (SCHEMA_VERSION, check, check_eq, check_error_pair, main,  # noqa
                     wait_until)

PING = {"version": "0.1.0", "protocol": 1}


def stats_where(d, pred, what, timeout=5):
    """Poll server.stats until pred(stats) holds; return those stats."""
    box = []

    def probe():
        st = d.stats()
        if pred(st):
            box.append(st)
            return True
        return False
    wait_until(probe, timeout, what)
    return box[0]


def pool_at_rest(d, timeout=5):
    return stats_where(d, lambda s: s["pool"]["in_use"] == 0 and
                       s["pool"]["waiting"] == 0, "the pool at rest", timeout)


def arrival_order(clients, timeout=10):
    """Read one response from each client; return the client indexes in
    the order their responses arrived, and the responses."""
    pending = dict(enumerate(clients))
    order, msgs = [], {}
    deadline = time.monotonic() + timeout
    while pending:
        left = deadline - time.monotonic()
        check(left > 0, "responses within %ds" % timeout,
              missing=sorted(pending))
        r, _, _ = select.select([c.sock for c in pending.values()], [], [],
                                left)
        for i, c in list(pending.items()):
            if c.sock in r:
                msgs[i] = c.read_response(timeout=5)
                order.append(i)
                del pending[i]
    return order, msgs


def test_pool_timeout(t):
    """--pool-size 1 --pool-timeout-ms 200: the only handle is held for
    1.5 s; a read gives up with pool_timeout after 200 ms, not later."""
    with t.daemon("--pool-size", "1", "--pool-timeout-ms", "200").start() \
            as d:
        holder = d.client()
        holder.request("test.sleep_write", {"ms": 1500})
        stats_where(d, lambda s: s["pool"]["in_use"] == 1, "in_use == 1")
        with d.client() as c:
            started = time.monotonic()
            err, res = c.call("server.info")
            took = time.monotonic() - started
            check_error_pair(err, res)
            check_eq(err[0], "pool_timeout", "code")
            check("within 200 ms" in err[1], "message says the timeout",
                  msg=err[1])
            check(0.2 <= took < 1.4, "gave up after 200 ms", took=took)
        st = d.stats()
        check_eq(st["pool"]["wait_timeouts"], 1, "wait_timeouts")
        check_eq(st["pool"]["waiting"], 0, "waiting")
        check_eq(st["pool"]["in_use"], 1, "in_use (the holder)")
        check_eq(holder.read_response(timeout=5)[2:],
                 [None, {"slept_ms": 1500}], "the holder's answer")
        st = pool_at_rest(d)
        check_eq(st["pool"]["acquired"], 1, "acquired: the holder only")
        check_eq(st["pool"]["released"], 1, "released")
        check_eq(st["pool"]["wait_timeouts"], 1, "wait_timeouts")
        with d.client() as c:
            check_eq(c.call_ok("server.info")["schema_version"], SCHEMA_VERSION,
                     "served again once the handle is free")
        holder.close()


def queue_behind_holder(d, requests):
    """Hold the only handle (pool-size 1), then queue each (method, params)
    on its own connection, waiting for `waiting` to reach k before sending
    request k+1 so the queue order is known.  Returns the holder and the
    clients."""
    holder = d.client()
    holder.request("test.sleep_write", {"ms": 600})
    stats_where(d, lambda s: s["pool"]["in_use"] == 1, "in_use == 1")
    clients = []
    for k, (method, params) in enumerate(requests, 1):
        c = d.client()
        c.request(method, params)
        clients.append(c)
        stats_where(d, lambda s: s["pool"]["waiting"] == k,
                    "waiting == %d" % k)
    return holder, clients


def test_fifo(t):
    """Waiters for the same kind of access are served first come, first
    served."""
    with t.daemon("--pool-size", "1", "--pool-timeout-ms", "10000").start() \
            as d:
        # Each request holds the handle for 30 ms or more: a handle is
        # released a moment before its answer is posted, so a request that
        # took no time could overtake the previous one's answer on the
        # wire without being served out of order.
        holder, clients = queue_behind_holder(
            d, [("test.sleep", {"ms": 30 + i}) for i in range(4)])
        order, msgs = arrival_order([holder] + clients)
        check_eq(order, [0, 1, 2, 3, 4], "completion order")
        for i in (1, 2, 3, 4):
            check_eq(msgs[i][2:], [None, {"slept_ms": 29 + i}],
                     "answer %d" % i)
        st = pool_at_rest(d)
        check_eq(st["pool"]["acquired"], 5, "acquired")
        check_eq(st["pool"]["released"], 5, "released")
        # The first waiter waited most of the holder's 600 ms.
        check(300000 <= st["pool"]["max_wait_us"] < 5000000, "max_wait_us",
              max_wait_us=st["pool"]["max_wait_us"])
        for c in [holder] + clients:
            c.close()


def test_writer_slot_prefers_writes(t):
    """With one slot (the writer), a queued write goes before a read that
    queued earlier (pool.c: the writer slot takes the first write waiter);
    reads keep their order."""
    with t.daemon("--pool-size", "1", "--pool-timeout-ms", "10000").start() \
            as d:
        # Every request holds the handle 20 ms or more (see test_fifo).
        holder, clients = queue_behind_holder(d, [
            ("test.sleep", {"ms": 20}),
            ("test.sleep_write", {"ms": 21}),
            ("test.sleep", {"ms": 22}),
            ("test.sleep_write", {"ms": 23}),
        ])
        order, msgs = arrival_order([holder] + clients)
        check_eq(order, [0, 2, 4, 1, 3], "writes first, then reads, each "
                 "kind in arrival order")
        for i in (1, 2, 3, 4):
            check_eq(msgs[i][2:], [None, {"slept_ms": 19 + i}],
                     "answer %d" % i)
        for c in [holder] + clients:
            c.close()


def test_writes_serialized_reads_parallel(t):
    """--pool-size 4: two 300 ms writes take 600 ms together (one writer
    slot); three 300 ms reads run side by side on the three readers."""
    with t.daemon("--pool-size", "4").start() as d:
        ws = [d.client() for _ in range(2)]
        rs = [d.client() for _ in range(3)]
        started = time.monotonic()
        for c in ws:
            c.request("test.sleep_write", {"ms": 300})
        for c in rs:
            c.request("test.sleep", {"ms": 300})
        done = {}
        pending = ws + rs
        while pending:
            r, _, _ = select.select([c.sock for c in pending], [], [], 5)
            check(r, "answers within 5 s")
            for c in list(pending):
                if c.sock in r:
                    msg = c.read_response()
                    check_eq(msg[2], None, "no error")
                    done[id(c)] = time.monotonic() - started
                    pending.remove(c)
        reads = [done[id(c)] for c in rs]
        writes = sorted(done[id(c)] for c in ws)
        check(max(reads) < 0.55, "reads ran in parallel", reads=reads)
        check(writes[0] >= 0.29 and writes[1] >= 0.59,
              "writes ran one after the other", writes=writes)
        check(writes[1] < 1.2, "and no slower than that", writes=writes)
        for c in ws + rs:
            c.close()


def test_statement_timeout(t):
    """--statement-timeout-ms 100: a runaway query is interrupted with
    statement_timeout; the same (only) handle then works."""
    with t.daemon("--pool-size", "1", "--statement-timeout-ms", "100") \
            .start() as d, d.client() as c:
        for _ in range(3):
            started = time.monotonic()
            err, res = c.call("test.spin", timeout=5)
            took = time.monotonic() - started
            check_error_pair(err, res)
            check_eq(err[0], "statement_timeout", "code")
            check(0.09 <= took < 1.0, "interrupted after about 100 ms",
                  took=took)
            check_eq(c.call_ok("server.info")["schema_version"], SCHEMA_VERSION,
                     "the handle works after the interrupt")
        st = c.call_ok("server.stats")
        check_eq(st["pool"]["replaced"], 0, "an interrupt does not break "
                 "the handle")
        check_eq(st["pool"]["acquired"], 6, "acquired")
        check_eq(st["pool"]["released"], 6, "released")
        check_eq(st["requests"]["errors"], 3, "errors")


def test_fatal_error_replaces_handle(t):
    """test.fatal (as if the file were corrupt): internal, the handle is
    closed and reopened (replaced +1), and the next request succeeds."""
    with t.daemon("--pool-size", "1").start() as d, d.client() as c:
        check_eq(c.call_err("test.fatal"), "internal", "code")
        st = c.call_ok("server.stats")
        check_eq(st["pool"]["replaced"], 1, "replaced")
        check_eq(st["pool"]["in_use"], 0, "in_use")
        check_eq(c.call_ok("server.info")["schema_version"], SCHEMA_VERSION, "info")
        # The log is read by another thread: wait for each line (its
        # reader may lag the answers), from after the previous one.
        d.wait_log("replaced after", 5)
        mark = d.log_mark()
        check_eq(c.call_err("test.fatal"), "internal", "code")
        check_eq(c.call_ok("test.write")["created_at"],
                 c.call_ok("server.info")["created_at"], "a write works")
        st = c.call_ok("server.stats")
        check_eq(st["pool"]["replaced"], 2, "replaced")
        check_eq(st["pool"]["acquired"], st["pool"]["released"],
                 "acquired == released")
        d.wait_log("replaced after", 5, start=mark)
        check(len(d.log_lines("replaced after")) == 2, "each replacement "
              "logged once", log=d.log_text())


def test_disconnect_while_running(t):
    """A client sends test.sleep 300 and leaves at once: the request runs
    to the end, its handle is released, its answer dropped."""
    # Debug level: "client N disconnected" is the sign it is gone.
    with t.daemon("--pool-size", "2", "--log-level", "debug").start() as d:
        c = d.client()
        c.request("test.sleep", {"ms": 300})
        c.close()
        d.wait_log("client 1 disconnected", 5)
        st = stats_where(d, lambda s: s["pool"]["released"] == 1,
                         "the request to finish")
        check_eq(st["pool"]["acquired"], 1, "acquired")
        check_eq(st["pool"]["in_use"], 0, "in_use")
        check_eq(st["pool"]["waiting"], 0, "waiting")
        check_eq(d.call("server.info")[0], None, "daemon still serves")


def test_disconnect_while_queued(t):
    """A client whose request waits for a handle leaves: the request is
    cancelled at once (waiting drops to 0, no timeout, never acquired)."""
    with t.daemon("--pool-size", "1", "--pool-timeout-ms", "5000",
                  "--log-level", "debug").start() as d:
        holder, clients = queue_behind_holder(
            d, [("test.sleep", {"ms": 300}), ("test.sleep", {"ms": 10})])
        clients[0].close()
        d.wait_log("client 2 disconnected", 5)
        st = d.stats()
        check_eq(st["pool"]["waiting"], 1, "the leaver's request is gone")
        check_eq(st["pool"]["in_use"], 1, "the holder still holds")
        order, msgs = arrival_order([holder, clients[1]])
        check_eq(order, [0, 1], "holder, then the one that stayed")
        check_eq(msgs[1][2:], [None, {"slept_ms": 10}], "its answer")
        st = pool_at_rest(d)
        check_eq(st["pool"]["acquired"], 2, "the cancelled request never "
                 "got a handle")
        check_eq(st["pool"]["released"], 2, "released")
        check_eq(st["pool"]["wait_timeouts"], 0, "not a timeout")
        holder.close()
        clients[1].close()


def test_loop_methods_never_wait(t):
    """With every handle busy and a request queued, ping, server.stats and
    test.echo still answer at once."""
    with t.daemon("--pool-size", "2", "--pool-timeout-ms", "5000").start() \
            as d:
        busy = [d.client() for _ in range(3)]
        busy[0].request("test.sleep", {"ms": 1000})
        busy[1].request("test.sleep", {"ms": 1000})
        stats_where(d, lambda s: s["pool"]["in_use"] == 2, "in_use == 2")
        busy[2].request("server.info")
        stats_where(d, lambda s: s["pool"]["waiting"] == 1, "waiting == 1")
        with d.client() as c:
            for method, params, want in (
                    ("ping", None, PING),
                    ("server.stats", None, None),
                    ("test.echo", {"x": 1}, {"x": 1})):
                started = time.monotonic()
                res = c.call_ok(method, params)
                took = time.monotonic() - started
                check(took < 0.1, "%s answered at once" % method, took=took)
                if want is not None:
                    check_eq(res, want, "%s result" % method)
            st = c.call_ok("server.stats")
            check_eq((st["pool"]["in_use"], st["pool"]["idle"],
                      st["pool"]["waiting"]), (2, 0, 1),
                     "in_use, idle, waiting")
        order, msgs = arrival_order(busy)
        check_eq(sorted(order), [0, 1, 2], "all answered")
        for m in msgs.values():
            check_eq(m[2], None, "no error")
        for c in busy:
            c.close()


def test_leak_report(t):
    """A handle held past --leak-threshold-ms is logged with its holder."""
    with t.daemon("--pool-size", "1", "--leak-threshold-ms", "200").start() \
            as d, d.client() as c:
        check_eq(c.call_ok("test.sleep", {"ms": 1500}, timeout=5),
                 {"slept_ms": 1500}, "answered")
        line = d.wait_log("held for", 2)
        check("by test.sleep" in line, "names the holder", line=line)


def test_old_backend_failure_beaten(t):
    """The Django backend died with "Live connection count: 2/2": errors,
    timeouts and abandoned requests leaked connections until none was
    left.  Same pressure here: 2 handles, 100 clients at once, each doing
    successful, failing, timing-out and abandoned requests.  Every answer
    comes within the pool timeout plus the statement timeout, and
    afterwards no handle is in use, nothing waits, every grant was
    released, and a fresh request is served in under 50 ms."""
    nclients = 100
    pool_timeout, stmt_timeout = 2.0, 0.1
    with t.daemon("--pool-size", "2", "--pool-timeout-ms", "2000",
                  "--statement-timeout-ms", "100").start() as d:
        allowed = {
            "server.info": {None},
            "test.write": {None},
            "test.fail": {"conflict"},
            "test.spin": {"statement_timeout"},
        }
        outcomes = []            # (method, code or None, latency)
        errors = []
        lock = threading.Lock()
        barrier = threading.Barrier(nclients, timeout=30)

        def client(i):
            rnd = random.Random(i)
            ops = list(allowed)
            rnd.shuffle(ops)
            mine = []
            try:
                with d.client(timeout=pool_timeout + 5) as c:
                    barrier.wait()
                    for j, method in enumerate(ops):
                        started = time.monotonic()
                        err, res = c.call(method)
                        took = time.monotonic() - started
                        code = None if err is None else err[0]
                        if err is not None:
                            check_error_pair(err, res, method)
                        mine.append((method, code, took))
                        if j == 1:
                            # Abandoned: asked, then gone without reading.
                            with d.client() as gone:
                                gone.request("test.sleep", {"ms": 50})
            except Exception as e:
                with lock:
                    errors.append("client %d: %r" % (i, e))
            with lock:
                outcomes.extend(mine)

        threads = [threading.Thread(target=client, args=(i,), daemon=True)
                   for i in range(nclients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(90)
        check(not any(th.is_alive() for th in threads), "clients finished")
        check(not errors, "clients failed", first=errors[:5])
        check_eq(len(outcomes), nclients * 4, "every request answered")

        timeouts = 0
        by_kind = {}
        for method, code, took in outcomes:
            if code == "pool_timeout":
                timeouts += 1
            else:
                check(code in allowed[method], "outcome of %s" % method,
                      code=code)
            by_kind.setdefault((method, code), 0)
            by_kind[(method, code)] += 1
            check(took < pool_timeout + stmt_timeout + 1.0,
                  "answered within the bounds", method=method, took=took)
        t.diag("outcomes: %s" % sorted(
            ("%s=%s" % (m, c), n) for (m, c), n in by_kind.items()))
        for method in allowed:
            for code in allowed[method]:
                check(by_kind.get((method, code), 0) > 0,
                      "some %s got %s" % (method, code), by_kind=by_kind)

        st = pool_at_rest(d, timeout=10)
        p = st["pool"]
        check_eq(p["in_use"], 0, "in_use")
        check_eq(p["waiting"], 0, "waiting")
        check_eq(p["idle"], 2, "idle")
        check_eq(p["size"], 2, "the pool never grew")
        check_eq(p["acquired"], p["released"], "acquired == released")
        check_eq(p["wait_timeouts"], timeouts, "wait_timeouts counts every "
                 "pool_timeout answered")
        check_eq(p["replaced"], 0, "no handle broke")
        check(p["acquired"] >= nclients * 4 - timeouts,
              "every answered database request had a handle",
              acquired=p["acquired"], timeouts=timeouts)

        started = time.monotonic()
        with d.client() as c:
            err, res = c.call("server.info")
        took = time.monotonic() - started
        check_eq(err, None, "fresh server.info")
        check(took < 0.05, "fresh server.info within 50 ms", took=took)
        for bad in ("a bug", "released twice", "left open"):
            check(not d.log_lines(bad), "no %r in the log" % bad,
                  lines=d.log_lines(bad)[:3])


TESTS = [
    test_pool_timeout,
    test_fifo,
    test_writer_slot_prefers_writes,
    test_writes_serialized_reads_parallel,
    test_statement_timeout,
    test_fatal_error_replaces_handle,
    test_disconnect_while_running,
    test_disconnect_while_queued,
    test_loop_methods_never_wait,
    test_leak_report,
    test_old_backend_failure_beaten,
]

if __name__ == "__main__":
    main(TESTS, {"test_old_backend_failure_beaten": 150})
