/*
 * lib/ddsketch.c -- the DDSketch quantile sketch (see ddsketch.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ddsketch.h"
#include "xmalloc.h"

static double dd_gamma, dd_lgamma;

static void
dd_setup(void)
{
	if (dd_lgamma == 0) {
		dd_gamma = (1 + DD_ALPHA) / (1 - DD_ALPHA);
		dd_lgamma = log(dd_gamma);
	}
}

int32_t
dd_key(double m)
{
	dd_setup();
	return (int32_t)ceil(log(m) / dd_lgamma);
}

double
dd_value(int32_t key)
{
	dd_setup();
	return 2 * pow(dd_gamma, key) / (dd_gamma + 1);
}

void
dd_init(struct ddsketch *d)
{
	memset(d, 0, sizeof(*d));
	dd_setup();
}

void
dd_release(struct ddsketch *d)
{
	free(d->pos.c);
	free(d->neg.c);
	memset(d, 0, sizeof(*d));
}

/* Make the store hold buckets [lo, hi], folding the lowest past the cap. */
static void
store_span(struct dd_store *s, int32_t lo, int32_t hi)
{
	int32_t nlo, nhi;
	uint32_t nn, k;
	uint64_t *nc;

	if (s->n == 0) {
		nlo = lo;
		nhi = hi;
	} else {
		nlo = lo < s->lo ? lo : s->lo;
		nhi = hi > s->lo + (int32_t)s->n - 1
			      ? hi
			      : s->lo + (int32_t)s->n - 1;
	}
	if ((int64_t)nhi - nlo + 1 > DD_MAX_BUCKETS)
		nlo = nhi - DD_MAX_BUCKETS + 1;
	if (s->n > 0 && nlo == s->lo && nhi == s->lo + (int32_t)s->n - 1)
		return;
	nn = (uint32_t)(nhi - nlo + 1);
	nc = xcalloc(nn, sizeof(*nc));
	for (k = 0; k < s->n; k++) {
		int32_t key = s->lo + (int32_t)k;

		if (s->c[k] == 0)
			continue;
		if (key < nlo) {
			key = nlo;
			s->collapsed = 1;
		}
		nc[key - nlo] += s->c[k];
	}
	free(s->c);
	s->c = nc;
	s->lo = nlo;
	s->n = nn;
}

static void
store_add(struct dd_store *s, int32_t key, uint64_t n)
{
	if (s->n == 0 || key < s->lo || key >= s->lo + (int32_t)s->n) {
		/* grow by half again, so a widening stream costs log steps */
		int32_t lo = key, hi = key;

		if (s->n > 0) {
			int32_t pad = (int32_t)(s->n / 2) + 8;

			if (key < s->lo)
				lo = key - pad;
			else
				hi = key + pad;
		}
		store_span(s, lo, hi);
		if (key < s->lo) {
			key = s->lo;
			s->collapsed = 1;
		}
	}
	s->c[key - s->lo] += n;
}

void
dd_add(struct ddsketch *d, double x)
{
	double m = fabs(x);

	if (d->count == 0 || x < d->min)
		d->min = x;
	if (d->count == 0 || x > d->max)
		d->max = x;
	d->count++;
	if (!(m >= DD_MIN))
		d->zero++;
	else if (x > 0)
		store_add(&d->pos, dd_key(m), 1);
	else
		store_add(&d->neg, dd_key(m), 1);
}

static void
store_merge(struct dd_store *dst, const struct dd_store *src)
{
	uint32_t k;

	for (k = 0; k < src->n; k++)
		if (src->c[k])
			store_add(dst, src->lo + (int32_t)k, src->c[k]);
	dst->collapsed |= src->collapsed;
}

void
dd_merge(struct ddsketch *dst, const struct ddsketch *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->zero += src->zero;
	store_merge(&dst->pos, &src->pos);
	store_merge(&dst->neg, &src->neg);
}

double
dd_quantile(const struct ddsketch *d, double q)
{
	uint64_t rank, seen = 0;
	double r;
	uint32_t k;

	if (d->count == 0)
		return 0;
	if (q <= 0)
		return d->min;
	if (q >= 1)
		return d->max;
	rank = (uint64_t)ceil(q * (double)d->count);
	if (rank < 1)
		rank = 1;
	/* negative values first, largest magnitude first */
	for (k = d->neg.n; k-- > 0;) {
		seen += d->neg.c[k];
		if (seen >= rank) {
			r = -dd_value(d->neg.lo + (int32_t)k);
			goto clamp;
		}
	}
	seen += d->zero;
	if (seen >= rank) {
		r = 0;
		goto clamp;
	}
	for (k = 0; k < d->pos.n; k++) {
		seen += d->pos.c[k];
		if (seen >= rank) {
			r = dd_value(d->pos.lo + (int32_t)k);
			goto clamp;
		}
	}
	return d->max;
clamp:
	/* the representative may lie past the exact extremes */
	if (r < d->min)
		r = d->min;
	if (r > d->max)
		r = d->max;
	return r;
}
