/*
 * schema-num.c -- multipleOf on number texts, and the texts of schema
 * numbers.
 *
 * minimum/maximum, enum/const and "is it an integer" are decided on the
 * digits by json/jnum.c's jnum_dec_* (which the expression language shares
 * for ==, < and sort), never on a double.  multipleOf is exact when the divisor
 * has at most 18 significant digits; otherwise it is decided in double
 * precision (schema_dec_multiple()).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "json/jnum.h"
#include "lib/util.h"
#include "schema-int.h"
#include "lib/xmalloc.h"

/* (a * b) mod m for a, b < m < 2^62, without 128-bit arithmetic. */
static uint64_t
mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	uint64_t r = 0;

	while (b) {
		if (b & 1) {
			r += a;
			if (r >= m)
				r -= m;
		}
		a += a;
		if (a >= m)
			a -= m;
		b >>= 1;
	}
	return r;
}

/* 10^k mod m. */
static uint64_t
pow10mod(unsigned long long k, uint64_t m)
{
	uint64_t r = 1 % m, b = 10 % m;

	while (k) {
		if (k & 1)
			r = mulmod(r, b, m);
		b = mulmod(b, b, m);
		k >>= 1;
	}
	return r;
}

/* The double-precision answer, for divisors too long to be exact. */
static int
multiple_double(const char *x, size_t xlen, const char *m, size_t mlen)
{
	char bx[64], bm[64];
	double dx, dm, q;

	if (xlen >= sizeof bx || mlen >= sizeof bm) {
		char *t1 = xstrndup(x, xlen), *t2 = xstrndup(m, mlen);

		dx = strtod(t1, NULL);
		dm = strtod(t2, NULL);
		free(t1);
		free(t2);
	} else {
		memcpy(bx, x, xlen);
		bx[xlen] = '\0';
		memcpy(bm, m, mlen);
		bm[mlen] = '\0';
		dx = strtod(bx, NULL);
		dm = strtod(bm, NULL);
	}
	q = dx / dm;
	if (!isfinite(q) || dm == 0)
		return 0;
	return fabs(q - nearbyint(q)) < 1e-9;
}

int
schema_dec_multiple(const char *x, size_t xlen, const char *m, size_t mlen)
{
	struct jnum_dec a, b;
	long long ea, eb;
	size_t na, nb, k;
	uint64_t mod = 0, r = 0;

	jnum_dec_read(x, xlen, &a);
	jnum_dec_read(m, mlen, &b);
	if (a.zero)
		return 1;
	if (b.zero)
		return 0;
	if (jnum_dec_cmp_abs(&a, &b) < 0)
		return 0;
	/*
	 * a = A x 10^ea and b = B x 10^eb with integers A and B that do not
	 * end in 0.  If ea < eb, a/b = A / (B x 10^(eb - ea)) would need 10
	 * to divide A: never.  Otherwise a/b = A x 10^(ea - eb) / B.
	 */
	na = jnum_dec_ndig(&a);
	nb = jnum_dec_ndig(&b);
	ea = a.exp - (long long)na;
	eb = b.exp - (long long)nb;
	if (ea < eb)
		return 0;
	if (nb > 18)
		return multiple_double(x, xlen, m, mlen);
	for (k = 0; k < nb; k++)
		mod = mod * 10 + (uint64_t)jnum_dec_dig(&b, k);
	for (k = 0; k < na; k++)
		r = (r * 10 + (uint64_t)jnum_dec_dig(&a, k)) % mod;
	r = mulmod(r, pow10mod((unsigned long long)(ea - eb), mod), mod);
	return r == 0;
}

/* ---- texts of schema numbers -------------------------------------------- */

/*
 * The shortest text that reads back as d ("0.1", not
 * "0.10000000000000001"): what a person wrote, as far as a double can say.
 */
void
schema_double_text(double d, char *out, size_t n)
{
	int prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, n, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
}

void
schema_snum_set(struct snum *sn, const char *text, size_t len)
{
	free(sn->text);
	sn->text = xstrndup(text, len);
	sn->len = len;
	sn->d = strtod(sn->text, NULL);
	sn->small = jnum_small_int(text, len, &sn->iv);
}

/* ---- exact texts of loaded documents ------------------------------------ */

