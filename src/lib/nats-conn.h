/*
 * nats-conn.h -- a NATS connection as users configure it: the server
 * list, TLS and the credentials of the --nats-* options, shared by the
 * nats:// target (sink/nats.c) and source (source/nats.c).
 */
#ifndef NATS_CONN_H
#define NATS_CONN_H

#include "dl-nats.h"

struct errbuf;

/* The --nats-* options: files only, never a secret on the command line. */
struct nats_auth {
	const char *creds;	/* --nats-creds FILE */
	const char *nkey;	/* --nats-nkey FILE */
	const char *token_file; /* --nats-token-file FILE */
	const char *tls_ca;	/* --nats-tls-ca FILE */
	const char *tls_cert;	/* --nats-tls-cert FILE */
	const char *tls_key;	/* --nats-tls-key FILE */
};

#define NATS_CONNECT_TIMEOUT 5000 /* ms */

/*
 * Check the options without connecting: every file readable, the NKey
 * seed valid, the certificate with its key.  0, or -1 with a
 * STATUS_USAGE error.
 */
int nats_auth_check(const struct nats_auth *a, struct errbuf *eb);

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
