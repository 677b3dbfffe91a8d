/*
 * schema-check.c -- evaluate a compiled keyword tree (schema-int.h)
 * against a JSON value, collecting errors with their locations.
 *
 * Locations are chains of segments on the C stack, turned into JSON
 * Pointers only when an error is recorded, so a valid value costs no
 * string building.  unevaluatedProperties/unevaluatedItems need the
 * annotations of the subschemas that passed; they are gathered in a
 * struct ann only below a schema object that has one of those keywords.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "errbuf.h"
#include "regex.h"
#include "schema-int.h"
#include "schema.h"
#include "xmalloc.h"

/* Deepest chain of schema evaluations. */
#define CHECK_MAX_DEPTH 3000
/* Most schema objects evaluated for one value: bounds schemas whose
 * applicators multiply (anyOf of anyOf of ...). */
#define CHECK_MAX_STEPS 5000000

struct seg {
	const struct seg *up;
	const char *s; /* NULL: array index i */
	size_t i;
};

struct ann {
	int all_props, all_items;
	const char **props;
	size_t nprops, capprops;
	size_t upto; /* items [0, upto) evaluated */
	unsigned char *seen;
	size_t nseen;
};

struct vctx {
	struct schema *sc;
	struct schema_errors *errs; /* NULL: stop at the first error */
	int depth;
	unsigned long steps;
	int aborted;   /* a limit was hit: everything fails from now on */
	int limit_hit; /* reporting that limit */
	struct schema_errors *root_errs; /* where a limit is reported */
};

static int eval(struct vctx *, struct snode *, json_t *, const struct seg *,
		const struct seg *, struct ann *);

/* ---- numbers and equality ----------------------------------------------- */

int
schema_is_integer(const json_t *j)
{
	double d;

	if (json_is_integer(j))
		return 1;
	if (!json_is_real(j))
		return 0;
	d = json_real_value(j);
	return isfinite(d) && d == floor(d);
}

static int
cmp_int_real(json_int_t i, double d)
{
	double f;
	long long fl;

	if (isnan(d))
		return 0;
	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	f = floor(d);
	fl = (long long)f;
	if (i < fl)
		return -1;
	if (i > fl)
		return 1;
	return d > f ? -1 : 0;
}

int
schema_num_cmp(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);

		return x < y ? -1 : x > y;
	}
	if (json_is_integer(a))
		return cmp_int_real(json_integer_value(a), json_real_value(b));
	if (json_is_integer(b))
		return -cmp_int_real(json_integer_value(b), json_real_value(a));
	{
		double x = json_real_value(a), y = json_real_value(b);

		return x < y ? -1 : x > y;
	}
}

int
schema_equal(const json_t *a, const json_t *b)
{
	size_t i;
	const char *k;
	json_t *v;

	if (json_is_number(a) && json_is_number(b))
		return schema_num_cmp(a, b) == 0;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b),
			      json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!schema_equal(json_array_get(a, i),
					  json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v)
		{
			json_t *w = json_object_get(b, k);

			if (w == NULL || !schema_equal(v, w))
				return 0;
		}
		return 1;
	default:
		return 1; /* null, true, false */
	}
}

static int
multiple_of(const json_t *x, const json_t *m)
{
	double q, r;

	if (json_is_integer(x) && json_is_integer(m)) {
		json_int_t d = json_integer_value(m);

		return d == -1 || d == 1 || json_integer_value(x) % d == 0;
	}
	if (json_is_integer(m) && json_is_real(x) && !schema_is_integer(x))
		return 0;
	q = json_number_value(x) / json_number_value(m);
	if (isinf(q) && schema_is_integer(x)) {
		/* overflow: an integer is a multiple of 1/k for integer k */
		double k = 1 / json_number_value(m);

		return isfinite(k) && k == floor(k);
	}
	if (!isfinite(q))
		return 0;
	r = q - nearbyint(q);
	return fabs(r) < 1e-9 * (fabs(q) > 1 ? 1 : 1);
}

