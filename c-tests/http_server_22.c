/* Server features libevent 2.2 added, and its error pages: the exact body of
 * evhttp_send_error's page with and without a reason and of the 404 page;
 * evhttp_set_errorcb (its page used when it returns 0, even empty; the default when it
 * returns -1; called for 404, 501 and send_error with the code and reason);
 * evhttp_set_newreqcb (called before each request on a connection is read, with a
 * request that has a connection and no URI yet; -1 closes the connection unanswered);
 * evhttp_set_max_connections and evhttp_get_connection_count (503 and closed past the
 * limit); evhttp_set_ext_method_cmp (an extended method with and without a body); the
 * WebDAV methods and their types; evhttp_bound_set_bevcb (per bound socket, before
 * evhttp_set_bevcb); evhttp_set_read_timeout_tv and evhttp_set_write_timeout_tv; folded
 * header values accepted by evhttp_add_header.
 *
 * Not checked: the reason phrase of the 404 status line, which libevent 2.2.1 fills with
 * the HTML paragraph of the page ("HTTP/1.1 404 <p>The requested URL ... </p>"). */
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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http_support.h"

static struct event_base *base;
static ev_uint16_t port;
static int calls;
static int last_type;
static size_t last_body_len;

static void ok_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	calls++;
	last_type = (int)evhttp_request_get_command(req);
	last_body_len = evbuffer_get_length(evhttp_request_get_input_buffer(req));
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "ok");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* /error?CODE[&REASON] */
static void error_cb(struct evhttp_request *req, void *arg)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *amp = strchr(q, '&');
	(void)arg;
	evhttp_send_error(req, atoi(q), amp ? amp + 1 : NULL);
}

