/* Connection listeners: evconnlistener_new on a bound socket (backlog -1, N, or 0 for a
 * socket that is already listening) and evconnlistener_new_bind, over IPv4, IPv6 (skipped
 * when ::1 is unavailable) and Unix sockets; what the accept callback receives (socket,
 * peer address, length, argument); accepted sockets nonblocking unless
 * LEV_OPT_LEAVE_SOCKETS_BLOCKING, close-on-exec with LEV_OPT_CLOSE_ON_EXEC;
 * LEV_OPT_CLOSE_ON_FREE; LEV_OPT_DISABLED, enable/disable, set_cb, get_fd/get_base;
 * several pending connections accepted in one go, disabling or freeing the listener from
 * inside its callback. */
// test: per-backend
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

#define MAXC 8

struct acc {
	int calls;
	evutil_socket_t fds[MAXC];
	struct sockaddr_storage addr;
	int socklen;
	void *arg_seen;
	int free_in_cb;
	int disable_in_cb;
};

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct acc *a = arg;
	if (a->calls < MAXC)
		a->fds[a->calls] = fd;
	else
		evutil_closesocket(fd);
	a->calls++;
	a->arg_seen = arg;
	a->socklen = socklen;
	if (socklen > 0 && (size_t)socklen <= sizeof(a->addr))
		memcpy(&a->addr, sa, (size_t)socklen);
	if (a->disable_in_cb)
		evconnlistener_disable(lev);
	if (a->free_in_cb)
		evconnlistener_free(lev);
}

static void close_accepted(struct acc *a)
{
	for (int i = 0; i < a->calls && i < MAXC; i++)
		evutil_closesocket(a->fds[i]);
	a->calls = 0;
}

static int run_until_count(struct event_base *base, const int *counter, int want, int ms)
{
	struct timeval slice = {0, 10000};
	for (int waited = 0; *counter < want && waited < ms; waited += 10) {
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	return *counter >= want;
}

static void loopback4(struct sockaddr_in *sin, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(port);
}

static evutil_socket_t bound4(int do_listen, struct sockaddr_in *sin)
{
	ev_socklen_t len = sizeof(*sin);
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	loopback4(sin, 0);
	REQUIRE(bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == 0);
	if (do_listen)
		REQUIRE(listen(fd, 16) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)sin, &len) == 0);
	evutil_make_socket_nonblocking(fd);
	return fd;
}

