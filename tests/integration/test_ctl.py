#!/usr/bin/python3
"""
test_ctl.py -- cashbookctl against a real cashbookd: output, --json, exit
statuses, socket selection, timeouts and errors from the daemon.

Usage: test_ctl.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, wait_until  # noqa

PING = {"version": "0.1.0", "protocol": 1}


def ctl(t, *args, env=None, timeout=15):
    """Run cashbookctl; returns (status, stdout, stderr)."""
    e = {k: v for k, v in os.environ.items() if k != "CASHBOOK_SOCKET"}
    if env:
        e.update(env)
    p = subprocess.run([t.cashbookctl] + list(args), capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=timeout, env=e)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_ping(t):
    with t.daemon().start() as d:
        code, out, err = ctl(t, "--socket", d.socket, "ping")
        check_eq(code, 0, "exit status", stderr=err)
        check(re.match(r"pong from cashbookd 0\.1\.0 \(protocol 1\) in "
                       r"[0-9.]+ ms\n$", out), "ping output", out=out)
        code, out, err = ctl(t, "--socket", d.socket, "--json", "ping")
        check_eq(code, 0, "exit status")
        check_eq(json.loads(out), PING, "--json ping")
        check_eq(d.stats()["requests"]["total"], 3, "one request per ping")


def test_json_stats_match_server_stats(t):
    """--json stats prints server.stats' figures: the same numbers a raw
    client sees, give or take the requests in between."""
    with t.daemon("--pool-size", "3", "--max-clients", "9").start() as d, \
            d.client() as c:
        c.call_ok("server.info")
        c.call_err("test.fatal")                # replaced 1, errors 1
        c.call_err("test.fail")                 # errors 2
        c.call_ok("test.write")
        before = c.call_ok("server.stats")
        code, out, err = ctl(t, "--socket", d.socket, "--json", "stats")
        check_eq(code, 0, "exit status", stderr=err)
        check_eq(out.count("\n"), 1, "one line")
        got = json.loads(out)
        after = c.call_ok("server.stats")
        check_eq(got["pool"], before["pool"], "pool figures")
        check_eq(before["pool"]["replaced"], 1, "replaced")
        check_eq(before["pool"]["acquired"], 4, "acquired")
        check_eq(got["connections"], {"open": 2, "max": 9, "queued_bytes": 0},
                 "connections")
        check_eq(got["requests"], {"total": before["requests"]["total"] + 1,
                                   "errors": 2, "in_flight": 0,
                                   "waiting_turn": 0}, "requests")
        check_eq(after["requests"]["total"], before["requests"]["total"] + 2,
                 "cashbookctl made exactly one request")
        check_eq(set(got), {"pool", "connections", "requests", "jobs",
                            "events", "backup", "uptime_s"},
                 "keys")
        check(before["uptime_s"] <= got["uptime_s"] <= after["uptime_s"],
              "uptime", got=got["uptime_s"])

        # The human form shows the same figures.
        code, out, err = ctl(t, "--socket", d.socket, "stats")
        check_eq(code, 0, "exit status")
        for pattern in (r"in use / size\s+0 / 3\n", r"idle\s+3\n",
                        r"waiting\s+0\n", r"acquired\s+4\n",
                        r"released\s+4\n", r"replaced\s+1\n",
                        r"open / max\s+2 / 9\n"):
            check(re.search(pattern, out), "stats shows %r" % pattern,
                  out=out)


def test_info(t):
    with t.daemon().start() as d:
        info = d.call("server.info")[1]
        code, out, err = ctl(t, "--socket", d.socket, "--json", "info")
        check_eq(code, 0, "exit status", stderr=err)
        check_eq(json.loads(out), info, "--json info is server.info")
        code, out, err = ctl(t, "--socket", d.socket, "info")
        check_eq(code, 0, "exit status")
        check(d.db in out, "names the database", out=out)


def test_no_daemon(t):
    path = os.path.join(tempfile.gettempdir(), "cbit-nobody-%d.sock"
                        % os.getpid())
    code, out, err = ctl(t, "--socket", path, "ping")
    check_eq(code, 3, "exit status")
    check("cannot connect to cashbookd at %s" % path in err, "message",
          stderr=err)
    check_eq(out, "", "nothing on stdout")
    code, out, err = ctl(t, "--socket", path, "--json", "stats")
    check_eq(code, 3, "exit status with --json")
    check_eq(json.loads(out)["error"]["code"], "cannot_connect",
             "--json error")
    # A socket file with nobody listening is the same.
    d = tempfile.mkdtemp(prefix="cbit-ctl-")
    try:
        stale = os.path.join(d, "s.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(stale)
        s.close()
        code, out, err = ctl(t, "--socket", stale, "ping")
        check_eq(code, 3, "exit status for a stale socket")
        check("cannot connect to cashbookd at %s" % stale in err, "message",
              stderr=err)
    finally:
        import shutil
        shutil.rmtree(d, ignore_errors=True)


def test_usage_errors(t):
    for args in (["bogus"], ["--bogus", "ping"], [], ["ping", "extra"],
                 ["--timeout", "x", "ping"]):
        code, out, err = ctl(t, "--socket", "/nonexistent/s.sock", *args)
        check_eq(code, 2, "exit status for %s" % args, stderr=err)
        check(err.strip() != "", "a message for %s" % args)
    code, out, err = ctl(t, "bogus")
    check("unknown command 'bogus'" in err, "names the command", err=err)
    code, out, err = ctl(t, "--help")
    check_eq(code, 0, "--help")
    check(out.startswith("usage: cashbookctl"), "usage", out=out)


def test_socket_selection(t):
    """CASHBOOK_SOCKET is used when --socket is absent; --socket wins."""
    with t.daemon().start() as d:
        code, out, err = ctl(t, "ping", env={"CASHBOOK_SOCKET": d.socket})
        check_eq(code, 0, "CASHBOOK_SOCKET", stderr=err)
        code, out, err = ctl(t, "--socket", d.socket, "ping",
                             env={"CASHBOOK_SOCKET": "/nonexistent/x.sock"})
        check_eq(code, 0, "--socket wins", stderr=err)
        code, out, err = ctl(t, "--socket", "/nonexistent/y.sock", "ping",
                             env={"CASHBOOK_SOCKET": d.socket})
        check_eq(code, 3, "--socket wins (the other way)")
        # XDG_RUNTIME_DIR's default path.
        run_dir = tempfile.mkdtemp(prefix="cbit-xdg-")
        try:
            code, out, err = ctl(t, "ping", env={"XDG_RUNTIME_DIR": run_dir})
            check_eq(code, 3, "nothing at the XDG default")
            check(os.path.join(run_dir, "cashbook", "cashbookd.sock") in err,
                  "looks in $XDG_RUNTIME_DIR/cashbook", stderr=err)
        finally:
            os.rmdir(run_dir)


def test_timeout(t):
    """A server that accepts and never answers: --timeout 300 gives up
    with exit 1 in about 300 ms."""
    d = tempfile.mkdtemp(prefix="cbit-ctl-")
    path = os.path.join(d, "mute.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(path)
        s.listen(4)
        started = time.monotonic()
        code, out, err = ctl(t, "--socket", path, "--timeout", "300", "ping")
        took = time.monotonic() - started
        check_eq(code, 1, "exit status", stderr=err)
        check(0.29 <= took < 2.0, "gave up after about 300 ms", took=took)
        check(err.strip() != "", "says why")
    finally:
        s.close()
        import shutil
        shutil.rmtree(d, ignore_errors=True)


def test_daemon_error(t):
    """An error answered by the daemon is exit 1, with its code."""
    with t.daemon("--pool-size", "1", "--pool-timeout-ms", "100").start() \
            as d:
        holder = d.client()
        holder.request("test.sleep_write", {"ms": 1500})
        wait_until(lambda: d.stats()["pool"]["in_use"] == 1, 5, "in_use")
        code, out, err = ctl(t, "--socket", d.socket, "--json", "info")
        check_eq(code, 1, "exit status", stderr=err)
        check_eq(json.loads(out)["error"]["code"], "pool_timeout",
                 "--json error code", out=out)
        code, out, err = ctl(t, "--socket", d.socket, "info")
        check_eq(code, 1, "exit status")
        check("pool" in err, "the message is about the pool", stderr=err)
        # ping does not need the pool.
        code, out, err = ctl(t, "--socket", d.socket, "ping")
        check_eq(code, 0, "ping while the pool is busy", stderr=err)
        holder.close()


TESTS = [
    test_ping,
    test_json_stats_match_server_stats,
    test_info,
    test_no_daemon,
    test_usage_errors,
    test_socket_selection,
    test_timeout,
    test_daemon_error,
]

if __name__ == "__main__":
    main(TESTS)
