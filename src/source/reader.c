/*
 * reader.c -- input formats behind one call (see reader.h): dispatch, the
 * byte buffer of the byte-based decoders, and the JSON text helpers the
 * decoders share.  NDJSON is the line reader itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json/jnum.h"
#include "json/json-text.h"
#include "lib/errbuf.h"
#include "reader.h"
#include "lib/xmalloc.h"

#define READER_BUF (256 * 1024)

const char *const in_format_names[] = {
	"ndjson", "json",  "json-seq", "csv",	 "tsv",
	"logfmt", "lines", "combined", "syslog", NULL,
};

static const struct reader_format format_ndjson;

static const struct reader_format *const formats[] = {
	[FROM_NDJSON] = &format_ndjson,	  [FROM_JSON] = &format_json,
	[FROM_JSONSEQ] = &format_jsonseq, [FROM_CSV] = &format_csv,
	[FROM_TSV] = &format_tsv,	  [FROM_LOGFMT] = &format_logfmt,
	[FROM_LINES] = &format_lines,	  [FROM_COMBINED] = &format_combined,
	[FROM_SYSLOG] = &format_syslog,
};

void
reader_init(struct reader *r, int format, linebuf_read_fn read, void *arg,
	    size_t max_line, unsigned flags)
{
	memset(r, 0, sizeof *r);
	if (format < 0 || (size_t)format >= NELEM(formats))
		BUG("input format %d", format);
	r->fmt = formats[format];
	r->flags = flags;
	r->max_line = max_line;
	r->read = read;
	r->arg = arg;
	r->line = 1;
	r->bom = LR_BOM_CHECK;
	buf_init(&r->out);
	r->fmt->init(r);
}

void
reader_release(struct reader *r)
{
	if (r->fmt && r->fmt->release)
		r->fmt->release(r);
	free(r->buf);
	r->buf = NULL;
	buf_release(&r->out);
}

int
reader_next(struct reader *r, const char **rec, size_t *len, struct errbuf *eb)
{
	return r->fmt->next(r, rec, len, eb);
}

size_t
reader_unread(const struct reader *r)
{
	return (r->lr.end - r->lr.off) + (r->end - r->off) + r->held;
}

size_t
reader_mem(const struct reader *r)
{
	return (r->lr.buf ? r->lr.cap : 0) + (r->buf ? r->cap : 0) +
	       r->out.cap + (r->fmt->mem ? r->fmt->mem(r) : 0);
}

void
reader_trim(struct reader *r)
{
	if (reader_unread(r) > 0)
		return;
	linereader_trim(&r->lr);
	if (r->buf && r->cap > READER_BUF) {
		free(r->buf);
		r->buf = NULL; /* reader_fill() makes a new one */
		r->cap = 0;
		r->off = r->end = 0;
	}
	if (r->out.cap > READER_BUF)
		buf_release(&r->out);
	if (r->fmt->trim)
		r->fmt->trim(r);
}

void
reader_set_input(struct reader *r, linebuf_read_fn read, void *arg)
{
	r->read = read;
	r->arg = arg;
	r->lr.read = read;
	r->lr.arg = arg;
}

void
reader_no_bom(struct reader *r)
{
	r->bom = LR_BOM_NONE;
	r->lr.bom = LR_BOM_NONE;
}

int
reader_bom_taken(struct reader *r)
{
	if (linereader_bom_taken(&r->lr))
		return 1;
	if (r->bom != LR_BOM_SKIPPED)
		return 0;
	r->bom = LR_BOM_NONE;
	return 1;
}

int
reader_stateful(int format)
{
	return format != FROM_NDJSON && format != FROM_LOGFMT &&
	       format != FROM_LINES && format != FROM_COMBINED &&
	       format != FROM_SYSLOG;
}

/*
 * The first read of a byte-based format: a byte order mark there is
 * skipped (consumed, so that reader_unread() and the offsets count it).
 * Until three bytes, or fewer that cannot start one, have come, what was
 * read is held back in buf[0..held).
 */
