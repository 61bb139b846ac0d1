/* Methods and error replies on a server: the methods allowed by default (GET, POST,
 * HEAD, PUT, DELETE) and their evhttp_cmd_type values; every other method, unknown
 * methods and lower-case ones answered 501 with the connection closed;
 * evhttp_set_allowed_methods (a method taken out gets 501, ones put in reach the
 * handler, bodies read only for methods that may have one); evhttp_send_error with and
 * without a reason: the status line, the headers it sets (text/html, Connection: close,
 * a Content-Length) replacing the handler's, HTTP/1.1 even for an HTTP/1.0 request, and
 * the connection closed after it. */
// test: link event_core event_extra
#define _GNU_SOURCE
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
#include <strings.h>

#include "check.h"
#include "http_support.h"

static struct event_base *base;
static ev_uint16_t port;
static int calls;
static int last_type;

static void method_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	calls++;
	last_type = (int)evhttp_request_get_command(req);
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "%d %zu", last_type,
	    evbuffer_get_length(evhttp_request_get_input_buffer(req)));
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* /error?CODE or /error?CODE&REASON: evhttp_send_error, after setting a header that
 * the error page replaces. */
static void error_cb(struct evhttp_request *req, void *arg)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *amp = strchr(q, '&');
	(void)arg;
	calls++;
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Lost", "1");
	evhttp_send_error(req, atoi(q), amp ? amp + 1 : NULL);
}

/* Sends "METHOD /m HTTP/1.1" with a 2-byte body; returns the code, and whether the
 * connection was closed after the answer. */
static int try_method(const char *method, int *closed, char *body, size_t cap)
{
	char request[256];
	struct resp r;
	int code, c;
	snprintf(request, sizeof(request), "%s /m HTTP/1.1\r\nContent-Length: 2\r\n\r\nab",
	    method);
	c = raw_roundtrip(base, port, request, !strcmp(method, "HEAD"), &r);
	code = r.code;
	if (closed)
		*closed = c;
	if (body)
		copy_text(body, cap, r.body ? r.body : "");
	if (code == 501) {
		CHECK_STR_EQ(r.reason, "Not Implemented");
		CHECK_STR_EQ(resp_header(&r, "Content-Type"), "text/html");
		CHECK_STR_EQ(resp_header(&r, "Connection"), "close");
	}
	resp_free(&r);
	return code;
}

static void test_defaults(void)
{
	static const struct {
		const char *name;
		int type;
	} allowed[] = {
		{"GET", EVHTTP_REQ_GET},
		{"POST", EVHTTP_REQ_POST},
		{"PUT", EVHTTP_REQ_PUT},
		{"DELETE", EVHTTP_REQ_DELETE},
	};
	static const char *const refused[] = {
		"OPTIONS", "TRACE", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL",
		"LOCK", "UNLOCK", "COPY", "MOVE", "FOO", "get", "Get", "GETS", "POSTX",
	};
	char body[64];
	int closed;

	CHECK_INT_EQ(EVHTTP_REQ_GET, 1);
	CHECK_INT_EQ(EVHTTP_REQ_POST, 2);
	CHECK_INT_EQ(EVHTTP_REQ_HEAD, 4);
	CHECK_INT_EQ(EVHTTP_REQ_PUT, 8);
	CHECK_INT_EQ(EVHTTP_REQ_DELETE, 16);
	CHECK_INT_EQ(EVHTTP_REQ_OPTIONS, 32);
	CHECK_INT_EQ(EVHTTP_REQ_TRACE, 64);
	CHECK_INT_EQ(EVHTTP_REQ_CONNECT, 128);
	CHECK_INT_EQ(EVHTTP_REQ_PATCH, 256);

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		char want[32];
		calls = 0;
		CHECK_INT_EQ(try_method(allowed[i].name, &closed, body, sizeof(body)), 200);
		CHECK_INT_EQ(calls, 1);
		CHECK_INT_EQ(last_type, allowed[i].type);
		/* These read the body. */
		snprintf(want, sizeof(want), "%d 2", allowed[i].type);
		CHECK_STR_EQ(body, want);
		CHECK(!closed);
	}
	/* HEAD reaches the handler; it has no body to read. */
	calls = 0;
	CHECK_INT_EQ(try_method("HEAD", &closed, NULL, 0), 200);
	CHECK_INT_EQ(calls, 1);
	CHECK_INT_EQ(last_type, EVHTTP_REQ_HEAD);

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		calls = 0;
		CHECK_INT_EQ(try_method(refused[i], &closed, NULL, 0), 501);
		CHECK_INT_EQ(calls, 0);
		CHECK(closed);
		if (calls != 0 || !closed)
			fprintf(stderr, "     (method %s)\n", refused[i]);
	}
}

static void test_set_allowed(struct evhttp *http)
{
	char body[64];
	int closed;

	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_PATCH |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE);
	calls = 0;
	CHECK_INT_EQ(try_method("PATCH", &closed, body, sizeof(body)), 200);
	CHECK_STR_EQ(body, "256 2");
	CHECK(!closed);
	CHECK_INT_EQ(try_method("OPTIONS", &closed, body, sizeof(body)), 200);
	CHECK_STR_EQ(body, "32 2");
	/* TRACE, which has no body. */
	{
		struct raw_conn c;
		struct resp r;
		raw_open(&c, port);
		raw_send(base, &c, "TRACE /m HTTP/1.1\r\n\r\n");
		CHECK(raw_read_response(base, &c, 0, &r));
		CHECK_INT_EQ(r.code, 200);
		CHECK_STR_EQ(r.body, "64 0");
		resp_free(&r);
		raw_close(&c);
	}
	CHECK_INT_EQ(try_method("GET", &closed, body, sizeof(body)), 200);
	CHECK_INT_EQ(calls, 4);
	/* Taken out: 501. */
	CHECK_INT_EQ(try_method("POST", &closed, NULL, 0), 501);
	CHECK(closed);
	CHECK_INT_EQ(try_method("DELETE", &closed, NULL, 0), 501);
	CHECK_INT_EQ(try_method("HEAD", &closed, NULL, 0), 501);
	CHECK_INT_EQ(calls, 4);
