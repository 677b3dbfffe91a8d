/*
 * expr-value.c -- jq's value semantics on jansson values: truthiness, the
 * total order, arithmetic, indexing, slicing, paths, and printing numbers
 * the way jq 1.6 does.
 *
 * All numbers are doubles for arithmetic (as in jq); results that are
 * integral and within +-2^53 are stored as json_integer, others as
 * json_real.  Integers read from input stay exact 64-bit values until
 * arithmetic touches them.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "json/jnum.h"
#include "json/json-text.h"
#include "expr-impl.h"
#include "lib/xmalloc.h"

int
val_truthy(json_t *v)
{
	return !(json_is_null(v) || json_is_false(v));
}

int
val_is_number(json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

double
val_num(json_t *v)
{
	return jnum_value(v);
}

int
val_is_nan(json_t *v)
{
	return jnum_is_nan(v);
}

json_t *
val_number(double d)
{
	/* 2^53 and beyond: a double, which equals every integer that
	 * rounds to it, as jq compares a computed number */
	if (!isfinite(d))
		return jnum_special(d);
	if (d == floor(d) && fabs(d) < 9007199254740992.0 &&
	    !(d == 0 && signbit(d)))
		return json_integer((json_int_t)d);
	return json_real(d);
}

json_t *
val_string(const char *s, size_t len)
{
	json_t *v = json_stringn_nocheck(s, len);

	if (!v) {
		fprintf(stderr, "evpipe: out of memory\n");
		exit(3);
	}
	return v;
}

const char *
val_kind(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

int
val_type_rank(json_type t)
{
	switch (t) {
	case JSON_NULL:
		return 0;
	case JSON_FALSE:
		return 1;
	case JSON_TRUE:
		return 2;
	case JSON_INTEGER:
	case JSON_REAL:
		return 3;
	case JSON_STRING:
		return 4;
	case JSON_ARRAY:
		return 5;
	default:
		return 6;
	}
}

static int
val_keycmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return val_cmp(x, y);
}

/* Sorted keys of an object as an array of strings (new reference). */
static json_t *
val_sorted_keys(json_t *o)
{
	json_t *keys = json_array(), *v;
	const char *k;
	size_t n = 0, i;
	json_t **tmp;

	(void)v;
	json_object_foreach(o, k, v) {
		(void)v;
		json_array_append_new(keys, val_string(k, strlen(k)));
	}
	n = json_array_size(keys);
	tmp = xmalloc((n ? n : 1) * sizeof(*tmp));
	for (i = 0; i < n; i++)
		tmp[i] = json_incref(json_array_get(keys, i));
	qsort(tmp, n, sizeof(*tmp), val_keycmp);
	json_array_clear(keys);
	for (i = 0; i < n; i++)
		json_array_append_new(keys, tmp[i]);
	free(tmp);
	return keys;
}

int
val_cmp(json_t *a, json_t *b)
{
	int ra = val_type_rank(json_typeof(a)),
	    rb = val_type_rank(json_typeof(b));

	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (ra) {
	case 3:
		return jnum_cmp(a, b);
	case 4: {
		size_t la = json_string_length(a), lb = json_string_length(b);
		int r = memcmp(json_string_value(a), json_string_value(b),
			       la < lb ? la : lb);

		if (r)
			return r < 0 ? -1 : 1;
		return la < lb ? -1 : la > lb;
	}
	case 5: {
		size_t i, la = json_array_size(a), lb = json_array_size(b);

		for (i = 0; i < la && i < lb; i++) {
			int r = val_cmp(json_array_get(a, i),
					json_array_get(b, i));

			if (r)
				return r;
		}
		return la < lb ? -1 : la > lb;
	}
	case 6: {
		json_t *ka, *kb;
		size_t i;
		int r;

		if (a == b)
			return 0;
		ka = val_sorted_keys(a);
		kb = val_sorted_keys(b);
		r = val_cmp(ka, kb);
		for (i = 0; r == 0 && i < json_array_size(ka); i++) {
			const char *k =
				json_string_value(json_array_get(ka, i));

			r = val_cmp(json_object_get(a, k),
				    json_object_get(b, k));
		}
		json_decref(ka);
		json_decref(kb);
		return r;
	}
	default:
		return 0;
	}
}

int
val_equal(json_t *a, json_t *b)
{
	if (a == b)
		return 1;
	if (json_is_string(a) && json_is_string(b))
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b),
			      json_string_length(a)) == 0;
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *v;

		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach(a, k, v) {
			json_t *w = json_object_get(b, k);

			if (!w || !val_equal(v, w))
				return 0;
		}
		return 1;
	}
	return val_cmp(a, b) == 0;
}

