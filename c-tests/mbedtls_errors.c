/* What Mbed TLS socket bufferevents report when things go wrong: a client that trusts
 * another certificate than the server's gets BEV_EVENT_ERROR and, from
 * bufferevent_get_mbedtls_error, Mbed TLS's verification failure, then 0; the server
 * hears the client's fatal alert. A server freed without close_notify is an error to
 * the client by default, EOF when it allows dirty shutdowns. The constructors refuse
 * an fd other than the one the context's I/O already uses (leaving the context to the
 * program, as libevent), learn the fd from the context when given none, and refuse a
 * filter without an underlying bufferevent (freeing the context as asked). Where
 * libevent crashes (NULL context, base or configuration; an unknown state; freeing
 * NULL), evrs refuses. A refused connect is BEV_EVENT_ERROR with ECONNREFUSED. */
// test: link event_mbedtls event_core mbedtls mbedx509 mbedcrypto
// test: requires 2.2
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <mbedtls/net_sockets.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "mbedtls_support.h"

struct end {
	struct bufferevent *bev;
	int connected;
	int events;
	short last_event;
	unsigned long errors[3];
	int freed;
};

struct pairing {
	struct end client;
	struct end server;
	/* Free the server once both are connected (a dirty shutdown for the client). */
	int drop_server;
	int allow_dirty;
};

