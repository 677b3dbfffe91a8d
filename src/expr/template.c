/*
 * template.c -- compile "{EXPR}" templates once, render them per event
 * (template.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/hash.h"
#include "expr-fast.h"
#include "expr.h"
#include "record.h"
#include "template.h"
#include "lib/xmalloc.h"

/* How much of a part's expression an error message quotes. */
#define TEMPLATE_MSG_MAX 60

struct template_part {
	char *text; /* literal text (NULL for an expression) */
	size_t len;
	struct expr *expr;	/* NULL for text and slots */
	char *src;		/* the expression as written, for messages */
	struct expr_fast *fast; /* its answer from the tape, if possible */
	int slot;		/* 1 + index into the slot names, or 0 */
};

struct template
{
	struct template_part *parts;
	size_t n;
	struct buf scratch;	/* a value being rendered */
	const char *input_name; /* for input_filename without a record */
	const char *input_meta; /* for input_meta without a record */
	size_t input_metalen;
};

static struct template_part *
template_add(struct template *t, const char *text, size_t len, struct expr *x)
{
	struct template_part *p;

	t->parts = xreallocarray(t->parts, t->n + 1, sizeof(*t->parts));
	p = &t->parts[t->n++];
	memset(p, 0, sizeof(*p));
	p->text = text ? xstrndup(text, len) : NULL;
	p->len = len;
	p->expr = x;
	return p;
}

static int
template_fast_enabled(void)
{
	const char *v = getenv("EVPIPE_NO_FAST");

	return v == NULL || *v == '\0';
}

/* The slot named by src[0..len), as 1 + its index, or 0. */
static int
template_slot(const char *const *slots, const char *src, size_t len)
{
	int i;

	for (i = 0; slots && slots[i]; i++)
		if (strlen(slots[i]) == len && memcmp(slots[i], src, len) == 0)
			return i + 1;
	return 0;
}

