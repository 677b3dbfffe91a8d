/*
 * pipeline.c -- the runner (see pipeline.h).
 *
 * One thread, one loop over a set of sources (source.h): files read in
 * order, followed files, listeners and their clients.  Each ready source
 * gets a turn of at most SOURCE_TURN_LINES lines: read a line, check it is
 * JSON, hand it to the first stage; each stage hands what it keeps to the
 * next through a struct emit, the last one to the output sink.  Output is
 * buffered and flushed when no source has anything to give right now, so
 * a "tail -f" pipeline sees events at once without a write per event; the
 * --checkpoint file is written right after such a flush.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "sink/encoder.h"
#include "lib/errbuf.h"
#include "expr/expr.h"
#include "source/input.h"
#include "sink/target.h"
#include "json/json-scan.h"
#include "source/linereader.h"
#include "pipeline.h"
#include "source/prescan.h"
#include "source/source.h"
#include "progress.h"
#include "source/reader.h"
#include "sink/sinkset.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

#define FLUSH_WAIT	 (250 * 1000000LL) /* ns: see run_flush() */
#define REJECT_PRINT_MAX 100	      /* reject lines printed before hushing */
#define DLQ_SAMPLE_MAX	 4096	      /* bytes of an over-long line kept */
#define CHECKPOINT_EVERY 1000000000LL /* ns: checkpoint a busy run */

struct run;

struct stage {
	const struct stage_entry *e;
	void *ctx;
	struct run *run;
	struct stage *next; /* NULL: the output */
	struct emit out;    /* what the stage calls to pass events on */
	struct stage_env env;
	uint64_t in, emitted, rejected;
	int64_t ns; /* -v: in process(), downstream included */
};

struct run {
	const struct globals *g;
	struct stage *stages;
	size_t n;
	struct sink *out, *dlq;
	struct encoder *enc; /* --to, NULL for ndjson */
	/* -o TEMPLATE: the files it names, as split writes them */
	struct sinkset *outset;
	struct stage_env out_env; /* the sinkset's: rejects as "output" */
	struct stage_env env;
	struct jscan scan; /* checks every line; its tape serves lookups */
	struct source_set set;
	int sources_ok;		   /* the set started: checkpoint at the end */
	struct progress *progress; /* --progress, or NULL */
	uint64_t lines, rejects, printed;
	uint64_t seq; /* the last record's number (struct record) */
	int status;   /* worst status so far */
	int stop;     /* stop reading: head satisfied, stdout gone,
		       * --on-error stop, or a fatal error */
	int fatal;    /* a fatal error was reported */
	int raw_only; /* every stage is STAGE_RAW: check lines, no tape */
	int prescan;  /* may read files on a second thread (prescan.h) */
};

static volatile sig_atomic_t got_signal;
static int sig_pipe[2] = { -1, -1 }; /* the handler's wake-up call */

static void
on_signal(int sig)
{
	int saved = errno;

	got_signal = sig;
	sink_interrupted = 1;
	expr_interrupt = sig; /* an evaluation in progress stops too */
	/* Wake the event loop even if the signal came just before poll(). */
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], "", 1) == -1)
		(void)0; /* full: a wake-up is already pending */
	errno = saved;
}

static void
run_status(struct run *r, int status)
{
	if (status > r->status)
		r->status = status;
}

/* A fatal error: print it once, remember the status, stop reading. */
static void
run_fatal(struct run *r, struct errbuf *eb)
{
	if (eb->status == STATUS_OK) {
		/* stdout went away: stop quietly. */
		r->stop = 1;
		errbuf_clear(eb);
		return;
	}
	fprintf(stderr, "evpipe: %s\n", eb->msg);
	run_status(r, eb->status ? eb->status : STATUS_IO);
	r->stop = r->fatal = 1;
	errbuf_clear(eb);
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static json_t *
base64_json(const unsigned char *p, size_t n)
{
	struct buf b = BUF_INIT;
	json_t *v;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		buf_addc(&b, b64[p[i] >> 2]);
		buf_addc(&b, b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		buf_addc(&b, b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)]);
		buf_addc(&b, b64[p[i + 2] & 63]);
	}
	if (i < n) {
		buf_addc(&b, b64[p[i] >> 2]);
		if (i + 1 < n) {
			buf_addc(&b, b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
			buf_addc(&b, b64[(p[i + 1] & 15) << 2]);
		} else {
			buf_addc(&b, b64[(p[i] & 3) << 4]);
			buf_addc(&b, '=');
		}
		buf_addc(&b, '=');
	}
	v = json_stringn(b.data, b.len);
	buf_release(&b);
	return v;
}

/*
 * The dead-letter record: stage, reason, source, line, the event (as JSON
 * if it parsed, else as a string, else as base64 when the bytes are not
 * UTF-8) and any details the stage gave.
 */
