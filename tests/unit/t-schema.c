/*
 * t-schema.c -- unit tests of the JSON Schema library: error locations,
 * numbers, regex translation, formats, references, limits, and
 * validation on the scanner's tape against validation of a jansson value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/regex.h"
#include "json/jnum.h"
#include "json/json-scan.h"
#include "schema/schema-int.h"
#include "schema/schema.h"
#include "tap.h"

static struct schema *
compile(const char *text, struct errbuf *eb)
{
	json_error_t jerr;
	json_t *doc = schema_json_loadb(text, strlen(text), &jerr);
	struct schema *sc;

	if (doc == NULL) {
		errbuf_set(eb, STATUS_USAGE, "test JSON: %s", jerr.text);
		return NULL;
	}
	sc = schema_compile(doc, "file:///t/s.json", NULL, eb);
	json_decref(doc);
	return sc;
}

/* 1 valid, 0 invalid, -1 schema did not compile. */
static int
check(const char *schema, const char *value)
{
	struct errbuf eb = { 0 };
	struct schema *sc = compile(schema, &eb);
	json_error_t jerr;
	json_t *v;
	int r;

	if (sc == NULL) {
		diag("compile: %s", eb.msg);
		return -1;
	}
	v = schema_json_loadb(value, strlen(value), &jerr);
	r = v ? schema_validate(sc, v, NULL) : -2;
	json_decref(v);
	schema_free(sc);
	return r;
}

static void
test_errors(void)
{
	struct errbuf eb = { 0 };
	struct schema *sc = compile(
		"{\"$defs\":{\"pos\":{\"minimum\":0}},"
		"\"properties\":{\"data\":{\"properties\":{\"amount\":"
		"{\"$ref\":\"#/$defs/pos\"},\"a/b\":{\"type\":\"string\"}},"
		"\"required\":[\"id\"]}}}",
		&eb);
	struct schema_errors errs = SCHEMA_ERRORS_INIT;
	json_error_t jerr;
	json_t *v =
		json_loads("{\"data\":{\"amount\":-3,\"a/b\":1}}", 0, &jerr);
	json_t *j;
	char *s;

	ok(sc != NULL, "schema with $defs and $ref compiles (%s)", eb.msg);
	if (sc == NULL)
		return;
	ok(schema_validate(sc, v, &errs) == 0, "invalid value is invalid");
	ok(errs.n == 3, "all three errors are collected (%zu)", errs.n);
	if (errs.n == 3) {
		ok(strcmp(errs.v[0].instance, "/data") == 0 &&
			   strcmp(errs.v[0].kw, "required") == 0,
		   "required reported at the object: %s %s", errs.v[0].instance,
		   errs.v[0].kw);
		ok(strcmp(errs.v[1].instance, "/data/amount") == 0,
		   "instance pointer /data/amount: %s", errs.v[1].instance);
		ok(strcmp(errs.v[1].keyword,
			  "/properties/data/properties/amount/$ref/minimum") ==
			   0,
		   "keyword path goes through $ref: %s", errs.v[1].keyword);
		ok(strcmp(errs.v[1].absolute,
			  "file:///t/s.json#/$defs/pos/minimum") == 0,
		   "absolute location: %s", errs.v[1].absolute);
		ok(strcmp(errs.v[1].message,
			  "-3 is less than the minimum of 0") == 0,
		   "message: %s", errs.v[1].message);
		ok(strcmp(errs.v[2].instance, "/data/a~1b") == 0,
		   "'/' in a key is escaped: %s", errs.v[2].instance);
	}
	j = schema_errors_json(&errs);
	s = json_dumps(j, JSON_COMPACT);
	ok(s && strstr(s, "\"instance\":\"/data/amount\"") != NULL,
	   "errors as JSON");
	jnum_free(s);
	json_decref(j);
	schema_errors_reset(&errs);
	errs.max = 1;
	ok(schema_validate(sc, v, &errs) == 0 && errs.n == 1 &&
		   errs.dropped > 0,
	   "max caps the errors kept, the rest are counted");
	schema_errors_release(&errs);
	json_decref(v);
	schema_free(sc);
}

