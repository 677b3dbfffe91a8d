/*
 * cmd/aggregate.c -- counts, sums, percentiles, distinct counts and more
 * per key and time window (evpipe-aggregate(1)).
 *
 * Each event is read once: its keys (-k) as canonical bytes, its time
 * (--time, else the clock), and the value of every aggregate (-a), so a
 * bad value rejects the event before any group is touched.  Groups --
 * one per key and window -- live in one hash table; each window keeps
 * its groups least recently updated first, for --max-keys.
 *
 * Windows: none (one window, emitted at the end), tumbling (--window),
 * hopping (--window with --every: an event counts in every window that
 * covers it) and sessions (--gap: per key, events less than --gap apart;
 * sessions that an event bridges merge).  The watermark is the highest
 * event time seen minus --lateness; a window whose end it reaches is
 * emitted.  The floor is the highest watermark applied: an event that
 * belongs to a window at or below it is late.  While the input is idle
 * the watermark moves on with the clock (as in sort), so a followed file
 * gets its windows on time without a next event.
 *
 * Delivery: held() is the lowest seq of the events in open groups, so a
 * checkpoint never covers an event whose window was not yet emitted.
 * With --state the groups are saved in flush() (after the outputs were
 * written), and held() is then the lowest seq added since the last save:
 * a restart loads the open groups and reads on after the checkpoint,
 * counting each event once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "expr/expr-fast.h"
#include "json/jnum.h"
#include "json/json-text.h"
#include "lib/evtime.h"
#include "lib/hash.h"
#include "lib/keytable.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "stage.h"

#define AGG_DEFAULT_MAX_KEYS 1000000
#define AGG_DEFAULT_SAVE     (5LL * 1000000000LL)
#define AGG_MAX_HOPS	     1000 /* windows one event may count in */
#define AGG_STATE_MAGIC	     "evpipe aggregate state 1 "
#define AGG_STATE_MAX	     (1ull << 30)

enum { W_NONE, W_TUMBLE, W_HOP, W_SESSION };
enum { LATE_REJECT, LATE_COUNT };

struct win;

struct group {
	struct group *hnext;	   /* hash chain */
	struct group *prev, *next; /* its window's list, LRU first */
	struct win *win;
	uint64_t h; /* hash of the key bytes */
	int64_t start, end, last;
	uint64_t id, minseq, late;
	int partial;
	char *key; /* canonical key bytes, NUL between keys */
	size_t klen;
	char *kt; /* the key members as written: "type":"x" */
	size_t ktlen;
	struct agg_val v[];
};

struct win {
	int64_t start, end;
	struct win *next; /* open windows by start */
	struct group *head, *tail;
	uint64_t n;
	int overflowed;
};

struct agg_ctx {
	/* options */
	struct strlist keys, aggs;
	const char *time_src, *state;
	int64_t window, every, gap, lateness, save_interval;
	int late;
	uint64_t max_keys; /* 0: not given */
	json_t *named;

	const struct stage_env *env;
	int mode, has_time;
	struct cmd_expr *kx;
	char **kname;
	size_t nk;
	struct agg_spec *spec;
	size_t nspec;
	struct cmd_expr tx;
	uint64_t limit; /* --max-keys or its default */

	struct group **ht;
	size_t hcap, ngroups;
	struct win *wins; /* tumbling, hopping */
	struct win all;	  /* no window, sessions */
	struct buf kb, kone, tb, ob;
	int64_t newest, floor, arrived;
	int64_t r2m; /* arrival time: the clock minus the monotonic clock */
	int64_t next_close; /* sessions: no session ends before it */
	uint64_t ord, nextid;
	struct hash128 fp;
	uint64_t unsaved; /* lowest seq added since the last save */
	int dirty, finished;
	int64_t last_save;
	uint64_t events, emitted, late_n, early, idle, saves;
};

/* ---- options and init ---------------------------------------------------- */

static void
agg_defaults(void *arg)
{
	struct agg_ctx *ctx = arg;

	ctx->save_interval = AGG_DEFAULT_SAVE;
	ctx->window = ctx->every = ctx->gap = ctx->lateness = -1;
}

