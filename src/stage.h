/*
 * stage.h -- the interface every command (stage) implements.
 *
 * Each command lives in src/cmd/NAME.c and exports one const
 * struct stage_entry stage_NAME, listed in stage_table[] (cmd.c).  Its
 * subcommands, if any, are in cmd_table[] (cmd.h), and so are the
 * commands that are not stages (run, help).  The
 * runner (pipeline.c) callocs ctx_size bytes, fills them from the option
 * table, calls init() once with the positional words, then process() for
 * every event, timer() when its deadline passes, finish() at end of input,
 * and free() last.
 *
 * Ownership: process() gets a BORROWED record (see record.h).  It passes
 * it on with emit(out, rec) -- synchronously, so the record is still the
 * stage's after emit returns -- or simply returns to drop it.  A stage that
 * keeps an event uses record_dup().
 *
 * Errors: process() returns 0, or -1 with eb filled.  With eb->status
 * STATUS_REJECT the event is a reject (reported, counted, sent to the
 * dead-letter target with this stage's name, then the run goes on unless
 * --on-error stop); any other status ends the run with that status.
 * emit() returns 0; -1 (fatal, eb filled); or 1: downstream wants no
 * more events (head is satisfied, stdout went away).  process() must stop
 * emitting and return a non-zero value from emit() unchanged, so that the
 * runner stops reading input.  process() may itself return 1 for the
 * same reason (head after its last event).
 */
#ifndef STAGE_H
#define STAGE_H

#include <stdint.h>
#include <jansson.h>

#include "lib/errbuf.h"
#include "opt.h"
#include "record.h"

struct emit {
	/* Send rec downstream; 0, or -1 with eb filled (fatal). */
	int (*fn)(struct emit *, struct record *, struct errbuf *);
	void *arg;
};

static inline int
emit(struct emit *out, struct record *rec, struct errbuf *eb)
{
	return out->fn(out, rec, eb);
}

/*
 * What a stage may read from the global command line, and its way to the
 * runner's error policy.  Each stage has its own; it lives as long as the
 * run, so init() may keep the pointer.
 */
#define REJECT_REASONS_MAX 100

struct run;
struct run_stage;

struct stage_env {
	json_t *named_args; /* object: --arg / --argjson values, for $NAME */
	int line_buffered;  /* --line-buffered */
	int verbose, quiet; /* -v, -q */
	uint64_t max_line;  /* --max-line */
	/*
	 * The runner's count of rejects so far, for stats: an object
	 * {STAGE: {REASON: count}} ("input" for lines that are not JSON or
	 * too long), at most REJECT_REASONS_MAX reasons per stage, the rest
	 * counted under "(other reasons)".  Read only.
	 */
	json_t *rejects;
	/*
	 * The runner's count of connections its listeners refused past
	 * --max-clients (their events never came in), for stats; NULL
	 * when the run has no listener.  Read only.
	 */
	const uint64_t *refused;
	/* Events or dead letters go to standard output (-o -, the default,
	 * or --dlq -): a report a command writes must not go there too. */
	int events_on_stdout;
	/* The runner's: use stage_reject(). */
	int (*reject_fn)(const struct stage_env *, struct record *,
			 struct errbuf *);
	/* The runner's: use stage_wait(). */
	int (*wait_fn)(const struct stage_env *, int64_t deadline_ns,
		       int64_t spin_ns);
	/* The runner's, for the two above: the run, and the stage this env
	 * is for (NULL for the -o template's). */
	struct run *run;
	struct run_stage *stage;
};

/*
 * Pace events from inside process() or finish() (replay): write out every
 * output and dead letter so far, then sleep until the CLOCK_MONOTONIC
 * deadline (in ns), spending the last spin_ns of it watching the clock
 * instead of sleeping (a timer wakeup can come milliseconds late, on
 * virtual machines especially).  Returns 0 at the deadline, or 1 at once
 * when SIGINT/SIGTERM asks the run to end: the stage then emits what it
 * holds without waiting and keeps nothing for later.
 */
static inline int
stage_wait(const struct stage_env *env, int64_t deadline_ns, int64_t spin_ns)
{
	return env->wait_fn(env, deadline_ns, spin_ns);
}

/*
 * Reject rec outside process(): a batch whose command failed for good, a
 * late event held by sort, events a target could not take.  The runner
 * reports it, counts it against this stage and writes it to the
 * dead-letter target with eb's reason (and eb->detail), as it does for
 * process() returning -1.  eb->status says what the run's exit status
 * becomes: STATUS_REJECT (1) for an event that was bad or failed, or
 * STATUS_IO (3) for a target that failed for good (the run goes on).
 * Returns 0 to go on, 1 when --on-error stop says to stop reading (stop
 * emitting and return 1), -1 with eb filled if the dead-letter target
 * failed (fatal).  eb is cleared on 0 and 1.  rec is borrowed.
 */
static inline int
stage_reject(const struct stage_env *env, struct record *rec, struct errbuf *eb)
{
	return env->reject_fn(env, rec, eb);
}

struct stage_entry {
	const char *name;	/* "filter" */
	const char *alias;	/* NULL, or another name ("convert") */
	const char *summary;	/* one line for "evpipe help" */
	const char *args;	/* positional words for the usage line ("EXPR");
				 * the options are added from opts */
	const struct opt *opts; /* terminated by { NULL } */
	size_t ctx_size;	/* runner callocs; opt_parse fills it */
	int min_args, max_args; /* positional words; max -1 = any */
	unsigned flags;
#define STAGE_NEEDS_JSON 0x1 /* runner makes sure the value is parsed */
#define STAGE_RAW                                                              \
	0x2 /* reads only the raw bytes, never rec->scan or the                \
	     * value: when every stage is so, the runner checks                \
	     * lines without a tape, on a second thread */
	/* Set option defaults in the fresh ctx, before parsing; may be NULL. */
	void (*defaults)(void *ctx);
	int (*init)(void *ctx, int argc, char **argv,
		    const struct stage_env *env, struct errbuf *eb);
	int (*process)(void *ctx, struct record *rec, struct emit *out,
		       struct errbuf *eb);
	/* Earliest monotonic deadline in ns, or INT64_MAX; NULL if none. */
	int64_t (*next_deadline)(void *ctx);
	int (*timer)(void *ctx, int64_t now_ns, struct emit *out,
		     struct errbuf *eb);
	/*
	 * The lowest seq (struct record) of the events the stage holds and
	 * has not yet passed on or rejected (an open batch, a sort
	 * window), or UINT64_MAX if none.  A --checkpoint never covers
	 * them.  NULL: the stage holds no events.
	 */
	uint64_t (*held)(void *ctx);
	/* Write out buffered output (the input went idle); may be NULL. */
	int (*flush)(void *ctx, struct errbuf *eb);
	/* End of input (or SIGINT/SIGTERM drain): emit what is held. */
	int (*finish)(void *ctx, struct emit *out, struct errbuf *eb);
	/*
	 * After init(): nonzero if this instance reads only the raw bytes,
	 * as STAGE_RAW says for every instance (batch without -k).  NULL:
	 * the flags decide.
	 */
	int (*raw)(void *ctx);
	/* Print per-stage facts for -v at exit (may be NULL). */
	void (*report)(void *ctx, FILE *fp);
	/*
	 * Release what the stage holds.  Called for every stage whose
	 * init() was called, also when init() failed partway: it must take
	 * a ctx that is zero but for defaults() and the options.
	 */
	void (*free)(void *ctx);
};

/* Look a command up by name or alias; NULL if unknown. */
const struct stage_entry *stage_find(const char *name);

#endif
