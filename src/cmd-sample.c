/*
 * cmd-sample.c -- pass a fraction of the events (evpipe-sample(1)).
 *
 * With -k EXPR the decision is a function of the key alone: an event
 * passes when the hash of its key's canonical bytes falls in the lowest
 * fraction P of the 64-bit range.  Every event with a given key passes or
 * none does, on every run and machine (the hash is frozen), and a larger
 * P keeps a superset of the keys a smaller one keeps.
 *
 * Without -k it is systematic: an accumulator adds P per event and the
 * event that carries it over a whole number passes, so exactly floor(n*P)
 * of the first n events pass, evenly spread, with no randomness.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd-expr.h"
#include "hash.h"
#include "stage.h"

struct sample_ctx {
	const char *ratio, *key;
	json_t *named;

	struct cmd_expr kx;
	struct buf kb;
	double p;
	uint64_t threshold; /* -k: pass when hash64 < threshold */
	int all;	    /* P = 1 */
	uint64_t step, acc; /* no -k: 32.32 fixed point */
};

/* "0.25", "25%", "1/4": a fraction in [0, 1]; 0 or -1. */
static int
sample_parse_ratio(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v))
		return -1;
	if (*end == '%') {
		v /= 100;
		end++;
	} else if (*end == '/') {
		const char *d = end + 1;
		double den = strtod(d, &end);

		if (end == d || errno != 0 || !(den > 0) || !isfinite(den))
			return -1;
		v /= den;
	}
	if (*end != '\0' || !(v >= 0 && v <= 1))
		return -1;
	*out = v;
	return 0;
}

static int
sample_init(void *arg, int argc, char **argv, const struct stage_env *env,
	    struct errbuf *eb)
{
	struct sample_ctx *ctx = arg;

	(void)argc;
	(void)argv;
	if (ctx->ratio == NULL)
		return errbuf_set(eb, STATUS_USAGE, "--ratio P is needed");
	if (sample_parse_ratio(ctx->ratio, &ctx->p) == -1)
		return errbuf_set(eb, STATUS_USAGE,
				  "--ratio: '%s' is not a fraction between 0 "
				  "and 1 (0.25, 25%% or 1/4)",
				  ctx->ratio);
	ctx->all = ctx->p >= 1;
	/* 2^64 * p, clamped; p < 1 so it fits. */
	ctx->threshold = ctx->all ? UINT64_MAX : (uint64_t)ldexp(ctx->p, 64);
	ctx->step = (uint64_t)llround(ldexp(ctx->p, 32));
	if (ctx->key &&
	    cmd_key_init(&ctx->kx, ctx->key, env, ctx->named, eb) == -1)
		return errbuf_prefix(eb, "-k");
	return 0;
}

static int
sample_process(void *arg, struct record *rec, struct emit *out,
	       struct errbuf *eb)
{
	struct sample_ctx *ctx = arg;

	if (ctx->key) {
		if (cmd_key_bytes(&ctx->kx, rec, &ctx->kb, eb) == -1)
			return errbuf_prefix(eb, "-k");
		if (!ctx->all &&
		    hash64(ctx->kb.data, ctx->kb.len) >= ctx->threshold)
			return 0;
		return emit(out, rec, eb);
	}
	ctx->acc += ctx->step;
	if (ctx->acc < (UINT64_C(1) << 32))
		return 0;
	ctx->acc -= UINT64_C(1) << 32;
	return emit(out, rec, eb);
}

static void
sample_free(void *arg)
{
	struct sample_ctx *ctx = arg;

	if (ctx->key)
		cmd_expr_release(&ctx->kx);
	buf_release(&ctx->kb);
}

#define O(f) offsetof(struct sample_ctx, f)
static const struct opt sample_opts[] = {
	{ "ratio", 'r', OPT_STRING, O(ratio), "P",
	  "the fraction of events (or keys) to pass: 0.1, 10% or 1/10", NULL },
	{ "key", 'k', OPT_EXPR, O(key), "EXPR",
	  "decide by the hash of EXPR: all events of a key pass or none",
	  NULL },
	{ "arg", 0, OPT_NAMEVAL, O(named), "NAME VALUE",
	  "set $NAME to the string VALUE", NULL },
	{ "argjson", 0, OPT_NAMEVAL, O(named), "NAME JSON",
	  "set $NAME to the JSON value", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL },
};
#undef O

const struct stage_entry stage_sample = {
	.name = "sample",
	.summary = "pass a fraction of the events, by count or by key",
	.usage = "--ratio P [-k EXPR]",
	.opts = sample_opts,
	.ctx_size = sizeof(struct sample_ctx),
	.min_args = 0,
	.max_args = 0,
	.init = sample_init,
	.process = sample_process,
	.free = sample_free,
};
