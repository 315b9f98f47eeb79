#!/usr/bin/python3
"""Write the seed corpus for fuzz_requests (tests/fuzz/corpus_requests/).

Each seed is a few chunks [method index][flags][len16][msgpack params] (see
fuzz_requests.c); method indexes follow the table in daemon/methods.c,
read here so the seeds stay right when methods are added.  Needs Debian's
python3-msgpack.  Run from anywhere: /usr/bin/python3 gen_corpus_requests.py
"""
import os
import re
import struct

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "..", "..", "daemon", "methods.c")

ENTRY = {"book_id": 1, "type": "in", "amount": 1250, "date": "2026-03-01",
         "time": "09:30", "category": "food", "mode": "cash",
         "party": "shop", "note": "bread\nand milk", "reference": "r1",
         "tags": ["a", "b"], "idempotency_key": "k1"}
PARAMS = {
    "book.create": {"name": "Trip", "currency": "EUR", "description": "x"},
    "book.get": {"book_id": 1}, "book.balance": {"book_id": 2},
    "book.update": {"book_id": 2, "name": "Bank2", "description": None},
    "book.delete": {"book_id": 2, "force": True},
    "book.verify": {"book_id": 1, "repair": True},
    "entry.add": ENTRY,
    "entry.get": {"entry_id": 1}, "entry.delete": {"entry_id": 1},
    "entry.restore": {"entry_id": 1}, "entry.history": {"entry_id": 1},
    "entry.update": {"entry_id": 1, "amount": 99, "note": None,
                     "tags": []},
    "entry.list": {"book_id": 1, "from": "2026-01-01", "to": "2026-12-31",
                   "type": "in", "q": "bread", "limit": 2,
                   "amount_min": 1, "amount_max": 10 ** 6},
    "report.summary": {"book_id": 1, "by": "month"},
    "user.profile": {}, "auth.verify": {}, "auth.refresh": {},
    "server.info": {}, "ping": {}, "test.echo": {"a": [1, {"b": None}]},
    "test.fatal": {}, "test.write": {},
}


def methods():
    names = []
    text = open(TABLE).read()
    table = text[text.index("method_table[] = {"):]
    for sym in re.findall(r"&method_([a-z_]+),", table):
        group, _, rest = sym.partition("_")
        names.append(group + "." + rest if rest else group)
    return names


def chunk(index, params, token=True):
    body = msgpack.packb(params, use_bin_type=True)
    return struct.pack(">BBH", index, 1 if token else 0, len(body)) + body


def main():
    names = methods()
    out = os.path.join(HERE, "corpus_requests")
    os.makedirs(out, exist_ok=True)
    idx = {n: i for i, n in enumerate(names)}
    add = chunk(idx["entry.add"], ENTRY)
    for name, params in sorted(PARAMS.items()):
        if name not in idx:
            continue
        seed = add + chunk(idx[name], params)
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(seed)
    seq = b"".join(chunk(idx[n], PARAMS[n]) for n in (
        "entry.add", "entry.update", "entry.delete", "entry.restore",
        "entry.history", "entry.list", "book.verify"))
    with open(os.path.join(out, "sequence.bin"), "wb") as f:
        f.write(seq)


if __name__ == "__main__":
    main()
