/*
 * cmd/head.c -- pass the first N events, then stop reading input.
 */
#include <stddef.h>

#include "stage.h"

struct head_ctx {
	uint64_t n; /* -n N */
	uint64_t seen;
};

static void
head_defaults(void *arg)
{
	struct head_ctx *ctx = arg;

	ctx->n = 10;
}

static int
head_process(void *arg, struct record *rec, struct emit *out, struct errbuf *eb)
{
	struct head_ctx *ctx = arg;
	int r;

	if (ctx->seen >= ctx->n)
		return 1;
	ctx->seen++;
	r = emit(out, rec, eb);
	if (r == 0 && ctx->seen >= ctx->n)
		return 1; /* satisfied: no need to read further */
	return r;
}

static const struct opt head_opts[] = {
	{ "lines", 'n', OPT_UINT, offsetof(struct head_ctx, n), "N",
	  "how many events to pass (default 10)", NULL, NULL, 0 },
	OPT_END,
};

const struct stage_entry stage_head = {
	.name = "head",
	.summary = "pass the first N events, then stop reading",
	.args = "",
	.opts = head_opts,
	.flags = STAGE_RAW,
	.ctx_size = sizeof(struct head_ctx),
	.min_args = 0,
	.max_args = 0,
	.defaults = head_defaults,
	.process = head_process,
};
