/*
 * source.h -- the interface every source of events implements, and the
 * set of sources the runner's event loop (pipeline.c) polls together.
 *
 * A source kind lives in its own file under src/source/ (file.c: files
 * read once, followed files with rotation and --checkpoint; listen.c:
 * tcp, unix and udp listeners and their clients) and is made by a
 * constructor declared at the end of this header, called from
 * source_set_init() (source.c) for the options that ask for it.  A kind
 * embeds struct source first in its own struct and points s.ops at a
 * const struct source_ops of its file.  The runner knows nothing of any
 * kind: it sees only struct source, these ops, and the records next()
 * hands out.
 *
 * The loop.  The runner polls the fd of every source that is not ready
 * (and not paused), and wakes a source whose deadline has passed; then it
 * gives each ready source a turn: service(), then next() until it returns
 * something other than a record, or SOURCE_TURN_LINES records were handed
 * out (so no source starves the others); then idle() after LINE_AGAIN, or
 * end() after LINE_EOF / LINE_ERROR.  Every source that carries events
 * reads them through its own struct reader (reader.h), so framing and
 * --from state are its own: a partial line or a csv header of one client
 * never mixes with another's.  A source that is done is freed by
 * source_set_next().
 *
 * Delivery.  A source may need to know when its events are safe: a
 * followed file with --checkpoint records how far it was delivered; a
 * broker consumer acknowledges a message or commits a partition's offset;
 * an HTTP listener answers a request once its events are out.  Such a
 * source sets s->delivery and implements mark() and delivered():
 *
 *   - A mark is a 64-bit position of the source's own choosing (a file
 *     offset, a broker offset, a request number, an index into a table
 *     of its own), opaque to the runner.  Marks of one source never
 *     decrease; mark() is where the source stands: every record it has
 *     handed out so far, and everything it skipped, lies at or before it.
 *     The runner takes the mark at the end of each turn, before idle() or
 *     end(), so each record is covered by the mark taken after it (the
 *     mark of the last record of its turn), never by an earlier one.
 *   - The runner numbers records as it reads them (struct record's seq)
 *     and keeps, per source, the marks it took with the number of the
 *     last record read by then (s->marks: the runner's, not the
 *     source's).  When everything up to a mark has left evpipe -- written
 *     to the output and dead-letter targets and flushed, or dead-lettered,
 *     or dropped by a command -- the runner calls delivered(s, mark).
 *     Events a command still holds (a sort window, an open batch, see
 *     stage.h held()) hold delivery back: a mark is delivered only once
 *     every record numbered up to it is out.  So delivered() comes in the
 *     order of the marks, for a prefix of what the source handed out: a
 *     source that reads from several streams (partitions) commits, per
 *     stream, the last of its positions the delivered mark covers, and
 *     is never asked to skip a gap.
 *   - Delivery points are right after the runner flushed its outputs:
 *     when no source has anything to give (idle), at least once a second
 *     while busy, and at the end of the run after the targets closed.
 *     After the delivered() calls of one point the runner calls
 *     source_set_delivered() once, which persists what they said (the
 *     --checkpoint file, written with fsync and rename).
 *   - Resuming is the source's own business: a source that restarts from
 *     where it was delivered (a checkpoint, a consumer group's committed
 *     offsets) never hands out again what was delivered before; when it
 *     must re-read some of it to get there (a csv header, json-seq
 *     framing), it reads and drops it inside next().
 *   - The runner forgets the marks of a source that is done: a source
 *     that must hear of its last one (a drained file leaving the
 *     checkpoint, a request to answer) stays in the set, not ready,
 *     until delivered() reaches it, and only then sets done.
 *   - A source whose positions start over (a truncated file read again
 *     from its start) drops the marks the runner keeps for it with
 *     source_marks_drop(); one that hands the rest of its stream to a new
 *     source (a rotated file drained by a source of its own) moves them
 *     with source_marks_move(), so that delivered() reaches the source
 *     whose positions they are.
 *
 * Metadata.  A broker source describes each message in rec->meta: a
 * compact JSON object (topic, partition, offset, key, headers... as
 * evpipe-brokers(7) lists them per kind), valid until the next call like
 * the bytes, which expressions read as input_meta.  It builds it only
 * when set->want_meta says some expression or template reads it; every
 * other source leaves rec->meta NULL.
 *
 * What a new source kind must implement: a constructor that fills struct
 * source (ops, name, fd or ready, deadline INT64_MAX) and adds it with
 * source_set_add(); next(), idle(), end() and free(); service() if it
 * has work to do before reading (accept clients, reopen a file);
 * mark() and delivered() if it sets delivery; unfinished() if it can be
 * stopped inside a record.
 */
