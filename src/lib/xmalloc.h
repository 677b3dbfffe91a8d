/*
 * xmalloc.h -- allocators that never return NULL: on failure they print
 * "evpipe: out of memory" and exit with status 3 (an I/O-class failure).
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>
#include "evpipe.h"

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
/* realloc for n elements of size sz, failing cleanly on overflow. */
void *xreallocarray(void *, size_t n, size_t sz);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
/*
 * zlib's zalloc/zfree with xmalloc()'s policy, for every z_stream:
 * strm.zalloc = xmalloc_zlib, strm.zfree = free_zlib.
 */
void *xmalloc_zlib(void *opaque, unsigned items, unsigned size);
void free_zlib(void *opaque, void *p);
/* A new string from a format; free() it. */
char *xasprintf(const char *fmt, ...) ATTR_PRINTF(1, 2);

#endif
