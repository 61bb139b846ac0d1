/* Two bases that both watch a signal each receive it, with the sigaction method
 * (EVENT_BASE_FLAG_DISALLOW_SIGNALFD is libevent 2.2 API). */
// test: per-backend
// test: requires 2.2
#include <event2/event.h>
#include <event2/event_struct.h>

#include <signal.h>
#include <string.h>

#include "check.h"

static int calls[2];

static void sig_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	calls[(long)arg]++;
}

static struct event_base *sigaction_base(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;
	CHECK_INT_EQ(event_config_set_flag(cfg, EVENT_BASE_FLAG_DISALLOW_SIGNALFD), 0);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	REQUIRE(base != NULL);
	return base;
}

int main(void)
{
	struct event_base *a = sigaction_base(), *b = sigaction_base();
	struct event ea, eb;

	evsignal_assign(&ea, a, SIGUSR1, sig_cb, (void *)0L);
	evsignal_assign(&eb, b, SIGUSR1, sig_cb, (void *)1L);
	evsignal_add(&ea, NULL);
	evsignal_add(&eb, NULL);
	CHECK_STR_EQ(event_base_get_signal_method(a), "signal");
	raise(SIGUSR1);
	CHECK_INT_EQ(event_base_loop(a, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(event_base_loop(b, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls[0], 1);
	CHECK_INT_EQ(calls[1], 1);

	/* Deleting from one base leaves the other receiving. */
	evsignal_del(&ea);
	raise(SIGUSR1);
	CHECK_INT_EQ(event_base_loop(b, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(calls[1], 2);
	CHECK_INT_EQ(calls[0], 1);
	evsignal_del(&eb);
	event_base_free(a);
	event_base_free(b);
	return check_report();
}
