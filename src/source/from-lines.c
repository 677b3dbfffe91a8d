/*
 * source/from-lines.c -- "--from lines" (-R): every line of the input is
 * one event, a JSON string holding the line without its newline, as jq -R
 * reads text.  Nothing is skipped: an empty line is "", and a CR before
 * the newline stays in the string ("\r"), as jq keeps it.  Bytes that are
 * not UTF-8 are replaced by U+FFFD the way jq replaces them (one U+FFFD
 * for each invalid sequence), so every line becomes an event.
 */
#include <stdlib.h>
#include <string.h>

#include "json/json-text.h"
#include "lib/errbuf.h"
#include "lib/xmalloc.h"
#include "reader.h"

static void
lines_init(struct reader *r)
{
	struct buf *tmp = xmalloc(sizeof *tmp);

	linereader_init(&r->lr, r->read, r->arg, r->max_line);
	buf_init(tmp);
	r->priv = tmp; /* a line with its invalid bytes replaced */
}

static void
lines_release(struct reader *r)
{
	linereader_release(&r->lr);
	if (r->priv) {
		buf_release(r->priv);
		free(r->priv);
		r->priv = NULL;
	}
}

static size_t
lines_mem(const struct reader *r)
{
	const struct buf *tmp = r->priv;

	return tmp ? tmp->cap : 0;
}

static void
lines_trim(struct reader *r)
{
	buf_release(r->priv);
}

/*
 * The length of the valid UTF-8 sequence at p[0..n), or 0 when it is not
 * one; *skip receives how many bytes an invalid one spans (jq's rule: a
 * bad lead byte alone, a lead byte with the continuation bytes that
 * followed it, or a whole overlong, surrogate or too big sequence).
 */
static size_t
utf8_seq(const unsigned char *p, size_t n, size_t *skip)
{
	unsigned c = p[0], cp;
	size_t len, i;

	*skip = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xc0 && c < 0xe0)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c < 0xf0)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c < 0xf8)
		len = 4, cp = c & 0x07;
	else
		return 0; /* a continuation byte, or 0xf8 and up */
	if (len > n) {
		*skip = n;
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*skip = i;
			return 0;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*skip = len;
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp > 0x10ffff)
		return 0;
	return len;
}

/* line as a JSON string in out, invalid UTF-8 replaced by U+FFFD. */
static void
lines_encode(struct buf *out, struct buf *tmp, const char *line, size_t n)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t i = 0, skip, k;

	buf_reset(out);
	for (k = 0; k < n && p[k] < 0x80; k++)
		;
	if (k == n) { /* ASCII: the common case */
		jtext_add_string(out, line, n);
		return;
	}
	buf_reset(tmp);
	while (i < n) {
		size_t len = utf8_seq(p + i, n - i, &skip);

		if (len) {
			buf_add(tmp, line + i, len);
			i += len;
		} else {
			buf_add(tmp, "\xef\xbf\xbd", 3);
			i += skip;
		}
	}
	jtext_add_string(out, tmp->data, tmp->len);
}

static int
lines_next(struct reader *r, const char **rec, size_t *len, struct errbuf *eb)
{
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
	/* The line reader drops a CR before the newline; jq keeps it.  The
	 * CR is still in the read buffer right after the line. */
	if (line + n < r->lr.buf + r->lr.end && line[n] == '\r' &&
	    n < r->max_line)
		n++;
	lines_encode(&r->out, r->priv, line, n);
	*rec = r->out.data;
	*len = r->out.len;
	if (*len > r->max_line) {
		*len = r->max_line;
		return LINE_TOO_LONG;
	}
	return LINE_OK;
}

const struct reader_format format_lines = {
	.name = "lines",
	.init = lines_init,
	.next = lines_next,
	.release = lines_release,
	.mem = lines_mem,
	.trim = lines_trim,
};
