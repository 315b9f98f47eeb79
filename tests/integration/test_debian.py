#!/usr/bin/python3
"""
test_debian.py -- debian/ agrees with the tree, in seconds: a full
`dpkg-buildpackage` (scripts/deb) takes minutes, too slow for every test
run, so this checks what a build would trip over, and what it would
silently get wrong:

  - debian/changelog parses (dpkg-parsechangelog), its version is meson's
    project version, and the package is native (3.0 (native), no
    revision);
  - debian/control: the source, debhelper-compat 13, and exactly the four
    binary packages cashbookd, cashbookctl, libcashbook1, libcashbook-dev;
  - every file this build's `meson install` installs is claimed by
    exactly one debian/PACKAGE.install line, and every line claims
    something (dh_missing --fail-missing and dh_install would fail);
  - libcashbook's SONAME is libcashbook.so.1 (libcashbook1), and
    debian/libcashbook1.symbols lists exactly the symbols the built
    shared library exports.

Usage: test_debian.py CASHBOOKD CASHBOOKCTL [TEST...]   (TAP)
CASHBOOK_BUILD_ROOT names the meson build directory (meson passes it).
"""
import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa
from harness import check, check_eq  # noqa

SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEBIAN = os.path.join(SRC, "debian")
BUILD = os.environ.get("CASHBOOK_BUILD_ROOT", "")
PACKAGES = ["cashbookd", "cashbookctl", "libcashbook1", "libcashbook-dev"]


def meson_info(name):
    with open(os.path.join(BUILD, "meson-info", "intro-%s.json" % name)) as f:
        return json.load(f)


def control():
    """debian/control as a list of paragraphs, each {field: value}."""
    with open(os.path.join(DEBIAN, "control")) as f:
        text = f.read()
    paras = []
    for block in re.split(r"\n\s*\n", text.strip()):
        para, field = {}, None
        for ln in block.split("\n"):
            if ln.startswith("#"):
                continue
            if ln[:1] in (" ", "\t"):
                check(field is not None, "a continuation line after a field",
                      line=ln)
                para[field] += "\n" + ln.strip()
            else:
                field, _, value = ln.partition(":")
                check(_ == ":", "a 'Field: value' line", line=ln)
                para[field] = value.strip()
        paras.append(para)
    return paras


def installed():
    """What `meson install` installs, as paths in the package tree
    (usr/bin/cashbookd): the prefix becomes /usr, as dh_auto_configure
    sets it; absolute paths outside the prefix stay as they are."""
    prefix = next(o["value"] for o in meson_info("buildoptions")
                  if o["name"] == "prefix")
    out = []
    for dest in meson_info("installed").values():
        if dest.startswith(prefix + "/"):
            out.append("usr/" + dest[len(prefix) + 1:])
        else:
            out.append(dest.lstrip("/"))
    return sorted(out)


def install_lines():
    """(package, pattern) for every line of debian/*.install."""
    out = []
    for path in sorted(glob.glob(os.path.join(DEBIAN, "*.install"))):
        pkg = os.path.basename(path)[:-len(".install")]
        with open(path) as f:
            for ln in f:
                ln = ln.strip()
                if ln and not ln.startswith("#"):
                    out.append((pkg, ln.split()[0]))
    return out


def built_library():
    for src, dest in meson_info("installed").items():
        if re.search(r"/libcashbook\.so\.\d+\.\d+\.\d+$", dest):
            return src
    raise harness.TestFailure("meson installs no libcashbook.so.X.Y.Z")


# ---------------------------------------------------------------- tests

def test_changelog(t):
    p = subprocess.run(["dpkg-parsechangelog", "-l",
                        os.path.join(DEBIAN, "changelog")],
                       capture_output=True, text=True, timeout=30)
    check_eq(p.returncode, 0, "dpkg-parsechangelog reads debian/changelog",
             stderr=p.stderr)
    fields = dict(re.findall(r"^(\w+): (.*)$", p.stdout, re.M))
    check_eq(fields.get("Source"), "cashbook", "the source package")
    version = meson_info("projectinfo")["version"]
    check_eq(fields.get("Version"), version,
             "the changelog's version is meson's project version (a "
             "native package has no Debian revision): add a changelog "
             "entry with `dch -v %s` when the version changes" % version)
    with open(os.path.join(DEBIAN, "source", "format")) as f:
        check_eq(f.read().strip(), "3.0 (native)", "debian/source/format")


