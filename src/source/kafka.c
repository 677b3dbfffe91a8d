/*
 * source/kafka.c -- -i kafka://HOSTS/TOPICS?group=NAME: a member of a
 * Kafka consumer group (librdkafka's high-level consumer) whose offsets
 * are committed only for what was delivered (source.h, Delivery).
 *
 * Every message handed out gets an entry in the source's table (topic,
 * partition, offset); a mark is the number of messages all of whose
 * lines were handed out, so a message holding several NDJSON lines
 * counts only once every line of it is out.  delivered(mark) moves each
 * partition's next offset to commit past the entries up to the mark;
 * commits go out asynchronously at most once a second, synchronously in
 * the rebalance callback before partitions are given up and when the
 * source is freed.  A commit that fails is tried again later: the
 * offsets stay pending until the broker took them.  Entries read before
 * a revocation belong to the old assignment: this member never commits
 * them (another member may be past them by then).
 *
 * Back-pressure: librdkafka prefetches at most queued.max.messages.kbytes
 * (8 MiB here) into the consumer queue; the runner stops calling next()
 * while its outputs are slow, and then nothing more is fetched.  That
 * bound is all that holds memory while the runner is not calling us, so
 * it stays librdkafka's.  Before 2.2 a fetcher that found the queue full
 * slept for a second whatever we did (ksrc_wake() says how we wake it);
 * from 2.2 on, fetch.queue.backoff.ms sets that time, and ours is short.
 *
 * A record's source name is "kafka://TOPIC/PARTITION@" with the offset
 * as its line number, so a reject reads kafka://TOPIC/PARTITION@OFFSET.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include "lib/dl-rdkafka.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json/json-text.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/hash.h"
#include "lib/kafka-conf.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "linereader.h"
#include "pipeline.h"
#include "reader.h"
#include "source.h"

#define KSRC_COMMIT_EVERY 1000000000LL /* ns between async commits */
#define KSRC_META_MS	  10000	       /* the brokers must answer by then */
#define KSRC_CLOSE_TRIES  5	       /* sync commits tried at the end */
#define KSRC_LEAVE_MS	  10000	       /* to give the partitions back */
#define KSRC_QCHECK	  64	       /* messages between looks at the queue */
#define KSRC_QBACKOFF	  "10"	       /* fetch.queue.backoff.ms (2.2 on) */

/* A message handed out: 16 bytes, as a second's worth is kept. */
struct kentry {
	int64_t offset;
	uint32_t part; /* its index in ksrc.parts */
	unsigned gen;  /* the assignment it was read in */
};

/* A partition's name, and what is to be committed for it. */
struct kpart {
	char *topic;
	int32_t partition;
	const char *name;
	int64_t pending;   /* next offset to commit; -1 none */
	int64_t committed; /* what the broker took; -1 none */
};

struct ksrc {
	struct source s;
	struct source_set *set;
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	int pipe[2];
	char *spec;
	/* the table: entries [base, base + n) in v[head...], a ring */
	struct kentry *v;
	size_t cap, head, n;
	uint64_t base;
	uint64_t complete; /* messages whose lines were all handed out */
	struct kpart *parts;
	size_t nparts, capparts;
	unsigned gen;
	/* the message being handed out */
	rd_kafka_message_t *cur;
	size_t pos;
	const char *cur_name;
	struct buf meta;  /* its metadata (input_meta), if wanted */
	struct buf names; /* scratch: its header names as JSON strings */
	int64_t last_commit;
	/* librdkafka's prefetch bound (queued.max.messages.kbytes in bytes,
	 * queued.min.messages) and what we saw of the queue */
	int64_t qmax_bytes, qmax_msgs;
	uint64_t seen_msgs, seen_bytes; /* for the mean message size */
	unsigned qcheck;		/* messages until the next look */
	int full;			/* the queue was seen near its bound */
	int handed;			/* records handed out this turn */
	int fatal; /* an error was reported: end the source */
	char why[512];
};

