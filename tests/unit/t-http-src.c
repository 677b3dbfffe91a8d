/*
 * t-http-src.c -- the HTTP source's parts that need no connection: the
 * in-flight ring (source/inflight.h) against a model queue, through
 * growth and wrap-around; and the header readers (lib/http-src-parse.h)
 * on the values clients send.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http-src-parse.h"
#include "source/inflight.h"
#include "tap.h"

/* Random pushes and pops (by a mark a little ahead or behind) against a
 * plain array: the same units come out, in order, numbered 1, 2, ... */
static void
ring_model(void)
{
	struct inflight f = { 0 };
	uintptr_t next = 1, popped = 0;
	unsigned seed = 7;
	int good = 1, step;

	for (step = 0; step < 200000 && good; step++) {
		seed = seed * 1103515245 + 12345;
		if ((seed >> 16) % 8 != 0) {
			uint64_t n = inflight_push(&f, (void *)next);

			good = n == next;
			next++;
		} else {
			uint64_t mark = popped + (seed >> 8) % 400;
			void *p;

			while ((p = inflight_pop(&f, mark)) != NULL) {
				good &= (uintptr_t)p == popped + 1 &&
					popped + 1 <= mark;
				popped++;
			}
			good &= popped == (mark < next - 1 ? mark : next - 1);
		}
		good &= inflight_pushed(&f) == next - 1;
	}
	ok(good, "in-flight ring: %d steps against the model (cap %zu)", step,
	   f.cap);
	ok(f.cap > 64, "the ring grew (cap %zu)", f.cap);
	ok(inflight_pop(&f, popped) == NULL,
	   "nothing comes out at a mark already passed");
	inflight_release(&f);
}

static void
parsers(void)
{
	unsigned char sig[32];
	const char *tok = NULL;
	size_t len = 0;

	ok(http_src_ctype(NULL) == HTTP_CT_DEFAULT, "no Content-Type: --from");
	ok(http_src_ctype(" Application/X-NDJSON ; charset=utf-8") ==
		   HTTP_CT_NDJSON,
	   "ndjson, any case, with a parameter");
	ok(http_src_ctype("application/json") == HTTP_CT_JSON, "json");
	ok(http_src_ctype("application/vnd.github+json") == HTTP_CT_JSON,
	   "+json");
	ok(http_src_ctype("application/+json") == HTTP_CT_OTHER,
	   "+json needs a name before it");
	ok(http_src_ctype("text/csv") == HTTP_CT_DEFAULT, "text/*: --from");
	ok(http_src_ctype("application/x-www-form-urlencoded") == HTTP_CT_OTHER,
	   "a form is refused");
	ok(http_src_ctype("application/jsonx") == HTTP_CT_OTHER,
	   "no prefix match");
	ok(http_src_encoding("gzip") == 1 && http_src_encoding(" X-GZIP") == 1,
	   "gzip");
	ok(http_src_encoding("identity") == 0 && http_src_encoding(NULL) == 0,
	   "identity");
	ok(http_src_encoding("gzip, br") == -1 && http_src_encoding("br") == -1,
	   "other encodings are refused");
	ok(http_src_bearer("bearer  abc ", &tok, &len) == 0 && len == 3 &&
		   memcmp(tok, "abc", 3) == 0,
	   "Bearer token, blanks around");
	ok(http_src_bearer("Bearer", &tok, &len) == -1 &&
		   http_src_bearer("Bearer ", &tok, &len) == -1 &&
		   http_src_bearer("Basic abc", &tok, &len) == -1 &&
		   http_src_bearer("Bearerabc", &tok, &len) == -1,
	   "no token, or another scheme");
	ok(http_src_signature("sha256=00ff"
			      "00000000000000000000000000000000"
			      "0000000000000000000000000001",
			      71, sig) == 0 &&
		   sig[0] == 0 && sig[1] == 0xff && sig[31] == 1,
	   "sha256=HEX");
	ok(http_src_signature("00FF000000000000000000000000000000000000000000"
			      "000000000000000001",
			      64, sig) == 0 &&
		   sig[1] == 0xff,
	   "bare hex, upper case");
	ok(http_src_signature("sha256=00ff", 11, sig) == -1 &&
		   http_src_signature("sha1=0000000000000000000000000000000000"
				      "000000",
				      45, sig) == -1 &&
		   http_src_signature("sha256=zz00000000000000000000000000000"
				      "000000000000000000000000000000000",
				      71, sig) == -1,
	   "short, sha1, or not hex");
}

int
main(void)
{
	ring_model();
	parsers();
	return done_testing();
}
