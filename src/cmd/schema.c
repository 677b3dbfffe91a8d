/*
 * cmd/schema.c -- "schema infer": a JSON Schema from the events;
 * "schema compat OLD NEW": is a schema change compatible?
 * The work is in schema-infer.c and schema-compat.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "schema/schema-compat.h"
#include "schema/schema-infer.h"
#include "stage.h"

enum { SUB_INFER, SUB_COMPAT };

static const char *const schema_draft_choices[] = { "2020-12", "2019-09",
						    "draft-07", NULL };
static const char *const schema_mode_choices[] = { "backward", "forward",
						   "full", NULL };
static const char *const schema_format_choices[] = { "text", "json", NULL };

struct schema_ctx {
	int draft;	   /* -1: not given */
	uint64_t enum_max; /* UINT64_MAX: not given */
	int mode, format;  /* -1: not given */
	int sub;
	const char *old_path, *new_path;
	struct schema_infer *si;
	struct compat_result res;
};

#define SCHEMA_ENUM_MAX_DEFAULT 10

static void
schema_defaults(void *arg)
{
	struct schema_ctx *ctx = arg;

	ctx->draft = ctx->mode = ctx->format = -1;
	ctx->enum_max = UINT64_MAX;
}

static enum schema_dialect
draft_dialect(int draft)
{
	return draft == 1   ? SCHEMA_DRAFT2019_09
	       : draft == 2 ? SCHEMA_DRAFT7
			    : SCHEMA_DRAFT2020_12;
}

static int
schema_init(void *arg, int argc, char **argv, const struct stage_env *env,
	    struct errbuf *eb)
{
	struct schema_ctx *ctx = arg;

	if (strcmp(argv[0], "infer") == 0) {
		ctx->sub = SUB_INFER;
		if (ctx->mode != -1 || ctx->format != -1)
			return errbuf_set(eb, STATUS_USAGE,
					  "infer: --mode and --format belong "
					  "to schema compat");
		ctx->si = schema_infer_new(draft_dialect(ctx->draft),
					   ctx->enum_max == UINT64_MAX
						   ? SCHEMA_ENUM_MAX_DEFAULT
						   : (size_t)ctx->enum_max);
		return 0;
	}
	if (strcmp(argv[0], "compat") == 0) {
		struct schema_opts so = { 0 };

		ctx->sub = SUB_COMPAT;
		if (ctx->enum_max != UINT64_MAX)
			return errbuf_set(eb, STATUS_USAGE,
					  "compat: --enum-max belongs to "
					  "schema infer");
		if (argc < 3)
			return errbuf_set(eb, STATUS_USAGE,
					  "compat: usage: schema compat OLD "
					  "NEW [--mode backward|forward|full]");
		ctx->old_path = argv[1];
		ctx->new_path = argv[2];
		if (ctx->draft != -1) {
			so.dialect = draft_dialect(ctx->draft);
		}
		if (schema_compat(ctx->old_path, ctx->new_path,
				  ctx->mode == 1   ? COMPAT_FORWARD
				  : ctx->mode == 2 ? COMPAT_FULL
						   : COMPAT_BACKWARD,
				  &so, &ctx->res, eb) == -1)
			return errbuf_prefix(eb, "compat");
		return 0;
	}
	return errbuf_set(eb, STATUS_USAGE,
			  "unknown subcommand '%s' (infer or compat)", argv[0]);
}

static int
schema_process(void *arg, struct record *rec, struct emit *out,
	       struct errbuf *eb)
{
	struct schema_ctx *ctx = arg;
	json_t *v = record_json(rec, eb);

	if (v == NULL)
		return -1;
	schema_infer_add(ctx->si, v);
	return 0;
}

/* Emit one line: a JSON value (stolen), or text when v is NULL. */
static int
emit_line(struct emit *out, json_t *v, const char *text, struct errbuf *eb)
{
	struct record rec;
	int rc;

	record_init(&rec, "schema", 0, text ? text : "",
		    text ? strlen(text) : 0);
	if (v)
		record_set_json(&rec, v);
	rc = emit(out, &rec, eb);
	record_release(&rec);
	return rc;
}

