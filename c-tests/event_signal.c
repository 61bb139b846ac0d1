/* Signal events: delivery while the loop sleeps, several events per signal, several
 * bases, restoring the previous handler when the last event goes. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static int calls[4];
static short last_what;

static void sig_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	calls[(long)arg]++;
	last_what = what;
}

static void raise_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	raise((int)(long)arg);
}

static void test_basic_delivery(void)
{
	struct event_base *base = event_base_new();
	struct event sig, again, timer;
	struct timeval tv = {0, 10 * 1000};

	memset(calls, 0, sizeof(calls));
	evsignal_assign(&sig, base, SIGUSR1, sig_cb, (void *)0L);
	evsignal_assign(&again, base, SIGUSR1, sig_cb, (void *)1L);
	CHECK_INT_EQ(evsignal_add(&sig, NULL), 0);
	CHECK_INT_EQ(evsignal_add(&again, NULL), 0);
	CHECK(evsignal_pending(&sig, NULL));
	/* The signal is raised by a timer while the loop sleeps. */
	evtimer_assign(&timer, base, raise_cb, (void *)(long)SIGUSR1);
	evtimer_add(&timer, &tv);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	/* The timer ran; the signal arrives in the same or the next round. */
	if (calls[0] == 0)
		CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls[0], 1);
	CHECK_INT_EQ(calls[1], 1);
	CHECK_INT_EQ(last_what, EV_SIGNAL);
	/* Persistent: a second signal is delivered too. */
	raise(SIGUSR1);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls[0], 2);
	CHECK_INT_EQ(evsignal_del(&sig), 0);
	CHECK_INT_EQ(evsignal_del(&again), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
}

static volatile sig_atomic_t own_handler_calls;

static void own_handler(int sig)
{
	(void)sig;
	own_handler_calls++;
}

static void test_handler_restored(void)
{
	struct event_base *base = event_base_new();
	struct event sig;
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = own_handler;
	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGUSR2, &sa, &old) == 0);

	memset(calls, 0, sizeof(calls));
	evsignal_assign(&sig, base, SIGUSR2, sig_cb, (void *)0L);
	evsignal_add(&sig, NULL);
	raise(SIGUSR2);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls[0], 1);
	CHECK_INT_EQ(own_handler_calls, 0);
	evsignal_del(&sig);
	event_base_free(base);

	/* The program's own handler is back. */
	raise(SIGUSR2);
	CHECK_INT_EQ(own_handler_calls, 1);
	sigaction(SIGUSR2, &old, NULL);
}

static void test_signal_and_io_refused(void)
{
	struct event_base *base = event_base_new();
	struct event ev;
	CHECK_INT_EQ(event_assign(&ev, base, SIGUSR1, EV_SIGNAL | EV_READ, sig_cb, NULL), -1);
	event_base_free(base);
}

int main(void)
{
	test_basic_delivery();
	test_handler_restored();
	test_signal_and_io_refused();
	return check_report();
}
