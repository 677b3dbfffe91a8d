/*
 * cmd/throttle.c -- at most N events per DUR, per key (evpipe-throttle(1)).
 *
 * A token bucket per key: it holds at most N tokens (the burst), starts
 * full, refills at N per DUR, and each event that passes takes a token.
 * The buckets live in a keytable bounded by --max-keys (LRU): a key that
 * was evicted starts again with a full bucket.
 *
 * --mode drop (default) drops an event that finds its bucket empty.
 * --mode delay sleeps until the token is there -- which holds up the
 * whole pipeline, as pacing does -- but never longer than --max-delay
 * for one event; an event that would have to wait longer is dropped.
 * It sleeps in the runner's stage_wait(), which first writes out every
 * event already passed (so a tail -F pipeline sees them at once) and
 * returns early on SIGINT/SIGTERM: the event then passes without its
 * token, and so do the rest of the drain.
 * Time is the clock, or with --time EXPR (drop mode only) the events'.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "expr/expr-stage.h"
#include "lib/keytable.h"
#include "stage.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

#define THROTTLE_DEFAULT_KEYS  100000
#define THROTTLE_DEFAULT_DELAY 1000000000LL

enum { MODE_DROP, MODE_DELAY };

struct bucket {
	double tokens;
	int64_t last; /* ns */
};

struct throttle_ctx {
	const char *rate, *key, *time;
	int mode;
	uint64_t max_keys;
	int64_t max_delay;
	json_t *named;

	const struct stage_env *env;
	struct cmd_expr kx, tx;
	struct keytable kt;
	struct buf kb;
	double n;	/* tokens per period, and the burst */
	int64_t period; /* ns */
	uint64_t passed, dropped, delayed;
	int64_t slept;
};

static void
throttle_defaults(void *arg)
{
	struct throttle_ctx *ctx = arg;

	ctx->max_keys = THROTTLE_DEFAULT_KEYS;
	ctx->max_delay = THROTTLE_DEFAULT_DELAY;
}

/* "100/s", "5/1m", "1/250ms": 0 or -1 with a usage error. */
static int
parse_rate(const char *s, double *n, int64_t *period, struct errbuf *eb)
{
	const char *slash = strchr(s, '/');
	char *num, *dur;
	uint64_t u;
	int rc;

	if (slash == NULL)
		return errbuf_set(eb, STATUS_USAGE,
				  "--rate: '%s' is not N/DURATION (100/s, "
				  "5/1m)",
				  s);
	num = xstrndup(s, (size_t)(slash - s));
	rc = parse_uint(num, UINT32_MAX, &u, eb);
	free(num);
	if (rc == -1 || u == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--rate: '%s': N must be a whole number "
				  "from 1",
				  s);
	/* "100/s" means "100/1s". */
	dur = (slash[1] >= 'a' && slash[1] <= 'z') ? xasprintf("1%s", slash + 1)
						   : xstrdup(slash + 1);
	rc = parse_duration(dur, period, eb);
	free(dur);
	if (rc == -1)
		return errbuf_prefix(eb, "--rate");
	if (*period <= 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--rate: '%s': the duration must be "
				  "positive",
				  s);
	*n = (double)u;
	return 0;
}

static int
throttle_init(void *arg, int argc, char **argv, const struct stage_env *env,
	      struct errbuf *eb)
{
	struct throttle_ctx *ctx = arg;

	(void)argc;
	(void)argv;
	if (ctx->rate == NULL)
		return errbuf_set(eb, STATUS_USAGE, "--rate N/DUR is needed");
	if (parse_rate(ctx->rate, &ctx->n, &ctx->period, eb) == -1)
		return -1;
	if (ctx->max_keys < 1 || ctx->max_keys > KT_MAX_CAPACITY)
		return errbuf_set(eb, STATUS_USAGE,
				  "--max-keys must be between 1 and %lu",
				  (unsigned long)KT_MAX_CAPACITY);
	if (ctx->time && ctx->mode == MODE_DELAY)
		return errbuf_set(eb, STATUS_USAGE,
				  "--mode delay waits on the clock; it cannot "
				  "be used with --time");
	if (ctx->max_delay < 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--max-delay must not be negative");
	if (ctx->key &&
	    cmd_key_init(&ctx->kx, ctx->key, env, ctx->named, eb) == -1)
		return errbuf_prefix(eb, "-k");
	if (ctx->time &&
	    cmd_key_init(&ctx->tx, ctx->time, env, ctx->named, eb) == -1)
		return errbuf_prefix(eb, "--time");
	kt_init(&ctx->kt, (uint32_t)ctx->max_keys, 0, sizeof(struct bucket));
	ctx->env = env;
	return 0;
}

static void
refill(struct throttle_ctx *ctx, struct bucket *b, int64_t now)
{
	if (now > b->last) {
		b->tokens +=
			(double)(now - b->last) * ctx->n / (double)ctx->period;
		if (b->tokens > ctx->n)
			b->tokens = ctx->n;
		b->last = now;
	}
}

static int
throttle_process(void *arg, struct record *rec, struct emit *out,
		 struct errbuf *eb)
{
	struct throttle_ctx *ctx = arg;
	struct bucket *b;
	struct hash128 h;
	int64_t now, t0;
	uint32_t i;

