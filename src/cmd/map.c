/*
 * cmd/map.c -- replace each event with the outputs of an expression
 * (evpipe-map(1)), as jq -c EXPR does: every output becomes an event,
 * no output drops the event.
 *
 * An output that is the event itself (map '.', map 'select(...)') is
 * passed on untouched, byte for byte; new values are printed the way jq
 * 1.6 prints them.
 */
#include <stddef.h>
#include <stdlib.h>

#include "lib/buf.h"
#include "expr/expr-stage.h"
#include "expr/expr-fast.h"
#include "expr/expr.h"
#include "stage.h"

struct map_ctx {
	json_t *named; /* --arg/--argjson given to this stage */
	struct cmd_expr x;
	struct buf text; /* the fast path's output */
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

	return cmd_expr_init(&ctx->x, argv[0], env, ctx->named, eb);
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
		if (expr_dump(v, &b) == -1) {
			buf_release(&b);
			return errbuf_set(eb, STATUS_REJECT,
					  "the value is too large to print "
					  "(over " EXPR_DUMP_MAX_TEXT ")");
		}
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
	struct expr_fast *fast = cmd_expr_fast(&ctx->x, rec);
	int owned, r;

	if (fast) {
		buf_reset(&ctx->text);
		if (expr_fast_project(fast, rec->scan, &ctx->text) == 0) {
			struct record nr;

			record_init(&nr, rec->src, rec->lineno, ctx->text.data,
				    ctx->text.len);
			nr.seq = rec->seq;
			nr.meta = rec->meta;
			nr.metalen = rec->metalen;
			r = emit(out, &nr, eb);
			record_release(&nr);
			return r;
		}
	}

	mo.in = cmd_expr_input(&ctx->x, rec, &owned, eb);
	if (!mo.in)
		return -1;
	r = expr_eval(ctx->x.expr, mo.in, map_emit, &mo, eb);
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

	buf_release(&ctx->text);
	cmd_expr_release(&ctx->x);
}

static const struct opt map_opts[] = {
	OPT_NAMED_ARGS(offsetof(struct map_ctx, named), ""),
	OPT_END,
};

const struct stage_entry stage_map = {
	.name = "map",
	.summary = "replace each event with the outputs of an expression",
	.args = "EXPR",
	.opts = map_opts,
	.ctx_size = sizeof(struct map_ctx),
	.min_args = 1,
	.max_args = 1,
	.init = map_init,
	.process = map_process,
	.free = map_free,
};
