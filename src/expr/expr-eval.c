/*
 * expr-eval.c -- tree-walking evaluator with jq's generator semantics.
 *
 * Every node is evaluated by ev(), which calls a callback once per output
 * (continuation-passing; backtracking is the return to the caller).  The
 * return value travels back up: 0 go on, -1 an error (its value in
 * c->err), 1 stop (c->stop names the construct that asked, e.g. first/1,
 * limit/2 or expr_truthy(), which turns it back into 0).
 *
 * evp() evaluates path expressions (path(f), assignments, del) and calls
 * back with each (path, value) pair.  Value access goes through val_*()
 * in expr-value.c so a later fast path can work on scanned lines.
 *
 * Functions written with def are called, not expanded (recursion): a
 * call is a frame holding its closure arguments as (node, the call
 * site's frame and variables) pairs; see "def'd functions" below.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "expr-impl.h"
#include "lib/xmalloc.h"

/*
 * An error costs more than a step (a message is formatted), and "?" can
 * catch millions of them while hardly any other work is counted: each
 * counts as EV_ERROR_STEPS, and past the limit every error is the limit's.
 */
#define EV_ERROR_STEPS 8

volatile sig_atomic_t expr_interrupt;

/* The limit's message, or 0 if the evaluation may go on. */
static int
ev_limit_msg(struct ectx *c, char *msg, size_t size)
{
	int sig = expr_interrupt;

	if (sig)
		snprintf(msg, size, "interrupted by %s",
			 sig == SIGTERM	 ? "SIGTERM"
			 : sig == SIGINT ? "SIGINT"
					 : "a signal");
	else if (c->steps > EXPR_MAX_STEPS)
		snprintf(msg, size, "expression evaluation exceeded %lu steps",
			 EXPR_MAX_STEPS);
	else
		return 0;
	return 1;
}

int
ev_error(struct ectx *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	c->steps += EV_ERROR_STEPS;
	if (!ev_limit_msg(c, msg, sizeof msg)) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	json_decref(c->err);
	c->err = val_string(msg, strlen(msg));
	c->err_down = 0;
	return -1;
}

int
ev_error_value(struct ectx *c, json_t *v)
{
	json_decref(c->err);
	c->err = v;
	c->err_down = 0;
	return -1;
}

/* Past EXPR_MAX_DEPTH: say so, and whether def'd functions recurse. */
static int
ev_depth_error(struct ectx *c)
{
	if (c->calls)
		return ev_error(c,
				"expression nesting too deep (in %d nested "
				"calls of def'd functions)",
				c->calls);
	return ev_error(c, "expression nesting too deep");
}

int
ev_tick(struct ectx *c)
{
	return ev_tick_n(c, 1);
}

int
ev_tick_n(struct ectx *c, size_t n)
{
	c->steps += n;
	if (c->steps > EXPR_MAX_STEPS || expr_interrupt)
		return ev_error(c, "%s", "stopped"); /* the limit's message */
	return 0;
}

/* ---- small callbacks ----------------------------------------------------- */

static int
collect_cb(struct ectx *c, json_t *v, void *arg)
{
	if (ev_tick(c) < 0)
		return -1;
	json_array_append((json_t *)arg, v);
	return 0;
}