static struct kpart *
part_get(struct ksrc *k, const char *topic, int32_t partition)
{
	char buf[512];
	size_t i;

	for (i = 0; i < k->nparts; i++)
		if (k->parts[i].partition == partition &&
		    strcmp(k->parts[i].topic, topic) == 0)
			return &k->parts[i];
	if (k->nparts == k->capparts) {
		k->capparts = k->capparts ? k->capparts * 2 : 16;
		k->parts =
			xreallocarray(k->parts, k->capparts, sizeof *k->parts);
	}
	snprintf(buf, sizeof buf, "kafka://%s/%d@", topic, (int)partition);
	k->parts[k->nparts].topic = xstrdup(topic);
	k->parts[k->nparts].partition = partition;
	k->parts[k->nparts].name = source_set_name(k->set, buf);
	k->parts[k->nparts].pending = -1;
	k->parts[k->nparts].committed = -1;
	return &k->parts[k->nparts++];
}

/* The offsets delivered but not yet taken by the broker; NULL if none. */
static rd_kafka_topic_partition_list_t *
commit_list(struct ksrc *k)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	size_t i;

	for (i = 0; i < k->nparts; i++) {
		struct kpart *p = &k->parts[i];

		if (p->pending < 0 || p->pending <= p->committed)
			continue;
		if (l == NULL)
			l = rd_kafka_topic_partition_list_new(8);
		rd_kafka_topic_partition_list_add(l, p->topic, p->partition)
			->offset = p->pending;
	}
	return l;
}

/* The broker took (or refused) offsets: remember what it took. */
static void
commit_done(struct ksrc *k, rd_kafka_resp_err_t err,
	    const rd_kafka_topic_partition_list_t *l)
{
	int i;

	if (err || l == NULL)
		return; /* pending stays: tried again */
	for (i = 0; i < l->cnt; i++) {
		struct kpart *p;

		if (l->elems[i].err || l->elems[i].offset < 0)
			continue;
		p = part_get(k, l->elems[i].topic, l->elems[i].partition);
		if (l->elems[i].offset > p->committed)
			p->committed = l->elems[i].offset;
	}
}

static void
ksrc_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
	       rd_kafka_topic_partition_list_t *l, void *opaque)
{
	(void)rk;
	commit_done(opaque, err, l);
}

/* Commit what is delivered; sync waits for the broker.  0, or -1. */
static int
commit_now(struct ksrc *k, int sync)
{
	rd_kafka_topic_partition_list_t *l = commit_list(k);
	rd_kafka_resp_err_t err;

	if (l == NULL)
		return 0;
	k->last_commit = mono_ns();
	err = rd_kafka_commit(k->rk, l, !sync);
	if (sync)
		commit_done(k, err, err ? NULL : l);
	rd_kafka_topic_partition_list_destroy(l);
	return err ? -1 : 0;
}

/* Forget the pending offsets of every partition (a new assignment). */
static void
pending_forget(struct ksrc *k)
{
	size_t i;

	for (i = 0; i < k->nparts; i++)
		k->parts[i].pending = k->parts[i].committed = -1;
}

static void
ksrc_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
	       rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct ksrc *k = opaque;
	int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *e = NULL;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		if (coop)
			e = rd_kafka_incremental_assign(rk, parts);
		else
			rd_kafka_assign(rk, parts);
	} else {
		/* Commit what was delivered while the partitions are ours;
		 * what is still in flight was read in the old assignment
		 * and is never committed by this member. */
		commit_now(k, 1);
		pending_forget(k);
		k->gen++;
		if (coop)
			e = rd_kafka_incremental_unassign(rk, parts);
		else
			rd_kafka_assign(rk, NULL);
	}
	if (e)
		rd_kafka_error_destroy(e);
}

static void
ksrc_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct ksrc *k = opaque;

	(void)rk;
	if (rd_kafka_fatal_error(rk, NULL, 0) ||
	    err == RD_KAFKA_RESP_ERR__FATAL) {
		snprintf(k->why, sizeof k->why, "%s", reason);
		k->fatal = 1;
	}
}

static void
ksrc_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf;
}

/* ---- the URL and the properties ---------------------------------------- */

struct kurl {
	char *hosts, *topics, *group, *offset;
};

