/*
 * source-file.c -- files: read once (in order, as given), or followed
 * like tail -F.
 *
 * A followed file is known by name.  Each time its reader runs dry the
 * file is looked at again: shorter than what was read, or with other
 * first bytes than before, means it was truncated (copytruncate) and is
 * read again from its start; another inode under the name, or none, means
 * it was rotated away.  A rotated file is not dropped at once: it becomes
 * a "draining" source of its own that keeps reading the old descriptor
 * until it has given nothing for ROTATE_WAIT (a writer that has not yet
 * reopened its log still writes there), then hands out a last line
 * without a newline, if any, and closes.  The new file under the name is
 * read from its start.
 *
 * File events come from inotify (a watch on each followed file's
 * directory wakes every followed file); without inotify, or for files on
 * file systems that give no events, a timed look every FOLLOW_POLL, or
 * FOLLOW_POLL_INOTIFY as a safety net.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "errbuf.h"
#include "hash.h"
#include "input.h"
#include "linebuf.h"
#include "pipeline.h"
#include "prescan.h"
#include "reader.h"
#include "progress.h"
#include "source.h"
#include "util.h"
#include "xmalloc.h"

#define MS		    1000000LL
#define FOLLOW_POLL	    (250 * MS)
#define FOLLOW_POLL_INOTIFY (1000 * MS)
#define ROTATE_WAIT	    (1000 * MS)
#define FROM_END_SCAN	    (64 * 1024)

/* ---- files read once ---------------------------------------------------- */

struct plain {
	struct source s;
	struct input *in;
	struct reader rd; /* --from: every format reads files read once */
};

static struct reader *
plain_reader(struct source *s)
{
	return &((struct plain *)s)->rd;
}

static void
plain_idle(struct source *s, struct source_set *set)
{
	(void)set;
	s->ready = 0; /* a pipe or terminal: wait for it */
}

static void
plain_end(struct source *s, struct source_set *set, int failed)
{
	(void)set;
	(void)failed;
	s->done = 1;
}

static void
plain_free(struct source *s)
{
	struct plain *p = (struct plain *)s;

	if (s->prescan)
		prescan_stop(s->prescan);
	reader_release(&p->rd);
	input_close(p->in);
	free(p);
}

static const struct source_ops plain_ops = {
	.reader = plain_reader,
	.idle = plain_idle,
	.end = plain_end,
	.free = plain_free,
};

