/*
 * scan.c -- find where one msgpack message ends, without allocating
 * (see scan.h for the contract).
 *
 * This is the single place where untrusted bytes are bounded before
 * msgpack-c sees them.  It walks the raw bytes one element at a time and
 * keeps only counters: how many bytes are accepted (off), how many
 * containers are open (depth), how many elements each still owes (left[])
 * and their sum (owed).
 *
 * The invariant after every accepted element is
 *
 *	off + owed <= max_bytes
 *
 * because every owed element needs at least one more byte.  Before an
 * element is accepted, its header's declared size (a str/bin/ext payload,
 * or the elements a container will owe) is checked against what is left
 * of the limit, so a header that asks for more than the limit is rejected
 * the moment it is read, and the caller never has to buffer more than
 * max_bytes to get an answer.
 *
 * An element is accepted whole or not at all: a header or payload split
 * across the end of the buffer is left unconsumed and rescanned on the next
 * call (that costs at most one header, 9 bytes).  Containers are accepted
 * as soon as their header is complete; their elements follow one by one.
 *
 * Owns nothing, never allocates, never reads at or past len.
 */
#include <stdbool.h>

#include "scan.h"

/* Largest header of any msgpack format (0xcb float64, 0xcf/0xd3 64-bit
 * ints: type byte + 8).  The bytes we must see before we know a size. */
#define SCAN_MAX_HEADER 9

/* What one type byte says about the element it starts. */
struct scan_format {
	uint8_t hdr;		/* header bytes, type byte included */
	uint8_t len_bytes;	/* big-endian length field right after the type
				 * byte (0 when the size is in hdr/fixed) */
	uint8_t fixed;		/* payload bytes known from the type byte alone
				 * (fixstr, fixext, the ext type byte ...) */
	uint8_t kind;		/* SCAN_KIND_* */
};

enum {
	SCAN_KIND_SCALAR,	/* hdr + fixed bytes, possibly + len payload */
	SCAN_KIND_ARRAY,	/* owes n elements */
	SCAN_KIND_MAP,		/* owes 2n elements */
	SCAN_KIND_INVALID,
};

/*
 * Describe the element starting with type byte b; for the fix* formats
 * *count receives the count or length carried in the byte itself.
 */
static struct scan_format
scan_format_of(uint8_t b, uint32_t *count)
{
	struct scan_format f = { 1, 0, 0, SCAN_KIND_SCALAR };

	*count = 0;
	if (b <= 0x7f || b >= 0xe0)		/* positive / negative fixint */
		return f;
	if (b <= 0x8f) {			/* fixmap */
		*count = b & 0x0f;
		f.kind = SCAN_KIND_MAP;
		return f;
	}
	if (b <= 0x9f) {			/* fixarray */
		*count = b & 0x0f;
		f.kind = SCAN_KIND_ARRAY;
		return f;
	}
	if (b <= 0xbf) {			/* fixstr */
		f.fixed = b & 0x1f;
		return f;
	}
	switch (b) {
	case 0xc0: case 0xc2: case 0xc3:	/* nil, false, true */
		return f;
	case 0xc4: case 0xd9:			/* bin8, str8 */
		f.hdr = 2; f.len_bytes = 1; return f;
	case 0xc5: case 0xda:			/* bin16, str16 */
		f.hdr = 3; f.len_bytes = 2; return f;
	case 0xc6: case 0xdb:			/* bin32, str32 */
		f.hdr = 5; f.len_bytes = 4; return f;
	case 0xc7:				/* ext8: len, type */
		f.hdr = 3; f.len_bytes = 1; return f;
	case 0xc8:				/* ext16 */
		f.hdr = 4; f.len_bytes = 2; return f;
	case 0xc9:				/* ext32 */
		f.hdr = 6; f.len_bytes = 4; return f;
	case 0xcc: case 0xd0:			/* uint8, int8 */
		f.fixed = 1; return f;
	case 0xcd: case 0xd1:			/* uint16, int16 */
		f.fixed = 2; return f;
	case 0xca: case 0xce: case 0xd2:	/* float32, uint32, int32 */
		f.fixed = 4; return f;
	case 0xcb: case 0xcf: case 0xd3:	/* float64, uint64, int64 */
		f.fixed = 8; return f;
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		/* fixext1/2/4/8/16: ext type byte + 1 << (b - 0xd4) bytes */
		f.fixed = (uint8_t)(1 + (1u << (b - 0xd4)));
		return f;
	case 0xdc:				/* array16 */
		f.hdr = 3; f.len_bytes = 2; f.kind = SCAN_KIND_ARRAY; return f;
	case 0xdd:				/* array32 */
		f.hdr = 5; f.len_bytes = 4; f.kind = SCAN_KIND_ARRAY; return f;
	case 0xde:				/* map16 */
		f.hdr = 3; f.len_bytes = 2; f.kind = SCAN_KIND_MAP; return f;
	case 0xdf:				/* map32 */
		f.hdr = 5; f.len_bytes = 4; f.kind = SCAN_KIND_MAP; return f;
	default:				/* 0xc1: never used */
		f.kind = SCAN_KIND_INVALID;
		return f;
	}
}

