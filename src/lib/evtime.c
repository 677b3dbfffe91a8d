/*
 * evtime.c -- event times (see evtime.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "evtime.h"
#include "json/json-text.h"

#define NS_PER_S 1000000000LL
/* What int64 nanoseconds hold, with a second to spare: 1677-09-21 to
 * 2262-04-11. */
#define EVTIME_MIN_S (INT64_MIN / NS_PER_S + 1)
#define EVTIME_MAX_S (INT64_MAX / NS_PER_S - 1)
#define EVTIME_MIN   (EVTIME_MIN_S * NS_PER_S)
#define EVTIME_MAX   (EVTIME_MAX_S * NS_PER_S)

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n decimal digits at s into *v; 0 or -1. */
static int
digits(const char *s, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

int
evtime_parse_rfc3339(const char *s, size_t n, int64_t *ns)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30,
					  31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, sec, oh, om;
	int64_t frac = 0, t;
	size_t i;
	int fd = 0, neg;

	/* YYYY-MM-DDTHH:MM:SS is 19 bytes, then a zone of at least 1. */
	if (n < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	i = 19;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return -1;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (fd < 9) {
				frac = frac * 10 + (s[i] - '0');
				fd++;
			}
		for (; fd < 9; fd++)
			frac *= 10;
	}
	if (i >= n)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		oh = om = 0;
		neg = 0;
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-';
		if (n - i < 6 || digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
		    digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		i += 6;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	if (sec == 60) {
		sec = 59;
		frac = NS_PER_S - 1;
	}
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t += (neg ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
	if (t < EVTIME_MIN_S || t >= EVTIME_MAX_S)
		return -1;
	*ns = t * NS_PER_S + frac;
	return 0;
}

static int
bad_time(const json_t *v, struct errbuf *eb)
{
	char *text = jtext_dumps(v);
	size_t n = text ? strlen(text) : 0;

	errbuf_set(eb, STATUS_REJECT,
		   "expected an RFC 3339 time or epoch seconds or "
		   "milliseconds, got %.*s%s",
		   n > 60 ? 60 : (int)n, text ? text : "?",
		   n > 60 ? "..." : "");
	free(text);
	return -1;
}

int
evtime_from_json(const json_t *v, int64_t *ns, struct errbuf *eb)
{
	if (json_is_string(v)) {
		if (evtime_parse_rfc3339(json_string_value(v),
					 json_string_length(v), ns) == -1)
			return bad_time(v, eb);
		return 0;
	}
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		int64_t scale = NS_PER_S;

		if (i <= -100000000000LL || i >= 100000000000LL)
			scale = 1000000; /* milliseconds */
		if (i < EVTIME_MIN / scale || i > EVTIME_MAX / scale)
			return bad_time(v, eb);
		*ns = (int64_t)i * scale;
		return 0;
	}
	if (json_is_real(v)) {
		double x = json_real_value(v), whole, frac;
		int64_t scale = NS_PER_S, w;

		if (!isfinite(x))
			return bad_time(v, eb);
		if (fabs(x) >= 1e11)
			scale = 1000000; /* milliseconds */
		/* The fraction apart, rounded to the microsecond: a double
		 * holds epoch seconds only to about 0.2 us. */
		whole = floor(x);
		frac = x - whole;
		if (whole < (double)(EVTIME_MIN / scale) ||
		    whole > (double)(EVTIME_MAX / scale))
			return bad_time(v, eb);
		w = (int64_t)whole;
		*ns = w * scale + llround(frac * 1e6) * (scale / 1000000);
		return 0;
	}
	return bad_time(v, eb);
}

/*
 * Write f nanoseconds (0 to 999999999) as a fraction of a second without
 * trailing zeros (".5", ".000123"), nothing for 0; returns its length.
 */
static int
add_fraction(char *out, size_t size, int64_t f)
{
	int digs = 9;

	if (f == 0)
		return 0;
	while (f % 10 == 0) {
		f /= 10;
		digs--;
	}
	return snprintf(out, size, ".%0*lld", digs, (long long)f);
}

char *
evtime_format(int64_t ns, char *out)
{
	int64_t s = ns / NS_PER_S, f = ns % NS_PER_S, days, y;
	unsigned m, d, sod;
	int len;

	if (f < 0) {
		f += NS_PER_S;
		s--;
	}
	days = s / 86400;
	if (s % 86400 < 0)
		days--;
	sod = (unsigned)(s - days * 86400);
	civil_from_days(days, &y, &m, &d);
	len = snprintf(out, EVTIME_BUFSZ, "%04lld-%02u-%02uT%02u:%02u:%02u",
		       (long long)y, m, d, sod / 3600, sod / 60 % 60, sod % 60);
	len += add_fraction(out + len, EVTIME_BUFSZ - (size_t)len, f);
	snprintf(out + len, EVTIME_BUFSZ - (size_t)len, "Z");
	return out;
}

char *
evtime_format_dur(int64_t ns, char *out)
{
	int64_t s = ns / NS_PER_S, f = ns % NS_PER_S;
	int len;

	if (ns < 0) {
		s = -s;
		f = -f;
	}
	len = snprintf(out, EVTIME_BUFSZ, "%s%lld", ns < 0 ? "-" : "",
		       (long long)s);
	len += add_fraction(out + len, EVTIME_BUFSZ - (size_t)len, f);
	snprintf(out + len, EVTIME_BUFSZ - (size_t)len, "s");
	return out;
}
