/* Writing into an evbuffer in place with evbuffer_reserve_space and
 * evbuffer_commit_space: one, two and more regions, committing less than was
 * reserved, reserving twice, committing nothing, and the refusals (no regions,
 * negative or huge sizes, regions that were not handed out or are too long,
 * committing twice, a frozen end). */
#include <event2/buffer.h>
#include <event2/util.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"

static int holds(struct evbuffer *buf, const void *want, size_t len)
{
	char *tmp;
	int ok;

	if (evbuffer_get_length(buf) != len)
		return 0;
	tmp = malloc(len + 1);
	if (!tmp)
		return 0;
	ok = evbuffer_copyout(buf, tmp, len) == (ev_ssize_t)len && memcmp(tmp, want, len) == 0;
	free(tmp);
	return ok;
}

static void test_one_region(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_iovec v[1], again[1], saved;

	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 100, v, 1), 1);
	REQUIRE(v[0].iov_base != NULL);
	CHECK(v[0].iov_len >= 100);
	/* Reserved space is not part of the buffer yet. */
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	/* Reserving again hands out the same space. */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 100, again, 1), 1);
	CHECK(again[0].iov_base == v[0].iov_base);
	CHECK_UINT_EQ(again[0].iov_len, v[0].iov_len);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 10, again, 1), 1);
	CHECK(again[0].iov_base == v[0].iov_base);

	/* Commit fewer bytes than were reserved. */
	memcpy(v[0].iov_base, "hello, reserve", 14);
	saved = v[0];
	v[0].iov_len = 5;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	CHECK(holds(buf, "hello", 5));
	CHECK(evbuffer_pullup(buf, 5) == saved.iov_base);

	/* The same region cannot be committed twice: it is data now. */
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), -1);
	CHECK(holds(buf, "hello", 5));

	/* The next reservation starts right after the committed bytes. */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 9, v, 1), 1);
	CHECK(v[0].iov_len >= 9);
	memcpy(v[0].iov_base, ", world!!", 9);
	v[0].iov_len = 8;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	CHECK(holds(buf, "hello, world!", 13));

	/* Committing zero bytes of a region adds nothing, and the region stays valid. */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 4, v, 1), 1);
	saved = v[0];
	v[0].iov_len = 0;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	CHECK(holds(buf, "hello, world!", 13));
	memcpy(saved.iov_base, "?", 1);
	saved.iov_len = 1;
	CHECK_INT_EQ(evbuffer_commit_space(buf, &saved, 1), 0);
	CHECK(holds(buf, "hello, world!?", 14));

	/* Committing no regions at all succeeds and changes nothing; so does a negative
	 * count, as libevent treats it. */
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 0), 0);
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, -1), 0);
	CHECK(holds(buf, "hello, world!?", 14));

	/* Data reserved and committed reads back through every interface. */
	{
		char out[8];
		CHECK_INT_EQ(evbuffer_remove(buf, out, 7), 7);
		CHECK_MEM_EQ(out, "hello, ", 7);
		CHECK(holds(buf, "world!?", 7));
	}
	evbuffer_free(buf);
}

