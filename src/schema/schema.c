/*
 * schema.c -- compile a JSON Schema document into a keyword tree (see
 * schema-int.h), resolve $id/$ref/$anchor, load referenced documents from
 * the bundled meta-schemas or local files, and check a schema against its
 * meta-schema.
 *
 * Every schema object is compiled once; a map from the document's json_t
 * objects to their nodes lets JSON Pointer references find them.  Boolean
 * schemas are not mapped: jansson shares true/false singletons.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/regex.h"
#include "lib/util.h"
#include "json/jnum.h"
#include "json/json-scan.h"
#include "schema-int.h"
#include "schema.h"
#include "lib/xmalloc.h"

/* Deepest schema nesting compiled; jansson stops at 2048 anyway. */
#define SCHEMA_MAX_DEPTH 1000
/* Longest chain of custom meta-schemas followed for $vocabulary. */
#define SCHEMA_MAX_META 8
/* Most documents one schema may pull in through references. */
#define SCHEMA_MAX_DOCS 1000

const char *const schema_type_names[7] = { "null",   "boolean", "object",
					   "array",  "number",	"string",
					   "integer" };

static const char *const schema_dialect_uris[] = {
	NULL,
	"http://json-schema.org/draft-07/schema",
	"https://json-schema.org/draft/2019-09/schema",
	"https://json-schema.org/draft/2020-12/schema",
};

/* Compilation state that is not kept in struct schema. */
struct cctx {
	struct schema *sc;
	struct errbuf *eb;
	struct buf ptr; /* JSON Pointer of the object within its resource */
	int depth;
};

/* Has a signal asked the load to stop?  Then say so in eb. */
static int
load_stopped(const struct schema_opts *o, struct errbuf *eb)
{
	if (o->stop == NULL || *o->stop == 0)
		return 0;
	errbuf_set(eb, STATUS_USAGE, "interrupted while loading the schema");
	return 1;
}

static uint64_t
load_max(const struct schema_opts *o)
{
	return o->max_size ? o->max_size : SCHEMA_MAX_SIZE;
}

/* ---- URIs (RFC 3986) ---------------------------------------------------- */

struct uri {
	const char *scheme, *auth, *path, *query, *frag;
	size_t nscheme, nauth, npath, nquery, nfrag;
	int has_scheme, has_auth, has_query, has_frag;
};

static void
uri_parse(const char *s, struct uri *u)
{
	const char *p = s, *q;

	memset(u, 0, sizeof *u);
	for (q = s; *q && *q != ':' && *q != '/' && *q != '?' && *q != '#'; q++)
		;
	if (*q == ':' && q > s &&
	    ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) {
		u->has_scheme = 1;
		u->scheme = s;
		u->nscheme = q - s;
		p = q + 1;
	}
	if (p[0] == '/' && p[1] == '/') {
		u->has_auth = 1;
		u->auth = p + 2;
		for (q = u->auth; *q && *q != '/' && *q != '?' && *q != '#';
		     q++)
			;
		u->nauth = q - u->auth;
		p = q;
	}
	u->path = p;
	for (q = p; *q && *q != '?' && *q != '#'; q++)
		;
	u->npath = q - p;
	p = q;
	if (*p == '?') {
		u->has_query = 1;
		u->query = p + 1;
		for (q = u->query; *q && *q != '#'; q++)
			;
		u->nquery = q - u->query;
		p = q;
	}
	if (*p == '#') {
		u->has_frag = 1;
		u->frag = p + 1;
		u->nfrag = strlen(u->frag);
	}
}

/* RFC 3986 5.2.4, appending the result to out. */
static void
uri_remove_dots(const char *in, size_t n, struct buf *out)
{
	size_t start = out->len;
	const char *p = in, *end = in + n;

	while (p < end) {
		size_t left = end - p;

		if (left >= 3 && memcmp(p, "../", 3) == 0) {
			p += 3;
		} else if (left >= 2 && memcmp(p, "./", 2) == 0) {
			p += 2;
		} else if ((left >= 3 && memcmp(p, "/./", 3) == 0)) {
			p += 2;
		} else if (left == 2 && memcmp(p, "/.", 2) == 0) {
			p += 1;
			buf_addc(out, '/');
			p = end;
		} else if ((left >= 4 && memcmp(p, "/../", 4) == 0) ||
			   (left == 3 && memcmp(p, "/..", 3) == 0)) {
			char *slash;

			out->data[out->len] = '\0';
			slash = strrchr(out->data + start, '/');
			out->len = slash ? (size_t)(slash - out->data) : start;
			out->data[out->len] = '\0';
			if (left == 3) {
				buf_addc(out, '/');
				p = end;
			} else {
				p += 3;
			}
		} else if ((left == 1 && *p == '.') ||
			   (left == 2 && memcmp(p, "..", 2) == 0)) {
			p = end;
		} else {
			const char *q = p + 1;

			while (q < end && *q != '/')
				q++;
			buf_add(out, p, q - p);
			p = q;
		}
	}
}

/* Resolve ref against base (either may be NULL/empty); new string. */

/* The parts of u written back as URI text, each only when u has it. */
static void
uri_add_scheme(struct buf *out, const struct uri *u)
{
	if (u->has_scheme) {
		buf_add(out, u->scheme, u->nscheme);
		buf_addc(out, ':');
	}
}

static void
uri_add_auth(struct buf *out, const struct uri *u)
{
	if (u->has_auth) {
		buf_adds(out, "//");
		buf_add(out, u->auth, u->nauth);
	}
}

static void
uri_add_query(struct buf *out, const struct uri *u)
{
	if (u->has_query) {
		buf_addc(out, '?');
		buf_add(out, u->query, u->nquery);
	}
}

static char *
uri_resolve(const char *base, const char *ref)
{
	struct uri b, r;
	struct buf out = BUF_INIT;

	if (base == NULL || *base == '\0')
		return xstrdup(ref);
	uri_parse(base, &b);
	uri_parse(ref, &r);
	if (r.has_scheme) {
		uri_add_scheme(&out, &r);
		uri_add_auth(&out, &r);
		uri_remove_dots(r.path, r.npath, &out);
		uri_add_query(&out, &r);
	} else {
		uri_add_scheme(&out, &b);
		if (r.has_auth) {
			uri_add_auth(&out, &r);
			uri_remove_dots(r.path, r.npath, &out);
			uri_add_query(&out, &r);
		} else {
			uri_add_auth(&out, &b);
			if (r.npath == 0) {
				buf_add(&out, b.path, b.npath);
				uri_add_query(&out, r.has_query ? &r : &b);
			} else {
				struct buf m = BUF_INIT;

				if (r.path[0] == '/') {
					buf_add(&m, r.path, r.npath);
				} else if (b.has_auth && b.npath == 0) {
					buf_addc(&m, '/');
					buf_add(&m, r.path, r.npath);
				} else {
					const char *sl = NULL, *p;

					for (p = b.path; p < b.path + b.npath;
					     p++)
						if (*p == '/')
							sl = p;
					if (sl)
						buf_add(&m, b.path,
							sl - b.path + 1);
					buf_add(&m, r.path, r.npath);
				}
				uri_remove_dots(m.data, m.len, &out);
				buf_release(&m);
				uri_add_query(&out, &r);
			}
		}
	}
	if (r.has_frag) {
		buf_addc(&out, '#');
		buf_add(&out, r.frag, r.nfrag);
	}
	return buf_detach(&out, NULL);
}

/* Split off the fragment: returns the new string without it, *frag set to
 * a new decoded fragment (or NULL when there is none). */
static char *
uri_split(const char *uri, char **frag)
{
	const char *h = strchr(uri, '#');
	struct buf f = BUF_INIT;

	if (h == NULL) {
		*frag = NULL;
		return xstrdup(uri);
	}
	schema_pct_decode(&f, h + 1);
	*frag = buf_detach(&f, NULL);
	return xstrndup(uri, h - uri);
}

/* ---- tables ------------------------------------------------------------- */

static void
schema_add_node(struct schema *sc, struct snode *n)
{
	if (sc->nnodes == sc->capnodes) {
		sc->capnodes = sc->capnodes ? 2 * sc->capnodes : 64;
		sc->nodes = xreallocarray(sc->nodes, sc->capnodes,
					  sizeof *sc->nodes);
	}
	sc->nodes[sc->nnodes++] = n;
}

