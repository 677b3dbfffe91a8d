/*
 * sinkset.c -- a target that may be a template: its sinks, their
 * buffers, the LRU of open files, rotation, and dead-lettering what a
 * target could not take (sinkset.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/hash.h"
#include "target.h"
#include "record.h"
#include "sinkset.h"
#include "stage.h"
#include "expr/template.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

#define SS_FLUSH (64 * 1024) /* write a file's buffer at this size */
/* A broker target waits for the acknowledgement of every block: fewer,
 * larger blocks keep the round trips off the event rate. */
#define SS_FLUSH_BROKER (4 << 20)
/* A broker target that keeps blocks in flight (sink_settle(), kafka://)
 * is handed small blocks, so that its client sends them as they come,
 * as a producer reading line by line would; up to SS_INFLIGHT of them
 * (16 MiB) wait for their acknowledgement while the next ones fill. */
#define SS_FLUSH_SETTLE (256 * 1024)
#define SS_INFLIGHT	64
#define SS_MAX_AUTO	1024   /* most files kept open by default */
#define SS_FD_SPARE	64     /* fds left for everything else */
#define SS_ROT_PROBE	100000 /* most rotation indexes looked for */
#define SS_MAX_FAILED	4096   /* files that failed to open remembered */

enum { WAIT_NO, WAIT_BOUND, WAIT_LINGER };

/* Where an event waiting in a buffer came from, and where it ends. */
struct ss_meta {
	size_t end;  /* offset just past its newline in pend */
	size_t mend; /* the same in metas (0 when the sink wants none) */
	uint64_t lineno;
	uint32_t src; /* index into sinkset.srcs */
};

struct ss_entry {
	char *path; /* the rendering (without rotation index) */
	size_t pathlen;
	uint64_t hash;
	struct ss_entry *hnext;	      /* hash chain */
	struct ss_entry *prev, *next; /* LRU list of open entries */
	struct sink *s;		      /* NULL while closed */
	struct buf pend;	      /* events not delivered yet */
	size_t sent;	  /* of which written, not known read (exec:), or
			   * handed over (kafka://) */
	size_t settled;	  /* kafka://: of which acknowledged, not yet taken
			   * out of pend (that waits until it is cheap) */
	size_t *blk;	  /* kafka://: where each block in flight ends in
			   * pend, oldest first (SS_INFLIGHT of them) */
	struct buf metas; /* a sink that wants_meta: each pending event's
			   * input_meta, a line each (empty for none) */
	size_t msent;	  /* of which handed over with their events */
	size_t nblk;
	struct ss_meta *meta;
	size_t nmeta, capmeta;
	uint64_t size;	/* bytes in the current file, pending included */
	uint64_t index; /* rotation: 0 for PATH, N for PATH.N */
	char *why;	/* failed for good: the reason */
};

struct sinkset {
	char *spec;
	const struct stage_env *env;
	struct template *tmpl;
	struct sinkset_opts o;
	struct ss_entry *one; /* a constant target */
	/* template entries: hash table and LRU of the open ones */
	struct ss_entry **tab;
	size_t nbuckets, nentries, nopen;
	size_t nfailed; /* entries kept for a failed open (their why) */
	struct ss_entry *lru_head, *lru_tail; /* head: most recent */
	struct buf path, scratch;
	/* interned source names: records only borrow theirs */
	char **srcs;
	size_t nsrcs;
	size_t src_compact_at; /* nsrcs that starts ss_src_compact() */
	const char *last_src;
	uint32_t last_id;
	int rotatable;	 /* max_size given and the target is a file */
	size_t fixed;	 /* template_fixed_dir(): the part the user typed */
	size_t flush_at; /* write a buffer out at this size */
	int64_t linger_end;
	uint64_t events, failed, opens, evictions, rotations;
};

static void ss_src_compact_entry(struct sinkset *ss, struct ss_entry *e,
				 uint32_t *map, char **keep, size_t *nkeep);

/*
 * Keep only the source names an event still waiting in a buffer points
 * to.  Every HTTP request, and every tcp client, is a source of its own
 * with a name of its own: without this the table would grow with every
 * one for the whole run, and each new name would be looked for among
 * all of them.  Runs when the table has doubled since it last ran, so
 * its cost per name stays constant.
 */
