/*
 * fuzz-schema-validate.c -- libFuzzer target for validation: fixed
 * schemas that use most keywords, fuzzed values.  The verdict with error
 * collection must equal the verdict without, and errors must come with
 * an instance pointer and a message.  String values also go through
 * every format checker.
 *
 * Differential: the value is validated both on the scanner's tape (as
 * events are) and as a jansson tree (as rebuilt events are).  When every
 * number of the input survives a double unchanged, the verdicts must be
 * equal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/jnum.h"
#include "lib/errbuf.h"
#include "json/json-scan.h"
#include "schema/schema-int.h"
#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const schema_texts[] = {
	"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
	"\"$defs\":{\"node\":{\"$dynamicAnchor\":\"n\",\"type\":\"object\","
	"\"properties\":{\"kids\":{\"type\":\"array\",\"items\":"
	"{\"$dynamicRef\":\"#n\"}}}}},"
	"\"type\":[\"object\",\"array\",\"string\",\"number\"],"
	"\"properties\":{\"id\":{\"type\":\"string\",\"format\":\"uuid\"},"
	"\"n\":{\"type\":\"integer\",\"minimum\":-5,\"exclusiveMaximum\":1e9,"
	"\"multipleOf\":0.5},\"tree\":{\"$ref\":\"#/$defs/node\"},"
	"\"when\":{\"format\":\"date-time\"},\"host\":{\"format\":"
	"\"idn-hostname\"},\"mail\":{\"format\":\"email\"}},"
	"\"patternProperties\":{\"^x-\\\\p{Letter}+$\":{\"type\":\"string\","
	"\"pattern\":\"^[a-z]+\\\\d*$\",\"maxLength\":20}},"
	"\"dependentRequired\":{\"a\":[\"b\"]},"
	"\"dependentSchemas\":{\"c\":{\"required\":[\"d\"]}},"
	"\"propertyNames\":{\"maxLength\":30},"
	"\"if\":{\"required\":[\"kind\"]},\"then\":{\"properties\":{\"kind\":"
	"{\"enum\":[\"a\",\"b\",1,null,[1,2],{\"k\":true}]}}},"
	"\"else\":{\"minProperties\":0},"
	"\"prefixItems\":[{\"type\":\"integer\"},{\"const\":\"two\"}],"
	"\"items\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"number\"}]},"
	"\"contains\":{\"type\":\"number\"},\"minContains\":0,"
	"\"maxContains\":3,\"uniqueItems\":true,"
	"\"oneOf\":[{\"type\":\"object\"},{\"type\":\"array\"},"
	"{\"type\":[\"string\",\"number\"]}],"
	"\"not\":{\"const\":\"forbidden\"},"
	"\"allOf\":[{\"$ref\":\"#/$defs/node\"}],"
	"\"unevaluatedProperties\":{\"type\":[\"string\",\"integer\"]},"
	"\"unevaluatedItems\":false,"
	"\"$comment\":\"everything at once\"}",
	"{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
	"\"definitions\":{\"pos\":{\"minimum\":0}},"
	"\"items\":[{\"$ref\":\"#/definitions/pos\"}],"
	"\"additionalItems\":{\"type\":\"string\",\"format\":\"ipv6\"},"
	"\"properties\":{\"u\":{\"format\":\"uri\"},\"r\":{\"format\":"
	"\"regex\"},\"t\":{\"format\":\"uri-template\"}},"
	"\"dependencies\":{\"a\":[\"b\"],\"c\":{\"maxProperties\":3}},"
	"\"additionalProperties\":{\"$ref\":\"#\"}}",
	"{\"$schema\":\"https://json-schema.org/draft/2019-09/schema\","
	"\"$recursiveAnchor\":true,\"type\":[\"object\",\"boolean\"],"
	"\"properties\":{\"s\":{\"$recursiveRef\":\"#\"},"
	"\"d\":{\"format\":\"duration\"},\"p\":{\"format\":"
	"\"relative-json-pointer\"}},"
	"\"items\":[true,false],\"additionalItems\":{\"$recursiveRef\":\"#\"},"
	"\"unevaluatedProperties\":false}",
};

static const char *const formats[] = {
	"date-time", "date",	      "time",
	"duration",  "email",	      "idn-email",
	"hostname",  "idn-hostname",  "ipv4",
	"ipv6",	     "uri",	      "uri-reference",
	"iri",	     "iri-reference", "uri-template",
	"uuid",	     "json-pointer",  "relative-json-pointer",
	"regex",
};

static struct schema *schemas[sizeof schema_texts / sizeof schema_texts[0]];

static void
setup(void)
{
	size_t i;

	for (i = 0; i < sizeof schemas / sizeof schemas[0]; i++) {
		struct errbuf eb = { 0 };
		json_error_t jerr;
		json_t *doc = json_loads(schema_texts[i], 0, &jerr);

		if (doc == NULL)
			abort();
		schemas[i] =
			schema_compile(doc, "file:///fuzz/s.json", NULL, &eb);
		if (schemas[i] == NULL)
			abort();
		json_decref(doc);
	}
}

/* Does every number on the tape read back unchanged from a double? */
static int
numbers_fit_doubles(const struct jscan *js)
{
	uint32_t i;

	for (i = 0; i < js->ntape; i++) {
		struct jscan_val v = { js, i };
		char buf[64], shortest[40];
		size_t len;
		const char *s;
		double d;

		if (jscan_type(v) != JSCAN_NUMBER)
			continue;
		s = jscan_raw(v, &len);
		if (len >= sizeof buf)
			return 0;
		memcpy(buf, s, len);
		buf[len] = '\0';
		d = strtod(buf, NULL);
		if (d > 9007199254740992.0 || d < -9007199254740992.0)
			return 0; /* jansson may hold it as an int64 or a real
				   */
		schema_double_text(d, shortest, sizeof shortest);
		if (jnum_dec_cmp(buf, len, shortest, strlen(shortest)) != 0)
			return 0;
	}
	return 1;
}

