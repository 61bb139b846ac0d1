/*
 * buffer_search: evbuffer_search and evbuffer_search_eol over a large buffer.
 *
 * The buffer holds M MiB of lowercase text, added with evbuffer_add in pieces of C
 * bytes (default 4000, so the library's chain boundaries fall all over the text). It
 * is made of 1 KiB blocks; block b (from 0) holds
 *   - "\r\n" as its last two bytes (every block),
 *   - the pattern "@XYZZY" at offset 10 + (b * 37) % 900 when b % 16 == 5,
 *   - the decoy "@XYZZ" (then a lowercase letter) at 500 + (b * 13) % 400 when
 *     b % 4 == 2, and a lone '@' at offset 950 when b is odd,
 *   - the decoy "!NEED" at offset 930 when b % 64 == 7,
 * and the needle "!NEEDLE!" is at offset 960 of the last block. Every run times four
 * phases over this buffer (it is built once):
 *
 *   end      one evbuffer_search for the needle from the start;
 *   count    evbuffer_search for the pattern from the start, then again from just
 *            after each match (evbuffer_ptr_set with EVBUFFER_PTR_ADD), until none;
 *   eol_crlf evbuffer_search_eol(EVBUFFER_EOL_CRLF) from the start and after each
 *            line end found, to the end of the buffer;
 *   eol_lf   the same with EVBUFFER_EOL_LF.
 *
 * Every position found is checked against the planted one, and the counts against the
 * number planted; a wrong or missing match makes the program fail.
 *
 * Output: a '#' line with the library version, then
 *   buffer_search mib=M runs=R chunk=C end_ns_per_mib=.. count_ns_per_mib=..
 *   eol_crlf_ns_per_mib=.. eol_lf_ns_per_mib=.. matches=.. eols=.. mib_total=..
 * with the median ns per MiB scanned for each phase (the end phase scans up to the end
 * of the needle, the others the whole buffer), the pattern matches and line ends per
 * scan, and M * R (for dividing callgrind's counts of the full-buffer phases).
 *
 * The phases are bench_end(), bench_count(), bench_eol_crlf() and bench_eol_lf(), for
 * callgrind's --toggle-collect. Uses only API present in both libevent 2.1 and 2.2.
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

#define BLOCK 1024
#define PAT "@XYZZY"
#define PAT_LEN 6
#define NEEDLE "!NEEDLE!"
#define NEEDLE_LEN 8
#define NEEDLE_OFF 960

static long mib = 64;
static int n_runs = 15;
static size_t chunk = 4000;

static struct evbuffer *buf;
static size_t size, n_blocks;
static long n_matches;         /* pattern occurrences planted */
static ev_ssize_t *match_pos;  /* their positions */
static ev_ssize_t needle_pos;
static long bad;               /* wrong positions, counts or failed calls */

static void die(const char *what)
{
	fprintf(stderr, "buffer_search: %s\n", what);
	exit(1);
}

static void fail(const char *phase, const char *what, long a, long b)
{
	fprintf(stderr, "buffer_search: %s: %s (%ld, expected %ld)\n", phase, what, a, b);
	bad++;
}

NOINLINE void bench_end(void);
NOINLINE void bench_end(void)
{
	struct evbuffer_ptr p = evbuffer_search(buf, NEEDLE, NEEDLE_LEN, NULL);

	if (p.pos != needle_pos)
		fail("end", "needle found at the wrong place", (long)p.pos, (long)needle_pos);
}

NOINLINE void bench_count(void);
NOINLINE void bench_count(void)
{
	struct evbuffer_ptr p = evbuffer_search(buf, PAT, PAT_LEN, NULL);
	long k = 0;

	while (p.pos >= 0) {
		if (k >= n_matches || p.pos != match_pos[k]) {
			fail("count", "match at an unexpected place", (long)p.pos,
			    k < n_matches ? (long)match_pos[k] : -1L);
			return;
		}
		k++;
		if (evbuffer_ptr_set(buf, &p, PAT_LEN, EVBUFFER_PTR_ADD) != 0) {
			fail("count", "evbuffer_ptr_set failed", k, n_matches);
			return;
		}
		p = evbuffer_search(buf, PAT, PAT_LEN, &p);
	}
	if (k != n_matches)
		fail("count", "wrong number of matches", k, n_matches);
}

static void scan_eol(const char *phase, enum evbuffer_eol_style style, size_t want_len,
    ev_ssize_t want_off)
{
	struct evbuffer_ptr p;
	size_t eol_len = 0;
	long k = 0;

	p = evbuffer_search_eol(buf, NULL, &eol_len, style);
	while (p.pos >= 0) {
		if ((size_t)k >= n_blocks || p.pos != (ev_ssize_t)k * BLOCK + want_off ||
		    eol_len != want_len) {
			fail(phase, "line end at an unexpected place", (long)p.pos,
			    (long)k * BLOCK + (long)want_off);
			return;
		}
		k++;
		if (evbuffer_ptr_set(buf, &p, eol_len, EVBUFFER_PTR_ADD) != 0) {
			fail(phase, "evbuffer_ptr_set failed", k, (long)n_blocks);
			return;
		}
		p = evbuffer_search_eol(buf, &p, &eol_len, style);
	}
	if ((size_t)k != n_blocks)
		fail(phase, "wrong number of line ends", k, (long)n_blocks);
}

