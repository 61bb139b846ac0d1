/* Client connections that fail and come back: evhttp_connection_set_retries with
 * evhttp_connection_set_initial_retry_tv (a refused connection retried until a server
 * appears on the port; no retry before the first delay; without retries the request
 * fails at once; when retries run out the request callback runs with the request and
 * code 0, without an error callback); a server that closes a kept-alive connection
 * between requests (the client notices, calls the close callback and connects again for
 * the next request, also with EVHTTP_CON_REUSE_CONNECTED_ADDR); the write timeout for a
 * peer that reads nothing; evhttp_connection_set_flags accepting only its public
 * flags. */
// test: link event_core event_extra
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http_support.h"

static struct event_base *base;

struct outcome {
	int done;
	int got_null;
	int code;
	int nerrors;
	int error;
	char body[64];
};

static void request_done(struct evhttp_request *req, void *arg)
{
	struct outcome *o = arg;
	o->done++;
	if (!req) {
		o->got_null = 1;
		return;
	}
	o->code = evhttp_request_get_response_code(req);
	{
		char *b = buffer_text(evhttp_request_get_input_buffer(req));
		copy_text(o->body, sizeof(o->body), b);
		free(b);
	}
}

static void request_error(enum evhttp_request_error err, void *arg)
{
	struct outcome *o = arg;
	o->nerrors++;
	o->error = (int)err;
}

static struct evhttp_request *new_request(struct outcome *o)
{
	struct evhttp_request *req;
	memset(o, 0, sizeof(*o));
	o->code = -1;
	req = evhttp_request_new(request_done, o);
	REQUIRE(req != NULL);
	evhttp_request_set_error_cb(req, request_error);
	return req;
}

static void hello_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "hello");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void test_retry_until_server(void)
{
	ev_uint16_t port = closed_port();
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1",
	    port);
	struct timeval tv = {0, 200000};
	struct outcome o;
	struct evhttp *http;

	/* Refused now; a server comes up on the port before the retry. */
	evhttp_connection_set_retries(evcon, 3);
	evhttp_connection_set_initial_retry_tv(evcon, &tv);
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o), EVHTTP_REQ_GET, "/"), 0);
	run_for(base, 50);
	CHECK_INT_EQ(o.done, 0);
	http = evhttp_new(base);
	REQUIRE(http != NULL);
	evhttp_set_gencb(http, hello_cb, NULL);
	REQUIRE(evhttp_bind_socket(http, "127.0.0.1", port) == 0);
	CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
	CHECK_INT_EQ(o.code, 200);
	CHECK_STR_EQ(o.body, "hello");
	CHECK_INT_EQ(o.nerrors, 0);
	evhttp_connection_free(evcon);
	evhttp_free(http);
}

static void test_retries_run_out(void)
{
	ev_uint16_t port = closed_port();
	struct evhttp_connection *evcon;
	struct timeval tv = {0, 20000};
	struct outcome o, o2;

	/* No retries: the request fails at once. */
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o), EVHTTP_REQ_GET, "/"), 0);
	CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
	CHECK(!o.got_null);
	CHECK_INT_EQ(o.code, 0);
	CHECK_INT_EQ(o.nerrors, 0);
	evhttp_connection_free(evcon);

	/* Two retries 20 ms and 40 ms apart, then the callbacks of every queued request
	 * with their requests. */
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	evhttp_connection_set_retries(evcon, 2);
	evhttp_connection_set_initial_retry_tv(evcon, &tv);
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o), EVHTTP_REQ_GET, "/"), 0);
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o2), EVHTTP_REQ_GET, "/"), 0);
	CHECK(run_until(base, &o2.done, HTTP_WAIT_MS));
	CHECK_INT_EQ(o.done, 1);
	CHECK_INT_EQ(o.code, 0);
	CHECK(!o.got_null);
	CHECK_INT_EQ(o2.code, 0);
	CHECK_INT_EQ(o.nerrors + o2.nerrors, 0);
	evhttp_connection_free(evcon);

	/* A long first delay: nothing happens before it. */
	tv.tv_sec = 10;
	tv.tv_usec = 0;
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	evhttp_connection_set_retries(evcon, 1);
	evhttp_connection_set_initial_retry_tv(evcon, &tv);
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o), EVHTTP_REQ_GET, "/"), 0);
	run_for(base, 200);
	CHECK_INT_EQ(o.done, 0);
	/* Freeing the connection frees the waiting request, without callbacks. */
	evhttp_connection_free(evcon);
	run_for(base, 20);
	CHECK_INT_EQ(o.done, 0);
	CHECK_INT_EQ(o.nerrors, 0);
}

