/* Our TLS client bufferevent against a real OpenSSL server: `openssl s_server -rev`
 * (it answers each line reversed) on a loopback port of its choosing, which it
 * prints, with a certificate and key the test writes into a temporary directory. The
 * client checks the server's name; it is a TLS socket bufferevent made without an fd
 * and connected with bufferevent_socket_connect, then a TLS filter over a socket
 * bufferevent on a connected socket. It reports CONNECTED, sends 200 lines at once
 * and reads every one back reversed. Then it closes in one of two ways: itself
 * (close_notify, then free), after which s_server, serving one connection only, ends
 * with status 0 (a filter stays until then: its close_notify is in its underlying
 * bufferevent's output); or by sending "CLOSE", upon which s_server sends
 * close_notify (and, at times, keeps the TCP connection open) and the client sees
 * EOF|READING with no error queued (a filter reports it with the last lines still in
 * its input, on libevent too), also when the close_notify record comes with the
 * last data records and the TCP connection stays open (libevent 2.2.1 loses that
 * EOF; see ssl_failures.c, close_notify_after_data). Without the openssl program the
 * test skips. */
// test: link event_openssl event_core ssl crypto
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include "check.h"
#include "ssl_peer_support.h"

#define LINES 200

static struct event_base *base;
static struct sps_identity identity;

struct client {
	struct bufferevent *bev;
	SSL *ssl;
	int connected;
	int lines_back;
	int bad_lines;
	int server_closes;	/* ask s_server to close, instead of closing ourselves */
	int filter;		/* a TLS filter over a socket bufferevent */
	short end_event;
	unsigned long end_error;
	int done;
};

static void line_text(int i, char *buf, size_t len)
{
	/* Lines of 20 to about 900 bytes; s_server reads at most 16 KiB at once. */
	size_t n = (size_t)snprintf(buf, len, "line %03d:", i);
	size_t want = 20 + (size_t)(i * 37 % 880);
	while (n < want && n + 2 < len) {
		buf[n] = (char)('a' + (i + n) % 26);
		n++;
	}
	buf[n] = '\0';
}

static void reversed(const char *in, char *out)
{
	size_t n = strlen(in);
	for (size_t i = 0; i < n; i++)
		out[i] = in[n - 1 - i];
	out[n] = '\0';
}

static void take_lines(struct client *c, struct bufferevent *bev)
{
	char *line;
	size_t len;
	while ((line = evbuffer_readln(bufferevent_get_input(bev), &len, EVBUFFER_EOL_LF))) {
		char want[1024], back[1024];
		line_text(c->lines_back, want, sizeof(want));
		reversed(want, back);
		if (strcmp(line, back) != 0) {
			if (c->bad_lines++ == 0)
				fprintf(stderr, "line %d came back as \"%s\"\n", c->lines_back, line);
		}
		c->lines_back++;
		free(line);
	}
}

static void client_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	take_lines(c, bev);
	if (c->lines_back == LINES && !c->server_closes && c->bev && !c->done) {
		SSL_shutdown(c->ssl);
		c->done = 1;
		if (!c->filter) {
			/* close_notify went out through the SSL's own socket I/O. */
			bufferevent_free(c->bev);
			c->bev = NULL;
		}
		/* A filter's close_notify is in its underlying bufferevent's output: the
		 * filter stays until s_server, having read it, is gone. */
	}
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;
	if (what & BEV_EVENT_CONNECTED) {
		struct evbuffer *out = evbuffer_new();
		c->connected++;
		CHECK_INT_EQ(SSL_get_verify_result(c->ssl), X509_V_OK);
		/* Everything at once, so records and lines do not line up. */
		for (int i = 0; i < LINES; i++) {
			char text[1024];
			line_text(i, text, sizeof(text));
			evbuffer_add_printf(out, "%s\n", text);
		}
		if (c->server_closes)
			evbuffer_add_printf(out, "CLOSE\n");
		CHECK_INT_EQ(bufferevent_write_buffer(bev, out), 0);
		evbuffer_free(out);
		return;
	}
	/* A filter reports the end with the last lines still in its input (libevent
	 * too): they are read here. */
	take_lines(c, bev);
	c->end_event = what;
	c->end_error = bufferevent_get_openssl_error(bev);
	bufferevent_free(bev);
	c->bev = NULL;
	c->done = 1;
}

/* Waits for s_server's "ACCEPT 127.0.0.1:PORT" line, printed once it listens. */
static int accept_line_seen(void *arg)
{
	struct hps_child *s = arg;
	const char *p = s->out ? strstr(s->out, "ACCEPT 127.0.0.1:") : NULL;
	return s->out_done || (p && strchr(p, '\n'));
}

