/*
 * ctl_file.h -- the small files cashbookctl keeps between runs (the
 * session token, the default book): where they live, and how one is
 * replaced and read back.
 *
 * They live in $XDG_CONFIG_HOME/cashbook/ when XDG_CONFIG_HOME is an
 * absolute path, else in $HOME/.config/cashbook/ (HOME must then be an
 * absolute path).  A file is written atomically (a temporary file in the
 * same directory, fsync, rename, fsync of the directory) with mode 0600;
 * missing directories are created with mode 0700.
 *
 * Owns nothing; keeps no state.  Never prints: failures are described in
 * the caller's err buffer, naming the file by the caller's "what" (e.g.
 * "token file"), and never contain the file's data.
 */
#ifndef CASHBOOK_CLIENT_CTL_FILE_H
#define CASHBOOK_CLIENT_CTL_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* Results of ctl_file_read. */
enum {
	CTL_FILE_ERROR = -1,	/* refused or unreadable: see err */
	CTL_FILE_OK = 0,
	CTL_FILE_NONE = 1,	/* the file does not exist */
};

/*
 * Write the path of the file called name in cashbookctl's configuration
 * directory into buf.  0, or -1 with why in err (buf too small, or
 * neither XDG_CONFIG_HOME nor HOME is an absolute path).
 */
int ctl_file_path(const char *name, const char *what, char *buf, size_t len,
    char *err, size_t errlen);

/*
 * Replace the file at path (an absolute path) with data[0..len),
 * atomically, mode 0600, creating missing directories.  0, or -1 with why
 * in err; the old file (if any) is then unchanged and no temporary file
 * is left behind.
 */
int ctl_file_write(const char *path, const char *data, size_t len,
    const char *what, char *err, size_t errlen);

/*
 * Read the file at path, which must be a regular file (a symbolic link is
 * refused, never followed) owned by this user, into buf as a string
 * without its trailing newline (or CR LF).  CTL_FILE_OK, CTL_FILE_NONE,
 * or CTL_FILE_ERROR with why in err (also when it holds len bytes or
 * more, or a NUL).
 */
int ctl_file_read(const char *path, char *buf, size_t len, const char *what,
    char *err, size_t errlen);

/*
 * Remove the file at path.  0 (*removed tells whether there was one), or
 * -1 with why in err.
 */
int ctl_file_remove(const char *path, bool *removed, const char *what,
    char *err, size_t errlen);

#endif
