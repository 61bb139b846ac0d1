/* The basic byte operations of an evbuffer: new/free, add, prepend, drain, remove,
 * copyout, copyout_from, pullup, expand, add_iovec, get_length and
 * get_contiguous_space, on empty buffers, with zero lengths, with lengths past the end
 * and with sizes so large that they must be refused without wrapping around. */
#include <event2/buffer.h>
#include <event2/util.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Nonzero when buf holds exactly the len bytes at want (checked with copyout, which
 * leaves the buffer as it is). */
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

/* A buffer made of lent pieces, so that every piece is a chunk of its own. */
static struct evbuffer *from_pieces(const char *const *pieces, int n)
{
	struct evbuffer *buf = evbuffer_new();
	int i;

	REQUIRE(buf != NULL);
	for (i = 0; i < n; i++)
		REQUIRE(evbuffer_add_reference(buf, pieces[i], strlen(pieces[i]), NULL, NULL) == 0);
	return buf;
}

static void test_empty(void)
{
	struct evbuffer *buf = evbuffer_new();
	char out[16] = "untouched";

	REQUIRE(buf != NULL);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 0);
	/* Nothing to pull up, whatever is asked for. */
	CHECK(evbuffer_pullup(buf, -1) == NULL);
	CHECK(evbuffer_pullup(buf, 0) == NULL);
	CHECK(evbuffer_pullup(buf, 1) == NULL);
	/* Taking from an empty buffer succeeds and yields nothing. */
	CHECK_INT_EQ(evbuffer_drain(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 10), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, SIZE_MAX), 0);
	CHECK_INT_EQ(evbuffer_remove(buf, out, sizeof(out)), 0);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "untouched");
	/* Adding nothing to an empty buffer works and leaves it empty. */
	CHECK_INT_EQ(evbuffer_add(buf, "", 0), 0);
	CHECK_INT_EQ(evbuffer_prepend(buf, "", 0), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 0);
	CHECK(evbuffer_pullup(buf, -1) == NULL);
	/* Preallocating does not change the length either. */
	CHECK_INT_EQ(evbuffer_expand(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_expand(buf, 100), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 0);
	CHECK_INT_EQ(evbuffer_remove(buf, out, sizeof(out)), 0);
	evbuffer_free(buf);

	/* A buffer freed without ever being used. */
	evbuffer_free(evbuffer_new());
}

static void test_add_prepend_remove(void)
{
	struct evbuffer *buf = evbuffer_new();
	char out[64];

	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_add(buf, "hello", 5), 0);
	CHECK_INT_EQ(evbuffer_add(buf, " world", 6), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 11);
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 11);
	CHECK(holds(buf, "hello world", 11));

	/* A zero-length add or prepend changes nothing. */
	CHECK_INT_EQ(evbuffer_add(buf, "zzz", 0), 0);
	CHECK_INT_EQ(evbuffer_prepend(buf, "zzz", 0), 0);
	CHECK(holds(buf, "hello world", 11));

	CHECK_INT_EQ(evbuffer_prepend(buf, "<<", 2), 0);
	CHECK(holds(buf, "<<hello world", 13));
	CHECK_INT_EQ(evbuffer_prepend(buf, "[", 1), 0);
	CHECK(holds(buf, "[<<hello world", 14));

	/* copyout copies without removing; a short request copies a prefix. */
	memset(out, 0, sizeof(out));
	CHECK_INT_EQ(evbuffer_copyout(buf, out, 4), 4);
	CHECK_STR_EQ(out, "[<<h");
	CHECK_UINT_EQ(evbuffer_get_length(buf), 14);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, 0), 0);
	/* Asking for more than there is copies what there is. */
	memset(out, 0, sizeof(out));
	CHECK_INT_EQ(evbuffer_copyout(buf, out, sizeof(out)), 14);
	CHECK_STR_EQ(out, "[<<hello world");

	/* remove copies and drains. */
	memset(out, 0, sizeof(out));
	CHECK_INT_EQ(evbuffer_remove(buf, out, 3), 3);
	CHECK_STR_EQ(out, "[<<");
	CHECK(holds(buf, "hello world", 11));
	CHECK_INT_EQ(evbuffer_remove(buf, out, 0), 0);
	CHECK(holds(buf, "hello world", 11));

	CHECK_INT_EQ(evbuffer_drain(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 6), 0);
	CHECK(holds(buf, "world", 5));

	memset(out, 0, sizeof(out));
	CHECK_INT_EQ(evbuffer_remove(buf, out, sizeof(out)), 5);
	CHECK_STR_EQ(out, "world");
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 0);

	/* The emptied buffer is as good as new. */
	CHECK_INT_EQ(evbuffer_prepend(buf, "again", 5), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "!", 1), 0);
	CHECK(holds(buf, "again!", 6));

	/* Draining more than there is empties the buffer and succeeds. */
	CHECK_INT_EQ(evbuffer_drain(buf, 1000), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "x", 1), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, SIZE_MAX), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	evbuffer_free(buf);
}

