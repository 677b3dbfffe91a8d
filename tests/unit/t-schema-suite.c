/*
 * t-schema-suite.c -- run JSON Schema Test Suite files through the
 * validator library directly (no binary): a quick loop while developing.
 *
 *   t-schema-suite [-f] [-d 7|2019-09|2020-12] -r REMOTES FILE...
 *
 * Prints one line per failing test and "N/M passed" at the end; exits 1
 * if any test failed.  Without arguments it does nothing and passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "schema.h"

int
main(int argc, char **argv)
{
	struct schema_opts o = { 0 };
	struct schema_refmap map = { "http://localhost:1234/", NULL };
	int i, pass = 0, total = 0;

	o.no_format = 1;
	o.dialect = SCHEMA_DRAFT2020_12;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-f") == 0)
			o.no_format = 0;
		else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
			const char *d = argv[++i];

			o.dialect = strcmp(d, "7") == 0 ? SCHEMA_DRAFT7
				    : strcmp(d, "2019-09") == 0
					    ? SCHEMA_DRAFT2019_09
					    : SCHEMA_DRAFT2020_12;
		} else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
			map.dir = argv[++i];
		}
	}
	if (map.dir) {
		o.maps = &map;
		o.nmaps = 1;
	}
	for (; i < argc; i++) {
		json_error_t jerr;
		json_t *doc = json_load_file(
			       argv[i],
			       JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr),
		       *g;
		size_t gi;

		if (doc == NULL) {
			fprintf(stderr, "%s: %s\n", argv[i], jerr.text);
			return 2;
		}
		json_array_foreach(doc, gi, g)
		{
			struct errbuf eb = { 0 };
			struct schema *sc = schema_compile(
				json_object_get(g, "schema"), NULL, &o, &eb);
			json_t *t;
			size_t ti;

			json_array_foreach(json_object_get(g, "tests"), ti, t)
			{
				int want = json_is_true(
					json_object_get(t, "valid"));
				int got = -1;
				struct schema_errors errs = SCHEMA_ERRORS_INIT;

				total++;
				if (sc) {
					got = schema_validate(
						sc, json_object_get(t, "data"),
						&errs);
					if (got !=
					    schema_validate(
						    sc,
						    json_object_get(t, "data"),
						    NULL))
						got = -2;
				}
				if (got == want) {
					pass++;
				} else {
					printf("FAIL %s | %s | %s: want %d got "
					       "%d %s %s\n",
					       argv[i],
					       json_string_value(
						       json_object_get(
							       g,
							       "description")),
					       json_string_value(
						       json_object_get(
							       t,
							       "description")),
					       want, got, sc ? "" : eb.msg,
					       errs.n ? errs.v[0].message : "");
				}
				schema_errors_release(&errs);
			}
			schema_free(sc);
		}
		json_decref(doc);
	}
	printf("%d/%d passed\n", pass, total);
	return pass == total ? 0 : 1;
}
