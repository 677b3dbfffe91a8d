/*
 * sink/target.c -- the target parser and the buffered writer shared by every
 * kind of sink (see sink/target.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http-dst.h"
#include "lib/errbuf.h"
#include "lib/lazylib.h"
#include "target.h"
#include "lib/xmalloc.h"

#define SINK_BUF       (64 * 1024)
#define SINK_ASYNC_BUF (1024 * 1024)

/*
 * The kind of target spec and what follows its scheme.  A "{" is refused
 * unless templates are allowed, and then only in file paths.
 */
static const struct sink_kind *
target_kind_any(const char *spec, const char **rest, int templates,
		struct errbuf *eb)
{
	size_t n = strlen(spec);

	if (n == 0)
		return errbuf_set(eb, STATUS_USAGE, "empty target"), NULL;
	if (strncmp(spec, "udp://", 6) == 0) {
		errbuf_set(eb, STATUS_USAGE,
			   "target '%s': udp:// is for inputs (-i) only: a "
			   "datagram could cut an event; use tcp:// or unix:",
			   spec);
		return NULL;
	}
	if (strncmp(spec, "kafka://", 8) == 0) {
		/* {EXPR} only in ?key=: kafka_check() */
		*rest = spec + 8;
		return &sink_kafka;
	}
	if (strncmp(spec, "nats://", 7) == 0 ||
	    strncmp(spec, "nats+tls://", 11) == 0) {
		/* {EXPR} in the subject and ?msgid=: nats_check() */
		*rest = spec;
		return &sink_nats;
	}
	if (target_is_http(spec)) {
		/* {EXPR} in the path only: http_check() */
		*rest = spec;
		return &sink_http;
	}
	if (strchr(spec, '{') != NULL &&
	    (!templates || strcmp(spec, "-") == 0 ||
	     strncmp(spec, "exec:", 5) == 0 ||
	     strncmp(spec, "tcp://", 6) == 0 ||
	     strncmp(spec, "unix:", 5) == 0)) {
		if (templates)
			errbuf_set(eb, STATUS_USAGE,
				   "target '%s': {EXPR} templates are for file "
				   "paths only (event data never picks a "
				   "command or a host)",
				   spec);
		else
			errbuf_set(eb, STATUS_USAGE,
				   "target '%s': {EXPR} templates are for -o, "
				   "split, route -t and tee -t",
				   spec);
		return NULL;
	}
	if (strncmp(spec, "tcp://", 6) == 0) {
		*rest = spec + 6;
		return &sink_tcp;
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		*rest = spec + 5;
		if (**rest == '\0') {
			errbuf_set(eb, STATUS_USAGE,
				   "target 'unix:' needs a socket path");
			return NULL;
		}
		return &sink_unix;
	}
	if (strcmp(spec, "-") == 0) {
		*rest = spec;
		return &sink_stdout;
	}
	if (strncmp(spec, "exec:", 5) == 0) {
		*rest = spec + 5;
		if (**rest == '\0') {
			errbuf_set(eb, STATUS_USAGE,
				   "target 'exec:' needs a command");
			return NULL;
		}
		return &sink_exec;
	}
	*rest = spec;
	if (n > 3 && strcmp(spec + n - 3, ".gz") == 0)
		return &sink_gzip;
	return &sink_file;
}

static const struct sink_kind *
target_kind(const char *spec, const char **rest, struct errbuf *eb)
{
	return target_kind_any(spec, rest, 0, eb);
}

/*
 * Open the library a kind of target calls (lib/lazylib.h), before the
 * target is checked: the first kafka://, nats:// or http:// target of a
 * run loads it, and a run without one never does.  0, or -1 with a
 * STATUS_IO error.
 */
static int
target_libs(const struct sink_kind *kind, const char *spec, struct errbuf *eb)
{
	if (kind == &sink_kafka)
		return lazylib_load(LAZY_RDKAFKA, spec, eb);
	if (kind == &sink_nats) {
		if (lazylib_load(LAZY_NATS, spec, eb) == -1)
			return -1;
		/* --nats-nkey's key is made with libcrypto (libnats
		 * loads it anyway) */
		return lazylib_load(LAZY_CRYPTO, spec, eb);
	}
	if (kind == &sink_http)
		return lazylib_load(LAZY_CURL, spec, eb);
	return 0;
}