static size_t
name_len(const char *p)
{
	size_t n = 0;

	if (!((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z') ||
	      p[0] == '_'))
		return 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	       (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
		n++;
	return n;
}

/* "-k NAME=EXPR", or the key's name from its last path step. */
static int
key_init(struct agg_ctx *ctx, size_t i, const char *text, struct errbuf *eb)
{
	size_t n = name_len(text);
	const char *dot;

	if (n > 0 && text[n] == '=' && text[n + 1] != '=') {
		ctx->kname[i] = xstrndup(text, n);
		text += n + 1;
	} else if (text[0] == '.' && (dot = strrchr(text, '.')) &&
		   (n = name_len(dot + 1)) > 0 && dot[1 + n] == '\0') {
		ctx->kname[i] = xstrdup(dot + 1);
	} else {
		ctx->kname[i] = i ? xasprintf("key%zu", i + 1) : xstrdup("key");
	}
	if (cmd_key_init(&ctx->kx[i], text, ctx->env, ctx->named, eb) == -1)
		return errbuf_prefix(eb, "-k");
	return 0;
}

static int
check_names(struct agg_ctx *ctx, struct errbuf *eb)
{
	const char *seen[256];
	size_t n = 0, i, j, k;

	seen[n++] = "window_start";
	seen[n++] = "window_end";
	seen[n++] = "late";
	seen[n++] = "partial";
	for (i = 0; i < ctx->nk && n < 256; i++)
		seen[n++] = ctx->kname[i];
	for (i = 0; i < ctx->nspec; i++)
		for (k = 0;
		     k < (ctx->spec[i].fn == AF_PCT ? ctx->spec[i].npct : 1);
		     k++) {
			const char *nm = ctx->spec[i].fn == AF_PCT
						 ? ctx->spec[i].pname[k]
						 : ctx->spec[i].name;

			if (n == 256)
				return errbuf_set(eb, STATUS_USAGE,
						  "too many output fields");
			seen[n++] = nm;
		}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(seen[i], seen[j]) == 0)
				return errbuf_set(
					eb, STATUS_USAGE,
					"two output fields are named '%s': "
					"name them (-k NAME=EXPR, -a "
					"NAME=FUNC)",
					seen[i]);
	return 0;
}

static int
check_windows(struct agg_ctx *ctx, struct errbuf *eb)
{
	if (ctx->gap >= 0 && ctx->window >= 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--gap (sessions) and --window exclude each "
				  "other");
	if (ctx->every >= 0 && ctx->window < 0)
		return errbuf_set(eb, STATUS_USAGE, "--every needs --window");
	if (ctx->window == 0 || ctx->gap == 0 || ctx->every == 0)
		return errbuf_set(
			eb, STATUS_USAGE,
			"--window, --every and --gap must be positive");
	if (ctx->every > 0 && ctx->every > ctx->window)
		return errbuf_set(eb, STATUS_USAGE,
				  "--every must not be longer than --window");
	if (ctx->every > 0 && ctx->window / ctx->every >= AGG_MAX_HOPS)
		return errbuf_set(eb, STATUS_USAGE,
				  "--window / --every must be under %d",
				  AGG_MAX_HOPS);
	ctx->mode = ctx->gap > 0      ? W_SESSION
		    : ctx->every > 0  ? W_HOP
		    : ctx->window > 0 ? W_TUMBLE
				      : W_NONE;
	if (ctx->mode == W_NONE && (ctx->lateness >= 0 || ctx->late))
		return errbuf_set(eb, STATUS_USAGE,
				  "--lateness and --late need --window or "
				  "--gap");
	if (ctx->mode == W_NONE && ctx->time_src)
		return errbuf_set(eb, STATUS_USAGE,
				  "--time needs --window or --gap");
	if (ctx->lateness < 0)
		ctx->lateness = 0;
	if (ctx->save_interval <= 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--save-interval must be positive");
	return 0;
}

/* What the state file is for: every option that shapes the groups. */
static void
agg_fingerprint(struct agg_ctx *ctx)
{
	struct buf def = BUF_INIT;
	size_t i;

	buf_addf(&def, "aggregate\n%d %lld %lld %lld\n%s\n", ctx->mode,
		 (long long)ctx->window, (long long)ctx->every,
		 (long long)ctx->gap, ctx->time_src ? ctx->time_src : "");
	for (i = 0; i < ctx->keys.n; i++)
		buf_addf(&def, "k %s\n", ctx->keys.v[i]);
	for (i = 0; i < ctx->aggs.n; i++)
		buf_addf(&def, "a %s\n", ctx->aggs.v[i]);
	if (ctx->named) {
		char *named =
			json_dumps(ctx->named, JSON_COMPACT | JSON_SORT_KEYS);

		buf_adds(&def, named ? named : "");
		jnum_free(named);
	}
	ctx->fp = hash128(def.data, def.len);
	buf_release(&def);
}

static int agg_state_load_file(struct agg_ctx *ctx, struct errbuf *eb);

static int
agg_init(void *arg, int argc, char **argv, const struct stage_env *env,
	 struct errbuf *eb)
{
	struct agg_ctx *ctx = arg;
	size_t i;

	(void)argc;
	(void)argv;
	ctx->env = env;
	ctx->newest = ctx->floor = INT64_MIN;
	ctx->next_close = INT64_MAX;
	ctx->unsaved = UINT64_MAX;
	ctx->limit = ctx->max_keys ? ctx->max_keys : AGG_DEFAULT_MAX_KEYS;
	ctx->all.start = INT64_MIN;
	ctx->all.end = INT64_MAX;
	if (check_windows(ctx, eb) == -1)
		return -1;
	ctx->kx = xcalloc(ctx->keys.n + 1, sizeof(*ctx->kx));
	ctx->kname = xcalloc(ctx->keys.n + 1, sizeof(*ctx->kname));
	/* counted before they are made: free() releases a half-made one */
	for (i = 0; i < ctx->keys.n; i++) {
		ctx->nk = i + 1;
		if (key_init(ctx, i, ctx->keys.v[i], eb) == -1)
			return -1;
	}
	if (ctx->aggs.n == 0)
		strlist_push(&ctx->aggs, "count");
	ctx->spec = xcalloc(ctx->aggs.n, sizeof(*ctx->spec));
	for (i = 0; i < ctx->aggs.n; i++) {
		ctx->nspec = i + 1;
		if (agg_spec_parse(&ctx->spec[i], ctx->aggs.v[i], env,
				   ctx->named, eb) == -1)
			return errbuf_prefix(eb, "-a '%s'", ctx->aggs.v[i]);
	}
	if (check_names(ctx, eb) == -1)
		return -1;
	if (ctx->time_src) {
		if (cmd_key_init(&ctx->tx, ctx->time_src, env, ctx->named,
				 eb) == -1)
			return errbuf_prefix(eb, "--time");
		ctx->has_time = 1;
	}
	ctx->hcap = 1024;
	ctx->ht = xcalloc(ctx->hcap, sizeof(*ctx->ht));
	agg_fingerprint(ctx);
	ctx->last_save = mono_ns();
	if (ctx->state && (kt_save_check(ctx->state, eb) == -1 ||
			   agg_state_load_file(ctx, eb) == -1))
		return -1;
	/* a loaded state's windows wait their idle time from now */
	ctx->arrived = mono_ns();
	ctx->r2m = real_ns() - ctx->arrived;
	return 0;
}

/* ---- groups and windows -------------------------------------------------- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

static uint64_t
slot_of(const struct agg_ctx *ctx, uint64_t h, int64_t start)
{
	uint64_t x = h ^ ((uint64_t)start * 0x9E3779B97F4A7C15ull);

	x ^= x >> 29;
	return x & (ctx->hcap - 1);
}

/* Sessions are found by key alone: their start moves. */
static int64_t
hash_start(const struct agg_ctx *ctx, const struct group *g)
{
	return ctx->mode == W_SESSION || ctx->mode == W_NONE ? 0 : g->start;
}

static void
ht_grow(struct agg_ctx *ctx)
{
	struct group **old = ctx->ht, *g, *nx;
	size_t oldcap = ctx->hcap, i;

	ctx->hcap *= 2;
	ctx->ht = xcalloc(ctx->hcap, sizeof(*ctx->ht));
	for (i = 0; i < oldcap; i++)
		for (g = old[i]; g; g = nx) {
			uint64_t s = slot_of(ctx, g->h, hash_start(ctx, g));

			nx = g->hnext;
			g->hnext = ctx->ht[s];
			ctx->ht[s] = g;
		}
	free(old);
}

static void
ht_remove(struct agg_ctx *ctx, struct group *g)
{
	struct group **pp = &ctx->ht[slot_of(ctx, g->h, hash_start(ctx, g))];

	while (*pp != g)
		pp = &(*pp)->hnext;
	*pp = g->hnext;
	ctx->ngroups--;
}

static void
lru_unlink(struct win *w, struct group *g)
{
	if (g->prev)
		g->prev->next = g->next;
	else
		w->head = g->next;
	if (g->next)
		g->next->prev = g->prev;
	else
		w->tail = g->prev;
	g->prev = g->next = NULL;
}

static void
lru_append(struct win *w, struct group *g)
{
	g->prev = w->tail;
	g->next = NULL;
	if (w->tail)
		w->tail->next = g;
	else
		w->head = g;
	w->tail = g;
}

static void
group_free(struct agg_ctx *ctx, struct group *g)
{
	size_t i;

	for (i = 0; i < ctx->nspec; i++)
		agg_val_release(&ctx->spec[i], &g->v[i]);
	free(g->key);
	free(g->kt);
	free(g);
}

/* Take g out of its window and the table, and free it. */
static void
group_drop(struct agg_ctx *ctx, struct group *g)
{
	lru_unlink(g->win, g);
	g->win->n--;
	ht_remove(ctx, g);
	group_free(ctx, g);
}

static struct group *
group_new(struct agg_ctx *ctx, struct win *w, uint64_t h, const char *key,
	  size_t klen)
{
	struct group *g = xcalloc(1, sizeof(*g) + ctx->nspec * sizeof(g->v[0]));
	size_t i;
	uint64_t s;

	for (i = 0; i < ctx->nspec; i++)
		agg_val_init(&ctx->spec[i], &g->v[i]);
	g->h = h;
	g->key = xmalloc(klen + 1);
	memcpy(g->key, key, klen);
	g->key[klen] = '\0';
	g->klen = klen;
	g->win = w;
	g->start = w->start;
	g->end = w->end;
	g->id = ctx->nextid++;
	g->minseq = UINT64_MAX;
	if (2 * (ctx->ngroups + 1) > ctx->hcap)
		ht_grow(ctx);
	s = slot_of(ctx, h,
		    ctx->mode == W_TUMBLE || ctx->mode == W_HOP ? w->start : 0);
	g->hnext = ctx->ht[s];
	ctx->ht[s] = g;
	ctx->ngroups++;
	lru_append(w, g);
	w->n++;
	return g;
}

/* The key members as written ("type":"order"), from the event. */
static int
key_text(struct agg_ctx *ctx, struct group *g, struct record *rec,
	 struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < ctx->nk; i++) {
		struct expr_fast *fast = cmd_expr_fast(&ctx->kx[i], rec);

		if (i)
			buf_addc(&b, ',');
		jtext_quote(&b, ctx->kname[i], strlen(ctx->kname[i]));
		buf_addc(&b, ':');
		buf_reset(&ctx->tb);
		if (!(fast &&
		      expr_fast_project(fast, rec->scan, &ctx->tb) == 0)) {
			json_t *v = cmd_key_value(&ctx->kx[i], rec, eb);

			buf_reset(&ctx->tb);
			if (v == NULL) {
				buf_release(&b);
				return errbuf_prefix(eb, "-k");
			}
			jtext_value(&ctx->tb, v, SIZE_MAX);
			json_decref(v);
		}
		buf_add(&b, ctx->tb.data, ctx->tb.len);
	}
	g->kt = buf_detach(&b, &g->ktlen);
	if (g->kt == NULL)
		g->kt = xstrdup("");
	return 0;
}

static const char *
fmt_time(int64_t t, char *b)
{
	return evtime_format(t, b);
}

/* Write g out as one event. */
static int
group_emit(struct agg_ctx *ctx, struct group *g, struct emit *out,
	   struct errbuf *eb)
{
	struct buf *o = &ctx->ob;
	struct record rec;
	char tb[EVTIME_BUFSZ];
	size_t i;
	int rc;

	buf_reset(o);
	buf_addc(o, '{');
	if (ctx->mode != W_NONE) {
		buf_addf(o, ",\"window_start\":\"%s\"", fmt_time(g->start, tb));
		buf_addf(o, ",\"window_end\":\"%s\"", fmt_time(g->end, tb));
	}
	if (g->ktlen) {
		buf_addc(o, ',');
		buf_add(o, g->kt, g->ktlen);
	}
	for (i = 0; i < ctx->nspec; i++)
		agg_print(&ctx->spec[i], &g->v[i], o);
	if (ctx->late == LATE_COUNT)
		buf_addf(o, ",\"late\":%llu", (unsigned long long)g->late);
	if (ctx->max_keys || g->partial || g->win->overflowed)
		buf_addf(o, ",\"partial\":%s",
			 g->partial || g->win->overflowed ? "true" : "false");
	buf_addc(o, '}');
	if (o->len > 2 && o->data[1] == ',') {
		memmove(o->data + 1, o->data + 2, o->len - 2);
		o->len--;
	} else if (o->len == 2) {
		/* no window, no key, no aggregate: cannot happen */
		buf_adds(o, "");
	}
	record_init(&rec, "aggregate", 0, o->data, o->len);
	ctx->emitted++;
	rc = emit(out, &rec, eb);
	record_release(&rec);
	return rc;
}

static int
cmp_group_id(const void *a, const void *b)
{
	const struct group *x = *(struct group *const *)a,
			   *y = *(struct group *const *)b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Emit and free groups v[0..n) in order of (start, creation). */
static int
emit_groups(struct agg_ctx *ctx, struct group **v, size_t n, struct emit *out,
	    struct errbuf *eb)
{
	size_t i;
	int rc = 0;

	qsort(v, n, sizeof(*v), cmp_group_id);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = group_emit(ctx, v[i], out, eb);
		if (rc == -1)
			break;
		group_drop(ctx, v[i]);
	}
	return rc;
}

/* Emit every group of w, then free w (unless it is ctx->all). */
static int
win_emit(struct agg_ctx *ctx, struct win *w, struct emit *out,
	 struct errbuf *eb)
{
	struct group **v = xreallocarray(NULL, w->n + 1, sizeof(*v)), *g;
	size_t n = 0;
	int rc;

	for (g = w->head; g; g = g->next)
		v[n++] = g;
	rc = emit_groups(ctx, v, n, out, eb);
	free(v);
	if (rc == 0 && w != &ctx->all) {
		ctx->wins = w->next;
		free(w);
	}
	return rc;
}

/* The open window [start, start + --window), made if need be. */
static struct win *
win_get(struct agg_ctx *ctx, int64_t start)
{
	struct win **pp = &ctx->wins, *w;

	while (*pp && (*pp)->start < start)
		pp = &(*pp)->next;
	if (*pp && (*pp)->start == start)
		return *pp;
	w = xcalloc(1, sizeof(*w));
	w->start = start;
	w->end = start > INT64_MAX - ctx->window ? INT64_MAX
						 : start + ctx->window;
	w->next = *pp;
	*pp = w;
	return w;
}

/* Close sessions that ended at or before the floor. */
static int
close_sessions(struct agg_ctx *ctx, struct emit *out, struct errbuf *eb)
{
	struct group **v, *g;
	size_t n = 0;
	int64_t next = INT64_MAX;
	int rc;

	if (ctx->next_close > ctx->floor || ctx->all.n == 0)
		return 0;
	v = xreallocarray(NULL, ctx->all.n, sizeof(*v));
	for (g = ctx->all.head; g; g = g->next) {
		if (g->end <= ctx->floor)
			v[n++] = g;
		else if (g->end < next)
			next = g->end;
	}
	ctx->next_close = next;
	rc = emit_groups(ctx, v, n, out, eb);
	free(v);
	return rc;
}

/* Apply watermark wm: emit every window that ends at or before it. */
static int
advance(struct agg_ctx *ctx, int64_t wm, struct emit *out, struct errbuf *eb)
{
	int rc;

	if (wm > ctx->floor)
		ctx->floor = wm;
	if (ctx->mode == W_SESSION)
		return close_sessions(ctx, out, eb);
	while (ctx->wins && ctx->wins->end <= ctx->floor)
		if ((rc = win_emit(ctx, ctx->wins, out, eb)) != 0)
			return rc;
	return 0;
}

static int64_t
watermark(const struct agg_ctx *ctx)
{
	if (ctx->newest == INT64_MIN || ctx->newest < INT64_MIN + ctx->lateness)
		return INT64_MIN;
	return ctx->newest - ctx->lateness;
}

/* ---- adding an event ------------------------------------------------------
 */

static int
same_key(const struct agg_ctx *ctx, const struct group *g, uint64_t h)
{
	return g->h == h && g->klen == ctx->kb.len &&
	       memcmp(g->key, ctx->kb.data, g->klen) == 0;
}

/*
 * A new group for this event's key in w.  A window at --max-keys first
 * emits its least recently updated group, marked partial (and so is
 * every later output of that window).
 */
static int
group_make(struct agg_ctx *ctx, struct win *w, uint64_t h, struct record *rec,
	   struct group **gp, struct emit *out, struct errbuf *eb)
{
	struct group *g;
	int rc;

	if (w->n >= ctx->limit) {
		g = w->head;
		w->overflowed = 1;
		g->partial = 1;
		ctx->early++;
		rc = group_emit(ctx, g, out, eb);
		group_drop(ctx, g);
		if (rc != 0)
			return rc;
	}
	g = group_new(ctx, w, h, ctx->kb.data, ctx->kb.len);
	if (key_text(ctx, g, rec, eb) == -1) {
		group_drop(ctx, g);
		return -1;
	}
	*gp = g;
	return 0;
}

static int
group_find(struct agg_ctx *ctx, struct win *w, uint64_t h, struct record *rec,
	   struct group **gp, struct emit *out, struct errbuf *eb)
{
	struct group *g;

	for (g = ctx->ht[slot_of(ctx, h, w == &ctx->all ? 0 : w->start)]; g;
	     g = g->hnext)
		if (g->win == w && same_key(ctx, g, h)) {
			*gp = g;
			return 0;
		}
	return group_make(ctx, w, h, rec, gp, out, eb);
}

static void
group_touch(struct agg_ctx *ctx, struct group *g, const struct record *rec)
{
	if (rec->seq) {
		if (rec->seq < g->minseq)
			g->minseq = rec->seq;
		if (rec->seq < ctx->unsaved)
			ctx->unsaved = rec->seq;
	}
	ctx->dirty = 1;
	if (g->win->tail != g) {
		lru_unlink(g->win, g);
		lru_append(g->win, g);
	}
}

static void
group_add(struct agg_ctx *ctx, struct group *g, const struct record *rec)
{
	size_t i;

	for (i = 0; i < ctx->nspec; i++)
		agg_add(&ctx->spec[i], &g->v[i], ctx->ord);
	group_touch(ctx, g, rec);
}

/* The first window start of hopping windows that covers t. */
static int64_t
hop_first(const struct agg_ctx *ctx, int64_t t)
{
	int64_t s = floor_div(t, ctx->every) * ctx->every;

	while (s - ctx->every > t - ctx->window)
		s -= ctx->every;
	return s;
}

/* Merge session b into a (a started first) and drop b. */
static void
session_merge(struct agg_ctx *ctx, struct group *a, struct group *b)
{
	size_t i;

	for (i = 0; i < ctx->nspec; i++)
		agg_merge(&ctx->spec[i], &a->v[i], &b->v[i]);
	if (b->last > a->last)
		a->last = b->last;
	a->end = a->last + ctx->gap;
	if (b->minseq < a->minseq)
		a->minseq = b->minseq;
	a->late += b->late;
	a->partial |= b->partial;
	group_drop(ctx, b);
}

/* The open session of this key that t falls in (merging those it
 * bridges), or NULL. */
static struct group *
session_find(struct agg_ctx *ctx, uint64_t h, int64_t t)
{
	struct group *g, *nx, *join = NULL;

	for (g = ctx->ht[slot_of(ctx, h, 0)]; g; g = nx) {
		nx = g->hnext;
		if (!same_key(ctx, g, h) || t <= g->start - ctx->gap ||
		    t >= g->last + ctx->gap)
			continue;
		if (join == NULL) {
			join = g;
		} else if (g->start < join->start) {
			session_merge(ctx, g, join);
			join = g;
		} else {
			session_merge(ctx, join, g);
		}
	}
	return join;
}

static int
session_add(struct agg_ctx *ctx, uint64_t h, int64_t t, struct record *rec,
	    struct emit *out, struct errbuf *eb)
{
	struct group *g = session_find(ctx, h, t);
	int rc;

	if (g == NULL) {
		if ((rc = group_make(ctx, &ctx->all, h, rec, &g, out, eb)) != 0)
			return rc;
		g->start = g->last = t;
	}
	if (t < g->start)
		g->start = t;
	if (t > g->last)
		g->last = t;
	g->end =
		g->last > INT64_MAX - ctx->gap ? INT64_MAX : g->last + ctx->gap;
	if (g->end < ctx->next_close)
		ctx->next_close = g->end;
	group_add(ctx, g, rec);
	return 0;
}

static int
is_late(const struct agg_ctx *ctx, uint64_t h, int64_t t)
{
	struct group *g;

	if (ctx->floor == INT64_MIN)
		return 0;
	switch (ctx->mode) {
	case W_TUMBLE:
		return floor_div(t, ctx->window) * ctx->window + ctx->window <=
		       ctx->floor;
	case W_HOP:
		return hop_first(ctx, t) + ctx->window <= ctx->floor;
	case W_SESSION:
		if (t <= ctx->floor - ctx->gap) {
			for (g = ctx->ht[slot_of(ctx, h, 0)]; g; g = g->hnext)
				if (same_key(ctx, g, h) &&
				    t > g->start - ctx->gap &&
				    t < g->last + ctx->gap)
					return 0;
			return 1;
		}
		return 0;
	default:
		return 0;
	}
}

/*
 * --late count: the event adds nothing but its count in the "late"
 * field of its key's group in the earliest window still open (a session
 * of its key, or a new one at the floor).
 */
static int
late_count(struct agg_ctx *ctx, uint64_t h, struct record *rec,
	   struct emit *out, struct errbuf *eb)
{
	struct group *g = NULL, *s;
	int64_t start;
	int rc;

	if (ctx->mode == W_SESSION) {
		for (s = ctx->ht[slot_of(ctx, h, 0)]; s; s = s->hnext)
			if (same_key(ctx, s, h) &&
			    (g == NULL || s->start > g->start))
				g = s;
		if (g == NULL) {
			rc = group_make(ctx, &ctx->all, h, rec, &g, out, eb);
			if (rc != 0)
				return rc;
			g->start = g->last = ctx->floor;
			g->end = ctx->floor + ctx->gap;
			if (g->end < ctx->next_close)
				ctx->next_close = g->end;
		}
	} else {
		start = ctx->mode == W_TUMBLE
				? floor_div(ctx->floor, ctx->window) *
					  ctx->window
				: hop_first(ctx, ctx->floor);
		rc = group_find(ctx, win_get(ctx, start), h, rec, &g, out, eb);
		if (rc != 0)
			return rc;
	}
	g->late++;
	group_touch(ctx, g, rec);
	return 0;
}

static int
late_event(struct agg_ctx *ctx, uint64_t h, int64_t t, struct record *rec,
	   struct emit *out, struct errbuf *eb)
{
	char bt[EVTIME_BUFSZ], bf[EVTIME_BUFSZ], bl[EVTIME_BUFSZ];

	ctx->late_n++;
	if (ctx->late == LATE_COUNT)
		return late_count(ctx, h, rec, out, eb);
	return errbuf_set(eb, STATUS_REJECT,
			  "late event: %s falls in a window already emitted "
			  "(emitted up to %s, --lateness %s)",
			  evtime_format(t, bt), evtime_format(ctx->floor, bf),
			  evtime_format_dur(ctx->lateness, bl));
}

/* The event time: an RFC 3339 string read off the tape, else evtime. */
static int
read_time(struct agg_ctx *ctx, struct record *rec, int64_t *t,
	  struct errbuf *eb)
{
	struct expr_fast *fast = cmd_expr_fast(&ctx->tx, rec);
	struct buf *b = &ctx->tb;

	buf_reset(b);
	if (fast && expr_fast_project(fast, rec->scan, b) == 0 && b->len >= 2 &&
	    b->data[0] == '"' && b->data[b->len - 1] == '"' &&
	    memchr(b->data, '\\', b->len) == NULL &&
	    evtime_parse_rfc3339(b->data + 1, b->len - 2, t) == 0)
		return 0;
	return cmd_key_time(&ctx->tx, rec, "--time", t, eb);
}

static int
add_windows(struct agg_ctx *ctx, uint64_t h, int64_t t, struct record *rec,
	    struct emit *out, struct errbuf *eb)
{
	struct group *g;
	int64_t s, last;
	int rc;

	switch (ctx->mode) {
	case W_NONE:
		if ((rc = group_find(ctx, &ctx->all, h, rec, &g, out, eb)) != 0)
			return rc;
		group_add(ctx, g, rec);
		return 0;
	case W_SESSION:
		return session_add(ctx, h, t, rec, out, eb);
	case W_TUMBLE:
		s = last = floor_div(t, ctx->window) * ctx->window;
		break;
	default:
		s = hop_first(ctx, t);
		last = floor_div(t, ctx->every) * ctx->every;
		break;
	}
	for (; s <= last; s += ctx->every > 0 ? ctx->every : 1) {
		rc = group_find(ctx, win_get(ctx, s), h, rec, &g, out, eb);
		if (rc != 0)
			return rc;
		group_add(ctx, g, rec);
	}
	return 0;
}

static int
agg_process(void *arg, struct record *rec, struct emit *out, struct errbuf *eb)
{
	struct agg_ctx *ctx = arg;
	uint64_t h;
	int64_t t = 0;
	size_t i;
	int rc;

	buf_reset(&ctx->kb);
	for (i = 0; i < ctx->nk; i++) {
		if (cmd_key_bytes(&ctx->kx[i], rec, &ctx->kone, eb) == -1)
			return errbuf_prefix(eb, "-k %s", ctx->kname[i]);
		if (i)
			buf_addc(&ctx->kb, '\0');
		buf_add(&ctx->kb, ctx->kone.data, ctx->kone.len);
	}
	h = hash64(ctx->kb.data, ctx->kb.len);
	if (ctx->has_time) {
		if (read_time(ctx, rec, &t, eb) == -1)
			return -1;
	} else if (ctx->mode != W_NONE) {
		t = real_ns();
	}
	for (i = 0; i < ctx->nspec; i++)
		if (agg_read(&ctx->spec[i], rec, eb) == -1)
			return -1;
	ctx->events++;
	ctx->ord++;
	ctx->arrived = mono_ns();
	if (!ctx->has_time)
		ctx->r2m = t - ctx->arrived;
	if (is_late(ctx, h, t))
		return late_event(ctx, h, t, rec, out, eb);
	if (t > ctx->newest)
		ctx->newest = t;
	if ((rc = add_windows(ctx, h, t, rec, out, eb)) != 0)
		return rc;
	if (ctx->mode == W_NONE)
		return 0;
	return advance(ctx, watermark(ctx), out, eb);
}

/* ---- idle input, end, delivery ----------------------------------------------
 */

static int64_t
sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t
sat_sub(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* The end of the window to close first, or INT64_MAX. */
static int64_t
first_end(const struct agg_ctx *ctx)
{
	if (ctx->mode == W_SESSION)
		return ctx->all.n ? ctx->next_close : INT64_MAX;
	if (ctx->mode == W_NONE || ctx->wins == NULL)
		return INT64_MAX;
	return ctx->wins->end;
}

static int64_t
agg_deadline(void *arg)
{
	struct agg_ctx *ctx = arg;
	int64_t d = INT64_MAX, end = first_end(ctx), wait;

	if (ctx->state && ctx->dirty)
		d = sat_add(ctx->last_save, ctx->save_interval);
	if (end == INT64_MAX)
		return d;
	if (ctx->has_time) {
		if (ctx->newest == INT64_MIN)
			return d;
		wait = sat_sub(end, watermark(ctx));
		wait = sat_add(ctx->arrived, wait < 0 ? 0 : wait);
	} else {
		/* the monotonic time the clock reaches end + lateness */
		wait = sat_sub(sat_add(end, ctx->lateness), ctx->r2m);
	}
	return wait < d ? wait : d;
}

/* The input was idle: the watermark moved on with the clock. */
static int
agg_timer(void *arg, int64_t now, struct emit *out, struct errbuf *eb)
{
	struct agg_ctx *ctx = arg;
	uint64_t before = ctx->emitted;
	int64_t wm;
	int rc;

	if (first_end(ctx) == INT64_MAX)
		return 0;
	if (ctx->has_time) {
		if (ctx->newest == INT64_MIN)
			return 0;
		wm = sat_add(watermark(ctx), sat_sub(now, ctx->arrived));
	} else {
		wm = sat_sub(sat_add(now, ctx->r2m), ctx->lateness);
	}
	rc = advance(ctx, wm, out, eb);
	ctx->idle += ctx->emitted - before;
	return rc == 1 ? 0 : rc;
}

static int
agg_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct agg_ctx *ctx = arg;
	int rc = 0;

	ctx->finished = 1;
	if (ctx->mode == W_NONE || ctx->mode == W_SESSION) {
		rc = win_emit(ctx, &ctx->all, out, eb);
		ctx->next_close = INT64_MAX;
	} else {
		while (rc == 0 && ctx->wins)
			rc = win_emit(ctx, ctx->wins, out, eb);
	}
	ctx->dirty = 1;
	return rc == 1 ? 0 : rc;
}

static uint64_t
win_held(const struct win *w, uint64_t h)
{
	const struct group *g;

	for (g = w->head; g; g = g->next)
		if (g->minseq < h)
			h = g->minseq;
	return h;
}

static uint64_t
agg_held(void *arg)
{
	struct agg_ctx *ctx = arg;
	const struct win *w;
	uint64_t h;

	if (ctx->state)
		return ctx->unsaved;
	h = win_held(&ctx->all, UINT64_MAX);
	for (w = ctx->wins; w; w = w->next)
		h = win_held(w, h);
	return h;
}

/* ---- the state file
 * ---------------------------------------------------------- */

static json_t *
group_json(const struct agg_ctx *ctx, const struct group *g)
{
	json_t *o = json_object(), *v = json_array();
	size_t i;

	json_object_set_new(o, "start", json_integer(g->start));
	json_object_set_new(o, "end", json_integer(g->end));
	json_object_set_new(o, "last", json_integer(g->last));
	json_object_set_new(o, "id", json_integer((json_int_t)g->id));
	json_object_set_new(o, "late", json_integer((json_int_t)g->late));
	json_object_set_new(o, "partial",
			    json_boolean(g->partial || g->win->overflowed));
	json_object_set_new(o, "key", json_stringn(g->key, g->klen));
	json_object_set_new(o, "kt", json_stringn(g->kt, g->ktlen));
	for (i = 0; i < ctx->nspec; i++)
		json_array_append_new(v, agg_save(&ctx->spec[i], &g->v[i]));
	json_object_set_new(o, "v", v);
	return o;
}

static json_t *
win_json(const struct agg_ctx *ctx, const struct win *w, json_t *groups)
{
	const struct group *g;

	for (g = w->head; g; g = g->next)
		json_array_append_new(groups, group_json(ctx, g));
	return groups;
}

static char *
state_text(struct agg_ctx *ctx, size_t *len)
{
	json_t *root = json_object(), *groups = json_array();
	const struct win *w;
	char fp[40], *body, *text;

	snprintf(fp, sizeof(fp), "%016llx%016llx",
		 (unsigned long long)ctx->fp.hi,
		 (unsigned long long)ctx->fp.lo);
	json_object_set_new(root, "def", json_string(fp));
	json_object_set_new(root, "newest", json_integer(ctx->newest));
	json_object_set_new(root, "floor", json_integer(ctx->floor));
	json_object_set_new(root, "ord", json_integer((json_int_t)ctx->ord));
	json_object_set_new(root, "nextid",
			    json_integer((json_int_t)ctx->nextid));
	win_json(ctx, &ctx->all, groups);
	for (w = ctx->wins; w; w = w->next)
		win_json(ctx, w, groups);
	json_object_set_new(root, "groups", groups);
	body = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	text = xasprintf(AGG_STATE_MAGIC "%016llx\n%s",
			 (unsigned long long)hash64(body, strlen(body)), body);
	jnum_free(body);
	*len = strlen(text);
	return text;
}

static int
fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path,
				     slash == path ? 1 : (size_t)(slash - path))
			  : xstrdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	free(dir);
	if (fd == -1)
		return -1;
	if (fsync(fd) == -1 && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

/* Write the state: a fresh file beside it, fsync, rename, fsync the dir. */
static int
state_save(struct agg_ctx *ctx, struct errbuf *eb)
{
	size_t len;
	char *text = state_text(ctx, &len), *tmp;
	int fd, err;

	tmp = xasprintf("%s.tmp", ctx->state);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd == -1 || write_full(fd, text, len) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1 || rename(tmp, ctx->state) == -1 ||
	    fsync_dir_of(ctx->state) == -1) {
		err = errno;
		(void)unlink(tmp);
		errbuf_set(eb, STATUS_IO, "%s: cannot save state: %s",
			   ctx->state, strerror(err));
		free(tmp);
		free(text);
		return -1;
	}
	free(tmp);
	free(text);
	ctx->saves++;
	return 0;
}

