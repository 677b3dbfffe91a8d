/*
 * errbuf.c -- fixed-size error messages (see errbuf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errbuf.h"

int
errbuf_set(struct errbuf *eb, int status, const char *fmt, ...)
{
	va_list ap;

	if (eb == NULL)
		return -1;
	eb->status = status;
	va_start(ap, fmt);
	vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
errbuf_prefix(struct errbuf *eb, const char *fmt, ...)
{
	char old[sizeof eb->msg];
	va_list ap;
	int n;

	if (eb == NULL)
		return -1;
	memcpy(old, eb->msg, sizeof old);
	va_start(ap, fmt);
	n = vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof eb->msg)
		snprintf(eb->msg + n, sizeof eb->msg - n, ": %s", old);
	return -1;
}

void
errbuf_clear(struct errbuf *eb)
{
	eb->status = 0;
	eb->msg[0] = '\0';
	json_decref(eb->detail);
	eb->detail = NULL;
}

void
bug_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "evpipe: BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

int log_quiet;

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (log_quiet)
		return;
	fputs("evpipe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