static void
ss_src_compact(struct sinkset *ss)
{
	uint32_t *map = xcalloc(ss->nsrcs, sizeof(*map)); /* new id + 1 */
	char **keep = xreallocarray(NULL, ss->nsrcs, sizeof(*keep));
	size_t i, nkeep = 0;

	if (ss->one)
		ss_src_compact_entry(ss, ss->one, map, keep, &nkeep);
	for (i = 0; i < ss->nbuckets; i++) {
		struct ss_entry *e;

		for (e = ss->tab[i]; e; e = e->hnext)
			ss_src_compact_entry(ss, e, map, keep, &nkeep);
	}
	for (i = 0; i < ss->nsrcs; i++)
		if (map[i] == 0)
			free(ss->srcs[i]);
	free(ss->srcs);
	free(map);
	ss->srcs = keep;
	ss->nsrcs = nkeep;
	ss->last_src = NULL;
	ss->src_compact_at = nkeep * 2 > 256 ? nkeep * 2 : 256;
}

static void
ss_src_compact_entry(struct sinkset *ss, struct ss_entry *e, uint32_t *map,
		     char **keep, size_t *nkeep)
{
	size_t k;

	for (k = 0; k < e->nmeta; k++) {
		uint32_t id = e->meta[k].src;

		if (map[id] == 0) {
			keep[*nkeep] = ss->srcs[id];
			map[id] = (uint32_t)(*nkeep += 1);
		}
		e->meta[k].src = map[id] - 1;
	}
}

static uint32_t
ss_src_id(struct sinkset *ss, const char *src)
{
	size_t i;

	if (ss->nsrcs && src == ss->last_src &&
	    strcmp(src, ss->srcs[ss->last_id]) == 0)
		return ss->last_id;
	for (i = 0; i < ss->nsrcs; i++)
		if (strcmp(ss->srcs[i], src) == 0)
			break;
	if (i == ss->nsrcs) {
		if (ss->nsrcs >= ss->src_compact_at) {
			ss_src_compact(ss);
			i = ss->nsrcs;
		}
		ss->srcs = xreallocarray(ss->srcs, ss->nsrcs + 1,
					 sizeof(*ss->srcs));
		ss->srcs[ss->nsrcs++] = xstrdup(src);
	}
	ss->last_src = src;
	ss->last_id = (uint32_t)i;
	return (uint32_t)i;
}

static void
lru_unlink(struct sinkset *ss, struct ss_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		ss->lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		ss->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct sinkset *ss, struct ss_entry *e)
{
	e->prev = NULL;
	e->next = ss->lru_head;
	if (ss->lru_head)
		ss->lru_head->prev = e;
	ss->lru_head = e;
	if (ss->lru_tail == NULL)
		ss->lru_tail = e;
}

/* Forget the first done bytes of e's buffer (written) and their events. */
static void
entry_consume(struct ss_entry *e, size_t done)
{
	size_t k = 0, i, mdone;

	if (done == 0)
		return;
	if (done >= e->pend.len) {
		e->pend.len = 0;
		e->nmeta = 0;
		e->metas.len = 0;
		e->msent = 0;
		return;
	}
	while (k < e->nmeta && e->meta[k].end <= done)
		k++;
	mdone = k ? e->meta[k - 1].mend : 0;
	memmove(e->pend.data, e->pend.data + done, e->pend.len - done);
	e->pend.len -= done;
	if (mdone) {
		memmove(e->metas.data, e->metas.data + mdone,
			e->metas.len - mdone);
		e->metas.len -= mdone;
		e->msent = e->msent > mdone ? e->msent - mdone : 0;
	}
	for (i = k; i < e->nmeta; i++) {
		e->meta[i - k] = e->meta[i];
		e->meta[i - k].end -= done;
		e->meta[i - k].mend -= mdone;
	}
	e->nmeta -= k;
}

/* Forget the events that end at or before upto (a command read them). */
static void
entry_consume_events(struct ss_entry *e, size_t upto)
{
	size_t k = 0, done;

	while (k < e->nmeta && e->meta[k].end <= upto)
		k++;
	if (k == 0)
		return;
	done = e->meta[k - 1].end;
	entry_consume(e, done);
	e->sent = e->sent > done ? e->sent - done : 0;
}

/* The metadata of e's events not yet handed over (NULL: it keeps none). */
static const char *
entry_metas_unsent(const struct ss_entry *e)
{
	return e->metas.len ? e->metas.data + e->msent : NULL;
}

/*
 * Take the acknowledged blocks of a broker target out of the buffer: what
 * is left moves to its start, and the offsets of the blocks in flight
 * with it.
 */
