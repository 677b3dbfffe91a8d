/*
 * lib/lazylib.c -- the network libraries opened on first use (see
 * lazylib.h): each table of lib/dl-NAME.h filled from dlopen() and
 * dlsym(), once per process.
 *
 * RTLD_LOCAL keeps the library's symbols out of the global scope (no
 * later library binds to them by accident), RTLD_NOW resolves all of its
 * own references at once, so a broken installation fails here with
 * dlerror()'s reason and not at some later call.  A library is never
 * closed: its threads (librdkafka's, libnats's) and its atexit handlers
 * live until the process ends.
 */
#define LAZYLIB_NO_REDIRECT /* the tables' own names, not the pointers */

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dl-crypto.h"
#include "dl-curl.h"
#include "dl-mhd.h"
#include "dl-nats.h"
#include "dl-rdkafka.h"
#include "errbuf.h"
#include "lazylib.h"

/* dlsym() hands out a data pointer; the tables hold function pointers. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
	       "a function pointer has the size of a data pointer");

struct dl_rdkafka dl_rdkafka;
struct dl_nats dl_nats;
struct dl_curl dl_curl;
struct dl_mhd dl_mhd;
struct dl_crypto dl_crypto;

/* A function of a table: its name and where its pointer goes. */
struct lazysym {
	const char *name;
	size_t off;
};

#define SYM(table, f)  { #f, offsetof(struct table, f) },
#define SYM_RDKAFKA(f) SYM(dl_rdkafka, f)
#define SYM_NATS(f)    SYM(dl_nats, f)
#define SYM_CURL(f)    SYM(dl_curl, f)
#define SYM_MHD(f)     SYM(dl_mhd, f)
#define SYM_CRYPTO(f)  SYM(dl_crypto, f)

static const struct lazysym rdkafka_syms[] = { DL_RDKAFKA_FUNCS(SYM_RDKAFKA) };
static const struct lazysym nats_syms[] = { DL_NATS_FUNCS(SYM_NATS) };
static const struct lazysym curl_syms[] = { DL_CURL_FUNCS(SYM_CURL) };
static const struct lazysym mhd_syms[] = { DL_MHD_FUNCS(SYM_MHD) };
static const struct lazysym crypto_syms[] = { DL_CRYPTO_FUNCS(SYM_CRYPTO) };

struct lazylib {
	const char *soname;
	const struct lazysym *syms;
	size_t nsyms;
	void *table;
	size_t size; /* of the table */
	pthread_once_t once;
	int failed;
	char why[400]; /* dlerror(), kept: it is per thread and fleeting */
};

#define LIB(so, name)                                                          \
	{                                                                      \
		.soname = so, .syms = name##_syms,                             \
		.nsyms = sizeof name##_syms / sizeof name##_syms[0],           \
		.table = &dl_##name, .size = sizeof dl_##name,                 \
		.once = PTHREAD_ONCE_INIT                                      \
	}

static struct lazylib libs[LAZY_NLIBS] = {
	[LAZY_RDKAFKA] = LIB("librdkafka.so.1", rdkafka),
	[LAZY_NATS] = LIB("libnats.so.3.4", nats),
	[LAZY_CURL] = LIB("libcurl.so.4", curl),
	[LAZY_MHD] = LIB("libmicrohttpd.so.12", mhd),
	[LAZY_CRYPTO] = LIB("libcrypto.so.3", crypto),
};

/* Open l and fill its table; on failure the table stays all null. */
static void
lazylib_open(struct lazylib *l)
{
	const char *e;
	void *h, *sym;
	size_t i;

	dlerror();
	h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		e = dlerror();
		snprintf(l->why, sizeof l->why, "%s",
			 e ? e : "dlopen() failed");
		l->failed = 1;
		return;
	}
	for (i = 0; i < l->nsyms; i++) {
		dlerror();
		sym = dlsym(h, l->syms[i].name);
		if (sym == NULL) {
			/* "SONAME: undefined symbol: NAME" */
			e = dlerror();
			if (e)
				snprintf(l->why, sizeof l->why, "%s", e);
			else
				snprintf(l->why, sizeof l->why,
					 "%s: %s is null", l->soname,
					 l->syms[i].name);
			l->failed = 1;
			memset(l->table, 0, l->size);
			dlclose(h);
			return;
		}
		memcpy((char *)l->table + l->syms[i].off, &sym, sizeof sym);
	}
}

/* pthread_once() takes a function without arguments: one per library. */
#define OPEN_FN(name, id)                                                      \
	static void open_##name(void)                                          \
	{                                                                      \
		lazylib_open(&libs[id]);                                       \
	}
OPEN_FN(rdkafka, LAZY_RDKAFKA)
OPEN_FN(nats, LAZY_NATS)
OPEN_FN(curl, LAZY_CURL)
OPEN_FN(mhd, LAZY_MHD)
OPEN_FN(crypto, LAZY_CRYPTO)

static void (*const open_fn[LAZY_NLIBS])(void) = {
	[LAZY_RDKAFKA] = open_rdkafka, [LAZY_NATS] = open_nats,
	[LAZY_CURL] = open_curl,       [LAZY_MHD] = open_mhd,
	[LAZY_CRYPTO] = open_crypto,
};

int
lazylib_load(enum lazylib_id id, const char *where, struct errbuf *eb)
{
	struct lazylib *l = &libs[id];

	pthread_once(&l->once, open_fn[id]);
	if (l->failed)
		return errbuf_set(eb, STATUS_IO, "%s: %s cannot be loaded: %s",
				  where, l->soname, l->why);
	return 0;
}
