/*
 * schema-compat.c -- structural compatibility of two schemas (see
 * schema-compat.h).
 *
 * sub(A, B) proves that every value valid under A is valid under B, or
 * reports why it cannot.  A schema is first flattened into its
 * conjuncts: the node itself, what its $ref points to and the members of
 * its allOf.  A's conjuncts are merged into one object (taking from each
 * keyword a constraint no stronger than the real one, so A only grows
 * and a proof stays sound); B's are checked one by one.  A's anyOf and
 * oneOf branches are checked one by one; B's anyOf needs one branch
 * that holds all of A, B's oneOf also needs A to be disjoint from the
 * other branches (by type, or by a required property whose values the
 * branch excludes).  When A admits only finitely many values (enum,
 * const, null, boolean) each is validated against B with the validator
 * itself.  Patterns are compared as text.  A keyword of B this file does
 * not know must appear unchanged in A, else it is reported.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "json/jnum.h"
#include "lib/regex.h"
#include "schema-compat.h"
#include "schema-int.h"
#include "lib/xmalloc.h"

#define COMPAT_MAX_DEPTH 64

/* Type bits. */
enum {
	TY_NULL = 1,
	TY_BOOL = 2,
	TY_INT = 4,
	TY_FRAC = 8, /* numbers that are not integers */
	TY_STR = 16,
	TY_ARR = 32,
	TY_OBJ = 64,
	TY_ALL = 127,
};

struct doc {
	const char *label; /* "old", "new" */
	const char *path;
	json_t *root;
	char *uri; /* file: URI of the document */
	char *dir;
	enum schema_dialect dialect;
	struct {
		char *ptr;
		struct schema *sc;
	} * cache;
	size_t ncache;
};

struct pair {
	json_t *a, *b;
};

struct cx {
	struct doc *a, *b; /* proving a's values valid under b */
	int forward;
	const struct schema_opts *opts;
	struct compat_result *res;
	struct pair *stack;
	size_t nstack, capstack;
	int silent;   /* > 0: trying, not reporting */
	size_t fails; /* reports (counted even when silent) */
	int depth;
	struct errbuf *eb;
	int error; /* eb is set: stop */
};

/* Conjuncts of a schema: nodes and their document pointers. */
struct conj {
	json_t **v; /* borrowed */
	char **ptr; /* owned */
	size_t n;
	int is_false;
};

static void sub(struct cx *cx, json_t *a, const char *pa, json_t *b,
		const char *pb);

/* ---- pointers ------------------------------------------------------ */

static char *
ptr_child(const char *ptr, const char *key)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, ptr);
	buf_addc(&b, '/');
	schema_ptr_add(&b, key, strlen(key));
	return buf_detach(&b, NULL);
}

static char *
ptr_index(const char *ptr, size_t i)
{
	return xasprintf("%s/%zu", ptr, i);
}

/*
 * Resolve the local reference ref ("#" or "#/json/pointer") in doc.
 * Returns the node and sets *out to its pointer, or NULL (cx->eb set).
 */
static json_t *
resolve(struct cx *cx, struct doc *d, const char *ref, const char *at,
	char **out)
{
	struct buf frag = BUF_INIT;
	json_t *node;

	if (ref[0] != '#' || (ref[1] != '\0' && ref[1] != '/')) {
		errbuf_set(cx->eb, STATUS_USAGE,
			   "%s: %s/$ref: '%s': only references within the "
			   "document (#/...) can be compared",
			   d->path, at, ref);
		cx->error = 1;
		return NULL;
	}
	schema_pct_decode(&frag, ref + 1);
	node = schema_ptr_get(d->root, frag.data ? frag.data : "");
	if (node == NULL) {
		errbuf_set(cx->eb, STATUS_USAGE,
			   "%s: %s/$ref: '%s' does not resolve", d->path, at,
			   ref);
		cx->error = 1;
		buf_release(&frag);
		return NULL;
	}
	*out = buf_detach(&frag, NULL);
	return node;
}

/* ---- reports ------------------------------------------------------- */

ATTR_PRINTF(4, 5)
static void
report(struct cx *cx, const char *pb, const char *kw, const char *fmt, ...)
{
	struct compat_change *c;
	char *ptr = kw ? ptr_child(pb, kw) : xstrdup(pb), *reason;
	struct buf b = BUF_INIT;
	va_list ap;
	size_t i;

	cx->fails++;
	if (cx->silent) {
		free(ptr);
		return;
	}
	va_start(ap, fmt);
	buf_grow(&b, 256);
	{
		char tmp[1024];

		vsnprintf(tmp, sizeof tmp, fmt, ap);
		buf_adds(&b, tmp);
	}
	va_end(ap);
	reason = buf_detach(&b, NULL);
	for (i = 0; i < cx->res->n; i++) {
		c = &cx->res->v[i];
		if (c->forward == cx->forward && strcmp(c->pointer, ptr) == 0 &&
		    strcmp(c->reason, reason) == 0) {
			free(ptr);
			free(reason);
			return;
		}
	}
	if (cx->res->n == cx->res->cap) {
		cx->res->cap = cx->res->cap ? 2 * cx->res->cap : 8;
		cx->res->v = xreallocarray(cx->res->v, cx->res->cap,
					   sizeof *cx->res->v);
	}
	c = &cx->res->v[cx->res->n++];
	c->forward = cx->forward;
	c->pointer = ptr;
	c->reason = reason;
}

