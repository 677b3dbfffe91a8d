/*
 * cmd/route.c -- send each event to the target of the first rule whose
 * expression holds (evpipe-route(1)): "route --when E1 --target T1 --when E2
 * --target T2 --else T3".
 *
 * Rules are the --when/--target pairs in order.  An event goes to the first
 * matching rule's target, or with --all to every matching rule's
 * target; an event no rule matches goes to --else, or on down the chain
 * when there is no --else.  With --copy, every event also goes on down
 * the chain.  A predicate holds as in filter (any output truthy).  The
 * predicates an event needs are evaluated before it is written anywhere,
 * so an evaluation error rejects the event whole: it reaches no target.
 * Targets may be templates; the sinkset does their files and failures.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "expr/expr-stage.h"
#include "expr/expr-fast.h"
#include "expr/expr.h"
#include "sink/target.h"
#include "json/json-scan.h"
#include "sink/sinkset.h"
#include "stage.h"
#include "lib/xmalloc.h"

struct route_rule {
	struct cmd_expr x;
	uint64_t matched;
};

struct route_ctx {
	struct strlist when; /* --when EXPR, repeatable */
	struct strlist to;   /* --target TARGET, repeatable, paired with when */
	struct strlist els;  /* --else TARGET (the last one counts) */
	int all;	     /* --all */
	int copy;	     /* --copy */
	uint64_t max_open;   /* --max-open N */
	int mkdir;	     /* --mkdir */
	json_t *named;	     /* --arg/--argjson */
	struct route_rule *rules;
	size_t n;
	/* the rules' targets, then --else's (NULL without --else) */
	struct sinkset **sets;
	uint64_t unmatched;
	unsigned char *hit; /* per rule, for the event at hand (--all) */
	/*
	 * When every rule is "PATH == STRING" on the same PATH (route by
	 * .type), the event's field is looked up once and compared with
	 * each rule's string, instead of each rule scanning the event.
	 */
	const struct jscan_step *dsteps;
	size_t dnsteps;
	const char **dstr;
	size_t *dlen;
	struct buf dscratch;
};

/* Set up the one-lookup dispatch if every rule allows it. */
static void
route_dispatch_init(struct route_ctx *ctx)
{
	const struct jscan_step *steps, *first = NULL;
	size_t nsteps, nfirst = 0, i, k;

	ctx->dstr = xcalloc(ctx->n, sizeof *ctx->dstr);
	ctx->dlen = xcalloc(ctx->n, sizeof *ctx->dlen);
	for (i = 0; i < ctx->n; i++) {
		if (ctx->rules[i].x.fast == NULL ||
		    !expr_fast_path_eq_string(ctx->rules[i].x.fast, &steps,
					      &nsteps, &ctx->dstr[i],
					      &ctx->dlen[i]))
			return;
		if (i == 0) {
			first = steps;
			nfirst = nsteps;
			continue;
		}
		if (nsteps != nfirst)
			return;
		for (k = 0; k < nsteps; k++) {
			const struct jscan_step *a = &first[k], *b = &steps[k];

			if (a->kind != b->kind ||
			    (a->kind == JSCAN_STEP_KEY
				     ? a->keylen != b->keylen ||
					       memcmp(a->key, b->key,
						      a->keylen) != 0
				     : a->index != b->index))
				return;
		}
	}
	ctx->dsteps = first;
	ctx->dnsteps = nfirst;
}

/*
 * The dispatch: set hit[], *first and *nhit as the rule-by-rule loop
 * would; 0, or EXPR_FAST_UNSURE (no tape, or the path raises an error:
 * let the rules say it).
 */
static int
route_dispatch(struct route_ctx *ctx, struct record *rec, size_t *first,
	       size_t *nhit)
{
	struct jscan_val v;
	const char *s = NULL;
	size_t len = 0, i;
	int r;

	if (cmd_expr_fast(&ctx->rules[0].x, rec) == NULL)
		return EXPR_FAST_UNSURE;
	r = jscan_lookup(jscan_root(rec->scan), ctx->dsteps, ctx->dnsteps, &v,
			 NULL);
	if (r < 0)
		return EXPR_FAST_UNSURE;
	/* a string equals only a string: anything else matches no rule */
	if (r == 1 && jscan_type(v) == JSCAN_STRING)
		s = jscan_str(v, &ctx->dscratch, &len);
	for (i = 0; i < ctx->n; i++) {
		int m = s != NULL && len == ctx->dlen[i] &&
			memcmp(s, ctx->dstr[i], len) == 0;

		ctx->hit[i] = (unsigned char)m;
		if (m) {
			(*nhit)++;
			if (*first == ctx->n)
				*first = i;
			if (!ctx->all)
				break;
		}
	}
	return 0;
}

