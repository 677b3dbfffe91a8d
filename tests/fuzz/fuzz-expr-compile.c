/*
 * fuzz-expr-compile.c -- the expression compiler on arbitrary text.
 *
 * The input (up to its first NUL) is compiled; a failure must be a usage
 * error with an offset inside the text, and the caret must render.  An
 * expression that compiles is also evaluated once on a small event, so
 * the parser's trees meet the evaluator.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "expr/expr.h"

struct count {
	struct buf *b;
	int n;
};

static int
count_cb(void *arg, json_t *v, struct errbuf *eb)
{
	struct count *c = arg;

	(void)eb;
	c->b->len = 0;
	expr_dump(v, c->b);
	return ++c->n >= 1000; /* enough: stop generators early */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = { 0 };
	struct buf b = BUF_INIT;
	char *src = malloc(size + 1);
	size_t pos = (size_t)-1;
	struct expr *x;
	json_t *ev;

	memcpy(src, data, size);
	src[size] = 0;
	x = expr_compile(src, NULL, &pos, &eb);
	if (!x) {
		if (eb.status != STATUS_USAGE || pos > strlen(src))
			abort();
		expr_caret(src, pos, &b);
	} else {
		ev = json_pack("{s:i,s:s,s:[i,s,n],s:{s:b}}", "a", 1, "b", "x",
			       "c", 2, "y", "d", "e", 1);
		struct count c = { &b, 0 };

		expr_eval(x, ev, count_cb, &c, &eb);
		json_decref(ev);
		expr_free(x);
	}
	buf_release(&b);
	free(src);
	return 0;
}