int
target_check(const char *spec, struct errbuf *eb)
{
	const struct sink_kind *kind;
	const char *rest;

	kind = target_kind(spec, &rest, eb);
	if (kind == NULL || target_libs(kind, spec, eb) == -1)
		return -1;
	if (kind == &sink_tcp || kind == &sink_unix)
		return socket_check(kind, rest, spec, eb);
	if (kind == &sink_kafka)
		return kafka_check(rest, spec, eb);
	if (kind == &sink_nats)
		return nats_check(rest, spec, eb);
	if (kind == &sink_http)
		return http_check(spec, eb);
	return 0;
}

int
target_check_template(const char *spec, int *is_template, struct errbuf *eb)
{
	const struct sink_kind *kind;
	const char *rest;

	*is_template = 0;
	kind = target_kind_any(spec, &rest, 1, eb);
	if (kind == NULL || target_libs(kind, spec, eb) == -1)
		return -1;
	if (kind == &sink_tcp || kind == &sink_unix)
		return socket_check(kind, rest, spec, eb);
	if (kind == &sink_kafka)
		return kafka_check(rest, spec,
				   eb); /* one sink: not a template */
	if (kind == &sink_nats)
		return nats_check(rest, spec, eb);
	if (kind == &sink_http)
		return http_check(spec, eb); /* renders its own path */
	*is_template = strchr(spec, '{') != NULL;
	return 0;
}

int
target_is_broker(const char *spec)
{
	return strncmp(spec, "kafka://", 8) == 0 ||
	       strncmp(spec, "nats://", 7) == 0 ||
	       strncmp(spec, "nats+tls://", 11) == 0 || target_is_http(spec);
}

int
sink_want_meta(struct sink *s, int uses, struct errbuf *eb)
{
	if (!uses)
		return 0;
	if (!s->meta_ok)
		return errbuf_set(eb, STATUS_USAGE,
				  "target '%s': input_meta is null here (only "
				  "-o, route -t, tee -t and split hand a "
				  "target its events' metadata)",
				  s->spec);
	s->wants_meta = 1;
	return 0;
}

int
target_settles(const char *spec)
{
	return strncmp(spec, "kafka://", 8) == 0;
}

struct broker_opts sink_broker_opts;

int
sink_take_failed(struct sink *s, char **event, size_t *len, char *why,
		 size_t whysz)
{
	if (s->kind->failed == NULL)
		return 0;
	return s->kind->failed(s, event, len, why, whysz);
}

void
target_print_schemes(FILE *fp)
{
	fputs("-\nexec:\ntcp://\nunix:\nkafka://\nnats://\nnats+tls://\n"
	      "http://\nhttps://\n",
	      fp);
}

static struct sink *
sink_open_any(const char *spec, int line_buffered, size_t bufsize, int fd,
	      int meta_ok, struct errbuf *eb)
{
	const struct sink_kind *kind;
	const char *rest;
	struct sink *s;

	kind = target_kind(spec, &rest, eb);
	if (kind == NULL ||
	    (fd >= 0 && kind != &sink_file && kind != &sink_gzip)) {
		if (fd >= 0) {
			close(fd);
			if (kind)
				errbuf_set(eb, STATUS_IO,
					   "%s: not a file target", spec);
		}
		return NULL;
	}
	if ((kind == &sink_tcp || kind == &sink_unix) &&
	    socket_check(kind, rest, spec, eb) == -1)
		return NULL;
	if (target_libs(kind, spec, eb) == -1)
		return NULL;
	if ((kind == &sink_kafka && kafka_check(rest, spec, eb) == -1) ||
	    (kind == &sink_nats && nats_check(rest, spec, eb) == -1) ||
	    (kind == &sink_http && http_check(spec, eb) == -1))
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->kind = kind;
	s->spec = xstrdup(spec);
	s->line_buffered = line_buffered;
	s->is_stdout = kind == &sink_stdout;
	s->given_fd = fd;
	s->meta_ok = meta_ok;
	if (kind->open(s, rest, eb) == -1) {
		free(s->spec);
		free(s);
		return NULL;
	}
	s->cap = bufsize;
	s->buf = bufsize ? xmalloc(s->cap) : NULL;
	return s;
}

