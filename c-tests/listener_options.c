/* Socket options that evconnlistener_new_bind sets from its flags: LEV_OPT_REUSEABLE
 * (SO_REUSEADDR), LEV_OPT_REUSEABLE_PORT (SO_REUSEPORT: two listeners on one port),
 * LEV_OPT_DEFERRED_ACCEPT (TCP_DEFER_ACCEPT; a client that speaks first is accepted with
 * its data), LEV_OPT_BIND_IPV6ONLY (IPV6_V6ONLY), LEV_OPT_CLOSE_ON_EXEC, plus binding an
 * address that is in use. */
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

struct acc {
	int calls;
	evutil_socket_t fd;
};

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct acc *a = arg;
	(void)lev;
	(void)sa;
	(void)socklen;
	if (a->calls++ == 0)
		a->fd = fd;
	else
		evutil_closesocket(fd);
}

static int run_until(struct event_base *base, const int *counter, int want, int ms)
{
	struct timeval slice = {0, 10000};
	for (int waited = 0; *counter < want && waited < ms; waited += 10) {
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	return *counter >= want;
}

static int sockopt(evutil_socket_t fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, name, &v, &len) < 0)
		return -1;
	return v;
}

static struct sockaddr_in loopback4(int port)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	return sin;
}

static int port_of(struct evconnlistener *lev)
{
	struct sockaddr_in sin;
	ev_socklen_t len = sizeof(sin);
	REQUIRE(getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len) == 0);
	return ntohs(sin.sin_port);
}

static struct evconnlistener *bind4(struct event_base *base, struct acc *a, unsigned flags,
    int port)
{
	struct sockaddr_in sin = loopback4(port);
	return evconnlistener_new_bind(base, accept_cb, a, LEV_OPT_CLOSE_ON_FREE | flags, -1,
	    (struct sockaddr *)&sin, sizeof(sin));
}

