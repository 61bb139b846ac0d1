/*
 * timers: cost of the timer heap, in three phases per run.
 *
 *   add    N pure timers (evtimer_assign into a caller-owned array) are added with
 *          distinct timeouts spread over 100 ms (5.0 s .. 5.1 s), in scrambled order;
 *   re-add every one of them is added again while pending, with a new timeout spread
 *          over 0..10 ms: each pending timer moves up in the heap. The new deadlines
 *          are earlier than every old one as long as the phases take under 5 s, so the
 *          heap does the same work natively and under valgrind;
 *   fire   once the last deadline has passed (the wait is not measured), the loop
 *          runs with EVLOOP_ONCE until all N callbacks have fired.
 *
 * Each phase is one non-inlined function (bench_add, bench_readd, bench_fire), so
 * callgrind can count one phase with --toggle-collect=bench_<phase>.
 *
 * Output: a '#' line with the library version and backend, then
 *   timers n=N runs=R add_ns=X readd_ns=Y fire_ns=Z timers_total=N*R fire_loops_per_run=L
 * with the median ns per timer of each phase over the runs, the callbacks over all runs
 * and the event_base_loop calls the fire phase needed per run (normally 1). Uses only API present in
 * both libevent 2.1 and 2.2.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define NOINLINE __attribute__((noinline))

#define ADD_BASE_US 5000000L  /* first timeouts: 5 s + 0..100 ms */
#define ADD_SPREAD_US 100000L
#define READD_SPREAD_US 10000L /* new timeouts: 0..10 ms */
#define SLACK_US 10000L        /* covers a coarse monotonic clock in the library */

static int n_timers = 100000;
static int n_runs = 5;

static struct event *evs;
static struct event_base *base;
static long *add_us, *readd_us; /* per-timer timeouts, precomputed */
static int fired;
static long long fired_total;
static long fire_loops; /* event_base_loop calls in the fire phase, all runs */

static void die(const char *what)
{
	fprintf(stderr, "timers: %s\n", what);
	exit(1);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fired++;
}

static void add_one(int i, long us)
{
	struct timeval tv;

	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	if (event_add(&evs[i], &tv) != 0)
		die("event_add failed");
}

NOINLINE void bench_add(void);
NOINLINE void bench_add(void)
{
	int i;

	for (i = 0; i < n_timers; i++)
		add_one(i, add_us[i]);
}

NOINLINE void bench_readd(void);
NOINLINE void bench_readd(void)
{
	int i;

	for (i = 0; i < n_timers; i++)
		add_one(i, readd_us[i]);
}

NOINLINE void bench_fire(void);
NOINLINE void bench_fire(void)
{
	fired = 0;
	while (fired < n_timers) {
		int rv = event_base_loop(base, EVLOOP_ONCE);
		fire_loops++;
		if (rv < 0)
			die("event_base_loop failed");
		if (rv > 0)
			die("event_base_loop: no events pending");
	}
	fired_total += fired;
}

static void sleep_until_ns(double t)
{
	double left;

	while ((left = t - now_ns()) > 0) {
		struct timespec ts;

		ts.tv_sec = (time_t)(left / 1e9);
		ts.tv_nsec = (long)(left - (double)ts.tv_sec * 1e9);
		if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
			die("nanosleep failed");
	}
}

/* A permutation of 0..n-1 that scatters neighbours: i * step mod n, step coprime. */
static long scramble(long i, long n, long step)
{
	return (i * step) % n;
}

static long coprime_step(long n, long want)
{
	long a, b, t;

	for (;; want++) {
		for (a = n, b = want; b; t = a % b, a = b, b = t)
			;
		if (a == 1)
			return want;
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-n timers] [-r runs]\n"
	    "  -n  timers (default 100000)\n"
	    "  -r  runs; the median of each phase is reported (default 5)\n",
	    argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	double *t_add, *t_readd, *t_fire;
	long step1, step2;
	int c, i, r;

	while ((c = getopt(argc, argv, "n:r:h")) != -1) {
		switch (c) {
		case 'n': n_timers = atoi(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || n_timers < 1 || n_runs < 1)
		usage(argv[0]);

	evs = calloc((size_t)n_timers, sizeof(*evs));
	add_us = calloc((size_t)n_timers, sizeof(*add_us));
	readd_us = calloc((size_t)n_timers, sizeof(*readd_us));
	t_add = calloc((size_t)n_runs, sizeof(double));
	t_readd = calloc((size_t)n_runs, sizeof(double));
	t_fire = calloc((size_t)n_runs, sizeof(double));
	if (!evs || !add_us || !readd_us || !t_add || !t_readd || !t_fire)
		die("out of memory");
	base = event_base_new();
	if (!base)
		die("event_base_new failed");

	/* Distinct first timeouts (1 us apart at the default N) in scrambled order; the
	 * new ones come from another permutation, so each timer moves in the heap. */
	step1 = coprime_step(n_timers, n_timers / 3 + 7);
	step2 = coprime_step(n_timers, n_timers / 7 + 3);
	for (i = 0; i < n_timers; i++) {
		add_us[i] = ADD_BASE_US + scramble(i, n_timers, step1) * ADD_SPREAD_US / n_timers;
		readd_us[i] = scramble(i, n_timers, step2) * READD_SPREAD_US / n_timers;
		if (evtimer_assign(&evs[i], base, on_timer, NULL) != 0)
			die("evtimer_assign failed");
	}

	printf("# libevent %s, method %s\n", event_get_version(),
	    event_base_get_method(base));
	fflush(stdout);

	for (r = 0; r < n_runs; r++) {
		double t0, t1, t2, t3;

		t0 = now_ns();
		bench_add();
		t1 = now_ns();
		bench_readd();
		t2 = now_ns();
		sleep_until_ns(t2 + (READD_SPREAD_US + SLACK_US) * 1e3);
		t3 = now_ns();
		bench_fire();
		t_add[r] = (t1 - t0) / n_timers;
		t_readd[r] = (t2 - t1) / n_timers;
		t_fire[r] = (now_ns() - t3) / n_timers;
	}

	if (fired_total != (long long)n_runs * n_timers) {
		fprintf(stderr, "timers: %lld callbacks fired, expected %lld\n", fired_total,
		    (long long)n_runs * n_timers);
		return 1;
	}
	for (i = 0; i < n_timers; i++)
		if (evtimer_pending(&evs[i], NULL))
			die("a timer is still pending after firing");

	printf("timers n=%d runs=%d add_ns=%.1f readd_ns=%.1f fire_ns=%.1f "
	       "timers_total=%lld fire_loops_per_run=%.1f\n",
	    n_timers, n_runs, median(t_add, n_runs), median(t_readd, n_runs),
	    median(t_fire, n_runs), fired_total, (double)fire_loops / n_runs);

	event_base_free(base);
	free(t_fire);
	free(t_readd);
	free(t_add);
	free(readd_us);
	free(add_us);
	free(evs);
	return 0;
}
