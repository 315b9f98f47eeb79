/*
 * ctl_gen.c -- what the command table generates: each command's help, the
 * shell completion scripts (bash, zsh, fish), the COMMANDS section of the
 * cashbookctl(1) man page (scdoc), and the check that the table is
 * consistent; and the hidden commands that serve them: "__generate WHAT"
 * and "__complete books|categories" (what the scripts ask cashbookd).
 *
 * Everything here reads ctl_commands and ctl_global_opts and nothing
 * else, so help, completion and man page can never disagree with the
 * parser.  The generated files are checked in (client/completion/,
 * docs/man/cashbookctl-commands.scd); it-ctl-table regenerates them and
 * fails when they differ.  Never talks to cashbookd except in __complete,
 * which is silent and exits 0 whatever happens.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_limits.h"
#include "methods.h"

#include "ctl.h"
#include "ctl_book.h"
#include "ctl_fields.h"
#include "ctl_output.h"
#include "ctl_session.h"
#include "ctl_table.h"

/* How long completion waits for cashbookd: a shell must stay snappy. */
#define CTL_COMPLETE_TIMEOUT_MS	300

/* The column where an option's help starts in "help CMD". */
#define HELP_OPT_COL		24
#define HELP_WIDTH		78

/* A command's own word: "create" of "book create". */
static const char *
word_of(const struct ctl_cmd *cmd)
{
	const char *sp = strrchr(cmd->name, ' ');

	return sp != NULL ? sp + 1 : cmd->name;
}

static bool
has_visible_opts(const struct ctl_optdef *opts)
{
	for (size_t i = 0; opts != NULL && opts[i].name != NULL; i++) {
		if ((opts[i].flags & CTL_OPT_HIDDEN) == 0)
			return true;
	}
	return false;
}

/* "add [OPTIONS] in|out AMOUNT", "book SUBCOMMAND ...". */
static void
synopsis(FILE *f, const struct ctl_cmd *cmd)
{
	const struct ctl_operand *ops = cmd->operands;

	fputs(cmd->name, f);
	if (cmd->subcmds != NULL && cmd->exec == NULL) {
		fputs(" SUBCOMMAND ...", f);
		return;
	}
	if (has_visible_opts(cmd->opts))
		fputs(" [OPTIONS]", f);
	for (size_t i = 0; ops != NULL && ops[i].name != NULL; i++) {
		bool opt = (ops[i].flags & CTL_ARG_OPTIONAL) != 0;
		bool rep = (ops[i].flags & CTL_ARG_REPEAT) != 0;

		fprintf(f, " %s%s%s%s", opt ? "[" : "", ops[i].name,
		    rep ? "..." : "", opt ? "]" : "");
	}
	if (cmd->subcmds != NULL)
		fputs(" | SUBCOMMAND ...", f);
}

void
ctl_usage_line(FILE *f, const struct ctl_cmd *cmd)
{
	fputs("usage: cashbookctl [OPTIONS] ", f);
	synopsis(f, cmd);
	fputc('\n', f);
}

/* "-d, --date YYYY-MM-DD" or "    --time HH:MM". */
static int
opt_label(char *buf, size_t len, const struct ctl_optdef *o)
{
	char s[8] = "    ";

	if (o->letter != 0)
		snprintf(s, sizeof s, "-%c, ", o->letter);
	return snprintf(buf, len, "%s--%s%s%s", s, o->name, o->arg != NULL ?
	    " " : "", o->arg != NULL ? o->arg : "");
}

/* Print text from column col (the cursor is there), wrapped at
 * HELP_WIDTH, each further line indented to col. */
