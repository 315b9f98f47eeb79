#!/usr/bin/python3
"""
test_capi.py -- libcashbook's public C API as a program outside the tree
sees it: the installed header compiles alone (C11 -pedantic, and C++) with
no msgpack header anywhere on the include path; `meson install` puts the
header, libcashbook.so.1 (its soname) and cashbook.pc (msgpack only for
static linking) where a program finds them; examples/ledger_summary, built
from the tree and again from the installed files, prints a real book
exactly (entries paged oldest first, the report by category, the balance)
and fails the way its header comment says.

The example's path comes from meson (CASHBOOK_EXAMPLE_LEDGER_SUMMARY);
with -Dexamples=false those tests are TAP SKIPs.

Usage: test_capi.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SANITIZED, check, check_eq, main  # noqa

SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EXAMPLE = os.environ.get("CASHBOOK_EXAMPLE_LEDGER_SUMMARY")
STRICT = ["-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZE = ["-fsanitize=address,undefined"] if SANITIZED else []


def build_dir(t):
    return os.path.dirname(os.path.dirname(t.cashbookctl))


def poisoned(d):
    """An include directory whose msgpack.h stops the compiler: put first,
    it shadows the system's, so any #include <msgpack.h> fails."""
    p = os.path.join(d, "poison")
    os.makedirs(p, exist_ok=True)
    with open(os.path.join(p, "msgpack.h"), "w") as f:
        f.write("#error \"cashbook.h must not need msgpack.h\"\n")
    return p


def compile_ok(argv, what):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    check_eq(p.returncode, 0, what, argv=" ".join(argv), stderr=p.stderr)
    return p


