/* evthread_use_pthreads from libevent_pthreads: it succeeds (also when called again),
 * its functions are then in place (others are refused), and a base created afterwards
 * is usable from two threads: another thread's event_active and event_add wake the
 * loop at once, and its event_base_loopbreak ends a loop that has nothing to wait for.
 * The loop parts need event_base_new/event_base_loop. */
// test: link event_core event_pthreads
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void *my_alloc(unsigned locktype)
{
	(void)locktype;
	return NULL;
}

static void my_free(void *lock, unsigned locktype)
{
	(void)lock;
	(void)locktype;
}

static int my_lock(unsigned mode, void *lock)
{
	(void)mode;
	(void)lock;
	return 0;
}

static void quiet(int severity, const char *msg)
{
	(void)severity;
	(void)msg;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static volatile int fired;
static pthread_t fired_on;

static void fire_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fired++;
	fired_on = pthread_self();
}

enum poke_kind { POKE_ACTIVE, POKE_ADD, POKE_BREAK };

struct poke {
	struct event_base *base;
	struct event *ev;
	enum poke_kind kind;
};

static void *poke_thread(void *arg)
{
	struct poke *p = arg;
	struct timeval zero = {0, 0};
	usleep(30 * 1000);
	switch (p->kind) {
	case POKE_ACTIVE:
		event_active(p->ev, EV_TIMEOUT, 1);
		break;
	case POKE_ADD:
		event_add(p->ev, &zero);
		break;
	case POKE_BREAK:
		event_base_loopbreak(p->base);
		break;
	}
	return NULL;
}

static void test_wake(enum poke_kind kind)
{
	struct event_base *base = event_base_new();
	struct event keepalive, target;
	struct timeval ten = {10, 0};
	struct poke p;
	pthread_t thread;
	double start;
	int flags = kind == POKE_BREAK ? EVLOOP_NO_EXIT_ON_EMPTY : EVLOOP_ONCE;

	REQUIRE(base != NULL);
	fired = 0;
	evtimer_assign(&keepalive, base, fire_cb, NULL);
	evtimer_assign(&target, base, fire_cb, NULL);
	if (kind != POKE_BREAK)
		evtimer_add(&keepalive, &ten);
	p.base = base;
	p.ev = &target;
	p.kind = kind;
	start = now_ms();
	REQUIRE(pthread_create(&thread, NULL, poke_thread, &p) == 0);
	CHECK_INT_EQ(event_base_loop(base, flags), 0);
	CHECK(now_ms() - start < 5000);
	pthread_join(thread, NULL);
	if (kind == POKE_BREAK) {
		CHECK_INT_EQ(fired, 0);
		CHECK(event_base_got_break(base));
	} else {
		CHECK_INT_EQ(fired, 1);
		/* Callbacks run in the loop's thread. */
		CHECK(pthread_equal(fired_on, pthread_self()));
	}
	evtimer_del(&keepalive);
	event_base_free(base);
}

int main(void)
{
	struct evthread_lock_callbacks mine = {
		EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
		my_alloc, my_free, my_lock, my_lock
	};

	CHECK_INT_EQ(evthread_use_pthreads(), 0);
	CHECK_INT_EQ(evthread_use_pthreads(), 0);
	/* The pthread functions are installed, so others are refused. */
	event_set_log_callback(quiet);
	CHECK_INT_EQ(evthread_set_lock_callbacks(&mine), -1);
	event_set_log_callback(NULL);

	test_wake(POKE_ACTIVE);
	test_wake(POKE_ADD);
	test_wake(POKE_BREAK);
	return check_report();
}
