/*
 * cmd/filter.c -- keep the events for which an expression is true
 * (evpipe-filter(1)); with -v, those for which it is false.
 *
 * An event is kept when any output of EXPR is truthy (neither false nor
 * null), as with jq's select(EXPR).  An evaluation error rejects the
 * event.  Kept events are passed on untouched, byte for byte.
 */
#include <stddef.h>
#include <stdlib.h>

#include "lib/buf.h"
#include "expr/expr-stage.h"
#include "expr/expr-fast.h"
#include "expr/expr.h"
#include "stage.h"

struct filter_ctx {
	int invert;    /* -v */
	json_t *named; /* --arg/--argjson given to this stage */
	struct cmd_expr x;
};

static int
filter_init(void *arg, int argc, char **argv, const struct stage_env *env,
	    struct errbuf *eb)
{
	struct filter_ctx *ctx = arg;

	return cmd_expr_init(&ctx->x, argv[0], env, ctx->named, eb);
}

static int
filter_process(void *arg, struct record *rec, struct emit *out,
	       struct errbuf *eb)
{
	struct filter_ctx *ctx = arg;
	struct expr_fast *fast = cmd_expr_fast(&ctx->x, rec);
	int owned, keep = EXPR_FAST_UNSURE;
	json_t *v;

	if (fast)
		keep = expr_fast_truthy(fast, rec->scan);
	if (keep == EXPR_FAST_UNSURE) {
		v = cmd_expr_input(&ctx->x, rec, &owned, eb);
		if (!v)
			return -1;
		keep = expr_truthy(ctx->x.expr, v, eb);
		if (owned)
			json_decref(v);
		if (keep < 0)
			return -1;
	}
	if (keep != ctx->invert)
		return emit(out, rec, eb);
	return 0;
}

static void
filter_free(void *arg)
{
	struct filter_ctx *ctx = arg;

	cmd_expr_release(&ctx->x);
}

static const struct opt filter_opts[] = {
	{ "invert", 0, OPT_BOOL, offsetof(struct filter_ctx, invert), NULL,
	  "keep the events for which EXPR is false", NULL, NULL, 0 },
	{ "v", 'v', OPT_RETIRED, 0, NULL,
	  "-v is --verbose, given before the command; to keep the events "
	  "for which EXPR is false, --invert",
	  NULL, NULL, 0 },
	OPT_NAMED_ARGS(offsetof(struct filter_ctx, named), ""),
	OPT_END,
};

const struct stage_entry stage_filter = {
	.name = "filter",
	.summary = "keep events for which an expression is true",
	.args = "EXPR",
	.opts = filter_opts,
	.ctx_size = sizeof(struct filter_ctx),
	.min_args = 1,
	.max_args = 1,
	.init = filter_init,
	.process = filter_process,
	.free = filter_free,
};
