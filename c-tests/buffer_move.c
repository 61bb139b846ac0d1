/* Moving data between buffers (add_buffer, remove_buffer, prepend_buffer), sharing it
 * (add_buffer_reference), lending memory (add_reference and its cleanup, called once),
 * and reserve/commit with one and several iovecs. */
#include <event2/buffer.h>

#include <string.h>

#include "check.h"

static char text[10000];

static void fill_text(void)
{
	size_t i;
	for (i = 0; i < sizeof(text); i++)
		text[i] = (char)('A' + i % 23);
}

static int contents_equal(struct evbuffer *buf, const char *want, size_t len)
{
	static char out[sizeof(text) * 3];
	if (evbuffer_get_length(buf) != len)
		return 0;
	if (evbuffer_copyout(buf, out, len) != (ev_ssize_t)len)
		return 0;
	return memcmp(out, want, len) == 0;
}

static void test_add_remove_prepend_buffer(void)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();

	evbuffer_add(a, text, 3000);
	evbuffer_add(b, text + 3000, 3000);
	CHECK_INT_EQ(evbuffer_add_buffer(a, b), 0);
	CHECK(contents_equal(a, text, 6000));
	CHECK_UINT_EQ(evbuffer_get_length(b), 0);
	/* moving from an empty buffer, or a buffer to itself, does nothing */
	CHECK_INT_EQ(evbuffer_add_buffer(a, b), 0);
	CHECK_INT_EQ(evbuffer_add_buffer(a, a), 0);
	CHECK_UINT_EQ(evbuffer_get_length(a), 6000);

	/* partial moves split a chunk; whole ones are relinked */
	CHECK_INT_EQ(evbuffer_remove_buffer(a, b, 100), 100);
	CHECK(contents_equal(b, text, 100));
	CHECK_INT_EQ(evbuffer_remove_buffer(a, b, 4000), 4000);
	CHECK(contents_equal(b, text, 4100));
	CHECK(contents_equal(a, text + 4100, 1900));
	CHECK_INT_EQ(evbuffer_remove_buffer(a, b, 0), 0);
	CHECK_INT_EQ(evbuffer_remove_buffer(a, b, 1000000), 1900);
	CHECK(contents_equal(b, text, 6000));
	CHECK_UINT_EQ(evbuffer_get_length(a), 0);
	CHECK_INT_EQ(evbuffer_remove_buffer(a, b, 10), 0);

	/* prepend_buffer puts all of the source in front */
	evbuffer_add(a, text + 6000, 10);
	CHECK_INT_EQ(evbuffer_remove_buffer(b, a, 6000), 6000);
	CHECK_INT_EQ(evbuffer_prepend_buffer(b, a), 0);
	CHECK(contents_equal(b, text + 6000, 10) == 0);
	CHECK_UINT_EQ(evbuffer_get_length(a), 0);
	CHECK_UINT_EQ(evbuffer_get_length(b), 6010);
	evbuffer_drain(b, 6010);
	evbuffer_add(b, "tail", 4);
	evbuffer_add(a, "head-", 5);
	CHECK_INT_EQ(evbuffer_prepend_buffer(b, a), 0);
	CHECK(contents_equal(b, "head-tail", 9));

	/* frozen ends refuse */
	evbuffer_add(a, "x", 1);
	evbuffer_freeze(b, 0);
	CHECK_INT_EQ(evbuffer_add_buffer(b, a), -1);
	CHECK_INT_EQ(evbuffer_remove_buffer(a, b, 1), -1);
	evbuffer_unfreeze(b, 0);
	evbuffer_freeze(a, 1);
	CHECK_INT_EQ(evbuffer_add_buffer(b, a), -1);
	CHECK_INT_EQ(evbuffer_prepend_buffer(b, a), -1);
	evbuffer_unfreeze(a, 1);
	CHECK_INT_EQ(evbuffer_add_buffer(b, a), 0);
	CHECK(contents_equal(b, "head-tailx", 10));
	evbuffer_free(a);
	evbuffer_free(b);
}

static void test_buffer_reference(void)
{
	struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new();

	evbuffer_add(src, text, 5000);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(dst, src), 0);
	CHECK(contents_equal(dst, text, 5000));
	CHECK(contents_equal(src, text, 5000));
	/* both go on independently */
	evbuffer_drain(dst, 1000);
	CHECK(contents_equal(src, text, 5000));
	evbuffer_add(src, text + 5000, 10);
	CHECK(contents_equal(src, text, 5010));
	CHECK(contents_equal(dst, text + 1000, 4000));
	evbuffer_drain(src, 5010);
	CHECK(contents_equal(dst, text + 1000, 4000));
	/* a buffer cannot share with itself */
	CHECK_INT_EQ(evbuffer_add_buffer_reference(dst, dst), -1);
	evbuffer_free(src);
	CHECK(contents_equal(dst, text + 1000, 4000));
	evbuffer_free(dst);
}

