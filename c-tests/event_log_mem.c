/* The program's log callback receives the library's warnings, debug logging can be
 * switched on, and event_set_mem_functions routes the library's allocations. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"

static size_t mallocs, reallocs, frees;

static void *count_malloc(size_t n)
{
	mallocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n)
{
	reallocs++;
	return realloc(p, n);
}

static void count_free(void *p)
{
	if (p)
		frees++;
	free(p);
}

static int logged;
static int last_severity = -1;
static char last_message[256];

static void log_cb(int severity, const char *msg)
{
	logged++;
	last_severity = severity;
	strncpy(last_message, msg, sizeof(last_message) - 1);
}

static void nothing_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int main(void)
{
	struct event_base *base;
	struct event ev;
	struct event *heap_ev;
	size_t before;

	/* Must come before anything else allocates. */
	event_set_mem_functions(count_malloc, count_realloc, count_free);
	base = event_base_new();
	REQUIRE(base != NULL);
	CHECK(mallocs > 0);
	before = mallocs;
	heap_ev = event_new(base, -1, 0, nothing_cb, NULL);
	REQUIRE(heap_ev != NULL);
	CHECK(mallocs > before);
	before = frees;
	event_free(heap_ev);
	CHECK(frees > before);

	event_set_log_callback(log_cb);
	/* A refused combination is reported as a warning. */
	CHECK_INT_EQ(event_assign(&ev, base, 3, EV_SIGNAL | EV_READ, nothing_cb, NULL), -1);
	CHECK(logged > 0);
	CHECK_INT_EQ(last_severity, EVENT_LOG_WARN);
	CHECK(strstr(last_message, "EV_SIGNAL") != NULL);

	/* Debug messages only while debug logging is on. */
	logged = 0;
	event_enable_debug_logging(EVENT_DBG_ALL);
	event_assign(&ev, base, -1, 0, nothing_cb, NULL);
	event_active(&ev, EV_TIMEOUT, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_enable_debug_logging(EVENT_DBG_NONE);
	logged = 0;
	event_active(&ev, EV_TIMEOUT, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(logged, 0);

	event_set_log_callback(NULL);
	event_base_free(base);
	CHECK(frees > 0);
	return check_report();
}
