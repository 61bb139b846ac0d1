/* Helpers for the Mbed TLS bufferevent tests: a P-256 key and a self-signed
 * certificate for "localhost" made at run time with Mbed TLS's own API, server and
 * client configurations (the client trusts that certificate and checks it), contexts
 * made from them, and a checksum. */
#ifndef EVRS_C_TESTS_MBEDTLS_SUPPORT_H
#define EVRS_C_TESTS_MBEDTLS_SUPPORT_H

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <event2/bufferevent_ssl.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Everything one test needs; the configurations point into it, so it stays put
 * (static or heap) while any context made from it lives. */
struct tls_setup {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key;
	mbedtls_x509_crt cert;
	/* A second identity, trusted by `stranger_client` only. */
	mbedtls_pk_context other_key;
	mbedtls_x509_crt other_cert;
	mbedtls_ssl_config server;
	mbedtls_ssl_config client;
	/* A client that trusts the other certificate: verification fails. */
	mbedtls_ssl_config stranger_client;
};

/* A key and a certificate signed with it (CN=localhost, valid 2020 to 2099). */
static inline int tls_make_identity(struct tls_setup *s, mbedtls_pk_context *key,
    mbedtls_x509_crt *cert, const char *serial)
{
	mbedtls_x509write_cert writer;
	mbedtls_mpi serial_number;
	unsigned char der[2048];
	int len, ret = -1;

	mbedtls_x509write_crt_init(&writer);
	mbedtls_mpi_init(&serial_number);
	if (mbedtls_pk_setup(key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*key),
		mbedtls_ctr_drbg_random, &s->drbg) != 0)
		goto out;
	if (mbedtls_mpi_read_string(&serial_number, 10, serial) != 0)
		goto out;
	mbedtls_x509write_crt_set_version(&writer, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&writer, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&writer, key);
	mbedtls_x509write_crt_set_issuer_key(&writer, key);
	if (mbedtls_x509write_crt_set_subject_name(&writer, "CN=localhost") != 0 ||
	    mbedtls_x509write_crt_set_issuer_name(&writer, "CN=localhost") != 0 ||
	    mbedtls_x509write_crt_set_serial(&writer, &serial_number) != 0 ||
	    mbedtls_x509write_crt_set_validity(&writer, "20200101000000", "20991231235959") != 0 ||
	    mbedtls_x509write_crt_set_basic_constraints(&writer, 1, 0) != 0)
		goto out;
	/* The DER goes at the end of the buffer. */
	len = mbedtls_x509write_crt_der(&writer, der, sizeof(der), mbedtls_ctr_drbg_random,
	    &s->drbg);
	if (len <= 0)
		goto out;
	if (mbedtls_x509_crt_parse_der(cert, der + sizeof(der) - len, (size_t)len) != 0)
		goto out;
	ret = 0;
out:
	mbedtls_x509write_crt_free(&writer);
	mbedtls_mpi_free(&serial_number);
	return ret;
}

static inline int tls_client_config(struct tls_setup *s, mbedtls_ssl_config *conf,
    mbedtls_x509_crt *trusted)
{
	if (mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
		MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		return -1;
	mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &s->drbg);
	mbedtls_ssl_conf_ca_chain(conf, trusted, NULL);
	mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_renegotiation(conf, MBEDTLS_SSL_RENEGOTIATION_ENABLED);
	return 0;
}

/* Both identities and the three configurations. Renegotiation is allowed (TLS 1.2,
 * the highest version of Mbed TLS 2.28). */
static inline int tls_setup_init(struct tls_setup *s)
{
	static const char personal[] = "evrs mbedtls tests";
	mbedtls_entropy_init(&s->entropy);
	mbedtls_ctr_drbg_init(&s->drbg);
	mbedtls_pk_init(&s->key);
	mbedtls_x509_crt_init(&s->cert);
	mbedtls_pk_init(&s->other_key);
	mbedtls_x509_crt_init(&s->other_cert);
	mbedtls_ssl_config_init(&s->server);
	mbedtls_ssl_config_init(&s->client);
	mbedtls_ssl_config_init(&s->stranger_client);
	if (mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy,
		(const unsigned char *)personal, sizeof(personal) - 1) != 0)
		return -1;
	if (tls_make_identity(s, &s->key, &s->cert, "1") != 0 ||
	    tls_make_identity(s, &s->other_key, &s->other_cert, "2") != 0)
		return -1;
	if (mbedtls_ssl_config_defaults(&s->server, MBEDTLS_SSL_IS_SERVER,
		MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		return -1;
	mbedtls_ssl_conf_rng(&s->server, mbedtls_ctr_drbg_random, &s->drbg);
	if (mbedtls_ssl_conf_own_cert(&s->server, &s->cert, &s->key) != 0)
		return -1;
	mbedtls_ssl_conf_renegotiation(&s->server, MBEDTLS_SSL_RENEGOTIATION_ENABLED);
	if (tls_client_config(s, &s->client, &s->cert) != 0 ||
	    tls_client_config(s, &s->stranger_client, &s->other_cert) != 0)
		return -1;
	return 0;
}

static inline void tls_setup_free(struct tls_setup *s)
{
	mbedtls_ssl_config_free(&s->server);
	mbedtls_ssl_config_free(&s->client);
	mbedtls_ssl_config_free(&s->stranger_client);
	mbedtls_x509_crt_free(&s->cert);
	mbedtls_x509_crt_free(&s->other_cert);
	mbedtls_pk_free(&s->key);
	mbedtls_pk_free(&s->other_key);
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->entropy);
}

/* A heap setup (the entropy context is large for a stack). */
static inline struct tls_setup *tls_setup_new(void)
{
	struct tls_setup *s = calloc(1, sizeof(*s));
	if (s && tls_setup_init(s) != 0) {
		tls_setup_free(s);
		free(s);
		return NULL;
	}
	return s;
}

static inline void tls_setup_destroy(struct tls_setup *s)
{
	if (!s)
		return;
	tls_setup_free(s);
	free(s);
}

/* A server context (freed by the bufferevent under BEV_OPT_CLOSE_ON_FREE). */
static inline mbedtls_dyncontext *tls_server_context(struct tls_setup *s)
{
	return bufferevent_mbedtls_dyncontext_new(&s->server);
}

/* A client context that checks the name "localhost". */
static inline mbedtls_dyncontext *tls_client_context(struct tls_setup *s,
    mbedtls_ssl_config *conf)
{
	mbedtls_dyncontext *ssl = bufferevent_mbedtls_dyncontext_new(conf ? conf : &s->client);
	if (ssl && mbedtls_ssl_set_hostname(ssl, "localhost") != 0) {
		bufferevent_mbedtls_dyncontext_free(ssl);
		return NULL;
	}
	return ssl;
}

/* The error code as bufferevent_get_mbedtls_error answers it: libevent keeps 32 bits
 * of the (negative) Mbed TLS code. */
#define TLS_STORED_ERROR(code) ((unsigned long)(uint32_t)(int32_t)(code))

/* The byte at offset i of the test pattern. */
static inline unsigned char tls_pattern_byte(size_t i)
{
	return (unsigned char)((i * 7 + (i >> 9)) & 0xff);
}

/* FNV-1a, continued over more bytes. */
static inline uint64_t tls_checksum(uint64_t hash, const unsigned char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		hash = (hash ^ data[i]) * 0x100000001b3ULL;
	return hash;
}

#define TLS_CHECKSUM_START 0xcbf29ce484222325ULL

#endif