/* Would sub(a, b) hold?  Nothing is reported. */
static int
try_sub(struct cx *cx, json_t *a, const char *pa, json_t *b, const char *pb)
{
	size_t before = cx->fails;

	cx->silent++;
	sub(cx, a, pa, b, pb);
	cx->silent--;
	return cx->fails == before;
}

/* ---- flattening ---------------------------------------------------- */

static int
is_annotation(const char *k)
{
	static const char *const ann[] = {
		"$schema",
		"$id",
		"$anchor",
		"$dynamicAnchor",
		"$comment",
		"$defs",
		"definitions",
		"$vocabulary",
		"title",
		"description",
		"default",
		"examples",
		"readOnly",
		"writeOnly",
		"deprecated",
		"contentMediaType",
		"contentEncoding",
		"$recursiveAnchor",
		NULL,
	};
	size_t i;

	for (i = 0; ann[i]; i++)
		if (strcmp(k, ann[i]) == 0)
			return 1;
	return 0;
}

static void
conj_push(struct conj *c, json_t *node, char *ptr)
{
	c->v = xreallocarray(c->v, c->n + 1, sizeof *c->v);
	c->ptr = xreallocarray(c->ptr, c->n + 1, sizeof *c->ptr);
	c->v[c->n] = node;
	c->ptr[c->n++] = ptr;
}

static void
conj_release(struct conj *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->ptr[i]);
	free(c->v);
	free(c->ptr);
	memset(c, 0, sizeof *c);
}

static void
flatten(struct cx *cx, struct doc *d, json_t *node, const char *ptr,
	struct conj *c, int depth)
{
	json_t *ref, *all, *v;
	const char *k;
	int own = 0;

	if (cx->error)
		return;
	if (depth > COMPAT_MAX_DEPTH) {
		errbuf_set(cx->eb, STATUS_USAGE,
			   "%s: %s: references nest too deep (a loop?)",
			   d->path, ptr);
		cx->error = 1;
		return;
	}
	if (json_is_false(node)) {
		c->is_false = 1;
		return;
	}
	if (!json_is_object(node))
		return;
	ref = json_object_get(node, "$ref");
	if (json_is_string(ref)) {
		char *tp;
		json_t *t = resolve(cx, d, json_string_value(ref), ptr, &tp);

		if (t == NULL)
			return;
		flatten(cx, d, t, tp, c, depth + 1);
		free(tp);
		/* draft-07: keywords beside $ref are ignored */
		if (d->dialect == SCHEMA_DRAFT7)
			return;
	}
	all = json_object_get(node, "allOf");
	if (json_is_array(all)) {
		size_t i;
		char *ap = ptr_child(ptr, "allOf");

		json_array_foreach(all, i, v) {
			char *ip = ptr_index(ap, i);

			flatten(cx, d, v, ip, c, depth + 1);
			free(ip);
		}
		free(ap);
	}
	json_object_foreach(node, k, v) {
		if (strcmp(k, "$ref") != 0 && strcmp(k, "allOf") != 0 &&
		    !is_annotation(k))
			own = 1;
	}
	if (own)
		conj_push(c, node, xstrdup(ptr));
}

/* ---- types --------------------------------------------------------- */

static unsigned
type_bits(const char *t)
{
	static const struct {
		const char *name;
		unsigned bits;
	} tab[] = {
		{ "null", TY_NULL },   { "boolean", TY_BOOL },
		{ "integer", TY_INT }, { "number", TY_INT | TY_FRAC },
		{ "string", TY_STR },  { "array", TY_ARR },
		{ "object", TY_OBJ },
	};
	size_t i;

	for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(t, tab[i].name) == 0)
			return tab[i].bits;
	return 0;
}

static unsigned
value_bits(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
		return TY_NULL;
	case JSON_TRUE:
	case JSON_FALSE:
		return TY_BOOL;
	case JSON_INTEGER:
		return TY_INT;
	case JSON_REAL: {
		double d = json_real_value(v);

		return d == floor(d) ? TY_INT : TY_FRAC;
	}
	case JSON_STRING:
		return TY_STR;
	case JSON_ARRAY:
		return TY_ARR;
	default:
		return TY_OBJ;
	}
}

/* The types a plain schema object admits (type, enum, const). */
static unsigned
schema_types(json_t *s)
{
	json_t *t = json_object_get(s, "type"), *e, *v;
	unsigned m = TY_ALL;
	size_t i;

	if (json_is_string(t)) {
		m = type_bits(json_string_value(t));
	} else if (json_is_array(t)) {
		m = 0;
		json_array_foreach(t, i, v)
			if (json_is_string(v))
				m |= type_bits(json_string_value(v));
	}
	if ((e = json_object_get(s, "const")) != NULL)
		m &= value_bits(e);
	if (json_is_array(e = json_object_get(s, "enum"))) {
		unsigned em = 0;

		json_array_foreach(e, i, v)
			em |= value_bits(v);
		m &= em;
	}
	return m;
}

static json_t *
types_json(unsigned m)
{
	json_t *a = json_array();

	if (m & TY_NULL)
		json_array_append_new(a, json_string("null"));
	if (m & TY_BOOL)
		json_array_append_new(a, json_string("boolean"));
	if ((m & (TY_INT | TY_FRAC)) == (TY_INT | TY_FRAC))
		json_array_append_new(a, json_string("number"));
	else if (m & TY_INT)
		json_array_append_new(a, json_string("integer"));
	if (m & TY_STR)
		json_array_append_new(a, json_string("string"));
	if (m & TY_ARR)
		json_array_append_new(a, json_string("array"));
	if (m & TY_OBJ)
		json_array_append_new(a, json_string("object"));
	return a;
}

