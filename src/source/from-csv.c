/*
 * source/from-csv.c -- "--from csv" (RFC 4180) and "--from tsv": a header row,
 * then one event per row.
 *
 * CSV fields may be quoted ("a, b", "say ""hi"""), and a quoted field may
 * hold line breaks; the record then spans lines, and its line breaks
 * become LF.  TSV fields are never quoted: a field holds no tab or line
 * break, which are written as \t, \n and \r (and a backslash as \\), as
 * Miller and PostgreSQL do.
 *
 * Header names with dots nest ("user.id,user.name" gives
 * {"user":{"id":..,"name":..}}), the reverse of the flattening of --to
 * csv (names 1..k make an array; a field "{}" or "[]" is an empty
 * object or array), unless some name is both a value and an object ("a" beside
 * "a.b") or has an empty part ("a..b"); then every name is kept as it is.  A
 * repeated name gets a suffix (a, a_2, a_3), an empty one its column
 * number.  Each row is built from a template made once from the header:
 * literal JSON text between the field values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "json/json-text.h"
#include "lib/errbuf.h"
#include "reader.h"
#include "lib/xmalloc.h"

struct node {
	char *key;
	size_t klen;
	size_t col; /* leaf: the column; interior: SIZE_MAX */
	struct node *kids, *next, *last, *parent;
};

/* Every node of a header tree by (parent, key): children are found in
 * constant time however many a node has (a header may have a million). */
struct node_set {
	struct node **slot;
	size_t mask, n;
};

/* A row buffer larger than this is given back between records. */
#define CSV_TRIM (256 * 1024)

struct csv_dec {
	int tsv;
	char delim;
	int have_header;
	int inq;      /* inside a quoted field that goes on the next line */
	int skip;     /* skipping the rest of an over-long record */
	size_t raw;   /* bytes of the record read so far */
	struct buf f; /* unescaped field bytes of the row */
	size_t *fo;   /* field offsets into f: field i is f[fo[i]..fo[i+1]) */
	size_t nf, fcap;
	/* The template: lit[i], then field col[i], ...; then lit[ncols]. */
	size_t ncols;
	struct buf lits;
	size_t *lo; /* lit[i] is lits[lo[i]..lo[i+1]) */
	size_t *col;
};

static void
csv_init_common(struct reader *r, int tsv)
{
	struct csv_dec *d = xcalloc(1, sizeof *d);

	d->tsv = tsv;
	d->delim = tsv ? '\t' : ',';
	buf_init(&d->f);
	buf_init(&d->lits);
	r->priv = d;
	linereader_init(&r->lr, r->read, r->arg, r->max_line);
}

static void
csv_init(struct reader *r)
{
	csv_init_common(r, 0);
}

static void
tsv_init(struct reader *r)
{
	csv_init_common(r, 1);
}

static size_t
csv_mem(const struct reader *r)
{
	const struct csv_dec *d = r->priv;

	return d ? d->f.cap + d->lits.cap + d->fcap * sizeof *d->fo : 0;
}

/* Between records, a row's field buffer grown for a long one goes. */
static void
csv_trim(struct reader *r)
{
	struct csv_dec *d = r->priv;

	if (d && !d->inq && d->f.cap > CSV_TRIM)
		buf_release(&d->f);
}

static void
csv_release(struct reader *r)
{
	struct csv_dec *d = r->priv;

	linereader_release(&r->lr);
	if (d == NULL)
		return;
	buf_release(&d->f);
	buf_release(&d->lits);
	free(d->fo);
	free(d->lo);
	free(d->col);
	free(d);
	r->priv = NULL;
}

static void
end_field(struct csv_dec *d)
{
	if (d->nf + 2 > d->fcap) {
		d->fcap = d->fcap ? d->fcap * 2 : 32;
		d->fo = xrealloc(d->fo, d->fcap * sizeof *d->fo);
	}
	d->fo[++d->nf] = d->f.len;
}

static void
row_start(struct csv_dec *d)
{
	buf_reset(&d->f);
	if (d->fcap == 0) {
		d->fcap = 32;
		d->fo = xmalloc(d->fcap * sizeof *d->fo);
	}
	d->fo[0] = 0;
	d->nf = 0;
	d->inq = 0;
}

/*
 * Parse one line of a CSV record into fields: 1 when the record is
 * complete, 0 when a quoted field goes on on the next line, -1 with eb.
 */
