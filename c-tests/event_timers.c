/* Timers: ordering, re-adding, removal, persistent periods, common timeouts, timeouts
 * on I/O events, and event_pending's report of when a timeout fires. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

#define MAX_FIRED 16

struct order {
	int fired[MAX_FIRED];
	int n;
};

struct tagged {
	struct order *order;
	int id;
	short what;
};

static void record_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tagged *t = arg;
	(void)fd;
	t->what = what;
	if (t->order->n < MAX_FIRED)
		t->order->fired[t->order->n++] = t->id;
}

static long elapsed_ms(const struct timeval *start)
{
	struct timeval now, diff;
	evutil_gettimeofday(&now, NULL);
	evutil_timersub(&now, start, &diff);
	return diff.tv_sec * 1000 + diff.tv_usec / 1000;
}

static void test_order_and_readd(void)
{
	struct event_base *base = event_base_new();
	struct order order = {{0}, 0};
	struct tagged t[4];
	struct event ev[4];
	struct timeval tv;
	int delays_ms[4] = {40, 10, 30, 20};
	int i;

	for (i = 0; i < 4; i++) {
		t[i].order = &order;
		t[i].id = i;
		t[i].what = 0;
		evtimer_assign(&ev[i], base, record_cb, &t[i]);
		tv.tv_sec = 0;
		tv.tv_usec = delays_ms[i] * 1000;
		CHECK_INT_EQ(evtimer_add(&ev[i], &tv), 0);
	}
	/* Re-adding moves event 1 from 10 ms to 50 ms. */
	tv.tv_usec = 50 * 1000;
	CHECK_INT_EQ(evtimer_add(&ev[1], &tv), 0);
	/* Event 2 is removed. */
	CHECK_INT_EQ(evtimer_del(&ev[2]), 0);
	CHECK(evtimer_pending(&ev[0], NULL));
	CHECK(!evtimer_pending(&ev[2], NULL));

	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(order.n, 3);
	CHECK_INT_EQ(order.fired[0], 3);
	CHECK_INT_EQ(order.fired[1], 0);
	CHECK_INT_EQ(order.fired[2], 1);
	CHECK_INT_EQ(t[0].what, EV_TIMEOUT);
	event_base_free(base);
}

static void test_timer_waits_long_enough(void)
{
	struct event_base *base = event_base_new();
	struct order order = {{0}, 0};
	struct tagged t = {&order, 1, 0};
	struct event ev;
	struct timeval tv = {0, 100 * 1000}, start;

	evtimer_assign(&ev, base, record_cb, &t);
	evutil_gettimeofday(&start, NULL);
	evtimer_add(&ev, &tv);
	event_base_dispatch(base);
	CHECK_INT_EQ(order.n, 1);
	CHECK(elapsed_ms(&start) >= 95);
	CHECK(elapsed_ms(&start) < 2000);
	event_base_free(base);
}

static void test_pending_reports_deadline(void)
{
	struct event_base *base = event_base_new();
	struct order order = {{0}, 0};
	struct tagged t = {&order, 1, 0};
	struct event ev;
	struct timeval tv = {5, 0}, when, now;
	long diff_ms;

	evtimer_assign(&ev, base, record_cb, &t);
	evtimer_add(&ev, &tv);
	evutil_gettimeofday(&now, NULL);
	CHECK_INT_EQ(event_pending(&ev, EV_TIMEOUT, &when), EV_TIMEOUT);
	diff_ms = (when.tv_sec - now.tv_sec) * 1000 + (when.tv_usec - now.tv_usec) / 1000;
	CHECK(diff_ms > 4500 && diff_ms < 5500);
	/* Only the asked-for flags are reported. */
	CHECK_INT_EQ(event_pending(&ev, EV_READ, NULL), 0);

	CHECK_INT_EQ(event_remove_timer(&ev), 0);
	CHECK_INT_EQ(event_pending(&ev, EV_TIMEOUT, NULL), 0);
	event_base_free(base);
}

struct periodic {
	struct event ev;
	int calls;
};

