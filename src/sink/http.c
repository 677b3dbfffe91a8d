/*
 * sink/http.c -- http://HOST[:PORT]/PATH and https://: events go out in
 * batches, one POST request each, with libcurl (evpipe-http(7), HTTP
 * TARGET).
 *
 * Policy:
 *  - write() (the main thread) puts each event in the open batch of its
 *    path (the path may hold {EXPR} parts, rendered per event and
 *    sanitized: http-dst.h) and closes a batch at --http-batch events,
 *    or before it grows past --http-batch-bytes; sync() closes them all
 *    (so --http-batch-age is a deadline for the sinkset's buffer:
 *    http_retry_at()); a closed batch is handed to the client thread
 *    through a queue of at most --http-parallel batches (a full queue
 *    blocks the writer: bounded memory);
 *  - the client thread runs one libcurl multi handle (its connection
 *    cache keeps connections alive) with at most --http-parallel
 *    requests in flight; with 1 the batches go out one after the other,
 *    in order, a batch being retried holding back the next;
 *  - a connection error, a timeout (--http-timeout), 408, 429 and 5xx
 *    are retried --http-retries times, after --http-backoff doubling
 *    with jitter, or after the server's Retry-After (at most
 *    HTTP_MAX_RETRY_AFTER); another status, a TLS certificate that does
 *    not verify, and the last failed attempt send every event of the
 *    batch to the failed queue, with the status and the first bytes of
 *    the response, to be dead-lettered by sinkset.c;
 *  - sync() closes the open batches and waits until every batch handed
 *    over has its final answer (a 2xx, or dead-lettered): the sinkset
 *    counts a block written, and the sources are acknowledged, only
 *    after that;
 *  - --http-gzip compresses each body once, at zlib's fastest level,
 *    on the client thread;
 *  - header values (--http-header, --http-header-file,
 *    --http-header-env) are never printed; TLS peers are verified unless
 *    --http-insecure.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/dl-curl.h"
#include <zlib.h>

#include "broker.h"
#include "expr/template.h"
#include "http-dst.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/hash.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "record.h"
#include "target.h"

#define HTTP_MAX_OPEN	     64	  /* open batches of a templated path */
#define HTTP_RESP_KEEP	     200  /* bytes of a response kept for -dlq */
#define HTTP_MAX_HEADERS     64	  /* headers from the options */
#define HTTP_MAX_HEADER_LINE 8192 /* bytes of one header */
#define HTTP_MAX_RETRY_AFTER (300LL * 1000000000)
#define HTTP_MAX_BACKOFF     (30LL * 1000000000)
#define HTTP_CONNECT_TIMEOUT (10LL * 1000000000)

struct http_opts sink_http_opts;
const char *const http_format_names[] = { "ndjson", "array", NULL };

/* One event of a batch: where its bytes are in the body. */
struct hev {
	size_t off, len;
};

struct hbatch {
	struct hbatch *next; /* in the queue */
	char *path;	     /* the rendered path: the open batch's key */
	uint64_t hash;
	char *url;
	struct buf body;
	struct hev *ev;
	size_t nev, cap;
	/* the client thread's */
	char *gz;
	size_t gzlen;
	CURL *easy;
	unsigned attempts;
	int64_t retry_at; /* waiting to be tried again from then on */
	char resp[HTTP_RESP_KEEP];
	size_t resplen;
	char err[CURL_ERROR_SIZE];
};

struct http_priv {
	char *spec;
	struct http_url url;
	struct http_opts o;
	struct curl_slist *hdrs;
	int whole;	    /* batch -t: a write is one request */
	int64_t first_wait; /* when the sinkset was seen holding events */
	/* the main thread's */
	struct hbatch *open[HTTP_MAX_OPEN]; /* oldest first */
	size_t nopen;
	struct buf pathbuf, scratch;
	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct hbatch *qhead, *qtail;
	size_t nqueued;
	uint64_t outstanding; /* handed over, no final answer yet */
	int quit;
	/* the client thread's */
	pthread_t thread;
	CURLM *multi;
	struct hbatch **slots; /* in flight or waiting to be retried */
	size_t nslots;
	unsigned rng;
	struct broker_failq failq;
	/* answered batches kept for reuse (under mu): their buffers are
	 * not allocated and faulted in again for every request */
	struct hbatch *spare;
	size_t nspare;
};