json_t *
ev_collect(struct ectx *c, const struct enode *n, json_t *in)
{
	json_t *arr = json_array();

	if (ev(c, n, in, collect_cb, arr) != 0) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* ---- .. ------------------------------------------------------------------ */

static int
ev_recurse(struct ectx *c, json_t *v, ev_fn fn, void *arg)
{
	int rc;

	if (++c->depth > EXPR_MAX_DEPTH) {
		c->depth--;
		return ev_depth_error(c);
	}
	rc = fn(c, v, arg);
	if (rc == 0 && json_is_array(v)) {
		size_t i;

		for (i = 0; rc == 0 && i < json_array_size(v); i++)
			rc = ev_recurse(c, json_array_get(v, i), fn, arg);
	} else if (rc == 0 && json_is_object(v)) {
		const char *k;
		json_t *m;

		json_object_foreach(v, k, m) {
			rc = ev_recurse(c, m, fn, arg);
			if (rc)
				break;
		}
	}
	c->depth--;
	return rc;
}

/* ---- indexing --------------------------------------------------------------
 */

struct index_st {
	const struct enode *n;
	json_t *in, *key, *key2;
	ev_fn fn;
	void *arg;
};

static int
index_subject_cb(struct ectx *c, json_t *s, void *arg)
{
	struct index_st *st = arg;
	json_t *out;
	int rc;

	if (st->n->kind == EN_SLICE)
		rc = val_slice(c, s, st->key, st->key2, &out);
	else
		rc = val_index(c, s, st->key, &out);
	if (rc < 0) {
		if (!st->n->op)
			return -1;
		json_decref(c->err); /* .a? */
		c->err = NULL;
		return 0;
	}
	rc = st->fn(c, out, st->arg);
	json_decref(out);
	return rc;
}

static int
index_key2_cb(struct ectx *c, json_t *k, void *arg)
{
	struct index_st *st = arg;

	st->key2 = k;
	return ev(c, st->n->a, st->in, index_subject_cb, st);
}

static int
index_key_cb(struct ectx *c, json_t *k, void *arg)
{
	struct index_st *st = arg;

	st->key = k;
	if (st->n->kind == EN_SLICE) {
		if (!st->n->c) {
			st->key2 = json_null();
			return ev(c, st->n->a, st->in, index_subject_cb, st);
		}
		return ev(c, st->n->c, st->in, index_key2_cb, st);
	}
	return ev(c, st->n->a, st->in, index_subject_cb, st);
}

static int
ev_index(struct ectx *c, const struct enode *n, json_t *in, ev_fn fn, void *arg)
{
	struct index_st st = { n, in, NULL, NULL, fn, arg };

	/* Fast path: .name on the input, no allocation. */
	if (n->kind == EN_INDEX && n->a->kind == EN_IDENTITY &&
	    n->b->kind == EN_LIT) {
		json_t *out;

		if (json_is_object(in) && json_is_string(n->b->lit)) {
			/* borrowed: no reference taken */
			out = json_object_getn(in, json_string_value(n->b->lit),
					       json_string_length(n->b->lit));
			return fn(c, out ? out : json_null(), arg);
		}
		st.key = n->b->lit;
		return index_subject_cb(c, in, &st);
	}
	if (n->kind == EN_SLICE && !n->b) {
		st.key = json_null();
		return index_key_cb(c, json_null(), &st);
	}
	return ev(c, n->b, in, index_key_cb, &st);
}

static int
ev_iter_value(struct ectx *c, json_t *v, ev_fn fn, void *arg)
{
	int rc = 0;

	if (json_is_array(v)) {
		size_t i;

		for (i = 0; rc == 0 && i < json_array_size(v); i++)
			rc = fn(c, json_array_get(v, i), arg);
		return rc;
	}
	if (json_is_object(v)) {
		const char *k;
		json_t *m;

		json_object_foreach(v, k, m) {
			rc = fn(c, m, arg);
			if (rc)
				break;
		}
		return rc;
	}
	{
		char d[64];

		val_describe(v, d, sizeof(d));
		return ev_error(c, "Cannot iterate over %s", d);
	}
}

struct pass_st {
	ev_fn fn;
	void *arg;
};

static int
ev_iter_opt(struct ectx *c, json_t *v, int opt, ev_fn fn, void *arg)
{
	if (opt && !json_is_array(v) && !json_is_object(v))
		return 0; /* .[]? */
	return ev_iter_value(c, v, fn, arg);
}

struct iter_st {
	int opt;
	ev_fn fn;
	void *arg;
};

static int
iter_cb(struct ectx *c, json_t *v, void *arg)
{
	struct iter_st *st = arg;

	return ev_iter_opt(c, v, st->opt, st->fn, st->arg);
}

/* ---- try ----------------------------------------------------------------- */

struct try_st {
	ev_fn fn;
	void *arg;
	int down; /* the consumer failed: not ours to catch */
};

static int
try_cb(struct ectx *c, json_t *v, void *arg)
{
	struct try_st *st = arg;
	int rc = st->fn(c, v, st->arg);

	if (rc < 0)
		st->down = 1;
	return rc;
}

static int
ev_try(struct ectx *c, const struct enode *n, json_t *in, ev_fn fn, void *arg)
{
	struct try_st st = { fn, arg, 0 };
	json_t *err;
	int rc;

	rc = ev(c, n->a, in, try_cb, &st);
	if (rc >= 0 || st.down || c->err_down)
		return rc;
	err = c->err ? c->err : json_null();
	c->err = NULL;
	if (!n->b) {
		json_decref(err);
		return 0;
	}
	rc = ev(c, n->b, err, fn, arg);
	json_decref(err);
	return rc;
}

/* ---- binary operators --------------------------------------------------- */

struct bin_st {
	const struct enode *n;
	json_t *in, *rhs;
	ev_fn fn;
	void *arg;
	json_t *own; /* in, if this node may change it in place */
};

static int
bin_lhs_cb(struct ectx *c, json_t *lv, void *arg)
{
	struct bin_st *st = arg;
	json_t *out;
	int rc;

	/* ". + $x" on a reduce's accumulator that nothing else holds: an
	 * append, not a copy (jq does the same when the refcount is 1) */
	if (st->own && lv == st->own && lv->refcount == 1 && lv != st->rhs &&
	    st->n->op == OP_ADD) {
		rc = val_add_own(c, lv, st->rhs);
		if (rc < 0)
			return -1;
		if (rc > 0)
			return st->fn(c, lv, st->arg);
	}
	if (val_binop(c, st->n->op, lv, st->rhs, &out) < 0)
		return -1;
	rc = st->fn(c, out, st->arg);
	json_decref(out);
	return rc;
}

static int
bin_rhs_cb(struct ectx *c, json_t *rv, void *arg)
{
	struct bin_st *st = arg;

	st->rhs = rv;
	return ev(c, st->n->a, st->in, bin_lhs_cb, st);
}

static int
and_rhs_cb(struct ectx *c, json_t *rv, void *arg)
{
	struct bin_st *st = arg;

	return st->fn(c, json_boolean(val_truthy(rv)), st->arg);
}

static int
and_lhs_cb(struct ectx *c, json_t *lv, void *arg)
{
	struct bin_st *st = arg;
	int t = val_truthy(lv);

	if (st->n->kind == EN_AND && !t)
		return st->fn(c, json_false(), st->arg);
	if (st->n->kind == EN_OR && t)
		return st->fn(c, json_true(), st->arg);
	return ev(c, st->n->b, st->in, and_rhs_cb, st);
}

struct alt_st {
	ev_fn fn;
	void *arg;
	int found, down;
};

static int
alt_cb(struct ectx *c, json_t *v, void *arg)
{
	struct alt_st *st = arg;
	int rc;

	if (!val_truthy(v))
		return 0;
	st->found = 1;
	rc = st->fn(c, v, st->arg);
	if (rc < 0)
		st->down = 1;
	return rc;
}

static int
ev_alt(struct ectx *c, const struct enode *n, json_t *in, ev_fn fn, void *arg)
{
	struct alt_st st = { fn, arg, 0, 0 };
	int rc = ev(c, n->a, in, alt_cb, &st);

	/* jq 1.6 does not suppress errors on the left of // */
	if (rc != 0 || st.found)
		return rc;
	return ev(c, n->b, in, fn, arg);
}

static int
neg_cb(struct ectx *c, json_t *v, void *arg)
{
	struct pass_st *st = arg;
	json_t *out;
	int rc;

	if (!val_is_number(v)) {
		char d[64];

		val_describe(v, d, sizeof(d));
		return ev_error(c, "%s cannot be negated", d);
	}
	out = json_is_integer(v) && json_integer_value(v) != 0 &&
			      json_integer_value(v) > -(1LL << 62)
		      ? json_integer(-json_integer_value(v))
		      : val_number(-val_num(v));
	rc = st->fn(c, out, st->arg);
	json_decref(out);
	return rc;
}

struct pipe_st {
	const struct enode *n;
	ev_fn fn;
	void *arg;
};

static int
pipe_cb(struct ectx *c, json_t *v, void *arg)
{
	struct pipe_st *st = arg;

	return ev(c, st->n, v, st->fn, st->arg);
}

struct if_st {
	const struct enode *n;
	json_t *in;
	ev_fn fn;
	void *arg;
};

static int
if_cb(struct ectx *c, json_t *cond, void *arg)
{
	struct if_st *st = arg;

	return ev(c, val_truthy(cond) ? st->n->b : st->n->c, st->in, st->fn,
		  st->arg);
}

/* ---- object construction ------------------------------------------------ */

struct obj_st {
	const struct enode *n;
	json_t *in;
	int i;
	json_t *cur; /* borrowed: the object built so far */
	json_t *key;
	ev_fn fn;
	void *arg;
};

static int obj_step(struct ectx *, struct obj_st *);

static int
obj_val_cb(struct ectx *c, json_t *v, void *arg)
{
	struct obj_st *st = arg, next = *st;
	int rc;

	next.cur = json_copy(st->cur);
	json_object_setn_nocheck(next.cur, json_string_value(st->key),
				 json_string_length(st->key), v);
	next.i = st->i + 1;
	rc = obj_step(c, &next);
	json_decref(next.cur);
	return rc;
}

static int
obj_key_cb(struct ectx *c, json_t *k, void *arg)
{
	struct obj_st *st = arg;
	const struct enode *vn = st->n->vals[st->i];

	if (!json_is_string(k)) {
		char d[64];

		val_describe(k, d, sizeof(d));
		return ev_error(c, "Cannot use %s as object key", d);
	}
	st->key = k;
	if (!vn) {
		json_t *v;
		int rc;

		if (val_index(c, st->in, k, &v) < 0)
			return -1;
		rc = obj_val_cb(c, v, st);
		json_decref(v);
		return rc;
	}
	return ev(c, vn, st->in, obj_val_cb, st);
}

static int
obj_step(struct ectx *c, struct obj_st *st)
{
	if (st->i == st->n->n)
		return st->fn(c, st->cur, st->arg);
	return ev(c, st->n->args[st->i], st->in, obj_key_cb, st);
}

/* ---- interpolated strings ---------------------------------------------- */

struct str_st {
	const struct enode *n;
	json_t *in;
	int j;		    /* part being evaluated (from the last) */
	struct buf *suffix; /* text after part j */
	ev_fn fn;
	void *arg;
};

static int str_step(struct ectx *, struct str_st *);

static int
str_part_cb(struct ectx *c, json_t *v, void *arg)
{
	struct str_st *st = arg, next = *st;
	struct buf b = BUF_INIT;
	json_t *s;
	int rc;

	if (strcmp(st->n->fmt, "text") == 0)
		s = val_tostring(v);
	else if (!(s = builtin_format(c, st->n->fmt, v)))
		return -1;
	buf_add(&b, json_string_value(st->n->lits[st->j]),
		json_string_length(st->n->lits[st->j]));
	buf_add(&b, json_string_value(s), json_string_length(s));
	buf_add(&b, st->suffix->data, st->suffix->len);
	json_decref(s);
	/* each combination of the parts' outputs is a string built: work
	 * like any copy, or "\(..)\(..)..." runs for minutes unbounded */
	if (ev_tick_n(c, 1 + b.len / EV_COPY_BYTES) < 0) {
		buf_release(&b);
		return -1;
	}
	next.suffix = &b;
	next.j = st->j - 1;
	rc = str_step(c, &next);
	buf_release(&b);
	return rc;
}

static int
str_step(struct ectx *c, struct str_st *st)
{
	if (st->j < 0) {
		json_t *s = val_string(st->suffix->data, st->suffix->len);
		int rc = st->fn(c, s, st->arg);

		json_decref(s);
		return rc;
	}
	return ev(c, st->n->args[st->j], st->in, str_part_cb, st);
}

/* ---- variables and patterns --------------------------------------------- */

typedef int (*bind_k)(struct ectx *, void *arg);

struct bind_st {
	const struct epat *pat;
	json_t *val;
	int i;
	bind_k k;
	void *karg;
};

static int pat_bind(struct ectx *, const struct epat *, json_t *v, bind_k k,
		    void *karg);

static int pat_obj_step(struct ectx *, void *arg);

static int
pat_set(struct ectx *c, int slot, json_t *v, bind_k k, void *karg)
{
	json_t *old = c->x->slots[slot];
	int rc;

	c->x->slots[slot] = v;
	rc = k(c, karg);
	c->x->slots[slot] = old;
	return rc;
}

static int
pat_arr_step(struct ectx *c, void *arg)
{
	struct bind_st *st = arg, next = *st;
	json_t *idx, *elem;
	int rc;

	if (st->i == st->pat->n)
		return st->k(c, st->karg);
	if (!json_is_array(st->val) && !json_is_null(st->val))
		return ev_error(c, "Cannot index %s with number",
				val_kind(st->val));
	idx = json_integer(st->i);
	rc = val_index(c, st->val, idx, &elem);
	json_decref(idx);
	if (rc < 0)
		return -1;
	next.i = st->i + 1;
	rc = pat_bind(c, st->pat->sub[st->i], elem, pat_arr_step, &next);
	json_decref(elem);
	return rc;
}

struct pat_key_st {
	struct bind_st *st;
};

static int
pat_key_cb(struct ectx *c, json_t *k, void *arg)
{
	struct bind_st *st = arg, next = *st;
	json_t *elem;
	int rc, slot = st->pat->keyslots[st->i];

	if (!json_is_string(k)) {
		char d[64];

		val_describe(k, d, sizeof(d));
		return ev_error(c, "Cannot index %s with %s", val_kind(st->val),
				val_kind(k));
		(void)d;
	}
	if (!json_is_object(st->val) && !json_is_null(st->val))
		return ev_error(c, "Cannot index %s with \"%s\"",
				val_kind(st->val), json_string_value(k));
	if (val_index(c, st->val, k, &elem) < 0)
		return -1;
	next.i = st->i + 1;
	if (slot >= 0 && st->pat->sub[st->i]) {
		/* {$name: pattern} binds $name and destructures it */
		json_t *old = c->x->slots[slot];

		c->x->slots[slot] = elem;
		rc = pat_bind(c, st->pat->sub[st->i], elem, pat_obj_step,
			      &next);
		c->x->slots[slot] = old;
	} else if (slot >= 0) {
		rc = pat_set(c, slot, elem, pat_obj_step, &next);
	} else {
		rc = pat_bind(c, st->pat->sub[st->i], elem, pat_obj_step,
			      &next);
	}
	json_decref(elem);
	return rc;
}

static int
pat_obj_step(struct ectx *c, void *arg)
{
	struct bind_st *st = arg;

	if (st->i == st->pat->n)
		return st->k(c, st->karg);
	return ev(c, st->pat->keys[st->i], st->val, pat_key_cb, st);
}

static int
pat_bind(struct ectx *c, const struct epat *pat, json_t *v, bind_k k,
	 void *karg)
{
	struct bind_st st = { pat, v, 0, k, karg };

	switch (pat->kind) {
	case PAT_VAR:
		return pat_set(c, pat->slot, v, k, karg);
	case PAT_ARRAY:
		return pat_arr_step(c, &st);
	default:
		return pat_obj_step(c, &st);
	}
}

struct as_st {
	const struct enode *n;
	json_t *in;
	ev_fn fn;
	void *arg;
};

static int
as_body(struct ectx *c, void *arg)
{
	struct as_st *st = arg;

	return ev(c, st->n->b, st->in, st->fn, st->arg);
}

/*
 * "SRC as P1 ?// P2 ... | BODY", for one value of SRC: bind P1 and run
 * BODY; if destructuring or BODY fails (not the consumer of BODY's
 * outputs), drop the error and go on with P2, and so on: the last
 * alternative's error stands.  Outputs given before an error stand.
 * Every variable of every alternative is null unless the pattern being
 * tried binds it.  Value mode (fn) or path mode (pfn).
 */
struct asalt_st {
	const struct enode *n;
	json_t *path, *in;
	ev_fn fn;
	evp_fn pfn;
	void *arg;
	int down; /* the consumer failed */
};

static int
asalt_out_cb(struct ectx *c, json_t *v, void *arg)
{
	struct asalt_st *st = arg;
	int rc = st->fn(c, v, st->arg);

	if (rc < 0)
		st->down = 1;
	return rc;
}

static int
asalt_out_pcb(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	struct asalt_st *st = arg;
	int rc = st->pfn(c, path, v, st->arg);

	if (rc < 0)
		st->down = 1;
	return rc;
}

static int
asalt_body(struct ectx *c, void *arg)
{
	struct asalt_st *st = arg;

	if (st->pfn)
		return evp(c, st->n->b, st->path, st->in, asalt_out_pcb, st);
	return ev(c, st->n->b, st->in, asalt_out_cb, st);
}

static int
ev_as_alt(struct ectx *c, struct asalt_st *st, json_t *v)
{
	const struct epat *first = st->n->pat, *pt;
	json_t **slots = c->x->slots, **old;
	int i, rc = 0;

	old = xreallocarray(NULL, first->ngslots, sizeof(*old));
	for (i = 0; i < first->ngslots; i++)
		old[i] = slots[first->gslots[i]];
	for (pt = first; pt; pt = pt->alt) {
		for (i = 0; i < first->ngslots; i++)
			slots[first->gslots[i]] = NULL;
		st->down = 0;
		rc = pat_bind(c, pt, v, asalt_body, st);
		if (rc >= 0 || st->down || c->err_down || !pt->alt)
			break;
		json_decref(c->err);
		c->err = NULL;
		if (ev_tick(c) < 0)
			break;
	}
	for (i = 0; i < first->ngslots; i++)
		slots[first->gslots[i]] = old[i];
	free(old);
	return rc;
}

static int
as_cb(struct ectx *c, json_t *v, void *arg)
{
	struct as_st *st = arg;

	if (st->n->pat->alt) {
		struct asalt_st a = { st->n, NULL,    st->in, st->fn,
				      NULL,  st->arg, 0 };

		return ev_as_alt(c, &a, v);
	}
	return pat_bind(c, st->n->pat, v, as_body, st);
}

/* ---- reduce / foreach -----------------------------------------------------
 */

struct red_st {
	const struct enode *n;
	json_t *in;
	json_t *acc; /* owned */
	ev_fn fn;
	void *arg;
};

static int
red_last_cb(struct ectx *c, json_t *v, void *arg)
{
	json_t **last = arg;

	json_decref(*last);
	*last = json_incref(v);
	return 0;
}

static int
red_update(struct ectx *c, void *arg)
{
	struct red_st *st = arg;
	json_t *last = NULL;
	int rc;

	/* the accumulator is ours alone: UPDATE may change it in place */
	if (st->n->own && st->acc->refcount == 1)
		c->own = st->acc;
	rc = ev(c, st->n->c, st->acc, red_last_cb, &last);
	c->own = NULL;
	if (rc != 0) {
		json_decref(last);
		return rc;
	}
	json_decref(st->acc);
	st->acc = last ? last : json_null(); /* jq 1.6: empty gives null */
	return 0;
}

struct fe_st {
	struct red_st *st;
	int rc;
};

static int
fe_out_cb(struct ectx *c, json_t *v, void *arg)
{
	struct red_st *st = arg;
	int rc;

	json_decref(st->acc);
	st->acc = json_incref(v);
	if (st->n->d)
		rc = ev(c, st->n->d, v, st->fn, st->arg);
	else
		rc = st->fn(c, v, st->arg);
	return rc;
}

static int
fe_update(struct ectx *c, void *arg)
{
	struct red_st *st = arg;
	json_t *acc = json_incref(st->acc);
	int rc;

	/* each output of UPDATE is emitted; the last is the new state */
	rc = ev(c, st->n->c, acc, fe_out_cb, st);
	json_decref(acc);
	return rc;
}

static int
red_src_cb(struct ectx *c, json_t *v, void *arg)
{
	struct red_st *st = arg;

	return pat_bind(c, st->n->pat, v,
			st->n->kind == EN_REDUCE ? red_update : fe_update, st);
}

static int
red_init_cb(struct ectx *c, json_t *init, void *arg)
{
	struct red_st *parent = arg, st = *parent;
	int rc;

	st.acc = json_incref(init);
	rc = ev(c, st.n->a, st.in, red_src_cb, &st);
	if (rc == 0 && st.n->kind == EN_REDUCE)
		rc = st.fn(c, st.acc, st.arg);
	json_decref(st.acc);
	return rc;
}

/* ---- assignment ------------------------------------------------------------
 */

static int
paths_cb(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	if (ev_path_check(c, path, v) < 0)
		return -1;
	json_array_append((json_t *)arg, path);
	return 0;
}

/* All paths of n on in, as an array of arrays; NULL on error. */
static json_t *
ev_paths(struct ectx *c, const struct enode *n, json_t *in)
{
	json_t *paths = json_array(), *root = json_array();
	int rc = evp(c, n, root, in, paths_cb, paths);

	json_decref(root);
	if (rc != 0) {
		json_decref(paths);
		return NULL;
	}
	return paths;
}

struct first_st {
	json_t *v;
};

static int
first_cb(struct ectx *c, json_t *v, void *arg)
{
	struct first_st *st = arg;

	st->v = json_incref(v);
	c->stop = st;
	return 1;
}

/*
 * Set path p of *acc (owned) to nv, or delete it if nv is NULL.  own: the
 * caller's word that nothing but the reduce that handed in the value and
 * *acc itself hold it, checked again here (what UPDATE computed may hold
 * it too): then it is changed in place.
 */
static int
ev_setpath_acc(struct ectx *c, json_t **acc, json_t *p, json_t *nv, int own)
{
	json_t *next;
	int rc;

	if (nv && own && (*acc)->refcount == 2)
		rc = val_setpath_own(c, *acc, p, nv, &next);
	else if (nv)
		rc = val_setpath(c, *acc, p, 0, nv, &next);
	else {
		json_t *ps = json_pack("[O]", p);

		rc = val_delpaths(c, *acc, ps, &next);
		json_decref(ps);
	}
	if (rc < 0)
		return -1;
	json_decref(*acc);
	*acc = next;
	return 0;
}

/*
 * jq 1.7.1 _modify: each path gets the first output of f; the paths f
 * yields nothing for are deleted together at the end, so that deleting
 * one does not move the ones after it ((.[] | select(. >= 2)) |= empty).
 * own: in is a reduce's accumulator that may change in place (one path).
 */
static int
ev_modify(struct ectx *c, json_t *in, json_t *paths, const struct enode *f,
	  int op, json_t *operand, int own, json_t **out)
{
	json_t *acc = json_incref(in), *dels = NULL;
	size_t i;

	own = own && json_array_size(paths) == 1;
	if (own && !f && op == OP_ADD) {
		/* .[k] += [$x]: an append to the array at k, if it is ours */
		json_t *at =
			acc->refcount == 2
				? val_owned_at(acc, json_array_get(paths, 0))
				: NULL;
		int rc = at && at != operand ? val_add_own(c, at, operand) : 0;

		if (rc != 0) {
			if (rc < 0)
				json_decref(acc);
			else
				*out = acc;
			return rc < 0 ? -1 : 0;
		}
	}
	for (i = 0; i < json_array_size(paths); i++) {
		json_t *p = json_array_get(paths, i), *cur, *nv;
		struct first_st st = { NULL };
		int rc;

		if (val_getpath(c, acc, p, &cur) < 0)
			goto fail;
		if (f) {
			rc = ev(c, f, cur, first_cb, &st);
			if (rc > 0 && c->stop == &st) {
				c->stop = NULL;
				rc = 0;
			}
			if (rc != 0) {
				json_decref(st.v);
				json_decref(cur);
				json_decref(acc);
				json_decref(dels);
				return rc;
			}
			nv = st.v;
			if (!nv) {
				if (!dels)
					dels = json_array();
				json_array_append(dels, p);
				json_decref(cur);
				continue;
			}
		} else if (op == OP_ALT) {
			nv = json_incref(val_truthy(cur) ? cur : operand);
		} else if (val_binop(c, op, cur, operand, &nv) < 0) {
			json_decref(cur);
			goto fail;
		}
		json_decref(cur);
		rc = ev_setpath_acc(c, &acc, p, nv, own);
		json_decref(nv);
		if (rc < 0)
			goto fail;
	}
	if (dels) {
		json_t *next;

		if (val_delpaths(c, acc, dels, &next) < 0)
			goto fail;
		json_decref(acc);
		acc = next;
		json_decref(dels);
	}
	*out = acc;
	return 0;
fail:
	json_decref(acc);
	json_decref(dels);
	return -1;
}

struct asg_st {
	const struct enode *n;
	json_t *in;
	json_t *paths;
	ev_fn fn;
	void *arg;
	int own; /* in may change in place (a reduce's accumulator) */
};

static int
asg_rhs_cb(struct ectx *c, json_t *v, void *arg)
{
	struct asg_st *st = arg;
	json_t *out;
	int rc;

	if (st->n->op == OP_SET) {
		size_t i, n = json_array_size(st->paths);

		out = json_incref(st->in);
		for (i = 0; i < n; i++) {
			if (ev_setpath_acc(c, &out,
					   json_array_get(st->paths, i), v,
					   st->own && n == 1) < 0) {
				json_decref(out);
				return -1;
			}
		}
	} else {
		rc = ev_modify(c, st->in, st->paths, NULL, st->n->op, v,
			       st->own, &out);
		if (rc != 0)
			return rc;
	}
	rc = st->fn(c, out, st->arg);
	json_decref(out);
	return rc;
}

static int
ev_assign(struct ectx *c, const struct enode *n, json_t *in, json_t *own,
	  ev_fn fn, void *arg)
{
	struct asg_st st = { n, in, NULL, fn, arg, own != NULL };
	int rc;

	st.paths = ev_paths(c, n->a, in);
	if (!st.paths)
		return -1;
	if (n->op == OP_UPDATE) {
		json_t *out;

		rc = ev_modify(c, in, st.paths, n->b, 0, NULL, own != NULL,
			       &out);
		if (rc == 0) {
			rc = fn(c, out, arg);
			json_decref(out);
		}
	} else {
		rc = ev(c, n->b, in, asg_rhs_cb, &st);
	}
	json_decref(st.paths);
	return rc;
}

/* ---- builtins with value arguments ----------------------------------------
 */

struct cart_st {
	const struct enode *call;
	json_t *in;
	json_t *own; /* in, if the builtin may change it in place */
	json_t *args[8];
	int i; /* next argument to evaluate, from the last (as jq does) */
	cfunc_fn f;
	ev_fn fn;
	void *arg;
};

static int cart_step(struct ectx *, struct cart_st *);

static int
cart_cb(struct ectx *c, json_t *v, void *arg)
{
	struct cart_st *st = arg, next = *st;

	next.args[st->i] = v;
	next.i = st->i - 1;
	return cart_step(c, &next);
}

static int
cart_step(struct ectx *c, struct cart_st *st)
{
	json_t *out = NULL;
	int rc;

	if (st->i < 0) {
		/* only setpath looks at c->own; it takes it */
		c->own = st->own;
		rc = st->f(c, st->in, st->args, &out);
		c->own = NULL;
		if (rc < 0)
			return -1;
		/* a value the builtin built (nothing else holds it) counts
		 * as many steps as it is large: tojson, sort, to_entries... */
		if (out && out->refcount == 1 &&
		    ev_tick_n(c, val_copy_steps(out)) < 0) {
			json_decref(out);
			return -1;
		}
		if (!out)
			return 0; /* empty */
		rc = st->fn(c, out, st->arg);
		json_decref(out);
		return rc;
	}
	return ev(c, st->call->args[st->i], st->in, cart_cb, st);
}

/* Call the builtin for each combination of its argument values (the
 * last argument's outer, as jq does); own: in may change in place. */
static int
ev_cartesian(struct ectx *c, const struct enode *call, json_t *in, json_t *own,
	     ev_fn fn, void *arg)
{
	struct cart_st st;

	memset(&st, 0, sizeof(st));
	st.call = call;
	st.in = in;
	st.own = own;
	st.i = call->n - 1;
	st.f = call->fn->cfn;
	st.fn = fn;
	st.arg = arg;
	return cart_step(c, &st);
}

/* ---- def'd functions ------------------------------------------------------
 *
 * Variables live in one array of slots (x->slots), one per place that
 * binds a variable, set and restored around what they scope.  A def'd
 * function is compiled once and called for real (recursion cannot be
 * expanded inline as builtin macros are), so the same slot can be bound
 * by several calls at once, and a closure argument must see the
 * variables of the call site, not those of the body it is used in.
 *
 * Each call is a frame: the call node (its arguments are the closures),
 * the frame of the call site (where the closures are evaluated), the
 * static link (the frame of the function the def is inside, so a nested
 * def reaches its enclosing function's parameters) and a copy of the
 * slots at the call.  Evaluating a closure puts the call site's slots
 * and frame back; each output goes to its consumer with the consumer's
 * slots and frame, and the body's are put back when it returns.  What
 * the expression does without def is untouched.
 */
struct eframe {
	const struct enode *call;
	struct eframe *caller; /* where call->args are evaluated */
	struct eframe *link;   /* the frame of the def's enclosing function */
	json_t **slots;	       /* the variables at the call */
	/* every closure argument yields at most one output, and so do
	 * those of the calls it may use (funcs_single in expr-parse.c) */
	int single;
};

/* Do all of call's arguments yield at most one output, in frame f? */
static int
frame_args_single(const struct enode *call, const struct eframe *f)
{
	return (call->n == 0 ||
		(call->n < 31 && call->own == (1 << call->n) - 1)) &&
	       (!f || f->single);
}

static struct eframe *
frame_up(struct eframe *f, int hops)
{
	while (f && hops-- > 0)
		f = f->link;
	return f;
}

/* While an output goes to the consumer: the consumer's variables and
 * frame, the producer's kept in scratch. */
struct fswap {
	ev_fn fn;
	evp_fn pfn;
	void *arg;
	struct eframe *in_frame, *out_frame;
	json_t **out_slots, **scratch;
};

static int
fswap_run(struct ectx *c, struct fswap *st, json_t *path, json_t *v)
{
	size_t sz = c->x->nslots * sizeof(json_t *);
	int rc;

	if (sz) {
		memcpy(st->scratch, c->x->slots, sz);
		memcpy(c->x->slots, st->out_slots, sz);
	}
	c->frame = st->out_frame;
	rc = st->pfn ? st->pfn(c, path, v, st->arg) : st->fn(c, v, st->arg);
	if (sz)
		memcpy(c->x->slots, st->scratch, sz);
	c->frame = st->in_frame;
	return rc;
}

static int
fswap_cb(struct ectx *c, json_t *v, void *arg)
{
	return fswap_run(c, arg, NULL, v);
}

static int
fswap_pcb(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	return fswap_run(c, arg, path, v);
}

/* A body that yields at most one output: kept until it returns. */
struct fone {
	json_t *path, *val; /* owned */
};

static int
fone_cb(struct ectx *c, json_t *v, void *arg)
{
	struct fone *o = arg;

	(void)c;
	json_decref(o->val);
	o->val = json_incref(v);
	return 0;
}

static int
fone_pcb(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	struct fone *o = arg;

	json_decref(o->path);
	o->path = json_incref(path);
	return fone_cb(c, v, arg);
}

/*
 * Hand on the output kept in o (if any), now that what made it has
 * returned rc; then that rc (an error after the output stands unless
 * the consumer stopped or failed).
 */
static int
fone_deliver(struct ectx *c, struct fone *o, int rc, ev_fn fn, evp_fn pfn,
	     void *arg)
{
	json_t *err;
	int err_down, rc2;

	if (!o->val)
		return rc;
	err = c->err;
	err_down = c->err_down;
	c->err = NULL;
	rc2 = pfn ? pfn(c, o->path, o->val, arg) : fn(c, o->val, arg);
	if (rc2 != 0) {
		json_decref(err);
		rc = rc2;
	} else {
		c->err = err;
		c->err_down = err_down;
	}
	json_decref(o->path);
	json_decref(o->val);
	return rc;
}

/*
 * n yields at most one output: evaluate it, then fn on the output once
 * n has returned.  For a pipe, an if or an "as" in an expression with def'd
 * functions (n->own, set by the parser), so that a recursion such as
 * "if . > 9 then . else (. + 1 | f) end" nests less per call.
 */
static int
ev_single(struct ectx *c, const struct enode *n, json_t *in, ev_fn fn,
	  void *arg)
{
	struct fone one = { NULL, NULL };

	return fone_deliver(c, &one, ev(c, n, in, fone_cb, &one), fn, NULL,
			    arg);
}

/*
 * n is EN_FCALL (call a function) or EN_PARAM (evaluate a closure
 * argument); path NULL: value mode, outputs to fn, else path mode,
 * outputs to pfn.
 */
static int
ev_user(struct ectx *c, const struct enode *n, json_t *path, json_t *in,
	ev_fn fn, evp_fn pfn, void *arg)
{
	size_t ns = c->x->nslots, sz = ns * sizeof(json_t *);
	struct eframe fr, *outer = c->frame, *target;
	struct fswap st = { fn, pfn, arg, NULL, outer, NULL, NULL };
	const struct enode *body;
	struct fone one = { NULL, NULL };
	json_t **mem = NULL;
	int rc, single;

	if (ev_tick_n(c, 1 + ns / 16) < 0)
		return -1;
	if (ns)
		mem = xreallocarray(NULL, 2 * ns, sizeof(*mem));
	if (n->kind == EN_FCALL) {
		if (c->calls >= EXPR_MAX_CALLS) {
			free(mem);
			return ev_error(
				c,
				"%.*s/%d: recursion too deep (more "
				"than %d nested calls)",
				(int)(n->ufn->len > 40 ? 40 : n->ufn->len),
				n->ufn->name, n->ufn->arity, EXPR_MAX_CALLS);
		}
		fr.call = n;
		fr.caller = outer;
		fr.link = frame_up(outer, n->op);
		fr.slots = mem;
		fr.single = frame_args_single(n, outer);
		if (ns)
			memcpy(mem, c->x->slots, sz);
		st.in_frame = &fr;
		body = n->ufn->body;
		single = n->ufn->single && fr.single;
		c->calls++;
	} else {
		target = frame_up(outer, n->op);
		/* the call site's variables, ours kept to give back */
		if (ns) {
			memcpy(mem, c->x->slots, sz);
			memcpy(c->x->slots, target->slots, sz);
		}
		st.in_frame = target->caller;
		body = target->call->args[n->slot];
		single = n->slot < 31 && (target->call->own >> n->slot & 1) &&
			 (!target->caller || target->caller->single);
	}
	st.out_slots = mem;
	st.scratch = mem ? mem + ns : NULL; /* no variables: no memory */
	c->frame = st.in_frame;
	if (single && pfn)
		rc = evp(c, body, path, in, fone_pcb, &one);
	else if (single)
		rc = ev(c, body, in, fone_cb, &one);
	else if (pfn)
		rc = evp(c, body, path, in, fswap_pcb, &st);
	else
		rc = ev(c, body, in, fswap_cb, &st);
	c->frame = outer;
	if (n->kind == EN_FCALL)
		c->calls--;
	else if (ns)
		memcpy(c->x->slots, mem, sz);
	free(mem);
	return fone_deliver(c, &one, rc, fn, pfn, arg);
	return rc;
}

/*
 * label $name | BODY: the label's slot holds a value made for this
 * evaluation; break $name stops with it (c->stop), and here the stop
 * ends BODY without an error.  Any other stop goes on up.
 */
static int
ev_label(struct ectx *c, const struct enode *n, json_t *path, json_t *in,
	 ev_fn fn, evp_fn pfn, void *arg)
{
	json_t *token = json_object(), *old = c->x->slots[n->slot];
	int rc;

	c->x->slots[n->slot] = token;
	if (pfn)
		rc = evp(c, n->a, path, in, pfn, arg);
	else
		rc = ev(c, n->a, in, fn, arg);
	c->x->slots[n->slot] = old;
	if (rc > 0 && c->stop == token) {
		c->stop = NULL;
		rc = 0;
	}
	json_decref(token);
	return rc;
}

/* ---- ev -------------------------------------------------------------------
 */

int
ev(struct ectx *c, const struct enode *n, json_t *in, ev_fn fn, void *arg)
{
	json_t *own;
	int rc;

	if (ev_tick(c) < 0)
		return -1;
	if (++c->depth > EXPR_MAX_DEPTH) {
		c->depth--;
		return ev_depth_error(c);
	}
	own = c->own == in ? in : NULL;
	c->own = NULL;
	switch (n->kind) {
	case EN_IDENTITY:
		rc = fn(c, in, arg);
		break;
	case EN_RECURSE:
		rc = ev_recurse(c, in, fn, arg);
		break;
	case EN_LIT:
		rc = fn(c, n->lit, arg);
		break;
	case EN_INDEX:
	case EN_SLICE:
		rc = ev_index(c, n, in, fn, arg);
		break;
	case EN_ITER: {
		struct iter_st st = { n->op, fn, arg };

		if (n->a->kind == EN_IDENTITY)
			rc = ev_iter_opt(c, in, n->op, fn, arg);
		else
			rc = ev(c, n->a, in, iter_cb, &st);
		break;
	}
	case EN_TRY:
		rc = ev_try(c, n, in, fn, arg);
		break;
	case EN_PIPE: {
		struct pipe_st st = { n->b, fn, arg };

		if (n->own)
			rc = ev_single(c, n->a, in, pipe_cb, &st);
		else
			rc = ev(c, n->a, in, pipe_cb, &st);
		break;
	}
	case EN_COMMA:
		rc = ev(c, n->a, in, fn, arg);
		if (rc == 0)
			rc = ev(c, n->b, in, fn, arg);
		break;
	case EN_NEG: {
		struct pass_st st = { fn, arg };

		rc = ev(c, n->a, in, neg_cb, &st);
		break;
	}
	case EN_BINOP: {
		struct bin_st st = { n, in, NULL, fn, arg, own };

		if (n->b->kind == EN_LIT)
			rc = bin_rhs_cb(c, n->b->lit, &st);
		else
			rc = ev(c, n->b, in, bin_rhs_cb, &st);
		break;
	}
	case EN_AND:
	case EN_OR: {
		struct bin_st st = { n, in, NULL, fn, arg, NULL };

		rc = ev(c, n->a, in, and_lhs_cb, &st);
		break;
	}
	case EN_ALT:
		rc = ev_alt(c, n, in, fn, arg);
		break;
	case EN_IF: {
		struct if_st st = { n, in, fn, arg };

		if (n->own)
			rc = ev_single(c, n->a, in, if_cb, &st);
		else
			rc = ev(c, n->a, in, if_cb, &st);
		break;
	}
	case EN_ARRAY: {
		json_t *arr = n->a ? ev_collect(c, n->a, in) : json_array();

		if (!arr) {
			rc = -1;
			break;
		}
		rc = fn(c, arr, arg);
		json_decref(arr);
		break;
	}
	case EN_OBJECT: {
		struct obj_st st = { n, in, 0, NULL, NULL, fn, arg };

		st.cur = json_object();
		rc = obj_step(c, &st);
		json_decref(st.cur);
		break;
	}
	case EN_STRING: {
		struct buf suffix = BUF_INIT;
		struct str_st st = { n, in, n->n - 1, &suffix, fn, arg };

		buf_add(&suffix, json_string_value(n->c->lit),
			json_string_length(n->c->lit));
		rc = str_step(c, &st);
		buf_release(&suffix);
		break;
	}
	case EN_FORMAT: {
		json_t *s = builtin_format(c, n->fmt, in);

		if (!s) {
			rc = -1;
			break;
		}
		rc = fn(c, s, arg);
		json_decref(s);
		break;
	}
	case EN_VAR:
		rc = fn(c,
			c->x->slots[n->slot] ? c->x->slots[n->slot]
					     : json_null(),
			arg);
		break;
	case EN_AS: {
		struct as_st st = { n, in, fn, arg };

		if (n->own)
			rc = ev_single(c, n->a, in, as_cb, &st);
		else
			rc = ev(c, n->a, in, as_cb, &st);
		break;
	}
	case EN_REDUCE:
	case EN_FOREACH: {
		struct red_st st = { n, in, NULL, fn, arg };

		rc = ev(c, n->b, in, red_init_cb, &st);
		break;
	}
	case EN_CALL:
		if (n->fn->fn)
			rc = n->fn->fn(c, n, in, fn, arg);
		else
			rc = ev_cartesian(c, n, in, own, fn, arg);
		break;
	case EN_ASSIGN:
		rc = ev_assign(c, n, in, own, fn, arg);
		break;
	case EN_FCALL:
	case EN_PARAM:
		rc = ev_user(c, n, NULL, in, fn, NULL, arg);
		break;
	case EN_LABEL:
		rc = ev_label(c, n, NULL, in, fn, NULL, arg);
		break;
	case EN_BREAK:
		/* stop everything up to the label's evaluation that made
		 * this token; NULL if none (cannot be: the parser checks) */
		c->stop = c->x->slots[n->slot];
		rc = 1;
		break;
	default:
		rc = ev_error(c, "internal error: unknown node");
	}
	c->depth--;
	return rc;
}

/* ---- path evaluation ------------------------------------------------------
 */

/*
 * *out = path + [k], a copy: it counts as many steps as the path is
 * long, so that deep paths over a value whose parts are shared (2^n
 * paths from n assignments) cannot take time and memory that the step
 * limit does not see.  0, or -1 with an error (*out NULL).
 */
static int
path_append(struct ectx *c, json_t *path, json_t *k, json_t **out)
{
	*out = NULL;
	if (path == c->bad && c->bad)
		return ev_error(c, "Invalid path expression");
	if (ev_tick_n(c, json_array_size(path)) < 0)
		return -1;
	*out = json_copy(path);
	json_array_append(*out, k);
	return 0;
}

struct pidx_st {
	const struct enode *n;
	json_t *path, *in, *key, *key2;
	evp_fn fn;
	void *arg;
};

/* Indexing or iterating a value from no path (jq's messages) */
static int
pbad_access(struct ectx *c, json_t *k, json_t *v)
{
	struct buf kb = BUF_INIT, vb = BUF_INIT;
	int rc;

	val_dump_trunc(k, 15, &kb);
	val_dump_trunc(v, 30, &vb);
	rc = ev_error(c,
		      "Invalid path expression near attempt to access "
		      "element %s of %s",
		      kb.data, vb.data);
	buf_release(&kb);
	buf_release(&vb);
	return rc;
}

static int
pbad_iterate(struct ectx *c, json_t *v)
{
	struct buf b = BUF_INIT;
	int rc;

	val_dump_trunc(v, 30, &b);
	rc = ev_error(c,
		      "Invalid path expression near attempt to iterate "
		      "through %s",
		      b.data);
	buf_release(&b);
	return rc;
}

static int
pidx_subject_cb(struct ectx *c, json_t *path, json_t *s, void *arg)
{
	struct pidx_st *st = arg;
	json_t *out, *p, *k;
	int rc;

	if (path == c->bad && c->bad) {
		k = st->n->kind == EN_SLICE
			    ? json_pack("{s:O,s:O}", "start", st->key, "end",
					st->key2)
			    : json_incref(st->key);
		rc = pbad_access(c, k, s);
		json_decref(k);
		return rc;
	}
	if (st->n->kind == EN_SLICE) {
		rc = val_slice(c, s, st->key, st->key2, &out);
		k = json_pack("{s:O,s:O}", "start", st->key, "end", st->key2);
	} else {
		rc = val_index(c, s, st->key, &out);
		k = json_incref(st->key);
	}
	if (rc < 0) {
		json_decref(k);
		if (!st->n->op)
			return -1;
		json_decref(c->err);
		c->err = NULL;
		return 0;
	}
	rc = path_append(c, path, k, &p);
	json_decref(k);
	if (rc == 0)
		rc = st->fn(c, p, out, st->arg);
	json_decref(p);
	json_decref(out);
	return rc;
}

static int
pidx_key2_cb(struct ectx *c, json_t *k, void *arg)
{
	struct pidx_st *st = arg;

	st->key2 = k;
	return evp(c, st->n->a, st->path, st->in, pidx_subject_cb, st);
}

static int
pidx_key_cb(struct ectx *c, json_t *k, void *arg)
{
	struct pidx_st *st = arg;

	st->key = k;
	if (st->n->kind == EN_SLICE) {
		if (!st->n->c) {
			st->key2 = json_null();
			return evp(c, st->n->a, st->path, st->in,
				   pidx_subject_cb, st);
		}
		return ev(c, st->n->c, st->in, pidx_key2_cb, st);
	}
	return evp(c, st->n->a, st->path, st->in, pidx_subject_cb, st);
}

struct piter_st {
	evp_fn fn;
	void *arg;
	int opt;
};

static int
piter_cb(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	struct piter_st *st = arg;
	int rc = 0;

	if (path == c->bad && c->bad)
		return pbad_iterate(c, v);
	if (json_is_array(v)) {
		size_t i;

		for (i = 0; rc == 0 && i < json_array_size(v); i++) {
			json_t *k = json_integer((json_int_t)i), *p;

			rc = path_append(c, path, k, &p);
			if (rc == 0)
				rc = st->fn(c, p, json_array_get(v, i),
					    st->arg);
			json_decref(p);
			json_decref(k);
		}
		return rc;
	}
	if (json_is_object(v)) {
		const char *key;
		json_t *m;

		json_object_foreach(v, key, m) {
			json_t *k = val_string(key, strlen(key)), *p;

			rc = path_append(c, path, k, &p);
			if (rc == 0)
				rc = st->fn(c, p, m, st->arg);
			json_decref(p);
			json_decref(k);
			if (rc)
				break;
		}
		return rc;
	}
	if (st->opt)
		return 0;
	{
		char d[64];

		val_describe(v, d, sizeof(d));
		return ev_error(c, "Cannot iterate over %s", d);
	}
}

struct ppipe_st {
	const struct enode *n;
	evp_fn fn;
	void *arg;
};

static int
ppipe_cb(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	struct ppipe_st *st = arg;

	return evp(c, st->n, path, v, st->fn, st->arg);
}

static int
precurse(struct ectx *c, json_t *path, json_t *v, evp_fn fn, void *arg)
{
	struct piter_st st = { NULL, NULL, 0 };
	int rc;

	(void)st;
	if (++c->depth > EXPR_MAX_DEPTH) {
		c->depth--;
		return ev_depth_error(c);
	}
	rc = fn(c, path, v, arg);
	if (rc == 0 && path == c->bad && c->bad) {
		c->depth--;
		return pbad_iterate(c, v);
	}
	if (rc == 0 && (json_is_array(v) || json_is_object(v))) {
		size_t i;

		if (json_is_array(v)) {
			for (i = 0; rc == 0 && i < json_array_size(v); i++) {
				json_t *k = json_integer((json_int_t)i), *p;

				rc = path_append(c, path, k, &p);
				if (rc == 0)
					rc = precurse(c, p,
						      json_array_get(v, i), fn,
						      arg);
				json_decref(p);
				json_decref(k);
			}
		} else {
			const char *key;
			json_t *m;

			json_object_foreach(v, key, m) {
				json_t *k = val_string(key, strlen(key)), *p;

				rc = path_append(c, path, k, &p);
				if (rc == 0)
					rc = precurse(c, p, m, fn, arg);
				json_decref(p);
				json_decref(k);
				if (rc)
					break;
			}
		}
	}
	c->depth--;
	return rc;
}

struct ptry_st {
	evp_fn fn;
	void *arg;
	int down, found;
};

static int
ptry_cb(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	struct ptry_st *st = arg;
	int rc = st->fn(c, path, v, st->arg);

	if (rc < 0)
		st->down = 1;
	return rc;
}

static int
palt_cb(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	struct ptry_st *st = arg;
	int rc;

	if (!val_truthy(v))
		return 0;
	st->found = 1;
	rc = st->fn(c, path, v, st->arg);
	if (rc < 0)
		st->down = 1;
	return rc;
}

struct pif_st {
	const struct enode *n;
	json_t *path, *in;
	evp_fn fn;
	void *arg;
};

static int
pif_cb(struct ectx *c, json_t *cond, void *arg)
{
	struct pif_st *st = arg;

	return evp(c, val_truthy(cond) ? st->n->b : st->n->c, st->path, st->in,
		   st->fn, st->arg);
}

/* A value from no path: on to the consumer with the bad path, so that
 * the error names what is done with it next, as jq's does */
struct pbad_st {
	evp_fn fn;
	void *arg;
};

static int
pbad_cb(struct ectx *c, json_t *v, void *arg)
{
	struct pbad_st *st = arg;

	return st->fn(c, ev_bad_path(c), v, st->arg);
}

struct pas_st {
	const struct enode *n;
	json_t *path, *in;
	evp_fn fn;
	void *arg;
};

static int
pas_body(struct ectx *c, void *arg)
{
	struct pas_st *st = arg;

	return evp(c, st->n->b, st->path, st->in, st->fn, st->arg);
}

static int
pas_cb(struct ectx *c, json_t *v, void *arg)
{
	struct pas_st *st = arg;

	if (st->n->pat->alt) {
		struct asalt_st a = { st->n,  st->path, st->in, NULL,
				      st->fn, st->arg,	0 };

		return ev_as_alt(c, &a, v);
	}
	return pat_bind(c, st->n->pat, v, pas_body, st);
}

int
evp(struct ectx *c, const struct enode *n, json_t *path, json_t *in, evp_fn fn,
    void *arg)
{
	int rc;

	if (++c->depth > EXPR_MAX_DEPTH) {
		c->depth--;
		return ev_depth_error(c);
	}
	switch (n->kind) {
	case EN_IDENTITY:
		rc = fn(c, path, in, arg);
		break;
	case EN_RECURSE:
		rc = precurse(c, path, in, fn, arg);
		break;
	case EN_INDEX:
	case EN_SLICE: {
		struct pidx_st st = { n, path, in, NULL, NULL, fn, arg };

		if (n->kind == EN_SLICE && !n->b) {
			rc = pidx_key_cb(c, json_null(), &st);
		} else if (n->b->kind == EN_LIT) {
			rc = pidx_key_cb(c, n->b->lit, &st);
		} else {
			rc = ev(c, n->b, in, pidx_key_cb, &st);
		}
		break;
	}
	case EN_ITER: {
		struct piter_st st = { fn, arg, n->op };

		rc = evp(c, n->a, path, in, piter_cb, &st);
		break;
	}
	case EN_PIPE: {
		struct ppipe_st st = { n->b, fn, arg };

		rc = evp(c, n->a, path, in, ppipe_cb, &st);
		break;
	}
	case EN_COMMA:
		rc = evp(c, n->a, path, in, fn, arg);
		if (rc == 0)
			rc = evp(c, n->b, path, in, fn, arg);
		break;
	case EN_TRY: {
		struct ptry_st st = { fn, arg, 0, 0 };

		if (n->b) {
			struct pbad_st bst = { fn, arg };

			rc = ev(c, n, in, pbad_cb, &bst);
			break;
		}
		rc = evp(c, n->a, path, in, ptry_cb, &st);
		if (rc < 0 && !st.down && !c->err_down) {
			json_decref(c->err);
			c->err = NULL;
			rc = 0;
		}
		break;
	}
	case EN_ALT: {
		struct ptry_st st = { fn, arg, 0, 0 };

		rc = evp(c, n->a, path, in, palt_cb, &st);
		if (rc != 0 || st.found)
			break;
		rc = evp(c, n->b, path, in, fn, arg);
		break;
	}
	case EN_IF: {
		struct pif_st st = { n, path, in, fn, arg };

		rc = ev(c, n->a, in, pif_cb, &st);
		break;
	}
	case EN_AS: {
		struct pas_st st = { n, path, in, fn, arg };

		rc = ev(c, n->a, in, pas_cb, &st);
		break;
	}
	case EN_FCALL:
	case EN_PARAM:
		rc = ev_user(c, n, path, in, NULL, fn, arg);
		break;
	case EN_LABEL:
		rc = ev_label(c, n, path, in, NULL, fn, arg);
		break;
	case EN_CALL:
		if (n->fn->pfn) {
			rc = n->fn->pfn(c, n, path, in, fn, arg);
			break;
		}
		/* FALLTHROUGH */
	default:
		if (n->kind == EN_LIT && json_is_null(n->lit)) {
			/* jq allows null as an empty path step: path(null) */
			rc = fn(c, path, json_null(), arg);
			break;
		}
		{
			struct pbad_st bst = { fn, arg };

			rc = ev(c, n, in, pbad_cb, &bst);
		}
	}
	c->depth--;
	return rc;
}

/* ---- public ------------------------------------------------------------- */

struct top_st {
	expr_out_fn fn;
	void *arg;
	struct errbuf *eb;
};

static int
top_cb(struct ectx *c, json_t *v, void *arg)
{
	struct top_st *st = arg;
	int rc = st->fn(st->arg, v, st->eb);

	if (rc < 0) {
		c->err_down = 1;
		return -1;
	}
	if (rc > 0) {
		c->stop = st;
		return 1;
	}
	return 0;
}

static int
expr_fail(struct ectx *c, struct errbuf *eb)
{
	if (c->err_down) {
		json_decref(c->err);
		return -1;
	}
	if (!c->err) {
		errbuf_set(eb, STATUS_REJECT, "evaluation failed");
	} else if (json_is_string(c->err)) {
		errbuf_set(eb, STATUS_REJECT, "%s", json_string_value(c->err));
	} else {
		struct buf b = BUF_INIT;

		val_dump(c->err, &b);
		errbuf_set(eb, STATUS_REJECT, "%s (not a string)", b.data);
		buf_release(&b);
	}
	json_decref(c->err);
	return -1;
}

int
expr_eval(struct expr *x, json_t *in, expr_out_fn fn, void *arg,
	  struct errbuf *eb)
{
	struct ectx c;
	struct top_st st = { fn, arg, eb };
	int rc;

	memset(&c, 0, sizeof(c));
	c.x = x;
	c.eb = eb;
	rc = ev(&c, x->root, in, top_cb, &st);
	ectx_release(&c);
	if (rc < 0)
		return expr_fail(&c, eb);
	json_decref(c.err);
	return 0;
}

struct truthy_st {
	int found;
};

static int
truthy_cb(struct ectx *c, json_t *v, void *arg)
{
	struct truthy_st *st = arg;

	if (!val_truthy(v))
		return 0;
	st->found = 1;
	c->stop = st;
	return 1;
}

int
expr_truthy(struct expr *x, json_t *in, struct errbuf *eb)
{
	struct ectx c;
	struct truthy_st st = { 0 };
	int rc;

	memset(&c, 0, sizeof(c));
	c.x = x;
	c.eb = eb;
	rc = ev(&c, x->root, in, truthy_cb, &st);
	ectx_release(&c);
	if (rc < 0)
		return expr_fail(&c, eb);
	json_decref(c.err);
	return st.found;
}

struct single_st {
	json_t *v;
	int n;
};

static int
single_cb(struct ectx *c, json_t *v, void *arg)
{
	struct single_st *st = arg;

	if (st->n++ == 0) {
		st->v = json_incref(v);
		return 0;
	}
	c->stop = st;
	return 1;
}

json_t *
expr_single(struct expr *x, json_t *in, struct errbuf *eb)
{
	struct ectx c;
	struct single_st st = { NULL, 0 };
	int rc;

	memset(&c, 0, sizeof(c));
	c.x = x;
	c.eb = eb;
	rc = ev(&c, x->root, in, single_cb, &st);
	ectx_release(&c);
	if (rc < 0) {
		json_decref(st.v);
		expr_fail(&c, eb);
		return NULL;
	}
	json_decref(c.err);
	if (st.n != 1) {
		json_decref(st.v);
		errbuf_set(eb, STATUS_REJECT, "%s",
			   st.n == 0 ? "expression yielded no value"
				     : "expression yielded more than one "
				       "value");
		return NULL;
	}
	return st.v;
}
