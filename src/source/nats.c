/*
 * source/nats.c -- -i nats://HOSTS/STREAM?consumer=NAME[&subject=FILTER]
 * (and nats+tls://): a JetStream durable pull consumer whose messages are
 * acknowledged only once delivered (source.h, Delivery).
 *
 * The consumer is looked up, created when missing (js_AddConsumer: a
 * consumer made by a subscribe call of the library would be deleted when
 * the subscription ends), and then pulled from with the JetStream
 * protocol itself (the library's fetch waits to fill a whole batch, and
 * cannot be woken through a descriptor): a request to
 * $JS.API.CONSUMER.MSG.NEXT.STREAM.NAME asks for at most NSRC_BATCH
 * messages and the bytes that keep the queue under NSRC_QUEUE_BYTES,
 * delivered to an inbox of ours as the stream has them, and waits
 * NSRC_EXPIRES at most.  One request is open at a time, and a new
 * one goes out only while fewer than NSRC_QUEUE_MAX messages wait to be
 * handed out: when the outputs are slow nothing more is fetched.  Every
 * evpipe naming the same consumer pulls from it, so the messages go to
 * whoever asks.  The server's status answers end a request (on_status):
 * most only make us ask again; a deleted consumer ends the run.
 *
 * The library's thread puts what arrives in the queue, with a copy of
 * its reply subject (the acknowledgement address), and wakes the runner
 * through a pipe.  The runner takes everything queued at once, under
 * one lock: the messages into a hand of its own, their reply subjects
 * into the source's table, an entry per message until it is
 * acknowledged; the messages of the hand are then handed out without a
 * lock.  A mark is the number of messages all of whose events were
 * handed out, and delivered(mark) acknowledges ("+ACK") the messages up
 * to it.
 *
 * A thread of the source's own (progress_main()) sends "+WPI" (work in
 * progress) for the entries, queued or in the table, that are past half
 * the consumer's AckWait, looking every second (every quarter of the
 * AckWait if that is shorter): a batch or a sort window that holds
 * events, and a runner blocked in a write to a stalled output or a slow
 * exec: target, do not make the server deliver them again.  The thread
 * sends under the lock that delivered() holds while it acknowledges and
 * removes entries, so no +WPI follows the +ACK of its message (the
 * server would ignore it: a progress acknowledgement of a message no
 * longer pending changes nothing).  At the end what was fetched but not
 * handed out, or handed out but not delivered, is sent "-NAK": the
 * server gives it to a consumer at once, or just after our open request
 * expired (nsrc_stop()).
 *
 * --from applies to each message's payload as a whole input: a csv
 * message starts with its header line, a json message may be an array.
 * A record's source name is "nats://STREAM#" with the stream sequence as
 * its line number, so a reject reads nats://STREAM#SEQ.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/dl-nats.h"

#include "json/json-text.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/nats-conn.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "linereader.h"
#include "pipeline.h"
#include "reader.h"
#include "source.h"

#define NSRC_BATCH	     256  /* messages one pull request asks for */
#define NSRC_QUEUE_MAX	     1024 /* fetched, not handed out */
#define NSRC_QUEUE_BYTES     (8u << 20)
#define NSRC_MSG_EXTRA	     65536 /* a message's subject, reply, headers */
#define NSRC_EXPIRES	     (5LL * 1000000000)	 /* a request waits, ns */
#define NSRC_GONE	     (30LL * 1000000000) /* 503s for that long */
#define NSRC_LOST	     (5LL * 1000000000)	 /* past that: lost */
#define NSRC_TICK	     1000000000LL	 /* ns between checks */
#define NSRC_ACK_WAIT	     (30LL * 1000000000) /* of a consumer we make */
#define NSRC_MAX_ACK_PENDING 10000		 /* of a consumer we make */
#define NSRC_API_WAIT	     10000		 /* ms for the JetStream API */
#define NSRC_NAME_MAX	     NATS_JS_NAME_MAX	 /* nats_token_ok() */
#define NSRC_ASK_STEP	     (NSRC_BATCH / 8)	 /* handed out between looks */

struct nentry {
	char *reply;	 /* the acknowledgement subject */
	int64_t touched; /* arrived, or last told the server (+WPI): mono ns */
};

struct nqueued {
	natsMsg *m;
	struct nentry e; /* its entry, until the runner takes it */
};

struct nsrc {
	struct source s;
	struct source_set *set;
	char *spec, *stream, *consumer, *filter, *next_subj, *inbox;
	char api[NATS_JS_NAME_MAX + 16]; /* the JetStream API prefix */
	char *label;	  /* "-i SPEC", the start of its errors */
	const char *name; /* interned "nats://STREAM#" */
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	natsSubscription *sub;
	int pipe[2];
	int batch;	       /* what a request asks for */
	int64_t max_msg;       /* the largest message: max payload and more */
	int64_t req_max_bytes; /* what the open request may bring */
	int64_t expires;       /* ns a request may wait */
	int64_t ack_wait;
	int64_t tick; /* ns between checks: NSRC_TICK, or a quarter of
		       * a shorter AckWait */
	/* shared with the library's threads and the progress thread,
	 * under mu */
	pthread_mutex_t mu;
	struct nqueued *q; /* a ring of NSRC_QUEUE_MAX */
	size_t qhead, qn;
	size_t qbytes;	       /* of the queue and the hand */
	int req_open;	       /* a pull request is open */
	int req_left;	       /* messages it may still bring */
	int64_t req_sent;      /* mono ns when it was sent */
	int64_t req_expires;   /* mono ns when it must be over */
	int64_t retry_at;      /* no request before (mono ns) */
	int64_t no_resp_since; /* 503 to every request since (mono ns) */
	int woken;	       /* the pipe was written */
	int stopping;
	int disconnected, reconnected; /* to report */
	int fatal;
	int closed; /* the closed callback has run */
	pthread_cond_t closed_cv;
	char why[512];
	/* the table: entries [base, base + n) in v[head...], a ring */
	struct nentry *v;
	size_t cap, head, n;
	uint64_t base;
	/* the progress thread */
	pthread_t wpi;
	pthread_cond_t wpi_cv; /* on CLOCK_MONOTONIC */
	int wpi_started, wpi_stop;
	/* the runner's own */
	natsMsg **hand; /* taken from the queue: [hand_pos, hand_n) */
	size_t hand_pos, hand_n;
	size_t asked_pos;  /* hand_pos when request_more() last looked */
	size_t released;   /* bytes of the hand given back since */
	uint64_t complete; /* messages whose events were all handed out */
	/* the message being handed out */
	natsMsg *cur;
	uint64_t cur_seq;
	int cur_counted;       /* counted in complete: its events are all out */
	size_t pos;	       /* NDJSON: where the next line starts */
	struct reader rd;      /* other formats: a reader over the payload */
	int rd_open;	       /* rd is in use for cur */
	const char *rd_p;      /* what rd reads */
	size_t rd_len, rd_off; /* ... */
	struct buf meta;       /* its metadata (input_meta), if wanted */
	int handed;	       /* records handed out this turn */
	int64_t next_tick;
};

