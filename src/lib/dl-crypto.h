/*
 * lib/dl-crypto.h -- OpenSSL's libcrypto (libcrypto.so.3), used only by
 * network paths: the NKey of --nats-nkey (lib/nats-conn.c) and the token
 * and signature checks of the HTTP source (source/http.c).  Opened with
 * those (lazylib.h); include this, never <openssl/...>.  To call one
 * more function, add it to DL_CRYPTO_FUNCS and to the #defines below
 * (either alone fails the build), and its header here.
 */
#ifndef DL_CRYPTO_H
#define DL_CRYPTO_H

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lazylib.h"

#define DL_CRYPTO_FUNCS(X)                                                     \
	X(CRYPTO_memcmp)                                                       \
	X(EVP_Digest)                                                          \
	X(EVP_PKEY_free)                                                       \
	X(EVP_PKEY_get_raw_public_key)                                         \
	X(EVP_PKEY_new_raw_private_key)                                        \
	X(EVP_sha256)                                                          \
	X(HMAC)                                                                \
	X(OPENSSL_cleanse)

struct dl_crypto {
	DL_CRYPTO_FUNCS(LAZYLIB_SLOT)
};
extern struct dl_crypto dl_crypto;

#ifndef LAZYLIB_NO_REDIRECT
#define CRYPTO_memcmp		     (dl_crypto.CRYPTO_memcmp)
#define EVP_Digest		     (dl_crypto.EVP_Digest)
#define EVP_PKEY_free		     (dl_crypto.EVP_PKEY_free)
#define EVP_PKEY_get_raw_public_key  (dl_crypto.EVP_PKEY_get_raw_public_key)
#define EVP_PKEY_new_raw_private_key (dl_crypto.EVP_PKEY_new_raw_private_key)
#define EVP_sha256		     (dl_crypto.EVP_sha256)
#define HMAC			     (dl_crypto.HMAC)
#define OPENSSL_cleanse		     (dl_crypto.OPENSSL_cleanse)
#endif

#endif