static int
route_init(void *arg, int argc, char **argv, const struct stage_env *env,
	   struct errbuf *eb)
{
	struct route_ctx *ctx = arg;
	struct sinkset_opts o = { 0 };
	size_t i;

	if (ctx->when.n == 0)
		return errbuf_set(
			eb, STATUS_USAGE,
			"at least one --when EXPR --target TARGET rule "
			"is needed");
	if (ctx->when.n != ctx->to.n)
		return errbuf_set(eb, STATUS_USAGE,
				  "each --when EXPR needs its --target TARGET "
				  "(%zu --when, %zu --target)",
				  ctx->when.n, ctx->to.n);
	ctx->n = ctx->when.n;
	ctx->rules = xcalloc(ctx->n, sizeof *ctx->rules);
	ctx->sets = xcalloc(ctx->n + 1, sizeof *ctx->sets);
	ctx->hit = xcalloc(ctx->n, 1);
	/* Every expression and target is checked before anything opens. */
	for (i = 0; i < ctx->n; i++) {
		int is_template;

		if (cmd_expr_init(&ctx->rules[i].x, ctx->when.v[i], env,
				  ctx->named, eb) == -1)
			return errbuf_prefix(eb, "rule %zu: --when", i + 1);
		if (target_check_template(ctx->to.v[i], &is_template, eb) == -1)
			return errbuf_prefix(eb, "rule %zu: --target", i + 1);
	}
	if (ctx->els.n) {
		int is_template;

		if (target_check_template(ctx->els.v[ctx->els.n - 1],
					  &is_template, eb) == -1)
			return errbuf_prefix(eb, "--else");
	}
	route_dispatch_init(ctx);
	o.max_open = ctx->max_open;
	o.mkdir = ctx->mkdir;
	o.named = ctx->named;
	for (i = 0; i < ctx->n; i++) {
		ctx->sets[i] = sinkset_new(ctx->to.v[i], &o, env, eb);
		if (ctx->sets[i] == NULL)
			return errbuf_prefix(eb, "rule %zu: --target", i + 1);
	}
	if (ctx->els.n) {
		ctx->sets[ctx->n] =
			sinkset_new(ctx->els.v[ctx->els.n - 1], &o, env, eb);
		if (ctx->sets[ctx->n] == NULL)
			return errbuf_prefix(eb, "--else");
	}
	return 0;
}

/* Does rule r hold for rec?  1, 0, or -1 with eb. */
static int
route_match(struct route_rule *r, struct record *rec, struct errbuf *eb)
{
	struct expr_fast *fast = cmd_expr_fast(&r->x, rec);
	int owned, t = EXPR_FAST_UNSURE;
	json_t *v;

	if (fast)
		t = expr_fast_truthy(fast, rec->scan);
	if (t != EXPR_FAST_UNSURE)
		return t;
	v = cmd_expr_input(&r->x, rec, &owned, eb);
	if (!v)
		return -1;
	t = expr_truthy(r->x.expr, v, eb);
	if (owned)
		json_decref(v);
	return t < 0 ? -1 : t;
}

static int
route_process(void *arg, struct record *rec, struct emit *out,
	      struct errbuf *eb)
{
	struct route_ctx *ctx = arg;
	size_t i, first = ctx->n, nhit = 0;
	int r, stop = 0, done;

	done = ctx->dsteps && route_dispatch(ctx, rec, &first, &nhit) == 0;
	for (i = 0; !done && i < ctx->n; i++) {
		int m = route_match(&ctx->rules[i], rec, eb);

		if (m == -1)
			return errbuf_prefix(eb, "rule %zu", i + 1);
		ctx->hit[i] = (unsigned char)m;
		if (m) {
			nhit++;
			if (first == ctx->n)
				first = i;
			if (!ctx->all)
				break;
		}
	}
	for (i = first; i < ctx->n && nhit > 0; i++) {
		if (!ctx->hit[i])
			continue;
		ctx->rules[i].matched++;
		r = sinkset_write(ctx->sets[i], rec, NULL, eb);
		if (r == -1)
			return -1;
		stop |= r;
		if (!ctx->all)
			break;
	}
	if (nhit == 0) {
		ctx->unmatched++;
		if (ctx->sets[ctx->n]) {
			r = sinkset_write(ctx->sets[ctx->n], rec, NULL, eb);
			if (r == -1)
				return -1;
			stop |= r;
		} else if (!ctx->copy) {
			return stop ? 1 : emit(out, rec, eb);
		}
	}
	if (stop)
		return 1;
	return ctx->copy ? emit(out, rec, eb) : 0;
}

