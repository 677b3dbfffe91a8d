/*
 * json-scan.h -- a validating one-pass JSON scanner with lazy field access.
 *
 * jscan_parse() checks that a line is exactly one JSON value (RFC 8259,
 * strict UTF-8) and records a compact tape of where each value starts and
 * ends.  Fields are then read from the tape without building a jansson tree;
 * jscan_json() builds one for a subtree only when a stage really needs it.
 *
 * Ownership and lifetime
 *   - A struct jscan is owned by the caller: jscan_init() before use,
 *     jscan_release() after.  Its buffers grow to fit the largest line seen
 *     and are then reused, so scanning allocates nothing in steady state.
 *   - jscan_parse() does not copy the line.  The line must stay unchanged
 *     and alive for as long as handles into it are used.
 *   - Handles (struct jscan_val, struct jscan_iter) and every pointer a
 *     reader returns are valid until the next jscan_parse(), jscan_reset()
 *     or jscan_release() on the same struct jscan.
 *   - Nothing here is thread-safe: one struct jscan per thread.  Separate
 *     struct jscan values may be used from different threads at once.
 *
 * Speed: about 0.85-1 GB/s of ~340-byte events on one x86-64 server core,
 * 25-30 times json_loadb() (tests/bench/scan-bench.c, "make
 * build/scan-bench").  The tape costs 20 bytes per value.
 *
 * Errors
 *   Functions that can fail return -1 and fill a struct errbuf (which may
 *   be NULL).  Scan errors have status STATUS_REJECT and a lowercase reason
 *   with the 1-based byte column, e.g. "invalid UTF-8 byte 0xff at column
 *   12"; the column is also returned by jscan_error_column().  A truncated
 *   line says "unexpected end of input at column N" (N = length + 1).
 *
 * Rules and limits (DESIGN.md 2.7)
 *   - Nesting: at most jscan_set_max_depth() containers deep (default
 *     JSCAN_DEFAULT_DEPTH = 512); deeper lines are rejected with "nesting
 *     deeper than 512 at column N".  The scanner never recurses.
 *   - Lines longer than JSCAN_MAX_LEN bytes are rejected (tape offsets are
 *     32-bit).
 *   - Memory: the tape takes 20 bytes per value, and a value takes at
 *     least 2 bytes of input ("0,"), so a line can cost up to 10 times its
 *     length (plus 4 bytes per nesting level).  Buffers keep their size
 *     until jscan_release(): bound the line length (--max-line) to bound
 *     the memory.
 *   - Strings: strict UTF-8 (no overlong forms, no UTF-8-encoded
 *     surrogates, nothing above U+10FFFF, no truncated sequences); raw bytes
 *     below 0x20 (NUL included) are rejected, raw DEL (0x7f) is allowed.
 *     "\u0000" is valid and yields a NUL byte in the unescaped string.
 *   - Lone surrogates: a \uD800-\uDBFF escape not immediately followed by a
 *     \uDC00-\uDFFF escape, or a low surrogate escape on its own, is
 *     rejected ("lone surrogate \ud800 at column N").  Such strings cannot
 *     be turned into UTF-8, so accepting them would only move the failure
 *     to output time; jansson and jq-1.7 agree.
 *   - A UTF-8 byte order mark is rejected ("byte order mark at column 1"):
 *     NDJSON producers must not emit one (RFC 8259 section 8.1).
 *   - Numbers follow the JSON grammar only (no leading zeros, no ".5", no
 *     "1.", no NaN/Infinity).  Integers of any length are valid and keep
 *     their exact text; so are numbers beyond the double range ("1e999").
 *   - Whitespace is space, tab, CR and LF only.
 *   - Duplicate object keys are valid.  The rule, as in jq: the last
 *     occurrence wins.  jscan_get() and jscan_lookup() return the value of
 *     the last member with that key, jscan_json() keeps that value (at the
 *     position of the first occurrence, as jansson does); iteration and
 *     jscan_count() still see every member as written.
 */
#ifndef JSON_SCAN_H
#define JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "lib/buf.h"

struct errbuf;
struct jscan_node;
struct jscan_mframe;

