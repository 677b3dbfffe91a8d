/*
 * sketch.c -- Space-Saving top-k and a log-bucketed quantile sketch (see
 * sketch.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "sketch.h"
#include "xmalloc.h"

void
topk_init(struct topk *t, size_t capacity)
{
	memset(t, 0, sizeof *t);
	if (capacity < 1)
		capacity = 1;
	t->cap = capacity;
	t->e = xcalloc(capacity, sizeof *t->e);
	t->nslots = 16;
	while (t->nslots < 2 * capacity)
		t->nslots *= 2;
	t->slots = xcalloc(t->nslots, sizeof *t->slots);
}

void
topk_release(struct topk *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->e[i].key);
	free(t->e);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static size_t
slot_of(const struct topk *t, const char *key, size_t len)
{
	size_t mask = t->nslots - 1, i = (size_t)hash64(key, len) & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t s = t->slots[i];

		if (s == 0)
			return i;
		if (t->e[s - 1].len == len &&
		    memcmp(t->e[s - 1].key, key, len) == 0)
			return i;
	}
}

/* Remove the table entry at slot i (linear probing: shift back). */
static void
slot_delete(struct topk *t, size_t i)
{
	size_t mask = t->nslots - 1, j = i;

	t->slots[i] = 0;
	for (;;) {
		size_t home;
		uint32_t s;

		j = (j + 1) & mask;
		s = t->slots[j];
		if (s == 0)
			return;
		home = (size_t)hash64(t->e[s - 1].key, t->e[s - 1].len) & mask;
		/* Move s back into i if i lies cyclically in [home, j). */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			t->slots[i] = s;
			t->e[s - 1].slot = i;
			t->slots[j] = 0;
			i = j;
		}
	}
}

static void
heap_swap(struct topk *t, size_t a, size_t b)
{
	struct topk_entry x = t->e[a];

	t->e[a] = t->e[b];
	t->e[b] = x;
	t->slots[t->e[a].slot] = (uint32_t)a + 1;
	t->slots[t->e[b].slot] = (uint32_t)b + 1;
}

static void
heap_down(struct topk *t, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->n && t->e[l].count < t->e[m].count)
			m = l;
		if (r < t->n && t->e[r].count < t->e[m].count)
			m = r;
		if (m == i)
			return;
		heap_swap(t, i, m);
		i = m;
	}
}

static void
heap_up(struct topk *t, size_t i)
{
	while (i > 0 && t->e[(i - 1) / 2].count > t->e[i].count) {
		heap_swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

void
topk_add(struct topk *t, const char *key, size_t len)
{
	size_t s = slot_of(t, key, len), i;

	t->total++;
	if (t->slots[s] != 0) {
		i = t->slots[s] - 1;
		t->e[i].count++;
		heap_down(t, i);
		return;
	}
	if (t->n < t->cap) {
		i = t->n++;
		t->e[i].key = xstrndup(key, len);
		t->e[i].len = len;
		t->e[i].count = 1;
		t->e[i].error = 0;
		t->e[i].slot = s;
		t->slots[s] = (uint32_t)i + 1;
		heap_up(t, i);
		return;
	}
	/* Replace the least counted key. */
	slot_delete(t, t->e[0].slot);
	free(t->e[0].key);
	t->e[0].key = xstrndup(key, len);
	t->e[0].len = len;
	t->e[0].error = t->e[0].count;
	t->e[0].count++;
	t->e[0].slot = slot_of(t, key, len);
	t->slots[t->e[0].slot] = 1;
	heap_down(t, 0);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct topk_entry *x = *(const struct topk_entry *const *)a;
	const struct topk_entry *y = *(const struct topk_entry *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = memcmp(x->key, y->key, n);
	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

const struct topk_entry **
topk_sorted(const struct topk *t)
{
	const struct topk_entry **v = xcalloc(t->n + 1, sizeof *v);
	size_t i;

	for (i = 0; i < t->n; i++)
		v[i] = &t->e[i];
	qsort(v, t->n, sizeof *v, entry_cmp);
	return v;
}

void
qsketch_init(struct qsketch *q)
{
	memset(q, 0, sizeof *q);
	q->gamma = (1 + QSKETCH_ALPHA) / (1 - QSKETCH_ALPHA);
	q->lg = log(q->gamma);
	/* bucket i >= 1 holds (g^(i-1+o), g^(i+o)] with o the offset of
	 * QSKETCH_MIN; the last one also everything above QSKETCH_MAX. */
	q->nbuckets = (size_t)ceil(log(QSKETCH_MAX / QSKETCH_MIN) / q->lg) + 2;
	q->bucket = xcalloc(q->nbuckets, sizeof *q->bucket);
}

void
qsketch_release(struct qsketch *q)
{
	free(q->bucket);
	memset(q, 0, sizeof *q);
}

static long
offset_index(const struct qsketch *q)
{
	return (long)ceil(log(QSKETCH_MIN) / q->lg);
}

void
qsketch_add(struct qsketch *q, double x)
{
	size_t i;

	if (isnan(x))
		return;
	if (q->count == 0 || x < q->min)
		q->min = x;
	if (q->count == 0 || x > q->max)
		q->max = x;
	q->count++;
	q->sum += x;
	if (x < QSKETCH_MIN) {
		q->bucket[0]++;
		return;
	}
	{
		long k = (long)ceil(log(x) / q->lg) - offset_index(q) + 1;

		if (k < 1)
			k = 1;
		i = (size_t)k;
	}
	if (i >= q->nbuckets)
		i = q->nbuckets - 1;
	q->bucket[i]++;
}

void
qsketch_merge(struct qsketch *dst, const struct qsketch *src)
{
	size_t i;

	if (src->count == 0)
		return;
	for (i = 0; i < dst->nbuckets && i < src->nbuckets; i++)
		dst->bucket[i] += src->bucket[i];
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
}

double
qsketch_quantile(const struct qsketch *q, double p)
{
	uint64_t rank, seen = 0;
	size_t i;

	if (q->count == 0)
		return 0;
	if (p >= 1)
		return q->max;
	if (p <= 0)
		return q->min;
	/* Nearest rank: the ceil(p * count)-th smallest value. */
	rank = (uint64_t)ceil(p * (double)q->count);
	rank = rank > 0 ? rank - 1 : 0;
	for (i = 0; i < q->nbuckets; i++) {
		seen += q->bucket[i];
		if (seen > rank) {
			double v;

			if (i == 0)
				return q->min > 0 ? q->min : 0;
			v = 2 *
			    exp((double)((long)i - 1 + offset_index(q)) *
				q->lg) /
			    (q->gamma + 1);
			/* never outside what was seen */
			if (v > q->max)
				v = q->max;
			if (v < q->min)
				v = q->min;
			return v;
		}
	}
	return q->max;
}
