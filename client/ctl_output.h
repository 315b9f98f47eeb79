/*
 * ctl_output.h -- how cashbookctl prints: JSON for --json, aligned
 * label/value tables and human units for people, and errors in both forms.
 *
 * Owns nothing.  Never talks to cashbookd: commands fetch, then print
 * through here, so every command's output looks alike.
 */
#ifndef CASHBOOK_CLIENT_CTL_OUTPUT_H
#define CASHBOOK_CLIENT_CTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <msgpack.h>

/*
 * Write o as JSON (no newline).  Strings are escaped and always valid
 * UTF-8 (invalid bytes become U+FFFD); bin and ext payloads become base64
 * strings (ext as {"ext": type, "base64": "..."}); map keys that are not
 * strings are written as the string of their JSON; floats use the shortest
 * form that reads back exactly, and NaN/infinity become null.  Returns 0,
 * or -1 when writing to f failed.
 */
int ctl_json_write(FILE *f, const msgpack_object *o);

/* Write len bytes of s as one JSON string (quotes included). */
void ctl_json_write_string(FILE *f, const char *s, size_t len);

/* --json output: o as JSON on one line of stdout. */
void ctl_print_json_line(const msgpack_object *o);

/*
 * Report a failure.  On stderr, for people:
 *	cashbookctl: CODE: MESSAGE	(the server's code; without one,
 *	hint: HINT			 "cashbookctl: MESSAGE"; no hint
 *					 line when hint is NULL)
 * and with json also {"error":{"code":CODE,"message":MESSAGE}} on stdout,
 * where CODE is the server's code, else local_code (e.g. "timeout").
 * Text that came from the server is printed with control characters made
 * visible, so a broken daemon cannot drive the terminal.
 */
/*
 * cashbookd's words for a refused field ("field 'category' must be 1 to
 * 100 bytes (nil for none)") as a person's ("a category is 1 to 100
 * bytes") into out[len]; false when message is not one of those.
 */
bool ctl_field_words(const char *message, char *out, size_t len);

void ctl_print_error(bool json, const char *server_code,
    const char *local_code, const char *message, const char *hint);

/* Tables: a section title, then indented "label   value" rows. */
void ctl_print_section(const char *title);
void ctl_print_row(const char *label, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A row outside any section, its value aligned with the rows'. */
void ctl_print_item(const char *label, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Human units: "42s", "5m 07s", "2h 03m", "3d 04h"; and microseconds as
 * milliseconds, "0.42 ms". */
void ctl_format_duration(int64_t seconds, char *buf, size_t len);
void ctl_format_us_as_ms(int64_t us, char *buf, size_t len);

/* Copy s into buf (NUL-terminated) with control characters replaced by
 * '?', for printing text that came from the server. */
void ctl_sanitize(const char *s, char *buf, size_t len);

#endif
