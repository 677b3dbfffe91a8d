/*
 * expr-regex.c -- jq's regular expressions (test, match, capture, scan,
 * split/2, splits, sub, gsub) on PCRE2 with JIT, iterating as jq 1.7
 * does (regex_iter_next()).
 *
 * jq uses Oniguruma with Perl syntax; the differences that matter are
 * bridged here: "^" and "$" anchor at the string (not at lines), "."
 * does not match a newline unless the "p" flag is given, offsets and
 * lengths are counted in code points.  Compiling, the cache of
 * compiled patterns and the match limits are lib/regex.c's, as for every
 * other user of regular expressions.  capture, scan, splits and split/2
 * are jq 1.7.1's definitions over match (expr-func.c's table); sub is
 * its definition done in C here.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "expr-impl.h"
#include "lib/regex.h"
#include "lib/xmalloc.h"

/* What a match counts against the expression's steps: it builds an
 * object of four members, and one of five for each group. */
#define REGEX_MATCH_STEPS 8
#define REGEX_GROUP_STEPS 4
/* A match that gives up at its match limit backtracked a million times:
 * it counts as much as 200,000 steps, so that "?" catching such failures
 * cannot go on for long. */
#define REGEX_LIMIT_STEPS 200000

/* The compiled regex (a new reference) or NULL with jq's error,
 * "Regex failure: " and what the regex library says. */
static struct regex *
regex_get(struct ectx *c, const char *pat, size_t len, unsigned flags)
{
	struct errbuf eb = { 0 };
	size_t off = 0;
	struct regex *re = regex_compile_at(pat, len, flags, &off, &eb);

	if (!re) {
		ev_error(c, "Regex failure: %s (at offset %zu of \"%.*s\")",
			 eb.msg, off, (int)(len > 100 ? 100 : len), pat);
		errbuf_clear(&eb);
	}
	return re;
}

/*
 * Code point index of byte offset b of s, counted on from the last one
 * asked (matches come left to right), so that the offsets of all the
 * matches in a string cost one pass over it, not one each.
 */
struct cp_walk {
	size_t byte, cp;
};

static size_t
cp_at(const char *s, size_t b, struct cp_walk *w)
{
	if (b < w->byte) /* a group before the last one asked */
		w->cp -= utf8_count(s + b, w->byte - b);
	else
		w->cp += utf8_count(s + w->byte, b - w->byte);
	w->byte = b;
	return w->cp;
}

static json_t *
regex_group(const char *s, const size_t *ov, uint32_t g, const char *name,
	    int whole, struct cp_walk *w)
{
	json_t *o = json_object();

	if (ov[2 * g] == REGEX_UNSET) {
		json_object_set_new(o, "offset", json_integer(-1));
		json_object_set_new(o, "length", json_integer(0));
		json_object_set_new(o, "string", json_null());
	} else {
		size_t b = ov[2 * g], e = ov[2 * g + 1];

		json_object_set_new(o, "offset",
				    json_integer((json_int_t)cp_at(s, b, w)));
		json_object_set_new(
			o, "length",
			json_integer((json_int_t)utf8_count(s + b, e - b)));
		json_object_set_new(o, "string", val_string(s + b, e - b));
	}
	if (!whole)
		json_object_set_new(o, "name",
				    name ? val_string(name, strlen(name))
					 : json_null());
	return o;
}

/*
 * jq's modifier letters: g global, i caseless, x extended, n no empty
 * matches, p dot matches newline; s and l are accepted and ignored.
 * -1 for any other letter.
 */
