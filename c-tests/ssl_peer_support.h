/* Fixtures for TLS tests with outside peers (openssl s_server / s_client, curl): an
 * identity for "localhost" and 127.0.0.1 (subjectAltName, as clients check names
 * there), written as PEM files into a private temporary directory that goes at exit;
 * contexts trusting it; child processes with a standard input the test can feed and
 * close; and loop runs until a condition holds or a safety net expires. */
#ifndef EVRS_C_TESTS_SSL_PEER_SUPPORT_H
#define EVRS_C_TESTS_SSL_PEER_SUPPORT_H

#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "http_peer_support.h"

/* A P-256 key and a self-signed certificate for CN=localhost with the names
 * DNS:localhost and IP:127.0.0.1, valid for a day. */
static inline int sps_make_identity(EVP_PKEY **key_out, X509 **cert_out)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *cert = X509_new();
	X509_EXTENSION *ext = NULL;
	X509V3_CTX v3;
	X509_NAME *name;
	if (!key || !cert)
		goto fail;
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 2);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
	if (X509_set_pubkey(cert, key) != 1)
		goto fail;
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    "DNS:localhost,IP:127.0.0.1");
	if (!ext || !X509_add_ext(cert, ext, -1))
		goto fail;
	X509_EXTENSION_free(ext);
	ext = NULL;
	if (X509_sign(cert, key, EVP_sha256()) <= 0)
		goto fail;
	*key_out = key;
	*cert_out = cert;
	return 0;
fail:
	X509_EXTENSION_free(ext);
	EVP_PKEY_free(key);
	X509_free(cert);
	return -1;
}

/* The identity, its contexts, and where its PEM files are. */
struct sps_identity {
	SSL_CTX *server;	/* certificate and key */
	SSL_CTX *client;	/* trusts the certificate, verifies the peer */
	char dir[64];
	char cert_path[128];
	char key_path[128];
};

static char sps_cleanup_dir[64];
static char sps_cleanup_files[2][128];

static void sps_remove_files(void)
{
	for (int i = 0; i < 2; i++)
		if (sps_cleanup_files[i][0])
			unlink(sps_cleanup_files[i]);
	if (sps_cleanup_dir[0])
		rmdir(sps_cleanup_dir);
}

static inline int sps_write_pem(const char *path, EVP_PKEY *key, X509 *cert)
{
	int ok;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
		 : PEM_write_X509(f, cert);
	return fclose(f) == 0 && ok == 1 ? 0 : -1;
}

/* Makes the identity and its files (once per program: the files go at exit). */
static inline void sps_identity_init(struct sps_identity *id)
{
	EVP_PKEY *key;
	X509 *cert;
	memset(id, 0, sizeof(*id));
	REQUIRE(sps_make_identity(&key, &cert) == 0);
	snprintf(id->dir, sizeof(id->dir), "/tmp/evrs-tls-XXXXXX");
	REQUIRE(mkdtemp(id->dir) != NULL);
	snprintf(sps_cleanup_dir, sizeof(sps_cleanup_dir), "%s", id->dir);
	snprintf(id->cert_path, sizeof(id->cert_path), "%s/cert.pem", id->dir);
	snprintf(id->key_path, sizeof(id->key_path), "%s/key.pem", id->dir);
	snprintf(sps_cleanup_files[0], sizeof(sps_cleanup_files[0]), "%s", id->cert_path);
	snprintf(sps_cleanup_files[1], sizeof(sps_cleanup_files[1]), "%s", id->key_path);
	atexit(sps_remove_files);
	REQUIRE(sps_write_pem(id->cert_path, NULL, cert) == 0);
	REQUIRE(sps_write_pem(id->key_path, key, NULL) == 0);

	id->server = SSL_CTX_new(TLS_server_method());
	id->client = SSL_CTX_new(TLS_client_method());
	REQUIRE(id->server && id->client);
	REQUIRE(SSL_CTX_use_certificate(id->server, cert) == 1);
	REQUIRE(SSL_CTX_use_PrivateKey(id->server, key) == 1);
	REQUIRE(X509_STORE_add_cert(SSL_CTX_get_cert_store(id->client), cert) == 1);
	SSL_CTX_set_verify(id->client, SSL_VERIFY_PEER, NULL);
	EVP_PKEY_free(key);
	X509_free(cert);
}