static int
run_dead_letter(struct run *r, const char *stage, struct record *rec,
		const char *reason, json_t *detail, int truncated,
		struct errbuf *eb)
{
	json_t *o = json_object(), *ev = NULL;
	const char *k;
	json_t *v;
	char *text;
	int rc;

	json_object_set_new(o, "stage", json_string(stage));
	json_object_set_new(o, "reason", json_string(reason));
	json_object_set_new(o, "source", json_string(rec->src));
	json_object_set_new(o, "line", json_integer((json_int_t)rec->lineno));
	if (detail)
		json_object_foreach(detail, k,
				    v) if (strcmp(k, "messages") != 0)
			json_object_set(o, k, v);
	if (!truncated && (rec->json || rec->scan || strcmp(stage, "input"))) {
		/*
		 * The event is JSON (every line past the input check is):
		 * splice its bytes in as they are, so that big integers and
		 * exact decimals reach the dead letter unchanged.  "event"
		 * is the last member, as it always was.
		 */
		struct buf line = BUF_INIT;
		size_t n, tn;
		const char *raw = record_bytes(rec, &n);

		text = json_dumps(o, RECORD_DUMP_FLAGS);
		json_decref(o);
		tn = strlen(text); /* "{...}": never empty, it has "stage" */
		buf_add(&line, text, tn - 1);
		buf_add(&line, ",\"event\":", 9);
		buf_add(&line, raw, n);
		buf_addc(&line, '}');
		free(text);
		rc = sink_write(r->dlq, line.data, line.len, eb);
		buf_release(&line);
		return rc;
	} else {
		size_t n;
		const char *raw = record_bytes(rec, &n);

		if (truncated && n > DLQ_SAMPLE_MAX)
			n = DLQ_SAMPLE_MAX;
		ev = json_stringn(raw, n);
		if (ev)
			json_object_set_new(o, "event", ev);
		else
			json_object_set_new(
				o, "event_base64",
				base64_json((const unsigned char *)raw, n));
		if (truncated)
			json_object_set_new(o, "truncated", json_true());
	}
	text = json_dumps(o, RECORD_DUMP_FLAGS);
	json_decref(o);
	rc = sink_write(r->dlq, text, strlen(text), eb);
	free(text);
	return rc;
}

/* Count a reject in the table stages see as env.rejects (stats). */
static void
count_reject(json_t *table, const char *stage, const char *reason)
{
	json_t *per = json_object_get(table, stage), *n;

	if (per == NULL) {
		per = json_object();
		json_object_set_new(table, stage, per);
	}
	n = json_object_get(per, reason);
	if (n == NULL && json_object_size(per) >= REJECT_REASONS_MAX)
		n = json_object_get(per, reason = "(other reasons)");
	if (n == NULL)
		json_object_set_new(per, reason, json_integer(1));
	else
		json_integer_set(n, json_integer_value(n) + 1);
}

/*
 * A rejected event: report, count, dead-letter.  Returns 0 to go on, 1 to
 * stop reading (--on-error stop), -1 if the dead-letter target failed.
 */
static int
run_reject(struct run *r, struct stage *st, const char *stage,
	   struct record *rec, struct errbuf *eb, int truncated)
{
	json_t *detail = (json_t *)eb->detail, *msgs;
	char reason[sizeof eb->msg];
	int status = eb->status == STATUS_IO ? STATUS_IO : STATUS_REJECT;
	int rc = 0;

	eb->detail = NULL;
	memcpy(reason, eb->msg, sizeof reason);
	errbuf_clear(eb);
	r->rejects++;
	if (st)
		st->rejected++;
	count_reject(r->env.rejects, stage, reason);
	run_status(r, status);
	msgs = detail ? json_object_get(detail, "messages") : NULL;
	if (!r->g->quiet) {
		size_t i,
			nmsg = json_is_array(msgs) ? json_array_size(msgs) : 0;

		for (i = 0; i < (nmsg ? nmsg : 1); i++) {
			if (r->printed++ >= REJECT_PRINT_MAX)
				break;
			fprintf(stderr, "evpipe: %s: %s:%llu: %s\n", stage,
				rec->src, (unsigned long long)rec->lineno,
				nmsg ? json_string_value(
					       json_array_get(msgs, i))
				     : reason);
		}
	}
	if (r->dlq &&
	    run_dead_letter(r, stage, rec, reason, detail, truncated, eb) == -1)
		rc = -1;
	json_decref(detail);
	if (rc == 0 && r->g->on_error == ON_ERROR_STOP) {
		r->stop = 1;
		rc = 1;
	}
	return rc;
}

