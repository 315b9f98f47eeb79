/*
 * ctl_prompt.c -- reading a line at the terminal, with echo turned off for
 * passwords, without ever leaving the terminal in that state.
 *
 * How an interrupted prompt restores the terminal (after OpenBSD's
 * readpassphrase(3)): the caught signals are blocked for the whole prompt
 * and let in only inside ppoll() (which unblocks them atomically, so none
 * is missed between a check and a wait) and around a read() that poll said
 * will not block.  The handler only records the signal.  The main flow
 * then restores the terminal and the old handlers and mask, and sends the
 * signal to itself again, so it ends (or stops) the process as it would
 * have without us.  After a stop, the prompt starts over.
 *
 * Owns, during one call only: the /dev/tty descriptor, the saved terminal
 * settings, the saved signal dispositions and mask.  All are restored or
 * closed before returning, on every path.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "errbuf.h"
#include "ctl_prompt.h"

static const int prompt_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU,
};
#define PROMPT_NSIGNALS	(sizeof prompt_signals / sizeof prompt_signals[0])

/* The signal caught during the prompt, 0 if none. */
static volatile sig_atomic_t prompt_caught;

static void
prompt_on_signal(int sig)
{
	prompt_caught = sig;
}

static int
write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, s, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/* What one attempt at the prompt saved, to put back. */
struct prompt_state {
	struct sigaction old_actions[PROMPT_NSIGNALS];
	bool caught[PROMPT_NSIGNALS];	/* our handler is installed */
	sigset_t old_mask;
	bool mask_saved;		/* old_mask holds the mask to restore */
	sigset_t blocked;
	struct termios old_term;
	bool term_changed;
};

/* Block the signals and catch those not ignored. */
static int
prompt_catch(struct prompt_state *st)
{
	struct sigaction sa;

	sigemptyset(&st->blocked);
	for (size_t i = 0; i < PROMPT_NSIGNALS; i++)
		sigaddset(&st->blocked, prompt_signals[i]);
	if (sigprocmask(SIG_BLOCK, &st->blocked, &st->old_mask) != 0)
		return -1;
	st->mask_saved = true;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = prompt_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: wake ppoll and read */
	prompt_caught = 0;
	for (size_t i = 0; i < PROMPT_NSIGNALS; i++) {
		st->caught[i] = false;
		if (sigaction(prompt_signals[i], NULL, &st->old_actions[i])
		    != 0)
			return -1;
		if (st->old_actions[i].sa_handler == SIG_IGN)
			continue;
		if (sigaction(prompt_signals[i], &sa, NULL) != 0)
			return -1;
		st->caught[i] = true;
	}
	return 0;
}

/* Put back the handlers and the mask (a caught signal is then raised by
 * the caller).  Called also after a partial prompt_catch. */
static void
prompt_release(struct prompt_state *st)
{
	for (size_t i = 0; i < PROMPT_NSIGNALS; i++) {
		/* Cannot fail for a valid signal and a saved action. */
		if (st->caught[i])
			(void)sigaction(prompt_signals[i],
			    &st->old_actions[i], NULL);
		st->caught[i] = false;
	}
	if (st->mask_saved)
		(void)sigprocmask(SIG_SETMASK, &st->old_mask, NULL);
	st->mask_saved = false;
}

/* Put the terminal back as it was. */
static void
prompt_restore_term(int fd, struct prompt_state *st)
{
	if (!st->term_changed)
		return;
	/* If this fails there is nothing better to do: the caller reports
	 * the prompt's result, and the shell's "reset" remains. */
	(void)tcsetattr(fd, TCSANOW, &st->old_term);
	st->term_changed = false;
}

/*
 * Read one line from the terminal fd into buf while the signals are
 * blocked.  OK, FAILED (with err), or FAILED with *sig set when a signal
 * came.
 */
static int
prompt_read_line(int fd, struct prompt_state *st, char *buf, size_t len,
    int *sig, char *err, size_t errlen)
{
	size_t n = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;
		char *nl;

		if (prompt_caught != 0) {
			*sig = prompt_caught;
			return CTL_PROMPT_FAILED;
		}
		if (ppoll(&pfd, 1, NULL, &st->old_mask) < 0) {
			if (errno == EINTR)
				continue;
			errbuf_set(err, errlen, "cannot read from the terminal: "
			    "%s", strerror(errno));
			return CTL_PROMPT_FAILED;
		}
		/* The data is there: read() does not block, so letting the
		 * signals in around it cannot lose one (a background read
		 * gets SIGTTIN, which stops us properly). */
		(void)sigprocmask(SIG_SETMASK, &st->old_mask, NULL);
		r = read(fd, buf + n, len - 1 - n);
		(void)sigprocmask(SIG_BLOCK, &st->blocked, NULL);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			errbuf_set(err, errlen, "cannot read from the terminal: "
			    "%s", strerror(errno));
			return CTL_PROMPT_FAILED;
		}
		if (r == 0) {
			/* Ctrl-D: on an empty line it cancels; after some
			 * input it ends the line. */
			if (n == 0) {
				errbuf_set(err, errlen, "cancelled (end of input)");
				return CTL_PROMPT_FAILED;
			}
			break;
		}
		nl = memchr(buf + n, '\n', (size_t)r);
		n += (size_t)r;
		if (nl != NULL) {
			n = (size_t)(nl - buf);
			break;
		}
		if (n == len - 1) {
			/* Discard the rest of the line: left in the terminal,
			 * the shell would run it as a command. */
			(void)tcflush(fd, TCIFLUSH);
			errbuf_set(err, errlen, "the line is too long (more than "
			    "%zu bytes)", len - 2);
			return CTL_PROMPT_FAILED;
		}
	}
	buf[n] = '\0';
	return CTL_PROMPT_OK;
}

