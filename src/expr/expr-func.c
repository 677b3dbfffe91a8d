/*
 * expr-func.c -- builtin functions: a table of {name, arity, fn} written
 * in C, and a table of macros written in the language (jq 1.6's own
 * definitions from its builtin.jq, so their corner cases match jq).
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/jnum.h"
#include "json/json-scan.h"
#include "expr-impl.h"
#include "lib/errbuf.h"
#include "lib/evtime.h"
#include "lib/xmalloc.h"
#include "opt.h"

extern char **environ;

/* ---- helpers ------------------------------------------------------------- */

static int
need_kind_error(struct ectx *c, json_t *v, const char *what)
{
	char d[64];

	val_describe(v, d, sizeof(d));
	return ev_error(c, "%s %s", d, what);
}

#define CFN(name)                                                              \
	static int name(struct ectx *c, json_t *in, json_t **a, json_t **out)

/* ---- simple value functions ---------------------------------------------- */

static int builtin_format_known(const char *fmt, size_t len);

CFN(f_length)
{
	switch (json_typeof(in)) {
	case JSON_NULL:
		*out = json_integer(0);
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		return need_kind_error(c, in, "has no length");
	case JSON_INTEGER:
		*out = json_integer_value(in) < 0 &&
				       json_integer_value(in) > -(1LL << 62)
			       ? json_integer(-json_integer_value(in))
			       : val_number(fabs(val_num(in)));
		return 0;
	case JSON_REAL:
		*out = val_number(fabs(val_num(in)));
		return 0;
	case JSON_STRING:
		*out = json_integer((json_int_t)val_cp_length(c, in));
		return 0;
	case JSON_ARRAY:
		*out = json_integer((json_int_t)json_array_size(in));
		return 0;
	default:
		*out = json_integer((json_int_t)json_object_size(in));
		return 0;
	}
}

CFN(f_utf8bytelength)
{
	if (!json_is_string(in))
		return need_kind_error(c, in,
				       "only strings have UTF-8 byte "
				       "length");
	*out = json_integer((json_int_t)json_string_length(in));
	return 0;
}

CFN(f_not)
{
	*out = json_boolean(!val_truthy(in));
	return 0;
}

CFN(f_type)
{
	const char *k = val_kind(in);

	*out = val_string(k, strlen(k));
	return 0;
}

static json_t *
keys_of(json_t *in, int sorted)
{
	json_t *r = json_array(), *v;
	const char *k;

	if (json_is_array(in)) {
		size_t i;

		for (i = 0; i < json_array_size(in); i++)
			json_array_append_new(r, json_integer((json_int_t)i));
		return r;
	}
	json_object_foreach(in, k, v) {
		(void)v;
		json_array_append_new(r, val_string(k, strlen(k)));
	}
	if (sorted) {
		json_t *s = val_sorted(r);

		json_decref(r);
		r = s;
	}
	return r;
}

CFN(f_keys)
{
	if (!json_is_object(in) && !json_is_array(in))
		return need_kind_error(c, in, "has no keys");
	*out = keys_of(in, 1);
	return 0;
}

CFN(f_keys_unsorted)
{
	if (!json_is_object(in) && !json_is_array(in))
		return need_kind_error(c, in, "has no keys");
	*out = keys_of(in, 0);
	return 0;
}

CFN(f_has)
{
	json_t *k = a[0];

	if (json_is_null(in)) {
		*out = json_false();
		return 0;
	}
	if (json_is_object(in) && json_is_string(k)) {
		*out = json_boolean(json_object_getn(in, json_string_value(k),
						     json_string_length(k)) !=
				    NULL);
		return 0;
	}
	if (json_is_array(in) && val_is_number(k)) {
		double d = val_num(k);

		*out = json_boolean(d >= 0 && d < (double)json_array_size(in));
		return 0;
	}
	return ev_error(c, "Cannot check whether %s has a %s key", val_kind(in),
			val_kind(k));
}

static int
contains(json_t *a, json_t *b)
{
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *v;

		json_object_foreach(b, k, v) {
			json_t *w = json_object_get(a, k);

			if (!w || !contains(w, v))
				return 0;
		}
		return 1;
	}
	if (json_is_array(a) && json_is_array(b)) {
		size_t i, j;

		for (i = 0; i < json_array_size(b); i++) {
			for (j = 0; j < json_array_size(a); j++)
				if (contains(json_array_get(a, j),
					     json_array_get(b, i)))
					break;
			if (j == json_array_size(a))
				return 0;
		}
		return 1;
	}
	if (json_is_string(a) && json_is_string(b))
		return json_string_length(b) == 0 ||
		       memmem(json_string_value(a), json_string_length(a),
			      json_string_value(b),
			      json_string_length(b)) != NULL;
	return val_equal(a, b);
}

CFN(f_contains)
{
	if (strcmp(val_kind(in), val_kind(a[0])) != 0) {
		char d1[64], d2[64];

		val_describe(in, d1, sizeof(d1));
		val_describe(a[0], d2, sizeof(d2));
		return ev_error(c,
				"%s and %s cannot have their containment "
				"checked",
				d1, d2);
	}
	*out = json_boolean(contains(in, a[0]));
	return 0;
}

CFN(f_startswith)
{
	size_t n;

	if (!json_is_string(in) || !json_is_string(a[0]))
		return ev_error(c, "startswith() requires string inputs");
	n = json_string_length(a[0]);
	*out = json_boolean(
		json_string_length(in) >= n &&
		memcmp(json_string_value(in), json_string_value(a[0]), n) == 0);
	return 0;
}

CFN(f_endswith)
{
	size_t n, l;

	if (!json_is_string(in) || !json_is_string(a[0]))
		return ev_error(c, "endswith() requires string inputs");
	n = json_string_length(a[0]);
	l = json_string_length(in);
	*out = json_boolean(l >= n && memcmp(json_string_value(in) + l - n,
					     json_string_value(a[0]), n) == 0);
	return 0;
}

CFN(f_ltrimstr)
{
	size_t n;

	if (json_is_string(in) && json_is_string(a[0]) &&
	    json_string_length(in) >= (n = json_string_length(a[0])) &&
	    memcmp(json_string_value(in), json_string_value(a[0]), n) == 0) {
		*out = val_string(json_string_value(in) + n,
				  json_string_length(in) - n);
		return 0;
	}
	*out = json_incref(in);
	return 0;
}

CFN(f_rtrimstr)
{
	size_t n, l;

	if (json_is_string(in) && json_is_string(a[0]) &&
	    (l = json_string_length(in)) >= (n = json_string_length(a[0])) &&
	    memcmp(json_string_value(in) + l - n, json_string_value(a[0]), n) ==
		    0) {
		*out = val_string(json_string_value(in), l - n);
		return 0;
	}
	*out = json_incref(in);
	return 0;
}

static unsigned
utf8_decode(const unsigned char *s, size_t len, size_t *n)
{
	unsigned cp = s[0];
	size_t need = 0, i;

	if (cp < 0x80) {
		*n = 1;
		return cp;
	}
	if ((cp & 0xE0) == 0xC0) {
		need = 1;
		cp &= 0x1F;
	} else if ((cp & 0xF0) == 0xE0) {
		need = 2;
		cp &= 0x0F;
	} else if ((cp & 0xF8) == 0xF0) {
		need = 3;
		cp &= 0x07;
	} else {
		*n = 1;
		return 0xFFFD;
	}
	for (i = 1; i <= need; i++) {
		if (i >= len || (s[i] & 0xC0) != 0x80) {
			*n = i;
			return 0xFFFD;
		}
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	*n = need + 1;
	return cp;
}

/* Append cp as UTF-8; surrogates and values past U+10FFFF as U+FFFD. */
static void
put_codepoint(struct buf *b, unsigned cp)
{
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
		cp = 0xFFFD;
	buf_add_utf8(b, cp);
}

CFN(f_explode)
{
	const unsigned char *s;
	size_t len, i, n;

	if (!json_is_string(in))
		return ev_error(c, "explode input must be a string");
	s = (const unsigned char *)json_string_value(in);
	len = json_string_length(in);
	*out = json_array();
	for (i = 0; i < len; i += n)
		json_array_append_new(
			*out, json_integer(utf8_decode(s + i, len - i, &n)));
	return 0;
}

CFN(f_implode)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (!json_is_array(in))
		return ev_error(c, "implode input must be an array");
	for (i = 0; i < json_array_size(in); i++) {
		json_t *v = json_array_get(in, i);
		double d;

		if (!val_is_number(v) || isnan(val_num(v))) {
			buf_release(&b);
			return need_kind_error(c, v,
					       "can't be imploded, unicode "
					       "codepoint needs to be numeric");
		}
		d = val_num(v);
		/* jq 1.7.1: U+FFFD for what is no code point */
		put_codepoint(&b, d >= 0 && d <= 0x10FFFF &&
						  !(d >= 0xD800 && d <= 0xDFFF)
					  ? (unsigned)d
					  : 0xFFFD);
	}
	*out = val_string(b.data, b.len);
	buf_release(&b);
	return 0;
}

static int
ascii_case(struct ectx *c, json_t *in, json_t **out, int up)
{
	char *s;
	size_t i, len;

	if (!json_is_string(in))
		return ev_error(c, "explode input must be a string");
	len = json_string_length(in);
	s = xmalloc(len + 1);
	memcpy(s, json_string_value(in), len);
	for (i = 0; i < len; i++) {
		if (up && s[i] >= 'a' && s[i] <= 'z')
			s[i] -= 32;
		else if (!up && s[i] >= 'A' && s[i] <= 'Z')
			s[i] += 32;
	}
	*out = val_string(s, len);
	free(s);
	return 0;
}

CFN(f_ascii_downcase)
{
	return ascii_case(c, in, out, 0);
}

CFN(f_ascii_upcase)
{
	return ascii_case(c, in, out, 1);
}

CFN(f_split1)
{
	json_t *r;

	if (!json_is_string(in) || !json_is_string(a[0]))
		return ev_error(c, "split input and separator must be strings");
	if (val_binop(c, OP_DIV, in, a[0], &r) < 0)
		return -1;
	*out = r;
	return 0;
}

CFN(f_tostring)
{
	*out = val_tostring(in);
	return 0;
}

CFN(f_tojson)
{
	struct buf b = BUF_INIT;

	if (val_dump_max(in, &b, VAL_DUMP_MAX) == -1) {
		buf_release(&b);
		return ev_error(c, "value too large to print (over %zu bytes)",
				VAL_DUMP_MAX);
	}
	*out = val_string(b.data, b.len);
	buf_release(&b);
	return 0;
}

