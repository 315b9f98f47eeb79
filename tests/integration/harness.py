"""
harness.py -- what every integration test shares: a real cashbookd in a
temporary directory, a raw msgpack-RPC client, and a TAP reporter.

The tests drive the real binaries over a real Unix socket, the way tmux's
regression scripts and redis's Tcl suite do.  Everything here is bounded:

  - cashbookd is started with its socket and database in a fresh temporary
    directory; readiness is its "listening on" log line, never a sleep;
  - its stderr is read by a thread into a list, so tests can wait for and
    assert on log lines;
  - every socket read has a deadline (ReadTimeout when it passes);
  - every test has a deadline (SIGALRM raises TestTimeout in it);
  - every daemon started is stopped after each test, even on failure
    (SIGTERM, then SIGKILL), and every temporary directory is removed.

Runs under Debian's /usr/bin/python3, which has the msgpack module.
"""
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import msgpack

# Every stable error code of the protocol (docs/protocol.md).
ERROR_CODES = (
    "bad_request", "unauthorized", "not_found", "conflict", "rate_limited",
    "pool_timeout", "statement_timeout", "too_large", "unknown_method",
    "unavailable", "internal", "forbidden",
)

# The database schema this cashbookd creates (daemon/schema.c).
SCHEMA_VERSION = 7

DEFAULT_READ_TIMEOUT = 10.0     # seconds, for one message
START_TIMEOUT = 10.0            # seconds, for "listening on"
STOP_TIMEOUT = 15.0             # seconds, SIGTERM to exit before SIGKILL
MAX_BUFFER = 256 * 1024 * 1024  # the Unpacker's bound on buffered input


class TestFailure(AssertionError):
    pass


class TestTimeout(Exception):
    pass


class ReadTimeout(Exception):
    pass


class EOFReached(Exception):
    pass


def check(cond, what, **diag):
    """Assert with diagnostics: check(a == b, "a is b", a=a, b=b)."""
    if not cond:
        lines = [what]
        for k, v in diag.items():
            lines.append("%s: %r" % (k, v))
        raise TestFailure("\n".join(lines))


def check_eq(got, want, what, **diag):
    """Exact equality, type included (1 is not True, 1.0 is not 1)."""
    if got != want or type(got) is not type(want):
        extra = "".join("\n%s: %r" % kv for kv in diag.items())
        raise TestFailure("%s\n  got:  %r (%s)\n  want: %r (%s)%s" % (
            what, got, type(got).__name__, want, type(want).__name__, extra))


def pack(obj):
    """msgpack with str as str and bytes as bin (the current spec)."""
    return msgpack.packb(obj, use_bin_type=True)


def request_bytes(msgid, method, params=None):
    """[0, msgid, method, []] or [0, msgid, method, [params]]."""
    return pack([0, msgid, method, [] if params is None else [params]])


# scripts/test --sanitize sets this: ASan's shadow memory and quarantine
# make the daemon's RSS say nothing about its own memory use.
SANITIZED = os.environ.get("CASHBOOK_SANITIZED") == "1"


def check_rss(kb, limit_kb, what, **diag):
    """Check a daemon RSS bound, except in a sanitizer build."""
    if SANITIZED:
        return
    check(kb < limit_kb, what, rss_kb=kb, limit_kb=limit_kb, **diag)


def rss_kb(pid):
    """VmRSS of pid in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise TestFailure("no VmRSS for pid %d" % pid)


def wait_until(pred, timeout, what, interval=0.01):
    """Poll pred() (a cheap query such as server.stats) until it returns a
    true value; fail after timeout seconds.  For conditions the daemon only
    exposes through its figures; never a substitute for a read."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise TestFailure("timed out after %.1fs waiting for %s" % (
                timeout, what))
        time.sleep(interval)


# ---------------------------------------------------------------- daemon

_live_daemons = []
_test_daemons = []      # every daemon started by the current test
_live_lock = threading.Lock()


