/*
 * json-text.h -- JSON text written without building a value, and the
 * printer of jansson values (jtext_value()): the names say jtext_ so that
 * none of them can be mistaken for one of jansson's json_* functions.
 */
#ifndef JSON_TEXT_H
#define JSON_TEXT_H

#include <jansson.h>
#include <stddef.h>

struct buf;

/*
 * Append JSON text p[0..n) to out without insignificant whitespace (the
 * whitespace outside strings); *in_str carries the inside-a-string state
 * across calls (start at 0).  Used by the json and json-seq decoders.
 */
void jtext_compact(struct buf *out, const char *p, size_t n, int *in_str);

/*
 * Append a JSON string holding the bytes p[0..n) to out, escaping what
 * JSON requires.  Bytes that are not UTF-8 are copied as they are (the
 * scanner rejects the event later, with the column).
 */
void jtext_add_string(struct buf *out, const char *p, size_t n);

/*
 * The same for bytes from outside that must become valid JSON (a broker
 * message's key or headers): each byte that is not part of a valid UTF-8
 * sequence (overlong forms, surrogates and values past U+10FFFF are not)
 * is written as U+FFFD.
 */
void jtext_add_string_lossy(struct buf *out, const char *p, size_t n);

/*
 * Append JSON text p[0..n) to out indented as jq does (two spaces,
 * "key": value, empty containers as {} and []).  The text must be valid
 * JSON; numbers and strings are copied byte for byte.
 */
void jtext_pretty(struct buf *out, const char *p, size_t n);

/*
 * Append a JSON string of s[0..len) escaped as jq escapes (control
 * characters and DEL as \u00XX, the usual short escapes).
 */
void jtext_quote(struct buf *out, const char *s, size_t len);

/*
 * Append v as jq -c prints it, numbers as jnum_dump() (their own text
 * when they have one), objects in insertion order.  Stops once out is
 * longer than limit (a value built by assignments can share parts and
 * print exponentially larger than the work that made it): the caller
 * checks out->len.  This is the one printer of values: jansson's
 * json_dumps() does not know number texts.
 */
void jtext_value(struct buf *out, const json_t *v, size_t limit);

/* The same with numbers spelled canonically (jnum_dump_canon()). */
void jtext_value_canon(struct buf *out, const json_t *v, size_t limit);

/*
 * v printed by jtext_value() without a limit, NUL-terminated, in memory of
 * our own (free() it): what json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY
 * | JSON_PRESERVE_ORDER) was, with numbers as written.
 */
char *jtext_dumps(const json_t *v);

#endif
