/* WebSocket behaviour libevent 2.2.1 gets wrong, done as RFC 6455 and the API promise
 * have it: a client frame with a 64-bit length (libevent reads only two of its bytes),
 * evws_send of more than 65535 bytes (libevent leaves the 64-bit length zero), a message
 * fragmented with continuation frames (libevent closes the session on the final
 * continuation frame), a frame that arrives in the same write as the handshake
 * (libevent leaves it unread until more data comes), and evws_connection_free called
 * from the message callback (libevent goes on using the freed session); and an
 * unmasked client frame closes the session with 1002 (libevent takes it). */
// test: evrs-only libevent 2.2.1 mishandles 64-bit frame lengths, final continuation frames, frames sent with the handshake, a session freed in its callback and unmasked client frames
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
static int messages, last_type, closes;
static size_t last_len;
static struct evws_connection *session;

static void on_close(struct evws_connection *evws, void *arg)
{
	(void)evws;
	(void)arg;
	closes++;
	session = NULL;
}

/* Echoes short messages; answers long ones with their length; frees the session on
 * "free". */
static void on_msg(struct evws_connection *evws, int type, const unsigned char *data,
    size_t len, void *arg)
{
	char reply[64];
	(void)arg;
	messages++;
	last_type = type;
	last_len = len;
	if (len == 4 && !memcmp(data, "free", 4)) {
		evws_connection_free(evws);
		return;
	}
	if (len > 1000) {
		int ok = 1;
		for (size_t i = 0; i < len; i++)
			ok &= data[i] == (unsigned char)(i % 251);
		snprintf(reply, sizeof(reply), "%zu %s", len, ok ? "intact" : "corrupt");
		evws_send(evws, reply, strlen(reply));
		return;
	}
	evws_send(evws, (const char *)data, len);
}

static void ws_cb(struct evhttp_request *req, void *arg)
{
	struct evws_connection *evws = evws_new_session(req, on_msg, NULL, 0);
	(void)arg;
	if (!evws)
		return;
	session = evws;
	evws_connection_set_closecb(evws, on_close, NULL);
}

static void open_session(struct raw_conn *c)
{
	struct resp r;
	raw_open(c, port);
	ws_handshake(base, c, "dGhlIHNhbXBsZSBub25jZQ==", "");
	REQUIRE(raw_read_response(base, c, 0, &r));
	REQUIRE(r.code == 101);
	resp_free(&r);
}

int main(void)
{
	struct evhttp *http;
	struct raw_conn c;
	struct ws_msg m;
	size_t big = 70000;
	unsigned char *data = malloc(big);
	unsigned char frame[64];
	char request[512];
	size_t n;

	REQUIRE(data != NULL);
	for (size_t i = 0; i < big; i++)
		data[i] = (unsigned char)(i % 251);
	base = new_base();
	http = start_server(base, &port, NULL);
	evhttp_set_cb(http, "/ws", ws_cb, NULL);

	/* A 64-bit length from the client. */
	open_session(&c);
	ws_send_frame(base, &c, WS_BINARY_FRAME, 1, 1, data, big);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "70000 intact");
	ws_msg_free(&m);
	CHECK_INT_EQ(last_type, WS_BINARY_FRAME);

	/* A 64-bit length from the server. */
	REQUIRE(session != NULL);
	evws_send(session, (const char *)data, big);
	CHECK(raw_wait_len(base, &c, 10 + big, HTTP_WAIT_MS));
	CHECK_MEM_EQ(c.data, "\x81\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10);
	CHECK(ws_read(base, &c, &m));
	CHECK_UINT_EQ(m.len, big);
	CHECK(m.len == big && memcmp(m.data, data, big) == 0);
	ws_msg_free(&m);

	/* Fragments with continuation frames: one message of the first frame's type. */
	messages = 0;
	ws_send_frame(base, &c, WS_TEXT_FRAME, 0, 1, "con", 3);
	ws_send_frame(base, &c, 0x0, 0, 1, "tin", 3);
	ws_send_frame(base, &c, 0x0, 1, 1, "ued", 3);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "continued");
	ws_msg_free(&m);
	CHECK_INT_EQ(messages, 1);
	CHECK_INT_EQ(last_type, WS_TEXT_FRAME);
	ws_send_frame(base, &c, WS_BINARY_FRAME, 0, 1, "\x01\x02", 2);
	ws_send_frame(base, &c, 0x0, 1, 1, "\x03", 1);
	CHECK(ws_read(base, &c, &m));
	CHECK_UINT_EQ(m.len, 3);
	ws_msg_free(&m);
	CHECK_INT_EQ(last_type, WS_BINARY_FRAME);
	CHECK_INT_EQ(closes, 0);
	raw_close(&c);
	run_for(base, 30);
	CHECK_INT_EQ(closes, 1);

	/* An unmasked frame from the client: a close frame with 1002 and the connection
	 * closed, no message (RFC 6455 5.1; libevent takes the frame). */
	messages = 0;
	open_session(&c);
	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 0, "bare", 4);
	CHECK(ws_read(base, &c, &m));
	CHECK_INT_EQ(m.opcode, 0x8);
	CHECK_UINT_EQ(m.len, 2);
	CHECK(m.len == 2 && m.data[0] == 0x03 && m.data[1] == 0xea);
	ws_msg_free(&m);
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	run_for(base, 10);
	CHECK_INT_EQ(messages, 0);
	CHECK_INT_EQ(closes, 2);
	raw_close(&c);

	/* A frame in the same write as the handshake. */
	messages = 0;
	raw_open(&c, port);
	snprintf(request, sizeof(request),
	    "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
	n = ws_frame(frame, sizeof(frame), WS_TEXT_FRAME, 1, 1, "eager", 5);
	{
		size_t rl = strlen(request);
		unsigned char both[600];
		memcpy(both, request, rl);
		memcpy(both + rl, frame, n);
		raw_write(base, &c, both, rl + n);
	}
	{
		struct resp r;
		CHECK(raw_read_response(base, &c, 0, &r));
		CHECK_INT_EQ(r.code, 101);
		resp_free(&r);
	}
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "eager");
	ws_msg_free(&m);
	CHECK_INT_EQ(messages, 1);
	raw_close(&c);
	run_for(base, 30);

	/* Freed from its own message callback, with more frames waiting behind. */
	closes = 0;
	open_session(&c);
	n = ws_frame(frame, sizeof(frame), WS_TEXT_FRAME, 1, 1, "free", 4);
	n += ws_frame(frame + n, sizeof(frame) - n, WS_TEXT_FRAME, 1, 1, "after", 5);
	raw_write(base, &c, frame, n);
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	CHECK_INT_EQ(closes, 1);
	CHECK_UINT_EQ(c.len, 0);
	CHECK(session == NULL);
	raw_close(&c);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 0);

	free(data);
	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