#if LIBEVENT_VERSION_NUMBER < 0x02020000
	/* Built for libevent 2.1, whose argument is 16 bits: all of them allowed. 2.1 knows
	 * nine methods; every other one (the WebDAV ones 2.2 added too) reaches the handler
	 * with 2.1's "unknown" type, bit 15. */
	evhttp_set_allowed_methods(http, 0xffff);
	calls = 0;
	CHECK_INT_EQ(try_method("PATCH", &closed, body, sizeof(body)), 200);
	CHECK_STR_EQ(body, "256 2");
	CHECK_INT_EQ(try_method("PROPFIND", &closed, body, sizeof(body)), 200);
	CHECK_INT_EQ(last_type, 1 << 15);
	CHECK_INT_EQ(try_method("MKCOL", &closed, body, sizeof(body)), 200);
	CHECK_INT_EQ(last_type, 1 << 15);
	CHECK_INT_EQ(try_method("FOO", &closed, body, sizeof(body)), 200);
	CHECK_INT_EQ(last_type, 1 << 15);
	CHECK_INT_EQ(calls, 4);
	/* Without bit 15 they are refused again. */
	evhttp_set_allowed_methods(http, 0x7fff);
	CHECK_INT_EQ(try_method("PROPFIND", &closed, NULL, 0), 501);
	CHECK_INT_EQ(calls, 4);
#endif
	/* Nothing allowed. */
	evhttp_set_allowed_methods(http, 0);
	CHECK_INT_EQ(try_method("GET", &closed, NULL, 0), 501);
	CHECK_INT_EQ(calls, 4);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	CHECK_INT_EQ(try_method("GET", &closed, NULL, 0), 200);
}

static void test_send_error(void)
{
	struct resp r;
	int closed;

	calls = 0;
	closed = raw_roundtrip(base, port, "GET /error?403 HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(calls, 1);
	CHECK_INT_EQ(r.code, 403);
	CHECK_STR_EQ(r.reason, "Forbidden");
	/* The error page's headers only: the handler's are gone. */
	CHECK_STR_EQ(resp_header(&r, "Content-Type"), "text/html");
	CHECK_STR_EQ(resp_header(&r, "Connection"), "close");
	CHECK(resp_header(&r, "Date") != NULL);
	CHECK(resp_header(&r, "Content-Length") != NULL);
	CHECK(resp_header(&r, "X-Lost") == NULL);
	CHECK_INT_EQ(r.nheaders, 4);
	CHECK_STR_EQ(r.keys[0], "Content-Type");
	CHECK_STR_EQ(r.keys[1], "Connection");
	/* An HTML page that names the code (its exact text differs between libevent 2.1
	 * and 2.2). */
	CHECK(strstr(r.body, "403") != NULL);
	CHECK(strcasestr(r.body, "<html>") != NULL);
	CHECK(closed);
	resp_free(&r);

	/* With a reason: the status line carries it. */
	closed = raw_roundtrip(base, port, "GET /error?500&Went%20wrong HTTP/1.1\r\n\r\n", 0,
	    &r);
	CHECK_INT_EQ(r.code, 500);
	CHECK_STR_EQ(r.reason, "Went%20wrong");
	CHECK(strstr(r.body, "500") != NULL);
	CHECK(closed);
	resp_free(&r);
	closed = raw_roundtrip(base, port, "GET /error?400&Bad HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 400);
	CHECK_STR_EQ(r.reason, "Bad");
	CHECK(closed);
	resp_free(&r);

	/* HTTP/1.0 request, HTTP/1.1 error page (with a Date). */
	closed = raw_roundtrip(base, port, "GET /error?404 HTTP/1.0\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.major, 1);
	CHECK_INT_EQ(r.minor, 1);
	CHECK_INT_EQ(r.code, 404);
	CHECK_STR_EQ(r.reason, "Not Found");
	CHECK(resp_header(&r, "Date") != NULL);
	CHECK(closed);
	resp_free(&r);
	/* Even with keep-alive asked for. */
	closed = raw_roundtrip(base, port,
	    "GET /error?401 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 401);
	CHECK_STR_EQ(resp_header(&r, "Connection"), "close");
	CHECK(closed);
	resp_free(&r);
	/* A pipelined request after an error is not answered. */
	{
		struct raw_conn c;
		raw_open(&c, port);
		raw_send(base, &c, "GET /error?409 HTTP/1.1\r\n\r\nGET /m HTTP/1.1\r\n\r\n");
		CHECK(raw_read_response(base, &c, 0, &r));
		CHECK_INT_EQ(r.code, 409);
		CHECK_STR_EQ(r.reason, "Conflict");
		resp_free(&r);
		CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
		CHECK_UINT_EQ(c.len, 0);
		raw_close(&c);
	}
}

int main(void)
{
	struct evhttp *http;

	base = new_base();
	http = start_server(base, &port, NULL);
	evhttp_set_cb(http, "/m", method_cb, NULL);
	evhttp_set_cb(http, "/error", error_cb, NULL);

	test_defaults();
	test_set_allowed(http);
	test_send_error();

	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
