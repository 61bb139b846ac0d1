/* The libevent 1.x API: event_init's current base, event_set, event_dispatch,
 * event_loop, event_loopexit, event_once, event_get_method, event_priority_init, and
 * the timeout_* / signal_* macros. */
// test: per-backend
#include <event.h>

#include <signal.h>
#include <string.h>

#include "check.h"

static int calls;
static short last_what;

static void count_cb(int fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	calls++;
	last_what = what;
}

int main(void)
{
	struct event_base *base = event_init();
	struct event timer, sig, ev;
	struct timeval tv = {0, 2000};

	REQUIRE(base != NULL);
	CHECK_STR_EQ(event_get_method(), event_base_get_method(base));
	CHECK_INT_EQ(event_priority_init(2), 0);
	CHECK_INT_EQ(event_base_get_npriorities(base), 2);

	/* event_set uses the current base. */
	event_set(&ev, -1, 0, count_cb, NULL);
	CHECK(event_get_base(&ev) == base);
	timeout_set(&timer, count_cb, NULL);
	CHECK_INT_EQ(timeout_add(&timer, &tv), 0);
	CHECK(timeout_pending(&timer, NULL));
	CHECK(timeout_initialized(&timer));
	CHECK_INT_EQ(event_dispatch(), 1);
	CHECK_INT_EQ(calls, 1);
	CHECK_INT_EQ(last_what, EV_TIMEOUT);

	signal_set(&sig, SIGUSR1, count_cb, NULL);
	CHECK_INT_EQ(signal_add(&sig, NULL), 0);
	raise(SIGUSR1);
	CHECK_INT_EQ(event_loop(EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls, 2);
	CHECK_INT_EQ(last_what, EV_SIGNAL);
	CHECK_INT_EQ(signal_del(&sig), 0);

	CHECK_INT_EQ(event_once(-1, EV_TIMEOUT, count_cb, NULL, &tv), 0);
	CHECK_INT_EQ(event_loop(0), 1);
	CHECK_INT_EQ(calls, 3);

	/* event_loopexit on the current base. */
	timeout_add(&timer, &tv);
	CHECK_INT_EQ(event_loopexit(NULL), 0);
	CHECK_INT_EQ(event_dispatch(), 0);
	CHECK(event_base_got_exit(base));
	timeout_del(&timer);
	CHECK_INT_EQ(event_loopbreak(), 0);

	/* Freeing NULL frees the current base. */
	event_base_free(NULL);
	return check_report();
}
