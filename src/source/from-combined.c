/*
 * source/from-combined.c -- "--from combined": the access logs of nginx
 * and Apache httpd in the combined log format, one event per line:
 *
 *   203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0"
 *       200 2326 "http://example.com/" "Mozilla/4.08 [en] (Win98; I ;Nav)"
 *
 * (one line) gives {"remote_addr":"203.0.113.9","remote_user":"frank",
 * "time":"2000-10-10T13:55:36-07:00","method":"GET","path":"/a.gif",
 * "protocol":"HTTP/1.0","status":200,"bytes":2326,
 * "referer":"http://example.com/","user_agent":"Mozilla/4.08 ..."}.
 * The common log format (no referer, no user agent) is read as well,
 * without those two fields.  remote_user and bytes are null for "-"; a
 * request of "-" has null method, path and protocol, and one of two words
 * (HTTP/0.9) a null protocol.  In the quoted fields \" and \\ are
 * decoded; other escapes (nginx's \x22) are kept as written.  The ident
 * field (almost always "-") is not kept.  A line that is not in this
 * shape is rejected with the column where it stops making sense.
 */
#include <string.h>

#include "json/json-text.h"
#include "lib/errbuf.h"
#include "reader.h"

struct cparse {
	const char *line, *p, *e;
	struct buf *o;
	struct buf v; /* a quoted field, decoded */
	struct errbuf *eb;
};

static int
fail(struct cparse *c, const char *what)
{
	return errbuf_set(c->eb, STATUS_REJECT, "expected %s at column %zu",
			  what, (size_t)(c->p - c->line) + 1);
}

/* One space between fields. */
static int
space(struct cparse *c, const char *next)
{
	if (c->p == c->e || *c->p != ' ')
		return fail(c, next);
	c->p++;
	return 0;
}

/* A word up to the next space: *w, *n; -1 when empty. */
static int
word(struct cparse *c, const char *what, const char **w, size_t *n)
{
	const char *s = c->p;

	while (c->p < c->e && *c->p != ' ')
		c->p++;
	if (c->p == s)
		return fail(c, what);
	*w = s;
	*n = (size_t)(c->p - s);
	return 0;
}

/* A quoted field into c->v, \" and \\ decoded. */
static int
quoted(struct cparse *c, const char *what)
{
	const char *open = c->p;

	if (c->p == c->e || *c->p != '"')
		return fail(c, what);
	c->p++;
	buf_reset(&c->v);
	for (;;) {
		if (c->p == c->e) {
			c->p = open;
			return fail(c, "a closing quote for the field");
		}
		if (*c->p == '"')
			break;
		if (*c->p == '\\' && c->p + 1 < c->e &&
		    (c->p[1] == '"' || c->p[1] == '\\')) {
			buf_addc(&c->v, c->p[1]);
			c->p += 2;
			continue;
		}
		buf_addc(&c->v, *c->p++);
	}
	c->p++;
	return 0;
}

static void
key(struct cparse *c, const char *k)
{
	if (c->o->len > 1)
		buf_addc(c->o, ',');
	jtext_add_string(c->o, k, strlen(k));
	buf_addc(c->o, ':');
}

static int
digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return n > 0;
}

static unsigned
num(const char *p, size_t n)
{
	unsigned v = 0;

	while (n-- > 0)
		v = v * 10 + (unsigned)(*p++ - '0');
	return v;
}

/* The days of month mon (1 to 12) of year. */
static unsigned
mdays(unsigned year, unsigned mon)
{
	static const unsigned char d[12] = { 31, 28, 31, 30, 31, 30,
					     31, 31, 30, 31, 30, 31 };

	if (mon == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return d[(mon - 1) % 12];
}

/*
 * [10/Oct/2000:13:55:36 -0700] as RFC 3339: 2000-10-10T13:55:36-07:00.
 */
static int
clf_time(struct cparse *c)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *s = c->p;
	unsigned day, mon, year, hh, mm, ss, zh, zm;
	size_t i;

	/* [dd/Mmm/yyyy:hh:mm:ss +zzzz] is 28 bytes */
	if (c->e - s < 28 || s[0] != '[' || s[3] != '/' || s[7] != '/' ||
	    s[12] != ':' || s[15] != ':' || s[18] != ':' || s[21] != ' ' ||
	    (s[22] != '+' && s[22] != '-') || s[27] != ']' ||
	    !digits(s + 1, 2) || !digits(s + 8, 4) || !digits(s + 13, 2) ||
	    !digits(s + 16, 2) || !digits(s + 19, 2) || !digits(s + 23, 4))
		return fail(c, "a time as [10/Oct/2000:13:55:36 -0700]");
	for (i = 0; i < 12; i++)
		if (memcmp(months + 3 * i, s + 4, 3) == 0)
			break;
	day = num(s + 1, 2);
	mon = (unsigned)i + 1;
	year = num(s + 8, 4);
	hh = num(s + 13, 2);
	mm = num(s + 16, 2);
	ss = num(s + 19, 2);
	zh = num(s + 23, 2);
	zm = num(s + 25, 2);
	if (i == 12 || day < 1 || day > mdays(year, mon) || hh > 23 ||
	    mm > 59 || ss > 60 || zh > 23 || zm > 59)
		return fail(c, "a valid date and time");
	buf_addf(c->o, "\"%04u-%02u-%02uT%02u:%02u:%02u%c%02u:%02u\"", year,
		 mon, day, hh, mm, ss, s[22], zh, zm);
	c->p += 28;
	return 0;
}

