/*
 * cmd/aggregate-fn.c -- the aggregate functions of aggregate: parsing
 * "-a NAME=FUNC(ARGS)", reading an event's value, adding, merging,
 * printing, and their state-file form (see aggregate.h and
 * evpipe-aggregate(1)).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "expr/expr-fast.h"
#include "expr/expr.h"
#include "json/jnum.h"
#include "json/json-text.h"
#include "lib/errbuf.h"
#include "lib/hash.h"
#include "lib/xmalloc.h"
#include "record.h"

#define AGG_VALUE_MAX (1u << 20) /* bytes of one value read */

static const struct {
	const char *name;
	enum agg_fn fn;
	int args; /* 0: none, 1: EXPR, 2: EXPR; LIST, 3: EXPR or none */
} agg_fns[] = {
	{ "count", AF_COUNT, 3 },     { "sum", AF_SUM, 1 },
	{ "avg", AF_AVG, 1 },	      { "mean", AF_AVG, 1 },
	{ "min", AF_MIN, 1 },	      { "max", AF_MAX, 1 },
	{ "first", AF_FIRST, 1 },     { "last", AF_LAST, 1 },
	{ "percentiles", AF_PCT, 2 }, { "distinct", AF_DISTINCT, 1 },
	{ "top", AF_TOP, 2 },	      { "collect", AF_COLLECT, 2 },
};

/* ---- parsing ---------------------------------------------------------- */

static size_t
ident_len(const char *p)
{
	size_t n = 0;

	if (!(isalpha((unsigned char)p[0]) || p[0] == '_'))
		return 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	return n;
}

/* The last ';' outside strings and brackets of s[0..n), or NULL. */
static const char *
last_semicolon(const char *s, size_t n)
{
	const char *found = NULL;
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '(' || c == '[' || c == '{') {
			depth++;
		} else if (c == ')' || c == ']' || c == '}') {
			depth--;
		} else if (c == ';' && depth == 0) {
			found = s + i;
		}
	}
	return found;
}

/* "p99", "p99_9": the field name of a percentile. */
static char *
pct_field(const char *base, double p)
{
	char num[32], *q;

	snprintf(num, sizeof(num), "%.10g", p);
	for (q = num; *q; q++)
		if (*q == '.')
			*q = '_';
	return base ? xasprintf("%s_p%s", base, num) : xasprintf("p%s", num);
}

static int
parse_pct_list(struct agg_spec *s, const char *p, struct errbuf *eb)
{
	char *end;

	s->npct = 0;
	for (;;) {
		double v;

		while (*p == ' ')
			p++;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno || !(v >= 0 && v <= 100))
			return errbuf_set(eb, STATUS_USAGE,
					  "a percentile is a number from 0 to "
					  "100, got '%s'",
					  p);
		if (s->npct == AGG_MAX_PCT)
			return errbuf_set(eb, STATUS_USAGE,
					  "at most %d percentiles in one list",
					  AGG_MAX_PCT);
		s->pct[s->npct++] = v;
		p = end;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return errbuf_set(
				eb, STATUS_USAGE,
				"percentiles are separated by commas, "
				"got '%s'",
				p);
		p++;
	}
}

static int
parse_bound(struct agg_spec *s, const char *p, struct errbuf *eb)
{
	unsigned max = s->fn == AF_TOP ? AGG_MAX_TOP : AGG_MAX_BOUND;
	char *end;
	unsigned long long v;

	while (*p == ' ')
		p++;
	errno = 0;
	v = strtoull(p, &end, 10);
	while (*end == ' ')
		end++;
	if (end == p || *end || errno || v < 1 || v > max || *p == '-')
		return errbuf_set(
			eb, STATUS_USAGE,
			"the bound is a number from 1 to %u, got '%s'", max, p);
	s->bound = v;
	return 0;
}

/* The default name: FUNC_FIELD for FUNC(.a.FIELD), else FUNC. */
static char *
default_name(const char *fn, const char *x)
{
	const char *dot;
	size_t n;

	while (*x == ' ')
		x++;
	dot = strrchr(x, '.');
	if (x[0] == '.' && dot && (n = ident_len(dot + 1)) > 0 &&
	    dot[1 + n] == '\0' &&
	    strspn(x, "._abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789") == strlen(x))
		return fn ? xasprintf("%s_%s", fn, dot + 1) : xstrdup(dot + 1);
	return fn ? xstrdup(fn) : NULL;
}

static int
spec_args(struct agg_spec *s, int kind, const char *fname, char *args,
	  struct errbuf *eb)
{
	const char *semi = last_semicolon(args, strlen(args));
	char *x = args;

	if (kind == 2) {
		if (semi == NULL)
			return errbuf_set(eb, STATUS_USAGE,
					  "%s takes (EXPR; %s)", fname,
					  s->fn == AF_PCT ? "P, P, ..." : "N");
		args[semi - args] = '\0';
		if (s->fn == AF_PCT ? parse_pct_list(s, semi + 1, eb)
				    : parse_bound(s, semi + 1, eb))
			return -1;
	}
	while (*x == ' ')
		x++;
	if (*x == '\0')
		return errbuf_set(eb, STATUS_USAGE, "%s needs an expression",
				  fname);
	s->src = xstrdup(x);
	s->has_x = 1;
	return 0;
}