class Daemon:
    """One cashbookd in its own temporary directory.

    Daemon(path, "--pool-size", "1").start() runs
        cashbookd --socket DIR/s.sock --db DIR/c.db --pool-size 1
    Pass socket=None / db=None to leave those flags out, env= to change the
    environment, dir= to reuse a directory (then it is not removed).
    """

    def __init__(self, binary, *args, socket_path="", db="", env=None,
                 dir=None):
        self.binary = binary
        self.owns_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="cbit-")
        self.socket = (os.path.join(self.dir, "s.sock")
                       if socket_path == "" else socket_path)
        self.db = os.path.join(self.dir, "c.db") if db == "" else db
        self.args = list(args)
        self.env = env
        self.pass_fds = ()      # descriptors the process inherits
        self.proc = None
        self.log = []
        self.log_cond = threading.Condition()
        self.log_done = False
        self.reader = None
        self.returncode = None

    # -- start / stop

    def argv(self):
        argv = [self.binary]
        if self.socket is not None:
            argv += ["--socket", self.socket]
        if self.db is not None:
            argv += ["--db", self.db]
        return argv + self.args

    def spawn(self):
        """Start the process without waiting for readiness."""
        self.proc = subprocess.Popen(
            self.argv(), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=self.env, start_new_session=True, pass_fds=self.pass_fds)
        with _live_lock:
            _live_daemons.append(self)
            _test_daemons.append(self)
        self.reader = threading.Thread(target=self._read_log, daemon=True)
        self.reader.start()
        return self

    def start(self, timeout=START_TIMEOUT):
        """Start and wait for the "listening on" line.  Fails (with the
        log) if the daemon exits first or the line never comes."""
        self.spawn()
        if not self.wait_log("listening on", timeout, fail=False):
            code = self.proc.poll()
            self.kill()
            raise TestFailure("cashbookd did not become ready (exit %r)"
                              "\n# log:\n%s" % (code, self.log_text()))
        return self

    def _read_log(self):
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.log_cond:
                self.log.append(line)
                self.log_cond.notify_all()
        with self.log_cond:
            self.log_done = True
            self.log_cond.notify_all()

    def log_text(self):
        with self.log_cond:
            return "\n".join(self.log)

    def log_lines(self, substring):
        with self.log_cond:
            return [ln for ln in self.log if substring in ln]

    def wait_log(self, substring, timeout=DEFAULT_READ_TIMEOUT, start=0,
                 fail=True):
        """Wait for a log line (from index start on) containing substring.
        Returns the line; on timeout or EOF of the log, raises (or returns
        None when fail is False)."""
        deadline = time.monotonic() + timeout
        with self.log_cond:
            while True:
                for ln in self.log[start:]:
                    if substring in ln:
                        return ln
                left = deadline - time.monotonic()
                if self.log_done or left <= 0:
                    if not fail:
                        return None
                    raise TestFailure(
                        "no log line containing %r within %.1fs\n# log:\n%s"
                        % (substring, timeout, "\n".join(self.log)))
                self.log_cond.wait(left)

    def log_mark(self):
        with self.log_cond:
            return len(self.log)

    def wait_exit(self, timeout):
        """Wait for the process to exit; returns its status or raises."""
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure("cashbookd (pid %d) did not exit within %.1fs"
                              % (self.proc.pid, timeout))
        self._join_reader()
        return self.returncode

    def _join_reader(self):
        if self.reader is not None:
            self.reader.join(5)

    def signal(self, sig):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM and wait; SIGKILL if it does not exit in time.  Returns
        the exit status (negative: killed by a signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.returncode = self.proc.returncode
        self._join_reader()
        return self.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self._join_reader()

    def cleanup(self):
        """Stop (if running) and remove the directory we made."""
        try:
            self.stop(5)
        finally:
            self.kill()
            if self.proc is not None and self.proc.stderr is not None:
                self.proc.stderr.close()
            with _live_lock:
                if self in _live_daemons:
                    _live_daemons.remove(self)
            if self.owns_dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def pid(self):
        return self.proc.pid

    def rss_kb(self):
        return rss_kb(self.proc.pid)

    # -- clients

    def client(self, timeout=DEFAULT_READ_TIMEOUT):
        return Client(self.socket, timeout)

    def call(self, method, params=None, timeout=DEFAULT_READ_TIMEOUT):
        """One call on a fresh connection."""
        with self.client(timeout) as c:
            return c.call(method, params)

    def stats(self):
        err, res = self.call("server.stats")
        check(err is None, "server.stats failed", error=err)
        return res

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False


def cleanup_all_daemons():
    with _live_lock:
        live = list(_live_daemons)
    for d in live:
        d.cleanup()


# ---------------------------------------------------------------- client

class Client:
    """A raw msgpack-RPC connection.  Every read has a deadline."""

    def __init__(self, path, timeout=DEFAULT_READ_TIMEOUT, connect=True):
        self.path = path
        self.timeout = timeout
        self.sock = None
        self.unpacker = msgpack.Unpacker(raw=False, max_buffer_size=MAX_BUFFER,
                                         strict_map_key=False)
        self.next_msgid = 1
        self.eof = False
        if connect:
            self.connect()

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self.path)
        except BaseException:
            s.close()
            raise
        self.sock = s
        return self

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def fileno(self):
        return self.sock.fileno()

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method, params=None, msgid=None):
        """Send one request; returns its msgid."""
        if msgid is None:
            msgid = self.next_msgid
            self.next_msgid += 1
        self.send(request_bytes(msgid, method, params))
        return msgid

    def _fill(self, deadline):
        """Read more bytes into the unpacker before deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise ReadTimeout("no complete message within the timeout")
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            raise ReadTimeout("no complete message within the timeout")
        try:
            data = self.sock.recv(1 << 20)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            raise EOFReached("connection closed by cashbookd")
        self.unpacker.feed(data)

    def read(self, timeout=None):
        """The next message, decoded.  Raises ReadTimeout or EOFReached."""
        deadline = time.monotonic() + (self.timeout if timeout is None
                                       else timeout)
        while True:
            try:
                return next(self.unpacker)
            except StopIteration:
                pass
            self._fill(deadline)

    def read_response(self, timeout=None):
        msg = self.read(timeout)
        check(isinstance(msg, list) and len(msg) == 4 and msg[0] == 1,
              "expected a response [1, msgid, error, result]", got=msg)
        return msg

    def expect_eof(self, timeout=None):
        """Fail unless the next thing is EOF (no more messages)."""
        try:
            msg = self.read(timeout)
        except EOFReached:
            return
        except ReadTimeout:
            raise TestFailure("expected EOF, the connection stayed open")
        raise TestFailure("expected EOF, got a message: %r" % (msg,))

    def expect_protocol_error(self, message=None, timeout=None):
        """The protocol_error notification, then EOF.  Returns the message
        text; checks it when message is given (substring)."""
        try:
            msg = self.read(timeout)
        except EOFReached:
            raise TestFailure("EOF without the protocol_error notification")
        check(isinstance(msg, list) and len(msg) == 3 and msg[0] == 2 and
              msg[1] == "error" and isinstance(msg[2], list) and
              len(msg[2]) == 2 and msg[2][0] == "protocol_error" and
              isinstance(msg[2][1], str),
              "expected [2, \"error\", [\"protocol_error\", message]]",
              got=msg)
        if message is not None:
            check(message in msg[2][1], "protocol_error message",
                  got=msg[2][1], want_substring=message)
        self.expect_eof(timeout)
        return msg[2][1]

    def call(self, method, params=None, timeout=None):
        """Request and wait for its response (others are not expected in
        between).  Returns (error, result): error is None or [code, msg]."""
        msgid = self.request(method, params)
        msg = self.read_response(timeout)
        check(msg[1] == msgid, "response msgid", got=msg[1], want=msgid)
        return msg[2], msg[3]

    def call_ok(self, method, params=None, timeout=None):
        err, res = self.call(method, params, timeout)
        check(err is None, "%s failed" % method, error=err)
        return res

    def call_err(self, method, params=None, timeout=None):
        """A call expected to fail: returns the error code (and checks the
        error pair's shape and the nil result)."""
        err, res = self.call(method, params, timeout)
        check_error_pair(err, res, method)
        return err[0]


def pipeline(client, calls, window=200, timeout=None):
    """Send calls, a list of (method, params), on one connection without
    waiting for each answer: at most window requests in flight (the daemon
    takes 256), answers read as they come, in any order.  Returns
    [(error, result), ...] in the order of calls."""
    check(0 < window <= 256, "pipeline window 1..256", window=window)
    first = client.next_msgid
    client.next_msgid += len(calls)
    out = [None] * len(calls)
    sent = done = 0
    while done < len(calls):
        if sent < len(calls) and sent - done < window:
            n = min(len(calls) - sent, window - (sent - done))
            client.send(b"".join(
                request_bytes(first + i, m, p)
                for i, (m, p) in enumerate(calls[sent:sent + n], sent)))
            sent += n
        msg = client.read_response(timeout)
        i = msg[1] - first
        check(0 <= i < sent and out[i] is None,
              "an answer to one of our pipelined requests, once",
              msgid=msg[1])
        out[i] = (msg[2], msg[3])
        done += 1
    return out


def check_error_pair(err, res, what=""):
    check(isinstance(err, list) and len(err) == 2 and
          isinstance(err[0], str) and isinstance(err[1], str),
          "expected an error pair [code, message] for %s" % what,
          error=err, result=res)
    check(err[0] in ERROR_CODES, "error code is a stable one", code=err[0])
    check(res is None, "result is nil when error is set", result=res)


# -- OS users and groups, for the suites that run as root (peer identity)

def os_group(name):
    """groupadd name unless it exists."""
    if subprocess.run(["getent", "group", name],
                      stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["groupadd", name], check=True,
                       stdout=subprocess.DEVNULL)


def os_user(name, groups=(), comment=None):
    """useradd name (no home, no login shell) unless it exists; then add
    it to groups."""
    if subprocess.run(["getent", "passwd", name],
                      stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["useradd", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", "--home-dir", "/nonexistent"] +
                       (["--comment", comment] if comment else []) + [name],
                       check=True, stdout=subprocess.DEVNULL)
    for g in groups:
        subprocess.run(["usermod", "-aG", g, name], check=True,
                       stdout=subprocess.DEVNULL)


def connect_fails(path, timeout=2.0):
    """The errno of a failed connect, or None when it connected."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        return None
    except OSError as e:
        return e.errno
    finally:
        s.close()


# ---------------------------------------------------------------- TAP

class Tap:
    """A TAP producer.  t.run(fn, timeout) runs each test isolated: an
    exception or a deadline fails that test only; the daemons it left
    running are stopped before the next test."""

    def __init__(self, argv):
        if len(argv) < 3:
            sys.stderr.write("usage: %s CASHBOOKD CASHBOOKCTL\n" % argv[0])
            sys.exit(2)
        self.cashbookd = os.path.abspath(argv[1])
        self.cashbookctl = os.path.abspath(argv[2])
        self.only = argv[3:]            # optional test names to run
        self.n = 0
        self.failed = 0
        signal.signal(signal.SIGALRM, self._alarm)

    @staticmethod
    def _alarm(signum, frame):
        raise TestTimeout("test deadline passed")

    def daemon(self, *args, **kw):
        return Daemon(self.cashbookd, *args, **kw)

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line)
        sys.stdout.flush()

    def run(self, fn, timeout=60, todo=None):
        """todo: a known daemon bug this test exposes; the result is then
        reported with the TAP "# TODO" directive (expected to fail)."""
        name = fn.__name__
        if self.only and name not in self.only:
            return
        self.n += 1
        with _live_lock:
            del _test_daemons[:]
        started = time.monotonic()
        err = None
        try:
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                fn(self)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except TestFailure as e:
            err = str(e)
        except TestTimeout:
            err = "deadline of %ds passed" % timeout
            err += "\n" + traceback.format_exc()
        except Exception:
            err = traceback.format_exc()
        finally:
            with _live_lock:
                live = list(_live_daemons)
                started_here = list(_test_daemons)
            for d in live:
                try:
                    d.cleanup()
                except Exception:
                    pass
        took = time.monotonic() - started
        directive = " # TODO %s" % todo if todo else ""
        if err is None:
            print("ok %d - %s (%.2fs)%s" % (self.n, name, took, directive))
        else:
            if not todo:
                self.failed += 1
            print("not ok %d - %s (%.2fs)%s" % (self.n, name, took,
                                                directive))
            self.diag(err)
            for d in started_here:
                self.diag("cashbookd %s log:\n%s" % (
                    " ".join(d.args), d.log_text()[-6000:]))
        sys.stdout.flush()

    def done(self):
        cleanup_all_daemons()
        print("1..%d" % self.n)
        sys.stdout.flush()
        sys.exit(1 if self.failed else 0)


def main(tests, timeouts=None, todo=None, skip_if=None):
    """Run every test function in order as one TAP program.  timeouts and
    todo map test names to a deadline in seconds and to a known bug;
    skip_if to a function of the Tap that says why this machine cannot
    run the test (or None when it can): the test is then reported as a
    TAP skip ("ok N - name # SKIP reason")."""
    tap = Tap(sys.argv)
    timeouts = timeouts or {}
    todo = todo or {}
    skip_if = skip_if or {}
    try:
        for fn in tests:
            name = fn.__name__
            reason = (skip_if[name](tap) if name in skip_if and
                      (not tap.only or name in tap.only) else None)
            if reason is not None:
                tap.n += 1
                print("ok %d - %s # SKIP %s" % (tap.n, name, reason))
                sys.stdout.flush()
                continue
            tap.run(fn, timeouts.get(name, 60), todo.get(name))
    finally:
        cleanup_all_daemons()
    tap.done()