static void record_end(struct end *e, struct bufferevent *bev, short what)
{
	e->events++;
	e->last_event = what;
	if (what & BEV_EVENT_CONNECTED) {
		e->connected++;
		return;
	}
	for (int i = 0; i < 3; i++)
		e->errors[i] = bufferevent_get_mbedtls_error(bev);
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

static void run(struct event_base *base, struct tls_setup *s, mbedtls_ssl_config *client_conf,
    struct pairing *p)
{
	evutil_socket_t fds[2];
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	p->server.bev = bufferevent_mbedtls_socket_new(base, fds[1], tls_server_context(s),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	p->client.bev = bufferevent_mbedtls_socket_new(base, fds[0],
	    tls_client_context(s, client_conf), BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	CHECK(p->server.bev && p->client.bev);
	if (!p->server.bev || !p->client.bev)
		return;
	if (p->allow_dirty)
		bufferevent_mbedtls_set_allow_dirty_shutdown(p->client.bev, 1);
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

static void untrusted_certificate(struct event_base *base, struct tls_setup *s)
{
	struct pairing p;
	memset(&p, 0, sizeof(p));
	run(base, s, &s->stranger_client, &p);
	CHECK_INT_EQ(p.client.connected, 0);
	CHECK_INT_EQ(p.server.connected, 0);
	CHECK(p.client.freed);
	CHECK_INT_EQ(p.client.last_event, BEV_EVENT_ERROR | BEV_EVENT_READING);
	CHECK_UINT_EQ(p.client.errors[0], TLS_STORED_ERROR(MBEDTLS_ERR_X509_CERT_VERIFY_FAILED));
	CHECK_UINT_EQ(p.client.errors[1], 0);
	/* The server hears the client's alert. */
	CHECK(p.server.freed);
	CHECK_INT_EQ(p.server.last_event, BEV_EVENT_ERROR | BEV_EVENT_READING);
	CHECK_UINT_EQ(p.server.errors[0], TLS_STORED_ERROR(MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE));
	CHECK_UINT_EQ(p.server.errors[1], 0);
}

static void dirty_shutdown(struct event_base *base, struct tls_setup *s, int allow)
{
	struct pairing p;
	memset(&p, 0, sizeof(p));
	p.drop_server = 1;
	p.allow_dirty = allow;
	run(base, s, NULL, &p);
	CHECK_INT_EQ(p.client.connected, 1);
	CHECK_INT_EQ(p.server.connected, 1);
	CHECK(p.client.freed);
	CHECK_INT_EQ(p.client.events, 2);
	/* libevent 2.2.1 reports Mbed TLS's CONN_EOF as an error either way (its
	 * backend only knows a read of 0 as the end); evrs follows the flag. */
	CHECK_INT_EQ(p.client.last_event,
	    (allow ? BEV_EVENT_EOF : BEV_EVENT_ERROR) | BEV_EVENT_READING);
}

static void constructor_rules(struct event_base *base, struct tls_setup *s)
{
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	mbedtls_net_context net;
	mbedtls_ssl_context *ssl = tls_client_context(s, NULL);
	REQUIRE(ssl != NULL);
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	mbedtls_net_init(&net);
	net.fd = fds[0];
	mbedtls_ssl_set_bio(ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);
	/* Another fd than the context's: refused; the context stays the program's
	 * even under BEV_OPT_CLOSE_ON_FREE (libevent does not free it either). */
	CHECK(bufferevent_mbedtls_socket_new(base, fds[1], ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE) == NULL);
	/* No fd: the context's. */
	bev = bufferevent_mbedtls_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, 0);
	CHECK(bev != NULL);
	CHECK_INT_EQ(bufferevent_getfd(bev), fds[0]);
	CHECK(bufferevent_mbedtls_get_ssl(bev) == ssl);
	bufferevent_free(bev);
	/* The same fd as the context's (still bound by the bufferevent just freed, which
	 * the loop finalizes later): taken. */
	bev = bufferevent_mbedtls_socket_new(base, fds[0], ssl, BUFFEREVENT_SSL_CONNECTING, 0);
	CHECK(bev != NULL);
	CHECK_INT_EQ(bufferevent_getfd(bev), fds[0]);
	bufferevent_free(bev);
	bufferevent_mbedtls_dyncontext_free(ssl);

	/* No underlying bufferevent: refused, and the context freed as asked (valgrind
	 * sees no leak). */
	CHECK(bufferevent_mbedtls_filter_new(base, NULL, tls_client_context(s, NULL),
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE) == NULL);
	/* An unknown state and a NULL base: refused, the context freed as asked. */
	CHECK(bufferevent_mbedtls_socket_new(base, fds[1], tls_client_context(s, NULL),
	    (enum bufferevent_ssl_state)7, BEV_OPT_CLOSE_ON_FREE) == NULL);
	CHECK(bufferevent_mbedtls_socket_new(NULL, fds[1], tls_client_context(s, NULL),
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE) == NULL);
	/* libevent crashes on a NULL context; evrs refuses. */
	CHECK(bufferevent_mbedtls_socket_new(base, fds[1], NULL, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE) == NULL);
	CHECK(bufferevent_mbedtls_filter_new(base, NULL, NULL, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE) == NULL);
	evutil_closesocket(fds[0]);
	evutil_closesocket(fds[1]);
}

static void dyncontexts(struct tls_setup *s)
{
	mbedtls_dyncontext *ctx = bufferevent_mbedtls_dyncontext_new(&s->client);
	CHECK(ctx != NULL);
	/* A set-up context: its configuration's endpoint is the client's. */
	CHECK_INT_EQ(mbedtls_ssl_set_hostname(ctx, "localhost"), 0);
	CHECK_UINT_EQ(mbedtls_ssl_get_bytes_avail(ctx), 0);
	bufferevent_mbedtls_dyncontext_free(ctx);
	/* libevent crashes on both; evrs gives NULL and ignores NULL. */
	CHECK(bufferevent_mbedtls_dyncontext_new(NULL) == NULL);
	bufferevent_mbedtls_dyncontext_free(NULL);
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

static void connect_refused(struct event_base *base, struct tls_setup *s)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	evutil_socket_t unused = socket(AF_INET, SOCK_STREAM, 0);
	struct bufferevent *bev;
	/* A port nobody listens on: bound, then closed. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_INT_EQ(bind(unused, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(unused, (struct sockaddr *)&sin, &len);
	evutil_closesocket(unused);
	bev = bufferevent_mbedtls_socket_new(base, -1, tls_client_context(s, NULL),
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
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct tls_setup *s = tls_setup_new();
	/* A write to a socket whose peer went must fail, not kill the program. */
	signal(SIGPIPE, SIG_IGN);
	REQUIRE(base != NULL);
	REQUIRE(s != NULL);
	untrusted_certificate(base, s);
	dirty_shutdown(base, s, 0);
	dirty_shutdown(base, s, 1);
	constructor_rules(base, s);
	dyncontexts(s);
	connect_refused(base, s);
	/* The base first: it finalizes freed bufferevents, whose contexts use the setup's
	 * configurations. */
	event_base_free(base);
	tls_setup_destroy(s);
	return check_report();
}