static void
entry_drop_settled(struct ss_entry *e)
{
	size_t i, done = e->settled;

	if (done == 0)
		return;
	entry_consume(e, done);
	e->sent -= done;
	for (i = 0; i < e->nblk; i++)
		e->blk[i] -= done;
	e->settled = 0;
}

/*
 * Reject one event with reason why and status (STATUS_IO, or
 * STATUS_REJECT when its own path cannot be made): 0, 1 (stop reading)
 * or -1 (fatal, eb filled).
 */
static int
ss_reject_as(struct sinkset *ss, const char *src, uint64_t lineno,
	     const char *bytes, size_t len, const char *why, int status,
	     struct errbuf *eb)
{
	struct record rec;
	int r;

	record_init(&rec, src, lineno, bytes, len);
	record_json(&rec, NULL); /* dead-letter it as JSON when it is */
	errbuf_set(eb, status, "%s", why);
	r = stage_reject(ss->env, &rec, eb);
	record_release(&rec);
	ss->failed++;
	return r;
}

static int
ss_reject(struct sinkset *ss, const char *src, uint64_t lineno,
	  const char *bytes, size_t len, const char *why, struct errbuf *eb)
{
	return ss_reject_as(ss, src, lineno, bytes, len, why, STATUS_IO, eb);
}

/*
 * e failed for good with reason why: reject what its buffer holds, close
 * it, and remember the reason for the events still to come.
 */
static int
entry_fail(struct sinkset *ss, struct ss_entry *e, const char *why,
	   struct errbuf *eb)
{
	size_t i, start = 0;
	int rc = 0;

	free(e->why);
	e->why = xstrdup(why);
	entry_drop_settled(e);
	for (i = 0; i < e->nmeta; i++) {
		struct ss_meta *m = &e->meta[i];
		int r;

		/* the events were counted as written: they were not */
		ss->events--;
		r = ss_reject(ss, ss->srcs[m->src], m->lineno,
			      e->pend.data + start, m->end - start - 1, why,
			      eb);
		start = m->end;
		if (r == -1)
			return -1;
		if (r == 1)
			rc = 1;
	}
	e->pend.len = 0;
	e->nmeta = 0;
	e->sent = 0;
	e->settled = 0;
	e->nblk = 0;
	e->metas.len = 0;
	e->msent = 0;
	if (e->s) {
		sink_close(e->s, NULL);
		e->s = NULL;
		if (e != ss->one) {
			lru_unlink(ss, e);
			ss->nopen--;
		}
	}
	return rc;
}

/*
 * Dead-letter the messages a broker target (kafka://, nats://) refused
 * one by one, with the broker's error; they count as not written.  0 or
 * -1 (fatal).
 */
static int
entry_refused(struct sinkset *ss, struct ss_entry *e, size_t from, size_t upto,
	      struct errbuf *eb)
{
	char why[512], *ev;
	size_t len;

	while (e->s && sink_take_failed(e->s, &ev, &len, why, sizeof why)) {
		const char *src = e->path;
		uint64_t lineno = 0;
		size_t k = 0, start = from;
		int r;

		/* its source and line, from the events just written */
		while (k < e->nmeta && e->meta[k].end <= from)
			k++;
		for (; k < e->nmeta && e->meta[k].end <= upto; k++) {
			if (e->meta[k].end - start - 1 == len &&
			    memcmp(e->pend.data + start, ev, len) == 0) {
				src = ss->srcs[e->meta[k].src];
				lineno = e->meta[k].lineno;
				break;
			}
			start = e->meta[k].end;
		}
		ss->events--;
		r = ss_reject(ss, src, lineno, ev, len, why, eb);
		free(ev);
		if (r == -1)
			return -1;
	}
	return 0;
}

/*
 * A broker target that keeps blocks in flight: forget the blocks it
 * settled (dead-lettering their refused messages), after waiting until
 * at most keep are in flight.  0, 1 or -1 as entry_fail().
 */
static int
entry_settle(struct sinkset *ss, struct ss_entry *e, size_t keep,
	     struct errbuf *eb)
{
	struct errbuf teb = { 0 };
	size_t n, upto, i;

