/*
 * pipeline.c -- the runner (see pipeline.h).
 *
 * One thread, one loop over a set of sources (source.h): files read in
 * order, followed files, listeners and their clients.  Each ready source
 * gets a turn of at most SOURCE_TURN_LINES lines: read a line, check it is
 * JSON, hand it to the first stage; each stage hands what it keeps to the
 * next through a struct emit, the last one to the output sink.  Output is
 * buffered and flushed when no source has anything to give right now, so
 * a "tail -f" pipeline sees events at once without a write per event.
 * Right after such a flush (and once a second while busy) is a delivery
 * point (source.h): the sources that asked hear which of their records
 * are out of evpipe.
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
#include "json/json-text.h"
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
#define DELIVER_EVERY	 1000000000LL /* ns: a delivery point when busy */

/* What run_flush() managed. */
enum flushed {
	FLUSH_FATAL = -1,  /* a target failed (reported): the run stops */
	FLUSH_DONE = 0,	   /* everything written so far is out */
	FLUSH_PENDING = 1, /* a socket peer has not taken it all yet, or
			    * stdout's reader went away (r->stop): what
			    * was written is not known to be out */
};

struct run_stage {
	const struct stage_entry *e;
	void *ctx;
	struct run *run;
	struct run_stage *next; /* NULL: the output */
	struct emit out;	/* what the stage calls to pass events on */
	struct stage_env env;
	uint64_t in, emitted, rejected;
	int64_t ns; /* -v: in process(), downstream included */
};

