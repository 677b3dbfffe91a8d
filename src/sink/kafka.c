/*
 * sink/kafka.c -- kafka://HOST:PORT[,HOST:PORT...]/TOPIC[?key={EXPR}]: each
 * event is one message of TOPIC, produced with librdkafka.
 *
 * Policy (evpipe-brokers(7)):
 *  - an idempotent producer (enable.idempotence=true: the broker drops
 *    the duplicates of its own retries) with the murmur2_random
 *    partitioner, so a key lands on the partition a Java client picks;
 *  - the key is the template of ?key= rendered for the event (values as
 *    they are); an event it cannot be rendered for is refused;
 *  - the topic is fixed: a "{" in it is a usage error;
 *  - librdkafka properties come from --kafka-config FILE (key=value
 *    lines, # comments) and then --kafka-set KEY=VALUE, after our
 *    defaults (message.timeout.ms=KAFKA_TIMEOUT_MS); an unknown property
 *    or a bad value is a usage error, found before any event is read;
 *  - each write() is a block of events (256 KiB from sinkset.c), given
 *    to librdkafka at once, KAFKA_BATCH messages a call when the target
 *    has no headers; a block counts as written only once the broker has
 *    acknowledged all of it (at least once).  Up to KAFKA_BLOCKS blocks
 *    may be in flight: settle() says how many of the oldest are
 *    acknowledged in full (sinkset.c then forgets them and hands over
 *    more while the broker answers), sync() waits for them all.  A
 *    message the broker refuses (too large, unknown topic, ...) goes
 *    to the failed queue once its block is settled, and is
 *    dead-lettered by sinkset.c with the broker's error; messages that
 *    time out (no broker reachable within message.timeout.ms) fail the
 *    target for good, with the last error librdkafka reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dl-rdkafka.h"

#include "broker.h"
#include "expr/template.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/kafka-conf.h"
#include "lib/xmalloc.h"
#include "record.h"
#include "target.h"

#define KAFKA_TIMEOUT_MS       "30000" /* message.timeout.ms unless set */
#define KAFKA_MAX_HEADERS      32      /* &header= of one target */
#define KAFKA_MAX_HEADER_NAME  128     /* bytes of a header's name */
#define KAFKA_MAX_HEADER_VALUE 65536   /* bytes of a rendered header value */
#define KAFKA_BLOCKS	       64      /* blocks in flight at most */
#define KAFKA_BATCH	       256     /* messages in one produce_batch call */
#define KAFKA_NO_KEY	       ((size_t)-1) /* a key that rendered null */

/* &header=NAME:TEMPLATE */
struct kafka_header {
	char *name;
	struct template *t;
};

/* A message of a block that was refused: it waits for its block. */
struct kafka_fail {
	char *event;
	size_t len;
	char *why;
};

/* A block handed over by write(), until the broker answered for all of it. */
struct kafka_block {
	uint64_t outstanding; /* produced, no delivery report yet */
	struct kafka_fail *fail;
	size_t nfail, capfail;
};

struct kafka_priv {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	struct template *key;
	struct buf keybuf;
	struct kafka_header *hdr;
	size_t nhdr;
	struct buf hbuf; /* the rendered header values, one after another */
	rd_kafka_message_t *batch; /* KAFKA_BATCH messages for librdkafka */
	struct buf keys;	   /* their keys, one after another */
	size_t *keyoff, *keylen;   /* key i: keys[keyoff[i]], keylen[i]
				    * bytes, or KAFKA_NO_KEY */
	int key_null;		   /* the key rendered last was null */
	/* TEMPLATE_NULLABLE when the key reads input_meta: a message that
	 * had no key is copied without one; else TEMPLATE_PLAIN (a null
	 * key refuses the event) */
	enum template_mode key_mode;
	size_t *hoff; /* value i is hbuf[hoff[i], hoff[i + 1]) */
	char *spec;
	struct broker_failq failq;
	/* librdkafka calls our callbacks (delivery reports, errors) only
	 * from rd_kafka_poll() and rd_kafka_flush(), on the thread that
	 * writes: what follows needs no lock */
	uint64_t outstanding; /* produced, no delivery report yet */
	/* blocks [first, next) are in flight, in blk[seq % KAFKA_BLOCKS] */
	struct kafka_block blk[KAFKA_BLOCKS];
	uint64_t first, next;
	size_t settled;	      /* blocks settled since settle() last said so */
	int timed_out;	      /* a message timed out: no broker took it */
	char last_error[256]; /* the last error librdkafka reported */
};

