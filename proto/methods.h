/*
 * methods.h -- names of the RPC methods, shared by the daemon's method
 * table and the client library, so a typo is a compile error, not a
 * runtime unknown_method.
 */
#ifndef CASHBOOK_PROTO_METHODS_H
#define CASHBOOK_PROTO_METHODS_H

#define CB_METHOD_PING          "ping"
#define CB_METHOD_SERVER_STATS  "server.stats"
#define CB_METHOD_SERVER_INFO   "server.info"
#define CB_METHOD_SERVER_BACKUP "server.backup"
#define CB_METHOD_SERVER_RESTORE "server.restore"

#define CB_METHOD_USER_REGISTER "user.register"
#define CB_METHOD_USER_PROFILE  "user.profile"
#define CB_METHOD_USER_PASSWORD "user.password"
#define CB_METHOD_AUTH_LOGIN    "auth.login"
#define CB_METHOD_AUTH_REFRESH  "auth.refresh"
#define CB_METHOD_AUTH_VERIFY   "auth.verify"
#define CB_METHOD_AUTH_LOGOUT   "auth.logout"
#define CB_METHOD_AUTH_LOGOUT_ALL "auth.logout_all"

#define CB_METHOD_BOOK_CREATE   "book.create"
#define CB_METHOD_BOOK_LIST     "book.list"
#define CB_METHOD_BOOK_GET      "book.get"
#define CB_METHOD_BOOK_UPDATE   "book.update"
#define CB_METHOD_BOOK_DELETE   "book.delete"
#define CB_METHOD_BOOK_BALANCE  "book.balance"
#define CB_METHOD_BOOK_VERIFY   "book.verify"
#define CB_METHOD_ENTRY_ADD     "entry.add"
#define CB_METHOD_ENTRY_ADD_BATCH "entry.add_batch"
#define CB_METHOD_ENTRY_GET     "entry.get"
#define CB_METHOD_ENTRY_UPDATE  "entry.update"
#define CB_METHOD_ENTRY_DELETE  "entry.delete"
#define CB_METHOD_ENTRY_RESTORE "entry.restore"
#define CB_METHOD_ENTRY_HISTORY "entry.history"
#define CB_METHOD_ENTRY_LIST    "entry.list"
#define CB_METHOD_REPORT_SUMMARY "report.summary"

#define CB_METHOD_BOOK_INVITE   "book.invite"
#define CB_METHOD_INVITE_LIST   "invite.list"
#define CB_METHOD_INVITE_ACCEPT "invite.accept"
#define CB_METHOD_INVITE_DECLINE "invite.decline"
#define CB_METHOD_INVITE_REVOKE "invite.revoke"
#define CB_METHOD_MEMBER_LIST   "member.list"
#define CB_METHOD_MEMBER_UPDATE "member.update"
#define CB_METHOD_MEMBER_REMOVE "member.remove"
#define CB_METHOD_BOOK_LEAVE    "book.leave"
#define CB_METHOD_NOTIFICATION_LIST "notification.list"
#define CB_METHOD_NOTIFICATION_READ "notification.read"
#define CB_METHOD_NOTIFICATION_READ_ALL "notification.read_all"
#define CB_METHOD_NOTIFICATION_UNREAD_COUNT "notification.unread_count"

#define CB_METHOD_EVENTS_SUBSCRIBE "events.subscribe"
#define CB_METHOD_EVENTS_UNSUBSCRIBE "events.unsubscribe"
#define CB_METHOD_BOOK_CHANGES  "book.changes"
/* The notification the server pushes to subscribers:
 * [2, "event", [event]] (docs/protocol.md, "Live events"). */
#define CB_NOTIFY_EVENT         "event"

/* The notification the server sends before closing a connection for a
 * protocol violation: [2, "error", ["protocol_error", message]]. */
#define CB_NOTIFY_ERROR         "error"

#endif
