/*
 * fuzz-linebuf.c -- the line reader and the record path on arbitrary
 * bytes, delivered in chunks whose sizes the input chooses.
 *
 * Byte 0 picks the maximum line length, byte 1 the read size; the rest is
 * the stream.  Every line handed out must lie inside the stream, carry no
 * newline, respect max_line, and parse (or be rejected) without a crash;
 * a line that parses must serialize again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "../unit/feed.h"
#include "source/linereader.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linereader lr;
	struct errbuf eb = { 0 };
	struct feed f = { 0 };
	const char *line;
	size_t len, max_line;
	int r;

	if (size < 2)
		return 0;
	max_line = 1 + data[0] * 8u;
	f.p = data + 2;
	f.len = size - 2;
	f.chunk = 1 + data[1] % 64u;
	linereader_init(&lr, feed_read, &f, max_line);
	while ((r = linereader_next(&lr, &line, &len, &eb)) > 0) {
		struct record rec;
		size_t n;

		if (len > max_line || memchr(line, '\n', len) != NULL)
			abort();
		if (r == LINE_TOO_LONG)
			continue;
		record_init(&rec, "fuzz", lr.lineno, line, len);
		if (record_json(&rec, &eb) != NULL) {
			record_set_json(&rec, json_incref(rec.json));
			if (record_bytes(&rec, &n) == NULL || n == 0)
				abort();
		}
		errbuf_clear(&eb);
		record_release(&rec);
	}
	linereader_release(&lr);
	return 0;
}
