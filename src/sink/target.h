/*
 * sink/target.h -- targets: where events go (DESIGN 2.2), one parser in one
 * place.
 *
 * A target string names a kind by its scheme:
 *   -                 stdout
 *   exec:COMMAND      a long-lived "sh -c COMMAND" fed events on stdin
 *   PATH              a file opened for append (created 0644 less umask)
 *   PATH.gz           the same, gzip-compressed (one gzip member per run)
 *   tcp://HOST:PORT   a TCP connection, reconnected with backoff
 *   unix:PATH         a Unix stream socket, reconnected with backoff
 *   kafka://BROKERS/TOPIC[?key={EXPR}]   a Kafka topic (sink/kafka.c)
 *   nats://SERVERS/SUBJECT[?msgid={EXPR}] a NATS JetStream subject
 *                     (sink/nats.c; also nats+tls://)
 *   http://HOST[:PORT]/PATH   batches of events POSTed (sink/http.c; also
 *                     https://; {EXPR} in the path only)
 * A target holding "{" is a template, rendered per event: see sinkset.h
 * (split, route -t, tee -t); sink_open() refuses it.
 *
 * Every sink is buffered: sink_write() appends an event and its newline
 * to a 64 KiB buffer that is written when full, on sink_flush() (the
 * runner flushes before it waits for input) and at sink_close().
 */
#ifndef TARGET_H
#define TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

struct errbuf;
struct sink;

/* One kind of target: a const descriptor in io-KIND.c, listed in sink/target.c.
 */
struct sink_kind {
	const char *scheme;  /* "exec:", "" for plain paths */
	const char *summary; /* for "evpipe __complete targets" help */
	/* Open; fill s->priv.  -1 with a STATUS_IO or STATUS_USAGE error. */
	int (*open)(struct sink *s, const char *rest, struct errbuf *eb);
	/* Write all of buf: 0, or -1 with eb (EPIPE: eb->status 0,
	 * errno EPIPE). */
	int (*write)(struct sink *s, const char *buf, size_t len,
		     struct errbuf *eb);
	/*
	 * Kinds that can be disconnected (sockets): write what can be
	 * written now.  0: all of buf went; 1: the peer is not connected
	 * (now, or it went away midway): *done bytes went, always whole
	 * lines, and the rest must be given again later, from
	 * retry_at() on; -1 with eb: failed for good.  NULL for the
	 * other kinds, whose write() is all or nothing.
	 */
	int (*write_some)(struct sink *s, const char *buf, size_t len,
			  size_t *done, struct errbuf *eb);
	/* When write_some() may be tried again (mono_ns clock). */
	int64_t (*retry_at)(struct sink *s);
	/*
	 * Kinds whose reader may die with data unread (exec:): how many of
	 * the bytes written last the reader has not read.  *gone is 1
	 * when the reader is gone (those bytes must be written again after
	 * retry_at()), 2 when it is gone for good (eb says why).  Also
	 * right after write_some() failed for good.  May be NULL.
	 */
	size_t (*unread)(struct sink *s, int *gone, struct errbuf *eb);
	/* Flush anything the kind buffers itself (gzip); may be NULL. */
	int (*sync)(struct sink *s, struct errbuf *eb);
	/*
	 * Broker kinds that keep blocks in flight (kafka://): each write()
	 * is a block, handed over without waiting for the broker.  Serve
	 * the broker's answers until at most keep blocks are in flight;
	 * *n: how many of the oldest blocks were settled (acknowledged in
	 * full, their refused messages in failed()'s queue) since the last
	 * call.  0, or -1 with eb as sync().  May be NULL.
	 */
	int (*settle)(struct sink *s, size_t keep, size_t *n,
		      struct errbuf *eb);
	/*
	 * Kinds whose templates may read input_meta (kafka://, nats://,
	 * http://; see sink_want_meta()): write()
	 * with the events' metadata, meta holding one line per event of
	 * buf (its compact JSON object, or an empty line for none).  Used
	 * when the sink set wants_meta at open.  May be NULL.
	 */
	int (*write_meta)(struct sink *s, const char *buf, size_t len,
			  const char *meta, size_t metalen, struct errbuf *eb);
	/* Close and free priv: 0, or -1 (a write or exit status failed). */
	int (*close)(struct sink *s, struct errbuf *eb);
	/*
	 * Broker kinds (kafka://, nats://): hand over one message the
	 * broker refused for good since the last call, with the broker's
	 * error in why; 1 if one was returned, 0 if none.  May be NULL.
	 */
	int (*failed)(struct sink *s, char **event, size_t *len, char *why,
		      size_t whysz);
};

struct sink {
	const struct sink_kind *kind;
	char *spec; /* the target as written */
	void *priv;
	int given_fd; /* file kinds: an fd opened for them, or -1 */
	char *buf;
	size_t len, cap;
	int line_buffered;
	int is_stdout;
	int broken;	/* a fatal error was reported: drop writes */
	int gone;	/* stdout's reader went away (EPIPE) */
	int closing;	/* sink_close() is draining: waits are bounded */
	int meta_ok;	/* the opener hands over input_meta (sinkset.c) */
	int wants_meta; /* set by open(): give write_meta() the metadata */
	struct sink_writer *writer; /* the writer thread, if sink_async() */
	uint64_t events;	    /* events written */
	uint64_t bytes;
};

