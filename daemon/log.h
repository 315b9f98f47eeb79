/*
 * log.h -- the daemon's log: one line per event on stderr,
 * "2026-11-27T03:40:01.123Z info  message".  Thread-safe: each line is
 * written with one write(2), so lines from workers never interleave.
 */
#ifndef CASHBOOK_DAEMON_LOG_H
#define CASHBOOK_DAEMON_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below level are dropped.  Call once at start, before threads. */
void log_set_level(enum log_level level);

/* Parse "debug|info|warn|error"; returns 0 or -1. */
int log_level_parse(const char *s, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
