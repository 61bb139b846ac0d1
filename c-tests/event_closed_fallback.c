/* EV_CLOSED on every backend: where the backend has no early-close support (select;
 * EV_FEATURE_EARLY_CLOSE unset) event_add still accepts it and ignores it, as libevent
 * does: an EV_READ|EV_CLOSED event reports a closed peer as EV_READ alone, and an
 * EV_CLOSED-only event is pending but never runs. With the feature, a closed peer is
 * reported as EV_CLOSED. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>

#include <sys/time.h>
#include <unistd.h>

#include "bev_support.h"

struct counter {
	int calls;
	short last_what;
};

static void count_cb(evutil_socket_t fd, short what, void *arg)
{
	struct counter *c = arg;
	(void)fd;
	c->calls++;
	c->last_what = what;
}

static void drain_and_count(evutil_socket_t fd, short what, void *arg)
{
	char buf[64];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	count_cb(fd, what, arg);
}

static int has_early_close(struct event_base *base)
{
	return (event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE) != 0;
}

/* Runs the loop once, bounded by a timer so that a loop with nothing ready ends. */
static void loop_once_bounded(struct event_base *base)
{
	struct timeval tv = {0, 30000};
	struct counter fired = {0, 0};
	struct event *timer = evtimer_new(base, count_cb, &fired);
	REQUIRE(timer != NULL);
	CHECK_INT_EQ(evtimer_add(timer, &tv), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	event_free(timer);
}

static void test_read_and_closed(void)
{
	struct event_base *base = new_base();
	evutil_socket_t pair[2];
	struct event ev;
	struct counter c = {0, 0};
	const short both = EV_READ | EV_CLOSED;

	make_pair(pair);
	CHECK_INT_EQ(event_assign(&ev, base, pair[0], both | EV_PERSIST, drain_and_count, &c), 0);
	CHECK_INT_EQ(event_add(&ev, NULL), 0);
	CHECK_INT_EQ(event_pending(&ev, both, NULL), both);

	/* Data alone is EV_READ everywhere. */
	CHECK_INT_EQ(write(pair[1], "x", 1), 1);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(c.calls, 1);
	CHECK_INT_EQ(c.last_what, EV_READ);

	/* A closed peer: EV_CLOSED is reported only where the backend can tell. */
	shutdown(pair[1], SHUT_WR);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(c.calls, 2);
	CHECK_INT_EQ(c.last_what & EV_READ, EV_READ);
	CHECK_INT_EQ(c.last_what & EV_CLOSED, has_early_close(base) ? EV_CLOSED : 0);

	CHECK_INT_EQ(event_del(&ev), 0);
	CHECK_INT_EQ(event_pending(&ev, both, NULL), 0);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

static void test_closed_alone(void)
{
	struct event_base *base = new_base();
	evutil_socket_t pair[2];
	struct event closed, reader;
	struct counter on_close = {0, 0}, on_read = {0, 0};

	make_pair(pair);
	CHECK_INT_EQ(event_assign(&closed, base, pair[0], EV_CLOSED, count_cb, &on_close), 0);
	CHECK_INT_EQ(event_add(&closed, NULL), 0);
	CHECK_INT_EQ(event_pending(&closed, EV_CLOSED, NULL), EV_CLOSED);

	/* A reader on the same fd works beside it. */
	CHECK_INT_EQ(event_assign(&reader, base, pair[0], EV_READ, drain_and_count, &on_read), 0);
	CHECK_INT_EQ(event_add(&reader, NULL), 0);
	shutdown(pair[1], SHUT_WR);
	loop_once_bounded(base);
	CHECK_INT_EQ(on_read.calls, 1);
	CHECK_INT_EQ(on_read.last_what, EV_READ);
	if (has_early_close(base)) {
		CHECK_INT_EQ(on_close.calls, 1);
		CHECK_INT_EQ(on_close.last_what, EV_CLOSED);
	} else {
		CHECK_INT_EQ(on_close.calls, 0);
		CHECK_INT_EQ(event_pending(&closed, EV_CLOSED, NULL), EV_CLOSED);
		/* Still never runs, however often the loop turns. */
		loop_once_bounded(base);
		CHECK_INT_EQ(on_close.calls, 0);
		CHECK_INT_EQ(event_del(&closed), 0);
	}

	/* With the closed watcher gone, the fd is watched for reading as before. */
	CHECK_INT_EQ(event_pending(&closed, EV_CLOSED, NULL), 0);
	CHECK_INT_EQ(event_add(&reader, NULL), 0);
	loop_once_bounded(base);
	CHECK_INT_EQ(on_read.calls, 2);
	CHECK_INT_EQ(event_del(&reader), 0);

	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
}

int main(void)
{
	test_read_and_closed();
	test_closed_alone();
	return check_report();
}
