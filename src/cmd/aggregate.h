/*
 * cmd/aggregate.h -- what the two files of aggregate share: the
 * aggregate functions (aggregate-fn.c) and the windows, groups and state
 * file of the command (aggregate.c).  See evpipe-aggregate(1).
 */
#ifndef AGGREGATE_H
#define AGGREGATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "expr/expr-stage.h"
#include "lib/buf.h"
#include "lib/ddsketch.h"
#include "lib/hll.h"

struct errbuf;
struct record;
struct stage_env;

/* Values kept exactly per group and window before a sketch takes over. */
#define AGG_EXACT_VALUES   10000  /* percentiles: then DDSketch */
#define AGG_EXACT_DISTINCT 4096	  /* distinct: then HyperLogLog */
#define AGG_TOP_MIN	   64	  /* top(N): 10 N counters, at least this */
#define AGG_MAX_PCT	   32	  /* percentiles in one list */
#define AGG_MAX_BOUND	   100000 /* collect(EXPR; N) */
#define AGG_MAX_TOP	   1000	  /* top(EXPR; N): its counters are scanned */

enum agg_fn {
	AF_COUNT,
	AF_SUM,
	AF_AVG,
	AF_MIN,
	AF_MAX,
	AF_FIRST,
	AF_LAST,
	AF_PCT,
	AF_DISTINCT,
	AF_TOP,
	AF_COLLECT,
};

struct agg_spec {
	char *name;
	char *src; /* the expression's text, for messages */
	enum agg_fn fn;
	int has_x;
	struct cmd_expr x;
	double pct[AGG_MAX_PCT];
	char *pname[AGG_MAX_PCT]; /* output field of each percentile */
	size_t npct;
	uint64_t bound; /* top N, collect N */
	/* this event's value, read before any group is touched */
	struct buf in, canon;
	int skip; /* null: nothing to add */
	double d;
	int is_int;
	int64_t i;
	uint64_t h;
};

__extension__ typedef __int128 agg_i128;
__extension__ typedef unsigned __int128 agg_u128;

struct agg_ext { /* min, max, first, last */
	int set;
	double d;
	char *text;
	size_t len;
	uint64_t ord; /* arrival number, for first/last */
};

struct agg_top_e {
	char *v;
	size_t len;
	uint64_t h, count;
};

struct agg_val {
	uint64_t n;
	union {
		struct {
			int inexact;
			agg_i128 isum;
			double sum, comp;
		} s;
		struct agg_ext e;
		struct {
			double *v;
			size_t cap;
			struct ddsketch *dd;
		} p;
		struct {
			uint64_t *set; /* open addressing, 0: empty */
			size_t cap;
			int has_zero; /* the hash 0 itself was seen */
			struct hll *hll;
		} d;
		struct {
			struct agg_top_e *e;
			size_t cap;
		} t;
		struct {
			struct buf b; /* the values, comma-separated */
		} c;
	} u;
};

/*
 * Parse "-a NAME=FUNC(ARGS)" and compile its expression: 0, or -1 with
 * a usage error.
 */
int agg_spec_parse(struct agg_spec *s, const char *text,
		   const struct stage_env *env, json_t *named,
		   struct errbuf *eb);
void agg_spec_release(struct agg_spec *s);

/* Read the spec's value of rec into s (s->skip, s->d, s->in ...). */
int agg_read(struct agg_spec *s, struct record *rec, struct errbuf *eb);

void agg_val_init(const struct agg_spec *s, struct agg_val *v);
void agg_val_release(const struct agg_spec *s, struct agg_val *v);
/* Add the value agg_read() left in s; ord: the event's arrival number. */
void agg_add(struct agg_spec *s, struct agg_val *v, uint64_t ord);
/* Add src into dst (session windows that meet); src is left as is. */
void agg_merge(const struct agg_spec *s, struct agg_val *dst,
	       const struct agg_val *src);
/* Append ,"NAME":VALUE members (one or more) to out. */
void agg_print(const struct agg_spec *s, struct agg_val *v, struct buf *out);

/* The state file form of v, and back (-1 with a message in eb). */
json_t *agg_save(const struct agg_spec *s, const struct agg_val *v);
int agg_load(const struct agg_spec *s, struct agg_val *v, const json_t *j,
	     struct errbuf *eb);

/* A double as exact hex text ("%a"), and back: 0, or -1. */
json_t *agg_dbl_json(double d);
int agg_json_dbl(const json_t *j, double *d);

/*
 * Load a state file's bytes into the ctx of an aggregate stage just
 * init()ed without --state: 0, or -1 with a usage error (for the fuzzer).
 */
int aggregate_state_load(void *ctx, const char *text, size_t len,
			 struct errbuf *eb);
/* The "def" a state file of this ctx must name (32 hex digits + NUL). */
void aggregate_state_def(void *ctx, char out[33]);

#endif
