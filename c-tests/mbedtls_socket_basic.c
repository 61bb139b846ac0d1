/* Mbed TLS socket bufferevents (bufferevent_mbedtls_socket_new): a client and a
 * server in one program over a socket pair (no options, deferred callbacks, locking,
 * locking with unlocked deferred callbacks; a server given its fd by
 * bufferevent_setfd), and over TCP (a connected fd from a listener; and a client
 * made with fd -1 that bufferevent_socket_connect connects). Both ends report
 * CONNECTED, 1 MiB goes to the echoing server and comes back intact, the client sends
 * close_notify and goes (its context and socket with it, BEV_OPT_CLOSE_ON_FREE), and
 * the server sees EOF|READING with the peer's close_notify as its one stored error.
 * An OPEN context (the handshake done by the program) carries data at once. Also the
 * accessors and their answers for a bufferevent of another kind. */
// test: link event_mbedtls event_core event_pthreads mbedtls mbedx509 mbedcrypto
// test: requires 2.2
// test: timeout 120
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <event2/util.h>

#include <mbedtls/net_sockets.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "mbedtls_support.h"

#define TOTAL (1024 * 1024)

struct end {
	struct bufferevent *bev;
	mbedtls_ssl_context *ssl;
	int connected;
	short last_event;
	int events;
	size_t received;
	uint64_t checksum;
	unsigned long errors[2];
	int freed;
};

struct exchange {
	struct event_base *base;
	struct tls_setup *setup;
	struct end client;
	struct end server;
	uint64_t sent_checksum;
	struct evconnlistener *listener;
	int options;
	/* The server is made without its fd and given it with bufferevent_setfd. */
	int late_fd;
	/* Both ends are OPEN already: no CONNECTED event. */
	int open;
};

static void server_read(struct bufferevent *bev, void *arg)
{
	struct exchange *x = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	x->server.received += evbuffer_get_length(input);
	bufferevent_write_buffer(bev, input);
}

static void server_event(struct bufferevent *bev, short what, void *arg)
{
	struct exchange *x = arg;
	x->server.events++;
	x->server.last_event = what;
	if (what & BEV_EVENT_CONNECTED) {
		x->server.connected++;
		return;
	}
	x->server.errors[0] = bufferevent_get_mbedtls_error(bev);
	x->server.errors[1] = bufferevent_get_mbedtls_error(bev);
	bufferevent_free(bev);
	x->server.bev = NULL;
	x->server.freed = 1;
	if (x->listener) {
		evconnlistener_free(x->listener);
		x->listener = NULL;
	}
}

static void send_pattern(struct exchange *x, struct bufferevent *bev)
{
	unsigned char *data = malloc(TOTAL);
	CHECK(data != NULL);
	if (!data)
		return;
	for (size_t i = 0; i < TOTAL; i++)
		data[i] = tls_pattern_byte(i);
	x->sent_checksum = tls_checksum(TLS_CHECKSUM_START, data, TOTAL);
	CHECK_INT_EQ(bufferevent_write(bev, data, TOTAL), 0);
	free(data);
}

static void client_read(struct bufferevent *bev, void *arg)
{
	struct exchange *x = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	unsigned char chunk[4096];
	int n;
	while ((n = evbuffer_remove(input, chunk, sizeof(chunk))) > 0) {
		x->client.checksum = tls_checksum(x->client.checksum, chunk, (size_t)n);
		x->client.received += (size_t)n;
	}
	if (x->client.received >= TOTAL) {
		/* A clean close: close_notify through the context's own socket I/O, then
		 * the bufferevent goes with its context and socket. */
		CHECK_INT_EQ(mbedtls_ssl_close_notify(x->client.ssl), 0);
		bufferevent_free(bev);
		x->client.bev = NULL;
		x->client.freed = 1;
	}
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct exchange *x = arg;
	x->client.events++;
	x->client.last_event = what;
	if (what & BEV_EVENT_CONNECTED) {
		x->client.connected++;
		send_pattern(x, bev);
		return;
	}
	fprintf(stderr, "client event %#x, mbedtls error %#lx\n", what,
	    bufferevent_get_mbedtls_error(bev));
	bufferevent_free(bev);
	x->client.bev = NULL;
	x->client.freed = 1;
}

static struct bufferevent *server_bev(struct exchange *x, evutil_socket_t fd)
{
	struct bufferevent *bev;
	if (!x->server.ssl)
		x->server.ssl = tls_server_context(x->setup);
	bev = bufferevent_mbedtls_socket_new(x->base, x->late_fd ? -1 : fd, x->server.ssl,
	    x->open ? BUFFEREVENT_SSL_OPEN : BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | x->options);
	CHECK(bev != NULL);
	if (!bev)
		return NULL;
	if (x->late_fd) {
		CHECK_INT_EQ(bufferevent_getfd(bev), -1);
		CHECK_INT_EQ(bufferevent_setfd(bev, fd), 0);
	}
	CHECK(bufferevent_mbedtls_get_ssl(bev) == x->server.ssl);
	CHECK_INT_EQ(bufferevent_getfd(bev), fd);
	bufferevent_setcb(bev, server_read, NULL, server_event, x);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	x->server.bev = bev;
	return bev;
}

