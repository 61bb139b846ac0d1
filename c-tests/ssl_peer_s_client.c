/* Our TLS server bufferevent against a real OpenSSL client: `openssl s_client`
 * connecting to a listener on a loopback port, verifying the certificate the test
 * wrote into a temporary directory and the name "localhost". Once the handshake is
 * over the server sends a known block of 64 KiB of text, which must show intact in
 * s_client's output together with a good verification result; a line written to
 * s_client's standard input reaches the server; then s_client's input is closed, so
 * s_client closes (close_notify) and exits with 0, and the server sees EOF|READING
 * with no error queued. Without the openssl program the test skips. */
// test: link event_openssl event_core ssl crypto
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "check.h"
#include "ssl_peer_support.h"

static struct event_base *base;
static struct sps_identity identity;

struct server {
	struct evconnlistener *listener;
	struct bufferevent *bev;
	char *block;
	int accepted;
	int connected;
	char received[256];
	size_t received_len;
	short end_event;
	unsigned long end_error;
	int done;
};

/* 64 KiB of numbered lines, the last one a marker. */
static char *make_block(void)
{
	struct evbuffer *b = evbuffer_new();
	char *text;
	size_t len;
	for (int i = 0; evbuffer_get_length(b) < 64 * 1024; i++)
		evbuffer_add_printf(b, "block line %05d %.*s\n", i, 10 + i % 50,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	evbuffer_add_printf(b, "END-OF-BLOCK\n");
	len = evbuffer_get_length(b);
	text = malloc(len + 1);
	REQUIRE(text != NULL);
	evbuffer_remove(b, text, len);
	text[len] = '\0';
	evbuffer_free(b);
	return text;
}

static void server_read(struct bufferevent *bev, void *arg)
{
	struct server *s = arg;
	s->received_len += bufferevent_read(bev, s->received + s->received_len,
	    sizeof(s->received) - 1 - s->received_len);
	s->received[s->received_len] = '\0';
}

static void server_event(struct bufferevent *bev, short what, void *arg)
{
	struct server *s = arg;
	if (what & BEV_EVENT_CONNECTED) {
		s->connected++;
		CHECK_INT_EQ(bufferevent_write(bev, s->block, strlen(s->block)), 0);
		return;
	}
	s->end_event = what;
	s->end_error = bufferevent_get_openssl_error(bev);
	bufferevent_free(bev);
	s->bev = NULL;
	s->done = 1;
}

static void accepted(struct evconnlistener *listener, evutil_socket_t fd,
    struct sockaddr *addr, int len, void *arg)
{
	struct server *s = arg;
	(void)listener;
	(void)addr;
	(void)len;
	s->accepted++;
	s->bev = bufferevent_openssl_socket_new(base, fd, SSL_new(identity.server),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(s->bev != NULL);
	bufferevent_setcb(s->bev, server_read, NULL, server_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

static int block_shown(void *arg)
{
	struct hps_child *c = arg;
	return c->out_done || (c->out && strstr(c->out, "END-OF-BLOCK\n"));
}

static int line_received(void *arg)
{
	struct server *s = arg;
	return s->done || strchr(s->received, '\n') != NULL;
}

static int server_done(void *arg)
{
	return ((struct server *)arg)->done;
}

int main(void)
{
	struct server s;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct hps_child client;
	char target[64];
	int stdin_fd;
	static const char ping[] = "ping from s_client\n";

	signal(SIGPIPE, SIG_IGN);
	if (!hps_find_program("openssl")) {
		printf("skip: the openssl program is not installed\n");
		CHECK(1);
		return check_report();
	}
	base = event_base_new();
	REQUIRE(base != NULL);
	sps_identity_init(&identity);
	memset(&s, 0, sizeof(s));
	s.block = make_block();
	hps_loopback(&sin, 0);
	s.listener = evconnlistener_new_bind(base, accepted, &s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(s.listener != NULL);
	REQUIRE(getsockname(evconnlistener_get_fd(s.listener), (struct sockaddr *)&sin,
	    &len) == 0);
	snprintf(target, sizeof(target), "127.0.0.1:%d", ntohs(sin.sin_port));

	{
		const char *argv[] = {"openssl", "s_client", "-connect", target, "-servername",
		    "localhost", "-verify_hostname", "localhost", "-CAfile",
		    identity.cert_path, "-verify_return_error", NULL};
		sps_spawn(base, &client, (char *const *)argv, &stdin_fd);
	}

	/* The block, then a line from s_client, then s_client's close. */
	CHECK(sps_run_until(base, block_shown, &client, 20000));
	CHECK_INT_EQ(s.accepted, 1);
	CHECK_INT_EQ(s.connected, 1);
	CHECK(client.out && strstr(client.out, s.block) != NULL);
	CHECK(client.out && strstr(client.out, "Verify return code: 0 (ok)") != NULL);
	CHECK_INT_EQ(write(stdin_fd, ping, strlen(ping)), strlen(ping));
	CHECK(sps_run_until(base, line_received, &s, 20000));
	CHECK_STR_EQ(s.received, ping);
	close(stdin_fd);
	CHECK(sps_run_until(base, server_done, &s, 20000));
	CHECK_INT_EQ(s.end_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	CHECK_UINT_EQ(s.end_error, 0);
	CHECK(hps_finish_child(base, &client, 20000));
	CHECK(hps_exited_ok(&client));
	if (!hps_exited_ok(&client) || s.end_event != (BEV_EVENT_EOF | BEV_EVENT_READING))
		fprintf(stderr, "s_client said:\n%s\n", client.out ? client.out : "");

	if (s.bev)
		bufferevent_free(s.bev);
	evconnlistener_free(s.listener);
	hps_child_free(&client);
	free(s.block);
	sps_identity_free(&identity);
	event_base_free(base);
	return check_report();
}
