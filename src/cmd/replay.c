/*
 * cmd/replay.c -- emit events paced by their recorded times (or at a
 * fixed rate), as they happened, faster or slower.
 *
 * The schedule is absolute: event i is due at start + (t_i - t_0)/speed
 * on CLOCK_MONOTONIC, and the stage sleeps with TIMER_ABSTIME, so the
 * time spent writing never accumulates into drift.  The output is flushed
 * before each sleep (stage_wait), so an event appears when it is due;
 * --spin busy-waits the end of each sleep, for timers that wake late.  An
 * event whose time is earlier than one already replayed is due at once;
 * --max-gap shortens long pauses (and shifts the rest of the schedule).
 * With --loop the events are kept in memory, up to --loop-memory, and
 * replayed again, each pass starting right after the previous one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr-stage.h"
#include "lib/evtime.h"
#include "stage.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

/* --time-format: auto and rfc3339 are evtime.h's; the units are ours. */
enum { TF_AUTO, TF_RFC3339, TF_S, TF_MS, TF_US, TF_NS };
static const char *const time_format_names[] = {
	"auto", "rfc3339", "s", "ms", "us", "ns", NULL,
};

/* The time v holds, read as format says: 0, or -1 with a reject. */
static int
replay_time(json_t *v, int format, int64_t *ns, struct errbuf *eb)
{
	static const int64_t unit[] = { 0, 0, 1000000000, 1000000, 1000, 1 };
	double x, whole;

	if (format == TF_AUTO)
		return evtime_from_json(v, ns, eb);
	if (format == TF_RFC3339) {
		if (json_is_string(v) &&
		    evtime_parse_rfc3339(json_string_value(v),
					 json_string_length(v), ns) == 0)
			return 0;
		return errbuf_set(eb, STATUS_REJECT,
				  "not an RFC 3339 time (--time-format "
				  "rfc3339)");
	}
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i > INT64_MAX / unit[format] ||
		    i < INT64_MIN / unit[format])
			return errbuf_set(eb, STATUS_REJECT,
					  "time out of range");
		*ns = (int64_t)i * unit[format];
		return 0;
	}
	if (!json_is_real(v))
		return errbuf_set(eb, STATUS_REJECT,
				  "not a number of %s since the epoch "
				  "(--time-format %s)",
				  time_format_names[format],
				  time_format_names[format]);
	x = json_real_value(v);
	if (!isfinite(x) || fabs(x * (double)unit[format]) > 9.2e18)
		return errbuf_set(eb, STATUS_REJECT, "time out of range");
	/* Whole units and the fraction apart: 1704067200.25 s is exact. */
	whole = floor(x);
	*ns = (int64_t)whole * unit[format] +
	      (int64_t)llround((x - whole) * (double)unit[format]);
	return 0;
}

/* -v: lateness counted in steps of 10 us up to 100 ms (then the last). */
#define LATE_STEP_NS 10000
#define LATE_STEPS   10000

/* --spin: the most. */
#define REPLAY_SPIN_MAX (1000000000LL)

struct replay_ctx {
	/* options */
	const char *time;     /* --time EXPR */
	int time_format;      /* --time-format, enum evtime_format */
	const char *speed_s;  /* --speed X */
	const char *rate_s;   /* --rate N/DUR */
	int64_t max_gap;      /* --max-gap DUR, 0: none */
	int64_t spin;	      /* --spin DUR */
	uint64_t loop;	      /* --loop N, 0: endlessly */
	uint64_t loop_memory; /* --loop-memory SIZE */
	/* state */
	const struct stage_env *env;
	struct cmd_expr key;
	double speed;
	int64_t interval; /* --rate: ns between events, else 0 */
	int started;
	int stopped; /* a signal: no more waiting, no more loops */
	int64_t ref; /* latest event time replayed (ns) */
	int64_t due; /* when the last event was due (monotonic ns) */
	struct record **kept;
	int64_t *times;
	size_t nkept, capkept;
	uint64_t kept_bytes;
	/* facts for -v */
	uint64_t events, waits;
	int64_t late_max, late_sum;
	uint32_t *late_hist; /* LATE_STEPS counts, allocated on first use */
	uint64_t late_n;     /* events counted in it */
};

static void
replay_defaults(void *arg)
{
	struct replay_ctx *ctx = arg;

	ctx->loop = 1;
	ctx->loop_memory = 256u << 20;
}

/* "N", "N/s", "N/500ms": events per duration, as ns between events. */
static int
parse_rate(const char *s, int64_t *interval, struct errbuf *eb)
{
	char *end;
	double n = strtod(s, &end);
	int64_t per = 1000000000;

	if (end == s || !(n > 0) || !isfinite(n))
		return errbuf_set(eb, STATUS_USAGE,
				  "--rate: '%s' is not a positive rate "
				  "(N/s, N/DUR)",
				  s);
	if (*end == '/') {
		char tmp[64];
		const char *d = end + 1;

		if (*d >= 'a' && *d <= 'z' && strlen(d) < sizeof tmp - 2) {
			snprintf(tmp, sizeof tmp, "1%s", d);
			d = tmp;
		}
		if (parse_duration(d, &per, eb) == -1)
			return errbuf_prefix(eb, "--rate");
		if (per <= 0)
			return errbuf_set(eb, STATUS_USAGE,
					  "--rate: the duration must be "
					  "positive");
	} else if (*end != '\0') {
		return errbuf_set(eb, STATUS_USAGE,
				  "--rate: '%s' is not a positive rate "
				  "(N/s, N/DUR)",
				  s);
	}
	*interval = (int64_t)((double)per / n);
	if (*interval < 1)
		*interval = 1;
	return 0;
}