void
http_opts_defaults(struct http_opts *o)
{
	memset(o, 0, sizeof *o);
	o->batch = HTTP_DEF_BATCH;
	o->batch_bytes = HTTP_DEF_BATCH_BYTES;
	o->parallel = HTTP_DEF_PARALLEL;
	o->timeout = HTTP_DEF_TIMEOUT;
	o->retries = HTTP_DEF_RETRIES;
	o->backoff = HTTP_DEF_BACKOFF;
}

/* ---- headers ------------------------------------------------------------ */

/* libcurl's lists allocate on their own: fail as xmalloc() does. */
static void
slist_oom(void)
{
	fputs("evpipe: out of memory\n", stderr);
	exit(STATUS_IO);
}

/* RFC 9110 token characters. */
static int
tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c);
}

/* Headers evpipe sets itself, or that would change where or how the
 * request goes. */
static const char *const reserved_headers[] = {
	"host",
	"content-length",
	"transfer-encoding",
	"content-encoding",
	"expect",
	"connection",
	"te",
	"upgrade",
	NULL,
};

/* Headers that carry secrets: never from the command line. */
static const char *const secret_headers[] = {
	"authorization",
	"proxy-authorization",
	"cookie",
	NULL,
};

static int
name_in(const char *name, size_t n, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strlen(list[i]) == n && strncasecmp(name, list[i], n) == 0)
			return 1;
	return 0;
}

/*
 * Check one header "Name: value" from where (for the message; the value
 * is never shown) and add it to *l.  0, or -1 with a STATUS_USAGE error.
 */
static int
header_add(struct curl_slist **l, const char *name, size_t nlen,
	   const char *value, int from_cmdline, const char *where,
	   int *has_ctype, struct errbuf *eb)
{
	struct buf line = BUF_INIT;
	struct curl_slist *nl;
	size_t i;

	if (nlen == 0 || nlen > 256)
		return errbuf_set(eb, STATUS_USAGE,
				  "%s: expected 'NAME: VALUE' (a header name "
				  "of 1 to 256 characters)",
				  where);
	for (i = 0; i < nlen; i++)
		if (!tchar((unsigned char)name[i]))
			return errbuf_set(eb, STATUS_USAGE,
					  "%s: bad character in the header "
					  "name",
					  where);
	while (*value == ' ' || *value == '\t')
		value++;
	for (i = 0; value[i]; i++)
		if (((unsigned char)value[i] < ' ' && value[i] != '\t') ||
		    value[i] == 0x7f)
			return errbuf_set(eb, STATUS_USAGE,
					  "%s: header %.*s: the value holds a "
					  "control character (no CR, LF or "
					  "NUL)",
					  where, (int)nlen, name);
	if (i + nlen + 2 > HTTP_MAX_HEADER_LINE)
		return errbuf_set(eb, STATUS_USAGE,
				  "%s: header %.*s is longer than %d bytes",
				  where, (int)nlen, name, HTTP_MAX_HEADER_LINE);
	if (name_in(name, nlen, reserved_headers))
		return errbuf_set(eb, STATUS_USAGE,
				  "%s: header %.*s is set by evpipe itself "
				  "(--http-gzip sets Content-Encoding)",
				  where, (int)nlen, name);
	if (from_cmdline && name_in(name, nlen, secret_headers))
		return errbuf_set(eb, STATUS_USAGE,
				  "%s: header %.*s carries a secret and "
				  "would show in ps: give it with "
				  "--http-header-file or --http-header-env",
				  where, (int)nlen, name);
	if (nlen == 12 && strncasecmp(name, "content-type", 12) == 0)
		*has_ctype = 1;
	buf_add(&line, name, nlen);
	/* "Name:" alone would make libcurl drop the header: "Name;" sends
	 * it empty */
	if (value[0] == '\0') {
		buf_addc(&line, ';');
	} else {
		buf_adds(&line, ": ");
		buf_adds(&line, value);
	}
	nl = curl_slist_append(*l, line.data);
	/* wipe the copy of a value that may be a secret */
	explicit_bzero(line.data, line.len);
	buf_release(&line);
	if (nl == NULL)
		slist_oom();
	*l = nl;
	return 0;
}

