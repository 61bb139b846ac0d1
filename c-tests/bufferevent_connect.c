/* Outgoing connections with bufferevent_socket_connect: to a listening IPv4, IPv6 and
 * Unix socket (BEV_EVENT_CONNECTED, then data both ways), to a port where nothing listens
 * (BEV_EVENT_ERROR with ECONNREFUSED), on a socket the caller started connecting itself
 * (addr NULL), and who owns the socket the bufferevent creates. */
// test: per-backend
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

struct state {
	int connected;
	int errors;
	int other_events;
	int reads;
	int writes;
	short last_what;
	int last_err;
	int writes_before_connected;
};

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->reads++;
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->writes++;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->last_err = EVUTIL_SOCKET_ERROR();
	s->last_what = what;
	if (what & BEV_EVENT_CONNECTED) {
		s->connected++;
		s->writes_before_connected = s->writes;
	} else if (what & BEV_EVENT_ERROR) {
		s->errors++;
	} else {
		s->other_events++;
	}
}

/* A nonblocking socket bound to the loopback address of a family, port 0; listening if
 * asked. Returns -1 if the family is unavailable. */
static evutil_socket_t bound_socket(int family, int do_listen, struct sockaddr_storage *ss,
    ev_socklen_t *len)
{
	evutil_socket_t fd = socket(family, SOCK_STREAM, 0);
	memset(ss, 0, sizeof(*ss));
	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		*len = sizeof(*sin6);
	}
	if (bind(fd, (struct sockaddr *)ss, *len) < 0 ||
	    (do_listen && listen(fd, 16) < 0)) {
		close(fd);
		return -1;
	}
	*len = sizeof(*ss);
	REQUIRE(getsockname(fd, (struct sockaddr *)ss, len) == 0);
	evutil_make_socket_nonblocking(fd);
	return fd;
}

static evutil_socket_t accept_one(evutil_socket_t lfd)
{
	evutil_socket_t fd = accept(lfd, NULL, NULL);
	if (fd >= 0)
		evutil_make_socket_nonblocking(fd);
	return fd;
}

static size_t read_all(evutil_socket_t fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)n;
	return got;
}

/* Connects a new socket bufferevent to a listening socket and moves data both ways. */
static void connect_and_talk(struct event_base *base, evutil_socket_t lfd,
    const struct sockaddr *sa, int salen, int is_tcp)
{
	struct bufferevent *bev;
	struct state s;
	evutil_socket_t fd, server;
	char buf[32];
	int flags;

	memset(&s, 0, sizeof(s));
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);
	CHECK_INT_EQ(bufferevent_socket_connect(bev, sa, salen), 0);
	/* The bufferevent made its own nonblocking socket at once. */
	fd = bufferevent_getfd(bev);
	CHECK(fd >= 0);
	flags = fcntl(fd, F_GETFL);
	CHECK(flags != -1 && (flags & O_NONBLOCK));
	/* Data may be queued and reading enabled before the connection completes. */
	CHECK_INT_EQ(bufferevent_write(bev, "early", 5), 0);
	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ), 0);
	CHECK_INT_EQ(s.connected, 0);

	REQUIRE(run_until(base, &s.connected, 5000));
	CHECK_INT_EQ(s.connected, 1);
	/* Exactly BEV_EVENT_CONNECTED: no READING or WRITING bit. */
	CHECK_INT_EQ(s.last_what, BEV_EVENT_CONNECTED);
	CHECK_INT_EQ(s.errors, 0);
	/* A TCP connect completes later, and CONNECTED comes before the write callback for
	 * the queued data. (A Unix socket connects at once; libevent then schedules a
	 * deferred write callback from inside bufferevent_socket_connect, which may run
	 * before CONNECTED.) */
	if (is_tcp)
		CHECK_INT_EQ(s.writes_before_connected, 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), fd);

	server = accept_one(lfd);
	REQUIRE(server >= 0);
	CHECK(run_until(base, &s.writes, 2000));
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 0);
	CHECK_UINT_EQ(read_all(server, buf, sizeof(buf)), 5);
	CHECK_MEM_EQ(buf, "early", 5);

	CHECK_INT_EQ(write(server, "reply", 5), 5);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK_UINT_EQ(bufferevent_read(bev, buf, sizeof(buf)), 5);
	CHECK_MEM_EQ(buf, "reply", 5);
	CHECK_INT_EQ(s.other_events, 0);

	/* CLOSE_ON_FREE covers the socket the bufferevent created: the server sees EOF. */
	bufferevent_free(bev);
	run_for(base, 1);
	CHECK_INT_EQ(read(server, buf, sizeof(buf)), 0);
	evutil_closesocket(server);
}

