/*
 * json-text.h -- JSON text written without building a value (no jansson):
 * the names say jtext_ so that none of them can be mistaken for one of
 * jansson's json_* functions.
 */
#ifndef JSON_TEXT_H
#define JSON_TEXT_H

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

#endif
