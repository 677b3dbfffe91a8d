/*
 * cmd/dedup.c -- drop events whose key was seen before (evpipe-dedup(1)).
 *
 * The key (-k EXPR, else the whole event) is reduced to its canonical
 * bytes and kept as their 128-bit hash in a keytable: bounded by
 * --capacity with LRU eviction, and with --ttl a key is forgotten DUR
 * after the event that passed with it (by --time EXPR, else by the clock).
 *
 * --state FILE: loaded at start, saved only from flush(), which the
 * runner calls after it has written out (and waited for) every output
 * buffer -- so the saved keys never cover an event that was not written.
 * A crash between two saves re-emits the events since the last save; it
 * never loses one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "expr/expr-stage.h"
#include "json/jnum.h"
#include "lib/keytable.h"
#include "stage.h"
#include "lib/util.h"

#define DEDUP_DEFAULT_CAPACITY 1000000
#define DEDUP_DEFAULT_SAVE     (5LL * 1000000000LL)

struct dedup_ctx {
	const char *key, *time, *state; /* options */
	uint64_t capacity;
	int64_t ttl, save_interval;
	json_t *named;

	struct cmd_expr kx, tx;
	struct keytable kt;
	struct buf kb;
	struct hash128 fp; /* what the keys mean, for the state file */
	int64_t newest;	   /* latest time seen, for TTL at save */
	int64_t last_save; /* monotonic */
	int dirty, finished;
	uint64_t passed, dropped, expired, forgotten, saves;
};

static void
dedup_defaults(void *arg)
{
	struct dedup_ctx *ctx = arg;

	ctx->capacity = DEDUP_DEFAULT_CAPACITY;
	ctx->save_interval = DEDUP_DEFAULT_SAVE;
}

static int
dedup_init(void *arg, int argc, char **argv, const struct stage_env *env,
	   struct errbuf *eb)
{
	struct dedup_ctx *ctx = arg;
	struct buf def = BUF_INIT;

	(void)argc;
	(void)argv;
	if (ctx->capacity < 1 || ctx->capacity > KT_MAX_CAPACITY)
		return errbuf_set(eb, STATUS_USAGE,
				  "--capacity must be between 1 and %lu",
				  (unsigned long)KT_MAX_CAPACITY);
	if (ctx->ttl < 0 || (ctx->time && ctx->ttl == 0))
		return errbuf_set(eb, STATUS_USAGE,
				  "--time needs a positive --ttl");
	if (ctx->save_interval <= 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--save-interval must be positive");
	if (ctx->key &&
	    cmd_key_init(&ctx->kx, ctx->key, env, ctx->named, eb) == -1)
		return errbuf_prefix(eb, "-k");
	if (ctx->time &&
	    cmd_key_init(&ctx->tx, ctx->time, env, ctx->named, eb) == -1)
		return errbuf_prefix(eb, "--time");
	/* The state file is for this key definition only. */
	buf_addf(&def, "dedup\n%s", ctx->key ? ctx->key : "");
	if (ctx->key && ctx->named) {
		char *named =
			json_dumps(ctx->named, JSON_COMPACT | JSON_SORT_KEYS);

		buf_addc(&def, '\n');
		buf_adds(&def, named ? named : "");
		jnum_free(named);
	}
	ctx->fp = hash128(def.data, def.len);
	buf_release(&def);
	kt_init(&ctx->kt, (uint32_t)ctx->capacity, ctx->ttl > 0, 0);
	/* A state that could not be saved fails now, not after the run. */
	if (ctx->state &&
	    (kt_save_check(ctx->state, eb) == -1 ||
	     kt_load_file(&ctx->kt, ctx->state, ctx->fp, real_ns(), eb) == -1))
		return -1;
	ctx->newest = INT64_MIN;
	ctx->last_save = mono_ns();
	return 0;
}

/*
 * The whole event's canonical bytes: the line without insignificant
 * whitespace.  Most lines are already compact and are used as they are.
 */
static const char *
canonical(struct dedup_ctx *ctx, struct record *rec, size_t *len)
{
	const char *p = record_bytes(rec, len), *end = p + *len, *q;
	int in_str = 0;

	for (q = p; q < end; q++)
		if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
			break;
	if (q == end)
		return p;
	buf_reset(&ctx->kb);
	for (q = p; q < end; q++) {
		char c = *q;

		if (in_str) {
			if (c == '\\' && q + 1 < end) {
				buf_addc(&ctx->kb, c);
				c = *++q;
			} else if (c == '"') {
				in_str = 0;
			}
		} else if (c == '"') {
			in_str = 1;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			continue;
		}
		buf_addc(&ctx->kb, c);
	}
	*len = ctx->kb.len;
	return ctx->kb.data;
}

/*
 * TTL eviction: the least recently seen keys are at the tail; a few of
 * them per event are forgotten once past their TTL, so keys that stopped
 * coming give their memory back without waiting for --capacity.  (A key
 * found past its TTL on lookup passes again in any case.)
 */
static void
forget_expired(struct dedup_ctx *ctx)
{
	struct keytable *kt = &ctx->kt;
	int n;

	for (n = 0; n < 2 && kt->tail != KT_NONE; n++) {
		if (ctx->newest - *kt_time(kt, kt->tail) < ctx->ttl)
			break;
		kt_remove(kt, kt->tail);
		ctx->forgotten++;
	}
}

static int
dedup_process(void *arg, struct record *rec, struct emit *out,
	      struct errbuf *eb)
{
	struct dedup_ctx *ctx = arg;
	struct hash128 h;
	int64_t now = 0;
	uint32_t i;