static void
test_numbers(void)
{
	ok(check("{\"maximum\":9007199254740992}", "9007199254740993") == 0,
	   "integers beyond 2^53 compare exactly");
	ok(check("{\"const\":9007199254740993}", "9007199254740992") == 0,
	   "const on big integers is exact");
	ok(check("{\"type\":\"integer\"}", "1.0") == 1, "1.0 is an integer");
	ok(check("{\"type\":\"integer\"}", "1.5") == 0, "1.5 is not");
	ok(check("{\"type\":\"integer\"}", "123456789012345678901234567890") ==
		   1,
	   "a bignum is an integer");
	ok(check("{\"multipleOf\":0.0001}", "0.0075") == 1,
	   "0.0075 is a multiple of 0.0001");
	ok(check("{\"multipleOf\":0.0001}", "0.00751") == 0, "0.00751 is not");
	ok(check("{\"multipleOf\":3}", "9223372036854775806") == 1,
	   "int64 multipleOf is exact");
	ok(check("{\"enum\":[1]}", "1.0") == 1, "enum: 1 equals 1.0");
	ok(check("{\"enum\":[false]}", "0") == 0, "enum: false is not 0");
	ok(check("{\"exclusiveMinimum\":0}", "0") == 0, "exclusiveMinimum");
	ok(check("{\"minLength\":2}", "\"\xc3\xa9\"") == 0,
	   "minLength counts code points, not bytes");
}

/* Validate value text on the tape and as a jansson value: must agree. */
static int
check_both(const char *schema, const char *value)
{
	struct errbuf eb = { 0 };
	struct schema *sc = compile(schema, &eb);
	struct jscan js;
	json_error_t jerr;
	json_t *v;
	int a, b;

	if (sc == NULL) {
		diag("compile: %s", eb.msg);
		return -1;
	}
	jscan_init(&js);
	if (jscan_parse(&js, value, strlen(value), &eb) < 0) {
		diag("scan: %s", eb.msg);
		a = -2;
	} else {
		a = schema_validate_scan(sc, &js, jscan_root(&js), NULL);
	}
	v = schema_json_loadb(value, strlen(value), &jerr);
	b = v ? schema_validate(sc, v, NULL) : -2;
	if (a != b)
		diag("%s on %s: tape says %d, jansson value %d", schema, value,
		     a, b);
	json_decref(v);
	jscan_release(&js);
	schema_free(sc);
	return a == b ? a : -3;
}

/* Compile from a file, as evpipe does: the exact numbers are kept. */
static struct schema *
compile_file(const char *text, struct errbuf *eb)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	struct schema *sc;
	FILE *fp;
	int fd;

	snprintf(path, sizeof path, "%s/t-schema-XXXXXX",
		 dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		errbuf_set(eb, STATUS_IO, "mkstemp failed");
		return NULL;
	}
	fputs(text, fp);
	fclose(fp);
	sc = schema_load(path, NULL, eb);
	unlink(path);
	return sc;
}

static int
check_tape(const char *schema, const char *value)
{
	struct errbuf eb = { 0 };
	struct schema *sc = compile_file(schema, &eb);
	struct jscan js;
	int a = -2;

	if (sc == NULL) {
		diag("compile: %s", eb.msg);
		return -1;
	}
	jscan_init(&js);
	if (jscan_parse(&js, value, strlen(value), &eb) == 0)
		a = schema_validate_scan(sc, &js, jscan_root(&js), NULL);
	jscan_release(&js);
	schema_free(sc);
	return a;
}