static int closes;

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	(void)arg;
	closes++;
}

/* The server answers one request per connection with keep-alive, then closes. */
static void test_server_closes(int flags)
{
	ev_uint16_t port;
	evutil_socket_t lfd = raw_listen(&port);
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL,
	    flags ? "localhost" : "127.0.0.1", port);
	struct outcome o;
	struct raw_conn c;

	if (flags)
		evhttp_connection_set_family(evcon, AF_INET);
	CHECK_INT_EQ(evhttp_connection_set_flags(evcon, flags), 0);
	evhttp_connection_set_closecb(evcon, on_close, NULL);
	closes = 0;
	for (int i = 0; i < 3; i++) {
		char want[16];
		CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o), EVHTTP_REQ_GET, "/"),
		    0);
		REQUIRE(raw_accept(base, lfd, &c, HTTP_WAIT_MS));
		CHECK(raw_wait_str(base, &c, "\r\n\r\n", HTTP_WAIT_MS));
		snprintf(want, sizeof(want), "n%d", i);
		raw_send(base, &c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
		raw_send(base, &c, want);
		CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
		CHECK_STR_EQ(o.body, want);
		CHECK_INT_EQ(closes, i);
		/* Closed by the server while idle: noticed. */
		raw_close(&c);
		for (int w = 0; w < HTTP_WAIT_MS && closes == i; w += 10)
			run_for(base, 10);
		CHECK_INT_EQ(closes, i + 1);
	}
	evhttp_connection_free(evcon);
	CHECK_INT_EQ(closes, 3);
	evutil_closesocket(lfd);
}

static void test_write_timeout(void)
{
	ev_uint16_t port;
	evutil_socket_t lfd = raw_listen(&port);
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1",
	    port);
	struct timeval tv = {0, 300000};
	struct outcome o;
	struct evhttp_request *req = new_request(&o);
	struct raw_conn c;
	size_t big = 64 * 1024 * 1024;
	char *data = calloc(1, big);

	/* A body far bigger than the socket buffers, to a peer that reads nothing. */
	REQUIRE(data != NULL);
	evhttp_connection_set_timeout_tv(evcon, &tv);
	evbuffer_add(evhttp_request_get_output_buffer(req), data, big);
	free(data);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_POST, "/upload"), 0);
	REQUIRE(raw_accept(base, lfd, &c, HTTP_WAIT_MS));
	CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
	CHECK_INT_EQ(o.nerrors, 1);
	CHECK_INT_EQ(o.error, EVREQ_HTTP_TIMEOUT);
	CHECK(o.got_null);
	raw_close(&c);
	evhttp_connection_free(evcon);
	evutil_closesocket(lfd);
}

static void test_flags(void)
{
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1",
	    80);
	REQUIRE(evcon != NULL);
	CHECK_INT_EQ(evhttp_connection_set_flags(evcon, 0), 0);
	CHECK_INT_EQ(evhttp_connection_set_flags(evcon, EVHTTP_CON_REUSE_CONNECTED_ADDR), 0);
	CHECK_INT_EQ(evhttp_connection_set_flags(evcon, EVHTTP_CON_READ_ON_WRITE_ERROR), 0);
	CHECK_INT_EQ(evhttp_connection_set_flags(evcon,
	    EVHTTP_CON_REUSE_CONNECTED_ADDR | EVHTTP_CON_READ_ON_WRITE_ERROR), 0);
	/* Lingering close is for servers (evhttp_set_flags), not for these; other bits
	 * are refused. */
	CHECK(evhttp_connection_set_flags(evcon, EVHTTP_CON_LINGERING_CLOSE) != 0);
	CHECK(evhttp_connection_set_flags(evcon, 0x1) != 0);
	CHECK(evhttp_connection_set_flags(evcon, EVHTTP_CON_PUBLIC_FLAGS_END) != 0);
	CHECK(evhttp_connection_set_flags(evcon, 0x40000000) != 0);
	evhttp_connection_free(evcon);
}

int main(void)
{
	base = new_base();
	test_retry_until_server();
	test_retries_run_out();
	test_server_closes(0);
	test_server_closes(EVHTTP_CON_REUSE_CONNECTED_ADDR);
	test_write_timeout();
	test_flags();
	event_base_free(base);
	return check_report();
}
