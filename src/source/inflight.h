/*
 * inflight.h -- units of work handed out and not yet delivered, in the
 * order they were handed out, for a source that answers or acknowledges
 * each one once its events are out (source.h, Delivery).
 *
 * A source that takes requests or messages gives each one, when all of
 * its events were handed out, the next number (1, 2, ...): the number of
 * units complete so far is the source's mark.  delivered(mark) then pops
 * every unit numbered up to the mark, oldest first, and answers it (an
 * HTTP response) or acknowledges it (a broker "+ACK").  The ring grows
 * as needed; its size is bounded by what the source lets in (the HTTP
 * source's in-flight budget), not here.
 *
 * src/source/http.c uses it; the tables of kafka.c and nats.c do the
 * same job with rings of their own and are meant to move to it.
 */
#ifndef INFLIGHT_H
#define INFLIGHT_H

#include <stddef.h>
#include <stdint.h>

struct inflight {
	void **v; /* a ring of cap: entries [head, head + n) */
	size_t head, n, cap;
	uint64_t base; /* units numbered up to base were popped */
};

/* The next unit is complete: keep p; returns its number (base + n). */
uint64_t inflight_push(struct inflight *f, void *p);

/* The oldest unit if it is numbered at most mark (it is removed), else
 * NULL: call until NULL in delivered(). */
void *inflight_pop(struct inflight *f, uint64_t mark);

/* The number of units pushed so far (the mark of a source that pushes a
 * unit when its last event was handed out). */
uint64_t inflight_pushed(const struct inflight *f);

/* Free the ring (not the units: pop them first). */
void inflight_release(struct inflight *f);

#endif
