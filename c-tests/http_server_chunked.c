/* Streamed replies: evhttp_send_reply_start / evhttp_send_reply_chunk /
 * evhttp_send_reply_chunk_with_cb / evhttp_send_reply_end from timers after the handler
 * returned. For HTTP/1.1: "Transfer-Encoding: chunked" and the chunk framing on the wire
 * (lower-case hex sizes, empty chunks skipped, the "0" chunk at the end), the connection
 * kept; a handler's own Content-Length turns chunking off. For HTTP/1.0: the data as it
 * is, and the connection closed at the end. HEAD: no chunks at all. The write callback of
 * chunk_with_cb. A request owned with evhttp_request_own and answered later. A client
 * that goes away while a reply is pending (plain or streamed): the connection's close
 * callback runs, nothing crashes, and the server goes on serving. */
// test: link event_core event_extra
#include <sys/queue.h>

#include <event2/buffer.h>
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
static ev_uint16_t port;

/* A reply sent piece by piece from a timer. */
struct stream {
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct event *timer;
	int step;
	int steps;       /* "more" chunks to send before the end (0: until told) */
	int write_cbs;   /* chunk_with_cb callbacks */
	void *write_cb_arg;
	struct evhttp_connection *write_cb_evcon;
	int closed;      /* the connection's close callback ran */
	int ended;
	int set_length;  /* the handler sets Content-Length: 10 itself */
	int plain;       /* reply later with evhttp_send_reply instead */
	int owned;
	int hold;        /* the handler does not start the timer */
};

static struct stream st;

static void chunk_written_cb(struct evhttp_connection *evcon, void *arg)
{
	st.write_cbs++;
	st.write_cb_arg = arg;
	st.write_cb_evcon = evcon;
}

static void send_text(struct evhttp_request *req, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, text, strlen(text));
	evhttp_send_reply_chunk(req, b);
	/* The chunk's data was taken, or left when there was nothing to send. */
	evbuffer_free(b);
}

static void step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evbuffer *b;
	(void)fd;
	(void)what;
	(void)arg;
	if (st.plain) {
		evbuffer_add_printf(evhttp_request_get_output_buffer(st.req), "later");
		evhttp_send_reply(st.req, HTTP_OK, "Later", NULL);
		st.ended = 1;
		return;
	}
	switch (st.step++) {
	case 0:
		send_text(st.req, "hello");
		break;
	case 1:
		/* An empty chunk would end the body: it is skipped. */
		send_text(st.req, "");
		break;
	case 2:
		b = evbuffer_new();
		evbuffer_add(b, "abcdefghijklmnopqrstuvwxyz", 26);
		evhttp_send_reply_chunk_with_cb(st.req, b, chunk_written_cb, &st);
		evbuffer_free(b);
		break;
	default:
		if (st.steps && st.step > 3 + st.steps) {
			evhttp_send_reply_end(st.req);
			st.ended = 1;
			return;
		}
		send_text(st.req, "more");
		break;
	}
	event_add(st.timer, &(struct timeval){0, 5000});
}

static void conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	CHECK(arg == &st);
	st.closed++;
}

static void stream_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	st.req = req;
	st.evcon = evhttp_request_get_connection(req);
	evhttp_connection_set_closecb(st.evcon, conn_closed_cb, &st);
	if (st.owned) {
		evhttp_request_own(req);
		CHECK(evhttp_request_is_owned(req));
	}
	if (!st.plain) {
		if (st.set_length)
			evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Length",
			    "35");
		evhttp_send_reply_start(req, HTTP_OK, "Streaming");
	}
	if (!st.hold)
		event_add(st.timer, &(struct timeval){0, 5000});
}

static void hello_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "hi");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void reset_stream(int steps)
{
	struct event *timer = st.timer;
	memset(&st, 0, sizeof(st));
	st.timer = timer;
	st.steps = steps;
}