struct source *
source_file_new(struct source_set *set, const char *path)
{
	struct errbuf eb = { 0 };
	struct input *in = input_open(path, &eb);
	struct plain *p;

	if (in == NULL) {
		source_set_error(set, "%s", eb.msg);
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	p->s.ops = &plain_ops;
	p->s.name = source_set_name(set, input_name(in));
	p->s.plain = 1;
	p->s.deadline = INT64_MAX;
	p->in = in;
	/* A regular file always has data (or its end); a stream is polled
	 * and read without blocking (input.c checks before each read). */
	p->s.fd = input_is_stream(in) ? input_fd(in) : -1;
	p->s.ready = !input_is_stream(in);
	reader_init(&p->rd, set->g->from, input_read, in, set->g->max_line,
		    set->g->csv_types ? READER_TYPES : 0);
	if (set->progress)
		progress_begin(set->progress, in);
	/* The prescan frames NDJSON lines only. */
	if (set->prescan && !input_is_stream(in) && set->g->from == FROM_NDJSON)
		p->s.prescan = prescan_start(input_read, in, set->g->max_line,
					     set->prescan_tape);
	return &p->s;
}

/* ---- a rotated file, read until it stays quiet --------------------------- */

struct drain {
	struct source s;
	int fd;
	struct reader rd; /* the followed file's, taken over */
	int64_t last_data;
};

static ssize_t
drain_read(void *arg, char *buf, size_t n, struct errbuf *eb)
{
	struct drain *d = arg;
	ssize_t r;

	do
		r = read(d->fd, buf, n);
	while (r == -1 && errno == EINTR);
	if (r > 0) {
		d->last_data = mono_ns();
		return r;
	}
	if (r == -1)
		return errbuf_set(eb, STATUS_IO, "cannot read '%s': %s",
				  d->s.name, strerror(errno));
	if (mono_ns() - d->last_data >= ROTATE_WAIT)
		return 0; /* quiet long enough: its end */
	eb->status = 0;
	errno = EAGAIN;
	return -1;
}

static struct reader *
drain_reader(struct source *s)
{
	return &((struct drain *)s)->rd;
}

static void
drain_idle(struct source *s, struct source_set *set)
{
	(void)set;
	s->ready = 0;
	s->deadline = mono_ns() + FOLLOW_POLL;
}

static void
drain_free(struct source *s)
{
	struct drain *d = (struct drain *)s;

	reader_release(&d->rd);
	close(d->fd);
	free(d);
}

static const struct source_ops drain_ops = {
	.reader = drain_reader,
	.idle = drain_idle,
	.end = plain_end,
	.free = drain_free,
};

/* ---- followed files ----------------------------------------------------- */

struct follow {
	struct source s;
	struct source_set *set;
	const char *path;
	int ffd; /* the file under the name, -1 while there is none */
	dev_t dev;
	ino_t ino;
	uint64_t pos; /* bytes read from ffd: the offset of rd's end */
	struct reader rd;
	/* For the checkpoint: records up to off were numbered seq or lower
	 * (struct record); base is where the oldest record still counted
	 * as held may start. */
	struct mark {
		uint64_t seq, off;
	} * marks;
	size_t nmarks, capmarks;
	uint64_t base;
	uint64_t fp;	 /* hash64 of the first fp_bytes bytes */
	size_t fp_bytes; /* up to CKPT_FP_BYTES */
	int started;	 /* a file was opened once (from-end, checkpoint) */
	int warned;	 /* "cannot open" said once */
	int missed;	 /* was not there at the start: read it all */
	int watched;	 /* its directory has an inotify watch */
};

static ssize_t
follow_read(void *arg, char *buf, size_t n, struct errbuf *eb)
{
	struct follow *f = arg;
	ssize_t r;

	do
		r = read(f->ffd, buf, n);
	while (r == -1 && errno == EINTR);
	if (r > 0) {
		f->pos += (uint64_t)r;
		return r;
	}
	if (r == -1)
		return errbuf_set(eb, STATUS_IO, "cannot read '%s': %s",
				  f->path, strerror(errno));
	/* The end for now: a partial line stays until its newline. */
	eb->status = 0;
	errno = EAGAIN;
	return -1;
}

/* hash64 of the first n bytes of fd; -1 if fewer can be read. */
static int
fingerprint(int fd, size_t n, uint64_t *out)
{
	char buf[CKPT_FP_BYTES];
	ssize_t r;

	if (n > sizeof buf)
		n = sizeof buf;
	do
		r = pread(fd, buf, n, 0);
	while (r == -1 && errno == EINTR);
	if (r != (ssize_t)n)
		return -1;
	*out = hash64(buf, n);
	return 0;
}

/* Fingerprint the start of the file, as much of it as there is. */
static void
follow_fingerprint(struct follow *f, uint64_t size)
{
	size_t n = size < CKPT_FP_BYTES ? (size_t)size : CKPT_FP_BYTES;

	if (fingerprint(f->ffd, n, &f->fp) == 0)
		f->fp_bytes = n;
}

/* Where the last newline of the file ends (from-end), or size. */
static uint64_t
after_last_newline(int fd, uint64_t size)
{
	char buf[FROM_END_SCAN];
	uint64_t start = size > sizeof buf ? size - sizeof buf : 0;
	ssize_t r;

	r = pread(fd, buf, (size_t)(size - start), (off_t)start);
	while (r > 0) {
		if (buf[r - 1] == '\n')
			return start + (uint64_t)r;
		r--;
	}
	return size;
}

/* Start reading fd, now the file under the name, at the right place. */
static void
follow_attach(struct follow *f, int fd, const struct stat *st)
{
	const struct globals *g = f->set->g;
	uint64_t size = (uint64_t)st->st_size, start = 0;

	f->ffd = fd;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->fp_bytes = 0;
	follow_fingerprint(f, size);
	if (!f->started) {
		const struct ckpt_entry *e = ckpt_find(f->set->ckpt, f->path);
		uint64_t fp;

		if (e && e->offset <= size &&
		    ((e->fp_bytes > 0 &&
		      fingerprint(fd, e->fp_bytes, &fp) == 0 && fp == e->fp) ||
		     (e->fp_bytes == 0 && e->dev == (uint64_t)st->st_dev &&
		      e->ino == (uint64_t)st->st_ino)))
			start = e->offset;
		else if (e)
			log_warn("%s: not the file of the checkpoint (rotated "
				 "or rewritten): reading it from the start",
				 f->path);
		else if (g->from_end && !f->missed)
			start = after_last_newline(fd, size);
	}
	f->started = 1;
	f->s.skip_to = 0;
	/* A csv header, json's array, json-seq's framing: a stateful
	 * format is read from the start again, the records up to the
	 * checkpoint decoded and dropped. */
	if (start > 0 && reader_stateful(g->from)) {
		f->s.skip_to = start;
		start = 0;
	}
	if (start > 0 && lseek(fd, (off_t)start, SEEK_SET) == -1)
		start = 0;
	f->pos = start;
	f->s.end_off = f->base = start > f->s.skip_to ? start : f->s.skip_to;
	f->nmarks = 0;
	reader_init(&f->rd, g->from, follow_read, f, g->max_line,
		    g->csv_types ? READER_TYPES : 0);
	f->s.ready = 1;
}

/* Give up the descriptor: to a draining source if it may still grow. */
static void
follow_detach(struct follow *f, int drain)
{
	if (drain) {
		struct drain *d = xcalloc(1, sizeof *d);

		d->s.ops = &drain_ops;
		d->s.name = f->s.name;
		d->s.fd = -1;
		d->s.ready = 1;
		d->s.deadline = INT64_MAX;
		d->fd = f->ffd;
		d->rd = f->rd;
		reader_set_input(&d->rd, drain_read, d);
		d->last_data = mono_ns();
		source_set_add(f->set, &d->s);
	} else {
		reader_release(&f->rd);
		close(f->ffd);
	}
	memset(&f->rd, 0, sizeof f->rd);
	f->ffd = -1;
	f->nmarks = 0;
}

/* Try to open the file under the name. */
static void
follow_open(struct follow *f)
{
	struct stat st;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (!f->warned)
			log_warn("cannot open '%s' for reading: %s; following "
				 "its name",
				 f->path,
				 fd == -1 ? strerror(errno)
					  : "not a regular file");
		f->warned = 1;
		f->missed = 1;
		if (fd != -1)
			close(fd);
		f->s.ready = 0;
		return;
	}
	if (f->warned)
		log_warn("'%s' has appeared; following it", f->path);
	f->warned = 0;
	follow_attach(f, fd, &st);
}