static int
replay_init(void *arg, int argc, char **argv, const struct stage_env *env,
	    struct errbuf *eb)
{
	struct replay_ctx *ctx = arg;

	ctx->env = env;
	ctx->speed = 1;
	if (ctx->speed_s && ctx->rate_s)
		return errbuf_set(eb, STATUS_USAGE,
				  "--speed and --rate cannot be used together");
	if (ctx->speed_s) {
		char *end;

		ctx->speed = strtod(ctx->speed_s, &end);
		if (end == ctx->speed_s || *end != '\0' || !(ctx->speed > 0) ||
		    !isfinite(ctx->speed))
			return errbuf_set(eb, STATUS_USAGE,
					  "--speed: '%s' is not a positive "
					  "number",
					  ctx->speed_s);
	}
	if (ctx->rate_s && parse_rate(ctx->rate_s, &ctx->interval, eb) == -1)
		return -1;
	if (ctx->max_gap < 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--max-gap must not be negative");
	if (ctx->spin < 0 || ctx->spin > REPLAY_SPIN_MAX)
		return errbuf_set(eb, STATUS_USAGE,
				  "--spin must be from 0 to 1s");
	if (ctx->time == NULL)
		ctx->time = ".ts"; /* not in replay_defaults: -t is once only */
	if (!ctx->rate_s &&
	    cmd_key_init(&ctx->key, ctx->time, env, NULL, eb) == -1)
		return errbuf_prefix(eb, "--time");
	return 0;
}

/* Wait until due (unless stopped), then emit. */
static int
replay_emit(struct replay_ctx *ctx, struct record *rec, struct emit *out,
	    struct errbuf *eb)
{
	int64_t now;

	if (!ctx->stopped) {
		now = mono_ns();
		if (ctx->due > now) {
			ctx->waits++;
			if (stage_wait(ctx->env, ctx->due, ctx->spin) == 1)
				ctx->stopped = 1;
			now = mono_ns();
		}
		if (!ctx->stopped) {
			int64_t late = now > ctx->due ? now - ctx->due : 0;
			int64_t k = late / LATE_STEP_NS;

			if (late > ctx->late_max)
				ctx->late_max = late;
			ctx->late_sum += late;
			if (ctx->late_hist == NULL)
				ctx->late_hist = xcalloc(
					LATE_STEPS, sizeof *ctx->late_hist);
			ctx->late_hist[k < LATE_STEPS ? k : LATE_STEPS - 1]++;
			ctx->late_n++;
		}
	}
	ctx->events++;
	return emit(out, rec, eb);
}

/* Set ctx->due for an event of time t (ns; ignored with --rate). */
static void
schedule(struct replay_ctx *ctx, int64_t t)
{
	int64_t gap;

	if (!ctx->started) {
		ctx->started = 1;
		ctx->due = mono_ns();
		ctx->ref = t;
		return;
	}
	if (ctx->interval) {
		gap = ctx->interval;
	} else {
		gap = t > ctx->ref
			      ? (int64_t)((double)(t - ctx->ref) / ctx->speed)
			      : 0;
		if (t > ctx->ref)
			ctx->ref = t;
	}
	if (ctx->max_gap && gap > ctx->max_gap)
		gap = ctx->max_gap;
	ctx->due += gap;
}

static int
event_time(struct replay_ctx *ctx, struct record *rec, int64_t *t,
	   struct errbuf *eb)
{
	json_t *v;
	int r;

	*t = 0;
	if (ctx->interval)
		return 0;
	v = cmd_key_value(&ctx->key, rec, eb);
	if (v == NULL)
		return errbuf_prefix(eb, "--time %s", ctx->time);
	r = replay_time(v, ctx->time_format, t, eb);
	json_decref(v);
	if (r == -1)
		return errbuf_prefix(eb, "--time %s", ctx->time);
	return 0;
}

static int
replay_process(void *arg, struct record *rec, struct emit *out,
	       struct errbuf *eb)
{
	struct replay_ctx *ctx = arg;
	int64_t t;