	if (ctx->key) {
		if (cmd_key_bytes(&ctx->kx, rec, &ctx->kb, eb) == -1)
			return errbuf_prefix(eb, "-k");
		h = hash128(ctx->kb.data, ctx->kb.len);
	} else {
		size_t len;
		const char *p = canonical(ctx, rec, &len);

		h = hash128(p, len);
	}
	if (ctx->ttl > 0) {
		if (ctx->time) {
			if (cmd_key_time(&ctx->tx, rec, "--time", &now, eb) ==
			    -1)
				return -1;
		} else {
			now = real_ns();
		}
		if (now > ctx->newest)
			ctx->newest = now;
	}
	/*
	 * Look the key up before forgetting expired keys: a key that comes
	 * again after its TTL is then counted as passing again, not as
	 * forgotten and new.
	 */
	i = kt_find(&ctx->kt, h);
	if (i != KT_NONE) {
		kt_touch(&ctx->kt, i);
		if (ctx->ttl == 0 || now - *kt_time(&ctx->kt, i) < ctx->ttl) {
			ctx->dropped++;
			return 0;
		}
		ctx->expired++;
	} else {
		i = kt_insert(&ctx->kt, h);
	}
	if (ctx->ttl > 0) {
		*kt_time(&ctx->kt, i) = now;
		forget_expired(ctx);
	}
	ctx->dirty = 1;
	ctx->passed++;
	return emit(out, rec, eb);
}

static int64_t
dedup_next_deadline(void *arg)
{
	struct dedup_ctx *ctx = arg;

	if (ctx->state == NULL || !ctx->dirty)
		return INT64_MAX;
	return ctx->last_save + ctx->save_interval;
}

/* The save itself happens in flush(), which the runner calls next. */
static int
dedup_timer(void *arg, int64_t now_ns, struct emit *out, struct errbuf *eb)
{
	(void)arg;
	(void)now_ns;
	(void)out;
	(void)eb;
	return 0;
}

/* Called after every output was written out: the one place state is saved. */
static int
dedup_flush(void *arg, struct errbuf *eb)
{
	struct dedup_ctx *ctx = arg;
	int64_t now = mono_ns(), min_time = INT64_MIN;

	if (ctx->state == NULL || !ctx->dirty)
		return 0;
	if (!ctx->finished && now < ctx->last_save + ctx->save_interval)
		return 0;
	if (ctx->ttl > 0 && ctx->newest != INT64_MIN)
		min_time = ctx->newest - ctx->ttl + 1;
	if (kt_save(&ctx->kt, ctx->state, ctx->fp, min_time, eb) == -1)
		return -1;
	ctx->saves++;
	ctx->dirty = 0;
	ctx->last_save = now;
	return 0;
}

static int
dedup_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct dedup_ctx *ctx = arg;

	(void)out;
	(void)eb;
	/* The runner flushes the outputs and then calls flush(). */
	ctx->finished = 1;
	return 0;
}

static void
dedup_report(void *arg, FILE *fp)
{
	struct dedup_ctx *ctx = arg;

	fprintf(fp,
		"evpipe: dedup: %llu passed, %llu duplicates dropped, "
		"%llu keys held, %llu evicted, %llu forgotten by TTL, "
		"%llu passed again after TTL, %llu saves\n",
		(unsigned long long)ctx->passed,
		(unsigned long long)ctx->dropped, (unsigned long long)ctx->kt.n,
		(unsigned long long)ctx->kt.evicted,
		(unsigned long long)ctx->forgotten,
		(unsigned long long)ctx->expired,
		(unsigned long long)ctx->saves);
}

static void
dedup_free(void *arg)
{
	struct dedup_ctx *ctx = arg;

	cmd_expr_release(&ctx->kx);
	cmd_expr_release(&ctx->tx);
	kt_release(&ctx->kt);
	buf_release(&ctx->kb);
}

#define O(f) offsetof(struct dedup_ctx, f)
static const struct opt dedup_opts[] = {
	{ "key", 'k', OPT_EXPR, O(key), "EXPR",
	  "the key that makes events the same (default: the whole event)", NULL,
	  NULL, 0 },
	{ "capacity", 0, OPT_UINT, O(capacity), "N",
	  "remember at most N keys, forgetting the least recently seen "
	  "(default 1000000)",
	  NULL, NULL, 0 },
	{ "ttl", 0, OPT_DURATION, O(ttl), "DUR",
	  "forget a key DUR after the event that passed with it", NULL, NULL,
	  0 },
	{ "time", 0, OPT_EXPR, O(time), "EXPR",
	  "measure --ttl in event time read by EXPR (RFC 3339 or epoch)", NULL,
	  NULL, 0 },
	{ "state", 0, OPT_STRING, O(state), "FILE",
	  "load the keys from FILE at start, save them after output is "
	  "flushed",
	  NULL, NULL, 0 },
	{ "save-interval", 0, OPT_DURATION, O(save_interval), "DUR",
	  "save --state at most this often while running (default 5s)", NULL,
	  NULL, 0 },
	OPT_NAMED_ARGS(O(named), ""),
	OPT_END,
};
#undef O

const struct stage_entry stage_dedup = {
	.name = "dedup",
	.summary = "drop events whose key was seen before",
	.args = "",
	.opts = dedup_opts,
	.ctx_size = sizeof(struct dedup_ctx),
	.min_args = 0,
	.max_args = 0,
	.defaults = dedup_defaults,
	.init = dedup_init,
	.process = dedup_process,
	.next_deadline = dedup_next_deadline,
	.timer = dedup_timer,
	.flush = dedup_flush,
	.finish = dedup_finish,
	.report = dedup_report,
	.free = dedup_free,
};
