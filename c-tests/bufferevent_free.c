/* Freeing socket bufferevents: output still queued is dropped, not sent; CLOSE_ON_FREE
 * closes the socket (once the loop or event_base_free has run the finalizer), without it
 * the socket stays open; freeing from inside the bufferevent's own read, write and event
 * callbacks; callbacks that were scheduled (deferred) before the free never run. */
// test: per-backend
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

struct state {
	int reads;
	int writes;
	int events;
	int freed;
	struct bufferevent *bev;
};

static void count_read(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->reads++;
}

static void count_write(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->writes++;
}

static void count_event(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)bev;
	(void)what;
	s->events++;
}

static void free_in_read(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	s->reads++;
	bufferevent_free(bev);
	s->freed = 1;
}

static void free_in_write(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	s->writes++;
	bufferevent_free(bev);
	s->freed = 1;
}

static void free_in_event(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)what;
	s->events++;
	bufferevent_free(bev);
	s->freed = 1;
}

/* Output queued but not yet written is thrown away by bufferevent_free. */
static void test_free_drops_output(int close_on_free)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	char buf[64];

	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], close_on_free ? BEV_OPT_CLOSE_ON_FREE : 0);
	REQUIRE(bev != NULL);
	CHECK_INT_EQ(bufferevent_write(bev, "never sent", 10), 0);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 10);
	bufferevent_free(bev);
	run_for(base, 30);
	if (close_on_free) {
		/* The peer sees the end of the stream and no data. */
		CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), 0);
		CHECK(!fd_is_open(fds[0]));
	} else {
		/* The socket is still open, and nothing was written to it. */
		CHECK(fd_is_open(fds[0]));
		CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), -1);
		CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
		/* It is the caller's again. */
		CHECK_INT_EQ(write(fds[0], "mine", 4), 4);
		CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), 4);
		evutil_closesocket(fds[0]);
	}
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

/* A bufferevent freed just before its base: event_base_free finishes the job. */
static void test_free_then_base_free(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	char buf[8];

	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_enable(bev, EV_READ);
	bufferevent_free(bev);
	event_base_free(base);
	CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), 0);
	evutil_closesocket(fds[1]);
}

static void test_free_in_read_cb(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	char buf[8];

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, free_in_read, count_write, count_event, &s);
	bufferevent_enable(bev, EV_READ);
	/* Data and EOF at once: after the free in the read callback, the EOF is not
	 * reported. */
	CHECK_INT_EQ(write(fds[1], "data", 4), 4);
	shutdown(fds[1], SHUT_WR);
	CHECK(run_until(base, &s.freed, 2000));
	run_for(base, 50);
	CHECK_INT_EQ(s.reads, 1);
	CHECK_INT_EQ(s.events, 0);
	CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), 0);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_free_in_event_cb(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, count_read, count_write, free_in_event, &s);
	bufferevent_enable(bev, EV_READ);
	evutil_closesocket(fds[1]);
	CHECK(run_until(base, &s.freed, 2000));
	run_for(base, 30);
	CHECK_INT_EQ(s.events, 1);
	CHECK_INT_EQ(s.reads, 0);
	CHECK(!fd_is_open(fds[0]));
	event_base_free(base);
}

static void test_free_in_write_cb(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	char buf[8];

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, count_read, free_in_write, count_event, &s);
	bufferevent_enable(bev, EV_READ);
	CHECK_INT_EQ(bufferevent_write(bev, "last", 4), 0);
	CHECK(run_until(base, &s.freed, 2000));
	run_for(base, 30);
	CHECK_INT_EQ(s.writes, 1);
	/* What was written before the free arrives, then EOF. */
	CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), 4);
	CHECK_MEM_EQ(buf, "last", 4);
	CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), 0);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

/* Callbacks scheduled to run later are dropped by a free in between. */
static void test_free_cancels_deferred(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, count_read, count_write, count_event, &s);
	bufferevent_trigger(bev, EV_READ | EV_WRITE, 0);
	bufferevent_trigger_event(bev, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
	CHECK_INT_EQ(s.reads + s.writes + s.events, 0);
	bufferevent_free(bev);
	run_for(base, 30);
	CHECK_INT_EQ(s.reads + s.writes + s.events, 0);
	CHECK(!fd_is_open(fds[0]));
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

/* A bufferevent that never had a socket. */
static void test_free_without_socket(void)
{
	struct event_base *base = new_base();
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	CHECK_INT_EQ(bufferevent_write(bev, "x", 1), 0);
	bufferevent_free(bev);
	run_for(base, 1);
	event_base_free(base);
}

int main(void)
{
	test_free_drops_output(1);
	test_free_drops_output(0);
	test_free_then_base_free();
	test_free_in_read_cb();
	test_free_in_event_cb();
	test_free_in_write_cb();
	test_free_cancels_deferred();
	test_free_without_socket();
	return check_report();
}
