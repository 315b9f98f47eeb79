/*
 * ctl_args.c -- a command's arguments, parsed from its table entry: its
 * options and the global ones with getopt_long (any order, before or after
 * the operands), then its operands counted against what it declares.
 *
 * Owns the arrays of a struct ctl_args (ctl_args_parse allocates them,
 * ctl_args_free frees them); the strings stay argv's.  Reports usage
 * errors through ctl_usage and nothing else; never connects.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_args.h"

/* getopt_long's value for option i of a command (past every letter), and
 * for global option i after them. */
#define OPT_VAL_BASE		256


static size_t
opts_count(const struct ctl_optdef *opts)
{
	size_t n = 0;

	while (opts != NULL && opts[n].name != NULL)
		n++;
	return n;
}

/* The index in a->opts of option name (an alias stands for its option),
 * or -1. */
static int
opt_index(const struct ctl_optdef *opts, const char *name)
{
	for (int i = 0; opts != NULL && opts[i].name != NULL; i++) {
		if (strcmp(opts[i].name, name) == 0)
			return i;
	}
	return -1;
}

/* Where a hidden alias's values go: the option it spells. */
static int
opt_target(const struct ctl_optdef *opts, int i)
{
	int t;

	if (opts[i].alias_of == NULL)
		return i;
	t = opt_index(opts, opts[i].alias_of);
	return t >= 0 ? t : i;
}

const char *
ctl_arg(const struct ctl_args *a, const char *name)
{
	int i = opt_index(a->opts, name);

	return i >= 0 ? a->value[i] : NULL;
}

bool
ctl_arg_flag(const struct ctl_args *a, const char *name)
{
	int i = opt_index(a->opts, name);

	return i >= 0 && a->count[i] > 0;
}

size_t
ctl_arg_list(const struct ctl_args *a, const char *name, const char **out,
    size_t max)
{
	int i = opt_index(a->opts, name);
	size_t n = 0;

	for (int k = 0; i >= 0 && k < a->ngiven && n < max; k++) {
		if (a->given_opt[k] == i)
			out[n++] = a->given[k];
	}
	return n;
}

void
ctl_args_free(struct ctl_args *a)
{
	free(a->argv);
	free(a->value);
	free(a->count);
	free(a->given);
	free(a->given_opt);
	free(a->dates);
	memset(a, 0, sizeof *a);
}

/* "-3" and "-.5": an operand (a negative amount, which the command then
 * refuses with a reason), never an option. */
static bool
looks_negative(const char *s)
{
	return s[0] == '-' && (s[1] == '.' || isdigit((unsigned char)s[1]));
}

/* Whether a (an option as typed, no '=') takes its value from the next
 * argument: a long name or the unique long name it abbreviates, or a
 * short letter last in its cluster. */
static bool
takes_next(const struct option *lo, const char *optstring, const char *a)
{
	size_t len;
	int found = -1, n = 0;

	if (a[0] != '-' || a[1] == '\0' || strchr(a, '=') != NULL)
		return false;
	if (a[1] != '-') {
		const char *c = strchr(optstring, a[strlen(a) - 1]);

		return c != NULL && c[1] == ':';
	}
	len = strlen(a + 2);
	for (int i = 0; lo[i].name != NULL; i++) {
		if (strncmp(lo[i].name, a + 2, len) != 0)
			continue;
		if (strlen(lo[i].name) == len)
			return lo[i].has_arg == required_argument;
		found = i;
		n++;
	}
	return n == 1 && lo[found].has_arg == required_argument;
}

/* The option (command's or global) named by getopt's value v. */
static const struct ctl_optdef *
opt_of_val(const struct ctl_args *a, size_t nopts, int v)
{
	if (v >= OPT_VAL_BASE + (int)nopts)
		return &ctl_global_opts[v - OPT_VAL_BASE - (int)nopts];
	if (v >= OPT_VAL_BASE)
		return &a->opts[v - OPT_VAL_BASE];
	for (size_t i = 0; i < nopts; i++) {
		if (a->opts[i].letter == v)
			return &a->opts[i];
	}
	for (size_t i = 0; ctl_global_opts[i].name != NULL; i++) {
		if (ctl_global_opts[i].letter == v)
			return &ctl_global_opts[i];
	}
	return NULL;
}

