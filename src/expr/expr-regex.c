/*
 * expr-regex.c -- jq's regular expressions (test, match, capture, scan,
 * split/2, sub, gsub) on PCRE2 with JIT.
 *
 * jq uses Oniguruma with Perl syntax; the differences that matter are
 * bridged here: "^" and "$" anchor at the string (not at lines), "."
 * does not match a newline unless the "p" flag is given, offsets and
 * lengths are counted in code points.  Compiling, the cache of
 * compiled patterns and the match limits are lib/regex.c's, as for every
 * other user of regular expressions.
 */
#include <stdlib.h>
#include <string.h>

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

/* The compiled regex (a new reference) or NULL with jq's error. */
static struct regex *
regex_get(struct ectx *c, const char *pat, size_t len, unsigned flags)
{
	struct errbuf eb = { 0 };
	size_t off = 0;
	struct regex *re = regex_compile_at(pat, len, flags, &off, &eb);

	if (!re) {
		ev_error(c, "%.*s (at offset %zu) is not a valid regex: %s",
			 (int)(len > 100 ? 100 : len), pat, off, eb.msg);
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

/* A regex prepared for the matches of one sub call: see expr-impl.h. */
struct regex_one {
	struct regex *re;
	struct regex_md *md; /* its own: the replacement may match too */
	unsigned mflags;
};

struct regex_one *
regex_one_open(struct ectx *c, json_t *re, json_t *flags)
{
	struct regex_one *r;
	unsigned mflags;
	int global;
	struct regex *x = regex_prepare(c, re, flags, &mflags, &global);

	if (!x)
		return NULL;
	r = xmalloc(sizeof(*r));
	r->re = x;
	r->mflags = mflags;
	r->md = regex_md_new(x);
	return r;
}

void
regex_one_close(struct regex_one *r)
{
	if (!r)
		return;
	regex_md_free(r->md);
	regex_free(r->re);
	free(r);
}

int
regex_one_match(struct ectx *c, struct regex_one *r, const char *s, size_t len,
		size_t *bo, size_t *be, json_t **named)
{
	const size_t *ov;
	uint32_t g, ng = regex_ngroups(r->re);
	int rc = regex_exec(r->re, r->md, s, len, 0, r->mflags);

	if (rc == 0)
		return 0;
	if (rc < 0)
		return regex_failed(c, rc);
	if (ev_tick_n(c, regex_match_steps(r->re)) < 0)
		return -1;
	ov = regex_ovector(r->re, r->md);
	*bo = ov[0];
	*be = ov[1];
	*named = json_object();
	for (g = 1; g <= ng; g++) {
		const char *name = regex_group_name(r->re, g);

		if (name)
			json_object_set_new(
				*named, name,
				ov[2 * g] == REGEX_UNSET
					? json_null()
					: val_string(s + ov[2 * g],
						     ov[2 * g + 1] -
							     ov[2 * g]));
	}
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
	unsigned mflags;
	int global, rc = 0;
	struct regex *x = regex_prepare(c, re, flags, &mflags, &global);
	const char *s;
	size_t len, start = 0;
	json_t *result;
	struct cp_walk walk = { 0, 0 };

	if (!x)
		return -1;
	s = json_string_value(subject);
	len = json_string_length(subject);
	result = test ? NULL : json_array();
	do {
		const size_t *ov;
		int m = regex_exec(x, NULL, s, len, start, mflags);

		if (m == 0)
			break;
		if (m < 0) {
			rc = regex_failed(c, m);
			break;
		}
		if (test) {
			result = json_true();
			break;
		}
		/* a match builds about as many values as steps */
		if (ev_tick_n(c, regex_match_steps(x)) < 0) {
			rc = -1;
			break;
		}
		ov = regex_ovector(x, NULL);
		json_array_append_new(result,
				      regex_match_object(x, s, ov, &walk));
		if (ov[1] == ov[0]) {
			/* jq 1.6 steps one past the previous start */
			start++;
			while (start < len &&
			       ((unsigned char)s[start] & 0xC0) == 0x80)
				start++;
		} else {
			start = ov[1];
		}
	} while (global && start < len);
	regex_free(x);
	if (rc < 0) {
		json_decref(result);
		return -1;
	}
	*out = result ? result : json_false();
	return 0;
}

struct regex_test {
	struct regex *re;
	struct regex_md *md;
	unsigned mflags;
};

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
