/*
 * buf.h -- a growable byte buffer (git's strbuf, smaller).
 *
 * A struct buf owns its data; data is always NUL-terminated after len bytes
 * so it can be used as a C string when it holds no NUL.  BUF_INIT or
 * buf_init() before use, buf_release() after.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <stdint.h>
#include "evpipe.h"

struct buf {
	char *data;
	size_t len, cap;
};

#define BUF_INIT                                                               \
	{                                                                      \
		NULL, 0, 0                                                     \
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
/* Hand the data to the caller (free() it) and reset the buffer. */
char *buf_detach(struct buf *, size_t *len);

#endif
