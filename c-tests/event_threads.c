/* With evthread_use_pthreads, other threads may add, activate and delete events of a
 * base whose loop sleeps in another thread: the loop wakes at once, and event_del waits
 * for a running callback of the event while event_del_noblock does not. */
// test: link event_core event_pthreads
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static volatile int fired;
static double fired_at;

static void fire_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fired++;
	fired_at = now_ms();
}

struct poke {
	struct event *ev;
	int how; /* 0: event_active, 1: event_add with a zero timeout */
};

static void *poke_thread(void *arg)
{
	struct poke *p = arg;
	struct timeval zero = {0, 0};
	usleep(50 * 1000);
	if (p->how == 0)
		event_active(p->ev, EV_TIMEOUT, 1);
	else
		event_add(p->ev, &zero);
	return NULL;
}

/* The loop sleeps on a ten-second timer; another thread's change wakes it. */
static void test_wakeup(int how)
{
	struct event_base *base = event_base_new();
	struct event keepalive, target;
	struct timeval ten = {10, 0};
	struct poke p;
	pthread_t thread;
	double start;

	REQUIRE(base != NULL);
	fired = 0;
	evtimer_assign(&keepalive, base, fire_cb, NULL);
	evtimer_add(&keepalive, &ten);
	evtimer_assign(&target, base, fire_cb, NULL);
	p.ev = &target;
	p.how = how;
	start = now_ms();
	REQUIRE(pthread_create(&thread, NULL, poke_thread, &p) == 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	pthread_join(thread, NULL);
	CHECK_INT_EQ(fired, 1);
	CHECK(fired_at - start < 5000);
	evtimer_del(&keepalive);
	event_base_free(base);
}

static volatile int in_callback, callback_done;

static void slow_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	in_callback = 1;
	usleep(200 * 1000);
	callback_done = 1;
}

struct loop_args {
	struct event_base *base;
};

static void *loop_thread(void *arg)
{
	struct loop_args *a = arg;
	event_base_loop(a->base, EVLOOP_ONCE);
	return NULL;
}

/* event_del from another thread while the callback runs. */
static void test_del_waits(int noblock)
{
	struct event_base *base = event_base_new();
	struct event ev;
	struct loop_args a = {base};
	pthread_t thread;

	in_callback = callback_done = 0;
	event_assign(&ev, base, -1, EV_PERSIST, slow_cb, NULL);
	event_active(&ev, EV_TIMEOUT, 1);
	REQUIRE(pthread_create(&thread, NULL, loop_thread, &a) == 0);
	while (!in_callback)
		usleep(1000);
	if (noblock) {
		CHECK_INT_EQ(event_del_noblock(&ev), 0);
		CHECK_INT_EQ(callback_done, 0);
	} else {
		CHECK_INT_EQ(event_del(&ev), 0);
		CHECK_INT_EQ(callback_done, 1);
	}
	pthread_join(thread, NULL);
	event_base_free(base);
}

static void test_nolock_base(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;
	struct event ev;

	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	base = event_base_new_with_config(cfg);
	REQUIRE(base != NULL);
	fired = 0;
	event_assign(&ev, base, -1, 0, fire_cb, NULL);
	event_active(&ev, EV_TIMEOUT, 1);
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(fired, 1);
	event_base_free(base);
	event_config_free(cfg);
}

int main(void)
{
	CHECK_INT_EQ(evthread_use_pthreads(), 0);
	test_wakeup(0);
	test_wakeup(1);
	test_del_waits(0);
	test_del_waits(1);
	test_nolock_base();
	return check_report();
}
