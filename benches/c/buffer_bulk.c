/*
 * buffer_bulk: bulk transfer through evbuffers over a nonblocking AF_UNIX socketpair,
 * driven by one event loop.
 *
 * The writer keeps an output evbuffer topped up (evbuffer_add of A-byte pieces of a
 * known byte stream, up to Q bytes queued) and, whenever its end of the pair is
 * writable, hands it to evbuffer_write(). The reader, whenever the other end is
 * readable, calls evbuffer_read(in, fd, 16384) until the socket would block, and
 * after each read either drains what arrived (evbuffer_drain, the default) or, with
 * -c, copies it out with evbuffer_remove and compares it with the expected stream.
 * A run moves M MiB; the events are deleted when the writer has written everything
 * and the reader has read everything, so event_base_dispatch() returns.
 *
 * Output: a '#' line with the library version and backend, then
 *   buffer_bulk mib=M runs=R copy=C mib_per_s=X ns_per_16k=Y bytes_total=B ...
 * where mib_per_s is M over the median run time, ns_per_16k that median divided by
 * M * 64, bytes_total the bytes read over all runs, chunks_total the same in 16 KiB
 * units (for dividing callgrind's count), reads_per_run the evbuffer_read
 * calls that returned data (per run) and loops_per_run the reader callbacks per run.
 * The program fails if any byte is missing, extra or (with -c) different.
 *
 * The timed work is bench_run(), for callgrind's --toggle-collect. Uses only API
 * present in both libevent 2.1 and 2.2.
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/util.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define NOINLINE __attribute__((noinline))

#define READ_SIZE 16384
#define PAT_LEN 131071 /* prime, so pieces start at varied offsets of the pattern */

static long mib = 256;
static int n_runs = 5;
static int copy_out;
static size_t add_size = 65536;
static size_t queue_max = 262144;

static unsigned char pat[2 * PAT_LEN]; /* the stream: byte k is pat[k % PAT_LEN] */
static unsigned char scratch[READ_SIZE];

static struct event_base *base;
static struct event *wev, *rev;
static struct evbuffer *out, *in;
static evutil_socket_t fds[2]; /* fds[0] written, fds[1] read */

static uint64_t total;    /* bytes per run */
static uint64_t produced; /* added to out in this run */
static uint64_t received; /* read from the socket in this run */
static uint64_t checked;  /* with -c: bytes compared in this run */
static uint64_t bytes_total;
static long mismatches;
static long reads, reader_calls;

static void die(const char *what)
{
	fprintf(stderr, "buffer_bulk: %s\n", what);
	exit(1);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	(void)arg;
	while (produced < total && evbuffer_get_length(out) < queue_max) {
		size_t n = add_size;

		if (n > total - produced)
			n = (size_t)(total - produced);
		if (evbuffer_add(out, pat + produced % PAT_LEN, n) != 0)
			die("evbuffer_add failed");
		produced += n;
	}
	if (evbuffer_get_length(out) > 0 && evbuffer_write(out, fd) < 0 &&
	    errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		perror("buffer_bulk: evbuffer_write");
		exit(1);
	}
	if (produced == total && evbuffer_get_length(out) == 0)
		event_del(wev);
}

static void consume(void)
{
	size_t len = evbuffer_get_length(in);

	if (!copy_out) {
		if (evbuffer_drain(in, len) != 0)
			die("evbuffer_drain failed");
		return;
	}
	while (len > 0) {
		int n = evbuffer_remove(in, scratch, sizeof(scratch));

		if (n <= 0)
			die("evbuffer_remove returned nothing from a non-empty buffer");
		if (memcmp(scratch, pat + checked % PAT_LEN, (size_t)n) != 0)
			mismatches++;
		checked += (uint64_t)n;
		len -= (size_t)n;
	}
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	(void)arg;
	reader_calls++;
	for (;;) {
		int n = evbuffer_read(in, fd, READ_SIZE);

		if (n > 0) {
			reads++;
			received += (uint64_t)n;
			consume();
			continue;
		}
		if (n == 0)
			die("unexpected end of file on the socketpair");
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			break;
		perror("buffer_bulk: evbuffer_read");
		exit(1);
	}
	if (received > total)
		die("read more bytes than were written");
	if (received == total)
		event_del(rev);
}

