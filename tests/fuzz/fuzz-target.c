/*
 * fuzz-target.c -- target strings and templates on arbitrary text.
 *
 * The input's first line is a target string, the rest one JSON event.
 * The target is checked as route --target and split check it; a template is
 * compiled (with the "partition" slot) and rendered in path mode for the
 * event twice: from the scanner's tape (the fast path) and from a record
 * holding only the parsed value (the slow path).  Both must agree, byte for
 * byte or on the error.  A path rendering must stay under the directory written
 * before the first "{" and, unless the template's own text has components
 * starting with a dot, may hold no "." or ".." component and no NUL; that
 * directory is what template_fixed_dir() says.  Anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "sink/target.h"
#include "json/json-scan.h"
#include "record.h"
#include "expr/template.h"

static const char *const slots[] = { "partition", NULL };
static const char *const slot_values[] = { "7", NULL };

static void
check_confined(const char *src, const struct template *t, const struct buf *out)
{
	const char *brace = strchr(src, '{'), *slash = NULL, *p;
	size_t plen = 0;

	if (strstr(src, "{{") || strstr(src, "}}"))
		return;
	for (p = src; p < brace; p++)
		if (*p == '/')
			slash = p;
	if (slash)
		plen = (size_t)(slash - src) + 1;
	if (out->len < plen || memcmp(out->data, src, plen) != 0)
		abort();
	/* the sinkset opens what follows this prefix without symlinks */
	if (template_fixed_dir(t) != plen)
		abort();
	/* the template's own "." and ".." components are its business */
	if (strstr(src, "/.") || src[0] == '.')
		return;
	/* every component after the prefix */
	for (p = out->data + plen; p <= out->data + out->len;) {
		const char *end =
			memchr(p, '/', (size_t)(out->data + out->len - p));
		size_t n;

		if (end == NULL)
			end = out->data + out->len;
		n = (size_t)(end - p);
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			abort();
		if (memchr(p, '\0', n))
			abort();
		p = end + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jscan js;
	static int inited;
	struct errbuf eb = { 0 }, eb2 = { 0 };
	struct buf a = BUF_INIT, b = BUF_INIT;
	const char *nl = memchr(data, '\n', size), *ev;
	struct template *t;
	struct record rec;
	size_t slen, evlen;
	char *src;
	json_t *v;
	int is_template, ra, rb;

	if (!inited) {
		jscan_init(&js);
		inited = 1;
	}
	slen = nl ? (size_t)(nl - (const char *)data) : size;
	src = malloc(slen + 1);
	memcpy(src, data, slen);
	src[slen] = '\0';
	ev = nl ? nl + 1 : "{\"a\":\"x\"}";
	evlen = nl ? size - slen - 1 : strlen(ev);
	if (strlen(src) != slen ||
	    target_check_template(src, &is_template, &eb) == -1) {
		if (strlen(src) == slen && eb.status != STATUS_USAGE)
			abort();
		free(src);
		return 0;
	}
	t = is_template ? template_compile_slots(src, NULL, slots, &eb) : NULL;
	if (t == NULL || jscan_parse(&js, ev, evlen, &eb2) == -1) {
		template_free(t);
		free(src);
		return 0;
	}
	record_init(&rec, "fuzz", 1, ev, evlen);
	rec.scan = &js;
	rb = template_render_record(t, &rec, TEMPLATE_PATH, slot_values, &b,
				    &eb2);
	record_release(&rec);
	v = record_parse(ev, evlen, &eb);
	if (v == NULL) {
		/* the scanner takes a few lines jansson does not ("\u0000"
		 * in a key): nothing to compare with */
		if (rb == 0)
			check_confined(src, t, &b);
		template_free(t);
		buf_release(&b);
		errbuf_clear(&eb);
		errbuf_clear(&eb2);
		free(src);
		return 0;
	}
	/* the same template on a record that holds only the parsed value,
	 * with the same slot values: the slow path of every part */
	{
		struct record rec2;

		record_init(&rec2, "fuzz", 1, ev, evlen);
		rec2.json = json_incref(v);
		ra = template_render_record(t, &rec2, TEMPLATE_PATH,
					    slot_values, &a, &eb);
		record_release(&rec2);
	}
	/* now differs between the two renderings by design (the clock
	 * moves) */
	if (strstr(src, "now"))
		ra = -2;
	if (ra != -2) {
		if (ra != rb)
			abort();
		if (ra == 0 &&
		    (a.len != b.len || memcmp(a.data, b.data, a.len)))
			abort();
	}
	if (rb == 0)
		check_confined(src, t, &b);
	json_decref(v);
	template_free(t);
	buf_release(&a);
	buf_release(&b);
	errbuf_clear(&eb);
	errbuf_clear(&eb2);
	free(src);
	return 0;
}
