/* The body of tls_two_libraries_*.c: a program linked against both libevent_openssl
 * and libevent_mbedtls. The functions both libraries define (bufferevent_ssl_*_flags)
 * come from whichever the program links first; each must work on the TLS
 * bufferevents of both libraries, as libevent's do (its BEV_IS_SSL). The functions
 * named for one library answer for that library's bufferevents; on the other's they
 * answer as for any other kind (NULL, 0), where libevent would hand out an object of
 * the wrong type. And the two kinds talk TLS to each other: an Mbed TLS server
 * bufferevent echoes 1 MiB to an OpenSSL client bufferevent over a socket pair, both
 * on one event base of the one libevent_core. */
#define _GNU_SOURCE
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "mbedtls_support.h"
#include "ssl_support.h"

/* Both kinds answer every shared function the same way. */
static void shared_functions(struct bufferevent *bev, struct bufferevent *other_kind)
{
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(bev), 0);
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(bev, BUFFEREVENT_SSL_DIRTY_SHUTDOWN), 0);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(bev), BUFFEREVENT_SSL_DIRTY_SHUTDOWN);
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(bev, BUFFEREVENT_SSL_BATCH_WRITE),
	    BUFFEREVENT_SSL_DIRTY_SHUTDOWN);
	CHECK_UINT_EQ(bufferevent_ssl_clear_flags(bev, BUFFEREVENT_SSL_DIRTY_SHUTDOWN),
	    BUFFEREVENT_SSL_DIRTY_SHUTDOWN | BUFFEREVENT_SSL_BATCH_WRITE);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(bev), BUFFEREVENT_SSL_BATCH_WRITE);
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(bev, 0x100), EV_UINT64_MAX);
	/* A plain bufferevent is no TLS bufferevent to either library. */
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(other_kind), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(other_kind, BUFFEREVENT_SSL_BATCH_WRITE),
	    EV_UINT64_MAX);
}

#define ECHO_TOTAL (1024 * 1024)

struct echo_client {
	size_t sent, received;
	uint64_t sum;
	int connected, failed;
};

static void echo_server_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void echo_client_send(struct bufferevent *bev, struct echo_client *c)
{
	unsigned char block[16384];
	while (c->sent < ECHO_TOTAL &&
	    evbuffer_get_length(bufferevent_get_output(bev)) < 4 * sizeof(block)) {
		size_t n = ECHO_TOTAL - c->sent < sizeof(block) ? ECHO_TOTAL - c->sent : sizeof(block);
		for (size_t i = 0; i < n; i++)
			block[i] = tls_pattern_byte(c->sent + i);
		bufferevent_write(bev, block, n);
		c->sent += n;
	}
}

static void echo_client_read(struct bufferevent *bev, void *arg)
{
	struct echo_client *c = arg;
	unsigned char block[16384];
	size_t n;
	while ((n = bufferevent_read(bev, block, sizeof(block))) > 0) {
		c->sum = tls_checksum(c->sum, block, n);
		c->received += n;
	}
	if (c->received >= ECHO_TOTAL)
		event_base_loopbreak(bufferevent_get_base(bev));
}

static void echo_client_write(struct bufferevent *bev, void *arg)
{
	echo_client_send(bev, arg);
}

static void echo_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct echo_client *c = arg;
	if (what & BEV_EVENT_CONNECTED) {
		c->connected = 1;
		echo_client_send(bev, c);
		return;
	}
	c->failed = 1;
	event_base_loopbreak(bufferevent_get_base(bev));
}

static void echo_server_event(struct bufferevent *bev, short what, void *arg)
{
	struct echo_client *c = arg;
	if (what & BEV_EVENT_CONNECTED)
		return;
	c->failed = 1;
	event_base_loopbreak(bufferevent_get_base(bev));
}

