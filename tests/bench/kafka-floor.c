/*
 * kafka-floor.c -- the floors the kafka group of "make bench" holds evpipe
 * against: the smallest honest loops on librdkafka that do what evpipe's
 * kafka:// target and source promise, and nothing else.
 *
 *   kafka-floor produce BOOTSTRAP TOPIC FILE
 *	check that each line of FILE is one JSON value (evpipe's own
 *	scanner, jscan_check(): what is not JSON is never sent), and
 *	produce it to TOPIC with an idempotent producer (evpipe's
 *	properties: murmur2_random, message.timeout.ms=30000), serving
 *	delivery reports as they come, as kcat -P does; then wait for
 *	every delivery report.  A refused message is an error.
 *   kafka-floor produce-unchecked BOOTSTRAP TOPIC FILE
 *	the same without the check: what the check costs on this machine.
 *   kafka-floor produce-threaded BOOTSTRAP TOPIC FILE
 *	the check on a thread of its own, which reads FILE in 1 MiB
 *	chunks and hands the checked ones (up to RING of them) to the
 *	producing thread: the check beside the producer, as evpipe's
 *	reader thread does it.
 *   kafka-floor consume BOOTSTRAP TOPIC GROUP BYTES FILE
 *	join GROUP (a new group starts at the earliest offsets), write
 *	each message's value and a newline to FILE until BYTES bytes are
 *	written, committing the offsets of what was written (flushed
 *	first; asynchronously every second, synchronously at the end),
 *	then leave the group.
 *	Prints to stderr when the first message came (the group's first
 *	rebalance) and when the last did, in seconds from the start.
 *
 * Exit status 0, or 1 with a message on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "json/json-scan.h"
#include "lib/errbuf.h"

#define READ_CHUNK (1 << 20)
#define RING	   8

static long refused;

static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int
fail(const char *what, const char *why)
{
	fprintf(stderr, "kafka-floor: %s: %s\n", what, why);
	return 1;
}

static rd_kafka_conf_t *
conf_new(const char *boot, const char *const *kv)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char err[256];

	if (rd_kafka_conf_set(c, "bootstrap.servers", boot, err, sizeof err) !=
	    RD_KAFKA_CONF_OK) {
		fail("bootstrap.servers", err);
		exit(1);
	}
	for (; kv[0]; kv += 2)
		if (rd_kafka_conf_set(c, kv[0], kv[1], err, sizeof err) !=
		    RD_KAFKA_CONF_OK) {
			fail(kv[0], err);
			exit(1);
		}
	return c;
}

static void
dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err)
		refused++;
}

/* An idempotent producer with evpipe's target's settings, and topic. */
static rd_kafka_t *
producer_new(const char *boot, const char *topic, rd_kafka_topic_t **rkt)
{
	static const char *const kv[] = {
		"enable.idempotence", "true",  "partitioner", "murmur2_random",
		"message.timeout.ms", "30000", NULL
	};
	rd_kafka_conf_t *c = conf_new(boot, kv);
	char err[256];
	rd_kafka_t *rk;

	rd_kafka_conf_set_dr_msg_cb(c, dr);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
	if (rk == NULL) {
		fail("rd_kafka_new", err);
		return NULL;
	}
	*rkt = rd_kafka_topic_new(rk, topic, NULL);
	return rk;
}

static int
produce_line(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const char *l, size_t n)
{
	for (;;) {
		if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA,
				     RD_KAFKA_MSG_F_COPY, (void *)l, n, NULL, 0,
				     NULL) == 0)
			break;
		if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return fail("produce",
				    rd_kafka_err2str(rd_kafka_last_error()));
		rd_kafka_poll(rk, 10);
	}
	rd_kafka_poll(rk, 0);
	return 0;
}

static int
produce(const char *boot, const char *topic, const char *path, int check)
{
	struct jscan js;
	char *buf = malloc(2 * READ_CHUNK);
	size_t have = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY);
	rd_kafka_topic_t *rkt;
	rd_kafka_t *rk;

	if (fd == -1 || buf == NULL)
		return fail(path, strerror(errno));
	if ((rk = producer_new(boot, topic, &rkt)) == NULL)
		return 1;
	jscan_init(&js);
	while ((r = read(fd, buf + have, READ_CHUNK)) > 0) {
		char *p = buf, *end = buf + have + (size_t)r, *nl;

		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			if (check &&
			    jscan_check(&js, p, (size_t)(nl - p), NULL) == -1)
				return fail(path, "a line is not JSON");
			if (produce_line(rk, rkt, p, (size_t)(nl - p)) != 0)
				return 1;
			p = nl + 1;
		}
		have = (size_t)(end - p);
		memmove(buf, p, have);
	}
	if (r == -1 || have > 0)
		return fail(path, r == -1 ? strerror(errno)
					  : "the last line has no newline");
	rd_kafka_flush(rk, -1);
	jscan_release(&js);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	free(buf);
	close(fd);
	if (refused)
		return fail("produce", "messages refused");
	return 0;
}

/* produce-threaded: chunks of whole lines, checked, from the reader */
struct chunk {
	char *data;
	size_t len;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk ring[RING];
	size_t head, n;
	int done, bad;
	int fd;
} rd = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void
ring_put(char *data, size_t len)
{
	pthread_mutex_lock(&rd.mu);
	while (rd.n == RING)
		pthread_cond_wait(&rd.cv, &rd.mu);
	rd.ring[(rd.head + rd.n++) % RING] = (struct chunk){ data, len };
	pthread_cond_broadcast(&rd.cv);
	pthread_mutex_unlock(&rd.mu);
}