/* "Name: value" from the command line or a file line. */
static int
header_line(struct curl_slist **l, const char *s, int from_cmdline,
	    const char *where, int *has_ctype, struct errbuf *eb)
{
	const char *colon = strchr(s, ':');

	if (colon == NULL)
		return errbuf_set(eb, STATUS_USAGE,
				  "%s: expected 'NAME: VALUE'", where);
	return header_add(l, s, (size_t)(colon - s), colon + 1, from_cmdline,
			  where, has_ctype, eb);
}

/* The lines of --http-header-file: "Name: value", blank and # lines. */
static int
header_file(struct curl_slist **l, const char *path, int *has_ctype,
	    struct errbuf *eb)
{
	char where[300], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	int rc = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-header-file %.200s: %s", path,
				  strerror(errno));
	while (rc == 0 && (n = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if ((size_t)n != strlen(line)) {
			rc = errbuf_set(eb, STATUS_USAGE,
					"--http-header-file %.200s:%lu: a NUL "
					"byte",
					path, lineno);
			break;
		}
		const char *p = line + strspn(line, " \t");

		if (*p == '\0' || *p == '#')
			continue;
		snprintf(where, sizeof where, "--http-header-file %.200s:%lu",
			 path, lineno);
		rc = header_line(l, p, 0, where, has_ctype, eb);
	}
	if (rc == 0 && ferror(f))
		rc = errbuf_set(eb, STATUS_USAGE,
				"--http-header-file %.200s: %s", path,
				strerror(errno));
	if (line) {
		explicit_bzero(line, cap);
		free(line);
	}
	fclose(f);
	return rc;
}

/* The request headers from the options.  0, or -1 (STATUS_USAGE). */
static int
headers_build(const struct http_opts *o, struct curl_slist **out,
	      struct errbuf *eb)
{
	struct curl_slist *l = NULL;
	int has_ctype = 0;
	size_t i;

	*out = NULL;
	if (o->header.n + o->header_env.n > HTTP_MAX_HEADERS)
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-header: at most %d headers",
				  HTTP_MAX_HEADERS);
	for (i = 0; i < o->header.n; i++)
		if (header_line(&l, o->header.v[i], 1, "--http-header",
				&has_ctype, eb) == -1)
			goto fail;
	if (o->header_file &&
	    header_file(&l, o->header_file, &has_ctype, eb) == -1)
		goto fail;
	for (i = 0; i < o->header_env.n; i++) {
		const char *s = o->header_env.v[i], *eq = strchr(s, '=');
		const char *val;
		char where[300];

		if (eq == NULL || eq[1] == '\0') {
			errbuf_set(eb, STATUS_USAGE,
				   "--http-header-env '%.200s': expected "
				   "NAME=VARIABLE",
				   s);
			goto fail;
		}
		val = getenv(eq + 1);
		if (val == NULL) {
			errbuf_set(eb, STATUS_USAGE,
				   "--http-header-env %.200s: the variable %s "
				   "is not set",
				   s, eq + 1);
			goto fail;
		}
		snprintf(where, sizeof where, "--http-header-env %.200s", s);
		if (header_add(&l, s, (size_t)(eq - s), val, 0, where,
			       &has_ctype, eb) == -1)
			goto fail;
	}
	if (!has_ctype)
		l = curl_slist_append(l,
				      o->format == HTTP_ARRAY
					      ? "Content-Type: application/json"
					      : "Content-Type: "
						"application/x-ndjson");
	if (o->gzip)
		l = curl_slist_append(l, "Content-Encoding: gzip");
	/* no "Expect: 100-continue" round trip before large bodies */
	l = curl_slist_append(l, "Expect:");
	if (l == NULL)
		slist_oom();
	*out = l;
	return 0;
fail:
	curl_slist_free_all(l);
	return -1;
}

/* ---- checking ----------------------------------------------------------- */