	if (sink_settle(e->s, keep, &n, &teb) == -1)
		return entry_fail(ss, e, teb.msg, eb);
	if (n == 0)
		return 0;
	upto = e->blk[n - 1];
	if (entry_refused(ss, e, e->settled, upto, eb) == -1)
		return -1;
	e->settled = upto;
	for (i = n; i < e->nblk; i++)
		e->blk[i - n] = e->blk[i];
	e->nblk -= n;
	/* moving what is in flight costs less than what it frees */
	if (e->nblk == 0 || e->settled >= e->pend.len - e->settled)
		entry_drop_settled(e);
	return 0;
}

/*
 * The same as entry_write() for a broker target that keeps blocks in
 * flight: what the buffer holds beyond them is handed over as one more
 * block.  With WAIT_BOUND (the buffer is full) SS_INFLIGHT - 1 blocks
 * may stay in flight while the next one fills; otherwise (a flush,
 * before a delivery point, or the end) every block must be settled:
 * "written" means acknowledged.
 */
static int
entry_write_settled(struct sinkset *ss, struct ss_entry *e, int mode,
		    struct errbuf *eb)
{
	struct errbuf teb = { 0 };

	/* at most SS_INFLIGHT - 1 are in flight here */
	if (e->blk == NULL)
		e->blk = xreallocarray(NULL, SS_INFLIGHT, sizeof *e->blk);
	if (e->pend.len > e->sent) {
		if (sink_hand_over(e->s, e->pend.data + e->sent,
				   e->pend.len - e->sent, entry_metas_unsent(e),
				   e->metas.len - e->msent, &teb) == -1)
			return entry_fail(ss, e, teb.msg, eb);
		e->blk[e->nblk++] = e->pend.len;
		e->sent = e->pend.len;
		e->msent = e->metas.len;
	}
	return entry_settle(ss, e, mode == WAIT_BOUND ? SS_INFLIGHT - 1 : 0,
			    eb);
}

/*
 * Write out e's buffer; mode says how long to wait for a disconnected
 * socket or a command being restarted.  For a command, events stay in
 * the buffer until it has read them from its pipe, so those a dying
 * command left unread are written again to the next one; at the end
 * (WAIT_LINGER) this waits until the command has read everything.
 */
static int
entry_write(struct sinkset *ss, struct ss_entry *e, int mode, struct errbuf *eb)
{
	if (e->s && sink_can_settle(e->s))
		return entry_write_settled(ss, e, mode, eb);
	while (e->s) {
		struct errbuf teb = { 0 };
		int track = sink_tracks_unread(e->s), r = 0, gone = 0;
		size_t done;
		int64_t at, now;

		if (e->pend.len > e->sent) {
			r = sink_write_block(
				e->s, e->pend.data + e->sent,
				e->pend.len - e->sent, entry_metas_unsent(e),
				e->metas.len - e->msent, &done, &teb);
			e->msent = e->metas.len;
			e->sent += done;
			if (r == -1) {
				if (track) {
					/* what the command read is delivered */
					struct errbuf ueb = { 0 };
					size_t u =
						sink_unread(e->s, &gone, &ueb);

					entry_consume_events(
						e,
						u > e->sent ? 0 : e->sent - u);
					errbuf_clear(&ueb);
				}
				return entry_fail(ss, e, teb.msg, eb);
			}
			if (!track) {
				if (entry_refused(ss, e, 0, e->sent, eb) == -1)
					return -1;
				entry_consume(e, e->sent);
				e->sent = 0;
			}
		}
		if (track) {
			size_t u = sink_unread(e->s, &gone, &teb);

			entry_consume_events(e, u > e->sent ? 0 : e->sent - u);
			if (gone == 2)
				return entry_fail(ss, e, teb.msg, eb);
			if (gone) {
				e->sent = 0; /* the rest goes to the next one */
				r = 1;
			} else if (r == 0 && mode == WAIT_LINGER &&
				   e->sent > 0) {
				/* the command is still reading */
				sink_sleep_until(mono_ns() + 10 * 1000000LL);
				continue;
			}
		}
		if (r == 0)
			return 0;
		if (mode == WAIT_NO || (mode == WAIT_BOUND &&
					e->pend.len <= SINKSET_SOCKET_BUFFER))
			return 0;
		at = sink_retry_at(e->s);
		now = mono_ns();
		if (mode == WAIT_LINGER) {
			if (ss->linger_end == 0)
				ss->linger_end = now + sink_linger_ns;
			if (now >= ss->linger_end) {
				char why[sizeof teb.msg + 64];

				snprintf(why, sizeof why,
					 "%s: not delivered: %s", e->s->spec,
					 teb.msg[0] ? teb.msg
						    : "not connected");
				return entry_fail(ss, e, why, eb);
			}
			if (at > ss->linger_end)
				at = ss->linger_end;
		}
		if (sink_sleep_until(at) == -1)
			mode = WAIT_LINGER; /* a signal: stop waiting soon */
	}
	return 0;
}

