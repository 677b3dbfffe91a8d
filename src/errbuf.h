/*
 * errbuf.h -- a fixed-size error message with a status class.
 *
 * Reporting an error never allocates.  errbuf_set() always returns -1 so a
 * failing function can end with "return errbuf_set(eb, ...);".
 */
#ifndef ERRBUF_H
#define ERRBUF_H

#include "evpipe.h"

struct errbuf {
	int status;	/* STATUS_*; 0 while unset */
	char msg[512];	/* "line 12: expected ')'"; lowercase, no full stop */
};

/* Set status and message; returns -1.  eb may be NULL. */
int errbuf_set(struct errbuf *eb, int status, const char *fmt, ...)
	ATTR_PRINTF(3, 4);

/* Prefix the message already in eb with "PREFIX: "; returns -1. */
int errbuf_prefix(struct errbuf *eb, const char *fmt, ...) ATTR_PRINTF(2, 3);

/* Forget any error. */
void errbuf_clear(struct errbuf *eb);

#endif
