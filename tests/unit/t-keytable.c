/*
 * t-keytable.c -- the key table against a naive model (membership, LRU
 * order, eviction, removal with colliding home slots), its state files
 * (round trip, every damaged byte refused), and the event-time parser.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/errbuf.h"
#include "lib/evtime.h"
#include "lib/keytable.h"
#include "tap.h"

#define SPACE 300
#define CAP   64

/* The model: keys in LRU order, most recent first. */
static int model[SPACE], nmodel;

static struct hash128
key(int k)
{
	/* Few home slots: long probe runs, so deletion has work to do. */
	struct hash128 h = { (uint64_t)(k % 7) * 1024, (uint64_t)k + 1 };

	return h;
}

static void
model_touch(int k)
{
	int i, j;

	for (i = 0; i < nmodel && model[i] != k; i++)
		;
	if (i == nmodel) {
		if (nmodel == CAP)
			nmodel--;
		i = nmodel++;
	}
	for (j = i; j > 0; j--)
		model[j] = model[j - 1];
	model[0] = k;
}

static void
model_remove(int k)
{
	int i;

	for (i = 0; i < nmodel && model[i] != k; i++)
		;
	if (i == nmodel)
		return;
	memmove(model + i, model + i + 1,
		(size_t)(nmodel - i - 1) * sizeof *model);
	nmodel--;
}

static int
same_as_model(const struct keytable *kt)
{
	uint32_t i = kt->head;
	int n = 0, k;

	for (; i != KT_NONE; i = kt->e[i].next, n++)
		if (n >= nmodel || kt->e[i].hi != (uint64_t)model[n] + 1)
			return 0;
	if (n != nmodel || kt->n != (uint32_t)nmodel)
		return 0;
	for (k = 0; k < SPACE; k++) {
		int in = 0, j;

		for (j = 0; j < nmodel; j++)
			in |= model[j] == k;
		if ((kt_find(kt, key(k)) != KT_NONE) != in)
			return 0;
	}
	return 1;
}

static void
test_model(void)
{
	struct keytable kt;
	int step, good = 1;

	srand(7);
	kt_init(&kt, CAP, 1, 0);
	for (step = 0; step < 20000 && good; step++) {
		int k = rand() % SPACE;
		uint32_t i = kt_find(&kt, key(k));

		if (rand() % 5 == 0) {
			if (i != KT_NONE)
				kt_remove(&kt, i);
			model_remove(k);
		} else {
			if (i == KT_NONE)
				kt_insert(&kt, key(k));
			else
				kt_touch(&kt, i);
			model_touch(k);
		}
		good = same_as_model(&kt);
	}
	ok(good,
	   "20000 random inserts, touches and removals match the model "
	   "(stopped at step %d)",
	   step);
	kt_release(&kt);
}

static void
test_grow(void)
{
	struct keytable kt;
	uint32_t k, missing = 0;

	kt_init(&kt, 100000, 0, 8);
	for (k = 0; k < 100000; k++) {
		struct hash128 h = { (uint64_t)k * 0x9e3779b97f4a7c15ULL, k };

		*(uint64_t *)kt_val(&kt, kt_insert(&kt, h)) = k;
	}
	for (k = 0; k < 100000; k++) {
		struct hash128 h = { (uint64_t)k * 0x9e3779b97f4a7c15ULL, k };
		uint32_t i = kt_find(&kt, h);

		missing += i == KT_NONE || *(uint64_t *)kt_val(&kt, i) != k;
	}
	ok(missing == 0 && kt.n == 100000 && kt.evicted == 0,
	   "100000 keys through index growth: %u missing", missing);
	ok(kt.mask + 1 == 262144, "index of %llu slots for 100000 keys",
	   (unsigned long long)kt.mask + 1);
	kt_release(&kt);
}