static void
help_wrap(FILE *f, const char *text, int col)
{
	int at = col;

	while (*text != '\0') {
		size_t w = strcspn(text, " ");

		if (at > col && at + 1 + (int)w > HELP_WIDTH) {
			fprintf(f, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', f);
			at++;
		}
		fprintf(f, "%.*s", (int)w, text);
		at += (int)w;
		text += w;
		text += strspn(text, " ");
	}
	fputc('\n', f);
}

static void
help_opts(FILE *f, const struct ctl_optdef *opts)
{
	char label[128];
	int n;

	for (size_t i = 0; opts != NULL && opts[i].name != NULL; i++) {
		if ((opts[i].flags & CTL_OPT_HIDDEN) != 0)
			continue;
		n = opt_label(label, sizeof label, &opts[i]);
		if (n > HELP_OPT_COL - 4)
			fprintf(f, "  %s\n%*s", label, HELP_OPT_COL, "");
		else
			fprintf(f, "  %-*s", HELP_OPT_COL - 2, label);
		help_wrap(f, opts[i].help, HELP_OPT_COL);
	}
}

void
ctl_help_print(FILE *f, const struct ctl_cmd *cmd)
{
	ctl_usage_line(f, cmd);
	fprintf(f, "\n%c%s.\n\n%s", cmd->summary[0] >= 'a' &&
	    cmd->summary[0] <= 'z' ? cmd->summary[0] - 'a' + 'A' :
	    cmd->summary[0], cmd->summary + 1, cmd->help);
	if (has_visible_opts(cmd->opts)) {
		fprintf(f, "\nOptions:\n");
		help_opts(f, cmd->opts);
	}
	if (cmd->subcmds != NULL) {
		fprintf(f, "\nSubcommands:\n");
		for (size_t i = 0; cmd->subcmds[i] != NULL; i++)
			fprintf(f, "  %-8s %s\n", word_of(cmd->subcmds[i]),
			    cmd->subcmds[i]->summary);
		fprintf(f, "\nRun 'cashbookctl help %s SUBCOMMAND' for more "
		    "about one.\n", cmd->name);
		if (cmd->exec == NULL)
			return;
	}
	fprintf(f, "\nGlobal options, before or after the command: -j/--json "
	    "prints the result\nas JSON, -b/--book NAME|ID, -s/--socket PATH, "
	    "--timeout MS; see\n'cashbookctl --help' for them and the exit "
	    "statuses.\n");
}

/* ---- the table check ---- */

static int
check_letter(const struct ctl_cmd *cmd, const struct ctl_optdef *o,
    const char **by_letter)
{
	unsigned char c = (unsigned char)o->letter;

	for (size_t g = 0; ctl_global_opts[g].name != NULL; g++) {
		if (ctl_global_opts[g].letter == o->letter &&
		    strcmp(ctl_global_opts[g].name, "timeout") != 0) {
			fprintf(stderr, "%s: -%c (--%s) is the global --%s\n",
			    cmd->name, o->letter, o->name,
			    ctl_global_opts[g].name);
			return 1;
		}
	}
	if (by_letter[c] != NULL && strcmp(by_letter[c], o->name) != 0) {
		fprintf(stderr, "%s: -%c is --%s here, --%s elsewhere\n",
		    cmd->name, o->letter, o->name, by_letter[c]);
		return 1;
	}
	by_letter[c] = o->name;
	return 0;
}

static int
check_cmd(const struct ctl_cmd *cmd, const char **by_letter)
{
	int bad = 0;

	for (size_t i = 0; cmd->opts != NULL && cmd->opts[i].name != NULL;
	    i++) {
		const struct ctl_optdef *o = &cmd->opts[i];

		if (o->letter != 0)
			bad += check_letter(cmd, o, by_letter);
		if ((o->flags & CTL_OPT_HIDDEN) == 0 && o->help == NULL) {
			fprintf(stderr, "%s: --%s has no help\n", cmd->name,
			    o->name);
			bad++;
		}
	}
	for (size_t i = 0; cmd->subcmds != NULL && cmd->subcmds[i] != NULL;
	    i++)
		bad += check_cmd(cmd->subcmds[i], by_letter);
	return bad;
}

int
ctl_table_check(void)
{
	const char *by_letter[UCHAR_MAX + 1] = { 0 };
	int bad = 0;

	for (size_t i = 0; ctl_commands[i] != NULL; i++)
		bad += check_cmd(ctl_commands[i], by_letter);
	return bad;
}

/* ---- completion: what each kind of value completes to ---- */

/* The name the scripts use for a type. */
static const char *
type_name(enum ctl_type t)
{
	switch (t) {
	case CTL_T_WORDS:
		return "words";
	case CTL_T_BOOK:
		return "book";
	case CTL_T_CATEGORY:
		return "category";
	case CTL_T_FILE:
		return "file";
	case CTL_T_COMMAND:
		return "command";
	default:
		return "none";
	}
}

/* Call fn for every command and subcommand (not hidden), in order. */
static void
each_cmd(FILE *f, void (*fn)(FILE *, const struct ctl_cmd *))
{
	for (size_t i = 0; ctl_commands[i] != NULL; i++) {
		const struct ctl_cmd *c = ctl_commands[i];

		if ((c->flags & CTL_CMD_HIDDEN) != 0)
			continue;
		fn(f, c);
		for (size_t j = 0; c->subcmds != NULL && c->subcmds[j] != NULL;
		    j++)
			fn(f, c->subcmds[j]);
	}
}

static void
top_words(FILE *f)
{
	for (size_t i = 0, n = 0; ctl_commands[i] != NULL; i++) {
		if ((ctl_commands[i]->flags & CTL_CMD_HIDDEN) == 0)
			fprintf(f, "%s%s", n++ > 0 ? " " : "",
			    ctl_commands[i]->name);
	}
}

/* The long and short spellings of a command's options and the global
 * ones, for "-<TAB>". */
static void
opt_words(FILE *f, const struct ctl_optdef *opts)
{
	for (size_t g = 0; g < 2; g++) {
		const struct ctl_optdef *l = g == 0 ? opts : ctl_global_opts;

		for (size_t i = 0; l != NULL && l[i].name != NULL; i++) {
			if ((l[i].flags & CTL_OPT_HIDDEN) != 0 ||
			    (g == 1 && strcmp(l[i].name, "help") == 0))
				continue;
			fprintf(f, " --%s", l[i].name);
			if (l[i].letter != 0 && (g == 0 ||
			    strcmp(l[i].name, "timeout") != 0))
				fprintf(f, " -%c", l[i].letter);
		}
	}
	fputs(" --help", f);
}

/* bash and zsh share their tables: case statements on "CMD" and
 * "CMD|WORD". */
static void
sh_opts_case(FILE *f, const struct ctl_cmd *c)
{
	fprintf(f, "\t\t'%s') _cb_r='", c->name);
	opt_words(f, c->opts);
	fprintf(f, "' ;;\n");
}

/* cmd NULL: a global option, whatever the command (the pattern's '*'
 * unquoted). */
static void
sh_optarg_one(FILE *f, const char *cmd, const struct ctl_optdef *o)
{
	const char *q = cmd != NULL ? "'" : "*'";

	fprintf(f, "\t\t%s%s|--%s'", q, cmd != NULL ? cmd : "", o->name);
	if (o->letter != 0)
		fprintf(f, "|%s%s|-%c'", q, cmd != NULL ? cmd : "", o->letter);
	fprintf(f, ") _cb_r='%s%s%s' ;;\n", type_name(o->type),
	    o->words != NULL ? " " : "", o->words != NULL ? o->words : "");
}

static void
sh_optarg_case(FILE *f, const struct ctl_cmd *c)
{
	for (size_t i = 0; c->opts != NULL && c->opts[i].name != NULL; i++) {
		if (c->opts[i].arg != NULL)
			sh_optarg_one(f, c->name, &c->opts[i]);
	}
}

static void
sh_subs_case(FILE *f, const struct ctl_cmd *c)
{
	if (c->subcmds == NULL)
		return;
	fprintf(f, "\t\t'%s') _cb_r='", c->name);
	for (size_t j = 0; c->subcmds[j] != NULL; j++)
		fprintf(f, "%s%s", j > 0 ? " " : "", word_of(c->subcmds[j]));
	fprintf(f, "' ;;\n");
}

static void
sh_operand_case(FILE *f, const struct ctl_cmd *c)
{
	const struct ctl_operand *ops = c->operands;

	for (size_t i = 0; ops != NULL && ops[i].name != NULL; i++) {
		if ((ops[i].flags & CTL_ARG_REPEAT) != 0)
			fprintf(f, "\t\t'%s|'*)", c->name);
		else
			fprintf(f, "\t\t'%s|%zu')", c->name, i);
		fprintf(f, " _cb_r='%s%s%s' ;;\n", type_name(ops[i].type),
		    ops[i].words != NULL ? " " : "",
		    ops[i].words != NULL ? ops[i].words : "");
	}
}

/* The shell functions both bash and zsh use: the table as case
 * statements. */
static void
sh_tables(FILE *f)
{
	fputs("_cashbookctl_commands='", f);
	top_words(f);
	fputs("'\n\n# Each table function sets _cb_r (no subshell: a TAB "
	    "stays quick).\n\n# The options of CMD ($1).\n"
	    "_cashbookctl_opts() {\n\t_cb_r=\n\tcase $1 in\n", f);
	each_cmd(f, sh_opts_case);
	fputs("\tesac\n}\n\n# What option $2 of CMD $1 takes: TYPE [WORDS].\n"
	    "_cashbookctl_optarg() {\n\t_cb_r=\n\tcase \"$1|$2\" in\n", f);
	each_cmd(f, sh_optarg_case);
	for (size_t g = 0; ctl_global_opts[g].name != NULL; g++) {
		if (ctl_global_opts[g].arg != NULL)
			sh_optarg_one(f, NULL, &ctl_global_opts[g]);
	}
	fputs("\tesac\n}\n\n# The subcommands of group $1.\n"
	    "_cashbookctl_subs() {\n\t_cb_r=\n\tcase $1 in\n", f);
	each_cmd(f, sh_subs_case);
	fputs("\tesac\n}\n\n# What operand $2 (from 0) of CMD $1 is: TYPE "
	    "[WORDS].\n_cashbookctl_operand() {\n\t_cb_r=\n\tcase \"$1|$2\" "
	    "in\n", f);
	each_cmd(f, sh_operand_case);
	fputs("\tesac\n}\n\n", f);
}

/* Walking the words typed so far (bash and zsh alike, after each sets
 * _cb_words, _cb_cword and _cb_cur): the command, how many operands, the
 * option waiting for a value, and the --book and --socket given. */
static const char sh_walk[] =
    "# Sets _cb_cmd, _cb_n (operands before the cursor), _cb_want (an\n"
    "# option waiting for its value) and _cb_pass (--book/--socket given).\n"
    "_cashbookctl_walk() {\n"
    "\tlocal i w skip= _cb_r\n"
    "\t_cb_cmd= _cb_n=0 _cb_want= _cb_pass=()\n"
    "\tfor ((i = 1; i < _cb_cword; i++)); do\n"
    "\t\tw=${_cb_words[i]}\n"
    "\t\tif [[ -n $skip ]]; then\n"
    "\t\t\tcase $skip in\n"
    "\t\t\t-b|--book|-s|--socket) _cb_pass+=(\"$skip\" \"$w\") ;;\n"
    "\t\t\tesac\n"
    "\t\t\tskip=\n"
    "\t\t\tcontinue\n"
    "\t\tfi\n"
    "\t\tcase $w in\n"
    "\t\t--*=*) continue ;;\n"
    "\t\t-?*)\n"
    "\t\t\t_cashbookctl_optarg \"${_cb_cmd:-*}\" \"$w\"\n"
    "\t\t\t[[ -n $_cb_r ]] && skip=$w\n"
    "\t\t\tcontinue ;;\n"
    "\t\tesac\n"
    "\t\t_cashbookctl_subs \"$_cb_cmd\"\n"
    "\t\tif [[ -z $_cb_cmd ]]; then\n"
    "\t\t\t_cb_cmd=$w\n"
    "\t\telif [[ $_cb_n == 0 && \" $_cb_r \" == *\" $w \"* ]]; then\n"
    "\t\t\t_cb_cmd=\"$_cb_cmd $w\"\n"
    "\t\telse\n"
    "\t\t\t((_cb_n++))\n"
    "\t\tfi\n"
    "\tdone\n"
    "\t_cb_want=$skip\n"
    "}\n\n"
    "# The candidates for the word at the cursor, one a line, into _cb_c;\n"
    "# '<file>' for file names.  Only book names and categories fork (to\n"
    "# ask cashbookd).\n"
    "_cashbookctl_candidates() {\n"
    "\tlocal _cb_r\n"
    "\t_cb_c=\n"
    "\tif [[ -n $_cb_want ]]; then\n"
    "\t\t_cashbookctl_optarg \"${_cb_cmd:-*}\" \"$_cb_want\"\n"
    "\telif [[ $_cb_cur == -* && -z $_cb_cmd ]]; then\n"
    "\t\t_cb_r='words --socket -s --json -j --timeout -t --book -b "
    "--help -h --version -V'\n"
    "\telif [[ $_cb_cur == -* ]]; then\n"
    "\t\t_cashbookctl_opts \"$_cb_cmd\"\n"
    "\t\t_cb_r=\"words$_cb_r\"\n"
    "\telif [[ -z $_cb_cmd ]]; then\n"
    "\t\t_cb_r=\"words $_cashbookctl_commands\"\n"
    "\telse\n"
    "\t\t_cashbookctl_subs \"$_cb_cmd\"\n"
    "\t\tif [[ $_cb_n == 0 && -n $_cb_r ]]; then\n"
    "\t\t\t_cb_r=\"words $_cb_r\"\n"
    "\t\telse\n"
    "\t\t\t_cashbookctl_operand \"$_cb_cmd\" \"$_cb_n\"\n"
    "\t\tfi\n"
    "\tfi\n"
    "\tcase $_cb_r in\n"
    "\twords\\ *) _cb_c=${_cb_r#words }; _cb_c=${_cb_c// /$'\\n'} ;;\n"
    "\tbook) _cb_c=$(cashbookctl \"${_cb_pass[@]}\" __complete books "
    "2>/dev/null) ;;\n"
    "\tcategory) _cb_c=$(cashbookctl \"${_cb_pass[@]}\" __complete "
    "categories 2>/dev/null) ;;\n"
    "\tcommand) _cb_c=${_cashbookctl_commands// /$'\\n'} ;;\n"
    "\tfile) _cb_c='<file>' ;;\n"
    "\tesac\n"
    "}\n";

static void
gen_bash(FILE *f)
{
	fputs("# bash completion for cashbookctl.\n"
	    "# Generated from cashbookctl's command table by 'cashbookctl "
	    "__generate bash':\n# do not edit; it-ctl-table checks it is "
	    "current.\n\n", f);
	sh_tables(f);
	fputs(sh_walk, f);
	fputs("\n_cashbookctl() {\n"
	    "\tlocal _cb_words=(\"${COMP_WORDS[@]}\") _cb_cword=$COMP_CWORD\n"
	    "\tlocal _cb_cur=${COMP_WORDS[COMP_CWORD]} _cb_cmd _cb_n _cb_want"
	    " _cb_pass _cb_c\n"
	    "\t_cashbookctl_walk\n"
	    "\t_cashbookctl_candidates\n"
	    "\tif [[ $_cb_c == '<file>' ]]; then\n"
	    "\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$_cb_cur\")\n"
	    "\t\treturn\n"
	    "\tfi\n"
	    "\tlocal IFS=$'\\n' c\n"
	    "\tCOMPREPLY=()\n"
	    "\tfor c in $_cb_c; do\n"
	    "\t\t[[ $c == \"$_cb_cur\"* ]] && COMPREPLY+=(\"$c\")\n"
	    "\tdone\n"
	    "}\n"
	    "complete -F _cashbookctl cashbookctl\n", f);
}

static void
gen_zsh(FILE *f)
{
	fputs("#compdef cashbookctl\n"
	    "# zsh completion for cashbookctl.\n"
	    "# Generated from cashbookctl's command table by 'cashbookctl "
	    "__generate zsh':\n# do not edit; it-ctl-table checks it is "
	    "current.\n\n", f);
	sh_tables(f);
	fputs(sh_walk, f);
	fputs("\n_cashbookctl() {\n"
	    "\temulate -L zsh -o ksh_arrays -o sh_word_split\n"
	    "\tlocal -a _cb_words=(\"${words[@]}\") _cb_pass\n"
	    "\tlocal _cb_cword=$((CURRENT - 1)) _cb_cur=${words[CURRENT-1]}\n"
	    "\tlocal _cb_cmd _cb_n _cb_want _cb_c\n"
	    "\t_cashbookctl_walk\n"
	    "\t_cashbookctl_candidates\n"
	    "\tif [[ $_cb_c == '<file>' ]]; then\n"
	    "\t\t_files\n"
	    "\t\treturn\n"
	    "\tfi\n"
	    "\tlocal -a cands=(\"${(@f)_cb_c}\")\n"
	    "\tcompadd -- \"${cands[@]}\"\n"
	    "}\n\n"
	    "_cashbookctl \"$@\"\n", f);
}

/* ---- fish: declarative ---- */

/* fish's condition for "the command line is at cmd". */
static void
fish_cond(FILE *f, const struct ctl_cmd *c)
{
	const char *sp = strchr(c->name, ' ');

	if (sp == NULL)
		fprintf(f, "__fish_seen_subcommand_from %s", c->name);
	else
		fprintf(f, "__fish_seen_subcommand_from %.*s; and "
		    "__fish_seen_subcommand_from %s", (int)(sp - c->name),
		    c->name, sp + 1);
}

/* A fish string in single quotes. */
static void
fish_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static void
fish_values(FILE *f, enum ctl_type t, const char *words)
{
	switch (t) {
	case CTL_T_WORDS:
		fprintf(f, " -x -a ");
		fish_quote(f, words);
		break;
	case CTL_T_BOOK:
		fputs(" -x -a '(cashbookctl __complete books)'", f);
		break;
	case CTL_T_CATEGORY:
		fputs(" -x -a '(cashbookctl __complete categories)'", f);
		break;
	case CTL_T_FILE:
		fputs(" -r -F", f);
		break;
	default:
		fputs(" -x", f);
		break;
	}
}

static void
fish_cmd(FILE *f, const struct ctl_cmd *c)
{
	const struct ctl_operand *ops = c->operands;

	if (strchr(c->name, ' ') == NULL)
		fprintf(f, "complete -c cashbookctl -n "
		    "'__fish_use_subcommand' -a %s -d ", c->name);
	else {
		fprintf(f, "complete -c cashbookctl -n '__fish_seen_"
		    "subcommand_from %.*s' -a %s -d ",
		    (int)(strchr(c->name, ' ') - c->name), c->name,
		    word_of(c));
	}
	fish_quote(f, c->summary);
	fputc('\n', f);
	for (size_t i = 0; c->opts != NULL && c->opts[i].name != NULL; i++) {
		const struct ctl_optdef *o = &c->opts[i];

		if ((o->flags & CTL_OPT_HIDDEN) != 0)
			continue;
		fputs("complete -c cashbookctl -n '", f);
		fish_cond(f, c);
		fprintf(f, "' -l %s", o->name);
		if (o->letter != 0)
			fprintf(f, " -s %c", o->letter);
		if (o->arg != NULL)
			fish_values(f, o->type, o->words);
		fputs(" -d ", f);
		fish_quote(f, o->help);
		fputc('\n', f);
	}
	for (size_t i = 0; ops != NULL && ops[i].name != NULL; i++) {
		if (ops[i].type != CTL_T_WORDS && ops[i].type != CTL_T_BOOK &&
		    ops[i].type != CTL_T_CATEGORY)
			continue;
		fputs("complete -c cashbookctl -n '", f);
		fish_cond(f, c);
		fputc('\'', f);
		fish_values(f, ops[i].type, ops[i].words);
		fputc('\n', f);
	}
}

static void
gen_fish(FILE *f)
{
	fputs("# fish completion for cashbookctl.\n"
	    "# Generated from cashbookctl's command table by 'cashbookctl "
	    "__generate fish':\n# do not edit; it-ctl-table checks it is "
	    "current.\n\ncomplete -c cashbookctl -f\n", f);
	for (size_t g = 0; ctl_global_opts[g].name != NULL; g++) {
		const struct ctl_optdef *o = &ctl_global_opts[g];

		fprintf(f, "complete -c cashbookctl -l %s -s %c", o->name,
		    o->letter);
		if (o->arg != NULL)
			fish_values(f, o->type, o->words);
		fputs(" -d ", f);
		fish_quote(f, o->help);
		fputc('\n', f);
	}
	each_cmd(f, fish_cmd);
}

/* ---- the man page's COMMANDS (scdoc) ---- */

/* Text for scdoc: its markup characters escaped. */
static void
scd_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '*' || *s == '_' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* Each run of white space in s (a usage over several lines) becomes one
 * space. */
static void
collapse_space(char *s)
{
	char *w = s;

	for (const char *r = s; *r != '\0'; r++) {
		if (*r == '\n' || *r == ' ' || *r == '\t') {
			if (w > s && w[-1] == ' ')
				continue;
			*w++ = ' ';
		} else
			*w++ = *r;
	}
	*w = '\0';
}

static void
man_cmd(FILE *f, const struct ctl_cmd *c)
{
	char label[128];

	fputs("*", f);
	scd_text(f, c->name);
	fputs("*", f);
	{
		char syn[512];
		FILE *m = fmemopen(syn, sizeof syn, "w");

		if (m != NULL) {
			synopsis(m, c);
			fclose(m);
			syn[sizeof syn - 1] = '\0';
			collapse_space(syn);
			fputc(' ', f);
			scd_text(f, syn + strlen(c->name) + (syn[strlen(
			    c->name)] == ' ' ? 1 : 0));
		}
	}
	fputs("\n\t", f);
	scd_text(f, c->summary);
	fputs(".", f);
	if (c->method != NULL) {
		fputs(" Calls *", f);
		scd_text(f, c->method);
		fputs("*.", f);
	}
	fputs("\n\n", f);
	for (size_t i = 0; c->opts != NULL && c->opts[i].name != NULL; i++) {
		if ((c->opts[i].flags & CTL_OPT_HIDDEN) != 0)
			continue;
		opt_label(label, sizeof label, &c->opts[i]);
		fputs("\t*", f);
		scd_text(f, label + strspn(label, " "));
		fputs("*\n\t\t", f);
		scd_text(f, c->opts[i].help);
		fputs("\n\n", f);
	}
}

static void
gen_man(FILE *f)
{
	fputs("# COMMANDS\n\n"
	    "Generated from cashbookctl's command table by _cashbookctl "
	    "\\_\\_generate man_;\ndo not edit. Run *cashbookctl help* "
	    "_COMMAND_ for the whole story of one.\n"
	    "A command may be shortened to a prefix that names only it, "
	    "except *rm*,\n*book delete*, *member rm*, *invite revoke* and "
	    "*leave*, which must be typed whole.\n\n", f);
	each_cmd(f, man_cmd);
}

int
ctl_generate(FILE *f, const char *what)
{
	if (strcmp(what, "bash") == 0)
		gen_bash(f);
	else if (strcmp(what, "zsh") == 0)
		gen_zsh(f);
	else if (strcmp(what, "fish") == 0)
		gen_fish(f);
	else if (strcmp(what, "man") == 0)
		gen_man(f);
	else
		return -1;
	return 0;
}

/* ---- the hidden commands ---- */

static enum ctl_retval
generate_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	if (strcmp(args->argv[1], "check") == 0) {
		int bad = ctl_table_check();

		if (bad == 0)
			printf("the command table is consistent\n");
		return bad == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
	}
	if (ctl_generate(stdout, args->argv[1]) != 0)
		return ctl_usage(ctx, self, "__generate: what is '%s'? bash, "
		    "zsh, fish, man or check", args->argv[1]);
	return CTL_EXIT_OK;
}