static inline void sps_identity_free(struct sps_identity *id)
{
	SSL_CTX_free(id->server);
	SSL_CTX_free(id->client);
	id->server = id->client = NULL;
}

/* A client SSL that sends the name and checks that the certificate carries it. */
static inline SSL *sps_client_ssl(struct sps_identity *id, const char *host)
{
	SSL *ssl = SSL_new(id->client);
	REQUIRE(ssl != NULL);
	REQUIRE(SSL_set_tlsext_host_name(ssl, host) == 1);
	REQUIRE(SSL_set1_host(ssl, host) == 1);
	return ssl;
}

/* True when running on libevent (the differential reference), not on evrs. The
 * version cannot tell: a program built for libevent 2.1 also runs on evrs's 2.1
 * build. evrs's libevent_core exports the interface its sibling libraries use. */
static inline int sps_on_libevent(void)
{
	void *program = dlopen(NULL, RTLD_LAZY);
	int evrs = program && dlsym(program, "evrs_sibling_interface_version") != NULL;

	if (program)
		dlclose(program);
	return !evrs;
}

/* ---- Loop runs ---------------------------------------------------------------------- */

/* Runs the loop until done(arg) holds or ms pass (a safety net, longer under
 * valgrind). Returns whether it holds. */
static inline int sps_run_until(struct event_base *base, int (*done)(void *), void *arg,
    int ms)
{
	int expired = 0;
	long long limit = (long long)ms * hps_slowdown();
	struct timeval tv = {(time_t)(limit / 1000), (suseconds_t)(limit % 1000) * 1000};
	struct event *deadline = evtimer_new(base, hps_deadline_cb, &expired);
	REQUIRE(deadline != NULL);
	evtimer_add(deadline, &tv);
	while (!done(arg) && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(deadline);
	return done(arg);
}

/* ---- Child processes with a standard input ------------------------------------------ */

/* Like hps_spawn, but the child's standard input is a pipe whose writing end is
 * returned in *stdin_fd (blocking; close it to send the child end-of-file), and its
 * standard error goes to its standard output, so the test sees both. */
static inline void sps_spawn(struct event_base *base, struct hps_child *c,
    char *const argv[], int *stdin_fd)
{
	int outfd[2], infd[2];
	int slot;
	static int reaper_installed;

	memset(c, 0, sizeof(*c));
	for (slot = 0; slot < HPS_MAX_CHILDREN && hps_children[slot] > 0; slot++)
		;
	REQUIRE(slot < HPS_MAX_CHILDREN);
	if (!reaper_installed) {
		atexit(hps_reap_all);
		reaper_installed = 1;
	}
	REQUIRE(pipe(outfd) == 0);
	REQUIRE(pipe(infd) == 0);
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	REQUIRE(c->pid >= 0);
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		dup2(infd[0], 0);
		dup2(outfd[1], 1);
		dup2(outfd[1], 2);
		for (long fd = 3, max = sysconf(_SC_OPEN_MAX); fd < max && fd < 65536; fd++)
			close((int)fd);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	hps_children[slot] = c->pid;
	close(outfd[1]);
	close(infd[0]);
	*stdin_fd = infd[1];
	c->out_fd = outfd[0];
	REQUIRE(evutil_make_socket_nonblocking(c->out_fd) == 0);
	c->out_ev = event_new(base, c->out_fd, EV_READ | EV_PERSIST, hps_child_read_cb, c);
	REQUIRE(c->out_ev != NULL);
	event_add(c->out_ev, NULL);
}

#endif
