/*
 * source/from-json.c -- "--from json": a top-level array split into its
 * elements, or a stream of concatenated or pretty-printed values, each
 * handed out compacted, in constant memory (one read buffer and one
 * element, bounded by --max-line).
 *
 * The splitter tracks only what it needs to find where a value ends:
 * strings (with their escapes) and the nesting of brackets.  Whether an
 * element is really JSON is the scanner's business, downstream, so a bad
 * element is one reject and the next one is read as usual.  Any top-level
 * array is split; any other top-level value is one event.  Stray ',' ':'
 * '}' or ']' at the top level are reported and skipped.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "reader.h"
#include "lib/xmalloc.h"

enum {
	C_OTHER,
	C_WS,
	C_NL,
	C_QUOTE,
	C_BSLASH,
	C_OPEN,
	C_CLOSE,
	C_COMMA,
	C_COLON
};

static unsigned char cls[256];
static unsigned char plain[256]; /* in a value, outside strings: copy on */
static unsigned char sstop[256]; /* in a string: '"', '\\' and '\n' */

struct json_dec {
	int in_array;	/* inside a top-level array */
	int expect;	/* in the array: 0 first element or ']', 1 after an
			 * element (',' or ']'), 2 after ',' (an element) */
	int in_value;	/* collecting a value */
	int depth;	/* brackets open in the value */
	int str;	/* 0 outside a string, 1 inside, 2 after '\' */
	int scalar;	/* the value is a bare number or literal */
	int too_long;	/* the value went past max_line */
	int64_t opened; /* line where the current array opened */
	/* Columns: the index in r->buf where the current line starts (may
	 * be negative: before the buffer), kept across refills as the
	 * column of buf[off]. */
	ptrdiff_t ls;
	uint64_t col;
	/* Where the pieces of the value handed out came from: the piece
	 * at byte off of r->out (or of the value, handed out in place)
	 * started at line, column col (1-based) of the input. */
	struct piece {
		size_t off;
		uint64_t line, col;
	} * pieces;
	size_t npieces, cappieces;
};

static void
json_init(struct reader *r)
{
	int c;

	if (cls['"'] == 0) {
		for (c = 0; c < 256; c++)
			cls[c] = C_OTHER;
		cls[' '] = cls['\t'] = cls['\r'] = C_WS;
		cls['\n'] = C_NL;
		cls['"'] = C_QUOTE;
		cls['\\'] = C_BSLASH;
		cls['{'] = cls['['] = C_OPEN;
		cls['}'] = cls[']'] = C_CLOSE;
		cls[','] = C_COMMA;
		cls[':'] = C_COLON;
		for (c = 0; c < 256; c++)
			plain[c] = cls[c] == C_OTHER || cls[c] == C_COMMA ||
				   cls[c] == C_COLON || cls[c] == C_BSLASH;
		sstop['"'] = sstop['\\'] = sstop['\n'] = 1;
	}
	r->priv = xcalloc(1, sizeof(struct json_dec));
}

static void
json_release(struct reader *r)
{
	struct json_dec *d = r->priv;

	if (d)
		free(d->pieces);
	free(r->priv);
	r->priv = NULL;
}

/* Note that the value's byte off came from p in the read buffer. */
static void
piece(struct reader *r, struct json_dec *d, size_t off, const char *p)
{
	struct piece *pc;

	if (d->npieces == d->cappieces) {
		d->cappieces = d->cappieces ? 2 * d->cappieces : 16;
		d->pieces = xreallocarray(d->pieces, d->cappieces,
					  sizeof *d->pieces);
	}
	pc = &d->pieces[d->npieces++];
	pc->off = off;
	pc->line = r->line;
	pc->col = (uint64_t)((p - r->buf) - d->ls) + 1;
}

/* Append p[0..n) to the value, up to max_line bytes. */
static void
put(struct reader *r, struct json_dec *d, const char *p, size_t n)
{
	if (d->too_long || n == 0)
		return;
	piece(r, d, r->out.len, p);
	if (r->out.len + n > r->max_line) {
		n = r->max_line - r->out.len;
		d->too_long = 1;
	}
	buf_add(&r->out, p, n);
}