/*
 * Check a target string without opening it: 0, or -1 with a STATUS_USAGE
 * error naming the problem.  Used when parsing options.
 */
int target_check(const char *spec, struct errbuf *eb);

/*
 * Check a target string that may be a template ("out/{.type}.ndjson"):
 * as target_check(), but "{" is allowed in plain file paths (not in
 * "-", exec:, tcp:// or unix: targets: event data never chooses a command
 * or a host).  *is_template is set when the string holds an {EXPR}.
 */
int target_check_template(const char *spec, int *is_template,
			  struct errbuf *eb);

/* Open a target.  NULL with STATUS_USAGE (bad syntax) or STATUS_IO. */
struct sink *sink_open(const char *spec, int line_buffered, struct errbuf *eb);

/*
 * Open the main output (-o): a file or .gz file is emptied at open, as
 * the shell's > does, unless append (--append, or a resumed run); other
 * targets open as sink_open() opens them.
 */
struct sink *sink_open_output(const char *spec, int line_buffered, int append,
			      struct errbuf *eb);

/*
 * Does writing to path write to standard output?  "-", or a file, pipe or
 * socket that is the very one fd 1 holds (--report /dev/stdout, or the
 * file stdout was redirected to, named again).  A terminal or /dev/null
 * is not counted: writing there cannot clobber anything.
 */
int sink_path_is_stdout(const char *path);

/*
 * Open a target for a caller that does its own buffering (sinkset.c,
 * batch -t): sink_write_block() then hands it whole blocks of lines.
 * meta_ok: the caller hands each event's metadata over with them
 * (sink_hand_over(), sink_write_block()) to a kind whose templates read
 * input_meta; other openers get a usage error for those templates.
 */
struct sink *sink_open_unbuffered(const char *spec, int meta_ok,
				  struct errbuf *eb);

/*
 * For a kind's open(): its templates read input_meta (uses): ask for each
 * event's metadata with its block (s->wants_meta), or, when the opener
 * hands none over, -1 with a STATUS_USAGE error.  0 otherwise.
 */
int sink_want_meta(struct sink *s, int uses, struct errbuf *eb);

/*
 * The same for a file (or .gz file) target the caller opened itself as
 * fd (sinkset.c opens templated paths without following symlinks); the
 * sink owns fd from now on, also when this fails.
 */
struct sink *sink_open_fd(const char *spec, int fd, struct errbuf *eb);

/*
 * Write a block of whole lines straight to the kind: 0 (all written),
 * 1 (a socket is not connected: *done bytes went, the rest is to be given
 * again from sink_retry_at() on) or -1 with eb (failed for good; *done is
 * 0: the kind cannot say how much of the block arrived).
 */
int sink_write_block(struct sink *s, const char *buf, size_t len,
		     const char *meta, size_t metalen, size_t *done,
		     struct errbuf *eb);

/*
 * A kind with settle() (kafka://): hand over a block of whole lines
 * without waiting for it, and settle the blocks in flight (see
 * sink_kind).  0, or -1 with eb (failed for good).
 */
int sink_can_settle(const struct sink *s);
int sink_hand_over(struct sink *s, const char *buf, size_t len,
		   const char *meta, size_t metalen, struct errbuf *eb);
int sink_settle(struct sink *s, size_t keep, size_t *n, struct errbuf *eb);

/* When a disconnected sink may be written again; 0 if it is connected. */
int64_t sink_retry_at(struct sink *s);

/* The kind's unread(); 0 (and *gone 0) for kinds without one. */
size_t sink_unread(struct sink *s, int *gone, struct errbuf *eb);

/* Does the kind say what its reader has not read (exec:)? */
int sink_tracks_unread(const struct sink *s);

/*
 * Sleep until deadline (mono_ns), bounded.  -1 if a signal interrupted
 * the sleep (the caller should stop waiting soon).
 */
int sink_sleep_until(int64_t deadline_ns);

/*
 * How long a closing socket target keeps trying to deliver (ns): the
 * default, and what the run uses (--linger), set before any sink opens.
 */
#define SINK_LINGER_NS (5LL * 1000000000)
extern int64_t sink_linger_ns;

/* Append one event plus "\n".  0, or -1 with eb (STATUS_IO). */
int sink_write(struct sink *s, const char *event, size_t len,
	       struct errbuf *eb);

/*
 * Append bytes as they are: no newline, not counted as an event (the
 * framing of output formats: "[", RS, a CSV header).  0, or -1 with eb.
 */
int sink_put(struct sink *s, const char *p, size_t len, struct errbuf *eb);

/* Write out the buffer.  0, or -1 with eb. */
int sink_flush(struct sink *s, struct errbuf *eb);