void
scan_reset(struct scanner *s)
{
	s->off = 0;
	s->depth = 0;
	s->owed = 0;
	/* left[] is only read below depth, so it needs no clearing. */
}

/* An element of the innermost open container has been accepted. */
static void
scan_take_from_parent(struct scanner *s)
{
	if (s->depth > 0) {
		s->left[s->depth]--;
		s->owed--;
	}
}

/* Account for one finished element: close every container it completes.
 * Returns true when the whole message is complete. */
static bool
scan_element_done(struct scanner *s)
{
	while (s->depth > 0 && s->left[s->depth] == 0)
		s->depth--;
	return s->depth == 0;
}

enum scan_status
scan_feed(struct scanner *s, const uint8_t *buf, size_t len,
    size_t max_bytes, unsigned max_depth, size_t *msg_len)
{
	/* left[] has room for CB_MAX_NESTING open containers only. */
	if (max_depth > CB_MAX_NESTING)
		max_depth = CB_MAX_NESTING;

	while (s->off < len) {
		const uint8_t *p = buf + s->off;
		size_t avail = len - s->off;
		uint32_t count;
		struct scan_format f = scan_format_of(p[0], &count);
		/* Elements still owed once this one leaves its parent. */
		uint64_t owed_after = s->owed - (s->depth > 0 ? 1 : 0);
		uint64_t room, need;

		/* The invariant off + owed <= max_bytes holds while max_bytes
		 * stays the same; a caller lowering it mid-message gets a
		 * verdict, not a wrapped subtraction. */
		if ((uint64_t)s->off + owed_after > max_bytes)
			return SCAN_TOO_LARGE;
		/* Room left for this element and what it declares. */
		room = (uint64_t)max_bytes - s->off - owed_after;

		if (f.kind == SCAN_KIND_INVALID)
			return SCAN_INVALID;
		if ((f.kind == SCAN_KIND_ARRAY || f.kind == SCAN_KIND_MAP) &&
		    s->depth >= max_depth)
			return SCAN_TOO_DEEP;

		/* Even an incomplete header tells its minimum size. */
		if ((uint64_t)f.hdr + f.fixed > room)
			return SCAN_TOO_LARGE;
		if (avail < f.hdr)
			return SCAN_NEED_MORE;

		/* Big-endian length or count after the type byte. */
		if (f.len_bytes > 0) {
			count = 0;
			for (unsigned i = 1; i <= f.len_bytes; i++)
				count = (count << 8) | p[i];
		}

		if (f.kind == SCAN_KIND_SCALAR) {
			/* count is the str/bin/ext payload (0 otherwise). */
			need = (uint64_t)f.hdr + f.fixed + count;
			if (need > room)
				return SCAN_TOO_LARGE;
			if (avail < need)
				return SCAN_NEED_MORE;
			s->off += (size_t)need;
			scan_take_from_parent(s);
		} else {
			uint64_t elems = count;

			if (f.kind == SCAN_KIND_MAP)
				elems *= 2;
			need = (uint64_t)f.hdr + elems;
			if (need > room)
				return SCAN_TOO_LARGE;
			/* left[] counts in 32 bits: a map of more than 2^31
			 * pairs could only fit a limit above 4 GiB, far past
			 * CB_MAX_MAX_MESSAGE_BYTES; refuse rather than wrap. */
			if (elems > UINT32_MAX)
				return SCAN_TOO_LARGE;
			s->off += f.hdr;
			scan_take_from_parent(s);
			s->depth++;
			s->left[s->depth] = (uint32_t)elems;
			s->owed += elems;
		}

		if (scan_element_done(s)) {
			*msg_len = s->off;
			return SCAN_COMPLETE;
		}
	}
	return SCAN_NEED_MORE;
}

const char *
scan_status_text(enum scan_status st)
{
	switch (st) {
	case SCAN_COMPLETE:
		return "message complete";
	case SCAN_NEED_MORE:
		return "message incomplete";
	case SCAN_TOO_LARGE:
		return "message larger than the limit";
	case SCAN_TOO_DEEP:
		return "message nested too deeply";
	case SCAN_INVALID:
		return "message is not valid msgpack";
	}
	return "unknown scan status";
}
