/*
 * jnum.c -- JSON numbers that keep their text (jnum.h), and exact decimal
 * comparison of number texts, shared by the expression language and
 * JSON Schema.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evpipe.h"
#include "jnum.h"
#include "json-scan.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"

#define EXP_CLAMP 1000000000000000LL /* 10^15 */

/* ---- the allocation header ---------------------------------------------- */

/*
 * Before every block jansson allocates.  16 bytes, so the block keeps
 * malloc's alignment.  tlen bytes of text (and a NUL) follow the block's
 * own size bytes, at toff.
 */
struct jhdr {
	uint32_t magic;
	uint32_t tlen;
	uint64_t toff;
};
#define JHDR_MAGIC 0x6a6e756dU /* "jnum" */

_Static_assert(sizeof(struct jhdr) == 16, "the header keeps alignment");

/* The text the next allocation (json_real()'s only one) is to hold. */
static _Thread_local const char *pending;
static _Thread_local size_t pending_len;
static int installed;

/* The block of json_real() in jnum_new(), with the pending text after it. */
static void *
jalloc_text(size_t n)
{
	size_t tl = pending_len;
	struct jhdr *h = xmalloc(sizeof *h + n + tl + 1);
	char *t = (char *)(h + 1) + n;

	h->magic = JHDR_MAGIC;
	h->tlen = (uint32_t)tl;
	h->toff = n;
	memcpy(t, pending, tl);
	t[tl] = '\0';
	pending = NULL;
	return h + 1;
}

/* Every jansson allocation: kept lean, it is most of building a value. */
static void *
jalloc(size_t n)
{
	struct jhdr *h;

	if (__builtin_expect(pending != NULL, 0))
		return jalloc_text(n);
	h = malloc(sizeof *h + n);
	if (__builtin_expect(h == NULL, 0))
		return xmalloc(sizeof *h + n); /* exits with our message */
	h->magic = JHDR_MAGIC;
	h->tlen = 0;
	h->toff = n;
	return h + 1;
}

__attribute__((noreturn, cold)) static void
no_header(void)
{
	static const char msg[] =
		"evpipe: BUG: a jansson value was allocated without "
		"jnum's allocator (jnum_install() ran too late)\n";

	if (write(2, msg, sizeof msg - 1) < 0) {
		/* nothing more we can do */
	}
	abort();
}

static inline struct jhdr *
hdr(const void *p)
{
	struct jhdr *h = (struct jhdr *)p - 1;

	if (__builtin_expect(h->magic != JHDR_MAGIC, 0))
		no_header();
	return h;
}

static void
jfree(void *p)
{
	if (p != NULL)
		free(hdr(p));
}

void
jnum_free(void *p)
{
	jfree(p);
}

void
jnum_install(void)
{
	json_t *probe;

	if (installed)
		return;
	installed = 1;
	json_set_alloc_funcs(jalloc, jfree);
	/* a value from jansson now carries the header (hdr() checks it) */
	probe = json_integer(0);
	(void)hdr(probe);
	json_decref(probe);
}

/*
 * Before main(), unit tests and fuzzers: they all link this object, and
 * nothing allocates a jansson value before constructors have run.
 */
__attribute__((constructor)) static void
jnum_ctor(void)
{
	jnum_install();
}

/* ---- numbers with text -------------------------------------------------- */