/* Split "NAME=FUNC(ARGS)" and set fn, name, src, percentiles, bound. */
static int
spec_split(struct agg_spec *s, const char *text, struct errbuf *eb)
{
	char fname[32], *args = NULL;
	const char *p = text, *open;
	size_t n = ident_len(p), k;
	int kind = -1, rc = -1;

	if (n > 0 && p[n] == '=' && p[n + 1] != '=') {
		s->name = xstrndup(p, n);
		p += n + 1;
	}
	n = ident_len(p);
	if (n == 0 || n >= sizeof(fname))
		return errbuf_set(
			eb, STATUS_USAGE,
			"expected [NAME=]FUNC or FUNC(ARGS), got '%s'", text);
	memcpy(fname, p, n);
	fname[n] = '\0';
	if (fname[0] == 'p' && fname[1] &&
	    strspn(fname + 1, "0123456789_") == strlen(fname + 1)) {
		/* p99, p99_9: one percentile */
		char num[32];

		snprintf(num, sizeof(num), "%s", fname + 1);
		for (k = 0; num[k]; k++)
			if (num[k] == '_')
				num[k] = '.';
		s->fn = AF_PCT;
		if (parse_pct_list(s, num, eb) == -1)
			return -1;
		kind = 1;
	}
	for (k = 0; kind < 0 && k < sizeof(agg_fns) / sizeof(agg_fns[0]); k++)
		if (strcmp(agg_fns[k].name, fname) == 0) {
			s->fn = agg_fns[k].fn;
			kind = agg_fns[k].args;
		}
	if (kind < 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "unknown aggregate function '%s' (count, "
				  "sum, avg, min, max, first, last, "
				  "percentiles, pN, distinct, top, collect)",
				  fname);
	p += n;
	open = p;
	if (*p == '\0') {
		if (kind != 3)
			return errbuf_set(eb, STATUS_USAGE,
					  "%s needs (ARGS): %s(EXPR%s)", fname,
					  fname, kind == 2 ? "; ..." : "");
		rc = 0;
	} else if (*open != '(' || open[strlen(open) - 1] != ')') {
		return errbuf_set(eb, STATUS_USAGE,
				  "expected %s(ARGS), got '%s'", fname, text);
	} else {
		args = xstrndup(open + 1, strlen(open) - 2);
		rc = spec_args(s, kind == 3 ? 1 : kind, fname, args, eb);
		free(args);
	}
	if (rc == 0 && s->name == NULL) {
		int single_pct = s->fn == AF_PCT && kind == 1;

		if (s->fn == AF_PCT && !single_pct)
			s->name = s->src ? default_name(NULL, s->src) : NULL;
		else
			s->name = s->src ? default_name(fname, s->src)
					 : xstrdup(fname);
		if (s->name == NULL && !(s->fn == AF_PCT && !single_pct))
			s->name = xstrdup(fname);
	}
	return rc;
}

int
agg_spec_parse(struct agg_spec *s, const char *text,
	       const struct stage_env *env, json_t *named, struct errbuf *eb)
{
	size_t i;
	int single;

	memset(s, 0, sizeof(*s));
	if (spec_split(s, text, eb) == -1)
		return -1;
	single = s->fn == AF_PCT && s->npct == 1 && s->name &&
		 strchr(text, ';') == NULL;
	for (i = 0; s->fn == AF_PCT && i < s->npct; i++)
		s->pname[i] = single ? xstrdup(s->name)
				     : pct_field(s->name, s->pct[i]);
	if (s->name == NULL)
		s->name = xstrdup("percentiles");
	if (s->has_x && cmd_key_init(&s->x, s->src, env, named, eb) == -1)
		return -1;
	return 0;
}

void
agg_spec_release(struct agg_spec *s)
{
	size_t i;

	if (s->has_x)
		cmd_expr_release(&s->x);
	for (i = 0; i < s->npct; i++)
		free(s->pname[i]);
	free(s->name);
	free(s->src);
	buf_release(&s->in);
	buf_release(&s->canon);
	memset(s, 0, sizeof(*s));
}

/* ---- reading an event's value ------------------------------------------ */

static int
numeric_fn(enum agg_fn fn)
{
	return fn == AF_SUM || fn == AF_AVG || fn == AF_MIN || fn == AF_MAX ||
	       fn == AF_PCT;
}

static const char *
fn_name(enum agg_fn fn)
{
	size_t k;

	for (k = 0; k < sizeof(agg_fns) / sizeof(agg_fns[0]); k++)
		if (agg_fns[k].fn == fn)
			return agg_fns[k].name;
	return "?";
}

static int
read_number(struct agg_spec *s, struct errbuf *eb)
{
	const char *p = s->in.data;
	size_t n = s->in.len, k;
	char *end;

	if (n == 0 || !(p[0] == '-' || (p[0] >= '0' && p[0] <= '9'))) {
		const char *kind = p[0] == '"'	 ? "a string"
				   : p[0] == '{' ? "an object"
				   : p[0] == '[' ? "an array"
						 : "a boolean";

		return errbuf_set(eb, STATUS_REJECT,
				  "-a %s: %s(%s) needs a number, got %s "
				  "(%.*s%s)",
				  s->name, fn_name(s->fn), s->src, kind,
				  (int)(n > 40 ? 40 : n), p,
				  n > 40 ? "..." : "");
	}
	s->is_int = n <= 20;
	for (k = p[0] == '-'; k < n && s->is_int; k++)
		if (p[k] < '0' || p[k] > '9')
			s->is_int = 0;
	if (s->is_int) {
		long long v;

		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno == 0 && end == p + n) {
			s->i = v;
			s->d = (double)v;
			return 0;
		}
		s->is_int = 0;
	}
	s->d = strtod(p, &end);
	if (isinf(s->d))
		s->d = s->d > 0 ? 1.7976931348623157e308
				: -1.7976931348623157e308;
	return 0;
}

