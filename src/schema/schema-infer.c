/*
 * schema-infer.c -- infer a JSON Schema from values (see schema-infer.h).
 *
 * One node per place in the values (the root, each property name under
 * an object place, the items of an array place), merged over every
 * value: the types seen, numeric bounds, the distinct strings while they
 * are few, the formats every string matched, and per property how many
 * objects held it.  Nodes live in one growing array and refer to each
 * other by index; an object node maps property names to node indexes in
 * a JSON object.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/jnum.h"
#include "schema-infer.h"
#include "lib/xmalloc.h"

enum { T_NULL, T_BOOL, T_INT, T_REAL, T_STRING, T_ARRAY, T_OBJECT, T_COUNT };

static const struct {
	const char *name;
	int draft7;
} formats[] = {
	{ "date-time", 1 },
	{ "email", 1 },
	{ "uuid", 0 }, /* not a draft-07 format */
	{ "uri", 1 },
};
#define NFORMATS (sizeof formats / sizeof formats[0])

struct node {
	uint64_t seen[T_COUNT];
	/* the least and greatest number seen (references), compared as
	 * expressions compare (jnum_cmp(): exactly when both are written
	 * out), printed with the text they were read with */
	json_t *nmin, *nmax;
	json_t *strings; /* object used as a set; NULL once too many */
	unsigned fmt_ok; /* bit i: every string matched formats[i] */
	json_t *props;	 /* object: name -> integer node index */
	size_t items;	 /* node index of array items; 0: none yet */
};

struct schema_infer {
	struct node *nodes; /* [0] is the root */
	size_t n, cap;
	enum schema_dialect dialect;
	size_t enum_max;
	size_t count;
};

static size_t
node_new(struct schema_infer *si)
{
	struct node *nd;

	if (si->n == si->cap) {
		si->cap = si->cap ? si->cap * 2 : 16;
		si->nodes = xreallocarray(si->nodes, si->cap, sizeof *nd);
	}
	nd = &si->nodes[si->n];
	memset(nd, 0, sizeof *nd);
	nd->strings = si->enum_max ? json_object() : NULL;
	nd->fmt_ok = (1u << NFORMATS) - 1;
	return si->n++;
}

struct schema_infer *
schema_infer_new(enum schema_dialect dialect, size_t enum_max)
{
	struct schema_infer *si = xcalloc(1, sizeof *si);

	si->dialect =
		dialect == SCHEMA_DIALECT_AUTO ? SCHEMA_DRAFT2020_12 : dialect;
	si->enum_max = enum_max;
	node_new(si);
	return si;
}

size_t
schema_infer_count(const struct schema_infer *si)
{
	return si->count;
}

static void
add_string(struct schema_infer *si, size_t idx, json_t *v)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v), i;
	struct node *nd = &si->nodes[idx];

	for (i = 0; i < NFORMATS; i++)
		if ((nd->fmt_ok & (1u << i)) &&
		    schema_format_check(formats[i].name, s, len) != 1)
			nd->fmt_ok &= ~(1u << i);
	if (nd->strings == NULL)
		return;
	/* Set keys are C strings: a string holding NUL never makes an
	 * enum. */
	if (memchr(s, '\0', len) != NULL) {
		json_decref(nd->strings);
		nd->strings = NULL;
		return;
	}
	json_object_set_new(nd->strings, s, json_true());
	if (json_object_size(nd->strings) > si->enum_max) {
		json_decref(nd->strings);
		nd->strings = NULL;
	}
}

/*
 * An integer as validate decides it, on the number as written: 1, 1.0,
 * 1e2 and 12345678901234567890 are; a computed double when integral.
 */
static int
is_integer(const json_t *v)
{
	const char *t;
	size_t n;
	double d;

	if (json_is_integer(v))
		return 1;
	t = jnum_text(v, &n);
	if (t != NULL)
		return jnum_dec_is_integer(t, n);
	d = jnum_value(v);
	return isfinite(d) && d == floor(d);
}

static void
add_value(struct schema_infer *si, size_t idx, json_t *v)
{
	struct node *nd = &si->nodes[idx];
	const char *k;
	json_t *x;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_NULL:
		nd->seen[T_NULL]++;
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		nd->seen[T_BOOL]++;
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		if (nd->nmin == NULL || jnum_cmp(v, nd->nmin) < 0) {
			json_decref(nd->nmin);
			nd->nmin = json_incref(v);
		}
		if (nd->nmax == NULL || jnum_cmp(v, nd->nmax) > 0) {
			json_decref(nd->nmax);
			nd->nmax = json_incref(v);
		}
		nd->seen[is_integer(v) ? T_INT : T_REAL]++;
		break;
	case JSON_STRING:
		nd->seen[T_STRING]++;
		add_string(si, idx, v);
		break;
	case JSON_ARRAY:
		nd->seen[T_ARRAY]++;
		for (i = 0; i < json_array_size(v); i++) {
			if (si->nodes[idx].items == 0) {
				size_t c = node_new(si);

				si->nodes[idx].items = c;
			}
			add_value(si, si->nodes[idx].items,
				  json_array_get(v, i));
		}
		break;
	case JSON_OBJECT:
		nd->seen[T_OBJECT]++;
		if (nd->props == NULL)
			nd->props = json_object();
		json_object_foreach(v, k, x) {
			json_t *ix = json_object_get(si->nodes[idx].props, k);
			size_t c;

			if (ix == NULL) {
				c = node_new(si);
				json_object_set_new(
					si->nodes[idx].props, k,
					json_integer((json_int_t)c));
			} else {
				c = (size_t)json_integer_value(ix);
			}
			add_value(si, c, x);
		}
		break;
	}
}

