/* The per-read limit of libevent 2.2: its default, its bounds, and that
 * evbuffer_read honours it. */
// test: requires 2.2
#include <event2/buffer.h>
#include <event2/util.h>

#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	struct evbuffer *buf = evbuffer_new();
	static char data[100000];
	int sv[2];

	CHECK_UINT_EQ(evbuffer_get_max_read(buf), 4096);
	CHECK_INT_EQ(evbuffer_set_max_read(buf, (size_t)INT_MAX + 1), -1);
	CHECK_UINT_EQ(evbuffer_get_max_read(buf), 4096);
	CHECK_INT_EQ(evbuffer_set_max_read(buf, INT_MAX), 0);
	CHECK_UINT_EQ(evbuffer_get_max_read(buf), INT_MAX);

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	evutil_make_socket_nonblocking(sv[1]);
	memset(data, 'r', sizeof(data));
	REQUIRE(write(sv[0], data, 50000) == 50000);

	/* the default limit caps a read at 4096 bytes */
	CHECK_INT_EQ(evbuffer_set_max_read(buf, 4096), 0);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), 4096);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 100000), 4096);
	/* a higher limit lets one read take more */
	CHECK_INT_EQ(evbuffer_set_max_read(buf, 16384), 0);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), 16384);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 1000), 1000);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 4096 * 2 + 16384 + 1000);
	close(sv[0]);
	close(sv[1]);
	evbuffer_free(buf);
	return check_report();
}
