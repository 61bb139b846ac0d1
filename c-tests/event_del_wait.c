/* A blocking event_del from another thread waits for the running callback of its
 * event, and gets in before that event can run again: a persistent event whose fd
 * stays readable runs exactly once. */
// test: link event_core event_pthreads
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>

#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static volatile int runs;
static volatile int started;

static void slow_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	started = 1;
	usleep(200000);
	runs++;
}

static void *loop_thread(void *arg)
{
	event_base_dispatch(arg);
	return NULL;
}

int main(void)
{
	struct event_base *base;
	struct event ev;
	pthread_t thread;
	int pair[2];

	CHECK_INT_EQ(evthread_use_pthreads(), 0);
	base = event_base_new();
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	event_assign(&ev, base, pair[0], EV_READ | EV_PERSIST, slow_cb, NULL);
	CHECK_INT_EQ(event_add(&ev, NULL), 0);
	CHECK_INT_EQ(pthread_create(&thread, NULL, loop_thread, base), 0);
	/* The byte is never read, so the event stays ready. */
	CHECK_INT_EQ(write(pair[1], "x", 1), 1);
	while (!started)
		usleep(1000);
	CHECK_INT_EQ(event_del(&ev), 0);
	CHECK_INT_EQ(runs, 1);
	CHECK_INT_EQ(pthread_join(thread, NULL), 0);
	CHECK_INT_EQ(runs, 1);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
	return check_report();
}
