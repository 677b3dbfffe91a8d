/*
 * schema-check.c -- evaluate a compiled keyword tree (schema-int.h)
 * against a JSON value, collecting errors with their locations.
 *
 * The value is read from the scanner's tape (json-scan.h), never from a
 * jansson tree: an event that comes straight from the input is validated
 * where it lies, without an allocation per value, and numbers keep their
 * exact text (schema-num.c).  A jansson value (an event a stage rebuilt,
 * a schema checked against its meta-schema) is first written as text with
 * exact numbers and scanned; that costs one pass of the fastest code here
 * and keeps one evaluator.
 *
 * Objects: an object with a duplicate key is what jq (and jansson, and
 * JSON.parse) make of it: the last occurrence wins, the earlier ones do
 * not exist.  Each object evaluated gets a small key index (struct oview)
 * that answers lookups in O(1) and says which members are shadowed.
 *
 * Locations are chains of segments on the C stack, turned into JSON
 * Pointers only when an error is recorded, so a valid value costs no
 * string building.  unevaluatedProperties/unevaluatedItems need the
 * annotations of the subschemas that passed; they are gathered in a
 * struct ann only below a schema object that has one of those keywords.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "json/jnum.h"
#include "json/json-scan.h"
#include "json/json-text.h"
#include "lib/regex.h"
#include "schema-int.h"
#include "schema.h"
#include "lib/xmalloc.h"

/* Deepest chain of schema evaluations. */
#define CHECK_MAX_DEPTH 3000
/* Most schema objects evaluated for one value: bounds schemas whose
 * applicators multiply (anyOf of anyOf of ...). */
#define CHECK_MAX_STEPS 5000000

typedef struct jscan_val ival;

/*
 * Inline readers of the tape (json-scan.h exposes its layout for this):
 * every handle here is valid, so they skip the checks of the jscan_*
 * functions, which were a fifth of the time spent per event.
 */
static inline enum jscan_type
ity(ival x)
{
	return (enum jscan_type)jscan_node_at(x)->type;
}

static inline const char *
iraw(ival x, size_t *len)
{
	const struct jscan_node *n = jscan_node_at(x);

	*len = n->end - n->start;
	return x.js->line + n->start;
}

/* 1 if string x has escapes. */
static inline int
iesc(ival x)
{
	return (jscan_node_at(x)->flags & JSCAN_NF_ESC) != 0;
}

static inline int
inumint(ival x)
{
	return (jscan_node_at(x)->flags & JSCAN_NF_INT) != 0;
}

static inline size_t
icount(ival x)
{
	return jscan_node_at(x)->count;
}

/* The contents of string x: in the line, or unescaped into scratch. */
static inline const char *
istr(ival x, struct buf *scratch, size_t *len)
{
	const struct jscan_node *n = jscan_node_at(x);

	if (n->flags & JSCAN_NF_ESC)
		return jscan_str(x, scratch, len);
	*len = n->end - n->start - 2;
	return x.js->line + n->start + 1;
}

struct iit {
	const struct jscan *js;
	uint32_t pos, end;
	int object;
};

static inline void
iit_init(struct iit *it, ival x)
{
	const struct jscan_node *n = jscan_node_at(x);

	it->js = x.js;
	it->pos = it->end = 0;
	it->object = n->type == JSCAN_OBJECT;
	if (n->type == JSCAN_ARRAY || n->type == JSCAN_OBJECT) {
		it->pos = x.i + 1;
		it->end = n->next;
	}
}

static inline int
iit_next(struct iit *it, ival *key, ival *val)
{
	if (it->pos >= it->end)
		return 0;
	if (it->object) {
		if (key) {
			key->js = it->js;
			key->i = it->pos;
		}
		it->pos++;
	}
	val->js = it->js;
	val->i = it->pos;
	it->pos = it->js->tape[it->pos].next;
	return 1;
}

/* One step of a location: a schema name, an array index or an instance
 * key (a string handle on the tape). */
struct seg {
	const struct seg *up;
	const char *s; /* a name; NULL: index i, or key when key.js */
	size_t i;
	ival key;
};

struct ann {
	int all_props, all_items;
	uint32_t *props; /* tape indices of the evaluated members' keys */
	size_t nprops, capprops;
	size_t upto; /* items [0, upto) evaluated */
	unsigned char *seen;
	size_t nseen;
};

struct vctx {
	struct schema *sc;
	struct jscan *js;	    /* the instance's scanner */
	struct schema_errors *errs; /* NULL: stop at the first error */
	int depth;
	unsigned long steps;
	int aborted;   /* a limit was hit: everything fails from now on */
	int limit_hit; /* reporting that limit */
	struct schema_errors *root_errs; /* where a limit is reported */
	int in_branch; /* collecting why anyOf/oneOf branches failed */
};

static int eval(struct vctx *, struct snode *, ival, const struct seg *,
		const struct seg *, struct ann *);
static int eval_scalar(struct vctx *, struct snode *, ival, const struct seg *,
		       const struct seg *);

/* eval() of a value inside inst: a leaf without the call's bookkeeping. */
static inline int
eval_child(struct vctx *v, struct snode *n, ival inst, const struct seg *ip,
	   const struct seg *kp)
{
	if (n->leaf && !v->aborted && v->steps < CHECK_MAX_STEPS) {
		v->steps++;
		return eval_scalar(v, n, inst, ip, kp);
	}
	return eval(v, n, inst, ip, kp, NULL);
}

/* ---- objects: key index ------------------------------------------------- */

/* One member of an object being evaluated. */
struct omem {
	const char *k; /* unescaped key (into the line, or into kbuf) */
	size_t klen;
	size_t hash;  /* schema_name_hash(k, klen) */
	uint32_t key; /* tape index of the key */
	uint32_t val; /* tape index of the value */
	int shadowed; /* a later member has the same key */
	int inbuf;    /* k is an offset into oview.kbuf until fixed */
};

