/*
 * sink/nats.c -- nats://HOST:PORT[,HOST:PORT...]/SUBJECT[?msgid={EXPR}] (and
 * nats+tls://): each event is one JetStream publish to SUBJECT.
 *
 * Policy (evpipe-brokers(7)):
 *  - SUBJECT may hold {EXPR} parts; each rendered value is made safe as
 *    part of one token: ".", "*", ">", whitespace and control bytes
 *    become "_"; an empty value would make an empty token and refuses
 *    the event, as does a value longer than TEMPLATE_MAX_COMPONENT bytes;
 *  - every message has a Nats-Msg-Id header: ?msgid= rendered, by
 *    default the XXH3-128 hash of the event's bytes, so the server drops
 *    what a retry (or a rerun) sends again within the stream's duplicate
 *    window;
 *  - publishes are asynchronous with at most NATS_MAX_PENDING in flight
 *    (a publish beyond it waits); sync() waits for every acknowledgement
 *    (js_PublishAsyncComplete): a block of events counts as written only
 *    once the stream has stored all of it;
 *  - a publish nobody answers (no responders: the stream's leader died
 *    and no new one is elected yet, or a server restarts), one not
 *    acknowledged within NATS_ACK_WAIT_MS (the connection died with it
 *    in flight) and one the client could not send (its reconnect buffer
 *    is full, or the server died under the write) are not failures:
 *    they wait in the retry queue, and settle() publishes them again
 *    (same message id, so the server drops a copy it stored already)
 *    with a growing pause, until the stream takes them or NATS_RETRY_MS
 *    have passed without it.  No new event is published while the
 *    queue holds any, so it never holds more than what was in flight.
 *    A message that had no responders fails at once when the server
 *    says no stream takes its subject;
 *  - a message the server refuses (too large, no stream for the
 *    subject, ...) goes to the failed queue with the server's error and
 *    is dead-lettered by sinkset.c;
 *  - credentials from files only: --nats-creds, --nats-nkey,
 *    --nats-token-file; TLS with nats+tls:// or --nats-tls-ca, a client
 *    certificate with --nats-tls-cert and --nats-tls-key.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dl-nats.h"

#include "broker.h"
#include "expr/template.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/hash.h"
#include "lib/nats-conn.h"
#include "lib/xmalloc.h"
#include "record.h"
#include "target.h"

#define NATS_MAX_PENDING    4096
#define NATS_ACK_WAIT_MS    5000
#define NATS_RETRY_MS	    30000
#define NATS_RETRY_PAUSE_MS 100	 /* the first pause; doubles up to ~1 s */
#define NATS_LOOKUPS	    16	 /* subjects asked "which stream takes it" */
#define NATS_LOOKUP_MS	    1000 /* the longest wait for that answer */

/* One part of a subject: literal text, or a compiled "{EXPR}". */
struct subj_part {
	char *text;
	struct template *t;
};

/* Why a message waits in the retry queue. */
enum nats_retry_why {
	RETRY_NORESP,  /* no responders */
	RETRY_TIMEOUT, /* no acknowledgement in time */
	RETRY_SEND,    /* the client could not send it */
};

struct nats_retry_ent {
	natsMsg *m;
	enum nats_retry_why why;
};

/* Messages to publish again, filled from the client's thread too. */
struct nats_retryq {
	pthread_mutex_t mu;
	struct nats_retry_ent *v;
	size_t n, cap; /* n is read without mu with __atomic_load_n */
};

struct nats_priv {
	natsConnection *nc;
	natsOptions *opts;
	jsCtx *js;
	struct subj_part *parts;
	size_t nparts;
	struct template *msgid;
	struct buf subj, val, id;
	char *spec;
	struct broker_failq failq;
	struct nats_retryq retry;
};

/* Bytes that may never appear in a subject a publisher names. */
static int
subj_bad(unsigned char c)
{
	return c <= ' ' || c == 0x7f || c == '*' || c == '>';
}

static void
parts_free(struct subj_part *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].text);
		if (v[i].t)
			template_free(v[i].t);
	}
	free(v);
}