#ifndef SOURCE_H
#define SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct errbuf;
struct globals;
struct prescan_line;
struct reader;
struct progress;
struct source_set;

/* The marks the runner keeps for a source (see Delivery above). */
struct source_marks {
	struct source_mark {
		uint64_t seq;  /* the last record read when it was taken */
		uint64_t mark; /* the source's mark then */
	} * v;
	size_t n, cap;
};

struct source {
	const struct source_ops *ops;
	const char *name; /* rec->src: lives as long as the set */
	int fd;		  /* polled for input while not ready; -1: none */
	int ready;	  /* has something to do without waiting */
	int done;	  /* finished: the runner removes it */
	int64_t deadline; /* monotonic ns of a timed check; INT64_MAX none */
	int paused;	  /* fd not polled until the deadline (EMFILE) */
	int delivery;	  /* takes mark() and delivered() (see above) */
	int follow;	  /* a followed file (woken by file events) */
	int plain;	  /* a file read once (they come one at a time) */
	int client;	  /* a listener's client (counts for --max-clients) */
	struct source_marks marks; /* the runner's (see Delivery) */
};

/* A record handed out by next(): valid until the next call. */
struct source_rec {
	const char *bytes; /* the event: a line, or a decoded record */
	size_t len;
	const char *meta; /* the message's metadata: a compact JSON object, or
			     NULL */
	size_t metalen;
	uint64_t lineno; /* the line where it starts; 0 if none */
	/* Read and checked on a second thread (prescan.h): the verdict on
	 * the line; NULL: the runner checks the bytes itself. */
	const struct prescan_line *checked;
	/* The reader it came from, for reader_where(); NULL: none. */
	const struct reader *rd;
	int bom; /* a UTF-8 byte order mark was skipped before it (-v) */
};

struct source_ops {
	/*
	 * A turn begins: accept clients, open a file that appeared, look
	 * for rotation.  May add sources to the set, may set done, may
	 * clear ready (nothing to read this turn).  NULL: nothing to do.
	 */
	void (*service)(struct source *, struct source_set *);
	/*
	 * The next record: LINE_OK or LINE_TOO_LONG (the first bytes of a
	 * record over --max-line) or LINE_INVALID (a record the --from
	 * decoder could not make sense of, eb says why) with *rec filled;
	 * LINE_AGAIN: nothing more right now; LINE_EOF: no more, ever;
	 * LINE_ERROR: reading failed (eb says why).  NULL: the source hands
	 * out no records itself (a listener that only accepts clients).
	 */
	int (*next)(struct source *, struct source_rec *rec, struct errbuf *eb);
	/* next() said LINE_AGAIN: wait (clear ready), look for rotation. */
	void (*idle)(struct source *, struct source_set *);
	/* next() said LINE_EOF, or LINE_ERROR (failed, already reported). */
	void (*end)(struct source *, struct source_set *, int failed);
	/* With delivery: where the source stands (see Delivery). */
	uint64_t (*mark)(struct source *);
	/* With delivery: everything up to mark is out of evpipe. */
	void (*delivered)(struct source *, uint64_t mark);
	/*
	 * Bytes of a record begun but not finished, that would be lost if
	 * the run ended now (reported at exit); NULL: never any.
	 */
	size_t (*unfinished)(struct source *);
	void (*free)(struct source *);
};

/* The sources of one run. */
struct source_set {
	const struct globals *g;
	struct source **v;
	size_t n, cap;
	const char *const *inputs; /* files read once, in order */
	size_t next_input;	   /* the next one to open */
	int in_plain;		   /* a file read once is in the set */
	struct progress *progress; /* --progress, or NULL */
	int prescan;	   /* regular files read once may use a prescan */
	int prescan_tape;  /* ... which hands over scanner tapes (some stage
			    * reads the events' fields) */
	int status;	   /* worst status (STATUS_IO) so far */
	int inotify_fd;	   /* -1 when following by polling */
	int nfollow;	   /* followed files in the set */
	size_t nclients;   /* clients connected now */
	uint64_t refused;  /* connections refused (--max-clients) so far */
	size_t client_mem; /* bytes their readers' buffers take */
	char **names;	   /* names kept for the run (clients) */
	size_t nnames, capnames;
	struct ckpt *ckpt; /* loaded from --checkpoint, or NULL */
	char *ckpt_last;   /* what was written last (skip rewrites) */
	int want_meta;	   /* some expression or template reads input_meta:
			    * sources with metadata fill rec->meta (else
			    * they need not build it) */
	/* The runner's: rejects so far (the HTTP source counts a request's
	 * own), and the table of them by stage and reason (its /metrics).
	 * Set after source_set_init(); NULL outside a run. */
	const uint64_t *rejected;
	struct json_t *rejects;
};

