/* Client features libevent 2.2 added: evhttp_connection_set_connect_timeout_tv (a
 * connection stuck in connect, to a listener whose backlog is full, fails the request:
 * its callback runs with the request and code 0; evhttp_connection_set_timeout_tv does
 * not cover connecting), evhttp_connection_set_read_timeout_tv and
 * evhttp_connection_set_write_timeout_tv (EVREQ_HTTP_TIMEOUT), Content-Length sent for
 * a body with any method that may have one (GET, DELETE, PATCH, OPTIONS, WebDAV),
 * evhttp_connection_set_ext_method_cmp (an extended method on the request line, with or
 * without a body). */
// test: requires 2.2
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
};

static void request_done(struct evhttp_request *req, void *arg)
{
	struct outcome *o = arg;
	o->done++;
	if (!req)
		o->got_null = 1;
	else
		o->code = evhttp_request_get_response_code(req);
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

/* A listener with a full backlog: further connections hang in connect. */
static evutil_socket_t full_listener(ev_uint16_t *port, evutil_socket_t fillers[2])
{
	struct sockaddr_in sin;
	evutil_socket_t l = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(l >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(l, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(listen(l, 0) == 0);
	*port = socket_port(l);
	sin.sin_port = htons(*port);
	for (int i = 0; i < 2; i++) {
		fillers[i] = socket(AF_INET, SOCK_STREAM, 0);
		evutil_make_socket_nonblocking(fillers[i]);
		connect(fillers[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	return l;
}

static void test_connect_timeout(void)
{
	ev_uint16_t port;
	evutil_socket_t fillers[2];
	evutil_socket_t l = full_listener(&port, fillers);
	struct evhttp_connection *evcon;
	struct timeval tv = {0, 200000};
	struct outcome o;

	/* Connecting takes longer than the connect timeout: the request fails, its
	 * callback gets it (code 0) and there is no error callback. */
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	evhttp_connection_set_connect_timeout_tv(evcon, &tv);
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o), EVHTTP_REQ_GET, "/"), 0);
	CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
	CHECK(!o.got_null);
	CHECK_INT_EQ(o.code, 0);
	CHECK_INT_EQ(o.nerrors, 0);
	evhttp_connection_free(evcon);

	/* The read/write timeout does not limit connecting... */
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	evhttp_connection_set_timeout_tv(evcon, &tv);
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o), EVHTTP_REQ_GET, "/"), 0);
	run_for(base, 600);
	CHECK_INT_EQ(o.done, 0);
	/* ... and a connect timeout set while connecting applies at once. */
	evhttp_connection_set_connect_timeout_tv(evcon, &tv);
	CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
	CHECK_INT_EQ(o.code, 0);
	evhttp_connection_free(evcon);

	evutil_closesocket(fillers[0]);
	evutil_closesocket(fillers[1]);
	evutil_closesocket(l);
}

static void test_read_write_timeouts(void)
{
	ev_uint16_t port;
	evutil_socket_t lfd = raw_listen(&port);
	struct evhttp_connection *evcon;
	struct timeval tv = {0, 200000};
	struct outcome o;
	struct raw_conn c;
	struct evhttp_request *req;
	size_t big = 64 * 1024 * 1024;
	char *data;

	/* No answer within the read timeout. */
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	evhttp_connection_set_read_timeout_tv(evcon, &tv);
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o), EVHTTP_REQ_GET, "/"), 0);
	REQUIRE(raw_accept(base, lfd, &c, HTTP_WAIT_MS));
	CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
	CHECK_INT_EQ(o.nerrors, 1);
	CHECK_INT_EQ(o.error, EVREQ_HTTP_TIMEOUT);
	CHECK(o.got_null);
	raw_close(&c);
	evhttp_connection_free(evcon);

	/* A peer that takes nothing within the write timeout. */
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	evhttp_connection_set_write_timeout_tv(evcon, &tv);
	req = new_request(&o);
	data = calloc(1, big);
	REQUIRE(data != NULL);
	evbuffer_add(evhttp_request_get_output_buffer(req), data, big);
	free(data);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_POST, "/"), 0);
	REQUIRE(raw_accept(base, lfd, &c, HTTP_WAIT_MS));
	CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
	CHECK_INT_EQ(o.nerrors, 1);
	CHECK_INT_EQ(o.error, EVREQ_HTTP_TIMEOUT);
	raw_close(&c);
	evhttp_connection_free(evcon);
	evutil_closesocket(lfd);
}

#define REQ_PURGE (EVHTTP_REQ_MAX << 1)
#define REQ_BREW (EVHTTP_REQ_MAX << 2)

static int ext_method(struct evhttp_ext_method *m)
{
	if (m->method)
		return -1;
	if (m->type == REQ_PURGE) {
		m->method = "PURGE";
		return 0;
	}
	if (m->type == REQ_BREW) {
		m->method = "BREW";
		m->flags = EVHTTP_METHOD_HAS_BODY;
		return 0;
	}
	return -1;
}

static void test_request_lines(void)
{
	static const struct {
		enum evhttp_cmd_type type;
		const char *want;
	} cases[] = {
		{EVHTTP_REQ_GET, "GET /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		{EVHTTP_REQ_DELETE, "DELETE /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		{EVHTTP_REQ_PATCH, "PATCH /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		{EVHTTP_REQ_OPTIONS, "OPTIONS /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		{EVHTTP_REQ_PROPFIND, "PROPFIND /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		{EVHTTP_REQ_PROPPATCH, "PROPPATCH /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		{EVHTTP_REQ_MKCOL, "MKCOL /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		{EVHTTP_REQ_LOCK, "LOCK /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		{EVHTTP_REQ_UNLOCK, "UNLOCK /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		{EVHTTP_REQ_COPY, "COPY /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		{EVHTTP_REQ_MOVE, "MOVE /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		{REQ_BREW, "BREW /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
		/* No body: no Content-Length, and the body is not expected to be sent. */
		{REQ_PURGE, "PURGE /b HTTP/1.1\r\n\r\n"},
	};
	ev_uint16_t port;
	evutil_socket_t lfd = raw_listen(&port);
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1",
	    port);
	struct raw_conn c;
	struct outcome o;

	evhttp_connection_set_ext_method_cmp(evcon, ext_method);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct evhttp_request *req = new_request(&o);
		if (cases[i].type != REQ_PURGE)
			evbuffer_add(evhttp_request_get_output_buffer(req), "body", 4);
		CHECK_INT_EQ(evhttp_make_request(evcon, req, cases[i].type, "/b"), 0);
		if (i == 0)
			REQUIRE(raw_accept(base, lfd, &c, HTTP_WAIT_MS));
		CHECK(raw_wait_str(base, &c, "\r\n\r\n", HTTP_WAIT_MS));
		pump(base, &c, 20);
		CHECK_STR_EQ(c.data, cases[i].want);
		raw_consume(&c, c.len);
		raw_send(base, &c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
		CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
		CHECK_INT_EQ(o.code, 200);
	}
	raw_close(&c);
	evhttp_connection_free(evcon);
	evutil_closesocket(lfd);
}

int main(void)
{
	base = new_base();
	test_connect_timeout();
	test_read_write_timeouts();
	test_request_lines();
	event_base_free(base);
	return check_report();
}