/* ---- the URL ----------------------------------------------------------- */

struct nurl {
	char *hosts, *stream, *consumer, *filter;
	int tls;
};

static void
nurl_free(struct nurl *u)
{
	free(u->hosts);
	free(u->stream);
	free(u->consumer);
	free(u->filter);
	memset(u, 0, sizeof *u);
}

/* A stream or consumer name: what the server takes, no subject syntax,
 * no '/' or '\\'. */
static int
name_ok(const char *p)
{
	return nats_token_ok(p, "/\\");
}

/* A filter subject: non-empty tokens, '*' a whole token, '>' the last. */
static int
filter_ok(const char *p)
{
	const char *tok = p;

	if (*p == '\0')
		return 0;
	for (;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t n = (size_t)(p - tok);

			if (n == 0)
				return 0;
			if (memchr(tok, '*', n) && n != 1)
				return 0;
			if (memchr(tok, '>', n) && (n != 1 || *p != '\0'))
				return 0;
			if (*p == '\0')
				return 1;
			tok = p + 1;
		} else if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			return 0;
		}
	}
}

/* "HOST:PORT" with a port of 1 to 65535 (a host in [] for IPv6). */
static int
hostport_ok(const char *p, size_t n)
{
	const char *colon = NULL;
	unsigned long port = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i] == ':')
			colon = p + i;
	if (colon == NULL || colon == p || colon + 1 == p + n)
		return 0;
	for (const char *q = colon + 1; q < p + n; q++) {
		if (*q < '0' || *q > '9')
			return 0;
		port = port * 10 + (unsigned long)(*q - '0');
		if (port > 65535)
			return 0;
	}
	for (const char *q = p; q < colon; q++)
		if ((unsigned char)*q <= ' ' || *q == '/' || *q == '?' ||
		    *q == '@')
			return 0;
	return port > 0;
}

#define NURL_SHAPE                                                             \
	"nats://HOST:PORT[,HOST:PORT...]/STREAM?consumer=NAME"                 \
	"[&subject=FILTER]"

/* Split "nats://HOSTS/STREAM?consumer=C&subject=F".  0, or -1 (usage). */
static int
nurl_parse(const char *spec, struct nurl *u, struct errbuf *eb)
{
	const char *rest, *slash, *q, *h, *end, *p;

	memset(u, 0, sizeof *u);
	u->tls = strncmp(spec, "nats+tls://", 11) == 0;
	rest = spec + (u->tls ? 11 : 7);
	slash = strchr(rest, '/');
	if (slash == NULL || slash == rest)
		return errbuf_set(eb, STATUS_USAGE,
				  "-i %s: expected " NURL_SHAPE, spec);
	for (h = rest; h < slash; h = end + 1) {
		end = memchr(h, ',', (size_t)(slash - h));
		if (end == NULL)
			end = slash;
		if (!hostport_ok(h, (size_t)(end - h)))
			return errbuf_set(eb, STATUS_USAGE,
					  "-i %s: bad server '%.*s' (expected "
					  "HOST:PORT)",
					  spec, (int)(end - h), h);
	}
	u->hosts = xstrndup(rest, (size_t)(slash - rest));
	q = strchr(slash + 1, '?');
	u->stream = q ? xstrndup(slash + 1, (size_t)(q - slash - 1))
		      : xstrdup(slash + 1);
	if (!name_ok(u->stream)) {
		errbuf_set(eb, STATUS_USAGE,
			   "-i %s: '%s' is not a stream name (1 to %d "
			   "characters, no '.', '*', '>', '/', spaces or "
			   "control characters)",
			   spec, u->stream, NSRC_NAME_MAX);
		goto fail;
	}
	for (p = q; p && *p;) {
		size_t len;
		const char *eq;
		char **slot;

		end = strchr(p + 1, '&');
		len = end ? (size_t)(end - p - 1) : strlen(p + 1);
		eq = memchr(p + 1, '=', len);
		if (eq == NULL) {
			errbuf_set(eb, STATUS_USAGE,
				   "-i %s: expected NAME=VALUE after '%c'",
				   spec, *p);
			goto fail;
		}
		if (eq - p - 1 == 8 && memcmp(p + 1, "consumer", 8) == 0) {
			slot = &u->consumer;
		} else if (eq - p - 1 == 7 &&
			   memcmp(p + 1, "subject", 7) == 0) {
			slot = &u->filter;
		} else {
			errbuf_set(eb, STATUS_USAGE,
				   "-i %s: unknown parameter '%.*s' (consumer, "
				   "subject)",
				   spec, (int)(eq - p - 1), p + 1);
			goto fail;
		}
		free(*slot);
		*slot = xstrndup(eq + 1, len - (size_t)(eq - p));
		p = end;
	}
	if (u->consumer == NULL || *u->consumer == '\0') {
		errbuf_set(eb, STATUS_USAGE,
			   "-i %s: a nats source needs ?consumer=NAME (the "
			   "durable consumer it pulls from)",
			   spec);
		goto fail;
	}
	if (!name_ok(u->consumer)) {
		errbuf_set(eb, STATUS_USAGE,
			   "-i %s: '%s' is not a consumer name (1 to %d "
			   "characters, no '.', '*', '>', '/', spaces or "
			   "control characters)",
			   spec, u->consumer, NSRC_NAME_MAX);
		goto fail;
	}
	if (u->filter && !filter_ok(u->filter)) {
		errbuf_set(eb, STATUS_USAGE,
			   "-i %s: '%s' is not a filter subject (tokens "
			   "separated by '.', none empty; '*' and '>' only "
			   "as whole tokens, '>' only last)",
			   spec, u->filter);
		goto fail;
	}
	return 0;
fail:
	nurl_free(u);
	return -1;
}

