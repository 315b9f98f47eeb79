#!/usr/bin/python3
"""
test_lifecycle.py -- cashbookd's life: start-up checks (flags, paths and
modes, stale sockets, a second daemon, a newer schema), who may connect,
and shutdown (drain, second signal, drain timeout).

Usage: test_lifecycle.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import errno
import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, check_eq, connect_fails, main,  # noqa
                     request_bytes, wait_until, TestFailure)

PING = {"version": "0.1.0", "protocol": 1}


def run(argv, timeout=10, env=None):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_sigterm_drain(t):
    """SIGTERM: the socket goes, a request in flight is answered, a new
    request on an open connection gets unavailable, exit 0."""
    with t.daemon("--pool-size", "2").start() as d:
        busy, other = d.client(), d.client()
        busy.request("test.sleep", {"ms": 500})
        wait_until(lambda: other.call_ok("server.stats")["pool"]["in_use"]
                   == 1, 5, "the sleep to hold a handle")
        started = time.monotonic()
        d.signal(signal.SIGTERM)
        line = d.wait_log("shutting down", 5)
        check("1 requests in flight" in line, "log counts what is in flight",
              line=line)
        for method in ("ping", "server.info", "server.stats"):
            err, res = other.call(method)
            check_eq(err[0] if err else None, "unavailable",
                     "%s during the drain" % method)
        # The signal handler has run (it answered unavailable): the socket
        # is gone and nobody new gets in.
        check(not os.path.exists(d.socket), "socket file removed")
        check_eq(connect_fails(d.socket), errno.ENOENT, "new connect fails")
        msg = busy.read_response(timeout=5)
        check_eq(msg[2:], [None, {"slept_ms": 500}], "in-flight request "
                 "answered with its result")
        code = d.wait_exit(5)
        took = time.monotonic() - started
        check_eq(code, 0, "exit status")
        check(took < 2.0, "exited once drained", took=took)
        other.expect_eof(2)
        busy.expect_eof(2)
        check(not os.path.exists(d.socket + ".lock"), "lock file removed")
        d.wait_log("cashbookd stopped", 1)
        busy.close()
        other.close()


def test_sigterm_idle(t):
    """SIGTERM with nothing in flight exits 0 at once; SIGINT too."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        with t.daemon().start() as d:
            c = d.client()
            c.call_ok("ping")
            started = time.monotonic()
            d.signal(sig)
            check_eq(d.wait_exit(5), 0, "exit status after %s" % sig.name)
            check(time.monotonic() - started < 1.0, "at once")
            c.expect_eof(2)
            c.close()
            check(not os.path.exists(d.socket), "socket removed")


def test_second_sigterm(t):
    """A second SIGTERM during the drain exits without waiting for the
    request in flight."""
    with t.daemon("--pool-size", "2").start() as d:
        busy = d.client()
        busy.request("test.sleep", {"ms": 5000})
        wait_until(lambda: d.stats()["pool"]["in_use"] == 1, 5,
                   "the sleep to hold a handle")
        d.signal(signal.SIGTERM)
        d.wait_log("shutting down", 5)
        started = time.monotonic()
        d.signal(signal.SIGTERM)
        d.wait_log("again", 5)
        try:
            code = d.wait_exit(4.5)
        except TestFailure:
            raise TestFailure("still running %.1fs after the second SIGTERM "
                              "(the 5 s request is being waited for)"
                              % (time.monotonic() - started))
        took = time.monotonic() - started
        check(took < 1.0, "exited without waiting", took=took)
        check_eq(code, 0, "exit status")
        busy.close()


def test_drain_timeout(t):
    """--drain-timeout-ms 300: queued requests are answered unavailable
    when it passes, and the daemon exits without waiting for the 5 s one
    that holds the handle."""
    with t.daemon("--pool-size", "1", "--drain-timeout-ms", "300").start() \
            as d:
        busy, queued = d.client(), d.client()
        busy.request("test.sleep", {"ms": 5000})
        wait_until(lambda: d.stats()["pool"]["in_use"] == 1, 5, "in_use")
        queued.request("server.info")
        wait_until(lambda: d.stats()["pool"]["waiting"] == 1, 5, "waiting")
        started = time.monotonic()
        d.signal(signal.SIGTERM)
        msg = queued.read_response(timeout=3)
        took = time.monotonic() - started
        check_eq(msg[2][0] if msg[2] else None, "unavailable",
                 "queued request after the drain timeout")
        check(0.25 <= took < 1.0, "answered when the drain timeout passed",
              took=took)
        d.wait_log("drain timeout", 2)
        try:
            code = d.wait_exit(4.5)
        except TestFailure:
            raise TestFailure("still running %.1fs after the 300 ms drain "
                              "timeout" % (time.monotonic() - started))
        took = time.monotonic() - started
        check(took < 1.5, "exited after the drain timeout", took=took)
        check_eq(code, 0, "exit status")
        busy.close()
        queued.close()