static void accepted(struct evconnlistener *listener, evutil_socket_t fd,
    struct sockaddr *addr, int len, void *arg)
{
	(void)listener;
	(void)addr;
	(void)len;
	server_bev(arg, fd);
}

static void start(struct exchange *x, struct event_base *base, struct tls_setup *s)
{
	memset(x, 0, sizeof(*x));
	x->base = base;
	x->setup = s;
	x->client.checksum = TLS_CHECKSUM_START;
	x->client.ssl = tls_client_context(s, NULL);
	CHECK(x->client.ssl != NULL);
}

static void check_outcome(struct exchange *x)
{
	int expect_connected = x->open ? 0 : 1;
	CHECK_INT_EQ(x->client.connected, expect_connected);
	CHECK_INT_EQ(x->server.connected, expect_connected);
	CHECK_UINT_EQ(x->server.received, TOTAL);
	CHECK_UINT_EQ(x->client.received, TOTAL);
	CHECK_UINT_EQ(x->client.checksum, x->sent_checksum);
	CHECK(x->client.freed);
	CHECK(x->server.freed);
	CHECK_INT_EQ(x->client.events, expect_connected);
	CHECK_INT_EQ(x->server.events, expect_connected + 1);
	CHECK_INT_EQ(x->server.last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	/* libevent keeps the peer's close_notify as the error of a clean close. */
	CHECK_UINT_EQ(x->server.errors[0], TLS_STORED_ERROR(MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY));
	CHECK_UINT_EQ(x->server.errors[1], 0);
}

static void over_socketpair(struct event_base *base, struct tls_setup *s, int options,
    int late_fd)
{
	struct exchange x;
	evutil_socket_t fds[2];
	struct bufferevent *client;

	start(&x, base, s);
	x.options = options;
	x.late_fd = late_fd;
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	server_bev(&x, fds[1]);
	client = bufferevent_mbedtls_socket_new(base, fds[0], x.client.ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE | options);
	CHECK(client != NULL);
	if (!client)
		return;
	x.client.bev = client;
	CHECK(bufferevent_mbedtls_get_ssl(client) == x.client.ssl);
	CHECK_INT_EQ(bufferevent_getfd(client), fds[0]);

	/* allow_dirty_shutdown: off by default, on and off again. */
	CHECK_INT_EQ(bufferevent_mbedtls_get_allow_dirty_shutdown(client), 0);
	bufferevent_mbedtls_set_allow_dirty_shutdown(client, 1);
	CHECK_INT_EQ(bufferevent_mbedtls_get_allow_dirty_shutdown(client), 1);
	bufferevent_mbedtls_set_allow_dirty_shutdown(client, 0);
	CHECK_INT_EQ(bufferevent_mbedtls_get_allow_dirty_shutdown(client), 0);
	CHECK_UINT_EQ(bufferevent_get_mbedtls_error(client), 0);

	bufferevent_setcb(client, client_read, NULL, client_event, &x);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	CHECK(event_base_dispatch(base) >= 0);
	check_outcome(&x);
}

static void over_tcp(struct event_base *base, struct tls_setup *s, int connect_later)
{
	struct exchange x;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct bufferevent *client;
	evutil_socket_t fd = -1;

	start(&x, base, s);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	x.listener = evconnlistener_new_bind(base, accepted, &x,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof(sin));
	CHECK(x.listener != NULL);
	if (!x.listener)
		return;
	getsockname(evconnlistener_get_fd(x.listener), (struct sockaddr *)&sin, &len);

	if (!connect_later) {
		/* A socket the program connected itself (blocking connect, then
		 * non-blocking I/O, which Mbed TLS's socket functions need). */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		CHECK_INT_EQ(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
		evutil_make_socket_nonblocking(fd);
	}
	client = bufferevent_mbedtls_socket_new(base, fd, x.client.ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	CHECK(client != NULL);
	if (!client)
		return;
	x.client.bev = client;
	CHECK_INT_EQ(bufferevent_getfd(client), fd);
	bufferevent_setcb(client, client_read, NULL, client_event, &x);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	if (connect_later) {
		/* The handshake starts once the connect is over. */
		CHECK_INT_EQ(bufferevent_socket_connect(client, (struct sockaddr *)&sin,
				 sizeof(sin)), 0);
		CHECK(bufferevent_getfd(client) >= 0);
	}
	CHECK(event_base_dispatch(base) >= 0);
	check_outcome(&x);
}

/* The program runs the handshake itself over blocking Mbed TLS socket I/O in two
 * threads' stead: one side at a time, over non-blocking sockets, until both are
 * done; then both bufferevents start OPEN. */
static void handshake_by_hand(mbedtls_ssl_context *client, mbedtls_ssl_context *server)
{
	int c = 1, v = 1;
	for (int i = 0; i < 1000 && (c || v); i++) {
		if (c) {
			int r = mbedtls_ssl_handshake(client);
			CHECK(r == 0 || r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
			c = r != 0 && (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
		}
		if (v) {
			int r = mbedtls_ssl_handshake(server);
			CHECK(r == 0 || r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
			v = r != 0 && (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
		}
	}
	CHECK(!c && !v);
}

static void already_open(struct event_base *base, struct tls_setup *s)
{
	struct exchange x;
	evutil_socket_t fds[2];
	mbedtls_net_context client_net, server_net;
	struct bufferevent *client;

	start(&x, base, s);
	x.open = 1;
	x.server.ssl = tls_server_context(s);
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	mbedtls_net_init(&client_net);
	mbedtls_net_init(&server_net);
	client_net.fd = fds[0];
	server_net.fd = fds[1];
	mbedtls_ssl_set_bio(x.client.ssl, &client_net, mbedtls_net_send, mbedtls_net_recv, NULL);
	mbedtls_ssl_set_bio(x.server.ssl, &server_net, mbedtls_net_send, mbedtls_net_recv, NULL);
	handshake_by_hand(x.client.ssl, x.server.ssl);
	/* fd -1: the bufferevents learn the fds from the contexts' I/O. */
	x.late_fd = 0;
	x.server.bev = bufferevent_mbedtls_socket_new(base, -1, x.server.ssl,
	    BUFFEREVENT_SSL_OPEN, BEV_OPT_CLOSE_ON_FREE);
	CHECK(x.server.bev != NULL);
	client = bufferevent_mbedtls_socket_new(base, -1, x.client.ssl, BUFFEREVENT_SSL_OPEN,
	    BEV_OPT_CLOSE_ON_FREE);
	CHECK(client != NULL);
	if (!client || !x.server.bev)
		return;
	x.client.bev = client;
	CHECK_INT_EQ(bufferevent_getfd(client), fds[0]);
	CHECK_INT_EQ(bufferevent_getfd(x.server.bev), fds[1]);
	bufferevent_setcb(x.server.bev, server_read, NULL, server_event, &x);
	bufferevent_enable(x.server.bev, EV_READ | EV_WRITE);
	bufferevent_setcb(client, client_read, NULL, client_event, &x);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	send_pattern(&x, client);
	CHECK(event_base_dispatch(base) >= 0);
	check_outcome(&x);
}

/* The accessors on a bufferevent that is not a TLS one, and on NULL. */
static void other_kind(struct event_base *base)
{
	struct bufferevent *plain = bufferevent_socket_new(base, -1, 0);
	CHECK(bufferevent_mbedtls_get_ssl(plain) == NULL);
	CHECK_UINT_EQ(bufferevent_get_mbedtls_error(plain), 0);
	CHECK_INT_EQ(bufferevent_mbedtls_get_allow_dirty_shutdown(plain), -1);
	bufferevent_mbedtls_set_allow_dirty_shutdown(plain, 1);
	CHECK_INT_EQ(bufferevent_mbedtls_get_allow_dirty_shutdown(plain), -1);
	CHECK_INT_EQ(bufferevent_mbedtls_renegotiate(plain), -1);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(plain), EV_UINT64_MAX);
	bufferevent_free(plain);
	/* libevent crashes on these; evrs answers as for another kind. */
	CHECK(bufferevent_mbedtls_get_ssl(NULL) == NULL);
	CHECK_UINT_EQ(bufferevent_get_mbedtls_error(NULL), 0);
	CHECK_INT_EQ(bufferevent_mbedtls_get_allow_dirty_shutdown(NULL), -1);
	bufferevent_mbedtls_set_allow_dirty_shutdown(NULL, 1);
	CHECK_INT_EQ(bufferevent_mbedtls_renegotiate(NULL), -1);
}

int main(void)
{
	struct event_base *base;
	struct tls_setup *s;
	signal(SIGPIPE, SIG_IGN);
	CHECK_INT_EQ(evthread_use_pthreads(), 0);
	base = event_base_new();
	REQUIRE(base != NULL);
	s = tls_setup_new();
	REQUIRE(s != NULL);
	over_socketpair(base, s, 0, 0);
	over_socketpair(base, s, 0, 1);
	over_socketpair(base, s, BEV_OPT_DEFER_CALLBACKS, 0);
	over_socketpair(base, s, BEV_OPT_THREADSAFE, 0);
	over_socketpair(base, s,
	    BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS, 0);
	over_tcp(base, s, 0);
	over_tcp(base, s, 1);
	already_open(base, s);
	other_kind(base);
	/* The base first: it finalizes freed bufferevents, whose contexts use the setup's
	 * configurations. */
	event_base_free(base);
	tls_setup_destroy(s);
	return check_report();
}