static int
opts_check(const struct http_opts *o, struct errbuf *eb)
{
	if (o->batch == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-batch must be at least 1");
	if (o->batch_bytes == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-batch-bytes must be at least 1");
	if (o->parallel == 0 || o->parallel > HTTP_MAX_PARALLEL)
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-parallel must be 1 to %d",
				  HTTP_MAX_PARALLEL);
	if (o->retries > HTTP_MAX_RETRIES)
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-retries must be at most %d",
				  HTTP_MAX_RETRIES);
	if (o->timeout <= 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-timeout must be more than 0");
	if (o->backoff < 0 || o->batch_age < 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-backoff and --http-batch-age may "
				  "not be negative");
	if (o->cacert && access(o->cacert, R_OK) == -1)
		return errbuf_set(eb, STATUS_USAGE, "--http-cacert %.200s: %s",
				  o->cacert, strerror(errno));
	return 0;
}

int
http_check(const char *spec, struct errbuf *eb)
{
	struct http_url u;
	struct curl_slist *l;

	if (http_url_parse(spec, 0, &u, eb) == -1)
		return -1;
	http_url_free(&u);
	if (opts_check(&sink_http_opts, eb) == -1 ||
	    headers_build(&sink_http_opts, &l, eb) == -1)
		return -1;
	curl_slist_free_all(l);
	return 0;
}

/* ---- batches ------------------------------------------------------------ */

static struct hbatch *
batch_new(struct http_priv *p, const char *path, size_t plen, uint64_t h)
{
	struct hbatch *b;

	pthread_mutex_lock(&p->mu);
	b = p->spare;
	if (b) {
		p->spare = b->next;
		p->nspare--;
	}
	pthread_mutex_unlock(&p->mu);
	if (b == NULL) {
		b = xcalloc(1, sizeof *b);
		buf_init(&b->body);
	}
	b->next = NULL;
	b->path = xstrndup(path, plen);
	b->hash = h;
	return b;
}

static void
batch_free(struct hbatch *b)
{
	if (b == NULL)
		return;
	if (b->easy)
		curl_easy_cleanup(b->easy);
	free(b->path);
	free(b->url);
	buf_release(&b->body);
	free(b->ev);
	free(b->gz);
	free(b);
}

static void
batch_add(struct http_priv *p, struct hbatch *b, const char *ev, size_t len)
{
	if (b->nev == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->ev = xreallocarray(b->ev, b->cap, sizeof *b->ev);
	}
	if (p->o.format == HTTP_ARRAY)
		buf_addc(&b->body, b->nev ? ',' : '[');
	b->ev[b->nev].off = b->body.len;
	b->ev[b->nev++].len = len;
	buf_add(&b->body, ev, len);
	if (p->o.format == HTTP_NDJSON)
		buf_addc(&b->body, '\n');
}

/* Hand a closed batch to the client thread; waits while the queue is
 * full. */
static void
batch_submit(struct http_priv *p, struct hbatch *b)
{
	if (p->o.format == HTTP_ARRAY)
		buf_addc(&b->body, ']');
	buf_reset(&p->scratch);
	buf_adds(&p->scratch, p->url.origin);
	buf_adds(&p->scratch, b->path);
	buf_adds(&p->scratch, p->url.query);
	b->url = xstrdup(p->scratch.data);
	pthread_mutex_lock(&p->mu);
	while (p->nqueued >= p->o.parallel)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->qtail)
		p->qtail->next = b;
	else
		p->qhead = b;
	p->qtail = b;
	p->nqueued++;
	p->outstanding++;
	pthread_mutex_unlock(&p->mu);
	curl_multi_wakeup(p->multi);
}

/* Close open batch i (keeping the order of the others). */
static void
open_submit(struct http_priv *p, size_t i)
{
	struct hbatch *b = p->open[i];

	memmove(p->open + i, p->open + i + 1,
		(p->nopen - i - 1) * sizeof *p->open);
	p->nopen--;
	batch_submit(p, b);
}

/*
 * The path of one event: the template rendered in path mode, then made
 * safe for a URL.  0, or -1 with why.
 */
static int
path_render(struct http_priv *p, const char *ev, size_t len, const char *meta,
	    size_t metalen, char *why, size_t whysz)
{
	struct errbuf teb = { 0 };
	struct record rec;
	int r = 0;

	record_init(&rec, "http", 0, ev, len);
	rec.meta = meta;
	rec.metalen = metalen;
	buf_reset(&p->scratch);
	if (template_render_record(p->url.tmpl, &rec, TEMPLATE_PATH, NULL,
				   &p->scratch, &teb) == -1) {
		snprintf(why, whysz, "the path: %s", teb.msg);
		r = -1;
	}
	record_release(&rec);
	errbuf_clear(&teb);
	if (r == 0) {
		buf_reset(&p->pathbuf);
		http_url_path_escape(p->scratch.data, p->scratch.len,
				     &p->pathbuf);
		if (p->pathbuf.len + strlen(p->url.origin) > HTTP_URL_MAX) {
			snprintf(why, whysz,
				 "the path: the URL would be longer than %d "
				 "bytes",
				 HTTP_URL_MAX);
			r = -1;
		}
	}
	return r;
}

