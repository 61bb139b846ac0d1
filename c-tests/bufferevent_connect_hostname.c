/* bufferevent_socket_connect_hostname without an evdns_base (the lookup uses the system
 * resolver): numeric addresses and "localhost" connect, bufferevent_socket_get_dns_error
 * stays 0; a name that cannot resolve gives BEV_EVENT_ERROR and an EVUTIL_EAI_* code
 * (which evutil_gai_strerror can describe); bad families and ports are refused. */
// test: per-backend
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

struct state {
	int connected;
	int errors;
	int others;
	short last_what;
};

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->last_what = what;
	if (what & BEV_EVENT_CONNECTED)
		s->connected++;
	else if (what & BEV_EVENT_ERROR)
		s->errors++;
	else
		s->others++;
}

/* A listening loopback socket of the family; returns its port, or -1. */
static evutil_socket_t listener(int family, int *port)
{
	struct sockaddr_storage ss;
	ev_socklen_t len;
	evutil_socket_t fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	if (family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static void connect_by_name(int lfamily, int family, const char *name)
{
	struct event_base *base = new_base();
	struct bufferevent *bev;
	struct state s;
	int port = 0;
	evutil_socket_t lfd = listener(lfamily, &port), server;
	char buf[8];

	if (lfd < 0) {
		printf("skipping %s: no listener for family %d\n", name, lfamily);
		event_base_free(base);
		return;
	}
	memset(&s, 0, sizeof(s));
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	CHECK_INT_EQ(bufferevent_socket_get_dns_error(bev), 0);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &s);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, NULL, family, name, port), 0);
	CHECK(run_until(base, &s.connected, 5000));
	CHECK_INT_EQ(s.last_what, BEV_EVENT_CONNECTED);
	CHECK_INT_EQ(s.errors, 0);
	CHECK_INT_EQ(bufferevent_socket_get_dns_error(bev), 0);
	CHECK(bufferevent_getfd(bev) >= 0);

	/* It is an ordinary connection now. */
	server = accept(lfd, NULL, NULL);
	REQUIRE(server >= 0);
	CHECK_INT_EQ(bufferevent_write(bev, "hi", 2), 0);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK_INT_EQ(read(server, buf, sizeof(buf)), 2);

	bufferevent_free(bev);
	evutil_closesocket(server);
	evutil_closesocket(lfd);
	event_base_free(base);
}

static void test_unresolvable(void)
{
	struct event_base *base = new_base();
	struct bufferevent *bev;
	struct state s;
	int err, port = 0;
	const char *msg;
	evutil_socket_t lfd;

	memset(&s, 0, sizeof(s));
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &s);
	/* The call itself succeeds; the failure goes to the event callback. */
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, NULL, AF_UNSPEC,
	    "nonexistent.invalid", 80), 0);
	CHECK(run_until(base, &s.errors, 5000));
	CHECK_INT_EQ(s.errors, 1);
	CHECK_INT_EQ(s.last_what, BEV_EVENT_ERROR);
	CHECK_INT_EQ(s.connected, 0);
	err = bufferevent_socket_get_dns_error(bev);
	CHECK(err != 0);
	CHECK(err != EVUTIL_EAI_CANCEL);
	msg = evutil_gai_strerror(err);
	CHECK(msg != NULL && msg[0] != '\0');
	/* No socket was created for a name that did not resolve. */
	CHECK_INT_EQ(bufferevent_getfd(bev), -1);

	/* The same bufferevent can try again; a lookup that works resets the error. */
	lfd = listener(AF_INET, &port);
	REQUIRE(lfd >= 0);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, NULL, AF_INET, "127.0.0.1",
	    port), 0);
	CHECK_INT_EQ(bufferevent_socket_get_dns_error(bev), 0);
	CHECK(run_until(base, &s.connected, 5000));
	CHECK_INT_EQ(s.errors, 1);

	bufferevent_free(bev);
	evutil_closesocket(lfd);
	event_base_free(base);
}

static void test_bad_arguments(void)
{
	struct event_base *base = new_base();
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
	struct state s;

	REQUIRE(bev != NULL);
	memset(&s, 0, sizeof(s));
	bufferevent_setcb(bev, NULL, NULL, event_cb, &s);
	/* Only AF_INET, AF_INET6 and AF_UNSPEC, and ports 1 to 65535. */
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, NULL, AF_UNIX, "127.0.0.1", 80),
	    -1);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, NULL, AF_INET, "127.0.0.1", 0),
	    -1);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, NULL, AF_INET, "127.0.0.1", -5),
	    -1);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, NULL, AF_INET, "127.0.0.1",
	    65536), -1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s.errors + s.connected + s.others, 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), -1);
	bufferevent_free(bev);
	event_base_free(base);
}

int main(void)
{
	CHECK_STR_EQ(evutil_gai_strerror(0), "No error");
	CHECK(evutil_gai_strerror(EVUTIL_EAI_NONAME) != NULL);
	connect_by_name(AF_INET, AF_INET, "127.0.0.1");
	connect_by_name(AF_INET, AF_INET, "localhost");
	connect_by_name(AF_INET, AF_UNSPEC, "127.0.0.1");
	connect_by_name(AF_INET6, AF_INET6, "::1");
	connect_by_name(AF_INET6, AF_UNSPEC, "::1");
	test_unresolvable();
	test_bad_arguments();
	return check_report();
}
