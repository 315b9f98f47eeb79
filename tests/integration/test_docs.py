#!/usr/bin/python3
"""
test_docs.py -- every code example in README.md and docs/*.md, run
verbatim against the real binaries ("Every code example in README and
docs/ is run by a test, verbatim").

Usage: test_docs.py CASHBOOKD CASHBOOKCTL   (TAP: one test per fenced
block, named FILE:LINE of its opening fence)

How each block is run, by its language:

  console  each "$ " line is a command, the lines after it its expected
           output.  The command goes verbatim to /bin/sh, with
           `cashbookctl` on PATH the binary under test; stdout and stderr
           are read together (as a terminal shows them).  The exit status
           must be 0, or not 0 when the expected output starts with
           "cashbookctl: " (an error).  All console blocks of a document
           share one environment: one cashbookd (started here with
           --socket/--db in a temporary directory) and, per OS user, a
           HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR of its own, with
           CASHBOOK_SOCKET naming the daemon.
  c        compiled against libcashbook (client/cashbook.h, the
           libcashbook.so beside CASHBOOKCTL), wrapped in main() when it is
           a fragment (its #include lines go above main), and run against
           the document's daemon.
  python   run by /usr/bin/python3 with `path` set to the daemon's socket.
           A print() followed by `# VALUE` must print VALUE; every printed
           msgpack-RPC response must have no error.
  sh       set-up commands that cannot run inside the suite (they build
           and run everything, or run forever): each command is checked
           against the tree instead (sh_check: the script exists and is
           executable, the meson option exists, what `meson install`
           installs); a command without a check fails the block.

A block may be preceded by HTML comment directives, invisible on the
rendered page:

  <!-- doc-test: skip (REASON) -->     not code (a diagram); reported as
                                        a TAP SKIP with REASON
  <!-- doc-test: as USER -->           console: run as OS user USER
                                        (default: alice)
  <!-- doc-test: input "TEXT" -->      console: commands that ask for a
                                        password run on a pseudo-terminal
                                        (the prompts are part of their
                                        output) and TEXT is typed at each
  <!-- doc-test: before: COMMAND -->   console: run COMMAND first (exit 0,
  <!-- doc-test: before as USER: COMMAND -->   output not shown; as USER),
                                        for a state the prose describes
                                        but does not show
  <!-- doc-test: while as USER: COMMAND -->
                                        console: the block's one command
                                        runs until Ctrl-C (watch): once its
                                        first line is out, COMMAND runs as
                                        USER; once every expected line is
                                        out, the command gets SIGINT
  <!-- doc-test: covered-by FILE:TEST -->
                                        run verbatim by another suite's
                                        test, which reads the block out of
                                        the document itself (checked: TEST
                                        exists in FILE and reads a block of
                                        this language)
  <!-- doc-test: daemon-log -->        console: the command starts
                                        cashbookd (scripts/run builds and
                                        then runs it forever); its output
                                        is compared with the "listening
                                        on" line of the document's daemon
  <!-- doc-test: output "TEXT" -->     c: what the program prints
  <!-- doc-test: wire -->              an example of bytes on the wire:
                                        hex dumps ("94 00 01 ...", a
                                        request sent to a fresh daemon,
                                        or its answer, compared byte for
                                        byte) or "-> request / <- answer"
                                        (the request's hex must be its
                                        msgpack; it is sent to a fresh
                                        daemon and the answer compared)
  <!-- doc-test: keys METHOD -->       a result's shape ({"a", "b": {...}}):
                                        compared with METHOD's real result
  <!-- doc-test: protocol-error -->    the protocol_error notification,
                                        provoked with a byte msgpack never
                                        uses
  <!-- doc-test: database-gone -->     the two messages of a database file
                                        replaced / removed under the daemon
  <!-- doc-test: run as root -->       sh: really run (as root), then use
                                        what it set up; what it creates is
                                        removed afterwards
  <!-- doc-test: todo (BUG) -->        the block is run, but fails because
                                        of a known bug (TAP "# TODO"; a
                                        pass is then unexpected, and fails
                                        the suite until the directive goes)

A block of any other language, or without one and without a directive,
fails: every example must be run, checked, or skipped for a stated reason.

Output is compared after a small explicit normalisation (NORMALISE and
the paths in Env.paths): clock readings (log timestamps, "WHEN" columns,
creation times, session expiry, which depend on today), the ping round
trip time, the uptime, and the temporary socket and database paths,
which become the ones the docs show.  Nothing else: a difference is a
wrong example, to be fixed in the docs.

OS users.  The README tour is alice at her terminal, and bob sharing a
book with her; each is known to cashbookd by SO_PEERCRED as the OS user
they are, so the peer account names in the outputs are OS login names.
This test therefore makes OS users `alice` and `bob` (useradd, no home,
no login shell, comment "cashbook doc test") and a group `cbdoc`, and
runs the README's daemon as root with `--access group:cbdoc` (a
household's shared daemon, docs/protocol.md "Who is who").  Users that
already exist are used as they are and left alone (only the group
membership given here is taken back); the ones made here, recognised by
their comment also when a killed run left them, are removed at the end
with the group.  docs/protocol.md's system-wide set-up block is run for
real: it makes a system user and group `cashbook`, /run/cashbook and
/var/lib/cashbook, all removed again after the block (it refuses to run
when a `cashbook` user or group exists that this test did not make).
This needs root, as CI runs the suite; otherwise the blocks that need
other users are skipped.

No sleeps: a daemon is ready when it logs "listening on", a password
prompt is answered when it appears on the pseudo-terminal.
"""
import ast
import grp
import json
import os
import pty
import pwd
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import fcntl
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa
from harness import (Daemon, check, check_eq, pack,  # noqa
                     TestFailure, cleanup_all_daemons, os_group, os_user)

