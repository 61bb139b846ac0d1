/*
 * bev_idle_mem: heap used per idle socket bufferevent.
 *
 * N nonblocking AF_UNIX socketpairs (RLIMIT_NOFILE is raised to 2 N + 64 if the hard
 * limit allows; otherwise N is lowered to fit, and the output says which N was used).
 * After a baseline reading of the heap, one end of each pair is wrapped in
 * bufferevent_socket_new (BEV_OPT_CLOSE_ON_FREE), given callbacks and enabled for
 * EV_READ | EV_WRITE, and does one small exchange:
 *
 *   1. bufferevent_write of 100 bytes; the loop runs until every write callback has
 *      reported its output flushed;
 *   2. the program reads the 100 bytes from each raw peer end, checks them and writes
 *      them back;
 *   3. the loop runs until every read callback has taken its 100 bytes back with
 *      bufferevent_read (checked).
 *
 * The bufferevents then sit idle, still enabled, and the heap is read again. The heap
 * in use is glibc's mallinfo2() uordblks + hblkhd (mallinfo() before glibc 2.33), so
 * it covers everything the library allocated through malloc, including the event
 * base's per-descriptor bookkeeping that grows with the descriptors; memory a library
 * maps by other means is not seen. Finally every bufferevent is freed, and the loop run
 * once without blocking (libevent 2.1 releases a bufferevent in finalizer callbacks
 * that the loop runs); that is timed too.
 *
 * Output: a '#' line with the library version and backend, then
 *   bev_idle_mem n=N bytes_per_bev=B setup_ns=S free_ns=F left_per_bev=L
 * where bytes_per_bev is the growth of the heap divided by N, setup_ns the time per
 * bufferevent for creating it and doing the exchange, free_ns the time per
 * bufferevent_free (with that loop), and left_per_bev the heap still held after
 * freeing them all, divided by N (only informative: a library may keep grown tables).
 * A wrong byte, a missing callback or an error event makes the program fail. A single
 * run: the heap figure does not vary; run the program several times for the timings.
 *
 * Uses only API present in both libevent 2.1 and 2.2.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define MSG_LEN 100

#if !defined(__GLIBC__)
#error "bev_idle_mem needs glibc's mallinfo2() or mallinfo()"
#endif

struct pair {
	struct bufferevent *bev;
	evutil_socket_t fd, peer; /* fd is wrapped by bev, peer stays raw */
	int flushed; /* write callback seen with the output empty */
	int got;     /* bytes read back in the read callback */
	int index;
};

static int n_pairs = 10000;
static struct event_base *base;
static struct pair *pairs;
static int n_flushed, n_read_back;
static long bad;

static void die(const char *what)
{
	fprintf(stderr, "bev_idle_mem: %s\n", what);
	exit(1);
}

static size_t heap_in_use(void)
{
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
#else
	struct mallinfo mi = mallinfo();

	return (size_t)(unsigned)mi.uordblks + (size_t)(unsigned)mi.hblkhd;
#endif
}

