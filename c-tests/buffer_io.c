/* evbuffer_read, evbuffer_write and evbuffer_write_atmost on socketpairs and pipes
 * (partial writes, EOF, errors), file data added with evbuffer_add_file and file
 * segments (offsets, flags, cleanup callbacks, sendfile with
 * EVBUFFER_FLAG_DRAINS_TO_FD), and the buffer flags. */
#include <event2/buffer.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static char data[20000];

static void fill_data(void)
{
	size_t i;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 251);
}

static int temp_file(size_t len)
{
	char name[] = "/tmp/evrs-buffer-io-XXXXXX";
	int fd = mkstemp(name);
	REQUIRE(fd >= 0);
	unlink(name);
	REQUIRE(write(fd, data, len) == (ssize_t)len);
	return fd;
}

/* Reads everything available from fd (nonblocking) into out; returns the count. */
static size_t slurp(int fd, char *out, size_t cap)
{
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, out + got, cap - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static void test_read_write(void)
{
	struct evbuffer *buf = evbuffer_new();
	static char out[sizeof(data)];
	int sv[2];
	int n;

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_nonblocking(sv[1]);

	/* an empty buffer has nothing to write */
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), -1);
	evbuffer_add(buf, data, 5000);
	CHECK_INT_EQ(evbuffer_write_atmost(buf, sv[0], 100), 100);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 4900);
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), 4900);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);

	/* read in steps; howmuch caps each read */
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], 10), 10);
	n = evbuffer_read(buf, sv[1], -1);
	CHECK(n > 0);
	while (evbuffer_get_length(buf) < 5000 && n > 0)
		n = evbuffer_read(buf, sv[1], 4096);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 5000);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, sizeof(out)), 5000);
	CHECK_MEM_EQ(out, data, 5000);
	/* nothing to read: -1 with EAGAIN */
	errno = 0;
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), -1);
	CHECK(errno == EAGAIN || errno == EWOULDBLOCK);

	/* partial writes into a full socket: what was written is gone, the rest stays */
	evbuffer_drain(buf, 5000);
	{
		size_t total = 0, queued, received;
		int i;
		for (i = 0; i < 200; i++)
			evbuffer_add(buf, data, sizeof(data));
		queued = evbuffer_get_length(buf);
		while ((n = evbuffer_write(buf, sv[0])) > 0)
			total += (size_t)n;
		CHECK(n == -1);
		CHECK(total > 0 && total < queued);
		CHECK_UINT_EQ(evbuffer_get_length(buf), queued - total);
		received = 0;
		for (;;) {
			size_t got = slurp(sv[1], out, sizeof(out));
			if (got == 0)
				break;
			received += got;
		}
		CHECK_UINT_EQ(received, total);
	}
	evbuffer_drain(buf, evbuffer_get_length(buf));

	/* EOF reads 0 */
	close(sv[0]);
	CHECK_INT_EQ(evbuffer_read(buf, sv[1], -1), 0);
	close(sv[1]);
	/* a bad descriptor is an error */
	CHECK_INT_EQ(evbuffer_read(buf, -1, 10), -1);
	evbuffer_add(buf, "x", 1);
	CHECK_INT_EQ(evbuffer_write(buf, -1), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 1);
	/* frozen ends */
	evbuffer_freeze(buf, 1);
	{
		int p[2];
		REQUIRE(pipe(p) == 0);
		CHECK_INT_EQ(evbuffer_write(buf, p[1]), -1);
		evbuffer_unfreeze(buf, 1);
		CHECK_INT_EQ(evbuffer_write(buf, p[1]), 1);
		evbuffer_freeze(buf, 0);
		CHECK_INT_EQ(evbuffer_read(buf, p[0], -1), -1);
		evbuffer_unfreeze(buf, 0);
		CHECK_INT_EQ(evbuffer_read(buf, p[0], -1), 1);
		close(p[0]);
		close(p[1]);
	}
	evbuffer_free(buf);
}

struct seg_record {
	int calls;
	int flags;
	const struct evbuffer_file_segment *seg;
};

static void seg_cleanup(const struct evbuffer_file_segment *seg, int flags, void *arg)
{
	struct seg_record *r = arg;
	r->calls++;
	r->flags = flags;
	r->seg = seg;
}