static size_t
map_hash(const json_t *j, size_t cap)
{
	uintptr_t h = (uintptr_t)j;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull & UINTPTR_MAX;
	return (h ^ (h >> 29)) & (cap - 1);
}

static void map_put(struct schema *, json_t *, struct snode *);

static void
map_grow(struct schema *sc)
{
	json_t **ok = sc->mapk;
	struct snode **ov = sc->mapv;
	size_t oc = sc->mapcap, i;

	sc->mapcap = oc ? 2 * oc : 256;
	sc->mapk = xcalloc(sc->mapcap, sizeof *sc->mapk);
	sc->mapv = xcalloc(sc->mapcap, sizeof *sc->mapv);
	sc->mapn = 0;
	for (i = 0; i < oc; i++)
		if (ok[i])
			map_put(sc, ok[i], ov[i]);
	free(ok);
	free(ov);
}

static void
map_put(struct schema *sc, json_t *k, struct snode *v)
{
	size_t i;

	if (2 * (sc->mapn + 1) > sc->mapcap)
		map_grow(sc);
	for (i = map_hash(k, sc->mapcap); sc->mapk[i];
	     i = (i + 1) & (sc->mapcap - 1))
		;
	sc->mapk[i] = k;
	sc->mapv[i] = v;
	sc->mapn++;
}

static struct snode *
map_get(struct schema *sc, json_t *k)
{
	size_t i;

	if (sc->mapcap == 0)
		return NULL;
	for (i = map_hash(k, sc->mapcap); sc->mapk[i];
	     i = (i + 1) & (sc->mapcap - 1))
		if (sc->mapk[i] == k)
			return sc->mapv[i];
	return NULL;
}

static struct sres *
res_find(struct schema *sc, const char *uri)
{
	size_t i;

	for (i = 0; i < sc->nres; i++)
		if (strcmp(sc->res[i]->uri, uri) == 0)
			return sc->res[i];
	return NULL;
}

static struct sres *
res_new(struct schema *sc, const char *uri, json_t *root)
{
	struct sres *r = xcalloc(1, sizeof *r);

	r->uri = xstrdup(uri);
	r->root = root;
	if (sc->nres == sc->capres) {
		sc->capres = sc->capres ? 2 * sc->capres : 16;
		sc->res = xreallocarray(sc->res, sc->capres, sizeof *sc->res);
	}
	sc->res[sc->nres++] = r;
	return r;
}

static void
res_anchor(struct sres *r, const char *name, struct snode *n, int dynamic)
{
	size_t i;

	for (i = 0; i < r->nanchors; i++) {
		if (strcmp(r->anchors[i].name, name) == 0) {
			if (dynamic)
				r->anchors[i].dynamic = 1;
			return;
		}
	}
	r->anchors =
		xreallocarray(r->anchors, r->nanchors + 1, sizeof *r->anchors);
	r->anchors[r->nanchors].name = xstrdup(name);
	r->anchors[r->nanchors].node = n;
	r->anchors[r->nanchors].dynamic = dynamic;
	r->nanchors++;
}

/* ---- dialects and vocabularies ------------------------------------------ */

static int
dialect_of_uri(const char *s)
{
	size_t n = strlen(s);
	int d;

	if (n > 0 && s[n - 1] == '#')
		n--;
	for (d = SCHEMA_DRAFT7; d <= SCHEMA_DRAFT2020_12; d++)
		if (strlen(schema_dialect_uris[d]) == n &&
		    memcmp(schema_dialect_uris[d], s, n) == 0)
			return d;
	/* Older drafts: their keywords are a subset of draft-07's. */
	if (strncmp(s, "http://json-schema.org/draft-0", 30) == 0)
		return SCHEMA_DRAFT7;
	return 0;
}

static unsigned
vocab_bit(const char *uri)
{
	static const char p20[] =
		"https://json-schema.org/draft/2020-12/vocab/";
	static const char p19[] =
		"https://json-schema.org/draft/2019-09/vocab/";
	const char *name;

	if (strncmp(uri, p20, sizeof p20 - 1) == 0)
		name = uri + sizeof p20 - 1;
	else if (strncmp(uri, p19, sizeof p19 - 1) == 0)
		name = uri + sizeof p19 - 1;
	else
		return 0;
	if (strcmp(name, "core") == 0)
		return VOC_CORE;
	if (strcmp(name, "applicator") == 0)
		/* 2019-09 keeps unevaluated* in the applicator vocabulary */
		return VOC_APPLICATOR |
		       (strncmp(uri, p19, sizeof p19 - 1) == 0 ? VOC_UNEVALUATED
							       : 0);
	if (strcmp(name, "unevaluated") == 0)
		return VOC_UNEVALUATED;
	if (strcmp(name, "validation") == 0)
		return VOC_VALIDATION;
	if (strcmp(name, "format-annotation") == 0 ||
	    strcmp(name, "format") == 0)
		return VOC_FORMAT_ANN;
	if (strcmp(name, "format-assertion") == 0)
		return VOC_FORMAT_ASRT;
	if (strcmp(name, "meta-data") == 0 || strcmp(name, "content") == 0)
		return VOC_CORE; /* annotations only: nothing to do */
	return 0;
}

static json_t *load_doc(struct schema *, const char *, struct errbuf *);

/*
 * Work out dialect and vocabularies for a resource whose $schema is s.
 * A custom meta-schema is loaded (locally) for its $vocabulary and its
 * own $schema.
 */
static int
meta_dialect(struct schema *sc, const char *s, int *dialect, unsigned *voc,
	     struct errbuf *eb)
{
	int d, hops;
	char *uri = xstrdup(s);

	*voc = VOC_ALL;
	for (hops = 0; hops < SCHEMA_MAX_META; hops++) {
		json_t *meta, *v, *val;
		const char *k;
		char *base, *frag;

		if ((d = dialect_of_uri(uri)) != 0) {
			*dialect = d;
			free(uri);
			return 0;
		}
		base = uri_split(uri, &frag);
		free(frag);
		meta = load_doc(sc, base, eb);
		free(base);
		if (meta == NULL) {
			errbuf_prefix(eb, "$schema '%s'", uri);
			free(uri);
			return -1;
		}
		if (hops == 0 && (v = json_object_get(meta, "$vocabulary")) &&
		    json_is_object(v)) {
			*voc = 0;
			json_object_foreach(v, k, val) {
				unsigned bit = vocab_bit(k);

				if (bit == 0 && json_is_true(val)) {
					errbuf_set(
						eb, STATUS_USAGE,
						"$schema '%s' requires the "
						"unsupported vocabulary '%s'",
						uri, k);
					free(uri);
					return -1;
				}
				*voc |= bit;
			}
			*voc |= VOC_CORE;
		}
		v = json_object_get(meta, "$schema");
		if (!json_is_string(v)) {
			*dialect = SCHEMA_DRAFT2020_12;
			free(uri);
			return 0;
		}
		free(uri);
		uri = xstrdup(json_string_value(v));
	}
	free(uri);
	return errbuf_set(eb, STATUS_USAGE, "$schema chain too long");
}

/* ---- compiling ---------------------------------------------------------- */

void
schema_ptr_add(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != '~' && s[i] != '/')
			continue;
		buf_add(out, s + run, i - run);
		buf_adds(out, s[i] == '~' ? "~0" : "~1");
		run = i + 1;
	}
	buf_add(out, s + run, n - run);
}

int
schema_pct_decode(struct buf *out, const char *s)
{
	int nul = 0;

	for (; *s; s++) {
		int a, b;

		if (*s == '%' && (a = hex_value(s[1])) >= 0 &&
		    (b = hex_value(s[2])) >= 0) {
			buf_addc(out, (char)(a * 16 + b));
			nul |= a == 0 && b == 0;
			s += 2;
		} else {
			buf_addc(out, *s);
		}
	}
	return nul;
}

void
schema_pct_encode(struct buf *out, const char *s, const char *keep)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(keep, c))
			buf_addc(out, (char)c);
		else
			buf_addf(out, "%%%02X", c);
	}
}

