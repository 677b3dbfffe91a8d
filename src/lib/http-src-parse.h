/*
 * http-src-parse.h -- the request headers the HTTP source (source/http.c)
 * reads from untrusted clients: Content-Type, Content-Encoding,
 * Authorization and the webhook signature header.  Pure functions over
 * bytes, fuzzed by tests/fuzz/fuzz-http-src.c.
 */
#ifndef HTTP_SRC_PARSE_H
#define HTTP_SRC_PARSE_H

#include <stddef.h>

enum http_src_ctype {
	HTTP_CT_OTHER = -1, /* a type we do not read: 415 */
	HTTP_CT_DEFAULT,    /* none, text/plain, text/csv...: --from decides */
	HTTP_CT_NDJSON,	    /* application/x-ndjson and its aliases */
	HTTP_CT_JSON,	    /* application/json, ...+json: one value or an
			     * array of them */
};

/* What a Content-Type value (NULL: none) asks for; parameters after ';'
 * (charset) are ignored, the type is compared without case. */
enum http_src_ctype http_src_ctype(const char *v);

/* A Content-Encoding value (NULL: none): 0 identity, 1 gzip, -1 one we
 * cannot read (415). */
int http_src_encoding(const char *v);

/* The token of "Bearer TOKEN" (scheme without case, blanks around):
 * 0 with *tok, *len, or -1. */
int http_src_bearer(const char *v, const char **tok, size_t *len);

/* A signature header: 64 hex digits, after "sha256=" (GitHub's form) or
 * alone, blanks around ignored.  0 with the 32 bytes in out, or -1. */
int http_src_signature(const char *v, size_t n, unsigned char out[32]);

#endif
