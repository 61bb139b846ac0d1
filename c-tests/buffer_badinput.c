/* Odd but legal arguments to evbuffer functions: NULL data with zero lengths,
 * negative sizes other than -1 (meaning "all" where -1 does, refused where sizes must
 * be positive), positions that say "not found" used as starts and ends, NULL vectors
 * with zero counts, and sizes at the limits of what a chunk can hold. */
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/util.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static int holds_str(struct evbuffer *buf, const char *want)
{
	size_t len = strlen(want);
	char tmp[256];
	if (evbuffer_get_length(buf) != len || len > sizeof(tmp))
		return 0;
	return evbuffer_copyout(buf, tmp, len) == (ev_ssize_t)len && memcmp(tmp, want, len) == 0;
}

static void test_null_with_zero(void)
{
	struct evbuffer *buf = evbuffer_new(), *empty = evbuffer_new();
	struct evbuffer_ptr p;

	REQUIRE(buf && empty);
	/* Zero bytes from nowhere, into an empty buffer and a full one. */
	CHECK_INT_EQ(evbuffer_add(empty, NULL, 0), 0);
	CHECK_INT_EQ(evbuffer_prepend(empty, NULL, 0), 0);
	CHECK_UINT_EQ(evbuffer_get_length(empty), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "data", 4), 0);
	CHECK_INT_EQ(evbuffer_add(buf, NULL, 0), 0);
	CHECK_INT_EQ(evbuffer_prepend(buf, NULL, 0), 0);
	/* Zero bytes to nowhere. */
	CHECK_INT_EQ(evbuffer_copyout(buf, NULL, 0), 0);
	CHECK_INT_EQ(evbuffer_remove(buf, NULL, 0), 0);
	CHECK_INT_EQ(evbuffer_copyout_from(buf, NULL, NULL, 0), 0);
	CHECK_INT_EQ(evbuffer_copyout(empty, NULL, 10), 0);
	CHECK_INT_EQ(evbuffer_remove(empty, NULL, 10), 0);
	CHECK(holds_str(buf, "data"));
	/* An empty needle given as NULL. */
	p = evbuffer_search(buf, NULL, 0, NULL);
	CHECK_INT_EQ(p.pos, 0);
	CHECK(evbuffer_find(buf, NULL, 0) == NULL);
	/* No vectors. */
	CHECK_UINT_EQ(evbuffer_add_iovec(buf, NULL, 0), 0);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 10, NULL, 0), -1);
	CHECK_INT_EQ(evbuffer_commit_space(buf, NULL, 0), 0);
	CHECK_INT_EQ(evbuffer_peek(buf, -1, NULL, NULL, 0), 1);
	CHECK(holds_str(buf, "data"));
	/* A zero-length loan of nothing. */
	CHECK_INT_EQ(evbuffer_add_reference(buf, NULL, 0, NULL, NULL), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "!", 1), 0);
	CHECK(holds_str(buf, "data!"));
	evbuffer_free(buf);
	evbuffer_free(empty);
}

static void test_negative_sizes(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_iovec v[4];
	unsigned char *p;
	int sv[2];

	REQUIRE(buf != NULL);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE(evutil_make_socket_nonblocking(sv[0]) == 0);
	CHECK_INT_EQ(evbuffer_add_reference(buf, "abc", 3, NULL, NULL), 0);
	CHECK_INT_EQ(evbuffer_add_reference(buf, "def", 3, NULL, NULL), 0);
	/* Any negative size means "everything" for pullup and peek... */
	p = evbuffer_pullup(buf, -5);
	REQUIRE(p != NULL);
	CHECK_MEM_EQ(p, "abcdef", 6);
	CHECK(evbuffer_pullup(buf, EV_SSIZE_MIN) != NULL);
	CHECK_INT_EQ(evbuffer_peek(buf, -100, NULL, v, 4), 1);
	CHECK_UINT_EQ(v[0].iov_len, 6);
	/* ...and for reads and writes. */
	CHECK_INT_EQ(write(sv[1], "xyz", 3), 3);
	CHECK_INT_EQ(evbuffer_read(buf, sv[0], -7), 3);
	CHECK(holds_str(buf, "abcdefxyz"));
	CHECK_INT_EQ(evbuffer_write_atmost(buf, sv[1], -3), 9);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	/* Reserving a negative amount is refused. */
	CHECK_INT_EQ(evbuffer_reserve_space(buf, -5, v, 1), -1);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, EV_SSIZE_MIN, v, 2), -1);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 1, v, -3), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
	evbuffer_free(buf);
}

