/*
 * random.c -- see random.h.  getrandom(2) with no flags blocks only until
 * the kernel's pool is first initialised (early boot) and returns short only
 * for requests above 256 bytes or on a signal: both are retried.
 */
#include <errno.h>
#include <sys/random.h>
#include <sys/types.h>

#include "random.h"

int
random_fill(void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
