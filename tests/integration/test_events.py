#!/usr/bin/python3
"""
test_events.py -- live events and the change feed (docs/protocol.md, "Live
events and the change feed"), seen from subscribers on real connections.
"""
import sys
import threading

from harness import (Tap, check, check_eq, pipeline, ReadTimeout,
                     check_rss)  # noqa
from books_common import User, advance, register_login

PW = "correct horse 1"


class Subscriber:
    """A connection that subscribes and collects the events pushed to it;
    calls made on it skip (and keep) the events that come first."""

    def __init__(self, d, token=None):
        self.c = d.client()
        self.token = token
        self.events = []

    def params(self, p=None):
        q = dict(p or {})
        if self.token is not None:
            q.setdefault("token", self.token)
        return q

    def call(self, method, params=None, token=True):
        msgid = self.c.request(method, self.params(params) if token else
                               params)
        while True:
            msg = self.c.read()
            if msg[0] == 2:
                check_eq(msg[1], "event", "a pushed notification is an "
                         "event", msg=msg)
                self.events.append(msg[2][0])
                continue
            check_eq(msg[1], msgid, "response msgid")
            return msg[2], msg[3]

    def ok(self, method, params=None, token=True):
        err, res = self.call(method, params, token)
        check(err is None, "%s failed" % method, error=err)
        return res

    def subscribe(self, **p):
        return self.ok("events.subscribe", p)

    def wait(self, n, timeout=10.0):
        """Until n events have come; returns them all."""
        while len(self.events) < n:
            msg = self.c.read(timeout)
            check_eq(msg[0], 2, "only events arrive unasked", msg=msg)
            self.events.append(msg[2][0])
        return self.events

    def quiet(self):
        """No event beyond those already read: a ping comes back first."""
        before = len(self.events)
        self.ok("ping", token=False)
        check_eq(len(self.events), before, "no further events",
                 extra=self.events[before:])

    def close(self):
        self.c.close()


def entry(book_id, amount, kind="in", date="2026-03-01"):
    return {"book_id": book_id, "type": kind, "amount": amount,
            "date": date}


def summary(events):
    return [(e["kind"], e["book_id"], e["seq"], e["entry_id"], e["balance"])
            for e in events]


