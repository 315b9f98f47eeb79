#!/usr/bin/python3
"""
test_systemd.py -- cashbookd under a service manager: socket activation
(LISTEN_PID/LISTEN_FDS), readiness (READY=1, STOPPING=1, STATUS= on
NOTIFY_SOCKET), the unit files in systemd/, and the "start it with" hint
of cashbookctl.

Activation is driven by systemd-socket-activate (Debian's systemd
package), which listens where a .socket unit would, waits for the first
client, and execs cashbookd with the socket as descriptor 3: the process
the harness started becomes the daemon.  The notification socket is a
datagram socket made here, as systemd's would be.

Usage: test_systemd.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import fcntl
import json
import os
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, check_eq, Client, Daemon, EOFReached,  # noqa
                     main, TestFailure)
from test_docs import extract  # noqa

SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
UNITS = os.path.join(SRC, "systemd")
SSA = shutil.which("systemd-socket-activate")
ANALYZE = shutil.which("systemd-analyze")
PING = {"version": "0.1.0", "protocol": 1}
# What the sanitizers need from our environment; systemd-socket-activate
# passes only what -E names.
SANITIZER_ENV = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")


def run(argv, timeout=20, env=None, cwd=None):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout, env=env, cwd=cwd)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class Notify:
    """The service manager's end of NOTIFY_SOCKET: a datagram socket at a
    path, or at an abstract name (NOTIFY_SOCKET=@name)."""

    def __init__(self, dir=None):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if dir is None:
            name = "cbit-notify-%d-%s" % (os.getpid(), os.urandom(4).hex())
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            self.env = os.path.join(dir, "notify")
            self.sock.bind(self.env)
        self.messages = []

    def wait(self, key, value, timeout=15):
        """The first notification with KEY=VALUE among its lines (a dict
        of them); fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for m in self.messages[seen:]:
                if m.get(key) == value:
                    return m
            seen = len(self.messages)
            left = deadline - time.monotonic()
            r = select.select([self.sock], [], [], max(left, 0))[0]
            if not r:
                raise TestFailure("no %s=%s on NOTIFY_SOCKET within %ds; "
                                  "got %r" % (key, value, timeout,
                                              self.messages))
            data = self.sock.recv(4096).decode()
            self.messages.append(dict(
                ln.split("=", 1) for ln in data.split("\n") if ln))

    def close(self):
        self.sock.close()


class Activated(Daemon):
    """cashbookd started by systemd-socket-activate on its socket (no
    --socket: the daemon must take the passed one)."""

    def __init__(self, binary, *args, ssa=(), env_pass=(), **kw):
        super().__init__(binary, *args, **kw)
        self.ssa = list(ssa)
        self.env_pass = list(env_pass)

    def argv(self):
        argv = [SSA] + self.ssa + ["-l", self.socket]
        for var in list(SANITIZER_ENV) + self.env_pass:
            if "=" in var or var in os.environ:
                argv += ["-E", var]
        argv.append(self.binary)
        if self.db is not None:
            argv += ["--db", self.db]
        return argv + self.args


def activated(t, *args, **kw):
    return Activated(t.cashbookd, *args, **kw)


def no_ssa(t):
    return None if SSA else "systemd-socket-activate is not installed " \
        "(apt-get install systemd)"


def no_analyze(t):
    return None if ANALYZE else "systemd-analyze is not installed " \
        "(apt-get install systemd)"


def trigger(path):
    """A first client: connect (systemd-socket-activate then execs)."""
    return Client(path, timeout=15)


