/* curl against an evhttp server: the server runs in this process's loop, curl in a child
 * process (found on PATH; without it the program skips and passes), its output read
 * through a pipe by an event in the same loop. Cases: an HTTP/1.0 GET, an HTTP/1.1 GET,
 * two URLs in one curl run over one keep-alive connection (the server's bufferevent
 * callback counts connections), a chunked upload from a file, a POST with a body, HEAD,
 * evhttp's own 404, and a reply the server sends in chunks (evhttp_send_reply_start /
 * chunk / end) over several loop turns. */
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check.h"
#include "http_peer_support.h"

static struct event_base *base;
static int port;
static int connections;	/* counted by the server's bufferevent callback */

static struct bufferevent *count_bev_cb(struct event_base *b, void *arg)
{
	(void)arg;
	connections++;
	return bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
}

static void reply_text(struct evhttp_request *req, const char *text)
{
	struct evbuffer *body = evbuffer_new();
	evbuffer_add(body, text, strlen(text));
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
}

static void hello_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	reply_text(req, "hello");
}

static void path_cb(struct evhttp_request *req, void *arg)
{
	char text[128];
	(void)arg;
	snprintf(text, sizeof(text), "body%s", evhttp_request_get_uri(req));
	reply_text(req, text);
}

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Describes what arrived: method, Transfer-Encoding, body length and hash, and the
 * body itself when it is short. */
static void body_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *te = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Transfer-Encoding");
	size_t len = evbuffer_get_length(in);
	const unsigned char *p = evbuffer_pullup(in, -1);
	char text[256];
	(void)arg;
	snprintf(text, sizeof(text), "method=%s te=%s len=%zu fnv=%08x body=%.*s",
	    evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" : "other",
	    te ? te : "none", len, (unsigned)fnv1a(p, len), len <= 64 ? (int)len : 0,
	    (const char *)p);
	reply_text(req, text);
}

/* A reply in five chunks, one per loop turn. */
struct chunked_reply {
	struct evhttp_request *req;
	struct event *timer;
	int sent;
};

static void chunk_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct chunked_reply *r = arg;
	struct timeval soon = {0, 5000};
	(void)fd;
	(void)what;
	if (r->sent < 5) {
		struct evbuffer *chunk = evbuffer_new();
		evbuffer_add_printf(chunk, "chunk-%d;", r->sent++);
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
	struct timeval soon = {0, 5000};
	(void)arg;
	REQUIRE(r != NULL);
	r->req = req;
	r->timer = evtimer_new(base, chunk_timer_cb, r);
	REQUIRE(r->timer != NULL);
	evhttp_send_reply_start(req, 200, "OK");
	evtimer_add(r->timer, &soon);
}

/* ---- curl ---------------------------------------------------------------------------- */

/* Runs curl with the given arguments (after a common set: no ~/.curlrc, no proxy, a
 * time limit) and returns its output; checks that it exited with 0. */
static char *curl(const char *const args[])
{
	const char *argv[32];
	int n = 0;
	struct hps_child child;
	char *out;
	argv[n++] = "curl";
	argv[n++] = "-q";	/* must come first */
	argv[n++] = "-sS";
	argv[n++] = "--noproxy";
	argv[n++] = "*";
	argv[n++] = "--max-time";
	argv[n++] = hps_slowdown() > 1 ? "200" : "20";
	for (int i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	hps_spawn(base, &child, (char *const *)argv);
	CHECK(hps_finish_child(base, &child, 30000));
	CHECK(hps_exited_ok(&child));
	out = child.out ? child.out : strdup("");
	REQUIRE(out != NULL);
	return out;
}

static void url(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "http://127.0.0.1:%d%s", port, path);
}

/* Splits curl -i output into the final answer's status line, header block and body,
 * skipping interim 1xx answers. Returns 0 if it is not an answer. */
static int split(char *out, const char **status, const char **headers, const char **body)
{
	char *p = out;
	for (;;) {
		char *eol = strstr(p, "\r\n"), *end = strstr(p, "\r\n\r\n");
		if (!eol || !end)
			return 0;
		*eol = '\0';
		*status = p;
		*headers = eol + 2;
		*end = '\0';
		*body = end + 4;
		if (strncmp(p, "HTTP/1.1 1", 10) != 0 && strncmp(p, "HTTP/1.0 1", 10) != 0)
			return 1;
		p = end + 4;
	}
}

