/* WebSockets on an evhttp server, from a raw client: the handshake answered by
 * evws_new_session (101 with Upgrade, Connection, the Sec-WebSocket-Accept of RFC 6455's
 * example key and of another, the protocol echoed, a Date; refused with 400 without
 * Upgrade, Connection or key, the connection then still usable); text and binary
 * messages from masked frames of every length form delivered to the
 * message callback with their type; evws_send answering with unmasked text frames
 * (7-bit and 16-bit lengths); a message in several frames reassembled (libevent's way:
 * every frame carries the data opcode); several frames in one write and a frame split
 * over writes; a ping and a pong in between that change nothing; the client's close
 * frame answered with a close frame and the connection closed; evws_close with a code
 * (the frame, the connection closed after it, the close callback);
 * evws_connection_set_closecb, evws_connection_get_bufferevent, evws_connection_free;
 * evhttp_get_connection_count counting sessions; evhttp_free ending the sessions left. */
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
#include <event2/ws.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http_support.h"

static struct event_base *base;
static ev_uint16_t port;

/* The server's view of the sessions. */
struct server {
	int sessions;        /* evws_new_session succeeded */
	int refused;         /* ... returned NULL */
	int messages;
	int last_type;
	size_t last_len;
	unsigned char last[70000];
	int closes;
	void *close_arg;
	struct evws_connection *last_evws;
	struct evws_connection *closed_evws;
	int bev_ok;
};

static struct server srv;

static void on_close(struct evws_connection *evws, void *arg)
{
	srv.closes++;
	srv.close_arg = arg;
	srv.closed_evws = evws;
}

/* Echoes text; answers binary with its length; "close" makes the server close with
 * 4000; "quiet" is not answered. */
static void on_msg(struct evws_connection *evws, int type, const unsigned char *data,
    size_t len, void *arg)
{
	char reply[64];
	CHECK(arg == &srv);
	srv.messages++;
	srv.last_type = type;
	srv.last_len = len;
	if (len <= sizeof(srv.last))
		memcpy(srv.last, data, len);
	if (type == WS_TEXT_FRAME && len == 5 && !memcmp(data, "close", 5)) {
		evws_close(evws, 4000);
		return;
	}
	if (type == WS_TEXT_FRAME && len == 5 && !memcmp(data, "quiet", 5))
		return;
	if (type == WS_BINARY_FRAME) {
		snprintf(reply, sizeof(reply), "binary %zu", len);
		evws_send(evws, reply, strlen(reply));
		return;
	}
	evws_send(evws, (const char *)data, len);
}

static void ws_cb(struct evhttp_request *req, void *arg)
{
	struct evws_connection *evws = evws_new_session(req, on_msg, &srv, 0);
	(void)arg;
	if (!evws) {
		srv.refused++;
		return;
	}
	srv.sessions++;
	srv.last_evws = evws;
	srv.bev_ok = evws_connection_get_bufferevent(evws) != NULL;
	evws_connection_set_closecb(evws, on_close, &srv);
}

static void hello_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "hello");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* Opens a session with the given key; returns 1 if the 101 came. */
static int open_session(struct raw_conn *c, const char *key, struct resp *r)
{
	raw_open(c, port);
	ws_handshake(base, c, key, "");
	return raw_read_response(base, c, 0, r) && r->code == 101;
}

