/*
 * cmd/batch.c -- group events into batches by count, size and age (per
 * key with -k); emit each batch as one JSON array, run a command per
 * batch (batch-exec.c), write each batch to a file of its own, or POST
 * it as one request of an http:// target (sink/http.c), its answer
 * waited for.
 *
 * Open batches are kept in a list in the order of their first event.
 * Every batch has the same --interval, so that is also the order of their
 * deadlines: the earliest deadline is always the first batch's.  With -k
 * a hash of the key's canonical bytes finds a key's open batch.
 * --max-keys bounds how many are open: a new key beyond it closes the
 * oldest batch first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "batch.h"
#include "lib/buf.h"
#include "expr/expr-stage.h"
#include "lib/hash.h"
#include "stage.h"
#include "expr/template.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "sink/http-dst.h"
#include "sink/target.h"

#define UNSET		UINT64_MAX
#define BATCH_KEEP_FREE 8 /* closed batches kept for reuse */

struct batch_ctx {
	/* options */
	uint64_t count;	    /* -n */
	uint64_t max_bytes; /* --bytes */
	int64_t interval;   /* --interval; -1: none */
	const char *key;    /* -k */
	const char *exec;   /* --exec */
	const char *to;	    /* --target */
	int mkdir;	    /* --mkdir */
	uint64_t retries, parallel, max_keys;
	int64_t backoff, timeout;
	/* state */
	const struct stage_env *env;
	struct cmd_expr kx;
	int keyed, array;
	struct template *tpl;
	struct bexec *bx;
	struct sink *http;	   /* -t http://... */
	struct batch *head, *tail; /* open, oldest first */
	struct batch **table;	   /* -k: open batches by key hash */
	size_t nbuckets, nopen;
	struct batch *spare; /* closed batches for reuse, by ->next */
	size_t nspare;
	struct buf kbuf, name;
	uint64_t seq, nproc;
	int stop; /* a reject said --on-error stop */
	/* for -v */
	uint64_t closed[6], failed, delivered, files;
};

static const char *const batch_whys[] = { "count",    "bytes", "interval",
					  "max-keys", "end",   NULL };
enum { WHY_COUNT, WHY_BYTES, WHY_INTERVAL, WHY_KEYS, WHY_END };

static void
batch_defaults(void *arg)
{
	struct batch_ctx *ctx = arg;

	ctx->count = 100;
	ctx->max_bytes = UNSET;
	ctx->interval = -1;
	ctx->retries = ctx->parallel = ctx->max_keys = UNSET;
	ctx->backoff = ctx->timeout = -1;
}

/* ---- batches ------------------------------------------------------------ */

static struct batch *
batch_new(struct batch_ctx *ctx)
{
	struct batch *b = ctx->spare;

	if (b) {
		ctx->spare = b->next;
		ctx->nspare--;
		buf_reset(&b->key);
		buf_reset(&b->data);
		buf_reset(&b->srcs);
		buf_reset(&b->meta);
		b->n = 0;
		b->bytes = 0;
		b->seq = 0;
		b->min_seq = UINT64_MAX;
		b->why = NULL;
	} else {
		b = xcalloc(1, sizeof *b);
		b->min_seq = UINT64_MAX;
	}
	b->prev = b->next = b->hnext = NULL;
	if (ctx->array)
		buf_addc(&b->data, '[');
	return b;
}

static void
batch_destroy(struct batch *b)
{
	buf_release(&b->key);
	buf_release(&b->data);
	buf_release(&b->srcs);
	buf_release(&b->meta);
	free(b->ev);
	free(b);
}

/* A batch is done with: keep it for reuse, unless it grew very large. */
static void
batch_recycle(void *arg, struct batch *b)
{
	struct batch_ctx *ctx = arg;

	if (ctx->nspare >= BATCH_KEEP_FREE || b->data.cap > (16u << 20)) {
		batch_destroy(b);
		return;
	}
	b->next = ctx->spare;
	ctx->spare = b;
	ctx->nspare++;
}