static int
regex_flags(const char *f, size_t n, unsigned *flags, unsigned *mflags,
	    int *global)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (f[i]) {
		case 'g':
			*global = 1;
			break;
		case 'i':
			*flags |= REGEX_CASELESS;
			break;
		case 'x':
			*flags |= REGEX_EXTENDED;
			break;
		case 'n':
			*mflags |= REGEX_NOTEMPTY;
			break;
		case 'p':
			*flags |= REGEX_DOTALL;
			break;
		case 's':
		case 'l':
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/*
 * The compiled regex for re with flags (a new reference), its match
 * flags and whether "g" was given.  NULL with an error for a bad regex or
 * flags.
 */
static struct regex *
regex_prepare(struct ectx *c, json_t *re, json_t *flags, unsigned *mflags,
	      int *global)
{
	unsigned rflags = REGEX_UCP;

	*mflags = 0;
	*global = 0;
	if (!json_is_string(re)) {
		char d[64];

		val_describe(re, d, sizeof(d));
		ev_error(c, "%s cannot be matched, as it is not a string", d);
		return NULL;
	}
	if (json_is_string(flags)) {
		if (regex_flags(json_string_value(flags),
				json_string_length(flags), &rflags, mflags,
				global) == -1) {
			ev_error(c, "%s is not a valid modifier string",
				 json_string_value(flags));
			return NULL;
		}
	} else if (!json_is_null(flags)) {
		char d[64];

		val_describe(flags, d, sizeof(d));
		ev_error(c, "%s is not a string", d);
		return NULL;
	}
	return regex_get(c, json_string_value(re), json_string_length(re),
			 rflags);
}

/* A match failed with a PCRE2 error (a limit): jq's error, counted. */
static int
regex_failed(struct ectx *c, int rc)
{
	char msg[200];

	if (ev_tick_n(c, REGEX_LIMIT_STEPS) < 0)
		return -1;
	regex_error_message(rc, msg, sizeof(msg));
	return ev_error(c, "regex match failed: %s", msg);
}

/* What a match of re counts against the steps. */
static size_t
regex_match_steps(const struct regex *re)
{
	return REGEX_MATCH_STEPS +
	       REGEX_GROUP_STEPS * (size_t)regex_ngroups(re);
}

/*
 * The matches of one regex in one string, as jq 1.7 walks them: each
 * search runs over the whole subject from where the previous match
 * ended (so "^" and look-behind see the whole string); an empty match
 * steps one code point on before the next search, and an empty match at
 * the very end counts.  Without "g", the first match only.
 */
struct regex_iter {
	struct regex *re;
	const char *s;
	size_t len, start;
	unsigned mflags;
	int global, done;
};

/* 1 with the next match's offsets in *ovp (valid until the next search
 * of the same regex), 0 after the last, -1 with an error. */
static int
regex_iter_next(struct ectx *c, struct regex_iter *it, const size_t **ovp)
{
	const size_t *ov;
	int m;

	if (it->done)
		return 0;
	m = regex_exec(it->re, NULL, it->s, it->len, it->start, it->mflags);
	if (m <= 0) {
		it->done = 1;
		return m == 0 ? 0 : regex_failed(c, m);
	}
	/* a match builds about as many values as steps */
	if (ev_tick_n(c, regex_match_steps(it->re)) < 0)
		return -1;
	ov = regex_ovector(it->re, NULL);
	if (!it->global)
		it->done = 1;
	else if (ov[1] > ov[0])
		it->start = ov[1];
	else if (ov[1] >= it->len)
		it->done = 1;
	else
		it->start =
			ov[1] + utf8_offset(it->s + ov[1], it->len - ov[1], 1);
	*ovp = ov;
	return 1;
}

/* The match object of the match of re that ov describes. */
static json_t *
regex_match_object(struct regex *re, const char *s, const size_t *ov,
		   struct cp_walk *walk)
{
	json_t *m = regex_group(s, ov, 0, NULL, 1, walk), *caps = json_array();
	uint32_t g, ng = regex_ngroups(re);

	for (g = 1; g <= ng; g++)
		json_array_append_new(caps, regex_group(s, ov, g,
							regex_group_name(re, g),
							0, walk));
	json_object_set_new(m, "captures", caps);
	return m;
}

int
regex_match(struct ectx *c, json_t *subject, json_t *re, json_t *flags,
	    int test, json_t **out)
{
	struct regex_iter it = { 0 };
	const size_t *ov;
	int m;
	json_t *result;
	struct cp_walk walk = { 0, 0 };

	it.re = regex_prepare(c, re, flags, &it.mflags, &it.global);
	if (!it.re)
		return -1;
	it.s = json_string_value(subject);
	it.len = json_string_length(subject);
	if (test) {
		m = regex_exec(it.re, NULL, it.s, it.len, 0, it.mflags);
		regex_free(it.re);
		if (m < 0)
			return regex_failed(c, m);
		*out = json_boolean(m);
		return 0;
	}
	result = json_array();
	while ((m = regex_iter_next(c, &it, &ov)) > 0)
		json_array_append_new(
			result, regex_match_object(it.re, it.s, ov, &walk));
	regex_free(it.re);
	if (m < 0) {
		json_decref(result);
		return -1;
	}
	*out = result;
	return 0;
}

/* ---- sub and gsub ------------------------------------------------------ */

/* One match of a sub: where it is, and the input of the replacement. */
struct sub_match {
	size_t bo, be;
	json_t *named; /* {name: string or null}: its named captures, or
			  NULL for {} */
};

/* The named captures of the match ov describes, jq's capture object;
 * NULL for a regex without named groups (the object would be {}). */
static json_t *
sub_named(struct regex *re, const char *s, const size_t *ov)
{
	json_t *named = NULL;
	uint32_t g, ng = regex_ngroups(re);

	for (g = 1; g <= ng; g++) {
		const char *name = regex_group_name(re, g);

		if (!name)
			continue;
		if (!named)
			named = json_object();
		json_object_set_new(
			named, name,
			ov[2 * g] == REGEX_UNSET
				? json_null()
				: val_string(s + ov[2 * g],
					     ov[2 * g + 1] - ov[2 * g]));
	}
	return named;
}

/* All the matches of re (flags as given, "g" among them or not) in s,
 * the count in *n; -1 with an error. */
static int
sub_matches(struct ectx *c, json_t *s, json_t *re, json_t *flags,
	    struct sub_match **out, size_t *n)
{
	struct regex_iter it = { 0 };
	struct sub_match *ms = NULL;
	size_t cap = 0;
	const size_t *ov;
	int m;

	*n = 0;
	it.re = regex_prepare(c, re, flags, &it.mflags, &it.global);
	if (!it.re)
		return -1;
	it.s = json_string_value(s);
	it.len = json_string_length(s);
	while ((m = regex_iter_next(c, &it, &ov)) > 0) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			ms = xreallocarray(ms, cap, sizeof(*ms));
		}
		ms[*n].bo = ov[0];
		ms[*n].be = ov[1];
		ms[*n].named = sub_named(it.re, it.s, ov);
		(*n)++;
	}
	regex_free(it.re);
	*out = ms;
	return m;
}

