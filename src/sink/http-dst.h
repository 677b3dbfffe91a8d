/*
 * sink/http-dst.h -- the HTTP target, http://HOST[:PORT]/PATH and https://
 * (sink/http.c), its URL parser (sink/http-dst-url.c) and its global
 * options (evpipe-http(7), HTTP TARGET).
 *
 * The URL: a scheme, a host (a name, an IPv4 address or [IPv6]), an
 * optional port (1 to 65535), a path and an optional query.  {EXPR}
 * parts are allowed in the path only: event data never picks the host,
 * the port or the query.  A rendered value is one path segment: it is
 * percent-encoded (so it holds no "/", "?", "#", space or control byte)
 * and can never be "." or ".." (template.h, path mode).  Credentials in
 * the URL ("user:pass@") are refused, and the error shows them as "***":
 * secrets come from --http-header-file or --http-header-env.
 */
#ifndef HTTP_DST_H
#define HTTP_DST_H

#include <stddef.h>
#include <stdint.h>

#include "opt.h"

struct errbuf;
struct template;

/* The longest URL we take, and what a rendered path may add to it. */
#define HTTP_URL_MAX 8192

struct http_url {
	int tls;	       /* https:// */
	char *origin;	       /* "http://HOST:PORT" (port always given) */
	char *path;	       /* the path as written, "/" when empty */
	char *query;	       /* "?..." as written, or "" */
	struct template *tmpl; /* the path's {EXPR} parts, or NULL */
};

/*
 * Parse spec ("http://..." or "https://...").  With compile, the path's
 * template is compiled into u->tmpl (else it is only checked).  0, or -1
 * with a STATUS_USAGE error that never shows userinfo.  Free with
 * http_url_free().
 */
int http_url_parse(const char *spec, int compile, struct http_url *u,
		   struct errbuf *eb);
void http_url_free(struct http_url *u);

/*
 * Make the bytes a template rendered in path mode safe in a URL path:
 * bytes beyond ASCII are percent-encoded, and so is the "%" of the "%~"
 * mark template.h puts in a long value.  in[0, n) is appended to out.
 */
struct buf;
void http_url_path_escape(const char *in, size_t n, struct buf *out);

/* Is spec an http:// or https:// target? */
int target_is_http(const char *spec);

enum http_format { HTTP_NDJSON, HTTP_ARRAY };

/* The --http-* global options, set by the runner before any target opens. */
struct http_opts {
	uint64_t batch;		   /* --http-batch N: events per request */
	uint64_t batch_bytes;	   /* --http-batch-bytes SIZE */
	int64_t batch_age;	   /* --http-batch-age DUR; 0: none */
	int format;		   /* --http-format: enum http_format */
	int gzip;		   /* --http-gzip */
	struct strlist header;	   /* --http-header 'NAME: VALUE' */
	const char *header_file;   /* --http-header-file FILE */
	struct strlist header_env; /* --http-header-env NAME=VAR */
	uint64_t parallel;	   /* --http-parallel N */
	int64_t timeout;	   /* --http-timeout DUR */
	uint64_t retries;	   /* --http-retries N */
	int64_t backoff;	   /* --http-backoff DUR: the first pause */
	const char *cacert;	   /* --http-cacert FILE */
	int insecure;		   /* --http-insecure */
};

#define HTTP_DEF_BATCH	     1000
#define HTTP_DEF_BATCH_BYTES (4u << 20)
#define HTTP_DEF_PARALLEL    1
#define HTTP_MAX_PARALLEL    64
#define HTTP_DEF_TIMEOUT     (30LL * 1000000000)
#define HTTP_DEF_RETRIES     5
#define HTTP_MAX_RETRIES     100
#define HTTP_DEF_BACKOFF     (200LL * 1000000)

extern struct http_opts sink_http_opts;
extern const char *const http_format_names[];

/* Set the defaults of the options above (main.c, before parsing). */
void http_opts_defaults(struct http_opts *o);

/* Check an http:// or https:// target and the options without connecting. */
int http_check(const char *spec, struct errbuf *eb);

/*
 * batch -t http://...: every write to s (a sink opened with
 * sink_open_unbuffered()) is one request, whatever --http-batch says.
 */
struct sink;
void http_sink_whole_writes(struct sink *s);

#endif