static struct batch **
batch_slot(struct batch_ctx *ctx, uint64_t h)
{
	return &ctx->table[h & (ctx->nbuckets - 1)];
}

static void
batch_rehash(struct batch_ctx *ctx)
{
	struct batch *b;

	free(ctx->table);
	ctx->nbuckets = ctx->nbuckets ? ctx->nbuckets * 2 : 64;
	ctx->table = xcalloc(ctx->nbuckets, sizeof *ctx->table);
	for (b = ctx->head; b; b = b->next) {
		struct batch **s = batch_slot(ctx, b->hash);

		b->hnext = *s;
		*s = b;
	}
}

/* Take b off the open list (and the key table). */
static void
batch_unlink(struct batch_ctx *ctx, struct batch *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		ctx->head = b->next;
	if (b->next)
		b->next->prev = b->prev;
	else
		ctx->tail = b->prev;
	b->prev = b->next = NULL;
	if (ctx->keyed) {
		struct batch **s = batch_slot(ctx, b->hash);

		while (*s != b)
			s = &(*s)->hnext;
		*s = b->hnext;
		b->hnext = NULL;
	}
	ctx->nopen--;
}

/* ---- failing a batch ---------------------------------------------------- */

/*
 * Event i of b is a reject with reason why (status STATUS_REJECT, or
 * STATUS_IO when a file or an HTTP target could not take it).  0, or -1
 * with eb filled (the dead-letter target failed).
 */
static int
batch_reject_one(struct batch_ctx *ctx, struct batch *b, size_t i, int status,
		 const char *why, unsigned attempts, int wstatus,
		 struct errbuf *eb)
{
	struct record rec;
	json_t *d = json_object(), *info = json_object();
	int rc;

	record_init(&rec, batch_src(b, i), b->ev[i].lineno,
		    b->data.data + b->ev[i].off, b->ev[i].len);
	rec.meta = batch_meta(b, i, &rec.metalen);
	record_json(&rec, NULL); /* keep it as JSON in the record */
	json_object_set_new(info, "seq", json_integer((json_int_t)b->seq));
	json_object_set_new(info, "count", json_integer((json_int_t)b->n));
	if (attempts)
		json_object_set_new(info, "attempts", json_integer(attempts));
	if (wstatus > 0 && WIFEXITED(wstatus))
		json_object_set_new(info, "exit_status",
				    json_integer(WEXITSTATUS(wstatus)));
	else if (wstatus > 0 && WIFSIGNALED(wstatus))
		json_object_set_new(info, "signal",
				    json_integer(WTERMSIG(wstatus)));
	json_object_set_new(d, "batch", info);
	errbuf_set(eb, status, "batch %llu: %s", (unsigned long long)b->seq,
		   why);
	eb->detail = d;
	rc = stage_reject(ctx->env, &rec, eb);
	record_release(&rec);
	if (rc == -1)
		return -1;
	if (rc == 1)
		ctx->stop = 1;
	return 0;
}

/* Every event of b is a reject (batch_reject_one()). */
static int
batch_reject(struct batch_ctx *ctx, struct batch *b, int status,
	     const char *why, unsigned attempts, int wstatus, struct errbuf *eb)
{
	size_t i;

	ctx->failed++;
	for (i = 0; i < b->n; i++)
		if (batch_reject_one(ctx, b, i, status, why, attempts, wstatus,
				     eb) == -1)
			return -1;
	return 0;
}

/* batch_done_fn for batch-exec.c. */
static int
batch_exec_done(void *arg, struct batch *b, const char *why, unsigned attempts,
		int wstatus, struct errbuf *eb)
{
	struct batch_ctx *ctx = arg;
	char text[300];
	int r = 0;

	if (why == NULL) {
		ctx->delivered += b->n;
	} else {
		snprintf(text, sizeof text, "%s (%u attempt%s)", why, attempts,
			 attempts == 1 ? "" : "s");
		r = batch_reject(ctx, b, STATUS_REJECT, text, attempts, wstatus,
				 eb);
	}
	batch_recycle(ctx, b);
	return r == -1 ? -1 : ctx->stop;
}

