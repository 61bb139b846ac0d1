/* Priorities: lower numbers run first, a busy urgent priority starves the others,
 * and the limits of event_base_priority_init / event_priority_set. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

#define N 3
static int order[16];
static int n_order;

static void record_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (n_order < 16)
		order[n_order++] = (int)(long)arg;
}

static void test_order(void)
{
	struct event_base *base = event_base_new();
	struct event ev[N];
	int i;

	CHECK_INT_EQ(event_base_get_npriorities(base), 1);
	CHECK_INT_EQ(event_base_priority_init(base, N), 0);
	CHECK_INT_EQ(event_base_get_npriorities(base), N);
	for (i = 0; i < N; i++) {
		event_assign(&ev[i], base, -1, 0, record_cb, (void *)(long)i);
		/* New events get the middle priority. */
		CHECK_INT_EQ(event_get_priority(&ev[i]), N / 2);
	}
	CHECK_INT_EQ(event_priority_set(&ev[0], 2), 0);
	CHECK_INT_EQ(event_priority_set(&ev[1], 0), 0);
	CHECK_INT_EQ(event_priority_set(&ev[2], 1), 0);
	for (i = 0; i < N; i++)
		event_active(&ev[i], EV_TIMEOUT, 1);
	/* An active event's priority cannot change. */
	CHECK_INT_EQ(event_priority_set(&ev[0], 0), -1);
	/* Out of range. */
	CHECK_INT_EQ(event_priority_set(&ev[1], N), -1);
	CHECK_INT_EQ(event_priority_set(&ev[1], -1), -1);
	/* Not while events are active. */
	CHECK_INT_EQ(event_base_priority_init(base, 5), -1);

	event_base_dispatch(base);
	CHECK_INT_EQ(n_order, 3);
	CHECK_INT_EQ(order[0], 1);
	CHECK_INT_EQ(order[1], 2);
	CHECK_INT_EQ(order[2], 0);

	CHECK_INT_EQ(event_base_priority_init(base, 0), -1);
	/* Fewer than EVENT_MAX_PRIORITIES. */
	CHECK_INT_EQ(event_base_priority_init(base, EVENT_MAX_PRIORITIES), -1);
	CHECK_INT_EQ(event_base_priority_init(base, EVENT_MAX_PRIORITIES - 1), 0);
	event_base_free(base);
}

struct starver {
	struct event ev;
	int runs;
};

static void urgent_cb(evutil_socket_t fd, short what, void *arg)
{
	struct starver *s = arg;
	(void)fd;
	(void)what;
	/* Stays busy three rounds by re-activating itself. */
	if (++s->runs < 3)
		event_active(&s->ev, EV_TIMEOUT, 1);
	record_cb(-1, 0, (void *)0L);
}

static void test_starvation(void)
{
	struct event_base *base = event_base_new();
	struct starver urgent;
	struct event low;

	memset(&urgent, 0, sizeof(urgent));
	n_order = 0;
	event_base_priority_init(base, 2);
	event_assign(&urgent.ev, base, -1, 0, urgent_cb, &urgent);
	event_assign(&low, base, -1, 0, record_cb, (void *)1L);
	event_priority_set(&urgent.ev, 0);
	event_priority_set(&low, 1);
	event_active(&low, EV_TIMEOUT, 1);
	event_active(&urgent.ev, EV_TIMEOUT, 1);
	event_base_dispatch(base);
	/* The low-priority event waits until the urgent one is done. */
	CHECK_INT_EQ(n_order, 4);
	CHECK_INT_EQ(order[0], 0);
	CHECK_INT_EQ(order[1], 0);
	CHECK_INT_EQ(order[2], 0);
	CHECK_INT_EQ(order[3], 1);
	event_base_free(base);
}

static evutil_socket_t limit_pair[2];

static void writer_cb(evutil_socket_t fd, short what, void *arg)
{
	CHECK_INT_EQ(write(limit_pair[1], "w", 1), 1);
	record_cb(fd, what, arg);
}

static void reader_cb(evutil_socket_t fd, short what, void *arg)
{
	char c;
	CHECK_INT_EQ(read(fd, &c, 1), 1);
	record_cb(fd, what, arg);
}

/* Runs four priority-1 callbacks, the first of which makes a priority-0 read event
 * ready; returns where in the order the read callback (id 9) ran. */
static int position_of_reader(struct event_config *cfg)
{
	struct event_base *base = event_base_new_with_config(cfg);
	struct event ev[4], rd;
	int i, at = -1;

	REQUIRE(base != NULL);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, limit_pair) == 0);
	event_base_priority_init(base, 2);
	event_assign(&rd, base, limit_pair[0], EV_READ, reader_cb, (void *)9L);
	event_priority_set(&rd, 0);
	event_add(&rd, NULL);
	n_order = 0;
	for (i = 0; i < 4; i++) {
		event_assign(&ev[i], base, -1, 0, i == 0 ? writer_cb : record_cb, (void *)(long)i);
		event_priority_set(&ev[i], 1);
		event_active(&ev[i], EV_TIMEOUT, 1);
	}
	event_base_dispatch(base);
	CHECK_INT_EQ(n_order, 5);
	for (i = 0; i < n_order; i++)
		if (order[i] == 9)
			at = i;
	evutil_closesocket(limit_pair[0]);
	evutil_closesocket(limit_pair[1]);
	event_base_free(base);
	return at;
}

static void test_dispatch_limits(void)
{
	struct event_config *cfg = event_config_new();

	/* Without limits the whole priority-1 queue runs before the loop polls again. */
	CHECK_INT_EQ(position_of_reader(cfg), 4);
	/* With at most two callbacks of priority >= 1 per round, the loop polls after
	 * two and the urgent reader goes first. */
	CHECK_INT_EQ(event_config_set_max_dispatch_interval(cfg, NULL, 2, 1), 0);
	CHECK_INT_EQ(position_of_reader(cfg), 2);
	/* The limit does not apply to priorities below min_priority. */
	CHECK_INT_EQ(event_config_set_max_dispatch_interval(cfg, NULL, 2, 2), 0);
	CHECK_INT_EQ(position_of_reader(cfg), 4);
	event_config_free(cfg);
}

int main(void)
{
	test_order();
	test_starvation();
	test_dispatch_limits();
	return check_report();
}
