/* Microseconds of a million or more in a timeout are an ordinary span unless they carry
 * a real common-timeout tag: {0, 1200000} waits 1.2 s, not 1200000 & 0xfffff
 * microseconds. */
// test: evrs-only libevent 2.1 carries tv_usec past a million only once, so such a deadline can stay unnormalised and the loop may then wait far too long
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <sys/time.h>

#include "check.h"

static int calls;

static void count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	calls++;
}

static long elapsed_ms(const struct timeval *start)
{
	struct timeval now, diff;
	evutil_gettimeofday(&now, NULL);
	evutil_timersub(&now, start, &diff);
	return diff.tv_sec * 1000 + diff.tv_usec / 1000;
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct timeval span = {0, 1200000}, quick = {0, 100000}, start;
	struct event slow, fast;

	/* {0, 1200000} is 1.2 s, not 1200000 & 0xfffff microseconds. */
	calls = 0;
	evtimer_assign(&slow, base, count_cb, NULL);
	evtimer_assign(&fast, base, count_cb, NULL);
	evutil_gettimeofday(&start, NULL);
	CHECK_INT_EQ(evtimer_add(&slow, &span), 0);
	CHECK_INT_EQ(evtimer_add(&fast, &quick), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls, 1);
	CHECK(evtimer_pending(&slow, NULL));
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(calls, 2);
	CHECK(elapsed_ms(&start) >= 1150);
	event_base_free(base);
	return check_report();
}