def test_activation(t):
    """The first client starts cashbookd on the passed socket; it answers,
    says READY=1 with where it listens, keeps the socket's lock; SIGTERM
    says STOPPING=1 and leaves the socket file to its owner."""
    d = activated(t)
    n = Notify(d.dir)
    try:
        d.env_pass.append("NOTIFY_SOCKET=" + n.env)
        d.spawn()
        d.wait_log("Listening on %s as 3." % d.socket, 10)
        check(stat.S_ISSOCK(os.stat(d.socket).st_mode), "the socket exists "
              "before cashbookd runs")
        check_eq(d.log_lines("listening on"), [], "no cashbookd before the "
                 "first client")
        with trigger(d.socket) as c:
            check_eq(c.call("ping"), (None, PING), "the first client, "
                     "connected before cashbookd ran, is answered")
        ready = n.wait("READY", "1")
        check_eq(ready.get("STATUS"), "listening on " + d.socket,
                 "STATUS with READY=1", message=ready)
        line = d.wait_log("listening on", 5)
        check(("listening on %s (passed by systemd)" % d.socket) in line,
              "the log says where and that systemd passed it", line=line)
        exe = os.path.realpath("/proc/%d/exe" % d.pid)
        check_eq(exe, os.path.realpath(t.cashbookd), "the process started "
                 "is cashbookd now (exec, same pid)")
        code, out, err = run([t.cashbookctl, "--socket", d.socket, "ping"])
        check_eq(code, 0, "cashbookctl through the passed socket",
                 stderr=err)
        check(out.startswith("pong from cashbookd"), "ping output", out=out)
        # The lock beside the socket is taken: no second daemon there.
        check(os.path.exists(d.socket + ".lock"), "lock beside the socket")
        other = tempfile.mkdtemp(prefix="cbit-")
        try:
            code, _, err = run([t.cashbookd, "--socket", d.socket, "--db",
                                os.path.join(other, "c.db")])
        finally:
            shutil.rmtree(other, ignore_errors=True)
        check_eq(code, 1, "a second cashbookd on the socket", stderr=err)
        check("another cashbookd is already running on %s" % d.socket in err,
              "it is told why", stderr=err)
        d.signal(signal.SIGTERM)
        stopping = n.wait("STOPPING", "1")
        check(stopping.get("STATUS", "").startswith("shutting down"),
              "STATUS with STOPPING=1", message=stopping)
        check_eq(d.wait_exit(15), 0, "exit status after SIGTERM")
        check(stat.S_ISSOCK(os.lstat(d.socket).st_mode), "the passed socket "
              "is not removed: the .socket unit owns it")
        check(not os.path.exists(d.socket + ".lock"), "its lock is removed")
        check_eq(d.log_lines("cannot tell systemd"), [], "notifications "
                 "sent without error")
    finally:
        n.close()
        d.cleanup()


def test_notify_abstract_without_activation(t):
    """Readiness without socket activation (Type=notify with --socket), to
    an abstract NOTIFY_SOCKET (@name)."""
    n = Notify()
    try:
        env = dict(os.environ, NOTIFY_SOCKET=n.env)
        with t.daemon(env=env).start() as d:
            ready = n.wait("READY", "1")
            check_eq(ready.get("STATUS"), "listening on " + d.socket,
                     "STATUS", message=ready)
            check_eq(d.call("ping"), (None, PING), "served")
            line = d.wait_log("listening on")
            check("passed by systemd" not in line, "its own socket",
                  line=line)
            d.signal(signal.SIGTERM)
            n.wait("STOPPING", "1")
            check_eq(d.wait_exit(15), 0, "exit status")
            check(not os.path.exists(d.socket), "its own socket is removed")
    finally:
        n.close()


def test_listen_pid_not_ours(t):
    """LISTEN_FDS meant for another process (LISTEN_PID) is ignored: the
    daemon binds its own --socket."""
    env = dict(os.environ, LISTEN_PID="1", LISTEN_FDS="1")
    with t.daemon(env=env).start() as d:
        check_eq(d.call("ping"), (None, PING), "served on its own socket")
        check_eq(d.log_lines("passed by systemd"), [], "not activated")


def refused(d, n, want):
    """d exits 1 saying want (and, with a Notify n, STATUS= says it too,
    with no READY=1)."""
    check_eq(d.wait_exit(15), 1, "exit status\n# log:\n" + d.log_text())
    check(any(want in ln for ln in d.log), "the log says why",
          want=want, log=d.log_text())
    if n is not None:
        status = wait_status(n)
        check(want in status, "STATUS says why", status=status)