/* Build getopt_long's tables: the command's options, then the global
 * ones.  0, or -1 when out of memory. */
static int
getopt_tables(const struct ctl_optdef *opts, size_t nopts,
    struct option **lo_out, char **optstring_out)
{
	size_t nglobal = opts_count(ctl_global_opts), k = 0, j = 0;
	struct option *lo = calloc(nopts + nglobal + 1, sizeof *lo);
	char *os = malloc(3 * (nopts + nglobal) + 2);

	if (lo == NULL || os == NULL) {
		free(lo);
		free(os);
		return -1;
	}
	os[k++] = ':';		/* ':' for a missing value, '?' else */
	os[k] = '\0';
	for (size_t i = 0; i < nopts + nglobal; i++) {
		const struct ctl_optdef *o = i < nopts ? &opts[i] :
		    &ctl_global_opts[i - nopts];

		lo[j].name = o->name;
		lo[j].has_arg = o->arg != NULL ? required_argument :
		    no_argument;
		lo[j].val = OPT_VAL_BASE + (int)i;
		j++;
		/* After the command word, -t is the command's (--tag);
		 * --timeout is spelled out there. */
		if (o->letter == 0 || (i >= nopts && (strchr(os, o->letter) !=
		    NULL || strcmp(o->name, "timeout") == 0)))
			continue;
		os[k++] = (char)o->letter;
		if (o->arg != NULL)
			os[k++] = ':';
		os[k] = '\0';
	}
	os[k] = '\0';
	*lo_out = lo;
	*optstring_out = os;
	return 0;
}

/* A timeout in milliseconds: digits only, 0 .. CTL_MAX_TIMEOUT_MS. */
int
ctl_parse_timeout(const char *s, int *out)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > CTL_MAX_TIMEOUT_MS)
		return -1;
	*out = (int)v;
	return 0;
}

/* A global option given after the command word. */
static enum ctl_retval
global_take(struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    const struct ctl_optdef *o, const char *value)
{
	if (strcmp(o->name, "json") == 0)
		ctx->json = true;
	else if (strcmp(o->name, "book") == 0)
		ctx->book = value;
	else if (strcmp(o->name, "socket") == 0) {
		ctx->socket_path = value;
		ctx->socket_given = true;
	} else if (strcmp(o->name, "timeout") == 0 &&
	    ctl_parse_timeout(value, &ctx->timeout_ms) != 0)
		return ctl_usage(ctx, cmd, "--timeout wants milliseconds from "
		    "0 to %d, not '%s'", CTL_MAX_TIMEOUT_MS, value);
	return CTL_EXIT_OK;
}

/* The option a given value v belongs to, counted; a usage error when a
 * repeatable one is given too often. */
static enum ctl_retval
opt_take(struct ctl_args *a, struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    int i, const char *value)
{
	int t = opt_target(a->opts, i);
	const struct ctl_optdef *o = &a->opts[t];

	if ((o->flags & CTL_OPT_MULTI) != 0 && o->max > 0 &&
	    a->count[t] == o->max)
		return ctl_usage(ctx, cmd, "%s: --%s may be given at most %d "
		    "times", cmd->name, o->name, o->max);
	a->count[t]++;
	a->value[t] = value;
	a->given[a->ngiven] = value;
	a->given_opt[a->ngiven++] = t;
	return CTL_EXIT_OK;
}

/* The names of opts starting with prefix, for "ambiguous option". */
static void
opt_candidates(const struct ctl_optdef *opts, const char *prefix, char *buf,
    size_t len, int *n)
{
	size_t plen = strcspn(prefix, "=");

	buf[0] = '\0';
	*n = 0;
	for (size_t g = 0; g < 2; g++) {
		const struct ctl_optdef *list = g == 0 ? opts : ctl_global_opts;

		for (size_t i = 0; list != NULL && list[i].name != NULL; i++) {
			size_t used = strlen(buf);

			if ((list[i].flags & CTL_OPT_HIDDEN) != 0 ||
			    strncmp(list[i].name, prefix, plen) != 0)
				continue;
			snprintf(buf + used, len - used, "%s--%s", *n > 0 ?
			    ", " : "", list[i].name);
			(*n)++;
		}
	}
}

