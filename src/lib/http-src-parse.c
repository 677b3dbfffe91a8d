/*
 * http-src-parse.c -- the request headers the HTTP source reads
 * (http-src-parse.h).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "http-src-parse.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* v[0..n) equals s without case. */
static int
eq_nocase(const char *v, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp(v, s, n) == 0;
}

enum http_src_ctype
http_src_ctype(const char *v)
{
	static const char *const ndjson[] = { "application/x-ndjson",
					      "application/ndjson",
					      "application/jsonl",
					      "application/x-jsonlines",
					      "application/jsonlines" };
	size_t i, n;

	if (v == NULL)
		return HTTP_CT_DEFAULT;
	while (is_blank(*v))
		v++;
	for (n = 0; v[n] && v[n] != ';'; n++)
		;
	while (n > 0 && is_blank(v[n - 1]))
		n--;
	if (n == 0)
		return HTTP_CT_DEFAULT;
	for (i = 0; i < sizeof ndjson / sizeof *ndjson; i++)
		if (eq_nocase(v, n, ndjson[i]))
			return HTTP_CT_NDJSON;
	if (eq_nocase(v, n, "application/json") ||
	    (n > 17 && strncasecmp(v, "application/", 12) == 0 &&
	     strncasecmp(v + n - 5, "+json", 5) == 0))
		return HTTP_CT_JSON;
	if (n > 5 && strncasecmp(v, "text/", 5) == 0)
		return HTTP_CT_DEFAULT;
	return HTTP_CT_OTHER;
}

int
http_src_encoding(const char *v)
{
	size_t n;

	if (v == NULL)
		return 0;
	while (is_blank(*v))
		v++;
	n = strlen(v);
	while (n > 0 && is_blank(v[n - 1]))
		n--;
	if (n == 0 || eq_nocase(v, n, "identity"))
		return 0;
	if (eq_nocase(v, n, "gzip") || eq_nocase(v, n, "x-gzip"))
		return 1;
	return -1;
}

int
http_src_bearer(const char *v, const char **tok, size_t *len)
{
	size_t n;

	if (v == NULL)
		return -1;
	while (is_blank(*v))
		v++;
	if (strncasecmp(v, "Bearer", 6) != 0 || !is_blank(v[6]))
		return -1;
	v += 6;
	while (is_blank(*v))
		v++;
	n = strlen(v);
	while (n > 0 && is_blank(v[n - 1]))
		n--;
	if (n == 0)
		return -1;
	*tok = v;
	*len = n;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
http_src_signature(const char *v, size_t n, unsigned char out[32])
{
	size_t i;

	while (n > 0 && is_blank(*v))
		v++, n--;
	while (n > 0 && is_blank(v[n - 1]))
		n--;
	if (n >= 7 && strncasecmp(v, "sha256=", 7) == 0)
		v += 7, n -= 7;
	if (n != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
