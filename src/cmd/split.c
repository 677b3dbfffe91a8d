/*
 * cmd/split.c -- write each event to the file its template renders
 * (evpipe-split(1)): "split 'out/{.type}/{.ts[0:10]}.ndjson'".
 *
 * With -k EXPR --partitions N, "{partition}" in the template is the
 * key's stable hash (XXH3 of its canonical bytes, hash.h) mod N, so the
 * same key lands in the same file across runs and machines.  The files,
 * their LRU, rotation and failures are the sinkset's (sinkset.h).  split
 * passes nothing on: it is where the events go.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "expr/expr-stage.h"
#include "lib/hash.h"
#include "sink/sinkset.h"
#include "stage.h"

struct split_ctx {
	const char *key;     /* -k EXPR */
	uint64_t partitions; /* --partitions N */
	uint64_t max_open;   /* --max-open N */
	uint64_t max_size;   /* --max-size SIZE */
	int mkdir;	     /* --mkdir */
	json_t *named;	     /* --arg/--argjson */
	struct cmd_expr k;
	struct sinkset *ss;
	struct buf kb;	    /* the key's canonical bytes */
	char partition[24]; /* the slot's value */
};

static const char *const split_slots[] = { "partition", NULL };

/* --partitions not given (0 given is an error). */
#define PARTITIONS_UNSET UINT64_MAX

static void
split_defaults(void *arg)
{
	struct split_ctx *ctx = arg;

	ctx->partitions = PARTITIONS_UNSET;
}

static int
split_init(void *arg, int argc, char **argv, const struct stage_env *env,
	   struct errbuf *eb)
{
	struct split_ctx *ctx = arg;
	struct sinkset_opts o = { 0 };
	int has_slot = strstr(argv[0], "{partition}") != NULL;

	if (ctx->partitions == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--partitions must be at least 1");
	if (ctx->partitions == PARTITIONS_UNSET)
		ctx->partitions = 0;
	if ((ctx->key != NULL) != (ctx->partitions > 0))
		return errbuf_set(eb, STATUS_USAGE,
				  "-k EXPR and --partitions N go together");
	if (ctx->partitions && !has_slot)
		return errbuf_set(eb, STATUS_USAGE,
				  "--partitions needs {partition} in the "
				  "template");
	if (!ctx->partitions && has_slot)
		return errbuf_set(eb, STATUS_USAGE,
				  "{partition} needs -k EXPR and --partitions "
				  "N");
	if (ctx->key &&
	    cmd_key_init(&ctx->k, ctx->key, env, ctx->named, eb) == -1)
		return errbuf_prefix(eb, "-k");
	o.max_open = ctx->max_open;
	o.max_size = ctx->max_size;
	o.mkdir = ctx->mkdir;
	o.slots = ctx->partitions ? split_slots : NULL;
	o.named = ctx->named;
	ctx->ss = sinkset_new(argv[0], &o, env, eb);
	return ctx->ss ? 0 : -1;
}

static int
split_process(void *arg, struct record *rec, struct emit *out,
	      struct errbuf *eb)
{
	struct split_ctx *ctx = arg;
	const char *slots[1] = { ctx->partition };

	if (ctx->partitions) {
		if (cmd_key_bytes(&ctx->k, rec, &ctx->kb, eb) == -1)
			return errbuf_prefix(eb, "-k");
		snprintf(ctx->partition, sizeof ctx->partition, "%llu",
			 (unsigned long long)hash_bucket(
				 ctx->kb.data, ctx->kb.len, ctx->partitions));
	}
	return sinkset_write(ctx->ss, rec, slots, eb);
}

static int
split_flush(void *arg, struct errbuf *eb)
{
	struct split_ctx *ctx = arg;

	return sinkset_flush_all(&ctx->ss, 1, eb);
}

static int64_t
split_next_deadline(void *arg)
{
	struct split_ctx *ctx = arg;

	return sinkset_next_deadline_all(&ctx->ss, 1);
}

static int
split_timer(void *arg, int64_t now_ns, struct emit *out, struct errbuf *eb)
{
	return split_flush(arg, eb);
}

static int
split_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct split_ctx *ctx = arg;

	return sinkset_close_all(&ctx->ss, 1, eb);
}

static void
split_report(void *arg, FILE *fp)
{
	struct split_ctx *ctx = arg;

	fputs("evpipe: split: ", fp);
	sinkset_report(ctx->ss, fp);
	fputc('\n', fp);
}

static void
split_free(void *arg)
{
	struct split_ctx *ctx = arg;

	sinkset_free(ctx->ss);
	ctx->ss = NULL;
	cmd_expr_release(&ctx->k);
	buf_release(&ctx->kb);
}

static const struct opt split_opts[] = {
	{ "key", 'k', OPT_EXPR, offsetof(struct split_ctx, key), "EXPR",
	  "partition key: {partition} is its stable hash mod N", NULL, NULL,
	  0 },
	{ "partitions", 0, OPT_UINT, offsetof(struct split_ctx, partitions),
	  "N", "number of partitions for {partition}", NULL, NULL, 0 },
	{ "max-open", 0, OPT_UINT, offsetof(struct split_ctx, max_open), "N",
	  "keep at most N files open (default: from the fd limit, <= 1024)",
	  NULL, NULL, 0 },
	{ "max-size", 0, OPT_SIZE, offsetof(struct split_ctx, max_size), "SIZE",
	  "start NAME.1.EXT, NAME.2.EXT... when a file would pass SIZE", NULL,
	  NULL, 0 },
	{ "mkdir", 0, OPT_BOOL, offsetof(struct split_ctx, mkdir), NULL,
	  "create missing directories", NULL, NULL, 0 },
	OPT_NAMED_ARGS(offsetof(struct split_ctx, named), ""),
	OPT_END,
};

const struct stage_entry stage_split = {
	.name = "split",
	.summary = "write each event to the file its template names",
	.args = "TEMPLATE",
	.opts = split_opts,
	.ctx_size = sizeof(struct split_ctx),
	.min_args = 1,
	.max_args = 1,
	.defaults = split_defaults,
	.init = split_init,
	.process = split_process,
	.next_deadline = split_next_deadline,
	.timer = split_timer,
	.flush = split_flush,
	.finish = split_finish,
	.report = split_report,
	.free = split_free,
};
