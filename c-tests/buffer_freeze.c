/* evbuffer_freeze and evbuffer_unfreeze: which operations a frozen front refuses
 * (drain, remove, copyout, prepend, readln, write, moving data out) and which a frozen
 * end refuses (add, add_reference, printf, reserve/commit, read, moving data in),
 * what still works on each (looking, the other end), operations with nothing to do,
 * and that unfreezing restores everything. */
#include <event2/buffer.h>
#include <event2/util.h>

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

static struct evbuffer *with(const char *s)
{
	struct evbuffer *buf = evbuffer_new();
	REQUIRE(buf != NULL);
	REQUIRE(evbuffer_add(buf, s, strlen(s)) == 0);
	return buf;
}

static void test_frozen_front(void)
{
	struct evbuffer *buf = with("front\nrest"), *other = with("other"), *empty = evbuffer_new();
	struct evbuffer_iovec v[2];
	struct evbuffer_ptr p;
	char out[32];
	size_t n = 5;
	int sv[2];

	REQUIRE(empty != NULL);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK_INT_EQ(evbuffer_freeze(buf, 1), 0);
	/* Taking from the front fails... */
	CHECK_INT_EQ(evbuffer_drain(buf, 1), -1);
	CHECK_INT_EQ(evbuffer_remove(buf, out, 3), -1);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, 3), -1);
	CHECK_INT_EQ(evbuffer_copyout_from(buf, NULL, out, 3), -1);
	CHECK(evbuffer_readln(buf, &n, EVBUFFER_EOL_LF) == NULL);
	CHECK_UINT_EQ(n, 0);
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), -1);
	CHECK_INT_EQ(evbuffer_write_atmost(buf, sv[0], 2), -1);
	/* ...as does moving data out of it, in any way... */
	CHECK_INT_EQ(evbuffer_add_buffer(other, buf), -1);
	CHECK_INT_EQ(evbuffer_remove_buffer(buf, other, 3), -1);
	CHECK_INT_EQ(evbuffer_prepend_buffer(other, buf), -1);
	/* ...and putting data in front. */
	CHECK_INT_EQ(evbuffer_prepend(buf, "x", 1), -1);
	CHECK_INT_EQ(evbuffer_prepend_buffer(buf, other), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 10);
	CHECK_UINT_EQ(evbuffer_get_length(other), 5);

	/* Operations with nothing to do succeed anyway. */
	CHECK_INT_EQ(evbuffer_prepend(buf, "x", 0), 0);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, 0), 0);
	CHECK_INT_EQ(evbuffer_remove_buffer(buf, other, 0), 0);
	CHECK_INT_EQ(evbuffer_prepend_buffer(buf, empty), 0);

	/* Looking is allowed, pullup included. */
	CHECK(evbuffer_pullup(buf, 5) != NULL);
	p = evbuffer_search(buf, "rest", 4, NULL);
	CHECK_INT_EQ(p.pos, 6);
	p = evbuffer_search_eol(buf, NULL, &n, EVBUFFER_EOL_LF);
	CHECK_INT_EQ(p.pos, 5);
	CHECK_INT_EQ(evbuffer_peek(buf, -1, NULL, v, 2) >= 1, 1);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 3, EVBUFFER_PTR_SET), 0);

	/* The back is not frozen: appending in every way works. */
	CHECK_INT_EQ(evbuffer_add(buf, "+", 1), 0);
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%d", 1), 1);
	CHECK_INT_EQ(evbuffer_add_reference(buf, "r", 1, NULL, NULL), 0);
	CHECK_INT_EQ(evbuffer_add_buffer(buf, other), 0);
	CHECK_UINT_EQ(evbuffer_get_length(other), 0);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 1, v, 1), 1);
	memcpy(v[0].iov_base, "!", 1);
	v[0].iov_len = 1;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	CHECK_INT_EQ(evbuffer_expand(buf, 100), 0);
	CHECK_INT_EQ(write(sv[1], "io", 2), 2);
	CHECK_INT_EQ(evbuffer_read(buf, sv[0], 10), 2);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 21);

	/* Freezing twice and unfreezing once: unfrozen. */
	CHECK_INT_EQ(evbuffer_freeze(buf, 1), 0);
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 1), 0);
	CHECK(holds_str(buf, "front\nrest+1rother!io"));
	CHECK_INT_EQ(evbuffer_prepend(buf, "<", 1), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 2), 0);
	{
		char *line = evbuffer_readln(buf, &n, EVBUFFER_EOL_LF);
		CHECK_STR_EQ(line, "ront");
		free(line);
	}
	CHECK_INT_EQ(evbuffer_remove(buf, out, 4), 4);
	CHECK_INT_EQ(evbuffer_write(buf, sv[0]), 11);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	evbuffer_free(buf);
	evbuffer_free(other);
	evbuffer_free(empty);
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
}