#define JSCAN_DEFAULT_DEPTH 512
#define JSCAN_MAX_LEN	    ((size_t)UINT32_MAX - 1)

/* Value types.  JSCAN_NONE is the type of an absent handle. */
enum jscan_type {
	JSCAN_NONE = 0,
	JSCAN_NULL,
	JSCAN_BOOL,
	JSCAN_NUMBER,
	JSCAN_STRING,
	JSCAN_ARRAY,
	JSCAN_OBJECT,
};

/*
 * A scanner.  The fields are private: use the functions below.  It may be
 * embedded in another struct (jscan_init) and reused for any number of
 * lines.
 */
struct jscan {
	const char *line; /* the last scanned line (borrowed) */
	size_t len;
	struct jscan_node *tape; /* one node per value and per object key */
	uint32_t ntape, tapecap;
	uint32_t *stack; /* open containers while scanning */
	uint32_t stackcap;
	unsigned max_depth;
	int ok;		    /* 1 after a successful jscan_parse() */
	size_t err_col;	    /* 1-based column of the last error, or 0 */
	struct buf scratch; /* unescaped strings for jscan_json() */
	struct jscan_mframe *mstack; /* jscan_json() containers */
	size_t mstackcap;
	/* While tape is another scanner's (jscan_adopt): our own buffer. */
	struct jscan_node *own_tape;
	uint32_t own_cap;
	int borrowed;
};

/*
 * A handle on one value of the last scanned line: a position in the tape.
 * Copy it freely; it needs no release.  Valid until the next jscan_parse()
 * (see the lifetime rules above).
 */
struct jscan_val {
	const struct jscan *js;
	uint32_t i; /* tape index; JSCAN_ABSENT when the handle is absent */
};
#define JSCAN_ABSENT UINT32_MAX

/*
 * The tape's layout, public only so that a hot reader (schema-check.c)
 * can inline its steps: prefer the functions below.  Nodes are in
 * document order; a container's node comes before its children and
 * "next" is the index after its subtree; an object's children alternate
 * key node, value node.
 */
#define JSCAN_NF_ESC  0x1 /* string: has backslash escapes */
#define JSCAN_NF_KEY  0x2 /* string: an object key */
#define JSCAN_NF_INT  0x4 /* number: no fraction, no exponent */
#define JSCAN_NF_TRUE 0x8 /* bool: true */

struct jscan_node {
	uint32_t start; /* offset of the first byte */
	uint32_t end;	/* offset one past the last byte */
	uint32_t next;	/* index of the node after this subtree */
	uint32_t count; /* containers: elements or members */
	/*
	 * Not uint8_t: stores through a character type may alias anything,
	 * which would make the compiler reload js->tape after every node.
	 */
	uint16_t type;	/* enum jscan_type */
	uint16_t flags; /* JSCAN_NF_* */
};

/* The node of v, which must be present (no checks). */
static inline const struct jscan_node *
jscan_node_at(struct jscan_val v)
{
	return &v.js->tape[v.i];
}

/* Prepare js for use: no allocation yet, depth limit JSCAN_DEFAULT_DEPTH. */
void jscan_init(struct jscan *js);

/* Free js's buffers; js may be jscan_init()ed again afterwards. */
void jscan_release(struct jscan *js);

/*
 * Set the nesting limit: the number of arrays/objects that may be open at
 * once (a scalar alone is depth 0, "[[]]" is depth 2).  0 means the
 * default.  Takes effect at the next jscan_parse().
 */
void jscan_set_max_depth(struct jscan *js, unsigned depth);

/*
 * Scan line[0..len) (no NUL terminator needed or looked at; line may be
 * NULL when len is 0).  Returns 0 if
 * it is exactly one valid JSON value with only JSON whitespace around it,
 * and records the tape; -1 with a STATUS_REJECT error otherwise.  Every
 * handle from an earlier scan becomes invalid, even on failure.
 */
int jscan_parse(struct jscan *js, const char *line, size_t len,
		struct errbuf *eb);

/*
 * The same verdict and the same error messages as jscan_parse(), but no
 * tape: for pipelines in which nothing reads the event's fields (cat,
 * head, tee), which then run at the speed of the bare check.  Afterwards
 * jscan_root() is absent, as after a failure.
 */
