/*
 * feed.h -- a read function over bytes in memory, for the line reader,
 * the prescan thread and the format readers in unit tests and fuzz
 * targets: it hands out at most chunk bytes a read, goes over the bytes
 * reps times (0 or 1: once), and with again set says EAGAIN on every
 * other call.  Zero the struct, then set p, len and chunk (at least 1).
 */
#ifndef FEED_H
#define FEED_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "lib/errbuf.h"

struct feed {
	const uint8_t *p;
	size_t len, off, chunk, reps;
	int again, tick;
};

static ssize_t
feed_read(void *arg, char *buf, size_t n, struct errbuf *eb)
{
	struct feed *f = arg;
	size_t k;

	if (f->again && (f->tick++ & 1)) {
		eb->status = 0;
		errno = EAGAIN;
		return -1;
	}
	if (f->off == f->len && f->reps > 1) {
		f->off = 0;
		f->reps--;
	}
	k = f->len - f->off;
	if (k > n)
		k = n;
	if (k > f->chunk)
		k = f->chunk;
	memcpy(buf, f->p + f->off, k);
	f->off += k;
	return (ssize_t)k;
}

#endif
