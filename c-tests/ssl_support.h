/* Helpers for the TLS bufferevent tests: a self-signed certificate made at run time,
 * client and server SSL objects, and a checksum. */
#ifndef EVRS_C_TESTS_SSL_SUPPORT_H
#define EVRS_C_TESTS_SSL_SUPPORT_H

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stddef.h>
#include <stdint.h>

/* A P-256 key and a certificate for "localhost" signed with it, valid for a day. */
static inline int ssl_make_identity(EVP_PKEY **key_out, X509 **cert_out)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *cert = X509_new();
	X509_NAME *name;
	if (!key || !cert)
		goto fail;
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
	if (X509_set_pubkey(cert, key) != 1)
		goto fail;
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	if (X509_sign(cert, key, EVP_sha256()) <= 0)
		goto fail;
	*key_out = key;
	*cert_out = cert;
	return 0;
fail:
	EVP_PKEY_free(key);
	X509_free(cert);
	return -1;
}

/* Contexts for both ends; the client trusts the server's certificate and checks it. */
struct ssl_contexts {
	SSL_CTX *server;
	SSL_CTX *client;
};

static inline int ssl_make_contexts(struct ssl_contexts *c, int max_version)
{
	EVP_PKEY *key;
	X509 *cert;
	c->server = c->client = NULL;
	if (ssl_make_identity(&key, &cert) < 0)
		return -1;
	c->server = SSL_CTX_new(TLS_server_method());
	c->client = SSL_CTX_new(TLS_client_method());
	if (!c->server || !c->client)
		return -1;
	if (max_version) {
		SSL_CTX_set_max_proto_version(c->server, max_version);
		SSL_CTX_set_max_proto_version(c->client, max_version);
	}
	if (SSL_CTX_use_certificate(c->server, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(c->server, key) != 1)
		return -1;
	if (X509_STORE_add_cert(SSL_CTX_get_cert_store(c->client), cert) != 1)
		return -1;
	SSL_CTX_set_verify(c->client, SSL_VERIFY_PEER, NULL);
	EVP_PKEY_free(key);
	X509_free(cert);
	return 0;
}

static inline void ssl_free_contexts(struct ssl_contexts *c)
{
	SSL_CTX_free(c->server);
	SSL_CTX_free(c->client);
}

/* The byte at offset i of the test pattern. */
static inline unsigned char ssl_pattern_byte(size_t i)
{
	return (unsigned char)((i * 7 + (i >> 9)) & 0xff);
}

/* FNV-1a, continued over more bytes. */
static inline uint64_t ssl_checksum(uint64_t hash, const unsigned char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		hash = (hash ^ data[i]) * 0x100000001b3ULL;
	return hash;
}

#define SSL_CHECKSUM_START 0xcbf29ce484222325ULL

#endif
