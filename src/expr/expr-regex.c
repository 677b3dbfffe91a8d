/*
 * expr-regex.c -- jq's regular expressions (test, match, capture, scan,
 * split/2, sub, gsub) on PCRE2 with JIT.
 *
 * jq uses Oniguruma with Perl syntax; the differences that matter are
 * bridged here: "^" and "$" anchor at the string (not at lines), "."
 * does not match a newline unless the "p" flag is given, offsets and
 * lengths are counted in code points.  Compiled patterns are cached by
 * (pattern, options), so a literal pattern is compiled once per run.
 * Match and depth limits keep a pathological pattern from hanging.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "expr-impl.h"
#include "lib/regex.h"
#include "lib/xmalloc.h"

#define REGEX_CACHE_SIZE 64
/* What a match counts against the expression's steps: it builds an
 * object of four members, and one of five for each group. */
#define REGEX_MATCH_STEPS 8
#define REGEX_GROUP_STEPS 4

struct regex_entry {
	char *pattern;
	size_t len;
	uint32_t options;
	pcre2_code *code;
	char **names; /* names[i]: name of group i, or NULL */
	uint32_t ngroups;
};

static struct regex_entry regex_cache[REGEX_CACHE_SIZE];
static unsigned regex_next;
static pcre2_match_context *regex_mctx;

static void
regex_entry_free(struct regex_entry *e)
{
	uint32_t i;

	free(e->pattern);
	pcre2_code_free(e->code);
	for (i = 0; e->names && i <= e->ngroups; i++)
		free(e->names[i]);
	free(e->names);
	memset(e, 0, sizeof(*e));
}

void
regex_cache_clear(void)
{
	unsigned i;

	for (i = 0; i < REGEX_CACHE_SIZE; i++)
		regex_entry_free(&regex_cache[i]);
	pcre2_match_context_free(regex_mctx);
	regex_mctx = NULL;
}

