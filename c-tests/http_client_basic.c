/* The HTTP client against an evhttp server and against a raw server that shows the
 * exact bytes sent: evhttp_connection_base_new (to 127.0.0.1, and to "localhost" with
 * no DNS base and evhttp_connection_set_family), evhttp_make_request for GET, POST, PUT,
 * DELETE, HEAD, OPTIONS, PATCH (the request line, the headers added, Content-Length for
 * POST and PUT, "Expect: 100-continue" holding the body back), the response fields
 * (code, code line, headers, body), requests queued on one connection run in order, the
 * chunk and header callbacks, the error callback for each error that can be provoked
 * (timeout, EOF, bad header, too long, cancel) and the callback then called with NULL,
 * a refused connection, evhttp_cancel_request on a running and on a queued request, the
 * close callback, get_peer, get_addr, get_server, get_base, get_bufferevent,
 * evhttp_connection_free_on_completion, evhttp_connection_set_local_address /
 * set_local_port, evhttp_request_set_on_complete_cb on the server side. */
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

/* What a client request saw. */
struct outcome {
	int done;        /* the request callback ran */
	int got_null;    /* ... with NULL */
	int code;
	char line[64];
	char body[256];
	char ctype[64];
	int nerrors;
	int error;       /* the last error */
	int error_before_done;
	int chunks;
	char chunk_data[256];
	int headers_seen;
	int header_cb_code;
	int header_cb_result;
	int order;       /* when it finished, counting from 1 */
	int kind;
	struct evhttp_connection *evcon_in_cb;
	struct evhttp_request *req;
};

static int finished;

static void request_done(struct evhttp_request *req, void *arg)
{
	struct outcome *o = arg;
	o->done++;
	o->order = ++finished;
	if (!req) {
		o->got_null = 1;
		return;
	}
	CHECK(req == o->req);
	o->code = evhttp_request_get_response_code(req);
	copy_text(o->line, sizeof(o->line), evhttp_request_get_response_code_line(req));
	{
		char *b = buffer_text(evhttp_request_get_input_buffer(req));
		copy_text(o->body, sizeof(o->body), b);
		free(b);
	}
	copy_text(o->ctype, sizeof(o->ctype),
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type"));
	o->evcon_in_cb = evhttp_request_get_connection(req);
	o->kind = req->kind;
}

static void request_error(enum evhttp_request_error err, void *arg)
{
	struct outcome *o = arg;
	o->nerrors++;
	o->error = (int)err;
	o->error_before_done = !o->done;
}

static void request_chunk(struct evhttp_request *req, void *arg)
{
	struct outcome *o = arg;
	char *b = buffer_text(evhttp_request_get_input_buffer(req));
	o->chunks++;
	strncat(o->chunk_data, b, sizeof(o->chunk_data) - strlen(o->chunk_data) - 1);
	strncat(o->chunk_data, "|", sizeof(o->chunk_data) - strlen(o->chunk_data) - 1);
	free(b);
}

static int request_headers(struct evhttp_request *req, void *arg)
{
	struct outcome *o = arg;
	o->headers_seen++;
	o->header_cb_code = evhttp_request_get_response_code(req);
	return o->header_cb_result;
}

static struct evhttp_request *new_request(struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->code = -1;
	o->req = evhttp_request_new(request_done, o);
	REQUIRE(o->req != NULL);
	evhttp_request_set_error_cb(o->req, request_error);
	return o->req;
}

static int wait_done(struct outcome *o)
{
	return run_until(base, &o->done, HTTP_WAIT_MS);
}

/* ---- Against an evhttp server ---------------------------------------------------- */

struct server_seen {
	int calls;
	char method_uri[128];
	char body[128];
	char host[64];
	int remote_port;
	struct evhttp *server_of_conn;
	int completes;
	void *complete_arg;
};

static struct server_seen seen;
static struct evhttp *server;

static void on_complete(struct evhttp_request *req, void *arg)
{
	CHECK(req != NULL);
	seen.completes++;
	seen.complete_arg = arg;
}

static void server_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	char *body = buffer_text(evhttp_request_get_input_buffer(req));
	const char *uri = evhttp_request_get_uri(req);
	(void)arg;
	seen.calls++;
	snprintf(seen.method_uri, sizeof(seen.method_uri), "%d %.100s",
	    (int)evhttp_request_get_command(req), uri);
	copy_text(seen.body, sizeof(seen.body), body);
	copy_text(seen.host, sizeof(seen.host),
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Host"));
	seen.remote_port = req->remote_port;
	seen.server_of_conn = evhttp_connection_get_server(evhttp_request_get_connection(req));
	evhttp_request_set_on_complete_cb(req, on_complete, &seen);
	if (!strncmp(uri, "/chunked", 8)) {
		evhttp_send_reply_start(req, HTTP_OK, "Chunky");
		evbuffer_add_printf(out, "one");
		evhttp_send_reply_chunk(req, out);
		evbuffer_add_printf(out, "two");
		evhttp_send_reply_chunk(req, out);
		evhttp_send_reply_end(req);
	} else if (!strncmp(uri, "/close", 6)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		evbuffer_add_printf(out, "bye");
		evhttp_send_reply(req, HTTP_OK, "OK", NULL);
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
		    "text/plain");
		/* (No body for HEAD: libevent would send it anyway.) */
		if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
			evbuffer_add_printf(out, "echo %s", body);
		evhttp_send_reply(req, 202, "Taken", NULL);
	}
	free(body);
}