/*
 * Split and check the subject: literal parts of valid subject bytes,
 * {EXPR} parts compiled, and no empty token whatever the values are.
 */
static int
subject_parse(const char *subj, const char *spec, struct subj_part **out,
	      size_t *nout, struct errbuf *eb)
{
	struct subj_part *v = NULL;
	size_t n = 0;
	const char *p = subj;
	struct buf shape = BUF_INIT; /* the subject with each value "x" */

	while (*p) {
		const char *q;
		struct subj_part part = { 0 };

		if (*p == '{') {
			q = template_expr_end(p);
			if (q == NULL) {
				errbuf_set(eb, STATUS_USAGE,
					   "target '%s': unbalanced { in the "
					   "subject",
					   spec);
				goto fail;
			}
			part.text = xstrndup(p, (size_t)(q - p));
			part.t = template_compile(part.text, NULL, eb);
			if (part.t == NULL) {
				free(part.text);
				errbuf_prefix(eb, "target '%s'", spec);
				goto fail;
			}
			buf_addc(&shape, 'x');
		} else {
			for (q = p; *q && *q != '{'; q++) {
				if (*q == '}' || subj_bad((unsigned char)*q)) {
					errbuf_set(eb, STATUS_USAGE,
						   "target '%s': the subject "
						   "may not hold '%c' (no "
						   "wildcards, spaces or "
						   "control characters)",
						   spec,
						   (unsigned char)*q < ' '
							   ? '?'
							   : *q);
					goto fail;
				}
			}
			part.text = xstrndup(p, (size_t)(q - p));
			buf_add(&shape, p, (size_t)(q - p));
		}
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = part;
		p = q;
	}
	if (shape.len == 0 || shape.data[0] == '.' ||
	    shape.data[shape.len - 1] == '.' || strstr(shape.data, "..")) {
		errbuf_set(eb, STATUS_USAGE,
			   "target '%s': the subject has an empty token", spec);
		goto fail;
	}
	buf_release(&shape);
	*out = v;
	*nout = n;
	return 0;
fail:
	buf_release(&shape);
	parts_free(v, n);
	return -1;
}

/* Check the URL; with out != NULL, hand over its parts. */
static int
nats_parse(const char *spec, struct broker_url *u, struct subj_part **parts,
	   size_t *nparts, struct template **msgid, struct errbuf *eb)
{
	const char *rest =
		strncmp(spec, "nats+tls://", 11) == 0 ? spec + 11 : spec + 7;

	if (broker_url_parse(rest, spec, "msgid", u, eb) == -1)
		return -1;
	if (subject_parse(u->path, spec, parts, nparts, eb) == -1)
		goto fail;
	*msgid = NULL;
	if (u->param) {
		*msgid = template_compile(u->param, NULL, eb);
		if (*msgid == NULL) {
			errbuf_prefix(eb, "target '%s': ?msgid=", spec);
			parts_free(*parts, *nparts);
			goto fail;
		}
	}
	return 0;
fail:
	broker_url_free(u);
	return -1;
}

/* The --nats-* options, from the runner's copy of the globals. */
static struct nats_auth
nats_auth(void)
{
	const struct broker_opts *o = &sink_broker_opts;
	struct nats_auth a = {
		.creds = o->nats_creds,
		.nkey = o->nats_nkey,
		.token_file = o->nats_token_file,
		.tls_ca = o->nats_tls_ca,
		.tls_cert = o->nats_tls_cert,
		.tls_key = o->nats_tls_key,
		.js_domain = o->nats_js_domain,
		.js_prefix = o->nats_js_prefix,
	};

	return a;
}

int
nats_check(const char *rest, const char *spec, struct errbuf *eb)
{
	struct nats_auth a = nats_auth();
	struct broker_url u;
	struct subj_part *parts;
	size_t nparts;
	struct template *msgid;

	(void)rest;
	if (nats_parse(spec, &u, &parts, &nparts, &msgid, eb) == -1)
		return -1;
	parts_free(parts, nparts);
	if (msgid)
		template_free(msgid);
	broker_url_free(&u);
	return nats_auth_check(&a, eb);
}

