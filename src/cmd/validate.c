/*
 * cmd/validate.c -- check events against JSON Schema (schema.h); valid
 * events pass on, invalid ones are rejects carrying every error.
 *
 * Events straight from the input are validated on the scanner's tape
 * (schema_validate_scan): no jansson tree per event, exact numbers.  An
 * event a stage rebuilt has no tape and is validated from its value.
 *
 * -s names a schema file, or a directory used as a registry: --select
 * renders a relative file name per event ("{.type}/v{.version}.json").
 * Each schema file is compiled once, on first use, and kept.
 *
 * --select is a path template (template.h): every rendered value is
 * sanitized, so the name never leaves the registry directory.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "expr/template.h"
#include "json/json-scan.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "schema/schema.h"
#include "sink/target.h"
#include "stage.h"

/* Distinct instance pointers / keywords counted per schema for --report. */
#define VALIDATE_MAX_TALLY 10000
/* Entries shown in each "top" list of the report. */
#define VALIDATE_TOP 10
/* Errors collected per event. */
#define VALIDATE_MAX_ERRORS 100

static const char *const validate_draft_choices[] = { "auto", "draft-07",
						      "2019-09", "2020-12",
						      NULL };
static const char *const validate_errors_choices[] = { "text", "json", NULL };

struct validate_entry {
	char *name; /* file name relative to the registry, or the file */
	struct schema *sc;
	uint64_t valid, invalid;
	json_t *keywords, *pointers; /* tallies for --report */
	struct validate_entry *next;
};

struct validate_ctx {
	/* options */
	const char *schema;
	const char *select;
	const char *report;
	int errors_json;
	int draft;
	int format;
	struct strlist ref_map;
	uint64_t max_schema_size;
	/* state */
	struct schema_opts so;
	struct schema_refmap *maps;
	int is_dir;
	struct validate_entry *single;
	struct validate_entry **table; /* registry: hash of entries */
	size_t tabcap, tabn;
	struct schema_errors errs;
	struct template *tmpl; /* --select */
	struct buf name;       /* its rendering, reused per event */
	uint64_t malformed, no_schema;
};

static void
validate_defaults(void *arg)
{
	struct validate_ctx *ctx = arg;

	ctx->format = 1;
	ctx->max_schema_size = SCHEMA_MAX_SIZE;
}

static size_t
validate_hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct validate_entry *
validate_entry_new(const char *name, struct schema *sc)
{
	struct validate_entry *e = xcalloc(1, sizeof *e);

	e->name = xstrdup(name);
	e->sc = sc;
	e->keywords = json_object();
	e->pointers = json_object();
	return e;
}

static void
validate_entry_free(struct validate_entry *e)
{
	free(e->name);
	schema_free(e->sc);
	json_decref(e->keywords);
	json_decref(e->pointers);
	free(e);
}

static void
validate_table_put(struct validate_ctx *ctx, struct validate_entry *e)
{
	size_t i;

	if (2 * (ctx->tabn + 1) > ctx->tabcap) {
		struct validate_entry **old = ctx->table;
		size_t oc = ctx->tabcap;

		ctx->tabcap = oc ? 2 * oc : 64;
		ctx->table = xcalloc(ctx->tabcap, sizeof *ctx->table);
		ctx->tabn = 0;
		for (i = 0; i < oc; i++)
			if (old[i])
				validate_table_put(ctx, old[i]);
		free(old);
	}
	for (i = validate_hash(e->name) & (ctx->tabcap - 1); ctx->table[i];
	     i = (i + 1) & (ctx->tabcap - 1))
		;
	ctx->table[i] = e;
	ctx->tabn++;
}

static struct validate_entry *
validate_table_get(struct validate_ctx *ctx, const char *name)
{
	size_t i;

	if (ctx->tabcap == 0)
		return NULL;
	for (i = validate_hash(name) & (ctx->tabcap - 1); ctx->table[i];
	     i = (i + 1) & (ctx->tabcap - 1))
		if (strcmp(ctx->table[i]->name, name) == 0)
			return ctx->table[i];
	return NULL;
}

static int validate_setup(struct validate_ctx *ctx, const struct stage_env *env,
			  struct errbuf *eb);

static int
validate_init(void *arg, int argc, char **argv, const struct stage_env *env,
	      struct errbuf *eb)
{
	(void)argc;
	(void)argv;
	return validate_setup(arg, env, eb);
}

static int
validate_setup(struct validate_ctx *ctx, const struct stage_env *env,
	       struct errbuf *eb)
{
	struct stat st;
	size_t i;