/* count(EXPR): the event counts when EXPR has a truthy output, as for
 * filter. */
static int
read_truthy(struct agg_spec *s, struct record *rec, struct errbuf *eb)
{
	struct expr_fast *fast = cmd_expr_fast(&s->x, rec);
	int owned, yes = EXPR_FAST_UNSURE;
	json_t *in;

	if (fast)
		yes = expr_fast_truthy(fast, rec->scan);
	if (yes == EXPR_FAST_UNSURE) {
		in = cmd_expr_input(&s->x, rec, &owned, eb);
		if (in == NULL)
			return errbuf_prefix(eb, "-a %s", s->name);
		yes = expr_truthy(s->x.expr, in, eb);
		if (owned)
			json_decref(in);
		if (yes < 0)
			return errbuf_prefix(eb, "-a %s", s->name);
	}
	s->skip = !yes;
	return 0;
}

int
agg_read(struct agg_spec *s, struct record *rec, struct errbuf *eb)
{
	struct expr_fast *fast;
	json_t *v;

	s->skip = 0;
	if (!s->has_x)
		return 0;
	if (s->fn == AF_COUNT)
		return read_truthy(s, rec, eb);
	buf_reset(&s->in);
	if (s->fn == AF_DISTINCT || s->fn == AF_TOP) {
		if (cmd_key_bytes(&s->x, rec, &s->in, eb) == -1)
			return errbuf_prefix(eb, "-a %s", s->name);
		s->h = hash64(s->in.data, s->in.len);
		return 0;
	}
	fast = cmd_expr_fast(&s->x, rec);
	if (!(fast && expr_fast_project(fast, rec->scan, &s->in) == 0)) {
		buf_reset(&s->in);
		v = cmd_key_value(&s->x, rec, eb);
		if (v == NULL)
			return errbuf_prefix(eb, "-a %s", s->name);
		jtext_value(&s->in, v, AGG_VALUE_MAX);
		json_decref(v);
		if (s->in.len > AGG_VALUE_MAX)
			return errbuf_set(eb, STATUS_REJECT,
					  "-a %s: the value is over 1 MiB",
					  s->name);
	}
	if (s->in.len == 4 && memcmp(s->in.data, "null", 4) == 0 &&
	    numeric_fn(s->fn)) {
		s->skip = 1;
		return 0;
	}
	if (numeric_fn(s->fn))
		return read_number(s, eb);
	return 0;
}

/* ---- values -------------------------------------------------------------- */

void
agg_val_init(const struct agg_spec *s, struct agg_val *v)
{
	memset(v, 0, sizeof(*v));
	if (s->fn == AF_TOP) {
		v->u.t.cap = s->bound * 10 < AGG_TOP_MIN ? AGG_TOP_MIN
							 : s->bound * 10;
	}
}

void
agg_val_release(const struct agg_spec *s, struct agg_val *v)
{
	size_t i;

	switch (s->fn) {
	case AF_MIN:
	case AF_MAX:
	case AF_FIRST:
	case AF_LAST:
		free(v->u.e.text);
		break;
	case AF_PCT:
		free(v->u.p.v);
		if (v->u.p.dd) {
			dd_release(v->u.p.dd);
			free(v->u.p.dd);
		}
		break;
	case AF_DISTINCT:
		free(v->u.d.set);
		if (v->u.d.hll) {
			hll_release(v->u.d.hll);
			free(v->u.d.hll);
		}
		break;
	case AF_TOP:
		/* n may be a loaded count whose entries never came */
		for (i = 0; v->u.t.e && i < v->n && i < v->u.t.cap; i++)
			free(v->u.t.e[i].v);
		free(v->u.t.e);
		break;
	case AF_COLLECT:
		buf_release(&v->u.c.b);
		break;
	default:
		break;
	}
	memset(v, 0, sizeof(*v));
}

static void
sum_add(struct agg_val *v, double x, int is_int, int64_t i)
{
	double t = v->u.s.sum + x;

	/* Neumaier's compensated summation */
	if (fabs(v->u.s.sum) >= fabs(x))
		v->u.s.comp += (v->u.s.sum - t) + x;
	else
		v->u.s.comp += (x - t) + v->u.s.sum;
	v->u.s.sum = t;
	if (is_int)
		v->u.s.isum += i;
	else
		v->u.s.inexact = 1;
}

static void
ext_set(struct agg_ext *e, double d, const char *text, size_t len, uint64_t ord)
{
	free(e->text);
	e->text = xstrndup(text, len);
	e->len = len;
	e->d = d;
	e->ord = ord;
	e->set = 1;
}

/* -1, 0, 1: a's number against b's, exactly when their doubles tie. */
static int
ext_cmp(double ad, const char *at, size_t al, double bd, const char *bt,
	size_t bl)
{
	if (ad != bd)
		return ad < bd ? -1 : 1;
	return jnum_dec_cmp(at, al, bt, bl);
}

