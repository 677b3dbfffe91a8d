/*
 * expr.h -- the expression language: a subset of jq with jq's semantics
 * (evpipe-expr(7)).
 *
 * An expression is compiled once and evaluated for every event.  Every
 * expression is a generator: for one input it produces zero or more
 * outputs, handed one at a time to a callback.
 *
 * Ownership: inputs are borrowed (never modified); every value passed to
 * an expr_out_fn is borrowed for the duration of the call only
 * (json_incref() it to keep it).  expr_single() returns a new reference.
 */
#ifndef EXPR_H
#define EXPR_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

struct buf;
struct errbuf;
struct expr;

/*
 * Compile src.  named_args (borrowed, may be NULL) is an object whose
 * members are visible as $NAME (--arg/--argjson); it is read at compile
 * time only.  Returns NULL with a STATUS_USAGE error in eb naming the
 * construct and its 1-based column; *errpos (may be NULL) gets the byte
 * offset of the error in src, for expr_caret().
 */
struct expr *expr_compile(const char *src, json_t *named_args, size_t *errpos,
			  struct errbuf *eb);

/* Free a compiled expression; NULL is fine. */
void expr_free(struct expr *x);

/*
 * input_filename: whether x calls it, and the name it returns for the
 * events evaluated from now on (borrowed, must outlive them; NULL for
 * null, the standard input).  Callers set it per event only when x
 * reads it.
 */
int expr_uses_input_name(const struct expr *x);
void expr_set_input_name(struct expr *x, const char *name);

/*
 * input_meta: whether x calls it; whether any expression compiled so far
 * in this process does (so sources know whether to build metadata); and
 * the metadata text (a JSON object, struct record's meta; borrowed, must
 * outlive the evaluations; NULL for null) for the events evaluated from
 * now on.  Callers set it per event only when x reads it.
 */
int expr_uses_input_meta(const struct expr *x);
int expr_input_meta_used(void);
void expr_set_input_meta(struct expr *x, const char *meta, size_t len);

/*
 * Called for each output.  Return 0 to go on, 1 to stop the evaluation
 * early (expr_eval() then returns 0), or -1 with eb filled to abort.
 */
typedef int (*expr_out_fn)(void *arg, json_t *out, struct errbuf *eb);

/*
 * Evaluate x on in, calling fn for each output.  Returns 0, or -1 with eb
 * filled: STATUS_REJECT for an evaluation error (message as jq words it,
 * e.g. `Cannot index string with string "b"`), or whatever status fn set.
 */
int expr_eval(struct expr *x, json_t *in, expr_out_fn fn, void *arg,
	      struct errbuf *eb);

/*
 * Predicate: 1 if any output is truthy (neither false nor null), 0 if
 * none is, -1 on an evaluation error.  Stops at the first truthy output,
 * so errors after it are not seen (as with jq's any/2).
 */
int expr_truthy(struct expr *x, json_t *in, struct errbuf *eb);

/*
 * Key: the one output of x on in (a new reference), or NULL with a
 * STATUS_REJECT error if x fails or yields no value or more than one.
 */
json_t *expr_single(struct expr *x, json_t *in, struct errbuf *eb);

/*
 * Set by the runner's signal handler to the signal's number: every
 * evaluation then stops at its next step and fails with "interrupted by
 * SIGTERM" (or SIGINT), so an event never holds up the end of a run.
 */
extern volatile sig_atomic_t expr_interrupt;

/*
 * Append v to out serialized compactly as jq 1.6 prints it (numbers in
 * shortest round-trip form, 1e+17 style exponents, NaN as null, infinities
 * as +-1.7976931348623157e+308; 64-bit integers exactly).  -1 if it
 * prints to more than 64 MiB (a value that shares its parts, as
 * assignments make them, can print exponentially larger than the work
 * that built it): out then holds a cut piece, not JSON.
 */
#define EXPR_DUMP_MAX_TEXT "64 MiB"
int expr_dump(json_t *v, struct buf *out);

/*
 * Append a caret line pair for an error at byte offset pos of src to
 * out: the expression (or an excerpt around pos) on one line and a '^'
 * under the offending byte on the next, both indented by two spaces.
 */
void expr_caret(const char *src, size_t pos, struct buf *out);

#endif
