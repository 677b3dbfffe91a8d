/*
 * template.c -- compile "{EXPR}" templates once, render them per event
 * (template.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errbuf.h"
#include "expr.h"
#include "template.h"
#include "xmalloc.h"

struct template_part {
	char *text; /* literal text (NULL for an expression) */
	size_t len;
	struct expr *expr; /* NULL for text */
};

struct template
{
	struct template_part *parts;
	size_t n;
};

static void
template_add(struct template *t, const char *text, size_t len, struct expr *x)
{
	t->parts = xreallocarray(t->parts, t->n + 1, sizeof(*t->parts));
	t->parts[t->n].text = text ? xstrndup(text, len) : NULL;
	t->parts[t->n].len = len;
	t->parts[t->n].expr = x;
	t->n++;
}

/* Offset of the '}' closing the expression starting at s[i], or 0. */
static size_t
template_close(const char *s, size_t i)
{
	int depth = 0, instr = 0;

	for (; s[i]; i++) {
		if (instr) {
			if (s[i] == '\\' && s[i + 1])
				i++;
			else if (s[i] == '"')
				instr = 0;
			continue;
		}
		if (s[i] == '"')
			instr = 1;
		else if (s[i] == '{')
			depth++;
		else if (s[i] == '}' && depth-- == 0)
			return i;
	}
	return 0;
}

struct template *
template_compile(const char *src, json_t *named_args, struct errbuf *eb)
{
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
			struct expr *x;
			char *text;

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
			text = xstrndup(src + i + 1, end - i - 1);
			x = expr_compile(text, named_args, NULL, eb);
			free(text);
			if (!x) {
				errbuf_prefix(eb, "template column %zu", i + 2);
				goto fail;
			}
			template_add(t, NULL, 0, x);
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
		if (t->parts[i].expr)
			return 0;
	return 1;
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

/* Append value bytes s[0..len) percent-encoded as a path segment. */
static void
template_sanitize(const char *s, size_t len, struct buf *out)
{
	static const char safe[] = "-_.,+=@~";
	size_t i = 0, start = out->len;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		if (out->len - start >= TEMPLATE_MAX_VALUE)
			break;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c && strchr(safe, c))) {
			buf_addc(out, (char)c);
			i++;
		} else if (c >= 0x80 &&
			   (n = template_utf8_ok((const unsigned char *)s + i,
						 len - i)) > 0) {
			if (out->len - start + n > TEMPLATE_MAX_VALUE)
				break;
			buf_add(out, s + i, n);
			i += n;
		} else {
			if (out->len - start + 3 > TEMPLATE_MAX_VALUE)
				break;
			buf_addf(out, "%%%02X", c);
			i++;
		}
	}
}

/*
 * Fix the component of out that ends at out->len and starts after the
 * last '/' at or after from: "" -> "_", "." -> "%2E", ".." -> "%2E%2E".
 */
static void
template_fix_component(struct buf *out, size_t comp)
{
	size_t len = out->len - comp;

	if (len == 0) {
		buf_addc(out, '_');
	} else if (len <= 2 && memcmp(out->data + comp, "..", len) == 0) {
		out->len = comp;
		buf_adds(out, len == 1 ? "%2E" : "%2E%2E");
	}
}

int
template_render(struct template *t, json_t *v, enum template_mode mode,
		struct buf *out, struct errbuf *eb)
{
	size_t i, comp = out->len; /* where the current component starts */
	int dirty = 0;		   /* the component holds a value */

	for (i = 0; i < t->n; i++) {
		struct template_part *p = &t->parts[i];
		json_t *r;
		struct buf b = BUF_INIT;
		const char *s;
		size_t len;

		if (!p->expr) {
			size_t k;

			for (k = 0; k < p->len; k++) {
				if (p->text[k] == '/' &&
				    mode == TEMPLATE_PATH) {
					if (dirty)
						template_fix_component(out,
								       comp);
					dirty = 0;
					buf_addc(out, '/');
					comp = out->len;
				} else {
					buf_addc(out, p->text[k]);
				}
			}
			continue;
		}
		r = expr_single(p->expr, v, eb);
		if (!r)
			return errbuf_prefix(eb, "template part %zu", i + 1);
		if (json_is_string(r)) {
			s = json_string_value(r);
			len = json_string_length(r);
		} else if (json_is_integer(r) || json_is_real(r) ||
			   json_is_boolean(r)) {
			expr_dump(r, &b);
			s = b.data;
			len = b.len;
		} else {
			json_decref(r);
			return errbuf_set(eb, STATUS_REJECT,
					  "template part %zu: %s is not a "
					  "string or number",
					  i + 1,
					  json_is_null(r)    ? "null"
					  : json_is_array(r) ? "an array"
							     : "an object");
		}
		if (mode == TEMPLATE_PATH) {
			template_sanitize(s, len, out);
			dirty = 1;
		} else {
			buf_add(out, s, len);
		}
		buf_release(&b);
		json_decref(r);
	}
	if (mode == TEMPLATE_PATH && dirty)
		template_fix_component(out, comp);
	return 0;
}

void
template_free(struct template *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->parts[i].text);
		expr_free(t->parts[i].expr);
	}
	free(t->parts);
	free(t);
}
