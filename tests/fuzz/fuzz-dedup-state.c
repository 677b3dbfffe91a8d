/*
 * fuzz-dedup-state.c -- the state file loader (dedup --state) on
 * arbitrary bytes.
 *
 * Byte 0 steers: bits 0-5 pick the capacity (1..64), bit 6 asks for
 * times, bit 7 makes the harness append a correct checksum so that the
 * fuzzer gets past it to the header and key checks.  The key definition
 * is taken from the file itself (bytes 16..31 of the rest), so a wrong
 * fingerprint does not stop it either.  A load must never crash, and
 * one that succeeds must give a consistent table that saves and loads
 * back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lib/errbuf.h"
#include "lib/keytable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = { 0 };
	struct keytable kt;
	struct hash128 fp = { 0, 0 };
	uint8_t *buf;
	size_t len;
	uint32_t i, n = 0;

	if (size < 1)
		return 0;
	len = size - 1;
	buf = malloc(len + 8);
	memcpy(buf, data + 1, len);
	if (data[0] & 0x80) {
		uint64_t sum = XXH3_64bits(buf, len);
		int k;

		for (k = 0; k < 8; k++)
			buf[len + k] = (uint8_t)(sum >> (8 * k));
		len += 8;
	}
	if (len >= 32) {
		fp.lo = get64(buf + 16);
		fp.hi = get64(buf + 24);
	}
	kt_init(&kt, 1 + (data[0] & 0x3f), (data[0] & 0x40) != 0, 0);
	if (kt_load(&kt, buf, len, fp, 42, &eb) == 0) {
		/* The LRU list and the index agree. */
		for (i = kt.head; i != KT_NONE; i = kt.e[i].next, n++) {
			struct hash128 h = { kt.e[i].lo, kt.e[i].hi };

			if (kt_find(&kt, h) != i || n > kt.cap)
				abort();
		}
		if (n != kt.n)
			abort();
	}
	errbuf_clear(&eb);
	kt_release(&kt);
	free(buf);
	return 0;
}
