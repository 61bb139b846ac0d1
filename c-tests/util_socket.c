/* Socket helpers: evutil_socketpair, the descriptor flags (non-blocking,
 * close-on-exec, with a logged warning on failure), the listener options and
 * evutil_closesocket, on good, unsuitable and invalid descriptors. */
#include <event2/event.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static int warnings;
static char last_warning[256];

static void log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN) {
		warnings++;
		snprintf(last_warning, sizeof(last_warning), "%s", msg);
	}
}

static int int_option(int fd, int level, int name)
{
	int value = -1;
	socklen_t len = sizeof(value);
	if (getsockopt(fd, level, name, &value, &len) < 0)
		return -1;
	return value;
}

static void test_socketpair(void)
{
	evutil_socket_t pair[2] = { -1, -1 };
	char buf[8];

	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	CHECK(pair[0] >= 0 && pair[1] >= 0 && pair[0] != pair[1]);
	CHECK_INT_EQ(write(pair[0], "ping", 4), 4);
	CHECK_INT_EQ(read(pair[1], buf, sizeof(buf)), 4);
	CHECK_MEM_EQ(buf, "ping", 4);
	CHECK_INT_EQ(write(pair[1], "pong", 4), 4);
	CHECK_INT_EQ(read(pair[0], buf, sizeof(buf)), 4);
	CHECK_INT_EQ(evutil_closesocket(pair[0]), 0);
	CHECK_INT_EQ(evutil_closesocket(pair[1]), 0);

	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_DGRAM, 0, pair), 0);
	CHECK_INT_EQ(evutil_closesocket(pair[0]), 0);
	CHECK_INT_EQ(evutil_closesocket(pair[1]), 0);

	/* On Unix this is socketpair(2): no pairs of IPv4 sockets, no unknown family. */
	errno = 0;
	CHECK_INT_EQ(evutil_socketpair(AF_INET, SOCK_STREAM, 0, pair), -1);
	CHECK(errno != 0);
	CHECK_INT_EQ(evutil_socketpair(12345, SOCK_STREAM, 0, pair), -1);
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, 12345, 0, pair), -1);
}

static void test_descriptor_flags(void)
{
	evutil_socket_t pair[2];
	char byte;

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	CHECK_INT_EQ(fcntl(pair[0], F_GETFL) & O_NONBLOCK, 0);
	CHECK_INT_EQ(evutil_make_socket_nonblocking(pair[0]), 0);
	CHECK(fcntl(pair[0], F_GETFL) & O_NONBLOCK);
	/* Again: already set is fine. */
	CHECK_INT_EQ(evutil_make_socket_nonblocking(pair[0]), 0);
	errno = 0;
	CHECK_INT_EQ(read(pair[0], &byte, 1), -1);
	CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
	/* Other status flags are kept. */
	CHECK_INT_EQ(fcntl(pair[1], F_SETFL, O_APPEND), 0);
	CHECK_INT_EQ(evutil_make_socket_nonblocking(pair[1]), 0);
	CHECK(fcntl(pair[1], F_GETFL) & O_NONBLOCK);

	CHECK_INT_EQ(fcntl(pair[0], F_GETFD) & FD_CLOEXEC, 0);
	CHECK_INT_EQ(evutil_make_socket_closeonexec(pair[0]), 0);
	CHECK(fcntl(pair[0], F_GETFD) & FD_CLOEXEC);
	CHECK_INT_EQ(evutil_make_socket_closeonexec(pair[0]), 0);
	CHECK(fcntl(pair[0], F_GETFD) & FD_CLOEXEC);
	CHECK_INT_EQ(warnings, 0);

	/* They work on any descriptor, not only sockets. */
	int pipes[2];
	REQUIRE(pipe(pipes) == 0);
	CHECK_INT_EQ(evutil_make_socket_nonblocking(pipes[0]), 0);
	CHECK_INT_EQ(evutil_make_socket_closeonexec(pipes[1]), 0);
	close(pipes[0]);
	close(pipes[1]);

	CHECK_INT_EQ(evutil_closesocket(pair[0]), 0);
	CHECK_INT_EQ(evutil_closesocket(pair[1]), 0);
	/* Closed for real. */
	errno = 0;
	CHECK_INT_EQ(fcntl(pair[0], F_GETFD), -1);
	CHECK_INT_EQ(errno, EBADF);
}

