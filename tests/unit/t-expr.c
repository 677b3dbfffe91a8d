/*
 * t-expr.c -- the expression lexer and parser: precedence, compile errors
 * with their columns, and the message for every construct outside the
 * subset.
 */
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "expr/expr.h"
#include "tap.h"

static int
out_cb(void *arg, json_t *v, struct errbuf *eb)
{
	struct buf *b = arg;

	(void)eb;
	if (b->len)
		buf_addc(b, ' ');
	expr_dump(v, b);
	return 0;
}

/* Evaluate src on null; outputs joined by spaces, or "ERR: msg". */
static void
run(const char *src, const char *want)
{
	struct errbuf eb = { 0 };
	struct buf b = BUF_INIT;
	struct expr *x = expr_compile(src, NULL, NULL, &eb);

	if (!x) {
		buf_addf(&b, "COMPILE: %s", eb.msg);
	} else if (expr_eval(x, json_null(), out_cb, &b, &eb) < 0) {
		buf_reset(&b);
		buf_addf(&b, "ERR: %s", eb.msg);
	}
	ok(strcmp(b.data ? b.data : "", want) == 0, "%s => %s", src,
	   b.data ? b.data : "");
	if (strcmp(b.data ? b.data : "", want) != 0)
		diag("want %s", want);
	expr_free(x);
	buf_release(&b);
}

/* src must fail to compile at byte offset pos with msg in the text. */
static void
bad(const char *src, size_t pos, const char *msg)
{
	struct errbuf eb = { 0 };
	size_t at = (size_t)-1;
	struct expr *x = expr_compile(src, NULL, &at, &eb);

	ok(!x && at == pos && strstr(eb.msg, msg) && eb.status == STATUS_USAGE,
	   "%s: error at %zu (%s)", src, at, eb.msg);
	expr_free(x);
}

int
main(void)
{
	struct buf b = BUF_INIT;

	/* precedence and associativity */
	run("1 + 2 * 3", "7");
	run("(1 + 2) * 3", "9");
	run("10 - 2 - 3", "5");
	run("2 * 3 % 4", "2");
	run("-1 + 2", "1");
	run("1, 2 | . + 1", "2 3");
	run("1 as $x | 2 as $y | $x + $y", "3");
	run("1 + 2 as $x | $x", "3");
	run("null // 1 // 2", "1");
	run("true or false and false", "true");
	run("1 < 2 and 2 < 3", "true");
	run("[1, 2] | .[0] = 5 | .[1]", "2");
	run("{} | .a = 1 // 2", "{\"a\":1}");
	run("try error(\"x\") catch . + \"!\"", "\"x!\"");
	run("reduce (1, 2, 3) as $i (0; . + $i)", "6");
	run("if . then 1 elif 1 then 2 else 3 end", "2");
	run("[if . then 1 end, if 1 then 2 end]", "[null,2]");
	run("[1, 2 | if . == 1 then 10 elif . == 2 then 20 end]", "[10,20]");
	run("[null | if . then 1 elif . == false then 2 end]", "[null]");
	run("[label $f | 1, break $f, 2]", "[1]");
	run("[label $f | (label $g | 1, break $f), 2]", "[1]");
	run("[[1], 2] | [.[] as [$a] ?// $b | [$a, $b]]",
	    "[[1,null],[null,2]]");
	run("def f: 1; f + f", "2");
	run("def f(g): [g, g]; f(1, 2)", "[1,2,1,2]");
	run("def f($a; b): $a + b; f(1; 10)", "11");
	run("[1 | def f: if . < 5 then ., (. + 1 | f) else empty end; f]",
	    "[1,2,3,4]");
	run("\"a\\(1 + 2)b\"", "\"a3b\"");
	run("@base64 \"x\\(\"hi\")\"", "\"xaGk=\"");
	run("[.[]?]", "[]");
	run("{a: 1} | .a?", "1");
	run("\"x\" | .a?", "");
	run("[1, [2]] | .[1][0]", "2");
	run("{\"a b\": 1} | .\"a b\"", "1");
	run(". as [$a, {b: $c}] | [$a, $c]", "[null,null]");
	/* literals keep their text; computed numbers print as jq does */
	run("1e1000", "1e1000");
	run("1e1000 + 0", "1.7976931348623157e+308");
	run("[.1, 1e-5, 1e17, 123456789012345678, -1.50, -(-2.0)]",
	    "[0.1,1e-5,1e17,123456789012345678,-1.50,2.0]");
	run("[1e-5, 1e17, 123456789012345678] | map(. + 0)",
	    "[1e-05,1e+17,123456789012345680]");
	run("\"\\u00e9\\ud83d\\ude00\" | length", "2");
	run("# comment\n1", "1");
	/* errors and their byte offsets */
	bad("1 +", 3, "unexpected end of expression");
	bad(".a | foo(1)", 5, "foo/1 is not defined");
	bad("[1, 2", 5, "expected ']'");
	bad("{a: 1", 5, "expected ',' or '}'");
	bad("\"abc", 0, "unterminated string");
	bad("\"\\q\"", 1, "invalid escape");
	bad("1 == 2 == 3", 7, "comparisons do not chain");
	bad("$x", 0, "$x is not defined");
	bad("@nope", 0, "unknown format @nope");
	bad(". as [$a | $a", 9, "expected ']'");
	bad("{(1): 2", 7, "expected ',' or '}'");
	bad("{1: 2}", 1, "object keys must be strings");
	bad(".a ^ 2", 3, "unexpected character");
	bad("...a", 0, "three dots in a row");
	bad(".. | ...", 5, "three dots in a row");
	/* constructs outside the subset */
	bad("def f: g; f", 7, "g/0 is not defined");
	bad("def f(a): a; f", 13, "f/0 is not defined");
	bad("def f($a): $a; $a", 15, "$a is not defined");
	bad("def f: 1", 8, "expected ';' ending the definition");
	bad("break $f", 6, "break $f: no label $f around it");
	bad(". as $f | break $f", 16, "no label $f around it");
	bad("import \"a\" as a; .", 0, "modules (import) are not supported");
	bad("include \"a\"; .", 0, "modules (include) are not supported");
	bad("if . then 1 els", 12, "expected 'elif', 'else' or 'end'");
	bad("reduce . as [$a] ?// $a (0; 1)", 0,
	    "destructuring alternatives (?//) are not supported in reduce");
	bad("input", 0, "input is not supported by evpipe");
	bad("inputs", 0, "inputs is not supported by evpipe");
	bad("modulemeta", 0, "modulemeta is not supported by evpipe");
	bad("{(0): 1}", 2, "Cannot use number (0) as object key");
	bad("input", 0, "input is not supported");
	bad("halt_error", 0, "halt_error is not supported");
	bad("$__prog_args", 0, "$__prog_args is not supported by evpipe");
	bad("getpath", 0, "getpath/0 is not defined; did you mean getpath/1?");
	/* the caret line */
	expr_caret(".a | foo(1)", 5, &b);
	ok(strcmp(b.data, "  .a | foo(1)\n       ^") == 0, "caret: %s", b.data);
	buf_release(&b);
	return done_testing();
}