static struct nats_auth
nsrc_auth(const struct globals *g)
{
	struct nats_auth a = {
		.creds = g->nats_creds,
		.nkey = g->nats_nkey,
		.token_file = g->nats_token_file,
		.tls_ca = g->nats_tls_ca,
		.tls_cert = g->nats_tls_cert,
		.tls_key = g->nats_tls_key,
		.js_domain = g->nats_js_domain,
		.js_prefix = g->nats_js_prefix,
	};

	return a;
}

int
source_nats_check(const struct globals *g, const char *spec, struct errbuf *eb)
{
	struct nats_auth a = nsrc_auth(g);
	struct nurl u;

	if (nurl_parse(spec, &u, eb) == -1)
		return -1;
	nurl_free(&u);
	return nats_auth_check(&a, eb);
}

/* ---- what the library's threads do ------------------------------------ */

static void
wake(struct nsrc *n)
{
	/* under mu */
	if (!n->woken) {
		n->woken = 1;
		if (write(n->pipe[1], "x", 1) < 0) {
			/* full: the runner is woken already */
		}
	}
}

/* The source fails: WHAT, and DETAIL after a colon if not NULL. */
static void
fail_locked(struct nsrc *n, const char *what, const char *detail)
{
	if (!n->fatal && !n->stopping) {
		snprintf(n->why, sizeof n->why, "%s%s%s", what,
			 detail ? ": " : "", detail ? detail : "");
		n->fatal = 1;
	}
}

/*
 * A status from the server about our pull request (no payload): 404 (no
 * messages now) and 408 (expired) end it; 409 ends it for a reason of
 * the server's (shutting down, a new leader, too many requests waiting)
 * and it is asked again a little later, but for a deleted consumer or a
 * request the consumer's limits refuse; 503 (no responders) while a
 * cluster elects a consumer leader, for at most NSRC_GONE.
 */
static void
on_status(struct nsrc *n, natsMsg *m, const char *code)
{
	const char *desc = NULL;
	int64_t now = mono_ns();

	if (strcmp(code, "100") == 0)
		return; /* a heartbeat */
	if (natsMsgHeader_Get(m, "Description", &desc) != NATS_OK || !desc)
		desc = code;
	n->req_open = 0;
	if (strcmp(code, "503") == 0) {
		if (n->no_resp_since == 0)
			n->no_resp_since = now;
		if (now - n->no_resp_since >= NSRC_GONE)
			fail_locked(n,
				    "no server answers the consumer's pull "
				    "requests (is it deleted?)",
				    NULL);
		n->retry_at = now + NSRC_TICK;
		return;
	}
	n->no_resp_since = 0;
	if (strcmp(code, "404") == 0 || strcmp(code, "408") == 0)
		return; /* no messages now, the request expired: ask again */
	if (strcmp(code, "409") == 0 && strstr(desc, "Consumer Deleted")) {
		fail_locked(n, "the consumer was deleted", NULL);
		return;
	}
	if (strcmp(code, "409") == 0 && strstr(desc, "MaxBytes")) {
		/* the next message does not fit what we asked for: ask
		 * again when the queue has room, unless none would */
		if (n->req_left == n->batch && n->req_max_bytes >= n->max_msg)
			fail_locked(n,
				    "a message is larger than the server's "
				    "max payload",
				    desc);
		return;
	}
	if (strcmp(code, "409") != 0 || strstr(desc, "Exceeded MaxRequest")) {
		fail_locked(n, "the server refused a pull request", desc);
		return;
	}
	n->retry_at = now + NSRC_TICK / 4;
}

static void
on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *arg)
{
	struct nsrc *n = arg;
	const char *code = NULL, *reply = natsMsg_GetReply(m);
	char *copy = NULL;
	int64_t now = mono_ns();

	(void)nc;
	(void)sub;
	/* the copy the table keeps, made before the lock is taken */
	if (reply && strncmp(reply, "$JS.ACK.", 8) == 0)
		copy = xstrdup(reply);
	pthread_mutex_lock(&n->mu);
	if (natsMsg_GetDataLength(m) == 0 &&
	    natsMsgHeader_Get(m, "Status", &code) == NATS_OK && code) {
		on_status(n, m, code);
		natsMsg_Destroy(m);
		free(copy);
	} else if (copy == NULL) {
		natsMsg_Destroy(m); /* not from the consumer */
	} else {
		/* the queue has room: a request is for what is free */
		size_t at = (n->qhead + n->qn) % NSRC_QUEUE_MAX;

		if (n->qn == NSRC_QUEUE_MAX) {
			/* a request thought lost came after all: let the
			 * server give it again */
			natsConnection_PublishString(n->nc, reply, "-NAK");
			natsMsg_Destroy(m);
			free(copy);
		} else {
			n->q[at].m = m;
			n->q[at].e.reply = copy;
			n->q[at].e.touched = now;
			n->qn++;
			n->qbytes += (size_t)natsMsg_GetDataLength(m);
		}
		if (--n->req_left <= 0)
			n->req_open = 0;
		n->no_resp_since = 0;
	}
	wake(n);
	pthread_mutex_unlock(&n->mu);
}

static void
on_disconnected(natsConnection *nc, void *arg)
{
	struct nsrc *n = arg;

	(void)nc;
	pthread_mutex_lock(&n->mu);
	if (!n->stopping)
		__atomic_store_n(&n->disconnected, 1, __ATOMIC_RELAXED);
	wake(n);
	pthread_mutex_unlock(&n->mu);
}

