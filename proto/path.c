/*
 * path.c -- naming a file that may not exist yet (see path.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

int
path_split(const char *path, char *dir, size_t dirlen, const char **base)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (slash == NULL) {
		n = snprintf(dir, dirlen, ".");
		*base = path;
	} else if (slash == path) {
		n = snprintf(dir, dirlen, "/");
		*base = slash + 1;
	} else {
		n = snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
		*base = slash + 1;
	}
	return n < 0 || (size_t)n >= dirlen ? -1 : 0;
}

int
path_canonical(const char *path, char *out, size_t outlen)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *base;
	int n;

	if (path_split(path, dir, sizeof dir, &base) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (realpath(dir, real) == NULL)
		return -1;
	n = snprintf(out, outlen, "%s%s%s", real, strcmp(real, "/") == 0 ?
	    "" : "/", base);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
