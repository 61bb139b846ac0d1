/*
 * buffer_small: many small adds and removals on one evbuffer, in two phases per run.
 *
 *   steady  the buffer always holds the last Q pieces added (a few hundred bytes at
 *           the default Q = 8). Each step adds a piece of 1..64 bytes (sizes from a
 *           fixed pseudo-random sequence) with evbuffer_add and takes away the oldest
 *           piece, alternately with evbuffer_drain and with evbuffer_remove into a
 *           local array (checked against the bytes that were added);
 *   empty   each step adds 32 bytes and removes them again with evbuffer_remove, so
 *           the buffer goes from empty to 32 bytes and back every time.
 *
 * Each phase makes N steps of two operations. Every piece is cut from a known byte
 * stream, so each evbuffer_remove can be checked; the program fails on a short
 * remove, a wrong byte, or a wrong length at the end of a phase.
 *
 * Output: a '#' line with the library version and backend, then
 *   buffer_small n=N q=Q runs=R steady_ns=X empty_ns=Y ops_total=T
 * with the median ns per operation (an add or a drain/remove) of each phase and the
 * operations per phase over all runs (2 N R, for dividing callgrind's counts).
 *
 * The phases are bench_steady() and bench_empty(), for callgrind's --toggle-collect.
 * Uses only API present in both libevent 2.1 and 2.2.
 */
#include <event2/buffer.h>
#include <event2/event.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define NOINLINE __attribute__((noinline))

#define PAT_LEN 4093 /* prime; the pattern is stored twice so any piece is contiguous */
#define EMPTY_PIECE 32

static long n_steps = 1000000;
static int n_queued = 8;
static int n_runs = 5;

static unsigned char pat[2 * PAT_LEN]; /* stream byte k is pat[k % PAT_LEN] */
static unsigned char *sizes;           /* n_steps + n_queued piece sizes, 1..64 */
static struct evbuffer *buf;
static uint64_t wpos, rpos; /* stream positions added / taken away */
static long bad;            /* short removes or wrong bytes */

static void die(const char *what)
{
	fprintf(stderr, "buffer_small: %s\n", what);
	exit(1);
}

static inline void add_piece(size_t n)
{
	if (evbuffer_add(buf, pat + wpos % PAT_LEN, n) != 0)
		die("evbuffer_add failed");
	wpos += n;
}

static inline void remove_piece(size_t n)
{
	unsigned char tmp[64];

	if (evbuffer_remove(buf, tmp, n) != (int)n || memcmp(tmp, pat + rpos % PAT_LEN, n))
		bad++;
	rpos += n;
}

static inline void drain_piece(size_t n)
{
	if (evbuffer_drain(buf, n) != 0)
		bad++;
	rpos += n;
}

NOINLINE void bench_steady(void);
NOINLINE void bench_steady(void)
{
	long i;

	for (i = 0; i < n_steps; i++) {
		add_piece(sizes[i + n_queued]);
		if (i & 1)
			drain_piece(sizes[i]);
		else
			remove_piece(sizes[i]);
	}
}

NOINLINE void bench_empty(void);
NOINLINE void bench_empty(void)
{
	long i;

	for (i = 0; i < n_steps; i++) {
		add_piece(EMPTY_PIECE);
		remove_piece(EMPTY_PIECE);
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-n steps] [-q queued] [-r runs]\n"
	    "  -n  steps (one add and one drain/remove) per phase and run (default 1000000)\n"
	    "  -q  pieces kept queued in the steady phase (default 8)\n"
	    "  -r  runs; the median of each phase is reported (default 5)\n",
	    argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	double *t_steady, *t_empty;
	uint32_t x = 2463534242u;
	size_t queued_bytes;
	long i;
	int c, r;

	while ((c = getopt(argc, argv, "n:q:r:h")) != -1) {
		switch (c) {
		case 'n': n_steps = atol(optarg); break;
		case 'q': n_queued = atoi(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || n_steps < 1 || n_queued < 1 || n_runs < 1)
		usage(argv[0]);

	for (i = 0; i < PAT_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pat[i] = pat[i + PAT_LEN] = (unsigned char)x;
	}
	sizes = malloc((size_t)(n_steps + n_queued));
	t_steady = calloc((size_t)n_runs, sizeof(double));
	t_empty = calloc((size_t)n_runs, sizeof(double));
	if (!sizes || !t_steady || !t_empty)
		die("out of memory");
	for (i = 0; i < n_steps + n_queued; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		sizes[i] = (unsigned char)(1 + x % 64);
	}
	buf = evbuffer_new();
	if (!buf)
		die("evbuffer_new failed");

	printf("# libevent %s\n", event_get_version());
	fflush(stdout);

	for (r = 0; r < n_runs; r++) {
		double t0;

		/* steady: start with the first Q pieces queued */
		queued_bytes = 0;
		for (i = 0; i < n_queued; i++)
			add_piece(sizes[i]);
		t0 = now_ns();
		bench_steady();
		t_steady[r] = (now_ns() - t0) / (2.0 * (double)n_steps);
		for (i = n_steps; i < n_steps + n_queued; i++)
			queued_bytes += sizes[i];
		if (evbuffer_get_length(buf) != queued_bytes || wpos - rpos != queued_bytes)
			die("wrong length after the steady phase");
		while (evbuffer_get_length(buf) > 0)
			remove_piece(evbuffer_get_length(buf) > 64 ? 64 : evbuffer_get_length(buf));

		t0 = now_ns();
		bench_empty();
		t_empty[r] = (now_ns() - t0) / (2.0 * (double)n_steps);
		if (evbuffer_get_length(buf) != 0 || wpos != rpos)
			die("the buffer is not empty after the empty phase");
	}
	if (bad) {
		fprintf(stderr, "buffer_small: %ld removes were short or returned wrong bytes\n",
		    bad);
		return 1;
	}

	printf("buffer_small n=%ld q=%d runs=%d steady_ns=%.2f empty_ns=%.2f ops_total=%lld\n",
	    n_steps, n_queued, n_runs, median(t_steady, n_runs), median(t_empty, n_runs),
	    2LL * n_steps * n_runs);

	evbuffer_free(buf);
	free(t_empty);
	free(t_steady);
	free(sizes);
	return 0;
}