static void
on_reconnected(natsConnection *nc, void *arg)
{
	struct nsrc *n = arg;

	(void)nc;
	pthread_mutex_lock(&n->mu);
	__atomic_store_n(&n->reconnected, 1, __ATOMIC_RELAXED);
	n->req_open = 0; /* the open request may be gone: ask again */
	wake(n);
	pthread_mutex_unlock(&n->mu);
}

static void
on_closed(natsConnection *nc, void *arg)
{
	struct nsrc *n = arg;

	(void)nc;
	pthread_mutex_lock(&n->mu);
	fail_locked(n, "the connection to the server was lost", NULL);
	wake(n);
	n->closed = 1;
	pthread_cond_signal(&n->closed_cv);
	pthread_mutex_unlock(&n->mu);
}

/* ---- the runner's side ------------------------------------------------- */

/* Ask for more when nothing is asked for and the queue has room. */
static void
request_more(struct nsrc *n)
{
	int64_t now = mono_ns(), max_bytes = 0;
	char body[128];
	int ask = 0;

	pthread_mutex_lock(&n->mu);
	if (n->req_open && now > n->req_expires)
		n->req_open = 0;  /* never answered: lost */
	n->qbytes -= n->released; /* the hand's, given back since */
	n->released = 0;
	if (!n->req_open && !n->stopping && !n->fatal && now >= n->retry_at &&
	    n->qn + (n->hand_n - n->hand_pos) + (size_t)n->batch <=
		    NSRC_QUEUE_MAX &&
	    n->qbytes < NSRC_QUEUE_BYTES) {
		n->req_open = 1;
		n->req_left = n->batch;
		n->req_sent = now;
		n->req_expires = now + n->expires + NSRC_LOST;
		/* what the queue may still take, but room for the largest
		 * message the server takes (with its subject and reply) */
		max_bytes = (int64_t)(NSRC_QUEUE_BYTES - n->qbytes);
		if (max_bytes < n->max_msg)
			max_bytes = n->max_msg;
		n->req_max_bytes = max_bytes;
		ask = 1;
	}
	pthread_mutex_unlock(&n->mu);
	if (!ask)
		return;
	snprintf(body, sizeof body,
		 "{\"batch\":%d,\"expires\":%lld,\"max_bytes\":%lld}", n->batch,
		 (long long)n->expires, (long long)max_bytes);
	if (natsConnection_PublishRequestString(n->nc, n->next_subj, n->inbox,
						body) != NATS_OK) {
		pthread_mutex_lock(&n->mu);
		n->req_open = 0; /* disconnected: asked again later */
		n->retry_at = now + NSRC_TICK / 4;
		pthread_mutex_unlock(&n->mu);
	}
}

/* Room in the table for k more entries (under mu). */
static void
table_reserve(struct nsrc *n, size_t k)
{
	size_t ncap, i;
	struct nentry *nv;

	if (n->n + k <= n->cap)
		return;
	for (ncap = n->cap ? n->cap : 1024; ncap < n->n + k; ncap *= 2)
		;
	nv = xreallocarray(NULL, ncap, sizeof *nv);
	for (i = 0; i < n->n; i++)
		nv[i] = n->v[(n->head + i) % n->cap];
	free(n->v);
	n->v = nv;
	n->cap = ncap;
	n->head = 0;
}

/*
 * Take everything queued, under one lock: the messages into the hand,
 * their entries (which the progress thread sees from now on) into the
 * table.  The number taken.
 */
static size_t
queue_take(struct nsrc *n)
{
	size_t k;

	pthread_mutex_lock(&n->mu);
	n->qbytes -= n->released;
	n->released = 0;
	k = n->qn;
	table_reserve(n, k);
	for (size_t i = 0; i < k; i++) {
		struct nqueued *q = &n->q[n->qhead];

		n->hand[i] = q->m;
		n->v[(n->head + n->n++) % n->cap] = q->e;
		q->m = NULL;
		q->e.reply = NULL;
		n->qhead = (n->qhead + 1) % NSRC_QUEUE_MAX;
	}
	n->qn = 0;
	pthread_mutex_unlock(&n->mu);
	n->hand_pos = n->asked_pos = 0;
	n->hand_n = k;
	return k;
}

static void
pipe_drain(struct nsrc *n)
{
	char b[64];

	while (read(n->pipe[0], b, sizeof b) > 0)
		;
}

/* The stream sequence of a message, from its reply subject. */
static uint64_t
stream_seq(natsMsg *m)
{
	jsMsgMetaData *md = NULL;
	uint64_t seq = 0;

	if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
		seq = md->Sequence.Stream;
		jsMsgMetaData_Destroy(md);
	}
	return seq;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The metadata of message m (evpipe-brokers(7), Metadata) in n->meta:
 * {"subject","stream","sequence","delivered","timestamp","headers"},
 * the timestamp in milliseconds since the epoch, the headers in the
 * order of their names, each with its last value.
 */
static void
nsrc_meta(struct nsrc *n, natsMsg *m)
{
	struct buf *b = &n->meta;
	jsMsgMetaData *md = NULL;
	const char **keys = NULL;
	const char *subj = natsMsg_GetSubject(m);
	int nkeys = 0;
	char num[128];

	buf_reset(b);
	buf_adds(b, "{\"subject\":");
	jtext_add_string_lossy(b, subj, strlen(subj));
	buf_adds(b, ",\"stream\":");
	jtext_add_string_lossy(b, n->stream, strlen(n->stream));
	if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
		snprintf(num, sizeof num,
			 ",\"sequence\":%llu,\"delivered\":%llu,"
			 "\"timestamp\":%lld",
			 (unsigned long long)md->Sequence.Stream,
			 (unsigned long long)md->NumDelivered,
			 (long long)(md->Timestamp / 1000000));
		jsMsgMetaData_Destroy(md);
	} else {
		snprintf(num, sizeof num,
			 ",\"sequence\":null,\"delivered\":null,"
			 "\"timestamp\":null");
	}
	buf_adds(b, num);
	buf_adds(b, ",\"headers\":{");
	if (natsMsgHeader_Keys(m, &keys, &nkeys) == NATS_OK && nkeys > 0) {
		qsort(keys, (size_t)nkeys, sizeof *keys, str_cmp);
		for (int i = 0; i < nkeys; i++) {
			const char **vals = NULL;
			int nvals = 0;

			if (i > 0)
				buf_addc(b, ',');
			jtext_add_string_lossy(b, keys[i], strlen(keys[i]));
			buf_addc(b, ':');
			if (natsMsgHeader_Values(m, keys[i], &vals, &nvals) ==
				    NATS_OK &&
			    nvals > 0)
				jtext_add_string_lossy(b, vals[nvals - 1],
						       strlen(vals[nvals - 1]));
			else
				buf_adds(b, "null");
			free((void *)vals);
		}
	}
	free((void *)keys);
	buf_adds(b, "}}");
}