static void
kurl_free(struct kurl *u)
{
	free(u->hosts);
	free(u->topics);
	free(u->group);
	free(u->offset);
	memset(u, 0, sizeof *u);
}

static int
topic_ok(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > 249 || (n == 1 && t[0] == '.') ||
	    (n == 2 && t[0] == '.' && t[1] == '.'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') ||
		      (t[i] >= 'A' && t[i] <= 'Z') ||
		      (t[i] >= '0' && t[i] <= '9') || t[i] == '.' ||
		      t[i] == '_' || t[i] == '-'))
			return 0;
	return 1;
}

/* Split "kafka://HOSTS/TOPICS?group=G&offset=O".  0, or -1 (usage). */
static int
kurl_parse(const char *spec, struct kurl *u, struct errbuf *eb)
{
	const char *rest = spec + 8, *slash, *q, *t, *p;

	memset(u, 0, sizeof *u);
	slash = strchr(rest, '/');
	if (slash == NULL || slash == rest)
		return errbuf_set(eb, STATUS_USAGE,
				  "-i %s: expected "
				  "kafka://HOST:PORT[,HOST:PORT...]/TOPIC"
				  "?group=NAME",
				  spec);
	u->hosts = xstrndup(rest, (size_t)(slash - rest));
	q = strchr(slash + 1, '?');
	u->topics = q ? xstrndup(slash + 1, (size_t)(q - slash - 1))
		      : xstrdup(slash + 1);
	for (t = u->topics;; t = p + 1) {
		p = strchr(t, ',');
		if (!topic_ok(t, p ? (size_t)(p - t) : strlen(t))) {
			errbuf_set(eb, STATUS_USAGE,
				   "-i %s: '%s' is not a topic list (names "
				   "of letters, digits, '.', '_' and '-', "
				   "separated by commas)",
				   spec, u->topics);
			goto fail;
		}
		if (p == NULL)
			break;
	}
	for (p = q; p && *p;) {
		const char *end = strchr(p + 1, '&'), *eq;
		size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
		char *val;

		eq = memchr(p + 1, '=', len);
		if (eq == NULL) {
			errbuf_set(eb, STATUS_USAGE,
				   "-i %s: expected NAME=VALUE after '%c'",
				   spec, *p);
			goto fail;
		}
		val = xstrndup(eq + 1, len - (size_t)(eq - p));
		if ((size_t)(eq - p - 1) == 5 &&
		    memcmp(p + 1, "group", 5) == 0) {
			free(u->group);
			u->group = val;
		} else if ((size_t)(eq - p - 1) == 6 &&
			   memcmp(p + 1, "offset", 6) == 0) {
			free(u->offset);
			u->offset = val;
		} else {
			free(val);
			errbuf_set(eb, STATUS_USAGE,
				   "-i %s: unknown parameter '%.*s' (group, "
				   "offset)",
				   spec, (int)(eq - p - 1), p + 1);
			goto fail;
		}
		p = end;
	}
	if (u->group == NULL || *u->group == '\0') {
		errbuf_set(eb, STATUS_USAGE,
			   "-i %s: a kafka source needs ?group=NAME (its "
			   "consumer group, where its offsets are committed)",
			   spec);
		goto fail;
	}
	if (u->offset && strcmp(u->offset, "earliest") != 0 &&
	    strcmp(u->offset, "latest") != 0) {
		errbuf_set(eb, STATUS_USAGE,
			   "-i %s: offset must be earliest or latest, not "
			   "'%s'",
			   spec, u->offset);
		goto fail;
	}
	return 0;
fail:
	kurl_free(u);
	return -1;
}

