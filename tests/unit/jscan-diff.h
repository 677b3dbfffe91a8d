/*
 * jscan-diff.h -- differential check of json-scan against jansson, shared
 * by t-json-scan.c and the fuzz target.
 *
 * jansson is run with JSCAN_DIFF_FLAGS.  JSON_DECODE_ANY because an NDJSON
 * line may hold any value; JSON_ALLOW_NUL because "\u0000" in a string is
 * valid JSON and evpipe accepts it; not JSON_REJECT_DUPLICATES because
 * duplicate keys are valid JSON (DESIGN.md 2.7): both sides keep the last.
 *
 * The verdicts must agree, except for the intended differences in
 * jscan_diff_exceptions[] below.  An exception is never taken on the word
 * of an error message alone: the line is repaired (the offending parts
 * replaced by harmless ones of the same length) and jansson must then
 * accept it, so a real jscan bug cannot hide behind an exception.
 *
 * When both accept, jscan_json() of the root must be json_equal() to
 * jansson's value, and every top-level key of an object must be found by
 * jscan_get() with an equal value.
 */
#ifndef JSCAN_DIFF_H
#define JSCAN_DIFF_H

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json/jnum.h"
#include "lib/errbuf.h"
#include "json/json-scan.h"

#define JSCAN_DIFF_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* Every intended difference from jansson, and why. */
static struct jscan_diff_exception {
	const char *name;
	const char *why;
	unsigned long hits;
} jscan_diff_exceptions[] = {
#define JDX_BIGINT 0
	{ "big-integer",
	  "integers beyond int64 are valid JSON and pass through byte for "
	  "byte (DESIGN.md 2.7); jansson says \"too big integer\"",
	  0 },
#define JDX_REAL_OVERFLOW 1
	{ "real-overflow",
	  "numbers beyond the double range (1e999) are valid JSON (RFC 8259 "
	  "sets no range; jq reads them as +-DBL_MAX); jansson says \"real "
	  "number overflow\"",
	  0 },
#define JDX_NUL_KEY 2
	{ "nul-in-key",
	  "\"\\u0000\" in an object key is valid JSON; jansson refuses it "
	  "even with JSON_ALLOW_NUL",
	  0 },
#define JDX_DEPTH 3
	{ "depth",
	  "jscan's nesting limit (default 512) is lower than jansson's "
	  "2048: one limit for the whole program, small enough for every "
	  "consumer of a parsed event",
	  0 },
#define JDX_NUL_SWALLOWED 4
	{ "nul-after-token",
	  "jansson (2.14) silently drops a raw NUL byte that directly follows "
	  "a number or a literal (its lexer pushes the byte back and then "
	  "takes the 0 for an empty buffer), so it accepts \"[1\\0]\"; raw "
	  "NUL bytes must be rejected (DESIGN.md 2.7)",
	  0 },
};

/* Does strtod() overflow on the number text s[0..len)? */
static int
jscan_diff_overflows(const char *s, size_t len)
{
	char *t = malloc(len + 1);
	double d;

	memcpy(t, s, len);
	t[len] = '\0';
	d = strtod(t, NULL);
	free(t);
	return isinf(d);
}

/*
 * Repair, in copy, the parts of the accepted line that jansson refuses:
 * big or overflowing numbers become "0" plus spaces, "\u0000" escapes in
 * keys become "\u0001".  Sets the bits (1 << JDX_*) of what it found.
 */
static unsigned
jscan_diff_repair(struct jscan *js, char *copy)
{
	struct jscan_iter *its;
	struct jscan_val v = jscan_root(js), k;
	size_t sp = 0, cap = 64;
	unsigned found = 0;

	its = malloc(cap * sizeof *its);
	for (;;) {
		enum jscan_type t = jscan_type(v);

		if (t == JSCAN_NUMBER) {
			size_t len, off;
			const char *raw = jscan_raw(v, &len);
			int64_t i;
			double d;

			off = (size_t)(raw - js->line);
			if (jscan_num_is_int(v) && jscan_num_int64(v, &i) < 0)
				found |= 1u << JDX_BIGINT;
			else if (!jscan_num_is_int(v) &&
				 (jscan_num_double(v, &d),
				  fabs(d) == DBL_MAX) &&
				 jscan_diff_overflows(raw, len))
				found |= 1u << JDX_REAL_OVERFLOW;
			else
				goto next;
			copy[off] = '0';
			memset(copy + off + 1, ' ', len - 1);
		} else if (t == JSCAN_ARRAY || t == JSCAN_OBJECT) {
			if (sp == cap)
				its = realloc(its, (cap *= 2) * sizeof *its);
			jscan_iter_init(&its[sp++], v);
		}
	next:
		while (sp > 0 && !jscan_iter_next(&its[sp - 1], &k, &v))
			sp--;
		if (sp == 0)
			break;
		if (jscan_type(k) == JSCAN_STRING) {
			size_t len, i, off;
			const char *raw = jscan_raw(k, &len);

			off = (size_t)(raw - js->line);
			for (i = 1; i + 1 < len; i++) {
				if (raw[i] != '\\')
					continue;
				if (strncmp(raw + i, "\\u0000", 6) == 0) {
					copy[off + i + 5] = '1';
					found |= 1u << JDX_NUL_KEY;
				}
				i++; /* skip the escaped character */
			}
		}
	}
	free(its);
	return found;
}

/*
 * Check one line.  Returns 0 if all is well (*exc names the exception
 * used, or is NULL); -1 with a description in msg otherwise.  js is used
 * with its current depth limit.
 */