/* The reader of a message with --from: the payload, then its end. */
static ssize_t
payload_read(void *arg, char *buf, size_t len, struct errbuf *eb)
{
	struct nsrc *n = arg;
	size_t k = n->rd_len - n->rd_off;

	(void)eb;
	if (k > len)
		k = len;
	if (k > 0) /* an empty payload may have no data at all */
		memcpy(buf, n->rd_p + n->rd_off, k);
	n->rd_off += k;
	return (ssize_t)k;
}

/* Every event of the current message was handed out: it counts. */
static void
cur_complete(struct nsrc *n)
{
	if (!n->cur_counted) {
		n->complete++;
		n->cur_counted = 1;
	}
}

/* Give back the current message (its last record was taken). */
static void
cur_release(struct nsrc *n)
{
	cur_complete(n);
	if (n->rd_open) {
		reader_release(&n->rd);
		n->rd_open = 0;
	}
	n->released += (size_t)natsMsg_GetDataLength(n->cur);
	natsMsg_Destroy(n->cur);
	n->cur = NULL;
	n->cur_counted = 0;
}

/* Only blank lines are left in the current NDJSON message. */
static int
cur_rest_blank(const struct nsrc *n)
{
	const char *p = natsMsg_GetData(n->cur);
	size_t len = (size_t)natsMsg_GetDataLength(n->cur);

	for (size_t i = n->pos; i < len; i++)
		if (p[i] != '\n' && p[i] != '\r' && p[i] != ' ' && p[i] != '\t')
			return 0;
	return 1;
}

/* The next message into cur: 1, or 0 when none has come. */
static int
cur_next(struct nsrc *n)
{
	natsMsg *m;

	if (n->hand_pos == n->hand_n) {
		/* the hand is empty: take what is queued */
		if (queue_take(n) == 0) {
			/* nothing: the pipe is written again when a message
			 * comes, after this look */
			pipe_drain(n);
			pthread_mutex_lock(&n->mu);
			n->woken = 0;
			pthread_mutex_unlock(&n->mu);
			queue_take(n);
		}
		request_more(n);
		if (n->hand_n == 0)
			return 0;
	}
	m = n->hand[n->hand_pos];
	n->hand[n->hand_pos++] = NULL;
	n->cur = m;
	n->cur_seq = stream_seq(m);
	n->pos = 0;
	if (n->set->want_meta)
		nsrc_meta(n, m);
	if (n->set->g->from != FROM_NDJSON) {
		n->rd_p = natsMsg_GetData(m);
		n->rd_len = (size_t)natsMsg_GetDataLength(m);
		n->rd_off = 0;
		reader_init(&n->rd, n->set->g->from, payload_read, n,
			    n->set->g->max_line,
			    n->set->g->csv_types ? READER_TYPES : 0);
		n->rd_open = 1;
	}
	return 1;
}

/* The next NDJSON line of cur: LINE_OK / LINE_TOO_LONG, or LINE_EOF. */
static int
cur_line(struct nsrc *n, struct source_rec *rec)
{
	const char *p = natsMsg_GetData(n->cur);
	size_t len = (size_t)natsMsg_GetDataLength(n->cur);

	while (n->pos < len) {
		const char *nl = memchr(p + n->pos, '\n', len - n->pos);
		size_t start = n->pos, end = nl ? (size_t)(nl - p) : len;

		n->pos = nl ? end + 1 : len;
		if (end > start && p[end - 1] == '\r')
			end--;
		if (reader_blank(p + start, end - start))
			continue; /* blank lines are no events */
		rec->bytes = p + start;
		rec->len = end - start;
		if (rec->len > n->set->g->max_line) {
			rec->len = n->set->g->max_line;
			return LINE_TOO_LONG;
		}
		return LINE_OK;
	}
	return LINE_EOF;
}

static int
nsrc_next(struct source *s, struct source_rec *rec, struct errbuf *eb)
{
	struct nsrc *n = (struct nsrc *)s;

	for (;;) {
		int res;

		if (n->cur && n->cur_counted) {
			/* its last record was handed out by the last call */
			cur_release(n);
			if (n->handed)
				return LINE_AGAIN;
		}
		if (n->cur == NULL) {
			pthread_mutex_lock(&n->mu);
			res = n->fatal;
			pthread_mutex_unlock(&n->mu);
			if (res)
				return errbuf_set(eb, STATUS_IO, "%s: %s",
						  n->label, n->why),
				       LINE_ERROR;
			if (!cur_next(n))
				return LINE_AGAIN;
		}
		memset(rec, 0, sizeof *rec);
		if (n->rd_open) {
			res = reader_next(&n->rd, &rec->bytes, &rec->len, eb);
			if (res == LINE_AGAIN || res == LINE_ERROR)
				res = LINE_EOF; /* a payload has no more */
		} else {
			res = cur_line(n, rec);
		}
		if (res == LINE_EOF) {
			cur_release(n);
			/* A turn ends with a message: the runner's mark
			 * then covers it alone, so a record a command
			 * holds (a batch) holds back no message before
			 * its own. */
			if (n->handed)
				return LINE_AGAIN;
			continue;
		}
		/* The last event of an NDJSON message: the message counts
		 * now, so that a run stopped right after it acknowledges
		 * it (a decoder cannot tell without reading on). */
		if (!n->rd_open && cur_rest_blank(n))
			cur_complete(n);
		rec->lineno = n->cur_seq;
		if (n->set->want_meta) {
			rec->meta = n->meta.data;
			rec->metalen = n->meta.len;
		}
		s->name = n->name;
		n->handed = 1;
		return res;
	}
}

