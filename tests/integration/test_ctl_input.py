#!/usr/bin/python3
"""
test_ctl_input.py -- what cashbookctl accepts as people write it, against a
real cashbookd: dates ("yesterday", "-3d", "2026-02" for a whole month in
--from/--to, --month, --period 'last month') sent as strict YYYY-MM-DD;
alignment by display width (wide CJK and emoji); --tag a,b as two tags;
amounts and field errors in a person's words; the warning on far dates
and large amounts, and --yes.

Usage: test_ctl_input.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import datetime
import json
import os
import select
import subprocess
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, check_eq, main  # noqa
from test_ctl_books import User, add  # noqa


def days_ago(n):
    return (datetime.date.today() - datetime.timedelta(days=n)).isoformat()


def month_bounds(d):
    first = d.replace(day=1)
    nxt = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, nxt - datetime.timedelta(days=1)


def book(u):
    u.ok("book", "create", "Household", "--currency", "EUR")


def dates_of(u, *args):
    return sorted(e["date"] for e in u.json("list", *args)["entries"])


def test_dates(t):
    """Relative dates become YYYY-MM-DD before they are sent; whole months
    in --from/--to, --month and --period pick the right entries."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        add(u, "out", "1", "--date", "yesterday")
        add(u, "out", "2", "--date", "-3d")
        add(u, "out", "3", "-d", "today")
        add(u, "out", "4", "--date", "2026-02-14")
        add(u, "out", "5", "--date", "2026-03-01")
        add(u, "out", "6", "--date", "2025-12-31")
        got = dates_of(u, "--from", "-3d")
        check_eq(got, sorted([days_ago(1), days_ago(3), days_ago(0)]),
                 "--from -3d")
        check_eq(dates_of(u, "--from", "2026-02", "--to", "2026-02"),
                 ["2026-02-14"], "--from/--to YYYY-MM: the whole month")
        check_eq(dates_of(u, "--month", "2026-02"), ["2026-02-14"],
                 "--month")
        check_eq(dates_of(u, "--period", "2025"), ["2025-12-31"],
                 "--period YYYY")
        check_eq(dates_of(u, "--to", "2026-02"),
                 ["2025-12-31", "2026-02-14"], "--to YYYY-MM: its last day")
        first, last = month_bounds(datetime.date.today())
        want = sorted(x for x in [days_ago(0), days_ago(1), days_ago(3),
                                  "2026-02-14", "2026-03-01", "2025-12-31"]
                      if first.isoformat() <= x <= last.isoformat())
        check_eq(dates_of(u, "--period", "this month"), want,
                 "--period 'this month'")
        lm_last = first - datetime.timedelta(days=1)
        lm_first = lm_last.replace(day=1)
        want = sorted(x for x in [days_ago(0), days_ago(1), days_ago(3),
                                  "2026-02-14", "2026-03-01", "2025-12-31"]
                      if lm_first.isoformat() <= x <= lm_last.isoformat())
        check_eq(dates_of(u, "--period", "last-month"), want,
                 "--period last-month")
        out = u.ok("report", "--month", "2026-02", "--by", "category")
        check("4.00" in out, "report --month", out=out)
        for args, what in (
                (["list", "--month", "2026-02", "--from", "2026-01-01"],
                 "--month and --from/--to say the same thing"),
                (["list", "--month", "last month"], "write YYYY-MM"),
                (["list", "--period", "next week"], "not a period"),
                (["list", "--month", "2026-01", "--period", "2026"],
                 "give --month or --period, not both"),
                (["list", "--from", "-3x"], "an offset like -3d"),
                (["add", "out", "5", "--date", "2026-02"],
                 "a month is not a day")):
            err = u.fails(2, *args)
            check(what in err, "%s: %s" % (" ".join(args), what), err=err)


