/*
 * evtime.h -- event times: RFC 3339 strings and epoch numbers, as
 * nanoseconds since the Unix epoch (UTC).
 */
#ifndef EVTIME_H
#define EVTIME_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct errbuf;

/* How a time is written (--time-format); the names in evtime_format_names. */
enum evtime_format {
	EVTIME_AUTO,	/* strings RFC 3339, numbers by magnitude */
	EVTIME_RFC3339, /* "2024-05-01T12:00:00.250Z", "...+02:00" */
	EVTIME_S,	/* epoch seconds (fraction allowed) */
	EVTIME_MS,	/* epoch milliseconds */
	EVTIME_US,	/* epoch microseconds */
	EVTIME_NS,	/* epoch nanoseconds */
};

extern const char *const evtime_format_names[];

/*
 * Parse an RFC 3339 date-time: "YYYY-MM-DD" "T" (or "t" or a space)
 * "HH:MM:SS", an optional fraction (up to nanoseconds; more digits are
 * cut), then "Z" (or "z") or "+HH:MM"/"-HH:MM".  A leap second (":60") is
 * taken as the next second.  0, or -1 if s[0..n) is not such a time.
 */
int evtime_parse_str(const char *s, size_t n, int64_t *ns);

/*
 * The time v holds, as format says (evtime_parse_json: EVTIME_AUTO).
 * With EVTIME_AUTO a string is RFC 3339 (or a decimal number in a
 * string, read as a number), and a number is epoch seconds below 1e11,
 * milliseconds below 1e14, microseconds below 1e17, else nanoseconds
 * (1e11 seconds is the year 5138; 1e11 ms is 1973).  0, or -1 with a
 * STATUS_REJECT error.
 */
int evtime_parse_json(json_t *v, int64_t *ns_out, struct errbuf *eb);
int evtime_parse_json_as(json_t *v, int format, int64_t *ns_out,
			 struct errbuf *eb);

#endif
