/*
 * keytable.h -- a bounded set of 128-bit key hashes with LRU order, an
 * optional time and an optional fixed-size value per key (dedup,
 * throttle).
 *
 * Keys are hash128() of a key's canonical bytes; the table never sees the
 * bytes.  Entries live in one array (24 bytes each: the hash and the LRU
 * links as 32-bit indices), found through an open-addressing index of
 * 32-bit slots (linear probing, at most 3/4 full, backward-shift
 * deletion, no tombstones).  Times (8 bytes) and values are parallel
 * arrays allocated only when asked for.  10 million keys take about
 * 240 MB of entries plus 64 MB of index (plus 80 MB with times).
 *
 * At capacity, inserting evicts the least recently used key.  Indices
 * stay valid until the entry is removed or evicted.
 */
#ifndef KEYTABLE_H
#define KEYTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

struct errbuf;

#define KT_NONE		UINT32_MAX
#define KT_MAX_CAPACITY (UINT32_MAX - 1)

struct kt_entry {
	uint64_t lo, hi;     /* the key's hash128 */
	uint32_t prev, next; /* towards MRU / LRU; KT_NONE at the ends */
};

struct keytable {
	struct kt_entry *e;
	int64_t *t;	    /* per-entry time, if with_time */
	unsigned char *val; /* per-entry value of valsize bytes, if any */
	size_t valsize;
	uint32_t *slot; /* index + 1; 0 is empty */
	uint64_t mask;	/* slots - 1 */
	uint32_t cap;	/* most keys held */
	uint32_t alloc; /* entries allocated */
	uint32_t used;	/* entries ever handed out (high water) */
	uint32_t n;	/* keys held */
	uint32_t free;	/* free list through .next */
	uint32_t head;	/* most recently used */
	uint32_t tail;	/* least recently used */
	uint64_t evicted;
};

/* An empty table for at most capacity keys (1..KT_MAX_CAPACITY). */
void kt_init(struct keytable *kt, uint32_t capacity, int with_time,
	     size_t valsize);
void kt_release(struct keytable *kt);

/* The entry holding h, or KT_NONE. */
uint32_t kt_find(const struct keytable *kt, struct hash128 h);

/*
 * Add h, which must not be present, as the most recently used key,
 * evicting the least recently used one when full.  Its time and value
 * are zero.  Returns its index.
 */
uint32_t kt_insert(struct keytable *kt, struct hash128 h);

/* Make entry i the most recently used. */
void kt_touch(struct keytable *kt, uint32_t i);

/* Remove entry i. */
void kt_remove(struct keytable *kt, uint32_t i);

static inline int64_t *
kt_time(struct keytable *kt, uint32_t i)
{
	return &kt->t[i];
}

static inline void *
kt_val(struct keytable *kt, uint32_t i)
{
	return kt->val + (size_t)i * kt->valsize;
}

/*
 * State files: a versioned header naming what the keys mean (fp: the
 * hash of the key's definition), the keys oldest first (with their times
 * if the table keeps times), and a checksum.  Written to a temporary file
 * beside path (mode 0600), fsynced, renamed over path, and the directory
 * fsynced.  Keys whose time is before min_time are left out.  0, or -1
 * with a STATUS_IO error.
 */
int kt_save(const struct keytable *kt, const char *path, struct hash128 fp,
	    int64_t min_time, struct errbuf *eb);

/*
 * Whether kt_save() can create its file beside path (the directory is
 * writable): 0, or -1 with a STATUS_IO error.  To fail before any I/O.
 */
int kt_save_check(const char *path, struct errbuf *eb);

/*
 * Load the keys of a state file's bytes into an empty table: 0, or -1
 * with a STATUS_USAGE error saying what is wrong with it (every field is
 * checked; nothing is trusted).  A file for another key definition is an
 * error.  Keys beyond the capacity: the oldest are dropped.  A file
 * without times gives every key the time now.
 */
int kt_load(struct keytable *kt, const void *data, size_t len,
	    struct hash128 fp, int64_t now, struct errbuf *eb);

/* Read path and kt_load() it; a missing file is an empty state (0). */
int kt_load_file(struct keytable *kt, const char *path, struct hash128 fp,
		 int64_t now, struct errbuf *eb);

#endif