def columns(text):
    """Display columns of text, as a terminal shows it."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def test_width(t):
    """Wide characters (CJK, emoji) take two columns: the NOTE column
    starts at the same column in every row, and a party cut to its 20
    columns ends in an ellipsis without passing them."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        for party in ("Bakery", "ramen 🍜", "一蘭",
                      "café", "一蘭" * 15):
            add(u, "out", "5", "--date", "2026-01-02", "--party", party,
                "--note", "N")
        out = u.ok("list")
        lines = out.split("\n")
        header = lines[0]
        want = header.index("NOTE")
        rows = [ln for ln in lines[1:6]]
        for ln in rows:
            check_eq(columns(ln[:ln.rindex("N")]), want,
                     "NOTE's column in %r" % ln, out=out)
        cut = [ln for ln in rows if "…" in ln]
        check_eq(len(cut), 1, "one party cut", out=out)
        party = cut[0][header.index("PARTY"):].split("…")[0]
        check_eq(party, "一蘭" * 4 + "一", "cut at 19 columns "
                 "(9 wide characters, then the ellipsis)", out=out)


def test_tags(t):
    """--tag family,xmas is two tags, found by list --tag family; edit
    --tag a,b replaces them; ';', empty tags and too long fields are
    refused before anything is sent, in a person's words, exit 2."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        eid = add(u, "out", "5", "--tag", "family, xmas", "-t", "gift")
        check_eq(u.json("show", str(eid))["entry"]["tags"], ["family", "xmas", "gift"],
                 "three tags")
        ids = [e["entry_id"] for e in
               u.json("list", "--tag", "family")["entries"]]
        check_eq(ids, [eid], "list --tag family finds it")
        u.ok("edit", str(eid), "--tag", "a,b")
        check_eq(u.json("show", str(eid))["entry"]["tags"], ["a", "b"],
                 "edit --tag a,b")
        for args, want in (
                (["add", "out", "5", "--tag", "a;b"],
                 "cashbookctl: tag 'a;b': a tag cannot hold ';' (it "
                 "separates tags in tables and CSV); give several tags as "
                 "--tag a,b\n"),
                (["edit", str(eid), "--tag", "a,,b"],
                 "cashbookctl: a tag cannot be empty (write --tag "
                 "family,xmas, without a ',' at either end or two "
                 "together)\n"),
                (["add", "out", "5", "--category", "x" * 130],
                 "cashbookctl: a category is 1 to 100 bytes (this one is "
                 "130)\n"),
                (["add", "out", "5", "--party", ""],
                 "cashbookctl: a party is 1 to 100 bytes (this one is "
                 "empty): leave it out, or remove it with 'edit ID --clear "
                 "party'\n")):
            check_eq(u.fails(2, *args), want, " ".join(args))
        check_eq(u.json("show", str(eid))["entry"]["tags"], ["a", "b"],
                 "nothing changed")


def test_amount_words(t):
    """Amounts written another way get the right suggestion, exit 2, and
    the currency's decimals name the book."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        u.ok("book", "create", "Travel", "--currency", "JPY")
        for args, want in (
                (["add", "out", "12,50"], "amount '12,50': write 12.50 (a "
                 "'.' for the decimal point; no decimal commas or "
                 "thousands separators)"),
                (["add", "out", "\u20ac5"], "amount '\u20ac5': leave out "
                 "the currency sign: write 5 (the amount is in the book's "
                 "currency)"),
                (["add", "out", "5\u20ac"], "amount '5\u20ac': leave out "
                 "the currency sign: write 5 (the amount is in the book's "
                 "currency)"),
                (["list", "--min", "$5"], "--min '$5': leave out the "
                 "currency sign: write 5 (the amount is in the book's "
                 "currency)"),
                (["add", "out", "12.5"], "amount '12.5': JPY amounts have "
                 "no decimals (book 'Travel')")):
            check_eq(u.fails(2, *args), "cashbookctl: %s\n" % want,
                     " ".join(args))