static void test_bad_commits(void)
{
	struct evbuffer *buf = evbuffer_new(), *other = evbuffer_new();
	struct evbuffer_iovec v[2], bad[2];
	char elsewhere[16];

	REQUIRE(buf && other);
	CHECK_INT_EQ(evbuffer_add(buf, "abc", 3), 0);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 50, v, 1), 1);
	memset(v[0].iov_base, 'z', 50);

	/* Longer than what was handed out. */
	bad[0] = v[0];
	bad[0].iov_len = v[0].iov_len + 1;
	CHECK_INT_EQ(evbuffer_commit_space(buf, bad, 1), -1);
	/* Not where the space starts. */
	bad[0].iov_base = (char *)v[0].iov_base + 1;
	bad[0].iov_len = 10;
	CHECK_INT_EQ(evbuffer_commit_space(buf, bad, 1), -1);
	/* Memory that never belonged to the buffer. */
	bad[0].iov_base = elsewhere;
	bad[0].iov_len = 4;
	CHECK_INT_EQ(evbuffer_commit_space(buf, bad, 1), -1);
	/* Two regions when only one was handed out. */
	bad[0] = v[0];
	bad[0].iov_len = 2;
	bad[1].iov_base = elsewhere;
	bad[1].iov_len = 2;
	CHECK_INT_EQ(evbuffer_commit_space(buf, bad, 2), -1);
	/* Space reserved in one buffer cannot be committed to another. */
	bad[0] = v[0];
	bad[0].iov_len = 3;
	CHECK_INT_EQ(evbuffer_commit_space(other, bad, 1), -1);
	CHECK_UINT_EQ(evbuffer_get_length(other), 0);
	/* None of the refused commits added anything... */
	CHECK(holds(buf, "abc", 3));
	/* ...and the reservation is still good. */
	v[0].iov_len = 3;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	CHECK(holds(buf, "abczzz", 6));

	/* Reservations that cannot be made. */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 10, v, 0), -1);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 10, v, -1), -1);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, -1, v, 1), -1);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, -1, v, 2), -1);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, EV_SSIZE_MAX, v, 1), -1);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, EV_SSIZE_MAX, v, 2), -1);
	CHECK_INT_EQ(evbuffer_reserve_space(other, EV_SSIZE_MAX, v, 1), -1);
	CHECK(holds(buf, "abczzz", 6));
	CHECK_UINT_EQ(evbuffer_get_length(other), 0);
	/* Reserving nothing in a single region still gives a region; with room for
	 * two or more regions it gives none. */
	CHECK_INT_EQ(evbuffer_reserve_space(other, 0, v, 1), 1);
	CHECK_UINT_EQ(evbuffer_get_length(other), 0);
	CHECK_INT_EQ(evbuffer_reserve_space(other, 0, v, 2), 0);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 0, v, 2), 0);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 0, v, 4), 0);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 0, v, 1), 1);
	CHECK_UINT_EQ(evbuffer_get_length(other), 0);

	/* A frozen end refuses both halves. */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 10, v, 1), 1);
	CHECK_INT_EQ(evbuffer_freeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 10, bad, 1), -1);
	memcpy(v[0].iov_base, "frozen", 6);
	v[0].iov_len = 6;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), -1);
	CHECK(holds(buf, "abczzz", 6));
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	CHECK(holds(buf, "abczzzfrozen", 12));
	evbuffer_free(buf);
	evbuffer_free(other);
}

static void test_two_regions(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_iovec one[1], v[2], again[2];
	static char want[20000];
	size_t first, second, i;

	REQUIRE(buf != NULL);
	for (i = 0; i < sizeof(want); i++)
		want[i] = (char)('a' + i % 26);
	CHECK_INT_EQ(evbuffer_add(buf, want, 3), 0);
	/* What is free after the data... */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 1, one, 1), 1);
	first = one[0].iov_len;
	REQUIRE(first >= 1 && first < 10000);
	/* ...is the first of two regions when more is asked for. */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, (ev_ssize_t)first + 3000, v, 2), 2);
	CHECK(v[0].iov_base == one[0].iov_base);
	CHECK_UINT_EQ(v[0].iov_len, first);
	CHECK(v[1].iov_len >= 3000);
	second = v[1].iov_len;
	/* Asking again gives the same two regions. */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, (ev_ssize_t)first + 3000, again, 2), 2);
	CHECK(again[0].iov_base == v[0].iov_base && again[1].iov_base == v[1].iov_base);
	CHECK(again[0].iov_len == first && again[1].iov_len == second);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 3);

	/* Fill both, commit all of the first and part of the second. */
	memcpy(v[0].iov_base, want + 3, first);
	memcpy(v[1].iov_base, want + 3 + first, 3000);
	v[1].iov_len = 2000;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 2), 0);
	CHECK(holds(buf, want, 3 + first + 2000));

	/* Two regions, only the first committed, and only partly. */
	CHECK_INT_EQ(evbuffer_drain(buf, evbuffer_get_length(buf)), 0);
	CHECK_INT_EQ(evbuffer_add(buf, want, 3), 0);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 1, one, 1), 1);
	first = one[0].iov_len;
	CHECK_INT_EQ(evbuffer_reserve_space(buf, (ev_ssize_t)first + 100, v, 2), 2);
	memcpy(v[0].iov_base, want + 3, 10);
	v[0].iov_len = 10;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	CHECK(holds(buf, want, 13));

	/* A region that is too long anywhere makes the whole commit fail. */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 1, one, 1), 1);
	first = one[0].iov_len;
	CHECK_INT_EQ(evbuffer_reserve_space(buf, (ev_ssize_t)first + 500, v, 2), 2);
	memcpy(v[0].iov_base, want + 13, first);
	memset(v[1].iov_base, '#', v[1].iov_len);
	again[0] = v[0];
	again[1] = v[1];
	again[1].iov_len = v[1].iov_len + 1;
	CHECK_INT_EQ(evbuffer_commit_space(buf, again, 2), -1);
	again[1].iov_base = (char *)v[1].iov_base + 1;
	again[1].iov_len = 1;
	CHECK_INT_EQ(evbuffer_commit_space(buf, again, 2), -1);
	CHECK(holds(buf, want, 13));
	/* The regions in the wrong order. */
	again[0] = v[1];
	again[1] = v[0];
	again[0].iov_len = again[1].iov_len = 1;
	CHECK_INT_EQ(evbuffer_commit_space(buf, again, 2), -1);
	CHECK(holds(buf, want, 13));
	v[1].iov_len = 1;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 2), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 13 + first + 1);
	{
		char *all = malloc(13 + first + 1);
		REQUIRE(all != NULL);
		CHECK_INT_EQ(evbuffer_copyout(buf, all, 13 + first + 1), (int)(13 + first + 1));
		CHECK_MEM_EQ(all, want, 13 + first);
		CHECK(all[13 + first] == '#');
		free(all);
	}
	evbuffer_free(buf);
}

