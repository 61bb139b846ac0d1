/* evbuffer_read, evbuffer_write and evbuffer_write_atmost on socketpairs and pipes:
 * whole and partial writes (a full nonblocking socket), howmuch -1, 0 and larger than
 * the data, an empty buffer, writes limited by the number of chunks, reads capped at
 * 4096 bytes, reads into space spread over chunks, EOF (0), nothing to read and bad
 * descriptors (-1, nothing consumed or lost), and evbuffer_set_flags/clear_flags. */
#include <event2/buffer.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static int holds(struct evbuffer *buf, const void *want, size_t len)
{
	char *tmp;
	int ok;

	if (evbuffer_get_length(buf) != len)
		return 0;
	tmp = malloc(len + 1);
	if (!tmp)
		return 0;
	ok = evbuffer_copyout(buf, tmp, len) == (ev_ssize_t)len && memcmp(tmp, want, len) == 0;
	free(tmp);
	return ok;
}

/* Reads everything available on a nonblocking fd into out; returns the count. */
static size_t slurp(int fd, char *out, size_t max)
{
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, out + got, max - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == max)
			break;
	}
	return got;
}

static void pair(int sv[2])
{
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE(evutil_make_socket_nonblocking(sv[0]) == 0);
	REQUIRE(evutil_make_socket_nonblocking(sv[1]) == 0);
}

static void test_write(void)
{
	struct evbuffer *buf = evbuffer_new();
	char out[64];
	int sv[2];

	REQUIRE(buf != NULL);
	pair(sv);
	CHECK_INT_EQ(evbuffer_add(buf, "0123456789", 10), 0);
	CHECK_INT_EQ(evbuffer_write_atmost(buf, sv[0], 4), 4);
	CHECK(holds(buf, "456789", 6));
	CHECK_UINT_EQ(slurp(sv[1], out, sizeof(out)), 4);
	CHECK_MEM_EQ(out, "0123", 4);
	/* More than there is: what there is. */
	CHECK_INT_EQ(evbuffer_write_atmost(buf, sv[0], 100), 6);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_UINT_EQ(slurp(sv[1], out, sizeof(out)), 6);
	CHECK_MEM_EQ(out, "456789", 6);

	/* An empty buffer, or nothing asked for: -1, and nothing is sent. */
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), -1);
	CHECK_INT_EQ(evbuffer_write_atmost(buf, sv[0], -1), -1);
	CHECK_INT_EQ(evbuffer_add(buf, "abc", 3), 0);
	CHECK_INT_EQ(evbuffer_write_atmost(buf, sv[0], 0), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 3);
	CHECK_UINT_EQ(slurp(sv[1], out, sizeof(out)), 0);
	/* -1 means everything. */
	CHECK_INT_EQ(evbuffer_write_atmost(buf, sv[0], -1), 3);
	CHECK_UINT_EQ(slurp(sv[1], out, sizeof(out)), 3);
	CHECK_MEM_EQ(out, "abc", 3);

	/* Across chunks, stopping inside one. */
	{
		static const char *const pieces[] = {"ab", "cde", "f", "ghij"};
		int i;
		for (i = 0; i < 4; i++)
			REQUIRE(evbuffer_add_reference(buf, pieces[i], strlen(pieces[i]), NULL, NULL) == 0);
		CHECK_INT_EQ(evbuffer_write_atmost(buf, sv[0], 4), 4);
		CHECK(holds(buf, "efghij", 6));
		CHECK_INT_EQ(evbuffer_write(buf, sv[0]), 6);
		CHECK_UINT_EQ(slurp(sv[1], out, sizeof(out)), 10);
		CHECK_MEM_EQ(out, "abcdefghij", 10);
	}

	/* A bad descriptor: -1, and the data stays. */
	CHECK_INT_EQ(evbuffer_add(buf, "keep", 4), 0);
	errno = 0;
	CHECK_INT_EQ(evbuffer_write(buf, -1), -1);
	CHECK_INT_EQ(errno, EBADF);
	CHECK_INT_EQ(evbuffer_write_atmost(buf, -1, 2), -1);
	CHECK(holds(buf, "keep", 4));

	/* A peer that has gone away: -1 (EPIPE), the data stays. */
	evutil_closesocket(sv[1]);
	errno = 0;
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), -1);
	CHECK_INT_EQ(errno, EPIPE);
	CHECK(holds(buf, "keep", 4));
	evutil_closesocket(sv[0]);
	evbuffer_free(buf);
}