static void test_reuseable(void)
{
	struct event_base *base = event_base_new();
	struct acc a;
	struct evconnlistener *lev;
	int port;

	memset(&a, 0, sizeof(a));
	lev = bind4(base, &a, 0, 0);
	REQUIRE(lev != NULL);
	CHECK_INT_EQ(sockopt(evconnlistener_get_fd(lev), SOL_SOCKET, SO_REUSEADDR), 0);
	CHECK_INT_EQ(sockopt(evconnlistener_get_fd(lev), SOL_SOCKET, SO_REUSEPORT), 0);
	port = port_of(lev);
	/* The port is taken. */
	errno = 0;
	CHECK(bind4(base, &a, 0, port) == NULL);
	CHECK_INT_EQ(errno, EADDRINUSE);
	/* SO_REUSEADDR does not allow two listeners on one port either. */
	CHECK(bind4(base, &a, LEV_OPT_REUSEABLE, port) == NULL);
	evconnlistener_free(lev);

	lev = bind4(base, &a, LEV_OPT_REUSEABLE, 0);
	REQUIRE(lev != NULL);
	CHECK(sockopt(evconnlistener_get_fd(lev), SOL_SOCKET, SO_REUSEADDR) > 0);
	CHECK_INT_EQ(sockopt(evconnlistener_get_fd(lev), SOL_SOCKET, SO_REUSEPORT), 0);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void test_reuseable_port(void)
{
	struct event_base *base = event_base_new();
	struct acc a, b;
	struct evconnlistener *l1, *l2;
	struct sockaddr_in sin;
	evutil_socket_t c;
	int port;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	l1 = bind4(base, &a, LEV_OPT_REUSEABLE_PORT, 0);
	REQUIRE(l1 != NULL);
	CHECK(sockopt(evconnlistener_get_fd(l1), SOL_SOCKET, SO_REUSEPORT) > 0);
	/* Unlike LEV_OPT_REUSEABLE, it does not set SO_REUSEADDR. */
	CHECK_INT_EQ(sockopt(evconnlistener_get_fd(l1), SOL_SOCKET, SO_REUSEADDR), 0);
	port = port_of(l1);
	/* A second listener on the same port, both with the flag. */
	l2 = bind4(base, &b, LEV_OPT_REUSEABLE_PORT, port);
	CHECK(l2 != NULL);
	/* A connection reaches one of them. */
	sin = loopback4(port);
	c = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(c >= 0);
	CHECK_INT_EQ(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	{
		int total = 0;
		struct timeval slice = {0, 10000};
		for (int i = 0; i < 300 && total == 0; i++) {
			event_base_loopexit(base, &slice);
			event_base_dispatch(base);
			total = a.calls + b.calls;
		}
		CHECK_INT_EQ(total, 1);
	}
	if (a.calls)
		evutil_closesocket(a.fd);
	if (b.calls)
		evutil_closesocket(b.fd);
	evutil_closesocket(c);
	/* Without the flag on the newcomer, the port is in use. */
	CHECK(bind4(base, &b, 0, port) == NULL);
	if (l2)
		evconnlistener_free(l2);
	evconnlistener_free(l1);
	event_base_free(base);
}

static void test_deferred_accept(void)
{
	struct event_base *base = event_base_new();
	struct acc a;
	struct evconnlistener *lev;
	struct sockaddr_in sin;
	evutil_socket_t c;
	char buf[16];

	memset(&a, 0, sizeof(a));
	lev = bind4(base, &a, LEV_OPT_DEFERRED_ACCEPT, 0);
	REQUIRE(lev != NULL);
	CHECK(sockopt(evconnlistener_get_fd(lev), IPPROTO_TCP, TCP_DEFER_ACCEPT) > 0);
	/* A client that speaks first: accepted, with its data waiting. */
	sin = loopback4(port_of(lev));
	c = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(c >= 0);
	CHECK_INT_EQ(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	CHECK_INT_EQ(write(c, "GET /", 5), 5);
	CHECK(run_until(base, &a.calls, 1, 5000));
	if (a.calls) {
		usleep(10000);
		CHECK_INT_EQ(read(a.fd, buf, sizeof(buf)), 5);
		evutil_closesocket(a.fd);
	}
	evutil_closesocket(c);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void test_ipv6only(void)
{
	struct event_base *base = event_base_new();
	struct acc a;
	struct evconnlistener *lev;
	struct sockaddr_in6 sin6;

	memset(&a, 0, sizeof(a));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	lev = evconnlistener_new_bind(base, accept_cb, &a,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_BIND_IPV6ONLY, -1, (struct sockaddr *)&sin6,
	    sizeof(sin6));
	if (!lev) {
		printf("skipping IPV6ONLY: cannot bind ::1\n");
	} else {
		CHECK_INT_EQ(sockopt(evconnlistener_get_fd(lev), IPPROTO_IPV6, IPV6_V6ONLY), 1);
		evconnlistener_free(lev);
		/* An IPv6-only socket cannot bind the IPv4-mapped ::ffff:127.0.0.1. */
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr.s6_addr[10] = 0xff;
		sin6.sin6_addr.s6_addr[11] = 0xff;
		sin6.sin6_addr.s6_addr[12] = 127;
		sin6.sin6_addr.s6_addr[15] = 1;
		lev = evconnlistener_new_bind(base, accept_cb, &a,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_BIND_IPV6ONLY, -1, (struct sockaddr *)&sin6,
		    sizeof(sin6));
		CHECK(lev == NULL);
		if (lev)
			evconnlistener_free(lev);
	}
	event_base_free(base);
}

static void test_close_on_exec(void)
{
	struct event_base *base = event_base_new();
	struct acc a;
	struct evconnlistener *lev;
	struct sockaddr_in sin;
	evutil_socket_t c;

	memset(&a, 0, sizeof(a));
	lev = bind4(base, &a, LEV_OPT_CLOSE_ON_EXEC, 0);
	REQUIRE(lev != NULL);
	CHECK(fcntl(evconnlistener_get_fd(lev), F_GETFD) & FD_CLOEXEC);
	sin = loopback4(port_of(lev));
	c = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(c >= 0);
	CHECK_INT_EQ(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	CHECK(run_until(base, &a.calls, 1, 3000));
	if (a.calls) {
		CHECK(fcntl(a.fd, F_GETFD) & FD_CLOEXEC);
		evutil_closesocket(a.fd);
	}
	evutil_closesocket(c);
	evconnlistener_free(lev);
	event_base_free(base);
}

int main(void)
{
	test_reuseable();
	test_reuseable_port();
	test_deferred_accept();
	test_ipv6only();
	test_close_on_exec();
	return check_report();
}
