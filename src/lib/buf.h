/*
 * buf.h -- a growable byte buffer (git's strbuf, smaller).
 *
 * A struct buf owns its data; data is never NULL and always NUL-terminated
 * after len bytes, so it can be used as a C string when it holds no NUL:
 * an empty buffer (BUF_INIT, buf_init(), after buf_release()) points at a
 * shared empty string and owns nothing (cap 0) until it grows.  BUF_INIT
 * or buf_init() before use, buf_release() after.
 *
 * The one tolerated exception: a zeroed struct buf (in a calloc'd struct
 * nobody called buf_init() on) has data NULL; buf_grow(), and so every
 * buf_add*(), buf_reset(), buf_release() and buf_detach() take it as
 * empty, but its data must not be read before one of them ran.  Prefer
 * buf_init() where the struct is made.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <stdint.h>
#include "evpipe.h"

struct buf {
	char *data;
	size_t len, cap; /* cap 0: data is buf_slopbuf, owned by nobody */
};

/* The empty string every empty buffer points at; never written but for
 * its NUL. */
extern char buf_slopbuf[1];

#define BUF_INIT                                                               \
	{                                                                      \
		buf_slopbuf, 0, 0                                              \
	}

void buf_init(struct buf *);
void buf_release(struct buf *);
/* Make room for n more bytes (plus the NUL). */
void buf_grow(struct buf *, size_t n);
void buf_add(struct buf *, const void *, size_t);
void buf_addc(struct buf *, char);
void buf_adds(struct buf *, const char *);
/* Append code point cp (at most 0x10FFFF) as UTF-8. */
void buf_add_utf8(struct buf *, uint32_t cp);
void buf_addf(struct buf *, const char *fmt, ...) ATTR_PRINTF(2, 3);
void buf_reset(struct buf *);
/*
 * Hand the data to the caller (free() it) and reset the buffer; an empty
 * buffer gives a new empty string.
 */
char *buf_detach(struct buf *, size_t *len);

#endif