/* PATH with rotation index n: "a/b.ndjson" -> "a/b.N.ndjson". */
static void
rotated_name(const char *path, size_t len, uint64_t n, struct buf *out)
{
	const char *base = memrchr(path, '/', len), *dot = NULL, *end;

	buf_reset(out);
	if (n == 0) {
		buf_add(out, path, len);
		return;
	}
	base = base ? base + 1 : path;
	end = path + len;
	if (end - base > 3 && memcmp(end - 3, ".gz", 3) == 0)
		end -= 3;
	for (const char *q = end - 1; q > base; q--)
		if (*q == '.') {
			dot = q;
			break;
		}
	if (dot == NULL)
		dot = path + len;
	buf_add(out, path, (size_t)(dot - path));
	buf_addf(out, ".%llu", (unsigned long long)n);
	buf_add(out, dot, (size_t)(path + len - dot));
}

/* Close e's sink (its buffer written or failed): 0 or -1 with eb. */
static int
entry_close(struct sinkset *ss, struct ss_entry *e, struct errbuf *eb)
{
	struct errbuf teb = { 0 };
	int r;

	if (e->s == NULL)
		return 0;
	if (e != ss->one) {
		lru_unlink(ss, e);
		ss->nopen--;
	}
	r = sink_close(e->s, &teb);
	e->s = NULL;
	if (r == -1)
		return errbuf_set(eb, STATUS_IO, "%s", teb.msg);
	return 0;
}

/* Drop a closed, healthy entry from the table (keeps memory bounded). */
static void ss_forget(struct sinkset *ss, struct ss_entry *e);

/* Close the least recently used file to make room. */
static int
ss_evict(struct sinkset *ss, struct errbuf *eb)
{
	struct ss_entry *e = ss->lru_tail;
	int r;

	if (e == NULL)
		return 0;
	r = entry_write(ss, e, WAIT_NO, eb);
	if (r != 0)
		return r;
	if (entry_close(ss, e, eb) == -1)
		return -1;
	ss->evictions++;
	if (e->why == NULL)
		ss_forget(ss, e);
	return 0;
}

/*
 * Open e's current file (evicting as needed), finding the first
 * unfilled rotation index.  0, or -1 with the reason in why.
 */
static int
entry_open(struct sinkset *ss, struct ss_entry *e, char *why, size_t whysz,
	   int *status, struct errbuf *eb)
{
	struct errbuf teb = { 0 };
	struct stat st;
	int tries = 0, err, fd;

	*status = STATUS_IO;
	if (ss->rotatable) {
		/* go on in the last file of the series (across runs) */
		uint64_t probes = 0;

		for (;;) {
			rotated_name(e->path, e->pathlen, e->index + 1,
				     &ss->scratch);
			if (lstat(ss->scratch.data, &st) == -1 ||
			    ++probes > SS_ROT_PROBE)
				break;
			e->index++;
		}
	}
	rotated_name(e->path, e->pathlen, e->index, &ss->scratch);
	for (;;) {
		if (e == ss->one) {
			e->s = sink_open_unbuffered(ss->scratch.data, 1, &teb);
			if (e->s == NULL) {
				snprintf(why, whysz, "%s", teb.msg);
				return -1;
			}
			fd = -1;
		} else {
			fd = file_open_confined(ss->scratch.data, ss->fixed,
						O_WRONLY | O_APPEND | O_CREAT,
						ss->o.mkdir, status, why,
						whysz);
			if (fd >= 0)
				break;
		}
		if (e->s)
			break;
		err = errno;
		if (!(err == EMFILE || err == ENFILE) || ss->nopen == 0 ||
		    tries++ >= 8)
			return -1;
		if (ss_evict(ss, eb) == -1)
			return -2;
	}
	if (e->s == NULL) {
		e->size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
		e->s = sink_open_fd(ss->scratch.data, fd, &teb);
		if (e->s == NULL) {
			snprintf(why, whysz, "%s", teb.msg);
			return -1;
		}
	} else if (ss->rotatable) {
		e->size = stat(ss->scratch.data, &st) == 0
				  ? (uint64_t)st.st_size
				  : 0;
	}
	ss->opens++;
	if (e != ss->one) {
		lru_push(ss, e);
		ss->nopen++;
	}
	return 0;
}

