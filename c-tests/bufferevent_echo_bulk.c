/* Bulk echo in one thread and one event base: an evconnlistener accepts 100 connections
 * made with bufferevent_socket_connect; the server side (socket bufferevents with deferred
 * callbacks, pausing reads while its output is long) echoes everything back; each client
 * sends just over 1 MiB of pseudo-random bytes, generated as its output drains, then shuts
 * down writing; the server closes after echoing the rest. Every connection must get back
 * exactly the bytes it sent, in order: byte counts and FNV-1a hashes of the sent and
 * received streams are compared per connection (100 MiB and more in each direction). */
// test: timeout 120
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define CONNS 100
#define BASE_SIZE (1024 * 1024)
#define CHUNK (64 * 1024)
#define SERVER_OUT_HIGH (512 * 1024)
#define SERVER_OUT_LOW (128 * 1024)

struct client {
	int id;
	struct bufferevent *bev;
	size_t to_send;
	size_t sent;
	size_t received;
	uint64_t sent_hash;
	uint64_t recv_hash;
	uint64_t rng;
	int shut;
	int connected;
	int done;
	int failed;
	short fail_what;
};

struct server_conn {
	struct bufferevent *bev;
	int closing;
};

static struct {
	struct event_base *base;
	struct evconnlistener *lev;
	struct client clients[CONNS];
	int done;
	int accepted;
	int server_errors;
	int servers_open;
} g;

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void finish(void)
{
	if (++g.done == CONNS)
		event_base_loopbreak(g.base);
}

/* ---- server ---- */

static void server_free(struct server_conn *sc)
{
	bufferevent_free(sc->bev);
	free(sc);
	g.servers_open--;
}

static void server_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_write_buffer(bev, bufferevent_get_input(bev));
	/* Back-pressure: stop reading while a lot waits to be sent. */
	if (evbuffer_get_length(bufferevent_get_output(bev)) >= SERVER_OUT_HIGH)
		bufferevent_disable(bev, EV_READ);
}

static void server_write(struct bufferevent *bev, void *arg)
{
	struct server_conn *sc = arg;
	if (sc->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			server_free(sc);
		return;
	}
	if (!(bufferevent_get_enabled(bev) & EV_READ))
		bufferevent_enable(bev, EV_READ);
}

static void server_event(struct bufferevent *bev, short what, void *arg)
{
	struct server_conn *sc = arg;
	if (what & BEV_EVENT_EOF) {
		/* The client is done sending; finish echoing, then close. */
		bufferevent_write_buffer(bev, bufferevent_get_input(bev));
		sc->closing = 1;
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			server_free(sc);
		return;
	}
	g.server_errors++;
	server_free(sc);
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct server_conn *sc = calloc(1, sizeof(*sc));
	(void)lev;
	(void)sa;
	(void)socklen;
	(void)arg;
	REQUIRE(sc != NULL);
	sc->bev = bufferevent_socket_new(g.base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	REQUIRE(sc->bev != NULL);
	bufferevent_setcb(sc->bev, server_read, server_write, server_event, sc);
	bufferevent_setwatermark(sc->bev, EV_WRITE, SERVER_OUT_LOW, 0);
	bufferevent_enable(sc->bev, EV_READ | EV_WRITE);
	g.accepted++;
	g.servers_open++;
}

/* ---- clients ---- */

static void client_fill(struct client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	unsigned char buf[CHUNK];
	while (c->sent < c->to_send && evbuffer_get_length(out) < 2 * CHUNK) {
		size_t n = c->to_send - c->sent;
		if (n > sizeof(buf))
			n = sizeof(buf);
		for (size_t i = 0; i < n; i += 8) {
			uint64_t r = xorshift(&c->rng);
			for (size_t k = 0; k < 8 && i + k < n; k++)
				buf[i + k] = (unsigned char)(r >> (8 * k));
		}
		c->sent_hash = fnv1a(c->sent_hash, buf, n);
		c->sent += n;
		bufferevent_write(c->bev, buf, n);
	}
	if (c->sent == c->to_send && evbuffer_get_length(out) == 0 && !c->shut) {
		c->shut = 1;
		shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	}
}

static void client_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v[16];
	int n;
	while (evbuffer_get_length(in) > 0) {
		n = evbuffer_peek(in, -1, NULL, v, 16);
		if (n > 16)
			n = 16;
		for (int i = 0; i < n; i++) {
			c->recv_hash = fnv1a(c->recv_hash, v[i].iov_base, v[i].iov_len);
			c->received += v[i].iov_len;
			evbuffer_drain(in, v[i].iov_len);
		}
	}
}

