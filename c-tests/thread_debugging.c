/* Lock debugging turned on before the program's lock functions are installed: every
 * lock is then allocated (and freed) as recursive, so that the checks see a second lock
 * instead of a deadlock, and bases work as usual with balanced locking. */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>

#include <pthread.h>
#include <stdlib.h>

#include "check.h"

static int allocs, frees, not_recursive, locks, unlocks;

static void *my_alloc(unsigned locktype)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t *m = malloc(sizeof(*m));
	if (!(locktype & EVTHREAD_LOCKTYPE_RECURSIVE))
		not_recursive++;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	allocs++;
	return m;
}

static void my_free(void *lock, unsigned locktype)
{
	if (!(locktype & EVTHREAD_LOCKTYPE_RECURSIVE))
		not_recursive++;
	pthread_mutex_destroy(lock);
	free(lock);
	frees++;
}

static int my_lock(unsigned mode, void *lock)
{
	(void)mode;
	locks++;
	return pthread_mutex_lock(lock);
}

static int my_unlock(unsigned mode, void *lock)
{
	(void)mode;
	unlocks++;
	return pthread_mutex_unlock(lock);
}

static unsigned long my_id(void)
{
	return (unsigned long)pthread_self();
}

static int fired;

static void cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fired++;
}

int main(void)
{
	struct evthread_lock_callbacks cbs = {
		EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
		my_alloc, my_free, my_lock, my_unlock
	};
	struct event_base *base;
	struct event timer, active;
	struct timeval tv = {0, 1000};

	evthread_enable_lock_debugging();
	CHECK_INT_EQ(evthread_set_lock_callbacks(&cbs), 0);
	evthread_set_id_callback(my_id);

	base = event_base_new();
	REQUIRE(base != NULL);
	CHECK(allocs > 0);
	evtimer_assign(&timer, base, cb, NULL);
	evtimer_assign(&active, base, cb, NULL);
	CHECK_INT_EQ(evtimer_add(&timer, &tv), 0);
	event_active(&active, EV_TIMEOUT, 1);
	locks = unlocks = 0;
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(fired, 2);
	CHECK(locks > 0);
	CHECK_INT_EQ(locks, unlocks);
	event_base_free(base);
	CHECK(frees > 0);
	CHECK_INT_EQ(not_recursive, 0);
	return check_report();
}
