#!/usr/bin/python3
"""
test_ctl_table.py -- cashbookctl's one command table: the files it generates
(bash, zsh and fish completion, the man page's COMMANDS) are the checked-in
ones, so help, completion and man page never disagree with the parser;
prefixes (a unique one runs, an ambiguous one names the candidates, the
destructive commands must be typed whole), "did you mean" for a typo,
global options before and after the command word, the short flags and
--reference (with --ref kept as a hidden alias), "__complete" of book
names and categories with the daemon up (the names) and down (silent,
exit 0, fast), and the commands ported last (account, sharing, import,
export, notifications) parsed, checked and completed from the table.

Usage: test_ctl_table.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main  # noqa
from test_ctl_books import User  # noqa

SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
GENERATED = {
    "bash": "client/completion/cashbookctl.bash",
    "zsh": "client/completion/_cashbookctl",
    "fish": "client/completion/cashbookctl.fish",
    "man": "docs/man/cashbookctl-commands.scd",
}


def run(t, *args, env=None, timeout=15):
    """(status, stdout, stderr) of cashbookctl args, with no daemon."""
    e = {k: v for k, v in os.environ.items()
         if k not in ("CASHBOOK_SOCKET", "CASHBOOK_BOOK", "CASHBOOK_TOKEN")}
    e["CASHBOOK_SOCKET"] = "/nonexistent/cbit-table.sock"
    if env:
        e.update(env)
    p = subprocess.run([t.cashbookctl] + list(args), capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=timeout, env=e)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_generated_files_are_current(t):
    """Regenerating each file gives the checked-in one byte for byte: run
    'cashbookctl __generate WHAT > FILE' after changing the table."""
    for what, path in GENERATED.items():
        code, out, err = run(t, "__generate", what)
        check_eq(code, 0, "__generate %s" % what, stderr=err)
        with open(os.path.join(SRC, path)) as f:
            want = f.read()
        check(out == want, "%s is current: regenerate it with "
              "'cashbookctl __generate %s > %s'" % (path, what, path))
    code, out, err = run(t, "__generate", "check")
    check_eq(code, 0, "the table is consistent", stderr=err)
    code, out, err = run(t, "__generate", "nonsense")
    check_eq(code, 2, "__generate of an unknown thing", stderr=err)


def test_man_fragment_renders(t):
    """The COMMANDS fragment is valid scdoc (with a page header around it)
    and names every command."""
    scdoc = shutil.which("scdoc")
    with open(os.path.join(SRC, GENERATED["man"])) as f:
        frag = f.read()
    for name in ("*add*", "*book delete*", "*list*", "*member rm*"):
        check(name in frag, "the man page lists %s" % name)
    check("--reference" in frag, "options are listed")
    if scdoc is None:
        return
    page = "cashbookctl(1)\n\n# NAME\n\ncashbookctl - test\n\n" + frag
    p = subprocess.run([scdoc], input=page.encode(), capture_output=True,
                       timeout=10)
    check_eq(p.returncode, 0, "scdoc renders it", stderr=p.stderr.decode())
    check(b"book delete" in p.stdout, "roff names book delete")


def test_prefixes(t):
    # A prefix of one command runs it ("li" is list: its help).
    code, out, err = run(t, "li", "--help")
    check_eq(code, 0, "li --help", stderr=err)
    check(out.startswith("usage: cashbookctl [OPTIONS] list"), "li is list",
          out=out)
    code, out, err = run(t, "help", "bal")
    check_eq(code, 0, "help bal", stderr=err)
    check(out.startswith("usage: cashbookctl [OPTIONS] balance"),
          "help bal is balance", out=out)
    # Ambiguous: the candidates are named.
    code, out, err = run(t, "re")
    check_eq(code, 2, "re is ambiguous")
    check_eq(err.split("\n")[0], "cashbookctl: ambiguous command 're': "
             "could be register, restore, report", "names the candidates")
    code, out, err = run(t, "book", "de", "X")
    check_eq(code, 2, "book de is ambiguous")
    check("could be describe, delete" in err, "subcommand candidates",
          stderr=err)
    # Destructive commands must be typed whole, even as the only match.
    for args, whole in ((["book", "del", "X"], "book delete"),
                        (["member", "r", "X", "bob"], "member rm"),
                        (["invite", "rev", "1"], "invite revoke"),
                        (["lea", "X"], "leave")):
        code, out, err = run(t, *args)
        check_eq(code, 2, "%s refused" % args, stderr=err)
        check("is short for '%s', which must be typed in full" % whole
              in err, "%s must be typed whole" % whole, stderr=err)
    # --json: the error is JSON too.
    code, out, err = run(t, "--json", "book", "del", "X")
    check_eq(json.loads(out)["error"]["code"], "usage", "--json usage")


def test_did_you_mean(t):
    for args, want in ((["lsit"], "unknown command 'lsit'; did you mean "
                        "'list'?"),
                       (["balnce"], "did you mean 'balance'?"),
                       (["book", "craete", "X"], "unknown subcommand "
                        "'craete' of book; did you mean 'create'?"),
                       (["help", "hsitory"], "did you mean 'history'?")):
        code, out, err = run(t, *args)
        check_eq(code, 2, "%s exit status" % args, stderr=err)
        check(want in err, "%s: %s" % (args, want), stderr=err)
    code, out, err = run(t, "zzzzzz")
    check_eq(err.split("\n")[0], "cashbookctl: unknown command 'zzzzzz'",
             "nothing near: no suggestion")
    code, out, err = run(t, "add", "in", "5", "--frmo", "x")
    check("unknown option '--frmo'" in err, "unknown option", stderr=err)
    code, out, err = run(t, "edit", "1", "--c", "x")
    check_eq(code, 2, "ambiguous option exit status")
    check("ambiguous option '--c': could be --category, --clear" in err,
          "an ambiguous option names the candidates", stderr=err)


def test_global_options_after_command(t):
    """-j, -b/--book and --socket work after the command word as before
    it; short flags and --reference on add; --ref still works."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        u.ok("book", "create", "Home", "--currency", "EUR")
        u.ok("book", "create", "Trip", "--currency", "JPY")
        out = u.ok("add", "out", "12.50", "-c", "Food", "-m", "Cash",
                   "-p", "Shop", "-n", "lunch", "-t", "a", "-t", "b",
                   "-d", "2026-01-02", "-r", "R-1", "-b", "Home", "-j")
        e1 = json.loads(out)["entry_id"]
        out = u.ok("add", "in", "500", "--book", "Trip", "--ref", "R-2",
                   "--json")
        e2 = json.loads(out)["entry_id"]
        got = json.loads(u.ok("show", str(e1), "-j"))["entry"]
        check_eq((got["category"], got["mode"], got["party"], got["note"],
                  got["tags"], got["date"], got["reference"]),
                 ("Food", "Cash", "Shop", "lunch", ["a", "b"], "2026-01-02",
                  "R-1"), "short flags and --reference")
        got = json.loads(u.ok("show", "-j", str(e2)))["entry"]
        check_eq(got["reference"], "R-2", "--ref is --reference")
        # --book after the command, and before it, agree.
        after = json.loads(u.ok("balance", "--book", "Trip", "-j"))
        before = json.loads(u.ok("-j", "-b", "Trip", "balance"))
        check_eq(after, before, "-b after == -b before")
        check_eq(after["balance"], 500, "Trip's balance")
        check_eq(json.loads(u.ok("balance", "-jb", "Home"))["balance"],
                 -1250, "clustered -jb")
        # --socket after the command.
        code, out, err = subprocess.run(
            [t.cashbookctl, "ping", "--socket", d.socket],
            capture_output=True, env=u.env()).returncode, None, None
        check_eq(code, 0, "ping --socket PATH")
        # A negative amount is an operand, refused with its reason.
        err = u.fails(2, "add", "out", "-3", "-b", "Home")
        check("amount" in err, "-3 is an amount", stderr=err)
        # A value-taking option at the end.
        err = u.fails(2, "add", "in", "5", "--tag")
        check("add: --tag needs a value" in err, "needs a value", stderr=err)