static int connection_closed_seen(void *arg)
{
	struct hps_child *s = arg;
	return s->out_done || (s->out && strstr(s->out, "CONNECTION CLOSED"));
}

static int lines_back_or_done(void *arg)
{
	struct client *c = arg;
	return c->done || c->lines_back == LINES;
}

static int client_done(void *arg)
{
	return ((struct client *)arg)->done;
}

static void run(int filter, int server_closes)
{
	const char *argv[] = {"openssl", "s_server", "-accept", "127.0.0.1:0", "-cert",
	    identity.cert_path, "-key", identity.key_path, "-naccept", "1", "-rev", NULL};
	struct hps_child server;
	struct client c;
	struct sockaddr_in sin;
	const char *p;
	int stdin_fd;
	int port = 0;

	memset(&c, 0, sizeof(c));
	c.server_closes = server_closes;
	c.filter = filter;
	sps_spawn(base, &server, (char *const *)argv, &stdin_fd);
	CHECK(sps_run_until(base, accept_line_seen, &server, 20000));
	p = server.out ? strstr(server.out, "ACCEPT 127.0.0.1:") : NULL;
	if (p)
		port = atoi(p + strlen("ACCEPT 127.0.0.1:"));
	if (port <= 0) {
		fprintf(stderr, "s_server said:\n%s\n", server.out ? server.out : "");
		REQUIRE(port > 0);
	}

	c.ssl = sps_client_ssl(&identity, "localhost");
	if (filter) {
		/* Over a socket bufferevent on a connected socket. */
		evutil_socket_t fd = hps_connect(port, 0);
		REQUIRE(fd >= 0);
		REQUIRE(evutil_make_socket_nonblocking(fd) == 0);
		c.bev = bufferevent_openssl_filter_new(base,
		    bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE), c.ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	} else {
		c.bev = bufferevent_openssl_socket_new(base, -1, c.ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	}
	REQUIRE(c.bev != NULL);
	bufferevent_setcb(c.bev, client_read, NULL, client_event, &c);
	bufferevent_enable(c.bev, EV_READ | EV_WRITE);
	if (!filter) {
		hps_loopback(&sin, port);
		CHECK_INT_EQ(bufferevent_socket_connect(c.bev, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
	}
	/* All lines back, then the end: at once on libevent, as the close_notify came
	 * with the last lines (a second is a safety net). */
	CHECK(sps_run_until(base, lines_back_or_done, &c, 20000));
	if (!sps_run_until(base, client_done, &c, 1000)) {
		CHECK(c.done);
		/* Stands for the EOF: the checks below are about the rest. */
		c.end_event = BEV_EVENT_EOF | BEV_EVENT_READING;
	}

	CHECK_INT_EQ(c.connected, 1);
	CHECK_INT_EQ(c.lines_back, LINES);
	CHECK_INT_EQ(c.bad_lines, 0);
	if (server_closes) {
		/* s_server's close_notify: a clean end. */
		CHECK_INT_EQ(c.end_event, BEV_EVENT_EOF | BEV_EVENT_READING);
		CHECK_UINT_EQ(c.end_error, 0);
	} else if (!filter) {
		CHECK_INT_EQ(c.end_event, 0);
	}

	close(stdin_fd);
	if (server_closes) {
		/* s_server may keep the connection open and wait for another one. */
		CHECK(sps_run_until(base, connection_closed_seen, &server, 20000));
		hps_kill_child(&server);
	} else {
		/* Serving one connection, s_server ends by itself once it is over. */
		CHECK(hps_finish_child(base, &server, 20000));
		CHECK(hps_exited_ok(&server));
		/* The filter, still there, may have heard s_server's close_notify. */
		if (filter)
			CHECK(c.end_event == 0 || c.end_event == (BEV_EVENT_EOF | BEV_EVENT_READING));
	}
	if (c.bev)
		bufferevent_free(c.bev);
	CHECK(server.out && strstr(server.out, "CONNECTION ESTABLISHED"));
	if (!server_closes && !hps_exited_ok(&server))
		fprintf(stderr, "s_server said:\n%s\n", server.out ? server.out : "");
	hps_child_free(&server);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (!hps_find_program("openssl")) {
		printf("skip: the openssl program is not installed\n");
		CHECK(1);
		return check_report();
	}
	base = event_base_new();
	REQUIRE(base != NULL);
	sps_identity_init(&identity);
	run(0, 0);
	run(0, 1);
	run(1, 0);
	run(1, 1);
	sps_identity_free(&identity);
	event_base_free(base);
	return check_report();
}
