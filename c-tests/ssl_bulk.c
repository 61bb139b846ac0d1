/* Bulk data through TLS bufferevents: 16 MiB to a server whose input has a 16 KiB
 * high watermark (reading stops and resumes with plaintext still in the TLS library,
 * and the program's drain of its input lifts it from inside its read callback) arrive
 * intact, through socket bufferevents and through filters over socket bufferevents; with the client's writes rate-limited, 1 MiB takes as long
 * as the limit says and arrives intact too. */
// test: link event_openssl event_core ssl crypto
// test: timeout 120
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

#define CHUNK (256 * 1024)

struct bulk {
	struct event_base *base;
	struct bufferevent *client;
	struct bufferevent *server;
	size_t total;
	size_t sent;
	size_t received;
	uint64_t sent_checksum;
	uint64_t received_checksum;
	int high_watermark_hits;
	int connected;
};

/* Refills the client's output a chunk at a time, so it never holds everything. */
static void client_write(struct bufferevent *bev, void *arg)
{
	struct bulk *b = arg;
	unsigned char *data;
	size_t n;
	if (b->sent == b->total || evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	n = b->total - b->sent < CHUNK ? b->total - b->sent : CHUNK;
	data = malloc(n);
	if (!data)
		return;
	for (size_t i = 0; i < n; i++)
		data[i] = ssl_pattern_byte(b->sent + i);
	b->sent_checksum = ssl_checksum(b->sent_checksum, data, n);
	b->sent += n;
	CHECK_INT_EQ(bufferevent_write(bev, data, n), 0);
	free(data);
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct bulk *b = arg;
	if (what & BEV_EVENT_CONNECTED) {
		b->connected++;
		client_write(bev, b);
		return;
	}
	fprintf(stderr, "client event %#x\n", what);
	event_base_loopexit(b->base, NULL);
}

static void server_read(struct bufferevent *bev, void *arg)
{
	struct bulk *b = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	unsigned char chunk[4096];
	int n;
	if (evbuffer_get_length(input) >= 16 * 1024)
		b->high_watermark_hits++;
	while ((n = evbuffer_remove(input, chunk, sizeof(chunk))) > 0) {
		b->received_checksum = ssl_checksum(b->received_checksum, chunk, (size_t)n);
		b->received += (size_t)n;
	}
	if (b->received == b->total)
		event_base_loopexit(b->base, NULL);
}

static void server_event(struct bufferevent *bev, short what, void *arg)
{
	struct bulk *b = arg;
	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		b->connected++;
		return;
	}
	fprintf(stderr, "server event %#x\n", what);
	event_base_loopexit(b->base, NULL);
}

static double now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double transfer(struct event_base *base, struct ssl_contexts *c, size_t total,
    struct ev_token_bucket_cfg *limit, int filter)
{
	struct bulk b;
	evutil_socket_t fds[2];
	double started;
	memset(&b, 0, sizeof(b));
	b.base = base;
	b.total = total;
	b.sent_checksum = b.received_checksum = SSL_CHECKSUM_START;
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	if (filter) {
		b.server = bufferevent_openssl_filter_new(base,
		    bufferevent_socket_new(base, fds[1], BEV_OPT_CLOSE_ON_FREE),
		    SSL_new(c->server), BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		b.client = bufferevent_openssl_filter_new(base,
		    bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE),
		    SSL_new(c->client), BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	} else {
		b.server = bufferevent_openssl_socket_new(base, fds[1], SSL_new(c->server),
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		b.client = bufferevent_openssl_socket_new(base, fds[0], SSL_new(c->client),
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	}
	CHECK(b.server && b.client);
	if (!b.server || !b.client)
		return 0;
	if (limit)
		CHECK_INT_EQ(bufferevent_set_rate_limit(b.client, limit), 0);
	bufferevent_setwatermark(b.server, EV_READ, 0, 16 * 1024);
	bufferevent_setcb(b.server, server_read, NULL, server_event, &b);
	bufferevent_setcb(b.client, NULL, client_write, client_event, &b);
	bufferevent_enable(b.server, EV_READ | EV_WRITE);
	bufferevent_enable(b.client, EV_READ | EV_WRITE);
	started = now();
	event_base_dispatch(base);
	started = now() - started;
	CHECK_INT_EQ(b.connected, 2);
	CHECK_UINT_EQ(b.received, total);
	CHECK_UINT_EQ(b.received_checksum, b.sent_checksum);
	CHECK(b.high_watermark_hits > 0);
	bufferevent_free(b.client);
	bufferevent_free(b.server);
	return started;
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct ssl_contexts c;
	/* 512 KiB/s with 64 KiB bursts, ticks of 100 ms. */
	struct timeval tick = { 0, 100 * 1000 };
	struct ev_token_bucket_cfg *limit;
	double seconds;
	signal(SIGPIPE, SIG_IGN);
	CHECK(base != NULL);
	CHECK_INT_EQ(ssl_make_contexts(&c, 0), 0);
	transfer(base, &c, 16 * 1024 * 1024, NULL, 0);
	transfer(base, &c, 16 * 1024 * 1024, NULL, 1);
	limit = ev_token_bucket_cfg_new(EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX,
	    52 * 1024, 64 * 1024, &tick);
	seconds = transfer(base, &c, 1024 * 1024, limit, 0);
	/* 1 MiB at 512 KiB/s after a 64 KiB burst: well over a second (libevent 2.1
	 * takes about 1.5 s, evrs about 2 s, as it charges the ciphertext). */
	CHECK(seconds > 1.0);
	CHECK(seconds < 10);
	ev_token_bucket_cfg_free(limit);
	ssl_free_contexts(&c);
	event_base_free(base);
	return check_report();
}
