/* An evhttp server answering a raw client, with the exact bytes checked: evhttp_new,
 * evhttp_bind_socket_with_handle, evhttp_set_cb (exact path match on the decoded path,
 * the query ignored, duplicates refused), evhttp_del_cb, evhttp_set_gencb, the 404 for
 * an unknown path without a generic callback; evhttp_send_reply with a body: the status
 * line, the Date, Content-Length and Content-Type headers in that order,
 * evhttp_set_default_content_type (including NULL), headers the handler set; reason
 * phrases given and defaulted; 204 and 304 without a body; HEAD; keep-alive for HTTP/1.1
 * (sequential and pipelined requests on one connection), "Connection: close", HTTP/1.0
 * with and without "Connection: keep-alive". */
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
#include <time.h>

#include "check.h"
#include "http_support.h"

struct counts {
	int hello, gen, other;
	char last_gen_uri[256];
};

static void hello_cb(struct evhttp_request *req, void *arg)
{
	struct counts *c = arg;
	struct evbuffer *body = evbuffer_new();
	c->hello++;
	evbuffer_add_printf(body, "hello world");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	/* The reply took the data. */
	CHECK_UINT_EQ(evbuffer_get_length(body), 0);
	evbuffer_free(body);
}

static void gen_cb(struct evhttp_request *req, void *arg)
{
	struct counts *c = arg;
	c->gen++;
	copy_text(c->last_gen_uri, sizeof(c->last_gen_uri), evhttp_request_get_uri(req));
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "gen");
	evhttp_send_reply(req, HTTP_OK, "Gen", NULL);
}

/* Replies with the status code and reason given in the query: /code?204 or
 * /code?299&reason. */
static void code_cb(struct evhttp_request *req, void *arg)
{
	struct counts *c = arg;
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	int code = atoi(q);
	const char *amp = strchr(q, '&');
	c->other++;
	/* (libevent writes whatever body it is given, even for codes that have none:
	 * give none for those.) */
	if (code != 204 && code != 304)
		evbuffer_add_printf(evhttp_request_get_output_buffer(req), "body");
	evhttp_send_reply(req, code, amp ? amp + 1 : NULL, NULL);
}