int
ctl_prompt_read(const char *prompt, bool echo, char *buf, size_t len,
    char *err, size_t errlen)
{
	struct prompt_state st;
	struct termios term;
	int fd, rc, sig;

	if (len < 2) {
		errbuf_set(err, errlen, "no room for an answer");
		return CTL_PROMPT_FAILED;
	}
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		errbuf_set(err, errlen, "there is no terminal to ask on "
		    "(/dev/tty: %s)", strerror(errno));
		return CTL_PROMPT_NO_TTY;
	}
again:
	buf[0] = '\0';
	sig = 0;
	memset(&st, 0, sizeof st);
	if (prompt_catch(&st) != 0) {
		errbuf_set(err, errlen, "cannot set up signal handling: %s",
		    strerror(errno));
		rc = CTL_PROMPT_FAILED;
		goto out;
	}
	if (!echo) {
		if (tcgetattr(fd, &st.old_term) != 0) {
			errbuf_set(err, errlen, "cannot read the terminal's "
			    "settings: %s", strerror(errno));
			rc = CTL_PROMPT_FAILED;
			goto out;
		}
		term = st.old_term;
		term.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		/* Set first, then flag: restoring never runs on settings
		 * that were not changed.  TCSANOW, not readpassphrase's
		 * TCSAFLUSH: what was typed ahead is kept for this prompt.
		 * Flushing it lost the repeated password typed (or pasted)
		 * with the first, and left the user at "Repeat password: "
		 * waiting; a line typed ahead while echo was on was seen
		 * already, and discarding it would not unsee it. */
		if (tcsetattr(fd, TCSANOW, &term) != 0) {
			errbuf_set(err, errlen, "cannot turn off echo: %s",
			    strerror(errno));
			rc = CTL_PROMPT_FAILED;
			goto out;
		}
		st.term_changed = true;
	}
	if (write_all(fd, prompt, strlen(prompt)) != 0) {
		errbuf_set(err, errlen, "cannot write to the terminal: %s",
		    strerror(errno));
		rc = CTL_PROMPT_FAILED;
		goto out;
	}
	rc = prompt_read_line(fd, &st, buf, len, &sig, err, errlen);
out:
	if (st.term_changed) {
		prompt_restore_term(fd, &st);
		/* The newline the user typed was not echoed. */
		(void)write_all(fd, "\n", 1);
	}
	prompt_release(&st);
	if (sig != 0) {
		explicit_bzero(buf, len);
		/* Take the signal's ordinary course: die, or stop. */
		(void)raise(sig);
		if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
			goto again;
		errbuf_set(err, errlen, "interrupted");
		rc = CTL_PROMPT_FAILED;
	}
	if (rc != CTL_PROMPT_OK)
		explicit_bzero(buf, len);
	/* The descriptor was only read and written through; its close
	 * cannot lose anything. */
	(void)close(fd);
	return rc;
}

int
ctl_prompt_read_fd(int fd, char *buf, size_t len, char *err, size_t errlen)
{
	size_t n = 0;
	char c;

	if (len < 2) {
		errbuf_set(err, errlen, "no room for an answer");
		return CTL_PROMPT_FAILED;
	}
	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			errbuf_set(err, errlen, "cannot read standard input: %s",
			    strerror(errno));
			goto fail;
		}
		if (r == 0) {
			if (n == 0) {
				errbuf_set(err, errlen, "standard input ended "
				    "before a line was read");
				goto fail;
			}
			break;
		}
		if (c == '\n')
			break;
		if (n == len - 1) {
			errbuf_set(err, errlen, "the line on standard input is "
			    "too long (more than %zu bytes)", len - 1);
			goto fail;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	explicit_bzero(&c, sizeof c);
	return CTL_PROMPT_OK;
fail:
	explicit_bzero(buf, len);
	explicit_bzero(&c, sizeof c);
	return CTL_PROMPT_FAILED;
}