/*
 * The progress thread: every tick, "+WPI" for each message, queued or in
 * the table, past half the AckWait.  It holds mu while it sends, and
 * delivered() holds mu while it acknowledges and removes entries: no
 * +WPI follows a +ACK.
 */
static void *
progress_main(void *arg)
{
	struct nsrc *n = arg;
	int64_t half = n->ack_wait / 2;
	struct timespec at;

	pthread_mutex_lock(&n->mu);
	clock_gettime(CLOCK_MONOTONIC, &at);
	while (!n->wpi_stop) {
		int64_t now;

		at.tv_sec += (time_t)(n->tick / 1000000000);
		at.tv_nsec += (long)(n->tick % 1000000000);
		if (at.tv_nsec >= 1000000000) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000;
		}
		while (!n->wpi_stop &&
		       pthread_cond_timedwait(&n->wpi_cv, &n->mu, &at) == 0)
			;
		if (n->wpi_stop)
			break;
		now = mono_ns();
		for (size_t i = 0; i < n->n; i++) {
			struct nentry *e = &n->v[(n->head + i) % n->cap];

			if (now - e->touched >= half) {
				natsConnection_PublishString(n->nc, e->reply,
							     "+WPI");
				e->touched = now;
			}
		}
		for (size_t i = 0; i < n->qn; i++) {
			struct nentry *e =
				&n->q[(n->qhead + i) % NSRC_QUEUE_MAX].e;

			if (now - e->touched >= half) {
				natsConnection_PublishString(n->nc, e->reply,
							     "+WPI");
				e->touched = now;
			}
		}
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

/* Start the progress thread; 0, or -1 (eb). */
static int
progress_start(struct nsrc *n, struct errbuf *eb)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->wpi_cv, &ca);
	pthread_condattr_destroy(&ca);
	/* signals are the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&n->wpi, NULL, progress_main, n);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&n->wpi_cv);
		return errbuf_set(eb, STATUS_IO,
				  "%s: cannot start a thread: %s", n->label,
				  strerror(rc));
	}
	n->wpi_started = 1;
	return 0;
}

static void
progress_stop(struct nsrc *n)
{
	if (!n->wpi_started)
		return;
	pthread_mutex_lock(&n->mu);
	n->wpi_stop = 1;
	pthread_cond_signal(&n->wpi_cv);
	pthread_mutex_unlock(&n->mu);
	pthread_join(n->wpi, NULL);
	pthread_cond_destroy(&n->wpi_cv);
	n->wpi_started = 0;
}

static void
nsrc_service(struct source *s, struct source_set *set)
{
	struct nsrc *n = (struct nsrc *)s;
	int64_t now = mono_ns();
	int down = 0, up = 0;

	(void)set;
	n->handed = 0;
	/* written under mu; looked at without it, a turn for each message */
	if (__atomic_load_n(&n->disconnected, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&n->reconnected, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&n->mu);
		down = __atomic_exchange_n(&n->disconnected, 0,
					   __ATOMIC_RELAXED);
		up = __atomic_exchange_n(&n->reconnected, 0, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&n->mu);
	}
	if (down)
		log_warn("%s: disconnected from the server, reconnecting",
			 n->label);
	if (up)
		log_warn("%s: reconnected", n->label);
	/* a request when the hand shrank by an eighth of a batch since the
	 * last look, and at every tick (an expired or refused one) */
	if (now >= n->next_tick ||
	    n->hand_pos >= n->asked_pos + NSRC_ASK_STEP) {
		request_more(n);
		n->asked_pos = n->hand_pos;
	}
	if (now >= n->next_tick)
		n->next_tick = now + n->tick;
	s->deadline = n->next_tick;
}

static void
nsrc_idle(struct source *s, struct source_set *set)
{
	struct nsrc *n = (struct nsrc *)s;

	(void)set;
	/* A turn that ended with a message goes on at the next one; one
	 * that found nothing waits for the pipe. */
	s->ready = n->handed;
	s->deadline = n->next_tick;
}

static void
nsrc_end(struct source *s, struct source_set *set, int failed)
{
	(void)set;
	(void)failed; /* reported by the runner */
	s->done = 1;
}

static uint64_t
nsrc_mark(struct source *s)
{
	return ((struct nsrc *)s)->complete;
}

static void
nsrc_delivered(struct source *s, uint64_t mark)
{
	struct nsrc *n = (struct nsrc *)s;

	/* one lock for all: the progress thread sends no +WPI for an
	 * entry from its +ACK on */
	pthread_mutex_lock(&n->mu);
	while (n->base < mark && n->n > 0) {
		struct nentry *e = &n->v[n->head];

		/* not sent now (disconnected): the server gives the
		 * message again after its AckWait */
		natsConnection_PublishString(n->nc, e->reply, "+ACK");
		free(e->reply);
		n->head = (n->head + 1) % n->cap;
		n->n--;
		n->base++;
	}
	pthread_mutex_unlock(&n->mu);
}

/*
 * Close the connection, and wait for the library's thread to be done
 * with our callbacks: the closed callback runs last.
 */
static void
nsrc_close(struct nsrc *n)
{
	struct timespec until;

	pthread_mutex_lock(&n->mu);
	n->stopping = 1;
	pthread_mutex_unlock(&n->mu);
	natsConnection_Close(n->nc);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&n->mu);
	while (!n->closed &&
	       pthread_cond_timedwait(&n->closed_cv, &n->mu, &until) == 0)
		;
	pthread_mutex_unlock(&n->mu);
	natsConnection_Destroy(n->nc);
	n->nc = NULL;
}

