/* Positions and looking without taking: evbuffer_ptr_set (SET and ADD, the end
 * position, past the end), evbuffer_search and evbuffer_search_range (matches across
 * chunk boundaries, a match must end before the end position, empty needles),
 * evbuffer_search_eol with every end-of-line style from every start, and
 * evbuffer_peek (whole chunks in place, len -1, start positions, too few vectors). */
#include <event2/buffer.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char *const pieces[] = {"abc", "defg", "h", "ijklmnop", "qr"};
#define ALL "abcdefghijklmnopqr"

static struct evbuffer *from_pieces(void)
{
	struct evbuffer *buf = evbuffer_new();
	int i;

	REQUIRE(buf != NULL);
	for (i = 0; i < 5; i++)
		REQUIRE(evbuffer_add_reference(buf, pieces[i], strlen(pieces[i]), NULL, NULL) == 0);
	return buf;
}

/* A buffer holding len bytes of text as lent chunks of `piece` bytes. */
static struct evbuffer *chunked(const char *text, size_t len, size_t piece)
{
	struct evbuffer *buf = evbuffer_new();
	size_t at;

	REQUIRE(buf != NULL);
	for (at = 0; at < len; at += piece) {
		size_t n = len - at < piece ? len - at : piece;
		REQUIRE(evbuffer_add_reference(buf, text + at, n, NULL, NULL) == 0);
	}
	return buf;
}

static ev_ssize_t find(struct evbuffer *buf, const char *what, size_t from)
{
	struct evbuffer_ptr start, found;
	if (evbuffer_ptr_set(buf, &start, from, EVBUFFER_PTR_SET) < 0)
		return -2;
	found = evbuffer_search(buf, what, strlen(what), &start);
	return found.pos;
}

static ev_ssize_t find_range(struct evbuffer *buf, const char *what, size_t from, size_t to)
{
	struct evbuffer_ptr start, end, found;
	if (evbuffer_ptr_set(buf, &start, from, EVBUFFER_PTR_SET) < 0 ||
	    evbuffer_ptr_set(buf, &end, to, EVBUFFER_PTR_SET) < 0)
		return -2;
	found = evbuffer_search_range(buf, what, strlen(what), &start, &end);
	return found.pos;
}