static int
compat_finish(struct schema_ctx *ctx, struct emit *out, struct errbuf *eb)
{
	static const char *const modes[] = { "backward", "forward", "full" };
	const char *mode = modes[ctx->mode == -1 ? 0 : ctx->mode];
	size_t i;
	int rc;

	if (ctx->format == 1) {
		json_t *o = json_object(), *a = json_array();

		json_object_set_new(o, "compatible",
				    json_boolean(ctx->res.n == 0));
		json_object_set_new(o, "mode", json_string(mode));
		json_object_set_new(o, "old", json_string(ctx->old_path));
		json_object_set_new(o, "new", json_string(ctx->new_path));
		for (i = 0; i < ctx->res.n; i++) {
			const struct compat_change *c = &ctx->res.v[i];

			json_array_append_new(
				a,
				json_pack("{s:s,s:s,s:s,s:s}", "direction",
					  c->forward ? "forward" : "backward",
					  "schema", c->forward ? "old" : "new",
					  "pointer", c->pointer, "reason",
					  c->reason));
		}
		json_object_set_new(o, "changes", a);
		if ((rc = emit_line(out, o, NULL, eb)) != 0)
			return rc;
	} else {
		for (i = 0; i < ctx->res.n; i++) {
			const struct compat_change *c = &ctx->res.v[i];
			char *line = NULL;
			size_t n;
			FILE *m = open_memstream(&line, &n);

			fprintf(m, "%s: %s#%s: %s",
				c->forward ? "forward" : "backward",
				c->forward ? "old" : "new", c->pointer,
				c->reason);
			fclose(m);
			rc = emit_line(out, NULL, line, eb);
			free(line);
			if (rc != 0)
				return rc;
		}
	}
	if (ctx->res.n > 0)
		return errbuf_set(eb, STATUS_REJECT,
				  "compat: %s -> %s: %zu breaking change%s "
				  "(%s)",
				  ctx->old_path, ctx->new_path, ctx->res.n,
				  ctx->res.n == 1 ? "" : "s", mode);
	return 0;
}

static int
schema_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct schema_ctx *ctx = arg;

	if (ctx->sub == SUB_COMPAT)
		return compat_finish(ctx, out, eb);
	return emit_line(out, schema_infer_result(ctx->si), NULL, eb) == -1 ? -1
									    : 0;
}

static void
schema_report(void *arg, FILE *fp)
{
	struct schema_ctx *ctx = arg;

	if (ctx->sub == SUB_INFER)
		fprintf(fp, "evpipe: schema: inferred from %zu events\n",
			schema_infer_count(ctx->si));
}

static void
schema_free_ctx(void *arg)
{
	struct schema_ctx *ctx = arg;

	schema_infer_free(ctx->si);
	compat_result_release(&ctx->res);
}

#define S(f) offsetof(struct schema_ctx, f)
static const struct opt schema_opts[] = {
	{ "draft", 0, OPT_ENUM, S(draft), "2020-12|2019-09|draft-07",
	  "infer: dialect written (default 2020-12); compat: dialect of "
	  "schemas without $schema",
	  schema_draft_choices, NULL, 0 },
	{ "enum-max", 0, OPT_UINT, S(enum_max), "N",
	  "infer: enum for strings with at most N distinct values (default "
	  "10, 0: never)",
	  NULL, "infer", 0 },
	{ "mode", 'm', OPT_ENUM, S(mode), "backward|forward|full",
	  "compat: which direction must hold (default backward)",
	  schema_mode_choices, "compat", 0 },
	{ "format", 0, OPT_ENUM, S(format), "text|json",
	  "compat: one line per breaking change (text) or one JSON report",
	  schema_format_choices, "compat", 0 },
	OPT_END,
};
#undef S

const struct stage_entry stage_schema = {
	.name = "schema",
	.summary = "infer a schema from events; check schema compatibility",
	.args = "", /* the subcommands' are in cmd.c */
	.opts = schema_opts,
	.ctx_size = sizeof(struct schema_ctx),
	.min_args = 1,
	.max_args = 1,
	.flags = STAGE_NEEDS_JSON,
	.defaults = schema_defaults,
	.init = schema_init,
	.process = schema_process,
	.finish = schema_finish,
	.report = schema_report,
	.free = schema_free_ctx,
};