static void periodic_cb(evutil_socket_t fd, short what, void *arg)
{
	struct periodic *p = arg;
	(void)fd;
	(void)what;
	if (++p->calls == 5)
		event_del(&p->ev);
}

static void test_persistent_timer(void)
{
	struct event_base *base = event_base_new();
	struct periodic p;
	struct timeval tv = {0, 10 * 1000}, start;

	p.calls = 0;
	event_assign(&p.ev, base, -1, EV_PERSIST, periodic_cb, &p);
	evutil_gettimeofday(&start, NULL);
	CHECK_INT_EQ(event_add(&p.ev, &tv), 0);
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(p.calls, 5);
	CHECK(elapsed_ms(&start) >= 45);
	event_base_free(base);
}

static void test_io_timeout(void)
{
	struct event_base *base = event_base_new();
	struct order order = {{0}, 0};
	struct tagged t = {&order, 7, 0};
	evutil_socket_t pair[2];
	struct event ev;
	struct timeval tv = {0, 20 * 1000};

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	event_assign(&ev, base, pair[0], EV_READ, record_cb, &t);
	CHECK_INT_EQ(event_add(&ev, &tv), 0);
	CHECK_INT_EQ(event_pending(&ev, EV_READ | EV_TIMEOUT, NULL), EV_READ | EV_TIMEOUT);
	event_base_dispatch(base);
	CHECK_INT_EQ(order.n, 1);
	CHECK_INT_EQ(t.what, EV_TIMEOUT);
	/* The timeout deleted the (non-persistent) event entirely. */
	CHECK_INT_EQ(event_pending(&ev, EV_READ | EV_TIMEOUT, NULL), 0);

	/* Data before the timeout: EV_READ, and the timeout is cancelled. */
	t.what = 0;
	tv.tv_usec = 500 * 1000;
	event_add(&ev, &tv);
	CHECK_INT_EQ(write(pair[1], "d", 1), 1);
	event_base_dispatch(base);
	CHECK_INT_EQ(t.what, EV_READ);
	CHECK_INT_EQ(order.n, 2);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

static void test_common_timeouts(void)
{
	struct event_base *base = event_base_new();
	struct order order = {{0}, 0};
	struct tagged t[3];
	struct event ev[3];
	struct timeval d = {0, 20 * 1000}, other = {0, 30 * 1000};
	const struct timeval *common, *again, *second;
	int i;

	common = event_base_init_common_timeout(base, &d);
	REQUIRE(common != NULL);
	/* The same duration gives the same handle; another gets another. */
	again = event_base_init_common_timeout(base, &d);
	CHECK(again == common);
	second = event_base_init_common_timeout(base, &other);
	CHECK(second != NULL && second != common);

	for (i = 0; i < 3; i++) {
		t[i].order = &order;
		t[i].id = i;
		evtimer_assign(&ev[i], base, record_cb, &t[i]);
	}
	CHECK_INT_EQ(evtimer_add(&ev[0], common), 0);
	CHECK_INT_EQ(evtimer_add(&ev[1], second), 0);
	CHECK_INT_EQ(evtimer_add(&ev[2], common), 0);
	CHECK(evtimer_pending(&ev[2], NULL));
	event_base_dispatch(base);
	CHECK_INT_EQ(order.n, 3);
	CHECK_INT_EQ(order.fired[0], 0);
	CHECK_INT_EQ(order.fired[1], 2);
	CHECK_INT_EQ(order.fired[2], 1);
	event_base_free(base);
}

static void test_zero_timeout_fires_next_round(void)
{
	struct event_base *base = event_base_new();
	struct order order = {{0}, 0};
	struct tagged t = {&order, 3, 0};
	struct event ev;
	struct timeval zero = {0, 0};

	evtimer_assign(&ev, base, record_cb, &t);
	CHECK_INT_EQ(evtimer_add(&ev, &zero), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(order.n, 1);
	event_base_free(base);
}

int main(void)
{
	test_order_and_readd();
	test_timer_waits_long_enough();
	test_pending_reports_deadline();
	test_persistent_timer();
	test_io_timeout();
	test_common_timeouts();
	test_zero_timeout_fires_next_round();
	return check_report();
}