import msgpack

SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DOCS = ["README.md"] + sorted(
    os.path.join("docs", f) for f in os.listdir(os.path.join(SRC, "docs"))
    if f.endswith(".md"))

USERS = ("alice", "bob")
GROUP = "cbdoc"
COMMENT = "cashbook doc test"
DEFAULT_USER = "alice"
IS_ROOT = os.geteuid() == 0
SANITIZED = harness.SANITIZED

# What the docs show for the paths this test puts in temporary places.
DOC_SOCKET = "/run/user/1000/cashbook/cashbookd.sock"
DOC_DB = "/home/alice/.local/share/cashbook/cashbook.db"

# The normalisation, applied to the expected and the actual output alike.
NORMALISE = [
    # a log line's timestamp
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"), "<timestamp>"),
    # a clock reading: WHEN/JOINED columns, "created", session expiry time
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?(?: [+-]\d{4})?"),
     "<clock>"),
    # the day a session expires: today + 30 days
    (re.compile(r"(expires) \d{4}-\d\d-\d\d"), r"\1 <date>"),
    (re.compile(r'("expires_at":)\d+'), r"\1<unix-time>"),
    # a round trip
    (re.compile(r"in \d+\.\d\d ms"), "in <ms>"),
    # time since the daemon started
    (re.compile(r"(uptime +)\d+s"), r"\1<n>s"),
    (re.compile(r'("uptime_s":)\d+'), r"\1<n>"),
]

# In decoded wire answers: values that depend on when and where.
VARIABLE_KEYS = ("created_at", "uptime_s", "database")


def normalise(lines):
    out = []
    for ln in lines:
        for rx, rep in NORMALISE:
            ln = rx.sub(rep, ln)
        out.append(ln.rstrip())
    while out and out[-1] == "":
        out.pop()
    return out


def show_diff(want, got):
    w = "\n".join("  " + x for x in want)
    g = "\n".join("  " + x for x in got)
    return "expected (normalised):\n%s\nactual (normalised):\n%s" % (w, g)


# ---------------------------------------------------------------- blocks

class Block:
    def __init__(self, doc, line, lang, lines, directives):
        self.doc = doc
        self.line = line            # the opening fence, 1-based
        self.lang = lang
        self.lines = lines
        self.directives = directives

    @property
    def name(self):
        return "%s:%d" % (self.doc, self.line)

    def directive(self, word):
        """The argument of the directive starting with word, or None."""
        for d in self.directives:
            if d == word:
                return ""
            if d.startswith(word + " ") or d.startswith(word + ":"):
                return d[len(word) + 1:].strip()
        return None

    def all_directives(self, word):
        return [d[len(word) + 1:].strip() for d in self.directives
                if d.startswith(word + " ") or d.startswith(word + ":")]


FENCE = re.compile(r"^( *)```(\S*)\s*$")
DIRECTIVE = re.compile(r"^\s*<!-- doc-test: (.*?) -->\s*$")


