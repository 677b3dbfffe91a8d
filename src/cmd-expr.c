/*
 * cmd-expr.c -- compiling a command's expression with its named
 * arguments, and reporting a compile error with a caret.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cmd-expr.h"
#include "errbuf.h"
#include "expr-access.h"
#include "expr.h"
#include "stage.h"

struct expr *
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

json_t *
cmd_expr_input(const struct expr_access *a, struct record *rec, int *owned,
	       struct errbuf *eb)
{
	json_t *v;

	*owned = 0;
	if (a && rec->scan && !(rec->flags & RECORD_DIRTY) && !rec->json) {
		v = expr_access_input(a, rec->scan);
		if (v) {
			*owned = 1;
			return v;
		}
	}
	return record_json(rec, eb);
}