static int closecb_calls;
static void *closecb_arg;

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	closecb_calls++;
	closecb_arg = arg;
}

static void test_against_server(ev_uint16_t port)
{
	struct evhttp_connection *evcon;
	struct outcome o, o2, o3;
	struct evhttp_request *req;
	const char *addr = NULL;
	ev_uint16_t peer_port = 0;
	const struct sockaddr *sa;

	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	REQUIRE(evcon != NULL);
	CHECK(evhttp_connection_get_base(evcon) == base);
	CHECK(evhttp_connection_get_bufferevent(evcon) != NULL);
	CHECK(evhttp_connection_get_server(evcon) == NULL);
	evhttp_connection_get_peer(evcon, (void *)&addr, &peer_port);
	CHECK_STR_EQ(addr, "127.0.0.1");
	CHECK_INT_EQ(peer_port, port);
	evhttp_connection_set_closecb(evcon, on_close, &o);

	/* GET: the response as the callback sees it. */
	req = new_request(&o);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "example.test");
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/get?x=1"), 0);
	/* Made into a request, on this connection. */
	CHECK_INT_EQ(req->kind, EVHTTP_REQUEST);
	CHECK(evhttp_request_get_connection(req) == evcon);
	CHECK_STR_EQ(evhttp_request_get_uri(req), "/get?x=1");
	CHECK_INT_EQ(evhttp_request_get_command(req), EVHTTP_REQ_GET);
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.code, 202);
	CHECK_STR_EQ(o.line, "Taken");
	CHECK_STR_EQ(o.body, "echo ");
	CHECK_STR_EQ(o.ctype, "text/plain");
	CHECK_INT_EQ(o.nerrors, 0);
	CHECK_INT_EQ(o.kind, EVHTTP_RESPONSE);
	/* In the callback the request no longer belongs to the connection. */
	CHECK(o.evcon_in_cb == NULL);
	CHECK_STR_EQ(seen.method_uri, "1 /get?x=1");
	CHECK_STR_EQ(seen.host, "example.test");
	CHECK(seen.server_of_conn == server);
	/* Now connected: the peer's address. */
	sa = evhttp_connection_get_addr(evcon);
	CHECK(sa != NULL);
	if (sa) {
		CHECK_INT_EQ(sa->sa_family, AF_INET);
		CHECK_INT_EQ(ntohs(((const struct sockaddr_in *)sa)->sin_port), port);
	}
	/* The server's completion callback ran once the reply was sent. */
	CHECK_INT_EQ(seen.completes, 1);
	CHECK(seen.complete_arg == &seen);

	/* POST, PUT, DELETE, PATCH, OPTIONS with bodies on the same connection. */
	evhttp_set_allowed_methods(server, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	{
		static const struct {
			enum evhttp_cmd_type type;
			const char *want;
		} methods[] = {
			{EVHTTP_REQ_POST, "2 /m"},
			{EVHTTP_REQ_PUT, "8 /m"},
		};
		for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
			req = new_request(&o);
			evbuffer_add_printf(evhttp_request_get_output_buffer(req), "data%zu", i);
			CHECK_INT_EQ(evhttp_make_request(evcon, req, methods[i].type, "/m"), 0);
			CHECK(wait_done(&o));
			CHECK_INT_EQ(o.code, 202);
			CHECK_STR_EQ(seen.method_uri, methods[i].want);
			{
				char want[32];
				snprintf(want, sizeof(want), "data%zu", i);
				CHECK_STR_EQ(seen.body, want);
			}
		}
	}
	/* (PATCH with a body gets a Content-Length from libevent 2.2 only: without.) */
	req = new_request(&o);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_PATCH, "/p"), 0);
	CHECK(wait_done(&o));
	CHECK_STR_EQ(seen.method_uri, "256 /p");
	req = new_request(&o);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_DELETE, "/d"), 0);
	CHECK(wait_done(&o));
	CHECK_STR_EQ(seen.method_uri, "16 /d");
	req = new_request(&o);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_OPTIONS, "*"), 0);
	CHECK(wait_done(&o));
	CHECK_STR_EQ(seen.method_uri, "32 *");
	/* HEAD: the response has no body. */
	req = new_request(&o);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_HEAD, "/h"), 0);
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.code, 202);
	CHECK_STR_EQ(o.body, "");
	CHECK_STR_EQ(seen.method_uri, "4 /h");
	/* Still one connection. */
	CHECK_INT_EQ(closecb_calls, 0);

	/* Three requests queued at once: sent one after the other, finished in order. */
	new_request(&o);
	new_request(&o2);
	new_request(&o3);
	finished = 0;
	evbuffer_add_printf(evhttp_request_get_output_buffer(o2.req), "second");
	CHECK_INT_EQ(evhttp_make_request(evcon, o.req, EVHTTP_REQ_GET, "/1"), 0);
	CHECK_INT_EQ(evhttp_make_request(evcon, o2.req, EVHTTP_REQ_POST, "/2"), 0);
	CHECK_INT_EQ(evhttp_make_request(evcon, o3.req, EVHTTP_REQ_GET, "/3"), 0);
	CHECK(run_until(base, &o3.done, HTTP_WAIT_MS));
	CHECK_INT_EQ(o.order, 1);
	CHECK_INT_EQ(o2.order, 2);
	CHECK_INT_EQ(o3.order, 3);
	CHECK_STR_EQ(o2.body, "echo second");

	/* Chunks delivered one by one to the chunk callback; the request callback then
	 * sees an empty body. */
	req = new_request(&o);
	evhttp_request_set_chunked_cb(req, request_chunk);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/chunked"), 0);
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.code, 200);
	CHECK_STR_EQ(o.line, "Chunky");
	CHECK_INT_EQ(o.chunks, 2);
	CHECK_STR_EQ(o.chunk_data, "one|two|");
	CHECK_STR_EQ(o.body, "");
	/* Without a chunk callback, the whole body. */
	req = new_request(&o);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/chunked"), 0);
	CHECK(wait_done(&o));
	CHECK_STR_EQ(o.body, "onetwo");

	/* The header callback sees the code before the body. */
	req = new_request(&o);
	evhttp_request_set_header_cb(req, request_headers);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/hdr"), 0);
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.headers_seen, 1);
	CHECK_INT_EQ(o.header_cb_code, 202);
	CHECK_STR_EQ(o.body, "echo ");
	CHECK_INT_EQ(closecb_calls, 0);
	/* A header callback that refuses: EOF error, the callback with NULL, and the
	 * connection closed. */
	req = new_request(&o);
	o.header_cb_result = -1;
	evhttp_request_set_header_cb(req, request_headers);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/hdr"), 0);
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.headers_seen, 1);
	CHECK_INT_EQ(o.nerrors, 1);
	CHECK_INT_EQ(o.error, EVREQ_HTTP_EOF);
	CHECK(o.error_before_done);
	CHECK(o.got_null);
	CHECK_INT_EQ(closecb_calls, 1);
	CHECK(closecb_arg == &o);

	/* The connection reconnects for the next request. */
	req = new_request(&o);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/again"), 0);
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.code, 202);
	/* The server closes after "Connection: close": the close callback runs. */
	req = new_request(&o);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/close"), 0);
	CHECK(wait_done(&o));
	CHECK_STR_EQ(o.body, "bye");
	run_for(base, 20);
	CHECK_INT_EQ(closecb_calls, 2);
	evhttp_connection_free(evcon);
	/* Freeing a closed connection does not call it again. */
	CHECK_INT_EQ(closecb_calls, 2);

	/* Freeing an idle connected one does. */
	closecb_calls = 0;
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	evhttp_connection_set_closecb(evcon, on_close, NULL);
	req = new_request(&o);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/x"), 0);
	CHECK(wait_done(&o));
	evhttp_connection_free(evcon);
	CHECK_INT_EQ(closecb_calls, 1);

	/* "localhost" with no DNS base, IPv4 asked for. */
	evcon = evhttp_connection_base_new(base, NULL, "localhost", port);
	REQUIRE(evcon != NULL);
	evhttp_connection_set_family(evcon, AF_INET);
	req = new_request(&o);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/local"), 0);
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.code, 202);
	CHECK_STR_EQ(seen.method_uri, "1 /local");
	evhttp_connection_get_peer(evcon, (void *)&addr, &peer_port);
	CHECK_STR_EQ(addr, "localhost");
	evhttp_connection_free(evcon);

	/* A local address and port. */
	{
		ev_uint16_t local = closed_port();
		evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
		evhttp_connection_set_local_address(evcon, "127.0.0.1");
		evhttp_connection_set_local_port(evcon, local);
		req = new_request(&o);
		CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/bound"), 0);
		CHECK(wait_done(&o));
		CHECK_INT_EQ(o.code, 202);
		CHECK_INT_EQ(seen.remote_port, local);
		evhttp_connection_free(evcon);
	}

	/* Freed on completion: nothing to free afterwards. */
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	evhttp_connection_free_on_completion(evcon);
	req = new_request(&o);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/close"), 0);
	CHECK(wait_done(&o));
	CHECK_STR_EQ(o.body, "bye");
	run_for(base, 20);
}

