/*
 * lib/nats-conn.c -- NATS connections from the --nats-* options (see
 * nats-conn.h): the server URLs, TLS, and credentials read from files
 * (a creds file, an NKey seed, a token).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl-crypto.h"

#include "errbuf.h"
#include "nats-conn.h"
#include "xmalloc.h"

#define NATS_MAX_TOKEN_FILE 4096
#define NKEY_PREFIX_SEED    (18 << 3) /* 'S' */
#define NKEY_PREFIX_USER    (20 << 3) /* 'U' */

/* A file a credential option names must be readable now. */
static int
file_ok(const char *opt, const char *path, struct errbuf *eb)
{
	FILE *fp;

	if (path == NULL)
		return 0;
	fp = fopen(path, "r");
	if (fp == NULL)
		return errbuf_set(eb, STATUS_USAGE, "%s %s: %s", opt, path,
				  strerror(errno));
	fclose(fp);
	return 0;
}

/* The first line of a token file, without its newline. */
static int
read_token(const char *path, char *tok, size_t toksz, struct errbuf *eb)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		return errbuf_set(eb, STATUS_USAGE, "--nats-token-file %s: %s",
				  path, strerror(errno));
	if (fgets(tok, (int)toksz, fp) == NULL)
		tok[0] = '\0';
	fclose(fp);
	n = strcspn(tok, "\r\n");
	tok[n] = '\0';
	if (n == 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "--nats-token-file %s: no token on the "
				  "first line",
				  path);
	return 0;
}

/* CRC-16/XMODEM, the checksum of NKey strings. */
static uint16_t
nkey_crc16(const unsigned char *p, size_t n)
{
	uint16_t crc = 0;

	while (n--) {
		crc ^= (uint16_t)(*p++ << 8);
		for (int i = 0; i < 8; i++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021
						      : crc << 1);
	}
	return crc;
}

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/*
 * The public key ("U...") of the user NKey whose seed ("SU...") is the
 * first word of that shape in file: the server is told the public key,
 * and libnats signs its nonce with the seed.
 */
static int
nkey_public(const char *path, char *pub, size_t pubsz, struct errbuf *eb)
{
	char text[NATS_MAX_TOKEN_FILE], *seed = NULL, *w, *save = NULL;
	unsigned char raw[64], out[35];
	size_t n, nraw = 0, rawlen = sizeof raw, k = 0;
	uint32_t acc = 0;
	int bits = 0, rc = -1;
	EVP_PKEY *pk = NULL;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return errbuf_set(eb, STATUS_USAGE, "--nats-nkey %s: %s", path,
				  strerror(errno));
	n = fread(text, 1, sizeof text - 1, fp);
	fclose(fp);
	text[n] = '\0';
	for (w = strtok_r(text, " \t\r\n\"", &save); w;
	     w = strtok_r(NULL, " \t\r\n\"", &save))
		if (strncmp(w, "SU", 2) == 0 && strlen(w) == 58) {
			seed = w;
			break;
		}
	if (seed == NULL) {
		errbuf_set(eb, STATUS_USAGE,
			   "--nats-nkey %s: no user NKey seed (SU...) in it",
			   path);
		goto out;
	}
	for (w = seed; *w; w++) {
		const char *c = strchr(b32, *w);

		if (c == NULL || nraw >= sizeof raw)
			goto bad;
		acc = (acc << 5) | (uint32_t)(c - b32);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			raw[nraw++] = (unsigned char)(acc >> bits);
		}
	}
	if (nraw != 36 || (raw[0] & 0xf8) != NKEY_PREFIX_SEED ||
	    (((raw[0] & 7) << 5) | ((raw[1] & 0xf8) >> 3)) !=
		    NKEY_PREFIX_USER ||
	    nkey_crc16(raw, 34) != (uint16_t)(raw[34] | raw[35] << 8))
		goto bad;
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw + 2, 32);
	rawlen = 32;
	if (pk == NULL ||
	    EVP_PKEY_get_raw_public_key(pk, out + 1, &rawlen) != 1 ||
	    rawlen != 32)
		goto bad;
	out[0] = NKEY_PREFIX_USER;
	{
		uint16_t crc = nkey_crc16(out, 33);

		out[33] = (unsigned char)(crc & 0xff);
		out[34] = (unsigned char)(crc >> 8);
	}
	acc = 0;
	bits = 0;
	for (size_t i = 0; i < sizeof out; i++) {
		acc = (acc << 8) | out[i];
		bits += 8;
		while (bits >= 5 && k + 1 < pubsz) {
			bits -= 5;
			pub[k++] = b32[(acc >> bits) & 31];
		}
	}
	if (bits > 0 && k + 1 < pubsz)
		pub[k++] = b32[(acc << (5 - bits)) & 31];
	pub[k] = '\0';
	rc = 0;
	goto out;