static void
start_value(struct reader *r, struct json_dec *d)
{
	d->in_value = 1;
	d->depth = 0;
	d->str = 0;
	d->scalar = 0;
	d->too_long = 0;
	d->npieces = 0;
	buf_reset(&r->out);
	r->lineno = r->line;
}

/* The value is complete: hand out r->out. */
static int
finish(struct reader *r, struct json_dec *d, const char **rec, size_t *len)
{
	d->in_value = 0;
	if (d->in_array)
		d->expect = 1;
	*rec = r->out.data;
	*len = r->out.len;
	return d->too_long ? LINE_TOO_LONG : LINE_OK;
}

static int
invalid(struct reader *r, const char **rec, size_t *len, struct errbuf *eb,
	const char *msg, char c)
{
	buf_reset(&r->out);
	if (c)
		buf_addc(&r->out, c);
	*rec = r->out.data;
	*len = r->out.len;
	r->lineno = r->line;
	errbuf_set(eb, STATUS_REJECT, "%s '%c'", msg, c);
	return LINE_INVALID;
}

/*
 * Go on with the value in progress from *pp: LINE_OK or LINE_TOO_LONG
 * when it ended, or 0 when the buffer ran out (its bytes are copied to
 * r->out, so the buffer may be refilled).  Bytes are copied only where
 * whitespace is dropped or the buffer ends: an element that was compact
 * and whole in the buffer is handed out in place, without a copy.
 */
static int
json_value(struct reader *r, struct json_dec *d, const char **pp,
	   const char *end, const char **rec, size_t *len)
{
	const char *p = *pp, *span = p;
	int k = C_OTHER;

	for (;;) {
		if (d->str) {
			if (d->str == 2 && p < end) {
				d->str = 1;
				p++;
			}
			for (;;) {
				while (p < end && !sstop[(unsigned char)*p])
					p++;
				if (p == end || *p != '\n')
					break;
				/* not JSON: the scanner says so, at the
				 * line the newline ends */
				put(r, d, span, (size_t)(p + 1 - span));
				r->line++;
				span = ++p;
				d->ls = p - r->buf;
			}
			if (p == end)
				break;
			k = cls[(unsigned char)*p++];
			if (k == C_BSLASH) {
				d->str = 2;
				continue;
			}
			d->str = 0;
			if (d->depth == 0)
				goto done;
			continue;
		}
		if (d->scalar) {
			while (p < end &&
			       ((k = cls[(unsigned char)*p]) == C_OTHER ||
				k == C_BSLASH))
				p++;
			if (p == end)
				break;
			goto done; /* the terminator belongs to what follows */
		}
		while (p < end) {
			while (p < end && plain[(unsigned char)*p])
				p++;
			if (p == end)
				break;
			k = cls[(unsigned char)*p];
			if (k == C_QUOTE) {
				d->str = 1;
				p++;
				break;
			} else if (k == C_OPEN) {
				d->depth++;
				p++;
			} else if (k == C_CLOSE) {
				p++;
				if (--d->depth == 0)
					goto done;
			} else {
				/* Whitespace: copy what came before, skip it.
				 */
				put(r, d, span, (size_t)(p - span));
				span = ++p;
				if (k == C_NL) {
					r->line++;
					d->ls = p - r->buf;
				}
			}
		}
		if (p == end)
			break;
	}
	put(r, d, span, (size_t)(p - span));
	*pp = p;
	return 0;
done:
	*pp = p;
	if (r->out.len == 0 && !d->too_long &&
	    (size_t)(p - span) <= r->max_line) {
		/* Compact and whole: hand it out from the read buffer. */
		piece(r, d, 0, span);
		d->in_value = 0;
		if (d->in_array)
			d->expect = 1;
		*rec = span;
		*len = (size_t)(p - span);
		return LINE_OK;
	}
	put(r, d, span, (size_t)(p - span));
	return finish(r, d, rec, len);
}

