/*
 * fuzz-schema-infer.c -- schema inference on arbitrary events.
 *
 * The input is NDJSON; every line that parses is added.  The inferred
 * schema must compile (in the dialect chosen by byte 0) and accept every
 * value it was inferred from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "schema/schema-infer.h"
#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum schema_dialect dialects[] = { SCHEMA_DRAFT7,
							SCHEMA_DRAFT2019_09,
							SCHEMA_DRAFT2020_12 };
	struct schema_opts o = { 0 };
	struct errbuf eb = { 0 };
	struct schema_infer *si;
	struct schema *sc;
	json_t *values, *schema, *v;
	const char *p, *end, *nl;
	size_t i;

	if (size < 1)
		return 0;
	values = json_array();
	si = schema_infer_new(dialects[data[0] % 3], data[0] >> 4);
	p = (const char *)data + 1;
	end = (const char *)data + size;
	for (; p < end; p = nl + 1) {
		json_error_t jerr;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		v = json_loadb(p, (size_t)(nl - p), JSON_DECODE_ANY, &jerr);
		if (v) {
			schema_infer_add(si, v);
			json_array_append_new(values, v);
		}
	}
	schema = schema_infer_result(si);
	sc = schema_compile(schema, NULL, &o, &eb);
	if (sc == NULL)
		abort();
	json_array_foreach(values, i, v)
		if (!schema_validate(sc, v, NULL))
			abort();
	schema_free(sc);
	json_decref(schema);
	json_decref(values);
	schema_infer_free(si);
	return 0;
}
