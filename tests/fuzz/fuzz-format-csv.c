/*
 * fuzz-format-csv.c -- "--from csv" and "--from tsv" (bit 2 of the flags
 * byte picks tsv) on arbitrary bytes; see fuzz-format.h.  Every event
 * built from ASCII input must be valid JSON.
 */
#include "fuzz-format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	fuzz_reader((data[2] & 4) ? FROM_TSV : FROM_CSV, data, size, 1, NULL,
		    NULL);
	return 0;
}
