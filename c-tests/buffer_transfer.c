/* Moving bytes between evbuffers: add_buffer, prepend_buffer, remove_buffer (part
 * and all, across chunks) and sharing them with add_buffer_reference (the source
 * keeps its bytes, later changes to either side stay on that side, data shared
 * once cannot be shared again, and a buffer cannot share with itself). */
#include <event2/buffer.h>

#include <stdint.h>
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

static int holds_str(struct evbuffer *buf, const char *want)
{
	return holds(buf, want, strlen(want));
}

static struct evbuffer *with(const char *s)
{
	struct evbuffer *buf = evbuffer_new();
	REQUIRE(buf != NULL);
	REQUIRE(evbuffer_add(buf, s, strlen(s)) == 0);
	return buf;
}

/* Appends s as separate chunks of `piece` bytes each (by moving small buffers in). */
static void add_in_chunks(struct evbuffer *buf, const char *s, size_t piece)
{
	size_t len = strlen(s), at;
	for (at = 0; at < len; at += piece) {
		struct evbuffer *tmp = evbuffer_new();
		size_t n = len - at < piece ? len - at : piece;
		REQUIRE(tmp != NULL);
		REQUIRE(evbuffer_add(tmp, s + at, n) == 0);
		REQUIRE(evbuffer_add_buffer(buf, tmp) == 0);
		REQUIRE(evbuffer_get_length(tmp) == 0);
		evbuffer_free(tmp);
	}
}

static void test_add_buffer(void)
{
	struct evbuffer *a = with("first;"), *b = with("second;"), *e = evbuffer_new();

	REQUIRE(e != NULL);
	CHECK_INT_EQ(evbuffer_add_buffer(a, b), 0);
	CHECK(holds_str(a, "first;second;"));
	CHECK_UINT_EQ(evbuffer_get_length(b), 0);

	/* The emptied source keeps working. */
	CHECK_INT_EQ(evbuffer_add(b, "third;", 6), 0);
	CHECK(holds_str(b, "third;"));
	CHECK_INT_EQ(evbuffer_add_buffer(a, b), 0);
	CHECK(holds_str(a, "first;second;third;"));

	/* Moving an empty buffer is a successful no-op, in both directions. */
	CHECK_INT_EQ(evbuffer_add_buffer(a, e), 0);
	CHECK(holds_str(a, "first;second;third;"));
	CHECK_UINT_EQ(evbuffer_get_length(e), 0);

	/* Into an empty destination: it gets everything. */
	CHECK_INT_EQ(evbuffer_add_buffer(e, a), 0);
	CHECK(holds_str(e, "first;second;third;"));
	CHECK_UINT_EQ(evbuffer_get_length(a), 0);

	/* A buffer added to itself stays as it is. */
	CHECK_INT_EQ(evbuffer_add_buffer(e, e), 0);
	CHECK(holds_str(e, "first;second;third;"));

	/* Data that arrived by moving can be taken out normally. */
	CHECK_INT_EQ(evbuffer_drain(e, 6), 0);
	CHECK_INT_EQ(evbuffer_add(e, "fourth;", 7), 0);
	CHECK_INT_EQ(evbuffer_prepend(e, ">", 1), 0);
	CHECK(holds_str(e, ">second;third;fourth;"));
	evbuffer_free(a);
	evbuffer_free(b);
	evbuffer_free(e);
}

static void test_prepend_buffer(void)
{
	struct evbuffer *a = with("tail"), *b = with("head-"), *e = evbuffer_new();

	REQUIRE(e != NULL);
	CHECK_INT_EQ(evbuffer_prepend_buffer(a, b), 0);
	CHECK(holds_str(a, "head-tail"));
	CHECK_UINT_EQ(evbuffer_get_length(b), 0);

	/* An empty source changes nothing; neither does a buffer prepended to itself. */
	CHECK_INT_EQ(evbuffer_prepend_buffer(a, e), 0);
	CHECK(holds_str(a, "head-tail"));
	CHECK_INT_EQ(evbuffer_prepend_buffer(a, a), 0);
	CHECK(holds_str(a, "head-tail"));

	/* Into an empty destination. */
	CHECK_INT_EQ(evbuffer_prepend_buffer(e, a), 0);
	CHECK(holds_str(e, "head-tail"));
	CHECK_UINT_EQ(evbuffer_get_length(a), 0);

	/* Several chunks in front of several chunks keep their order. */
	add_in_chunks(a, "0123456789", 3);
	add_in_chunks(b, "abcdefghij", 4);
	CHECK_INT_EQ(evbuffer_prepend_buffer(a, b), 0);
	CHECK(holds_str(a, "abcdefghij0123456789"));
	CHECK_INT_EQ(evbuffer_add(a, "!", 1), 0);
	CHECK_INT_EQ(evbuffer_prepend(a, "?", 1), 0);
	CHECK(holds_str(a, "?abcdefghij0123456789!"));
	evbuffer_free(a);
	evbuffer_free(b);
	evbuffer_free(e);
}