CFN(f_fromjson)
{
	struct errbuf eb = { 0 };
	json_error_t jerr;
	json_t *v;

	if (!json_is_string(in))
		return need_kind_error(c, in, "only strings can be parsed");
	/* the scanner, as for events: any number, with its text */
	v = jscan_value(json_string_value(in), json_string_length(in), &eb);
	if (v != NULL) {
		*out = v;
		return 0;
	}
	/* jansson's messages (and its deeper nesting limit) otherwise */
	v = json_loadb(json_string_value(in), json_string_length(in),
		       JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!v) {
		const char *s = json_string_value(in);
		int n = (int)(json_string_length(in) > 40
				      ? 40
				      : json_string_length(in));
		size_t k;

		/* jq accepts nan/NaN here; so does evpipe */
		for (k = 0; s[k] == ' '; k++)
			;
		if (strncmp(s + k, "nan", 3) == 0) {
			*out = val_number(NAN);
			return 0;
		}
		return ev_error(c, "%s (while parsing '%.*s')", jerr.text, n,
				s);
	}
	*out = v;
	return 0;
}

CFN(f_tonumber)
{
	const char *s, *p;
	char *end, *numend;
	double d;
	json_t *v;

	if (val_is_number(in)) {
		*out = json_incref(in);
		return 0;
	}
	if (!json_is_string(in))
		return need_kind_error(c, in, "cannot be parsed as a number");
	s = json_string_value(in);
	for (p = s; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++)
		;
	if (*p == '+' || *p == '.' ||
	    (*p == '-' && !isdigit((unsigned char)p[1])) ||
	    (!isdigit((unsigned char)*p) && *p != '-'))
		goto bad;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		goto bad;
	d = strtod(p, &end);
	if (end == p)
		goto bad;
	numend = end;
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (*end || (size_t)(end - s) != json_string_length(in))
		goto bad;
	/* JSON number text keeps its text; "1." and the like are computed */
	v = jnum_parse(p, (size_t)(numend - p));
	*out = v ? v : val_number(d);
	return 0;
bad:
	return ev_error(c, "Cannot parse '%.40s' as a number", s);
}

static int
num_arg(struct ectx *c, json_t *v, double *d)
{
	*d = 0;
	if (!val_is_number(v))
		return need_kind_error(c, v, "number required");
	*d = val_num(v);
	return 0;
}

#define MATH1(name, expr)                                                      \
	CFN(f_##name)                                                          \
	{                                                                      \
		double x = 0;                                                  \
		(void)a;                                                       \
		if (num_arg(c, in, &x) < 0)                                    \
			return -1;                                             \
		*out = val_number(expr);                                       \
		return 0;                                                      \
	}

MATH1(floor, floor(x))
MATH1(ceil, ceil(x))
MATH1(round, round(x))
MATH1(sqrt, sqrt(x))
MATH1(fabs, fabs(x))
MATH1(trunc, trunc(x))
MATH1(rint, rint(x))
MATH1(nearbyint, nearbyint(x))
MATH1(exp, exp(x))
MATH1(exp2, exp2(x))
MATH1(exp10, pow(10, x))
MATH1(expm1, expm1(x))
MATH1(log, log(x))
MATH1(log2, log2(x))
MATH1(log10, log10(x))
MATH1(log1p, log1p(x))
MATH1(logb, logb(x))
MATH1(sin, sin(x))
MATH1(cos, cos(x))
MATH1(tan, tan(x))
MATH1(asin, asin(x))
MATH1(acos, acos(x))
MATH1(atan, atan(x))
MATH1(sinh, sinh(x))
MATH1(cosh, cosh(x))
MATH1(tanh, tanh(x))
MATH1(asinh, asinh(x))
MATH1(acosh, acosh(x))
MATH1(atanh, atanh(x))
MATH1(cbrt, cbrt(x))
MATH1(gamma, lgamma(x))
MATH1(lgamma, lgamma(x))
MATH1(tgamma, tgamma(x))
MATH1(significand,
      x == 0 || isinf(x) || isnan(x) ? x : ldexp(frexp(x, &(int){ 0 }), 1))

#define MATH2(name, expr)                                                      \
	CFN(f_##name)                                                          \
	{                                                                      \
		double x = 0, y = 0;                                           \
		(void)in;                                                      \
		if (num_arg(c, a[0], &x) < 0 || num_arg(c, a[1], &y) < 0)      \
			return -1;                                             \
		*out = val_number(expr);                                       \
		return 0;                                                      \
	}

MATH2(pow, pow(x, y))
MATH2(atan2, atan2(x, y))
MATH2(fmod, fmod(x, y))
MATH2(fmin, fmin(x, y))
MATH2(fmax, fmax(x, y))
MATH2(fdim, fdim(x, y))
MATH2(hypot, hypot(x, y))
MATH2(copysign, copysign(x, y))
MATH2(drem, remainder(x, y))
MATH2(remainder, remainder(x, y))
MATH2(nextafter, nextafter(x, y))
MATH2(nexttoward, nexttoward(x, y))
MATH2(ldexp, ldexp(x, (int)y))
MATH2(scalb, x *pow(2, y))
MATH2(scalbln, scalbln(x, (long)y))

/* ---- jq 1.7.1 additions ---------------------------------------------------
 */

CFN(f_frexp)
{
	double x = 0, m;
	int e = 0;

	(void)a;
	if (num_arg(c, in, &x) < 0)
		return -1;
	m = frexp(x, &e);
	*out = json_pack("[oI]", val_number(m), (json_int_t)e);
	return 0;
}

CFN(f_modf)
{
	double x = 0, ip = 0, fp;

	(void)a;
	if (num_arg(c, in, &x) < 0)
		return -1;
	fp = modf(x, &ip);
	*out = json_pack("[oo]", val_number(fp), val_number(ip));
	return 0;
}

CFN(f_lgamma_r)
{
	double x = 0, r;
	int sign = 0;

	(void)a;
	if (num_arg(c, in, &x) < 0)
		return -1;
	r = lgamma_r(x, &sign);
	*out = json_pack("[oI]", val_number(r), (json_int_t)sign);
	return 0;
}

/* trim, ltrim, rtrim: the whitespace jq 1.7.1 removes (ASCII) */
static int
trim_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' ||
	       ch == '\f' || ch == '\r';
}

static int
trim_sides(struct ectx *c, json_t *in, int left, int right, json_t **out)
{
	const char *s;
	size_t b = 0, e;

	if (!json_is_string(in))
		return need_kind_error(c, in, "trim input must be a string");
	s = json_string_value(in);
	e = json_string_length(in);
	while (left && b < e && trim_space((unsigned char)s[b]))
		b++;
	while (right && e > b && trim_space((unsigned char)s[e - 1]))
		e--;
	*out = b == 0 && e == json_string_length(in) ? json_incref(in)
						     : val_string(s + b, e - b);
	return 0;
}

CFN(f_trim)
{
	(void)a;
	return trim_sides(c, in, 1, 1, out);
}

CFN(f_ltrim)
{
	(void)a;
	return trim_sides(c, in, 1, 0, out);
}

CFN(f_rtrim)
{
	(void)a;
	return trim_sides(c, in, 0, 1, out);
}

/* debug: ["DEBUG:",.] on stderr, one line, and . on; stderr: . as
 * compact JSON with no newline, as jq 1.7.1 */
static void
debug_write(json_t *v, int wrap)
{
	struct buf b = BUF_INIT;

	if (wrap)
		buf_adds(&b, "[\"DEBUG:\",");
	val_dump(v, &b);
	if (wrap)
		buf_adds(&b, "]\n");
	fwrite(b.data, 1, b.len, stderr);
	fflush(stderr);
	buf_release(&b);
}

CFN(f_debug)
{
	(void)c;
	(void)a;
	debug_write(in, 1);
	*out = json_incref(in);
	return 0;
}

CFN(f_stderr)
{
	(void)c;
	(void)a;
	debug_write(in, 0);
	*out = json_incref(in);
	return 0;
}

CFN(f_infinite)
{
	*out = val_number(INFINITY);
	return 0;
}

CFN(f_nan)
{
	*out = val_number(NAN);
	return 0;
}

/*
 * A number's class, for isinfinite, isnan and isnormal: false for a
 * value that is not a number, as jq 1.6 answers.
 */
static int
num_class(json_t *in, json_t **out, int (*is)(double))
{
	*out = json_boolean(val_is_number(in) && is(val_num(in)));
	return 0;
}

static int
is_inf(double x)
{
	return isinf(x) != 0;
}

static int
is_nan(double x)
{
	return isnan(x) != 0;
}

static int
is_normal(double x)
{
	return isnormal(x) != 0;
}

CFN(f_isinfinite)
{
	return num_class(in, out, is_inf);
}

CFN(f_isnan)
{
	return num_class(in, out, is_nan);
}

CFN(f_isnormal)
{
	return num_class(in, out, is_normal);
}

CFN(f_sort)
{
	if (!json_is_array(in))
		return need_kind_error(c, in,
				       "cannot be sorted, as it is not "
				       "an array");
	*out = val_sorted(in);
	return 0;
}

CFN(f_unique)
{
	json_t *s;
	size_t i;

	if (!json_is_array(in))
		return need_kind_error(c, in,
				       "cannot be sorted, as it is not "
				       "an array");
	s = val_sorted(in);
	*out = json_array();
	for (i = 0; i < json_array_size(s); i++)
		if (i == 0 ||
		    !val_equal(json_array_get(s, i), json_array_get(s, i - 1)))
			json_array_append(*out, json_array_get(s, i));
	json_decref(s);
	return 0;
}

static int
minmax(struct ectx *c, json_t *in, json_t *keys, json_t **out, int max)
{
	size_t i, best = 0;

	if (!json_is_array(in))
		return need_kind_error(c, in,
				       "cannot be sorted, as it is not "
				       "an array");
	if (keys && (!json_is_array(keys) ||
		     json_array_size(keys) != json_array_size(in)))
		return ev_error(c, "%s", "keys do not match the input");
	if (json_array_size(in) == 0) {
		*out = json_null();
		return 0;
	}
	if (!keys)
		keys = in;
	for (i = 1; i < json_array_size(in); i++) {
		int r = val_cmp(json_array_get(keys, i),
				json_array_get(keys, best));

		if (max ? r >= 0 : r < 0)
			best = i;
	}
	*out = json_incref(json_array_get(in, best));
	return 0;
}

CFN(f_min)
{
	return minmax(c, in, NULL, out, 0);
}

CFN(f_max)
{
	return minmax(c, in, NULL, out, 1);
}

CFN(f_min_by_impl)
{
	return minmax(c, in, a[0], out, 0);
}

CFN(f_max_by_impl)
{
	return minmax(c, in, a[0], out, 1);
}

struct sortent {
	json_t *key, *val;
	size_t idx;
};

static int
sortent_cmp(const void *x, const void *y)
{
	const struct sortent *p = x, *q = y;
	int r = val_cmp(p->key, q->key);

	if (r)
		return r;
	return p->idx < q->idx ? -1 : p->idx > q->idx;
}

static struct sortent *
sort_by_keys(struct ectx *c, json_t *in, json_t *keys, size_t *np)
{
	size_t n, i;
	struct sortent *e;

	if (!json_is_array(in)) {
		need_kind_error(c, in,
				"cannot be sorted, as it is not an "
				"array");
		return NULL;
	}
	n = json_array_size(in);
	if (!json_is_array(keys) || json_array_size(keys) != n) {
		ev_error(c, "%s", "keys do not match the input");
		return NULL;
	}
	e = xmalloc((n ? n : 1) * sizeof(*e));
	for (i = 0; i < n; i++) {
		e[i].key = json_array_get(keys, i);
		e[i].val = json_array_get(in, i);
		e[i].idx = i;
	}
	qsort(e, n, sizeof(*e), sortent_cmp);
	*np = n;
	return e;
}

CFN(f_sort_by_impl)
{
	size_t n, i;
	struct sortent *e = sort_by_keys(c, in, a[0], &n);

	if (!e)
		return -1;
	*out = json_array();
	for (i = 0; i < n; i++)
		json_array_append(*out, e[i].val);
	free(e);
	return 0;
}

CFN(f_group_by_impl)
{
	size_t n, i;
	struct sortent *e = sort_by_keys(c, in, a[0], &n);
	json_t *group = NULL;

	if (!e)
		return -1;
	*out = json_array();
	for (i = 0; i < n; i++) {
		if (i == 0 || !val_equal(e[i].key, e[i - 1].key)) {
			group = json_array();
			json_array_append_new(*out, group);
		}
		json_array_append(group, e[i].val);
	}
	free(e);
	return 0;
}

static int
flatten_into(struct ectx *c, json_t *r, json_t *v, double depth)
{
	size_t i;

	if (json_is_object(v)) {
		const char *k;
		json_t *m;

		json_object_foreach(v, k, m) {
			if (json_is_array(m) && depth != 0) {
				if (flatten_into(c, r, m, depth - 1) < 0)
					return -1;
			} else {
				json_array_append(r, m);
			}
		}
		return 0;
	}
	if (!json_is_array(v)) {
		char d[64];

		val_describe(v, d, sizeof(d));
		return ev_error(c, "Cannot iterate over %s", d);
	}
	for (i = 0; i < json_array_size(v); i++) {
		json_t *m = json_array_get(v, i);

		if (json_is_array(m) && depth != 0) {
			if (flatten_into(c, r, m, depth - 1) < 0)
				return -1;
		} else {
			json_array_append(r, m);
		}
	}
	return 0;
}

CFN(f_flatten_impl)
{
	double depth;

	if (num_arg(c, a[0], &depth) < 0)
		return -1;
	*out = json_array();
	if (flatten_into(c, *out, in, depth) < 0) {
		json_decref(*out);
		return -1;
	}
	return 0;
}

CFN(f_strindices)
{
	const char *s, *q;
	size_t len, ql, i, cp = 0;

	if (!json_is_string(in) || !json_is_string(a[0]))
		return ev_error(c, "_strindices requires strings");
	s = json_string_value(in);
	q = json_string_value(a[0]);
	len = json_string_length(in);
	ql = json_string_length(a[0]);
	*out = json_array();
	if (ql == 0)
		return 0; /* jq 1.6 loops forever here */
	/* the code point index counted along, not from the start each
	 * time */
	for (i = 0; i + ql <= len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			cp++;
		if (memcmp(s + i, q, ql) == 0)
			json_array_append_new(*out,
					      json_integer((json_int_t)cp - 1));
	}
	return 0;
}

CFN(f_getpath)
{
	json_t *r;

	if (val_getpath(c, in, a[0], &r) < 0)
		return -1;
	*out = r;
	return 0;
}

CFN(f_setpath)
{
	json_t *r;

	int own = c->own == in && in->refcount == 1;

	c->own = NULL;
	if (!json_is_array(a[0]))
		return ev_error(c, "Path must be specified as an array");
	if ((own ? val_setpath_own(c, in, a[0], a[1], &r)
		 : val_setpath(c, in, a[0], 0, a[1], &r)) < 0)
		return -1;
	*out = r;
	return 0;
}

CFN(f_delpaths)
{
	json_t *r;

	if (val_delpaths(c, in, a[0], &r) < 0)
		return -1;
	*out = r;
	return 0;
}

CFN(f_error)
{
	(void)in;
	/* error(null) is an error whose value is null, as in jq 1.7.1
	 * (jq 1.6 took it for a silent backtrack) */
	return ev_error_value(c, json_incref(a[0]));
}

CFN(f_env)
{
	char **e;

	*out = json_object();
	for (e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');

		if (eq)
			json_object_setn_new_nocheck(
				*out, *e, eq - *e,
				val_string(eq + 1, strlen(eq + 1)));
	}
	return 0;
}

CFN(f_now)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*out = json_real((double)ts.tv_sec + ts.tv_nsec / 1e9);
	return 0;
}