static void client_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	client_fill(arg);
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;
	if (what & BEV_EVENT_CONNECTED) {
		c->connected = 1;
		client_fill(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		client_read(bev, c);
	} else {
		c->failed = 1;
		c->fail_what = what;
	}
	c->done = 1;
	bufferevent_free(bev);
	c->bev = NULL;
	finish();
}

int main(void)
{
	struct sockaddr_in sin;
	ev_socklen_t len = sizeof(sin);
	struct timeval limit = {100, 0};
	struct timespec t0, t1;
	uint64_t total_sent = 0, total_received = 0;
	int bad = 0, i;

	memset(&g, 0, sizeof(g));
	g.base = event_base_new();
	REQUIRE(g.base != NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g.lev = evconnlistener_new_bind(g.base, on_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(g.lev != NULL);
	REQUIRE(getsockname(evconnlistener_get_fd(g.lev), (struct sockaddr *)&sin, &len) == 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < CONNS; i++) {
		struct client *c = &g.clients[i];
		c->id = i;
		c->to_send = BASE_SIZE + (size_t)i * 1031;
		c->rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1);
		c->sent_hash = c->recv_hash = 14695981039346656037ULL;
		c->bev = bufferevent_socket_new(g.base, -1, BEV_OPT_CLOSE_ON_FREE);
		REQUIRE(c->bev != NULL);
		bufferevent_setcb(c->bev, client_read, client_write, client_event, c);
		bufferevent_setwatermark(c->bev, EV_WRITE, CHUNK, 0);
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
		REQUIRE(bufferevent_socket_connect(c->bev, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	}
	event_base_loopexit(g.base, &limit);
	event_base_dispatch(g.base);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	CHECK_INT_EQ(g.done, CONNS);
	CHECK_INT_EQ(g.accepted, CONNS);
	CHECK_INT_EQ(g.server_errors, 0);
	for (i = 0; i < CONNS; i++) {
		struct client *c = &g.clients[i];
		total_sent += c->sent;
		total_received += c->received;
		if (!c->connected || !c->done || c->failed || c->sent != c->to_send ||
		    c->received != c->sent || c->recv_hash != c->sent_hash) {
			if (bad++ < 5)
				fprintf(stderr,
				    "connection %d: connected %d done %d failed %d (what %#x) sent %zu/%zu "
				    "received %zu hashes %s\n",
				    i, c->connected, c->done, c->failed, c->fail_what, c->sent,
				    c->to_send, c->received,
				    c->recv_hash == c->sent_hash ? "equal" : "differ");
		}
	}
	CHECK_INT_EQ(bad, 0);
	CHECK(total_sent >= (uint64_t)CONNS * BASE_SIZE);
	CHECK_UINT_EQ(total_received, total_sent);
	printf("%d connections, %.1f MiB each way in %.2f s\n", CONNS,
	    total_received / 1048576.0,
	    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);

	/* Whatever did not finish is cleaned up so that nothing leaks. */
	for (i = 0; i < CONNS; i++)
		if (g.clients[i].bev)
			bufferevent_free(g.clients[i].bev);
	/* Server connections close themselves once echoed; let the last ones finish. */
	for (i = 0; i < 200 && g.servers_open > 0; i++)
		event_base_loop(g.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	CHECK_INT_EQ(g.servers_open, 0);
	evconnlistener_free(g.lev);
	event_base_free(g.base);
	return check_report();
}
