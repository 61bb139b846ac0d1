/* Finalizers: event_finalize and event_free_finalize run their callback from the loop
 * (or from event_base_free), never twice, and event_base_free_nofinalize skips them. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>

#include "check.h"

static int finalized;
static struct event *finalized_ev;
static void *finalized_arg;
static int calls;

static void count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	calls++;
}

static void finalize_cb(struct event *ev, void *arg)
{
	finalized++;
	finalized_ev = ev;
	finalized_arg = arg;
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct event ev;
	struct event *heap_ev;
	struct timeval tv = {10, 0};

	/* A pending timer is finalized: it never fires; the finalizer runs in the loop. */
	event_assign(&ev, base, -1, EV_FINALIZE, count_cb, (void *)0x7);
	event_add(&ev, &tv);
	CHECK_INT_EQ(event_finalize(0, &ev, finalize_cb), 0);
	CHECK_INT_EQ(finalized, 0);
	CHECK_INT_EQ(event_pending(&ev, EV_TIMEOUT, NULL), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(finalized, 1);
	CHECK(finalized_ev == &ev);
	CHECK(finalized_arg == (void *)0x7);
	CHECK_INT_EQ(calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(finalized, 1);

	/* event_free_finalize frees the event after its finalizer. */
	heap_ev = event_new(base, -1, EV_PERSIST, count_cb, NULL);
	event_add(heap_ev, &tv);
	CHECK_INT_EQ(event_free_finalize(0, heap_ev, finalize_cb), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(finalized, 2);
	CHECK(finalized_ev == heap_ev);

	/* Finalizers still pending when the base is freed run then... */
	heap_ev = event_new(base, -1, 0, count_cb, NULL);
	event_free_finalize(0, heap_ev, finalize_cb);
	event_base_free(base);
	CHECK_INT_EQ(finalized, 3);

	/* ...unless the base is freed with event_base_free_nofinalize. */
	base = event_base_new();
	event_assign(&ev, base, -1, 0, count_cb, NULL);
	event_finalize(0, &ev, finalize_cb);
	event_base_free_nofinalize(base);
	CHECK_INT_EQ(finalized, 3);
	CHECK_INT_EQ(calls, 0);
	return check_report();
}
