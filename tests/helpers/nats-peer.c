/*
 * nats-peer -- the independent JetStream peer of the tests (no nats CLI
 * is packaged):
 *
 *   nats-peer URL stream NAME SUBJECT [MAX_MSG_SIZE [REPLICAS]]
 *	create the stream NAME (file storage) taking SUBJECT, each
 *	message at most MAX_MSG_SIZE bytes (0: no limit), kept on
 *	REPLICAS servers of a cluster (default 1);
 *   nats-peer URL leader NAME [CONSUMER]
 *	print the name of the server leading stream NAME (or its
 *	consumer), once it has a leader and every replica is current
 *	(waits up to 30 s);
 *   nats-peer URL count NAME
 *	print how many messages stream NAME holds;
 *   nats-peer URL dump NAME
 *	print every message of stream NAME in order, one line each:
 *	SUBJECT, TAB, the Nats-Msg-Id header, TAB, the data;
 *   nats-peer URL pub SUBJECT [NAME:VALUE...]
 *	publish each line of stdin as one message (with those headers),
 *	waiting for the stream to store every one;
 *   nats-peer URL pub1 SUBJECT
 *	publish all of stdin as one message;
 *   nats-peer URL consumer STREAM NAME
 *	print the consumer's state: "pending=N ack_pending=N
 *	redelivered=N ack_floor=N waiting=N max_ack_pending=N"
 *	(ack_floor: the stream sequence), or fail if there is none;
 *   nats-peer URL rmconsumer STREAM NAME
 *	delete a consumer;
 *   nats-peer URL mkconsumer STREAM NAME ACK_WAIT_MS [push]
 *	create a durable consumer: a pull consumer with explicit acks
 *	and that AckWait, or a push consumer.
 *
 * With NATS_PEER_CA set, the connection is TLS, trusting the CAs in
 * that file.  Exit status 0, or 1 with a message on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

static int
fail(const char *what, natsStatus st)
{
	const char *d = nats_GetLastError(NULL);

	fprintf(stderr, "nats-peer: %s: %s\n", what,
		d && *d ? d : natsStatus_GetText(st));
	return 1;
}

static int
create(jsCtx *js, const char *name, const char *subject, const char *max,
       const char *replicas)
{
	jsStreamConfig cfg;
	jsStreamInfo *si = NULL;
	jsErrCode code = 0;
	const char *subjects[1] = { subject };
	natsStatus st;

	jsStreamConfig_Init(&cfg);
	cfg.Name = name;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	if (max && atol(max) > 0)
		cfg.MaxMsgSize = (int32_t)atol(max);
	if (replicas)
		cfg.Replicas = atoi(replicas);
	st = js_AddStream(&si, js, &cfg, NULL, &code);
	if (st != NATS_OK)
		return fail("add stream", st);
	jsStreamInfo_Destroy(si);
	return 0;
}

static int
count(jsCtx *js, const char *name)
{
	jsStreamInfo *si = NULL;
	natsStatus st = js_GetStreamInfo(&si, js, name, NULL, NULL);

	if (st != NATS_OK)
		return fail("stream info", st);
	printf("%" PRIu64 "\n", si->State.Msgs);
	jsStreamInfo_Destroy(si);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* The leader of c, if it has one and no replica lags behind; or NULL. */
static const char *
cluster_ready(const jsClusterInfo *c)
{
	if (c == NULL || c->Leader == NULL || *c->Leader == '\0')
		return NULL;
	for (int r = 0; r < c->ReplicasLen; r++)
		if (!c->Replicas[r]->Current || c->Replicas[r]->Offline)
			return NULL;
	return c->Leader;
}

/* The leader of the stream, or of its consumer. */
static int
leader(jsCtx *js, const char *name, const char *consumer)
{
	for (int i = 0; i < 300; i++) {
		jsStreamInfo *si = NULL;
		jsConsumerInfo *ci = NULL;
		const char *l = NULL;

		if (consumer == NULL &&
		    js_GetStreamInfo(&si, js, name, NULL, NULL) == NATS_OK)
			l = cluster_ready(si->Cluster);
		if (consumer != NULL &&
		    js_GetConsumerInfo(&ci, js, name, consumer, NULL, NULL) ==
			    NATS_OK)
			l = cluster_ready(ci->Cluster);
		if (l)
			printf("%s\n", l);
		jsStreamInfo_Destroy(si);
		jsConsumerInfo_Destroy(ci);
		if (l)
			return fflush(stdout) == 0 ? 0 : 1;
		nats_Sleep(100);
	}
	fprintf(stderr,
		"nats-peer: %s %s has no current leader and replicas after "
		"30 s\n",
		consumer ? "consumer" : "stream", consumer ? consumer : name);
	return 1;
}

