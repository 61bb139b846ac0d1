/* EV_ET: an edge-triggered event sees EV_ET in its callback's `what` on a backend that
 * triggers on edges; elsewhere (poll, select) event_add still succeeds and the event is
 * level-triggered, as libevent documents. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <string.h>
#include <sys/socket.h>
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

int main(void)
{
	struct event_base *base = event_base_new();
	int edge = (event_base_get_features(base) & EV_FEATURE_ET) != 0;
	struct event et, level, stop;
	struct timeval soon = {0, 50000};
	int pair[2];

	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	CHECK_INT_EQ(write(pair[1], "x", 1), 1);
	event_assign(&et, base, pair[0], EV_READ | EV_ET | EV_PERSIST, count_cb, NULL);
	CHECK_INT_EQ(event_add(&et, NULL), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls, 1);
	CHECK_INT_EQ(last_what, edge ? EV_READ | EV_ET : EV_READ);
	/* The byte is still there: only a level-triggered event runs again; an
	 * edge-triggered one waits for new data, and the timer ends the round. */
	evtimer_assign(&stop, base, count_cb, NULL);
	CHECK_INT_EQ(evtimer_add(&stop, &soon), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls, 2);
	CHECK_INT_EQ(last_what, edge ? EV_TIMEOUT : EV_READ);
	event_del(&et);
	event_del(&stop);

	/* A level-triggered event never sees EV_ET. */
	calls = 0;
	event_assign(&level, base, pair[0], EV_READ, count_cb, NULL);
	CHECK_INT_EQ(event_add(&level, NULL), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls, 1);
	CHECK_INT_EQ(last_what, EV_READ);

	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
	return check_report();
}