/* The 100 bytes of pair i: distinct per pair. */
static void message(int i, unsigned char *out)
{
	int k;

	for (k = 0; k < MSG_LEN; k++)
		out[k] = (unsigned char)(i * 31 + k * 7 + (i >> 8));
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct pair *p = arg;
	unsigned char got[MSG_LEN * 2], want[MSG_LEN];
	size_t n = bufferevent_read(bev, got, sizeof(got));

	if (p->got + (int)n > MSG_LEN) {
		bad++;
		return;
	}
	message(p->index, want);
	if (memcmp(got, want + p->got, n) != 0)
		bad++;
	p->got += (int)n;
	if (p->got == MSG_LEN)
		n_read_back++;
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct pair *p = arg;

	if (!p->flushed && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		p->flushed = 1;
		n_flushed++;
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	fprintf(stderr, "bev_idle_mem: unexpected event 0x%x on a bufferevent\n",
	    (unsigned)what);
	exit(1);
}

static void loop_until(const int *counter)
{
	while (*counter < n_pairs) {
		int rv = event_base_loop(base, EVLOOP_ONCE);

		if (rv < 0)
			die("event_base_loop failed");
		if (rv > 0)
			die("event_base_loop: no events pending");
	}
}

/* Raises the descriptor limit for n pairs, or returns how many pairs fit. */
static int fit_pairs(int n)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)n * 2 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return n;
	if (rl.rlim_cur >= need)
		return n;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return n;
	if (rl.rlim_cur >= need)
		return n;
	return rl.rlim_cur > 64 ? (int)((rl.rlim_cur - 64) / 2) : 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-n bufferevents]\n"
	    "  -n  socketpairs, one bufferevent each (default 10000; fewer if the\n"
	    "      descriptor limit cannot be raised)\n",
	    argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	size_t before, after, left;
	double t0, t_setup, t_free;
	int c, i, want;

	while ((c = getopt(argc, argv, "n:h")) != -1) {
		switch (c) {
		case 'n': n_pairs = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || n_pairs < 1)
		usage(argv[0]);
	want = n_pairs;
	n_pairs = fit_pairs(n_pairs);
	if (n_pairs < 1)
		die("no file descriptors to spare");
	if (n_pairs < want)
		fprintf(stderr, "bev_idle_mem: descriptor limit allows only %d pairs\n", n_pairs);

	pairs = calloc((size_t)n_pairs, sizeof(*pairs));
	if (!pairs)
		die("out of memory");
	base = event_base_new();
	if (!base)
		die("event_base_new failed");
	for (i = 0; i < n_pairs; i++) {
		evutil_socket_t fd[2];

		if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fd) != 0) {
			perror("bev_idle_mem: socketpair");
			return 1;
		}
		if (evutil_make_socket_nonblocking(fd[0]) != 0 ||
		    evutil_make_socket_nonblocking(fd[1]) != 0)
			die("evutil_make_socket_nonblocking failed");
		pairs[i].fd = fd[0];
		pairs[i].peer = fd[1];
		pairs[i].index = i;
	}

	printf("# libevent %s, method %s\n", event_get_version(),
	    event_base_get_method(base));
	fflush(stdout);

	before = heap_in_use();
	t0 = now_ns();
	for (i = 0; i < n_pairs; i++) {
		struct pair *p = &pairs[i];
		unsigned char msg[MSG_LEN];

		p->bev = bufferevent_socket_new(base, p->fd, BEV_OPT_CLOSE_ON_FREE);
		if (!p->bev)
			die("bufferevent_socket_new failed");
		bufferevent_setcb(p->bev, on_read, on_write, on_event, p);
		if (bufferevent_enable(p->bev, EV_READ | EV_WRITE) != 0)
			die("bufferevent_enable failed");
		message(i, msg);
		if (bufferevent_write(p->bev, msg, MSG_LEN) != 0)
			die("bufferevent_write failed");
	}
	loop_until(&n_flushed);
	for (i = 0; i < n_pairs; i++) {
		unsigned char got[MSG_LEN + 1], want_msg[MSG_LEN];
		ssize_t n = read(pairs[i].peer, got, sizeof(got));

		message(i, want_msg);
		if (n != MSG_LEN || memcmp(got, want_msg, MSG_LEN) != 0) {
			fprintf(stderr, "bev_idle_mem: pair %d: peer read %zd bytes (%s)\n", i, n,
			    n < 0 ? strerror(errno) : "wrong length or bytes");
			return 1;
		}
		if (write(pairs[i].peer, got, MSG_LEN) != MSG_LEN) {
			perror("bev_idle_mem: peer write");
			return 1;
		}
	}
	loop_until(&n_read_back);
	t_setup = (now_ns() - t0) / n_pairs;
	after = heap_in_use();
	if (bad) {
		fprintf(stderr, "bev_idle_mem: %ld reads returned wrong or extra bytes\n", bad);
		return 1;
	}
	for (i = 0; i < n_pairs; i++)
		if (pairs[i].got != MSG_LEN || !pairs[i].flushed)
			die("a bufferevent missed its exchange");

	t0 = now_ns();
	for (i = 0; i < n_pairs; i++)
		bufferevent_free(pairs[i].bev);
	/* libevent 2.1 finishes freeing in finalizer callbacks run by the loop */
	if (event_base_loop(base, EVLOOP_NONBLOCK) < 0)
		die("event_base_loop failed");
	t_free = (now_ns() - t0) / n_pairs;
	left = heap_in_use();

	printf("bev_idle_mem n=%d bytes_per_bev=%.1f setup_ns=%.1f free_ns=%.1f "
	       "left_per_bev=%.1f\n",
	    n_pairs, ((double)after - (double)before) / n_pairs, t_setup, t_free,
	    ((double)left - (double)before) / n_pairs);

	for (i = 0; i < n_pairs; i++)
		evutil_closesocket(pairs[i].peer);
	event_base_free(base);
	free(pairs);
	return 0;
}
