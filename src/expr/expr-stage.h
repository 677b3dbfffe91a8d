/*
 * expr/expr-stage.h -- what the commands that take an expression share:
 * compiling it with its named arguments, and its fast paths.
 */
#ifndef EXPR_STAGE_H
#define EXPR_STAGE_H

#include <jansson.h>

struct buf;
struct errbuf;
struct expr;
struct expr_access;
struct expr_fast;
struct record;
struct stage_env;

/* A command's compiled expression, with the fast paths its shape allows. */
struct cmd_expr {
	struct expr *expr;
	struct expr_access *access; /* what it reads, if not the whole event */
	struct expr_fast *fast;	    /* its answer from the tape, if possible */
	int input_name;		    /* it calls input_filename */
	int input_meta;		    /* it calls input_meta */
};

/*
 * Compile src with the global --arg/--argjson values of env and the
 * stage's own (stage_named, may be NULL; they win).  On error, -1 and a
 * usage error whose message holds the column, and the expression with a
 * caret under the error on the next lines.  The fast paths are left out
 * when EVPIPE_NO_FAST is set in the environment, which makes every
 * expression run on the whole event -- to check that both agree.
 */
int cmd_expr_init(struct cmd_expr *ce, const char *src,
		  const struct stage_env *env, json_t *stage_named,
		  struct errbuf *eb);
void cmd_expr_release(struct cmd_expr *ce);

/* The tape plan to use for rec (scanned and unchanged), or NULL. */
struct expr_fast *cmd_expr_fast(const struct cmd_expr *ce,
				const struct record *rec);

/*
 * The value to evaluate the expression on for rec: with an access plan
 * and a scanned, unchanged line, a new object holding only what the
 * expression reads (*owned = 1: json_decref it); else the record's whole
 * value (*owned = 0, borrowed).  NULL with a reject error if the record's
 * bytes are not JSON.
 */
json_t *cmd_expr_input(const struct cmd_expr *ce, struct record *rec,
		       int *owned, struct errbuf *eb);

/*
 * A key (-k EXPR, --time EXPR, --by EXPR): an expression that must yield
 * exactly one value per event (DESIGN 2.3).
 */
int cmd_key_init(struct cmd_expr *ce, const char *src,
		 const struct stage_env *env, json_t *stage_named,
		 struct errbuf *eb);

/*
 * The key's canonical bytes for rec: its one value printed as jq -c
 * prints it (so "a" and "\u0061" give the same bytes, and 1.0 and 1 do
 * as jq prints them), written to out after resetting it.  Read from the
 * tape when the expression allows, else evaluated.  0, or -1 with a
 * STATUS_REJECT error (evaluation error, no value, several values).
 */
int cmd_key_bytes(const struct cmd_expr *ce, struct record *rec,
		  struct buf *out, struct errbuf *eb);

/* The key's value: a new reference, or NULL with a STATUS_REJECT error. */
json_t *cmd_key_value(const struct cmd_expr *ce, struct record *rec,
		      struct errbuf *eb);

/*
 * The key read as an event time (evtime_from_json: RFC 3339, epoch
 * seconds or milliseconds) into *ns: 0, or -1 with a STATUS_REJECT
 * error prefixed with opt, the option that named the expression.
 */
int cmd_key_time(const struct cmd_expr *ce, struct record *rec, const char *opt,
		 int64_t *ns, struct errbuf *eb);

#endif