NOINLINE void bench_run(void);
NOINLINE void bench_run(void)
{
	produced = received = checked = 0;
	if (event_add(wev, NULL) != 0 || event_add(rev, NULL) != 0)
		die("event_add failed");
	if (event_base_dispatch(base) < 0)
		die("event_base_dispatch failed");
	bytes_total += received;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-m MiB] [-r runs] [-c] [-a add_bytes] [-q queue_bytes]\n"
	    "  -m  MiB moved per run (default 256)\n"
	    "  -r  runs; the median is reported (default 5)\n"
	    "  -c  copy the data out with evbuffer_remove and verify it (default: drain)\n"
	    "  -a  bytes per evbuffer_add on the writer side (default 65536, at most %d)\n"
	    "  -q  the writer tops its buffer up to this many bytes (default 262144)\n",
	    argv0, PAT_LEN);
	exit(2);
}

int main(int argc, char **argv)
{
	double *t;
	uint32_t x = 12345;
	long expected_reads;
	int c, i;

	while ((c = getopt(argc, argv, "m:r:ca:q:h")) != -1) {
		switch (c) {
		case 'm': mib = atol(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		case 'c': copy_out = 1; break;
		case 'a': add_size = (size_t)atol(optarg); break;
		case 'q': queue_max = (size_t)atol(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || mib < 1 || n_runs < 1 || add_size < 1 || add_size > PAT_LEN ||
	    queue_max < 1)
		usage(argv[0]);
	total = (uint64_t)mib << 20;

	for (i = 0; i < PAT_LEN; i++) {
		x = x * 1103515245u + 12345u;
		pat[i] = pat[i + PAT_LEN] = (unsigned char)(x >> 16);
	}

	t = calloc((size_t)n_runs, sizeof(*t));
	if (!t)
		die("out of memory");
	base = event_base_new();
	if (!base)
		die("event_base_new failed");
	if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
		perror("buffer_bulk: socketpair");
		return 1;
	}
	if (evutil_make_socket_nonblocking(fds[0]) != 0 ||
	    evutil_make_socket_nonblocking(fds[1]) != 0)
		die("evutil_make_socket_nonblocking failed");
	out = evbuffer_new();
	in = evbuffer_new();
	wev = event_new(base, fds[0], EV_WRITE | EV_PERSIST, on_writable, NULL);
	rev = event_new(base, fds[1], EV_READ | EV_PERSIST, on_readable, NULL);
	if (!out || !in || !wev || !rev)
		die("setup failed");

	printf("# libevent %s, method %s\n", event_get_version(),
	    event_base_get_method(base));
	fflush(stdout);

	for (i = 0; i < n_runs; i++) {
		double start = now_ns();

		bench_run();
		t[i] = now_ns() - start;
		if (received != total || produced != total) {
			fprintf(stderr, "buffer_bulk: run %d moved %llu of %llu bytes\n", i,
			    (unsigned long long)received, (unsigned long long)total);
			return 1;
		}
		if (copy_out && checked != total)
			die("not every byte was compared");
		if (evbuffer_get_length(out) != 0 || evbuffer_get_length(in) != 0)
			die("a buffer is not empty at the end of a run");
	}
	if (mismatches) {
		fprintf(stderr, "buffer_bulk: %ld pieces differ from what was written\n",
		    mismatches);
		return 1;
	}
	if (bytes_total != total * (uint64_t)n_runs)
		die("wrong byte total");
	/* Reads return at most 16 KiB each. */
	expected_reads = (long)(total / READ_SIZE) * n_runs;
	if (reads < expected_reads)
		die("an evbuffer_read returned more than 16384 bytes");

	{
		double med = median(t, n_runs);

		printf("buffer_bulk mib=%ld runs=%d copy=%d mib_per_s=%.1f ns_per_16k=%.1f "
		       "bytes_total=%llu chunks_total=%llu reads_per_run=%.1f loops_per_run=%.1f\n",
		    mib, n_runs, copy_out, (double)mib / (med / 1e9),
		    med / ((double)total / READ_SIZE), (unsigned long long)bytes_total,
		    (unsigned long long)(bytes_total / READ_SIZE),
		    (double)reads / n_runs, (double)reader_calls / n_runs);
	}

	event_free(rev);
	event_free(wev);
	evbuffer_free(in);
	evbuffer_free(out);
	evutil_closesocket(fds[0]);
	evutil_closesocket(fds[1]);
	event_base_free(base);
	free(t);
	return 0;
}