/* ---- printing ---------------------------------------------------------- */

void
val_dump_string(const char *s, size_t len, struct buf *out)
{
	jtext_quote(out, s, len);
}

void
val_dump(json_t *v, struct buf *out)
{
	jtext_value(out, v, out->len + VAL_DUMP_MAX);
}

int
val_dump_max(json_t *v, struct buf *out, size_t max)
{
	size_t start = out->len;

	jtext_value(out, v, start + max);
	return out->len - start > max ? -1 : 0;
}

int
expr_dump(json_t *v, struct buf *out)
{
	return val_dump_max(v, out, VAL_DUMP_MAX);
}

int
expr_dump_canon(json_t *v, struct buf *out)
{
	size_t start = out->len;

	jtext_value_canon(out, v, start + VAL_DUMP_MAX);
	return out->len - start > VAL_DUMP_MAX ? -1 : 0;
}

void
val_describe(json_t *v, char *out, size_t outsz)
{
	struct buf b = BUF_INIT;

	(void)val_dump_max(v, &b, 15);
	if (b.len > 14) {
		b.len = 11;
		buf_adds(&b, "...");
	}
	snprintf(out, outsz, "%s (%s)", val_kind(v), b.data);
	buf_release(&b);
}

json_t *
val_tostring(json_t *v)
{
	struct buf b = BUF_INIT;
	json_t *s;

	if (json_is_string(v))
		return json_incref(v);
	val_dump(v, &b);
	s = val_string(b.data, b.len);
	buf_release(&b);
	return s;
}

/* ---- arithmetic -------------------------------------------------------- */

static json_t *
val_deep_merge(json_t *a, json_t *b)
{
	json_t *r = json_copy(a), *v;
	const char *k;

	json_object_foreach(b, k, v) {
		json_t *old = json_object_get(r, k);

		if (old && json_is_object(old) && json_is_object(v))
			json_object_set_new_nocheck(r, k,
						    val_deep_merge(old, v));
		else
			json_object_set_nocheck(r, k, v);
	}
	return r;
}

static int
val_binop_error(struct ectx *c, json_t *a, json_t *b, const char *what)
{
	char da[64], db[64];

	val_describe(a, da, sizeof(da));
	val_describe(b, db, sizeof(db));
	return ev_error(c, "%s and %s cannot be %s", da, db, what);
}

static json_t *
val_split(json_t *s, json_t *sep)
{
	const char *p = json_string_value(s), *q = json_string_value(sep);
	size_t len = json_string_length(s), sl = json_string_length(sep), i,
	       start = 0;
	json_t *r = json_array();

	if (len == 0)
		return r;
	if (sl == 0) {
		/* jq 1.6 splits "" into characters... per byte of UTF-8 */
		for (i = 0; i < len;) {
			size_t n = 1;

			while (i + n < len &&
			       ((unsigned char)p[i + n] & 0xC0) == 0x80)
				n++;
			json_array_append_new(r, val_string(p + i, n));
			i += n;
		}
		return r;
	}
	for (i = 0; i + sl <= len;) {
		if (memcmp(p + i, q, sl) == 0) {
			json_array_append_new(r,
					      val_string(p + start, i - start));
			i += sl;
			start = i;
		} else {
			i++;
		}
	}
	json_array_append_new(r, val_string(p + start, len - start));
	return r;
}

size_t
val_copy_steps(json_t *v)
{
	if (json_is_array(v))
		return json_array_size(v);
	if (json_is_object(v))
		return json_object_size(v);
	if (json_is_string(v))
		return json_string_length(v) / EV_COPY_BYTES;
	return 0;
}

int
val_add_own(struct ectx *c, json_t *a, json_t *b)
{
	if (json_is_array(a) && json_is_array(b)) {
		if (ev_tick_n(c, json_array_size(b)) < 0)
			return -1;
		json_array_extend(a, b);
		return 1;
	}
	if (json_is_object(a) && json_is_object(b)) {
		if (ev_tick_n(c, json_object_size(b)) < 0)
			return -1;
		json_object_update(a, b);
		return 1;
	}
	return 0;
}

/*
 * a OP b for a comparison.  Comparing two arrays, objects or strings
 * walks them: it counts as many steps as the smaller has members (or
 * 16-byte pieces).
 */
