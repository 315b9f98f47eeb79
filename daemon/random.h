/*
 * random.h -- bytes from the kernel's CSPRNG, for salts, token secrets and
 * hash seeds.  Never a userspace generator.
 */
#ifndef CASHBOOK_DAEMON_RANDOM_H
#define CASHBOOK_DAEMON_RANDOM_H

#include <stddef.h>

/* Fill buf with len random bytes.  Returns 0, or -1 with errno set. */
int random_fill(void *buf, size_t len);

#endif
