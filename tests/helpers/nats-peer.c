/*
 * nats-peer -- the independent JetStream peer of the tests (no nats CLI
 * is packaged):
 *
 *   nats-peer URL stream NAME SUBJECT [MAX_MSG_SIZE [REPLICAS]]
 *	create the stream NAME (file storage) taking SUBJECT, each
 *	message at most MAX_MSG_SIZE bytes (0: no limit), kept on
 *	REPLICAS servers of a cluster (default 1);
 *   nats-peer URL leader NAME
 *	print the name of the server leading stream NAME, once it has
 *	a leader and every replica is current (waits up to 30 s);
 *   nats-peer URL count NAME
 *	print how many messages stream NAME holds;
 *   nats-peer URL dump NAME
 *	print every message of stream NAME in order, one line each:
 *	SUBJECT, TAB, the Nats-Msg-Id header, TAB, the data.
 *
 * Exit status 0, or 1 with a message on stderr.
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

/* The stream's leader, once it has one and no replica lags behind. */
static int
leader(jsCtx *js, const char *name)
{
	for (int i = 0; i < 300; i++) {
		jsStreamInfo *si = NULL;
		natsStatus st = js_GetStreamInfo(&si, js, name, NULL, NULL);
		int ready = 0;

		if (st == NATS_OK && si->Cluster && si->Cluster->Leader &&
		    *si->Cluster->Leader) {
			ready = 1;
			for (int r = 0; r < si->Cluster->ReplicasLen; r++)
				if (!si->Cluster->Replicas[r]->Current ||
				    si->Cluster->Replicas[r]->Offline)
					ready = 0;
			if (ready)
				printf("%s\n", si->Cluster->Leader);
		}
		jsStreamInfo_Destroy(si);
		if (ready)
			return fflush(stdout) == 0 ? 0 : 1;
		nats_Sleep(100);
	}
	fprintf(stderr,
		"nats-peer: stream %s has no current leader and "
		"replicas after 30 s\n",
		name);
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

int
main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	natsStatus st;
	int rc;

	if (argc < 4 || (strcmp(argv[2], "stream") == 0 && argc < 5)) {
		fprintf(stderr, "usage: nats-peer URL stream NAME SUBJECT "
				"[MAX_MSG_SIZE [REPLICAS]] | URL leader NAME | "
				"URL count NAME | URL dump NAME\n");
		return 2;
	}
	st = natsConnection_ConnectTo(&nc, argv[1]);
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
		rc = leader(js, argv[3]);
	else if (strcmp(argv[2], "dump") == 0)
		rc = dump(js, argv[3]);
	else
		rc = 2;
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	return rc;
}
