/*
 * cmd/stats.c -- counts, bytes, rates, top keys, rejects and event lag,
 * as NDJSON stats events (every --every and at the end), a Prometheus
 * textfile, or a live table on the terminal.  See evpipe-stats(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "expr/expr-stage.h"
#include "json/json-text.h"
#include "lib/evtime.h"
#include "sink/target.h"
#include "record.h"
#include "lib/sketch.h"
#include "stage.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

#define STATS_TOP_DEFAULT  10
#define STATS_CAPACITY_MIN 1024 /* Space-Saving counters: 16 x top, >= */
#define STATS_SPARK	   24	/* rates kept for the live sparkline */

struct stats_ctx {
	/* options */
	const char *key_src, *lag_src, *prom_path, *now_src;
	int prom_to_stdout; /* --prometheus -: once, at the end */
	int64_t every;	    /* ns; 0: only at the end */
	uint64_t top;	    /* UINT64_MAX: not given */
	int live;
	struct strlist to;
	json_t *named;

	struct cmd_expr key, lag;
	int has_key, has_lag;
	const struct stage_env *env;
	struct sink *sink; /* -t/--target */
	struct topk tk;
	struct qsketch qs;
	struct buf kb, tb; /* key and time bytes */
	double fixed_now;  /* --now, seconds; NAN: the clock */
	uint64_t events, bytes;
	uint64_t last_events; /* at the previous interval */
	int64_t start, last, period, next;
	double spark[STATS_SPARK];
	size_t nspark;
	int drawn;    /* lines of the live table on the terminal */
	json_t *prev; /* live: key -> count at the previous draw */
};

/* ---- event time ---------------------------------------------------- */

/*
 * An event time from the canonical JSON bytes of the --lag value, in
 * seconds since the epoch (evtime.h: RFC 3339, epoch s or ms).  A string
 * without escapes is read in place, anything else parsed.
 */
static int
time_of_bytes(const char *p, size_t n, double *out)
{
	struct errbuf eb = { 0 };
	json_error_t jerr;
	json_t *v;
	int64_t ns;
	int r;

	if (n >= 2 && p[0] == '"' && p[n - 1] == '"' &&
	    memchr(p, '\\', n) == NULL) {
		if (evtime_parse_rfc3339(p + 1, n - 2, &ns) == -1)
			return -1;
	} else {
		v = json_loadb(p, n, JSON_DECODE_ANY, &jerr);
		if (v == NULL)
			return -1;
		r = evtime_from_json(v, &ns, &eb);
		json_decref(v);
		errbuf_clear(&eb);
		if (r == -1)
			return -1;
	}
	*out = (double)ns / 1e9;
	return 0;
}

/* ---- output -------------------------------------------------------- */

static double
now_s(const struct stats_ctx *ctx)
{
	return isnan(ctx->fixed_now) ? (double)real_ns() / 1e9 : ctx->fixed_now;
}

static size_t
top_n(const struct stats_ctx *ctx)
{
	return ctx->top == UINT64_MAX ? STATS_TOP_DEFAULT : (size_t)ctx->top;
}

/* The key's JSON value from its canonical bytes (new reference): numbers
 * keep their text. */
static json_t *
key_value(const struct topk_entry *e)
{
	struct errbuf eb = { 0 };
	json_t *v = record_parse(e->key, e->len, &eb);

	errbuf_clear(&eb);
	return v ? v : json_stringn(e->key, e->len);
}

/* The key as a label: strings without quotes, anything else as JSON. */
static char *
key_label(const struct topk_entry *e)
{
	json_t *v = key_value(e);
	char *s = json_is_string(v) ? xstrndup(json_string_value(v),
					       json_string_length(v))
				    : jtext_dumps(v);

	json_decref(v);
	return s;
}

/*
 * x rounded to d decimals, as a JSON number: an integer when it is one,
 * else the shortest text that reads back as the rounded double.
 */
static json_t *
json_round(double x, int d)
{
	double m = pow(10, d), r = round(x * m) / m;

	if (r == floor(r) && fabs(r) < 9007199254740992.0)
		return json_integer((json_int_t)r);
	return json_real(r);
}