json_t *
schema_ptr_get(json_t *j, const char *ptr)
{
	struct buf tok = BUF_INIT;

	while (j && *ptr == '/') {
		const char *t;

		buf_reset(&tok);
		for (ptr++; *ptr && *ptr != '/'; ptr++) {
			if (ptr[0] == '~' && (ptr[1] == '0' || ptr[1] == '1'))
				buf_addc(&tok, *++ptr == '0' ? '~' : '/');
			else
				buf_addc(&tok, *ptr);
		}
		t = tok.data ? tok.data : "";
		if (json_is_object(j)) {
			j = json_object_get(j, t);
		} else if (json_is_array(j)) {
			char *e;
			unsigned long ix = strtoul(t, &e, 10);

			j = (*t && !*e) ? json_array_get(j, ix) : NULL;
		} else {
			j = NULL;
		}
	}
	buf_release(&tok);
	return *ptr ? NULL : j;
}

static void
ptr_push(struct buf *ptr, const char *key)
{
	buf_addc(ptr, '/');
	schema_ptr_add(ptr, key, strlen(key));
}

static void
ptr_pushi(struct buf *ptr, size_t i)
{
	buf_addf(ptr, "/%zu", i);
}

static void
ptr_pop(struct buf *ptr, size_t len)
{
	ptr->len = len;
	if (ptr->data)
		ptr->data[len] = '\0';
}

static int
bad(struct cctx *cc, const char *kw, const char *what)
{
	return errbuf_set(cc->eb, STATUS_USAGE, "schema %s/%s: %s",
			  cc->ptr.data, kw, what);
}

static struct snode *compile(struct cctx *, json_t *, const char *base,
			     struct sres *, int dialect, unsigned voc);

static struct snode *
compile_kw(struct cctx *cc, json_t *j, const char *kw, const char *base,
	   struct sres *res, int dialect, unsigned voc)
{
	size_t mark = cc->ptr.len;
	struct snode *n;

	ptr_push(&cc->ptr, kw);
	n = compile(cc, j, base, res, dialect, voc);
	ptr_pop(&cc->ptr, mark);
	return n;
}

static int
compile_array(struct cctx *cc, json_t *a, const char *kw, const char *base,
	      struct sres *res, int dialect, unsigned voc, struct snode ***out,
	      size_t *n)
{
	size_t i, mark = cc->ptr.len;

	if (!json_is_array(a))
		return bad(cc, kw, "must be an array of schemas");
	*n = json_array_size(a);
	*out = xcalloc(*n ? *n : 1, sizeof **out);
	ptr_push(&cc->ptr, kw);
	for (i = 0; i < *n; i++) {
		size_t m2 = cc->ptr.len;

		ptr_pushi(&cc->ptr, i);
		(*out)[i] = compile(cc, json_array_get(a, i), base, res,
				    dialect, voc);
		ptr_pop(&cc->ptr, m2);
		if ((*out)[i] == NULL)
			return -1;
	}
	ptr_pop(&cc->ptr, mark);
	return 0;
}

static int
compile_map(struct cctx *cc, json_t *o, const char *kw, const char *base,
	    struct sres *res, int dialect, unsigned voc, struct skv **out,
	    size_t *n)
{
	size_t mark = cc->ptr.len, i = 0;
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return bad(cc, kw, "must be an object of schemas");
	*n = json_object_size(o);
	*out = xcalloc(*n ? *n : 1, sizeof **out);
	ptr_push(&cc->ptr, kw);
	json_object_foreach(o, k, v) {
		size_t m2 = cc->ptr.len;

		ptr_push(&cc->ptr, k);
		(*out)[i].name = k;
		(*out)[i].len = strlen(k);
		(*out)[i].s = compile(cc, v, base, res, dialect, voc);
		ptr_pop(&cc->ptr, m2);
		if ((*out)[i++].s == NULL)
			return -1;
	}
	ptr_pop(&cc->ptr, mark);
	return 0;
}

/* A non-negative integer keyword (1.0 counts); -1 if absent. */
static int
get_count(struct cctx *cc, json_t *o, const char *kw, long long *out)
{
	json_t *v = json_object_get(o, kw);
	double d;

	*out = -1;
	if (v == NULL)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v) && (d = json_real_value(v)) >= 0 &&
	    d == (double)(long long)d) {
		*out = (long long)d;
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) >= 9.2e18) {
		*out = LLONG_MAX;
		return 0;
	}
	return bad(cc, kw, "must be a non-negative integer");
}

static int
get_number(struct cctx *cc, json_t *o, const char *kw, json_t **out)
{
	json_t *v = json_object_get(o, kw);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_number(v))
		return bad(cc, kw, "must be a number");
	*out = v;
	return 0;
}

/* The exact text of number j (if any) into *sn. */
static void
exact_number(struct cctx *cc, const json_t *j, struct snum *sn)
{
	struct buf b = BUF_INIT;

	if (j == NULL)
		return;
	schema_number_text(&cc->sc->numtext, j, &b);
	schema_snum_set(sn, b.data, b.len);
	buf_release(&b);
}

static int
type_bit(const char *s)
{
	size_t i;

	for (i = 0; i < NELEM(schema_type_names); i++)
		if (strcmp(s, schema_type_names[i]) == 0)
			return 1 << i;
	return 0;
}

static struct snode *
node_new(struct cctx *cc, json_t *j, struct sres *res, int dialect,
	 unsigned voc)
{
	struct snode *n = xcalloc(1, sizeof *n);

	n->json = j;
	n->res = res;
	n->dialect = dialect;
	n->voc = voc;
	n->boolean = -1;
	n->min_contains = n->max_contains = -1;
	n->max_length = n->min_length = n->max_items = n->min_items = -1;
	n->max_props = n->min_props = -1;
	n->ptr = xstrdup(cc->ptr.data ? cc->ptr.data : "");
	cc->sc->mem_used += sizeof *n + strlen(n->ptr) + 1;
	schema_add_node(cc->sc, n);
	return n;
}

/*
 * Stop compiling when a signal asks to, or when the compiled nodes take
 * more than SCHEMA_COMPILED_FACTOR times the bound of the schema text.
 */
static int
compile_bounded(struct cctx *cc)
{
	const struct schema_opts *o = &cc->sc->opts;
	uint64_t max = load_max(o);

	if (load_stopped(o, cc->eb))
		return -1;
	if (cc->sc->mem_used / SCHEMA_COMPILED_FACTOR > max)
		return errbuf_set(cc->eb, STATUS_USAGE,
				  "schema compiles to more than %llu bytes "
				  "(raise --max-schema-size)",
				  (unsigned long long)max *
					  SCHEMA_COMPILED_FACTOR);
	return 0;
}

static int compile_body(struct cctx *, struct snode *, json_t *,
			const char *base, struct sres *, int dialect,
			unsigned voc);

