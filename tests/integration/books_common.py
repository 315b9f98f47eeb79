"""
books_common.py -- what the "Books and entries" suites share
(test_books.py, test_entries.py, test_entries_list.py,
test_entries_money.py): a logged-in user, shape checks for the book and
entry objects, and a Python model of a book (running balances, entry.list
order and filters, report.summary) to compare the daemon's answers with.

Everything is written from docs/protocol.md, "Books and entries".
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness
from harness import (check, check_eq, check_error_pair, pack,  # noqa
                     pipeline, TestFailure)

MAX_AMOUNT = 10 ** 15
INT64_MAX = 2 ** 63 - 1
PW = "correct horse 1"

BOOK_KEYS = sorted(["book_id", "name", "currency", "decimals", "description",
                    "cash_in", "cash_out", "balance", "count", "created_at",
                    "updated_at", "role", "permissions", "owner_id",
                    "owner_username"])
ALL_PERMISSIONS = ["add", "edit_own", "edit_all", "delete", "reports",
                   "manage"]
ENTRY_KEYS = sorted(["entry_id", "book_id", "type", "amount", "date", "time",
                     "category", "mode", "party", "note", "reference", "tags",
                     "idempotency_key", "deleted", "created_at", "created_by",
                     "updated_at", "updated_by"])
FIELD_KEYS = sorted(["type", "amount", "date", "time", "category", "mode",
                     "party", "note", "reference", "tags"])
BALANCE_KEYS = sorted(["cash_in", "cash_out", "balance", "count", "currency",
                       "decimals"])
OPTIONAL_TEXT = ("category", "mode", "party", "note", "reference")
MISSING_TOKEN = ["unauthorized", "missing token; log in first"]
NO_BOOK = ["not_found", "no such book"]
NO_ENTRY = ["not_found", "no such entry"]

# Every method of the section and params that are valid apart from the
# token and the ids (filled in by the caller).
METHODS = ("book.create", "book.list", "book.get", "book.update",
           "book.delete", "book.balance", "book.verify", "entry.add",
           "entry.get", "entry.update", "entry.delete", "entry.restore",
           "entry.history", "entry.list", "report.summary")


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "UndefinedBehaviorSanitizer")


def clean_exits(fn):
    """Wrap a test: once it has passed, every cashbookd it started must
    have exited with status 0 (or its expect_exit) on SIGTERM and logged
    no sanitizer report (ASan, LSan, UBSan builds)."""
    def wrapper(t):
        fn(t)
        with harness._live_lock:
            daemons = list(harness._test_daemons)
        for d in daemons:
            if d.proc is None:
                continue
            d.stop()
            bad = [ln for ln in d.log if any(m in ln for m in
                                             SANITIZER_MARKS)]
            check(not bad, "no sanitizer report in the daemon's log",
                  lines=bad[:5])
            check_eq(d.returncode, getattr(d, "expect_exit", 0),
                     "cashbookd exit status", log=d.log_text()[-3000:])
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


# ---------------------------------------------------------------- users

class User:
    """A logged-in user on one connection: every call carries the token."""

    def __init__(self, c, username, token, user_id):
        self.c = c
        self.username = username
        self.token = token
        self.user_id = user_id

    def params(self, params):
        p = {"token": self.token}
        p.update(params or {})
        return p

    def call(self, method, params=None):
        return self.c.call(method, self.params(params))

    def ok(self, method, params=None):
        err, res = self.call(method, params)
        check(err is None, "%s failed" % method, error=err, params=params)
        check(isinstance(res, dict), "%s result is a map" % method,
              result=res)
        return res

    def err(self, method, params=None):
        """A call that must fail: the error pair."""
        e, res = self.call(method, params)
        check(e is not None, "%s must fail" % method, result=res,
              params=_short(params))
        check_error_pair(e, res, method)
        return e

    def bad(self, method, params, field, what=None):
        """bad_request whose message names 'field'."""
        e = self.err(method, params)
        what = what or "%s %s" % (method, field)
        check_eq(e[0], "bad_request", "%s: code" % what, message=e[1],
                 params=_short(params))
        if field is not None:
            check("'%s'" % field in e[1],
                  "%s: the message names '%s'" % (what, field),
                  message=e[1], params=_short(params))
        return e

    def pipe(self, calls, window=200):
        """pipeline() with the token added to each params map."""
        return pipeline(self.c, [(m, self.params(p)) for m, p in calls],
                        window)

    # -- shortcuts

    def book(self, name, **kw):
        p = {"name": name}
        p.update(kw)
        res = self.ok("book.create", p)
        check_eq(sorted(res), ["book", "book_id"], "book.create keys",
                 result=res)
        check_book(res["book"])
        check_eq(res["book"]["book_id"], res["book_id"], "book.book_id")
        return res["book_id"]

    def add(self, book_id, type, amount, date, **kw):
        p = {"book_id": book_id, "type": type, "amount": amount,
             "date": date}
        p.update(kw)
        res = self.ok("entry.add", p)
        check_eq(sorted(res), ["balance", "entry_id", "replayed"],
                 "entry.add keys", result=res)
        check(type_int(res["entry_id"]) and res["entry_id"] > 0,
              "entry_id positive", result=res)
        check(type_int(res["balance"]), "balance is an integer",
              result=res)
        return res

    def get(self, entry_id):
        res = self.ok("entry.get", {"entry_id": entry_id})
        check_eq(sorted(res), ["entry"], "entry.get keys", result=res)
        check_entry(res["entry"])
        return res["entry"]

    def get_book(self, book_id):
        res = self.ok("book.get", {"book_id": book_id})
        check_eq(sorted(res), ["book"], "book.get keys", result=res)
        check_book(res["book"])
        return res["book"]

    def balance(self, book_id):
        res = self.ok("book.balance", {"book_id": book_id})
        check_eq(sorted(res), BALANCE_KEYS, "book.balance keys", result=res)
        for k in ("cash_in", "cash_out", "balance", "count", "decimals"):
            check(type_int(res[k]), "book.balance %s is an integer" % k,
                  result=res)
        check_eq(res["balance"], res["cash_in"] - res["cash_out"],
                 "balance = cash_in - cash_out", result=res)
        return res

    def verify(self, book_id, repair=None):
        p = {"book_id": book_id}
        if repair is not None:
            p["repair"] = repair
        res = self.ok("book.verify", p)
        check_eq(sorted(res), ["computed", "ok", "problems", "repaired",
                               "stored"], "book.verify keys", result=res)
        check(isinstance(res["ok"], bool) and
              isinstance(res["repaired"], bool) and
              isinstance(res["problems"], list) and
              all(isinstance(x, str) for x in res["problems"]),
              "book.verify value types", result=res)
        for k in ("stored", "computed"):
            check_eq(sorted(res[k]), ["balance", "cash_in", "cash_out",
                                      "count"], "book.verify %s keys" % k,
                     result=res)
        return res

    def history(self, entry_id):
        res = self.ok("entry.history", {"entry_id": entry_id})
        check_eq(sorted(res), ["history", "next_cursor"], "entry.history keys",
                 result=res)
        check_eq(res["next_cursor"], None, "one page holds it all")
        for h in res["history"]:
            check_eq(sorted(h), ["action", "after", "at", "before",
                                 "user_id", "username"],
                     "history item keys", item=h)
            check(type_int(h["at"]), "history at is an integer", item=h)
            for k in ("before", "after"):
                if h[k] is not None:
                    check_eq(sorted(h[k]), FIELD_KEYS,
                             "history %s keys" % k, item=h)
        return res["history"]

    def list_page(self, book_id, filters=None, limit=None, cursor=None):
        p = {"book_id": book_id}
        p.update(filters or {})
        if limit is not None:
            p["limit"] = limit
        if cursor is not None:
            p["cursor"] = cursor
        res = self.ok("entry.list", p)
        check_eq(sorted(res), ["entries", "next_cursor"],
                 "entry.list keys", result=_short(res))
        check(res["next_cursor"] is None or
              (isinstance(res["next_cursor"], str) and
               0 < len(res["next_cursor"].encode()) <= 64),
              "next_cursor is nil or a str of at most 64 bytes",
              next_cursor=res["next_cursor"])
        for e in res["entries"]:
            check_entry(e, listed=True)
        return res

    def list_all(self, book_id, filters=None, limit=None, max_pages=10000):
        """Every page; returns the rows in the order given."""
        rows, cursor = [], None
        for _ in range(max_pages):
            res = self.list_page(book_id, filters, limit, cursor)
            rows += res["entries"]
            if limit is not None and len(res["entries"]) < limit:
                check_eq(res["next_cursor"], None,
                         "a short page is the last page (next_cursor nil)",
                         filters=filters, rows=len(res["entries"]))
            cursor = res["next_cursor"]
            if cursor is None:
                return rows
            check(res["entries"], "a page with a next_cursor has rows")
        raise TestFailure("entry.list did not end after %d pages" % max_pages)


# ---------------------------------------------------------------- sharing

INVITE_KEYS = sorted(["invite_id", "book_id", "book_name", "from_user_id",
                      "from_username", "to_user_id", "to_username",
                      "permissions", "status", "created_at"])
MEMBER_KEYS = sorted(["user_id", "username", "role", "permissions",
                      "joined_at"])
NOTIFICATION_KEYS = sorted(["notification_id", "kind", "book_id", "entry_id",
                            "invite_id", "actor_user_id", "actor_username",
                            "text", "read", "created_at"])


def share(owner, member, book_id, permissions):
    """owner invites member to book_id with permissions, member accepts:
    returns the book object as the new member sees it."""
    iid = owner.ok("book.invite", {"book_id": book_id,
                                   "username": member.username,
                                   "permissions": permissions})["invite_id"]
    book = member.ok("invite.accept", {"invite_id": iid})["book"]
    check_book(book)
    check_eq((book["role"], book["permissions"]),
             ("member", [p for p in ALL_PERMISSIONS if p in permissions]),
             "the new member's role and permissions", book=book)
    return book


def notifications(u, unread_only=False, limit=500):
    """Every notification of u, newest first, every page read."""
    rows, cursor = [], None
    while True:
        p = {"limit": limit}
        if unread_only:
            p["unread_only"] = True
        if cursor is not None:
            p["cursor"] = cursor
        res = u.ok("notification.list", p)
        check_eq(sorted(res), ["next_cursor", "notifications"],
                 "notification.list keys")
        for n in res["notifications"]:
            check_eq(sorted(n), NOTIFICATION_KEYS, "notification keys",
                     item=n)
        rows += res["notifications"]
        cursor = res["next_cursor"]
        if cursor is None:
            return rows


def unread(u):
    res = u.ok("notification.unread_count")
    check_eq(sorted(res), ["unread"], "notification.unread_count keys")
    return res["unread"]


def type_int(v):
    return type(v) is int


def _short(v, n=300):
    r = repr(v)
    return r if len(r) <= n else r[:n] + "...(%d chars)" % len(r)


def register_login(c, username, password=PW):
    res = c.call_ok("user.register", {"username": username,
                                      "password": password})
    uid = res["user_id"]
    res = c.call_ok("auth.login", {"username": username,
                                   "password": password})
    check_eq(res["user_id"], uid, "login user_id")
    return User(c, username, res["token"], uid)


def advance(c, seconds):
    """test.clock: the daemon's wall clock moves forward."""
    return c.call_ok("test.clock", {"advance_s": seconds})["now"]


