/* Bad WebSocket input from a raw client: frames with reserved opcodes (3 to 7, 11 to
 * 15), a continuation frame with no message begun, close frames with odd payloads: each
 * answered with a close frame and the connection closed, with the close callback run
 * once and no message delivered; frames cut short by the client going away; streams of
 * pseudo-random bytes; a session freed by the program while input is pending. After all
 * of it a well-behaved session still works and the connection count is back to zero. */
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
static int sessions, messages, closes;
static struct evws_connection *last;

static void on_close(struct evws_connection *evws, void *arg)
{
	(void)evws;
	(void)arg;
	closes++;
	if (evws == last)
		last = NULL;
}

static void on_msg(struct evws_connection *evws, int type, const unsigned char *data,
    size_t len, void *arg)
{
	(void)type;
	(void)arg;
	messages++;
	evws_send(evws, (const char *)data, len);
}

static void ws_cb(struct evhttp_request *req, void *arg)
{
	struct evws_connection *evws = evws_new_session(req, on_msg, NULL, 0);
	(void)arg;
	if (!evws)
		return;
	sessions++;
	last = evws;
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

/* Sends one frame on a new session; checks the answer is a close frame and the
 * connection is then closed, with no message delivered. */
static void expect_closed_by(int line, int opcode, int fin, const void *payload, size_t len)
{
	struct raw_conn c;
	struct ws_msg m;
	int closes_before = closes, messages_before = messages;
	unsigned failed_before = check_failed_;

	open_session(&c);
	ws_send_frame(base, &c, opcode, fin, 1, payload, len);
	CHECK(ws_read(base, &c, &m));
	CHECK_INT_EQ(m.opcode, 0x8);
	ws_msg_free(&m);
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	run_for(base, 10);
	CHECK_INT_EQ(closes, closes_before + 1);
	CHECK_INT_EQ(messages, messages_before);
	raw_close(&c);
	if (check_failed_ != failed_before)
		fprintf(stderr, "     (case at line %d: opcode %d)\n", line, opcode);
}

static void test_bad_frames(void)
{
	static const int reserved[] = {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		expect_closed_by(__LINE__, reserved[i], 1, "data", 4);
	/* ... also without a payload, and unfinished. */
	expect_closed_by(__LINE__, 3, 1, "", 0);
	expect_closed_by(__LINE__, 0xB, 0, "x", 1);
	/* A continuation frame that continues nothing. */
	expect_closed_by(__LINE__, 0, 1, "orphan", 6);
	/* Close frames: empty, a lone byte, a code and a reason. */
	expect_closed_by(__LINE__, 8, 1, "", 0);
	expect_closed_by(__LINE__, 8, 1, "\x03", 1);
	expect_closed_by(__LINE__, 8, 1, "\x03\xe9going away", 12);
}

static void test_cut_short(void)
{
	unsigned char frame[300];
	size_t n = ws_frame(frame, sizeof(frame), WS_TEXT_FRAME, 1, 1,
	    "0123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890123456789", 140);
	static const size_t cuts[] = {1, 2, 3, 4, 7, 8, 50};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct raw_conn c;
		int closes_before = closes;
		open_session(&c);
		raw_write(base, &c, frame, cuts[i]);
		pump(base, &c, 20);
		CHECK(!c.eof);
		raw_close(&c);
		for (int w = 0; w < HTTP_WAIT_MS && closes == closes_before; w += 10)
			run_for(base, 10);
		CHECK_INT_EQ(closes, closes_before + 1);
	}
	CHECK(n > 50);
}

static void test_random(void)
{
	unsigned state = 777;
	unsigned char buf[512];
	for (int round = 0; round < 40; round++) {
		struct raw_conn c;
		int closes_before = closes;
		size_t n = 16 + (size_t)round * 12;
		for (size_t i = 0; i < n; i++) {
			state = state * 1103515245u + 12345u;
			buf[i] = (unsigned char)(state >> 16);
		}
		open_session(&c);
		raw_write(base, &c, buf, n);
		pump(base, &c, 20);
		raw_close(&c);
		for (int w = 0; w < HTTP_WAIT_MS && closes == closes_before; w += 10)
			run_for(base, 10);
		CHECK_INT_EQ(closes, closes_before + 1);
	}
}

static void test_free_with_pending(void)
{
	struct raw_conn c;
	int closes_before = closes;

	/* Half a frame waiting in the session when the program frees it. */
	open_session(&c);
	REQUIRE(last != NULL);
	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, "x", 1);
	raw_write(base, &c, "\x81\x85\x00", 3);
	pump(base, &c, 30);
	REQUIRE(last != NULL);
	evws_connection_free(last);
	CHECK_INT_EQ(closes, closes_before + 1);
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	raw_close(&c);
}

int main(void)
{
	struct evhttp *http;
	struct raw_conn c;
	struct ws_msg m;

	base = new_base();
	http = start_server(base, &port, NULL);
	evhttp_set_cb(http, "/ws", ws_cb, NULL);

	test_bad_frames();
	test_cut_short();
	test_random();
	test_free_with_pending();

	/* A good session still works. */
	open_session(&c);
	ws_send_frame(base, &c, WS_TEXT_FRAME, 1, 1, "still fine", 10);
	CHECK(ws_read(base, &c, &m));
	CHECK_STR_EQ((char *)m.data, "still fine");
	ws_msg_free(&m);
	raw_close(&c);
	run_for(base, 30);
	CHECK_INT_EQ(closes, sessions);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 0);

	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
