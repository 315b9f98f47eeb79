#!/usr/bin/python3
"""
test_ctl_import.py -- cashbookctl import against a real cashbookd: the bank
exports in tests/fixtures/import (two delimiters, a BOM, CRLF, debit and
credit columns, a decimal comma, a quoted newline, a preamble, what
'cashbookctl export' writes), re-importing (nothing added twice), an import
killed half way and run again, bad rows and bad files refused with nothing
written, a dry run that writes nothing, saved profiles, and the progress
bar only on a terminal.

Amounts are checked exactly, in minor units, from 'balance --json' and
'list --json'.

Usage: test_ctl_import.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import json
import os
import pty
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main  # noqa
from test_ctl_books import User  # noqa

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "fixtures", "import")
GIRO_MAP = ("Buchungstag=date,Auftraggeber/Empfänger=party,"
            "Verwendungszweck=note,Betrag=amount")
NOTHING = "hint: fix the file (or the options) and run the import again; " \
          "nothing was imported\n"


def fixture(name):
    return os.path.join(FIXTURES, name)


def book(u, name="Giro", currency="EUR"):
    """A new book, made the default; its ID."""
    res = u.json("book", "create", name, "--currency", currency)
    u.ok("book", "use", name)
    return res["book_id"]


def balance(u, *args):
    return u.json("balance", *args)


def entries(u, *args):
    """Every live entry, in the order they were added."""
    return sorted(u.json("list", "--all", *args)["entries"],
                  key=lambda e: e["entry_id"])


def write(u, name, text, encoding="utf-8"):
    path = os.path.join(u.dir, name)
    with open(path, "w", encoding=encoding, newline="") as f:
        f.write(text)
    return path


def imported(out, n, already, book_name, bal):
    check_eq(out, "imported %d entr%s (%d already there) into '%s'; "
             "balance %s\n" % (n, "y" if n == 1 else "ies", already,
                               book_name, bal), "import's closing line")


def test_giro_semicolon_decimal_comma(t):
    """';', CRLF, a decimal comma with thousands dots, a quoted field with
    a CRLF line break and doubled quotes, two identical rows."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        out = u.ok("import", fixture("giro_de.csv"), "--map", GIRO_MAP,
                   "--decimal-comma")
        imported(out, 5, 0, "Giro", "1525.04 EUR")
        check_eq(balance(u), {"cash_in": 285000, "cash_out": 132496,
                              "balance": 152504, "count": 5,
                              "currency": "EUR", "decimals": 2}, "balance")
        es = entries(u)
        check_eq([(e["date"], e["type"], e["amount"]) for e in es],
                 [("2026-01-02", "out", 8400), ("2026-01-05", "out", 123456),
                  ("2026-01-15", "in", 285000), ("2026-01-15", "out", 320),
                  ("2026-01-15", "out", 320)], "entries")
        check_eq(es[0]["note"], "Abschlag Strom\nKd-Nr. 4711",
                 "a quoted CRLF is a line break in the note")
        check_eq(es[0]["party"], "Stadtwerke München", "UTF-8 party")
        check_eq(es[2]["note"], 'Gehalt Januar; "netto"', "doubled quotes")
        check(es[3]["idempotency_key"] != es[4]["idempotency_key"] and
              all(re.fullmatch(r"imp1:[0-9a-f]{32}", e["idempotency_key"])
                  for e in es), "one key per row, identical rows too",
              keys=[e["idempotency_key"] for e in es])


def test_us_bom_debit_credit(t):
    """A BOM, ',', debit and credit columns, quoted "1,234.56", US dates
    (detected: one day is past the 12th)."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u, "Checking", "USD")
        out = u.ok("import", fixture("us_debit_credit.csv"), "--map",
                   "Posting Date=date,Description=party,Debit=out,"
                   "Credit=in")
        imported(out, 4, 0, "Checking", "1726.43 USD")
        es = entries(u)
        check_eq([(e["date"], e["type"], e["amount"], e["party"])
                  for e in es],
                 [("2026-01-02", "out", 2399, "AMAZON MKTPLACE PMTS, WA"),
                  ("2026-01-15", "in", 320000, "PAYROLL ACME INC"),
                  ("2026-01-20", "out", 145000, 'RENT - "MAPLE ST" APT 4'),
                  ("2026-01-31", "in", 42, "INTEREST PAYMENT")], "entries")


def test_uk_preamble_parentheses(t):
    """Two preamble rows skipped, CRLF, "05 Jan 2026" dates, (45.10) for
    money out."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u, "Current", "GBP")
        out = u.ok("import", fixture("uk_preamble.csv"), "--skip-rows", "2",
                   "--map", "Date=date,Description=party,Amount=amount,"
                   "Category=category")
        imported(out, 3, 0, "Current", "2052.10 GBP")
        check_eq([(e["date"], e["type"], e["amount"], e["category"])
                  for e in entries(u)],
                 [("2026-01-05", "out", 4510, "Groceries"),
                  ("2026-01-07", "out", 280, "Transport"),
                  ("2026-01-25", "in", 210000, "Income")], "entries")
        err = u.fails(4, "import", fixture("uk_preamble.csv"), "--map",
                      "Date=date,Amount=amount")
        check("line 1: 2 fields where the header has" in err or
              "no column 'Date'" in err, "without --skip-rows", stderr=err)


