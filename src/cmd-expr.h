/*
 * cmd-expr.h -- what the commands that take an expression share.
 */
#ifndef CMD_EXPR_H
#define CMD_EXPR_H

#include <jansson.h>

struct errbuf;
struct expr;
struct stage_env;

/*
 * Compile src with the global --arg/--argjson values of env and the
 * stage's own (stage_named, may be NULL; they win).  On error, a usage
 * error whose message holds the column, and the expression with a caret
 * under the error on the next lines.
 */
struct expr *cmd_expr_compile(const char *src, const struct stage_env *env,
			      json_t *stage_named, struct errbuf *eb);

/*
 * The value to evaluate an expression on for rec: with an access plan
 * (expr_access_new) and a scanned, unchanged line, a new object holding
 * only what the expression reads (*owned = 1: json_decref it); else the
 * record's whole value (*owned = 0, borrowed).  NULL with a reject error
 * if the record's bytes are not JSON.
 */
struct expr_access;
struct record;
json_t *cmd_expr_input(const struct expr_access *a, struct record *rec,
		       int *owned, struct errbuf *eb);

#endif