/* Put one event in the open batch of its path. */
static void
http_add(struct http_priv *p, const char *ev, size_t len, const char *meta,
	 size_t metalen)
{
	const char *path = p->url.path;
	size_t plen, i;
	uint64_t h = 0;
	struct hbatch *b = NULL;

	if (p->url.tmpl) {
		char why[sizeof(((struct errbuf *)0)->msg) + 32];

		if (path_render(p, ev, len, meta, metalen, why, sizeof why) ==
		    -1) {
			broker_failq_push(&p->failq, ev, len, p->spec, why);
			return;
		}
		path = p->pathbuf.data;
		plen = p->pathbuf.len;
		h = hash64(path, plen);
		for (i = 0; i < p->nopen; i++)
			if (p->open[i]->hash == h &&
			    strcmp(p->open[i]->path, path) == 0)
				break;
	} else {
		plen = strlen(path);
		i = 0;
	}
	if (i < p->nopen) {
		b = p->open[i];
		if (!p->whole && b->nev > 0 &&
		    b->body.len + len + 2 > p->o.batch_bytes) {
			open_submit(p, i);
			b = NULL;
		}
	}
	if (b == NULL) {
		if (p->nopen == HTTP_MAX_OPEN)
			open_submit(p, 0);
		b = batch_new(p, path, plen, h);
		p->open[p->nopen++] = b;
		i = p->nopen - 1;
	}
	batch_add(p, b, ev, len);
	if (!p->whole &&
	    (b->nev >= p->o.batch || b->body.len >= p->o.batch_bytes))
		open_submit(p, i);
}

/* ---- the client thread -------------------------------------------------- */

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct hbatch *b = arg;
	size_t len = size * n, take = HTTP_RESP_KEEP - b->resplen;

	if (take > len)
		take = len;
	memcpy(b->resp + b->resplen, data, take);
	b->resplen += take;
	return len;
}

/* Compress the body once, for every attempt. */
static int
batch_gzip(struct hbatch *b)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof z);
	z.zalloc = xmalloc_zlib;
	z.zfree = free_zlib;
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	b->gzlen = deflateBound(&z, (uLong)b->body.len);
	b->gz = xmalloc(b->gzlen);
	z.next_in = (unsigned char *)b->body.data;
	z.avail_in = (uInt)b->body.len;
	z.next_out = (unsigned char *)b->gz;
	z.avail_out = (uInt)b->gzlen;
	rc = deflate(&z, Z_FINISH);
	b->gzlen -= z.avail_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

static void batch_final(struct http_priv *p, struct hbatch *b, const char *why);

