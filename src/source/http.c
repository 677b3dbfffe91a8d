/*
 * source/http.c -- -i http://HOST:PORT/PATH (and https:// with --tls-cert
 * and --tls-key): events POSTed to PATH, each request answered only once
 * its events are out of evpipe (source.h, Delivery).
 *
 * libmicrohttpd runs in external mode with its own epoll descriptor;
 * the source's one polled fd is an epoll set of that descriptor and an
 * eventfd written when a connection is resumed (resuming does not make
 * the daemon's descriptor readable).  service() calls MHD_run(), and the
 * daemon's timeout is the source's deadline.  A POST to PATH is checked
 * on its headers (method, token, Content-Type, Content-Encoding, length,
 * the in-flight budget) and refused at once when it fails one (405, 401,
 * 415, 413, 429/503); else its body is kept, up to --http-max-body, and
 * when it is complete the signature is checked (--http-hmac-file), a
 * gzip body is inflated (to --http-max-body at most), and the request is
 * numbered and queued, its connection suspended.
 *
 * next() hands out the events of the queued requests in order, each
 * request read on its own (NDJSON lines straight from the body; other
 * formats through a struct reader of its own, so a csv header or a json
 * array never spans requests).  A request whose last event was handed
 * out is complete and goes into the in-flight ring (inflight.h): the
 * source's mark is the number of complete requests.  delivered(mark)
 * answers every request up to it: the connection is resumed and the
 * response (200, {"accepted":N,"rejected":M}) queued by the access
 * handler when libmicrohttpd calls it again.  A client that went away
 * meanwhile loses only its answer: its events were handed out and are
 * delivered or dead-lettered like any others.
 *
 * Rejects are counted per request from the runner's reject counter
 * (source_set.rejected): what it gained while the request's events were
 * being handed out, and until the end of that turn, is the request's.
 *
 * Memory: the bodies of requests not yet answered, counted in bytes
 * (compressed and inflated), stay under --http-inflight; a POST that
 * would go over it is answered 429 with Retry-After.  At the end (input
 * stopped by a signal) the answers of the delivered requests are sent,
 * requests not delivered get 503, new ones too, for --linger at most.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include "lib/dl-crypto.h"
#include "lib/dl-mhd.h"
#include <zlib.h>

#include "inflight.h"
#include "json/json-text.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/http-src-parse.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "linereader.h"
#include "pipeline.h"
#include "reader.h"
#include "source.h"

#define HSRC_SECRET_MAX	  4096	       /* token and HMAC key files */
#define HSRC_CONN_TIMEOUT 60	       /* s an idle connection stays */
#define HSRC_CONN_MEMORY  (256u << 10) /* libmicrohttpd's per connection */
#define HSRC_RETRY_AFTER  "1"	       /* s, with 429 and 503 */
#define HSRC_CODES	  8	       /* status codes counted */

enum hstate {
	R_BODY,	  /* its body is arriving */
	R_QUEUED, /* complete and suspended: its events wait or go out */
	R_ANSWER, /* delivered: the answer is to be queued */
	R_SENT,	  /* answered */
};

struct hreq {
	struct hsrc *h;
	struct MHD_Connection *conn; /* NULL once the connection is over */
	int refs;		     /* the connection's, the source's */
	enum hstate state;
	int error;  /* a status to answer at the end of the body */
	int ctype;  /* enum http_src_ctype */
	int gzip;   /* Content-Encoding: gzip */
	int status; /* the answer */
	uint64_t id;
	struct buf body;
	size_t counted; /* bytes counted in h->inflight */
	char *name;	/* "http://HOST:PORT/PATH#ID": rec->src */
	char *meta;	/* input_meta, or NULL */
	size_t metalen;
	uint64_t events, rejected;
	struct hreq *next; /* the queue */
};

struct hsrc {
	struct source s;
	struct source_set *set;
	struct MHD_Daemon *d;
	int epfd;    /* libmicrohttpd's */
	int wake;    /* an eventfd written when a connection is resumed */
	int outer;   /* polled: an epoll set of epfd and wake */
	char *label; /* "-i SPEC" */
	char *base;  /* "http://HOST:PORT/PATH" as bound */
	char *path;
	int tls;
	char *cert, *key; /* PEM text, with --tls-cert / --tls-key */
	unsigned char token[32];
	int has_token;
	char *hmac_key;
	size_t hmac_len;
	const char *hmac_header;
	size_t max_body, budget, inflight;
	int reject_status;
	int metrics;
	int stopping;
	uint64_t nreq;		    /* requests numbered so far */
	struct hreq *qhead, *qtail; /* complete, not yet handed out */
	struct hreq *cur;	    /* being handed out */
	size_t pos;		    /* NDJSON: where the next line starts */
	uint64_t line;		    /* NDJSON: lines passed */
	struct reader rd;	    /* other formats */
	int rd_open;
	int cur_done; /* cur's last event was handed out */
	struct inflight fl;
	struct hreq *last; /* the request of the last event handed out */
	uint64_t rej_seen; /* the runner's reject count when looked at */
	size_t waiting;	   /* requests suspended or being answered */
	uint64_t events, bytes;
	unsigned codes[HSRC_CODES];
	uint64_t ncodes[HSRC_CODES];
};

/* ---- options -------------------------------------------------------- */