/* Ours, then --kafka-config and --kafka-set, then what we promise. */
static rd_kafka_conf_t *
conf_build(const struct globals *g, const struct kurl *u, struct errbuf *eb)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	if (kafka_conf_put(conf, "client.id", "evpipe", "kafka", eb) == -1 ||
	    kafka_conf_put(conf, "queued.max.messages.kbytes", "8192", "kafka",
			   eb) == -1 ||
	    kafka_conf_put(conf, "auto.offset.reset",
			   u->offset ? u->offset : "earliest", "kafka",
			   eb) == -1)
		goto fail;
	/* librdkafka 2.2 and later: a full queue makes a fetcher wait this
	 * long, no more (before, a second: see ksrc_wake()) */
	if (rd_kafka_version() >= 0x020200ff &&
	    kafka_conf_put(conf, "fetch.queue.backoff.ms", KSRC_QBACKOFF,
			   "kafka", eb) == -1)
		goto fail;
	if (kafka_conf_user(conf, g->kafka_config, g->kafka_set.v,
			    g->kafka_set.n, eb) == -1)
		goto fail;
	if (kafka_conf_put(conf, "bootstrap.servers", u->hosts, "kafka", eb) ==
		    -1 ||
	    kafka_conf_put(conf, "group.id", u->group, "kafka", eb) == -1 ||
	    kafka_conf_put(conf, "enable.auto.commit", "false", "kafka", eb) ==
		    -1 ||
	    kafka_conf_put(conf, "enable.auto.offset.store", "false", "kafka",
			   eb) == -1 ||
	    kafka_conf_put(conf, "enable.partition.eof", "false", "kafka",
			   eb) == -1)
		goto fail;
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

int
source_kafka_check(const struct globals *g, const char *spec, struct errbuf *eb)
{
	struct kurl u;
	rd_kafka_conf_t *conf;
	char where[600];
	int rc;

	if (g->from != FROM_NDJSON)
		return errbuf_set(eb, STATUS_USAGE,
				  "-i %s: a kafka source reads NDJSON "
				  "messages, not --from %s",
				  spec, in_format_names[g->from]);
	if (kurl_parse(spec, &u, eb) == -1)
		return -1;
	snprintf(where, sizeof where, "-i %s", spec);
	conf = conf_build(g, &u, eb);
	kurl_free(&u);
	if (conf == NULL)
		return -1;
	/* what librdkafka refuses only when the consumer is made, now */
	rc = kafka_conf_try(conf, RD_KAFKA_CONSUMER, where, eb);
	rd_kafka_conf_destroy(conf);
	return rc;
}

/* ---- the source -----------------------------------------------------------
 */

static void
pipe_drain(struct ksrc *k)
{
	char b[64];

	while (read(k->pipe[0], b, sizeof b) > 0)
		;
}

/* Give back the current message: every line of it was handed out. */
static void
cur_done(struct ksrc *k)
{
	rd_kafka_message_destroy(k->cur);
	k->cur = NULL;
	k->complete++;
}

/*
 * Wake librdkafka's fetchers.  librdkafka before 2.2 decides whether to
 * fetch a partition when a broker thread wakes up: when the consumer
 * queue is over its bound (queued.max.messages.kbytes or
 * queued.min.messages) a thread stops fetching and sleeps for up to a
 * second, and nothing the application does by consuming wakes it, so a
 * consumer faster than a second's worth of the bound waits most of the
 * time.  A request sent to every broker that leads an assigned
 * partition wakes each of their threads: ListOffsets for the latest
 * offsets (rd_kafka_offsets_for_times with -1).  With a timeout of 0 it
 * sends the requests and returns at once: the answers find their queue
 * gone and are dropped, a path librdkafka keeps for a call that timed
 * out.  Leaders not known yet get no request (nothing to wake there).
 */
