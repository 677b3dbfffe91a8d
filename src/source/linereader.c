/*
 * source/linereader.c -- the line reader (see source/linereader.h).
 *
 * Lines are found with memchr over a buffer filled by large reads; a line
 * is handed out as a slice of the buffer, so the common case copies
 * nothing.  The buffer grows only as far as max_line needs: a longer line
 * is reported once with its first max_line bytes and the rest is skipped
 * as it arrives, so memory stays bounded whatever the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "linereader.h"
#include "lib/xmalloc.h"

#define LINEBUF_START (256 * 1024)

void
linereader_init(struct linereader *lr, linebuf_read_fn read, void *arg,
		size_t max_line)
{
	memset(lr, 0, sizeof *lr);
	lr->read = read;
	lr->arg = arg;
	/* max_line + 2 (the line, "\r\n") must not wrap around. */
	lr->max_line = max_line < SIZE_MAX - 2 ? max_line : SIZE_MAX - 2;
	lr->cap = LINEBUF_START;
	if (lr->cap > lr->max_line + 2)
		lr->cap = lr->max_line + 2 < 4096 ? 4096 : lr->max_line + 2;
	lr->buf = xmalloc(lr->cap);
	lr->bom = LR_BOM_CHECK;
}

void
linereader_release(struct linereader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

void
linereader_trim(struct linereader *lr)
{
	size_t want = LINEBUF_START;

	if (lr->buf == NULL || lr->off != lr->end || lr->cap <= want)
		return;
	free(lr->buf);
	lr->buf = xmalloc(want);
	lr->cap = want;
	lr->off = lr->end = lr->scan = 0;
}

/* Make room at the end of the buffer: slide data down, or grow. */
static void
linereader_room(struct linereader *lr)
{
	if (lr->off > 0) {
		memmove(lr->buf, lr->buf + lr->off, lr->end - lr->off);
		lr->end -= lr->off;
		lr->scan -= lr->off;
		lr->off = 0;
	}
	if (lr->end == lr->cap) {
		size_t want = lr->cap <= SIZE_MAX / 2 ? lr->cap * 2 : SIZE_MAX;

		if (want > lr->max_line + 2)
			want = lr->max_line + 2;
		if (want > lr->cap) {
			lr->buf = xrealloc(lr->buf, want);
			lr->cap = want;
		}
	}
}

static int
linereader_line(struct linereader *lr, const char **line, size_t *len,
		struct errbuf *eb)
{
	for (;;) {
		char *nl = memchr(lr->buf + lr->scan, '\n', lr->end - lr->scan);
		size_t n;

		if (nl != NULL) {
			char *start = lr->buf + lr->off;

			n = (size_t)(nl - start);
			lr->off = lr->scan = (size_t)(nl - lr->buf) + 1;
			if (lr->discarding) {
				/* The end of an over-long line: drop it. */
				lr->discarding = 0;
				continue;
			}
			lr->lineno++;
			if (n > 0 && start[n - 1] == '\r')
				n--;
			if (n > lr->max_line) {
				*line = start;
				*len = lr->max_line;
				return LINE_TOO_LONG;
			}
			*line = start;
			*len = n;
			return LINE_OK;
		}
		lr->scan = lr->end;
		if (lr->end - lr->off > lr->max_line + 1 && !lr->discarding) {
			/* Over the limit with no newline yet: report now,
			 * skip the rest of the line as it comes. */
			lr->lineno++;
			*line = lr->buf + lr->off;
			*len = lr->max_line;
			lr->discarding = 1;
			lr->off = lr->scan = lr->end;
			return LINE_TOO_LONG;
		}
		if (lr->discarding)
			lr->off = lr->scan = lr->end = 0;
		if (lr->eof) {
			n = lr->end - lr->off;
			if (n == 0 || lr->discarding) {
				lr->off = lr->scan = lr->end = 0;
				lr->discarding = 0;
				return LINE_EOF;
			}
			/* A last line without a newline. */
			*line = lr->buf + lr->off;
			lr->off = lr->scan = lr->end;
			lr->lineno++;
			if (n > 0 && (*line)[n - 1] == '\r')
				n--;
			if (n > lr->max_line) {
				*len = lr->max_line;
				return LINE_TOO_LONG;
			}
			*len = n;
			return LINE_OK;
		}
		linereader_room(lr);
		{
			ssize_t r = lr->read(lr->arg, lr->buf + lr->end,
					     lr->cap - lr->end, eb);

			if (r < 0) {
				if (eb->status == 0 && errno == EAGAIN)
					return LINE_AGAIN;
				return LINE_ERROR;
			}
			if (r == 0)
				lr->eof = 1;
			lr->end += (size_t)r;
		}
	}
}

/*
 * The next line, past a byte order mark at the very start of the input.
 * The mark is cut from the first line as it is handed out, so the line
 * reader's offsets (reader_unread()) still count its bytes.
 */
int
linereader_next(struct linereader *lr, const char **line, size_t *len,
		struct errbuf *eb)
{
	int res = linereader_line(lr, line, len, eb);

	if (lr->bom == LR_BOM_CHECK &&
	    (res == LINE_OK || res == LINE_TOO_LONG)) {
		lr->bom = LR_BOM_NONE;
		if (*len >= 3 && memcmp(*line, UTF8_BOM, 3) == 0) {
			*line += 3;
			*len -= 3;
			lr->bom = LR_BOM_SKIPPED;
		}
	}
	return res;
}

int
linereader_bom_taken(struct linereader *lr)
{
	if (lr->bom != LR_BOM_SKIPPED)
		return 0;
	lr->bom = LR_BOM_NONE;
	return 1;
}