static int
get_i64(const json_t *o, const char *name, int64_t *v)
{
	json_t *j = json_object_get(o, name);

	if (!json_is_integer(j))
		return -1;
	*v = json_integer_value(j);
	return 0;
}

/* The key members must be JSON members ("a":1,"b":"x"), one per key. */
static int
valid_kt(const struct agg_ctx *ctx, const char *kt, size_t n)
{
	struct buf b = BUF_INIT;
	json_error_t jerr;
	json_t *o;
	int ok;

	buf_addc(&b, '{');
	buf_add(&b, kt, n);
	buf_addc(&b, '}');
	o = json_loadb(b.data, b.len, JSON_DECODE_INT_AS_REAL, &jerr);
	buf_release(&b);
	ok = json_is_object(o) && json_object_size(o) == ctx->nk;
	json_decref(o);
	return ok;
}

/* The window a loaded group belongs to, checking its bounds. */
static struct win *
load_win(struct agg_ctx *ctx, struct group *g)
{
	switch (ctx->mode) {
	case W_NONE:
		return &ctx->all;
	case W_SESSION:
		if (g->start > g->last || g->last > INT64_MAX - ctx->gap ||
		    g->end != g->last + ctx->gap)
			return NULL;
		return &ctx->all;
	default:
		if (g->start > INT64_MAX - ctx->window ||
		    g->end != g->start + ctx->window ||
		    floor_div(g->start,
			      ctx->every > 0 ? ctx->every : ctx->window) *
				    (ctx->every > 0 ? ctx->every
						    : ctx->window) !=
			    g->start)
			return NULL;
		return win_get(ctx, g->start);
	}
}