static struct snode *
compile(struct cctx *cc, json_t *j, const char *base, struct sres *res,
	int dialect, unsigned voc)
{
	struct snode *n;
	json_t *id, *sch;
	char *newbase = NULL, *frag = NULL;
	struct buf saved = BUF_INIT;
	int rc;

	if (json_is_boolean(j)) {
		n = node_new(cc, j, res, dialect, voc);
		n->boolean = json_is_true(j);
		return n;
	}
	if (!json_is_object(j)) {
		errbuf_set(cc->eb, STATUS_USAGE,
			   "schema %s: must be an object or a boolean",
			   *cc->ptr.data ? cc->ptr.data : "(root)");
		return NULL;
	}
	if ((n = map_get(cc->sc, j)) != NULL)
		return n;
	if (compile_bounded(cc) < 0)
		return NULL;
	if (++cc->depth > SCHEMA_MAX_DEPTH) {
		/* The reason first: a pointer this deep fills the
		 * message buffer by itself. */
		errbuf_set(cc->eb, STATUS_USAGE,
			   "schema nested more than %d levels deep at %s",
			   SCHEMA_MAX_DEPTH, cc->ptr.data);
		cc->depth--;
		return NULL;
	}

	/* An embedded resource may name its own dialect. */
	sch = json_object_get(j, "$schema");
	id = json_object_get(j, "$id");
	if (dialect == SCHEMA_DRAFT7 && json_object_get(j, "$ref"))
		id = NULL; /* draft-07: $ref overrides every sibling */
	if (json_is_string(sch) && id != NULL && j != res->root &&
	    !(cc->sc->opts.force_dialect &&
	      dialect_of_uri(json_string_value(sch)))) {
		if (meta_dialect(cc->sc, json_string_value(sch), &dialect, &voc,
				 cc->eb) < 0)
			goto fail;
	}
	if (json_is_string(id)) {
		const char *ids = json_string_value(id);

		if (ids[0] == '#' && dialect == SCHEMA_DRAFT7) {
			n = node_new(cc, j, res, dialect, voc);
			map_put(cc->sc, j, n);
			res_anchor(res, ids + 1, n, 0);
		} else {
			char *abs = uri_resolve(base, ids);
			char *u = uri_split(abs, &frag);
			struct sres *r;

			free(abs);
			newbase = u;
			if ((r = res_find(cc->sc, u)) == NULL || r->root != j) {
				r = res_new(cc->sc, u, j);
				buf_add(&saved, cc->ptr.data, cc->ptr.len);
				ptr_pop(&cc->ptr, 0);
			}
			res = r;
			base = newbase;
			n = node_new(cc, j, res, dialect, voc);
			map_put(cc->sc, j, n);
			if (res->node == NULL)
				res->node = n;
			if (frag && *frag && dialect == SCHEMA_DRAFT7)
				res_anchor(res, frag, n, 0);
		}
	} else {
		n = node_new(cc, j, res, dialect, voc);
		map_put(cc->sc, j, n);
		if (res->node == NULL && res->root == j)
			res->node = n;
	}
	rc = compile_body(cc, n, j, base, res, dialect, voc);
	if (rc == 0)
		schema_node_plan(n);
	if (saved.cap != 0) { /* the pointer was saved above */
		ptr_pop(&cc->ptr, 0);
		buf_add(&cc->ptr, saved.data, saved.len);
	}
	buf_release(&saved);
	free(newbase);
	free(frag);
	cc->depth--;
	return rc < 0 ? NULL : n;
fail:
	cc->depth--;
	return NULL;
}

/* Core: definitions, references and anchors.  1: draft-07 $ref, whose siblings
 * are ignored. */
static int
compile_core(struct cctx *cc, struct snode *n, json_t *j, const char *base,
	     struct sres *res, int dialect, unsigned voc)
{
	json_t *v;
	int d7 = dialect == SCHEMA_DRAFT7, d19 = dialect == SCHEMA_DRAFT2019_09,
	    d20 = dialect == SCHEMA_DRAFT2020_12;

	/* Definitions are compiled in every dialect: they hold $id and
	 * $anchor that references may need. */
	if ((v = json_object_get(j, "definitions")) && json_is_object(v)) {
		struct skv *defs = NULL;
		size_t nd;

		if (compile_map(cc, v, "definitions", base, res, dialect, voc,
				&defs, &nd) < 0) {
			free(defs);
			return -1;
		}
		free(defs);
	}
	if (!d7 && (v = json_object_get(j, "$defs"))) {
		struct skv *defs = NULL;
		size_t nd;

		if (compile_map(cc, v, "$defs", base, res, dialect, voc, &defs,
				&nd) < 0) {
			free(defs);
			return -1;
		}
		free(defs);
	}
	if ((v = json_object_get(j, "$ref"))) {
		if (!json_is_string(v))
			return bad(cc, "$ref", "must be a string");
		n->ref_uri = uri_resolve(base, json_string_value(v));
		if (d7) {
			n->ref_only = 1;
			return 1;
		}
	}
	if (!d7 && (v = json_object_get(j, "$anchor"))) {
		if (!json_is_string(v))
			return bad(cc, "$anchor", "must be a string");
		res_anchor(res, json_string_value(v), n, 0);
	}
	if (d20 && (v = json_object_get(j, "$dynamicAnchor"))) {
		if (!json_is_string(v))
			return bad(cc, "$dynamicAnchor", "must be a string");
		res_anchor(res, json_string_value(v), n, 1);
	}
	if (d20 && (v = json_object_get(j, "$dynamicRef"))) {
		if (!json_is_string(v))
			return bad(cc, "$dynamicRef", "must be a string");
		n->dynref_uri = uri_resolve(base, json_string_value(v));
	}
	if (d19 && json_is_true(json_object_get(j, "$recursiveAnchor")) &&
	    res->root == j)
		res->recursive_anchor = 1;
	if (d19 && (v = json_object_get(j, "$recursiveRef"))) {
		if (!json_is_string(v))
			return bad(cc, "$recursiveRef", "must be a string");
		n->recursive_ref = 1;
		n->dynref_uri = uri_resolve(base, json_string_value(v));
	}
	return 0;
}

/* Applicator: properties, indexed by a hash of the names, and
 * patternProperties. */
static int
compile_properties(struct cctx *cc, struct snode *n, json_t *j,
		   const char *base, struct sres *res, int dialect,
		   unsigned voc)
{
	json_t *v;
	size_t i;

	if ((v = json_object_get(j, "properties"))) {
		if (compile_map(cc, v, "properties", base, res, dialect, voc,
				&n->props, &n->nprops) < 0)
			return -1;
		n->prop_hcap = 4;
		while (n->prop_hcap < 2 * n->nprops)
			n->prop_hcap *= 2;
		n->prop_hash = xcalloc(n->prop_hcap, sizeof *n->prop_hash);
		for (i = 0; i < n->nprops; i++) {
			size_t h = schema_name_hash(n->props[i].name,
						    n->props[i].len) &
				   (n->prop_hcap - 1);

			while (n->prop_hash[h])
				h = (h + 1) & (n->prop_hcap - 1);
			n->prop_hash[h] = (unsigned)i + 1;
		}
	}
	if ((v = json_object_get(j, "patternProperties"))) {
		struct skv *pp = NULL;
		size_t np;

		if (compile_map(cc, v, "patternProperties", base, res, dialect,
				voc, &pp, &np) < 0) {
			free(pp);
			return -1;
		}
		n->pprops = xcalloc(np ? np : 1, sizeof *n->pprops);
		for (i = 0; i < np; i++) {
			n->pprops[i].s = pp[i].s;
			n->pprops[i].re = regex_compile(pp[i].name, pp[i].len,
							REGEX_ECMA, cc->eb);
			if (n->pprops[i].re == NULL) {
				free(pp);
				n->npprops = i;
				return errbuf_prefix(
					cc->eb, "schema %s/patternProperties",
					cc->ptr.data ? cc->ptr.data : "");
			}
			n->npprops = i + 1;
		}
		free(pp);
	}
	return 0;
}

/* Applicator: dependentSchemas, and draft-07 dependencies. */
static int
compile_dependencies(struct cctx *cc, struct snode *n, json_t *j,
		     const char *base, struct sres *res, int dialect,
		     unsigned voc)
{
	json_t *v, *w;
	const char *k;
	int d7 = dialect == SCHEMA_DRAFT7;

	if (!d7 && (v = json_object_get(j, "dependentSchemas")) &&
	    compile_map(cc, v, "dependentSchemas", base, res, dialect, voc,
			&n->dep_schemas, &n->ndep_schemas) < 0)
		return -1;
	if ((v = json_object_get(j, "dependencies")) && json_is_object(v) &&
	    n->dep_schemas == NULL) {
		size_t mark = cc->ptr.len, ns = 0, nr = 0;

		n->dep_schemas = xcalloc(json_object_size(v) + 1,
					 sizeof *n->dep_schemas);
		n->dep_req =
			xcalloc(json_object_size(v) + 1, sizeof *n->dep_req);
		ptr_push(&cc->ptr, "dependencies");
		json_object_foreach(v, k, w) {
			if (json_is_array(w)) {
				n->dep_req[nr].name = k;
				n->dep_req[nr++].list = w;
				continue;
			}
			n->dep_schemas[ns].name = k;
			n->dep_schemas[ns].len = strlen(k);
			n->dep_schemas[ns].s =
				compile_kw(cc, w, k, base, res, dialect, voc);
			if (n->dep_schemas[ns++].s == NULL) {
				n->ndep_schemas = ns - 1;
				n->ndep_req = nr;
				return -1;
			}
		}
		n->ndep_schemas = ns;
		n->ndep_req = nr;
		ptr_pop(&cc->ptr, mark);
	}
	return 0;
}

