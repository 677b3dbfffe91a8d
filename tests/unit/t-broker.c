/*
 * t-broker.c -- the URL parser of the broker targets (sink/broker.c):
 * server lists, the name after them, the query parameters, and the
 * checks of kafka:// and nats:// on top of it (topics, subjects,
 * headers); and the U+FFFD strings of the broker metadata (json-text.c).
 */
#include <string.h>

#include "json/json-text.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "sink/broker.h"
#include "sink/target.h"
#include "tap.h"

/* Parse rest with parameter name; compare the parts (NULL: must fail). */
static void
url(const char *rest, const char *param_name, const char *hosts,
    const char *path, const char *param)
{
	struct errbuf eb = { 0 };
	struct broker_url u;
	int r = broker_url_parse(rest, rest, param_name, &u, &eb);

	if (hosts == NULL) {
		ok(r == -1 && eb.status == STATUS_USAGE && eb.msg[0],
		   "'%s' is refused: %s", rest, eb.msg);
		return;
	}
	ok(r == 0 && strcmp(u.hosts, hosts) == 0 && strcmp(u.path, path) == 0 &&
		   (param ? u.param && strcmp(u.param, param) == 0
			  : u.param == NULL),
	   "'%s' -> hosts '%s' path '%s' param '%s' (%s)", rest, hosts, path,
	   param ? param : "(none)", r == 0 ? "parsed" : eb.msg);
	broker_url_free(&u);
}

/* Parse rest with "key,header": the key and the headers (n of them). */
static void
params(const char *rest, const char *key, const char *const *hdr, size_t n)
{
	struct errbuf eb = { 0 };
	struct broker_url u;
	int r = broker_url_parse(rest, rest, "key,header", &u, &eb), same;
	size_t i;

	if (hdr == NULL) {
		ok(r == -1 && eb.status == STATUS_USAGE && eb.msg[0],
		   "'%s' is refused: %s", rest, eb.msg);
		return;
	}
	same = r == 0 && u.nmore == n &&
	       (key ? u.param && strcmp(u.param, key) == 0 : u.param == NULL);
	for (i = 0; same && i < n; i++)
		same = strcmp(u.more[i], hdr[i]) == 0;
	ok(same, "'%s' -> key '%s' and %zu headers (%s)", rest,
	   key ? key : "(none)", n, r == 0 ? "parsed" : eb.msg);
	if (r == 0)
		broker_url_free(&u);
}

/* jtext_add_string_lossy(in) is the JSON text want. */
static void
lossy(const char *in, size_t n, const char *want, const char *what)
{
	struct buf b = BUF_INIT;

	jtext_add_string_lossy(&b, in, n);
	ok(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0,
	   "lossy: %s -> %s (got %.*s)", what, want, (int)b.len, b.data);
	buf_release(&b);
}

static void
check(const char *spec, int want_ok)
{
	struct errbuf eb = { 0 };
	int r = target_check(spec, &eb);

	ok(want_ok ? r == 0 : r == -1 && eb.status == STATUS_USAGE, "%s: %s",
	   spec, want_ok ? "accepted" : "usage error");
	if (r == -1)
		diag("%s", eb.msg);
}