struct run {
	const struct globals *g;
	struct run_stage *stages;
	size_t n;
	struct sink *out, *dlq;
	struct encoder *enc; /* --to, NULL for ndjson */
	/* -o TEMPLATE: the files it names, as split writes them */
	struct sinkset *outset;
	struct stage_env out_env; /* the sinkset's: rejects as "output" */
	struct stage_env env;
	struct jscan scan; /* checks every line; its tape serves lookups */
	struct source_set set;
	int sources_ok;		   /* the set started: deliver at the end */
	struct progress *progress; /* --progress, or NULL */
	uint64_t lines, rejects, printed;
	uint64_t seq;  /* the last record's number (struct record) */
	int status;    /* worst status so far */
	int stop;      /* stop reading: head satisfied, stdout gone,
			* --on-error stop, or a fatal error */
	int fatal;     /* a fatal error was reported */
	int raw_only;  /* every stage is STAGE_RAW: check lines, no tape */
	int prescan;   /* may read files on a second thread (prescan.h) */
	size_t inited; /* stages whose init() was called */
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

/* stdout's reader went away: stop reading, quietly; 1 (as emit). */
static int
output_gone(struct run *r, struct errbuf *eb)
{
	r->stop = 1;
	errbuf_clear(eb);
	return 1;
}

/*
 * A fatal error: print it once, remember the status, stop reading.  A
 * target on stdout that a stage writes (tee -t -) says its reader went
 * away as an error of status STATUS_OK (sink/file.c): not an error here.
 */
static void
run_fatal(struct run *r, struct errbuf *eb)
{
	if (eb->status == STATUS_OK) {
		output_gone(r, eb);
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
 * A source whose positions are offsets in a stream, not lines (a broker
 * partition), names its records "SCHEME://STREAM@" and gives the offset
 * as the line number: the location reads STREAM@OFFSET, not FILE:LINE.
 */
static int
src_is_stream(const char *src)
{
	size_t n = strlen(src);

	/* kafka://TOPIC/PARTITION@, nats://STREAM# */
	return n > 0 && (src[n - 1] == '@' || src[n - 1] == '#');
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
	if (src_is_stream(rec->src)) {
		/* "kafka://topic/3@1234", "nats://STREAM#1234": where the
		 * broker keeps it */
		char *loc = xasprintf("%s%llu", rec->src,
				      (unsigned long long)rec->lineno);

		json_object_set_new(o, "source", json_string(loc));
		free(loc);
	} else {
		json_object_set_new(o, "source", json_string(rec->src));
		json_object_set_new(o, "line",
				    json_integer((json_int_t)rec->lineno));
	}
	if (detail)
		json_object_foreach(detail, k, v)
			if (strcmp(k, "messages") != 0)
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

		text = jtext_dumps(o);
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
	text = jtext_dumps(o);
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
run_reject(struct run *r, struct run_stage *st, const char *stage,
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
			fprintf(stderr, "evpipe: %s: %s%s%llu: %s\n", stage,
				rec->src, src_is_stream(rec->src) ? "" : ":",
				(unsigned long long)rec->lineno,
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
	struct run_stage *st = env->stage;

	return run_reject(env->run, st, st->e->name, rec, eb, 0);
}

static int run_flush(struct run *r);

/* The -o template's stage_env.reject_fn: events its files refused. */
static int
env_reject_output(const struct stage_env *env, struct record *rec,
		  struct errbuf *eb)
{
	return run_reject(env->run, NULL, "output", rec, eb, 0);
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
	struct run *r = env->run;

	if (got_signal || r->stop)
		return 1;
	run_flush(r);
	for (;;) {
		struct pollfd pfd = { sig_pipe[0], POLLIN, 0 };
		int64_t left;
		struct timespec ts;

		if (got_signal || r->stop)
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
	struct run_stage *st = out->arg;
	struct run *r = st->run;
	const char *bytes;
	size_t len;
	int rc;

	st->emitted++;
	if (r->outset) {
		rc = sinkset_write(r->outset, rec, NULL, eb);
		/* a template this event cannot render: its reject */
		if (rc == -1 && eb->status == STATUS_REJECT)
			return run_reject(r, NULL, "output", rec, eb, 0);
		return rc;
	}
	if (r->enc) {
		rc = encoder_write(r->enc, rec, eb);
		if (rc == -1 && eb->status == STATUS_REJECT) {
			/* It is JSON: keep it as such in the dead letter. */
			if (rec->json == NULL)
				record_json(rec, NULL);
			return run_reject(r, NULL, "output", rec, eb, 0);
		}
	} else {
		bytes = record_bytes(rec, &len);
		rc = sink_write(r->out, bytes, len, eb);
	}
	if (rc == -1 && r->out->gone)
		return output_gone(r, eb);
	return rc;
}

/* Give rec to stage st; handle its rejects here. */
static int
stage_feed(struct run_stage *st, struct record *rec, struct errbuf *eb)
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
	struct run_stage *st = out->arg;

	st->emitted++;
	return stage_feed(st->next, rec, eb);
}

/* Flush the outputs: an enum flushed. */
static int
run_flush(struct run *r)
{
	struct errbuf eb = { 0 };
	size_t i;
	int rc;

	/* first: what its files refuse goes to the dead-letter target */
	if (r->outset && sinkset_flush(r->outset, &eb) == -1) {
		run_fatal(r, &eb);
		return FLUSH_FATAL;
	}
	if (r->out && sink_flush(r->out, &eb) == -1) {
		if (r->out->gone) {
			output_gone(r, &eb);
			return FLUSH_PENDING;
		}
		run_fatal(r, &eb);
		return FLUSH_FATAL;
	}
	if (r->dlq && sink_flush(r->dlq, &eb) == -1) {
		errbuf_prefix(&eb, "--dlq");
		run_fatal(r, &eb);
		return FLUSH_FATAL;
	}
	/* The stages' flush() may save state that covers what was output
	 * (dedup --state): the writer thread must be done first.  A writer
	 * still waiting for a socket peer after FLUSH_WAIT: no state this
	 * time (the next flush tries again), and no hang. */
	if (r->out && (rc = sink_wait(r->out, FLUSH_WAIT, &eb)) != 0) {
		if (rc == 1)
			return FLUSH_PENDING;
		if (r->out->gone) {
			output_gone(r, &eb);
			return FLUSH_PENDING;
		}
		run_fatal(r, &eb);
		return FLUSH_FATAL;
	}
	if (r->dlq && r->dlq != r->out &&
	    (rc = sink_wait(r->dlq, FLUSH_WAIT, &eb)) != 0) {
		if (rc == 1)
			return FLUSH_PENDING;
		errbuf_prefix(&eb, "--dlq");
		run_fatal(r, &eb);
		return FLUSH_FATAL;
	}
	for (i = 0; i < r->n; i++)
		if (r->stages[i].e->flush &&
		    r->stages[i].e->flush(r->stages[i].ctx, &eb) == -1) {
			run_fatal(r, &eb);
			return FLUSH_FATAL;
		}
	return FLUSH_DONE;
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
	/* a command of -o exec: to be started again */
	if (r->outset && sinkset_next_deadline(r->outset) < best)
		best = sinkset_next_deadline(r->outset);
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

	if (r->outset && sinkset_next_deadline(r->outset) <= now &&
	    sinkset_flush(r->outset, &eb) == -1) {
		run_fatal(r, &eb);
		return -1;
	}
	for (i = 0; i < r->n; i++) {
		struct run_stage *st = &r->stages[i];

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

/*
 * The scanner said where in the record's bytes it found an error ("at
 * column N"); if the decoder rebuilt the bytes (--from json compacts a
 * pretty-printed element), say where that byte was in the input: the
 * record's line becomes that line, the column that column.
 */
static void
run_where(struct run *r, const struct source_rec *in, struct record *rec,
	  struct errbuf *eb)
{
	size_t col = jscan_error_column(&r->scan);
	uint64_t line, icol;
	char *at;

	if (in->rd == NULL || col == 0 ||
	    reader_where(in->rd, col - 1, &line, &icol) == -1)
		return;
	at = strstr(eb->msg, " at column ");
	if (at == NULL)
		return;
	snprintf(at, sizeof eb->msg - (size_t)(at - eb->msg), " at column %llu",
		 (unsigned long long)icol);
	rec->lineno = line;
}

/*
 * One record read: check it, hand it to the first stage.  in->checked is
 * NULL, or the prescan's verdict on the line (prescan.h): its error
 * message, and for a valid line its tape when the stages read fields.
 */
static void
run_line(struct run *r, const char *src, const struct source_rec *in,
	 int too_long)
{
	const struct prescan_line *pl = in->checked;
	struct errbuf eb = { 0 };
	struct record rec;
	int rc;

	r->lines++;
	record_init(&rec, src, in->lineno, in->bytes, in->len);
	rec.seq = ++r->seq;
	rec.meta = in->meta;
	rec.metalen = in->metalen;
	if (too_long) {
		errbuf_set(&eb, STATUS_REJECT,
			   "line longer than %llu bytes "
			   "(--max-line)",
			   (unsigned long long)r->g->max_line);
		rc = run_reject(r, NULL, "input", &rec, &eb, 1);
	} else if (pl && pl->error) {
		errbuf_set(&eb, STATUS_REJECT, "invalid JSON: %s", pl->error);
		rc = run_reject(r, NULL, "input", &rec, &eb, 0);
	} else if (pl) {
		if (pl->tape) {
			jscan_adopt(&r->scan, in->bytes, in->len, pl->tape,
				    pl->ntape);
			rec.scan = &r->scan;
		}
		rc = stage_feed(&r->stages[0], &rec, &eb);
	} else if (r->raw_only ? jscan_check(&r->scan, in->bytes, in->len,
					     &eb) == -1
			       : jscan_parse(&r->scan, in->bytes, in->len,
					     &eb) == -1) {
		run_where(r, in, &rec, &eb);
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

/* A record the input format could not decode (LINE_INVALID). */
static void
run_invalid(struct run *r, const char *src, const struct source_rec *in,
	    struct errbuf *eb)
{
	struct record rec;
	int rc;

	r->lines++;
	record_init(&rec, src, in->lineno, in->bytes, in->len);
	rec.seq = ++r->seq;
	rec.meta = in->meta;
	rec.metalen = in->metalen;
	errbuf_prefix(eb, "invalid %s", in_format_names[r->g->from]);
	rc = run_reject(r, NULL, "input", &rec, eb, in->len >= DLQ_SAMPLE_MAX);
	if (rc == -1)
		run_fatal(r, eb);
	else if (rc == 1)
		r->stop = 1;
	record_release(&rec);
	errbuf_clear(eb);
}

/* ---- delivery (source.h) ------------------------------------------------ */

/*
 * A turn of s is over: take its mark, with the number of the last record
 * read so far.  Every record of s up to the mark is numbered that or
 * lower.
 */
static void
run_mark(struct run *r, struct source *s)
{
	struct source_marks *m = &s->marks;
	uint64_t mark;

	if (!s->delivery)
		return;
	mark = s->ops->mark(s);
	if (m->n > 0 && m->v[m->n - 1].mark == mark)
		return;
	if (m->n > 0 && m->v[m->n - 1].seq == r->seq) {
		m->v[m->n - 1].mark = mark; /* no record read since */
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->v = xreallocarray(m->v, m->cap, sizeof *m->v);
	}
	m->v[m->n].seq = r->seq;
	m->v[m->n++].mark = mark;
}

/* The lowest number of the records a stage holds, UINT64_MAX if none. */
static uint64_t
run_held(struct run *r)
{
	uint64_t held = UINT64_MAX;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->stages[i].e->held) {
			uint64_t h = r->stages[i].e->held(r->stages[i].ctx);

			if (h < held)
				held = h;
		}
	return held;
}

/*
 * A delivery point: call only when run_flush() said FLUSH_DONE, so that
 * nothing is delivered ahead of what was written.  Each source hears of
 * its last mark taken before the first record a stage still holds (a
 * batch, a sort window): those records were read but are not out.  Then
 * the set persists it (the --checkpoint file).  0, or -1 (fatal,
 * reported).
 */
static int
run_deliver(struct run *r)
{
	uint64_t held = 0;
	size_t i, k;

	if (r->fatal)
		return 0;
	for (i = 0; i < r->set.n; i++) {
		struct source *s = r->set.v[i];
		struct source_marks *m = &s->marks;

		if (m->n == 0)
			continue;
		if (held == 0)
			held = run_held(r);
		for (k = 0; k < m->n && m->v[k].seq < held; k++)
			;
		if (k == 0)
			continue;
		s->ops->delivered(s, m->v[k - 1].mark);
		memmove(m->v, m->v + k, (m->n - k) * sizeof *m->v);
		m->n -= k;
	}
	if (source_set_delivered(&r->set) == -1) {
		run_status(r, STATUS_IO);
		r->stop = r->fatal = 1;
		return -1;
	}
	return 0;
}

/* Flush, then deliver if everything is out; 0, or -1 (fatal). */
static int
run_flush_deliver(struct run *r)
{
	int rc = run_flush(r);

	if (rc == FLUSH_FATAL)
		return -1;
	return rc == FLUSH_DONE ? run_deliver(r) : 0;
}

/* Some source has marks not yet delivered. */
static int
run_marks_pending(const struct run *r)
{
	size_t i;

	for (i = 0; i < r->set.n; i++)
		if (r->set.v[i]->marks.n > 0)
			return 1;
	return 0;
}

/* ---- the loop ----------------------------------------------------------- */

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

/* One turn of a ready source: at most SOURCE_TURN_LINES records. */
static void
run_turn(struct run *r, struct source *s)
{
	struct errbuf eb = { 0 };
	struct source_rec rec = { 0 };
	int res = LINE_OK;
	unsigned k;

	if (s->plain && r->progress)
		progress_tick(r->progress, r->lines);
	if (s->ops->service)
		s->ops->service(s, &r->set);
	if (s->done || !s->ready || s->ops->next == NULL)
		return;
	for (k = 0; k < SOURCE_TURN_LINES && !r->stop && !got_signal; k++) {
		/* The one place events are read: the framing and the
		 * --from decoder are the source's own.  A source without
		 * metadata never touches rec.meta. */
		rec.bom = 0;
		rec.meta = NULL;
		rec.metalen = 0;
		res = s->ops->next(s, &rec, &eb);
		if (rec.bom && r->g->verbose)
			fprintf(stderr,
				"evpipe: %s: skipped a UTF-8 byte order mark\n",
				s->name);
		if (res == LINE_OK || res == LINE_TOO_LONG)
			run_line(r, s->name, &rec, res == LINE_TOO_LONG);
		else if (res == LINE_INVALID)
			run_invalid(r, s->name, &rec, &eb);
		else
			break;
	}
	/* Before idle() or end(): a rotated file takes its marks along. */
	run_mark(r, s);
	if (res == LINE_AGAIN)
		s->ops->idle(s, &r->set);
	else if (res == LINE_EOF || res == LINE_ERROR)
		run_source_end(r, s, res, &eb);
}

/* What the loop polls: the sources that wait, file events, signals. */
struct pollset {
	struct pollfd *pfd;
	struct source **who; /* pfd[i]'s source; NULL: not a source */
	size_t n, cap;
	size_t waiting; /* pfd[0..waiting): sources and file events */
	int any_ready;	/* some source can go on without waiting */
	int64_t next;	/* the earliest source deadline */
};

static void
pollset_add(struct pollset *ps, int fd, struct source *s)
{
	ps->pfd[ps->n].fd = fd;
	ps->pfd[ps->n].events = POLLIN;
	ps->pfd[ps->n].revents = 0;
	ps->who[ps->n++] = s;
}

/* Fill ps from the set: who is ready, who waits on what, and until when. */
static void
pollset_fill(struct pollset *ps, struct source_set *set)
{
	size_t i;

	if (ps->cap < set->n + 2) {
		ps->cap = set->n + 16;
		ps->pfd = xreallocarray(ps->pfd, ps->cap, sizeof *ps->pfd);
		ps->who = xreallocarray(ps->who, ps->cap, sizeof *ps->who);
	}
	ps->n = 0;
	ps->any_ready = 0;
	ps->next = INT64_MAX;
	for (i = 0; i < set->n; i++) {
		struct source *s = set->v[i];

		if (s->ready)
			ps->any_ready = 1;
		else if (s->fd >= 0 && !s->paused)
			pollset_add(ps, s->fd, s);
		if (s->deadline < ps->next)
			ps->next = s->deadline;
	}
	if (set->inotify_fd >= 0)
		pollset_add(ps, set->inotify_fd, NULL);
	ps->waiting = ps->n;
	if (sig_pipe[0] >= 0)
		pollset_add(ps, sig_pipe[0], NULL);
}

/*
 * Nothing is ready: write out what is buffered and deliver it, then the
 * poll timeout in ms until the first stage timer or source deadline (-1:
 * none), or -2 to stop.
 */
static int
run_idle(struct run *r, const struct pollset *ps, int64_t now)
{
	int timeout;

	if (run_flush_deliver(r) == -1)
		return -2;
	timeout = run_poll_timeout(r);
	if (ps->next != INT64_MAX) {
		int64_t ms = ps->next <= now
				     ? 0
				     : (ps->next - now + 999999) / 1000000;

		if (timeout < 0 || ms < timeout)
			timeout = (int)(ms > 60000 ? 60000 : ms);
	}
	return r->stop ? -2 : timeout;
}

/* After poll(): mark what is readable, or whose deadline passed, ready. */
static void
run_wake(struct run *r, const struct pollset *ps, int np)
{
	struct source_set *set = &r->set;
	int64_t now;
	size_t i;

	for (i = 0; np > 0 && i < ps->n; i++) {
		if (ps->pfd[i].revents == 0)
			continue;
		if (ps->who[i])
			ps->who[i]->ready = 1;
		else if (ps->pfd[i].fd == set->inotify_fd)
			source_set_file_events(set);
	}
	now = mono_ns();
	for (i = 0; i < set->n; i++)
		if (set->v[i]->deadline <= now) {
			set->v[i]->ready = 1;
			set->v[i]->paused = 0;
		}
}

/*
 * The event loop: poll the sources that wait, give each ready one a
 * turn; when none is ready, flush (then deliver) before sleeping until a
 * source, a file event, a source's timed check or a stage timer.
 */
static void
run_sources(struct run *r)
{
	struct source_set *set = &r->set;
	struct pollset ps = { 0 };
	int64_t last_delivery = mono_ns();

	while (!r->stop && !got_signal && source_set_next(set)) {
		int64_t now = mono_ns();
		size_t i, count;
		int timeout = 0, np, due;

		pollset_fill(&ps, set);
		if (!ps.any_ready) {
			timeout = run_idle(r, &ps, now);
			if (timeout == -2)
				break;
			last_delivery = now;
		} else if (now - last_delivery >= DELIVER_EVERY &&
			   run_marks_pending(r)) {
			/* Busy for long: deliver anyway. */
			if (run_flush_deliver(r) == -1)
				break;
			last_delivery = now;
		}
		/* Busy with nothing else to watch (a file read once): no
		 * system call; got_signal is looked at between lines. */
		np = ps.any_ready && ps.waiting == 0
			     ? 0
			     : poll(ps.pfd, ps.n, timeout);
		if (np == -1 && errno != EINTR) {
			fprintf(stderr, "evpipe: poll: %s\n", strerror(errno));
			run_status(r, STATUS_IO);
			break;
		}
		run_wake(r, &ps, np);
		/* Timers come due on a busy input too (dedup saving its
		 * state): fire them, and flush what they emitted. */
		due = run_poll_timeout(r) == 0;
		if (run_timers(r) == -1 ||
		    (due && ps.any_ready && run_flush(r) == FLUSH_FATAL))
			break;
		/* Sources added during the turns (clients, rotated files)
		 * wait for the next round. */
		count = set->n;
		for (i = 0; i < count && !r->stop && !got_signal; i++)
			if (set->v[i]->ready && !set->v[i]->done)
				run_turn(r, set->v[i]);
	}
	free(ps.pfd);
	free(ps.who);
}

static void
run_report(struct run *r)
{
	size_t i;

	fprintf(stderr, "evpipe: input: %llu events, %llu rejected\n",
		(unsigned long long)r->lines,
		(unsigned long long)(r->lines - r->stages[0].in));
	for (i = 0; i < r->n; i++) {
		struct run_stage *st = &r->stages[i];
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

/* Wire the stages to each other and to the runner; catch signals. */
static void
run_setup(struct run *r, const struct globals *g, struct stage_spec *specs,
	  size_t n)
{
	size_t i;

	memset(r, 0, sizeof *r);
	jscan_init(&r->scan);
	r->g = g;
	r->n = n;
	r->stages = xcalloc(n, sizeof *r->stages);
	r->env.named_args = g->named_args;
	r->env.line_buffered = g->line_buffered;
	r->env.verbose = g->verbose;
	r->env.quiet = g->quiet;
	r->env.max_line = g->max_line;
	r->env.rejects = json_object();
	r->env.refused = g->listen.n ? &r->set.refused : NULL;
	r->env.events_on_stdout =
		sink_path_is_stdout(g->output.n ? g->output.v[g->output.n - 1]
						: "-") ||
		(g->dlq.n && sink_path_is_stdout(g->dlq.v[g->dlq.n - 1]));
	r->env.run = r;
	for (i = 0; i < n; i++) {
		struct run_stage *st = &r->stages[i];

		st->e = specs[i].entry;
		st->ctx = specs[i].ctx;
		st->run = r;
		st->next = i + 1 < n ? &r->stages[i + 1] : NULL;
		st->out.fn = st->next ? emit_next : emit_output;
		st->out.arg = st;
		st->env = r->env;
		st->env.reject_fn = env_reject;
		st->env.wait_fn = env_wait;
		st->env.stage = st;
	}
	r->prescan = getenv("EVPIPE_NO_PRESCAN") == NULL;
	sink_linger_ns = g->linger; /* before the stages open their targets */
	sink_broker_opts.kafka_config = g->kafka_config;
	sink_broker_opts.kafka_set = g->kafka_set.v;
	sink_broker_opts.nkafka_set = g->kafka_set.n;
	sink_broker_opts.nats_creds = g->nats_creds;
	sink_broker_opts.nats_nkey = g->nats_nkey;
	sink_broker_opts.nats_token_file = g->nats_token_file;
	sink_broker_opts.nats_tls_ca = g->nats_tls_ca;
	sink_broker_opts.nats_tls_cert = g->nats_tls_cert;
	sink_broker_opts.nats_tls_key = g->nats_tls_key;
	sink_broker_opts.nats_js_domain = g->nats_js_domain;
	sink_broker_opts.nats_js_prefix = g->nats_js_prefix;
	sink_http_opts = g->http;
	signals_setup();
}

/*
 * init() every stage (a stage whose init() failed is freed too, see
 * stage.h), then what follows from them: whether lines need a tape, and
 * whether the chain reads events at all (*no_input).  0, or -1 with the
 * error printed and the status set.
 */
static int
stages_init(struct run *r, struct stage_spec *specs, const char *const *inputs,
	    int *no_input)
{
	const char *ospec =
		r->g->output.n ? r->g->output.v[r->g->output.n - 1] : "-";
	struct errbuf eb = { 0 };
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct run_stage *st = &r->stages[i];

		r->inited++;
		if (st->e->init && st->e->init(st->ctx, (int)specs[i].args.n,
					       (char **)specs[i].args.v,
					       &st->env, &eb) == -1) {
			fprintf(stderr, "evpipe: %s: %s\n", st->e->name,
				eb.msg);
			run_status(r, eb.status ? eb.status : STATUS_USAGE);
			return -1;
		}
	}
	/* Lines need a tape only if some stage reads fields, or -o is a
	 * template (it renders fields). */
	r->raw_only = strchr(ospec, '{') == NULL;
	for (i = 0; i < r->n; i++) {
		struct run_stage *st = &r->stages[i];

		if (!(st->e->flags & STAGE_RAW) &&
		    (st->e->raw == NULL || !st->e->raw(st->ctx)))
			r->raw_only = 0;
	}
	/* A command that reads no events (schema compat) runs alone. */
	*no_input = 0;
	for (i = 0; i < r->n; i++) {
		struct run_stage *st = &r->stages[i];

		if (!specs[i].no_input)
			continue;
		if (r->n > 1 || (inputs && inputs[0])) {
			fprintf(stderr,
				"evpipe: %s: reads no events: it takes no "
				"input files and cannot be chained with "
				"'then'\n",
				st->e->name);
			run_status(r, STATUS_USAGE);
			return -1;
		}
		*no_input = 1;
	}
	return 0;
}

/* Report an error opening an output; -1. */
static int
open_failed(struct run *r, const char *what, struct errbuf *eb)
{
	fprintf(stderr, "evpipe: %s%s\n", what, eb->msg);
	run_status(r, eb->status);
	errbuf_clear(eb);
	return -1;
}

/*
 * Open the output (-o: a target, or a template's set of files), its
 * --to encoder and the dead-letter target.  The combinations were
 * checked after parsing (main.c).  0, or -1 (reported).
 */
static int
outputs_open(struct run *r)
{
	const struct globals *g = r->g;
	const char *ospec = g->output.n ? g->output.v[g->output.n - 1] : "-";
	struct errbuf eb = { 0 };
	int is_template = 0;

	if ((strchr(ospec, '{') || target_is_broker(ospec)) &&
	    target_check_template(ospec, &is_template, &eb) == -1)
		return open_failed(r, "-o: ", &eb);
	/* A broker target dead-letters the messages it refuses: a sinkset
	 * (NDJSON only, checked in main.c). */
	if (is_template || target_is_broker(ospec) ||
	    (strncmp(ospec, "exec:", 5) == 0 && ospec[5] &&
	     g->to == TO_NDJSON && g->out_flags == 0)) {
		/* a command's events are kept until it has read them, and
		 * dead-lettered when it cannot (sinkset.h), as in tee -t */
		struct sinkset_opts o = { .mkdir = g->mkdir };

		r->out_env = r->env;
		r->out_env.reject_fn = env_reject_output;
		r->out_env.wait_fn = NULL; /* a sinkset never waits for it */
		r->outset = sinkset_new(ospec, &o, &r->out_env, &eb);
		if (r->outset == NULL)
			return open_failed(r, "-o: ", &eb);
		ospec = "-"; /* stdout stays open for --dlq - */
	}
	if (g->mkdir && strcmp(ospec, "-") != 0)
		mkdir_parents(ospec); /* a file (checked in main.c) */
	r->out = sink_open_output(ospec, g->line_buffered, g->append, &eb);
	if (r->out == NULL)
		return open_failed(r, strcmp(ospec, "-") ? "-o: " : "", &eb);
	sink_async(r->out);
	r->enc = encoder_new(g->to, r->out, g->out_flags);
	if (g->fields && encoder_set_fields(r->enc, g->fields, &eb) == -1)
		return open_failed(r, "", &eb); /* checked in main.c */
	if (g->dlq.n == 0)
		return 0;
	/* Dead letters may share stdout with the events: one buffer keeps
	 * their order. */
	if (strcmp(g->dlq.v[g->dlq.n - 1], "-") == 0 && r->out->is_stdout)
		r->dlq = r->out;
	else
		r->dlq = sink_open(g->dlq.v[g->dlq.n - 1], g->line_buffered,
				   &eb);
	if (r->dlq == NULL)
		return open_failed(r, "--dlq: ", &eb);
	return 0;
}

/* Start the sources and run the event loop until input ends or stops. */
static void
run_read(struct run *r, const char *const *inputs)
{
	if (source_set_init(&r->set, r->g, inputs) == 0) {
		r->sources_ok = 1;
		r->set.prescan = r->prescan;
		r->set.prescan_tape = !r->raw_only;
		r->progress = progress_new(r->g->progress, r->set.inputs);
		r->set.progress = r->progress;
		r->set.rejected = &r->rejects;
		r->set.rejects = r->env.rejects;
		run_sources(r);
	}
	run_status(r, r->set.status);
}

/*
 * The input ended (or SIGINT/SIGTERM): every stage emits what it holds,
 * in order; the template's files are written out and closed; everything
 * is flushed and the stages save what covers it.  The signal stopped the
 * evaluation it came in; what the stages hold is evaluated as usual (a
 * broker source only ends by a signal: its last batch must not fail for
 * it), and a second signal stops that too.
 */
static void
run_drain(struct run *r)
{
	struct errbuf eb = { 0 };
	size_t i;

	expr_interrupt = 0;
	for (i = 0; i < r->n; i++) {
		struct run_stage *st = &r->stages[i];

		if (st->e->finish == NULL || r->fatal ||
		    st->e->finish(st->ctx, &st->out, &eb) == 0)
			continue;
		if (eb.status == STATUS_REJECT) {
			fprintf(stderr, "evpipe: %s: %s\n", st->e->name,
				eb.msg);
			run_status(r, STATUS_REJECT);
			errbuf_clear(&eb);
		} else {
			run_fatal(r, &eb);
		}
	}
	/* Failures of the template's files are rejected (after a fatal
	 * error too, as the output is: only one report). */
	if (r->outset && sinkset_close(r->outset, &eb) == -1) {
		if (r->fatal)
			errbuf_clear(&eb);
		else
			run_fatal(r, &eb);
	}
	if (!r->fatal && r->out)
		run_flush(r);
}

/*
 * Close the outputs (what a socket peer never took is dead-lettered),
 * then the last delivery point: everything read is out.  Then the
 * sources go.
 */
static void
run_close(struct run *r)
{
	struct errbuf eb = { 0 };

	if (r->g->verbose && r->out)
		run_report(r);
	if (r->enc && !r->out->gone && encoder_finish(r->enc, &eb) == -1)
		run_fatal(r, &eb);
	encoder_free(r->enc);
	sinkset_free(r->outset);
	if (r->out && sink_close(r->out, &eb) == -1)
		run_fatal(r, &eb);
	if (r->dlq && r->dlq != r->out && sink_close(r->dlq, &eb) == -1) {
		errbuf_prefix(&eb, "--dlq");
		run_fatal(r, &eb);
	}
	if (r->sources_ok && run_deliver(r) == 0)
		run_status(r, r->set.status);
	source_set_release(&r->set);
	if (r->rejects > 0 && !r->g->quiet && r->printed > REJECT_PRINT_MAX)
		fprintf(stderr,
			"evpipe: %llu events rejected (%d reported above)%s\n",
			(unsigned long long)r->rejects, REJECT_PRINT_MAX,
			r->dlq ? "" : "; use --dlq to keep them all");
}

/* Free the stages and what the run holds. */
static void
run_free(struct run *r, struct stage_spec *specs)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (i < r->inited && r->stages[i].e->free)
			r->stages[i].e->free(r->stages[i].ctx);
		opt_release(specs[i].entry->opts, specs[i].ctx);
		free(specs[i].ctx);
		specs[i].ctx = NULL;
	}
	free(r->stages);
	progress_free(r->progress);
	json_decref(r->env.rejects);
	jscan_release(&r->scan);
}

int
pipeline_run(const struct globals *g, struct stage_spec *specs, size_t n,
	     const char *const *inputs)
{
	struct run r;
	int no_input;

	run_setup(&r, g, specs, n);
	if (stages_init(&r, specs, inputs, &no_input) == 0 &&
	    outputs_open(&r) == 0) {
		if (!no_input)
			run_read(&r, inputs);
		run_drain(&r);
	}
	run_close(&r);
	run_free(&r, specs);
	return got_signal ? 128 + got_signal : r.status;
}
