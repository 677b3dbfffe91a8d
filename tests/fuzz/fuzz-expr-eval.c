/*
 * fuzz-expr-eval.c -- the evaluator on arbitrary JSON and short
 * expressions.
 *
 * Byte 0 chooses: even, the rest is a JSON document evaluated by every
 * expression of a fixed set (paths, generators, builtins, regexes,
 * assignments); odd, the rest is an expression evaluated on a fixed
 * event.  Outputs are printed; nothing may crash, leak or hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "expr/expr.h"

static const char *const fixed[] = {
	".",
	".a.b.c",
	".[0]?, .[-1]?, .[1:3]?",
	"[.[]?]",
	"[..] | length",
	"[paths]",
	"tostream",
	"to_entries?",
	"keys?",
	"length?",
	"tostring | fromjson",
	"tojson",
	"[.. | numbers] | add",
	"[.. | strings | test(\"a.*b\"; \"gi\")]",
	"[.. | strings | gsub(\"[aeiou]\"; \"_\")]",
	"[.. | strings | explode | implode]",
	"[.. | strings | @base64 | @base64d]",
	"[.. | strings | @uri, @html, @sh]",
	"[.. | scalars] | sort | unique",
	"[.. | arrays | sort_by(type)] | group_by(length)",
	"walk(if type == \"number\" then . + 1 else . end)",
	"del(..|select(. == null))?",
	"(.. | numbers) |= . * 2",
	".a = .b | .c += 1?",
	"[limit(5; recurse)]",
	"reduce .[]? as $x (0; . + ($x | length? // 0))",
	"[foreach (.[]?) as $x (0; . + 1; [$x, .])]",
	"if type == \"object\" then with_entries(.key |= ascii_upcase) "
	"else . end",
	"[.. | numbers | floor, sqrt?, tostring]",
	"[.. | numbers | todate?]",
	"[.. | strings | fromdate?]",
	"[.. | strings | split(\",\")]",
	"[.. | strings | [match(\"(?<x>.)\"; \"g\").captures]]",
	"[.. | strings | ltrimstr(\"a\") | ascii_downcase]",
	". as [$a, {b: $c}] ?// $d | 1",
	"getpath([\"a\", 0])?",
	"[splits(\"x\")?]",
	"flatten?",
	"contains(.)?",
	"[.[]?] | combinations? | length",
	"[.. | try error catch .]",
	NULL,
};

static int
out_cb(void *arg, json_t *v, struct errbuf *eb)
{
	struct buf *b = arg;

	(void)eb;
	b->len = 0;
	expr_dump(v, b);
	return 0;
}

static struct expr *compiled[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = { 0 };
	struct buf b = BUF_INIT;
	int i;

	if (!compiled[0])
		for (i = 0; fixed[i]; i++)
			compiled[i] = expr_compile(fixed[i], NULL, NULL, &eb);
	if (size < 1)
		return 0;
	if (data[0] % 2 == 0) {
		json_t *v = json_loadb((const char *)data + 1, size - 1,
				       JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

		if (!v)
			return 0;
		for (i = 0; fixed[i]; i++)
			if (compiled[i])
				expr_eval(compiled[i], v, out_cb, &b, &eb);
		json_decref(v);
	} else if (size < 200) {
		char *src = malloc(size);
		struct expr *x;
		json_t *v = json_pack("{s:i,s:s,s:[i,f,s,n],s:{s:b,s:{}}}", "a",
				      1, "b", "x,y", "c", 2, 2.5, "y", "d", "e",
				      1, "f");

		memcpy(src, data + 1, size - 1);
		src[size - 1] = 0;
		x = expr_compile(src, NULL, NULL, &eb);
		if (x) {
			/* limit the work: no more than a few outputs */
			expr_eval(x, v, out_cb, &b, &eb);
			expr_free(x);
		}
		json_decref(v);
		free(src);
	}
	buf_release(&b);
	return 0;
}
