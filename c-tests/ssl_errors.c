/* What TLS socket bufferevents report when things go wrong: a client that does not
 * trust the server's certificate gets BEV_EVENT_ERROR and, from
 * bufferevent_get_openssl_error, the verification failure first, then the
 * SSL_get_error class, then 0; a server freed without close_notify is an error to
 * the client (dirty shutdowns are not allowed by default). The constructors refuse
 * an fd other than the one the SSL already uses and a filter without an underlying
 * bufferevent, and learn the fd from the SSL when given none. A connect that is
 * refused is BEV_EVENT_ERROR with errno ECONNREFUSED (libevent 2.1 adds READING, as
 * its handshake reads the failed socket; 2.2.1 reports the connect's error alone). */
// test: link event_openssl event_core ssl crypto
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "ssl_support.h"

struct end {
	struct bufferevent *bev;
	int connected;
	int events;
	short last_event;
	unsigned long errors[4];
	int freed;
};

struct pairing {
	struct end client;
	struct end server;
	/* Free the server once both are connected (a dirty shutdown for the client). */
	int drop_server;
};

static void record_end(struct end *e, struct bufferevent *bev, short what)
{
	e->events++;
	e->last_event = what;
	if (what & BEV_EVENT_CONNECTED) {
		e->connected++;
		return;
	}
	for (int i = 0; i < 4; i++)
		e->errors[i] = bufferevent_get_openssl_error(bev);
	bufferevent_free(bev);
	e->bev = NULL;
	e->freed = 1;
}

static void drop_server_if_ready(struct pairing *p)
{
	if (p->drop_server && p->client.connected && p->server.connected && p->server.bev) {
		bufferevent_free(p->server.bev);
		p->server.bev = NULL;
		p->server.freed = 1;
	}
}

static void server_event(struct bufferevent *bev, short what, void *arg)
{
	struct pairing *p = arg;
	record_end(&p->server, bev, what);
	drop_server_if_ready(p);
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct pairing *p = arg;
	record_end(&p->client, bev, what);
	drop_server_if_ready(p);
}

