/*
 * fuzz-expr-fast.c -- the fast paths against the full evaluator.
 *
 * The input is one JSON line.  For each expression of a fixed set whose
 * shape the fast paths take, the answer from the tape (expr_fast_truthy,
 * expr_fast_project) and the evaluation on the partial input
 * (expr_access_input) must equal what the full evaluator gives on the
 * whole value, byte for byte -- or the fast path must have said it was
 * not sure.  Any difference aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "expr/expr-access.h"
#include "expr/expr-fast.h"
#include "expr/expr.h"
#include "json/json-scan.h"

static const char *const exprs[] = {
	".a",
	".a.b",
	".a[0]",
	".a[-1].b",
	".a == 1",
	".a != \"x\"",
	".a < .b",
	".a >= 1.5",
	".a.b > 100 and .c == \"x\"",
	".a or .b",
	".a | not",
	".a == null",
	".a == true",
	".a > false",
	".a == 12345678901234567890",
	".a == -0",
	".a | test(\"^x\")",
	".a | test(\"X\"; \"i\")",
	"{a, b: .b.c, c: 1, d: \"s\", e: null}",
	"{a}",
	".a[1:3]",
	".a.b[-2:]",
	".a[:1.5]",
	"{a: .a[null:-1], b: .b[2:1]}",
	"[.a, .b]",
	".a + .b",
	"if .a then .b else .c end",
	".a // .b",
	"{x: .a.b} | .x",
	".a as $x | $x",
	"[.a[]?]",
	"\"\\(.a)-\\(.b)\"",
};

#define NEXPR (sizeof(exprs) / sizeof(exprs[0]))

static struct expr *x[NEXPR];
static struct expr_access *acc[NEXPR];
static struct expr_fast *fast[NEXPR];
static struct jscan js;

static int
collect(void *arg, json_t *out, struct errbuf *eb)
{
	struct buf *b = arg;

	expr_dump(out, b);
	buf_addc(b, '\n');
	return 0;
}

/* All outputs of e on v, each printed and ended by "\n"; "!" + message on
 * an error. */
static void
run(struct expr *e, json_t *v, struct buf *b)
{
	struct errbuf eb = { 0 };

	buf_reset(b);
	if (expr_eval(e, v, collect, b, &eb) < 0) {
		buf_addc(b, '!');
		buf_adds(b, eb.msg);
	}
	errbuf_clear(&eb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = { 0 };
	struct buf full = BUF_INIT, part = BUF_INIT, fp = BUF_INIT;
	json_t *whole;
	size_t i;

	if (x[0] == NULL) {
		jscan_init(&js);
		for (i = 0; i < NEXPR; i++) {
			x[i] = expr_compile(exprs[i], NULL, NULL, &eb);
			if (x[i] == NULL)
				abort();
			acc[i] = expr_access_new(x[i]);
			fast[i] = expr_fast_new(x[i]);
		}
	}
	if (size > 4096 || jscan_parse(&js, (const char *)data, size, &eb) < 0)
		return 0;
	whole = jscan_json(&js, jscan_root(&js), &eb);
	if (whole == NULL)
		abort();
	for (i = 0; i < NEXPR; i++) {
		run(x[i], whole, &full);
		if (acc[i]) {
			json_t *p = expr_access_input(acc[i], &js);

			if (p) {
				run(x[i], p, &part);
				json_decref(p);
				if (strcmp(full.data, part.data) != 0)
					abort();
			}
		}
		if (fast[i]) {
			int t = expr_fast_truthy(fast[i], &js);

			if (t != EXPR_FAST_UNSURE) {
				int want = expr_truthy(x[i], whole, &eb);

				errbuf_clear(&eb);
				if (want != t)
					abort();
			}
			buf_reset(&fp);
			if (expr_fast_project(fast[i], &js, &fp) == 0) {
				buf_addc(&fp, '\n');
				if (strcmp(full.data, fp.data) != 0)
					abort();
			}
		}
	}
	json_decref(whole);
	buf_release(&full);
	buf_release(&part);
	buf_release(&fp);
	return 0;
}