/* Topic names as Kafka allows them. */
static int
topic_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      (*t >= '0' && *t <= '9') || *t == '.' || *t == '_' ||
		      *t == '-'))
			return 0;
	return 1;
}

/* Our defaults, then --kafka-config, then --kafka-set, then the URL. */
static rd_kafka_conf_t *
conf_build(const struct broker_url *u, struct errbuf *eb)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const struct broker_opts *o = &sink_broker_opts;

	if (kafka_conf_put(conf, "message.timeout.ms", KAFKA_TIMEOUT_MS,
			   "kafka", eb) == -1 ||
	    kafka_conf_put(conf, "partitioner", "murmur2_random", "kafka",
			   eb) == -1 ||
	    kafka_conf_put(conf, "client.id", "evpipe", "kafka", eb) == -1)
		goto fail;
	if (kafka_conf_user(conf, o->kafka_config, o->kafka_set, o->nkafka_set,
			    eb) == -1)
		goto fail;
	/* What the target promises is not left to the properties. */
	if (kafka_conf_put(conf, "bootstrap.servers", u->hosts, "kafka", eb) ==
		    -1 ||
	    kafka_conf_put(conf, "enable.idempotence", "true", "kafka", eb) ==
		    -1)
		goto fail;
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

static void
headers_free(struct kafka_header *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(h[i].name);
		template_free(h[i].t);
	}
	free(h);
}

/* A header name: 1 to KAFKA_MAX_HEADER_NAME of A-Z a-z 0-9 . _ - */
static int
header_name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > KAFKA_MAX_HEADER_NAME)
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
		      p[i] == '_' || p[i] == '-'))
			return 0;
	return 1;
}

/*
 * A template of the target.  It may read input_meta: the sink set hands
 * each event's metadata over with it (sink_open_unbuffered()); kafka_open()
 * refuses that to other openers (--dlq, stats -t), which have none.
 */
static struct template *
kafka_template(const char *src, const char *spec, const char *what,
	       struct errbuf *eb)
{
	struct template *t = template_compile(src, NULL, eb);

	if (t == NULL) {
		errbuf_prefix(eb, "target '%s': %s", spec, what);
		return NULL;
	}
	return t;
}

/* The &header=NAME:TEMPLATE parameters of u, compiled.  0, or -1. */
static int
headers_parse(const struct broker_url *u, const char *spec,
	      struct kafka_header **out, size_t *nout, struct errbuf *eb)
{
	struct kafka_header *h;
	size_t i, j;
	char what[KAFKA_MAX_HEADER_NAME + 32];

	*out = NULL;
	*nout = 0;
	if (u->nmore == 0)
		return 0;
	if (u->nmore > KAFKA_MAX_HEADERS)
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': %zu headers, at most %d", spec,
				  u->nmore, KAFKA_MAX_HEADERS);
	h = xcalloc(u->nmore, sizeof *h);
	for (i = 0; i < u->nmore; i++) {
		const char *v = u->more[i], *colon = strchr(v, ':');

		if (colon == NULL || !header_name_ok(v, (size_t)(colon - v))) {
			errbuf_set(eb, STATUS_USAGE,
				   "target '%s': header=%s: expected "
				   "header=NAME:TEMPLATE, NAME 1 to %d of "
				   "A-Z a-z 0-9 . _ - (event data never "
				   "picks a header name)",
				   spec, v, KAFKA_MAX_HEADER_NAME);
			goto fail;
		}
		h[i].name = xstrndup(v, (size_t)(colon - v));
		for (j = 0; j < i; j++)
			if (strcmp(h[j].name, h[i].name) == 0) {
				errbuf_set(eb, STATUS_USAGE,
					   "target '%s': header %s given "
					   "twice",
					   spec, h[i].name);
				goto fail;
			}
		snprintf(what, sizeof what, "header=%s", h[i].name);
		h[i].t = kafka_template(colon + 1, spec, what, eb);
		if (h[i].t == NULL)
			goto fail;
	}
	*out = h;
	*nout = u->nmore;
	return 0;
