/*
 * Shared helpers of the TLS benchmarks (tls_bulk, tls_handshake, tls_idle_mem).
 *
 * The identity is made at run time: an ECDSA P-256 key and a self-signed certificate
 * for "localhost". Both builds of a benchmark get the same OpenSSL settings, pinned
 * so that neither library's defaults can change the work:
 *   - TLS 1.3 only, cipher suite TLS_AES_128_GCM_SHA256, key exchange group X25519;
 *   - no session resumption: server session cache off, no tickets (SSL_OP_NO_TICKET,
 *     SSL_CTX_set_num_tickets 0), client cache off, so every handshake is a full one;
 *   - the client trusts the certificate and verifies it (SSL_VERIFY_PEER).
 *
 * Uses only OpenSSL 3 and the libevent API present in both libevent 2.1 and 2.2.
 */
#ifndef TLS_BENCH_H
#define TLS_BENCH_H

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <event2/event.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define TLS_BENCH_SUITE "TLS_AES_128_GCM_SHA256"
#define TLS_BENCH_GROUP "X25519"

struct tls_bench_contexts {
	SSL_CTX *server;
	SSL_CTX *client;
};

static inline void tls_bench_die(const char *prog, const char *what)
{
	fprintf(stderr, "%s: %s\n", prog, what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static inline int tls_bench_pin(SSL_CTX *ctx)
{
	return SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1 &&
	    SSL_CTX_set_ciphersuites(ctx, TLS_BENCH_SUITE) == 1 &&
	    SSL_CTX_set1_groups_list(ctx, TLS_BENCH_GROUP) == 1;
}

/* Makes both contexts (see the top of this file) or exits. */
static inline void tls_bench_make_contexts(const char *prog, struct tls_bench_contexts *c)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *cert = X509_new();
	X509_NAME *name;

	if (!key || !cert)
		tls_bench_die(prog, "cannot make a key and certificate");
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	if (X509_set_pubkey(cert, key) != 1 || X509_set_issuer_name(cert, name) != 1 ||
	    X509_sign(cert, key, EVP_sha256()) <= 0)
		tls_bench_die(prog, "cannot sign the certificate");

	c->server = SSL_CTX_new(TLS_server_method());
	c->client = SSL_CTX_new(TLS_client_method());
	if (!c->server || !c->client)
		tls_bench_die(prog, "SSL_CTX_new failed");
	if (!tls_bench_pin(c->server) || !tls_bench_pin(c->client))
		tls_bench_die(prog, "cannot pin TLS 1.3, " TLS_BENCH_SUITE ", " TLS_BENCH_GROUP);
	if (SSL_CTX_use_certificate(c->server, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(c->server, key) != 1 ||
	    SSL_CTX_check_private_key(c->server) != 1)
		tls_bench_die(prog, "cannot give the server its identity");
	SSL_CTX_set_session_cache_mode(c->server, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_session_cache_mode(c->client, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(c->server, SSL_OP_NO_TICKET);
	SSL_CTX_set_options(c->client, SSL_OP_NO_TICKET);
	if (SSL_CTX_set_num_tickets(c->server, 0) != 1)
		tls_bench_die(prog, "cannot turn session tickets off");
	if (X509_STORE_add_cert(SSL_CTX_get_cert_store(c->client), cert) != 1)
		tls_bench_die(prog, "cannot trust the certificate");
	SSL_CTX_set_verify(c->client, SSL_VERIFY_PEER, NULL);
	EVP_PKEY_free(key);
	X509_free(cert);
}

static inline void tls_bench_free_contexts(struct tls_bench_contexts *c)
{
	SSL_CTX_free(c->server);
	SSL_CTX_free(c->client);
}

static inline SSL *tls_bench_ssl(const char *prog, SSL_CTX *ctx)
{
	SSL *ssl = SSL_new(ctx);

	if (!ssl)
		tls_bench_die(prog, "SSL_new failed");
	return ssl;
}

/* Checks that a finished handshake used the pinned protocol, suite and no resumption. */
static inline void tls_bench_check_session(const char *prog, SSL *ssl)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);

	if (SSL_version(ssl) != TLS1_3_VERSION || !cipher ||
	    strcmp(SSL_CIPHER_standard_name(cipher), TLS_BENCH_SUITE) != 0)
		tls_bench_die(prog, "the handshake did not pick TLS 1.3 " TLS_BENCH_SUITE);
	if (SSL_session_reused(ssl))
		tls_bench_die(prog, "a session was resumed");
}

static inline double tls_bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int tls_bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double tls_bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), tls_bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* User + system CPU time of the process, in nanoseconds. */
static inline double tls_bench_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
}

/* Raises the descriptor limit to `need`, or returns how many it allows. */
static inline rlim_t tls_bench_raise_nofile(rlim_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return need;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return need;
	return rl.rlim_cur;
}

static inline void tls_bench_print_version(struct event_base *base)
{
	printf("# libevent %s, method %s, %s\n", event_get_version(),
	    event_base_get_method(base), OpenSSL_version(OPENSSL_VERSION));
	fflush(stdout);
}

#endif