/* ---- --target TEMPLATE --------------------------------------------------- */

/*
 * "dir/name.ext.gz" with ".N" put before the first dot of the last
 * component that is not its first byte: "dir/name.N.ext.gz"; at the end
 * when there is no such dot.
 */
static void
batch_numbered(const char *path, uint64_t k, struct buf *out)
{
	const char *base = strrchr(path, '/'), *dot;

	base = base ? base + 1 : path;
	dot = base[0] ? strchr(base + 1, '.') : NULL;
	buf_reset(out);
	if (dot == NULL) {
		buf_addf(out, "%s.%llu", path, (unsigned long long)k);
		return;
	}
	buf_add(out, path, (size_t)(dot - path));
	buf_addf(out, ".%llu%s", (unsigned long long)k, dot);
}

static int
path_exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 || errno != ENOENT;
}

/*
 * Create the file for a batch: path itself, or when that exists the
 * lowest free "path.N" past the ones in use (found by doubling, then
 * halving), never overwriting anything (O_EXCL), never through a
 * symbolic link after its first fixed bytes (file_open_confined()).
 * fd, or -1 with errno, the reason in why and its status in *status.
 */
static int
batch_create(const char *path, size_t fixed, int mkdir_dirs, struct buf *name,
	     int *status, char *why, size_t whysz)
{
	uint64_t lo = 0, hi = 1;
	int fd;

	buf_reset(name);
	buf_adds(name, path);
	for (;;) {
		fd = file_open_confined(name->data, fixed,
					O_WRONLY | O_CREAT | O_EXCL, mkdir_dirs,
					status, why, whysz);
		if (fd != -1 || errno != EEXIST)
			return fd;
		/* lo is taken (0 stands for path); find a free hi. */
		for (;;) {
			batch_numbered(path, hi, name);
			if (!path_exists(name->data))
				break;
			lo = hi;
			if (hi > UINT64_MAX / 2)
				return errno = EEXIST, -1;
			hi *= 2;
		}
		while (hi - lo > 1) {
			uint64_t mid = lo + (hi - lo) / 2;

			batch_numbered(path, mid, name);
			if (path_exists(name->data))
				lo = mid;
			else
				hi = mid;
		}
		batch_numbered(path, hi, name);
		fd = file_open_confined(name->data, fixed,
					O_WRONLY | O_CREAT | O_EXCL, mkdir_dirs,
					status, why, whysz);
		if (fd != -1 || errno != EEXIST)
			return fd;
		lo = hi; /* taken meanwhile: look further on */
		hi = lo * 2;
	}
}

/* Write b as one gzip member.  0, or -1 with errno. */
static int
batch_write_gzip(int fd, const struct buf *d)
{
	z_stream z;
	unsigned char *out;
	size_t cap;
	int rc;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return errno = ENOMEM, -1;
	cap = deflateBound(&z, (uLong)d->len);
	out = xmalloc(cap);
	z.next_in = (unsigned char *)d->data;
	z.avail_in = (uInt)d->len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return errno = EIO, -1;
	}
	rc = write_full(fd, out, cap - z.avail_out);
	free(out);
	return rc;
}

