/* Timeouts at their edges, as libevent treats them: a negative timeout fires at once
 * (also on an I/O event), event_remove_timer on a persistent event drops
 * its interval for good, and a persistent timer whose loop fell behind fires once and
 * counts its next period from then. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

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

static void negative_timeouts(void)
{
	struct event_base *base = event_base_new();
	struct timeval negatives[] = {{-1, 0}, {0, -1}, {-5, 0}};
	int pair[2];
	struct event ev;
	unsigned i;

	for (i = 0; i < 2; i++) {
		calls = 0;
		evtimer_assign(&ev, base, count_cb, NULL);
		CHECK_INT_EQ(evtimer_add(&ev, &negatives[i]), 0);
		/* Non-blocking runs go on until nothing is left: 1, no events. */
		CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
		CHECK_INT_EQ(calls, 1);
		CHECK_INT_EQ(last_what, EV_TIMEOUT);
	}
	/* An I/O event whose timeout is already past times out at once. */
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	calls = 0;
	event_assign(&ev, base, pair[0], EV_READ, count_cb, NULL);
	CHECK_INT_EQ(event_add(&ev, &negatives[2]), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	CHECK_INT_EQ(calls, 1);
	CHECK_INT_EQ(last_what, EV_TIMEOUT);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

static void remove_timer_on_persistent_event(void)
{
	struct event_base *base = event_base_new();
	struct timeval timeout = {0, 50000}, later = {0, 150000};
	struct event ev, stop;
	int pair[2];

	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	calls = 0;
	event_assign(&ev, base, pair[0], EV_READ | EV_PERSIST, count_cb, NULL);
	CHECK_INT_EQ(event_add(&ev, &timeout), 0);
	CHECK_INT_EQ(event_remove_timer(&ev), 0);
	CHECK(!event_pending(&ev, EV_TIMEOUT, NULL));
	CHECK(event_pending(&ev, EV_READ, NULL));
	/* Readable: the callback runs for the read, and no timeout comes back after it. */
	CHECK_INT_EQ(write(pair[1], "x", 1), 1);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls, 1);
	CHECK_INT_EQ(last_what, EV_READ);
	CHECK(!event_pending(&ev, EV_TIMEOUT, NULL));
	{
		char c;
		CHECK_INT_EQ(read(pair[0], &c, 1), 1);
	}
	evtimer_assign(&stop, base, count_cb, NULL);
	CHECK_INT_EQ(evtimer_add(&stop, &later), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	/* Only the stop timer ran: the removed timeout did not fire. */
	CHECK_INT_EQ(calls, 2);
	CHECK_INT_EQ(last_what, EV_TIMEOUT);
	event_del(&ev);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

static void persistent_timer_behind(void)
{
	struct event_base *base = event_base_new();
	struct timeval period = {0, 100000};
	struct event tick;

	calls = 0;
	event_assign(&tick, base, -1, EV_PERSIST, count_cb, NULL);
	CHECK_INT_EQ(event_add(&tick, &period), 0);
	/* The loop starts three periods late. */
	usleep(350000);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	CHECK_INT_EQ(calls, 1);
	/* The next period counts from now: nothing is due right away. */
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	CHECK_INT_EQ(calls, 1);
	event_del(&tick);
	event_base_free(base);
}

int main(void)
{
	negative_timeouts();
	remove_timer_on_persistent_event();
	persistent_timer_behind();
	return check_report();
}
