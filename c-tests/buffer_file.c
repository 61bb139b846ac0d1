/* File data in evbuffers: evbuffer_add_file (offset and length, the buffer owns and
 * closes the descriptor, even when adding fails late), file segments
 * (evbuffer_file_segment_new/free/add_cleanup_cb, evbuffer_add_file_segment with
 * ranges, one segment in several buffers, every EVBUF_FS_* flag, refused ranges), the
 * cleanup callback running once when the last user lets go, file data that cannot be
 * shared by reference, and file data written to a socket with and without
 * EVBUFFER_FLAG_DRAINS_TO_FD (the sendfile path: memory before it is written
 * separately, a full socket gives 0, a bad descriptor -1). Temporary files are made
 * with mkstemp under /tmp and unlinked at once. */
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

#define FILE_LEN 20000
static char content[FILE_LEN];

/* A new descriptor on a new unlinked temporary file holding `content`. */
static int make_file(void)
{
	char name[] = "/tmp/evrs_buffer_file_XXXXXX";
	int fd = mkstemp(name);
	size_t done = 0;

	REQUIRE(fd >= 0);
	unlink(name);
	while (done < FILE_LEN) {
		ssize_t n = write(fd, content + done, FILE_LEN - done);
		REQUIRE(n > 0);
		done += (size_t)n;
	}
	/* Leave the file position somewhere in the middle: it must not matter. */
	REQUIRE(lseek(fd, 5, SEEK_SET) == 5);
	return fd;
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

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

/* Reads what is available on a nonblocking fd. */
static size_t slurp(int fd, char *out, size_t max)
{
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, out + got, max - got);
		if (n <= 0 || (got += (size_t)n) == max)
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

struct cleanup_log {
	int calls;
	const struct evbuffer_file_segment *seg;
	int flags;
	int fd;
	int fd_open_then;
};

static void note_cleanup(const struct evbuffer_file_segment *seg, int flags, void *arg)
{
	struct cleanup_log *c = arg;
	c->calls++;
	c->seg = seg;
	c->flags = flags;
	c->fd_open_then = is_open(c->fd);
}

static void test_add_file(void)
{
	struct evbuffer *buf = evbuffer_new();
	char out[64];
	int fd;

	REQUIRE(buf != NULL);
	/* The whole file. */
	fd = make_file();
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, 0, -1), 0);
	CHECK(holds(buf, content, FILE_LEN));
	/* The file position was not disturbed. */
	CHECK_INT_EQ(lseek(fd, 0, SEEK_CUR), 5);
	CHECK_INT_EQ(evbuffer_remove(buf, out, 10), 10);
	CHECK_MEM_EQ(out, content, 10);
	/* The descriptor belongs to the buffer: closed once all the data is gone. */
	CHECK(is_open(fd));
	CHECK_INT_EQ(evbuffer_drain(buf, FILE_LEN - 11), 0);
	CHECK(is_open(fd));
	CHECK_INT_EQ(evbuffer_drain(buf, 1), 0);
	CHECK(!is_open(fd));

	/* A range, after other data. */
	fd = make_file();
	CHECK_INT_EQ(evbuffer_add(buf, "[", 1), 0);
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, 1000, 50), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "]", 1), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 52);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, 52), 52);
	CHECK(out[0] == '[' && out[51] == ']');
	CHECK_MEM_EQ(out + 1, content + 1000, 50);
	/* Freeing the buffer closes it too. */
	evbuffer_free(buf);
	CHECK(!is_open(fd));

	/* Refused before the buffer takes it: the descriptor stays the caller's. */
	buf = evbuffer_new();
	REQUIRE(buf != NULL);
	fd = make_file();
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, -1, 10), -1);
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, 0, -5), -1);
	CHECK(is_open(fd));
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	/* Refused by a frozen end: the buffer had taken it and closes it. */
	CHECK_INT_EQ(evbuffer_freeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, 0, 100), -1);
	CHECK(!is_open(fd));
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 0), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	evbuffer_free(buf);
}

