/*
 * t-broker.c -- the URL parser of the broker targets (sink/broker.c):
 * server lists, the name after them, the one query parameter, and the
 * checks of kafka:// and nats:// on top of it (topics, subjects).
 */
#include <string.h>

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