static int
val_compare(struct ectx *c, int op, json_t *a, json_t *b, json_t **out)
{
	size_t sa = val_copy_steps(a), sb = val_copy_steps(b);
	int r;

	if (a != b && json_typeof(a) == json_typeof(b) &&
	    ev_tick_n(c, sa < sb ? sa : sb) < 0)
		return -1;
	if (op == OP_EQ || op == OP_NE) {
		r = val_equal(a, b);
		*out = json_boolean(op == OP_EQ ? r : !r);
		return 0;
	}
	r = val_cmp(a, b);
	*out = json_boolean(op == OP_LT	  ? r < 0
			    : op == OP_LE ? r <= 0
			    : op == OP_GT ? r > 0
					  : r >= 0);
	return 0;
}

int
val_binop(struct ectx *c, int op, json_t *a, json_t *b, json_t **out)
{
	int na = val_is_number(a), nb = val_is_number(b);

	switch (op) {
	case OP_EQ:
	case OP_NE:
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		return val_compare(c, op, a, b, out);
	case OP_ADD:
		if (json_is_null(a)) {
			*out = json_incref(b);
			return 0;
		}
		if (json_is_null(b)) {
			*out = json_incref(a);
			return 0;
		}
		if (na && nb) {
			if (json_is_integer(a) && json_is_integer(b)) {
				json_int_t x = json_integer_value(a),
					   y = json_integer_value(b), z;

				if (!__builtin_add_overflow(x, y, &z) &&
				    z <= (1LL << 53) && z >= -(1LL << 53)) {
					*out = json_integer(z);
					return 0;
				}
			}
			*out = val_number(val_num(a) + val_num(b));
			return 0;
		}
		if (json_is_string(a) && json_is_string(b)) {
			struct buf s = BUF_INIT;

			if (ev_tick_n(c, val_copy_steps(a) +
						 val_copy_steps(b)) < 0)
				return -1;
			buf_add(&s, json_string_value(a),
				json_string_length(a));
			buf_add(&s, json_string_value(b),
				json_string_length(b));
			*out = val_string(s.data, s.len);
			buf_release(&s);
			return 0;
		}
		if (json_is_array(a) && json_is_array(b)) {
			if (ev_tick_n(c, json_array_size(a) +
						 json_array_size(b)) < 0)
				return -1;
			*out = json_copy(a);
			json_array_extend(*out, b);
			return 0;
		}
		if (json_is_object(a) && json_is_object(b)) {
			if (ev_tick_n(c, json_object_size(a) +
						 json_object_size(b)) < 0)
				return -1;
			*out = json_copy(a);
			json_object_update(*out, b);
			return 0;
		}
		return val_binop_error(c, a, b, "added");
	case OP_SUB:
		if (na && nb) {
			*out = val_number(val_num(a) - val_num(b));
			return 0;
		}
		if (json_is_array(a) && json_is_array(b)) {
			size_t i, j;

			/* every member of a is compared with those of b */
			if (ev_tick_n(c, json_array_size(a) *
						 (json_array_size(b) + 1)) < 0)
				return -1;
			*out = json_array();
			for (i = 0; i < json_array_size(a); i++) {
				json_t *x = json_array_get(a, i);

				for (j = 0; j < json_array_size(b); j++)
					if (val_equal(x, json_array_get(b, j)))
						break;
				if (j == json_array_size(b))
					json_array_append(*out, x);
			}
			return 0;
		}
		return val_binop_error(c, a, b, "subtracted");
	case OP_MUL:
		if (na && nb) {
			*out = val_number(val_num(a) * val_num(b));
			return 0;
		}
		if ((json_is_string(a) && nb) || (na && json_is_string(b))) {
			json_t *s = json_is_string(a) ? a : b;
			double d = val_num(json_is_string(a) ? b : a);
			size_t sl = json_string_length(s);
			struct buf r = BUF_INIT;
			long n;

			/* jq 1.7.1: (int)d copies, so 0.5 gives ""; null
			 * for a negative count or NaN */
			if (isnan(d) || d < 0) {
				*out = json_null();
				return 0;
			}
			n = (d > 1e9 ? 1000000000L : (long)d) - 1;
			if (n < 0 || sl == 0) {
				*out = val_string("", 0);
				return 0;
			}
			if ((double)sl * (double)(n + 1) > EXPR_MAX_REPEAT)
				return ev_error(c, "Repeat string result too "
						   "long");
			if (ev_tick_n(c, sl * (size_t)(n + 1) / EV_COPY_BYTES) <
			    0)
				return -1;
			/* Doubling: a few large copies, not n small ones
			 * ("x" * 5e7 made 50 million calls). */
			buf_grow(&r, sl * (size_t)(n + 1));
			buf_add(&r, json_string_value(s), sl);
			while (r.len < sl * (size_t)(n + 1)) {
				size_t k = r.len, want = sl * (size_t)(n + 1);

				buf_add(&r, r.data,
					k < want - k ? k : want - k);
			}
			*out = val_string(r.data, r.len);
			buf_release(&r);
			return 0;
		}
		if (json_is_object(a) && json_is_object(b)) {
			if (ev_tick_n(c, json_object_size(a) +
						 json_object_size(b)) < 0)
				return -1;
			*out = val_deep_merge(a, b);
			return 0;
		}
		return val_binop_error(c, a, b, "multiplied");
	case OP_DIV:
		if (na && nb) {
			if (val_num(b) == 0)
				return val_binop_error(
					c, a, b,
					"divided because the divisor is zero");
			*out = val_number(val_num(a) / val_num(b));
			return 0;
		}
		if (json_is_string(a) && json_is_string(b)) {
			*out = val_split(a, b);
			return 0;
		}
		return val_binop_error(c, a, b, "divided");
	case OP_MOD:
		if (na && nb) {
			double x = val_num(a), y = val_num(b);
			long long xi, yi;

			if (isnan(x) || isnan(y)) {
				/* jq 1.7.1 */
				*out = val_number(NAN);
				return 0;
			}
			xi = x >= 9.2e18    ? LLONG_MAX
			     : x <= -9.2e18 ? LLONG_MIN
					    : (long long)x;
			yi = y >= 9.2e18    ? LLONG_MAX
			     : y <= -9.2e18 ? LLONG_MIN
					    : (long long)y;
			if (yi == 0)
				return val_binop_error(c, a, b,
						       "divided (remainder) "
						       "because the divisor "
						       "is zero");
			if (yi == -1)
				*out = json_integer(0);
			else
				*out = val_number((double)(xi % yi));
			return 0;
		}
		return val_binop_error(c, a, b, "divided (remainder)");
	}
	return ev_error(c, "unknown operator");
}