static void test_segments(void)
{
	static const unsigned flag_sets[] = {
		0,
		EVBUF_FS_DISABLE_MMAP,
		EVBUF_FS_DISABLE_SENDFILE,
		EVBUF_FS_DISABLE_MMAP | EVBUF_FS_DISABLE_SENDFILE,
		EVBUF_FS_DISABLE_LOCKING,
		EVBUF_FS_DISABLE_MMAP | EVBUF_FS_DISABLE_SENDFILE | EVBUF_FS_DISABLE_LOCKING,
	};
	size_t k;

	for (k = 0; k < sizeof(flag_sets) / sizeof(flag_sets[0]); k++) {
		unsigned flags = flag_sets[k];
		struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
		struct evbuffer_file_segment *seg;
		struct cleanup_log log;
		int fd = make_file();

		REQUIRE(a && b);
		memset(&log, 0, sizeof(log));
		log.fd = fd;
		/* A segment of the file from 100 to 10100. */
		seg = evbuffer_file_segment_new(fd, 100, 10000, flags);
		REQUIRE(seg != NULL);
		evbuffer_file_segment_add_cleanup_cb(seg, note_cleanup, &log);
		/* All of it in one buffer, two ranges of it in another. */
		CHECK_INT_EQ(evbuffer_add_file_segment(a, seg, 0, -1), 0);
		CHECK_INT_EQ(evbuffer_add_file_segment(b, seg, 10, 20), 0);
		CHECK_INT_EQ(evbuffer_add_file_segment(b, seg, 9990, -1), 0);
		CHECK_INT_EQ(evbuffer_add_file_segment(b, seg, 10000, 0), 0);
		CHECK(holds(a, content + 100, 10000));
		{
			char want[30];
			memcpy(want, content + 110, 20);
			memcpy(want + 20, content + 10090, 10);
			CHECK(holds(b, want, 30));
		}
		CHECK_INT_EQ(lseek(fd, 0, SEEK_CUR), 5);
		/* The caller lets go; the buffers still use it. */
		evbuffer_file_segment_free(seg);
		CHECK_INT_EQ(log.calls, 0);
		CHECK_INT_EQ(evbuffer_drain(a, 10000), 0);
		CHECK_INT_EQ(log.calls, 0);
		CHECK_UINT_EQ(evbuffer_get_length(b), 30);
		/* The last user lets go: cleanup, once, with the segment's flags. */
		evbuffer_free(b);
		CHECK_INT_EQ(log.calls, 1);
		CHECK(log.seg == seg);
		CHECK_INT_EQ(log.flags, (int)flags);
		/* Without EVBUF_FS_CLOSE_ON_FREE the descriptor stays open. */
		CHECK(is_open(fd));
		CHECK(log.fd_open_then);
		evbuffer_free(a);
		CHECK_INT_EQ(log.calls, 1);
		close(fd);
	}
}

