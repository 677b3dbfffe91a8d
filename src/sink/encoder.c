/*
 * sink/encoder.c -- the output formats of --to (see encoder.h).
 *
 * CSV and TSV read each event through the JSON scanner's tape, so numbers
 * and strings are written exactly as they came (a 30-digit integer stays
 * 30 digits).  A mature CSV file has one header, and rewriting it later
 * is impossible on a stream, so the columns are fixed before the first
 * row: by --fields, or as the union of the keys of the first
 * CSV_HOLD_EVENTS events (or CSV_HOLD_BYTES of them, or all of them if
 * fewer), which are held until then.  A later event with another key is
 * rejected; with --fields, the other keys are left out (a projection).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json-text.h"
#include "lib/buf.h"
#include "encoder.h"
#include "lib/errbuf.h"
#include "target.h"
#include "json/json-scan.h"
#include "record.h"
#include "lib/xmalloc.h"

#define CSV_HOLD_EVENTS 1000
#define CSV_HOLD_BYTES	(8u << 20)

const char *const out_format_names[] = {
	"ndjson", "json", "json-seq", "csv", "tsv", "pretty", NULL,
};

struct encoder {
	int format;
	unsigned flags; /* ENC_* */
	struct sink *s;
	uint64_t n; /* events written */
	struct buf b;
	/* csv, tsv */
	char delim;
	struct jscan scan;
	struct buf scratch, key;
	int have_header;  /* the columns are fixed */
	int header_out;	  /* the header row was written */
	int fixed;	  /* by --fields */
	struct buf held;  /* events held until the columns are fixed */
	size_t *held_end; /* event i is held[held_end[i-1]..held_end[i]) */
	size_t nheld, heldcap;
	struct buf names; /* the header names, back to back */
	size_t *no;	  /* name i is names[no[i]..no[i+1]) */
	size_t ncols, colcap;
	size_t *vo, *vl;     /* this row: value of column i in vals */
	unsigned char *vset; /* this row: column i has a value */
	struct buf vals;
	size_t hint;   /* where the next key is likely to be */
	char *missing; /* a field not in the header */
};

struct encoder *
encoder_new(int format, struct sink *s, unsigned flags)
{
	struct encoder *e;

	if (format == TO_NDJSON && flags == 0)
		return NULL;
	e = xcalloc(1, sizeof *e);
	e->format = format;
	e->flags = flags & ENC_JOIN ? flags | ENC_RAW : flags;
	e->s = s;
	e->delim = format == TO_TSV ? '\t' : ',';
	buf_init(&e->b);
	buf_init(&e->scratch);
	buf_init(&e->key);
	buf_init(&e->names);
	buf_init(&e->vals);
	buf_init(&e->held);
	jscan_init(&e->scan);
	return e;
}

void
encoder_free(struct encoder *e)
{
	if (e == NULL)
		return;
	buf_release(&e->b);
	buf_release(&e->scratch);
	buf_release(&e->key);
	buf_release(&e->names);
	buf_release(&e->vals);
	buf_release(&e->held);
	free(e->held_end);
	jscan_release(&e->scan);
	free(e->no);
	free(e->vo);
	free(e->vl);
	free(e->vset);
	free(e->missing);
	free(e);
}

/* ---- colour (-C) -------------------------------------------------------- */

/*
 * jq 1.7.1's colours: null, false, true, numbers, strings, arrays,
 * objects, object keys; each an SGR sequence without ESC [ and m.
 */
enum {
	COL_NULL,
	COL_FALSE,
	COL_TRUE,
	COL_NUM,
	COL_STR,
	COL_ARR,
	COL_OBJ,
	COL_KEY,
	NCOLORS
};
#define COLOR_MAX 16 /* bytes of one sequence, as jq allows */

static char colors[NCOLORS][COLOR_MAX + 4] = {
	"\033[0;90m", "\033[0;37m", "\033[0;37m", "\033[0;37m",
	"\033[0;32m", "\033[1;37m", "\033[1;37m", "\033[34;1m",
};
#define RESET "\033[0m"

