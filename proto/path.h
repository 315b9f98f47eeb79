/*
 * path.h -- naming a file that may not exist yet: its directory resolved,
 * its last component as given.  Shared by cashbookctl (a backup's FILE is
 * sent absolute: cashbookd does not run in the caller's directory) and
 * cashbookd (a backup must never land on the live database under another
 * name).
 *
 * Never: creates, opens or stats the file itself.
 */
#ifndef CASHBOOK_PROTO_PATH_H
#define CASHBOOK_PROTO_PATH_H

#include <stddef.h>

/* dir and *base of path: dir "." when path names none, "/" for the root.
 * 0, or -1 when dir does not fit dirlen. */
int path_split(const char *path, char *dir, size_t dirlen,
    const char **base);

/* path with its directory resolved (realpath: symlinks, "..") and its
 * last component as given, into out.  0, or -1 with errno (the directory
 * is not there; ENAMETOOLONG). */
int path_canonical(const char *path, char *out, size_t outlen);

#endif
