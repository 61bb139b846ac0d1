/* The loop's flags and exits: EVLOOP_ONCE, EVLOOP_NONBLOCK, EVLOOP_NO_EXIT_ON_EMPTY,
 * loopexit (now and later), loopbreak, loopcontinue, got_exit/got_break, one-shot
 * events, and activation by hand, by fd and by signal number. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

static int calls;
static short last_what;

static void count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	calls++;
	last_what = what;
}

static void break_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	calls++;
	event_base_loopbreak(arg);
}

static void test_empty_base(void)
{
	struct event_base *base = event_base_new();
	/* No events: the loop returns 1 at once. */
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 1);
	CHECK(!event_base_got_exit(base));
	CHECK(!event_base_got_break(base));
	event_base_free(base);
}

static void test_loopexit(void)
{
	struct event_base *base = event_base_new();
	struct timeval tv = {0, 30 * 1000}, start, now, diff;
	struct event *ev;

	/* NO_EXIT_ON_EMPTY keeps running until loopexit's timer. */
	evutil_gettimeofday(&start, NULL);
	CHECK_INT_EQ(event_base_loopexit(base, &tv), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY), 0);
	evutil_gettimeofday(&now, NULL);
	evutil_timersub(&now, &start, &diff);
	CHECK(diff.tv_sec > 0 || diff.tv_usec >= 25 * 1000);
	CHECK(event_base_got_exit(base));
	CHECK(!event_base_got_break(base));

	/* loopexit(NULL) ends the loop after the current round of callbacks. */
	calls = 0;
	ev = event_new(base, -1, EV_PERSIST, count_cb, NULL);
	tv.tv_usec = 1000;
	event_add(ev, &tv);
	CHECK_INT_EQ(event_base_loopexit(base, NULL), 0);
	CHECK_INT_EQ(event_base_dispatch(base), 0);
	CHECK(event_base_got_exit(base));
	/* A new run clears the flag. */
	event_del(ev);
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK(!event_base_got_exit(base));
	event_free(ev);
	event_base_free(base);
}

static void test_loopbreak(void)
{
	struct event_base *base = event_base_new();
	struct event a, b;

	calls = 0;
	event_assign(&a, base, -1, 0, break_cb, base);
	event_assign(&b, base, -1, 0, count_cb, NULL);
	event_active(&a, EV_TIMEOUT, 1);
	event_active(&b, EV_TIMEOUT, 1);
	CHECK_INT_EQ(event_base_dispatch(base), 0);
	/* The break came before b ran. */
	CHECK_INT_EQ(calls, 1);
	CHECK(event_base_got_break(base));
	/* b is still active and runs next time; then nothing is left (1). */
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	CHECK_INT_EQ(calls, 2);
	CHECK(!event_base_got_break(base));
	event_base_free(base);
}

static void test_once_and_nonblock(void)
{
	struct event_base *base = event_base_new();
	struct event t1, t2;
	struct timeval short_tv = {0, 1000}, long_tv = {10, 0};

	calls = 0;
	evtimer_assign(&t1, base, count_cb, NULL);
	evtimer_assign(&t2, base, count_cb, NULL);
	evtimer_add(&t1, &short_tv);
	evtimer_add(&t2, &long_tv);
	/* ONCE waits for the first callback and returns. */
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls, 1);
	/* NONBLOCK does not wait for the ten-second timer. */
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	CHECK_INT_EQ(calls, 1);
	evtimer_del(&t2);
	event_base_free(base);
}

static int once_calls;
static short once_what;
static void *once_arg;

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	once_calls++;
	once_what = what;
	once_arg = arg;
}

