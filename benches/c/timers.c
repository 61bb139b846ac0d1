/* Timers: N events added with spread-out timeouts, all re-added with new ones (which
 * moves each in the heap), then fired. Prints the median ns per timer of each phase;
 * bench_add, bench_readd and bench_fire can be counted separately under callgrind. */
#include <event2/event.h>
#include <event2/event_struct.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int ntimers = 100000, nruns = 5, fired;
static struct event *events;
static struct event_base *base;

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fired++;
}

static struct timeval spread(int i, int salt)
{
	struct timeval tv;
	long us = ((long)i * 7919 + salt) % 50000;
	tv.tv_sec = 0;
	tv.tv_usec = us;
	return tv;
}

__attribute__((noinline)) static void bench_add(void)
{
	int i;
	for (i = 0; i < ntimers; i++) {
		struct timeval tv = spread(i, 0);
		event_add(&events[i], &tv);
	}
}

__attribute__((noinline)) static void bench_readd(void)
{
	int i;
	for (i = 0; i < ntimers; i++) {
		struct timeval tv = spread(i, 12345);
		event_add(&events[i], &tv);
	}
}

__attribute__((noinline)) static void bench_fire(void)
{
	fired = 0;
	while (fired < ntimers)
		event_base_loop(base, EVLOOP_ONCE);
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
	double *add, *readd, *fire;
	int c, i, r;

	while ((c = getopt(argc, argv, "n:r:")) != -1) {
		if (c == 'n')
			ntimers = atoi(optarg);
		else if (c == 'r')
			nruns = atoi(optarg);
		else
			return 2;
	}
	if (ntimers < 1 || nruns < 1)
		return 2;
	events = calloc((size_t)ntimers, sizeof(*events));
	add = calloc((size_t)nruns, sizeof(double));
	readd = calloc((size_t)nruns, sizeof(double));
	fire = calloc((size_t)nruns, sizeof(double));
	base = event_base_new();
	if (!events || !add || !readd || !fire || !base)
		return 1;
	for (i = 0; i < ntimers; i++)
		evtimer_assign(&events[i], base, timer_cb, NULL);
	printf("# %s %s\n", event_get_version(), event_base_get_method(base));
	for (r = 0; r < nruns; r++) {
		double t0 = now_ns(), t1, t2, t3;
		bench_add();
		t1 = now_ns();
		bench_readd();
		t2 = now_ns();
		bench_fire();
		t3 = now_ns();
		add[r] = (t1 - t0) / ntimers;
		readd[r] = (t2 - t1) / ntimers;
		fire[r] = (t3 - t2) / ntimers;
	}
	qsort(add, (size_t)nruns, sizeof(double), cmp);
	qsort(readd, (size_t)nruns, sizeof(double), cmp);
	qsort(fire, (size_t)nruns, sizeof(double), cmp);
	printf("timers n=%d runs=%d add_ns=%.1f readd_ns=%.1f fire_ns=%.1f\n", ntimers, nruns,
	    add[nruns / 2], readd[nruns / 2], fire[nruns / 2]);
	return 0;
}
