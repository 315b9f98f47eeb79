/*
 * scan.h -- find where one msgpack message ends, without allocating.
 *
 * The stream carries msgpack messages back to back, with no length prefix.
 * Before any byte reaches msgpack-c (whose unpacker allocates a container's
 * *declared* element count as soon as it reads the header, so five bytes can
 * ask for gigabytes), the scanner walks the raw bytes and checks:
 *
 *   - every type byte is a valid msgpack format (0xc1 is not);
 *   - nesting never exceeds max_depth;
 *   - what the message declares can fit in max_bytes: a str/bin/ext length,
 *     and every array/map element still owed (each needs at least one byte),
 *     summed over all open containers, must fit in what is left of the limit.
 *
 * Only when it reports SCAN_COMPLETE may the caller hand exactly msg_len
 * bytes to msgpack-c; the unpacker's allocations are then bounded by the
 * bytes actually present.
 *
 * A header is judged as soon as it is complete (five bytes dd ff ff ff ff
 * are SCAN_TOO_LARGE at once, not NEED_MORE), and even an incomplete one
 * when its fixed part alone cannot fit: SCAN_NEED_MORE always means the
 * message can still end within max_bytes, so a caller never has to buffer
 * more than max_bytes to get a verdict.  One container owing more than
 * UINT32_MAX elements (a map of over 2^31 pairs) is SCAN_TOO_LARGE whatever
 * max_bytes is; it could only fit a limit far above CB_MAX_MAX_MESSAGE_BYTES.
 *
 * The scanner is resumable: call scan_feed() again with the same buffer
 * grown by new input (same start, larger len) and it continues where it
 * stopped instead of rescanning.  It never reads past len.
 *
 * Owns nothing; never allocates; safe to use from any thread (one scanner
 * per stream).
 */
#ifndef CASHBOOK_PROTO_SCAN_H
#define CASHBOOK_PROTO_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "cb_limits.h"

enum scan_status {
	SCAN_COMPLETE,	/* one whole message of *msg_len bytes at buf[0] */
	SCAN_NEED_MORE,	/* valid so far; feed again with more bytes */
	SCAN_TOO_LARGE,	/* the message is or declares more than max_bytes */
	SCAN_TOO_DEEP,	/* nesting deeper than max_depth */
	SCAN_INVALID,	/* not msgpack (e.g. the never-used byte 0xc1) */
};

struct scanner {
	size_t off;			/* bytes of the message accepted so far */
	unsigned depth;			/* open containers */
	uint64_t owed;			/* elements still owed by open containers */
	uint32_t left[CB_MAX_NESTING + 1]; /* elements left per open container */
};

/* Start scanning a new message (also after SCAN_COMPLETE). */
void scan_reset(struct scanner *s);

/*
 * Continue scanning buf[0..len).  buf must start at the first byte of the
 * message and hold at least the bytes given to earlier calls since the last
 * scan_reset().  max_depth must be <= CB_MAX_NESTING.
 * On SCAN_COMPLETE, *msg_len is set and the scanner must be reset before
 * the next message.  The error results are final for the stream.
 */
enum scan_status scan_feed(struct scanner *s, const uint8_t *buf, size_t len,
    size_t max_bytes, unsigned max_depth, size_t *msg_len);

/* A short human description of a non-complete status ("message larger than
 * the limit", ...). */
const char *scan_status_text(enum scan_status st);

#endif