static void
check_errors(int verdict, const struct schema_errors *errs)
{
	size_t k;

	if ((verdict == 0) != (errs->n > 0))
		abort();
	for (k = 0; k < errs->n; k++)
		if (errs->v[k].instance == NULL ||
		    errs->v[k].message[0] == '\0')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jscan js;
	static int js_ready;
	json_error_t jerr;
	json_t *v;
	size_t i;
	int scanned, comparable;

	if (schemas[0] == NULL)
		setup();
	if (!js_ready) {
		jscan_init(&js);
		js_ready = 1;
	}
	for (i = 0; i < sizeof formats / sizeof formats[0]; i++)
		schema_format_check(formats[i], (const char *)data, size);
	scanned = jscan_parse(&js, (const char *)data, size, NULL) == 0;
	v = schema_json_loadb((const char *)data, size, &jerr);
	comparable = scanned && v != NULL && numbers_fit_doubles(&js);
	for (i = 0; i < sizeof schemas / sizeof schemas[0]; i++) {
		struct schema_errors errs = SCHEMA_ERRORS_INIT;
		int a = -1, b = -1;

		if (v != NULL) {
			a = schema_validate(schemas[i], v, &errs);
			check_errors(a, &errs);
			if (schema_validate(schemas[i], v, NULL) != a)
				abort();
			schema_errors_release(&errs);
		}
		if (scanned) {
			b = schema_validate_scan(schemas[i], &js,
						 jscan_root(&js), &errs);
			check_errors(b, &errs);
			if (schema_validate_scan(schemas[i], &js,
						 jscan_root(&js), NULL) != b)
				abort();
			schema_errors_release(&errs);
		}
		if (comparable && a != b) {
			fprintf(stderr,
				"schema %zu: jansson value %d, tape %d\n", i, a,
				b);
			abort();
		}
	}
	json_decref(v);
	return 0;
}
