/*
 * t-compat.c -- "schema compat" cross-checked against the validator.
 *
 * For every pair under $FIXTURES/compat/NAME/{old,new}.json and both
 * directions: generate random values from the first schema (a small
 * generator guided by its keywords, with a fixed seed), keep those the
 * validator accepts, and validate them against the second schema.  When
 * schema_compat() found the direction compatible, every kept value must
 * be accepted (the check is sound); a rejected one is printed.  Every
 * schema must yield some valid values, so no pair is checked vacuously,
 * and for most pairs found incompatible the generator must find a value
 * that shows it.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/jnum.h"
#include "lib/errbuf.h"
#include "schema/schema-compat.h"
#include "schema/schema.h"
#include "tap.h"
#include "lib/xmalloc.h"

#define TRIES 600

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static long
rint_in(long lo, long hi)
{
	if (hi < lo)
		return lo;
	return lo + (long)(rnd() % (uint64_t)(hi - lo + 1));
}

static int
chance(int pct)
{
	return (int)(rnd() % 100) < pct;
}

static json_t *gen(json_t *root, json_t *s, int depth);

static json_t *
gen_any(int depth)
{
	static const char *const words[] = { "a", "abc", "ABC", "x_1", "" };

	switch (rnd() % (depth < 3 ? 7 : 5)) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(rnd() & 1);
	case 2:
		return json_integer(rint_in(-20, 20));
	case 3:
		return json_real((double)rint_in(-200, 200) / 8.0);
	case 4:
		return json_string(words[rnd() % 5]);
	case 5: {
		json_t *a = json_array();
		long i, n = rint_in(0, 3);

		for (i = 0; i < n; i++)
			json_array_append_new(a, gen_any(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();

		if (chance(50))
			json_object_set_new(o, "x", gen_any(depth + 1));
		return o;
	}
	}
}

static json_t *
resolve(json_t *root, const char *ref)
{
	char *copy, *tok, *save = NULL;
	json_t *n = root;

	if (ref[0] != '#')
		return NULL;
	copy = xstrdup(ref + 1);
	for (tok = strtok_r(copy, "/", &save); tok && n;
	     tok = strtok_r(NULL, "/", &save))
		n = json_is_array(n) ? json_array_get(n, strtoul(tok, NULL, 10))
				     : json_object_get(n, tok);
	free(copy);
	return n;
}

/* Shallow merge of from into into: properties and required unite. */
static void
merge_into(json_t *into, json_t *from)
{
	const char *k;
	json_t *v;

	if (!json_is_object(from))
		return;
	json_object_foreach(from, k, v) {
		json_t *have = json_object_get(into, k);

		if (strcmp(k, "properties") == 0 && json_is_object(have)) {
			json_t *u = json_copy(have);

			json_object_update_missing(u, v);
			json_object_set_new(into, k, u);
		} else if (strcmp(k, "required") == 0 && json_is_array(have)) {
			json_t *u = json_copy(have);

			json_array_extend(u, v);
			json_object_set_new(into, k, u);
		} else if (have == NULL) {
			json_object_set(into, k, v);
		}
	}
}

static const char *
pick_type(json_t *s)
{
	static const char *const all[] = { "null",   "boolean", "integer",
					   "number", "string",	"array",
					   "object" };
	json_t *t = json_object_get(s, "type");

	if (json_is_string(t))
		return json_string_value(t);
	if (json_is_array(t) && json_array_size(t))
		return json_string_value(
			json_array_get(t, rnd() % json_array_size(t)));
	if (json_object_get(s, "properties") || json_object_get(s, "required"))
		return "object";
	if (json_object_get(s, "items") || json_object_get(s, "prefixItems"))
		return "array";
	if (json_object_get(s, "pattern") || json_object_get(s, "minLength") ||
	    json_object_get(s, "format"))
		return "string";
	if (json_object_get(s, "minimum") || json_object_get(s, "maximum") ||
	    json_object_get(s, "multipleOf"))
		return "number";
	return all[rnd() % 7];
}

static long
num_kw(json_t *s, const char *k, long dflt)
{
	json_t *v = json_object_get(s, k);

	return json_is_number(v) ? (long)json_number_value(v) : dflt;
}

