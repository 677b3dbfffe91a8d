/*
 * cmd-tee.c -- copy every event to each --to target and pass it on.
 */
#include <stdlib.h>
#include <stddef.h>

#include "io.h"
#include "stage.h"
#include "xmalloc.h"

struct tee_ctx {
	struct strlist to; /* --to TARGET, repeatable */
	struct sink **sinks;
};

static int
tee_init(void *arg, int argc, char **argv, const struct stage_env *env,
	 struct errbuf *eb)
{
	struct tee_ctx *ctx = arg;
	size_t i;

	if (ctx->to.n == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "at least one --to TARGET is needed");
	for (i = 0; i < ctx->to.n; i++)
		if (target_check(ctx->to.v[i], eb) == -1)
			return -1;
	ctx->sinks = xcalloc(ctx->to.n, sizeof *ctx->sinks);
	for (i = 0; i < ctx->to.n; i++) {
		ctx->sinks[i] = sink_open(ctx->to.v[i], env->line_buffered, eb);
		if (ctx->sinks[i] == NULL)
			return -1;
	}
	return 0;
}

static int
tee_process(void *arg, struct record *rec, struct emit *out, struct errbuf *eb)
{
	struct tee_ctx *ctx = arg;
	const char *bytes;
	size_t i, len;

	bytes = record_bytes(rec, &len);
	for (i = 0; i < ctx->to.n; i++)
		if (sink_write(ctx->sinks[i], bytes, len, eb) == -1)
			return -1;
	return emit(out, rec, eb);
}

static int
tee_flush(void *arg, struct errbuf *eb)
{
	struct tee_ctx *ctx = arg;
	size_t i;

	for (i = 0; i < ctx->to.n; i++)
		if (ctx->sinks[i] && sink_flush(ctx->sinks[i], eb) == -1)
			return -1;
	return 0;
}

static int
tee_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct tee_ctx *ctx = arg;
	size_t i;
	int r = 0;

	for (i = 0; i < ctx->to.n; i++) {
		if (ctx->sinks[i] && sink_close(ctx->sinks[i], eb) == -1)
			r = -1;
		ctx->sinks[i] = NULL;
	}
	return r;
}

static void
tee_free(void *arg)
{
	struct tee_ctx *ctx = arg;
	size_t i;

	if (ctx->sinks)
		for (i = 0; i < ctx->to.n; i++)
			if (ctx->sinks[i])
				sink_close(ctx->sinks[i], NULL);
	free(ctx->sinks);
}

static const struct opt tee_opts[] = {
	{ "to", 't', OPT_TARGET, offsetof(struct tee_ctx, to), "TARGET",
	  "also write every event to TARGET (repeatable)", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL },
};

const struct stage_entry stage_tee = {
	.name = "tee",
	.summary = "copy every event to targets and pass it on",
	.usage = "--to TARGET [--to TARGET]...",
	.opts = tee_opts,
	.flags = STAGE_RAW,
	.ctx_size = sizeof(struct tee_ctx),
	.min_args = 0,
	.max_args = 0,
	.init = tee_init,
	.process = tee_process,
	.flush = tee_flush,
	.finish = tee_finish,
	.free = tee_free,
};