int
encoder_set_colors(const char *spec, struct errbuf *eb)
{
	char parsed[NCOLORS][COLOR_MAX + 4];
	const char *p = spec;
	size_t i, n;

	memcpy(parsed, colors, sizeof parsed);
	for (i = 0; i < NCOLORS && *p; i++) {
		for (n = 0; p[n] && p[n] != ':'; n++)
			if (!(p[n] >= '0' && p[n] <= '9') && p[n] != ';')
				return errbuf_set(eb, STATUS_USAGE,
						  "JQ_COLORS: '%c' in colour "
						  "%zu: only digits and ';' "
						  "are allowed",
						  p[n], i + 1);
		if (n > COLOR_MAX)
			return errbuf_set(eb, STATUS_USAGE,
					  "JQ_COLORS: colour %zu is longer "
					  "than %d bytes",
					  i + 1, COLOR_MAX);
		snprintf(parsed[i], sizeof parsed[i], "\033[%.*sm", (int)n, p);
		p += n;
		if (*p == ':')
			p++;
	}
	if (*p)
		return errbuf_set(eb, STATUS_USAGE,
				  "JQ_COLORS: more than %d colours", NCOLORS);
	memcpy(colors, parsed, sizeof colors);
	return 0;
}

static void
color_indent(struct buf *o, int pretty, int depth)
{
	if (!pretty)
		return;
	buf_addc(o, '\n');
	while (depth-- > 0)
		buf_add(o, "  ", 2);
}

/*
 * v as JSON with colours, laid out as jq 1.7.1 does with -C (compact, or
 * indented by two spaces when pretty): each value in its colour then a
 * reset; the punctuation of a container in the container's colour.
 * Strings and numbers are copied as they came.
 */
static void
color_value(struct encoder *e, struct jscan_val v, int pretty, int depth)
{
	struct buf *o = &e->b;
	struct jscan_iter it;
	struct jscan_val k, x;
	const char *col, *p;
	size_t n;
	int first = 1;

	switch (jscan_type(v)) {
	case JSCAN_NULL:
		col = colors[COL_NULL];
		break;
	case JSCAN_BOOL:
		col = colors[jscan_bool(v) ? COL_TRUE : COL_FALSE];
		break;
	case JSCAN_NUMBER:
		col = colors[COL_NUM];
		break;
	case JSCAN_STRING:
		col = colors[COL_STR];
		break;
	case JSCAN_ARRAY:
		col = colors[COL_ARR];
		buf_adds(o, col);
		if (jscan_count(v) == 0) {
			buf_add(o, "[]", 2);
			buf_adds(o, RESET);
			return;
		}
		buf_addc(o, '[');
		jscan_iter_init(&it, v);
		while (jscan_iter_next(&it, NULL, &x)) {
			if (!first)
				buf_addc(o, ',');
			first = 0;
			color_indent(o, pretty, depth + 1);
			color_value(e, x, pretty, depth + 1);
			buf_adds(o, col);
		}
		color_indent(o, pretty, depth);
		buf_adds(o, col);
		buf_addc(o, ']');
		buf_adds(o, RESET);
		return;
	case JSCAN_OBJECT:
		col = colors[COL_OBJ];
		buf_adds(o, col);
		if (jscan_count(v) == 0) {
			buf_add(o, "{}", 2);
			buf_adds(o, RESET);
			return;
		}
		buf_addc(o, '{');
		jscan_iter_init(&it, v);
		while (jscan_iter_next(&it, &k, &x)) {
			if (!first)
				buf_addc(o, ',');
			first = 0;
			color_indent(o, pretty, depth + 1);
			buf_adds(o, RESET);
			buf_adds(o, colors[COL_KEY]);
			p = jscan_raw(k, &n);
			buf_add(o, p, n);
			buf_adds(o, RESET);
			buf_adds(o, col);
			buf_add(o, pretty ? ": " : ":", pretty ? 2 : 1);
			buf_adds(o, RESET);
			color_value(e, x, pretty, depth + 1);
			buf_adds(o, col);
		}
		color_indent(o, pretty, depth);
		buf_adds(o, col);
		buf_addc(o, '}');
		buf_adds(o, RESET);
		return;
	default:
		BUG("json type %d", (int)jscan_type(v));
	}
	p = jscan_raw(v, &n);
	buf_adds(o, col);
	buf_add(o, p, n);
	buf_adds(o, RESET);
}

/* ---- ndjson and pretty with -r, -j, -C ---------------------------------- */

