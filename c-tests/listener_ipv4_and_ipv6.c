/* LEV_OPT_BIND_IPV4_AND_IPV6, new in libevent 2.2: an IPv6 listening socket made by
 * evconnlistener_new_bind gets IPV6_V6ONLY switched off whatever the system default is,
 * so it can bind the IPv4-mapped loopback address ::ffff:127.0.0.1 and accept an IPv4
 * client there; with LEV_OPT_BIND_IPV6ONLY that bind fails. */
// test: requires 2.2
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	(void)lev;
	(void)sa;
	(void)socklen;
	(*(int *)arg)++;
	evutil_closesocket(fd);
}

static struct sockaddr_in6 mapped_loopback(void)
{
	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	/* ::ffff:127.0.0.1 */
	sin6.sin6_addr.s6_addr[10] = 0xff;
	sin6.sin6_addr.s6_addr[11] = 0xff;
	sin6.sin6_addr.s6_addr[12] = 127;
	sin6.sin6_addr.s6_addr[15] = 1;
	return sin6;
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct sockaddr_in6 sin6 = mapped_loopback();
	struct sockaddr_in sin;
	ev_socklen_t len = sizeof(sin6);
	struct evconnlistener *lev;
	struct timeval slice = {0, 10000};
	evutil_socket_t c;
	int accepted = 0;

	REQUIRE(base != NULL);
	/* An IPv6 socket that takes IPv4 too can bind the IPv4-mapped loopback address, and
	 * an IPv4 client reaches it. */
	lev = evconnlistener_new_bind(base, accept_cb, &accepted,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_BIND_IPV4_AND_IPV6, -1, (struct sockaddr *)&sin6,
	    sizeof(sin6));
	if (!lev) {
		printf("skipping: no IPv6 sockets\n");
		CHECK(1);
		event_base_free(base);
		return check_report();
	}
	REQUIRE(getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin6, &len) == 0);
	CHECK_INT_EQ(sin6.sin6_family, AF_INET6);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = sin6.sin6_port;
	c = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(c >= 0);
	CHECK_INT_EQ(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	for (int i = 0; i < 300 && !accepted; i++) {
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	CHECK_INT_EQ(accepted, 1);
	evutil_closesocket(c);
	evconnlistener_free(lev);

	/* With LEV_OPT_BIND_IPV6ONLY the same address cannot be bound. */
	sin6 = mapped_loopback();
	lev = evconnlistener_new_bind(base, accept_cb, &accepted,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_BIND_IPV6ONLY, -1, (struct sockaddr *)&sin6,
	    sizeof(sin6));
	CHECK(lev == NULL);
	if (lev)
		evconnlistener_free(lev);
	event_base_free(base);
	return check_report();
}
