/*
 * fuzz-format-out.c -- the output side: jtext_pretty() and the compactor
 * of the json decoder are inverses on valid JSON, and pretty output is
 * valid JSON equal to the input.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "json/json-text.h"
#include "lib/buf.h"
#include "sink/encoder.h"
#include "source/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size,
			       JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL),
	       *w;
	struct buf pretty = BUF_INIT, compact = BUF_INIT, again = BUF_INIT;
	int s = 0;

	if (v == NULL)
		return 0;
	jtext_pretty(&pretty, (const char *)data, size);
	jtext_compact(&compact, (const char *)data, size, &s);
	s = 0;
	jtext_compact(&again, pretty.data, pretty.len, &s);
	if (compact.len != again.len ||
	    memcmp(compact.data, again.data, compact.len) != 0)
		abort();
	w = json_loadb(pretty.data, pretty.len,
		       JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (w == NULL || !json_equal(v, w))
		abort();
	json_decref(v);
	json_decref(w);
	buf_release(&pretty);
	buf_release(&compact);
	buf_release(&again);
	return 0;
}