static void test_ptr_set(void)
{
	struct evbuffer *buf = from_pieces(), *empty = evbuffer_new();
	struct evbuffer_ptr p;
	char out[32];
	size_t i;
	int ok = 1;

	REQUIRE(empty != NULL);
	/* Every position from the first byte to just past the last. */
	for (i = 0; i <= 18; i++) {
		memset(out, 0, sizeof(out));
		ok &= evbuffer_ptr_set(buf, &p, i, EVBUFFER_PTR_SET) == 0;
		ok &= p.pos == (ev_ssize_t)i;
		ok &= evbuffer_copyout_from(buf, &p, out, 1) == (i < 18 ? 1 : 0);
		ok &= i == 18 || out[0] == ALL[i];
	}
	CHECK(ok);
	/* Past the end: refused, and the position says "not found". */
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 19, EVBUFFER_PTR_SET), -1);
	CHECK_INT_EQ(p.pos, -1);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, SIZE_MAX, EVBUFFER_PTR_SET), -1);
	CHECK_INT_EQ(p.pos, -1);

	/* Moving forward step by step, across chunks, up to the end. */
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 0, EVBUFFER_PTR_SET), 0);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 2, EVBUFFER_PTR_ADD), 0);
	CHECK_INT_EQ(p.pos, 2);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 5, EVBUFFER_PTR_ADD), 0);
	CHECK_INT_EQ(p.pos, 7);
	CHECK_INT_EQ(evbuffer_copyout_from(buf, &p, out, 3), 3);
	CHECK_MEM_EQ(out, "hij", 3);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 0, EVBUFFER_PTR_ADD), 0);
	CHECK_INT_EQ(p.pos, 7);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 11, EVBUFFER_PTR_ADD), 0);
	CHECK_INT_EQ(p.pos, 18);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 0, EVBUFFER_PTR_ADD), 0);
	CHECK_INT_EQ(p.pos, 18);
	/* One step past the end fails, and a failed position cannot be moved. */
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 1, EVBUFFER_PTR_ADD), -1);
	CHECK_INT_EQ(p.pos, -1);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 0, EVBUFFER_PTR_ADD), -1);
	CHECK_INT_EQ(p.pos, -1);
	/* Steps that would overflow are refused before anything is looked at: the
	 * position keeps its old value (unlike a step that merely runs past the end). */
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 3, EVBUFFER_PTR_SET), 0);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, SIZE_MAX, EVBUFFER_PTR_ADD), -1);
	CHECK_INT_EQ(p.pos, 3);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, SIZE_MAX - 2, EVBUFFER_PTR_ADD), -1);
	CHECK_INT_EQ(p.pos, 3);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 1, EVBUFFER_PTR_ADD), 0);
	CHECK_INT_EQ(p.pos, 4);
	/* A position set again after failing is fine. */
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 16, EVBUFFER_PTR_SET), 0);
	CHECK_INT_EQ(evbuffer_copyout_from(buf, &p, out, 10), 2);
	CHECK_MEM_EQ(out, "qr", 2);

	/* In an empty buffer only position 0 exists. */
	CHECK_INT_EQ(evbuffer_ptr_set(empty, &p, 0, EVBUFFER_PTR_SET), 0);
	CHECK_INT_EQ(p.pos, 0);
	CHECK_INT_EQ(evbuffer_ptr_set(empty, &p, 0, EVBUFFER_PTR_ADD), 0);
	CHECK_INT_EQ(evbuffer_ptr_set(empty, &p, 1, EVBUFFER_PTR_ADD), -1);
	CHECK_INT_EQ(evbuffer_ptr_set(empty, &p, 1, EVBUFFER_PTR_SET), -1);
	evbuffer_free(buf);
	evbuffer_free(empty);
}

static void test_search(void)
{
	struct evbuffer *buf = from_pieces(), *empty = evbuffer_new();
	struct evbuffer_ptr p, start;
	char out[8];

	REQUIRE(empty != NULL);
	CHECK_INT_EQ(find(buf, "abc", 0), 0);
	CHECK_INT_EQ(find(buf, "a", 0), 0);
	/* Matches that straddle chunk boundaries, including three chunks at once. */
	CHECK_INT_EQ(find(buf, "cd", 0), 2);
	CHECK_INT_EQ(find(buf, "ghi", 0), 6);
	CHECK_INT_EQ(find(buf, "fghij", 0), 5);
	CHECK_INT_EQ(find(buf, "pq", 0), 15);
	CHECK_INT_EQ(find(buf, "r", 0), 17);
	CHECK_INT_EQ(find(buf, ALL, 0), 0);
	/* Longer than the buffer, absent, and present only before the start. */
	CHECK_INT_EQ(find(buf, ALL "s", 0), -1);
	CHECK_INT_EQ(find(buf, "zz", 0), -1);
	CHECK_INT_EQ(find(buf, "ac", 0), -1);
	CHECK_INT_EQ(find(buf, "c", 3), -1);
	CHECK_INT_EQ(find(buf, "c", 2), 2);
	CHECK_INT_EQ(find(buf, "qr", 17), -1);
	CHECK_INT_EQ(find(buf, "r", 17), 17);
	/* From the end nothing is found. */
	CHECK_INT_EQ(find(buf, "r", 18), -1);

	/* Without a start position the search starts at the front. */
	p = evbuffer_search(buf, "klm", 3, NULL);
	CHECK_INT_EQ(p.pos, 10);
	/* The found position is a real position: it can be read from and moved. */
	CHECK_INT_EQ(evbuffer_copyout_from(buf, &p, out, 4), 4);
	CHECK_MEM_EQ(out, "klmn", 4);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 5, EVBUFFER_PTR_ADD), 0);
	CHECK_INT_EQ(evbuffer_copyout_from(buf, &p, out, 3), 3);
	CHECK_MEM_EQ(out, "pqr", 3);

	/* An empty needle matches at the start position. */
	p = evbuffer_search(buf, "", 0, NULL);
	CHECK_INT_EQ(p.pos, 0);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &start, 9, EVBUFFER_PTR_SET), 0);
	p = evbuffer_search(buf, "", 0, &start);
	CHECK_INT_EQ(p.pos, 9);
	/* An empty buffer holds nothing to find. */
	p = evbuffer_search(empty, "a", 1, NULL);
	CHECK_INT_EQ(p.pos, -1);
	evbuffer_free(buf);

	/* Every occurrence, found by searching again one byte further on. */
	{
		static const char text[] = "abcabxabcaabcab";
		static const ev_ssize_t want[] = {0, 6, 10};
		size_t piece;
		for (piece = 1; piece <= 16; piece++) {
			struct evbuffer *b = chunked(text, strlen(text), piece);
			int n = 0, ok = 1;
			p = evbuffer_search(b, "abc", 3, NULL);
			while (p.pos >= 0 && n < 5) {
				ok &= n < 3 && p.pos == want[n];
				n++;
				if (evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD) < 0)
					break;
				p = evbuffer_search(b, "abc", 3, &p);
			}
			CHECK(ok);
			CHECK_INT_EQ(n, 3);
			/* Overlapping candidates: "aab" must not hide the "abc" after it. */
			CHECK_INT_EQ(find(b, "aabc", 0), 9);
			CHECK_INT_EQ(find(b, "cab", 3), 12);
			CHECK_INT_EQ(find(b, "ca", 3), 8);
			CHECK_INT_EQ(find(b, "bcab", 0), 1);
			CHECK_INT_EQ(find(b, "bcab", 2), 11);
			CHECK_INT_EQ(find(b, "abx", 0), 3);
			evbuffer_free(b);
		}
	}
	evbuffer_free(empty);
}

