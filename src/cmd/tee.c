/*
 * cmd/tee.c -- copy every event to each -t/--target target and pass it on.
 *
 * A target may be a template ("copies/{.type}.ndjson"); an event a
 * target cannot take goes to the dead-letter target (sinkset.h) and still
 * passes on.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "sink/target.h"
#include "sink/sinkset.h"
#include "stage.h"
#include "lib/xmalloc.h"

struct tee_ctx {
	struct strlist to; /* -t/--target TARGET, repeatable */
	uint64_t max_open; /* --max-open N */
	int mkdir;	   /* --mkdir */
	struct sinkset **sinks;
};

static int
tee_init(void *arg, int argc, char **argv, const struct stage_env *env,
	 struct errbuf *eb)
{
	struct tee_ctx *ctx = arg;
	struct sinkset_opts o = { 0 };
	size_t i;

	if (ctx->to.n == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "at least one -t/--target TARGET is needed");
	for (i = 0; i < ctx->to.n; i++) {
		int is_template;

		if (target_check_template(ctx->to.v[i], &is_template, eb) == -1)
			return -1;
	}
	o.max_open = ctx->max_open;
	o.mkdir = ctx->mkdir;
	ctx->sinks = xcalloc(ctx->to.n, sizeof *ctx->sinks);
	for (i = 0; i < ctx->to.n; i++) {
		ctx->sinks[i] = sinkset_new(ctx->to.v[i], &o, env, eb);
		if (ctx->sinks[i] == NULL)
			return -1;
	}
	return 0;
}

static int
tee_process(void *arg, struct record *rec, struct emit *out, struct errbuf *eb)
{
	struct tee_ctx *ctx = arg;
	size_t i;
	int r, stop = 0;

	for (i = 0; i < ctx->to.n; i++) {
		r = sinkset_write(ctx->sinks[i], rec, NULL, eb);
		if (r == -1)
			return -1;
		stop |= r;
	}
	return stop ? 1 : emit(out, rec, eb);
}

static int
tee_flush(void *arg, struct errbuf *eb)
{
	struct tee_ctx *ctx = arg;

	return sinkset_flush_all(ctx->sinks, ctx->to.n, eb);
}

static int64_t
tee_next_deadline(void *arg)
{
	struct tee_ctx *ctx = arg;

	return sinkset_next_deadline_all(ctx->sinks, ctx->to.n);
}

static int
tee_timer(void *arg, int64_t now_ns, struct emit *out, struct errbuf *eb)
{
	return tee_flush(arg, eb);
}

static int
tee_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct tee_ctx *ctx = arg;

	return sinkset_close_all(ctx->sinks, ctx->to.n, eb);
}

static void
tee_report(void *arg, FILE *fp)
{
	struct tee_ctx *ctx = arg;
	size_t i;

	for (i = 0; i < ctx->to.n; i++) {
		fprintf(fp, "evpipe: tee: -t %s: ", ctx->to.v[i]);
		sinkset_report(ctx->sinks[i], fp);
		fputc('\n', fp);
	}
}

static void
tee_free(void *arg)
{
	struct tee_ctx *ctx = arg;
	size_t i;

	if (ctx->sinks)
		for (i = 0; i < ctx->to.n; i++)
			sinkset_free(ctx->sinks[i]);
	free(ctx->sinks);
	ctx->sinks = NULL;
}

static const struct opt tee_opts[] = {
	{ "target", 't', OPT_TARGET, offsetof(struct tee_ctx, to), "TARGET",
	  "also write every event to TARGET (repeatable)", NULL, NULL,
	  OPT_REQUIRED },
	{ "to", 0, OPT_RETIRED, 0, NULL,
	  "--to is the output format; a copy target is -t/--target", NULL, NULL,
	  OPT_GLOBAL_OK },
	{ "max-open", 0, OPT_UINT, offsetof(struct tee_ctx, max_open), "N",
	  "files kept open per template target (default: from the fd limit)",
	  NULL, NULL, 0 },
	{ "mkdir", 0, OPT_BOOL, offsetof(struct tee_ctx, mkdir), NULL,
	  "create missing directories of template targets", NULL, NULL, 0 },
	OPT_END,
};

const struct stage_entry stage_tee = {
	.name = "tee",
	.summary = "copy every event to targets and pass it on",
	.args = "",
	.opts = tee_opts,
	.flags = STAGE_RAW,
	.ctx_size = sizeof(struct tee_ctx),
	.min_args = 0,
	.max_args = 0,
	.init = tee_init,
	.process = tee_process,
	.next_deadline = tee_next_deadline,
	.timer = tee_timer,
	.flush = tee_flush,
	.finish = tee_finish,
	.report = tee_report,
	.free = tee_free,
};