/* Whether the JSON text p[0..n) starts with a string. */
static int
starts_string(const char *p, size_t n)
{
	while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++, n--;
	return n > 0 && *p == '"';
}

static int
text_write(struct encoder *e, struct record *rec, struct errbuf *eb)
{
	const char *bytes, *p;
	size_t len, n;
	int pretty = e->format == TO_PRETTY;

	bytes = record_bytes(rec, &len);
	p = bytes;
	n = len;
	buf_reset(&e->b);
	if ((e->flags & ENC_RAW) && starts_string(bytes, len)) {
		if (jscan_parse(&e->scan, bytes, len, eb) == -1)
			return -1;
		p = jscan_str(jscan_root(&e->scan), &e->scratch, &n);
	} else if (e->flags & ENC_COLOR) {
		if (jscan_parse(&e->scan, bytes, len, eb) == -1)
			return -1;
		color_value(e, jscan_root(&e->scan), pretty, 0);
		p = e->b.data;
		n = e->b.len;
	} else if (pretty) {
		jtext_pretty(&e->b, bytes, len);
		p = e->b.data;
		n = e->b.len;
	}
	if (!(e->flags & ENC_JOIN))
		return sink_write(e->s, p, n, eb);
	if (sink_put(e->s, p, n, eb) == -1)
		return -1;
	e->s->events++;
	return e->s->line_buffered ? sink_flush(e->s, eb) : 0;
}

/* ---- csv, tsv ----------------------------------------------------------- */

/* Append one CSV/TSV field. */
static void
add_cell(struct encoder *e, struct buf *out, const char *p, size_t n)
{
	size_t i;

	if (e->format == TO_TSV) {
		for (i = 0; i < n; i++)
			switch (p[i]) {
			case '\t':
				buf_add(out, "\\t", 2);
				break;
			case '\n':
				buf_add(out, "\\n", 2);
				break;
			case '\r':
				buf_add(out, "\\r", 2);
				break;
			case '\\':
				buf_add(out, "\\\\", 2);
				break;
			default:
				buf_addc(out, p[i]);
			}
		return;
	}
	for (i = 0; i < n; i++)
		if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r')
			break;
	if (i == n) {
		buf_add(out, p, n);
		return;
	}
	buf_addc(out, '"');
	for (i = 0; i < n; i++) {
		if (p[i] == '"')
			buf_addc(out, '"');
		buf_addc(out, p[i]);
	}
	buf_addc(out, '"');
}

static void
cols_room(struct encoder *e)
{
	if (e->ncols + 2 <= e->colcap)
		return;
	e->colcap = e->colcap ? e->colcap * 2 : 32;
	e->no = xrealloc(e->no, e->colcap * sizeof *e->no);
	e->vo = xrealloc(e->vo, e->colcap * sizeof *e->vo);
	e->vl = xrealloc(e->vl, e->colcap * sizeof *e->vl);
	e->vset = xrealloc(e->vset, e->colcap);
}

/* The column of the flattened key in e->key, or SIZE_MAX. */
static size_t
find_col(struct encoder *e)
{
	size_t i, k = e->key.len;

	for (i = 0; i < e->ncols; i++) {
		size_t c = (e->hint + i) % e->ncols;

		if (e->no[c + 1] - e->no[c] == k &&
		    memcmp(e->names.data + e->no[c], e->key.data, k) == 0) {
			e->hint = c + 1 == e->ncols ? 0 : c + 1;
			return c;
		}
	}
	return SIZE_MAX;
}

/* One leaf: its text, unquoted. */
static void
leaf(struct encoder *e, struct jscan_val v)
{
	size_t col, n;
	const char *p;

	if (!e->have_header) {
		cols_room(e);
		col = find_col(e);
		if (col == SIZE_MAX) {
			if (e->ncols == 0)
				e->no[0] = 0;
			buf_add(&e->names, e->key.data, e->key.len);
			col = e->ncols++;
			e->no[e->ncols] = e->names.len;
			e->vset[col] = 0;
		}
	} else {
		col = find_col(e);
		if (col == SIZE_MAX && e->fixed)
			return; /* --fields chose the columns: a projection */
		if (col == SIZE_MAX) {
			if (e->missing == NULL)
				e->missing = xstrdup(e->key.data);
			return;
		}
	}
	switch (jscan_type(v)) {
	case JSCAN_STRING:
		p = jscan_str(v, &e->scratch, &n);
		break;
	case JSCAN_NULL:
		p = "";
		n = 0;
		break;
	case JSCAN_ARRAY:
		p = "[]";
		n = 2;
		break;
	case JSCAN_OBJECT:
		p = "{}";
		n = 2;
		break;
	default:
		p = jscan_raw(v, &n);
	}
	e->vo[col] = e->vals.len;
	e->vl[col] = n;
	e->vset[col] = 1;
	buf_add(&e->vals, p, n);
}

