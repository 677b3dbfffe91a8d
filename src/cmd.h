/*
 * cmd.h -- the command line's tables: the stages (stage.h), the commands
 * that are not stages (run, help) and the subcommands of a stage (schema
 * infer, schema compat); the global options; help and completion words.
 */
#ifndef CMD_H
#define CMD_H

#include <stdio.h>

#include "stage.h"

/* The global options (evpipe(1)), filling a struct globals. */
extern const struct opt global_opts[];

/*
 * A word of the command line that is not a stage of its own: a command
 * that runs instead of a pipeline (stage NULL: run, help), or a
 * subcommand, the first positional word of a stage that has them
 * ("schema compat OLD NEW").
 */
struct cmd_entry {
	const char *stage;   /* the stage of a subcommand ("schema"), or NULL */
	const char *name;    /* "run", "compat" */
	const char *summary; /* one line for the list of commands */
	const char *about;   /* its own help's line, or NULL: summary */
	const char *args;    /* the usage line's words after the options */
	/* A subcommand's own positional words, its name included. */
	int nargs;
	/*
	 * A subcommand that reads no events (schema compat): it must be the
	 * only command, given no input files, and does its work in the
	 * stage's finish().
	 */
	int no_input;
};

/* A command that is not a stage, or NULL. */
const struct cmd_entry *cmd_find(const char *name);

/*
 * The subcommand word of stage e, or NULL (a stage without subcommands,
 * or a word that is none of them: init() says so).
 */
const struct cmd_entry *cmd_find_sub(const struct stage_entry *e,
				     const char *word);

/*
 * "; did you mean 'filter'?" for a word that is no command, naming the
 * closest commands (opt.h, struct suggest), or "".  Returns out.
 */
const char *cmd_suggest(const char *word, char *out, size_t n);

/* "evpipe --help": usage, global options, commands. */
void cmd_print_usage(FILE *fp);

/*
 * The usage line(s) of stage e, generated from its option table: "usage:
 * evpipe NAME [OPTIONS...] ARGS", one a subcommand.
 */
void cmd_print_stage_usage(const struct stage_entry *e, FILE *fp);

/* "evpipe CMD --help" / "evpipe help CMD". */
void cmd_print_stage_help(const struct stage_entry *e, FILE *fp);

/* "evpipe run --help" / "evpipe help run": c from cmd_find(). */
void cmd_print_help(const struct cmd_entry *c, FILE *fp);

/*
 * "evpipe __complete WHAT [CMD]": words for the shell completions, one a
 * line.  WHAT is commands, options CMD [SUB], subcommands CMD (for help:
 * the commands it explains), global, targets, addresses (what -i takes)
 * or choices OPT [CMD]: an enum's values, or @target, @address (-i),
 * @file (an option whose value is a FILE or a SCHEMA), @nameval, @none
 * or @value.  Returns an exit status.
 */
int cmd_complete(int argc, char **argv);

#endif
