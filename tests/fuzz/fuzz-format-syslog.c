/*
 * fuzz-format-syslog.c -- "--from syslog" on arbitrary bytes; see
 * fuzz-format.h.  Every event built from ASCII input must be valid JSON.
 */
#include "fuzz-format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reader(FROM_SYSLOG, data, size, 1, NULL, NULL);
	return 0;
}