static void
flatten(struct encoder *e, struct jscan_val v)
{
	struct jscan_iter it;
	struct jscan_val k, x;
	size_t mark = e->key.len, i = 0;
	enum jscan_type t = jscan_type(v);

	if ((t != JSCAN_OBJECT && t != JSCAN_ARRAY) || jscan_count(v) == 0) {
		leaf(e, v);
		return;
	}
	jscan_iter_init(&it, v);
	while (jscan_iter_next(&it, &k, &x)) {
		e->key.len = mark;
		if (mark > 0)
			buf_addc(&e->key, '.');
		if (t == JSCAN_OBJECT) {
			size_t n;
			const char *s = jscan_str(k, &e->scratch, &n);

			buf_add(&e->key, s, n);
		} else {
			buf_addf(&e->key, "%zu", ++i);
		}
		flatten(e, x);
	}
	e->key.len = mark;
	if (e->key.data)
		e->key.data[mark] = '\0';
}

/*
 * Parse an event and flatten it into this row's values (and, while the
 * columns are open, into new columns).  0, or -1 with STATUS_REJECT.
 */
static int
csv_flatten(struct encoder *e, const char *bytes, size_t len, struct errbuf *eb)
{
	struct jscan_val root;
	size_t i;

	if (jscan_parse(&e->scan, bytes, len, eb) == -1)
		return -1;
	root = jscan_root(&e->scan);
	if (jscan_type(root) != JSCAN_OBJECT)
		return errbuf_set(eb, STATUS_REJECT,
				  "--to %s needs an object, not %s",
				  out_format_names[e->format],
				  jscan_type_name(jscan_type(root)));
	if (jscan_count(root) == 0)
		return errbuf_set(eb, STATUS_REJECT,
				  "--to %s: an empty object has no fields",
				  out_format_names[e->format]);
	buf_reset(&e->vals);
	buf_reset(&e->key);
	cols_room(e);
	for (i = 0; i < e->ncols; i++)
		e->vset[i] = 0;
	free(e->missing);
	e->missing = NULL;
	e->hint = 0;
	flatten(e, root);
	if (e->missing)
		return errbuf_set(eb, STATUS_REJECT,
				  "field '%s' is not a column of the %s "
				  "header (the keys of the first %u events; "
				  "--fields names the columns)",
				  e->missing, out_format_names[e->format],
				  (unsigned)CSV_HOLD_EVENTS);
	return 0;
}

/* Write one row (the header first): the columns are fixed. */
static int
csv_row(struct encoder *e, const char *bytes, size_t len, struct errbuf *eb)
{
	size_t i;

	if (csv_flatten(e, bytes, len, eb) == -1)
		return -1;
	buf_reset(&e->b);
	if (!e->header_out) {
		e->header_out = 1;
		for (i = 0; i < e->ncols; i++) {
			if (i > 0)
				buf_addc(&e->b, e->delim);
			add_cell(e, &e->b, e->names.data + e->no[i],
				 e->no[i + 1] - e->no[i]);
		}
		buf_addc(&e->b, '\n');
		if (sink_put(e->s, e->b.data, e->b.len, eb) == -1)
			return -1;
		buf_reset(&e->b);
	}
	for (i = 0; i < e->ncols; i++) {
		if (i > 0)
			buf_addc(&e->b, e->delim);
		if (e->vset[i])
			add_cell(e, &e->b, e->vals.data + e->vo[i], e->vl[i]);
	}
	return sink_write(e->s, e->b.data, e->b.len, eb);
}