/* Read a small secret file into a new NUL-terminated string, without
 * its trailing newline.  NULL with a usage error in eb. */
static char *
secret_read(const char *opt, const char *path, size_t *len, int text,
	    struct errbuf *eb)
{
	char *p = xmalloc(HSRC_SECRET_MAX + 1);
	ssize_t n, k = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		errbuf_set(eb, STATUS_USAGE, "%s: cannot open '%s': %s", opt,
			   path, strerror(errno));
		free(p);
		return NULL;
	}
	while ((n = read(fd, p + k, HSRC_SECRET_MAX + 1 - (size_t)k)) > 0 &&
	       k + n <= HSRC_SECRET_MAX)
		k += n;
	close(fd);
	if (n != 0) {
		errbuf_set(eb, STATUS_USAGE, "%s: '%s': %s", opt, path,
			   n < 0 ? strerror(errno) : "larger than 4096 bytes");
		free(p);
		return NULL;
	}
	while (k > 0 && (p[k - 1] == '\n' || p[k - 1] == '\r' ||
			 (text && (p[k - 1] == ' ' || p[k - 1] == '\t'))))
		k--;
	p[k] = '\0';
	if (k == 0 || (text && memchr(p, '\0', (size_t)k))) {
		errbuf_set(eb, STATUS_USAGE, "%s: '%s' holds no %s", opt, path,
			   text ? "token" : "key");
		free(p);
		return NULL;
	}
	*len = (size_t)k;
	return p;
}

static void
sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 32;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

/*
 * Split "http://HOST:PORT/PATH" (or https://): host ("" for ":PORT"),
 * port and path ("/" when none).  0, or -1 with a usage error.
 */
static int
hurl_parse(const char *spec, int *tls, char *host, size_t hostlen, char *port,
	   size_t portlen, const char **path, struct errbuf *eb)
{
	const char *rest, *slash, *colon, *h;
	size_t hl;
	uint64_t pn;
	char num[16];

	if (strncmp(spec, "http://", 7) == 0)
		*tls = 0, rest = spec + 7;
	else if (strncmp(spec, "https://", 8) == 0)
		*tls = 1, rest = spec + 8;
	else
		return errbuf_set(eb, STATUS_USAGE,
				  "-i %s: expected http://HOST:PORT/PATH",
				  spec);
	slash = strchr(rest, '/');
	*path = slash ? slash : "/";
	if (slash == NULL)
		slash = rest + strlen(rest);
	h = rest;
	if (*rest == '[') {
		const char *close = memchr(rest, ']', (size_t)(slash - rest));

		if (close == NULL || close[1] != ':')
			return errbuf_set(eb, STATUS_USAGE,
					  "-i %s: expected [ADDRESS]:PORT",
					  spec);
		h = rest + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = memrchr(rest, ':', (size_t)(slash - rest));
		if (colon == NULL)
			return errbuf_set(eb, STATUS_USAGE,
					  "-i %s: expected HOST:PORT", spec);
		hl = (size_t)(colon - rest);
	}
	if (hl >= hostlen || (size_t)(slash - colon - 1) >= sizeof num)
		return errbuf_set(eb, STATUS_USAGE, "-i %s: address too long",
				  spec);
	memcpy(num, colon + 1, (size_t)(slash - colon - 1));
	num[slash - colon - 1] = '\0';
	if (parse_uint(num, 65535, &pn, eb) == -1)
		return errbuf_set(eb, STATUS_USAGE,
				  "-i %s: bad port '%s' (0 to 65535)", spec,
				  num);
	if (strpbrk(*path, "?# \t") != NULL)
		return errbuf_set(eb, STATUS_USAGE,
				  "-i %s: the path may not hold '?', '#' or "
				  "blanks",
				  spec);
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%llu", (unsigned long long)pn);
	return 0;
}

int
source_is_http(const char *spec)
{
	return strncmp(spec, "http://", 7) == 0 ||
	       strncmp(spec, "https://", 8) == 0;
}

int
source_http_check(const struct globals *g, const char *spec, struct errbuf *eb)
{
	char host[256], port[16];
	const char *path;
	int tls;

	if (hurl_parse(spec, &tls, host, sizeof host, port, sizeof port, &path,
		       eb) == -1)
		return -1;
	if (tls && (g->tls_cert == NULL || g->tls_key == NULL))
		return errbuf_set(eb, STATUS_USAGE,
				  "-i %s: https needs --tls-cert and "
				  "--tls-key",
				  spec);
	if (!tls && (g->tls_cert || g->tls_key))
		return errbuf_set(eb, STATUS_USAGE,
				  "-i %s: --tls-cert and --tls-key are for "
				  "https://",
				  spec);
	if (g->http_max_body == 0 || g->http_inflight == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-max-body and --http-inflight must "
				  "be at least 1");
	/* else a body between the two would get 429 for ever */
	if (g->http_inflight < g->http_max_body)
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-inflight must be at least "
				  "--http-max-body");
	if (g->http_hmac_header && !g->http_hmac_file)
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-hmac-header needs --http-hmac-file");
	if (g->http_hmac_header && (*g->http_hmac_header == '\0' ||
				    strpbrk(g->http_hmac_header, ": \t\r\n")))
		return errbuf_set(eb, STATUS_USAGE,
				  "--http-hmac-header: '%s' is no header name",
				  g->http_hmac_header);
	return 0;
}

