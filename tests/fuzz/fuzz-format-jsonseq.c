/*
 * fuzz-format-jsonseq.c -- "--from json-seq" on arbitrary bytes; see
 * fuzz-format.h.  An event never holds an RS byte: records are split on
 * every RS, whatever surrounds it.
 */
#include "fuzz-format.h"

static void
check(int res, const char *rec, size_t len, void *arg)
{
	if (res != LINE_INVALID && memchr(rec, 0x1e, len) != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reader(FROM_JSONSEQ, data, size, 0, check, NULL);
	return 0;
}
