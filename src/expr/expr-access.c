/*
 * expr-access.c -- the paths an expression reads, and a partial input
 * holding just those (see expr-access.h).
 *
 * The analysis follows which nodes receive the expression's input as
 * their input ("root input"): the left side of a pipe does, the right
 * side does not (it gets the left side's outputs); operands, conditions,
 * array and object parts, string interpolations, "as" bindings and
 * bodies, reduce/foreach sources and initial values all do.  A node with
 * root input that is a path of literal keys (.a.b."c") is recorded: its
 * whole subtree will be present.  Any other node with root input that
 * could look at the input itself makes the plan impossible.
 */
#include <stdlib.h>
#include <string.h>

#include "expr-access.h"
#include "expr-impl.h"
#include "json/json-scan.h"
#include "lib/xmalloc.h"

/* A trie of the keys read; "whole" marks a subtree needed in full. */
struct access_node {
	char *key;
	size_t keylen;
	int whole;
	struct access_node **kids;
	size_t nkids;
};

struct expr_access {
	struct access_node root;
};

static void
node_release(struct access_node *n)
{
	size_t i;

	for (i = 0; i < n->nkids; i++) {
		node_release(n->kids[i]);
		free(n->kids[i]);
	}
	free(n->kids);
	free(n->key);
}

void
expr_access_free(struct expr_access *a)
{
	if (a == NULL)
		return;
	node_release(&a->root);
	free(a);
}

/* Is n a literal path from the input: ., .a, .a."b", .a.b? ... */
static int
is_key_path(const struct enode *n)
{
	while (n->kind == EN_INDEX) {
		if (n->b == NULL || n->b->kind != EN_LIT ||
		    !json_is_string(n->b->lit))
			return 0;
		n = n->a;
	}
	return n->kind == EN_IDENTITY;
}

/* Record the path keys[0..k) in the trie; its subtree is read whole. */
static void
record_keys(struct access_node *root, json_t *const *keys, int k)
{
	struct access_node *t = root;
	int i;

	for (i = 0; i < k && !t->whole; i++) {
		const char *key = json_string_value(keys[i]);
		size_t len = json_string_length(keys[i]), j;
		struct access_node *c = NULL;

		for (j = 0; j < t->nkids; j++)
			if (t->kids[j]->keylen == len &&
			    memcmp(t->kids[j]->key, key, len) == 0)
				c = t->kids[j];
		if (c == NULL) {
			c = xcalloc(1, sizeof *c);
			c->key = xmalloc(len + 1);
			memcpy(c->key, key, len);
			c->key[len] = '\0';
			c->keylen = len;
			t->kids = xreallocarray(t->kids, t->nkids + 1,
						sizeof *t->kids);
			t->kids[t->nkids++] = c;
		}
		t = c;
	}
	t->whole = 1;
}

/* Record the path of n (is_key_path, at least one step). */
static int
record_path(struct access_node *root, const struct enode *n)
{
	json_t *keys[64];
	int k = 0, i;

	for (; n->kind == EN_INDEX; n = n->a) {
		if (k == 64)
			return -1; /* absurdly deep: read it all */
		keys[k++] = n->b->lit;
	}
	for (i = 0; i < k / 2; i++) {
		json_t *t = keys[i];

		keys[i] = keys[k - 1 - i];
		keys[k - 1 - i] = t;
	}
	record_keys(root, keys, k);
	return 0;
}

static int check(struct access_node *root, const struct enode *n);

/* A pattern's key expressions see the value bound, not the input; but
 * keep it simple: only literal keys are allowed. */
static int
check_pattern(const struct epat *p)
{
	int i;

	if (p == NULL)
		return 0;
	for (i = 0; i < p->n; i++) {
		if (p->keys && p->keys[i] && p->keys[i]->kind != EN_LIT)
			return -1;
		if (p->sub && p->sub[i] && check_pattern(p->sub[i]) == -1)
			return -1;
	}
	return 0;
}