static void test_remove_buffer(void)
{
	static char big[100000];
	static char out[100000];
	struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new();
	size_t i;

	REQUIRE(src && dst);
	add_in_chunks(src, "abcdefghijklmnopqrstuvwxyz", 5);
	CHECK_INT_EQ(evbuffer_remove_buffer(src, dst, 0), 0);
	CHECK_UINT_EQ(evbuffer_get_length(dst), 0);
	/* Part of the first chunk. */
	CHECK_INT_EQ(evbuffer_remove_buffer(src, dst, 2), 2);
	CHECK(holds_str(dst, "ab"));
	CHECK(holds_str(src, "cdefghijklmnopqrstuvwxyz"));
	/* Whole chunks and a part of the next. */
	CHECK_INT_EQ(evbuffer_remove_buffer(src, dst, 11), 11);
	CHECK(holds_str(dst, "abcdefghijklm"));
	CHECK(holds_str(src, "nopqrstuvwxyz"));
	/* Exactly to a chunk boundary (chunks of 5: "no" was the rest of one). */
	CHECK_INT_EQ(evbuffer_remove_buffer(src, dst, 7), 7);
	CHECK(holds_str(dst, "abcdefghijklmnopqrst"));
	CHECK(holds_str(src, "uvwxyz"));
	/* More than there is: everything, and the count of what moved. */
	CHECK_INT_EQ(evbuffer_remove_buffer(src, dst, 1000), 6);
	CHECK(holds_str(dst, "abcdefghijklmnopqrstuvwxyz"));
	CHECK_UINT_EQ(evbuffer_get_length(src), 0);
	/* From an empty buffer. */
	CHECK_INT_EQ(evbuffer_remove_buffer(src, dst, 10), 0);
	CHECK_UINT_EQ(evbuffer_get_length(dst), 26);
	/* To itself: nothing moves. */
	CHECK_INT_EQ(evbuffer_remove_buffer(dst, dst, 10), 0);
	CHECK_UINT_EQ(evbuffer_get_length(dst), 26);
	/* SIZE_MAX means everything. */
	CHECK_INT_EQ(evbuffer_remove_buffer(dst, src, SIZE_MAX), 26);
	CHECK(holds_str(src, "abcdefghijklmnopqrstuvwxyz"));
	CHECK_UINT_EQ(evbuffer_get_length(dst), 0);
	evbuffer_free(src);
	evbuffer_free(dst);

	/* A large buffer moved in odd pieces arrives intact and in order. */
	src = evbuffer_new();
	dst = evbuffer_new();
	REQUIRE(src && dst);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 251);
	for (i = 0; i < sizeof(big); i += 10000)
		REQUIRE(evbuffer_add(src, big + i, 10000) == 0);
	{
		size_t moved = 0;
		int ok = 1;
		while (evbuffer_get_length(src) > 0) {
			int n = evbuffer_remove_buffer(src, dst, 7777);
			ok &= n == (int)(sizeof(big) - moved < 7777 ? sizeof(big) - moved : 7777);
			if (n <= 0)
				break;
			moved += (size_t)n;
		}
		CHECK(ok);
		CHECK_UINT_EQ(moved, sizeof(big));
	}
	CHECK_UINT_EQ(evbuffer_get_length(dst), sizeof(big));
	REQUIRE(evbuffer_remove(dst, out, sizeof(out)) == (int)sizeof(out));
	CHECK_MEM_EQ(out, big, sizeof(big));
	evbuffer_free(src);
	evbuffer_free(dst);
}

