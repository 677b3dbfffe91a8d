/*
 * schema-num.c -- JSON numbers compared exactly, from their text.
 *
 * A JSON number is a decimal: its text says exactly which rational it is,
 * so minimum/maximum, enum/const and "is it an integer" are decided on the
 * digits, never on a double.  18446744073709551617 is greater than
 * 18446744073709551616, 0.10000000000000000001 is greater than 0.1, 1.0 and
 * 1e400 are integers, and no text is ever converted with strtod() for a
 * comparison.
 *
 * A number is read into a struct dnum: sign, significant digits (leading
 * and trailing zeros dropped) and the decimal exponent of the first one, so
 * the value is 0.D1D2...Dn x 10^exp.  The digits are two spans of the text
 * (before and after the decimal point), never copied.
 *
 * Limits: exponents beyond +-10^15 are clamped to that (written numbers of
 * 10^(10^15) do not occur; two that large compare on their digits).
 * multipleOf is exact when the divisor has at most 18 significant digits;
 * otherwise it is decided in double precision (schema_dec_multiple()).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "schema-int.h"
#include "lib/xmalloc.h"

#define EXP_CLAMP 1000000000000000LL /* 10^15 */

struct dnum {
	int neg, zero;
	const char *d1; /* significant digits: d1[0..n1) then d2[0..n2) */
	size_t n1;
	const char *d2;
	size_t n2;
	long long exp; /* value = 0.(digits) x 10^exp */
};

/* Read a valid JSON number text into *d. */
static void
dnum_read(const char *s, size_t len, struct dnum *d)
{
	const char *p = s, *end = s + len, *ip, *fp = NULL;
	size_t in, fn = 0, lz;
	long long e = 0;

	memset(d, 0, sizeof *d);
	if (p < end && *p == '-') {
		d->neg = 1;
		p++;
	}
	ip = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	in = (size_t)(p - ip);
	if (p < end && *p == '.') {
		fp = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		fn = (size_t)(p - fp);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		int eneg = 0;

		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (e < EXP_CLAMP)
				e = e * 10 + (*p - '0');
		if (e > EXP_CLAMP)
			e = EXP_CLAMP;
		if (eneg)
			e = -e;
	}
	/* the integer part has no leading zeros unless it is "0" */
	if (in == 1 && ip[0] == '0')
		in = 0;
	if (in > 0) {
		d->d1 = ip;
		d->n1 = in;
		d->d2 = fp;
		d->n2 = fn;
		d->exp = e + (long long)in;
	} else {
		for (lz = 0; lz < fn && fp[lz] == '0'; lz++)
			;
		d->d1 = fp + lz;
		d->n1 = fn - lz;
		d->d2 = NULL;
		d->n2 = 0;
		d->exp = e - (long long)lz;
	}
	/* trailing zeros */
	while (d->n2 > 0 && d->d2[d->n2 - 1] == '0')
		d->n2--;
	if (d->n2 == 0)
		while (d->n1 > 0 && d->d1[d->n1 - 1] == '0')
			d->n1--;
	d->zero = d->n1 + d->n2 == 0;
	if (d->zero) {
		d->neg = 0;
		d->exp = 0;
	}
}

static inline size_t
dnum_ndig(const struct dnum *d)
{
	return d->n1 + d->n2;
}

static inline int
dnum_dig(const struct dnum *d, size_t k)
{
	return (k < d->n1 ? d->d1[k] : d->d2[k - d->n1]) - '0';
}

