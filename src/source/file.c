/*
 * source/file.c -- files: read once (in order, as given), or followed
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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "lib/errbuf.h"
#include "lib/hash.h"
#include "input.h"
#include "linereader.h"
#include "pipeline.h"
#include "prescan.h"
#include "reader.h"
#include "progress.h"
#include "source.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

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
	struct prescan *prescan; /* reads and checks it on a second thread
				  * (prescan.h), or NULL */
	struct prescan_line pl;	 /* the prescan's last line */
};

static int
plain_next(struct source *s, struct source_rec *rec, struct errbuf *eb)
{
	struct plain *p = (struct plain *)s;
	int res, bom = 0;

	if (p->prescan == NULL)
		return source_read(&p->rd, rec, eb);
	do {
		res = prescan_next(p->prescan, &p->pl, eb);
		bom |= (res == LINE_OK || res == LINE_TOO_LONG) && p->pl.bom;
	} while (res == LINE_OK && p->pl.blank);
	rec->bom = bom;
	rec->bytes = p->pl.line;
	rec->len = p->pl.len;
	rec->lineno = p->pl.lineno;
	rec->checked = &p->pl;
	rec->rd = NULL;
	return res;
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

	if (p->prescan)
		prescan_stop(p->prescan);
	reader_release(&p->rd);
	input_close(p->in);
	free(p);
}

static const struct source_ops plain_ops = {
	.next = plain_next,
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
		p->prescan = prescan_start(input_read, in, set->g->max_line,
					   set->prescan_tape);
	return &p->s;
}

/* ---- files read in follow mode: what a checkpoint needs of them ---------- */

/*
 * A file read in follow mode -- the one under a followed name, or one
 * rotated away from it that is still being read ("draining") -- and what
 * --checkpoint needs to know of it: which file it is, and how far its
 * records were delivered.  With --checkpoint it takes part in delivery
 * (source.h): its marks are offsets in the file, where the records handed
 * out end, and the last one delivered is where a restart resumes (base).
 * A drain takes the marks of the file it was (source_marks_move()), so
 * events of a rotated file held by a command keep the checkpoint before
 * them; a file truncated and read again drops them.
 */
struct tracked {
	struct source s;
	struct source_set *set;
	const char *path; /* the followed name */
	int fd;		  /* -1 while there is none */
	dev_t dev;
	ino_t ino;
	uint64_t pos; /* bytes read from fd: the offset of rd's end */
	struct reader rd;
	uint64_t skip_to; /* records that end at or before this offset
			   * were delivered before (a checkpoint resumed by
			   * reading a stateful format from its start) */
	uint64_t base;	  /* where the records delivered end */
	uint64_t fp;	  /* hash64 of the first fp_bytes bytes */
	size_t fp_bytes;  /* up to CKPT_FP_BYTES */
};

/* The offset where the records t handed out (or skipped) end. */
static uint64_t
tracked_offset(const struct tracked *t)
{
	return t->pos - reader_unread(&t->rd);
}

/* The next record of t, past those delivered before a restart. */
static int
tracked_next(struct tracked *t, struct source_rec *rec, struct errbuf *eb)
{
	for (;;) {
		int res = source_read(&t->rd, rec, eb);

		if (t->skip_to == 0 ||
		    (res != LINE_OK && res != LINE_TOO_LONG &&
		     res != LINE_INVALID))
			return res;
		if (tracked_offset(t) > t->skip_to) {
			t->skip_to = 0; /* past them: the rest is new */
			return res;
		}
		errbuf_clear(eb); /* delivered before the restart */
	}
}

static uint64_t
tracked_mark(struct source *s)
{
	return tracked_offset((struct tracked *)s);
}

/* Bytes of a line its writer has not finished: with --checkpoint it is
 * read again next time, else it is lost at exit. */
