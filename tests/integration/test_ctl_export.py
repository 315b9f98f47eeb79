#!/usr/bin/python3
"""
test_ctl_export.py -- cashbookctl export against a real cashbookd: CSV
(the header "cashbookctl import" maps by name, exact decimal amounts),
JSON Lines and a ledger journal, oldest first, --from/--to, an empty book,
a book of several pages of 500, -o FILE put in place only when complete
(a connection lost mid-export leaves the old file and no temporary one),
the real hledger and ledger-cli agreeing with cashbookctl balance and
report to the minor unit in EUR, JPY (0 decimals) and KWD (3), memory
flat in the book's size, usage errors, and the CSV round trip through
"cashbookctl import" (a TAP SKIP while import does not exist).

hledger and ledger come from scripts/deps --test; without them the
agreement test is a TAP SKIP saying so.

Usage: test_ctl_export.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import csv
import decimal
import io
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SANITIZED, check, check_eq, main  # noqa
from books_common import (Model, chrono_key, clean_exits,  # noqa
                          register_login)

CSV_HEADER = ("date,time,type,amount,category,mode,party,note,reference,"
              "tags")
EXPORT_PAGE = 500


def ctl(t, d, token, *args, env=None, timeout=60):
    """cashbookctl as the user of token; (status, stdout, stderr)."""
    e = {k: v for k, v in os.environ.items()
         if k not in ("CASHBOOK_SOCKET", "CASHBOOK_TOKEN", "CASHBOOK_BOOK")}
    e["HOME"] = tempfile.gettempdir()
    e["XDG_CONFIG_HOME"] = "/nonexistent-cashbook-config"
    if token is not None:
        e["CASHBOOK_TOKEN"] = token
    e.update(env or {})
    p = subprocess.run([t.cashbookctl, "--socket", d] + list(args),
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout, env=e)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def ctl_ok(t, d, token, *args, **kw):
    code, out, err = ctl(t, d, token, *args, **kw)
    check_eq(code, 0, "cashbookctl %s exit status" % " ".join(args),
             stdout=out[-2000:], stderr=err)
    check_eq(err, "", "cashbookctl %s prints nothing on stderr" %
             " ".join(args))
    return out


def export(t, d, u, b, fmt, *args):
    return ctl_ok(t, d.socket, u.token, "export", "--book", str(b),
                  "--format", fmt, *args)


def decimal_text(minor, decimals):
    """minor units as the book shows them ("12.50", "7", "0.007")."""
    if decimals == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    q, r = divmod(abs(minor), 10 ** decimals)
    return "%s%d.%0*d" % (sign, q, decimals, r)


def csv_rows(model, decimals, frm=None, to=None):
    """The CSV lines (as lists) an export of model should have."""
    rows = []
    for e in sorted(model.live(), key=chrono_key):
        if (frm is not None and e["date"] < frm) or \
                (to is not None and e["date"] > to):
            continue
        rows.append([e["date"], e["time"] or "", e["type"],
                     decimal_text(e["amount"], decimals),
                     e["category"] or "", e["mode"] or "", e["party"] or "",
                     e["note"] or "", e["reference"] or "",
                     ",".join(e["tags"])])
    return rows


def parse_csv(out):
    check(out.endswith("\r\n"), "CSV lines end with CR LF", tail=out[-20:])
    return list(csv.reader(io.StringIO(out, newline="")))


FIELDS = [
    {"type": "in", "amount": 250000, "date": "2026-01-31",
     "category": "Salary", "party": "ACME", "mode": "Bank Transfer",
     "reference": "PAY-01", "tags": ["work"]},
    {"type": "out", "amount": 1250, "date": "2026-01-05", "time": "12:30",
     "category": "Food", "party": "Caf\u00e9 \"Le Nord\", Paris",
     "note": "lunch\nwith Bob", "tags": ["trip 2026", "meals"]},
    {"type": "out", "amount": 7, "date": "2026-01-05",
     "note": "a note, with a comma"},
    {"type": "out", "amount": 99, "date": "2026-01-05", "time": "08:00",
     "category": "Food"},
    {"type": "in", "amount": 10 ** 15, "date": "2025-12-31",
     "category": "Gift"},
    {"type": "out", "amount": 3000, "date": "2026-02-01",
     "category": "Rent", "party": "Landlord"},
]


def add_all(u, b, fields, model):
    calls = [("entry.add", dict(f, book_id=b)) for f in fields]
    for f, (e, res) in zip(fields, u.pipe(calls)):
        check(e is None, "setup add", error=e)
        model.put(res["entry_id"], f)


def setup_book(d, c, currency="EUR", name="Household"):
    u = register_login(c, "alice")
    b = u.book(name, currency=currency)
    m = Model()
    add_all(u, b, FIELDS, m)
    # One in the trash: never exported.
    gone = u.add(b, "out", 5, "2026-01-10", category="Food")["entry_id"]
    u.ok("entry.delete", {"entry_id": gone})
    return u, b, m


# ---------------------------------------------------------------- formats

def test_csv(t):
    """CSV: the import header, every live entry oldest first (untimed
    before timed in a day), amounts as exact decimals, tags joined with
    ',', quoting of commas, quotes and newlines; the trash left out."""
    with t.daemon().start() as d, d.client() as c:
        u, b, m = setup_book(d, c)
        out = export(t, d, u, b, "csv")
        check(out.startswith(CSV_HEADER + "\r\n"), "the header line",
              head=out[:100])
        rows = parse_csv(out)
        check_eq(rows[0], CSV_HEADER.split(","), "the header")
        check_eq(rows[1:], csv_rows(m, 2), "the rows, oldest first")
        check_eq(rows[1][3], "10000000000000.00", "10^15 minor units")
        check("\"lunch\nwith Bob\",,\"trip 2026,meals\"\r\n" in out,
              "quoted note and tags", out=out)
        check_eq(ctl_ok(t, d.socket, u.token, "export", "--book",
                        "Household", "--format", "csv", "-o", "-"), out,
                 "-o - is standard output; --book by name")


def test_json_lines(t):
    """JSON Lines: one entry object a line, oldest first, the same fields
    entry.list gives, with the book's currency and decimals."""
    with t.daemon().start() as d, d.client() as c:
        u, b, m = setup_book(d, c, currency="JPY")
        out = export(t, d, u, b, "json")
        lines = out.split("\n")
        check_eq(lines[-1], "", "ends with a newline")
        objs = [json.loads(x) for x in lines[:-1]]
        listed = u.list_all(b, {"order": "asc"})
        check_eq([o["entry_id"] for o in objs],
                 [e["entry_id"] for e in sorted(m.live(), key=chrono_key)],
                 "entry ids oldest first")
        for o, e in zip(objs, listed):
            check_eq(o, dict(e, currency="JPY", decimals=0),
                     "entry %d as entry.list has it" % e["entry_id"])