int jscan_check(struct jscan *js, const char *line, size_t len,
		struct errbuf *eb);

/*
 * Take the result of a jscan_parse() of line made elsewhere (on another
 * thread, by another struct jscan): js then answers for line exactly as if
 * it had scanned it itself.  The ntape nodes are borrowed, not copied (a
 * copy was 5-7 % of a filter's time): they must stay unchanged and alive
 * until the next jscan_parse(), jscan_check(), jscan_adopt() or
 * jscan_release() on js, like the line.
 */
void jscan_adopt(struct jscan *js, const char *line, size_t len,
		 const struct jscan_node *tape, uint32_t ntape);

/* 1-based byte column of the last scan error, 0 after a success. */
size_t jscan_error_column(const struct jscan *js);

/* The root value of the last successful scan (absent after a failure). */
struct jscan_val jscan_root(const struct jscan *js);

/* The type of v; JSCAN_NONE if v is absent. */
enum jscan_type jscan_type(struct jscan_val v);

/* "null", "boolean", "number", "string", "array", "object" (jq's names). */
const char *jscan_type_name(enum jscan_type t);

/*
 * The exact bytes of v in the line (for a string, with its quotes and
 * escapes; for a container, from the bracket to the matching bracket).
 * Returns NULL and *len = 0 if v is absent.
 */
const char *jscan_raw(struct jscan_val v, size_t *len);

/*
 * The contents of string v.  If the string has no escapes, returns a
 * pointer into the line; otherwise unescapes it into scratch (reset first,
 * grown as needed; the caller owns it and reuses it) and returns
 * scratch->data.  *len receives the length: the result is not
 * NUL-terminated when it points into the line, and may contain NUL bytes
 * ("\u0000").  The bytes are valid UTF-8.  Returns NULL if v is not a
 * string.
 */
const char *jscan_str(struct jscan_val v, struct buf *scratch, size_t *len);

/* 1 if the string v has escapes (so jscan_str() copies), 0 if not. */
int jscan_str_has_escapes(struct jscan_val v);

/* 1 for true, 0 for false, -1 if v is not a boolean. */
int jscan_bool(struct jscan_val v);

/* 1 if v is the literal null, 0 otherwise (absent included). */
int jscan_is_null(struct jscan_val v);

/* 1 if number v is written as an integer (no fraction, no exponent). */
int jscan_num_is_int(struct jscan_val v);

/*
 * Number v as a double, rounded as strtod() does.  Numbers beyond the
 * double range give +-DBL_MAX (what jq prints for them).  Returns 0, or -1
 * if v is not a number.  Assumes the C numeric locale.
 */
int jscan_num_double(struct jscan_val v, double *out);

/* An integer's text ("-12"): 0 and *out if it fits in int64, else -1. */
int jscan_int64(const char *s, size_t len, int64_t *out);

/*
 * Number v as an int64, if it is written as an integer that fits
 * (including "-0").  Returns 0, or -1 if v is not such a number.
 */
int jscan_num_int64(struct jscan_val v, int64_t *out);

/*
 * Compare two JSON number texts (each must be valid JSON number syntax, as
 * from jscan_raw()).  If both are written as integers they are compared
 * exactly, whatever their length ("-0" equals "0"); otherwise both are
 * converted to doubles and compared (so 1 == 1.0, and values beyond the
 * double range compare as infinities).  Returns <0, 0 or >0.
 */
int jscan_numcmp(const char *a, size_t alen, const char *b, size_t blen);

/* jscan_numcmp() on two number handles; both must be numbers. */
int jscan_num_cmp(struct jscan_val a, struct jscan_val b);

/*
 * Number of elements of array v or members of object v (duplicate keys
 * counted as written); 0 for anything else.
 */
size_t jscan_count(struct jscan_val v);

/*
 * The member of object obj named key[0..keylen) (compared after
 * unescaping, so key "ab" finds "a\u0062").  With duplicate keys the last
 * one wins.  Returns an absent handle if obj is not an object or has no
 * such key.  Cost: one pass over obj's members (nested values are skipped
 * in O(1)); no allocation.
 */
