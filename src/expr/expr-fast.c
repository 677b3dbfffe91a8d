/*
 * expr-fast.c -- predicates and projections evaluated on the scanner's
 * tape (see expr-fast.h).
 *
 * Every rule here mirrors the full evaluator (expr-value.c): jq's order
 * of types (null < false < true < numbers < strings < arrays < objects),
 * numbers compared as 64-bit integers when both are integers and as
 * doubles otherwise (as jscan_json() would build them), strings compared
 * bytewise after unescaping, values printed as val_dump() prints them.
 * Whatever it is not sure of -- a path that would raise an error, an
 * array or object in a comparison, a regex that hits its limits -- it
 * hands back as EXPR_FAST_UNSURE.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "expr-fast.h"
#include "expr-impl.h"
#include "json/json-scan.h"
#include "lib/xmalloc.h"

enum fast_kind {
	FK_PATH,   /* .a.b[0] */
	FK_LIT,	   /* a scalar literal */
	FK_CMP,	   /* a OP b */
	FK_AND,	   /* a and b */
	FK_OR,	   /* a or b */
	FK_NOT,	   /* a | not */
	FK_TEST,   /* a | test(re; flags) */
	FK_OBJECT, /* {k: a, ...} */
	FK_SLICE,  /* .a.b[lo:hi] with literal bounds: a string's slice */
};

struct fnode {
	enum fast_kind kind;
	int op;			  /* FK_CMP: OP_EQ .. OP_GE */
	struct jscan_step *steps; /* FK_PATH */
	size_t nsteps;
	json_t *lit; /* FK_LIT (own reference) */
	char *text;  /* FK_LIT: as printed */
	struct fnode *a, *b;
	struct regex_test *re; /* FK_TEST */
	size_t n;	       /* FK_OBJECT: members */
	char **keys;	       /* FK_OBJECT: each key as printed, with ':' */
	struct fnode **vals;
	double lo, hi; /* FK_SLICE: the bounds given */
	int has_lo, has_hi;
};

struct expr_fast {
	struct fnode *root;
	struct buf s1, s2; /* unescaped strings */
};

/* A value: a literal, or a place on the tape (absent reads as null). */
struct fval {
	json_t *lit;
	struct jscan_val tv;
};

static void
fnode_free(struct fnode *f)
{
	size_t i;

	if (f == NULL)
		return;
	fnode_free(f->a);
	fnode_free(f->b);
	for (i = 0; i < f->nsteps; i++)
		free((char *)f->steps[i].key);
	free(f->steps);
	json_decref(f->lit);
	free(f->text);
	regex_test_free(f->re);
	for (i = 0; i < f->n; i++) {
		free(f->keys[i]);
		fnode_free(f->vals[i]);
	}
	free(f->keys);
	free(f->vals);
	free(f);
}

void
expr_fast_free(struct expr_fast *f)
{
	if (f == NULL)
		return;
	fnode_free(f->root);
	buf_release(&f->s1);
	buf_release(&f->s2);
	free(f);
}

static struct fnode *
fnode_new(enum fast_kind kind)
{
	struct fnode *f = xcalloc(1, sizeof(*f));

	f->kind = kind;
	return f;
}

/* A literal path .a."b"[2] from the input, without '?'. */
static struct fnode *
compile_path(const struct enode *n)
{
	const struct enode *m;
	struct fnode *f;
	size_t k = 0;

	for (m = n; m->kind == EN_INDEX; m = m->a) {
		json_t *key = m->b ? m->b->lit : NULL;

		if (m->op || !m->b || m->b->kind != EN_LIT)
			return NULL;
		if (json_is_string(key)) {
			if (memchr(json_string_value(key), '\0',
				   json_string_length(key)))
				return NULL;
		} else if (json_is_integer(key)) {
			json_int_t i = json_integer_value(key);

			if (i < -1000000000 || i > 1000000000)
				return NULL;
		} else {
			return NULL;
		}
		k++;
	}
	if (m->kind != EN_IDENTITY || k == 0)
		return NULL;
	f = fnode_new(FK_PATH);
	f->steps = xcalloc(k, sizeof(*f->steps));
	f->nsteps = k;
	for (m = n; m->kind == EN_INDEX; m = m->a) {
		struct jscan_step *s = &f->steps[--k];
		json_t *key = m->b->lit;

		if (json_is_string(key)) {
			s->kind = JSCAN_STEP_KEY;
			s->keylen = json_string_length(key);
			s->key = xstrndup(json_string_value(key), s->keylen);
		} else {
			s->kind = JSCAN_STEP_INDEX;
			s->index = json_integer_value(key);
		}
	}
	return f;
}