static void
ext_add(enum agg_fn fn, struct agg_ext *e, double d, const char *text,
	size_t len, uint64_t ord)
{
	int c;

	if (!e->set) {
		ext_set(e, d, text, len, ord);
		return;
	}
	switch (fn) {
	case AF_MIN:
	case AF_MAX:
		c = ext_cmp(d, text, len, e->d, e->text, e->len);
		if ((fn == AF_MIN && c < 0) || (fn == AF_MAX && c > 0))
			ext_set(e, d, text, len, ord);
		break;
	case AF_FIRST:
		if (ord < e->ord)
			ext_set(e, d, text, len, ord);
		break;
	default:
		if (ord > e->ord)
			ext_set(e, d, text, len, ord);
		break;
	}
}

static void
pct_add(struct agg_val *v, double d)
{
	size_t i;

	v->n++;
	if (v->u.p.dd) {
		dd_add(v->u.p.dd, d);
		return;
	}
	if (v->n > AGG_EXACT_VALUES) {
		v->u.p.dd = xmalloc(sizeof(*v->u.p.dd));
		dd_init(v->u.p.dd);
		for (i = 0; i < v->n - 1; i++)
			dd_add(v->u.p.dd, v->u.p.v[i]);
		dd_add(v->u.p.dd, d);
		free(v->u.p.v);
		v->u.p.v = NULL;
		v->u.p.cap = 0;
		return;
	}
	if (v->n > v->u.p.cap) {
		v->u.p.cap = v->u.p.cap ? v->u.p.cap * 2 : 16;
		v->u.p.v = xreallocarray(v->u.p.v, v->u.p.cap, sizeof(double));
	}
	v->u.p.v[v->n - 1] = d;
}

static void distinct_add(struct agg_val *v, uint64_t h);

static void
distinct_grow(struct agg_val *v)
{
	uint64_t *old = v->u.d.set;
	size_t oldcap = v->u.d.cap, i;
	int zero = v->u.d.has_zero;

	v->u.d.cap = oldcap ? oldcap * 2 : 16;
	v->u.d.set = xcalloc(v->u.d.cap, sizeof(uint64_t));
	v->n = 0;
	v->u.d.has_zero = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i])
			distinct_add(v, old[i]);
	if (zero)
		distinct_add(v, 0);
	free(old);
}

static void
distinct_to_hll(struct agg_val *v)
{
	size_t i;

	v->u.d.hll = xmalloc(sizeof(*v->u.d.hll));
	hll_init(v->u.d.hll);
	for (i = 0; i < v->u.d.cap; i++)
		if (v->u.d.set[i])
			hll_add(v->u.d.hll, v->u.d.set[i]);
	if (v->u.d.has_zero)
		hll_add(v->u.d.hll, 0);
	free(v->u.d.set);
	v->u.d.set = NULL;
	v->u.d.cap = 0;
}

static void
distinct_add(struct agg_val *v, uint64_t h)
{
	size_t i;

	if (v->u.d.hll) {
		hll_add(v->u.d.hll, h);
		return;
	}
	if (h == 0) {
		v->n += !v->u.d.has_zero;
		v->u.d.has_zero = 1;
	} else {
		if ((v->n + 1) * 4 > v->u.d.cap * 3)
			distinct_grow(v);
		for (i = h & (v->u.d.cap - 1); v->u.d.set[i];
		     i = (i + 1) & (v->u.d.cap - 1))
			if (v->u.d.set[i] == h)
				return;
		v->u.d.set[i] = h;
		v->n++;
	}
	if (v->n > AGG_EXACT_DISTINCT)
		distinct_to_hll(v);
}

static void
top_add(struct agg_val *v, const char *p, size_t len, uint64_t h,
	uint64_t count)
{
	struct agg_top_e *e = v->u.t.e, *min = NULL;
	size_t i;

	for (i = 0; i < v->n; i++) {
		if (e[i].h == h && e[i].len == len &&
		    memcmp(e[i].v, p, len) == 0) {
			e[i].count += count;
			return;
		}
		if (min == NULL || e[i].count < min->count)
			min = &e[i];
	}
	if (v->n < v->u.t.cap) {
		if (v->u.t.e == NULL)
			v->u.t.e = xcalloc(v->u.t.cap, sizeof(*e));
		min = &v->u.t.e[v->n++];
		min->count = 0;
	} else {
		/* Space-Saving: the smallest counter takes the new value */
		free(min->v);
	}
	min->v = xstrndup(p, len);
	min->len = len;
	min->h = h;
	min->count += count;
}

void
agg_add(struct agg_spec *s, struct agg_val *v, uint64_t ord)
{
	if (s->skip)
		return;
	switch (s->fn) {
	case AF_COUNT:
		v->n++;
		break;
	case AF_SUM:
	case AF_AVG:
		v->n++;
		sum_add(v, s->d, s->is_int, s->i);
		break;
	case AF_MIN:
	case AF_MAX:
	case AF_FIRST:
	case AF_LAST:
		v->n++;
		ext_add(s->fn, &v->u.e, s->d, s->in.data, s->in.len, ord);
		break;
	case AF_PCT:
		pct_add(v, s->d);
		break;
	case AF_DISTINCT:
		distinct_add(v, s->h);
		break;
	case AF_TOP:
		top_add(v, s->in.data, s->in.len, s->h, 1);
		break;
	case AF_COLLECT:
		if (v->n < s->bound) {
			if (v->n)
				buf_addc(&v->u.c.b, ',');
			buf_add(&v->u.c.b, s->in.data, s->in.len);
			v->n++;
		}
		break;
	}
}

