/* A thread-safe WebSocket session (evws_new_session with BEV_OPT_THREADSAFE) on a base
 * with pthread locks: the handshake is answered, the session's bufferevent has a lock
 * (bufferevent_lock/unlock from the callback work), and a message is echoed back. */
// test: requires 2.2
// test: link event_core event_extra event_pthreads
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <event2/ws.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http_support.h"

static int sessions, messages;

static void on_msg(struct evws_connection *evws, int type, const unsigned char *data,
    size_t len, void *arg)
{
	struct bufferevent *bev = evws_connection_get_bufferevent(evws);
	(void)arg;
	(void)type;
	messages++;
	CHECK(bev != NULL);
	/* Locking works from the session's own callback (the lock is recursive). */
	bufferevent_lock(bev);
	evws_send(evws, (const char *)data, len);
	bufferevent_unlock(bev);
}

static void ws_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	if (evws_new_session(req, on_msg, NULL, BEV_OPT_THREADSAFE))
		sessions++;
}

int main(void)
{
	struct event_base *base;
	struct evhttp *http;
	struct raw_conn c;
	struct ws_msg m;
	ev_uint16_t port;

	REQUIRE(evthread_use_pthreads() == 0);
	base = event_base_new();
	REQUIRE(base != NULL);
	http = start_server(base, &port, NULL);
	evhttp_set_cb(http, "/ws", ws_cb, NULL);

	raw_open(&c, port);
	ws_handshake(base, &c, "dGhlIHNhbXBsZSBub25jZQ==", "");
	CHECK(raw_wait_str(base, &c, "\r\n\r\n", HTTP_WAIT_MS));
	CHECK(strncmp(c.data, "HTTP/1.1 101 ", 13) == 0);
	CHECK(strstr(c.data, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != NULL);
	CHECK_INT_EQ(sessions, 1);
	raw_consume(&c, (size_t)(strstr(c.data, "\r\n\r\n") + 4 - c.data));

	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, "locked", 6);
	CHECK(ws_read(base, &c, &m));
	CHECK_INT_EQ(m.opcode, WS_TEXT_FRAME);
	CHECK_INT_EQ(m.len, 6);
	CHECK(memcmp(m.data, "locked", 6) == 0);
	ws_msg_free(&m);
	CHECK_INT_EQ(messages, 1);

	raw_close(&c);
	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