def test_control(t):
    paras = control()
    src, bins = paras[0], paras[1:]
    check_eq(src.get("Source"), "cashbook", "the Source paragraph")
    check(re.search(r"debhelper-compat \(= 13\)", src["Build-Depends"]),
          "Build-Depends has debhelper-compat (= 13)",
          got=src["Build-Depends"])
    check_eq([b.get("Package") for b in bins], PACKAGES,
             "debian/control names the four packages")
    for b in bins:
        for field in ("Architecture", "Depends", "Description"):
            check(field in b, "%s has %s" % (b["Package"], field))
    lib = bins[PACKAGES.index("libcashbook1")]
    dev = bins[PACKAGES.index("libcashbook-dev")]
    check_eq((lib.get("Section"), dev.get("Section")), ("libs", "libdevel"),
             "the library packages' sections")
    check("libcashbook1 (= ${binary:Version})" in dev["Depends"],
          "libcashbook-dev depends on its exact libcashbook1",
          got=dev["Depends"])
    rules = os.path.join(DEBIAN, "rules")
    check(os.access(rules, os.X_OK), "debian/rules is executable")


def test_install_files_claim_what_meson_installs(t):
    files = installed()
    lines = install_lines()
    check_eq(sorted({p for p, _ in lines}), sorted(PACKAGES),
             "a debian/PACKAGE.install for each package")
    for pkg, pattern in lines:
        check(any(fnmatch.fnmatchcase(f, pattern) for f in files),
              "debian/%s.install: '%s' matches a file meson installs "
              "(dh_install would fail)" % (pkg, pattern), installed=files)
    for f in files:
        owners = [pkg for pkg, pattern in lines
                  if fnmatch.fnmatchcase(f, pattern)]
        check_eq(len(owners), 1, "meson installs %s: exactly one "
                 "debian/PACKAGE.install line claims it (add it to the "
                 "package it belongs in)" % f, claimed_by=owners)


def test_symbols_file_is_current(t):
    lib = built_library()
    p = subprocess.run(["objdump", "-p", lib], capture_output=True,
                       text=True, timeout=30)
    check_eq(p.returncode, 0, "objdump reads %s" % lib, stderr=p.stderr)
    soname = re.search(r"^\s*SONAME\s+(\S+)$", p.stdout, re.M)
    check(soname is not None, "the library has a SONAME")
    check_eq(soname.group(1), "libcashbook.so.1",
             "the SONAME (the package libcashbook1 is named after it)")
    p = subprocess.run(["nm", "-D", "--defined-only", lib],
                       capture_output=True, text=True, timeout=30)
    check_eq(p.returncode, 0, "nm reads %s" % lib, stderr=p.stderr)
    exported = sorted(ln.split()[-1] for ln in p.stdout.splitlines()
                      if ln.split()[1:2] in (["T"], ["D"], ["B"], ["R"]))
    with open(os.path.join(DEBIAN, "libcashbook1.symbols")) as f:
        lines = f.read().splitlines()
    check_eq(lines[0], "libcashbook.so.1 libcashbook1 #MINVER#",
             "the symbols file's first line")
    listed = sorted(ln.split()[0].split("@")[0] for ln in lines[1:]
                    if ln.startswith(" "))
    check(listed == exported,
          "debian/libcashbook1.symbols lists what libcashbook.so "
          "exports: a new function is added with the version that "
          "first has it; a removed one needs a new SONAME",
          exported_not_listed=sorted(set(exported) - set(listed)),
          listed_not_exported=sorted(set(listed) - set(exported)))


def need_dpkg_dev(t):
    if shutil.which("dpkg-parsechangelog") is None:
        return "dpkg-parsechangelog is not installed (apt-get install dpkg-dev)"
    return None


def need_binutils(t):
    for tool in ("nm", "objdump"):
        if shutil.which(tool) is None:
            return "%s is not installed (apt-get install binutils)" % tool
    return None


if __name__ == "__main__":
    if not BUILD:
        sys.stderr.write("test_debian.py: set CASHBOOK_BUILD_ROOT\n")
        sys.exit(2)
    harness.main([
        test_changelog,
        test_control,
        test_install_files_claim_what_meson_installs,
        test_symbols_file_is_current,
    ], skip_if={"test_changelog": need_dpkg_dev,
                "test_symbols_file_is_current": need_binutils})