/* stage_env.reject_fn: a reject from outside process(). */
static int
env_reject(const struct stage_env *env, struct record *rec, struct errbuf *eb)
{
	struct stage *st = env->runner;

	return run_reject(st->run, st, st->e->name, rec, eb, 0);
}

static int run_flush(struct run *r);

/* The -o template's stage_env.reject_fn: events its files refused. */
static int
env_reject_output(const struct stage_env *env, struct record *rec,
		  struct errbuf *eb)
{
	return run_reject(env->runner, NULL, "output", rec, eb, 0);
}

/*
 * stage_env.wait_fn: flush, then sleep until the deadline or a signal.
 * The sleep watches the signal handler's pipe: a signal that comes after
 * the look at got_signal but before the sleep still ends it.  The last
 * spin_ns are spent reading the clock (and got_signal) in a loop.
 */
static int
env_wait(const struct stage_env *env, int64_t deadline_ns, int64_t spin_ns)
{
	struct stage *st = env->runner;

	if (got_signal || st->run->stop)
		return 1;
	run_flush(st->run);
	for (;;) {
		struct pollfd pfd = { sig_pipe[0], POLLIN, 0 };
		int64_t left;
		struct timespec ts;

		if (got_signal || st->run->stop)
			return 1;
		left = deadline_ns - mono_ns();
		if (left <= 0)
			return 0;
		if (left <= spin_ns)
			continue;
		left -= spin_ns;
		ts.tv_sec = (time_t)(left / 1000000000);
		ts.tv_nsec = (long)(left % 1000000000);
		(void)ppoll(&pfd, sig_pipe[0] >= 0 ? 1 : 0, &ts, NULL);
	}
}

/* struct emit for the last stage: write to the output. */
static int
emit_output(struct emit *out, struct record *rec, struct errbuf *eb)
{
	struct stage *st = out->arg;
	struct run *r = st->run;
	const char *bytes;
	size_t len;

	st->emitted++;
	if (r->outset) {
		int rc = sinkset_write(r->outset, rec, NULL, eb);

		/* a template this event cannot render: its reject */
		if (rc == -1 && eb->status == STATUS_REJECT)
			return run_reject(r, NULL, "output", rec, eb, 0);
		return rc;
	}
	if (r->enc) {
		if (encoder_write(r->enc, rec, eb) == 0)
			return 0;
		if (eb->status == STATUS_REJECT) {
			/* It is JSON: keep it as such in the dead letter. */
			if (rec->json == NULL)
				record_json(rec, NULL);
			return run_reject(r, NULL, "output", rec, eb, 0);
		}
		return r->out->gone ? (r->stop = 1, errbuf_clear(eb), 1) : -1;
	}
	bytes = record_bytes(rec, &len);
	if (sink_write(r->out, bytes, len, eb) == -1)
		return r->out->gone ? (r->stop = 1, errbuf_clear(eb), 1) : -1;
	return 0;
}

/* Give rec to stage st; handle its rejects here. */
static int
stage_feed(struct stage *st, struct record *rec, struct errbuf *eb)
{
	struct run *r = st->run;
	int rc;

	st->in++;
	if ((st->e->flags & STAGE_NEEDS_JSON) && record_json(rec, eb) == NULL)
		return run_reject(r, st, st->e->name, rec, eb, 0);
	if (r->g->verbose) {
		int64_t t0 = mono_ns();

		rc = st->e->process(st->ctx, rec, &st->out, eb);
		st->ns += mono_ns() - t0;
	} else {
		rc = st->e->process(st->ctx, rec, &st->out, eb);
	}
	if (rc == -1 && eb->status == STATUS_REJECT)
		return run_reject(r, st, st->e->name, rec, eb, 0);
	return rc;
}

/* struct emit between stages. */
static int
emit_next(struct emit *out, struct record *rec, struct errbuf *eb)
{
	struct stage *st = out->arg;

	st->emitted++;
	return stage_feed(st->next, rec, eb);
}