static const char *
type_name(unsigned bit)
{
	switch (bit) {
	case TY_NULL:
		return "null";
	case TY_BOOL:
		return "boolean";
	case TY_INT:
		return "integer";
	case TY_FRAC:
		return "number";
	case TY_STR:
		return "string";
	case TY_ARR:
		return "array";
	default:
		return "object";
	}
}

/* ---- merging A's conjuncts ----------------------------------------- */

static int
is_lower(const char *k)
{
	return strcmp(k, "minimum") == 0 ||
	       strcmp(k, "exclusiveMinimum") == 0 ||
	       strcmp(k, "minLength") == 0 || strcmp(k, "minItems") == 0 ||
	       strcmp(k, "minProperties") == 0;
}

static int
is_upper(const char *k)
{
	return strcmp(k, "maximum") == 0 ||
	       strcmp(k, "exclusiveMaximum") == 0 ||
	       strcmp(k, "maxLength") == 0 || strcmp(k, "maxItems") == 0 ||
	       strcmp(k, "maxProperties") == 0;
}

/*
 * One object whose values include those of every conjunct's
 * intersection (new reference).  A keyword given by several conjuncts
 * keeps the stronger bound, the union of required names, the
 * intersection of types; otherwise the first one wins, which only
 * widens the result.
 */
static json_t *
merge(const struct conj *c)
{
	json_t *m;
	size_t i;

	if (c->n == 0)
		return json_true();
	if (c->n == 1)
		return json_incref(c->v[0]);
	m = json_object();
	for (i = 0; i < c->n; i++) {
		const char *k;
		json_t *v, *have;

		json_object_foreach(c->v[i], k, v) {
			if (strcmp(k, "$ref") == 0 || strcmp(k, "allOf") == 0 ||
			    is_annotation(k))
				continue;
			have = json_object_get(m, k);
			if (have == NULL) {
				json_object_set(m, k, v);
			} else if (strcmp(k, "type") == 0) {
				unsigned t =
					schema_types(m) & schema_types(c->v[i]);

				json_object_set_new(m, k, types_json(t));
			} else if (strcmp(k, "required") == 0 &&
				   json_is_array(have) && json_is_array(v)) {
				json_t *u = json_copy(have), *x;
				size_t j;

				json_array_foreach(v, j, x)
					json_array_append(u, x);
				json_object_set_new(m, k, u);
			} else if (json_is_number(have) && json_is_number(v) &&
				   ((is_lower(k) &&
				     json_number_value(v) >
					     json_number_value(have)) ||
				    (is_upper(k) &&
				     json_number_value(v) <
					     json_number_value(have)))) {
				json_object_set(m, k, v);
			} else if (strcmp(k, "properties") == 0 &&
				   json_is_object(have) && json_is_object(v)) {
				json_t *u = json_copy(have);
				const char *pk;
				json_t *pv;

				json_object_foreach(v, pk, pv)
					if (json_object_get(u, pk) == NULL)
						json_object_set(u, pk, pv);
				json_object_set_new(m, k, u);
			}
		}
	}
	return m;
}

/* ---- values checked with the validator ----------------------------- */

/* The compiled schema at pointer ptr of d (cached); NULL on failure. */
static struct schema *
compiled_at(struct cx *cx, struct doc *d, const char *ptr)
{
	struct schema_opts o = *cx->opts;
	struct errbuf eb = { 0 };
	struct buf u = BUF_INIT;
	struct schema *sc;
	json_t *w;
	char *base;
	size_t i;

	for (i = 0; i < d->ncache; i++)
		if (strcmp(d->cache[i].ptr, ptr) == 0)
			return d->cache[i].sc;
	buf_adds(&u, d->uri);
	buf_addc(&u, '#');
	schema_pct_encode(&u, ptr, "/-._~!$&'()*+,;=:@");
	w = json_object();
	json_object_set_new(w, "$ref", json_string(u.data));
	buf_release(&u);
	base = xasprintf("%s/.evpipe-compat-%s.json", d->dir, d->label);
	buf_init(&u);
	buf_adds(&u, "file://");
	buf_adds(&u, base);
	o.root_dir = d->dir;
	o.no_meta_check = 1;
	sc = schema_compile(w, u.data, &o, &eb);
	buf_release(&u);
	free(base);
	json_decref(w);
	errbuf_clear(&eb);
	d->cache = xreallocarray(d->cache, d->ncache + 1, sizeof *d->cache);
	d->cache[d->ncache].ptr = xstrdup(ptr);
	d->cache[d->ncache++].sc = sc;
	return sc;
}

/*
 * The values a (merged) schema admits, when they are few: its enum or
 * const, or null/true/false by type (new reference), filtered by type.
 */