fail:
	headers_free(h, u->nmore); /* calloc'd: the rest is NULL */
	return -1;
}

int
kafka_check(const char *rest, const char *spec, struct errbuf *eb)
{
	struct broker_url u;
	rd_kafka_conf_t *conf;
	struct kafka_header *h;
	size_t nh;
	int rc = -1;

	if (broker_url_parse(rest, spec, "key,header", &u, eb) == -1)
		return -1;
	if (strchr(u.path, '{') != NULL) {
		errbuf_set(eb, STATUS_USAGE,
			   "target '%s': the topic is fixed ({EXPR} only "
			   "in ?key=): event data never picks a topic",
			   spec);
		goto out;
	}
	if (!topic_ok(u.path)) {
		errbuf_set(eb, STATUS_USAGE,
			   "target '%s': bad topic '%s' (1 to 249 of "
			   "A-Z a-z 0-9 . _ -)",
			   spec, u.path);
		goto out;
	}
	if (u.param) {
		struct template *t = kafka_template(u.param, spec, "?key=", eb);

		if (t == NULL)
			goto out;
		template_free(t);
	}
	if (headers_parse(&u, spec, &h, &nh, eb) == -1)
		goto out;
	headers_free(h, nh);
	conf = conf_build(&u, eb);
	if (conf == NULL)
		goto out;
	/* what librdkafka refuses only when the producer is made, now */
	rc = kafka_conf_try(conf, RD_KAFKA_PRODUCER, spec, eb);
	rd_kafka_conf_destroy(conf);
out:
	broker_url_free(&u);
	return rc;
}

/* Message ev of block b was refused. */
static void
block_fail(struct kafka_block *b, const void *ev, size_t len, const char *why)
{
	struct kafka_fail *f;

	if (b->nfail == b->capfail) {
		b->capfail = b->capfail ? 2 * b->capfail : 8;
		b->fail = xreallocarray(b->fail, b->capfail, sizeof *b->fail);
	}
	f = &b->fail[b->nfail++];
	f->event = xmalloc(len + 1);
	memcpy(f->event, ev, len);
	f->event[len] = '\0';
	f->len = len;
	f->why = xstrdup(why);
}

static void
block_clear(struct kafka_block *b)
{
	size_t i;

	for (i = 0; i < b->nfail; i++) {
		free(b->fail[i].event);
		free(b->fail[i].why);
	}
	b->nfail = 0;
	b->outstanding = 0;
}

/* A delivery report: its message's opaque is its block. */
static void
kafka_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_priv *p = opaque;
	struct kafka_block *b = m->_private;

	(void)rk;
	if (m->err) {
		if (m->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT ||
		    m->err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
		    m->err == RD_KAFKA_RESP_ERR__TRANSPORT ||
		    m->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
			p->timed_out = 1;
		block_fail(b, m->payload, m->len, rd_kafka_err2str(m->err));
	}
	b->outstanding--;
	p->outstanding--;
}

static void
kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_priv *p = opaque;

	(void)rk;
	(void)err;
	snprintf(p->last_error, sizeof p->last_error, "%s", reason);
}

/* librdkafka's own log lines stay quiet: errors reach us by kafka_error. */
static void
kafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf;
}

/* Whether the key or a header template reads input_meta. */
static int
kafka_uses_meta(const struct kafka_priv *p)
{
	size_t i;

	if (p->key && template_uses_input_meta(p->key))
		return 1;
	for (i = 0; i < p->nhdr; i++)
		if (template_uses_input_meta(p->hdr[i].t))
			return 1;
	return 0;
}

