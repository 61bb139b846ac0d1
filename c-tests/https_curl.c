/* curl as the HTTPS client of an evhttp server whose bufferevent callback makes TLS
 * socket bufferevents (bufferevent_openssl_socket_new, BUFFEREVENT_SSL_ACCEPTING,
 * BEV_OPT_CLOSE_ON_FREE). curl (a child process, found on PATH; without it the test
 * skips) trusts the test's certificate (--cacert, written to a temporary directory)
 * and checks the name "localhost". Cases: three URLs in one curl run over one
 * keep-alive TLS connection (curl's count of new connections, and the server's
 * bufferevent callback's); a chunked reply (Transfer-Encoding: chunked, no
 * Content-Length) taken apart intact; a 1 MiB binary chunked reply whose length and
 * checksum curl's output must match; a POST with a 300 KiB body from a file, and one
 * with a short body. On evrs also a chunked reply spread over loop turns, which
 * libevent 2.1 does not finish over TLS (see https_evhttp.c). */
// test: link event_openssl event_extra event_core ssl crypto
// test: timeout 90
#define _GNU_SOURCE /* strcasestr */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <strings.h>

#include "check.h"
#include "ssl_peer_support.h"
#include "ssl_support.h"

#define BIG_SIZE (1024 * 1024)
#define POST_SIZE (300 * 1024)

static struct event_base *base;
static struct sps_identity identity;
static int port;
static int connections;

/* ---- Server -------------------------------------------------------------------------- */

static struct bufferevent *tls_bevcb(struct event_base *b, void *arg)
{
	(void)arg;
	connections++;
	return bufferevent_openssl_socket_new(b, -1, SSL_new(identity.server),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static void reply_text(struct evhttp_request *req, const char *text)
{
	struct evbuffer *body = evbuffer_new();
	evbuffer_add(body, text, strlen(text));
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
}

static void path_cb(struct evhttp_request *req, void *arg)
{
	char text[128];
	(void)arg;
	snprintf(text, sizeof(text), "body%s", evhttp_request_get_uri(req));
	reply_text(req, text);
}

static void post_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	uint64_t sum = ssl_checksum(SSL_CHECKSUM_START, evbuffer_pullup(in, -1), len);
	char text[128];
	(void)arg;
	snprintf(text, sizeof(text), "%s len=%zu sum=%016llx",
	    evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" : "other", len,
	    (unsigned long long)sum);
	reply_text(req, text);
}

/* Five short text chunks, queued from the request's callback. */
static void text_chunks_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_reply_start(req, 200, "OK");
	for (int i = 0; i < 5; i++) {
		struct evbuffer *chunk = evbuffer_new();
		evbuffer_add_printf(chunk, "chunk-%d;", i);
		evhttp_send_reply_chunk(req, chunk);
		evbuffer_free(chunk);
	}
	evhttp_send_reply_end(req);
}

/* 1 MiB of the test pattern in pieces of 1 to 64 KiB: all queued at once, or (evrs
 * only) one per loop turn, each once the one before has been written. */
struct big_reply {
	struct evhttp_request *req;
	struct event *timer;
	size_t sent;
	uint64_t rng;
	int paced;
};

static void piece_written_cb(struct evhttp_connection *conn, void *arg)
{
	struct big_reply *r = arg;
	struct timeval now = {0, 0};
	(void)conn;
	evtimer_add(r->timer, &now);
}

static int send_piece(struct big_reply *r)
{
	struct evbuffer *chunk;
	unsigned char piece[64 * 1024];
	size_t n;
	if (r->sent == BIG_SIZE) {
		evhttp_send_reply_end(r->req);
		event_free(r->timer);
		free(r);
		return 0;
	}
	n = 1 + (size_t)(hps_rng_next(&r->rng) % (64 * 1024));
	if (n > BIG_SIZE - r->sent)
		n = BIG_SIZE - r->sent;
	for (size_t i = 0; i < n; i++)
		piece[i] = ssl_pattern_byte(r->sent + i);
	chunk = evbuffer_new();
	evbuffer_add(chunk, piece, n);
	r->sent += n;
	if (r->paced)
		evhttp_send_reply_chunk_with_cb(r->req, chunk, piece_written_cb, r);
	else
		evhttp_send_reply_chunk(r->req, chunk);
	evbuffer_free(chunk);
	return 1;
}

static void piece_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	send_piece(arg);
}

static void big_cb(struct evhttp_request *req, void *arg)
{
	struct big_reply *r = calloc(1, sizeof(*r));
	REQUIRE(r != NULL);
	r->req = req;
	r->rng = 0x2545f4914f6cdd1dull;
	r->paced = arg != NULL;
	r->timer = evtimer_new(base, piece_timer_cb, r);
	REQUIRE(r->timer != NULL);
	evhttp_send_reply_start(req, 200, "OK");
	if (r->paced) {
		struct timeval now = {0, 0};
		evtimer_add(r->timer, &now);
		return;
	}
	while (send_piece(r))
		;
}

/* ---- curl ---------------------------------------------------------------------------- */

/* Runs curl over HTTPS with the test's certificate and "localhost" resolved to
 * 127.0.0.1, plus the given arguments; checks that it exited with 0; returns its
 * output and, in *len, its length. */