static void
retry_push(struct nats_retryq *q, natsMsg *m, enum nats_retry_why why)
{
	pthread_mutex_lock(&q->mu);
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->v = xreallocarray(q->v, q->cap, sizeof *q->v);
	}
	q->v[q->n].m = m;
	q->v[q->n].why = why;
	__atomic_store_n(&q->n, q->n + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&q->mu);
}

/* Take the whole queue: *n entries in *v, to free. */
static void
retry_take(struct nats_retryq *q, struct nats_retry_ent **v, size_t *n)
{
	pthread_mutex_lock(&q->mu);
	*v = q->v;
	*n = q->n;
	q->v = NULL;
	q->cap = 0;
	__atomic_store_n(&q->n, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&q->mu);
}

/*
 * An error the server or the client gave a publish (called on the
 * client's thread).  No responders and a timeout may pass: the message
 * is taken from the library (pae->Msg = NULL) into the retry queue.
 * Anything else is the stream refusing this message for good.
 */
static void
nats_puberr(jsCtx *js, jsPubAckErr *pae, void *closure)
{
	struct nats_priv *p = closure;
	const char *why =
		pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err);

	(void)js;
	if (pae->Err == NATS_NO_RESPONDERS || pae->Err == NATS_TIMEOUT) {
		retry_push(&p->retry, pae->Msg,
			   pae->Err == NATS_TIMEOUT ? RETRY_TIMEOUT
						    : RETRY_NORESP);
		pae->Msg = NULL;
		return;
	}
	broker_failq_push(&p->failq, natsMsg_GetData(pae->Msg),
			  (size_t)natsMsg_GetDataLength(pae->Msg), p->spec,
			  why);
}

static int
nats_connect(struct nats_priv *p, const struct broker_url *u, int tls,
	     struct errbuf *eb)
{
	struct nats_auth a = nats_auth();
	natsStatus st;
	jsOptions jo;

	if (nats_conn_options(&p->opts, u->hosts, tls, &a, p->spec, eb) == -1 ||
	    nats_conn_connect(&p->nc, p->opts, &a, p->spec, eb) == -1)
		return -1;
	jsOptions_Init(&jo);
	jo.Wait = NATS_ACK_WAIT_MS;
	nats_js_options(&jo, &a); /* for what it asks the API (no_stream()) */
	jo.PublishAsync.MaxPending = NATS_MAX_PENDING;
	jo.PublishAsync.ErrHandler = nats_puberr;
	jo.PublishAsync.ErrHandlerClosure = p;
	st = natsConnection_JetStream(&p->js, p->nc, &jo);
	if (st != NATS_OK)
		return nats_conn_error(st, "JetStream", p->spec, eb);
	return 0;
}

static void
nats_priv_free(struct nats_priv *p)
{
	if (p->js)
		jsCtx_Destroy(p->js);
	if (p->nc) {
		natsConnection_Close(p->nc);
		natsConnection_Destroy(p->nc);
	}
	if (p->opts)
		natsOptions_Destroy(p->opts);
	parts_free(p->parts, p->nparts);
	if (p->msgid)
		template_free(p->msgid);
	buf_release(&p->subj);
	buf_release(&p->val);
	buf_release(&p->id);
	broker_failq_destroy(&p->failq);
	for (size_t i = 0; i < p->retry.n; i++)
		natsMsg_Destroy(p->retry.v[i].m);
	free(p->retry.v);
	pthread_mutex_destroy(&p->retry.mu);
	free(p->spec);
	free(p);
}

/* Whether the subject or the message id template reads input_meta. */
static int
nats_uses_meta(const struct nats_priv *p)
{
	if (p->msgid && template_uses_input_meta(p->msgid))
		return 1;
	for (size_t i = 0; i < p->nparts; i++)
		if (p->parts[i].t && template_uses_input_meta(p->parts[i].t))
			return 1;
	return 0;
}