# ---------------------------------------------------------------- shapes

def check_book(b):
    check(isinstance(b, dict), "a book is a map", book=b)
    check_eq(sorted(b), BOOK_KEYS, "book keys", book=b)
    for k in ("book_id", "decimals", "cash_in", "cash_out", "balance",
              "count", "created_at", "updated_at"):
        check(type_int(b[k]), "book %s is an integer" % k, book=b)
    check(isinstance(b["name"], str) and isinstance(b["currency"], str),
          "book name and currency are str", book=b)
    check(b["description"] is None or isinstance(b["description"], str),
          "description str or nil", book=b)
    check(b["role"] in ("owner", "member"), "book role", book=b)
    check(isinstance(b["permissions"], list) and
          all(p in ALL_PERMISSIONS for p in b["permissions"]),
          "book permissions are permission names", book=b)
    if b["role"] == "owner":
        check_eq(b["permissions"], ALL_PERMISSIONS,
                 "the owner has every permission", book=b)
    check_eq(b["balance"], b["cash_in"] - b["cash_out"],
             "book balance = cash_in - cash_out", book=b)


def check_entry(e, listed=False):
    check(isinstance(e, dict), "an entry is a map", entry=e)
    want = ENTRY_KEYS + ["running_balance"] if listed else ENTRY_KEYS
    check_eq(sorted(e), sorted(want), "entry keys", entry=e)
    for k in ("entry_id", "book_id", "amount", "created_at", "created_by",
              "updated_at", "updated_by"):
        check(type_int(e[k]), "entry %s is an integer" % k, entry=e)
    check(e["type"] in ("in", "out"), "entry type", entry=e)
    check(isinstance(e["date"], str), "entry date str", entry=e)
    for k in ("time", "idempotency_key") + OPTIONAL_TEXT:
        check(e[k] is None or isinstance(e[k], str),
              "entry %s str or nil" % k, entry=e)
    check(isinstance(e["tags"], list) and
          all(isinstance(x, str) for x in e["tags"]),
          "entry tags is an array of str", entry=e)
    check(isinstance(e["deleted"], bool), "deleted is a bool", entry=e)
    if listed:
        rb = e["running_balance"]
        check(rb is None or type_int(rb), "running_balance int or nil",
              entry=e)


