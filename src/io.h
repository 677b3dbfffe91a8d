/*
 * io.h -- targets: where events go (DESIGN 2.2), one parser in one place.
 *
 * A target string names a kind by its scheme:
 *   -                 stdout
 *   exec:COMMAND      a long-lived "sh -c COMMAND" fed events on stdin
 *   PATH              a file opened for append (created 0644 less umask)
 *   PATH.gz           the same, gzip-compressed (one gzip member per run)
 * Reserved for later kinds, refused for now with a clear message:
 *   tcp://HOST:PORT, unix:PATH, udp://..., and {EXPR} templates.
 *
 * Every sink is buffered: sink_write() appends an event and its newline
 * to a 64 KiB buffer that is written when full, on sink_flush() (the
 * runner flushes before it waits for input) and at sink_close().
 */
#ifndef IO_H
#define IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct errbuf;
struct sink;

/* One kind of target: a const descriptor in io-KIND.c, listed in io.c. */
struct sink_kind {
	const char *scheme;  /* "exec:", "" for plain paths */
	const char *summary; /* for "evpipe __complete targets" help */
	/* Open; fill s->priv.  -1 with a STATUS_IO or STATUS_USAGE error. */
	int (*open)(struct sink *s, const char *rest, struct errbuf *eb);
	/* Write all of buf: 0, or -1 with eb (EPIPE: eb->status 0,
	 * errno EPIPE). */
	int (*write)(struct sink *s, const char *buf, size_t len,
		     struct errbuf *eb);
	/* Flush anything the kind buffers itself (gzip); may be NULL. */
	int (*sync)(struct sink *s, struct errbuf *eb);
	/* Close and free priv: 0, or -1 (a write or exit status failed). */
	int (*close)(struct sink *s, struct errbuf *eb);
};

struct sink {
	const struct sink_kind *kind;
	char *spec; /* the target as written */
	void *priv;
	char *buf;
	size_t len, cap;
	int line_buffered;
	int is_stdout;
	int broken; /* a fatal error was reported: drop writes */
	int gone;   /* stdout's reader went away (EPIPE) */
	struct sink_writer *writer; /* the writer thread, if sink_async() */
	uint64_t events;	    /* events written */
	uint64_t bytes;
};

/*
 * Check a target string without opening it: 0, or -1 with a STATUS_USAGE
 * error naming the problem.  Used when parsing options.
 */
int target_check(const char *spec, struct errbuf *eb);

/* Open a target.  NULL with STATUS_USAGE (bad syntax) or STATUS_IO. */
struct sink *sink_open(const char *spec, int line_buffered, struct errbuf *eb);

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

/* Print the target schemes for completion, one per line. */
void target_print_schemes(FILE *fp);

extern const struct sink_kind sink_stdout, sink_file, sink_gzip, sink_exec;

#endif