static void test_handshake(void)
{
	struct raw_conn c;
	struct resp r;

	memset(&srv, 0, sizeof(srv));
	CHECK(open_session(&c, "dGhlIHNhbXBsZSBub25jZQ==", &r));
	CHECK_INT_EQ(r.major, 1);
	CHECK_INT_EQ(r.minor, 1);
	CHECK_STR_EQ(r.reason, "Switching Protocols");
	CHECK_STR_EQ(resp_header(&r, "Upgrade"), "websocket");
	CHECK_STR_EQ(resp_header(&r, "Connection"), "Upgrade");
	CHECK_STR_EQ(resp_header(&r, "Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	CHECK(resp_header(&r, "Date") != NULL);
	/* No body, so no Content-Length or Content-Type. */
	CHECK(resp_header(&r, "Content-Length") == NULL);
	CHECK(resp_header(&r, "Content-Type") == NULL);
	CHECK(resp_header(&r, "Sec-WebSocket-Protocol") == NULL);
	CHECK_INT_EQ(r.nheaders, 4);
	CHECK_STR_EQ(r.keys[0], "Upgrade");
	CHECK_STR_EQ(r.keys[1], "Connection");
	CHECK_STR_EQ(r.keys[2], "Sec-WebSocket-Accept");
	CHECK_STR_EQ(r.keys[3], "Date");
	resp_free(&r);
	CHECK_UINT_EQ(c.len, 0);
	CHECK_INT_EQ(srv.sessions, 1);
	CHECK(srv.bev_ok);
	raw_close(&c);
	run_for(base, 30);
	/* The client went away: the session ends. */
	CHECK_INT_EQ(srv.closes, 1);
	CHECK(srv.close_arg == &srv);
	CHECK(srv.closed_evws == srv.last_evws);

	/* Another key; a protocol is echoed; header names in any case. */
	raw_open(&c, port);
	raw_send(base, &c, "GET /ws HTTP/1.1\r\nupgrade: WebSocket\r\nconnection: upgrade\r\n"
	    "sec-websocket-key: x3JJHMbDL1EzLkh9GBhXDw==\r\n"
	    "Sec-WebSocket-Protocol: chat\r\n\r\n");
	CHECK(raw_read_response(base, &c, 0, &r));
	CHECK_INT_EQ(r.code, 101);
	CHECK_STR_EQ(resp_header(&r, "Sec-WebSocket-Accept"), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
	CHECK_STR_EQ(resp_header(&r, "Sec-WebSocket-Protocol"), "chat");
	resp_free(&r);
	raw_close(&c);
	run_for(base, 30);
	CHECK_INT_EQ(srv.sessions, 2);
	CHECK_INT_EQ(srv.closes, 2);
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nSec-WebSocket-Key: a2V5\r\n\r\n",
		"GET /ws HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Key: a2V5\r\n\r\n",
		"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Key: a2V5\r\n\r\n",
		"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: close\r\n"
		    "Sec-WebSocket-Key: a2V5\r\n\r\n",
		"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
		"GET /ws HTTP/1.1\r\n\r\n",
	};
	memset(&srv, 0, sizeof(srv));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct raw_conn c;
		struct resp r;
		raw_open(&c, port);
		raw_send(base, &c, bad[i]);
		CHECK(raw_read_response(base, &c, 0, &r));
		CHECK_INT_EQ(r.code, 400);
		CHECK_STR_EQ(r.reason, "Bad Request");
		CHECK(resp_header(&r, "Sec-WebSocket-Accept") == NULL);
		resp_free(&r);
		raw_close(&c);
	}
	CHECK_INT_EQ(srv.refused, 6);
	CHECK_INT_EQ(srv.sessions, 0);
	/* An ordinary HTTP connection after a refusal goes on. */
	{
		struct raw_conn c;
		struct resp r;
		raw_open(&c, port);
		raw_send(base, &c, "GET /ws HTTP/1.1\r\n\r\n");
		CHECK(raw_read_response(base, &c, 0, &r));
		CHECK_INT_EQ(r.code, 400);
		resp_free(&r);
		raw_send(base, &c, "GET /hello HTTP/1.1\r\n\r\n");
		CHECK(raw_read_response(base, &c, 0, &r));
		CHECK_INT_EQ(r.code, 200);
		CHECK_STR_EQ(r.body, "hello");
		resp_free(&r);
		raw_close(&c);
	}
}

static void test_messages(void)
{
	struct raw_conn c;
	struct resp r;
	struct ws_msg m;
	unsigned char *big = malloc(65535);
	unsigned char buf[256];
	size_t n;

	REQUIRE(big != NULL);
	memset(&srv, 0, sizeof(srv));
	REQUIRE(open_session(&c, "dGhlIHNhbXBsZSBub25jZQ==", &r));
	resp_free(&r);

	/* Text, echoed in an unmasked final text frame. */
	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, "Hello", 5);
	CHECK(ws_read(base, &c, &m));
	CHECK_INT_EQ(m.opcode, WS_TEXT_FRAME);
	CHECK(m.fin);
	CHECK(!m.masked);
	CHECK_STR_EQ((char *)m.data, "Hello");
	ws_msg_free(&m);
	CHECK_INT_EQ(srv.last_type, WS_TEXT_FRAME);
	CHECK_UINT_EQ(srv.last_len, 5);
	/* The exact bytes of the answer. */
	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, "abc", 3);
	CHECK(raw_wait_len(base, &c, 5, HTTP_WAIT_MS));
	CHECK_UINT_EQ(c.len, 5);
	CHECK_MEM_EQ(c.data, "\x81\x03" "abc", 5);
	raw_consume(&c, c.len);

	/* An empty message. */
	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, "", 0);
	CHECK(ws_read(base, &c, &m));
	CHECK_UINT_EQ(m.len, 0);
	ws_msg_free(&m);
	CHECK_UINT_EQ(srv.last_len, 0);

	/* Binary, with every byte value. */
	for (int i = 0; i < 256; i++)
		buf[i] = (unsigned char)i;
	ws_send_frame(base, &c, WS_BINARY_FRAME, 1, 1, buf, 256);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "binary 256");
	ws_msg_free(&m);
	CHECK_INT_EQ(srv.last_type, WS_BINARY_FRAME);
	CHECK_MEM_EQ(srv.last, buf, 256);

	/* Lengths at the edges of the forms: 125, 126 and 65535 (16-bit). */
	memset(big, 'x', 65535);
	{
		static const size_t sizes[] = {125, 126, 1000, 65535};
		for (size_t i = 0; i < 4; i++) {
			ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, big, sizes[i]);
			CHECK(ws_read(base, &c, &m));
			CHECK_UINT_EQ(m.len, sizes[i]);
			CHECK_INT_EQ(m.opcode, WS_TEXT_FRAME);
			CHECK(m.len == sizes[i] && memchr(m.data, 'y', m.len) == NULL);
			ws_msg_free(&m);
		}
		/* The server's length forms. */
		ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, big, 126);
		CHECK(raw_wait_len(base, &c, 4 + 126, HTTP_WAIT_MS));
		CHECK_MEM_EQ(c.data, "\x81\x7e\x00\x7e", 4);
		raw_consume(&c, c.len);
		ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, big, 65535);
		CHECK(raw_wait_len(base, &c, 4 + 65535, HTTP_WAIT_MS));
		CHECK_MEM_EQ(c.data, "\x81\x7e\xff\xff", 4);
		raw_consume(&c, c.len);
	}

	/* A message in three frames: one callback with all of it, the type of the last
	 * frame. */
	srv.messages = 0;
	ws_send_frame(base, &c, WS_TEXT_FRAME, 0, 1, "frag", 4);
	ws_send_frame(base, &c, WS_TEXT_FRAME, 0, 1, "men", 3);
	pump(base, &c, 30);
	CHECK_INT_EQ(srv.messages, 0);
	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, "ted", 3);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "fragmented");
	ws_msg_free(&m);
	CHECK_INT_EQ(srv.messages, 1);
	ws_send_frame(base, &c, WS_BINARY_FRAME, 0, 1, "ab", 2);
	ws_send_frame(base, &c, WS_BINARY_FRAME, 1, 1, "cd", 2);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "binary 4");
	ws_msg_free(&m);
	CHECK_MEM_EQ(srv.last, "abcd", 4);

	/* Several frames in one write, each its own message, in order. */
	n = ws_frame(buf, sizeof(buf), WS_TEXT_FRAME, 1, 1, "one", 3);
	n += ws_frame(buf + n, sizeof(buf) - n, WS_TEXT_FRAME, 1, 1, "two", 3);
	n += ws_frame(buf + n, sizeof(buf) - n, WS_TEXT_FRAME, 1, 1, "three", 5);
	raw_write(base, &c, buf, n);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "one");
	ws_msg_free(&m);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "two");
	ws_msg_free(&m);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "three");
	ws_msg_free(&m);

	/* A frame split over writes, inside the header and inside the payload. */
	n = ws_frame(buf, sizeof(buf), WS_TEXT_FRAME, 1, 1, "split message", 13);
	srv.messages = 0;
	raw_write(base, &c, buf, 1);
	pump(base, &c, 20);
	raw_write(base, &c, buf + 1, 4);
	pump(base, &c, 20);
	raw_write(base, &c, buf + 5, 6);
	pump(base, &c, 20);
	CHECK_INT_EQ(srv.messages, 0);
	raw_write(base, &c, buf + 11, n - 11);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "split message");
	ws_msg_free(&m);

	/* Ping and pong frames are not messages, and the session goes on. */
	srv.messages = 0;
	ws_send_frame(base, &c, 0x9, 1, 1, "ping", 4);
	ws_send_frame(base, &c, 0xA, 1, 1, "pong", 4);
	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, "after", 5);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "after");
	ws_msg_free(&m);
	CHECK_INT_EQ(srv.messages, 1);
	/* A ping in the middle of a fragmented message. */
	ws_send_frame(base, &c, WS_TEXT_FRAME, 0, 1, "in", 2);
	ws_send_frame(base, &c, 0x9, 1, 1, "", 0);
	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, "terleaved", 9);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "interleaved");
	ws_msg_free(&m);
	CHECK_INT_EQ(srv.closes, 0);

	/* The client closes: a close frame back, then the connection is closed and the
	 * close callback runs. */
	ws_send_frame(base, &c, 0x8, 1, 1, "\x03\xe8", 2);
	CHECK(ws_read(base, &c, &m));
	CHECK_INT_EQ(m.opcode, 0x8);
	CHECK(m.fin);
	CHECK(!m.masked);
	ws_msg_free(&m);
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	run_for(base, 20);
	CHECK_INT_EQ(srv.closes, 1);
	raw_close(&c);
	free(big);
}

