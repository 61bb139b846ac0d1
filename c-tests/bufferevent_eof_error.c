/* End of file and errors on socket bufferevents: data before EOF reaches the read callback
 * first, EOF is BEV_EVENT_EOF|BEV_EVENT_READING and switches reading off (writing still
 * works on a half-closed connection), a reset peer gives BEV_EVENT_ERROR|BEV_EVENT_READING
 * with ECONNRESET, and writing to a closed peer gives BEV_EVENT_ERROR|BEV_EVENT_WRITING
 * with EPIPE (or ECONNRESET) and switches writing off. The program ignores SIGPIPE, as
 * libevent programs must: libevent does not do it for them. */
// test: per-backend
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

struct state {
	char log[64]; /* 'r' for each read callback, 'e' for each event callback */
	int nlog;
	int events;
	short last_what;
	int last_err;
	size_t bytes;
	char data[64];
};

static void note(struct state *s, char c)
{
	if (s->nlog < (int)sizeof(s->log) - 1)
		s->log[s->nlog++] = c;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	size_t n;
	note(s, 'r');
	n = bufferevent_read(bev, s->data + s->bytes, sizeof(s->data) - 1 - s->bytes);
	s->bytes += n;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->last_err = EVUTIL_SOCKET_ERROR();
	note(s, 'e');
	s->events++;
	s->last_what = what;
}

/* A connected pair of loopback TCP sockets. */
static void make_tcp_pair(evutil_socket_t fds[2])
{
	struct sockaddr_in sin;
	ev_socklen_t len = sizeof(sin);
	evutil_socket_t lfd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(lfd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(listen(lfd, 1) == 0);
	REQUIRE(getsockname(lfd, (struct sockaddr *)&sin, &len) == 0);
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fds[0] >= 0);
	REQUIRE(connect(fds[0], (struct sockaddr *)&sin, sizeof(sin)) == 0);
	fds[1] = accept(lfd, NULL, NULL);
	REQUIRE(fds[1] >= 0);
	evutil_closesocket(lfd);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
}

/* The peer writes and closes before the loop runs: data first, then EOF. */
static void test_eof_after_data(int tcp)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;

	memset(&s, 0, sizeof(s));
	if (tcp)
		make_tcp_pair(fds);
	else
		make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, &s);
	bufferevent_enable(bev, EV_READ);
	CHECK_INT_EQ(write(fds[1], "goodbye", 7), 7);
	evutil_closesocket(fds[1]);
	CHECK(run_until(base, &s.events, 3000));
	CHECK_INT_EQ(s.events, 1);
	CHECK_INT_EQ(s.last_what, BEV_EVENT_EOF | BEV_EVENT_READING);
	CHECK_UINT_EQ(s.bytes, 7);
	CHECK_MEM_EQ(s.data, "goodbye", 7);
	/* The read callback(s) came first, the event callback last. */
	CHECK(s.nlog >= 2);
	CHECK_INT_EQ(s.log[s.nlog - 1], 'e');
	CHECK_INT_EQ(s.log[0], 'r');
	/* EOF switched reading off, but not writing. */
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
	/* And it is reported once. */
	run_for(base, 50);
	CHECK_INT_EQ(s.events, 1);
	bufferevent_free(bev);
	event_base_free(base);
}

/* After the peer's shutdown(SHUT_WR), this side gets EOF but can still send. */
static void test_half_close(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	char buf[16];

	memset(&s, 0, sizeof(s));
	make_tcp_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, &s);
	bufferevent_enable(bev, EV_READ);
	CHECK_INT_EQ(shutdown(fds[1], SHUT_WR), 0);
	CHECK(run_until(base, &s.events, 3000));
	CHECK_INT_EQ(s.last_what, BEV_EVENT_EOF | BEV_EVENT_READING);
	CHECK_UINT_EQ(s.bytes, 0);
	CHECK_INT_EQ(s.log[0], 'e');
	CHECK_INT_EQ(bufferevent_write(bev, "answer", 6), 0);
	run_for(base, 50);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 0);
	CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), 6);
	CHECK_MEM_EQ(buf, "answer", 6);
	CHECK_INT_EQ(s.events, 1);
	bufferevent_free(bev);
	run_for(base, 1);
	/* CLOSE_ON_FREE: now the peer sees EOF too. */
	CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), 0);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

/* The peer aborts the connection (SO_LINGER with a zero timeout sends a reset). */
static void test_reset(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	struct linger lg = {1, 0};

	memset(&s, 0, sizeof(s));
	make_tcp_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, &s);
	bufferevent_enable(bev, EV_READ);
	REQUIRE(setsockopt(fds[1], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
	evutil_closesocket(fds[1]);
	CHECK(run_until(base, &s.events, 3000));
	CHECK_INT_EQ(s.events, 1);
	CHECK_INT_EQ(s.last_what, BEV_EVENT_ERROR | BEV_EVENT_READING);
	CHECK_INT_EQ(s.last_err, ECONNRESET);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
	bufferevent_free(bev);
	event_base_free(base);
}

/* Writing to a peer that has gone away. */
static void test_write_to_closed_peer(int tcp)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	char chunk[4096];
	int rounds;

	memset(&s, 0, sizeof(s));
	memset(chunk, 'w', sizeof(chunk));
	if (tcp)
		make_tcp_pair(fds);
	else
		make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &s);
	evutil_closesocket(fds[1]);
	/* A TCP peer answers the first bytes with a reset, so keep writing until the
	 * error shows. */
	for (rounds = 0; rounds < 200 && !s.events; rounds++) {
		CHECK_INT_EQ(bufferevent_write(bev, chunk, sizeof(chunk)), 0);
		run_for(base, 10);
	}
	CHECK_INT_EQ(s.events, 1);
	CHECK_INT_EQ(s.last_what, BEV_EVENT_ERROR | BEV_EVENT_WRITING);
	if (tcp)
		CHECK(s.last_err == EPIPE || s.last_err == ECONNRESET);
	else
		CHECK_INT_EQ(s.last_err, EPIPE);
	/* Writing was switched off; the unsent data stays in the output buffer. */
	CHECK_INT_EQ(bufferevent_get_enabled(bev), 0);
	CHECK(evbuffer_get_length(bufferevent_get_output(bev)) > 0);
	run_for(base, 30);
	CHECK_INT_EQ(s.events, 1);
	bufferevent_free(bev);
	event_base_free(base);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_eof_after_data(0);
	test_eof_after_data(1);
	test_half_close();
	test_reset();
	test_write_to_closed_peer(0);
	test_write_to_closed_peer(1);
	return check_report();
}