/* ---- strings ----------------------------------------------------------- */

size_t
utf8_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

size_t
utf8_offset(const char *s, size_t len, size_t cp)
{
	size_t i = 0;

	while (i < len && cp > 0) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		cp--;
	}
	return i;
}

static void
val_cp_cache(struct ectx *c, json_t *s)
{
	const char *p;
	size_t len;

	if (c->u8.str == s)
		return;
	p = json_string_value(s);
	len = json_string_length(s);
	json_decref(c->u8.str);
	c->u8.str = json_incref(s);
	c->u8.ncp = utf8_count(p, len);
	c->u8.ascii = c->u8.ncp == len;
	c->u8.cp = 0;
	c->u8.byte = 0;
}

size_t
val_cp_length(struct ectx *c, json_t *s)
{
	val_cp_cache(c, s);
	return c->u8.ncp;
}

/* Byte offset of code point cp of string s, through the context's cache. */
static size_t
val_cp_offset(struct ectx *c, json_t *s, size_t cp)
{
	const char *p;
	size_t len, i, k;

	val_cp_cache(c, s);
	if (cp >= c->u8.ncp)
		return json_string_length(s);
	if (c->u8.ascii)
		return cp;
	/* from the last position, forwards or backwards */
	p = json_string_value(s);
	len = json_string_length(s);
	i = c->u8.byte;
	k = c->u8.cp;
	while (k < cp) {
		i++;
		while (i < len && ((unsigned char)p[i] & 0xC0) == 0x80)
			i++;
		k++;
	}
	while (k > cp) {
		i--;
		while (i > 0 && ((unsigned char)p[i] & 0xC0) == 0x80)
			i--;
		k--;
	}
	c->u8.cp = k;
	c->u8.byte = i;
	return i;
}

void
ectx_release(struct ectx *c)
{
	json_decref(c->u8.str);
	c->u8.str = NULL;
	json_decref(c->bad);
	c->bad = NULL;
}

json_t *
ev_bad_path(struct ectx *c)
{
	if (!c->bad)
		c->bad = json_array();
	return c->bad;
}

void
val_dump_trunc(json_t *v, size_t size, struct buf *out)
{
	(void)val_dump_max(v, out, size);
	if (out->len > size - 1) {
		out->len = size - 4;
		buf_adds(out, "...");
	}
}