/* ---- requests ------------------------------------------------------- */

static void
req_unref(struct hreq *r)
{
	if (--r->refs > 0)
		return;
	r->h->inflight -= r->counted;
	buf_release(&r->body);
	free(r->name);
	free(r->meta);
	free(r);
}

/* Count an answer with status code. */
static void
count_code(struct hsrc *h, unsigned code)
{
	size_t i;

	for (i = 0; i < HSRC_CODES && h->codes[i] && h->codes[i] != code; i++)
		;
	if (i == HSRC_CODES)
		i = HSRC_CODES - 1; /* the last one takes the rest */
	h->codes[i] = h->codes[i] ? h->codes[i] : code;
	h->ncodes[i]++;
}

/* Queue an answer: code, body text, its type, and Retry-After or not. */
static enum MHD_Result
answer(struct hsrc *h, struct MHD_Connection *c, unsigned code,
       const char *body, const char *type, int retry)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (retry)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
					HSRC_RETRY_AFTER);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
	if (code == MHD_HTTP_UNAUTHORIZED && h->has_token)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer");
	rc = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	count_code(h, code);
	return rc;
}

/* An error answer: {"error":WHY}. */
static enum MHD_Result
answer_error(struct hsrc *h, struct MHD_Connection *c, unsigned code,
	     const char *why)
{
	char body[256];

	snprintf(body, sizeof body, "{\"error\":\"%s\"}\n", why);
	return answer(h, c, code, body, "application/json",
		      code == MHD_HTTP_TOO_MANY_REQUESTS ||
			      code == MHD_HTTP_SERVICE_UNAVAILABLE);
}

static const char *
error_text(int code)
{
	switch (code) {
	case MHD_HTTP_CONTENT_TOO_LARGE:
		return "body over --http-max-body";
	case MHD_HTTP_TOO_MANY_REQUESTS:
		return "too many bytes in flight, retry later";
	case MHD_HTTP_SERVICE_UNAVAILABLE:
		return "shutting down, retry later";
	case MHD_HTTP_UNAUTHORIZED:
		return "bad or missing signature";
	default:
		return "bad gzip body";
	}
}

struct hdr {
	char *name; /* lower case */
	const char *value;
	size_t i;
};

struct hdrs {
	struct hdr *v;
	size_t n, cap;
};

static enum MHD_Result
hdr_add(void *arg, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct hdrs *hs = arg;
	size_t k;

	(void)kind;
	if (hs->n == hs->cap) {
		hs->cap = hs->cap ? hs->cap * 2 : 16;
		hs->v = xreallocarray(hs->v, hs->cap, sizeof *hs->v);
	}
	hs->v[hs->n].name = xstrdup(key);
	for (k = 0; key[k]; k++)
		if (key[k] >= 'A' && key[k] <= 'Z')
			hs->v[hs->n].name[k] = (char)(key[k] + 32);
	hs->v[hs->n].value = value ? value : "";
	hs->v[hs->n].i = hs->n;
	hs->n++;
	return MHD_YES;
}

static int
hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->i < y->i ? -1 : 1);
}

/* The remote address as "ADDRESS:PORT" ("[ADDRESS]:PORT" for IPv6). */
static void
remote_name(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	if (sa == NULL ||
	    getnameinfo(sa,
			sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in),
			host, sizeof host, serv, sizeof serv,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, len, "unknown");
		return;
	}
	snprintf(out, len, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, serv);
}

/*
 * The request's metadata (evpipe-http(7)): {"method","path","remote",
 * "request","headers"}, the header names in lower case and in order,
 * each with its last value.
 */
static void
req_meta(struct hreq *r, struct MHD_Connection *c, const char *method,
	 const char *url)
{
	struct buf b = BUF_INIT;
	struct hdrs hs = { 0 };
	char remote[NI_MAXHOST + NI_MAXSERV + 4];
	size_t i;

	remote_name(c, remote, sizeof remote);
	buf_adds(&b, "{\"method\":");
	jtext_add_string_lossy(&b, method, strlen(method));
	buf_adds(&b, ",\"path\":");
	jtext_add_string_lossy(&b, url, strlen(url));
	buf_adds(&b, ",\"remote\":");
	jtext_add_string_lossy(&b, remote, strlen(remote));
	buf_addf(&b, ",\"request\":%llu,\"headers\":{",
		 (unsigned long long)r->id);
	MHD_get_connection_values(c, MHD_HEADER_KIND, hdr_add, &hs);
	qsort(hs.v, hs.n, sizeof *hs.v, hdr_cmp);
	for (i = 0; i < hs.n; i++) {
		if (i + 1 < hs.n && strcmp(hs.v[i].name, hs.v[i + 1].name) == 0)
			continue; /* the last one of the name */
		if (b.data[b.len - 1] != '{')
			buf_addc(&b, ',');
		jtext_add_string_lossy(&b, hs.v[i].name, strlen(hs.v[i].name));
		buf_addc(&b, ':');
		jtext_add_string_lossy(&b, hs.v[i].value,
				       strlen(hs.v[i].value));
	}
	for (i = 0; i < hs.n; i++)
		free(hs.v[i].name);
	free(hs.v);
	buf_adds(&b, "}}");
	r->meta = buf_detach(&b, &r->metalen);
}