static void test_many_bytes(void)
{
	static unsigned char data[200000];
	static unsigned char out[200000];
	static const size_t steps[] = {1, 7, 100, 4095, 4096, 4097, 10000, 50000, 3, 1};
	struct evbuffer *buf = evbuffer_new();
	size_t i, total = 0, got;
	unsigned char *flat;

	REQUIRE(buf != NULL);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		CHECK_INT_EQ(evbuffer_add(buf, data + total, steps[i]), 0);
		total += steps[i];
		CHECK_UINT_EQ(evbuffer_get_length(buf), total);
	}
	CHECK(holds(buf, data, total));
	CHECK(evbuffer_get_contiguous_space(buf) >= 1);
	CHECK(evbuffer_get_contiguous_space(buf) <= total);

	/* Removing in odd-sized pieces gives back the bytes in order. */
	got = 0;
	while (evbuffer_get_length(buf) > 0) {
		int n = evbuffer_remove(buf, out + got, 3333);
		REQUIRE(n > 0);
		got += (size_t)n;
		CHECK_UINT_EQ(evbuffer_get_length(buf), total - got);
	}
	CHECK_UINT_EQ(got, total);
	CHECK_MEM_EQ(out, data, total);

	/* A big add in one go, then made contiguous. */
	CHECK_INT_EQ(evbuffer_add(buf, data, sizeof(data)), 0);
	flat = evbuffer_pullup(buf, -1);
	REQUIRE(flat != NULL);
	CHECK_MEM_EQ(flat, data, sizeof(data));
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), sizeof(data));
	CHECK_UINT_EQ(evbuffer_get_length(buf), sizeof(data));

	/* Many small prepends come out in reverse order of prepending. */
	CHECK_INT_EQ(evbuffer_drain(buf, sizeof(data)), 0);
	{
		int ok = 1;
		for (i = 0; i < 3000; i++)
			ok &= evbuffer_prepend(buf, data + i, 1) == 0;
		CHECK(ok);
		CHECK_UINT_EQ(evbuffer_get_length(buf), 3000);
		REQUIRE(evbuffer_copyout(buf, out, 3000) == 3000);
		for (i = 0; i < 3000; i++)
			ok &= out[i] == data[2999 - i];
		CHECK(ok);
	}
	/* A big prepend in front of existing data. */
	CHECK_INT_EQ(evbuffer_prepend(buf, data, 20000), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 23000);
	REQUIRE(evbuffer_copyout(buf, out, 23000) == 23000);
	CHECK_MEM_EQ(out, data, 20000);
	CHECK(out[20000] == data[2999] && out[22999] == data[0]);
	evbuffer_free(buf);
}