def test_stale_socket(t):
    """A socket file nobody listens on (a crashed daemon's) is removed."""
    with t.daemon() as d:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(d.socket)
        s.listen(1)
        s.close()                       # the file stays behind
        check(stat.S_ISSOCK(os.lstat(d.socket).st_mode), "stale socket")
        d.start()
        d.wait_log("removed stale socket", 1)
        check_eq(d.call("ping"), (None, PING), "served")


def test_not_a_socket(t):
    """A regular file where the socket should be: exit 1, file kept."""
    with t.daemon() as d:
        with open(d.socket, "w") as f:
            f.write("mine\n")
        d.spawn()
        check_eq(d.wait_exit(10), 1, "exit status")
        check("is not a socket" in d.log_text(), "says why",
              log=d.log_text())
        with open(d.socket) as f:
            check_eq(f.read(), "mine\n", "the file is untouched")


def test_second_daemon(t):
    """A second cashbookd on the same socket exits 1 saying so; the first
    keeps serving."""
    with t.daemon().start() as first:
        c = first.client()
        c.call_ok("ping")
        second = t.daemon(socket_path=first.socket,
                          db=os.path.join(first.dir, "other.db"),
                          dir=first.dir)
        second.spawn()
        check_eq(second.wait_exit(10), 1, "second daemon's exit status")
        check("already running" in second.log_text(), "says why",
              log=second.log_text())
        check(os.path.exists(first.socket), "the first's socket is intact")
        check(os.path.exists(first.socket + ".lock"), "and its lock file")
        check_eq(c.call_ok("ping"), PING, "first still serves its client")
        check_eq(first.call("server.info")[0], None, "and new clients")
        c.close()


def test_default_paths_and_modes(t):
    """Without --socket/--db: $XDG_RUNTIME_DIR/cashbook/cashbookd.sock
    (0600, in a 0700 directory) and $XDG_DATA_HOME/cashbook/cashbook.db
    (directory 0700); then ~/.local/share when XDG_DATA_HOME is unset."""
    base = tempfile.mkdtemp(prefix="cbit-paths-")
    try:
        run_dir = os.path.join(base, "run")
        data_dir = os.path.join(base, "data")
        home = os.path.join(base, "home")
        os.mkdir(run_dir, 0o700)
        env = {k: v for k, v in os.environ.items()
               if k not in ("CASHBOOK_SOCKET", "XDG_DATA_HOME",
                            "XDG_RUNTIME_DIR")}
        env.update(XDG_RUNTIME_DIR=run_dir, XDG_DATA_HOME=data_dir,
                   HOME=home)
        sock = os.path.join(run_dir, "cashbook", "cashbookd.sock")
        db = os.path.join(data_dir, "cashbook", "cashbook.db")
        with t.daemon(socket_path=None, db=None, env=env, dir=base) as d:
            d.socket = sock             # where the clients look
            d.start()
            check("listening on %s" % sock in d.log_text(), "log names it")
            check_eq(stat.S_IMODE(os.stat(sock).st_mode), 0o600,
                     "socket mode")
            check(stat.S_ISSOCK(os.stat(sock).st_mode), "a socket")
            check_eq(stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode),
                     0o700, "socket directory mode")
            check_eq(stat.S_IMODE(os.stat(os.path.dirname(db)).st_mode),
                     0o700, "database directory mode")
            check_eq(d.call("server.info")[1]["database"], db, "database")
            check_eq(d.stop(), 0, "exit status")

        # XDG_DATA_HOME unset: ~/.local/share/cashbook/cashbook.db.
        del env["XDG_DATA_HOME"]
        with t.daemon(socket_path=None, db=None, env=env, dir=base) as d:
            d.socket = sock
            d.start()
            hdb = os.path.join(home, ".local", "share", "cashbook",
                               "cashbook.db")
            check_eq(d.call("server.info")[1]["database"], hdb, "database")
            check_eq(stat.S_IMODE(os.stat(os.path.dirname(hdb)).st_mode),
                     0o700, "database directory mode")
            check_eq(d.stop(), 0, "exit status")

        # CASHBOOK_SOCKET wins over XDG_RUNTIME_DIR.
        env["CASHBOOK_SOCKET"] = os.path.join(base, "env.sock")
        with t.daemon(socket_path=None, env=env, dir=base) as d:
            d.socket = env["CASHBOOK_SOCKET"]
            d.start()
            check_eq(d.call("ping"), (None, PING), "served at "
                     "$CASHBOOK_SOCKET")
        del env["CASHBOOK_SOCKET"]

        # A socket directory others can enter is refused.
        os.chmod(os.path.dirname(sock), 0o755)
        with t.daemon(socket_path=None, env=env, dir=base) as d:
            d.spawn()
            check_eq(d.wait_exit(10), 1, "exit status")
            check("not private" in d.log_text(), "says why",
                  log=d.log_text())
    finally:
        import shutil
        shutil.rmtree(base, ignore_errors=True)


def test_newer_schema_refused(t):
    with t.daemon() as d:
        con = sqlite3.connect(d.db)
        con.execute("PRAGMA user_version = 99")
        con.commit()
        con.close()
        d.spawn()
        check_eq(d.wait_exit(10), 1, "exit status")
        log = d.log_text()
        check("newer" in log, "says the database is newer", log=log)
        check("99" in log, "names the version found", log=log)
        check(not os.path.exists(d.socket), "never listened")
        con = sqlite3.connect(d.db)
        try:
            check_eq(con.execute("PRAGMA user_version").fetchone()[0], 99,
                     "the database is left alone")
        finally:
            con.close()