static void test_invalid_descriptors(void)
{
	char want[256];

	/* The descriptor-flag helpers warn, naming the failed fcntl step. */
	warnings = 0;
	errno = 0;
	CHECK_INT_EQ(evutil_make_socket_nonblocking(-1), -1);
	CHECK_INT_EQ(errno, EBADF);
	CHECK_INT_EQ(warnings, 1);
	snprintf(want, sizeof(want), "fcntl(-1, F_GETFL): %s", strerror(EBADF));
	CHECK_STR_EQ(last_warning, want);

	warnings = 0;
	errno = 0;
	CHECK_INT_EQ(evutil_make_socket_closeonexec(-1), -1);
	CHECK_INT_EQ(errno, EBADF);
	CHECK_INT_EQ(warnings, 1);
	snprintf(want, sizeof(want), "fcntl(-1, F_GETFD): %s", strerror(EBADF));
	CHECK_STR_EQ(last_warning, want);

	/* The socket options fail quietly with the system's error. */
	warnings = 0;
	errno = 0;
	CHECK_INT_EQ(evutil_make_listen_socket_reuseable(-1), -1);
	CHECK_INT_EQ(errno, EBADF);
	CHECK_INT_EQ(evutil_make_listen_socket_reuseable_port(-1), -1);
	CHECK_INT_EQ(evutil_make_listen_socket_ipv6only(-1), -1);
	CHECK_INT_EQ(evutil_make_tcp_listen_socket_deferred(-1), -1);
	CHECK_INT_EQ(warnings, 0);

	errno = 0;
	CHECK_INT_EQ(evutil_closesocket(-1), -1);
	CHECK_INT_EQ(errno, EBADF);
	CHECK_INT_EQ(evutil_closesocket(12345), -1);

	/* A descriptor that is not a socket. */
	int pipes[2];
	REQUIRE(pipe(pipes) == 0);
	errno = 0;
	CHECK_INT_EQ(evutil_make_listen_socket_reuseable(pipes[0]), -1);
	CHECK_INT_EQ(errno, ENOTSOCK);
	close(pipes[0]);
	close(pipes[1]);
}

static void test_listener_options(void)
{
	evutil_socket_t tcp = socket(AF_INET, SOCK_STREAM, 0);
	evutil_socket_t tcp6 = socket(AF_INET6, SOCK_STREAM, 0);
	evutil_socket_t pair[2];

	REQUIRE(tcp >= 0);
	CHECK_INT_EQ(int_option(tcp, SOL_SOCKET, SO_REUSEADDR), 0);
	CHECK_INT_EQ(evutil_make_listen_socket_reuseable(tcp), 0);
	CHECK(int_option(tcp, SOL_SOCKET, SO_REUSEADDR) != 0);
	CHECK_INT_EQ(evutil_make_listen_socket_reuseable_port(tcp), 0);
	CHECK(int_option(tcp, SOL_SOCKET, SO_REUSEPORT) != 0);
	CHECK_INT_EQ(evutil_make_tcp_listen_socket_deferred(tcp), 0);
	CHECK(int_option(tcp, IPPROTO_TCP, TCP_DEFER_ACCEPT) > 0);
	/* IPV6_V6ONLY means nothing to an IPv4 socket. */
	CHECK_INT_EQ(evutil_make_listen_socket_ipv6only(tcp), -1);
	CHECK_INT_EQ(evutil_closesocket(tcp), 0);

	if (tcp6 >= 0) {
		CHECK_INT_EQ(evutil_make_listen_socket_ipv6only(tcp6), 0);
		CHECK_INT_EQ(int_option(tcp6, IPPROTO_IPV6, IPV6_V6ONLY), 1);
		CHECK_INT_EQ(evutil_make_listen_socket_reuseable(tcp6), 0);
		CHECK_INT_EQ(evutil_closesocket(tcp6), 0);
	} else {
		printf("no IPv6 sockets here; IPv6 checks skipped\n");
	}

	/* TCP and IPv6 options on a Unix socket fail; the generic ones do not. */
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	CHECK_INT_EQ(evutil_make_listen_socket_reuseable(pair[0]), 0);
	CHECK_INT_EQ(evutil_make_tcp_listen_socket_deferred(pair[0]), -1);
	CHECK_INT_EQ(evutil_make_listen_socket_ipv6only(pair[0]), -1);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
}

int main(void)
{
	event_set_log_callback(log_cb);
	test_socketpair();
	test_descriptor_flags();
	test_invalid_descriptors();
	test_listener_options();
	return check_report();
}