/* Inflate a gzip body in place, to h->max_body at most: 0, or the status
 * to answer (413, 400). */
static int
req_gunzip(struct hsrc *h, struct hreq *r)
{
	struct buf out = BUF_INIT;
	z_stream zs;
	int zr = Z_OK;

	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return MHD_HTTP_BAD_REQUEST;
	zs.next_in = (unsigned char *)r->body.data;
	zs.avail_in = (uInt)r->body.len;
	while (zr != Z_STREAM_END) {
		size_t room;

		if (out.len >= h->max_body ||
		    h->inflight + out.len >= h->budget) {
			zr = out.len >= h->max_body ? Z_MEM_ERROR : Z_BUF_ERROR;
			break;
		}
		buf_grow(&out, 65536);
		room = out.cap - out.len;
		if (room > h->max_body - out.len + 1)
			room = h->max_body - out.len + 1;
		zs.next_out = (unsigned char *)out.data + out.len;
		zs.avail_out = (uInt)room;
		zr = inflate(&zs, Z_NO_FLUSH);
		out.len = (size_t)((char *)zs.next_out - out.data);
		if (zr == Z_STREAM_END && zs.avail_in > 0 &&
		    inflateReset(&zs) == Z_OK)
			zr = Z_OK; /* gzip members one after the other */
		if (zr != Z_OK && zr != Z_STREAM_END)
			break;
		if (zr == Z_OK && zs.avail_in == 0 && zs.avail_out > 0)
			break; /* truncated */
	}
	inflateEnd(&zs);
	if (zr == Z_STREAM_END && out.len <= h->max_body) {
		buf_release(&r->body);
		r->body = out;
		h->inflight += out.len;
		r->counted += out.len;
		return 0;
	}
	buf_release(&out);
	if (zr == Z_MEM_ERROR || out.len > h->max_body)
		return MHD_HTTP_CONTENT_TOO_LARGE;
	if (zr == Z_BUF_ERROR && zs.avail_in > 0)
		return MHD_HTTP_TOO_MANY_REQUESTS;
	return MHD_HTTP_BAD_REQUEST;
}

/* With --http-hmac-file: the signature header matches the body. */
static int
req_signed(struct hsrc *h, struct MHD_Connection *c, struct hreq *r)
{
	const char *v =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, h->hmac_header);
	unsigned char want[32], got[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (h->hmac_key == NULL)
		return 1;
	if (v == NULL || http_src_signature(v, strlen(v), want) == -1)
		return 0;
	if (HMAC(EVP_sha256(), h->hmac_key, (int)h->hmac_len,
		 (const unsigned char *)(r->body.data ? r->body.data : ""),
		 r->body.len, got, &len) == NULL ||
	    len != 32)
		return 0;
	return CRYPTO_memcmp(want, got, 32) == 0;
}

/* The body is complete: check, inflate, number and queue it. */
static enum MHD_Result
req_complete(struct hsrc *h, struct MHD_Connection *c, struct hreq *r,
	     const char *method, const char *url)
{
	int code = r->error;
	char id[32];

	if (code == 0 && h->stopping)
		code = MHD_HTTP_SERVICE_UNAVAILABLE;
	if (code == 0 && !req_signed(h, c, r))
		code = MHD_HTTP_UNAUTHORIZED;
	if (code == 0 && r->gzip)
		code = req_gunzip(h, r);
	if (code) {
		r->state = R_SENT;
		return answer_error(h, c, (unsigned)code, error_text(code));
	}
	r->id = ++h->nreq;
	snprintf(id, sizeof id, "#%llu", (unsigned long long)r->id);
	r->name = xasprintf("%s%s", h->base, id);
	if (h->set->want_meta)
		req_meta(r, c, method, url);
	r->state = R_QUEUED;
	r->refs++; /* the queue's, then the ring's */
	if (h->qtail)
		h->qtail->next = r;
	else
		h->qhead = r;
	h->qtail = r;
	h->waiting++;
	h->s.ready = 1;
	MHD_suspend_connection(c);
	return MHD_YES;
}

/* Delivered: {"accepted":N,"rejected":M}, 200 (or 400 with rejects and
 * --http-reject-status 400; 503 when stopped before delivery). */
static enum MHD_Result
req_answer(struct hsrc *h, struct MHD_Connection *c, struct hreq *r)
{
	char body[128];

	r->state = R_SENT;
	if (r->rejected > r->events)
		r->rejected = r->events; /* a reject that was not an event */
	if (r->status == MHD_HTTP_SERVICE_UNAVAILABLE)
		return answer_error(h, c, MHD_HTTP_SERVICE_UNAVAILABLE,
				    error_text(MHD_HTTP_SERVICE_UNAVAILABLE));
	snprintf(body, sizeof body, "{\"accepted\":%llu,\"rejected\":%llu}\n",
		 (unsigned long long)(r->events - r->rejected),
		 (unsigned long long)r->rejected);
	return answer(h, c,
		      r->rejected > 0 && h->reject_status == 400
			      ? MHD_HTTP_BAD_REQUEST
			      : MHD_HTTP_OK,
		      body, "application/json", 0);
}

