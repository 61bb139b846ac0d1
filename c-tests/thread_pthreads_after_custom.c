/* evthread_use_pthreads after the program installed its own lock functions: libevent
 * keeps the program's functions (with a warning) and still answers 0; bases then lock
 * with the program's functions. */
// test: link event_core event_pthreads
#include <event2/event.h>
#include <event2/thread.h>

#include <pthread.h>
#include <stdlib.h>

#include "check.h"

static int allocs, frees, locks, unlocks, warnings;

static void *my_alloc(unsigned locktype)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t *m = malloc(sizeof(*m));
	pthread_mutexattr_init(&attr);
	if (locktype & EVTHREAD_LOCKTYPE_RECURSIVE)
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	allocs++;
	return m;
}

static void my_free(void *lock, unsigned locktype)
{
	(void)locktype;
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

static void log_cb(int severity, const char *msg)
{
	(void)msg;
	if (severity == EVENT_LOG_WARN)
		warnings++;
}

int main(void)
{
	struct evthread_lock_callbacks cbs = {
		EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
		my_alloc, my_free, my_lock, my_unlock
	};
	struct event_base *base;

	CHECK_INT_EQ(evthread_set_lock_callbacks(&cbs), 0);
	event_set_log_callback(log_cb);
	CHECK_INT_EQ(evthread_use_pthreads(), 0);
	CHECK(warnings >= 1);
	event_set_log_callback(NULL);

	allocs = 0;
	base = event_base_new();
	REQUIRE(base != NULL);
	CHECK(allocs > 0);
	locks = unlocks = 0;
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	CHECK(locks > 0);
	CHECK_INT_EQ(locks, unlocks);
	event_base_free(base);
	CHECK(frees > 0);
	return check_report();
}