static size_t
ptr_hash(const void *p, size_t cap)
{
	uintptr_t x = (uintptr_t)p;

	x ^= x >> 17;
	x *= 0x9e3779b97f4a7c15ULL & UINTPTR_MAX;
	return (size_t)(x ^ (x >> 29)) & (cap - 1);
}

static void
numtext_put(struct numtext *nt, const json_t *k, char *v)
{
	size_t i;

	if (2 * (nt->n + 1) > nt->cap) {
		struct numtext old = *nt;

		nt->cap = old.cap ? 2 * old.cap : 16;
		nt->k = xcalloc(nt->cap, sizeof *nt->k);
		nt->v = xcalloc(nt->cap, sizeof *nt->v);
		nt->n = 0;
		for (i = 0; i < old.cap; i++)
			if (old.k[i])
				numtext_put(nt, old.k[i], old.v[i]);
		free(old.k);
		free(old.v);
	}
	for (i = ptr_hash(k, nt->cap); nt->k[i]; i = (i + 1) & (nt->cap - 1))
		if (nt->k[i] == k) {
			free(nt->v[i]);
			nt->v[i] = v;
			return;
		}
	nt->k[i] = k;
	nt->v[i] = v;
	nt->n++;
}

static const char *
numtext_get(const struct numtext *nt, const json_t *k)
{
	size_t i;

	if (nt == NULL || nt->n == 0)
		return NULL;
	for (i = ptr_hash(k, nt->cap); nt->k[i]; i = (i + 1) & (nt->cap - 1))
		if (nt->k[i] == k)
			return nt->v[i];
	return NULL;
}

void
numtext_release(struct numtext *nt)
{
	size_t i;

	for (i = 0; i < nt->cap; i++)
		free(nt->v[i]);
	free(nt->k);
	free(nt->v);
	memset(nt, 0, sizeof *nt);
}

void
numtext_move(struct numtext *dst, struct numtext *src)
{
	size_t i;

	for (i = 0; i < src->cap; i++)
		if (src->k[i])
			numtext_put(dst, src->k[i], src->v[i]);
	free(src->k);
	free(src->v);
	memset(src, 0, sizeof *src);
}

/* Walk the jansson tree and the tape of the same text side by side. */
static void
collect(struct numtext *nt, const json_t *j, struct jscan_val v, struct buf *kb)
{
	struct jscan_iter it;
	struct jscan_val key, val;
	const char *s;
	size_t len, i = 0;
	json_t *last = NULL;

	switch (jscan_type(v)) {
	case JSCAN_NUMBER:
		s = jscan_raw(v, &len);
		if (json_is_number(j) &&
		    !(json_is_integer(j) && jscan_num_is_int(v)))
			numtext_put(nt, j, xstrndup(s, len));
		break;
	case JSCAN_ARRAY:
		jscan_iter_init(&it, v);
		while (jscan_iter_next(&it, NULL, &val))
			collect(nt, json_array_get(j, i++), val, kb);
		break;
	case JSCAN_OBJECT:
		/* With duplicate keys jansson keeps the last value: then
		 * (more members on the tape than in the tree) note where
		 * each key was last seen, in one pass, not one per member. */
		if (jscan_count(v) != json_object_size(j)) {
			last = json_object();
			jscan_iter_init(&it, v);
			while (jscan_iter_next(&it, &key, &val)) {
				s = jscan_str(key, kb, &len);
				json_object_setn_new(last, s, len,
						     json_integer(val.i));
			}
		}
		jscan_iter_init(&it, v);
		while (jscan_iter_next(&it, &key, &val)) {
			s = jscan_str(key, kb, &len);
			if (last && json_integer_value(json_object_getn(
					    last, s, len)) != val.i)
				continue;
			collect(nt, json_object_getn(j, s, len), val, kb);
		}
		json_decref(last);
		break;
	default:
		break;
	}
}

void
numtext_collect(struct numtext *nt, const json_t *doc, const char *text,
		size_t len)
{
	struct jscan js;
	struct buf kb = BUF_INIT;

	jscan_init(&js);
	jscan_set_max_depth(&js, 4096);
	if (jscan_parse(&js, text, len, NULL) == 0)
		collect(nt, doc, jscan_root(&js), &kb);
	jscan_release(&js);
	buf_release(&kb);
}