static int
csv_parse(struct csv_dec *d, const char *p, size_t len, struct errbuf *eb)
{
	const char *e = p + len, *line = p, *q;

	if (d->inq) {
		buf_addc(&d->f, '\n');
		goto quoted;
	}
	for (;;) {
		if (p < e && *p == '"') {
			p++;
			d->inq = 1;
		quoted:
			for (;;) {
				q = memchr(p, '"', (size_t)(e - p));
				if (q == NULL) {
					buf_add(&d->f, p, (size_t)(e - p));
					return 0;
				}
				buf_add(&d->f, p, (size_t)(q - p));
				p = q + 1;
				if (p < e && *p == '"') {
					buf_addc(&d->f, '"');
					p++;
					continue;
				}
				break;
			}
			d->inq = 0;
			if (p < e && *p != d->delim)
				return errbuf_set(eb, STATUS_REJECT,
						  "unexpected '%c' after the "
						  "closing quote of field %zu "
						  "at column %zu",
						  *p, d->nf + 1,
						  (size_t)(p - line) + 1);
		} else {
			q = memchr(p, d->delim, (size_t)(e - p));
			if (q == NULL)
				q = e;
			if (memchr(p, '"', (size_t)(q - p)) != NULL)
				return errbuf_set(
					eb, STATUS_REJECT,
					"a quote inside field %zu "
					"that is not quoted at "
					"column %zu",
					d->nf + 1,
					(size_t)((const char *)memchr(
							 p, '"',
							 (size_t)(q - p)) -
						 line) +
						1);
			buf_add(&d->f, p, (size_t)(q - p));
			p = q;
		}
		end_field(d);
		if (p == e)
			return 1;
		p++; /* the delimiter */
	}
}

/* TSV: split on tabs, decode \t \n \r \\ (other escapes stay as is). */
static void
tsv_parse(struct csv_dec *d, const char *p, size_t len)
{
	const char *e = p + len;

	for (;;) {
		const char *q = memchr(p, '\t', (size_t)(e - p));

		if (q == NULL)
			q = e;
		while (p < q) {
			const char *b = memchr(p, '\\', (size_t)(q - p));

			if (b == NULL || b + 1 == q) {
				buf_add(&d->f, p, (size_t)(q - p));
				break;
			}
			buf_add(&d->f, p, (size_t)(b - p));
			switch (b[1]) {
			case 't':
				buf_addc(&d->f, '\t');
				break;
			case 'n':
				buf_addc(&d->f, '\n');
				break;
			case 'r':
				buf_addc(&d->f, '\r');
				break;
			case '\\':
				buf_addc(&d->f, '\\');
				break;
			default:
				buf_add(&d->f, b, 2);
			}
			p = b + 2;
		}
		end_field(d);
		if (q == e)
			return;
		p = q + 1;
	}
}

static void
tree_free(struct node *n)
{
	while (n) {
		struct node *next = n->next;

		tree_free(n->kids);
		free(n->key);
		free(n);
		n = next;
	}
}

static size_t
node_hash(const struct node *parent, const char *key, size_t n)
{
	return (size_t)XXH3_64bits_withSeed(key, n,
					    (XXH64_hash_t)(uintptr_t)parent);
}

static void
node_set_put(struct node_set *t, struct node *c)
{
	size_t j = node_hash(c->parent, c->key, c->klen) & t->mask;

	while (t->slot[j] != NULL)
		j = (j + 1) & t->mask;
	t->slot[j] = c;
}

static struct node *
tree_child(struct node_set *t, struct node *parent, const char *key, size_t n)
{
	struct node *c, **old;
	size_t j, oldn;

	for (j = node_hash(parent, key, n) & t->mask; (c = t->slot[j]);
	     j = (j + 1) & t->mask)
		if (c->parent == parent && c->klen == n &&
		    memcmp(c->key, key, n) == 0)
			return c;
	c = xcalloc(1, sizeof *c);
	c->key = xmalloc(n + 1);
	memcpy(c->key, key, n);
	c->key[n] = '\0';
	c->klen = n;
	c->parent = parent;
	c->col = SIZE_MAX;
	if (parent->last)
		parent->last->next = c;
	else
		parent->kids = c;
	parent->last = c;
	if (2 * (t->n + 1) > t->mask) {
		old = t->slot;
		oldn = t->mask + 1;
		t->mask = t->mask * 2 + 1;
		t->slot = xcalloc(t->mask + 1, sizeof *t->slot);
		for (j = 0; j < oldn; j++)
			if (old[j])
				node_set_put(t, old[j]);
		free(old);
	}
	node_set_put(t, c);
	t->n++;
	return c;
}