def fields_of(e):
    """The history 'fields' map of an entry object."""
    return {k: e[k] for k in FIELD_KEYS}


def norm(e):
    """The history fields of e with tags sorted: the spec does not say
    whether tags keep the order they were given in."""
    f = fields_of(e)
    f["tags"] = sorted(f["tags"]) if isinstance(f["tags"], list) \
        else f["tags"]
    return f


def raw_str(b):
    """msgpack str header + raw bytes (no UTF-8 check)."""
    if len(b) < 32:
        return bytes([0xa0 | len(b)]) + b
    if len(b) < 256:
        return b"\xd9" + bytes([len(b)]) + b
    return b"\xda" + len(b).to_bytes(2, "big") + b


def raw_call(u, method, fields):
    """A request whose params map is hand-encoded: fields is a list of
    (key, raw msgpack bytes of the value); the token is added.  For values
    a packer will not make (invalid UTF-8 in a str, an int in a wider
    encoding than needed).  Returns (error, result)."""
    fields = [("token", pack(u.token))] + list(fields)
    n = len(fields)
    head = bytes([0x80 | n]) if n < 16 else b"\xde" + n.to_bytes(2, "big")
    c = u.c
    msgid = c.next_msgid
    c.next_msgid += 1
    c.send(b"\x94" + pack(0) + pack(msgid) + pack(method) + b"\x91" + head
           + b"".join(pack(k) + v for k, v in fields))
    msg = c.read_response()
    check_eq(msg[1], msgid, "response msgid")
    return msg[2], msg[3]