/*
 * The name of the input the event came from (expr_set_input_name()), as
 * jq's input_filename: null for the standard input.  Bytes that are not
 * UTF-8 in a file name become U+FFFD, as jq makes them.
 */
CFN(f_input_filename)
{
	const char *s = c->x->input_name, *e;
	struct buf b = BUF_INIT;

	(void)in;
	(void)a;
	if (s == NULL) {
		*out = json_null();
		return 0;
	}
	e = s + strlen(s);
	if ((*out = json_stringn(s, (size_t)(e - s))) != NULL)
		return 0;
	while (s < e) {
		unsigned char ch = (unsigned char)*s;
		size_t k = ch < 0x80		 ? 1
			   : (ch & 0xe0) == 0xc0 ? 2
			   : (ch & 0xf0) == 0xe0 ? 3
			   : (ch & 0xf8) == 0xf0 ? 4
						 : 0;
		json_t *t =
			k && k <= (size_t)(e - s) ? json_stringn(s, k) : NULL;

		if (t) {
			buf_add(&b, s, k);
			json_decref(t);
			s += k;
		} else {
			buf_adds(&b, "\xef\xbf\xbd");
			s++;
		}
	}
	*out = val_string(b.data, b.len);
	buf_release(&b);
	return 0;
}

/*
 * jq's input_line_number: the line of its input the event was read from
 * (where it starts, for a record of several lines); null for a broker
 * message (whose place is its offset or sequence: input_meta) and an
 * event no line is known for.
 */
CFN(f_input_line_number)
{
	(void)in;
	(void)a;
	*out = c->x->input_line < 0
		       ? json_null()
		       : json_integer((json_int_t)c->x->input_line);
	return 0;
}

/*
 * The metadata of the broker message the event came from
 * (expr_set_input_meta()): an object made by the source, parsed once per
 * event; null for an event of a file, a socket or stdin.
 */
CFN(f_input_meta)
{
	struct expr *x = c->x;
	json_error_t jerr;

	(void)in;
	(void)a;
	if (x->input_meta == NULL) {
		*out = json_null();
		return 0;
	}
	if (x->meta_value == NULL) {
		x->meta_value = json_loadb(x->input_meta, x->input_metalen,
					   JSON_ALLOW_NUL, &jerr);
		if (x->meta_value == NULL)
			return ev_error(c, "input_meta: bad metadata: %s",
					jerr.text);
	}
	*out = json_incref(x->meta_value);
	return 0;
}

CFN(f_format)
{
	if (!json_is_string(a[0]))
		return need_kind_error(c, a[0], "is not a valid format");
	if (!builtin_format_known(json_string_value(a[0]),
				  json_string_length(a[0])))
		return ev_error(c, "%s is not a valid format",
				json_string_value(a[0]));
	*out = builtin_format(c, json_string_value(a[0]), in);
	return *out ? 0 : -1;
}

CFN(f_match_impl)
{
	if (!json_is_string(in))
		return need_kind_error(c, in,
				       "cannot be matched, as it is not "
				       "a string");
	return regex_match(c, in, a[0], a[1], val_truthy(a[2]), out);
}

/* ---- dates ----------------------------------------------------------------
 */

static json_t *
tm_to_json(const struct tm *tm, double frac)
{
	return json_pack("[iiiiioii]", tm->tm_year + 1900, tm->tm_mon,
			 tm->tm_mday, tm->tm_hour, tm->tm_min,
			 val_number(tm->tm_sec + frac), tm->tm_wday,
			 tm->tm_yday);
}

static int
json_to_tm(struct ectx *c, json_t *v, struct tm *tm, const char *who)
{
	int f[8] = { 0 };
	size_t i;

	if (!json_is_array(v) || json_array_size(v) < 6)
		return ev_error(c, "%s requires array of 6 numbers", who);
	for (i = 0; i < json_array_size(v) && i < 8; i++) {
		json_t *m = json_array_get(v, i);

		if (!val_is_number(m))
			return ev_error(c, "%s requires parsed datetime inputs",
					who);
		f[i] = (int)val_num(m);
	}
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = f[0] - 1900;
	tm->tm_mon = f[1];
	tm->tm_mday = f[2];
	tm->tm_hour = f[3];
	tm->tm_min = f[4];
	tm->tm_sec = f[5];
	tm->tm_wday = f[6];
	tm->tm_yday = f[7];
	return 0;
}

/* gmtime and localtime (the zone of TZ) */
static int
broken_down(struct ectx *c, json_t *in, int local, json_t **out)
{
	const char *who = local ? "localtime" : "gmtime";
	double t, fl;
	time_t secs;
	struct tm tm;

	if (!val_is_number(in))
		return ev_error(c, "%s() requires a number", who);
	t = val_num(in);
	fl = floor(t);
	if (isnan(t) || fabs(t) > 1e17)
		return ev_error(c, "%s() cannot convert this number", who);
	secs = (time_t)fl;
	if (!(local ? localtime_r(&secs, &tm) : gmtime_r(&secs, &tm)))
		return ev_error(c, "error converting number of seconds since "
				   "epoch to datetime");
	*out = tm_to_json(&tm, t - fl);
	return 0;
}

CFN(f_gmtime)
{
	(void)a;
	return broken_down(c, in, 0, out);
}

CFN(f_localtime)
{
	(void)a;
	return broken_down(c, in, 1, out);
}

CFN(f_mktime)
{
	struct tm tm;
	time_t t;

	(void)a;
	if (!json_is_array(in))
		return ev_error(c, "mktime requires array of 6 numbers");
	if (json_to_tm(c, in, &tm, "mktime") < 0)
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1 && tm.tm_year != 69)
		return ev_error(c, "invalid gmtime representation");
	*out = json_integer((json_int_t)t);
	return 0;
}