/* ---- Against a raw server ------------------------------------------------------- */

static void test_wire(void)
{
	ev_uint16_t port;
	evutil_socket_t lfd = raw_listen(&port);
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1",
	    port);
	struct raw_conn c;
	struct outcome o;
	struct evhttp_request *req;

	/* GET: the request line and the program's headers, nothing added. */
	req = new_request(&o);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "h");
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-A", "1");
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/p?q=1"), 0);
	REQUIRE(raw_accept(base, lfd, &c, HTTP_WAIT_MS));
	CHECK(raw_wait_str(base, &c, "\r\n\r\n", HTTP_WAIT_MS));
	CHECK_STR_EQ(c.data, "GET /p?q=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n");
	raw_consume(&c, c.len);
	raw_send(base, &c, "HTTP/1.1 200 Fine\r\nContent-Length: 2\r\nX-B: b\r\n\r\nok");
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.code, 200);
	CHECK_STR_EQ(o.line, "Fine");
	CHECK_STR_EQ(o.body, "ok");

	/* POST without a body: Content-Length: 0. */
	req = new_request(&o);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_POST, "/post"), 0);
	CHECK(raw_wait_str(base, &c, "\r\n\r\n", HTTP_WAIT_MS));
	CHECK_STR_EQ(c.data, "POST /post HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	raw_consume(&c, c.len);
	raw_send(base, &c, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.code, 201);

	/* PUT with a body: Content-Length after the program's headers, then the body. */
	req = new_request(&o);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/x");
	evbuffer_add(evhttp_request_get_output_buffer(req), "12345", 5);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_PUT, "/put"), 0);
	CHECK(raw_wait_str(base, &c, "12345", HTTP_WAIT_MS));
	CHECK_STR_EQ(c.data, "PUT /put HTTP/1.1\r\nContent-Type: text/x\r\n"
	    "Content-Length: 5\r\n\r\n12345");
	raw_consume(&c, c.len);
	/* A response without a reason phrase, and one split in pieces. */
	raw_send(base, &c, "HTTP/1.1 200\r\nContent-Le");
	pump(base, &c, 20);
	raw_send(base, &c, "ngth: 3\r\n\r\nab");
	pump(base, &c, 20);
	CHECK_INT_EQ(o.done, 0);
	raw_send(base, &c, "c");
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.code, 200);
	CHECK_STR_EQ(o.line, "");
	CHECK_STR_EQ(o.body, "abc");

	/* The program's own Content-Length is kept; the version can be chosen. */
	req = new_request(&o);
	req->major = 1;
	req->minor = 0;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Length", "0");
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_POST, "/v"), 0);
	CHECK(raw_wait_str(base, &c, "\r\n\r\n", HTTP_WAIT_MS));
	CHECK_STR_EQ(c.data, "POST /v HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
	raw_consume(&c, c.len);
	/* A body delimited by the end of the connection. */
	raw_send(base, &c, "HTTP/1.0 200 OK\r\n\r\nto the end");
	pump(base, &c, 20);
	raw_close(&c);
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.code, 200);
	CHECK_STR_EQ(o.body, "to the end");
	CHECK_INT_EQ(o.nerrors, 0);

	/* "Expect: 100-continue": the headers alone, the body after the interim
	 * response. */
	req = new_request(&o);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Expect", "100-continue");
	evbuffer_add(evhttp_request_get_output_buffer(req), "later", 5);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_POST, "/e"), 0);
	REQUIRE(raw_accept(base, lfd, &c, HTTP_WAIT_MS));
	CHECK(raw_wait_str(base, &c, "\r\n\r\n", HTTP_WAIT_MS));
	pump(base, &c, 30);
	CHECK_STR_EQ(c.data, "POST /e HTTP/1.1\r\nExpect: 100-continue\r\n"
	    "Content-Length: 5\r\n\r\n");
	raw_consume(&c, c.len);
	raw_send(base, &c, "HTTP/1.1 100 Continue\r\n\r\n");
	CHECK(raw_wait_str(base, &c, "later", HTTP_WAIT_MS));
	CHECK_STR_EQ(c.data, "later");
	raw_consume(&c, c.len);
	CHECK_INT_EQ(o.done, 0);
	raw_send(base, &c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
	CHECK(wait_done(&o));
	CHECK_INT_EQ(o.code, 200);
	CHECK_STR_EQ(o.body, "done");

	/* HEAD, DELETE, OPTIONS, TRACE, PATCH request lines. */
	{
		static const struct {
			enum evhttp_cmd_type type;
			const char *line;
		} lines[] = {
			{EVHTTP_REQ_HEAD, "HEAD /r HTTP/1.1\r\n\r\n"},
			{EVHTTP_REQ_DELETE, "DELETE /r HTTP/1.1\r\n\r\n"},
			{EVHTTP_REQ_OPTIONS, "OPTIONS /r HTTP/1.1\r\n\r\n"},
			{EVHTTP_REQ_TRACE, "TRACE /r HTTP/1.1\r\n\r\n"},
			{EVHTTP_REQ_PATCH, "PATCH /r HTTP/1.1\r\n\r\n"},
		};
		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			req = new_request(&o);
			CHECK_INT_EQ(evhttp_make_request(evcon, req, lines[i].type, "/r"), 0);
			CHECK(raw_wait_str(base, &c, "\r\n\r\n", HTTP_WAIT_MS));
			CHECK_STR_EQ(c.data, lines[i].line);
			raw_consume(&c, c.len);
			/* HEAD: a Content-Length but no body. */
			raw_send(base, &c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n");
			if (lines[i].type != EVHTTP_REQ_HEAD)
				raw_send(base, &c, "body");
			CHECK(wait_done(&o));
			CHECK_INT_EQ(o.code, 200);
			CHECK_STR_EQ(o.body, lines[i].type == EVHTTP_REQ_HEAD ? "" : "body");
		}
	}
	raw_close(&c);
	evhttp_connection_free(evcon);
	evutil_closesocket(lfd);
}

