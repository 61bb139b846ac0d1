/* The body of tls_two_libraries_*.c: a program linked against both libevent_openssl
 * and libevent_mbedtls. The functions both libraries define (bufferevent_ssl_*_flags)
 * come from whichever the program links first; each must work on the TLS
 * bufferevents of both libraries, as libevent's do (its BEV_IS_SSL). The functions
 * named for one library answer for that library's bufferevents; on the other's they
 * answer as for any other kind (NULL, 0), where libevent would hand out an object of
 * the wrong type. */
#define _GNU_SOURCE
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
	evutil_closesocket(openssl_fds[1]);
	evutil_closesocket(mbedtls_fds[1]);
	event_base_free(base);
	tls_setup_destroy(mbed);
	ssl_free_contexts(&c);
	return check_report();
}