/* Start one attempt of b. */
static void
attempt_start(struct http_priv *p, struct hbatch *b)
{
	const struct http_opts *o = &p->o;
	CURL *e;
	int64_t ct = o->timeout < HTTP_CONNECT_TIMEOUT ? o->timeout
						       : HTTP_CONNECT_TIMEOUT;

	if (o->gzip && b->gz == NULL && batch_gzip(b) == -1) {
		batch_final(p, b, "gzip failed");
		return;
	}
	e = curl_easy_init();
	if (e == NULL) {
		batch_final(p, b, "libcurl could not make a request");
		return;
	}
	b->easy = e;
	b->resplen = 0;
	b->err[0] = '\0';
	b->attempts++;
	curl_easy_setopt(e, CURLOPT_URL, b->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->hdrs);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "evpipe");
	if (o->gzip) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)b->gzlen);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, b->gz);
	} else {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)b->body.len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, b->body.data);
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, b->err);
	curl_easy_setopt(e, CURLOPT_PRIVATE, b);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(o->timeout / 1000000));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(ct / 1000000));
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	if (o->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
	if (o->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (curl_multi_add_handle(p->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		b->easy = NULL;
		batch_final(p, b, "libcurl could not start the request");
	}
}

/* Failures that another attempt cannot mend. */
static int
curl_permanent(CURLcode c)
{
	return c == CURLE_PEER_FAILED_VERIFICATION ||
	       c == CURLE_SSL_CACERT_BADFILE || c == CURLE_SSL_CERTPROBLEM ||
	       c == CURLE_URL_MALFORMAT || c == CURLE_UNSUPPORTED_PROTOCOL ||
	       c == CURLE_OUT_OF_MEMORY || c == CURLE_SSL_CIPHER ||
	       c == CURLE_TOO_MANY_REDIRECTS;
}

/*
 * The pause before attempt n + 1: backoff * 2^(n-1), at most
 * HTTP_MAX_BACKOFF (or the backoff itself when larger), in [1/2, 1] of
 * it.
 */
static int64_t
backoff_ns(struct http_priv *p, unsigned n)
{
	int64_t d = p->o.backoff, cap = HTTP_MAX_BACKOFF;

	if (cap < d)
		cap = d;
	for (unsigned i = 1; i < n && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	p->rng = p->rng * 1103515245u + 12345u;
	return d / 2 +
	       (int64_t)((double)(d / 2) * ((p->rng >> 8) & 0xffff) / 65535.0);
}

/* The first bytes of the response, as printable text. */
static void
resp_text(const struct hbatch *b, char *out, size_t outsz)
{
	size_t i, k = 0;

	for (i = 0; i < b->resplen && k + 1 < outsz; i++) {
		unsigned char c = (unsigned char)b->resp[i];

		out[k++] = c >= ' ' && c < 0x7f ? (char)c
			   : c == '\n'		? ' '
						: '?';
	}
	out[k] = '\0';
}

/* One attempt of b ended: done, to be tried again, or failed for good. */
static void
attempt_done(struct http_priv *p, struct hbatch *b, CURLcode res)
{
	long code = 0;
	curl_off_t ra = -1;
	char why[512], resp[HTTP_RESP_KEEP + 1], tries[40];
	int retry;

	curl_easy_getinfo(b->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(b->easy, CURLINFO_RETRY_AFTER, &ra);
	curl_multi_remove_handle(p->multi, b->easy);
	curl_easy_cleanup(b->easy);
	b->easy = NULL;
	if (res == CURLE_OK && code >= 200 && code < 300) {
		batch_final(p, b, NULL);
		return;
	}
	if (res != CURLE_OK)
		retry = !curl_permanent(res);
	else
		retry = code == 408 || code == 429 || code >= 500;
	if (retry && b->attempts <= p->o.retries && !sink_interrupted) {
		int64_t d = backoff_ns(p, b->attempts);

		if (res == CURLE_OK && ra > 0)
			d = ra >= HTTP_MAX_RETRY_AFTER / 1000000000LL
				    ? HTTP_MAX_RETRY_AFTER
				    : ra * 1000000000LL;
		b->retry_at = mono_ns() + d;
		return;
	}
	snprintf(tries, sizeof tries, "%u attempt%s%s", b->attempts,
		 b->attempts == 1 ? "" : "s",
		 retry && sink_interrupted ? ", interrupted" : "");
	if (res != CURLE_OK) {
		snprintf(why, sizeof why, "POST %.200s: %s (%s)", b->path,
			 b->err[0] ? b->err : curl_easy_strerror(res), tries);
	} else {
		resp_text(b, resp, sizeof resp);
		snprintf(why, sizeof why,
			 "POST %.100s: HTTP %ld (%s); response: %s", b->path,
			 code, tries, resp[0] ? resp : "(empty)");
	}
	batch_final(p, b, why);
}

/* b has its final answer: out of its slot; its events to the failed
 * queue when why says it failed. */
static void
batch_final(struct http_priv *p, struct hbatch *b, const char *why)
{
	size_t i;

	if (why)
		for (i = 0; i < b->nev; i++)
			broker_failq_push(&p->failq,
					  b->body.data + b->ev[i].off,
					  b->ev[i].len, p->spec, why);
	for (i = 0; i < p->nslots; i++)
		if (p->slots[i] == b) {
			memmove(p->slots + i, p->slots + i + 1,
				(p->nslots - i - 1) * sizeof *p->slots);
			p->nslots--;
			break;
		}
	/* keep it for the next batch: body and events emptied */
	free(b->path);
	free(b->url);
	free(b->gz);
	b->path = b->url = b->gz = NULL;
	buf_reset(&b->body);
	b->nev = 0;
	b->attempts = 0;
	b->retry_at = 0;
	pthread_mutex_lock(&p->mu);
	if (p->nspare < p->o.parallel + 2 &&
	    b->body.cap <= 2 * p->o.batch_bytes + 64) {
		b->next = p->spare;
		p->spare = b;
		p->nspare++;
		b = NULL;
	}
	p->outstanding--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	batch_free(b);
}

/* Take queued batches into free slots; 1 when the thread may end. */
static int
slots_fill(struct http_priv *p)
{
	int end;

	pthread_mutex_lock(&p->mu);
	while (p->nslots < p->o.parallel && p->qhead) {
		struct hbatch *b = p->qhead;

		p->qhead = b->next;
		if (p->qhead == NULL)
			p->qtail = NULL;
		b->next = NULL;
		p->nqueued--;
		p->slots[p->nslots++] = b;
		pthread_cond_broadcast(&p->cv);
	}
	end = p->quit && p->nslots == 0 && p->qhead == NULL;
	pthread_mutex_unlock(&p->mu);
	return end;
}

static void *
http_main(void *arg)
{
	struct http_priv *p = arg;

	while (!slots_fill(p)) {
		int64_t now = mono_ns(), next = INT64_MAX;
		int running, left, timeout, ended = 0;
		CURLMsg *m;

		/* start what is new or due again (slots_fill and
		 * attempt_start keep the order of the slots) */
		for (size_t i = 0; i < p->nslots; i++) {
			struct hbatch *b = p->slots[i];

			if (b->easy)
				continue;
			if (b->retry_at > now && sink_interrupted) {
				/* stop waiting: a signal ends the run */
				b->retry_at = 0;
				batch_final(p, b,
					    "not delivered: interrupted while "
					    "waiting to retry");
				i--;
				continue;
			}
			if (b->retry_at <= now) {
				b->retry_at = 0;
				attempt_start(p, b);
				if (i < p->nslots && p->slots[i] != b)
					i--; /* it failed and left */
			} else if (b->retry_at < next) {
				next = b->retry_at;
			}
		}
		curl_multi_perform(p->multi, &running);
		while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
			struct hbatch *b;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
					  (char **)&b);
			attempt_done(p, b, m->data.result);
			ended = 1; /* a slot may be free: fill it first */
		}
		timeout = 1000;
		now = mono_ns();
		for (size_t i = 0; i < p->nslots; i++)
			if (p->slots[i]->easy == NULL &&
			    p->slots[i]->retry_at < next)
				next = p->slots[i]->retry_at;
		if (next != INT64_MAX)
			timeout = next <= now ? 0
				  : next - now >= 1000000000LL
					  ? 1000
					  : (int)((next - now + 999999) /
						  1000000);
		if (timeout > 0 && !ended)
			curl_multi_poll(p->multi, NULL, 0, timeout, NULL);
	}
	return NULL;
}

/* ---- the sink kind ------------------------------------------------------ */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
priv_free(struct http_priv *p)
{
	size_t i;

	for (i = 0; i < p->nopen; i++)
		batch_free(p->open[i]);
	while (p->spare) {
		struct hbatch *b = p->spare;

		p->spare = b->next;
		batch_free(b);
	}
	while (p->qhead) {
		struct hbatch *b = p->qhead;

		p->qhead = b->next;
		batch_free(b);
	}
	for (i = 0; i < p->nslots; i++) {
		if (p->slots[i]->easy)
			curl_multi_remove_handle(p->multi, p->slots[i]->easy);
		batch_free(p->slots[i]);
	}
	free(p->slots);
	if (p->multi)
		curl_multi_cleanup(p->multi);
	curl_slist_free_all(p->hdrs);
	http_url_free(&p->url);
	buf_release(&p->pathbuf);
	buf_release(&p->scratch);
	broker_failq_destroy(&p->failq);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->spec);
	free(p);
}

static int
http_open(struct sink *s, const char *rest, struct errbuf *eb)
{
	struct http_priv *p;
	sigset_t all, old;
	int rc;

	(void)rest;
	if (opts_check(&sink_http_opts, eb) == -1)
		return -1;
	pthread_once(&curl_once, curl_init_once);
	p = xcalloc(1, sizeof *p);
	p->spec = xstrdup(s->spec);
	p->o = sink_http_opts;
	p->rng = (unsigned)mono_ns() ^ (unsigned)getpid();
	buf_init(&p->pathbuf);
	buf_init(&p->scratch);
	broker_failq_init(&p->failq);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->slots = xreallocarray(NULL, p->o.parallel, sizeof *p->slots);
	if (http_url_parse(s->spec, 1, &p->url, eb) == -1 ||
	    headers_build(&p->o, &p->hdrs, eb) == -1) {
		priv_free(p);
		return -1;
	}
	if (sink_want_meta(s,
			   p->url.tmpl && template_uses_input_meta(p->url.tmpl),
			   eb) == -1) {
		priv_free(p);
		return -1;
	}
	p->multi = curl_multi_init();
	if (p->multi == NULL) {
		priv_free(p);
		return errbuf_set(eb, STATUS_IO, "%s: libcurl did not start",
				  s->spec);
	}
	curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)p->o.parallel);
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)p->o.parallel);
	/* signals are the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&p->thread, NULL, http_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		priv_free(p);
		return errbuf_set(eb, STATUS_IO,
				  "%s: cannot start a thread: %s", s->spec,
				  strerror(rc));
	}
	if (p->url.tls && p->o.insecure)
		log_warn("%s: --http-insecure: the server's "
			 "certificate is not verified",
			 s->spec);
	s->priv = p;
	return 0;
}

void
http_sink_whole_writes(struct sink *s)
{
	struct http_priv *p = s->priv;

	p->whole = 1;
}

/* Add a block of events to their batches, with their metadata when the
 * path reads input_meta (a line each, see sink_kind). */
