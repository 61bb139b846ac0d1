/* Lock debugging with no lock functions installed: bases get locks that only check
 * their use, and a single-threaded program runs as usual (timers, activation from a
 * callback, loopexit). */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>

#include "check.h"

static int fired;
static struct event second;

static void second_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	CHECK_INT_EQ(what, EV_READ);
	fired++;
}

static void first_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fired++;
	event_active(&second, EV_READ, 1);
}

int main(void)
{
	struct event_base *base;
	struct event first, forever;
	struct timeval short_tv = {0, 1000}, long_tv = {30, 0}, exit_tv = {0, 20000};

	evthread_enable_lock_debugging();
	base = event_base_new();
	REQUIRE(base != NULL);
	evtimer_assign(&first, base, first_cb, NULL);
	event_assign(&second, base, -1, 0, second_cb, NULL);
	evtimer_assign(&forever, base, first_cb, NULL);
	CHECK_INT_EQ(evtimer_add(&first, &short_tv), 0);
	CHECK_INT_EQ(evtimer_add(&forever, &long_tv), 0);
	CHECK_INT_EQ(event_base_loopexit(base, &exit_tv), 0);
	CHECK_INT_EQ(event_base_dispatch(base), 0);
	CHECK_INT_EQ(fired, 2);
	CHECK(event_base_got_exit(base));
	evtimer_del(&forever);
	event_base_free(base);
	return check_report();
}
