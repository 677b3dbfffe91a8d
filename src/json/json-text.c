/*
 * json-text.c -- JSON text written without building a value: compacting,
 * indenting and string quoting, byte for byte where the text is kept.
 */
#include <string.h>

#include "json-text.h"
#include "lib/buf.h"
#include "lib/util.h"

void
jtext_compact(struct buf *out, const char *p, size_t n, int *in_str)
{
	const char *end = p + n;
	int s = *in_str; /* 0 outside, 1 inside, 2 after a backslash */

	buf_grow(out, n);
	while (p < end) {
		if (s == 0) {
			const char *q = p;

			while (q < end && *q != ' ' && *q != '\n' &&
			       *q != '\t' && *q != '\r' && *q != '"')
				q++;
			memcpy(out->data + out->len, p, (size_t)(q - p));
			out->len += (size_t)(q - p);
			p = q;
			if (p < end && *p == '"') {
				out->data[out->len++] = '"';
				s = 1;
			}
			if (p < end)
				p++;
		} else if (s == 2) {
			out->data[out->len++] = *p++;
			s = 1;
		} else {
			const char *q = p;

			while (q < end && *q != '"' && *q != '\\')
				q++;
			memcpy(out->data + out->len, p, (size_t)(q - p));
			out->len += (size_t)(q - p);
			p = q;
			if (p < end) {
				s = *p == '"' ? 0 : 2;
				out->data[out->len++] = *p++;
			}
		}
	}
	out->data[out->len] = '\0';
	*in_str = s;
}

void
jtext_add_string(struct buf *out, const char *p, size_t n)
{
	const char *end = p + n;

	buf_grow(out, n + 2);
	out->data[out->len++] = '"';
	while (p < end) {
		const char *q = p;
		unsigned char c;

		while (q < end && (unsigned char)*q >= 0x20 && *q != '"' &&
		       *q != '\\')
			q++;
		buf_add(out, p, (size_t)(q - p));
		if (q == end)
			break;
		c = (unsigned char)*q;
		p = q + 1;
		switch (c) {
		case '"':
			buf_add(out, "\\\"", 2);
			break;
		case '\\':
			buf_add(out, "\\\\", 2);
			break;
		case '\n':
			buf_add(out, "\\n", 2);
			break;
		case '\t':
			buf_add(out, "\\t", 2);
			break;
		case '\r':
			buf_add(out, "\\r", 2);
			break;
		case '\b':
			buf_add(out, "\\b", 2);
			break;
		case '\f':
			buf_add(out, "\\f", 2);
			break;
		default: {
			char u[6] = { '\\',
				      'u',
				      '0',
				      '0',
				      hex_digits[c >> 4],
				      hex_digits[c & 15] };

			buf_add(out, u, 6);
		}
		}
	}
	buf_addc(out, '"');
}

static void
indent(struct buf *out, int depth)
{
	buf_addc(out, '\n');
	for (; depth > 0; depth--)
		buf_add(out, "  ", 2);
}

static int
ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void
jtext_pretty(struct buf *out, const char *p, size_t n)
{
	const char *e = p + n;
	int depth = 0;

	while (p < e) {
		char c = *p;

		if (ws(c)) {
			p++;
		} else if (c == '"') {
			const char *q = p + 1;

			while (q < e && *q != '"')
				q += *q == '\\' ? 2 : 1;
			if (q > e)
				q = e - 1;
			buf_add(out, p, (size_t)(q + 1 - p));
			p = q + 1;
		} else if (c == '{' || c == '[') {
			const char *q = p + 1;

			while (q < e && ws(*q))
				q++;
			if (q < e && (*q == '}' || *q == ']')) {
				buf_addc(out, c);
				buf_addc(out, *q);
				p = q + 1;
				continue;
			}
			buf_addc(out, c);
			indent(out, ++depth);
			p++;
		} else if (c == '}' || c == ']') {
			indent(out, --depth);
			buf_addc(out, c);
			p++;
		} else if (c == ',') {
			buf_addc(out, ',');
			indent(out, depth);
			p++;
		} else if (c == ':') {
			buf_add(out, ": ", 2);
			p++;
		} else {
			const char *q = p;

			while (q < e && !ws(*q) && *q != ',' && *q != '}' &&
			       *q != ']' && *q != ':')
				q++;
			buf_add(out, p, (size_t)(q - p));
			p = q;
		}
	}
}

/* The length of the valid UTF-8 sequence at p[0..n), or 0. */
static size_t
jtext_utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void
jtext_add_string_lossy(struct buf *out, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	struct buf tmp = BUF_INIT;
	size_t i = 0, k;

	while (i < n && (k = jtext_utf8_len(u + i, n - i)) > 0)
		i += k;
	if (i == n) { /* valid: the common case */
		jtext_add_string(out, p, n);
		return;
	}
	buf_add(&tmp, p, i);
	while (i < n) {
		k = jtext_utf8_len(u + i, n - i);
		if (k > 0) {
			buf_add(&tmp, p + i, k);
			i += k;
		} else {
			buf_add(&tmp, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	jtext_add_string(out, tmp.data, tmp.len);
	buf_release(&tmp);
}