	if (ctx->schema == NULL)
		return errbuf_set(eb, STATUS_USAGE, "-s SCHEMA is required");
	ctx->so.dialect = ctx->draft == 0   ? SCHEMA_DIALECT_AUTO
			  : ctx->draft == 1 ? SCHEMA_DRAFT7
			  : ctx->draft == 2 ? SCHEMA_DRAFT2019_09
					    : SCHEMA_DRAFT2020_12;
	ctx->so.no_format = !ctx->format;
	if (ctx->max_schema_size == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--max-schema-size must be more than 0");
	ctx->so.max_size = ctx->max_schema_size;
	/* set by the runner's SIGINT/SIGTERM handler: a long load ends */
	ctx->so.stop = &sink_interrupted;
	ctx->maps = xcalloc(ctx->ref_map.n + 1, sizeof *ctx->maps);
	for (i = 0; i < ctx->ref_map.n; i++) {
		const char *s = ctx->ref_map.v[i], *eq = strchr(s, '=');

		if (eq == NULL || eq == s || eq[1] == '\0')
			return errbuf_set(eb, STATUS_USAGE,
					  "--ref-map wants URI=DIR, not '%s'",
					  s);
		ctx->maps[i].prefix = xstrndup(s, eq - s);
		ctx->maps[i].dir = eq + 1;
	}
	ctx->so.maps = ctx->maps;
	ctx->so.nmaps = ctx->ref_map.n;
	ctx->errs.max = VALIDATE_MAX_ERRORS;
	if (stat(ctx->schema, &st) == -1)
		return errbuf_set(eb, STATUS_USAGE, "%s: %s", ctx->schema,
				  strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		if (ctx->select == NULL)
			return errbuf_set(eb, STATUS_USAGE,
					  "-s %s is a directory: --select "
					  "TEMPLATE is needed",
					  ctx->schema);
		ctx->is_dir = 1;
		ctx->tmpl = template_compile(ctx->select,
					     env ? env->named_args : NULL, eb);
		if (ctx->tmpl == NULL)
			return errbuf_prefix(eb, "--select");
		return 0;
	}
	if (ctx->select)
		return errbuf_set(eb, STATUS_USAGE,
				  "--select needs -s to name a directory");
	{
		struct schema *sc = schema_load(ctx->schema, &ctx->so, eb);

		if (sc == NULL)
			return -1;
		ctx->single = validate_entry_new(ctx->schema, sc);
	}
	return 0;
}

/* The registry entry for this event; NULL with eb set (reject/usage). */
static struct validate_entry *
validate_lookup(struct validate_ctx *ctx, json_t *v, struct errbuf *eb)
{
	struct validate_entry *e;
	struct schema *sc;
	char *path;
	struct stat st;

	buf_reset(&ctx->name);
	if (template_render(ctx->tmpl, v, TEMPLATE_PATH, &ctx->name, eb) ==
	    -1) {
		errbuf_prefix(eb, "--select");
		if (eb->status == STATUS_REJECT)
			ctx->no_schema++;
		return NULL;
	}
	if ((e = validate_table_get(ctx, ctx->name.data)) != NULL)
		return e;
	path = xasprintf("%s/%s", ctx->schema, ctx->name.data);
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
		errbuf_set(eb, STATUS_REJECT, "no schema %s for this event",
			   ctx->name.data);
		ctx->no_schema++;
		free(path);
		return NULL;
	}
	ctx->so.root_dir = ctx->schema;
	ctx->so.regular_only = 1; /* a FIFO put there must not block */
	sc = schema_load(path, &ctx->so, eb);
	free(path);
	if (sc == NULL) {
		eb->status = STATUS_USAGE;
		return NULL;
	}
	e = validate_entry_new(ctx->name.data, sc);
	validate_table_put(ctx, e);
	return e;
}

static void
validate_tally(json_t *o, const char *k)
{
	json_t *c = json_object_get(o, k);

	if (c)
		json_integer_set(c, json_integer_value(c) + 1);
	else if (json_object_size(o) < VALIDATE_MAX_TALLY)
		json_object_set_new(o, k, json_integer(1));
}

static int
validate_process(void *arg, struct record *rec, struct emit *out,
		 struct errbuf *eb)
{
	struct validate_ctx *ctx = arg;
	struct validate_entry *e;
	json_t *v, *detail, *msgs;
	size_t i;

	int tape = rec->scan != NULL && !(rec->flags & RECORD_DIRTY), ok;