def test_ledger_text(t):
    """The journal itself: a header comment; per entry DATE * (ID) PAYEE,
    the note, time, mode and reference as comments, each tag as '; TAG:',
    and two postings with the book's currency; ':' and ';' in names and
    runs of spaces cleaned."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Home: 2026", currency="KWD")
        r1 = u.add(b, "out", 1250, "2026-03-01", time="09:15",
                   category="Food:  fresh; market", party="ACME; Ltd",
                   mode="Cash", reference="R-1", note="first\nsecond",
                   tags=["a b", "x:y"])["entry_id"]
        r2 = u.add(b, "in", 7, "2026-03-02", note="refund\nfor x")["entry_id"]
        out = export(t, d, u, b, "ledger")
        want = (
            "; cashbook book 'Home: 2026', amounts in KWD (3 decimals), "
            "oldest first\n"
            "\n"
            "2026-03-01 * (%d) ACME_ Ltd\n"
            "    ; first\n"
            "    ; second\n"
            "    ; time: 09:15\n"
            "    ; mode: Cash\n"
            "    ; reference: R-1\n"
            "    ; a_b:\n"
            "    ; x_y:\n"
            "    expenses:Food_ fresh_ market  1.250 KWD\n"
            "    assets:Home_ 2026  -1.250 KWD\n"
            "\n"
            "2026-03-02 * (%d) refund\n"
            "    ; refund\n"
            "    ; for x\n"
            "    assets:Home_ 2026  0.007 KWD\n"
            "    income:Uncategorized  -0.007 KWD\n") % (r1, r2)
        check_eq(out, want, "the journal")
        out = export(t, d, u, b, "ledger", "--from", "2026-03-02")
        check(out.startswith("; cashbook book 'Home: 2026', amounts in KWD "
                             "(3 decimals), oldest first\n; entries from "
                             "2026-03-02 to the last\n"), "the range noted",
              out=out)


def test_from_to(t):
    """--from and --to (both included) choose the entries, in every
    format."""
    with t.daemon().start() as d, d.client() as c:
        u, b, m = setup_book(d, c)
        for frm, to in (("2026-01-05", "2026-01-05"), ("2026-01-06", None),
                        (None, "2025-12-31"), ("2027-01-01", None),
                        ("2026-01-01", "2026-01-31")):
            args = ((["--from", frm] if frm else []) +
                    (["--to", to] if to else []))
            rows = parse_csv(export(t, d, u, b, "csv", *args))
            check_eq(rows[1:], csv_rows(m, 2, frm, to),
                     "CSV from %s to %s" % (frm, to))
            js = export(t, d, u, b, "json", *args).splitlines()
            check_eq(len(js), len(rows) - 1, "JSON lines from %s to %s" % (
                frm, to))
            jr = export(t, d, u, b, "ledger", *args)
            check_eq(len(re.findall(r"^\d{4}-\d\d-\d\d \* \(", jr, re.M)),
                     len(rows) - 1, "transactions from %s to %s" % (frm, to))


def test_empty_book(t):
    """An empty book: the CSV header alone, no JSON lines, a journal of
    its header comment that both tools read as empty."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Empty")
        check_eq(export(t, d, u, b, "csv"), CSV_HEADER + "\r\n", "CSV")
        check_eq(export(t, d, u, b, "json"), "", "JSON Lines")
        check_eq(export(t, d, u, b, "ledger"),
                 "; cashbook book 'Empty', amounts in XXX (2 decimals), "
                 "oldest first\n", "journal")