/* strftime (UTC) and strflocaltime (the zone of TZ, for %Z and %z) */
static int
format_time(struct ectx *c, json_t *in, json_t *fmt, int local, json_t **out)
{
	const char *who = local ? "strflocaltime/1" : "strftime/1";
	struct tm tm;
	char buf[512];
	size_t n;
	json_t *bd = NULL;

	if (val_is_number(in)) {
		if (broken_down(c, in, local, &bd) < 0)
			return -1;
		in = bd;
	} else if (!json_is_array(in)) {
		return ev_error(c, "%s requires parsed datetime inputs", who);
	}
	if (!json_is_string(fmt)) {
		json_decref(bd);
		return ev_error(c, "%s requires a string format", who);
	}
	if (json_to_tm(c, in, &tm, who) < 0) {
		json_decref(bd);
		return -1;
	}
	json_decref(bd);
	if (local) {
		/* the zone in effect at that time: mktime finds it */
		struct tm z = tm;

		z.tm_isdst = -1;
		if (mktime(&z) != (time_t)-1) {
			tm.tm_isdst = z.tm_isdst;
			tm.tm_gmtoff = z.tm_gmtoff;
			tm.tm_zone = z.tm_zone;
		}
	} else {
		tm.tm_zone = "UTC";
	}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(buf, sizeof(buf), json_string_value(fmt), &tm);
#pragma GCC diagnostic pop
	if (n == 0 && json_string_length(fmt) > 0)
		return ev_error(c, "%s: unknown system failure", who);
	*out = val_string(buf, n);
	return 0;
}

CFN(f_strftime)
{
	return format_time(c, in, a[0], 0, out);
}

CFN(f_strflocaltime)
{
	return format_time(c, in, a[0], 1, out);
}

CFN(f_strptime)
{
	struct tm tm;
	const char *end;
	time_t t;

	if (!json_is_string(in))
		return need_kind_error(c, in, "cannot be parsed as a date");
	if (!json_is_string(a[0]))
		return ev_error(c, "strptime/1 requires a string format");
	memset(&tm, 0, sizeof(tm));
	end = strptime(json_string_value(in), json_string_value(a[0]), &tm);
	if (!end || *end)
		return ev_error(c, "date \"%s\" does not match format \"%s\"",
				json_string_value(in), json_string_value(a[0]));
	/* fill in wday and yday as jq does */
	{
		struct tm tmp = tm;

		t = timegm(&tmp);
		if (t != (time_t)-1 || tm.tm_year == 69) {
			tm.tm_wday = tmp.tm_wday;
			tm.tm_yday = tmp.tm_yday;
		}
	}
	*out = tm_to_json(&tm, 0);
	return 0;
}

/*
 * jq's fromdateiso8601 (and fromdate): "2015-03-05T23:51:47Z" to epoch
 * seconds.  An extension: fractional seconds and a numeric offset are
 * taken as RFC 3339 writes them ("...47.250+01:00"), as evpipe's own time
 * parsing takes them; a fraction gives a fractional number.
 */
CFN(f_fromdateiso8601)
{
	int64_t ns;

	(void)a;
	if (!json_is_string(in))
		return need_kind_error(c, in, "cannot be parsed as a date");
	if (evtime_parse_rfc3339(json_string_value(in), json_string_length(in),
				 &ns) == -1)
		return ev_error(c,
				"date \"%s\" does not match format "
				"\"%%Y-%%m-%%dT%%H:%%M:%%SZ\"",
				json_string_value(in));
	if (ns % 1000000000 == 0)
		*out = json_integer((json_int_t)(ns / 1000000000));
	else
		*out = val_number((double)(ns / 1000000000) +
				  (double)(ns % 1000000000) / 1e9);
	return 0;
}

/* ---- generators and closures -------------------------------------------- */

#define GEN(name)                                                              \
	static int name(struct ectx *c, const struct enode *call, json_t *in,  \
			ev_fn fn, void *arg)
#define PGEN(name)                                                             \
	static int name(struct ectx *c, const struct enode *call,              \
			json_t *path, json_t *in, evp_fn fn, void *arg)

GEN(g_empty)
{
	return 0;
}

PGEN(p_empty)
{
	return 0;
}

struct sel_st {
	const struct enode *call;
	json_t *in, *path;
	ev_fn fn;
	evp_fn pfn;
	void *arg;
};

static int
sel_cb(struct ectx *c, json_t *v, void *arg)
{
	struct sel_st *st = arg;

	if (!val_truthy(v))
		return 0;
	if (st->pfn)
		return st->pfn(c, st->path, st->in, st->arg);
	return st->fn(c, st->in, st->arg);
}

GEN(g_select)
{
	struct sel_st st = { call, in, NULL, fn, NULL, arg };

	return ev(c, call->args[0], in, sel_cb, &st);
}

PGEN(p_select)
{
	struct sel_st st = { call, in, path, NULL, fn, arg };

	return ev(c, call->args[0], in, sel_cb, &st);
}

struct err_st {
	int dummy;
};

static int
err_cb(struct ectx *c, json_t *v, void *arg)
{
	json_t *dummy = NULL;

	return f_error(c, NULL, &v, &dummy);
}

GEN(g_error)
{
	return ev(c, call->args[0], in, err_cb, NULL);
}

PGEN(p_error)
{
	return ev(c, call->args[0], in, err_cb, NULL);
}

/* path(f) */
struct path_st {
	ev_fn fn;
	void *arg;
};

static int
path_cb(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	struct path_st *st = arg;

	if (ev_path_check(c, path, v) < 0)
		return -1;
	return st->fn(c, path, st->arg);
}

GEN(g_path)
{
	struct path_st st = { fn, arg };
	json_t *root = json_array();
	int rc = evp(c, call->args[0], root, in, path_cb, &st);

	json_decref(root);
	return rc;
}

static int
pgetpath_cb(struct ectx *c, json_t *p, void *arg)
{
	struct sel_st *st = arg;
	json_t *v, *full;
	int rc;

	if (!json_is_array(p))
		return ev_error(c, "Path must be specified as an array");
	if (val_getpath(c, st->in, p, &v) < 0) {
		json_decref(c->err);
		c->err = NULL;
		v = json_null();
	}
	full = json_copy(st->path);
	json_array_extend(full, p);
	rc = st->pfn(c, full, v, st->arg);
	json_decref(full);
	json_decref(v);
	return rc;
}

PGEN(p_getpath)
{
	struct sel_st st = { call, in, path, NULL, fn, arg };

	if (ev_path_check(c, path, in) < 0)
		return -1;
	return ev(c, call->args[0], in, pgetpath_cb, &st);
}

/* recurse(f), recurse(f; cond) */
struct rec_st {
	const struct enode *f, *cond;
	json_t *path;
	ev_fn fn;
	evp_fn pfn;
	void *arg;
};

static int rec_value(struct ectx *, json_t *v, void *arg);

static int
rec_cond_cb(struct ectx *c, json_t *cv, void *arg)
{
	json_t **v = arg;

	(void)c;
	if (val_truthy(cv))
		*v = NULL; /* marker: passes */
	return 0;
}

struct rec_child {
	struct rec_st *st;
};

static int
rec_child_cb(struct ectx *c, json_t *v, void *arg)
{
	struct rec_st *st = arg;

	if (st->cond) {
		json_t *mark = v;
		int rc = ev(c, st->cond, v, rec_cond_cb, &mark);

		if (rc != 0)
			return rc;
		/* select(cond): one recursion per truthy output; approximate
		 * with at most one, as conditions are usually single-valued */
		if (mark != NULL)
			return 0;
	}
	return rec_value(c, v, st);
}

static int
rec_value(struct ectx *c, json_t *v, void *arg)
{
	struct rec_st *st = arg;
	int rc;

	if (++c->depth > EXPR_MAX_DEPTH) {
		c->depth--;
		return ev_error(c, "expression nesting too deep");
	}
	rc = st->fn(c, v, st->arg);
	if (rc == 0)
		rc = ev(c, st->f, v, rec_child_cb, st);
	c->depth--;
	return rc;
}

GEN(g_recurse)
{
	struct rec_st st = { call->args[0], call->n > 1 ? call->args[1] : NULL,
			     NULL,	    fn,
			     NULL,	    arg };

	return rec_value(c, in, &st);
}

static int prec_value(struct ectx *, json_t *path, json_t *v, void *arg);

static int
prec_child_cb(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	struct rec_st *st = arg;

	if (st->cond) {
		json_t *mark = v;
		int rc = ev(c, st->cond, v, rec_cond_cb, &mark);

		if (rc != 0)
			return rc;
		if (mark != NULL)
			return 0;
	}
	return prec_value(c, path, v, st);
}

static int
prec_value(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	struct rec_st *st = arg;
	int rc;

	if (++c->depth > EXPR_MAX_DEPTH) {
		c->depth--;
		return ev_error(c, "expression nesting too deep");
	}
	rc = st->pfn(c, path, v, st->arg);
	if (rc == 0)
		rc = evp(c, st->f, path, v, prec_child_cb, st);
	c->depth--;
	return rc;
}

PGEN(p_recurse)
{
	struct rec_st st = { call->args[0],
			     call->n > 1 ? call->args[1] : NULL,
			     NULL,
			     NULL,
			     fn,
			     arg };

	return prec_value(c, path, in, &st);
}

/* first(f), limit(n; f), isempty(g) */
struct lim_st {
	long long left;
	ev_fn fn;
	evp_fn pfn;
	void *arg;
	int any;
};

static int
lim_cb(struct ectx *c, json_t *v, void *arg)
{
	struct lim_st *st = arg;
	int rc;

	st->any = 1;
	rc = st->fn ? st->fn(c, v, st->arg) : 0;
	if (rc)
		return rc;
	if (--st->left <= 0) {
		c->stop = st;
		return 1;
	}
	return 0;
}

static int
plim_cb(struct ectx *c, json_t *path, json_t *v, void *arg)
{
	struct lim_st *st = arg;
	int rc = st->pfn(c, path, v, st->arg);

	if (rc)
		return rc;
	if (--st->left <= 0) {
		c->stop = st;
		return 1;
	}
	return 0;
}

static int
lim_done(struct ectx *c, struct lim_st *st, int rc)
{
	if (rc > 0 && c->stop == st) {
		c->stop = NULL;
		return 0;
	}
	return rc;
}

GEN(g_first)
{
	struct lim_st st = { 1, fn, NULL, arg, 0 };

	return lim_done(c, &st, ev(c, call->args[0], in, lim_cb, &st));
}

PGEN(p_first)
{
	struct lim_st st = { 1, NULL, fn, arg, 0 };

	return lim_done(c, &st, evp(c, call->args[0], path, in, plim_cb, &st));
}

GEN(g_isempty)
{
	struct lim_st st = { 1, NULL, NULL, arg, 0 };
	int rc = lim_done(c, &st, ev(c, call->args[0], in, lim_cb, &st));

	if (rc != 0)
		return rc;
	return fn(c, json_boolean(!st.any), arg);
}

struct limit_outer {
	const struct enode *call;
	json_t *in, *path;
	ev_fn fn;
	evp_fn pfn;
	void *arg;
};

