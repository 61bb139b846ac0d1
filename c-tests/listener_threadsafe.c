/* LEV_OPT_THREADSAFE listeners with evthread_use_pthreads: another thread disables and
 * enables the listener, swaps its callback and connects clients while the loop runs in
 * the main thread; every connection is accepted exactly once. */
// test: link event_core event_pthreads
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <event2/util.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define CLIENTS 40

struct shared {
	struct evconnlistener *lev;
	struct event_base *base;
	struct sockaddr_in sin;
	atomic_int accepts_a;
	atomic_int accepts_b;
	atomic_int done;
	int bad_getters;
	evutil_socket_t clients[CLIENTS];
};

static void cb_a(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct shared *s = arg;
	(void)lev;
	(void)sa;
	(void)socklen;
	atomic_fetch_add(&s->accepts_a, 1);
	evutil_closesocket(fd);
}

static void cb_b(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct shared *s = arg;
	(void)lev;
	(void)sa;
	(void)socklen;
	atomic_fetch_add(&s->accepts_b, 1);
	evutil_closesocket(fd);
}

static void *worker(void *arg)
{
	struct shared *s = arg;
	struct timespec pause = {0, 2000000};
	for (int i = 0; i < CLIENTS; i++) {
		if (evconnlistener_get_base(s->lev) != s->base || evconnlistener_get_fd(s->lev) < 0)
			s->bad_getters++;
		evconnlistener_disable(s->lev);
		if (i == CLIENTS / 2)
			evconnlistener_set_cb(s->lev, cb_b, s);
		s->clients[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (s->clients[i] >= 0 &&
		    connect(s->clients[i], (struct sockaddr *)&s->sin, sizeof(s->sin)) < 0) {
			close(s->clients[i]);
			s->clients[i] = -1;
		}
		nanosleep(&pause, NULL);
		evconnlistener_enable(s->lev);
		nanosleep(&pause, NULL);
	}
	atomic_store(&s->done, 1);
	return NULL;
}

int main(void)
{
	struct shared s;
	struct timeval slice = {0, 10000};
	ev_socklen_t len = sizeof(s.sin);
	pthread_t th;
	int waited;

	REQUIRE(evthread_use_pthreads() == 0);
	memset(&s, 0, sizeof(s));
	atomic_init(&s.accepts_a, 0);
	atomic_init(&s.accepts_b, 0);
	atomic_init(&s.done, 0);
	s.base = event_base_new();
	REQUIRE(s.base != NULL);
	s.sin.sin_family = AF_INET;
	s.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s.lev = evconnlistener_new_bind(s.base, cb_a, &s, LEV_OPT_THREADSAFE | LEV_OPT_CLOSE_ON_FREE,
	    -1, (struct sockaddr *)&s.sin, sizeof(s.sin));
	REQUIRE(s.lev != NULL);
	REQUIRE(getsockname(evconnlistener_get_fd(s.lev), (struct sockaddr *)&s.sin, &len) == 0);

	REQUIRE(pthread_create(&th, NULL, worker, &s) == 0);
	for (waited = 0; waited < 10000; waited += 10) {
		if (atomic_load(&s.done) &&
		    atomic_load(&s.accepts_a) + atomic_load(&s.accepts_b) >= CLIENTS)
			break;
		event_base_loopexit(s.base, &slice);
		event_base_dispatch(s.base);
	}
	pthread_join(th, NULL);
	/* A last look for stragglers, then no more than one accept per client. */
	event_base_loopexit(s.base, &slice);
	event_base_dispatch(s.base);
	CHECK_INT_EQ(atomic_load(&s.accepts_a) + atomic_load(&s.accepts_b), CLIENTS);
	CHECK(atomic_load(&s.accepts_a) > 0);
	CHECK(atomic_load(&s.accepts_b) > 0);
	CHECK_INT_EQ(s.bad_getters, 0);
	for (int i = 0; i < CLIENTS; i++) {
		CHECK(s.clients[i] >= 0);
		if (s.clients[i] >= 0)
			close(s.clients[i]);
	}
	evconnlistener_free(s.lev);
	event_base_free(s.base);
	return check_report();
}
