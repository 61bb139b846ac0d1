/* Bufferevent API new in libevent 2.2: bufferevent_replacefd (set a new socket and close
 * the old one; through a filter it acts on the socket underneath; pairs have no socket)
 * and bufferevent_socket_connect_hostname_hints (lookup hints such as
 * EVUTIL_AI_NUMERICHOST, and the same argument checks as connect_hostname). */
// test: requires 2.2
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

struct state {
	int reads;
	int connected;
	int errors;
	short what;
};

static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	((struct state *)arg)->reads++;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->what = what;
	if (what & BEV_EVENT_CONNECTED)
		s->connected++;
	if (what & BEV_EVENT_ERROR)
		s->errors++;
}

static int run_until(struct event_base *base, const int *flag, int ms)
{
	struct timeval slice = {0, 10000};
	for (int waited = 0; !*flag && waited < ms; waited += 10) {
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	return *flag;
}

static void make_pair(evutil_socket_t fds[2])
{
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
}

static void test_replacefd(void)
{
	struct event_base *base = event_base_new();
	evutil_socket_t a[2], b[2], c[2];
	struct bufferevent *bev, *filt, *pair[2];
	struct state s;
	char buf[8];

	REQUIRE(base != NULL);
	memset(&s, 0, sizeof(s));
	make_pair(a);
	make_pair(b);
	make_pair(c);
	bev = bufferevent_socket_new(base, a[0], 0);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, &s);
	bufferevent_enable(bev, EV_READ);

	/* The old socket is closed, even without CLOSE_ON_FREE. */
	CHECK_INT_EQ(bufferevent_replacefd(bev, b[0]), 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), b[0]);
	CHECK(fcntl(a[0], F_GETFD) == -1);
	CHECK_INT_EQ(read(a[1], buf, sizeof(buf)), 0);
	/* Enabled directions carry over to the new socket. */
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
	CHECK_INT_EQ(write(b[1], "new", 3), 3);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK_UINT_EQ(bufferevent_read(bev, buf, sizeof(buf)), 3);

	/* Replacing with -1 closes the socket and leaves none. */
	CHECK_INT_EQ(bufferevent_replacefd(bev, -1), 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), -1);
	CHECK(fcntl(b[0], F_GETFD) == -1);
	/* From no socket to one: nothing to close. */
	CHECK_INT_EQ(bufferevent_replacefd(bev, c[0]), 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), c[0]);

	/* Through a filter, the socket underneath is replaced. */
	filt = bufferevent_filter_new(bev, NULL, NULL, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	REQUIRE(filt != NULL);
	CHECK_INT_EQ(bufferevent_getfd(filt), c[0]);
	make_pair(a);
	CHECK_INT_EQ(bufferevent_replacefd(filt, a[0]), 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), a[0]);
	CHECK(fcntl(c[0], F_GETFD) == -1);
	bufferevent_free(filt);
	event_base_loop(base, EVLOOP_NONBLOCK);

	/* A pair has no socket to replace. */
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	CHECK_INT_EQ(bufferevent_replacefd(pair[0], a[0]), -1);
	CHECK(fcntl(a[0], F_GETFD) != -1);
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);

	evutil_closesocket(a[0]);
	evutil_closesocket(a[1]);
	evutil_closesocket(b[1]);
	evutil_closesocket(c[1]);
	event_base_free(base);
}

static void test_hints(void)
{
	struct event_base *base = event_base_new();
	struct sockaddr_in sin;
	ev_socklen_t len = sizeof(sin);
	struct evutil_addrinfo hints;
	struct bufferevent *bev;
	struct state s;
	evutil_socket_t lfd;
	int port;

	REQUIRE(base != NULL);
	memset(&s, 0, sizeof(s));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(listen(lfd, 4) == 0);
	REQUIRE(getsockname(lfd, (struct sockaddr *)&sin, &len) == 0);
	port = ntohs(sin.sin_port);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;

	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &s);

	/* Same argument checks as bufferevent_socket_connect_hostname. */
	CHECK_INT_EQ(bufferevent_socket_connect_hostname_hints(bev, NULL, &hints, "localhost", 0), -1);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname_hints(bev, NULL, &hints, "localhost", 70000),
	    -1);
	hints.ai_family = AF_UNIX;
	CHECK_INT_EQ(bufferevent_socket_connect_hostname_hints(bev, NULL, &hints, "localhost", port),
	    -1);

	/* Numeric-only lookups refuse a name. */
	hints.ai_family = AF_INET;
	hints.ai_flags = EVUTIL_AI_NUMERICHOST;
	CHECK_INT_EQ(bufferevent_socket_connect_hostname_hints(bev, NULL, &hints, "localhost", port),
	    0);
	CHECK(run_until(base, &s.errors, 3000));
	CHECK_INT_EQ(s.what, BEV_EVENT_ERROR);
	CHECK_INT_EQ(bufferevent_socket_get_dns_error(bev), EVUTIL_EAI_NONAME);

	/* ...but take a number, and a name works without the flag. */
	CHECK_INT_EQ(bufferevent_socket_connect_hostname_hints(bev, NULL, &hints, "127.0.0.1", port),
	    0);
	CHECK(run_until(base, &s.connected, 3000));
	CHECK_INT_EQ(bufferevent_socket_get_dns_error(bev), 0);
	bufferevent_free(bev);

	memset(&s, 0, sizeof(s));
	hints.ai_flags = 0;
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &s);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname_hints(bev, NULL, &hints, "localhost", port),
	    0);
	CHECK(run_until(base, &s.connected, 3000));
	CHECK_INT_EQ(s.what, BEV_EVENT_CONNECTED);
	bufferevent_free(bev);

	evutil_closesocket(lfd);
	event_base_free(base);
}

int main(void)
{
	test_replacefd();
	test_hints();
	return check_report();
}
