/*
 * ctl_prompt.h -- asking the user for a line at the terminal (a username
 * with echo, a password without), and reading a secret line from a
 * descriptor for scripts (--password-stdin).
 *
 * Prompts go to and answers come from /dev/tty, never stdin/stdout, so
 * they work with output redirected and never mix with --json.  While echo
 * is off, SIGINT, SIGTERM, SIGHUP, SIGQUIT and the job-control signals are
 * caught: the terminal is restored first, then the signal takes its
 * ordinary course (the process dies, or stops; after SIGCONT the prompt is
 * asked again).  A signal whose disposition was SIG_IGN stays ignored.
 *
 * Owns nothing between calls.  Never keeps a copy of what was typed: the
 * caller owns the buffer and must wipe it (explicit_bzero) after use.
 * Not thread-safe (signal handlers and terminal state are per process).
 */
#ifndef CASHBOOK_CLIENT_CTL_PROMPT_H
#define CASHBOOK_CLIENT_CTL_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

/* A buffer for one line of input: longer than any password cashbookd
 * takes (so cashbookd, not the prompt, says what is too long), and the
 * most a terminal in canonical mode accepts on one line. */
#define CTL_PROMPT_BUF	4096

/* Results. */
enum {
	CTL_PROMPT_OK = 0,
	CTL_PROMPT_FAILED = -1,	/* read error, EOF (cancelled), line too long,
				   interrupted: see err */
	CTL_PROMPT_NO_TTY = -2,	/* there is no terminal to ask on */
};

/*
 * Write prompt to the terminal and read one line into buf (without its
 * newline, NUL-terminated), echoing what is typed only when echo is true.
 * Returns CTL_PROMPT_OK, or another result with why in err.
 */
int ctl_prompt_read(const char *prompt, bool echo, char *buf, size_t len,
    char *err, size_t errlen);

/*
 * Read one line from fd into buf, without its newline, a byte at a time so
 * that nothing past the line is consumed (a script may pass two lines for
 * two reads) and no copy is left in a stdio buffer.  End of input ends the
 * last line; end of input before any byte is an error.  Returns
 * CTL_PROMPT_OK or CTL_PROMPT_FAILED with why in err.
 */
int ctl_prompt_read_fd(int fd, char *buf, size_t len, char *err,
    size_t errlen);

#endif