int
ev_path_check(struct ectx *c, json_t *path, json_t *v)
{
	struct buf b = BUF_INIT;
	int rc;

	if (path != c->bad || !c->bad)
		return 0;
	val_dump_trunc(v, 15, &b);
	rc = ev_error(c, "Invalid path expression with result %s", b.data);
	buf_release(&b);
	return rc;
}

/* ---- indexing ---------------------------------------------------------- */

void
val_slice_range(size_t len, double s, double e, size_t *ps, size_t *pe)
{
	if (isnan(s))
		s = 0;
	if (isnan(e))
		e = (double)len;
	if (s < 0)
		s += (double)len;
	if (e < 0)
		e += (double)len;
	if (s < 0)
		s = 0;
	if (s > (double)len)
		s = (double)len;
	if (e > (double)len)
		e = (double)len;
	*ps = (size_t)s;
	/* jq 1.7.1: the start rounds down, the end up, unless the end is
	 * not past the start ([1.7:-4294967296] is empty) */
	if (e <= s)
		*pe = *ps;
	else
		*pe = e > (double)(size_t)e ? (size_t)e + 1 : (size_t)e;
	if (*pe > len)
		*pe = len;
}

static int
val_slice_bounds(struct ectx *c, size_t len, json_t *from, json_t *to,
		 size_t *ps, size_t *pe)
{
	if ((!json_is_null(from) && !val_is_number(from)) ||
	    (!json_is_null(to) && !val_is_number(to)))
		return ev_error(c, "Start and end indices of an array slice "
				   "must be numbers");
	val_slice_range(len, json_is_null(from) ? 0 : val_num(from),
			json_is_null(to) ? (double)len : val_num(to), ps, pe);
	return 0;
}

int
val_slice(struct ectx *c, json_t *a, json_t *from, json_t *to, json_t **out)
{
	size_t s, e, i;

	if (json_is_null(a)) {
		*out = json_null();
		return 0;
	}
	if (json_is_array(a)) {
		if (val_slice_bounds(c, json_array_size(a), from, to, &s, &e) <
		    0)
			return -1;
		/* a copy of e - s members: work like any other copy */
		if (ev_tick_n(c, e - s) < 0)
			return -1;
		*out = json_array();
		for (i = s; i < e; i++)
			json_array_append(*out, json_array_get(a, i));
		return 0;
	}
	if (json_is_string(a)) {
		const char *p = json_string_value(a);
		size_t bs, be;

		if (val_slice_bounds(c, val_cp_length(c, a), from, to, &s, &e) <
		    0)
			return -1;
		bs = val_cp_offset(c, a, s);
		be = val_cp_offset(c, a, e);
		if (ev_tick_n(c, (be - bs) / EV_COPY_BYTES) < 0)
			return -1;
		*out = val_string(p + bs, be - bs);
		return 0;
	}
	return ev_error(c, "Cannot index %s with object", val_kind(a));
}

static int
val_index_error(struct ectx *c, json_t *a, json_t *k)
{
	if (json_is_string(k))
		return ev_error(c, "Cannot index %s with string \"%s\"",
				val_kind(a), json_string_value(k));
	return ev_error(c, "Cannot index %s with %s", val_kind(a), val_kind(k));
}

int
val_index(struct ectx *c, json_t *a, json_t *k, json_t **out)
{
	if (json_is_object(a) && json_is_string(k)) {
		json_t *v = json_object_getn(a, json_string_value(k),
					     json_string_length(k));

		*out = json_incref(v ? v : json_null());
		return 0;
	}
	if (json_is_array(a) && val_is_number(k)) {
		double d = val_num(k);
		long long i;

		/* jq 1.7.1: a fractional index is cut to an integer */
		if (isnan(d) || fabs(d) > 1e18) {
			*out = json_null();
			return 0;
		}
		i = (long long)d;
		if (i < 0)
			i += (long long)json_array_size(a);
		*out = json_incref(i < 0 ? json_null()
				   : json_array_get(a, (size_t)i)
					   ? json_array_get(a, (size_t)i)
					   : json_null());
		return 0;
	}
	if (json_is_null(a) &&
	    (json_is_string(k) || val_is_number(k) || json_is_object(k))) {
		*out = json_null();
		return 0;
	}
	if (json_is_object(k) && (json_is_array(a) || json_is_string(a))) {
		json_t *s = json_object_get(k, "start"),
		       *e = json_object_get(k, "end");

		return val_slice(c, a, s ? s : json_null(), e ? e : json_null(),
				 out);
	}
	if (json_is_array(a) && json_is_array(k)) {
		size_t i, j, n = json_array_size(a), m = json_array_size(k);

		*out = json_array();
		if (m == 0) {
			json_decref(*out);
			*out = json_null();
			return 0;
		}
		for (i = 0; i + m <= n; i++) {
			for (j = 0; j < m; j++)
				if (!val_equal(json_array_get(a, i + j),
					       json_array_get(k, j)))
					break;
			if (j == m)
				json_array_append_new(
					*out, json_integer((json_int_t)i));
		}
		return 0;
	}
	return val_index_error(c, a, k);
}

