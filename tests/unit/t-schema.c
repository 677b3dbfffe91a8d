/*
 * t-schema.c -- unit tests of the JSON Schema library: error locations,
 * numbers, regex translation, formats, references, limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errbuf.h"
#include "regex.h"
#include "schema.h"
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
	free(s);
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
	test_regex();
	test_formats();
	test_compile_errors();
	test_limits();
	return done_testing();
}