	if (ctx->key) {
		if (cmd_key_bytes(&ctx->kx, rec, &ctx->kb, eb) == -1)
			return errbuf_prefix(eb, "-k");
		h = hash128(ctx->kb.data, ctx->kb.len);
	} else {
		h = hash128("", 0);
	}
	if (ctx->time) {
		if (cmd_key_time(&ctx->tx, rec, "--time", &now, eb) == -1)
			return -1;
	} else {
		now = mono_ns();
	}
	i = kt_find(&ctx->kt, h);
	if (i == KT_NONE) {
		i = kt_insert(&ctx->kt, h);
		b = kt_val(&ctx->kt, i);
		b->tokens = ctx->n;
		b->last = now;
	} else {
		kt_touch(&ctx->kt, i);
		b = kt_val(&ctx->kt, i);
		refill(ctx, b, now);
	}
	/* The margin absorbs rounding: 2/s at +0.5s gives a token. */
	if (b->tokens < 1 - 1e-9) {
		double need = (1 - b->tokens) * (double)ctx->period / ctx->n;
		int64_t wait = (int64_t)need + 1;

		if (ctx->mode == MODE_DROP || wait > ctx->max_delay) {
			ctx->dropped++;
			return 0;
		}
		/* The runner writes out what passed before we sleep: a
		 * tail -F pipeline sees it now, not after the wait. */
		t0 = mono_ns();
		(void)stage_wait(ctx->env, t0 + wait, 0);
		ctx->delayed++;
		ctx->slept += mono_ns() - t0;
		refill(ctx, b, mono_ns());
		if (b->tokens < 1)
			b->tokens = 1; /* woken early by a signal */
	}
	b->tokens -= 1;
	ctx->passed++;
	return emit(out, rec, eb);
}

static void
throttle_report(void *arg, FILE *fp)
{
	struct throttle_ctx *ctx = arg;

	fprintf(fp,
		"evpipe: throttle: %llu passed, %llu dropped, %llu delayed "
		"(%.3f s in all), %llu keys held, %llu evicted\n",
		(unsigned long long)ctx->passed,
		(unsigned long long)ctx->dropped,
		(unsigned long long)ctx->delayed, (double)ctx->slept / 1e9,
		(unsigned long long)ctx->kt.n,
		(unsigned long long)ctx->kt.evicted);
}

static void
throttle_free(void *arg)
{
	struct throttle_ctx *ctx = arg;

	cmd_expr_release(&ctx->kx);
	cmd_expr_release(&ctx->tx);
	kt_release(&ctx->kt);
	buf_release(&ctx->kb);
}

static const char *const mode_choices[] = { "drop", "delay", NULL };

#define O(f) offsetof(struct throttle_ctx, f)
static const struct opt throttle_opts[] = {
	{ "rate", 'r', OPT_STRING, O(rate), "N/DUR",
	  "pass at most N events per DUR (per key), bursts of up to N", NULL,
	  NULL, OPT_REQUIRED },
	{ "key", 'k', OPT_EXPR, O(key), "EXPR",
	  "keep a separate rate for each value of EXPR", NULL, NULL, 0 },
	{ "mode", 0, OPT_ENUM, O(mode), "drop|delay",
	  "drop events over the rate (default), or wait for their turn",
	  mode_choices, NULL, 0 },
	{ "max-delay", 0, OPT_DURATION, O(max_delay), "DUR",
	  "--mode delay: drop an event rather than wait longer (default 1s)",
	  NULL, NULL, 0 },
	{ "time", 0, OPT_EXPR, O(time), "EXPR",
	  "measure the rate in event time read by EXPR (drop mode)", NULL, NULL,
	  0 },
	{ "max-keys", 0, OPT_UINT, O(max_keys), "N",
	  "keep at most N keys' buckets, forgetting the least recently "
	  "seen (default 100000)",
	  NULL, NULL, 0 },
	OPT_NAMED_ARGS(O(named), ""),
	OPT_END,
};
#undef O

const struct stage_entry stage_throttle = {
	.name = "throttle",
	.summary = "pass at most N events per duration, per key",
	.args = "",
	.opts = throttle_opts,
	.ctx_size = sizeof(struct throttle_ctx),
	.min_args = 0,
	.max_args = 0,
	.defaults = throttle_defaults,
	.init = throttle_init,
	.process = throttle_process,
	.report = throttle_report,
	.free = throttle_free,
};
