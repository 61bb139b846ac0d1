/* evthread_use_pthreads_with_flags (libevent 2.2) with priority-inheriting mutexes:
 * a base created afterwards wakes from another thread's event_active. */
// test: per-backend
// test: requires 2.2
// test: link event_core event_pthreads
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>

#include <pthread.h>
#include <unistd.h>

#include "check.h"

static int fired;
static struct event target;

static void fire_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fired++;
}

static void *poke(void *arg)
{
	(void)arg;
	usleep(20 * 1000);
	event_active(&target, EV_TIMEOUT, 1);
	return NULL;
}

int main(void)
{
	struct event_base *base;
	struct event keepalive;
	struct timeval ten = {10, 0};
	pthread_t thread;

	CHECK_INT_EQ(evthread_use_pthreads_with_flags(EVTHREAD_PTHREAD_PRIO_INHERIT), 0);
	/* Only the first call sets anything up; later ones just succeed. */
	CHECK_INT_EQ(evthread_use_pthreads_with_flags(0), 0);
	CHECK_INT_EQ(evthread_use_pthreads(), 0);
	base = event_base_new();
	REQUIRE(base != NULL);
	evtimer_assign(&keepalive, base, fire_cb, NULL);
	evtimer_add(&keepalive, &ten);
	evtimer_assign(&target, base, fire_cb, NULL);
	REQUIRE(pthread_create(&thread, NULL, poke, NULL) == 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	pthread_join(thread, NULL);
	CHECK_INT_EQ(fired, 1);
	evtimer_del(&keepalive);
	event_base_free(base);
	return check_report();
}
