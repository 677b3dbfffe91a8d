/*
 * fuzz-format-json.c -- "--from json", the streaming splitter, on
 * arbitrary bytes (see fuzz-format.h).  When the stream is one JSON array
 * that jansson parses and whose elements all fit max_line, the splitter
 * must hand out exactly its elements, each equal to jansson's.
 */
#include <jansson.h>

#include "fuzz-format.h"
#include "json/jnum.h"

struct expect {
	json_t *arr; /* NULL: no differential check */
	size_t next;
	int bad;
};

static void
check(int res, const char *rec, size_t len, void *arg)
{
	struct expect *x = arg;
	json_t *v;

	if (x->arr == NULL)
		return;
	if (res != LINE_OK || x->next >= json_array_size(x->arr)) {
		x->bad = 1;
		return;
	}
	v = json_loadb(rec, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (v == NULL || !json_equal(v, json_array_get(x->arr, x->next)))
		x->bad = 1;
	json_decref(v);
	x->next++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expect x = { NULL, 0, 0 };

	if (size < 3)
		return 0;
	/* jansson takes a raw NUL after a number ("[9\0]" is [9]); JSON
	 * has none outside strings, and evpipe rejects it: no oracle */
	x.arr = memchr(data + 3, '\0', size - 3)
			? NULL
			: json_loadb((const char *)data + 3, size - 3,
				     JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (x.arr && !json_is_array(x.arr)) {
		json_decref(x.arr);
		x.arr = NULL;
	}
	if (x.arr) {
		/* Only when every element fits: else rejects are expected. */
		size_t i;

		for (i = 0; i < json_array_size(x.arr); i++) {
			char *s = json_dumps(json_array_get(x.arr, i),
					     JSON_COMPACT | JSON_ENCODE_ANY);

			if (s == NULL || strlen(s) > 1 + data[0] * 16u) {
				json_decref(x.arr);
				x.arr = NULL;
				jnum_free(s);
				break;
			}
			jnum_free(s);
		}
	}
	fuzz_reader(FROM_JSON, data, size, 0, check, &x);
	if (x.arr && (x.bad || x.next != json_array_size(x.arr)))
		abort();
	json_decref(x.arr);
	return 0;
}