static int
load_group(struct agg_ctx *ctx, const json_t *j, struct errbuf *eb)
{
	json_t *key = json_object_get(j, "key"), *kt = json_object_get(j, "kt"),
	       *v = json_object_get(j, "v"), *p = json_object_get(j, "partial");
	struct group tmp = { 0 }, *g, *o;
	struct win *w;
	int64_t id, late;
	size_t i;
	uint64_t h;

	if (!json_is_object(j) || !json_is_string(key) || !json_is_string(kt) ||
	    !json_is_array(v) || json_array_size(v) != ctx->nspec ||
	    !json_is_boolean(p) || get_i64(j, "start", &tmp.start) ||
	    get_i64(j, "end", &tmp.end) || get_i64(j, "last", &tmp.last) ||
	    get_i64(j, "id", &id) || get_i64(j, "late", &late) || id < 0 ||
	    late < 0 || (uint64_t)id >= ctx->nextid ||
	    (ctx->nk == 0) != (json_string_length(kt) == 0) ||
	    (ctx->nk &&
	     !valid_kt(ctx, json_string_value(kt), json_string_length(kt))) ||
	    (w = load_win(ctx, &tmp)) == NULL)
		return errbuf_set(eb, STATUS_USAGE, "a group is not valid");
	buf_reset(&ctx->kb);
	buf_add(&ctx->kb, json_string_value(key), json_string_length(key));
	h = hash64(ctx->kb.data, ctx->kb.len);
	for (o = ctx->ht[slot_of(ctx, h, w == &ctx->all ? 0 : w->start)]; o;
	     o = o->hnext)
		if (o->win == w && same_key(ctx, o, h) &&
		    (ctx->mode != W_SESSION || o->start == tmp.start))
			return errbuf_set(eb, STATUS_USAGE,
					  "a group is there twice");
	g = group_new(ctx, w, h, ctx->kb.data, ctx->kb.len);
	ctx->nextid--; /* group_new counted one */
	g->id = (uint64_t)id;
	g->start = tmp.start;
	g->end = tmp.end;
	g->last = tmp.last;
	g->late = (uint64_t)late;
	g->partial = json_is_true(p);
	g->kt = xstrndup(json_string_value(kt), json_string_length(kt));
	g->ktlen = json_string_length(kt);
	if (g->end < ctx->next_close && ctx->mode == W_SESSION)
		ctx->next_close = g->end;
	for (i = 0; i < ctx->nspec; i++) {
		agg_val_release(&ctx->spec[i], &g->v[i]);
		if (agg_load(&ctx->spec[i], &g->v[i], json_array_get(v, i),
			     eb) == -1)
			return -1;
	}
	return 0;
}

