/*
 * errbuf.h -- a fixed-size error message with a status class.
 *
 * Reporting an error never allocates.  errbuf_set() always returns -1 so a
 * failing function can end with "return errbuf_set(eb, ...);".
 */
#ifndef ERRBUF_H
#define ERRBUF_H

#include "evpipe.h"

struct json_t;

struct errbuf {
	int status;    /* STATUS_*; 0 while unset */
	char msg[512]; /* "line 12: expected ')'"; lowercase, no full stop */
	/*
	 * Rejects only, optional: an owned JSON object of extra fields for
	 * the dead-letter record (e.g. "errors": [...]).  If it holds
	 * "messages", an array of strings, each is printed as its own
	 * reject line instead of msg (and left out of the record).  The
	 * runner takes and frees it.
	 */
	struct json_t *detail;
};

/* Set status and message; returns -1.  eb may be NULL. */
int errbuf_set(struct errbuf *eb, int status, const char *fmt, ...)
	ATTR_PRINTF(3, 4);

/* Prefix the message already in eb with "PREFIX: "; returns -1. */
int errbuf_prefix(struct errbuf *eb, const char *fmt, ...) ATTR_PRINTF(2, 3);

/* Forget any error (frees detail). */
void errbuf_clear(struct errbuf *eb);

/*
 * Print "evpipe: MESSAGE" on stderr: for warnings that do not change the
 * outcome (a restarted child, suppressed messages).  Silent under -q
 * (log_quiet set by main).
 */
void log_warn(const char *fmt, ...) ATTR_PRINTF(1, 2);
extern int log_quiet;

#endif
