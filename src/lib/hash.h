/*
 * hash.h -- the one hash evpipe uses for keys (dedup, sample, throttle,
 * split partitions): XXH3, 128 bits, seed 0.  Its values are stable
 * across runs, machines and versions of evpipe (xxHash's output is frozen
 * since 0.8), so a dedup state file or a partition number keeps meaning
 * the same thing.
 */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash128 {
	uint64_t lo, hi;
};

struct hash128 hash128(const void *p, size_t n);

/* The low 64 bits of hash128(): for tables and partitions. */
uint64_t hash64(const void *p, size_t n);

/* hash64(p, n) mod n_buckets, n_buckets > 0. */
uint64_t hash_bucket(const void *p, size_t n, uint64_t n_buckets);

#endif