static int
nats_open(struct sink *s, const char *rest, struct errbuf *eb)
{
	struct nats_priv *p = xcalloc(1, sizeof *p);
	struct broker_url u;

	(void)rest;
	p->spec = xstrdup(s->spec);
	buf_init(&p->subj);
	buf_init(&p->val);
	buf_init(&p->id);
	broker_failq_init(&p->failq);
	pthread_mutex_init(&p->retry.mu, NULL);
	if (nats_parse(s->spec, &u, &p->parts, &p->nparts, &p->msgid, eb) ==
	    -1) {
		p->parts = NULL;
		p->nparts = 0;
		nats_priv_free(p);
		return -1;
	}
	if (sink_want_meta(s, nats_uses_meta(p), eb) == -1) {
		broker_url_free(&u);
		nats_priv_free(p);
		return -1;
	}
	if (nats_connect(p, &u, strncmp(s->spec, "nats+tls://", 11) == 0, eb) ==
	    -1) {
		broker_url_free(&u);
		nats_priv_free(p);
		return -1;
	}
	broker_url_free(&u);
	s->priv = p;
	return 0;
}

/* Render the subject and the message id for one event; -1 with why. */
static int
nats_render(struct nats_priv *p, const char *ev, size_t len, const char *meta,
	    size_t metalen, char *why, size_t whysz)
{
	struct record rec;
	struct errbuf teb = { 0 };
	int rc = -1;

	record_init(&rec, "nats", 0, ev, len);
	rec.meta = meta;
	rec.metalen = metalen;
	buf_reset(&p->subj);
	for (size_t i = 0; i < p->nparts; i++) {
		const struct subj_part *sp = &p->parts[i];

		if (sp->t == NULL) {
			buf_adds(&p->subj, sp->text);
			continue;
		}
		buf_reset(&p->val);
		if (template_render_record(sp->t, &rec, TEMPLATE_PLAIN, NULL,
					   &p->val, &teb) == -1) {
			snprintf(why, whysz, "subject %s: %s", sp->text,
				 teb.msg);
			goto out;
		}
		if (p->val.len == 0) {
			snprintf(why, whysz,
				 "subject %s: the value is empty (an empty "
				 "token)",
				 sp->text);
			goto out;
		}
		if (p->val.len > TEMPLATE_MAX_COMPONENT) {
			snprintf(why, whysz,
				 "subject %s: the value is longer than %d "
				 "bytes",
				 sp->text, TEMPLATE_MAX_COMPONENT);
			goto out;
		}
		for (size_t k = 0; k < p->val.len; k++) {
			unsigned char c = (unsigned char)p->val.data[k];

			buf_addc(&p->subj,
				 subj_bad(c) || c == '.' ? '_' : (char)c);
		}
	}
	buf_reset(&p->id);
	if (p->msgid) {
		if (template_render_record(p->msgid, &rec, TEMPLATE_PLAIN, NULL,
					   &p->id, &teb) == -1) {
			snprintf(why, whysz, "?msgid=: %s", teb.msg);
			goto out;
		}
		for (size_t k = 0; k < p->id.len; k++)
			if ((unsigned char)p->id.data[k] < ' ' ||
			    p->id.data[k] == 0x7f) {
				snprintf(why, whysz,
					 "?msgid=: a control character in "
					 "the message id");
				goto out;
			}
		if (p->id.len == 0) {
			snprintf(why, whysz,
				 "?msgid=: the message id is empty");
			goto out;
		}
	} else {
		struct hash128 h = hash128(ev, len);

		buf_addf(&p->id, "%016llx%016llx", (unsigned long long)h.hi,
			 (unsigned long long)h.lo);
	}
	rc = 0;
out:
	record_release(&rec);
	errbuf_clear(&teb);
	return rc;
}

/*
 * A publish that failed for now, not for good: stalled behind
 * NATS_MAX_PENDING, the reconnect buffer full, or the write to a server
 * that just died failed (the library reconnects; the message may have
 * gone out, and its id makes a second copy harmless).
 */