/* Writes the whole buffer through a pipe and checks what comes out. */
static void check_written(struct evbuffer *buf, const char *want, size_t len)
{
	static char out[sizeof(data)];
	int p[2];
	size_t got = 0;

	REQUIRE(pipe(p) == 0);
	evutil_make_socket_nonblocking(p[0]);
	while (evbuffer_get_length(buf) > 0) {
		int n = evbuffer_write(buf, p[1]);
		if (n <= 0)
			break;
		got += slurp(p[0], out + got, sizeof(out) - got);
	}
	got += slurp(p[0], out + got, sizeof(out) - got);
	CHECK_UINT_EQ(got, len);
	CHECK(memcmp(out, want, len) == 0);
	close(p[0]);
	close(p[1]);
}

static void test_files(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_file_segment *seg;
	struct seg_record r = {0, 0, NULL};
	static char out[sizeof(data)];
	unsigned flags[] = {0, EVBUF_FS_DISABLE_MMAP, EVBUF_FS_DISABLE_SENDFILE,
	    EVBUF_FS_DISABLE_MMAP | EVBUF_FS_DISABLE_SENDFILE | EVBUF_FS_DISABLE_LOCKING};
	size_t i;
	int fd;

	/* evbuffer_add_file: a range, and the buffer closes the descriptor */
	fd = temp_file(10000);
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, 100, 5000), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 5000);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, sizeof(out)), 5000);
	CHECK_MEM_EQ(out, data + 100, 5000);
	evbuffer_free(buf);
	errno = 0;
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);

	/* segments with each flag combination, read back and written out */
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		buf = evbuffer_new();
		fd = temp_file(12000);
		seg = evbuffer_file_segment_new(fd, 1000, 8000, flags[i] | EVBUF_FS_CLOSE_ON_FREE);
		REQUIRE(seg != NULL);
		r.calls = 0;
		evbuffer_file_segment_add_cleanup_cb(seg, seg_cleanup, &r);
		CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 0, 10), 0);
		CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 5000, -1), 0);
		CHECK_UINT_EQ(evbuffer_get_length(buf), 3010);
		CHECK_INT_EQ(evbuffer_copyout(buf, out, sizeof(out)), 3010);
		CHECK_MEM_EQ(out, data + 1000, 10);
		CHECK_MEM_EQ(out + 10, data + 6000, 3000);
		/* the program lets go of its handle; the buffer still holds the segment */
		if (i % 2 == 0) {
			evbuffer_file_segment_free(seg);
		} else {
			/* a refused range releases the handle too, as libevent does */
			CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 7000, 2000), -1);
			CHECK_UINT_EQ(evbuffer_get_length(buf), 3010);
		}
		CHECK_INT_EQ(r.calls, 0);
		memcpy(out, data + 1000, 10);
		memcpy(out + 10, data + 6000, 3000);
		check_written(buf, out, 3010);
		CHECK_INT_EQ(r.calls, 1);
		CHECK_INT_EQ(r.flags, (int)(flags[i] | EVBUF_FS_CLOSE_ON_FREE));
		evbuffer_free(buf);
	}

	/* draining to a descriptor lets the file go out with sendfile */
	buf = evbuffer_new();
	CHECK_INT_EQ(evbuffer_set_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	evbuffer_add(buf, "head:", 5);
	fd = temp_file(12000);
	seg = evbuffer_file_segment_new(fd, 0, 12000, EVBUF_FS_CLOSE_ON_FREE);
	REQUIRE(seg != NULL);
	r.calls = 0;
	evbuffer_file_segment_add_cleanup_cb(seg, seg_cleanup, &r);
	CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 20, 9000), 0);
	evbuffer_add(buf, ":tail", 5);
	evbuffer_file_segment_free(seg);
	memcpy(out, "head:", 5);
	memcpy(out + 5, data + 20, 9000);
	memcpy(out + 9005, ":tail", 5);
	check_written(buf, out, 9010);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(evbuffer_clear_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	evbuffer_free(buf);

	/* bad segments */
	CHECK(evbuffer_file_segment_new(-1, 0, -1, 0) == NULL);
	fd = temp_file(100);
	CHECK(evbuffer_file_segment_new(fd, -5, 10, 0) == NULL);
	CHECK(evbuffer_file_segment_new(fd, 0, -7, 0) == NULL);
	/* length -1 means to the end of the file */
	seg = evbuffer_file_segment_new(fd, 0, -1, EVBUF_FS_DISABLE_SENDFILE);
	REQUIRE(seg != NULL);
	buf = evbuffer_new();
	CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 0, -1), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 100);
	evbuffer_free(buf);
	evbuffer_file_segment_free(seg);
	close(fd);
}

int main(void)
{
	fill_data();
	test_read_write();
	test_files();
	return check_report();
}