size_t
jnum_scan(const char *s, size_t len)
{
	size_t i = 0, d;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else if (i < len && s[i] >= '1' && s[i] <= '9')
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < len && s[i] == '.') {
		for (d = ++i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i;
}

/* A plain integer that fits int64 and is not "-0": 1 and *out. */
static int
plain_int64(const char *s, size_t len, int64_t *out)
{
	size_t i = len && s[0] == '-';

	if (i == len || (len - i > 1 && s[i] == '0') ||
	    (i && len == 2 && s[1] == '0'))
		return 0;
	return jscan_int64(s, len, out) == 0;
}

json_t *
jnum_new(const char *s, size_t len)
{
	char small[64], *t = small;
	int64_t i;
	double d;
	json_t *v;

	if (plain_int64(s, len, &i))
		return json_integer((json_int_t)i);
	if (len >= sizeof small)
		t = xmalloc(len + 1);
	memcpy(t, s, len);
	t[len] = '\0';
	d = strtod(t, NULL);
	if (t != small)
		free(t);
	if (d > DBL_MAX)
		d = DBL_MAX;
	else if (d < -DBL_MAX)
		d = -DBL_MAX;
	pending = s;
	pending_len = len;
	v = json_real(d);
	pending = NULL;
	if (v == NULL)
		BUG("json_real(%g) failed", d);
	return v;
}

json_t *
jnum_parse(const char *s, size_t len)
{
	if (len == 0 || jnum_scan(s, len) != len)
		return NULL;
	return jnum_new(s, len);
}

const char *
jnum_text(const json_t *v, size_t *len)
{
	const struct jhdr *h;

	if (v == NULL || !json_is_real(v))
		return NULL;
	h = hdr(v);
	if (h->tlen == 0)
		return NULL;
	*len = h->tlen;
	return (const char *)v + h->toff;
}

/*
 * jansson refuses to hold NaN and infinities, which jq computes with
 * (nan, infinite, 1/0 in math functions).  Each is one shared real that
 * stands for it, known by its address: jnum_value() reads it back.  What
 * it holds is what is printed for it (the largest double for the
 * infinities, as jq prints them).
 */
static json_t *specials[3]; /* NaN, +inf, -inf */

json_t *
jnum_special(double d)
{
	int i = isnan(d) ? 0 : d > 0 ? 1 : 2;

	if (!specials[i])
		specials[i] = json_real(i == 0	 ? 0.0
					: i == 1 ? DBL_MAX
						 : -DBL_MAX);
	return json_incref(specials[i]);
}

double
jnum_value(const json_t *v)
{
	double d;

	if (json_is_integer(v))
		return (double)json_integer_value(v);
	d = json_real_value(v);
	if ((d == 0 || fabs(d) == DBL_MAX) && v) {
		if (v == specials[0])
			return NAN;
		if (v == specials[1])
			return INFINITY;
		if (v == specials[2])
			return -INFINITY;
	}
	return d;
}

int
jnum_is_nan(const json_t *v)
{
	return v && v == specials[0];
}

int
jnum_cmp_parts(double x, const char *ta, size_t la, double y, const char *tb,
	       size_t lb)
{
	if (x < y)
		return -1;
	if (x != y)
		return 1; /* greater, or NaN: as jq */
	if (ta == NULL || tb == NULL)
		return 0;
	return jnum_dec_cmp(ta, la, tb, lb);
}

/* The exact form of v: its text, or its int64 printed into buf; or NULL. */
static const char *
exact_text(const json_t *v, char *buf, size_t n, size_t *len)
{
	if (json_is_integer(v)) {
		*len = (size_t)snprintf(buf, n, "%" JSON_INTEGER_FORMAT,
					json_integer_value(v));
		return buf;
	}
	return jnum_text(v, len);
}

int
jnum_cmp(const json_t *a, const json_t *b)
{
	char ba[24], bb[24];
	const char *ta, *tb;
	size_t la = 0, lb = 0;
	double x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a), j = json_integer_value(b);

		return i < j ? -1 : i > j;
	}
	x = jnum_value(a);
	y = jnum_value(b);
	if (x != y || isnan(x))
		return jnum_cmp_parts(x, NULL, 0, y, NULL, 0);
	ta = exact_text(a, ba, sizeof ba, &la);
	tb = exact_text(b, bb, sizeof bb, &lb);
	return jnum_cmp_parts(x, ta, la, y, tb, lb);
}

