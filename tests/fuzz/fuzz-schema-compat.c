/*
 * fuzz-schema-compat.c -- the compatibility check on arbitrary schema
 * pairs.
 *
 * The input is two JSON documents separated by a NUL byte (byte 0 picks
 * the mode).  They are written to files in a private directory and
 * compared; an error is fine, a crash or leak is not.  When the check
 * finds a direction compatible, every value in the corpus's own JSON
 * that the first schema accepts must be accepted by the second.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/errbuf.h"
#include "schema/schema-compat.h"
#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4096];

static void
cleanup(void)
{
	char p[4200];

	snprintf(p, sizeof p, "%s/old.json", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/new.json", dir);
	unlink(p);
	rmdir(dir);
}

static int
put(const char *path, const uint8_t *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL)
		return -1;
	fwrite(p, 1, n, fp);
	return fclose(fp);
}

/* Values to try: the documents themselves and a few fixed ones. */
static void
check_sound(const char *a, const char *b)
{
	static const char *const vals[] = {
		"null",	     "true", "0",	  "-1",
		"1.5",	     "\"\"", "\"a\"",	  "[]",
		"[1,\"x\"]", "{}",   "{\"a\":1}", "{\"a\":\"x\",\"b\":null}",
	};
	struct errbuf eb = { 0 };
	struct schema *sa = schema_load(a, NULL, &eb), *sb;
	size_t i;

	errbuf_clear(&eb);
	sb = schema_load(b, NULL, &eb);
	errbuf_clear(&eb);
	if (sa && sb)
		for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
			json_error_t jerr;
			json_t *v = json_loads(vals[i], JSON_DECODE_ANY, &jerr);

			if (schema_validate(sa, v, NULL) &&
			    !schema_validate(sb, v, NULL))
				abort();
			json_decref(v);
		}
	if (sa)
		schema_free(sa);
	if (sb)
		schema_free(sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct compat_result res;
	struct errbuf eb = { 0 };
	char a[4200], b[4200];
	const uint8_t *nul;
	enum compat_mode mode;

	if (size < 2)
		return 0;
	if (dir[0] == '\0') {
		const char *t = getenv("TMPDIR");

		snprintf(dir, sizeof dir, "%s/fuzz-compat.XXXXXX",
			 t && *t ? t : P_tmpdir);
		if (mkdtemp(dir) == NULL)
			abort();
		atexit(cleanup);
	}
	mode = (enum compat_mode)(data[0] % 3 + 1);
	nul = memchr(data + 1, '\0', size - 1);
	if (nul == NULL)
		return 0;
	snprintf(a, sizeof a, "%s/old.json", dir);
	snprintf(b, sizeof b, "%s/new.json", dir);
	if (put(a, data + 1, (size_t)(nul - data - 1)) == -1 ||
	    put(b, nul + 1, size - (size_t)(nul - data) - 1) == -1)
		abort();
	if (schema_compat(a, b, mode, &(struct schema_opts){ 0 }, &res, &eb) ==
	    0) {
		if (res.n == 0 && (mode & COMPAT_BACKWARD))
			check_sound(a, b);
		if (res.n == 0 && (mode & COMPAT_FORWARD))
			check_sound(b, a);
		compat_result_release(&res);
	}
	errbuf_clear(&eb);
	return 0;
}