void
schema_number_text(const struct numtext *nt, const json_t *j, struct buf *out)
{
	const char *t = numtext_get(nt, j);
	char tmp[40];
	size_t n;

	if (t) {
		buf_adds(out, t);
	} else if ((t = jnum_text(j, &n)) != NULL) {
		/* a number an earlier stage kept with its text */
		buf_add(out, t, n);
	} else if (json_is_integer(j)) {
		buf_addf(out, "%lld", (long long)json_integer_value(j));
	} else {
		schema_double_text(json_real_value(j), tmp, sizeof tmp);
		buf_adds(out, tmp);
	}
}

static void
add_string(struct buf *out, const char *s, size_t len)
{
	size_t i, run = 0;

	buf_addc(out, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(out, s + run, i - run);
		run = i + 1;
		buf_addc(out, '\\');
		switch (c) {
		case '"':
		case '\\':
			buf_addc(out, (char)c);
			break;
		case '\n':
			buf_addc(out, 'n');
			break;
		case '\t':
			buf_addc(out, 't');
			break;
		case '\r':
			buf_addc(out, 'r');
			break;
		default:
			buf_adds(out, "u00");
			buf_addc(out, hex_digits[c >> 4]);
			buf_addc(out, hex_digits[c & 15]);
			break;
		}
	}
	buf_add(out, s + run, len - run);
	buf_addc(out, '"');
}

/* Deepest value schema_json_text() writes. */
#define TEXT_MAX_DEPTH 10000

static int
json_text(const struct numtext *nt, const json_t *j, struct buf *out, int depth)
{
	size_t i;
	void *it;

	if (depth > TEXT_MAX_DEPTH)
		return -1;
	switch (json_typeof(j)) {
	case JSON_NULL:
		buf_adds(out, "null");
		return 0;
	case JSON_TRUE:
		buf_adds(out, "true");
		return 0;
	case JSON_FALSE:
		buf_adds(out, "false");
		return 0;
	case JSON_INTEGER:
	case JSON_REAL:
		schema_number_text(nt, j, out);
		return 0;
	case JSON_STRING:
		add_string(out, json_string_value(j), json_string_length(j));
		return 0;
	case JSON_ARRAY:
		buf_addc(out, '[');
		for (i = 0; i < json_array_size(j); i++) {
			if (i)
				buf_addc(out, ',');
			if (json_text(nt, json_array_get(j, i), out,
				      depth + 1) < 0)
				return -1;
		}
		buf_addc(out, ']');
		return 0;
	case JSON_OBJECT:
		buf_addc(out, '{');
		for (it = json_object_iter((json_t *)j), i = 0; it;
		     it = json_object_iter_next((json_t *)j, it), i++) {
			if (i)
				buf_addc(out, ',');
			add_string(out, json_object_iter_key(it),
				   json_object_iter_key_len(it));
			buf_addc(out, ':');
			if (json_text(nt, json_object_iter_value(it), out,
				      depth + 1) < 0)
				return -1;
		}
		buf_addc(out, '}');
		return 0;
	}
	return -1;
}

int
schema_json_text(const struct numtext *nt, const json_t *j, struct buf *out)
{
	return json_text(nt, j, out, 0);
}

struct sconst *
schema_const_new(const struct numtext *nt, const json_t *j)
{
	struct sconst *c = xcalloc(1, sizeof *c);
	struct buf b = BUF_INIT;

	jscan_init(&c->js);
	jscan_set_max_depth(&c->js, TEXT_MAX_DEPTH + 1);
	if (json_text(nt, j, &b, 0) < 0) {
		buf_release(&b);
		schema_const_free(c);
		return NULL;
	}
	c->text = buf_detach(&b, &c->len);
	if (jscan_parse(&c->js, c->text, c->len, NULL) < 0) {
		schema_const_free(c);
		return NULL;
	}
	/* Kept for the schema's life, one per enum and const: no room to
	 * spare (a tape starts at 256 nodes, most enums need a few). */
	c->js.tape = xreallocarray(c->js.tape, c->js.ntape, sizeof *c->js.tape);
	c->js.tapecap = c->js.ntape;
	free(c->js.stack);
	c->js.stack = NULL;
	c->js.stackcap = 0;
	return c;
}

void
schema_const_free(struct sconst *c)
{
	if (c == NULL)
		return;
	jscan_release(&c->js);
	free(c->text);
	free(c);
}