static struct ss_entry *
entry_new(const char *path, size_t len, uint64_t h)
{
	struct ss_entry *e = xcalloc(1, sizeof *e);

	e->path = xstrndup(path, len);
	e->pathlen = len;
	e->hash = h;
	return e;
}

static void
entry_free(struct ss_entry *e)
{
	if (e->s)
		sink_close(e->s, NULL);
	buf_release(&e->pend);
	buf_release(&e->metas);
	free(e->meta);
	free(e->blk);
	free(e->path);
	free(e->why);
	free(e);
}

static void
ss_grow(struct sinkset *ss)
{
	size_t nb = ss->nbuckets ? ss->nbuckets * 2 : 64, i;
	struct ss_entry **tab = xcalloc(nb, sizeof *tab);

	for (i = 0; i < ss->nbuckets; i++) {
		struct ss_entry *e = ss->tab[i], *next;

		for (; e; e = next) {
			next = e->hnext;
			e->hnext = tab[e->hash & (nb - 1)];
			tab[e->hash & (nb - 1)] = e;
		}
	}
	free(ss->tab);
	ss->tab = tab;
	ss->nbuckets = nb;
}

static struct ss_entry *
ss_lookup(struct sinkset *ss, const char *path, size_t len)
{
	uint64_t h = hash64(path, len);
	struct ss_entry *e;

	if (ss->nbuckets)
		for (e = ss->tab[h & (ss->nbuckets - 1)]; e; e = e->hnext)
			if (e->hash == h && e->pathlen == len &&
			    memcmp(e->path, path, len) == 0)
				return e;
	if (ss->nentries >= ss->nbuckets)
		ss_grow(ss);
	e = entry_new(path, len, h);
	e->hnext = ss->tab[h & (ss->nbuckets - 1)];
	ss->tab[h & (ss->nbuckets - 1)] = e;
	ss->nentries++;
	return e;
}

