/*
 * sink/http-dst-url.c -- the URL of an http:// or https:// target
 * (http-dst.h): split, checked, its path compiled as a template.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/template.h"
#include "http-dst.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

int
target_is_http(const char *spec)
{
	return strncmp(spec, "http://", 7) == 0 ||
	       strncmp(spec, "https://", 8) == 0;
}

/*
 * spec as it may be shown: the userinfo of its authority (up to an "@"
 * before the first "/", "?" or "#") replaced by "***", and at most 200
 * bytes.
 */
static void
url_shown(const char *spec, const char *auth, char *out, size_t outsz)
{
	size_t alen = strcspn(auth, "/?#");
	const char *at = memrchr(auth, '@', alen);

	if (at == NULL)
		snprintf(out, outsz, "%.200s", spec);
	else
		snprintf(out, outsz, "%.*s***%.200s", (int)(auth - spec), spec,
			 at);
}

/* A host name or IPv4 address: letters, digits, "-" and ".". */
static int
host_name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > 253 || p[0] == '.' || p[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '-' ||
		      p[i] == '.'))
			return 0;
	return 1;
}

/* An IPv6 address inside brackets: hex digits, ":" and "." only. */
static int
host_v6_ok(const char *p, size_t n)
{
	size_t i;

	if (n < 2 || n > 47)
		return 0;
	for (i = 0; i < n; i++)
		if (!(is_hex_digit((unsigned char)p[i]) || p[i] == ':' ||
		      p[i] == '.'))
			return 0;
	return memchr(p, ':', n) != NULL;
}

/* Bytes a literal path or query may hold as they are (RFC 3986 pchar
 * and "/", "?"), besides %HH escapes. */
static int
url_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@/?", c);
}

/* Check literal URL text p[0, n): url_char_ok() bytes and %HH. */
static const char *
url_text_bad(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '%') {
			if (i + 2 >= n)
				return p + i;
			if (!is_hex_digit((unsigned char)p[i + 1]) ||
			    !is_hex_digit((unsigned char)p[i + 2]))
				return p + i;
			i += 2;
		} else if (p[i] == '\0' || !url_char_ok((unsigned char)p[i])) {
			return p + i;
		}
	}
	return NULL;
}

/*
 * Check the path p (up to its end): literal parts of URL text, {EXPR}
 * parts balanced, "{{" and "}}" not used (a brace is %7B in a URL).
 * Sets *templ when it holds an {EXPR}.
 */
static int
path_check(const char *p, const char *shown, int *templ, struct errbuf *eb)
{
	const char *q;

	*templ = 0;
	while (*p) {
		if (*p == '{') {
			if (p[1] == '{')
				return errbuf_set(eb, STATUS_USAGE,
						  "target '%s': a literal "
						  "brace in the path is %%7B",
						  shown);
			q = template_expr_end(p);
			if (q == NULL)
				return errbuf_set(eb, STATUS_USAGE,
						  "target '%s': unbalanced { "
						  "in the path",
						  shown);
			if (q == p + 2)
				return errbuf_set(eb, STATUS_USAGE,
						  "target '%s': an empty {} "
						  "in the path",
						  shown);
			*templ = 1;
			p = q;
			continue;
		}
		q = p + strcspn(p, "{");
		const char *bad = url_text_bad(p, (size_t)(q - p));

		if (bad) {
			unsigned char c = (unsigned char)*bad;

			if (c == '%')
				return errbuf_set(eb, STATUS_USAGE,
						  "target '%s': a %% in the "
						  "path must start %%HH",
						  shown);
			return errbuf_set(
				eb, STATUS_USAGE,
				"target '%s': the path may not hold "
				"'%c' (write it %%%02X)",
				shown, c < ' ' || c >= 0x7f ? '?' : (char)c, c);
		}
		p = q;
	}
	return 0;
}

/* Split the authority a[0, n) into host and port; 0 or -1. */
static int
authority_parse(const char *a, size_t n, int tls, const char *shown,
		struct buf *origin, struct errbuf *eb)
{
	const char *hend, *colon = NULL;
	unsigned long port = tls ? 443 : 80;