static json_t *
finite_values(json_t *a)
{
	unsigned m = schema_types(a);
	json_t *e, *out, *v;
	size_t i;

	if ((e = json_object_get(a, "const")) != NULL) {
		out = json_array();
		json_array_append(out, e);
		return out;
	}
	if (json_is_array(e = json_object_get(a, "enum"))) {
		out = json_array();
		json_array_foreach(e, i, v)
			if (value_bits(v) & m)
				json_array_append(out, v);
		return out;
	}
	if (m & ~(TY_NULL | TY_BOOL))
		return NULL;
	out = json_array();
	if (m & TY_NULL)
		json_array_append_new(out, json_null());
	if (m & TY_BOOL) {
		json_array_append_new(out, json_false());
		json_array_append_new(out, json_true());
	}
	return out;
}

/* ---- sub: the checks ---------------------------------------------- */

static const char *
num_text(json_t *v, char *buf, size_t n)
{
	if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, n, "%.17g", json_number_value(v));
	return buf;
}

struct bound {
	int set, excl;
	double v;
	const char *kw;
	json_t *j;
};

/* The lower (lower=1) or upper bound of a number schema. */
static struct bound
num_bound(json_t *s, int lower, int int_only)
{
	struct bound b = { 0, 0, 0, NULL, NULL };
	json_t *inc = json_object_get(s, lower ? "minimum" : "maximum");
	json_t *exc = json_object_get(s, lower ? "exclusiveMinimum"
					       : "exclusiveMaximum");

	if (json_is_number(inc)) {
		b.set = 1;
		b.v = json_number_value(inc);
		b.kw = lower ? "minimum" : "maximum";
		b.j = inc;
	}
	if (json_is_number(exc)) {
		double x = json_number_value(exc);

		if (!b.set || (lower ? x >= b.v : x <= b.v)) {
			b.set = 1;
			b.excl = 1;
			b.v = x;
			b.kw = lower ? "exclusiveMinimum" : "exclusiveMaximum";
			b.j = exc;
		}
	}
	if (b.set && int_only) {
		/* For integers, > 1.5 is >= 2, >= 1.5 is >= 2. */
		double r = lower ? (b.excl ? floor(b.v) + 1 : ceil(b.v))
				 : (b.excl ? ceil(b.v) - 1 : floor(b.v));

		b.v = r;
		b.excl = 0;
	}
	return b;
}

/* Is bound nb (of B) stricter than ab (of A)? */
static int
bound_stricter(struct bound ab, struct bound nb, int lower)
{
	if (!nb.set)
		return 0;
	if (!ab.set)
		return 1;
	if (lower ? nb.v > ab.v : nb.v < ab.v)
		return 1;
	return nb.v == ab.v && nb.excl && !ab.excl;
}

static void
check_numbers(struct cx *cx, json_t *a, json_t *b, const char *pb,
	      unsigned common)
{
	int int_only = !(common & TY_FRAC);
	const char *la = cx->a->label, *lb = cx->b->label;
	json_t *mb = json_object_get(b, "multipleOf"),
	       *ma = json_object_get(a, "multipleOf");
	int lower;
	char t[64];

	for (lower = 1; lower >= 0; lower--) {
		struct bound ab = num_bound(a, lower, int_only),
			     nb = num_bound(b, lower, int_only);

		if (!bound_stricter(ab, nb, lower))
			continue;
		report(cx, pb, nb.kw,
		       "numbers %s %s%s are allowed by %s but not by %s",
		       lower ? "below" : "above", nb.excl ? "or equal to " : "",
		       num_text(nb.j, t, sizeof t), la, lb);
	}
	if (json_is_number(mb)) {
		double m = json_number_value(mb), k;

		if (int_only && m == 1)
			return;
		k = json_is_number(ma) ? json_number_value(ma) : 0;
		if (k == 0 || fmod(k, m) != 0)
			report(cx, pb, "multipleOf",
			       "numbers that are not multiples of %s are "
			       "allowed by %s but not by %s",
			       num_text(mb, t, sizeof t), la, lb);
	}
}

/* Lower/upper integer keyword pair (minLength, maxItems, ...). */
static void
check_count(struct cx *cx, json_t *a, json_t *b, const char *pb,
	    const char *minkw, const char *maxkw, const char *what)
{
	const char *la = cx->a->label, *lb = cx->b->label;
	json_t *an = json_object_get(a, minkw), *bn = json_object_get(b, minkw);
	json_t *ax = json_object_get(a, maxkw), *bx = json_object_get(b, maxkw);

	if (json_is_number(bn) && json_number_value(bn) > 0 &&
	    (!json_is_number(an) ||
	     json_number_value(an) < json_number_value(bn)))
		report(cx, pb, minkw,
		       "%s shorter than %.0f are allowed by %s but not by %s",
		       what, json_number_value(bn), la, lb);
	if (json_is_number(bx) &&
	    (!json_is_number(ax) ||
	     json_number_value(ax) > json_number_value(bx)))
		report(cx, pb, maxkw,
		       "%s longer than %.0f are allowed by %s but not by %s",
		       what, json_number_value(bx), la, lb);
}

static void
check_strings(struct cx *cx, json_t *a, json_t *b, const char *pb)
{
	const char *la = cx->a->label, *lb = cx->b->label;
	json_t *pbv = json_object_get(b, "pattern"),
	       *pav = json_object_get(a, "pattern");
	json_t *fb = json_object_get(b, "format"),
	       *fa = json_object_get(a, "format");

	check_count(cx, a, b, pb, "minLength", "maxLength", "strings");
	if (json_is_string(pbv) && !json_equal(pav, pbv))
		report(cx, pb, "pattern",
		       "%s's pattern \"%s\" is not %s's (patterns are compared "
		       "as text)",
		       lb, json_string_value(pbv), la);
	if (json_is_string(fb) && !json_equal(fa, fb))
		report(cx, pb, "format",
		       "strings that are not of format \"%s\" are allowed by "
		       "%s "
		       "but not by %s",
		       json_string_value(fb), la, lb);
}