/* Load state text[0..len) into a fresh ctx: 0, or -1 with a usage error. */
int
aggregate_state_load(void *arg, const char *text, size_t len, struct errbuf *eb)
{
	struct agg_ctx *ctx = arg;
	const char *nl = memchr(text, '\n', len);
	size_t ml = sizeof(AGG_STATE_MAGIC) - 1, i;
	char fp[40], sum[20];
	json_error_t jerr;
	json_t *root, *groups, *g;
	int64_t ord, nextid;
	int rc = 0;

	if (len < ml || memcmp(text, AGG_STATE_MAGIC, ml) != 0 || nl == NULL ||
	    (size_t)(nl - text) != ml + 16)
		return errbuf_set(eb, STATUS_USAGE,
				  "not an aggregate state file (version 1)");
	snprintf(sum, sizeof(sum), "%016llx",
		 (unsigned long long)hash64(nl + 1,
					    len - (size_t)(nl + 1 - text)));
	if (memcmp(sum, text + ml, 16) != 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "the checksum does not match: the file is "
				  "damaged");
	root = json_loadb(nl + 1, len - (size_t)(nl + 1 - text), JSON_ALLOW_NUL,
			  &jerr);
	snprintf(fp, sizeof(fp), "%016llx%016llx",
		 (unsigned long long)ctx->fp.hi,
		 (unsigned long long)ctx->fp.lo);
	groups = json_object_get(root, "groups");
	if (root == NULL || !json_is_array(groups) ||
	    !json_is_string(json_object_get(root, "def")) ||
	    get_i64(root, "newest", &ctx->newest) ||
	    get_i64(root, "floor", &ctx->floor) || get_i64(root, "ord", &ord) ||
	    get_i64(root, "nextid", &nextid) || ord < 0 || nextid < 0) {
		json_decref(root);
		return errbuf_set(eb, STATUS_USAGE, "the state is not valid");
	}
	if (strcmp(json_string_value(json_object_get(root, "def")), fp) != 0) {
		json_decref(root);
		return errbuf_set(eb, STATUS_USAGE,
				  "the state was saved for other keys, "
				  "aggregates or windows");
	}
	ctx->ord = (uint64_t)ord;
	ctx->nextid = (uint64_t)nextid;
	json_array_foreach(groups, i, g) {
		if ((rc = load_group(ctx, g, eb)) == -1)
			break;
	}
	json_decref(root);
	if (rc == 0 && ctx->mode != W_NONE && ctx->mode != W_SESSION) {
		const struct win *w;

		for (w = ctx->wins; w; w = w->next)
			if (w->n > ctx->limit)
				return errbuf_set(eb, STATUS_USAGE,
						  "a window holds more than "
						  "--max-keys groups");
	}
	return rc;
}