static const struct ctl_operand generate_operands[] = {
	{ "bash|zsh|fish|man|check", CTL_T_WORDS, "bash zsh fish man check",
	    0 },
	{ NULL, 0, NULL, 0 },
};

const struct ctl_cmd ctl_cmd_generate = {
	.name = "__generate",
	.summary = "print a completion script, the man page's commands, or "
	    "check the table",
	.help = "For the build and its tests.\n",
	.operands = generate_operands,
	.flags = CTL_CMD_HIDDEN,
	.exec = generate_exec,
};

/* Every book's name as people type it, one a line. */
static void
complete_books(struct ctl_session *s)
{
	struct cb_params *p = ctl_session_params(s);
	struct cb_reply *reply = NULL;
	const msgpack_object *books;
	struct ctl_book b;
	char label[CTL_BOOK_LABEL_BUF];

	if (ctl_session_try(s, CB_METHOD_BOOK_LIST, p, &reply) == CB_OK &&
	    (books = cb_map_get(cb_reply_result(reply), "books")) != NULL &&
	    books->type == MSGPACK_OBJECT_ARRAY) {
		for (uint32_t i = 0; i < books->via.array.size; i++) {
			if (ctl_book_from_object(&books->via.array.ptr[i],
			    &b) != 0)
				continue;
			ctl_book_label(&b, label, sizeof label);
			printf("%s\n", label);
		}
	}
	cb_reply_free(reply);
	cb_params_free(p);
}