/* Number of code points in a UTF-8 string. */
static size_t
utf8_len(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* ---- errors ------------------------------------------------------------- */

static void
seg_pointer(const struct seg *s, struct buf *out)
{
	const char *p;

	if (s == NULL)
		return;
	seg_pointer(s->up, out);
	buf_addc(out, '/');
	if (s->s == NULL) {
		buf_addf(out, "%zu", s->i);
		return;
	}
	for (p = s->s; *p; p++) {
		if (*p == '~')
			buf_adds(out, "~0");
		else if (*p == '/')
			buf_adds(out, "~1");
		else
			buf_addc(out, *p);
	}
}

static char *
seg_string(const struct seg *s, const char *last)
{
	struct buf b = BUF_INIT;

	seg_pointer(s, &b);
	if (last) {
		buf_addc(&b, '/');
		buf_adds(&b, last);
	}
	if (b.data == NULL)
		buf_adds(&b, "");
	return buf_detach(&b, NULL);
}

/* A short rendering of a value for messages. */
static void
show(const json_t *j, char *out, size_t n)
{
	char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	size_t l;

	if (s == NULL) {
		snprintf(out, n, "(value)");
		return;
	}
	l = strlen(s);
	if (l >= n)
		snprintf(out, n, "%.*s...", (int)(n - 4), s);
	else
		memcpy(out, s, l + 1);
	free(s);
}

static int fail(struct vctx *v, struct snode *n, const struct seg *ip,
		const struct seg *kp, const char *kw, const char *fmt, ...)
	ATTR_PRINTF(6, 7);

static int
fail(struct vctx *v, struct snode *n, const struct seg *ip,
     const struct seg *kp, const char *kw, const char *fmt, ...)
{
	struct schema_errors *e = v->errs;
	struct schema_error *er;
	char msg[400];
	va_list ap;

	if (e == NULL || v->aborted)
		return 0;
	if (e->n >= (e->max ? e->max : 100)) {
		e->dropped++;
		return 0;
	}
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 8;
		e->v = xreallocarray(e->v, e->cap, sizeof *e->v);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	er = &e->v[e->n++];
	er->instance = seg_string(ip, NULL);
	er->keyword = seg_string(kp, kw);
	er->absolute = kw ? xasprintf("%s/%s", n->loc, kw) : xstrdup(n->loc);
	er->kw = kw ? kw : v->limit_hit ? "limit" : "false";
	er->message = xstrdup(msg);
	return 0;
}

/* A limit was hit: report it where the caller looks, then fail everything. */
static int limit(struct vctx *v, struct snode *n, const struct seg *ip,
		 const struct seg *kp, const char *fmt, ...) ATTR_PRINTF(5, 6);

static int
limit(struct vctx *v, struct snode *n, const struct seg *ip,
      const struct seg *kp, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	v->errs = v->root_errs;
	v->limit_hit = 1;
	fail(v, n, ip, kp, NULL, "%s", msg);
	v->limit_hit = 0;
	v->aborted = 1;
	return 0;
}

void
schema_errors_reset(struct schema_errors *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].instance);
		free(e->v[i].keyword);
		free(e->v[i].absolute);
		free(e->v[i].message);
	}
	e->n = 0;
	e->dropped = 0;
}

void
schema_errors_release(struct schema_errors *e)
{
	schema_errors_reset(e);
	free(e->v);
	e->v = NULL;
	e->cap = 0;
}

json_t *
schema_errors_json(const struct schema_errors *e)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < e->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}",
						   "instance", e->v[i].instance,
						   "keyword", e->v[i].keyword,
						   "schema", e->v[i].absolute,
						   "message", e->v[i].message));
	return a;
}

/* ---- annotations -------------------------------------------------------- */

static void
ann_release(struct ann *a)
{
	free(a->props);
	free(a->seen);
}

static void
ann_prop(struct ann *a, const char *k)
{
	if (a == NULL || a->all_props)
		return;
	if (a->nprops == a->capprops) {
		a->capprops = a->capprops ? 2 * a->capprops : 8;
		a->props =
			xreallocarray(a->props, a->capprops, sizeof *a->props);
	}
	a->props[a->nprops++] = k;
}

static int
ann_has_prop(const struct ann *a, const char *k)
{
	size_t i;

	if (a->all_props)
		return 1;
	for (i = 0; i < a->nprops; i++)
		if (a->props[i] == k || strcmp(a->props[i], k) == 0)
			return 1;
	return 0;
}

static void
ann_seen(struct ann *a, size_t i, size_t size)
{
	if (a->seen == NULL) {
		a->seen = xcalloc(size ? size : 1, 1);
		a->nseen = size;
	}
	if (i < a->nseen)
		a->seen[i] = 1;
}

