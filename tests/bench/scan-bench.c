/*
 * scan-bench.c -- throughput of jscan_parse() against jansson's json_loadb().
 *
 *	scan-bench [-1] [-w] [-n EVENTS] [-s SEED] [FILE]
 *
 * Without FILE it generates a deterministic corpus of realistic NDJSON
 * events in memory (about 300 bytes each: ISO timestamps, nested objects,
 * emails, ids, some strings with escapes or non-ASCII text).  With FILE it
 * uses that file's lines.  Every line is checked to be valid first.  Each
 * measurement loops over the corpus for at least 0.5 s and the best of 5
 * runs is reported, in MB/s of line bytes (1 MB = 10^6 bytes) and events/s.
 * Single-threaded.  Times are thread CPU time (-w: wall-clock time).
 * -1 measures jscan_parse() only (for profiling).  jscan_check() is the
 * same scan without the tape.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "json/json-scan.h"

struct corpus {
	char *data;
	size_t len;
	size_t *off, *lens, n;
};

static uint64_t rng = 88172645463325252ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static const char *
pick(const char *const *v, size_t n)
{
	return v[rnd((uint32_t)n)];
}
#define PICK(v) pick(v, sizeof(v) / sizeof((v)[0]))

static void
gen_event(struct buf *b, size_t i)
{
	static const char *const levels[] = { "info", "info",  "info",
					      "warn", "error", "debug" };
	static const char *const services[] = { "checkout", "auth", "search",
						"billing", "inventory" };
	static const char *const first[] = { "jane",  "john",	"ana",	"li",
					     "oskar", "fatima", "kenji" };
	static const char *const methods[] = { "GET", "GET", "POST", "PUT",
					       "DELETE" };
	static const char *const msgs[] = {
		"order fetched",
		"user logged in",
		"cache miss for key \\\"user:42\\\"",
		"payment declined:\\tinsufficient funds",
		"retrying request\\n(attempt 2)",
		"caf\xc3\xa9 order \xe2\x80\x94 done",
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e text",
		"path C:\\\\temp\\\\x.log rotated",
		"r\\u00e9sum\\u00e9 uploaded",
	};
	static const char *const roles[] = { "admin", "dev", "ops", "viewer" };
	int nroles = (int)rnd(3), k;

	buf_addf(b,
		 "{\"ts\":\"2024-%02u-%02uT%02u:%02u:%02u.%03uZ\","
		 "\"level\":\"%s\",\"service\":\"%s\","
		 "\"trace_id\":\"%08x%08x\",",
		 1 + rnd(12), 1 + rnd(28), rnd(24), rnd(60), rnd(60), rnd(1000),
		 PICK(levels), PICK(services), rnd(UINT32_MAX),
		 rnd(UINT32_MAX));
	buf_addf(b,
		 "\"user\":{\"id\":%u,\"email\":\"%s.%u@example.com\","
		 "\"roles\":[",
		 rnd(1000000), PICK(first), rnd(1000));
	for (k = 0; k < nroles; k++)
		buf_addf(b, "%s\"%s\"", k ? "," : "", PICK(roles));
	buf_addf(b,
		 "]},\"http\":{\"method\":\"%s\",\"path\":\"/api/v1/orders/"
		 "%u\",\"status\":%u,\"latency_ms\":%u.%03u},"
		 "\"msg\":\"%s\",\"amount\":%s%u.%02u,\"ok\":%s,"
		 "\"parent\":null,\"seq\":%zu}",
		 PICK(methods), rnd(100000), rnd(10) ? 200 : 500, rnd(900),
		 rnd(1000), PICK(msgs), rnd(10) ? "" : "-", rnd(5000), rnd(100),
		 rnd(5) ? "true" : "false", i);
}

static void
corpus_add(struct corpus *c, size_t *cap, size_t off, size_t len)
{
	if (c->n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		c->off = realloc(c->off, *cap * sizeof *c->off);
		c->lens = realloc(c->lens, *cap * sizeof *c->lens);
	}
	c->off[c->n] = off;
	c->lens[c->n++] = len;
}

static void
corpus_generate(struct corpus *c, size_t events)
{
	struct buf b = BUF_INIT;
	size_t i, cap = 0, start;

	for (i = 0; i < events; i++) {
		start = b.len;
		gen_event(&b, i);
		corpus_add(c, &cap, start, b.len - start);
		buf_addc(&b, '\n');
	}
	c->len = b.len;
	c->data = buf_detach(&b, NULL);
}

static int
corpus_read(struct corpus *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, got, off, bcap = 1 << 20;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	c->data = malloc(bcap);
	c->len = 0;
	while ((got = fread(c->data + c->len, 1, bcap - c->len, f)) > 0) {
		c->len += got;
		if (c->len == bcap)
			c->data = realloc(c->data, bcap *= 2);
	}
	fclose(f);
	for (off = 0; off < c->len;) {
		char *nl = memchr(c->data + off, '\n', c->len - off);
		size_t end = nl ? (size_t)(nl - c->data) : c->len;

		if (end > off)
			corpus_add(c, &cap, off, end - off);
		off = end + 1;
	}
	return 0;
}

/*
 * Time is the thread's CPU time unless -w: on a shared machine, wall time
 * mostly measures how often we were descheduled.
 */