static void test_search_range(void)
{
	static const char text[] = "abcabcabc";
	size_t piece;

	for (piece = 1; piece <= 9; piece += 2) {
		struct evbuffer *b = chunked(text, 9, piece);
		struct evbuffer_ptr p;

		/* The match must end at or before the end position. */
		CHECK_INT_EQ(find_range(b, "abc", 0, 3), 0);
		CHECK_INT_EQ(find_range(b, "abc", 0, 2), -1);
		CHECK_INT_EQ(find_range(b, "abc", 1, 6), 3);
		CHECK_INT_EQ(find_range(b, "abc", 1, 5), -1);
		CHECK_INT_EQ(find_range(b, "abc", 4, 9), 6);
		CHECK_INT_EQ(find_range(b, "abc", 4, 8), -1);
		CHECK_INT_EQ(find_range(b, "cab", 0, 9), 2);
		CHECK_INT_EQ(find_range(b, "cab", 0, 5), 2);
		CHECK_INT_EQ(find_range(b, "cab", 0, 4), -1);
		CHECK_INT_EQ(find_range(b, "c", 0, 3), 2);
		CHECK_INT_EQ(find_range(b, "c", 0, 2), -1);
		/* An end before the start finds nothing. */
		CHECK_INT_EQ(find_range(b, "c", 5, 2), -1);
		CHECK_INT_EQ(find_range(b, "abc", 3, 3), -1);
		/* Without an end it is a plain search. */
		p = evbuffer_search_range(b, "bca", 3, NULL, NULL);
		CHECK_INT_EQ(p.pos, 1);
		/* Something absent stays absent in any range. */
		CHECK_INT_EQ(find_range(b, "abd", 0, 9), -1);
		evbuffer_free(b);
	}
}

struct eol_hit {
	ev_ssize_t pos;
	size_t len;
};

/* Walks the buffer with search_eol, moving past each end of line; nonzero when
 * the sequence of hits is exactly want[0..n). */