static void *
reader_main(void *arg)
{
	struct jscan js;
	char *buf = malloc(2 * READ_CHUNK);
	size_t have = 0;
	ssize_t r;

	(void)arg;
	jscan_init(&js);
	while (buf && (r = read(rd.fd, buf + have, READ_CHUNK)) > 0) {
		char *p = buf, *end = buf + have + (size_t)r, *nl, *out;

		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			if (jscan_check(&js, p, (size_t)(nl - p), NULL) == -1)
				rd.bad = 1;
			p = nl + 1;
		}
		out = malloc((size_t)(p - buf));
		memcpy(out, buf, (size_t)(p - buf));
		ring_put(out, (size_t)(p - buf));
		have = (size_t)(end - p);
		memmove(buf, p, have);
	}
	if (have > 0)
		rd.bad = 1;
	pthread_mutex_lock(&rd.mu);
	rd.done = 1;
	pthread_cond_broadcast(&rd.cv);
	pthread_mutex_unlock(&rd.mu);
	jscan_release(&js);
	free(buf);
	return NULL;
}

static int
produce_threaded(const char *boot, const char *topic, const char *path)
{
	pthread_t t;
	rd_kafka_topic_t *rkt;
	rd_kafka_t *rk;

	rd.fd = open(path, O_RDONLY);
	if (rd.fd == -1)
		return fail(path, strerror(errno));
	if ((rk = producer_new(boot, topic, &rkt)) == NULL)
		return 1;
	pthread_create(&t, NULL, reader_main, NULL);
	for (;;) {
		struct chunk ch;
		char *p, *end, *nl;

		pthread_mutex_lock(&rd.mu);
		while (rd.n == 0 && !rd.done)
			pthread_cond_wait(&rd.cv, &rd.mu);
		if (rd.n == 0) {
			pthread_mutex_unlock(&rd.mu);
			break;
		}
		ch = rd.ring[rd.head];
		rd.head = (rd.head + 1) % RING;
		rd.n--;
		pthread_cond_broadcast(&rd.cv);
		pthread_mutex_unlock(&rd.mu);
		for (p = ch.data, end = p + ch.len;
		     (nl = memchr(p, '\n', (size_t)(end - p))) != NULL;
		     p = nl + 1)
			if (produce_line(rk, rkt, p, (size_t)(nl - p)) != 0)
				return 1;
		free(ch.data);
	}
	pthread_join(t, NULL);
	if (rd.bad)
		return fail(path, "a line is not JSON, or has no newline");
	rd_kafka_flush(rk, -1);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	close(rd.fd);
	if (refused)
		return fail("produce", "messages refused");
	return 0;
}

static int
consume(const char *boot, const char *topic, const char *group, long long want,
	const char *path)
{
	static const char *const kv[] = { "auto.offset.reset", "earliest",
					  "enable.auto.commit", "false", NULL };
	rd_kafka_conf_t *c = conf_new(boot, kv);
	rd_kafka_topic_partition_list_t *tl;
	struct timespec t0, last;
	char err[256];
	long long got = 0;
	double first = -1;
	FILE *out = fopen(path, "w");
	rd_kafka_t *rk;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	last = t0;
	if (out == NULL)
		return fail(path, strerror(errno));
	if (rd_kafka_conf_set(c, "group.id", group, err, sizeof err) !=
	    RD_KAFKA_CONF_OK)
		return fail("group.id", err);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
	if (rk == NULL)
		return fail("rd_kafka_new", err);
	rd_kafka_poll_set_consumer(rk);
	tl = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(tl, topic, RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(rk, tl) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return fail("subscribe", topic);
	rd_kafka_topic_partition_list_destroy(tl);
	while (got < want) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

		if (m == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (first < 0)
				first = since(&t0);
			fwrite(m->payload, 1, m->len, out);
			putc('\n', out);
			got += (long long)m->len + 1;
		}
		rd_kafka_message_destroy(m);
		if (since(&last) >= 1.0) {
			/* what is committed must be in the file first */
			fflush(out);
			rd_kafka_commit(rk, NULL, 1);
			clock_gettime(CLOCK_MONOTONIC, &last);
		}
	}
	if (fflush(out) == EOF || fclose(out) == EOF)
		return fail(path, strerror(errno));
	fprintf(stderr,
		"kafka-floor: the first message after %.2f s, all of them "
		"after %.2f s\n",
		first, since(&t0));
	rd_kafka_commit(rk, NULL, 0);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "produce") == 0)
		return produce(argv[2], argv[3], argv[4], 1);
	if (argc == 5 && strcmp(argv[1], "produce-unchecked") == 0)
		return produce(argv[2], argv[3], argv[4], 0);
	if (argc == 5 && strcmp(argv[1], "produce-threaded") == 0)
		return produce_threaded(argv[2], argv[3], argv[4]);
	if (argc == 7 && strcmp(argv[1], "consume") == 0)
		return consume(argv[2], argv[3], argv[4], atoll(argv[5]),
			       argv[6]);
	fprintf(stderr, "usage: kafka-floor produce BOOTSTRAP TOPIC FILE\n"
			"       kafka-floor produce-unchecked BOOTSTRAP TOPIC "
			"FILE\n"
			"       kafka-floor produce-threaded BOOTSTRAP TOPIC "
			"FILE\n"
			"       kafka-floor consume BOOTSTRAP TOPIC GROUP "
			"BYTES FILE\n");
	return 1;
}