static int
kafka_open(struct sink *s, const char *rest, struct errbuf *eb)
{
	struct kafka_priv *p;
	struct broker_url u;
	rd_kafka_conf_t *conf;
	char err[512];

	if (broker_url_parse(rest, s->spec, "key,header", &u, eb) == -1)
		return -1;
	conf = conf_build(&u, eb);
	if (conf == NULL) {
		broker_url_free(&u);
		return -1;
	}
	p = xcalloc(1, sizeof *p);
	p->spec = xstrdup(s->spec);
	buf_init(&p->keybuf);
	buf_init(&p->keys);
	broker_failq_init(&p->failq);
	buf_init(&p->hbuf);
	if (u.param) {
		p->key = kafka_template(u.param, s->spec, "?key=", eb);
		if (p->key == NULL)
			goto fail_conf;
	}
	if (headers_parse(&u, s->spec, &p->hdr, &p->nhdr, eb) == -1)
		goto fail_conf;
	p->key_mode = p->key && template_uses_input_meta(p->key)
			      ? TEMPLATE_NULLABLE
			      : TEMPLATE_PLAIN;
	if (sink_want_meta(s, kafka_uses_meta(p), eb) == -1)
		goto fail_conf;
	p->hoff = xreallocarray(NULL, p->nhdr + 1, sizeof *p->hoff);
	p->batch = xreallocarray(NULL, KAFKA_BATCH, sizeof *p->batch);
	p->keyoff = xreallocarray(NULL, KAFKA_BATCH, sizeof *p->keyoff);
	p->keylen = xreallocarray(NULL, KAFKA_BATCH, sizeof *p->keylen);
	rd_kafka_conf_set_opaque(conf, p);
	rd_kafka_conf_set_dr_msg_cb(conf, kafka_dr);
	rd_kafka_conf_set_error_cb(conf, kafka_error);
	rd_kafka_conf_set_log_cb(conf, kafka_log);
	p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (p->rk == NULL) {
		errbuf_set(eb, STATUS_USAGE, "%s: %s", s->spec, err);
		goto fail_conf;
	}
	p->rkt = rd_kafka_topic_new(p->rk, u.path, NULL);
	if (p->rkt == NULL) {
		errbuf_set(eb, STATUS_IO, "%s: %s", s->spec,
			   rd_kafka_err2str(rd_kafka_last_error()));
		rd_kafka_destroy(p->rk);
		goto fail;
	}
	broker_url_free(&u);
	s->priv = p;
	return 0;
fail_conf:
	rd_kafka_conf_destroy(conf);
fail:
	if (p->key)
		template_free(p->key);
	headers_free(p->hdr, p->nhdr);
	free(p->hoff);
	free(p->batch);
	free(p->keyoff);
	free(p->keylen);
	buf_release(&p->keys);
	buf_release(&p->hbuf);
	buf_release(&p->keybuf);
	broker_failq_destroy(&p->failq);
	free(p->spec);
	free(p);
	broker_url_free(&u);
	return -1;
}

/*
 * Render the key and the headers of the event into p->keybuf and
 * p->hbuf.  0, or -1 with why (the reason the event is refused).
 */
static int
kafka_render(struct kafka_priv *p, const char *ev, size_t len, const char *meta,
	     size_t metalen, char *why, size_t whysz)
{
	struct errbuf teb = { 0 };
	struct record rec;
	size_t i;
	int r = 0;

	record_init(&rec, "kafka", 0, ev, len);
	rec.meta = meta;
	rec.metalen = metalen;
	buf_reset(&p->keybuf);
	p->key_null = 0;
	if (p->key) {
		int k = template_render_record(p->key, &rec, p->key_mode, NULL,
					       &p->keybuf, &teb);

		if (k == -1) {
			snprintf(why, whysz, "?key=: %s", teb.msg);
			r = -1;
		}
		p->key_null = k == 1;
	}
	buf_reset(&p->hbuf);
	for (i = 0; r == 0 && i < p->nhdr; i++) {
		p->hoff[i] = p->hbuf.len;
		if (template_render_record(p->hdr[i].t, &rec, TEMPLATE_PLAIN,
					   NULL, &p->hbuf, &teb) == -1) {
			snprintf(why, whysz, "header %s: %s", p->hdr[i].name,
				 teb.msg);
			r = -1;
		} else if (p->hbuf.len - p->hoff[i] > KAFKA_MAX_HEADER_VALUE) {
			snprintf(why, whysz,
				 "header %s: the value is longer than %d "
				 "bytes",
				 p->hdr[i].name, KAFKA_MAX_HEADER_VALUE);
			r = -1;
		}
	}
	p->hoff[i] = p->hbuf.len;
	record_release(&rec);
	return r;
}