/* ---- printing ----------------------------------------------------------- */

/* An int64 in decimal, without printf: the most common number printed. */
static void
add_int(struct buf *out, json_int_t i)
{
	char d[24], *p = d + sizeof d;
	uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (i < 0)
		*--p = '-';
	buf_add(out, p, (size_t)(d + sizeof d - p));
}

void
jnum_dump(const json_t *v, struct buf *out)
{
	const char *t;
	size_t n;

	if (json_is_integer(v)) {
		add_int(out, json_integer_value(v));
	} else if ((t = jnum_text(v, &n)) != NULL) {
		buf_add(out, t, n);
	} else {
		jnum_dump_double(jnum_value(v), out);
	}
}

/*
 * One spelling for all texts of a value: the double's jq text when that
 * is exactly the value, zero as 0, else the digits normalized (plain up
 * to 40 digits either side of the point, else D.DDDe+X).
 */
void
jnum_canon(const char *s, size_t len, double d, struct buf *out)
{
	struct buf p = BUF_INIT;
	struct jnum_dec x;
	size_t nd, k;
	long long e;

	if (d == 0) {
		buf_addc(out, '0');
		return;
	}
	jnum_dump_double(d, &p);
	if (jnum_dec_cmp(p.data, p.len, s, len) == 0) {
		buf_add(out, p.data, p.len);
		buf_release(&p);
		return;
	}
	buf_release(&p);
	jnum_dec_read(s, len, &x);
	nd = jnum_dec_ndig(&x);
	e = x.exp;
	if (x.neg)
		buf_addc(out, '-');
	if (e > 0 && e <= 40 && (long long)nd <= e) {
		for (k = 0; k < nd; k++)
			buf_addc(out, (char)('0' + jnum_dec_dig(&x, k)));
		for (; (long long)k < e; k++)
			buf_addc(out, '0');
	} else if (e > 0 && e <= 40) {
		for (k = 0; k < nd; k++) {
			if ((long long)k == e)
				buf_addc(out, '.');
			buf_addc(out, (char)('0' + jnum_dec_dig(&x, k)));
		}
	} else if (e <= 0 && e > -40) {
		buf_adds(out, "0.");
		for (; e < 0; e++)
			buf_addc(out, '0');
		for (k = 0; k < nd; k++)
			buf_addc(out, (char)('0' + jnum_dec_dig(&x, k)));
	} else {
		buf_addc(out, (char)('0' + jnum_dec_dig(&x, 0)));
		if (nd > 1)
			buf_addc(out, '.');
		for (k = 1; k < nd; k++)
			buf_addc(out, (char)('0' + jnum_dec_dig(&x, k)));
		buf_addf(out, "e%+lld", e - 1);
	}
}

void
jnum_dump_canon(const json_t *v, struct buf *out)
{
	const char *t;
	size_t n;

	if (json_is_real(v) && (t = jnum_text(v, &n)) != NULL)
		jnum_canon(t, n, jnum_value(v), out);
	else if (json_is_real(v) && jnum_value(v) == 0)
		buf_addc(out, '0');
	else
		jnum_dump(v, out);
}

/*
 * jq prints a double with the shortest digits that read back to the same
 * value (at most 17), in fixed notation unless the decimal exponent is
 * below -4 or beyond 15 digits past the significant ones.
 */
