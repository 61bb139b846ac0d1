/* The libevent 1.x bufferevent interface (event2/bufferevent_compat.h): bufferevent_new
 * on the global base made by event_init, moving it with bufferevent_base_set, the old
 * evbuffercb/everrorcb types, EVBUFFER_READ/WRITE/EOF/ERROR/TIMEOUT codes and the
 * EVBUFFER_INPUT/EVBUFFER_OUTPUT accessors. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_compat.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/util.h>

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

struct state {
	int reads;
	int writes;
	int events;
	short what;
};

static void old_read(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	s->reads++;
	evbuffer_drain(EVBUFFER_INPUT(bev), evbuffer_get_length(EVBUFFER_INPUT(bev)));
}

static void old_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	((struct state *)arg)->writes++;
}

static void old_error(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->events++;
	s->what = what;
}

static int run_until(struct event_base *base, const int *flag, int ms)
{
	struct timeval slice = {0, 10000};
	for (int waited = 0; !*flag && waited < ms; waited += 10) {
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	return *flag;
}

int main(void)
{
	struct event_base *global, *other;
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	evbuffercb rcb = old_read, wcb = old_write;
	everrorcb ecb = old_error;
	bufferevent_data_cb r, w;
	bufferevent_event_cb e;
	void *arg;
	char buf[8];

	/* The old names are the new codes. */
	CHECK_INT_EQ(EVBUFFER_READ, BEV_EVENT_READING);
	CHECK_INT_EQ(EVBUFFER_WRITE, BEV_EVENT_WRITING);
	CHECK_INT_EQ(EVBUFFER_EOF, BEV_EVENT_EOF);
	CHECK_INT_EQ(EVBUFFER_ERROR, BEV_EVENT_ERROR);
	CHECK_INT_EQ(EVBUFFER_TIMEOUT, BEV_EVENT_TIMEOUT);

	memset(&s, 0, sizeof(s));
	global = event_init();
	REQUIRE(global != NULL);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);

	bev = bufferevent_new(fds[0], rcb, wcb, ecb, &s);
	REQUIRE(bev != NULL);
	/* It runs on the global base (libevent leaves its ev_base field, and so
	 * bufferevent_get_base, NULL), with the callbacks installed and writing enabled
	 * only. */
	bufferevent_getcb(bev, &r, &w, &e, &arg);
	CHECK(r == old_read);
	CHECK(w == old_write);
	CHECK(e == old_error);
	CHECK(arg == &s);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
	CHECK_INT_EQ(bufferevent_getfd(bev), fds[0]);

	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ), 0);
	CHECK_INT_EQ(write(fds[1], "old", 3), 3);
	CHECK(run_until(global, &s.reads, 2000));
	CHECK_INT_EQ(bufferevent_write(bev, "api", 3), 0);
	CHECK_UINT_EQ(evbuffer_get_length(EVBUFFER_OUTPUT(bev)), 3);
	CHECK(run_until(global, &s.writes, 2000));
	CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), 3);

	/* A bufferevent whose events are pending cannot move. */
	other = event_base_new();
	REQUIRE(other != NULL);
	CHECK_INT_EQ(bufferevent_base_set(other, bev), -1);
	bufferevent_free(bev);
	event_base_loop(global, EVLOOP_NONBLOCK);

	/* The usual 1.x sequence: bufferevent_new, bufferevent_base_set, then enable. */
	bev = bufferevent_new(fds[0], rcb, wcb, ecb, &s);
	REQUIRE(bev != NULL);
	CHECK_INT_EQ(bufferevent_base_set(other, bev), 0);
	CHECK(bufferevent_get_base(bev) == other);
	s.reads = 0;
	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ), 0);
	CHECK_INT_EQ(write(fds[1], "moved", 5), 5);
	CHECK(run_until(other, &s.reads, 2000));

	/* EOF arrives with the old codes. */
	evutil_closesocket(fds[1]);
	CHECK(run_until(other, &s.events, 2000));
	CHECK_INT_EQ(s.what, EVBUFFER_EOF | EVBUFFER_READ);

	bufferevent_free(bev);
	event_base_loop(other, EVLOOP_NONBLOCK);
	/* bufferevent_new never closes the socket: it is still ours (and its peer gone). */
	CHECK_INT_EQ(send(fds[0], "x", 1, MSG_NOSIGNAL), -1);
	CHECK_INT_EQ(errno, EPIPE);
	evutil_closesocket(fds[0]);
	event_base_free(other);
	event_base_free(global);
	return check_report();
}
