/*
 * cmd/sort.c -- reorder events by event time within a lateness window
 * (evpipe-sort(1)).
 *
 * Events wait in a min-heap ordered by (time, arrival).  The newest time
 * seen minus --window is the watermark: every held event at or before it
 * is released, in order.  An event older than the watermark (or than an
 * event already released) can no longer be put in its place: it is late,
 * and is rejected to the dead-letter target -- or passed on at once with
 * --late pass.  So the output is in time order, and an event is held
 * until a newer event (or the end of the input) moves the watermark past
 * it.  --max-held bounds the heap: past it the oldest event is released
 * early, which moves the release floor with it.
 *
 * On an idle input (tail -F) the watermark also moves with the clock:
 * once no event at all has arrived for a while, it is taken to have
 * moved on by that much, so a held event comes out at the latest --window
 * after the last arrival, each in its turn (the timer).  Whenever events
 * flow this changes nothing: an arrival starts the idle time again, and
 * while a file is read the time between two events is far below any
 * event's distance from the watermark.  Events released this way raise
 * the floor below which later events are late, as any release does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "expr/expr-stage.h"
#include "lib/evtime.h"
#include "stage.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

#define SORT_DEFAULT_HELD 1000000

enum { LATE_REJECT, LATE_PASS };

struct held {
	int64_t t;
	uint64_t seq;
	struct record *rec;
};

struct sort_ctx {
	const char *by;
	int64_t window;
	int late;
	uint64_t max_held;
	json_t *named;

	const struct stage_env *env;
	struct cmd_expr bx;
	struct held *heap;
	size_t n, cap;
	uint64_t seq;
	int64_t newest;	  /* newest time seen */
	int64_t released; /* time of the last event released */
	int64_t arrived;  /* monotonic time the last event came */
	uint64_t passed, late_n, early, idle;
};

static void
sort_defaults(void *arg)
{
	struct sort_ctx *ctx = arg;

	ctx->max_held = SORT_DEFAULT_HELD;
	ctx->window = -1;
}

static int
sort_init(void *arg, int argc, char **argv, const struct stage_env *env,
	  struct errbuf *eb)
{
	struct sort_ctx *ctx = arg;

	(void)argc;
	(void)argv;
	if (ctx->by == NULL)
		return errbuf_set(eb, STATUS_USAGE, "--by EXPR is needed");
	if (ctx->window < 0)
		return errbuf_set(eb, STATUS_USAGE, "--window DUR is needed");
	if (ctx->max_held < 1)
		return errbuf_set(eb, STATUS_USAGE,
				  "--max-held must be at least 1");
	if (cmd_key_init(&ctx->bx, ctx->by, env, ctx->named, eb) == -1)
		return errbuf_prefix(eb, "--by");
	ctx->env = env;
	ctx->newest = ctx->released = INT64_MIN;
	return 0;
}