/* Reading and writing may be enabled while the bufferevent has no socket yet (its
 * events wait on fd -1); they apply to the socket that connect makes. */
static void test_enable_before_socket(void)
{
	struct event_base *base = new_base();
	struct sockaddr_storage ss;
	ev_socklen_t len;
	evutil_socket_t lfd = bound_socket(AF_INET, 1, &ss, &len);
	struct bufferevent *bev;
	struct state s;
	evutil_socket_t server;
	char buf[8];

	REQUIRE(lfd >= 0);
	memset(&s, 0, sizeof(s));
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);
	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ | EV_WRITE), 0);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
	CHECK_INT_EQ(bufferevent_getfd(bev), -1);
	CHECK_INT_EQ(bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)len), 0);
	REQUIRE(run_until(base, &s.connected, 5000));
	server = accept_one(lfd);
	REQUIRE(server >= 0);
	CHECK_INT_EQ(write(server, "hi", 2), 2);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK_UINT_EQ(bufferevent_read(bev, buf, sizeof(buf)), 2);
	CHECK_INT_EQ(s.errors, 0);
	bufferevent_free(bev);
	evutil_closesocket(server);
	evutil_closesocket(lfd);
	event_base_free(base);
}

static void test_connect_ipv4(void)
{
	struct event_base *base = new_base();
	struct sockaddr_storage ss;
	ev_socklen_t len;
	evutil_socket_t lfd = bound_socket(AF_INET, 1, &ss, &len);

	REQUIRE(lfd >= 0);
	connect_and_talk(base, lfd, (struct sockaddr *)&ss, (int)len, 1);
	evutil_closesocket(lfd);
	event_base_free(base);
}

static void test_connect_ipv6(void)
{
	struct event_base *base = new_base();
	struct sockaddr_storage ss;
	ev_socklen_t len;
	evutil_socket_t lfd = bound_socket(AF_INET6, 1, &ss, &len);

	if (lfd < 0) {
		printf("skipping IPv6: ::1 is not available\n");
	} else {
		connect_and_talk(base, lfd, (struct sockaddr *)&ss, (int)len, 1);
		evutil_closesocket(lfd);
	}
	event_base_free(base);
}

static void test_connect_unix(void)
{
	struct event_base *base = new_base();
	struct sockaddr_un sun;
	evutil_socket_t lfd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/evrs-bev-connect-%ld.sock",
	    (long)getpid());
	unlink(sun.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	REQUIRE(lfd >= 0);
	REQUIRE(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	REQUIRE(listen(lfd, 4) == 0);
	evutil_make_socket_nonblocking(lfd);
	connect_and_talk(base, lfd, (struct sockaddr *)&sun, (int)sizeof(sun), 0);
	evutil_closesocket(lfd);
	unlink(sun.sun_path);
	event_base_free(base);
}

static void test_refused(int family)
{
	struct event_base *base = new_base();
	struct sockaddr_storage ss;
	ev_socklen_t len;
	/* Bound but not listening: the port is ours and connections to it are refused. */
	evutil_socket_t blocker = bound_socket(family, 0, &ss, &len);
	struct bufferevent *bev;
	struct state s;

	if (blocker < 0) {
		printf("skipping refused connect for family %d\n", family);
		event_base_free(base);
		return;
	}
	memset(&s, 0, sizeof(s));
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	/* The attempt starts fine; the refusal is reported to the event callback. */
	CHECK_INT_EQ(bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)len), 0);
	CHECK(run_until(base, &s.errors, 5000));
	CHECK_INT_EQ(s.errors, 1);
	/* Only BEV_EVENT_ERROR: neither READING nor WRITING is set for a failed connect. */
	CHECK_INT_EQ(s.last_what, BEV_EVENT_ERROR);
	CHECK_INT_EQ(s.last_err, ECONNREFUSED);
	CHECK_INT_EQ(s.connected, 0);
	CHECK_INT_EQ(s.reads, 0);
	CHECK_INT_EQ(s.writes, 0);
	/* Nothing more is reported afterwards. */
	run_for(base, 50);
	CHECK_INT_EQ(s.errors, 1);
	CHECK_INT_EQ(s.other_events, 0);
	bufferevent_free(bev);
	evutil_closesocket(blocker);
	event_base_free(base);
}