static void test_many_chunks(void)
{
	static char bytes[300];
	struct evbuffer *buf = evbuffer_new();
	char out[400];
	size_t i, got = 0;
	int sv[2], n, writes = 0;

	REQUIRE(buf != NULL);
	pair(sv);
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (char)i;
	/* 300 chunks of one byte each. */
	{
		int ok = 1;
		for (i = 0; i < sizeof(bytes); i++)
			ok &= evbuffer_add_reference(buf, bytes + i, 1, NULL, NULL) == 0;
		CHECK(ok);
	}
	CHECK_INT_EQ(evbuffer_peek(buf, -1, NULL, NULL, 0), 300);
	/* One write sends at most 128 chunks. */
	n = evbuffer_write(buf, sv[0]);
	CHECK_INT_EQ(n, 128);
	while (evbuffer_get_length(buf) > 0 && writes < 10) {
		n = evbuffer_write(buf, sv[0]);
		if (n <= 0)
			break;
		writes++;
	}
	CHECK_INT_EQ(writes, 2);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	got = slurp(sv[1], out, sizeof(out));
	CHECK_UINT_EQ(got, 300);
	CHECK_MEM_EQ(out, bytes, 300);
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
	evbuffer_free(buf);
}

static void test_partial_writes(void)
{
	static char data[1 << 20];
	static char got[1 << 20];
	struct evbuffer *buf = evbuffer_new();
	size_t received = 0, i;
	int sv[2], small = 4096, n, saw_partial = 0, saw_eagain = 0, rounds = 0;

	REQUIRE(buf != NULL);
	pair(sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 31 + (i >> 12));
	CHECK_INT_EQ(evbuffer_add(buf, data, sizeof(data)), 0);

	/* Write until the socket is full, then let the reader take what arrived. */
	while ((evbuffer_get_length(buf) > 0 || received < sizeof(data)) && rounds < 100000) {
		int stop = 0;
		rounds++;
		while (evbuffer_get_length(buf) > 0 && !stop) {
			size_t before = evbuffer_get_length(buf);
			errno = 0;
			n = evbuffer_write(buf, sv[0]);
			if (n > 0) {
				if ((size_t)n < before)
					saw_partial = 1;
				if (evbuffer_get_length(buf) != before - (size_t)n)
					rounds = 100000;
			} else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				saw_eagain = 1;
				if (evbuffer_get_length(buf) != before)
					rounds = 100000;
				stop = 1;
			} else {
				rounds = 100000;
				stop = 1;
			}
		}
		received += slurp(sv[1], got + received, sizeof(got) - received);
	}
	CHECK(saw_partial);
	CHECK(saw_eagain);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_UINT_EQ(received, sizeof(data));
	CHECK_MEM_EQ(got, data, sizeof(data));
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
	evbuffer_free(buf);
}

static void test_read(void)
{
	static char data[10000];
	static char all[10100];
	struct evbuffer *buf = evbuffer_new();
	size_t i, total;
	int sv[2], n;

	REQUIRE(buf != NULL);
	pair(sv);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)('A' + i % 47);

	/* Nothing there yet. */
	errno = 0;
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), -1);
	CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);

	/* A limited read leaves the rest in the socket. */
	CHECK_INT_EQ(write(sv[0], data, 100), 100);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 10), 10);
	CHECK(holds(buf, data, 10));
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), 90);
	CHECK(holds(buf, data, 100));
	/* Asking for nothing reads nothing and returns 0. */
	CHECK_INT_EQ(write(sv[0], "z", 1), 1);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 0), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 100);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 5), 1);
	CHECK_INT_EQ(evbuffer_drain(buf, 101), 0);

	/* One read takes at most 4096 bytes, whatever is asked for. */
	CHECK_INT_EQ(write(sv[0], data, sizeof(data)), (int)sizeof(data));
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), 4096);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 100000), 4096);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), (int)sizeof(data) - 8192);
	CHECK(holds(buf, data, sizeof(data)));
	CHECK_INT_EQ(evbuffer_drain(buf, sizeof(data)), 0);

	/* Reading after data that partly fills a chunk: the bytes land in order. */
	CHECK_INT_EQ(evbuffer_add(buf, "<", 1), 0);
	CHECK_INT_EQ(write(sv[0], data, sizeof(data)), (int)sizeof(data));
	total = 1;
	while ((n = evbuffer_read(buf, sv[1], -1)) > 0) {
		CHECK(n <= 4096);
		total += (size_t)n;
	}
	CHECK_INT_EQ(n, -1);
	CHECK_UINT_EQ(total, sizeof(data) + 1);
	CHECK_INT_EQ(evbuffer_copyout(buf, all, sizeof(all)), (int)sizeof(data) + 1);
	CHECK(all[0] == '<');
	CHECK_MEM_EQ(all + 1, data, sizeof(data));

	/* The peer closes: what was sent is read, then 0 for end of file. */
	CHECK_INT_EQ(write(sv[0], "bye", 3), 3);
	evutil_closesocket(sv[0]);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), 3);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), 0);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 10), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), sizeof(data) + 4);
	evutil_closesocket(sv[1]);

	/* A bad descriptor. */
	errno = 0;
	CHECK_INT_EQ(evbuffer_read(buf, -1, 10), -1);
	CHECK_INT_EQ(errno, EBADF);
	CHECK_INT_EQ(evbuffer_read(buf, -1, -1), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), sizeof(data) + 4);
	evbuffer_free(buf);
}

