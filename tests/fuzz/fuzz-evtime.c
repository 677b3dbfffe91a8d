/*
 * fuzz-evtime.c -- the event-time reader (dedup --time, throttle --time,
 * sort --by) on arbitrary bytes: as an RFC 3339 string, and as a JSON
 * value.  A time that is read must format to RFC 3339 and read back to
 * the same nanosecond.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "lib/evtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(int64_t ns)
{
	char buf[EVTIME_BUFSZ];
	int64_t back;

	evtime_format(ns, buf);
	if (evtime_parse_rfc3339(buf, strlen(buf), &back) == -1 || back != ns)
		abort();
	evtime_format_dur(ns, buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = { 0 };
	json_error_t jerr;
	json_t *v;
	int64_t ns;

	if (evtime_parse_rfc3339((const char *)data, size, &ns) == 0)
		roundtrip(ns);
	v = json_loadb((const char *)data, size,
		       JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (v) {
		if (evtime_from_json(v, &ns, &eb) == 0)
			roundtrip(ns);
		errbuf_clear(&eb);
		json_decref(v);
	}
	return 0;
}