/* Applicator: prefixItems/items/additionalItems. */
static int
compile_items(struct cctx *cc, struct snode *n, json_t *j, const char *base,
	      struct sres *res, int dialect, unsigned voc)
{
	json_t *v, *w;
	int d20 = dialect == SCHEMA_DRAFT2020_12;

	v = json_object_get(j, d20 ? "prefixItems" : "items");
	if (v && json_is_array(v)) {
		if (compile_array(cc, v, d20 ? "prefixItems" : "items", base,
				  res, dialect, voc, &n->prefix,
				  &n->nprefix) < 0)
			return -1;
		if (!d20 && (w = json_object_get(j, "additionalItems")) &&
		    (n->items_rest = compile_kw(cc, w, "additionalItems", base,
						res, dialect, voc)) == NULL)
			return -1;
	} else if (!d20 && v) {
		if ((n->items_rest = compile_kw(cc, v, "items", base, res,
						dialect, voc)) == NULL)
			return -1;
	}
	if (d20 && (v = json_object_get(j, "items")) &&
	    (n->items_rest = compile_kw(cc, v, "items", base, res, dialect,
					voc)) == NULL)
		return -1;
	return 0;
}

/* A keyword whose value is one subschema, and the node field it fills. */
struct sub_kw {
	const char *kw;
	size_t field; /* offsetof(struct snode, F), F a struct snode * */
};

static const struct sub_kw applicator_subs[] = {
	{ "not", offsetof(struct snode, not_) },
	{ "if", offsetof(struct snode, if_) },
	{ "then", offsetof(struct snode, then_) },
	{ "else", offsetof(struct snode, else_) },
	{ "additionalProperties", offsetof(struct snode, addl_props) },
	{ "propertyNames", offsetof(struct snode, prop_names) },
	{ "contains", offsetof(struct snode, contains) },
};

static const struct sub_kw unevaluated_subs[] = {
	{ "unevaluatedProperties", offsetof(struct snode, uneval_props) },
	{ "unevaluatedItems", offsetof(struct snode, uneval_items) },
};

/* Compile the keywords of table t that j has, in the table's order. */
static int
compile_subs(struct cctx *cc, struct snode *n, json_t *j, const char *base,
	     struct sres *res, int dialect, unsigned voc,
	     const struct sub_kw *t, size_t nt)
{
	size_t i;

	for (i = 0; i < nt; i++) {
		json_t *v = json_object_get(j, t[i].kw);
		struct snode **slot = (struct snode **)((char *)n + t[i].field);

		if (v && (*slot = compile_kw(cc, v, t[i].kw, base, res, dialect,
					     voc)) == NULL)
			return -1;
	}
	return 0;
}

/* Applicator: the keywords with subschemas. */
static int
compile_applicator(struct cctx *cc, struct snode *n, json_t *j,
		   const char *base, struct sres *res, int dialect,
		   unsigned voc)
{
	const struct {
		const char *kw;
		struct snode ***v;
		size_t *n;
	} lists[] = {
		{ "allOf", &n->all_of, &n->nall_of },
		{ "anyOf", &n->any_of, &n->nany_of },
		{ "oneOf", &n->one_of, &n->none_of },
	};
	size_t i;

	for (i = 0; i < NELEM(lists); i++) {
		json_t *v = json_object_get(j, lists[i].kw);

		if (v && compile_array(cc, v, lists[i].kw, base, res, dialect,
				       voc, lists[i].v, lists[i].n) < 0)
			return -1;
	}
	if (compile_subs(cc, n, j, base, res, dialect, voc, applicator_subs,
			 NELEM(applicator_subs)) < 0 ||
	    compile_properties(cc, n, j, base, res, dialect, voc) < 0 ||
	    compile_dependencies(cc, n, j, base, res, dialect, voc) < 0 ||
	    compile_items(cc, n, j, base, res, dialect, voc) < 0)
		return -1;
	return 0;
}

/* Unevaluated: unevaluatedProperties, unevaluatedItems. */
static int
compile_unevaluated(struct cctx *cc, struct snode *n, json_t *j,
		    const char *base, struct sres *res, int dialect,
		    unsigned voc)
{
	if (compile_subs(cc, n, j, base, res, dialect, voc, unevaluated_subs,
			 NELEM(unevaluated_subs)) < 0)
		return -1;
	n->needs_ann = n->uneval_props || n->uneval_items;
	return 0;
}

/* Validation: type, enum, const. */
static int
compile_types(struct cctx *cc, struct snode *n, json_t *j, const char *base,
	      struct sres *res, int dialect, unsigned voc)
{
	json_t *v, *w;
	size_t i;

	if ((v = json_object_get(j, "type"))) {
		if (json_is_string(v)) {
			n->types = type_bit(json_string_value(v));
			if (!n->types)
				return bad(cc, "type", "unknown type");
		} else if (json_is_array(v)) {
			json_array_foreach(v, i, w) {
				int b = json_is_string(w)
						? type_bit(json_string_value(w))
						: 0;

				if (!b)
					return bad(cc, "type", "unknown type");
				n->types |= b;
			}
			if (n->types == 0)
				n->types = 0x80; /* matches nothing */
		} else {
			return bad(cc, "type", "must be a string or an array");
		}
	}
	if ((v = json_object_get(j, "enum"))) {
		if (!json_is_array(v))
			return bad(cc, "enum", "must be an array");
		n->enum_ = v;
		n->enum_c = schema_const_new(&cc->sc->numtext, v);
		if (n->enum_c == NULL)
			return bad(cc, "enum", "nested too deeply");
	}
	if ((v = json_object_get(j, "const"))) {
		n->const_ = v;
		n->has_const = 1;
		n->const_c = schema_const_new(&cc->sc->numtext, v);
		if (n->const_c == NULL)
			return bad(cc, "const", "nested too deeply");
	}
	return 0;
}

/* Validation: numeric bounds and counts. */
static int
compile_bounds(struct cctx *cc, struct snode *n, json_t *j, const char *base,
	       struct sres *res, int dialect, unsigned voc)
{
	int d7 = dialect == SCHEMA_DRAFT7;
	json_t *mult, *max, *xmax, *min, *xmin;

	if (get_number(cc, j, "multipleOf", &mult) < 0 ||
	    get_number(cc, j, "maximum", &max) < 0 ||
	    get_number(cc, j, "exclusiveMaximum", &xmax) < 0 ||
	    get_number(cc, j, "minimum", &min) < 0 ||
	    get_number(cc, j, "exclusiveMinimum", &xmin) < 0)
		return -1;
	if (mult || max || xmax || min || xmin) {
		n->num = xcalloc(1, sizeof *n->num);
		cc->sc->mem_used += sizeof *n->num;
		exact_number(cc, mult, &n->num->mult);
		/* on the exact text: 1e-400 is positive, not 0.0 */
		if (mult && jnum_dec_cmp(n->num->mult.text, n->num->mult.len,
					 "0", 1) <= 0)
			return bad(cc, "multipleOf", "must be greater than 0");
		exact_number(cc, max, &n->num->max);
		exact_number(cc, xmax, &n->num->xmax);
		exact_number(cc, min, &n->num->min);
		exact_number(cc, xmin, &n->num->xmin);
	}
	if (get_count(cc, j, "maxLength", &n->max_length) < 0 ||
	    get_count(cc, j, "minLength", &n->min_length) < 0 ||
	    get_count(cc, j, "maxItems", &n->max_items) < 0 ||
	    get_count(cc, j, "minItems", &n->min_items) < 0 ||
	    get_count(cc, j, "maxProperties", &n->max_props) < 0 ||
	    get_count(cc, j, "minProperties", &n->min_props) < 0)
		return -1;
	if (!d7 && (get_count(cc, j, "maxContains", &n->max_contains) < 0 ||
		    get_count(cc, j, "minContains", &n->min_contains) < 0))
		return -1;
	return 0;
}

/* Validation: uniqueItems, required, pattern, dependentRequired. */
static int
compile_shapes(struct cctx *cc, struct snode *n, json_t *j, const char *base,
	       struct sres *res, int dialect, unsigned voc)
{
	json_t *v, *w;
	const char *k;
	size_t i;
	int d7 = dialect == SCHEMA_DRAFT7;

