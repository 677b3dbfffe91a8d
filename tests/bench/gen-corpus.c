/*
 * gen-corpus.c -- write a deterministic, realistic NDJSON corpus for
 * "make bench": about 300-byte events of a dozen types with nested data,
 * RFC 3339 timestamps, emails, escapes and unicode in some strings, and
 * about 5% of events repeating an earlier id (as replayed logs do); the
 * trace is a random (version 4) UUID.
 *
 * usage: gen-corpus N [SEED] > corpus.ndjson
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	/* xorshift64*: fast, deterministic, good enough for test data */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static unsigned
pick(unsigned n)
{
	return (unsigned)(rng() % n);
}

static const char *const types[] = {
	"order.created", "order.paid",	   "order.shipped", "order.cancelled",
	"user.signup",	 "user.login",	   "user.logout",   "payment.failed",
	"payment.refunded", "cart.updated", "page.view",    "search.query",
};
static const char *const names[] = {
	"Ana Silva",	"Bo Chen",	 "Jos\\u00e9 Garc\\u00eda", "Mia M\\u00fcller",
	"Liam O'Brien", "Zo\\u00eb Kim", "Ravi \\\"RJ\\\" Patel",  "Emma Dubois",
	"Noah Smith",	"Yuki Tanaka",	 "\\u0410\\u043d\\u043d\\u0430", "Sam Lee",
};
static const char *const tiers[] = { "free", "silver", "gold", "platinum" };
static const char *const currencies[] = { "EUR", "USD", "GBP", "JPY" };
static const char *const sources[] = { "shop-eu-1", "shop-us-2", "app-ios",
				       "app-android", "web" };
static const char *const tags[] = { "promo", "mobile", "gift", "express",
				    "first-order", "b2b" };

int
main(int argc, char **argv)
{
	unsigned long long n, i, id = 0;
	unsigned long long recent[64] = { 0 };
	int64_t t = 1785000000000LL; /* ms since epoch, mid 2026 */

	if (argc < 2) {
		fprintf(stderr, "usage: gen-corpus N [SEED]\n");
		return 2;
	}
	n = strtoull(argv[1], NULL, 10);
	if (argc > 2)
		rng_state ^= strtoull(argv[2], NULL, 10) * 0x100000001b3ULL;
	for (i = 0; i < n; i++) {
		unsigned ty = pick(12), user = 1000 + pick(90000), k, nitems;
		unsigned long long evid;
		time_t sec;
		struct tm tm;
		char ts[32];

		if (i > 64 && pick(100) < 5)
			evid = recent[pick(64)];
		else
			evid = ++id * 7919ULL % 10000000000ULL;
		recent[i % 64] = evid;
		t += pick(40);
		sec = (time_t)(t / 1000);
		gmtime_r(&sec, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
		printf("{\"id\":\"evt-%010llu\",\"type\":\"%s\",\"ts\":\"%s.%03dZ\","
		       "\"source\":\"%s\",\"user\":{\"id\":%u,\"email\":\"user%u@"
		       "example.com\",\"name\":\"%s\",\"tier\":\"%s\"},",
		       evid, types[ty], ts, (int)(t % 1000), sources[pick(5)],
		       user, user, names[pick(12)], tiers[pick(4)]);
		switch (ty) {
		case 0: case 1: case 2: case 3: case 9:
			nitems = 1 + pick(3);
			printf("\"data\":{\"order_id\":\"ord-%07u\",\"amount\":%u.%02u,"
			       "\"currency\":\"%s\",\"items\":[",
			       pick(10000000), pick(500), pick(100),
			       currencies[pick(4)]);
			for (k = 0; k < nitems; k++)
				printf("%s{\"sku\":\"SKU-%05u\",\"qty\":%u,\"price\":%u.%u}",
				       k ? "," : "", pick(100000), 1 + pick(5),
				       1 + pick(200), pick(10));
			printf("],\"tags\":[\"%s\",\"%s\"]}", tags[pick(6)],
			       tags[pick(6)]);
			break;
		case 7: case 8:
			printf("\"data\":{\"payment_id\":\"pay_%012llx\",\"amount\":%u.%02u,"
			       "\"currency\":\"%s\",\"reason\":\"%s\",\"retry\":%s}",
			       (unsigned long long)(rng() & 0xffffffffffffULL),
			       pick(900), pick(100), currencies[pick(4)],
			       pick(2) ? "card_declined" : "insufficient_funds",
			       pick(2) ? "true" : "false");
			break;
		case 10: case 11:
			printf("\"data\":{\"url\":\"https://shop.example.com/p/%u?ref=%s\","
			       "\"query\":\"%s\",\"results\":%u,\"latency_ms\":%u.%u}",
			       pick(100000), sources[pick(5)],
			       pick(3) ? "red shoes" : "caf\\u00e9 \\\"grinder\\\"",
			       pick(1000), pick(900), pick(10));
			break;
		default:
			printf("\"data\":{\"session\":\"s-%08x\",\"ip\":\"10.%u.%u.%u\","
			       "\"ua\":\"Mozilla/5.0 (X11; Linux x86_64)\",\"mfa\":%s,"
			       "\"score\":null}",
			       (unsigned)rng(), pick(256), pick(256), pick(256),
			       pick(2) ? "true" : "false");
		}
		{
			uint64_t a = rng(), b = rng();

			printf(",\"version\":%u,\"trace\":\"%08x-%04x-4%03x-%04x-"
			       "%012llx\"}\n",
			       1 + pick(3), (unsigned)(a >> 32),
			       (unsigned)(a >> 16) & 0xffff,
			       (unsigned)a & 0xfff,
			       0x8000 | ((unsigned)(b >> 48) & 0x3fff),
			       (unsigned long long)(b & 0xffffffffffffULL));
		}
	}
	return ferror(stdout) || fclose(stdout) ? 1 : 0;
}