/* The rendered headers for librdkafka (who frees them once it took the
 * message), or NULL when the target has none. */
static rd_kafka_headers_t *
kafka_headers(const struct kafka_priv *p)
{
	rd_kafka_headers_t *h;
	size_t i;

	if (p->nhdr == 0)
		return NULL;
	h = rd_kafka_headers_new(p->nhdr);
	for (i = 0; i < p->nhdr; i++)
		rd_kafka_header_add(h, p->hdr[i].name, -1,
				    p->hbuf.data + p->hoff[i],
				    p->hoff[i + 1] - p->hoff[i]);
	return h;
}

/* Hand one message to librdkafka (which owns hdrs once it took it). */
static rd_kafka_resp_err_t
kafka_send(struct kafka_priv *p, struct kafka_block *b, const char *ev,
	   size_t len, rd_kafka_headers_t *hdrs)
{
	rd_kafka_vu_t vu[7];
	rd_kafka_error_t *e;
	rd_kafka_resp_err_t err;
	size_t n = 0;

	memset(vu, 0, sizeof vu);
	vu[n].vtype = RD_KAFKA_VTYPE_RKT;
	vu[n++].u.rkt = p->rkt;
	vu[n].vtype = RD_KAFKA_VTYPE_PARTITION;
	vu[n++].u.i32 = RD_KAFKA_PARTITION_UA;
	vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
	vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
	vu[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
	vu[n++].u.ptr = b;
	vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
	vu[n].u.mem.ptr = (void *)ev;
	vu[n++].u.mem.size = len;
	if (p->key && !p->key_null) {
		vu[n].vtype = RD_KAFKA_VTYPE_KEY;
		vu[n].u.mem.ptr = p->keybuf.data;
		vu[n++].u.mem.size = p->keybuf.len;
	}
	if (hdrs) {
		vu[n].vtype = RD_KAFKA_VTYPE_HEADERS;
		vu[n++].u.headers = hdrs;
	}
	e = rd_kafka_produceva(p->rk, vu, n);
	if (e == NULL)
		return RD_KAFKA_RESP_ERR_NO_ERROR;
	err = rd_kafka_error_code(e);
	rd_kafka_error_destroy(e);
	return err;
}

/* Produce one event of block b; a refused one is the block's. */
static void
kafka_produce(struct kafka_priv *p, struct kafka_block *b, const char *ev,
	      size_t len, const char *meta, size_t metalen)
{
	rd_kafka_headers_t *hdrs;
	char why[sizeof(((struct errbuf *)0)->msg) + 160];

	if ((p->key || p->nhdr) &&
	    kafka_render(p, ev, len, meta, metalen, why, sizeof why) == -1) {
		block_fail(b, ev, len, why);
		return;
	}
	hdrs = kafka_headers(p);
	p->outstanding++;
	b->outstanding++;
	for (;;) {
		rd_kafka_resp_err_t err = kafka_send(p, b, ev, len, hdrs);

		if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
			break; /* the headers are librdkafka's now */
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			rd_kafka_poll(p->rk, 50);
			continue;
		}
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		p->outstanding--;
		b->outstanding--;
		block_fail(b, ev, len, rd_kafka_err2str(err));
		break;
	}
}

static uint64_t
kafka_outstanding(const struct kafka_priv *p)
{
	return p->outstanding;
}

/*
 * The oldest blocks whose every message has its delivery report are
 * settled: their refused messages go to the failed queue, in order.
 */
static void
kafka_advance(struct kafka_priv *p)
{
	while (p->first < p->next) {
		struct kafka_block *b = &p->blk[p->first % KAFKA_BLOCKS];
		size_t i;

		if (b->outstanding > 0)
			break;
		for (i = 0; i < b->nfail; i++)
			broker_failq_push(&p->failq, b->fail[i].event,
					  b->fail[i].len, p->spec,
					  b->fail[i].why);
		block_clear(b);
		p->first++;
		p->settled++;
	}
}

/*
 * Serve delivery reports until at most keep blocks are in flight.
 * Bounded: librdkafka fails each message after message.timeout.ms.
 */