static int
batch_write_file(struct batch_ctx *ctx, struct batch *b, struct errbuf *eb)
{
	struct buf path = BUF_INIT;
	struct errbuf tmp = { 0 };
	json_t *v;
	const char *meta;
	size_t len, metalen;
	int fd, rc = 0, gz, status;
	char why[600];

	v = record_parse(b->data.data + b->ev[0].off, b->ev[0].len, &tmp);
	template_set_input_name(ctx->tpl, batch_src(b, 0));
	meta = batch_meta(b, 0, &metalen);
	template_set_input_meta(ctx->tpl, meta, metalen);
	if (v == NULL ||
	    template_render(ctx->tpl, v, TEMPLATE_PATH, &path, &tmp) == -1) {
		snprintf(why, sizeof why, "--target: %s", tmp.msg);
		json_decref(v);
		errbuf_clear(&tmp);
		buf_release(&path);
		return batch_reject(ctx, b, STATUS_REJECT, why, 0, -1, eb);
	}
	json_decref(v);
	if (path.len == 0 || strlen(path.data) != path.len) {
		buf_release(&path);
		return batch_reject(
			ctx, b, STATUS_REJECT,
			"--target: the file name is empty or holds a "
			"NUL byte",
			0, -1, eb);
	}
	fd = batch_create(path.data, template_fixed_dir(ctx->tpl), ctx->mkdir,
			  &ctx->name, &status, why, sizeof why);
	if (fd == -1) {
		buf_release(&path);
		return batch_reject(ctx, b, status, why, 0, -1, eb);
	}
	len = ctx->name.len;
	gz = len > 3 && strcmp(ctx->name.data + len - 3, ".gz") == 0;
	if ((gz ? batch_write_gzip(fd, &b->data)
		: write_full(fd, b->data.data, b->data.len)) == -1 ||
	    close(fd) == -1) {
		int e = errno;

		/* The events go to the dead-letter target: leave no
		 * partial copy that would duplicate them. */
		unlink(ctx->name.data);
		snprintf(why, sizeof why, "cannot write '%.400s': %s",
			 ctx->name.data, strerror(e));
		rc = batch_reject(ctx, b, STATUS_IO, why, 0, -1, eb);
	} else {
		ctx->files++;
		ctx->delivered += b->n;
	}
	buf_release(&path);
	return rc;
}

/* ---- -t http://... --------------------------------------------------------
 */

/*
 * POST b as one request and wait for its answer; the events the target
 * gave back (an error status, retries used up) are rejected one by one,
 * found in b by their bytes.  0, or -1 with eb filled.
 */
static int
batch_post(struct batch_ctx *ctx, struct batch *b, struct errbuf *eb)
{
	struct errbuf teb = { 0 };
	char why[512], *ev, *done;
	size_t len, i, n = 0, sent;

	if (sink_write_block(ctx->http, b->data.data, b->data.len, NULL, 0,
			     &sent, &teb) == -1)
		return batch_reject(ctx, b, STATUS_IO, teb.msg, 0, -1, eb);
	done = xcalloc(b->n, 1);
	while (sink_take_failed(ctx->http, &ev, &len, why, sizeof why)) {
		for (i = 0; i < b->n; i++)
			if (!done[i] && b->ev[i].len == len &&
			    memcmp(b->data.data + b->ev[i].off, ev, len) == 0)
				break;
		free(ev);
		if (i == b->n)
			continue; /* not of this batch: cannot be */
		done[i] = 1;
		if (n++ == 0)
			ctx->failed++;
		if (batch_reject_one(ctx, b, i, STATUS_IO, why, 0, -1, eb) ==
		    -1) {
			free(done);
			return -1;
		}
	}
	free(done);
	ctx->delivered += b->n - n;
	return 0;
}

/* ---- closing ------------------------------------------------------------ */

/*
 * Close b: emit it, run its command or write its file.  0, 1 (downstream
 * wants no more, or --on-error stop) or -1 with eb filled.
 */
static int
batch_close(struct batch_ctx *ctx, struct batch *b, int why, struct emit *out,
	    struct errbuf *eb)
{
	int r;

	batch_unlink(ctx, b);
	b->seq = ++ctx->seq;
	b->why = batch_whys[why];
	ctx->closed[why]++;
	if (ctx->bx)
		return bexec_submit(ctx->bx, b, eb);
	if (ctx->http) {
		r = batch_post(ctx, b, eb);
		batch_recycle(ctx, b);
		return r == -1 ? -1 : ctx->stop;
	}
	if (ctx->tpl) {
		r = batch_write_file(ctx, b, eb);
		batch_recycle(ctx, b);
		return r == -1 ? -1 : ctx->stop;
	}
	buf_addc(&b->data, ']');
	{
		struct record rec;

		record_init(&rec, batch_src(b, 0), b->ev[0].lineno,
			    b->data.data, b->data.len);
		rec.seq = b->min_seq;
		rec.meta = batch_meta(b, 0, &rec.metalen);
		r = emit(out, &rec, eb);
		record_release(&rec);
	}
	if (r == 0)
		ctx->delivered += b->n;
	batch_recycle(ctx, b);
	return r;
}

