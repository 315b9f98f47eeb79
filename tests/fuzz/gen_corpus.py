#!/usr/bin/env python3
"""Write the seed corpus for fuzz_proto (tests/fuzz/corpus/).

A tiny msgpack encoder (standard library only, so no extra dependency):
enough types to make well-formed requests, responses and notifications,
which the fuzzer then mutates.  Run from anywhere: python3 gen_corpus.py
"""
import os
import struct


def pack(v):
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v <= 0x7F:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if 0 <= v <= 0xFFFFFFFF:
            return b"\xce" + struct.pack(">I", v)
        if v >= 0:
            return b"\xcf" + struct.pack(">Q", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return bytes([0xA0 | len(b)]) + b
        return b"\xd9" + bytes([len(b)]) + b
    if isinstance(v, bytes):
        return b"\xc4" + bytes([len(v)]) + v
    if isinstance(v, list):
        assert len(v) < 16
        return bytes([0x90 | len(v)]) + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        assert len(v) < 16
        return bytes([0x80 | len(v)]) + b"".join(
            pack(k) + pack(x) for k, x in v.items())
    raise TypeError(v)


SEEDS = {
    "req_ping": pack([0, 1, "ping", []]),
    "req_stats_map": pack([0, 2, "server.stats", [{}]]),
    "req_args": pack([0, 4000000000, "entry.add", [{
        "account": "cash", "amount": -1250, "memo": "lunch \u00e9",
        "tags": ["food", "work"], "rate": 1.5, "ok": True, "none": None,
        "raw": b"\x00\x01"}]]),
    "req_bin_method": pack([0, 3, b"ping", []]),
    "resp_ok": pack([1, 1, None, {"version": 1, "uptime": 12}]),
    "resp_error": pack([1, 2, ["not_found", "no such account"], None]),
    "notify_error": pack([2, "error", ["protocol_error", "bad bytes"]]),
    "notify_map": pack([2, "event", [{"n": 1}]]),
    "two_requests": pack([0, 5, "ping", []]) + pack([0, 6, "server.info", []]),
    "nested": pack([0, 7, "x", [{"a": [[[[[[1]]]]]]}]]),
    "ext": pack([0, 8, "x", [{"t": None}]]).replace(
        b"\xc0", b"\xd6\xff\x00\x00\x00\x01"),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name + ".msgpack"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