/* The members of one object: in sc->omem[base, base + n), with a hash of
 * the distinct keys in sc->oslot[hbase, hbase + hcap). */
struct oview {
	size_t base, n, hbase, hcap;
	size_t count; /* distinct keys */
	struct buf kbuf;
};

static void
oview_reserve(struct schema *sc, size_t nm, size_t nh)
{
	if (sc->otop + nm > sc->omcap) {
		while (sc->otop + nm > sc->omcap)
			sc->omcap = sc->omcap ? 2 * sc->omcap : 64;
		sc->omem = xreallocarray(sc->omem, sc->omcap, sizeof *sc->omem);
	}
	if (sc->htop + nh > sc->ohcap) {
		while (sc->htop + nh > sc->ohcap)
			sc->ohcap = sc->ohcap ? 2 * sc->ohcap : 128;
		sc->oslot =
			xreallocarray(sc->oslot, sc->ohcap, sizeof *sc->oslot);
	}
}

static void
oview_build(struct schema *sc, ival o, struct oview *ov)
{
	struct iit it;
	ival k, v;
	size_t n = icount(o), i, h, cap = 4, nesc = 0;

	while (cap < 2 * n)
		cap *= 2;
	ov->n = n;
	ov->count = n;
	ov->base = sc->otop;
	ov->hbase = sc->htop;
	ov->hcap = cap;
	buf_init(&ov->kbuf);
	oview_reserve(sc, n, cap);
	sc->otop += n;
	sc->htop += cap;
	memset(sc->oslot + ov->hbase, 0, cap * sizeof *sc->oslot);
	iit_init(&it, o);
	for (i = 0; iit_next(&it, &k, &v); i++) {
		struct omem *m = &sc->omem[ov->base + i];
		size_t len;
		const char *raw = iraw(k, &len);

		m->key = k.i;
		m->val = v.i;
		m->shadowed = 0;
		if (iesc(k)) {
			/* offset into kbuf for now: it may still move */
			struct buf tmp = BUF_INIT;
			const char *s = istr(k, &tmp, &m->klen);

			m->k = (const char *)(uintptr_t)ov->kbuf.len;
			buf_add(&ov->kbuf, s, m->klen);
			buf_release(&tmp);
			nesc++;
			m->inbuf = 1;
		} else {
			m->k = raw + 1;
			m->klen = len - 2;
			m->inbuf = 0;
		}
	}
	for (i = 0; i < n; i++) {
		struct omem *m = &sc->omem[ov->base + i];
		uint32_t *slot;

		if (nesc && m->inbuf)
			m->k = ov->kbuf.data + (uintptr_t)m->k;
		m->hash = schema_name_hash(m->k, m->klen);
		for (h = m->hash & (cap - 1);; h = (h + 1) & (cap - 1)) {
			slot = &sc->oslot[ov->hbase + h];
			if (*slot == 0) {
				*slot = (uint32_t)i + 1;
				break;
			}
			{
				struct omem *q =
					&sc->omem[ov->base + *slot - 1];

				if (q->hash == m->hash && q->klen == m->klen &&
				    memcmp(q->k, m->k, m->klen) == 0) {
					q->shadowed = 1;
					ov->count--;
					*slot = (uint32_t)i + 1;
					break;
				}
			}
		}
	}
}

static void
oview_release(struct schema *sc, struct oview *ov)
{
	sc->otop = ov->base;
	sc->htop = ov->hbase;
	buf_release(&ov->kbuf);
}

static inline struct omem *
oview_mem(struct schema *sc, const struct oview *ov, size_t i)
{
	return &sc->omem[ov->base + i];
}

/* The value of member name (len bytes, hash h), or JSCAN_ABSENT. */
static uint32_t
oview_get(struct schema *sc, const struct oview *ov, const char *name,
	  size_t len, size_t hash)
{
	size_t h, cap = ov->hcap;

	for (h = hash & (cap - 1);; h = (h + 1) & (cap - 1)) {
		uint32_t slot = sc->oslot[ov->hbase + h];
		struct omem *m;

		if (slot == 0)
			return JSCAN_ABSENT;
		m = &sc->omem[ov->base + slot - 1];
		if (m->hash == hash && m->klen == len &&
		    memcmp(m->k, name, len) == 0)
			return m->val;
	}
}

static inline ival
mkival(const struct jscan *js, uint32_t i)
{
	ival v = { js, i };

	return v;
}

/* ---- numbers and equality ----------------------------------------------- */

static int
is_integer(ival x)
{
	size_t len;
	const char *s;

	if (inumint(x))
		return 1;
	s = iraw(x, &len);
	return jnum_dec_is_integer(s, len);
}

static int
num_cmp(ival x, const struct snum *n)
{
	size_t len;
	const char *s = iraw(x, &len);

	if (n->small)
		return jnum_dec_cmp_small(s, len, n->iv);
	return jnum_dec_cmp(s, len, n->text, n->len);
}

static int equal(struct schema *sc, ival a, ival b);

static int
equal_objects(struct schema *sc, ival a, ival b)
{
	struct oview oa, ob;
	size_t i;
	int eq = 1;

	if (icount(a) == 0 || icount(b) == 0)
		return icount(a) == icount(b);
	oview_build(sc, a, &oa);
	oview_build(sc, b, &ob);
	if (oa.count != ob.count)
		eq = 0;
	for (i = 0; eq && i < oa.n; i++) {
		struct omem m = *oview_mem(sc, &oa, i);
		uint32_t w;

		if (m.shadowed)
			continue;
		w = oview_get(sc, &ob, m.k, m.klen, m.hash);
		if (w == JSCAN_ABSENT ||
		    !equal(sc, mkival(a.js, m.val), mkival(b.js, w)))
			eq = 0;
	}
	oview_release(sc, &ob);
	oview_release(sc, &oa);
	return eq;
}