/* The lowest seq in an open batch or one whose command has not yet
 * succeeded or failed for good. */
static uint64_t
batch_held(void *arg)
{
	struct batch_ctx *ctx = arg;
	uint64_t h = ctx->bx ? bexec_held(ctx->bx) : UINT64_MAX;
	const struct batch *b;

	for (b = ctx->head; b; b = b->next)
		if (b->min_seq < h)
			h = b->min_seq;
	return h;
}

/* When the first open batch is due (its first event plus --interval). */
static int64_t
batch_deadline(void *arg)
{
	struct batch_ctx *ctx = arg;
	int64_t d = INT64_MAX;

	if (ctx->interval > 0 && ctx->head)
		d = ctx->head->first_ns + ctx->interval;
	if (ctx->bx) {
		int64_t e = bexec_deadline(ctx->bx);

		if (e < d)
			d = e;
	}
	return d;
}

static int
batch_timer(void *arg, int64_t now, struct emit *out, struct errbuf *eb)
{
	struct batch_ctx *ctx = arg;
	int r = 0, rc;

	while (ctx->interval > 0 && ctx->head &&
	       ctx->head->first_ns + ctx->interval <= now) {
		rc = batch_close(ctx, ctx->head, WHY_INTERVAL, out, eb);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			r = 1;
			if (ctx->array)
				break; /* downstream is satisfied */
		}
	}
	if (ctx->bx) {
		rc = bexec_poll(ctx->bx, now, eb);
		if (rc == -1)
			return -1;
		if (rc == 1)
			r = 1;
	}
	if (r == 1)
		ctx->stop = 1;
	return r;
}

/* ---- the stage ---------------------------------------------------------- */

static int
batch_init(void *arg, int argc, char **argv, const struct stage_env *env,
	   struct errbuf *eb)
{
	struct batch_ctx *ctx = arg;