/* Flush the outputs; 0 or -1 (fatal reported). */
static int
run_flush(struct run *r)
{
	struct errbuf eb = { 0 };
	size_t i;
	int rc;

	/* first: what its files refuse goes to the dead-letter target */
	if (r->outset && sinkset_flush(r->outset, &eb) == -1) {
		run_fatal(r, &eb);
		return -1;
	}
	if (r->out && sink_flush(r->out, &eb) == -1) {
		if (r->out->gone) {
			r->stop = 1;
			return 0;
		}
		run_fatal(r, &eb);
		return -1;
	}
	if (r->dlq && sink_flush(r->dlq, &eb) == -1) {
		errbuf_prefix(&eb, "--dlq");
		run_fatal(r, &eb);
		return -1;
	}
	/* The stages' flush() may save state that covers what was output
	 * (dedup --state): the writer thread must be done first.  A writer
	 * still waiting for a socket peer after FLUSH_WAIT: no state this
	 * time (the next flush tries again), and no hang. */
	if (r->out && (rc = sink_wait(r->out, FLUSH_WAIT, &eb)) != 0) {
		if (rc == 1)
			return 0;
		if (r->out->gone) {
			r->stop = 1;
			return 0;
		}
		run_fatal(r, &eb);
		return -1;
	}
	if (r->dlq && r->dlq != r->out &&
	    (rc = sink_wait(r->dlq, FLUSH_WAIT, &eb)) != 0) {
		if (rc == 1)
			return 0;
		errbuf_prefix(&eb, "--dlq");
		run_fatal(r, &eb);
		return -1;
	}
	for (i = 0; i < r->n; i++)
		if (r->stages[i].e->flush &&
		    r->stages[i].e->flush(r->stages[i].ctx, &eb) == -1) {
			run_fatal(r, &eb);
			return -1;
		}
	return 0;
}

/* The earliest stage deadline, as a poll timeout in ms (-1: none). */
static int
run_poll_timeout(struct run *r)
{
	int64_t best = INT64_MAX, now;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->stages[i].e->next_deadline) {
			int64_t d =
				r->stages[i].e->next_deadline(r->stages[i].ctx);

			if (d < best)
				best = d;
		}
	if (best == INT64_MAX)
		return -1;
	now = mono_ns();
	if (best <= now)
		return 0;
	/* A far deadline (sort --window 3000d) must not overflow an int:
	 * wake once a minute and look again. */
	if (best - now > 60000LL * 1000000)
		return 60000;
	return (int)((best - now + 999999) / 1000000);
}

static int
run_timers(struct run *r)
{
	struct errbuf eb = { 0 };
	int64_t now = mono_ns();
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct stage *st = &r->stages[i];

		if (st->e->timer == NULL || st->e->next_deadline == NULL ||
		    st->e->next_deadline(st->ctx) > now)
			continue;
		if (st->e->timer(st->ctx, now, &st->out, &eb) == -1) {
			run_fatal(r, &eb);
			return -1;
		}
	}
	return 0;
}

static int
is_blank(const char *p, size_t n)
{
	for (; n > 0; p++, n--)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return 0;
	return 1;
}

/*
 * One line read: check it, hand it to the first stage.  pl is NULL, or
 * the prescan's verdict on the line (prescan.h): its error message, and
 * for a valid line its tape when the stages read fields.
 */
static void
run_line(struct run *r, const char *src, uint64_t lineno, const char *line,
	 size_t len, int too_long, const struct prescan_line *pl)
{
	int checked = pl != NULL;
	struct errbuf eb = { 0 };
	struct record rec;
	int rc;

	if (!too_long && !checked && is_blank(line, len))
		return;
	r->lines++;
	record_init(&rec, src, lineno, line, len);
	rec.seq = ++r->seq;
	if (too_long) {
		errbuf_set(&eb, STATUS_REJECT,
			   "line longer than %llu bytes "
			   "(--max-line)",
			   (unsigned long long)r->g->max_line);
		rc = run_reject(r, NULL, "input", &rec, &eb, 1);
	} else if (checked && pl->error) {
		errbuf_set(&eb, STATUS_REJECT, "invalid JSON: %s", pl->error);
		rc = run_reject(r, NULL, "input", &rec, &eb, 0);
	} else if (checked) {
		if (pl->tape) {
			jscan_adopt(&r->scan, line, len, pl->tape, pl->ntape);
			rec.scan = &r->scan;
		}
		rc = stage_feed(&r->stages[0], &rec, &eb);
	} else if (r->raw_only ? jscan_check(&r->scan, line, len, &eb) == -1
			       : jscan_parse(&r->scan, line, len, &eb) == -1) {
		errbuf_prefix(&eb, "invalid JSON");
		rc = run_reject(r, NULL, "input", &rec, &eb, 0);
	} else {
		if (!r->raw_only)
			rec.scan = &r->scan;
		rc = stage_feed(&r->stages[0], &rec, &eb);
	}
	if (rc == -1)
		run_fatal(r, &eb);
	else if (rc == 1)
		r->stop = 1;
	record_release(&rec);
}

/* A record the input format could not decode (reader.h, LINE_INVALID). */
static void
run_invalid(struct run *r, const char *src, uint64_t lineno, const char *raw,
	    size_t len, struct errbuf *eb)
{
	struct record rec;
	int rc;

	r->lines++;
	record_init(&rec, src, lineno, raw, len);
	rec.seq = ++r->seq;
	errbuf_prefix(eb, "invalid %s", in_format_names[r->g->from]);
	rc = run_reject(r, NULL, "input", &rec, eb, len >= DLQ_SAMPLE_MAX);
	if (rc == -1)
		run_fatal(r, eb);
	else if (rc == 1)
		r->stop = 1;
	record_release(&rec);
}