static int
send_transient(natsStatus st)
{
	return st == NATS_TIMEOUT || st == NATS_INSUFFICIENT_BUFFER ||
	       st == NATS_CONNECTION_DISCONNECTED || st == NATS_IO_ERROR ||
	       st == NATS_STALE_CONNECTION;
}

/*
 * The subjects settle() asked the server about, and its answers: a
 * subject some stream takes is not asked about again; one the server
 * did not answer for (its JetStream leader may be the server that died)
 * is asked again in the next round, and after one unanswered question
 * no more are asked in the same round.
 */
struct nats_lookups {
	char *subj[NATS_LOOKUPS];
	int nostream[NATS_LOOKUPS];
	int n;
	int unanswered; /* in this round */
};

/* 1 if the server says that no stream takes subj; 0 if one does or if
 * it cannot say. */
static int
no_stream(struct nats_priv *p, const char *subj, struct nats_lookups *lk)
{
	jsStreamNamesList *list = NULL;
	jsOptions o;
	natsStatus st;

	for (int i = 0; i < lk->n; i++)
		if (strcmp(lk->subj[i], subj) == 0)
			return lk->nostream[i];
	if (lk->n == NATS_LOOKUPS || lk->unanswered)
		return 0;
	jsOptions_Init(&o);
	o.Wait = NATS_LOOKUP_MS;
	o.Stream.Info.SubjectsFilter = subj;
	st = js_StreamNames(&list, p->js, &o, NULL);
	jsStreamNamesList_Destroy(list);
	if (st != NATS_OK && st != NATS_NOT_FOUND) {
		lk->unanswered = 1;
		return 0;
	}
	lk->subj[lk->n] = xstrdup(subj);
	lk->nostream[lk->n] = st == NATS_NOT_FOUND;
	return lk->nostream[lk->n++];
}

static const char *
retry_reason(enum nats_retry_why why, int nostream)
{
	if (nostream)
		return "no stream takes this subject (no responders)";
	switch (why) {
	case RETRY_NORESP:
		return "no responders for 30 s (no stream takes this subject, "
		       "or it has no leader)";
	case RETRY_TIMEOUT:
		return "not acknowledged by the stream within 30 s";
	case RETRY_SEND:
		break;
	}
	return "could not be sent to the server within 30 s";
}

/*
 * Wait until every message in flight is acknowledged or refused for
 * good: what has no acknowledgement after NATS_ACK_WAIT_MS, and what the
 * retry queue holds, is published again after a pause, round after
 * round, for NATS_RETRY_MS; then what is left is refused.
 */
static void
nats_settle(struct nats_priv *p)
{
	int64_t start = nats_Now();
	struct nats_lookups lk = { .n = 0 };
	jsPubOptions po;

	jsPubOptions_Init(&po);
	po.MaxWait = NATS_ACK_WAIT_MS;
	for (int64_t pause = NATS_RETRY_PAUSE_MS;;
	     pause = 2 * pause < 1000 ? 2 * pause : 1000) {
		struct nats_retry_ent *v;
		natsMsgList pending;
		size_t n;
		int expired;

		if (js_PublishAsyncComplete(p->js, &po) != NATS_OK &&
		    js_PublishAsyncGetPendingList(&pending, p->js) == NATS_OK) {
			for (int i = 0; i < pending.Count; i++) {
				retry_push(&p->retry, pending.Msgs[i],
					   RETRY_TIMEOUT);
				pending.Msgs[i] = NULL;
			}
			natsMsgList_Destroy(&pending);
		}
		retry_take(&p->retry, &v, &n);
		if (n == 0)
			break;
		expired = nats_Now() - start >= NATS_RETRY_MS;
		if (!expired)
			nats_Sleep(pause);
		for (size_t i = 0; i < n; i++) {
			natsMsg *m = v[i].m;
			int nostream = v[i].why == RETRY_NORESP &&
				       no_stream(p, natsMsg_GetSubject(m), &lk);
			natsStatus st = NATS_OK;

			if (!expired && !nostream) {
				st = js_PublishMsgAsync(p->js, &m, NULL);
				if (st == NATS_OK)
					continue;
				if (send_transient(st)) {
					retry_push(&p->retry, m, RETRY_SEND);
					continue;
				}
			}
			broker_failq_push(
				&p->failq, natsMsg_GetData(m),
				(size_t)natsMsg_GetDataLength(m), p->spec,
				st == NATS_OK ? retry_reason(v[i].why, nostream)
					      : natsStatus_GetText(st));
			natsMsg_Destroy(m);
		}
		free(v);
		lk.unanswered = 0;
	}
	for (int i = 0; i < lk.n; i++)
		free(lk.subj[i]);
}