static int
ann_has_item(const struct ann *a, size_t i)
{
	return a->all_items || i < a->upto || (i < a->nseen && a->seen[i]);
}

static void
ann_merge(struct ann *dst, const struct ann *src)
{
	size_t i;

	if (dst == NULL)
		return;
	if (src->all_props) {
		dst->all_props = 1;
	} else {
		for (i = 0; i < src->nprops; i++)
			ann_prop(dst, src->props[i]);
	}
	dst->all_items |= src->all_items;
	if (src->upto > dst->upto)
		dst->upto = src->upto;
	for (i = 0; i < src->nseen; i++)
		if (src->seen[i])
			ann_seen(dst, i, src->nseen);
}

/* Evaluate a subschema in place (same instance), merging its annotations
 * into a when it passes. */
static int
eval_inplace(struct vctx *v, struct snode *n, json_t *inst,
	     const struct seg *ip, const struct seg *kp, struct ann *a)
{
	struct ann sub = { 0 };
	int ok;

	ok = eval(v, n, inst, ip, kp, a ? &sub : NULL);
	if (ok && a)
		ann_merge(a, &sub);
	if (a)
		ann_release(&sub);
	return ok;
}

/* Evaluate with errors switched off (anyOf branches, not, if, contains). */
static int
probe(struct vctx *v, struct snode *n, json_t *inst, const struct seg *ip,
      const struct seg *kp, struct ann *a)
{
	struct schema_errors *saved = v->errs;
	int ok;

	v->errs = NULL;
	ok = eval_inplace(v, n, inst, ip, kp, a);
	v->errs = saved;
	return ok;
}

/* ---- keywords ----------------------------------------------------------- */

static struct snode *
dynamic_target(struct vctx *v, struct snode *n)
{
	struct schema *sc = v->sc;
	size_t i, k;

	if (n->recursive_ref) {
		if (!n->dynref->res->recursive_anchor ||
		    n->dynref->res->node != n->dynref)
			return n->dynref;
		for (i = 0; i < sc->nscope; i++)
			if (sc->scope[i]->recursive_anchor &&
			    sc->scope[i]->node)
				return sc->scope[i]->node;
		return n->dynref;
	}
	if (n->dynref_name == NULL)
		return n->dynref;
	for (i = 0; i < sc->nscope; i++) {
		struct sres *r = sc->scope[i];

		for (k = 0; k < r->nanchors; k++)
			if (r->anchors[k].dynamic &&
			    strcmp(r->anchors[k].name, n->dynref_name) == 0)
				return r->anchors[k].node;
	}
	return n->dynref;
}

static int
check_type(struct snode *n, json_t *inst)
{
	switch (json_typeof(inst)) {
	case JSON_NULL:
		return n->types & TYPE_NULL;
	case JSON_TRUE:
	case JSON_FALSE:
		return n->types & TYPE_BOOLEAN;
	case JSON_OBJECT:
		return n->types & TYPE_OBJECT;
	case JSON_ARRAY:
		return n->types & TYPE_ARRAY;
	case JSON_STRING:
		return n->types & TYPE_STRING;
	case JSON_INTEGER:
	case JSON_REAL:
		return (n->types & TYPE_NUMBER) ||
		       ((n->types & TYPE_INTEGER) && schema_is_integer(inst));
	}
	return 0;
}

static void
type_list(unsigned types, char *out, size_t n)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < NELEM(schema_type_names); i++) {
		if (!(types & (1u << i)))
			continue;
		len += snprintf(out + len, len < n ? n - len : 0, "%s%s",
				len ? " or " : "", schema_type_names[i]);
	}
}