static int
dump(jsCtx *js, const char *name)
{
	jsStreamInfo *si = NULL;
	jsSubOptions so;
	natsSubscription *sub = NULL;
	natsStatus st;
	uint64_t want, got = 0;

	st = js_GetStreamInfo(&si, js, name, NULL, NULL);
	if (st != NATS_OK)
		return fail("stream info", st);
	want = si->State.Msgs;
	if (want == 0) {
		jsStreamInfo_Destroy(si);
		return 0;
	}
	jsSubOptions_Init(&so);
	so.Stream = name;
	so.Ordered = true;
	st = js_SubscribeSync(&sub, js, si->Config->Subjects[0], NULL, &so,
			      NULL);
	jsStreamInfo_Destroy(si);
	if (st != NATS_OK)
		return fail("subscribe", st);
	while (got < want) {
		natsMsg *m = NULL;
		const char *id = NULL;

		st = natsSubscription_NextMsg(&m, sub, 10000);
		if (st != NATS_OK) {
			fprintf(stderr,
				"nats-peer: %" PRIu64 " of %" PRIu64
				" messages\n",
				got, want);
			return fail("next message", st);
		}
		if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK)
			id = "";
		printf("%s\t%s\t%.*s\n", natsMsg_GetSubject(m), id,
		       natsMsg_GetDataLength(m), natsMsg_GetData(m));
		natsMsg_Destroy(m);
		got++;
	}
	natsSubscription_Destroy(sub);
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * One message from p[0..n) with headers "NAME:VALUE": asynchronously
 * (pub() then waits for every ack), or, with wait, synchronously.
 */
static int
pub_one(jsCtx *js, const char *subject, const char *p, int n, char **hdrs,
	int nhdrs, int wait)
{
	natsMsg *m = NULL;
	natsStatus st = natsMsg_Create(&m, subject, NULL, p, n);

	for (int i = 0; st == NATS_OK && i < nhdrs; i++) {
		char *colon = strchr(hdrs[i], ':');

		if (colon == NULL)
			return fail("header NAME:VALUE", NATS_INVALID_ARG);
		*colon = '\0';
		st = natsMsgHeader_Add(m, hdrs[i], colon + 1);
		*colon = ':';
	}
	if (st == NATS_OK && wait) {
		jsPubAck *ack = NULL;

		st = js_PublishMsg(&ack, js, m, NULL, NULL);
		jsPubAck_Destroy(ack);
	} else if (st == NATS_OK) {
		st = js_PublishMsgAsync(js, &m, NULL);
	}
	natsMsg_Destroy(m);
	return st == NATS_OK ? 0 : fail("publish", st);
}

static int
pub(jsCtx *js, const char *subject, char **hdrs, int nhdrs, int whole)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	jsPubOptions po;
	natsStatus st;
	int rc = 0;

	if (whole) {
		char buf[65536];
		size_t len = fread(buf, 1, sizeof buf, stdin);

		/* one message, acknowledged before we go: nothing of it
		 * is left to the library's threads at exit */
		rc = pub_one(js, subject, buf, (int)len, hdrs, nhdrs, 1);
	}
	while (!whole && rc == 0 && (n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		rc = pub_one(js, subject, line, (int)n, hdrs, nhdrs, 0);
	}
	free(line);
	jsPubOptions_Init(&po);
	po.MaxWait = 60000;
	st = js_PublishAsyncComplete(js, &po);
	if (rc == 0 && st != NATS_OK)
		rc = fail("publish complete", st);
	return rc;
}

static int
consumer(jsCtx *js, const char *stream, const char *name)
{
	jsConsumerInfo *ci = NULL;
	natsStatus st = js_GetConsumerInfo(&ci, js, stream, name, NULL, NULL);

	if (st != NATS_OK)
		return fail("consumer info", st);
	printf("pending=%" PRIu64 " ack_pending=%" PRId64
	       " redelivered=%" PRId64 " ack_floor=%" PRIu64 " waiting=%" PRId64
	       " max_ack_pending=%" PRId64 "\n",
	       ci->NumPending, ci->NumAckPending, ci->NumRedelivered,
	       ci->AckFloor.Stream, ci->NumWaiting, ci->Config->MaxAckPending);
	jsConsumerInfo_Destroy(ci);
	return 0;
}

