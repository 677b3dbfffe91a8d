/*
 * expr/expr-stage.c -- compiling a command's expression with its named
 * arguments, and reporting a compile error with a caret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "expr-stage.h"
#include "lib/errbuf.h"
#include "lib/evtime.h"
#include "expr-access.h"
#include "expr-fast.h"
#include "expr-impl.h"
#include "expr.h"
#include "stage.h"

static struct expr *
cmd_expr_compile(const char *src, const struct stage_env *env,
		 json_t *stage_named, struct errbuf *eb)
{
	json_t *named = json_object();
	struct expr *x;
	size_t pos = 0;

	if (env && env->named_args)
		json_object_update(named, env->named_args);
	if (stage_named)
		json_object_update(named, stage_named);
	x = expr_compile(src, named, &pos, eb);
	json_decref(named);
	if (!x) {
		struct buf b = BUF_INIT;
		char msg[sizeof(eb->msg)];

		expr_caret(src, pos, &b);
		snprintf(msg, sizeof(msg), "%s", eb->msg);
		errbuf_set(eb, STATUS_USAGE, "expression: %s\n%s", msg, b.data);
		buf_release(&b);
	}
	return x;
}

static int
cmd_expr_fast_enabled(void)
{
	const char *v = getenv("EVPIPE_NO_FAST");

	return v == NULL || *v == '\0';
}

int
cmd_expr_init(struct cmd_expr *ce, const char *src, const struct stage_env *env,
	      json_t *stage_named, struct errbuf *eb)
{
	memset(ce, 0, sizeof(*ce));
	ce->expr = cmd_expr_compile(src, env, stage_named, eb);
	if (ce->expr == NULL)
		return -1;
	ce->input_name = expr_uses_input_name(ce->expr);
	ce->input_meta = expr_uses_input_meta(ce->expr);
	if (cmd_expr_fast_enabled()) {
		ce->access = expr_access_new(ce->expr);
		ce->fast = expr_fast_new(ce->expr);
	}
	return 0;
}

void
cmd_expr_release(struct cmd_expr *ce)
{
	expr_access_free(ce->access);
	expr_fast_free(ce->fast);
	expr_free(ce->expr);
	memset(ce, 0, sizeof(*ce));
}

struct expr_fast *
cmd_expr_fast(const struct cmd_expr *ce, const struct record *rec)
{
	if (ce->fast && rec->scan && !(rec->flags & RECORD_DIRTY))
		return ce->fast;
	return NULL;
}

json_t *
cmd_expr_input(const struct cmd_expr *ce, struct record *rec, int *owned,
	       struct errbuf *eb)
{
	json_t *v;

	*owned = 0;
	/* Every evaluation of the expression starts here. */
	if (ce->input_name)
		expr_set_input_name(ce->expr, record_input_name(rec));
	if (ce->input_meta)
		expr_set_input_meta(ce->expr, rec->meta, rec->metalen);
	if (ce->access && rec->scan && !(rec->flags & RECORD_DIRTY) &&
	    !rec->json) {
		v = expr_access_input(ce->access, rec->scan);
		if (v) {
			*owned = 1;
			return v;
		}
	}
	return record_json(rec, eb);
}

int
cmd_key_init(struct cmd_expr *ce, const char *src, const struct stage_env *env,
	     json_t *stage_named, struct errbuf *eb)
{
	return cmd_expr_init(ce, src, env, stage_named, eb);
}

json_t *
cmd_key_value(const struct cmd_expr *ce, struct record *rec, struct errbuf *eb)
{
	json_t *in, *v;
	int owned;

	in = cmd_expr_input(ce, rec, &owned, eb);
	if (in == NULL)
		return NULL;
	v = expr_single(ce->expr, in, eb);
	if (owned)
		json_decref(in);
	if (val_is_nan(v)) {
		/* no real holds NaN outside the evaluator: null, as jq
		 * prints it */
		json_decref(v);
		v = json_null();
	}
	return v;
}

int
cmd_key_bytes(const struct cmd_expr *ce, struct record *rec, struct buf *out,
	      struct errbuf *eb)
{
	struct expr_fast *fast = cmd_expr_fast(ce, rec);
	json_t *v;

	buf_reset(out);
	/* A projection has exactly one output, printed as jq prints it. */
	if (fast && expr_fast_project(fast, rec->scan, out) == 0)
		return 0;
	buf_reset(out);
	v = cmd_key_value(ce, rec, eb);
	if (v == NULL)
		return -1;
	if (expr_dump(v, out) == -1) {
		json_decref(v);
		return errbuf_set(eb, STATUS_REJECT,
				  "the key is too large to print "
				  "(over " EXPR_DUMP_MAX_TEXT ")");
	}
	json_decref(v);
	return 0;
}

int
cmd_key_time(const struct cmd_expr *ce, struct record *rec, const char *opt,
	     int64_t *ns, struct errbuf *eb)
{
	json_t *v = cmd_key_value(ce, rec, eb);
	int rc;

	if (v == NULL)
		return errbuf_prefix(eb, "%s", opt);
	rc = evtime_from_json(v, ns, eb);
	json_decref(v);
	if (rc == -1)
		return errbuf_prefix(eb, "%s", opt);
	return 0;
}
