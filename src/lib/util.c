/*
 * util.c -- sizes, durations, clocks and write_full() (see util.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "util.h"

int
parse_uint(const char *s, uint64_t max, uint64_t *out, struct errbuf *eb)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p == '\0')
		return errbuf_set(eb, STATUS_USAGE, "empty number");
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return errbuf_set(eb, STATUS_USAGE,
					  "'%s' is not a whole number", s);
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return errbuf_set(eb, STATUS_USAGE,
					  "'%s' is too large (at most %llu)", s,
					  (unsigned long long)max);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

int
parse_size(const char *s, uint64_t *out, struct errbuf *eb)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return errbuf_set(eb, STATUS_USAGE, "'%s' is not a size", s);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return errbuf_set(eb, STATUS_USAGE,
					  "size '%s' is too large", s);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		p++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		p++;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		p++;
		break;
	default:
		break;
	}
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p != '\0')
		return errbuf_set(
			eb, STATUS_USAGE,
			"'%s' is not a size (use e.g. 512, 64k, 16M, 1G)", s);
	if (v > UINT64_MAX / mul)
		return errbuf_set(eb, STATUS_USAGE, "size '%s' is too large",
				  s);
	*out = v * mul;
	return 0;
}

int
parse_duration(const char *s, int64_t *out_ns, struct errbuf *eb)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{ "ns", 1 },   { "us", 1e3 },	{ "ms", 1e6 },	  { "s", 1e9 },
		{ "m", 60e9 }, { "h", 3600e9 }, { "d", 86400e9 }, { "", 1e9 },
	};
	const char *p = s;
	double v = 0, frac = 0.1;
	int digits = 0;
	size_t i;

	for (; *p >= '0' && *p <= '9'; p++, digits++)
		v = v * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++, frac /= 10)
			v += (*p - '0') * frac;
	if (digits == 0)
		return errbuf_set(
			eb, STATUS_USAGE,
			"'%s' is not a duration (use e.g. 500ms, 2s, 1m)", s);
	for (i = 0; i < NELEM(units); i++)
		if (strcmp(p, units[i].unit) == 0)
			break;
	if (i == NELEM(units))
		return errbuf_set(
			eb, STATUS_USAGE,
			"'%s' is not a duration (units: ns us ms s m h d)", s);
	v *= units[i].ns;
	if (!(v < 9.2e18))
		return errbuf_set(eb, STATUS_USAGE, "duration '%s' is too long",
				  s);
	*out_ns = (int64_t)llround(v);
	return 0;
}

int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

const char hex_digits[17] = "0123456789abcdef";

size_t
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}
