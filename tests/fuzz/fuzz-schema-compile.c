/*
 * fuzz-schema-compile.c -- libFuzzer target for schema compilation.
 *
 * The first byte picks options (dialect, meta-schema check, format
 * assertion); the rest is a schema document.  A schema that compiles is
 * then used on a few values, including itself, and the verdict with error
 * collection must equal the verdict without.  References can only reach
 * the bundled meta-schemas: there is no root directory and no ref map.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(struct schema *sc, json_t *v)
{
	struct schema_errors errs = SCHEMA_ERRORS_INIT;
	int a = schema_validate(sc, v, &errs);
	int b = schema_validate(sc, v, NULL);

	if (a != b || (a == 0) != (errs.n > 0))
		abort();
	schema_errors_release(&errs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schema_opts o = { 0 };
	struct errbuf eb = { 0 };
	json_error_t jerr;
	struct schema *sc;
	json_t *doc, *v;

	if (size < 1)
		return 0;
	o.dialect = data[0] & 3;
	o.no_meta_check = (data[0] >> 2) & 1;
	o.no_format = (data[0] >> 3) & 1;
	o.force_dialect = (data[0] >> 4) & 1;
	doc = schema_json_loadb((const char *)data + 1, size - 1, &jerr);
	if (doc == NULL)
		return 0;
	sc = schema_compile(doc, "file:///fuzz/schema.json", &o, &eb);
	if (sc == NULL) {
		if (eb.status != STATUS_USAGE || eb.msg[0] == '\0')
			abort();
		json_decref(doc);
		return 0;
	}
	check(sc, doc);
	v = json_loads("{\"a\":[1,\"x\",null,{\"b\":2.5}],\"c\":true}", 0,
		       &jerr);
	check(sc, v);
	json_decref(v);
	v = json_string("2026-11-26T10:00:00Z");
	check(sc, v);
	json_decref(v);
	schema_free(sc);
	json_decref(doc);
	return 0;
}