static void two_kinds_talk(struct event_base *base, struct tls_setup *mbed)
{
	evutil_socket_t fds[2];
	struct echo_client c = {0, 0, TLS_CHECKSUM_START, 0, 0};
	uint64_t expected = TLS_CHECKSUM_START;
	struct bufferevent *server, *client;
	struct timeval limit = {20, 0};
	/* The client does not check the server's certificate: the two libraries'
	 * certificate helpers are not meant to meet. Mbed TLS 2.28 speaks TLS 1.2. */
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	REQUIRE(ctx != NULL);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	server = bufferevent_mbedtls_socket_new(base, fds[0], tls_server_context(mbed),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	client = bufferevent_openssl_socket_new(base, fds[1], SSL_new(ctx),
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(server != NULL && client != NULL);
	bufferevent_setcb(server, echo_server_read, NULL, echo_server_event, &c);
	bufferevent_setcb(client, echo_client_read, echo_client_write, echo_client_event, &c);
	bufferevent_enable(server, EV_READ | EV_WRITE);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	CHECK_INT_EQ(c.connected, 1);
	CHECK_INT_EQ(c.failed, 0);
	CHECK_UINT_EQ(c.received, ECHO_TOTAL);
	for (size_t i = 0; i < ECHO_TOTAL; i++) {
		unsigned char b = tls_pattern_byte(i);
		expected = tls_checksum(expected, &b, 1);
	}
	CHECK(c.sum == expected);
	bufferevent_free(client);
	bufferevent_free(server);
	event_base_loop(base, EVLOOP_NONBLOCK);
	SSL_CTX_free(ctx);
}

static int run(const char *first_library)
{
	struct event_base *base = event_base_new();
	struct ssl_contexts c;
	struct tls_setup *mbed = tls_setup_new();
	evutil_socket_t openssl_fds[2], mbedtls_fds[2];
	struct bufferevent *openssl_bev, *mbedtls_bev, *plain;
	mbedtls_dyncontext *context;
	SSL *ssl;
	Dl_info where;

	signal(SIGPIPE, SIG_IGN);
	REQUIRE(base != NULL);
	REQUIRE(mbed != NULL);
	REQUIRE(ssl_make_contexts(&c, 0) == 0);
	/* The shared functions come from the library linked first. */
	REQUIRE(dladdr((void *)bufferevent_ssl_get_flags, &where) != 0);
	CHECK(where.dli_fname && strstr(where.dli_fname, first_library) != NULL);

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, openssl_fds) == 0);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, mbedtls_fds) == 0);
	ssl = SSL_new(c.client);
	openssl_bev = bufferevent_openssl_socket_new(base, openssl_fds[0], ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	context = tls_client_context(mbed, NULL);
	mbedtls_bev = bufferevent_mbedtls_socket_new(base, mbedtls_fds[0], context,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	plain = bufferevent_socket_new(base, -1, 0);
	REQUIRE(openssl_bev != NULL && mbedtls_bev != NULL && plain != NULL);

	shared_functions(openssl_bev, plain);
	shared_functions(mbedtls_bev, plain);

	/* Dirty shutdowns, through either library's name. */
	bufferevent_openssl_set_allow_dirty_shutdown(mbedtls_bev, 1);
	CHECK_INT_EQ(bufferevent_mbedtls_get_allow_dirty_shutdown(mbedtls_bev), 1);
	CHECK_INT_EQ(bufferevent_openssl_get_allow_dirty_shutdown(mbedtls_bev), 1);
	bufferevent_mbedtls_set_allow_dirty_shutdown(openssl_bev, 1);
	CHECK_INT_EQ(bufferevent_openssl_get_allow_dirty_shutdown(openssl_bev), 1);
	bufferevent_mbedtls_set_allow_dirty_shutdown(openssl_bev, 0);
	CHECK_INT_EQ(bufferevent_mbedtls_get_allow_dirty_shutdown(openssl_bev), 0);
	CHECK_INT_EQ(bufferevent_openssl_get_allow_dirty_shutdown(plain), -1);

	/* Each library's objects come only from its own bufferevents. */
	CHECK(bufferevent_openssl_get_ssl(openssl_bev) == ssl);
	CHECK(bufferevent_mbedtls_get_ssl(mbedtls_bev) == context);
	CHECK(bufferevent_openssl_get_ssl(mbedtls_bev) == NULL);
	CHECK(bufferevent_mbedtls_get_ssl(openssl_bev) == NULL);
	CHECK_UINT_EQ(bufferevent_get_openssl_error(mbedtls_bev), 0);
	CHECK_UINT_EQ(bufferevent_get_mbedtls_error(openssl_bev), 0);

	bufferevent_free(openssl_bev);
	bufferevent_free(mbedtls_bev);
	bufferevent_free(plain);
	event_base_loop(base, EVLOOP_NONBLOCK);

	two_kinds_talk(base, mbed);
	evutil_closesocket(openssl_fds[1]);
	evutil_closesocket(mbedtls_fds[1]);
	event_base_free(base);
	tls_setup_destroy(mbed);
	ssl_free_contexts(&c);
	return check_report();
}
