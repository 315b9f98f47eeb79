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
 * Also the output file of an export (struct ctl_file_out), written in
 * steps and renamed into place the same way.
 *
 * Owns nothing; keeps no state.  Never prints: failures are described in
 * the caller's err buffer, naming the file by the caller's "what" (e.g.
 * "token file"), and never contain the file's data.
 */
#ifndef CASHBOOK_CLIENT_CTL_FILE_H
#define CASHBOOK_CLIENT_CTL_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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
 * A file written in steps and put in place only once complete (an
 * export): the data goes to a temporary file beside path (".NAME.XXXXXX",
 * mode 0600) and ctl_file_out_commit renames it over path; until then,
 * and whenever anything fails, path is untouched and a reader never sees
 * a half file under its name.  path may be relative.
 */
struct ctl_file_out {
	FILE *f;			/* write here; NULL when not open */
	char path[PATH_MAX];
	char tmp[PATH_MAX];
};

/* Open out for path.  0, or -1 with why in err (out->f NULL). */
int ctl_file_out_open(struct ctl_file_out *out, const char *path,
    const char *what, char *err, size_t errlen);

/* Flush, sync and close out->f, and rename the temporary file to its
 * path.  0, or -1 with why in err; either way out is closed and no
 * temporary file is left. */
int ctl_file_out_commit(struct ctl_file_out *out, const char *what,
    char *err, size_t errlen);

/* Close out (if open) and remove its temporary file, leaving path as it
 * was. */
void ctl_file_out_abort(struct ctl_file_out *out);

/*
 * Remove the file at path.  0 (*removed tells whether there was one), or
 * -1 with why in err.
 */
int ctl_file_remove(const char *path, bool *removed, const char *what,
    char *err, size_t errlen);

#endif