/* The caller creates the socket and starts connect() itself; the bufferevent only
 * waits for it to finish. */
static void test_connect_started_elsewhere(void)
{
	struct event_base *base = new_base();
	struct sockaddr_storage ss;
	ev_socklen_t len;
	evutil_socket_t lfd = bound_socket(AF_INET, 1, &ss, &len);
	evutil_socket_t fd, server;
	struct bufferevent *bev;
	struct state s;
	char buf[8];
	int r;

	REQUIRE(lfd >= 0);
	memset(&s, 0, sizeof(s));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	evutil_make_socket_nonblocking(fd);
	r = connect(fd, (struct sockaddr *)&ss, len);
	CHECK(r == 0 || errno == EINPROGRESS);
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);
	CHECK_INT_EQ(bufferevent_socket_connect(bev, NULL, 0), 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), fd);
	CHECK(run_until(base, &s.connected, 5000));
	CHECK_INT_EQ(s.last_what, BEV_EVENT_CONNECTED);
	server = accept_one(lfd);
	REQUIRE(server >= 0);
	CHECK_INT_EQ(bufferevent_write(bev, "ok", 2), 0);
	CHECK(run_until(base, &s.writes, 2000));
	CHECK_UINT_EQ(read_all(server, buf, sizeof(buf)), 2);
	bufferevent_free(bev);
	evutil_closesocket(server);
	evutil_closesocket(lfd);
	event_base_free(base);
}

/* Without an address there is nothing to connect to when the bufferevent has no socket. */
static void test_connect_nothing(void)
{
	struct event_base *base = new_base();
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
	REQUIRE(bev != NULL);
	CHECK_INT_EQ(bufferevent_socket_connect(bev, NULL, 0), -1);
	CHECK_INT_EQ(bufferevent_getfd(bev), -1);
	bufferevent_free(bev);
	event_base_free(base);
}

/* Without CLOSE_ON_FREE, the socket that connect created survives the bufferevent. */
static void test_connect_socket_not_closed(void)
{
	struct event_base *base = new_base();
	struct sockaddr_storage ss;
	ev_socklen_t len;
	evutil_socket_t lfd = bound_socket(AF_INET, 1, &ss, &len);
	evutil_socket_t fd, server;
	struct bufferevent *bev;
	struct state s;
	char buf[8];

	REQUIRE(lfd >= 0);
	memset(&s, 0, sizeof(s));
	bev = bufferevent_socket_new(base, -1, 0);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &s);
	CHECK_INT_EQ(bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)len), 0);
	fd = bufferevent_getfd(bev);
	CHECK(run_until(base, &s.connected, 5000));
	server = accept_one(lfd);
	REQUIRE(server >= 0);
	bufferevent_free(bev);
	run_for(base, 1);
	CHECK(fcntl(fd, F_GETFD) != -1);
	CHECK_INT_EQ(write(fd, "still", 5), 5);
	CHECK_UINT_EQ(read_all(server, buf, sizeof(buf)), 5);
	evutil_closesocket(fd);
	evutil_closesocket(server);
	evutil_closesocket(lfd);
	event_base_free(base);
}

int main(void)
{
	test_connect_ipv4();
	test_enable_before_socket();
	test_connect_ipv6();
	test_connect_unix();
	test_refused(AF_INET);
	test_refused(AF_INET6);
	test_connect_started_elsewhere();
	test_connect_nothing();
	test_connect_socket_not_closed();
	return check_report();
}