static void
test_exact(void)
{
	ok(check_tape("{\"minimum\":18446744073709551616}",
		      "18446744073709551617") == 1,
	   "minimum beyond 64 bits: 2^64 + 1 passes");
	ok(check_tape("{\"minimum\":18446744073709551616}",
		      "18446744073709551615") == 0,
	   "minimum beyond 64 bits: 2^64 - 1 fails");
	ok(check_tape("{\"maximum\":10}", "18446744073709551616.5") == 0 &&
		   check_tape("{\"minimum\":-10}", "-18446744073709551616") ==
			   0 &&
		   check_tape("{\"maximum\":10}", "999999999999999999") == 0 &&
		   check_tape("{\"maximum\":10}", "9.999999999999999999") == 1,
	   "long values against a small bound");
	ok(check_tape("{\"maximum\":-18446744073709551616}",
		      "-18446744073709551617") == 1,
	   "negative big integers");
	ok(check_tape("{\"exclusiveMaximum\":0.1}", "0.10000000000000000001") ==
		   0,
	   "decimals compare digit by digit (above 0.1)");
	ok(check_tape("{\"exclusiveMaximum\":0.1}", "0.09999999999999999999") ==
		   1,
	   "decimals compare digit by digit (below 0.1)");
	ok(check_tape("{\"maximum\":1e400}", "1e400") == 1 &&
		   check_tape("{\"maximum\":1e400}", "1.0000001e400") == 0,
	   "numbers beyond the double range, in the schema and the value");
	ok(check_tape("{\"type\":\"integer\"}", "1e400") == 1 &&
		   check_tape("{\"type\":\"integer\"}", "1.5e1") == 1 &&
		   check_tape("{\"type\":\"integer\"}", "1e-400") == 0 &&
		   check_tape("{\"type\":\"integer\"}", "-0.0") == 1,
	   "integers by value: 1e400, 1.5e1, -0.0 are; 1e-400 is not");
	ok(check_tape("{\"enum\":[1.0]}", "1") == 1 &&
		   check_tape("{\"enum\":[1]}", "1.00e0") == 1 &&
		   check_tape("{\"const\":[1,{\"a\":10}]}",
			      "[1.0,{\"a\":1e1}]") == 1,
	   "enum and const compare numbers by value, nested too");
	ok(check_tape("{\"enum\":[\"1\",1.50,true]}", "15e-1") == 1 &&
		   check_tape("{\"enum\":[\"1\",1.50,true]}", "1") == 0 &&
		   check_tape("{\"enum\":[\"1\",1.50,true]}", "\"1\"") == 1,
	   "enum numbers are looked up by value, apart from strings");
	ok(check_tape("{\"enum\":[18446744073709551616]}",
		      "18446744073709551617") == 0,
	   "enum of a big integer is exact");
	ok(check_tape("{\"multipleOf\":3}", "123456789012345678901234567891") ==
			   0 &&
		   check_tape("{\"multipleOf\":3}",
			      "123456789012345678901234567890") == 1,
	   "multipleOf on a 30-digit integer is exact");
	ok(check_tape("{\"multipleOf\":0.1}", "12345678901234567890.1") == 1,
	   "multipleOf 0.1 on a long decimal is exact");
	ok(check_tape("{\"multipleOf\":0.01}", "0.10000000000000000001") == 0 &&
		   check_tape("{\"multipleOf\":0.25}", "1e-400") == 0 &&
		   check_tape("{\"multipleOf\":1e-400}", "3e-399") == 1,
	   "multipleOf with a value finer than the divisor, and tiny numbers");
	ok(check_tape("{\"multipleOf\":3}", "3e400") == 1 &&
		   check_tape("{\"multipleOf\":3}", "1e400") == 0,
	   "multipleOf on 10^400 is exact");
	ok(check_tape("{\"enum\":[\"a\\u0062\"]}", "\"\\u0061b\"") == 1,
	   "enum strings compare after unescaping");
	ok(check_tape("{\"required\":[\"a\"],\"properties\":{\"a\":"
		      "{\"type\":\"string\"}}}",
		      "{\"a\":1,\"a\":\"x\"}") == 1,
	   "duplicate keys: the last one wins (fast path)");
	ok(check_tape("{\"maxProperties\":1}", "{\"a\":1,\"a\":2}") == 1,
	   "duplicate keys count once");
	ok(check_tape("{\"uniqueItems\":true}",
		      "[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1.0}]") == 0,
	   "uniqueItems: objects equal in any order, numbers by value");
}

/* Every form of x = m * 10^e written out; n forms. */
static int
forms(long long m, int e, char out[][64])
{
	long long a = m < 0 ? -m : m;
	const char *sg = m < 0 ? "-" : "";
	char d[32];
	int n = 0, len, k;

	snprintf(out[n++], 64, "%lldE%d", m, e);
	snprintf(out[n++], 64, "%lld0e%d", m, e - 1);
	snprintf(d, sizeof d, "%lld", a);
	len = (int)strlen(d);
	/* d.ddd e(e + len - 1) */
	snprintf(out[n++], 64, "%s%c.%s0e%+d", sg, d[0], d + 1, e + len - 1);
	/* plain decimal notation */
	if (e >= 0) {
		k = snprintf(out[n], 64, "%s%s", sg, d);
		for (; e > 0 && k < 60; e--)
			out[n][k++] = '0';
		out[n][k] = '\0';
		if (e == 0)
			n++;
	} else if (-e < len) {
		snprintf(out[n++], 64, "%s%.*s.%s", sg, len + e, d,
			 d + len + e);
	} else {
		k = snprintf(out[n], 64, "%s0.", sg);
		for (int z = 0; z < -e - len; z++)
			out[n][k++] = '0';
		snprintf(out[n] + k, 64 - k, "%s", d);
		n++;
	}
	return n;
}

