/* Built against libevent 2.1's headers (Debian's /usr/include/event2), as the programs
 * that the 2.1 build stands in for are, and run on a libevent_core-2.1.so.7: the
 * library must read and write struct event and struct bufferevent where those headers
 * put the fields, report 2.1.12's version, and write nothing outside the struct.
 * Prints the file name of the library that answered, then any failures; exits 0 when
 * every check passed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		failures++; \
		fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #cond); \
	} \
} while (0)

#define GUARD 0xa5

/* Bytes around the event that the library must not touch. */
static struct {
	unsigned char before[32];
	struct event ev;
	unsigned char after[64];
} guarded;

static short seen_res;
static short seen_what;

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct event *ev = arg;
	char byte;

	(void)!read(fd, &byte, 1);
	seen_what = what;
	seen_res = ev->ev_res;
}

static void on_data(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	(void)arg;
}

static int guards_intact(void)
{
	size_t i;

	for (i = 0; i < sizeof guarded.before; i++)
		if (guarded.before[i] != GUARD)
			return 0;
	for (i = 0; i < sizeof guarded.after; i++)
		if (guarded.after[i] != GUARD)
			return 0;
	return 1;
}

static void check_event(struct event_base *base, int fd, int peer)
{
	struct event *ev = &guarded.ev;
	struct timeval interval = {5, 0};

	memset(&guarded, GUARD, sizeof guarded);
	memset(ev, 0, sizeof *ev);
	CHECK(event_assign(ev, base, fd, EV_READ | EV_PERSIST, on_read, ev) == 0);
	CHECK(ev->ev_fd == fd);
	CHECK(ev->ev_events == (EV_READ | EV_PERSIST));
	CHECK(ev->ev_base == base);
	CHECK(ev->ev_evcallback.evcb_arg == ev);
	CHECK(ev->ev_evcallback.evcb_cb_union.evcb_callback == on_read);
	CHECK(ev->ev_evcallback.evcb_flags & EVLIST_INIT);
	CHECK(event_get_fd(ev) == fd);
	CHECK(event_get_events(ev) == ev->ev_events);

	CHECK(event_add(ev, &interval) == 0);
	CHECK(ev->ev_evcallback.evcb_flags & EVLIST_INSERTED);
	CHECK(ev->ev_evcallback.evcb_flags & EVLIST_TIMEOUT);
	/* The expiry, on the base's clock, and the persistent event's interval. */
	CHECK(ev->ev_timeout.tv_sec > 0);
	CHECK(ev->ev_timeout.tv_usec >= 0 && ev->ev_timeout.tv_usec < 1000000);
	CHECK(ev->ev_.ev_io.ev_timeout.tv_sec == 5);
	CHECK(ev->ev_.ev_io.ev_timeout.tv_usec == 0);

	CHECK(write(peer, "x", 1) == 1);
	CHECK(event_base_loop(base, EVLOOP_ONCE) == 0);
	CHECK(seen_what == EV_READ);
	CHECK(seen_res == EV_READ);

	CHECK(event_del(ev) == 0);
	CHECK(!(ev->ev_evcallback.evcb_flags & EVLIST_INSERTED));
	CHECK(guards_intact());
}

static void check_bufferevent(struct event_base *base, int fd)
{
	struct bufferevent *bev = bufferevent_socket_new(base, fd, 0);
	struct timeval read_timeout = {3, 250000}, write_timeout = {7, 5};
	int arg;

	CHECK(bev != NULL);
	if (!bev)
		return;
	CHECK(bev->ev_base == base);
	CHECK(bev->input == bufferevent_get_input(bev));
	CHECK(bev->output == bufferevent_get_output(bev));
	CHECK(bev->ev_read.ev_fd == fd);
	CHECK(bev->ev_write.ev_fd == fd);
	CHECK(bev->ev_read.ev_base == base);
	CHECK(bev->ev_write.ev_base == base);
	CHECK(bev->ev_read.ev_events & EV_READ);
	CHECK(bev->ev_write.ev_events & EV_WRITE);
	CHECK(bev->enabled == EV_WRITE);

	bufferevent_setcb(bev, on_data, on_data, on_event, &arg);
	CHECK(bev->readcb == on_data);
	CHECK(bev->writecb == on_data);
	CHECK(bev->errorcb == on_event);
	CHECK(bev->cbarg == &arg);
	bufferevent_setwatermark(bev, EV_READ, 10, 100);
	bufferevent_setwatermark(bev, EV_WRITE, 20, 200);
	CHECK(bev->wm_read.low == 10 && bev->wm_read.high == 100);
	CHECK(bev->wm_write.low == 20 && bev->wm_write.high == 200);
	CHECK(bufferevent_set_timeouts(bev, &read_timeout, &write_timeout) == 0);
	CHECK(bev->timeout_read.tv_sec == 3 && bev->timeout_read.tv_usec == 250000);
	CHECK(bev->timeout_write.tv_sec == 7 && bev->timeout_write.tv_usec == 5);
	CHECK(bufferevent_enable(bev, EV_READ) == 0);
	CHECK(bev->enabled == (EV_READ | EV_WRITE));
	bufferevent_free(bev);
}

int main(void)
{
	struct event_base *base;
	Dl_info where;
	int sv[2];

	if (dladdr((void *)event_get_version, &where) && where.dli_fname)
		printf("%s\n", where.dli_fname);
	CHECK(strcmp(event_get_version(), "2.1.12-stable") == 0);
	CHECK(event_get_version_number() == LIBEVENT_VERSION_NUMBER);
	CHECK(event_get_version_number() == 0x02010c00);
	CHECK(event_get_struct_event_size() == sizeof(struct event));

	base = event_base_new();
	CHECK(base != NULL);
	if (!base || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 1;
	check_event(base, sv[0], sv[1]);
	check_bufferevent(base, sv[0]);
	close(sv[0]);
	close(sv[1]);
	event_base_free(base);
	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	return failures ? 1 : 0;
}