/* One request to a raw server that answers with response (NULL: nothing) and then
 * closes if close_after; the outcome. */
static void fail_with(const char *response, int close_after, struct outcome *o,
    void (*setup)(struct evhttp_connection *, struct evhttp_request *))
{
	ev_uint16_t port;
	evutil_socket_t lfd = raw_listen(&port);
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1",
	    port);
	struct evhttp_request *req = new_request(o);
	struct raw_conn c;

	if (setup)
		setup(evcon, req);
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/"), 0);
	REQUIRE(raw_accept(base, lfd, &c, HTTP_WAIT_MS));
	CHECK(raw_wait_str(base, &c, "\r\n\r\n", HTTP_WAIT_MS));
	if (response)
		raw_send(base, &c, response);
	if (close_after) {
		pump(base, &c, 20);
		raw_close(&c);
	}
	CHECK(wait_done(o));
	if (c.fd >= 0)
		raw_close(&c);
	evhttp_connection_free(evcon);
	evutil_closesocket(lfd);
}

static void short_timeout(struct evhttp_connection *evcon, struct evhttp_request *req)
{
	struct timeval tv = {0, 200000};
	(void)req;
	evhttp_connection_set_timeout_tv(evcon, &tv);
}

static void small_body(struct evhttp_connection *evcon, struct evhttp_request *req)
{
	(void)req;
	evhttp_connection_set_max_body_size(evcon, 5);
}

