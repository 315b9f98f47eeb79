/*
 * packbuf.h -- a msgpack packer writing into a growable buffer that
 * remembers running out of memory.
 *
 * msgpack-c's packer functions return -1 when the buffer cannot grow, and
 * code that packs a dozen fields would need a dozen checks.  Instead the
 * write callback records the failure (sticky) and the owner checks
 * packbuf_failed() once, when the message is complete.
 *
 * Messages may carry passwords and tokens: memory is wiped when cleared,
 * freed, or left behind by growth.
 */
#ifndef CASHBOOK_PROTO_PACKBUF_H
#define CASHBOOK_PROTO_PACKBUF_H

#include <stdbool.h>

#include <msgpack.h>

struct packbuf {
	msgpack_sbuffer sb;		/* sb.data / sb.size: the bytes */
	msgpack_packer pk;
	bool oom;
};

void packbuf_init(struct packbuf *pb);
void packbuf_destroy(struct packbuf *pb);

/* Forget the contents, keep the memory. */
void packbuf_clear(struct packbuf *pb);

static inline bool
packbuf_failed(const struct packbuf *pb)
{
	return pb->oom;
}

#endif