/*
 * json_equal(), but numbers are equal when their values are: jscan_json()
 * holds -0 and numbers beyond int64 as reals with their text (jnum.h),
 * where jansson has an integer 0 or refuses.
 */
static int
jscan_diff_equal(json_t *a, json_t *b)
{
	if ((json_is_integer(a) || json_is_real(a)) &&
	    (json_is_integer(b) || json_is_real(b)))
		return jnum_value(a) == jnum_value(b);
	if (json_is_array(a) && json_is_array(b)) {
		size_t i;

		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!jscan_diff_equal(json_array_get(a, i),
					      json_array_get(b, i)))
				return 0;
		return 1;
	}
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		size_t kl;
		json_t *v;

		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_keylen_foreach(a, k, kl, v) {
			json_t *w = json_object_getn(b, k, kl);

			if (w == NULL || !jscan_diff_equal(v, w))
				return 0;
		}
		return 1;
	}
	return json_equal(a, b);
}

static int
jscan_diff_check(struct jscan *js, const char *line, size_t len,
		 const char **exc, char *msg, size_t msgsz)
{
	struct errbuf eb = { 0 };
	json_error_t jerr;
	json_t *jv, *mine;
	int mine_ok;

	*exc = NULL;
	msg[0] = '\0';
	mine_ok = jscan_parse(js, line, len, &eb) == 0;
	jv = json_loadb(line, len, JSCAN_DIFF_FLAGS, &jerr);
	if (mine_ok && jv == NULL) {
		char *copy = malloc(len + 1);
		unsigned found, i;
		json_t *fixed;

		memcpy(copy, line, len);
		found = jscan_diff_repair(js, copy);
		fixed = found ? json_loadb(copy, len, JSCAN_DIFF_FLAGS, &jerr)
			      : NULL;
		free(copy);
		if (fixed == NULL) {
			snprintf(msg, msgsz,
				 "jscan accepts, jansson rejects: %s (col %d)",
				 jerr.text, jerr.column);
			return -1;
		}
		json_decref(fixed);
		for (i = 0; i < NELEM(jscan_diff_exceptions); i++)
			if (found & (1u << i)) {
				jscan_diff_exceptions[i].hits++;
				*exc = jscan_diff_exceptions[i].name;
			}
		return 0;
	}
	if (!mine_ok && jv != NULL && strstr(eb.msg, "NUL byte") != NULL) {
		/* Put a space where jansson dropped a NUL; then we must agree.
		 */
		char *copy = malloc(len + 1);
		size_t i;
		int again;
		json_t *redo;

		memcpy(copy, line, len);
		for (i = 1; i < len; i++)
			if (line[i] == '\0' &&
			    strchr("0123456789eElsu", line[i - 1]) != NULL)
				copy[i] = ' ';
		again = jscan_parse(js, copy, len, &eb);
		redo = again == 0 ? jscan_json(js, jscan_root(js), &eb) : NULL;
		again = redo != NULL && jscan_diff_equal(redo, jv);
		json_decref(redo);
		json_decref(jv);
		free(copy);
		if (!again) {
			snprintf(msg, msgsz,
				 "jscan rejects, jansson accepts: %.200s",
				 eb.msg);
			return -1;
		}
		jscan_diff_exceptions[JDX_NUL_SWALLOWED].hits++;
		*exc = jscan_diff_exceptions[JDX_NUL_SWALLOWED].name;
		return 0;
	}
	if (!mine_ok && jv != NULL) {
		unsigned depth = js->max_depth;
		int again;

		json_decref(jv);
		if (strncmp(eb.msg, "nesting deeper than", 19) != 0 ||
		    depth >= JSON_PARSER_MAX_DEPTH) {
			snprintf(msg, msgsz,
				 "jscan rejects, jansson accepts: %.200s",
				 eb.msg);
			return -1;
		}
		jscan_set_max_depth(js, JSON_PARSER_MAX_DEPTH);
		again = jscan_parse(js, line, len, &eb);
		jscan_set_max_depth(js, depth);
		if (again != 0) {
			snprintf(msg, msgsz,
				 "jscan rejects, jansson accepts: %.200s",
				 eb.msg);
			return -1;
		}
		jscan_diff_exceptions[JDX_DEPTH].hits++;
		*exc = jscan_diff_exceptions[JDX_DEPTH].name;
		return 0;
	}
	if (!mine_ok)
		return 0; /* both reject */

	/* Both accept: the values must be equal. */
	mine = jscan_json(js, jscan_root(js), &eb);
	if (mine == NULL || !jscan_diff_equal(mine, jv)) {
		snprintf(msg, msgsz,
			 "materialized value differs from jansson's");
		json_decref(mine);
		json_decref(jv);
		return -1;
	}
	json_decref(mine);
	if (json_is_object(jv)) {
		const char *key;
		size_t klen;
		json_t *want;

		json_object_keylen_foreach(jv, key, klen, want) {
			struct jscan_val got =
				jscan_get(jscan_root(js), key, klen);
			json_t *gj = jscan_json(js, got, &eb);

			if (gj == NULL || !jscan_diff_equal(gj, want)) {
				snprintf(msg, msgsz,
					 "lookup of key '%.*s' differs",
					 (int)(klen > 40 ? 40 : klen), key);
				json_decref(gj);
				json_decref(jv);
				return -1;
			}
			json_decref(gj);
		}
	}
	json_decref(jv);
	return 0;
}

#endif