def test_field_words(t):
    """cashbookd's refusals of a field reach people in their words,
    without the protocol's wording or the version hint; --json keeps the
    code bad_request."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        long_name = "x" * 101
        check_eq(u.fails(1, "book", "create", long_name, "--currency",
                         "EUR"),
                 "cashbookctl: a book name is 1 to 100 bytes\n", "name")
        code, out, err = u.run("--json", "book", "create", long_name,
                               "--currency", "EUR")
        check_eq(code, 1, "--json exit status")
        check_eq(json.loads(out), {"error": {
            "code": "bad_request",
            "message": "a book name is 1 to 100 bytes"}}, "--json")
        check_eq(u.fails(1, "book", "create", "B", "--currency", "EUR",
                         "--description", "a\x01b"),
                 "cashbookctl: a description cannot hold control "
                 "characters (tabs, escapes) or bytes that are not UTF-8\n",
                 "description")


def run_asked(u, answer, *args):
    """cashbookctl with standard input and error a terminal, answer typed
    ahead (the terminal keeps it until read): (status, stdout, what the
    terminal showed)."""
    master, slave = os.openpty()
    try:
        p = subprocess.Popen(u.argv(args), stdin=slave, stdout=subprocess.PIPE,
                             stderr=slave, env=u.env(),
                             start_new_session=True)
    finally:
        os.close(slave)
    os.write(master, answer.encode())
    shown = b""
    try:
        while True:
            r, _, _ = select.select([master], [], [], 10)
            check(r, "terminal output in time", shown=shown)
            try:
                data = os.read(master, 65536)
            except OSError:         # EIO: the child closed the terminal
                data = b""
            if not data:
                break
            shown += data
        out = p.stdout.read().decode()
        code = p.wait(10)
        p.stdout.close()
    finally:
        os.close(master)
    return code, out, shown.decode().replace("\r\n", "\n")


def test_unusual(t):
    """An amount over 1,000,000.00 in the book's currency or a date more
    than a year ahead: a script gets a warning on stderr and the entry;
    a terminal is asked, and 'n' sends nothing; --yes asks nothing."""
    with t.daemon().start() as d, User(t, d) as u:
        u.login()
        book(u)
        code, out, err = u.run("add", "in", "2000000")
        check_eq((code, err), (0, "cashbookctl: warning: 2000000.00 EUR is "
                 "more than 1000000.00 EUR (give --yes if that is meant)\n"),
                 "a script is warned", out=out)
        far = (datetime.date.today() + datetime.timedelta(days=400))
        code, out, err = u.run("add", "out", "5", "--date", "+400d")
        check_eq((code, err), (0, "cashbookctl: warning: the date %s is "
                 "more than a year from today (give --yes if that is "
                 "meant)\n" % far.isoformat()), "far date", out=out)
        code, out, err = u.run("add", "in", "1000000", "--date", "+11m")
        check_eq((code, err), (0, ""), "1,000,000.00 and 11 months: no "
                 "warning", out=out)
        code, out, err = u.run("add", "in", "2000000", "-y")
        check_eq((code, err), (0, ""), "--yes: no warning", out=out)
        n = len(u.json("list")["entries"])
        code, out, shown = run_asked(u, "n\n", "add", "in", "3000000")
        check_eq(code, 1, "declined", shown=shown)
        check("3000000.00 EUR is more than 1000000.00 EUR; add it anyway? "
              "[y/N] " in shown and "nothing was sent" in shown,
              "asked, then declined", shown=shown)
        check_eq(len(u.json("list")["entries"]), n, "nothing added")
        code, out, shown = run_asked(u, "y\n", "add", "in", "3000000")
        check_eq(code, 0, "accepted", shown=shown)
        check(out.startswith("added entry"), "added", out=out)
        check_eq(len(u.json("list")["entries"]), n + 1, "one added")


TESTS = [
    test_dates,
    test_width,
    test_tags,
    test_amount_words,
    test_field_words,
    test_unusual,
]

if __name__ == "__main__":
    main(TESTS)