static int
reader_fill_start(struct reader *r, struct errbuf *eb)
{
	for (;;) {
		ssize_t n = 0;

		if (!r->eof) {
			n = r->read(r->arg, r->buf + r->held, r->cap - r->held,
				    eb);
			if (n < 0) {
				if (eb->status == 0 && errno == EAGAIN)
					return LINE_AGAIN;
				return LINE_ERROR;
			}
			if (n == 0)
				r->eof = 1;
			r->held += (size_t)n;
		}
		if (n > 0 && r->held < 3 &&
		    memcmp(r->buf, UTF8_BOM, r->held) == 0)
			continue;
		r->bom = LR_BOM_NONE;
		r->off = 0;
		r->end = r->held;
		r->held = 0;
		if (r->end >= 3 && memcmp(r->buf, UTF8_BOM, 3) == 0) {
			r->off = 3;
			r->bom = LR_BOM_SKIPPED;
		}
		return r->end > 0 ? 1 : 0;
	}
}

int
reader_fill(struct reader *r, struct errbuf *eb)
{
	ssize_t n;

	if (r->buf == NULL) {
		r->cap = READER_BUF;
		r->buf = xmalloc(r->cap);
	}
	if (r->bom == LR_BOM_CHECK)
		return reader_fill_start(r, eb);
	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->end - r->off);
		r->end -= r->off;
		r->off = 0;
	}
	if (r->end == r->cap) {
		/* Callers consume as they scan; a full buffer is a bug. */
		BUG("reader buffer full");
	}
	if (r->eof)
		return 0;
	n = r->read(r->arg, r->buf + r->end, r->cap - r->end, eb);
	if (n < 0) {
		if (eb->status == 0 && errno == EAGAIN)
			return LINE_AGAIN;
		return LINE_ERROR;
	}
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->end += (size_t)n;
	return 1;
}

/* Whether p[0..n) is a number by the JSON grammar. */
static int
is_json_number(const char *p, size_t n)
{
	return n > 0 && jnum_scan(p, n) == n;
}

void
reader_add_field(struct buf *out, const char *p, size_t n, unsigned flags)
{
	if ((flags & READER_TYPES) &&
	    ((n == 4 && memcmp(p, "true", 4) == 0) ||
	     (n == 5 && memcmp(p, "false", 5) == 0) || is_json_number(p, n))) {
		buf_add(out, p, n);
		return;
	}
	jtext_add_string(out, p, n);
}

/* ---- ndjson: the line reader as it is ---------------------------------- */

void
reader_lines_init(struct reader *r)
{
	linereader_init(&r->lr, r->read, r->arg, r->max_line);
}

int
reader_blank(const char *p, size_t n)
{
	for (; n > 0; p++, n--)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return 0;
	return 1;
}

int
reader_next_parsed(struct reader *r, const char **rec, size_t *len,
		   int (*parse)(struct reader *r, const char *line, size_t n,
				struct errbuf *eb),
		   struct errbuf *eb)
{
	for (;;) {
		const char *line;
		size_t n;
		int res = linereader_next(&r->lr, &line, &n, eb);

		r->lineno = r->lr.lineno;
		if (res != LINE_OK) {
			if (res == LINE_TOO_LONG) {
				*rec = line;
				*len = n;
			}
			return res;
		}
		if (reader_blank(line, n))
			continue;
		if (parse(r, line, n, eb) == -1) {
			*rec = line;
			*len = n;
			return LINE_INVALID;
		}
		*rec = r->out.data;
		*len = r->out.len;
		if (*len > r->max_line) {
			*len = r->max_line;
			return LINE_TOO_LONG;
		}
		return LINE_OK;
	}
}

static int
ndjson_next(struct reader *r, const char **rec, size_t *len, struct errbuf *eb)
{
	int res;

	do
		res = linereader_next(&r->lr, rec, len, eb);
	while (res == LINE_OK && reader_blank(*rec, *len));
	r->lineno = r->lr.lineno;
	return res;
}

void
reader_lines_release(struct reader *r)
{
	linereader_release(&r->lr);
}

static const struct reader_format format_ndjson = {
	.name = "ndjson",
	.init = reader_lines_init,
	.next = ndjson_next,
	.release = reader_lines_release,
};

int
reader_where(const struct reader *r, size_t off, uint64_t *line, uint64_t *col)
{
	if (r->fmt == NULL || r->fmt->where == NULL)
		return -1;
	return r->fmt->where(r, off, line, col);
}