void
jnum_dump_double(double d, struct buf *out)
{
	char digits[40], tmp[48];
	int prec, ndig = 0, decpt, i;
	const char *e;

	if (isnan(d)) {
		buf_adds(out, "null");
		return;
	}
	if (d > DBL_MAX)
		d = DBL_MAX;
	if (d < -DBL_MAX)
		d = -DBL_MAX;
	if (d == 0) {
		buf_adds(out, signbit(d) ? "-0" : "0");
		return;
	}
	if (d == floor(d) && fabs(d) < 1e16) {
		buf_addf(out, "%.0f", d);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp: [-]D[.DDD]e[+-]XX */
	for (e = tmp; *e && *e != 'e'; e++)
		if (*e >= '0' && *e <= '9')
			digits[ndig++] = *e;
	while (ndig > 1 && digits[ndig - 1] == '0')
		ndig--;
	digits[ndig] = 0;
	decpt = atoi(e + 1) + 1;
	if (d < 0)
		buf_addc(out, '-');
	if (decpt <= -4 || decpt > ndig + 15) {
		int x = decpt - 1;

		buf_addc(out, digits[0]);
		if (ndig > 1) {
			buf_addc(out, '.');
			buf_add(out, digits + 1, ndig - 1);
		}
		buf_addf(out, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
	} else if (decpt <= 0) {
		buf_adds(out, "0.");
		for (i = decpt; i < 0; i++)
			buf_addc(out, '0');
		buf_add(out, digits, ndig);
	} else {
		for (i = 0; i < ndig || i < decpt; i++) {
			if (i == decpt)
				buf_addc(out, '.');
			buf_addc(out, i < ndig ? digits[i] : '0');
		}
	}
}

/* ---- exact decimal comparison ------------------------------------------- */

/* Read a valid JSON number text into *d. */

void
jnum_dec_read(const char *s, size_t len, struct jnum_dec *d)
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
		d->d1 = fp != NULL ? fp + lz : ip; /* "0": no digits at all */
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

int
jnum_dec_cmp_abs(const struct jnum_dec *a, const struct jnum_dec *b)
{
	size_t na = jnum_dec_ndig(a), nb = jnum_dec_ndig(b), k;

	if (a->zero || b->zero)
		return a->zero == b->zero ? 0 : a->zero ? -1 : 1;
	if (a->exp != b->exp)
		return a->exp < b->exp ? -1 : 1;
	for (k = 0; k < na && k < nb; k++) {
		int x = jnum_dec_dig(a, k), y = jnum_dec_dig(b, k);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return na == nb ? 0 : na < nb ? -1 : 1;
}

static int
dec_cmp(const struct jnum_dec *a, const struct jnum_dec *b)
{
	int sa = a->zero ? 0 : a->neg ? -1 : 1;
	int sb = b->zero ? 0 : b->neg ? -1 : 1, r;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	r = jnum_dec_cmp_abs(a, b);
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
jnum_dec_cmp_small(const char *a, size_t alen, long long j)
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
	return jnum_dec_cmp(a, alen, b, (size_t)n);
}

int
jnum_small_int(const char *s, size_t len, long long *out)
{
	return small_int(s, len, out);
}

int
jnum_dec_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	struct jnum_dec x, y;
	long long i, j;
	int r;

	if (small_int(b, blen, &j)) {
		if (small_int(a, alen, &i))
			return i < j ? -1 : i > j;
		if (plain_vs_int(a, alen, j, &r))
			return r;
	}
	jnum_dec_read(a, alen, &x);
	jnum_dec_read(b, blen, &y);
	return dec_cmp(&x, &y);
}

size_t
jnum_dec_hash(const char *s, size_t len)
{
	struct jnum_dec d;
	size_t h = 5381, k;
	unsigned long long e;

	jnum_dec_read(s, len, &d);
	h = h * 33 + (size_t)d.neg;
	for (k = 0; k < jnum_dec_ndig(&d); k++)
		h = h * 33 + (size_t)jnum_dec_dig(&d, k);
	e = (unsigned long long)d.exp;
	for (k = 0; k < 8; k++, e >>= 8)
		h = h * 33 + (size_t)(e & 0xff);
	return h;
}

int
jnum_dec_is_integer(const char *s, size_t len)
{
	struct jnum_dec d;
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			break;
	if (i == len)
		return 1;
	jnum_dec_read(s, len, &d);
	return d.zero || d.exp >= (long long)jnum_dec_ndig(&d);
}
