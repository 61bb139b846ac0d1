/* I/O events on a socketpair: readiness, persistence, deletion, pending state and the
 * accessors of an assigned event. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

struct counter {
	int calls;
	short last_what;
	evutil_socket_t last_fd;
};

static void count_cb(evutil_socket_t fd, short what, void *arg)
{
	struct counter *c = arg;
	c->calls++;
	c->last_what = what;
	c->last_fd = fd;
}

static void drain(evutil_socket_t fd)
{
	char buf[64];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void read_and_count(evutil_socket_t fd, short what, void *arg)
{
	drain(fd);
	count_cb(fd, what, arg);
}

static struct event_base *new_base(void)
{
	struct event_base *base = event_base_new();
	const char *want = getenv("EVRS_TEST_BACKEND");
	REQUIRE(base != NULL);
	if (want)
		CHECK_STR_EQ(event_base_get_method(base), want);
	return base;
}

static void test_read_event(void)
{
	struct event_base *base = new_base();
	evutil_socket_t pair[2];
	struct event ev;
	struct counter c = {0, 0, -1};

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	evutil_make_socket_nonblocking(pair[0]);
	CHECK_INT_EQ(event_assign(&ev, base, pair[0], EV_READ, count_cb, &c), 0);
	CHECK(event_initialized(&ev));
	CHECK_INT_EQ(event_add(&ev, NULL), 0);
	CHECK_INT_EQ(event_pending(&ev, EV_READ | EV_WRITE | EV_TIMEOUT, NULL), EV_READ);

	/* Nothing to read: a non-blocking loop runs no callback. */
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	CHECK_INT_EQ(c.calls, 0);

	CHECK_INT_EQ(write(pair[1], "x", 1), 1);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(c.calls, 1);
	CHECK_INT_EQ(c.last_what, EV_READ);
	CHECK_INT_EQ(c.last_fd, pair[0]);
	/* Not persistent: the callback ran once and the event is no longer pending. */
	CHECK_INT_EQ(event_pending(&ev, EV_READ, NULL), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	CHECK_INT_EQ(c.calls, 1);

	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

static void test_persist_and_del(void)
{
	struct event_base *base = new_base();
	evutil_socket_t pair[2];
	struct event *ev;
	struct counter c = {0, 0, -1};
	int i;

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	evutil_make_socket_nonblocking(pair[0]);
	ev = event_new(base, pair[0], EV_READ | EV_PERSIST, read_and_count, &c);
	REQUIRE(ev != NULL);
	CHECK_INT_EQ(event_add(ev, NULL), 0);
	for (i = 0; i < 5; i++) {
		CHECK_INT_EQ(write(pair[1], "y", 1), 1);
		CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	}
	CHECK_INT_EQ(c.calls, 5);
	CHECK_INT_EQ(event_pending(ev, EV_READ, NULL), EV_READ);

	/* Level-triggered: unread data keeps firing. */
	c.calls = 0;
	CHECK_INT_EQ(event_del(ev), 0);
	CHECK_INT_EQ(event_pending(ev, EV_READ, NULL), 0);
	CHECK_INT_EQ(write(pair[1], "z", 1), 1);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	CHECK_INT_EQ(c.calls, 0);
	/* Deleting twice is fine. */
	CHECK_INT_EQ(event_del(ev), 0);

	event_free(ev);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

static void test_write_event_and_two_events_per_fd(void)
{
	struct event_base *base = new_base();
	evutil_socket_t pair[2];
	struct event rd, wr;
	struct counter cr = {0, 0, -1}, cw = {0, 0, -1};

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	evutil_make_socket_nonblocking(pair[0]);
	event_assign(&rd, base, pair[0], EV_READ, count_cb, &cr);
	event_assign(&wr, base, pair[0], EV_WRITE, count_cb, &cw);
	CHECK_INT_EQ(event_add(&rd, NULL), 0);
	CHECK_INT_EQ(event_add(&wr, NULL), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	/* Writable at once; not readable. */
	CHECK_INT_EQ(cw.calls, 1);
	CHECK_INT_EQ(cw.last_what, EV_WRITE);
	CHECK_INT_EQ(cr.calls, 0);
	CHECK_INT_EQ(write(pair[1], "r", 1), 1);
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(cr.calls, 1);

	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

static void test_accessors(void)
{
	struct event_base *base = new_base();
	struct event *ev;
	struct event_base *b = NULL;
	evutil_socket_t fd = -2;
	short events = 0;
	event_callback_fn cb = NULL;
	void *arg = NULL;

	ev = event_new(base, 7, EV_READ | EV_PERSIST, count_cb, (void *)0x1234);
	REQUIRE(ev != NULL);
	CHECK(event_get_base(ev) == base);
	CHECK_INT_EQ(event_get_fd(ev), 7);
	CHECK_INT_EQ(event_get_events(ev), EV_READ | EV_PERSIST);
	CHECK(event_get_callback(ev) == count_cb);
	CHECK(event_get_callback_arg(ev) == (void *)0x1234);
	event_get_assignment(ev, &b, &fd, &events, &cb, &arg);
	CHECK(b == base);
	CHECK_INT_EQ(fd, 7);
	CHECK_INT_EQ(events, EV_READ | EV_PERSIST);
	CHECK(cb == count_cb);
	CHECK(arg == (void *)0x1234);
	/* NULL out-parameters are skipped. */
	event_get_assignment(ev, NULL, NULL, NULL, NULL, NULL);
	event_free(ev);

	/* event_self_cbarg() makes the event its own argument. */
	ev = event_new(base, -1, 0, count_cb, event_self_cbarg());
	REQUIRE(ev != NULL);
	CHECK(event_get_callback_arg(ev) == ev);
	event_free(ev);

	CHECK_UINT_EQ(event_get_struct_event_size(), sizeof(struct event));
	event_base_free(base);
}

static void test_closed_event(void)
{
	struct event_base *base = new_base();
	evutil_socket_t pair[2];
	struct event ev;
	struct counter c = {0, 0, -1};

	if (!(event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE)) {
		event_base_free(base);
		return;
	}
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	event_assign(&ev, base, pair[0], EV_CLOSED, count_cb, &c);
	CHECK_INT_EQ(event_add(&ev, NULL), 0);
	shutdown(pair[1], SHUT_WR);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(c.calls, 1);
	CHECK(c.last_what & EV_CLOSED);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

static void test_edge_triggered(void)
{
	struct event_base *base = new_base();
	evutil_socket_t pair[2];
	struct event ev;
	struct counter c = {0, 0, -1};

	if (!(event_base_get_features(base) & EV_FEATURE_ET)) {
		event_base_free(base);
		return;
	}
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	event_assign(&ev, base, pair[0], EV_READ | EV_ET | EV_PERSIST, count_cb, &c);
	CHECK_INT_EQ(event_add(&ev, NULL), 0);
	CHECK_INT_EQ(write(pair[1], "ab", 2), 2);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(c.calls, 1);
	/* The data is still unread, but no new edge came: nothing fires. */
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	CHECK_INT_EQ(c.calls, 1);
	CHECK_INT_EQ(write(pair[1], "c", 1), 1);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(c.calls, 2);
	event_del(&ev);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

int main(void)
{
	test_read_event();
	test_persist_and_del();
	test_write_event_and_two_events_per_fd();
	test_accessors();
	test_closed_event();
	test_edge_triggered();
	return check_report();
}