def test_export_format_default_mapping(t):
    """The columns 'cashbookctl export' writes need no options; every field
    arrives (time, mode, reference, tags, a two-line note)."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        out = u.ok("import", fixture("export_format.csv"))
        imported(out, 3, 0, "Giro", "927.50 EUR")
        es = entries(u)
        e = es[0]
        check_eq((e["type"], e["amount"], e["date"], e["time"],
                  e["category"], e["mode"], e["party"], e["note"],
                  e["reference"], e["tags"]),
                 ("out", 1250, "2026-02-01", "08:30", "Food", "Cash",
                  "Corner Cafe", "breakfast\nwith Sam", "R-1",
                  ["food", "friends"]), "every field of row 2")
        check_eq((es[1]["type"], es[1]["amount"], es[1]["time"],
                  es[1]["note"], es[1]["tags"]),
                 ("in", 100000, None, None, []), "empty cells are no value")
        check_eq((es[2]["time"], es[2]["party"], es[2]["tags"]),
                 ("19:05", None, ["car"]), "row 4")


def test_reimport_adds_nothing(t):
    """The same file twice: the second time every row is already there;
    --json says so in numbers."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        u.ok("import", fixture("giro_de.csv"), "--map", GIRO_MAP,
             "--decimal-comma")
        res = u.json("import", fixture("giro_de.csv"), "--map", GIRO_MAP,
                     "--decimal-comma")
        check_eq(res["imported"], 0, "nothing new")
        check_eq(res["already"], 5, "all already there")
        check_eq(res["balance"], 152504, "balance unchanged")
        check_eq(balance(u)["count"], 5, "still 5 entries")
        # Another book gets its own copies (keys include the book).
        book(u, "Other")
        out = u.ok("import", fixture("giro_de.csv"), "--map", GIRO_MAP,
                   "--decimal-comma")
        imported(out, 5, 0, "Other", "1525.04 EUR")


