/* event_base_once refuses what cannot fire once (signals, persistence) and an empty
 * event set; a bare EV_TIMEOUT with no time runs at once. */
#include <event2/event.h>

#include "check.h"

static int calls;

static void count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	calls++;
}

int main(void)
{
	struct event_base *base = event_base_new();

	CHECK_INT_EQ(event_base_once(base, -1, 0, count_cb, NULL, NULL), -1);
	CHECK_INT_EQ(event_base_once(base, -1, EV_PERSIST, count_cb, NULL, NULL), -1);
	CHECK_INT_EQ(event_base_once(base, -1, EV_TIMEOUT | EV_PERSIST, count_cb, NULL, NULL), -1);
	CHECK_INT_EQ(event_base_once(base, 2, EV_SIGNAL, count_cb, NULL, NULL), -1);
	CHECK_INT_EQ(event_base_once(NULL, -1, EV_TIMEOUT, count_cb, NULL, NULL), -1);
	CHECK_INT_EQ(event_base_once(base, -1, EV_TIMEOUT, count_cb, NULL, NULL), 0);
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(calls, 1);
	event_base_free(base);
	return check_report();
}