/* The value of a header in a header block, copied into buf, or NULL. */
static const char *header(const char *headers, const char *name, char *buf, size_t len)
{
	size_t nlen = strlen(name);
	const char *p = headers;
	while (p && *p) {
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1, *e;
			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			if (!e)
				e = v + strlen(v);
			snprintf(buf, len, "%.*s", (int)(e - v), v);
			return buf;
		}
		p = strstr(p, "\r\n");
		if (p)
			p += 2;
	}
	return NULL;
}

static void test_get_http10(void)
{
	char u[128], hv[64];
	const char *status, *headers, *body;
	int before = connections;
	char *out;
	url(u, sizeof(u), "/hello");
	out = curl((const char *[]){"--http1.0", "-i", u, NULL});
	REQUIRE(split(out, &status, &headers, &body));
	/* The answer speaks the request's version. Without keep-alive, the close ends the
	 * body: libevent sends no Content-Length then. */
	CHECK_STR_EQ(status, "HTTP/1.0 200 OK");
	CHECK_STR_EQ(body, "hello");
	CHECK(header(headers, "Content-Length", hv, sizeof(hv)) == NULL);
	CHECK(header(headers, "Connection", hv, sizeof(hv)) == NULL);
	CHECK_INT_EQ(connections - before, 1);
	free(out);

	/* HTTP/1.0 asking for keep-alive gets it, announced, with a Content-Length. */
	out = curl((const char *[]){"--http1.0", "-H", "Connection: keep-alive", "-i", u, NULL});
	REQUIRE(split(out, &status, &headers, &body));
	CHECK_STR_EQ(status, "HTTP/1.0 200 OK");
	CHECK_STR_EQ(body, "hello");
	CHECK_STR_EQ(header(headers, "Content-Length", hv, sizeof(hv)), "5");
	CHECK_STR_EQ(header(headers, "Connection", hv, sizeof(hv)), "keep-alive");
	free(out);
}

static void test_get_http11(void)
{
	char u[128], hv[64];
	const char *status, *headers, *body;
	char *out;
	url(u, sizeof(u), "/hello");
	out = curl((const char *[]){"--http1.1", "-i", u, NULL});
	REQUIRE(split(out, &status, &headers, &body));
	CHECK_STR_EQ(status, "HTTP/1.1 200 OK");
	CHECK_STR_EQ(body, "hello");
	CHECK_STR_EQ(header(headers, "Content-Length", hv, sizeof(hv)), "5");
	/* HTTP/1.1 answers carry a Date. */
	CHECK(header(headers, "Date", hv, sizeof(hv)) != NULL);
	free(out);
}

static void test_keepalive_two_urls(void)
{
	char a[128], b[128];
	int before = connections;
	char *out;
	url(a, sizeof(a), "/a");
	url(b, sizeof(b), "/b");
	/* curl's own count of new connections per transfer: 1, then 0 (reused). */
	out = curl((const char *[]){"--http1.1", "-w", "[%{http_code} %{num_connects}]", a, b,
	    NULL});
	CHECK_STR_EQ(out, "body/a[200 1]body/b[200 0]");
	CHECK_INT_EQ(connections - before, 1);
	free(out);
}

/* The upload's file, removed at exit also when a check stops the program. */
static char upload_path[] = "/tmp/evrs-curl-upload-XXXXXX";

static void remove_upload(void)
{
	unlink(upload_path);
}

static void test_chunked_upload(void)
{
	char u[128], arg[64], want[128];
	const char *path = upload_path;
	static unsigned char data[300000];
	int fd = mkstemp(upload_path);
	char *out;
	REQUIRE(fd >= 0);
	atexit(remove_upload);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 % 251);
	CHECK_INT_EQ(write(fd, data, sizeof(data)), sizeof(data));
	close(fd);
	url(u, sizeof(u), "/body");
	snprintf(arg, sizeof(arg), "@%s", path);
	out = curl((const char *[]){"--http1.1", "-H", "Transfer-Encoding: chunked",
	    "--data-binary", arg, u, NULL});
	snprintf(want, sizeof(want), "method=POST te=chunked len=%zu fnv=%08x body=",
	    sizeof(data), (unsigned)fnv1a(data, sizeof(data)));
	CHECK_STR_EQ(out, want);
	free(out);
}

