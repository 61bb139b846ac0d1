/* Callbacks deferred to an event loop with evbuffer_defer_callbacks: nothing runs
 * until the loop does, the changes in between arrive as one coalesced
 * evbuffer_cb_info, disabled and removed callbacks stay silent, a callback that
 * changes its buffer is told again on a later pass, several buffers share a base,
 * the legacy evbuffer_setcb callback is deferred too, and a change made just before
 * evbuffer_free is still reported by the loop. */
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/event.h>

#include <string.h>

#include "check.h"

struct log {
	int calls;
	struct evbuffer_cb_info last;
	size_t len_then;
};

static void log_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct log *l = arg;
	l->calls++;
	l->last = *info;
	l->len_then = evbuffer_get_length(buf);
}

static int last_is(const struct log *l, size_t orig, size_t added, size_t deleted)
{
	return l->last.orig_size == orig && l->last.n_added == added &&
	    l->last.n_deleted == deleted;
}

static void run(struct event_base *base)
{
	int i;
	/* A few non-blocking passes: enough for work that queues more work. */
	for (i = 0; i < 3; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void test_coalesced(struct event_base *base)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_cb_entry *off;
	struct log l, quiet;
	char out[4];

	REQUIRE(buf != NULL);
	memset(&l, 0, sizeof(l));
	memset(&quiet, 0, sizeof(quiet));
	CHECK_INT_EQ(evbuffer_defer_callbacks(buf, base), 0);
	REQUIRE(evbuffer_add_cb(buf, log_cb, &l) != NULL);
	off = evbuffer_add_cb(buf, log_cb, &quiet);
	REQUIRE(off != NULL);
	CHECK_INT_EQ(evbuffer_cb_clear_flags(buf, off, EVBUFFER_CB_ENABLED), 0);

	CHECK_INT_EQ(evbuffer_add(buf, "hello", 5), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 2), 0);
	CHECK_INT_EQ(evbuffer_prepend(buf, "x", 1), 0);
	CHECK_INT_EQ(evbuffer_remove(buf, out, 1), 1);
	CHECK_INT_EQ(evbuffer_add(buf, "!", 1), 0);
	/* Nothing yet. */
	CHECK_INT_EQ(l.calls, 0);
	run(base);
	/* One call for everything: 0 -> 4 bytes, 7 added and 3 deleted. */
	CHECK_INT_EQ(l.calls, 1);
	CHECK(last_is(&l, 0, 7, 3));
	CHECK_UINT_EQ(l.len_then, 4);
	CHECK_INT_EQ(quiet.calls, 0);
	/* Nothing new: nothing more. */
	run(base);
	CHECK_INT_EQ(l.calls, 1);

	/* The next change starts a new count. */
	CHECK_INT_EQ(evbuffer_drain(buf, 4), 0);
	CHECK_INT_EQ(l.calls, 1);
	run(base);
	CHECK_INT_EQ(l.calls, 2);
	CHECK(last_is(&l, 4, 0, 4));

	/* Changes that cancel out are still reported. */
	CHECK_INT_EQ(evbuffer_add(buf, "abc", 3), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 3), 0);
	run(base);
	CHECK_INT_EQ(l.calls, 3);
	CHECK(last_is(&l, 0, 3, 3));
	CHECK_INT_EQ(quiet.calls, 0);

	/* Re-enabled, the other callback hears only of changes after the last run. */
	CHECK_INT_EQ(evbuffer_cb_set_flags(buf, off, EVBUFFER_CB_ENABLED), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "z", 1), 0);
	run(base);
	CHECK_INT_EQ(quiet.calls, 1);
	CHECK(last_is(&quiet, 0, 1, 0));
	CHECK_INT_EQ(l.calls, 4);

	/* A callback removed before the loop runs is not called. */
	CHECK_INT_EQ(evbuffer_add(buf, "y", 1), 0);
	CHECK_INT_EQ(evbuffer_remove_cb(buf, log_cb, &l), 0);
	run(base);
	CHECK_INT_EQ(l.calls, 4);
	CHECK_INT_EQ(quiet.calls, 2);
	CHECK(last_is(&quiet, 1, 1, 0));
	evbuffer_free(buf);
}

static void grow_once(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct log *l = arg;
	l->calls++;
	l->last = *info;
	if (l->calls == 1)
		evbuffer_add(buf, "more", 4);
}