void
schema_infer_add(struct schema_infer *si, json_t *value)
{
	si->count++;
	add_value(si, 0, value);
}

static uint64_t
node_total(const struct node *nd)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < T_COUNT; i++)
		t += nd->seen[i];
	return t;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of object o, sorted (array owned by the caller). */
static const char **
sorted_keys(json_t *o, size_t *n)
{
	const char **v = xcalloc(json_object_size(o) + 1, sizeof *v);
	const char *k;
	json_t *x;

	*n = 0;
	json_object_foreach(o, k, x)
		v[(*n)++] = k;
	qsort(v, *n, sizeof *v, cmp_str);
	return v;
}

static json_t *node_schema(struct schema_infer *si, size_t idx);

static void
add_type(json_t *types, const char *t)
{
	json_array_append_new(types, json_string(t));
}

static json_t *
node_schema(struct schema_infer *si, size_t idx)
{
	struct node *nd = &si->nodes[idx];
	json_t *s = json_object(), *types = json_array();
	int num = nd->seen[T_INT] || nd->seen[T_REAL];
	int only_strings;
	size_t i, n;

	if (node_total(nd) == 0) {
		/* A place never seen with a value (the root of no events):
		 * the schema that accepts nothing would reject the next
		 * event, so say nothing. */
		json_decref(types);
		return s;
	}
	if (nd->seen[T_NULL])
		add_type(types, "null");
	if (nd->seen[T_BOOL])
		add_type(types, "boolean");
	if (nd->seen[T_REAL])
		add_type(types, "number");
	else if (nd->seen[T_INT])
		add_type(types, "integer");
	if (nd->seen[T_STRING])
		add_type(types, "string");
	if (nd->seen[T_ARRAY])
		add_type(types, "array");
	if (nd->seen[T_OBJECT])
		add_type(types, "object");
	if (json_array_size(types) == 1)
		json_object_set(s, "type", json_array_get(types, 0));
	else
		json_object_set(s, "type", types);
	json_decref(types);

	only_strings = nd->seen[T_STRING] &&
		       nd->seen[T_STRING] + nd->seen[T_NULL] == node_total(nd);
	if (only_strings && nd->strings &&
	    nd->seen[T_STRING] >= 2 * json_object_size(nd->strings)) {
		const char **keys = sorted_keys(nd->strings, &n);
		json_t *e = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(e, json_string(keys[i]));
		if (nd->seen[T_NULL])
			json_array_append_new(e, json_null());
		json_object_set_new(s, "enum", e);
		free(keys);
	} else if (nd->seen[T_STRING]) {
		for (i = 0; i < NFORMATS; i++) {
			if (!(nd->fmt_ok & (1u << i)))
				continue;
			if (!formats[i].draft7 && si->dialect == SCHEMA_DRAFT7)
				continue;
			json_object_set_new(s, "format",
					    json_string(formats[i].name));
			break;
		}
	}
	if (num) {
		/* the events' own numbers, text and all: validate compares
		 * them exactly with the same texts */
		json_object_set(s, "minimum", nd->nmin);
		json_object_set(s, "maximum", nd->nmax);
	}
	if (nd->seen[T_ARRAY] && nd->items)
		json_object_set_new(s, "items", node_schema(si, nd->items));
	if (nd->seen[T_OBJECT] && nd->props) {
		const char **keys = sorted_keys(nd->props, &n);
		json_t *props = json_object(), *req = json_array();

		for (i = 0; i < n; i++) {
			size_t c = (size_t)json_integer_value(
				json_object_get(nd->props, keys[i]));

			json_object_set_new(props, keys[i], node_schema(si, c));
			/* si->nodes may have moved: no, node_schema only
			 * reads; but take the count afresh anyway. */
			if (node_total(&si->nodes[c]) ==
			    si->nodes[idx].seen[T_OBJECT])
				json_array_append_new(req,
						      json_string(keys[i]));
		}
		if (n)
			json_object_set_new(s, "properties", props);
		else
			json_decref(props);
		if (json_array_size(req))
			json_object_set_new(s, "required", req);
		else
			json_decref(req);
		free(keys);
	}
	return s;
}

json_t *
schema_infer_result(struct schema_infer *si)
{
	static const char *const uris[] = {
		[SCHEMA_DRAFT7] = "http://json-schema.org/draft-07/schema#",
		[SCHEMA_DRAFT2019_09] =
			"https://json-schema.org/draft/2019-09/schema",
		[SCHEMA_DRAFT2020_12] =
			"https://json-schema.org/draft/2020-12/schema",
	};
	json_t *body = node_schema(si, 0), *s = json_object();

	json_object_set_new(s, "$schema", json_string(uris[si->dialect]));
	json_object_update(s, body);
	json_decref(body);
	return s;
}

void
schema_infer_free(struct schema_infer *si)
{
	size_t i;

	if (si == NULL)
		return;
	for (i = 0; i < si->n; i++) {
		json_decref(si->nodes[i].strings);
		json_decref(si->nodes[i].props);
		json_decref(si->nodes[i].nmin);
		json_decref(si->nodes[i].nmax);
	}
	free(si->nodes);
	free(si);
}