/* ---- paths ------------------------------------------------------------- */

int
val_getpath(struct ectx *c, json_t *v, json_t *path, json_t **out)
{
	size_t i;
	json_t *cur;

	if (!json_is_array(path))
		return ev_error(c, "Path must be specified as an array");
	cur = json_incref(v);
	for (i = 0; i < json_array_size(path); i++) {
		json_t *next;

		if (json_is_null(cur)) {
			break;
		}
		if (val_index(c, cur, json_array_get(path, i), &next) < 0) {
			json_decref(cur);
			return -1;
		}
		json_decref(cur);
		cur = next;
	}
	*out = cur;
	return 0;
}

/*
 * setpath from level i; own: v may be changed in place (nothing but its
 * parent, or the caller, holds it).  A container that is nv itself is
 * copied, or it would end up inside itself.
 */
static int
setpath_at(struct ectx *c, json_t *v, json_t *path, size_t i, json_t *nv,
	   int own, json_t **out)
{
	json_t *k, *child, *nc, *r;

	if (!json_is_array(path))
		return ev_error(c, "Path must be specified as an array");
	if (i == json_array_size(path)) {
		*out = json_incref(nv);
		return 0;
	}
	k = json_array_get(path, i);
	own = own && v != nv && (json_is_array(v) || json_is_object(v));
	/* each level copies a container: count it against the budget */
	if (ev_tick_n(c, 1 + (own		  ? 0
			      : json_is_array(v)  ? json_array_size(v)
			      : json_is_object(v) ? json_object_size(v)
						  : 0)) < 0)
		return -1;
	if (json_is_string(k)) {
		if (!json_is_object(v) && !json_is_null(v))
			return val_index_error(c, v, k);
		child = json_is_object(v)
				? json_object_getn(v, json_string_value(k),
						   json_string_length(k))
				: NULL;
		if (setpath_at(c, child ? child : json_null(), path, i + 1, nv,
			       own && child && child->refcount == 1, &nc) < 0)
			return -1;
		r = own			? json_incref(v)
		    : json_is_object(v) ? json_copy(v)
					: json_object();
		json_object_setn_new_nocheck(r, json_string_value(k),
					     json_string_length(k), nc);
		*out = r;
		return 0;
	}
	if (val_is_number(k)) {
		double d = val_num(k);
		long long idx;
		size_t n;

		if (!json_is_array(v) && !json_is_null(v))
			return val_index_error(c, v, k);
		n = json_is_array(v) ? json_array_size(v) : 0;
		if (isnan(d))
			return ev_error(c, "Cannot set array element at NaN "
					   "index");
		if (fabs(d) > 1e9)
			return ev_error(c, "Array index too large");
		idx = (long long)d;
		if (idx < 0) {
			idx += (long long)n;
			if (idx < 0)
				return ev_error(c, "Out of bounds negative "
						   "array index");
		}
		if (idx > EXPR_MAX_INDEX)
			return ev_error(c, "Array index too large");
		/* the nulls it pads with, and a copy, are work like any other:
		 * so the step limit bounds the memory they take too */
		if (ev_tick_n(c, ((size_t)idx >= n ? (size_t)idx + 1 - n : 0) +
					 (own ? 0 : n)) < 0)
			return -1;
		child = json_is_array(v) ? json_array_get(v, (size_t)idx)
					 : NULL;
		if (setpath_at(c, child ? child : json_null(), path, i + 1, nv,
			       own && child && child->refcount == 1, &nc) < 0)
			return -1;
		r = own		       ? json_incref(v)
		    : json_is_array(v) ? json_copy(v)
				       : json_array();
		while (json_array_size(r) <= (size_t)idx)
			json_array_append_new(r, json_null());
		json_array_set_new(r, (size_t)idx, nc);
		*out = r;
		return 0;
	}
	if (json_is_object(k)) {
		json_t *s = json_object_get(k, "start"),
		       *e = json_object_get(k, "end"), *cur;
		size_t bs, be, j;

		if (!json_is_array(v) && !json_is_null(v)) {
			if (json_is_string(v))
				return ev_error(c, "Cannot update string "
						   "slices");
			return val_index_error(c, v, k);
		}
		if (json_is_null(v))
			v = NULL;
		if (val_slice_bounds(c, v ? json_array_size(v) : 0,
				     s ? s : json_null(), e ? e : json_null(),
				     &bs, &be) < 0)
			return -1;
		if (val_slice(c, v ? v : json_null(), s ? s : json_null(),
			      e ? e : json_null(), &cur) < 0)
			return -1;
		if (json_is_null(cur)) {
			json_decref(cur);
			cur = json_array();
		}
		if (setpath_at(c, cur, path, i + 1, nv, 0, &nc) < 0) {
			json_decref(cur);
			return -1;
		}
		json_decref(cur);
		if (!json_is_array(nc)) {
			json_decref(nc);
			return ev_error(c, "A slice of an array can only be "
					   "assigned another array");
		}
		r = json_array();
		for (j = 0; j < bs; j++)
			json_array_append(r, json_array_get(v, j));
		json_array_extend(r, nc);
		for (j = be; v && j < json_array_size(v); j++)
			json_array_append(r, json_array_get(v, j));
		json_decref(nc);
		*out = r;
		return 0;
	}
	return val_index_error(c, v, k);
}

