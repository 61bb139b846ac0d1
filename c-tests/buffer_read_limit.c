/* The per-buffer read limit of libevent 2.2 (evbuffer_set_max_read and
 * evbuffer_get_max_read): 4096 by default, any value up to INT_MAX accepted, larger
 * ones refused without changing it, each buffer with its own limit, evbuffer_read
 * taking at most the limit (and at most what is asked for), a limit of 0 making
 * every read return 0 without consuming anything, and other ways of adding data not
 * limited at all. */
// test: requires 2.2
#include <event2/buffer.h>
#include <event2/util.h>

#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	static char data[60000];
	struct evbuffer *buf = evbuffer_new(), *other = evbuffer_new();
	int sv[2];
	size_t i;

	REQUIRE(buf && other);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i % 241);

	/* Defaults and bounds. */
	CHECK_UINT_EQ(evbuffer_get_max_read(buf), 4096);
	CHECK_INT_EQ(evbuffer_set_max_read(buf, (size_t)INT_MAX + 1), -1);
	CHECK_INT_EQ(evbuffer_set_max_read(buf, SIZE_MAX), -1);
	CHECK_UINT_EQ(evbuffer_get_max_read(buf), 4096);
	CHECK_INT_EQ(evbuffer_set_max_read(buf, INT_MAX), 0);
	CHECK_UINT_EQ(evbuffer_get_max_read(buf), INT_MAX);
	CHECK_INT_EQ(evbuffer_set_max_read(buf, 0), 0);
	CHECK_UINT_EQ(evbuffer_get_max_read(buf), 0);
	CHECK_INT_EQ(evbuffer_set_max_read(buf, 1), 0);
	CHECK_UINT_EQ(evbuffer_get_max_read(buf), 1);
	/* Each buffer has its own. */
	CHECK_UINT_EQ(evbuffer_get_max_read(other), 4096);
	/* Freezing does not stop the setting from changing. */
	CHECK_INT_EQ(evbuffer_freeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_set_max_read(buf, 3), 0);
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 0), 0);
	CHECK_UINT_EQ(evbuffer_get_max_read(buf), 3);

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE(evutil_make_socket_nonblocking(sv[1]) == 0);
	REQUIRE(write(sv[0], data, sizeof(data)) == (ssize_t)sizeof(data));

	/* A tiny limit. */
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), 3);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 100), 3);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 2), 2);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 8);
	/* A limit of 0: every read returns 0 and takes nothing. */
	CHECK_INT_EQ(evbuffer_set_max_read(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), 0);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 10), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 8);
	/* A big limit: one read can take far more than 4096 bytes. */
	CHECK_INT_EQ(evbuffer_set_max_read(buf, 20000), 0);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), 20000);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 5000), 5000);
	/* The other buffer still reads 4096 at a time. */
	CHECK_INT_EQ(evbuffer_read(other, sv[1], -1), 4096);
	/* A limit above what is waiting: what is waiting. */
	CHECK_INT_EQ(evbuffer_set_max_read(buf, INT_MAX), 0);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), (int)sizeof(data) - 25008 - 4096);
	CHECK_UINT_EQ(evbuffer_get_length(buf), sizeof(data) - 4096);
	{
		/* The bytes arrived in order, split between the two buffers. */
		static char got[60000];
		CHECK_INT_EQ(evbuffer_remove(buf, got, 25008), 25008);
		CHECK_MEM_EQ(got, data, 25008);
		CHECK_INT_EQ(evbuffer_remove(other, got, 4096), 4096);
		CHECK_MEM_EQ(got, data + 25008, 4096);
		CHECK_INT_EQ(evbuffer_remove(buf, got, sizeof(got)), (int)sizeof(data) - 25008 - 4096);
		CHECK_MEM_EQ(got, data + 25008 + 4096, sizeof(data) - 25008 - 4096);
	}

	/* The limit is only about reading from descriptors. */
	CHECK_INT_EQ(evbuffer_set_max_read(buf, 1), 0);
	CHECK_INT_EQ(evbuffer_add(buf, data, 10000), 0);
	CHECK_INT_EQ(evbuffer_add_buffer(other, buf), 0);
	CHECK_UINT_EQ(evbuffer_get_length(other), 10000);
	CHECK_UINT_EQ(evbuffer_get_max_read(buf), 1);
	close(sv[0]);
	/* End of file is still 0. */
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), 0);
	close(sv[1]);
	evbuffer_free(buf);
	evbuffer_free(other);
	return check_report();
}
