/* HTTPS over Mbed TLS bufferevents: an evhttp server whose evhttp_set_bevcb makes an
 * ACCEPTING socket bufferevent per connection (fd -1; evhttp gives it the accepted
 * socket), and an evhttp client over a CONNECTING socket bufferevent that
 * evhttp_connection_base_bufferevent_new connects. Five requests on one kept-alive
 * connection (the server sees one TLS connection): plain replies, a 1 MiB chunked
 * reply (its pieces checked with a checksum), and a POST body echoed back. Then the
 * client and server go, with every context (valgrind sees no leak). With and without
 * deferred callbacks. */
// test: link event_mbedtls event_extra event_core mbedtls mbedx509 mbedcrypto
// test: requires 2.2
// test: timeout 120
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "mbedtls_support.h"

#define CHUNKED_TOTAL (1024 * 1024)
#define PIECE (64 * 1024)
#define REQUESTS 5

struct site {
	struct event_base *base;
	struct tls_setup *ts;
	int options;
	int connections;
	int served;
	/* The client's side. */
	int answered;
	int codes[REQUESTS];
	size_t body_lengths[REQUESTS];
	uint64_t chunked_checksum;
	uint64_t expected_checksum;
	int chunked_header;
	int echo_ok;
};

static struct bufferevent *server_bev(struct event_base *base, void *arg)
{
	struct site *s = arg;
	s->connections++;
	return bufferevent_mbedtls_socket_new(base, -1, tls_server_context(s->ts),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE | s->options);
}

static void plain(struct evhttp_request *req, void *arg)
{
	struct site *s = arg;
	struct evbuffer *body = evbuffer_new();
	s->served++;
	evbuffer_add_printf(body, "hello over mbedtls %d", s->served);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static void chunked(struct evhttp_request *req, void *arg)
{
	struct site *s = arg;
	unsigned char *piece = malloc(PIECE);
	struct evbuffer *out = evbuffer_new();
	s->served++;
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	for (size_t at = 0; at < CHUNKED_TOTAL && piece; at += PIECE) {
		for (size_t i = 0; i < PIECE; i++)
			piece[i] = tls_pattern_byte(at + i);
		evbuffer_add(out, piece, PIECE);
		evhttp_send_reply_chunk(req, out);
	}
	evhttp_send_reply_end(req);
	evbuffer_free(out);
	free(piece);
}

static void echo(struct evhttp_request *req, void *arg)
{
	struct site *s = arg;
	s->served++;
	evhttp_send_reply(req, HTTP_OK, "OK", evhttp_request_get_input_buffer(req));
}

static void answered(struct evhttp_request *req, void *arg)
{
	struct site *s = arg;
	int i = s->answered++;
	struct evbuffer *body;
	if (!req) {
		fprintf(stderr, "request %d failed\n", i);
		event_base_loopexit(s->base, NULL);
		return;
	}
	body = evhttp_request_get_input_buffer(req);
	if (i < REQUESTS) {
		s->codes[i] = evhttp_request_get_response_code(req);
		s->body_lengths[i] = evbuffer_get_length(body);
	}
	if (i == 2) {
		const char *te = evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Transfer-Encoding");
		size_t len = evbuffer_get_length(body);
		s->chunked_header = te && strcmp(te, "chunked") == 0;
		s->chunked_checksum = tls_checksum(TLS_CHECKSUM_START,
		    evbuffer_pullup(body, (ev_ssize_t)len), len);
	}
	if (i == 3) {
		size_t len = evbuffer_get_length(body);
		s->echo_ok = len == 11 && memcmp(evbuffer_pullup(body, 11), "posted body", 11) == 0;
	}
	if (s->answered == REQUESTS)
		event_base_loopexit(s->base, NULL);
}

static void request(struct site *s, struct evhttp_connection *evcon,
    enum evhttp_cmd_type type, const char *path, const char *body)
{
	struct evhttp_request *req = evhttp_request_new(answered, s);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "localhost");
	if (body)
		evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	CHECK_INT_EQ(evhttp_make_request(evcon, req, type, path), 0);
}

