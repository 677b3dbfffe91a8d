/*
 * nats-conn.h -- a NATS connection as users configure it: the server
 * list, TLS, the credentials and the JetStream domain or API prefix of
 * the --nats-* options, shared by the nats:// target (sink/nats.c) and
 * source (source/nats.c).
 */
#ifndef NATS_CONN_H
#define NATS_CONN_H

#include "dl-nats.h"

struct errbuf;

/*
 * The --nats-* options: credentials from files only, never a secret on
 * the command line; and where the JetStream API is.
 */
struct nats_auth {
	const char *creds;	/* --nats-creds FILE */
	const char *nkey;	/* --nats-nkey FILE */
	const char *token_file; /* --nats-token-file FILE */
	const char *tls_ca;	/* --nats-tls-ca FILE */
	const char *tls_cert;	/* --nats-tls-cert FILE */
	const char *tls_key;	/* --nats-tls-key FILE */
	const char *js_domain;	/* --nats-js-domain NAME */
	const char *js_prefix;	/* --nats-js-prefix PREFIX */
};

#define NATS_CONNECT_TIMEOUT 5000 /* ms */

#define NATS_JS_NAME_MAX 255 /* of a domain, and of an API prefix */

/*
 * One token of 1 to NATS_JS_NAME_MAX bytes as nats-server names things
 * (a JetStream domain, a stream, a consumer): no '.', '*', '>',
 * whitespace or control character, nor any byte of also (may be "").
 */
int nats_token_ok(const char *p, const char *also);

/*
 * Check the options without connecting: every file readable, the NKey
 * seed valid, the certificate with its key, the domain one token and the
 * prefix a subject without wildcards, not both.  0, or -1 with a
 * STATUS_USAGE error.
 */
int nats_auth_check(const struct nats_auth *a, struct errbuf *eb);

/*
 * Where a's JetStream API is, as the library makes it: "$JS.DOMAIN.API"
 * with a domain, the prefix, or "$JS.API".  Into buf (len at least
 * NATS_JS_NAME_MAX + 16); returns buf.
 */
const char *nats_js_api(const struct nats_auth *a, char *buf, size_t len);

/* Set jo's Domain or Prefix from a (after jsOptions_Init()). */
void nats_js_options(jsOptions *jo, const struct nats_auth *a);

/*
 * Options for the servers "HOST:PORT,HOST:PORT" (nats:// or tls:// as
 * tls says, or TLS whenever --nats-tls-ca is given) with a's
 * credentials; spec names the URL in errors.  0, or -1 with an error
 * (STATUS_USAGE).  The caller may add callbacks before connecting.
 */
int nats_conn_options(natsOptions **out, const char *hosts, int tls,
		      const struct nats_auth *a, const char *spec,
		      struct errbuf *eb);

/*
 * Connect with opts; an NKey login the server refuses is tried twice
 * more (see nats-conn.c).  0, or -1 with a STATUS_IO error "SPEC:
 * cannot connect: WHY".
 */
int nats_conn_connect(natsConnection **nc, natsOptions *opts,
		      const struct nats_auth *a, const char *spec,
		      struct errbuf *eb);

/* "SPEC: WHAT: the library's last error" as a STATUS_IO error; -1. */
int nats_conn_error(natsStatus st, const char *what, const char *spec,
		    struct errbuf *eb);

#endif