static json_t *
gen_string(json_t *s)
{
	static const char *const bank[] = { "abc", "ABC", "a",	"b", "x_1",
					    "ab",  "zz",  "A1", "" };
	const char *f = json_string_value(json_object_get(s, "format"));
	long lo = num_kw(s, "minLength", 0),
	     hi = num_kw(s, "maxLength", lo + 8), n, i;
	char buf[64];

	if (f && strcmp(f, "email") == 0 && chance(80))
		return json_string("u@example.org");
	if (f && strcmp(f, "date-time") == 0 && chance(80))
		return json_string("2026-11-26T09:30:00Z");
	if (f && strcmp(f, "uuid") == 0 && chance(80))
		return json_string("5f0c7c2e-1d2b-4a8e-9a55-0c7f1d0b9b11");
	if (f && strcmp(f, "uri") == 0 && chance(80))
		return json_string("https://example.org/a");
	if (chance(30))
		return json_string(bank[rnd() % 9]);
	if (hi > lo + 12)
		hi = lo + 12;
	n = rint_in(lo, hi);
	if (n > 60)
		n = 60;
	for (i = 0; i < n; i++)
		buf[i] = "abcxyzABC_1-"[rnd() % 12];
	buf[n] = '\0';
	return json_string(buf);
}

static json_t *
gen_object(json_t *root, json_t *s, int depth)
{
	static const char *const extra[] = { "x_1", "s_a", "extra", "b", "z" };
	json_t *o = json_object(), *props = json_object_get(s, "properties");
	json_t *req = json_object_get(s, "required"), *pp, *add, *v;
	const char *k;
	size_t i;

	if (json_is_object(props))
		json_object_foreach(props, k, v)
			if (chance(60) || depth > 4)
				json_object_set_new(o, k,
						    gen(root, v, depth + 1));
	if (json_is_array(req))
		json_array_foreach(req, i, v)
			if (json_is_string(v) &&
			    !json_object_get(o, json_string_value(v))) {
				json_t *ps =
					json_is_object(props)
						? json_object_get(
							  props,
							  json_string_value(v))
						: NULL;

				json_object_set_new(
					o, json_string_value(v),
					ps ? gen(root, ps, depth + 1)
					   : gen_any(depth + 1));
			}
	pp = json_object_get(s, "patternProperties");
	if (json_is_object(pp) && chance(40))
		json_object_foreach(pp, k, v)
			json_object_set_new(o, extra[rnd() % 2],
					    gen(root, v, depth + 1));
	add = json_object_get(s, "additionalProperties");
	if (!json_is_false(add) && chance(40))
		json_object_set_new(o, extra[rnd() % 5],
				    add ? gen(root, add, depth + 1)
					: gen_any(depth + 1));
	return o;
}

static json_t *
gen_array(json_t *root, json_t *s, int depth)
{
	json_t *a = json_array(), *pre = json_object_get(s, "prefixItems"),
	       *items = json_object_get(s, "items");
	long lo = num_kw(s, "minItems", 0), hi = num_kw(s, "maxItems", lo + 3),
	     n, i;

	if (json_is_array(items)) {
		pre = items;
		items = json_object_get(s, "additionalItems");
	}
	if (hi > lo + 3)
		hi = lo + 3;
	n = depth > 4 ? lo : rint_in(lo, hi);
	for (i = 0; i < n; i++) {
		json_t *is =
			json_is_array(pre) && (size_t)i < json_array_size(pre)
				? json_array_get(pre, (size_t)i)
				: items;

		json_array_append_new(a, is ? gen(root, is, depth + 1)
					    : gen_any(depth + 1));
	}
	return a;
}

