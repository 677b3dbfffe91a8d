/*
 * sinkset.h -- one target that may be a template (split, route -t, tee
 * -t, and -o when it is a template): the set of sinks its renderings
 * name, with the guarantee that an event a target could not take goes to
 * the dead-letter target, never nowhere.
 *
 * A constant target ("a.ndjson", "-", "exec:CMD", "tcp://HOST:PORT") is
 * one sink opened by sinkset_new().  A template ("out/{.type}.ndjson",
 * file paths only) is rendered per event in path mode (template.h: every
 * value sanitized, the result confined to the template's directory) and
 * names a file opened for append on first use.  At most max_open files
 * are open at once: the least recently used one is written out and closed
 * to make room, and opened again (for append) when an event needs it.
 * With max_size, a file that would grow beyond it is closed and the next
 * events go to NAME.1.EXT, then NAME.2.EXT, ...; a new run goes on in the
 * last file of the series.  With mkdir, missing parent directories are created
 * (mode 0755 less umask).
 *
 * Each sink's events wait in a buffer with their source and line until
 * they are written.  A write or open that fails for good (disk full,
 * permission denied, a command that keeps dying) rejects every event the
 * buffer held and every later event for that file or target, with
 * STATUS_IO and the reason (stage_reject(): dead-lettered, and the run
 * exits 3).  A rejected event may have been written in part before the
 * failure was seen: rejected events are never lost, but may be
 * duplicated, never the other way round.  A socket target that is
 * disconnected keeps up to SINKSET_SOCKET_BUFFER bytes of events and
 * then stalls the pipeline (backpressure) until the peer is back; at the
 * end it tries for sink_linger_ns (--linger) more, then rejects what is
 * left.  A broker target that settles (kafka://) takes its events in
 * blocks of 256 KiB and keeps up to 64 in flight while the next ones
 * fill (other broker targets: 4 MiB blocks, one at a time); an event
 * counts as written once the broker acknowledged its block, and
 * sinkset_flush() and sinkset_close() return only once every block was
 * acknowledged (or its refused messages dead-lettered).
 */
#ifndef SINKSET_H
#define SINKSET_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct errbuf;
struct record;
struct stage_env;
struct sinkset;

#define SINKSET_SOCKET_BUFFER (8u << 20)

struct sinkset_opts {
	uint64_t max_open; /* open files of a template; 0: automatic */
	uint64_t max_size; /* rotate files beyond this many bytes; 0: never */
	int mkdir;	   /* create missing parent directories */
	const char *const *slots; /* names of {NAME} slots; may be NULL */
	json_t *named;		  /* the stage's --arg values, or NULL */
};

/*
 * Check spec and compile its template; open a constant target.  NULL with
 * STATUS_USAGE (a bad target or template) or STATUS_IO (a constant target
 * cannot be opened).  env is kept: rejects go through it.
 */
struct sinkset *sinkset_new(const char *spec, const struct sinkset_opts *o,
			    const struct stage_env *env, struct errbuf *eb);

/*
 * Write rec (borrowed) to the file its rendering names, with slot_values
 * for the template's slots.  0; 1 when --on-error stop says to stop
 * reading; -1 with eb: a STATUS_REJECT error when the template cannot be
 * rendered for this event (return it from process()), else fatal (the
 * dead-letter target failed).  An event the target cannot take is
 * rejected here and is not an error of the call.
 */
int sinkset_write(struct sinkset *ss, struct record *rec,
		  const char *const *slot_values, struct errbuf *eb);

/* The input went idle: write out what is buffered.  0, 1 or -1. */
int sinkset_flush(struct sinkset *ss, struct errbuf *eb);

/* When a disconnected socket should be tried again, or INT64_MAX. */
int64_t sinkset_next_deadline(const struct sinkset *ss);

/*
 * End of input: write out everything (a socket gets sink_linger_ns to
 * come back), reject what cannot be delivered, close every sink.  0, 1
 * or -1 (fatal: a dead-letter or a close failed).
 */
int sinkset_close(struct sinkset *ss, struct errbuf *eb);

/*
 * The same over the n sinksets of a command (tee's targets, route's
 * rules and --else); NULL entries are skipped.  0, or -1 (fatal) with
 * eb; --on-error stop is seen by the next sinkset_write().
 * sinkset_close_all() closes every one, also after one failed (one
 * failing must not strand the others' events), and returns the first
 * failure.
 */
int sinkset_flush_all(struct sinkset *const *v, size_t n, struct errbuf *eb);
int64_t sinkset_next_deadline_all(struct sinkset *const *v, size_t n);
int sinkset_close_all(struct sinkset *const *v, size_t n, struct errbuf *eb);

/* One -v line of facts, after "evpipe: STAGE: " (files, evictions). */
void sinkset_report(const struct sinkset *ss, FILE *fp);

void sinkset_free(struct sinkset *ss);

#endif