/* GET /metrics: the counters stats --prometheus writes, and ours. */
static enum MHD_Result
get_metrics(struct hsrc *h, struct MHD_Connection *c)
{
	struct buf b = BUF_INIT;
	const char *st, *reason;
	json_t *per, *n;
	enum MHD_Result rc;
	size_t i;

	buf_addf(&b,
		 "# HELP evpipe_events_total Events read by evpipe.\n"
		 "# TYPE evpipe_events_total counter\n"
		 "evpipe_events_total %llu\n"
		 "# HELP evpipe_bytes_total Bytes of the events read, "
		 "newlines included.\n"
		 "# TYPE evpipe_bytes_total counter\n"
		 "evpipe_bytes_total %llu\n"
		 "# HELP evpipe_rejects_total Rejected events by stage and "
		 "reason.\n"
		 "# TYPE evpipe_rejects_total counter\n",
		 (unsigned long long)h->events, (unsigned long long)h->bytes);
	if (h->set->rejects)
		json_object_foreach(h->set->rejects, st, per)
			json_object_foreach(per, reason, n) {
				buf_adds(&b, "evpipe_rejects_total{stage=");
				jtext_add_string_lossy(&b, st, strlen(st));
				buf_adds(&b, ",reason=");
				jtext_add_string_lossy(&b, reason,
						       strlen(reason));
				buf_addf(&b, "} %lld\n",
					 (long long)json_integer_value(n));
			}
	buf_adds(&b, "# HELP evpipe_http_requests_total Requests answered "
		     "by status code.\n"
		     "# TYPE evpipe_http_requests_total counter\n");
	for (i = 0; i < HSRC_CODES && h->codes[i]; i++)
		buf_addf(&b, "evpipe_http_requests_total{code=\"%u\"} %llu\n",
			 h->codes[i], (unsigned long long)h->ncodes[i]);
	buf_addf(&b,
		 "# HELP evpipe_http_inflight_bytes Bytes of request bodies "
		 "not yet answered.\n"
		 "# TYPE evpipe_http_inflight_bytes gauge\n"
		 "evpipe_http_inflight_bytes %zu\n",
		 h->inflight);
	buf_addc(&b, '\0');
	rc = answer(h, c, MHD_HTTP_OK, b.data, "text/plain; version=0.0.4", 0);
	buf_release(&b);
	return rc;
}

/* A new request, on its headers: refuse it, or take its body. */
static enum MHD_Result
req_begin(struct hsrc *h, struct MHD_Connection *c, const char *url,
	  const char *method, void **con_cls)
{
	const char *v;
	uint64_t cl = 0;
	struct hreq *r;
	int ct, gz;

	if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0)
		return h->stopping ? answer_error(h, c, 503, "shutting down")
				   : answer(h, c, 200, "ok\n", "text/plain", 0);
	if (strcmp(method, "GET") == 0 && strcmp(url, "/metrics") == 0 &&
	    h->metrics)
		return get_metrics(h, c);
	if (strcmp(url, h->path) != 0)
		return answer_error(h, c, MHD_HTTP_NOT_FOUND, "no such path");
	if (strcmp(method, "POST") != 0)
		return answer_error(h, c, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "only POST");
	if (h->stopping)
		return answer_error(h, c, MHD_HTTP_SERVICE_UNAVAILABLE,
				    error_text(MHD_HTTP_SERVICE_UNAVAILABLE));
	if (h->has_token) {
		const char *tok;
		size_t len;
		unsigned char got[32];

		v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						MHD_HTTP_HEADER_AUTHORIZATION);
		if (http_src_bearer(v, &tok, &len) == -1)
			memset(got, 0, sizeof got);
		else
			sha256(tok, len, got);
		if (CRYPTO_memcmp(got, h->token, 32) != 0)
			return answer_error(h, c, MHD_HTTP_UNAUTHORIZED,
					    "bad or missing token");
	}
	ct = http_src_ctype(MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE));
	gz = http_src_encoding(MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING));
	if (ct == HTTP_CT_OTHER || gz == -1)
		return answer_error(h, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				    ct == HTTP_CT_OTHER
					    ? "unknown Content-Type"
					    : "unknown Content-Encoding");
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (v && parse_uint(v, UINT64_MAX, &cl, NULL) == 0 && cl > h->max_body)
		return answer_error(h, c, MHD_HTTP_CONTENT_TOO_LARGE,
				    error_text(MHD_HTTP_CONTENT_TOO_LARGE));
	if (h->inflight + cl > h->budget)
		return answer_error(h, c, MHD_HTTP_TOO_MANY_REQUESTS,
				    error_text(MHD_HTTP_TOO_MANY_REQUESTS));
	r = xcalloc(1, sizeof *r);
	r->h = h;
	r->conn = c;
	r->refs = 1;
	r->ctype = ct;
	r->gzip = gz;
	buf_init(&r->body);
	*con_cls = r;
	return MHD_YES;
}

