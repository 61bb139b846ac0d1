/* Malformed requests on a server, each on its own raw connection, with the answer
 * libevent gives: 400 and the connection closed for bad request lines (wrong versions,
 * missing parts, lower-case "http", a leading empty line, a NUL, bad URIs, lines under
 * 14 bytes, random bytes), bad header lines (a continuation first, no colon), bad
 * Content-Lengths; 413 and closed for bad chunk sizes (libevent reports any corrupt chunk
 * as too long) and for lengths beyond the body limit; no answer for input without a line
 * end (the connection waits); many headers and a long URI accepted; clients that leave
 * halfway. After all of it the server still answers a good request on a new connection
 * and on one that was kept alive from the start. */
// test: link event_core event_extra
// test: timeout 60
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
static int calls;
static int last_nheaders;

static void ok_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	calls++;
	last_nheaders = count_headers(evhttp_request_get_input_headers(req));
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "fine");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* Sends the bytes and reads the answer: its code, and whether the connection was
 * closed afterwards; code -1 when nothing came. The waits are long for what is expected
 * (an answer, a close) and short for what is not. */
static int answer_as(const char *data, size_t len, int want_answer, int want_close,
    int *closed)
{
	struct raw_conn c;
	struct resp r;
	int code = -1;
	raw_open(&c, port);
	if (raw_write(base, &c, data, len) == 0) {
		raw_wait_len(base, &c, 1, want_answer ? HTTP_WAIT_MS : 200);
		if (c.len > 0 && raw_read_response(base, &c, 0, &r)) {
			code = r.code;
			resp_free(&r);
		}
	}
	raw_wait_eof(base, &c, want_close ? HTTP_WAIT_MS : 100);
	*closed = c.eof;
	raw_close(&c);
	return code;
}

/* For input that should be answered. */
static int answer(const char *data, size_t len, int *closed)
{
	return answer_as(data, len, 1, 1, closed);
}

struct bad {
	const char *data;
	int code;   /* the answer, or -1 for none */
	int closed; /* the connection is closed afterwards */
};

#define BAD_400(s) {s, 400, 1}

static const struct bad bads[] = {
	/* Request lines. */
	BAD_400("GET / HTTP/2.0\r\n\r\n"),
	BAD_400("GET / HTTP/3\r\n\r\n"),
	BAD_400("GET / HTTP/1.x\r\n\r\n"),
	BAD_400("GET / HTTP/1.1x\r\n\r\n"),
	BAD_400("GET / HTTP/x.1\r\n\r\n"),
	BAD_400("GET / http/1.1\r\n\r\n"),
	BAD_400("GET / HTTP\r\n\r\n"),
	BAD_400("GET / FTP/1.1\r\n\r\n"),
	BAD_400("GET /only-a-path\r\n\r\n"),
	BAD_400("GET\r\n\r\n"),
	BAD_400("GETHTTP/1.1xxxxxx\r\n\r\n"),
	BAD_400("\r\nGET / HTTP/1.1\r\n\r\n"),
	BAD_400("\r\n\r\n"),
	BAD_400("G / HTTP/1.1\r\n\r\n"),
	BAD_400("GET http://[::1/x HTTP/1.1\r\n\r\n"),
	BAD_400("GET http://h:99999/ HTTP/1.1\r\n\r\n"),
	BAD_400("GET http://a b/ HTTP/1.1\r\n\r\n"),
	BAD_400("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\r\n\r\n"),
	BAD_400("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0\r\n\r\n"),
	/* Header lines. */
	BAD_400("GET / HTTP/1.1\r\n continued: first\r\n\r\n"),
	BAD_400("GET / HTTP/1.1\r\n\tcontinued: first\r\n\r\n"),
	BAD_400("GET / HTTP/1.1\r\nNoColonHere\r\n\r\n"),
	BAD_400("GET / HTTP/1.1\r\nHost: h\r\nbroken line\r\n\r\n"),
	/* Content-Length. */
	BAD_400("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
	BAD_400("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
	BAD_400("POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\nhello"),
	BAD_400("POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\nhello"),
	BAD_400("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n12"),
	BAD_400("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"),
	/* Chunk sizes: 413, as libevent treats corrupt chunks as too long. */
	{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 413,
	    1},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 413,
	    1},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n", 413,
	    1},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\x01\r\nhello\r\n0\r\n\r\n", 413,
	    1},
	/* Over the body limit (1 MiB here), however it is written. */
	{"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413, 1},
	{"POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n", 413, 1},
	{"POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", 413, 1},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n", 413, 1},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7FFFFFFFFFFFFFFF\r\n", 413, 1},
	/* No line end yet: no answer, the connection waits. */
	{"GET / HTTP/1.1", -1, 0},
	{"GET / HTTP/1.1\r\nHost: h\r\n", -1, 0},
	{"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", -1, 0},
	{"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", -1, 0},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", -1, 0},
};

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int closed;
		int code = answer_as(bads[i].data, strlen(bads[i].data), bads[i].code != -1,
		    bads[i].closed, &closed);
		CHECK_INT_EQ(code, bads[i].code);
		CHECK_INT_EQ(closed, bads[i].closed);
		if (code != bads[i].code || closed != bads[i].closed)
			fprintf(stderr, "     (case %zu)\n", i);
	}
	CHECK_INT_EQ(calls, 0);
}