static long long
ipow10(int k)
{
	long long p = 1;

	while (k-- > 0)
		p *= 10;
	return p;
}

/* Random numbers m * 10^e (|m| < 10^6, -4 <= e <= 4) in several forms,
 * checked against int64 arithmetic at a common scale (10^-4). */
static void
test_exact_random(void)
{
	unsigned seed = 12345;
	int i, bad = 0;

	for (i = 0; i < 20000 && bad < 5; i++) {
		char fa[8][64], fb[8][64];
		long long ma, mb, sa, sb;
		int ea, eb, na, nb, want, k;

		seed = seed * 1103515245 + 12345;
		ma = (long long)(seed >> 8) % 2000001 - 1000000;
		seed = seed * 1103515245 + 12345;
		mb = (long long)(seed >> 8) % 2001 - 1000;
		if (i % 3 == 0)
			mb = ma / 7;
		seed = seed * 1103515245 + 12345;
		ea = (int)((seed >> 8) % 9) - 4;
		seed = seed * 1103515245 + 12345;
		eb = (int)((seed >> 8) % 9) - 4;
		sa = ma * ipow10(ea + 4);
		sb = mb * ipow10(eb + 4);
		na = forms(ma, ea, fa);
		nb = forms(mb, eb, fb);
		want = sa < sb ? -1 : sa > sb;
		for (k = 0; k < na * nb; k++) {
			const char *x = fa[k % na], *y = fb[k / na];
			int r = jnum_dec_cmp(x, strlen(x), y, strlen(y));
			long long j;

			if (jnum_small_int(y, strlen(y), &j) &&
			    jnum_dec_cmp_small(x, strlen(x), j) != want) {
				diag("cmp_small %s %lld wrong", x, j);
				bad++;
			}

			if (r != want) {
				diag("cmp %s %s: got %d, want %d", x, y, r,
				     want);
				bad++;
			}
			if (jnum_dec_hash(x, strlen(x)) !=
			    jnum_dec_hash(fa[0], strlen(fa[0]))) {
				diag("hash %s differs from %s", x, fa[0]);
				bad++;
			}
			if (jnum_dec_is_integer(x, strlen(x)) !=
			    (sa % 10000 == 0)) {
				diag("is_integer %s wrong", x);
				bad++;
			}
			if (sb > 0 &&
			    schema_dec_multiple(x, strlen(x), y, strlen(y)) !=
				    (sa % sb == 0)) {
				diag("multiple %s of %s wrong", x, y);
				bad++;
			}
		}
	}
	ok(bad == 0, "exact numbers agree with integer arithmetic "
		     "(20000 random pairs, every written form)");
}

static void
test_differential(void)
{
	static const char *const schemas[] = {
		"{\"type\":\"object\",\"required\":[\"a\"],\"properties\":"
		"{\"a\":{\"type\":\"integer\",\"minimum\":1},\"b\":{\"enum\":"
		"[\"x\",2,null,[1]]}},\"additionalProperties\":{\"type\":"
		"\"string\"}}",
		"{\"items\":{\"multipleOf\":0.5},\"uniqueItems\":true,"
		"\"maxItems\":3}",
		"{\"propertyNames\":{\"maxLength\":2},\"minProperties\":2,"
		"\"unevaluatedProperties\":false,\"patternProperties\":{\"^a\":"
		"true}}",
	};
	static const char *const values[] = {
		"{\"a\":1}",
		"{\"a\":0}",
		"{\"a\":1.0,\"b\":\"x\"}",
		"{\"a\":2,\"b\":[1.0]}",
		"{\"a\":2,\"c\":1}",
		"{\"a\":2,\"c\":\"s\"}",
		"[0.5,1,1.5]",
		"[0.5,0.50]",
		"[1,2,3,4]",
		"[0.3]",
		"{\"ab\":1,\"a\":2}",
		"{\"abc\":1,\"a\":2}",
		"{\"a\":1}",
		"{\"a\\u0062\":1,\"ab\":2}",
		"\"s\"",
		"null",
		"{\"a\":1,\"a\":2,\"b\":3}",
	};
	size_t i, j;
	int bad = 0;

	for (i = 0; i < sizeof schemas / sizeof *schemas; i++)
		for (j = 0; j < sizeof values / sizeof *values; j++)
			if (check_both(schemas[i], values[j]) < 0)
				bad++;
	ok(bad == 0, "tape and jansson value agree on every pair");
}

