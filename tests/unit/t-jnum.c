/*
 * t-jnum.c -- numbers that keep their text (json/jnum.h): the grammar,
 * which numbers get text, printing, jq 1.7's comparison, canonical key
 * spellings, and the allocator's header.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/jnum.h"
#include "json/json-text.h"
#include "lib/buf.h"
#include "tap.h"

static void
scan_cases(void)
{
	static const struct {
		const char *s;
		size_t want;
	} c[] = {
		{ "0", 1 },	{ "-0", 2 },	  { "1.0", 3 },	 { "1E2", 3 },
		{ "1e+2", 4 },	{ "1.50e-7", 7 }, { "01", 1 },	 { "1.", 0 },
		{ ".5", 0 },	{ "-", 0 },	  { "+1", 0 },	 { "1e", 0 },
		{ "1e+", 0 },	{ "12a", 2 },	  { "-0.0", 4 }, { "", 0 },
		{ "1.5.5", 3 }, { "NaN", 0 },	  { "1E-0", 4 }, { "0e0", 3 },
	};
	size_t i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		ok(jnum_scan(c[i].s, strlen(c[i].s)) == c[i].want,
		   "jnum_scan(\"%s\") = %zu", c[i].s, c[i].want);
	ok(jnum_parse("1.", 2) == NULL, "\"1.\" is not a JSON number");
	ok(jnum_parse("12a", 3) == NULL, "nor is \"12a\"");
}

/* v prints as want, and has text exactly when has_text. */
static void
kept(const char *s, int has_text, const char *want)
{
	json_t *v = jnum_parse(s, strlen(s));
	struct buf b = BUF_INIT;
	size_t n = 0;
	const char *t = v ? jnum_text(v, &n) : NULL;

	jnum_dump(v, &b);
	ok(v && (t != NULL) == has_text && strcmp(b.data, want) == 0,
	   "%s: %s text, prints %s (got %s)", s, has_text ? "with" : "no", want,
	   b.data);
	buf_release(&b);
	json_decref(v);
}

static void
text_cases(void)
{
	json_t *v;

	kept("0", 0, "0");
	kept("-12", 0, "-12");
	kept("9223372036854775807", 0, "9223372036854775807");
	kept("-9223372036854775808", 0, "-9223372036854775808");
	kept("9223372036854775808", 1, "9223372036854775808");
	kept("-0", 1, "-0");
	kept("1.0", 1, "1.0");
	kept("1E2", 1, "1E2");
	kept("1e999", 1, "1e999");
	kept("1234567890.123456789012345678901234567890", 1,
	     "1234567890.123456789012345678901234567890");
	v = jnum_parse("1e999", 5);
	ok(jnum_value(v) == DBL_MAX, "1e999 holds the largest double");
	json_decref(v);
	v = jnum_parse("-1e999", 6);
	ok(jnum_value(v) == -DBL_MAX, "-1e999 holds the lowest");
	json_decref(v);
	v = jnum_parse("-0", 2);
	ok(json_is_real(v) && signbit(jnum_value(v)), "-0 is a negative zero");
	json_decref(v);
	v = json_real(1.5);
	ok(jnum_text(v, &(size_t){ 0 }) == NULL, "a computed real has none");
	json_decref(v);
	v = json_string("1.0");
	ok(jnum_text(v, &(size_t){ 0 }) == NULL, "nor has a string");
	json_decref(v);
}

static void
dumped(double d, const char *want)
{
	struct buf b = BUF_INIT;

	jnum_dump_double(d, &b);
	ok(strcmp(b.data, want) == 0, "%.17g prints %s (got %s)", d, want,
	   b.data);
	buf_release(&b);
}

static void
double_cases(void)
{
	dumped(1.0, "1");
	dumped(-0.0, "-0");
	dumped(0.1 + 0.2, "0.30000000000000004");
	dumped(1e17, "1e+17");
	dumped(1e-5, "1e-05");
	dumped(0.0001, "0.0001");
	dumped(123456789012345678.0, "123456789012345680");
	dumped(INFINITY, "1.7976931348623157e+308");
	dumped(-INFINITY, "-1.7976931348623157e+308");
	dumped(NAN, "null");
	dumped(248.6, "248.6");
}

static int
cmp_text(const char *a, const char *b)
{
	json_t *x = jnum_parse(a, strlen(a)), *y = jnum_parse(b, strlen(b));
	int r = jnum_cmp(x, y);

	json_decref(x);
	json_decref(y);
	return r;
}

