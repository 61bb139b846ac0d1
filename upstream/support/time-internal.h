/* Stand-in for libevent's private time-internal.h.  The suite keeps a monotonic timer
 * on its stack; here that object only holds one of the library's own timers, made and
 * read through the public evutil_monotonic_timer_* API (evutil.c). */
#ifndef UPSTREAM_TIME_INTERNAL_H
#define UPSTREAM_TIME_INTERNAL_H
#include <time.h>
#include <sys/time.h>
#include <event2/util.h>

struct evutil_monotonic_timer {
	/* The library's timer; the library never sees this wrapper. */
	struct evutil_monotonic_timer *library_timer;
};

int evutil_configure_monotonic_time_(struct evutil_monotonic_timer *mt, int flags);
int evutil_gettime_monotonic_(struct evutil_monotonic_timer *mt, struct timeval *tv);
void evutil_usleep_(const struct timeval *tv);
#endif