static void test_post_body(void)
{
	static const char data[] = "name=value&x=1";
	char u[128], want[128];
	char *out;
	url(u, sizeof(u), "/body");
	out = curl((const char *[]){"--http1.1", "--data-binary", data, u, NULL});
	snprintf(want, sizeof(want), "method=POST te=none len=%zu fnv=%08x body=%s",
	    sizeof(data) - 1, (unsigned)fnv1a((const unsigned char *)data, sizeof(data) - 1),
	    data);
	CHECK_STR_EQ(out, want);
	free(out);
}

static void test_head(void)
{
	char u[128], hv[64];
	const char *status, *headers, *body;
	char *out;
	url(u, sizeof(u), "/hello");
	out = curl((const char *[]){"--http1.1", "-I", u, NULL});
	REQUIRE(split(out, &status, &headers, &body));
	CHECK_STR_EQ(status, "HTTP/1.1 200 OK");
	CHECK_STR_EQ(body, "");
	/* libevent sends no Content-Length (nor Content-Type) for HEAD: its rule is that
	 * a HEAD answer needs no body, and those headers go with a body. */
	CHECK(header(headers, "Content-Length", hv, sizeof(hv)) == NULL);
	CHECK(header(headers, "Content-Type", hv, sizeof(hv)) == NULL);
	CHECK(header(headers, "Date", hv, sizeof(hv)) != NULL);
	free(out);
}

static void test_not_found(void)
{
	char u[128];
	const char *status, *headers, *body;
	char *out;
	url(u, sizeof(u), "/missing");
	out = curl((const char *[]){"--http1.1", "-i", u, NULL});
	REQUIRE(split(out, &status, &headers, &body));
	/* The code is 404 in both versions; the reason phrase is not: 2.1 says "Not Found",
	 * 2.2.1 puts its "<p>The requested URL ... was not found on this server.</p>" in
	 * the status line. The page differs too; it is not empty. */
	CHECK(strncmp(status, "HTTP/1.1 404 ", 13) == 0);
	CHECK(strlen(body) > 0);
	free(out);
}

static void test_chunked_reply(void)
{
	char u[128], hv[64];
	const char *status, *headers, *body;
	char *out;
	url(u, sizeof(u), "/chunked");
	out = curl((const char *[]){"--http1.1", "-i", u, NULL});
	REQUIRE(split(out, &status, &headers, &body));
	CHECK_STR_EQ(status, "HTTP/1.1 200 OK");
	CHECK_STR_EQ(header(headers, "Transfer-Encoding", hv, sizeof(hv)), "chunked");
	CHECK(header(headers, "Content-Length", hv, sizeof(hv)) == NULL);
	/* curl took the chunks apart. */
	CHECK_STR_EQ(body, "chunk-0;chunk-1;chunk-2;chunk-3;chunk-4;");
	free(out);
}

int main(void)
{
	struct evhttp *http;

	signal(SIGPIPE, SIG_IGN);
	if (!hps_find_program("curl")) {
		printf("skip: curl is not installed\n");
		CHECK(1);
		return check_report();
	}
	base = event_base_new();
	REQUIRE(base != NULL);
	http = evhttp_new(base);
	REQUIRE(http != NULL);
	evhttp_set_bevcb(http, count_bev_cb, NULL);
	evhttp_set_cb(http, "/hello", hello_cb, NULL);
	evhttp_set_cb(http, "/a", path_cb, NULL);
	evhttp_set_cb(http, "/b", path_cb, NULL);
	evhttp_set_cb(http, "/body", body_cb, NULL);
	evhttp_set_cb(http, "/chunked", chunked_cb, NULL);
	port = hps_serve(http, 128);

	test_get_http10();
	test_get_http11();
	test_keepalive_two_urls();
	test_chunked_upload();
	test_post_body();
	test_head();
	test_not_found();
	test_chunked_reply();

	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