static void test_segment_lifetime(void)
{
	struct evbuffer_file_segment *seg;
	struct cleanup_log first, second;
	struct evbuffer *buf = evbuffer_new(), *other = evbuffer_new();
	int fd;

	REQUIRE(buf && other);
	/* Never added: cleanup at once when freed, and the descriptor closed first. */
	memset(&first, 0, sizeof(first));
	fd = make_file();
	first.fd = fd;
	seg = evbuffer_file_segment_new(fd, 0, -1, EVBUF_FS_CLOSE_ON_FREE);
	REQUIRE(seg != NULL);
	evbuffer_file_segment_add_cleanup_cb(seg, note_cleanup, &first);
	evbuffer_file_segment_free(seg);
	CHECK_INT_EQ(first.calls, 1);
	CHECK_INT_EQ(first.flags, EVBUF_FS_CLOSE_ON_FREE);
	CHECK(!first.fd_open_then);
	CHECK(!is_open(fd));

	/* A second cleanup callback replaces the first. */
	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	fd = make_file();
	first.fd = second.fd = fd;
	seg = evbuffer_file_segment_new(fd, 0, 100, EVBUF_FS_CLOSE_ON_FREE | EVBUF_FS_DISABLE_MMAP);
	REQUIRE(seg != NULL);
	evbuffer_file_segment_add_cleanup_cb(seg, note_cleanup, &first);
	evbuffer_file_segment_add_cleanup_cb(seg, note_cleanup, &second);
	CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 0, 100), 0);
	evbuffer_file_segment_free(seg);
	/* Moved to another buffer and drained there. */
	CHECK_INT_EQ(evbuffer_add_buffer(other, buf), 0);
	CHECK(holds(other, content, 100));
	CHECK(is_open(fd));
	CHECK_INT_EQ(evbuffer_drain(other, 100), 0);
	CHECK_INT_EQ(first.calls, 0);
	CHECK_INT_EQ(second.calls, 1);
	CHECK(!is_open(fd));

	/* Ranges outside the segment are refused. Adding drops the caller's
	 * reference when it fails, so the one held by `buf` is now the last. */
	memset(&first, 0, sizeof(first));
	fd = make_file();
	first.fd = fd;
	seg = evbuffer_file_segment_new(fd, 0, 1000, EVBUF_FS_CLOSE_ON_FREE);
	REQUIRE(seg != NULL);
	evbuffer_file_segment_add_cleanup_cb(seg, note_cleanup, &first);
	CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 0, 10), 0);
	CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 1001, -1), -1);
	CHECK_INT_EQ(first.calls, 0);
	CHECK(holds(buf, content, 10));
	evbuffer_free(buf);
	CHECK_INT_EQ(first.calls, 1);
	CHECK(!is_open(fd));

	/* The same for a range too long, and for a frozen end. */
	{
		int frozen;
		for (frozen = 0; frozen < 2; frozen++) {
			buf = evbuffer_new();
			REQUIRE(buf != NULL);
			memset(&first, 0, sizeof(first));
			fd = make_file();
			first.fd = fd;
			seg = evbuffer_file_segment_new(fd, 0, 1000, 0);
			REQUIRE(seg != NULL);
			evbuffer_file_segment_add_cleanup_cb(seg, note_cleanup, &first);
			CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 0, 10), 0);
			CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 990, 10), 0);
			if (frozen) {
				CHECK_INT_EQ(evbuffer_freeze(buf, 0), 0);
				CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 0, 10), -1);
				CHECK_INT_EQ(evbuffer_unfreeze(buf, 0), 0);
			} else {
				CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 500, 501), -1);
			}
			CHECK_INT_EQ(first.calls, 0);
			CHECK_UINT_EQ(evbuffer_get_length(buf), 20);
			CHECK_INT_EQ(evbuffer_drain(buf, 10), 0);
			CHECK_INT_EQ(first.calls, 0);
			evbuffer_free(buf);
			CHECK_INT_EQ(first.calls, 1);
			CHECK(is_open(fd));
			close(fd);
		}
	}

	/* Segments that cannot be made. */
	fd = make_file();
	CHECK(evbuffer_file_segment_new(fd, -1, 10, 0) == NULL);
	CHECK(evbuffer_file_segment_new(fd, 0, -2, 0) == NULL);
	CHECK(evbuffer_file_segment_new(-1, 0, -1, 0) == NULL);
	CHECK(evbuffer_file_segment_new(-1, 0, 10, EVBUF_FS_DISABLE_MMAP | EVBUF_FS_DISABLE_SENDFILE) == NULL);
	CHECK(evbuffer_file_segment_new(fd, 0, FILE_LEN + 10, EVBUF_FS_DISABLE_MMAP | EVBUF_FS_DISABLE_SENDFILE) == NULL);
	CHECK(is_open(fd));
	close(fd);

	/* File data cannot be shared by reference. */
	buf = evbuffer_new();
	REQUIRE(buf != NULL);
	fd = make_file();
	CHECK_INT_EQ(evbuffer_add(buf, "mem", 3), 0);
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, 0, 10), 0);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(other, buf), -1);
	CHECK_UINT_EQ(evbuffer_get_length(other), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 13);
	evbuffer_free(buf);
	CHECK(!is_open(fd));
	evbuffer_free(other);
}

