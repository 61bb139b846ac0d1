/* Custom lock, condition and thread-id functions: installing rules, a base created
 * afterwards uses them (balanced lock/unlock around a loop run), lock debugging, and
 * evthread_make_base_notifiable. Also the debug-logging mask and global shutdown. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>

#include <pthread.h>
#include <stdlib.h>

#include "check.h"

/* libevent exports this variable without declaring it in a public header. */
extern ev_uint32_t event_debug_logging_mask_;

static int allocs, frees, locks, unlocks, ids;

static void *my_alloc(unsigned locktype)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t *m = malloc(sizeof(*m));
	pthread_mutexattr_init(&attr);
	if (locktype & EVTHREAD_LOCKTYPE_RECURSIVE)
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(m, &attr);
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

static void *cond_alloc(unsigned flags)
{
	pthread_cond_t *c = malloc(sizeof(*c));
	(void)flags;
	pthread_cond_init(c, NULL);
	return c;
}

static void cond_free(void *c)
{
	pthread_cond_destroy(c);
	free(c);
}

static int cond_signal(void *c, int broadcast)
{
	return broadcast ? pthread_cond_broadcast(c) : pthread_cond_signal(c);
}

static int cond_wait(void *c, void *lock, const struct timeval *tv)
{
	(void)tv;
	return pthread_cond_wait(c, lock) ? -1 : 0;
}

static unsigned long my_id(void)
{
	ids++;
	return (unsigned long)pthread_self();
}

static void unlock_other(unsigned mode, void *lock)
{
	(void)mode;
	(void)lock;
}

static void nothing_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int main(void)
{
	struct evthread_lock_callbacks cbs = {
		EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
		my_alloc, my_free, my_lock, my_unlock
	};
	struct evthread_lock_callbacks other = cbs;
	struct evthread_condition_callbacks conds = {
		EVTHREAD_CONDITION_API_VERSION, cond_alloc, cond_free, cond_signal, cond_wait
	};
	struct event_base *base;
	struct event ev;
	struct timeval tv = {0, 1000};

	(void)unlock_other;
	CHECK_INT_EQ(evthread_set_lock_callbacks(&cbs), 0);
	/* The same functions again are accepted; different ones are refused. */
	CHECK_INT_EQ(evthread_set_lock_callbacks(&cbs), 0);
	other.unlock = my_lock;
	CHECK_INT_EQ(evthread_set_lock_callbacks(&other), -1);
	CHECK_INT_EQ(evthread_set_condition_callbacks(&conds), 0);
	evthread_set_id_callback(my_id);
	evthread_enable_lock_debugging();
	/* The old spelling does the same. */
	evthread_enable_lock_debuging();

	base = event_base_new();
	REQUIRE(base != NULL);
	CHECK(allocs > 0);
	CHECK_INT_EQ(evthread_make_base_notifiable(base), 0);
	locks = unlocks = 0;
	evtimer_assign(&ev, base, nothing_cb, NULL);
	evtimer_add(&ev, &tv);
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK(locks > 0);
	CHECK_INT_EQ(locks, unlocks);
	CHECK(ids > 0);
	event_base_free(base);
	CHECK(frees > 0);

	event_enable_debug_logging(EVENT_DBG_ALL);
	CHECK_UINT_EQ(event_debug_logging_mask_, EVENT_DBG_ALL);
	event_enable_debug_logging(EVENT_DBG_NONE);
	CHECK_UINT_EQ(event_debug_logging_mask_, 0);
	libevent_global_shutdown();
	return check_report();
}
