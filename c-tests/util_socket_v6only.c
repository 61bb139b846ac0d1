/* evutil_make_listen_socket_not_ipv6only, new in 2.2: IPV6_V6ONLY back off, so one
 * IPv6 listener also takes IPv4-mapped connections. */
// test: requires 2.2
#include <event2/util.h>

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static int v6only(int fd)
{
	int value = -1;
	socklen_t len = sizeof(value);
	if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &value, &len) < 0)
		return -1;
	return value;
}

int main(void)
{
	evutil_socket_t tcp6 = socket(AF_INET6, SOCK_STREAM, 0);
	evutil_socket_t tcp = socket(AF_INET, SOCK_STREAM, 0);
	evutil_socket_t pair[2];

	if (tcp6 >= 0) {
		CHECK_INT_EQ(evutil_make_listen_socket_ipv6only(tcp6), 0);
		CHECK_INT_EQ(v6only(tcp6), 1);
		CHECK_INT_EQ(evutil_make_listen_socket_not_ipv6only(tcp6), 0);
		CHECK_INT_EQ(v6only(tcp6), 0);
		CHECK_INT_EQ(evutil_make_listen_socket_not_ipv6only(tcp6), 0);
		CHECK_INT_EQ(v6only(tcp6), 0);
		CHECK_INT_EQ(evutil_closesocket(tcp6), 0);
	} else {
		printf("no IPv6 sockets here; IPv6 checks skipped\n");
	}

	/* Not an IPv6 socket, not a socket, not a descriptor. */
	REQUIRE(tcp >= 0);
	CHECK_INT_EQ(evutil_make_listen_socket_not_ipv6only(tcp), -1);
	evutil_closesocket(tcp);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	CHECK_INT_EQ(evutil_make_listen_socket_not_ipv6only(pair[0]), -1);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	errno = 0;
	CHECK_INT_EQ(evutil_make_listen_socket_not_ipv6only(-1), -1);
	CHECK_INT_EQ(errno, EBADF);
	return check_report();
}