static struct fnode *
compile_value(const struct enode *n)
{
	struct fnode *f;
	struct buf b = BUF_INIT;

	if (n->kind == EN_LIT) {
		if (json_is_array(n->lit) || json_is_object(n->lit))
			return NULL;
		f = fnode_new(FK_LIT);
		f->lit = json_incref(n->lit);
		val_dump(n->lit, &b);
		f->text = buf_detach(&b, NULL);
		return f;
	}
	return compile_path(n);
}

/* A slice bound: absent, null, or a literal number (maybe negated). */
static int
slice_bound(const struct enode *n, double *d, int *given)
{
	int neg = 0;

	*given = 0;
	if (n == NULL)
		return 0;
	if (n->kind == EN_NEG) {
		neg = 1;
		n = n->a;
	}
	if (n->kind != EN_LIT)
		return -1;
	if (json_is_null(n->lit) && !neg)
		return 0;
	if (!json_is_number(n->lit))
		return -1;
	*d = val_num(n->lit);
	if (neg)
		*d = -*d;
	*given = 1;
	return 0;
}

/*
 * .a.b[lo:hi] with literal bounds, for a projection or a template: on a
 * string it prints the slice, on null (or no value) null; anything else
 * (an array's slice, an error) is left to the evaluator.  This is what
 * "{.ts[0:10]}" is, a date taken out of a timestamp.
 */
static struct fnode *
compile_slice(const struct enode *n)
{
	struct fnode *f, *a;
	double lo = 0, hi = 0;
	int has_lo, has_hi;

	if (n->kind != EN_SLICE || n->op ||
	    slice_bound(n->b, &lo, &has_lo) < 0 ||
	    slice_bound(n->c, &hi, &has_hi) < 0)
		return NULL;
	a = compile_path(n->a);
	if (a == NULL)
		return NULL;
	f = fnode_new(FK_SLICE);
	f->a = a;
	f->lo = lo;
	f->hi = hi;
	f->has_lo = has_lo;
	f->has_hi = has_hi;
	return f;
}

/* A value a projection may print: a literal, a path or a slice. */
static struct fnode *
compile_printed(const struct enode *n)
{
	return n->kind == EN_SLICE ? compile_slice(n) : compile_value(n);
}

static int
macro_is(const struct enode *n, const char *name)
{
	return n->macro && strcmp(n->macro->name, name) == 0;
}

static struct fnode *
compile_pred(const struct enode *n)
{
	struct fnode *f = NULL, *a, *b;

	switch (n->kind) {
	case EN_AND:
	case EN_OR:
		a = compile_pred(n->a);
		b = a ? compile_pred(n->b) : NULL;
		if (!b) {
			fnode_free(a);
			return NULL;
		}
		f = fnode_new(n->kind == EN_AND ? FK_AND : FK_OR);
		f->a = a;
		f->b = b;
		return f;
	case EN_BINOP:
		if (n->op < OP_EQ || n->op > OP_GE)
			return NULL;
		a = compile_value(n->a);
		b = a ? compile_value(n->b) : NULL;
		if (!b) {
			fnode_free(a);
			return NULL;
		}
		f = fnode_new(FK_CMP);
		f->op = n->op;
		f->a = a;
		f->b = b;
		return f;
	case EN_PIPE:
		if (n->b->kind == EN_CALL && n->b->n == 0 && n->b->fn &&
		    strcmp(n->b->fn->name, "not") == 0) {
			a = compile_pred(n->a);
			if (!a)
				return NULL;
			f = fnode_new(FK_NOT);
			f->a = a;
			return f;
		}
		if (macro_is(n->b, "test") && n->b->margs[0] &&
		    n->b->margs[0]->kind == EN_LIT &&
		    json_is_string(n->b->margs[0]->lit)) {
			const struct enode *re = n->b->margs[0],
					   *fl = n->b->margs[1];
			const char *flags = NULL;
			size_t flen = 0;

			if (fl) {
				if (fl->kind != EN_LIT)
					return NULL;
				if (json_is_string(fl->lit)) {
					flags = json_string_value(fl->lit);
					flen = json_string_length(fl->lit);
				} else if (!json_is_null(fl->lit)) {
					return NULL;
				}
			}
			a = compile_value(n->a);
			if (!a)
				return NULL;
			f = fnode_new(FK_TEST);
			f->a = a;
			f->re = regex_test_new(json_string_value(re->lit),
					       json_string_length(re->lit),
					       flags, flen);
			if (!f->re) {
				fnode_free(f);
				return NULL;
			}
			return f;
		}
		return NULL;
	default:
		return compile_value(n);
	}
}