def test_restart_keeps_database(t):
    """Stop and start again on the same files: same identity, the schema
    is not migrated twice."""
    with t.daemon().start() as d:
        info = d.call("server.info")[1]
        d.call("test.write")
        check_eq(d.stop(), 0, "exit status")
        check(not os.path.exists(d.socket), "socket removed on exit")
        d2 = t.daemon(dir=d.dir).start()
        check_eq(d2.call("server.info"), (None, info), "same identity")


def test_bad_flags(t):
    for args in (["--pool-size", "0"], ["--pool-size", "65"],
                 ["--pool-size", "x"], ["--bogus"], ["--pool-size"],
                 ["--max-message-bytes", "1023"], ["--synchronous", "off"],
                 ["--log-level", "loud"], ["--max-clients", "-1"],
                 ["extra-argument"]):
        code, out, err = run([t.cashbookd] + args)
        check_eq(code, 2, "exit status for %s" % args)
        check(err.strip() != "", "a message on stderr for %s" % args)
        check("cashbookd" in err, "the message names the program", err=err)
    code, out, err = run([t.cashbookd, "--pool-size", "64", "--help"])
    check_eq(code, 0, "--help after valid flags")
    check(out.startswith("usage: cashbookd"), "usage", out=out)


def test_help_and_version(t):
    code, out, err = run([t.cashbookd, "--help"])
    check_eq(code, 0, "--help exit status")
    check(out.startswith("usage: cashbookd"), "usage on stdout", out=out)
    for flag in ("--socket", "--db", "--pool-size", "--pool-timeout-ms",
                 "--busy-timeout-ms", "--statement-timeout-ms",
                 "--synchronous", "--max-clients", "--max-message-bytes",
                 "--read-timeout-ms", "--idle-timeout-ms",
                 "--drain-timeout-ms", "--leak-threshold-ms", "--log-level",
                 "--version"):
        check(flag in out, "--help mentions %s" % flag)
    code, out, err = run([t.cashbookd, "--version"])
    check_eq(code, 0, "--version exit status")
    check(out.startswith("cashbookd 0.1.0"), "version line", out=out)
    check("protocol 1" in out, "protocol version", out=out)


NOBODY_CLIENT = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(json.dumps({"connect_errno": e.errno})); sys.exit(0)
try:
    s.sendall(bytes.fromhex(sys.argv[2]))
except OSError:
    pass            # refused and closed before we wrote: fine
data = b""
try:
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            b = b""
        if not b:
            break
        data += b
except socket.timeout:
    print(json.dumps({"timeout": True, "data": data.hex()})); sys.exit(0)
print(json.dumps({"eof": True, "data": data.hex()}))
"""


def test_other_uid_refused(t):
    """Another user: the socket's 0600 mode refuses the connect; with the
    mode opened up, the daemon itself refuses the peer's uid."""
    if os.geteuid() != 0 or not os.path.exists("/usr/bin/setpriv"):
        print("# skipped: needs root and setpriv")
        return
    import msgpack

    def as_nobody(path):
        code, out, err = run(["/usr/bin/setpriv", "--reuid=65534",
                              "--regid=65534", "--clear-groups",
                              "/usr/bin/python3", "-c", NOBODY_CLIENT, path,
                              request_bytes(1, "ping").hex()], timeout=15)
        check_eq(code, 0, "nobody's client ran", stderr=err)
        return json.loads(out)

    with t.daemon().start() as d:
        os.chmod(d.dir, 0o755)
        r = as_nobody(d.socket)
        check_eq(r, {"connect_errno": errno.EACCES}, "0600 socket")
        os.chmod(d.socket, 0o666)
        r = as_nobody(d.socket)
        check(r.get("eof"), "closed by the daemon", result=r)
        up = msgpack.Unpacker(raw=False)
        up.feed(bytes.fromhex(r["data"]))
        msgs = list(up)
        check_eq(len(msgs), 1, "one message, no answer to the ping")
        check_eq(msgs[0][:2], [2, "error"], "a notification")
        check_eq(msgs[0][2][0], "protocol_error", "code")
        check("permission denied" in msgs[0][2][1], "says why",
              msg=msgs[0][2][1])
        d.wait_log("refused a client of uid 65534", 5)   # logged
        st = d.stats()
        check_eq(st["connections"]["open"], 1, "never counted as a client")
        check_eq(st["requests"]["total"], 1, "the ping was never run")


TESTS = [
    test_sigterm_drain,
    test_sigterm_idle,
    test_second_sigterm,
    test_drain_timeout,
    test_stale_socket,
    test_not_a_socket,
    test_second_daemon,
    test_default_paths_and_modes,
    test_newer_schema_refused,
    test_restart_keeps_database,
    test_bad_flags,
    test_help_and_version,
    test_other_uid_refused,
]

if __name__ == "__main__":
    main(TESTS)
