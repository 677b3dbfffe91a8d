/*
 * t-evtime.c -- event times: RFC 3339 strings and epoch numbers to
 * nanoseconds, unit detection, and what is refused.
 */
#include <string.h>

#include "errbuf.h"
#include "evtime.h"
#include "tap.h"

#define S 1000000000LL

static void
str_ok(const char *s, long long want)
{
	int64_t ns = 0;
	int r = evtime_parse_str(s, strlen(s), &ns);

	ok(r == 0 && ns == want, "%s => %lld (want %lld)", s, (long long)ns,
	   want);
}

static void
str_bad(const char *s)
{
	int64_t ns = 0;

	ok(evtime_parse_str(s, strlen(s), &ns) == -1, "'%s' is refused", s);
}

static void
json_ok(const char *text, int format, long long want)
{
	struct errbuf eb = { 0 };
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	int64_t ns = 0;
	int r = evtime_parse_json_as(v, format, &ns, &eb);

	ok(r == 0 && ns == want, "%s as %s => %lld (want %lld) %s", text,
	   evtime_format_names[format], (long long)ns, want, eb.msg);
	json_decref(v);
}

static void
json_bad(const char *text, int format, const char *msg)
{
	struct errbuf eb = { 0 };
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	int64_t ns = 0;
	int r = evtime_parse_json_as(v, format, &ns, &eb);

	ok(r == -1 && eb.status == STATUS_REJECT && strcmp(eb.msg, msg) == 0,
	   "%s as %s is refused: %s", text, evtime_format_names[format],
	   eb.msg);
	json_decref(v);
}

int
main(void)
{
	str_ok("1970-01-01T00:00:00Z", 0);
	str_ok("2024-01-01T00:00:00Z", 1704067200 * S);
	str_ok("2024-02-29T12:34:56Z", 1709210096 * S);
	str_ok("2024-02-29t12:34:56z", 1709210096 * S);
	str_ok("2024-02-29 12:34:56Z", 1709210096 * S);
	str_ok("1969-12-31T23:59:59Z", -1 * S);
	str_ok("1900-01-01T00:00:00Z", -2208988800LL * S);
	str_ok("2000-03-01T00:00:00Z", 951868800 * S);
	str_ok("2024-01-01T00:00:00.5Z", 1704067200 * S + 500000000);
	str_ok("2024-01-01T00:00:00.123456789Z", 1704067200 * S + 123456789);
	str_ok("2024-01-01T00:00:00.1234567891Z", 1704067200 * S + 123456789);
	str_ok("2024-01-01T02:30:00+02:30", 1704067200 * S);
	str_ok("2023-12-31T19:00:00-05:00", 1704067200 * S);
	str_ok("2016-12-31T23:59:60Z", 1483228800 * S);
	str_bad("2024-01-01");
	str_bad("2024-01-01T00:00:00");
	str_bad("2024-13-01T00:00:00Z");
	str_bad("2023-02-29T00:00:00Z");
	str_bad("1900-02-29T00:00:00Z");
	str_bad("2024-04-31T00:00:00Z");
	str_bad("2024-01-01T24:00:00Z");
	str_bad("2024-01-01T00:00:00.Z");
	str_bad("2024-01-01T00:00:00+0200");
	str_bad("2024-01-01T00:00:00Zjunk");
	str_bad("2024-01-01X00:00:00Z");

	json_ok("1704067200", EVTIME_AUTO, 1704067200 * S);
	json_ok("1704067200.25", EVTIME_AUTO, 1704067200 * S + 250000000);
	json_ok("1704067200123", EVTIME_AUTO, 1704067200123000000LL);
	json_ok("1704067200123456", EVTIME_AUTO, 1704067200123456000LL);
	json_ok("1704067200123456789", EVTIME_AUTO, 1704067200123456789LL);
	json_ok("\"1704067200\"", EVTIME_AUTO, 1704067200 * S);
	json_ok("\"2024-01-01T00:00:00Z\"", EVTIME_AUTO, 1704067200 * S);
	json_ok("\"2024-01-01T00:00:00Z\"", EVTIME_RFC3339, 1704067200 * S);
	json_ok("1500", EVTIME_MS, 1500000000LL);
	json_ok("1500", EVTIME_S, 1500 * S);
	json_ok("1500", EVTIME_US, 1500000LL);
	json_ok("1500", EVTIME_NS, 1500LL);
	json_ok("-2", EVTIME_AUTO, -2 * S);
	json_bad("\"yesterday\"", EVTIME_AUTO,
		 "not a time (RFC 3339 or epoch number): \"yesterday\"");
	json_bad("\"1704067200\"", EVTIME_RFC3339,
		 "not a time: \"1704067200\"");
	json_bad("1704067200", EVTIME_RFC3339,
		 "not a time: a number (--time-format rfc3339)");
	json_bad("null", EVTIME_AUTO, "not a time: null (missing?)");
	json_bad("{}", EVTIME_AUTO, "not a time: an object");
	json_bad("9000000000000000000", EVTIME_S, "time out of range");
	return done_testing();
}