struct sink *
sink_open(const char *spec, int line_buffered, struct errbuf *eb)
{
	return sink_open_any(spec, line_buffered, SINK_BUF, -1, 0, eb);
}

int
sink_path_is_stdout(const char *path)
{
	struct stat a, b;

	if (strcmp(path, "-") == 0)
		return 1;
	if (stat(path, &a) == -1 || fstat(STDOUT_FILENO, &b) == -1)
		return 0;
	if (!(S_ISREG(a.st_mode) || S_ISFIFO(a.st_mode) || S_ISSOCK(a.st_mode)))
		return 0;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

struct sink *
sink_open_output(const char *spec, int line_buffered, int append,
		 struct errbuf *eb)
{
	const struct sink_kind *kind;
	const char *rest;
	int fd;

	kind = target_kind(spec, &rest, eb);
	if (kind == NULL)
		return NULL;
	if (append || (kind != &sink_file && kind != &sink_gzip))
		return sink_open(spec, line_buffered, eb);
	fd = file_open_replace(rest, eb);
	if (fd == -1)
		return NULL;
	return sink_open_any(spec, line_buffered, SINK_BUF, fd, 0, eb);
}

struct sink *
sink_open_unbuffered(const char *spec, int meta_ok, struct errbuf *eb)
{
	return sink_open_any(spec, 0, 0, -1, meta_ok, eb);
}

struct sink *
sink_open_fd(const char *spec, int fd, struct errbuf *eb)
{
	return sink_open_any(spec, 0, 0, fd, 0, eb);
}

/* The kind's write(), or write_meta() for a sink that wants_meta. */
static int
sink_kind_write(struct sink *s, const char *buf, size_t len, const char *meta,
		size_t metalen, struct errbuf *eb)
{
	return s->wants_meta
		       ? s->kind->write_meta(s, buf, len, meta, metalen, eb)
		       : s->kind->write(s, buf, len, eb);
}

int
sink_write_block(struct sink *s, const char *buf, size_t len, const char *meta,
		 size_t metalen, size_t *done, struct errbuf *eb)
{
	int r;

	*done = 0;
	if (s->broken)
		return errbuf_set(eb, STATUS_IO, "%s: target failed earlier",
				  s->spec);
	if (s->kind->write_some) {
		r = s->kind->write_some(s, buf, len, done, eb);
		if (r == -1)
			s->broken = 1, *done = 0;
		return r;
	}
	if (sink_kind_write(s, buf, len, meta, metalen, eb) == -1 ||
	    (s->kind->sync && s->kind->sync(s, eb) == -1)) {
		s->broken = 1;
		return -1;
	}
	*done = len;
	return 0;
}

int
sink_can_settle(const struct sink *s)
{
	return s->kind->settle != NULL;
}

int
sink_hand_over(struct sink *s, const char *buf, size_t len, const char *meta,
	       size_t metalen, struct errbuf *eb)
{
	if (s->broken)
		return errbuf_set(eb, STATUS_IO, "%s: target failed earlier",
				  s->spec);
	if (sink_kind_write(s, buf, len, meta, metalen, eb) == -1) {
		s->broken = 1;
		return -1;
	}
	return 0;
}

int
sink_settle(struct sink *s, size_t keep, size_t *n, struct errbuf *eb)
{
	*n = 0;
	if (s->broken)
		return errbuf_set(eb, STATUS_IO, "%s: target failed earlier",
				  s->spec);
	if (s->kind->settle(s, keep, n, eb) == -1) {
		s->broken = 1;
		return -1;
	}
	return 0;
}

int64_t
sink_retry_at(struct sink *s)
{
	return s->kind->retry_at ? s->kind->retry_at(s) : 0;
}

size_t
sink_unread(struct sink *s, int *gone, struct errbuf *eb)
{
	*gone = 0;
	if (s->kind->unread == NULL)
		return 0;
	return s->kind->unread(s, gone, eb);
}

int
sink_tracks_unread(const struct sink *s)
{
	return s->kind->unread != NULL;
}

static int
sink_write_out(struct sink *s, const char *p, size_t n, struct errbuf *eb)
{
	if (s->broken)
		return -1;
	if (s->kind->write(s, p, n, eb) == -1) {
		s->broken = 1;
		return -1;
	}
	return 0;
}

/*
 * The writer thread: it owns every call into the sink's kind while it
 * runs.  The main thread fills s->buf; a full buffer is swapped with the
 * writer's idle one and handed over, so at most one buffer is in flight.
 */
struct sink_writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *buf;   /* the buffer in flight, or idle */
	size_t len;  /* bytes to write; 0 when idle */
	int sync;    /* also call kind->sync after writing */
	int busy;    /* a job is handed over and not done */
	int waiting; /* the main thread waits for the job to end */
	int quit;
	int failed; /* the thread's error is in eb */
	int gone;
	struct errbuf eb;
};