static void run(struct event_base *base, SSL_CTX *server_ctx, SSL_CTX *client_ctx,
    struct pairing *p)
{
	evutil_socket_t fds[2];
	SSL *client_ssl = SSL_new(client_ctx);
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	SSL_set_tlsext_host_name(client_ssl, "localhost");
	p->server.bev = bufferevent_openssl_socket_new(base, fds[1], SSL_new(server_ctx),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	p->client.bev = bufferevent_openssl_socket_new(base, fds[0], client_ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	CHECK(p->server.bev && p->client.bev);
	if (!p->server.bev || !p->client.bev)
		return;
	bufferevent_setcb(p->server.bev, NULL, NULL, server_event, p);
	bufferevent_setcb(p->client.bev, NULL, NULL, client_event, p);
	bufferevent_enable(p->server.bev, EV_READ | EV_WRITE);
	bufferevent_enable(p->client.bev, EV_READ | EV_WRITE);
	CHECK(event_base_dispatch(base) >= 0);
	if (p->server.bev)
		bufferevent_free(p->server.bev);
	if (p->client.bev)
		bufferevent_free(p->client.bev);
}

static void untrusted_certificate(struct event_base *base)
{
	struct ssl_contexts real, other;
	struct pairing p;
	memset(&p, 0, sizeof(p));
	CHECK_INT_EQ(ssl_make_contexts(&real, 0), 0);
	CHECK_INT_EQ(ssl_make_contexts(&other, 0), 0);
	/* The client trusts another certificate than the server's. */
	run(base, real.server, other.client, &p);
	CHECK_INT_EQ(p.client.connected, 0);
	CHECK_INT_EQ(p.server.connected, 0);
	CHECK(p.client.freed);
	CHECK(p.client.last_event & BEV_EVENT_ERROR);
	CHECK_INT_EQ(ERR_GET_LIB(p.client.errors[0]), ERR_LIB_SSL);
	CHECK_INT_EQ(ERR_GET_REASON(p.client.errors[0]), SSL_R_CERTIFICATE_VERIFY_FAILED);
	CHECK_UINT_EQ(p.client.errors[1], SSL_ERROR_SSL);
	CHECK_UINT_EQ(p.client.errors[2], 0);
	/* The server hears the client's alert. */
	CHECK(p.server.freed);
	CHECK(p.server.last_event & BEV_EVENT_ERROR);
	CHECK_INT_EQ(ERR_GET_LIB(p.server.errors[0]), ERR_LIB_SSL);
	CHECK_UINT_EQ(p.server.errors[1], SSL_ERROR_SSL);
	CHECK_UINT_EQ(p.server.errors[2], 0);
	ssl_free_contexts(&real);
	ssl_free_contexts(&other);
}

static void dirty_shutdown_is_an_error(struct event_base *base)
{
	struct ssl_contexts c;
	struct pairing p;
	memset(&p, 0, sizeof(p));
	p.drop_server = 1;
	CHECK_INT_EQ(ssl_make_contexts(&c, 0), 0);
	run(base, c.server, c.client, &p);
	CHECK_INT_EQ(p.client.connected, 1);
	CHECK_INT_EQ(p.server.connected, 1);
	CHECK(p.client.freed);
	CHECK_INT_EQ(p.client.events, 2);
	CHECK_INT_EQ(p.client.last_event, BEV_EVENT_ERROR | BEV_EVENT_READING);
	ssl_free_contexts(&c);
}

static void constructor_rules(struct event_base *base)
{
	struct ssl_contexts c;
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	SSL *ssl;
	CHECK_INT_EQ(ssl_make_contexts(&c, 0), 0);
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	ssl = SSL_new(c.client);
	CHECK_INT_EQ(SSL_set_fd(ssl, fds[0]), 1);
	/* Another fd than the SSL's: refused; the SSL stays the program's. */
	CHECK(bufferevent_openssl_socket_new(base, fds[1], ssl,
	    BUFFEREVENT_SSL_CONNECTING, 0) == NULL);
	/* No fd: the SSL's. */
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, 0);
	CHECK(bev != NULL);
	CHECK_INT_EQ(bufferevent_getfd(bev), fds[0]);
	CHECK(bufferevent_openssl_get_ssl(bev) == ssl);
	bufferevent_free(bev);
	SSL_free(ssl);
	/* No underlying bufferevent: refused, and the SSL freed as asked. */
	CHECK(bufferevent_openssl_filter_new(base, NULL, SSL_new(c.client),
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE) == NULL);
	evutil_closesocket(fds[0]);
	evutil_closesocket(fds[1]);
	ssl_free_contexts(&c);
}

static short refused_event;
static int refused_errno;

static void refused_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	refused_event = what;
	refused_errno = EVUTIL_SOCKET_ERROR();
	bufferevent_free(bev);
}

static void connect_refused(struct event_base *base)
{
	struct ssl_contexts c;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	evutil_socket_t unused = socket(AF_INET, SOCK_STREAM, 0);
	struct bufferevent *bev;
	CHECK_INT_EQ(ssl_make_contexts(&c, 0), 0);
	/* A port nobody listens on: bound, then closed. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_INT_EQ(bind(unused, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(unused, (struct sockaddr *)&sin, &len);
	evutil_closesocket(unused);
	bev = bufferevent_openssl_socket_new(base, -1, SSL_new(c.client),
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	CHECK(bev != NULL);
	if (!bev)
		return;
	bufferevent_setcb(bev, NULL, NULL, refused_cb, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	CHECK_INT_EQ(bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof(sin)), 0);
	CHECK(event_base_dispatch(base) >= 0);
	CHECK(refused_event & BEV_EVENT_ERROR);
	CHECK(!(refused_event & (BEV_EVENT_CONNECTED | BEV_EVENT_EOF)));
	CHECK_INT_EQ(refused_errno, ECONNREFUSED);
	ssl_free_contexts(&c);
}

int main(void)
{
	struct event_base *base = event_base_new();
	/* A write to a socket whose peer went must fail, not kill the program. */
	signal(SIGPIPE, SIG_IGN);
	CHECK(base != NULL);
	untrusted_certificate(base);
	dirty_shutdown_is_an_error(base);
	constructor_rules(base);
	connect_refused(base);
	event_base_free(base);
	return check_report();
}