/*
 * An array schema's tuple: prefix (prefixItems, or draft-07's array
 * "items") and the schema for the elements after it, with their keyword
 * names.
 */
static void
array_parts(json_t *s, json_t **prefix, const char **pkw, json_t **rest,
	    const char **rkw)
{
	json_t *items = json_object_get(s, "items");

	*prefix = json_object_get(s, "prefixItems");
	*pkw = "prefixItems";
	*rest = items;
	*rkw = "items";
	if (json_is_array(items)) {
		*prefix = items;
		*pkw = "items";
		*rest = json_object_get(s, "additionalItems");
		*rkw = "additionalItems";
	}
	if (!json_is_array(*prefix))
		*prefix = NULL;
	if (*rest == NULL)
		*rest = json_true();
}

static void
check_arrays(struct cx *cx, json_t *a, const char *pa, json_t *b,
	     const char *pb)
{
	const char *la = cx->a->label, *lb = cx->b->label;
	json_t *apre, *arest, *bpre, *brest;
	const char *apkw, *arkw, *bpkw, *brkw;
	size_t na, nb, i;

	check_count(cx, a, b, pb, "minItems", "maxItems", "arrays");
	if (json_is_true(json_object_get(b, "uniqueItems")) &&
	    !json_is_true(json_object_get(a, "uniqueItems")))
		report(cx, pb, "uniqueItems",
		       "arrays with repeated items are allowed by %s but not "
		       "by %s",
		       la, lb);
	array_parts(a, &apre, &apkw, &arest, &arkw);
	array_parts(b, &bpre, &bpkw, &brest, &brkw);
	na = apre ? json_array_size(apre) : 0;
	nb = bpre ? json_array_size(bpre) : 0;
	/* Position by position while either has a tuple, then the rest. */
	for (i = 0; i <= (na > nb ? na : nb); i++) {
		json_t *as = i < na ? json_array_get(apre, i) : arest;
		json_t *bs = i < nb ? json_array_get(bpre, i) : brest;
		char *p1 = ptr_child(pa, i < na ? apkw : arkw);
		char *p2 = ptr_child(pb, i < nb ? bpkw : brkw);
		char *q1 = i < na ? ptr_index(p1, i) : xstrdup(p1);
		char *q2 = i < nb ? ptr_index(p2, i) : xstrdup(p2);

		sub(cx, as, q1, bs, q2);
		free(p1);
		free(p2);
		free(q1);
		free(q2);
	}
}