/* Fix the columns and write the events held so far. */
static int
csv_release(struct encoder *e, struct errbuf *eb)
{
	size_t i, from = 0;
	int r = 0;

	e->have_header = 1;
	for (i = 0; i < e->nheld && r == 0; i++) {
		/* every key of a held event is a column: no rejects */
		r = csv_row(e, e->held.data + from, e->held_end[i] - from, eb);
		from = e->held_end[i];
	}
	buf_release(&e->held);
	buf_init(&e->held);
	free(e->held_end);
	e->held_end = NULL;
	e->nheld = e->heldcap = 0;
	return r;
}

static int
csv_write(struct encoder *e, struct record *rec, struct errbuf *eb)
{
	const char *bytes;
	size_t len;

	bytes = record_bytes(rec, &len);
	if (e->have_header)
		return csv_row(e, bytes, len, eb);
	/* Its keys join the columns; the event waits for them to be fixed. */
	if (csv_flatten(e, bytes, len, eb) == -1)
		return -1;
	if (e->nheld == e->heldcap) {
		e->heldcap = e->heldcap ? e->heldcap * 2 : 64;
		e->held_end = xreallocarray(e->held_end, e->heldcap,
					    sizeof *e->held_end);
	}
	buf_add(&e->held, bytes, len);
	e->held_end[e->nheld++] = e->held.len;
	if (e->nheld >= CSV_HOLD_EVENTS || e->held.len >= CSV_HOLD_BYTES)
		return csv_release(e, eb);
	return 0;
}

int
encoder_set_fields(struct encoder *e, const char *list, struct errbuf *eb)
{
	const char *p = list, *comma;

	if (e == NULL || (e->format != TO_CSV && e->format != TO_TSV))
		return errbuf_set(eb, STATUS_USAGE,
				  "--fields is for --to csv and --to tsv");
	for (;;) {
		size_t n;

		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 0)
			return errbuf_set(eb, STATUS_USAGE,
					  "--fields '%s': an empty field name",
					  list);
		buf_reset(&e->key);
		buf_add(&e->key, p, n);
		cols_room(e);
		if (find_col(e) != SIZE_MAX)
			return errbuf_set(
				eb, STATUS_USAGE,
				"--fields '%s': '%.*s' is given twice", list,
				(int)n, p);
		if (e->ncols == 0)
			e->no[0] = 0;
		buf_add(&e->names, p, n);
		e->ncols++;
		e->no[e->ncols] = e->names.len;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	e->fixed = 1;
	e->have_header = 1;
	return 0;
}

/* ---- the entry points --------------------------------------------------- */

int
encoder_write(struct encoder *e, struct record *rec, struct errbuf *eb)
{
	const char *bytes;
	size_t len;

	if (e->format == TO_NDJSON || (e->flags && e->format == TO_PRETTY))
		return text_write(e, rec, eb);
	switch (e->format) {
	case TO_CSV:
	case TO_TSV:
		return csv_write(e, rec, eb);
	case TO_JSON:
		bytes = record_bytes(rec, &len);
		if (sink_put(e->s, e->n ? ",\n" : "[\n", 2, eb) == -1)
			return -1;
		e->n++;
		/* The newline comes with the next element or the "]". */
		if (sink_put(e->s, bytes, len, eb) == -1)
			return -1;
		e->s->events++;
		return e->s->line_buffered ? sink_flush(e->s, eb) : 0;
	case TO_JSONSEQ:
		bytes = record_bytes(rec, &len);
		if (sink_put(e->s, "\x1e", 1, eb) == -1)
			return -1;
		return sink_write(e->s, bytes, len, eb);
	case TO_PRETTY:
		bytes = record_bytes(rec, &len);
		buf_reset(&e->b);
		jtext_pretty(&e->b, bytes, len);
		return sink_write(e->s, e->b.data, e->b.len, eb);
	}
	BUG("output format %d", e->format);
}

int
encoder_finish(struct encoder *e, struct errbuf *eb)
{
	if (e && (e->format == TO_CSV || e->format == TO_TSV) &&
	    !e->have_header)
		return csv_release(e, eb);
	if (e == NULL || e->format != TO_JSON)
		return 0;
	if (e->n == 0)
		return sink_put(e->s, "[]\n", 3, eb);
	return sink_put(e->s, "\n]\n", 3, eb);
}
