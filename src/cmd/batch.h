/*
 * batch.h -- what cmd/batch.c (grouping events into batches) and
 * batch-exec.c (running a command per batch) share.
 *
 * A batch owns copies of its events' bytes, one after the other in one
 * growing buffer: the NDJSON fed to a command (or written to a file), or
 * the JSON array emitted downstream.  For each event it keeps where its
 * bytes are and where it came from, so that a batch that fails for good
 * can send every event to the dead-letter target with its source and
 * line.  Source names are copied into the batch (an input's name is freed
 * when the next input is opened).
 */
#ifndef BATCH_H
#define BATCH_H

#include <stdint.h>
#include <stddef.h>

#include "lib/buf.h"

struct errbuf;
struct stage_env;

struct batch_ev {
	size_t off, len; /* bytes in data */
	size_t src;	 /* offset of the source name in srcs */
	uint64_t lineno;
	size_t meta, metalen; /* its metadata in meta; metalen 0: none */
};

struct batch {
	struct batch *prev, *next; /* open batches, oldest first event first */
	struct batch *hnext;	   /* hash chain (-k) */
	uint64_t hash;
	struct buf key;	 /* the key's canonical JSON bytes (-k) */
	struct buf data; /* the events (NDJSON, or "[a,b" in array mode) */
	struct buf srcs; /* source names, each NUL-terminated */
	size_t last_src; /* offset in srcs of the newest name */
	struct buf meta; /* the events' metadata (input_meta), if any */
	struct batch_ev *ev;
	size_t n, cap;
	uint64_t bytes;	  /* NDJSON size: event bytes plus a newline each */
	int64_t first_ns; /* monotonic time of the first event */
	uint64_t seq;	  /* 1, 2, ... in order of closing */
	uint64_t min_seq; /* lowest struct record seq of its events */
	const char *why;  /* what closed it: "count", "bytes", ... */
};

/* Where event i of b came from. */
static inline const char *
batch_src(const struct batch *b, size_t i)
{
	return b->srcs.data + b->ev[i].src;
}

/* The metadata of event i of b (input_meta), or NULL. */
static inline const char *
batch_meta(const struct batch *b, size_t i, size_t *len)
{
	*len = b->ev[i].metalen;
	return *len ? b->meta.data + b->ev[i].meta : NULL;
}

/*
 * Called by the runner of commands when a batch is done with: ok, or
 * failed for good with why ("command exited with status 1") after
 * attempts attempts (wstatus: the last wait status, or -1).  The callee
 * takes b back.  Returns 0, 1 (--on-error stop: stop reading) or -1 with
 * eb filled (fatal).
 */
typedef int (*batch_done_fn)(void *arg, struct batch *b, const char *why,
			     unsigned attempts, int wstatus, struct errbuf *eb);

struct bexec_opts {
	const char *cmd;
	unsigned parallel;  /* commands running (or waiting to retry) */
	unsigned retries;   /* attempts after the first */
	int64_t backoff_ns; /* wait before the first retry; doubles */
	int64_t timeout_ns; /* per attempt; 0: none */
	int keyed;	    /* set EVPIPE_BATCH_KEY */
	batch_done_fn done;
	void *arg;
};

/* Longest wait between retries. */
#define BEXEC_BACKOFF_MAX (60LL * 1000000000)
/* After a timeout: SIGTERM, then SIGKILL this much later. */
#define BEXEC_KILL_GRACE (2LL * 1000000000)

struct bexec;

struct bexec *bexec_new(const struct bexec_opts *o);

/*
 * Start the command for b (taken), waiting first for a free slot when
 * --parallel commands are busy: batches start in the order they are
 * submitted.  0, 1 (stop reading) or -1 with eb filled.
 */
int bexec_submit(struct bexec *x, struct batch *b, struct errbuf *eb);

/* Feed, reap and retry without blocking.  0, 1 or -1 as above. */
int bexec_poll(struct bexec *x, int64_t now, struct errbuf *eb);

/* When bexec_poll() next has work: INT64_MAX if no command is running. */
int64_t bexec_deadline(const struct bexec *x);

/* Wait until every batch is done.  0, 1 or -1 as above. */
int bexec_drain(struct bexec *x, struct errbuf *eb);

/* The lowest min_seq of the batches held (running, waiting to retry). */
uint64_t bexec_held(const struct bexec *x);

/* Counters for -v. */
void bexec_stats(const struct bexec *x, uint64_t *attempts, uint64_t *retries);

/*
 * Free (after a fatal error, when no drain happened): commands still
 * running get their stdin closed and are waited for; every batch held is
 * handed to recycle() without being reported.
 */
void bexec_free(struct bexec *x, void (*recycle)(void *, struct batch *),
		void *arg);

#endif