static int
in_array(json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

/* Does property name match pattern (a patternProperties key)? */
static int
name_matches(struct cx *cx, const char *pattern, const char *name)
{
	struct errbuf eb = { 0 };
	struct regex *re =
		regex_compile(pattern, strlen(pattern), REGEX_ECMA, &eb);
	int r;

	if (re == NULL) {
		errbuf_clear(&eb);
		return 1; /* cannot tell: assume it applies */
	}
	r = regex_search(re, name, strlen(name), &eb);
	regex_free(re);
	errbuf_clear(&eb);
	return r != 0;
}

/* A's schema for property name (borrowed), and its pointer (owned). */
static json_t *
prop_schema(struct cx *cx, json_t *s, const char *ps, const char *name,
	    char **ptr)
{
	json_t *props = json_object_get(s, "properties");
	json_t *pp = json_object_get(s, "patternProperties"), *v, *add;
	const char *k;

	if (json_is_object(props) && (v = json_object_get(props, name))) {
		char *p = ptr_child(ps, "properties");

		*ptr = ptr_child(p, name);
		free(p);
		return v;
	}
	if (json_is_object(pp))
		json_object_foreach(pp, k, v)
			if (name_matches(cx, k, name)) {
				char *p = ptr_child(ps, "patternProperties");

				*ptr = ptr_child(p, k);
				free(p);
				return v;
			}
	add = json_object_get(s, "additionalProperties");
	*ptr = ptr_child(ps, "additionalProperties");
	return add ? add : json_true();
}

static int
same_keys(json_t *x, json_t *y)
{
	const char *k;
	json_t *v;

	if (json_object_size(x) != json_object_size(y))
		return 0;
	json_object_foreach(x, k, v)
		if (json_object_get(y, k) == NULL)
			return 0;
	return 1;
}

static void
check_objects(struct cx *cx, json_t *a, const char *pa, json_t *b,
	      const char *pb)
{
	const char *la = cx->a->label, *lb = cx->b->label;
	json_t *rb = json_object_get(b, "required"),
	       *ra = json_object_get(a, "required");
	json_t *propsa = json_object_get(a, "properties"),
	       *propsb = json_object_get(b, "properties");
	json_t *ppa = json_object_get(a, "patternProperties"),
	       *ppb = json_object_get(b, "patternProperties");
	json_t *adda = json_object_get(a, "additionalProperties"),
	       *addb = json_object_get(b, "additionalProperties");
	json_t *names = json_object(), *v;
	const char *k;
	size_t i;

	check_count(cx, a, b, pb, "minProperties", "maxProperties", "objects");
	if (json_is_array(rb))
		json_array_foreach(rb, i, v)
			if (json_is_string(v) &&
			    !(json_is_array(ra) &&
			      in_array(ra, json_string_value(v))))
				report(cx, pb, "required",
				       "objects without \"%s\" are allowed by "
				       "%s but "
				       "not by %s",
				       json_string_value(v), la, lb);
	if (json_is_object(propsa))
		json_object_foreach(propsa, k, v)
			json_object_set_new(names, k, json_true());
	if (json_is_object(propsb))
		json_object_foreach(propsb, k, v)
			json_object_set_new(names, k, json_true());
	/* Named properties: A's schema for the name against each of B's
	 * that applies. */
	json_object_foreach(names, k, v) {
		char *ap, *bp2;
		json_t *as = prop_schema(cx, a, pa, k, &ap), *bs;
		int applied = 0;

		if (json_is_object(propsb) &&
		    (bs = json_object_get(propsb, k))) {
			char *p = ptr_child(pb, "properties");

			bp2 = ptr_child(p, k);
			free(p);
			sub(cx, as, ap, bs, bp2);
			free(bp2);
			applied = 1;
		}
		if (json_is_object(ppb)) {
			const char *pk;
			json_t *pv;

			json_object_foreach(ppb, pk, pv)
				if (name_matches(cx, pk, k)) {
					char *p = ptr_child(
						pb, "patternProperties");

					bp2 = ptr_child(p, pk);
					free(p);
					sub(cx, as, ap, pv, bp2);
					free(bp2);
					applied = 1;
				}
		}
		if (!applied && addb != NULL && !json_is_true(addb)) {
			if (json_is_false(addb)) {
				if (!json_is_false(as))
					report(cx, pb, "additionalProperties",
					       "property \"%s\" is allowed by "
					       "%s but not by %s",
					       k, la, lb);
			} else {
				bp2 = ptr_child(pb, "additionalProperties");
				sub(cx, as, ap, addb, bp2);
				free(bp2);
			}
		}
		free(ap);
	}
	json_decref(names);

	/* Every other name. */
	{
		json_t *as_list = json_array(), *bs_list = json_array();
		struct conj ap = { 0 }, bp = { 0 };
		size_t x, y;

		if (json_is_object(ppa) && json_is_object(ppb) &&
		    same_keys(ppa, ppb)) {
			json_object_foreach(ppa, k, v) {
				char *p1 = ptr_child(pa, "patternProperties");
				char *p2 = ptr_child(pb, "patternProperties");
				char *q1 = ptr_child(p1, k),
				     *q2 = ptr_child(p2, k);

				sub(cx, v, q1, json_object_get(ppb, k), q2);
				free(p1);
				free(p2);
				free(q1);
				free(q2);
			}
		} else {
			if (json_is_object(ppa))
				json_object_foreach(ppa, k, v) {
					char *p1 = ptr_child(
						pa, "patternProperties");

					json_array_append(as_list, v);
					conj_push(&ap, v, ptr_child(p1, k));
					free(p1);
				}
			if (json_is_object(ppb))
				json_object_foreach(ppb, k, v) {
					char *p2 = ptr_child(
						pb, "patternProperties");

					json_array_append(bs_list, v);
					conj_push(&bp, v, ptr_child(p2, k));
					free(p2);
				}
		}
		json_array_append(as_list, adda ? adda : json_true());
		conj_push(&ap, adda ? adda : json_true(),
			  ptr_child(pa, "additionalProperties"));
		if (addb && !json_is_true(addb)) {
			json_array_append(bs_list, addb);
			conj_push(&bp, addb,
				  ptr_child(pb, "additionalProperties"));
		}
		for (x = 0; x < ap.n; x++)
			for (y = 0; y < bp.n; y++) {
				if (json_is_false(bp.v[y])) {
					if (!json_is_false(ap.v[x]))
						report(cx, pb,
						       "additionalProperties",
						       "properties other than "
						       "those named are "
						       "allowed "
						       "by %s but not by %s",
						       la, lb);
					continue;
				}
				sub(cx, ap.v[x], ap.ptr[x], bp.v[y], bp.ptr[y]);
			}
		conj_release(&ap);
		conj_release(&bp);
		json_decref(as_list);
		json_decref(bs_list);
	}
}

static int
is_known(const char *k)
{
	static const char *const kn[] = {
		"type",
		"enum",
		"const",
		"minimum",
		"maximum",
		"exclusiveMinimum",
		"exclusiveMaximum",
		"multipleOf",
		"minLength",
		"maxLength",
		"pattern",
		"format",
		"minItems",
		"maxItems",
		"uniqueItems",
		"properties",
		"required",
		"additionalProperties",
		"patternProperties",
		"minProperties",
		"maxProperties",
		"anyOf",
		"oneOf",
		"allOf",
		"$ref",
		"items",
		"prefixItems",
		"additionalItems",
		NULL,
	};
	size_t i;

	for (i = 0; kn[i]; i++)
		if (strcmp(k, kn[i]) == 0)
			return 1;
	return 0;
}

/*
 * Can a value satisfy both a and branch?  0 only when sure it cannot:
 * disjoint types, or a property a requires whose finite values the
 * branch's schema for it excludes.
 */
static int
may_overlap(struct cx *cx, json_t *a, json_t *branch, const char *pbr)
{
	json_t *props, *ra = json_object_get(a, "required"), *v;
	const char *k;

	if (!json_is_object(branch))
		return !json_is_false(branch);
	if ((schema_types(a) & schema_types(branch)) == 0)
		return 0;
	props = json_object_get(branch, "properties");
	if (!json_is_object(props) || !json_is_array(ra))
		return 1;
	json_object_foreach(props, k, v) {
		char *ap, *bp;
		json_t *as, *vals;
		int none = 1;
		size_t i;
		json_t *x;

		if (!in_array(ra, k))
			continue;
		as = prop_schema(cx, a, "", k, &ap);
		free(ap);
		vals = json_is_object(as) ? finite_values(as) : NULL;
		if (vals == NULL)
			continue;
		bp = ptr_child(pbr, "properties");
		{
			char *q = ptr_child(bp, k);
			struct schema *sc = compiled_at(cx, cx->b, q);

			json_array_foreach(vals, i, x)
				if (sc == NULL || schema_validate(sc, x, NULL))
					none = 0;
			free(q);
		}
		free(bp);
		json_decref(vals);
		if (none)
			return 0;
	}
	return 1;
}

/* a (merged, no anyOf/oneOf) against one plain conjunct b of B. */
static void
sub_plain(struct cx *cx, json_t *a, const char *pa, json_t *b, const char *pb)
{
	const char *la = cx->a->label, *lb = cx->b->label;
	unsigned ta, tb, miss, bit;
	json_t *vals, *v, *br;
	const char *k;
	size_t i;

	vals = json_is_object(a) ? finite_values(a) : NULL;
	if (vals) {
		struct schema *sc = compiled_at(cx, cx->b, pb);
		char *text;

		json_array_foreach(vals, i, v) {
			if (sc && schema_validate(sc, v, NULL))
				continue;
			text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
						     JSON_SORT_KEYS);
			report(cx, pb,
			       json_object_get(b, "enum")    ? "enum"
			       : json_object_get(b, "const") ? "const"
							     : NULL,
			       "the value %s is allowed by %s but not by %s",
			       text, la, lb);
			jnum_free(text);
		}
		json_decref(vals);
		return;
	}
	ta = json_is_object(a) ? schema_types(a) : TY_ALL;
	tb = schema_types(b);
	miss = ta & ~tb;
	if (miss) {
		char list[128] = "";

		for (bit = 1; bit <= TY_OBJ; bit <<= 1)
			if (miss & bit) {
				if (list[0])
					strcat(list, ", ");
				strcat(list, type_name(bit));
			}
		report(cx, pb, "type",
		       "values of type %s are allowed by %s but not by %s",
		       list, la, lb);
	}
	if (json_object_get(b, "enum") || json_object_get(b, "const"))
		report(cx, pb, json_object_get(b, "const") ? "const" : "enum",
		       "%s allows only listed values, %s allows others", lb,
		       la);
	if (!json_is_object(a))
		a = json_object(); /* true: no constraints */
	else
		json_incref(a);
	if ((ta & tb) & (TY_INT | TY_FRAC))
		check_numbers(cx, a, b, pb, ta & tb);
	if ((ta & tb) & TY_STR)
		check_strings(cx, a, b, pb);
	if ((ta & tb) & TY_ARR)
		check_arrays(cx, a, pa, b, pb);
	if ((ta & tb) & TY_OBJ)
		check_objects(cx, a, pa, b, pb);
	/* B's disjunctions */
	if (json_is_array(br = json_object_get(b, "anyOf"))) {
		char *bp = ptr_child(pb, "anyOf");
		int ok = 0;

		json_array_foreach(br, i, v) {
			char *ip = ptr_index(bp, i);

			ok = try_sub(cx, a, pa, v, ip);
			free(ip);
			if (ok)
				break;
		}
		if (!ok)
			report(cx, pb, "anyOf",
			       "no branch allows everything %s allows here",
			       la);
		free(bp);
	}
	if (json_is_array(br = json_object_get(b, "oneOf"))) {
		char *bp = ptr_child(pb, "oneOf");
		size_t j, found = (size_t)-1;

		json_array_foreach(br, i, v) {
			char *ip = ptr_index(bp, i);

			if (try_sub(cx, a, pa, v, ip)) {
				found = i;
				free(ip);
				break;
			}
			free(ip);
		}
		if (found == (size_t)-1)
			report(cx, pb, "oneOf",
			       "no branch allows everything %s allows here",
			       la);
		else
			json_array_foreach(br, j, v) {
				char *ip = ptr_index(bp, j);

				if (j != found && may_overlap(cx, a, v, ip))
					report(cx, pb, "oneOf",
					       "values %s allows may match "
					       "branches %zu and %zu",
					       la, found, j);
				free(ip);
			}
		free(bp);
	}
	/* unevaluated* depend on every other keyword of the schema and
	 * of its subschemas: only the same schema is known to agree. */
	{
		static const char *const unev[] = { "unevaluatedProperties",
						    "unevaluatedItems" };

		for (i = 0; i < 2; i++) {
			v = json_object_get(b, unev[i]);
			if (v && !json_is_true(v) && !json_equal(a, b))
				report(cx, pb, unev[i],
				       "\"%s\" is compared only between equal "
				       "schemas, and %s's differs",
				       unev[i], la);
		}
	}
	/* Keywords not compared: must be unchanged. */
	json_object_foreach(b, k, v) {
		if (is_known(k) || is_annotation(k) ||
		    strncmp(k, "unevaluated", 11) == 0)
			continue;
		if (!json_equal(json_object_get(a, k), v))
			report(cx, pb, k,
			       "\"%s\" differs from %s's and is not compared "
			       "(evpipe-schema(1))",
			       k, la);
	}
	json_decref(a);
}

