/*
 * fuzz-prescan.c -- the two-thread file reader (prescan.h) against the
 * one-thread path on arbitrary bytes: the same lines, line numbers,
 * results, blank flags and verdicts, with the same messages and columns,
 * and (when byte 0 is odd) the same scanner tapes.
 *
 * Byte 0 picks the maximum line length, byte 1 the read size; the rest is
 * the stream, read 1 to 4 times over.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "../unit/feed.h"
#include "json/json-scan.h"
#include "source/linereader.h"
#include "source/prescan.h"

static int
blank(const char *p, size_t n)
{
	for (; n > 0; p++, n--)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed f1 = { 0 }, f2;
	struct linereader lr;
	struct prescan *ps;
	struct jscan js;
	struct errbuf eb1 = { 0 }, eb2 = { 0 };
	size_t max_line;
	int want_tape;

	if (size < 2)
		return 0;
	max_line = 1 + data[0] * 8u;
	f1.p = data + 2;
	f1.len = size - 2;
	f1.chunk = 1 + data[1] % 64u;
	/* A few copies, so that blocks and line numbers get going; the
	 * block boundaries themselves are tested in tests/05-io.bats. */
	f1.reps = 1 + data[1] % 4u;
	f2 = f1;
	linereader_init(&lr, feed_read, &f1, max_line);
	jscan_init(&js);
	want_tape = data[0] & 1;
	ps = prescan_start(feed_read, &f2, max_line, want_tape);
	if (ps == NULL)
		abort();
	for (;;) {
		struct prescan_line pl;
		const char *line;
		size_t len;
		int r1 = linereader_next(&lr, &line, &len, &eb1);
		int r2 = prescan_next(ps, &pl, &eb2);

		if (r1 != r2)
			abort();
		if (r1 == LINE_EOF || r1 == LINE_ERROR)
			break;
		if (pl.lineno != lr.lineno)
			abort();
		if (r1 == LINE_TOO_LONG) {
			size_t n = len < PRESCAN_SAMPLE ? len : PRESCAN_SAMPLE;

			if (pl.len != n || memcmp(pl.line, line, n) != 0)
				abort();
			continue;
		}
		if (pl.len != len || memcmp(pl.line, line, len) != 0)
			abort();
		if (pl.blank != blank(line, len))
			abort();
		if (pl.blank)
			continue;
		if ((want_tape ? jscan_parse(&js, line, len, &eb1)
			       : jscan_check(&js, line, len, &eb1)) == 0) {
			if (pl.error != NULL)
				abort();
			if (want_tape &&
			    (pl.ntape != js.ntape ||
			     memcmp(pl.tape, js.tape,
				    js.ntape * sizeof *js.tape) != 0))
				abort();
		} else {
			if (pl.error == NULL ||
			    strcmp(pl.error, eb1.msg) != 0 ||
			    pl.error_col != jscan_error_column(&js))
				abort();
			errbuf_clear(&eb1);
		}
	}
	prescan_stop(ps);
	jscan_release(&js);
	linereader_release(&lr);
	return 0;
}