/* The categories of the chosen book, one a line. */
static void
complete_categories(struct ctl_session *s, struct ctl_ctx *ctx)
{
	struct ctl_book_ref ref;
	struct ctl_book book;
	struct cb_params *p = NULL;
	struct cb_reply *reply = NULL;
	const msgpack_object *rows, *key;
	char text[CTL_TEXT_BUF], clean[CTL_TEXT_BUF];

	if (ctl_book_pick(ctx, NULL, &ref) >= 0 ||
	    ctl_book_find(s, &ref, &book) >= 0)
		return;
	p = ctl_session_params(s);
	ctl_param_int(s, p, "book_id", book.id);
	ctl_param_str(s, p, "by", "category");
	if (ctl_session_try(s, CB_METHOD_REPORT_SUMMARY, p, &reply) == CB_OK &&
	    (rows = cb_map_get(cb_reply_result(reply), "rows")) != NULL &&
	    rows->type == MSGPACK_OBJECT_ARRAY) {
		for (uint32_t i = 0; i < rows->via.array.size; i++) {
			key = cb_map_get(&rows->via.array.ptr[i], "key");
			if (key == NULL || key->type != MSGPACK_OBJECT_STR)
				continue;
			ctl_field_text(&rows->via.array.ptr[i], "key", text,
			    sizeof text);
			ctl_text_clean(text, clean, sizeof clean);
			printf("%s\n", clean);
		}
	}
	cb_reply_free(reply);
	cb_params_free(p);
}