static int
on_stack(struct cx *cx, json_t *a, json_t *b)
{
	size_t i;

	for (i = 0; i < cx->nstack; i++)
		if (cx->stack[i].a == a && cx->stack[i].b == b)
			return 1;
	return 0;
}

static void
sub(struct cx *cx, json_t *a, const char *pa, json_t *b, const char *pb)
{
	struct conj ca = { 0 }, cb = { 0 };
	json_t *m = NULL, *br;
	size_t i;

	if (cx->error || on_stack(cx, a, b))
		return;
	if (cx->depth >= COMPAT_MAX_DEPTH) {
		report(cx, pb, NULL, "schemas nest too deep to compare");
		return;
	}
	if (cx->nstack == cx->capstack) {
		cx->capstack = cx->capstack ? 2 * cx->capstack : 16;
		cx->stack = xreallocarray(cx->stack, cx->capstack,
					  sizeof *cx->stack);
	}
	cx->stack[cx->nstack].a = a;
	cx->stack[cx->nstack++].b = b;
	cx->depth++;
	flatten(cx, cx->a, a, pa, &ca, 0);
	if (cx->error || ca.is_false)
		goto out; /* A admits nothing */
	flatten(cx, cx->b, b, pb, &cb, 0);
	if (cx->error)
		goto out;
	m = merge(&ca);
	/* A's disjunctions: each branch, with the rest of A. */
	if (json_is_object(m) &&
	    (json_is_array(br = json_object_get(m, "anyOf")) ||
	     json_is_array(br = json_object_get(m, "oneOf")))) {
		const char *kw =
			json_object_get(m, "anyOf") == br ? "anyOf" : "oneOf";
		json_t *rest = json_copy(m), *v;
		char *bp = ptr_child(ca.n ? ca.ptr[0] : pa, kw);

		json_object_del(rest, kw);
		json_array_foreach(br, i, v) {
			json_t *both = json_pack("{s:[O,O]}", "allOf", rest, v);
			char *ip = ptr_index(bp, i);

			sub(cx, both, ip, b, pb);
			free(ip);
			json_decref(both);
		}
		free(bp);
		json_decref(rest);
		goto out;
	}
	if (cb.is_false) {
		report(cx, pb, NULL,
		       "%s rejects every value here, %s allows some",
		       cx->b->label, cx->a->label);
		goto out;
	}
	for (i = 0; i < cb.n; i++)
		sub_plain(cx, m, ca.n ? ca.ptr[0] : pa, cb.v[i], cb.ptr[i]);
out:
	json_decref(m);
	conj_release(&ca);
	conj_release(&cb);
	cx->depth--;
	cx->nstack--;
}

