/*
 * expr-fast.h -- evaluating the commonest expressions straight on the
 * scanner's tape, without building any jansson value.
 *
 * Predicates made of field paths, scalar literals, comparisons, and, or,
 * not and test(REGEX) (".type == \"order.paid\" and .data.amount > 100",
 * ".type | test(\"^order\\\\.\")") and projections made of paths and
 * literals ("{id, type, amount: .data.amount}", ".user.email") are
 * recognized at compile time.  For each event they either give the answer
 * the full evaluator would give, or say they cannot (a type error to
 * report, a container to compare, a string to re-escape): the caller then
 * evaluates the expression the ordinary way.  So they change speed, never
 * results.
 */
#ifndef EXPR_FAST_H
#define EXPR_FAST_H

#include <stddef.h>

struct buf;
struct expr;
struct expr_fast;
struct jscan;
struct jscan_step;

/* A fast plan for x, or NULL if x is not of a recognized shape. */
struct expr_fast *expr_fast_new(const struct expr *x);
void expr_fast_free(struct expr_fast *f);

#define EXPR_FAST_UNSURE (-2)

/*
 * As a predicate on the line last scanned by js: 1 (some output is
 * truthy), 0 (none), or EXPR_FAST_UNSURE.
 */
int expr_fast_truthy(struct expr_fast *f, struct jscan *js);

/*
 * As map would use it: append its one output, printed as jq prints it,
 * to out and return 0; or EXPR_FAST_UNSURE with out unchanged.
 */
int expr_fast_project(struct expr_fast *f, struct jscan *js, struct buf *out);

/* The same with numbers spelled canonically (jnum_canon()): key bytes. */
int expr_fast_key(struct expr_fast *f, struct jscan *js, struct buf *out);

/*
 * Is f "PATH == \"STRING\"" (or "\"STRING\" == PATH")?  1 with the path's
 * steps and the string (borrowed from f, valid while f lives), else 0.
 * For a stage that asks one field the same question many times (route
 * by .type): one lookup, then string compares, answer as f would.
 */
int expr_fast_path_eq_string(const struct expr_fast *f,
			     const struct jscan_step **steps, size_t *nsteps,
			     const char **s, size_t *len);

#endif
