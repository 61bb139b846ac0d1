/* 5,000 concurrent keep-alive connections to one evhttp server, over raw nonblocking
 * sockets driven by events: each connection sends a first request; once every one of
 * them has its answer (so all 5,000 are open at once), each sends one or two more, in
 * turn on the same connection. Every answer is checked (status, Content-Length, a body
 * naming the request). Then the clients hang up; the server notices every close (the
 * connection close callback), serves no more, and its memory goes back to where it
 * started: evhttp_free and event_base_free leave no live allocation behind. */
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "http_peer_support.h"

#define CLIENTS 5000
#define MAX_CONNECTING 400	/* connects waiting for their first answer */

struct client {
	int id;
	evutil_socket_t fd;
	struct event *read_ev;
	struct event *write_ev;
	char out[128];
	size_t out_len;
	size_t out_sent;
	char in[1024];
	size_t in_len;
	int requests;	/* how many this client sends in all: 2 or 3 */
	int answered;	/* answers received and checked */
	int done;	/* all answers in, or given up */
};

static struct client clients[CLIENTS];
static int server_port;
static int opened;
static int first_answers;
static int finished;
static int bad_answers;

/* Server side. */
static int handled;
static int connections_made;	/* through the bufferevent callback */
static int connections_closed;	/* through the connection close callback */

static void server_close_cb(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	(void)arg;
	connections_closed++;
}

static struct bufferevent *server_bev_cb(struct event_base *base, void *arg)
{
	(void)arg;
	connections_made++;
	return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
}

/* Answers with the request's path, so each client can tell its answers apart. */
static void echo_path_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *body = evbuffer_new();
	(void)arg;
	handled++;
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), server_close_cb, NULL);
	evbuffer_add_printf(body, "path=%s", evhttp_request_get_uri(req));
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
}

/* Client side. */
static void flush_out(struct client *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOTCONN) {
				event_add(c->write_ev, NULL);
				return;
			}
			fprintf(stderr, "client %d: send: %s\n", c->id, strerror(errno));
			return;
		}
		c->out_sent += (size_t)n;
	}
}

static void send_request(struct client *c)
{
	int len = snprintf(c->out, sizeof(c->out),
	    "GET /c%d/r%d HTTP/1.1\r\nHost: t\r\n\r\n", c->id, c->answered + 1);
	c->out_len = (size_t)len;
	c->out_sent = 0;
	flush_out(c);
}

static void client_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush_out(arg);
}

/* One complete answer at the start of c->in: its length, or 0 if more is needed. */
static size_t complete_answer(const struct client *c, long *content_length)
{
	const char *end = NULL, *p;
	for (size_t i = 0; i + 4 <= c->in_len; i++)
		if (memcmp(c->in + i, "\r\n\r\n", 4) == 0) {
			end = c->in + i + 4;
			break;
		}
	if (!end)
		return 0;
	*content_length = -1;
	for (p = c->in; p < end; p++) {
		if ((p == c->in || p[-1] == '\n') &&
		    strncasecmp(p, "Content-Length:", 15) == 0)
			*content_length = strtol(p + 15, NULL, 10);
	}
	if (*content_length < 0)
		return (size_t)(end - c->in);	/* checked as wrong by the caller */
	if ((size_t)(end - c->in) + (size_t)*content_length > c->in_len)
		return 0;
	return (size_t)(end - c->in) + (size_t)*content_length;
}

static int answer_is_right(const struct client *c, size_t len, long content_length)
{
	char want[64];
	const char *body = c->in + len - (content_length > 0 ? content_length : 0);
	int want_len = snprintf(want, sizeof(want), "path=/c%d/r%d", c->id, c->answered + 1);
	if (strncmp(c->in, "HTTP/1.1 200 OK\r\n", 17) != 0)
		return 0;
	if (content_length != want_len || memcmp(body, want, (size_t)want_len) != 0)
		return 0;
	/* A keep-alive answer must not announce a close. */
	for (const char *p = c->in; p < body; p++)
		if (strncasecmp(p, "Connection: close", 17) == 0)
			return 0;
	return 1;
}

static void open_client(struct event_base *base);

static void give_up(struct client *c)
{
	if (c->done)
		return;
	c->done = 1;
	bad_answers++;
	finished++;
	event_del(c->read_ev);
}