static void
test_state(void)
{
	struct hash128 fp = { 1, 2 }, other = { 1, 3 };
	struct keytable kt, back;
	struct errbuf eb = { 0 };
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	unsigned char *data;
	size_t len, i, refused = 0;
	FILE *f;
	int fd, k, same = 1;

	snprintf(path, sizeof path, "%s/t-keytable.XXXXXX",
		 tmp && *tmp ? tmp : P_tmpdir);
	kt_init(&kt, 10, 1, 0);
	for (k = 0; k < 15; k++)
		*kt_time(&kt, kt_insert(&kt, key(k))) = k * 1000;
	fd = mkstemp(path);
	close(fd);
	ok(kt_save(&kt, path, fp, 7000, &eb) == 0, "save: %s", eb.msg);
	kt_init(&back, 10, 1, 0);
	ok(kt_load_file(&back, path, fp, 0, &eb) == 0, "load: %s", eb.msg);
	ok(back.n == 8, "keys before the minimum time left out (%u kept)",
	   back.n);
	for (k = 7; k < 15; k++) {
		uint32_t a = kt_find(&back, key(k));

		same &= a != KT_NONE && *kt_time(&back, a) == k * 1000;
	}
	ok(same && back.e[back.head].hi == 15, "keys, times and LRU order "
					       "come back");
	kt_release(&back);

	kt_init(&back, 3, 0, 0);
	ok(kt_load_file(&back, path, fp, 0, &eb) == 0 && back.n == 3 &&
		   kt_find(&back, key(14)) != KT_NONE &&
		   kt_find(&back, key(11)) == KT_NONE,
	   "a smaller capacity keeps the newest keys");
	kt_release(&back);

	kt_init(&back, 10, 1, 0);
	ok(kt_load_file(&back, path, other, 0, &eb) == -1 &&
		   strstr(eb.msg, "another key") != NULL,
	   "another key's file is refused: %s", eb.msg);
	errbuf_clear(&eb);
	kt_release(&back);

	f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	data = malloc(len);
	if (fread(data, 1, len, f) != len)
		len = 0;
	fclose(f);
	unlink(path);
	for (i = 0; i < len; i++) {
		data[i] ^= 0x20;
		kt_init(&back, 10, 1, 0);
		if (kt_load(&back, data, len, fp, 0, &eb) == -1)
			refused++;
		errbuf_clear(&eb);
		kt_release(&back);
		data[i] ^= 0x20;
	}
	ok(len > 0 && refused == len,
	   "every one of %zu damaged bytes is "
	   "refused (%zu were)",
	   len, refused);
	for (i = 0; i < len; i++) {
		kt_init(&back, 10, 1, 0);
		if (kt_load(&back, data, i, fp, 0, &eb) == 0)
			break;
		errbuf_clear(&eb);
		kt_release(&back);
	}
	ok(i == len, "every truncation is refused");
	free(data);
	kt_release(&kt);
}

static void
test_evtime(void)
{
	static const struct {
		const char *s;
		long long want; /* ns; -1: refused */
	} cases[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:01.5Z", 1500000000 },
		{ "1970-01-01t01:00:00+01:00", 0 },
		{ "1969-12-31 23:00:00-01:00", 0 },
		{ "1970-01-01T00:00:00.1234567891z", 123456789 },
		{ "2000-02-29T00:00:00Z", 951782400000000000LL },
		{ "2262-04-11T23:47:16Z", -1 },
		{ "1677-09-21T00:12:44Z", -1 },
		{ "2100-02-29T00:00:00Z", -1 },
		{ "1970-01-01T00:00:00", -1 },
		{ "1970-01-01T00:00:00.Z", -1 },
		{ "1970-01-01T00:00:00+0100", -1 },
		{ "1970-01-01T00:00:00Z ", -1 },
		{ "1970-1-01T00:00:00Z", -1 },
		{ "1970-01-01T00:60:00Z", -1 },
	};
	char buf[EVTIME_BUFSZ];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t ns = 0;
		int rc = evtime_parse_rfc3339(cases[i].s, strlen(cases[i].s),
					      &ns);

		if (cases[i].want == -1)
			ok(rc == -1, "%s is refused", cases[i].s);
		else
			ok(rc == 0 && ns == cases[i].want, "%s is %lld ns",
			   cases[i].s, (long long)ns);
	}
	ok(strcmp(evtime_format(-1, buf), "1969-12-31T23:59:59.999999999Z") ==
		   0,
	   "format -1 ns: %s", buf);
	ok(strcmp(evtime_format(951782400000000000LL, buf),
		  "2000-02-29T00:00:00Z") == 0,
	   "format a leap day: %s", buf);
	ok(strcmp(evtime_format_dur(1500000000, buf), "1.5s") == 0,
	   "format 1.5 s: %s", buf);
}

int
main(void)
{
	test_model();
	test_grow();
	test_state();
	test_evtime();
	return done_testing();
}
