/*
 * source/from-logfmt.c -- "--from logfmt": one event per line of KEY=VALUE
 * pairs separated by blanks, as written by Heroku, Go's logfmt and
 * Grafana Loki:
 *
 *   level=info msg="user logged in" user=42 admin
 *
 * gives {"level":"info","msg":"user logged in","user":"42","admin":true}.
 * A quoted value may hold blanks and the escapes \" \\ \n \t \r; a key
 * without "=" is true; "key=" is the empty string.  With --csv-types a
 * bare value that is a JSON number, true or false becomes one (a quoted
 * value stays a string).  Keys are kept as written, dots and all.
 */
#include <string.h>

#include "json/json-text.h"
#include "lib/errbuf.h"
#include "reader.h"

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Decode one line into r->out: 0, or -1 with eb. */
static int
logfmt_parse(struct reader *r, const char *line, size_t n, struct errbuf *eb)
{
	const char *p = line, *e = line + n;
	struct buf *o = &r->out;
	struct buf v = BUF_INIT;
	int first = 1;

	buf_reset(o);
	buf_addc(o, '{');
	for (;;) {
		const char *k;

		while (p < e && blank(*p))
			p++;
		if (p == e)
			break;
		k = p;
		while (p < e && !blank(*p) && *p != '=' && *p != '"')
			p++;
		if (p == k || (p < e && *p == '"')) {
			buf_release(&v);
			return errbuf_set(eb, STATUS_REJECT,
					  "expected a key at column %zu",
					  (size_t)(p - line) + 1);
		}
		if (!first)
			buf_addc(o, ',');
		first = 0;
		jtext_add_string(o, k, (size_t)(p - k));
		buf_addc(o, ':');
		if (p == e || *p != '=') {
			buf_add(o, "true", 4);
			continue;
		}
		p++;
		if (p < e && *p == '"') {
			const char *open = p++;

			buf_reset(&v);
			for (;;) {
				if (p == e) {
					buf_release(&v);
					return errbuf_set(
						eb, STATUS_REJECT,
						"unterminated quoted value "
						"at column %zu",
						(size_t)(open - line) + 1);
				}
				if (*p == '"')
					break;
				if (*p == '\\' && p + 1 < e) {
					switch (p[1]) {
					case 'n':
						buf_addc(&v, '\n');
						break;
					case 't':
						buf_addc(&v, '\t');
						break;
					case 'r':
						buf_addc(&v, '\r');
						break;
					case '"':
					case '\\':
						buf_addc(&v, p[1]);
						break;
					default:
						buf_add(&v, p, 2);
					}
					p += 2;
					continue;
				}
				buf_addc(&v, *p++);
			}
			p++;
			jtext_add_string(o, v.data, v.len);
			if (p < e && !blank(*p)) {
				buf_release(&v);
				return errbuf_set(eb, STATUS_REJECT,
						  "expected a blank after the "
						  "quoted value at column %zu",
						  (size_t)(p - line) + 1);
			}
		} else {
			const char *s = p;

			while (p < e && !blank(*p))
				p++;
			reader_add_field(o, s, (size_t)(p - s), r->flags);
		}
	}
	buf_addc(o, '}');
	buf_release(&v);
	return 0;
}

static int
logfmt_next(struct reader *r, const char **rec, size_t *len, struct errbuf *eb)
{
	return reader_next_parsed(r, rec, len, logfmt_parse, eb);
}

const struct reader_format format_logfmt = {
	.name = "logfmt",
	.init = reader_lines_init,
	.next = logfmt_next,
	.release = reader_lines_release,
};
