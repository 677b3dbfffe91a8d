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

#endif