static void
cmp_cases(void)
{
	json_t *c, *t;

	ok(cmp_text("9007199254740993", "9007199254740992") > 0,
	   "int64s compare exactly");
	ok(cmp_text("12345678901234567891", "12345678901234567890") > 0,
	   "texts beyond int64 compare exactly");
	ok(cmp_text("12345678901234567890", "12345678901234567890.0") == 0,
	   "equal texts are equal");
	ok(cmp_text("9007199254740993.0", "9007199254740993") == 0,
	   "a text against an int64, exactly");
	ok(cmp_text("9007199254740993.0", "9007199254740992") > 0,
	   "and its neighbour differs");
	ok(cmp_text("0.10000000000000000001", "0.1") > 0,
	   "decimals a double cannot tell apart");
	ok(cmp_text("1", "1.0") == 0 && cmp_text("10e-1", "1") == 0,
	   "1, 1.0 and 10e-1 are equal");
	ok(cmp_text("-0", "0") == 0, "-0 equals 0");
	ok(cmp_text("1e999", "1e998") > 0, "beyond the range, exactly");
	ok(cmp_text("-1e999", "1") < 0, "different doubles decide");
	/* a computed double has no exact form: equal doubles are equal */
	c = json_real(9007199254740992.0);
	t = jnum_parse("9007199254740993.0", 18);
	ok(jnum_cmp(c, t) == 0 && jnum_cmp(t, c) == 0,
	   "a computed double equals a text of the same double");
	json_decref(c);
	json_decref(t);
	c = jnum_special(NAN);
	t = json_integer(1);
	ok(jnum_cmp(c, t) > 0 && jnum_is_nan(c), "NaN as jq orders it");
	json_decref(c);
	json_decref(t);
}

static void
canon(const char *s, const char *want)
{
	json_t *v = jnum_parse(s, strlen(s));
	struct buf b = BUF_INIT;

	jnum_dump_canon(v, &b);
	ok(strcmp(b.data, want) == 0, "key spelling of %s is %s (got %s)", s,
	   want, b.data);
	buf_release(&b);
	json_decref(v);
}

static void
canon_cases(void)
{
	json_t *a;
	struct buf b = BUF_INIT;

	canon("1", "1");
	canon("1.0", "1");
	canon("10e-1", "1");
	canon("-0", "0");
	canon("0.0", "0");
	canon("1.50", "1.5");
	canon("1e-7", "1e-07");
	canon("12345678901234567890", "12345678901234567890");
	canon("1234567890123456789.0e1", "12345678901234567890");
	canon("0.10000000000000000001", "0.10000000000000000001");
	canon("1.00000000000000000010e-1", "0.10000000000000000001");
	canon("-123456789012345678901234567890.5",
	      "-123456789012345678901234567890.5");
	canon("1e999", "1e+999");
	canon("10e998", "1e+999");
	a = jnum_parse("0."
		       "0000000000000000000000000000000000000000000012345678901"
		       "234567891",
		       66);
	jnum_dump_canon(a, &b);
	ok(strcmp(b.data, "1.2345678901234567891e-45") == 0,
	   "far below 1: exponent form (got %s)", b.data);
	buf_release(&b);
	json_decref(a);
}

static void
printer_cases(void)
{
	json_t *o = json_object();
	struct buf b = BUF_INIT;
	char *s;

	json_object_set_new(o, "id", jnum_parse("12345678901234567890", 20));
	json_object_set_new(o, "f", jnum_parse("1.0", 3));
	json_object_set_new(o, "c", json_real(0.5));
	json_object_set_new(o, "s", json_string("a\x7f\n"));
	jtext_value(&b, o, SIZE_MAX);
	ok(strcmp(b.data, "{\"id\":12345678901234567890,\"f\":1.0,\"c\":0.5,"
			  "\"s\":\"a\\u007f\\n\"}") == 0,
	   "jtext_value keeps texts, escapes as jq (got %s)", b.data);
	s = jtext_dumps(o);
	ok(strcmp(s, b.data) == 0,
	   "jtext_dumps is the same text in memory of our own");
	free(s);
	buf_reset(&b);
	jtext_value_canon(&b, o, SIZE_MAX);
	ok(strcmp(b.data, "{\"id\":12345678901234567890,\"f\":1,\"c\":0.5,"
			  "\"s\":\"a\\u007f\\n\"}") == 0,
	   "jtext_value_canon spells numbers as keys (got %s)", b.data);
	/* json_dumps() allocates through jansson: jnum_free() frees it */
	s = json_dumps(o, JSON_COMPACT);
	ok(s != NULL, "json_dumps through the installed allocator");
	jnum_free(s);
	buf_release(&b);
	json_decref(o);
}

int
main(void)
{
	jnum_install(); /* a second call is harmless */
	scan_cases();
	text_cases();
	double_cases();
	cmp_cases();
	canon_cases();
	printer_cases();
	return done_testing();
}