static int
eval_number(struct vctx *v, struct snode *n, json_t *inst, const struct seg *ip,
	    const struct seg *kp)
{
	char a[80], b[80];
	int ok = 1;

	if (n->maximum && schema_num_cmp(inst, n->maximum) > 0) {
		show(inst, a, sizeof a);
		show(n->maximum, b, sizeof b);
		ok = fail(v, n, ip, kp, "maximum",
			  "%s is greater than the maximum of %s", a, b);
	}
	if (n->exclusive_max && schema_num_cmp(inst, n->exclusive_max) >= 0) {
		show(inst, a, sizeof a);
		show(n->exclusive_max, b, sizeof b);
		ok = fail(v, n, ip, kp, "exclusiveMaximum",
			  "%s is not less than the exclusive maximum of %s", a,
			  b);
	}
	if (n->minimum && schema_num_cmp(inst, n->minimum) < 0) {
		show(inst, a, sizeof a);
		show(n->minimum, b, sizeof b);
		ok = fail(v, n, ip, kp, "minimum",
			  "%s is less than the minimum of %s", a, b);
	}
	if (n->exclusive_min && schema_num_cmp(inst, n->exclusive_min) <= 0) {
		show(inst, a, sizeof a);
		show(n->exclusive_min, b, sizeof b);
		ok = fail(v, n, ip, kp, "exclusiveMinimum",
			  "%s is not greater than the exclusive minimum of %s",
			  a, b);
	}
	if (n->multiple_of && !multiple_of(inst, n->multiple_of)) {
		show(inst, a, sizeof a);
		show(n->multiple_of, b, sizeof b);
		ok = fail(v, n, ip, kp, "multipleOf",
			  "%s is not a multiple of %s", a, b);
	}
	return ok;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* RFC 4648 base64 into out; 0, or -1 if s is not valid base64. */
static int
b64_decode(const char *s, size_t len, struct buf *out)
{
	size_t i, pad = 0;
	unsigned acc = 0;
	int bits = 0, v;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '=') {
			if (i + 2 < len)
				return -1;
			pad++;
			continue;
		}
		if (pad || (v = b64val((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return 0;
}

/* draft-07 contentEncoding/contentMediaType, asserted with formats. */
static int
eval_content(struct vctx *v, struct snode *n, json_t *inst,
	     const struct seg *ip, const struct seg *kp)
{
	struct buf dec = BUF_INIT;
	const char *s = json_string_value(inst);
	size_t len = json_string_length(inst);
	json_error_t jerr;
	json_t *j;
	int ok = 1;

	if (n->content_encoding &&
	    strcasecmp(n->content_encoding, "base64") == 0) {
		if (b64_decode(s, len, &dec) < 0) {
			buf_release(&dec);
			return fail(v, n, ip, kp, "contentEncoding",
				    "value is not valid base64");
		}
		s = dec.data ? dec.data : "";
		len = dec.len;
	}
	if (n->content_type &&
	    strcasecmp(n->content_type, "application/json") == 0) {
		j = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		if (j == NULL)
			ok = fail(v, n, ip, kp, "contentMediaType",
				  "value is not a valid JSON document: %s",
				  jerr.text);
		json_decref(j);
	}
	buf_release(&dec);
	return ok;
}

static int
eval_string(struct vctx *v, struct snode *n, json_t *inst, const struct seg *ip,
	    const struct seg *kp)
{
	const char *s = json_string_value(inst);
	size_t len = json_string_length(inst), cps;
	char a[80];
	int ok = 1, r;

	if (n->min_length >= 0 || n->max_length >= 0) {
		cps = utf8_len(s, len);
		if (n->min_length >= 0 && cps < (size_t)n->min_length) {
			show(inst, a, sizeof a);
			ok = fail(v, n, ip, kp, "minLength",
				  "%s is shorter than %lld characters", a,
				  n->min_length);
		}
		if (n->max_length >= 0 && cps > (size_t)n->max_length) {
			show(inst, a, sizeof a);
			ok = fail(v, n, ip, kp, "maxLength",
				  "%s is longer than %lld characters", a,
				  n->max_length);
		}
	}
	if (n->pattern) {
		struct errbuf eb;

		r = regex_search(n->pattern, s, len, &eb);
		if (r < 0) {
			ok = fail(v, n, ip, kp, "pattern", "%s", eb.msg);
		} else if (r == 0) {
			show(inst, a, sizeof a);
			ok = fail(v, n, ip, kp, "pattern",
				  "%s does not match the pattern /%s/", a,
				  regex_source(n->pattern));
		}
	}
	if (n->format && (v->sc->format_assert || (n->voc & VOC_FORMAT_ASRT)) &&
	    schema_format_check(n->format, s, len) == 0) {
		show(inst, a, sizeof a);
		ok = fail(v, n, ip, kp, "format", "%s is not a valid %s", a,
			  n->format);
	}
	if ((n->content_encoding || n->content_type) && v->sc->format_assert &&
	    !eval_content(v, n, inst, ip, kp))
		ok = 0;
	return ok;
}

static int
eval_array(struct vctx *v, struct snode *n, json_t *inst, const struct seg *ip,
	   const struct seg *kp, struct ann *a)
{
	size_t size = json_array_size(inst), i, j, matched = 0;
	struct seg ks, ks2, is;
	int ok = 1;

	if (n->min_items >= 0 && size < (size_t)n->min_items)
		ok = fail(v, n, ip, kp, "minItems",
			  "array has %zu items, fewer than the minimum of %lld",
			  size, n->min_items);
	if (n->max_items >= 0 && size > (size_t)n->max_items)
		ok = fail(v, n, ip, kp, "maxItems",
			  "array has %zu items, more than the maximum of %lld",
			  size, n->max_items);
	if (!ok && !v->errs)
		return 0;
	if (n->unique_items) {
		for (i = 1; i < size && ok; i++)
			for (j = 0; j < i; j++)
				if (schema_equal(json_array_get(inst, i),
						 json_array_get(inst, j))) {
					ok = fail(v, n, ip, kp, "uniqueItems",
						  "items %zu and %zu are equal",
						  j, i);
					break;
				}
		if (!ok && !v->errs)
			return 0;
	}
	ks.up = kp;
	is.up = ip;
	is.s = NULL;
	if (n->nprefix) {
		ks.s = n->dialect == SCHEMA_DRAFT2020_12 ? "prefixItems"
							 : "items";
		ks2.up = &ks;
		ks2.s = NULL;
		for (i = 0; i < size && i < n->nprefix; i++) {
			is.i = ks2.i = i;
			if (!eval(v, n->prefix[i], json_array_get(inst, i), &is,
				  &ks2, NULL)) {
				ok = 0;
				if (!v->errs)
					return 0;
			}
		}
		if (a && i > a->upto)
			a->upto = i;
	}
	if (n->items_rest) {
		ks.s = n->nprefix && n->dialect != SCHEMA_DRAFT2020_12
			       ? "additionalItems"
			       : "items";
		for (i = n->nprefix; i < size; i++) {
			is.i = i;
			if (!eval(v, n->items_rest, json_array_get(inst, i),
				  &is, &ks, NULL)) {
				ok = 0;
				if (!v->errs)
					return 0;
			}
		}
		if (a && size > n->nprefix)
			a->all_items = 1;
	}
	if (n->contains) {
		int track = a && n->dialect == SCHEMA_DRAFT2020_12;

		ks.s = "contains";
		for (i = 0; i < size; i++) {
			is.i = i;
			if (probe(v, n->contains, json_array_get(inst, i), &is,
				  &ks, NULL)) {
				matched++;
				if (track)
					ann_seen(a, i, size);
			}
		}
		if (n->min_contains >= 0 || n->max_contains >= 0) {
			if (n->min_contains >= 0 &&
			    matched < (size_t)n->min_contains)
				ok = fail(
					v, n, ip, kp, "minContains",
					"%zu items match contains, fewer than "
					"the minimum of %lld",
					matched, n->min_contains);
			if (n->max_contains >= 0 &&
			    matched > (size_t)n->max_contains)
				ok = fail(v, n, ip, kp, "maxContains",
					  "%zu items match contains, more than "
					  "the maximum of %lld",
					  matched, n->max_contains);
			if (n->min_contains < 0 && matched == 0)
				ok = fail(
					v, n, ip, kp, "contains",
					"no item matches the contains schema");
		} else if (matched == 0) {
			ok = fail(v, n, ip, kp, "contains",
				  "no item matches the contains schema");
		}
	}
	return ok;
}

static int
eval_object(struct vctx *v, struct snode *n, json_t *inst, const struct seg *ip,
	    const struct seg *kp, struct ann *a)
{
	size_t size = json_object_size(inst), i, k;
	struct seg ks, ks2, is;
	const char *key;
	json_t *val, *w;
	int ok = 1;

	if (n->min_props >= 0 && size < (size_t)n->min_props)
		ok = fail(v, n, ip, kp, "minProperties",
			  "object has %zu properties, fewer than the minimum "
			  "of %lld",
			  size, n->min_props);
	if (n->max_props >= 0 && size > (size_t)n->max_props)
		ok = fail(v, n, ip, kp, "maxProperties",
			  "object has %zu properties, more than the maximum "
			  "of %lld",
			  size, n->max_props);
	if (n->required) {
		json_array_foreach(n->required, i, w)
		{
			if (json_object_get(inst, json_string_value(w)) == NULL)
				ok = fail(v, n, ip, kp, "required",
					  "required property \"%s\" is missing",
					  json_string_value(w));
		}
	}
	for (i = 0; i < n->ndep_req; i++) {
		if (json_object_get(inst, n->dep_req[i].name) == NULL)
			continue;
		json_array_foreach(n->dep_req[i].list, k, w)
		{
			if (json_is_string(w) &&
			    json_object_get(inst, json_string_value(w)) == NULL)
				ok = fail(v, n, ip, kp,
					  n->dialect == SCHEMA_DRAFT7
						  ? "dependencies"
						  : "dependentRequired",
					  "property \"%s\" requires property "
					  "\"%s\"",
					  n->dep_req[i].name,
					  json_string_value(w));
		}
	}
	if (!ok && !v->errs)
		return 0;
	ks.up = kp;
	ks2.up = &ks;
	ks2.s = NULL;
	is.up = ip;
	is.s = NULL;
	for (i = 0; i < n->ndep_schemas; i++) {
		if (json_object_get(inst, n->dep_schemas[i].name) == NULL)
			continue;
		ks.s = n->dialect == SCHEMA_DRAFT7 ? "dependencies"
						   : "dependentSchemas";
		ks2.s = n->dep_schemas[i].name;
		if (!eval_inplace(v, n->dep_schemas[i].s, inst, ip, &ks2, a)) {
			ok = 0;
			if (!v->errs)
				return 0;
		}
	}
	if (n->prop_names) {
		ks.s = "propertyNames";
		json_object_foreach(inst, key, val)
		{
			json_t *name = json_string(key);

			if (!eval(v, n->prop_names, name, ip, &ks, NULL)) {
				ok = 0;
				if (!v->errs) {
					json_decref(name);
					return 0;
				}
			}
			json_decref(name);
		}
	}
	if (n->nprops || n->npprops || n->addl_props) {
		json_object_foreach(inst, key, val)
		{
			int hit = 0;

			is.s = key;
			k = n->nprops;
			if (n->prop_hash) {
				size_t h = schema_name_hash(key) &
					   (n->prop_hcap - 1);

				for (; n->prop_hash[h];
				     h = (h + 1) & (n->prop_hcap - 1)) {
					k = n->prop_hash[h] - 1;
					if (strcmp(n->props[k].name, key) == 0)
						break;
					k = n->nprops;
				}
			}
			if (k < n->nprops) {
				hit = 1;
				ks.s = "properties";
				ks2.s = n->props[k].name;
				if (!eval(v, n->props[k].s, val, &is, &ks2,
					  NULL)) {
					ok = 0;
					if (!v->errs)
						return 0;
				}
			}
			for (k = 0; k < n->npprops; k++) {
				struct errbuf eb;
				int r = regex_search(n->pprops[k].re, key,
						     strlen(key), &eb);

				if (r < 0) {
					ok = fail(v, n, &is, kp,
						  "patternProperties", "%s",
						  eb.msg);
					if (!v->errs)
						return 0;
					continue;
				}
				if (r == 0)
					continue;
				hit = 1;
				ks.s = "patternProperties";
				ks2.s = regex_source(n->pprops[k].re);
				if (!eval(v, n->pprops[k].s, val, &is, &ks2,
					  NULL)) {
					ok = 0;
					if (!v->errs)
						return 0;
				}
			}
			if (hit) {
				ann_prop(a, key);
				continue;
			}
			if (n->addl_props == NULL)
				continue;
			ann_prop(a, key);
			if (n->addl_props->boolean == 0) {
				ok = fail(v, n, ip, kp, "additionalProperties",
					  "property \"%s\" is not allowed",
					  key);
			} else {
				ks.s = "additionalProperties";
				if (!eval(v, n->addl_props, val, &is, &ks,
					  NULL))
					ok = 0;
			}
			if (!ok && !v->errs)
				return 0;
		}
		if (a && n->addl_props)
			a->all_props = 1;
	}
	return ok;
}

static int
eval_body(struct vctx *v, struct snode *n, json_t *inst, const struct seg *ip,
	  const struct seg *kp, struct ann *a)
{
	struct seg ks, ks2;
	char s1[80], s2[80];
	size_t i, count;
	int ok = 1;

#define STOP()                                                                 \
	do {                                                                   \
		ok = 0;                                                        \
		if (!v->errs)                                                  \
			return 0;                                              \
	} while (0)

	ks.up = kp;
	ks2.up = &ks;
	ks2.s = NULL;
	if (n->ref) {
		ks.s = "$ref";
		if (!eval_inplace(v, n->ref, inst, ip, &ks, a))
			STOP();
		if (n->ref_only)
			return ok;
	}
	if (n->dynref) {
		ks.s = n->recursive_ref ? "$recursiveRef" : "$dynamicRef";
		if (!eval_inplace(v, dynamic_target(v, n), inst, ip, &ks, a))
			STOP();
	}
	if (n->types && !check_type(n, inst)) {
		show(inst, s1, sizeof s1);
		type_list(n->types, s2, sizeof s2);
		fail(v, n, ip, kp, "type", "%s is not of type %s", s1, s2);
		STOP();
	}
	if (n->enum_) {
		json_t *e;

		json_array_foreach(n->enum_, i,
				   e) if (schema_equal(inst, e)) break;
		if (i == json_array_size(n->enum_)) {
			show(inst, s1, sizeof s1);
			fail(v, n, ip, kp, "enum",
			     "%s is not one of the allowed values", s1);
			STOP();
		}
	}
	if (n->has_const && !schema_equal(inst, n->const_)) {
		show(inst, s1, sizeof s1);
		show(n->const_, s2, sizeof s2);
		fail(v, n, ip, kp, "const", "%s is not the constant %s", s1,
		     s2);
		STOP();
	}
	switch (json_typeof(inst)) {
	case JSON_INTEGER:
	case JSON_REAL:
		if (!eval_number(v, n, inst, ip, kp))
			STOP();
		break;
	case JSON_STRING:
		if (!eval_string(v, n, inst, ip, kp))
			STOP();
		break;
	case JSON_ARRAY:
		if (!eval_array(v, n, inst, ip, kp, a))
			STOP();
		break;
	case JSON_OBJECT:
		if (!eval_object(v, n, inst, ip, kp, a))
			STOP();
		break;
	default:
		break;
	}
	for (i = 0; i < n->nall_of; i++) {
		ks.s = "allOf";
		ks2.i = i;
		if (!eval_inplace(v, n->all_of[i], inst, ip, &ks2, a))
			STOP();
	}
	if (n->nany_of) {
		int any = 0;

		ks.s = "anyOf";
		for (i = 0; i < n->nany_of; i++) {
			ks2.i = i;
			if (probe(v, n->any_of[i], inst, ip, &ks2, a)) {
				any = 1;
				if (a == NULL)
					break;
			}
		}
		if (!any) {
			fail(v, n, ip, kp, "anyOf",
			     "value matches none of the %zu schemas in anyOf",
			     n->nany_of);
			STOP();
		}
	}
	if (n->none_of) {
		size_t first = 0, second = 0;
		struct ann sub = { 0 };

		ks.s = "oneOf";
		count = 0;
		for (i = 0; i < n->none_of; i++) {
			ks2.i = i;
			if (probe(v, n->one_of[i], inst, ip, &ks2,
				  a ? &sub : NULL)) {
				if (count++ == 0)
					first = i;
				else
					second = i;
				if (count > 1)
					break;
			}
		}
		if (count == 1 && a)
			ann_merge(a, &sub);
		ann_release(&sub);
		if (count == 0) {
			fail(v, n, ip, kp, "oneOf",
			     "value matches none of the %zu schemas in oneOf",
			     n->none_of);
			STOP();
		} else if (count > 1) {
			fail(v, n, ip, kp, "oneOf",
			     "value matches more than one schema in oneOf "
			     "(%zu and %zu)",
			     first, second);
			STOP();
		}
	}
	if (n->not_) {
		ks.s = "not";
		if (probe(v, n->not_, inst, ip, &ks, NULL)) {
			show(inst, s1, sizeof s1);
			fail(v, n, ip, kp, "not",
			     "%s must not match the schema in not", s1);
			STOP();
		}
	}
	if (n->if_) {
		ks.s = "if";
		if (probe(v, n->if_, inst, ip, &ks, a)) {
			ks.s = "then";
			if (n->then_ &&
			    !eval_inplace(v, n->then_, inst, ip, &ks, a))
				STOP();
		} else {
			ks.s = "else";
			if (n->else_ &&
			    !eval_inplace(v, n->else_, inst, ip, &ks, a))
				STOP();
		}
	}
	if (n->uneval_items && json_is_array(inst) && a) {
		struct seg is = { ip, NULL, 0 };

		ks.s = "unevaluatedItems";
		for (i = 0; i < json_array_size(inst); i++) {
			if (ann_has_item(a, i))
				continue;
			is.i = i;
			if (n->uneval_items->boolean == 0) {
				fail(v, n, ip, kp, "unevaluatedItems",
				     "item %zu is not allowed (unevaluated)",
				     i);
				STOP();
			} else if (!eval(v, n->uneval_items,
					 json_array_get(inst, i), &is, &ks,
					 NULL)) {
				STOP();
			}
		}
		a->all_items = 1;
	}
	if (n->uneval_props && json_is_object(inst) && a) {
		struct seg is = { ip, NULL, 0 };
		const char *key;
		json_t *val;

		ks.s = "unevaluatedProperties";
		json_object_foreach(inst, key, val)
		{
			if (ann_has_prop(a, key))
				continue;
			is.s = key;
			if (n->uneval_props->boolean == 0) {
				fail(v, n, ip, kp, "unevaluatedProperties",
				     "property \"%s\" is not allowed "
				     "(unevaluated)",
				     key);
				STOP();
			} else if (!eval(v, n->uneval_props, val, &is, &ks,
					 NULL)) {
				STOP();
			}
		}
		a->all_props = 1;
	}
#undef STOP
	return ok;
}

static int
eval(struct vctx *v, struct snode *n, json_t *inst, const struct seg *ip,
     const struct seg *kp, struct ann *a)
{
	struct schema *sc = v->sc;
	struct ann local = { 0 };
	int pushed = 0, ok;

	if (v->aborted)
		return 0;
	if (n->boolean == 1)
		return 1;
	if (n->boolean == 0)
		return fail(v, n, ip, kp, NULL,
			    "no value is allowed here (false schema)");
	if (v->depth >= CHECK_MAX_DEPTH)
		return limit(
			v, n, ip, kp,
			"schema evaluation nested more than %d levels deep",
			CHECK_MAX_DEPTH);
	if (++v->steps > CHECK_MAX_STEPS)
		return limit(v, n, ip, kp,
			     "schema evaluation took more than %d steps",
			     CHECK_MAX_STEPS);
	/* The same schema object on the same value further up, with no step
	 * into the value in between: a $ref loop that would never end. */
	{
		size_t i = sc->neval;

		while (i > 0 && sc->eval_inst[i - 1] == inst) {
			if (sc->eval_node[--i] == n)
				return limit(v, n, ip, kp,
					     "$ref loop: this schema applies "
					     "itself to the same value");
		}
		if (sc->neval == sc->capeval) {
			sc->capeval = sc->capeval ? 2 * sc->capeval : 64;
			sc->eval_node =
				xreallocarray(sc->eval_node, sc->capeval,
					      sizeof *sc->eval_node);
			sc->eval_inst =
				xreallocarray(sc->eval_inst, sc->capeval,
					      sizeof *sc->eval_inst);
		}
		sc->eval_node[sc->neval] = n;
		sc->eval_inst[sc->neval++] = inst;
	}
	v->depth++;
	if (sc->nscope == 0 || sc->scope[sc->nscope - 1] != n->res) {
		if (sc->nscope == sc->capscope) {
			sc->capscope = sc->capscope ? 2 * sc->capscope : 16;
			sc->scope = xreallocarray(sc->scope, sc->capscope,
						  sizeof *sc->scope);
		}
		sc->scope[sc->nscope++] = n->res;
		pushed = 1;
	}
	if (a == NULL && n->needs_ann)
		a = &local;
	ok = eval_body(v, n, inst, ip, kp, a);
	if (a == &local)
		ann_release(&local);
	if (pushed)
		sc->nscope--;
	sc->neval--;
	v->depth--;
	return ok && !v->aborted;
}

int
schema_node_validate(struct schema *sc, struct snode *n, json_t *inst,
		     struct schema_errors *out)
{
	struct vctx v = { sc, out, 0, 0, 0, 0, out };

	sc->nscope = 0;
	sc->neval = 0;
	return eval(&v, n, inst, NULL, NULL, NULL);
}

int
schema_validate(struct schema *sc, json_t *inst, struct schema_errors *out)
{
	return schema_node_validate(sc, sc->root, inst, out);
}