static void test_base_once(void)
{
	struct event_base *base = event_base_new();
	struct timeval tv = {0, 5000};
	evutil_socket_t pair[2];

	CHECK_INT_EQ(event_base_once(base, -1, EV_TIMEOUT, once_cb, (void *)0x42, &tv), 0);
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(once_calls, 1);
	CHECK_INT_EQ(once_what, EV_TIMEOUT);
	CHECK(once_arg == (void *)0x42);

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	CHECK_INT_EQ(event_base_once(base, pair[0], EV_READ, once_cb, NULL, NULL), 0);
	CHECK_INT_EQ(write(pair[1], "o", 1), 1);
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(once_calls, 2);
	CHECK_INT_EQ(once_what, EV_READ);

	/* Signals and persistence are refused. */
	CHECK_INT_EQ(event_base_once(base, SIGUSR1, EV_SIGNAL, once_cb, NULL, NULL), -1);
	CHECK_INT_EQ(event_base_once(base, pair[0], EV_READ | EV_PERSIST, once_cb, NULL, NULL), -1);

	/* A pending one-shot event is released with the base. */
	tv.tv_sec = 100;
	CHECK_INT_EQ(event_base_once(base, -1, EV_TIMEOUT, once_cb, NULL, &tv), 0);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

static void test_activation(void)
{
	struct event_base *base = event_base_new();
	evutil_socket_t pair[2];
	struct event rd, wr, sig;

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	calls = 0;
	/* event_active on an event that was never added. */
	event_assign(&rd, base, pair[0], EV_READ, count_cb, NULL);
	event_active(&rd, EV_WRITE, 1);
	CHECK_INT_EQ(event_pending(&rd, EV_WRITE, NULL), EV_WRITE);
	/* Activating again only adds result flags. */
	event_active(&rd, EV_TIMEOUT, 1);
	/* It runs; then no event is left, so the loop reports 1. */
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	CHECK_INT_EQ(calls, 1);
	CHECK_INT_EQ(last_what, EV_WRITE | EV_TIMEOUT);

	/* By fd: only events that wait for the given kinds. */
	calls = 0;
	event_assign(&wr, base, pair[0], EV_WRITE, count_cb, NULL);
	event_add(&rd, NULL);
	event_add(&wr, NULL);
	event_base_active_by_fd(base, pair[0], EV_READ);
	CHECK_INT_EQ(event_pending(&rd, EV_READ, NULL), EV_READ);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	/* rd ran from the activation; wr ran because the socket is writable. */
	CHECK_INT_EQ(calls, 2);
	event_del(&rd);
	event_del(&wr);

	/* By signal number, without the signal being raised. */
	calls = 0;
	evsignal_assign(&sig, base, SIGUSR2, count_cb, NULL);
	event_add(&sig, NULL);
	event_base_active_by_signal(base, SIGUSR2);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	CHECK_INT_EQ(calls, 1);
	CHECK_INT_EQ(last_what, EV_SIGNAL);
	event_del(&sig);

	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

struct continuer {
	struct event_base *base;
	int continued;
};

static void continue_cb(evutil_socket_t fd, short what, void *arg)
{
	struct continuer *c = arg;
	(void)fd;
	(void)what;
	calls++;
	if (!c->continued) {
		c->continued = 1;
		CHECK_INT_EQ(event_base_loopcontinue(c->base), 0);
	}
}

static void test_loopcontinue(void)
{
	struct event_base *base = event_base_new();
	struct continuer c = {base, 0};
	struct event a, b;

	calls = 0;
	event_assign(&a, base, -1, 0, continue_cb, &c);
	event_assign(&b, base, -1, 0, count_cb, NULL);
	event_active(&a, EV_TIMEOUT, 1);
	event_active(&b, EV_TIMEOUT, 1);
	/* After the continue, the loop polls again before running b; ONCE only
	 * returns when nothing is active any more, so both ran. */
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls, 2);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 1);
	/* Outside a running loop it is accepted and changes nothing. */
	CHECK_INT_EQ(event_base_loopcontinue(base), 0);
	event_base_free(base);
}

static void reentrant_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	/* Running the loop again from inside it is refused. */
	CHECK_INT_EQ(event_base_loop(arg, EVLOOP_NONBLOCK), -1);
	calls++;
}

static void test_reentrant_loop(void)
{
	struct event_base *base = event_base_new();
	struct event ev;

	calls = 0;
	event_assign(&ev, base, -1, 0, reentrant_cb, base);
	event_active(&ev, EV_TIMEOUT, 1);
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(calls, 1);
	event_base_free(base);
}

int main(void)
{
	test_empty_base();
	test_loopexit();
	test_loopbreak();
	test_once_and_nonblock();
	test_base_once();
	test_activation();
	test_loopcontinue();
	test_reentrant_loop();
	return check_report();
}
