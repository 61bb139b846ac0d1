/* BEV_OPT_THREADSAFE with evthread_use_pthreads: another thread writes through a
 * bufferevent while the loop runs, bufferevent_lock really excludes other threads, the
 * lock is held while callbacks run, and BEV_OPT_UNLOCK_CALLBACKS (with
 * BEV_OPT_DEFER_CALLBACKS) runs them without it. */
// test: link event_core event_pthreads
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

#define MESSAGES 2000

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---- a writer thread feeding the bufferevent while the loop runs ---- */

struct writer {
	struct bufferevent *bev;
	struct evbuffer *received;
	struct event_base *base;
	evutil_socket_t peer;
	size_t expected;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char msg[32];
	for (int i = 0; i < MESSAGES; i++) {
		int n = snprintf(msg, sizeof(msg), "m%05d\n", i);
		/* Two pieces under one lock: nobody can slip in between. */
		bufferevent_lock(w->bev);
		bufferevent_write(w->bev, msg, (size_t)n - 1);
		bufferevent_write(w->bev, "\n", 1);
		bufferevent_unlock(w->bev);
		if (i % 200 == 0)
			sleep_ms(1);
	}
	return NULL;
}

static void peer_read(evutil_socket_t fd, short what, void *arg)
{
	struct writer *w = arg;
	(void)what;
	while (evbuffer_read(w->received, fd, 4096) > 0)
		;
	if (evbuffer_get_length(w->received) >= w->expected)
		event_base_loopbreak(w->base);
}

static void test_write_from_thread(void)
{
	struct event_base *base = event_base_new();
	evutil_socket_t fds[2];
	struct writer w;
	struct event *rev;
	struct timeval limit = {10, 0};
	pthread_t th;
	char line[32], want[32];
	int i, ok = 1;

	REQUIRE(base != NULL);
	make_pair(fds);
	w.base = base;
	w.bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE);
	REQUIRE(w.bev != NULL);
	w.received = evbuffer_new();
	w.peer = fds[1];
	w.expected = (size_t)MESSAGES * 7;
	rev = event_new(base, fds[1], EV_READ | EV_PERSIST, peer_read, &w);
	event_add(rev, NULL);
	REQUIRE(pthread_create(&th, NULL, writer_main, &w) == 0);
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	pthread_join(th, NULL);
	CHECK_UINT_EQ(evbuffer_get_length(w.received), w.expected);
	for (i = 0; i < MESSAGES && ok; i++) {
		snprintf(want, sizeof(want), "m%05d\n", i);
		if (evbuffer_remove(w.received, line, 7) != 7 || memcmp(line, want, 7) != 0)
			ok = 0;
	}
	CHECK(ok);
	event_free(rev);
	bufferevent_free(w.bev);
	evbuffer_free(w.received);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

/* ---- the lock excludes other threads ---- */

struct locker {
	struct bufferevent *bev;
	atomic_int acquired;
};

static void *locker_main(void *arg)
{
	struct locker *l = arg;
	bufferevent_lock(l->bev);
	atomic_store(&l->acquired, 1);
	bufferevent_unlock(l->bev);
	return NULL;
}

static int wait_acquired(struct locker *l, int ms)
{
	for (int i = 0; i < ms && !atomic_load(&l->acquired); i++)
		sleep_ms(1);
	return atomic_load(&l->acquired);
}

static void test_lock_excludes(void)
{
	struct event_base *base = event_base_new();
	evutil_socket_t fds[2];
	struct locker l;
	pthread_t th;

	REQUIRE(base != NULL);
	make_pair(fds);
	l.bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE);
	REQUIRE(l.bev != NULL);
	atomic_init(&l.acquired, 0);
	bufferevent_lock(l.bev);
	/* The lock is recursive for its owner. */
	bufferevent_lock(l.bev);
	bufferevent_unlock(l.bev);
	REQUIRE(pthread_create(&th, NULL, locker_main, &l) == 0);
	CHECK_INT_EQ(wait_acquired(&l, 100), 0);
	bufferevent_unlock(l.bev);
	CHECK_INT_EQ(wait_acquired(&l, 5000), 1);
	pthread_join(th, NULL);
	bufferevent_free(l.bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

/* ---- is the lock held while a callback runs? ---- */

struct cbcheck {
	struct locker l;
	int calls;
	int acquired_during_cb;
	pthread_t th;
};

static void probing_read_cb(struct bufferevent *bev, void *arg)
{
	struct cbcheck *c = arg;
	(void)bev;
	if (c->calls++)
		return;
	atomic_store(&c->l.acquired, 0);
	REQUIRE(pthread_create(&c->th, NULL, locker_main, &c->l) == 0);
	/* Another thread tries to take the bufferevent's lock while we are in the callback. */
	c->acquired_during_cb = wait_acquired(&c->l, 200);
	/* Return (releasing the lock if it was held) before joining the thread. */
}

static void probe(int options, int expect_acquired)
{
	struct event_base *base = event_base_new();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct cbcheck c;
	struct timeval slice = {0, 10000};

	REQUIRE(base != NULL);
	make_pair(fds);
	memset(&c, 0, sizeof(c));
	atomic_init(&c.l.acquired, 0);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE | options);
	REQUIRE(bev != NULL);
	c.l.bev = bev;
	bufferevent_setcb(bev, probing_read_cb, NULL, NULL, &c);
	bufferevent_enable(bev, EV_READ);
	CHECK_INT_EQ(write(fds[1], "?", 1), 1);
	for (int i = 0; i < 300 && !c.calls; i++) {
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	CHECK_INT_EQ(c.calls, 1);
	CHECK_INT_EQ(c.acquired_during_cb, expect_acquired);
	/* In every case the other thread gets the lock once the callback is over. */
	if (c.calls) {
		CHECK_INT_EQ(wait_acquired(&c.l, 5000), 1);
		pthread_join(c.th, NULL);
	}
	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

int main(void)
{
	REQUIRE(evthread_use_pthreads() == 0);
	test_write_from_thread();
	test_lock_excludes();
	/* Callbacks run with the lock held, deferred or not... */
	probe(0, 0);
	probe(BEV_OPT_DEFER_CALLBACKS, 0);
	/* ...unless BEV_OPT_UNLOCK_CALLBACKS is given. */
	probe(BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS, 1);
	return check_report();
}
