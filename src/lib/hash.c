/*
 * hash.c -- XXH3 (libxxhash) behind evpipe's own small interface.
 */
#include <xxhash.h>

#include "hash.h"

struct hash128
hash128(const void *p, size_t n)
{
	XXH128_hash_t h = XXH3_128bits(p, n);
	struct hash128 r = { h.low64, h.high64 };

	return r;
}

uint64_t
hash64(const void *p, size_t n)
{
	return XXH3_128bits(p, n).low64;
}

uint64_t
hash_bucket(const void *p, size_t n, uint64_t n_buckets)
{
	return hash64(p, n) % n_buckets;
}