def test_complete(t):
    """__complete books lists the books as people type them; categories
    those of the chosen book; with the daemon down it prints nothing,
    says nothing and exits 0, quickly."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        u.ok("book", "create", "Home", "--currency", "EUR")
        u.ok("book", "create", "Trip Japan", "--currency", "JPY")
        u.ok("add", "out", "5", "-c", "Food", "-b", "Home")
        u.ok("add", "out", "7", "-c", "Rent", "-b", "Home")
        code, out, err = u.run("__complete", "books")
        check_eq((code, out, err), (0, "Home\nTrip Japan\n", ""),
                 "__complete books")
        code, out, err = u.run("-b", "Home", "__complete", "categories")
        check_eq((code, out, err), (0, "Food\nRent\n", ""),
                 "__complete categories")
        # The bash script asks the same, passing --socket along.
        bindir = tempfile.mkdtemp(prefix="cbit-table-")
        try:
            os.symlink(t.cashbookctl, os.path.join(bindir, "cashbookctl"))
            script = os.path.join(SRC, GENERATED["bash"])
            env = u.env({"PATH": bindir + ":" + os.environ["PATH"]})
            sh = ('source "$1"; COMP_WORDS=(cashbookctl --socket "$2" '
                  'balance --book T); COMP_CWORD=5; _cashbookctl; '
                  'printf "%s\\n" "${COMPREPLY[@]}"')
            p = subprocess.run(["bash", "-c", sh, "x", script, d.socket],
                               capture_output=True, env=env, timeout=10)
            check_eq(p.stdout.decode(), "Trip Japan\n",
                     "bash completes --book T", stderr=p.stderr.decode())
        finally:
            shutil.rmtree(bindir, ignore_errors=True)
    start = time.monotonic()
    code, out, err = run(t, "__complete", "books")
    took = time.monotonic() - start
    check_eq((code, out, err), (0, "", ""), "daemon down: silent, exit 0")
    check(took < 1.0, "daemon down: quick", took=took)


def test_ported_commands(t):
    """The commands once parsed by hand (account, sharing, import, export,
    notifications, watch) take the global options after their word, their
    declared short flags, count their operands from the table, and are
    completed; --password is never taken for --password-stdin."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        u.ok("book", "create", "Home", "--currency", "EUR")
        u.ok("book", "create", "Trip", "--currency", "JPY")
        u.ok("add", "in", "700", "-b", "Trip")
        check_eq(json.loads(u.ok("whoami", "-j"))["username"], "alice",
                 "whoami -j")
        out = u.ok("export", "--format", "csv", "-b", "Trip")
        check_eq(out.splitlines()[1].split(",")[2:4], ["in", "700"],
                 "export -b Trip (after the word)")
        check_eq(u.ok("export", "--format", "csv", "--book", "Home"),
                 "date,time,type,amount,category,mode,party,note,"
                 "reference,tags\r\n", "export --book Home: no entries")
        path = os.path.join(u.dir, "trip.csv")
        u.ok("export", "--format=csv", "-o", path, "-b", "Trip")
        with open(path) as f:
            check_eq(f.read().count("700"), 1, "export -o FILE")
        # Trip is not the default book (Home, the first, is).
        out = json.loads(u.ok("import", path, "--dry-run", "-jb", "Trip"))
        check_eq(out, {"dry_run": True, "rows": 1, "book_id": 2,
                       "cash_in": 700, "cash_out": 0},
                 "import FILE --dry-run -jb Trip")
        members = json.loads(u.ok("members", "-b", "Trip", "-j"))
        check_eq([m["username"] for m in members["members"]], ["alice"],
                 "members -b Trip -j")
        check_eq(json.loads(u.ok("notifications", "-a", "-j")),
                 {"notifications": [], "next_cursor": None},
                 "notifications -a -j")
        check_eq(json.loads(u.ok("invites", "--json")),
                 {"received": [], "sent": []}, "invites --json")
    # Usage errors, from the table, without a daemon.
    for args, want in (
            (["share", "Home"], "share needs the book and the USERNAME of "
             "whom to share it with"),
            (["invite", "accept"], "invite accept needs the invitation's "
             "ID"),
            (["member", "rm", "bob", "--can", "add"],
             "member rm: unknown option '--can'"),
            (["leave"], "leave needs the book"),
            (["whoami", "extra"], "whoami takes no arguments (got 'extra')"),
            (["login", "--password", "hunter22"],
             "login: unknown option '--password'"),
            (["passwd", "--pass=hunter22"],
             "passwd: unknown option '--pass'"),
            (["export", "--format", "csv", "-x"],
             "export: unknown option '-x'")):
        code, out, err = run(t, *args)
        check_eq(code, 2, "exit status of %s" % args, stderr=err)
        check(want in err, "message of %s" % args, stderr=err)
        check("hunter22" not in err, "no password in the message", stderr=err)
    # Their options are completed now.
    script = os.path.join(SRC, GENERATED["bash"])
    for words, want in (("export --f", ["--format", "--from"]),
                        ("login --p", ["--password-stdin"]),
                        ("export --format ", ["csv", "json", "ledger"]),
                        ("notifications --", ["--all", "--unread"])):
        sh = ('source "$1"; COMP_WORDS=(cashbookctl %s); '
              'COMP_CWORD=${#COMP_WORDS[@]}; %s _cashbookctl; '
              'printf "%%s\\n" "${COMPREPLY[@]}"') % (
                  words, "COMP_WORDS+=(''); " if words.endswith(" ")
                  else "COMP_CWORD=$((COMP_CWORD-1));")
        p = subprocess.run(["bash", "-c", sh, "x", script],
                           capture_output=True, timeout=10)
        got = sorted(w for w in p.stdout.decode().split("\n") if w)
        for w in want:
            check(w in got, "bash completes %r with %s" % (words, w),
                  got=got, stderr=p.stderr.decode())


if __name__ == "__main__":
    main([
        test_generated_files_are_current,
        test_man_fragment_renders,
        test_prefixes,
        test_did_you_mean,
        test_global_options_after_command,
        test_complete,
        test_ported_commands,
    ])