static struct fnode *
compile_projection(const struct enode *n)
{
	struct fnode *f;
	int i, j;

	if (n->kind != EN_OBJECT)
		return compile_printed(n);
	f = fnode_new(FK_OBJECT);
	f->keys = xcalloc(n->n ? n->n : 1, sizeof(*f->keys));
	f->vals = xcalloc(n->n ? n->n : 1, sizeof(*f->vals));
	for (i = 0; i < n->n; i++) {
		const struct enode *k = n->args[i];
		struct buf b = BUF_INIT;

		if (k->kind != EN_LIT || !json_is_string(k->lit))
			goto fail;
		for (j = 0; j < i; j++)
			if (json_equal(n->args[j]->lit, k->lit))
				goto fail; /* {a: 1, a: 2}: let jq's rule play
					    */
		if (n->vals[i]) {
			f->vals[i] = compile_printed(n->vals[i]);
		} else {
			struct enode idx = { .kind = EN_INDEX,
					     .b = (struct enode *)k },
				     dot = { .kind = EN_IDENTITY };

			idx.a = &dot;
			f->vals[i] = compile_path(&idx);
		}
		f->n++;
		if (!f->vals[i])
			goto fail;
		val_dump_string(json_string_value(k->lit),
				json_string_length(k->lit), &b);
		buf_addc(&b, ':');
		f->keys[i] = buf_detach(&b, NULL);
	}
	return f;
fail:
	fnode_free(f);
	return NULL;
}

struct expr_fast *
expr_fast_new(const struct expr *x)
{
	struct expr_fast *f;
	struct fnode *root;

	/* The tape knows nothing of where the event came from. */
	if (x->uses_input_name || x->uses_input_meta)
		return NULL;
	root = compile_pred(x->root);
	if (root == NULL)
		root = compile_projection(x->root);
	if (root == NULL)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	f->root = root;
	buf_init(&f->s1);
	buf_init(&f->s2);
	return f;
}

int
expr_fast_path_eq_string(const struct expr_fast *f,
			 const struct jscan_step **steps, size_t *nsteps,
			 const char **s, size_t *len)
{
	const struct fnode *n = f->root, *path, *lit;

	if (n->kind != FK_CMP || n->op != OP_EQ)
		return 0;
	path = n->a->kind == FK_PATH ? n->a : n->b;
	lit = path == n->a ? n->b : n->a;
	if (path->kind != FK_PATH || lit->kind != FK_LIT ||
	    !json_is_string(lit->lit))
		return 0;
	*steps = path->steps;
	*nsteps = path->nsteps;
	*s = json_string_value(lit->lit);
	*len = json_string_length(lit->lit);
	return 1;
}

/* ---- evaluation ------------------------------------------------------- */

static int
eval_value(const struct fnode *n, struct jscan *js, struct fval *v)
{
	struct errbuf eb; /* not "= { 0 }": a 512-byte memset per value */
	int r;

	eb.status = 0;
	eb.msg[0] = '\0';
	eb.detail = NULL;
	v->lit = NULL;
	v->tv.js = js;
	v->tv.i = JSCAN_ABSENT;
	if (n->kind == FK_LIT) {
		v->lit = n->lit;
		return 0;
	}
	if (n->kind != FK_PATH)
		return EXPR_FAST_UNSURE;
	r = jscan_lookup(jscan_root(js), n->steps, n->nsteps, &v->tv, &eb);
	return r < 0 ? EXPR_FAST_UNSURE : 0;
}