static int
route_flush(void *arg, struct errbuf *eb)
{
	struct route_ctx *ctx = arg;

	return sinkset_flush_all(ctx->sets, ctx->n + 1, eb);
}

static int64_t
route_next_deadline(void *arg)
{
	struct route_ctx *ctx = arg;

	return sinkset_next_deadline_all(ctx->sets, ctx->n + 1);
}

static int
route_timer(void *arg, int64_t now_ns, struct emit *out, struct errbuf *eb)
{
	return route_flush(arg, eb);
}

static int
route_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct route_ctx *ctx = arg;

	return sinkset_close_all(ctx->sets, ctx->n + 1, eb);
}

static void
route_report(void *arg, FILE *fp)
{
	struct route_ctx *ctx = arg;
	size_t i;

	for (i = 0; i < ctx->n; i++) {
		fprintf(fp,
			"evpipe: route: rule %zu (--target %s): matched %llu; ",
			i + 1, ctx->to.v[i],
			(unsigned long long)ctx->rules[i].matched);
		sinkset_report(ctx->sets[i], fp);
		fputc('\n', fp);
	}
	fprintf(fp, "evpipe: route: unmatched %llu",
		(unsigned long long)ctx->unmatched);
	if (ctx->sets[ctx->n]) {
		fprintf(fp, " (--else %s): ", ctx->els.v[ctx->els.n - 1]);
		sinkset_report(ctx->sets[ctx->n], fp);
	} else {
		fputs(" (passed on)", fp);
	}
	fputc('\n', fp);
}

static void
route_free(void *arg)
{
	struct route_ctx *ctx = arg;
	size_t i;

	for (i = 0; ctx->rules && i < ctx->n; i++)
		cmd_expr_release(&ctx->rules[i].x);
	for (i = 0; ctx->sets && i <= ctx->n; i++)
		sinkset_free(ctx->sets[i]);
	free(ctx->sets);
	free(ctx->rules);
	free(ctx->hit);
	free(ctx->dstr);
	free(ctx->dlen);
	buf_release(&ctx->dscratch);
	ctx->dstr = NULL;
	ctx->dlen = NULL;
	ctx->dsteps = NULL;
	ctx->sets = NULL;
	ctx->rules = NULL;
	ctx->hit = NULL;
}

static const struct opt route_opts[] = {
	{ "when", 'w', OPT_STRLIST, offsetof(struct route_ctx, when), "EXPR",
	  "a rule's predicate (repeatable; paired with --target in order)",
	  NULL, NULL, OPT_REQUIRED },
	{ "target", 't', OPT_TARGET, offsetof(struct route_ctx, to), "TARGET",
	  "where events matching the --when before it go", NULL, NULL,
	  OPT_REQUIRED },
	{ "to", 0, OPT_RETIRED, 0, NULL,
	  "--to is the output format; a rule's target is -t/--target", NULL,
	  NULL, OPT_GLOBAL_OK },
	{ "else", 'e', OPT_TARGET, offsetof(struct route_ctx, els), "TARGET",
	  "where events no rule matches go (default: on down the chain)", NULL,
	  NULL, 0 },
	{ "all", 'a', OPT_BOOL, offsetof(struct route_ctx, all), NULL,
	  "send an event to every matching rule, not only the first", NULL,
	  NULL, 0 },
	{ "copy", 'c', OPT_BOOL, offsetof(struct route_ctx, copy), NULL,
	  "also pass every event on down the chain", NULL, NULL, 0 },
	{ "max-open", 0, OPT_UINT, offsetof(struct route_ctx, max_open), "N",
	  "files kept open per template target (default: from the fd limit)",
	  NULL, NULL, 0 },
	{ "mkdir", 0, OPT_BOOL, offsetof(struct route_ctx, mkdir), NULL,
	  "create missing directories of template targets", NULL, NULL, 0 },
	OPT_NAMED_ARGS(offsetof(struct route_ctx, named), ""),
	OPT_END,
};

const struct stage_entry stage_route = {
	.name = "route",
	.summary = "send each event to the target of the first matching rule",
	.args = "",
	.opts = route_opts,
	.ctx_size = sizeof(struct route_ctx),
	.min_args = 0,
	.max_args = 0,
	.init = route_init,
	.process = route_process,
	.next_deadline = route_next_deadline,
	.timer = route_timer,
	.flush = route_flush,
	.finish = route_finish,
	.report = route_report,
	.free = route_free,
};