/* ---- entry --------------------------------------------------------- */

static int
doc_open(struct doc *d, const char *label, const char *path,
	 const struct schema_opts *opts, struct errbuf *eb)
{
	struct schema_doc sd;
	struct schema *sc;

	memset(d, 0, sizeof *d);
	d->label = label;
	d->path = path;
	sc = schema_load_doc(path, opts, &sd, eb);
	if (sc == NULL)
		return -1;
	d->dialect = schema_dialect_of(sc);
	schema_free(sc);
	d->root = sd.root;
	d->uri = sd.uri;
	d->dir = sd.dir;
	return 0;
}

static void
doc_close(struct doc *d)
{
	size_t i;

	for (i = 0; i < d->ncache; i++) {
		free(d->cache[i].ptr);
		if (d->cache[i].sc)
			schema_free(d->cache[i].sc);
	}
	free(d->cache);
	json_decref(d->root);
	free(d->uri);
	free(d->dir);
}

int
schema_compat(const char *old_path, const char *new_path, enum compat_mode mode,
	      const struct schema_opts *opts, struct compat_result *res,
	      struct errbuf *eb)
{
	struct doc od, nd;
	struct cx cx;
	int rc = 0;

	memset(res, 0, sizeof *res);
	if (doc_open(&od, "old", old_path, opts, eb) == -1) {
		return -1;
	}
	if (doc_open(&nd, "new", new_path, opts, eb) == -1) {
		doc_close(&od);
		return -1;
	}
	memset(&cx, 0, sizeof cx);
	cx.opts = opts;
	cx.res = res;
	cx.eb = eb;
	if (mode & COMPAT_BACKWARD) {
		cx.a = &od;
		cx.b = &nd;
		cx.forward = 0;
		sub(&cx, od.root, "", nd.root, "");
	}
	if (!cx.error && (mode & COMPAT_FORWARD)) {
		cx.a = &nd;
		cx.b = &od;
		cx.forward = 1;
		sub(&cx, nd.root, "", od.root, "");
	}
	if (cx.error) {
		compat_result_release(res);
		rc = -1;
	}
	free(cx.stack);
	doc_close(&od);
	doc_close(&nd);
	return rc;
}

void
compat_result_release(struct compat_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		free(res->v[i].pointer);
		free(res->v[i].reason);
	}
	free(res->v);
	memset(res, 0, sizeof *res);
}
