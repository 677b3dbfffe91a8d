/*
 * ddsketch.h -- quantiles of a stream of numbers within a relative error,
 * in bounded memory: DDSketch (Masson, Rim, Lee, "DDSketch: a fast and
 * fully-mergeable quantile sketch with relative-error guarantees",
 * VLDB 2019).
 *
 * A value x with |x| >= DD_MIN falls in bucket i = ceil(log_g |x|) of
 * the store of its sign, g = (1 + a) / (1 - a), and every value of bucket
 * i lies in (g^(i-1), g^i].  A quantile is answered with the bucket's
 * representative 2 g^i / (g + 1), which is within relative error a of
 * every value of the bucket -- so of the value of the stream at that
 * rank.  Values with |x| < DD_MIN count as 0.  With a = DD_ALPHA = 0.01
 * the answer is within 1% of the exact value at the asked rank.
 *
 * Each store holds at most DD_MAX_BUCKETS consecutive buckets (a span of
 * g^4096, about 10^35 between the smallest and largest magnitude): past
 * that the buckets of the smallest magnitudes are folded into the
 * smallest one kept, as the paper's collapsing store does, and only
 * quantiles that fall there lose the bound.  Two sketches merge exactly
 * by adding their buckets.
 */
#ifndef DDSKETCH_H
#define DDSKETCH_H

#include <stddef.h>
#include <stdint.h>

#define DD_ALPHA       0.01
#define DD_MIN	       1e-9
#define DD_MAX_BUCKETS 4096

struct dd_store {
	uint64_t *c; /* c[k]: bucket lo + k */
	int32_t lo;
	uint32_t n;
	int collapsed; /* buckets were folded (DD_MAX_BUCKETS) */
};

struct ddsketch {
	struct dd_store pos, neg;
	uint64_t zero, count;
	double min, max;
};

void dd_init(struct ddsketch *d);
void dd_release(struct ddsketch *d);
void dd_add(struct ddsketch *d, double x);
/* Add src's values into dst. */
void dd_merge(struct ddsketch *dst, const struct ddsketch *src);
/*
 * The value at quantile q (0..1) by nearest rank: the ceil(q * count)-th
 * smallest (the smallest for q = 0), within relative error DD_ALPHA;
 * the exact min and max at q = 0 and q = 1.  0 if empty.
 */
double dd_quantile(const struct ddsketch *d, double q);

/* The bucket index of magnitude m >= DD_MIN, and its representative. */
int32_t dd_key(double m);
double dd_value(int32_t key);

#endif
