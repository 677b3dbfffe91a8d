/*
 * backoff.h -- waits that double after each failure in a row, and the
 * count of children that die soon after they start: the one backoff of
 * exec: targets, socket targets and batch --exec retries.
 */
#ifndef BACKOFF_H
#define BACKOFF_H

#include <stdint.h>

struct backoff {
	int64_t min_ns, max_ns; /* the first wait, the longest */
	unsigned fails;		/* failures (or quick deaths) in a row */
	int64_t started_ns;	/* when the child now running started */
};

/* min_ns * 2^(k-1), at most max_ns, for the k-th failure (k >= 1). */
int64_t backoff_delay(int64_t min_ns, int64_t max_ns, unsigned k);

void backoff_init(struct backoff *b, int64_t min_ns, int64_t max_ns);

/* A failure (a connect): count it; the wait before the next try. */
int64_t backoff_fail(struct backoff *b);

/* A success: the next failure waits min_ns again. */
void backoff_ok(struct backoff *b);

/* A child was started (now, mono_ns clock). */
void backoff_started(struct backoff *b, int64_t now_ns);

/*
 * The child died at now_ns.  A death within quick_ns of its start counts
 * as one more quick death in a row; a later one starts the count over.
 * Returns the quick deaths in a row (the caller gives up at its limit)
 * and sets *wait_ns to the wait before the next start: min_ns after a
 * child that lived, doubling with each quick death.
 */
unsigned backoff_died(struct backoff *b, int64_t now_ns, int64_t quick_ns,
		      int64_t *wait_ns);

#endif
