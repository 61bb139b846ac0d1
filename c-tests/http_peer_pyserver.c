/* The evhttp client against Python's http.server: a small BaseHTTPRequestHandler
 * (HTTP/1.1, keep-alive) runs in a child process (`python3 -c`, found on PATH; without
 * it the program skips and passes), binds a port of the kernel's choosing and prints
 * it. Over one evhttp_connection: GET, POST with a body, HEAD (the answer announces a
 * Content-Length but has no body), a 404, a chunked answer, and three requests queued
 * at once. Codes, bodies and headers are checked, and the server's per-connection number
 * shows that every request went over the same connection. The server is killed and
 * reaped at the end (and at exit, if a check stops the program). */
// test: timeout 60
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http_peer_support.h"

static const char server_script[] =
    "import http.server, itertools\n"
    "connection_numbers = itertools.count(1)\n"
    "\n"
    "class Handler(http.server.BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "\n"
    "    def setup(self):\n"
    "        super().setup()\n"
    "        self.connection_number = next(connection_numbers)\n"
    "\n"
    "    def log_message(self, *args):\n"
    "        pass\n"
    "\n"
    "    def reply(self, code, text, extra=()):\n"
    "        data = text.encode()\n"
    "        self.send_response(code)\n"
    "        self.send_header('Content-Type', 'text/plain')\n"
    "        self.send_header('Content-Length', str(len(data)))\n"
    "        self.send_header('X-Conn', str(self.connection_number))\n"
    "        for name, value in extra:\n"
    "            self.send_header(name, value)\n"
    "        self.end_headers()\n"
    "        if self.command != 'HEAD':\n"
    "            self.wfile.write(data)\n"
    "\n"
    "    def do_GET(self):\n"
    "        if self.path == '/missing':\n"
    "            return self.reply(404, 'nope')\n"
    "        if self.path == '/chunked':\n"
    "            self.send_response(200)\n"
    "            self.send_header('Transfer-Encoding', 'chunked')\n"
    "            self.send_header('X-Conn', str(self.connection_number))\n"
    "            self.end_headers()\n"
    "            for part in (b'one,', b'two,', b'three' * 40):\n"
    "                self.wfile.write(b'%x\\r\\n%s\\r\\n' % (len(part), part))\n"
    "                self.wfile.flush()\n"
    "            self.wfile.write(b'0\\r\\n\\r\\n')\n"
    "            return\n"
    "        self.reply(200, 'GET %s x-test=%s' % (self.path, self.headers.get('X-Test')))\n"
    "\n"
    "    def do_HEAD(self):\n"
    "        self.reply(200, 'x' * 123)\n"
    "\n"
    "    def do_POST(self):\n"
    "        length = int(self.headers.get('Content-Length', 0))\n"
    "        body = self.rfile.read(length).decode()\n"
    "        self.reply(200, 'POST %s %s' % (self.path, body), [('X-Len', str(length))])\n"
    "\n"
    "server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)\n"
    "server.daemon_threads = True\n"
    "print('PORT', server.server_address[1], flush=True)\n"
    "server.serve_forever()\n";

/* What came back for one request. */
struct result {
	int done;
	int code;
	char body[2048];
	char conn[16];	/* X-Conn: the server's number for the connection */
	char content_length[32];
	char content_type[64];
	char transfer_encoding[32];
	char x_len[16];
};

static void copy_header(struct evhttp_request *req, const char *name, char *out, size_t len)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
	snprintf(out, len, "%s", v ? v : "(none)");
}

static void done_cb(struct evhttp_request *req, void *arg)
{
	struct result *r = arg;
	r->done = 1;
	if (!req) {
		r->code = -1;
		return;
	}
	r->code = evhttp_request_get_response_code(req);
	{
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(in);
		if (n >= sizeof(r->body))
			n = sizeof(r->body) - 1;
		evbuffer_remove(in, r->body, n);
		r->body[n] = '\0';
	}
	copy_header(req, "X-Conn", r->conn, sizeof(r->conn));
	copy_header(req, "Content-Length", r->content_length, sizeof(r->content_length));
	copy_header(req, "Content-Type", r->content_type, sizeof(r->content_type));
	copy_header(req, "Transfer-Encoding", r->transfer_encoding,
	    sizeof(r->transfer_encoding));
	copy_header(req, "X-Len", r->x_len, sizeof(r->x_len));
}

