/*
 * cmd/cat.c -- pass events through unchanged (every line is still checked
 * to be JSON on the way in).  "convert" is its alias: with the input and
 * output formats of --from/--to it converts.
 */
#include "stage.h"

static int
cat_process(void *ctx, struct record *rec, struct emit *out, struct errbuf *eb)
{
	return emit(out, rec, eb);
}

static const struct opt cat_opts[] = {
	OPT_END,
};

const struct stage_entry stage_cat = {
	.name = "cat",
	.alias = "convert",
	.summary = "pass events through unchanged",
	.args = "",
	.opts = cat_opts,
	.flags = STAGE_RAW,
	.min_args = 0,
	.max_args = 0,
	.process = cat_process,
};