/* JSON equality: numbers by value (1 == 1.0), objects unordered. */
static int
equal(struct schema *sc, ival a, ival b)
{
	enum jscan_type t = ity(a);
	const char *x, *y;
	size_t xl, yl;

	if (t != ity(b))
		return 0;
	switch (t) {
	case JSCAN_NUMBER:
		x = iraw(a, &xl);
		y = iraw(b, &yl);
		return jnum_dec_cmp(x, xl, y, yl) == 0;
	case JSCAN_STRING:
		x = iraw(a, &xl);
		y = iraw(b, &yl);
		if (!iesc(a) && !iesc(b))
			return xl == yl && memcmp(x, y, xl) == 0;
		{
			struct buf ba = BUF_INIT, bb = BUF_INIT;
			int eq;

			x = istr(a, &ba, &xl);
			y = istr(b, &bb, &yl);
			eq = xl == yl && memcmp(x, y, xl) == 0;
			buf_release(&ba);
			buf_release(&bb);
			return eq;
		}
	case JSCAN_BOOL:
		return jscan_bool(a) == jscan_bool(b);
	case JSCAN_ARRAY: {
		struct iit ia, ib;
		ival ea, eb;

		if (icount(a) != icount(b))
			return 0;
		iit_init(&ia, a);
		iit_init(&ib, b);
		while (iit_next(&ia, NULL, &ea) && iit_next(&ib, NULL, &eb))
			if (!equal(sc, ea, eb))
				return 0;
		return 1;
	}
	case JSCAN_OBJECT:
		return equal_objects(sc, a, b);
	default:
		return 1; /* null */
	}
}

/* ---- plans: fast paths prepared at compile time ------------------------ */

static void
enum_put(struct snode *n, struct sstr *e)
{
	size_t h;

	for (h = e->hash & (n->enum_scap - 1); n->enum_str[h].used;
	     h = (h + 1) & (n->enum_scap - 1))
		;
	n->enum_str[h] = *e;
	n->enum_str[h].used = 1;
}

void
schema_node_plan(struct snode *n)
{
	size_t i, k;

	if (n->enum_c) {
		ival root = jscan_root(&n->enum_c->js), e;
		struct iit it;
		size_t cnt = icount(root);

		/* at most two thirds full: short probes, and a big schema
		 * of small enums does not spend most of its memory here */
		n->enum_scap = 4;
		while (n->enum_scap < cnt + cnt / 2 + 1)
			n->enum_scap *= 2;
		n->enum_str = xcalloc(n->enum_scap, sizeof *n->enum_str);
		n->enum_other = xcalloc(cnt ? cnt : 1, sizeof *n->enum_other);
		iit_init(&it, root);
		while (iit_next(&it, NULL, &e)) {
			struct sstr ss = { 0 };
			struct buf b = BUF_INIT;

			if (ity(e) == JSCAN_NUMBER) {
				ss.s = iraw(e, &ss.len);
				ss.hash = jnum_dec_hash(ss.s, ss.len);
				ss.number = 1;
				enum_put(n, &ss);
				n->enum_nstr++;
				continue;
			}
			if (ity(e) != JSCAN_STRING) {
				n->enum_other[n->enum_nother++] = e.i;
				continue;
			}
			if (iesc(e)) {
				istr(e, &b, &ss.len);
				ss.s = buf_detach(&b, NULL);
				ss.owned = 1;
			} else {
				ss.s = istr(e, &b, &ss.len);
			}
			ss.hash = schema_name_hash(ss.s, ss.len);
			enum_put(n, &ss);
			n->enum_nstr++;
		}
	}
	n->kw = (n->types ? KW_TYPE : 0) |
		(n->enum_c || n->const_c ? KW_ENUM : 0) |
		(n->num ? KW_NUM : 0) |
		(n->min_length >= 0 || n->max_length >= 0 || n->pattern ||
				 n->format_fn || n->content_encoding ||
				 n->content_type
			 ? KW_STR
			 : 0) |
		(n->min_items >= 0 || n->max_items >= 0 || n->unique_items ||
				 n->nprefix || n->items_rest || n->contains
			 ? KW_ARR
			 : 0) |
		(n->min_props >= 0 || n->max_props >= 0 || n->required ||
				 n->ndep_req || n->ndep_schemas ||
				 n->prop_names || n->nprops || n->npprops ||
				 n->addl_props
			 ? KW_OBJ
			 : 0) |
		(n->nall_of || n->nany_of || n->none_of || n->not_ || n->if_
			 ? KW_APPL
			 : 0) |
		(n->uneval_items || n->uneval_props ? KW_UNEVAL : 0);
	n->leaf = !(n->kw & ~(unsigned)(KW_TYPE | KW_ENUM | KW_NUM | KW_STR)) &&
		  !n->ref_uri && !n->dynref_uri && !n->recursive_ref &&
		  !n->needs_ann;
	/* the object fast path */
	n->nreq = n->required ? json_array_size(n->required) : 0;
	if (n->nprops > 0 && n->nprops <= 64 && n->npprops == 0 &&
	    !n->addl_props && !n->prop_names && n->min_props < 0 &&
	    n->max_props < 0 && n->ndep_req == 0 && n->ndep_schemas == 0 &&
	    n->prop_hash) {
		n->req_prop = xcalloc(n->nreq ? n->nreq : 1, 1);
		memset(n->prop_guess, 0xff, sizeof n->prop_guess);
		for (i = 0; i < n->nreq; i++) {
			json_t *w = json_array_get(n->required, i);

			for (k = 0; k < n->nprops; k++)
				if (n->props[k].len == json_string_length(w) &&
				    memcmp(n->props[k].name,
					   json_string_value(w),
					   n->props[k].len) == 0)
					break;
			if (k == n->nprops)
				break;
			n->req_prop[i] = (unsigned char)k;
		}
		n->fast_obj = i == n->nreq;
	}
}