def extract(doc):
    """Every fenced block of doc, with the directives right above it."""
    with open(os.path.join(SRC, doc), encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang = m.group(1), m.group(2)
        directives = []
        j = i - 1
        while j >= 0 and DIRECTIVE.match(lines[j]):
            directives.insert(0, DIRECTIVE.match(lines[j]).group(1))
            j -= 1
        body = []
        k = i + 1
        while k < len(lines) and lines[k].rstrip() != indent + "```":
            ln = lines[k]
            body.append(ln[len(indent):] if ln.startswith(indent) else ln)
            k += 1
        if k == len(lines):
            raise SystemExit("%s:%d: unterminated code block" % (doc, i + 1))
        blocks.append(Block(doc, i + 1, lang, body, directives))
        i = k + 1
    return blocks


def unquote(arg):
    """The string of a directive argument "TEXT"."""
    check(len(arg) >= 2 and arg[0] == '"' and arg[-1] == '"',
          "a directive argument in double quotes", got=arg)
    return arg[1:-1]


# ---------------------------------------------------------------- users

def sh(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def quiet(*argv):
    return subprocess.run(argv, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def ours(name):
    """True when the OS user name was made by this test."""
    try:
        return pwd.getpwnam(name).pw_gecos == COMMENT
    except KeyError:
        return False


def ensure_users():
    os_group(GROUP)
    for name in USERS:
        os_user(name, groups=(GROUP,), comment=COMMENT)


def remove_users():
    for name in USERS:
        if ours(name):
            quiet("userdel", name)
    quiet("groupdel", GROUP)       # memberships of others' users go too


def user_ids(name):
    pw = pwd.getpwnam(name)
    groups = [g.gr_gid for g in grp.getgrall() if name in g.gr_mem]
    return pw.pw_uid, pw.pw_gid, groups


def _set_ctty():
    # In the child, after setsid(): the pseudo-terminal on stdin becomes
    # its controlling terminal, so /dev/tty is it.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_as(user, argv, env, cwd, answer=None, timeout=60):
    """Run argv as OS user (None: as we are); (output, status).  With
    answer, stdin is a pseudo-terminal and answer is typed at each
    password prompt; the terminal's text comes first in the output."""
    kw = {}
    if user is not None:
        uid, gid, groups = user_ids(user)
        kw = dict(user=uid, group=gid, extra_groups=groups)
    if answer is None:
        p = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, **kw)
        return p.stdout.decode("utf-8", "replace"), p.returncode
    master, slave = pty.openpty()
    if user is not None:
        os.fchown(slave, kw["user"], -1)
    try:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=slave,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                start_new_session=True,
                                preexec_fn=_set_ctty, **kw)
    finally:
        os.close(slave)
    tty = b""
    pending = b""
    try:
        while True:
            r, _, _ = select.select([master], [], [], timeout)
            if not r:
                proc.kill()
                raise TestFailure("no output on the terminal within %ds; "
                                  "so far: %r" % (timeout, tty))
            try:
                data = os.read(master, 4096)
            except OSError:         # EIO: every holder of the tty is gone
                data = b""
            if not data:
                break
            tty += data
            pending += data
            if pending.lower().endswith(b"password: "):
                os.write(master, answer.encode() + b"\n")
                pending = b""
    finally:
        os.close(master)
    out = proc.stdout.read()
    proc.stdout.close()
    status = proc.wait(timeout)
    text = tty.replace(b"\r\n", b"\n") + out
    return text.decode("utf-8", "replace"), status


# ---------------------------------------------------------------- the environment

class Env:
    """A document's environment: a daemon and a home per OS user."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.dir = tempfile.mkdtemp(prefix="cbdoc-")
        os.chmod(self.dir, 0o711)
        self.bin = os.path.join(self.dir, "bin")
        os.mkdir(self.bin, 0o755)
        os.symlink(ctx.cashbookctl, os.path.join(self.bin, "cashbookctl"))
        args = ["--access", "group:" + GROUP] if IS_ROOT else []
        self.daemon = Daemon(ctx.cashbookd, *args,
                             socket_path=os.path.join(self.dir, "run",
                                                      "s.sock"),
                             db=os.path.join(self.dir, "c.db"),
                             dir=self.dir)
        self.daemon.start()
        self.homes = {}

    def home(self, user):
        if user not in self.homes:
            h = os.path.join(self.dir, "home-" + (user or "root"))
            for d in (h, os.path.join(h, ".config"), os.path.join(h, "run")):
                os.mkdir(d, 0o700)
                if user is not None:
                    uid, gid, _ = user_ids(user)
                    os.chown(d, uid, gid)
            self.homes[user] = h
        return self.homes[user]

    def env(self, user):
        h = self.home(user)
        return {"PATH": self.bin + ":/usr/bin:/bin", "HOME": h,
                "XDG_CONFIG_HOME": os.path.join(h, ".config"),
                "XDG_RUNTIME_DIR": os.path.join(h, "run"),
                "CASHBOOK_SOCKET": self.daemon.socket, "TZ": "UTC",
                "LANG": "C.UTF-8"}

    def run(self, user, command, answer=None):
        return run_as(user, ["/bin/sh", "-c", command], self.env(user),
                      self.home(user), answer)

    def paths(self, text):
        """The temporary paths, as the docs show them."""
        return (text.replace(self.daemon.socket, DOC_SOCKET)
                .replace(self.daemon.db, DOC_DB))

    def close(self):
        try:
            self.daemon.stop()
            bad = [ln for ln in self.daemon.log if "Sanitizer" in ln or
                   "runtime error:" in ln]
            check(not bad, "no sanitizer report in the daemon's log",
                  lines=bad[:5])
            check_eq(self.daemon.returncode, 0, "cashbookd exit status")
        finally:
            self.daemon.cleanup()
            shutil.rmtree(self.dir, ignore_errors=True)


class Context:
    def __init__(self, cashbookd, cashbookctl):
        self.cashbookd = cashbookd
        self.cashbookctl = cashbookctl
        self.build = os.path.dirname(os.path.dirname(cashbookctl))
        self.env = None             # the current document's
        self.last_response = None   # raw bytes of the last wire answer

    def doc_env(self):
        if self.env is None:
            self.env = Env(self)
        return self.env

    def end_doc(self):
        env, self.env, self.last_response = self.env, None, None
        if env is not None:
            env.close()


# ---------------------------------------------------------------- console

def console_commands(block):
    """[(line, command, expected lines)]."""
    cmds = []
    for i, ln in enumerate(block.lines):
        if ln.startswith("$ "):
            cmds.append((block.line + 1 + i, ln[2:], []))
        else:
            check(cmds, "%s: a console block starts with a '$ ' line"
                  % block.name, line=ln)
            cmds[-1][2].append(ln)
    return cmds


def needs_users(block):
    return block.lang == "console" or block.directive("run") is not None


def default_daemon_log(ctx):
    """The "listening on" line of cashbookd run as scripts/run runs it:
    without arguments, so on the default paths (under XDG_RUNTIME_DIR
    and XDG_DATA_HOME, here in a temporary directory)."""
    d = tempfile.mkdtemp(prefix="cbdoc-run-")
    try:
        run, data = os.path.join(d, "run"), os.path.join(d, "data")
        os.mkdir(run, 0o700)
        env = {"PATH": "/usr/bin:/bin", "HOME": d, "XDG_RUNTIME_DIR": run,
               "XDG_DATA_HOME": data}
        daemon = Daemon(ctx.cashbookd, socket_path=None, db=None, env=env,
                        dir=d)
        try:
            daemon.start()
            line = daemon.wait_log("listening on")
            daemon.stop()
            check_eq(daemon.returncode, 0, "cashbookd's exit status")
        finally:
            daemon.cleanup()
        return (line.replace(os.path.join(run, "cashbook", "cashbookd.sock"),
                             DOC_SOCKET)
                .replace(os.path.join(data, "cashbook", "cashbook.db"),
                         DOC_DB))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run_while(env, user, cmd, want, trigger):
    """cmd (runs until interrupted) as user: its lines once every expected
    one is out; trigger (as some user) runs after the first."""
    m = re.match(r"^as (\S+): (.*)$", trigger)
    check(m is not None, "while as USER: COMMAND", got=trigger)
    kw = {}
    uid, gid, groups = user_ids(user)
    kw = dict(user=uid, group=gid, extra_groups=groups)
    proc = subprocess.Popen(["/bin/sh", "-c", cmd], env=env.env(user),
                            cwd=env.home(user), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, **kw)
    got, buf = [], b""
    try:
        while len(got) < max(len(want), 1):
            r, _, _ = select.select([proc.stdout], [], [], 30)
            check(r, "a line within 30 s", so_far=got)
            data = os.read(proc.stdout.fileno(), 4096)
            check(data, "the command goes on", so_far=got)
            buf += data
            while b"\n" in buf:
                ln, buf = buf.split(b"\n", 1)
                got.append(ln.decode("utf-8", "replace"))
                if len(got) == 1:
                    out, status = env.run(m.group(1), m.group(2))
                    check_eq(status, 0, "while: " + trigger, output=out)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        proc.wait(10)
        proc.stdout.close()
    return got


def do_covered_by(ctx, block):
    what = block.directive("covered-by")
    m = re.match(r"^(test_\w+\.py):(test_\w+)$", what)
    check(m is not None, "covered-by FILE:TEST", got=what)
    with open(os.path.join(SRC, "tests", "integration", m.group(1))) as f:
        text = f.read()
    body = re.search(r"^def %s\(.*?(?=^def |\Z)" % m.group(2), text,
                     re.S | re.M)
    check(body is not None, "%s defines %s" % (m.group(1), m.group(2)))
    check('readme_block("%s"' % block.lang in body.group(0),
          "%s reads a ```%s block of the README" % (m.group(2), block.lang))
    check("%s," % m.group(2) in text or "%s]" % m.group(2) in text,
          "%s is run by its suite" % m.group(2))
    return None


def do_console(ctx, block):
    if block.directive("daemon-log") is not None:
        for line, cmd, want in console_commands(block):
            check(os.access(os.path.join(SRC, cmd.split()[0]), os.X_OK),
                  "%s is an executable script" % cmd.split()[0])
            w, g = normalise(want), normalise([default_daemon_log(ctx)])
            if w != g:
                raise TestFailure("line %d: `%s`\n%s" % (line, cmd,
                                                         show_diff(w, g)))
        return None
    if not IS_ROOT:
        return "SKIP needs root to make the OS users alice and bob"
    env = ctx.doc_env()
    user = block.directive("as") or DEFAULT_USER
    answer = block.directive("input")
    answer = unquote(answer) if answer is not None else None
    for before in block.all_directives("before"):
        m = re.match(r"^as (\S+): (.*)$", before)
        who, cmd = (m.group(1), m.group(2)) if m else (user, before)
        out, status = env.run(who, cmd)
        check_eq(status, 0, "before, as %s: %s" % (who, cmd), output=out)
    trigger = block.directive("while")
    if trigger is not None:
        cmds = console_commands(block)
        check_eq(len(cmds), 1, "a while block has one command")
        line, cmd, want = cmds[0]
        got = run_while(env, user, cmd, want, trigger)
        w, g = normalise(want), normalise(got)
        if w != g:
            raise TestFailure("line %d: `%s`\n%s" % (line, cmd,
                                                     show_diff(w, g)))
        return None
    for line, cmd, want in console_commands(block):
        prompts = any(w.lower().endswith("password:") for w in want)
        out, status = env.run(user, cmd, answer if prompts else None)
        got = out.split("\n")
        if want and want[0].startswith("cashbookctl: "):
            check(status != 0, "line %d: `%s` fails" % (line, cmd),
                  status=status, output=out)
        else:
            check_eq(status, 0, "line %d: `%s` exit status" % (line, cmd),
                     output=out)
        w = normalise(want)
        g = normalise(env.paths("\n".join(got)).split("\n"))
        if w != g:
            raise TestFailure("line %d: `%s`\n%s" % (line, cmd,
                                                     show_diff(w, g)))


# ---------------------------------------------------------------- c, python

def do_c(ctx, block):
    env = ctx.doc_env()
    includes = [ln for ln in block.lines if ln.startswith("#include")]
    body = [ln for ln in block.lines if not ln.startswith("#include")]
    if any(re.match(r"^int\s+main\b", ln) for ln in body):
        src = "\n".join(block.lines) + "\n"
    else:
        src = ("#include <err.h>\n#include <stdio.h>\n" +
               "\n".join(includes) + "\n\nint\nmain(void)\n{\n" +
               "\n".join(body) + "\nreturn 0;\n}\n")
    # The comment on the #include names the pkg-config module: the build
    # must make it.
    for inc in includes:
        m = re.search(r"pkg-config --cflags --libs (\S+)\)", inc)
        if m:
            pc = os.path.join(ctx.build, "meson-private", m.group(1) + ".pc")
            check(os.path.exists(pc), "the build makes %s" % pc)
    d = tempfile.mkdtemp(prefix="cbdoc-c-", dir=env.dir)
    prog = os.path.join(d, "prog")
    with open(os.path.join(d, "prog.c"), "w") as f:
        f.write(src)
    libdir = os.path.dirname(ctx.cashbookctl)
    # cashbook.h needs no msgpack: no msgpack flags are given.
    argv = (["cc", "-std=gnu11", "-Wall", "-Werror", "-I",
             os.path.join(SRC, "client")] +
            (["-fsanitize=address,undefined"] if SANITIZED else []) +
            ["-o", prog, os.path.join(d, "prog.c"),
             os.path.join(libdir, "libcashbook.so"),
             "-Wl,-rpath," + libdir])
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    check_eq(p.returncode, 0, "it compiles", source=src, stderr=p.stderr)
    out, status = run_as(None, [prog], env.env(None), d)
    check_eq(status, 0, "the program's exit status", output=out)
    want = block.directive("output")
    check(want is not None, "a c block says what it prints "
          "(<!-- doc-test: output \"TEXT\" -->)")
    check_eq(out, unquote(want).replace("\\n", "\n") + "\n",
             "what the program prints")


PRINT_EXPECT = re.compile(r"^\s*print\(.*\)\s*# (.*)$")


def do_python(ctx, block):
    if any(DOC_SOCKET in ln for ln in block.lines):
        # A literal socket path: a fresh daemon of our own, put there.
        d = Daemon(ctx.cashbookd).start()
        sock = d.socket
    else:
        d = None
        sock = ctx.doc_env().daemon.socket
    try:
        code = "\n".join(block.lines).replace(DOC_SOCKET, sock)
        code = "path = %r\n%s\n" % (sock, code)
        p = subprocess.run(["/usr/bin/python3", "-c", code],
                           capture_output=True, text=True, timeout=60,
                           cwd="/")
        check_eq(p.returncode, 0, "exit status", stderr=p.stderr)
        out = p.stdout.rstrip("\n").split("\n")
        prints = [ln for ln in block.lines
                  if re.match(r"^\s*print\(", ln)]
        check_eq(len(out), len(prints), "one line per print()",
                 output=p.stdout)
        for ln, got in zip(prints, out):
            m = PRINT_EXPECT.match(ln)
            if m:
                check_eq(got, m.group(1), "`%s`" % ln.strip())
            try:
                val = ast.literal_eval(got)
            except (ValueError, SyntaxError):
                continue
            if isinstance(val, list) and len(val) == 4 and val[0] == 1:
                check(val[2] is None, "the response has no error",
                      response=val)
    finally:
        if d is not None:
            d.cleanup()


# ---------------------------------------------------------------- sh

def build_options(ctx):
    with open(os.path.join(ctx.build, "meson-info",
                           "intro-buildoptions.json")) as f:
        return {o["name"]: o for o in json.load(f)}


def check_option(ctx, arg):
    """-Dname=value or --buildtype=value: an option meson knows, and a
    value it takes."""
    m = re.match(r"^(?:-D|--)([\w-]+)=(\S+)$", arg)
    check(m is not None, "an option", arg=arg)
    opts = build_options(ctx)
    name, value = m.group(1), m.group(2)
    check(name in opts, "meson knows the option %s" % name)
    o = opts[name]
    if o["type"] == "boolean":
        check(value in ("true", "false"), "%s takes true or false" % name)
    elif o["type"] == "combo":
        check(value in o["choices"], "%s=%s is a choice" % (name, value),
              choices=o["choices"])
    if arg.startswith("-D"):
        with open(os.path.join(SRC, "meson_options.txt")) as f:
            check("option('%s'" % name in f.read(),
                  "meson_options.txt declares %s" % name)


# What `meson install` installs, as README.md lists it.
INSTALLED = ("bin/cashbookd", "bin/cashbookctl", "libcashbook.so",
             "libcashbook.a", "include/cashbook.h", "pkgconfig/cashbook.pc")


def sh_check(ctx, words, comment):
    """Check one command of a set-up block; False when none applies."""
    if re.match(r"^scripts/\w+$", words[0]):
        path = os.path.join(SRC, words[0])
        check(os.path.isfile(path) and os.access(path, os.X_OK),
              "%s is an executable script" % words[0])
        if words[1:] == ["--sanitize"]:
            with open(path) as f:
                check('"--sanitize"' in f.read(), "%s takes --sanitize"
                      % words[0])
        else:
            check_eq(words[1:], [], "arguments of %s" % words[0])
        return True
    if words[:2] == ["meson", "setup"]:
        check(os.path.exists(os.path.join(SRC, "meson.build")),
              "meson.build exists")
        for arg in words[3:]:
            check_option(ctx, arg)
        for arg in re.findall(r"--buildtype=\S+", comment):
            check_option(ctx, arg)
        return True
    if words[0] == "ninja" and words[1] == "-C":
        check(shutil.which("ninja") is not None, "ninja is installed")
        return True
    if words[:3] == ["meson", "test", "-C"]:
        # This very test is one of them.
        return True
    if words[:3] == ["meson", "install", "-C"]:
        with open(os.path.join(ctx.build, "meson-info",
                               "intro-installed.json")) as f:
            installed = list(json.load(f).values())
        for want in INSTALLED:
            check(any(p.endswith("/" + want) for p in installed),
                  "meson install installs %s" % want, installed=installed)
        return True
    return False


def do_sh(ctx, block):
    if block.directive("run") is not None:
        return do_system_daemon(ctx, block)
    for ln in block.lines:
        if not ln.strip():
            continue
        cmd, _, comment = ln.partition("#")
        for part in cmd.split("&&"):
            words = shlex.split(part)
            if not sh_check(ctx, words, comment):
                raise TestFailure("no check for the command `%s`: add one "
                                  "to sh_check, or a directive"
                                  % part.strip())


SYSTEM_DIRS = ("/run/cashbook", "/var/lib/cashbook")


def system_cleanup():
    quiet("userdel", "--remove", "cashbook")
    quiet("groupdel", "cashbook")
    for d in SYSTEM_DIRS:
        shutil.rmtree(d, ignore_errors=True)


def do_system_daemon(ctx, block):
    """docs/protocol.md's system-wide daemon, run as written; then alice
    and bob each use it as themselves."""
    if not IS_ROOT:
        return "SKIP needs root to make users"
    check_eq(block.directive("run"), "as root", "the run directive")
    if ours("cashbook"):
        system_cleanup()        # left by a killed run of this test
    for what, exists in (
            ("user cashbook", quiet("getent", "passwd", "cashbook") == 0),
            ("group cashbook", quiet("getent", "group", "cashbook") == 0)) + \
            tuple((d, os.path.exists(d)) for d in SYSTEM_DIRS):
        check(not exists, "%s does not exist before the block (it is not "
              "ours: not touching it)" % what)
    env = ctx.doc_env()        # for the binaries on PATH
    os.symlink(ctx.cashbookd, os.path.join(env.bin, "cashbookd"))
    path = env.bin + ":/usr/sbin:/usr/bin:/sbin:/bin"
    lines = [ln for ln in block.lines if ln.strip()]
    d = None
    try:
        for ln in lines[:-1]:
            p = subprocess.run(["/bin/sh", "-c", ln], env={"PATH": path},
                               capture_output=True, text=True, timeout=60)
            check_eq(p.returncode, 0, "`%s`" % ln, output=p.stdout + p.stderr)
            if ln.startswith("useradd"):
                sh("usermod", "--comment", COMMENT, "cashbook")
        # The last line runs the daemon in the foreground.
        d = Daemon("/bin/sh", "-c", "exec " + lines[-1], socket_path=None,
                   db=None, env={"PATH": path})
        d.start()
        sock = "/run/cashbook/cashbookd.sock"
        for user, cmd, want in (
                ("alice", "cashbookctl whoami", "alice (user 1), as your "
                 "user on this machine (no login needed)\n"
                 "no unread notifications\n"),
                ("bob", "cashbookctl whoami", "bob (user 2), as your user "
                 "on this machine (no login needed)\n"
                 "no unread notifications\n"),
                ("alice", "cashbookctl book create Groceries --currency EUR",
                 "created book 'Groceries' (ID 1, EUR)\n"),
                ("bob", "cashbookctl book list", "no books yet; create one "
                 "with 'cashbookctl book create NAME --currency CODE'\n")):
            e = dict(env.env(user), PATH=path, CASHBOOK_SOCKET=sock)
            out, status = run_as(user, ["/bin/sh", "-c", cmd], e,
                                 env.home(user))
            check_eq((status, out.split("\n")[0]),
                     (0, want.split("\n")[0]), "%s: %s" % (user, cmd),
                     output=out)
        st = os.stat(sock)
        check_eq((oct(st.st_mode & 0o777), grp.getgrgid(st.st_gid).gr_name),
                 ("0o660", "cashbook"), "the socket is the group's")
        d.stop()
        # runuser passes SIGTERM on and then dies of it itself (exit
        # -15): cashbookd's own clean stop is in its log.
        check("cashbookd stopped" in d.log_text(), "cashbookd stopped "
              "cleanly", log=d.log_text())
    finally:
        if d is not None:
            d.cleanup()
        system_cleanup()
        os.unlink(os.path.join(env.bin, "cashbookd"))


# ---------------------------------------------------------------- wire

def fresh_daemon(ctx):
    return Daemon(ctx.cashbookd).start()


def exchange(d, data):
    """(raw answer bytes, decoded answer) for one request."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    try:
        s.connect(d.socket)
        s.sendall(data)
        up = msgpack.Unpacker(raw=False)
        raw = b""
        while True:
            chunk = s.recv(65536)
            check(chunk, "an answer before EOF", got=raw)
            raw += chunk
            up.feed(chunk)
            for msg in up:
                check_eq(len(raw), up.tell(), "exactly one answer")
                return raw, msg
    finally:
        s.close()


HEX = re.compile(r"^[0-9a-f]{2}$")


def hex_bytes(lines):
    """The leading hex pairs of each line (the rest is a comment)."""
    out = b""
    for ln in lines:
        for w in ln.split():
            if not HEX.match(w):
                break
            out += bytes.fromhex(w)
    return out


def pseudo_json(text):
    """A request or answer as the docs write it: JSON with nil."""
    return json.loads(re.sub(r"\bnil\b", "null", text))


def mask(v):
    """Answers with the values that depend on when and where masked."""
    if isinstance(v, dict):
        return {k: "<variable>" if k in VARIABLE_KEYS else mask(x)
                for k, x in v.items()}
    if isinstance(v, list):
        return [mask(x) for x in v]
    return v


def do_wire(ctx, block):
    lines = [ln for ln in block.lines if ln.strip()]
    if lines[0].startswith("-> "):
        return wire_arrows(ctx, block, lines)
    data = hex_bytes(lines)
    msg = msgpack.unpackb(data, raw=False)
    check(isinstance(msg, list) and msg and msg[0] in (0, 1),
          "a request or a response", got=msg)
    if msg[0] == 0:
        d = fresh_daemon(ctx)
        try:
            ctx.last_response, _ = exchange(d, data)
        finally:
            d.cleanup()
    else:
        check(ctx.last_response is not None, "a request shown before")
        check_eq(data.hex(" "), ctx.last_response.hex(" "),
                 "the daemon's answer, byte for byte")


def wire_arrows(ctx, block, lines):
    req, hexes, ans = None, [], []
    for ln in lines:
        if ln.startswith("-> "):
            req = ln[3:]
        elif ln.startswith("<- "):
            ans.append(ln[3:])
        elif ans:
            ans.append(ln)
        else:
            hexes.append(ln)
    request = pseudo_json(req)
    data = pack(request)
    check_eq(hex_bytes(hexes).hex(" "), data.hex(" "),
             "the hex is the request's msgpack")
    want = pseudo_json(" ".join(ans))
    d = fresh_daemon(ctx)
    try:
        _, got = exchange(d, data)
    finally:
        d.cleanup()
    check_eq(json.dumps(mask(got)), json.dumps(mask(want)),
             "the answer (key order too)")


def parse_keys(text):
    """{"a", "b": {...}, "c": bool} -> [("a", None), ("b", [...]),
    ("c", "bool")]."""
    toks = re.findall(r'"[^"]*"|[{}:,]|\w+', text)
    pos = [0]

    def obj():
        check_eq(toks[pos[0]], "{", "a {", at=pos[0])
        pos[0] += 1
        items = []
        while toks[pos[0]] != "}":
            key = toks[pos[0]].strip('"')
            pos[0] += 1
            sub = None
            if toks[pos[0]] == ":":
                pos[0] += 1
                if toks[pos[0]] == "{":
                    sub = obj()
                else:
                    sub = toks[pos[0]]
                    pos[0] += 1
            items.append((key, sub))
            if toks[pos[0]] == ",":
                pos[0] += 1
        pos[0] += 1
        return items
    return obj()


def compare_keys(shape, value, where):
    check_eq([k for k, _ in shape], list(value.keys()),
             "the keys of %s, in order" % where)
    for k, sub in shape:
        v = value[k]
        if isinstance(sub, list):
            check(isinstance(v, dict), "%s.%s is a map" % (where, k))
            compare_keys(sub, v, where + "." + k)
        elif sub == "bool":
            check(isinstance(v, bool), "%s.%s is a bool" % (where, k), got=v)
        else:
            check(isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                  "%s.%s is a uint" % (where, k), got=v)


def do_keys(ctx, block):
    method = block.directive("keys")
    d = fresh_daemon(ctx)
    try:
        with d.client() as c:
            res = c.call_ok(method)
    finally:
        d.cleanup()
    compare_keys(parse_keys("\n".join(block.lines)), res, method)


def do_protocol_error(ctx, block):
    shape = pseudo_json(re.sub(r"\bmessage\b", '"<message>"',
                               " ".join(block.lines)))
    d = fresh_daemon(ctx)
    try:
        with d.client() as c:
            c.send(b"\xc1")
            msg = c.read()
            check(isinstance(msg, list) and len(msg) == 3 and
                  isinstance(msg[2], list) and len(msg[2]) == 2 and
                  isinstance(msg[2][1], str), "a notification", got=msg)
            msg[2][1] = "<message>"
            check_eq(msg, shape, "the protocol_error notification")
            c.expect_eof()
    finally:
        d.cleanup()


def do_database_gone(ctx, block):
    replaced, removed = [ln for ln in block.lines if ln.strip()]
    for how, want in (("replaced", replaced), ("removed", removed)):
        d = fresh_daemon(ctx)
        try:
            with d.client() as c:
                c.call_ok("test.write")
                if how == "replaced":
                    other = d.db + ".other"
                    import sqlite3
                    db = sqlite3.connect(other)
                    db.execute("CREATE TABLE t (x)")
                    db.commit()
                    db.close()
                    os.rename(other, d.db)
                else:
                    os.unlink(d.db)
                err, _ = c.call("test.write")
                check_eq(err, ["unavailable", want], "a write after the "
                         "database file was %s" % how)
        finally:
            d.cleanup()


# ---------------------------------------------------------------- dispatch

def handler(block):
    """(function, None) or (None, skip reason)."""
    skip = block.directive("skip")
    if skip is not None:
        m = re.match(r"^\((.+)\)$", skip)
        check(m is not None, "skip (REASON)", got=skip)
        return None, m.group(1)
    for word, fn in (("wire", do_wire), ("keys", do_keys),
                     ("covered-by", do_covered_by),
                     ("protocol-error", do_protocol_error),
                     ("database-gone", do_database_gone)):
        if block.directive(word) is not None:
            return fn, None
    fn = {"console": do_console, "c": do_c, "python": do_python,
          "sh": do_sh}.get(block.lang)
    if fn is None:
        raise TestFailure("no handler for a ```%s block and no directive: "
                          "run it, check it, or <!-- doc-test: skip "
                          "(REASON) -->" % block.lang)
    return fn, None


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: %s CASHBOOKD CASHBOOKCTL\n" % sys.argv[0])
        sys.exit(2)
    ctx = Context(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]))
    only = sys.argv[3:]
    signal.signal(signal.SIGALRM, harness.Tap._alarm)
    n = failed = 0
    if IS_ROOT:
        ensure_users()
    try:
        for doc in DOCS:
            for block in extract(doc):
                if only and block.name not in only and doc not in only:
                    continue
                n += 1
                err = skip = None
                try:
                    signal.setitimer(signal.ITIMER_REAL, 180)
                    try:
                        fn, skip = handler(block)
                        if fn is not None:
                            r = fn(ctx, block)
                            if isinstance(r, str) and r.startswith("SKIP "):
                                skip = r[5:]
                    finally:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                except TestFailure as e:
                    err = str(e)
                except Exception:
                    err = traceback.format_exc()
                todo = block.directive("todo")
                todo = " # TODO %s" % todo.strip("()") if todo else ""
                if err is None and skip is None:
                    print("ok %d - %s %s%s" % (n, block.name, block.lang or
                                               "(no language)", todo))
                elif err is None:
                    print("ok %d - %s # SKIP %s" % (n, block.name, skip))
                else:
                    failed += 0 if todo else 1
                    print("not ok %d - %s %s%s" % (n, block.name, block.lang,
                                                   todo))
                    for ln in err.splitlines():
                        print("# " + ln)
                    if ctx.env is not None:
                        print("# cashbookd log:")
                        for ln in ctx.env.daemon.log_text().splitlines()[-30:]:
                            print("#   " + ln)
                sys.stdout.flush()
            try:
                ctx.end_doc()
            except TestFailure as e:
                n += 1
                failed += 1
                print("not ok %d - %s: its daemon stopped cleanly" % (n, doc))
                for ln in str(e).splitlines():
                    print("# " + ln)
    finally:
        cleanup_all_daemons()
        if IS_ROOT:
            remove_users()
    print("1..%d" % n)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