static int
mkconsumer(jsCtx *js, const char *stream, const char *name, const char *wait,
	   int push)
{
	jsConsumerConfig cc;
	jsConsumerInfo *ci = NULL;
	natsStatus st;

	jsConsumerConfig_Init(&cc);
	cc.Durable = name;
	cc.AckPolicy = js_AckExplicit;
	cc.AckWait = atoll(wait) * 1000000LL;
	if (push)
		cc.DeliverSubject = "peer.push";
	st = js_AddConsumer(&ci, js, stream, &cc, NULL, NULL);
	if (st != NATS_OK)
		return fail("add consumer", st);
	jsConsumerInfo_Destroy(ci);
	return 0;
}

/* To URL; over TLS trusting the CAs of $NATS_PEER_CA when it is set. */
static natsStatus
connect(natsConnection **nc, const char *url)
{
	const char *ca = getenv("NATS_PEER_CA");
	natsOptions *o = NULL;
	natsStatus st;

	if (ca == NULL || *ca == '\0')
		return natsConnection_ConnectTo(nc, url);
	st = natsOptions_Create(&o);
	if (st == NATS_OK)
		st = natsOptions_SetURL(o, url);
	if (st == NATS_OK)
		st = natsOptions_SetSecure(o, true);
	if (st == NATS_OK)
		st = natsOptions_LoadCATrustedCertificates(o, ca);
	if (st == NATS_OK)
		st = natsConnection_Connect(nc, o);
	natsOptions_Destroy(o);
	return st;
}

int
main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	natsStatus st;
	int rc;

	if (argc < 4 || (strcmp(argv[2], "stream") == 0 && argc < 5)) {
		fprintf(stderr, "usage: nats-peer URL stream NAME SUBJECT "
				"[MAX_MSG_SIZE [REPLICAS]] | URL leader NAME "
				"[CONSUMER] | "
				"URL count NAME | URL dump NAME | URL pub[1] "
				"SUBJECT [NAME:VALUE...] | URL consumer STREAM "
				"NAME | URL rmconsumer STREAM NAME | URL "
				"mkconsumer STREAM NAME ACK_WAIT_MS "
				"[push]\n");
		return 2;
	}
	st = connect(&nc, argv[1]);
	if (st != NATS_OK)
		return fail("connect", st);
	st = natsConnection_JetStream(&js, nc, NULL);
	if (st != NATS_OK)
		return fail("jetstream", st);
	if (strcmp(argv[2], "stream") == 0)
		rc = create(js, argv[3], argv[4], argc > 5 ? argv[5] : NULL,
			    argc > 6 ? argv[6] : NULL);
	else if (strcmp(argv[2], "count") == 0)
		rc = count(js, argv[3]);
	else if (strcmp(argv[2], "leader") == 0)
		rc = leader(js, argv[3], argc > 4 ? argv[4] : NULL);
	else if (strcmp(argv[2], "dump") == 0)
		rc = dump(js, argv[3]);
	else if (strcmp(argv[2], "pub") == 0 || strcmp(argv[2], "pub1") == 0)
		rc = pub(js, argv[3], argv + 4, argc - 4,
			 strcmp(argv[2], "pub1") == 0);
	else if (strcmp(argv[2], "rmconsumer") == 0 && argc > 4)
		rc = js_DeleteConsumer(js, argv[3], argv[4], NULL, NULL) ==
				     NATS_OK
			     ? 0
			     : fail("delete consumer", NATS_ERR);
	else if (strcmp(argv[2], "consumer") == 0 && argc > 4)
		rc = consumer(js, argv[3], argv[4]);
	else if (strcmp(argv[2], "mkconsumer") == 0 && argc > 5)
		rc = mkconsumer(js, argv[3], argv[4], argv[5],
				argc > 6 && strcmp(argv[6], "push") == 0);
	else
		rc = 2;
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	/* wait for the library's threads: one may still hold a message
	 * of the last publish (a leak to LeakSanitizer otherwise) */
	nats_CloseAndWait(5000);
	return rc;
}