void
aggregate_state_def(void *arg, char out[33])
{
	struct agg_ctx *ctx = arg;

	snprintf(out, 33, "%016llx%016llx", (unsigned long long)ctx->fp.hi,
		 (unsigned long long)ctx->fp.lo);
}

static int
agg_state_load_file(struct agg_ctx *ctx, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd = open(ctx->state, O_RDONLY | O_CLOEXEC), rc;

	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		return errbuf_set(eb, STATUS_IO, "--state %s: %s", ctx->state,
				  strerror(errno));
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		buf_add(&b, chunk, (size_t)n);
		if (b.len > AGG_STATE_MAX) {
			n = 0;
			break;
		}
	}
	close(fd);
	if (n == -1 || b.len > AGG_STATE_MAX) {
		rc = errbuf_set(eb, STATUS_IO, "--state %s: %s", ctx->state,
				n == -1 ? strerror(errno) : "over 1 GiB");
	} else {
		rc = aggregate_state_load(ctx, b.data ? b.data : "", b.len, eb);
		if (rc == -1)
			errbuf_prefix(eb, "--state %s", ctx->state);
	}
	buf_release(&b);
	return rc;
}

/* Called after every output was written: the one place state is saved. */
static int
agg_flush(void *arg, struct errbuf *eb)
{
	struct agg_ctx *ctx = arg;
	int64_t now = mono_ns();

	if (ctx->state == NULL || !ctx->dirty)
		return 0;
	if (!ctx->finished && now < sat_add(ctx->last_save, ctx->save_interval))
		return 0;
	if (state_save(ctx, eb) == -1)
		return -1;
	ctx->dirty = 0;
	ctx->unsaved = UINT64_MAX;
	ctx->last_save = now;
	return 0;
}