const char *
template_expr_end(const char *p)
{
	int depth = 0, str = 0;

	for (; *p; p++) {
		if (str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				str = 0;
		} else if (*p == '"') {
			str = 1;
		} else if (*p == '{') {
			depth++;
		} else if (*p == '}' && --depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

/* Offset of the '}' closing the expression whose '{' is s[i - 1], or 0. */
static size_t
template_close(const char *s, size_t i)
{
	const char *e = template_expr_end(s + i - 1);

	return e ? (size_t)(e - s) - 1 : 0;
}

struct template *
template_compile(const char *src, json_t *named_args, struct errbuf *eb)
{
	return template_compile_slots(src, named_args, NULL, eb);
}

struct template *
template_compile_slots(const char *src, json_t *named_args,
		       const char *const *slots, struct errbuf *eb)
{
	int fast = template_fast_enabled();
	struct template *t = xcalloc(1, sizeof(*t));
	struct buf lit = BUF_INIT;
	size_t i = 0;

	while (src[i]) {
		if (src[i] == '{' && src[i + 1] == '{') {
			buf_addc(&lit, '{');
			i += 2;
		} else if (src[i] == '}' && src[i + 1] == '}') {
			buf_addc(&lit, '}');
			i += 2;
		} else if (src[i] == '}') {
			errbuf_set(eb, STATUS_USAGE,
				   "template column %zu: unmatched '}' (write "
				   "}} for a brace)",
				   i + 1);
			goto fail;
		} else if (src[i] == '{') {
			size_t end = template_close(src, i + 1);
			struct template_part *p;
			struct expr *x;
			char *text;
			int slot;

			if (!end) {
				errbuf_set(eb, STATUS_USAGE,
					   "template column %zu: '{' without "
					   "its '}'",
					   i + 1);
				goto fail;
			}
			if (lit.len)
				template_add(t, lit.data, lit.len, NULL);
			buf_reset(&lit);
			slot = template_slot(slots, src + i + 1, end - i - 1);
			if (slot) {
				template_add(t, NULL, 0, NULL)->slot = slot;
				i = end + 1;
				continue;
			}
			text = xstrndup(src + i + 1, end - i - 1);
			x = expr_compile(text, named_args, NULL, eb);
			if (!x) {
				free(text);
				errbuf_prefix(eb, "template column %zu", i + 2);
				goto fail;
			}
			p = template_add(t, NULL, 0, x);
			p->fast = fast ? expr_fast_new(x) : NULL;
			p->src = text;
			i = end + 1;
		} else {
			buf_addc(&lit, src[i++]);
		}
	}
	if (lit.len)
		template_add(t, lit.data, lit.len, NULL);
	buf_release(&lit);
	return t;
fail:
	buf_release(&lit);
	template_free(t);
	return NULL;
}

int
template_is_constant(const struct template *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->parts[i].expr || t->parts[i].slot)
			return 0;
	return 1;
}

int
template_uses_input_meta(const struct template *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->parts[i].expr && expr_uses_input_meta(t->parts[i].expr))
			return 1;
	return 0;
}

size_t
template_fixed_dir(const struct template *t)
{
	size_t i, len = 0, dir = 0;

	for (i = 0; i < t->n && t->parts[i].text; i++) {
		const char *slash =
			memrchr(t->parts[i].text, '/', t->parts[i].len);

		if (slash)
			dir = len + (size_t)(slash - t->parts[i].text) + 1;
		len += t->parts[i].len;
	}
	return dir;
}

void
template_fixed_text(const struct template *t, struct buf *out)
{
	size_t i, want = template_fixed_dir(t), have = 0;

	for (i = 0; i < t->n && t->parts[i].text && have < want; i++) {
		size_t n = t->parts[i].len < want - have ? t->parts[i].len
							 : want - have;

		buf_add(out, t->parts[i].text, n);
		have += n;
	}
}

/* Length of a valid UTF-8 sequence for a letter beyond ASCII, or 0. */
static size_t
template_utf8_ok(const unsigned char *s, size_t len)
{
	size_t n, i;
	unsigned cp;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	/* no overlongs, surrogates, C1 controls, NBSP or line separators */
	if ((n == 2 && cp < 0xA1) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || (cp >= 0xD800 && cp < 0xE000) ||
	    cp > 0x10FFFF || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF ||
	    (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E))
		return 0;
	return n;
}

static int
template_safe_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("-_.,+=@~", c));
}

/*
 * Append value bytes s[0..len) percent-encoded as (part of) a path
 * component.  The encoding is one to one: "%" is always encoded, the
 * empty value is written "_" and the value "_" itself "%5F".
 */
static void
template_sanitize(const char *s, size_t len, int comp_start, struct buf *out)
{
	size_t i = 0;

	if (len == 0) {
		/* an empty value leaves a mark: no ".ndjson" hidden files */
		buf_addc(out, '_');
		return;
	}
	if (len == 1 && s[0] == '_') {
		buf_adds(out, "%5F");
		return;
	}
	/* dots opening a component: no hidden files, no ".." */
	for (; comp_start && i < len && s[i] == '.'; i++)
		buf_adds(out, "%2E");
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n, j;

		if (template_safe_byte(c)) {
			/* a run of safe bytes, added at once */
			for (j = i + 1; j < len; j++)
				if (!template_safe_byte((unsigned char)s[j]))
					break;
			buf_add(out, s + i, j - i);
			i = j;
		} else if (c >= 0x80 &&
			   (n = template_utf8_ok((const unsigned char *)s + i,
						 len - i)) > 0) {
			buf_add(out, s + i, n);
			i += n;
		} else {
			buf_addf(out, "%%%02X", c);
			i++;
		}
	}
}

/*
 * A component longer than TEMPLATE_MAX_COMPONENT bytes (it holds
 * values; from comp to out->len, tail its literal text after the last
 * value) is cut and marked "%~" plus the 32 hex digits of the 128-bit
 * hash of the whole component, then its tail when that is short (the
 * ".ndjson").  Sanitized values never hold "%~", so a cut name is told
 * apart from any name that was not cut, and two long components share
 * a name only if their hashes collide.
 */