static int
http_write_meta(struct sink *s, const char *buf, size_t len, const char *meta,
		size_t metalen, struct errbuf *eb)
{
	struct http_priv *p = s->priv;
	struct broker_block blk;
	struct broker_event e;

	(void)eb;
	broker_block_init(&blk, buf, len, meta, metalen);
	while (broker_block_next(&blk, &e))
		if (e.len > 0)
			http_add(p, e.ev, e.len, e.meta, e.metalen);
	return 0;
}

static int
http_write(struct sink *s, const char *buf, size_t len, struct errbuf *eb)
{
	return http_write_meta(s, buf, len, NULL, 0, eb);
}

/* Close every open batch and wait for the final answer of each. */
static int
http_sync(struct sink *s, struct errbuf *eb)
{
	struct http_priv *p = s->priv;

	(void)eb;
	while (p->nopen > 0)
		open_submit(p, 0);
	pthread_mutex_lock(&p->mu);
	while (p->outstanding > 0)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	p->first_wait = 0;
	return 0;
}

/*
 * --http-batch-age: the sinkset asks when to write out the events it
 * holds for the target (sinkset_next_deadline(), only while it holds
 * some; the runner's timers honour it also while the input is busy): DUR
 * after it was first seen holding them since the last block was sent.
 * 0 (no deadline) without the option.
 */