/*
 * Scan the buffered bytes; LINE_OK/LINE_TOO_LONG when a value completed,
 * LINE_INVALID for a stray byte, or 0 when more input is needed.
 */
static int
json_scan(struct reader *r, struct json_dec *d, const char **rec, size_t *len,
	  struct errbuf *eb)
{
	const char *p, *end;
	int res = 0;

	if (r->buf == NULL) /* nothing read yet: nothing to scan */
		return 0;
	p = r->buf + r->off;
	end = r->buf + r->end;
	d->ls = (ptrdiff_t)r->off - (ptrdiff_t)d->col;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		int k = cls[c];

		if (d->in_value) {
			res = json_value(r, d, &p, end, rec, len);
			if (res != 0)
				break;
			continue;
		}
		/* Between values. */
		if (k == C_WS || k == C_NL) {
			p++;
			if (k == C_NL) {
				r->line++;
				d->ls = p - r->buf;
			}
			continue;
		}
		if (d->in_array) {
			if (c == ']') {
				p++;
				d->in_array = 0;
				if (d->expect == 2) {
					res = invalid(r, rec, len, eb,
						      "expected a value after "
						      "',', found",
						      ']');
					break;
				}
				continue;
			}
			if (c == ',') {
				p++;
				if (d->expect != 1) {
					res = invalid(r, rec, len, eb,
						      "missing array element "
						      "before",
						      ',');
					break;
				}
				d->expect = 2;
				continue;
			}
			if (d->expect == 1) {
				/* "[1 2]": say so, then read the element. */
				d->expect = 2;
				res = invalid(r, rec, len, eb,
					      "expected ',' or ']' after an "
					      "array element, found",
					      (char)c);
				break;
			}
		} else if (c == '[') {
			p++;
			d->in_array = 1;
			d->expect = 0;
			d->opened = (int64_t)r->line;
			continue;
		}
		if (k == C_CLOSE || k == C_COMMA || k == C_COLON) {
			p++;
			res = invalid(
				r, rec, len, eb,
				"unexpected byte between values:", (char)c);
			break;
		}
		start_value(r, d);
		d->scalar = k != C_QUOTE && k != C_OPEN;
	}
	r->off = (size_t)(p - r->buf);
	d->col = (uint64_t)((ptrdiff_t)r->off - d->ls);
	return res;
}

static int
json_where(const struct reader *r, size_t off, uint64_t *line, uint64_t *col)
{
	const struct json_dec *d = r->priv;
	size_t lo = 0, hi;

	if (d == NULL || d->npieces == 0)
		return -1;
	/* the last piece that starts at or before off */
	hi = d->npieces;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->pieces[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = d->pieces[lo].line;
	*col = d->pieces[lo].col + (off - d->pieces[lo].off);
	return 0;
}

static int
json_next(struct reader *r, const char **rec, size_t *len, struct errbuf *eb)
{
	struct json_dec *d = r->priv;

	for (;;) {
		int res = json_scan(r, d, rec, len, eb);

		if (res != 0)
			return res;
		res = reader_fill(r, eb);
		if (res == LINE_AGAIN || res == LINE_ERROR)
			return res;
		if (res == 1)
			continue;
		/* End of input. */
		if (d->in_value) {
			if (d->scalar)
				return finish(r, d, rec, len);
			d->in_value = 0;
			d->in_array = 0; /* one report for both */
			*rec = r->out.data;
			*len = r->out.len;
			errbuf_set(eb, STATUS_REJECT,
				   "unexpected end of input inside a value");
			return LINE_INVALID;
		}
		if (d->in_array) {
			d->in_array = 0;
			buf_reset(&r->out);
			*rec = r->out.data;
			*len = 0;
			r->lineno = (uint64_t)d->opened;
			errbuf_set(eb, STATUS_REJECT,
				   "unexpected end of input: the array "
				   "opened on line %llu is not closed",
				   (unsigned long long)d->opened);
			return LINE_INVALID;
		}
		return LINE_EOF;
	}
}

const struct reader_format format_json = {
	.name = "json",
	.init = json_init,
	.next = json_next,
	.release = json_release,
	.where = json_where,
};