static void
nats_publish(struct nats_priv *p, const char *ev, size_t len, const char *meta,
	     size_t metalen)
{
	char why[1024];
	natsMsg *m = NULL;
	natsStatus st;

	if (nats_render(p, ev, len, meta, metalen, why, sizeof why) == -1) {
		broker_failq_push(&p->failq, ev, len, p->spec, why);
		return;
	}
	/* nothing new goes out while older messages wait to be retried */
	if (__atomic_load_n(&p->retry.n, __ATOMIC_ACQUIRE) > 0)
		nats_settle(p);
	st = natsMsg_Create(&m, p->subj.data, NULL, ev, (int)len);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, "Nats-Msg-Id", p->id.data);
	if (st == NATS_OK) {
		/* waits while NATS_MAX_PENDING are in flight */
		st = js_PublishMsgAsync(p->js, &m, NULL);
		if (send_transient(st)) {
			/* stalled, the reconnect buffer full, a dead
			 * server */
			retry_push(&p->retry, m, RETRY_SEND);
			nats_settle(p);
			return;
		}
	}
	if (st != NATS_OK) {
		const char *d = nats_GetLastError(NULL);

		broker_failq_push(&p->failq, ev, len, p->spec,
				  d && *d ? d : natsStatus_GetText(st));
	}
	natsMsg_Destroy(m); /* NULL when the library took it */
}

/* Publish a block of events, with their metadata when the templates
 * read input_meta (a line each, see sink_kind). */
static int
nats_write_meta(struct sink *s, const char *buf, size_t len, const char *meta,
		size_t metalen, struct errbuf *eb)
{
	struct nats_priv *p = s->priv;
	struct broker_block blk;
	struct broker_event e;

	(void)eb;
	broker_block_init(&blk, buf, len, meta, metalen);
	while (broker_block_next(&blk, &e))
		nats_publish(p, e.ev, e.len, e.meta, e.metalen);
	return 0;
}

static int
nats_write(struct sink *s, const char *buf, size_t len, struct errbuf *eb)
{
	return nats_write_meta(s, buf, len, NULL, 0, eb);
}

/* Wait until the stream stored, or refused for good, every message. */
static int
nats_sync(struct sink *s, struct errbuf *eb)
{
	(void)eb;
	nats_settle(s->priv);
	return 0;
}

static int
nats_failed(struct sink *s, char **event, size_t *len, char *why, size_t whysz)
{
	struct nats_priv *p = s->priv;

	return broker_failq_pop(&p->failq, event, len, why, whysz);
}

static int
nats_close(struct sink *s, struct errbuf *eb)
{
	struct nats_priv *p = s->priv;
	int rc = 0;

	if (!s->broken)
		rc = nats_sync(s, eb);
	if (rc == 0 && p->failq.head < p->failq.n)
		rc = errbuf_set(eb, STATUS_IO, "%s: messages refused", s->spec);
	nats_priv_free(p);
	return rc;
}

const struct sink_kind sink_nats = {
	.scheme = "nats://",
	.summary = "a NATS JetStream subject: nats://HOST:PORT/SUBJECT",
	.open = nats_open,
	.write = nats_write,
	.write_meta = nats_write_meta,
	.sync = nats_sync,
	.close = nats_close,
	.failed = nats_failed,
};