static void test_nul_bytes(void)
{
	static const char line_nul[] = "GET /x\0y HTTP/1.1\r\n\r\n";
	static const char method_nul[] = "GE\0T / HTTP/1.1\r\n\r\n";
	int closed;

	CHECK_INT_EQ(answer(line_nul, sizeof(line_nul) - 1, &closed), 400);
	CHECK(closed);
	CHECK_INT_EQ(answer(method_nul, sizeof(method_nul) - 1, &closed), 400);
	CHECK(closed);
	CHECK_INT_EQ(calls, 0);
}

/* Pseudo-random lines without spaces: never a request line. */
static void test_random_lines(void)
{
	unsigned state = 12345;
	char buf[300];
	for (int round = 0; round < 30; round++) {
		int closed, code;
		size_t n = 14 + (size_t)round * 9;
		for (size_t i = 0; i < n; i++) {
			char ch;
			do {
				state = state * 1103515245u + 12345u;
				ch = (char)(state >> 16);
			} while (ch == ' ' || ch == '\r' || ch == '\n' || ch == '\0');
			buf[i] = ch;
		}
		memcpy(buf + n, "\r\n\r\n", 4);
		code = answer(buf, n + 4, &closed);
		CHECK_INT_EQ(code, 400);
		CHECK(closed);
	}
	CHECK_INT_EQ(calls, 0);
}

static void test_big_but_fine(void)
{
	struct evbuffer *req = evbuffer_new();
	size_t len;
	char *data;
	int closed;

	/* 10,000 headers. */
	evbuffer_add_printf(req, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 10000; i++)
		evbuffer_add_printf(req, "X-Header-%d: value %d\r\n", i, i);
	evbuffer_add_printf(req, "\r\n");
	len = evbuffer_get_length(req);
	data = malloc(len);
	evbuffer_remove(req, data, len);
	calls = 0;
	CHECK_INT_EQ(answer_as(data, len, 1, 0, &closed), 200);
	CHECK(!closed);
	CHECK_INT_EQ(calls, 1);
	CHECK_INT_EQ(last_nheaders, 10000);
	free(data);

	/* A 100 KB URI. */
	evbuffer_add_printf(req, "GET /");
	for (int i = 0; i < 10000; i++)
		evbuffer_add_printf(req, "abcdefghij");
	evbuffer_add_printf(req, " HTTP/1.1\r\n\r\n");
	len = evbuffer_get_length(req);
	data = malloc(len);
	evbuffer_remove(req, data, len);
	CHECK_INT_EQ(answer_as(data, len, 1, 0, &closed), 200);
	CHECK_INT_EQ(calls, 2);
	free(data);
	evbuffer_free(req);

	/* Folded header lines are taken, not refused. */
	{
		const char *folded = "GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\tthree\r\n\r\n";
		CHECK_INT_EQ(answer_as(folded, strlen(folded), 1, 0, &closed), 200);
		CHECK(!closed);
	}
	/* Bare LF line ends too. */
	{
		const char *lf = "GET / HTTP/1.1\nHost: h\n\n";
		CHECK_INT_EQ(answer_as(lf, strlen(lf), 1, 0, &closed), 200);
	}
	calls = 0;
}

static void test_leaving_clients(void)
{
	static const char *const partial[] = {
		"",
		"GE",
		"GET / HTTP/1.1\r\nHo",
		"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nsome",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
		"GET / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(partial) / sizeof(partial[0]); i++) {
		struct raw_conn c;
		raw_open(&c, port);
		raw_send(base, &c, partial[i]);
		pump(base, &c, 20);
		raw_close(&c);
		run_for(base, 20);
	}
	/* A full request, then gone before the answer is read. */
	for (int i = 0; i < 5; i++) {
		struct raw_conn c;
		raw_open(&c, port);
		raw_send(base, &c, "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n");
		raw_close(&c);
	}
	run_for(base, 100);
}

int main(void)
{
	struct evhttp *http;
	struct raw_conn keep;
	struct resp r;
	int closed;

	base = new_base();
	http = start_server(base, &port, NULL);
	evhttp_set_gencb(http, ok_cb, NULL);
	evhttp_set_max_body_size(http, 1024 * 1024);

	/* A client that stays connected through all of it. */
	raw_open(&keep, port);
	raw_send(base, &keep, "GET / HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &keep, 0, &r));
	CHECK_INT_EQ(r.code, 200);
	resp_free(&r);
	calls = 0;

	test_table();
	test_nul_bytes();
	test_random_lines();
	test_big_but_fine();
	test_leaving_clients();

	/* Still serving. */
	CHECK_INT_EQ(answer_as("GET / HTTP/1.1\r\n\r\n", 18, 1, 0, &closed), 200);
	CHECK(!closed);
	raw_send(base, &keep, "GET / HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &keep, 0, &r));
	CHECK_INT_EQ(r.code, 200);
	CHECK_STR_EQ(r.body, "fine");
	resp_free(&r);
	raw_close(&keep);

	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
