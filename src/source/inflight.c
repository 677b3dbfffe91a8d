/*
 * inflight.c -- units handed out and not yet delivered (inflight.h).
 */
#include <stdlib.h>
#include <string.h>

#include "inflight.h"
#include "lib/xmalloc.h"

uint64_t
inflight_push(struct inflight *f, void *p)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64, i;
		void **v = xreallocarray(NULL, cap, sizeof *v);

		for (i = 0; i < f->n; i++)
			v[i] = f->v[(f->head + i) % f->cap];
		free(f->v);
		f->v = v;
		f->cap = cap;
		f->head = 0;
	}
	f->v[(f->head + f->n) % f->cap] = p;
	f->n++;
	return f->base + f->n;
}

void *
inflight_pop(struct inflight *f, uint64_t mark)
{
	void *p;

	if (f->n == 0 || f->base >= mark)
		return NULL;
	p = f->v[f->head];
	f->head = (f->head + 1) % f->cap;
	f->n--;
	f->base++;
	return p;
}

uint64_t
inflight_pushed(const struct inflight *f)
{
	return f->base + f->n;
}

void
inflight_release(struct inflight *f)
{
	free(f->v);
	memset(f, 0, sizeof *f);
}
