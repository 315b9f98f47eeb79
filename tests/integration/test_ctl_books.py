#!/usr/bin/python3
"""
test_ctl_books.py -- cashbookctl's bookkeeping commands (book create, list,
use, show, rename, delete; add, list, show, edit, rm, restore, history,
balance, report, verify) against a real cashbookd: exact amounts in each
currency's minor units, the running balance and the order of the list,
CSV and JSON output, colour only at a terminal and never with NO_COLOR,
how the book is chosen (book use, --book, CASHBOOK_BOOK), idempotent add,
and exit statuses with messages that say what to do.

Every cashbookctl runs with HOME (and XDG_CONFIG_HOME when asked) in a
temporary directory of the test, without a controlling terminal, and with
standard output a pipe, except in test_terminal_colour.

Usage: test_ctl_books.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import csv
import io
import json
import os
import re
import select
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main, wait_until  # noqa

PW = "correct horse 1"
NO_BOOK = ("cashbookctl: no book chosen; run 'cashbookctl book use NAME' "
           "or pass --book\n")
NOT_LOGGED_IN = "cashbookctl: not logged in: run cashbookctl login\n"
TOKEN_MODE_HINT = ("hint: this cashbookd serves only users who log in (it "
                   "runs with --auth token)\n")
ESC = "\x1b"


class User:
    """A temporary HOME logged in (or not) as one user of daemon d; runs
    cashbookctl with it.  The default book file is HOME/.config/cashbook/
    book, or XDG_CONFIG_HOME/cashbook/book."""

    def __init__(self, t, d, xdg=False):
        self.t = t
        self.d = d
        self.dir = tempfile.mkdtemp(prefix="cbit-books-")
        self.home = os.path.join(self.dir, "home")
        os.mkdir(self.home, 0o755)
        self.xdg = os.path.join(self.dir, "xdg") if xdg else None

    @property
    def config(self):
        if self.xdg is not None:
            return os.path.join(self.xdg, "cashbook")
        return os.path.join(self.home, ".config", "cashbook")

    @property
    def book_file(self):
        return os.path.join(self.config, "book")

    def env(self, extra=None):
        e = {k: v for k, v in os.environ.items()
             if k not in ("CASHBOOK_SOCKET", "CASHBOOK_TOKEN", "CASHBOOK_BOOK",
                          "HOME", "XDG_CONFIG_HOME", "NO_COLOR")}
        e["HOME"] = self.home
        if self.xdg is not None:
            e["XDG_CONFIG_HOME"] = self.xdg
        if extra:
            e.update(extra)
        return e

    def argv(self, args):
        sock = (self.d.socket if self.d is not None
                else os.path.join(self.dir, "no.sock"))
        return [self.t.cashbookctl, "--socket", sock] + list(args)

    def run(self, *args, stdin=None, env=None):
        """(status, stdout, stderr)."""
        p = subprocess.run(
            self.argv(args),
            input=stdin.encode() if stdin is not None else None,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True, timeout=30, env=self.env(env),
            start_new_session=True)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def ok(self, *args, **kw):
        code, out, err = self.run(*args, **kw)
        check_eq(code, 0, "cashbookctl %s exit status" % " ".join(args),
                 stdout=out, stderr=err)
        return out

    def json(self, *args, **kw):
        return json.loads(self.ok("--json", *args, **kw))

    def fails(self, status, *args, **kw):
        """Run, expect status; returns stderr."""
        code, out, err = self.run(*args, **kw)
        check_eq(code, status, "cashbookctl %s exit status" % " ".join(args),
                 stdout=out, stderr=err)
        return err

    def login(self, name="alice"):
        self.ok("register", "--username", name, "--password-stdin",
                stdin=PW + "\n")
        self.ok("login", "--username", name, "--password-stdin",
                stdin=PW + "\n")
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def table(out):
    """The aligned table of out (up to the first line that is not a row):
    (header line, [row lines])."""
    lines = out.split("\n")
    check(lines and lines[0].startswith("ID"), "a table header", out=out)
    rows = []
    for ln in lines[1:]:
        if not re.match(r"^ *[0-9]+  ", ln):
            break
        rows.append(ln)
    return lines[0], rows


def column_end(header, name):
    """Where a right-aligned column ends: the end of its header."""
    m = re.search(r"(?<!\S)%s(?!\S)" % re.escape(name), header)
    check(m, "column %s in the header" % name, header=header)
    return m.end()


def add(u, kind, amount, *args):
    """add ... --json: the entry_id."""
    res = u.json("add", kind, amount, *args)
    check(isinstance(res["entry_id"], int) and res["replayed"] is False,
          "add result", res=res)
    return res["entry_id"]


# The book of test_list..., newest first: (id index, type, amount text,
# running balance text, category).
LEDGER = [
    ("in", "1000", "2026-01-01", "Salary"),
    ("out", "12.5", "2026-01-02", "Food"),
    ("out", "0.05", "2026-01-02", "Food"),
    ("in", "100.10", "2026-01-03", "Gift"),
    ("out", "200", "2026-02-01", "Rent"),
]
NEWEST_FIRST = [
    (4, "out", "200.00", "887.55", "Rent"),
    (3, "in", "100.10", "1087.55", "Gift"),
    (2, "out", "0.05", "987.45", "Food"),
    (1, "out", "12.50", "987.50", "Food"),
    (0, "in", "1000.00", "1000.00", "Salary"),
]


def ledger(u):
    """Create the book Household (EUR) with LEDGER; the entry IDs."""
    u.ok("book", "create", "Household", "--currency", "EUR")
    return [add(u, k, a, "--date", day, "--category", cat)
            for k, a, day, cat in LEDGER]


# ---------------------------------------------------------------- tests

def test_usage(t):
    """Usage errors are exit 2 and need neither a daemon nor a login;
    help lists and explains the new commands."""
    with User(t, None) as u:
        for args, what in (
                (["add"], "needs 'in' or 'out' and an AMOUNT"),
                (["add", "sideways", "5"], "write 'in'"),
                (["add", "in", "12,50"], "decimal commas"),
                (["add", "in", "-3"], "no sign"),
                (["add", "in", "1e3"], "no exponents"),
                (["add", "in", "12", "--date", "2026-02-30"], "not a date"),
                (["add", "in", "12", "--time", "25:00"], "not a time"),
                (["list", "--limit", "0"], "from 1 to 500"),
                (["list", "--csv", "--json"], "choose one"),
                (["list", "--min", "1 000"], "no spaces"),
                (["report", "--by", "year"], "month, category, mode, "
                 "party or tag"),
                (["edit", "3"], "nothing to change"),
                (["edit", "3", "--clear", "amount"], "give one of time"),
                (["edit", "3", "--note", "x", "--clear", "note"],
                 "at once"),
                (["show"], "needs the entry's ID"),
                (["show", "x1"], "whole number"),
                (["book", "create"], "needs the book's NAME"),
                (["book", "create", "B", "--currency", "EURO"], "ISO 4217"),
                (["book"], "needs a subcommand"),
                (["book", "frob"], "unknown subcommand"),
                (["add", "in", "5", "--tag"], "needs a value")):
            code, out, err = u.run(*args)
            check_eq(code, 2, "exit status for %s" % args, stderr=err)
            check(what in err, "message for %s" % args, stderr=err,
                  want=what)
        tags = []
        for i in range(21):
            tags += ["--tag", "t%d" % i]
        err = u.fails(2, "add", "in", "1", *tags)
        check("at most 20 times" in err, "21 tags", stderr=err)
        # No book chosen: the message says what to do (exit 2).
        check_eq(u.fails(2, "add", "in", "5"), NO_BOOK, "no book chosen")
        check_eq(u.fails(2, "list"), NO_BOOK, "no book chosen for list")
        check_eq(u.fails(2, "balance"), NO_BOOK, "no book for balance")
        err = u.fails(2, "--book", "", "balance")
        check("--book is empty" in err, "empty --book", stderr=err)
        out = u.ok("--help")
        for name in ("book", "add", "list", "show", "edit", "rm", "restore",
                     "history", "balance", "report", "verify"):
            check(re.search(r"\n  %s +\S" % name, out),
                  "--help lists %s" % name, out=out)
            out2 = u.ok("help", name)
            check(out2.startswith("usage: cashbookctl [OPTIONS] %s" % name),
                  "help %s" % name, out=out2)
        check("--book NAME|ID" in out, "--help has --book", out=out)
        out = u.ok("help", "book", "use")
        check(out.startswith("usage: cashbookctl [OPTIONS] book use NAME|ID"),
              "help book use", out=out)
        out = u.ok("book", "create", "--help")
        check(out.startswith("usage: cashbookctl [OPTIONS] book create"),
              "book create --help", out=out)
        out = u.ok("help", "book")
        for sub in ("create", "list", "use", "show", "rename", "describe",
                    "delete"):
            check(re.search(r"\n  %s +\S" % sub, out),
                  "help book lists %s" % sub, out=out)


def test_not_logged_in(t):
    """A cashbookd that wants a login (--auth token) and no token: the
    commands say to log in, and why.  (In peer mode, the default, no token
    is the OS user's own account: test_peer.)"""
    with t.daemon("--auth", "token").start() as d, User(t, d) as u:
        for args in (["book", "list"], ["book", "create", "X"],
                     ["--book", "1", "list"], ["show", "1"]):
            check_eq(u.fails(1, *args), NOT_LOGGED_IN + TOKEN_MODE_HINT,
                     "not logged in for %s" % args)


def test_peer(t):
    """Without a token, a peer-mode cashbookd serves the OS user's own
    account: books and entries work without register or login."""
    with t.daemon().start() as d, User(t, d) as u:
        out = u.ok("book", "create", "Pocket", "--currency", "EUR")
        check(out.startswith("created book 'Pocket'"), "book create as "
              "the peer", out=out)
        add(u, "out", "3.20")
        check_eq(u.json("balance")["balance"], -320, "the peer's balance")
        err, prof = d.call("user.profile", {})
        books = u.json("book", "list")["books"]
        check_eq([(b["name"], b["owner_username"]) for b in books],
                 [("Pocket", prof["username"])], "the peer's own book")


def test_books(t):
    """book create / list / use / show / rename / delete, and the default
    book file."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        out = u.ok("book", "create", "Household", "--currency", "eur",
                   "--description", "the house")
        m = re.fullmatch(r"created book 'Household' \(ID ([0-9]+), EUR\)\n"
                         r"it is your default book now \(see 'cashbookctl "
                         r"book use'\)\n", out)
        check(m, "book create output", out=out)
        hid = int(m.group(1))
        with open(u.book_file) as f:
            check_eq(f.read(), "%d\n" % hid, "the first book is the default")
        check_eq(os.stat(u.book_file).st_mode & 0o777, 0o600,
                 "default book file mode")
        res = u.json("book", "create", "Trip", "--currency", "JPY")
        tid = res["book_id"]
        check_eq(res["book"]["decimals"], 0, "JPY has no decimals")
        with open(u.book_file) as f:
            check_eq(f.read(), "%d\n" % hid, "the second is not the default")
        err = u.fails(1, "book", "create", "HOUSEHOLD")
        check("already have a book named" in err and
              "choose another name" in err, "duplicate name", stderr=err)

        out = u.ok("book", "list")
        lines = out.splitlines()
        check(re.match(r"^ +ID +NAME +CURRENCY +ENTRIES +IN +OUT +BALANCE "
                       r"+DESCRIPTION$", lines[0]), "book list header",
              out=out)
        check(re.match(r"^\* +%d +Household +EUR +0 +0\.00 +0\.00 +0\.00 "
                       r"+the house$" % hid, lines[1]), "Household line",
              out=out)
        check(re.match(r"^ +%d +Trip +JPY +0 +0 +0 +0$" % tid, lines[2]),
              "Trip line (JPY: no decimals)", out=out)
        books = u.json("book", "list")["books"]
        check_eq([b["name"] for b in books], ["Household", "Trip"],
                 "--json book list")

        # use: a name ignoring case, or an ID.
        out = u.ok("book", "use", "trip")
        check_eq(out, "using book 'Trip' (ID %d, JPY) from now on\n" % tid,
                 "book use output")
        with open(u.book_file) as f:
            check_eq(f.read(), "%d\n" % tid, "book use writes the ID")
        check(re.search(r"^\* +%d +Trip" % tid, u.ok("book", "list"), re.M),
              "the default is marked")
        u.ok("book", "use", str(hid))
        check_eq(u.json("book", "show")["book"]["book_id"], hid,
                 "book show: the default")
        out = u.ok("book", "show", "Trip")
        check(re.search(r"^currency +JPY \(0 decimals\)$", out, re.M),
              "book show Trip", out=out)
        err = u.fails(1, "book", "use", "Nope")
        check("no book named 'Nope'" in err and "book list" in err,
              "book use of an unknown name", stderr=err)
        err = u.fails(1, "book", "use", "999")
        check("no book with ID 999" in err, "book use of an unknown ID",
              stderr=err)

        # rename keeps the ID (and the default).
        out = u.ok("book", "rename", "household", "Home")
        check_eq(out, "renamed book %d from 'Household' to 'Home'\n" % hid,
                 "rename output")
        check_eq(u.json("book", "show")["book"]["name"], "Home",
                 "renamed default")
        err = u.fails(1, "book", "rename", "Home", "TRIP")
        check("already have a book named" in err, "rename to a taken name",
              stderr=err)

        # describe sets, then removes, the description.
        out = u.ok("book", "describe", "Home", "groceries\nand rent")
        check_eq(out, "set the description of book 'Home' (ID %d)\n" % hid,
                 "describe output")
        check_eq(u.json("book", "show")["book"]["description"],
                 "groceries\nand rent", "the description is stored")
        out = u.ok("book", "describe", "Home")
        check_eq(out, "removed the description of book 'Home' (ID %d)\n" %
                 hid, "describe without text")
        check_eq(u.json("book", "show")["book"]["description"], None,
                 "the description is gone")
        u.fails(2, "book", "describe")

        # delete: refused with entries unless --force; forgets the default.
        add(u, "in", "5")
        err = u.fails(1, "book", "delete", "Home")
        check("has 1 entr" in err and
              "cashbookctl book delete %d --force" % hid in err,
              "delete with entries says --force", stderr=err)
        out = u.ok("book", "delete", "Home", "--force")
        check(out.startswith("deleted book 'Home' (ID %d) and its 1 entry\n"
                             % hid) and "it was your default book" in out,
              "delete output", out=out)
        check(not os.path.exists(u.book_file), "the default is forgotten")
        check_eq(u.fails(2, "balance"), NO_BOOK, "no default any more")
        res = u.json("book", "delete", "Trip")
        check_eq(res, {"deleted_entries": 0}, "--json book delete")
        out = u.ok("book", "list")
        check("no books yet" in out, "empty book list", out=out)


def test_amounts(t):
    """Exact amounts: 12.5 is 1250 cents; too many decimals for the
    currency is exit 2 saying so; JPY and BHD; limits."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        u.ok("book", "create", "Household", "--currency", "EUR")
        eid = add(u, "in", "12.5")
        entry = u.json("show", str(eid))["entry"]
        check_eq(entry["amount"], 1250, "12.5 EUR is 1250 cents")
        check_eq(entry["type"], "in", "type")
        check(re.fullmatch(r"\d{4}-\d\d-\d\d", entry["date"]),
              "a date by default", entry=entry)
        check(entry["idempotency_key"].startswith("ctl-"),
              "an idempotency key by default", entry=entry)
        out = u.ok("show", str(eid))
        check(re.search(r"^amount +12\.50 EUR$", out, re.M), "show amount",
              out=out)
        err = u.fails(2, "add", "out", "12.505")
        check_eq(err, "cashbookctl: amount '12.505': EUR amounts have at most "
                 "2 decimals (book 'Household')\n", "12.505 refused")
        err = u.fails(2, "add", "out", "0")
        check("more than 0" in err, "0 refused", stderr=err)
        err = u.fails(2, "add", "out", "10000000000000.01")
        check("too large" in err, "past 10^15 minor units", stderr=err)
        eid = add(u, "in", "10000000000000")
        check_eq(u.json("show", str(eid))["entry"]["amount"], 10 ** 15,
                 "10^15 minor units exactly")
        check_eq(u.json("balance")["balance"], 10 ** 15 + 1250, "balance")

        u.ok("book", "create", "Trip", "--currency", "JPY")
        err = u.fails(2, "add", "in", "12.5", "--book", "Trip")
        check_eq(err, "cashbookctl: amount '12.5': JPY amounts have no "
                 "decimals (book 'Trip')\n", "JPY refuses decimals")
        eid = add(u, "in", "1250", "--book", "Trip")
        check_eq(u.json("show", str(eid))["entry"]["amount"], 1250,
                 "1250 JPY is 1250 yen")
        out = u.ok("--book", "Trip", "balance")
        check(re.search(r"^balance +1250 JPY$", out, re.M), "JPY balance",
              out=out)

        u.ok("book", "create", "Gulf", "--currency", "BHD")
        eid = add(u, "out", "1.234", "--book", "Gulf")
        check_eq(u.json("show", str(eid))["entry"]["amount"], 1234,
                 "1.234 BHD is 1234 fils")
        err = u.fails(2, "add", "out", "1.2345", "--book", "Gulf")
        check("BHD amounts have at most 3 decimals" in err, "BHD decimals",
              stderr=err)
        out = u.ok("--book", "Gulf", "list")
        check(re.search(r"\b1\.234 +-1\.234\b", out), "BHD in the list",
              out=out)


def test_list_running_balance(t):
    """Newest first, the running balance after each entry, IN and OUT in
    their own columns; no escape sequences into a pipe."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        ids = ledger(u)
        out = u.ok("list")
        check(ESC not in out, "no escape sequences into a pipe", out=out)
        header, rows = table(out)
        check(re.fullmatch(r"ID +DATE +IN +OUT +BALANCE +CATEGORY", header),
              "list header (empty columns left out)", header=header)
        check_eq(len(rows), 5, "five rows", out=out)
        in_end = column_end(header, "IN")
        out_end = column_end(header, "OUT")
        bal_end = column_end(header, "BALANCE")
        for row, (i, kind, amount, bal, cat) in zip(rows, NEWEST_FIRST):
            f = row.split()
            check_eq(f, [str(ids[i]), LEDGER[i][2], amount, bal, cat],
                     "row of entry %d" % ids[i], out=out)
            end = row.index(" " + amount + " ") + 1 + len(amount)
            check_eq(end, in_end if kind == "in" else out_end,
                     "the amount of entry %d is under %s" % (ids[i], kind),
                     row=row, header=header)
            check_eq(row.rindex(" " + bal + " ") + 1 + len(bal), bal_end,
                     "the balance is right-aligned", row=row)
            check(not row.endswith(" "), "no trailing spaces", row=row)
        check(out.endswith("\n5 entries in 'Household', amounts in EUR\n"),
              "list footer", out=out)

        # NO_COLOR changes nothing in a pipe.
        check_eq(u.ok("list", env={"NO_COLOR": "1"}), out, "NO_COLOR")

        # --json: the entries with running_balance in minor units.
        res = u.json("list")
        check_eq([e["entry_id"] for e in res["entries"]],
                 [ids[r[0]] for r in NEWEST_FIRST], "--json order")
        check_eq([e["running_balance"] for e in res["entries"]],
                 [88755, 108755, 98745, 98750, 100000], "running balances")
        check_eq([e["amount"] for e in res["entries"]],
                 [20000, 10010, 5, 1250, 100000], "amounts")
        check_eq(res["next_cursor"], None, "one page")

        # Filters choose rows, never change the running balance.
        res = u.json("list", "--category", "food")
        check_eq([(e["entry_id"], e["running_balance"])
                  for e in res["entries"]],
                 [(ids[2], 98745), (ids[1], 98750)], "--category food")
        res = u.json("list", "--type", "in", "--from", "2026-01-02")
        check_eq([e["entry_id"] for e in res["entries"]], [ids[3]],
                 "--type in --from")
        res = u.json("list", "--min", "12.5", "--max", "100.10")
        check_eq([e["entry_id"] for e in res["entries"]], [ids[3], ids[1]],
                 "--min --max, exact")
        err = u.fails(2, "list", "--min", "0.001")
        check("EUR amounts have at most 2 decimals" in err, "--min decimals",
              stderr=err)

        # Paging: --limit N stops there (and says more follow); --all
        # follows the cursor to the end, N per page.
        code, out, err = u.run("list", "--limit", "2")
        check_eq(code, 0, "list --limit 2", stderr=err)
        check_eq([r.split()[0] for r in table(out)[1]],
                 [str(ids[4]), str(ids[3])], "--limit 2 rows", out=out)
        check("more entries follow" in err, "says more follow", stderr=err)
        code, out, err = u.run("list", "--limit", "2", "--all")
        check_eq(code, 0, "list --all", stderr=err)
        check_eq([r.split()[0] for r in table(out)[1]],
                 [str(ids[r[0]]) for r in NEWEST_FIRST], "--all rows",
                 out=out)
        check_eq(err, "", "nothing on stderr with --all")
        res = u.json("list", "--limit", "2", "--all")
        check_eq([e["running_balance"] for e in res["entries"]],
                 [88755, 108755, 98745, 98750, 100000], "--json --all")
        check_eq(res["next_cursor"], None, "--json --all: no cursor left")


def next_command(err):
    """The next page's command printed on stderr, as argv after
    'cashbookctl'."""
    m = re.search(r"the next page: (cashbookctl .*)", err)
    check(m is not None, "the next page's command", stderr=err)
    words = shlex.split(m.group(1))
    check_eq(words[0], "cashbookctl", "a cashbookctl command", stderr=err)
    return words[1:]


def test_list_paging_and_any_of(t):
    """list --limit N prints the exact command of the next page
    (--cursor C, the same filters), which lists exactly the next rows;
    --page N lists the Nth page; --json gives next_cursor and takes
    --cursor; a repeated --category/--tag matches any of its values."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        ids = ledger(u)
        newest = [ids[r[0]] for r in NEWEST_FIRST]
        seen, args = [], ["list", "--limit", "2"]
        for page in range(3):
            code, out, err = u.run(*args)
            check_eq(code, 0, "page %d" % (page + 1), stderr=err)
            seen += [int(r.split()[0]) for r in table(out)[1]]
            if page < 2:
                args = next_command(err)
                check("--limit" in args and "--cursor" in args,
                      "the same options and a cursor", args=args)
            else:
                check_eq(err, "", "nothing more after the last page")
        check_eq(seen, newest, "three pages by the printed commands")
        # Quoting: a filter with a space and a quote survives the shell.
        u.ok("add", "out", "1", "--date", "2026-01-01", "--category",
             "Bob's lunch")
        u.ok("add", "out", "2", "--date", "2026-01-02", "--category",
             "Bob's lunch")
        code, out, err = u.run("list", "--limit", "1", "--category",
                               "bob's LUNCH")
        args = next_command(err)
        check_eq(args[args.index("--category") + 1], "bob's LUNCH",
                 "the filter quoted back", stderr=err)
        code, out, err = u.run(*args)
        check_eq((code, len(table(out)[1]), err), (0, 1, ""),
                 "the second of two lunches, and no more", stdout=out)
        # --page N and --json --cursor.
        code, out, err = u.run("list", "--limit", "2", "--page", "2",
                               "--category", "Food", "--category", "Gift",
                               "--category", "Rent")
        check_eq(code, 0, "--page 2", stderr=err)
        check_eq([int(r.split()[0]) for r in table(out)[1]],
                 [ids[2], ids[1]], "page 2 of Rent, Gift, Food, Food",
                 out=out)
        check_eq(err, "", "page 2 is the last")
        err = u.fails(1, "list", "--limit", "2", "--page", "9",
                      "--category", "Food")
        check("page 9 is past the end: the listing has 1 page" in err,
              "past the end", stderr=err)
        first = u.json("list", "--limit", "2", "--category", "food",
                       "--category", "SALARY")
        check_eq([e["entry_id"] for e in first["entries"]],
                 [ids[2], ids[1]], "--json first page of Food or Salary")
        rest = u.json("list", "--limit", "2", "--category", "food",
                      "--category", "SALARY", "--cursor",
                      first["next_cursor"])
        check_eq(([e["entry_id"] for e in rest["entries"]],
                  rest["next_cursor"]), ([ids[0]], None),
                 "--json --cursor: the rest")
        for args, what in ((["--all", "--page", "2"], "leave out --page"),
                           (["--page", "2", "--cursor", "x"], "choose one"),
                           (["--page", "0"], "--page"),
                           (["--cursor", "x" * 65], "--cursor takes")):
            err = u.fails(2, "list", *args)
            check(what in err, "list %s" % " ".join(args), stderr=err)


def test_csv(t):
    """--csv: RFC 4180 that Python's csv module reads back exactly."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        ids = ledger(u)
        note = 'from "mum", with love\nand a second, longer line'
        nid = add(u, "in", "7.07", "--date", "2026-02-02", "--note", note,
                  "--category", "Gift", "--tag", "x", "--tag", "y z",
                  "--ref", "R-1", "--party", "Mum", "--time", "09:15",
                  "--mode", "Bank Transfer")
        out = u.ok("list", "--csv")
        check("\r\n" in out and out.endswith("\r\n"), "CR LF line ends")
        rows = list(csv.reader(io.StringIO(out, newline="")))
        check_eq(rows[0], ["entry_id", "date", "time", "type", "amount",
                           "amount_minor", "running_balance",
                           "running_balance_minor", "currency", "category",
                           "mode", "party", "note", "reference", "tags"],
                 "CSV header")
        check_eq(len(rows), 7, "a row per entry", out=out)
        check_eq(rows[1], [str(nid), "2026-02-02", "09:15", "in", "7.07",
                           "707", "894.62", "89462", "EUR", "Gift",
                           "Bank Transfer", "Mum", note, "R-1", "x;y z"],
                 "the quoted row reads back whole")
        for row, (i, kind, amount, bal, cat) in zip(rows[2:], NEWEST_FIRST):
            check_eq(row, [str(ids[i]), LEDGER[i][2], "", kind, amount,
                           amount.replace(".", "").lstrip("0"), bal,
                           bal.replace(".", ""), "EUR", cat, "", "", "", "",
                           ""], "CSV row of entry %d" % ids[i])
        # The table shows the note on one line, cut.
        out = u.ok("list")
        check("from \"mum\", with love and a second, lon…  x;y z" in out,
              "the note cleaned and cut with an ellipsis", out=out)


def test_report(t):
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        ledger(u)
        out = u.ok("report", "--by", "category")
        check(ESC not in out and "\u2588" not in out,
              "no colour and no bars into a pipe", out=out)
        lines = out.splitlines()
        check_eq([ln.split() for ln in lines[:6]], [
            ["CATEGORY", "IN", "OUT", "NET", "ENTRIES"],
            ["Food", "0.00", "12.55", "-12.55", "2"],
            ["Gift", "100.10", "0.00", "100.10", "1"],
            ["Rent", "0.00", "200.00", "-200.00", "1"],
            ["Salary", "1000.00", "0.00", "1000.00", "1"],
            ["(total)", "1100.10", "212.55", "887.55", "5"]],
            "report --by category", out=out)
        res = u.json("report", "--by", "month")
        check_eq(res["rows"], [
            {"key": "2026-01", "cash_in": 110010, "cash_out": 1255,
             "net": 108755, "count": 4},
            {"key": "2026-02", "cash_in": 0, "cash_out": 20000,
             "net": -20000, "count": 1}], "--json report --by month")
        check_eq(res["total"], {"cash_in": 110010, "cash_out": 21255,
                                "net": 88755, "count": 5}, "report total")
        rows = list(csv.reader(io.StringIO(
            u.ok("report", "--by", "month", "--csv", "--from", "2026-01-02"),
            newline="")))
        check_eq(rows, [
            ["key", "cash_in", "cash_in_minor", "cash_out", "cash_out_minor",
             "net", "net_minor", "count", "currency"],
            ["2026-01", "100.10", "10010", "12.55", "1255", "87.55", "8755",
             "3", "EUR"],
            ["2026-02", "0.00", "0", "200.00", "20000", "-200.00", "-20000",
             "1", "EUR"]], "report --csv --from")
        # Entries without a mode group under "(none)", last.
        add(u, "out", "1", "--mode", "Cash", "--date", "2026-02-03")
        out = u.ok("report", "--by", "mode")
        check_eq([ln.split()[0] for ln in out.splitlines()[:4]],
                 ["MODE", "Cash", "(none)", "(total)"], "report --by mode",
                 out=out)
        # --sort amount: the most money moved (in plus out) first;
        # --percent: each group's share of the total in and out.
        out = u.ok("report", "--by", "category", "--sort", "amount",
                   "--percent")
        # 200 / 213.55 = 93.65..% rounds to 93.7%, 12.55 / 213.55 to 5.9%.
        check_eq([ln.split() for ln in out.splitlines()[:7]], [
            ["CATEGORY", "IN", "IN%", "OUT", "OUT%", "NET", "ENTRIES"],
            ["Salary", "1000.00", "90.9%", "0.00", "0.0%", "1000.00", "1"],
            ["Rent", "0.00", "0.0%", "200.00", "93.7%", "-200.00", "1"],
            ["Gift", "100.10", "9.1%", "0.00", "0.0%", "100.10", "1"],
            ["Food", "0.00", "0.0%", "12.55", "5.9%", "-12.55", "2"],
            ["(none)", "0.00", "0.0%", "1.00", "0.5%", "-1.00", "1"],
            ["(total)", "1100.10", "100.0%", "213.55", "100.0%", "886.55",
             "6"]], "report --sort amount --percent", out=out)
        # --by tag: an entry under each of its tags; the total counts
        # it once.
        add(u, "out", "3", "--date", "2026-02-04", "--tag", "trip",
            "--tag", "Work")
        res = u.json("report", "--by", "tag")
        check_eq([(r["key"], r["cash_out"], r["count"])
                  for r in res["rows"]],
                 [("trip", 300, 1), ("Work", 300, 1), (None, 21355, 6)],
                 "--json report --by tag")
        check_eq((res["total"]["cash_out"], res["total"]["count"]),
                 (21655, 7), "by tag: each entry once in the total")
        out = u.ok("report", "--by", "tag")
        check_eq([ln.split()[0] for ln in out.splitlines()[:5]],
                 ["TAG", "trip", "Work", "(none)", "(total)"],
                 "report --by tag", out=out)
        # --monthly: a category x month table of nets, TOTAL last.
        out = u.ok("report", "--by", "category", "--monthly")
        check_eq([ln.split() for ln in out.splitlines()[:7]], [
            ["CATEGORY", "2026-01", "2026-02", "TOTAL"],
            ["Food", "-12.55", "-12.55"],
            ["Gift", "100.10", "100.10"],
            ["Rent", "-200.00", "-200.00"],
            ["Salary", "1000.00", "1000.00"],
            ["(none)", "-4.00", "-4.00"],
            ["(total)", "1087.55", "-204.00", "883.55"]],
            "report --by category --monthly", out=out)
        rows = list(csv.reader(io.StringIO(u.ok(
            "report", "--by", "category", "-M", "--csv", "--from",
            "2026-01-02", "--to", "2026-02-03"), newline="")))
        check_eq(rows, [["key", "2026-01", "2026-02", "total"],
                        ["Food", "-12.55", "", "-12.55"],
                        ["Gift", "100.10", "", "100.10"],
                        ["Rent", "", "-200.00", "-200.00"],
                        ["", "", "-1.00", "-1.00"]],
                 "report -M --csv --from --to")
        for args, what in ((["--by", "month"], "leave out --by month"),
                           (["--by", "mode", "--percent"],
                            "leave out --percent"),
                           (["--by", "party", "--sort", "amount"],
                            "leave out --sort")):
            err = u.fails(2, "report", "--monthly", *args)
            check(what in err, "report --monthly %s" % " ".join(args),
                  stderr=err)
        err = u.fails(2, "--json", "report", "--by", "tag", "--monthly")
        check("leave out --json" in err, "--monthly --json", stderr=err)
        err = u.fails(2, "report", "--sort", "size")
        check("give key" in err and "or amount" in err, "--sort size",
              stderr=err)


def test_balance_verify(t):
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        ledger(u)
        out = u.ok("balance")
        check_eq(out, "book                  Household (ID 1)\n"
                 "cash in               1100.10 EUR\n"
                 "cash out              212.55 EUR\n"
                 "balance               887.55 EUR\n"
                 "entries               5\n", "balance output")
        check_eq(u.json("balance"), {"cash_in": 110010, "cash_out": 21255,
                                     "balance": 88755, "count": 5,
                                     "currency": "EUR", "decimals": 2},
                 "--json balance")
        out = u.ok("verify")
        check("is consistent" in out, "verify output", out=out)
        res = u.json("verify", "--repair")
        check_eq((res["ok"], res["problems"]), (True, []), "verify --json")
        check_eq(res["stored"], res["computed"], "stored == computed")

        # Stored totals changed behind cashbookd's back (the daemon's
        # schema: books.cash_in): exit 1, the problems, how to repair.
        db = sqlite3.connect(d.db)
        try:
            db.execute("PRAGMA busy_timeout = 5000")
            with db:
                db.execute("UPDATE books SET cash_in = cash_in + 1")
        finally:
            db.close()
        code, out, err = u.run("verify")
        check_eq(code, 1, "verify of a tampered book", stdout=out)
        check(out.startswith("book 'Household' has problems:\n  - "),
              "the problems are listed", out=out)
        check("cashbookctl verify --repair" in err, "says how to repair",
              stderr=err)
        code, out, err = u.run("--json", "verify")
        check_eq(code, 1, "--json verify of a tampered book")
        res = json.loads(out)
        check_eq((res["ok"], res["stored"]["cash_in"],
                  res["computed"]["cash_in"]), (False, 110011, 110010),
                 "--json verify figures")
        out = u.ok("verify", "--repair")
        check("repaired" in out, "verify --repair output", out=out)
        u.ok("verify")
        check_eq(u.json("balance")["cash_in"], 110010, "repaired totals")


def test_edit_rm_restore_history(t):
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        u.ok("book", "create", "Household", "--currency", "EUR")
        add(u, "in", "100", "--date", "2026-01-01")
        eid = add(u, "out", "12.50", "--date", "2026-01-02", "--note",
                  "lunch", "--category", "Food", "--tag", "a")
        out = u.ok("edit", str(eid), "--amount", "15", "--clear", "note",
                   "--tag", "b", "--tag", "c", "--time", "12:30")
        check_eq(out, "updated entry %d; balance 85.00 EUR\n" % eid,
                 "edit output")
        e = u.json("show", str(eid))["entry"]
        check_eq((e["amount"], e["note"], e["tags"], e["time"],
                  e["category"]), (1500, None, ["b", "c"], "12:30", "Food"),
                 "edit is a patch")
        err = u.fails(2, "edit", str(eid), "--amount", "1.001")
        check("EUR amounts have at most 2 decimals" in err, "edit amount",
              stderr=err)
        out = u.ok("rm", str(eid))
        check_eq(out, "moved entry %d to the trash; balance 100.00 EUR\n"
                 "undo with: cashbookctl restore %d\n" % (eid, eid),
                 "rm output")
        err = u.fails(1, "rm", str(eid))
        check("already in the trash" in err, "rm twice", stderr=err)
        err = u.fails(1, "edit", str(eid), "--amount", "1")
        check("in the trash" in err, "edit in the trash", stderr=err)
        check_eq([e["entry_id"] for e in u.json("list")["entries"]],
                 [eid - 1], "rm leaves the list")
        res = u.json("list", "--trash")
        check_eq([(e["entry_id"], e["running_balance"])
                  for e in res["entries"]], [(eid, None)], "list --trash")
        check(u.json("show", str(eid))["entry"]["deleted"] is True,
              "show a trashed entry")
        out = u.ok("restore", str(eid))
        check_eq(out, "restored entry %d from the trash; balance 85.00 EUR\n"
                 % eid, "restore output")
        err = u.fails(1, "restore", str(eid))
        check("not in the trash" in err, "restore twice", stderr=err)
        hist = u.json("history", str(eid))["history"]
        check_eq([h["action"] for h in hist],
                 ["create", "update", "delete", "restore"], "history actions")
        check_eq((hist[1]["before"]["amount"], hist[1]["after"]["amount"]),
                 (1250, 1500), "history amounts")
        check_eq(hist[0]["before"], None, "create has no before")
        check(hist[2]["before"] == hist[2]["after"] == hist[3]["after"],
              "delete and restore change no field", hist=hist)
        out = u.ok("history", str(eid))
        lines = out.splitlines()
        check(re.match(r"^WHEN +WHO +ACTION +CHANGES$", lines[0]),
              "history header", out=out)
        check(re.search(r"  alice  create +type out, amount 12\.50, date "
                        r"2026-01-02, category Food, note lunch, tags a$",
                        lines[1]), "history create line", out=out)
        check(re.search(r"  alice  update +amount 12\.50 -> 15\.00; time "
                        r"\(none\) -> 12:30; note lunch -> \(none\); tags "
                        r"a -> b, c$", lines[2]), "history update line",
              out=out)
        check("moved to the trash" in lines[3] and
              "restored from the trash" in lines[4], "delete, restore",
              out=out)
        err = u.fails(1, "show", "9999")
        check("no entry with ID 9999" in err, "unknown entry", stderr=err)


def test_choose_book(t):
    """--book (global or per command), CASHBOOK_BOOK, the default file
    under XDG_CONFIG_HOME; per command wins over global, both over the
    environment, which wins over the file."""
    with t.daemon().start() as d, User(t, d, xdg=True) as u:
        u.login()
        a = u.json("book", "create", "Alpha", "--currency", "EUR")["book_id"]
        b = u.json("book", "create", "Beta", "--currency", "USD")["book_id"]
        check(u.book_file.startswith(u.xdg), "the default file under XDG",
              path=u.book_file)
        with open(u.book_file) as f:
            check_eq(f.read(), "%d\n" % a, "Alpha is the default")

        def where(*args, env=None):
            eid = u.json(*args, env=env)["entry_id"]
            return u.json("show", str(eid))["entry"]["book_id"]

        check_eq(where("add", "in", "1"), a, "the default book")
        check_eq(where("--book", "beta", "add", "in", "1"), b, "--book")
        check_eq(where("add", "in", "1", env={"CASHBOOK_BOOK": "Beta"}), b,
                 "CASHBOOK_BOOK")
        check_eq(where("--book", "Alpha", "add", "in", "1",
                       env={"CASHBOOK_BOOK": "Beta"}), a,
                 "--book over CASHBOOK_BOOK")
        check_eq(where("--book", "Alpha", "add", "in", "1", "--book",
                       str(b)), b, "the command's --book over the global")
        err = u.fails(1, "list", env={"CASHBOOK_BOOK": "Gamma"})
        check("no book named 'Gamma' (from CASHBOOK_BOOK)" in err,
              "an unknown CASHBOOK_BOOK", stderr=err)
        code, out, err = u.run("book", "use", "Beta",
                               env={"CASHBOOK_BOOK": "Alpha"})
        check_eq(code, 0, "book use with CASHBOOK_BOOK set", stderr=err)
        check("CASHBOOK_BOOK is set" in err, "says the env wins", stderr=err)
        # Another user's book is not found, by ID or name.
        with User(t, d) as v:
            v.login("bob")
            err = v.fails(1, "--book", str(a), "list")
            check("no book with ID %d" % a in err, "not bob's", stderr=err)
        # The default book gone (deleted elsewhere): says what to do.
        with open(u.book_file, "w") as f:
            f.write("999\n")
        err = u.fails(1, "list")
        check("your default book (ID 999) no longer exists" in err and
              "book use" in err, "a stale default", stderr=err)
        with open(u.book_file, "w") as f:
            f.write("Alpha\n")
        err = u.fails(1, "list")
        check("does not hold a book ID" in err, "a garbled default file",
              stderr=err)


def test_idempotency(t):
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        u.ok("book", "create", "Household", "--currency", "EUR")
        res = u.json("add", "in", "10", "--key", "K1", "--date", "2026-01-01")
        again = u.json("add", "in", "10", "--key", "K1", "--date",
                       "2026-01-01")
        check_eq((again["entry_id"], again["replayed"], again["balance"]),
                 (res["entry_id"], True, 1000), "the same key: replayed")
        out = u.ok("add", "in", "10", "--key", "K1", "--date", "2026-01-01")
        check("already added with this idempotency key" in out,
              "replay output", out=out)
        err = u.fails(1, "add", "in", "11", "--key", "K1", "--date",
                      "2026-01-01")
        check("was already used for entry %d" % res["entry_id"] in err,
              "the same key with other fields", stderr=err)
        check_eq(u.json("balance")["count"], 1, "added once")
        # Without --key every add is new.
        u.ok("add", "in", "10", "--date", "2026-01-01")
        u.ok("add", "in", "10", "--date", "2026-01-01")
        check_eq(u.json("balance")["count"], 3, "random keys differ")


def test_add_retry(t):
    """cashbookd too busy to add (pool_timeout while another request holds
    the writer): add tries once more with the same idempotency key, and
    the entry is added exactly once."""
    with t.daemon("--pool-timeout-ms", "1000").start() as d, \
            User(t, d) as u, d.client(timeout=20) as c:
        u.login()
        u.ok("book", "create", "Household", "--currency", "EUR")
        c.request("test.sleep_write", {"ms": 1500})
        wait_until(lambda: d.stats()["pool"]["in_use"] >= 1, 5,
                   "test.sleep_write holding the writer")
        # The first try waits 1 s for the writer, the second gets it.
        code, out, err = u.run("--json", "add", "in", "5")
        check_eq(code, 0, "add after a retry", stderr=err, stdout=out)
        check("cashbookd is busy; trying once more" in err,
              "says it retries", stderr=err)
        check_eq(c.read_response()[2], None, "test.sleep_write answered")
        res = json.loads(out)
        check_eq((res["balance"], res["replayed"]), (500, False),
                 "one entry's balance")
        check_eq(u.json("balance")["count"], 1, "added once")

        # No answer within --timeout: a new connection, the same key.
        c.request("test.sleep_write", {"ms": 1500})
        wait_until(lambda: d.stats()["pool"]["in_use"] >= 1, 5,
                   "test.sleep_write holding the writer again")
        code, out, err = u.run("--timeout", "1000", "--json", "add", "in",
                               "7")
        check_eq(code, 0, "add after a timeout", stderr=err, stdout=out)
        check("trying once more" in err, "says it retries", stderr=err)
        check_eq(c.read_response()[2], None, "test.sleep_write answered")
        check_eq(json.loads(out)["balance"], 1200, "two entries' balance")
        check_eq(u.json("balance")["count"], 2, "the second added once")


def test_json_errors(t):
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        code, out, err = u.run("--json", "show", "12")
        check_eq(code, 1, "--json show of an unknown entry")
        check_eq(json.loads(out)["error"]["code"], "not_found", "--json code")
        code, out, err = u.run("--json", "add", "in", "1")
        check_eq(code, 2, "--json without a book")
        check_eq(json.loads(out)["error"]["code"], "no_book", "no_book code")


def run_tty(u, *args, env=None):
    """cashbookctl with standard output a pseudo terminal: (status,
    output with CR LF made LF)."""
    master, slave = os.openpty()
    try:
        p = subprocess.Popen(u.argv(args), stdin=subprocess.DEVNULL,
                             stdout=slave, stderr=subprocess.PIPE,
                             env=u.env(env), start_new_session=True)
    finally:
        os.close(slave)
    out = b""
    try:
        while True:
            r, _, _ = select.select([master], [], [], 10)
            check(r, "output at the terminal in time", out=out)
            try:
                data = os.read(master, 65536)
            except OSError:         # EIO: the child closed the terminal
                data = b""
            if not data:
                break
            out += data
        code = p.wait(10)
        p.stderr.close()
    finally:
        os.close(master)
    return code, out.decode().replace("\r\n", "\n")


def test_terminal_colour(t):
    """At a terminal: in green, out red, bars in the report; with NO_COLOR
    (any non-empty value) no escape sequence at all."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        ledger(u)
        code, out = run_tty(u, "list", env={"TERM": "xterm"})
        check_eq(code, 0, "list at a terminal", out=out)
        check("\x1b[32m1000.00\x1b[0m" in out, "in is green", out=out)
        check("\x1b[31m200.00\x1b[0m" in out, "out is red", out=out)
        code, plain = run_tty(u, "list", env={"TERM": "xterm",
                                              "NO_COLOR": "1"})
        check_eq(code, 0, "list with NO_COLOR")
        check(ESC not in plain, "NO_COLOR: no escapes", out=plain)
        check_eq(plain, u.ok("list"), "NO_COLOR at a terminal is the piped "
                 "output")
        code, out = run_tty(u, "list", env={"TERM": "xterm",
                                            "NO_COLOR": ""})
        check("\x1b[32m" in out, "an empty NO_COLOR is unset", out=out)

        code, out = run_tty(u, "report", "--by", "category",
                            env={"NO_COLOR": "1"})
        check_eq(code, 0, "report at a terminal")
        check(ESC not in out, "NO_COLOR report: no escapes", out=out)
        lines = {ln.split()[0]: ln for ln in out.splitlines()}
        # Each side's bars are scaled to its own largest figure over 20
        # cells: in to 1000.00, out to 200.00 (a salary does not flatten
        # every expense to one cell).
        check(lines["Salary"].endswith("  " + "\u2588" * 20),
              "the largest in fills the bar", out=out)
        check(re.search("  \u2588{2}$", lines["Gift"]),
              "100.10 of 1000 is 2 cells", out=out)
        check(re.search("  \u2588{20}$", lines["Rent"]),
              "the largest out fills its bar too", out=out)
        check(re.search("  \u2588$", lines["Food"]),
              "12.55 of 200 is one cell", out=out)
        check("\u2588" not in lines["(total)"], "no bar for the total",
              out=out)
        code, out = run_tty(u, "report", env={"TERM": "xterm"})
        check("\x1b[32m" + "\u2588" in out and "\x1b[31m\u2588" in out,
              "coloured bars", out=out)
        code, out = run_tty(u, "report", "--by", "category",
                            env={"TERM": "xterm"})
        check("\x1b[31m12.55\x1b[0m" in out and
              "\x1b[32m100.10\x1b[0m" in out, "amounts coloured", out=out)
        check("0.00" in out and "\x1b[32m0.00" not in out and
              "\x1b[31m0.00" not in out, "a zero is not coloured", out=out)


TESTS = [
    test_usage,
    test_not_logged_in,
    test_peer,
    test_books,
    test_amounts,
    test_list_running_balance,
    test_list_paging_and_any_of,
    test_csv,
    test_report,
    test_balance_verify,
    test_edit_rm_restore_history,
    test_choose_book,
    test_idempotency,
    test_add_retry,
    test_json_errors,
    test_terminal_colour,
]

if __name__ == "__main__":
    main(TESTS)
