/* TLS filter bufferevents (bufferevent_openssl_filter_new) over a socket bufferevent
 * and over a bufferevent pair (with and without deferred callbacks, which makes the
 * two TLS ends call each other re-entrantly): the handshake reports CONNECTED on both
 * ends, 1 MiB goes to the server and is echoed back intact, the client sends
 * close_notify (SSL_shutdown) and the server sees EOF|READING. The server then frees
 * its end with its underlying bufferevent (BEV_OPT_CLOSE_ON_FREE); over a socket the
 * client sees that EOF, reported as EOF because it allows a dirty shutdown. Without
 * BEV_OPT_CLOSE_ON_FREE, freeing a filter leaves the underlying bufferevent and the
 * SSL to the program, the underlying one without the filter's callbacks, and the SSL
 * free to go as soon as bufferevent_free returns. */
// test: link event_openssl event_core ssl crypto
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "ssl_support.h"

#define TOTAL (1024 * 1024)

struct end {
	struct bufferevent *bev;
	struct bufferevent *underlying;
	SSL *ssl;
	int connected;
	short last_event;
	int events;
	size_t received;
	uint64_t checksum;
	int freed;
};

struct exchange {
	struct end client;
	struct end server;
	uint64_t sent_checksum;
	int shutdown_sent;
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
	CHECK_UINT_EQ(bufferevent_get_openssl_error(bev), 0);
	bufferevent_free(bev);
	x->server.bev = NULL;
	x->server.freed = 1;
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
	if (x->client.received >= TOTAL && !x->shutdown_sent) {
		/* close_notify goes out through the underlying bufferevent. */
		x->shutdown_sent = 1;
		SSL_shutdown(x->client.ssl);
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
	bufferevent_free(bev);
	x->client.bev = NULL;
	x->client.freed = 1;
}

/* One exchange over two underlying bufferevents; `over_socket`: they are socket
 * bufferevents, whose EOF the client hears when the server goes. */
static void exchange(struct event_base *base, struct ssl_contexts *c,
    struct bufferevent *client_under, struct bufferevent *server_under, int over_socket)
{
	struct exchange x;
	memset(&x, 0, sizeof(x));
	x.client.checksum = SSL_CHECKSUM_START;
	x.client.ssl = SSL_new(c->client);
	x.server.ssl = SSL_new(c->server);
	SSL_set_tlsext_host_name(x.client.ssl, "localhost");

	x.server.bev = bufferevent_openssl_filter_new(base, server_under, x.server.ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	x.client.bev = bufferevent_openssl_filter_new(base, client_under, x.client.ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	CHECK(x.server.bev != NULL);
	CHECK(x.client.bev != NULL);
	if (!x.server.bev || !x.client.bev)
		return;
	CHECK(bufferevent_get_underlying(x.client.bev) == client_under);
	CHECK(bufferevent_openssl_get_ssl(x.client.bev) == x.client.ssl);
	bufferevent_openssl_set_allow_dirty_shutdown(x.client.bev, 1);
	bufferevent_setcb(x.server.bev, server_read, NULL, server_event, &x);
	bufferevent_setcb(x.client.bev, client_read, NULL, client_event, &x);
	bufferevent_enable(x.server.bev, EV_READ | EV_WRITE);
	bufferevent_enable(x.client.bev, EV_READ | EV_WRITE);

	CHECK(event_base_dispatch(base) >= 0);

	CHECK_INT_EQ(x.client.connected, 1);
	CHECK_INT_EQ(x.server.connected, 1);
	CHECK_UINT_EQ(x.server.received, TOTAL);
	CHECK_UINT_EQ(x.client.received, TOTAL);
	CHECK_UINT_EQ(x.client.checksum, x.sent_checksum);
	CHECK(x.server.freed);
	CHECK_INT_EQ(x.server.events, 2);
	CHECK_INT_EQ(x.server.last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	if (over_socket) {
		CHECK(x.client.freed);
		CHECK_INT_EQ(x.client.events, 2);
		CHECK_INT_EQ(x.client.last_event, BEV_EVENT_EOF);
	} else {
		/* A pair says nothing to one end when the other goes. */
		CHECK(!x.client.freed);
		CHECK_INT_EQ(x.client.events, 1);
		if (x.client.bev)
			bufferevent_free(x.client.bev);
	}
}

static int underlying_reads;

static void count_underlying_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	underlying_reads++;
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

static void release_without_close(struct event_base *base, struct ssl_contexts *c)
{
	struct bufferevent *pair[2], *tls;
	SSL *ssl = SSL_new(c->client);
	CHECK_INT_EQ(bufferevent_pair_new(base, 0, pair), 0);
	tls = bufferevent_openssl_filter_new(base, pair[0], ssl, BUFFEREVENT_SSL_CONNECTING, 0);
	CHECK(tls != NULL);
	if (!tls)
		return;
	bufferevent_enable(tls, EV_READ | EV_WRITE);
	bufferevent_free(tls);
	/* The underlying bufferevent is the program's again: its own callbacks run. */
	bufferevent_setcb(pair[0], count_underlying_read, NULL, NULL, NULL);
	bufferevent_enable(pair[0], EV_READ);
	CHECK_INT_EQ(bufferevent_write(pair[1], "plain", 5), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(underlying_reads >= 1);
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	/* And the SSL is still the program's to free. */
	SSL_free(ssl);

	/* Even at once, before the loop runs the freed filter's finalizers: the filter
	 * touches the SSL no more once bufferevent_free returned. */
	CHECK_INT_EQ(bufferevent_pair_new(base, 0, pair), 0);
	ssl = SSL_new(c->client);
	tls = bufferevent_openssl_filter_new(base, pair[0], ssl, BUFFEREVENT_SSL_CONNECTING, 0);
	CHECK(tls != NULL);
	if (!tls)
		return;
	bufferevent_enable(tls, EV_READ | EV_WRITE);
	bufferevent_free(tls);
	SSL_free(ssl);
	event_base_loop(base, EVLOOP_NONBLOCK);
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct ssl_contexts contexts;
	struct bufferevent *pair[2];
	evutil_socket_t fds[2];

	CHECK(base != NULL);
	CHECK_INT_EQ(ssl_make_contexts(&contexts, 0), 0);

	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	exchange(base, &contexts,
	    bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE),
	    bufferevent_socket_new(base, fds[1], BEV_OPT_CLOSE_ON_FREE), 1);

	CHECK_INT_EQ(bufferevent_pair_new(base, 0, pair), 0);
	exchange(base, &contexts, pair[0], pair[1], 0);

	CHECK_INT_EQ(bufferevent_pair_new(base, BEV_OPT_DEFER_CALLBACKS, pair), 0);
	exchange(base, &contexts, pair[0], pair[1], 0);

	release_without_close(base, &contexts);

	ssl_free_contexts(&contexts);
	event_base_free(base);
	return check_report();
}
