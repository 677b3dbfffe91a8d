/*
 * cmd/sample.c -- pass a fraction of the events (evpipe-sample(1)).
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
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "expr/expr-stage.h"
#include "lib/hash.h"
#include "stage.h"

struct sample_ctx {
	const char *ratio, *key;
	json_t *named;

	struct cmd_expr kx;
	struct buf kb;
	uint64_t num, den;  /* P = num / den, exactly */
	uint64_t threshold; /* -k: pass when hash64 < threshold */
	int all;	    /* P = 1 */
	uint64_t acc;	    /* no -k: the fraction carried, over den */
};

/* A decimal "0.25" (up to 18 digits) as num/den; the end, or NULL. */
static const char *
parse_decimal(const char *s, uint64_t *num, uint64_t *den)
{
	int digits = 0, dot = 0;

	*num = 0;
	*den = 1;
	for (; (*s >= '0' && *s <= '9') || (*s == '.' && !dot); s++) {
		if (*s == '.') {
			dot = 1;
			continue;
		}
		if (++digits > 18)
			return NULL;
		*num = *num * 10 + (uint64_t)(*s - '0');
		if (dot)
			*den *= 10;
	}
	return digits ? s : NULL;
}

/*
 * "0.25", "25%", "1/4": a fraction in [0, 1] as num/den, exactly, so
 * that the systematic sample of 1/3 passes every third event.  0 or -1.
 */
static int
parse_ratio(const char *s, uint64_t *num, uint64_t *den)
{
	const char *end = parse_decimal(s, num, den);

	if (end == NULL)
		return -1;
	if (*end == '%') {
		if (*den > UINT64_MAX / 100)
			return -1;
		*den *= 100;
		end++;
	} else if (*end == '/' && *den == 1) {
		uint64_t d, one;

		end = parse_decimal(end + 1, &d, &one);
		if (end == NULL || one != 1 || d == 0)
			return -1;
		*den = d;
	}
	if (*end != '\0' || *num > *den)
		return -1;
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
	if (parse_ratio(ctx->ratio, &ctx->num, &ctx->den) == -1)
		return errbuf_set(eb, STATUS_USAGE,
				  "--ratio: '%s' is not a fraction between 0 "
				  "and 1 (0.25, 25%% or 1/4)",
				  ctx->ratio);
	ctx->all = ctx->num == ctx->den;
	/* 2^64 * P; P < 1 here, so it fits. */
	ctx->threshold =
		ctx->all ? UINT64_MAX
			 : (uint64_t)ldexpl((long double)ctx->num / ctx->den,
					    64);
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
	/* Bresenham: acc/den is the fraction carried; num < 2^63, so
	 * acc + num cannot overflow. */
	ctx->acc += ctx->num;
	if (ctx->acc < ctx->den)
		return 0;
	ctx->acc -= ctx->den;
	return emit(out, rec, eb);
}

static void
sample_free(void *arg)
{
	struct sample_ctx *ctx = arg;

	cmd_expr_release(&ctx->kx);
	buf_release(&ctx->kb);
}

#define O(f) offsetof(struct sample_ctx, f)
static const struct opt sample_opts[] = {
	{ "ratio", 'r', OPT_STRING, O(ratio), "P",
	  "the fraction of events (or keys) to pass: 0.1, 10% or 1/10", NULL,
	  NULL, OPT_REQUIRED },
	{ "key", 'k', OPT_EXPR, O(key), "EXPR",
	  "decide by the hash of EXPR: all events of a key pass or none", NULL,
	  NULL, 0 },
	OPT_NAMED_ARGS(O(named), ""),
	OPT_END,
};
#undef O

const struct stage_entry stage_sample = {
	.name = "sample",
	.summary = "pass a fraction of the events, by count or by key",
	.args = "",
	.opts = sample_opts,
	.ctx_size = sizeof(struct sample_ctx),
	.min_args = 0,
	.max_args = 0,
	.init = sample_init,
	.process = sample_process,
	.free = sample_free,
};
