/* The chain benchmark: N socketpairs, each read end watched by an assigned event with
 * EV_READ|EV_PERSIST. A of them start with one byte; each read callback consumes its
 * byte and, while writes remain, writes one byte to the next pair. One run fires
 * A + W callbacks. Prints the median wall time per callback over the runs, and the
 * total number of callbacks (for instruction counts under callgrind, which can count
 * only `bench_run` with --toggle-collect=bench_run). */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int npairs = 1000, nactive = 100, nwrites = 1000, nruns = 25, keep = 1;
static evutil_socket_t *pipes;
static struct event *events;
static struct event_base *base;
static int writes_left, fired;
static long long total_fired;

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	long idx = (long)arg, next = (idx + 1) % npairs;
	char ch;
	(void)what;
	if (read(fd, &ch, 1) == 1)
		fired++;
	if (writes_left > 0) {
		writes_left--;
		if (write(pipes[2 * next + 1], "e", 1) != 1)
			abort();
	}
}

static void add_all(void)
{
	int i;
	for (i = 0; i < npairs; i++)
		event_add(&events[i], NULL);
}

static void del_all(void)
{
	int i;
	for (i = 0; i < npairs; i++)
		event_del(&events[i]);
}

__attribute__((noinline)) static void bench_run(void)
{
	int i, space = npairs / nactive;
	if (!keep)
		add_all();
	fired = 0;
	writes_left = nwrites;
	for (i = 0; i < nactive; i++)
		if (write(pipes[2 * ((i * space) % npairs) + 1], "e", 1) != 1)
			abort();
	while (fired < nwrites + nactive)
		event_base_loop(base, EVLOOP_ONCE);
	total_fired += fired;
	if (!keep)
		del_all();
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	double *per_event;
	int c, i;

	while ((c = getopt(argc, argv, "n:a:w:r:kK")) != -1) {
		switch (c) {
		case 'n': npairs = atoi(optarg); break;
		case 'a': nactive = atoi(optarg); break;
		case 'w': nwrites = atoi(optarg); break;
		case 'r': nruns = atoi(optarg); break;
		case 'k': keep = 1; break;
		case 'K': keep = 0; break;
		default:
			fprintf(stderr, "usage: %s [-n pairs] [-a active] [-w writes] [-r runs] [-k|-K]\n", argv[0]);
			return 2;
		}
	}
	if (npairs < 1 || nactive < 1 || nactive > npairs || nruns < 1)
		return 2;
	rl.rlim_cur = rl.rlim_max = (rlim_t)npairs * 2 + 64;
	setrlimit(RLIMIT_NOFILE, &rl);

	pipes = calloc(2 * (size_t)npairs, sizeof(*pipes));
	events = calloc((size_t)npairs, sizeof(*events));
	per_event = calloc((size_t)nruns, sizeof(*per_event));
	base = event_base_new();
	if (!pipes || !events || !per_event || !base)
		return 1;
	for (i = 0; i < npairs; i++) {
		if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, &pipes[2 * i]) < 0) {
			perror("socketpair");
			return 1;
		}
		evutil_make_socket_nonblocking(pipes[2 * i]);
		event_assign(&events[i], base, pipes[2 * i], EV_READ | EV_PERSIST, read_cb, (void *)(long)i);
	}
	if (keep)
		add_all();
	printf("# %s %s\n", event_get_version(), event_base_get_method(base));
	for (i = 0; i < nruns; i++) {
		double start = now_ns();
		bench_run();
		per_event[i] = (now_ns() - start) / (nwrites + nactive);
	}
	qsort(per_event, (size_t)nruns, sizeof(*per_event), cmp);
	printf("chain n=%d a=%d w=%d runs=%d keep=%d median_ns_per_event=%.1f events_total=%lld\n",
	    npairs, nactive, nwrites, nruns, keep, per_event[nruns / 2], total_fired);
	return 0;
}
