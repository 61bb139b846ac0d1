/* 64 MiB through each kind of TLS bufferevent, with a checksum: client to server
 * through socket bufferevents (bufferevent_openssl_socket_new), and server to client
 * through filters over socket bufferevents (bufferevent_openssl_filter_new), both
 * over a socket pair. The sender keeps at most a few MiB queued, refilling from its
 * write callback at a low watermark; every MiB carries its index in its first bytes,
 * and the checksum (FNV-1a over every byte in order) of what arrived must be the
 * checksum of what was sent. The receiver then closes cleanly and the sender sees
 * EOF. */
// test: link event_openssl event_core ssl crypto
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "ssl_support.h"

#define TOTAL ((size_t)64 * 1024 * 1024)
#define BLOCK ((size_t)1024 * 1024)
#define QUEUED (4 * BLOCK)

struct bulk {
	struct event_base *base;
	struct bufferevent *sender;
	struct bufferevent *receiver;
	SSL *receiver_ssl;
	unsigned char *block;
	size_t sent;
	size_t received;
	uint64_t sent_checksum;
	uint64_t received_checksum;
	int connected;
	short sender_end;
	short receiver_end;
};

static void fill(struct bulk *b, struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	while (b->sent < TOTAL && evbuffer_get_length(out) < QUEUED) {
		uint64_t index = b->sent / BLOCK;
		memcpy(b->block, &index, sizeof(index));
		b->sent_checksum = ssl_checksum(b->sent_checksum, b->block, BLOCK);
		CHECK_INT_EQ(evbuffer_add(out, b->block, BLOCK), 0);
		b->sent += BLOCK;
	}
}

static void sender_write(struct bufferevent *bev, void *arg)
{
	fill(arg, bev);
}

static void sender_event(struct bufferevent *bev, short what, void *arg)
{
	struct bulk *b = arg;
	if (what & BEV_EVENT_CONNECTED) {
		b->connected++;
		fill(b, bev);
		return;
	}
	b->sender_end = what;
	event_base_loopexit(b->base, NULL);
}

static void receiver_read(struct bufferevent *bev, void *arg)
{
	struct bulk *b = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	struct evbuffer_iovec vec[16];
	int n = evbuffer_peek(input, -1, NULL, vec, 16);
	size_t taken = 0;
	if (n > 16)
		n = 16;
	for (int i = 0; i < n; i++) {
		b->received_checksum = ssl_checksum(b->received_checksum, vec[i].iov_base,
		    vec[i].iov_len);
		taken += vec[i].iov_len;
	}
	evbuffer_drain(input, taken);
	b->received += taken;
	if (b->received >= TOTAL && b->receiver_ssl) {
		/* All here: close cleanly, the sender sees EOF. */
		SSL_shutdown(b->receiver_ssl);
		b->receiver_ssl = NULL;
		bufferevent_disable(bev, EV_READ);
		bufferevent_flush(bev, EV_WRITE, BEV_FLUSH);
	}
}

static void receiver_event(struct bufferevent *bev, short what, void *arg)
{
	struct bulk *b = arg;
	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		b->connected++;
		return;
	}
	b->receiver_end = what;
	event_base_loopexit(b->base, NULL);
}

static double now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void transfer(struct event_base *base, struct ssl_contexts *c, int filter)
{
	struct bulk b;
	evutil_socket_t fds[2];
	struct bufferevent *client, *server;
	SSL *client_ssl, *server_ssl;
	double started;

	memset(&b, 0, sizeof(b));
	b.base = base;
	b.sent_checksum = b.received_checksum = SSL_CHECKSUM_START;
	b.block = malloc(BLOCK);
	REQUIRE(b.block != NULL);
	for (size_t i = 0; i < BLOCK; i++)
		b.block[i] = ssl_pattern_byte(i);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	client_ssl = SSL_new(c->client);
	server_ssl = SSL_new(c->server);
	SSL_set_tlsext_host_name(client_ssl, "localhost");
	if (filter) {
		server = bufferevent_openssl_filter_new(base,
		    bufferevent_socket_new(base, fds[1], BEV_OPT_CLOSE_ON_FREE), server_ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		client = bufferevent_openssl_filter_new(base,
		    bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE), client_ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	} else {
		server = bufferevent_openssl_socket_new(base, fds[1], server_ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		client = bufferevent_openssl_socket_new(base, fds[0], client_ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	}
	REQUIRE(server && client);
	/* Socket kind: client to server; filter kind: server to client. */
	b.sender = filter ? server : client;
	b.receiver = filter ? client : server;
	b.receiver_ssl = filter ? client_ssl : server_ssl;
	bufferevent_setwatermark(b.sender, EV_WRITE, QUEUED / 2, 0);
	bufferevent_setcb(b.sender, NULL, sender_write, sender_event, &b);
	bufferevent_setcb(b.receiver, receiver_read, NULL, receiver_event, &b);
	bufferevent_enable(b.sender, EV_READ | EV_WRITE);
	bufferevent_enable(b.receiver, EV_READ | EV_WRITE);
	started = now();
	CHECK(event_base_dispatch(base) >= 0);
	fprintf(stderr, "%s: %zu MiB in %.2f s\n", filter ? "filter" : "socket",
	    b.received / BLOCK, now() - started);
	CHECK_INT_EQ(b.connected, 2);
	CHECK_UINT_EQ(b.sent, TOTAL);
	CHECK_UINT_EQ(b.received, TOTAL);
	CHECK_UINT_EQ(b.received_checksum, b.sent_checksum);
	CHECK_INT_EQ(b.sender_end, BEV_EVENT_EOF | BEV_EVENT_READING);
	CHECK_INT_EQ(b.receiver_end, 0);
	bufferevent_free(client);
	bufferevent_free(server);
	free(b.block);
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct ssl_contexts c;
	signal(SIGPIPE, SIG_IGN);
	REQUIRE(base != NULL);
	REQUIRE(ssl_make_contexts(&c, 0) == 0);
	transfer(base, &c, 0);
	transfer(base, &c, 1);
	ssl_free_contexts(&c);
	event_base_free(base);
	return check_report();
}