/* The server still answers on a new connection. */
static void check_server_alive(void)
{
	struct resp r;
	raw_roundtrip(base, port, "GET /hello HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 200);
	CHECK_STR_EQ(r.body, "hi");
	resp_free(&r);
}

static void test_chunked_11(void)
{
	struct raw_conn c;
	struct resp r;
	const char *body;
	const char *want_body = "5\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
	    "4\r\nmore\r\n0\r\n\r\n";

	reset_stream(1);
	raw_open(&c, port);
	raw_send(base, &c, "GET /stream HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK(raw_wait_str(base, &c, "0\r\n\r\n", HTTP_WAIT_MS));
	CHECK(st.ended);
	/* Headers: Transfer-Encoding first (added by reply_start), no Content-Length. */
	CHECK(resp_parse(c.data, c.len, 0, 0, &r) > 0);
	CHECK_INT_EQ(r.code, 200);
	CHECK_STR_EQ(r.reason, "Streaming");
	CHECK_INT_EQ(r.nheaders, 3);
	CHECK_STR_EQ(r.keys[0], "Transfer-Encoding");
	CHECK_STR_EQ(r.values[0], "chunked");
	CHECK_STR_EQ(r.keys[1], "Date");
	CHECK_STR_EQ(r.keys[2], "Content-Type");
	CHECK(resp_header(&r, "Content-Length") == NULL);
	CHECK_STR_EQ(r.body, "helloabcdefghijklmnopqrstuvwxyzmore");
	resp_free(&r);
	/* The framing on the wire. */
	body = strstr(c.data, "\r\n\r\n");
	REQUIRE(body != NULL);
	CHECK_STR_EQ(body + 4, want_body);
	/* The write callback ran once the chunk was written, with its argument and the
	 * connection. */
	CHECK_INT_EQ(st.write_cbs, 1);
	CHECK(st.write_cb_arg == &st);
	CHECK(st.write_cb_evcon == st.evcon);
	/* The connection stays open for the next request. */
	raw_consume(&c, c.len);
	pump(base, &c, 30);
	CHECK(!c.eof);
	CHECK_INT_EQ(st.closed, 0);
	raw_send(base, &c, "GET /hello HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &c, 0, &r));
	CHECK_STR_EQ(r.body, "hi");
	resp_free(&r);
	raw_close(&c);
	/* Closing the client frees the idle server connection. */
	run_for(base, 50);
	CHECK_INT_EQ(st.closed, 1);
}

static void test_own_length(void)
{
	struct raw_conn c;
	struct resp r;

	/* The handler's Content-Length: no chunking, the data as it is. */
	reset_stream(1);
	st.set_length = 1;
	raw_open(&c, port);
	raw_send(base, &c, "GET /stream HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &c, 0, &r));
	CHECK(resp_header(&r, "Transfer-Encoding") == NULL);
	CHECK_STR_EQ(resp_header(&r, "Content-Length"), "35");
	CHECK_STR_EQ(r.body, "helloabcdefghijklmnopqrstuvwxyzmore");
	resp_free(&r);
	for (int i = 0; i < 10 && !st.ended; i++)
		pump(base, &c, 10);
	CHECK(st.ended);
	pump(base, &c, 20);
	CHECK_UINT_EQ(c.len, 0);
	CHECK(!c.eof);
	raw_close(&c);
	run_for(base, 20);
}

static void test_http10(void)
{
	struct raw_conn c;

	/* HTTP/1.0: no chunk framing; the end closes the connection. */
	reset_stream(1);
	raw_open(&c, port);
	raw_send(base, &c, "GET /stream HTTP/1.0\r\n\r\n");
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	CHECK(st.ended);
	CHECK_STR_EQ(c.data, "HTTP/1.0 200 Streaming\r\n"
	    "Content-Type: text/html; charset=ISO-8859-1\r\n\r\n"
	    "helloabcdefghijklmnopqrstuvwxyzmore");
	CHECK_INT_EQ(st.closed, 1);
	raw_close(&c);
}

static void test_head(void)
{
	struct raw_conn c;

	/* HEAD: the headers, and none of the chunks. */
	reset_stream(1);
	raw_open(&c, port);
	raw_send(base, &c, "HEAD /stream HTTP/1.1\r\n\r\n");
	for (int i = 0; i < 100 && !st.ended; i++)
		pump(base, &c, 10);
	CHECK(st.ended);
	pump(base, &c, 30);
	CHECK(strncmp(c.data, "HTTP/1.1 200 Streaming\r\nDate: ", 30) == 0);
	CHECK(strstr(c.data, "GMT\r\n\r\n") != NULL);
	CHECK(strstr(c.data, "GMT\r\n\r\n")[7] == '\0');
	CHECK(strstr(c.data, "chunked") == NULL);
	CHECK(!c.eof);
	raw_close(&c);
	run_for(base, 20);
}

static void test_owned_later(void)
{
	struct raw_conn c;
	struct resp r;

	/* Owned by the program, answered from a timer after the handler returned. */
	reset_stream(0);
	st.plain = 1;
	st.owned = 1;
	raw_open(&c, port);
	raw_send(base, &c, "GET /stream HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &c, 0, &r));
	CHECK_INT_EQ(r.code, 200);
	CHECK_STR_EQ(r.reason, "Later");
	CHECK_STR_EQ(r.body, "later");
	resp_free(&r);
	CHECK(st.ended);
	/* Still usable. */
	raw_send(base, &c, "GET /hello HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &c, 0, &r));
	CHECK_STR_EQ(r.body, "hi");
	resp_free(&r);
	raw_close(&c);
	run_for(base, 20);
}

static void test_client_leaves_plain(void)
{
	struct raw_conn c;

	/* The client goes away before the (not yet sent) reply: replying later must not
	 * crash; the connection is closed. */
	reset_stream(0);
	st.plain = 1;
	st.hold = 1;
	raw_open(&c, port);
	raw_send(base, &c, "GET /stream HTTP/1.1\r\n\r\n");
	for (int i = 0; i < 100 && !st.req; i++)
		pump(base, &c, 10);
	REQUIRE(st.req != NULL);
	CHECK(!st.ended);
	raw_close(&c);
	run_for(base, 30);
	event_active(st.timer, EV_TIMEOUT, 1);
	for (int i = 0; i < 100 && !st.closed; i++)
		run_for(base, 10);
	CHECK(st.ended);
	CHECK_INT_EQ(st.closed, 1);
	check_server_alive();
}

static void test_client_leaves_stream(void)
{
	struct raw_conn c;

	/* The client reads the start of a stream and goes away: the close callback runs
	 * while the stream is going on; further chunks are dropped and the end frees the
	 * request. */
	reset_stream(0);
	raw_open(&c, port);
	raw_send(base, &c, "GET /stream HTTP/1.1\r\n\r\n");
	CHECK(raw_wait_str(base, &c, "hello", HTTP_WAIT_MS));
	raw_close(&c);
	for (int i = 0; i < 300 && !st.closed; i++)
		run_for(base, 10);
	CHECK_INT_EQ(st.closed, 1);
	CHECK(!st.ended);
	event_del(st.timer);
	send_text(st.req, "into the void");
	evhttp_send_reply_end(st.req);
	st.ended = 1;
	run_for(base, 20);
	CHECK_INT_EQ(st.closed, 1);
	check_server_alive();
}

int main(void)
{
	struct evhttp *http;

	base = new_base();
	http = start_server(base, &port, NULL);
	st.timer = evtimer_new(base, step_cb, NULL);
	REQUIRE(st.timer != NULL);
	evhttp_set_cb(http, "/stream", stream_cb, NULL);
	evhttp_set_cb(http, "/hello", hello_cb, NULL);

	test_chunked_11();
	test_own_length();
	test_http10();
	test_head();
	test_owned_later();
	test_client_leaves_plain();
	test_client_leaves_stream();

	event_free(st.timer);
	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
