/*
 * nats-floor.c -- the floor the nats group of "make bench" holds evpipe
 * against: the smallest honest loops on libnats that do what evpipe's
 * nats:// target and source do, and nothing else.
 *
 *   nats-floor stream URL NAME SUBJECT
 *	delete the stream NAME if it exists, and make it again (file
 *	storage, one replica) taking SUBJECT: each timed run starts from
 *	an empty stream whose duplicate window holds no message id yet;
 *   nats-floor rmconsumer URL STREAM DURABLE
 *	delete the consumer DURABLE of STREAM if it exists;
 *   nats-floor pub URL SUBJECT FILE
 *	publish each line of FILE (without its newline) to SUBJECT as a
 *	JetStream asynchronous publish whose Nats-Msg-Id is the XXH3-128
 *	of the line in 32 hex digits, at most 4096 in flight (evpipe's
 *	NATS_MAX_PENDING), then wait for every acknowledgement; a refused
 *	message is an error;
 *   nats-floor sub URL STREAM DURABLE N FILE
 *	read N messages of STREAM through the durable pull consumer
 *	DURABLE (made if it is missing as evpipe makes one: explicit
 *	acknowledgements, AckWait 30 s, at most 10000 pending) in
 *	fetches of BATCH messages (N/BATCH; 256 if only N is given),
 *	writing each message's data and a newline to FILE and
 *	acknowledging it.
 *
 * Exit status 0, or 1 with a message on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>
#include <xxhash.h>

#define MAX_PENDING 4096
#define ACK_WAIT_MS 5000

static int refused;

static int
fail(const char *what, natsStatus st)
{
	const char *d = nats_GetLastError(NULL);

	fprintf(stderr, "nats-floor: %s: %s\n", what,
		d && *d ? d : natsStatus_GetText(st));
	return 1;
}

static void
puberr(jsCtx *js, jsPubAckErr *pae, void *closure)
{
	(void)js;
	(void)closure;
	if (refused++ == 0)
		fprintf(stderr, "nats-floor: a publish was refused: %s\n",
			pae->ErrText ? pae->ErrText
				     : natsStatus_GetText(pae->Err));
}

static int
stream(jsCtx *js, const char *name, const char *subject)
{
	jsStreamConfig cfg;
	jsStreamInfo *si = NULL;
	const char *subjects[1] = { subject };
	natsStatus st;

	st = js_DeleteStream(js, name, NULL, NULL);
	if (st != NATS_OK && st != NATS_NOT_FOUND)
		return fail("delete stream", st);
	jsStreamConfig_Init(&cfg);
	cfg.Name = name;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	st = js_AddStream(&si, js, &cfg, NULL, NULL);
	if (st != NATS_OK)
		return fail("add stream", st);
	jsStreamInfo_Destroy(si);
	return 0;
}

static int
rmconsumer(jsCtx *js, const char *name, const char *durable)
{
	natsStatus st = js_DeleteConsumer(js, name, durable, NULL, NULL);

	if (st != NATS_OK && st != NATS_NOT_FOUND)
		return fail("delete consumer", st);
	return 0;
}

static int
pub(jsCtx *js, const char *subject, const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, id[33];
	size_t cap = 0;
	ssize_t len;
	natsStatus st = NATS_OK;
	jsPubOptions po;

	if (fp == NULL) {
		perror(path);
		return 1;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		natsMsg *m = NULL;
		XXH128_hash_t h;

		if (line[len - 1] == '\n')
			len--;
		h = XXH3_128bits(line, (size_t)len);
		snprintf(id, sizeof id, "%016" PRIx64 "%016" PRIx64,
			 (uint64_t)h.high64, (uint64_t)h.low64);
		st = natsMsg_Create(&m, subject, NULL, line, (int)len);
		if (st == NATS_OK)
			st = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
		/* waits while MAX_PENDING are in flight */
		while (st == NATS_OK &&
		       (st = js_PublishMsgAsync(js, &m, NULL)) == NATS_TIMEOUT)
			st = NATS_OK;
		natsMsg_Destroy(m);
		if (st != NATS_OK)
			break;
	}
	free(line);
	fclose(fp);
	if (st != NATS_OK)
		return fail("publish", st);
	jsPubOptions_Init(&po);
	po.MaxWait = 60000;
	st = js_PublishAsyncComplete(js, &po);
	if (st != NATS_OK)
		return fail("acknowledgements", st);
	return refused ? 1 : 0;
}

