#!/usr/bin/python3
"""
test_soak.py -- the faults a money daemon must survive, all at once:
8 writers (add, edit, trash) and 8 readers pipelining, clients that send a
pipeline and vanish without reading, a slow reader, and cashbookd killed
with SIGKILL at a random moment and restarted, CYCLES times.  Afterwards:

  - every acknowledged write is in the database, as acknowledged (or as
    a later request on the same entry left it, if that one was cut off);
  - nothing unacknowledged is half-applied: an entry a vanished client
    sent either exists whole or not at all, and book.verify finds every
    book's stored totals and running-balance index equal to its entries;
  - at rest, server.stats shows nothing in use or in flight, and
    acquired == released.

Bounded: CASHBOOK_SOAK_CYCLES (default 20) cycles of 0.3-0.9 s of load;
CASHBOOK_SOAK_SEED picks the run (printed, so a failure can be replayed).

Usage: test_soak.py CASHBOOKD CASHBOOKCTL [TEST_NAME...]   (TAP output)
"""
import os
import random
import socket
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Client, EOFReached, ReadTimeout, check,  # noqa
                     check_eq, main, request_bytes, wait_until)
from books_common import register_login  # noqa

CYCLES = int(os.environ.get("CASHBOOK_SOAK_CYCLES", "20"))
SEED = int(os.environ.get("CASHBOOK_SOAK_SEED", str(int(time.time()))))
WRITERS = 8
READERS = 8
BOOKS = 4
WINDOW = 8              # requests a writer keeps in flight


class Ledger:
    """What the writers were told, and what may have happened besides."""

    def __init__(self):
        self.lock = threading.Lock()
        # entry_id -> {"state": (amount, deleted), "maybe": [states]}
        self.entries = {}
        self.maybe_keys = {}    # idempotency_key -> amount (unacknowledged)
        self.acked = 0


def is_gone(exc):
    return isinstance(exc, (EOFReached, ReadTimeout, ConnectionError,
                            OSError))


class Writer(threading.Thread):
    def __init__(self, n, path, token, books, ledger, rng, stop):
        super().__init__(daemon=True)
        self.n = "%d-%x" % (n, rng.getrandbits(48))   # unique per cycle
        self.path, self.token, self.books = path, token, books
        self.ledger, self.rng, self.stop = ledger, rng, stop
        self.mine = []          # entry ids this writer owns (acked)
        self.seq = 0
        self.error = None

    def pick_op(self, busy):
        live = [e for e in self.mine if e not in busy]
        r = self.rng.random()
        with self.ledger.lock:
            live = [e for e in live
                    if not self.ledger.entries[e]["state"][1]]
        if r < 0.2 and live:
            e = self.rng.choice(live)
            amount = self.rng.randint(1, 10 ** 6)
            return ("update", e, amount, {"entry_id": e, "amount": amount})
        if r < 0.3 and live:
            e = self.rng.choice(live)
            return ("delete", e, None, {"entry_id": e})
        self.seq += 1
        key = "w%s-%d" % (self.n, self.seq)
        amount = self.rng.randint(1, 10 ** 6)
        return ("add", key, amount, {
            "book_id": self.rng.choice(self.books), "type":
            self.rng.choice(["in", "out"]), "amount": amount, "date":
            "2026-%02d-%02d" % (self.rng.randint(1, 12),
                                self.rng.randint(1, 28)),
            "idempotency_key": key})

    def settle(self, op, answer):
        """Record what an answered (answer set) or cut-off (None) request
        means for the ledger."""
        kind, target, amount, _ = op
        L = self.ledger
        with L.lock:
            if kind == "add":
                if answer is None:
                    L.maybe_keys[target] = amount
                elif answer[0] is None:
                    eid = answer[1]["entry_id"]
                    L.entries[eid] = {"state": (amount, False), "maybe": []}
                    self.mine.append(eid)
                    L.acked += 1
                return
            ent = L.entries[target]
            new = ((amount, ent["state"][1]) if kind == "update" else
                   (ent["state"][0], True))
            if answer is None:
                ent["maybe"].append(new)
            elif answer[0] is None:
                ent["state"] = new
                L.acked += 1

    def run(self):
        try:
            self.cycle()
        except Exception as e:      # a bug in the test itself
            self.error = e

    def cycle(self):
        try:
            c = Client(self.path, timeout=5)
        except OSError:
            return
        inflight = {}               # msgid -> op
        msgid = 1
        try:
            while not self.stop.is_set():
                while len(inflight) < WINDOW:
                    busy = {op[1] for op in inflight.values()
                            if op[0] != "add"}
                    op = self.pick_op(busy)
                    p = dict(op[3], token=self.token)
                    c.send(request_bytes(msgid, "entry." + op[0], p))
                    inflight[msgid] = op
                    msgid += 1
                msg = c.read_response(timeout=5)
                op = inflight.pop(msg[1])
                self.settle(op, (msg[2], msg[3]))
        except Exception as e:
            if not is_gone(e):
                raise
        finally:
            for op in inflight.values():
                self.settle(op, None)
            c.close()


def reader(path, token, books, rng, stop):
    try:
        with Client(path, timeout=5) as c:
            while not stop.is_set():
                b = rng.choice(books)
                if rng.random() < 0.5:
                    c.call("book.balance", {"token": token, "book_id": b})
                else:
                    c.call("entry.list", {"token": token, "book_id": b,
                                          "limit": 100})
    except Exception as e:
        if not is_gone(e):
            raise


