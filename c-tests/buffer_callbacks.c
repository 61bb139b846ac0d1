/* Change callbacks: the info they get, several of them, removal by entry and by
 * function, enabling and disabling, callbacks that change the buffer or remove
 * themselves, the legacy evbuffer_setcb, and deferral to an event base. */
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/event.h>

#include <string.h>

#include "check.h"

struct record {
	int calls;
	struct evbuffer_cb_info last;
	struct evbuffer *buf;
};

static void record_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct record *r = arg;
	r->calls++;
	r->last = *info;
	r->buf = buf;
}

static int order[8];
static int n_order;

static void order_a(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)buf;
	(void)info;
	(void)arg;
	order[n_order++] = 1;
}

static void order_b(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)buf;
	(void)info;
	(void)arg;
	order[n_order++] = 2;
}

static void test_info(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct record r = {0, {0, 0, 0}, NULL};
	struct evbuffer_cb_entry *ent = evbuffer_add_cb(buf, record_cb, &r);
	char out[8];

	REQUIRE(ent != NULL);
	evbuffer_add(buf, "hello", 5);
	CHECK_INT_EQ(r.calls, 1);
	CHECK(r.buf == buf);
	CHECK_UINT_EQ(r.last.orig_size, 0);
	CHECK_UINT_EQ(r.last.n_added, 5);
	CHECK_UINT_EQ(r.last.n_deleted, 0);
	evbuffer_remove(buf, out, 2);
	CHECK_INT_EQ(r.calls, 2);
	CHECK_UINT_EQ(r.last.orig_size, 5);
	CHECK_UINT_EQ(r.last.n_deleted, 2);
	/* nothing changed: no call */
	evbuffer_add(buf, "", 0);
	evbuffer_drain(buf, 0);
	CHECK_INT_EQ(r.calls, 2);

	/* disabled callbacks are skipped, and see nothing of what happened meanwhile */
	CHECK_INT_EQ(evbuffer_cb_clear_flags(buf, ent, EVBUFFER_CB_ENABLED), 0);
	evbuffer_add(buf, "x", 1);
	CHECK_INT_EQ(r.calls, 2);
	CHECK_INT_EQ(evbuffer_cb_set_flags(buf, ent, EVBUFFER_CB_ENABLED), 0);
	evbuffer_add(buf, "y", 1);
	CHECK_INT_EQ(r.calls, 3);
	CHECK_UINT_EQ(r.last.orig_size, 4);
	CHECK_UINT_EQ(r.last.n_added, 1);

	CHECK_INT_EQ(evbuffer_remove_cb_entry(buf, ent), 0);
	evbuffer_add(buf, "z", 1);
	CHECK_INT_EQ(r.calls, 3);

	/* several callbacks: the newest runs first */
	evbuffer_add_cb(buf, order_a, NULL);
	evbuffer_add_cb(buf, order_b, NULL);
	evbuffer_drain(buf, 1);
	CHECK_INT_EQ(n_order, 2);
	CHECK_INT_EQ(order[0], 2);
	CHECK_INT_EQ(order[1], 1);
	CHECK_INT_EQ(evbuffer_remove_cb(buf, order_b, NULL), 0);
	CHECK_INT_EQ(evbuffer_remove_cb(buf, order_b, NULL), -1);
	CHECK_INT_EQ(evbuffer_remove_cb(buf, order_a, &r), -1);
	evbuffer_drain(buf, 1);
	CHECK_INT_EQ(n_order, 3);
	CHECK_INT_EQ(order[2], 1);
	evbuffer_free(buf);
}

static int drains;

/* Empties the buffer whenever it grows: the nested change runs the callback again. */
static void draining_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)arg;
	drains++;
	if (info->n_added > 0)
		evbuffer_drain(buf, evbuffer_get_length(buf));
}

static struct evbuffer_cb_entry *self_entry;
static int self_calls;

static void self_removing_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)info;
	(void)arg;
	self_calls++;
	evbuffer_remove_cb_entry(buf, self_entry);
}

static int freed_calls;

static void freeing_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)info;
	(void)arg;
	freed_calls++;
	evbuffer_free(buf);
}

static void test_reentrant(void)
{
	struct evbuffer *buf = evbuffer_new();

	evbuffer_add_cb(buf, draining_cb, NULL);
	evbuffer_add(buf, "abc", 3);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_INT_EQ(drains, 2);
	evbuffer_free(buf);

	buf = evbuffer_new();
	self_entry = evbuffer_add_cb(buf, self_removing_cb, NULL);
	evbuffer_add(buf, "abc", 3);
	evbuffer_add(buf, "abc", 3);
	CHECK_INT_EQ(self_calls, 1);
	evbuffer_free(buf);

	/* a callback may free the buffer that called it */
	buf = evbuffer_new();
	evbuffer_add_cb(buf, freeing_cb, NULL);
	evbuffer_add(buf, "abc", 3);
	CHECK_INT_EQ(freed_calls, 1);
}

struct legacy_record {
	int calls;
	size_t old_len, new_len;
};

static void legacy_cb(struct evbuffer *buf, size_t old_len, size_t new_len, void *arg)
{
	struct legacy_record *r = arg;
	(void)buf;
	r->calls++;
	r->old_len = old_len;
	r->new_len = new_len;
}

static void test_setcb(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct legacy_record l = {0, 0, 0};
	struct record r = {0, {0, 0, 0}, NULL};

	evbuffer_add_cb(buf, record_cb, &r);
	/* setcb replaces every callback */
	CHECK_INT_EQ(evbuffer_setcb(buf, legacy_cb, &l), 0);
	evbuffer_add(buf, "12345", 5);
	CHECK_INT_EQ(l.calls, 1);
	CHECK_UINT_EQ(l.old_len, 0);
	CHECK_UINT_EQ(l.new_len, 5);
	CHECK_INT_EQ(r.calls, 0);
	evbuffer_drain(buf, 2);
	CHECK_INT_EQ(l.calls, 2);
	CHECK_UINT_EQ(l.old_len, 5);
	CHECK_UINT_EQ(l.new_len, 3);
	CHECK_INT_EQ(evbuffer_setcb(buf, NULL, NULL), 0);
	evbuffer_drain(buf, 2);
	CHECK_INT_EQ(l.calls, 2);
	evbuffer_free(buf);
}

static void test_deferred(void)
{
	struct event_base *base = event_base_new();
	struct evbuffer *buf = evbuffer_new();
	struct record r = {0, {0, 0, 0}, NULL};

	REQUIRE(base != NULL);
	CHECK_INT_EQ(evbuffer_defer_callbacks(buf, base), 0);
	evbuffer_add_cb(buf, record_cb, &r);
	evbuffer_add(buf, "abc", 3);
	evbuffer_add(buf, "defg", 4);
	evbuffer_drain(buf, 2);
	/* nothing until the loop runs; then one call with everything */
	CHECK_INT_EQ(r.calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_UINT_EQ(r.last.orig_size, 0);
	CHECK_UINT_EQ(r.last.n_added, 7);
	CHECK_UINT_EQ(r.last.n_deleted, 2);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(r.calls, 1);

	/* freeing the buffer with a deferred run queued is safe (libevent still runs
	 * the callbacks once; evrs drops them with the buffer) */
	evbuffer_add(buf, "x", 1);
	evbuffer_free(buf);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(r.calls == 1 || r.calls == 2);
	event_base_free(base);
}

int main(void)
{
	test_info();
	test_reentrant();
	test_setcb();
	test_deferred();
	return check_report();
}