def test_several_pages(t):
    """1,234 entries (three pages of 500), many on the same day and
    minute: each exported once, strictly oldest first, the same as
    entry.list."""
    rnd = random.Random(99)
    with t.daemon("--synchronous", "normal").start() as d, d.client() as c:
        u = register_login(c, "alice")
        b = u.book("Big")
        m = Model()
        fields = [{"type": rnd.choice(("in", "out")),
                   "amount": rnd.randrange(1, 10 ** 6),
                   "date": "2026-%02d-%02d" % (rnd.randrange(1, 4),
                                               rnd.randrange(1, 29)),
                   **({"time": "10:00"} if rnd.random() < 0.5 else {})}
                  for _ in range(1234)]
        add_all(u, b, fields, m)
        objs = [json.loads(x) for x in
                export(t, d, u, b, "json").splitlines()]
        ids = [o["entry_id"] for o in objs]
        check_eq(len(ids), 1234, "every entry")
        check_eq(ids, [e["entry_id"] for e in sorted(m.live(),
                                                     key=chrono_key)],
                 "oldest first, each once")
        check_eq(objs[-1]["running_balance"], m.totals()["balance"],
                 "the last running balance is the book's")
        rows = parse_csv(export(t, d, u, b, "csv"))
        check_eq(rows[1:], csv_rows(m, 2), "CSV over three pages")


# ---------------------------------------------------------------- -o FILE