/* Add a header name to the tree; -1 if it cannot nest. */
static int
tree_add(struct node_set *t, struct node *root, const char *name, size_t len,
	 size_t col)
{
	struct node *n = root;
	const char *p = name, *e = name + len;

	for (;;) {
		const char *dot = memchr(p, '.', (size_t)(e - p));
		const char *end = dot ? dot : e;

		if (end == p || n->col != SIZE_MAX)
			return -1; /* empty part, or below a value */
		n = tree_child(t, n, p, (size_t)(end - p));
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	if (n->col != SIZE_MAX || n->kids)
		return -1;
	n->col = col;
	return 0;
}

static void
lit_end(struct csv_dec *d, size_t col)
{
	d->lo[d->ncols + 1] = d->lits.len;
	d->col[d->ncols++] = col;
}

/* Whether n's children are named 1, 2, ... k in this order. */
static int
is_array(const struct node *n)
{
	const struct node *c;
	char want[32];
	size_t i = 1;

	for (c = n->kids; c; c = c->next, i++) {
		snprintf(want, sizeof want, "%zu", i);
		if (strcmp(c->key, want) != 0)
			return 0;
	}
	return 1;
}

/*
 * Lay the template out from the tree, in first-seen order.  Children
 * named 1..k make an array, the reverse of --to csv's a.1, a.2.
 */
static void
tree_emit(struct csv_dec *d, struct node *n)
{
	struct node *c;
	int arr = n->col == SIZE_MAX && n->key != NULL && is_array(n);

	buf_addc(&d->lits, arr ? '[' : '{');
	for (c = n->kids; c; c = c->next) {
		if (c != n->kids)
			buf_addc(&d->lits, ',');
		if (!arr) {
			jtext_add_string(&d->lits, c->key, strlen(c->key));
			buf_addc(&d->lits, ':');
		}
		if (c->col != SIZE_MAX)
			lit_end(d, c->col);
		else
			tree_emit(d, c);
	}
	buf_addc(&d->lits, arr ? ']' : '}');
}

/*
 * Find names[off, off + len) among the names no[] of the columns in the
 * set (slot[] holds column + 1; open addressing): its column, or SIZE_MAX
 * with *pos the free slot for it.  A set, not a scan of the columns
 * before, so a header of a million (equal) names takes linear time.
 */
static size_t
name_find(const size_t *slot, size_t mask, const struct buf *names,
	  const size_t *no, size_t off, size_t len, size_t *pos)
{
	size_t j = (size_t)XXH3_64bits(names->data + off, len) & mask, c;

	for (; slot[j] != 0; j = (j + 1) & mask) {
		c = slot[j] - 1;
		if (no[c + 1] - no[c] == len &&
		    memcmp(names->data + no[c], names->data + off, len) == 0)
			return c;
	}
	*pos = j;
	return SIZE_MAX;
}

/* The header row is in d->f: make the template. */
static void
make_template(struct csv_dec *d)
{
	size_t i, n = d->nf, c, pos = 0, mask = 1023;
	struct buf names = BUF_INIT;
	size_t *no = xmalloc((n + 1) * sizeof *no);
	unsigned *next = xcalloc(n + 1, sizeof *next);
	size_t *slot;
	struct node root = { NULL, 0, SIZE_MAX, NULL, NULL, NULL, NULL };
	struct node_set nodes = { NULL, 63, 0 };
	int nest = 1;

	while (mask / 2 < n)
		mask = mask * 2 + 1;
	slot = xcalloc(mask + 1, sizeof *slot);
	nodes.slot = xcalloc(nodes.mask + 1, sizeof *nodes.slot);
	/*
	 * Names: empty -> column number, repeated -> NAME_2, NAME_3 (the
	 * smallest suffix not taken; next[] remembers where the last search
	 * for a name stopped, as every suffix below it is still taken).
	 */
	for (i = 0; i < n; i++) {
		const char *s = d->f.data + d->fo[i];
		size_t len = d->fo[i + 1] - d->fo[i], base;
		unsigned k;

		no[i] = names.len;
		if (len == 0) {
			buf_addf(&names, "%zu", i + 1);
		} else {
			buf_add(&names, s, len);
		}
		base = names.len;
		c = name_find(slot, mask, &names, no, no[i], base - no[i],
			      &pos);
		if (c != SIZE_MAX) {
			for (k = next[c] ? next[c] : 2;; k++) {
				names.len = base;
				buf_addf(&names, "_%u", k);
				if (name_find(slot, mask, &names, no, no[i],
					      names.len - no[i],
					      &pos) == SIZE_MAX)
					break;
			}
			next[c] = k + 1;
		}
		slot[pos] = i + 1;
		no[i + 1] = names.len;
	}
	free(slot);
	free(next);
	d->lo = xmalloc((n + 2) * sizeof *d->lo);
	d->col = xmalloc((n + 1) * sizeof *d->col);
	d->lo[0] = 0;
	d->ncols = 0;
	for (i = 0; i < n && nest; i++)
		if (tree_add(&nodes, &root, names.data + no[i],
			     no[i + 1] - no[i], i) == -1)
			nest = 0;
	if (nest) {
		tree_emit(d, &root);
	} else {
		buf_addc(&d->lits, '{');
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addc(&d->lits, ',');
			jtext_add_string(&d->lits, names.data + no[i],
					 no[i + 1] - no[i]);
			buf_addc(&d->lits, ':');
			lit_end(d, i);
		}
		buf_addc(&d->lits, '}');
	}
	/* lits now ends with the closing text: lit[ncols]. */
	tree_free(root.kids);
	free(nodes.slot);
	buf_release(&names);
	free(no);
	d->have_header = 1;
}

