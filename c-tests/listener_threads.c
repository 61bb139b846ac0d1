/* LEV_OPT_THREADSAFE listeners as libevent 2.2 runs them, under lock debugging: the
 * callbacks run with the listener's lock held, so evconnlistener_disable from another
 * thread returns only once a running callback has; a callback may free its own listener
 * (the recursive lock is let go before it is freed); another thread may free the
 * listener while the loop accepts, and no callback runs once that free has returned.
 * libevent 2.1 runs the callbacks with the lock released, which deadlocks the first
 * case; libevent 2.2 can still deadlock when a free from another thread races with the
 * start of a run, which evrs avoids by not holding the lock while it waits for the run. */
// test: link event_core event_pthreads
// test: evrs-only libevent 2.1 deadlocks when another thread disables a listener during its callback
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <event2/util.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

#define CLIENTS 20

struct shared {
	struct event_base *base;
	struct evconnlistener *lev;
	struct sockaddr_in sin;
	atomic_int in_cb;
	int calls;
	atomic_int freed;
	int calls_after_free;
	atomic_int done;
	int in_cb_after_disable;
	int free_in_cb;
};

static void pause_ms(int ms)
{
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct shared *s = arg;
	(void)sa;
	(void)socklen;
	if (atomic_load(&s->freed))
		s->calls_after_free++;
	atomic_store(&s->in_cb, 1);
	s->calls++;
	evutil_closesocket(fd);
	if (s->free_in_cb) {
		evconnlistener_free(lev);
	} else {
		pause_ms(5);
	}
	atomic_store(&s->in_cb, 0);
}

static void start(struct shared *s)
{
	ev_socklen_t len = sizeof(s->sin);
	memset(&s->sin, 0, sizeof(s->sin));
	s->sin.sin_family = AF_INET;
	s->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lev = evconnlistener_new_bind(s->base, accept_cb, s,
	    LEV_OPT_THREADSAFE | LEV_OPT_CLOSE_ON_FREE, -1, (struct sockaddr *)&s->sin,
	    sizeof(s->sin));
	REQUIRE(s->lev != NULL);
	REQUIRE(getsockname(evconnlistener_get_fd(s->lev), (struct sockaddr *)&s->sin, &len) == 0);
}

static evutil_socket_t connect_to(const struct shared *s)
{
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	REQUIRE(connect(fd, (const struct sockaddr *)&s->sin, sizeof(s->sin)) == 0);
	return fd;
}

static void run_until_done(struct shared *s)
{
	struct timeval slice = {0, 10000};
	for (int waited = 0; !atomic_load(&s->done) && waited < 10000; waited += 10) {
		event_base_loopexit(s->base, &slice);
		event_base_dispatch(s->base);
	}
	CHECK(atomic_load(&s->done));
}

static void *disable_while_in_callback(void *arg)
{
	struct shared *s = arg;
	evutil_socket_t c = connect_to(s);
	for (int waited = 0; !atomic_load(&s->in_cb) && waited < 5000; waited++)
		pause_ms(1);
	evconnlistener_disable(s->lev);
	s->in_cb_after_disable = atomic_load(&s->in_cb);
	evutil_closesocket(c);
	atomic_store(&s->done, 1);
	return NULL;
}

static void test_disable_waits_for_callback(void)
{
	struct shared s;
	pthread_t th;

	memset(&s, 0, sizeof(s));
	s.base = new_base();
	start(&s);
	REQUIRE(pthread_create(&th, NULL, disable_while_in_callback, &s) == 0);
	run_until_done(&s);
	pthread_join(th, NULL);
	CHECK_INT_EQ(s.calls, 1);
	CHECK_INT_EQ(s.in_cb_after_disable, 0);
	evconnlistener_free(s.lev);
	event_base_free(s.base);
}

static void test_free_in_callback(void)
{
	struct shared s;
	evutil_socket_t c, lfd;

	memset(&s, 0, sizeof(s));
	s.base = new_base();
	s.free_in_cb = 1;
	start(&s);
	lfd = evconnlistener_get_fd(s.lev);
	c = connect_to(&s);
	CHECK(run_until(s.base, &s.calls, 3000));
	CHECK(!fd_is_open(lfd));
	evutil_closesocket(c);
	event_base_free(s.base);
}

static void *connect_then_free(void *arg)
{
	struct shared *s = arg;
	evutil_socket_t clients[CLIENTS];
	for (int i = 0; i < CLIENTS; i++) {
		clients[i] = connect_to(s);
		pause_ms(1);
	}
	evconnlistener_free(s->lev);
	atomic_store(&s->freed, 1);
	for (int i = 0; i < CLIENTS; i++)
		evutil_closesocket(clients[i]);
	atomic_store(&s->done, 1);
	return NULL;
}

static void test_free_from_thread(void)
{
	struct shared s;
	pthread_t th;
	evutil_socket_t lfd;

	memset(&s, 0, sizeof(s));
	s.base = new_base();
	start(&s);
	lfd = evconnlistener_get_fd(s.lev);
	REQUIRE(pthread_create(&th, NULL, connect_then_free, &s) == 0);
	run_until_done(&s);
	pthread_join(th, NULL);
	run_for(s.base, 20);
	CHECK(s.calls > 0);
	CHECK_INT_EQ(s.calls_after_free, 0);
	CHECK(!fd_is_open(lfd));
	event_base_free(s.base);
}

int main(void)
{
	REQUIRE(evthread_use_pthreads() == 0);
	evthread_enable_lock_debugging();
	test_disable_waits_for_callback();
	test_free_in_callback();
	test_free_from_thread();
	return check_report();
}