/*
 * Write the checkpoint after a successful flush, so that it never runs
 * ahead of what was delivered.  0, or -1 (fatal, reported).
 */
static int
run_checkpoint(struct run *r)
{
	uint64_t held = UINT64_MAX;
	size_t i;

	if (r->g->checkpoint == NULL || r->fatal)
		return 0;
	/* Records a stage still holds (a batch, a sort window) were read
	 * but not delivered: the checkpoint stays before them. */
	for (i = 0; i < r->n; i++)
		if (r->stages[i].e->held) {
			uint64_t h = r->stages[i].e->held(r->stages[i].ctx);

			if (h < held)
				held = h;
		}
	if (source_set_checkpoint(&r->set, held) == -1) {
		run_status(r, STATUS_IO);
		r->stop = r->fatal = 1;
		return -1;
	}
	return 0;
}

/* A source's input ended (LINE_EOF) or failed (LINE_ERROR, eb says why). */
static void
run_source_end(struct run *r, struct source *s, int res, struct errbuf *eb)
{
	if (res == LINE_ERROR) {
		fprintf(stderr, "evpipe: %s\n", eb->msg);
		run_status(r, STATUS_IO);
		errbuf_clear(eb);
	}
	if (s->plain && r->progress)
		progress_end(r->progress, r->lines);
	s->ops->end(s, &r->set, res == LINE_ERROR);
}

/*
 * A turn of a regular file read and checked (or scanned) on a second
 * thread (prescan.h).
 */
static void
run_turn_prescan(struct run *r, struct source *s)
{
	struct errbuf eb = { 0 };
	struct prescan_line pl;
	unsigned k;

	for (k = 0; k < SOURCE_TURN_LINES && !r->stop && !got_signal; k++) {
		int res = prescan_next(s->prescan, &pl, &eb);

		if (res == LINE_EOF || res == LINE_ERROR) {
			run_source_end(r, s, res, &eb);
			return;
		}
		if (pl.blank)
			continue;
		run_line(r, s->name, pl.lineno, pl.line, pl.len,
			 res == LINE_TOO_LONG, &pl);
	}
	if (r->progress)
		progress_tick(r->progress, r->lines);
}

/* One turn of a ready source: at most SOURCE_TURN_LINES lines. */
static void
run_turn(struct run *r, struct source *s)
{
	struct errbuf eb = { 0 };
	struct reader *rd;
	unsigned k;

	if (s->plain && r->progress)
		progress_tick(r->progress, r->lines);
	if (s->ops->service)
		s->ops->service(s, &r->set);
	if (s->prescan && !s->done) {
		run_turn_prescan(r, s);
		return;
	}
	if (s->done || !s->ready)
		return;
	rd = s->ops->reader(s);
	if (rd == NULL)
		return;
	for (k = 0; k < SOURCE_TURN_LINES; k++) {
		const char *line;
		size_t len;
		int res;

		if (r->stop || got_signal)
			break;
		/* The one place events are read: the framing and the
		 * --from decoder are the source's own. */
		res = reader_next(rd, &line, &len, &eb);
		if (res == LINE_AGAIN) {
			if (s->tracked)
				source_follow_mark(s, r->seq);
			s->ops->idle(s, &r->set);
			return;
		}
		if (res == LINE_EOF || res == LINE_ERROR) {
			if (s->tracked)
				source_follow_mark(s, r->seq);
			run_source_end(r, s, res, &eb);
			return;
		}
		if (s->tracked) {
			s->end_off = source_follow_offset(s);
			if (s->end_off <= s->skip_to) {
				errbuf_clear(&eb);
				continue; /* delivered before the restart */
			}
		}
		if (res == LINE_INVALID) {
			run_invalid(r, s->name, rd->lineno, line, len, &eb);
			errbuf_clear(&eb);
			continue;
		}
		run_line(r, s->name, rd->lineno, line, len,
			 res == LINE_TOO_LONG, NULL);
	}
	if (s->tracked)
		source_follow_mark(s, r->seq);
}

/*
 * The event loop: poll the sources that wait, give each ready one a
 * turn; when none is ready, flush (then checkpoint) before sleeping until
 * a source, a file event, a source's timed check or a stage timer.
 */