def test_output_file(t):
    """-o FILE: the export in FILE (mode 0600), a closing line on stdout
    (JSON with --json); an existing FILE replaced whole; a failure before
    anything is written (no such book, no such directory) leaves FILE as
    it was and no temporary file; a relative FILE is in the working
    directory."""
    with t.daemon().start() as d, d.client() as c:
        u, b, m = setup_book(d, c)
        tmp = tempfile.mkdtemp(prefix="cbit-export-")
        try:
            path = os.path.join(tmp, "out.csv")
            with open(path, "w") as f:
                f.write("old content\n")
            out = export(t, d, u, b, "csv", "-o", path)
            check_eq(out, "exported 6 entries of 'Household' to %s (csv)\n"
                     % path, "the closing line")
            with open(path, newline="") as f:
                check_eq(f.read(), export(t, d, u, b, "csv"),
                         "the file holds the export")
            check_eq(os.stat(path).st_mode & 0o777, 0o600, "mode 0600")
            check_eq(sorted(os.listdir(tmp)), ["out.csv"],
                     "no temporary file left")
            out = ctl_ok(t, d.socket, u.token, "--json", "export", "--book",
                         str(b), "--format", "ledger", "--output", path)
            check_eq(json.loads(out), {"exported": 6, "format": "ledger",
                                       "file": path}, "--json closing line")
            before = open(path).read()
            code, out, err = ctl(t, d.socket, u.token, "export", "--book",
                                 "NoSuchBook", "--format", "csv", "-o",
                                 path)
            check_eq(code, 1, "no such book: exit 1", stderr=err)
            check_eq(open(path).read(), before, "FILE untouched")
            check_eq(sorted(os.listdir(tmp)), ["out.csv"],
                     "no temporary file after a failure")
            code, out, err = ctl(t, d.socket, u.token, "export", "--book",
                                 str(b), "--format", "csv", "-o",
                                 os.path.join(tmp, "nodir", "x.csv"))
            check_eq(code, 1, "no such directory: exit 1", stderr=err)
            check("cannot create a file next to" in err and
                  "No such file or directory" in err and "hint:" in err,
                  "says why and what to do", stderr=err)
            p = subprocess.run(
                [t.cashbookctl, "--socket", d.socket, "export", "--book",
                 str(b), "--format", "json", "-o", "rel.jsonl"], cwd=tmp,
                env=dict(os.environ, CASHBOOK_TOKEN=u.token),
                capture_output=True, timeout=30)
            check_eq(p.returncode, 0, "relative -o", stderr=p.stderr)
            check_eq(len(open(os.path.join(tmp, "rel.jsonl")).readlines()),
                     6, "relative FILE in the working directory")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class FakeDaemon:
    """A Unix socket that answers like cashbookd until the second page of
    entry.list, then closes the connection: a failure in the middle of an
    export, the same every run."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.methods = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def answer(self, method, params):
        if method == "book.get":
            return {"book": {"book_id": 1, "name": "Fake", "currency": "EUR",
                             "decimals": 2, "role": "owner",
                             "owner_username": "alice"}}
        if method == "entry.list" and "cursor" not in params:
            e = {"entry_id": 1, "book_id": 1, "type": "in", "amount": 100,
                 "date": "2026-01-01", "time": None, "category": None,
                 "mode": None, "party": None, "note": None,
                 "reference": None, "tags": [], "running_balance": 100}
            return {"entries": [e], "next_cursor": "a1.x"}
        return None         # the second page: hang up

    def serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        unpacker = msgpack.Unpacker(raw=False)
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                unpacker.feed(data)
                for msg in unpacker:
                    _, msgid, method, params = msg
                    self.methods.append(method)
                    res = self.answer(method, params[0] if params else {})
                    if res is None:
                        return
                    conn.sendall(msgpack.packb([1, msgid, None, res],
                                               use_bin_type=True))

    def close(self):
        self.sock.close()
        self.thread.join(5)


def test_failed_export_leaves_no_half_file(t):
    """The connection lost after the first page: exit 1 with the reason,
    FILE as it was before, no temporary file beside it."""
    tmp = tempfile.mkdtemp(prefix="cbit-export-")
    fake = FakeDaemon(os.path.join(tmp, "fake.sock"))
    try:
        path = os.path.join(tmp, "out.csv")
        with open(path, "w") as f:
            f.write("the old export\n")
        code, out, err = ctl(t, fake.path, None, "export", "--book", "1",
                             "--format", "csv", "-o", path)
        check_eq(fake.methods, ["book.get", "entry.list", "entry.list"],
                 "the calls made")
        check_eq(code, 1, "exit 1", stdout=out, stderr=err)
        check(err.startswith("cashbookctl: "), "a reason", stderr=err)
        check_eq(open(path).read(), "the old export\n", "FILE untouched")
        check_eq(sorted(os.listdir(tmp)), ["fake.sock", "out.csv"],
                 "no temporary file left")
    finally:
        fake.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_usage_errors(t):
    """Usage errors exit 2 and say what to pass, before any daemon."""
    nosock = "/nonexistent/cashbook.sock"
    cases = [
        ((), "export: --format is missing: csv, json or ledger"),
        (("--format", "xml"), "export: unknown format 'xml': csv, json or "
         "ledger"),
        (("--format", "csv", "--from", "2026-02-30"), "--from"),
        (("--format", "csv", "-o", ""), "export: -o needs a file name"),
        (("--format", "csv", "extra"), "export takes no arguments"),
        (("--format", "csv", "--frmo", "x"), "unknown option '--frmo'"),
    ]
    for args, want in cases:
        code, out, err = ctl(t, nosock, None, "export", "--book", "1", *args)
        check_eq(code, 2, "exit 2 for %r" % (args,), stderr=err)
        check(want in err, "the message for %r" % (args,), stderr=err,
              want=want)
    code, out, err = ctl(t, nosock, None, "help", "export")
    check_eq(code, 0, "help export", stderr=err)
    check(CSV_HEADER in out.replace("\n                     ", ""),
          "help names the CSV header", out=out)


# ---------------------------------------------------------------- hledger

def tools_missing(t):
    for tool in ("hledger", "ledger"):
        if shutil.which(tool) is None:
            return "%s is not installed: run scripts/deps --test" % tool
    return None


def tool_balances(argv, decimals):
    """account -> minor units from a balance report (flat, no total);
    accounts at zero left out."""
    p = subprocess.run(argv, capture_output=True, timeout=120)
    check_eq(p.returncode, 0, "%s exit status" % argv[0],
             stderr=p.stderr.decode()[-2000:])
    out = {}
    for ln in p.stdout.decode().splitlines():
        if not ln.strip():
            continue
        mt = re.match(r"^\s*(-?[0-9.]+)(?: ([A-Z]{3}))?  (\S.*)$", ln)
        check(mt, "%s: a balance line" % argv[0], line=ln)
        amount = decimal.Decimal(mt.group(1)) * 10 ** decimals
        check_eq(amount, amount.to_integral_value(),
                 "%s: a whole number of minor units" % argv[0], line=ln)
        if amount != 0:
            out[mt.group(3)] = int(amount)
    return out


def test_hledger_ledger_agree(t):
    """hledger and ledger-cli read the journal, and their balances agree
    with cashbookctl balance and report by category to the minor unit:
    books in EUR, JPY (0 decimals) and KWD (3 decimals), several
    categories, money in and out, amounts up to 10^15 minor units."""
    rnd = random.Random(11)
    cats_in = ["Salary", "Gift", "Interest"]
    cats_out = ["Food", "Rent", "Travel", "Caf\u00e9 & Bar", None]
    tmp = tempfile.mkdtemp(prefix="cbit-export-")
    try:
        with t.daemon("--synchronous", "normal").start() as d, \
                d.client() as c:
            u = register_login(c, "alice")
            for cur, dec in (("EUR", 2), ("JPY", 0), ("KWD", 3)):
                b = u.book("Book " + cur, currency=cur)
                fields = []
                for i in range(300):
                    inn = rnd.random() < 0.4
                    f = {"type": "in" if inn else "out",
                         "amount": rnd.choice((1, 9, 10, 99, 100, 12345,
                                               rnd.randrange(1, 10 ** 7),
                                               10 ** 15 if i < 2 else 5)),
                         "date": "2026-%02d-%02d" % (rnd.randrange(1, 13),
                                                     rnd.randrange(1, 29))}
                    cat = rnd.choice(cats_in if inn else cats_out)
                    if cat is not None:
                        f["category"] = cat
                    fields.append(f)
                add_all(u, b, fields, Model())
                path = os.path.join(tmp, "%s.journal" % cur)
                export(t, d, u, b, "ledger", "-o", path)
                bal = json.loads(ctl_ok(t, d.socket, u.token, "--json",
                                        "balance", "--book", str(b)))
                rep = json.loads(ctl_ok(t, d.socket, u.token, "--json",
                                        "report", "--by", "category",
                                        "--book", str(b)))
                want = {"assets:Book %s" % cur: bal["balance"]}
                for row in rep["rows"]:
                    cat = row["key"] or "Uncategorized"
                    if row["cash_in"]:
                        want["income:" + cat] = -row["cash_in"]
                    if row["cash_out"]:
                        want["expenses:" + cat] = row["cash_out"]
                want = {k: v for k, v in want.items() if v != 0}
                check(bal["balance"] != 0, "a balance to compare")
                got = tool_balances(["hledger", "-f", path, "balance",
                                     "--flat", "--no-total"], dec)
                check_eq(got, want, "hledger balance, %s" % cur)
                got = tool_balances(["ledger", "-f", path, "balance",
                                     "--flat", "--no-total"], dec)
                check_eq(got, want, "ledger balance, %s" % cur)
                t.diag("%s: balance %d minor units over %d accounts; both "
                       "tools agree" % (cur, bal["balance"], len(want)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- memory

TIME = "/usr/bin/time"


def max_rss_kb(argv, env):
    """Run argv under /usr/bin/time; its peak RSS in KiB.  Not wait4 from
    here: a child forked by Python starts with Python's own RSS as its
    peak, which would hide the CLI's."""
    p = subprocess.run([TIME, "-f", "%M"] + argv, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       env=env, timeout=120)
    err = p.stderr.decode()
    check_eq(p.returncode, 0, "%s exit status" % " ".join(argv[3:5]),
             stderr=err)
    return int(err.strip().splitlines()[-1])


