/* HTTP over a Unix socket, which libevent 2.2 added for clients:
 * evhttp_connection_base_bufferevent_unix_new (with its own bufferevent or a given one)
 * to an evhttp server listening through an AF_UNIX evconnlistener; requests one after
 * the other on the kept-alive connection and queued together; what the server sees of
 * the peer (no host); a socket path too long for sockaddr_un refused; a path where
 * nothing listens failing the request (its callback with code 0). */
// test: requires 2.2
// test: link event_core event_extra
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "check.h"
#include "http_support.h"

static struct event_base *base;
static int server_calls;
static int server_saw_host;

static void server_cb(struct evhttp_request *req, void *arg)
{
	char *body = buffer_text(evhttp_request_get_input_buffer(req));
	(void)arg;
	server_calls++;
	server_saw_host = req->remote_host != NULL;
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "%s %s",
	    evhttp_request_get_uri(req), body);
	evhttp_send_reply(req, HTTP_OK, "Unix", NULL);
	free(body);
}

struct outcome {
	int done;
	int code;
	char body[128];
	int nerrors;
};

static void request_done(struct evhttp_request *req, void *arg)
{
	struct outcome *o = arg;
	o->done++;
	o->code = req ? evhttp_request_get_response_code(req) : -1;
	if (req) {
		char *b = buffer_text(evhttp_request_get_input_buffer(req));
		copy_text(o->body, sizeof(o->body), b);
		free(b);
	}
}

static void request_error(enum evhttp_request_error err, void *arg)
{
	struct outcome *o = arg;
	(void)err;
	o->nerrors++;
}

static struct evhttp_request *new_request(struct outcome *o)
{
	struct evhttp_request *req;
	memset(o, 0, sizeof(*o));
	req = evhttp_request_new(request_done, o);
	REQUIRE(req != NULL);
	evhttp_request_set_error_cb(req, request_error);
	return req;
}

int main(void)
{
	struct sockaddr_un sun;
	struct evconnlistener *listener;
	struct evhttp *http;
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	struct outcome o, o2;
	const char *addr = "x";
	ev_uint16_t peer_port = 1;
	char longpath[sizeof(sun.sun_path) + 8];
	struct evhttp_request *req;

	base = new_base();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/evrs-http-client-%ld.sock",
	    (long)getpid());
	unlink(sun.sun_path);
	listener = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE, -1,
	    (struct sockaddr *)&sun, sizeof(sun));
	REQUIRE(listener != NULL);
	http = evhttp_new(base);
	REQUIRE(http != NULL);
	REQUIRE(evhttp_bind_listener(http, listener) != NULL);
	evhttp_set_gencb(http, server_cb, NULL);

	/* Its own bufferevent. */
	evcon = evhttp_connection_base_bufferevent_unix_new(base, NULL, sun.sun_path);
	REQUIRE(evcon != NULL);
	CHECK(evhttp_connection_get_bufferevent(evcon) != NULL);
	CHECK(evhttp_connection_get_base(evcon) == base);
	/* There is no host and port. */
	evhttp_connection_get_peer(evcon, &addr, &peer_port);
	CHECK(addr == NULL);
	CHECK_INT_EQ(peer_port, 0);

	req = new_request(&o);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "unix");
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/one"), 0);
	CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
	CHECK_INT_EQ(o.code, 200);
	CHECK_STR_EQ(o.body, "/one ");
	CHECK(!server_saw_host);
	/* Again on the same connection, with a body. */
	req = new_request(&o);
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "payload");
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_POST, "/two"), 0);
	CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
	CHECK_STR_EQ(o.body, "/two payload");
	/* Two queued. */
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o), EVHTTP_REQ_GET, "/3"), 0);
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o2), EVHTTP_REQ_GET, "/4"), 0);
	CHECK(run_until(base, &o2.done, HTTP_WAIT_MS));
	CHECK_STR_EQ(o.body, "/3 ");
	CHECK_STR_EQ(o2.body, "/4 ");
	CHECK_INT_EQ(server_calls, 4);
	evhttp_connection_free(evcon);

	/* A bufferevent given by the program. */
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	evcon = evhttp_connection_base_bufferevent_unix_new(base, bev, sun.sun_path);
	REQUIRE(evcon != NULL);
	CHECK(evhttp_connection_get_bufferevent(evcon) == bev);
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o), EVHTTP_REQ_GET, "/five"), 0);
	CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
	CHECK_STR_EQ(o.body, "/five ");
	evhttp_connection_free(evcon);

	/* A path that does not fit in sockaddr_un. */
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK(evhttp_connection_base_bufferevent_unix_new(base, NULL, longpath) == NULL);
	longpath[sizeof(sun.sun_path)] = '\0';
	CHECK(evhttp_connection_base_bufferevent_unix_new(base, NULL, longpath) == NULL);

	/* Nothing listening there: the request fails. */
	evcon = evhttp_connection_base_bufferevent_unix_new(base, NULL,
	    "/tmp/evrs-http-client-nothing-here.sock");
	REQUIRE(evcon != NULL);
	CHECK_INT_EQ(evhttp_make_request(evcon, new_request(&o), EVHTTP_REQ_GET, "/"), 0);
	CHECK(run_until(base, &o.done, HTTP_WAIT_MS));
	CHECK_INT_EQ(o.code, 0);
	CHECK_INT_EQ(o.nerrors, 0);
	evhttp_connection_free(evcon);
	CHECK_INT_EQ(server_calls, 5);

	evhttp_free(http);
	unlink(sun.sun_path);
	event_base_free(base);
	return check_report();
}
