/* TLS socket bufferevents (bufferevent_openssl_socket_new): a client and a server in
 * one program, over a socket pair (with no options, deferred callbacks, locking, and
 * locking with unlocked deferred callbacks; and a server given its fd by
 * bufferevent_setfd) and over TCP (the client connecting with
 * bufferevent_socket_connect on a TLS bufferevent made without an fd). The handshake
 * reports CONNECTED on both ends; 1 MiB goes to the server, which echoes it, and
 * comes back intact; the client closes cleanly (close_notify, then free) and the
 * server sees EOF|READING with no error queued. Also the accessors: get_ssl, the
 * error queue, allow_dirty_shutdown, and their answers for a bufferevent of another
 * kind. */
// test: link event_openssl event_core event_pthreads ssl crypto
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "ssl_support.h"

#define TOTAL (1024 * 1024)

struct end {
	struct bufferevent *bev;
	SSL *ssl;
	int connected;
	short last_event;
	int events;
	size_t received;
	uint64_t checksum;
	int freed;
};

struct exchange {
	struct event_base *base;
	struct ssl_contexts *contexts;
	struct end client;
	struct end server;
	uint64_t sent_checksum;
	struct evconnlistener *listener;
	int options;
	/* The server is made without its fd and given it with bufferevent_setfd. */
	int late_fd;
};

static void server_read(struct bufferevent *bev, void *arg)
{
	struct exchange *x = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	x->server.received += evbuffer_get_length(input);
	/* Echo. */
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
	/* The end: nothing should be left in the error queue after a clean close. */
	CHECK_UINT_EQ(bufferevent_get_openssl_error(bev), 0);
	bufferevent_free(bev);
	x->server.bev = NULL;
	x->server.freed = 1;
	if (x->listener) {
		evconnlistener_free(x->listener);
		x->listener = NULL;
	}
}

static void client_read(struct bufferevent *bev, void *arg)
{
	struct exchange *x = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	unsigned char chunk[4096];
	int n;
	while ((n = evbuffer_remove(input, chunk, sizeof(chunk))) > 0) {
		x->client.checksum = ssl_checksum(x->client.checksum, chunk, (size_t)n);
		x->client.received += (size_t)n;
	}
	if (x->client.received >= TOTAL) {
		/* A clean close: close_notify through the SSL's own socket I/O, then the
		 * bufferevent goes with its SSL and socket (BEV_OPT_CLOSE_ON_FREE). */
		SSL_shutdown(x->client.ssl);
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
		unsigned char *data = malloc(TOTAL);
		x->client.connected++;
		CHECK(data != NULL);
		if (!data)
			return;
		for (size_t i = 0; i < TOTAL; i++)
			data[i] = ssl_pattern_byte(i);
		x->sent_checksum = ssl_checksum(SSL_CHECKSUM_START, data, TOTAL);
		CHECK_INT_EQ(bufferevent_write(bev, data, TOTAL), 0);
		free(data);
		return;
	}
	fprintf(stderr, "client event %#x, openssl error %#lx\n", what,
	    bufferevent_get_openssl_error(bev));
	bufferevent_free(bev);
	x->client.bev = NULL;
	x->client.freed = 1;
}