/*
 * The end: nothing more comes; what is not delivered goes back (-NAK).
 * A pull request still open on the server would take a message given
 * back at once, and nobody reads our inbox any more: it would come back
 * only after the AckWait.  So while one is open the messages are given
 * back for when it has expired.
 */
static void
nsrc_stop(struct nsrc *n)
{
	char nak[64] = "-NAK";
	int64_t left = 0;

	progress_stop(n); /* nothing is sent +WPI after its -NAK */
	pthread_mutex_lock(&n->mu);
	n->stopping = 1;
	if (n->req_open)
		left = n->req_sent + n->expires - mono_ns();
	pthread_mutex_unlock(&n->mu);
	if (n->sub) {
		/* what the library holds comes through on_msg first */
		if (natsSubscription_Drain(n->sub) == NATS_OK)
			natsSubscription_WaitForDrainCompletion(n->sub, 2000);
		natsSubscription_Destroy(n->sub);
		n->sub = NULL;
	}
	if (left > 0)
		snprintf(nak, sizeof nak, "-NAK {\"delay\":%lld}",
			 (long long)(left + NSRC_TICK / 4));
	/* the queue into the hand and the table, given back with it */
	while (n->hand_pos < n->hand_n)
		natsMsg_Destroy(n->hand[n->hand_pos++]);
	queue_take(n);
	while (n->hand_pos < n->hand_n)
		natsMsg_Destroy(n->hand[n->hand_pos++]);
	while (n->n > 0) {
		struct nentry *e = &n->v[n->head];

		natsConnection_PublishString(n->nc, e->reply, nak);
		free(e->reply);
		n->head = (n->head + 1) % n->cap;
		n->n--;
	}
	natsConnection_FlushTimeout(n->nc, 5000);
}

static void
nsrc_free(struct source *s)
{
	struct nsrc *n = (struct nsrc *)s;

	if (n->nc)
		nsrc_stop(n);
	progress_stop(n);
	while (n->hand_pos < n->hand_n)
		natsMsg_Destroy(n->hand[n->hand_pos++]);
	for (; n->qn > 0; n->qn--, n->qhead = (n->qhead + 1) % NSRC_QUEUE_MAX) {
		natsMsg_Destroy(n->q[n->qhead].m);
		free(n->q[n->qhead].e.reply);
	}
	for (; n->n > 0; n->n--, n->head = (n->head + 1) % n->cap)
		free(n->v[n->head].reply);
	if (n->cur) {
		if (n->rd_open)
			reader_release(&n->rd);
		natsMsg_Destroy(n->cur);
	}
	if (n->js)
		jsCtx_Destroy(n->js);
	if (n->nc)
		nsrc_close(n);
	if (n->opts)
		natsOptions_Destroy(n->opts);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->closed_cv);
	buf_release(&n->meta);
	free(n->label);
	free(n->q);
	free(n->hand);
	free(n->v);
	free(n->spec);
	free(n->stream);
	free(n->consumer);
	free(n->filter);
	free(n->next_subj);
	free(n->inbox);
	if (n->pipe[0] >= 0) {
		close(n->pipe[0]);
		close(n->pipe[1]);
	}
	free(n);
}

static const struct source_ops nsrc_ops = {
	.service = nsrc_service,
	.next = nsrc_next,
	.idle = nsrc_idle,
	.end = nsrc_end,
	.mark = nsrc_mark,
	.delivered = nsrc_delivered,
	.free = nsrc_free,
};

/* ---- the start ---------------------------------------------------------- */

/* The server's error for a JetStream call: its text, or the status. */
static int
js_error(struct nsrc *n, natsStatus st, const char *what, struct errbuf *eb)
{
	const struct globals *g = n->set->g;

	if (st == NATS_NO_RESPONDERS &&
	    (g->nats_js_domain || g->nats_js_prefix))
		return errbuf_set(eb, STATUS_IO,
				  "%s: %s: no JetStream answers at %s (%s)",
				  n->label, what, n->api,
				  g->nats_js_domain ? "--nats-js-domain"
						    : "--nats-js-prefix");
	if (st == NATS_NO_RESPONDERS)
		return errbuf_set(eb, STATUS_IO,
				  "%s: %s: JetStream is not enabled on the "
				  "server",
				  n->label, what);
	return nats_conn_error(st, what, n->label, eb);
}

/* A consumer this source cannot work with: why, or NULL. */
static const char *
consumer_unfit(const jsConsumerInfo *ci, const char *filter)
{
	const jsConsumerConfig *c = ci->Config;

	if (c->DeliverSubject && *c->DeliverSubject)
		return "is a push consumer (it has a deliver subject); "
		       "name a pull consumer, or a new name to have one made";
	if (c->AckPolicy != js_AckExplicit)
		return "does not take explicit acknowledgements (its ack "
		       "policy must be explicit: with none a crash loses "
		       "events, with all one evpipe acknowledges another's)";
	if (filter &&
	    (c->FilterSubject == NULL || strcmp(c->FilterSubject, filter) != 0))
		return "has another filter subject than the URL's "
		       "subject=";
	return NULL;
}

