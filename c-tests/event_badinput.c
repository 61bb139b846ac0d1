/* Bad arguments get an error return (and a log message), never a crash: NULL
 * pointers, invalid fds, unknown flags, out-of-range priorities.
 * libevent 2.1 crashes on several of these NULL arguments. */
// test: per-backend
// test: evrs-only libevent 2.1 dereferences NULL in several of these calls
#include <event2/event.h>
#include <event2/event_struct.h>

#include <string.h>

#include "check.h"

static int warnings;

static void log_cb(int severity, const char *msg)
{
	(void)msg;
	if (severity >= EVENT_LOG_WARN)
		warnings++;
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
	struct event_config *cfg = event_config_new();
	struct event ev, unassigned;
	struct timeval tv = {0, 0}, negative = {-1, 0};

	event_set_log_callback(log_cb);

	CHECK_INT_EQ(event_add(NULL, NULL), -1);
	CHECK_INT_EQ(event_del(NULL), -1);
	CHECK_INT_EQ(event_del_block(NULL), -1);
	CHECK_INT_EQ(event_del_noblock(NULL), -1);
	CHECK_INT_EQ(event_remove_timer(NULL), -1);
	CHECK_INT_EQ(event_pending(NULL, EV_READ, NULL), 0);
	CHECK_INT_EQ(event_assign(NULL, base, -1, 0, nothing_cb, NULL), -1);
	CHECK_INT_EQ(event_priority_set(NULL, 0), -1);
	CHECK_INT_EQ(event_base_set(NULL, &ev), -1);
	CHECK_INT_EQ(event_finalize(0, NULL, NULL), -1);
	event_active(NULL, EV_READ, 1);
	event_free(NULL);
	CHECK_INT_EQ(event_get_fd(NULL), -1);
	CHECK(event_get_base(NULL) == NULL);
	CHECK(event_get_callback(NULL) == NULL);
	CHECK_INT_EQ(event_initialized(NULL), 0);

	CHECK_INT_EQ(event_base_loop(NULL, 0), -1);
	CHECK_INT_EQ(event_base_dispatch(NULL), -1);
	CHECK_INT_EQ(event_base_loopbreak(NULL), -1);
	CHECK_INT_EQ(event_base_loopexit(NULL, NULL), -1);
	CHECK(event_base_get_method(NULL) == NULL);
	CHECK_INT_EQ(event_base_get_features(NULL), 0);
	CHECK_INT_EQ(event_base_priority_init(NULL, 2), -1);
	CHECK(event_base_get_running_event(base) == NULL);
	CHECK(event_base_get_running_event(NULL) == NULL);
	CHECK(event_base_init_common_timeout(NULL, &tv) == NULL);
	CHECK(event_base_init_common_timeout(base, NULL) == NULL);
	CHECK_INT_EQ(event_gettime_monotonic(base, NULL), -1);
	CHECK_INT_EQ(event_gettime_monotonic(NULL, &tv), -1);
	CHECK_INT_EQ(event_base_foreach_event(base, NULL, NULL), -1);
	event_base_dump_events(NULL, stdout);
	event_base_dump_events(base, NULL);
	event_base_active_by_fd(NULL, 0, EV_READ);
	event_base_active_by_fd(base, -5, EV_READ);
	event_base_active_by_fd(base, 100000, EV_READ);
	event_base_active_by_signal(base, 100000);
	event_base_free(NULL);

	CHECK_INT_EQ(event_config_avoid_method(NULL, "epoll"), -1);
	CHECK_INT_EQ(event_config_avoid_method(cfg, NULL), -1);
	CHECK_INT_EQ(event_config_set_flag(NULL, 0), -1);
	CHECK_INT_EQ(event_config_set_flag(cfg, 0x10000), -1);
	CHECK_INT_EQ(event_config_require_features(NULL, 0), -1);
	CHECK_INT_EQ(event_config_set_max_dispatch_interval(cfg, NULL, 1, -1), -1);
	event_config_free(NULL);

	/* An event on fd -1 is accepted and pending but watches nothing, as in libevent
	 * (socket bufferevents rely on it before they have a socket). */
	warnings = 0;
	event_assign(&ev, base, -1, EV_READ, nothing_cb, NULL);
	CHECK_INT_EQ(event_add(&ev, NULL), 0);
	CHECK_INT_EQ(event_pending(&ev, EV_READ, NULL), EV_READ);
	CHECK_INT_EQ(event_del(&ev), 0);
	CHECK_INT_EQ(event_pending(&ev, EV_READ, NULL), 0);
	CHECK_INT_EQ(warnings, 0);
	/* A descriptor that is not open is refused when added (poll and select only find
	 * out when they wait, as with libevent). */
	if (strcmp(event_base_get_method(base), "epoll") == 0) {
		event_assign(&ev, base, 99999, EV_READ, nothing_cb, NULL);
		CHECK_INT_EQ(event_add(&ev, NULL), -1);
		CHECK(warnings >= 1);
	}
	/* A negative timeout is accepted, as a deadline already passed. */
	event_assign(&ev, base, -1, 0, nothing_cb, NULL);
	CHECK_INT_EQ(event_add(&ev, &negative), 0);
	CHECK_INT_EQ(event_del(&ev), 0);
	/* An event without a base. */
	memset(&unassigned, 0, sizeof(unassigned));
	CHECK_INT_EQ(event_add(&unassigned, NULL), -1);
	CHECK_INT_EQ(event_del(&unassigned), -1);
	/* A pending event cannot move to another base. */
	{
		struct event_base *other = event_base_new();
		struct timeval later = {10, 0};
		event_assign(&ev, base, -1, 0, nothing_cb, NULL);
		CHECK_INT_EQ(event_add(&ev, &later), 0);
		CHECK_INT_EQ(event_base_set(other, &ev), -1);
		CHECK(event_get_base(&ev) == base);
		CHECK_INT_EQ(event_del(&ev), 0);
		CHECK_INT_EQ(event_base_set(other, &ev), 0);
		CHECK(event_get_base(&ev) == other);
		event_base_free(other);
		event_assign(&ev, base, -1, 0, nothing_cb, NULL);
	}
	/* Out-of-range priority. */
	CHECK_INT_EQ(event_priority_set(&ev, 5), -1);
	/* Invalid signal numbers. */
	event_assign(&ev, base, 1000, EV_SIGNAL, nothing_cb, NULL);
	CHECK_INT_EQ(event_add(&ev, NULL), -1);

	event_set_log_callback(NULL);
	event_config_free(cfg);
	event_base_free(base);
	return check_report();
}