/* n receives the root input.  0 if every read of it is a recorded path. */
static int
check(struct access_node *root, const struct enode *n)
{
	int i;

	if (n == NULL)
		return 0;
	if (n->kind != EN_IDENTITY && is_key_path(n)) {
		/* .a.b: keys containing NUL cannot be looked up by name */
		const struct enode *m;

		for (m = n; m->kind == EN_INDEX; m = m->a)
			if (memchr(json_string_value(m->b->lit), '\0',
				   json_string_length(m->b->lit)))
				return -1;
		return record_path(root, n);
	}
	switch (n->kind) {
	case EN_LIT:
	case EN_VAR:
		return 0;
	case EN_INDEX:
	case EN_SLICE:
	case EN_ITER:
		/* a[b]: a's value is used whole; b also sees the input */
		if (n->a->kind == EN_IDENTITY)
			return -1;
		if (check(root, n->a) == -1 || check(root, n->b) == -1)
			return -1;
		return check(root, n->c);
	case EN_TRY:
		/* the handler gets the error, not the input */
		return check(root, n->a);
	case EN_PIPE:
		/* the right side gets the left side's outputs */
		return check(root, n->a);
	case EN_COMMA:
	case EN_NEG:
	case EN_BINOP:
	case EN_AND:
	case EN_OR:
	case EN_ALT:
	case EN_IF:
	case EN_ARRAY:
		if (check(root, n->a) == -1 || check(root, n->b) == -1)
			return -1;
		return check(root, n->c);
	case EN_OBJECT:
		for (i = 0; i < n->n; i++) {
			if (check(root, n->args[i]) == -1)
				return -1;
			if (n->vals[i] == NULL) {
				/* {k}: the input's field k */
				const struct enode *k = n->args[i];

				if (k->kind != EN_LIT ||
				    !json_is_string(k->lit) ||
				    memchr(json_string_value(k->lit), '\0',
					   json_string_length(k->lit)))
					return -1;
				record_keys(root, &k->lit, 1);
			} else if (check(root, n->vals[i]) == -1) {
				return -1;
			}
		}
		return 0;
	case EN_STRING:
		for (i = 0; i < n->n; i++)
			if (n->args[i] && check(root, n->args[i]) == -1)
				return -1;
		return 0;
	case EN_AS:
		/* the body gets the same input as the whole "as" */
		if (check_pattern(n->pat) == -1 || check(root, n->a) == -1)
			return -1;
		return check(root, n->b);
	case EN_REDUCE:
	case EN_FOREACH:
		/* source and initial value see the input; the update and
		 * extract see the accumulator */
		if (check_pattern(n->pat) == -1 || check(root, n->a) == -1)
			return -1;
		return check(root, n->b);
	default:
		/* ., .., @fmt, builtins given the input, assignments */
		return -1;
	}
}

struct expr_access *
expr_access_new(const struct expr *x)
{
	struct expr_access *a = xcalloc(1, sizeof *a);

	if (check(&a->root, x->root) == -1 || a->root.whole) {
		expr_access_free(a);
		return NULL;
	}
	return a;
}

/* Fill obj (an object) from tape object v along trie node t. */
static int
fill(struct jscan *js, const struct access_node *t, struct jscan_val v,
     json_t *obj)
{
	size_t i;

	for (i = 0; i < t->nkids; i++) {
		const struct access_node *c = t->kids[i];
		struct jscan_val cv = jscan_get(v, c->key, c->keylen);
		json_t *sub;

		if (jscan_type(cv) == JSCAN_NONE)
			continue; /* absent: reads as null */
		if (c->whole || jscan_type(cv) != JSCAN_OBJECT) {
			/* a non-object on the way is taken whole, so that
			 * indexing it fails (or not) exactly as it would */
			sub = jscan_json(js, cv, NULL);
			if (sub == NULL)
				return -1;
		} else {
			sub = json_object();
			if (fill(js, c, cv, sub) == -1) {
				json_decref(sub);
				return -1;
			}
		}
		json_object_setn_new_nocheck(obj, c->key, c->keylen, sub);
	}
	return 0;
}

json_t *
expr_access_input(const struct expr_access *a, struct jscan *js)
{
	struct jscan_val root = jscan_root(js);
	json_t *obj;

	if (jscan_type(root) != JSCAN_OBJECT)
		return NULL;
	obj = json_object();
	if (fill(js, &a->root, root, obj) == -1) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}
