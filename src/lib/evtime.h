/*
 * evtime.h -- event times: the value of --time EXPR, --by EXPR and the
 * like, as nanoseconds since the Unix epoch (UTC).
 *
 * Accepted values:
 *   - a string in RFC 3339 form: 2026-11-26T12:00:00Z,
 *     2026-11-26T12:00:00.250+01:00 ("t" or a space may replace "T",
 *     "z" may replace "Z"; up to 9 fraction digits are kept, more are
 *     read and ignored; a leap second :60 is read as :59.999999999);
 *   - a number: epoch seconds, or epoch milliseconds when its magnitude
 *     is at least 1e11 (1e11 seconds is the year 5138, 1e11 ms is 1973);
 *     fractions are kept to the microsecond (as far as a double
 *     holds them).
 * Anything else (other strings, null, booleans, times outside what
 * 64-bit nanoseconds hold: 1677-09-21 to 2262-04-11) is an error.  No locale,
 * no time zone database, no allocation: safe on untrusted input.
 */
#ifndef EVTIME_H
#define EVTIME_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct errbuf;

/* Parse an RFC 3339 time of n bytes: 0, or -1 if it is not one. */
int evtime_parse_rfc3339(const char *s, size_t n, int64_t *ns);

/*
 * The time v stands for: 0, or -1 with a STATUS_REJECT error in eb
 * saying what was wrong ("expected an RFC 3339 time or epoch seconds or
 * milliseconds, got ...").
 */
int evtime_from_json(const json_t *v, int64_t *ns, struct errbuf *eb);

/* Format ns as RFC 3339 UTC with the needed fraction digits; returns out
 * (at least EVTIME_BUFSZ bytes). */
#define EVTIME_BUFSZ 40
char *evtime_format(int64_t ns, char *out);

/* Format a duration in ns as seconds, e.g. "1.5s", "300s"; returns out
 * (at least EVTIME_BUFSZ bytes). */
char *evtime_format_dur(int64_t ns, char *out);

#endif