static void test_server_close(struct evhttp *http)
{
	struct raw_conn c, c2;
	struct resp r;
	struct ws_msg m;

	/* evws_close with a code: the close frame carries it, then the connection is
	 * closed and the close callback runs. */
	memset(&srv, 0, sizeof(srv));
	REQUIRE(open_session(&c, "dGhlIHNhbXBsZSBub25jZQ==", &r));
	resp_free(&r);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 1);
	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, "close", 5);
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	CHECK_UINT_EQ(c.len, 4);
	CHECK_MEM_EQ(c.data, "\x88\x02\x0f\xa0", 4);
	run_for(base, 20);
	CHECK_INT_EQ(srv.closes, 1);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 0);
	raw_close(&c);

	/* evws_connection_free (outside the callbacks: libevent 2.2.1 goes on using a
	 * session freed in its message callback): the close callback runs and the
	 * connection is closed without a close frame. */
	memset(&srv, 0, sizeof(srv));
	REQUIRE(open_session(&c, "dGhlIHNhbXBsZSBub25jZQ==", &r));
	resp_free(&r);
	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, "quiet", 5);
	CHECK(run_until(base, &srv.messages, HTTP_WAIT_MS));
	evws_connection_free(srv.last_evws);
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	CHECK_UINT_EQ(c.len, 0);
	CHECK_INT_EQ(srv.closes, 1);
	raw_close(&c);

	/* Sending from outside a callback, then evws_close from outside. */
	memset(&srv, 0, sizeof(srv));
	REQUIRE(open_session(&c, "dGhlIHNhbXBsZSBub25jZQ==", &r));
	resp_free(&r);
	evws_send(srv.last_evws, "pushed", 6);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "pushed");
	ws_msg_free(&m);
	evws_close(srv.last_evws, WS_CR_NORMAL);
	/* A second close does nothing. */
	evws_close(srv.last_evws, WS_CR_PROTO_ERR);
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	CHECK_UINT_EQ(c.len, 4);
	CHECK_MEM_EQ(c.data, "\x88\x02\x03\xe8", 4);
	run_for(base, 20);
	CHECK_INT_EQ(srv.closes, 1);
	raw_close(&c);

	/* Two sessions left open when the server is freed: both end, with their close
	 * callbacks, and the connections are closed. */
	memset(&srv, 0, sizeof(srv));
	REQUIRE(open_session(&c, "dGhlIHNhbXBsZSBub25jZQ==", &r));
	resp_free(&r);
	REQUIRE(open_session(&c2, "x3JJHMbDL1EzLkh9GBhXDw==", &r));
	resp_free(&r);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 2);
	evhttp_free(http);
	CHECK_INT_EQ(srv.closes, 2);
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	CHECK(raw_wait_eof(base, &c2, HTTP_WAIT_MS));
	raw_close(&c);
	raw_close(&c2);
}

int main(void)
{
	struct evhttp *http;

	CHECK_INT_EQ(WS_CR_NONE, 0);
	CHECK_INT_EQ(WS_CR_NORMAL, 1000);
	CHECK_INT_EQ(WS_CR_PROTO_ERR, 1002);
	CHECK_INT_EQ(WS_CR_DATA_TOO_BIG, 1009);
	CHECK_INT_EQ(WS_TEXT_FRAME, 1);
	CHECK_INT_EQ(WS_BINARY_FRAME, 2);

	base = new_base();
	http = start_server(base, &port, NULL);
	evhttp_set_cb(http, "/ws", ws_cb, NULL);
	evhttp_set_cb(http, "/hello", hello_cb, NULL);

	test_handshake();
	test_refused();
	test_messages();
	test_server_close(http);

	event_base_free(base);
	return check_report();
}