static json_t *
stats_json(struct stats_ctx *ctx, int final, int64_t now)
{
	json_t *o = json_object();
	double elapsed = (double)(now - ctx->start) / 1e9;
	double span = final ? elapsed : (double)(now - ctx->last) / 1e9;
	uint64_t n = final ? ctx->events : ctx->events - ctx->last_events;

	json_object_set_new(o, "type", json_string("stats"));
	json_object_set_new(o, "final", json_boolean(final));
	json_object_set_new(o, "elapsed_s", json_round(elapsed, 6));
	json_object_set_new(o, "events", json_integer((json_int_t)ctx->events));
	json_object_set_new(o, "bytes", json_integer((json_int_t)ctx->bytes));
	json_object_set_new(o, "events_per_s",
			    json_round(span > 0 ? (double)n / span : 0, 3));
	if (ctx->has_key) {
		const struct topk_entry **v = topk_sorted(&ctx->tk);
		json_t *k = json_object(), *top = json_array();
		uint64_t shown = 0;
		size_t i;

		for (i = 0; i < ctx->tk.n && i < top_n(ctx); i++) {
			json_array_append_new(
				top, json_pack("{s:o,s:I,s:I}", "key",
					       key_value(v[i]), "count",
					       (json_int_t)v[i]->count, "error",
					       (json_int_t)v[i]->error));
			shown += v[i]->count;
		}
		json_object_set_new(k, "tracked",
				    json_integer((json_int_t)ctx->tk.n));
		json_object_set_new(k, "top", top);
		json_object_set_new(
			k, "other",
			json_integer(
				(json_int_t)(ctx->tk.total > shown
						     ? ctx->tk.total - shown
						     : 0)));
		json_object_set_new(o, "keys", k);
		free(v);
	}
	json_object_set_new(o, "rejects", json_deep_copy(ctx->env->rejects));
	if (ctx->env->refused)
		json_object_set_new(
			o, "refused_connections",
			json_integer((json_int_t)*ctx->env->refused));
	if (ctx->has_lag) {
		struct qsketch *q = &ctx->qs;

		json_object_set_new(
			o, "lag_s",
			json_pack(
				"{s:I,s:o,s:o,s:o,s:o}", "count",
				(json_int_t)q->count, "p50",
				json_round(qsketch_quantile(q, 0.5), 3), "p90",
				json_round(qsketch_quantile(q, 0.9), 3), "p99",
				json_round(qsketch_quantile(q, 0.99), 3), "max",
				json_round(q->count ? q->max : 0, 3)));
	}
	return o;
}

static void
prom_label(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(fp, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", fp);
		else
			fputc(*s, fp);
	}
}

/* The exposition, in Prometheus's text format. */
static void
prom_print(struct stats_ctx *ctx, FILE *fp)
{
	const char *st, *reason;
	json_t *per, *n;

	fprintf(fp,
		"# HELP evpipe_events_total Events seen by evpipe stats.\n"
		"# TYPE evpipe_events_total counter\n"
		"evpipe_events_total %llu\n"
		"# HELP evpipe_bytes_total Bytes of the events seen, newlines "
		"included.\n"
		"# TYPE evpipe_bytes_total counter\n"
		"evpipe_bytes_total %llu\n",
		(unsigned long long)ctx->events,
		(unsigned long long)ctx->bytes);
	if (ctx->has_key) {
		const struct topk_entry **v = topk_sorted(&ctx->tk);
		size_t i;

		fputs("# HELP evpipe_key_events_total Events per key, for the "
		      "top keys (an upper bound when not exact).\n"
		      "# TYPE evpipe_key_events_total counter\n",
		      fp);
		for (i = 0; i < ctx->tk.n && i < top_n(ctx); i++) {
			char *l = key_label(v[i]);

			fputs("evpipe_key_events_total{key=\"", fp);
			prom_label(fp, l);
			fprintf(fp, "\"} %llu\n",
				(unsigned long long)v[i]->count);
			free(l);
		}
		free(v);
	}
	fputs("# HELP evpipe_rejects_total Rejected events by stage and "
	      "reason.\n"
	      "# TYPE evpipe_rejects_total counter\n",
	      fp);
	json_object_foreach(ctx->env->rejects, st, per)
		json_object_foreach(per, reason, n) {
			fputs("evpipe_rejects_total{stage=\"", fp);
			prom_label(fp, st);
			fputs("\",reason=\"", fp);
			prom_label(fp, reason);
			fprintf(fp, "\"} %lld\n",
				(long long)json_integer_value(n));
		}
	if (ctx->env->refused)
		fprintf(fp,
			"# HELP evpipe_refused_connections_total Connections "
			"refused past --max-clients.\n"
			"# TYPE evpipe_refused_connections_total counter\n"
			"evpipe_refused_connections_total %llu\n",
			(unsigned long long)*ctx->env->refused);
	if (ctx->has_lag) {
		static const double qs[] = { 0.5, 0.9, 0.99, 1 };
		size_t i;

		fputs("# HELP evpipe_lag_seconds Event lag: time seen minus "
		      "event time.\n"
		      "# TYPE evpipe_lag_seconds summary\n",
		      fp);
		for (i = 0; i < 4; i++)
			fprintf(fp,
				"evpipe_lag_seconds{quantile=\"%g\"} %.6g\n",
				qs[i], qsketch_quantile(&ctx->qs, qs[i]));
		fprintf(fp,
			"evpipe_lag_seconds_sum %.6g\n"
			"evpipe_lag_seconds_count %llu\n",
			ctx->qs.sum, (unsigned long long)ctx->qs.count);
	}
}

