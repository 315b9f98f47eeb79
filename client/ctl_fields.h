/*
 * ctl_fields.h -- reading the fields of cashbookd's results (books,
 * entries, reports) into text for people and for CSV: strings that may
 * be nil, tags, amounts in a book's currency, Unix times as local time.
 *
 * Never fails: a missing or mistyped field reads as "" (or 0), so a
 * listing shows what it can; the commands check the fields they rely on.
 * Keeps no state; never uses floating point.
 */
#ifndef CASHBOOK_CLIENT_CTL_FIELDS_H
#define CASHBOOK_CLIENT_CTL_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "cb_limits.h"
#include "money.h"

/* Room for an amount with its sign and point (money_format). */
#define CTL_AMOUNT_BUF		CB_MONEY_FORMAT_MAX

/* Room for the longest text field (note, description: 4096 bytes). */
#define CTL_TEXT_BUF		4097

/* The str under key into buf, NUL-terminated; "" when missing or nil;
 * cut when longer than buf. */
void ctl_field_text(const msgpack_object *m, const char *key, char *buf,
    size_t len);

/* The int under key, or 0. */
int64_t ctl_field_int(const msgpack_object *m, const char *key);

/* Whether the value under key is nil or missing. */
bool ctl_field_nil(const msgpack_object *m, const char *key);

/* The bool under key, or false. */
bool ctl_field_bool(const msgpack_object *m, const char *key);

/* The array of str under key ("tags") joined with sep into buf; "" when
 * none. */
void ctl_field_tags(const msgpack_object *m, const char *key,
    const char *sep, char *buf, size_t len);

/* minor as a decimal number with decimals places ("1250.00"). */
void ctl_amount_text(int64_t minor, int decimals, char *buf, size_t len);

/* The int amount under key with decimals places; "" when missing or
 * nil. */
void ctl_field_amount(const msgpack_object *m, const char *key,
    int decimals, char *buf, size_t len);

/* Unix seconds as local "YYYY-MM-DD HH:MM" (the number if that fails). */
void ctl_unix_text(int64_t t, char *buf, size_t len);

/* Room for an entry's tags joined with a one-byte separator. */
#define CTL_TAGS_BUF	(CB_ENTRY_TAGS_MAX * (CB_ENTRY_TAG_MAX + 1) + 1)

/* An entry object's fields as text, for listing and export (about 5 KiB:
 * keep it on the heap). */
struct ctl_entry_text {
	char id[24], date[16], time[8], type[8];
	char amount[CTL_AMOUNT_BUF], minor[24];		/* decimal; minor units */
	char balance[CTL_AMOUNT_BUF], balance_minor[24];	/* running; "" when
							   nil (the trash) */
	char category[CB_ENTRY_TEXT_MAX + 1], mode[CB_ENTRY_TEXT_MAX + 1];
	char party[CB_ENTRY_TEXT_MAX + 1], reference[CB_ENTRY_TEXT_MAX + 1];
	char note[CTL_TEXT_BUF];
	char tags[CTL_TAGS_BUF];
};

/* Fill *r from entry object e with amounts of decimals places and the
 * tags joined with tag_sep. */
void ctl_entry_text(const msgpack_object *e, int decimals,
    const char *tag_sep, struct ctl_entry_text *r);

#endif