static void test_pipe(void)
{
	struct evbuffer *out = evbuffer_new(), *in = evbuffer_new();
	static char data[5000];
	char tmp[8];
	size_t i;
	int p[2], n, total = 0;

	REQUIRE(out && in);
	REQUIRE(pipe(p) == 0);
	REQUIRE(evutil_make_socket_nonblocking(p[0]) == 0);
	REQUIRE(evutil_make_socket_nonblocking(p[1]) == 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i % 199);
	CHECK_INT_EQ(evbuffer_add(out, data, sizeof(data)), 0);
	CHECK_INT_EQ(evbuffer_write_atmost(out, p[1], 1000), 1000);
	CHECK_INT_EQ(evbuffer_write(out, p[1]), 4000);
	CHECK_UINT_EQ(evbuffer_get_length(out), 0);
	while ((n = evbuffer_read(in, p[0], -1)) > 0)
		total += n;
	CHECK_INT_EQ(n, -1);
	CHECK_INT_EQ(total, 5000);
	CHECK(holds(in, data, sizeof(data)));
	/* The writing end closed: end of file. */
	close(p[1]);
	CHECK_INT_EQ(evbuffer_read(in, p[0], -1), 0);
	close(p[0]);

	/* Writing into a pipe nobody reads from any more. */
	REQUIRE(pipe(p) == 0);
	close(p[0]);
	CHECK_INT_EQ(evbuffer_add(out, "lost", 4), 0);
	errno = 0;
	CHECK_INT_EQ(evbuffer_write(out, p[1]), -1);
	CHECK_INT_EQ(errno, EPIPE);
	CHECK_UINT_EQ(evbuffer_get_length(out), 4);
	/* Reading from the writing end of a pipe fails. */
	CHECK_INT_EQ(evbuffer_read(in, p[1], 10), -1);
	close(p[1]);
	CHECK_INT_EQ(evbuffer_remove(out, tmp, 4), 4);
	evbuffer_free(out);
	evbuffer_free(in);
}

static void test_flags(void)
{
	struct evbuffer *buf = evbuffer_new();
	int sv[2];
	char out[8];

	REQUIRE(buf != NULL);
	pair(sv);
	CHECK_INT_EQ(evbuffer_set_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	CHECK_INT_EQ(evbuffer_set_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	/* Memory data is written the same way with the flag. */
	CHECK_INT_EQ(evbuffer_add(buf, "flagged", 7), 0);
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), 7);
	CHECK_UINT_EQ(slurp(sv[1], out, sizeof(out)), 7);
	CHECK_MEM_EQ(out, "flagged", 7);
	CHECK_INT_EQ(evbuffer_clear_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	CHECK_INT_EQ(evbuffer_clear_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	/* Unknown flags are accepted. */
	CHECK_INT_EQ(evbuffer_set_flags(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_clear_flags(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_clear_flags(buf, ~(ev_uint64_t)0), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "x", 1), 0);
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), 1);
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
	evbuffer_free(buf);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_write();
	test_many_chunks();
	test_partial_writes();
	test_read();
	test_pipe();
	test_flags();
	return check_report();
}