static void test_frozen_end(void)
{
	struct evbuffer *buf = with("data"), *other = with("other"), *empty = evbuffer_new();
	struct evbuffer_iovec v[2];
	char out[32];
	int sv[2];

	REQUIRE(empty != NULL);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 10, v, 1), 1);
	CHECK_INT_EQ(evbuffer_freeze(buf, 0), 0);
	/* Every way of appending fails, even appending nothing with evbuffer_add. */
	CHECK_INT_EQ(evbuffer_add(buf, "x", 1), -1);
	CHECK_INT_EQ(evbuffer_add(buf, "x", 0), -1);
	CHECK_INT_EQ(evbuffer_add_reference(buf, "x", 1, NULL, NULL), -1);
	CHECK_INT_EQ(evbuffer_add_printf(buf, "x"), -1);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 10, v, 1), -1);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 10, v, 2), -1);
	v[0].iov_len = 1;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), -1);
	CHECK_INT_EQ(evbuffer_add_buffer(buf, other), -1);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(buf, other), -1);
	CHECK_INT_EQ(evbuffer_remove_buffer(other, buf, 2), -1);
	CHECK_INT_EQ(write(sv[1], "io", 2), 2);
	CHECK_INT_EQ(evbuffer_read(buf, sv[0], 10), -1);
	{
		struct evbuffer_iovec add[1];
		add[0].iov_base = (void *)"vec";
		add[0].iov_len = 3;
		CHECK_UINT_EQ(evbuffer_add_iovec(buf, add, 1), 0);
	}
	CHECK(holds_str(buf, "data"));
	CHECK(holds_str(other, "other"));
	/* Moving nothing in succeeds. */
	CHECK_INT_EQ(evbuffer_add_buffer(buf, empty), 0);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(buf, empty), 0);

	/* The front still works: prepending, taking, moving out, writing. */
	CHECK_INT_EQ(evbuffer_prepend(buf, "[", 1), 0);
	CHECK_INT_EQ(evbuffer_prepend_buffer(buf, other), 0);
	CHECK(holds_str(buf, "other[data"));
	CHECK_INT_EQ(evbuffer_expand(buf, 50), 0);
	CHECK_INT_EQ(evbuffer_remove(buf, out, 2), 2);
	CHECK_INT_EQ(evbuffer_drain(buf, 1), 0);
	CHECK_INT_EQ(evbuffer_remove_buffer(buf, other, 2), 2);
	CHECK(holds_str(other, "er"));
	CHECK_INT_EQ(evbuffer_write_atmost(buf, sv[0], 1), 1);
	CHECK(holds_str(buf, "data"));
	CHECK_INT_EQ(evbuffer_add_buffer(other, buf), 0);
	CHECK(holds_str(other, "erdata"));
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);

	/* Unfrozen: appending works again. */
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "ok", 2), 0);
	CHECK_INT_EQ(evbuffer_read(buf, sv[0], 10), 2);
	CHECK(holds_str(buf, "okio"));
	evbuffer_free(buf);
	evbuffer_free(other);
	evbuffer_free(empty);
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
}

static void test_both(void)
{
	struct evbuffer *buf = with("both"), *other = with("o");
	char out[8];

	CHECK_INT_EQ(evbuffer_freeze(buf, 1), 0);
	CHECK_INT_EQ(evbuffer_freeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "x", 1), -1);
	CHECK_INT_EQ(evbuffer_prepend(buf, "x", 1), -1);
	CHECK_INT_EQ(evbuffer_drain(buf, 1), -1);
	CHECK_INT_EQ(evbuffer_remove(buf, out, 1), -1);
	CHECK_INT_EQ(evbuffer_add_buffer(buf, other), -1);
	CHECK_INT_EQ(evbuffer_add_buffer(other, buf), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 4);
	/* Unfreezing one end leaves the other frozen. */
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "x", 1), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 1), -1);
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 1), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 1), 0);
	CHECK(holds_str(buf, "othx"));
	/* Unfreezing what is not frozen is harmless. */
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 1), 0);
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 0), 0);
	CHECK(holds_str(buf, "othx"));

	/* An empty buffer with a frozen front: draining nothing still succeeds. */
	CHECK_INT_EQ(evbuffer_drain(other, 10), 0);
	CHECK_INT_EQ(evbuffer_freeze(other, 1), 0);
	CHECK_INT_EQ(evbuffer_drain(other, 10), 0);
	CHECK_INT_EQ(evbuffer_remove(other, out, 4), 0);
	CHECK_INT_EQ(evbuffer_unfreeze(other, 1), 0);
	evbuffer_free(buf);
	evbuffer_free(other);
}

int main(void)
{
	test_frozen_front();
	test_frozen_end();
	test_both();
	return check_report();
}
