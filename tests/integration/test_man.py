#!/usr/bin/python3
"""
test_man.py -- the manual pages built from docs/man/*.scd: each renders
without a single warning, has the sections a reader looks for, and says
what the binaries say (every option of `cashbookd --help` and of
`cashbookctl --help`, every command of `cashbookctl help`, every exit
status).

Usage: test_man.py CASHBOOKD CASHBOOKCTL [TEST...]   (TAP)
The built pages are named by CASHBOOK_MAN_PAGES (paths joined with ':'),
as meson passes them.

"Without warnings" is what `man ./cashbookctl.1` and lintian see:
`groff -ww -man -z` (every warning category) and, when man-db is here,
`man --warnings -l` as lintian runs it; both must print nothing.
(`mandoc -T lint` is not used: it flags the empty .PP scdoc writes
before each paragraph, which groff and man-db render as intended.)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa
from harness import check, check_eq  # noqa

PAGES = {os.path.basename(p): p for p in
         os.environ.get("CASHBOOK_MAN_PAGES", "").split(":") if p}

COMMON = ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO")
SECTIONS = {
    "cashbookd.8": COMMON + ("OPTIONS", "FILES", "ENVIRONMENT",
                             "EXIT STATUS", "EXAMPLES"),
    "cashbookctl.1": COMMON + ("OPTIONS", "COMMANDS", "FILES",
                               "ENVIRONMENT", "EXIT STATUS", "EXAMPLES"),
    "cashbook-protocol.7": ("NAME", "DESCRIPTION", "FRAMING", "MESSAGES",
                            "ERRORS", "METHODS", "SEE ALSO"),
}


def page(name):
    check(name in PAGES, "meson built %s" % name, built=sorted(PAGES))
    return PAGES[name]


def warnings(path):
    """What groff -ww (and man-db's lint, when installed) say about the
    page; '' when it is clean."""
    out = ""
    p = subprocess.run(["groff", "-ww", "-man", "-z", "-Tutf8", path],
                       capture_output=True, text=True, timeout=60)
    out += p.stderr
    if p.returncode != 0:
        out += "groff exited %d\n" % p.returncode
    if shutil.which("man"):
        env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
        p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l",
                            "-Tutf8", "-Z", path], capture_output=True,
                           text=True, timeout=60, env=env)
        out += p.stderr
    return out


def rendered(path):
    """The page as text, the way man shows it, without overstrikes."""
    p = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou", "-rLL=200n",
                        path], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, LC_ALL="C.UTF-8"))
    check_eq(p.returncode, 0, "groff renders %s" % path, stderr=p.stderr)
    # groff may join words with a non-breaking or hyphenation mark
    return p.stdout.replace("\u2010", "-").replace("\u2212", "-")


def section_heads(path):
    with open(path, encoding="utf-8") as f:
        return [ln[4:].strip().strip('"') for ln in f
                if ln.startswith(".SH ")]


def section(text, head):
    """The text of one section of a rendered page."""
    m = re.search(r"^%s\n(.*?)(?=^\S)" % re.escape(head), text,
                  re.M | re.S)
    check(m is not None, "a section %s" % head)
    return m.group(1)


def help_output(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    check_eq(p.returncode, 0, "`%s` exits 0" % " ".join(argv),
             output=p.stdout + p.stderr)
    return p.stdout


# ---------------------------------------------------------------- tests

def test_lint_catches_a_warning(t):
    # The check below must be able to fail: a page with a macro groff
    # does not know, and one with a word it cannot break in a table.
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.1")
        with open(bad, "w") as f:
            f.write('.TH BAD 1\n.SH NAME\nbad \\- bad\n.XX nonsense\n')
        check(warnings(bad) != "", "an unknown macro is reported")


def test_pages_render_without_warnings(t):
    for name in SECTIONS:
        w = warnings(page(name))
        check_eq(w, "", "%s renders without a warning" % name)


def test_pages_have_their_sections(t):
    for name, want in SECTIONS.items():
        heads = section_heads(page(name))
        for head in want:
            check(head in heads, "%s has a %s section" % (name, head),
                  sections=heads)
        check_eq(heads[0], "NAME", "%s starts with NAME" % name)


def test_cashbookd_options_match_help(t):
    text = section(rendered(page("cashbookd.8")), "OPTIONS")
    opts = re.findall(r"^  (--[a-z0-9-]+)", help_output([t.cashbookd,
                                                         "--help"]), re.M)
    check(len(opts) >= 20, "cashbookd --help lists its options", got=opts)
    for opt in opts:
        check(re.search(r"^\s+%s\b" % re.escape(opt), text, re.M),
              "cashbookd(8) OPTIONS documents %s" % opt)


def test_cashbookctl_matches_help(t):
    text = rendered(page("cashbookctl.1"))
    usage = help_output([t.cashbookctl, "--help"])
    opts = section(text, "OPTIONS")
    for short, long_ in re.findall(r"^  (-\w), (--[a-z-]+)", usage, re.M):
        check(re.search(r"^\s+%s, %s\b" % (short, long_), opts, re.M),
              "cashbookctl(1) OPTIONS documents %s, %s" % (short, long_))
    commands = section(text, "COMMANDS")
    names = re.findall(r"^  (\w+) ", re.split(r"^Options", usage.split(
        "Commands:")[1], flags=re.M)[0], re.M)
    check(len(names) >= 25, "cashbookctl --help lists its commands",
          got=names)
    for cmd in names:
        check(re.search(r"^\s+%s\b" % cmd, commands, re.M),
              "cashbookctl(1) COMMANDS documents %s" % cmd)
    status = section(text, "EXIT STATUS")
    for code in "01234":
        check(re.search(r"^\s+%s\n" % code, status, re.M),
              "cashbookctl(1) EXIT STATUS documents %s" % code)


def test_protocol_names_every_method(t):
    text = section(rendered(page("cashbook-protocol.7")), "METHODS")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "..", "..", "proto", "methods.h")
    with open(src) as f:
        methods = re.findall(r'#define CB_METHOD_\w+\s+"([^"]+)"', f.read())
    check(len(methods) >= 40, "proto/methods.h names the methods",
          got=methods)
    for m in methods:
        check(re.search(r"(^|\s)%s(\s|$)" % re.escape(m), text),
              "cashbook-protocol(7) names %s" % m)


if __name__ == "__main__":
    harness.main([
        test_lint_catches_a_warning,
        test_pages_render_without_warnings,
        test_pages_have_their_sections,
        test_cashbookd_options_match_help,
        test_cashbookctl_matches_help,
        test_protocol_names_every_method,
    ])