/* Body bytes: keep them, or note why not (answered at the end). */
static void
req_data(struct hsrc *h, struct hreq *r, const char *data, size_t n)
{
	if (r->error)
		return;
	if (r->body.len + n > h->max_body)
		r->error = MHD_HTTP_CONTENT_TOO_LARGE;
	else if (h->inflight + n > h->budget)
		r->error = MHD_HTTP_TOO_MANY_REQUESTS;
	if (r->error) {
		h->inflight -= r->counted;
		r->counted = 0;
		buf_release(&r->body);
		return;
	}
	buf_add(&r->body, data, n);
	h->inflight += n;
	r->counted += n;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
	   const char *method, const char *version, const char *data,
	   size_t *size, void **con_cls)
{
	struct hsrc *h = cls;
	struct hreq *r = *con_cls;

	(void)version;
	if (r == NULL)
		return req_begin(h, c, url, method, con_cls);
	if (*size > 0) {
		req_data(h, r, data, *size);
		*size = 0;
		return MHD_YES;
	}
	if (r->state == R_BODY)
		return req_complete(h, c, r, method, url);
	if (r->state == R_ANSWER)
		return req_answer(h, c, r);
	return MHD_YES;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct hreq *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	*con_cls = NULL;
	r->conn = NULL;
	if (r->id > 0)
		r->h->waiting--; /* it was queued: now over */
	req_unref(r);
}

/* ---- the source ----------------------------------------------------- */

/* Rejects the runner counted since we last looked go to the request of
 * the last event handed out. */
static void
rejects_take(struct hsrc *h)
{
	uint64_t now = h->set->rejected ? *h->set->rejected : 0;

	if (h->last && now > h->rej_seen)
		h->last->rejected += now - h->rej_seen;
	h->rej_seen = now;
}

static ssize_t
body_read(void *arg, char *buf, size_t len, struct errbuf *eb)
{
	struct hsrc *h = arg;
	struct hreq *r = h->cur;
	size_t k = r->body.len - h->pos;

	(void)eb;
	if (k > len)
		k = len;
	if (k > 0)
		memcpy(buf, r->body.data + h->pos, k);
	h->pos += k;
	return (ssize_t)k;
}

/* The next request's events: cur from the queue.  0 if none. */
static int
cur_take(struct hsrc *h)
{
	struct hreq *r = h->qhead;

	if (r == NULL)
		return 0;
	h->qhead = r->next;
	if (h->qhead == NULL)
		h->qtail = NULL;
	r->next = NULL;
	h->cur = r;
	h->cur_done = 0;
	h->pos = 0;
	h->line = 0;
	if (r->ctype == HTTP_CT_NDJSON ||
	    (r->ctype == HTTP_CT_DEFAULT && h->set->g->from == FROM_NDJSON))
		return 1;
	reader_init(&h->rd,
		    r->ctype == HTTP_CT_JSON ? FROM_JSON : h->set->g->from,
		    body_read, h, h->set->g->max_line,
		    h->set->g->csv_types ? READER_TYPES : 0);
	h->rd_open = 1;
	return 1;
}

/* Every event of cur was handed out: it is in flight until delivered. */
static void
cur_finish(struct hsrc *h)
{
	if (!h->cur_done) {
		inflight_push(&h->fl, h->cur);
		h->cur_done = 1;
	}
}

/* cur's events are all out: let go of its body and reader. */
static void
cur_release(struct hsrc *h)
{
	struct hreq *r = h->cur;

	cur_finish(h);
	if (h->rd_open) {
		reader_release(&h->rd);
		h->rd_open = 0;
	}
	buf_release(&r->body); /* still counted until answered */
	h->cur = NULL;
}

/* The next NDJSON line of cur, as nats.c reads a message. */
static int
cur_line(struct hsrc *h, struct source_rec *rec)
{
	const char *p = h->cur->body.data;
	size_t len = h->cur->body.len;

	while (h->pos < len) {
		const char *nl = memchr(p + h->pos, '\n', len - h->pos);
		size_t start = h->pos, end = nl ? (size_t)(nl - p) : len;

		h->pos = nl ? end + 1 : len;
		h->line++;
		if (end > start && p[end - 1] == '\r')
			end--;
		if (reader_blank(p + start, end - start))
			continue;
		rec->bytes = p + start;
		rec->len = end - start;
		rec->lineno = h->line;
		rec->rd = NULL;
		rec->checked = NULL;
		if (h->line == 1 && rec->len >= 3 &&
		    memcmp(rec->bytes, "\xef\xbb\xbf", 3) == 0) {
			rec->bytes += 3; /* a byte order mark */
			rec->len -= 3;
			rec->bom = 1;
		}
		if (rec->len > h->set->g->max_line) {
			rec->len = h->set->g->max_line;
			return LINE_TOO_LONG;
		}
		return LINE_OK;
	}
	return LINE_EOF;
}

static int
hsrc_next(struct source *s, struct source_rec *rec, struct errbuf *eb)
{
	struct hsrc *h = (struct hsrc *)s;

	rejects_take(h);
	for (;;) {
		int res;

		if (h->cur && h->cur_done)
			cur_release(h);
		if (h->cur == NULL && !cur_take(h))
			return LINE_AGAIN;
		if (h->rd_open) {
			res = source_read(&h->rd, rec, eb);
			if (res == LINE_AGAIN || res == LINE_ERROR)
				res = LINE_EOF;
		} else {
			res = cur_line(h, rec);
		}
		if (res == LINE_EOF) {
			cur_release(h);
			continue;
		}
		if (!h->rd_open && reader_blank(h->cur->body.data + h->pos,
						h->cur->body.len - h->pos))
			cur_finish(h); /* its last event */
		if (h->set->want_meta) {
			rec->meta = h->cur->meta;
			rec->metalen = h->cur->metalen;
		}
		s->name = h->cur->name;
		h->cur->events++;
		h->last = h->cur;
		h->events++;
		h->bytes += rec->len + 1;
		return res;
	}
}

