/*
 * lib/hll.c -- HyperLogLog with Ertl's improved estimator (see hll.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hll.h"
#include "xmalloc.h"

#define HLL_Q (64 - HLL_P) /* bits left for the run of zeros */

void
hll_init(struct hll *h)
{
	h->reg = xcalloc(HLL_M, 1);
}

void
hll_release(struct hll *h)
{
	free(h->reg);
	h->reg = NULL;
}

void
hll_add(struct hll *h, uint64_t hash)
{
	uint32_t i = (uint32_t)(hash >> HLL_Q);
	uint64_t w = hash << HLL_P;
	uint8_t r = w == 0 ? HLL_Q + 1 : (uint8_t)(__builtin_clzll(w) + 1);

	if (r > HLL_Q + 1)
		r = HLL_Q + 1;
	if (r > h->reg[i])
		h->reg[i] = r;
}

void
hll_merge(struct hll *dst, const struct hll *src)
{
	uint32_t i;

	for (i = 0; i < HLL_M; i++)
		if (src->reg[i] > dst->reg[i])
			dst->reg[i] = src->reg[i];
}

static double
hll_sigma(double x)
{
	double y = 1, z = x, zp;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double
hll_tau(double x)
{
	double y = 1, z, zp;

	if (x == 0 || x == 1)
		return 0;
	z = 1 - x;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zp);
	return z / 3;
}

double
hll_estimate(const struct hll *h)
{
	double c[HLL_Q + 2] = { 0 }, m = HLL_M, z;
	uint32_t i;
	int k;

	for (i = 0; i < HLL_M; i++)
		c[h->reg[i]]++;
	if (c[0] == m)
		return 0;
	z = m * hll_tau(1 - c[HLL_Q + 1] / m);
	for (k = HLL_Q; k >= 1; k--) {
		z += c[k];
		z *= 0.5;
	}
	z += m * hll_sigma(c[0] / m);
	return m * m / (2 * log(2)) / z;
}
