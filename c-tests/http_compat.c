/* The 1.x-style entry points of evhttp: evhttp_start (a server on the current base,
 * from event_init), evhttp_connection_new (a client connection on the current base),
 * evhttp_connection_set_base moving an unused connection to another base, and a
 * request answered through them. */
// test: link event
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/http.h>
#include <event2/http_compat.h>
#include <event2/util.h>
#include <event.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "http_support.h"

static int served, answered, answered_code;

static void handler(struct evhttp_request *req, void *arg)
{
	(void)arg;
	served++;
	evbuffer_add(evhttp_request_get_output_buffer(req), "compat", 6);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void done(struct evhttp_request *req, void *arg)
{
	struct event_base *base = arg;
	answered++;
	if (req) {
		answered_code = evhttp_request_get_response_code(req);
		CHECK_INT_EQ(evbuffer_get_length(evhttp_request_get_input_buffer(req)), 6);
	}
	event_base_loopexit(base, NULL);
}

static void note_port(struct evhttp_bound_socket *bound, void *arg)
{
	*(ev_uint16_t *)arg = socket_port(evhttp_bound_socket_get_fd(bound));
}

int main(void)
{
	struct event_base *current = event_init();
	struct event_base *other;
	struct evhttp *http;
	struct evhttp_connection *evcon;
	struct evhttp_request *req;
	ev_uint16_t port = 0;
	struct timeval limit = {5, 0};

	REQUIRE(current != NULL);
	http = evhttp_start("127.0.0.1", 0);
	REQUIRE(http != NULL);
	evhttp_foreach_bound_socket(http, note_port, &port);
	CHECK(port != 0);
	evhttp_set_gencb(http, handler, NULL);

	/* A client on the current base (libevent 2.1's evhttp_connection_get_base then
	 * answers NULL, evrs the current base: not checked). */
	evcon = evhttp_connection_new("127.0.0.1", port);
	REQUIRE(evcon != NULL);
	req = evhttp_request_new(done, current);
	REQUIRE(req != NULL);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/"), 0);
	event_base_loopexit(current, &limit);
	event_dispatch();
	CHECK_INT_EQ(served, 1);
	CHECK_INT_EQ(answered, 1);
	CHECK_INT_EQ(answered_code, 200);
	evhttp_connection_free(evcon);

	/* An unused connection moved to another base runs there. */
	other = event_base_new();
	REQUIRE(other != NULL);
	evcon = evhttp_connection_new("127.0.0.1", port);
	REQUIRE(evcon != NULL);
	evhttp_connection_set_base(evcon, other);
	CHECK(evhttp_connection_get_base(evcon) == other);
	req = evhttp_request_new(done, other);
	REQUIRE(req != NULL);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/again"), 0);
	/* The server runs on the current base, the client on the other: alternate. */
	for (int i = 0; i < 200 && answered < 2; i++) {
		event_base_loop(current, EVLOOP_NONBLOCK);
		event_base_loop(other, EVLOOP_NONBLOCK);
		usleep(10000);
	}
	CHECK_INT_EQ(served, 2);
	CHECK_INT_EQ(answered, 2);
	CHECK_INT_EQ(answered_code, 200);
	evhttp_connection_free(evcon);
	event_base_free(other);

	evhttp_free(http);
	event_base_free(current);
	return check_report();
}