static void *
writer_main(void *arg)
{
	struct sink *s = arg;
	struct sink_writer *w = s->writer;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->busy && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->busy)
			break;
		pthread_mutex_unlock(&w->mu);
		if (!w->failed) {
			int r = 0;

			if (w->len > 0)
				r = s->kind->write(s, w->buf, w->len, &w->eb);
			if (r == 0 && w->sync && s->kind->sync)
				r = s->kind->sync(s, &w->eb);
			if (r == -1) {
				w->failed = 1;
				w->gone = s->gone;
			}
		}
		pthread_mutex_lock(&w->mu);
		w->len = 0;
		w->busy = 0;
		/* Wake the main thread only if it waits: in a VM every
		 * wake-up is a costly trip through the kernel. */
		if (w->waiting)
			pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/*
 * Wait for the job in flight; report the thread's error once.  With
 * timeout_ns >= 0, give up after that long and return 1.
 */
volatile sig_atomic_t sink_interrupted;
int64_t sink_linger_ns = SINK_LINGER_NS;

static int writer_wait_for(struct sink *s, int64_t timeout_ns,
			   struct errbuf *eb);

static int
writer_wait(struct sink *s, struct errbuf *eb)
{
	return writer_wait_for(s, -1, eb);
}

static int
writer_wait_for(struct sink *s, int64_t timeout_ns, struct errbuf *eb)
{
	struct sink_writer *w = s->writer;
	struct timespec until;
	int failed;

	if (timeout_ns >= 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += timeout_ns / 1000000000;
		until.tv_nsec += timeout_ns % 1000000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_lock(&w->mu);
	while (w->busy) {
		w->waiting = 1;
		if (timeout_ns < 0) {
			pthread_cond_wait(&w->cv, &w->mu);
		} else if (pthread_cond_timedwait(&w->cv, &w->mu, &until) ==
			   ETIMEDOUT) {
			w->waiting = 0;
			pthread_mutex_unlock(&w->mu);
			return 1;
		}
	}
	w->waiting = 0;
	failed = w->failed;
	pthread_mutex_unlock(&w->mu);
	if (failed && !s->broken) {
		s->broken = 1;
		s->gone = w->gone;
		if (eb) {
			eb->status = w->eb.status;
			memcpy(eb->msg, w->eb.msg, sizeof eb->msg);
		}
		return -1;
	}
	return failed ? -1 : 0;
}

/* Hand the filled buffer (and a sync request) to the writer. */
static int
writer_submit(struct sink *s, int sync, struct errbuf *eb)
{
	struct sink_writer *w = s->writer;
	char *spare;

	if (writer_wait(s, eb) == -1)
		return -1;
	pthread_mutex_lock(&w->mu);
	spare = w->buf;
	w->buf = s->buf;
	w->len = s->len;
	w->sync = sync;
	w->busy = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	s->buf = spare;
	s->len = 0;
	return 0;
}

void
sink_async(struct sink *s)
{
	struct sink_writer *w;
	sigset_t all, old;
	int rc;

	if (s->writer || s->line_buffered)
		return;
	/* Larger buffers: fewer hand-overs between the threads. */
	if (s->len == 0 && s->cap < SINK_ASYNC_BUF) {
		free(s->buf);
		s->cap = SINK_ASYNC_BUF;
		s->buf = xmalloc(s->cap);
	}
	w = xcalloc(1, sizeof *w);
	w->buf = xmalloc(s->cap);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	s->writer = w;
	/* SIGINT and SIGTERM must reach the main thread, which waits for
	 * input and drains: the writer runs with every signal blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		/* No thread: stay synchronous. */
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w->buf);
		free(w);
		s->writer = NULL;
	}
}