# ---------------------------------------------------------------- model

def alower(s):
    """ASCII-only lower case (what the daemon folds)."""
    return s.encode("utf-8").lower().decode("utf-8")


def chrono_key(e):
    """Chronological order: date, then untimed before timed, then time,
    then entry_id."""
    return (e["date"], 0 if e["time"] is None else 1, e["time"] or "",
            e["entry_id"])


class Model:
    """What a book should hold: entry_id -> entry dict with the history
    fields plus entry_id and deleted."""

    def __init__(self):
        self.entries = {}

    def put(self, entry_id, fields, deleted=False):
        e = {k: None for k in FIELD_KEYS}
        e["tags"] = []
        e.update(fields)
        e["entry_id"] = entry_id
        e["deleted"] = deleted
        self.entries[entry_id] = e
        return e

    def live(self):
        return [e for e in self.entries.values() if not e["deleted"]]

    def totals(self):
        cin = sum(e["amount"] for e in self.live() if e["type"] == "in")
        cout = sum(e["amount"] for e in self.live() if e["type"] == "out")
        return {"cash_in": cin, "cash_out": cout, "balance": cin - cout,
                "count": len(self.live())}

    def running(self):
        """entry_id -> running balance over every live entry."""
        out, bal = {}, 0
        for e in sorted(self.live(), key=chrono_key):
            bal += e["amount"] if e["type"] == "in" else -e["amount"]
            out[e["entry_id"]] = bal
        return out

    def listing(self, filters=None):
        """The ids entry.list should give, newest first (oldest first
        with order "asc")."""
        f = filters or {}
        rows = [e for e in self.entries.values()
                if e["deleted"] == bool(f.get("trash")) and matches(e, f)]
        return [e["entry_id"] for e in sorted(
            rows, key=chrono_key, reverse=f.get("order") != "asc")]

    def report(self, by, frm=None, to=None):
        groups = {}
        for e in self.live():
            if frm is not None and e["date"] < frm:
                continue
            if to is not None and e["date"] > to:
                continue
            if by == "tag":     # each of its tags; none: nil
                keys = sorted(set(e["tags"])) or [None]
            else:
                keys = [e["date"][:7] if by == "month" else e[by]]
            for key in keys:
                g = groups.setdefault(key, {"key": key, "cash_in": 0,
                                            "cash_out": 0, "count": 0})
                g["cash_in" if e["type"] == "in" else "cash_out"] += \
                    e["amount"]
                g["count"] += 1
        rows = []
        for g in groups.values():
            g["net"] = g["cash_in"] - g["cash_out"]
            rows.append(g)
        rows.sort(key=report_key)
        # Each entry once, whatever the grouping (tags overlap).
        inside = [e for e in self.live()
                  if (frm is None or e["date"] >= frm) and
                  (to is None or e["date"] <= to)]
        total = {"cash_in": sum(e["amount"] for e in inside
                                if e["type"] == "in"),
                 "cash_out": sum(e["amount"] for e in inside
                                 if e["type"] == "out"),
                 "count": len(inside)}
        total["net"] = total["cash_in"] - total["cash_out"]
        return {"rows": rows, "total": total}