static void
run_sources(struct run *r)
{
	struct source_set *set = &r->set;
	struct pollfd *pfd = NULL;
	struct source **who = NULL;
	size_t cap = 0;
	int64_t last_ckpt = mono_ns();

	while (!r->stop && !got_signal && source_set_next(set)) {
		int64_t now = mono_ns(), next = INT64_MAX;
		size_t i, n = 0, waiting, count;
		int any_ready = 0, timeout, np, due;

		if (cap < set->n + 2) {
			cap = set->n + 16;
			pfd = xreallocarray(pfd, cap, sizeof *pfd);
			who = xreallocarray(who, cap, sizeof *who);
		}
		for (i = 0; i < set->n; i++) {
			struct source *s = set->v[i];

			if (s->ready) {
				any_ready = 1;
			} else if (s->fd >= 0 && !s->paused) {
				pfd[n].fd = s->fd;
				pfd[n].events = POLLIN;
				pfd[n].revents = 0;
				who[n++] = s;
			}
			if (s->deadline < next)
				next = s->deadline;
		}
		if (set->inotify_fd >= 0) {
			pfd[n].fd = set->inotify_fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			who[n++] = NULL;
		}
		waiting = n; /* sources and file events to look at */
		if (sig_pipe[0] >= 0) {
			pfd[n].fd = sig_pipe[0];
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			who[n++] = NULL;
		}
		if (!any_ready) {
			/* Idle: deliver what is buffered, then sleep. */
			if (run_flush(r) == -1 || run_checkpoint(r) == -1)
				break;
			last_ckpt = now;
			timeout = run_poll_timeout(r);
			if (next != INT64_MAX) {
				int64_t ms = next <= now
						     ? 0
						     : (next - now + 999999) /
							       1000000;

				if (timeout < 0 || ms < timeout)
					timeout =
						(int)(ms > 60000 ? 60000 : ms);
			}
			if (r->stop)
				break;
		} else {
			timeout = 0;
			if (r->g->checkpoint &&
			    now - last_ckpt >= CHECKPOINT_EVERY) {
				/* Busy for long: checkpoint anyway. */
				if (run_flush(r) == -1 ||
				    run_checkpoint(r) == -1)
					break;
				last_ckpt = now;
			}
		}
		/* Busy with nothing else to watch (a file read once): no
		 * system call; got_signal is looked at between lines. */
		np = any_ready && waiting == 0 ? 0 : poll(pfd, n, timeout);
		if (np == -1 && errno != EINTR) {
			fprintf(stderr, "evpipe: poll: %s\n", strerror(errno));
			run_status(r, STATUS_IO);
			break;
		}
		for (i = 0; np > 0 && i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (who[i])
				who[i]->ready = 1;
			else if (pfd[i].fd == set->inotify_fd)
				source_set_file_events(set);
		}
		now = mono_ns();
		for (i = 0; i < set->n; i++)
			if (set->v[i]->deadline <= now) {
				set->v[i]->ready = 1;
				set->v[i]->paused = 0;
			}
		/* Timers come due on a busy input too (dedup saving its
		 * state): fire them, and flush what they emitted. */
		due = run_poll_timeout(r) == 0;
		if (run_timers(r) == -1 ||
		    (due && any_ready && run_flush(r) == -1))
			break;
		/* Sources added during the turns (clients, rotated files)
		 * wait for the next round. */
		count = set->n;
		for (i = 0; i < count && !r->stop && !got_signal; i++)
			if (set->v[i]->ready && !set->v[i]->done)
				run_turn(r, set->v[i]);
	}
	free(pfd);
	free(who);
}

static void
run_report(struct run *r)
{
	size_t i;

	fprintf(stderr, "evpipe: input: %llu events, %llu rejected\n",
		(unsigned long long)r->lines,
		(unsigned long long)(r->lines - r->stages[0].in));
	for (i = 0; i < r->n; i++) {
		struct stage *st = &r->stages[i];
		uint64_t dropped = st->in - st->rejected;
		/* Its own time: what the next stage took inside it is its. */
		int64_t own = st->ns - (st->next ? st->next->ns : 0);

		dropped = st->emitted > dropped ? 0 : dropped - st->emitted;
		fprintf(stderr,
			"evpipe: %s: in %llu, out %llu, dropped %llu, "
			"rejected %llu, time %.6fs\n",
			st->e->name, (unsigned long long)st->in,
			(unsigned long long)st->emitted,
			(unsigned long long)dropped,
			(unsigned long long)st->rejected,
			own > 0 ? (double)own / 1e9 : 0.0);
		if (st->e->report)
			st->e->report(st->ctx, stderr);
	}
	if (r->outset) {
		fputs("evpipe: output: ", stderr);
		sinkset_report(r->outset, stderr);
		fputc('\n', stderr);
	} else if (r->out) {
		fprintf(stderr, "evpipe: output: %llu events, %llu bytes\n",
			(unsigned long long)r->out->events,
			(unsigned long long)r->out->bytes);
	}
}