/* "GET /path HTTP/1.1": method, path, protocol. */
static void
request(struct cparse *c)
{
	const char *p = c->v.data, *e = c->v.data + c->v.len, *w[3];
	size_t n[3], k = 0;

	if (c->v.len == 1 && p[0] == '-')
		goto nulls;
	while (p < e && k < 3) {
		w[k] = p;
		while (p < e && *p != ' ')
			p++;
		n[k] = (size_t)(p - w[k]);
		k++;
		if (p < e)
			p++;
	}
	if (p < e || k < 2 || n[0] == 0 || n[1] == 0 || (k == 3 && n[2] == 0))
		goto nulls; /* not METHOD PATH [PROTOCOL]: a scanner's junk */
	key(c, "method");
	jtext_add_string(c->o, w[0], n[0]);
	key(c, "path");
	jtext_add_string(c->o, w[1], n[1]);
	key(c, "protocol");
	if (k == 3)
		jtext_add_string(c->o, w[2], n[2]);
	else
		buf_add(c->o, "null", 4);
	return;
nulls:
	key(c, "method");
	buf_add(c->o, "null", 4);
	key(c, "path");
	buf_add(c->o, "null", 4);
	key(c, "protocol");
	buf_add(c->o, "null", 4);
}

/* Decode one line into r->out: 0, or -1 with eb. */
static int
combined_parse(struct reader *r, const char *line, size_t n, struct errbuf *eb)
{
	struct cparse c = { line, line, line + n, &r->out, BUF_INIT, eb };
	const char *w = NULL;
	size_t wn = 0;
	int rc = -1;

	buf_reset(c.o);
	buf_addc(c.o, '{');
	if (word(&c, "the client address", &w, &wn) == -1)
		goto out;
	key(&c, "remote_addr");
	jtext_add_string(c.o, w, wn);
	if (space(&c, "a space after the client address") == -1 ||
	    word(&c, "the ident field", &w, &wn) == -1 ||
	    space(&c, "a space after the ident field") == -1 ||
	    word(&c, "the user", &w, &wn) == -1)
		goto out;
	key(&c, "remote_user");
	if (wn == 1 && *w == '-')
		buf_add(c.o, "null", 4);
	else
		jtext_add_string(c.o, w, wn);
	if (space(&c, "a space after the user") == -1)
		goto out;
	key(&c, "time");
	if (clf_time(&c) == -1 || space(&c, "a space after the time") == -1 ||
	    quoted(&c, "the quoted request") == -1)
		goto out;
	request(&c);
	if (space(&c, "a space after the request") == -1 ||
	    word(&c, "the status", &w, &wn) == -1)
		goto out;
	if (wn != 3 || !digits(w, 3) || *w == '0') {
		c.p = w;
		fail(&c, "a three-digit status");
		goto out;
	}
	key(&c, "status");
	buf_add(c.o, w, 3);
	if (space(&c, "a space after the status") == -1 ||
	    word(&c, "the size in bytes", &w, &wn) == -1)
		goto out;
	key(&c, "bytes");
	if (wn == 1 && *w == '-') {
		buf_add(c.o, "null", 4);
	} else if (digits(w, wn) && wn <= 15 && (wn == 1 || *w != '0')) {
		buf_add(c.o, w, wn);
	} else {
		c.p = w;
		fail(&c, "the size in bytes or -");
		goto out;
	}
	if (c.p < c.e) { /* combined: referer and user agent */
		if (space(&c, "a space after the size") == -1 ||
		    quoted(&c, "the quoted referer") == -1)
			goto out;
		key(&c, "referer");
		jtext_add_string(c.o, c.v.data, c.v.len);
		if (space(&c, "a space after the referer") == -1 ||
		    quoted(&c, "the quoted user agent") == -1)
			goto out;
		key(&c, "user_agent");
		jtext_add_string(c.o, c.v.data, c.v.len);
		if (c.p < c.e) {
			fail(&c, "the end of the line after the user agent");
			goto out;
		}
	}
	buf_addc(c.o, '}');
	rc = 0;
out:
	buf_release(&c.v);
	return rc;
}

static int
combined_next(struct reader *r, const char **rec, size_t *len,
	      struct errbuf *eb)
{
	return reader_next_parsed(r, rec, len, combined_parse, eb);
}

const struct reader_format format_combined = {
	.name = "combined",
	.init = reader_lines_init,
	.next = combined_next,
	.release = reader_lines_release,
};
