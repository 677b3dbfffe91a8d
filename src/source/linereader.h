/*
 * source/linereader.h -- the line reader: large reads, memchr framing, CRLF, a
 * last line without a newline, a maximum line length, line numbers.
 */
#ifndef LINEREADER_H
#define LINEREADER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct errbuf;

/* Fill buf with up to n bytes: >0 bytes read, 0 at end, -1 error in eb. */
typedef ssize_t (*linebuf_read_fn)(void *arg, char *buf, size_t n,
				   struct errbuf *eb);

struct linereader {
	linebuf_read_fn read;
	void *arg;
	char *buf;
	size_t cap, off, end; /* unread data is buf[off..end) */
	size_t scan;	      /* buf[off..scan) holds no newline */
	size_t max_line;      /* longer lines are reported, not returned */
	uint64_t lineno;      /* number of the line last returned */
	int eof;
	int discarding; /* inside a line that was too long */
	int bom;	/* LR_BOM_*: a UTF-8 byte order mark at the start */
};

/* A UTF-8 byte order mark before the first line is skipped (never one
 * anywhere else: it is data there).  lr->bom says where that stands. */
#define UTF8_BOM       "\xef\xbb\xbf"
#define LR_BOM_NONE    0 /* none skipped, or linereader_bom_taken() said so */
#define LR_BOM_CHECK   1 /* the first line is still to come */
#define LR_BOM_SKIPPED 2 /* one was skipped */

enum linebuf_result {
	LINE_ERROR = -1,   /* read failed: eb says why */
	LINE_EOF = 0,	   /* no more lines */
	LINE_OK = 1,	   /* *line, *len set: valid until the next call */
	LINE_TOO_LONG = 2, /* a line over max_line: *line, *len hold its
			    * first max_line bytes; the rest is skipped */
	LINE_AGAIN = 3,	   /* the read function had nothing now (EAGAIN) */
};

/*
 * Start a reader over read(arg, ...); max_line is the longest line
 * returned whole (without its newline).
 */
void linereader_init(struct linereader *lr, linebuf_read_fn read, void *arg,
		     size_t max_line);
void linereader_release(struct linereader *lr);

/*
 * The next line without its "\n" (and without a "\r" before it).  Returns
 * an enum linebuf_result.  A read function that returns -1 with errno
 * EAGAIN in eb->status 0 makes this return LINE_AGAIN.
 */
int linereader_next(struct linereader *lr, const char **line, size_t *len,
		    struct errbuf *eb);

/* 1 once, the first time it is asked after a byte order mark was
 * skipped (for -v to say so); 0 otherwise. */
int linereader_bom_taken(struct linereader *lr);

/*
 * With nothing unread, give a buffer grown for a long line back: it
 * shrinks to its starting size (for readers that stay open, as clients).
 */
void linereader_trim(struct linereader *lr);

#endif
