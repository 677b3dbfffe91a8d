/*
 * lazylib.h -- the network libraries (librdkafka, libnats, libcurl,
 * libmicrohttpd and libcrypto), opened with dlopen() the first time a
 * pipeline checks or opens a source or target that calls one, never
 * before: a run that reads files and writes stdout maps none of them
 * (README "Hacking", Lazy libraries).
 *
 * Each library has a header, lib/dl-NAME.h, included instead of the
 * library's own: it has the library's types, lists every function
 * evpipe calls in one table (DL_NAME_FUNCS) and turns each name into a
 * pointer of that table, which lazylib_load() fills.  ./evpipe is not
 * linked with these libraries: a call that is not in a table is a link
 * error, never a call through a null pointer.
 */
#ifndef LAZYLIB_H
#define LAZYLIB_H

struct errbuf;

enum lazylib_id {
	LAZY_RDKAFKA, /* librdkafka.so.1: kafka:// */
	LAZY_NATS,    /* libnats.so.3.4: nats:// and nats+tls:// */
	LAZY_CURL,    /* libcurl.so.4: http:// and https:// targets */
	LAZY_MHD,     /* libmicrohttpd.so.12: http:// and https:// sources */
	LAZY_CRYPTO,  /* libcrypto.so.3: NKeys, HTTP tokens and signatures */
	LAZY_NLIBS
};

/*
 * A table's member for function f: a pointer of f's own type, so a call
 * through it is checked against the library's prototype.
 */
#define LAZYLIB_SLOT(f) __typeof__(f) *f;

/*
 * Open library id and fill its table, once per process whatever the
 * number of callers and threads (pthread_once): a second kafka:// target
 * finds it loaded.  0, or -1 with a STATUS_IO error "WHERE: SONAME cannot
 * be loaded: WHY" (WHY is dlerror()'s: no such file, or a function the
 * installed library lacks), the same error for every later call.
 */
int lazylib_load(enum lazylib_id id, const char *where, struct errbuf *eb);

#endif