/* The stream and the consumer exist (the consumer made if missing). */
static int
consumer_get(struct nsrc *n, struct errbuf *eb)
{
	jsStreamInfo *si = NULL;
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsErrCode jerr = 0;
	jsOptions jo;
	natsStatus st;
	const char *unfit;
	struct nats_auth a = nsrc_auth(n->set->g);

	jsOptions_Init(&jo);
	jo.Wait = NSRC_API_WAIT;
	nats_js_options(&jo, &a);
	st = natsConnection_JetStream(&n->js, n->nc, &jo);
	if (st != NATS_OK)
		return js_error(n, st, "JetStream", eb);
	st = js_GetStreamInfo(&si, n->js, n->stream, NULL, &jerr);
	if (st == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr)
		return errbuf_set(eb, STATUS_IO,
				  "-i %s: no stream '%s' on the server",
				  n->spec, n->stream);
	if (st != NATS_OK)
		return js_error(n, st, "stream info", eb);
	jsStreamInfo_Destroy(si);
	st = js_GetConsumerInfo(&ci, n->js, n->stream, n->consumer, NULL,
				&jerr);
	if (st == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
		jsConsumerConfig_Init(&cc);
		cc.Durable = n->consumer;
		cc.AckPolicy = js_AckExplicit;
		cc.DeliverPolicy = js_DeliverAll;
		cc.AckWait = NSRC_ACK_WAIT;
		cc.MaxAckPending = NSRC_MAX_ACK_PENDING;
		cc.FilterSubject = n->filter;
		jerr = 0;
		st = js_AddConsumer(&ci, n->js, n->stream, &cc, NULL, &jerr);
		if (st != NATS_OK) /* made by another evpipe meanwhile? */
			st = js_GetConsumerInfo(&ci, n->js, n->stream,
						n->consumer, NULL, &jerr);
		if (st != NATS_OK)
			return js_error(n, st, "create the consumer", eb);
	} else if (st != NATS_OK) {
		return js_error(n, st, "consumer info", eb);
	}
	unfit = consumer_unfit(ci, n->filter);
	if (unfit) {
		errbuf_set(eb, STATUS_IO, "-i %s: the consumer '%s' %s",
			   n->spec, n->consumer, unfit);
		jsConsumerInfo_Destroy(ci);
		return -1;
	}
	n->ack_wait =
		ci->Config->AckWait > 0 ? ci->Config->AckWait : NSRC_ACK_WAIT;
	n->tick = n->ack_wait / 4 < NSRC_TICK ? n->ack_wait / 4 : NSRC_TICK;
	n->batch = NSRC_BATCH;
	if (ci->Config->MaxRequestBatch > 0 &&
	    ci->Config->MaxRequestBatch < n->batch)
		n->batch = (int)ci->Config->MaxRequestBatch;
	n->expires = NSRC_EXPIRES;
	if (ci->Config->MaxRequestExpires > 0 &&
	    ci->Config->MaxRequestExpires < n->expires)
		n->expires = ci->Config->MaxRequestExpires;
	jsConsumerInfo_Destroy(ci);
	return 0;
}

/* Connect, find the consumer, subscribe the inbox.  0, or -1 (eb). */
static int
nsrc_open(struct nsrc *n, const struct nurl *u, struct errbuf *eb)
{
	struct nats_auth a = nsrc_auth(n->set->g);
	natsInbox *inbox = NULL;
	natsStatus st;
	size_t len;

	nats_js_api(&a, n->api, sizeof n->api);
	if (nats_conn_options(&n->opts, u->hosts, u->tls, &a, n->label, eb) ==
	    -1)
		return -1;
	natsOptions_SetDisconnectedCB(n->opts, on_disconnected, n);
	natsOptions_SetReconnectedCB(n->opts, on_reconnected, n);
	natsOptions_SetClosedCB(n->opts, on_closed, n);
	if (nats_conn_connect(&n->nc, n->opts, &a, n->label, eb) == -1)
		return -1;
	if (consumer_get(n, eb) == -1)
		return -1;
	n->max_msg = natsConnection_GetMaxPayload(n->nc) + NSRC_MSG_EXTRA;
	len = strlen(n->api) + strlen(n->stream) + strlen(n->consumer) + 32;
	n->next_subj = xmalloc(len);
	snprintf(n->next_subj, len, "%s.CONSUMER.MSG.NEXT.%s.%s", n->api,
		 n->stream, n->consumer);
	if (natsInbox_Create(&inbox) != NATS_OK)
		return errbuf_set(eb, STATUS_IO, "-i %s: out of memory",
				  n->spec);
	n->inbox = xstrdup(inbox);
	natsInbox_Destroy(inbox);
	st = natsConnection_Subscribe(&n->sub, n->nc, n->inbox, on_msg, n);
	if (st == NATS_OK) /* bounded by the requests, not by the library */
		st = natsSubscription_SetPendingLimits(n->sub, -1, -1);
	if (st != NATS_OK)
		return js_error(n, st, "subscribe", eb);
	return 0;
}

int
source_nats_new(struct source_set *set, const char *spec)
{
	struct errbuf eb = { 0 };
	struct nsrc *n = xcalloc(1, sizeof *n);
	struct nurl u;
	char name[NSRC_NAME_MAX + 16];

	n->pipe[0] = n->pipe[1] = -1;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->closed_cv, NULL);
	n->set = set;
	n->spec = xstrdup(spec);
	n->label = xasprintf("-i %s", spec);
	n->q = xcalloc(NSRC_QUEUE_MAX, sizeof *n->q);
	n->hand = xcalloc(NSRC_QUEUE_MAX, sizeof *n->hand);
	buf_init(&n->meta);
	if (nurl_parse(spec, &u, &eb) == -1)
		goto fail;
	n->stream = xstrdup(u.stream);
	n->consumer = xstrdup(u.consumer);
	n->filter = u.filter ? xstrdup(u.filter) : NULL;
	if (pipe2(n->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		errbuf_set(&eb, STATUS_IO, "-i %s: pipe: %s", spec,
			   strerror(errno));
		goto fail;
	}
	if (nsrc_open(n, &u, &eb) == -1 || progress_start(n, &eb) == -1)
		goto fail;
	nurl_free(&u);
	snprintf(name, sizeof name, "nats://%s#", n->stream);
	n->name = source_set_name(set, name);
	n->s.ops = &nsrc_ops;
	n->s.name = n->name;
	n->s.fd = n->pipe[0];
	n->s.ready = 1;
	n->next_tick = mono_ns() + n->tick;
	n->s.deadline = n->next_tick;
	n->s.delivery = 1;
	source_set_add(set, &n->s);
	return 0;
fail:
	fprintf(stderr, "evpipe: %s\n", eb.msg);
	set->status = eb.status;
	nurl_free(&u);
	if (n->sub) {
		natsSubscription_Unsubscribe(n->sub);
		natsSubscription_Destroy(n->sub);
		n->sub = NULL;
	}
	if (n->js)
		jsCtx_Destroy(n->js);
	n->js = NULL;
	if (n->nc)
		nsrc_close(n); /* nsrc_free() would stop a running source */
	nsrc_free(&n->s);
	return -1;
}
