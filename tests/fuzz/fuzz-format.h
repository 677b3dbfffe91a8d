/*
 * fuzz-format.h -- what the input-format fuzz targets share: arbitrary
 * bytes fed to a struct reader in chunks (and EAGAINs) the input chooses,
 * with the invariants every decoder keeps.
 *
 * Byte 0 picks the maximum event length, byte 1 the read size, byte 2
 * flags (bit 0: --csv-types, bit 1: every other read says EAGAIN); the
 * rest is the stream.  Every event handed out must respect max_line and
 * hold no raw newline outside strings; every LINE_OK event of a decoder
 * that builds its JSON itself (csv, tsv, logfmt) must scan when the input
 * is ASCII.  The caller may check more with the callback.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "../unit/feed.h"
#include "json/json-scan.h"
#include "source/reader.h"


typedef void (*fuzz_check_fn)(int res, const char *rec, size_t len, void *arg);

static void
fuzz_reader(int format, const uint8_t *data, size_t size, int builds_json,
	    fuzz_check_fn check, void *arg)
{
	struct reader rd;
	struct errbuf eb = { 0 };
	struct jscan js;
	struct feed f;
	const char *rec;
	size_t len, max_line, i;
	int res, ascii = 1, agains = 0;

	if (size < 3)
		return;
	max_line = 1 + data[0] * 16u;
	memset(&f, 0, sizeof f);
	f.p = data + 3;
	f.len = size - 3;
	f.chunk = 1 + data[1] % 64u;
	f.again = data[2] & 2;
	for (i = 0; i < f.len; i++)
		if (f.p[i] >= 0x80)
			ascii = 0;
	jscan_init(&js);
	reader_init(&rd, format, feed_read, &f, max_line,
		    (data[2] & 1) ? READER_TYPES : 0);
	for (;;) {
		res = reader_next(&rd, &rec, &len, &eb);
		if (res == LINE_EOF || res == LINE_ERROR)
			break;
		if (res == LINE_AGAIN) {
			if (++agains > 4 * (int)f.len + 16)
				abort(); /* no progress */
			continue;
		}
		if (len > max_line && res != LINE_INVALID)
			abort();
		if (res == LINE_OK && builds_json && ascii &&
		    jscan_parse(&js, rec, len, &eb) == -1)
			abort();
		if (check)
			check(res, rec, len, arg);
		errbuf_clear(&eb);
	}
	errbuf_clear(&eb);
	reader_release(&rd);
	jscan_release(&js);
}