static int eol_walk(struct evbuffer *buf, enum evbuffer_eol_style style,
    const struct eol_hit *want, int n)
{
	struct evbuffer_ptr p;
	int i = 0, ok = 1;
	size_t eol_len = 99;

	p = evbuffer_search_eol(buf, NULL, &eol_len, style);
	while (p.pos >= 0) {
		ok &= i < n && p.pos == want[i].pos && eol_len == want[i].len;
		i++;
		if (i > n || evbuffer_ptr_set(buf, &p, eol_len, EVBUFFER_PTR_ADD) < 0)
			return 0;
		eol_len = 99;
		p = evbuffer_search_eol(buf, &p, &eol_len, style);
	}
	/* Not found: the length reported is 0. */
	ok &= eol_len == 0;
	return ok && i == n;
}

static void test_search_eol(void)
{
	/* a  b  \r \n c  d  \n e  f  \r g  h  \n \r i  j  \r \r \n \n k  l  \0 m  n  \r
	 * 0  1  2  3  4  5  6  7  8  9  10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 */
	static const char text[] = "ab\r\ncd\nef\rgh\n\rij\r\r\n\nkl\0mn\r";
	static const struct eol_hit any[] = {{2, 2}, {6, 1}, {9, 1}, {12, 2}, {16, 4}, {25, 1}};
	static const struct eol_hit crlf[] = {{2, 2}, {6, 1}, {12, 1}, {17, 2}, {19, 1}};
	static const struct eol_hit strict[] = {{2, 2}, {17, 2}};
	static const struct eol_hit lf[] = {{3, 1}, {6, 1}, {12, 1}, {18, 1}, {19, 1}};
	static const struct eol_hit nul[] = {{22, 1}};
	size_t piece;

	for (piece = 1; piece <= 27; piece++) {
		struct evbuffer *b = chunked(text, 26, piece);
		CHECK(eol_walk(b, EVBUFFER_EOL_ANY, any, 6));
		CHECK(eol_walk(b, EVBUFFER_EOL_CRLF, crlf, 5));
		CHECK(eol_walk(b, EVBUFFER_EOL_CRLF_STRICT, strict, 2));
		CHECK(eol_walk(b, EVBUFFER_EOL_LF, lf, 5));
		CHECK(eol_walk(b, EVBUFFER_EOL_NUL, nul, 1));
		evbuffer_free(b);
	}

	/* Details of single searches. */
	{
		struct evbuffer *b = chunked(text, 26, 2);
		struct evbuffer_ptr start, p;
		size_t eol_len = 99;

		/* CRLF from a start that is the LF of a CRLF: the CR before the start is
		 * not part of the search, so the end of line is the bare LF. */
		CHECK_INT_EQ(evbuffer_ptr_set(b, &start, 3, EVBUFFER_PTR_SET), 0);
		p = evbuffer_search_eol(b, &start, &eol_len, EVBUFFER_EOL_CRLF);
		CHECK_INT_EQ(p.pos, 3);
		CHECK_UINT_EQ(eol_len, 1);
		/* ANY from inside a run counts only the rest of the run. */
		CHECK_INT_EQ(evbuffer_ptr_set(b, &start, 18, EVBUFFER_PTR_SET), 0);
		p = evbuffer_search_eol(b, &start, &eol_len, EVBUFFER_EOL_ANY);
		CHECK_INT_EQ(p.pos, 18);
		CHECK_UINT_EQ(eol_len, 2);
		/* A CR at the very end is an end of line only for ANY. */
		CHECK_INT_EQ(evbuffer_ptr_set(b, &start, 23, EVBUFFER_PTR_SET), 0);
		p = evbuffer_search_eol(b, &start, &eol_len, EVBUFFER_EOL_ANY);
		CHECK_INT_EQ(p.pos, 25);
		CHECK_UINT_EQ(eol_len, 1);
		p = evbuffer_search_eol(b, &start, &eol_len, EVBUFFER_EOL_CRLF);
		CHECK_INT_EQ(p.pos, -1);
		CHECK_UINT_EQ(eol_len, 0);
		p = evbuffer_search_eol(b, &start, &eol_len, EVBUFFER_EOL_CRLF_STRICT);
		CHECK_INT_EQ(p.pos, -1);
		/* The length pointer may be NULL. */
		p = evbuffer_search_eol(b, NULL, NULL, EVBUFFER_EOL_LF);
		CHECK_INT_EQ(p.pos, 3);
		/* From the end position nothing is found. */
		CHECK_INT_EQ(evbuffer_ptr_set(b, &start, 26, EVBUFFER_PTR_SET), 0);
		eol_len = 99;
		p = evbuffer_search_eol(b, &start, &eol_len, EVBUFFER_EOL_ANY);
		CHECK_INT_EQ(p.pos, -1);
		CHECK_UINT_EQ(eol_len, 0);
		/* An unknown style finds nothing. */
		eol_len = 99;
		p = evbuffer_search_eol(b, NULL, &eol_len, (enum evbuffer_eol_style)42);
		CHECK_INT_EQ(p.pos, -1);
		CHECK_UINT_EQ(eol_len, 0);
		/* The search does not change the buffer. */
		CHECK_UINT_EQ(evbuffer_get_length(b), 26);
		evbuffer_free(b);
	}

	/* An empty buffer has no line end. */
	{
		struct evbuffer *e = evbuffer_new();
		struct evbuffer_ptr p;
		size_t eol_len = 99;
		REQUIRE(e != NULL);
		p = evbuffer_search_eol(e, NULL, &eol_len, EVBUFFER_EOL_ANY);
		CHECK_INT_EQ(p.pos, -1);
		CHECK_UINT_EQ(eol_len, 0);
		p = evbuffer_search_eol(e, NULL, &eol_len, EVBUFFER_EOL_NUL);
		CHECK_INT_EQ(p.pos, -1);
		evbuffer_free(e);
	}
}

