/* Programs written for libevent 1.x change the fields of a struct event in place between
 * event_del and event_add (unbound switches a connection from reading to writing by
 * setting ev_events; others move an event to another descriptor through ev_fd, or give
 * it another callback), and read ev_res in the callback. event_add must take the
 * descriptor, the events and the callback from the struct as it stands then, and the
 * callback must find its result in ev_res. Built against the headers of the library it
 * runs on, the program pokes the fields where that build has them. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

struct record {
	int calls;
	evutil_socket_t fd;
	short what;
	/* ev_res as the callback saw it. */
	short res;
	struct event *ev;
};

static void record_cb(evutil_socket_t fd, short what, void *arg)
{
	struct record *r = arg;
	char buf[16];

	if (what & EV_READ)
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	r->calls++;
	r->fd = fd;
	r->what = what;
	r->res = r->ev->ev_res;
}

static void other_cb(evutil_socket_t fd, short what, void *arg)
{
	record_cb(fd, what, arg);
	((struct record *)arg)->calls += 100;
}

static struct event_base *new_base(void)
{
	struct event_base *base = event_base_new();
	const char *want = getenv("EVRS_TEST_BACKEND");
	REQUIRE(base != NULL);
	if (want)
		CHECK_STR_EQ(event_base_get_method(base), want);
	return base;
}

static void reset(struct record *r, struct event *ev)
{
	r->calls = 0;
	r->fd = -1;
	r->what = 0;
	r->res = 0;
	r->ev = ev;
}

int main(void)
{
	struct event_base *base = new_base();
	evutil_socket_t first[2], second[2];
	struct event ev;
	struct record r, other;

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, first) == 0);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, second) == 0);
	evutil_make_socket_nonblocking(first[0]);
	evutil_make_socket_nonblocking(second[0]);
	reset(&r, &ev);
	reset(&other, &ev);

	/* Reading, with nothing to read: nothing runs. */
	CHECK_INT_EQ(event_assign(&ev, base, first[0], EV_READ, record_cb, &r), 0);
	CHECK_INT_EQ(ev.ev_fd, first[0]);
	CHECK_INT_EQ(ev.ev_events, EV_READ);
	CHECK_INT_EQ(event_add(&ev, NULL), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	CHECK_INT_EQ(r.calls, 0);

	/* Switched to writing in place: the socket is writable at once. */
	CHECK_INT_EQ(event_del(&ev), 0);
	ev.ev_events = EV_WRITE;
	CHECK_INT_EQ(event_add(&ev, NULL), 0);
	CHECK_INT_EQ(event_pending(&ev, EV_READ | EV_WRITE, NULL), EV_WRITE);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.fd, first[0]);
	CHECK_INT_EQ(r.what, EV_WRITE);
	CHECK_INT_EQ(r.res, EV_WRITE);
	/* Not persistent: deleted before its callback ran. */
	CHECK_INT_EQ(event_pending(&ev, EV_READ | EV_WRITE, NULL), 0);

	/* Moved to another descriptor, reading and persistent: only that one counts. */
	reset(&r, &ev);
	ev.ev_fd = second[0];
	ev.ev_events = EV_READ | EV_PERSIST;
	CHECK_INT_EQ(event_get_fd(&ev), second[0]);
	CHECK_INT_EQ(event_get_events(&ev), EV_READ | EV_PERSIST);
	CHECK_INT_EQ(event_add(&ev, NULL), 0);
	CHECK_INT_EQ(write(first[1], "x", 1), 1);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	CHECK_INT_EQ(r.calls, 0);
	CHECK_INT_EQ(write(second[1], "y", 1), 1);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.fd, second[0]);
	CHECK_INT_EQ(r.what, EV_READ);
	CHECK_INT_EQ(r.res, EV_READ);
	CHECK_INT_EQ(event_pending(&ev, EV_READ, NULL), EV_READ);

	/* Another callback and argument, set in the struct while deleted. */
	CHECK_INT_EQ(event_del(&ev), 0);
	ev.ev_evcallback.evcb_cb_union.evcb_callback = other_cb;
	ev.ev_evcallback.evcb_arg = &other;
	CHECK(event_get_callback(&ev) == other_cb);
	CHECK(event_get_callback_arg(&ev) == &other);
	CHECK_INT_EQ(event_add(&ev, NULL), 0);
	CHECK_INT_EQ(write(second[1], "z", 1), 1);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
	CHECK_INT_EQ(other.calls, 101);
	CHECK_INT_EQ(other.fd, second[0]);
	CHECK_INT_EQ(r.calls, 1);

	CHECK_INT_EQ(event_del(&ev), 0);
	close(first[0]);
	close(first[1]);
	close(second[0]);
	close(second[1]);
	event_base_free(base);
	return check_report();
}