/* Report the option getopt_long refused ('?'). */
static enum ctl_retval
opt_refused(struct ctl_args *a, struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    size_t nopts, char **av)
{
	const char *typed = av[optind - 1];
	const struct ctl_optdef *o;
	char names[512];
	int n;

	if (optopt != 0 && (o = opt_of_val(a, nopts, optopt)) != NULL)
		return ctl_usage(ctx, cmd, "%s: --%s takes no value",
		    cmd->name, o->name);
	if (optopt != 0)
		return ctl_usage(ctx, cmd, "%s: unknown option '-%c'",
		    cmd->name, optopt);
	/* Never the "=VALUE": it may be a secret (--password=...). */
	opt_candidates(a->opts, typed + 2, names, sizeof names, &n);
	if (strncmp(typed, "--", 2) == 0 && n > 1)
		return ctl_usage(ctx, cmd, "%s: ambiguous option '%.*s': "
		    "could be %s", cmd->name, (int)strcspn(typed, "="), typed,
		    names);
	return ctl_usage(ctx, cmd, "%s: unknown option '%.*s'", cmd->name,
	    (int)strcspn(typed, "="), typed);
}

/* Count the operands against what cmd declares. */
static enum ctl_retval
operands_check(struct ctl_ctx *ctx, const struct ctl_cmd *cmd, int n,
    char **operands)
{
	const struct ctl_operand *ops = cmd->operands;
	int min = 0, max = 0;
	char need[256];

	for (int i = 0; ops != NULL && ops[i].name != NULL; i++) {
		if ((ops[i].flags & CTL_ARG_REPEAT) != 0)
			max = INT_MAX;
		else if (max != INT_MAX)
			max++;
		if ((ops[i].flags & CTL_ARG_OPTIONAL) == 0 && min == i)
			min++;
	}
	if (n > max) {
		if (max == 0)
			return ctl_usage(ctx, cmd, "%s takes no arguments (got "
			    "'%s')", cmd->name, operands[0]);
		return ctl_usage(ctx, cmd, "%s: too many arguments",
		    cmd->name);
	}
	if (n >= min)
		return CTL_EXIT_OK;
	if (cmd->needs != NULL)
		return ctl_usage(ctx, cmd, "%s needs %s", cmd->name,
		    cmd->needs);
	need[0] = '\0';
	for (int i = n; i < min; i++) {
		size_t used = strlen(need);

		snprintf(need + used, sizeof need - used, "%s%s",
		    i > n ? " " : "", ops[i].name);
	}
	return ctl_usage(ctx, cmd, "%s needs %s", cmd->name, need);
}

/*
 * Refuse a long option typed as a strict prefix of a CTL_OPT_EXACT one
 * ("--password" for "--password-stdin": the value after it could be a
 * password, which must never be taken nor shown).  Runs before getopt.
 */
static enum ctl_retval
exact_check(struct ctl_ctx *ctx, const struct ctl_cmd *cmd, int argc,
    char **argv, const struct option *lo, const char *os)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		size_t len = strcspn(a, "=");

		if (i > 1 && takes_next(lo, os, argv[i - 1]))
			continue;
		if (strncmp(a, "--", 2) != 0 || len <= 2)
			continue;
		for (size_t k = 0; cmd->opts != NULL &&
		    cmd->opts[k].name != NULL; k++) {
			const char *name = cmd->opts[k].name;

			if ((cmd->opts[k].flags & CTL_OPT_EXACT) != 0 &&
			    strlen(name) > len - 2 &&
			    strncmp(name, a + 2, len - 2) == 0)
				return ctl_usage(ctx, cmd, "%s: unknown option "
				    "'%.*s'", cmd->name, (int)len, a);
		}
	}
	return CTL_EXIT_OK;
}

/* Whether -h or --help comes before any "--": help wins over everything
 * else on the line. */
static bool
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

