/*
 * ctl_args.h -- the driver's side of a command's arguments (ctl_args.c):
 * parsing them from the command's table entry, and freeing them.  The
 * commands read theirs with ctl_arg* (ctl.h) and never parse argv.
 */
#ifndef CASHBOOK_CLIENT_CTL_ARGS_H
#define CASHBOOK_CLIENT_CTL_ARGS_H

#include <stdbool.h>

#include "ctl.h"

/*
 * Parse argv (argv[0] the command's word) as cmd declares: its options and
 * the global ones (into ctx) in any order, "--" ending them, then its
 * operands.  -h/--help anywhere prints cmd's help and sets *helped.
 * CTL_EXIT_OK, or the usage error (reported).  ctl_args_free must follow
 * either way.
 */
enum ctl_retval ctl_args_parse(const struct ctl_cmd *cmd,
    struct ctl_ctx *ctx, int argc, char **argv, struct ctl_args *a,
    bool *helped);

void ctl_args_free(struct ctl_args *a);

/* A timeout in milliseconds (--timeout): 0, or -1 when s is not one. */
int ctl_parse_timeout(const char *s, int *out);

#define CTL_MAX_TIMEOUT_MS	(24 * 3600 * 1000)	/* one day */

#endif