static size_t
tracked_unfinished(struct tracked *t)
{
	size_t n;

	if (t->set->g->checkpoint || t->fd == -1)
		return 0;
	n = reader_unread(&t->rd);
	return t->rd.lr.discarding ? 0 : n;
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

/* Is fd (whose fstat is st) the file of checkpoint entry e? */
static int
ckpt_matches(int fd, const struct stat *st, const struct ckpt_entry *e)
{
	uint64_t fp;

	if (e->offset > (uint64_t)st->st_size)
		return 0;
	if (e->fp_bytes > 0)
		return fingerprint(fd, e->fp_bytes, &fp) == 0 && fp == e->fp;
	return e->dev == (uint64_t)st->st_dev && e->ino == (uint64_t)st->st_ino;
}

/*
 * Start t's reader on its file at offset start (a checkpoint's, or where
 * --from-end puts it).  A csv header, json's array, json-seq's framing: a
 * stateful format is read from the start again, the records up to start
 * decoded and dropped (skip_to).
 */
static void
tracked_start(struct tracked *t, uint64_t start, linebuf_read_fn read)
{
	const struct globals *g = t->set->g;

	t->skip_to = 0;
	if (start > 0 && reader_stateful(g->from)) {
		t->skip_to = start;
		start = 0;
	}
	if (start > 0 && lseek(t->fd, (off_t)start, SEEK_SET) == -1)
		start = 0;
	t->pos = start;
	t->base = start > t->skip_to ? start : t->skip_to;
	source_marks_drop(&t->s);
	reader_init(&t->rd, g->from, read, t, g->max_line,
		    g->csv_types ? READER_TYPES : 0);
	if (start > 0)
		reader_no_bom(&t->rd); /* not the start of the file */
	t->s.ready = 1;
}

/* ---- a rotated file, read until it stays quiet --------------------------- */

struct follow;

struct drain {
	struct tracked t;
	int64_t last_data;
	int ended; /* read to its end; kept while records of it are held */
	struct follow *waiter; /* reads once this one has caught up */
};

static void drain_hold(struct drain *d, struct follow *f);
static int is_tracked(const struct source *s);
static void drain_release_waiter(struct drain *d);

static ssize_t
drain_read(void *arg, char *buf, size_t n, struct errbuf *eb)
{
	struct drain *d = arg;
	ssize_t r;

	do
		r = read(d->t.fd, buf, n);
	while (r == -1 && errno == EINTR);
	if (r > 0) {
		d->t.pos += (uint64_t)r;
		d->last_data = mono_ns();
		return r;
	}
	if (r == -1)
		return errbuf_set(eb, STATUS_IO, "cannot read '%s': %s",
				  d->t.s.name, strerror(errno));
	if (mono_ns() - d->last_data >= ROTATE_WAIT)
		return 0; /* quiet long enough: its end */
	eb->status = 0;
	errno = EAGAIN;
	return -1;
}

static int
drain_next(struct source *s, struct source_rec *rec, struct errbuf *eb)
{
	struct drain *d = (struct drain *)s;

	return d->ended ? LINE_AGAIN : tracked_next(&d->t, rec, eb);
}

static void
drain_idle(struct source *s, struct source_set *set)
{
	(void)set;
	s->ready = 0;
	if (((struct drain *)s)->ended)
		return; /* waits for delivered() */
	s->deadline = mono_ns() + FOLLOW_POLL;
	drain_release_waiter((struct drain *)s);
}

/*
 * Read to its end.  With --checkpoint it stays in the checkpoint (and the
 * set) until no command holds a record of it any more.
 */
static void
drain_end(struct source *s, struct source_set *set, int failed)
{
	struct drain *d = (struct drain *)s;

	(void)failed;
	(void)set;
	drain_release_waiter(d);
	if (!s->delivery || d->t.base >= tracked_offset(&d->t)) {
		s->done = 1;
		return;
	}
	d->ended = 1;
	s->ready = 0;
	s->deadline = INT64_MAX;
}

/* Read to its end and delivered to its end: it leaves the checkpoint. */
static void
drain_delivered(struct source *s, uint64_t mark)
{
	struct drain *d = (struct drain *)s;

	if (mark > d->t.base)
		d->t.base = mark;
	if (d->ended && d->t.base >= tracked_offset(&d->t))
		s->done = 1;
}

static size_t
drain_unfinished(struct source *s)
{
	struct drain *d = (struct drain *)s;

	return d->ended ? 0 : tracked_unfinished(&d->t);
}

static void
drain_free(struct source *s)
{
	struct drain *d = (struct drain *)s;

	drain_release_waiter(d);
	reader_release(&d->t.rd);
	close(d->t.fd);
	free(d);
}

static const struct source_ops drain_ops = {
	.next = drain_next,
	.idle = drain_idle,
	.end = drain_end,
	.mark = tracked_mark,
	.delivered = drain_delivered,
	.unfinished = drain_unfinished,
	.free = drain_free,
};

static struct drain *
drain_new(struct source_set *set, const char *name)
{
	struct drain *d = xcalloc(1, sizeof *d);

	d->t.s.ops = &drain_ops;
	d->t.s.name = name;
	d->t.s.fd = -1;
	d->t.s.ready = 1;
	d->t.s.delivery = set->g->checkpoint != NULL;
	d->t.s.deadline = INT64_MAX;
	d->t.set = set;
	d->t.path = name;
	d->last_data = mono_ns();
	return d;
}

/*
 * The file of checkpoint entry e, rotated away from its name: in the
 * name's directory, the regular file with its device and inode (and first
 * bytes), or else the one file there named after it (the name and a
 * suffix: app.log.1, app.log-20261126) with its first bytes and at least
 * its offset in size (a copy, as copytruncate leaves).  Files followed
 * under a name of their own are not candidates.  Its descriptor, its
 * name in *found, or -1.
 */
static int
find_rotated(struct source_set *set, const struct ckpt_entry *e,
	     struct stat *st, char **found)
{
	char *dir = xstrdup(e->path), *slash = strrchr(dir, '/');
	char *copy_name = NULL;
	const char *base = slash ? e->path + (slash - dir) + 1 : e->path;
	size_t nbase = strlen(base), nin = 0, i;
	struct dirent *de;
	struct stat cst, *in = NULL;
	int fd = -1, copy = -1, copies = 0;
	DIR *dp;

	*found = NULL;
	if (slash == dir)
		slash++; /* "/name": the root */
	if (slash)
		*slash = '\0';
	dp = opendir(slash ? dir : ".");
	free(dir);
	if (dp == NULL)
		return -1;
	/* The inputs given, taken once: none of them is a rotated copy. */
	for (i = 0; set->inputs && set->inputs[i]; i++)
		;
	in = xcalloc(i ? i : 1, sizeof *in);
	for (i = 0; set->inputs && set->inputs[i]; i++)
		if (stat(set->inputs[i], &in[nin]) == 0)
			nin++;
	while (fd == -1 && (de = readdir(dp)) != NULL) {
		struct stat cur;
		int cfd, own = 0, named;

		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		named = strncmp(de->d_name, base, nbase) == 0 &&
			de->d_name[nbase] != '\0';
		/* Only a candidate is opened. */
		if (fstatat(dirfd(dp), de->d_name, &cur, AT_SYMLINK_NOFOLLOW) ==
			    -1 ||
		    !S_ISREG(cur.st_mode) ||
		    !((e->dev == (uint64_t)cur.st_dev &&
		       e->ino == (uint64_t)cur.st_ino) ||
		      (named && e->fp_bytes > 0)))
			continue;
		cfd = openat(dirfd(dp), de->d_name,
			     O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
		if (cfd == -1)
			continue;
		if (fstat(cfd, &cur) == -1 || !S_ISREG(cur.st_mode)) {
			close(cfd);
			continue;
		}
		for (i = 0; i < set->n; i++) {
			struct tracked *t = (struct tracked *)set->v[i];

			if (is_tracked(set->v[i]) && t->fd != -1 &&
			    t->dev == cur.st_dev && t->ino == cur.st_ino)
				own = 1;
		}
		for (i = 0; i < nin; i++)
			if (in[i].st_dev == cur.st_dev &&
			    in[i].st_ino == cur.st_ino)
				own = 1;
		if (own || !ckpt_matches(cfd, &cur, e)) {
			close(cfd);
			continue;
		}
		if (e->dev == (uint64_t)cur.st_dev &&
		    e->ino == (uint64_t)cur.st_ino) {
			fd = cfd;
			*st = cur;
			*found = xstrdup(de->d_name);
		} else if (e->fp_bytes > 0 && named && copies++ == 0) {
			copy = cfd;
			cst = cur;
			copy_name = xstrdup(de->d_name);
		} else {
			close(cfd);
		}
	}
	closedir(dp);
	free(in);
	if (fd == -1 && copies == 1) {
		fd = copy;
		*st = cst;
		*found = copy_name;
	} else {
		if (copy != -1)
			close(copy);
		free(copy_name);
	}
	return fd;
}

/*
 * Checkpoint entry e names a file that is no longer under its name (it
 * was rotated while being drained, or while evpipe was not running):
 * find it and read the rest of it, before the file now under the name.
 * 1 if it was found.
 */
static int
drain_resume(struct source_set *set, struct follow *f,
	     const struct ckpt_entry *e)
{
	struct drain *d;
	struct stat st;
	char *found;
	int fd = find_rotated(set, e, &st, &found);

	if (fd == -1)
		return 0;
	log_warn("%s: rotated away since the checkpoint: reading the rest "
		 "of it, now '%s', from offset %llu",
		 e->path, found, (unsigned long long)e->offset);
	free(found);
	d = drain_new(set, ((struct source *)f)->name);
	d->t.fd = fd;
	d->t.dev = st.st_dev;
	d->t.ino = st.st_ino;
	d->t.fp = e->fp;
	d->t.fp_bytes = (size_t)e->fp_bytes;
	tracked_start(&d->t, e->offset, drain_read);
	source_set_add(set, &d->t.s);
	drain_hold(d, f);
	return 1;
}

/* ---- followed files ----------------------------------------------------- */

struct follow {
	struct tracked t;
	unsigned nfirst; /* older files whose rest is read first */
	int started;	 /* a file was opened once (from-end, checkpoint) */
	int ckpt_taken;	 /* the checkpoint's file is being drained */
	int warned;	 /* "cannot open" said once */
	int missed;	 /* was not there at the start: read it all */
	int watched;	 /* its directory has an inotify watch */
};

/* f waits until d has read what its file holds now. */
static void
drain_hold(struct drain *d, struct follow *f)
{
	f->nfirst++;
	d->waiter = f;
}

static void
drain_release_waiter(struct drain *d)
{
	if (d->waiter && --d->waiter->nfirst == 0)
		d->waiter->t.s.ready = 1;
	d->waiter = NULL;
}

static ssize_t
follow_read(void *arg, char *buf, size_t n, struct errbuf *eb)
{
	struct follow *f = arg;
	ssize_t r;

	do
		r = read(f->t.fd, buf, n);
	while (r == -1 && errno == EINTR);
	if (r > 0) {
		f->t.pos += (uint64_t)r;
		return r;
	}
	if (r == -1)
		return errbuf_set(eb, STATUS_IO, "cannot read '%s': %s",
				  f->t.path, strerror(errno));
	/* The end for now: a partial line stays until its newline. */
	eb->status = 0;
	errno = EAGAIN;
	return -1;
}

/* Fingerprint the start of the file, as much of it as there is. */
static void
follow_fingerprint(struct follow *f, uint64_t size)
{
	size_t n = size < CKPT_FP_BYTES ? (size_t)size : CKPT_FP_BYTES;

	if (fingerprint(f->t.fd, n, &f->t.fp) == 0)
		f->t.fp_bytes = n;
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
	const struct globals *g = f->t.set->g;
	uint64_t size = (uint64_t)st->st_size, start = 0;

	f->t.fd = fd;
	f->t.dev = st->st_dev;
	f->t.ino = st->st_ino;
	f->t.fp_bytes = 0;
	follow_fingerprint(f, size);
	if (!f->started && !f->ckpt_taken) {
		const struct ckpt_entry *e =
			ckpt_find(f->t.set->ckpt, f->t.path);

		if (e && ckpt_matches(fd, st, e))
			start = e->offset;
		else if (e)
			log_warn("%s: not the file of the checkpoint (rotated "
				 "or rewritten): reading it from the start",
				 f->t.path);
		else if (g->from_end && !f->missed)
			start = after_last_newline(fd, size);
	}
	f->started = 1;
	tracked_start(&f->t, start, follow_read);
}

/* Give up the descriptor: to a draining source if it may still grow. */
static void
follow_detach(struct follow *f, int drain)
{
	if (drain) {
		struct drain *d = drain_new(f->t.set, f->t.s.name);
		struct source s = d->t.s;

		/* Everything the checkpoint needs goes with it: the file,
		 * its reader and the marks of its records. */
		d->t = f->t;
		d->t.s = s;
		source_marks_move(&d->t.s, &f->t.s);
		reader_set_input(&d->t.rd, drain_read, d);
		source_set_add(f->t.set, &d->t.s);
	} else {
		/* The marks were offsets in this file: they go with it. */
		source_marks_drop(&f->t.s);
		reader_release(&f->t.rd);
		close(f->t.fd);
	}
	memset(&f->t.rd, 0, sizeof f->t.rd);
	f->t.fd = -1;
}

/* Try to open the file under the name. */
static void
follow_open(struct follow *f)
{
	struct stat st;
	int fd = open(f->t.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (!f->warned)
			log_warn("cannot open '%s' for reading: %s; following "
				 "its name",
				 f->t.path,
				 fd == -1 ? strerror(errno)
					  : "not a regular file");
		f->warned = 1;
		f->missed = 1;
		if (fd != -1)
			close(fd);
		f->t.s.ready = 0;
		return;
	}
	if (f->warned)
		log_warn("'%s' has appeared; following it", f->t.path);
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

	if (fstat(f->t.fd, &cur) == -1)
		return 0;
	if ((uint64_t)cur.st_size >= f->t.pos &&
	    (f->t.fp_bytes == 0 ||
	     (fingerprint(f->t.fd, f->t.fp_bytes, &fp) == 0 && fp == f->t.fp)))
		return 0;
	log_warn("%s: file truncated: reading it from the start", f->t.path);
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
	if (f->t.fd == -1)
		follow_open(f);
	else
		follow_truncated(f);
	/* Older files first: drain_release_waiter() wakes it. */
	if (f->nfirst > 0)
		s->ready = 0;
}

static int
follow_next(struct source *s, struct source_rec *rec, struct errbuf *eb)
{
	struct follow *f = (struct follow *)s;

	if (f->t.fd == -1 || f->nfirst > 0)
		return LINE_AGAIN; /* service() cleared ready: not reached */
	return tracked_next(&f->t, rec, eb);
}

/* The reader ran dry: has the file been truncated or rotated? */
static void
follow_idle(struct source *s, struct source_set *set)
{
	struct follow *f = (struct follow *)s;
	struct stat st;

	(void)set;
	s->ready = 0;
	if (f->t.fd == -1 || f->nfirst > 0 || follow_truncated(f))
		return;
	if (f->t.fp_bytes < CKPT_FP_BYTES && f->t.pos > f->t.fp_bytes)
		follow_fingerprint(f, f->t.pos);
	if (stat(f->t.path, &st) == 0 && st.st_dev == f->t.dev &&
	    st.st_ino == f->t.ino)
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

	if (f->t.fd != -1)
		follow_detach(f, 0);
	free(f);
}

static void
follow_delivered(struct source *s, uint64_t mark)
{
	struct follow *f = (struct follow *)s;

	if (mark > f->t.base)
		f->t.base = mark;
}

static size_t
follow_unfinished(struct source *s)
{
	struct follow *f = (struct follow *)s;

	return f->nfirst > 0 ? 0 : tracked_unfinished(&f->t);
}

static const struct source_ops follow_ops = {
	.service = follow_service,
	.next = follow_next,
	.idle = follow_idle,
	.end = follow_end,
	.mark = tracked_mark,
	.delivered = follow_delivered,
	.unfinished = follow_unfinished,
	.free = follow_free,
};

static int
is_tracked(const struct source *s)
{
	return s->ops == &follow_ops || s->ops == &drain_ops;
}

/* Where tracked file s stands, for the checkpoint: 0 if it has no file
 * open right now, or is a drain read and delivered to its end. */
static int
tracked_ckpt(struct source *s, struct ckpt_entry *e)
{
	struct tracked *t = (struct tracked *)s;

	if (!is_tracked(s) || t->fd == -1 || s->done)
		return 0;
	e->path = (char *)t->path;
	e->dev = (uint64_t)t->dev;
	e->ino = (uint64_t)t->ino;
	e->fp = t->fp;
	e->fp_bytes = t->fp_bytes;
	e->offset = t->base;
	e->rotated = s->ops == &drain_ops;
	return 1;
}

int
source_follow_checkpoint(struct source_set *set)
{
	struct errbuf eb = { 0 };
	struct ckpt_entry *v;
	size_t i, n = 0;
	char *text;

	if (set->g->checkpoint == NULL)
		return 0;
	v = xcalloc(set->n + 1, sizeof *v);
	for (i = 0; i < set->n; i++)
		if (tracked_ckpt(set->v[i], &v[n]))
			n++;
	text = ckpt_dump(v, n);
	free(v);
	if (set->ckpt_last && strcmp(set->ckpt_last, text) == 0) {
		free(text);
		return 0;
	}
	if (ckpt_write(set->g->checkpoint, text, &eb) == -1) {
		free(text);
		source_set_error(set, "--checkpoint: %s", eb.msg);
		return -1;
	}
	free(set->ckpt_last);
	set->ckpt_last = text;
	return 0;
}

struct source *
source_follow_new(struct source_set *set, const char *path)
{
	struct follow *f = xcalloc(1, sizeof *f);

	f->t.s.ops = &follow_ops;
	f->t.s.name = f->t.path = source_set_name(set, path);
	f->t.s.fd = -1;
	f->t.s.follow = 1;
	f->t.s.delivery = set->g->checkpoint != NULL;
	f->t.s.ready = 1;
	f->t.s.deadline = INT64_MAX;
	f->t.set = set;
	f->t.fd = -1;
	if (set->inotify_fd >= 0) {
		char *tmp = xstrdup(path);

		f->watched = inotify_add_watch(
				     set->inotify_fd, dirname(tmp),
				     IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
					     IN_DELETE | IN_MODIFY | IN_ATTRIB |
					     IN_CLOSE_WRITE) >= 0;
		free(tmp);
	}
	return &f->t.s;
}

void
source_follow_resume(struct source_set *set)
{
	size_t i, k, n = set->n;

	for (i = 0; set->ckpt && i < set->ckpt->n; i++) {
		const struct ckpt_entry *e = &set->ckpt->v[i];
		struct follow *f = NULL;
		struct stat st;
		int fd;

		for (k = 0; k < n && f == NULL; k++)
			if (set->v[k]->ops == &follow_ops &&
			    strcmp(((struct follow *)set->v[k])->t.path,
				   e->path) == 0)
				f = (struct follow *)set->v[k];
		if (f == NULL)
			continue; /* not followed this time */
		if (!e->rotated) {
			/* Still the file under the name: follow_attach()
			 * resumes it. */
			fd = open(e->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
			if (fd != -1 && fstat(fd, &st) == 0 &&
			    S_ISREG(st.st_mode) && ckpt_matches(fd, &st, e)) {
				close(fd);
				continue;
			}
			if (fd != -1)
				close(fd);
		}
		if (drain_resume(set, f, e)) {
			if (!e->rotated)
				f->ckpt_taken = 1; /* the name: a new file */
		} else if (e->rotated) {
			log_warn("%s: the file rotated away from it (device "
				 "%llu, inode %llu) is not in its directory "
				 "any more: what it held after offset %llu "
				 "was not read",
				 e->path, (unsigned long long)e->dev,
				 (unsigned long long)e->ino,
				 (unsigned long long)e->offset);
		}
	}
}