static void
writer_stop(struct sink *s)
{
	struct sink_writer *w = s->writer;

	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->buf);
	free(w);
	s->writer = NULL;
}

/* Write out the buffer (no sync): when it is full. */
static int
sink_drain(struct sink *s, struct errbuf *eb)
{
	size_t n = s->len;

	if (s->writer)
		return n > 0 ? writer_submit(s, 0, eb) : writer_wait(s, eb);
	if (n == 0)
		return s->broken ? -1 : 0;
	s->len = 0;
	return sink_write_out(s, s->buf, n, eb);
}

int
sink_flush(struct sink *s, struct errbuf *eb)
{
	if (s->writer)
		return writer_submit(s, 1, eb);
	if (sink_drain(s, eb) == -1)
		return -1;
	if (s->kind->sync && !s->broken)
		return s->kind->sync(s, eb);
	return s->broken ? -1 : 0;
}

int
sink_wait(struct sink *s, int64_t timeout_ns, struct errbuf *eb)
{
	if (s->writer)
		return writer_wait_for(s, timeout_ns, eb);
	return s->broken ? -1 : 0;
}

int
sink_write(struct sink *s, const char *event, size_t len, struct errbuf *eb)
{
	if (s->broken)
		return errbuf_set(eb, STATUS_IO, "%s: target failed earlier",
				  s->spec);
	s->events++;
	s->bytes += len + 1;
	if (len + 1 > s->cap - s->len) {
		if (sink_drain(s, eb) == -1)
			return -1;
		if (len + 1 > s->cap) {
			/* Bigger than the buffer: write it directly, once the
			 * writer thread (if any) is idle. */
			if ((s->writer && writer_wait(s, eb) == -1) ||
			    sink_write_out(s, event, len, eb) == -1 ||
			    sink_write_out(s, "\n", 1, eb) == -1)
				return -1;
			return s->line_buffered ? sink_flush(s, eb) : 0;
		}
	}
	memcpy(s->buf + s->len, event, len);
	s->buf[s->len + len] = '\n';
	s->len += len + 1;
	if (s->line_buffered)
		return sink_flush(s, eb);
	return 0;
}

int
sink_put(struct sink *s, const char *p, size_t len, struct errbuf *eb)
{
	if (s->broken)
		return errbuf_set(eb, STATUS_IO, "%s: target failed earlier",
				  s->spec);
	s->bytes += len;
	if (len > s->cap - s->len) {
		if (sink_drain(s, eb) == -1)
			return -1;
		if (len > s->cap)
			return (s->writer && writer_wait(s, eb) == -1) ||
					       sink_write_out(s, p, len, eb) ==
						       -1
				       ? -1
				       : 0;
	}
	memcpy(s->buf + s->len, p, len);
	s->len += len;
	return 0;
}

int
sink_close(struct sink *s, struct errbuf *eb)
{
	int r = 0;

	if (s == NULL)
		return 0;
	s->closing = 1;
	if (!s->broken && sink_drain(s, eb) == -1 && !s->gone)
		r = -1;
	if (s->writer) {
		if (writer_wait(s, r == -1 ? NULL : eb) == -1 && !s->gone)
			r = -1;
		writer_stop(s);
	}
	if (s->kind->close(s, r == -1 ? NULL : eb) == -1)
		r = -1;
	free(s->buf);
	free(s->spec);
	free(s);
	return r;
}