static int
limit_n_cb(struct ectx *c, json_t *nv, void *arg)
{
	struct limit_outer *o = arg;
	struct lim_st st = { 0, o->fn, o->pfn, o->arg, 0 };
	double n;

	if (num_arg(c, nv, &n) < 0)
		return -1;
	if (n <= 0 && n > -1)
		return 0; /* limit(0; f) is empty (jq 1.7; 1.6 yields one) */
	if (n < 0) {
		if (o->pfn)
			return evp(c, o->call->args[1], o->path, o->in, o->pfn,
				   o->arg);
		return ev(c, o->call->args[1], o->in, o->fn, o->arg);
	}
	st.left = n > 9e18 ? LLONG_MAX : (long long)ceil(n);
	if (o->pfn)
		return lim_done(
			c, &st,
			evp(c, o->call->args[1], o->path, o->in, plim_cb, &st));
	return lim_done(c, &st, ev(c, o->call->args[1], o->in, lim_cb, &st));
}

GEN(g_limit)
{
	struct limit_outer o = { call, in, NULL, fn, NULL, arg };

	return ev(c, call->args[0], in, limit_n_cb, &o);
}

PGEN(p_limit)
{
	struct limit_outer o = { call, in, path, NULL, fn, arg };

	return ev(c, call->args[0], in, limit_n_cb, &o);
}

/* any(gen; cond), all(gen; cond): stop at the first decisive value */
struct anyall_st {
	const struct enode *cond;
	int all, result;
};

static int
anyall_cond_cb(struct ectx *c, json_t *v, void *arg)
{
	struct anyall_st *st = arg;

	if (val_truthy(v) != st->all) {
		st->result = !st->all;
		c->stop = st;
		return 1;
	}
	return 0;
}

static int
anyall_gen_cb(struct ectx *c, json_t *v, void *arg)
{
	struct anyall_st *st = arg;

	return ev(c, st->cond, v, anyall_cond_cb, st);
}

static int
anyall(struct ectx *c, const struct enode *call, json_t *in, ev_fn fn,
       void *arg, int all)
{
	struct anyall_st st = { call->args[1], all, all };
	int rc = ev(c, call->args[0], in, anyall_gen_cb, &st);

	if (rc > 0 && c->stop == &st) {
		c->stop = NULL;
		rc = 0;
	}
	if (rc != 0)
		return rc;
	return fn(c, json_boolean(st.result), arg);
}

GEN(g_any)
{
	return anyall(c, call, in, fn, arg, 0);
}

GEN(g_all)
{
	return anyall(c, call, in, fn, arg, 1);
}

/* range(from; upto) and range(from; upto; by) */
struct range_st {
	const struct enode *call;
	json_t *in, *from, *upto;
	ev_fn fn;
	void *arg;
};

static int
range_emit(struct ectx *c, struct range_st *st, double from, double upto,
	   double by)
{
	double x;
	int rc = 0;

	if (by > 0)
		for (x = from; rc == 0 && x < upto; x += by) {
			json_t *v;

			if (ev_tick(c) < 0)
				return -1;
			v = val_number(x);

			rc = st->fn(c, v, st->arg);
			json_decref(v);
		}
	else if (by < 0)
		for (x = from; rc == 0 && x > upto; x += by) {
			json_t *v;

			if (ev_tick(c) < 0)
				return -1;
			v = val_number(x);

			rc = st->fn(c, v, st->arg);
			json_decref(v);
		}
	return rc;
}

static int
range_by_cb(struct ectx *c, json_t *by, void *arg)
{
	struct range_st *st = arg;
	double f, u, b;

	if (num_arg(c, st->from, &f) < 0 || num_arg(c, st->upto, &u) < 0 ||
	    num_arg(c, by, &b) < 0)
		return -1;
	return range_emit(c, st, f, u, b);
}

static int
range_upto_cb(struct ectx *c, json_t *upto, void *arg)
{
	struct range_st *st = arg;

	st->upto = upto;
	if (st->call->n == 3)
		return ev(c, st->call->args[2], st->in, range_by_cb, st);
	if (!val_is_number(st->from) || !val_is_number(upto))
		return ev_error(c, "Range bounds must be numeric");
	return range_emit(c, st, val_num(st->from), val_num(upto), 1);
}

static int
range_from_cb(struct ectx *c, json_t *from, void *arg)
{
	struct range_st *st = arg;

	st->from = from;
	return ev(c, st->call->args[1], st->in, range_upto_cb, st);
}

GEN(g_range)
{
	struct range_st st = { call, in, NULL, NULL, fn, arg };

	return ev(c, call->args[0], in, range_from_cb, &st);
}

/*
 * while(cond; update), until(cond; next): recursive in jq;
 * here a loop while each step yields exactly one value, recursion
 * otherwise.
 */
enum { LOOP_WHILE, LOOP_UNTIL };

struct loop_st {
	const struct enode *cond, *step;
	int kind;
	ev_fn fn;
	void *arg;
};

static int loop_value(struct ectx *, json_t *v, struct loop_st *);

struct truth_st {
	int t, n;
};

static int
truth_cb(struct ectx *c, json_t *v, void *arg)
{
	struct truth_st *st = arg;

	(void)c;
	st->n++;
	st->t = val_truthy(v);
	return 0;
}

/* Each output of step on v, looped on in turn. */
static int
loop_steps(struct ectx *c, json_t *v, struct loop_st *st)
{
	json_t *nexts = ev_collect(c, st->step, v);
	size_t i;
	int rc = 0;

	if (!nexts)
		return -1;
	if (++c->depth > EXPR_MAX_DEPTH) {
		c->depth--;
		json_decref(nexts);
		return ev_error(c, "expression nesting too deep");
	}
	for (i = 0; rc == 0 && i < json_array_size(nexts); i++)
		rc = loop_value(c, json_array_get(nexts, i), st);
	c->depth--;
	json_decref(nexts);
	return rc;
}

/*
 * A condition with no output or several: jq's "if cond then A else B
 * end" takes one branch per output, in order (none: nothing).
 */
static int
loop_branches(struct ectx *c, json_t *v, struct loop_st *st)
{
	json_t *conds = ev_collect(c, st->cond, v);
	size_t i;
	int rc = 0;

	if (!conds)
		return -1;
	for (i = 0; rc == 0 && i < json_array_size(conds); i++) {
		int t = val_truthy(json_array_get(conds, i));

		if (st->kind == LOOP_WHILE && t) {
			rc = st->fn(c, v, st->arg);
			if (rc == 0)
				rc = loop_steps(c, v, st);
		} else if (st->kind == LOOP_UNTIL) {
			rc = t ? st->fn(c, v, st->arg) : loop_steps(c, v, st);
		}
	}
	json_decref(conds);
	return rc;
}

static int
loop_value(struct ectx *c, json_t *v, struct loop_st *st)
{
	json_t *cur = json_incref(v);
	int rc = 0;

	for (;;) {
		json_t *nexts;

		if ((rc = ev_tick(c)) < 0)
			break;
		{
			struct truth_st t = { 0, 0 };

			/* jq evaluates "if cond": one branch per output */
			rc = ev(c, st->cond, cur, truth_cb, &t);
			if (rc != 0)
				break;
			if (t.n != 1) {
				/* none or several: one branch each, as jq */
				rc = loop_branches(c, cur, st);
				break;
			}
			if (st->kind == LOOP_UNTIL && t.t) {
				rc = st->fn(c, cur, st->arg);
				break;
			}
			if (st->kind == LOOP_WHILE && !t.t)
				break;
		}
		if (st->kind != LOOP_UNTIL) {
			rc = st->fn(c, cur, st->arg);
			if (rc != 0)
				break;
		}
		nexts = ev_collect(c, st->step, cur);
		if (!nexts) {
			rc = -1;
			break;
		}
		if (json_array_size(nexts) == 1) {
			json_decref(cur);
			cur = json_incref(json_array_get(nexts, 0));
			json_decref(nexts);
			continue;
		}
		{
			size_t i;

			if (++c->depth > EXPR_MAX_DEPTH) {
				c->depth--;
				json_decref(nexts);
				rc = ev_error(c, "expression nesting too deep");
				break;
			}
			for (i = 0; rc == 0 && i < json_array_size(nexts); i++)
				rc = loop_value(c, json_array_get(nexts, i),
						st);
			c->depth--;
		}
		json_decref(nexts);
		break;
	}
	json_decref(cur);
	return rc;
}

GEN(g_while)
{
	struct loop_st st = { call->args[0], call->args[1], LOOP_WHILE, fn,
			      arg };

	return loop_value(c, in, &st);
}

GEN(g_until)
{
	struct loop_st st = { call->args[0], call->args[1], LOOP_UNTIL, fn,
			      arg };

	return loop_value(c, in, &st);
}

/* jq 1.7.1's repeat(f), "def _repeat: f | (., _repeat)" as its
 * bytecode runs it: f's outputs on the input, again and again, until an
 * error or the consumer stops */
GEN(g_repeat)
{
	int rc;

	while ((rc = ev_tick(c)) == 0 &&
	       (rc = ev(c, call->args[0], in, fn, arg)) == 0)
		;
	return rc;
}

/* combinations */
static int
comb_rec(struct ectx *c, json_t *in, size_t i, json_t *prefix, ev_fn fn,
	 void *arg)
{
	json_t *row;
	size_t j;
	int rc = 0;

	if (i == json_array_size(in))
		return fn(c, prefix, arg);
	row = json_array_get(in, i);
	if (!json_is_array(row) && !json_is_object(row)) {
		char d[64];

		val_describe(row, d, sizeof(d));
		return ev_error(c, "Cannot iterate over %s", d);
	}
	if (json_is_object(row)) {
		const char *k;
		json_t *m;

		json_object_foreach(row, k, m) {
			json_t *p = json_copy(prefix);

			json_array_append(p, m);
			rc = comb_rec(c, in, i + 1, p, fn, arg);
			json_decref(p);
			if (rc)
				break;
		}
		return rc;
	}
	for (j = 0; rc == 0 && j < json_array_size(row); j++) {
		json_t *p = json_copy(prefix);

		json_array_append(p, json_array_get(row, j));
		rc = comb_rec(c, in, i + 1, p, fn, arg);
		json_decref(p);
	}
	return rc;
}

GEN(g_combinations)
{
	json_t *p;
	int rc;

	if (json_is_null(in) ||
	    (json_is_array(in) && json_array_size(in) == 0)) {
		p = json_array();
		rc = fn(c, p, arg);
		json_decref(p);
		return rc;
	}
	if (!json_is_array(in)) {
		json_t *k = json_integer(0), *v;

		rc = val_index(c, in, k, &v);
		json_decref(k);
		if (rc < 0)
			return -1;
		json_decref(v);
		return ev_error(c, "Cannot index %s with number", val_kind(in));
	}
	p = json_array();
	rc = comb_rec(c, in, 0, p, fn, arg);
	json_decref(p);
	return rc;
}

/* walk(f) */
struct walk_st {
	const struct enode *f;
};

static int walk_value(struct ectx *, const struct enode *f, json_t *v, ev_fn fn,
		      void *arg);

static int
walk_first_cb(struct ectx *c, json_t *v, void *arg)
{
	json_t **first = arg;

	*first = json_incref(v);
	c->stop = first;
	return 1;
}