void
schema_node_plan_free(struct snode *n)
{
	size_t i;

	for (i = 0; i < n->enum_scap; i++)
		if (n->enum_str[i].owned)
			free((char *)n->enum_str[i].s);
	free(n->enum_str);
	free(n->enum_other);
	free(n->req_prop);
}

/* Is inst one of the enum's values? */
static int
enum_has(struct vctx *v, struct snode *n, ival inst)
{
	size_t i;

	if (ity(inst) == JSCAN_STRING || ity(inst) == JSCAN_NUMBER) {
		int number = ity(inst) == JSCAN_NUMBER;
		size_t len, h, hash;
		const char *s;

		if (n->enum_nstr == 0)
			return 0;
		if (number) {
			s = iraw(inst, &len);
			hash = jnum_dec_hash(s, len);
		} else {
			s = istr(inst, &v->sc->str, &len);
			hash = schema_name_hash(s, len);
		}
		for (h = hash & (n->enum_scap - 1); n->enum_str[h].used;
		     h = (h + 1) & (n->enum_scap - 1)) {
			const struct sstr *e = &n->enum_str[h];

			if (e->hash != hash || e->number != number)
				continue;
			if (number ? jnum_dec_cmp(e->s, e->len, s, len) == 0
				   : e->len == len && memcmp(e->s, s, len) == 0)
				return 1;
		}
		return 0;
	}
	for (i = 0; i < n->enum_nother; i++)
		if (equal(v->sc, inst,
			  mkival(&n->enum_c->js, n->enum_other[i])))
			return 1;
	return 0;
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
	if (s == NULL)
		return;
	seg_pointer(s->up, out);
	buf_addc(out, '/');
	if (s->s) {
		schema_ptr_add(out, s->s, strlen(s->s));
	} else if (s->key.js) {
		struct buf kb = BUF_INIT;
		size_t len;
		const char *k = istr(s->key, &kb, &len);

		schema_ptr_add(out, k, len);
		buf_release(&kb);
	} else {
		buf_addf(out, "%zu", s->i);
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
	return buf_detach(&b, NULL);
}

/* A short rendering of text for messages. */
static void
show_text(const char *s, size_t l, char *out, size_t n)
{
	if (l >= n)
		snprintf(out, n, "%.*s...", (int)(n - 4), s);
	else
		snprintf(out, n, "%.*s", (int)l, s);
}

/* A short rendering of a value for messages: numbers as written, other
 * values as jansson writes them. */
static void
show(struct vctx *v, ival x, char *out, size_t n)
{
	json_t *j;
	char *s;
	size_t len;

	if (ity(x) == JSCAN_NUMBER) {
		const char *raw = iraw(x, &len);

		show_text(raw, len, out, n);
		return;
	}
	j = jscan_json(v->js, x, NULL); /* only instances are shown */
	s = j ? jtext_dumps(j) : NULL;
	json_decref(j);
	if (s == NULL) {
		snprintf(out, n, "(value)");
		return;
	}
	show_text(s, strlen(s), out, n);
	free(s);
}

static void
show_num(const struct snum *sn, char *out, size_t n)
{
	show_text(sn->text, sn->len, out, n);
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
	er->absolute = xasprintf("%s#%s%s%s", n->res->uri, n->ptr,
				 kw ? "/" : "", kw ? kw : "");
	er->kw = kw ? kw : v->limit_hit ? "limit" : "false";
	er->message = xstrdup(msg);
	er->branch = v->in_branch > 0;
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
ann_prop(struct ann *a, uint32_t k)
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
ann_has_prop(const struct ann *a, uint32_t k)
{
	size_t i;

	if (a->all_props)
		return 1;
	for (i = 0; i < a->nprops; i++)
		if (a->props[i] == k)
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
eval_inplace(struct vctx *v, struct snode *n, ival inst, const struct seg *ip,
	     const struct seg *kp, struct ann *a)
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
probe(struct vctx *v, struct snode *n, ival inst, const struct seg *ip,
      const struct seg *kp, struct ann *a)
{
	struct schema_errors *saved = v->errs;
	int ok;

	v->errs = NULL;
	ok = eval_inplace(v, n, inst, ip, kp, a);
	v->errs = saved;
	return ok;
}

/*
 * After an anyOf or oneOf that no branch matched: evaluate each branch
 * again, errors on, so the report says why each failed (ajv's way).  Each
 * message starts with the branch ("oneOf/1: ...").  A cold path: only
 * for an event that already failed, and only when asked.
 */
static void
branch_errors(struct vctx *v, struct snode **br, size_t nbr, const char *kw,
	      ival inst, const struct seg *ip, struct seg *ks2)
{
	struct schema_errors *e = v->errs;
	size_t i, k, from;

	if (e == NULL || !e->branches || v->aborted)
		return;
	v->in_branch++;
	for (i = 0; i < nbr; i++) {
		from = e->n;
		ks2->i = i;
		(void)eval_inplace(v, br[i], inst, ip, ks2, NULL);
		for (k = from; k < e->n; k++) {
			char *m =
				xasprintf("%s/%zu: %s", kw, i, e->v[k].message);

			free(e->v[k].message);
			e->v[k].message = m;
		}
	}
	v->in_branch--;
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

/* The TYPE_* bits of a value. */
static unsigned
type_bits(ival x)
{
	switch (ity(x)) {
	case JSCAN_NULL:
		return TYPE_NULL;
	case JSCAN_BOOL:
		return TYPE_BOOLEAN;
	case JSCAN_OBJECT:
		return TYPE_OBJECT;
	case JSCAN_ARRAY:
		return TYPE_ARRAY;
	case JSCAN_STRING:
		return TYPE_STRING;
	case JSCAN_NUMBER:
		return is_integer(x) ? TYPE_NUMBER | TYPE_INTEGER : TYPE_NUMBER;
	case JSCAN_NONE:
		break;
	}
	return 0;
}

static int
check_type(struct snode *n, ival inst)
{
	unsigned t;

	/* "number" alone needs no integer test */
	if (ity(inst) == JSCAN_NUMBER && (n->types & TYPE_NUMBER))
		return 1;
	t = type_bits(inst);
	return (n->types & t) != 0;
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
eval_number(struct vctx *v, struct snode *n, ival inst, const struct seg *ip,
	    const struct seg *kp)
{
	const struct snums *q = n->num;
	char a[80], b[80];
	int ok = 1;

	if (q == NULL)
		return 1;
	if (q->max.text && num_cmp(inst, &q->max) > 0) {
		show(v, inst, a, sizeof a);
		show_num(&q->max, b, sizeof b);
		ok = fail(v, n, ip, kp, "maximum",
			  "%s is greater than the maximum of %s", a, b);
	}
	if (q->xmax.text && num_cmp(inst, &q->xmax) >= 0) {
		show(v, inst, a, sizeof a);
		show_num(&q->xmax, b, sizeof b);
		ok = fail(v, n, ip, kp, "exclusiveMaximum",
			  "%s is not less than the exclusive maximum of %s", a,
			  b);
	}
	if (q->min.text && num_cmp(inst, &q->min) < 0) {
		show(v, inst, a, sizeof a);
		show_num(&q->min, b, sizeof b);
		ok = fail(v, n, ip, kp, "minimum",
			  "%s is less than the minimum of %s", a, b);
	}
	if (q->xmin.text && num_cmp(inst, &q->xmin) <= 0) {
		show(v, inst, a, sizeof a);
		show_num(&q->xmin, b, sizeof b);
		ok = fail(v, n, ip, kp, "exclusiveMinimum",
			  "%s is not greater than the exclusive minimum of %s",
			  a, b);
	}
	if (q->mult.text) {
		size_t len;
		const char *s = iraw(inst, &len);

		if (!schema_dec_multiple(s, len, q->mult.text, q->mult.len)) {
			show(v, inst, a, sizeof a);
			show_num(&q->mult, b, sizeof b);
			ok = fail(v, n, ip, kp, "multipleOf",
				  "%s is not a multiple of %s", a, b);
		}
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
eval_content(struct vctx *v, struct snode *n, const char *s, size_t len,
	     const struct seg *ip, const struct seg *kp)
{
	struct buf dec = BUF_INIT;
	int ok = 1;

	if (n->content_encoding &&
	    strcasecmp(n->content_encoding, "base64") == 0) {
		if (b64_decode(s, len, &dec) < 0) {
			buf_release(&dec);
			return fail(v, n, ip, kp, "contentEncoding",
				    "value is not valid base64");
		}
		s = dec.data;
		len = dec.len;
	}
	if (n->content_type &&
	    strcasecmp(n->content_type, "application/json") == 0) {
		/* the scanner's verdict, as for events: any number is
		 * JSON, however big */
		struct jscan js;
		struct errbuf eb = { 0 };

		jscan_init(&js);
		if (jscan_check(&js, s, len, &eb) == -1)
			ok = fail(v, n, ip, kp, "contentMediaType",
				  "value is not a valid JSON document: %s",
				  eb.msg);
		jscan_release(&js);
		errbuf_clear(&eb);
	}
	buf_release(&dec);
	return ok;
}

static int
eval_string(struct vctx *v, struct snode *n, ival inst, const struct seg *ip,
	    const struct seg *kp)
{
	size_t len, cps;
	const char *s = istr(inst, &v->sc->str, &len);
	char a[80];
	int ok = 1, r;

	/* a string has between len / 4 and len code points: count them only
	 * when that does not decide */
	if ((n->min_length >= 0 && len / 4 < (size_t)n->min_length) ||
	    (n->max_length >= 0 && len > (size_t)n->max_length)) {
		cps = utf8_len(s, len);
		if (n->min_length >= 0 && cps < (size_t)n->min_length) {
			show(v, inst, a, sizeof a);
			ok = fail(v, n, ip, kp, "minLength",
				  "%s is shorter than %lld characters", a,
				  n->min_length);
		}
		if (n->max_length >= 0 && cps > (size_t)n->max_length) {
			show(v, inst, a, sizeof a);
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
			show(v, inst, a, sizeof a);
			ok = fail(v, n, ip, kp, "pattern",
				  "%s does not match the pattern /%s/", a,
				  regex_source(n->pattern));
		}
	}
	if (n->format_fn &&
	    (v->sc->format_assert || (n->voc & VOC_FORMAT_ASRT)) &&
	    n->format_fn(s, len) == 0) {
		show(v, inst, a, sizeof a);
		ok = fail(v, n, ip, kp, "format", "%s is not a valid %s", a,
			  n->format);
	}
	if ((n->content_encoding || n->content_type) && v->sc->format_assert &&
	    !eval_content(v, n, s, len, ip, kp))
		ok = 0;
	return ok;
}

/* The elements of array x as tape indices, into a new array. */
static uint32_t *
array_elems(ival x, size_t *np)
{
	size_t n = icount(x), i = 0;
	uint32_t *e = xreallocarray(NULL, n ? n : 1, sizeof *e);
	struct iit it;
	ival el;

	iit_init(&it, x);
	while (iit_next(&it, NULL, &el))
		e[i++] = el.i;
	*np = i;
	return e;
}

static int
eval_array(struct vctx *v, struct snode *n, ival inst, const struct seg *ip,
	   const struct seg *kp, struct ann *a)
{
	size_t size = icount(inst), i, j, matched = 0;
	struct seg ks, ks2, is;
	struct iit it;
	ival el;
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
	if (n->unique_items && size > 1) {
		uint32_t *e = array_elems(inst, &size);

		for (i = 1; i < size && ok; i++)
			for (j = 0; j < i; j++)
				if (equal(v->sc, mkival(inst.js, e[i]),
					  mkival(inst.js, e[j]))) {
					ok = fail(v, n, ip, kp, "uniqueItems",
						  "items %zu and %zu are equal",
						  j, i);
					break;
				}
		free(e);
		if (!ok && !v->errs)
			return 0;
	}
	ks.up = kp;
	ks.key.js = NULL;
	is.up = ip;
	is.s = NULL;
	is.key.js = NULL;
	ks2.key.js = NULL;
	if (n->nprefix) {
		ks.s = n->dialect == SCHEMA_DRAFT2020_12 ? "prefixItems"
							 : "items";
		ks2.up = &ks;
		ks2.s = NULL;
		iit_init(&it, inst);
		for (i = 0; i < n->nprefix && iit_next(&it, NULL, &el); i++) {
			is.i = ks2.i = i;
			if (!eval_child(v, n->prefix[i], el, &is, &ks2)) {
				ok = 0;
				if (!v->errs)
					return 0;
			}
		}
		if (a && i > a->upto)
			a->upto = i;
	}
	if (n->items_rest && size > n->nprefix) {
		ks.s = n->nprefix && n->dialect != SCHEMA_DRAFT2020_12
			       ? "additionalItems"
			       : "items";
		iit_init(&it, inst);
		for (i = 0; iit_next(&it, NULL, &el); i++) {
			if (i < n->nprefix)
				continue;
			is.i = i;
			if (!eval_child(v, n->items_rest, el, &is, &ks)) {
				ok = 0;
				if (!v->errs)
					return 0;
			}
		}
		if (a)
			a->all_items = 1;
	}
	if (n->contains) {
		int track = a && n->dialect == SCHEMA_DRAFT2020_12;

		ks.s = "contains";
		iit_init(&it, inst);
		for (i = 0; iit_next(&it, NULL, &el); i++) {
			is.i = i;
			if (probe(v, n->contains, el, &is, &ks, NULL)) {
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

/* The index in n->props of the property named k (klen bytes, hash h), or
 * n->nprops. */
static size_t
prop_find(const struct snode *n, const char *k, size_t klen, size_t h)
{
	size_t i, mask = n->prop_hcap - 1;

	for (h &= mask; n->prop_hash[h]; h = (h + 1) & mask) {
		i = n->prop_hash[h] - 1;
		if (n->props[i].len == klen &&
		    memcmp(n->props[i].name, k, klen) == 0)
			return i;
	}
	return n->nprops;
}

/* Does the object have this member? */
static int
has_member(struct schema *sc, const struct oview *ov, const char *name,
	   size_t len)
{
	return oview_get(sc, ov, name, len, schema_name_hash(name, len)) !=
	       JSCAN_ABSENT;
}

static int
eval_object_body(struct vctx *v, struct snode *n, ival inst,
		 const struct seg *ip, const struct seg *kp, struct ann *a,
		 const struct oview *ov)
{
	struct schema *sc = v->sc;
	size_t size = ov->count, i, k;
	struct seg ks, ks2, is;
	json_t *w;
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
		json_array_foreach(n->required, i, w) {
			if (!has_member(sc, ov, json_string_value(w),
					json_string_length(w)))
				ok = fail(v, n, ip, kp, "required",
					  "required property \"%s\" is missing",
					  json_string_value(w));
		}
	}
	for (i = 0; i < n->ndep_req; i++) {
		if (!has_member(sc, ov, n->dep_req[i].name,
				strlen(n->dep_req[i].name)))
			continue;
		json_array_foreach(n->dep_req[i].list, k, w) {
			if (json_is_string(w) &&
			    !has_member(sc, ov, json_string_value(w),
					json_string_length(w)))
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
	ks.key.js = NULL;
	ks2.up = &ks;
	ks2.s = NULL;
	ks2.key.js = NULL;
	is.up = ip;
	is.s = NULL;
	is.key.js = NULL;
	for (i = 0; i < n->ndep_schemas; i++) {
		if (!has_member(sc, ov, n->dep_schemas[i].name,
				n->dep_schemas[i].len))
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
		for (i = 0; i < ov->n; i++) {
			struct omem *m = oview_mem(sc, ov, i);

			if (m->shadowed)
				continue;
			if (!eval(v, n->prop_names, mkival(inst.js, m->key), ip,
				  &ks, NULL)) {
				ok = 0;
				if (!v->errs)
					return 0;
			}
		}
	}
	if (n->nprops || n->npprops || n->addl_props) {
		for (i = 0; i < ov->n; i++) {
			/* copied: evaluating the value may move sc->omem */
			struct omem m = *oview_mem(sc, ov, i);
			ival val = mkival(inst.js, m.val);
			int hit = 0;

			if (m.shadowed)
				continue;
			is.key = mkival(inst.js, m.key);
			k = n->prop_hash ? prop_find(n, m.k, m.klen, m.hash)
					 : n->nprops;
			if (k < n->nprops) {
				hit = 1;
				ks.s = "properties";
				ks2.s = n->props[k].name;
				if (!eval_child(v, n->props[k].s, val, &is,
						&ks2)) {
					ok = 0;
					if (!v->errs)
						return 0;
				}
			}
			for (k = 0; k < n->npprops; k++) {
				struct errbuf eb;
				int r = regex_search(n->pprops[k].re, m.k,
						     m.klen, &eb);

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
				if (!eval_child(v, n->pprops[k].s, val, &is,
						&ks2)) {
					ok = 0;
					if (!v->errs)
						return 0;
				}
			}
			if (hit) {
				ann_prop(a, m.key);
				continue;
			}
			if (n->addl_props == NULL)
				continue;
			ann_prop(a, m.key);
			if (n->addl_props->boolean == 0) {
				ok = fail(v, n, ip, kp, "additionalProperties",
					  "property \"%.*s\" is not allowed",
					  (int)m.klen, m.k);
			} else {
				ks.s = "additionalProperties";
				if (!eval_child(v, n->addl_props, val, &is,
						&ks))
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

/* Most members the object fast path takes. */
#define FAST_MAX_MEMBERS SCHEMA_FAST_MEMBERS

/*
 * The object fast path (n->fast_obj: properties and required only): one
 * pass maps members to properties and proves there is no duplicate among
 * them (a duplicate of a key that no keyword looks at changes nothing),
 * then the values are evaluated.  Returns -1, having done nothing, when
 * the object needs the general path (many members, escaped keys or a
 * duplicate property).
 */
static int
eval_object_fast(struct vctx *v, struct snode *n, ival inst,
		 const struct seg *ip, const struct seg *kp, struct ann *a)
{
	unsigned char pidx[FAST_MAX_MEMBERS];
	uint64_t seen = 0;
	struct iit it;
	struct seg ks, ks2, is;
	ival key, val;
	size_t i, m = 0;
	int ok = 1;

	if (icount(inst) > FAST_MAX_MEMBERS)
		return -1;
	iit_init(&it, inst);
	while (iit_next(&it, &key, &val)) {
		size_t len, k;
		const char *raw = iraw(key, &len);

		if (iesc(key))
			return -1;
		/* members usually come in the same order event after event */
		k = n->prop_guess[m];
		if (k >= n->nprops || n->props[k].len != len - 2 ||
		    memcmp(n->props[k].name, raw + 1, len - 2) != 0) {
			k = prop_find(n, raw + 1, len - 2,
				      schema_name_hash(raw + 1, len - 2));
			n->prop_guess[m] = (unsigned char)k;
		}
		if (k < n->nprops) {
			if (seen & ((uint64_t)1 << k))
				return -1;
			seen |= (uint64_t)1 << k;
		}
		pidx[m++] = (unsigned char)(k < n->nprops ? k : 0xff);
	}
	for (i = 0; i < n->nreq; i++)
		if (!(seen & ((uint64_t)1 << n->req_prop[i]))) {
			ok = fail(v, n, ip, kp, "required",
				  "required property \"%s\" is missing",
				  n->props[n->req_prop[i]].name);
			if (!v->errs)
				return 0;
		}
	ks.up = kp;
	ks.s = "properties";
	ks.key.js = NULL;
	ks2.up = &ks;
	ks2.key.js = NULL;
	is.up = ip;
	is.s = NULL;
	iit_init(&it, inst);
	for (i = 0; iit_next(&it, &key, &val); i++) {
		if (pidx[i] == 0xff)
			continue;
		is.key = key;
		ks2.s = n->props[pidx[i]].name;
		ann_prop(a, key.i);
		if (!eval_child(v, n->props[pidx[i]].s, val, &is, &ks2)) {
			ok = 0;
			if (!v->errs)
				return 0;
		}
	}
	return ok;
}

static int
eval_object(struct vctx *v, struct snode *n, ival inst, const struct seg *ip,
	    const struct seg *kp, struct ann *a)
{
	struct oview ov;
	int ok;

	if (n->fast_obj && (ok = eval_object_fast(v, n, inst, ip, kp, a)) >= 0)
		return ok;

	if (n->min_props < 0 && n->max_props < 0 && !n->required &&
	    !n->ndep_req && !n->ndep_schemas && !n->prop_names && !n->nprops &&
	    !n->npprops && !n->addl_props)
		return 1;
	oview_build(v->sc, inst, &ov);
	ok = eval_object_body(v, n, inst, ip, kp, a, &ov);
	oview_release(v->sc, &ov);
	return ok;
}

/*
 * The keywords that look at the value alone: type, enum, const and the
 * number and string keywords.  A schema object with nothing else (a
 * leaf, snode.leaf) is evaluated by this alone.
 */
static int
eval_scalar(struct vctx *v, struct snode *n, ival inst, const struct seg *ip,
	    const struct seg *kp)
{
	char s1[80], s2[80];
	int ok = 1;

	if (n->types && !check_type(n, inst)) {
		show(v, inst, s1, sizeof s1);
		type_list(n->types, s2, sizeof s2);
		fail(v, n, ip, kp, "type", "%s is not of type %s", s1, s2);
		if (!v->errs)
			return 0;
		ok = 0;
	}
	if (!(n->kw & ~(unsigned)KW_TYPE))
		return ok;
	if (n->enum_c && !enum_has(v, n, inst)) {
		show(v, inst, s1, sizeof s1);
		fail(v, n, ip, kp, "enum",
		     "%s is not one of the allowed values", s1);
		if (!v->errs)
			return 0;
		ok = 0;
	}
	if (n->const_c && !equal(v->sc, inst, jscan_root(&n->const_c->js))) {
		show(v, inst, s1, sizeof s1);
		show_text(n->const_c->text, n->const_c->len, s2, sizeof s2);
		fail(v, n, ip, kp, "const", "%s is not the constant %s", s1,
		     s2);
		if (!v->errs)
			return 0;
		ok = 0;
	}
	switch (ity(inst)) {
	case JSCAN_NUMBER:
		if ((n->kw & KW_NUM) && !eval_number(v, n, inst, ip, kp))
			ok = 0;
		break;
	case JSCAN_STRING:
		if ((n->kw & KW_STR) && !eval_string(v, n, inst, ip, kp))
			ok = 0;
		break;
	default:
		break;
	}
	return ok;
}

static int
eval_body(struct vctx *v, struct snode *n, ival inst, const struct seg *ip,
	  const struct seg *kp, struct ann *a)
{
	struct seg ks, ks2;
	char s1[80];
	size_t i, count;
	int ok = 1;

#define STOP()                                                                 \
	do {                                                                   \
		ok = 0;                                                        \
		if (!v->errs)                                                  \
			return 0;                                              \
	} while (0)

	ks.up = kp;
	ks.key.js = NULL;
	ks2.up = &ks;
	ks2.s = NULL;
	ks2.key.js = NULL;
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
	if (!eval_scalar(v, n, inst, ip, kp))
		STOP();
	switch (ity(inst)) {
	case JSCAN_ARRAY:
		if ((n->kw & KW_ARR) && !eval_array(v, n, inst, ip, kp, a))
			STOP();
		break;
	case JSCAN_OBJECT:
		if (!(n->kw & KW_OBJ))
			break;
		if (!eval_object(v, n, inst, ip, kp, a))
			STOP();
		break;
	default:
		break;
	}
	if (!(n->kw & (KW_APPL | KW_UNEVAL)))
		return ok;
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
			branch_errors(v, n->any_of, n->nany_of, "anyOf", inst,
				      ip, &ks2);
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
			branch_errors(v, n->one_of, n->none_of, "oneOf", inst,
				      ip, &ks2);
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
			show(v, inst, s1, sizeof s1);
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
	if (n->uneval_items && ity(inst) == JSCAN_ARRAY && a) {
		struct seg is = { ip, NULL, 0, { NULL, 0 } };
		struct iit it;
		ival el;

		ks.s = "unevaluatedItems";
		iit_init(&it, inst);
		for (i = 0; iit_next(&it, NULL, &el); i++) {
			if (ann_has_item(a, i))
				continue;
			is.i = i;
			if (n->uneval_items->boolean == 0) {
				fail(v, n, ip, kp, "unevaluatedItems",
				     "item %zu is not allowed (unevaluated)",
				     i);
				STOP();
			} else if (!eval(v, n->uneval_items, el, &is, &ks,
					 NULL)) {
				STOP();
			}
		}
		a->all_items = 1;
	}
	if (n->uneval_props && ity(inst) == JSCAN_OBJECT && a) {
		struct seg is = { ip, NULL, 0, { NULL, 0 } };
		struct oview ov;

		ks.s = "unevaluatedProperties";
		oview_build(v->sc, inst, &ov);
		for (i = 0; i < ov.n; i++) {
			struct omem m = *oview_mem(v->sc, &ov, i);

			if (m.shadowed || ann_has_prop(a, m.key))
				continue;
			is.key = mkival(inst.js, m.key);
			if (n->uneval_props->boolean == 0) {
				fail(v, n, ip, kp, "unevaluatedProperties",
				     "property \"%.*s\" is not allowed "
				     "(unevaluated)",
				     (int)m.klen, m.k);
				ok = 0;
			} else if (!eval(v, n->uneval_props,
					 mkival(inst.js, m.val), &is, &ks,
					 NULL)) {
				ok = 0;
			}
			if (!ok && !v->errs)
				break;
		}
		oview_release(v->sc, &ov);
		if (!ok && !v->errs)
			return 0;
		a->all_props = 1;
	}
#undef STOP
	return ok;
}

static int
eval(struct vctx *v, struct snode *n, ival inst, const struct seg *ip,
     const struct seg *kp, struct ann *a)
{
	struct schema *sc = v->sc;
	struct ann local;
	int pushed = 0, ok;

	if (v->aborted)
		return 0;
	if (n->boolean == 1)
		return 1;
	if (n->boolean == 0)
		return fail(v, n, ip, kp, NULL,
			    "no value is allowed here (false schema)");
	if (++v->steps > CHECK_MAX_STEPS)
		return limit(v, n, ip, kp,
			     "schema evaluation took more than %d steps",
			     CHECK_MAX_STEPS);
	/* a leaf refers to nothing: no loop to detect, no scope to keep */
	if (n->leaf)
		return eval_scalar(v, n, inst, ip, kp) && !v->aborted;
	if (v->depth >= CHECK_MAX_DEPTH)
		return limit(
			v, n, ip, kp,
			"schema evaluation nested more than %d levels deep",
			CHECK_MAX_DEPTH);
	/* The same schema object on the same value further up, with no step
	 * into the value in between: a $ref loop that would never end. */
	{
		size_t i = sc->neval;

		while (i > 0 && sc->eval_inst[i - 1] == inst.i) {
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
		sc->eval_inst[sc->neval++] = inst.i;
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
	if (a == NULL && n->needs_ann) {
		memset(&local, 0, sizeof local);
		a = &local;
	}
	ok = eval_body(v, n, inst, ip, kp, a);
	if (a == &local)
		ann_release(&local);
	if (pushed)
		sc->nscope--;
	sc->neval--;
	v->depth--;
	return ok && !v->aborted;
}

/* Validate the value v on js's tape. */
static int
validate_val(struct schema *sc, struct snode *n, struct jscan *js, ival inst,
	     struct schema_errors *out)
{
	struct vctx v = { sc, js, out, 0, 0, 0, 0, out, 0 };

	sc->nscope = 0;
	sc->neval = 0;
	sc->otop = 0;
	sc->htop = 0;
	return eval(&v, n, inst, NULL, NULL, NULL);
}

/* A jansson value: written as text with exact numbers, then scanned. */
static int
validate_json(struct schema *sc, struct snode *n, json_t *inst,
	      const struct numtext *nt, struct schema_errors *out)
{
	struct vctx v = { sc, &sc->scan, out, 0, 0, 0, 0, out, 0 };
	struct errbuf eb;

	buf_reset(&sc->dump);
	if (schema_json_text(nt, inst, &sc->dump) < 0)
		return limit(&v, n, NULL, NULL,
			     "value nested too deeply to validate");
	if (jscan_parse(&sc->scan, sc->dump.data, sc->dump.len, &eb) < 0)
		return limit(&v, n, NULL, NULL, "value cannot be validated: %s",
			     eb.msg);
	return validate_val(sc, n, &sc->scan, jscan_root(&sc->scan), out);
}

int
schema_validate(struct schema *sc, json_t *inst, struct schema_errors *out)
{
	return validate_json(sc, sc->root, inst, NULL, out);
}

int
schema_validate_doc(struct schema *sc, json_t *doc, const struct numtext *nt,
		    struct schema_errors *out)
{
	return validate_json(sc, sc->root, doc, nt, out);
}

int
schema_validate_scan(struct schema *sc, struct jscan *js, struct jscan_val v,
		     struct schema_errors *out)
{
	return validate_val(sc, sc->root, js, v, out);
}