static int
re(const char *pat, const char *subject)
{
	struct errbuf eb = { 0 };
	struct regex *r = regex_compile(pat, strlen(pat), REGEX_ECMA, &eb);
	int m;

	if (r == NULL) {
		diag("%s: %s", pat, eb.msg);
		return -1;
	}
	m = regex_search(r, subject, strlen(subject), &eb);
	regex_free(r);
	return m;
}

static void
test_regex(void)
{
	ok(re("^\\p{Letter}+$", "h\xc3\xa9llo") == 1,
	   "\\p{Letter} is translated");
	ok(re("^\\d$", "\xdf\x80") == 0, "\\d is ASCII only");
	ok(re("^\\D$", "\xdf\x80") == 1, "\\D matches a non-ASCII digit");
	ok(re("^abc$", "abc\n") == 0,
	   "$ does not match before a final newline");
	ok(re("^\\s$", "\xc2\xa0") == 1, "\\s matches NO-BREAK SPACE");
	ok(re("^.$", "\n") == 0, ". does not match a line terminator");
	ok(re("^\\u00e9$", "\xc3\xa9") == 1, "\\uXXXX escapes");
	ok(re("^\\ud83d\\ude00$", "\xf0\x9f\x98\x80") == 1,
	   "surrogate pair escapes");
	ok(re("^\\cJ$", "\n") == 1, "\\cX control escapes");
	ok(re("[^]", "x") == 1, "[^] matches anything");
	ok(regex_ecma_valid("\\a", 2) == 0, "\\a is not an ECMA escape");
	ok(regex_ecma_valid("(?i)x", 5) == 0, "(?i) is not ECMA");
	ok(regex_ecma_valid("(?<=a+)b", 8) == 1,
	   "variable-length lookbehind is valid ECMA");
	{
		struct errbuf eb = { 0 };
		struct regex *r = regex_compile("^(a+)+$", 7, REGEX_ECMA, &eb);
		char s[30002];

		memset(s, 'a', 30000);
		s[30000] = 'b';
		s[30001] = '\0';
		ok(r && regex_search(r, s, 30001, &eb) == -1 &&
			   strstr(eb.msg, "limit") != NULL,
		   "catastrophic backtracking hits the match limit: %s",
		   eb.msg);
		regex_free(r);
	}
}

static void
test_formats(void)
{
	static const struct {
		const char *fmt, *s;
		int want;
	} t[] = {
		{ "date-time", "1963-06-19T08:30:06.283185Z", 1 },
		{ "date-time", "1998-12-31T23:59:60Z", 1 },
		{ "date-time", "1998-12-31T22:59:60Z", 0 },
		{ "date", "2020-02-29", 1 },
		{ "date", "2021-02-29", 0 },
		{ "duration", "P1Y2M3DT4H5M6S", 1 },
		{ "duration", "PT1D", 0 },
		{ "email", "joe.bloggs@example.com", 1 },
		{ "email", "joe..bloggs@example.com", 0 },
		{ "hostname", "xn--ihqwcrb4cv8a8dqg056pqjye", 1 },
		{ "hostname", "-example.com", 0 },
		{ "idn-hostname",
		  "\xec\x8b\xa4\xeb\xa1\x80.\xed\x85\x8c"
		  "\xec\x8a\xa4\xed\x8a\xb8",
		  1 },
		{ "ipv4", "192.168.0.1", 1 },
		{ "ipv4", "192.168.00.1", 0 },
		{ "ipv6", "::ffff:192.168.0.1", 1 },
		{ "ipv6", "1:2:3:4:5:6:7:8:9", 0 },
		{ "uri", "http://example.com/a?b#c", 1 },
		{ "uri", "//example.com", 0 },
		{ "uri-reference", "../a b", 0 },
		{ "uri-template", "http://example.com/{id}", 1 },
		{ "uuid", "2eb8aa08-aa98-11ea-b4aa-73b441d16380", 1 },
		{ "json-pointer", "/a~2", 0 },
		{ "relative-json-pointer", "1#", 1 },
		{ "regex", "^[a-z]+$", 1 },
		{ "regex", "^(abc]", 0 },
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++)
		ok(schema_format_check(t[i].fmt, t[i].s, strlen(t[i].s)) ==
			   t[i].want,
		   "format %s: %s -> %d", t[i].fmt, t[i].s, t[i].want);
	ok(schema_format_check("x-unknown", "", 0) == -1,
	   "unknown formats are not checked");
	ok(check("{\"format\":\"ipv4\"}", "\"1.2.3\"") == 0,
	   "format is asserted by default");
}