static int
walk_collect_cb(struct ectx *c, json_t *v, void *arg)
{
	json_array_append((json_t *)arg, v);
	return 0;
}

static int
walk_value(struct ectx *c, const struct enode *f, json_t *v, ev_fn fn,
	   void *arg)
{
	json_t *nv;
	int rc;

	if (++c->depth > EXPR_MAX_DEPTH) {
		c->depth--;
		return ev_error(c, "expression nesting too deep");
	}
	if (json_is_object(v)) {
		const char *k;
		json_t *m;

		nv = json_object();
		json_object_foreach(v, k, m) {
			json_t *first = NULL;

			/* jq 1.7.1: map_values(w), the first output of each
			 * member, or no member if it has none */
			rc = walk_value(c, f, m, walk_first_cb, &first);
			if (rc > 0 && c->stop == &first) {
				c->stop = NULL;
				rc = 0;
			}
			if (rc != 0) {
				json_decref(nv);
				json_decref(first);
				c->depth--;
				return rc;
			}
			if (first)
				json_object_set_new(nv, k, first);
		}
	} else if (json_is_array(v)) {
		size_t i;

		nv = json_array();
		for (i = 0; i < json_array_size(v); i++) {
			rc = walk_value(c, f, json_array_get(v, i),
					walk_collect_cb, nv);
			if (rc != 0) {
				json_decref(nv);
				c->depth--;
				return rc;
			}
		}
	} else {
		nv = json_incref(v);
	}
	rc = ev(c, f, nv, fn, arg);
	json_decref(nv);
	c->depth--;
	return rc;
}

GEN(g_walk)
{
	return walk_value(c, call->args[0], in, fn, arg);
}

/* tostream */
static int
tostream_rec(struct ectx *c, json_t *path, json_t *v, int top, ev_fn fn,
	     void *arg)
{
	int rc = 0;

	if ((!json_is_array(v) && !json_is_object(v)) ||
	    (json_is_array(v) && json_array_size(v) == 0) ||
	    (json_is_object(v) && json_object_size(v) == 0)) {
		json_t *e = json_pack("[OO]", path, v);

		rc = fn(c, e, arg);
		json_decref(e);
		return rc;
	}
	if (++c->depth > EXPR_MAX_DEPTH) {
		c->depth--;
		return ev_error(c, "expression nesting too deep");
	}
	{
		json_t *last = NULL, *p;

		if (json_is_array(v)) {
			size_t i;

			for (i = 0; rc == 0 && i < json_array_size(v); i++) {
				json_decref(last);
				last = json_integer((json_int_t)i);
				p = json_copy(path);
				json_array_append(p, last);
				rc = tostream_rec(c, p, json_array_get(v, i), 0,
						  fn, arg);
				json_decref(p);
			}
		} else {
			const char *k;
			json_t *m;

			json_object_foreach(v, k, m) {
				json_decref(last);
				last = val_string(k, strlen(k));
				p = json_copy(path);
				json_array_append(p, last);
				rc = tostream_rec(c, p, m, 0, fn, arg);
				json_decref(p);
				if (rc)
					break;
			}
		}
		if (rc == 0) {
			json_t *e;

			p = json_copy(path);
			json_array_append(p, last);
			e = json_pack("[O]", p);
			rc = fn(c, e, arg);
			json_decref(e);
			json_decref(p);
		}
		json_decref(last);
	}
	c->depth--;
	(void)top;
	return rc;
}

GEN(g_tostream)
{
	json_t *p = json_array();
	int rc = tostream_rec(c, p, in, 1, fn, arg);

	json_decref(p);
	return rc;
}

/* ---- formats ---------------------------------------------------------- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
fmt_base64(struct buf *b, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (s[i] << 16) | (s[i + 1] << 8) | s[i + 2];

		buf_addc(b, b64[v >> 18]);
		buf_addc(b, b64[(v >> 12) & 63]);
		buf_addc(b, b64[(v >> 6) & 63]);
		buf_addc(b, b64[v & 63]);
	}
	if (n - i == 1) {
		unsigned v = s[i] << 16;

		buf_addc(b, b64[v >> 18]);
		buf_addc(b, b64[(v >> 12) & 63]);
		buf_adds(b, "==");
	} else if (n - i == 2) {
		unsigned v = (s[i] << 16) | (s[i + 1] << 8);

		buf_addc(b, b64[v >> 18]);
		buf_addc(b, b64[(v >> 12) & 63]);
		buf_addc(b, b64[(v >> 6) & 63]);
		buf_addc(b, '=');
	}
}

static int
fmt_base64d(struct buf *b, const char *s, size_t n)
{
	unsigned v = 0;
	int bits = 0;
	size_t i, valid = 0;

	for (i = 0; i < n; i++) {
		const char *q;

		if (s[i] == '=')
			break;
		q = strchr(b64, s[i]);
		if (!q || !s[i])
			return -1;
		v = (v << 6) | (unsigned)(q - b64);
		bits += 6;
		valid++;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(b, (char)((v >> bits) & 0xFF));
		}
	}
	return valid == 1 && n ? -1 : 0;
}

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void
fmt_base32(struct buf *b, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 5) {
		unsigned char blk[5] = { 0 };
		size_t k, m = n - i < 5 ? n - i : 5, chars;
		unsigned long long v = 0;

		memcpy(blk, s + i, m);
		for (k = 0; k < 5; k++)
			v = (v << 8) | blk[k];
		chars = (m * 8 + 4) / 5;
		for (k = 0; k < 8; k++)
			buf_addc(b, k < chars ? b32[(v >> (35 - 5 * k)) & 31]
					      : '=');
	}
}

static int
fmt_base32d(struct buf *b, const char *s, size_t n)
{
	unsigned long long v = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *q;

		if (s[i] == '=')
			break;
		q = strchr(b32, s[i]);
		if (!q || !s[i])
			return -1;
		v = (v << 5) | (unsigned)(q - b32);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(b, (char)((v >> bits) & 0xFF));
		}
	}
	return 0;
}

static const char *const fmt_names[] = {
	"text", "json",	  "html",    "uri",    "csv",	  "tsv",
	"sh",	"base64", "base64d", "base32", "base32d", NULL,
};

static int
builtin_format_known(const char *fmt, size_t len)
{
	int i;

	for (i = 0; fmt_names[i]; i++)
		if (strlen(fmt_names[i]) == len &&
		    memcmp(fmt_names[i], fmt, len) == 0)
			return 1;
	return 0;
}

json_t *
builtin_format(struct ectx *c, const char *fmt, json_t *v)
{
	struct buf b = BUF_INIT;
	json_t *s, *r;
	const char *p;
	size_t n, i;

	if (strcmp(fmt, "json") == 0) {
		val_dump(v, &b);
		goto done;
	}
	if (strcmp(fmt, "csv") == 0 || strcmp(fmt, "tsv") == 0) {
		int csv = fmt[0] == 'c';

		if (!json_is_array(v)) {
			char d[64];

			val_describe(v, d, sizeof(d));
			ev_error(c,
				 "%s cannot be %s-formatted, only an array "
				 "can be",
				 d, fmt);
			return NULL;
		}
		for (i = 0; i < json_array_size(v); i++) {
			json_t *m = json_array_get(v, i);

			if (i)
				buf_addc(&b, csv ? ',' : '\t');
			if (val_is_number(m)) {
				val_dump(m, &b);
			} else if (json_is_true(m) || json_is_false(m)) {
				buf_adds(&b,
					 json_is_true(m) ? "true" : "false");
			} else if (json_is_null(m)) {
			} else if (json_is_string(m)) {
				const char *q = json_string_value(m);
				size_t k, ql = json_string_length(m);

				if (csv)
					buf_addc(&b, '"');
				for (k = 0; k < ql; k++) {
					if (csv && q[k] == '"')
						buf_adds(&b, "\"\"");
					else if (!csv && q[k] == '\\')
						buf_adds(&b, "\\\\");
					else if (!csv && q[k] == '\t')
						buf_adds(&b, "\\t");
					else if (!csv && q[k] == '\n')
						buf_adds(&b, "\\n");
					else if (!csv && q[k] == '\r')
						buf_adds(&b, "\\r");
					else
						buf_addc(&b, q[k]);
				}
				if (csv)
					buf_addc(&b, '"');
			} else {
				char d[64];

				val_describe(m, d, sizeof(d));
				buf_release(&b);
				ev_error(c, "%s is not valid in a csv row", d);
				return NULL;
			}
		}
		goto done;
	}
	if (strcmp(fmt, "sh") == 0) {
		json_t *arr =
			json_is_array(v) ? json_incref(v) : json_pack("[O]", v);

		for (i = 0; i < json_array_size(arr); i++) {
			json_t *m = json_array_get(arr, i);

			if (i)
				buf_addc(&b, ' ');
			if (json_is_string(m)) {
				const char *q = json_string_value(m);
				size_t k, ql = json_string_length(m);

				buf_addc(&b, '\'');
				for (k = 0; k < ql; k++) {
					if (q[k] == '\'')
						buf_adds(&b, "'\\''");
					else
						buf_addc(&b, q[k]);
				}
				buf_addc(&b, '\'');
			} else if (json_is_array(m) || json_is_object(m)) {
				char d[64];

				val_describe(m, d, sizeof(d));
				json_decref(arr);
				buf_release(&b);
				ev_error(c, "%s can not be escaped for shell",
					 d);
				return NULL;
			} else {
				val_dump(m, &b);
			}
		}
		json_decref(arr);
		goto done;
	}
	s = val_tostring(v);
	p = json_string_value(s);
	n = json_string_length(s);
	if (strcmp(fmt, "text") == 0) {
		return s;
	} else if (strcmp(fmt, "html") == 0) {
		for (i = 0; i < n; i++) {
			switch (p[i]) {
			case '<':
				buf_adds(&b, "&lt;");
				break;
			case '>':
				buf_adds(&b, "&gt;");
				break;
			case '&':
				buf_adds(&b, "&amp;");
				break;
			case '\'':
				buf_adds(&b, "&apos;");
				break;
			case '"':
				buf_adds(&b, "&quot;");
				break;
			default:
				buf_addc(&b, p[i]);
			}
		}
	} else if (strcmp(fmt, "uri") == 0) {
		for (i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)p[i];

			/* RFC 3986's unreserved characters, as jq 1.7 */
			if ((ch >= 'A' && ch <= 'Z') ||
			    (ch >= 'a' && ch <= 'z') ||
			    (ch >= '0' && ch <= '9') || ch == '-' ||
			    ch == '_' || ch == '.' || ch == '~')
				buf_addc(&b, (char)ch);
			else
				buf_addf(&b, "%%%02X", ch);
		}
	} else if (strcmp(fmt, "base64") == 0) {
		fmt_base64(&b, (const unsigned char *)p, n);
	} else if (strcmp(fmt, "base32") == 0) {
		fmt_base32(&b, (const unsigned char *)p, n);
	} else if (strcmp(fmt, "base64d") == 0 || strcmp(fmt, "base32d") == 0) {
		int bad = fmt[4] == '6' ? fmt_base64d(&b, p, n)
					: fmt_base32d(&b, p, n);

		if (bad < 0) {
			char d[64];

			val_describe(s, d, sizeof(d));
			json_decref(s);
			buf_release(&b);
			ev_error(c, "%s is not valid base%s data", d,
				 fmt[4] == '6' ? "64" : "32");
			return NULL;
		}
	}
	json_decref(s);