	if (n == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': no host after the scheme",
				  shown);
	if (memchr(a, '{', n) || memchr(a, '}', n))
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': {EXPR} is allowed in the path "
				  "only (event data never picks the host)",
				  shown);
	if (a[0] == '[') {
		hend = memchr(a, ']', n);
		if (hend == NULL || !host_v6_ok(a + 1, (size_t)(hend - a - 1)))
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': bad IPv6 address "
					  "(expected [ADDRESS])",
					  shown);
		hend++;
		if (hend < a + n && *hend != ':')
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': expected :PORT after "
					  "the address",
					  shown);
		if (hend < a + n)
			colon = hend;
	} else {
		colon = memchr(a, ':', n);
		hend = colon ? colon : a + n;
		if (!host_name_ok(a, (size_t)(hend - a)))
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': bad host '%.*s' "
					  "(letters, digits, '-' and '.', or "
					  "[IPv6])",
					  shown,
					  (int)((size_t)(hend - a) > 100
							? 100
							: (size_t)(hend - a)),
					  a);
	}
	if (colon) {
		const char *q;

		port = 0;
		if (colon + 1 == a + n)
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': empty port after ':'",
					  shown);
		for (q = colon + 1; q < a + n; q++) {
			if (*q < '0' || *q > '9' || port > 65535)
				break;
			port = port * 10 + (unsigned long)(*q - '0');
		}
		if (q < a + n || port == 0 || port > 65535)
			return errbuf_set(eb, STATUS_USAGE,
					  "target '%s': bad port '%.*s' (1 to "
					  "65535)",
					  shown,
					  (int)((a + n - colon - 1) > 20
							? 20
							: (a + n - colon - 1)),
					  colon + 1);
	}
	buf_adds(origin, tls ? "https://" : "http://");
	buf_add(origin, a, (size_t)(hend - a));
	buf_addf(origin, ":%lu", port);
	return 0;
}

int
http_url_parse(const char *spec, int compile, struct http_url *u,
	       struct errbuf *eb)
{
	char shown[300];
	struct buf origin = BUF_INIT;
	const char *auth, *aend, *q;
	int tls, templ;
	size_t alen;

	memset(u, 0, sizeof *u);
	if (!target_is_http(spec))
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%.200s': not an http:// or https:// "
				  "URL",
				  spec);
	tls = spec[4] == 's';
	auth = spec + (tls ? 8 : 7);
	url_shown(spec, auth, shown, sizeof shown);
	if (strlen(spec) > HTTP_URL_MAX)
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': the URL is longer than %d "
				  "bytes",
				  shown, HTTP_URL_MAX);
	alen = strcspn(auth, "/?#");
	aend = auth + alen;
	if (memchr(auth, '@', alen))
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': credentials in the URL are "
				  "refused (they would show in ps and in "
				  "logs); use --http-header-file or "
				  "--http-header-env",
				  shown);
	if (strchr(aend, '#'))
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': a #fragment is never sent; "
				  "leave it out",
				  shown);
	if (authority_parse(auth, alen, tls, shown, &origin, eb) == -1) {
		buf_release(&origin);
		return -1;
	}
	/* the query: after the first "?" outside {EXPR} parts */
	for (q = aend; q && *q && *q != '?';)
		q = *q == '{' ? template_expr_end(q) : q + 1;
	if (q == NULL) {
		buf_release(&origin);
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': unbalanced { in the path",
				  shown);
	}
	u->tls = tls;
	u->origin = buf_detach(&origin, NULL);
	u->path = *aend == '/' ? xstrndup(aend, (size_t)(q - aend))
			       : xstrdup("/");
	u->query = xstrdup(q);
	if (path_check(u->path, shown, &templ, eb) == -1)
		goto fail;
	if (strchr(u->query, '{') || strchr(u->query, '}')) {
		errbuf_set(eb, STATUS_USAGE,
			   "target '%s': {EXPR} is allowed in the path only, "
			   "not in the query",
			   shown);
		goto fail;
	}
	if (*u->query && url_text_bad(u->query + 1, strlen(u->query + 1))) {
		errbuf_set(eb, STATUS_USAGE,
			   "target '%s': the query may hold URL characters "
			   "and %%HH only",
			   shown);
		goto fail;
	}
	if (templ) {
		struct template *t = template_compile(u->path, NULL, eb);

		if (t == NULL) {
			errbuf_prefix(eb, "target '%s': the path", shown);
			goto fail;
		}
		if (compile)
			u->tmpl = t;
		else
			template_free(t);
	}
	return 0;
fail:
	http_url_free(u);
	return -1;
}

void
http_url_free(struct http_url *u)
{
	free(u->origin);
	free(u->path);
	free(u->query);
	if (u->tmpl)
		template_free(u->tmpl);
	memset(u, 0, sizeof *u);
}

void
http_url_path_escape(const char *in, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x80 || (c == '%' && i + 1 < n && in[i + 1] == '~') ||
		    !(url_char_ok(c) || c == '%')) {
			buf_addc(out, '%');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 15]);
		} else {
			buf_addc(out, (char)c);
		}
	}
}