NOINLINE void bench_eol_crlf(void);
NOINLINE void bench_eol_crlf(void)
{
	scan_eol("eol_crlf", EVBUFFER_EOL_CRLF, 2, BLOCK - 2);
}

NOINLINE void bench_eol_lf(void);
NOINLINE void bench_eol_lf(void)
{
	scan_eol("eol_lf", EVBUFFER_EOL_LF, 1, BLOCK - 1);
}

static void build(void)
{
	unsigned char *src = malloc(size);
	uint32_t x = 1u;
	size_t i, b, off;

	if (n_blocks == 0)
		die("empty buffer");
	match_pos = calloc(n_blocks / 16 + 1, sizeof(*match_pos));
	if (!src || !match_pos)
		die("out of memory");
	for (i = 0; i < size; i++) {
		x = x * 1664525u + 1013904223u;
		src[i] = (x >> 27) < 5 ? ' ' : (unsigned char)('a' + (x >> 16) % 26);
	}
	for (b = 0; b < n_blocks; b++) {
		unsigned char *blk = src + b * BLOCK;

		blk[BLOCK - 2] = '\r';
		blk[BLOCK - 1] = '\n';
		if (b % 16 == 5) {
			off = 10 + (b * 37) % 900;
			memcpy(blk + off, PAT, PAT_LEN);
			match_pos[n_matches++] = (ev_ssize_t)(b * BLOCK + off);
		}
		if (b % 4 == 2)
			memcpy(blk + 500 + (b * 13) % 400, "@XYZZ", 5);
		if (b % 2 == 1)
			blk[950] = '@';
		if (b % 64 == 7)
			memcpy(blk + 930, "!NEED", 5);
	}
	needle_pos = (ev_ssize_t)((n_blocks - 1) * BLOCK + NEEDLE_OFF);
	memcpy(src + needle_pos, NEEDLE, NEEDLE_LEN);

	for (i = 0; i < size; i += chunk)
		if (evbuffer_add(buf, src + i, size - i < chunk ? size - i : chunk) != 0)
			die("evbuffer_add failed");
	if (evbuffer_get_length(buf) != size)
		die("wrong buffer length after filling");
	free(src);
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-m MiB] [-r runs] [-c chunk]\n"
	    "  -m  MiB in the buffer (default 64)\n"
	    "  -r  runs; the median of each phase is reported (default 15)\n"
	    "  -c  bytes per evbuffer_add when filling the buffer (default 4000)\n",
	    argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	double *t_end, *t_count, *t_crlf, *t_lf, full, end_mib;
	int c, r;

	while ((c = getopt(argc, argv, "m:r:c:h")) != -1) {
		switch (c) {
		case 'm': mib = atol(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		case 'c': chunk = (size_t)atol(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || mib < 1 || n_runs < 1 || chunk < 1)
		usage(argv[0]);
	size = (size_t)mib << 20;
	n_blocks = size / BLOCK;

	t_end = calloc((size_t)n_runs, sizeof(double));
	t_count = calloc((size_t)n_runs, sizeof(double));
	t_crlf = calloc((size_t)n_runs, sizeof(double));
	t_lf = calloc((size_t)n_runs, sizeof(double));
	buf = evbuffer_new();
	if (!t_end || !t_count || !t_crlf || !t_lf || !buf)
		die("setup failed");
	build();

	printf("# libevent %s\n", event_get_version());
	fflush(stdout);

	full = (double)mib;
	end_mib = (double)(needle_pos + NEEDLE_LEN) / 1048576.0;
	for (r = 0; r < n_runs; r++) {
		double t0, t1, t2, t3, t4;

		t0 = now_ns();
		bench_end();
		t1 = now_ns();
		bench_count();
		t2 = now_ns();
		bench_eol_crlf();
		t3 = now_ns();
		bench_eol_lf();
		t4 = now_ns();
		t_end[r] = (t1 - t0) / end_mib;
		t_count[r] = (t2 - t1) / full;
		t_crlf[r] = (t3 - t2) / full;
		t_lf[r] = (t4 - t3) / full;
		if (bad)
			return 1;
	}
	if (evbuffer_get_length(buf) != size)
		die("the buffer changed while searching");

	printf("buffer_search mib=%ld runs=%d chunk=%zu end_ns_per_mib=%.0f "
	       "count_ns_per_mib=%.0f eol_crlf_ns_per_mib=%.0f eol_lf_ns_per_mib=%.0f "
	       "matches=%ld eols=%zu mib_total=%ld\n",
	    mib, n_runs, chunk, median(t_end, n_runs), median(t_count, n_runs),
	    median(t_crlf, n_runs), median(t_lf, n_runs), n_matches, n_blocks,
	    mib * n_runs);

	evbuffer_free(buf);
	free(match_pos);
	free(t_lf);
	free(t_crlf);
	free(t_count);
	free(t_end);
	return 0;
}
