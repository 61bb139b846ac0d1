/* Timeouts of Mbed TLS bufferevents: a handshake with a silent peer times out with
 * BEV_EVENT_TIMEOUT alone (socket kind; the filter kind's timers say their direction
 * too); an open bufferevent with
 * nothing to read reports TIMEOUT|READING (socket kind: its fd events; filter kind:
 * timers of its own, not its underlying bufferevent's). */
// test: link event_mbedtls event_core mbedtls mbedx509 mbedcrypto
// test: requires 2.2
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "mbedtls_support.h"

struct watch {
	struct event_base *base;
	int connected;
	short timeout_event;
	int timeouts;
};

static const struct timeval short_timeout = { 0, 200 * 1000 };
static const struct timeval give_up = { 10, 0 };

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct watch *w = arg;
	if (what & BEV_EVENT_CONNECTED) {
		w->connected++;
		/* Open: now time out reading. */
		bufferevent_set_timeouts(bev, &short_timeout, NULL);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		w->timeouts++;
		w->timeout_event = what;
		event_base_loopexit(w->base, NULL);
	}
}

static void ignore_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	(void)arg;
}

static void socket_pair(evutil_socket_t fds[2])
{
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
}

/* The server end never answers the ClientHello. */
static void handshake_timeout(struct event_base *base, struct tls_setup *ts, int filter)
{
	struct watch w = { base, 0, 0, 0 };
	evutil_socket_t fds[2];
	struct bufferevent *client;
	socket_pair(fds);
	if (filter)
		client = bufferevent_mbedtls_filter_new(base,
		    bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE),
		    tls_client_context(ts, NULL), BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	else
		client = bufferevent_mbedtls_socket_new(base, fds[0], tls_client_context(ts, NULL),
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	CHECK(client != NULL);
	if (!client)
		return;
	bufferevent_setcb(client, NULL, NULL, on_event, &w);
	bufferevent_set_timeouts(client, &short_timeout, &short_timeout);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	event_base_loopexit(base, &give_up);
	event_base_dispatch(base);
	CHECK_INT_EQ(w.connected, 0);
	CHECK(w.timeouts >= 1);
	if (filter) {
		/* Timers of its own, both armed by bufferevent_enable as in libevent: the
		 * read or the write one (or both) fire, with its direction. */
		CHECK_INT_EQ(w.timeout_event & ~(BEV_EVENT_READING | BEV_EVENT_WRITING),
		    BEV_EVENT_TIMEOUT);
	} else {
		CHECK_INT_EQ(w.timeout_event, BEV_EVENT_TIMEOUT);
	}
	bufferevent_free(client);
	evutil_closesocket(fds[1]);
}

/* Both ends connect; the client's read times out since the server says nothing. */
static void open_timeout(struct event_base *base, struct tls_setup *ts, int filter)
{
	struct watch w = { base, 0, 0, 0 };
	struct watch server_watch = { base, 0, 0, 0 };
	evutil_socket_t fds[2];
	struct bufferevent *client, *server;
	socket_pair(fds);
	if (filter) {
		client = bufferevent_mbedtls_filter_new(base,
		    bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE),
		    tls_client_context(ts, NULL), BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
		server = bufferevent_mbedtls_filter_new(base,
		    bufferevent_socket_new(base, fds[1], BEV_OPT_CLOSE_ON_FREE),
		    tls_server_context(ts), BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	} else {
		client = bufferevent_mbedtls_socket_new(base, fds[0], tls_client_context(ts, NULL),
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
		server = bufferevent_mbedtls_socket_new(base, fds[1], tls_server_context(ts),
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	}
	CHECK(client && server);
	if (!client || !server)
		return;
	bufferevent_setcb(client, NULL, NULL, on_event, &w);
	bufferevent_setcb(server, NULL, NULL, ignore_event, &server_watch);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	bufferevent_enable(server, EV_READ | EV_WRITE);
	event_base_loopexit(base, &give_up);
	event_base_dispatch(base);
	CHECK_INT_EQ(w.connected, 1);
	CHECK(w.timeouts >= 1);
	CHECK_INT_EQ(w.timeout_event, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	bufferevent_free(client);
	bufferevent_free(server);
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct tls_setup *ts = tls_setup_new();
	signal(SIGPIPE, SIG_IGN);
	REQUIRE(base != NULL);
	REQUIRE(ts != NULL);
	handshake_timeout(base, ts, 0);
	handshake_timeout(base, ts, 1);
	open_timeout(base, ts, 0);
	open_timeout(base, ts, 1);
	/* The base first: it finalizes freed bufferevents, whose contexts use the setup's
	 * configurations. */
	event_base_free(base);
	tls_setup_destroy(ts);
	return check_report();
}