static int
kafka_wait(struct sink *s, uint64_t keep, struct errbuf *eb)
{
	struct kafka_priv *p = s->priv;
	char fatal[256];
	rd_kafka_resp_err_t ferr;
	int flushed = 0;

	rd_kafka_poll(p->rk, 0);
	for (;;) {
		kafka_advance(p);
		if (p->next - p->first <= keep)
			break;
		/* rd_kafka_flush() sends what lingers at once; polling then
		 * serves the delivery reports as they come (a flush with a
		 * timeout would also wait for librdkafka's other requests) */
		if (!flushed) {
			rd_kafka_flush(p->rk, 0);
			flushed = 1;
		}
		rd_kafka_poll(p->rk, 5);
		ferr = rd_kafka_fatal_error(p->rk, fatal, sizeof fatal);
		if (ferr != RD_KAFKA_RESP_ERR_NO_ERROR) {
			broker_failq_clear(&p->failq);
			return errbuf_set(eb, STATUS_IO, "%s: %s", s->spec,
					  fatal);
		}
	}
	if (p->timed_out) {
		/* sinkset.c rejects what it holds with this reason */
		broker_failq_clear(&p->failq);
		return errbuf_set(eb, STATUS_IO,
				  "%s: not delivered within message.timeout.ms "
				  "(is a broker reachable?)%s%s",
				  s->spec, p->last_error[0] ? ": " : "",
				  p->last_error);
	}
	return 0;
}

/*
 * Hand the n messages of p->batch (of block b) to librdkafka in as few
 * calls as it takes: one, unless its queue is full, when the rest waits
 * for delivery reports.  A message it refuses at once is the block's.
 */
static void
kafka_produce_batch(struct kafka_priv *p, struct kafka_block *b, size_t n)
{
	rd_kafka_message_t *m = p->batch;
	size_t i = 0, j;

	p->outstanding += n;
	b->outstanding += n;
	while (i < n) {
		int got = rd_kafka_produce_batch(p->rkt, RD_KAFKA_PARTITION_UA,
						 RD_KAFKA_MSG_F_COPY, m + i,
						 (int)(n - i));
		size_t full = n;

		if (got == (int)(n - i))
			break;
		/* after a full queue every later one is refused as full */
		for (j = i; j < n && full == n; j++) {
			if (m[j].err == RD_KAFKA_RESP_ERR_NO_ERROR)
				continue;
			if (m[j].err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
				full = j;
				break;
			}
			p->outstanding--;
			b->outstanding--;
			block_fail(b, m[j].payload, m[j].len,
				   rd_kafka_err2str(m[j].err));
		}
		if (full == n)
			break;
		rd_kafka_poll(p->rk, 50);
		for (j = full; j < n; j++)
			m[j].err = RD_KAFKA_RESP_ERR_NO_ERROR;
		i = full;
	}
}

/*
 * Produce the events of blk (block b) without headers: KAFKA_BATCH
 * at a time (one call instead of one each: the clock, the topic's lock
 * and the argument list are taken once).  With a key template, an event
 * whose key cannot be rendered is the block's.
 */
static void
kafka_produce_lines(struct kafka_priv *p, struct kafka_block *b,
		    struct broker_block *blk)
{
	char why[sizeof(((struct errbuf *)0)->msg) + 160];
	rd_kafka_message_t *m = p->batch;
	struct broker_event e;
	size_t n = 0, i;
	int more = broker_block_next(blk, &e);

	while (more) {
		if (n == 0)
			buf_reset(&p->keys);
		if (p->key && kafka_render(p, e.ev, e.len, e.meta, e.metalen,
					   why, sizeof why) == -1) {
			block_fail(b, e.ev, e.len, why);
		} else {
			memset(&m[n], 0, sizeof m[n]);
			m[n].payload = (void *)e.ev;
			m[n].len = e.len;
			m[n]._private = b;
			if (p->key) {
				p->keyoff[n] = p->keys.len;
				p->keylen[n] = p->key_null ? KAFKA_NO_KEY
							   : p->keybuf.len;
				buf_add(&p->keys, p->keybuf.data,
					p->keybuf.len);
			}
			n++;
		}
		more = broker_block_next(blk, &e);
		if (n == KAFKA_BATCH || (n > 0 && !more)) {
			/* the keys' buffer does not move any more */
			for (i = 0; p->key && i < n; i++) {
				if (p->keylen[i] == KAFKA_NO_KEY)
					continue; /* null: no key */
				m[i].key = p->keys.data + p->keyoff[i];
				m[i].key_len = p->keylen[i];
			}
			kafka_produce_batch(p, b, n);
			n = 0;
		}
	}
}