def wait_status(n, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        for m in n.messages:
            if m.get("STATUS", "").startswith("cannot start: "):
                check("READY" not in m, "never READY", message=m)
                return m["STATUS"]
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([n.sock], [], [], left)[0]:
            raise TestFailure("no STATUS=cannot start: ...; got %r"
                              % n.messages)
        data = n.sock.recv(4096).decode()
        n.messages.append(dict(ln.split("=", 1) for ln in data.split("\n")
                               if ln))


def test_refuses_datagram_socket(t):
    """A .socket unit with ListenDatagram= (a datagram socket): refused
    with what to write instead."""
    d = activated(t, ssa=["--datagram"])
    n = Notify(d.dir)
    try:
        d.env_pass.append("NOTIFY_SOCKET=" + n.env)
        d.spawn()
        d.wait_log("Listening on", 10)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.sendto(b"hello", d.socket)
        finally:
            s.close()
        want = "is not a Unix stream socket"
        refused(d, n, want)
        check(any("ListenStream=/path/to/socket" in ln for ln in d.log),
              "it says what to use", log=d.log_text())
    finally:
        n.close()
        d.cleanup()


def test_refuses_connection(t):
    """A .socket unit with Accept=yes passes a connection, not the
    listening socket: refused, and the client sees the connection close."""
    d = activated(t, ssa=["--accept"])
    try:
        d.spawn()
        d.wait_log("Listening on", 10)
        c = trigger(d.socket)
        try:
            d.wait_log("is not listening (a connection?)", 15)
            d.wait_log("remove Accept=yes", 1)
            try:        # closed unanswered, before or after the send
                c.send(b"\x94\x00\x01\xa4ping\x90")
                msg = c.read(15)
                raise TestFailure("the connection was served: %r" % (msg,))
            except (EOFReached, ConnectionResetError, BrokenPipeError):
                pass
        finally:
            c.close()
    finally:
        d.cleanup()


def high_fd(sock):
    """A copy of sock's descriptor numbered 10 or more, clear of 3 and 4,
    which the shell's redirections below make."""
    return fcntl.fcntl(sock.fileno(), fcntl.F_DUPFD, 10)


class ShellActivated(Daemon):
    """cashbookd exec'd by bash with LISTEN_PID=$$, LISTEN_FDS=nfds and
    descriptor 3 made by setup (a redirection; bash, as dash takes
    no descriptor above 9), as a broken service
    manager would do it."""

    def __init__(self, binary, setup, *args, nfds="1", pass_fds=(), **kw):
        super().__init__(binary, *args, **kw)
        self.script = ("exec %s; export LISTEN_PID=$$ LISTEN_FDS=%s; "
                       "exec \"$0\" \"$@\"" % (setup, nfds))
        self.pass_fds = tuple(pass_fds)

    def argv(self):
        return ["/bin/bash", "-c", self.script] + super().argv()


def test_refuses_what_is_not_a_listening_socket(t):
    """Descriptor 3 a file, two descriptors, a connected socket: each
    refused (exit 1) with the reason; nothing is listened on."""
    cases = (("3</dev/null", "1", "(fd 3) is not a socket"),
             ("3</dev/null 4</dev/null", "2", "systemd passed 2 sockets"))
    for setup, nfds, want in cases:
        d = ShellActivated(t.cashbookd, setup, nfds=nfds)
        try:
            d.spawn()
            refused(d, None, want)
            check(not os.path.exists(d.socket), "no socket of its own",
                  case=setup)
        finally:
            d.cleanup()
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    fd = high_fd(a)
    d = ShellActivated(t.cashbookd, "3<&%d %d<&-" % (fd, fd),
                       pass_fds=(fd,))
    try:
        d.spawn()
        refused(d, None, "is not listening (a connection?)")
    finally:
        os.close(fd)
        a.close()
        b.close()
        d.cleanup()


def test_inherited_socket_mode_with_group(t):
    """--access group:NAME trusts the socket's mode, which is the unit's:
    a socket anyone may connect to is refused; one the group cannot reach
    is served with a warning; 0660 with the group is served quietly."""
    group = "nogroup"
    try:
        import grp
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise TestFailure("no group %s on this machine" % group)
    for mode, want_code, want in ((0o666, 1, "any user could connect"),
                                  (0o600, None, "members of group nogroup "
                                   "cannot connect"),
                                  (0o660, None, None)):
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        fd = high_fd(ls)
        d = ShellActivated(t.cashbookd, "3<&%d %d<&-" % (fd, fd),
                           "--access", "group:" + group, pass_fds=(fd,))
        try:
            ls.bind(d.socket)
            ls.listen(16)
            os.chmod(d.socket, mode)
            os.chown(d.socket, -1, gid)
            d.spawn()
            if want_code == 1:
                refused(d, None, want)
                check("SocketMode=0660 and SocketGroup=nogroup" in
                      d.log_text(), "says what to set", log=d.log_text())
                continue
            d.wait_log("listening on", 15)
            check_eq(d.call("ping"), (None, PING), "served", mode=oct(mode))
            warned = d.log_lines("cannot connect to")
            if want:
                check(any(want in ln for ln in warned), "warned",
                      log=d.log_text())
            else:
                check_eq(warned, [], "no warning at 0660")
            check_eq(os.stat(d.socket).st_mode & 0o777, mode,
                     "the passed socket's mode is left alone")
        finally:
            os.close(fd)
            ls.close()
            d.cleanup()


# ---------------------------------------------------------------- units

def unit_text(rel, cashbookd):
    with open(os.path.join(UNITS, rel)) as f:
        return f.read().replace("@cashbookd@", cashbookd)


def unit_key(text, key):
    """The values of KEY= in a unit file, in order."""
    return [ln.split("=", 1)[1] for ln in text.splitlines()
            if ln.startswith(key + "=")]


def write_units(dir, kind, cashbookd):
    os.makedirs(dir, exist_ok=True)
    paths = []
    for name in ("cashbookd.socket", "cashbookd.service"):
        src = name + (".in" if name.endswith(".service") else "")
        path = os.path.join(dir, name)
        with open(path, "w") as f:
            f.write(unit_text(os.path.join(kind, src), cashbookd))
        paths.append(path)
    return paths


def analyze(paths, user, env):
    argv = [ANALYZE] + (["--user"] if user else []) + \
        ["verify", "--man=no"] + paths
    return run(argv, env=env)


def test_units_verify(t):
    """systemd-analyze verify finds nothing to say about the four unit
    files (an unknown key would be a warning: checked that it says so)."""
    tmp = tempfile.mkdtemp(prefix="cbit-")
    try:
        env = dict(os.environ, XDG_RUNTIME_DIR=tmp)
        for kind, user in (("user", True), ("system", False)):
            paths = write_units(os.path.join(tmp, kind), kind, t.cashbookd)
            code, out, err = analyze(paths, user, env)
            if code != 0 and "Failed to" in err and "manager" in err:
                raise TestFailure("systemd-analyze cannot run here: " + err)
            check_eq((code, out + err), (0, ""), "verify %s units" % kind)
        # The check can fail: a typo in a key is reported.
        bad = os.path.join(tmp, "user", "cashbookd.service")
        with open(bad, "a") as f:
            f.write("NoNewPrivilege=yes\n")
        code, out, err = analyze([bad], True, env)
        check("Unknown key" in out + err, "a typo is reported",
              out=out, err=err)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def readme_block(lang, containing, doc="README.md"):
    """The fenced block of lang in doc that contains the text, read the
    way it-docs reads every block (its lines, verbatim)."""
    for b in extract(doc):
        if b.lang == lang and containing in "\n".join(b.lines):
            return [ln for ln in b.lines if ln.strip()]
    raise TestFailure("%s has no %s block with %r" % (doc, lang, containing))


def installed_files(t):
    """What `meson install` installs from the build under test."""
    build = os.path.dirname(os.path.dirname(t.cashbookctl))
    with open(os.path.join(build, "meson-info", "intro-installed.json")) as f:
        return list(json.load(f).values())


def test_readme_user_units(t):
    """The README's user set-up, with the units as written: `enable --now`
    is done as the units say (cashbookd.socket's ListenStream with %t =
    XDG_RUNTIME_DIR, the service's ExecStart activated there), then the
    block's other lines run verbatim: a plain cashbookctl reaches it, and
    it opens its default database."""
    lines = readme_block("sh", "systemctl --user enable --now")
    check_eq(lines[0], "systemctl --user enable --now cashbookd.socket",
             "the first line enables the socket")
    sock_unit = unit_text("user/cashbookd.socket", t.cashbookd)
    service = unit_text("user/cashbookd.service.in", t.cashbookd)
    check_eq(unit_key(sock_unit, "WantedBy"), ["sockets.target"],
             "enable starts it at login")
    check_eq(unit_key(sock_unit, "ListenStream"),
             ["%t/cashbook/cashbookd.sock"], "ListenStream")
    check_eq(unit_key(service, "Type"), ["notify"], "Type=notify")
    execstart = unit_key(service, "ExecStart")
    check_eq(execstart, [t.cashbookd], "ExecStart is cashbookd, no flags")
    check(any(p.endswith("/systemd/user/cashbookd.socket") for p in
              installed_files(t)), "meson installs the user units")
    tmp = tempfile.mkdtemp(prefix="cbit-")
    rt = os.path.join(tmp, "run")
    data = os.path.join(tmp, "data")
    os.mkdir(rt, 0o700)
    os.mkdir(os.path.join(rt, "cashbook"), 0o700)      # DirectoryMode=0700
    path = unit_key(sock_unit, "ListenStream")[0].replace("%t", rt)
    d = Activated(execstart[0], socket_path=path, db=None, dir=tmp,
                  env_pass=["XDG_RUNTIME_DIR=" + rt,
                            "XDG_DATA_HOME=" + data, "HOME=" + tmp])
    d.owns_dir = True
    try:
        d.spawn()
        d.wait_log("Listening on", 10)
        env = dict(os.environ, XDG_RUNTIME_DIR=rt, HOME=tmp,
                   PATH=os.path.dirname(t.cashbookctl) + ":" +
                   os.environ.get("PATH", "/usr/bin:/bin"))
        env.pop("CASHBOOK_SOCKET", None)
        for line in lines[1:]:
            code, out, err = run(["/bin/sh", "-c", line], env=env)
            check_eq(code, 0, "`%s`" % line, stderr=err, log=d.log_text())
        check(out.startswith("pong from cashbookd"), "ping output", out=out)
        line = d.wait_log("listening on", 5)
        check("listening on %s (passed by systemd) (database %s/cashbook/"
              "cashbook.db" % (path, data) in line, "default database",
              line=line)
        check_eq(stat.S_IMODE(os.stat(os.path.join(data, "cashbook",
                                                    "cashbook.db")).st_mode),
                 0o600, "database mode (UMask and the daemon's own)")
    finally:
        d.cleanup()


def test_protocol_system_units(t):
    """docs/protocol.md's system-wide set-up, line by line, against what
    is installed: systemd-sysusers and systemd-tmpfiles really run on our
    files (in a scratch root), the units say what the manual set-up above
    them does (user and group cashbook, /run/cashbook/cashbookd.sock 0660
    for the group, /var/lib/cashbook, --access group:cashbook)."""
    lines = readme_block("sh", "systemctl enable --now cashbookd.socket",
                         doc="docs/protocol.md")
    sock_unit = unit_text("system/cashbookd.socket", t.cashbookd)
    service = unit_text("system/cashbookd.service.in", t.cashbookd)
    installed = installed_files(t)
    root = tempfile.mkdtemp(prefix="cbit-")
    try:
        os.mkdir(os.path.join(root, "etc"))
        for line in lines:
            words = line.split()
            if words[0] in ("systemd-sysusers", "systemd-tmpfiles"):
                kind = "sysusers" if words[0] == "systemd-sysusers" \
                    else "tmpfiles"
                check(words[-1] == "cashbook.conf" and any(
                    p.endswith("/%s.d/cashbook.conf" % kind)
                    for p in installed), "meson installs %s.d/%s"
                    % (kind, words[-1]), installed=installed)
                src = os.path.join(UNITS, "system", "cashbook." + kind)
                code, out, err = run([words[0], "--root=" + root] +
                                     words[1:-1] + [src])
                check_eq(code, 0, line, stderr=err)
            elif words[:3] == ["systemctl", "enable", "--now"]:
                check_eq(words[3:], ["cashbookd.socket"], "the socket")
                check_eq(unit_key(sock_unit, "WantedBy"), ["sockets.target"],
                         "enable starts it at boot")
                check(any(p.endswith("/system/cashbookd.socket")
                          for p in installed), "meson installs it")
            elif words[:2] == ["usermod", "-aG"]:
                check_eq(words[2], unit_key(sock_unit, "SocketGroup")[0],
                         "the socket's group")
            else:
                raise TestFailure("no check for `%s`" % line)
        with open(os.path.join(root, "etc", "passwd")) as f:
            user = [ln.split(":") for ln in f if ln.startswith("cashbook:")]
        check_eq(len(user), 1, "sysusers makes user cashbook")
        check_eq(user[0][5], "/var/lib/cashbook", "its home")
        st = os.stat(os.path.join(root, "run", "cashbook"))
        check_eq((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid),
                 (0o750, int(user[0][2]), int(user[0][3])),
                 "tmpfiles makes /run/cashbook 0750 cashbook:cashbook")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    check_eq(unit_key(sock_unit, "ListenStream"),
             ["/run/cashbook/cashbookd.sock"], "ListenStream")
    check_eq((unit_key(sock_unit, "SocketGroup"),
              unit_key(sock_unit, "SocketMode")), (["cashbook"], ["0660"]),
             "socket for the group")
    check_eq((unit_key(service, "User"), unit_key(service, "Group"),
              unit_key(service, "Type")),
             (["cashbook"], ["cashbook"], ["notify"]), "runs as cashbook")
    check_eq(unit_key(service, "ExecStart"),
             [t.cashbookd + " --access group:cashbook --db "
              "/var/lib/cashbook/cashbook.db"], "ExecStart")
    with open(os.path.join(SRC, "docs", "protocol.md")) as f:
        doc = f.read()
    for want in ("--access group:cashbook", "/run/cashbook/cashbookd.sock",
                 "/var/lib/cashbook/cashbook.db"):
        check(want in doc, "the manual set-up agrees", want=want)


# ---------------------------------------------------------------- hint

def hint(argv, env, cwd=None):
    code, out, err = run(argv + ["ping"], env=env, cwd=cwd)
    check_eq(code, 3, "cannot connect: exit 3", stderr=err)
    m = re.search(r"^start it with: (.*)$", err, re.M)
    check(m is not None, "a 'start it with' line", stderr=err)
    return m.group(1)


def test_start_hint(t):
    """'start it with' names a command that works here: in a checkout its
    scripts/run (or this build's cashbookd for another socket); installed
    with the user units, systemctl --user; else cashbookd."""
    tmp = tempfile.mkdtemp(prefix="cbit-")
    try:
        rt = os.path.join(tmp, "run")
        env = dict(os.environ, XDG_RUNTIME_DIR=rt, HOME=tmp,
                   XDG_CONFIG_HOME=os.path.join(tmp, "config"))
        env.pop("CASHBOOK_SOCKET", None)
        ctl = t.cashbookctl
        build = os.path.dirname(os.path.dirname(ctl))
        in_checkout = os.path.exists(os.path.join(build, "build.ninja"))
        if in_checkout:
            check_eq(hint([ctl], env, cwd=SRC), "scripts/run",
                     "in the checkout")
            check_eq(hint([ctl], env, cwd=tmp),
                     os.path.join(SRC, "scripts/run"), "elsewhere")
            sock = os.path.join(tmp, "x.sock")
            check_eq(hint([ctl, "--socket", sock], env),
                     "%s/daemon/cashbookd --socket %s" % (build, sock),
                     "another socket: this build's cashbookd")
            # Run it: the hint works.
            d = Daemon(os.path.join(build, "daemon", "cashbookd"),
                       socket_path=sock, dir=tmp)
            d.start()
            code, out, err = run([ctl, "--socket", sock, "ping"], env=env)
            check_eq(code, 0, "the hinted command serves", stderr=err)
            d.stop()
        # A copy outside any build directory stands for an install.
        installed = os.path.join(tmp, "bin", "cashbookctl")
        os.makedirs(os.path.dirname(installed))
        shutil.copy(ctl, installed)
        plain = hint([installed], env)
        check(plain == "cashbookd" or plain.endswith("/cashbookd"),
              "installed, no units: cashbookd", got=plain)
        units = os.path.join(tmp, "config", "systemd", "user")
        os.makedirs(units)
        shutil.copy(os.path.join(UNITS, "user", "cashbookd.socket"), units)
        check_eq(hint([installed], env),
                 "systemctl --user start cashbookd.socket",
                 "installed with the user units")
        env_given = dict(env, CASHBOOK_SOCKET=os.path.join(tmp, "y.sock"))
        got = hint([installed], env_given)
        check(got.endswith("cashbookd --socket " +
                           os.path.join(tmp, "y.sock")),
              "another socket is not the unit's", got=got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main([test_activation, test_notify_abstract_without_activation,
          test_listen_pid_not_ours, test_refuses_datagram_socket,
          test_refuses_connection,
          test_refuses_what_is_not_a_listening_socket,
          test_inherited_socket_mode_with_group,
          test_units_verify, test_readme_user_units,
          test_protocol_system_units, test_start_hint],
         timeouts={"test_refuses_what_is_not_a_listening_socket": 90},
         skip_if={"test_activation": no_ssa,
                  "test_refuses_datagram_socket": no_ssa,
                  "test_refuses_connection": no_ssa,
                  "test_readme_user_units": no_ssa,
                  "test_units_verify": no_analyze,
                  "test_inherited_socket_mode_with_group":
                  lambda t: None if os.geteuid() == 0 else
                  "needs root to give the socket to a group"})