static int use_wall;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(use_wall ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID,
		      &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum mode { M_JSCAN, M_CHECK, M_JSCAN_GET, M_JANSSON };

static struct jscan js;
static volatile size_t sink;

/* One pass over the corpus; returns the number of failures. */
static size_t
pass(const struct corpus *c, enum mode m)
{
	size_t i, bad = 0;
	json_error_t jerr;

	for (i = 0; i < c->n; i++) {
		const char *line = c->data + c->off[i];

		if (m == M_JANSSON) {
			json_t *j = json_loadb(line, c->lens[i], 0, &jerr);

			bad += j == NULL;
			json_decref(j);
			continue;
		}
		if (m == M_CHECK) {
			bad += jscan_check(&js, line, c->lens[i], NULL) != 0;
			continue;
		}
		if (jscan_parse(&js, line, c->lens[i], NULL) != 0) {
			bad++;
			continue;
		}
		if (m == M_JSCAN_GET) {
			struct jscan_val r = jscan_root(&js), v;
			size_t len;

			v = jscan_get(r, "level", 5);
			sink += jscan_raw(v, &len) != NULL;
			v = jscan_get(jscan_get(r, "user", 4), "email", 5);
			sink += jscan_raw(v, &len) != NULL;
			v = jscan_get(jscan_get(r, "http", 4), "status", 6);
			sink += jscan_raw(v, &len) != NULL;
		}
	}
	return bad;
}

static double
measure(const struct corpus *c, enum mode m, size_t *bad)
{
	double best = 0;
	int run;

	for (run = 0; run < 5; run++) {
		double t0 = now(), t;
		size_t reps = 0;

		do {
			*bad = pass(c, m);
			reps++;
			t = now() - t0;
		} while (t < 0.5);
		if ((double)c->len * (double)reps / t > best)
			best = (double)c->len * (double)reps / t;
	}
	return best;
}

int
main(int argc, char **argv)
{
	struct corpus c = { 0 };
	size_t events = 100000, bad, i;
	const char *file = NULL;
	static const struct {
		enum mode m;
		const char *name;
	} modes[] = {
		{ M_JSCAN, "jscan_parse (validate + tape)" },
		{ M_CHECK, "jscan_check (validate only)" },
		{ M_JSCAN_GET, "jscan_parse + 3 field lookups" },
		{ M_JANSSON, "jansson json_loadb + decref" },
	};
	double jscan_mbs = 0;
	int only_jscan = 0;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < (size_t)argc)
			events = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-w") == 0)
			use_wall = 1;
		else if (strcmp(argv[i], "-1") == 0)
			only_jscan = 1;
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < (size_t)argc)
			rng = strtoull(argv[++i], NULL, 10) | 1;
		else
			file = argv[i];
	}
	jscan_init(&js);
	if (file ? corpus_read(&c, file) : (corpus_generate(&c, events), 0))
		return 1;
	if (c.n == 0) {
		fprintf(stderr, "scan-bench: no lines\n");
		return 1;
	}
	/* Count line bytes only, without the newlines. */
	for (c.len = 0, i = 0; i < c.n; i++)
		c.len += c.lens[i];
	printf("corpus: %zu lines, %.1f MB, %.0f bytes/line average (%s); "
	       "%s time\n",
	       c.n, (double)c.len / 1e6, (double)c.len / (double)c.n,
	       file ? file : "generated", use_wall ? "wall-clock" : "CPU");
	if (file == NULL) {
		size_t len;

		jscan_parse(&js, c.data, c.lens[0], NULL);
		jscan_raw(jscan_root(&js), &len);
		printf("sample: %.*s\n", (int)len, c.data);
	}
	for (i = 0; i < (only_jscan ? 1 : sizeof modes / sizeof modes[0]);
	     i++) {
		double mbs = measure(&c, modes[i].m, &bad);

		if (i == 0)
			jscan_mbs = mbs;
		printf("%-32s %8.1f MB/s %10.0f events/s%s", modes[i].name,
		       mbs / 1e6, mbs / ((double)c.len / (double)c.n),
		       bad ? "  (some lines invalid!)" : "");
		if (i > 0)
			printf("  (jscan_parse is %.1fx)", jscan_mbs / mbs);
		putchar('\n');
	}
	jscan_release(&js);
	free(c.data);
	free(c.off);
	free(c.lens);
	return 0;
}