bad:
	errbuf_set(eb, STATUS_USAGE,
		   "--nats-nkey %s: not a valid user NKey seed", path);
out:
	EVP_PKEY_free(pk);
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(text, sizeof text);
	return rc;
}

int
nats_token_ok(const char *p, const char *also)
{
	size_t n = strlen(p);

	if (n == 0 || n > NATS_JS_NAME_MAX)
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '.' ||
		    *p == '*' || *p == '>' || strchr(also, *p) != NULL)
			return 0;
	return 1;
}

/* An API prefix: tokens separated by '.', none empty, no wildcard. */
static int
js_prefix_ok(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > NATS_JS_NAME_MAX || p[0] == '.' || p[n - 1] == '.' ||
	    strstr(p, ".."))
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '*' ||
		    *p == '>')
			return 0;
	return 1;
}

int
nats_auth_check(const struct nats_auth *a, struct errbuf *eb)
{
	if (file_ok("--nats-creds", a->creds, eb) == -1 ||
	    file_ok("--nats-nkey", a->nkey, eb) == -1 ||
	    file_ok("--nats-token-file", a->token_file, eb) == -1 ||
	    file_ok("--nats-tls-ca", a->tls_ca, eb) == -1 ||
	    file_ok("--nats-tls-cert", a->tls_cert, eb) == -1 ||
	    file_ok("--nats-tls-key", a->tls_key, eb) == -1)
		return -1;
	if (a->nkey) {
		char pub[64];

		if (nkey_public(a->nkey, pub, sizeof pub, eb) == -1)
			return -1;
	}
	if ((a->tls_cert == NULL) != (a->tls_key == NULL))
		return errbuf_set(eb, STATUS_USAGE,
				  "--nats-tls-cert and --nats-tls-key go "
				  "together");
	if (a->creds && a->nkey)
		return errbuf_set(eb, STATUS_USAGE,
				  "--nats-creds and --nats-nkey exclude each "
				  "other");
	if (a->js_domain && !nats_token_ok(a->js_domain, ""))
		return errbuf_set(eb, STATUS_USAGE,
				  "--nats-js-domain '%s': not a JetStream "
				  "domain (1 to %d characters, no '.', '*', "
				  "'>', spaces or control characters)",
				  a->js_domain, NATS_JS_NAME_MAX);
	if (a->js_prefix && !js_prefix_ok(a->js_prefix))
		return errbuf_set(eb, STATUS_USAGE,
				  "--nats-js-prefix '%s': not a JetStream API "
				  "prefix (1 to %d characters: tokens "
				  "separated by '.', none empty; no '*', '>', "
				  "spaces or control characters)",
				  a->js_prefix, NATS_JS_NAME_MAX);
	if (a->js_domain && a->js_prefix)
		return errbuf_set(eb, STATUS_USAGE,
				  "--nats-js-domain and --nats-js-prefix "
				  "exclude each other");
	return 0;
}

const char *
nats_js_api(const struct nats_auth *a, char *buf, size_t len)
{
	if (a->js_domain)
		snprintf(buf, len, "$JS.%s.API", a->js_domain);
	else
		snprintf(buf, len, "%s",
			 a->js_prefix ? a->js_prefix : "$JS.API");
	return buf;
}

