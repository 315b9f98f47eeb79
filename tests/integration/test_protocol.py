#!/usr/bin/python3
"""
test_protocol.py -- the wire protocol against a real cashbookd: message
shapes and exact types, malformed requests, pipelining, many connections.

Usage: test_protocol.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (SCHEMA_VERSION, check, check_eq, check_error_pair, main, pack,  # noqa
                     request_bytes, wait_until, EOFReached)

VERSION = "0.1.0"

STATS_POOL_KEYS = {"size", "in_use", "idle", "waiting", "acquired",
                   "released", "wait_timeouts", "replaced", "max_wait_us"}


def test_ping_shape(t):
    with t.daemon().start() as d, d.client() as c:
        err, res = c.call("ping")
        check_eq(err, None, "ping error")
        check_eq(res, {"version": VERSION, "protocol": 1}, "ping result")
        # The raw bytes: a 4-element array, type 1, msgid echoed, nil.
        c.send(request_bytes(77, "ping"))
        msg = c.read()
        check_eq(msg, [1, 77, None, {"version": VERSION, "protocol": 1}],
                 "whole ping response")


def test_stats_shape(t):
    with t.daemon("--pool-size", "3", "--max-clients", "17").start() as d, \
            d.client() as c:
        res = c.call_ok("server.stats")
        check_eq(set(res), {"pool", "connections", "requests", "jobs",
                            "events", "backup", "uptime_s"},
                 "server.stats keys")
        check_eq(res["backup"], {"running": False, "pages_done": 0,
                                 "pages_total": 0}, "server.stats backup")
        check_eq(res["jobs"], {"running": False, "books_waiting": 0,
                               "books_deleted": 0, "batches": 0,
                               "failures": 0}, "server.stats jobs")
        check_eq(res["events"], {"subscriptions": 0, "delivered": 0,
                                 "overflows": 0}, "server.stats events")
        check_eq(set(res["pool"]), STATS_POOL_KEYS, "server.stats pool keys")
        for k, v in res["pool"].items():
            check(type(v) is int and v >= 0, "pool.%s is a uint" % k, v=v)
        check_eq(res["pool"]["size"], 3, "pool.size")
        check_eq(res["pool"]["in_use"], 0, "pool.in_use at rest")
        check_eq(res["pool"]["idle"], 3, "pool.idle at rest")
        check_eq(res["pool"]["waiting"], 0, "pool.waiting at rest")
        check_eq(res["pool"]["acquired"], 0, "pool.acquired before any work")
        check_eq(res["pool"]["released"], 0, "pool.released")
        check_eq(res["pool"]["wait_timeouts"], 0, "pool.wait_timeouts")
        check_eq(res["pool"]["replaced"], 0, "pool.replaced")
        check_eq(res["connections"], {"open": 1, "max": 17, "queued_bytes": 0},
                 "connections")
        # The stats request counts itself.
        check_eq(res["requests"], {"total": 1, "errors": 0, "in_flight": 0,
                                   "waiting_turn": 0}, "requests")
        check(type(res["uptime_s"]) is int and 0 <= res["uptime_s"] < 60,
              "uptime_s", uptime_s=res["uptime_s"])

        # One database read and one error later, the figures follow.
        c.call_ok("server.info")
        check_eq(c.call_err("no.such.method"), "unknown_method", "error")
        res = c.call_ok("server.stats")
        check_eq(res["pool"]["acquired"], 1, "acquired after one read")
        check_eq(res["pool"]["released"], 1, "released after one read")
        check_eq(res["requests"], {"total": 4, "errors": 1, "in_flight": 0,
                                   "waiting_turn": 0}, "requests")


def test_info_shape(t):
    with t.daemon().start() as d, d.client() as c:
        res = c.call_ok("server.info")
        check_eq(set(res), {"version", "schema_version", "created_at",
                            "database"}, "server.info keys")
        check_eq(res["version"], VERSION, "version")
        check_eq(res["schema_version"], SCHEMA_VERSION, "schema_version")
        check_eq(res["database"], d.db, "database path")
        now = int(time.time())
        check(type(res["created_at"]) is int and
              now - 60 <= res["created_at"] <= now + 1,
              "created_at is the creation time in Unix seconds",
              created_at=res["created_at"], now=now)
        # Stable across calls (it is the database's identity).
        check_eq(c.call_ok("server.info"), res, "second server.info")


def test_bin_method_name(t):
    with t.daemon().start() as d, d.client() as c:
        c.send(pack([0, 5, b"ping", []]))
        check_eq(c.read(), [1, 5, None, {"version": VERSION, "protocol": 1}],
                 "ping by bin name")
        c.send(pack([0, 6, b"server.info", [{}]]))
        msg = c.read()
        check(msg[:3] == [1, 6, None] and msg[3]["schema_version"] == SCHEMA_VERSION,
              "server.info by bin name", got=msg)
        # A bin method name that is no method is unknown_method, as a str.
        c.send(pack([0, 7, b"pong", []]))
        msg = c.read()
        check_eq(msg[:2], [1, 7], "head")
        check_eq(msg[2][0], "unknown_method", "code")


def test_params_empty_or_map(t):
    with t.daemon().start() as d, d.client() as c:
        want = {"version": VERSION, "protocol": 1}
        c.send(pack([0, 1, "ping", []]))
        check_eq(c.read(), [1, 1, None, want], "params []")
        c.send(pack([0, 2, "ping", [{}]]))
        check_eq(c.read(), [1, 2, None, want], "params [{}]")
        c.send(pack([0, 3, "test.echo", []]))
        check_eq(c.read(), [1, 3, None, {}], "test.echo with params []")
        c.send(pack([0, 4, "test.echo", [{"a": [1, 2.5, None, True],
                                          "b": b"\x00\xff", "c": "\u00e9"}]]))
        check_eq(c.read(), [1, 4, None, {"a": [1, 2.5, None, True],
                                         "b": b"\x00\xff", "c": "\u00e9"}],
                 "test.echo round trip of every type")


def test_msgid_range(t):
    """msgid is any uint32: 0 and 2**32-1 are echoed exactly."""
    with t.daemon().start() as d, d.client() as c:
        for msgid in (0, 1, 127, 128, 65535, 65536, 2 ** 32 - 1):
            c.send(request_bytes(msgid, "ping"))
            msg = c.read()
            check_eq(msg[1], msgid, "msgid echoed")
            check_eq(msg[2], None, "no error")


def test_pipelining_1000(t):
    """1,000 requests of three kinds in one send: every msgid answered
    exactly once with the right result, database ones possibly out of
    order."""
    with t.daemon().start() as d, d.client(timeout=30) as c:
        info = c.call_ok("server.info")
        expected = {}
        out = []
        for i in range(1000):
            msgid = 1000 + i
            kind = i % 3
            if kind == 0:
                out.append(request_bytes(msgid, "ping"))
                expected[msgid] = {"version": VERSION, "protocol": 1}
            elif kind == 1:
                out.append(request_bytes(msgid, "server.info"))
                expected[msgid] = info
            else:
                p = {"i": i, "s": "x" * (i % 50), "l": list(range(i % 7))}
                out.append(request_bytes(msgid, "test.echo", p))
                expected[msgid] = p
        blob = b"".join(out)
        # Write from a thread while this one reads, so neither side's
        # socket buffer limits the test.
        sender = threading.Thread(target=c.send, args=(blob,), daemon=True)
        sender.start()
        seen = {}
        order = []
        while len(seen) < 1000:
            msg = c.read_response(timeout=20)
            check(msg[1] not in seen, "msgid answered twice", msgid=msg[1])
            check(msg[1] in expected, "unexpected msgid", msgid=msg[1])
            check_eq(msg[2], None, "error for msgid %d" % msg[1])
            check_eq(msg[3], expected[msg[1]], "result for msgid %d" % msg[1])
            seen[msg[1]] = True
            order.append(msg[1])
        sender.join(10)
        check(not sender.is_alive(), "sender finished")
        # Nothing more comes.
        c.send(request_bytes(1, "ping"))
        check_eq(c.read_response()[1], 1, "the next response is the next ping")
        st = c.call_ok("server.stats")
        check_eq(st["pool"]["acquired"], 334, "one grant per server.info")
        check_eq(st["pool"]["released"], 334, "every grant released")
        # Loop-thread requests are answered in order among themselves.
        loop_ids = [m for m in order if (m - 1000) % 3 != 1]
        check_eq(loop_ids, sorted(loop_ids), "ping/test.echo answered in order")


def test_200_connections(t):
    """200 clients at once, each doing a few calls of each kind."""
    n = 200
    with t.daemon().start() as d:
        barrier = threading.Barrier(n + 1, timeout=30)
        release = threading.Event()
        errors = []

        def client(i):
            try:
                with d.client(timeout=20) as c:
                    check_eq(c.call_ok("ping")["protocol"], 1, "ping")
                    barrier.wait()
                    release.wait(30)
                    for j in range(3):
                        info = c.call_ok("server.info")
                        check_eq(info["schema_version"], SCHEMA_VERSION, "info")
                        p = {"client": i, "call": j}
                        check_eq(c.call_ok("test.echo", p), p, "echo")
                        check_eq(c.call_ok("ping")["version"], VERSION, "p")
            except Exception as e:
                errors.append("client %d: %r" % (i, e))
                try:
                    barrier.abort()
                except Exception:
                    pass

        threads = [threading.Thread(target=client, args=(i,), daemon=True)
                   for i in range(n)]
        for th in threads:
            th.start()
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        check(not errors, "clients failed before the barrier",
              errors=errors[:5])
        # All 200 are connected (each got a ping answer): exactly 201 open.
        st = d.stats()
        check_eq(st["connections"]["open"], n + 1, "connections.open")
        release.set()
        for th in threads:
            th.join(60)
        check(not any(th.is_alive() for th in threads), "clients finished")
        check(not errors, "clients failed", count=len(errors),
              first=errors[:5])
        st = d.stats()
        # n pings before, 3*(info+echo+ping) after, plus 2 stats calls.
        check_eq(st["requests"]["total"], n * 10 + 2, "requests.total")
        check_eq(st["requests"]["errors"], 0, "requests.errors")
        check_eq(st["pool"]["acquired"], n * 3, "pool.acquired")
        check_eq(st["pool"]["released"], n * 3, "pool.released")
        check_eq(st["pool"]["in_use"], 0, "pool.in_use")
        check_eq(st["pool"]["wait_timeouts"], 0, "pool.wait_timeouts")


def test_garbage_bytes(t):
    """0xc1 is never valid msgpack: protocol_error, then EOF; only that
    connection is closed."""
    with t.daemon().start() as d:
        other = d.client()
        other.call_ok("ping")
        for junk in (b"\xc1", b"\x92\x01\xc1", b"\x81\xc1\x01",
                     b"\xc1" + request_bytes(1, "ping")):
            with d.client() as c:
                c.send(junk)
                c.expect_protocol_error("not valid msgpack")
        # "hello" is a whole message (a str, so bad_request); the 0xc1
        # after it is not.
        with d.client() as c:
            c.send(b"\xa5hello\xc1")
            check_eq(c.read(), [1, 0, ["bad_request", "message is not an "
                                       "array"], None], "the str first")
            c.expect_protocol_error("not valid msgpack")
        # A valid message before the garbage is still answered first.
        with d.client() as c:
            c.send(request_bytes(9, "ping") + b"\xc1")
            check_eq(c.read_response()[1], 9, "the ping before the garbage")
            c.expect_protocol_error("not valid msgpack")
        check_eq(other.call_ok("ping")["protocol"], 1, "older connection")
        other.close()
        check(d.proc.poll() is None, "daemon still running")
        # The log is read by another thread, which may lag the answers.
        wait_until(lambda: len(d.log_lines("protocol error")) >= 4, 5,
                   "protocol errors are logged")


def test_bad_requests(t):
    """Well-formed msgpack that is not a valid request: bad_request, with
    the msgid when it could be read (else 0); the connection stays."""
    cases = [
        # (message, expected msgid, substring of the error message)
        ([0, -1, "ping", []], 0, "msgid"),
        ([0, 2 ** 32, "ping", []], 0, "msgid"),
        ([0, 1.5, "ping", []], 0, "msgid"),
        ([0, "7", "ping", []], 0, "msgid"),
        ([0, 5, 7, []], 5, "method must be a string"),
        ([0, 5, None, []], 5, "method must be a string"),
        ([0, 6, "ping", {}], 6, "params must be an array"),
        ([0, 6, "ping", None], 6, "params must be an array"),
        ([0, 7, "ping", [1]], 7, "params must be [] or [map]"),
        ([0, 8, "ping", [{}, {}]], 8, "params must be [] or [map]"),
        ([0, 8, "ping", [[]]], 8, "params must be [] or [map]"),
        ([0, 9, "ping", [], None], 9, "request must have 4 elements, not 5"),
        ([0, 10, "ping"], 10, "request must have 4 elements, not 3"),
        ([0], 0, "request must have 4 elements, not 1"),
        ([7, 11, "ping", []], 0, "unknown message type 7"),
        ([-1, 12, "ping", []], 0, "unknown message type -1"),
        (["0", 12, "ping", []], 0, "message type must be an integer"),
        ([], 0, "message is an empty array"),
        (42, 0, "message is not an array"),
        ("hello", 0, "message is not an array"),
        (None, 0, "message is not an array"),
        ({"0": 1}, 0, "message is not an array"),
        ([1, 13, None, None], 13, "not responses"),
        ([1, 14, ["internal", "x"], None], 14, "not responses"),
    ]
    with t.daemon().start() as d, d.client() as c:
        for i, (obj, msgid, text) in enumerate(cases):
            c.send(pack(obj))
            msg = c.read_response()
            check_eq(msg[1], msgid, "msgid of the answer to %r" % (obj,))
            check_error_pair(msg[2], msg[3], repr(obj))
            check_eq(msg[2][0], "bad_request", "code for %r" % (obj,))
            check(text in msg[2][1], "message for %r" % (obj,),
                  got=msg[2][1], want_substring=text)
            # Still usable.
            c.send(request_bytes(100 + i, "ping"))
            check_eq(c.read_response(), [1, 100 + i, None,
                                         {"version": VERSION, "protocol": 1}],
                     "ping after %r" % (obj,))
        st = c.call_ok("server.stats")
        check_eq(st["requests"]["errors"], len(cases), "requests.errors")
        check_eq(st["connections"]["open"], 1, "one connection throughout")


def test_unknown_notification_ignored(t):
    with t.daemon().start() as d, d.client() as c:
        # The notification and a ping in one write: the first (and only)
        # thing that comes back is the ping's response.
        # Malformed ones too: an answer would carry msgid 0, which a
        # client would take for the answer to its own request 0 (this is
        # what Neovim's msgpack-RPC client sends on connecting).
        c.send(pack([2, "hello", []]) + pack([2, "hello", [{"a": 1}]]) +
               pack([2, b"bin.name", []]) + pack([2, 5, []]) +
               pack([2, "x", [], 1]) + pack([2]) + pack([2, "ping", 7]) +
               pack([2, b"nvim_set_client_info",
                     ["cashbook-test", {"major": 0}, "remote", {}, {}]]) +
               request_bytes(3, "ping"))
        check_eq(c.read(), [1, 3, None, {"version": VERSION, "protocol": 1}],
                 "the first message back is the ping response")
        check_eq(c.call_ok("server.stats")["requests"]["errors"], 0,
                 "notifications are not errors")


def test_unknown_method(t):
    with t.daemon().start() as d, d.client() as c:
        err, res = c.call("no.such")
        check_error_pair(err, res)
        check_eq(err[0], "unknown_method", "code")
        check("no.such" in err[1], "message names the method", msg=err[1])
        # A very long name is refused the same way, message bounded.
        err, res = c.call("m" * 5000)
        check_eq(err[0], "unknown_method", "code for a 5000-byte name")
        check(len(err[1]) <= 255, "error message bounded", n=len(err[1]))
        # Names are exact: case and prefixes do not match.
        for name in ("PING", "ping ", "server.", "server", "", "test"):
            check_eq(c.call_err(name), "unknown_method", repr(name))


def test_unknown_field(t):
    with t.daemon().start() as d, d.client() as c:
        err, res = c.call("ping", {"x": 1})
        check_error_pair(err, res)
        check_eq(err, ["bad_request", "unknown field 'x' for ping"], "error")
        err, _ = c.call("server.info", {"verbose": True})
        check_eq(err, ["bad_request",
                       "unknown field 'verbose' for server.info"], "error")
        err, _ = c.call("test.sleep", {"ms": 1, "extra": 2})
        check_eq(err, ["bad_request", "unknown field 'extra' for test.sleep"],
                 "error")
        # Argument checks.
        err, _ = c.call("test.sleep", {})
        check_eq(err, ["bad_request", "missing field 'ms'"], "missing")
        err, _ = c.call("test.sleep", {"ms": "5"})
        check_eq(err, ["bad_request", "field 'ms' must be an integer"], "type")
        err, _ = c.call("test.sleep", {"ms": 60001})
        check_eq(err, ["bad_request", "field 'ms' must be from 0 to 60000"],
                 "range")
        err, _ = c.call("test.sleep", {"ms": -1})
        check_eq(err[0], "bad_request", "negative")
        c.send(b"\x94\x00\x05\xa4ping\x91\x81\x01\x02")     # key 1 (int)
        msg = c.read_response()
        check_eq(msg[:2], [1, 5], "head")
        check_eq(msg[2], ["bad_request", "params keys must be strings"],
                 "int key")
        # A duplicate key (hand-encoded: packers refuse to make one).
        c.send(b"\x94\x00\x06\xa9test.echo\x91\x82\xa1a\x01\xa1a\x02")
        msg = c.read_response()
        check_eq(msg[2], ["bad_request", "field 'a' given twice"], "dup key")
        check_eq(c.call_ok("test.sleep", {"ms": 0}), {"slept_ms": 0},
                 "valid sleep")
        st = c.call_ok("server.stats")
        # Field names, key types, duplicates and (through the method's
        # check hook) values are all refused before the pool: only the
        # valid test.sleep took a handle.
        check_eq(st["pool"]["acquired"], 1, "requests that reached the pool")


def test_half_close(t):
    """A client that shuts down its writing side is treated as gone (EOF is
    the only sign of leaving a stream socket gives): answers already made
    are delivered, database work in flight finishes and releases its
    handle, and the connection is closed."""
    import socket
    # Debug level: "client N disconnected" is the sign it is closed.
    with t.daemon("--log-level", "debug").start() as d, d.client() as c:
        c.send(request_bytes(1, "ping") +
               request_bytes(2, "test.sleep", {"ms": 100}))
        c.sock.shutdown(socket.SHUT_WR)
        check_eq(c.read(), [1, 1, None, {"version": VERSION, "protocol": 1}],
                 "the ping answered before the EOF")
        try:
            while True:
                msg = c.read(timeout=3)
                check_eq(msg[:3], [1, 2, None], "only the sleep may follow")
        except EOFReached:
            pass
        d.wait_log("client 1 disconnected", 3)
        st = wait_until(lambda: (lambda s: s if s["pool"]["released"] == 1
                                 else None)(d.stats()), 3,
                        "the sleep to release its handle")
        check_eq(st["pool"]["acquired"], 1, "acquired")
        check_eq(st["pool"]["released"], 1, "released")
        check_eq(st["connections"]["open"], 1, "only the stats client")


TESTS = [
    test_ping_shape,
    test_stats_shape,
    test_info_shape,
    test_bin_method_name,
    test_params_empty_or_map,
    test_msgid_range,
    test_pipelining_1000,
    test_200_connections,
    test_garbage_bytes,
    test_bad_requests,
    test_unknown_notification_ignored,
    test_unknown_method,
    test_unknown_field,
    test_half_close,
]

if __name__ == "__main__":
    main(TESTS, {"test_200_connections": 120, "test_pipelining_1000": 90})