/* ---- the rest --------------------------------------------------------------
 */

static void
agg_report(void *arg, FILE *fp)
{
	struct agg_ctx *ctx = arg;

	fprintf(fp,
		"evpipe: aggregate: %llu events, %llu results, %llu late, "
		"%llu emitted early (--max-keys), %llu emitted while idle, "
		"%llu groups open, %llu saves\n",
		(unsigned long long)ctx->events,
		(unsigned long long)ctx->emitted,
		(unsigned long long)ctx->late_n, (unsigned long long)ctx->early,
		(unsigned long long)ctx->idle, (unsigned long long)ctx->ngroups,
		(unsigned long long)ctx->saves);
}

static void
win_free(struct agg_ctx *ctx, struct win *w)
{
	struct group *g, *nx;

	for (g = w->head; g; g = nx) {
		nx = g->next;
		group_free(ctx, g);
	}
	w->head = w->tail = NULL;
}

static void
agg_free(void *arg)
{
	struct agg_ctx *ctx = arg;
	struct win *w, *nx;
	size_t i;

	win_free(ctx, &ctx->all);
	for (w = ctx->wins; w; w = nx) {
		nx = w->next;
		win_free(ctx, w);
		free(w);
	}
	free(ctx->ht);
	for (i = 0; i < ctx->nk; i++)
		cmd_expr_release(&ctx->kx[i]);
	for (i = 0; ctx->kname && i < ctx->keys.n; i++)
		free(ctx->kname[i]);
	free(ctx->kx);
	free(ctx->kname);
	for (i = 0; i < ctx->nspec; i++)
		agg_spec_release(&ctx->spec[i]);
	free(ctx->spec);
	if (ctx->has_time)
		cmd_expr_release(&ctx->tx);
	buf_release(&ctx->kb);
	buf_release(&ctx->kone);
	buf_release(&ctx->tb);
	buf_release(&ctx->ob);
}