def test_memory_flat(t):
    """The CLI's peak RSS exporting 6,000 entries (with 200-byte notes)
    is within 1 MiB of its peak exporting 600: pages are written and
    freed as they come (skipped under sanitizers)."""
    note = "n" * 200
    with t.daemon("--synchronous", "normal").start() as d, d.client() as c:
        u = register_login(c, "alice")
        small = u.book("Small")
        big = u.book("Big")
        for b, n in ((small, 600), (big, 6000)):
            calls = [("entry.add", {"book_id": b, "type": "out",
                                    "amount": i + 1, "note": note,
                                    "category": "Food",
                                    "date": "2026-01-%02d" % (i % 28 + 1)})
                     for i in range(n)]
            for e, _ in u.pipe(calls):
                check(e is None, "setup add", error=e)
        tmp = tempfile.mkdtemp(prefix="cbit-export-")
        env = dict(os.environ, CASHBOOK_TOKEN=u.token)
        try:
            rss = {}
            for fmt in ("csv", "json", "ledger"):
                for name, b in (("small", small), ("big", big)):
                    rss[fmt, name] = max_rss_kb(
                        [t.cashbookctl, "--socket", d.socket, "export",
                         "--book", str(b), "--format", fmt, "-o",
                         os.path.join(tmp, "out")], env)
                t.diag("%s: peak RSS %d KiB for 600 entries, %d KiB for "
                       "6,000" % (fmt, rss[fmt, "small"], rss[fmt, "big"]))
                check(rss[fmt, "big"] - rss[fmt, "small"] < 1024,
                      "%s: memory flat in the book's size" % fmt,
                      small_kb=rss[fmt, "small"], big_kb=rss[fmt, "big"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- round trip

def import_missing(t):
    p = subprocess.run([t.cashbookctl, "help", "import"],
                       capture_output=True, timeout=30)
    return None if p.returncode == 0 else \
        "cashbookctl import does not exist yet"


def test_csv_round_trip(t):
    """Export CSV, import it into a new book: the same entries (the same
    CSV again) and the same balance (needs cashbookctl import)."""
    with t.daemon().start() as d, d.client() as c:
        u, b, m = setup_book(d, c)
        b2 = u.book("Copy")
        tmp = tempfile.mkdtemp(prefix="cbit-export-")
        try:
            path = os.path.join(tmp, "book.csv")
            export(t, d, u, b, "csv", "-o", path)
            ctl_ok(t, d.socket, u.token, "import", "--book", str(b2), path)
            check_eq(export(t, d, u, b2, "csv"), export(t, d, u, b, "csv"),
                     "the same entries")
            bal = u.balance(b)
            bal2 = u.balance(b2)
            check_eq({k: bal2[k] for k in ("cash_in", "cash_out", "balance",
                                           "count")},
                     {k: bal[k] for k in ("cash_in", "cash_out", "balance",
                                          "count")}, "the same balance")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


TESTS = [
    test_csv,
    test_json_lines,
    test_ledger_text,
    test_from_to,
    test_empty_book,
    test_several_pages,
    test_output_file,
    test_failed_export_leaves_no_half_file,
    test_usage_errors,
    test_hledger_ledger_agree,
    test_memory_flat,
    test_csv_round_trip,
]

TIMEOUTS = {"test_hledger_ledger_agree": 180, "test_memory_flat": 180}

# Tests that need what this machine may not have: why not, or None.
SKIP_IF = {
    "test_hledger_ledger_agree": tools_missing,
    "test_memory_flat": lambda t: (
        "RSS says nothing under a sanitizer" if SANITIZED else
        None if os.path.exists(TIME) else
        "%s is not installed: run scripts/deps --test" % TIME),
    "test_csv_round_trip": import_missing,
}

if __name__ == "__main__":
    main([clean_exits(f) for f in TESTS], TIMEOUTS, skip_if=SKIP_IF)
