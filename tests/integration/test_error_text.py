#!/usr/bin/python3
"""
test_error_text.py -- every error message the daemon sends is valid UTF-8,
even when it quotes bytes a client sent that are not: a strict client
(msgpack with raw=False, as harness.Client reads) must be able to decode
every answer.  Bytes that are not UTF-8 come back as U+FFFD, one per byte
(docs/protocol.md, "Errors").

Usage: test_error_text.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import sys

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, check_eq, check_error_pair, main, pack,  # noqa
                     TestFailure)

FFFD = "\ufffd"


def raw_str(b):
    """A msgpack str header and the bytes as they are (no UTF-8 check):
    what a sloppy client may send."""
    if len(b) < 32:
        return bytes([0xa0 | len(b)]) + b
    if len(b) < 256:
        return b"\xd9" + bytes([len(b)]) + b
    return b"\xda" + len(b).to_bytes(2, "big") + b


def request(msgid, method_raw, params_raw=b"\x90"):
    """[0, msgid, <method as raw str bytes>, params] hand-encoded."""
    return b"\x94\x00" + pack(msgid) + raw_str(method_raw) + params_raw


def strict_response(c, msgid):
    """The next message, decoded strictly (harness.Client's unpacker has
    raw=False: a str that is not UTF-8 raises instead of decoding)."""
    try:
        msg = c.read_response()
    except (UnicodeDecodeError, ValueError) as e:
        raise TestFailure("the answer is not valid UTF-8 msgpack: %r" % e)
    check_eq(msg[1], msgid, "response msgid")
    check_error_pair(msg[2], msg[3])
    return msg[2]


def test_unknown_method_not_utf8(t):
    """Method name b'ping\\xff' (a str that is not UTF-8): unknown_method,
    and the message names it with U+FFFD for the bad byte."""
    with t.daemon().start() as d, d.client() as c:
        c.send(request(1, b"ping\xff"))
        err = strict_response(c, 1)
        check_eq(err, ["unknown_method", "no method named 'ping%s'" % FFFD],
                 "error pair")
        # Every kind of bad sequence: lone continuation, overlong,
        # surrogate, cut short at the end.
        c.send(request(2, b"a\x80b\xc0\xafc\xed\xa0\x80d\xe2\x82"))
        err = strict_response(c, 2)
        check_eq(err[1], "no method named 'a%sb%sc%sd%s'" % (
            FFFD, FFFD * 2, FFFD * 3, FFFD * 2), "one U+FFFD per byte")
        # Valid UTF-8 is quoted as it is.
        c.send(request(3, "caf\u00e9".encode()))
        err = strict_response(c, 3)
        check_eq(err[1], "no method named 'caf\u00e9'", "valid text kept")
        check_eq(c.call_ok("ping")["protocol"], 1, "connection still usable")


def test_unknown_field_not_utf8(t):
    """An unknown params key that is not UTF-8: bad_request naming the key
    with U+FFFD; the answer decodes strictly."""
    with t.daemon().start() as d, d.client() as c:
        params = b"\x91\x81" + raw_str(b"k\xfe\xff") + pack(1)
        c.send(request(1, b"ping", params))
        err = strict_response(c, 1)
        check_eq(err, ["bad_request",
                       "unknown field 'k%s' for ping" % (FFFD * 2)],
                 "error pair")


def test_long_error_text_not_utf8(t):
    """Long names of bytes that are not UTF-8: every U+FFFD takes three
    bytes, yet the message stays within 255 bytes of valid UTF-8.  (The
    cut at 255 bytes itself is tested in test_proto.c: no message the
    daemon builds from client bytes is that long.)"""
    with t.daemon().start() as d, d.client() as c:
        # The daemon quotes at most 64 bytes of a method name.
        c.send(request(1, b"\xff" * 200))
        err = strict_response(c, 1)
        check_eq(err, ["unknown_method",
                       "no method named '%s'" % (FFFD * 64)], "error pair")
        # A params key, likewise at most 64 bytes of it.
        params = b"\x91\x81" + raw_str(b"\xff" * 200) + pack(1)
        c.send(request(2, b"ping", params))
        err = strict_response(c, 2)
        check_eq(err, ["bad_request",
                       "unknown field '%s' for ping" % (FFFD * 64)],
                 "error pair")
        check(len(err[1].encode("utf-8")) <= 255, "at most 255 bytes",
              n=len(err[1].encode("utf-8")))


def test_strict_unpacker_sanity(t):
    """The harness really decodes strictly: a str with 0xff is refused by
    the same unpacker settings (so the tests above can fail)."""
    u = msgpack.Unpacker(raw=False)
    u.feed(raw_str(b"ping\xff"))
    try:
        next(u)
    except (UnicodeDecodeError, ValueError):
        return
    check(False, "a strict unpacker must refuse invalid UTF-8")


TESTS = [
    test_strict_unpacker_sanity,
    test_unknown_method_not_utf8,
    test_unknown_field_not_utf8,
    test_long_error_text_not_utf8,
]

if __name__ == "__main__":
    main(TESTS)
