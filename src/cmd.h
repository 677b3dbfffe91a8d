/*
 * cmd.h -- the command table, the global options, help and completion.
 */
#ifndef CMD_H
#define CMD_H

#include <stdio.h>

#include "stage.h"

/* The global options (evpipe(1)), filling a struct globals. */
extern const struct opt global_opts[];

/* "evpipe --help": usage, global options, commands. */
void cmd_print_usage(FILE *fp);

/* "evpipe CMD --help" / "evpipe help CMD". */
void cmd_print_stage_help(const struct stage_entry *e, FILE *fp);

/*
 * "evpipe __complete WHAT [CMD]": words for the shell completions, one a
 * line.  WHAT is commands, options CMD, global, targets or choices OPT.
 * Returns an exit status.
 */
int cmd_complete(int argc, char **argv);

#endif
