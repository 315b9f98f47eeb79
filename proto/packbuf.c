/*
 * packbuf.c -- see packbuf.h.
 */
#include <string.h>

#include "packbuf.h"

static int
packbuf_write(void *data, const char *buf, size_t len)
{
	struct packbuf *pb = data;

	if (pb->oom)
		return -1;
	if (msgpack_sbuffer_write(&pb->sb, buf, len) != 0) {
		pb->oom = true;
		return -1;
	}
	return 0;
}

void
packbuf_init(struct packbuf *pb)
{
	msgpack_sbuffer_init(&pb->sb);
	msgpack_packer_init(&pb->pk, pb, packbuf_write);
	pb->oom = false;
}

void
packbuf_destroy(struct packbuf *pb)
{
	msgpack_sbuffer_destroy(&pb->sb);
	memset(&pb->sb, 0, sizeof pb->sb);
}

void
packbuf_clear(struct packbuf *pb)
{
	msgpack_sbuffer_clear(&pb->sb);
	pb->oom = false;
}