/*
 * Wait until everything handed to the writer thread (if any) was written:
 * after sink_flush() and sink_wait(), the sink's events are in the kernel.
 * State that must not run ahead of the output (dedup --state) is saved
 * only then.  0, or -1 with eb; 1 if the writer is still at it after
 * timeout_ns (a socket peer that is away): the caller tries again later.
 */
int sink_wait(struct sink *s, int64_t timeout_ns, struct errbuf *eb);

/*
 * Set (from a signal handler) when the run was told to stop: sinks that
 * wait for a peer stop waiting and give up after their linger time.
 */
extern volatile sig_atomic_t sink_interrupted;

/*
 * Hand full buffers to a writer thread from now on, so the write(2) calls
 * (and the gzip compression of .gz targets) run beside the main thread,
 * which goes on filling the other buffer.  Only for sinks that are not
 * line-buffered.  Errors of the thread are returned by the next
 * sink_write(), sink_flush() or sink_close().
 */
void sink_async(struct sink *s);

/* Flush, close and free.  0, or -1 with eb; s is freed either way. */
int sink_close(struct sink *s, struct errbuf *eb);

/* Open PATH for append as file targets do (0644 less umask); fd or -1. */
int file_open_append(const char *path, struct errbuf *eb);

/* The same, emptying the file (O_TRUNC) instead of appending to it. */
int file_open_replace(const char *path, struct errbuf *eb);

/*
 * Open path, rendered from a template, with flags (O_WRONLY | O_APPEND |
 * O_CREAT, or O_CREAT | O_EXCL), mode 0644 less umask, without following
 * a symbolic link anywhere after its first fixed bytes (the directory the
 * user typed, template_fixed_dir(), which is opened as given): each
 * component after it is opened with openat() and O_NOFOLLOW, directories
 * made with mkdirat() when mkdir_dirs; a FIFO without a reader is an
 * error (ENXIO), not a wait.  The fd, or -1 with errno, the reason in
 * why and its status in *status (STATUS_REJECT when the name is too
 * long: the event's own problem; else STATUS_IO).
 */
/*
 * Without --mkdir, the directory the user typed before a template's first
 * {EXPR} must exist: one error at start ("WHAT 'SPEC': directory ... does
 * not exist (--mkdir creates it)", STATUS_IO), not a reject per event.
 * 1 (eb set) if it is missing, else 0.
 */
struct template;
int file_fixed_dir_missing(const struct template *t, const char *what,
			   const char *spec, struct errbuf *eb);

/* mkdir -p for the directories above path (errors show at open). */
void mkdir_parents(const char *path);

int file_open_confined(const char *path, size_t fixed, int flags,
		       int mkdir_dirs, int *status, char *why, size_t whysz);

/* Check a socket target's address without connecting (sink/socket.c). */
int socket_check(const struct sink_kind *kind, const char *rest,
		 const char *spec, struct errbuf *eb);

/*
 * A message a broker target refused for good (too large, no such topic or
 * stream): 1 and the event (malloc'ed, the caller frees it) with the
 * broker's error, or 0 when there is none.  sinkset.c dead-letters them.
 */
int sink_take_failed(struct sink *s, char **event, size_t *len, char *why,
		     size_t whysz);

/*
 * Is spec a target that acknowledges what it takes, and refuses events
 * one by one: a broker (kafka://, nats://, nats+tls://) or HTTP
 * (http://, https://)?
 */
int target_is_broker(const char *spec);
/* Whether the sink of spec keeps blocks in flight (sink_settle()). */
int target_settles(const char *spec);

/*
 * The global options of the broker targets (evpipe-brokers(7)), set by
 * the runner before any target is checked or opened.
 */
struct broker_opts {
	const char *kafka_config;     /* --kafka-config FILE */
	const char *const *kafka_set; /* --kafka-set KEY=VALUE ... */
	size_t nkafka_set;
	const char *nats_creds;	     /* --nats-creds FILE */
	const char *nats_nkey;	     /* --nats-nkey FILE */
	const char *nats_token_file; /* --nats-token-file FILE */
	const char *nats_tls_ca;     /* --nats-tls-ca FILE */
	const char *nats_tls_cert;   /* --nats-tls-cert FILE */
	const char *nats_tls_key;    /* --nats-tls-key FILE */
	const char *nats_js_domain;  /* --nats-js-domain NAME */
	const char *nats_js_prefix;  /* --nats-js-prefix PREFIX */
};
extern struct broker_opts sink_broker_opts;

/* Check a broker target without connecting (sink/kafka.c, sink/nats.c). */
int kafka_check(const char *rest, const char *spec, struct errbuf *eb);
int nats_check(const char *rest, const char *spec, struct errbuf *eb);

/* Print the target schemes for completion, one per line. */
void target_print_schemes(FILE *fp);

extern const struct sink_kind sink_stdout, sink_file, sink_gzip, sink_exec,
	sink_tcp, sink_unix, sink_kafka, sink_nats, sink_http;

#endif