static void test_error_pages(void)
{
	struct resp r;

	CHECK(raw_roundtrip(base, port, "GET /error?403 HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_INT_EQ(r.code, 403);
	CHECK_STR_EQ(r.reason, "Forbidden");
	CHECK_STR_EQ(r.body, "<html><head><title>403 Forbidden</title></head><body>"
	    "<h1>403 Forbidden</h1></body></html>");
	CHECK_STR_EQ(resp_header(&r, "Content-Length"), "89");
	resp_free(&r);

	/* The reason goes in the status line, and after the heading. */
	CHECK(raw_roundtrip(base, port, "GET /error?500&Oops! HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_STR_EQ(r.reason, "Oops!");
	CHECK_STR_EQ(r.body, "<html><head><title>500 Internal Server Error</title></head>"
	    "<body><h1>500 Internal Server Error</h1>Oops!</body></html>");
	resp_free(&r);

	/* An unknown code: the class name. */
	CHECK(raw_roundtrip(base, port, "GET /error?499 HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_STR_EQ(r.reason, "Client Error");
	CHECK_STR_EQ(r.body, "<html><head><title>499 Client Error</title></head><body>"
	    "<h1>499 Client Error</h1></body></html>");
	resp_free(&r);

	/* 404 for an unknown path: the URL, escaped, in a paragraph. */
	CHECK(raw_roundtrip(base, port, "GET /no<where>?a&b HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_INT_EQ(r.code, 404);
	CHECK_STR_EQ(r.body, "<html><head><title>404 Not Found</title></head><body>"
	    "<h1>404 Not Found</h1><p>The requested URL /no&lt;where&gt;?a&amp;b was not found "
	    "on this server.</p></body></html>");
	resp_free(&r);

	/* 501 and 400 from the server itself. */
	CHECK(raw_roundtrip(base, port, "BREW /pot HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_INT_EQ(r.code, 501);
	CHECK_STR_EQ(r.body, "<html><head><title>501 Not Implemented</title></head><body>"
	    "<h1>501 Not Implemented</h1></body></html>");
	resp_free(&r);
	CHECK(raw_roundtrip(base, port, "GET / HTTP/9.9\r\n\r\n", 0, &r));
	CHECK_INT_EQ(r.code, 400);
	CHECK_STR_EQ(r.body, "<html><head><title>400 Bad Request</title></head><body>"
	    "<h1>400 Bad Request</h1></body></html>");
	resp_free(&r);
}

static int errorcb_calls, errorcb_code, errorcb_mode;
static char errorcb_reason[256];

static int my_errorcb(struct evhttp_request *req, struct evbuffer *buf, int error,
    const char *reason, void *arg)
{
	CHECK(req != NULL);
	CHECK(arg == &errorcb_calls);
	errorcb_calls++;
	errorcb_code = error;
	copy_text(errorcb_reason, sizeof(errorcb_reason), reason);
	switch (errorcb_mode) {
	case 0: /* our page */
		evbuffer_add_printf(buf, "custom %d", error);
		return 0;
	case 1: /* nothing, but accepted */
		return 0;
	default: /* written, then refused: the default page */
		evbuffer_add_printf(buf, "dropped");
		return -1;
	}
}

static void test_errorcb(struct evhttp *http)
{
	struct resp r;

	evhttp_set_errorcb(http, my_errorcb, &errorcb_calls);
	errorcb_mode = 0;
	CHECK(raw_roundtrip(base, port, "GET /error?403&Nope HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_INT_EQ(r.code, 403);
	CHECK_STR_EQ(r.reason, "Nope");
	CHECK_STR_EQ(r.body, "custom 403");
	CHECK_STR_EQ(resp_header(&r, "Content-Type"), "text/html");
	CHECK_STR_EQ(resp_header(&r, "Connection"), "close");
	CHECK_INT_EQ(errorcb_code, 403);
	CHECK_STR_EQ(errorcb_reason, "Nope");
	resp_free(&r);
	CHECK(raw_roundtrip(base, port, "GET /error?410 HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_STR_EQ(r.body, "custom 410");
	CHECK_STR_EQ(errorcb_reason, "(null)");
	resp_free(&r);
	/* Also for the server's own 404 and 501. */
	CHECK(raw_roundtrip(base, port, "GET /nowhere HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_INT_EQ(r.code, 404);
	CHECK_STR_EQ(r.body, "custom 404");
	CHECK(strstr(errorcb_reason, "/nowhere") != NULL);
	resp_free(&r);
	CHECK(raw_roundtrip(base, port, "BREW /pot HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_STR_EQ(r.body, "custom 501");
	resp_free(&r);
	CHECK_INT_EQ(errorcb_calls, 4);
	/* Returning 0 with nothing written: an empty page. */
	errorcb_mode = 1;
	CHECK(raw_roundtrip(base, port, "GET /error?403 HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_INT_EQ(r.code, 403);
	CHECK_STR_EQ(resp_header(&r, "Content-Length"), "0");
	CHECK_UINT_EQ(r.body_len, 0);
	resp_free(&r);
	/* Returning -1: the default page, without what was written. */
	errorcb_mode = 2;
	CHECK(raw_roundtrip(base, port, "GET /error?403 HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_STR_EQ(r.body, "<html><head><title>403 Forbidden</title></head><body>"
	    "<h1>403 Forbidden</h1></body></html>");
	resp_free(&r);
	CHECK_INT_EQ(errorcb_calls, 6);
	evhttp_set_errorcb(http, NULL, NULL);
	CHECK(raw_roundtrip(base, port, "GET /error?403 HTTP/1.1\r\n\r\n", 0, &r));
	CHECK_INT_EQ(r.body_len, 89);
	resp_free(&r);
	CHECK_INT_EQ(errorcb_calls, 6);
}

static int newreq_calls, newreq_refuse_at;
static int newreq_had_conn, newreq_had_uri, newreq_kind;

static int my_newreqcb(struct evhttp_request *req, void *arg)
{
	CHECK(arg == &newreq_calls);
	newreq_calls++;
	newreq_had_conn = evhttp_request_get_connection(req) != NULL;
	newreq_had_uri = evhttp_request_get_uri(req) != NULL;
	newreq_kind = req->kind;
	return newreq_calls == newreq_refuse_at ? -1 : 0;
}

static void test_newreqcb(struct evhttp *http)
{
	struct raw_conn c;
	struct resp r;

	evhttp_set_newreqcb(http, my_newreqcb, &newreq_calls);
	newreq_calls = 0;
	newreq_refuse_at = 3;
	/* Called when the connection comes, before anything is read. */
	raw_open(&c, port);
	pump(base, &c, 30);
	CHECK_INT_EQ(newreq_calls, 1);
	CHECK(newreq_had_conn);
	CHECK(!newreq_had_uri);
	CHECK_INT_EQ(newreq_kind, EVHTTP_REQUEST);
	/* ... and for the next request on the connection after each answer. */
	raw_send(base, &c, "GET /ok HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &c, 0, &r));
	CHECK_INT_EQ(r.code, 200);
	resp_free(&r);
	pump(base, &c, 30);
	CHECK_INT_EQ(newreq_calls, 2);
	raw_send(base, &c, "GET /ok HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &c, 0, &r));
	CHECK_INT_EQ(r.code, 200);
	resp_free(&r);
	/* The third is refused: the connection is closed with no answer. */
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	CHECK_INT_EQ(newreq_calls, 3);
	CHECK_UINT_EQ(c.len, 0);
	raw_close(&c);
	/* A new connection is asked about again. */
	newreq_refuse_at = 4;
	raw_open(&c, port);
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	CHECK_UINT_EQ(c.len, 0);
	raw_close(&c);
	CHECK_INT_EQ(newreq_calls, 4);
	evhttp_set_newreqcb(http, NULL, NULL);
	CHECK(raw_roundtrip(base, port, "GET /ok HTTP/1.1\r\n\r\n", 0, &r) == 0);
	CHECK_INT_EQ(r.code, 200);
	resp_free(&r);
	CHECK_INT_EQ(newreq_calls, 4);
}

static void test_max_connections(struct evhttp *http)
{
	struct raw_conn a, b, c;
	struct resp r;

	run_for(base, 50);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 0);
	evhttp_set_max_connections(http, 2);
	raw_open(&a, port);
	raw_open(&b, port);
	pump(base, &a, 30);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 2);
	/* Past the limit: 503 at once, without reading, and closed. */
	raw_open(&c, port);
	CHECK(raw_read_response(base, &c, 0, &r));
	CHECK_INT_EQ(r.code, 503);
	CHECK_STR_EQ(r.reason, "Service Unavailable");
	CHECK_STR_EQ(resp_header(&r, "Connection"), "close");
	resp_free(&r);
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	raw_close(&c);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 2);
	/* The others work. */
	raw_send(base, &a, "GET /ok HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &a, 0, &r));
	CHECK_INT_EQ(r.code, 200);
	resp_free(&r);
	/* One leaves: room for another. */
	raw_close(&b);
	run_for(base, 50);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 1);
	raw_open(&c, port);
	raw_send(base, &c, "GET /ok HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &c, 0, &r));
	CHECK_INT_EQ(r.code, 200);
	resp_free(&r);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 2);
	raw_close(&c);
	raw_close(&a);
	run_for(base, 50);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 0);
	/* 0 and negative values: no limit. */
	evhttp_set_max_connections(http, -5);
	raw_open(&a, port);
	raw_open(&b, port);
	raw_open(&c, port);
	pump(base, &c, 30);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 3);
	raw_send(base, &c, "GET /ok HTTP/1.1\r\n\r\n");
	CHECK(raw_read_response(base, &c, 0, &r));
	CHECK_INT_EQ(r.code, 200);
	resp_free(&r);
	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	run_for(base, 50);
	CHECK_INT_EQ(evhttp_get_connection_count(http), 0);
	evhttp_set_max_connections(http, 0);
}

#define REQ_PURGE (EVHTTP_REQ_MAX << 1)
#define REQ_BREW (EVHTTP_REQ_MAX << 2)

static int ext_calls;

/* PURGE has no body, BREW has one. */
static int my_ext_method(struct evhttp_ext_method *m)
{
	ext_calls++;
	if (m->method) {
		if (!strcmp(m->method, "PURGE")) {
			m->type = REQ_PURGE;
			return 0;
		}
		if (!strcmp(m->method, "BREW")) {
			m->type = REQ_BREW;
			return 0;
		}
		return -1;
	}
	if (m->type == REQ_PURGE) {
		m->method = "PURGE";
		return 0;
	}
	if (m->type == REQ_BREW) {
		m->method = "BREW";
		m->flags = EVHTTP_METHOD_HAS_BODY;
		return 0;
	}
	return -1;
}

/* Changes the flags when asked about a name, which is not allowed. */
static int bad_ext_method(struct evhttp_ext_method *m)
{
	if (m->method && !strcmp(m->method, "PURGE")) {
		m->type = REQ_PURGE;
		m->flags = EVHTTP_METHOD_HAS_BODY;
		return 0;
	}
	return -1;
}

static void test_methods(struct evhttp *http)
{
	static const struct {
		const char *name;
		int type;
	} dav[] = {
		{"PROPFIND", EVHTTP_REQ_PROPFIND},
		{"PROPPATCH", EVHTTP_REQ_PROPPATCH},
		{"MKCOL", EVHTTP_REQ_MKCOL},
		{"LOCK", EVHTTP_REQ_LOCK},
		{"UNLOCK", EVHTTP_REQ_UNLOCK},
		{"COPY", EVHTTP_REQ_COPY},
		{"MOVE", EVHTTP_REQ_MOVE},
	};
	struct resp r;
	char request[128];

	CHECK_INT_EQ(EVHTTP_REQ_PROPFIND, 1 << 9);
	CHECK_INT_EQ(EVHTTP_REQ_MOVE, 1 << 15);
	CHECK_INT_EQ(EVHTTP_REQ_MAX, EVHTTP_REQ_MOVE);

	/* WebDAV methods: 501 by default; with a body when allowed. */
	for (size_t i = 0; i < sizeof(dav) / sizeof(dav[0]); i++) {
		snprintf(request, sizeof(request), "%s /ok HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
		    dav[i].name);
		evhttp_set_allowed_methods(http, EVHTTP_REQ_GET);
		raw_roundtrip(base, port, request, 0, &r);
		CHECK_INT_EQ(r.code, 501);
		resp_free(&r);
		evhttp_set_allowed_methods(http, (ev_uint32_t)dav[i].type);
		calls = 0;
		raw_roundtrip(base, port, request, 0, &r);
		CHECK_INT_EQ(r.code, 200);
		CHECK_INT_EQ(calls, 1);
		CHECK_INT_EQ(last_type, dav[i].type);
		CHECK_UINT_EQ(last_body_len, 3);
		resp_free(&r);
	}

	/* Extended methods: known through the callback, and allowed. */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | REQ_PURGE | REQ_BREW);
	raw_roundtrip(base, port, "PURGE /ok HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 501);
	resp_free(&r);
	evhttp_set_ext_method_cmp(http, my_ext_method);
	calls = 0;
	raw_roundtrip(base, port, "PURGE /ok HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 200);
	CHECK_INT_EQ(last_type, REQ_PURGE);
	resp_free(&r);
	/* BREW has a body, PURGE not (its bytes would start the next request). */
	raw_roundtrip(base, port, "BREW /ok HTTP/1.1\r\nContent-Length: 4\r\n\r\ntea!", 0, &r);
	CHECK_INT_EQ(r.code, 200);
	CHECK_INT_EQ(last_type, REQ_BREW);
	CHECK_UINT_EQ(last_body_len, 4);
	resp_free(&r);
	CHECK_INT_EQ(calls, 2);
	CHECK(ext_calls > 0);
	/* Known but not allowed: 501. */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET);
	raw_roundtrip(base, port, "PURGE /ok HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 501);
	resp_free(&r);
	/* Still unknown: 501. */
	evhttp_set_allowed_methods(http, 0xffffffffu);
	raw_roundtrip(base, port, "SPLASH /ok HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 501);
	resp_free(&r);
	/* A callback that changes the flags for a name: a bad request. */
	evhttp_set_ext_method_cmp(http, bad_ext_method);
	raw_roundtrip(base, port, "PURGE /ok HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 400);
	resp_free(&r);
	evhttp_set_ext_method_cmp(http, NULL);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
}

static int http_bev_calls, bound_bev_calls;

static struct bufferevent *http_bev(struct event_base *b, void *arg)
{
	CHECK(arg == &http_bev_calls);
	http_bev_calls++;
	return bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
}

static struct bufferevent *bound_bev(struct event_base *b, void *arg)
{
	CHECK(arg == &bound_bev_calls);
	bound_bev_calls++;
	return bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
}

static void test_bound_bevcb(struct evhttp *http)
{
	struct evhttp_bound_socket *other = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	ev_uint16_t other_port;
	struct resp r;

	REQUIRE(other != NULL);
	other_port = socket_port(evhttp_bound_socket_get_fd(other));
	evhttp_set_bevcb(http, http_bev, &http_bev_calls);
	evhttp_bound_set_bevcb(other, bound_bev, &bound_bev_calls);
	raw_roundtrip(base, other_port, "GET /ok HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 200);
	resp_free(&r);
	CHECK_INT_EQ(bound_bev_calls, 1);
	CHECK_INT_EQ(http_bev_calls, 0);
	raw_roundtrip(base, port, "GET /ok HTTP/1.1\r\n\r\n", 0, &r);
	CHECK_INT_EQ(r.code, 200);
	resp_free(&r);
	CHECK_INT_EQ(bound_bev_calls, 1);
	CHECK_INT_EQ(http_bev_calls, 1);
	evhttp_bound_set_bevcb(other, NULL, NULL);
	raw_roundtrip(base, other_port, "GET /ok HTTP/1.1\r\n\r\n", 0, &r);
	resp_free(&r);
	CHECK_INT_EQ(http_bev_calls, 2);
	evhttp_set_bevcb(http, NULL, NULL);
	evhttp_del_accept_socket(http, other);
}

static int big_closed;

static void big_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	(void)arg;
	big_closed++;
}

/* Sends more than the socket buffers hold. */
static void big_cb(struct evhttp_request *req, void *arg)
{
	size_t n = 64 * 1024 * 1024;
	char *data = calloc(1, n);
	(void)arg;
	REQUIRE(data != NULL);
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), big_closed_cb, NULL);
	evbuffer_add(evhttp_request_get_output_buffer(req), data, n);
	free(data);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void test_timeouts(struct evhttp *http)
{
	struct timeval tv = {0, 500000};
	struct raw_conn c;

	/* Reading: an idle connection is closed. */
	evhttp_set_read_timeout_tv(http, &tv);
	raw_open(&c, port);
	CHECK(!raw_wait_eof(base, &c, 100));
	CHECK(raw_wait_eof(base, &c, 3000));
	CHECK_UINT_EQ(c.len, 0);
	raw_close(&c);
	evhttp_set_read_timeout_tv(http, NULL);
	raw_open(&c, port);
	CHECK(!raw_wait_eof(base, &c, 500));
	raw_close(&c);

	/* Writing: a client that reads nothing; the server gives up. */
	evhttp_set_write_timeout_tv(http, &tv);
	big_closed = 0;
	raw_open(&c, port);
	raw_send(base, &c, "GET /big HTTP/1.1\r\n\r\n");
	for (int w = 0; w < 5000 && !big_closed; w += 10)
		run_for(base, 10);
	CHECK_INT_EQ(big_closed, 1);
	raw_close(&c);
	evhttp_set_write_timeout_tv(http, NULL);
}

static void test_folded_add_header(void)
{
	struct evkeyvalq h;
	TAILQ_INIT(&h);
	CHECK_INT_EQ(evhttp_add_header(&h, "K1", "a\r\n b"), 0);
	CHECK_INT_EQ(evhttp_add_header(&h, "K2", "a\n\tb"), 0);
	CHECK_STR_EQ(evhttp_find_header(&h, "K1"), "a\r\n b");
	CHECK_INT_EQ(evhttp_add_header(&h, "K3", "a\r\nb"), -1);
	evhttp_clear_headers(&h);
}

int main(void)
{
	struct evhttp *http;

	base = new_base();
	http = start_server(base, &port, NULL);
	evhttp_set_cb(http, "/ok", ok_cb, NULL);
	evhttp_set_cb(http, "/error", error_cb, NULL);
	evhttp_set_cb(http, "/big", big_cb, NULL);

	test_error_pages();
	test_errorcb(http);
	test_newreqcb(http);
	test_max_connections(http);
	test_methods(http);
	test_bound_bevcb(http);
	test_timeouts(http);
	test_folded_add_header();

	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