/*
 * Truncated in place (shorter than what was read, or other first bytes:
 * rewritten past its old size)?  Then read it again from its start.
 * Returns 1 if it was.
 */
static int
follow_truncated(struct follow *f)
{
	struct stat cur;
	uint64_t fp;

	if (fstat(f->ffd, &cur) == -1)
		return 0;
	if ((uint64_t)cur.st_size >= f->pos &&
	    (f->fp_bytes == 0 ||
	     (fingerprint(f->ffd, f->fp_bytes, &fp) == 0 && fp == f->fp)))
		return 0;
	log_warn("%s: file truncated: reading it from the start", f->path);
	follow_detach(f, 0);
	follow_open(f);
	return 1;
}

static void
follow_service(struct source *s, struct source_set *set)
{
	struct follow *f = (struct follow *)s;

	s->deadline = mono_ns() + (set->inotify_fd >= 0 && f->watched
					   ? FOLLOW_POLL_INOTIFY
					   : FOLLOW_POLL);
	/* Look before reading: bytes at the old offset of a file that
	 * was rewritten are not the continuation of what was read. */
	if (f->ffd == -1)
		follow_open(f);
	else
		follow_truncated(f);
}

static struct reader *
follow_reader(struct source *s)
{
	struct follow *f = (struct follow *)s;

	return f->ffd == -1 ? NULL : &f->rd;
}