static void
collect_merge(const struct agg_spec *s, struct agg_val *dst,
	      const struct agg_val *src)
{
	/* the values of the earlier session first: src started later */
	if (src->n == 0 || dst->n >= s->bound)
		return;
	if (dst->n + src->n <= s->bound) {
		if (dst->n)
			buf_addc(&dst->u.c.b, ',');
		buf_add(&dst->u.c.b, src->u.c.b.data, src->u.c.b.len);
		dst->n += src->n;
		return;
	}
	{
		/* take values one by one up to the bound */
		const char *p = src->u.c.b.data, *end = p + src->u.c.b.len;
		int depth = 0, in_str = 0;
		const char *start = p;

		for (; p <= end && dst->n < s->bound; p++) {
			if (p < end && in_str) {
				if (*p == '\\')
					p++;
				else if (*p == '"')
					in_str = 0;
				continue;
			}
			if (p < end && *p == '"')
				in_str = 1;
			else if (p < end && (*p == '[' || *p == '{'))
				depth++;
			else if (p < end && (*p == ']' || *p == '}'))
				depth--;
			else if (p == end || (*p == ',' && depth == 0)) {
				if (dst->n)
					buf_addc(&dst->u.c.b, ',');
				buf_add(&dst->u.c.b, start,
					(size_t)(p - start));
				dst->n++;
				start = p + 1;
			}
		}
	}
}

void
agg_merge(const struct agg_spec *s, struct agg_val *dst,
	  const struct agg_val *src)
{
	size_t i;

	switch (s->fn) {
	case AF_COUNT:
		dst->n += src->n;
		break;
	case AF_SUM:
	case AF_AVG:
		dst->n += src->n;
		sum_add(dst, src->u.s.sum, 0, 0);
		dst->u.s.comp += src->u.s.comp;
		dst->u.s.isum += src->u.s.isum;
		dst->u.s.inexact |= src->u.s.inexact;
		break;
	case AF_MIN:
	case AF_MAX:
	case AF_FIRST:
	case AF_LAST:
		if (src->u.e.set)
			ext_add(s->fn, &dst->u.e, src->u.e.d, src->u.e.text,
				src->u.e.len, src->u.e.ord);
		dst->n += src->n;
		break;
	case AF_PCT:
		if (src->u.p.dd) {
			struct ddsketch *dd = src->u.p.dd;

			if (dst->u.p.dd == NULL) {
				/* turn dst into a sketch, then merge */
				struct agg_val tmp = *dst;

				dst->u.p.v = NULL;
				dst->u.p.cap = 0;
				dst->n = 0;
				dst->u.p.dd = xmalloc(sizeof(*dst->u.p.dd));
				dd_init(dst->u.p.dd);
				for (i = 0; i < tmp.n; i++)
					dd_add(dst->u.p.dd, tmp.u.p.v[i]);
				dst->n = tmp.n;
				free(tmp.u.p.v);
			}
			dd_merge(dst->u.p.dd, dd);
			dst->n += src->n;
		} else {
			for (i = 0; i < src->n; i++)
				pct_add(dst, src->u.p.v[i]);
		}
		break;
	case AF_DISTINCT:
		if (src->u.d.hll) {
			if (dst->u.d.hll == NULL)
				distinct_to_hll(dst);
			hll_merge(dst->u.d.hll, src->u.d.hll);
		} else {
			for (i = 0; i < src->u.d.cap; i++)
				if (src->u.d.set[i])
					distinct_add(dst, src->u.d.set[i]);
			if (src->u.d.has_zero)
				distinct_add(dst, 0);
		}
		break;
	case AF_TOP:
		for (i = 0; i < src->n; i++)
			top_add(dst, src->u.t.e[i].v, src->u.t.e[i].len,
				src->u.t.e[i].h, src->u.t.e[i].count);
		break;
	case AF_COLLECT:
		collect_merge(s, dst, src);
		break;
	}
}

/* ---- printing ------------------------------------------------------------ */

static void
add_name(struct buf *out, const char *name)
{
	buf_addc(out, ',');
	jtext_quote(out, name, strlen(name));
	buf_addc(out, ':');
}