	if ((v = json_object_get(j, "uniqueItems"))) {
		if (!json_is_boolean(v))
			return bad(cc, "uniqueItems", "must be a boolean");
		n->unique_items = json_is_true(v);
	}
	if ((v = json_object_get(j, "required"))) {
		if (!json_is_array(v))
			return bad(cc, "required", "must be an array");
		json_array_foreach(v, i, w)
			if (!json_is_string(w))
				return bad(cc, "required",
					   "must be an array of "
					   "strings");
		n->required = v;
	}
	if ((v = json_object_get(j, "pattern"))) {
		if (!json_is_string(v))
			return bad(cc, "pattern", "must be a string");
		n->pattern = regex_compile(json_string_value(v),
					   json_string_length(v), REGEX_ECMA,
					   cc->eb);
		if (n->pattern == NULL)
			return errbuf_prefix(cc->eb, "schema %s/pattern",
					     cc->ptr.data ? cc->ptr.data : "");
	}
	if (!d7 && (v = json_object_get(j, "dependentRequired"))) {
		if (!json_is_object(v))
			return bad(cc, "dependentRequired",
				   "must be an object");
		n->dep_req = xreallocarray(
			n->dep_req, n->ndep_req + json_object_size(v) + 1,
			sizeof *n->dep_req);
		json_object_foreach(v, k, w) {
			if (!json_is_array(w))
				return bad(cc, "dependentRequired",
					   "values must be arrays");
			n->dep_req[n->ndep_req].name = k;
			n->dep_req[n->ndep_req++].list = w;
		}
	}
	return 0;
}

/* Format and (draft-07) content annotations. */
static int
compile_format(struct cctx *cc, struct snode *n, json_t *j, const char *base,
	       struct sres *res, int dialect, unsigned voc)
{
	json_t *v;
	int d7 = dialect == SCHEMA_DRAFT7;

	if ((voc & (VOC_FORMAT_ANN | VOC_FORMAT_ASRT)) &&
	    (v = json_object_get(j, "format")) && json_is_string(v)) {
		n->format = json_string_value(v);
		n->format_fn = schema_format_fn(n->format);
	}
	if (d7 && (v = json_object_get(j, "contentEncoding")) &&
	    json_is_string(v))
		n->content_encoding = json_string_value(v);
	if (d7 && (v = json_object_get(j, "contentMediaType")) &&
	    json_is_string(v))
		n->content_type = json_string_value(v);
	return 0;
}

/* One vocabulary's keywords: 0, 1 to stop (no more keywords), -1. */
typedef int compile_fn(struct cctx *, struct snode *, json_t *, const char *,
		       struct sres *, int, unsigned);

/* The vocabularies in the order their keywords are compiled, each with the
 * VOC_* bits it needs (0: always); draft-07 has no unevaluated keywords. */
static const struct {
	compile_fn *fn;
	unsigned voc;
	int not_d7;
} compile_vocabs[] = {
	{ compile_core, 0, 0 },
	{ compile_applicator, VOC_APPLICATOR, 0 },
	{ compile_unevaluated, VOC_UNEVALUATED, 1 },
	{ compile_types, VOC_VALIDATION, 0 },
	{ compile_bounds, VOC_VALIDATION, 0 },
	{ compile_shapes, VOC_VALIDATION, 0 },
	{ compile_format, 0, 0 },
};

static int
compile_body(struct cctx *cc, struct snode *n, json_t *j, const char *base,
	     struct sres *res, int dialect, unsigned voc)
{
	size_t i;
	int rc;

	for (i = 0; i < NELEM(compile_vocabs); i++) {
		if ((compile_vocabs[i].voc && !(voc & compile_vocabs[i].voc)) ||
		    (compile_vocabs[i].not_d7 && dialect == SCHEMA_DRAFT7))
			continue;
		rc = compile_vocabs[i].fn(cc, n, j, base, res, dialect, voc);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	return 0;
}

/* ---- loading documents -------------------------------------------------- */

/* Did jansson refuse the text only for a number it cannot hold? */
static int
big_number(const json_error_t *err)
{
	return strstr(err->text, "too big") != NULL ||
	       strstr(err->text, "overflow") != NULL;
}

json_t *
schema_json_loadb(const char *buf, size_t len, json_error_t *err)
{
	json_t *j = json_loadb(buf, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, err);

	/*
	 * jansson refuses integers beyond 64 bits and reals beyond the
	 * double range (1e400).  The scanner takes them (big integers as
	 * reals, huge reals as +-DBL_MAX); the exact text is kept apart
	 * (numtext_collect) for every comparison.  Anything else the
	 * scanner would refuse too: keep jansson's message.
	 */
	if (j == NULL && big_number(err)) {
		struct jscan js;

		jscan_init(&js);
		jscan_set_max_depth(&js, 2048);
		if (jscan_parse(&js, buf, len, NULL) == 0)
			j = jscan_json(&js, jscan_root(&js), NULL);
		jscan_release(&js);
	}
	return j;
}

static int
too_big(const struct schema_opts *o, const char *path, struct errbuf *eb)
{
	return errbuf_set(eb, STATUS_USAGE,
			  "%s: schema text over %llu bytes in all (raise "
			  "--max-schema-size)",
			  path, (unsigned long long)load_max(o));
}

/* Read all of fd into b, *used + what it reads staying within the bound. */
static int
read_bounded(int fd, const struct schema_opts *o, uint64_t *used,
	     const char *path, struct buf *b, struct errbuf *eb)
{
	uint64_t max = load_max(o);

	for (;;) {
		ssize_t n;

		buf_grow(b, 65536);
		n = read(fd, b->data + b->len, b->cap - b->len);
		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR) {
			if (load_stopped(o, eb))
				return -1;
			continue;
		}
		if (n < 0)
			return errbuf_set(eb, STATUS_USAGE, "%s: %s", path,
					  strerror(errno));
		b->len += (size_t)n;
		*used += (uint64_t)n;
		if (*used > max)
			return too_big(o, path, eb);
		if (load_stopped(o, eb))
			return -1;
	}
}

/* jansson's reader over the text read, one slice at a time, so that a
 * signal ends a long parse. */
struct parse_src {
	const char *p;
	size_t left;
	const struct schema_opts *o;
	int stopped;
};

static size_t
parse_chunk(void *buffer, size_t buflen, void *data)
{
	struct parse_src *src = data;
	size_t n = src->left < buflen ? src->left : buflen;

	if (src->o->stop && *src->o->stop) {
		src->stopped = 1;
		return (size_t)-1;
	}
	memcpy(buffer, src->p, n);
	src->p += n;
	src->left -= n;
	return n;
}

/*
 * Load a document; the exact text of its numbers goes into nt.  Only a
 * file the user named (direct) may be anything but a regular file: it
 * is opened without blocking and looked at before any read.  *used counts
 * the bytes of schema text read so far.
 */