/* The reader ran dry: has the file been truncated or rotated? */
static void
follow_idle(struct source *s, struct source_set *set)
{
	struct follow *f = (struct follow *)s;
	struct stat st;

	(void)set;
	s->ready = 0;
	if (follow_truncated(f))
		return;
	if (f->fp_bytes < CKPT_FP_BYTES && f->pos > f->fp_bytes)
		follow_fingerprint(f, f->pos);
	if (stat(f->path, &st) == 0 && st.st_dev == f->dev &&
	    st.st_ino == f->ino)
		return; /* the same file: wait for it to grow */
	/* Rotated (renamed or removed): the old one drains on its own. */
	follow_detach(f, 1);
	follow_open(f);
}

static void
follow_end(struct source *s, struct source_set *set, int failed)
{
	struct follow *f = (struct follow *)s;

	(void)set;
	(void)failed;
	/* A read error: drop this descriptor, look for the name again. */
	follow_detach(f, 0);
	s->ready = 0;
}

static void
follow_free(struct source *s)
{
	struct follow *f = (struct follow *)s;

	if (f->ffd != -1)
		follow_detach(f, 0);
	free(f->marks);
	free(f);
}

static const struct source_ops follow_ops = {
	.service = follow_service,
	.reader = follow_reader,
	.idle = follow_idle,
	.end = follow_end,
	.free = follow_free,
};

uint64_t
source_follow_offset(struct source *s)
{
	struct follow *f = (struct follow *)s;

	return f->pos - reader_unread(&f->rd);
}

void
source_follow_mark(struct source *s, uint64_t seq)
{
	struct follow *f = (struct follow *)s;

	/* Without --checkpoint nothing would ever prune them. */
	if (f->set->g->checkpoint == NULL || f->ffd == -1 ||
	    s->end_off <= f->base)
		return;
	if (f->nmarks > 0 && f->marks[f->nmarks - 1].off == s->end_off)
		return;
	if (f->nmarks > 0 && f->marks[f->nmarks - 1].seq == seq) {
		f->marks[f->nmarks - 1].off = s->end_off;
		return;
	}
	if (f->nmarks == f->capmarks) {
		f->capmarks = f->capmarks ? f->capmarks * 2 : 16;
		f->marks =
			xreallocarray(f->marks, f->capmarks, sizeof *f->marks);
	}
	f->marks[f->nmarks].seq = seq;
	f->marks[f->nmarks++].off = s->end_off;
}

int
source_follow_ckpt(struct source *s, struct ckpt_entry *e, uint64_t held)
{
	struct follow *f = (struct follow *)s;
	size_t k = 0;

	if (s->ops != &follow_ops || f->ffd == -1)
		return 0;
	/* Every record up to a mark numbered below held was delivered:
	 * the last such mark is the new base, the older ones go. */
	while (k < f->nmarks && f->marks[k].seq < held)
		k++;
	if (k > 0) {
		f->base = f->marks[k - 1].off;
		memmove(f->marks, f->marks + k,
			(f->nmarks - k) * sizeof *f->marks);
		f->nmarks -= k;
	}
	e->path = (char *)f->path;
	e->dev = (uint64_t)f->dev;
	e->ino = (uint64_t)f->ino;
	e->fp = f->fp;
	e->fp_bytes = f->fp_bytes;
	e->offset = f->base;
	return 1;
}

struct source *
source_follow_new(struct source_set *set, const char *path)
{
	struct follow *f = xcalloc(1, sizeof *f);

	f->s.ops = &follow_ops;
	f->s.name = f->path = source_set_name(set, path);
	f->s.fd = -1;
	f->s.follow = 1;
	f->s.ready = 1;
	f->s.deadline = INT64_MAX;
	f->set = set;
	f->ffd = -1;
	if (set->inotify_fd >= 0) {
		char *tmp = xstrdup(path);

		f->watched = inotify_add_watch(
				     set->inotify_fd, dirname(tmp),
				     IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
					     IN_DELETE | IN_MODIFY | IN_ATTRIB |
					     IN_CLOSE_WRITE) >= 0;
		free(tmp);
	}
	return &f->s;
}
