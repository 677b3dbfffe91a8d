/*
 * fuzz-http-src.c -- the request headers the HTTP source reads from
 * untrusted clients (lib/http-src-parse.h): Content-Type,
 * Content-Encoding, "Authorization: Bearer" and the webhook signature,
 * on arbitrary bytes.  A token found lies inside the value and has no
 * blanks at its ends; a signature read is the one its hex digits say.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http-src-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_signature(const char *v, size_t n)
{
	unsigned char sig[32];
	char hex[65];
	unsigned char back[32];
	size_t i;

	if (http_src_signature(v, n, sig) == -1)
		return;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", sig[i]);
	if (http_src_signature(hex, 64, back) == -1 ||
	    memcmp(sig, back, 32) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = malloc(size + 1);
	const char *tok;
	size_t len;
	int ct;

	memcpy(v, data, size);
	v[size] = '\0';
	ct = http_src_ctype(v);
	if (ct < HTTP_CT_OTHER || ct > HTTP_CT_JSON)
		abort();
	if (http_src_encoding(v) < -1 || http_src_encoding(v) > 1)
		abort();
	if (http_src_bearer(v, &tok, &len) == 0 &&
	    (tok < v || tok + len > v + strlen(v) || len == 0 ||
	     tok[0] == ' ' || tok[len - 1] == ' ' || tok[len - 1] == '\t'))
		abort();
	check_signature((const char *)data, size);
	free(v);
	return 0;
}