static void
hsrc_service(struct source *s, struct source_set *set)
{
	struct hsrc *h = (struct hsrc *)s;
	MHD_UNSIGNED_LONG_LONG ms;

	(void)set;
	h->rej_seen = h->set->rejected ? *h->set->rejected : 0;
	uint64_t n;

	if (read(h->wake, &n, sizeof n) < 0 && errno != EAGAIN)
		n = 0; /* nothing to drain */
	MHD_run(h->d);
	s->deadline = MHD_get_timeout(h->d, &ms) == MHD_YES
			      ? mono_ns() + (int64_t)ms * 1000000
			      : INT64_MAX;
	if (h->qhead == NULL && h->cur == NULL)
		s->ready = 0;
}

static void
hsrc_idle(struct source *s, struct source_set *set)
{
	struct hsrc *h = (struct hsrc *)s;

	(void)set;
	s->ready = h->qhead != NULL;
}

static void
hsrc_end(struct source *s, struct source_set *set, int failed)
{
	(void)set;
	(void)failed;
	s->done = 1;
}

static uint64_t
hsrc_mark(struct source *s)
{
	struct hsrc *h = (struct hsrc *)s;

	rejects_take(h);
	return inflight_pushed(&h->fl);
}

/* Resume r's connection with its answer (status 0: by its events). */
static void
req_resume(struct hsrc *h, struct hreq *r, int status)
{
	r->status = status;
	r->state = R_ANSWER;
	h->inflight -= r->counted;
	r->counted = 0;
	if (h->last == r)
		h->last = NULL;
	if (r->conn) {
		uint64_t one = 1;

		MHD_resume_connection(r->conn);
		/* MHD_run() takes it up: wake the loop */
		if (write(h->wake, &one, sizeof one) < 0 && errno != EAGAIN)
			h->s.ready = 1;
	}
	free(r->name);
	r->name = NULL;
	req_unref(r);
}

static void
hsrc_delivered(struct source *s, uint64_t mark)
{
	struct hsrc *h = (struct hsrc *)s;
	struct hreq *r;

	while ((r = inflight_pop(&h->fl, mark)) != NULL)
		req_resume(h, r, 0);
}

/*
 * The run is over: answer what was delivered, 503 to what was not (and
 * to new requests), for --linger at most; then stop the daemon.
 */
static void
hsrc_drain(struct hsrc *h)
{
	int64_t until = mono_ns() + h->set->g->linger;
	struct hreq *r;

	h->stopping = 1;
	while ((r = inflight_pop(&h->fl, UINT64_MAX)) != NULL)
		req_resume(h, r, MHD_HTTP_SERVICE_UNAVAILABLE);
	if (h->cur) {
		if (h->rd_open)
			reader_release(&h->rd);
		h->rd_open = 0;
		r = h->cur;
		h->cur = NULL;
		if (!h->cur_done)
			req_resume(h, r, MHD_HTTP_SERVICE_UNAVAILABLE);
	}
	while ((r = h->qhead) != NULL) {
		h->qhead = r->next;
		req_resume(h, r, MHD_HTTP_SERVICE_UNAVAILABLE);
	}
	h->qtail = NULL;
	while (h->waiting > 0 && mono_ns() < until) {
		struct epoll_event ev;
		MHD_UNSIGNED_LONG_LONG ms = 100;

		if (MHD_get_timeout(h->d, &ms) != MHD_YES || ms > 100)
			ms = 100;
		epoll_wait(h->epfd, &ev, 1, (int)ms);
		MHD_run(h->d);
	}
}

static void
hsrc_free(struct source *s)
{
	struct hsrc *h = (struct hsrc *)s;

	if (h->d) {
		hsrc_drain(h);
		MHD_stop_daemon(h->d);
	}
	inflight_release(&h->fl);
	if (h->wake >= 0)
		close(h->wake);
	if (h->outer >= 0)
		close(h->outer);
	free(h->label);
	free(h->base);
	free(h->path);
	free(h->cert);
	free(h->key);
	if (h->hmac_key)
		OPENSSL_cleanse(h->hmac_key, h->hmac_len);
	free(h->hmac_key);
	free(h);
}

static const struct source_ops hsrc_ops = {
	.service = hsrc_service,
	.next = hsrc_next,
	.idle = hsrc_idle,
	.end = hsrc_end,
	.mark = hsrc_mark,
	.delivered = hsrc_delivered,
	.free = hsrc_free,
};

/* ---- opening -------------------------------------------------------- */