/* jq's error for text + v. */
static void
sub_add_error(struct ectx *c, const char *text, size_t len, json_t *v)
{
	json_t *t = val_string(text, len), *r = NULL;

	if (val_binop(c, OP_ADD, t, v, &r) == 0)
		json_decref(r); /* not for a non-string v: a guard */
	json_decref(t);
}

/*
 * The results being built: jq 1.7's .result, one string per output
 * index of the replacement.
 */
struct sub_results {
	struct buf *b;
	size_t n, cap;
};

/*
 * One match's turn of jq 1.7's reduce: the replacement's k-th output
 * is added, after the text between the previous match and this one, to
 * the k-th result (a result that did not exist yet starts there, without
 * the text of the matches before).  null adds the text alone; anything
 * else but a string is jq's error for "text" + it.
 */
static int
sub_apply(struct ectx *c, struct sub_results *r, json_t *outs, const char *gap,
	  size_t ngap)
{
	size_t k;

	if (ev_tick_n(c, json_array_size(outs) + 1) < 0)
		return -1;
	for (k = 0; k < json_array_size(outs); k++) {
		json_t *v = json_array_get(outs, k);

		if (!json_is_string(v) && !json_is_null(v)) {
			sub_add_error(c, gap, ngap, v);
			return -1;
		}
		if (k == r->n) {
			if (r->n == r->cap) {
				r->cap = r->cap ? 2 * r->cap : 4;
				r->b = xreallocarray(r->b, r->cap,
						     sizeof(*r->b));
			}
			buf_init(&r->b[r->n++]);
		}
		buf_add(&r->b[k], gap, ngap);
		if (json_is_string(v))
			buf_add(&r->b[k], json_string_value(v),
				json_string_length(v));
	}
	return 0;
}

/*
 * sub(re; s; flags) on the string in, as jq 1.7's definition:
 *
 *   . as $in | (reduce match($re; $flags) as $edit ({result: [],
 *   previous: 0}; $in[.previous:$edit.offset] as $gap | [CAPTURES | s]
 *   as $inserts | reduce range(0; $inserts|length) as $ix (.;
 *   .result[$ix] += $gap + $inserts[$ix]) | .previous = $edit.offset +
 *   $edit.length) | .result[] + $in[.previous:]) // $in
 *
 * The matches are all found first (match() does that), then the
 * replacement runs on each match's named captures in order; its outputs
 * are zipped, not combined.  With no match, or a replacement with no
 * output, the input comes out unchanged.  Each result is built in one
 * buffer, so a string with a million matches costs a million steps.
 */
