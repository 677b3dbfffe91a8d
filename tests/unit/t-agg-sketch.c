/*
 * t-agg-sketch.c -- the error bounds of aggregate's sketches, on
 * generated streams whose exact answers are computed here: DDSketch
 * quantiles within 1% relative error of the exact nearest-rank value
 * (uniform, skewed and signed data, and after a merge), HyperLogLog
 * within 2% of the true distinct count from 10 to 2,000,000 values (and
 * after a merge).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ddsketch.h"
#include "lib/hash.h"
#include "lib/hll.h"
#include "tap.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Uniform in (0, 1). */
static double
unif(void)
{
	return ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define NV 200000

static const double qs[] = { 0.001, 0.01, 0.1,	0.25,  0.5,    0.75,
			     0.9,   0.95, 0.99, 0.999, 0.9999, 1.0 };

/* The worst relative error of d's quantiles against sorted v[0..n). */
static double
worst_error(const struct ddsketch *d, const double *v, size_t n)
{
	double worst = 0;
	size_t i;

	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		size_t k = (size_t)ceil(qs[i] * (double)n);
		double exact = v[k ? k - 1 : 0], got = dd_quantile(d, qs[i]);
		double err = exact == 0 ? fabs(got)
					: fabs(got - exact) / fabs(exact);

		if (err > worst)
			worst = err;
	}
	return worst;
}

static void
check_dd(const char *what, double (*gen)(void))
{
	static double v[NV];
	struct ddsketch d, a, b;
	double w;
	size_t i;

	dd_init(&d);
	dd_init(&a);
	dd_init(&b);
	for (i = 0; i < NV; i++) {
		v[i] = gen();
		dd_add(&d, v[i]);
		dd_add(i % 3 ? &a : &b, v[i]);
	}
	qsort(v, NV, sizeof(double), cmp_d);
	w = worst_error(&d, v, NV);
	ok(w <= DD_ALPHA + 1e-12, "%s: worst relative error %.5f%% <= 1%%",
	   what, w * 100);
	dd_merge(&a, &b);
	w = worst_error(&a, v, NV);
	ok(w <= DD_ALPHA + 1e-12 && a.count == NV,
	   "%s, merged from two: worst relative error %.5f%%", what, w * 100);
	ok(dd_quantile(&d, 0) == v[0] && dd_quantile(&d, 1) == v[NV - 1],
	   "%s: q=0 and q=1 are the exact min and max", what);
	dd_release(&d);
	dd_release(&a);
	dd_release(&b);
}

static double
gen_uniform(void)
{
	return 1 + unif() * 999;
}

/* Pareto, alpha 1.1: a heavy tail over many orders of magnitude. */
static double
gen_pareto(void)
{
	return 0.5 * pow(unif(), -1 / 1.1);
}

/* Log-normal latencies in ms, as a skewed but realistic case. */
static double
gen_lognormal(void)
{
	double z = sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());

	return exp(3 + 1.2 * z);
}

/* Both signs and a share of exact zeros. */
static double
gen_signed(void)
{
	uint64_t r = rnd() % 10;

	if (r == 0)
		return 0;
	return (r < 4 ? -1 : 1) * exp(unif() * 20 - 5);
}

static void
test_dd_small(void)
{
	struct ddsketch d;

	dd_init(&d);
	ok(dd_quantile(&d, 0.5) == 0, "an empty sketch answers 0");
	dd_add(&d, 42);
	ok(fabs(dd_quantile(&d, 0.5) - 42) <= 0.42, "one value: %g",
	   dd_quantile(&d, 0.5));
	dd_release(&d);
	/* a span wider than DD_MAX_BUCKETS folds its smallest buckets */
	dd_init(&d);
	dd_add(&d, 1e-8);
	dd_add(&d, 1e40);
	dd_add(&d, 5);
	ok(d.pos.n <= DD_MAX_BUCKETS && d.pos.collapsed,
	   "a span of 1e48 is folded into %u buckets", d.pos.n);
	ok(fabs(dd_quantile(&d, 1) - 1e40) == 0, "the max is still exact");
	dd_release(&d);
}

static void
test_hll(void)
{
	static const uint64_t ns[] = { 10,    100,    1000,   5000,   20000,
				       50000, 100000, 500000, 2000000 };
	struct hll h, a, b;
	char s[32];
	size_t i;
	uint64_t k;
	double worst = 0;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		double est, err;

		hll_init(&h);
		for (k = 0; k < ns[i]; k++) {
			int len = snprintf(s, sizeof s, "\"user-%llu-%zu\"",
					   (unsigned long long)k, i);

			hll_add(&h, hash64(s, (size_t)len));
			/* repeats change nothing */
			if (k % 4 == 0)
				hll_add(&h, hash64(s, (size_t)len));
		}
		est = hll_estimate(&h);
		err = fabs(est - (double)ns[i]) / (double)ns[i];
		if (err > worst)
			worst = err;
		ok(err <= 0.02,
		   "HyperLogLog: %llu distinct, estimate %.0f, error %.3f%%",
		   (unsigned long long)ns[i], est, err * 100);
		hll_release(&h);
	}
	diag("worst HyperLogLog error %.3f%% (standard error 0.81%%)",
	     worst * 100);
	/* merging two halves that overlap by a third is the union */
	hll_init(&a);
	hll_init(&b);
	for (k = 0; k < 300000; k++) {
		int len = snprintf(s, sizeof s, "%llu", (unsigned long long)k);

		if (k < 200000)
			hll_add(&a, hash64(s, (size_t)len));
		if (k >= 100000)
			hll_add(&b, hash64(s, (size_t)len));
	}
	hll_merge(&a, &b);
	ok(fabs(hll_estimate(&a) - 300000) / 300000 <= 0.02,
	   "HyperLogLog merge: union of 300000 estimated %.0f",
	   hll_estimate(&a));
	hll_release(&a);
	hll_release(&b);
	hll_init(&a);
	ok(hll_estimate(&a) == 0, "an empty HyperLogLog estimates 0");
	hll_release(&a);
}

int
main(void)
{
	check_dd("uniform 1..1000", gen_uniform);
	check_dd("Pareto (heavy tail)", gen_pareto);
	check_dd("log-normal", gen_lognormal);
	check_dd("signed with zeros", gen_signed);
	test_dd_small();
	test_hll();
	return done_testing();
}
