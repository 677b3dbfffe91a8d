/*
 * fuzz-json-scan.c -- libFuzzer target for the JSON scanner.
 *
 * Each input is one line.  jscan's verdict must match jansson's except for
 * the documented differences (tests/unit/jscan-diff.h, which also checks
 * that materialized values and top-level key lookups equal jansson's).  On
 * top of that: error columns are in range, every string unescapes to valid
 * UTF-8, and the input read as a path string parses or fails cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/jscan-diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct jscan js;
static struct buf scratch;

/* Every string value and key unescapes to UTF-8 that jansson accepts. */
static void
check_strings(void)
{
	struct jscan_iter *its = NULL;
	struct jscan_val v = jscan_root(&js), k;
	size_t sp = 0, cap = 0;

	for (;;) {
		enum jscan_type t = jscan_type(v);
		const char *s;
		size_t len;
		json_t *j;

		if (t == JSCAN_STRING) {
			s = jscan_str(v, &scratch, &len);
			j = json_stringn(s, len);
			if (j == NULL)
				abort();
			json_decref(j);
		} else if (t == JSCAN_ARRAY || t == JSCAN_OBJECT) {
			if (sp == cap)
				its = realloc(its, (cap = cap ? cap * 2 : 64) *
							   sizeof *its);
			jscan_iter_init(&its[sp++], v);
		}
		while (sp > 0 && !jscan_iter_next(&its[sp - 1], &k, &v))
			sp--;
		if (sp == 0)
			break;
		if (jscan_type(k) == JSCAN_STRING) {
			s = jscan_str(k, &scratch, &len);
			j = json_stringn(s, len);
			if (j == NULL)
				abort();
			json_decref(j);
		}
	}
	free(its);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const char *line = (const char *)data, *exc;
	char msg[400];
	struct errbuf eb = { 0, "" };
	struct jscan_path path;

	if (!ready) {
		jscan_init(&js);
		buf_init(&scratch);
		ready = 1;
	}
	if (jscan_diff_check(&js, line, size, &exc, msg, sizeof msg) != 0) {
		fprintf(stderr, "jscan/jansson mismatch: %s\n", msg);
		abort();
	}
	if (jscan_parse(&js, line, size, &eb) == 0) {
		check_strings();
	} else if (jscan_error_column(&js) < 1 ||
		   jscan_error_column(&js) > size + 1 || eb.msg[0] == '\0') {
		fprintf(stderr, "bad error column %zu: %s\n",
			jscan_error_column(&js), eb.msg);
		abort();
	}
	if (jscan_path_parse(&path, line, size, &eb) == 0) {
		struct jscan_val out;

		if (jscan_parse(&js, "{\"a\":[1,{\"b\":null}]}", 20, NULL) != 0)
			abort();
		(void)jscan_lookup(jscan_root(&js), path.steps, path.nsteps,
				   &out, &eb);
	}
	jscan_path_release(&path);
	return 0;
}