done:
	r = val_string(b.data, b.len);
	buf_release(&b);
	return r;
}

/* ---- tables ------------------------------------------------------------- */

#define C(n, a, f)                                                             \
	{                                                                      \
		n, a, NULL, NULL, f                                            \
	}
#define G(n, a, f, p)                                                          \
	{                                                                      \
		n, a, f, p, NULL                                               \
	}

/* After the tables it lists. */
static int f_builtins(struct ectx *c, json_t *in, json_t **a, json_t **out);

static const struct expr_builtin builtins[] = {
	C("length", 0, f_length),
	C("utf8bytelength", 0, f_utf8bytelength),
	C("not", 0, f_not),
	C("type", 0, f_type),
	C("keys", 0, f_keys),
	C("keys_unsorted", 0, f_keys_unsorted),
	C("has", 1, f_has),
	C("contains", 1, f_contains),
	C("startswith", 1, f_startswith),
	C("endswith", 1, f_endswith),
	C("ltrimstr", 1, f_ltrimstr),
	C("rtrimstr", 1, f_rtrimstr),
	C("explode", 0, f_explode),
	C("implode", 0, f_implode),
	C("ascii_downcase", 0, f_ascii_downcase),
	C("ascii_upcase", 0, f_ascii_upcase),
	C("split", 1, f_split1),
	C("tostring", 0, f_tostring),
	C("tojson", 0, f_tojson),
	C("fromjson", 0, f_fromjson),
	C("tonumber", 0, f_tonumber),
	C("floor", 0, f_floor),
	C("ceil", 0, f_ceil),
	C("round", 0, f_round),
	C("sqrt", 0, f_sqrt),
	C("fabs", 0, f_fabs),
	C("trunc", 0, f_trunc),
	C("rint", 0, f_rint),
	C("nearbyint", 0, f_nearbyint),
	C("exp", 0, f_exp),
	C("exp2", 0, f_exp2),
	C("exp10", 0, f_exp10),
	C("expm1", 0, f_expm1),
	C("log", 0, f_log),
	C("log2", 0, f_log2),
	C("log10", 0, f_log10),
	C("log1p", 0, f_log1p),
	C("logb", 0, f_logb),
	C("sin", 0, f_sin),
	C("cos", 0, f_cos),
	C("tan", 0, f_tan),
	C("asin", 0, f_asin),
	C("acos", 0, f_acos),
	C("atan", 0, f_atan),
	C("sinh", 0, f_sinh),
	C("cosh", 0, f_cosh),
	C("tanh", 0, f_tanh),
	C("asinh", 0, f_asinh),
	C("acosh", 0, f_acosh),
	C("atanh", 0, f_atanh),
	C("cbrt", 0, f_cbrt),
	C("gamma", 0, f_gamma),
	C("lgamma", 0, f_lgamma),
	C("tgamma", 0, f_tgamma),
	C("significand", 0, f_significand),
	C("frexp", 0, f_frexp),
	C("modf", 0, f_modf),
	C("lgamma_r", 0, f_lgamma_r),
	C("trim", 0, f_trim),
	C("ltrim", 0, f_ltrim),
	C("rtrim", 0, f_rtrim),
	C("debug", 0, f_debug),
	C("stderr", 0, f_stderr),
	C("localtime", 0, f_localtime),
	C("strflocaltime", 1, f_strflocaltime),
	C("pow", 2, f_pow),
	C("atan2", 2, f_atan2),
	C("fmod", 2, f_fmod),
	C("fmin", 2, f_fmin),
	C("fmax", 2, f_fmax),
	C("fdim", 2, f_fdim),
	C("hypot", 2, f_hypot),
	C("copysign", 2, f_copysign),
	C("drem", 2, f_drem),
	C("remainder", 2, f_remainder),
	C("nextafter", 2, f_nextafter),
	C("nexttoward", 2, f_nexttoward),
	C("ldexp", 2, f_ldexp),
	C("scalb", 2, f_scalb),
	C("scalbln", 2, f_scalbln),
	C("infinite", 0, f_infinite),
	C("nan", 0, f_nan),
	C("isinfinite", 0, f_isinfinite),
	C("isnan", 0, f_isnan),
	C("isnormal", 0, f_isnormal),
	C("sort", 0, f_sort),
	C("unique", 0, f_unique),
	C("min", 0, f_min),
	C("max", 0, f_max),
	C("_min_by_impl", 1, f_min_by_impl),
	C("_max_by_impl", 1, f_max_by_impl),
	C("_sort_by_impl", 1, f_sort_by_impl),
	C("_group_by_impl", 1, f_group_by_impl),
	C("_flatten", 1, f_flatten_impl),
	C("_strindices", 1, f_strindices),
	{ "getpath", 1, NULL, p_getpath, f_getpath },
	C("setpath", 2, f_setpath),
	C("delpaths", 1, f_delpaths),
	C("env", 0, f_env),
	C("now", 0, f_now),
	C("input_filename", 0, f_input_filename),
	C("input_meta", 0, f_input_meta),
	C("input_line_number", 0, f_input_line_number),
	C("builtins", 0, f_builtins),
	C("format", 1, f_format),
	C("_match_impl", 3, f_match_impl),
	C("gmtime", 0, f_gmtime),
	C("mktime", 0, f_mktime),
	C("strftime", 1, f_strftime),
	C("strptime", 1, f_strptime),
	C("fromdateiso8601", 0, f_fromdateiso8601),
	G("empty", 0, g_empty, p_empty),
	G("select", 1, g_select, p_select),
	G("error", 1, g_error, p_error),
	G("path", 1, g_path, NULL),
	G("recurse", 1, g_recurse, p_recurse),
	G("recurse", 2, g_recurse, p_recurse),
	G("first", 1, g_first, p_first),
	G("isempty", 1, g_isempty, NULL),
	G("limit", 2, g_limit, p_limit),
	G("any", 2, g_any, NULL),
	G("all", 2, g_all, NULL),
	G("range", 2, g_range, NULL),
	G("range", 3, g_range, NULL),
	G("while", 2, g_while, NULL),
	G("until", 2, g_until, NULL),
	G("repeat", 1, g_repeat, NULL),
	G("combinations", 0, g_combinations, NULL),
	G("walk", 1, g_walk, NULL),
	G("tostream", 0, g_tostream, NULL),
	G("sub", 3, regex_sub, NULL),
	{ NULL, 0, NULL, NULL, NULL },
};