def big_file(u, n):
    """n rows, some identical; (path, sum in minor units)."""
    lines = ["date,amount,party"]
    total = 0
    for i in range(n):
        cents = -(100 + i % 7) if i % 3 else 2500
        total += cents
        lines.append("2026-%02d-%02d,%s,Shop %d" % (
            1 + i % 12, 1 + i % 28, "%d.%02d" % (cents // 100, cents % 100)
            if cents > 0 else "-%d.%02d" % (-cents // 100, -cents % 100),
            i % 5))
    return write(u, "big.csv", "\n".join(lines) + "\n"), total


def test_interrupted_prefix_resumed(t):
    """An import that stopped after its first rows (as Ctrl-C between
    batches leaves it) is finished by running the whole file again."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        path, total = big_file(u, 2500)
        with open(path) as f:
            lines = f.read().splitlines()
        head = write(u, "head.csv", "\n".join(lines[:1201]) + "\n")
        u.ok("import", head)
        check_eq(balance(u)["count"], 1200, "first part")
        res = u.json("import", path)
        check_eq((res["imported"], res["already"]), (1300, 1200),
                 "the rest only")
        b = balance(u)
        check_eq((b["count"], b["balance"]), (2500, total), "whole file")


def read_until(fd, pattern, timeout):
    """Read fd (a pty) until pattern matches what was read; the match."""
    buf = b""
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(pattern, buf)
        if m:
            return m, buf
        left = deadline - time.monotonic()
        check(left > 0, "no %r on the terminal in time" % pattern, got=buf)
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            check(chunk, "the terminal closed before %r" % pattern, got=buf)
            buf += chunk


def test_interrupted_daemon_killed(t):
    """cashbookd killed (SIGKILL) while an import runs: the import fails
    saying so; run again after the restart, it adds exactly the rows
    that are missing."""
    n = 20000
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        path, total = big_file(u, n)
        master, slave = pty.openpty()
        p = subprocess.Popen(u.argv(["import", path]), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=slave,
                             env=u.env(), start_new_session=True)
        os.close(slave)
        try:
            m, _ = read_until(master, rb"\] ([1-9][0-9]*)/%d entries" % n, 60)
            d.kill()
            out, _ = p.communicate(timeout=30)
            _, tty = read_until(master, rb"cashbookctl: ", 10)
        finally:
            os.close(master)
        check_eq(p.returncode, 1, "the import fails", out=out, tty=tty)
        check(b"cashbookctl: connection to cashbookd lost" in tty,
              "says why", tty=tty)
        check(re.search(rb"cashbookctl: [0-9]+ of %d rows were imported "
                        rb"before this; run the same import again" % n,
                        tty), "says what to do", tty=tty)
        d2 = t.daemon(dir=d.dir).start()
        try:
            done = balance(u)["count"]
            check(int(m.group(1)) <= done < n, "stopped half way",
                  seen=m.group(1), done=done)
            res = u.json("import", path)
            check_eq((res["imported"], res["already"]), (n - done, done),
                     "the missing rows only")
            b = balance(u)
            check_eq((b["count"], b["balance"]), (n, total), "whole file")
        finally:
            d2.stop()


def test_bad_row_writes_nothing(t):
    """One bad amount on line 213 of 300: refused with the line and the
    column, exit 4, and not one entry written -- also when it is in the
    last batch."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        rows = ["Date,Amount"] + ["2026-01-%02d,-1.00" % (1 + i % 28)
                                  for i in range(299)]
        rows[212] = '2026-01-05,"12,5O"'
        path = write(u, "bad.csv", "\r\n".join(rows) + "\r\n")
        code, out, err = u.run("import", path, "--map",
                               "Date=date,Amount=amount")
        check_eq((code, out), (4, ""), "refused", stderr=err)
        check_eq(err, "cashbookctl: %s: line 213, column 'Amount': '12,5O' "
                 "is not an amount\n" % path + NOTHING, "message")
        check_eq(balance(u)["count"], 0, "nothing written")
        # The last row of a file longer than a batch.
        rows = ["date,amount"] + ["2026-01-01,-0.01"] * 1500 + \
            ["2026-13-01,1"]
        path = write(u, "late.csv", "\n".join(rows) + "\n")
        err = u.fails(4, "import", path)
        check_eq(err, "cashbookctl: %s: line 1502, column 'date': "
                 "'2026-13-01' is not a date in a format I know; give its "
                 "format with --date-format (e.g. '%%d.%%m.%%Y' for "
                 "31.01.2026)\nhint: give the dates' format with "
                 "--date-format\n" % path, "late bad date, detected")
        err = u.fails(4, "import", path, "--date-format", "%Y-%m-%d")
        check_eq(err, "cashbookctl: %s: line 1502, column 'date': "
                 "'2026-13-01' is not a date in the format '%%Y-%%m-%%d'\n"
                 % path + NOTHING, "late bad date, format given")
        check_eq(balance(u)["count"], 0, "nothing written")


def test_bad_files(t):
    """Empty, header only, the wrong delimiter, an ambiguous date, not
    UTF-8, a quote left open, a missing file: each a clear message."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        cases = [
            ("", "the file is empty"),
            ("date,amount\r\n", "only a header, no rows; nothing to "
             "import"),
            ("date;amount\n2026-01-01;1\n",
             None),   # ';' is detected: this one imports, see below
            ("date,amount\n03/04/2026,1\n",
             "line 2, column 'date': '03/04/2026' may be 2026-04-03 "
             "(%d/%m/%Y) or 2026-03-04 (%m/%d/%Y); give the format with "
             "--date-format '%d/%m/%Y' or --date-format '%m/%d/%Y'"),
            ("date,party,amount\n2026-01-01,Caf\xe9,1\n",
             "line 2: bytes that are not UTF-8; save the file as UTF-8 "
             "(e.g. iconv -f latin1 -t utf-8)"),
            ('date,note,amount\n2026-01-01,"open,1\n',
             "line 2: a quoted field is not closed before the end of the "
             "file"),
        ]
        for i, (text, msg) in enumerate(cases):
            path = os.path.join(u.dir, "f%d.csv" % i)
            with open(path, "wb") as f:
                f.write(text.encode("latin-1"))
            if msg is None:
                u.ok("import", path, "--dry-run")
                continue
            err = u.fails(4, "import", path)
            check(err.startswith("cashbookctl: %s: %s\n" % (path, msg)),
                  "message for %r" % text, stderr=err)
        path = write(u, "semi.csv", "date;amount\n2026-01-01;1\n")
        err = u.fails(4, "import", path, "--delimiter", ",")
        check_eq(err.splitlines()[0], "cashbookctl: %s: line 1: the header "
                 "is one column, 'date;amount': is the delimiter another "
                 "one?" % path, "wrong delimiter")
        check("hint: give the file's delimiter with --delimiter" in err,
              "delimiter hint", stderr=err)
        err = u.fails(1, "import", os.path.join(u.dir, "missing.csv"))
        check("cannot open" in err and "No such file" in err, "missing",
              stderr=err)
        err = u.fails(2, "import", path, "--type-from", "colour")
        check("--type-from 'colour'" in err, "bad option", stderr=err)
        check_eq(balance(u)["count"], 0, "nothing written")


def test_dry_run_writes_nothing(t):
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        out = u.ok("import", fixture("giro_de.csv"), "--map", GIRO_MAP,
                   "--decimal-comma", "--dry-run")
        lines = out.splitlines()
        check(re.match(r"^LINE +DATE +TYPE +AMOUNT +PARTY +NOTE$", lines[0]),
              "header", out=out)
        check(re.match(r"^ +4 +2026-01-05 +out +1234\.56 +REWE Markt +"
                       r"Kartenzahlung$", lines[2]), "a row as booked",
              out=out)
        check_eq(lines[-1], "dry run: 5 rows would be imported into 'Giro' "
                 "(in 2850.00 EUR, out 1324.96 EUR); nothing was written; "
                 "rows already there are skipped when importing",
                 "counts")
        res = u.json("import", fixture("giro_de.csv"), "--map", GIRO_MAP,
                     "--decimal-comma", "--dry-run")
        check_eq((res["dry_run"], res["rows"], res["cash_in"],
                  res["cash_out"]), (True, 5, 285000, 132496), "json")
        check_eq(balance(u)["count"], 0, "nothing written")


def test_profiles(t):
    """--save-profile, then --profile alone; options given win; the file
    is 0600; --list-profiles."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        code, out, err = u.run("import", fixture("giro_de.csv"), "--map",
                               GIRO_MAP, "--decimal-comma", "--dry-run",
                               "--save-profile", "giro")
        check_eq(code, 0, "saved", stderr=err)
        check("saved import profile 'giro'" in err, "says so", stderr=err)
        pfile = os.path.join(u.config, "import-profiles", "giro")
        check_eq(os.stat(pfile).st_mode & 0o777, 0o600, "profile mode")
        check_eq(u.ok("import", "--list-profiles"), "giro\n", "list")
        check_eq(u.json("import", "--list-profiles"), {"profiles": ["giro"]},
                 "list json")
        out = u.ok("import", fixture("giro_de.csv"), "--profile", "giro")
        imported(out, 5, 0, "Giro", "1525.04 EUR")
        # An option given overrides the profile's.
        err = u.fails(4, "import", fixture("giro_de.csv"), "--profile",
                      "giro", "--date-format", "%Y-%m-%d")
        check("is not a date in the format '%Y-%m-%d'" in err, "override",
              stderr=err)
        err = u.fails(2, "import", fixture("giro_de.csv"), "--profile",
                      "nope")
        check("no import profile 'nope'" in err, "missing profile",
              stderr=err)