static void test_chunked_reads(void)
{
	static const char *const pieces[] = {"abc", "defg", "h", "ijklmnop", "qr"};
	struct evbuffer *buf = from_pieces(pieces, 5);
	struct evbuffer_ptr ptr;
	char out[32];
	size_t pos;
	int ok = 1;

	CHECK(holds(buf, "abcdefghijklmnopqr", 18));
	/* The first chunk is one lent piece. */
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 3);

	/* copyout_from at every position, with more asked for than is left. */
	for (pos = 0; pos <= 18; pos++) {
		memset(out, 0, sizeof(out));
		REQUIRE(evbuffer_ptr_set(buf, &ptr, pos, EVBUFFER_PTR_SET) == 0);
		ok &= evbuffer_copyout_from(buf, &ptr, out, sizeof(out)) == (ev_ssize_t)(18 - pos);
		ok &= strcmp(out, "abcdefghijklmnopqr" + pos) == 0;
		memset(out, 0, sizeof(out));
		ok &= evbuffer_copyout_from(buf, &ptr, out, 2) == (pos <= 16 ? 2 : (ev_ssize_t)(18 - pos));
		ok &= strncmp(out, "abcdefghijklmnopqr" + pos, 2) == 0;
	}
	CHECK(ok);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 18);

	/* copyout_from with a NULL position starts at the front. */
	memset(out, 0, sizeof(out));
	CHECK_INT_EQ(evbuffer_copyout_from(buf, NULL, out, 5), 5);
	CHECK_STR_EQ(out, "abcde");

	/* A length that would overflow together with the position is refused. */
	REQUIRE(evbuffer_ptr_set(buf, &ptr, 4, EVBUFFER_PTR_SET) == 0);
	CHECK_INT_EQ(evbuffer_copyout_from(buf, &ptr, out, SIZE_MAX), -1);
	CHECK_INT_EQ(evbuffer_copyout_from(buf, &ptr, out, (size_t)EV_SSIZE_MAX), -1);
	REQUIRE(evbuffer_ptr_set(buf, &ptr, 0, EVBUFFER_PTR_SET) == 0);
	CHECK_INT_EQ(evbuffer_copyout_from(buf, &ptr, out, (size_t)EV_SSIZE_MAX + 1), -1);
	/* Without a position, any length is clamped to the contents. */
	CHECK_INT_EQ(evbuffer_copyout(buf, out, SIZE_MAX), 18);

	/* Draining across chunk boundaries. */
	CHECK_INT_EQ(evbuffer_drain(buf, 5), 0);
	CHECK(holds(buf, "fghijklmnopqr", 13));
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 2);
	CHECK_INT_EQ(evbuffer_drain(buf, 3), 0);
	CHECK(holds(buf, "ijklmnopqr", 10));
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 8);
	memset(out, 0, sizeof(out));
	CHECK_INT_EQ(evbuffer_remove(buf, out, 9), 9);
	CHECK_STR_EQ(out, "ijklmnopq");
	CHECK(holds(buf, "r", 1));
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 1);
	evbuffer_free(buf);
}

static void test_pullup(void)
{
	static const char *const pieces[] = {"abc", "defg", "h", "ijklmnop", "qr"};
	struct evbuffer *buf = from_pieces(pieces, 5);
	unsigned char *p;

	/* Already contiguous: the lent memory itself comes back. */
	p = evbuffer_pullup(buf, 2);
	CHECK(p == (const unsigned char *)pieces[0]);
	p = evbuffer_pullup(buf, 3);
	CHECK(p == (const unsigned char *)pieces[0]);
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 3);

	/* Across chunks: the bytes are joined, the contents do not change. */
	p = evbuffer_pullup(buf, 6);
	REQUIRE(p != NULL);
	CHECK_MEM_EQ(p, "abcdef", 6);
	CHECK(evbuffer_get_contiguous_space(buf) >= 6);
	CHECK(holds(buf, "abcdefghijklmnopqr", 18));

	/* More than there is: NULL, and nothing changes. */
	CHECK(evbuffer_pullup(buf, 19) == NULL);
	CHECK(evbuffer_pullup(buf, EV_SSIZE_MAX) == NULL);
	CHECK(evbuffer_pullup(buf, 0) == NULL);
	CHECK(holds(buf, "abcdefghijklmnopqr", 18));

	/* Exactly everything, and -1 for everything. */
	p = evbuffer_pullup(buf, 18);
	REQUIRE(p != NULL);
	CHECK_MEM_EQ(p, "abcdefghijklmnopqr", 18);
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 18);
	p = evbuffer_pullup(buf, -1);
	REQUIRE(p != NULL);
	CHECK_MEM_EQ(p, "abcdefghijklmnopqr", 18);

	/* The buffer still works normally afterwards. */
	CHECK_INT_EQ(evbuffer_add(buf, "st", 2), 0);
	CHECK_INT_EQ(evbuffer_prepend(buf, "_", 1), 0);
	CHECK(holds(buf, "_abcdefghijklmnopqrst", 21));
	p = evbuffer_pullup(buf, -1);
	REQUIRE(p != NULL);
	CHECK_MEM_EQ(p, "_abcdefghijklmnopqrst", 21);
	evbuffer_free(buf);
}