	ctx->env = env;
	if (ctx->count == 0)
		return errbuf_set(eb, STATUS_USAGE, "-n must be at least 1");
	if (ctx->max_bytes == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--bytes must be at least 1");
	if (ctx->interval == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--interval must be more than 0");
	if (ctx->exec && ctx->to)
		return errbuf_set(
			eb, STATUS_USAGE,
			"--exec and --target cannot be used together");
	if (!ctx->exec) {
		const char *o = ctx->retries != UNSET	 ? "--retries"
				: ctx->parallel != UNSET ? "--parallel"
				: ctx->backoff != -1	 ? "--backoff"
				: ctx->timeout != -1	 ? "--timeout"
							 : NULL;

		if (o)
			return errbuf_set(eb, STATUS_USAGE, "%s needs --exec",
					  o);
	}
	if (ctx->exec && ctx->exec[0] == '\0')
		return errbuf_set(eb, STATUS_USAGE, "--exec needs a command");
	if (ctx->parallel == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--parallel must be at least 1");
	if (ctx->parallel != UNSET && ctx->parallel > 1024)
		return errbuf_set(eb, STATUS_USAGE,
				  "--parallel must be at most 1024");
	if (ctx->retries != UNSET && ctx->retries > 1000)
		return errbuf_set(eb, STATUS_USAGE,
				  "--retries must be at most 1000");
	if (ctx->max_keys == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--max-keys must be at least 1");
	if (ctx->max_keys != UNSET && !ctx->key)
		return errbuf_set(eb, STATUS_USAGE, "--max-keys needs -k");
	if (ctx->key) {
		if (cmd_key_init(&ctx->kx, ctx->key, env, NULL, eb) == -1)
			return -1;
		ctx->keyed = 1;
		if (ctx->max_keys == UNSET)
			ctx->max_keys = 1000;
		batch_rehash(ctx);
	}
	if (ctx->to && target_is_http(ctx->to)) {
		if (ctx->mkdir)
			return errbuf_set(eb, STATUS_USAGE,
					  "--mkdir: only with a file --target");
		if (target_check(ctx->to, eb) == -1)
			return errbuf_prefix(eb, "--target");
		ctx->http = sink_open_unbuffered(ctx->to, 0, eb);
		if (ctx->http == NULL)
			return errbuf_prefix(eb, "--target");
		http_sink_whole_writes(ctx->http);
	} else if (ctx->to) {
		if (ctx->to[0] == '\0')
			return errbuf_set(
				eb, STATUS_USAGE,
				"--target needs a file name template");
		ctx->tpl = template_compile(ctx->to, env->named_args, eb);
		if (ctx->tpl == NULL)
			return errbuf_prefix(eb, "--target");
		if (!ctx->mkdir &&
		    file_fixed_dir_missing(ctx->tpl, "--target", ctx->to, eb))
			return -1;
	} else if (ctx->mkdir) {
		return errbuf_set(eb, STATUS_USAGE,
				  "--mkdir: only with --target");
	}
	if (ctx->exec) {
		struct bexec_opts o = {
			.cmd = ctx->exec,
			.parallel = ctx->parallel == UNSET
					    ? 1
					    : (unsigned)ctx->parallel,
			.retries = ctx->retries == UNSET
					   ? 3
					   : (unsigned)ctx->retries,
			.backoff_ns = ctx->backoff == -1 ? 1000000000LL
							 : ctx->backoff,
			.timeout_ns = ctx->timeout == -1 ? 0 : ctx->timeout,
			.keyed = ctx->keyed,
			.done = batch_exec_done,
			.arg = ctx,
		};

		if (ctx->timeout == 0)
			return errbuf_set(eb, STATUS_USAGE,
					  "--timeout must be more than 0");
		ctx->bx = bexec_new(&o);
	}
	ctx->array = !ctx->bx && !ctx->tpl && !ctx->http;
	return 0;
}

/* The open batch for rec's key (in ctx->kbuf), or NULL. */
static struct batch *
batch_find(struct batch_ctx *ctx, uint64_t h)
{
	struct batch *b;

	if (!ctx->keyed)
		return ctx->head;
	for (b = *batch_slot(ctx, h); b; b = b->hnext)
		if (b->hash == h && b->key.len == ctx->kbuf.len &&
		    memcmp(b->key.data, ctx->kbuf.data, b->key.len) == 0)
			return b;
	return NULL;
}

static struct batch *
batch_open(struct batch_ctx *ctx, uint64_t h, int64_t now)
{
	struct batch *b = batch_new(ctx);

	b->hash = h;
	b->first_ns = now;
	if (ctx->keyed) {
		struct batch **s;

		buf_add(&b->key, ctx->kbuf.data, ctx->kbuf.len);
		if (ctx->nopen >= ctx->nbuckets)
			batch_rehash(ctx);
		s = batch_slot(ctx, h);
		b->hnext = *s;
		*s = b;
	}
	b->prev = ctx->tail;
	if (ctx->tail)
		ctx->tail->next = b;
	else
		ctx->head = b;
	ctx->tail = b;
	ctx->nopen++;
	return b;
}

static void
batch_add(struct batch_ctx *ctx, struct batch *b, const struct record *rec,
	  const char *bytes, size_t len)
{
	struct batch_ev *e;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->ev = xreallocarray(b->ev, b->cap, sizeof *b->ev);
	}
	e = &b->ev[b->n++];
	if (b->srcs.len == 0 ||
	    strcmp(b->srcs.data + b->last_src, rec->src) != 0) {
		b->last_src = b->srcs.len;
		buf_add(&b->srcs, rec->src, strlen(rec->src) + 1);
	}
	e->src = b->last_src;
	e->lineno = rec->lineno;
	e->meta = b->meta.len;
	e->metalen = rec->meta ? rec->metalen : 0;
	if (e->metalen)
		buf_add(&b->meta, rec->meta, rec->metalen);
	if (rec->seq < b->min_seq)
		b->min_seq = rec->seq;
	if (ctx->array && b->n > 1)
		buf_addc(&b->data, ',');
	e->off = b->data.len;
	e->len = len;
	buf_add(&b->data, bytes, len);
	if (!ctx->array)
		buf_addc(&b->data, '\n');
	b->bytes += len + 1;
}

static int
batch_process(void *arg, struct record *rec, struct emit *out,
	      struct errbuf *eb)
{
	struct batch_ctx *ctx = arg;
	struct batch *b;
	const char *bytes;
	size_t len;
	uint64_t h = 0;
	int64_t now = 0;
	int r;

	if (ctx->stop)
		return 1;
	if (ctx->interval > 0 || (ctx->bx && (++ctx->nproc & 63) == 0)) {
		now = mono_ns();
		if (now >= batch_deadline(ctx)) {
			r = batch_timer(ctx, now, out, eb);
			if (r != 0)
				return r;
		}
	}
	if (ctx->keyed) {
		if (cmd_key_bytes(&ctx->kx, rec, &ctx->kbuf, eb) == -1)
			return -1;
		h = hash64(ctx->kbuf.data, ctx->kbuf.len);
	}
	bytes = record_bytes(rec, &len);
	b = batch_find(ctx, h);
	if (b && ctx->max_bytes != UNSET &&
	    b->bytes + len + 1 > ctx->max_bytes) {
		r = batch_close(ctx, b, WHY_BYTES, out, eb);
		if (r != 0)
			return r;
		b = NULL;
	}
	if (b == NULL) {
		if (ctx->keyed && ctx->nopen >= ctx->max_keys) {
			r = batch_close(ctx, ctx->head, WHY_KEYS, out, eb);
			if (r != 0)
				return r;
		}
		if (now == 0 && ctx->interval > 0)
			now = mono_ns();
		b = batch_open(ctx, h, now);
	}
	batch_add(ctx, b, rec, bytes, len);
	if (b->n >= ctx->count)
		return batch_close(ctx, b, WHY_COUNT, out, eb);
	if (ctx->max_bytes != UNSET && b->bytes >= ctx->max_bytes)
		return batch_close(ctx, b, WHY_BYTES, out, eb);
	return 0;
}

/* Without -k only the events' bytes are read: no need to scan fields. */
static int
batch_raw(void *arg)
{
	struct batch_ctx *ctx = arg;

	return !ctx->keyed;
}

static int
batch_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct batch_ctx *ctx = arg;
	int r, satisfied = 0;

	while (ctx->head) {
		if (satisfied) {
			struct batch *b = ctx->head;

			batch_unlink(ctx, b);
			batch_recycle(ctx, b);
			continue;
		}
		r = batch_close(ctx, ctx->head, WHY_END, out, eb);
		if (r == -1)
			return -1;
		if (r == 1 && ctx->array)
			satisfied = 1;
	}
	if (ctx->bx && bexec_drain(ctx->bx, eb) == -1)
		return -1;
	return 0;
}

static void
batch_report(void *arg, FILE *fp)
{
	struct batch_ctx *ctx = arg;
	uint64_t attempts = 0, retries = 0;
	int i;

	fprintf(fp, "evpipe: batch: %llu batches closed (",
		(unsigned long long)ctx->seq);
	for (i = 0; batch_whys[i]; i++)
		fprintf(fp, "%s%s %llu", i ? ", " : "", batch_whys[i],
			(unsigned long long)ctx->closed[i]);
	fprintf(fp, "), %llu events delivered, %llu batches failed\n",
		(unsigned long long)ctx->delivered,
		(unsigned long long)ctx->failed);
	if (ctx->bx) {
		bexec_stats(ctx->bx, &attempts, &retries);
		fprintf(fp, "evpipe: batch: %llu commands run, %llu retries\n",
			(unsigned long long)attempts,
			(unsigned long long)retries);
	}
	if (ctx->tpl)
		fprintf(fp, "evpipe: batch: %llu files written\n",
			(unsigned long long)ctx->files);
}

static void
batch_free(void *arg)
{
	struct batch_ctx *ctx = arg;
	struct batch *b;

	bexec_free(ctx->bx, batch_recycle, ctx);
	if (ctx->http)
		sink_close(ctx->http, NULL);
	while ((b = ctx->head) != NULL) {
		ctx->head = b->next;
		batch_destroy(b);
	}
	while ((b = ctx->spare) != NULL) {
		ctx->spare = b->next;
		batch_destroy(b);
	}
	free(ctx->table);
	if (ctx->keyed)
		cmd_expr_release(&ctx->kx);
	template_free(ctx->tpl);
	buf_release(&ctx->kbuf);
	buf_release(&ctx->name);
}

#define C(f) offsetof(struct batch_ctx, f)
static const struct opt batch_opts[] = {
	{ "count", 'n', OPT_UINT, C(count), "N",
	  "close a batch at N events (default 100)", NULL, NULL, 0 },
	{ "bytes", 0, OPT_SIZE, C(max_bytes), "SIZE",
	  "close a batch before it grows past SIZE bytes", NULL, NULL, 0 },
	{ "interval", 0, OPT_DURATION, C(interval), "DUR",
	  "close a batch DUR after its first event, even when idle", NULL, NULL,
	  0 },
	{ "key", 'k', OPT_EXPR, C(key), "EXPR",
	  "keep a batch per value of EXPR", NULL, NULL, 0 },
	{ "max-keys", 0, OPT_UINT, C(max_keys), "N",
	  "with -k, at most N batches open (default 1000)", NULL, NULL, 0 },
	{ "exec", 0, OPT_STRING, C(exec), "CMD",
	  "run sh -c CMD per batch, the batch on its stdin", NULL, NULL, 0 },
	{ "target", 't', OPT_STRING, C(to), "TEMPLATE",
	  "write each batch to a new file named by TEMPLATE, or POST it to "
	  "an http:// target",
	  NULL, NULL, 0 },
	{ "to", 0, OPT_RETIRED, 0, NULL,
	  "--to is the output format; a batch's file is -t/--target", NULL,
	  NULL, OPT_GLOBAL_OK },
	{ "mkdir", 0, OPT_BOOL, C(mkdir), NULL,
	  "create the missing directories of --target files", NULL, NULL, 0 },
	{ "retries", 0, OPT_UINT, C(retries), "N",
	  "retry a failed command N times (default 3)", NULL, NULL, 0 },
	{ "backoff", 0, OPT_DURATION, C(backoff), "DUR",
	  "wait DUR before the first retry, doubling (default 1s)", NULL, NULL,
	  0 },
	{ "timeout", 0, OPT_DURATION, C(timeout), "DUR",
	  "stop a command that runs longer than DUR", NULL, NULL, 0 },
	{ "parallel", 0, OPT_UINT, C(parallel), "N",
	  "run up to N commands at once (default 1)", NULL, NULL, 0 },
	OPT_END,
};
#undef C

const struct stage_entry stage_batch = {
	.name = "batch",
	.summary = "group events into batches: JSON arrays, commands or files",
	.args = "",
	.opts = batch_opts,
	.ctx_size = sizeof(struct batch_ctx),
	.min_args = 0,
	.max_args = 0,
	.defaults = batch_defaults,
	.init = batch_init,
	.process = batch_process,
	.held = batch_held,
	.next_deadline = batch_deadline,
	.timer = batch_timer,
	.finish = batch_finish,
	.raw = batch_raw,
	.report = batch_report,
	.free = batch_free,
};