static void
add_i128(struct buf *out, agg_i128 x)
{
	char tmp[48];
	size_t n = 0;
	int neg = x < 0;
	agg_u128 u;

	u = neg ? (agg_u128)0 - (agg_u128)x : (agg_u128)x;
	do {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (neg)
		buf_addc(out, '-');
	while (n)
		buf_addc(out, tmp[--n]);
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_top(const void *a, const void *b)
{
	const struct agg_top_e *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = memcmp(x->v, y->v, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void
print_pct(const struct agg_spec *s, struct agg_val *v, struct buf *out)
{
	size_t i;

	if (v->u.p.dd == NULL && v->n > 1)
		qsort(v->u.p.v, v->n, sizeof(double), cmp_dbl);
	for (i = 0; i < s->npct; i++) {
		double q = s->pct[i] / 100;

		add_name(out, s->pname[i]);
		if (v->n == 0) {
			buf_adds(out, "null");
		} else if (v->u.p.dd) {
			jnum_dump_double(dd_quantile(v->u.p.dd, q), out);
		} else {
			/* nearest rank: the ceil(q n)-th smallest */
			double r = ceil(q * (double)v->n);
			size_t k = r < 1 ? 0 : (size_t)r - 1;

			if (k >= v->n)
				k = v->n - 1;
			jnum_dump_double(v->u.p.v[k], out);
		}
	}
}

void
agg_print(const struct agg_spec *s, struct agg_val *v, struct buf *out)
{
	size_t i;

	if (s->fn == AF_PCT) {
		print_pct(s, v, out);
		return;
	}
	add_name(out, s->name);
	switch (s->fn) {
	case AF_COUNT:
	case AF_COLLECT:
		if (s->fn == AF_COUNT) {
			buf_addf(out, "%llu", (unsigned long long)v->n);
		} else {
			buf_addc(out, '[');
			if (v->u.c.b.len)
				buf_add(out, v->u.c.b.data, v->u.c.b.len);
			buf_addc(out, ']');
		}
		break;
	case AF_SUM:
		if (!v->u.s.inexact)
			add_i128(out, v->u.s.isum);
		else
			jnum_dump_double(v->u.s.sum + v->u.s.comp, out);
		break;
	case AF_AVG:
		if (v->n == 0)
			buf_adds(out, "null");
		else if (!v->u.s.inexact)
			jnum_dump_double((double)v->u.s.isum / (double)v->n,
					 out);
		else
			jnum_dump_double(
				(v->u.s.sum + v->u.s.comp) / (double)v->n, out);
		break;
	case AF_DISTINCT:
		if (v->u.d.hll)
			buf_addf(out, "%.0f", round(hll_estimate(v->u.d.hll)));
		else
			buf_addf(out, "%llu", (unsigned long long)v->n);
		break;
	case AF_TOP:
		qsort(v->u.t.e, v->n, sizeof(*v->u.t.e), cmp_top);
		buf_addc(out, '[');
		for (i = 0; i < v->n && i < s->bound; i++) {
			buf_adds(out, i ? ",{\"value\":" : "{\"value\":");
			buf_add(out, v->u.t.e[i].v, v->u.t.e[i].len);
			buf_addf(out, ",\"count\":%llu}",
				 (unsigned long long)v->u.t.e[i].count);
		}
		buf_addc(out, ']');
		break;
	default: /* min, max, first, last */
		if (v->u.e.set)
			buf_add(out, v->u.e.text, v->u.e.len);
		else
			buf_adds(out, "null");
		break;
	}
}

/* ---- state-file form ------------------------------------------------------
 */

json_t *
agg_dbl_json(double d)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%a", d);
	return json_string(tmp);
}

int
agg_json_dbl(const json_t *j, double *d)
{
	const char *s = json_string_value(j);
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	*d = strtod(s, &end);
	return *end == '\0' && !isnan(*d) ? 0 : -1;
}

static json_t *
hex_json(const void *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *b = p;
	char *s = xmalloc(2 * n + 1);
	json_t *j;
	size_t i;

	for (i = 0; i < n; i++) {
		s[2 * i] = hx[b[i] >> 4];
		s[2 * i + 1] = hx[b[i] & 15];
	}
	s[2 * n] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

static int
json_hex(const json_t *j, void *p, size_t n)
{
	const char *s = json_string_value(j);
	unsigned char *b = p;
	size_t i;

	if (s == NULL || json_string_length(j) != 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++) {
		int c = s[i], v = c >= '0' && c <= '9'	 ? c - '0'
				  : c >= 'a' && c <= 'f' ? c - 'a' + 10
							 : -1;

		if (v < 0)
			return -1;
		if (i % 2 == 0)
			b[i / 2] = (unsigned char)(v << 4);
		else
			b[i / 2] |= (unsigned char)v;
	}
	return 0;
}

/* A value's text must be one JSON value: it is printed as it is. */
static int
valid_value(const char *p, size_t n)
{
	json_error_t jerr;
	json_t *v;

	if (n == 0)
		return 0;
	v = json_loadb(p, n, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr);
	if (v == NULL)
		return 0;
	json_decref(v);
	return 1;
}

static json_t *
store_json(const struct dd_store *st)
{
	json_t *a = json_array();
	uint32_t k;

	for (k = 0; k < st->n; k++)
		json_array_append_new(a, json_integer((json_int_t)st->c[k]));
	return json_pack("{s:i,s:o,s:b}", "lo", (int)st->lo, "c", a, "x",
			 st->collapsed);
}

static json_t *
dd_json(const struct ddsketch *d)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:o}", "zero", (json_int_t)d->zero,
			 "min", agg_dbl_json(d->min), "max",
			 agg_dbl_json(d->max), "pos", store_json(&d->pos),
			 "neg", store_json(&d->neg));
}

json_t *
agg_save(const struct agg_spec *s, const struct agg_val *v)
{
	json_t *o = json_object(), *a;
	size_t i;
	char tmp[64];

	json_object_set_new(o, "n", json_integer((json_int_t)v->n));
	switch (s->fn) {
	case AF_SUM:
	case AF_AVG: {
		struct buf b = BUF_INIT;

		add_i128(&b, v->u.s.isum);
		json_object_set_new(o, "inexact", json_boolean(v->u.s.inexact));
		json_object_set_new(o, "isum", json_stringn(b.data, b.len));
		json_object_set_new(o, "sum", agg_dbl_json(v->u.s.sum));
		json_object_set_new(o, "comp", agg_dbl_json(v->u.s.comp));
		buf_release(&b);
		break;
	}
	case AF_MIN:
	case AF_MAX:
	case AF_FIRST:
	case AF_LAST:
		if (v->u.e.set) {
			json_object_set_new(o, "d", agg_dbl_json(v->u.e.d));
			json_object_set_new(
				o, "text",
				json_stringn(v->u.e.text, v->u.e.len));
			json_object_set_new(
				o, "ord", json_integer((json_int_t)v->u.e.ord));
		}
		break;
	case AF_PCT:
		if (v->u.p.dd) {
			json_object_set_new(o, "dd", dd_json(v->u.p.dd));
		} else {
			a = json_array();
			for (i = 0; i < v->n; i++)
				json_array_append_new(
					a, agg_dbl_json(v->u.p.v[i]));
			json_object_set_new(o, "v", a);
		}
		break;
	case AF_DISTINCT:
		if (v->u.d.hll) {
			json_object_set_new(o, "hll",
					    hex_json(v->u.d.hll->reg, HLL_M));
		} else {
			a = json_array();
			for (i = 0; i < v->u.d.cap; i++)
				if (v->u.d.set[i]) {
					snprintf(tmp, sizeof(tmp), "%016llx",
						 (unsigned long long)
							 v->u.d.set[i]);
					json_array_append_new(a,
							      json_string(tmp));
				}
			if (v->u.d.has_zero)
				json_array_append_new(
					a, json_string("0000000000000000"));
			json_object_set_new(o, "set", a);
		}
		break;
	case AF_TOP:
		a = json_array();
		for (i = 0; i < v->n; i++)
			json_array_append_new(
				a, json_pack("[s%,I]", v->u.t.e[i].v,
					     v->u.t.e[i].len,
					     (json_int_t)v->u.t.e[i].count));
		json_object_set_new(o, "top", a);
		break;
	case AF_COLLECT:
		json_object_set_new(o, "values",
				    json_stringn(v->u.c.b.data, v->u.c.b.len));
		break;
	default:
		break;
	}
	return o;
}

static int
load_store(struct dd_store *st, const json_t *j)
{
	json_t *c = json_object_get(j, "c"), *lo = json_object_get(j, "lo"),
	       *x = json_object_get(j, "x"), *e;
	size_t i;

	if (!json_is_integer(lo) || !json_is_array(c) || !json_is_boolean(x) ||
	    json_array_size(c) > DD_MAX_BUCKETS ||
	    json_integer_value(lo) < -1000000 ||
	    json_integer_value(lo) > 1000000)
		return -1;
	st->collapsed = json_is_true(x);
	json_array_foreach(c, i, e) {
		if (!json_is_integer(e) || json_integer_value(e) < 0)
			return -1;
		if (json_integer_value(e) > 0) {
			int32_t key =
				(int32_t)json_integer_value(lo) + (int32_t)i;
			uint64_t n = (uint64_t)json_integer_value(e);

			if (st->n == 0 || key < st->lo ||
			    key >= st->lo + (int32_t)st->n) {
				int32_t hi = (int32_t)json_integer_value(lo) +
					     (int32_t)json_array_size(c) - 1;

				/* one allocation for the whole span */
				if (st->n == 0) {
					st->lo = key;
					st->n = (uint32_t)(hi - key + 1);
					st->c = xcalloc(st->n, sizeof(*st->c));
				}
			}
			st->c[key - st->lo] += n;
		}
	}
	return 0;
}

static int
load_dd(struct ddsketch *d, const json_t *j, uint64_t n)
{
	uint64_t total;
	uint32_t k;

	if (!json_is_object(j) ||
	    !json_is_integer(json_object_get(j, "zero")) ||
	    json_integer_value(json_object_get(j, "zero")) < 0 ||
	    agg_json_dbl(json_object_get(j, "min"), &d->min) == -1 ||
	    agg_json_dbl(json_object_get(j, "max"), &d->max) == -1 ||
	    load_store(&d->pos, json_object_get(j, "pos")) == -1 ||
	    load_store(&d->neg, json_object_get(j, "neg")) == -1)
		return -1;
	d->zero = (uint64_t)json_integer_value(json_object_get(j, "zero"));
	total = d->zero;
	for (k = 0; k < d->pos.n; k++)
		total += d->pos.c[k];
	for (k = 0; k < d->neg.n; k++)
		total += d->neg.c[k];
	d->count = n;
	return total == n && n > 0 && d->min <= d->max ? 0 : -1;
}

static int
load_ext(const struct agg_spec *s, struct agg_val *v, const json_t *j)
{
	json_t *t = json_object_get(j, "text"),
	       *ord = json_object_get(j, "ord");

	if (t == NULL)
		return v->n == 0 ? 0 : -1;
	if (!json_is_string(t) || !json_is_integer(ord) ||
	    agg_json_dbl(json_object_get(j, "d"), &v->u.e.d) == -1 ||
	    !valid_value(json_string_value(t), json_string_length(t)))
		return -1;
	/* min and max compare their texts as numbers */
	if ((s->fn == AF_MIN || s->fn == AF_MAX) &&
	    jnum_scan(json_string_value(t), json_string_length(t)) !=
		    json_string_length(t))
		return -1;
	v->u.e.set = 1;
	v->u.e.text = xstrndup(json_string_value(t), json_string_length(t));
	v->u.e.len = json_string_length(t);
	v->u.e.ord = (uint64_t)json_integer_value(ord);
	return 0;
}

static int
load_pct(struct agg_val *v, const json_t *j)
{
	json_t *a = json_object_get(j, "v"), *e;
	uint64_t n = v->n;
	size_t i;

	if (json_object_get(j, "dd")) {
		v->u.p.dd = xmalloc(sizeof(*v->u.p.dd));
		dd_init(v->u.p.dd);
		return load_dd(v->u.p.dd, json_object_get(j, "dd"), n);
	}
	if (!json_is_array(a) || json_array_size(a) != n ||
	    n > AGG_EXACT_VALUES)
		return -1;
	v->n = 0;
	json_array_foreach(a, i, e) {
		double d;

		if (agg_json_dbl(e, &d) == -1)
			return -1;
		pct_add(v, d);
	}
	return 0;
}

static int
load_distinct(struct agg_val *v, const json_t *j)
{
	json_t *a = json_object_get(j, "set"), *e;
	size_t i;

	if (json_object_get(j, "hll")) {
		v->u.d.hll = xmalloc(sizeof(*v->u.d.hll));
		hll_init(v->u.d.hll);
		if (json_hex(json_object_get(j, "hll"), v->u.d.hll->reg,
			     HLL_M) == -1)
			return -1;
		for (i = 0; i < HLL_M; i++)
			if (v->u.d.hll->reg[i] > 64 - HLL_P + 1)
				return -1;
		return 0;
	}
	if (!json_is_array(a) || json_array_size(a) > AGG_EXACT_DISTINCT ||
	    json_array_size(a) != v->n)
		return -1;
	v->n = 0;
	json_array_foreach(a, i, e) {
		uint64_t h;
		unsigned char b[8];
		int k;

		if (json_hex(e, b, 8) == -1)
			return -1;
		for (h = 0, k = 0; k < 8; k++)
			h = (h << 8) | b[k];
		distinct_add(v, h);
	}
	return v->n == json_array_size(a) ? 0 : -1;
}

static int
load_top(const struct agg_spec *s, struct agg_val *v, const json_t *j)
{
	json_t *a = json_object_get(j, "top"), *e;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != v->n ||
	    v->n > v->u.t.cap)
		return -1;
	v->n = 0;
	json_array_foreach(a, i, e) {
		json_t *t = json_array_get(e, 0), *c = json_array_get(e, 1);

		if (!json_is_array(e) || json_array_size(e) != 2 ||
		    !json_is_string(t) || !json_is_integer(c) ||
		    json_integer_value(c) < 1 ||
		    !valid_value(json_string_value(t), json_string_length(t)))
			return -1;
		top_add(v, json_string_value(t), json_string_length(t),
			hash64(json_string_value(t), json_string_length(t)),
			(uint64_t)json_integer_value(c));
	}
	(void)s;
	return v->n == json_array_size(a) ? 0 : -1;
}