/* Records a source may hand out in one turn before the others get theirs. */
#define SOURCE_TURN_LINES 512

/*
 * Start the set: open the listeners (-i), start following the inputs
 * (-F, loading --checkpoint first), or queue them to be read in order.
 * -1 with an error printed and set->status set if a listener cannot be
 * opened or the checkpoint file cannot be read (nothing was read yet).
 */
int source_set_init(struct source_set *set, const struct globals *g,
		    const char *const *inputs);

/* Free every source (closing descriptors, removing unix socket files). */
void source_set_release(struct source_set *set);

/* Add a source (it belongs to the set from now on). */
void source_set_add(struct source_set *set, struct source *s);

/*
 * Remove the sources that are done; open the next file to read once when
 * none is in the set.  Returns 0 when nothing is left to read.
 */
int source_set_next(struct source_set *set);

/*
 * The delivered() calls of one delivery point are over: persist what
 * they said (the --checkpoint file).  0, or -1 with the error printed
 * and set->status set.
 */
int source_set_delivered(struct source_set *set);

/* Keep a source name until the set is released; returns the copy. */
const char *source_set_name(struct source_set *set, const char *name);

/* An I/O error: print "evpipe: MESSAGE", remember status 3. */
void source_set_error(struct source_set *set, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The inotify descriptor was readable: drain it, wake followed files. */
void source_set_file_events(struct source_set *set);

/* See Delivery above: forget s's marks; give from's marks to to. */
void source_marks_drop(struct source *s);
void source_marks_move(struct source *to, struct source *from);

/*
 * Check the source options before any I/O: listener targets,
 * --socket-mode, and --from-end / --checkpoint only with --follow.  0,
 * or -1 with a STATUS_USAGE error in eb.
 */
int source_check(const struct globals *g, struct errbuf *eb);

/* --socket-mode (NULL: the default, 0600) as a mode; 0, or -1 with a
 * STATUS_USAGE error in eb (if not NULL). */
int source_socket_mode(const char *arg, unsigned *mode, struct errbuf *eb);

/* ---- for the source kinds' files only ----------------------------------- */

/* Constructors, one per kind (source/file.c, source/listen.c). */
struct source *source_file_new(struct source_set *set, const char *path);
struct source *source_follow_new(struct source_set *set, const char *path);
int source_listen_new(struct source_set *set, const char *target);
int source_listen_check(const char *target, struct errbuf *eb);
/* -i kafka://... (source/kafka.c): a consumer group member. */
int source_kafka_new(struct source_set *set, const char *spec);
int source_kafka_check(const struct globals *g, const char *spec,
		       struct errbuf *eb);
/* -i nats://... (source/nats.c): a JetStream durable pull consumer. */
int source_nats_new(struct source_set *set, const char *spec);
int source_nats_check(const struct globals *g, const char *spec,
		      struct errbuf *eb);
/* Is spec a nats:// or nats+tls:// source? */
int source_is_nats(const char *spec);
/* -i http://HOST:PORT/PATH, https:// (source/http.c): POSTed events. */
int source_http_new(struct source_set *set, const char *spec);
int source_http_check(const struct globals *g, const char *spec,
		      struct errbuf *eb);
int source_is_http(const char *spec);

/*
 * After the followed files were added: for every file of the checkpoint
 * that is no longer under its name (rotated while it was drained, or
 * while evpipe was not running), find it in the name's directory and
 * read the rest of it.
 */
void source_follow_resume(struct source_set *set);

/* Write the --checkpoint file: where every followed file was delivered up
 * to.  0, or -1 with the error printed. */
int source_follow_checkpoint(struct source_set *set);

/*
 * Hand out the next record of reader rd as next() does (blank lines are
 * skipped by the reader); for the kinds' next().
 */
struct reader;
int source_read(struct reader *rd, struct source_rec *rec, struct errbuf *eb);

#endif