def run_pty_stderr(u, args):
    """Run cashbookctl with stderr on a terminal; (status, stdout, what
    the terminal got)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(u.argv(args), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=slave, env=u.env(),
                         start_new_session=True)
    os.close(slave)
    tty = b""
    try:
        while True:
            r, _, _ = select.select([master], [], [], 30)
            check(r, "the terminal went quiet", got=tty)
            try:
                chunk = os.read(master, 4096)
            except OSError:      # EIO: the child closed it
                break
            if not chunk:
                break
            tty += chunk
    finally:
        os.close(master)
    out, _ = p.communicate(timeout=30)
    return p.returncode, out.decode(), tty.decode()


def test_progress_only_on_a_terminal(t):
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        path, _ = big_file(u, 2500)
        code, out, tty = run_pty_stderr(u, ["import", path])
        check_eq(code, 0, "imported", tty=tty)
        check(re.search(r"\rimporting \[#{30}\] 2500/2500 entries, [0-9]+ "
                        r"entries/s \r?\n", tty), "a finished bar", tty=tty)
        check(re.search(r"\rimporting \[#*\.+\] [0-9]+/2500 entries", tty),
              "a bar under way", tty=tty)
        imported(out, 2500, 0, "Giro", out.split("balance ")[1][:-1])
        code, out, err = u.run("import", path)
        check_eq((code, err), (0, ""), "nothing on a piped stderr")
        imported(out, 0, 2500, "Giro", out.split("balance ")[1][:-1])


if __name__ == "__main__":
    main([test_giro_semicolon_decimal_comma, test_us_bom_debit_credit,
          test_uk_preamble_parentheses, test_export_format_default_mapping,
          test_reimport_adds_nothing, test_interrupted_prefix_resumed,
          test_interrupted_daemon_killed, test_bad_row_writes_nothing,
          test_bad_files, test_dry_run_writes_nothing, test_profiles,
          test_progress_only_on_a_terminal],
         timeouts={"test_interrupted_daemon_killed": 240,
                   "test_interrupted_prefix_resumed": 120,
                   "test_progress_only_on_a_terminal": 120})
