/* Bulk data through Mbed TLS bufferevents: 64 MiB (4 MiB under valgrind) go from a
 * client that refills its output a chunk at a time to a server whose input has a
 * 16 KiB high watermark (reading stops and resumes with plaintext still inside Mbed
 * TLS), and arrive intact (FNV-1a checksum), through socket bufferevents and through
 * filters over socket bufferevents. With the client's writes rate-limited, 1 MiB
 * takes as long as the limit says and arrives intact too, for both kinds. */
// test: link event_mbedtls event_core mbedtls mbedx509 mbedcrypto
// test: requires 2.2
// test: timeout 240
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
#include "mbedtls_support.h"

#define CHUNK (256 * 1024)
#define HIGH_WATERMARK (16 * 1024)

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
	size_t largest_input;
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
		data[i] = tls_pattern_byte(b->sent + i);
	b->sent_checksum = tls_checksum(b->sent_checksum, data, n);
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
	fprintf(stderr, "client event %#x, error %#lx\n", what, bufferevent_get_mbedtls_error(bev));
	event_base_loopexit(b->base, NULL);
}

static void server_read(struct bufferevent *bev, void *arg)
{
	struct bulk *b = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	unsigned char chunk[4096];
	size_t len = evbuffer_get_length(input);
	int n;
	if (len >= HIGH_WATERMARK)
		b->high_watermark_hits++;
	if (len > b->largest_input)
		b->largest_input = len;
	while ((n = evbuffer_remove(input, chunk, sizeof(chunk))) > 0) {
		b->received_checksum = tls_checksum(b->received_checksum, chunk, (size_t)n);
		b->received += (size_t)n;
	}
	if (b->received == b->total)
		event_base_loopexit(b->base, NULL);
}

static void server_event(struct bufferevent *bev, short what, void *arg)
{
	struct bulk *b = arg;
	if (what & BEV_EVENT_CONNECTED) {
		b->connected++;
		return;
	}
	fprintf(stderr, "server event %#x, error %#lx\n", what, bufferevent_get_mbedtls_error(bev));
	event_base_loopexit(b->base, NULL);
}

static double now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double transfer(struct event_base *base, struct tls_setup *ts, size_t total,
    struct ev_token_bucket_cfg *limit, int filter)
{
	struct bulk b;
	evutil_socket_t fds[2];
	double started;
	mbedtls_ssl_context *server_ssl = tls_server_context(ts);
	mbedtls_ssl_context *client_ssl = tls_client_context(ts, NULL);
	memset(&b, 0, sizeof(b));
	b.base = base;
	b.total = total;
	b.sent_checksum = b.received_checksum = TLS_CHECKSUM_START;
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	if (filter) {
		b.server = bufferevent_mbedtls_filter_new(base,
		    bufferevent_socket_new(base, fds[1], BEV_OPT_CLOSE_ON_FREE), server_ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		b.client = bufferevent_mbedtls_filter_new(base,
		    bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE), client_ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	} else {
		b.server = bufferevent_mbedtls_socket_new(base, fds[1], server_ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		b.client = bufferevent_mbedtls_socket_new(base, fds[0], client_ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	}
	CHECK(b.server && b.client);
	if (!b.server || !b.client)
		return 0;
	if (limit)
		CHECK_INT_EQ(bufferevent_set_rate_limit(b.client, limit), 0);
	bufferevent_setwatermark(b.server, EV_READ, 0, HIGH_WATERMARK);
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
	/* Reading stops at the watermark: at most one record's plaintext more. */
	CHECK(b.largest_input <= HIGH_WATERMARK + 16 * 1024);
	bufferevent_free(b.client);
	bufferevent_free(b.server);
	return started;
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct tls_setup *ts = tls_setup_new();
	const char *valgrind = getenv("EVRS_VALGRIND");
	size_t big = valgrind && strcmp(valgrind, "1") == 0 ? 4 << 20 : 64 << 20;
	/* 512 KiB/s with 64 KiB bursts, ticks of 100 ms. */
	struct timeval tick = { 0, 100 * 1000 };
	struct ev_token_bucket_cfg *limit;
	double seconds;
	signal(SIGPIPE, SIG_IGN);
	REQUIRE(base != NULL);
	REQUIRE(ts != NULL);
	seconds = transfer(base, ts, big, NULL, 0);
	fprintf(stderr, "socket: %zu MiB in %.2f s\n", big >> 20, seconds);
	seconds = transfer(base, ts, big, NULL, 1);
	fprintf(stderr, "filter: %zu MiB in %.2f s\n", big >> 20, seconds);
	limit = ev_token_bucket_cfg_new(EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX,
	    52 * 1024, 64 * 1024, &tick);
	for (int filter = 0; filter < 2; filter++) {
		seconds = transfer(base, ts, 1024 * 1024, limit, filter);
		/* 1 MiB at 512 KiB/s after a 64 KiB burst: well over a second. */
		CHECK(seconds > 1.0);
		CHECK(seconds < 20);
	}
	ev_token_bucket_cfg_free(limit);
	/* The base first: it finalizes freed bufferevents, whose contexts use the setup's
	 * configurations. */
	event_base_free(base);
	tls_setup_destroy(ts);
	return check_report();
}
