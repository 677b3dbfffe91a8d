/*
 * evtime.c -- event times (see evtime.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "evtime.h"

const char *const evtime_format_names[] = {
	"auto", "rfc3339", "s", "ms", "us", "ns", NULL,
};

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
digits(const char *s, size_t n, unsigned *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

int
evtime_parse_str(const char *s, size_t n, int64_t *ns)
{
	static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30,
					       31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, sec, oh, om;
	int64_t frac = 0, t;
	size_t i = 19;

	if (n < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 &&
	     !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) ||
	    h > 23 || mi > 59 || sec > 60)
		return -1;
	if (s[i] == '.') {
		int64_t scale = 100000000;
		size_t start = ++i;

		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
		if (i == start)
			return -1;
	}
	t = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec);
	if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
		/* UTC */
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') &&
		   !digits(s + i + 1, 2, &oh) && s[i + 3] == ':' &&
		   !digits(s + i + 4, 2, &om) && oh <= 23 && om <= 59) {
		int64_t off = (int64_t)oh * 3600 + om * 60;

		t += s[i] == '+' ? -off : off;
	} else {
		return -1;
	}
	*ns = t * 1000000000 + frac;
	return 0;
}

/* A number in unit (ns per unit) as ns; -1 if out of range. */
static int
scale_number(double x, int64_t unit, int64_t *ns)
{
	double v = x * (double)unit, whole;

	if (!isfinite(v) || v > 9.2e18 || v < -9.2e18)
		return -1;
	/* Whole units and the fraction apart: 1704067200.25 s is exact. */
	whole = floor(x);
	*ns = (int64_t)whole * unit +
	      (int64_t)llround((x - whole) * (double)unit);
	return 0;
}

static int
parse_number(json_t *v, int format, int64_t *ns)
{
	double x = json_number_value(v);
	double a = fabs(x);
	int64_t unit;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		int64_t mul;

		if (format == EVTIME_AUTO)
			format = a < 1e11   ? EVTIME_S
				 : a < 1e14 ? EVTIME_MS
				 : a < 1e17 ? EVTIME_US
					    : EVTIME_NS;
		mul = format == EVTIME_S    ? 1000000000
		      : format == EVTIME_MS ? 1000000
		      : format == EVTIME_US ? 1000
					    : 1;
		if (i > INT64_MAX / mul || i < INT64_MIN / mul)
			return -1;
		*ns = (int64_t)i * mul;
		return 0;
	}
	if (format == EVTIME_AUTO)
		format = a < 1e11   ? EVTIME_S
			 : a < 1e14 ? EVTIME_MS
			 : a < 1e17 ? EVTIME_US
				    : EVTIME_NS;
	unit = format == EVTIME_S    ? 1000000000
	       : format == EVTIME_MS ? 1000000
	       : format == EVTIME_US ? 1000
				     : 1;
	return scale_number(x, unit, ns);
}

int
evtime_parse_json_as(json_t *v, int format, int64_t *ns_out, struct errbuf *eb)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);

		if (format != EVTIME_RFC3339 && n > 0 && n < 40) {
			char tmp[40], *end;
			double x;

			memcpy(tmp, s, n);
			tmp[n] = '\0';
			x = strtod(tmp, &end);
			if (end == tmp + n &&
			    (tmp[0] == '-' ||
			     (tmp[0] >= '0' && tmp[0] <= '9'))) {
				json_t *num = json_real(x);
				int r = parse_number(num, format, ns_out);

				json_decref(num);
				if (r == 0)
					return 0;
			}
		}
		if ((format == EVTIME_AUTO || format == EVTIME_RFC3339) &&
		    evtime_parse_str(s, n, ns_out) == 0)
			return 0;
		return errbuf_set(eb, STATUS_REJECT, "not a time%s: \"%.64s\"",
				  format == EVTIME_AUTO
					  ? " (RFC 3339 or epoch number)"
					  : "",
				  s);
	}
	if (json_is_number(v) && format != EVTIME_RFC3339) {
		if (parse_number(v, format, ns_out) == 0)
			return 0;
		return errbuf_set(eb, STATUS_REJECT, "time out of range");
	}
	return errbuf_set(eb, STATUS_REJECT, "not a time: %s",
			  json_is_null(v)      ? "null (missing?)"
			  : json_is_number(v)  ? "a number (--time-format "
						 "rfc3339)"
			  : json_is_boolean(v) ? "a boolean"
			  : json_is_array(v)   ? "an array"
					       : "an object");
}

int
evtime_parse_json(json_t *v, int64_t *ns_out, struct errbuf *eb)
{
	return evtime_parse_json_as(v, EVTIME_AUTO, ns_out, eb);
}