/* jq's rank of the value's type (val_type_rank). */
static int
fval_rank(const struct fval *v)
{
	json_type t;

	if (v->lit)
		return val_type_rank(json_typeof(v->lit));
	switch (jscan_type(v->tv)) {
	case JSCAN_BOOL:
		t = jscan_bool(v->tv) ? JSON_TRUE : JSON_FALSE;
		break;
	case JSCAN_NUMBER:
		t = JSON_REAL;
		break;
	case JSCAN_STRING:
		t = JSON_STRING;
		break;
	case JSCAN_ARRAY:
		t = JSON_ARRAY;
		break;
	case JSCAN_OBJECT:
		t = JSON_OBJECT;
		break;
	default:
		t = JSON_NULL;
		break;
	}
	return val_type_rank(t);
}

/* A number as the full evaluator would hold it: int64 or double. */
static void
fval_number(const struct fval *v, int *is_int, int64_t *i, double *d)
{
	if (v->lit) {
		*is_int = json_is_integer(v->lit);
		*i = *is_int ? json_integer_value(v->lit) : 0;
		*d = *is_int ? (double)*i : val_num(v->lit);
		return;
	}
	*is_int = jscan_num_int64(v->tv, i) == 0;
	if (*is_int)
		*d = (double)*i;
	else
		jscan_num_double(v->tv, d);
}

static const char *
fval_string(const struct fval *v, struct buf *scratch, size_t *len)
{
	if (v->lit) {
		*len = json_string_length(v->lit);
		return json_string_value(v->lit);
	}
	return jscan_str(v->tv, scratch, len);
}

/* Compare like val_cmp(): <0, 0, >0 in *res; or EXPR_FAST_UNSURE. */
static int
fval_cmp(struct expr_fast *f, const struct fval *a, const struct fval *b,
	 int *res)
{
	int ra = fval_rank(a), rb = fval_rank(b);

	if (ra >= 5 || rb >= 5)
		return EXPR_FAST_UNSURE;
	if (ra != rb) {
		*res = ra < rb ? -1 : 1;
		return 0;
	}
	if (ra == 3) {
		int ia, ib;
		int64_t xa, xb;
		double da, db;

		fval_number(a, &ia, &xa, &da);
		fval_number(b, &ib, &xb, &db);
		if (ia && ib)
			*res = xa < xb ? -1 : xa > xb;
		else
			*res = da < db ? -1 : da == db ? 0 : 1;
		return 0;
	}
	if (ra == 4) {
		size_t la, lb;
		const char *sa = fval_string(a, &f->s1, &la),
			   *sb = fval_string(b, &f->s2, &lb);
		int r = memcmp(sa, sb, la < lb ? la : lb);

		*res = r ? (r < 0 ? -1 : 1) : (la < lb ? -1 : la > lb);
		return 0;
	}
	*res = 0;
	return 0;
}

static int
eval_pred(struct expr_fast *f, const struct fnode *n, struct jscan *js)
{
	struct fval a, b;
	int r, c;

	switch (n->kind) {
	case FK_AND:
	case FK_OR:
		r = eval_pred(f, n->a, js);
		if (r < 0 || r == (n->kind == FK_OR))
			return r;
		return eval_pred(f, n->b, js);
	case FK_NOT:
		r = eval_pred(f, n->a, js);
		return r < 0 ? r : !r;
	case FK_CMP:
		if (eval_value(n->a, js, &a) < 0 ||
		    eval_value(n->b, js, &b) < 0 || fval_cmp(f, &a, &b, &c) < 0)
			return EXPR_FAST_UNSURE;
		switch (n->op) {
		case OP_EQ:
			return c == 0;
		case OP_NE:
			return c != 0;
		case OP_LT:
			return c < 0;
		case OP_LE:
			return c <= 0;
		case OP_GT:
			return c > 0;
		default:
			return c >= 0;
		}
	case FK_TEST: {
		const char *s;
		size_t len;

		if (eval_value(n->a, js, &a) < 0 || fval_rank(&a) != 4)
			return EXPR_FAST_UNSURE;
		s = fval_string(&a, &f->s1, &len);
		r = regex_test_run(n->re, s, len);
		return r < 0 ? EXPR_FAST_UNSURE : r;
	}
	default:
		if (eval_value(n, js, &a) < 0)
			return EXPR_FAST_UNSURE;
		r = fval_rank(&a);
		return r >= 2;
	}
}

