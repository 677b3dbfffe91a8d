/*
 * t-template.c -- templates: parsing, plain rendering, and path mode
 * sanitizing that never leaves the directory written in the template.
 */
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "tap.h"
#include "expr/template.h"

static void
render(const char *tpl, const char *event, enum template_mode mode,
       const char *want)
{
	struct errbuf eb = { 0 };
	struct buf b = BUF_INIT;
	json_t *v = json_loads(event, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	struct template *t = template_compile(tpl, NULL, &eb);
	const char *got;

	if (!t)
		buf_addf(&b, "COMPILE: %s", eb.msg);
	else if (template_render(t, v, mode, &b, &eb) < 0) {
		buf_reset(&b);
		buf_addf(&b, "ERR: %s", eb.msg);
	}
	got = b.data ? b.data : "";
	ok(strcmp(got, want) == 0, "%s on %.40s => %.120s", tpl, event, got);
	if (strcmp(got, want) != 0)
		diag("want %s", want);
	template_free(t);
	json_decref(v);
	buf_release(&b);
}

/* The rendering stays under prefix: no "..", "." or empty component. */
static void
confined(const char *tpl, const char *event, const char *prefix)
{
	struct errbuf eb = { 0 };
	struct buf b = BUF_INIT;
	json_t *v = json_loads(event, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	struct template *t = template_compile(tpl, NULL, &eb);
	int good = t && template_render(t, v, TEMPLATE_PATH, &b, &eb) == 0;
	char *p, *save = NULL, *comp;

	good = good && strncmp(b.data, prefix, strlen(prefix)) == 0 &&
	       strlen(b.data) == b.len;
	if (good) {
		p = strdup(b.data + strlen(prefix));
		for (comp = strtok_r(p, "/", &save); comp;
		     comp = strtok_r(NULL, "/", &save))
			if (!strcmp(comp, "..") || !strcmp(comp, "."))
				good = 0;
		free(p);
	}
	ok(good, "confined: %s on %.60s => %.80s", tpl, event,
	   b.data ? b.data : eb.msg);
	template_free(t);
	json_decref(v);
	buf_release(&b);
}

int
main(void)
{
	char big[5000];

	render("out/{.type}/{.ts[0:10]}.ndjson",
	       "{\"type\":\"order\",\"ts\":\"2024-01-02T03:04:05Z\"}",
	       TEMPLATE_PATH, "out/order/2024-01-02.ndjson");
	render("{.type}/v{.version}.json", "{\"type\":\"a\",\"version\":2}",
	       TEMPLATE_PLAIN, "a/v2.json");
	render("{{literal}} {.a}", "{\"a\":\"x\"}", TEMPLATE_PLAIN,
	       "{literal} x");
	render("{ {a: 1} | .a }", "null", TEMPLATE_PLAIN, "1");
	render("{\"}\"}", "null", TEMPLATE_PLAIN, "}");
	render("x{.a}", "{\"a\":1.5}", TEMPLATE_PLAIN, "x1.5");
	render("x{.a}", "{\"a\":true}", TEMPLATE_PLAIN, "xtrue");
	render("x{.a}", "{}", TEMPLATE_PLAIN,
	       "ERR: template part {.a} is null: it must be a string, a number "
	       "or "
	       "a boolean");
	render("x{.a}", "{\"a\":[1]}", TEMPLATE_PLAIN,
	       "ERR: template part {.a} is an array: it must be a string, a "
	       "number "
	       "or a boolean");
	render("x{.a[]}", "{\"a\":[1,2]}", TEMPLATE_PLAIN,
	       "ERR: template part {.a[]}: expression yielded more than one "
	       "value");
	render("x{empty}", "{}", TEMPLATE_PLAIN,
	       "ERR: template part {empty}: expression yielded no value");
	render("x{.a", "{}", TEMPLATE_PLAIN,
	       "COMPILE: template column 2: '{' without its '}'");
	render("x}", "{}", TEMPLATE_PLAIN,
	       "COMPILE: template column 2: unmatched '}' (write }} for a "
	       "brace)");
	render("{.a +}", "{}", TEMPLATE_PLAIN,
	       "COMPILE: template column 2: column 5: syntax error: unexpected "
	       "end of expression");
	/* path mode */
	render("out/{.a}.log", "{\"a\":\"../../etc/passwd\"}", TEMPLATE_PATH,
	       "out/%2E%2E%2F..%2Fetc%2Fpasswd.log");
	render("out/{.a}", "{\"a\":\"..\"}", TEMPLATE_PATH, "out/%2E%2E");
	render("out/{.a}", "{\"a\":\".\"}", TEMPLATE_PATH, "out/%2E");
	render("out/{.a}{.b}", "{\"a\":\".\",\"b\":\".\"}", TEMPLATE_PATH,
	       "out/%2E.");
	render("out/{.a}.ndjson", "{\"a\":\"\"}", TEMPLATE_PATH,
	       "out/_.ndjson");
	render("out/{.a}.ndjson", "{\"a\":\".hidden\"}", TEMPLATE_PATH,
	       "out/%2Ehidden.ndjson");
	render("out/x{.a}", "{\"a\":\"..\"}", TEMPLATE_PATH, "out/x..");
	render("out/{.a}", "{\"a\":\"\"}", TEMPLATE_PATH, "out/_");
	render("out/{.a}/x", "{\"a\":\"/abs\"}", TEMPLATE_PATH, "out/%2Fabs/x");
	render("out/{.a}", "{\"a\":\"a\\u0000b\"}", TEMPLATE_PATH, "out/a%00b");
	render("out/{.a}", "{\"a\":\"a\\nb\"}", TEMPLATE_PATH, "out/a%0Ab");
	render("out/{.a}", "{\"a\":\"%2e%2e\"}", TEMPLATE_PATH,
	       "out/%252e%252e");
	render("out/{.a}", "{\"a\":\"back\\\\slash\"}", TEMPLATE_PATH,
	       "out/back%5Cslash");
	render("out/{.a}", "{\"a\":\"h\\u00e9llo w\\u00f6rld\"}", TEMPLATE_PATH,
	       "out/h\xc3\xa9llo%20w\xc3\xb6rld");
	render("out/{.a}", "{\"a\":\"\\u2028\"}", TEMPLATE_PATH,
	       "out/%E2%80%A8");
	render("out/{.a}", "{\"a\":-1.5}", TEMPLATE_PATH, "out/-1.5");
	memset(big, 'a', sizeof(big));
	memcpy(big, "{\"a\":\"", 6);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	{
		struct errbuf eb = { 0 };
		struct buf b = BUF_INIT, c = BUF_INIT;
		json_t *v = json_loads(big, 0, NULL);
		struct template *t =
			template_compile("out/{.a}.ndjson", NULL, &eb);

		ok(t && template_render(t, v, TEMPLATE_PATH, &b, &eb) == 0 &&
			   b.len == 4 + TEMPLATE_MAX_COMPONENT &&
			   strstr(b.data, "%~") != NULL &&
			   strcmp(b.data + b.len - 7, ".ndjson") == 0,
		   "a 5 KB value is cut to %d bytes, marked, its tail kept "
		   "(%zu: %s)",
		   TEMPLATE_MAX_COMPONENT, b.len, b.data);
		/* the same but for its last byte: another name */
		big[sizeof(big) - 4] = 'b';
		json_decref(v);
		v = json_loads(big, 0, NULL);
		ok(template_render(t, v, TEMPLATE_PATH, &c, &eb) == 0 &&
			   c.len == b.len && strcmp(b.data, c.data) != 0,
		   "two long values that differ only past the cut differ");
		template_free(t);
		json_decref(v);
		buf_release(&b);
		buf_release(&c);
	}
	render("out/{.a}", "{\"a\":\"_\"}", TEMPLATE_PATH, "out/%5F");
	render("out/{.a}{.b}", "{\"a\":\"x\",\"b\":\"\"}", TEMPLATE_PATH,
	       "out/x_");
	render("out/{.a}{.b}", "{\"a\":\"x\",\"b\":\"_\"}", TEMPLATE_PATH,
	       "out/x%5F");
	confined("out/{.a}", "{\"a\":\"../../etc/passwd\"}", "out/");
	confined("out/{.a}/{.b}", "{\"a\":\"..\",\"b\":\".\"}", "out/");
	confined("out/{.a}{.a}/f", "{\"a\":\".\"}", "out/");
	confined("out/{.a}", "{\"a\":\"/\"}", "out/");
	confined("out/{.a}", "{\"a\":\"\\u0000/..\"}", "out/");
	return done_testing();
}
