/*
 * ctl_start_hint.h -- the command that starts cashbookd in this install,
 * for cashbookctl's "cannot connect" message.
 */
#ifndef CASHBOOK_CLIENT_CTL_START_HINT_H
#define CASHBOOK_CLIENT_CTL_START_HINT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Write into buf the command that starts a cashbookd listening on
 * socket_path (given: --socket or CASHBOOK_SOCKET chose it), in order:
 *   - cashbookctl runs from a meson build directory (a checkout): the
 *     checkout's scripts/run, or that build's daemon/cashbookd --socket;
 *   - the systemd user units are installed and the socket is theirs:
 *     systemctl --user start cashbookd.socket (the system-wide ones and
 *     /run/cashbook/cashbookd.sock: systemctl start cashbookd.socket);
 *   - else the installed cashbookd (by name when it is on PATH).
 */
void ctl_start_hint(char *buf, size_t len, const char *socket_path,
    bool socket_given);

#endif
