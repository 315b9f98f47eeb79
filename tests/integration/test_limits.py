#!/usr/bin/python3
"""
test_limits.py -- every bound a client can hit: message size (and headers
that declare more than is sent), nesting depth, read and idle timeouts,
requests in flight per connection, output queued for a client that does
not read, and --max-clients.

Usage: test_limits.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, check_eq, check_rss, main, pack, request_bytes,  # noqa
                     wait_until, EOFReached, ReadTimeout, TestFailure)

PING = {"version": "0.1.0", "protocol": 1}
MiB = 1024 * 1024


def echo_of_size(msgid, size):
    """A test.echo request whose encoding is exactly size bytes, and its
    params."""
    for k in range(max(0, size - 40), size):
        p = {"s": "x" * k}
        b = request_bytes(msgid, "test.echo", p)
        if len(b) == size:
            return b, p
    raise TestFailure("cannot make a %d-byte request" % size)


def test_message_size_limit(t):
    """--max-message-bytes 4096: a 4096-byte request is served, 4097 bytes
    is protocol_error and EOF."""
    with t.daemon("--max-message-bytes", "4096").start() as d:
        with d.client() as c:
            b, p = echo_of_size(1, 4096)
            c.send(b)
            check_eq(c.read(), [1, 1, None, p], "4096-byte request")
            b, p = echo_of_size(2, 4097)
            c.send(b)
            c.expect_protocol_error("larger than the limit")
        # Far over: refused without the daemon waiting for all of it.
        with d.client() as c:
            b = request_bytes(3, "test.echo", {"s": "y" * 100000})
            c.send(b[:8192])
            c.expect_protocol_error("larger than the limit", timeout=2)
        # A declared str16 of 4096 bytes cannot fit with its header.
        with d.client() as c:
            c.send(b"\xda\x10\x00")
            c.expect_protocol_error("larger than the limit", timeout=2)
        with d.client() as c:
            check_eq(c.call_ok("ping"), PING, "daemon still serves")


def test_huge_declared_header(t):
    """Five bytes declaring a 4 GiB container or string: protocol_error at
    once (not a wait for bytes that never come) and no allocation."""
    headers = [
        b"\xdd\xff\xff\xff\xff",            # array32
        b"\xdf\xff\xff\xff\xff",            # map32
        b"\xdb\xff\xff\xff\xff",            # str32
        b"\xc6\xff\xff\xff\xff",            # bin32
        b"\xc9\xff\xff\xff\xff\x01",        # ext32
        b"\xdc\xff\xff" * 1,                # array16 of 65535 (>64 KiB owed
                                            # is fine at 1 MiB: see below)
        # Inside a well-formed request head.
        b"\x94\x00\x01\xa9test.echo\x91\x81\xa1s\xdb\xff\xff\xff\xff",
        b"\x94\x00\x01\xa9test.echo\x91\xdf\x7f\xff\xff\xff",
    ]
    with t.daemon().start() as d:
        before = d.rss_kb()
        for h in headers:
            with d.client() as c:
                c.send(h)
                if h == b"\xdc\xff\xff":
                    # 65535 elements fit in 1 MiB: the daemon waits for
                    # them; the verdict comes as they arrive.
                    c.send(b"\xc0" * 10)
                    try:
                        msg = c.read(timeout=0.3)
                        raise TestFailure("answer to a partial array: %r"
                                          % (msg,))
                    except ReadTimeout:
                        pass
                    continue
                started = time.monotonic()
                c.expect_protocol_error("larger than the limit", timeout=2)
                took = time.monotonic() - started
                check(took < 1.0, "refused at once", header=h, took=took)
        after = d.rss_kb()
        check_rss(after - before, 4096, "RSS did not jump",
                  before_kb=before, after_kb=after)
        with d.client() as c:
            check_eq(c.call_ok("ping"), PING, "still serving")


def nest(n, leaf=1):
    v = leaf
    for _ in range(n):
        v = [v]
    return v


def test_nesting_limit(t):
    """16 levels of containers in one message are fine, 17 are not."""
    with t.daemon().start() as d:
        with d.client() as c:
            # request array, params array, map: 3 levels, + 13 = 16.
            p = {"v": nest(13)}
            c.send(pack([0, 1, "test.echo", [p]]))
            check_eq(c.read(), [1, 1, None, p], "16 levels echoed")
            # A bare 16-deep array is well-formed, just not a request.
            c.send(pack(nest(16)))
            msg = c.read()
            check_eq(msg[:2], [1, 0], "bare 16-deep array answered")
            check_eq(msg[2][0], "bad_request", "bare 16-deep array")
            c.send(pack([0, 2, "test.echo", [{"v": nest(14)}]]))
            c.expect_protocol_error("nested too deeply")
        with d.client() as c:
            c.send(pack(nest(17)))
            c.expect_protocol_error("nested too deeply")
        with d.client() as c:
            # Maps count too: the params map and 14 more make 17.
            v = 1
            for _ in range(15):
                v = {"k": v}
            c.send(pack([0, 3, "test.echo", [v]]))
            c.expect_protocol_error("nested too deeply")
        with d.client() as c:
            # Only the header needs to arrive: refused before the rest.
            c.send(b"\x91" * 17)
            c.expect_protocol_error("nested too deeply", timeout=2)


def test_read_timeout(t):
    """Half a message, then silence: dropped after --read-timeout-ms with
    protocol_error; an idle connection (no partial message) stays."""
    with t.daemon("--read-timeout-ms", "300").start() as d:
        idle = d.client()
        idle.call_ok("ping")
        with d.client() as c:
            b = request_bytes(1, "test.echo", {"s": "z" * 100})
            c.send(b[:len(b) // 2])
            started = time.monotonic()
            c.expect_protocol_error("read timeout", timeout=5)
            took = time.monotonic() - started
            check(0.27 <= took < 1.5, "dropped after about 300 ms", took=took)
        # The idle connection, silent for longer than the read timeout,
        # is still served (idle timeout is off by default).
        check_eq(idle.call_ok("ping"), PING, "idle connection kept")
        idle.close()


def test_read_timeout_trickle(t):
    """A message trickled a byte at a time, each byte before the read
    timeout, must still be completed within the read timeout (conn.c: "a
    half-received message must be completed within the read timeout");
    otherwise one client holds a buffer up to --max-message-bytes forever."""
    with t.daemon("--read-timeout-ms", "300").start() as d, d.client() as c:
        b = request_bytes(1, "test.echo", {"s": "w" * 40})
        started = time.monotonic()
        got = None
        for i in range(len(b) - 1):
            c.send(b[i:i + 1])
            try:
                got = c.read(timeout=0.1)   # paces the trickle: 100 ms/byte
                break
            except ReadTimeout:
                pass
            except EOFReached:
                got = "EOF"
                break
        took = time.monotonic() - started
        check(got is not None and got != [1, 1, None, {"s": "w" * 40}],
              "a trickled message was not cut off by the read timeout",
              seconds_trickled=round(took, 2), bytes_sent=len(b) - 1)
        check(took < 1.5, "cut off within the read timeout (plus slack)",
              took=took)


def test_idle_timeout(t):
    """--idle-timeout-ms 300: a connection with nothing in flight is closed
    (EOF) after it; one waiting for an answer is not idle."""
    with t.daemon("--idle-timeout-ms", "300").start() as d:
        with d.client() as c:
            c.call_ok("ping")
            started = time.monotonic()
            c.expect_eof(timeout=5)
            took = time.monotonic() - started
            check(0.27 <= took < 1.5, "closed after about 300 ms", took=took)
        with d.client() as c:
            check_eq(c.call_ok("test.sleep", {"ms": 700}, timeout=5),
                     {"slept_ms": 700}, "a request longer than the idle "
                     "timeout is answered")
        check(d.wait_log("idle timeout", 2), "idle timeout logged")
        # A subscriber waits for events, not idle: it outlives a
        # connection that went idle after it subscribed, until it
        # unsubscribes.
        with d.client() as sub, d.client() as c:
            sid = sub.call_ok("events.subscribe")["subscription_id"]
            c.call_ok("ping")
            c.expect_eof(timeout=5)
            check_eq(sub.call_ok("ping")["protocol"], 1,
                     "the subscriber is still connected")
            sub.call_ok("events.unsubscribe", {"subscription_id": sid})
            started = time.monotonic()
            sub.expect_eof(timeout=5)
            took = time.monotonic() - started
            check(0.27 <= took < 1.5, "idle once it unsubscribed", took=took)


def test_inflight_limit(t):
    """At most 256 requests in flight per connection: with the only handle
    held, a client pipelining 600 database requests gets 256 in flight
    (one with the pool, the rest waiting for the connection's turn); the
    rest wait in the socket until answers free room.  All are answered."""
    n = 600
    with t.daemon("--pool-size", "1", "--pool-timeout-ms", "20000").start() \
            as d:
        holder = d.client()
        holder.request("test.sleep_write", {"ms": 1500})
        wait_until(lambda: d.stats()["pool"]["in_use"] == 1, 5,
                   "the holder to get the handle")
        with d.client(timeout=20) as c:
            c.send(b"".join(request_bytes(i, "test.sleep", {"ms": 0})
                            for i in range(1, n + 1)))
            def queued(s):
                return s["pool"]["waiting"] + s["requests"]["waiting_turn"]
            st = wait_until(lambda: (lambda s: s if queued(s) >= 256
                                     else None)(d.stats()),
                            5, "256 queued requests")
            # Give the daemon every chance to read more: the holder's reply
            # is the proof of progress, and waiting is read again before.
            s = d.stats()
            check(queued(s) <= 256, "no more than 256 requests in flight "
                  "on one connection", waiting=queued(s),
                  first_seen=queued(st))
            check_eq(s["pool"]["waiting"], 1, "one of them with the pool "
                     "(a pool's worth: --pool-size 1)")
            check_eq(s["requests"]["in_flight"], 257, "in flight: the "
                     "holder and the 256")
            check_eq(holder.read_response(timeout=5)[3], {"slept_ms": 1500},
                     "holder answered")
            seen = set()
            while len(seen) < n:
                msg = c.read_response(timeout=20)
                check_eq(msg[2], None, "error for %d" % msg[1])
                seen.add(msg[1])
            check_eq(seen, set(range(1, n + 1)), "every request answered")
        holder.close()


def test_slow_reader(t):
    """A client pipelines >= 64 MiB of 60 KiB test.echo requests and reads
    nothing: the daemon stops reading it once ~4 MiB of answers are queued,
    its RSS stays under 64 MiB and other clients are served.  Then the
    client reads and gets every answer, intact."""
    payload_len = 60 * 1024
    n = (64 * MiB) // payload_len + 16
    with t.daemon().start() as d:
        base_rss = d.rss_kb()

        def payload(i):
            return i.to_bytes(4, "big") * (payload_len // 4)

        reqs = [request_bytes(i, "test.echo", {"p": payload(i)})
                for i in range(n)]
        total = sum(len(r) for r in reqs)
        check(total >= 64 * MiB, "at least 64 MiB to send", total=total)
        blob = b"".join(reqs)
        del reqs

        slow = d.client(timeout=60)
        slow.sock.setblocking(False)
        sent = 0
        max_rss = base_rss
        # Phase 1: write until the daemon stops reading (no room for 1 s).
        while sent < total:
            _, w, _ = select.select([], [slow.sock], [], 1.0)
            max_rss = max(max_rss, d.rss_kb())
            if not w:
                break
            try:
                sent += slow.sock.send(blob[sent:sent + MiB])
            except BlockingIOError:
                pass
        stalled_at = sent
        max_rss = max(max_rss, d.rss_kb())
        t.diag("stalled after %.1f MiB sent of %.1f; daemon RSS %d KiB "
               "(base %d)" % (sent / MiB, total / MiB, max_rss, base_rss))
        check(stalled_at < 16 * MiB, "the daemon stopped reading the client "
              "that does not read", sent_mib=stalled_at / MiB)
        check_rss(max_rss, 64 * 1024, "daemon RSS under 64 MiB")

        # Others are served meanwhile, quickly.
        with d.client() as other:
            started = time.monotonic()
            check_eq(other.call_ok("ping"), PING, "ping")
            took = time.monotonic() - started
            check(took < 0.2, "ping answered quickly", took=took)
            st = other.call_ok("server.stats")
            check_eq(st["connections"]["open"], 2, "connections.open")

        # Phase 2: read everything, sending the rest as room appears.
        got = 0
        deadline = time.monotonic() + 120
        while got < n:
            check(time.monotonic() < deadline, "phase 2 deadline",
                  got=got, n=n)
            wl = [slow.sock] if sent < total else []
            r, w, _ = select.select([slow.sock], wl, [], 5.0)
            check(r or w, "progress within 5 s", got=got, sent=sent)
            if w:
                try:
                    sent += slow.sock.send(blob[sent:sent + MiB])
                except BlockingIOError:
                    pass
            if r:
                data = slow.sock.recv(4 * MiB)
                check(data, "EOF before every answer", got=got)
                slow.unpacker.feed(data)
                for msg in slow.unpacker:
                    check(msg[:3] == [1, got, None],
                          "answers in order, without error",
                          want_msgid=got, got=msg[:3])
                    check(msg[3] == {"p": payload(got)}, "payload intact",
                          msgid=got)
                    got += 1
                if got % 64 == 0:
                    max_rss = max(max_rss, d.rss_kb())
        max_rss = max(max_rss, d.rss_kb())
        check_rss(max_rss, 64 * 1024, "daemon RSS under 64 MiB throughout")
        slow.close()


def test_slow_reader_leaves(t):
    """A client with megabytes of answers queued that disconnects without
    reading them: the daemon drops them, frees the connection and keeps
    serving."""
    # Debug level: "client N disconnected" is the sign it is gone.
    with t.daemon("--log-level", "debug").start() as d, \
            d.client() as other:
        payload = b"q" * (60 * 1024)
        slow = d.client()
        slow.sock.setblocking(False)
        blob = b"".join(request_bytes(i, "test.echo", {"p": payload})
                        for i in range(200))          # ~12 MiB
        sent = 0
        while sent < len(blob):
            _, w, _ = select.select([], [slow.sock], [], 1.0)
            if not w:
                break
            try:
                sent += slow.sock.send(blob[sent:sent + MiB])
            except BlockingIOError:
                pass
        check(sent < len(blob), "the daemon stopped reading", sent=sent)
        slow.close()
        d.wait_log("client 2 disconnected", 5)
        st = other.call_ok("server.stats")
        check_eq(st["connections"]["open"], 1, "connections.open")
        check_eq(other.call_ok("ping"), PING, "still serving")
        check(d.rss_kb() < 64 * 1024, "RSS", rss_kb=d.rss_kb())


def test_max_clients(t):
    """--max-clients 5: the 6th connection gets protocol_error "too many
    clients" and EOF; after one leaves, a new one is accepted."""
    with t.daemon("--max-clients", "5").start() as d:
        clients = [d.client() for _ in range(5)]
        for c in clients:
            check_eq(c.call_ok("ping"), PING, "ping")
        with d.client() as sixth:
            msg = sixth.expect_protocol_error()
            check_eq(msg, "too many clients", "refusal message")
        st = clients[0].call_ok("server.stats")
        check_eq(st["connections"], {"open": 5, "max": 5, "queued_bytes": 0},
                 "connections")
        clients.pop().close()
        wait_until(lambda: clients[0].call_ok("server.stats")
                   ["connections"]["open"] == 4, 5, "connections.open == 4")
        with d.client() as again:
            check_eq(again.call_ok("ping"), PING, "a new client accepted")
            with d.client() as seventh:
                seventh.expect_protocol_error("too many clients")
        for c in clients:
            check_eq(c.call_ok("ping"), PING, "the first ones unharmed")
            c.close()
        d.wait_log("too many clients", 5)       # the refusal is logged


TESTS = [
    test_message_size_limit,
    test_huge_declared_header,
    test_nesting_limit,
    test_read_timeout,
    test_read_timeout_trickle,
    test_idle_timeout,
    test_inflight_limit,
    test_slow_reader,
    test_slow_reader_leaves,
    test_max_clients,
]

if __name__ == "__main__":
    main(TESTS, {"test_slow_reader": 180, "test_inflight_limit": 90})
