/*
 * source.h -- where events come from: a set of sources polled together by
 * the runner's event loop (pipeline.c).
 *
 * One file per kind: source/file.c (files and stdin read once, in order;
 * followed files with rotation and checkpoints) and source/listen.c (tcp,
 * unix and udp listeners and their clients).  Every source that carries
 * events has its own struct reader (reader.h), so framing and format
 * state are independent: a partial line or a csv header from one client
 * never mixes with another's.
 *
 * The runner owns the loop: it polls the descriptors of the sources that
 * wait, then gives each ready source a turn of a bounded number of lines
 * (so no source starves the others), reading them through the source's
 * reader.  A source says what happens around the reading through its ops.
 */
#ifndef SOURCE_H
#define SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct globals;
struct linereader;
struct reader;
struct prescan;
struct progress;
struct source_set;

struct source {
	const struct source_ops *ops;
	const char *name; /* rec->src: lives as long as the set */
	int fd;		  /* polled for input while not ready; -1: none */
	int ready;	  /* has something to do without waiting */
	int done;	  /* finished: the runner removes it */
	int follow;	  /* a followed file (woken by file events) */
	int tracked;	  /* read in follow mode, offsets tracked for
			   * --checkpoint: a followed file, or one rotated
			   * away from its name that is still read */
	int plain;	  /* a file read once (they come one at a time) */
	int client;	  /* a listener's client (counts for --max-clients) */
	int64_t deadline; /* monotonic ns of a timed check; INT64_MAX none */
	int paused;	  /* fd not polled until the deadline (EMFILE) */
	struct prescan *prescan; /* a file read once, read and checked on a
				  * second thread (prescan.h); else NULL */
	/* Tracked files (see source_follow_offset()): */
	uint64_t end_off; /* where the last record handed out ends */
	uint64_t skip_to; /* records that end at or before this offset
			   * were delivered before (a checkpoint resumed by
			   * reading a stateful format from its start) */
};

struct source_ops {
	/*
	 * A turn begins: accept clients, open a file that appeared, look
	 * for rotation.  May add sources to the set, may set done.  NULL:
	 * nothing to do.
	 */
	void (*service)(struct source *, struct source_set *);
	/*
	 * The reader to read from now, or NULL (none this turn).  Every
	 * source that carries events has its own, with its own --from
	 * decoder state: a csv header per file and per client.
	 */
	struct reader *(*reader)(struct source *);
	/* The reader has nothing more right now (LINE_AGAIN). */
	void (*idle)(struct source *, struct source_set *);
	/* The reader ended (LINE_EOF) or failed (LINE_ERROR). */
	void (*end)(struct source *, struct source_set *, int failed);
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
};

/* Lines a source may hand out in one turn before the others get theirs. */
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

/* Keep a source name until the set is released; returns the copy. */
const char *source_set_name(struct source_set *set, const char *name);

/* An I/O error: print "evpipe: MESSAGE", remember status 3. */
void source_set_error(struct source_set *set, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The inotify descriptor was readable: drain it, wake followed files. */
void source_set_file_events(struct source_set *set);

/*
 * Write the --checkpoint file (if any): for every followed file, where
 * the last record handed to the runner that is no longer held ends.
 * Records are numbered as read (struct record's seq); held is the lowest
 * number some stage still holds (batch, sort), UINT64_MAX if none.  Call
 * it only after what the records became was flushed downstream.  0, or
 * -1 with the error printed.
 */
int source_set_checkpoint(struct source_set *set, uint64_t held);

/*
 * Tracked file s: the offset where the record its reader handed out
 * last ends; and, at the end of a turn (and before it ends), remember
 * that every record of s up to s->end_off was numbered seq or lower
 * (with --checkpoint only).
 */
uint64_t source_follow_offset(struct source *s);
void source_follow_mark(struct source *s, uint64_t seq);

/* Constructors, one per kind (source/file.c, source/listen.c). */
struct source *source_file_new(struct source_set *set, const char *path);
struct source *source_follow_new(struct source_set *set, const char *path);
int source_listen_new(struct source_set *set, const char *target);

/*
 * Check the source options before any I/O: listener targets, and
 * --from-end / --checkpoint only with --follow.  0, or -1 with a
 * STATUS_USAGE error in eb.
 */
struct errbuf;
int source_check(const struct globals *g, struct errbuf *eb);
int source_listen_check(const char *target, struct errbuf *eb);
/* --socket-mode (NULL: the default, 0600) as a mode; 0, or -1 with a
 * STATUS_USAGE error in eb (if not NULL). */
int source_socket_mode(const char *arg, unsigned *mode, struct errbuf *eb);

/*
 * Follow mode, for source.c: fill e (path borrowed) with where tracked
 * file s stands (records numbered held or more not counted as read); 0
 * if it has no file open right now, or is a rotated file read and
 * delivered to its end (it is then done).
 */
struct ckpt_entry;
int source_follow_ckpt(struct source *s, struct ckpt_entry *e, uint64_t held);

/*
 * After the followed files were added: for every file of the checkpoint
 * that is no longer under its name (rotated while it was drained, or
 * while evpipe was not running), find it in the name's directory and
 * read the rest of it.
 */
void source_follow_resume(struct source_set *set);

#endif
