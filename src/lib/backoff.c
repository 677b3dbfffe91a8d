/*
 * backoff.c -- doubling waits and quick deaths (see backoff.h).
 */
#include "backoff.h"

int64_t
backoff_delay(int64_t min_ns, int64_t max_ns, unsigned k)
{
	int64_t d = min_ns;

	while (k-- > 1 && d < max_ns)
		d *= 2;
	return d < max_ns ? d : max_ns;
}

void
backoff_init(struct backoff *b, int64_t min_ns, int64_t max_ns)
{
	b->min_ns = min_ns;
	b->max_ns = max_ns;
	b->fails = 0;
	b->started_ns = 0;
}

int64_t
backoff_fail(struct backoff *b)
{
	if (b->fails < 64)
		b->fails++;
	return backoff_delay(b->min_ns, b->max_ns, b->fails);
}

void
backoff_ok(struct backoff *b)
{
	b->fails = 0;
}

void
backoff_started(struct backoff *b, int64_t now_ns)
{
	b->started_ns = now_ns;
}

unsigned
backoff_died(struct backoff *b, int64_t now_ns, int64_t quick_ns,
	     int64_t *wait_ns)
{
	if (now_ns - b->started_ns < quick_ns) {
		if (b->fails < 64)
			b->fails++;
	} else {
		b->fails = 0;
	}
	*wait_ns = backoff_delay(b->min_ns, b->max_ns, b->fails ? b->fails : 1);
	return b->fails;
}