/* Read a PEM file for libmicrohttpd (it takes the text). */
static char *
pem_read(const char *opt, const char *path, struct errbuf *eb)
{
	FILE *fp = fopen(path, "re");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (fp == NULL) {
		errbuf_set(eb, STATUS_USAGE, "%s: cannot open '%s': %s", opt,
			   path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0 &&
	       b.len < (1u << 20))
		buf_add(&b, chunk, n);
	fclose(fp);
	buf_addc(&b, '\0');
	return buf_detach(&b, &n);
}

/* Bind HOST:PORT and listen; the socket, or -1 with the error in eb. */
static int
hsrc_bind(struct hsrc *h, const char *spec, const char *host, const char *port,
	  const char *path, struct errbuf *eb)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, err = 0, gai, one = 1;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char hn[NI_MAXHOST], sn[NI_MAXSERV];

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	gai = getaddrinfo(*host ? host : "127.0.0.1", port, &hints, &res);
	if (gai != 0)
		return errbuf_set(eb, STATUS_IO, "-i %s: %s", spec,
				  gai_strerror(gai));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return errbuf_set(eb, STATUS_IO, "cannot listen on %s: %s",
				  spec, strerror(err));
	getsockname(fd, (struct sockaddr *)&ss, &len);
	if (getnameinfo((struct sockaddr *)&ss, len, hn, sizeof hn, sn,
			sizeof sn, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(hn, sizeof hn, "%s", host),
			snprintf(sn, sizeof sn, "%s", port);
	h->base = xasprintf(ss.ss_family == AF_INET6 ? "%s://[%s]:%s%s"
						     : "%s://%s:%s%s",
			    h->tls ? "https" : "http", hn, sn, path);
	return fd;
}

/* The options: secrets, limits.  0, or -1 with eb. */
static int
hsrc_options(struct hsrc *h, const struct globals *g, struct errbuf *eb)
{
	size_t len;
	char *tok;

	h->max_body = g->http_max_body;
	h->budget = g->http_inflight;
	h->reject_status = g->http_reject_status == 1 ? 400 : 200;
	h->metrics = g->http_metrics;
	h->hmac_header = g->http_hmac_header ? g->http_hmac_header
					     : "X-Hub-Signature-256";
	if (g->http_token_file) {
		tok = secret_read("--http-token-file", g->http_token_file, &len,
				  1, eb);
		if (tok == NULL)
			return -1;
		sha256(tok, len, h->token);
		OPENSSL_cleanse(tok, len);
		free(tok);
		h->has_token = 1;
	}
	if (g->http_hmac_file) {
		h->hmac_key = secret_read("--http-hmac-file", g->http_hmac_file,
					  &h->hmac_len, 0, eb);
		if (h->hmac_key == NULL)
			return -1;
	}
	if (h->tls &&
	    ((h->cert = pem_read("--tls-cert", g->tls_cert, eb)) == NULL ||
	     (h->key = pem_read("--tls-key", g->tls_key, eb)) == NULL))
		return -1;
	return 0;
}

static int
hsrc_start(struct hsrc *h, int fd, struct errbuf *eb)
{
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_TURBO | (h->tls ? MHD_USE_TLS : 0);
	const union MHD_DaemonInfo *di;
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, h->key },
		{ MHD_OPTION_END, 0, NULL },
	};

	h->d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET,
		fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(h->set->g->max_clients > 65535
				   ? 65535
				   : h->set->g->max_clients),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HSRC_CONN_TIMEOUT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HSRC_CONN_MEMORY,
		MHD_OPTION_ARRAY, h->tls ? tls_opts : tls_opts + 2,
		MHD_OPTION_END);
	if (h->d == NULL) {
		close(fd);
		return errbuf_set(
			eb, STATUS_IO, "%s: cannot start the HTTP server%s",
			h->label,
			h->tls ? " (is the key the certificate's?)" : "");
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	h->epfd = di ? di->epoll_fd : -1;
	/* A resumed connection does not make epfd readable: our eventfd
	 * beside it does. */
	h->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->outer = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0 || h->wake < 0 || h->outer < 0 ||
	    epoll_ctl(h->outer, EPOLL_CTL_ADD, h->epfd,
		      &(struct epoll_event){ .events = EPOLLIN }) == -1 ||
	    epoll_ctl(h->outer, EPOLL_CTL_ADD, h->wake,
		      &(struct epoll_event){ .events = EPOLLIN }) == -1)
		return errbuf_set(eb, STATUS_IO, "%s: epoll: %s", h->label,
				  strerror(errno));
	return 0;
}

int
source_http_new(struct source_set *set, const char *spec)
{
	struct errbuf eb = { 0 };
	struct hsrc *h = xcalloc(1, sizeof *h);
	char host[256], port[16];
	const char *path;
	int fd;

	h->wake = h->outer = -1;
	h->set = set;
	h->label = xasprintf("-i %s", spec);
	if (hurl_parse(spec, &h->tls, host, sizeof host, port, sizeof port,
		       &path, &eb) == -1 ||
	    hsrc_options(h, set->g, &eb) == -1)
		goto fail;
	h->path = xstrdup(path);
	if ((fd = hsrc_bind(h, spec, host, port, path, &eb)) == -1 ||
	    hsrc_start(h, fd, &eb) == -1)
		goto fail;
	h->s.ops = &hsrc_ops;
	h->s.name = source_set_name(set, h->base);
	h->s.fd = h->outer;
	h->s.deadline = INT64_MAX;
	h->s.delivery = 1;
	if (strcmp(port, "0") == 0 || set->g->verbose)
		fprintf(stderr, "evpipe: listening on %s\n", h->base);
	source_set_add(set, &h->s);
	return 0;
fail:
	fprintf(stderr, "evpipe: %s\n", eb.msg);
	set->status = eb.status;
	hsrc_free(&h->s);
	return -1;
}