static void test_write_out(int drains_to_fd)
{
	static char got[FILE_LEN + 100];
	struct evbuffer *buf = evbuffer_new(), *moved = evbuffer_new();
	size_t received = 0;
	int sv[2], fd = make_file(), n, rounds = 0;

	REQUIRE(buf && moved);
	pair(sv);
	if (drains_to_fd)
		CHECK_INT_EQ(evbuffer_set_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "HDR", 3), 0);
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, 500, 15000), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "TRL", 3), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 15006);
	/* Skip into the file data a little. */
	CHECK_INT_EQ(evbuffer_drain(buf, 5), 0);
	while (evbuffer_get_length(buf) > 0 && rounds++ < 1000) {
		n = evbuffer_write(buf, sv[0]);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		received += slurp(sv[1], got + received, sizeof(got) - received);
	}
	received += slurp(sv[1], got + received, sizeof(got) - received);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_UINT_EQ(received, 15001);
	CHECK_MEM_EQ(got, content + 502, 14998);
	CHECK_MEM_EQ(got + 14998, "TRL", 3);
	CHECK(!is_open(fd));

	/* File data moved to another buffer is written from there. */
	fd = make_file();
	if (drains_to_fd)
		CHECK_INT_EQ(evbuffer_set_flags(moved, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, 0, 3000), 0);
	CHECK_INT_EQ(evbuffer_remove_buffer(buf, moved, 3000), 3000);
	received = 0;
	rounds = 0;
	while (evbuffer_get_length(moved) > 0 && rounds++ < 1000) {
		if (evbuffer_write(moved, sv[0]) < 0 && errno != EAGAIN)
			break;
		received += slurp(sv[1], got + received, sizeof(got) - received);
	}
	CHECK_UINT_EQ(received, 3000);
	CHECK_MEM_EQ(got, content, 3000);
	CHECK(!is_open(fd));
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
	evbuffer_free(buf);
	evbuffer_free(moved);
}

static void test_sendfile_details(void)
{
	static char got[FILE_LEN];
	struct evbuffer *buf = evbuffer_new();
	char junk[4096];
	int sv[2], fd;
	size_t filled = 0;

	REQUIRE(buf != NULL);
	pair(sv);
	CHECK_INT_EQ(evbuffer_set_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD), 0);

	/* Memory in front of file data goes out by itself first. */
	fd = make_file();
	CHECK_INT_EQ(evbuffer_add(buf, "head", 4), 0);
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, 0, 100), 0);
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), 4);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 100);
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), 100);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_UINT_EQ(slurp(sv[1], got, sizeof(got)), 104);
	CHECK_MEM_EQ(got, "head", 4);
	CHECK_MEM_EQ(got + 4, content, 100);
	CHECK(!is_open(fd));

	/* A full socket: the sendfile path reports 0, not -1, and keeps the data. */
	fd = make_file();
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, 0, 1000), 0);
	memset(junk, 'j', sizeof(junk));
	for (;;) {
		ssize_t n = write(sv[0], junk, sizeof(junk));
		if (n <= 0)
			break;
		filled += (size_t)n;
	}
	CHECK(filled > 0);
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 1000);
	/* A bad descriptor: -1, data kept. */
	CHECK_INT_EQ(evbuffer_write(buf, -1), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 1000);
	CHECK(is_open(fd));
	evbuffer_free(buf);
	CHECK(!is_open(fd));
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);

	/* A segment that may not use sendfile is written like memory. */
	buf = evbuffer_new();
	REQUIRE(buf != NULL);
	pair(sv);
	CHECK_INT_EQ(evbuffer_set_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	fd = make_file();
	{
		struct evbuffer_file_segment *seg =
		    evbuffer_file_segment_new(fd, 0, 50, EVBUF_FS_DISABLE_SENDFILE | EVBUF_FS_CLOSE_ON_FREE);
		REQUIRE(seg != NULL);
		CHECK_INT_EQ(evbuffer_add(buf, "<", 1), 0);
		CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 0, -1), 0);
		evbuffer_file_segment_free(seg);
	}
	/* Readable, unlike sendfile data. */
	CHECK_UINT_EQ(evbuffer_get_length(buf), 51);
	{
		char peek[51];
		CHECK_INT_EQ(evbuffer_copyout(buf, peek, 51), 51);
		CHECK_MEM_EQ(peek + 1, content, 50);
	}
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), 51);
	CHECK_UINT_EQ(slurp(sv[1], got, sizeof(got)), 51);
	CHECK(got[0] == '<');
	CHECK_MEM_EQ(got + 1, content, 50);
	CHECK(!is_open(fd));
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
	evbuffer_free(buf);
}

/* libevent 2.1 and 2.2.1 on Linux: when the first chunk is file data sent with
 * sendfile, evbuffer_write_atmost sends that whole chunk whatever howmuch says. */

int main(void)
{
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < FILE_LEN; i++)
		content[i] = (char)('a' + (i * 7 + i / 26) % 26);
	test_add_file();
	test_segments();
	test_segment_lifetime();
	test_write_out(0);
	test_write_out(1);
	test_sendfile_details();
	return check_report();
}
