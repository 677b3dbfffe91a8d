/*
 * source/from-jsonseq.c -- "--from json-seq": RFC 7464 JSON text sequences.
 * Each record is RS (0x1E), a JSON text, LF; it is handed out compacted.
 *
 * A record is complete at the next RS, or at the end of the input; on a
 * live input (a client, a followed file) that pauses right after a
 * record ended by LF whose brackets and strings are all closed, it is
 * handed out at once rather than when the next record begins.
 *
 * Recovery: a record that is not JSON is one reject (the scanner says
 * why) and reading goes on at the next RS, as section 2.3 of the RFC asks.
 * A record that is a bare number, true, false or null and does not end
 * with LF may have been truncated (section 2.4): it is rejected, not
 * guessed at.  Consecutive RS bytes and whitespace-only records are
 * skipped; bytes before the first RS are a reject.
 */
#include <stdlib.h>
#include <string.h>

#include "json/json-text.h"
#include "lib/errbuf.h"
#include "reader.h"
#include "lib/xmalloc.h"

#define RS 0x1e

struct seq_dec {
	int started;  /* the first RS was seen */
	int in_rec;   /* bytes of a record are being collected */
	int in_str;   /* jtext_compact's state */
	int too_long; /* the record went past max_line */
	int lf_last;  /* the last byte that is not blank was LF */
	int restart;  /* a record starts at the next call */
	size_t raw;   /* raw bytes in the record (for the garbage check) */
};

static void
seq_init(struct reader *r)
{
	r->priv = xcalloc(1, sizeof(struct seq_dec));
}

static void
seq_release(struct reader *r)
{
	free(r->priv);
	r->priv = NULL;
}

/* Add raw record bytes p[0..n). */
static void
seq_add(struct reader *r, struct seq_dec *d, const char *p, size_t n)
{
	const char *q;

	for (q = p; (q = memchr(q, '\n', (size_t)(p + n - q))) != NULL; q++)
		r->line++;
	for (q = p + n; q > p; q--)
		if (q[-1] != ' ' && q[-1] != '\t' && q[-1] != '\r') {
			d->lf_last = q[-1] == '\n';
			break;
		}
	d->raw += n;
	if (d->too_long)
		return;
	jtext_compact(&r->out, p, n, &d->in_str);
	if (r->out.len > r->max_line) {
		r->out.len = r->max_line;
		r->out.data[r->out.len] = '\0';
		d->too_long = 1;
	}
}

/* The record collected so far is complete: 1 to hand it out, 0 to skip. */
static int
seq_end(struct reader *r, struct seq_dec *d, const char **rec, size_t *len,
	struct errbuf *eb, int *res)
{
	int first = r->out.len ? (unsigned char)r->out.data[0] : 0;

	d->in_rec = 0;
	*rec = r->out.data;
	*len = r->out.len;
	if (!d->started) {
		d->started = 1;
		if (r->out.len == 0)
			return 0;
		errbuf_set(eb, STATUS_REJECT,
			   "data before the first record separator (RS)");
		*res = LINE_INVALID;
		return 1;
	}
	if (r->out.len == 0)
		return 0;
	if (d->too_long) {
		*res = LINE_TOO_LONG;
		return 1;
	}
	if (!d->lf_last && first != '{' && first != '[' && first != '"') {
		errbuf_set(eb, STATUS_REJECT,
			   "record not ended by a newline: it may have been "
			   "truncated");
		*res = LINE_INVALID;
		return 1;
	}
	*res = LINE_OK;
	return 1;
}

/*
 * Whether the compacted record is one whole value (brackets closed, no
 * string open): a live input that went quiet after it is not waited on
 * for the next RS.
 */
static int
seq_whole(const struct reader *r, const struct seq_dec *d)
{
	const char *p = r->out.data, *e = p + r->out.len;
	int depth = 0;

	if (!d->lf_last || d->in_str != 0 || d->too_long || r->out.len == 0)
		return 0;
	for (; p < e; p++) {
		if (*p == '"') {
			for (p++; p < e && *p != '"'; p++)
				if (*p == '\\')
					p++;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth < 0)
				return 1; /* not JSON: the scanner says so */
		}
	}
	return depth == 0;
}

static void
seq_start(struct reader *r, struct seq_dec *d)
{
	buf_reset(&r->out);
	d->in_rec = 1;
	d->in_str = 0;
	d->too_long = 0;
	d->lf_last = 0;
	d->raw = 0;
	r->lineno = r->line;
}

static int
seq_next(struct reader *r, const char **rec, size_t *len, struct errbuf *eb)
{
	struct seq_dec *d = r->priv;
	int res;

	if (d->restart) {
		d->restart = 0;
		seq_start(r, d);
	}
	for (;;) {
		const char *p = r->buf ? r->buf + r->off : NULL;
		size_t n = r->end - r->off;
		const char *rs = n ? memchr(p, RS, n) : NULL;

		if (!d->in_rec && !d->started)
			seq_start(r, d);
		if (rs != NULL) {
			if (d->in_rec)
				seq_add(r, d, p, (size_t)(rs - p));
			r->off = (size_t)(rs - r->buf) + 1;
			if (d->in_rec && seq_end(r, d, rec, len, eb, &res)) {
				/* The next record starts with the next call:
				 * this one is handed out from r->out. */
				d->restart = 1;
				return res;
			}
			seq_start(r, d);
			d->started = 1;
			continue;
		}
		if (n > 0) {
			if (d->in_rec)
				seq_add(r, d, p, n);
			r->off = r->end;
		}
		res = reader_fill(r, eb);
		if (res == LINE_AGAIN && d->in_rec && d->started &&
		    seq_whole(r, d) && seq_end(r, d, rec, len, eb, &res)) {
			/* A client or a followed file paused after a whole
			 * record ended by LF: hand it out now; what comes
			 * before the next RS is blank or a reject. */
			d->restart = 1;
			return res;
		}
		if (res == LINE_AGAIN || res == LINE_ERROR)
			return res;
		if (res == 1)
			continue;
		if (d->in_rec && seq_end(r, d, rec, len, eb, &res))
			return res;
		return LINE_EOF;
	}
}

const struct reader_format format_jsonseq = {
	.name = "json-seq",
	.init = seq_init,
	.next = seq_next,
	.release = seq_release,
};
