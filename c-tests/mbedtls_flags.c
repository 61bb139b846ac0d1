/* bufferevent_ssl_get/set/clear_flags as libevent_mbedtls exports them: the known
 * flags only, the old flags answered, EV_UINT64_MAX for no known flag or another kind
 * of bufferevent, and allow_dirty_shutdown as the DIRTY_SHUTDOWN flag. With
 * BUFFEREVENT_SSL_BATCH_WRITE, 256 KiB written in many small pieces arrive intact
 * through a socket and a filter bufferevent; with DIRTY_SHUTDOWN a peer that goes
 * without close_notify is EOF|READING, not an error (libevent 2.2.1's Mbed TLS backend
 * reports Mbed TLS's CONN_EOF as an error whatever the flag says). */
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

#define TOTAL (256 * 1024)
#define PIECE 1000
#define DIRTY BUFFEREVENT_SSL_DIRTY_SHUTDOWN
#define BATCH BUFFEREVENT_SSL_BATCH_WRITE

struct state {
	struct bufferevent *client;
	struct bufferevent *server;
	int client_connected;
	int server_connected;
	size_t received;
	uint64_t sent_checksum;
	uint64_t received_checksum;
	short client_last_event;
	int client_events;
};

static void server_read(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	unsigned char chunk[4096];
	int n;
	while ((n = evbuffer_remove(input, chunk, sizeof(chunk))) > 0) {
		s->received_checksum = tls_checksum(s->received_checksum, chunk, (size_t)n);
		s->received += (size_t)n;
	}
	if (s->received == TOTAL) {
		/* Gone without close_notify: a dirty shutdown for the client. */
		bufferevent_free(bev);
		s->server = NULL;
	}
}

static void server_event(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	if (what & BEV_EVENT_CONNECTED) {
		s->server_connected++;
		return;
	}
	bufferevent_free(bev);
	s->server = NULL;
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	s->client_events++;
	s->client_last_event = what;
	if (what & BEV_EVENT_CONNECTED) {
		unsigned char *data = malloc(TOTAL);
		s->client_connected++;
		CHECK(data != NULL);
		if (!data)
			return;
		for (size_t i = 0; i < TOTAL; i++)
			data[i] = tls_pattern_byte(i);
		s->sent_checksum = tls_checksum(TLS_CHECKSUM_START, data, TOTAL);
		/* Many small chunks in the output buffer, which BATCH_WRITE joins. */
		for (size_t at = 0; at < TOTAL; at += PIECE) {
			size_t len = TOTAL - at < PIECE ? TOTAL - at : PIECE;
			CHECK_INT_EQ(bufferevent_write(bev, data + at, len), 0);
		}
		free(data);
		return;
	}
	bufferevent_free(bev);
	s->client = NULL;
}

static void flag_functions(struct event_base *base, struct tls_setup *ts)
{
	struct bufferevent *tls = bufferevent_mbedtls_socket_new(base, -1,
	    tls_client_context(ts, NULL), BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	struct bufferevent *plain = bufferevent_socket_new(base, -1, 0);
	CHECK(tls != NULL);
	if (!tls)
		return;
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), 0);
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(tls, DIRTY), 0);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), DIRTY);
	CHECK_INT_EQ(bufferevent_mbedtls_get_allow_dirty_shutdown(tls), 1);
	/* Unknown bits are ignored. */
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(tls, BATCH | 0x100), DIRTY);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), DIRTY | BATCH);
	CHECK_UINT_EQ(bufferevent_ssl_clear_flags(tls, DIRTY), DIRTY | BATCH);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), BATCH);
	CHECK_INT_EQ(bufferevent_mbedtls_get_allow_dirty_shutdown(tls), 0);
	bufferevent_mbedtls_set_allow_dirty_shutdown(tls, 1);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), DIRTY | BATCH);
	/* No known flag: EV_UINT64_MAX, nothing changes. */
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(tls, 0), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_clear_flags(tls, 0x100), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), DIRTY | BATCH);
	/* Not open yet: nothing to renegotiate. */
	CHECK_INT_EQ(bufferevent_mbedtls_renegotiate(tls), -1);
	bufferevent_free(tls);

	CHECK_UINT_EQ(bufferevent_ssl_get_flags(plain), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(plain, DIRTY), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_clear_flags(plain, DIRTY), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(NULL), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(NULL, DIRTY), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_clear_flags(NULL, DIRTY), EV_UINT64_MAX);
	bufferevent_free(plain);
}

static void batch_write_and_dirty_eof(struct event_base *base, struct tls_setup *ts,
    int filter)
{
	struct state s;
	evutil_socket_t fds[2];
	mbedtls_ssl_context *server_ssl = tls_server_context(ts);
	mbedtls_ssl_context *client_ssl = tls_client_context(ts, NULL);
	memset(&s, 0, sizeof(s));
	s.received_checksum = TLS_CHECKSUM_START;
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	if (filter) {
		s.server = bufferevent_mbedtls_filter_new(base,
		    bufferevent_socket_new(base, fds[1], BEV_OPT_CLOSE_ON_FREE), server_ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		s.client = bufferevent_mbedtls_filter_new(base,
		    bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE), client_ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	} else {
		s.server = bufferevent_mbedtls_socket_new(base, fds[1], server_ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		s.client = bufferevent_mbedtls_socket_new(base, fds[0], client_ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	}
	CHECK(s.server && s.client);
	if (!s.server || !s.client)
		return;
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(s.client, BATCH | DIRTY), 0);
	bufferevent_setcb(s.server, server_read, NULL, server_event, &s);
	bufferevent_setcb(s.client, NULL, NULL, client_event, &s);
	bufferevent_enable(s.server, EV_READ | EV_WRITE);
	bufferevent_enable(s.client, EV_READ | EV_WRITE);
	CHECK(event_base_dispatch(base) >= 0);

	CHECK_INT_EQ(s.client_connected, 1);
	CHECK_INT_EQ(s.server_connected, 1);
	CHECK_UINT_EQ(s.received, TOTAL);
	CHECK_UINT_EQ(s.received_checksum, s.sent_checksum);
	CHECK_INT_EQ(s.client_events, 2);
	/* A filter's underlying socket bufferevent reports the end as EOF alone. */
	CHECK_INT_EQ(s.client_last_event, filter ? BEV_EVENT_EOF : BEV_EVENT_EOF | BEV_EVENT_READING);
	CHECK(s.client == NULL);
	CHECK(s.server == NULL);
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct tls_setup *ts = tls_setup_new();
	signal(SIGPIPE, SIG_IGN);
	REQUIRE(base != NULL);
	REQUIRE(ts != NULL);
	flag_functions(base, ts);
	batch_write_and_dirty_eof(base, ts, 0);
	batch_write_and_dirty_eof(base, ts, 1);
	/* The base first: it finalizes freed bufferevents, whose contexts use the setup's
	 * configurations. */
	event_base_free(base);
	tls_setup_destroy(ts);
	return check_report();
}