static int
load_collect(const struct agg_spec *s, struct agg_val *v, const json_t *j)
{
	json_t *t = json_object_get(j, "values");
	struct buf b = BUF_INIT;
	json_t *arr;
	json_error_t jerr;

	if (!json_is_string(t) || v->n > s->bound)
		return -1;
	buf_addc(&b, '[');
	buf_add(&b, json_string_value(t), json_string_length(t));
	buf_addc(&b, ']');
	arr = json_loadb(b.data, b.len,
			 JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr);
	buf_release(&b);
	if (arr == NULL || json_array_size(arr) != v->n) {
		json_decref(arr);
		return -1;
	}
	json_decref(arr);
	buf_add(&v->u.c.b, json_string_value(t), json_string_length(t));
	return 0;
}

static int
load_sum(struct agg_val *v, const json_t *j)
{
	json_t *is = json_object_get(j, "isum"),
	       *ie = json_object_get(j, "inexact");
	const char *p;
	agg_i128 x = 0;
	int neg;

	if (!json_is_string(is) || !json_is_boolean(ie) ||
	    agg_json_dbl(json_object_get(j, "sum"), &v->u.s.sum) == -1 ||
	    agg_json_dbl(json_object_get(j, "comp"), &v->u.s.comp) == -1)
		return -1;
	p = json_string_value(is);
	neg = *p == '-';
	p += neg;
	if (*p == '\0' || strlen(p) > 38 ||
	    strspn(p, "0123456789") != strlen(p))
		return -1;
	for (; *p; p++)
		x = x * 10 + (*p - '0');
	v->u.s.isum = neg ? -x : x;
	v->u.s.inexact = json_is_true(ie);
	return 0;
}

int
agg_load(const struct agg_spec *s, struct agg_val *v, const json_t *j,
	 struct errbuf *eb)
{
	json_t *n = json_object_get(j, "n");
	int rc = 0;

	agg_val_init(s, v);
	if (!json_is_object(j) || !json_is_integer(n) ||
	    json_integer_value(n) < 0)
		rc = -1;
	else
		v->n = (uint64_t)json_integer_value(n);
	if (rc == 0)
		switch (s->fn) {
		case AF_SUM:
		case AF_AVG:
			rc = load_sum(v, j);
			break;
		case AF_MIN:
		case AF_MAX:
		case AF_FIRST:
		case AF_LAST:
			rc = load_ext(s, v, j);
			break;
		case AF_PCT:
			rc = load_pct(v, j);
			break;
		case AF_DISTINCT:
			rc = load_distinct(v, j);
			break;
		case AF_TOP:
			rc = load_top(s, v, j);
			break;
		case AF_COLLECT:
			rc = load_collect(s, v, j);
			break;
		default:
			break;
		}
	if (rc == -1)
		return errbuf_set(eb, STATUS_USAGE,
				  "the value of -a %s is not valid", s->name);
	return 0;
}