static void test_peek(void)
{
	struct evbuffer *buf = from_pieces(), *empty = evbuffer_new();
	struct evbuffer_iovec v[8];
	struct evbuffer_ptr p;
	int i, ok = 1;

	REQUIRE(empty != NULL);
	/* Counting the chunks of the whole buffer. */
	CHECK_INT_EQ(evbuffer_peek(buf, -1, NULL, NULL, 0), 5);
	/* Every chunk, in place. */
	memset(v, 0, sizeof(v));
	CHECK_INT_EQ(evbuffer_peek(buf, -1, NULL, v, 8), 5);
	for (i = 0; i < 5; i++)
		ok &= v[i].iov_base == (void *)pieces[i] && v[i].iov_len == strlen(pieces[i]);
	CHECK(ok);
	/* With len -1, as many as fit. */
	CHECK_INT_EQ(evbuffer_peek(buf, -1, NULL, v, 2), 2);
	/* With a length, the count needed even when more than given... */
	memset(v, 0, sizeof(v));
	CHECK_INT_EQ(evbuffer_peek(buf, 4, NULL, v, 1), 2);
	CHECK(v[0].iov_base == (void *)pieces[0]);
	CHECK_UINT_EQ(v[0].iov_len, 3);
	CHECK(v[1].iov_base == NULL);
	/* ...and whole chunks, even past the length asked for. */
	CHECK_INT_EQ(evbuffer_peek(buf, 4, NULL, v, 8), 2);
	CHECK(v[1].iov_base == (void *)pieces[1]);
	CHECK_UINT_EQ(v[1].iov_len, 4);
	CHECK_INT_EQ(evbuffer_peek(buf, 3, NULL, v, 8), 1);
	CHECK_INT_EQ(evbuffer_peek(buf, 1, NULL, v, 8), 1);
	CHECK_INT_EQ(evbuffer_peek(buf, 8, NULL, v, 8), 3);
	CHECK_INT_EQ(evbuffer_peek(buf, 9, NULL, v, 8), 4);
	CHECK_INT_EQ(evbuffer_peek(buf, 8, NULL, NULL, 0), 3);
	CHECK_INT_EQ(evbuffer_peek(buf, 0, NULL, v, 8), 0);
	/* More than there is: all there is. */
	CHECK_INT_EQ(evbuffer_peek(buf, 1000, NULL, v, 8), 5);
	CHECK_INT_EQ(evbuffer_peek(buf, 1000, NULL, NULL, 0), 5);

	/* From a position inside the second chunk. */
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 4, EVBUFFER_PTR_SET), 0);
	memset(v, 0, sizeof(v));
	CHECK_INT_EQ(evbuffer_peek(buf, -1, &p, v, 8), 4);
	CHECK(v[0].iov_base == (void *)(pieces[1] + 1));
	CHECK_UINT_EQ(v[0].iov_len, 3);
	CHECK(v[1].iov_base == (void *)pieces[2]);
	CHECK(v[3].iov_base == (void *)pieces[4]);
	CHECK_INT_EQ(evbuffer_peek(buf, -1, &p, NULL, 0), 4);
	CHECK_INT_EQ(evbuffer_peek(buf, -1, &p, v, 1), 1);
	CHECK_INT_EQ(evbuffer_peek(buf, 3, &p, v, 8), 1);
	CHECK_INT_EQ(evbuffer_peek(buf, 4, &p, v, 8), 2);
	CHECK_INT_EQ(evbuffer_peek(buf, 4, &p, NULL, 0), 2);
	/* With a start inside the data, even a length of 0 counts the first extent
	 * (without one, it counts none). */
	CHECK_INT_EQ(evbuffer_peek(buf, 0, &p, v, 8), 1);
	CHECK_INT_EQ(evbuffer_peek(buf, 0, &p, NULL, 0), 1);
	/* From a position that starts a chunk. */
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 8, EVBUFFER_PTR_SET), 0);
	CHECK_INT_EQ(evbuffer_peek(buf, -1, &p, v, 8), 2);
	CHECK(v[0].iov_base == (void *)pieces[3]);
	CHECK_UINT_EQ(v[0].iov_len, 8);
	/* From the end: nothing. */
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 18, EVBUFFER_PTR_SET), 0);
	CHECK_INT_EQ(evbuffer_peek(buf, -1, &p, v, 8), 0);
	CHECK_INT_EQ(evbuffer_peek(buf, 5, &p, NULL, 0), 0);
	/* Peeking changes nothing. */
	CHECK_UINT_EQ(evbuffer_get_length(buf), 18);

	/* An empty buffer. */
	CHECK_INT_EQ(evbuffer_peek(empty, -1, NULL, NULL, 0), 0);
	CHECK_INT_EQ(evbuffer_peek(empty, -1, NULL, v, 8), 0);
	CHECK_INT_EQ(evbuffer_peek(empty, 10, NULL, v, 8), 0);
	evbuffer_free(buf);

	/* The extents of a big buffer add up to its contents. */
	{
		static char big[30000];
		struct evbuffer_iovec *all;
		size_t at = 0, j;
		int n;
		for (j = 0; j < sizeof(big); j++)
			big[j] = (char)(j % 253);
		for (j = 0; j < sizeof(big); j += 3000)
			REQUIRE(evbuffer_add(empty, big + j, 3000) == 0);
		n = evbuffer_peek(empty, -1, NULL, NULL, 0);
		CHECK(n >= 1);
		all = calloc((size_t)n, sizeof(*all));
		REQUIRE(all != NULL);
		CHECK_INT_EQ(evbuffer_peek(empty, -1, NULL, all, n), n);
		ok = 1;
		for (i = 0; i < n; i++) {
			ok &= at + all[i].iov_len <= sizeof(big) &&
			    memcmp(all[i].iov_base, big + at, all[i].iov_len) == 0;
			at += all[i].iov_len;
		}
		CHECK(ok);
		CHECK_UINT_EQ(at, sizeof(big));
		free(all);
	}
	evbuffer_free(empty);
}

int main(void)
{
	test_ptr_set();
	test_search();
	test_search_range();
	test_search_eol();
	test_peek();
	return check_report();
}