/* Sets its own headers. */
static void headers_cb(struct evhttp_request *req, void *arg)
{
	struct counts *c = arg;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	c->other++;
	evhttp_add_header(out, "Content-Type", "text/plain");
	evhttp_add_header(out, "X-One", "1");
	evhttp_add_header(out, "X-Two", "2");
	evbuffer_add(evhttp_request_get_output_buffer(req), "abc", 3);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void empty_cb(struct evhttp_request *req, void *arg)
{
	struct counts *c = arg;
	c->other++;
	evhttp_send_reply(req, HTTP_OK, "Empty", NULL);
}

/* A Date header: RFC 1123 format, GMT, close to now. */
static int date_ok(const char *date)
{
	struct tm tm;
	const char *end;
	time_t t, now = time(NULL);
	if (!date)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return 0;
	t = timegm(&tm);
	return t > now - 60 && t < now + 60 && strlen(date) == 29;
}

static struct event_base *base;
static ev_uint16_t port;

static void test_routing(struct evhttp *http, struct counts *c)
{
	struct resp r;

	/* An exact path. */
	raw_roundtrip(base, port, "GET /hello HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 200);
	CHECK_STR_EQ(r.body, "hello world");
	CHECK_INT_EQ(c->hello, 1);
	resp_free(&r);
	/* The query does not take part; the path is compared after decoding. */
	raw_roundtrip(base, port, "GET /hello?x=1 HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.body, "hello world");
	resp_free(&r);
	raw_roundtrip(base, port, "GET /hel%6co HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.body, "hello world");
	resp_free(&r);
	/* An absolute URI is matched on its path. */
	raw_roundtrip(base, port, "GET http://somewhere/hello HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.body, "hello world");
	resp_free(&r);
	CHECK_INT_EQ(c->hello, 4);
	/* Anything else goes to the generic callback: case, trailing slash, prefix. */
	raw_roundtrip(base, port, "GET /Hello HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.body, "gen");
	CHECK_STR_EQ(r.reason, "Gen");
	CHECK_STR_EQ(c->last_gen_uri, "/Hello");
	resp_free(&r);
	raw_roundtrip(base, port, "GET /hello/ HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.body, "gen");
	resp_free(&r);
	raw_roundtrip(base, port, "GET /hello/x HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.body, "gen");
	resp_free(&r);
	raw_roundtrip(base, port, "GET /hell HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.body, "gen");
	CHECK_STR_EQ(c->last_gen_uri, "/hell");
	resp_free(&r);
	CHECK_INT_EQ(c->hello, 4);
	CHECK_INT_EQ(c->gen, 4);

	/* A path can be registered once. */
	CHECK_INT_EQ(evhttp_set_cb(http, "/hello", hello_cb, c), -1);
	/* Deleting: then the generic callback answers. */
	CHECK_INT_EQ(evhttp_del_cb(http, "/hello"), 0);
	CHECK_INT_EQ(evhttp_del_cb(http, "/hello"), -1);
	CHECK_INT_EQ(evhttp_del_cb(http, "/never"), -1);
	raw_roundtrip(base, port, "GET /hello HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.body, "gen");
	resp_free(&r);
	CHECK_INT_EQ(evhttp_set_cb(http, "/hello", hello_cb, c), 0);
	raw_roundtrip(base, port, "GET /hello HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.body, "hello world");
	resp_free(&r);
}

static void test_not_found(struct evhttp *http, struct counts *c)
{
	struct resp r;
	int closed;

	evhttp_set_gencb(http, NULL, NULL);
	closed = raw_roundtrip(base, port, "GET /nothing<&>?q HTTP/1.1\r\nHost: h\r\n\r\n", 0,
	    &r);
	CHECK_INT_EQ(r.major, 1);
	CHECK_INT_EQ(r.minor, 1);
	CHECK_INT_EQ(r.code, 404);
	/* An error page: text/html, and the connection is closed after it. */
	CHECK_STR_EQ(resp_header(&r, "Content-Type"), "text/html");
	CHECK_STR_EQ(resp_header(&r, "Connection"), "close");
	CHECK(date_ok(resp_header(&r, "Date")));
	CHECK(resp_header(&r, "Content-Length") != NULL);
	if (resp_header(&r, "Content-Length"))
		CHECK_UINT_EQ(strtoul(resp_header(&r, "Content-Length"), NULL, 10), r.body_len);
	/* The body names the URI, HTML-escaped. */
	CHECK(strstr(r.body,
	    "The requested URL /nothing&lt;&amp;&gt;?q was not found on this server.") != NULL);
	CHECK(closed);
	resp_free(&r);
	CHECK_INT_EQ(c->gen, 5);
	evhttp_set_gencb(http, gen_cb, c);
}

static void test_reply_headers(struct evhttp *http)
{
	struct raw_conn rc;
	struct resp r;
	const char *expect_head = "HTTP/1.1 200 OK\r\nDate: ";

	/* Exactly: status line, Date, Content-Length, Content-Type, blank, body. */
	raw_open(&rc, port);
	raw_send(base, &rc, "GET /hello HTTP/1.1\r\n\r\n");
	CHECK(raw_wait_str(base, &rc, "hello world", HTTP_WAIT_MS));
	CHECK(strncmp(rc.data, expect_head, strlen(expect_head)) == 0);
	CHECK(strstr(rc.data, " GMT\r\nContent-Length: 11\r\n"
	    "Content-Type: text/html; charset=ISO-8859-1\r\n\r\nhello world") != NULL);
	CHECK_UINT_EQ(rc.len, strlen(expect_head) + 29 +
	    strlen("\r\nContent-Length: 11\r\nContent-Type: text/html; charset=ISO-8859-1\r\n"
	    "\r\nhello world"));
	CHECK(resp_parse(rc.data, rc.len, 0, 0, &r) > 0);
	CHECK_INT_EQ(r.nheaders, 3);
	CHECK_STR_EQ(r.keys[0], "Date");
	CHECK(date_ok(r.values[0]));
	CHECK_STR_EQ(r.keys[1], "Content-Length");
	CHECK_STR_EQ(r.keys[2], "Content-Type");
	resp_free(&r);
	raw_close(&rc);

	/* Headers the handler set come first, in its order; its Content-Type stays. */
	raw_roundtrip(base, port, "GET /headers HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 200);
	CHECK_INT_EQ(r.nheaders, 5);
	CHECK_STR_EQ(r.keys[0], "Content-Type");
	CHECK_STR_EQ(r.values[0], "text/plain");
	CHECK_STR_EQ(r.keys[1], "X-One");
	CHECK_STR_EQ(r.keys[2], "X-Two");
	CHECK_STR_EQ(r.keys[3], "Date");
	CHECK_STR_EQ(r.keys[4], "Content-Length");
	CHECK_STR_EQ(r.values[4], "3");
	CHECK_INT_EQ(resp_header_count(&r, "Content-Type"), 1);
	CHECK_STR_EQ(r.body, "abc");
	resp_free(&r);

	/* No body: Content-Length 0. */
	raw_roundtrip(base, port, "GET /empty HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 200);
	CHECK_STR_EQ(r.reason, "Empty");
	CHECK_STR_EQ(resp_header(&r, "Content-Length"), "0");
	CHECK(resp_header(&r, "Content-Type") != NULL);
	CHECK_UINT_EQ(r.body_len, 0);
	resp_free(&r);

	/* Another default content type, and none. */
	evhttp_set_default_content_type(http, "text/plain; charset=UTF-8");
	raw_roundtrip(base, port, "GET /hello HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(resp_header(&r, "Content-Type"), "text/plain; charset=UTF-8");
	resp_free(&r);
	evhttp_set_default_content_type(http, NULL);
	raw_roundtrip(base, port, "GET /hello HTTP/1.1\r\n\r\n", 0, &r);
	CHECK(resp_header(&r, "Content-Type") == NULL);
	CHECK_INT_EQ(r.nheaders, 2);
	CHECK_STR_EQ(r.body, "hello world");
	resp_free(&r);
	evhttp_set_default_content_type(http, "text/html; charset=ISO-8859-1");
}

static void test_codes(void)
{
	struct resp r;

	/* The reason given is used as it is. */
	raw_roundtrip(base, port, "GET /code?299&Fine%20Thanks HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 299);
	CHECK_STR_EQ(r.reason, "Fine%20Thanks");
	CHECK_STR_EQ(r.body, "body");
	resp_free(&r);
	/* A NULL reason: the standard phrase, or the name of the class. */
	raw_roundtrip(base, port, "GET /code?201 HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 201);
	CHECK_STR_EQ(r.reason, "Created");
	resp_free(&r);
	raw_roundtrip(base, port, "GET /code?418 HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.reason, "Client Error");
	resp_free(&r);
	raw_roundtrip(base, port, "GET /code?503 HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.reason, "Service Unavailable");
	resp_free(&r);
	raw_roundtrip(base, port, "GET /code?299 HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.reason, "Success");
	resp_free(&r);
	raw_roundtrip(base, port, "GET /code?302 HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.reason, "Found");
	resp_free(&r);
	raw_roundtrip(base, port, "GET /code?404 HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.reason, "Not Found");
	/* A 404 sent with send_reply is an ordinary reply: the body is the handler's. */
	CHECK_STR_EQ(r.body, "body");
	CHECK(resp_header(&r, "Connection") == NULL);
	resp_free(&r);
	raw_roundtrip(base, port, "GET /code?505 HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_STR_EQ(r.reason, "HTTP Version not supported");
	resp_free(&r);
	raw_roundtrip(base, port, "GET /code?600 HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 600);
	CHECK_STR_EQ(r.reason, "Unknown Status Class");
	resp_free(&r);

	/* 204 and 304 have no body: none is sent, and no Content-Length or
	 * Content-Type. */
	{
		struct raw_conn rc;
		raw_open(&rc, port);
		raw_send(base, &rc, "GET /code?204 HTTP/1.1\r\n\r\n");
		CHECK(raw_read_response(base, &rc, 0, &r));
		CHECK_INT_EQ(r.code, 204);
		CHECK_STR_EQ(r.reason, "No Content");
		CHECK_INT_EQ(r.nheaders, 1);
		CHECK_STR_EQ(r.keys[0], "Date");
		resp_free(&r);
		pump(base, &rc, 30);
		CHECK_UINT_EQ(rc.len, 0);
		/* ... and the connection goes on. */
		raw_send(base, &rc, "GET /code?304 HTTP/1.1\r\n\r\n");
		CHECK(raw_read_response(base, &rc, 0, &r));
		CHECK_INT_EQ(r.code, 304);
		CHECK_STR_EQ(r.reason, "Not Modified");
		CHECK_INT_EQ(r.nheaders, 1);
		resp_free(&r);
		pump(base, &rc, 30);
		CHECK_UINT_EQ(rc.len, 0);
		CHECK(!rc.eof);
		raw_close(&rc);
	}
}

static void test_head(void)
{
	struct raw_conn rc;
	struct resp r;

	/* HEAD: the headers only, with no Content-Length or Content-Type; the
	 * connection stays open. */
	raw_open(&rc, port);
	raw_send(base, &rc, "HEAD /empty HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &rc, 1, &r));
	CHECK_INT_EQ(r.code, 200);
	CHECK_INT_EQ(r.nheaders, 1);
	CHECK_STR_EQ(r.keys[0], "Date");
	resp_free(&r);
	pump(base, &rc, 30);
	CHECK_UINT_EQ(rc.len, 0);
	CHECK(!rc.eof);
	raw_send(base, &rc, "GET /hello HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &rc, 0, &r));
	CHECK_STR_EQ(r.body, "hello world");
	resp_free(&r);
	raw_close(&rc);
}

static void test_keepalive(struct counts *c)
{
	struct raw_conn rc;
	struct resp r;
	int hello_before = c->hello;

	/* HTTP/1.1: one connection, several requests one after the other. */
	raw_open(&rc, port);
	for (int i = 0; i < 3; i++) {
		raw_send(base, &rc, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
		CHECK(raw_read_response(base, &rc, 0, &r));
		CHECK_INT_EQ(r.code, 200);
		CHECK_STR_EQ(r.body, "hello world");
		CHECK(resp_header(&r, "Connection") == NULL);
		resp_free(&r);
		pump(base, &rc, 20);
		CHECK(!rc.eof);
	}
	/* Pipelined: answered in order. */
	raw_send(base, &rc, "GET /hello HTTP/1.1\r\n\r\nGET /empty HTTP/1.1\r\n\r\n"
	    "GET /nowhere HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &rc, 0, &r));
	CHECK_STR_EQ(r.body, "hello world");
	resp_free(&r);
	CHECK(raw_read_response(base, &rc, 0, &r));
	CHECK_STR_EQ(r.reason, "Empty");
	resp_free(&r);
	CHECK(raw_read_response(base, &rc, 0, &r));
	CHECK_STR_EQ(r.reason, "Gen");
	resp_free(&r);
	CHECK(!rc.eof);
	CHECK_INT_EQ(c->hello, hello_before + 4);

	/* "Connection: close" (any case): answered with "Connection: close" last, and
	 * the connection is closed; what follows it is not read. */
	raw_send(base, &rc, "GET /hello HTTP/1.1\r\nConnection: CLOSE\r\n\r\n"
	    "GET /hello HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &rc, 0, &r));
	CHECK_INT_EQ(r.code, 200);
	CHECK_INT_EQ(r.nheaders, 4);
	CHECK_STR_EQ(r.keys[3], "Connection");
	CHECK_STR_EQ(r.values[3], "close");
	CHECK_STR_EQ(r.body, "hello world");
	resp_free(&r);
	CHECK(raw_wait_eof(base, &rc, HTTP_WAIT_MS));
	CHECK_UINT_EQ(rc.len, 0);
	CHECK_INT_EQ(c->hello, hello_before + 5);
	raw_close(&rc);
}

static void test_http10(void)
{
	struct raw_conn rc;
	struct resp r;

	/* HTTP/1.0 without keep-alive: no Date, no Content-Length, closed after. */
	raw_open(&rc, port);
	raw_send(base, &rc, "GET /hello HTTP/1.0\r\n\r\n");
	CHECK(raw_wait_eof(base, &rc, HTTP_WAIT_MS));
	CHECK_STR_EQ(rc.data, "HTTP/1.0 200 OK\r\n"
	    "Content-Type: text/html; charset=ISO-8859-1\r\n\r\nhello world");
	raw_close(&rc);

	/* HTTP/1.0 with keep-alive: "Connection: keep-alive" and a Content-Length. */
	raw_open(&rc, port);
	raw_send(base, &rc, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	CHECK(raw_wait_str(base, &rc, "hello world", HTTP_WAIT_MS));
	CHECK_STR_EQ(rc.data, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
	    "Content-Length: 11\r\nContent-Type: text/html; charset=ISO-8859-1\r\n\r\n"
	    "hello world");
	raw_consume(&rc, rc.len);
	pump(base, &rc, 30);
	CHECK(!rc.eof);
	/* The next request without keep-alive is the last. */
	raw_send(base, &rc, "GET /empty HTTP/1.0\r\n\r\n");
	CHECK(raw_wait_eof(base, &rc, HTTP_WAIT_MS));
	CHECK(resp_parse(rc.data, rc.len, 1, 0, &r) > 0);
	CHECK_INT_EQ(r.major, 1);
	CHECK_INT_EQ(r.minor, 0);
	CHECK_STR_EQ(r.reason, "Empty");
	CHECK_UINT_EQ(r.body_len, 0);
	resp_free(&r);
	raw_close(&rc);

	/* HEAD in HTTP/1.0. */
	raw_open(&rc, port);
	raw_send(base, &rc, "HEAD /empty HTTP/1.0\r\n\r\n");
	CHECK(raw_wait_eof(base, &rc, HTTP_WAIT_MS));
	CHECK_STR_EQ(rc.data, "HTTP/1.0 200 Empty\r\n\r\n");
	raw_close(&rc);
}

int main(void)
{
	struct counts c;
	struct evhttp *http;
	struct evhttp_bound_socket *handle;

	memset(&c, 0, sizeof(c));
	base = new_base();
	http = start_server(base, &port, &handle);
	CHECK(evhttp_bound_socket_get_fd(handle) >= 0);
	CHECK_INT_EQ(evhttp_set_cb(http, "/hello", hello_cb, &c), 0);
	CHECK_INT_EQ(evhttp_set_cb(http, "/code", code_cb, &c), 0);
	CHECK_INT_EQ(evhttp_set_cb(http, "/headers", headers_cb, &c), 0);
	CHECK_INT_EQ(evhttp_set_cb(http, "/empty", empty_cb, &c), 0);
	evhttp_set_gencb(http, gen_cb, &c);

	test_routing(http, &c);
	test_not_found(http, &c);
	test_reply_headers(http);
	test_codes();
	test_head();
	test_keepalive(&c);
	test_http10();

	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
