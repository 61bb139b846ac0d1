/* Custom lock, condition and thread-id functions, as a program installs them itself:
 * a base created afterwards allocates a lock through them, a loop run with a timer
 * takes and releases it a balanced number of times and asks for thread ids, and freeing
 * the base frees what was allocated. Needs event_base_new/event_base_dispatch.
 * Also lock debugging (both spellings), evthread_make_base_notifiable, the
 * debug-logging mask and libevent_global_shutdown. */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>

#include <pthread.h>
#include <stdlib.h>

#include "check.h"

/* libevent exports this variable without declaring it in a public header. */
extern ev_uint32_t event_debug_logging_mask_;

static int allocs, frees, locks, unlocks, ids, bad_modes, cond_allocs, cond_frees;

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

/* Plain locks only: no read/write modes, and nothing asks to try. */
static int my_lock(unsigned mode, void *lock)
{
	if (mode != 0)
		bad_modes++;
	locks++;
	return pthread_mutex_lock(lock);
}

static int my_unlock(unsigned mode, void *lock)
{
	if (mode != 0)
		bad_modes++;
	unlocks++;
	return pthread_mutex_unlock(lock);
}

static void *my_cond_alloc(unsigned flags)
{
	pthread_cond_t *c = malloc(sizeof(*c));
	(void)flags;
	pthread_cond_init(c, NULL);
	cond_allocs++;
	return c;
}

static void my_cond_free(void *c)
{
	pthread_cond_destroy(c);
	free(c);
	cond_frees++;
}

static int my_cond_signal(void *c, int broadcast)
{
	return broadcast ? pthread_cond_broadcast(c) : pthread_cond_signal(c);
}

static int my_cond_wait(void *c, void *lock, const struct timeval *tv)
{
	(void)tv;
	return pthread_cond_wait(c, lock) ? -1 : 0;
}

static unsigned long my_id(void)
{
	ids++;
	return (unsigned long)pthread_self();
}

static int fired;

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	CHECK_INT_EQ(what, EV_TIMEOUT);
	fired++;
}

int main(void)
{
	struct evthread_lock_callbacks cbs = {
		EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
		my_alloc, my_free, my_lock, my_unlock
	};
	struct evthread_condition_callbacks conds = {
		EVTHREAD_CONDITION_API_VERSION, my_cond_alloc, my_cond_free,
		my_cond_signal, my_cond_wait
	};
	struct event_base *base;
	struct event ev;
	struct timeval tv = {0, 1000};
	int allocs_before;

	CHECK_INT_EQ(evthread_set_lock_callbacks(&cbs), 0);
	CHECK_INT_EQ(evthread_set_condition_callbacks(&conds), 0);
	evthread_set_id_callback(my_id);
	evthread_enable_lock_debugging();
	/* The old spelling does the same; a second call changes nothing. */
	evthread_enable_lock_debuging();

	allocs_before = allocs;
	base = event_base_new();
	REQUIRE(base != NULL);
	CHECK(allocs > allocs_before);
	CHECK(cond_allocs > 0);
	/* A base with locks is notifiable already; asking again is fine. */
	CHECK_INT_EQ(evthread_make_base_notifiable(base), 0);

	locks = unlocks = 0;
	evtimer_assign(&ev, base, timer_cb, NULL);
	CHECK_INT_EQ(evtimer_add(&ev, &tv), 0);
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(fired, 1);
	CHECK(locks > 0);
	CHECK_INT_EQ(locks, unlocks);
	CHECK_INT_EQ(bad_modes, 0);
	CHECK(ids > 0);
	event_base_free(base);
	CHECK(frees > 0);
	CHECK_INT_EQ(cond_frees, cond_allocs);

	event_enable_debug_logging(EVENT_DBG_ALL);
	CHECK_UINT_EQ(event_debug_logging_mask_, EVENT_DBG_ALL);
	event_enable_debug_logging(EVENT_DBG_NONE);
	CHECK_UINT_EQ(event_debug_logging_mask_, 0);
	libevent_global_shutdown();
	return check_report();
}
