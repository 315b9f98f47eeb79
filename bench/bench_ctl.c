/*
 * bench_ctl.c -- wall time of one whole `cashbookctl --socket PATH ping`,
 * as a user typing it would feel it: posix_spawn, exec, dynamic linking,
 * connect, one ping, print, exit, and our waitpid seeing it gone.
 *
 * cashbookctl's output goes to /dev/null (printing to a terminal is not
 * what we measure); its stderr is left alone, so a failure says why.  A
 * failed run (non-zero exit) stops the measurement: a time for a ping
 * that did not happen would mean nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

/* Unmeasured runs first, so the binary and its libraries are in the page
 * cache and the first measured run is not a cold start. */
#define CTL_WARMUP_RUNS	3

/* Spawn one cashbookctl and wait for it.  0 with its wall time in *ns,
 * or -1 with err. */
static int
ctl_once(const char *ctl_path, const char *socket_path,
    const posix_spawn_file_actions_t *fa, uint64_t *ns, char *err,
    size_t errlen)
{
	char *argv[] = { (char *)ctl_path, (char *)"--socket",
	    (char *)socket_path, (char *)"ping", NULL };
	uint64_t t0, t1;
	pid_t pid, w;
	int rc, status;

	t0 = bench_now_ns();
	rc = posix_spawn(&pid, ctl_path, fa, NULL, argv, environ);
	if (rc != 0) {
		snprintf(err, errlen, "posix_spawn %s: %s", ctl_path,
		    strerror(rc));
		return -1;
	}
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	t1 = bench_now_ns();
	if (w < 0) {
		snprintf(err, errlen, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		*ns = t1 - t0;
		return 0;
	}
	if (WIFEXITED(status))
		snprintf(err, errlen, "%s ping exited with status %d",
		    ctl_path, WEXITSTATUS(status));
	else
		snprintf(err, errlen, "%s ping killed by signal %d", ctl_path,
		    WIFSIGNALED(status) ? WTERMSIG(status) : -1);
	return -1;
}

int
ctl_run(const char *ctl_path, const char *socket_path, int runs,
    struct ctl_result *out, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	struct samples s = { 0 };
	struct latency lat;
	uint64_t ns;
	int rc, result = -1;

	memset(out, 0, sizeof *out);
	if (runs < 1) {
		snprintf(err, errlen, "runs must be >= 1");
		return -1;
	}
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		snprintf(err, errlen, "posix_spawn_file_actions_init: %s",
		    strerror(rc));
		return -1;
	}
	rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
	    O_WRONLY, 0);
	if (rc != 0) {
		snprintf(err, errlen, "posix_spawn_file_actions_addopen: %s",
		    strerror(rc));
		goto out;
	}
	for (int i = 0; i < CTL_WARMUP_RUNS; i++) {
		if (ctl_once(ctl_path, socket_path, &fa, &ns, err, errlen))
			goto out;
	}
	for (int i = 0; i < runs; i++) {
		if (ctl_once(ctl_path, socket_path, &fa, &ns, err, errlen))
			goto out;
		if (samples_add(&s, ns) != 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	samples_summarise(&s, &lat);
	out->runs = runs;
	out->mean_ms = lat.mean_us / 1000.0;
	out->p50_ms = lat.p50_us / 1000.0;
	out->p99_ms = lat.p99_us / 1000.0;
	out->max_ms = lat.max_us / 1000.0;
	result = 0;
out:
	samples_free(&s);
	/* Cannot fail for an initialised object. */
	(void)posix_spawn_file_actions_destroy(&fa);
	return result;
}