static void test_many_regions(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_iovec v[8];
	static char want[40000];
	size_t total, used;
	int n, i, round;

	REQUIRE(buf != NULL);
	for (i = 0; i < (int)sizeof(want); i++)
		want[i] = (char)(i * 13 + 1);
	used = 0;
	for (round = 0; round < 6; round++) {
		ev_ssize_t ask = 1000 + round * 2500;
		size_t left;
		n = evbuffer_reserve_space(buf, ask, v, 8);
		CHECK(n >= 1 && n <= 8);
		if (n < 1)
			break;
		total = 0;
		for (i = 0; i < n; i++)
			total += v[i].iov_len;
		CHECK(total >= (size_t)ask);
		/* Fill exactly `ask` bytes, spread over the regions in order. */
		left = (size_t)ask;
		for (i = 0; i < n; i++) {
			size_t take = v[i].iov_len < left ? v[i].iov_len : left;
			memcpy(v[i].iov_base, want + used, take);
			v[i].iov_len = take;
			used += take;
			left -= take;
		}
		CHECK_INT_EQ(evbuffer_commit_space(buf, v, n), 0);
		CHECK_UINT_EQ(evbuffer_get_length(buf), used);
	}
	CHECK(holds(buf, want, used));

	/* Mixed with ordinary appends and drains. */
	CHECK_INT_EQ(evbuffer_drain(buf, 1234), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "tail", 4), 0);
	n = evbuffer_reserve_space(buf, 5, v, 2);
	CHECK(n >= 1);
	if (n >= 1) {
		CHECK(v[0].iov_len >= 1);
		memcpy(v[0].iov_base, "!", 1);
		v[0].iov_len = 1;
		CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	}
	{
		size_t len = evbuffer_get_length(buf);
		char *all = malloc(len);
		REQUIRE(all != NULL);
		CHECK_UINT_EQ(len, used - 1234 + 5);
		CHECK_INT_EQ(evbuffer_copyout(buf, all, len), (int)len);
		CHECK_MEM_EQ(all, want + 1234, used - 1234);
		CHECK_MEM_EQ(all + used - 1234, "tail!", 5);
		free(all);
	}
	evbuffer_free(buf);

	/* Into an empty buffer with two regions allowed: one region suffices. */
	buf = evbuffer_new();
	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 3000, v, 2), 1);
	CHECK(v[0].iov_len >= 3000);
	memcpy(v[0].iov_base, want, 3000);
	v[0].iov_len = 3000;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	CHECK(holds(buf, want, 3000));
	evbuffer_free(buf);
}

int main(void)
{
	test_one_region();
	test_bad_commits();
	test_two_regions();
	test_many_regions();
	return check_report();
}
