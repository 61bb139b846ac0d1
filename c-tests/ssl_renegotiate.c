/* bufferevent_ssl_renegotiate on a TLS 1.2 socket bufferevent: the client
 * renegotiates between two blocks of data (the server allows client renegotiation),
 * hears CONNECTED again when the new handshake is over, and everything written
 * before, during and after comes back from the echoing server intact. */
// test: link event_openssl event_core ssl crypto
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
#include "ssl_support.h"

#define BLOCK (64 * 1024)

struct state {
	SSL *client_ssl;
	int client_connected;
	int server_connected;
	int renegotiate_result;
	long renegotiations;
	size_t offset;
	size_t received;
	uint64_t sent_checksum;
	uint64_t received_checksum;
	short client_last_event;
	short server_last_event;
	int done;
};

static void write_block(struct state *s, struct bufferevent *bev)
{
	unsigned char *data = malloc(BLOCK);
	if (!data)
		return;
	for (size_t i = 0; i < BLOCK; i++)
		data[i] = ssl_pattern_byte(s->offset + i);
	s->offset += BLOCK;
	s->sent_checksum = ssl_checksum(s->sent_checksum, data, BLOCK);
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
}

static void client_read(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	unsigned char chunk[4096];
	int n;
	while ((n = evbuffer_remove(input, chunk, sizeof(chunk))) > 0) {
		s->received_checksum = ssl_checksum(s->received_checksum, chunk, (size_t)n);
		s->received += (size_t)n;
	}
	if (s->received == 2 * BLOCK && !s->done) {
		s->done = 1;
		s->renegotiations = SSL_num_renegotiations(s->client_ssl);
		SSL_shutdown(s->client_ssl);
		bufferevent_free(bev);
	}
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	s->client_last_event = what;
	if (what & BEV_EVENT_CONNECTED) {
		s->client_connected++;
		if (s->client_connected == 1) {
			write_block(s, bev);
			s->renegotiate_result = bufferevent_ssl_renegotiate(bev);
		} else if (s->client_connected == 2) {
			write_block(s, bev);
		}
		return;
	}
	s->done = 1;
	bufferevent_free(bev);
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct ssl_contexts c;
	struct state s;
	evutil_socket_t fds[2];
	struct bufferevent *client, *server;

	signal(SIGPIPE, SIG_IGN);
	memset(&s, 0, sizeof(s));
	s.sent_checksum = s.received_checksum = SSL_CHECKSUM_START;
	CHECK(base != NULL);
	CHECK_INT_EQ(ssl_make_contexts(&c, TLS1_2_VERSION), 0);
	SSL_CTX_set_options(c.server, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	s.client_ssl = SSL_new(c.client);
	server = bufferevent_openssl_socket_new(base, fds[1], SSL_new(c.server),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	client = bufferevent_openssl_socket_new(base, fds[0], s.client_ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	CHECK(server && client);
	if (!server || !client)
		return check_report();
	bufferevent_setcb(server, server_read, NULL, server_event, &s);
	bufferevent_setcb(client, client_read, NULL, client_event, &s);
	bufferevent_enable(server, EV_READ | EV_WRITE);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	CHECK(event_base_dispatch(base) >= 0);

	CHECK_INT_EQ(s.renegotiate_result, 0);
	CHECK_INT_EQ(s.client_connected, 2);
	CHECK_INT_EQ(s.server_connected, 1);
	CHECK(s.renegotiations >= 1);
	CHECK_UINT_EQ(s.received, 2 * BLOCK);
	CHECK_UINT_EQ(s.received_checksum, s.sent_checksum);
	CHECK_INT_EQ(s.server_last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	ssl_free_contexts(&c);
	event_base_free(base);
	return check_report();
}
