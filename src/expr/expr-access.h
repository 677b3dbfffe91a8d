/*
 * expr-access.h -- build only the part of an event an expression reads.
 *
 * Most expressions read a few fields of the event (".type", ".data.amount")
 * and never the event as a whole.  For those, expr_access_new() finds at
 * compile time every path from the input that is read, and
 * expr_access_input() builds from a scanned line an object holding only
 * those paths, each subtree in full.  Evaluating the expression on it
 * gives exactly what evaluating it on the whole event gives, at a
 * fraction of the cost of building the whole jansson tree.
 *
 * An expression that can see the whole input (".", "keys", "length",
 * "del(.a)", "..", "tojson", "select(...)" which passes "." on, any
 * builtin applied to the input itself) gets no access plan: the caller
 * builds the whole value as before.
 */
#ifndef EXPR_ACCESS_H
#define EXPR_ACCESS_H

#include <jansson.h>

struct expr;
struct expr_access;
struct jscan;

/* The paths x reads, or NULL if x may read its whole input. */
struct expr_access *expr_access_new(const struct expr *x);
void expr_access_free(struct expr_access *a);

/*
 * The input to evaluate x on for the line last scanned by js: a new
 * reference to an object with just the paths read.  NULL when that cannot
 * stand in for the whole value (the line is not an object, or a path runs
 * into a value that is not an object): then evaluate on the whole value.
 */
json_t *expr_access_input(const struct expr_access *a, struct jscan *js);

#endif