static enum ctl_retval
args_alloc(struct ctl_args *a, size_t nopts, int argc)
{
	a->argv = calloc((size_t)argc + 1, sizeof *a->argv);
	a->value = calloc(nopts + 1, sizeof *a->value);
	a->count = calloc(nopts + 1, sizeof *a->count);
	a->given = calloc((size_t)argc + 1, sizeof *a->given);
	a->given_opt = calloc((size_t)argc + 1, sizeof *a->given_opt);
	if (a->argv == NULL || a->value == NULL || a->count == NULL ||
	    a->given == NULL || a->given_opt == NULL)
		return CTL_EXIT_FAILED;
	return CTL_EXIT_OK;
}

/* Run getopt_long over av (a copy of argv, which it permutes): options
 * into a, operands left at av[optind..]. */
static enum ctl_retval
args_getopt(struct ctl_args *a, struct ctl_ctx *ctx, const struct ctl_cmd *cmd,
    int argc, char **av, const struct option *lo, const char *os,
    size_t nopts)
{
	const struct ctl_optdef *o;
	enum ctl_retval rc;
	int v;

	optind = 0;		/* glibc: start afresh (main used getopt) */
	opterr = 0;
	while ((v = getopt_long(argc, av, os, lo, NULL)) != -1) {
		if (v == '?')
			return opt_refused(a, ctx, cmd, nopts, av);
		if (v == ':') {
			o = opt_of_val(a, nopts, optopt);
			return ctl_usage(ctx, cmd, "%s: --%s needs a value",
			    cmd->name, o != NULL ? o->name : "?");
		}
		if ((o = opt_of_val(a, nopts, v)) == NULL)
			return ctl_usage(ctx, cmd, "%s: unknown option",
			    cmd->name);
		if (o >= a->opts && o < a->opts + nopts)
			rc = opt_take(a, ctx, cmd, (int)(o - a->opts), optarg);
		else
			rc = global_take(ctx, cmd, o, optarg);
		if (rc != CTL_EXIT_OK)
			return rc;
	}
	return CTL_EXIT_OK;
}

enum ctl_retval
ctl_args_parse(const struct ctl_cmd *cmd, struct ctl_ctx *ctx, int argc,
    char **argv, struct ctl_args *a, bool *helped)
{
	size_t nopts = opts_count(cmd->opts);
	struct option *lo = NULL;
	char *os = NULL, **av = NULL, **moved = NULL;
	enum ctl_retval rc;
	int n = 0;

	memset(a, 0, sizeof *a);
	a->opts = cmd->opts;
	*helped = false;
	if (wants_help(argc, argv)) {
		ctl_help_print(stdout, cmd);
		*helped = true;
		return CTL_EXIT_OK;
	}
	av = calloc((size_t)argc + 1, sizeof *av);
	moved = calloc((size_t)argc + 1, sizeof *moved);
	if (av == NULL || moved == NULL || args_alloc(a, nopts, argc) !=
	    CTL_EXIT_OK || getopt_tables(cmd->opts, nopts, &lo, &os) != 0) {
		rc = ctl_error(ctx, CTL_EXIT_FAILED, "out_of_memory", NULL,
		    "out of memory");
		goto out;
	}
	/* getopt would take "-3" for an option: it sees "3" instead (the
	 * same string, one byte on), put back after. */
	for (int i = 0; i < argc; i++) {
		av[i] = argv[i];
		if (i > 0 && strcmp(argv[i - 1], "--") == 0)
			break;
		if (i > 0 && looks_negative(argv[i]) &&
		    !takes_next(lo, os, argv[i - 1]))
			av[i] = moved[i] = argv[i] + 1;
	}
	for (int i = 0; i < argc; i++) {
		if (av[i] == NULL)
			av[i] = argv[i];
	}
	if ((rc = exact_check(ctx, cmd, argc, argv, lo, os)) != CTL_EXIT_OK ||
	    (rc = args_getopt(a, ctx, cmd, argc, av, lo, os, nopts)) !=
	    CTL_EXIT_OK)
		goto out;
	a->argv[0] = argv[0];
	for (int i = optind; i < argc; i++) {
		char *op = av[i];

		for (int k = 0; k < argc; k++) {
			if (moved[k] != NULL && moved[k] == op)
				op = argv[k];
		}
		a->argv[++n] = op;
	}
	a->nargs = n;
	rc = operands_check(ctx, cmd, n, a->argv + 1);
out:
	free(lo);
	free(os);
	free(av);
	free(moved);
	return rc;
}