def vanisher(path, token, books, rng, ledger, stop, n):
    """Send a pipeline of adds (and reads) and leave without reading."""
    i = 0
    while not stop.is_set():
        try:
            with Client(path, timeout=5) as c:
                batch = []
                for _ in range(rng.randint(1, 40)):
                    i += 1
                    key = "v%s-%d" % (n, i)
                    amount = rng.randint(1, 10 ** 6)
                    with ledger.lock:
                        ledger.maybe_keys[key] = amount
                    batch.append(request_bytes(i, "entry.add", {
                        "token": token, "book_id": rng.choice(books),
                        "type": "in", "amount": amount,
                        "date": "2026-06-15", "idempotency_key": key}))
                    batch.append(request_bytes(10 ** 6 + i, "entry.list", {
                        "token": token, "book_id": rng.choice(books)}))
                c.send(b"".join(batch))
                if rng.random() < 0.5:
                    c.sock.shutdown(socket.SHUT_WR)
            stop.wait(0.005)
        except OSError:
            stop.wait(0.01)         # the daemon is restarting


def slow_reader(path, token, books, stop):
    try:
        with Client(path, timeout=5) as c:
            c.send(b"".join(request_bytes(i, "entry.list", {
                "token": token, "book_id": books[i % len(books)],
                "limit": 500}) for i in range(200)))
            while not stop.is_set():
                c.read(timeout=5)
                stop.wait(0.05)
    except Exception as e:
        if not is_gone(e):
            raise


def run_load(d, token, books, ledger, rng, seconds, kill):
    stop = threading.Event()
    writers = [Writer(i, d.socket, token, books, ledger,
                      random.Random(rng.random()), stop)
               for i in range(WRITERS)]
    others = [threading.Thread(target=reader, daemon=True, args=(
        d.socket, token, books, random.Random(rng.random()), stop))
        for _ in range(READERS)]
    others += [threading.Thread(target=vanisher, daemon=True, args=(
        d.socket, token, books, random.Random(rng.random()), ledger, stop,
        "%d-%x" % (n, rng.getrandbits(48)))) for n in range(2)]
    others.append(threading.Thread(target=slow_reader, daemon=True, args=(
        d.socket, token, books, stop)))
    for th in writers + others:
        th.start()
    time.sleep(seconds)     # the load runs; its length is the point
    if kill:
        d.kill()
    stop.set()
    for th in writers + others:
        th.join(30)
        check(not th.is_alive(), "load thread stopped")
    for w in writers:
        if w.error is not None:
            raise w.error


def check_ledger(db, ledger):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        rows = con.execute("SELECT entry_id, amount, deleted, "
                           "idempotency_key FROM entries").fetchall()
    finally:
        con.close()
    have = {r[0]: (r[1], bool(r[2])) for r in rows}
    keys = {r[3]: r[1] for r in rows if r[3] is not None}
    lost = [e for e in ledger.entries if e not in have]
    check_eq(lost, [], "every acknowledged entry is there")
    for e, ent in ledger.entries.items():
        check(have[e] == ent["state"] or have[e] in ent["maybe"],
              "entry %d as acknowledged" % e, have=have[e], ent=ent)
    known = set(ledger.maybe_keys)
    for k, amount in keys.items():
        if k in known:
            check_eq(amount, ledger.maybe_keys[k], "unacknowledged %s whole"
                     % k)
    stray = [k for k in keys if k not in known and
             not k.startswith("w")]
    check_eq(stray, [], "no entry nobody sent")
    return len(rows)


def test_soak(t):
    """CYCLES kill -9 cycles under mixed load; see the file's comment."""
    rng = random.Random(SEED)
    t.diag("seed %d (CASHBOOK_SOAK_SEED), %d cycles" % (SEED, CYCLES))
    ledger = Ledger()
    with t.daemon().start() as d:
        with d.client() as c:
            u = register_login(c, "soak")
            books = [u.ok("book.create", {"name": "b%d" % i})["book_id"]
                     for i in range(BOOKS)]
        d.stop()
        for cycle in range(CYCLES):
            dn = t.daemon(dir=d.dir).start()
            run_load(dn, u.token, books, ledger, rng,
                     rng.uniform(0.3, 0.9), kill=True)
        # A last round that ends by itself, not by a kill: then the pool
        # must come to rest.
        dn = t.daemon(dir=d.dir).start()
        run_load(dn, u.token, books, ledger, rng, 0.5, kill=False)
        st = wait_until(lambda: (lambda s: s if s["requests"]["in_flight"]
                                 == 0 and s["pool"]["in_use"] == 0
                                 else None)(dn.stats()), 30, "at rest")
        check_eq(st["pool"]["acquired"], st["pool"]["released"],
                 "acquired == released")
        check_eq(st["requests"]["waiting_turn"], 0, "no turns waiting")
        with dn.client() as c:
            for b in books:
                v = c.call_ok("book.verify", {"token": u.token,
                                              "book_id": b})
                check(v["ok"], "book %d verifies" % b,
                      problems=v["problems"])
        dn.stop()
        n = check_ledger(d.db, ledger)
        t.diag("%d acknowledged writes, %d entries, %d unacknowledged "
               "adds sent" % (ledger.acked, n, len(ledger.maybe_keys)))
        check(ledger.acked > CYCLES * 10, "the writers got work done",
              acked=ledger.acked)


if __name__ == "__main__":
    main([test_soak], {"test_soak": 600})