void
nats_js_options(jsOptions *jo, const struct nats_auth *a)
{
	jo->Domain = a->js_domain;
	jo->Prefix = a->js_prefix;
}

int
nats_conn_error(natsStatus st, const char *what, const char *spec,
		struct errbuf *eb)
{
	const char *detail = nats_GetLastError(NULL);

	return errbuf_set(eb, STATUS_IO, "%s: %s: %s", spec, what,
			  detail && *detail ? detail : natsStatus_GetText(st));
}

int
nats_conn_options(natsOptions **out, const char *hosts, int tls,
		  const struct nats_auth *a, const char *spec,
		  struct errbuf *eb)
{
	const char **servers = NULL;
	char *list = xstrdup(hosts), *save = NULL, *h;
	int n = 0, rc = -1;
	natsStatus st = NATS_OK;
	natsOptions *opts = NULL;
	char tok[NATS_MAX_TOKEN_FILE];

	for (h = strtok_r(list, ",", &save); h;
	     h = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(h) + 16;
		char *url = xmalloc(len);

		snprintf(url, len, "%s://%s", tls ? "tls" : "nats", h);
		servers =
			xreallocarray(servers, (size_t)n + 1, sizeof *servers);
		servers[n++] = url;
	}
	if (natsOptions_Create(&opts) != NATS_OK) {
		errbuf_set(eb, STATUS_IO, "%s: out of memory", spec);
		goto out;
	}
	st = natsOptions_SetServers(opts, servers, n);
	if (st == NATS_OK)
		st = natsOptions_SetName(opts, "evpipe");
	if (st == NATS_OK)
		st = natsOptions_SetTimeout(opts, NATS_CONNECT_TIMEOUT);
	if (st == NATS_OK && (tls || a->tls_ca))
		st = natsOptions_SetSecure(opts, true);
	if (st == NATS_OK && a->tls_ca)
		st = natsOptions_LoadCATrustedCertificates(opts, a->tls_ca);
	if (st == NATS_OK && a->tls_cert)
		st = natsOptions_LoadCertificatesChain(opts, a->tls_cert,
						       a->tls_key);
	if (st == NATS_OK && a->creds)
		st = natsOptions_SetUserCredentialsFromFiles(opts, a->creds,
							     NULL);
	if (st == NATS_OK && a->nkey) {
		char pub[64];

		if (nkey_public(a->nkey, pub, sizeof pub, eb) == -1)
			goto out;
		st = natsOptions_SetNKeyFromSeed(opts, pub, a->nkey);
	}
	if (st == NATS_OK && a->token_file) {
		if (read_token(a->token_file, tok, sizeof tok, eb) == -1)
			goto out;
		st = natsOptions_SetToken(opts, tok);
		memset(tok, 0, sizeof tok);
	}
	if (st != NATS_OK) {
		errbuf_set(eb, STATUS_USAGE, "%s: %s", spec,
			   nats_GetLastError(NULL) ? nats_GetLastError(NULL)
						   : natsStatus_GetText(st));
		goto out;
	}
	*out = opts;
	opts = NULL;
	rc = 0;
out:
	if (opts)
		natsOptions_Destroy(opts);
	for (int i = 0; i < n; i++)
		free((char *)servers[i]);
	free(servers);
	free(list);
	return rc;
}

int
nats_conn_connect(natsConnection **nc, natsOptions *opts,
		  const struct nats_auth *a, const char *spec,
		  struct errbuf *eb)
{
	natsStatus st = natsConnection_Connect(nc, opts);

	/*
	 * With an NKey, about one connection in fifty is refused as an
	 * authorization violation although the same seed signs the next
	 * server nonce fine (seen with libnats 3.4.1 against nats-server
	 * 2.9): the refusal depends on the nonce, not on the key, so a
	 * refused NKey login is tried twice more before it counts.
	 */
	for (int again = 0;
	     st == NATS_CONNECTION_AUTH_FAILED && a->nkey && again < 2; again++)
		st = natsConnection_Connect(nc, opts);
	if (st != NATS_OK)
		return nats_conn_error(st, "cannot connect", spec, eb);
	return 0;
}
