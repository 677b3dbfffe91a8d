/*
 * jnum.h -- JSON numbers that keep the text they were written with.
 *
 * Values are jansson json_t throughout evpipe.  A number read from text
 * (an event, fromjson, tonumber, --argjson, an expression literal) whose
 * text is not how it would print anyway (a fraction, an exponent, -0, an
 * integer beyond int64) is a json_real holding the nearest double, whose
 * memory block also holds the text.  It prints as that text, byte for
 * byte, and compares exactly against other numbers that have an exact
 * form.  Plain integers that fit int64 stay json_integer without text (the
 * common case costs what it did).  Numbers computed by arithmetic have no
 * text and print as jq 1.7 prints a double.
 *
 * How: jnum.c installs jansson's allocation functions from a constructor,
 * before main() and before any jansson allocation (so units and fuzzers,
 * which link the same objects, get them too).  Every block jansson
 * allocates has a 16-byte header; jnum_new() hands its text to the one
 * allocation json_real() makes.  jnum_text() checks the header's magic and
 * aborts if the functions were not installed, so that cannot go unnoticed.
 * Whatever jansson allocates must be freed by jansson (json_decref) or by
 * jnum_free(): never by plain free().  json_dumps() is therefore not used;
 * jtext_value() (json-text.h) prints values.
 */
#ifndef JNUM_H
#define JNUM_H

#include <jansson.h>
#include <stddef.h>

struct buf;

/*
 * Install the allocation functions (done by a constructor; calling it
 * again is harmless).  A block allocated without them has no header:
 * freeing it or asking for its text aborts with a message saying so.
 */
void jnum_install(void);

/* Free a block jansson allocated and handed over (json_dumps()). */
void jnum_free(void *p);

/*
 * A number from valid JSON number text s[0..len): a json_integer for a
 * plain integer that fits int64 (not "-0"), else a json_real holding the
 * nearest double (+-DBL_MAX beyond the range, as jq) and the text.
 */
json_t *jnum_new(const char *s, size_t len);

/* Length of the JSON number at the start of s[0..len) (0: none). */
size_t jnum_scan(const char *s, size_t len);

/* jnum_new() if s[0..len) is exactly one JSON number, else NULL. */
json_t *jnum_parse(const char *s, size_t len);

/* The text number v was written with, or NULL (and for non-numbers). */
const char *jnum_text(const json_t *v, size_t *len);

/*
 * A number as a double; NaN and the infinities, which jansson cannot
 * hold, are the shared values jnum_special() returns.
 */
double jnum_value(const json_t *v);

/* A new reference to the shared value standing for NaN or +-inf. */
json_t *jnum_special(double d);

/* 1 if v is the value standing for NaN. */
int jnum_is_nan(const json_t *v);

/*
 * Compare two numbers as jq 1.7 does: if their doubles differ, that is
 * the order; if equal and both have an exact form (their text, or an
 * int64), the exact values decide; otherwise they are equal.
 */
int jnum_cmp(const json_t *a, const json_t *b);

/*
 * The same on parts: doubles x and y, and exact texts ta and tb (NULL:
 * none).  Used by the tape fast paths, whose numbers are texts.
 */
int jnum_cmp_parts(double x, const char *ta, size_t la, double y,
		   const char *tb, size_t lb);

/* Append number v: its text, its int64, or the double as jq 1.7 prints. */
void jnum_dump(const json_t *v, struct buf *out);

/*
 * Append d as jq 1.7 prints a computed number: the shortest text that
 * reads back as d, -0 as -0, infinities as +-1.7976931348623157e+308, NaN
 * as null.
 */
void jnum_dump_double(double d, struct buf *out);

/*
 * The canonical spelling of a number: the same bytes for all numbers
 * jnum_cmp() finds equal that have text or are integers (1, 1.0, 1e0 and
 * 10e-1 give "1"; -0 gives "0"), for the keys of dedup, stats, sample,
 * split and batch.  jnum_canon() works on a text s[0..len) whose double
 * is d.
 */
void jnum_canon(const char *s, size_t len, double d, struct buf *out);
void jnum_dump_canon(const json_t *v, struct buf *out);

/* ---- exact decimal arithmetic on number texts -------------------------- */

/*
 * A JSON number text read as sign, significant digits (two spans of the
 * text, never copied) and the decimal exponent of the first digit: the
 * value is 0.D1D2...Dn x 10^exp.  Exponents are clamped to +-10^15.
 */
struct jnum_dec {
	int neg, zero;
	const char *d1; /* significant digits: d1[0..n1) then d2[0..n2) */
	size_t n1;
	const char *d2;
	size_t n2;
	long long exp;
};

void jnum_dec_read(const char *s, size_t len, struct jnum_dec *d);
int jnum_dec_cmp_abs(const struct jnum_dec *a, const struct jnum_dec *b);

static inline size_t
jnum_dec_ndig(const struct jnum_dec *d)
{
	return d->n1 + d->n2;
}

static inline int
jnum_dec_dig(const struct jnum_dec *d, size_t k)
{
	return (k < d->n1 ? d->d1[k] : d->d2[k - d->n1]) - '0';
}

/* Compare two valid JSON number texts exactly: <0, 0, >0. */
int jnum_dec_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* The same against an integer. */
int jnum_dec_cmp_small(const char *a, size_t alen, long long j);

/* 1 and *out if s is a plain integer of at most 18 digits. */
int jnum_small_int(const char *s, size_t len, long long *out);

/* A hash equal for texts that jnum_dec_cmp() finds equal. */
size_t jnum_dec_hash(const char *s, size_t len);

/* 1 if the text's value is an integer (1.0 and 1e400 are). */
int jnum_dec_is_integer(const char *s, size_t len);

#endif