static void test_expand(void)
{
	static char data[5000];
	struct evbuffer *buf = evbuffer_new();

	REQUIRE(buf != NULL);
	memset(data, 'e', sizeof(data));
	CHECK_INT_EQ(evbuffer_expand(buf, 5000), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_INT_EQ(evbuffer_add(buf, data, 5000), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 5000);
	/* Space reserved with expand is used by the next add: one chunk. */
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 5000);

	CHECK_INT_EQ(evbuffer_expand(buf, 100000), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 5000);
	CHECK(holds(buf, data, 5000));

	/* Sizes no chunk can have are refused and change nothing. */
	CHECK_INT_EQ(evbuffer_expand(buf, SIZE_MAX), -1);
	CHECK_INT_EQ(evbuffer_expand(buf, SIZE_MAX - 100), -1);
	CHECK_INT_EQ(evbuffer_expand(buf, (size_t)EV_SSIZE_MAX + 1), -1);
	CHECK(holds(buf, data, 5000));
	evbuffer_free(buf);

	buf = evbuffer_new();
	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_expand(buf, SIZE_MAX), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "ok", 2), 0);
	CHECK(holds(buf, "ok", 2));
	evbuffer_free(buf);
}

static void test_huge_sizes(void)
{
	static const char one[4] = "abc";
	struct evbuffer *buf = evbuffer_new();

	REQUIRE(buf != NULL);
	/* On an empty buffer: no chunk that large can exist. */
	CHECK_INT_EQ(evbuffer_add(buf, one, SIZE_MAX), -1);
	CHECK_INT_EQ(evbuffer_prepend(buf, one, SIZE_MAX), -1);
	CHECK_INT_EQ(evbuffer_add(buf, one, (size_t)EV_SSIZE_MAX + 1), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);

	/* With one byte present, the total length would wrap around. */
	CHECK_INT_EQ(evbuffer_add(buf, one, 1), 0);
	CHECK_INT_EQ(evbuffer_add(buf, one, SIZE_MAX), -1);
	CHECK_INT_EQ(evbuffer_add(buf, one, SIZE_MAX - 1), -1);
	CHECK_INT_EQ(evbuffer_prepend(buf, one, SIZE_MAX), -1);
	CHECK_INT_EQ(evbuffer_prepend(buf, one, SIZE_MAX - 1), -1);
	CHECK_INT_EQ(evbuffer_add(buf, one, (size_t)EV_SSIZE_MAX), -1);
	CHECK(holds(buf, "a", 1));

	/* The failures left the buffer usable. */
	CHECK_INT_EQ(evbuffer_add(buf, "bc", 2), 0);
	CHECK_INT_EQ(evbuffer_prepend(buf, "_", 1), 0);
	CHECK(holds(buf, "_abc", 4));
	CHECK(evbuffer_pullup(buf, 5) == NULL);
	CHECK(evbuffer_pullup(buf, EV_SSIZE_MAX) == NULL);
	evbuffer_free(buf);
}

static void test_add_iovec(void)
{
	static char big[9000];
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_iovec vec[4];
	size_t i;

	REQUIRE(buf != NULL);
	vec[0].iov_base = (void *)"ab";
	vec[0].iov_len = 2;
	vec[1].iov_base = (void *)"zz";
	vec[1].iov_len = 0;
	vec[2].iov_base = (void *)"cde";
	vec[2].iov_len = 3;
	CHECK_UINT_EQ(evbuffer_add_iovec(buf, vec, 3), 5);
	CHECK(holds(buf, "abcde", 5));
	/* No vectors: nothing added. */
	CHECK_UINT_EQ(evbuffer_add_iovec(buf, vec, 0), 0);
	CHECK(holds(buf, "abcde", 5));

	/* Several vectors bigger than a chunk. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('0' + i % 10);
	vec[0].iov_base = big;
	vec[0].iov_len = 3000;
	vec[1].iov_base = big + 3000;
	vec[1].iov_len = 3000;
	vec[2].iov_base = big + 6000;
	vec[2].iov_len = 2999;
	vec[3].iov_base = big + 8999;
	vec[3].iov_len = 1;
	CHECK_INT_EQ(evbuffer_drain(buf, 5), 0);
	CHECK_UINT_EQ(evbuffer_add_iovec(buf, vec, 4), 9000);
	CHECK(holds(buf, big, 9000));

	/* A vector too large to add: nothing is added. */
	vec[0].iov_base = big;
	vec[0].iov_len = SIZE_MAX;
	CHECK_UINT_EQ(evbuffer_add_iovec(buf, vec, 1), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 9000);
	evbuffer_free(buf);
}

int main(void)
{
	test_empty();
	test_add_prepend_remove();
	test_many_bytes();
	test_chunked_reads();
	test_pullup();
	test_expand();
	test_huge_sizes();
	test_add_iovec();
	return check_report();
}