static int64_t
http_retry_at(struct sink *s)
{
	struct http_priv *p = s->priv;

	if (p->o.batch_age <= 0 || p->whole)
		return 0;
	if (p->first_wait == 0)
		p->first_wait = mono_ns();
	return p->first_wait + p->o.batch_age;
}

static int
http_failed(struct sink *s, char **event, size_t *len, char *why, size_t whysz)
{
	struct http_priv *p = s->priv;

	return broker_failq_pop(&p->failq, event, len, why, whysz);
}

static int
http_close(struct sink *s, struct errbuf *eb)
{
	struct http_priv *p = s->priv;
	int rc = 0;

	if (!s->broken)
		http_sync(s, eb);
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_mutex_unlock(&p->mu);
	curl_multi_wakeup(p->multi);
	pthread_join(p->thread, NULL);
	if (p->failq.head < p->failq.n)
		rc = errbuf_set(eb, STATUS_IO, "%s: events not delivered",
				s->spec);
	priv_free(p);
	return rc;
}

const struct sink_kind sink_http = {
	.scheme = "http://",
	.summary = "batches of events POSTed to an HTTP endpoint: "
		   "http://HOST:PORT/PATH/{EXPR}",
	.open = http_open,
	.write = http_write,
	.write_meta = http_write_meta,
	.sync = http_sync,
	.retry_at = http_retry_at,
	.close = http_close,
	.failed = http_failed,
};