static const char *const late_choices[] = { "reject", "count", NULL };

#define O(f) offsetof(struct agg_ctx, f)
static const struct opt agg_opts[] = {
	{ "key", 'k', OPT_STRLIST, O(keys), "[NAME=]EXPR",
	  "group by EXPR (repeatable); the field is NAME, else the path's "
	  "last name",
	  NULL, NULL, 0 },
	{ "agg", 'a', OPT_STRLIST, O(aggs), "[NAME=]FUNC(EXPR)",
	  "an aggregate (repeatable): count, sum, avg, min, max, first, "
	  "last, pN, percentiles(EXPR; P, ...), distinct, top(EXPR; N), "
	  "collect(EXPR; N); default count",
	  NULL, NULL, 0 },
	{ "window", 'w', OPT_DURATION, O(window), "DUR",
	  "tumbling windows of DUR (hopping with --every)", NULL, NULL, 0 },
	{ "every", 0, OPT_DURATION, O(every), "DUR",
	  "hopping windows: a window of --window starts every DUR", NULL, NULL,
	  0 },
	{ "gap", 0, OPT_DURATION, O(gap), "DUR",
	  "session windows: a key's session ends after DUR without events",
	  NULL, NULL, 0 },
	{ "time", 0, OPT_EXPR, O(time_src), "EXPR",
	  "window by the event time EXPR (RFC 3339, epoch s or ms), not by "
	  "arrival",
	  NULL, NULL, 0 },
	{ "lateness", 0, OPT_DURATION, O(lateness), "DUR",
	  "keep a window open DUR past its end, in event time or idle time "
	  "(default 0)",
	  NULL, NULL, 0 },
	{ "late", 0, OPT_ENUM, O(late), "reject|count",
	  "events for an emitted window: reject them to --dlq (default) or "
	  "count them in a late field",
	  late_choices, NULL, 0 },
	{ "max-keys", 0, OPT_UINT, O(max_keys), "N",
	  "at most N keys per window; past it emit the least recently "
	  "updated early, marked partial (default 1000000)",
	  NULL, NULL, 0 },
	{ "state", 0, OPT_STRING, O(state), "FILE",
	  "load the open windows from FILE at start, save them after output "
	  "is flushed",
	  NULL, NULL, 0 },
	{ "save-interval", 0, OPT_DURATION, O(save_interval), "DUR",
	  "save --state at most this often while running (default 5s)", NULL,
	  NULL, 0 },
	OPT_NAMED_ARGS(O(named), ""),
	OPT_END,
};
#undef O

const struct stage_entry stage_aggregate = {
	.name = "aggregate",
	.summary = "counts, sums, percentiles and distinct counts per key "
		   "and time window",
	.args = "",
	.opts = agg_opts,
	.ctx_size = sizeof(struct agg_ctx),
	.min_args = 0,
	.max_args = 0,
	.defaults = agg_defaults,
	.init = agg_init,
	.process = agg_process,
	.next_deadline = agg_deadline,
	.timer = agg_timer,
	.held = agg_held,
	.flush = agg_flush,
	.finish = agg_finish,
	.report = agg_report,
	.free = agg_free,
};
