/*
 * packbuf.c -- see packbuf.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packbuf.h"

/*
 * Most messages are a few dozen bytes: start small and double, instead of
 * msgpack_sbuffer's 8 KiB first allocation (which, per request, made the
 * daemon's heap grow and shrink and fault pages in).
 */
#define PACKBUF_FIRST_ALLOC 256

static int
packbuf_write(void *data, const char *buf, size_t len)
{
	struct packbuf *pb = data;
	msgpack_sbuffer *sb = &pb->sb;
	size_t cap;
	char *p;

	if (pb->oom)
		return -1;
	if (sb->alloc - sb->size < len) {
		cap = sb->alloc != 0 ? sb->alloc : PACKBUF_FIRST_ALLOC;
		while (cap - sb->size < len) {
			if (cap > SIZE_MAX / 2)
				goto oom;
			cap *= 2;
		}
		/* Not realloc: the old block may hold a password or a
		 * token, and must be wiped, not left behind in the heap. */
		if ((p = malloc(cap)) == NULL)
			goto oom;
		if (sb->data != NULL) {
			memcpy(p, sb->data, sb->size);
			explicit_bzero(sb->data, sb->alloc);
			free(sb->data);
		}
		sb->data = p;
		sb->alloc = cap;
	}
	memcpy(sb->data + sb->size, buf, len);
	sb->size += len;
	return 0;
oom:
	pb->oom = true;
	return -1;
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
	if (pb->sb.data != NULL)
		explicit_bzero(pb->sb.data, pb->sb.alloc);
	msgpack_sbuffer_destroy(&pb->sb);
	memset(&pb->sb, 0, sizeof pb->sb);
}

void
packbuf_clear(struct packbuf *pb)
{
	if (pb->sb.data != NULL)
		explicit_bzero(pb->sb.data, pb->sb.size);
	msgpack_sbuffer_clear(&pb->sb);
	pb->oom = false;
}