static void start(struct evhttp_connection *evcon, enum evhttp_cmd_type type, const char *uri,
    const char *body, struct result *r)
{
	struct evhttp_request *req = evhttp_request_new(done_cb, r);
	REQUIRE(req != NULL);
	memset(r, 0, sizeof(*r));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Test", "t-value");
	if (body)
		evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	REQUIRE(evhttp_make_request(evcon, req, type, uri) == 0);
}

static void run(struct event_base *base, struct evhttp_connection *evcon,
    enum evhttp_cmd_type type, const char *uri, const char *body, struct result *r)
{
	start(evcon, type, uri, body, r);
	CHECK(hps_run_until(base, &r->done, 1, 20000));
}

int main(void)
{
	struct event_base *base;
	struct evhttp_connection *evcon;
	struct hps_child server;
	struct result r, q[3];
	const char *argv[] = {"python3", "-c", server_script, NULL};
	char first_conn[16], want[128];
	int port = 0, queued_done;

	signal(SIGPIPE, SIG_IGN);
	if (!hps_find_program("python3")) {
		printf("skip: python3 is not installed\n");
		CHECK(1);
		return check_report();
	}
	base = event_base_new();
	REQUIRE(base != NULL);

	/* Start the server and read its port. */
	hps_spawn(base, &server, (char *const *)argv);
	hps_run_until(base, &server.out_lines, 1, 20000);
	REQUIRE(server.out && sscanf(server.out, "PORT %d", &port) == 1 && port > 0);

	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", (unsigned short)port);
	REQUIRE(evcon != NULL);
	evhttp_connection_set_timeout(evcon, 20);

	run(base, evcon, EVHTTP_REQ_GET, "/hello?a=b", NULL, &r);
	CHECK_INT_EQ(r.code, 200);
	CHECK_STR_EQ(r.body, "GET /hello?a=b x-test=t-value");
	CHECK_STR_EQ(r.content_type, "text/plain");
	CHECK_STR_EQ(r.content_length, "29");
	snprintf(first_conn, sizeof(first_conn), "%s", r.conn);
	CHECK(strcmp(first_conn, "(none)") != 0);

	/* The client adds the Content-Length of a POST's body itself. */
	run(base, evcon, EVHTTP_REQ_POST, "/submit", "a=1&b=2", &r);
	CHECK_INT_EQ(r.code, 200);
	CHECK_STR_EQ(r.body, "POST /submit a=1&b=2");
	CHECK_STR_EQ(r.x_len, "7");
	CHECK_STR_EQ(r.conn, first_conn);

	/* HEAD: the length of what a GET would get, and no body to wait for. */
	run(base, evcon, EVHTTP_REQ_HEAD, "/hello", NULL, &r);
	CHECK_INT_EQ(r.code, 200);
	CHECK_STR_EQ(r.body, "");
	CHECK_STR_EQ(r.content_length, "123");
	CHECK_STR_EQ(r.conn, first_conn);

	run(base, evcon, EVHTTP_REQ_GET, "/missing", NULL, &r);
	CHECK_INT_EQ(r.code, 404);
	CHECK_STR_EQ(r.body, "nope");
	CHECK_STR_EQ(r.conn, first_conn);

	run(base, evcon, EVHTTP_REQ_GET, "/chunked", NULL, &r);
	CHECK_INT_EQ(r.code, 200);
	CHECK_STR_EQ(r.transfer_encoding, "chunked");
	snprintf(want, sizeof(want), "one,two,");
	CHECK(strncmp(r.body, want, strlen(want)) == 0);
	CHECK_INT_EQ(strlen(r.body), 8 + 5 * 40);
	CHECK_STR_EQ(r.conn, first_conn);

	/* Three requests queued at once go out one after the other on the connection. */
	for (int i = 0; i < 3; i++) {
		char uri[16];
		snprintf(uri, sizeof(uri), "/q%d", i);
		start(evcon, EVHTTP_REQ_GET, uri, NULL, &q[i]);
	}
	queued_done = 0;
	for (int i = 0; i < 3; i++) {
		CHECK(hps_run_until(base, &q[i].done, 1, 20000));
		queued_done += q[i].done;
	}
	CHECK_INT_EQ(queued_done, 3);
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "GET /q%d x-test=t-value", i);
		CHECK_INT_EQ(q[i].code, 200);
		CHECK_STR_EQ(q[i].body, want);
		CHECK_STR_EQ(q[i].conn, first_conn);
	}

	evhttp_connection_free(evcon);
	hps_kill_child(&server);
	CHECK(WIFSIGNALED(server.status));
	hps_child_free(&server);
	event_base_free(base);
	return check_report();
}