static void
signals_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocked read must return so we can drain. */
	if (sig_pipe[0] == -1 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		sig_pipe[0] = sig_pipe[1] = -1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
pipeline_run(const struct globals *g, struct stage_spec *specs, size_t n,
	     const char *const *inputs)
{
	struct errbuf eb = { 0 };
	struct run r;
	size_t i, inited = 0;
	int no_input = 0, is_template = 0;
	const char *ospec;

	memset(&r, 0, sizeof r);
	jscan_init(&r.scan);
	r.g = g;
	r.n = n;
	r.stages = xcalloc(n, sizeof *r.stages);
	r.env.named_args = g->named_args;
	r.env.line_buffered = g->line_buffered;
	r.env.verbose = g->verbose;
	r.env.quiet = g->quiet;
	r.env.max_line = g->max_line;
	r.env.rejects = json_object();
	for (i = 0; i < n; i++) {
		struct stage *st = &r.stages[i];

		st->e = specs[i].entry;
		st->ctx = specs[i].ctx;
		st->run = &r;
		st->next = i + 1 < n ? &r.stages[i + 1] : NULL;
		st->out.fn = st->next ? emit_next : emit_output;
		st->out.arg = st;
		st->env = r.env;
		st->env.reject_fn = env_reject;
		st->env.wait_fn = env_wait;
		st->env.runner = st;
	}
	ospec = g->output.n ? g->output.v[g->output.n - 1] : "-";
	r.prescan = getenv("EVPIPE_NO_PRESCAN") == NULL;
	sink_linger_ns = g->linger; /* before the stages open their targets */
	signals_setup();

	/* Usage errors (expressions, schemas) come before any I/O. */
	if (source_check(g, &eb) == -1) {
		fprintf(stderr, "evpipe: %s\n", eb.msg);
		run_status(&r, STATUS_USAGE);
		errbuf_clear(&eb);
		goto out;
	}
	/* A stage whose init() failed is freed too (stage.h). */
	for (i = 0; i < n; i++) {
		struct stage *st = &r.stages[i];

		inited++;
		if (st->e->init && st->e->init(st->ctx, (int)specs[i].args.n,
					       (char **)specs[i].args.v,
					       &st->env, &eb) == -1) {
			fprintf(stderr, "evpipe: %s: %s\n", st->e->name,
				eb.msg);
			run_status(&r, eb.status ? eb.status : STATUS_USAGE);
			errbuf_clear(&eb);
			goto out;
		}
	}
	/*
	 * Lines need a tape only if some stage reads fields, or -o is a
	 * template (it renders fields).
	 */
	r.raw_only = strchr(ospec, '{') == NULL;
	for (i = 0; i < n; i++) {
		struct stage *st = &r.stages[i];

		if (!(st->e->flags & STAGE_RAW) &&
		    (st->e->raw == NULL || !st->e->raw(st->ctx)))
			r.raw_only = 0;
	}
	if (g->dlq.n && g->to != TO_NDJSON &&
	    strcmp(g->dlq.v[g->dlq.n - 1], "-") == 0 &&
	    (g->output.n == 0 ||
	     strcmp(g->output.v[g->output.n - 1], "-") == 0)) {
		fprintf(stderr,
			"evpipe: --dlq -: dead letters are NDJSON and would "
			"break the --to %s output on stdout; give --dlq a "
			"file\n",
			out_format_names[g->to]);
		run_status(&r, STATUS_USAGE);
		goto out;
	}
	/* A command that reads no events (schema compat) runs alone. */
	for (i = 0; i < n; i++) {
		struct stage *st = &r.stages[i];

		if (st->e->reads_input == NULL || st->e->reads_input(st->ctx))
			continue;
		if (n > 1 || (inputs && inputs[0])) {
			fprintf(stderr,
				"evpipe: %s: reads no events: it takes no "
				"input files and cannot be chained with "
				"'then'\n",
				st->e->name);
			run_status(&r, STATUS_USAGE);
			goto out;
		}
		no_input = 1;
	}
	if (g->dlq.n && strchr(g->dlq.v[g->dlq.n - 1], '{')) {
		/* A dead letter its file refused would have nowhere to go. */
		fprintf(stderr,
			"evpipe: --dlq '%s': {EXPR} templates are not allowed "
			"for the dead-letter target (a dead letter it refused "
			"would have nowhere to go); split the dead letters "
			"afterwards\n",
			g->dlq.v[g->dlq.n - 1]);
		run_status(&r, STATUS_USAGE);
		goto out;
	}
	if (strchr(ospec, '{') &&
	    target_check_template(ospec, &is_template, &eb) == -1) {
		fprintf(stderr, "evpipe: -o: %s\n", eb.msg);
		run_status(&r, eb.status);
		errbuf_clear(&eb);
		goto out;
	}
	if (is_template) {
		struct sinkset_opts o = { 0 };

		if (g->to != TO_NDJSON) {
			fprintf(stderr,
				"evpipe: -o '%s': a template writes NDJSON "
				"only (--to %s would need a header or an "
				"array per file)\n",
				ospec, out_format_names[g->to]);
			run_status(&r, STATUS_USAGE);
			goto out;
		}
		r.out_env = r.env;
		r.out_env.reject_fn = env_reject_output;
		r.out_env.wait_fn = NULL; /* a sinkset never waits for it */
		r.out_env.runner = &r;
		r.outset = sinkset_new(ospec, &o, &r.out_env, &eb);
		if (r.outset == NULL) {
			fprintf(stderr, "evpipe: -o: %s\n", eb.msg);
			run_status(&r, eb.status);
			errbuf_clear(&eb);
			goto out;
		}
		ospec = "-"; /* stdout stays open for --dlq - */
	}
	r.out = sink_open(ospec, g->line_buffered, &eb);
	if (r.out == NULL) {
		fprintf(stderr, "evpipe: %s\n", eb.msg);
		run_status(&r, eb.status);
		errbuf_clear(&eb);
		goto out;
	}
	sink_async(r.out);
	r.enc = encoder_new(g->to, r.out);
	if (g->dlq.n) {
		/* Dead letters may share stdout with the events: one buffer
		 * keeps their order. */
		if (strcmp(g->dlq.v[g->dlq.n - 1], "-") == 0 &&
		    r.out->is_stdout)
			r.dlq = r.out;
		else
			r.dlq = sink_open(g->dlq.v[g->dlq.n - 1],
					  g->line_buffered, &eb);
		if (r.dlq == NULL) {
			fprintf(stderr, "evpipe: --dlq: %s\n", eb.msg);
			run_status(&r, eb.status);
			errbuf_clear(&eb);
			goto out;
		}
	}

	if (!no_input && source_set_init(&r.set, g, inputs) == 0) {
		r.sources_ok = 1;
		r.set.prescan = r.prescan;
		r.set.prescan_tape = !r.raw_only;
		r.progress = progress_new(g->progress, r.set.inputs);
		r.set.progress = r.progress;
		run_sources(&r);
	}
	run_status(&r, r.set.status);

	/* Drain: every stage emits what it holds, in order. */
	for (i = 0; i < n; i++) {
		struct stage *st = &r.stages[i];

		if (st->e->finish && !r.fatal &&
		    st->e->finish(st->ctx, &st->out, &eb) == -1) {
			if (eb.status == STATUS_REJECT) {
				fprintf(stderr, "evpipe: %s: %s\n", st->e->name,
					eb.msg);
				run_status(&r, STATUS_REJECT);
				errbuf_clear(&eb);
			} else {
				run_fatal(&r, &eb);
			}
		}
	}
	/* The template's files: written out and closed, failures rejected
	 * (after a fatal error too, as the output is: only one report). */
	if (r.outset && sinkset_close(r.outset, &eb) == -1) {
		if (r.fatal)
			errbuf_clear(&eb);
		else
			run_fatal(&r, &eb);
	}
	/* Write everything out, then let the stages save what covers it. */
	if (!r.fatal && r.out)
		run_flush(&r);
out:
	if (g->verbose && r.out)
		run_report(&r);
	if (r.enc && !r.out->gone && encoder_finish(r.enc, &eb) == -1)
		run_fatal(&r, &eb);
	encoder_free(r.enc);
	sinkset_free(r.outset);
	if (r.out && sink_close(r.out, &eb) == -1)
		run_fatal(&r, &eb);
	if (r.dlq && r.dlq != r.out && sink_close(r.dlq, &eb) == -1) {
		errbuf_prefix(&eb, "--dlq");
		run_fatal(&r, &eb);
	}
	/* Everything read was delivered: the final checkpoint. */
	if (r.sources_ok && run_checkpoint(&r) == 0)
		run_status(&r, r.set.status);
	source_set_release(&r.set);
	if (r.rejects > 0 && !g->quiet && r.printed > REJECT_PRINT_MAX)
		fprintf(stderr,
			"evpipe: %llu events rejected (%d reported above)%s\n",
			(unsigned long long)r.rejects, REJECT_PRINT_MAX,
			r.dlq ? "" : "; use --dlq to keep them all");
	for (i = 0; i < n; i++) {
		if (i < inited && r.stages[i].e->free)
			r.stages[i].e->free(r.stages[i].ctx);
		opt_release(specs[i].entry->opts, specs[i].ctx);
		free(specs[i].ctx);
		specs[i].ctx = NULL;
	}
	free(r.stages);
	progress_free(r.progress);
	json_decref(r.env.rejects);
	jscan_release(&r.scan);
	if (got_signal)
		return 128 + got_signal;
	return r.status;
}