static int
held_less(const struct held *a, const struct held *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void
heap_push(struct sort_ctx *ctx, struct held h)
{
	size_t i;

	if (ctx->n == ctx->cap) {
		ctx->cap = ctx->cap ? ctx->cap * 2 : 64;
		ctx->heap = xreallocarray(ctx->heap, ctx->cap, sizeof h);
	}
	i = ctx->n++;
	while (i > 0 && held_less(&h, &ctx->heap[(i - 1) / 2])) {
		ctx->heap[i] = ctx->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	ctx->heap[i] = h;
}

static struct held
heap_pop(struct sort_ctx *ctx)
{
	struct held top = ctx->heap[0], last = ctx->heap[--ctx->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < ctx->n) {
		if (c + 1 < ctx->n &&
		    held_less(&ctx->heap[c + 1], &ctx->heap[c]))
			c++;
		if (!held_less(&ctx->heap[c], &last))
			break;
		ctx->heap[i] = ctx->heap[c];
		i = c;
	}
	if (ctx->n > 0)
		ctx->heap[i] = last;
	return top;
}

/* Release the oldest held event. */
static int
release_one(struct sort_ctx *ctx, struct emit *out, struct errbuf *eb)
{
	struct held h = heap_pop(ctx);
	int rc;

	ctx->released = h.t;
	ctx->passed++;
	rc = emit(out, h.rec, eb);
	record_free(h.rec);
	return rc;
}

/* The watermark: events at or before it are released. */
static int64_t
watermark(const struct sort_ctx *ctx)
{
	if (ctx->newest == INT64_MIN)
		return INT64_MIN;
	if (ctx->newest < INT64_MIN + ctx->window)
		return INT64_MIN;
	return ctx->newest - ctx->window;
}

static int
sort_late(struct sort_ctx *ctx, struct record *rec, int64_t t, struct emit *out,
	  struct errbuf *eb)
{
	int64_t floor = watermark(ctx);
	char bt[EVTIME_BUFSZ], bn[EVTIME_BUFSZ], bd[EVTIME_BUFSZ],
		bw[EVTIME_BUFSZ];

	ctx->late_n++;
	if (ctx->late == LATE_PASS)
		return emit(out, rec, eb);
	if (ctx->released > floor)
		floor = ctx->released;
	errbuf_set(eb, STATUS_REJECT,
		   "late event: %s is %s behind the window (newest %s, "
		   "--window %s)",
		   evtime_format(t, bt), evtime_format_dur(floor - t, bd),
		   evtime_format(ctx->newest, bn),
		   evtime_format_dur(ctx->window, bw));
	return -1;
}

static int
sort_process(void *arg, struct record *rec, struct emit *out, struct errbuf *eb)
{
	struct sort_ctx *ctx = arg;
	struct held h;
	int64_t t, w;
	int rc;

	if (cmd_key_time(&ctx->bx, rec, "--by", &t, eb) == -1)
		return -1;
	ctx->arrived = mono_ns();
	if (t < watermark(ctx) || t < ctx->released)
		return sort_late(ctx, rec, t, out, eb);
	if (t > ctx->newest)
		ctx->newest = t;
	h.t = t;
	h.seq = ctx->seq++;
	h.rec = record_dup(rec);
	heap_push(ctx, h);
	w = watermark(ctx);
	while (ctx->n > 0 && ctx->heap[0].t <= w)
		if ((rc = release_one(ctx, out, eb)) != 0)
			return rc;
	while (ctx->n > ctx->max_held) {
		ctx->early++;
		if ((rc = release_one(ctx, out, eb)) != 0)
			return rc;
	}
	return 0;
}

/*
 * How long after the last arrival the oldest held event is due: its
 * distance above the watermark, at most --window.
 */
static int64_t
sort_idle_wait(const struct sort_ctx *ctx)
{
	uint64_t behind = (uint64_t)ctx->newest - (uint64_t)ctx->heap[0].t;

	return behind >= (uint64_t)ctx->window ? 0
					       : ctx->window - (int64_t)behind;
}

static int64_t
sort_deadline(void *arg)
{
	struct sort_ctx *ctx = arg;
	int64_t wait;

	if (ctx->n == 0)
		return INT64_MAX;
	wait = sort_idle_wait(ctx);
	return ctx->arrived > INT64_MAX - wait ? INT64_MAX
					       : ctx->arrived + wait;
}

/* The input was idle: release what the clock moved the watermark past. */
static int
sort_timer(void *arg, int64_t now, struct emit *out, struct errbuf *eb)
{
	struct sort_ctx *ctx = arg;
	int rc;

	while (ctx->n > 0 && now - ctx->arrived >= sort_idle_wait(ctx)) {
		ctx->idle++;
		if ((rc = release_one(ctx, out, eb)) != 0)
			return rc == 1 ? 0 : rc;
	}
	return 0;
}

static int
sort_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct sort_ctx *ctx = arg;
	int rc;

	while (ctx->n > 0)
		if ((rc = release_one(ctx, out, eb)) != 0)
			return rc == 1 ? 0 : rc;
	return 0;
}

static void
sort_report(void *arg, FILE *fp)
{
	struct sort_ctx *ctx = arg;

	fprintf(fp,
		"evpipe: sort: %llu released in order, %llu late, %llu "
		"released early (--max-held), %llu released while idle\n",
		(unsigned long long)ctx->passed,
		(unsigned long long)ctx->late_n, (unsigned long long)ctx->early,
		(unsigned long long)ctx->idle);
}

static void
sort_free(void *arg)
{
	struct sort_ctx *ctx = arg;

	while (ctx->n > 0)
		record_free(ctx->heap[--ctx->n].rec);
	free(ctx->heap);
	cmd_expr_release(&ctx->bx);
}

static const char *const late_choices[] = { "reject", "pass", NULL };

#define O(f) offsetof(struct sort_ctx, f)
static const struct opt sort_opts[] = {
	{ "by", 0, OPT_EXPR, O(by), "EXPR",
	  "the event time: RFC 3339, or epoch seconds or milliseconds", NULL,
	  NULL, OPT_REQUIRED },
	{ "window", 'w', OPT_DURATION, O(window), "DUR",
	  "how late an event may come and still be put in order", NULL, NULL,
	  OPT_REQUIRED },
	{ "late", 0, OPT_ENUM, O(late), "reject|pass",
	  "events later than the window: reject them (default) or pass "
	  "them on at once",
	  late_choices, NULL, 0 },
	{ "max-held", 0, OPT_UINT, O(max_held), "N",
	  "hold at most N events; past it release the oldest early "
	  "(default 1000000)",
	  NULL, NULL, 0 },
	OPT_NAMED_ARGS(O(named), ""),
	OPT_END,
};
#undef O

/* The lowest record seq held (a scan: asked at most once a flush). */
static uint64_t
sort_held(void *arg)
{
	struct sort_ctx *ctx = arg;
	uint64_t h = UINT64_MAX;
	size_t i;

	for (i = 0; i < ctx->n; i++)
		if (ctx->heap[i].rec->seq < h)
			h = ctx->heap[i].rec->seq;
	return h;
}

const struct stage_entry stage_sort = {
	.name = "sort",
	.summary = "reorder events by event time within a lateness window",
	.args = "",
	.opts = sort_opts,
	.ctx_size = sizeof(struct sort_ctx),
	.min_args = 0,
	.max_args = 0,
	.defaults = sort_defaults,
	.init = sort_init,
	.process = sort_process,
	.held = sort_held,
	.next_deadline = sort_deadline,
	.timer = sort_timer,
	.finish = sort_finish,
	.report = sort_report,
	.free = sort_free,
};