static void client_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	struct event_base *base = event_get_base(c->read_ev);
	(void)what;
	for (;;) {
		ssize_t n = recv(fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		long content_length;
		size_t len;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			/* The server hung up on a connection that should stay open. */
			fprintf(stderr, "client %d: server hung up after %d answers\n", c->id,
			    c->answered);
			give_up(c);
			return;
		}
		c->in_len += (size_t)n;
		while ((len = complete_answer(c, &content_length)) > 0) {
			if (!answer_is_right(c, len, content_length)) {
				fprintf(stderr, "client %d: wrong answer %d: %.*s\n", c->id,
				    c->answered + 1, (int)c->in_len, c->in);
				give_up(c);
				return;
			}
			memmove(c->in, c->in + len, c->in_len - len);
			c->in_len -= len;
			c->answered++;
			if (c->answered == 1) {
				/* The next request waits until all are connected; meanwhile
				 * this one makes room for another connect. */
				first_answers++;
				if (opened < CLIENTS)
					open_client(base);
			} else if (c->answered < c->requests) {
				send_request(c);
			} else if (!c->done) {
				c->done = 1;
				finished++;
			}
		}
		if (c->in_len == sizeof(c->in)) {
			fprintf(stderr, "client %d: answer too long\n", c->id);
			give_up(c);
			return;
		}
	}
}

static void open_client(struct event_base *base)
{
	struct client *c = &clients[opened];
	c->id = opened++;
	c->requests = 2 + c->id % 2;
	c->fd = hps_connect(server_port, 1);
	if (c->fd < 0)
		fprintf(stderr, "client %d: connect: %s\n", c->id, strerror(errno));
	REQUIRE(c->fd >= 0);
	c->read_ev = event_new(base, c->fd, EV_READ | EV_PERSIST, client_read_cb, c);
	c->write_ev = event_new(base, c->fd, EV_WRITE, client_write_cb, c);
	REQUIRE(c->read_ev && c->write_ev);
	event_add(c->read_ev, NULL);
	/* The request waits in c->out until the connect is done. */
	send_request(c);
}

int main(void)
{
	struct event_base *base;
	struct evhttp *http;
	size_t baseline, before_free;
	int total_requests = 0;

	hps_count_allocations();
	signal(SIGPIPE, SIG_IGN);
	/* Each connection takes two descriptors here: the client's and the server's. */
	if (hps_raise_nofile(2 * CLIENTS + 64) != 0) {
		printf("skip: the descriptor limit is below %d\n", 2 * CLIENTS + 64);
		CHECK(1);
		return check_report();
	}

	base = event_base_new();
	REQUIRE(base != NULL);
	baseline = hps_live_bytes;
	http = evhttp_new(base);
	REQUIRE(http != NULL);
	evhttp_set_gencb(http, echo_path_cb, NULL);
	evhttp_set_bevcb(http, server_bev_cb, NULL);
	/* Far longer than the test takes: no connection may time out. */
	evhttp_set_timeout(http, 120);
	server_port = hps_serve(http, 4096);

	/* Phase 1: every client connects and gets its first answer; at most
	 * MAX_CONNECTING wait at a time, so that the accept queue never overflows (the
	 * kernel would drop connects and the clients would retry only after a second). */
	while (opened < MAX_CONNECTING)
		open_client(base);
	CHECK(hps_run_until(base, &first_answers, CLIENTS, 40000));
	printf("%d connections open, %d first answers\n", opened, first_answers);
	CHECK_INT_EQ(connections_made, CLIENTS);
	CHECK_INT_EQ(connections_closed, 0);

	/* Phase 2: one or two more requests on each, in turn. */
	for (int i = 0; i < opened; i++)
		if (!clients[i].done)
			send_request(&clients[i]);
	CHECK(hps_run_until(base, &finished, CLIENTS, 40000));
	for (int i = 0; i < CLIENTS; i++)
		total_requests += clients[i].requests;
	CHECK_INT_EQ(bad_answers, 0);
	CHECK_INT_EQ(handled, total_requests);
	/* Keep-alive held: no connection was made twice. */
	CHECK_INT_EQ(connections_made, CLIENTS);
	CHECK_INT_EQ(connections_closed, 0);

	/* Phase 3: the clients hang up; the server sees every close. */
	for (int i = 0; i < opened; i++) {
		event_free(clients[i].read_ev);
		event_free(clients[i].write_ev);
		evutil_closesocket(clients[i].fd);
	}
	CHECK(hps_run_until(base, &connections_closed, CLIENTS, 40000));
	CHECK_INT_EQ(connections_closed, CLIENTS);
	CHECK_INT_EQ(handled, total_requests);

	/* Idle again: what is left besides the listener is per-descriptor bookkeeping of
	 * the base, not connections. */
	before_free = hps_live_bytes;
	printf("memory: %zu at the start, %zu now, peak %zu\n", baseline, before_free,
	    hps_peak_bytes);
	CHECK(before_free < baseline + (size_t)CLIENTS * 1024);
	evhttp_free(http);
	printf("memory after evhttp_free: %zu\n", hps_live_bytes);
	CHECK(hps_live_bytes <= before_free);
	event_base_free(base);
	CHECK_INT_EQ(hps_live_bytes, 0);
	CHECK_INT_EQ(hps_live_blocks, 0);
	return check_report();
}
