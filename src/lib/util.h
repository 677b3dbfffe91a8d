/*
 * util.h -- parsing of sizes and durations, clocks, small helpers.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stdint.h>
#include <stddef.h>

struct errbuf;

/*
 * Parse a size: a decimal count with an optional suffix k, m, g (powers of
 * 1024, either case, optional trailing "b"/"B").  "64k" = 65536.  Returns 0,
 * or -1 with a usage error naming the text.
 */
int parse_size(const char *s, uint64_t *out, struct errbuf *eb);

/*
 * Parse a duration: a decimal number (fraction allowed) followed by ns, us,
 * ms, s, m, h or d; a bare number means seconds.  "1.5s", "250ms".  Stored
 * in nanoseconds.  Returns 0, or -1 with a usage error.
 */
int parse_duration(const char *s, int64_t *out_ns, struct errbuf *eb);

/* Parse a non-negative decimal integer that fits in int64; -1 on error. */
int parse_uint(const char *s, uint64_t max, uint64_t *out, struct errbuf *eb);

/*
 * Write code point cp (at most 0x10FFFF) as UTF-8 to out, which has room
 * for 4 bytes; returns the number of bytes written.
 */
size_t utf8_encode(uint32_t cp, char *out);

/* The lower-case hex digits, "0123456789abcdef". */
extern const char hex_digits[17];

/* Is c a hex digit (either case)?  Inline: format checks call it per
 * character. */
static inline int
is_hex_digit(int c)
{
	return (unsigned)(c - '0') < 10 || (unsigned)((c | 0x20) - 'a') < 6;
}

/* The value of hex digit c (either case), or -1. */
static inline int
hex_value(int c)
{
	if ((unsigned)(c - '0') < 10)
		return c - '0';
	c |= 0x20;
	if ((unsigned)(c - 'a') < 6)
		return c - 'a' + 10;
	return -1;
}

/* CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds. */
int64_t mono_ns(void);
int64_t real_ns(void);

/* Write all of buf to fd, retrying on EINTR and short writes; -1 and errno. */
int write_full(int fd, const void *buf, size_t len);

#endif