/*
 * What the completion scripts ask: silent (stderr goes nowhere, no JSON
 * errors) and exit 0 whatever happens -- a shell's TAB must never show a
 * daemon's error -- and quick (CTL_COMPLETE_TIMEOUT_MS at most).
 */
static enum ctl_retval
complete_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    struct ctl_args *args)
{
	struct ctl_session s;

	(void)self;
	if (freopen("/dev/null", "w", stderr) == NULL)
		return CTL_EXIT_OK;
	ctx->json = false;
	if (ctx->timeout_ms == 0 || ctx->timeout_ms > CTL_COMPLETE_TIMEOUT_MS)
		ctx->timeout_ms = CTL_COMPLETE_TIMEOUT_MS;
	if (ctl_session_begin(&s, ctx) < 0) {
		if (strcmp(args->argv[1], "books") == 0)
			complete_books(&s);
		else if (strcmp(args->argv[1], "categories") == 0)
			complete_categories(&s, ctx);
	}
	ctl_session_end(&s);
	return CTL_EXIT_OK;
}

static const struct ctl_operand complete_operands[] = {
	{ "books|categories", CTL_T_WORDS, "books categories", 0 },
	{ NULL, 0, NULL, 0 },
};

const struct ctl_cmd ctl_cmd_complete = {
	.name = "__complete",
	.summary = "print book names or categories for shell completion",
	.help = "Prints one a line, asking cashbookd for at most 300 ms; "
	    "silent, and exit\nstatus 0, when it cannot.\n",
	.operands = complete_operands,
	.flags = CTL_CMD_HIDDEN,
	.exec = complete_exec,
};