static void test_changing_callback(struct event_base *base)
{
	struct evbuffer *buf = evbuffer_new();
	struct log l;

	REQUIRE(buf != NULL);
	memset(&l, 0, sizeof(l));
	CHECK_INT_EQ(evbuffer_defer_callbacks(buf, base), 0);
	REQUIRE(evbuffer_add_cb(buf, grow_once, &l) != NULL);
	CHECK_INT_EQ(evbuffer_add(buf, "ab", 2), 0);
	CHECK_INT_EQ(l.calls, 0);
	/* The add inside the callback is not reported from inside the callback. */
	run(base);
	CHECK_INT_EQ(l.calls, 2);
	CHECK(last_is(&l, 2, 4, 0));
	CHECK_UINT_EQ(evbuffer_get_length(buf), 6);
	evbuffer_free(buf);
}

static void legacy_cb(struct evbuffer *buf, size_t old_len, size_t new_len, void *arg)
{
	size_t *seen = arg;
	(void)buf;
	seen[0]++;
	seen[1] = old_len;
	seen[2] = new_len;
}

static void test_two_buffers(struct event_base *base)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct log la;
	size_t seen[3] = {0, 0, 0};

	REQUIRE(a && b);
	memset(&la, 0, sizeof(la));
	CHECK_INT_EQ(evbuffer_defer_callbacks(a, base), 0);
	CHECK_INT_EQ(evbuffer_defer_callbacks(b, base), 0);
	REQUIRE(evbuffer_add_cb(a, log_cb, &la) != NULL);
	CHECK_INT_EQ(evbuffer_setcb(b, legacy_cb, seen), 0);

	CHECK_INT_EQ(evbuffer_add(a, "0123456789", 10), 0);
	CHECK_INT_EQ(evbuffer_remove_buffer(a, b, 4), 4);
	CHECK_INT_EQ(evbuffer_add(b, "xy", 2), 0);
	CHECK_INT_EQ(la.calls, 0);
	CHECK_UINT_EQ(seen[0], 0);
	run(base);
	CHECK_INT_EQ(la.calls, 1);
	CHECK(last_is(&la, 0, 10, 4));
	/* The legacy callback gets the old and new length. */
	CHECK_UINT_EQ(seen[0], 1);
	CHECK_UINT_EQ(seen[1], 0);
	CHECK_UINT_EQ(seen[2], 6);

	CHECK_INT_EQ(evbuffer_drain(b, 5), 0);
	run(base);
	CHECK_UINT_EQ(seen[0], 2);
	CHECK_UINT_EQ(seen[1], 6);
	CHECK_UINT_EQ(seen[2], 1);
	CHECK_INT_EQ(la.calls, 1);
	evbuffer_free(a);
	evbuffer_free(b);
}

static void test_free_pending(struct event_base *base)
{
	struct evbuffer *buf = evbuffer_new();
	struct log l;

	REQUIRE(buf != NULL);
	memset(&l, 0, sizeof(l));
	CHECK_INT_EQ(evbuffer_defer_callbacks(buf, base), 0);
	REQUIRE(evbuffer_add_cb(buf, log_cb, &l) != NULL);
	CHECK_INT_EQ(evbuffer_add(buf, "last words", 10), 0);
	/* Freed with a report pending: the loop still delivers it, then the buffer
	 * is really gone. */
	evbuffer_free(buf);
	CHECK_INT_EQ(l.calls, 0);
	run(base);
	CHECK_INT_EQ(l.calls, 1);
	CHECK(last_is(&l, 0, 10, 0));
	CHECK_UINT_EQ(l.len_then, 10);
	run(base);
	CHECK_INT_EQ(l.calls, 1);

	/* Freed with nothing pending: nothing is called. */
	buf = evbuffer_new();
	REQUIRE(buf != NULL);
	memset(&l, 0, sizeof(l));
	CHECK_INT_EQ(evbuffer_defer_callbacks(buf, base), 0);
	REQUIRE(evbuffer_add_cb(buf, log_cb, &l) != NULL);
	CHECK_INT_EQ(evbuffer_add(buf, "x", 1), 0);
	run(base);
	CHECK_INT_EQ(l.calls, 1);
	evbuffer_free(buf);
	run(base);
	CHECK_INT_EQ(l.calls, 1);
}

int main(void)
{
	struct event_base *base = event_base_new();

	REQUIRE(base != NULL);
	test_coalesced(base);
	test_changing_callback(base);
	test_two_buffers(base);
	test_free_pending(base);
	event_base_free(base);
	return check_report();
}