/* Compare magnitudes. */
static int
dnum_cmp_abs(const struct dnum *a, const struct dnum *b)
{
	size_t na = dnum_ndig(a), nb = dnum_ndig(b), k;

	if (a->zero || b->zero)
		return a->zero == b->zero ? 0 : a->zero ? -1 : 1;
	if (a->exp != b->exp)
		return a->exp < b->exp ? -1 : 1;
	for (k = 0; k < na && k < nb; k++) {
		int x = dnum_dig(a, k), y = dnum_dig(b, k);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return na == nb ? 0 : na < nb ? -1 : 1;
}

static int
dnum_cmp(const struct dnum *a, const struct dnum *b)
{
	int sa = a->zero ? 0 : a->neg ? -1 : 1;
	int sb = b->zero ? 0 : b->neg ? -1 : 1, r;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	r = dnum_cmp_abs(a, b);
	return sa < 0 ? -r : r;
}

/* Plain integers of up to 18 digits: the common case, without dnum. */
static int
small_int(const char *s, size_t len, long long *out)
{
	size_t i = s[0] == '-';
	long long v = 0;

	if (len - i == 0 || len - i > 18)
		return 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = s[0] == '-' ? -v : v;
	return 1;
}

/*
 * A decimal without exponent and with at most 18 integer digits against
 * a small integer j (the usual "minimum": 0): 1 with *r set, or 0.
 */
static int
plain_vs_int(const char *s, size_t len, long long j, int *r)
{
	size_t i = s[0] == '-', k;
	long long ip = 0;
	int neg = s[0] == '-', frac = 0;

	for (k = i; k < len && s[k] >= '0' && s[k] <= '9'; k++)
		;
	if (k - i == 0 || k - i > 18 || k == len || s[k] != '.')
		return 0;
	for (; i < k; i++)
		ip = ip * 10 + (s[i] - '0');
	for (i = k + 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0; /* an exponent */
		if (s[i] != '0')
			frac = 1;
	}
	if (!neg) {
		/* ip <= s < ip + 1 */
		*r = ip < j ? -1 : ip > j ? 1 : frac;
	} else if (!frac) {
		*r = -ip < j ? -1 : -ip > j;
	} else {
		/* -(ip + 1) < s < -ip */
		*r = -ip <= j ? -1 : 1;
	}
	return 1;
}

int
schema_dec_cmp_small(const char *a, size_t alen, long long j)
{
	const char *p = a, *end = a + alen, *ip;
	long long ipart = 0;
	int neg = 0, frac = 0, n;
	char b[24];

	/* one pass over -?digits(.digits)?, at most 18 integer digits */
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	ip = p;
	while (p < end && (unsigned)(*p - '0') < 10) {
		if (p - ip == 18)
			goto slow; /* more than 18 digits: might overflow */
		ipart = ipart * 10 + (*p++ - '0');
	}
	if (p < end && *p == '.')
		for (p++; p < end && (unsigned)(*p - '0') < 10; p++)
			frac |= *p != '0';
	if (p != end)
		goto slow; /* an exponent */
	if (!neg)	   /* ipart <= a < ipart + 1 */
		return ipart < j ? -1 : ipart > j ? 1 : frac;
	if (!frac)
		return -ipart < j ? -1 : -ipart > j;
	/* -(ipart + 1) < a < -ipart */
	return -ipart <= j ? -1 : 1;
slow:
	n = snprintf(b, sizeof b, "%lld", j);
	return schema_dec_cmp(a, alen, b, (size_t)n);
}

int
schema_small_int(const char *s, size_t len, long long *out)
{
	return small_int(s, len, out);
}

int
schema_dec_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	struct dnum x, y;
	long long i, j;
	int r;

	if (small_int(b, blen, &j)) {
		if (small_int(a, alen, &i))
			return i < j ? -1 : i > j;
		if (plain_vs_int(a, alen, j, &r))
			return r;
	}
	dnum_read(a, alen, &x);
	dnum_read(b, blen, &y);
	return dnum_cmp(&x, &y);
}

size_t
schema_dec_hash(const char *s, size_t len)
{
	struct dnum d;
	size_t h = 5381, k;
	unsigned long long e;

	dnum_read(s, len, &d);
	h = h * 33 + (size_t)d.neg;
	for (k = 0; k < dnum_ndig(&d); k++)
		h = h * 33 + (size_t)dnum_dig(&d, k);
	e = (unsigned long long)d.exp;
	for (k = 0; k < 8; k++, e >>= 8)
		h = h * 33 + (size_t)(e & 0xff);
	return h;
}

int
schema_dec_is_integer(const char *s, size_t len)
{
	struct dnum d;
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			break;
	if (i == len)
		return 1;
	dnum_read(s, len, &d);
	return d.zero || d.exp >= (long long)dnum_ndig(&d);
}

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
	struct dnum a, b;
	long long ea, eb;
	size_t na, nb, k;
	uint64_t mod = 0, r = 0;

	dnum_read(x, xlen, &a);
	dnum_read(m, mlen, &b);
	if (a.zero)
		return 1;
	if (b.zero)
		return 0;
	if (dnum_cmp_abs(&a, &b) < 0)
		return 0;
	/*
	 * a = A x 10^ea and b = B x 10^eb with integers A and B that do not
	 * end in 0.  If ea < eb, a/b = A / (B x 10^(eb - ea)) would need 10
	 * to divide A: never.  Otherwise a/b = A x 10^(ea - eb) / B.
	 */
	na = dnum_ndig(&a);
	nb = dnum_ndig(&b);
	ea = a.exp - (long long)na;
	eb = b.exp - (long long)nb;
	if (ea < eb)
		return 0;
	if (nb > 18)
		return multiple_double(x, xlen, m, mlen);
	for (k = 0; k < nb; k++)
		mod = mod * 10 + (uint64_t)dnum_dig(&b, k);
	for (k = 0; k < na; k++)
		r = (r * 10 + (uint64_t)dnum_dig(&a, k)) % mod;
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
	sn->small = small_int(text, len, &sn->iv);
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

	if (t) {
		buf_adds(out, t);
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