int
val_setpath(struct ectx *c, json_t *v, json_t *path, size_t i, json_t *nv,
	    json_t **out)
{
	return setpath_at(c, v, path, i, nv, 0, out);
}

int
val_setpath_own(struct ectx *c, json_t *v, json_t *path, json_t *nv,
		json_t **out)
{
	return setpath_at(c, v, path, 0, nv, 1, out);
}

json_t *
val_owned_at(json_t *v, json_t *path)
{
	size_t i;

	for (i = 0; v && i < json_array_size(path); i++) {
		json_t *k = json_array_get(path, i);

		if (json_is_object(v) && json_is_string(k))
			v = json_object_getn(v, json_string_value(k),
					     json_string_length(k));
		else if (json_is_array(v) && json_is_integer(k) &&
			 json_integer_value(k) >= 0)
			v = json_array_get(v, (size_t)json_integer_value(k));
		else
			return NULL;
		if (v && v->refcount != 1)
			return NULL;
	}
	return v;
}

/*
 * Delete the keys of one container at once, as jq 1.7.1's jv_dels: array
 * indices count from the array as it was (a negative one from its end;
 * one out of range deletes nothing), slices too.
 */
static int
val_dels(struct ectx *c, json_t *t, json_t *keys, json_t **out)
{
	size_t i, n = json_array_size(keys);

	if (json_is_null(t) || n == 0) {
		*out = json_incref(t);
		return 0;
	}
	if (json_is_array(t)) {
		size_t len = json_array_size(t), j;
		char *del = xcalloc(len ? len : 1, 1);
		json_t *r;

		for (i = 0; i < n; i++) {
			json_t *k = json_array_get(keys, i);

			if (val_is_number(k)) {
				double d = val_num(k);

				if (isnan(d))
					continue;
				if (d < 0)
					d = trunc(d) + (double)len;
				if (d >= 0 && d < (double)len)
					del[(size_t)d] = 1;
			} else if (json_is_object(k)) {
				json_t *s = json_object_get(k, "start"),
				       *e = json_object_get(k, "end");
				size_t bs, be;

				if (val_slice_bounds(c, len,
						     s ? s : json_null(),
						     e ? e : json_null(), &bs,
						     &be) < 0) {
					free(del);
					return -1;
				}
				for (j = bs; j < be; j++)
					del[j] = 1;
			} else {
				free(del);
				return ev_error(c,
						"Cannot delete %s element of "
						"array",
						val_kind(k));
			}
		}
		r = json_array();
		for (j = 0; j < len; j++)
			if (!del[j])
				json_array_append(r, json_array_get(t, j));
		free(del);
		*out = r;
		return 0;
	}
	if (json_is_object(t)) {
		json_t *r = json_copy(t);

		for (i = 0; i < n; i++) {
			json_t *k = json_array_get(keys, i);

			if (!json_is_string(k)) {
				json_decref(r);
				return ev_error(c,
						"Cannot delete %s field of "
						"object",
						val_kind(k));
			}
			json_object_deln(r, json_string_value(k),
					 json_string_length(k));
		}
		*out = r;
		return 0;
	}
	return val_index_error(c, t, json_array_get(keys, 0));
}

