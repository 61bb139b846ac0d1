/* Looking into a base: event_base_foreach_event, event_base_dump_events, the event
 * counts, the running event, and the cached time. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"

static int seen;

static int count_each(const struct event_base *base, const struct event *ev, void *arg)
{
	(void)base;
	(void)ev;
	(void)arg;
	seen++;
	return 0;
}

static int stop_at_second(const struct event_base *base, const struct event *ev, void *arg)
{
	(void)base;
	(void)ev;
	(void)arg;
	return ++seen == 2 ? 77 : 0;
}

static struct event *running_seen;

static void running_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	running_seen = event_base_get_running_event(arg);
}

static void nothing_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int main(void)
{
	struct event_base *base = event_base_new();
	evutil_socket_t pair[2];
	struct event rd, timer, active, runner;
	struct timeval tv = {100, 0}, cached;
	char *text = NULL;
	size_t size = 0;
	FILE *out;

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	event_assign(&rd, base, pair[0], EV_READ | EV_PERSIST, nothing_cb, NULL);
	evtimer_assign(&timer, base, nothing_cb, NULL);
	event_assign(&active, base, -1, 0, nothing_cb, NULL);
	event_add(&rd, NULL);
	event_add(&timer, &tv);
	event_active(&active, EV_TIMEOUT, 1);

	CHECK_INT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 1);
	CHECK_INT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_VIRTUAL), 0);
	/* Added counts the two added events and the active one. */
	CHECK_INT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 3);
	CHECK(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0) >= 3);

	seen = 0;
	CHECK_INT_EQ(event_base_foreach_event(base, count_each, NULL), 0);
	CHECK_INT_EQ(seen, 3);
	seen = 0;
	CHECK_INT_EQ(event_base_foreach_event(base, stop_at_second, NULL), 77);
	CHECK_INT_EQ(seen, 2);

	out = open_memstream(&text, &size);
	REQUIRE(out != NULL);
	event_base_dump_events(base, out);
	fclose(out);
	CHECK(strstr(text, "Inserted events:") != NULL);
	CHECK(strstr(text, "Active events:") != NULL);
	CHECK(strstr(text, " Read") != NULL);
	CHECK(strstr(text, " Persist") != NULL);
	CHECK(strstr(text, "Timeout=") != NULL);
	free(text);

	/* The running event is visible from its own callback. */
	event_assign(&runner, base, -1, 0, running_cb, base);
	event_active(&runner, EV_TIMEOUT, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(running_seen == &runner);
	CHECK_INT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 0);
	CHECK_INT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 1), 2);
	CHECK_INT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 0), 0);

	CHECK_INT_EQ(event_base_gettimeofday_cached(base, &cached), 0);
	CHECK(cached.tv_sec > 1000000000);
	CHECK_INT_EQ(event_base_update_cache_time(base), 0);

	event_del(&rd);
	event_del(&timer);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
	return check_report();
}