def report_key(g):
    k = g["key"]
    if k is None:
        return (1, b"", b"")
    b = k.encode("utf-8")
    return (0, b.lower(), b)


def one_or_many(v):
    """A filter's values: entry.list takes one string or a list of them,
    any of which matches."""
    return v if isinstance(v, list) else [v]


def matches(e, f):
    if "from" in f and e["date"] < f["from"]:
        return False
    if "to" in f and e["date"] > f["to"]:
        return False
    if "type" in f and e["type"] != f["type"]:
        return False
    for k in ("category", "mode", "party"):
        if k in f and (e[k] is None or alower(e[k]) not in
                       [alower(v) for v in one_or_many(f[k])]):
            return False
    if "tag" in f and not ({alower(v) for v in one_or_many(f["tag"])} &
                           {alower(x) for x in e["tags"]}):
        return False
    if "q" in f:
        q = alower(f["q"])
        if not (any(e[k] is not None and q in alower(e[k])
                    for k in ("note", "category", "party", "reference"))
                or any(q in alower(x) for x in e["tags"])):
            return False
    if "amount_min" in f and e["amount"] < f["amount_min"]:
        return False
    if "amount_max" in f and e["amount"] > f["amount_max"]:
        return False
    return True


def check_listing(u, book_id, model, filters=None, limit=None, what=""):
    """entry.list (every page) against the model: the same ids in the same
    order, and every running_balance the one over ALL live entries."""
    rows = u.list_all(book_id, filters, limit)
    got = [r["entry_id"] for r in rows]
    want = model.listing(filters)
    if got != want:
        raise TestFailure(
            "%s: entry.list %r (limit %r) ids differ\n  got:  %r\n  want: %r"
            "\n  missing: %r\n  extra: %r" % (
                what, filters, limit, got[:60], want[:60],
                sorted(set(want) - set(got))[:20],
                sorted(set(got) - set(want))[:20]))
    trash = bool((filters or {}).get("trash"))
    run = model.running()
    for r in rows:
        m = model.entries[r["entry_id"]]
        check_eq(norm(r), norm(m), "%s: entry %d fields" % (
            what, r["entry_id"]), filters=filters)
        check_eq(r["deleted"], trash, "%s: deleted flag" % what)
        want_rb = None if trash else run[r["entry_id"]]
        if r["running_balance"] != want_rb or \
                type(r["running_balance"]) is not type(want_rb):
            raise TestFailure(
                "%s: running_balance of entry %d with filters %r\n"
                "  got:  %r\n  want: %r\n  entry: %r" % (
                    what, r["entry_id"], filters, r["running_balance"],
                    want_rb, m))
    return rows