struct jscan_val jscan_get(struct jscan_val obj, const char *key,
			   size_t keylen);

/*
 * Element i of array arr; a negative i counts from the end (-1 is the
 * last), as in jq.  Absent if arr is not an array or i is out of range.
 * Cost: O(i) steps over the elements, each skipping its subtree in O(1).
 */
struct jscan_val jscan_index(struct jscan_val arr, int64_t i);

/* Iterating over the members of an object or the elements of an array. */
struct jscan_iter {
	const struct jscan *js;
	uint32_t pos, end;
	int object;
};

/*
 * Start iterating over container v.  If v is not an array or an object the
 * iteration is empty.
 */
void jscan_iter_init(struct jscan_iter *it, struct jscan_val v);

/*
 * The next element (arrays) or member (objects) in line order.  For an
 * object *key receives the key as a string handle (read it with
 * jscan_str()); for an array it is set absent.  key may be NULL.  Returns 1
 * while there is one, 0 at the end.
 */
int jscan_iter_next(struct jscan_iter *it, struct jscan_val *key,
		    struct jscan_val *val);

/* One step of a path: an object key or an array index. */
enum jscan_step_kind {
	JSCAN_STEP_KEY,
	JSCAN_STEP_INDEX,
};

struct jscan_step {
	enum jscan_step_kind kind;
	const char *key; /* JSCAN_STEP_KEY: bytes, not NUL-terminated */
	size_t keylen;
	int64_t index; /* JSCAN_STEP_INDEX: negative counts from the end */
};

/*
 * Follow steps[0..n) from v, with jq's rules: a key on an object and an
 * index on an array descend; any step on null, a missing key and an index
 * out of range give null in jq, here "absent".  Returns 1 and sets *out
 * when the value exists; 0 and an absent *out when jq would yield null for
 * want of the value; -1 with a STATUS_REJECT error ("cannot index string
 * with \"a\"", "cannot index object with number") when jq would fail.
 */
int jscan_lookup(struct jscan_val v, const struct jscan_step *steps, size_t n,
		 struct jscan_val *out, struct errbuf *eb);

/*
 * Build the jansson value of v (a new reference; json_decref() it).  Equal
 * to what json_loadb(..., JSON_DECODE_ANY | JSON_ALLOW_NUL, ...) returns
 * for the same text, except for numbers and for input jansson rejects:
 * integers that fit int64 (but "-0") are json_integer; every other number
 * (a fraction, an exponent, -0, an integer beyond int64) is made by
 * jnum_new(), a real holding the nearest double (+-DBL_MAX beyond the
 * range) and its text, which it prints as and compares by (json/jnum.h).
 * Keys containing "\u0000" are kept.  Duplicate keys: the last value
 * wins.  Not recursive.  Returns NULL with an error if v is absent.
 */
json_t *jscan_json(struct jscan *js, struct jscan_val v, struct errbuf *eb);

/*
 * Scan s[0..len) and build its value (jscan_parse() then jscan_json()
 * with a scanner of its own): a new reference, or NULL with the
 * scanner's STATUS_REJECT error.
 */
json_t *jscan_value(const char *s, size_t len, struct errbuf *eb);

/*
 * A parsed path such as ".a.b[3]", ".a[-1]", "."key with spaces"",
 * ".[\"k\"]", ".a.[0]" or "." (no steps).  Owns its steps and key bytes.
 */
struct jscan_path {
	struct jscan_step *steps;
	size_t nsteps;
	char *keys; /* storage for the unescaped keys */
};

/*
 * Parse the path in s[0..len) (jq syntax: identifiers [A-Za-z_][A-Za-z0-9_]*,
 * JSON string keys with escapes, integer indices).  Returns 0, or -1 with a
 * STATUS_USAGE error naming the path and column.  Release with
 * jscan_path_release() in both cases.
 */
int jscan_path_parse(struct jscan_path *path, const char *s, size_t len,
		     struct errbuf *eb);

/* Free a path's storage and reset it to no steps. */
void jscan_path_release(struct jscan_path *path);

#endif
