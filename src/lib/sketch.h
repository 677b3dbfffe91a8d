/*
 * sketch.h -- bounded-memory summaries of a stream, for stats.
 *
 * struct topk: the Space-Saving algorithm (Metwally, Agrawal, El Abbadi,
 * 2005) over byte-string keys with a fixed number of counters.  A key
 * that gets a free counter is counted exactly from then on; when all are
 * taken, a new key replaces the key with the smallest count c and starts
 * at c + 1 with error c.  Hence for every key in the table
 * count - error <= true count <= count, error 0 means exact, and every key
 * whose true count exceeds total / capacity is in the table.
 *
 * struct qsketch: a log-bucketed histogram of non-negative values (as in
 * DDSketch, Masson, Rim, Lee, 2019): a value x >= min_value falls in
 * bucket ceil(log_g(x)) with g = (1 + a) / (1 - a), and a quantile is
 * answered with the bucket's midpoint 2 g^i / (g + 1), within relative
 * error a of a value of the stream at that rank.  Values below min_value
 * (and negative ones) share one bucket answered as 0.  Two sketches with
 * the same parameters merge by adding their buckets.
 */
#ifndef SKETCH_H
#define SKETCH_H

#include <stddef.h>
#include <stdint.h>

struct topk_entry {
	char *key; /* owned, NUL-terminated (keys hold no NUL) */
	size_t len;
	uint64_t count, error;
	size_t slot; /* its place in the hash table */
};

struct topk {
	struct topk_entry *e; /* heap by count: e[0] has the least */
	size_t n, cap;
	uint32_t *slots; /* hash table of heap index + 1; 0: empty */
	size_t nslots;
	uint64_t total;
};

void topk_init(struct topk *t, size_t capacity);
void topk_release(struct topk *t);
void topk_add(struct topk *t, const char *key, size_t len);
/*
 * The entries sorted by count, highest first (ties by key bytes): an
 * array of t->n pointers into t, valid until the next topk_add().
 */
const struct topk_entry **topk_sorted(const struct topk *t);

#define QSKETCH_ALPHA 0.01  /* relative accuracy */
#define QSKETCH_MIN   0.001 /* smallest value resolved (1 ms) */
#define QSKETCH_MAX   1e9   /* larger values go to the last bucket */

struct qsketch {
	uint64_t *bucket; /* bucket[0]: below QSKETCH_MIN */
	size_t nbuckets;
	double gamma, lg;
	uint64_t count;
	double min, max, sum;
};

void qsketch_init(struct qsketch *q);
void qsketch_release(struct qsketch *q);
void qsketch_add(struct qsketch *q, double x);
/* Add src's values into dst (same parameters). */
void qsketch_merge(struct qsketch *dst, const struct qsketch *src);
/*
 * The value at quantile p (0..1) by nearest rank (the ceil(p * count)-th
 * smallest); 0 if empty.  Exact for p = 1 (max).
 */
double qsketch_quantile(const struct qsketch *q, double p);

#endif
