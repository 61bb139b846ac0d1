/* Several events ready in one poll: a callback that deletes another ready event keeps
 * it from running, a loopbreak leaves the rest for the next run, a callback may free
 * its own event, and the running event is visible from inside its callback. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

#define N 3
static evutil_socket_t pairs[N][2];
static struct event *events[N];
static struct event_base *base;
static int calls;

static void open_pairs(void)
{
	int i;
	for (i = 0; i < N; i++) {
		REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]) == 0);
		evutil_make_socket_nonblocking(pairs[i][0]);
		CHECK_INT_EQ(write(pairs[i][1], "b", 1), 1);
	}
}

static void close_pairs(void)
{
	int i;
	for (i = 0; i < N; i++) {
		evutil_closesocket(pairs[i][0]);
		evutil_closesocket(pairs[i][1]);
	}
}

static void delete_others_cb(evutil_socket_t fd, short what, void *arg)
{
	int i;
	(void)fd;
	(void)what;
	calls++;
	for (i = 0; i < N; i++)
		if (events[i] != arg)
			event_del(events[i]);
}

static void break_cb(evutil_socket_t fd, short what, void *arg)
{
	char c;
	(void)what;
	(void)arg;
	calls++;
	CHECK_INT_EQ(read(fd, &c, 1), 1);
	event_base_loopbreak(base);
}

static void free_self_cb(evutil_socket_t fd, short what, void *arg)
{
	char c;
	struct event *self = arg;
	(void)what;
	calls++;
	CHECK(event_base_get_running_event(base) == self);
	CHECK_INT_EQ(read(fd, &c, 1), 1);
	event_free(self);
}

int main(void)
{
	int i;

	/* Whichever runs first deletes the others: exactly one callback. */
	base = event_base_new();
	open_pairs();
	calls = 0;
	for (i = 0; i < N; i++) {
		events[i] = event_new(base, pairs[i][0], EV_READ | EV_PERSIST, delete_others_cb, event_self_cbarg());
		event_add(events[i], NULL);
	}
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls, 1);
	for (i = 0; i < N; i++)
		event_free(events[i]);
	close_pairs();
	event_base_free(base);

	/* A break after the first callback; the others run on the next call. */
	base = event_base_new();
	open_pairs();
	calls = 0;
	for (i = 0; i < N; i++) {
		events[i] = event_new(base, pairs[i][0], EV_READ, break_cb, NULL);
		event_add(events[i], NULL);
	}
	CHECK_INT_EQ(event_base_dispatch(base), 0);
	CHECK_INT_EQ(calls, 1);
	CHECK(event_base_got_break(base));
	while (calls < N && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	CHECK_INT_EQ(calls, N);
	for (i = 0; i < N; i++)
		event_free(events[i]);
	close_pairs();
	event_base_free(base);

	/* Each callback frees its own persistent event. */
	base = event_base_new();
	open_pairs();
	calls = 0;
	for (i = 0; i < N; i++) {
		events[i] = event_new(base, pairs[i][0], EV_READ | EV_PERSIST, free_self_cb, event_self_cbarg());
		event_add(events[i], NULL);
	}
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(calls, N);
	close_pairs();
	event_base_free(base);
	return check_report();
}