static void
ss_forget(struct sinkset *ss, struct ss_entry *e)
{
	struct ss_entry **pp = &ss->tab[e->hash & (ss->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	ss->nentries--;
	entry_free(e);
}

static uint64_t
ss_auto_max_open(void)
{
	struct rlimit rl;
	uint64_t n = SS_MAX_AUTO;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		uint64_t avail = rl.rlim_cur > 2 * SS_FD_SPARE
					 ? (rl.rlim_cur - SS_FD_SPARE) / 2
					 : 1;

		if (avail < n)
			n = avail;
	}
	return n;
}

struct sinkset *
sinkset_new(const char *spec, const struct sinkset_opts *o,
	    const struct stage_env *env, struct errbuf *eb)
{
	struct sinkset *ss;
	int is_template;

	if (target_check_template(spec, &is_template, eb) == -1)
		return NULL;
	ss = xcalloc(1, sizeof *ss);
	ss->src_compact_at = 256;
	ss->spec = xstrdup(spec);
	ss->env = env;
	ss->o = *o;
	ss->o.named = NULL; /* used once, here */
	if (ss->o.max_open == 0)
		ss->o.max_open = ss_auto_max_open();
	ss->flush_at = target_settles(spec)	? SS_FLUSH_SETTLE
		       : target_is_broker(spec) ? SS_FLUSH_BROKER
						: SS_FLUSH;
	ss->rotatable = o->max_size > 0 && !target_is_broker(spec) &&
			strcmp(spec, "-") != 0 &&
			strncmp(spec, "exec:", 5) != 0 &&
			strncmp(spec, "tcp://", 6) != 0 &&
			strncmp(spec, "unix:", 5) != 0;
	if (is_template) {
		json_t *named = json_object();

		if (env->named_args)
			json_object_update(named, env->named_args);
		if (o->named)
			json_object_update(named, o->named);
		ss->tmpl = template_compile_slots(spec, named, o->slots, eb);
		json_decref(named);
		if (ss->tmpl == NULL) {
			errbuf_prefix(eb, "target '%s'", spec);
			sinkset_free(ss);
			return NULL;
		}
		ss->fixed = template_fixed_dir(ss->tmpl);
		if (!ss->o.mkdir &&
		    file_fixed_dir_missing(ss->tmpl, "target", spec, eb)) {
			sinkset_free(ss);
			return NULL;
		}
		if (template_is_constant(ss->tmpl)) {
			/* only "{{" and "}}": a constant path after all */
			struct buf b = BUF_INIT;

			template_render(ss->tmpl, NULL, TEMPLATE_PLAIN, &b, eb);
			template_free(ss->tmpl);
			ss->tmpl = NULL;
			free(ss->spec);
			ss->spec = buf_detach(&b, NULL);
		}
	}
	if (ss->tmpl == NULL) {
		char why[sizeof eb->msg];

		ss->one = entry_new(ss->spec, strlen(ss->spec), 0);
		int status;

		if (entry_open(ss, ss->one, why, sizeof why, &status, eb) !=
		    0) {
			errbuf_set(eb, STATUS_IO, "%s", why);
			sinkset_free(ss);
			return NULL;
		}
	}
	return ss;
}

/*
 * e's file could not be opened for rec: reject rec.  A name that cannot
 * be made is this event's problem (STATUS_REJECT): the entry is
 * forgotten.  Else the reason stays for e's later events (STATUS_IO),
 * for at most SS_MAX_FAILED files: past that a failed file is forgotten
 * and tried again for its next event, so event data that names ever
 * new files that cannot be opened does not grow memory.
 */
static int
ss_open_failed(struct sinkset *ss, struct ss_entry *e, struct record *rec,
	       const char *why, int status, struct errbuf *eb)
{
	const char *bytes;
	size_t len;

	bytes = record_bytes(rec, &len);
	if (e != ss->one && e->nmeta == 0 &&
	    (status == STATUS_REJECT || ss->nfailed >= SS_MAX_FAILED)) {
		ss_forget(ss, e);
	} else {
		e->why = xstrdup(why);
		ss->nfailed++;
	}
	return ss_reject_as(ss, rec->src, rec->lineno, bytes, len, why, status,
			    eb);
}

int
sinkset_write(struct sinkset *ss, struct record *rec,
	      const char *const *slot_values, struct errbuf *eb)
{
	struct ss_entry *e = ss->one;
	const char *bytes;
	size_t len;
	int r, status;

	if (ss->tmpl) {
		buf_reset(&ss->path);
		if (template_render_record(ss->tmpl, rec, TEMPLATE_PATH,
					   slot_values, &ss->path, eb) == -1)
			return -1;
		e = ss_lookup(ss, ss->path.data, ss->path.len);
	}
	bytes = record_bytes(rec, &len);
	if (e->why)
		return ss_reject(ss, rec->src, rec->lineno, bytes, len, e->why,
				 eb);
	if (e->s == NULL) {
		char why[sizeof eb->msg];

		if (ss->nopen >= ss->o.max_open && (r = ss_evict(ss, eb)) != 0)
			return r;
		r = entry_open(ss, e, why, sizeof why, &status, eb);
		if (r == -2)
			return -1;
		if (r == -1)
			return ss_open_failed(ss, e, rec, why, status, eb);
	} else if (e != ss->one && e != ss->lru_head) {
		lru_unlink(ss, e);
		lru_push(ss, e);
	}
	if (ss->rotatable && e->size > 0 &&
	    e->size + len + 1 > ss->o.max_size) {
		/* rotate: the next file in the series */
		char why[sizeof eb->msg];

		if ((r = entry_write(ss, e, WAIT_BOUND, eb)) != 0)
			return r;
		if (entry_close(ss, e, eb) == -1)
			return -1;
		if (e->why)
			return ss_reject(ss, rec->src, rec->lineno, bytes, len,
					 e->why, eb);
		e->index++;
		ss->rotations++;
		r = entry_open(ss, e, why, sizeof why, &status, eb);
		if (r == -2)
			return -1;
		if (r == -1)
			return ss_open_failed(ss, e, rec, why, status, eb);
	}
	if (e->nmeta == e->capmeta) {
		e->capmeta = e->capmeta ? e->capmeta * 2 : 64;
		e->meta = xreallocarray(e->meta, e->capmeta, sizeof(*e->meta));
	}
	/* the event and its newline in one step: this is per event */
	buf_grow(&e->pend, len + 1);
	memcpy(e->pend.data + e->pend.len, bytes, len);
	e->pend.len += len + 1;
	e->pend.data[e->pend.len - 1] = '\n';
	e->pend.data[e->pend.len] = '\0';
	e->meta[e->nmeta].end = e->pend.len;
	if (e->s && e->s->wants_meta) {
		/* compact JSON holds no newline */
		buf_add(&e->metas, rec->meta, rec->meta ? rec->metalen : 0);
		buf_addc(&e->metas, '\n');
	}
	e->meta[e->nmeta].mend = e->metas.len;
	e->meta[e->nmeta].lineno = rec->lineno;
	e->meta[e->nmeta].src = ss_src_id(ss, rec->src);
	e->nmeta++;
	e->size += len + 1;
	ss->events++;
	/* a broker's blocks in flight are not part of the next one */
	if (e->pend.len - (e->nblk ? e->sent : 0) >= ss->flush_at ||
	    ss->env->line_buffered)
		return entry_write(ss, e, WAIT_BOUND, eb);
	return 0;
}

int
sinkset_flush(struct sinkset *ss, struct errbuf *eb)
{
	struct ss_entry *e;
	int r, rc = 0;

	if (ss->one)
		return entry_write(ss, ss->one, WAIT_NO, eb);
	for (e = ss->lru_head; e; e = e->next) {
		r = entry_write(ss, e, WAIT_NO, eb);
		if (r == -1)
			return -1;
		if (r == 1)
			rc = 1;
	}
	return rc;
}

int64_t
sinkset_next_deadline(const struct sinkset *ss)
{
	int64_t at;

	/* only a constant target can be a socket */
	if (ss->one == NULL || ss->one->s == NULL ||
	    ss->one->pend.len <= ss->one->sent)
		return INT64_MAX;
	at = sink_retry_at(ss->one->s);
	return at ? at : INT64_MAX;
}

/*
 * Write what e holds, waiting up to --linger, then close it: 0, 1 when
 * some of it was dead-lettered, or -1 with eb.
 */
static int
entry_finish(struct sinkset *ss, struct ss_entry *e, struct errbuf *eb)
{
	int r = entry_write(ss, e, WAIT_LINGER, eb);

	if (r == -1 || entry_close(ss, e, eb) == -1)
		return -1;
	return r == 1;
}

int
sinkset_close(struct sinkset *ss, struct errbuf *eb)
{
	int r, rc = 0;

	if (ss->one)
		return entry_finish(ss, ss->one, eb);
	while (ss->lru_head) {
		struct ss_entry *e = ss->lru_head;

		r = entry_finish(ss, e, eb);
		if (r == -1)
			return -1;
		rc |= r;
		if (e->why == NULL)
			ss_forget(ss, e);
	}
	return rc;
}

int
sinkset_flush_all(struct sinkset *const *v, size_t n, struct errbuf *eb)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		if (v[i] && sinkset_flush(v[i], eb) == -1)
			return -1;
	return 0;
}