struct cleanup_record {
	int calls;
	const void *data;
	size_t len;
};

static void record_cleanup(const void *data, size_t len, void *arg)
{
	struct cleanup_record *r = arg;
	r->calls++;
	r->data = data;
	r->len = len;
}

static void test_reference(void)
{
	static const char lent[] = "borrowed bytes";
	struct cleanup_record r1 = {0, NULL, 0}, r2 = {0, NULL, 0}, r3 = {0, NULL, 0};
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	char out[32];

	/* cleanup when the last byte is drained */
	CHECK_INT_EQ(evbuffer_add_reference(a, lent, 14, record_cleanup, &r1), 0);
	evbuffer_add(a, "!", 1);
	CHECK(contents_equal(a, "borrowed bytes!", 15));
	evbuffer_drain(a, 13);
	CHECK_INT_EQ(r1.calls, 0);
	evbuffer_drain(a, 1);
	CHECK_INT_EQ(r1.calls, 1);
	CHECK(r1.data == lent);
	CHECK_UINT_EQ(r1.len, 14);
	evbuffer_drain(a, 1);
	CHECK_INT_EQ(r1.calls, 1);

	/* cleanup after the data moved to another buffer and was removed there */
	CHECK_INT_EQ(evbuffer_add_reference(a, lent, 8, record_cleanup, &r2), 0);
	CHECK_INT_EQ(evbuffer_add_buffer(b, a), 0);
	CHECK_INT_EQ(r2.calls, 0);
	CHECK_INT_EQ(evbuffer_remove(b, out, sizeof(out)), 8);
	CHECK_MEM_EQ(out, "borrowed", 8);
	CHECK_INT_EQ(r2.calls, 1);

	/* cleanup when the buffer is freed; none when the buffer refuses the data */
	CHECK_INT_EQ(evbuffer_add_reference(a, lent, 14, record_cleanup, &r3), 0);
	evbuffer_freeze(b, 0);
	CHECK_INT_EQ(evbuffer_add_reference(b, lent, 14, record_cleanup, &r3), -1);
	evbuffer_unfreeze(b, 0);
	/* no cleanup function is fine too */
	CHECK_INT_EQ(evbuffer_add_reference(b, lent, 3, NULL, NULL), 0);
	CHECK(contents_equal(b, "bor", 3));
	evbuffer_free(b);
	CHECK_INT_EQ(r3.calls, 0);
	evbuffer_free(a);
	CHECK_INT_EQ(r3.calls, 1);
}

static void test_reserve_commit(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_iovec v[4], again[4];
	int n, i;
	size_t total;

	/* one region: contiguous and big enough */
	n = evbuffer_reserve_space(buf, 3000, v, 1);
	CHECK_INT_EQ(n, 1);
	CHECK(v[0].iov_len >= 3000);
	/* reserving again before committing gives the same space */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 3000, again, 1), 1);
	CHECK(again[0].iov_base == v[0].iov_base);
	memcpy(v[0].iov_base, text, 10);
	v[0].iov_len = 10;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	CHECK(contents_equal(buf, text, 10));

	/* several regions */
	n = evbuffer_reserve_space(buf, 9000, v, 4);
	CHECK(n >= 1 && n <= 4);
	total = 0;
	for (i = 0; i < n; i++)
		total += v[i].iov_len;
	CHECK(total >= 9000);
	total = 0;
	for (i = 0; i < n && total < 9000; i++) {
		size_t take = v[i].iov_len < 9000 - total ? v[i].iov_len : 9000 - total;
		memcpy(v[i].iov_base, text + 10 + total, take);
		v[i].iov_len = take;
		total += take;
	}
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, i), 0);
	CHECK(contents_equal(buf, text, 9010));

	/* bad commits: too long, wrong pointer, negative count; none changes the buffer */
	n = evbuffer_reserve_space(buf, 100, v, 1);
	CHECK_INT_EQ(n, 1);
	v[0].iov_len += 1;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), -1);
	v[0].iov_len = 5;
	v[0].iov_base = (char *)v[0].iov_base + 1;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), -1);
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 0), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 9010);

	/* bad reservations */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 10, v, 0), -1);
	evbuffer_freeze(buf, 0);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 10, v, 1), -1);
	evbuffer_unfreeze(buf, 0);
	evbuffer_free(buf);
}

int main(void)
{
	fill_text();
	test_add_remove_prepend_buffer();
	test_buffer_reference();
	test_reference();
	test_reserve_commit();
	return check_report();
}