static json_t *
load_file(const char *path, int direct, const struct schema_opts *o,
	  uint64_t *used, struct numtext *nt, struct errbuf *eb)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct buf b = BUF_INIT;
	struct stat st;
	json_error_t jerr;
	json_t *j = NULL;

	if (fd == -1 || fstat(fd, &st) == -1) {
		errbuf_set(eb, errno == ENOMEM ? STATUS_IO : STATUS_USAGE,
			   "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode) || (!direct && !S_ISREG(st.st_mode))) {
		errbuf_set(eb, STATUS_USAGE,
			   "%s: not a regular file (a referenced schema must "
			   "be one)",
			   path);
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > load_max(o) - *used) {
			too_big(o, path, eb);
			goto out;
		}
		buf_grow(&b, (size_t)st.st_size + 1);
	}
	/* A pipe the user named is read as it comes, blocking. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1 ||
	    read_bounded(fd, o, used, path, &b, eb) < 0)
		goto out;
	{
		struct parse_src src = { b.data ? b.data : "", b.len, o, 0 };

		j = json_load_callback(parse_chunk, &src,
				       JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
		if (src.stopped) {
			load_stopped(o, eb);
			goto out;
		}
	}
	if (j == NULL && big_number(&jerr))
		j = schema_json_loadb(b.data ? b.data : "", b.len, &jerr);
	if (j != NULL)
		numtext_collect(nt, j, b.data ? b.data : "", b.len);
	else
		errbuf_set(eb, STATUS_USAGE, "%s:%d:%d: %s", path, jerr.line,
			   jerr.column, jerr.text);
out:
	if (fd != -1)
		close(fd);
	buf_release(&b);
	return j;
}

/* Percent-decode s into a new string; NULL if it would hold a NUL. */
static char *
pct_decode(const char *s)
{
	struct buf b = BUF_INIT;

	if (schema_pct_decode(&b, s)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* Is real path p inside directory dir (both canonical)? */
static int
path_inside(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return 1;
	return strncmp(p, dir, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

/* Read the file for relative path rel under dir, never leaving dir. */
static json_t *
load_under(struct schema *sc, const char *dir, const char *rel, const char *uri,
	   struct errbuf *eb)
{
	char *dec = pct_decode(rel), *path, *real, *rdir;
	json_t *j = NULL;
	int err;

	if (dec == NULL) {
		errbuf_set(eb, STATUS_USAGE, "bad reference '%s'", uri);
		return NULL;
	}
	path = xasprintf("%s/%s", dir, dec);
	free(dec);
	real = realpath(path, NULL);
	err = errno; /* before the next realpath() changes it */
	rdir = realpath(dir, NULL);
	if (rdir == NULL)
		err = errno;
	if ((real == NULL || rdir == NULL) && err == ENOENT) {
		errbuf_set(eb, STATUS_USAGE,
			   "cannot resolve reference '%s': %s does not exist",
			   uri, path);
	} else if (real == NULL || rdir == NULL) {
		errbuf_set(eb, err == ENOMEM ? STATUS_IO : STATUS_USAGE,
			   "cannot resolve reference '%s': %s: %s", uri, path,
			   strerror(err));
	} else if (!path_inside(real, rdir)) {
		errbuf_set(eb, STATUS_USAGE,
			   "reference '%s' leaves the schema directory", uri);
	} else {
		j = load_file(real, 0, &sc->opts, &sc->text_used, &sc->numtext,
			      eb);
	}
	free(path);
	free(real);
	free(rdir);
	return j;
}

/* The document at uri (no fragment): bundled, mapped or a local file.
 * Returns a borrowed reference owned by sc. */
static json_t *
load_doc(struct schema *sc, const char *uri, struct errbuf *eb)
{
	json_t *j;
	size_t i;

	for (i = 0; i < sc->ndocs; i++)
		if (sc->docuris[i] && strcmp(sc->docuris[i], uri) == 0)
			return sc->docs[i];
	if (sc->ndocs >= SCHEMA_MAX_DOCS) {
		errbuf_set(eb, STATUS_USAGE,
			   "too many documents referenced (more than %d)",
			   SCHEMA_MAX_DOCS);
		return NULL;
	}
	j = schema_meta_load(uri);
	for (i = 0; j == NULL && i < sc->opts.nmaps; i++) {
		const struct schema_refmap *m = &sc->opts.maps[i];
		size_t n = strlen(m->prefix);

		if (strncmp(uri, m->prefix, n) == 0) {
			j = load_under(sc, m->dir, uri + n, uri, eb);
			if (j == NULL)
				return NULL;
		}
	}
	if (j == NULL && strncmp(uri, "file://", 7) == 0 && sc->root_dir) {
		const char *p = uri + 7;
		size_t n = strlen(sc->root_dir);

		if (strncmp(p, "localhost/", 10) == 0)
			p += 9;
		if (strncmp(p, sc->root_dir, n) == 0 && p[n] == '/')
			j = load_under(sc, sc->root_dir, p + n + 1, uri, eb);
		else
			errbuf_set(eb, STATUS_USAGE,
				   "reference '%s' leaves the schema directory",
				   uri);
		if (j == NULL)
			return NULL;
	}
	if (j == NULL) {
		errbuf_set(eb, STATUS_USAGE,
			   "cannot resolve reference '%s' (no network access; "
			   "see --ref-map)",
			   uri);
		return NULL;
	}
	if (sc->ndocs == sc->capdocs) {
		sc->capdocs = sc->capdocs ? 2 * sc->capdocs : 8;
		sc->docs =
			xreallocarray(sc->docs, sc->capdocs, sizeof *sc->docs);
		sc->docuris = xreallocarray(sc->docuris, sc->capdocs,
					    sizeof *sc->docuris);
	}
	sc->docuris[sc->ndocs] = xstrdup(uri);
	sc->docs[sc->ndocs++] = j;
	return j;
}

static struct snode *
compile_doc(struct schema *sc, json_t *doc, const char *uri, int dialect,
	    struct errbuf *eb)
{
	struct cctx cc = { sc, eb, BUF_INIT, 0 };
	struct sres *r = res_new(sc, uri ? uri : "", doc);
	struct snode *n;
	json_t *s = json_object_get(doc, "$schema");
	unsigned voc = VOC_ALL;

	if (json_is_string(s) &&
	    !(sc->opts.force_dialect && dialect_of_uri(json_string_value(s))) &&
	    meta_dialect(sc, json_string_value(s), &dialect, &voc, eb) < 0)
		return NULL;
	buf_adds(&cc.ptr, "");
	n = compile(&cc, doc, uri, r, dialect, voc);
	buf_release(&cc.ptr);
	if (n && r->node == NULL)
		r->node = n;
	return n;
}

/* Find the node a (resolved, absolute) URI refers to, loading as needed. */
static struct snode *
resolve_ref(struct schema *sc, const char *ref, int dialect, int *dynamic,
	    struct errbuf *eb)
{
	char *frag, *base = uri_split(ref, &frag);
	struct sres *r = res_find(sc, base);
	struct snode *n = NULL;
	size_t i;

	*dynamic = 0;
	if (r == NULL) {
		json_t *doc = load_doc(sc, base, eb);

		if (doc == NULL ||
		    compile_doc(sc, doc, base, dialect, eb) == NULL)
			goto out;
		r = res_find(sc, base);
		if (r == NULL) {
			errbuf_set(eb, STATUS_USAGE, "cannot resolve '%s'",
				   ref);
			goto out;
		}
	}
	if (frag == NULL || *frag == '\0') {
		n = r->node;
	} else if (frag[0] == '/') {
		json_t *j = schema_ptr_get(r->root, frag);
		struct cctx cc = { sc, eb, BUF_INIT, 0 };

		if (j == NULL) {
			errbuf_set(eb, STATUS_USAGE,
				   "cannot resolve '%s': no such location",
				   ref);
			goto out;
		}
		if ((n = map_get(sc, j)) == NULL) {
			buf_adds(&cc.ptr, strchr(ref, '#') + 1);
			n = compile(&cc, j, r->uri, r,
				    r->node ? r->node->dialect : dialect,
				    r->node ? r->node->voc : VOC_ALL);
			buf_release(&cc.ptr);
		}
	} else {
		for (i = 0; i < r->nanchors; i++) {
			if (strcmp(r->anchors[i].name, frag) == 0) {
				n = r->anchors[i].node;
				*dynamic = r->anchors[i].dynamic;
				break;
			}
		}
		if (n == NULL)
			errbuf_set(eb, STATUS_USAGE,
				   "cannot resolve '%s': no such anchor", ref);
	}
out:
	free(base);
	free(frag);
	return n;
}

/* Resolve every reference, including those of documents loaded on the way. */
static int
link_refs(struct schema *sc, struct errbuf *eb)
{
	size_t i;
	int dyn;

	for (i = 0; i < sc->nnodes; i++) {
		struct snode *n = sc->nodes[i];

		if (n->ref_uri && n->ref == NULL) {
			n->ref = resolve_ref(sc, n->ref_uri, n->dialect, &dyn,
					     eb);
			if (n->ref == NULL)
				return errbuf_prefix(eb, "%s#%s/$ref",
						     n->res->uri, n->ptr);
		}
		if (n->dynref_uri && n->dynref == NULL) {
			n->dynref = resolve_ref(sc, n->dynref_uri, n->dialect,
						&dyn, eb);
			if (n->dynref == NULL)
				return errbuf_prefix(
					eb, "%s#%s/%s", n->res->uri, n->ptr,
					n->recursive_ref ? "$recursiveRef"
							 : "$dynamicRef");
			if (dyn && !n->recursive_ref)
				n->dynref_name =
					xstrdup(strchr(n->dynref_uri, '#') + 1);
		}
	}
	return 0;
}

static struct schema *
schema_new(const struct schema_opts *opts)
{
	struct schema *sc = xcalloc(1, sizeof *sc);

	if (opts)
		sc->opts = *opts;
	if (sc->opts.dialect == SCHEMA_DIALECT_AUTO)
		sc->opts.dialect = SCHEMA_DRAFT2020_12;
	sc->format_assert = !sc->opts.no_format;
	if (sc->opts.root_dir)
		sc->root_dir = realpath(sc->opts.root_dir, NULL);
	buf_init(&sc->str);
	buf_init(&sc->dump);
	jscan_init(&sc->scan);
	jscan_set_max_depth(&sc->scan, 10001);
	return sc;
}

/* Check doc against the meta-schema named by its $schema. */
static int
meta_check(struct schema *sc, json_t *doc, struct errbuf *eb)
{
	struct schema_opts mo = sc->opts;
	struct schema *meta;
	struct schema_errors errs = SCHEMA_ERRORS_INIT;
	json_t *s = json_object_get(doc, "$schema");
	const char *uri;
	int ok;

	if (json_is_string(s) &&
	    !(sc->opts.force_dialect && dialect_of_uri(json_string_value(s))))
		uri = json_string_value(s);
	else
		uri = schema_dialect_uris[sc->root->dialect];
	mo.no_meta_check = 1;
	mo.force_dialect = 0;
	mo.root_dir = NULL;
	meta = schema_new(&mo);
	{
		char *frag, *base = uri_split(uri, &frag);
		json_t *md = load_doc(meta, base, eb);

		meta->root = md ? compile_doc(meta, md, base,
					      SCHEMA_DRAFT2020_12, eb)
				: NULL;
		free(base);
		free(frag);
	}
	if (meta->root == NULL || link_refs(meta, eb) < 0) {
		schema_free(meta);
		return errbuf_prefix(eb, "meta-schema");
	}
	errs.max = 1;
	ok = schema_validate_doc(meta, doc, &sc->numtext, &errs);
	if (!ok)
		errbuf_set(eb, STATUS_USAGE,
			   "schema does not conform to its meta-schema: %s: %s",
			   errs.n && *errs.v[0].instance ? errs.v[0].instance
							 : "(root)",
			   errs.n ? errs.v[0].message : "invalid");
	schema_errors_release(&errs);
	schema_free(meta);
	return ok ? 0 : -1;
}

/* schema_compile() taking the exact numbers of doc from nt (emptied). */
static struct schema *
compile_exact(json_t *doc, const char *base_uri, const struct schema_opts *opts,
	      struct numtext *nt, uint64_t used, struct errbuf *eb)
{
	struct schema *sc = schema_new(opts);

	sc->text_used = used;
	if (nt)
		numtext_move(&sc->numtext, nt);

	json_incref(doc);
	sc->docs = xcalloc(8, sizeof *sc->docs);
	sc->docuris = xcalloc(8, sizeof *sc->docuris);
	sc->capdocs = 8;
	sc->docs[sc->ndocs++] = doc;
	if (!json_is_object(doc) && !json_is_boolean(doc)) {
		errbuf_set(eb, STATUS_USAGE,
			   "schema must be an object or a boolean");
		goto fail;
	}
	sc->root = compile_doc(sc, doc, base_uri ? base_uri : "",
			       sc->opts.dialect, eb);
	if (sc->root == NULL || link_refs(sc, eb) < 0)
		goto fail;
	if (!sc->opts.no_meta_check && json_is_object(doc) &&
	    meta_check(sc, doc, eb) < 0)
		goto fail;
	return sc;
fail:
	schema_free(sc);
	return NULL;
}

struct schema *
schema_compile(json_t *doc, const char *base_uri,
	       const struct schema_opts *opts, struct errbuf *eb)
{
	return compile_exact(doc, base_uri, opts, NULL, 0, eb);
}

struct schema *
schema_load(const char *path, const struct schema_opts *opts, struct errbuf *eb)
{
	return schema_load_doc(path, opts, NULL, eb);
}

struct schema *
schema_load_doc(const char *path, const struct schema_opts *opts,
		struct schema_doc *out, struct errbuf *eb)
{
	struct schema_opts o = opts ? *opts : (struct schema_opts){ 0 };
	char *real, *dir, *slash, *uri;
	struct buf u = BUF_INIT;
	struct schema *sc;
	struct numtext nt = { 0 };
	struct stat st;
	uint64_t used = 0;
	json_t *doc;
	const char *p;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode)) {
		/* A pipe ("-s <(...)") has no directory: its references
		 * resolve in the current one. */
		char *cwd = getcwd(NULL, 0);

		p = strrchr(path, '/');
		real = cwd ? xasprintf("%s/%s", strcmp(cwd, "/") ? cwd : "",
				       p ? p + 1 : path)
			   : NULL;
		free(cwd);
	} else {
		real = realpath(path, NULL);
	}
	if (real == NULL) {
		errbuf_set(eb, errno == ENOMEM ? STATUS_IO : STATUS_USAGE,
			   "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((doc = load_file(path, !o.regular_only, &o, &used, &nt, eb)) ==
	    NULL) {
		free(real);
		numtext_release(&nt);
		return NULL;
	}
	dir = xstrdup(real);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (o.root_dir == NULL)
		o.root_dir = dir;
	buf_adds(&u, "file://");
	schema_pct_encode(&u, real, "/-._~");
	uri = buf_detach(&u, NULL);
	sc = compile_exact(doc, uri, &o, &nt, used, eb);
	if (sc == NULL)
		errbuf_prefix(eb, "%s", path);
	if (sc != NULL && out != NULL) {
		out->root = doc;
		out->uri = uri;
		out->dir = dir;
		free(real);
		return sc;
	}
	json_decref(doc);
	free(uri);
	free(dir);
	free(real);
	return sc;
}

enum schema_dialect
schema_dialect_of(const struct schema *sc)
{
	return sc->root->dialect;
}

static void
node_free(struct snode *n)
{
	size_t i;

	free(n->ptr);
	free(n->ref_uri);
	free(n->dynref_uri);
	free(n->dynref_name);
	free(n->all_of);
	free(n->any_of);
	free(n->one_of);
	free(n->props);
	free(n->prop_hash);
	for (i = 0; i < n->npprops; i++)
		regex_free(n->pprops[i].re);
	free(n->pprops);
	free(n->dep_schemas);
	free(n->dep_req);
	free(n->prefix);
	regex_free(n->pattern);
	if (n->num) {
		free(n->num->mult.text);
		free(n->num->max.text);
		free(n->num->xmax.text);
		free(n->num->min.text);
		free(n->num->xmin.text);
		free(n->num);
	}
	schema_const_free(n->enum_c);
	schema_const_free(n->const_c);
	schema_node_plan_free(n);
	free(n);
}

void
schema_free(struct schema *sc)
{
	size_t i, k;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->nnodes; i++)
		node_free(sc->nodes[i]);
	free(sc->nodes);
	for (i = 0; i < sc->nres; i++) {
		for (k = 0; k < sc->res[i]->nanchors; k++)
			free(sc->res[i]->anchors[k].name);
		free(sc->res[i]->anchors);
		free(sc->res[i]->uri);
		free(sc->res[i]);
	}
	free(sc->res);
	for (i = 0; i < sc->ndocs; i++) {
		json_decref(sc->docs[i]);
		free(sc->docuris[i]);
	}
	free(sc->docs);
	free(sc->docuris);
	free(sc->mapk);
	free(sc->mapv);
	free(sc->scope);
	free(sc->eval_node);
	free(sc->eval_inst);
	free(sc->root_dir);
	numtext_release(&sc->numtext);
	buf_release(&sc->str);
	buf_release(&sc->dump);
	jscan_release(&sc->scan);
	free(sc->omem);
	free(sc->oslot);
	free(sc);
}