	/* An event fresh from the input is validated on the scanner's tape;
	 * only --select, or an event a stage rebuilt, needs its tree. */
	v = NULL;
	if ((!tape || ctx->is_dir) && (v = record_json(rec, eb)) == NULL) {
		ctx->malformed++;
		return -1;
	}
	if (ctx->is_dir) {
		template_set_input_name(ctx->tmpl, rec->src);
		template_set_input_meta(ctx->tmpl, rec->meta, rec->metalen);
	}
	e = ctx->is_dir ? validate_lookup(ctx, v, eb) : ctx->single;
	if (e == NULL)
		return -1;
	schema_errors_reset(&ctx->errs);
	if (tape)
		ok = schema_validate_scan(e->sc, rec->scan,
					  jscan_root(rec->scan), &ctx->errs);
	else
		ok = schema_validate(e->sc, v, &ctx->errs);
	if (ok) {
		e->valid++;
		return emit(out, rec, eb);
	}
	e->invalid++;
	detail = json_object();
	msgs = json_array();
	for (i = 0; i < ctx->errs.n; i++) {
		const struct schema_error *er = &ctx->errs.v[i];

		validate_tally(e->keywords, er->kw);
		validate_tally(e->pointers, er->instance);
		if (ctx->errors_json) {
			json_t *o = json_pack(
				"{s:s, s:s, s:s, s:s}", "instance",
				er->instance, "keyword", er->keyword, "schema",
				er->absolute, "message", er->message);
			char *s = json_dumps(o, RECORD_DUMP_FLAGS);

			json_array_append_new(msgs, json_string(s));
			free(s);
			json_decref(o);
		} else {
			char *s = xasprintf("%s: %s (%s)",
					    *er->instance ? er->instance
							  : "(root)",
					    er->message, er->kw);

			json_array_append_new(msgs, json_string(s));
			free(s);
		}
	}
	if (ctx->errs.dropped)
		json_array_append_new(msgs,
				      json_sprintf("... and %zu more errors",
						   ctx->errs.dropped));
	json_object_set_new(detail, "errors", schema_errors_json(&ctx->errs));
	json_object_set_new(detail, "schema", json_string(e->name));
	json_object_set_new(detail, "messages", msgs);
	if (ctx->errs.n > 0)
		errbuf_set(eb, STATUS_REJECT, "%zu schema error%s: %s: %s",
			   ctx->errs.n + ctx->errs.dropped,
			   ctx->errs.n + ctx->errs.dropped == 1 ? "" : "s",
			   *ctx->errs.v[0].instance ? ctx->errs.v[0].instance
						    : "(root)",
			   ctx->errs.v[0].message);
	else
		errbuf_set(eb, STATUS_REJECT, "invalid against %s", e->name);
	eb->detail = detail;
	return -1;
}

/* Most frequent first; ties by name, so reports are reproducible. */
static int
validate_cmp_count(const void *a, const void *b)
{
	json_t *ja = *(json_t *const *)a, *jb = *(json_t *const *)b;
	json_int_t x = json_integer_value(json_object_get(ja, "count"));
	json_int_t y = json_integer_value(json_object_get(jb, "count"));
	void *ia = json_object_iter(ja), *ib = json_object_iter(jb);

	if (x != y)
		return x < y ? 1 : -1;
	return strcmp(json_string_value(json_object_iter_value(ia)),
		      json_string_value(json_object_iter_value(ib)));
}

static int
validate_cmp_name(const void *a, const void *b)
{
	return strcmp((*(struct validate_entry *const *)a)->name,
		      (*(struct validate_entry *const *)b)->name);
}

/* The n largest tallies of o as [{"NAME": k, "count": n}]. */
static json_t *
validate_top(json_t *o, const char *name)
{
	size_t n = json_object_size(o), i = 0;
	json_t **v = xcalloc(n ? n : 1, sizeof *v), *a = json_array(), *c;
	const char *k;

	json_object_foreach(o, k, c) {
		v[i++] = json_pack("{s:s, s:O}", name, k, "count", c);
	}
	qsort(v, n, sizeof *v, validate_cmp_count);
	for (i = 0; i < n; i++) {
		if (i < VALIDATE_TOP)
			json_array_append(a, v[i]);
		json_decref(v[i]);
	}
	free(v);
	return a;
}

static json_t *
validate_entry_report(struct validate_entry *e)
{
	return json_pack("{s:I, s:I, s:o, s:o}", "valid", (json_int_t)e->valid,
			 "invalid", (json_int_t)e->invalid, "top_keywords",
			 validate_top(e->keywords, "keyword"), "top_pointers",
			 validate_top(e->pointers, "pointer"));
}