static int
sub_string(struct ectx *c, const struct enode *repl, json_t *in, json_t *re,
	   json_t *flags, ev_fn fn, void *arg)
{
	const char *p = json_string_value(in);
	size_t plen = json_string_length(in), n = 0, prev = 0, i;
	struct sub_match *ms = NULL;
	struct sub_results r = { NULL, 0, 0 };
	/* a regex without named captures gives every match one input, {},
	 * and so the replacement's outputs: an expression gives the same
	 * outputs for the same input, so it is evaluated once for all */
	json_t *none_outs = NULL;
	int rc = sub_matches(c, in, re, flags, &ms, &n);

	for (i = 0; rc == 0 && i < n; i++) {
		json_t *outs;

		if (ms[i].named) {
			outs = ev_collect(c, repl, ms[i].named);
		} else if (none_outs) {
			outs = json_incref(none_outs);
		} else {
			json_t *none = json_object();

			outs = ev_collect(c, repl, none);
			json_decref(none);
			none_outs = json_incref(outs);
		}
		if (!outs) {
			rc = -1;
			break;
		}
		rc = sub_apply(c, &r, outs, p + prev, ms[i].bo - prev);
		json_decref(outs);
		prev = ms[i].be;
	}
	if (rc == 0 && r.n == 0)
		rc = fn(c, in, arg);
	for (i = 0; rc == 0 && i < r.n; i++) {
		json_t *v;

		buf_add(&r.b[i], p + prev, plen - prev);
		v = val_string(r.b[i].data, r.b[i].len);
		rc = fn(c, v, arg);
		json_decref(v);
	}
	for (i = 0; i < n; i++)
		json_decref(ms[i].named);
	free(ms);
	for (i = 0; i < r.n; i++)
		buf_release(&r.b[i]);
	free(r.b);
	json_decref(none_outs);
	return rc;
}

/* The arguments of one sub call, through the outputs of re and flags. */
struct sub_args {
	const struct enode *call;
	json_t *in, *re;
	ev_fn fn;
	void *arg;
};

static int
sub_flags_cb(struct ectx *c, json_t *flags, void *arg)
{
	struct sub_args *sa = arg;

	if (!json_is_string(sa->in)) {
		char d[64];

		val_describe(sa->in, d, sizeof(d));
		return ev_error(
			c, "%s cannot be matched, as it is not a string", d);
	}
	return sub_string(c, sa->call->args[1], sa->in, sa->re, flags, sa->fn,
			  sa->arg);
}

static int
sub_re_cb(struct ectx *c, json_t *re, void *arg)
{
	struct sub_args *sa = arg;

	sa->re = re;
	return ev(c, sa->call->args[2], sa->in, sub_flags_cb, sa);
}

int
regex_sub(struct ectx *c, const struct enode *call, json_t *in, ev_fn fn,
	  void *arg)
{
	struct sub_args sa = { call, in, NULL, fn, arg };

	return ev(c, call->args[0], in, sub_re_cb, &sa);
}

struct regex_test {
	struct regex *re;
	struct regex_md *md;
	unsigned mflags;
};

int
regex_check_literal(const char *re, size_t len, const char *flags, size_t flen,
		    size_t *off, struct errbuf *eb)
{
	unsigned rflags = REGEX_UCP, mflags = 0;
	struct regex *r;
	int global = 0;

	*off = 0;
	if (flags && regex_flags(flags, flen, &rflags, &mflags, &global) == -1)
		return errbuf_set(eb, STATUS_USAGE,
				  "%.*s is not a valid modifier string",
				  (int)(flen > 40 ? 40 : flen), flags);
	r = regex_compile_at(re, len, rflags, off, eb);
	if (r == NULL) {
		char why[sizeof eb->msg];

		snprintf(why, sizeof why, "%s", eb->msg);
		return errbuf_set(eb, STATUS_USAGE,
				  "Regex failure: %s (at offset %zu of "
				  "\"%.*s\")",
				  why, *off, (int)(len > 100 ? 100 : len), re);
	}
	regex_free(r);
	return 0;
}

struct regex_test *
regex_test_new(const char *re, size_t len, const char *flags, size_t flen)
{
	unsigned rflags = REGEX_UCP;
	struct regex_test *t;
	int global = 0;

	t = xcalloc(1, sizeof(*t));
	if (flags &&
	    regex_flags(flags, flen, &rflags, &t->mflags, &global) == -1)
		goto fail;
	t->re = regex_compile(re, len, rflags, NULL);
	if (!t->re)
		goto fail;
	t->md = regex_md_new(t->re);
	return t;
fail:
	regex_test_free(t);
	return NULL;
}

int
regex_test_run(struct regex_test *t, const char *s, size_t len)
{
	int rc = regex_exec(t->re, t->md, s, len, 0, t->mflags);

	return rc < 0 ? -1 : rc;
}

void
regex_test_free(struct regex_test *t)
{
	if (t == NULL)
		return;
	regex_md_free(t->md);
	regex_free(t->re);
	free(t);
}