/*
 * Hand over a block of events, with their metadata when the templates
 * read input_meta (meta: a line each, see sink_kind); it is settled later
 * (settle, sync).
 */
static int
kafka_write_meta(struct sink *s, const char *buf, size_t len, const char *meta,
		 size_t metalen, struct errbuf *eb)
{
	struct kafka_priv *p = s->priv;
	struct broker_block blk;
	struct broker_event e;
	struct kafka_block *b;

	/* sinkset.c keeps fewer in flight; other callers sync each block */
	if (p->next - p->first == KAFKA_BLOCKS &&
	    kafka_wait(s, KAFKA_BLOCKS - 1, eb) == -1)
		return -1;
	b = &p->blk[p->next++ % KAFKA_BLOCKS];
	broker_block_init(&blk, buf, len, meta, metalen);
	if (p->nhdr == 0)
		kafka_produce_lines(p, b, &blk);
	while (p->nhdr > 0 && broker_block_next(&blk, &e))
		kafka_produce(p, b, e.ev, e.len, e.meta, e.metalen);
	rd_kafka_poll(p->rk, 0);
	return 0;
}

static int
kafka_write(struct sink *s, const char *buf, size_t len, struct errbuf *eb)
{
	return kafka_write_meta(s, buf, len, NULL, 0, eb);
}

/* Until at most keep blocks are in flight; *n: how many settled. */
static int
kafka_settle(struct sink *s, size_t keep, size_t *n, struct errbuf *eb)
{
	struct kafka_priv *p = s->priv;
	int r = kafka_wait(s, keep, eb);

	*n = p->settled;
	p->settled = 0;
	return r;
}

/* Wait for the delivery report of everything produced. */
static int
kafka_sync(struct sink *s, struct errbuf *eb)
{
	return kafka_wait(s, 0, eb);
}

static int
kafka_failed(struct sink *s, char **event, size_t *len, char *why, size_t whysz)
{
	struct kafka_priv *p = s->priv;

	return broker_failq_pop(&p->failq, event, len, why, whysz);
}

static int
kafka_close(struct sink *s, struct errbuf *eb)
{
	struct kafka_priv *p = s->priv;
	size_t i;
	int rc = 0;

	if (!s->broken && (kafka_outstanding(p) > 0 || p->first < p->next))
		rc = kafka_sync(s, eb);
	if (rc == 0 && p->failq.head < p->failq.n)
		/* refused messages no one took from the queue */
		rc = errbuf_set(eb, STATUS_IO, "%s: messages refused", s->spec);
	if (kafka_outstanding(p) > 0)
		rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE |
					      RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_topic_destroy(p->rkt);
	rd_kafka_destroy(p->rk);
	if (p->key)
		template_free(p->key);
	headers_free(p->hdr, p->nhdr);
	free(p->hoff);
	buf_release(&p->hbuf);
	buf_release(&p->keybuf);
	free(p->batch);
	free(p->keyoff);
	free(p->keylen);
	buf_release(&p->keys);
	broker_failq_destroy(&p->failq);
	for (i = 0; i < KAFKA_BLOCKS; i++) {
		block_clear(&p->blk[i]);
		free(p->blk[i].fail);
	}
	free(p->spec);
	free(p);
	return rc;
}

const struct sink_kind sink_kafka = {
	.scheme = "kafka://",
	.summary = "a Kafka topic: "
		   "kafka://HOST:PORT/TOPIC?key={EXPR}&header=NAME:{EXPR}",
	.open = kafka_open,
	.write = kafka_write,
	.write_meta = kafka_write_meta,
	.sync = kafka_sync,
	.settle = kafka_settle,
	.close = kafka_close,
	.failed = kafka_failed,
};