/* Write the exposition to standard output (--prometheus -), once, at
 * the end.  0, or -1. */
static int
prom_stdout(struct stats_ctx *ctx, struct errbuf *eb)
{
	prom_print(ctx, stdout);
	if (fflush(stdout) == EOF || ferror(stdout))
		return errbuf_set(eb, STATUS_IO,
				  "--prometheus -: cannot write: %s",
				  strerror(errno));
	return 0;
}

/* Write the Prometheus textfile: to a temporary, then rename. */
static int
prom_write(struct stats_ctx *ctx, struct errbuf *eb)
{
	char *tmp = xasprintf("%s.%ld.tmp", ctx->prom_path, (long)getpid());
	FILE *fp = NULL;
	int fd;

	/* A fresh file (0644 less umask: node_exporter must read it), never
	 * through a symlink someone left at its name. */
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd != -1 && (fp = fdopen(fd, "w")) == NULL)
		close(fd);
	int err;

	if (fp == NULL) {
		errbuf_set(eb, STATUS_IO, "--prometheus: cannot open '%s': %s",
			   tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	prom_print(ctx, fp);
	err = ferror(fp);
	if (fclose(fp) != 0 || err) {
		errbuf_set(eb, STATUS_IO, "--prometheus: cannot write '%s'",
			   tmp);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, ctx->prom_path) == -1) {
		errbuf_set(eb, STATUS_IO,
			   "--prometheus: cannot rename '%s' to '%s': %s", tmp,
			   ctx->prom_path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* A lag for people: 850ms, 12.5s, 3.2m, 1.5h, 2.0d. */
static const char *
human_s(double x, char *buf, size_t n)
{
	double a = fabs(x);

	if (a < 1)
		snprintf(buf, n, "%.0fms", x * 1000);
	else if (a < 60)
		snprintf(buf, n, "%.1fs", x);
	else if (a < 3600)
		snprintf(buf, n, "%.1fm", x / 60);
	else if (a < 86400)
		snprintf(buf, n, "%.1fh", x / 3600);
	else
		snprintf(buf, n, "%.1fd", x / 86400);
	return buf;
}

/* The live table on stderr, redrawn in place. */
static void
live_draw(struct stats_ctx *ctx, int64_t now, int final)
{
	static const char *const bars[] = { "\u2581", "\u2582", "\u2583",
					    "\u2584", "\u2585", "\u2586",
					    "\u2587", "\u2588" };
	double span = (double)(now - ctx->last) / 1e9, rate, hi = 0;
	struct buf b = BUF_INIT;
	size_t i;
	int lines = 0;

	rate = span > 0 ? (double)(ctx->events - ctx->last_events) / span : 0;
	if (ctx->nspark == STATS_SPARK) {
		memmove(ctx->spark, ctx->spark + 1,
			(STATS_SPARK - 1) * sizeof *ctx->spark);
		ctx->nspark--;
	}
	ctx->spark[ctx->nspark++] = rate;
	for (i = 0; i < ctx->nspark; i++)
		if (ctx->spark[i] > hi)
			hi = ctx->spark[i];
	if (ctx->drawn)
		buf_addf(&b, "\033[%dA\033[J", ctx->drawn);
	buf_addf(&b, "evpipe stats  %.0fs  %llu events  %.0f/s  ",
		 (double)(now - ctx->start) / 1e9,
		 (unsigned long long)ctx->events, rate);
	for (i = 0; i < ctx->nspark; i++)
		buf_adds(&b, bars[hi > 0 ? (int)(ctx->spark[i] / hi * 7) : 0]);
	buf_addc(&b, '\n');
	lines++;
	if (ctx->has_lag) {
		char t1[32], t2[32], t3[32], t4[32];

		buf_addf(&b, "lag  p50 %s  p90 %s  p99 %s  max %s\n",
			 human_s(qsketch_quantile(&ctx->qs, 0.5), t1, 32),
			 human_s(qsketch_quantile(&ctx->qs, 0.9), t2, 32),
			 human_s(qsketch_quantile(&ctx->qs, 0.99), t3, 32),
			 human_s(ctx->qs.count ? ctx->qs.max : 0, t4, 32));
		lines++;
	}
	if (ctx->has_key) {
		const struct topk_entry **v = topk_sorted(&ctx->tk);
		json_t *cur = json_object();

		buf_addf(&b, "%-32s %12s %10s\n", "KEY", "COUNT", "/s");
		lines++;
		for (i = 0; i < ctx->tk.n && i < top_n(ctx); i++) {
			char *l = key_label(v[i]);
			json_t *p = json_object_get(ctx->prev, l);
			uint64_t before =
				p ? (uint64_t)json_integer_value(p) : 0;

			buf_addf(&b, "%-32.32s %12llu %10.0f\n", l,
				 (unsigned long long)v[i]->count,
				 span > 0 && v[i]->count >= before
					 ? (double)(v[i]->count - before) / span
					 : 0);
			json_object_set_new(
				cur, l, json_integer((json_int_t)v[i]->count));
			free(l);
			lines++;
		}
		json_decref(ctx->prev);
		ctx->prev = cur;
		free(v);
	}
	if (write_full(STDERR_FILENO, b.data, b.len) == 0)
		ctx->drawn = final ? 0 : lines;
	buf_release(&b);
}

/*
 * Send a stats event (stolen) to -t/--target or downstream.  Reals are written
 * as jq writes them, the shortest text of the rounded double (json_round()).
 */
static int
stats_send(struct stats_ctx *ctx, json_t *o, struct emit *out,
	   struct errbuf *eb)
{
	char *s = jtext_dumps(o);
	int rc;

	json_decref(o);
	if (ctx->sink) {
		rc = sink_write(ctx->sink, s, strlen(s), eb);
	} else {
		struct record rec;

		record_init(&rec, "stats", 0, s, strlen(s));
		rc = emit(out, &rec, eb);
		record_release(&rec);
	}
	free(s);
	return rc;
}

/* An interval is over: emit, write, draw.  0, 1 (stop) or -1. */
static int
stats_tick(struct stats_ctx *ctx, int64_t now, struct emit *out,
	   struct errbuf *eb)
{
	int rc = 0;

	if (ctx->every > 0 &&
	    (rc = stats_send(ctx, stats_json(ctx, 0, now), out, eb)) != 0)
		return rc;
	if (ctx->prom_path && !ctx->prom_to_stdout && prom_write(ctx, eb) == -1)
		return -1;
	if (ctx->live)
		live_draw(ctx, now, 0);
	ctx->last = now;
	ctx->last_events = ctx->events;
	while (ctx->next <= now)
		ctx->next += ctx->period;
	return 0;
}

/* ---- the stage ----------------------------------------------------- */

static void
stats_defaults(void *arg)
{
	struct stats_ctx *ctx = arg;

	ctx->top = UINT64_MAX;
}

static int
stats_init(void *arg, int argc, char **argv, const struct stage_env *env,
	   struct errbuf *eb)
{
	struct stats_ctx *ctx = arg;
	size_t cap;

	ctx->env = env;
	ctx->fixed_now = NAN;
	if (ctx->top == 0)
		return errbuf_set(eb, STATUS_USAGE, "--top must be at least 1");
	if (ctx->top != UINT64_MAX && ctx->top > 100000)
		return errbuf_set(eb, STATUS_USAGE,
				  "--top %llu: at most 100000",
				  (unsigned long long)ctx->top);
	if (ctx->every < 0 || (ctx->every > 0 && ctx->every < 1000000))
		return errbuf_set(eb, STATUS_USAGE,
				  "--every must be at least 1ms");
	if (ctx->live && !isatty(STDERR_FILENO))
		return errbuf_set(eb, STATUS_USAGE,
				  "--live needs a terminal on standard error");
	if (ctx->now_src) {
		char *end;
		double x = strtod(ctx->now_src, &end);
		int64_t ns;

		if (*ctx->now_src && *end == '\0')
			ctx->fixed_now = fabs(x) >= 1e11 ? x / 1000 : x;
		else if (evtime_parse_rfc3339(ctx->now_src,
					      strlen(ctx->now_src), &ns) == 0)
			ctx->fixed_now = (double)ns / 1e9;
		else
			return errbuf_set(eb, STATUS_USAGE,
					  "--now '%s': not an RFC 3339 time "
					  "or epoch seconds/milliseconds",
					  ctx->now_src);
	}
	if (ctx->prom_path && sink_path_is_stdout(ctx->prom_path)) {
		if (env->events_on_stdout)
			return errbuf_set(
				eb, STATUS_USAGE,
				"--prometheus %s: the events go to standard "
				"output too; give --prometheus a file, or the "
				"events -o FILE",
				ctx->prom_path);
		ctx->prom_to_stdout = 1;
	}
	if (ctx->key_src) {
		if (cmd_key_init(&ctx->key, ctx->key_src, env, ctx->named,
				 eb) == -1)
			return errbuf_prefix(eb, "-k");
		ctx->has_key = 1;
	}
	if (ctx->lag_src) {
		if (cmd_key_init(&ctx->lag, ctx->lag_src, env, ctx->named,
				 eb) == -1)
			return errbuf_prefix(eb, "--lag");
		ctx->has_lag = 1;
	}
	if (ctx->to.n) {
		if (target_check(ctx->to.v[ctx->to.n - 1], eb) == -1)
			return -1;
		ctx->sink = sink_open(ctx->to.v[ctx->to.n - 1],
				      env->line_buffered, eb);
		if (ctx->sink == NULL)
			return -1;
	}
	cap = top_n(ctx) * 16;
	topk_init(&ctx->tk,
		  cap < STATS_CAPACITY_MIN ? STATS_CAPACITY_MIN : cap);
	qsketch_init(&ctx->qs);
	ctx->start = ctx->last = mono_ns();
	ctx->period = ctx->every			       ? ctx->every
		      : ctx->live			       ? 1000000000LL
		      : ctx->prom_path && !ctx->prom_to_stdout ? 10000000000LL
							       : 0;
	ctx->next = ctx->period ? ctx->start + ctx->period : INT64_MAX;
	return 0;
}

static int
stats_process(void *arg, struct record *rec, struct emit *out,
	      struct errbuf *eb)
{
	struct stats_ctx *ctx = arg;
	int64_t now;
	size_t len;

	if (ctx->has_key) {
		if (cmd_key_bytes(&ctx->key, rec, &ctx->kb, eb) == -1)
			return errbuf_prefix(eb, "-k");
	}
	if (ctx->has_key)
		topk_add(&ctx->tk, ctx->kb.data, ctx->kb.len);
	if (ctx->has_lag) {
		double ts;

		if (cmd_key_bytes(&ctx->lag, rec, &ctx->tb, eb) == -1)
			return errbuf_prefix(eb, "--lag");
		if (time_of_bytes(ctx->tb.data, ctx->tb.len, &ts) == -1)
			return errbuf_set(eb, STATUS_REJECT,
					  "--lag: %.100s is not an RFC 3339 "
					  "time or epoch seconds/milliseconds",
					  ctx->tb.data);
		qsketch_add(&ctx->qs, now_s(ctx) - ts);
	}
	record_bytes(rec, &len);
	ctx->events++;
	ctx->bytes += len + 1;
	if (ctx->sink) {
		int rc = emit(out, rec, eb);

		if (rc != 0)
			return rc;
	}
	if (ctx->period && (now = mono_ns()) >= ctx->next)
		return stats_tick(ctx, now, out, eb);
	return 0;
}

static int64_t
stats_next_deadline(void *arg)
{
	struct stats_ctx *ctx = arg;

	return ctx->next;
}

static int
stats_timer(void *arg, int64_t now_ns, struct emit *out, struct errbuf *eb)
{
	struct stats_ctx *ctx = arg;

	return stats_tick(ctx, now_ns, out, eb) == -1 ? -1 : 0;
}

static int
stats_flush(void *arg, struct errbuf *eb)
{
	struct stats_ctx *ctx = arg;

	return ctx->sink ? sink_flush(ctx->sink, eb) : 0;
}

static int
stats_finish(void *arg, struct emit *out, struct errbuf *eb)
{
	struct stats_ctx *ctx = arg;
	int64_t now = mono_ns();
	json_t *o = stats_json(ctx, 1, now);
	int rc;

	if (ctx->prom_path &&
	    (ctx->prom_to_stdout ? prom_stdout(ctx, eb)
				 : prom_write(ctx, eb)) == -1) {
		json_decref(o);
		return -1;
	}
	if (ctx->live)
		live_draw(ctx, now, 1);
	rc = stats_send(ctx, o, out, eb);
	if (rc == -1)
		return -1;
	if (ctx->sink) {
		rc = sink_close(ctx->sink, eb);
		ctx->sink = NULL;
		return rc;
	}
	return 0;
}

static void
stats_free(void *arg)
{
	struct stats_ctx *ctx = arg;

	if (ctx->has_key)
		cmd_expr_release(&ctx->key);
	if (ctx->has_lag)
		cmd_expr_release(&ctx->lag);
	if (ctx->sink)
		sink_close(ctx->sink, NULL);
	topk_release(&ctx->tk);
	qsketch_release(&ctx->qs);
	buf_release(&ctx->kb);
	buf_release(&ctx->tb);
	json_decref(ctx->prev);
}

#define S(f) offsetof(struct stats_ctx, f)
static const struct opt stats_opts[] = {
	{ "key", 'k', OPT_EXPR, S(key_src), "EXPR",
	  "count events per value of EXPR (top keys)", NULL, NULL, 0 },
	{ "top", 0, OPT_UINT, S(top), "N",
	  "list the N most frequent keys (default 10)", NULL, NULL, 0 },
	{ "lag", 0, OPT_EXPR, S(lag_src), "EXPR",
	  "event time (RFC 3339, epoch s or ms): lag percentiles", NULL, NULL,
	  0 },
	{ "every", 0, OPT_DURATION, S(every), "DUR",
	  "also emit stats every DUR, not only at the end", NULL, NULL, 0 },
	{ "target", 't', OPT_TARGET, S(to), "TARGET",
	  "write stats to TARGET and pass the events on", NULL, NULL, 0 },
	{ "to", 0, OPT_RETIRED, 0, NULL,
	  "--to is the output format; a stats target is -t/--target", NULL,
	  NULL, OPT_GLOBAL_OK },
	{ "prometheus", 0, OPT_STRING, S(prom_path), "FILE",
	  "write FILE in the Prometheus text format (atomically; -: stdout)",
	  NULL, NULL, 0 },
	{ "live", 0, OPT_BOOL, S(live), NULL,
	  "redraw a table of rates on the terminal (stderr)", NULL, NULL, 0 },
	{ "now", 0, OPT_STRING, S(now_src), "TIME",
	  "measure lag from TIME instead of the clock", NULL, NULL, 0 },
	OPT_NAMED_ARGS(S(named), " for -k and --lag"),
	OPT_END,
};
#undef S

const struct stage_entry stage_stats = {
	.name = "stats",
	.summary = "count events, keys, rejects and lag; emit stats events",
	.args = "",
	.opts = stats_opts,
	.ctx_size = sizeof(struct stats_ctx),
	.min_args = 0,
	.max_args = 0,
	.defaults = stats_defaults,
	.init = stats_init,
	.process = stats_process,
	.next_deadline = stats_next_deadline,
	.timer = stats_timer,
	.flush = stats_flush,
	.finish = stats_finish,
	.free = stats_free,
};