def test_every_committed_change_once(t):
    """Each committed change: one event per matching subscription, seq +1
    each time, balance after it; refused writes: none."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        bid = u.book("Home")
        every = Subscriber(d, u.token)
        one = Subscriber(d, u.token)
        s_every = every.subscribe()
        s_one = one.subscribe(book_ids=[bid])
        check_eq(s_every["seq"], {str(bid): 1}, "book_created was seq 1")
        check_eq(s_one["seq"], {str(bid): 1}, "named book's seq")
        check(s_every["subscription_id"] != s_one["subscription_id"],
              "two subscriptions")
        e1 = u.ok("entry.add", entry(bid, 500))["entry_id"]
        e2 = u.ok("entry.add", entry(bid, 200, "out"))["entry_id"]
        u.ok("entry.update", {"entry_id": e2, "amount": 250})
        # Refused or empty writes: no change, no event.
        u.ok("entry.update", {"entry_id": e2, "amount": 250})  # the same
        u.err("entry.restore", {"entry_id": e2})
        u.err("entry.add", entry(bid + 99, 1))
        u.err("entry.add", dict(entry(bid, 1), amount=0))
        u.ok("entry.delete", {"entry_id": e2})
        u.err("entry.delete", {"entry_id": e2})
        u.ok("entry.restore", {"entry_id": e2})
        u.ok("book.update", {"book_id": bid, "description": "ours"})
        other = u.book("Other")
        want = [
            ("entry_added", bid, 2, e1, 500),
            ("entry_added", bid, 3, e2, 300),
            ("entry_updated", bid, 4, e2, 250),
            ("entry_deleted", bid, 5, e2, 500),
            ("entry_restored", bid, 6, e2, 250),
            ("book_updated", bid, 7, None, 250),
        ]
        check_eq(summary(one.wait(len(want))), want, "the named book's events")
        got = every.wait(len(want) + 1)
        check_eq(summary(got), want + [("book_created", other, 1, None, 0)],
                 "every book: the new one joins")
        for e in got:
            check_eq(e["subscription_id"], s_every["subscription_id"],
                     "subscription_id")
            check_eq(e["actor_user_id"], u.user_id, "actor")
            check(isinstance(e["at"], int), "at", event=e)
        one.quiet()
        every.quiet()
        # The feed says the same.
        feed = u.ok("book.changes", {"book_id": bid, "since_seq": 1})
        check_eq([(ch["kind"], ch["seq"], ch["entry_id"])
                  for ch in feed["changes"]],
                 [(k, s, eid) for k, _, s, eid, _ in want], "book.changes")
        check_eq(feed["seq"], 7, "the book's seq")
        e3 = u.ok("entry.add", entry(other, 7))["entry_id"]
        check_eq(summary(every.wait(len(want) + 2))[-1],
                 ("entry_added", other, 2, e3, 7), "the new book's entry")
        one.quiet()


def test_writers_in_commit_order(t):
    """Two connections writing one book at once: the events come in seq
    order, one per change, no gap, and match the feed."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        bid = u.book("Home")
        sub = Subscriber(d, u.token)
        sub.subscribe(book_ids=[bid])
        n = 300

        def writer(amount):
            with d.client() as w:
                res = pipeline(w, [("entry.add", dict(entry(bid, amount),
                                                      token=u.token))] * n)
                for err, _ in res:
                    check(err is None, "add", error=err)

        threads = [threading.Thread(target=writer, args=(a,))
                   for a in (1, 1000)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        got = sub.wait(2 * n, timeout=30)
        check_eq([e["seq"] for e in got], list(range(2, 2 * n + 2)),
                 "consecutive seqs in order")
        running = 0
        for e in got:
            amount = u.ok("entry.get", {"entry_id": e["entry_id"]})[
                "entry"]["amount"]
            running += amount
            check_eq(e["balance"], running, "balance after seq %d" %
                     e["seq"])
        feed = []
        since = 0
        while True:
            page = u.ok("book.changes", {"book_id": bid, "since_seq": since,
                                         "limit": 250})
            feed += page["changes"]
            if not page["changes"] or feed[-1]["seq"] == page["seq"]:
                break
            since = feed[-1]["seq"]
        check_eq([(ch["seq"], ch["entry_id"]) for ch in feed[1:]],
                 [(e["seq"], e["entry_id"]) for e in got],
                 "the feed in the same order")
        sub.quiet()


def test_snapshot_misses_nothing(t):
    """Subscribing while another connection writes: the events start right
    after the snapshot's seq, with no gap and no repeat."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        bid = u.book("Home")
        n = 600
        done = threading.Event()

        def writer():
            with d.client() as w:
                pipeline(w, [("entry.add", dict(entry(bid, 3),
                                                token=u.token))] * n)
            done.set()

        th = threading.Thread(target=writer)
        th.start()
        subs = []
        for _ in range(4):
            s = Subscriber(d, u.token)
            subs.append((s, s.subscribe(book_ids=[bid])["seq"][str(bid)]))
        th.join(60)
        check(done.is_set(), "writer finished")
        last = n + 1
        for s, seq0 in subs:
            got = s.wait(last - seq0, timeout=30)
            check_eq([e["seq"] for e in got], list(range(seq0 + 1, last + 1)),
                     "from the snapshot on", seq0=seq0)
            s.quiet()


def test_slow_subscriber_overflows_alone(t):
    """A subscriber that never reads: it gets one overflow and is dropped;
    a reading subscriber gets everything; the writers finish; the daemon's
    memory stays bounded."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        bid = u.book("Home")
        slow = Subscriber(d, u.token)
        slow_id = slow.subscribe(book_ids=[bid])["subscription_id"]
        fast = Subscriber(d, u.token)
        fast.subscribe(book_ids=[bid])
        writers, per = 8, 2000
        got = []

        def reader():
            got.extend(fast.wait(writers * per, timeout=120))

        rt = threading.Thread(target=reader)
        rt.start()

        def writer():
            with d.client() as w:
                res = pipeline(w, [("entry.add", dict(entry(bid, 1),
                                                      token=u.token))] * per)
                check(all(err is None for err, _ in res), "adds")

        ths = [threading.Thread(target=writer) for _ in range(writers)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(120)
        rt.join(120)
        check_eq(len(got), writers * per, "the reader got every event")
        check_eq([e["seq"] for e in got],
                 list(range(2, writers * per + 2)), "in order")
        check_rss(d.rss_kb(), 96 * 1024, "daemon RSS bounded")
        stats = d.stats()
        check_eq(stats["events"]["overflows"], 1, "one overflow")
        # Now the slow one reads: events, then exactly one overflow, then
        # nothing more.
        seen = []
        while True:
            msg = slow.c.read(10)
            check_eq(msg[0], 2, "events only", msg=msg)
            ev = msg[2][0]
            seen.append(ev)
            if ev["kind"] == "overflow":
                break
        check_eq(ev["subscription_id"], slow_id, "its subscription")
        check(len(seen) - 1 < writers * per, "it was cut short",
              seen=len(seen))
        check_eq([e["seq"] for e in seen[:-1]],
                 list(range(2, len(seen) + 1)), "what it got was in order")
        slow.quiet()
        err, _ = slow.call("events.unsubscribe",
                           {"subscription_id": slow_id})
        check_eq(err, ["not_found", "no such subscription on this "
                       "connection"], "the subscription ended")


def test_logout_ends_delivery(t):
    """A logged-out token's subscription ends with access_lost (book nil);
    other sessions' subscriptions go on."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        bid = u.book("Home")
        t2 = c.call_ok("auth.login", {"username": "alice",
                                      "password": PW})["token"]
        gone = Subscriber(d, t2)
        gone.subscribe()
        stays = Subscriber(d, u.token)
        stays.subscribe()
        u.ok("entry.add", entry(bid, 1))
        c.call_ok("auth.logout", {"token": t2})
        u.ok("entry.add", entry(bid, 2))
        got = gone.wait(2)
        check_eq([(e["kind"], e["book_id"]) for e in got],
                 [("entry_added", bid), ("access_lost", None)],
                 "an event, then access_lost")
        gone.quiet()
        check_eq([e["seq"] for e in stays.wait(2)], [2, 3],
                 "the other session hears both")


def test_expired_session_ends_delivery(t):
    """A session that expires while subscribed hears nothing after its
    end: the next change ends the subscription with access_lost (book nil);
    a fresh session's subscription hears it."""
    with t.daemon("--token-ttl-s", "3600").start() as d, d.client() as c:
        u = register_login(c, "alice")
        bid = u.book("Home")
        old = Subscriber(d, u.token)
        old.subscribe()
        u.ok("entry.add", entry(bid, 1))
        check_eq([e["kind"] for e in old.wait(1)], ["entry_added"],
                 "while the session lasts")
        advance(c, 3601)
        fresh = register_login(c, "bob")
        err, _ = u.call("book.invite", {"book_id": bid, "username": "bob",
                                        "permissions": ["add"]})
        check_eq(err[0], "unauthorized", "alice's token has expired",
                 error=err)
        # alice logs in again (a new session); bob joins and writes.
        u2 = User(c, "alice", c.call_ok("auth.login", {
            "username": "alice", "password": PW})["token"], u.user_id)
        inv = u2.ok("book.invite", {"book_id": bid, "username": "bob",
                                    "permissions": ["add"]})["invite_id"]
        fresh.ok("invite.accept", {"invite_id": inv})
        new = Subscriber(d, u2.token)
        new.subscribe(book_ids=[bid])
        fresh.ok("entry.add", entry(bid, 2))
        got = old.wait(2)
        check_eq([(e["kind"], e["book_id"]) for e in got],
                 [("entry_added", bid), ("access_lost", None)],
                 "the expired one ends at the first change after", all=got)
        old.quiet()
        check_eq([e["kind"] for e in new.wait(1)], ["entry_added"],
                 "the new session hears the change")


def test_changes_after_disconnect(t):
    """Away and back: book.changes from the last seen seq gives exactly
    what a connected subscriber saw meanwhile."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        bid = u.book("Home")
        watcher = Subscriber(d, u.token)
        watcher.subscribe(book_ids=[bid])
        away = Subscriber(d, u.token)
        away.subscribe(book_ids=[bid])
        u.ok("entry.add", entry(bid, 5))
        last = away.wait(1)[-1]["seq"]
        away.close()
        ids = [u.ok("entry.add", entry(bid, 10 + i))["entry_id"]
               for i in range(5)]
        u.ok("entry.delete", {"entry_id": ids[2]})
        u.ok("book.update", {"book_id": bid, "name": "House"})
        seen = watcher.wait(8)[1:]
        back = u.ok("book.changes", {"book_id": bid, "since_seq": last})
        check_eq([(ch["kind"], ch["seq"], ch["entry_id"])
                  for ch in back["changes"]],
                 [(e["kind"], e["seq"], e["entry_id"]) for e in seen],
                 "the missed changes, exactly")
        check_eq(back["seq"], seen[-1]["seq"], "up to date")
        err = u.err("book.changes", {"book_id": bid, "since_seq": 99})
        check_eq(err[0], "bad_request", "ahead of the book")


def test_feed_retention(t):
    """The feed keeps the last 10,000 changes of a book: an older
    since_seq is conflict, naming the book."""
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        bid = u.book("Tiny")
        res = pipeline(c, [("entry.add", dict(entry(bid, 1),
                                              token=u.token))] * 10050)
        check(all(err is None for err, _ in res), "adds")
        seq = 10051
        err = u.err("book.changes", {"book_id": bid, "since_seq": 0})
        check_eq(err[0], "conflict", "too old")
        check("'Tiny'" in err[1] and "entry.list" in err[1],
              "names the book and what to do", message=err[1])
        ok = u.ok("book.changes", {"book_id": bid,
                                   "since_seq": seq - 10000, "limit": 3})
        check_eq([ch["seq"] for ch in ok["changes"]],
                 [seq - 9999, seq - 9998, seq - 9997], "the oldest kept")
        check_eq(u.ok("book.changes", {"book_id": bid, "since_seq": seq})[
            "changes"], [], "nothing new")


def test_subscribe_refusals(t):
    """Somebody else's book is not_found; bad arguments are bad_request;
    unsubscribe ends delivery."""
    with t.daemon().start() as d, d.client() as c:
        a = register_login(c, "alice")
        b = register_login(c, "bob")
        mine = a.book("Mine")
        theirs = b.book("Theirs")
        s = Subscriber(d, a.token)
        err, _ = s.call("events.subscribe", {"book_ids": [mine, theirs]})
        check_eq(err, ["not_found", "no such book"], "bob's book")
        for bad in ([], [0], [mine, mine], ["1"], list(range(1, 1002))):
            err, _ = s.call("events.subscribe", {"book_ids": bad})
            check_eq(err[0], "bad_request", "book_ids %r" % (bad[:3],))
        sid = s.subscribe(book_ids=[mine])["subscription_id"]
        err, _ = Subscriber(d, a.token).call(
            "events.unsubscribe", {"subscription_id": sid})
        check_eq(err[0], "not_found", "another connection's")
        err, _ = s.call("events.unsubscribe", {"subscription_id": sid,
                                               "token": b.token})
        check_eq(err[0], "not_found", "another account's")
        s.ok("events.unsubscribe", {"subscription_id": sid})
        a.ok("entry.add", entry(mine, 1))
        s.quiet()
        check_eq(d.stats()["events"]["subscriptions"], 0,
                 "no subscription left")


def test_peer_subscription(t):
    """Without a token (peer mode) a subscription follows the connecting
    user's own books."""
    with t.daemon().start() as d:
        s = Subscriber(d)
        s.subscribe(notifications=True)
        with d.client() as c:
            bid = c.call_ok("book.create", {"name": "Mine"})["book_id"]
            c.call_ok("entry.add", entry(bid, 42))
        check_eq(summary(s.wait(2)), [("book_created", bid, 1, None, 0),
                                      ("entry_added", bid, 2, 1, 42)],
                 "own books, live")


def test_pynvim_client(t):
    """A third-party msgpack-RPC client (pynvim's session, from Debian's
    python3-pynvim) receives the events as notifications."""
    try:
        from pynvim.msgpack_rpc import socket_session
    except ImportError:
        raise AssertionError("python3-pynvim is not installed "
                             "(scripts/deps --test installs it)")
    with t.daemon().start() as d, d.client() as c:
        u = register_login(c, "alice")
        bid = u.book("Home")
        session = socket_session(d.socket)
        try:
            res = session.request("events.subscribe",
                                  {"token": u.token, "book_ids": [bid]})
            check_eq(res["seq"], {str(bid): 1}, "subscribed")
            eid = u.ok("entry.add", entry(bid, 321))["entry_id"]
            msg = session.next_message()
            check(msg is not None, "a message came")
            kind, method, args = msg[0], msg[1], msg[2]
            check_eq((kind, method), ("notification", "event"),
                     "pynvim sees a notification", msg=msg)
            ev = args[0]
            check_eq((ev["kind"], ev["book_id"], ev["seq"], ev["entry_id"],
                      ev["balance"]), ("entry_added", bid, 2, eid, 321),
                     "the event")
        finally:
            session.close()


def main():
    t = Tap(sys.argv)
    t.run(test_every_committed_change_once)
    t.run(test_writers_in_commit_order, timeout=120)
    t.run(test_snapshot_misses_nothing, timeout=120)
    t.run(test_slow_subscriber_overflows_alone, timeout=240)
    t.run(test_logout_ends_delivery)
    t.run(test_expired_session_ends_delivery)
    t.run(test_changes_after_disconnect)
    t.run(test_feed_retention, timeout=180)
    t.run(test_subscribe_refusals)
    t.run(test_peer_subscription)
    t.run(test_pynvim_client)
    t.done()


if __name__ == "__main__":
    main()