/* A blocking client connected to addr; returns -1 if the connection fails. */
static evutil_socket_t client(const struct sockaddr *sa, ev_socklen_t len)
{
	evutil_socket_t fd = socket(sa->sa_family, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	if (connect(fd, sa, len) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void listener_addr(struct evconnlistener *lev, struct sockaddr_storage *ss,
    ev_socklen_t *len)
{
	*len = sizeof(*ss);
	REQUIRE(getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)ss, len) == 0);
}

static int is_nonblocking(evutil_socket_t fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl != -1 && (fl & O_NONBLOCK);
}

static int is_cloexec(evutil_socket_t fd)
{
	int fl = fcntl(fd, F_GETFD);
	return fl != -1 && (fl & FD_CLOEXEC);
}

static void test_new_on_listening_fd(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin, local;
	ev_socklen_t len = sizeof(local);
	evutil_socket_t lfd = bound4(1, &sin), c;
	struct evconnlistener *lev;
	struct acc a;
	char buf[8];

	memset(&a, 0, sizeof(a));
	/* Backlog 0: the socket listens already. */
	lev = evconnlistener_new(base, accept_cb, &a, 0, 0, lfd);
	REQUIRE(lev != NULL);
	CHECK_INT_EQ(evconnlistener_get_fd(lev), lfd);
	CHECK(evconnlistener_get_base(lev) == base);

	c = client((struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(c >= 0);
	CHECK(run_until_count(base, &a.calls, 1, 3000));
	CHECK_INT_EQ(a.calls, 1);
	CHECK(a.arg_seen == &a);
	/* The peer address is the client's. */
	REQUIRE(getsockname(c, (struct sockaddr *)&local, &len) == 0);
	CHECK_INT_EQ(a.socklen, sizeof(struct sockaddr_in));
	CHECK_INT_EQ(((struct sockaddr_in *)&a.addr)->sin_family, AF_INET);
	CHECK_INT_EQ(((struct sockaddr_in *)&a.addr)->sin_port, local.sin_port);
	CHECK_UINT_EQ(((struct sockaddr_in *)&a.addr)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	/* By default the new socket is nonblocking and not close-on-exec. */
	CHECK(is_nonblocking(a.fds[0]));
	CHECK(!is_cloexec(a.fds[0]));
	/* Nothing to read yet: a nonblocking read fails at once. */
	CHECK_INT_EQ(read(a.fds[0], buf, sizeof(buf)), -1);
	CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
	CHECK_INT_EQ(write(c, "hi", 2), 2);
	run_for(base, 10);
	CHECK_INT_EQ(read(a.fds[0], buf, sizeof(buf)), 2);
	close_accepted(&a);
	evutil_closesocket(c);

	/* Without LEV_OPT_CLOSE_ON_FREE the socket survives the listener. */
	evconnlistener_free(lev);
	CHECK(fcntl(lfd, F_GETFD) != -1);
	evutil_closesocket(lfd);
	event_base_free(base);
}

static void test_backlogs(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	evutil_socket_t lfd, c;
	struct evconnlistener *lev;
	struct acc a;
	int backlogs[2] = {-1, 5};

	for (int i = 0; i < 2; i++) {
		memset(&a, 0, sizeof(a));
		/* Bound but not listening: the listener calls listen() itself. */
		lfd = bound4(0, &sin);
		lev = evconnlistener_new(base, accept_cb, &a, LEV_OPT_CLOSE_ON_FREE, backlogs[i],
		    lfd);
		REQUIRE(lev != NULL);
		c = client((struct sockaddr *)&sin, sizeof(sin));
		CHECK(c >= 0);
		CHECK(run_until_count(base, &a.calls, 1, 3000));
		close_accepted(&a);
		if (c >= 0)
			evutil_closesocket(c);
		/* CLOSE_ON_FREE closes it right away. */
		evconnlistener_free(lev);
		CHECK(fcntl(lfd, F_GETFD) == -1);
	}

	/* Backlog 0 on a socket that does not listen: the listener does not call listen(),
	 * so connections are refused. */
	lfd = bound4(0, &sin);
	lev = evconnlistener_new(base, accept_cb, &a, LEV_OPT_CLOSE_ON_FREE, 0, lfd);
	CHECK(lev != NULL);
	c = client((struct sockaddr *)&sin, sizeof(sin));
	CHECK_INT_EQ(c, -1);
	CHECK_INT_EQ(errno, ECONNREFUSED);
	if (lev)
		evconnlistener_free(lev);
	event_base_free(base);
}

static void test_new_bind_flags(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	ev_socklen_t len;
	struct evconnlistener *lev;
	struct acc a;
	evutil_socket_t c, lfd;
	int on = 0;
	socklen_t olen = sizeof(on);

	memset(&a, 0, sizeof(a));
	loopback4(&sin, 0);
	/* A backlog of 0 makes no sense for a socket it creates itself. */
	CHECK(evconnlistener_new_bind(base, accept_cb, &a, LEV_OPT_CLOSE_ON_FREE, 0,
	    (struct sockaddr *)&sin, sizeof(sin)) == NULL);

	lev = evconnlistener_new_bind(base, accept_cb, &a,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_LEAVE_SOCKETS_BLOCKING, -1,
	    (struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(lev != NULL);
	lfd = evconnlistener_get_fd(lev);
	listener_addr(lev, &ss, &len);
	CHECK(((struct sockaddr_in *)&ss)->sin_port != 0);
	/* The socket it made: nonblocking, close-on-exec as asked, and SO_KEEPALIVE. */
	CHECK(is_nonblocking(lfd));
	CHECK(is_cloexec(lfd));
	CHECK_INT_EQ(getsockopt(lfd, SOL_SOCKET, SO_KEEPALIVE, &on, &olen), 0);
	CHECK(on != 0);
	c = client((struct sockaddr *)&ss, len);
	REQUIRE(c >= 0);
	CHECK(run_until_count(base, &a.calls, 1, 3000));
	/* Accepted: blocking as asked, and close-on-exec. */
	CHECK(!is_nonblocking(a.fds[0]));
	CHECK(is_cloexec(a.fds[0]));
	close_accepted(&a);
	evutil_closesocket(c);
	evconnlistener_free(lev);
	CHECK(fcntl(lfd, F_GETFD) == -1);

	/* Without the flags: accepted sockets are nonblocking and not close-on-exec. */
	loopback4(&sin, 0);
	lev = evconnlistener_new_bind(base, accept_cb, &a, LEV_OPT_CLOSE_ON_FREE, 8,
	    (struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(lev != NULL);
	CHECK(!is_cloexec(evconnlistener_get_fd(lev)));
	listener_addr(lev, &ss, &len);
	c = client((struct sockaddr *)&ss, len);
	REQUIRE(c >= 0);
	CHECK(run_until_count(base, &a.calls, 1, 3000));
	CHECK(is_nonblocking(a.fds[0]));
	CHECK(!is_cloexec(a.fds[0]));
	close_accepted(&a);
	evutil_closesocket(c);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void test_enable_disable(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	ev_socklen_t len;
	struct evconnlistener *lev;
	struct acc a, b;
	evutil_socket_t c[3];
	int i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	loopback4(&sin, 0);
	/* Created disabled: connections wait in the backlog. */
	lev = evconnlistener_new_bind(base, accept_cb, &a, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED,
	    -1, (struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(lev != NULL);
	listener_addr(lev, &ss, &len);
	for (i = 0; i < 3; i++) {
		c[i] = client((struct sockaddr *)&ss, len);
		REQUIRE(c[i] >= 0);
	}
	run_for(base, 50);
	CHECK_INT_EQ(a.calls, 0);
	/* Enabling accepts all that are waiting, in one go. */
	CHECK_INT_EQ(evconnlistener_enable(lev), 0);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK_INT_EQ(a.calls, 3);
	close_accepted(&a);
	for (i = 0; i < 3; i++)
		evutil_closesocket(c[i]);

	/* Disabled again: nothing is accepted. */
	CHECK_INT_EQ(evconnlistener_disable(lev), 0);
	c[0] = client((struct sockaddr *)&ss, len);
	run_for(base, 50);
	CHECK_INT_EQ(a.calls, 0);
	CHECK_INT_EQ(evconnlistener_enable(lev), 0);
	CHECK(run_until_count(base, &a.calls, 1, 3000));
	close_accepted(&a);
	evutil_closesocket(c[0]);

	/* A new callback and argument. */
	evconnlistener_set_cb(lev, accept_cb, &b);
	c[0] = client((struct sockaddr *)&ss, len);
	CHECK(run_until_count(base, &b.calls, 1, 3000));
	CHECK(b.arg_seen == &b);
	CHECK_INT_EQ(a.calls, 0);
	close_accepted(&b);
	evutil_closesocket(c[0]);

	/* Disabling from inside the callback stops the batch after that connection. */
	b.disable_in_cb = 1;
	for (i = 0; i < 3; i++)
		c[i] = client((struct sockaddr *)&ss, len);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK_INT_EQ(b.calls, 1);
	run_for(base, 30);
	CHECK_INT_EQ(b.calls, 1);
	b.disable_in_cb = 0;
	evconnlistener_enable(lev);
	CHECK(run_until_count(base, &b.calls, 3, 3000));
	close_accepted(&b);
	for (i = 0; i < 3; i++)
		evutil_closesocket(c[i]);

	evconnlistener_free(lev);
	event_base_free(base);
}

/* A listener made without a callback does not accept until it gets one. */
static void test_null_cb(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	evutil_socket_t lfd = bound4(1, &sin), c;
	struct evconnlistener *lev;
	struct acc a;

	memset(&a, 0, sizeof(a));
	lev = evconnlistener_new(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE, 0, lfd);
	REQUIRE(lev != NULL);
	c = client((struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(c >= 0);
	run_for(base, 50);
	evconnlistener_set_cb(lev, accept_cb, &a);
	CHECK(run_until_count(base, &a.calls, 1, 3000));
	close_accepted(&a);
	evutil_closesocket(c);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void test_free_in_cb(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	ev_socklen_t len;
	struct evconnlistener *lev;
	struct acc a;
	evutil_socket_t c[2], lfd;

	memset(&a, 0, sizeof(a));
	a.free_in_cb = 1;
	loopback4(&sin, 0);
	lev = evconnlistener_new_bind(base, accept_cb, &a, LEV_OPT_CLOSE_ON_FREE, -1,
	    (struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(lev != NULL);
	lfd = evconnlistener_get_fd(lev);
	listener_addr(lev, &ss, &len);
	c[0] = client((struct sockaddr *)&ss, len);
	c[1] = client((struct sockaddr *)&ss, len);
	REQUIRE(c[0] >= 0 && c[1] >= 0);
	event_base_loop(base, EVLOOP_ONCE);
	run_for(base, 30);
	/* One connection, then the listener was gone (and its socket closed). */
	CHECK_INT_EQ(a.calls, 1);
	CHECK(fcntl(lfd, F_GETFD) == -1);
	close_accepted(&a);
	evutil_closesocket(c[0]);
	evutil_closesocket(c[1]);
	event_base_free(base);
}

static void test_ipv6(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in6 sin6;
	struct sockaddr_storage ss;
	ev_socklen_t len;
	struct evconnlistener *lev;
	struct acc a;
	evutil_socket_t c;

	memset(&a, 0, sizeof(a));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	lev = evconnlistener_new_bind(base, accept_cb, &a, LEV_OPT_CLOSE_ON_FREE, -1,
	    (struct sockaddr *)&sin6, sizeof(sin6));
	if (!lev) {
		printf("skipping IPv6: cannot bind ::1\n");
		event_base_free(base);
		return;
	}
	listener_addr(lev, &ss, &len);
	CHECK_INT_EQ(ss.ss_family, AF_INET6);
	c = client((struct sockaddr *)&ss, len);
	REQUIRE(c >= 0);
	CHECK(run_until_count(base, &a.calls, 1, 3000));
	CHECK_INT_EQ(a.socklen, sizeof(struct sockaddr_in6));
	CHECK_INT_EQ(a.addr.ss_family, AF_INET6);
	CHECK(memcmp(&((struct sockaddr_in6 *)&a.addr)->sin6_addr, &in6addr_loopback,
	    sizeof(struct in6_addr)) == 0);
	close_accepted(&a);
	evutil_closesocket(c);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void test_unix(void)
{
	struct event_base *base = new_base();
	struct sockaddr_un sun;
	struct evconnlistener *lev;
	struct acc a;
	struct stat st;
	evutil_socket_t c;
	char buf[8];

	memset(&a, 0, sizeof(a));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/evrs-listener-%ld.sock", (long)getpid());
	unlink(sun.sun_path);
	lev = evconnlistener_new_bind(base, accept_cb, &a, LEV_OPT_CLOSE_ON_FREE, -1,
	    (struct sockaddr *)&sun, sizeof(sun));
	REQUIRE(lev != NULL);
	c = client((struct sockaddr *)&sun, sizeof(sun));
	REQUIRE(c >= 0);
	CHECK(run_until_count(base, &a.calls, 1, 3000));
	CHECK_INT_EQ(a.addr.ss_family, AF_UNIX);
	/* An unnamed client: the address is only the family. */
	CHECK_INT_EQ(a.socklen, sizeof(sa_family_t));
	CHECK(is_nonblocking(a.fds[0]));
	CHECK_INT_EQ(write(c, "unix", 4), 4);
	run_for(base, 10);
	CHECK_INT_EQ(read(a.fds[0], buf, sizeof(buf)), 4);
	close_accepted(&a);
	evutil_closesocket(c);
	evconnlistener_free(lev);
	/* Freeing closes the socket but leaves the file for the caller to remove. */
	CHECK_INT_EQ(stat(sun.sun_path, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	unlink(sun.sun_path);
	event_base_free(base);
}

int main(void)
{
	test_new_on_listening_fd();
	test_backlogs();
	test_new_bind_flags();
	test_enable_disable();
	test_null_cb();
	test_free_in_cb();
	test_ipv6();
	test_unix();
	return check_report();
}
