/* Python's http.client against an evhttp server running in this process's loop; the
 * script runs in a child (`python3 -c`, found on PATH; without it the program skips and
 * passes) and its output comes back through a pipe read by an event in the same loop.
 * The script pipelines requests (a GET, a POST with a body, a GET) on one raw socket in
 * a single write, then reads the three answers in order with http.client.HTTPResponse
 * on that socket; then, with http.client.HTTPConnection, reads a reply the server sends
 * in chunks, sends a chunked upload, and makes another request on the same connection.
 * The server's bufferevent callback counts connections: one for each part. */
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http_peer_support.h"

static struct event_base *base;
static int connections;
static int handled;

static struct bufferevent *count_bev_cb(struct event_base *b, void *arg)
{
	(void)arg;
	connections++;
	return bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
}

/* Answers "<method> <uri> <body>", so the script can tell the answers apart. */
static void echo_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer *body = evbuffer_new();
	(void)arg;
	handled++;
	evbuffer_add_printf(body, "%s %s ",
	    evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" : "GET",
	    evhttp_request_get_uri(req));
	evbuffer_add_buffer(body, in);
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
}

/* A reply in four chunks, one per loop turn. */
struct chunked_reply {
	struct evhttp_request *req;
	struct event *timer;
	int sent;
};

static void chunk_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct chunked_reply *r = arg;
	struct timeval soon = {0, 2000};
	(void)fd;
	(void)what;
	if (r->sent < 4) {
		struct evbuffer *chunk = evbuffer_new();
		/* Sizes that need more than one hex digit, and a small one. */
		int size = r->sent == 3 ? 3 : 100 * (r->sent + 1);
		for (int i = 0; i < size; i++)
			evbuffer_add(chunk, "abcdefghij" + (r->sent + i) % 10, 1);
		r->sent++;
		evhttp_send_reply_chunk(r->req, chunk);
		evbuffer_free(chunk);
		evtimer_add(r->timer, &soon);
		return;
	}
	evhttp_send_reply_end(r->req);
	event_free(r->timer);
	free(r);
}

static void chunked_cb(struct evhttp_request *req, void *arg)
{
	struct chunked_reply *r = calloc(1, sizeof(*r));
	struct timeval soon = {0, 2000};
	(void)arg;
	handled++;
	REQUIRE(r != NULL);
	r->req = req;
	r->timer = evtimer_new(base, chunk_timer_cb, r);
	REQUIRE(r->timer != NULL);
	evhttp_send_reply_start(req, 200, "OK");
	evtimer_add(r->timer, &soon);
}

/* The client. Each answer's lines are printed; the program compares them. */
static const char script[] =
    "import http.client, socket, sys, zlib\n"
    "port = int(sys.argv[1])\n"
    "\n"
    "# Pipelined: three requests in one write, then three answers parsed in turn\n"
    "# from one buffered reader over the socket.\n"
    "class Shared:\n"
    "    \"\"\"Gives every HTTPResponse the same reader, and keeps it open.\"\"\"\n"
    "    def __init__(self, f):\n"
    "        self.f = f\n"
    "    def makefile(self, *args, **kwargs):\n"
    "        return self\n"
    "    def __getattr__(self, name):\n"
    "        return getattr(self.f, name)\n"
    "    def close(self):\n"
    "        pass\n"
    "\n"
    "s = socket.create_connection(('127.0.0.1', port), timeout=20)\n"
    "shared = Shared(s.makefile('rb'))\n"
    "s.sendall(b'GET /p1 HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n'\n"
    "          b'POST /p2 HTTP/1.1\\r\\nHost: t\\r\\nContent-Length: 5\\r\\n\\r\\nhello'\n"
    "          b'GET /p3?x=1 HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n')\n"
    "for method in ('GET', 'POST', 'GET'):\n"
    "    r = http.client.HTTPResponse(shared, method=method)\n"
    "    r.begin()\n"
    "    print('pipelined', r.status, r.reason, r.version, r.getheader('Content-Length'),\n"
    "          repr(r.read().decode()))\n"
    "s.close()\n"
    "\n"
    "# A chunked reply, a chunked upload, then one more request: one connection.\n"
    "c = http.client.HTTPConnection('127.0.0.1', port, timeout=20)\n"
    "c.request('GET', '/chunked')\n"
    "r = c.getresponse()\n"
    "body = r.read()\n"
    "print('chunked', r.status, r.getheader('Transfer-Encoding'), r.getheader('Content-Length'),\n"
    "      len(body), hex(zlib.crc32(body)))\n"
    "c.request('POST', '/up', body=iter([b'abc', b'', b'defgh']), encode_chunked=True)\n"
    "r = c.getresponse()\n"
    "print('upload', r.status, repr(r.read().decode()))\n"
    "c.request('GET', '/last')\n"
    "r = c.getresponse()\n"
    "print('last', r.status, repr(r.read().decode()))\n"
    "c.close()\n";

int main(void)
{
	struct evhttp *http;
	struct hps_child child;
	char port_arg[16], want[1024];
	const char *argv[] = {"python3", "-c", script, port_arg, NULL};
	char chunked_body[1000];
	size_t chunked_len = 0;
	unsigned long crc;

	signal(SIGPIPE, SIG_IGN);
	if (!hps_find_program("python3")) {
		printf("skip: python3 is not installed\n");
		CHECK(1);
		return check_report();
	}
	base = event_base_new();
	REQUIRE(base != NULL);
	http = evhttp_new(base);
	REQUIRE(http != NULL);
	evhttp_set_bevcb(http, count_bev_cb, NULL);
	evhttp_set_cb(http, "/chunked", chunked_cb, NULL);
	evhttp_set_gencb(http, echo_cb, NULL);
	snprintf(port_arg, sizeof(port_arg), "%d", hps_serve(http, 128));

	hps_spawn(base, &child, (char *const *)argv);
	CHECK(hps_finish_child(base, &child, 40000));
	CHECK(hps_exited_ok(&child));

	/* What the chunked reply holds, and its CRC-32 as Python's zlib computes it. */
	for (int n = 0; n < 4; n++) {
		int size = n == 3 ? 3 : 100 * (n + 1);
		for (int i = 0; i < size; i++)
			chunked_body[chunked_len++] = "abcdefghij"[(n + i) % 10];
	}
	crc = 0xffffffffUL;
	for (size_t i = 0; i < chunked_len; i++) {
		crc ^= (unsigned char)chunked_body[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320UL & (0UL - (crc & 1)));
	}
	crc ^= 0xffffffffUL;

	snprintf(want, sizeof(want),
	    "pipelined 200 OK 11 8 'GET /p1 '\n"
	    "pipelined 200 OK 11 14 'POST /p2 hello'\n"
	    "pipelined 200 OK 11 12 'GET /p3?x=1 '\n"
	    "chunked 200 chunked None %zu %#lx\n"
	    "upload 200 'POST /up abcdefgh'\n"
	    "last 200 'GET /last '\n",
	    chunked_len, crc);
	CHECK_STR_EQ(child.out, want);
	/* One connection for the pipelined requests, one for http.client's. */
	CHECK_INT_EQ(connections, 2);
	CHECK_INT_EQ(handled, 6);
	hps_child_free(&child);

	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