static struct regex_entry *
regex_get(struct ectx *c, const char *pat, size_t len, uint32_t options)
{
	struct regex_entry *e;
	PCRE2_SIZE erroff;
	int err;
	unsigned i;
	uint32_t namecount = 0, entrysize = 0;
	PCRE2_SPTR table;

	for (i = 0; i < REGEX_CACHE_SIZE; i++) {
		e = &regex_cache[i];
		if (e->code && e->len == len && e->options == options &&
		    memcmp(e->pattern, pat, len) == 0)
			return e;
	}
	e = &regex_cache[regex_next++ % REGEX_CACHE_SIZE];
	regex_entry_free(e);
	e->code = pcre2_compile((PCRE2_SPTR)pat, len, options, &err, &erroff,
				regex_cctx());
	if (!e->code) {
		PCRE2_UCHAR msg[200];

		pcre2_get_error_message(err, msg, sizeof(msg));
		ev_error(c, "%.*s (at offset %zu) is not a valid regex: %s",
			 (int)(len > 100 ? 100 : len), pat, (size_t)erroff,
			 (char *)msg);
		return NULL;
	}
	pcre2_jit_compile(e->code, PCRE2_JIT_COMPLETE);
	e->pattern = xmalloc(len + 1);
	memcpy(e->pattern, pat, len);
	e->pattern[len] = 0;
	e->len = len;
	e->options = options;
	pcre2_pattern_info(e->code, PCRE2_INFO_CAPTURECOUNT, &e->ngroups);
	e->names = xcalloc(e->ngroups + 1, sizeof(*e->names));
	pcre2_pattern_info(e->code, PCRE2_INFO_NAMECOUNT, &namecount);
	pcre2_pattern_info(e->code, PCRE2_INFO_NAMEENTRYSIZE, &entrysize);
	pcre2_pattern_info(e->code, PCRE2_INFO_NAMETABLE, &table);
	for (i = 0; i < namecount; i++) {
		const unsigned char *ent = table + i * entrysize;
		unsigned g = (ent[0] << 8) | ent[1];

		if (g <= e->ngroups && !e->names[g])
			e->names[g] = xstrdup((const char *)ent + 2);
	}
	if (!regex_mctx) {
		regex_mctx = pcre2_match_context_create(regex_gctx());
		pcre2_set_match_limit(regex_mctx, REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(regex_mctx, REGEX_DEPTH_LIMIT);
		pcre2_set_heap_limit(regex_mctx, 20000); /* KiB */
	}
	return e;
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
regex_group(const char *s, PCRE2_SIZE *ov, uint32_t g, const char *name,
	    int whole, struct cp_walk *w)
{
	json_t *o = json_object();

	if (ov[2 * g] == PCRE2_UNSET) {
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
regex_flags(const char *f, size_t n, uint32_t *options, uint32_t *mopts,
	    int *global)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (f[i]) {
		case 'g':
			*global = 1;
			break;
		case 'i':
			*options |= PCRE2_CASELESS;
			break;
		case 'x':
			*options |= PCRE2_EXTENDED;
			break;
		case 'n':
			*mopts |= PCRE2_NOTEMPTY;
			break;
		case 'p':
			*options |= PCRE2_DOTALL;
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
 * The compiled regex for re with flags, its match options and whether
 * "g" was given.  NULL with an error for a bad regex or flags.
 */
static struct regex_entry *
regex_prepare(struct ectx *c, json_t *re, json_t *flags, uint32_t *mopts,
	      int *global)
{
	uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;

	*mopts = 0;
	*global = 0;
	if (!json_is_string(re)) {
		char d[64];

		val_describe(re, d, sizeof(d));
		ev_error(c, "%s cannot be matched, as it is not a string", d);
		return NULL;
	}
	if (json_is_string(flags)) {
		if (regex_flags(json_string_value(flags),
				json_string_length(flags), &options, mopts,
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
			 options);
}

static int
regex_failed(struct ectx *c, int rc)
{
	PCRE2_UCHAR msg[200];

	pcre2_get_error_message(rc, msg, sizeof(msg));
	return ev_error(c, "regex match failed: %s", (char *)msg);
}

/* A regex prepared for the matches of one sub call: see expr-impl.h. */
struct regex_one {
	struct regex_entry *e;
	pcre2_match_data *md;
	uint32_t mopts;
};

struct regex_one *
regex_one_open(struct ectx *c, json_t *re, json_t *flags)
{
	struct regex_one *r;
	uint32_t mopts;
	int global;
	struct regex_entry *e = regex_prepare(c, re, flags, &mopts, &global);

	if (!e)
		return NULL;
	r = xmalloc(sizeof(*r));
	r->e = e;
	r->mopts = mopts;
	r->md = pcre2_match_data_create_from_pattern(e->code, regex_gctx());
	return r;
}

void
regex_one_close(struct regex_one *r)
{
	if (!r)
		return;
	pcre2_match_data_free(r->md);
	free(r);
}

int
regex_one_match(struct ectx *c, struct regex_one *r, const char *s, size_t len,
		size_t *bo, size_t *be, json_t **named)
{
	struct regex_entry *e = r->e;
	PCRE2_SIZE *ov;
	uint32_t g;
	int rc = pcre2_match(e->code, (PCRE2_SPTR)s, len, 0, r->mopts, r->md,
			     regex_mctx);

	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return regex_failed(c, rc);
	if (ev_tick_n(c, REGEX_MATCH_STEPS +
				 REGEX_GROUP_STEPS * (size_t)e->ngroups) < 0)
		return -1;
	ov = pcre2_get_ovector_pointer(r->md);
	*bo = ov[0];
	*be = ov[1];
	*named = json_object();
	for (g = 1; g <= e->ngroups; g++)
		if (e->names[g])
			json_object_set_new(
				*named, e->names[g],
				ov[2 * g] == PCRE2_UNSET
					? json_null()
					: val_string(s + ov[2 * g],
						     ov[2 * g + 1] -
							     ov[2 * g]));
	return 1;
}

int
regex_match(struct ectx *c, json_t *subject, json_t *re, json_t *flags,
	    int test, json_t **out)
{
	uint32_t mopts;
	int global;
	struct regex_entry *e = regex_prepare(c, re, flags, &mopts, &global);
	pcre2_match_data *md;
	const char *s;
	size_t len, start = 0;
	json_t *result;
	struct cp_walk walk = { 0, 0 };

	if (!e)
		return -1;
	s = json_string_value(subject);
	len = json_string_length(subject);
	md = pcre2_match_data_create_from_pattern(e->code, regex_gctx());
	result = test ? NULL : json_array();
	do {
		int rc = pcre2_match(e->code, (PCRE2_SPTR)s, len, start, mopts,
				     md, regex_mctx);
		PCRE2_SIZE *ov;
		json_t *m, *caps;
		uint32_t g;

		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			pcre2_match_data_free(md);
			json_decref(result);
			return regex_failed(c, rc);
		}
		if (test) {
			pcre2_match_data_free(md);
			*out = json_true();
			return 0;
		}
		/* a match builds about as many values as steps */
		if (ev_tick_n(c, REGEX_MATCH_STEPS +
					 REGEX_GROUP_STEPS *
						 (size_t)e->ngroups) < 0) {
			pcre2_match_data_free(md);
			json_decref(result);
			return -1;
		}
		ov = pcre2_get_ovector_pointer(md);
		m = regex_group(s, ov, 0, NULL, 1, &walk);
		caps = json_array();
		for (g = 1; g <= e->ngroups; g++)
			json_array_append_new(
				caps,
				regex_group(s, ov, g, e->names[g], 0, &walk));
		json_object_set_new(m, "captures", caps);
		json_array_append_new(result, m);
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
	pcre2_match_data_free(md);
	*out = test ? json_false() : result;
	return 0;
}

struct regex_test {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	uint32_t mopts;
};

struct regex_test *
regex_test_new(const char *re, size_t len, const char *flags, size_t flen)
{
	uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
	struct regex_test *t;
	PCRE2_SIZE erroff;
	int err, global = 0;

	t = xcalloc(1, sizeof(*t));
	if (flags &&
	    regex_flags(flags, flen, &options, &t->mopts, &global) == -1)
		goto fail;
	t->code = pcre2_compile((PCRE2_SPTR)re, len, options, &err, &erroff,
				regex_cctx());
	if (!t->code)
		goto fail;
	pcre2_jit_compile(t->code, PCRE2_JIT_COMPLETE);
	t->md = pcre2_match_data_create_from_pattern(t->code, regex_gctx());
	t->mctx = pcre2_match_context_create(regex_gctx());
	pcre2_set_match_limit(t->mctx, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(t->mctx, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(t->mctx, 20000);
	return t;
fail:
	regex_test_free(t);
	return NULL;
}

int
regex_test_run(struct regex_test *t, const char *s, size_t len)
{
	int rc = pcre2_match(t->code, (PCRE2_SPTR)s, len, 0, t->mopts, t->md,
			     t->mctx);

	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return rc < 0 ? -1 : 1;
}

void
regex_test_free(struct regex_test *t)
{
	if (t == NULL)
		return;
	pcre2_match_data_free(t->md);
	pcre2_match_context_free(t->mctx);
	pcre2_code_free(t->code);
	free(t);
}