static void
template_bound_component(struct buf *out, size_t comp, size_t tail)
{
	size_t len = out->len - comp, taillen = out->len - tail, keep;
	struct hash128 h;
	char mark[2 + 32 + 1];
	char *t = NULL;

	if (len <= TEMPLATE_MAX_COMPONENT)
		return;
	h = hash128(out->data + comp, len);
	snprintf(mark, sizeof mark, "%%~%016llx%016llx",
		 (unsigned long long)h.hi, (unsigned long long)h.lo);
	if (taillen > TEMPLATE_MAX_TAIL)
		taillen = 0;
	if (taillen)
		t = xstrndup(out->data + out->len - taillen, taillen);
	keep = TEMPLATE_MAX_COMPONENT - (sizeof mark - 1) - taillen;
	/* never cut a UTF-8 sequence or a %XX escape */
	while (keep > 0 &&
	       ((unsigned char)out->data[comp + keep] & 0xC0) == 0x80)
		keep--;
	if (keep >= 1 && out->data[comp + keep - 1] == '%')
		keep -= 1;
	else if (keep >= 2 && out->data[comp + keep - 2] == '%')
		keep -= 2;
	out->len = comp + keep;
	buf_adds(out, mark);
	if (t)
		buf_add(out, t, taillen);
	free(t);
}

/*
 * End the component of out that starts at comp (it holds values; tail
 * is where its literal text after the last value starts): "" -> "_",
 * "." -> "%2E", ".." -> "%2E%2E", and no longer than
 * TEMPLATE_MAX_COMPONENT bytes.
 */
static void
template_end_component(struct buf *out, size_t comp, size_t tail)
{
	size_t len = out->len - comp;

	if (len == 0) {
		buf_addc(out, '_');
	} else if (len <= 2 && memcmp(out->data + comp, "..", len) == 0) {
		out->len = comp;
		buf_adds(out, len == 1 ? "%2E" : "%2E%2E");
	} else {
		template_bound_component(out, comp, tail);
	}
}

/*
 * The value of expression part p for the event: the record's tape when
 * the part has a fast plan that gives a plain string or a number there,
 * else the full evaluation on the record's value (rec) or on v.  Strings
 * are (s, len); other scalars are printed into scratch.  0, 1 (nullable
 * and the value is null), or -1 with a STATUS_REJECT error.
 */
static int
template_value(struct template *t, struct template_part *p, json_t *v,
	       struct record *rec, int nullable, struct buf *scratch,
	       const char **s, size_t *len, struct errbuf *eb)
{
	json_t *r;

	buf_reset(scratch);
	if (rec && p->fast && rec->scan && !(rec->flags & RECORD_DIRTY) &&
	    expr_fast_project(p->fast, rec->scan, scratch) == 0 &&
	    scratch->len > 0) {
		const char *d = scratch->data;

		if (d[0] == '"' && scratch->len >= 2 &&
		    memchr(d, '\\', scratch->len) == NULL) {
			*s = d + 1;
			*len = scratch->len - 2;
			return 0;
		}
		if (d[0] != '"' && d[0] != 'n' && d[0] != '[' && d[0] != '{') {
			*s = d;
			*len = scratch->len;
			return 0;
		}
	}
	buf_reset(scratch);
	if (rec && (v = record_json(rec, eb)) == NULL)
		return -1;
	if (expr_uses_input_name(p->expr)) {
		expr_set_input_name(p->expr,
				    rec ? record_input_name(rec)
					: src_input_name(t->input_name));
		expr_set_input_line(p->expr,
				    rec ? record_line_number(rec) : -1);
	}
	if (expr_uses_input_meta(p->expr))
		expr_set_input_meta(p->expr, rec ? rec->meta : t->input_meta,
				    rec ? rec->metalen : t->input_metalen);
	r = expr_single(p->expr, v, eb);
	if (!r)
		return errbuf_prefix(
			eb, "template part {%.*s}%s", TEMPLATE_MSG_MAX, p->src,
			strlen(p->src) > TEMPLATE_MSG_MAX ? "..." : "");
	if (nullable && json_is_null(r)) {
		json_decref(r);
		return 1;
	}
	if (json_is_string(r)) {
		buf_add(scratch, json_string_value(r), json_string_length(r));
	} else if (json_is_integer(r) || json_is_real(r) ||
		   json_is_boolean(r)) {
		expr_dump(r, scratch);
	} else {
		errbuf_set(eb, STATUS_REJECT,
			   "template part {%.*s}%s is %s: it must be a string, "
			   "a number or a boolean",
			   TEMPLATE_MSG_MAX, p->src,
			   strlen(p->src) > TEMPLATE_MSG_MAX ? "..." : "",
			   json_is_null(r)    ? "null"
			   : json_is_array(r) ? "an array"
					      : "an object");
		json_decref(r);
		return -1;
	}
	json_decref(r);
	*s = scratch->data;
	*len = scratch->len;
	return 0;
}

