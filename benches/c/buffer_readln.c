/*
 * buffer_readln: evbuffer_readln over a large line-based buffer.
 *
 * A run fills one evbuffer with L lines of 20..200 bytes each, CRLF included (lengths
 * from a fixed pseudo-random sequence, printable text), with two evbuffer_add calls
 * per line (the text, then "\r\n"), so lines and line ends straddle the library's
 * chains wherever its allocation policy puts the boundaries. Then it takes every line
 * out again with evbuffer_readln(EVBUFFER_EOL_CRLF), freeing each, until the buffer
 * is empty. It fills the buffer the same way once more and reads it with
 * evbuffer_readln(EVBUFFER_EOL_LF), which returns each line with its '\r'.
 *
 * Each phase checks the number of lines, the bytes returned, a checksum over the first
 * and last byte of every line, the terminating NUL, and that the buffer ends empty.
 *
 * Output: a '#' line with the library version, then
 *   buffer_readln lines=L runs=R fill_ns=F crlf_ns=X lf_ns=Y mib=M lines_total=T
 * with the median ns per line of filling (two evbuffer_add calls), of the CRLF and of
 * the LF readln phase, the MiB in the buffer, and the lines per phase over all runs
 * (for dividing callgrind's counts).
 *
 * The phases are bench_fill(), bench_crlf() and bench_lf(), for callgrind's
 * --toggle-collect. Uses only API present in both libevent 2.1 and 2.2.
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

#define MIN_LINE 20  /* including CRLF */
#define MAX_LINE 200 /* including CRLF */
#define TEXT_LEN 4096

static long n_lines = 1000000;
static int n_runs = 5;

static char text[TEXT_LEN + MAX_LINE]; /* printable, no CR or LF */
static unsigned char *lens;            /* per line, without CRLF: 18..198 */
static struct evbuffer *buf;

/* What one read phase got, to be compared with the expected values. */
static long got_lines;
static uint64_t got_bytes, got_sum;
static long bad_nul;

static void die(const char *what)
{
	fprintf(stderr, "buffer_readln: %s\n", what);
	exit(1);
}

static const char *line_text(long i)
{
	return text + (i * 131) % TEXT_LEN;
}

static void fill(void)
{
	long i;

	for (i = 0; i < n_lines; i++)
		if (evbuffer_add(buf, line_text(i), lens[i]) != 0 ||
		    evbuffer_add(buf, "\r\n", 2) != 0)
			die("evbuffer_add failed");
}

/* The timed fill; the second fill of a run (before the LF phase) calls fill() alone,
 * so that callgrind's --toggle-collect=bench_fill counts one fill per run. */
NOINLINE void bench_fill(void);
NOINLINE void bench_fill(void)
{
	fill();
}

static void read_all(enum evbuffer_eol_style style)
{
	char *line;
	size_t n;

	got_lines = 0;
	got_bytes = got_sum = 0;
	while ((line = evbuffer_readln(buf, &n, style)) != NULL) {
		got_lines++;
		got_bytes += n;
		if (n > 0)
			got_sum += (unsigned char)line[0] + 3u * (unsigned char)line[n - 1];
		if (line[n] != '\0')
			bad_nul++;
		free(line);
	}
}

NOINLINE void bench_crlf(void);
NOINLINE void bench_crlf(void)
{
	read_all(EVBUFFER_EOL_CRLF);
}

NOINLINE void bench_lf(void);
NOINLINE void bench_lf(void)
{
	read_all(EVBUFFER_EOL_LF);
}

static void check(const char *phase, uint64_t bytes, uint64_t sum)
{
	if (got_lines != n_lines || got_bytes != bytes || got_sum != sum || bad_nul ||
	    evbuffer_get_length(buf) != 0) {
		fprintf(stderr,
		    "buffer_readln: %s: %ld lines, %llu bytes, checksum %llu, %ld missing NULs, "
		    "%zu bytes left; expected %ld lines, %llu bytes, checksum %llu\n",
		    phase, got_lines, (unsigned long long)got_bytes,
		    (unsigned long long)got_sum, bad_nul, evbuffer_get_length(buf), n_lines,
		    (unsigned long long)bytes, (unsigned long long)sum);
		exit(1);
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-l lines] [-r runs]\n"
	    "  -l  lines in the buffer (default 1000000)\n"
	    "  -r  runs; the median of each phase is reported (default 5)\n",
	    argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	double *t_fill, *t_crlf, *t_lf;
	uint64_t content = 0, sum_crlf = 0, sum_lf = 0;
	uint32_t x = 88172645u;
	long i;
	int c, r;

	while ((c = getopt(argc, argv, "l:r:h")) != -1) {
		switch (c) {
		case 'l': n_lines = atol(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || n_lines < 1 || n_runs < 1)
		usage(argv[0]);

	for (i = 0; i < (long)sizeof(text); i++) {
		x = x * 1664525u + 1013904223u;
		text[i] = (char)(' ' + (x >> 24) % 95); /* ' ' .. '~' */
	}
	lens = malloc((size_t)n_lines);
	t_fill = calloc((size_t)n_runs, sizeof(double));
	t_crlf = calloc((size_t)n_runs, sizeof(double));
	t_lf = calloc((size_t)n_runs, sizeof(double));
	if (!lens || !t_fill || !t_crlf || !t_lf)
		die("out of memory");
	for (i = 0; i < n_lines; i++) {
		const unsigned char *p;

		x = x * 1664525u + 1013904223u;
		lens[i] = (unsigned char)(MIN_LINE - 2 + (x >> 16) % (MAX_LINE - MIN_LINE + 1));
		p = (const unsigned char *)line_text(i);
		content += lens[i];
		sum_crlf += p[0] + 3u * p[lens[i] - 1];
		sum_lf += p[0] + 3u * '\r';
	}
	buf = evbuffer_new();
	if (!buf)
		die("evbuffer_new failed");

	printf("# libevent %s\n", event_get_version());
	fflush(stdout);

	for (r = 0; r < n_runs; r++) {
		double t0, t1;

		t0 = now_ns();
		bench_fill();
		t1 = now_ns();
		t_fill[r] = (t1 - t0) / (double)n_lines;
		if (evbuffer_get_length(buf) != content + 2 * (uint64_t)n_lines)
			die("wrong buffer length after filling");
		bench_crlf();
		t_crlf[r] = (now_ns() - t1) / (double)n_lines;
		check("EVBUFFER_EOL_CRLF", content, sum_crlf);

		fill();
		t0 = now_ns();
		bench_lf();
		t_lf[r] = (now_ns() - t0) / (double)n_lines;
		check("EVBUFFER_EOL_LF", content + (uint64_t)n_lines, sum_lf);
	}

	printf("buffer_readln lines=%ld runs=%d fill_ns=%.1f crlf_ns=%.1f lf_ns=%.1f mib=%.1f "
	       "lines_total=%lld\n",
	    n_lines, n_runs, median(t_fill, n_runs), median(t_crlf, n_runs),
	    median(t_lf, n_runs), (double)(content + 2 * (uint64_t)n_lines) / 1048576.0,
	    (long long)n_lines * n_runs);

	evbuffer_free(buf);
	free(t_lf);
	free(t_crlf);
	free(t_fill);
	free(lens);
	return 0;
}