static int val_delpaths_sorted(struct ectx *, json_t *v, json_t **ps, size_t n,
			       size_t start, json_t **out);

/*
 * Delete paths ps[0..n) from sub, the value at key k of *cur, and put the
 * result back at k: in a copy of *cur made once, changed in place after
 * that (del(.[].a) on a long array copies it once, not once a member).
 */
static int
delpaths_under(struct ectx *c, json_t **cur, json_t *k, json_t *sub,
	       json_t **ps, size_t n, size_t start)
{
	json_t *nsub, *step, *next;
	int rc;

	if (val_delpaths_sorted(c, sub, ps, n, start, &nsub) < 0)
		return -1;
	if ((*cur)->refcount != 1) {
		if (ev_tick_n(c, val_copy_steps(*cur)) < 0) {
			json_decref(nsub);
			return -1;
		}
		next = json_copy(*cur);
		json_decref(*cur);
		*cur = next;
	}
	step = json_pack("[O]", k);
	rc = val_setpath_own(c, *cur, step, nsub, &next);
	json_decref(step);
	json_decref(nsub);
	if (rc < 0)
		return -1;
	json_decref(*cur);
	*cur = next;
	return 0;
}

/*
 * Delete the sorted paths ps[0..n), each longer than start, from v, as
 * jq 1.7.1's delpaths_sorted: the keys deeper paths go through first,
 * then the keys that end here, all at once.
 */
static int
val_delpaths_sorted(struct ectx *c, json_t *v, json_t **ps, size_t n,
		    size_t start, json_t **out)
{
	json_t *keys = json_array(), *cur = json_incref(v);
	size_t i = 0, j;
	int rc = 0;

	if (++c->depth > EXPR_MAX_DEPTH) {
		c->depth--;
		json_decref(keys);
		json_decref(cur);
		return ev_error(c, "expression nesting too deep");
	}
	while (rc == 0 && i < n) {
		json_t *k = json_array_get(ps[i], start), *sub;

		for (j = i + 1;
		     j < n && val_equal(k, json_array_get(ps[j], start)); j++)
			;
		if (json_array_size(ps[i]) == start + 1) {
			/* the whole of k goes: the deeper paths under it
			 * do not matter */
			json_array_append(keys, k);
		} else if ((rc = val_index(c, cur, k, &sub)) == 0) {
			if (!json_is_null(sub))
				rc = delpaths_under(c, &cur, k, sub, ps + i,
						    j - i, start + 1);
			json_decref(sub);
		}
		i = j;
	}
	c->depth--;
	if (rc == 0)
		rc = val_dels(c, cur, keys, out);
	json_decref(keys);
	json_decref(cur);
	return rc;
}

static int
val_pathcmp_asc(const void *a, const void *b)
{
	return val_cmp(*(json_t *const *)a, *(json_t *const *)b);
}

int
val_delpaths(struct ectx *c, json_t *v, json_t *paths, json_t **out)
{
	size_t n, i;
	json_t **ps, *cur;
	int rc = 0;

	if (!json_is_array(paths))
		return ev_error(c, "Paths must be specified as an array");
	n = json_array_size(paths);
	ps = xmalloc((n ? n : 1) * sizeof(*ps));
	for (i = 0; i < n; i++) {
		ps[i] = json_array_get(paths, i);
		if (!json_is_array(ps[i])) {
			free(ps);
			return ev_error(c, "Path must be specified as an "
					   "array");
		}
	}
	qsort(ps, n, sizeof(*ps), val_pathcmp_asc);
	if (n == 0) {
		cur = json_incref(v);
	} else if (json_array_size(ps[0]) == 0) {
		cur = json_null();
	} else if (val_delpaths_sorted(c, v, ps, n, 0, &cur) < 0) {
		rc = -1;
	}
	free(ps);
	if (rc < 0)
		return -1;
	*out = cur;
	return 0;
}

static int
val_sortcmp(const void *a, const void *b)
{
	return val_cmp(*(json_t *const *)a, *(json_t *const *)b);
}

json_t *
val_sorted(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **tmp = xmalloc((n ? n : 1) * sizeof(*tmp)), *r;

	for (i = 0; i < n; i++)
		tmp[i] = json_array_get(arr, i);
	/* stable: merge sort via qsort on (value, index) is overkill; jq
	 * uses a stable sort, so do insertion into runs with mergesort */
	qsort(tmp, n, sizeof(*tmp), val_sortcmp);
	r = json_array();
	for (i = 0; i < n; i++)
		json_array_append(r, tmp[i]);
	free(tmp);
	return r;
}