int
expr_fast_truthy(struct expr_fast *f, struct jscan *js)
{
	if (f->root->kind == FK_OBJECT || f->root->kind == FK_SLICE)
		return EXPR_FAST_UNSURE;
	return eval_pred(f, f->root, js);
}

/* Print the slice n of a string as val_slice() and val_dump() would. */
static int
print_slice(struct expr_fast *f, const struct fnode *n, struct jscan *js,
	    struct buf *out)
{
	struct fval v;
	const char *s;
	size_t len, ncp, from, to, bs, be;

	if (eval_value(n->a, js, &v) < 0)
		return EXPR_FAST_UNSURE;
	switch (jscan_type(v.tv)) {
	case JSCAN_NONE:
	case JSCAN_NULL:
		buf_adds(out, "null");
		return 0;
	case JSCAN_STRING:
		break;
	default:
		return EXPR_FAST_UNSURE; /* an array's slice, or an error */
	}
	s = jscan_str(v.tv, &f->s1, &len);
	ncp = utf8_count(s, len);
	val_slice_range(ncp, n->has_lo ? n->lo : 0,
			n->has_hi ? n->hi : (double)ncp, &from, &to);
	if (ncp == len) { /* ASCII: a code point is a byte */
		bs = from;
		be = to;
	} else {
		bs = utf8_offset(s, len, from);
		be = bs + utf8_offset(s + bs, len - bs, to - from);
	}
	val_dump_string(s + bs, be - bs, out);
	return 0;
}

/* Print a value as val_dump() would. */
static int
print_value(struct expr_fast *f, const struct fnode *n, struct jscan *js,
	    struct buf *out)
{
	struct fval v;
	const char *raw;
	size_t len;
	json_t *j;

	if (n->kind == FK_LIT) {
		buf_adds(out, n->text);
		return 0;
	}
	if (n->kind == FK_SLICE)
		return print_slice(f, n, js, out);
	if (eval_value(n, js, &v) < 0)
		return EXPR_FAST_UNSURE;
	raw = jscan_raw(v.tv, &len);
	switch (jscan_type(v.tv)) {
	case JSCAN_NONE:
		buf_adds(out, "null");
		return 0;
	case JSCAN_NULL:
	case JSCAN_BOOL:
		buf_add(out, raw, len);
		return 0;
	case JSCAN_STRING:
		if (!jscan_str_has_escapes(v.tv) && !memchr(raw, 0x7f, len)) {
			buf_add(out, raw, len);
		} else {
			const char *s = jscan_str(v.tv, &f->s1, &len);

			val_dump_string(s, len, out);
		}
		return 0;
	case JSCAN_NUMBER: {
		int64_t i;

		if (jscan_num_int64(v.tv, &i) == 0 && raw[0] != '-') {
			buf_add(out, raw, len);
			return 0;
		}
		break;
	}
	default:
		break;
	}
	/* Floats, negative numbers and containers: as the evaluator. */
	j = jscan_json(js, v.tv, NULL);
	if (j == NULL)
		return EXPR_FAST_UNSURE;
	val_dump(j, out);
	json_decref(j);
	return 0;
}

int
expr_fast_project(struct expr_fast *f, struct jscan *js, struct buf *out)
{
	size_t mark = out->len, i;
	int r;

	switch (f->root->kind) {
	case FK_CMP:
	case FK_AND:
	case FK_OR:
	case FK_NOT:
	case FK_TEST:
		/* these yield a boolean */
		r = eval_pred(f, f->root, js);
		if (r < 0)
			return r;
		buf_adds(out, r ? "true" : "false");
		return 0;
	default:
		break;
	}
	if (f->root->kind != FK_OBJECT) {
		if (print_value(f, f->root, js, out) < 0)
			goto unsure;
		return 0;
	}
	buf_addc(out, '{');
	for (i = 0; i < f->root->n; i++) {
		if (i)
			buf_addc(out, ',');
		buf_adds(out, f->root->keys[i]);
		if (print_value(f, f->root->vals[i], js, out) < 0)
			goto unsure;
	}
	buf_addc(out, '}');
	return 0;
unsure:
	out->len = mark;
	if (out->cap)
		out->data[mark] = '\0';
	return EXPR_FAST_UNSURE;
}
