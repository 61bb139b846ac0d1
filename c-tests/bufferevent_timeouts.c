/* Read and write timeouts of socket and pair bufferevents: BEV_EVENT_TIMEOUT together
 * with BEV_EVENT_READING or BEV_EVENT_WRITING, the direction switched off afterwards and
 * armed again by bufferevent_enable, incoming data restarting the read timeout, no timeout
 * while a direction is off or has nothing to write, NULL clearing a timeout, and the old
 * whole-seconds bufferevent_settimeout. */
// test: per-backend
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_compat.h>
#include <event2/event.h>
#include <event2/util.h>

#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

struct state {
	int timeouts;
	int other_events;
	short last_what;
	double when;
	int reads;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->last_what = what;
	if (what & BEV_EVENT_TIMEOUT) {
		s->timeouts++;
		s->when = now_ms();
	} else {
		s->other_events++;
	}
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	s->reads++;
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

static void test_read_timeout(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	struct timeval tv = {0, 100000};
	double start;

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, &s);
	CHECK_INT_EQ(bufferevent_set_timeouts(bev, &tv, NULL), 0);
	start = now_ms();
	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ), 0);
	CHECK(run_until(base, &s.timeouts, 3000));
	CHECK_INT_EQ(s.last_what, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	CHECK(s.when - start >= 85);
	/* Reading was switched off; writing is untouched. */
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
	/* Off means off: no more timeouts, and data is not read. */
	CHECK_INT_EQ(write(fds[1], "late", 4), 4);
	run_for(base, 250);
	CHECK_INT_EQ(s.timeouts, 1);
	CHECK_INT_EQ(s.reads, 0);

	/* Enabling again reads the waiting data and arms the timeout again. */
	start = now_ms();
	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ), 0);
	CHECK(run_until(base, &s.reads, 2000));
	s.timeouts = 0;
	CHECK(run_until(base, &s.timeouts, 3000));
	CHECK_INT_EQ(s.last_what, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	CHECK(s.when - start >= 85);
	CHECK_INT_EQ(s.other_events, 0);

	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

struct feeder {
	evutil_socket_t fd;
	int left;
	struct event *ev;
};

static void feed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct feeder *f = arg;
	(void)fd;
	(void)what;
	if (f->left-- > 0) {
		CHECK_INT_EQ(write(f->fd, "t", 1), 1);
	} else {
		event_del(f->ev);
	}
}

/* Each successful read restarts the read timeout. */
static void test_data_restarts_read_timeout(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	struct timeval tv = {0, 300000}, every = {0, 50000};
	struct feeder f;
	double start, last_feed;

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, &s);
	bufferevent_set_timeouts(bev, &tv, NULL);
	bufferevent_enable(bev, EV_READ);
	f.fd = fds[1];
	f.left = 10;
	f.ev = event_new(base, -1, EV_PERSIST, feed_cb, &f);
	REQUIRE(f.ev != NULL);
	event_add(f.ev, &every);
	start = now_ms();
	/* 10 bytes 50 ms apart: 500 ms of traffic, far past the 300 ms timeout. */
	CHECK(run_until(base, &s.timeouts, 5000));
	last_feed = start + 500;
	CHECK(s.when - start >= 500);
	CHECK(s.when - last_feed >= 250);
	CHECK_INT_EQ(s.reads, 10);
	CHECK_INT_EQ(s.last_what, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	event_free(f.ev);
	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

/* No timeout while reading is off, while there is nothing to write, or after NULL. */
static void test_no_timeout(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	struct timeval tv = {0, 50000};

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &s);
	/* Reading is off and the output is empty. */
	CHECK_INT_EQ(bufferevent_set_timeouts(bev, &tv, &tv), 0);
	run_for(base, 200);
	CHECK_INT_EQ(s.timeouts, 0);
	/* Writing enabled with nothing to write: still no write timeout. */
	bufferevent_enable(bev, EV_WRITE);
	run_for(base, 200);
	CHECK_INT_EQ(s.timeouts, 0);

	/* Clearing an armed read timeout before it expires. */
	bufferevent_enable(bev, EV_READ);
	CHECK_INT_EQ(bufferevent_set_timeouts(bev, NULL, NULL), 0);
	run_for(base, 200);
	CHECK_INT_EQ(s.timeouts, 0);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);

	/* Disabling reading cancels an armed read timeout. */
	CHECK_INT_EQ(bufferevent_set_timeouts(bev, &tv, NULL), 0);
	bufferevent_disable(bev, EV_READ);
	run_for(base, 200);
	CHECK_INT_EQ(s.timeouts, 0);
	CHECK_INT_EQ(s.other_events, 0);

	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_write_timeout(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	struct timeval tv = {0, 150000};
	const size_t big = 8 << 20;
	char *data = calloc(1, big);
	size_t left;

	REQUIRE(data != NULL);
	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &s);
	CHECK_INT_EQ(bufferevent_set_timeouts(bev, NULL, &tv), 0);
	/* More than the socket can hold, and the peer never reads. */
	CHECK_INT_EQ(bufferevent_write(bev, data, big), 0);
	CHECK(run_until(base, &s.timeouts, 5000));
	CHECK_INT_EQ(s.last_what, BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), 0);
	left = evbuffer_get_length(bufferevent_get_output(bev));
	CHECK(left > 0);
	/* Writing stays off: nothing more leaves even when the peer makes room. */
	{
		char sink[65536];
		while (read(fds[1], sink, sizeof(sink)) > 0)
			;
	}
	run_for(base, 100);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), left);
	CHECK_INT_EQ(s.timeouts, 1);
	CHECK_INT_EQ(s.other_events, 0);

	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
	free(data);
}

/* The libevent 1.x setter takes whole seconds. */
static void test_settimeout_compat(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	double start;

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &s);
	bufferevent_settimeout(bev, 1, 0);
	start = now_ms();
	bufferevent_enable(bev, EV_READ);
	run_for(base, 500);
	CHECK_INT_EQ(s.timeouts, 0);
	CHECK(run_until(base, &s.timeouts, 3000));
	CHECK(s.when - start >= 950);
	CHECK_INT_EQ(s.last_what, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

/* Pairs have timeouts too. */
static void test_pair_timeout(void)
{
	struct event_base *base = new_base();
	struct bufferevent *pair[2];
	struct state s;
	struct timeval tv = {0, 100000};
	double start;

	memset(&s, 0, sizeof(s));
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	bufferevent_setcb(pair[1], read_cb, NULL, event_cb, &s);
	CHECK_INT_EQ(bufferevent_set_timeouts(pair[1], &tv, NULL), 0);
	start = now_ms();
	bufferevent_enable(pair[1], EV_READ);
	CHECK(run_until(base, &s.timeouts, 3000));
	CHECK_INT_EQ(s.last_what, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	CHECK(s.when - start >= 85);
	CHECK_INT_EQ(bufferevent_get_enabled(pair[1]), EV_WRITE);

	/* Data from the partner restarts it. */
	s.timeouts = 0;
	bufferevent_enable(pair[1], EV_READ);
	run_for(base, 60);
	bufferevent_write(pair[0], "x", 1);
	start = now_ms();
	CHECK(run_until(base, &s.timeouts, 3000));
	CHECK_INT_EQ(s.reads, 1);
	CHECK(s.when - start >= 85);

	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

int main(void)
{
	test_read_timeout();
	test_data_restarts_read_timeout();
	test_no_timeout();
	test_write_timeout();
	test_settimeout_compat();
	test_pair_timeout();
	return check_report();
}