static void test_not_found_positions(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_iovec v[4];
	struct evbuffer_ptr missing, start, p;
	size_t eol_len = 5;

	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_add(buf, "line\nline\n", 10), 0);
	missing = evbuffer_search(buf, "absent", 6, NULL);
	REQUIRE(missing.pos == -1);
	/* A "not found" position as a start finds and shows nothing. */
	p = evbuffer_search(buf, "line", 4, &missing);
	CHECK_INT_EQ(p.pos, -1);
	p = evbuffer_search_eol(buf, &missing, &eol_len, EVBUFFER_EOL_LF);
	CHECK_INT_EQ(p.pos, -1);
	CHECK_UINT_EQ(eol_len, 0);
	CHECK_INT_EQ(evbuffer_peek(buf, -1, &missing, v, 4), 0);
	/* ...and as an end, nothing can end before it. */
	REQUIRE(evbuffer_ptr_set(buf, &start, 0, EVBUFFER_PTR_SET) == 0);
	p = evbuffer_search_range(buf, "line", 4, &start, &missing);
	CHECK_INT_EQ(p.pos, -1);
	/* It cannot be moved, but it can be set again. */
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &missing, 1, EVBUFFER_PTR_ADD), -1);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &missing, 5, EVBUFFER_PTR_SET), 0);
	p = evbuffer_search(buf, "line", 4, &missing);
	CHECK_INT_EQ(p.pos, 5);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 10);
	evbuffer_free(buf);
}

static void test_limits(void)
{
	struct evbuffer *buf = evbuffer_new(), *other = evbuffer_new();
	static const char bytes[8] = "limits!";

	REQUIRE(buf && other);
	CHECK_INT_EQ(evbuffer_add(buf, bytes, 7), 0);
	/* Everything huge is refused and the contents survive each refusal. */
	CHECK_INT_EQ(evbuffer_add(buf, bytes, SIZE_MAX - 6), -1);
	CHECK_INT_EQ(evbuffer_add(buf, bytes, SIZE_MAX - 7), -1);
	CHECK_INT_EQ(evbuffer_add(buf, bytes, (size_t)EV_SSIZE_MAX - 7), -1);
	CHECK_INT_EQ(evbuffer_prepend(buf, bytes, SIZE_MAX - 6), -1);
	CHECK_INT_EQ(evbuffer_expand(buf, SIZE_MAX - 6), -1);
	CHECK_INT_EQ(evbuffer_expand(buf, (size_t)EV_SSIZE_MAX), -1);
	CHECK(evbuffer_pullup(buf, 8) == NULL);
	CHECK(evbuffer_pullup(buf, EV_SSIZE_MAX) == NULL);
	CHECK(holds_str(buf, "limits!"));
	/* Sizes that merely exceed the contents are clamped. */
	CHECK_INT_EQ(evbuffer_remove_buffer(buf, other, SIZE_MAX), 7);
	CHECK(holds_str(other, "limits!"));
	CHECK_INT_EQ(evbuffer_drain(other, SIZE_MAX), 0);
	CHECK_UINT_EQ(evbuffer_get_length(other), 0);
	/* After all that, ordinary use. */
	CHECK_INT_EQ(evbuffer_add(buf, "ok", 2), 0);
	CHECK(holds_str(buf, "ok"));
	evbuffer_free(buf);
	evbuffer_free(other);
}

int main(void)
{
	test_null_with_zero();
	test_negative_sizes();
	test_not_found_positions();
	test_limits();
	return check_report();
}