int
main(void)
{
	url("h:1/t", "key", "h:1", "t", NULL);
	url("a:9092,b.example:9093,[::1]:9094/orders", "key",
	    "a:9092,b.example:9093,[::1]:9094", "orders", NULL);
	url("h:1/t?key={.a}", "key", "h:1", "t", "{.a}");
	url("h:1/t?key={.a + \"?\"}", "key", "h:1", "t", "{.a + \"?\"}");
	url("h:1/t?msgid={.id}", "msgid", "h:1", "t", "{.id}");
	url("", "key", NULL, NULL, NULL);
	url("/t", "key", NULL, NULL, NULL);
	url("h:1", "key", NULL, NULL, NULL);
	url("h:1/", "key", NULL, NULL, NULL);
	url("h:1/?key=x", "key", NULL, NULL, NULL);
	url("h/t", "key", NULL, NULL, NULL);
	url("h:/t", "key", NULL, NULL, NULL);
	url(":1/t", "key", NULL, NULL, NULL);
	url("h:0/t", "key", NULL, NULL, NULL);
	url("h:65536/t", "key", NULL, NULL, NULL);
	url("h:1x/t", "key", NULL, NULL, NULL);
	url("h:1,/t", "key", NULL, NULL, NULL);
	url(",h:1/t", "key", NULL, NULL, NULL);
	url("h:1,,g:2/t", "key", NULL, NULL, NULL);
	url("h h:1/t", "key", NULL, NULL, NULL);
	url("[::1/t", "key", NULL, NULL, NULL);
	url("h:1/t?key=", "key", NULL, NULL, NULL);
	url("h:1/t?msgid=x", "key", NULL, NULL, NULL);
	url("h:1/t?keys=x", "key", NULL, NULL, NULL);

	{
		static const char *const two[] = { "x:{.b}", "y:1" };
		static const char *const amp[] = { "x:{\"&\"}" };
		static const char *const lit[] = { "x:1" };
		static const char *const none[] = { NULL };

		params("h:1/t?key={.a}&header=x:{.b}&header=y:1", "{.a}", two,
		       2);
		params("h:1/t?header=x:{.b}&key={.a}&header=y:1", "{.a}", two,
		       2);
		/* '&' inside {EXPR} and its strings does not split */
		params("h:1/t?key={.a + \"&\"}&header=x:{\"&\"}",
		       "{.a + \"&\"}", amp, 1);
		params("h:1/t?key={\"}&\"}", "{\"}&\"}", none, 0);
		/* "{{" and "}}" are literal braces: '&' after them splits */
		params("h:1/t?key=a{{&header=x:1", "a{{", lit, 1);
		params("h:1/t?key=a}}&header=x:1", "a}}", lit, 1);
		params("h:1/t?header=x:1", NULL, lit, 1);
		params("h:1/t?key={.a}&key={.b}", NULL, NULL, 0);
		params("h:1/t?key={.a}&", NULL, NULL, 0);
		params("h:1/t?header=", NULL, NULL, 0);
		params("h:1/t?header=x:1&partition=2", NULL, NULL, 0);
		params("h:1/t?header", NULL, NULL, 0);
	}
	url("h:1/t?msgid={.id}&x=1", "msgid", NULL, NULL, NULL);
	url("h:1/t?key={.a}&header=x:1", "key", NULL, NULL, NULL);

	lossy("abc", 3, "\"abc\"", "ASCII");
	lossy("\xc3\xa9\xf0\x9f\x98\x80", 6, "\"\xc3\xa9\xf0\x9f\x98\x80\"",
	      "valid 2 and 4 bytes");
	lossy("a\xff"
	      "b",
	      3,
	      "\"a\xef\xbf\xbd"
	      "b\"",
	      "a stray byte");
	lossy("\xc0\x80", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"",
	      "an overlong NUL: each byte");
	lossy("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	      "a surrogate");
	lossy("\xf4\x90\x80\x80", 4,
	      "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	      "past U+10FFFF");
	lossy("\xe2\x82", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"", "a cut sequence");
	lossy("\xe2\x82(", 3, "\"\xef\xbf\xbd\xef\xbf\xbd(\"",
	      "a cut sequence before ASCII");
	lossy("\"\x01\x00\xff", 4, "\"\\\"\\u0001\\u0000\xef\xbf\xbd\"",
	      "escapes, NUL and a bad byte");

	check("kafka://h:1/t?key={.a}&header=trace-id:{.t}&header=x:1", 1);
	check("kafka://h:1/t?header=a:1&header=a:2", 0);
	check("kafka://h:1/t?header={.n}:1", 0);
	check("kafka://h:1/t?header=a b:1", 0);
	check("kafka://h:1/t?header=a", 0);
	check("kafka://h:1/t?header=a:{.x", 0);
	/* input_meta: checked at open, where the opener is known */
	check("kafka://h:1/t?header=a:{input_meta.key}", 1);
	check("kafka://h:1/orders.v1_x-y", 1);
	check("kafka://h:1/orders?key={.customer}", 1);
	check("kafka://h:1/or{.x}ders", 0);
	check("kafka://h:1/a/b", 0);
	check("kafka://h:1/..", 0);
	check("kafka://h:1/t?key={.a", 0);
	check("nats://h:1/events.{.type}.{.region}", 1);
	check("nats+tls://h:1/a.b?msgid={.id}", 1);
	check("nats://h:1/a.{.x}{.y}.c", 1);
	check("nats://h:1/a.\"{\".b", 0);
	check("nats://h:1/a.{\"}\" + .x}.b", 1);
	check("nats://h:1/a..b", 0);
	check("nats://h:1/.a", 0);
	check("nats://h:1/a.", 0);
	check("nats://h:1/a.*", 0);
	check("nats://h:1/a.>", 0);
	check("nats://h:1/a.b}", 0);
	check("nats://h:1/a.{.x", 0);
	check("nats://h:1/a b", 0);
	return done_testing();
}