/* jq 1.6 builtin.jq, adapted where noted. */
static const struct expr_macro macros[] = {
	{ "error", 0, "", "error(.)" },
	{ "map", 1, "f", "[.[] | f]" },
	{ "sort_by", 1, "f", "_sort_by_impl(map([f]))" },
	{ "group_by", 1, "f", "_group_by_impl(map([f]))" },
	{ "unique_by", 1, "f", "group_by(f) | map(.[0])" },
	{ "max_by", 1, "f", "_max_by_impl(map([f]))" },
	{ "min_by", 1, "f", "_min_by_impl(map([f]))" },
	{ "add", 0, "", "reduce .[] as $x (null; . + $x)" },
	{ "del", 1, "f", "delpaths([path(f)])" },
	{ "map_values", 1, "f", ".[] |= f" },
	{ "recurse", 0, "", "recurse(.[]?)" },
	{ "recurse_down", 0, "", "recurse" },
	{ "to_entries", 0, "",
	  "[keys_unsorted[] as $k | {key: $k, value: .[$k]}]" },
	{ "from_entries", 0, "",
	  "map({(.key // .Key // .name // .Name): (if has(\"value\") then "
	  ".value else .Value end)}) | add | .//={}" },
	{ "with_entries", 1, "f", "to_entries | map(f) | from_entries" },
	{ "reverse", 0, "", "[.[length - 1 - range(0;length)]]" },
	{ "indices", 1, "$i",
	  "if type == \"array\" and ($i|type) == \"array\" then .[$i] "
	  "elif type == \"array\" then .[[$i]] "
	  "elif type == \"string\" and ($i|type) == \"string\" then "
	  "_strindices($i) else .[$i] end" },
	{ "index", 1, "$i", "indices($i) | .[0]" },
	{ "rindex", 1, "$i", "indices($i) | .[-1:][0]" },
	{ "paths", 0, "",
	  "path(recurse(if (type|. == \"array\" or . == \"object\") then .[] "
	  "else empty end))|select(length > 0)" },
	{ "paths", 1, "node_filter",
	  ". as $dot|paths|select(. as $p|$dot|getpath($p)|node_filter)" },
	{ "any", 1, "condition", "any(.[]; condition)" },
	{ "any", 0, "", "any(.)" },
	{ "all", 1, "condition", "all(.[]; condition)" },
	{ "all", 0, "", "all(.)" },
	{ "isfinite", 0, "", "type == \"number\" and (isinfinite | not)" },
	{ "arrays", 0, "", "select(type == \"array\")" },
	{ "objects", 0, "", "select(type == \"object\")" },
	{ "iterables", 0, "", "arrays, objects" },
	{ "booleans", 0, "", "select(type == \"boolean\")" },
	{ "numbers", 0, "", "select(type == \"number\")" },
	{ "normals", 0, "", "select(isnormal)" },
	{ "finites", 0, "", "select(isfinite)" },
	{ "strings", 0, "", "select(type == \"string\")" },
	{ "nulls", 0, "", "select(type == \"null\")" },
	{ "values", 0, "", "select(. != null)" },
	{ "scalars", 0, "",
	  "select(. == null or . == true or . == false or type == \"number\" "
	  "or type == \"string\")" },
	{ "scalars_or_empty", 0, "",
	  "select(. == null or . == true or . == false or type == \"number\" "
	  "or type == \"string\" or ((type==\"array\" or type==\"object\") "
	  "and length==0))" },
	{ "leaf_paths", 0, "", "paths(scalars)" },
	{ "join", 1, "$x",
	  "reduce .[] as $i (null; (if .==null then \"\" else .+$x end) + "
	  "($i | if type==\"boolean\" or type==\"number\" then tostring else "
	  ".//\"\" end)) // \"\"" },
	{ "flatten", 1, "$x",
	  "if $x < 0 then error(\"flatten depth must not be negative\") else "
	  "_flatten($x) end" },
	{ "flatten", 0, "", "_flatten(-1)" },
	{ "range", 1, "$x", "range(0;$x)" },
	{ "todateiso8601", 0, "", "strftime(\"%Y-%m-%dT%H:%M:%SZ\")" },
	{ "fromdate", 0, "", "fromdateiso8601" },
	{ "todate", 0, "", "todateiso8601" },
	{ "match", 2, "re;mode", "_match_impl(re; mode; false)|.[]" },
	{ "match", 1, "$val",
	  "($val|type) as $vt | if $vt == \"string\" then match($val; null) "
	  "elif $vt == \"array\" and ($val | length) > 1 then match($val[0]; "
	  "$val[1]) elif $vt == \"array\" and ($val | length) > 0 then "
	  "match($val[0]; null) else error( $vt + \" not a string or array\") "
	  "end" },
	{ "test", 2, "re;mode", "_match_impl(re; mode; true)" },
	{ "test", 1, "$val",
	  "($val|type) as $vt | if $vt == \"string\" then test($val; null) "
	  "elif $vt == \"array\" and ($val | length) > 1 then test($val[0]; "
	  "$val[1]) elif $vt == \"array\" and ($val | length) > 0 then "
	  "test($val[0]; null) else error( $vt + \" not a string or array\") "
	  "end" },
	{ "capture", 2, "re;mods",
	  "match(re; mods) | reduce ( .captures | .[] | select(.name != null) "
	  "| { (.name) : .string } ) as $pair ({}; . + $pair)" },
	{ "capture", 1, "$val",
	  "($val|type) as $vt | if $vt == \"string\" then capture($val; null) "
	  "elif $vt == \"array\" and ($val | length) > 1 then "
	  "capture($val[0]; $val[1]) elif $vt == \"array\" and ($val | "
	  "length) > 0 then capture($val[0]; null) else error( $vt + \" not a "
	  "string or array\") end" },
	{ "scan", 2, "$re;$flags",
	  "match($re; \"g\" + $flags) | if (.captures|length > 0) then [ "
	  ".captures | .[] | .string ] else .string end" },
	{ "scan", 1, "$re", "scan($re; null)" },
	{ "splits", 2, "$re;flags",
	  ". as $s | [ match($re; \"g\" + flags) | (.offset, .offset + "
	  ".length) ] | [0] + . +[$s|length] | _nwise2 | $s[.[0]:.[1] ]" },
	{ "_nwise2", 0, "", "range(0; length; 2) as $i | .[$i:$i+2]" },
	{ "splits", 1, "$re", "splits($re; null)" },
	{ "split", 2, "$re;flags", "[ splits($re; flags) ]" },
	{ "sub", 2, "$re;s", "sub($re; s; \"\")" },
	{ "gsub", 3, "$re;s;flags", "sub($re; s; flags + \"g\")" },
	{ "gsub", 2, "$re;s", "sub($re; s; \"g\")" },
	{ "last", 1, "g", "reduce g as $item (null; $item)" },
	{ "nth", 2, "$n;g",
	  "if $n < 0 then error(\"nth doesn't support negative indices\") "
	  "else label $out | foreach g as $item ($n + 1; . - 1; if . <= 0 "
	  "then $item, break $out else empty end) end" },
	{ "first", 0, "", ".[0]" },
	{ "last", 0, "", ".[-1]" },
	{ "nth", 1, "$n", ".[$n]" },
	{ "combinations", 1, "n",
	  ". as $dot | [range(n) | $dot] | combinations" },
	{ "transpose", 0, "",
	  "if . == [] then [] else . as $in | (map(length) | max) as $max | "
	  "length as $length | reduce range(0; $max) as $j ([]; . + [reduce "
	  "range(0;$length) as $i ([]; . + [ $in[$i][$j] ] )] ) end" },
	{ "in", 1, "xs", ". as $x | xs | has($x)" },
	{ "inside", 1, "xs", ". as $x | xs | contains($x)" },
	{ "truncate_stream", 1, "stream",
	  ". as $n | null | stream | . as $input | if (.[0]|length) > $n then "
	  "setpath([0];$input[0][$n:]) else empty end" },
	{ "fromstream", 1, "i",
	  "foreach i as $item ([null,false,null,false]; if ($item[0]|length) "
	  "== 0 then [null,false,.[2],.[3]] elif ($item|length) == 1 and "
	  "($item[0]|length) < 2 then [null,false,.[0],.[1]] else . end | . as "
	  "$state | if ($item|length) > 1 and ($item[0]|length) > 0 then "
	  "[.[0]|setpath(($item|.[0]); ($item|.[1])), true, $state[2], "
	  "$state[3]] else . end; if ($item[0]|length) == 1 and ($item|length "
	  "== 1) and .[3] then .[2] else empty end, if ($item[0]|length) == 0 "
	  "then $item[1] else empty end)" },
	{ "bsearch", 1, "$target",
	  "if length == 0 then -1 elif length == 1 then if $target == .[0] "
	  "then "
	  "0 elif $target < .[0] then -1 else -2 end else . as $in | [0, "
	  "length-1, null] | until( .[0] > .[1] ; if .[2] != null then (.[1] "
	  "= -1) else ( ( (.[1] + .[0]) / 2 ) | floor ) as $mid | $in[$mid] "
	  "as $monkey | if $monkey == $target then (.[2] = $mid) elif .[0] == "
	  ".[1] then (.[1] = -1) elif $monkey < $target then (.[0] = ($mid + "
	  "1)) else (.[1] = ($mid - 1)) end end ) | if .[2] == null then if "
	  "$in[ .[0] ] < $target then (-2 -.[0]) else (-1 -.[0]) end else "
	  ".[2] end end" },
	{ "INDEX", 2, "stream;idx_expr",
	  "reduce stream as $row ({}; .[$row|idx_expr| if type != \"string\" "
	  "then tojson else . end] |= $row)" },
	{ "INDEX", 1, "idx_expr", "INDEX(.[]; idx_expr)" },
	{ "JOIN", 2, "$idx;idx_expr", "[.[] | [., $idx[idx_expr]]]" },
	{ "JOIN", 3, "$idx;stream;idx_expr", "stream | [., $idx[idx_expr]]" },
	{ "JOIN", 4, "$idx;stream;idx_expr;join_expr",
	  "stream | [., $idx[idx_expr]] | join_expr" },
	{ "IN", 1, "s",
	  "reduce (first(select(. == s)) | true) as $v (false; if . or $v "
	  "then true else false end)" },
	{ "IN", 2, "src;s",
	  "reduce (src|IN(s)) as $v (false; if . or $v then true else false "
	  "end)" },
	/* jq 1.7.1's own definitions */
	{ "toarray", 0, "", "if type == \"array\" then . else [.] end" },
	{ "have_literal_numbers", 0, "", "true" },
	{ "have_decnum", 0, "", "false" },
	{ "debug", 1, "msgs", "(msgs | debug | empty), ." },
	{ "abs", 0, "", "if type == \"number\" and . < 0 then - . else . end" },
	{ "pick", 1, "pathexps",
	  ". as $top | reduce path(pathexps) as $p (null; setpath($p; $top | "
	  "getpath($p)))" },
	{ NULL, 0, NULL, NULL },
};

const struct expr_builtin *
builtin_find(const char *name, size_t len, int arity)
{
	int i;

	for (i = 0; builtins[i].name; i++)
		if (builtins[i].arity == arity &&
		    strlen(builtins[i].name) == len &&
		    memcmp(builtins[i].name, name, len) == 0)
			return &builtins[i];
	return NULL;
}

const struct expr_macro *
builtin_macro(const char *name, size_t len, int arity)
{
	int i;

	for (i = 0; macros[i].name; i++)
		if (macros[i].arity == arity && strlen(macros[i].name) == len &&
		    memcmp(macros[i].name, name, len) == 0)
			return &macros[i];
	return NULL;
}

/*
 * Names users bring from other languages, and the builtin that does the
 * job here: "tolower" gets "did you mean 'ascii_downcase'?".
 */
static const char *const builtin_aliases[][2] = {
	{ "tolower", "ascii_downcase" },
	{ "toupper", "ascii_upcase" },
	{ "lower", "ascii_downcase" },
	{ "upper", "ascii_upcase" },
	{ "lowercase", "ascii_downcase" },
	{ "uppercase", "ascii_upcase" },
	{ "len", "length" },
	{ "size", "length" },
	{ "count", "length" },
	{ "strlen", "length" },
	{ "lstrip", "ltrimstr" },
	{ "rstrip", "rtrimstr" },
	{ "replace", "gsub" },
	{ "contains_key", "has" },
	{ "filter", "select" },
	{ "exists", "has" },
	{ "concat", "add" },
	{ "parse_json", "fromjson" },
	{ "to_json", "tojson" },
	{ "from_json", "fromjson" },
};

void
builtin_suggest(const char *name, size_t len, char *out, size_t n)
{
	struct suggest sg;
	char word[64];
	size_t i;

	snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len : 63), name);
	for (i = 0; i < NELEM(builtin_aliases); i++)
		if (strcmp(word, builtin_aliases[i][0]) == 0) {
			snprintf(out, n, "; did you mean '%s'?",
				 builtin_aliases[i][1]);
			return;
		}
	/* the name is right, the arity is not: "did you mean limit/2?" */
	for (i = 0; builtins[i].name; i++)
		if (strcmp(builtins[i].name, word) == 0) {
			snprintf(out, n, "; did you mean %s/%d?", word,
				 builtins[i].arity);
			return;
		}
	for (i = 0; macros[i].name; i++)
		if (strcmp(macros[i].name, word) == 0) {
			snprintf(out, n, "; did you mean %s/%d?", word,
				 macros[i].arity);
			return;
		}
	suggest_init(&sg, word);
	sg.prefix = "";
	for (i = 0; builtins[i].name; i++)
		if (strcmp(builtins[i].name, word) != 0)
			suggest_add(&sg, builtins[i].name);
	for (i = 0; macros[i].name; i++)
		if (strcmp(macros[i].name, word) != 0)
			suggest_add(&sg, macros[i].name);
	suggest_text(&sg, out, n);
}

/* Add "name/arity" to arr once (seen), unless the name is a helper. */
static void
builtins_add(json_t *arr, json_t *seen, const char *name, int arity)
{
	char n[96];

	if (name[0] == '_')
		return;
	snprintf(n, sizeof n, "%s/%d", name, arity);
	if (json_object_get(seen, n))
		return;
	json_object_set_new(seen, n, json_true());
	json_array_append_new(arr, json_string(n));
}

/*
 * jq's builtins: "name/arity" of every function an expression can call,
 * once each, those written in C and those written in jq alike (names
 * starting with "_" are helpers, as in jq, and left out).
 */
CFN(f_builtins)
{
	json_t *seen = json_object(), *arr = json_array();
	size_t i;

	(void)c;
	(void)in;
	(void)a;
	for (i = 0; builtins[i].name; i++)
		builtins_add(arr, seen, builtins[i].name, builtins[i].arity);
	for (i = 0; macros[i].name; i++)
		builtins_add(arr, seen, macros[i].name, macros[i].arity);
	json_decref(seen);
	*out = arr;
	return 0;
}