static void small_headers(struct evhttp_connection *evcon, struct evhttp_request *req)
{
	(void)req;
	evhttp_connection_set_max_headers_size(evcon, 40);
}

static void test_errors(void)
{
	struct outcome o;
	static const struct {
		const char *response;
		int close_after;
		void (*setup)(struct evhttp_connection *, struct evhttp_request *);
		int error;
	} cases[] = {
		/* No answer in time. */
		{NULL, 0, short_timeout, EVREQ_HTTP_TIMEOUT},
		{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, short_timeout,
		    EVREQ_HTTP_TIMEOUT},
		/* Closed before or in the middle of the answer. */
		{NULL, 1, NULL, EVREQ_HTTP_EOF},
		{"HTTP/1.1 200 OK\r\nContent-Le", 1, NULL, EVREQ_HTTP_EOF},
		{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1, NULL, EVREQ_HTTP_EOF},
		/* Not a response. */
		{"garbage\r\n\r\n", 0, NULL, EVREQ_HTTP_INVALID_HEADER},
		{"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0, NULL,
		    EVREQ_HTTP_INVALID_HEADER},
		{"HTTP/1.1 0 Zero\r\nContent-Length: 0\r\n\r\n", 0, NULL,
		    EVREQ_HTTP_INVALID_HEADER},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, NULL,
		    EVREQ_HTTP_INVALID_HEADER},
		{"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", 0, NULL, EVREQ_HTTP_INVALID_HEADER},
		/* A bad chunk size. */
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, NULL,
		    EVREQ_HTTP_DATA_TOO_LONG},
		/* Limits of the connection. */
		{"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n123456", 0, small_body,
		    EVREQ_HTTP_DATA_TOO_LONG},
		{"HTTP/1.1 200 OK\r\nX-Long: 12345678901234567890123456789012345\r\n\r\n", 0,
		    small_headers, EVREQ_HTTP_INVALID_HEADER},
	};

	CHECK_INT_EQ(EVREQ_HTTP_TIMEOUT, 0);
	CHECK_INT_EQ(EVREQ_HTTP_EOF, 1);
	CHECK_INT_EQ(EVREQ_HTTP_INVALID_HEADER, 2);
	CHECK_INT_EQ(EVREQ_HTTP_BUFFER_ERROR, 3);
	CHECK_INT_EQ(EVREQ_HTTP_REQUEST_CANCEL, 4);
	CHECK_INT_EQ(EVREQ_HTTP_DATA_TOO_LONG, 5);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fail_with(cases[i].response, cases[i].close_after, &o, cases[i].setup);
		/* The error callback, then the request callback with NULL. */
		CHECK_INT_EQ(o.nerrors, 1);
		CHECK_INT_EQ(o.error, cases[i].error);
		CHECK(o.error_before_done);
		CHECK_INT_EQ(o.done, 1);
		CHECK(o.got_null);
		if (o.nerrors != 1 || o.error != cases[i].error || !o.got_null)
			fprintf(stderr, "     (case %zu)\n", i);
	}

	/* Within the limits: fine. */
	fail_with("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n12345", 0, &o, small_body);
	CHECK_INT_EQ(o.nerrors, 0);
	CHECK_STR_EQ(o.body, "12345");
}

