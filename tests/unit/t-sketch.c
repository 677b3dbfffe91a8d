/*
 * t-sketch.c -- the Space-Saving guarantees and the quantile sketch's
 * relative error, on streams whose exact answers are computed here.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sketch.h"
#include "tap.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define NKEYS	5000
#define NEVENTS 200000

static void
test_topk(void)
{
	static uint64_t truth[NKEYS];
	struct topk t;
	const struct topk_entry **v;
	size_t i, bad = 0, missing = 0, inexact_small = 0;
	char key[32];

	/* Zipf-like: key k drawn with weight ~ 1/(k+1). */
	topk_init(&t, 200);
	for (i = 0; i < NEVENTS; i++) {
		uint64_t r = rnd() % 100000, k = 0;
		double u = (double)r / 100000.0;

		k = (uint64_t)(exp(u * log((double)NKEYS + 1))) - 1;
		if (k >= NKEYS)
			k = NKEYS - 1;
		truth[k]++;
		snprintf(key, sizeof key, "k%llu", (unsigned long long)k);
		topk_add(&t, key, strlen(key));
	}
	ok(t.total == NEVENTS, "total %llu", (unsigned long long)t.total);
	ok(t.n == 200, "the table is bounded: %zu entries", t.n);
	for (i = 0; i < t.n; i++) {
		unsigned long long k = strtoull(t.e[i].key + 1, NULL, 10);

		if (!(t.e[i].count - t.e[i].error <= truth[k] &&
		      truth[k] <= t.e[i].count))
			bad++;
		if (t.e[i].error == 0 && t.e[i].count != truth[k])
			inexact_small++;
	}
	ok(bad == 0, "count - error <= true <= count for every entry");
	ok(inexact_small == 0, "error 0 means exact");
	for (i = 0; i < NKEYS; i++) {
		size_t j;
		int found = 0;

		if (truth[i] * 200 <= NEVENTS)
			continue;
		snprintf(key, sizeof key, "k%zu", i);
		for (j = 0; j < t.n; j++)
			if (strcmp(t.e[j].key, key) == 0)
				found = 1;
		missing += !found;
	}
	ok(missing == 0, "every key above total/capacity is present");
	v = topk_sorted(&t);
	ok(strcmp(v[0]->key, "k0") == 0 && v[0]->count >= v[1]->count,
	   "sorted by count, the heaviest first (%s)", v[0]->key);
	free(v);
	topk_release(&t);

	/* Few keys: everything exact. */
	topk_init(&t, 8);
	for (i = 0; i < 1000; i++)
		topk_add(&t, i % 3 ? "a" : "bb", i % 3 ? 1 : 2);
	v = topk_sorted(&t);
	ok(t.n == 2 && v[0]->count == 666 && v[0]->error == 0 &&
		   v[1]->count == 334 && strcmp(v[1]->key, "bb") == 0,
	   "exact while the keys fit");
	free(v);
	topk_release(&t);
}

static void
test_quantiles(void)
{
	static const double ps[] = { 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1 };
	static double vals[NEVENTS];
	struct qsketch a, b;
	size_t i, j, n = NEVENTS;

	qsketch_init(&a);
	qsketch_init(&b);
	for (i = 0; i < n; i++) {
		/* log-uniform lags from 1 ms to 1 day */
		double u = (double)(rnd() % 1000000) / 1000000.0;

		vals[i] = 0.001 * exp(u * log(86400000.0));
		qsketch_add(i % 2 ? &a : &b, vals[i]);
	}
	qsketch_merge(&a, &b);
	qsort(vals, n, sizeof *vals, cmp_d);
	ok(a.count == n, "merged count %llu", (unsigned long long)a.count);
	for (j = 0; j < sizeof ps / sizeof ps[0]; j++) {
		size_t rank = (size_t)ceil(ps[j] * (double)n);
		double want = vals[rank ? rank - 1 : 0];
		double got = qsketch_quantile(&a, ps[j]);

		ok(fabs(got - want) <= QSKETCH_ALPHA * want + 1e-12,
		   "p%g: %.6g, exact %.6g (within %.0f%%)", ps[j] * 100, got,
		   want, QSKETCH_ALPHA * 100);
	}
	qsketch_release(&a);
	qsketch_release(&b);

	qsketch_init(&a);
	ok(qsketch_quantile(&a, 0.5) == 0, "empty: 0");
	qsketch_add(&a, -5);
	qsketch_add(&a, 0.0001);
	qsketch_add(&a, 2e12);
	ok(qsketch_quantile(&a, 0.34) == 0 && qsketch_quantile(&a, 1) == 2e12,
	   "below 1 ms counts as 0; the max stays exact beyond the range");
	qsketch_release(&a);
}

int
main(void)
{
	test_topk();
	test_quantiles();
	return done_testing();
}