static void
test_compile_errors(void)
{
	struct errbuf eb = { 0 };
	struct schema *sc;

	sc = compile("{\"properties\":{\"a\":{\"type\":\"nope\"}}}", &eb);
	ok(sc == NULL && strstr(eb.msg, "/properties/a/type") != NULL,
	   "a bad type names its pointer: %s", eb.msg);
	schema_free(sc);
	sc = compile("{\"pattern\":\"(\"}", &eb);
	ok(sc == NULL && strstr(eb.msg, "pattern") != NULL,
	   "a bad pattern is a compile error: %s", eb.msg);
	schema_free(sc);
	sc = compile("{\"$ref\":\"#/$defs/missing\"}", &eb);
	ok(sc == NULL && strstr(eb.msg, "missing") != NULL,
	   "an unresolvable $ref is a compile error: %s", eb.msg);
	schema_free(sc);
	sc = compile("{\"$ref\":\"https://example.com/x.json\"}", &eb);
	ok(sc == NULL && strstr(eb.msg, "no network") != NULL,
	   "no network access: %s", eb.msg);
	schema_free(sc);
	sc = compile("{\"$schema\":\"https://example.com/meta\"}", &eb);
	ok(sc == NULL, "an unknown $schema is an error: %s", eb.msg);
	schema_free(sc);
	sc = compile("{\"$ref\":\"http://json-schema.org/draft-07/schema#\"}",
		     &eb);
	ok(sc != NULL, "the bundled draft-07 meta-schema resolves (%s)",
	   sc ? "" : eb.msg);
	schema_free(sc);
}

static void
test_limits(void)
{
	struct errbuf eb = { 0 };
	struct schema *sc = compile("{\"anyOf\":[{\"$ref\":\"#\"}]}", &eb);
	struct schema_errors errs = SCHEMA_ERRORS_INIT;
	json_t *v = json_integer(1);

	ok(sc && schema_validate(sc, v, &errs) == 0 && errs.n == 1 &&
		   strstr(errs.v[0].message, "loop") != NULL,
	   "a $ref loop ends with a clear error: %s",
	   errs.n ? errs.v[0].message : "");
	schema_errors_release(&errs);
	schema_free(sc);
	json_decref(v);
	ok(check("{\"dependentRequired\":{\"a\":[\"b\"]}}", "{\"a\":1}") == 0,
	   "dependentRequired");
	ok(check("{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
		 "\"$ref\":\"#/definitions/s\",\"type\":\"integer\","
		 "\"definitions\":{\"s\":{\"type\":\"string\"}}}",
		 "\"x\"") == 1,
	   "draft-07: $ref overrides its siblings");
	ok(check("{\"$ref\":\"#/$defs/s\",\"type\":\"integer\","
		 "\"$defs\":{\"s\":{\"type\":\"string\"}}}",
		 "\"x\"") == 0,
	   "2020-12: $ref and siblings both apply");
	ok(check("{\"properties\":{\"a\":true},\"unevaluatedProperties\":"
		 "false}",
		 "{\"a\":1,\"b\":2}") == 0,
	   "unevaluatedProperties");
}

int
main(void)
{
	test_errors();
	test_numbers();
	test_exact();
	test_exact_random();
	test_differential();
	test_regex();
	test_formats();
	test_compile_errors();
	test_limits();
	return done_testing();
}