static void test_buffer_reference(void)
{
	struct evbuffer *src = evbuffer_new(), *dst = with("dst:"), *third = evbuffer_new();
	struct evbuffer *e = evbuffer_new();
	char out[64];

	REQUIRE(src && third && e);
	add_in_chunks(src, "shared-bytes", 4);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(dst, src), 0);
	/* Both have the bytes. */
	CHECK(holds_str(dst, "dst:shared-bytes"));
	CHECK(holds_str(src, "shared-bytes"));

	/* Changing the source afterwards does not change the copy... */
	CHECK_INT_EQ(evbuffer_drain(src, 7), 0);
	CHECK_INT_EQ(evbuffer_add(src, "+more", 5), 0);
	CHECK_INT_EQ(evbuffer_prepend(src, "<", 1), 0);
	CHECK(holds_str(src, "<bytes+more"));
	CHECK(holds_str(dst, "dst:shared-bytes"));
	/* ...and changing the copy does not change the source. */
	CHECK_INT_EQ(evbuffer_add(dst, "!", 1), 0);
	CHECK_INT_EQ(evbuffer_drain(dst, 6), 0);
	CHECK(holds_str(dst, "ared-bytes!"));
	CHECK(holds_str(src, "<bytes+more"));

	/* The copy outlives its source. */
	evbuffer_free(src);
	CHECK(holds_str(dst, "ared-bytes!"));
	memset(out, 0, sizeof(out));
	CHECK_INT_EQ(evbuffer_remove(dst, out, 5), 5);
	CHECK_STR_EQ(out, "ared-");
	CHECK(evbuffer_pullup(dst, -1) != NULL);
	CHECK(holds_str(dst, "bytes!"));

	/* Sharing nothing succeeds and changes nothing, even with itself. */
	CHECK_INT_EQ(evbuffer_add_buffer_reference(dst, e), 0);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(e, e), 0);
	CHECK(holds_str(dst, "bytes!"));
	/* A buffer cannot share its bytes with itself. */
	CHECK_INT_EQ(evbuffer_add_buffer_reference(dst, dst), -1);
	CHECK(holds_str(dst, "bytes!"));

	/* Bytes that were shared into a buffer cannot be shared onward... */
	src = with("abc");
	CHECK_INT_EQ(evbuffer_add_buffer_reference(e, src), 0);
	CHECK(holds_str(e, "abc"));
	CHECK_INT_EQ(evbuffer_add_buffer_reference(third, e), -1);
	CHECK_UINT_EQ(evbuffer_get_length(third), 0);
	CHECK(holds_str(e, "abc"));
	/* ...but a source can be shared twice, and the copies move normally. */
	CHECK_INT_EQ(evbuffer_add_buffer_reference(third, src), 0);
	CHECK_INT_EQ(evbuffer_add_buffer(third, e), 0);
	CHECK(holds_str(third, "abcabc"));
	CHECK_UINT_EQ(evbuffer_get_length(e), 0);
	CHECK_INT_EQ(evbuffer_remove_buffer(third, e, 4), 4);
	CHECK(holds_str(e, "abca"));
	CHECK(holds_str(third, "bc"));
	CHECK(holds_str(src, "abc"));

	/* Once the shared data was removed, the source can be shared again. */
	CHECK_INT_EQ(evbuffer_drain(e, 100), 0);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(e, third), -1);
	CHECK_INT_EQ(evbuffer_drain(third, 100), 0);
	CHECK_INT_EQ(evbuffer_add(third, "new", 3), 0);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(e, third), 0);
	CHECK(holds_str(e, "new"));
	CHECK(holds_str(third, "new"));
	evbuffer_free(src);
	evbuffer_free(dst);
	evbuffer_free(e);
	evbuffer_free(third);
}

static void test_big_reference(void)
{
	static char big[50000];
	static char out[50000];
	struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new();
	size_t i;

	REQUIRE(src && dst);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	for (i = 0; i < sizeof(big); i += 5000)
		REQUIRE(evbuffer_add(src, big + i, 5000) == 0);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(dst, src), 0);
	CHECK_UINT_EQ(evbuffer_get_length(dst), sizeof(big));
	CHECK(holds(src, big, sizeof(big)));
	/* Adding to the source goes after its data; the copy does not see it. */
	CHECK_INT_EQ(evbuffer_add(src, "X", 1), 0);
	CHECK_UINT_EQ(evbuffer_get_length(src), sizeof(big) + 1);
	CHECK_UINT_EQ(evbuffer_get_length(dst), sizeof(big));
	evbuffer_free(src);
	CHECK_INT_EQ(evbuffer_remove(dst, out, sizeof(out)), (int)sizeof(out));
	CHECK_MEM_EQ(out, big, sizeof(big));
	evbuffer_free(dst);
}

int main(void)
{
	test_add_buffer();
	test_prepend_buffer();
	test_remove_buffer();
	test_buffer_reference();
	test_big_reference();
	return check_report();
}