static json_t *
gen(json_t *root, json_t *s, int depth)
{
	json_t *m, *v, *r;
	const char *t;

	if (!json_is_object(s) || depth > 8 || chance(5))
		return gen_any(depth);
	m = json_object();
	merge_into(m, s);
	if (json_is_string(v = json_object_get(s, "$ref")))
		merge_into(m, resolve(root, json_string_value(v)));
	if (json_is_array(v = json_object_get(s, "allOf"))) {
		size_t i;
		json_t *x;

		json_array_foreach(v, i, x)
			merge_into(m, x);
	}
	json_object_del(m, "allOf");
	if (json_is_array(v = json_object_get(m, "anyOf")) ||
	    json_is_array(v = json_object_get(m, "oneOf"))) {
		json_t *br = json_array_get(v, rnd() % json_array_size(v));

		json_incref(v);
		json_object_del(m, "anyOf");
		json_object_del(m, "oneOf");
		json_decref(v);
		if (json_is_object(br)) {
			json_t *b2 = json_copy(br);

			merge_into(b2, m);
			json_decref(m);
			m = b2;
		}
	}
	if ((v = json_object_get(m, "$ref")) &&
	    json_object_get(s, "$ref") != v) {
		r = gen(root, resolve(root, json_string_value(v)), depth + 1);
		json_decref(m);
		return r;
	}
	if ((v = json_object_get(m, "const"))) {
		r = json_incref(v);
	} else if (json_is_array(v = json_object_get(m, "enum")) &&
		   json_array_size(v)) {
		r = json_incref(json_array_get(v, rnd() % json_array_size(v)));
	} else {
		t = pick_type(m);
		if (strcmp(t, "null") == 0) {
			r = json_null();
		} else if (strcmp(t, "boolean") == 0) {
			r = json_boolean(rnd() & 1);
		} else if (strcmp(t, "integer") == 0 ||
			   strcmp(t, "number") == 0) {
			long lo = json_object_get(m, "exclusiveMinimum")
					  ? num_kw(m, "exclusiveMinimum", 0) + 1
					  : num_kw(m, "minimum", -20);
			long hi = json_object_get(m, "exclusiveMaximum")
					  ? num_kw(m, "exclusiveMaximum", 0) - 1
					  : num_kw(m, "maximum", lo + 40);
			long mult = num_kw(m, "multipleOf", 1), x;

			if (mult <= 0)
				mult = 1;
			x = rint_in(lo / mult, hi / mult) * mult;
			if (strcmp(t, "number") == 0 && chance(40))
				r = json_real((double)x + 0.5);
			else
				r = json_integer(x);
		} else if (strcmp(t, "string") == 0) {
			r = gen_string(m);
		} else if (strcmp(t, "array") == 0) {
			r = gen_array(root, m, depth);
		} else {
			r = gen_object(root, m, depth);
		}
	}
	json_decref(m);
	return r;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct side {
	json_t *doc;
	struct schema *sc;
};

static int
load_side(const char *path, struct side *s)
{
	struct errbuf eb = { 0 };
	json_error_t jerr;

	s->doc = json_load_file(path, JSON_DECODE_ANY, &jerr);
	s->sc = schema_load(path, NULL, &eb);
	if (s->doc == NULL || s->sc == NULL) {
		diag("%s: %s", path, eb.msg);
		return -1;
	}
	return 0;
}

/*
 * One direction: values of a checked against b.  Returns the number of
 * values valid under a that b rejects; *valid gets how many were valid.
 */
static int
cross(struct side *a, struct side *b, int *valid, char **witness)
{
	int i, bad = 0;

	*valid = 0;
	for (i = 0; i < TRIES; i++) {
		json_t *v = gen(a->doc, a->doc, 0);

		if (schema_validate(a->sc, v, NULL)) {
			(*valid)++;
			if (!schema_validate(b->sc, v, NULL)) {
				if (bad++ == 0)
					*witness = json_dumps(
						v,
						JSON_COMPACT | JSON_ENCODE_ANY);
			}
		}
		json_decref(v);
	}
	return bad;
}

int
main(void)
{
	const char *fx = getenv("FIXTURES");
	char **names = NULL, dir[4096];
	size_t n = 0, i;
	int incompatible = 0, shown = 0;
	struct dirent *de;
	DIR *d;

	if (fx == NULL) {
		printf("1..1\nnot ok 1 - FIXTURES is not set\n");
		return 1;
	}
	snprintf(dir, sizeof dir, "%s/compat", fx);
	d = opendir(dir);
	if (d == NULL) {
		printf("1..1\nnot ok 1 - cannot open %s\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			names = xreallocarray(names, n + 1, sizeof *names);
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	ok(n >= 40, "%zu schema pairs (at least 40)", n);
	for (i = 0; i < n; i++) {
		char po[4200], pn[4200];
		struct side o, nw;
		int dir_i;

		snprintf(po, sizeof po, "%s/%s/old.json", dir, names[i]);
		snprintf(pn, sizeof pn, "%s/%s/new.json", dir, names[i]);
		if (!ok(load_side(po, &o) == 0 && load_side(pn, &nw) == 0,
			"%s: both schemas compile", names[i]))
			continue;
		for (dir_i = 0; dir_i < 2; dir_i++) {
			struct compat_result res;
			struct errbuf eb = { 0 };
			struct side *a = dir_i ? &nw : &o,
				    *b = dir_i ? &o : &nw;
			char *witness = NULL;
			int valid, bad, rc;

			rc = schema_compat(
				po, pn,
				dir_i ? COMPAT_FORWARD : COMPAT_BACKWARD,
				&(struct schema_opts){ 0 }, &res, &eb);
			bad = cross(a, b, &valid, &witness);
			ok(rc == 0 && valid > 0 && (res.n > 0 || bad == 0),
			   "%s %s: %s, %d of %d generated values valid, %d "
			   "rejected by the other%s%s",
			   names[i], dir_i ? "forward" : "backward",
			   res.n ? "incompatible" : "compatible", valid, TRIES,
			   bad, witness ? ": " : "", witness ? witness : "");
			if (res.n > 0) {
				incompatible++;
				shown += bad > 0;
			}
			jnum_free(witness);
			compat_result_release(&res);
		}
		json_decref(o.doc);
		json_decref(nw.doc);
		schema_free(o.sc);
		schema_free(nw.sc);
	}
	ok(shown * 10 >= incompatible * 7,
	   "a value shows the break for %d of %d incompatible directions "
	   "(at least 70%%)",
	   shown, incompatible);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return done_testing();
}