	if (event_time(ctx, rec, &t, eb) == -1)
		return -1;
	if (ctx->loop != 1) {
		size_t n;

		record_bytes(rec, &n);
		ctx->kept_bytes += n + sizeof(struct record);
		if (ctx->kept_bytes > ctx->loop_memory)
			return errbuf_set(eb, STATUS_USAGE,
					  "--loop: the events take more than "
					  "--loop-memory (%llu bytes); raise "
					  "it or replay fewer events",
					  (unsigned long long)ctx->loop_memory);
		if (ctx->nkept == ctx->capkept) {
			ctx->capkept = ctx->capkept ? ctx->capkept * 2 : 256;
			ctx->kept = xrealloc(ctx->kept,
					     ctx->capkept * sizeof *ctx->kept);
			ctx->times = xrealloc(
				ctx->times, ctx->capkept * sizeof *ctx->times);
		}
		ctx->kept[ctx->nkept] = record_dup(rec);
		ctx->times[ctx->nkept++] = t;
	}
	schedule(ctx, t);
	return replay_emit(ctx, rec, out, eb);
}

static int
replay_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct replay_ctx *ctx = arg;
	uint64_t pass;
	size_t i;

	for (pass = 1; ctx->nkept > 0 && (ctx->loop == 0 || pass < ctx->loop);
	     pass++) {
		for (i = 0; i < ctx->nkept; i++) {
			int rc;

			if (ctx->stopped)
				return 0;
			if (i == 0 && !ctx->interval) {
				/* A new pass starts where the last one
				 * ended. */
				ctx->ref = ctx->times[0];
			} else {
				schedule(ctx, ctx->times[i]);
			}
			rc = replay_emit(ctx, ctx->kept[i], out, eb);
			if (rc != 0)
				return rc == 1 ? 0 : rc;
		}
	}
	return 0;
}

/* The lateness (ms) that a share q of the events kept to: the upper
 * end of the 10 us step where that share is reached. */
static double
late_quantile(const struct replay_ctx *ctx, double q)
{
	uint64_t want = (uint64_t)ceil(q * (double)ctx->late_n), sum = 0;
	int k;

	if (ctx->late_hist == NULL)
		return 0;
	for (k = 0; k < LATE_STEPS - 1; k++) {
		sum += ctx->late_hist[k];
		if (sum >= want)
			break;
	}
	if (k == LATE_STEPS - 1)
		return (double)ctx->late_max / 1e6;
	return (double)(k + 1) * LATE_STEP_NS / 1e6;
}

static void
replay_report(void *arg, FILE *fp)
{
	struct replay_ctx *ctx = arg;
	uint64_t n = ctx->late_n ? ctx->late_n : 1;

	fprintf(fp,
		"evpipe: replay: %llu events, %llu waits, lateness max %.3f "
		"ms, mean %.3f ms, p99 %.2f ms, p99.9 %.2f ms\n",
		(unsigned long long)ctx->events, (unsigned long long)ctx->waits,
		(double)ctx->late_max / 1e6,
		(double)ctx->late_sum / (double)n / 1e6,
		late_quantile(ctx, 0.99), late_quantile(ctx, 0.999));
}

static void
replay_free(void *arg)
{
	struct replay_ctx *ctx = arg;
	size_t i;

	for (i = 0; i < ctx->nkept; i++)
		record_free(ctx->kept[i]);
	free(ctx->kept);
	free(ctx->times);
	free(ctx->late_hist);
	if (!ctx->rate_s)
		cmd_expr_release(&ctx->key);
}

#define R(f) offsetof(struct replay_ctx, f)
static const struct opt replay_opts[] = {
	{ "time", 't', OPT_EXPR, R(time), "EXPR",
	  "the event's time (default .ts): RFC 3339 or epoch s/ms", NULL, NULL,
	  0 },
	{ "time-format", 0, OPT_ENUM, R(time_format), "auto|rfc3339|s|ms|us|ns",
	  "how times are written (default auto: detected)", time_format_names,
	  NULL, 0 },
	{ "speed", 's', OPT_STRING, R(speed_s), "X",
	  "replay X times as fast as recorded (0.5: half as fast)", NULL, NULL,
	  0 },
	{ "rate", 'r', OPT_STRING, R(rate_s), "N/DUR",
	  "ignore the times: emit N events per DUR (1000/s)", NULL, NULL, 0 },
	{ "max-gap", 0, OPT_DURATION, R(max_gap), "DUR",
	  "never wait longer than DUR between two events", NULL, NULL, 0 },
	{ "spin", 0, OPT_DURATION, R(spin), "DUR",
	  "busy-wait the last DUR before each event instead of sleeping "
	  "(default 0): closer to the schedule, at the cost of CPU",
	  NULL, NULL, 0 },
	{ "loop", 'l', OPT_UINT, R(loop), "N",
	  "replay the events N times (0: until interrupted)", NULL, NULL, 0 },
	{ "loop-memory", 0, OPT_SIZE, R(loop_memory), "SIZE",
	  "with --loop, keep at most SIZE of events (default 256M)", NULL, NULL,
	  0 },
	OPT_END,
};
#undef R

const struct stage_entry stage_replay = {
	.name = "replay",
	.summary = "emit events paced by their recorded times or at a rate",
	.args = "",
	.opts = replay_opts,
	.ctx_size = sizeof(struct replay_ctx),
	.min_args = 0,
	.max_args = 0,
	.defaults = replay_defaults,
	.init = replay_init,
	.process = replay_process,
	.finish = replay_finish,
	.report = replay_report,
	.free = replay_free,
};
