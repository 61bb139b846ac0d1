/*
 * chain: the classic event-loop dispatch benchmark.
 *
 * N nonblocking AF_UNIX socketpairs; the read end of each is watched by a persistent
 * read event that lives in a caller-owned array (event_assign). A run writes one byte
 * into A pairs spread evenly over the N, then runs event_base_loop(EVLOOP_ONCE) until
 * every byte has been read. Each read callback takes its byte and, while the run's
 * budget of W writes lasts, writes one byte into the next pair (index + 1 mod N), so a
 * run dispatches exactly A + W callbacks.
 *
 * By default the events are added once, before the first run, and stay pending (-k);
 * with -K each run adds all N events first and deletes them at the end, so the
 * figure also includes one event_add and one event_del per pair.
 *
 * Output: a '#' line with the library version and backend, then
 *   chain n=N a=A w=W runs=R median_ns_per_event=X events_per_run=A+W ...
 * followed by keep=, events_total= (callbacks over all runs, for dividing callgrind's
 * instruction count exactly) and loops_per_run= (event_base_loop calls per run).
 *
 * Only the measured work is inside bench_run(), so
 *   valgrind --tool=callgrind --toggle-collect=bench_run ./chain -r 3
 * counts nothing else. Uses only API present in both libevent 2.1 and 2.2.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define NOINLINE __attribute__((noinline))

static int n_pairs = 1000;
static int n_active = 100;
static int n_writes = 1000;
static int n_runs = 25;
static int keep = 1;

static evutil_socket_t *fds; /* pair i: fds[2*i] is watched, fds[2*i+1] is written */
static struct event *evs;
static struct event_base *base;

static int writes_left; /* writes the current run may still make */
static int fired;       /* callbacks that read a byte in the current run */
static long loops;      /* event_base_loop calls, all runs */
static long long fired_total;

static void die(const char *what)
{
	fprintf(stderr, "chain: %s\n", what);
	exit(1);
}

static void send_byte(int pair)
{
	if (write(fds[2 * pair + 1], "x", 1) != 1) {
		perror("chain: write");
		exit(1);
	}
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	int idx = (int)(intptr_t)arg;
	char byte;

	(void)what;
	if (read(fd, &byte, 1) != 1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return; /* not counted; the loop keeps going */
		perror("chain: read");
		exit(1);
	}
	fired++;
	if (writes_left > 0) {
		writes_left--;
		send_byte(idx + 1 == n_pairs ? 0 : idx + 1);
	}
}

static void add_all(void)
{
	int i;

	for (i = 0; i < n_pairs; i++)
		if (event_add(&evs[i], NULL) != 0)
			die("event_add failed");
}

static void del_all(void)
{
	int i;

	for (i = 0; i < n_pairs; i++)
		if (event_del(&evs[i]) != 0)
			die("event_del failed");
}

/* One run: everything that is timed (and counted under callgrind). */
NOINLINE void bench_run(void);
NOINLINE void bench_run(void)
{
	int i, target = n_active + n_writes;

	if (!keep)
		add_all();
	fired = 0;
	writes_left = n_writes;
	for (i = 0; i < n_active; i++)
		send_byte((int)((long)i * n_pairs / n_active));
	while (fired < target) {
		int rv = event_base_loop(base, EVLOOP_ONCE);
		loops++;
		if (rv < 0)
			die("event_base_loop failed");
		if (rv > 0)
			die("event_base_loop: no events pending");
	}
	if (!keep)
		del_all();
	fired_total += fired;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-n pairs] [-a active] [-w writes] [-r runs] [-k | -K]\n"
	    "  -n  socketpairs (default 1000)\n"
	    "  -a  pairs holding a byte at the start of a run (default 100)\n"
	    "  -w  writes made by callbacks per run (default 1000)\n"
	    "  -r  runs; the median is reported (default 25)\n"
	    "  -k  add the events once and keep them (default)\n"
	    "  -K  add and delete all events in every run\n",
	    argv0);
	exit(2);
}

static void raise_fd_limit(rlim_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr, "chain: need %lu file descriptors, hard limit is %lu\n",
		    (unsigned long)need, (unsigned long)rl.rlim_max);
		exit(1);
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		perror("chain: setrlimit");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	double *per_event;
	long long expected;
	int c, i;

	while ((c = getopt(argc, argv, "n:a:w:r:kKh")) != -1) {
		switch (c) {
		case 'n': n_pairs = atoi(optarg); break;
		case 'a': n_active = atoi(optarg); break;
		case 'w': n_writes = atoi(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		case 'k': keep = 1; break;
		case 'K': keep = 0; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || n_pairs < 1 || n_active < 1 || n_active > n_pairs ||
	    n_writes < 0 || n_runs < 1)
		usage(argv[0]);

	raise_fd_limit((rlim_t)n_pairs * 2 + 64);

	fds = calloc(2 * (size_t)n_pairs, sizeof(*fds));
	evs = calloc((size_t)n_pairs, sizeof(*evs));
	per_event = calloc((size_t)n_runs, sizeof(*per_event));
	if (!fds || !evs || !per_event)
		die("out of memory");
	base = event_base_new();
	if (!base)
		die("event_base_new failed");

	for (i = 0; i < n_pairs; i++) {
		evutil_socket_t *p = &fds[2 * i];

		if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, p) != 0) {
			perror("chain: socketpair");
			return 1;
		}
		if (evutil_make_socket_nonblocking(p[0]) != 0 ||
		    evutil_make_socket_nonblocking(p[1]) != 0)
			die("evutil_make_socket_nonblocking failed");
		if (event_assign(&evs[i], base, p[0], EV_READ | EV_PERSIST, on_read,
			(void *)(intptr_t)i) != 0)
			die("event_assign failed");
	}
	if (keep)
		add_all();

	printf("# libevent %s, method %s\n", event_get_version(),
	    event_base_get_method(base));
	fflush(stdout);

	for (i = 0; i < n_runs; i++) {
		double start = now_ns();

		bench_run();
		per_event[i] = (now_ns() - start) / (n_active + n_writes);
	}

	expected = (long long)n_runs * (n_active + n_writes);
	if (fired_total != expected) {
		fprintf(stderr, "chain: %lld callbacks fired, expected %lld\n", fired_total,
		    expected);
		return 1;
	}

	printf("chain n=%d a=%d w=%d runs=%d median_ns_per_event=%.1f events_per_run=%d "
	       "keep=%d events_total=%lld loops_per_run=%.1f\n",
	    n_pairs, n_active, n_writes, n_runs, median(per_event, n_runs),
	    n_active + n_writes, keep, fired_total, (double)loops / n_runs);

	if (keep)
		del_all();
	for (i = 0; i < n_pairs; i++) {
		evutil_closesocket(fds[2 * i]);
		evutil_closesocket(fds[2 * i + 1]);
	}
	event_base_free(base);
	free(per_event);
	free(evs);
	free(fds);
	return 0;
}