static int
template_render_any(struct template *t, json_t *v, struct record *rec,
		    enum template_mode mode, const char *const *slot_values,
		    struct buf *out, struct errbuf *eb)
{
	size_t i, comp = out->len; /* where the current component starts */
	size_t tail = comp;	   /* and its text after the last value */
	int dirty = 0;		   /* the component holds a value */
	/* one {EXPR} alone may be null (TEMPLATE_NULLABLE) */
	int nullable = mode == TEMPLATE_NULLABLE && t->n == 1, r;

	for (i = 0; i < t->n; i++) {
		struct template_part *p = &t->parts[i];
		const char *s = "";
		size_t len = 0;

		if (p->text) {
			size_t k;

			if (mode != TEMPLATE_PATH ||
			    memchr(p->text, '/', p->len) == NULL) {
				buf_add(out, p->text, p->len);
				continue;
			}
			for (k = 0; k < p->len; k++) {
				if (p->text[k] == '/' &&
				    mode == TEMPLATE_PATH) {
					if (dirty)
						template_end_component(
							out, comp, tail);
					dirty = 0;
					buf_addc(out, '/');
					comp = tail = out->len;
				} else {
					buf_addc(out, p->text[k]);
				}
			}
			continue;
		}
		if (p->slot) {
			s = slot_values ? slot_values[p->slot - 1] : "";
			len = strlen(s);
		} else if ((r = template_value(t, p, v, rec, nullable,
					       &t->scratch, &s, &len, eb)) !=
			   0) {
			return r;
		}
		if (mode == TEMPLATE_PATH) {
			template_sanitize(s, len, out->len == comp, out);
			tail = out->len;
			dirty = 1;
		} else {
			buf_add(out, s, len);
		}
	}
	if (mode == TEMPLATE_PATH && dirty)
		template_end_component(out, comp, tail);
	return 0;
}

int
template_render(struct template *t, json_t *v, enum template_mode mode,
		struct buf *out, struct errbuf *eb)
{
	return template_render_any(t, v, NULL, mode, NULL, out, eb);
}

int
template_render_record(struct template *t, struct record *rec,
		       enum template_mode mode, const char *const *slot_values,
		       struct buf *out, struct errbuf *eb)
{
	return template_render_any(t, NULL, rec, mode, slot_values, out, eb);
}

void
template_set_input_name(struct template *t, const char *src)
{
	t->input_name = src;
}

void
template_set_input_meta(struct template *t, const char *meta, size_t len)
{
	t->input_meta = meta;
	t->input_metalen = len;
}

void
template_free(struct template *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->parts[i].text);
		free(t->parts[i].src);
		expr_fast_free(t->parts[i].fast);
		expr_free(t->parts[i].expr);
	}
	free(t->parts);
	buf_release(&t->scratch);
	free(t);
}