int64_t
sinkset_next_deadline_all(struct sinkset *const *v, size_t n)
{
	int64_t best = INT64_MAX, d;
	size_t i;

	for (i = 0; v && i < n; i++)
		if (v[i] && (d = sinkset_next_deadline(v[i])) < best)
			best = d;
	return best;
}

int
sinkset_close_all(struct sinkset *const *v, size_t n, struct errbuf *eb)
{
	struct errbuf first = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; v && i < n; i++) {
		if (v[i] == NULL || sinkset_close(v[i], eb) != -1)
			continue;
		if (rc == 0)
			first = *eb;
		else
			errbuf_clear(eb);
		rc = -1;
	}
	if (rc == -1)
		*eb = first;
	return rc;
}

void
sinkset_report(const struct sinkset *ss, FILE *fp)
{
	fprintf(fp, "%llu events written, %llu rejected",
		(unsigned long long)ss->events, (unsigned long long)ss->failed);
	if (ss->tmpl)
		fprintf(fp,
			"; %llu opens, %llu closes to stay within "
			"--max-open %llu, %llu rotations",
			(unsigned long long)ss->opens,
			(unsigned long long)ss->evictions,
			(unsigned long long)ss->o.max_open,
			(unsigned long long)ss->rotations);
}

void
sinkset_free(struct sinkset *ss)
{
	size_t i;

	if (ss == NULL)
		return;
	if (ss->one)
		entry_free(ss->one);
	for (i = 0; i < ss->nbuckets; i++) {
		struct ss_entry *e = ss->tab[i], *next;

		for (; e; e = next) {
			next = e->hnext;
			entry_free(e);
		}
	}
	free(ss->tab);
	for (i = 0; i < ss->nsrcs; i++)
		free(ss->srcs[i]);
	free(ss->srcs);
	template_free(ss->tmpl);
	buf_release(&ss->path);
	buf_release(&ss->scratch);
	free(ss->spec);
	free(ss);
}