static char *curl(const char *const args[], size_t *len)
{
	const char *argv[40];
	char resolve[64];
	int n = 0;
	struct hps_child child;
	char *out;
	snprintf(resolve, sizeof(resolve), "localhost:%d:127.0.0.1", port);
	argv[n++] = "curl";
	argv[n++] = "-q";	/* must come first: no ~/.curlrc */
	argv[n++] = "-sS";
	argv[n++] = "--noproxy";
	argv[n++] = "*";
	argv[n++] = "--max-time";
	argv[n++] = hps_slowdown() > 1 ? "200" : "20";
	argv[n++] = "--http1.1";
	argv[n++] = "--cacert";
	argv[n++] = identity.cert_path;
	argv[n++] = "--resolve";
	argv[n++] = resolve;
	for (int i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	hps_spawn(base, &child, (char *const *)argv);
	CHECK(hps_finish_child(base, &child, 30000));
	CHECK(hps_exited_ok(&child));
	*len = child.out_len;
	out = child.out ? child.out : strdup("");
	REQUIRE(out != NULL);
	return out;
}

static void url(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "https://localhost:%d%s", port, path);
}

static void test_keepalive(void)
{
	char a[128], b[128], c[128];
	int before = connections;
	size_t len;
	char *out;
	url(a, sizeof(a), "/a");
	url(b, sizeof(b), "/b");
	url(c, sizeof(c), "/c");
	/* curl's count of new connections per transfer: 1, then 0 (reused). */
	out = curl((const char *[]){"-w", "[%{http_code} %{num_connects}]", a, b, c, NULL},
	    &len);
	CHECK_STR_EQ(out, "body/a[200 1]body/b[200 0]body/c[200 0]");
	CHECK_INT_EQ(connections - before, 1);
	free(out);
}

static void test_text_chunks(void)
{
	char u[128];
	size_t len;
	char *out, *body;
	url(u, sizeof(u), "/text-chunks");
	out = curl((const char *[]){"-i", u, NULL}, &len);
	CHECK(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
	body = strstr(out, "\r\n\r\n");
	CHECK(body != NULL);
	if (body) {
		*body = '\0';
		/* curl took the chunks apart. */
		CHECK_STR_EQ(body + 4, "chunk-0;chunk-1;chunk-2;chunk-3;chunk-4;");
		CHECK(strcasestr(out, "\r\nTransfer-Encoding: chunked") != NULL);
		CHECK(strcasestr(out, "\r\nContent-Length:") == NULL);
	}
	free(out);
}

static uint64_t big_sum(void)
{
	uint64_t sum = SSL_CHECKSUM_START;
	for (size_t i = 0; i < BIG_SIZE; i++) {
		unsigned char byte = ssl_pattern_byte(i);
		sum = ssl_checksum(sum, &byte, 1);
	}
	return sum;
}

static void test_big(const char *path)
{
	char u[128];
	size_t len;
	char *out;
	url(u, sizeof(u), path);
	out = curl((const char *[]){u, NULL}, &len);
	CHECK_UINT_EQ(len, BIG_SIZE);
	CHECK_UINT_EQ(ssl_checksum(SSL_CHECKSUM_START, (unsigned char *)out, len), big_sum());
	free(out);
}

/* The upload's file, removed at exit also when a check stops the program. */
static char upload_path[] = "/tmp/evrs-https-upload-XXXXXX";

static void remove_upload(void)
{
	unlink(upload_path);
}

static void test_post(void)
{
	static unsigned char data[POST_SIZE];
	static const char small[] = "name=value&x=1";
	char u[128], arg[64], want[128];
	int fd = mkstemp(upload_path);
	size_t len;
	char *out;
	REQUIRE(fd >= 0);
	atexit(remove_upload);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = ssl_pattern_byte(i * 5);
	CHECK_INT_EQ(write(fd, data, sizeof(data)), sizeof(data));
	close(fd);
	url(u, sizeof(u), "/post");
	snprintf(arg, sizeof(arg), "@%s", upload_path);
	out = curl((const char *[]){"--data-binary", arg, u, NULL}, &len);
	snprintf(want, sizeof(want), "POST len=%d sum=%016llx", POST_SIZE,
	    (unsigned long long)ssl_checksum(SSL_CHECKSUM_START, data, sizeof(data)));
	CHECK_STR_EQ(out, want);
	free(out);

	out = curl((const char *[]){"--data-binary", small, u, NULL}, &len);
	snprintf(want, sizeof(want), "POST len=%zu sum=%016llx", sizeof(small) - 1,
	    (unsigned long long)ssl_checksum(SSL_CHECKSUM_START,
		(const unsigned char *)small, sizeof(small) - 1));
	CHECK_STR_EQ(out, want);
	free(out);
}

int main(void)
{
	struct evhttp *http;
	static int paced = 1;

	signal(SIGPIPE, SIG_IGN);
	if (!hps_find_program("curl")) {
		printf("skip: curl is not installed\n");
		CHECK(1);
		return check_report();
	}
	base = event_base_new();
	REQUIRE(base != NULL);
	sps_identity_init(&identity);
	http = evhttp_new(base);
	REQUIRE(http != NULL);
	evhttp_set_bevcb(http, tls_bevcb, NULL);
	evhttp_set_cb(http, "/a", path_cb, NULL);
	evhttp_set_cb(http, "/b", path_cb, NULL);
	evhttp_set_cb(http, "/c", path_cb, NULL);
	evhttp_set_cb(http, "/post", post_cb, NULL);
	evhttp_set_cb(http, "/text-chunks", text_chunks_cb, NULL);
	evhttp_set_cb(http, "/big", big_cb, NULL);
	evhttp_set_cb(http, "/big-paced", big_cb, &paced);
	port = hps_serve(http, 16);

	test_keepalive();
	test_text_chunks();
	test_big("/big");
	if (!sps_on_libevent())
		test_big("/big-paced");
	test_post();

	evhttp_free(http);
	sps_identity_free(&identity);
	event_base_free(base);
	return check_report();
}
