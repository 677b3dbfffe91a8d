/*
 * fuzz-http-url.c -- the URL parser of the http:// target on arbitrary
 * text, and its path rendered for events that try to leave it.
 *
 * The input's first line is a target string.  http_url_parse() either
 * fails with a STATUS_USAGE message that never holds the URL's
 * "userinfo@", or gives an origin "http[s]://HOST:PORT" with no userinfo,
 * brace or path, a path that starts with "/", and a query without braces.
 * A path template is rendered (path mode, then http_url_path_escape())
 * for events whose values hold "/", "..", "?", "#", "%", spaces, control
 * bytes and UTF-8: the result may only hold URL characters and %HH
 * escapes, and, unless the template's own text has a "/." in it, no "."
 * or ".." segment.  Anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr/template.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/util.h"
#include "record.h"
#include "sink/http-dst.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const events[] = {
	"{\"a\":\"../../etc\",\"b\":\"x/y?z#w\",\"c\":\"..\",\"d\":\"%2F\"}",
	"{\"a\":\".\",\"b\":\"\",\"c\":\"\\u00e9 \\n\\t\",\"d\":\"%~\"}",
	"{\"a\":\"/\",\"b\":\"..%2F..\",\"c\":\"@evil.example:80\",\"d\":1}",
};

static int
url_byte_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@/", c);
}

static void
check_path(const char *tmpl_src, const struct buf *out)
{
	const char *p = out->data, *end = out->data + out->len;

	if (out->len == 0 || p[0] != '/')
		abort();
	for (; p < end; p++) {
		if (*p == '%') {
			if (end - p < 3 || !is_hex_digit((unsigned char)p[1]) ||
			    !is_hex_digit((unsigned char)p[2]))
				abort();
			p += 2;
		} else if (!url_byte_ok((unsigned char)*p)) {
			abort();
		}
	}
	if (strstr(tmpl_src, "/."))
		return;
	for (p = out->data; p < end;) {
		const char *q = memchr(p + 1, '/', (size_t)(end - p - 1));
		size_t n;

		if (q == NULL)
			q = end;
		n = (size_t)(q - p - 1);
		if ((n == 1 && p[1] == '.') ||
		    (n == 2 && p[1] == '.' && p[2] == '.'))
			abort();
		p = q;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = { 0 };
	struct http_url u;
	const char *nl = memchr(data, '\n', size), *auth, *at;
	char *spec;
	size_t n = nl ? (size_t)(nl - (const char *)data) : size;

	spec = malloc(n + 1);
	memcpy(spec, data, n);
	spec[n] = '\0';
	if (http_url_parse(spec, 1, &u, &eb) == -1) {
		if (eb.status != STATUS_USAGE || eb.msg[0] == '\0')
			abort();
		/* a userinfo never reaches the message */
		if (target_is_http(spec)) {
			auth = spec + (spec[4] == 's' ? 8 : 7);
			at = memchr(auth, '@', strcspn(auth, "/?#"));
			if (at && at - auth >= 4) {
				char *ui =
					strndup(auth, (size_t)(at - auth + 1));

				/* (unless the same text is in the rest too) */
				if (strstr(eb.msg, ui) && !strstr(at + 1, ui))
					abort();
				free(ui);
			}
		}
		errbuf_clear(&eb);
		free(spec);
		return 0;
	}
	if (strncmp(u.origin, u.tls ? "https://" : "http://", u.tls ? 8 : 7) ||
	    strpbrk(u.origin + (u.tls ? 8 : 7), "@{}/?#") || u.path[0] != '/' ||
	    strpbrk(u.query, "{}") || (u.query[0] && u.query[0] != '?'))
		abort();
	if (u.tmpl) {
		for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
			struct buf raw = BUF_INIT, out = BUF_INIT;
			struct record rec;

			record_init(&rec, "fuzz", 1, events[i],
				    strlen(events[i]));
			if (template_render_record(u.tmpl, &rec, TEMPLATE_PATH,
						   NULL, &raw, &eb) == 0) {
				http_url_path_escape(raw.data, raw.len, &out);
				check_path(u.path, &out);
			}
			errbuf_clear(&eb);
			record_release(&rec);
			buf_release(&raw);
			buf_release(&out);
		}
	}
	http_url_free(&u);
	free(spec);
	return 0;
}