static void test_refused(void)
{
	ev_uint16_t port = closed_port();
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1",
	    port);
	struct outcome o, o2;

	/* A refused connection: each queued request's callback runs with the request
	 * (code 0), and no error callback. */
	new_request(&o);
	new_request(&o2);
	CHECK_INT_EQ(evhttp_make_request(evcon, o.req, EVHTTP_REQ_GET, "/"), 0);
	CHECK_INT_EQ(evhttp_make_request(evcon, o2.req, EVHTTP_REQ_GET, "/"), 0);
	CHECK(run_until(base, &o2.done, HTTP_WAIT_MS));
	CHECK_INT_EQ(o.done, 1);
	CHECK(!o.got_null);
	CHECK_INT_EQ(o.code, 0);
	CHECK_INT_EQ(o.nerrors, 0);
	CHECK(!o2.got_null);
	CHECK_INT_EQ(o2.code, 0);
	evhttp_connection_free(evcon);
}

static void test_cancel(void)
{
	ev_uint16_t port;
	evutil_socket_t lfd = raw_listen(&port);
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1",
	    port);
	struct outcome o, o2, o3;
	struct raw_conn c;

	new_request(&o);
	new_request(&o2);
	new_request(&o3);
	CHECK_INT_EQ(evhttp_make_request(evcon, o.req, EVHTTP_REQ_GET, "/1"), 0);
	CHECK_INT_EQ(evhttp_make_request(evcon, o2.req, EVHTTP_REQ_GET, "/2"), 0);
	CHECK_INT_EQ(evhttp_make_request(evcon, o3.req, EVHTTP_REQ_GET, "/3"), 0);
	REQUIRE(raw_accept(base, lfd, &c, HTTP_WAIT_MS));
	CHECK(raw_wait_str(base, &c, "\r\n\r\n", HTTP_WAIT_MS));
	CHECK_STR_EQ(c.data, "GET /1 HTTP/1.1\r\n\r\n");
	raw_consume(&c, c.len);

	/* A queued request: taken off the queue, no callback at all. */
	evhttp_cancel_request(o2.req);
	/* The running one: the error callback says so, the request callback does not
	 * run, and the connection is reset. */
	evhttp_cancel_request(o.req);
	CHECK_INT_EQ(o.nerrors, 1);
	CHECK_INT_EQ(o.error, EVREQ_HTTP_REQUEST_CANCEL);
	CHECK_INT_EQ(o.done, 0);
	/* The third goes out on a new connection. */
	CHECK(raw_wait_eof(base, &c, HTTP_WAIT_MS));
	raw_close(&c);
	REQUIRE(raw_accept(base, lfd, &c, HTTP_WAIT_MS));
	CHECK(raw_wait_str(base, &c, "\r\n\r\n", HTTP_WAIT_MS));
	CHECK_STR_EQ(c.data, "GET /3 HTTP/1.1\r\n\r\n");
	raw_send(base, &c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n3");
	CHECK(run_until(base, &o3.done, HTTP_WAIT_MS));
	CHECK_STR_EQ(o3.body, "3");
	run_for(base, 20);
	CHECK_INT_EQ(o.done, 0);
	CHECK_INT_EQ(o2.done, 0);
	CHECK_INT_EQ(o2.nerrors, 0);
	raw_close(&c);
	evhttp_connection_free(evcon);
	evutil_closesocket(lfd);
}

int main(void)
{
	ev_uint16_t port;

	base = new_base();
	server = start_server(base, &port, NULL);
	evhttp_set_gencb(server, server_cb, NULL);

	test_against_server(port);
	test_wire();
	test_errors();
	test_refused();
	test_cancel();

	evhttp_free(server);
	event_base_free(base);
	return check_report();
}