static void
ksrc_wake(struct ksrc *k)
{
	rd_kafka_topic_partition_list_t *a = NULL;
	int i;

	k->full = 0;
	if (rd_kafka_assignment(k->rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (a->cnt > 0) {
		for (i = 0; i < a->cnt; i++)
			a->elems[i].offset = -1; /* latest */
		(void)rd_kafka_offsets_for_times(k->rk, a, 0);
	}
	rd_kafka_topic_partition_list_destroy(a);
}

/*
 * Look at the consumer queue: near its bound, librdkafka has stopped (or
 * is about to stop) fetching; once half of it is consumed, wake it.
 */
static void
ksrc_queue_look(struct ksrc *k)
{
	int64_t n = (int64_t)rd_kafka_queue_length(k->q);
	int64_t bytes =
		k->seen_msgs ? n * (int64_t)(k->seen_bytes / k->seen_msgs) : 0;

	k->qcheck = KSRC_QCHECK;
	if (bytes >= k->qmax_bytes / 4 * 3 || n >= k->qmax_msgs / 4 * 3)
		k->full = 1;
	else if (k->full && bytes <= k->qmax_bytes / 2 && n <= k->qmax_msgs / 2)
		ksrc_wake(k);
}

static void
table_add(struct ksrc *k, const rd_kafka_message_t *m, size_t part)
{
	struct kentry *e;

	if (k->n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 1024, i;
		struct kentry *nv = xreallocarray(NULL, ncap, sizeof *nv);

		for (i = 0; i < k->n; i++)
			nv[i] = k->v[(k->head + i) % k->cap];
		free(k->v);
		k->v = nv;
		k->cap = ncap;
		k->head = 0;
	}
	e = &k->v[(k->head + k->n++) % k->cap];
	e->part = (uint32_t)part;
	e->offset = m->offset;
	e->gen = k->gen;
}

/*
 * The headers of message m as the members of a JSON object, appended to
 * k->meta: each name once, with the value of its last header (null for a
 * header without a value), in the order of those last ones.  A table of
 * the names (open addressing over their JSON text in k->names) finds the
 * last of each in one pass.
 */
static void
ksrc_meta_headers(struct ksrc *k, const rd_kafka_headers_t *hdrs)
{
	size_t n = rd_kafka_header_cnt(hdrs), i, cap, *off, *slot;
	const char *name;
	const void *val;
	size_t size;
	char *keep;
	int first = 1;

	if (n == 0)
		return;
	for (cap = 8; cap < 2 * n; cap *= 2)
		;
	off = xreallocarray(NULL, n + 1, sizeof *off);
	slot = xreallocarray(NULL, cap, sizeof *slot);
	keep = xcalloc(n, 1);
	for (i = 0; i < cap; i++)
		slot[i] = SIZE_MAX;
	buf_reset(&k->names);
	for (i = 0; i < n; i++) { /* off[i]..off[i + 1]: header i's name */
		off[i] = k->names.len;
		if (rd_kafka_header_get_all(hdrs, i, &name, &val, &size))
			name = "";
		jtext_add_string_lossy(&k->names, name, strlen(name));
	}
	off[n] = k->names.len;
	for (i = 0; i < n; i++) {
		size_t len = off[i + 1] - off[i];
		size_t h = hash64(k->names.data + off[i], len) & (cap - 1);

		while (slot[h] != SIZE_MAX &&
		       (off[slot[h] + 1] - off[slot[h]] != len ||
			memcmp(k->names.data + off[slot[h]],
			       k->names.data + off[i], len) != 0))
			h = (h + 1) & (cap - 1);
		slot[h] = i; /* a later header of the name takes its slot */
	}
	for (i = 0; i < cap; i++)
		if (slot[i] != SIZE_MAX)
			keep[slot[i]] = 1;
	for (i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		if (!first)
			buf_addc(&k->meta, ',');
		first = 0;
		buf_add(&k->meta, k->names.data + off[i], off[i + 1] - off[i]);
		buf_addc(&k->meta, ':');
		if (rd_kafka_header_get_all(hdrs, i, &name, &val, &size) ||
		    val == NULL)
			buf_adds(&k->meta, "null");
		else
			jtext_add_string_lossy(&k->meta, val, size);
	}
	free(keep);
	free(slot);
	free(off);
}

/*
 * The metadata of message m (evpipe-brokers(7), Metadata) in k->meta:
 * {"topic","partition","offset","key","timestamp","headers"}, the key
 * null when the message has none, the timestamp in milliseconds since
 * the epoch or null.
 */
static void
ksrc_meta(struct ksrc *k, const rd_kafka_message_t *m)
{
	rd_kafka_timestamp_type_t tstype;
	rd_kafka_headers_t *hdrs = NULL;
	struct buf *b = &k->meta;
	int64_t ts = rd_kafka_message_timestamp(m, &tstype);
	const char *topic = rd_kafka_topic_name(m->rkt);
	char num[96];

	buf_reset(b);
	buf_adds(b, "{\"topic\":");
	jtext_add_string_lossy(b, topic, strlen(topic));
	snprintf(num, sizeof num, ",\"partition\":%d,\"offset\":%lld,\"key\":",
		 (int)m->partition, (long long)m->offset);
	buf_adds(b, num);
	if (m->key)
		jtext_add_string_lossy(b, m->key, m->key_len);
	else
		buf_adds(b, "null");
	if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0)
		snprintf(num, sizeof num, ",\"timestamp\":null");
	else
		snprintf(num, sizeof num, ",\"timestamp\":%lld", (long long)ts);
	buf_adds(b, num);
	buf_adds(b, ",\"headers\":{");
	if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
		ksrc_meta_headers(k, hdrs);
	buf_adds(b, "}}");
}

static int
ksrc_next(struct source *s, struct source_rec *rec, struct errbuf *eb)
{
	struct ksrc *k = (struct ksrc *)s;
	uint64_t max = k->set->g->max_line;

	for (;;) {
		if (k->fatal)
			return errbuf_set(eb, STATUS_IO, "%s: %s", k->spec,
					  k->why),
			       LINE_ERROR;
		if (k->cur == NULL) {
			rd_kafka_message_t *m;
			struct kpart *kp;

			m = rd_kafka_consumer_poll(k->rk, 0);
			if (m == NULL) {
				/* empty: the pipe is written again when the
				 * queue fills, after this look */
				pipe_drain(k);
				m = rd_kafka_consumer_poll(k->rk, 0);
			}
			if (m == NULL) {
				if (k->full)
					ksrc_wake(k);
				return LINE_AGAIN;
			}
			if (m->err) {
				if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
					;
				else if (
					rd_kafka_fatal_error(k->rk, NULL, 0) ||
					m->err ==
						RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
					m->err ==
						RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
					m->err ==
						RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
					snprintf(k->why, sizeof k->why, "%s",
						 rd_kafka_message_errstr(m));
					k->fatal = 1;
				}
				rd_kafka_message_destroy(m);
				continue;
			}
			k->seen_msgs++;
			k->seen_bytes += m->len;
			if (--k->qcheck == 0)
				ksrc_queue_look(k);
			kp = part_get(k, rd_kafka_topic_name(m->rkt),
				      m->partition);
			k->cur_name = kp->name;
			table_add(k, m, (size_t)(kp - k->parts));
			k->cur = m;
			k->pos = 0;
			if (k->set->want_meta)
				ksrc_meta(k, m);
		}
		{
			const char *p = (const char *)k->cur->payload;
			size_t len = k->cur->len, start, end;
			const char *nl;

			if (p == NULL)
				len = 0;
			/* blank lines (and an empty message) are no events */
			while (k->pos < len &&
			       (p[k->pos] == '\n' || p[k->pos] == '\r'))
				k->pos++;
			if (k->pos >= len) {
				cur_done(k);
				/* A turn ends with a message: the runner's
				 * mark then covers it alone, so a record a
				 * command holds (a batch) holds back no
				 * message before its own. */
				if (k->handed)
					return LINE_AGAIN;
				continue;
			}
			start = k->pos;
			nl = memchr(p + start, '\n', len - start);
			end = nl ? (size_t)(nl - p) : len;
			k->pos = nl ? end + 1 : len;
			if (end > start && p[end - 1] == '\r')
				end--;
			rec->bytes = p + start;
			rec->len = end - start;
			rec->lineno = (uint64_t)k->cur->offset;
			rec->checked = NULL;
			if (k->set->want_meta) {
				rec->meta = k->meta.data;
				rec->metalen = k->meta.len;
			}
			s->name = k->cur_name;
			k->handed = 1;
			if (rec->len > max) {
				rec->len = max;
				return LINE_TOO_LONG;
			}
			return LINE_OK;
		}
	}
}

static void
ksrc_service(struct source *s, struct source_set *set)
{
	struct ksrc *k = (struct ksrc *)s;

	(void)set;
	k->handed = 0;
	/* commit callbacks and errors are served by next()'s poll */
	if (mono_ns() - k->last_commit >= KSRC_COMMIT_EVERY)
		commit_now(k, 0);
	s->deadline = mono_ns() + KSRC_COMMIT_EVERY;
}

static void
ksrc_idle(struct source *s, struct source_set *set)
{
	struct ksrc *k = (struct ksrc *)s;

	(void)set;
	/* A turn that ended with a message goes on at the next one; one
	 * that found nothing waits for the queue's pipe. */
	s->ready = k->handed;
	s->deadline = mono_ns() + KSRC_COMMIT_EVERY;
}

static void
ksrc_end(struct source *s, struct source_set *set, int failed)
{
	(void)set;
	(void)failed; /* reported by the runner */
	s->done = 1;
}

static uint64_t
ksrc_mark(struct source *s)
{
	return ((struct ksrc *)s)->complete;
}

static void
ksrc_delivered(struct source *s, uint64_t mark)
{
	struct ksrc *k = (struct ksrc *)s;

	while (k->base < mark && k->n > 0) {
		struct kentry *e = &k->v[k->head];

		if (e->gen == k->gen &&
		    e->offset + 1 > k->parts[e->part].pending)
			k->parts[e->part].pending = e->offset + 1;
		k->head = (k->head + 1) % k->cap;
		k->n--;
		k->base++;
	}
	if (mono_ns() - k->last_commit >= KSRC_COMMIT_EVERY)
		commit_now(k, 0);
}

/*
 * Leave the group before rd_kafka_consumer_close(): librdkafka 2.0 can
 * wait for good inside the close when the revocation it makes meets a
 * rebalance in progress (the assign in its rebalance handling never gets
 * its answer; seen with two members, one stopped).  Unsubscribing first
 * and serving the revocation here, in our own rebalance callback, leaves
 * the close nothing to revoke.  Bounded: KSRC_LEAVE_MS at most.
 */
static void
leave_group(struct ksrc *k)
{
	int64_t end = mono_ns() + (int64_t)KSRC_LEAVE_MS * 1000000;

	if (rd_kafka_unsubscribe(k->rk) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	while (mono_ns() < end) {
		rd_kafka_topic_partition_list_t *a = NULL;
		rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, 100);
		int left;

		/* not handed out: never committed, the next owner reads it */
		if (m)
			rd_kafka_message_destroy(m);
		if (rd_kafka_assignment(k->rk, &a) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			return;
		left = a->cnt;
		rd_kafka_topic_partition_list_destroy(a);
		if (left == 0)
			return;
	}
}

static void
ksrc_free(struct source *s)
{
	struct ksrc *k = (struct ksrc *)s;
	size_t i;
	int t;

	if (k->cur)
		rd_kafka_message_destroy(k->cur);
	/* What was delivered is committed before the group is left; a
	 * refusal (a rebalance going on) is tried again a few times. */
	for (t = 0; t < KSRC_CLOSE_TRIES && commit_now(k, 1) == -1; t++)
		usleep(200000);
	leave_group(k);
	if (k->q)
		rd_kafka_queue_destroy(k->q);
	rd_kafka_consumer_close(k->rk);
	rd_kafka_destroy(k->rk);
	for (i = 0; i < k->nparts; i++)
		free(k->parts[i].topic);
	free(k->parts);
	free(k->v);
	free(k->spec);
	buf_release(&k->meta);
	buf_release(&k->names);
	close(k->pipe[0]);
	close(k->pipe[1]);
	free(k);
}

static const struct source_ops ksrc_ops = {
	.service = ksrc_service,
	.next = ksrc_next,
	.idle = ksrc_idle,
	.end = ksrc_end,
	.mark = ksrc_mark,
	.delivered = ksrc_delivered,
	.free = ksrc_free,
};

/* The brokers answer and know every topic: or a clear error now. */
static int
ksrc_probe(struct ksrc *k, const struct kurl *u, struct errbuf *eb)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err;
	char *topics = xstrdup(u->topics), *t, *save = NULL;
	int rc = 0;

	err = rd_kafka_metadata(k->rk, 1, NULL, &md, KSRC_META_MS);
	if (err) {
		free(topics);
		return errbuf_set(eb, STATUS_IO,
				  "-i %s: cannot reach the brokers %s: %s",
				  k->spec, u->hosts, rd_kafka_err2str(err));
	}
	for (t = strtok_r(topics, ",", &save); t && rc == 0;
	     t = strtok_r(NULL, ",", &save)) {
		int i, found = 0;

		for (i = 0; i < md->topic_cnt; i++)
			if (strcmp(md->topics[i].topic, t) == 0 &&
			    md->topics[i].err == 0)
				found = 1;
		if (!found)
			rc = errbuf_set(eb, STATUS_IO,
					"-i %s: no topic '%s' on the brokers",
					k->spec, t);
	}
	rd_kafka_metadata_destroy(md);
	free(topics);
	return rc;
}

int
source_kafka_new(struct source_set *set, const char *spec)
{
	struct errbuf eb = { 0 };
	struct ksrc *k = xcalloc(1, sizeof *k);
	rd_kafka_topic_partition_list_t *sub;
	rd_kafka_conf_t *conf;
	struct kurl u;
	char err[512], *topics, *t, *save = NULL;
	rd_kafka_resp_err_t rerr;

	if (kurl_parse(spec, &u, &eb) == -1 ||
	    (conf = conf_build(set->g, &u, &eb)) == NULL) {
		fprintf(stderr, "evpipe: %s\n", eb.msg);
		set->status = eb.status;
		free(k);
		return -1;
	}
	k->set = set;
	k->spec = xstrdup(spec);
	k->pipe[0] = k->pipe[1] = -1;
	k->qmax_bytes =
		kafka_conf_int(conf, "queued.max.messages.kbytes", 65536) *
		1024;
	k->qmax_msgs = kafka_conf_int(conf, "queued.min.messages", 100000);
	k->qcheck = KSRC_QCHECK;
	rd_kafka_conf_set_opaque(conf, k);
	rd_kafka_conf_set_rebalance_cb(conf, ksrc_rebalance);
	rd_kafka_conf_set_offset_commit_cb(conf, ksrc_commit_cb);
	rd_kafka_conf_set_error_cb(conf, ksrc_error);
	rd_kafka_conf_set_log_cb(conf, ksrc_log);
	k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	if (k->rk == NULL) {
		rd_kafka_conf_destroy(conf);
		errbuf_set(&eb, STATUS_USAGE, "-i %s: %s", spec, err);
		goto fail;
	}
	if (ksrc_probe(k, &u, &eb) == -1)
		goto fail;
	rd_kafka_poll_set_consumer(k->rk);
	if (pipe2(k->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		errbuf_set(&eb, STATUS_IO, "-i %s: pipe: %s", spec,
			   strerror(errno));
		goto fail;
	}
	k->q = rd_kafka_queue_get_consumer(k->rk);
	rd_kafka_queue_io_event_enable(k->q, k->pipe[1], "1", 1);
	sub = rd_kafka_topic_partition_list_new(4);
	topics = xstrdup(u.topics);
	for (t = strtok_r(topics, ",", &save); t;
	     t = strtok_r(NULL, ",", &save))
		rd_kafka_topic_partition_list_add(sub, t,
						  RD_KAFKA_PARTITION_UA);
	free(topics);
	rerr = rd_kafka_subscribe(k->rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (rerr) {
		errbuf_set(&eb, STATUS_IO, "-i %s: subscribe: %s", spec,
			   rd_kafka_err2str(rerr));
		goto fail;
	}
	kurl_free(&u);
	k->s.ops = &ksrc_ops;
	k->s.name = source_set_name(set, spec);
	k->s.fd = k->pipe[0];
	k->s.ready = 1;
	k->s.deadline = mono_ns() + KSRC_COMMIT_EVERY;
	k->s.delivery = 1;
	k->last_commit = mono_ns();
	source_set_add(set, &k->s);
	return 0;
fail:
	fprintf(stderr, "evpipe: %s\n", eb.msg);
	set->status = eb.status;
	kurl_free(&u);
	if (k->q)
		rd_kafka_queue_destroy(k->q);
	if (k->rk)
		rd_kafka_destroy(k->rk);
	if (k->pipe[0] >= 0) {
		close(k->pipe[0]);
		close(k->pipe[1]);
	}
	free(k->spec);
	free(k);
	return -1;
}
