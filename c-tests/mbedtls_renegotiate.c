/* bufferevent_mbedtls_renegotiate on TLS 1.2 bufferevents (renegotiation enabled in
 * both configurations): between two blocks of data the client (or the server)
 * renegotiates; the client hears CONNECTED again when its new handshake is over (a
 * server's request only sends HelloRequest, and the server hears CONNECTED again at
 * once; its client renegotiates inside its reads), and everything written before, during and after comes back from the echoing
 * server intact. Over socket bufferevents and over filters on a bufferevent pair. A
 * bufferevent whose handshake is not over refuses (-1). */
// test: link event_mbedtls event_core mbedtls mbedx509 mbedcrypto
// test: requires 2.2
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "mbedtls_support.h"

#define BLOCK (64 * 1024)

struct state {
	mbedtls_ssl_context *client_ssl;
	struct bufferevent *client;
	struct bufferevent *server;
	int server_starts;
	int client_connected;
	int server_connected;
	int renegotiate_result;
	size_t offset;
	size_t received;
	uint64_t sent_checksum;
	uint64_t received_checksum;
	short server_last_event;
	int done;
};

static void write_block(struct state *s, struct bufferevent *bev)
{
	unsigned char *data = malloc(BLOCK);
	if (!data)
		return;
	for (size_t i = 0; i < BLOCK; i++)
		data[i] = tls_pattern_byte(s->offset + i);
	s->offset += BLOCK;
	s->sent_checksum = tls_checksum(s->sent_checksum, data, BLOCK);
	CHECK_INT_EQ(bufferevent_write(bev, data, BLOCK), 0);
	free(data);
}

static void server_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void server_event(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	s->server_last_event = what;
	if (what & BEV_EVENT_CONNECTED) {
		s->server_connected++;
		return;
	}
	bufferevent_free(bev);
	s->server = NULL;
}

static void second_block(evutil_socket_t fd, short what, void *arg)
{
	struct state *s = arg;
	(void)fd;
	(void)what;
	s->offset = BLOCK;
	if (s->client)
		write_block(s, s->client);
}

static void client_read(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	unsigned char chunk[4096];
	int n;
	while ((n = evbuffer_remove(input, chunk, sizeof(chunk))) > 0) {
		s->received_checksum = tls_checksum(s->received_checksum, chunk, (size_t)n);
		s->received += (size_t)n;
	}
	if (s->server_starts && s->received == BLOCK && s->offset == BLOCK) {
		/* The first block is back: the server asks for a new handshake, and the
		 * second block follows once it is over. (Mbed TLS's server sends its
		 * HelloRequest again for each application record it reads meanwhile, and
		 * its client takes a second one for a bad ServerHello: libevent's backend
		 * makes the same calls and has the same limit.) */
		struct timeval later = {0, 300 * 1000};
		s->renegotiate_result = bufferevent_mbedtls_renegotiate(s->server);
		s->offset = BLOCK + 1;
		event_base_once(bufferevent_get_base(bev), -1, EV_TIMEOUT, second_block, s, &later);
	}
	if (s->received == 2 * BLOCK && !s->done) {
		s->done = 1;
		CHECK_INT_EQ(mbedtls_ssl_close_notify(s->client_ssl), 0);
		bufferevent_free(bev);
		s->client = NULL;
	}
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	if (what & BEV_EVENT_CONNECTED) {
		s->client_connected++;
		if (s->client_connected == 1) {
			write_block(s, bev);
			if (!s->server_starts)
				s->renegotiate_result = bufferevent_mbedtls_renegotiate(bev);
		} else if (s->client_connected == 2 && !s->server_starts) {
			write_block(s, bev);
		}
		return;
	}
	fprintf(stderr, "client event %#x, error %#lx\n", what, bufferevent_get_mbedtls_error(bev));
	s->done = 1;
	bufferevent_free(bev);
	s->client = NULL;
}

static void run(struct event_base *base, struct tls_setup *ts, int filter, int server_starts)
{
	struct state s;
	evutil_socket_t fds[2];
	mbedtls_ssl_context *server_ssl = tls_server_context(ts);

	memset(&s, 0, sizeof(s));
	s.server_starts = server_starts;
	s.sent_checksum = s.received_checksum = TLS_CHECKSUM_START;
	s.client_ssl = tls_client_context(ts, NULL);
	REQUIRE(s.client_ssl && server_ssl);
	if (filter) {
		struct bufferevent *pair[2];
		CHECK_INT_EQ(bufferevent_pair_new(base, BEV_OPT_CLOSE_ON_FREE, pair), 0);
		s.server = bufferevent_mbedtls_filter_new(base, pair[1], server_ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		s.client = bufferevent_mbedtls_filter_new(base, pair[0], s.client_ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	} else {
		CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
		evutil_make_socket_nonblocking(fds[0]);
		evutil_make_socket_nonblocking(fds[1]);
		s.server = bufferevent_mbedtls_socket_new(base, fds[1], server_ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		s.client = bufferevent_mbedtls_socket_new(base, fds[0], s.client_ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	}
	CHECK(s.server && s.client);
	if (!s.server || !s.client)
		return;
	/* The handshake has not even started. */
	CHECK_INT_EQ(bufferevent_mbedtls_renegotiate(s.client), -1);
	bufferevent_setcb(s.server, server_read, NULL, server_event, &s);
	bufferevent_setcb(s.client, client_read, NULL, client_event, &s);
	bufferevent_enable(s.server, EV_READ | EV_WRITE);
	bufferevent_enable(s.client, EV_READ | EV_WRITE);
	CHECK(event_base_dispatch(base) >= 0);
	if (filter && s.server) {
		/* A pair says nothing to one end when the other goes. */
		bufferevent_free(s.server);
		s.server = NULL;
	}

	CHECK_INT_EQ(s.renegotiate_result, 0);
	CHECK_INT_EQ(s.client_connected, server_starts ? 1 : 2);
	CHECK_INT_EQ(s.server_connected, server_starts ? 2 : 1);
	CHECK_UINT_EQ(s.received, 2 * BLOCK);
	CHECK_UINT_EQ(s.received_checksum, s.sent_checksum);
	if (!filter)
		CHECK_INT_EQ(s.server_last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	CHECK(s.client == NULL);
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct tls_setup *ts = tls_setup_new();
	signal(SIGPIPE, SIG_IGN);
	REQUIRE(base != NULL);
	REQUIRE(ts != NULL);
	run(base, ts, 0, 0);
	run(base, ts, 1, 0);
	run(base, ts, 0, 1);
	run(base, ts, 1, 1);
	/* The base first: it finalizes freed bufferevents, whose contexts use the setup's
	 * configurations. */
	event_base_free(base);
	tls_setup_destroy(ts);
	return check_report();
}
