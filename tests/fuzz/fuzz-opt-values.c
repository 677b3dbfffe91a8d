/*
 * fuzz-opt-values.c -- the parsers of option values: sizes, durations and
 * whole numbers, on arbitrary text.  Each either refuses with a message
 * or gives a value that survives a round trip: printing it back as a
 * plain number and parsing that gives the same value.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = { 0 };
	char *s, back[64];
	uint64_t u, u2;
	int64_t d, d2;

	if (size > 256)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	if (parse_size(s, &u, &eb) == 0) {
		snprintf(back, sizeof back, "%" PRIu64, u);
		if (parse_size(back, &u2, &eb) != 0 || u2 != u)
			abort();
	} else if (eb.status != STATUS_USAGE || eb.msg[0] == '\0') {
		abort();
	}
	errbuf_clear(&eb);

	if (parse_duration(s, &d, &eb) == 0) {
		if (d < 0)
			abort();
		snprintf(back, sizeof back, "%" PRId64 "ns", d);
		/* Beyond 2^53 ns a double cannot hold every integer. */
		if (d < (INT64_C(1) << 53) &&
		    (parse_duration(back, &d2, &eb) != 0 || d2 != d))
			abort();
	} else if (eb.status != STATUS_USAGE || eb.msg[0] == '\0') {
		abort();
	}
	errbuf_clear(&eb);

	if (parse_uint(s, UINT64_MAX, &u, &eb) == 0) {
		snprintf(back, sizeof back, "%" PRIu64, u);
		if (strcmp(back, s) != 0 && s[0] != '0')
			abort();
	} else if (eb.status != STATUS_USAGE || eb.msg[0] == '\0') {
		abort();
	}
	free(s);
	return 0;
}