static struct bufferevent *server_bev(struct exchange *x, evutil_socket_t fd)
{
	struct bufferevent *bev;
	x->server.ssl = SSL_new(x->contexts->server);
	bev = bufferevent_openssl_socket_new(x->base, x->late_fd ? -1 : fd, x->server.ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE | x->options);
	CHECK(bev != NULL);
	if (!bev)
		return NULL;
	if (x->late_fd) {
		CHECK_INT_EQ(bufferevent_getfd(bev), -1);
		CHECK_INT_EQ(bufferevent_setfd(bev, fd), 0);
	}
	CHECK(bufferevent_openssl_get_ssl(bev) == x->server.ssl);
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

static void start(struct exchange *x, struct event_base *base, struct ssl_contexts *c)
{
	memset(x, 0, sizeof(*x));
	x->base = base;
	x->contexts = c;
	x->client.checksum = SSL_CHECKSUM_START;
	x->client.ssl = SSL_new(c->client);
	SSL_set_tlsext_host_name(x->client.ssl, "localhost");
}

static void check_outcome(struct exchange *x)
{
	CHECK_INT_EQ(x->client.connected, 1);
	CHECK_INT_EQ(x->server.connected, 1);
	CHECK_UINT_EQ(x->server.received, TOTAL);
	CHECK_UINT_EQ(x->client.received, TOTAL);
	CHECK_UINT_EQ(x->client.checksum, x->sent_checksum);
	CHECK(x->client.freed);
	CHECK(x->server.freed);
	CHECK_INT_EQ(x->client.events, 1);
	CHECK_INT_EQ(x->server.events, 2);
	CHECK_INT_EQ(x->server.last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
}

static void over_socketpair(struct event_base *base, struct ssl_contexts *c, int options,
    int late_fd)
{
	struct exchange x;
	evutil_socket_t fds[2];
	struct bufferevent *client;

	start(&x, base, c);
	x.options = options;
	x.late_fd = late_fd;
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	server_bev(&x, fds[1]);
	client = bufferevent_openssl_socket_new(base, fds[0], x.client.ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE | options);
	CHECK(client != NULL);
	if (!client)
		return;
	x.client.bev = client;
	CHECK(bufferevent_openssl_get_ssl(client) == x.client.ssl);
	CHECK_INT_EQ(bufferevent_getfd(client), fds[0]);

	/* allow_dirty_shutdown: off by default, on and off again. */
	CHECK_INT_EQ(bufferevent_openssl_get_allow_dirty_shutdown(client), 0);
	bufferevent_openssl_set_allow_dirty_shutdown(client, 1);
	CHECK_INT_EQ(bufferevent_openssl_get_allow_dirty_shutdown(client), 1);
	bufferevent_openssl_set_allow_dirty_shutdown(client, 0);
	CHECK_INT_EQ(bufferevent_openssl_get_allow_dirty_shutdown(client), 0);
	CHECK_UINT_EQ(bufferevent_get_openssl_error(client), 0);

	bufferevent_setcb(client, client_read, NULL, client_event, &x);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	CHECK(event_base_dispatch(base) >= 0);
	check_outcome(&x);
}

static void over_tcp(struct event_base *base, struct ssl_contexts *c)
{
	struct exchange x;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct bufferevent *client;

	start(&x, base, c);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	x.listener = evconnlistener_new_bind(base, accepted, &x,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof(sin));
	CHECK(x.listener != NULL);
	if (!x.listener)
		return;
	getsockname(evconnlistener_get_fd(x.listener), (struct sockaddr *)&sin, &len);

	/* No fd yet: bufferevent_socket_connect makes the socket, and the handshake
	 * starts once the connect is over. */
	client = bufferevent_openssl_socket_new(base, -1, x.client.ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	CHECK(client != NULL);
	if (!client)
		return;
	x.client.bev = client;
	CHECK_INT_EQ(bufferevent_getfd(client), -1);
	bufferevent_setcb(client, client_read, NULL, client_event, &x);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	CHECK_INT_EQ(bufferevent_socket_connect(client, (struct sockaddr *)&sin, sizeof(sin)), 0);
	CHECK(bufferevent_getfd(client) >= 0);
	CHECK(event_base_dispatch(base) >= 0);
	check_outcome(&x);
}

/* The accessors on a bufferevent that is not a TLS one. */
static void other_kind(struct event_base *base)
{
	struct bufferevent *plain = bufferevent_socket_new(base, -1, 0);
	CHECK(bufferevent_openssl_get_ssl(plain) == NULL);
	CHECK_UINT_EQ(bufferevent_get_openssl_error(plain), 0);
	CHECK_INT_EQ(bufferevent_openssl_get_allow_dirty_shutdown(plain), -1);
	bufferevent_openssl_set_allow_dirty_shutdown(plain, 1);
	CHECK_INT_EQ(bufferevent_openssl_get_allow_dirty_shutdown(plain), -1);
	CHECK_INT_EQ(bufferevent_ssl_renegotiate(plain), -1);
	bufferevent_free(plain);
}

int main(void)
{
	struct event_base *base;
	struct ssl_contexts contexts;
	CHECK_INT_EQ(evthread_use_pthreads(), 0);
	base = event_base_new();
	CHECK(base != NULL);
	CHECK_INT_EQ(ssl_make_contexts(&contexts, 0), 0);
	over_socketpair(base, &contexts, 0, 0);
	over_socketpair(base, &contexts, 0, 1);
	over_socketpair(base, &contexts, BEV_OPT_DEFER_CALLBACKS, 0);
	over_socketpair(base, &contexts, BEV_OPT_THREADSAFE, 0);
	over_socketpair(base, &contexts,
	    BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS, 0);
	over_tcp(base, &contexts);
	other_kind(base);
	ssl_free_contexts(&contexts);
	event_base_free(base);
	return check_report();
}
