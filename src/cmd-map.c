/*
 * cmd-map.c -- replace each event with the outputs of an expression
 * (evpipe-map(1)), as jq -c EXPR does: every output becomes an event,
 * no output drops the event.
 *
 * An output that is the event itself (map '.', map 'select(...)') is
 * passed on untouched, byte for byte; new values are printed the way jq
 * 1.6 prints them.
 */
#include <stddef.h>
#include <stdlib.h>

#include "buf.h"
#include "cmd-expr.h"
#include "expr-access.h"
#include "expr.h"
#include "stage.h"

struct map_ctx {
	json_t *named; /* --arg/--argjson given to this stage */
	struct expr *expr;
	struct expr_access *access; /* what EXPR reads, if not all */
};

struct map_out {
	struct record *rec;
	json_t *in;
	struct emit *out;
	int stopped; /* emit() returned 1 */
};

static int
map_init(void *arg, int argc, char **argv, const struct stage_env *env,
	 struct errbuf *eb)
{
	struct map_ctx *ctx = arg;

	ctx->expr = cmd_expr_compile(argv[0], env, ctx->named, eb);
	if (ctx->expr == NULL)
		return -1;
	ctx->access = expr_access_new(ctx->expr);
	return 0;
}

static int
map_emit(void *arg, json_t *v, struct errbuf *eb)
{
	struct map_out *mo = arg;
	struct record nr;
	struct buf b = BUF_INIT;
	int r;

	if (v == mo->in) {
		r = emit(mo->out, mo->rec, eb);
	} else {
		expr_dump(v, &b);
		record_init_value(&nr, mo->rec, json_incref(v));
		/* Print the value as jq does, not as jansson would. */
		nr.dump = buf_detach(&b, &nr.dumplen);
		r = emit(mo->out, &nr, eb);
		record_release(&nr);
	}
	if (r > 0) {
		mo->stopped = 1;
		return 1;
	}
	return r;
}

static int
map_process(void *arg, struct record *rec, struct emit *out, struct errbuf *eb)
{
	struct map_ctx *ctx = arg;
	struct map_out mo = { rec, NULL, out, 0 };
	int owned, r;

	mo.in = cmd_expr_input(ctx->access, rec, &owned, eb);
	if (!mo.in)
		return -1;
	r = expr_eval(ctx->expr, mo.in, map_emit, &mo, eb);
	if (owned)
		json_decref(mo.in);
	if (r < 0)
		return -1;
	return mo.stopped ? 1 : 0;
}

static void
map_free(void *arg)
{
	struct map_ctx *ctx = arg;

	expr_access_free(ctx->access);
	expr_free(ctx->expr);
}

static const struct opt map_opts[] = {
	{ "arg", 0, OPT_NAMEVAL, offsetof(struct map_ctx, named), "NAME VALUE",
	  "set $NAME to the string VALUE", NULL },
	{ "argjson", 0, OPT_NAMEVAL, offsetof(struct map_ctx, named),
	  "NAME JSON", "set $NAME to the JSON value", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL },
};

const struct stage_entry stage_map = {
	.name = "map",
	.summary = "replace each event with the outputs of an expression",
	.usage = "[--arg NAME VALUE] [--argjson NAME JSON] EXPR",
	.opts = map_opts,
	.ctx_size = sizeof(struct map_ctx),
	.min_args = 1,
	.max_args = 1,
	.init = map_init,
	.process = map_process,
	.free = map_free,
};