def run(argv, env_extra=None, timeout=30):
    env = {k: v for k, v in os.environ.items()
           if k not in ("CASHBOOK_SOCKET", "CASHBOOK_TOKEN")}
    env.update(env_extra or {})
    p = subprocess.run(argv, capture_output=True, text=True,
                       timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


# ---------------------------------------------------------------- header

HEADER_USER = """\
#include <cashbook.h>

int
main(void)
{
\tstruct cb_entry_filter f = { 0 };
\tstruct cb_value *v = 0;

\t(void)f;
\treturn cb_value_type(v) == CB_VALUE_NIL ? 0 : 1;
}
"""


def test_header_alone(t):
    """cashbook.h compiles alone, strict C11 and C++, msgpack.h poisoned."""
    d = tempfile.mkdtemp(prefix="cbcapi-")
    try:
        inc = os.path.join(d, "include")
        os.makedirs(inc)
        shutil.copy(os.path.join(SRC, "client", "cashbook.h"), inc)
        src = os.path.join(d, "use.c")
        with open(src, "w") as f:
            f.write(HEADER_USER)
        for std in ("-std=c11", "-std=c99"):
            compile_ok(["cc", std] + STRICT + ["-I", poisoned(d), "-I", inc,
                                                "-c", src, "-o",
                                                os.path.join(d, "use.o")],
                       "cashbook.h compiles with %s -pedantic" % std)
        # It names the headers it needs, and no other.
        p = compile_ok(["cc", "-std=c11", "-I", inc, "-M", src],
                       "cc -M runs")
        check("msgpack" not in p.stdout, "no msgpack header is read",
              deps=p.stdout)
        if shutil.which("c++"):
            cxx = os.path.join(d, "use.cc")
            with open(cxx, "w") as f:       # C++'s empty initializer
                f.write(HEADER_USER.replace("{ 0 }", "{}"))
            compile_ok(["c++", "-std=c++11"] + STRICT +
                       ["-I", poisoned(d), "-I", inc, "-c", cxx, "-o",
                        os.path.join(d, "usecc.o")],
                       "cashbook.h compiles as C++11 -pedantic")
        else:
            t.diag("no c++: the C++ check is skipped")
    finally:
        shutil.rmtree(d)


def test_exports(t):
    """libcashbook.so exports the public API only: no msgpack types."""
    so = os.path.join(os.path.dirname(t.cashbookctl), "libcashbook.so")
    p = subprocess.run(["nm", "-D", "--defined-only", so],
                       capture_output=True, text=True, check=True)
    names = sorted(ln.split()[-1] for ln in p.stdout.splitlines())
    check(all(n.startswith("cb_") for n in names),
          "every export is cb_*", names=names)
    for gone in ("cb_reply_result", "cb_map_get", "cb_map_get_int",
                 "cb_map_get_str"):
        check(gone not in names, "%s is not exported" % gone)
    with open(os.path.join(SRC, "client", "cashbook.h")) as f:
        declared = sorted(set(re.findall(r"CB_API [^;]*?\b(cb_\w+)\(",
                                         f.read(), re.S)))
    check(len(declared) > 60, "the header's CB_API functions are found",
          declared=declared)
    check_eq(names, declared, "the exports are the header's CB_API "
             "functions, no more, no fewer")
    p = subprocess.run(["objdump", "-p", so], capture_output=True,
                       text=True, check=True)
    check(re.search(r"SONAME\s+libcashbook\.so\.1\b", p.stdout),
          "the soname is libcashbook.so.1", objdump=p.stdout[:2000])


# ---------------------------------------------------------------- example

def fixture(d):
    """Books and entries of the caller's peer account, through the raw
    protocol (the example must not depend on anything else of the tree)."""
    c = d.client()
    eur = c.call_ok("book.create", {"name": "Household",
                                    "currency": "EUR"})["book_id"]
    jpy = c.call_ok("book.create", {"name": "Travel",
                                    "currency": "JPY"})["book_id"]
    for e in (("in", 250000, "2026-01-05", "Salary"),
              ("out", 4550, "2026-01-06", "Food"),
              ("out", 400, "2026-01-07", None),
              ("out", 1225, "2026-01-07", "Food"),
              ("out", 99, "2026-01-08", "Transport")):
        p = {"book_id": eur, "type": e[0], "amount": e[1], "date": e[2]}
        if e[3]:
            p["category"] = e[3]
        c.call_ok("entry.add", p)
    c.call_ok("entry.add", {"book_id": jpy, "type": "out", "amount": 1280,
                            "date": "2026-02-01", "category": "一蘭"})
    # Trashed: in no figure.
    gone = c.call_ok("entry.add", {"book_id": jpy, "type": "out",
                                   "amount": 5, "date": "2026-02-02"})
    c.call_ok("entry.delete", {"entry_id": gone["entry_id"]})
    c.close()


HOUSEHOLD = """\
Book: Household (EUR)

Entries, oldest first:
2026-01-05  in       2500.00  Salary                2500.00
2026-01-06  out        45.50  Food                  2454.50
2026-01-07  out         4.00  -                     2450.50
2026-01-07  out        12.25  Food                  2438.25
2026-01-08  out         0.99  Transport             2437.26
5 entries in {pages} of at most {size}

By category:
                           in          out          net
Food                     0.00        57.75       -57.75
Salary                2500.00         0.00      2500.00
Transport                0.00         0.99        -0.99
(none)                   0.00         4.00        -4.00
Total                 2500.00        62.74      2437.26

Balance: 2437.26 EUR
"""

# printf pads by bytes: "一蘭" is 6 of them (the example keeps it simple;
# cashbookctl pads by display width).
TRAVEL = """\
Book: Travel (JPY)

Entries, oldest first:
2026-02-01  out         1280  一蘭                  -1280
1 entry in 1 page of at most 50

By category:
                           in          out          net
一蘭                      0         1280        -1280
Total                       0         1280        -1280

Balance: -1280 JPY
"""


def check_example(t, prog, d):
    env = {"CASHBOOK_SOCKET": d.socket}
    for size, pages in (("2", "3 pages"), ("50", "1 page")):
        code, out, err = run([prog, "-n", size], env)
        check_eq(err, "", "nothing on stderr (-n %s)" % size)
        check_eq(code, 0, "exit status (-n %s)" % size)
        check_eq(out, HOUSEHOLD.format(pages=pages, size=size),
                 "what it prints for Household, %s a page" % size)
    code, out, err = run([prog, "Travel"], env)
    check_eq((code, err), (0, ""), "Travel: exit status and stderr")
    check_eq(out, TRAVEL, "what it prints for Travel (JPY, no decimals)")
    code, out, err = run([prog, "Nope"], env)
    check_eq((code, out, err), (1, "", "ledger_summary: you have no book "
                                "named 'Nope'\n"), "an unknown book")
    code, out, err = run([prog, "-n", "0"], env)
    check_eq((code, out), (2, ""), "a bad page size is a usage error")
    code, out, err = run([prog, "-n", "5"],
                         dict(env, CASHBOOK_TOKEN="cb1_1_" + "A" * 43))
    check_eq(code, 1, "a bad token: cashbookd refuses")
    check(err.startswith("ledger_summary: cannot list your books: ") and
          "log in again" in err, "it says cashbookd's words", stderr=err)


def no_example(t):
    return (None if EXAMPLE else
            "the example is not built (-Dexamples=false)")


def test_example(t):
    """The example built by meson prints a real book exactly."""
    d = t.daemon().start()
    code, out, err = run([EXAMPLE], {"CASHBOOK_SOCKET": d.socket})
    check_eq((code, out), (1, ""), "no books yet: exit 1, nothing printed")
    check_eq(err, "ledger_summary: you have no books yet: create one with: "
             "cashbookctl book create NAME\n", "what it says")
    fixture(d)
    check_example(t, EXAMPLE, d)
    d.stop()
    code, out, err = run([EXAMPLE], {"CASHBOOK_SOCKET": d.socket})
    check_eq(code, 3, "no daemon: exit 3", stderr=err)
    check(err.startswith("ledger_summary: cannot connect to cashbookd: "),
          "it says it cannot connect", stderr=err)


def test_installed(t):
    """meson install: the header, the soname link and cashbook.pc; the
    example built from them alone (msgpack.h poisoned) works."""
    dest = tempfile.mkdtemp(prefix="cbcapi-dest-")
    try:
        p = subprocess.run(["meson", "install", "-C", build_dir(t),
                            "--no-rebuild", "--quiet", "--destdir", dest],
                           capture_output=True, text=True, timeout=240)
        check_eq(p.returncode, 0, "meson install --destdir",
                 stderr=p.stderr, stdout=p.stdout)
        found = {}
        for root, dirs, files in os.walk(dest):
            for name in files + dirs:
                found.setdefault(name, os.path.join(root, name))
        for name in ("cashbook.h", "libcashbook.so", "libcashbook.so.1",
                     "libcashbook.so.1.0.0", "cashbook.pc"):
            check(name in found, "installs %s" % name,
                  installed=sorted(found))
        check("cashbook_msgpack.h" not in found,
              "the private header is not installed")
        check_eq(os.readlink(found["libcashbook.so.1"]),
                 "libcashbook.so.1.0.0", "the soname link")
        with open(found["cashbook.pc"]) as f:
            pc = f.read()
        check(re.search(r"^Requires\.private:.*msgpack", pc, re.M) and
              not re.search(r"^Requires:", pc, re.M),
              "cashbook.pc needs msgpack for static linking only", pc=pc)
        inc = os.path.dirname(found["cashbook.h"])
        lib = os.path.dirname(found["libcashbook.so"])
        prog = os.path.join(dest, "ledger_summary")
        compile_ok(["cc", "-std=c11"] + STRICT + SANITIZE +
                   ["-I", poisoned(dest), "-I", inc,
                    os.path.join(SRC, "examples", "ledger_summary.c"),
                    "-o", prog, "-L", lib, "-lcashbook",
                    "-Wl,-rpath," + lib],
                   "the example builds from the installed files")
        d = t.daemon().start()
        fixture(d)
        check_example(t, prog, d)
    finally:
        shutil.rmtree(dest)


if __name__ == "__main__":
    main([test_header_alone, test_exports, test_example, test_installed],
         timeouts={"test_installed": 280},
         skip_if={"test_example": no_example})