/* Build the event for the row in d->f. */
static void
make_event(struct reader *r, struct csv_dec *d)
{
	size_t i;
	struct buf *o = &r->out;

	buf_reset(o);
	for (i = 0; i < d->ncols; i++) {
		size_t c = d->col[i];

		buf_add(o, d->lits.data + d->lo[i], d->lo[i + 1] - d->lo[i]);
		const char *p = d->f.data + d->fo[c];
		size_t n = d->fo[c + 1] - d->fo[c];

		/* "{}" and "[]" are how --to csv writes empty containers. */
		if (n == 2 && ((p[0] == '{' && p[1] == '}') ||
			       (p[0] == '[' && p[1] == ']')))
			buf_add(o, p, 2);
		else
			reader_add_field(o, p, n, r->flags);
	}
	buf_add(o, d->lits.data + d->lo[d->ncols],
		d->lits.len - d->lo[d->ncols]);
}

static int
csv_next(struct reader *r, const char **rec, size_t *len, struct errbuf *eb)
{
	struct csv_dec *d = r->priv;

	for (;;) {
		const char *line;
		size_t n;
		int res = linereader_next(&r->lr, &line, &n, eb), done;

		if (res == LINE_AGAIN || res == LINE_ERROR)
			return res;
		if (res == LINE_EOF) {
			if (!d->inq)
				return LINE_EOF;
			d->inq = 0;
			d->skip = 0;
			*rec = d->f.data;
			*len = d->f.len < r->max_line ? d->f.len : r->max_line;
			return errbuf_set(eb, STATUS_REJECT,
					  "unexpected end of input inside a "
					  "quoted field"),
			       LINE_INVALID;
		}
		if (!d->inq && !d->skip) {
			r->lineno = r->lr.lineno;
			if (n == 0)
				continue; /* blank lines separate nothing */
			row_start(d);
			d->raw = 0;
		}
		d->raw += n + 1;
		if (d->skip) {
			/* The rest of a record reported as too long. */
			if (d->tsv || csv_parse(d, line, n, eb) != 0)
				d->skip = d->inq = 0;
			errbuf_clear(eb);
			buf_reset(&d->f);
			continue;
		}
		if (res == LINE_TOO_LONG) {
			*rec = line;
			*len = n;
			if (!d->tsv && csv_parse(d, line, n, eb) == 0)
				d->skip = 1;
			else
				d->inq = 0;
			errbuf_clear(eb);
			return LINE_TOO_LONG;
		}
		if (d->tsv) {
			tsv_parse(d, line, n);
			done = 1;
		} else {
			done = csv_parse(d, line, n, eb);
		}
		if (done == -1) {
			d->inq = 0;
			*rec = line;
			*len = n;
			return LINE_INVALID;
		}
		if (done == 0) {
			if (d->raw > r->max_line) {
				*rec = d->f.data;
				*len = r->max_line < d->f.len ? r->max_line
							      : d->f.len;
				d->skip = 1;
				return LINE_TOO_LONG;
			}
			continue;
		}
		if (!d->have_header) {
			make_template(d);
			continue;
		}
		if (d->nf != d->ncols) {
			*rec = line;
			*len = n;
			return errbuf_set(eb, STATUS_REJECT,
					  "row has %zu field%s, the header "
					  "has %zu",
					  d->nf, d->nf == 1 ? "" : "s",
					  d->ncols),
			       LINE_INVALID;
		}
		make_event(r, d);
		if (r->out.len > r->max_line) {
			*rec = r->out.data;
			*len = r->max_line;
			return LINE_TOO_LONG;
		}
		*rec = r->out.data;
		*len = r->out.len;
		return LINE_OK;
	}
}

const struct reader_format format_csv = {
	.name = "csv",
	.init = csv_init,
	.next = csv_next,
	.release = csv_release,
	.mem = csv_mem,
	.trim = csv_trim,
};

const struct reader_format format_tsv = {
	.name = "tsv",
	.init = tsv_init,
	.next = csv_next,
	.release = csv_release,
	.mem = csv_mem,
	.trim = csv_trim,
};
