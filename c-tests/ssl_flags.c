/* bufferevent_ssl_get/set/clear_flags (libevent 2.2): the known flags only, the old
 * flags answered, EV_UINT64_MAX for no known flag or another kind of bufferevent, and
 * allow_dirty_shutdown as the DIRTY_SHUTDOWN flag. With BUFFEREVENT_SSL_BATCH_WRITE
 * data still arrives intact. With DIRTY_SHUTDOWN a peer that goes without
 * close_notify after the handshake is EOF, not an error; a TLS 1.3 connection refuses
 * renegotiation. */
// test: link event_openssl event_core ssl crypto
// test: evrs-only libevent 2.2.1 reports OpenSSL 3's unexpected EOF after the handshake as an error even with dirty shutdowns allowed, and answers 0 to a TLS 1.3 renegotiation and reports CONNECTED again
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

#define TOTAL (256 * 1024)
#define DIRTY BUFFEREVENT_SSL_DIRTY_SHUTDOWN
#define BATCH BUFFEREVENT_SSL_BATCH_WRITE

struct state {
	struct bufferevent *client;
	struct bufferevent *server;
	int client_connected;
	int server_connected;
	int renegotiate_result;
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
		s->received_checksum = ssl_checksum(s->received_checksum, chunk, (size_t)n);
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
		/* TLS 1.3 has no renegotiation. */
		s->renegotiate_result = bufferevent_ssl_renegotiate(bev);
		if (!data)
			return;
		for (size_t i = 0; i < TOTAL; i++)
			data[i] = ssl_pattern_byte(i);
		s->sent_checksum = ssl_checksum(SSL_CHECKSUM_START, data, TOTAL);
		CHECK_INT_EQ(bufferevent_write(bev, data, TOTAL), 0);
		free(data);
		return;
	}
	bufferevent_free(bev);
	s->client = NULL;
}

static void flag_functions(struct event_base *base, struct ssl_contexts *c)
{
	SSL *ssl = SSL_new(c->client);
	struct bufferevent *tls = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	struct bufferevent *plain = bufferevent_socket_new(base, -1, 0);
	CHECK(tls != NULL);
	if (!tls)
		return;
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), 0);
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(tls, DIRTY), 0);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), DIRTY);
	CHECK_INT_EQ(bufferevent_openssl_get_allow_dirty_shutdown(tls), 1);
	/* Unknown bits are ignored. */
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(tls, BATCH | 0x100), DIRTY);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), DIRTY | BATCH);
	CHECK_UINT_EQ(bufferevent_ssl_clear_flags(tls, DIRTY), DIRTY | BATCH);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), BATCH);
	CHECK_INT_EQ(bufferevent_openssl_get_allow_dirty_shutdown(tls), 0);
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), DIRTY | BATCH);
	/* No known flag: EV_UINT64_MAX, nothing changes. */
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(tls, 0), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_clear_flags(tls, 0x100), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(tls), DIRTY | BATCH);
	/* Not open yet: nothing to renegotiate. */
	CHECK_INT_EQ(bufferevent_ssl_renegotiate(tls), -1);
	bufferevent_free(tls);

	CHECK_UINT_EQ(bufferevent_ssl_get_flags(plain), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_set_flags(plain, DIRTY), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_clear_flags(plain, DIRTY), EV_UINT64_MAX);
	CHECK_UINT_EQ(bufferevent_ssl_get_flags(NULL), EV_UINT64_MAX);
	CHECK(bufferevent_openssl_get_ssl(NULL) == NULL);
	bufferevent_free(plain);
}

static void batch_write_and_dirty_eof(struct event_base *base, struct ssl_contexts *c)
{
	struct state s;
	evutil_socket_t fds[2];
	memset(&s, 0, sizeof(s));
	s.received_checksum = SSL_CHECKSUM_START;
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	s.server = bufferevent_openssl_socket_new(base, fds[1], SSL_new(c->server),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	s.client = bufferevent_openssl_socket_new(base, fds[0], SSL_new(c->client),
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
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
	CHECK_INT_EQ(s.renegotiate_result, -1);
	CHECK_UINT_EQ(s.received, TOTAL);
	CHECK_UINT_EQ(s.received_checksum, s.sent_checksum);
	CHECK_INT_EQ(s.client_events, 2);
	CHECK_INT_EQ(s.client_last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	CHECK(s.client == NULL);
	CHECK(s.server == NULL);
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct ssl_contexts c;
	signal(SIGPIPE, SIG_IGN);
	CHECK(base != NULL);
	CHECK_INT_EQ(ssl_make_contexts(&c, 0), 0);
	flag_functions(base, &c);
	batch_write_and_dirty_eof(base, &c);
	ssl_free_contexts(&c);
	event_base_free(base);
	return check_report();
}