static void run(struct event_base *base, struct tls_setup *ts, int options)
{
	struct site s;
	struct evhttp *http = evhttp_new(base);
	struct evhttp_bound_socket *bound;
	struct evhttp_connection *evcon;
	struct bufferevent *client;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	unsigned char *expected = malloc(CHUNKED_TOTAL);

	memset(&s, 0, sizeof(s));
	s.base = base;
	s.ts = ts;
	s.options = options;
	REQUIRE(http != NULL && expected != NULL);
	for (size_t i = 0; i < CHUNKED_TOTAL; i++)
		expected[i] = tls_pattern_byte(i);
	s.expected_checksum = tls_checksum(TLS_CHECKSUM_START, expected, CHUNKED_TOTAL);
	free(expected);

	evhttp_set_bevcb(http, server_bev, &s);
	evhttp_set_cb(http, "/plain", plain, &s);
	evhttp_set_cb(http, "/chunked", chunked, &s);
	evhttp_set_cb(http, "/echo", echo, &s);
	bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	REQUIRE(bound != NULL);
	getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sin, &len);

	client = bufferevent_mbedtls_socket_new(base, -1, tls_client_context(ts, NULL),
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE | options);
	REQUIRE(client != NULL);
	evcon = evhttp_connection_base_bufferevent_new(base, NULL, client, "127.0.0.1",
	    ntohs(sin.sin_port));
	REQUIRE(evcon != NULL);
	CHECK(evhttp_connection_get_bufferevent(evcon) == client);

	request(&s, evcon, EVHTTP_REQ_GET, "/plain", NULL);
	request(&s, evcon, EVHTTP_REQ_GET, "/plain", NULL);
	request(&s, evcon, EVHTTP_REQ_GET, "/chunked", NULL);
	request(&s, evcon, EVHTTP_REQ_POST, "/echo", "posted body");
	request(&s, evcon, EVHTTP_REQ_GET, "/missing", NULL);
	CHECK(event_base_dispatch(base) >= 0);

	CHECK_INT_EQ(s.answered, REQUESTS);
	CHECK_INT_EQ(s.connections, 1);
	CHECK_INT_EQ(s.served, 4);
	CHECK_INT_EQ(s.codes[0], HTTP_OK);
	CHECK_INT_EQ(s.codes[1], HTTP_OK);
	CHECK_INT_EQ(s.codes[2], HTTP_OK);
	CHECK_INT_EQ(s.codes[3], HTTP_OK);
	CHECK_INT_EQ(s.codes[4], HTTP_NOTFOUND);
	CHECK_UINT_EQ(s.body_lengths[0], strlen("hello over mbedtls 1"));
	CHECK_UINT_EQ(s.body_lengths[1], strlen("hello over mbedtls 2"));
	CHECK_UINT_EQ(s.body_lengths[2], CHUNKED_TOTAL);
	CHECK(s.chunked_header);
	CHECK_UINT_EQ(s.chunked_checksum, s.expected_checksum);
	CHECK(s.echo_ok);

	evhttp_connection_free(evcon);
	evhttp_free(http);
	/* Let the finalizers of the freed bufferevents run. */
	event_base_loop(base, EVLOOP_NONBLOCK);
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct tls_setup *ts = tls_setup_new();
	signal(SIGPIPE, SIG_IGN);
	REQUIRE(base != NULL);
	REQUIRE(ts != NULL);
	run(base, ts, 0);
	run(base, ts, BEV_OPT_DEFER_CALLBACKS);
	/* The base first: it finalizes freed bufferevents, whose contexts use the setup's
	 * configurations. */
	event_base_free(base);
	tls_setup_destroy(ts);
	return check_report();
}