static int
sub(jsCtx *js, const char *name, const char *durable, const char *count,
    const char *path)
{
	natsSubscription *s = NULL;
	jsStreamInfo *si = NULL;
	jsSubOptions so;
	jsOptions jo;
	natsStatus st;
	char *slash;
	long long want = strtoll(count, &slash, 10), got = 0;
	int batch = *slash == '/' ? atoi(slash + 1) : 256;
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		perror(path);
		return 1;
	}
	jsOptions_Init(&jo);
	jsSubOptions_Init(&so);
	so.Stream = name;
	/* what evpipe gives a consumer it makes (source/nats.c) */
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.DeliverPolicy = js_DeliverAll;
	so.Config.AckWait = 30LL * 1000000000;
	so.Config.MaxAckPending = 10000;
	st = js_GetStreamInfo(&si, js, name, NULL, NULL);
	if (st != NATS_OK)
		return fail("stream info", st);
	st = js_PullSubscribe(&s, js, si->Config->Subjects[0], durable, &jo,
			      &so, NULL);
	jsStreamInfo_Destroy(si);
	if (st != NATS_OK)
		return fail("pull subscribe", st);
	while (got < want) {
		natsMsgList list = { 0 };

		st = natsSubscription_Fetch(&list, s, batch, ACK_WAIT_MS, NULL);
		if (st != NATS_OK) {
			fprintf(stderr, "nats-floor: %lld of %lld messages\n",
				got, want);
			return fail("fetch", st);
		}
		for (int i = 0; i < list.Count; i++) {
			natsMsg *m = list.Msgs[i];

			fwrite(natsMsg_GetData(m), 1,
			       (size_t)natsMsg_GetDataLength(m), fp);
			putc('\n', fp);
			st = natsMsg_Ack(m, NULL);
			if (st != NATS_OK)
				return fail("ack", st);
		}
		got += list.Count;
		natsMsgList_Destroy(&list);
	}
	natsSubscription_Destroy(s);
	if (fclose(fp) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	natsStatus st;
	const char *cmd = argc > 2 ? argv[1] : "";
	int rc;

	if (!((strcmp(cmd, "stream") == 0 && argc == 5) ||
	      (strcmp(cmd, "rmconsumer") == 0 && argc == 5) ||
	      (strcmp(cmd, "pub") == 0 && argc == 5) ||
	      (strcmp(cmd, "sub") == 0 && argc == 7))) {
		fprintf(stderr,
			"usage: nats-floor stream URL NAME SUBJECT | "
			"rmconsumer URL STREAM DURABLE | pub URL SUBJECT FILE "
			"| sub URL STREAM DURABLE N[/BATCH] FILE\n");
		return 2;
	}
	st = natsConnection_ConnectTo(&nc, argv[2]);
	if (st != NATS_OK)
		return fail("connect", st);
	jsOptions_Init(&jo);
	jo.Wait = ACK_WAIT_MS;
	jo.PublishAsync.MaxPending = MAX_PENDING;
	jo.PublishAsync.ErrHandler = puberr;
	st = natsConnection_JetStream(&js, nc, &jo);
	if (st != NATS_OK)
		return fail("jetstream", st);
	if (strcmp(cmd, "stream") == 0)
		rc = stream(js, argv[3], argv[4]);
	else if (strcmp(cmd, "rmconsumer") == 0)
		rc = rmconsumer(js, argv[3], argv[4]);
	else if (strcmp(cmd, "pub") == 0)
		rc = pub(js, argv[3], argv[4]);
	else
		rc = sub(js, argv[3], argv[4], argv[5], argv[6]);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	return rc;
}