static int
validate_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct validate_ctx *ctx = arg;
	json_t *r, *schemas, *kw, *ptr;
	struct validate_entry **ents;
	uint64_t valid = 0, invalid = 0;
	size_t i, n = 0;
	FILE *fp;
	int rc = 0;

	if (ctx->report == NULL)
		return 0;
	/* schema files in name order */
	ents = xcalloc(ctx->tabn + 1, sizeof *ents);
	if (ctx->single)
		ents[n++] = ctx->single;
	for (i = 0; i < ctx->tabcap; i++)
		if (ctx->table[i])
			ents[n++] = ctx->table[i];
	qsort(ents, n, sizeof *ents, validate_cmp_name);
	schemas = json_object();
	kw = json_object();
	ptr = json_object();
	for (i = 0; i < n; i++) {
		struct validate_entry *e = ents[i];
		const char *k;
		json_t *c, *t;

		valid += e->valid;
		invalid += e->invalid;
		json_object_set_new(schemas, e->name, validate_entry_report(e));
		json_object_foreach(e->keywords, k, c) {
			t = json_object_get(kw, k);
			json_object_set_new(
				kw, k,
				json_integer(json_integer_value(c) +
					     (t ? json_integer_value(t) : 0)));
		}
		json_object_foreach(e->pointers, k, c) {
			t = json_object_get(ptr, k);
			json_object_set_new(
				ptr, k,
				json_integer(json_integer_value(c) +
					     (t ? json_integer_value(t) : 0)));
		}
	}
	free(ents);
	r = json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "events",
		(json_int_t)(valid + invalid + ctx->malformed + ctx->no_schema),
		"valid", (json_int_t)valid, "invalid", (json_int_t)invalid,
		"malformed", (json_int_t)ctx->malformed, "no_schema",
		(json_int_t)ctx->no_schema, "schemas", schemas, "top_keywords",
		validate_top(kw, "keyword"), "top_pointers",
		validate_top(ptr, "pointer"));
	json_decref(kw);
	json_decref(ptr);
	if ((fp = fopen(ctx->report, "w")) == NULL) {
		rc = errbuf_set(eb, STATUS_IO, "--report %s: %s", ctx->report,
				strerror(errno));
	} else {
		if (json_dumpf(r, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ==
			    -1 ||
		    fputc('\n', fp) == EOF || fclose(fp) == EOF)
			rc = errbuf_set(eb, STATUS_IO, "--report %s: %s",
					ctx->report, strerror(errno));
	}
	json_decref(r);
	return rc;
}

static void
validate_free(void *arg)
{
	struct validate_ctx *ctx = arg;
	size_t i;

	if (ctx->single)
		validate_entry_free(ctx->single);
	for (i = 0; i < ctx->tabcap; i++)
		if (ctx->table[i])
			validate_entry_free(ctx->table[i]);
	free(ctx->table);
	if (ctx->maps)
		for (i = 0; i < ctx->ref_map.n; i++)
			free((char *)ctx->maps[i].prefix);
	free(ctx->maps);
	schema_errors_release(&ctx->errs);
	buf_release(&ctx->name);
	template_free(ctx->tmpl);
}

#define V(f) offsetof(struct validate_ctx, f)
static const struct opt validate_opts[] = {
	{ "schema", 's', OPT_STRING, V(schema), "SCHEMA",
	  "schema file, or a directory of schemas used with --select", NULL,
	  NULL, OPT_REQUIRED },
	{ "select", 0, OPT_STRING, V(select), "TEMPLATE",
	  "file in the -s directory for each event, e.g. '{.type}.json'", NULL,
	  NULL, 0 },
	{ "report", 0, OPT_STRING, V(report), "FILE",
	  "write a JSON summary (counts, top failing keywords) to FILE", NULL,
	  NULL, 0 },
	{ "errors", 0, OPT_ENUM, V(errors_json), "text|json",
	  "print each schema error as text (default) or as JSON",
	  validate_errors_choices, NULL, 0 },
	{ "draft", 0, OPT_ENUM, V(draft), "auto|draft-07|2019-09|2020-12",
	  "dialect of schemas without $schema (default: auto = 2020-12)",
	  validate_draft_choices, NULL, 0 },
	{ "format", 0, OPT_BOOL, V(format), NULL,
	  "assert \"format\" (default; --no-format: annotation only)", NULL,
	  NULL, OPT_SHOW_NO },
	{ "ref-map", 0, OPT_STRLIST, V(ref_map), "URI=DIR",
	  "resolve $ref URIs starting with URI to files under DIR", NULL, NULL,
	  0 },
	{ "max-schema-size", 0, OPT_SIZE, V(max_schema_size), "SIZE",
	  "most schema text one schema may read, its $ref files included "
	  "(default 16M)",
	  NULL, NULL, 0 },
	OPT_END,
};
#undef V

const struct stage_entry stage_validate = {
	.name = "validate",
	.summary = "pass events valid against a JSON Schema, reject the rest",
	.args = "",
	.opts = validate_opts,
	.ctx_size = sizeof(struct validate_ctx),
	.min_args = 0,
	.max_args = 0,
	.defaults = validate_defaults,
	.init = validate_init,
	.process = validate_process,
	.finish = validate_finish,
	.free = validate_free,
};
